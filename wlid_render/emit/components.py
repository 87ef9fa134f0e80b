"""Kustomize Components for workloads defined elsewhere (`existing: true`).

A team whose Deployment comes from Helm or another repository adds the Component to its own
kustomization (`components: [<path>/k8s/components/<kind>_<namespace>_<name>]`); it patches the
existing object with the ServiceAccount and the pod label the workload identity webhook looks for.

The patch finds its object by `target` (group, version, kind, name) and names no namespace: the
usual consumer sets `namespace:` in its kustomization over manifests without one, and kustomize
applies a Component before that namespace, so a patch that names `metadata.namespace` matches
nothing there ("failed to find unique target for patch"). Objects of the same kind and name in
other namespaces of the same build are patched too.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit.artifact import Artifact, to_yaml
from wlid_render.emit.k8s_objects import pod_annotations
from wlid_render.emit.keyvault import add_mounts
from wlid_render.kubernetes_keys import USE_LABEL
from wlid_render.plan.model import Plan, WorkloadPlan

COMPONENTS_DIR = "k8s/components"
COMPONENT_API = "kustomize.config.k8s.io/v1alpha1"
API_VERSIONS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1"}

Obj = dict[str, Any]


def component_dir(workload: WorkloadPlan) -> str:
    return f"{COMPONENTS_DIR}/{workload.kind.lower()}_{workload.namespace}_{workload.name}"


def _pod_template_patch(workload: WorkloadPlan) -> Obj:
    labels = {USE_LABEL: "true"} if workload.workload_identity else {}
    labels.update(workload.labels)
    annotations = pod_annotations(workload)
    metadata: Obj = {}
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    template: Obj = {"metadata": metadata} if metadata else {}
    spec: Obj = {"serviceAccountName": workload.service_account}
    if workload.key_vaults:  # the CSI volumes, and the mounts of the containers named in the spec
        names = dict.fromkeys(name for m in workload.key_vaults for name in m.containers)
        spec["containers"] = [{"name": name} for name in names]
        add_mounts(spec, workload.key_vaults)
    return {**template, "spec": spec}


def _patch(workload: WorkloadPlan) -> Obj:
    template = _pod_template_patch(workload)
    spec: Obj = (
        {"jobTemplate": {"spec": {"template": template}}}
        if workload.kind == "CronJob"
        else {"template": template}
    )
    return {
        "apiVersion": API_VERSIONS[workload.kind],
        "kind": workload.kind,
        "metadata": {"name": workload.name},
        "spec": spec,
    }


def _target(workload: WorkloadPlan) -> Obj:
    """The selector kustomize matches the patch with: group, version, kind and name, no namespace."""
    group, _, version = API_VERSIONS[workload.kind].rpartition("/")
    return {"group": group, "version": version, "kind": workload.kind, "name": workload.name}


def emit_components(plan: Plan) -> list[Artifact]:
    """One Component per existing workload (its first environment's definition), sorted by path."""
    seen: dict[str, WorkloadPlan] = {}
    for env in plan.environments:
        for workload in env.workloads:
            if workload.existing:
                seen.setdefault(component_dir(workload), workload)
    artifacts = []
    for folder, workload in sorted(seen.items()):
        kustomization = {
            "apiVersion": COMPONENT_API,
            "kind": "Component",
            "patches": [{"path": "patch.yaml", "target": _target(workload)}],
        }
        artifacts.append(Artifact(f"{folder}/kustomization.yaml", to_yaml(kustomization)))
        artifacts.append(Artifact(f"{folder}/patch.yaml", to_yaml(_patch(workload))))
    return artifacts
