"""Copies of rendered trees for the `wlid validate` Bicep rules, edited in place, and where a finding points."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bicep_plans import PLANS
from conftest import ROOT, copy_example

from wlid_render.emit.arm import emit_arm
from wlid_render.emit.bicep import emit_bicep
from wlid_render.validate.bicep import check_bicep
from wlid_render.validate.finding import Finding
from wlid_render.validate.tree import RenderedTree

OUT = ROOT / "out"
MAIN = "azure/main.bicep"
ARM = "azure/main.json"
ORDERS = "azure/modules/wlid-id-orders-api.bicep"  # the module of identity orders-api
ORDERS_ARM = "main.json deployment 'wlid-id-orders-api'"  # its nested deployment, as messages name it
ROLES_DATA = "azure/modules/wlid-roles-orders-api-c0393637.bicep"  # a role module of ORDERS


def copy_tree(tmp_path: Path, name: str = "platform") -> Path:
    """A copy of out/<name> (out/platform by default) under `tmp_path`."""
    return copy_example(name, tmp_path)


def edit(root: Path, rel: str, old: str, new: str) -> str:
    """Replace the one occurrence of `old`; returns the new text."""
    path = root / rel
    text = path.read_text("utf-8")
    assert text.count(old) == 1, (rel, old)
    text = text.replace(old, new)
    path.write_text(text, "utf-8")
    return text


def line_of(text: str, start: str) -> int:
    """The 1-based line that starts with `start` (exactly one)."""
    lines = [n for n, line in enumerate(text.split("\n"), start=1) if line.startswith(start)]
    assert len(lines) == 1, (start, lines)
    return lines[0]


def only(root: Path, rule: str | None = None) -> Finding:
    """The one finding of check_bicep (of `rule`, when given)."""
    findings = [f for f in check_bicep(RenderedTree(root)) if rule is None or f.rule == rule]
    assert len(findings) == 1, [f.format() for f in findings]
    return findings[0]


def edit_arm(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change main.json as data; written back as the emitter writes it."""
    path = root / ARM
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def orders_deployment(doc: dict[str, Any]) -> dict[str, Any]:
    (deployment,) = [r for r in doc["resources"] if r["name"] == "wlid-id-orders-api"]
    return deployment


def where(finding: Finding, root: Path) -> tuple[str, str, int | None]:
    return finding.rule, Path(finding.file).relative_to(root).as_posix(), finding.line


# -- clean trees -----------------------------------------------------------------------------------
def write_emitted(root: Path, name: str) -> Path:
    """The ARM and Bicep files of a plan of bicep_plans.PLANS, written under `root`."""
    plan = PLANS[name]()
    for artifact in [*emit_arm(plan), *emit_bicep(plan)]:
        path = root / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.data)
    return root
