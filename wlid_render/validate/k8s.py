"""Kubernetes checks of a rendered tree: built overlay objects against strict schemas, and kubectl.

K8S001 (error)    an object of an overlay does not match the strict schema of its kind
K8S002 (error)    `kubectl kustomize` fails on a folder GitOps builds (kustomize.py; only when kubectl
                  is on PATH)
K8S004 (warning)  no vendored schema for an object's kind: the object is not checked
K8S007 (error)    a map key that starts with `$` in a file under k8s/: kustomize reads `$patch`,
                  `$retainKeys`, `$setElementOrder/...` of a patch as strategic-merge directives
                  (delete, replace, reorder), never as data; wlid refuses such keys in the spec
K8S008 (warning)  a bare Pod or a Job without the annotations Flux (`kustomize.toolkit.fluxcd.io/force:
                  enabled`) and Argo CD (`argocd.argoproj.io/sync-options: Force=true,Replace=true`)
                  need to replace it when its pod template changes (the template is immutable)
K8S006 (error)    a plain scalar that PyYAML reads as a string but a Go YAML reader (kubectl,
                  kustomize, Flux, Argo CD) may read as a number, boolean or null (go_numbers.py)

The schemas are vendored per Kubernetes version under wlid_render/data/k8s_schemas (see NOTICE.md
there). Each finding names the file to fix: the base file that defines the object, or the overlay
patch when the offending value was set by a patch. An error found the same way in several overlays
is reported once, naming them.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource

from wlid_render.formats import DEFAULT_KUBERNETES_VERSION as DEFAULT_VERSION
from wlid_render.formats import check_kubernetes_version as check_version
from wlid_render.formats import kubernetes_schema as schema_document
from wlid_render.kubernetes_keys import (
    ARGOCD_RECREATE,
    ARGOCD_SYNC_OPTIONS,
    FLUX_FORCE,
    FLUX_FORCE_ENABLED,
    RECREATED_KINDS,
)
from wlid_render.validate.finding import Finding, Severity
from wlid_render.validate.go_numbers import go_number_findings
from wlid_render.validate.overlays import (
    BuiltObject,
    blame,
    line_in_document,
)
from wlid_render.validate.tree import Path_, RenderedTree, TreeError

MESSAGE_LIMIT = 300


# -- schemas --------------------------------------------------------------------------------------
@functools.cache
def schema_registry(version: str) -> Registry:
    document = schema_document(version)
    return Registry().with_resource(document["$id"], Resource.from_contents(document)).crawl()


@functools.cache
def validator_for(version: str, api_version: str, kind: str) -> Validator | None:
    """The compiled validator of a kind, built once per (version, apiVersion, kind); None without a schema."""
    document = schema_document(version)
    name = document["kinds"].get(api_version, {}).get(kind)
    if name is None:
        return None
    schema = {"$schema": document["$schema"], "$ref": f"{document['$id']}#/$defs/{name}"}
    cls = jsonschema.validators.validator_for(document)
    return cls(schema, registry=schema_registry(version))


@functools.cache
def fast_check(version: str, api_version: str, kind: str) -> Any:
    """A compiled jsonschema-rs validator of the same schema as `validator_for`, or None.

    It answers valid/invalid a few hundred times faster; only invalid objects go through the
    jsonschema validator, whose errors name the field.
    """
    document = schema_document(version)
    name = document["kinds"].get(api_version, {}).get(kind)
    if name is None:
        return None
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - an optional accelerator
        return None
    schema = {key: value for key, value in document.items() if key not in ("$id", "kinds", "$comment")}
    schema["$ref"] = f"#/$defs/{name}"
    return jsonschema_rs.validator_for(schema)


# -- K8S001 and K8S004 ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Problem:
    """One problem of one object, before it is told apart per overlay."""

    rule: str
    severity: Severity
    file: str  # tree-relative
    line: int | None
    text: str  # "<label>: <path>: <message>"


def dotted(path: Path_) -> str:
    """spec.template.spec.containers[0].image"""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _short(message: str) -> str:
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."


def _blamed_path(error: ValidationError) -> Path_:
    """The path whose line a person should look at: the unexpected or missing key when there is one."""
    path: Path_ = tuple(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = next((k for k in instance if k not in known), None)
        return path if extra is None else (*path, extra)
    if error.validator == "required" and isinstance(instance, dict):
        missing = [p for p in error.validator_value if p not in instance and repr(p) in error.message]
        return (*path, missing[0]) if missing else path
    return path


# Custom resources checked against their CRD schema by another rule: SecretProviderClass, KV001
# (validate/keyvault.py).
CHECKED_ELSEWHERE = frozenset({("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass")})


def _object_problems(tree: RenderedTree, built: BuiltObject, version: str) -> Iterator[_Problem]:
    obj = built.obj
    validator = validator_for(version, obj["apiVersion"], obj["kind"])
    if validator is None and (obj["apiVersion"], obj["kind"]) in CHECKED_ELSEWHERE:
        return
    if validator is None:
        line = line_in_document(tree, built.source, built.index, ("kind",))
        text = f"{built.label}: no schema for kind {obj['kind']} ({obj['apiVersion']}); not checked"
        yield _Problem("K8S004", "warning", built.source, line, text)
        return
    fast = fast_check(version, obj["apiVersion"], obj["kind"])
    if fast is not None and fast.is_valid(obj):
        return
    for error in validator.iter_errors(obj):
        file, line = blame(tree, built, _blamed_path(error))
        shown = dotted(tuple(error.absolute_path))
        prefix = f"{built.label}: {shown}: " if shown else f"{built.label}: "
        yield _Problem("K8S001", "error", file, line, prefix + _short(error.message))


def _schema_findings(
    tree: RenderedTree, overlays: dict[str, list[BuiltObject]], version: str
) -> list[Finding]:
    seen: dict[int, list[_Problem]] = {}  # id(obj) -> problems: unpatched objects are shared by overlays
    where: dict[_Problem, list[str]] = {}  # problem -> overlays, in first-seen order
    for name, objects in overlays.items():
        for built in objects:
            if id(built.obj) not in seen:
                seen[id(built.obj)] = list(_object_problems(tree, built, version))
            for problem in seen[id(built.obj)]:
                names = where.setdefault(problem, [])
                if name not in names:
                    names.append(name)
    return [_finding(tree, problem, names, version) for problem, names in where.items()]


def _finding(tree: RenderedTree, problem: _Problem, overlays: list[str], version: str) -> Finding:
    noun = "overlay" if len(overlays) == 1 else "overlays"
    message = f"{problem.text} ({noun} {', '.join(overlays)}, Kubernetes {version})"
    return Finding(tree.display(problem.file), problem.line, problem.rule, problem.severity, message)


# -- K8S002 (kustomize.py) ------------------------------------------------------------------------
def kubectl_available() -> bool:
    """Whether K8S002 can run; when not, the caller may print a note."""
    return shutil.which("kubectl") is not None


# -- K8S007 ---------------------------------------------------------------------------------------
def _directive_keys(node: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("$"):
                yield (*path, key)
            yield from _directive_keys(value, (*path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _directive_keys(item, (*path, i))


def directive_findings(tree: RenderedTree) -> list[Finding]:
    """K8S007 for every `$` key of every YAML document under k8s/ (resources, patches, Components)."""
    findings = []
    for rel in tree.files:
        if not rel.startswith("k8s/") or not rel.endswith((".yaml", ".yml")):
            continue
        try:
            documents = tree.yaml_documents(rel)
        except TreeError:
            continue  # reported by the overlay builder
        for index, document in enumerate(documents):
            for path in _directive_keys(document):
                message = (
                    f"{dotted(path)}: a key that starts with '$' is a strategic-merge directive to kustomize "
                    f"({path[-1]} deletes, replaces or reorders what it stands in), not data"
                )
                line = tree.line_of(rel, path, index)
                findings.append(Finding(tree.display(rel), line, "K8S007", "error", message))
    return findings


# -- K8S008 ---------------------------------------------------------------------------------------
def _sync_options(value: Any) -> set[str]:
    """Argo CD's sync options as it reads them: comma-separated, spaces trimmed."""
    return {part.strip() for part in value.split(",")} if isinstance(value, str) else set()


def recreate_findings(tree: RenderedTree, overlays: dict[str, list[BuiltObject]]) -> list[Finding]:
    """K8S008 for every bare Pod and Job of the overlays, once per object however many overlays."""
    findings: dict[tuple[str, int | None, str], Finding] = {}
    for built in (b for objects in overlays.values() for b in objects):
        if built.obj.get("kind") not in RECREATED_KINDS:
            continue
        meta = built.obj.get("metadata") or {}
        annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        missing = []
        if annotations.get(FLUX_FORCE) != FLUX_FORCE_ENABLED:
            missing.append(f"{FLUX_FORCE}: {FLUX_FORCE_ENABLED} (Flux)")
        if not set(ARGOCD_RECREATE.split(",")) <= _sync_options(annotations.get(ARGOCD_SYNC_OPTIONS)):
            missing.append(f"{ARGOCD_SYNC_OPTIONS}: {ARGOCD_RECREATE} (Argo CD)")
        if not missing:
            continue
        rel, line = blame(tree, built, ("metadata", "annotations"))
        message = (
            f"{built.label}: its pod template cannot change in place, and a changed one is refused "
            f"(field is immutable) unless the object says {' and '.join(missing)}"
        )
        findings.setdefault(
            (rel, line, message), Finding(tree.display(rel), line, "K8S008", "warning", message)
        )
    return list(findings.values())


# -- entry point ----------------------------------------------------------------------------------
def check_kubernetes(
    tree: RenderedTree,
    overlays: dict[str, list[BuiltObject]],
    version: str = DEFAULT_VERSION,
    use_kubectl: bool = True,
) -> list[Finding]:
    """K8S001/K8S004 for every built object of every overlay, K8S006 for every YAML file under k8s/
    and gitops/; K8S002 when asked and kubectl exists.

    Raises ValueError for a Kubernetes version without vendored schemas.
    """
    check_version(version)
    findings = _schema_findings(tree, overlays, version)
    findings += go_number_findings(tree)
    findings += directive_findings(tree)
    findings += recreate_findings(tree, overlays)
    if use_kubectl:
        from wlid_render.validate.kustomize import check_kustomize  # imports this module

        findings += check_kustomize(tree, overlays)
    return findings
