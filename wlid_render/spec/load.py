"""YAML text -> plain Python values plus a map from spec paths to source marks.

spec/compose.py reads libyaml's event stream when present, into spec/composed.py: duplicate keys
are errors (never last-one-wins), aliases have a small budget (no billion-laughs expansion), nesting
is limited, tags other than the plain YAML types are refused, and only one document is accepted.
Problems are located at FILE:LINE:COL, PyYAML's own errors included, told here in wlid's words.

Speed: a spec that loads without a problem needs the marks of a few short paths at most (its
warnings point at them), so the text is composed first without the marks of longer paths; `Marks`
computes them all, composing again, on the first look-up of one, and a problem found on that first
pass composes again with every mark to locate it. tests/test_load.py proves that the marks of both
passes are those of PyYAML's own composer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any, NamedTuple

import yaml

from wlid_render.errors import Mark, Path, Problem, SpecError
from wlid_render.input_limits import YAML_MAX_DEPTH
from wlid_render.spec.compose import compose
from wlid_render.spec.composed import NO_KEY, SHALLOW, At, Composed, Frame, Retrack

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class Marks(Mapping[Path, Mark]):
    """Spec paths -> source marks. Kept as (line, column) pairs; a Mark is made when one is looked up.

    With `compute`, `at` holds only the paths up to SHALLOW steps long and `compute` finds all of
    them on the first look-up of a longer path: a spec that loads, validates and renders without a
    problem needs a few shallow marks at most (its warnings), so the loader records no more up front.
    """

    __slots__ = ("_at", "_compute")

    def __init__(
        self, at: dict[Path, At] | None = None, compute: Callable[[], dict[Path, At]] | None = None
    ) -> None:
        self._at: dict[Path, At] = {} if at is None else at
        self._compute = compute

    @property
    def pairs(self) -> dict[Path, At]:
        if self._compute is not None:
            self._at, self._compute = self._compute(), None
        return self._at

    def _pairs_for(self, path: object) -> dict[Path, At]:
        return self._at if isinstance(path, tuple) and len(path) <= SHALLOW else self.pairs

    def __getitem__(self, path: Path) -> Mark:
        line, column = self._pairs_for(path)[path]
        return Mark(line, column)

    def get(self, path: Path, default: Any = None) -> Any:  # type: ignore[override]
        at = self._pairs_for(path).get(path)
        return default if at is None else Mark(*at)

    def __contains__(self, path: object) -> bool:
        return path in self._pairs_for(path)

    def __iter__(self) -> Iterator[Path]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __repr__(self) -> str:
        return f"Marks({dict(self.items())!r})"


class Source(NamedTuple):
    """A loaded spec: the values, and where each value and each mapping key came from."""

    file: str
    data: Any
    marks: Mapping[Path, Mark] = Marks()  # read-only: one empty instance serves every Source
    key_marks: Mapping[Path, Mark] = Marks()
    not_secrets: frozenset[Path] = frozenset()  # string values tagged NOT_A_SECRET (plan/secrets/)


def load_text(text: str, file: str) -> Source:
    """Parse one YAML document. Raises SpecError with every problem found."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        try:
            composed = _composed(text, file, track=False)
            if composed.problems or not isinstance(composed.root, dict):
                raise Retrack
            complete = False
        except (Retrack, SpecError):
            composed = _composed(text, file, track=True)
            complete = True
    except _Unreadable as exc:
        raise SpecError([_unreadable(text, file, exc)]) from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        where = Mark(before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        raise SpecError(
            [Problem(f"not valid YAML: {exc.reason} (character {exc.character!r})", file=file, mark=where)]
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    if composed.problems:
        raise SpecError(composed.problems)
    if composed.root is NO_KEY:
        raise SpecError([Problem("the file is empty", file=file, mark=Mark(1, 1))])
    if not isinstance(composed.root, dict):
        root_mark = None if composed.root_at is None else Mark(*composed.root_at)
        raise SpecError([Problem("the spec must be a YAML mapping (key: value)", file=file, mark=root_mark)])
    not_secrets = frozenset(composed.not_secrets)
    if complete:
        return Source(
            file=file,
            data=composed.root,
            marks=Marks(composed.marks),
            key_marks=Marks(composed.key_marks),
            not_secrets=not_secrets,
        )
    tracked = cache(lambda: _composed(text, file, track=True))  # the same text composes the same way
    return Source(
        file=file,
        data=composed.root,
        marks=Marks(composed.marks, compute=lambda: tracked().marks),
        key_marks=Marks(composed.key_marks, compute=lambda: tracked().key_marks),
        not_secrets=not_secrets,
    )


class _Unreadable(Exception):
    """PyYAML refused the text: its error, and the innermost [ ] or { } still open where it stopped."""

    def __init__(self, error: yaml.MarkedYAMLError, open_flow: Frame | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.open_flow = open_flow


def _composed(text: str, file: str, track: bool, loader: type | None = None) -> Composed:
    composed = Composed()
    parser = (loader or _Loader)(text)
    try:
        compose(parser.get_event, file, composed, track)
    except yaml.MarkedYAMLError as exc:
        raise _Unreadable(exc, composed.open_flow()) from None
    finally:
        parser.dispose()
    return composed


_TAB_HINT = "replace the tab with spaces"


def _unreadable(text: str, file: str, exc: _Unreadable) -> Problem:
    """PyYAML's error in wlid's words, at the place to fix: where a tab is, where a [ or { was opened.

    Releases of PyYAML and libyaml word the same error differently and add limits of their own, so the
    kind of error is told from where it stopped and from what is open there, not from its message alone.
    """
    error = exc.error
    problem = error.problem or ""
    context = error.context or ""
    at = error.problem_mark or error.context_mark
    mark = Mark(at.line + 1, at.column + 1) if at else None
    if "nesting" in problem:
        return _too_deep(text, file, mark)
    char = text[at.index] if at is not None and 0 <= at.index < len(text) else ""
    if char == "\t":
        line_start = text.rfind("\n", 0, at.index) + 1  # type: ignore[union-attr]
        if not text[line_start : at.index].strip(" \t"):  # type: ignore[union-attr]
            return Problem(
                "not valid YAML: a tab is used for indentation (YAML indents with spaces only)",
                hint=_TAB_HINT,
                file=file,
                mark=mark,
            )
        return Problem(
            "not valid YAML: a tab where YAML expects a space",
            hint="replace the tab with a space",
            file=file,
            mark=mark,
        )
    opened = exc.open_flow
    if opened is not None and context.startswith("while parsing a flow"):
        bracket, closer = ("[", "]") if opened.is_list else ("{", "}")
        found = f"found {char!r}" if char else "found the end of the file"
        where = f"line {mark.line}, column {mark.column}" if mark else "the end"
        return Problem(
            f"not valid YAML: this {bracket!r} is never closed: at {where} YAML expected ',' or {closer!r} and {found}",
            hint=f"add the missing {closer!r}",
            file=file,
            mark=Mark(*opened.at),
        )
    if "quoted scalar" in context and "end of stream" in problem and error.context_mark is not None:
        opened_at = error.context_mark
        return Problem(
            "not valid YAML: this quoted string is never closed (the file ends inside it)",
            hint="end it with the same quote it starts with",
            file=file,
            mark=Mark(opened_at.line + 1, opened_at.column + 1),
        )
    return Problem(f"not valid YAML: {problem or context}", file=file, mark=mark)


def _too_deep(text: str, file: str, mark: Mark | None) -> Problem:
    """The nesting limit of wlid, reported where the spec passes it.

    libyaml 0.2.6 (in PyYAML 6.0.4's wheels) stops at 1,000 levels, and its scanner reads far enough
    ahead to stop there before wlid sees the 65th level. PyYAML's own parser has no such limit: parse
    with it to find the 65th level (a few tenths of a second at most, only for such a spec). Should a
    release add a limit there too, wlid still says it in its own words, where the library stopped.
    """
    if _Loader is not yaml.SafeLoader:
        try:
            _composed(text, file, track=True, loader=yaml.SafeLoader)  # raises SpecError at YAML_MAX_DEPTH
        except _Unreadable as exc:
            at = exc.error.problem_mark or exc.error.context_mark
            mark = Mark(at.line + 1, at.column + 1) if at else mark
    return Problem(
        f"the spec nests deeper than {YAML_MAX_DEPTH} levels",
        hint="a spec needs about ten",
        file=file,
        mark=mark,
    )


def load_file(path: str) -> Source:
    """Read and parse a spec file. Raises SpecError (never OSError or UnicodeError)."""
    from wlid_render.input_limits import SPEC_MAX_BYTES, InputError, read_bounded

    try:
        raw = read_bounded(path, SPEC_MAX_BYTES, "the spec")
    except InputError as exc:
        raise SpecError([Problem(str(exc), file=path)]) from None
    return load_bytes(raw, path)


def load_bytes(raw: bytes, path: str) -> Source:
    """Parse a spec read elsewhere (e.g. standard input), named `path` in problems. Raises SpecError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            [
                Problem(
                    "the file is not UTF-8 text", hint="save it as UTF-8", file=path, mark=Mark(line, column)
                )
            ]
        ) from None
    return load_text(text, path)
