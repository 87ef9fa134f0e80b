"""The ARM template reader of `wlid validate`: one reading of a template, shared by every rule.

A template is read into an ArmTemplate: its parameters, variables and outputs, its resources and its
nested deployments, each deployment with the template nested in it (read the same way, recursively),
each template with where it sits in the file (a JSON path) and the deployments that nest it. The ARM
rules, the workload identity rules and the Bicep comparison all take their facts from here: names
and dependsOn entries as arm_names reads them, the scope a nested deployment deploys to, its
condition and the arguments it passes. A file of a tree is read once (`template_file`).

A part of a template that is not what ARM expects (a list where an object belongs...) is read as
empty: the schema check (ARM001) reports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wlid_render.validate.arm_expressions import parameter_name, plain
from wlid_render.validate.arm_names import DepKey, dependency_keys, deployment_name_key, name_key, static_name
from wlid_render.validate.keys import NameKey, Scope, ScopeArg

if TYPE_CHECKING:
    from wlid_render.validate.tree import RenderedTree

# Resource types, lower case: ARM reads types ignoring case.
DEPLOYMENT = "microsoft.resources/deployments"
IDENTITY_TYPE = "microsoft.managedidentity/userassignedidentities"
FIC_TYPE = f"{IDENTITY_TYPE}/federatedidentitycredentials"
ROLE_TYPE = "microsoft.authorization/roleassignments"
CLUSTER_TYPE = "microsoft.containerservice/managedclusters"
BINDING_TYPE = f"{CLUSTER_TYPE}/identitybindings"

JsonPath = tuple[str | int, ...]
RESOURCE_VALUES = ("location", "tags", "sku", "kind", "identity", "properties")


# -- scopes and conditions -----------------------------------------------------------------------
def condition_text(value: Any) -> str | None:
    """An ARM condition as messages show it: the parameter's name, or the expression as written."""
    if value is None:
        return None
    name = parameter_name(value)
    return name if name is not None else str(value)


def _scope_arg(value: Any) -> ScopeArg:
    if (name := parameter_name(value)) is not None:
        return ("param", name)
    if isinstance(value, str) and value.startswith("[") and not value.startswith("[["):
        return ("expr", value[1:-1])
    return ("literal", plain(str(value)))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def template_scope(template: dict[str, Any]) -> str:
    """subscription for a subscriptionDeploymentTemplate, else resourceGroup."""
    return (
        "subscription"
        if "subscriptionDeploymentTemplate" in str(template.get("$schema", ""))
        else "resourceGroup"
    )


def inline_template(resource: Any) -> dict[str, Any] | None:
    """The template nested inline in a deployment resource; None for any other resource."""
    if not isinstance(resource, dict) or str(resource.get("type", "")).lower() != DEPLOYMENT:
        return None
    inner = _dict(resource.get("properties")).get("template")
    return inner if isinstance(inner, dict) else None


def arm_scope(deployment: dict[str, Any]) -> Scope:
    """The scope of a nested deployment, as Bicep writes a module's `scope`."""
    given = {k: deployment[k] for k in ("subscriptionId", "resourceGroup") if k in deployment}
    if given.get("subscriptionId") == "[subscription().subscriptionId]":
        del given["subscriptionId"]  # the deployment's own subscription: Bicep's `subscription()`
    template = _dict(_dict(deployment.get("properties")).get("template"))
    return Scope(template_scope(template), tuple(_scope_arg(v) for v in given.values()))


# -- the model -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArmResource:
    """One resource of a template as written (a nested deployment too), with the facts read from it."""

    raw: dict[str, Any]
    path: JsonPath  # in the file: (..., "resources", i)
    type: str
    api_version: str
    name: str | None  # known before deployment (see static_name)
    name_key: NameKey | None
    depends_on: tuple[Any, ...]  # the dependsOn entries as written
    depends: frozenset[DepKey]  # what they name (see dependency_key)
    properties: dict[str, Any]
    scope: str | None  # the `scope` of an extension resource, the `[[` escape undone
    values: dict[str, Any] = field(default_factory=dict)  # location, tags, sku, kind, identity, properties
    raw_name: Any = None  # as written
    raw_scope: Any = None  # as written
    condition: Any = None  # as written; None when there is none

    @property
    def key(self) -> DepKey | None:
        """(lower-case type, name) when the name is known before deployment: what dependsOn names."""
        if not isinstance(self.raw.get("type"), str) or self.name is None:
            return None
        return self.type.lower(), self.name


@dataclass(frozen=True)
class ArmDeployment:
    """A nested deployment: where it deploys, on what condition, with what arguments and template."""

    resource: ArmResource
    name: str
    scope: Scope
    condition: str | None  # a parameter name, or the expression as written
    params: tuple[str, ...]
    template: ArmTemplate | None  # the template nested inline
    depends: frozenset[DepKey] = frozenset()
    args: dict[str, Any] = field(default_factory=dict)  # parameter name -> its entry ({"value": ...})
    raw_condition: Any = None  # as written; None when there is none
    name_key: str = ""  # see deployment_name_key
    location: Any = None  # as written; None when there is none


@dataclass(frozen=True)
class ArmTemplate:
    target_scope: str
    params: dict[str, dict[str, Any]]
    resources: tuple[ArmResource, ...]  # without nested deployments
    deployments: tuple[ArmDeployment, ...]
    outputs: dict[str, dict[str, Any]]
    variables: dict[str, Any] = field(default_factory=dict)
    members: tuple[ArmResource, ...] = ()  # every resource in order, nested deployments included
    doc: dict[str, Any] = field(default_factory=dict)  # as written
    path: JsonPath = ()  # in the file: () for the top-level template
    enclosing: tuple[ArmResource, ...] = ()  # the deployments that nest it, outermost first

    @property
    def parent_arguments(self) -> dict[str, Any]:
        """The `properties.parameters` of the deployment that nests this template ({} at the top)."""
        if not self.enclosing:
            return {}
        return _dict(self.enclosing[-1].properties.get("parameters"))

    def walk(self) -> Iterator[ArmTemplate]:
        """This template and every template nested in it, outermost first, in document order."""
        yield self
        for deployment in self.deployments:
            if deployment.template is not None:
                yield from deployment.template.walk()


def _resource(raw: dict[str, Any], path: JsonPath) -> ArmResource:
    depends_on = raw.get("dependsOn")
    depends_on = tuple(depends_on) if isinstance(depends_on, list) else ()
    scope = raw.get("scope")
    return ArmResource(
        raw=raw,
        path=path,
        type=str(raw.get("type", "")),
        api_version=str(raw.get("apiVersion", "")),
        name=static_name(raw.get("name")),
        name_key=name_key(str(raw.get("type", "")), raw.get("name")),
        depends_on=depends_on,
        depends=dependency_keys(depends_on),
        properties=_dict(raw.get("properties")),
        scope=plain(scope) if isinstance(scope, str) else None,
        values={k: raw[k] for k in RESOURCE_VALUES if k in raw},
        raw_name=raw.get("name"),
        raw_scope=scope,
        condition=raw.get("condition"),
    )


def _deployment(resource: ArmResource, enclosing: tuple[ArmResource, ...]) -> ArmDeployment:
    raw = resource.raw
    inner = inline_template(raw)
    args = _dict(resource.properties.get("parameters"))
    path = (*resource.path, "properties", "template")
    return ArmDeployment(
        resource=resource,
        name=str(raw.get("name")),
        scope=arm_scope(raw),
        condition=condition_text(raw.get("condition")),
        params=tuple(args),
        template=read_template(inner, path, (*enclosing, resource)) if inner is not None else None,
        depends=resource.depends,
        args={k: _dict(v) for k, v in args.items()},
        raw_condition=raw.get("condition"),
        name_key=deployment_name_key(raw.get("name")),
        location=raw.get("location"),
    )


def read_template(
    doc: dict[str, Any], path: JsonPath = (), enclosing: tuple[ArmResource, ...] = ()
) -> ArmTemplate:
    """The facts of an ARM template and, recursively, of its inline nested templates."""
    listed = doc.get("resources")
    members: list[ArmResource] = []
    resources: list[ArmResource] = []
    deployments: list[ArmDeployment] = []
    for i, raw in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(raw, dict):
            continue
        resource = _resource(raw, (*path, "resources", i))
        members.append(resource)
        if resource.type.lower() == DEPLOYMENT:
            deployments.append(_deployment(resource, enclosing))
        else:
            resources.append(resource)
    return ArmTemplate(
        target_scope=template_scope(doc),
        params={k: _dict(v) for k, v in _dict(doc.get("parameters")).items()},
        resources=tuple(resources),
        deployments=tuple(deployments),
        outputs={k: _dict(v) for k, v in _dict(doc.get("outputs")).items()},
        variables=_dict(doc.get("variables")),
        members=tuple(members),
        doc=doc,
        path=path,
        enclosing=enclosing,
    )


def nested_template_paths(doc: dict[str, Any]) -> list[tuple[JsonPath, dict[str, Any]]]:
    """(path in the file, template as written) of a template and of every template nested in it."""
    return [(template.path, template.doc) for template in read_template(doc).walk()]


def template_file(tree: RenderedTree, rel: str) -> ArmTemplate | None:
    """The template in a file of the tree, read once per tree; None when the file is not a JSON
    object. Raises TreeError as `tree.json` does."""
    doc = tree.json(rel)
    if not isinstance(doc, dict):
        return None
    return tree.derived(("arm", rel), lambda: read_template(doc))
