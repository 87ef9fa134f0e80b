"""A re-render or `--check` of an unchanged spec into an unchanged OUT, answered without rendering.

`wlid render SPEC -o OUT` and `wlid render SPEC -o OUT --check` write nothing and exit 0 when OUT is up
to date; they print the spec's warnings and one line (nothing with -q). Finding that out means
rendering the whole spec (most of the time of a large spec) only to compare the same bytes again.
After such a run the `wlid` process notes what it saw, and what it printed, in a memo outside OUT
(`$XDG_CACHE_HOME/wlid/render/`, else `~/.cache/wlid/render/`, one file per OUT and command line); the
next identical command prints the same again, answered from the memo, when all of this is unchanged:

* the inputs: the spec's bytes, the command line, the working folder, every environment variable,
  the Python interpreter, and the code that renders: every file of the wlid_render package (with
  its templates, and the repository's templates/ of an editable install) and of the package of each
  library a render uses (path, size and modification time: a changed or reinstalled file is a
  different one);
* where OUT is: the folder it resolves to and the Git repository around it (generated files name
  paths relative to it), with no staging or set-aside tree of an interrupted render beside it;
* OUT itself: every entry and its kind (file, folder, link, other), the bytes of the manifest, and
  the bytes of every file the manifest lists, each read and compared with the SHA-256 the manifest
  records for it (the bytes are compared, never modification times).

Output to a terminal is never answered from a memo (colour and the progress bar depend on it), only
quiet commands or output to files and pipes (scripts, CI). Anything else, or any difference, renders
as usual. Only the whole `wlid` process uses the memo
(fast/process.py `run_program`); library callers and tests of the click group never do.
WLID_NO_MEMO=1 turns it off. A memo that cannot be read or written is ignored; the folder keeps the
KEPT newest memos.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import NamedTuple

from wlid_render.fast import process
from wlid_render.manifest import MANIFEST, is_relative_inside
from wlid_render.repo_paths import repository_root

SIDE_PREFIXES = (".wlid-staging-", ".wlid-retired-")  # write/recovery.py STAGING and RETIRED
LIBRARIES = ("click", "yaml", "jinja2", "markupsafe", "pydantic", "pydantic_core", "annotated_types")
OFF = "WLID_NO_MEMO"
MAX_BYTES = 64 * 1024 * 1024  # the files of OUT read to answer, at most; past that it renders
KEPT = 256  # memos kept in the folder: the newest (by the time each was written)


def _code_fingerprint(hasher: hashlib._Hash) -> None:
    package = Path(__file__).resolve().parents[1]
    # the Bicep templates: packaged, or the repository's templates/ next to an editable install
    # (emit/bicep.py `default_templates`)
    roots = [package, *(p for p in (package.parent / "templates",) if p.is_dir())]
    for name in LIBRARIES:
        spec = find_spec(name)
        if spec is not None and spec.origin:
            roots.append(Path(spec.origin).parent)
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                info = os.lstat(os.path.join(folder, name))
                hasher.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())


def _listing(root: str) -> bytes:
    """Every entry under OUT and its kind, nothing followed, sorted."""
    found = []
    stack = [("", root)]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as items:
            for item in items:
                path = f"{rel}/{item.name}" if rel else item.name
                mode = item.stat(follow_symlinks=False).st_mode
                kind = "d" if stat.S_ISDIR(mode) else "f" if stat.S_ISREG(mode) else "l" if stat.S_ISLNK(mode) else "o"
                found.append(f"{kind} {path}")
                if kind == "d":
                    stack.append((path, item.path))
    return "\n".join(sorted(found)).encode("utf-8", "surrogateescape")


class Memo(NamedTuple):
    file: Path  # where the memo of this OUT and command line is kept
    spec: str
    argv: tuple[str, ...]
    root: str  # the folder OUT resolves to

    @classmethod
    def of(cls, spec: str, out: str, argv: list[str]) -> Memo | None:
        """The memo of a quiet render or check of `spec` into `out`; None when none applies (a new
        OUT, an interrupted render beside it, the memo turned off, a library caller)."""
        if not process.whole_process or os.environ.get(OFF):
            return None
        root = os.path.realpath(out)
        try:
            if not os.path.isdir(root) or any(
                name.startswith(SIDE_PREFIXES) for name in os.listdir(os.path.dirname(root))
            ):
                return None  # nothing to answer for, or an interrupted render to recover
        except OSError:
            return None
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        # one memo per OUT and command line: a check and a render of one OUT keep theirs apart
        name = hashlib.sha256("\0".join([root, *argv]).encode("utf-8", "surrogateescape")).hexdigest()
        return cls(Path(cache) / "wlid" / "render" / f"{name}.json", spec, tuple(argv), root)

    def key(self) -> str | None:
        """The inputs and where OUT is, hashed; None when they cannot be read."""
        hasher = hashlib.sha256()
        try:
            for part in (*self.argv, os.getcwd(), self.root, str(repository_root(Path(self.root)) or "")):
                hasher.update(part.encode("utf-8", "surrogateescape") + b"\0")
            for part in (sys.executable, sys.version):
                hasher.update(part.encode("utf-8", "surrogateescape") + b"\0")
            for name, value in sorted(os.environ.items()):
                hasher.update(f"{name}={value}\0".encode("utf-8", "surrogateescape"))
            with open(self.spec, "rb") as handle:
                hasher.update(hashlib.sha256(handle.read()).digest())
            _code_fingerprint(hasher)
        except (OSError, ValueError):
            return None
        return hasher.hexdigest()

    def _state(self) -> dict[str, str] | None:
        """What OUT holds now, hashed; None when its files are not all as its manifest says."""
        try:
            with open(os.path.join(self.root, MANIFEST), "rb") as handle:
                manifest_bytes = handle.read(MAX_BYTES + 1)
            listed = json.loads(manifest_bytes)["files"]
            budget = MAX_BYTES - len(manifest_bytes)
            for entry in listed:
                path = entry["path"]
                if not isinstance(path, str) or not is_relative_inside(path):
                    return None
                with open(os.path.join(self.root, path), "rb") as handle:
                    data = handle.read(budget + 1)
                budget -= len(data)
                if budget < 0 or hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    return None
            return {
                "manifest": hashlib.sha256(manifest_bytes).hexdigest(),
                "entries": hashlib.sha256(_listing(self.root)).hexdigest(),
            }
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def answer(self, key: str | None) -> list[tuple[str, str]] | None:
        """What the last identical command printed when it found OUT up to date, if OUT is still as
        it left it and `key` (this command's `key()`) is the one it recorded; else None."""
        if key is None:
            return None
        try:
            recorded = json.loads(self.file.read_text("utf-8"))
        except (OSError, ValueError):
            return None  # no memo yet
        if not isinstance(recorded, dict) or not _is_said(recorded.get("said")):
            return None
        if recorded.get("key") != key:
            return None
        state = self._state()
        if state is None or recorded.get("state") != state:
            return None
        return [(name, text) for name, text in recorded["said"]]

    def record(self, said: list[tuple[str, str]], key: str | None) -> None:
        """Note that this command found OUT up to date (call only then), and what it printed. `key`:
        the inputs as the command found them before it rendered (`key()` then), so that a spec
        changed while it rendered is not recorded as the one it rendered."""
        state = self._state()
        if key is None or state is None:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.file.with_name(f"{self.file.name}.{os.getpid()}")
            temporary.write_text(json.dumps({"key": key, "state": state, "said": said}), "utf-8")
            os.replace(temporary, self.file)
            _prune(self.file.parent)
        except OSError:
            return


def _prune(folder: Path) -> None:
    """Remove all but the KEPT newest memos of `folder` (one per OUT and command line ever used)."""
    with os.scandir(folder) as entries:
        memos = [(e.stat().st_mtime_ns, e.path) for e in entries if e.name.endswith(".json") and e.is_file()]
    if len(memos) > KEPT:
        for _, path in sorted(memos)[: len(memos) - KEPT]:
            try:
                os.unlink(path)
            except OSError:
                continue


def _is_said(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, list)
        and len(item) == 2
        and item[0] in ("stdout", "stderr")
        and isinstance(item[1], str)
        for item in value
    )
