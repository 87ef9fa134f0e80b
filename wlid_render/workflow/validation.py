"""`wlid validate`: the offline checks of rendered trees (validate/), and their reports for tools."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wlid_render.workflow.errors import UsageMistake

if TYPE_CHECKING:
    from wlid_render.validate.finding import Finding
    from wlid_render.validate.kustomize import UnitBuild


def default_trees() -> list[Path]:
    """The rendered trees under ./out (folders holding azure/ or k8s/), sorted."""
    root = Path("out")
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "azure").is_dir() or (p / "k8s").is_dir())


def validate_trees(
    trees: Sequence[Path],
    kubernetes_version: str,
    use_kubectl: bool,
    strict: bool,
    regions_file: Path | None = None,
    kustomize_whole: bool = False,
    on_build: Callable[[UnitBuild], None] | None = None,
) -> list[Finding]:
    """Every finding of the checks over `trees`, errors and warnings (`strict`: warnings as errors).

    `regions_file`: more regions without federated credential support, one per line (UsageMistake
    when it cannot be read within its limits). `kustomize_whole`: run kubectl kustomize on whole
    overlays instead of the folders GitOps builds; `on_build` hears of each of those builds.
    """
    from wlid_render.input_limits import InputError
    from wlid_render.validate.identity import read_regions_file
    from wlid_render.validate.run import Options
    from wlid_render.validate.run import validate_trees as run_checks

    try:
        extra_regions = read_regions_file(regions_file) if regions_file else frozenset()
    except InputError as exc:
        raise UsageMistake(str(exc), option="--regions-file") from None
    options = Options(
        kubernetes_version=kubernetes_version,
        use_kubectl=use_kubectl,
        strict=strict,
        extra_regions=extra_regions,
        kustomize_whole=kustomize_whole,
        on_build=on_build,
    )
    return run_checks(trees, options)


def findings_report(findings: Sequence[Finding], output_format: str, version: str) -> str:
    """The findings as JSON, or as SARIF 2.1.0 naming wlid `version` (`output_format` "sarif")."""
    from wlid_render.validate.finding import to_json, to_sarif
    from wlid_render.validate.rules import RULES

    if output_format == "sarif":
        return to_sarif(list(findings), RULES, version)
    return to_json(list(findings))
