"""Where OUT and the spec sit in the Git repository: the paths that generated files name.

The pipelines, `OUT/README.md` and the GitOps objects (when `gitops.path` is not set) name the rendered
tree and the spec by their paths relative to the root of the Git repository that holds OUT, so that a
pipeline running in a checkout of that repository finds them. The render itself is pure: the caller
(the CLI) works these paths out once with `repo_paths`, which looks at the disk (for `.git` upwards
from OUT, nothing else), and hands them to `render_source`/`render_plan` as a `RepoPaths` value.

Where OUT is not inside a Git repository, the paths fall back to OUT and the spec as given on the
command line (relative ones stay relative to where wlid ran).

Every path that reaches a generated file passes `pipeline_path`: a path that a CI system or a shell
could read as something else than one word is refused (a `$`, which starts an Azure Pipelines macro
`$(...)`/`$[...]` or a GitHub expression `${{ }}` before any shell quoting applies; control
characters and line breaks), and a path starting with `-` is written `./-...` so that it is never
read as an option.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePath, PurePosixPath
from typing import NamedTuple

DEFAULT_SPEC = "wlid.yaml"
STDIN = "<stdin>"

# `$` starts every CI expansion (`$(var)`, `$[expr]`, `${{ expr }}`, `${VAR}`); control characters and
# the Unicode line and paragraph separators break lines in YAML or on a terminal.
_UNSAFE = re.compile(r"[$\x00-\x1f\x7f-\x9f\u2028\u2029]")

# The only Azure Pipelines macros generated pipelines use: the agent's system paths (the checkout and a
# temporary directory), set by the agent itself, never by a user. emit/azure_pipelines.py writes them;
# `wlid validate` accepts no other macro in a script (PIPE005).
SOURCES_DIRECTORY = "$(Build.SourcesDirectory)"
TEMP_DIRECTORY = "$(Agent.TempDirectory)"
SYSTEM_MACROS = frozenset({SOURCES_DIRECTORY, TEMP_DIRECTORY})


class UnsafePath(ValueError):
    """A path that cannot be written into a pipeline or a shell command as one literal word."""


class RepoPaths(NamedTuple):
    """OUT and the spec as the repository sees them: POSIX paths, relative to its root when inside it."""

    out: str
    spec: str = DEFAULT_SPEC


def pipeline_path(path: str, what: str) -> str:
    """`path` as generated files write it: POSIX, never empty, never starting with `-`.

    Raises UnsafePath for a path holding `$` or a control character (see the module docstring).
    """
    found = _UNSAFE.search(path)
    if found:
        raise UnsafePath(
            f"{what} {path!r} holds {found.group()!r}, which CI systems or shells would expand or split; "
            "rename it (generated pipelines name it literally)"
        )
    path = path.replace("\\", "/") if os.sep == "\\" else path
    path = str(PurePosixPath(path)) if path else "."
    return f"./{path}" if path.startswith("-") else path


def default_paths(name: str, spec_file: str) -> RepoPaths:
    """The paths without a look at the disk: OUT is `out/<name>`, the spec as given when relative
    (else its file name; `wlid.yaml` for a spec read from stdin)."""
    return RepoPaths(f"out/{name}", _spec_as_given(spec_file))


def _spec_as_given(spec_file: str) -> str:
    if spec_file in ("", "-", STDIN):
        return DEFAULT_SPEC
    path = PurePath(spec_file)
    if path.is_absolute() or ".." in path.parts:
        return path.name
    return path.as_posix()


def repository_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` (absolute) holding `.git` (a folder, or a file in a
    worktree or submodule); None when there is none."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def repo_paths(out: Path, spec_file: str, cwd: Path | None = None) -> RepoPaths:
    """OUT and the spec relative to the root of the Git repository that holds OUT (reads the disk).

    Without a repository around OUT, OUT as given and the spec as `default_paths` writes it. A spec
    outside OUT's repository is named as given too: the pipelines can only read what is checked out.
    Raises UnsafePath (see `pipeline_path`).
    """
    here = cwd or Path.cwd()
    absolute_out = Path(os.path.normpath(here / out))
    root = repository_root(absolute_out)
    if root is None:
        out_text = out.as_posix()
        spec = _spec_as_given(spec_file)
    else:
        out_text = absolute_out.relative_to(root).as_posix()
        spec = _spec_as_given(spec_file)
        if spec_file not in ("", "-", STDIN):
            absolute_spec = Path(os.path.normpath(here / spec_file))
            if absolute_spec.is_relative_to(root):
                spec = absolute_spec.relative_to(root).as_posix()
    return RepoPaths(pipeline_path(out_text, "OUT"), pipeline_path(spec, "the spec path"))
