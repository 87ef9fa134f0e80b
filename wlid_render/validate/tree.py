"""A rendered tree on disk, read once: file texts, parsed JSON/YAML, and lazy line lookups."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]


class TreeError(ValueError):
    """A file of the tree cannot be read or parsed; the message names it."""


@dataclass
class RenderedTree:
    root: Path
    _text: dict[str, str] = field(default_factory=dict)
    _json: dict[str, Any] = field(default_factory=dict)
    _yaml: dict[str, list[Any]] = field(default_factory=dict)
    _marks: dict[str, list[dict[Path_, int]]] = field(default_factory=dict)
    _composers: dict[str, Iterator[yaml.Node]] = field(default_factory=dict)

    @cached_property
    def files(self) -> list[str]:
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and ".wlid" not in p.relative_to(self.root).parts
        )

    @cached_property
    def _folders(self) -> dict[str, list[str]]:
        folders: dict[str, list[str]] = {}
        for rel in self.files:
            folder, _, name = rel.rpartition("/")
            folders.setdefault(folder, []).append(name)
        return folders

    def names_in(self, folder: str) -> list[str]:
        """The names of the files directly in `folder` (a relative path, '' for the root), sorted."""
        return self._folders.get(folder, [])

    def display(self, rel: str) -> str:
        """The path as a person should see it: OUT/rel."""
        return (self.root / rel).as_posix()

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def is_dir(self, rel: str) -> bool:
        return (self.root / rel).is_dir()

    def text(self, rel: str) -> str:
        if rel not in self._text:
            try:
                self._text[rel] = (self.root / rel).read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise TreeError(f"cannot read {self.display(rel)}: {exc}") from None
        return self._text[rel]

    def json(self, rel: str) -> Any:
        if rel not in self._json:
            try:
                self._json[rel] = json.loads(self.text(rel))
            except ValueError as exc:
                raise TreeError(f"{self.display(rel)} is not valid JSON: {exc}") from None
        return self._json[rel]

    def yaml_documents(self, rel: str) -> list[Any]:
        if rel not in self._yaml:
            try:
                docs = [d for d in yaml.load_all(self.text(rel), Loader=_Loader) if d is not None]
            except yaml.YAMLError as exc:
                raise TreeError(f"{self.display(rel)} is not valid YAML: {exc}") from None
            self._yaml[rel] = docs
        return self._yaml[rel]

    def line_of(self, rel: str, path: Path_, index: int = 0) -> int | None:
        """The 1-based line of a value (nearest parent) in document `index` of a JSON or YAML file.

        Documents are counted without empty ones. The first lookup in a file composes it once and
        keeps a map of every value's line, so later lookups cost a dictionary probe per path step.
        """
        documents = self._lines(rel, index)
        if index >= len(documents):
            return None
        lines = documents[index]
        while True:
            if path in lines:
                return lines[path]
            if not path:
                return None
            path = path[:-1]

    def _lines(self, rel: str, upto: int) -> list[dict[Path_, int]]:
        """Line maps of the documents of a file, composed lazily up to document `upto`."""
        if rel not in self._marks:
            self._marks[rel] = []
            try:
                self._composers[rel] = yaml.compose_all(self.text(rel), Loader=_Loader)
            except TreeError:
                return []
        documents = self._marks[rel]
        composer = self._composers.get(rel)
        while composer is not None and len(documents) <= upto:
            try:
                node = next(composer)
            except (StopIteration, yaml.YAMLError):
                self._composers.pop(rel, None)
                break
            if not _is_null(node):
                documents.append(_node_lines(node))
        return documents


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _node_lines(root: yaml.Node) -> dict[Path_, int]:
    lines: dict[Path_, int] = {}
    stack: list[tuple[Path_, yaml.Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            stack.extend(((*path, key.value), value) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*path, i), value) for i, value in enumerate(node.value))
    return lines
