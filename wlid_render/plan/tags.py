"""Tags of the managed identities: the spec-wide `azure.tags` and an identity's own `tags`, resolved per
environment and checked against Azure's limits; then one value per tag for the shared template.

Azure's limits (Microsoft Learn, "Use tags to organize your Azure resources", Limitations): at most 50
tags per resource, names up to 512 characters without `< > % & \\ ? /`, values up to 256 characters.
Names are compared ignoring case ("Tag names are case-insensitive for operations"); values are not.
Single names and values are checked by the spec model (`spec.TagName`, `spec.TagValue`); the count and
the case-insensitive duplicates need the merged set, so they are checked here.

How a deployment treats tags: ARM writes a resource's `tags` as a whole ("The tags you apply through an
ARM template or Bicep file overwrite any existing tags"), so each deployment leaves the identity with
exactly the spec's tags, plus those that an Azure Policy `modify` or `append` effect adds to the same
request. See docs/azure-resources.md, "Tags". Nested deployments carry no tags (a Bicep module cannot
set any); the top-level deployment can be tagged by the command that creates it, with the
environment's `azure.tags` (`EnvironmentPlan.tags`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from wlid_render.errors import Problem
from wlid_render.plan.model import Parameter, ParamRef, Value
from wlid_render.spec.models import Spec

MAX_TAGS = 50


def identity_tags(spec: Spec, index: int) -> tuple[tuple[tuple[str, str], ...], list[Problem]]:
    """The tags of `identities[index]` in one environment's spec: azure.tags, then the identity's own
    (a name given in both, ignoring case, takes the identity's value and spelling), in spec order."""
    identity = spec.identities[index]
    problems: list[Problem] = []
    for path, tags in ((("azure", "tags"), spec.azure.tags), (("identities", index, "tags"), identity.tags)):
        seen: dict[str, str] = {}
        for name in tags:
            if name.lower() in seen:
                problems.append(
                    Problem(
                        f"tag {name!r} is given twice (also as {seen[name.lower()]!r})",
                        (*path, name),
                        hint="Azure compares tag names ignoring case: keep one",
                    )
                )
            seen[name.lower()] = name
    merged: dict[str, tuple[str, str]] = {}  # lower-case name -> (name, value)
    for name, value in spec.azure.tags.items():
        merged[name.lower()] = (name, value)
    for name, value in identity.tags.items():
        merged.pop(name.lower(), None)  # the identity's spelling, at the identity's position
        merged[name.lower()] = (name, value)
    if len(merged) > MAX_TAGS:
        problems.append(
            Problem(
                f"identity {identity.name!r} would carry {len(merged)} tags; Azure allows {MAX_TAGS} per resource",
                ("identities", index, "tags") if identity.tags else ("azure", "tags"),
                hint="combine some values into one tag (a JSON string of at most 256 characters)",
            )
        )
    return tuple(merged.values()), problems


class TagParameters:
    """The string parameters of tag values that differ between environments, shared by every identity
    whose tag has the same name and the same value in each environment (`environment: ${env}` on a
    hundred identities is one parameter, not a hundred)."""

    def __init__(self, envs: list[str], new_name: Callable[..., str], parameters: list[Parameter]):
        self.envs = envs
        self.new_name = new_name  # the merger's unique parameter names
        self.parameters = parameters  # the merger's parameter list, appended to
        self.known: dict[tuple[str, tuple[tuple[str, str], ...]], ParamRef] = {}

    def value(self, name: str, per_env: Mapping[str, str]) -> Value:
        """A literal when every environment agrees, else the parameter that carries the values."""
        if len(set(per_env.values())) == 1:
            return next(iter(per_env.values()))
        values = tuple((e, per_env.get(e, "")) for e in self.envs)
        key = (name.lower(), values)
        if key not in self.known:
            symbol = self.new_name("tag", re.sub(r"[^A-Za-z0-9_]", "_", name)[:40])
            self.parameters.append(
                Parameter(symbol, "string", f"Value of tag {name!r} of the identities.", values)
            )
            self.known[key] = ParamRef(symbol)
        return self.known[key]


def merged_tags(
    present: Mapping[str, tuple[tuple[str, str], ...]], params: TagParameters
) -> tuple[tuple[str, Value], ...]:
    """One identity's tags for the template, from its tags in each environment where it exists.

    Tag names are the same in every environment (`${env}` and `${vars.*}` are resolved in values,
    never in keys); only values may differ.
    """
    first = next(iter(present.values()))
    by_env = {env: {name.lower(): value for name, value in tags} for env, tags in present.items()}
    return tuple(
        (name, params.value(name, {env: values[name.lower()] for env, values in by_env.items()}))
        for name, _ in first
    )
