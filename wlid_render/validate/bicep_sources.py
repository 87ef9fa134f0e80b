"""The Bicep files of a rendered tree, each read and parsed once; BICEP001 for those that do not parse.

Syntax comes from tree-sitter-bicep (bicep_syntax); no Bicep compiler is needed. A `.bicepparam` file
is parsed as Bicep with its `param x = v` lines read as `var` (bicep_syntax.bicepparam_as_bicep).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wlid_render.validate.bicep_file import BicepFile, read_bicep
from wlid_render.validate.bicep_syntax import Node, bicepparam_as_bicep, parse, syntax_problems
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import top_bicep_files
from wlid_render.validate.tree import RenderedTree, TreeError


def bicep_files(tree: RenderedTree) -> list[str]:
    """The top-level Bicep files (main.bicep first), the modules and the .bicepparam files."""
    return [
        *(t.bicep for t in top_bicep_files(tree)),
        *(f"azure/modules/{name}" for name in tree.names_in("azure/modules") if name.endswith(".bicep")),
        *(f"azure/params/{name}" for name in tree.names_in("azure/params") if name.endswith(".bicepparam")),
    ]


@dataclass
class BicepSources:
    """The Bicep files of a tree whose syntax has been checked, and those of them that parse."""

    tree: RenderedTree
    roots: dict[str, Node] = field(default_factory=dict)  # the files that parse without problems
    checked: set[str] = field(default_factory=set)  # the files BICEP001 has read
    files: dict[str, BicepFile] = field(default_factory=dict)

    def check(self, rel: str) -> list[Finding]:
        """BICEP001 for one file: its first syntax problem, if any."""
        tree = self.tree
        self.checked.add(rel)
        try:
            text = tree.text(rel)
        except TreeError as exc:
            return [Finding(tree.display(rel), None, "BICEP001", "error", str(exc))]
        if rel.endswith(".bicepparam"):
            text = bicepparam_as_bicep(text)
        root = parse(text)
        problems = syntax_problems(root)
        if not problems:
            self.roots[rel] = root
            return []
        first = problems[0]
        what = f"missing {first.missing!r}" if first.missing is not None else f"cannot parse {first.snippet!r}"
        more = f" ({first.further} more syntax errors in this file)" if first.further else ""
        message = f"Bicep syntax error: {what}{more}"
        return [Finding(tree.display(rel), first.line, "BICEP001", "error", message, first.column)]

    def bicep(self, rel: str) -> BicepFile | None:
        """The file read as Bicep; None when it does not parse (BICEP001 says why)."""
        if rel not in self.roots:
            return None
        if rel not in self.files:
            self.files[rel] = read_bicep(self.roots[rel])
        return self.files[rel]
