"""Step 5, the workloads of the environment: each placed in the namespace of its ServiceAccount, checked
against the rules of its kind, and laid out with its containers and pod-spec fields."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from wlid_render.errors import Path, Problem
from wlid_render.kubernetes_keys import OPT_OUT, RESERVED_ANNOTATIONS, TOKEN_EXPIRATION, USE_LABEL
from wlid_render.plan import pod_fields
from wlid_render.plan.keyvault import key_vault_mounts, key_vault_problems
from wlid_render.plan.model import ContainerPlan, KeyVaultMountPlan, KubeValue, WorkloadPlan
from wlid_render.plan.spec_checks import duplicates
from wlid_render.plan.steps.scope import Scope
from wlid_render.spec.models import Container, Workload
from wlid_render.suggest import did_you_mean

RESERVED_LABELS = frozenset(
    {
        USE_LABEL,
        "app.kubernetes.io/name",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by",
    }
)


def plan_workloads(scope: Scope) -> list[WorkloadPlan]:
    """The plan of each workload this environment has. A workload is checked and laid out once for the
    environments where it is the same; only its namespace may differ between them."""
    namespaces_of: dict[str, list[str]] = defaultdict(list)  # ServiceAccount name -> its namespaces here
    for account in scope.spec.serviceAccounts:
        if account.environments is None or scope.env in account.environments:
            namespaces_of[account.name].append(account.namespace)
    out = []
    keys = []
    for i, workload in enumerate(scope.spec.workloads):
        path: Path = ("workloads", i)
        if not scope.deployed(workload.environments, path):
            continue
        namespace = _namespace(scope, workload, path, namespaces_of)
        keys.append((workload.kind, namespace, workload.name))
        planned = scope.shared.made(
            ("workload", i), workload, partial(_checked, scope, workload, i, namespace)
        )
        out.append(planned if planned.namespace == namespace else planned._replace(namespace=namespace))
    scope.errors += duplicates("workloads", keys, "workload")
    return out


def _namespace(scope: Scope, workload: Workload, path: Path, namespaces_of: dict[str, list[str]]) -> str:
    """The workload's namespace: its own, else the one namespace its ServiceAccount has here."""
    namespaces = namespaces_of.get(workload.serviceAccount, [])
    if workload.namespace is not None:
        if workload.namespace not in namespaces:
            scope.error(
                (*path, "serviceAccount"),
                f"no ServiceAccount {workload.serviceAccount!r} in namespace {workload.namespace!r}",
                "a pod can only use a ServiceAccount of its own namespace",
            )
        return workload.namespace
    if len(namespaces) == 1:
        return namespaces[0]
    if not namespaces:
        guess = did_you_mean(workload.serviceAccount, namespaces_of)
        scope.error(
            (*path, "serviceAccount"),
            f"no ServiceAccount named {workload.serviceAccount!r}",
            f"did you mean {guess}?" if guess else "declare it under serviceAccounts",
        )
        return "default"
    scope.error(
        (*path, "serviceAccount"),
        f"ServiceAccount {workload.serviceAccount!r} exists in namespaces {', '.join(sorted(namespaces))}",
        "set the workload's namespace",
    )
    return namespaces[0]


def _checked(scope: Scope, workload: Workload, index: int, namespace: str) -> WorkloadPlan:
    mounts = key_vault_mounts(workload)  # planned once: checked, then part of the plan
    errors, warnings = workload_problems(workload, ("workloads", index), mounts)
    scope.errors += errors
    scope.warnings += warnings
    return workload_plan(workload, namespace, index, mounts)


def workload_problems(
    workload: Workload, path: Path, mounts: tuple[KeyVaultMountPlan, ...]
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about the fields of one workload: those its kind takes, names wlid sets.
    `mounts`: its keyVaultSecrets as planned (`key_vault_mounts`)."""
    errors: list[Problem] = key_vault_problems(workload, path, mounts) if workload.keyVaultSecrets else []
    uses_kube_fields = pod_fields.uses_kube_fields(workload)
    for key in workload.annotations:
        if key in RESERVED_ANNOTATIONS:
            errors.append(
                Problem(
                    f"{key} is set by wlid",
                    (*path, "annotations", key),
                    hint="to run without a token write workloadIdentity: false"
                    if key == OPT_OUT
                    else "wlid writes the Flux and Argo CD annotations itself (see docs/kubernetes.md)",
                )
            )
    if workload.existing:
        if workload.kind == "Pod":
            errors.append(
                Problem(
                    "an existing workload must be a Deployment, StatefulSet, Job or CronJob",
                    (*path, "kind"),
                    hint="a running Pod cannot take a new ServiceAccount; patch its controller",
                )
            )
        if (
            workload.containers
            or workload.replicas is not None
            or workload.schedule is not None
            or uses_kube_fields
        ):
            errors.append(
                Problem(
                    "an existing workload takes only kind, name, namespace, serviceAccount, labels, "
                    "annotations and keyVaultSecrets; its containers and pod spec come from its own manifests",
                    path,
                )
            )
        return errors, []
    errors += _kind_rules(workload, path)
    for key in workload.labels:
        if key in RESERVED_LABELS:
            errors.append(Problem(f"{key} is set by wlid on every workload", (*path, "labels", key)))
    expiration = workload.annotations.get(TOKEN_EXPIRATION)
    if expiration is not None and not (expiration.isdigit() and 3600 <= int(expiration) <= 86400):
        errors.append(
            Problem(
                f"token expiration {expiration[:20]!r} not valid: expected seconds between 3600 and 86400",
                (*path, "annotations", TOKEN_EXPIRATION),
                hint="the workload identity webhook rejects the pod at admission otherwise",
            )
        )
    seen: dict[str, str] = {}  # container names are unique across containers and initContainers
    for key in ("initContainers", "containers"):
        for j, container in enumerate(getattr(workload, key)):
            if container.name in seen:
                errors.append(
                    Problem(
                        f"duplicate container name {container.name!r} (also {seen[container.name]})",
                        (*path, key, j, "name"),
                        hint="names are unique across containers and initContainers",
                    )
                )
            seen.setdefault(container.name, f"{key}[{j}]")
    if not uses_kube_fields:
        return errors, []
    kube_errors, warnings = pod_fields.check_workload(workload, path)
    return errors + kube_errors, warnings


def _kind_rules(workload: Workload, path: Path) -> list[Problem]:
    """What the workload's kind requires or refuses: containers, a schedule, replicas, name length."""
    errors = []
    if not workload.containers:
        errors.append(
            Problem(
                "a workload needs at least one container",
                path,
                hint="or existing: true for one defined elsewhere",
            )
        )
    if workload.kind == "CronJob" and workload.schedule is None:
        errors.append(Problem("a CronJob needs a schedule", path, hint="e.g. schedule: '*/5 * * * *'"))
    if workload.kind != "CronJob" and workload.schedule is not None:
        errors.append(
            Problem(f"schedule applies to CronJobs only, not to a {workload.kind}", (*path, "schedule"))
        )
    if workload.replicas is not None and workload.kind not in ("Deployment", "StatefulSet"):
        errors.append(
            Problem(
                f"replicas applies to Deployments and StatefulSets, not to a {workload.kind}",
                (*path, "replicas"),
            )
        )
    if workload.kind in ("CronJob", "StatefulSet") and len(workload.name) > 52:
        errors.append(
            Problem(
                f"a {workload.kind} name has at most 52 characters",
                (*path, "name"),
                hint="Kubernetes appends a suffix to it in a 63-character label",
            )
        )
    return errors


def workload_plan(
    workload: Workload, namespace: str, index: int, mounts: tuple[KeyVaultMountPlan, ...]
) -> WorkloadPlan:
    return WorkloadPlan(
        name=workload.name,
        kind=workload.kind,
        namespace=namespace,
        service_account=workload.serviceAccount,
        containers=tuple(container_plan(c) for c in workload.containers),
        node_selector=tuple(workload.nodeSelector.items()),
        labels=tuple(workload.labels.items()),
        annotations=tuple(workload.annotations.items()),
        replicas=workload.replicas,
        schedule=workload.schedule,
        existing=workload.existing,
        index=index,
        workload_identity=workload.workloadIdentity,
        init_containers=tuple(container_plan(c) for c in workload.initContainers),
        pod_fields=pod_fields.pod_fields(workload),
        key_vaults=mounts,
    )


def container_plan(container: Container) -> ContainerPlan:
    ports = []
    for port in container.ports:
        if isinstance(port, int):
            ports.append((port, None, None))
        else:
            ports.append((port.containerPort, port.name, port.protocol))
    resources = container.resources
    env = tuple(
        (name, value if isinstance(value, str) else KubeValue.of(pod_fields.env_source(value)))
        for name, value in container.env.items()
    )
    return ContainerPlan(
        name=container.name,
        image=container.image,
        command=tuple(container.command),
        args=tuple(container.args),
        env=env,
        ports=tuple(ports),
        requests=tuple(resources.requests.items()) if resources else (),
        limits=tuple(resources.limits.items()) if resources else (),
        fields=pod_fields.container_fields(container),
    )
