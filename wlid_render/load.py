"""YAML text -> plain Python values plus a map from spec paths to source marks.

Uses the libyaml composer when present. Duplicate keys are errors (never last-one-wins), aliases
have a small budget (no billion-laughs expansion), and only one document is accepted.
This module imports nothing of ours but `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from wlid_render.errors import Mark, Path, Problem, SpecError

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

ALIAS_BUDGET = 100
NODE_BUDGET = 500_000


@dataclass(frozen=True)
class Source:
    """A loaded spec: the values, and where each value and each mapping key came from."""

    file: str
    data: Any
    marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self) -> None:
        self.marks: dict[Path, Mark] = {}
        self.key_marks: dict[Path, Mark] = {}
        self.problems: list[Problem] = []
        self.constructor = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()
        self.aliases = 0
        self.nodes = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            raise SpecError([Problem("the document is too large", path, mark=_mark(node))])
        if id(node) in self.seen and not isinstance(node, yaml.ScalarNode):
            self.aliases += 1
            if self.aliases > ALIAS_BUDGET:
                raise SpecError(
                    [
                        Problem(
                            f"too many YAML aliases (more than {ALIAS_BUDGET})",
                            path,
                            hint="write the values out; aliases are limited to keep expansion bounded",
                            mark=_mark(node),
                        )
                    ]
                )
        self.seen.add(id(node))
        self.marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.constructor.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    Problem("YAML merge keys (<<) are not supported", path, mark=_mark(key_node))
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem("mapping keys must be strings", path, mark=_mark(key_node)))
                continue
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = key_node.value
            if key in out:
                first = self.key_marks[(*path, key)]
                self.problems.append(
                    Problem(
                        f"duplicate key {key!r} (first defined at line {first.line})",
                        (*path, key),
                        hint="each key may appear once in a mapping",
                        mark=_mark(key_node),
                    )
                )
                continue
            self.key_marks[(*path, key)] = _mark(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out


def load_text(text: str, file: str) -> Source:
    """Parse one YAML document. Raises SpecError with every problem found."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        message = f"not valid YAML: {exc.problem or exc.context}"
        raise SpecError([Problem(message, file=file, mark=where)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    if not nodes:
        raise SpecError([Problem("the file is empty", file=file, mark=Mark(1, 1))])
    if len(nodes) > 1:
        raise SpecError(
            [
                Problem(
                    "the file holds more than one YAML document",
                    hint="put one spec per file",
                    file=file,
                    mark=_mark(nodes[1]),
                )
            ]
        )
    builder = _Builder()
    try:
        data = builder.build(nodes[0], ())
    except SpecError as exc:
        raise SpecError([p.located(file, {}) for p in exc.problems]) from None
    if builder.problems:
        raise SpecError([p.located(file, {}) for p in builder.problems])
    if not isinstance(data, dict):
        raise SpecError(
            [Problem("the spec must be a YAML mapping (key: value)", file=file, mark=_mark(nodes[0]))]
        )
    return Source(file=file, data=data, marks=builder.marks, key_marks=builder.key_marks)


def load_file(path: str) -> Source:
    """Read and parse a spec file. Raises SpecError (never OSError or UnicodeError)."""
    try:
        raw = open(path, "rb").read()  # noqa: SIM115 - read in one go
    except OSError as exc:
        raise SpecError([Problem(f"cannot read the spec: {exc.strerror}", file=path)]) from None
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
