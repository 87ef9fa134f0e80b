"""A rendered tree on disk, read once: file texts, parsed JSON/YAML, and lazy line lookups."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml

from wlid_render.input_limits import TREE_FILE_MAX_BYTES, InputError, load_json, read_bounded
from wlid_render.validate.yaml_stream import YamlLimitError, load_documents

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]
T = TypeVar("T")

TREE_MAX_ENTRIES = 200_000  # entries of a tree walked, at most (the 10,000-workload tree has 1,600)
JSON_VALUE_BUDGET = 4_000_000  # brackets, braces and commas of one JSON file, at most


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
    _derived: dict[Hashable, Any] = field(default_factory=dict)

    @cached_property
    def files(self) -> list[str]:
        """The regular files of the tree, found without following links or leaving its filesystem.

        The tree's own bookkeeping (.wlid) and a Git folder are skipped; more than TREE_MAX_ENTRIES
        entries is a TreeError (a folder that is not a rendered tree, like `/`)."""
        root = os.stat(self.root)  # a tree given as a link is the folder it points to
        found: list[str] = []
        seen = 0
        stack = [("", str(self.root))]
        while stack:
            rel, folder = stack.pop()
            try:
                items = list(os.scandir(folder))
            except OSError as exc:
                raise TreeError(f"cannot read {self.display(rel)}: {exc.strerror or exc}") from None
            for item in items:
                seen += 1
                if seen > TREE_MAX_ENTRIES:
                    raise TreeError(
                        f"{self.root.as_posix()} holds more than {TREE_MAX_ENTRIES:,} entries; "
                        "is it a rendered tree?"
                    )
                path = f"{rel}/{item.name}" if rel else item.name
                if item.is_dir(follow_symlinks=False):
                    if path not in (".wlid", ".git") and item.stat(follow_symlinks=False).st_dev == root.st_dev:
                        stack.append((path, item.path))
                elif item.is_file(follow_symlinks=False):
                    found.append(path)
        return sorted(found)

    def looks_rendered(self) -> bool:
        """An empty folder, or one with azure/, k8s/ or .wlid/: a folder like `/` is not walked."""
        if any(os.path.lexists(self.root / name) for name in ("azure", "k8s", ".wlid")):
            return True
        try:
            with os.scandir(self.root) as items:
                return next(items, None) is None
        except OSError:
            return True  # the walk reports why it cannot be read

    @cached_property
    def _file_set(self) -> frozenset[str]:
        return frozenset(self.files)

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
        """`rel` is a regular file of the tree (reached without following a link)."""
        return rel in self._file_set

    def is_dir(self, rel: str) -> bool:
        return (self.root / rel).is_dir()

    def text(self, rel: str) -> str:
        if rel not in self._text:
            if rel not in self._file_set:
                raise TreeError(f"cannot read {self.display(rel)}: not a file of the tree")
            try:
                raw = read_bounded(self.root / rel, TREE_FILE_MAX_BYTES, "the file")
                self._text[rel] = raw.decode("utf-8")
            except InputError as exc:
                raise TreeError(f"{self.display(rel)}: {exc}") from None
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                raise TreeError(f"{self.display(rel)}: not UTF-8 text (line {line})") from None
        return self._text[rel]

    def json(self, rel: str) -> Any:
        if rel not in self._json:
            text = self.text(rel)
            if text.count("[") + text.count("{") + text.count(",") > JSON_VALUE_BUDGET:
                raise TreeError(f"{self.display(rel)} holds more than {JSON_VALUE_BUDGET:,} JSON values")
            try:
                self._json[rel] = load_json(text)
            except InputError as exc:
                raise TreeError(f"{self.display(rel)}: {exc}") from None
            except ValueError as exc:
                raise TreeError(f"{self.display(rel)} is not valid JSON: {exc}") from None
        return self._json[rel]

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """A value read from the tree's files (a template read into a model...), built once per tree."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]  # type: ignore[no-any-return]

    def yaml_documents(self, rel: str) -> list[Any]:
        if rel not in self._yaml:
            try:
                docs = [d for d in load_documents(self.text(rel)) if d is not None]
            except yaml.YAMLError as exc:
                raise TreeError(f"{self.display(rel)} is not valid YAML: {exc}") from None
            except YamlLimitError as exc:
                raise TreeError(f"{self.display(rel)}: {exc}") from None
            self._yaml[rel] = docs
        return self._yaml[rel]

    def _loads(self, rel: str) -> bool:
        """The file loads within the limits, as JSON (.json) or YAML: only then is it composed for lines."""
        try:
            if rel.endswith(".json"):
                self.json(rel)
            else:
                self.yaml_documents(rel)
        except TreeError:
            return False
        return True

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
            if not self._loads(rel):
                return []
            self._composers[rel] = yaml.compose_all(self.text(rel), Loader=_Loader)
        documents = self._marks[rel]
        composer = self._composers.get(rel)
        while composer is not None and len(documents) <= upto:
            try:
                node = next(composer)
            except (StopIteration, yaml.YAMLError, RecursionError):
                self._composers.pop(rel, None)
                break
            if not _is_null(node):
                documents.append(_node_lines(node))
        return documents


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _node_lines(root: yaml.Node) -> dict[Path_, int]:
    """The line of every value by path. An aliased node is entered once (its first path), so a file
    of aliases costs its own size, never the size of what the aliases stand for."""
    lines: dict[Path_, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Path_, yaml.Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode) or id(node) in entered:
            continue
        entered.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(((*path, key.value), value) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*path, i), value) for i, value in enumerate(node.value))
    return lines
