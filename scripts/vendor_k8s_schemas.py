"""Write wlid_render/data/k8s_schemas/v1.XX.json from the schemas bundled with kubernetes-validate.

Run by hand when the supported Kubernetes versions or the checked kinds change:

    pip install kubernetes-validate
    python scripts/vendor_k8s_schemas.py

For each version, one compact JSON Schema (draft 2020-12) file holds the strict schemas of the kinds
wlid writes, plus the shared definitions they reach through `$ref`, with every `$ref` rewritten to
`#/$defs/<name>` so that the file resolves on its own. `description` annotations are dropped unless
`--keep-descriptions` is given; they do not take part in validation. Not imported by the package.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from importlib import metadata, resources
from pathlib import Path
from typing import Any

VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34")
KINDS = (  # (apiVersion, kind)
    ("v1", "Namespace"),
    ("v1", "ServiceAccount"),
    ("v1", "Pod"),
    ("v1", "ConfigMap"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
)
DEFINITIONS_URL = "/api/_definitions.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
OUT_DIR = Path(__file__).resolve().parents[1] / "wlid_render" / "data" / "k8s_schemas"

Schema = dict[str, Any]


def source_dir(version: str) -> Any:
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    folder = root / f"v{version}.0-local-strict"
    if not folder.is_dir():
        raise SystemExit(f"kubernetes-validate {package_version()} has no strict schemas for {version}")
    return folder


def package_version() -> str:
    return metadata.version("kubernetes-validate")


def file_stem(api_version: str, kind: str) -> str:
    """kubernetes-validate's file name: deployment-apps-v1, pod-v1."""
    group, _, version = api_version.rpartition("/")
    return "-".join(part for part in (kind.lower(), group.split(".", 1)[0], version) if part)


def local_ref(ref: str) -> str:
    """`/api/_definitions.json#/$defs/X` or `#/$defs/X` -> `#/$defs/X`."""
    target, sep, fragment = ref.partition("#")
    if not sep or target not in ("", DEFINITIONS_URL) or not fragment.startswith("/$defs/"):
        raise SystemExit(f"unexpected $ref {ref!r}")
    return f"#{fragment}"


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def definition_name(ref: str) -> str:
    return local_ref(ref).removeprefix("#/$defs/").replace("~1", "/").replace("~0", "~")


def rewrite(node: Any, keep_descriptions: bool, in_properties: bool = False) -> Any:
    """A copy with local refs and, unless kept, without `description` annotations.

    Keys of a `properties` map are field names, not keywords: a field called `description` stays.
    """
    if isinstance(node, list):
        return [rewrite(item, keep_descriptions) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for key, value in node.items():
        if key == "description" and not in_properties and not keep_descriptions:
            continue
        if key == "$ref" and not in_properties:
            out[key] = local_ref(value)
            continue
        out[key] = rewrite(value, keep_descriptions, key == "properties" and not in_properties)
    return out


def closure(roots: list[Schema], definitions: dict[str, Schema]) -> list[str]:
    """Names of every definition reachable from the roots, sorted."""
    seen: set[str] = set()
    pending = [definition_name(ref) for root in roots for ref in refs_in(root)]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        if name not in definitions:
            raise SystemExit(f"$ref to missing definition {name}")
        seen.add(name)
        pending.extend(definition_name(ref) for ref in refs_in(definitions[name]))
    return sorted(seen)


def kind_name(api_version: str, kind: str) -> str:
    """The `$defs` name of a kind's top-level schema: kind.apps.v1.Deployment, kind.core.v1.Pod."""
    group, _, version = api_version.rpartition("/")
    return f"kind.{group or 'core'}.{version}.{kind}"


def build(version: str, keep_descriptions: bool) -> Schema:
    folder = source_dir(version)
    definitions: dict[str, Schema] = json.loads((folder / "_definitions.json").read_text("utf-8"))["$defs"]
    kinds: dict[str, dict[str, str]] = {}
    tops: dict[str, Schema] = {}
    for api_version, kind in KINDS:
        schema = json.loads((folder / f"{file_stem(api_version, kind)}.json").read_text("utf-8"))
        if schema.get("$schema") != DRAFT:
            raise SystemExit(f"{file_stem(api_version, kind)}: expected {DRAFT}, got {schema.get('$schema')}")
        name = kind_name(api_version, kind)
        if name in definitions:
            raise SystemExit(f"{name} would hide a definition of the same name")
        kinds.setdefault(api_version, {})[kind] = name
        tops[name] = {k: v for k, v in schema.items() if k not in ("$id", "$schema")}
    reached = {name: definitions[name] for name in closure(list(tops.values()), definitions)}
    return {
        "$schema": DRAFT,
        "$id": f"urn:wlid:k8s-schemas:v{version}",
        "$comment": (
            f"Strict schemas of Kubernetes {version} for the kinds wlid writes; generated by "
            f"scripts/vendor_k8s_schemas.py from kubernetes-validate {package_version()} "
            f"(v{version}.0-local-strict). Apache-2.0; see NOTICE.md."
        ),
        "kinds": kinds,
        "$defs": {name: rewrite(schema, keep_descriptions) for name, schema in {**tops, **reached}.items()},
    }


def notice() -> str:
    kinds = "\n".join(f"- {kind} {api_version}" for api_version, kind in KINDS)
    return f"""# Kubernetes JSON schemas (vendored)

`v{VERSIONS[0]}.json` .. `v{VERSIONS[-1]}.json` hold, for Kubernetes {VERSIONS[0]} to {VERSIONS[-1]}, the strict JSON
schemas (draft 2020-12) of these kinds, and only the shared definitions they reach through `$ref`:

{kinds}

Source: the `kubernetes-json-schema/v1.XX.0-local-strict/` folders bundled with the Python package
kubernetes-validate {package_version()} (https://github.com/willthames/kubernetes-validate), which derives
them from the OpenAPI specification published by the Kubernetes project
(https://github.com/kubernetes/kubernetes, `api/openapi-spec`).

Changes made by `scripts/vendor_k8s_schemas.py`: the schemas are copied into one file per version
under `$defs`. Each kind's top-level schema, without its `$id` and `$schema`, is stored as
`$defs/kind.<group>.<version>.<Kind>` (`kind.core.v1.Pod`, `kind.apps.v1.Deployment`), and `kinds` maps
apiVersion -> kind -> that name. Every `$ref` is rewritten to `#/$defs/<name>` so that the file
resolves on its own. `description` annotations are removed to keep the files small; they do not take
part in validation. Nothing else is changed.

Licence: Apache License, Version 2.0, for both the Kubernetes OpenAPI specification (Copyright The
Kubernetes Authors) and kubernetes-validate (Copyright (C) 2018 Will Thames). A copy of the licence is
at https://www.apache.org/licenses/LICENSE-2.0.

Regenerate (for example after changing the supported versions or kinds in the script):

    pip install kubernetes-validate
    python scripts/vendor_k8s_schemas.py
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--keep-descriptions", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for version in VERSIONS:
        document = build(version, args.keep_descriptions)
        path = args.out / f"v{version}.json"
        path.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n", "utf-8")
        print(f"{path.name}: {path.stat().st_size:,} bytes, {len(document['$defs'])} definitions")
    (args.out / "NOTICE.md").write_text(notice(), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
