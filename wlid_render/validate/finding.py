"""Findings of `wlid validate` and their output formats (text, JSON, SARIF 2.1.0)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from wlid_render.validate.tree import RenderedTree

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Finding:
    file: str  # as the user named it: OUT/relative/path
    line: int | None
    rule: str  # stable rule ID, e.g. WI001
    severity: Severity
    message: str
    column: int | None = None

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.severity} {self.rule}: {self.message}"


@dataclass
class FileFindings:
    """Findings about one JSON or YAML file of a tree, each at the line of a path in it."""

    tree: RenderedTree
    rel: str
    findings: list[Finding]

    def add(
        self, rule: str, message: str, path: tuple[str | int, ...] = (), severity: Severity = "error"
    ) -> None:
        line = self.tree.line_of(self.rel, path) if path else None
        self.findings.append(Finding(self.tree.display(self.rel), line, rule, severity, message))


@dataclass
class TreeFindings:
    """Findings about the files of a tree, each (rule, file, message) once, at a line given or at the
    line of a path in its file."""

    tree: RenderedTree
    findings: list[Finding] = field(default_factory=list)
    seen: set[tuple[str, str, str]] = field(default_factory=set)

    def add(
        self,
        rule: str,
        severity: Severity,
        message: str,
        rel: str,
        path: tuple[str | int, ...] = (),
        line: int | None = None,
    ) -> None:
        key = (rule, rel, message)
        if key in self.seen:
            return
        self.seen.add(key)
        if line is None and path:
            line = self.tree.line_of(rel, path)
        self.findings.append(Finding(self.tree.display(rel), line, rule, severity, message))


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    help: str


def strict(findings: Iterable[Finding]) -> list[Finding]:
    """`--strict`: every warning becomes an error."""
    return [replace(f, severity="error") for f in findings]


def to_json(findings: list[Finding]) -> str:
    return json.dumps({"findings": [asdict(f) for f in findings]}, indent=2) + "\n"


def to_sarif(findings: list[Finding], rules: dict[str, Rule], version: str) -> str:
    """SARIF 2.1.0, the format GitHub code scanning reads."""
    used = sorted({f.rule for f in findings})
    rule_index = {rule: i for i, rule in enumerate(used)}
    results: list[dict[str, Any]] = []
    for f in findings:
        region: dict[str, int] = {}
        if f.line is not None:
            region["startLine"] = f.line
            if f.column is not None:
                region["startColumn"] = f.column
        location: dict[str, Any] = {"artifactLocation": {"uri": f.file}}
        if region:
            location["region"] = region
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_index[f.rule],
                "level": f.severity,
                "message": {"text": f.message},
                "locations": [{"physicalLocation": location}],
            }
        )
    driver_rules = [
        {
            "id": rule,
            "name": rules[rule].title if rule in rules else rule,
            "shortDescription": {"text": rules[rule].title if rule in rules else rule},
            "help": {"text": rules[rule].help if rule in rules else ""},
        }
        for rule in used
    ]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wlid",
                        "version": version,
                        "informationUri": "https://github.com/",
                        "rules": driver_rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
