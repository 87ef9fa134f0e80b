"""What an operation reads before it renders: the spec, the environment it works on, and the client
IDs of deployment outputs (`--outputs ENV=FILE`).

Every operation names an environment the same way: `env` may be left out (None) when the spec has
only one. Mistakes come back as `ChoiceError` (no such environment) or `SpecError` (a spec or an
outputs file with problems, located in it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from wlid_render.errors import Problem, SpecError
from wlid_render.plan.model import Plan
from wlid_render.spec.load import Source, load_bytes, load_file
from wlid_render.workflow.errors import ChoiceError
from wlid_render.workflow.outputs import match_identities, read_outputs

Bound = Mapping[str, Mapping[str, str]]  # environment -> identity -> client ID


class SpecInput(NamedTuple):
    """A spec to load: a file by its path, or bytes already read (standard input) under the name that
    problems give it (`<stdin>`)."""

    name: str
    data: bytes | None = None

    def load(self) -> Source:
        """The loaded spec. Raises SpecError."""
        return load_file(self.name) if self.data is None else load_bytes(self.data, self.name)


def choose_environment(names: Sequence[str], env: str | None) -> str:
    """`env` when the spec has it; the only environment when `env` is None and there is one."""
    listed = ", ".join(names)
    if env is None:
        if len(names) == 1:
            return names[0]
        raise ChoiceError(f"the spec has {len(names)} environments ({listed}); choose one with --env ENV")
    if env not in names:
        from wlid_render.suggest import did_you_mean

        guess = did_you_mean(env, names)
        raise ChoiceError(
            f"no environment {env!r}; the spec has: {listed}" + (f" (did you mean {guess}?)" if guess else "")
        )
    return env


def plan_environment(plan: Plan, env: str | None) -> str:
    """The environment of `plan` an operation works on (see `choose_environment`)."""
    return choose_environment([e.name for e in plan.environments], env)


def merged_outputs(paths: Sequence[str]) -> dict[str, str]:
    """Client IDs from several outputs files of one environment; SpecError when two disagree."""
    merged: dict[str, str] = {}
    where: dict[str, str] = {}
    problems = []
    for path in paths:
        for identity, client_id in read_outputs(path).items():
            if merged.setdefault(identity, client_id) != client_id:
                problems.append(
                    Problem(
                        f"identity {identity!r} has client ID {client_id} here and {merged[identity]} in "
                        f"{where[identity]}",
                        hint="pass the outputs of one environment only",
                        file=path,
                    )
                )
            where.setdefault(identity, path)
    if problems:
        raise SpecError(problems)
    return merged


def read_bound(files: Mapping[str, Sequence[str]]) -> dict[str, dict[str, str]]:
    """Outputs files per environment -> env -> identity -> client ID (SpecError for a bad file)."""
    return {env: merged_outputs(paths) for env, paths in files.items()}


def check_outputs_match(plan: Plan, bound: Bound) -> None:
    """Outputs given with --outputs must name identities of their environment (SpecError otherwise)."""
    for env in plan.environments:
        if env.name in bound:
            deployed = [name for name, _ in env.client_ids]
            match_identities(bound[env.name], env.name, [i.name for i in plan.identities], deployed, ())
