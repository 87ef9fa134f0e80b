"""Pod-spec fields the spec takes in Kubernetes' own spelling, checked when the spec is planned.

Probes, volumes, security contexts, tolerations, affinity, envFrom, volume mounts, valueFrom env
values and the `podTemplate` escape hatch are Kubernetes objects: the spec passes them through, and
this module checks each against the bundled strict Kubernetes schema (plan/kube_schema.py: the
version `wlid validate` checks by default), so that a misspelt key or a wrong type is an error at
its spec line at render time, not a failed apply. The schema is compiled once per process, and only
for a spec that uses these fields: a spec without them never imports a schema validator.

It also checks what the API server enforces but the schema cannot say (Kubernetes
pkg/apis/core/validation): exactly one handler in a probe or hook, one source in a volume, an env
value or an envFrom entry; volume mounts that name a volume of the pod, unique mount paths; probes
and hooks of init containers only on sidecars (restartPolicy: Always); the restart policy a
controller accepts.
"""

from __future__ import annotations

from typing import Any

from wlid_render.errors import Path, Problem
from wlid_render.plan.kube_schema import known_keys, schema_problems, volume_sources
from wlid_render.plan.model import KubeValue
from wlid_render.spec.models import Container, Workload
from wlid_render.suggest import did_you_mean

SHOWN = 6  # choices a message lists

# Container fields in the order they are written, after name, image, command, args, env, ports, resources.
CONTAINER_FIELDS = (
    "imagePullPolicy",
    "envFrom",
    "volumeMounts",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "securityContext",
    "restartPolicy",
)
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
# Pod fields in the order they are written, after serviceAccountName, initContainers, containers,
# nodeSelector (and restartPolicy for Jobs); then those of podTemplate, in the spec's order.
POD_FIELDS = (
    "volumes",
    "securityContext",
    "imagePullSecrets",
    "tolerations",
    "affinity",
    "priorityClassName",
)
# PodSpec fields wlid writes or has a key for: refused in podTemplate, with the key to use.
OWNED = {
    "serviceAccountName": "serviceAccount",
    "serviceAccount": "serviceAccount",
    "containers": "containers",
    "initContainers": "initContainers",
    "volumes": "volumes",
    "nodeSelector": "nodeSelector",
    "tolerations": "tolerations",
    "affinity": "affinity",
    "securityContext": "securityContext",
    "imagePullSecrets": "imagePullSecrets",
    "priorityClassName": "priorityClassName",
}
# Pod fields the API server refuses on a new pod.
NOT_ON_CREATE = frozenset({"ephemeralContainers"})
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
HOOK_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
ENV_SOURCES = ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef")
ENV_FROM_SOURCES = ("configMapRef", "secretRef")
RESTART_POLICIES = {  # what the API server accepts in a controller's pod template
    "Deployment": ("Always",),
    "StatefulSet": ("Always",),
    "Job": ("OnFailure", "Never"),
    "CronJob": ("OnFailure", "Never"),
    "Pod": ("Always", "OnFailure", "Never"),
}
# The webhook sets these only where a container does not (azure-workload-identity pkg/webhook,
# addEnvironmentVariables): a value given here replaces what the ServiceAccount says.
WEBHOOK_ENV = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST")


def uses_kube_fields(workload: Workload) -> bool:
    """Whether a workload has any field this module checks (cheap: no schema is loaded)."""
    if (
        workload.initContainers
        or workload.volumes
        or workload.securityContext is not None
        or workload.imagePullSecrets
        or workload.tolerations
        or workload.affinity is not None
        or workload.priorityClassName is not None
        or workload.podTemplate
    ):
        return True
    return any(_container_uses(c) for c in workload.containers)


def _container_uses(container: Container) -> bool:
    return any(getattr(container, name) not in (None, []) for name in CONTAINER_FIELDS) or any(
        not isinstance(v, str) for v in container.env.values()
    )


# -- the values the emitter writes ----------------------------------------------------------------
def env_source(value: Any) -> dict[str, Any]:
    """An EnvValueFrom as Kubernetes' valueFrom mapping (the sources given, in Kubernetes' order)."""
    return {name: getattr(value, name) for name in ENV_SOURCES if getattr(value, name) is not None}


def container_fields(container: Container) -> KubeValue | None:
    fields = {name: getattr(container, name) for name in CONTAINER_FIELDS}
    kept = {name: value for name, value in fields.items() if value not in (None, [])}
    return KubeValue.of(kept) if kept else None


def pod_fields(workload: Workload) -> KubeValue | None:
    fields: dict[str, Any] = {}
    for name in POD_FIELDS:
        value = getattr(workload, name)
        if name == "imagePullSecrets":
            value = [{"name": v} if isinstance(v, str) else v for v in value]
        if value not in (None, []):
            fields[name] = value
    fields.update(workload.podTemplate)
    return KubeValue.of(fields) if fields else None


# -- checks ---------------------------------------------------------------------------------------
def check_workload(workload: Workload, path: Path) -> tuple[list[Problem], list[Problem]]:
    """Errors and warnings about the Kubernetes fields of a workload (and its containers)."""
    checks = _Checks()
    checks.workload(workload, path)
    return checks.errors, checks.warnings


class _Checks:
    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.values: list[tuple[str, Any, Path]] = []  # (definition key, value, spec path) to validate

    def error(self, path: Path, message: str, hint: str = "") -> None:
        self.errors.append(Problem(message, path, hint=hint))

    def workload(self, workload: Workload, path: Path) -> None:
        volumes: dict[str, int] = {}
        for i, volume in enumerate(workload.volumes):
            self.values.append(("volume", volume, (*path, "volumes", i)))
            self.one_of(volume, "volume", volume_sources(), (*path, "volumes", i), "a volume", "source")
            name = volume.get("name")
            if isinstance(name, str):
                if name in volumes:
                    self.error(
                        (*path, "volumes", i, "name"),
                        f"duplicate volume name {name!r} (also volumes[{volumes[name]}])",
                    )
                volumes.setdefault(name, i)
        if workload.securityContext is not None:
            self.values.append(("podSecurityContext", workload.securityContext, (*path, "securityContext")))
        for i, secret in enumerate(workload.imagePullSecrets):
            if not isinstance(secret, str):
                self.values.append(("imagePullSecret", secret, (*path, "imagePullSecrets", i)))
        for i, toleration in enumerate(workload.tolerations):
            self.values.append(("toleration", toleration, (*path, "tolerations", i)))
        if workload.affinity is not None:
            self.values.append(("affinity", workload.affinity, (*path, "affinity")))
        self.pod_template(workload, path)
        for key, containers in (
            ("initContainers", workload.initContainers),
            ("containers", workload.containers),
        ):
            for j, container in enumerate(containers):
                self.container(container, (*path, key, j), volumes, init=key == "initContainers")
        # keys starting with `$` (strategic-merge directives) are refused for the whole spec by
        # plan/directives.py; the schema check below leaves them to it
        self.errors += schema_problems(self.values)

    def pod_template(self, workload: Workload, path: Path) -> None:
        template = workload.podTemplate
        if not template:
            return
        where = (*path, "podTemplate")
        for key in template:
            if key in OWNED:
                self.error(
                    (*where, key),
                    f"{key} is written by wlid; podTemplate takes the other fields of the pod spec",
                    f"use workloads[{path[-1]}].{OWNED[key]}",
                )
            elif key in NOT_ON_CREATE:
                self.error((*where, key), f"{key} cannot be set when a pod is created")
        checked = {k: v for k, v in template.items() if k not in OWNED and k not in NOT_ON_CREATE}
        if checked:
            self.values.append(("podTemplate", checked, where))
        policy = template.get("restartPolicy")
        allowed = RESTART_POLICIES[workload.kind]
        if isinstance(policy, str) and policy not in allowed:
            self.error(
                (*where, "restartPolicy"),
                f"a {workload.kind} takes restartPolicy {' or '.join(allowed)}, not {policy!r}",
            )

    def container(self, container: Container, path: Path, volumes: dict[str, int], init: bool) -> None:
        for name, value in container.env.items():
            if isinstance(value, str):
                if name in WEBHOOK_ENV:
                    self.webhook_env(name, (*path, "env", name))
                continue
            where = (*path, "env", name)
            if name in WEBHOOK_ENV:
                self.webhook_env(name, where)
            source = env_source(value)
            self.values.append(("valueFrom", source, where))
            given = self.one_of(source, "valueFrom", ENV_SOURCES, where, "an env value", "source")
            ref = source.get(given or "")
            if given in ("secretKeyRef", "configMapKeyRef") and isinstance(ref, dict) and not ref.get("name"):
                what = "Secret" if given == "secretKeyRef" else "ConfigMap"
                self.error((*where, given), f"required key 'name' is missing (the {what}'s name)")
        for i, source in enumerate(container.envFrom):
            self.values.append(("envFrom", source, (*path, "envFrom", i)))
            self.one_of(
                source, "envFrom", ENV_FROM_SOURCES, (*path, "envFrom", i), "an envFrom entry", "source"
            )
        paths: dict[str, int] = {}
        for i, mount in enumerate(container.volumeMounts):
            where = (*path, "volumeMounts", i)
            self.values.append(("volumeMount", mount, where))
            name, mount_path = mount.get("name"), mount.get("mountPath")
            if isinstance(name, str) and name not in volumes:
                guess = did_you_mean(name, volumes)
                self.error(
                    (*where, "name"),
                    f"no volume named {name!r} in the workload's volumes",
                    f"did you mean {guess}?" if guess else "declare it under the workload's volumes",
                )
            if isinstance(mount_path, str):
                if mount_path in paths:
                    self.error(
                        (*where, "mountPath"),
                        f"mountPath {mount_path!r} is already used by volumeMounts[{paths[mount_path]}]",
                        "mount paths are unique in a container",
                    )
                paths.setdefault(mount_path, i)
        sidecar = container.restartPolicy == "Always"
        for name in PROBES:
            probe = getattr(container, name)
            if probe is None:
                continue
            self.values.append(("probe", probe, (*path, name)))
            self.one_of(probe, "probe", PROBE_HANDLERS, (*path, name), "a probe", "handler")
            if init and not sidecar:
                self.init_only(path, name)
        if container.lifecycle is not None:
            self.values.append(("lifecycle", container.lifecycle, (*path, "lifecycle")))
            for hook in ("postStart", "preStop"):
                handler = container.lifecycle.get(hook)
                if isinstance(handler, dict):
                    self.one_of(
                        handler, "hook", HOOK_HANDLERS, (*path, "lifecycle", hook), "a hook", "handler"
                    )
            if init and not sidecar:
                self.init_only(path, "lifecycle")
        if container.securityContext is not None:
            self.values.append(("securityContext", container.securityContext, (*path, "securityContext")))
        if container.restartPolicy is not None and not init:
            self.error(
                (*path, "restartPolicy"),
                "restartPolicy applies to init containers only (Always makes one a sidecar)",
                "move the container to initContainers, or remove restartPolicy",
            )

    def init_only(self, path: Path, name: str) -> None:
        self.error(
            (*path, name),
            f"an init container takes {name} only as a sidecar (restartPolicy: Always)",
            "the API server refuses it otherwise",
        )

    def webhook_env(self, name: str, path: Path) -> None:
        self.warnings.append(
            Problem(
                f"{name} is set here, so the workload identity webhook leaves it as it is instead of "
                "setting it from the ServiceAccount",
                path,
                hint="remove it to use the identity of the workload's ServiceAccount",
                severity="warning",
                code="W250",
            )
        )

    def one_of(
        self, value: Any, definition: str, choices: tuple[str, ...], path: Path, what: str, noun: str
    ) -> str | None:
        """The one key of `choices` that `value` has; an error when it has none or several.

        None given and a key the schema does not know: the schema check reports that key (a
        misspelt source), and this says nothing more.
        """
        if not isinstance(value, dict):
            return None  # the schema check reports the type
        given = [key for key in value if key in choices]
        if len(given) == 1:
            return given[0]
        if not given:
            if all(key in known_keys(definition) for key in value):
                shown = ", ".join(choices[:SHOWN]) + (", ..." if len(choices) > SHOWN else "")
                self.error(path, f"{what} needs one {noun}: {shown}")
        else:
            self.error(
                (*path, given[1]), f"{what} takes one {noun}, not {' and '.join(given)}", "keep one of them"
            )
        return None
