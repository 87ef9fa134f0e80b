"""The edits that pin client IDs in a spec's text, each at a place given by the parser's marks.

The text is parsed with PyYAML (the pure-Python parser, whose marks are character offsets into the
text), and each change is one small edit:

* an identity that already has a client ID: its value scalar is replaced, keeping its quotes;
* a missing key in a block mapping: a new line after the mapping's last line, at the mapping's
  indentation (after a trailing comment on that line, before any comment lines that follow);
* a missing key in a flow mapping (`clientIds: {a: b}`): a new entry inside the braces, after the last
  entry (`{a: b, c: d}`); flow mappings are edited inside their braces, never converted to block style;
* a key whose value is empty (`prod:`, `clientIds: ~`): the nested block is written under it (in a
  flow mapping, a flow mapping takes the place of the empty value);
* no `environments` at all: `environments:` is appended at the end of the file in block style (before
  a `...` document end marker, if there is one; inside the braces if the whole spec is a flow mapping).

New keys go after the existing ones, in the order given. Nested blocks are indented by the step the
file already uses (two spaces when it has no nested block mapping). Line endings follow the file.

Nodes are built from parser events rather than the composer's node graph, because an alias node in that
graph carries the marks of its anchor, not of the alias. A mapping or value that is a YAML alias, or
whose anchor is used by an alias, is not edited (the edit would change the other place too): that is
reported as a problem. bind.py checks the edited text before it is returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from wlid_render.errors import Mark, Path, Problem, SpecError

NULLS = frozenset({"", "~", "null", "Null", "NULL"})
STR_TAG = "tag:yaml.org,2002:str"
PLAIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
PROPERTIES_RE = re.compile(r"(?:[&!]\S*[ \t]+)*")  # an anchor and/or tag before a scalar on its line

Tree = dict[str, "Tree | str"]


@dataclass(eq=False)
class _Node:
    kind: str  # "map" | "seq" | "scalar" | "alias"
    start: int  # character offsets into the text; `end` is past the node (past '}' for a flow mapping)
    end: int
    line: int  # 0-based, of `start`
    column: int
    flow: bool = False
    style: str | None = None
    value: str = ""
    tag: str | None = None
    anchor: str | None = None
    alias_of: str | None = None
    items: list[Any] = field(default_factory=list)  # (key, value) pairs for a map, nodes for a seq

    @property
    def mark(self) -> Mark:
        return Mark(self.line + 1, self.column + 1)

    def is_null(self) -> bool:
        return self.kind == "scalar" and self.style is None and self.tag is None and self.value in NULLS


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str


class SpecText:
    """A spec's text, the nodes its parser events give, and the edits made to it so far."""

    def __init__(self, text: str, file: str):
        self.text = text
        self.file = file
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.edits: list[_Edit] = []
        self.used_anchors: set[str] = set()
        try:
            self.root = self._build(yaml.parse(text, Loader=yaml.SafeLoader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = Mark(mark.line + 1, mark.column + 1) if mark else None
            raise SpecError(
                [Problem(f"not valid YAML: {exc.problem or exc.context}", file=file, mark=where)]
            ) from None
        except yaml.YAMLError as exc:
            raise SpecError([Problem(f"not valid YAML: {exc}", file=file)]) from None
        self.step = self._indent_step(self.root) or 2

    # -- reading ---------------------------------------------------------------------------------
    def _build(self, events: Any) -> _Node:
        stack: list[_Node] = []
        pending_key: list[_Node | None] = []
        root: _Node | None = None

        def add(node: _Node) -> None:
            nonlocal root
            if not stack:
                root = root or node
                return
            parent = stack[-1]
            if parent.kind == "seq":
                parent.items.append(node)
            elif pending_key[-1] is None:
                pending_key[-1] = node
            else:
                parent.items.append((pending_key[-1], node))
                pending_key[-1] = None

        for event in events:
            start, end = event.start_mark, event.end_mark
            if isinstance(event, yaml.ScalarEvent):
                add(
                    _Node(
                        "scalar",
                        start.index,
                        end.index,
                        start.line,
                        start.column,
                        style=event.style,
                        value=event.value,
                        tag=event.tag,
                        anchor=event.anchor,
                    )
                )
            elif isinstance(event, yaml.AliasEvent):
                self.used_anchors.add(event.anchor)
                add(_Node("alias", start.index, end.index, start.line, start.column, alias_of=event.anchor))
            elif isinstance(event, yaml.CollectionStartEvent):
                kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
                node = _Node(
                    kind,
                    start.index,
                    end.index,
                    start.line,
                    start.column,
                    flow=bool(event.flow_style),
                    tag=event.tag,
                    anchor=event.anchor,
                )
                add(node)
                stack.append(node)
                pending_key.append(None)
            elif isinstance(event, yaml.CollectionEndEvent):
                node = stack.pop()
                pending_key.pop()
                node.end = end.index
        assert root is not None  # load_text has rejected an empty file
        return root

    def _indent_step(self, node: _Node) -> int | None:
        """How far the file indents a block mapping under its key (the first example found)."""
        if node.kind == "map":
            for key, value in node.items:
                nested = not node.flow and value.kind == "map" and not value.flow and value.items
                if nested and value.items[0][0].column > key.column:
                    return value.items[0][0].column - key.column
                found = self._indent_step(value)
                if found:
                    return found
        elif node.kind == "seq":
            for item in node.items:
                found = self._indent_step(item)
                if found:
                    return found
        return None

    def _content_end(self, node: _Node) -> int:
        """Offset just past the last character of the node's own text (no trailing breaks or comments)."""
        if node.kind in ("map", "seq") and not node.flow and node.items:
            last = node.items[-1]
            return self._content_end(last[1] if node.kind == "map" else last)
        if node.kind == "scalar" and node.style in ("|", ">"):
            return node.start + len(self.text[node.start : node.end].rstrip())
        return node.end

    def _line_end(self, offset: int) -> int:
        """Offset of the line break that ends the line holding `offset` (the text's end if none)."""
        at = self.text.find("\n", offset)
        if at == -1:
            return len(self.text)
        if at > 0 and self.text[at - 1] == "\r":
            at -= 1
        return at

    @staticmethod
    def _find(mapping: _Node, key: str) -> tuple[_Node, _Node] | None:
        for k, v in mapping.items:
            if k.kind == "scalar" and k.value == key:
                return k, v
        return None

    # -- problems --------------------------------------------------------------------------------
    def _problem(self, message: str, path: Path, node: _Node, hint: str) -> SpecError:
        return SpecError([Problem(message, path, hint=hint, file=self.file, mark=node.mark)])

    def _editable(self, node: _Node, path: Path) -> None:
        if node.kind == "alias":
            raise self._problem(
                f"is a YAML alias (*{node.alias_of}); editing it would change the anchored value too",
                path,
                node,
                "write the value out in place of the alias",
            )
        if node.anchor is not None and node.anchor in self.used_anchors:
            raise self._problem(
                f"has a YAML anchor (&{node.anchor}) used elsewhere; editing it would change those places too",
                path,
                node,
                "write the values out in place of the aliases",
            )

    # -- editing ---------------------------------------------------------------------------------
    def bind(self, env: str, wanted: Mapping[str, str]) -> None:
        self._set_in(self.root, (), ["environments", env, "clientIds"], dict(wanted))

    def _set_in(self, mapping: _Node, path: Path, keys: list[str], leaves: dict[str, str]) -> None:
        """Make `mapping[keys...]` hold every entry of `leaves`; `mapping` is the node at `path`."""
        self._editable(mapping, path)
        if mapping.kind != "map":
            raise self._problem("must be a mapping (key: value)", path, mapping, "")
        if keys:
            key, rest = keys[0], keys[1:]
            subtree: Tree = dict(leaves)
            for name in reversed(rest):
                subtree = {name: subtree}
            found = self._find(mapping, key)
            if found is None:
                self._insert(mapping, {key: subtree})
            elif found[1].is_null():
                self._fill(mapping, *found, subtree, (*path, key))
            else:
                self._set_in(found[1], (*path, key), rest, leaves)
            return
        missing: Tree = {}
        for name, guid in leaves.items():
            found = self._find(mapping, name)
            if found is None:
                missing[name] = guid
            else:
                self._replace(found[1], guid, (*path, name))
        if missing:
            self._insert(mapping, missing)

    def _replace(self, node: _Node, guid: str, path: Path) -> None:
        self._editable(node, path)
        if node.kind != "scalar":
            raise self._problem(
                "must be a client ID (a GUID), not a collection",
                path,
                node,
                "write the GUID as a plain value",
            )
        if node.value == guid and node.tag in (None, STR_TAG, "!"):
            return
        start = node.start
        if node.anchor is not None or node.tag is not None:
            match = PROPERTIES_RE.match(self.text, start)
            start = match.end() if match else start
        end = self._content_end(node)
        quote = node.style if node.style in ("'", '"') else ""
        self.edits.append(_Edit(start, end, f"{quote}{guid}{quote}"))

    def _insert(self, mapping: _Node, tree: Tree) -> None:
        """Add the entries of `tree` after the last entry of `mapping`."""
        if mapping.flow:
            entries = ", ".join(self._flow_entries(tree))
            if mapping.items:
                self.edits.append(_Edit(*[self._content_end(mapping.items[-1][1])] * 2, ", " + entries))
            else:
                closing = mapping.end - 1  # the '}'
                self.edits.append(_Edit(closing, closing, entries))
            return
        lines = self._block_lines(tree, mapping.items[0][0].column)
        if mapping is self.root:
            self._append(lines)
            return
        at = self._line_end(self._content_end(mapping))
        self.edits.append(_Edit(at, at, "".join(self.newline + line for line in lines)))

    def _fill(self, parent: _Node, key: _Node, null: _Node, tree: Tree, path: Path) -> None:
        """Write `tree` as the value of `key` (at `path`), whose value is empty or null."""
        self._editable(null, path)
        if parent.flow:
            between = self.text[key.end : null.start]
            prefix = "" if ":" in between else ": "
            if prefix == "" and not between.endswith((" ", "\t")) and null.start == null.end:
                prefix = " "
            self.edits.append(
                _Edit(null.start, null.end, prefix + "{" + ", ".join(self._flow_entries(tree)) + "}")
            )
            return
        if null.end > null.start:  # an explicit `null` or `~`: remove it, keep any comment after it
            self.edits.append(_Edit(null.start, null.end, ""))
        at = self._line_end(max(key.end, null.end))
        lines = self._block_lines(tree, key.column + self.step)
        self.edits.append(_Edit(at, at, "".join(self.newline + line for line in lines)))

    def _append(self, lines: list[str]) -> None:
        """Add top-level lines at the end of the file (before a `...` document end marker, if any)."""
        content_end = self._content_end(self.root)
        marker = re.compile(r"^\.\.\.(?=[ \t\r\n]|$)", re.MULTILINE).search(self.text, content_end)
        block = "".join(line + self.newline for line in lines)
        if marker is not None:
            self.edits.append(_Edit(marker.start(), marker.start(), block))
            return
        at = len(self.text)
        needs_break = self.text and not self.text.endswith(("\n", "\r"))
        self.edits.append(_Edit(at, at, (self.newline if needs_break else "") + block))

    def _block_lines(self, tree: Tree, column: int) -> list[str]:
        lines = []
        for key, value in tree.items():
            if isinstance(value, dict):
                lines.append(f"{' ' * column}{_scalar(key)}:")
                lines.extend(self._block_lines(value, column + self.step))
            else:
                lines.append(f"{' ' * column}{_scalar(key)}: {_scalar(value)}")
        return lines

    def _flow_entries(self, tree: Tree) -> list[str]:
        out = []
        for key, value in tree.items():
            if isinstance(value, dict):
                out.append(f"{_scalar(key)}: {{{', '.join(self._flow_entries(value))}}}")
            else:
                out.append(f"{_scalar(key)}: {_scalar(value)}")
        return out

    def result(self) -> str:
        text = self.text
        for edit in sorted(self.edits, key=lambda e: (e.start, e.end), reverse=True):
            text = text[: edit.start] + edit.text + text[edit.end :]
        return text


def _scalar(value: str) -> str:
    """A plain scalar when YAML reads it back as the same string, else a double-quoted one."""
    if (
        PLAIN_RE.fullmatch(value)
        and yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, (True, False)) == STR_TAG
    ):
        return value
    return json.dumps(value, ensure_ascii=False)
