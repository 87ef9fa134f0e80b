"""Write wlid_render/data/crd_schemas/ from JSON schemas of the custom resources wlid writes.

Run by hand when a schema is updated, with a checkout of datreeio/CRDs-catalog (MIT) or a copy of
its files at their repository paths:

    python scripts/vendor_crd_schemas.py PATH/TO/CRDs-catalog --commit <commit>

The schemas of the objects wlid writes under OUT/gitops are copied at their catalog paths
(<group>/<kind>_<version>.json) with every `description` annotation dropped (they do not take part
in validation; the Argo CD Application schema shrinks from 420 kB to 70 kB); everything else is kept
as it is. The catalog's LICENSE goes beside them and NOTICE.md records the source. Not imported by
the package.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

SCHEMAS = (  # catalog path, what it is
    ("kustomize.toolkit.fluxcd.io/kustomization_v1.json", "Flux Kustomization (kustomize-controller v1)"),
    ("source.toolkit.fluxcd.io/gitrepository_v1.json", "Flux GitRepository (source-controller v1)"),
    ("argoproj.io/application_v1alpha1.json", "Argo CD Application (argoproj.io/v1alpha1)"),
    (
        "secrets-store.csi.x-k8s.io/secretproviderclass_v1.json",
        "Secrets Store CSI driver SecretProviderClass (secrets-store.csi.x-k8s.io/v1)",
    ),
)
OUT_DIR = Path(__file__).resolve().parents[1] / "wlid_render" / "data" / "crd_schemas"
# Keywords whose value is a schema, a list of schemas, or a map of name -> schema.
ONE = ("items", "additionalProperties", "not", "additionalItems", "contains", "propertyNames")
MANY = ("anyOf", "allOf", "oneOf")
NAMED = ("properties", "patternProperties", "definitions", "$defs", "dependencies")


def without_descriptions(schema: Any) -> Any:
    """The schema without `description` annotations; a property that is named `description` stays."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key in ONE:
            out[key] = without_descriptions(value)
        elif key in MANY and isinstance(value, list):
            out[key] = [without_descriptions(item) for item in value]
        elif key in NAMED and isinstance(value, dict):
            out[key] = {name: without_descriptions(item) for name, item in value.items()}
        else:
            out[key] = value
    return out


def notice(commit: str) -> str:
    rows = "\n".join(f"| {path} | {what} |" for path, what in SCHEMAS)
    return f"""# JSON schemas of the custom resources wlid writes

From datreeio/CRDs-catalog (MIT licence, LICENSE beside this file) at commit {commit}, at their
catalog paths (<group>/<kind>_<version>.json). Each is a JSON Schema (draft-07 style) generated from
the project's own CustomResourceDefinition (openAPIV3Schema), with `additionalProperties: false`
where the CRD is structural, so unknown fields are errors as the API server reports them with
`--validate=strict`.

Change made by `scripts/vendor_crd_schemas.py`: every `description` annotation is dropped (they do
not take part in validation); nothing else.

| file | object |
|---|---|
{rows}

`wlid validate` (GITOPS001) checks every object of that apiVersion group, kind and version under
OUT/gitops against its schema, and (KV001) every SecretProviderClass of the built overlays. The
schemas cover `spec` (and `status`); `metadata` is checked by the rule itself.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", type=Path, help="a checkout of datreeio/CRDs-catalog")
    parser.add_argument("--commit", required=True, help="the catalog commit the files come from")
    args = parser.parse_args()
    for path, _ in SCHEMAS:
        schema = json.loads((args.catalog / path).read_text("utf-8"))
        target = OUT_DIR / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(without_descriptions(schema), separators=(",", ":")) + "\n", "utf-8")
    shutil.copyfile(args.catalog / "LICENSE", OUT_DIR / "LICENSE")
    (OUT_DIR / "NOTICE.md").write_text(notice(args.commit), "utf-8")


if __name__ == "__main__":
    main()
