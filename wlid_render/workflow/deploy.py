"""After the render: the az commands that preview and deploy an environment (`whatif`), and pinning
the client IDs from deployment outputs into the spec (`read_binding`, then `pin`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from wlid_render import write
from wlid_render.repo_paths import repo_paths
from wlid_render.workflow.errors import TreeNotReady, UsageMistake, WorkflowError
from wlid_render.workflow.inputs import (
    SpecInput,
    check_outputs_match,
    choose_environment,
    merged_outputs,
    plan_environment,
)
from wlid_render.workflow.options import RenderOptions, rendered
from wlid_render.workflow.outputs import Matched, match_identities


class WhatifOutcome(NamedTuple):
    out: Path  # up to date with the spec
    commands: list[str]  # shell lines: the cluster check, then what-if and apply per deployment


def whatif(spec: str, env: str | None, out: Path | None, options: RenderOptions) -> WhatifOutcome:
    """The az commands that preview (what-if) and deploy `env` from `out` (default: out/<name>).

    OUT must exist and hold what `spec` renders with `options` (as `wlid render --check` compares):
    the commands deploy the files in OUT. TreeNotReady says what to run when it does not.
    """
    from wlid_render.views.az import whatif_commands

    rendering = rendered(  # rendered exactly as `wlid render SPEC -o OUT` renders it, to compare
        SpecInput(spec).load(), options, paths=lambda name: repo_paths(out or Path("out") / name, spec)
    )
    plan = rendering.plan
    chosen = plan_environment(plan, env)
    check_outputs_match(plan, options.bound)
    out = out or Path("out") / plan.name
    command = options.render_command(spec, out)
    if out.exists() and not out.is_dir():
        raise TreeNotReady(f"OUT is a file: {out.as_posix()}; name the folder the tree was rendered into")
    if not out.is_dir():
        raise TreeNotReady(f"{out.as_posix()} does not exist: run {command}")
    try:
        comparison = write.compare(out, list(rendering.artifacts))
    except write.UnownedTree:
        raise TreeNotReady(
            f"{out.as_posix()} was not rendered by wlid (no .wlid/manifest.json): run {command}"
        ) from None
    drift = comparison.drift
    if drift:
        raise TreeNotReady(
            f"{out.as_posix()} is out of date ({len(drift)} files): run {command} (or give whatif the "
            "--outputs, --gitops and --templates that OUT was rendered with)"
        )
    return WhatifOutcome(out, whatif_commands(plan, chosen, out.as_posix()))


class Binding(NamedTuple):
    """The client IDs of one environment read from its outputs files, matched with the spec."""

    path: str  # the spec file
    raw: bytes  # its bytes as read, to be edited and to refuse a write when it changed meanwhile
    environment: str
    matched: Matched  # kept: to pin; unknown, elsewhere: not pinned; missing: not in the outputs


def read_binding(path: str, env: str | None, outputs_files: Sequence[str]) -> Binding:
    """Read the spec at `path` and the outputs files of one environment, and match their identities.

    SpecError unless the spec is valid and the outputs are readable and agree; WorkflowError for a
    spec past its size limit; ChoiceError for an environment that cannot be chosen; UsageMistake for
    the old form `wlid bind ENV OUTPUTS...`.
    """
    from wlid_render.input_limits import SPEC_MAX_BYTES, InputError, read_bounded
    from wlid_render.spec.load import load_bytes
    from wlid_render.spec.parse import parse_environments

    try:
        raw = read_bounded(path, SPEC_MAX_BYTES, "the spec")
    except InputError as exc:
        raise WorkflowError(f"{path}: {exc}") from None
    specs = parse_environments(load_bytes(raw, path))  # SpecError unless valid (and UTF-8)
    chosen = _bind_environment(list(specs), env, outputs_files)
    client_ids = merged_outputs(outputs_files)
    identities = specs[chosen].identities
    declared = [i.name for i in identities]
    deployed = [i.name for i in identities if i.environments is None or chosen in i.environments]
    matched = match_identities(client_ids, chosen, declared, deployed, outputs_files)
    return Binding(path, raw, chosen, matched)


def pin(binding: Binding) -> int:
    """Pin the matched client IDs into the spec file (comments and layout kept, written atomically and
    only when something changes); returns how many were pinned."""
    from wlid_render.spec.bind import bind_client_ids

    raw = binding.raw
    text = raw.decode("utf-8-sig")
    kept = binding.matched.kept
    updated = bind_client_ids(text, binding.environment, kept, file=binding.path)
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    data = bom + updated.encode("utf-8")
    if data != raw:
        write.replace_file(Path(binding.path), data, raw)  # atomic; refused when the spec changed since
    return len(kept)


def _bind_environment(names: list[str], env: str | None, outputs_files: Sequence[str]) -> str:
    """The environment to bind; the old form `wlid bind ENV OUTPUTS...` gets a pointer to --env."""
    import os

    first = outputs_files[0]
    if env is None and first in names and not os.path.exists(first):
        raise UsageMistake(
            f"{first!r} is an environment, not an outputs file: name it with --env "
            f"(wlid bind --env {first} {' '.join(outputs_files[1:]) or 'OUTPUTS...'})"
        )
    return choose_environment(names, env)
