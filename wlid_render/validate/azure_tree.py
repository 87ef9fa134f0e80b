"""The managed identities of a rendered tree, with what each environment's parameters make of them.

Shared by the rules that look at an identity per environment (validate/sharing.py: WI016,
validate/tags.py: AZ001). wlid hands a per-environment value down to a nested template under the
parameter's own name (`"x": {"value": "[parameters('x')]"}`), so `[parameters('x')]` anywhere in a
template is the top-level parameter `x` of the environment's parameters file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wlid_render.validate.arm_expressions import is_expression, parameter_name, plain
from wlid_render.validate.arm_template import FIC_TYPE, IDENTITY_TYPE, JsonPath, template_file
from wlid_render.validate.templates import TopTemplate, parameters_owner, top_templates
from wlid_render.validate.tree import RenderedTree, TreeError

TARGETS = "azure/targets.json"  # environment -> {subscriptionId, resourceGroup} of its deployments


@dataclass(frozen=True)
class TreeFic:
    name: str
    subject: Any
    condition: Any  # as written, None when there is none


@dataclass
class TreeIdentity:
    name: str
    template: TopTemplate
    path: JsonPath  # of the identity resource in the template file
    condition: Any  # of its nested deployment, as written (None: always)
    tags: Any  # as written (None: no tags)
    fics: list[TreeFic] = field(default_factory=list)


@dataclass(frozen=True)
class EnvParameters:
    env: str
    rel: str  # the parameters file
    values: dict[str, Any]
    deploy_to: str | None = None  # the resource group its identities go to (an ID, lower case), if known

    def value(self, name: str) -> Any:
        entry = self.values.get(name)
        return entry.get("value") if isinstance(entry, dict) else None


def deployment_targets(tree: RenderedTree) -> dict[str, str]:
    """environment -> `/subscriptions/<s>/resourcegroups/<g>` (lower case) from azure/targets.json;
    empty for a tree without it (rendered before wlid wrote it) or with an unreadable one."""
    if not tree.exists(TARGETS):
        return {}
    try:
        doc = tree.json(TARGETS)
    except TreeError:
        return {}
    environments = doc.get("environments") if isinstance(doc, dict) else None
    out = {}
    for env, target in (environments or {}).items() if isinstance(environments, dict) else ():
        if isinstance(target, dict) and all(
            isinstance(target.get(k), str) for k in ("subscriptionId", "resourceGroup")
        ):
            out[env] = (
                f"/subscriptions/{target['subscriptionId']}/resourceGroups/{target['resourceGroup']}".lower()
            )
    return out


UNKNOWN = object()  # a value that cannot be read offline


def resolve(value: Any, params: EnvParameters) -> Any:
    """A template value in one environment: a literal, `[parameters('x')]` from its file, else UNKNOWN."""
    if not isinstance(value, str):
        return value
    if not is_expression(value):
        return plain(value)
    name = parameter_name(value)
    return params.value(name) if name is not None and name in params.values else UNKNOWN


def present(condition: Any, params: EnvParameters) -> bool:
    """Whether a resource with this condition is deployed with these parameters (unknown: yes)."""
    if condition is None:
        return True
    value = resolve(condition, params)
    return value is not False


def tree_identities(tree: RenderedTree) -> list[TreeIdentity]:
    """Every identity resource of every top-level template, with its FICs (those of its nested template)."""
    out: list[TreeIdentity] = []
    for top in top_templates(tree):
        try:
            arm = template_file(tree, top.json)
        except TreeError:
            continue
        if arm is None:
            continue
        for template in arm.walk():
            identities: dict[str, TreeIdentity] = {}
            condition = template.enclosing[-1].condition if template.enclosing else None
            for resource in template.members:
                key = resource.key
                if key is not None and key[0] == IDENTITY_TYPE:
                    identity = TreeIdentity(key[1], top, resource.path, condition, resource.raw.get("tags"))
                    identities[key[1].lower()] = identity
                    out.append(identity)
            for resource in template.members:
                key = resource.key
                if key is not None and key[0] == FIC_TYPE and "/" in key[1]:
                    parent, name = key[1].split("/", 1)
                    if parent.lower() in identities:
                        fic = TreeFic(name, resource.properties.get("subject"), resource.condition)
                        identities[parent.lower()].fics.append(fic)
    return out


def environment_parameters(tree: RenderedTree, template: TopTemplate) -> list[EnvParameters]:
    """The parameters files of one top-level template, one per environment, by environment name."""
    targets = deployment_targets(tree)
    out = []
    for name in tree.names_in("azure/params"):
        rel = f"azure/params/{name}"
        owner = parameters_owner(rel)
        if owner is None or owner[1] != template or not rel.endswith(".parameters.json"):
            continue
        try:
            doc = tree.json(rel)
        except TreeError:
            continue
        values = doc.get("parameters") if isinstance(doc, dict) else None
        values = values if isinstance(values, dict) else {}
        out.append(EnvParameters(owner[0], rel, values, targets.get(owner[0])))
    return sorted(out, key=lambda p: p.env)
