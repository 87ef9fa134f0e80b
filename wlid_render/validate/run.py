"""`wlid validate`: run every check over a rendered tree and collect the findings, sorted."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wlid_render.validate.finding import Finding, strict
from wlid_render.validate.tree import RenderedTree, TreeError

if TYPE_CHECKING:
    from wlid_render.validate.kustomize import UnitBuild


@dataclass(frozen=True)
class Options:
    kubernetes_version: str = "1.32"
    use_kubectl: bool = True
    strict: bool = False
    extra_regions: frozenset[str] = frozenset()
    kustomize_whole: bool = False  # K8S002 on whole overlays instead of the folders GitOps builds
    on_build: Callable[[UnitBuild], None] | None = None  # hears of each kubectl kustomize build


def validate_tree(out: Path, options: Options = Options()) -> list[Finding]:
    """Every finding for one rendered tree. Never raises for a broken tree: that is a finding too."""
    from wlid_render.validate.arm import check_template
    from wlid_render.validate.arm_cluster import check_cluster_writes
    from wlid_render.validate.arm_parameters import check_parameters
    from wlid_render.validate.arm_placement import check_placement
    from wlid_render.validate.bicep import check_bicep
    from wlid_render.validate.bindings import check_bindings
    from wlid_render.validate.components import check_components
    from wlid_render.validate.gitops import check_gitops
    from wlid_render.validate.identity import check_identity
    from wlid_render.validate.k8s import check_kubernetes
    from wlid_render.validate.keyvault import check_key_vaults
    from wlid_render.validate.kustomize import start_kustomize
    from wlid_render.validate.overlays import build_overlays
    from wlid_render.validate.pipelines import check_pipelines
    from wlid_render.validate.privilege import check_privilege
    from wlid_render.validate.sharing import check_shared_identities
    from wlid_render.validate.tags import check_tags

    tree = RenderedTree(out)
    findings: list[Finding] = []
    if not tree.looks_rendered():
        message = "not a rendered tree (no azure/, k8s/ or .wlid/manifest.json); nothing checked"
        return [Finding(out.as_posix(), None, "TREE", "error", message)]
    kustomize = None
    try:
        overlays, overlay_findings = build_overlays(tree)
        if options.use_kubectl:  # kubectl builds in the background while the other checks run
            kustomize = start_kustomize(tree, overlays, options.kustomize_whole, options.on_build)
        findings += check_template(tree)
        findings += check_parameters(tree)
        findings += check_cluster_writes(tree) + check_placement(tree)
        findings += check_shared_identities(tree) + check_tags(tree)
        findings += overlay_findings
        findings += check_kubernetes(tree, overlays, options.kubernetes_version, use_kubectl=False)
        findings += check_components(tree)
        findings += check_gitops(tree, overlays, options.kubernetes_version)
        findings += check_bicep(tree)
        findings += check_identity(tree, overlays, options.extra_regions)
        findings += check_key_vaults(tree, overlays)
        findings += check_bindings(tree, overlays)
        findings += check_privilege(tree)
        findings += check_pipelines(tree)
    except TreeError as exc:
        findings.append(Finding(out.as_posix(), None, "TREE", "error", str(exc)))
    finally:
        if kustomize is not None:
            findings += kustomize()
    if options.strict:
        findings = strict(findings)
    return sorted(set(findings), key=lambda f: (f.file, f.line or 0, f.rule, f.message))


def validate_trees(outs: Iterable[Path], options: Options = Options()) -> list[Finding]:
    return [f for out in outs for f in validate_tree(out, options)]
