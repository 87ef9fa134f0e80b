"""The packaged Bicep templates compiled ahead of time to Python modules (`compiled_templates/`).

The plain equivalent they must match: the template sources in templates/bicep/, which Jinja2 parses
and compiles at every start (`jinja2.FileSystemLoader`). That takes longer than a small render
itself, so scripts/compile_templates.py compiles them once, with the same environment, and records
the SHA-256 of every source and the Jinja2 version in `compiled_templates/manifest.json`. The compiled
modules are used only while that manifest matches the sources and the installed Jinja2; otherwise the
templates compile as usual, with the same output. Proven by tests/fast/test_templates.py (the
manifest is current, and every example renders the same Bicep from the compiled modules as from a
copy of the sources).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jinja2

COMPILED_TEMPLATES = Path(__file__).resolve().parent / "compiled_templates"
COMPILED_MANIFEST = "manifest.json"


def template_sources(directory: Path) -> dict[str, str]:
    """Template name -> SHA-256 of its source, for every template of a template directory."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*.j2"))
    }


def compiled_manifest(directory: Path) -> dict[str, Any]:
    """What the manifest of templates compiled from `directory` with this Jinja2 records."""
    return {"jinja2": jinja2.__version__, "templates": template_sources(directory)}


def compiled_are_current(directory: Path) -> bool:
    """Whether the compiled templates were made from exactly these sources with this Jinja2."""
    try:
        manifest = json.loads((COMPILED_TEMPLATES / COMPILED_MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return manifest == compiled_manifest(directory)


def compiled_loader(directory: Path) -> jinja2.BaseLoader | None:
    """The compiled modules of the templates of `directory` while they are current, else None."""
    if compiled_are_current(directory):
        return jinja2.ModuleLoader(str(COMPILED_TEMPLATES))
    return None
