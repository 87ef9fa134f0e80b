"""Plan -> Bicep: main.bicep, its modules and one .bicepparam file per environment.

The Bicep files describe the same deployment as the ARM template of `emit.arm`: the same parameters,
resources, API versions, names, nested deployments (here modules, with the same deployment names and
scopes), ordering and outputs. The layout lives in Jinja templates under `templates/bicep/`; this module
settles symbol names and hands the templates plain values, which they must write through the filters
of `emit.bicep_escape`.
"""


import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from wlid_render.emit.arm_bindings import binding_cluster, issuer_off, issuer_parameter
from wlid_render.emit.arm_cluster import CLUSTER_REFUSALS, ISSUER_OFF, cluster_deployment_name
from wlid_render.emit.arm_roles import PLACEMENT_HASH
from wlid_render.emit.arm_template import BINDING_TYPE, CLUSTER_TYPE, FIC_TYPE, IDENTITY_TYPE, ROLE_TYPE
from wlid_render.emit.artifact import Artifact
from wlid_render.emit.bicep_escape import FILTERS, BicepText, Format, require_bicep_text
from wlid_render.fast.templates import compiled_loader
from wlid_render.formats import UniqueNames
from wlid_render.plan.model import (
    AUDIENCE,
    AzureDeployment,
    IdentityPlan,
    Parameter,
    ParamRef,
    Plan,
    RoleAssignment,
    RoleDeployment,
    Value,
)

CLUSTER_MODULE = "modules/cluster-workload-identity.bicep"
BINDING_MODULE = "modules/identity-binding.bicep"
CLUSTER_SYMBOL = "cluster"
CLUSTER_MODULE_SYMBOL = "clusterWorkloadIdentity"
IDENTITY_MODULE_PARAMS = ("location", "issuer")
PRINCIPAL_PARAM = "principalId"
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]", re.ASCII)


# -- template environment ------------------------------------------------------------------------
def default_templates() -> Path:
    """The packaged templates (wheel installs), else the repository's `templates/` (editable installs).

    Found from this file, as importlib.resources finds a package on disk, without importing its
    readers (and zipfile) at every start."""
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if (packaged / "bicep").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def _strict(function: Callable[[Any], BicepText]) -> Callable[[Any], BicepText]:
    """A filter that reports an undefined input by its name instead of by its type."""

    def apply(value: Any) -> BicepText:
        if isinstance(value, jinja2.Undefined):
            str(value)  # StrictUndefined raises UndefinedError naming the value
        return function(value)

    return apply


def template_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """The Jinja2 environment of the Bicep templates: strict, unescaped, every value through a filter."""
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=require_bicep_text,
    )
    env.filters.update({name: _strict(f) for name, f in FILTERS.items()})
    return env


@lru_cache(maxsize=8)
def _environment(directory: Path) -> jinja2.Environment:
    """The environment of a template directory; the packaged templates load ready compiled."""
    loader = compiled_loader(directory) if directory == default_templates().resolve() else None
    return template_environment(loader or jinja2.FileSystemLoader(str(directory)))


def _tidy(text: str) -> str:
    """LF only, no trailing whitespace, exactly one final newline."""
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def render(directory: Path, name: str, **context: object) -> str:
    """Render `bicep/<name>` of a template directory."""
    template = _environment(directory.resolve()).get_template(f"bicep/{name}")
    return _tidy(template.render(**context))


# -- symbols -------------------------------------------------------------------------------------
class Symbols:
    """Unique Bicep symbol names derived from plan names; compared case-insensitively."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self._names = UniqueNames(reserved)

    def new(self, prefix: str, *parts: str) -> str:
        return self._names.new("_".join([prefix, *(_NOT_IDENT.sub("_", part) for part in parts)]))


# -- what the templates see ----------------------------------------------------------------------
class ParamView(NamedTuple):
    name: str
    type: str
    description: str
    default: str | bool | None


class FicView(NamedTuple):
    symbol: str
    name: str
    subject: str
    depends_on: tuple[str, ...]
    condition: str | None = None
    issuer: str = "issuer"  # the parameter holding the issuer it trusts


class BindingView(NamedTuple):
    symbol: str
    deployment: str
    name: str
    cluster: Value
    resource_group: Value
    subscription: Value
    condition: str | None = None


class ListedClusterView(NamedTuple):
    """A cluster of a `clusters:` list, read in main.bicep for the issuers of the identity modules."""

    symbol: str
    name: str
    resource_group: str
    subscription: str


class IssuerView(NamedTuple):
    parameter: str
    symbol: str
    condition: str | None
    pinned: str | None
    issuer_off: Format


class ScopeView(NamedTuple):
    function: str  # resourceGroup or subscription
    args: tuple[Value, ...]  # literals, or parameters set per environment


class RoleModuleView(NamedTuple):
    symbol: str
    name: Format  # the deployment name: literal, or with the placement hash at subscription scope
    path: str  # relative to the identity module that calls it (both in azure/modules/)
    scope: ScopeView
    parameters: tuple[str, ...] = ()  # handed through to the module under the same names


class IdentityView(NamedTuple):
    symbol: str  # inside its module
    name: str
    fics: tuple[FicView, ...]
    role_modules: tuple[RoleModuleView, ...]
    tags: tuple[tuple[str, Value], ...] = ()
    issuers: tuple[str, ...] = ()
    bindings: tuple[BindingView, ...] = ()


class IdentityModuleView(NamedTuple):
    symbol: str  # in main.bicep
    deployment: str
    path: str  # relative to main.bicep
    name: str
    condition: str | None = None
    parameters: tuple[str, ...] = ()  # handed through to the module under the same names
    issuers: tuple[IssuerView, ...] = ()


class TargetView(NamedTuple):
    symbol: str
    type_api: str
    name: Value


class AssignmentView(NamedTuple):
    symbol: str
    kind: str  # resource, resourceGroup or subscription
    target: str | None  # symbol of the `existing` target (kind resource)
    role_id: str
    description: str | None


def _scope(deployment: RoleDeployment) -> ScopeView:
    sub, rg = deployment.subscription_id, deployment.resource_group
    if deployment.at_subscription:
        return ScopeView("subscription", (sub,) if sub else ())
    if rg is None:
        if sub is not None:
            raise ValueError(
                f"role deployment {deployment.name!r} names subscription {sub} but no resource group; "
                "Bicep modules cannot target a resource group without its name"
            )
        return ScopeView("resourceGroup", ())
    return ScopeView("resourceGroup", (sub, rg) if sub else (rg,))


def module_file(deployment_name: str) -> str:
    """`modules/<deployment name>.bicep`: the module of a nested deployment, named as the deployment."""
    if not _FILE_NAME.fullmatch(deployment_name):
        raise ValueError(f"deployment name {deployment_name!r} cannot be used as a file name")
    return f"modules/{deployment_name}.bicep"


def _identity_view(plan: Plan, identity: IdentityPlan) -> IdentityView:
    symbols = Symbols((*IDENTITY_MODULE_PARAMS, *identity.issuers, *identity.template_parameters()))
    symbol = symbols.new("identity", identity.name)
    fics: list[FicView] = []
    for n, fic in enumerate(identity.credentials, start=1):
        # one FIC at a time per identity: Azure answers 409 to parallel writes
        depends = (fics[-1].symbol,) if fics else ()
        issuer = issuer_parameter(plan, fic.cluster)
        fics.append(
            FicView(symbols.new("fic", str(n)), fic.name, fic.subject, depends, fic.condition, issuer)
        )
    bindings = []
    for n, binding in enumerate(identity.bindings, start=1):
        cluster = binding_cluster(plan, binding)
        where: tuple[Value, Value, Value] = (
            (ParamRef("clusterName"), ParamRef("clusterResourceGroup"), ParamRef("clusterSubscriptionId"))
            if cluster is None
            else (cluster.name, cluster.resource_group, cluster.subscription_id)
        )
        bindings.append(
            BindingView(
                symbols.new("binding", str(n)),
                binding.deployment_name,
                binding.name,
                *where,
                binding.condition,
            )
        )
    modules = tuple(
        RoleModuleView(
            symbols.new("roles", str(n)),
            _deployment_name(d),
            module_file(d.name).removeprefix("modules/"),
            _scope(d),
            d.template_parameters(),
        )
        for n, d in enumerate(identity.role_deployments, start=1)
    )
    return IdentityView(
        symbol, identity.name, tuple(fics), modules, identity.tags, identity.issuers, tuple(bindings)
    )


def _deployment_name(deployment: RoleDeployment) -> Format:
    """The name `emit.arm_roles.deployment_name_value` gives the same deployment, as a Bicep string."""
    if not deployment.at_subscription:
        return Format(deployment.name, ())  # deployment names hold no braces (plan/names.py)
    return Format(deployment.name_base() + "-{0}", (PLACEMENT_HASH,))


def _parameters(parameters: tuple[Parameter, ...]) -> tuple[ParamView, ...]:
    return tuple(ParamView(p.name, p.type, p.description, p.default) for p in parameters)


def _reserved(deployment: AzureDeployment) -> tuple[str, ...]:
    return (*(p.name for p in deployment.parameters), CLUSTER_SYMBOL, CLUSTER_MODULE_SYMBOL)


# -- files ---------------------------------------------------------------------------------------
def _listed_clusters(
    plan: Plan, deployment: AzureDeployment, symbols: Symbols
) -> tuple[tuple[ListedClusterView, ...], dict[str, IssuerView]]:
    """The `existing` clusters of `clusters:` lists whose issuers this deployment reads, and the issuer
    parameter of each identity module that reads one."""
    used = {name for i in deployment.identities for name in i.issuers}
    if deployment.stem == "main":  # the clusterIssuers output reads every listed cluster
        used |= {c.issuer_parameter for c in plan.clusters}
    views: list[ListedClusterView] = []
    issuers: dict[str, IssuerView] = {}
    for cluster in plan.clusters:
        if cluster.issuer_parameter not in used:
            continue
        symbol = symbols.new("cluster", cluster.key)
        if cluster.oidc_issuer_url is None:
            views.append(
                ListedClusterView(symbol, cluster.name, cluster.resource_group, cluster.subscription_id)
            )
        issuers[cluster.issuer_parameter] = IssuerView(
            cluster.issuer_parameter,
            symbol,
            cluster.condition,
            cluster.oidc_issuer_url,
            Format(issuer_off(cluster), ()),
        )
    return tuple(views), issuers


def _main(plan: Plan, deployment: AzureDeployment, directory: Path) -> Artifact:
    """The Bicep file of one top-level deployment: main.bicep, or identities-NNN.bicep."""
    symbols = Symbols(_reserved(deployment))
    listed, issuers = _listed_clusters(plan, deployment, symbols)
    identities = tuple(
        IdentityModuleView(
            symbols.new("identity", i.name),
            i.deployment_name,
            module_file(i.deployment_name),
            i.name,
            i.condition,
            i.template_parameters(),
            tuple(issuers[name] for name in i.issuers),
        )
        for i in deployment.identities
    )
    text = render(
        directory,
        "main.bicep.j2",
        parameters=_parameters(deployment.parameters),
        cluster_type=f"{CLUSTER_TYPE}@{plan.cluster_api}",
        cluster_update=deployment.cluster_update,
        outputs_identities=deployment.outputs_identities,
        pins_issuer=plan.pins_issuer,
        cluster_module=CLUSTER_MODULE,
        cluster_deployment=cluster_deployment_name(plan),
        cluster_module_symbol=CLUSTER_MODULE_SYMBOL,
        identities=identities,
        listed_clusters=listed,
        cluster_issuers=tuple((c.name, issuers[c.issuer_parameter]) for c in plan.clusters)
        if deployment.stem == "main"
        else (),
        issuer_off=Format(ISSUER_OFF, ("clusterName", "clusterResourceGroup")),
    )
    return Artifact(deployment.template_path(bicep=True), text)


def _identity_module(plan: Plan, identity: IdentityPlan, directory: Path) -> Artifact:
    by_name = {p.name: p for p in plan.parameters}
    text = render(
        directory,
        "identity.bicep.j2",
        identity=_identity_view(plan, identity),
        binding_module=BINDING_MODULE.removeprefix("modules/"),
        parameters=_parameters(tuple(by_name[name] for name in identity.template_parameters())),
        identity_type=f"{IDENTITY_TYPE}@{plan.identity_api}",
        fic_type=f"{FIC_TYPE}@{plan.identity_api}",
        audience=AUDIENCE,
    )
    return Artifact(f"azure/{module_file(identity.deployment_name)}", text)


def _binding_module(plan: Plan, directory: Path) -> Artifact:
    text = render(
        directory,
        "identity-binding.bicep.j2",
        cluster_type=f"{CLUSTER_TYPE}@{plan.cluster_api}",
        binding_type=f"{BINDING_TYPE}@{plan.identity_binding_api}",
    )
    return Artifact(f"azure/{BINDING_MODULE}", text)


def _cluster_module(plan: Plan, directory: Path) -> Artifact:
    text = render(
        directory,
        "cluster-workload-identity.bicep.j2",
        cluster_type=f"{CLUSTER_TYPE}@{plan.cluster_api}",
        refusals={key: Format(message, ("clusterName",)) for key, message in CLUSTER_REFUSALS.items()},
    )
    return Artifact(f"azure/{CLUSTER_MODULE}", text)


def _assignment_views(
    assignments: tuple[RoleAssignment, ...], symbols: Symbols
) -> tuple[tuple[TargetView, ...], tuple[AssignmentView, ...]]:
    targets: dict[tuple[str, str], TargetView] = {}
    views: list[AssignmentView] = []
    for assignment in assignments:
        target = assignment.target
        target_symbol = None
        if target.kind == "resource":
            key = (target.resource_type.lower(), str(target.resource_name).lower())
            if key not in targets:
                leaf = (
                    target.resource_name.name
                    if isinstance(target.resource_name, ParamRef)
                    else target.resource_name.rsplit("/", 1)[-1]
                )
                type_api = f"{target.resource_type}@{target.api_version}"
                targets[key] = TargetView(symbols.new("target", leaf), type_api, target.resource_name)
            target_symbol = targets[key].symbol
        views.append(
            AssignmentView(
                symbols.new("assignment", assignment.role_name),
                target.kind,
                target_symbol,
                assignment.role_id,
                assignment.description,
            )
        )
    return tuple(targets.values()), tuple(views)


def _role_module(plan: Plan, deployment: RoleDeployment, directory: Path) -> Artifact:
    parameters = deployment.template_parameters()
    targets, assignments = _assignment_views(deployment.assignments, Symbols((PRINCIPAL_PARAM, *parameters)))
    text = render(
        directory,
        "role-assignments.bicep.j2",
        target_scope="subscription" if deployment.at_subscription else "resourceGroup",
        principal_param=PRINCIPAL_PARAM,
        parameters=parameters,
        role_type=f"{ROLE_TYPE}@{plan.role_assignment_api}",
        targets=targets,
        assignments=assignments,
    )
    return Artifact(f"azure/{module_file(deployment.name)}", text)


def _params_file(deployment: AzureDeployment, env: str, directory: Path) -> Artifact:
    values = tuple((p.name, p.value(env)) for p in deployment.parameters)
    main = "../" + deployment.template_path(bicep=True).removeprefix("azure/")
    text = render(directory, "params.bicepparam.j2", main=main, values=values)
    return Artifact(deployment.parameters_path(env, bicep=True), text)


def emit_bicep(plan: Plan, templates: Path | None = None) -> list[Artifact]:
    """The Bicep artifacts of a plan, sorted by path. Pure: reads templates, writes nothing."""
    directory = templates if templates is not None else default_templates()
    artifacts = [_main(plan, d, directory) for d in plan.deployments]
    if plan.enables_workload_identity:
        artifacts.append(_cluster_module(plan, directory))
    for identity in plan.identities:
        artifacts.append(_identity_module(plan, identity, directory))

        artifacts.extend(_role_module(plan, d, directory) for d in identity.role_deployments)
    if any(identity.bindings for identity in plan.identities):
        artifacts.append(_binding_module(plan, directory))
    artifacts.extend(
        _params_file(d, env.name, directory) for d in plan.deployments for env in plan.environments
    )
    paths = [a.path.lower() for a in artifacts]
    if len(set(paths)) != len(paths):
        raise ValueError(f"two Bicep files would share a path: {sorted(paths)}")
    return sorted(artifacts)
