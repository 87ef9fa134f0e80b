"""Parity of the compiled Bicep templates (`fast.templates`) with their sources in templates/bicep/.

The compiled modules are current (their manifest names these sources and the installed Jinja2), the
packaged templates load from them while they are, and every example renders the same Bicep from them
as from a copy of the sources.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from wlid_render.emit.bicep import default_templates, emit_bicep
from wlid_render.fast import templates
from wlid_render.fast.templates import COMPILED_MANIFEST, COMPILED_TEMPLATES, template_sources
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file


def test_compiled_templates_are_current() -> None:
    manifest = json.loads((COMPILED_TEMPLATES / COMPILED_MANIFEST).read_text("utf-8"))
    assert manifest["templates"] == template_sources(default_templates().resolve()), (
        "templates/bicep changed: run `python scripts/compile_templates.py` and commit the result"
    )


@pytest.mark.parametrize("spec", sorted((ROOT / "specs").glob("*.yaml")), ids=lambda p: p.stem)
def test_compiled_templates_render_what_the_sources_render(spec, tmp_path) -> None:
    """The packaged templates (compiled modules when current) against a copy of their sources."""
    import shutil

    shutil.copytree(default_templates(), tmp_path / "templates")
    plan = plan_source(load_file(str(spec)))
    assert emit_bicep(plan) == emit_bicep(plan, tmp_path / "templates")


def test_the_packaged_templates_use_the_compiled_modules_when_current() -> None:
    import jinja2

    from wlid_render.emit import bicep

    bicep._environment.cache_clear()
    env = bicep._environment(default_templates().resolve())
    expected = (
        jinja2.ModuleLoader
        if templates.compiled_are_current(default_templates().resolve())
        else jinja2.FileSystemLoader
    )
    assert isinstance(env.loader, expected)
    assert templates.compiled_are_current(default_templates().resolve()) == (
        json.loads((templates.COMPILED_TEMPLATES / templates.COMPILED_MANIFEST).read_text("utf-8"))["jinja2"]
        == jinja2.__version__
    )
