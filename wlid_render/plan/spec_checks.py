"""Rules about the spec as a whole: unique names, placeholders, environments, required keys, codes.

Each function returns the errors it finds, and depends on its arguments alone: build_plan and its
steps call them once for each distinct argument (see plan/steps/scope.py, `Scope.check_once`), not
once for each environment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from wlid_render.errors import Path, Problem
from wlid_render.plan.names import placeholder_for
from wlid_render.spec.models import REQUIRED_IN_EVERY_ENVIRONMENT, Spec
from wlid_render.suggest import did_you_mean
from wlid_render.warning_codes import unknown_code_hint


def duplicates(section: str, keys: Sequence[tuple[str, ...]], what: str, fold: bool = False) -> list[Problem]:
    """An error at each entry of `section` whose key an earlier entry has (ignoring case with `fold`)."""
    problems = []
    seen: dict[tuple[str, ...], int] = {}
    for i, key in enumerate(keys):
        folded = tuple(k.lower() for k in key) if fold else key
        if folded in seen:
            problems.append(
                Problem(
                    f"duplicate {what} {'/'.join(key)!r} (also {section}[{seen[folded]}])",
                    (section, i, "name"),
                    hint="names must be unique" + (" (Azure compares them ignoring case)" if fold else ""),
                )
            )
        else:
            seen[folded] = i
    return problems


def identity_names(spec: Spec) -> tuple[str, ...]:
    return tuple(i.name for i in spec.identities)


def service_account_names(spec: Spec) -> tuple[tuple[str, str], ...]:
    return tuple((a.namespace, a.name) for a in spec.serviceAccounts)


def duplicate_identities(names: Sequence[str]) -> list[Problem]:
    return duplicates("identities", [(name,) for name in names], "identity", fold=True)


def duplicate_service_accounts(names: Sequence[tuple[str, str]]) -> list[Problem]:
    """`names`: (namespace, name) of each ServiceAccount."""
    return duplicates("serviceAccounts", names, "ServiceAccount")


def placeholder_collisions(names: Sequence[str]) -> list[Problem]:
    """Identities whose names differ but map to the same Flux placeholder (`a-b` and `a_b`)."""
    problems = []
    holders: dict[str, str] = {}
    for i, name in enumerate(names):
        holder = placeholder_for(name)
        if holder in holders and holders[holder].lower() != name.lower():
            problems.append(
                Problem(
                    f"identities {holders[holder]!r} and {name!r} map to the same placeholder {holder}",
                    ("identities", i, "name"),
                    hint="rename one so that they differ in more than case or punctuation",
                )
            )
        holders[holder] = name
    return problems


def unknown_environments(names: Sequence[str], path: Path, declared: frozenset[str]) -> list[Problem]:
    """An error for each name of an entity's `environments` list that the spec does not declare."""
    problems = []
    for i, name in enumerate(names):
        if name not in declared:
            guess = did_you_mean(name, declared)
            problems.append(
                Problem(
                    f"no environment named {name!r}",
                    (*path, "environments", i),
                    hint=f"did you mean {guess}?" if guess else f"declared: {', '.join(sorted(declared))}",
                )
            )
    return problems


def undeclared_output_environments(bound: Collection[str], declared: Collection[str]) -> list[Problem]:
    """Deployment outputs given for environments the spec does not declare."""
    return [
        Problem(
            f"--outputs names environment {env!r}, which the spec does not declare",
            ("environments",),
            hint=f"declared: {', '.join(sorted(declared))}",
        )
        for env in bound
        if env not in declared
    ]


def missing_keys(spec: Spec, lacking: Mapping[str, list[str]], environments: int) -> list[Problem]:
    """Required keys that some environments get neither from the top level nor from their own block.

    `lacking` maps each required key (`azure.location`) to the environments that lack it. A key no
    environment gets is reported once, where the top level would set it (a block missing entirely,
    once for the block); otherwise each environment that lacks it is named, at its key.
    """
    problems = []
    declared = bool(spec.environments)
    for block, keys in REQUIRED_IN_EVERY_ENVIRONMENT.items():
        nowhere = [k for k in keys if len(lacking.get(f"{block}.{k}", ())) == environments]
        per_environment = f"under environments.<name>.{block} in every environment"
        if block not in spec.model_fields_set and len(nowhere) == len(keys):
            hint = f"add {block}: {{{', '.join(f'{k}: ...' for k in keys)}}}"
            if declared:
                hint += f", or set {'them' if len(keys) > 1 else 'it'} {per_environment}"
            problems.append(Problem(f"required key {block!r} is missing", (), hint=hint))
            continue
        hint = f"set it here, or {per_environment}" if declared else ""
        problems += [Problem(f"required key {k!r} is missing", (block,), hint=hint) for k in nowhere]
        for key in keys:
            envs = lacking.get(f"{block}.{key}", [])
            if envs and len(envs) < environments:
                problems += [
                    Problem(
                        f"{block}.{key} is set neither in this environment nor at the top level",
                        ("environments", env),
                        hint=f"set it under environments.{env}.{block}, or once under {block} for every "
                        "environment",
                        at_key=True,
                    )
                    for env in envs
                ]
    return problems


def unknown_warning_codes(spec: Spec) -> list[Problem]:
    """Codes in metadata.ignoreWarnings that name no warning."""
    problems = []
    for i, code in enumerate(spec.metadata.ignoreWarnings):
        hint = unknown_code_hint(code)
        if hint is not None:
            problems.append(
                Problem(f"unknown warning code {code!r}", ("metadata", "ignoreWarnings", i), hint=hint)
            )
    return problems
