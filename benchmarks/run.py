"""Benchmarks of whole `wlid` processes, side by side with their baselines in the same run.

    python benchmarks/run.py            # N = 10, 1000, 10000
    python benchmarks/run.py --quick    # N = 10, 1000 and fewer repetitions

Prints, per measurement, the median wall time of several runs, the peak RSS of the process, and
ratios to the baselines measured in the same run: the import floor (the interpreter plus the
imports every render needs), `kubectl kustomize` of the lab overlay, and `kubectl kustomize` of the
same objects of one environment from one flat resources file (the naive layout). The rendered
overlays (one kustomization per namespace) are built with `kubectl kustomize` too: all three
environments, and one environment a namespace folder at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import spec_text

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import click, yaml, jinja2; from pydantic import BaseModel"]
WLID = [sys.executable, "-m", "wlid_render"]


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024


def measure(cmd: list[str], repeat: int, prepare=None) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    times, peaks = [], []
    for _ in range(repeat):
        if prepare:
            prepare()
        elapsed, peak = run_once(cmd)
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def _resources(folder: Path) -> list[str]:
    import yaml

    return yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8")).get("resources", [])


def flat_kustomization(out: Path, env: str, target: Path) -> Path:
    """All objects of one environment in one resources file: base objects with the overlay's patches.

    Walks the overlay's namespace folders: the base folder each one includes, the ServiceAccount
    patches (client IDs and other annotations) and the objects only this environment has. Other
    patches (`patches.yaml`) would need a strategic merge; the synthetic specs have none.
    """
    import yaml

    target.mkdir(parents=True, exist_ok=True)
    overlay = out / "k8s" / "overlays" / env
    merged = []
    for namespace in _resources(overlay):
        folder = overlay / namespace
        if (folder / "patches.yaml").exists():
            raise SystemExit(f"{folder}/patches.yaml: the flat baseline does not apply such patches")
        annotations = {}
        patches = folder / "serviceaccounts.yaml"
        if patches.is_file():
            for doc in yaml.safe_load_all(patches.read_text("utf-8")):
                meta = doc["metadata"]
                annotations[(meta["namespace"], meta["name"])] = meta.get("annotations", {})
        files = []
        for entry in _resources(folder):
            path = (folder / entry).resolve()
            files += [path / name for name in _resources(path)] if path.is_dir() else [path]
        for path in files:
            for obj in yaml.safe_load_all(path.read_text("utf-8")):
                if obj["kind"] == "ServiceAccount":
                    key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
                    obj["metadata"].setdefault("annotations", {}).update(annotations.pop(key, {}))
                merged.append(obj)
        if annotations:
            raise SystemExit(f"{patches}: patches for objects that are not there: {sorted(annotations)}")
    (target / "all.yaml").write_text(yaml.safe_dump_all(merged, sort_keys=False), "utf-8")
    (target / "kustomization.yaml").write_text("resources:\n- all.yaml\n", "utf-8")
    return target


def kustomize_rows(
    kubectl: str, out: Path, n: int, tmp: Path, repeat: int
) -> list[tuple[str, float, int, str]]:
    """`kubectl kustomize` of the rendered overlays next to the flat baseline of one environment.

    The flat file holds the same objects as the dev overlay builds (checked once, untimed).
    """
    import yaml

    flat = flat_kustomization(out, "dev", tmp / f"flat{n}")
    built = subprocess.run(
        [kubectl, "kustomize", str(out / "k8s/overlays/dev")], capture_output=True, text=True, check=True
    ).stdout

    def canonical(text: str) -> list[str]:
        return sorted(json.dumps(doc, sort_keys=True) for doc in yaml.safe_load_all(text) if doc)

    if canonical(built) != canonical((flat / "all.yaml").read_text("utf-8")):
        raise SystemExit(f"N={n}: the flat baseline and the dev overlay build different objects")
    objects = len(canonical(built))
    naive, _ = measure([kubectl, "kustomize", str(flat)], repeat)
    rows = [(f"kubectl kustomize, N={n}: one env ({objects} objects), one flat resources file", naive, 0, "")]
    overlays = out / "k8s" / "overlays"
    envs = sorted(p.name for p in overlays.iterdir() if p.is_dir())
    total = sum(measure([kubectl, "kustomize", str(overlays / env)], repeat)[0] for env in envs)
    ratio = f"{total / len(envs) / naive:.2f}x flat per environment"
    rows.append((f"kubectl kustomize, N={n}: all {len(envs)} overlays, total", total, 0, ratio))
    namespaces = _resources(overlays / "dev")
    parts = sum(measure([kubectl, "kustomize", str(overlays / "dev" / ns)], repeat)[0] for ns in namespaces)
    name = f"kubectl kustomize, N={n}: dev, each of its {len(namespaces)} namespace folders, total"
    rows.append((name, parts, 0, f"{parts / naive:.2f}x flat"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = (10, 1000) if args.quick else (10, 1000, 10000)
    repeat = 3 if args.quick else 5
    kubectl = shutil.which("kubectl")
    rows: list[tuple[str, float, int, str]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        floor, floor_rss = measure(FLOOR, repeat * 2)
        rows.append(("floor: python -c 'import click, yaml, jinja2, pydantic'", floor, floor_rss, ""))
        for flag in ("--version", "--help"):
            t, rss = measure([*WLID, flag], repeat)
            rows.append((f"wlid {flag}", t, rss, f"{t / floor:.2f}x floor"))
        lab_out = tmp / "lab"
        t, rss = measure(
            [*WLID, "render", str(ROOT / "specs/lab.yaml"), "-o", str(lab_out), "-q"],
            repeat * 2,
            prepare=lambda: shutil.rmtree(lab_out, ignore_errors=True),
        )
        lab_kustomize = None
        if kubectl:
            lab_kustomize, _ = measure(
                [kubectl, "kustomize", str(lab_out / "k8s/overlays/default")], repeat * 2
            )
            rows.append(("kubectl kustomize out/lab overlay", lab_kustomize, 0, ""))
        ratio = f"{t / floor:.2f}x floor" + (f", {t / lab_kustomize:.2f}x kustomize" if lab_kustomize else "")
        rows.append(("wlid render specs/lab.yaml (cold, new OUT)", t, rss, ratio))
        renders: dict[int, float] = {}
        for n in sizes:
            spec = tmp / f"n{n}.yaml"
            spec.write_text(spec_text(n), "utf-8")
            out = tmp / f"out{n}"
            reps = 1 if n >= 10000 else repeat
            t, rss = measure(
                [*WLID, "render", str(spec), "-o", str(out), "-q"],
                reps,
                prepare=lambda out=out: shutil.rmtree(out, ignore_errors=True),
            )
            renders[n] = t
            ratio = ""
            if n >= 1000 and kubectl:
                kustomized = kustomize_rows(kubectl, out, n, tmp, 1 if n >= 10000 else repeat)
                rows += kustomized
                ratio = f"{t / kustomized[0][1]:.3f}x flat kustomize"
                if n >= 10000 and 1000 in renders:
                    ratio += f", {t / renders[1000]:.1f}x N=1000"
            elif n == 10000 and 1000 in renders:
                ratio = f"{t / renders[1000]:.1f}x N=1000"
            rows.append((f"wlid render, N={n} (3 environments)", t, rss, ratio))
            if n == 1000:
                t2, rss2 = measure([*WLID, "render", str(spec), "-o", str(out), "--check", "-q"], repeat)
                rows.append((f"wlid render --check, N={n}, up to date", t2, rss2, ""))
                t3, rss3 = measure([*WLID, "validate", str(out), "--no-kubectl"], repeat)
                rows.append((f"wlid validate --no-kubectl, N={n}", t3, rss3, ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'median s':>9}  {'peak MiB':>8}  ratio")
    for name, seconds, rss, ratio in rows:
        print(f"{name:<{width}}  {seconds:>9.3f}  {rss or '':>8}  {ratio}")


if __name__ == "__main__":
    main()
