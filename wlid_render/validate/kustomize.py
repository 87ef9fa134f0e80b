"""K8S002: `kubectl kustomize` of what GitOps builds, in parallel.

K8S002 (error)  `kubectl kustomize` fails on a folder Flux or Argo CD builds (only when kubectl is on
                PATH)

The units built are the folders the controllers build, not whole overlays: every folder a Flux
Kustomization (`spec.path`) or an Argo CD Application (`spec.source.path`, `spec.sources[].path`)
under OUT/gitops points at (matched to the tree by its `k8s/overlays/...` part, as the GitOps checks
do). An overlay that no such object points into is built one namespace folder at a time, each folder
its kustomization lists under `resources`; as a whole when it lists anything else (a file, patches,
another field), since then the namespace folders alone are not what it deploys. `--kustomize-whole`
builds each overlay in one piece instead, as `kubectl kustomize k8s/overlays/<env>` previews it.

Why: one kustomize build merges all its objects into one set, and its time grows faster than
linearly with them (benchmarks/README.md: 2,025 objects 4 s, 4,050 objects 14 s), so a whole
overlay of 10,000 workloads does not finish in a minute although every namespace folder, which is
what the controllers build, does in about a second. Built per unit, the time grows linearly with the
folders. Objects defined twice across namespace folders are still found: wlid's own builder builds
every overlay whole (K8S003).

Units run on a bounded pool, one `kubectl` process per available processor, while wlid's other
checks of the tree run. Each has a timeout that
grows with its objects as wlid's own builder counts them: BASE_TIMEOUT plus PER_OBJECT_TIMEOUT per
object, about ten times what a loaded 2-processor machine needs; a whole overlay's allowance is
further multiplied by its objects over WHOLE_SCALE, as its build time grows with their square.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wlid_render.validate.finding import Finding
from wlid_render.validate.gitops import gitops_objects, overlay_folder
from wlid_render.validate.overlays import (
    OVERLAYS_DIR,
    BuiltObject,
    build_folders,
    kustomization_file,
    overlay_names,
)
from wlid_render.validate.tree import RenderedTree, TreeError

RULE = "K8S002"
BASE_TIMEOUT = 60.0  # seconds for any build: a kubectl process starts in about 0.1 s
PER_OBJECT_TIMEOUT = 0.025  # seconds per object (a namespace folder of 800 objects takes 2 s loaded)
WHOLE_SCALE = 2000  # objects of a whole overlay past which its allowance grows with their square
STDERR_LINES = 5
KUSTOMIZATION_KEYS = frozenset({"apiVersion", "kind", "resources"})


@dataclass(frozen=True)
class Unit:
    """One folder `kubectl kustomize` builds."""

    folder: str  # tree-relative, e.g. k8s/overlays/dev/shop
    objects: int  # as wlid's own builder counts them; sizes the timeout
    whole: bool = False  # a whole overlay, whose build time grows with the square of its objects

    @property
    def where(self) -> str:
        """`overlay dev, folder shop`, or `overlay dev` for a whole overlay."""
        parts = self.folder.split("/")
        if len(parts) < 3 or "/".join(parts[:2]) != OVERLAYS_DIR:
            return f"folder {self.folder}"
        rest = "/".join(parts[3:])
        return f"overlay {parts[2]}, folder {rest}" if rest else f"overlay {parts[2]}"

    @property
    def timeout(self) -> float:
        allowance = PER_OBJECT_TIMEOUT * self.objects
        if self.whole:
            allowance *= max(1.0, self.objects / WHOLE_SCALE)
        return BASE_TIMEOUT + allowance


@dataclass(frozen=True)
class UnitBuild:
    """What one build did: its tree and unit, wall seconds, and the finding when it failed."""

    root: Path  # the tree
    unit: Unit
    seconds: float
    finding: Finding | None


OnBuild = Callable[[UnitBuild], None]


# -- which folders ---------------------------------------------------------------------------------
def gitops_folders(tree: RenderedTree) -> list[str]:
    """The tree folders the Flux Kustomizations and Argo CD Applications of OUT/gitops build, in
    file order, each once."""
    found: dict[str, None] = {}
    for obj in gitops_objects(tree):
        spec = obj.doc.get("spec")
        if not isinstance(spec, dict):
            continue
        paths: list[Any] = []
        if obj.is_kind("kustomize.toolkit.fluxcd.io/", "Kustomization"):
            paths.append(spec.get("path"))
        elif obj.is_kind("argoproj.io/", "Application"):
            sources = [spec.get("source"), *(spec.get("sources") or [])]
            paths += [s.get("path") for s in sources if isinstance(s, dict)]
        for path in paths:
            folder = overlay_folder(tree, path)
            if folder is not None and kustomization_file(tree, folder) is not None:
                found.setdefault(folder)
    return list(found)


def namespace_folders(tree: RenderedTree, overlay: str) -> list[str] | None:
    """The folders an overlay's kustomization lists, when that is all it does; None otherwise."""
    folder = f"{OVERLAYS_DIR}/{overlay}"
    rel = kustomization_file(tree, folder)
    if rel is None:
        return None
    try:
        documents = tree.yaml_documents(rel)
    except TreeError:
        return None
    if len(documents) != 1 or not isinstance(documents[0], dict):
        return None
    spec = documents[0]
    resources = spec.get("resources")
    if set(spec) - KUSTOMIZATION_KEYS or not isinstance(resources, list) or not resources:
        return None
    folders = []
    for entry in resources:
        if not isinstance(entry, str) or "/" in entry.strip("/") or entry in (".", ".."):
            return None
        child = f"{folder}/{entry.strip('/')}"
        if not tree.is_dir(child) or kustomization_file(tree, child) is None:
            return None
        folders.append(child)
    return folders


def units(tree: RenderedTree, overlays: dict[str, list[BuiltObject]], whole: bool = False) -> list[Unit]:
    """The units to build: see the module's docstring. `overlays` are wlid's own builds of them."""
    names = overlay_names(tree)
    if whole:
        return [Unit(f"{OVERLAYS_DIR}/{n}", len(overlays.get(n, [])), whole=True) for n in names]
    folders = gitops_folders(tree)
    covered = {folder.split("/")[2] for folder in folders}
    wholes: list[str] = []
    for name in names:
        if name in covered:
            continue
        listed = namespace_folders(tree, name)
        if listed is None:
            wholes.append(name)
        else:
            folders += listed
    built = build_folders(tree, folders)
    found = [Unit(folder, len(built[folder])) for folder in folders]
    found += [Unit(f"{OVERLAYS_DIR}/{n}", len(overlays.get(n, [])), whole=True) for n in wholes]
    return sorted(found, key=lambda unit: unit.folder)


# -- building ---------------------------------------------------------------------------------------
def workers() -> int:
    """The processors this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def build_unit(tree: RenderedTree, kubectl: str, unit: Unit) -> UnitBuild:
    """Run `kubectl kustomize` on one unit; its finding names the unit's kustomization file."""
    rel = kustomization_file(tree, unit.folder) or f"{unit.folder}/kustomization.yaml"
    start = time.perf_counter()

    def done(message: str | None) -> UnitBuild:
        finding = None if message is None else Finding(tree.display(rel), None, RULE, "error", message)
        return UnitBuild(tree.root, unit, time.perf_counter() - start, finding)

    try:
        result = subprocess.run(
            [kubectl, "kustomize", str(tree.root / unit.folder)],
            capture_output=True,
            text=True,
            check=False,
            timeout=unit.timeout,
        )
    except subprocess.TimeoutExpired:
        return done(
            f"kubectl kustomize did not finish within {unit.timeout:.0f} s ({unit.where}, "
            f"{unit.objects} objects)"
        )
    except OSError as exc:
        return done(f"cannot run kubectl: {exc}")
    if result.returncode == 0:
        return done(None)
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()][:STDERR_LINES]
    detail = " | ".join(lines) or "no message"
    return done(f"kubectl kustomize failed ({unit.where}, exit {result.returncode}): {detail}")


def build_units(tree: RenderedTree, kubectl: str, todo: Iterable[Unit], jobs: int) -> list[UnitBuild]:
    """Every unit built, at most `jobs` at a time; results in the order of `todo`."""
    todo = list(todo)
    if jobs <= 1 or len(todo) <= 1:
        return [build_unit(tree, kubectl, unit) for unit in todo]
    with ThreadPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
        return list(pool.map(lambda unit: build_unit(tree, kubectl, unit), todo))


def start_kustomize(
    tree: RenderedTree,
    overlays: dict[str, list[BuiltObject]],
    whole: bool = False,
    on_build: OnBuild | None = None,
) -> Callable[[], list[Finding]]:
    """Start K8S002's builds in the background (see the module's docstring), so that they run while
    the other checks do; the function returned waits for them and gives their findings (nothing
    when kubectl is not on PATH). `on_build` hears of every build, in unit order, once all are done.
    Call the function returned exactly once, also when the other checks fail."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return list
    todo = units(tree, overlays, whole)
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers(), len(todo))))
    futures = [pool.submit(build_unit, tree, kubectl, unit) for unit in todo]

    def finish() -> list[Finding]:
        try:
            builds = [future.result() for future in futures]
        finally:
            pool.shutdown(cancel_futures=True)
        if on_build is not None:
            for build in builds:
                on_build(build)
        return [build.finding for build in builds if build.finding is not None]

    return finish


def check_kustomize(
    tree: RenderedTree,
    overlays: dict[str, list[BuiltObject]],
    whole: bool = False,
    on_build: OnBuild | None = None,
) -> list[Finding]:
    """K8S002 for every unit, built now (see `start_kustomize`)."""
    return start_kustomize(tree, overlays, whole, on_build)()
