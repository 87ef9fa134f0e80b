"""What the tests of `wlid validate` share: the offline options, edits of a rendered tree's files as
data (written back as the emitters write them), and the findings of a tree by rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from wlid_render.validate.finding import Finding
from wlid_render.validate.run import Options, validate_tree

OFFLINE = Options(use_kubectl=False)


def edit_json(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def edit_yaml(path: Path, change, name: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Change the one document of a YAML file, or of a multi-document file the object named `name`."""
    docs = list(yaml.safe_load_all(path.read_text("utf-8")))
    picked = [d for d in docs if name is None or d["metadata"]["name"] == name]
    assert len(picked) == 1, (path, name)
    change(picked[0])
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")


def rules_of(out: Path, options: Options = OFFLINE) -> dict[str, list[Finding]]:
    """Rule -> its findings in the tree."""
    found: dict[str, list[Finding]] = {}
    for finding in validate_tree(out, options):
        found.setdefault(finding.rule, []).append(finding)
    return found


def messages_of(out: Path) -> dict[str, list[Any]]:
    """Rule -> the messages of its findings in the tree (offline)."""
    return {rule: [f.message for f in findings] for rule, findings in rules_of(out).items()}
