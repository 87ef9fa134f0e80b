"""Compile the Bicep templates of templates/bicep/ to Python modules under
wlid_render/fast/compiled_templates/, with a manifest of their sources and the Jinja2 version.

Run after changing a template or upgrading Jinja2 (a test fails while they are out of date):

    PYTHONPATH=. python scripts/compile_templates.py   # or after pip install -e .

wlid uses the compiled modules only while the manifest matches the template sources and the installed
Jinja2 (wlid_render/fast/templates.py); otherwise it compiles the templates at start, as before, with
the same output.
"""

from __future__ import annotations

import json
import shutil

import jinja2

from wlid_render.emit.bicep import default_templates, template_environment
from wlid_render.fast.templates import COMPILED_MANIFEST, COMPILED_TEMPLATES, compiled_manifest


def main() -> None:
    source = default_templates().resolve()
    shutil.rmtree(COMPILED_TEMPLATES, ignore_errors=True)
    COMPILED_TEMPLATES.mkdir()
    env = template_environment(jinja2.FileSystemLoader(str(source)))
    env.compile_templates(str(COMPILED_TEMPLATES), zip=None, ignore_errors=False)
    manifest = compiled_manifest(source)
    (COMPILED_TEMPLATES / COMPILED_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    print(f"compiled {len(manifest['templates'])} templates into {COMPILED_TEMPLATES}")


if __name__ == "__main__":
    main()
