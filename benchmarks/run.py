"""Benchmarks of whole `wlid` processes, side by side with their baselines in the same run.

    python benchmarks/run.py            # N = 10, 1000, 10000
    python benchmarks/run.py --quick    # N = 10, 1000 and fewer repetitions

Prints, per measurement, the median wall time of several runs, the peak RSS of the process, and
ratios to the baselines measured in the same run: the import floor (the interpreter plus the
imports every render needs), `kubectl kustomize` of the lab overlay, and `kubectl kustomize` of the
same objects of one environment from one flat resources file (the naive layout). Downstream, the
rendered overlays are built the way the rendered Flux Kustomizations and Argo CD Applications build
them: every namespace folder of every environment on its own (N = 1,000 and 10,000). Last, one
workload in 1,000 environments (the other axis of growth).
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
from generate import environments_spec_text, spec_text

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import click, yaml, jinja2; from pydantic import BaseModel"]
WLID = [sys.executable, "-m", "wlid_render"]
ENVIRONMENTS = 1000  # one workload in this many environments (generate.py --environments)


CPU: dict[str, list[float]] = {}  # command line -> user CPU seconds of each run (for the table)
SYS: dict[str, list[float]] = {}  # command line -> system (kernel) CPU seconds of each run


def run_once(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one process; its user CPU time is kept in CPU."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr[-2000:]}")
    CPU.setdefault(_key(cmd), []).append(usage.ru_utime)
    SYS.setdefault(_key(cmd), []).append(usage.ru_stime)
    return elapsed, usage.ru_maxrss // 1024


def _key(cmd: list[str]) -> str:
    """The command line, without the `-o` of a fresh output folder (see `fresh`)."""
    if len(cmd) > 2 and cmd[-2] == "-o" and "/run-" in cmd[-1]:
        cmd = cmd[:-2]
    return " ".join(cmd)


def user_cpu(cmd: list[str]) -> float:
    """Median user CPU seconds of the runs of `cmd` so far."""
    return statistics.median(CPU[_key(cmd)])


def cpu_note(cmd: list[str]) -> str:
    """User and kernel CPU seconds (medians) of the runs of `cmd`."""
    return f"user CPU {user_cpu(cmd):.3f} s, kernel {statistics.median(SYS[_key(cmd)]):.3f} s"


def measure(cmd: list[str], repeat: int) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(repeat):
        elapsed, peak = run_once(cmd)
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def fresh(render: list[str], out: Path, repeat: int) -> tuple[float, int, Path]:
    """Time the `render` command line with `-o` set to a new folder under `out` for every run.

    Every run writes into a folder never used before, and nothing is deleted while runs are timed:
    ext4 skips inodes freed in the last minutes when it allocates new ones, so deleting the previous
    OUT right before each run made file creation slower run after run (up to 0.3 s of kernel time
    for the 381 files of N = 1,000 on this machine). The folders go when the benchmark ends.
    Returns the median wall time, the peak RSS and the last run's folder.
    """
    times, peaks = [], []
    target = out
    for i in range(repeat):
        target = out / f"run-{i}"
        elapsed, peak = run_once([*render, "-o", str(target)])
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(peaks), target


def interleaved(
    floor: list[str], render: list[str], out: Path, repeat: int
) -> tuple[float, int, float, int, Path]:
    """The floor and a cold render (into a new folder under `out`) run turn about, so that both see
    the same state of the machine: median wall and peak RSS of each, and the last render's folder."""
    floor_times, floor_peaks, render_times, render_peaks = [], [], [], []
    target = out
    for i in range(repeat):
        elapsed, peak = run_once(floor)
        floor_times.append(elapsed)
        floor_peaks.append(peak)
        target = out / f"run-{i}"
        elapsed, peak = run_once([*render, "-o", str(target)])
        render_times.append(elapsed)
        render_peaks.append(peak)
    return (
        statistics.median(floor_times),
        max(floor_peaks),
        statistics.median(render_times),
        max(render_peaks),
        target,
    )


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


def flat_baseline(kubectl: str, out: Path, n: int, tmp: Path, repeat: int) -> float:
    """`kubectl kustomize` of the dev objects from one flat resources file (the naive layout).

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
    return measure([kubectl, "kustomize", str(flat)], repeat)[0]


def per_namespace_total(kubectl: str, out: Path) -> tuple[float, int]:
    """Total time of `kubectl kustomize` of every namespace folder of every overlay, one build each:
    what Flux or Argo CD do with the rendered GitOps objects (one per namespace folder)."""
    overlays = out / "k8s" / "overlays"
    folders = [
        overlays / env / ns for env in sorted(os.listdir(overlays)) for ns in _resources(overlays / env)
    ]
    return sum(run_once([kubectl, "kustomize", str(folder)])[0] for folder in folders), len(folders)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = (10, 1000) if args.quick else (10, 1000, 10000)
    repeat = 3 if args.quick else 5
    kubectl = shutil.which("kubectl")
    # Measure wlid as installed: `pip install .` compiles the package's bytecode (editable installs
    # and PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module at every start).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "wlid_render")], check=True)
    # Every render here renders: the memo that answers a repeated quiet render or check of an
    # unchanged OUT (wlid_render/fast/render_memo.py) is measured by goals.py.
    os.environ["WLID_NO_MEMO"] = "1"
    rows: list[tuple[str, float, int, str]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        lab = [*WLID, "render", str(ROOT / "specs/lab.yaml"), "-q"]
        floor, floor_rss, t, rss, lab_out = interleaved(FLOOR, lab, tmp / "lab", repeat * 4)
        rows.append(("floor: python -c 'import click, yaml, jinja2, pydantic'", floor, floor_rss, ""))
        for flag in ("--version", "--help"):
            version_or_help, version_rss = measure([*WLID, flag], repeat)
            rows.append(
                (f"wlid {flag}", version_or_help, version_rss, f"{version_or_help / floor:.2f}x floor")
            )
        lab_kustomize = None
        if kubectl:
            lab_kustomize, _ = measure(
                [kubectl, "kustomize", str(lab_out / "k8s/overlays/default")], repeat * 2
            )
            rows.append(("kubectl kustomize out/lab overlay", lab_kustomize, 0, ""))
        ratio = f"{t / floor:.2f}x floor" + (f", {t / lab_kustomize:.2f}x kustomize" if lab_kustomize else "")
        ratio += f"; user CPU {user_cpu(lab):.3f} s against {user_cpu(FLOOR):.3f} s"
        rows.append(("wlid render specs/lab.yaml (cold, new OUT)", t, rss, ratio))
        renders: dict[int, float] = {}
        downstream: dict[int, float] = {}
        for n in sizes:
            spec = tmp / f"n{n}.yaml"
            spec.write_text(spec_text(n), "utf-8")
            reps = 1 if n >= 10000 else repeat
            render = [*WLID, "render", str(spec), "-q"]
            t, rss, out = fresh(render, tmp / f"out{n}", reps)
            renders[n] = t
            ratio = ""
            if n == 1000 and kubectl:
                naive = flat_baseline(kubectl, out, n, tmp, repeat)
                rows.append(
                    (f"kubectl kustomize, N={n}: dev objects from one flat resources file", naive, 0, "")
                )
                whole, _ = measure([kubectl, "kustomize", str(out / "k8s/overlays/dev")], repeat)
                rows.append(
                    (
                        f"kubectl kustomize, N={n}: the whole dev overlay, one build",
                        whole,
                        0,
                        f"{whole / naive:.2f}x flat",
                    )
                )
                ratio = f"{t / naive:.3f}x flat kustomize"
            if n == 10000 and 1000 in renders:
                ratio = f"{t / renders[1000]:.1f}x N=1000"
            ratio += f"{'; ' if ratio else ''}{cpu_note(render)}"
            rows.append((f"wlid render, N={n} (3 environments)", t, rss, ratio))
            if n >= 1000 and kubectl:
                total, builds = per_namespace_total(kubectl, out)
                downstream[n] = total
                note = f"{total / downstream[1000]:.1f}x N=1000" if n > 1000 and 1000 in downstream else ""
                name = (
                    f"kubectl kustomize, N={n}: every namespace folder of 3 overlays ({builds} builds), total"
                )
                rows.append((name, total, 0, note))
            if n == 1000:
                t2, rss2 = measure([*WLID, "render", str(spec), "-o", str(out), "--check", "-q"], repeat)
                rows.append((f"wlid render --check, N={n}, up to date", t2, rss2, ""))
                t3, rss3 = measure([*WLID, "validate", str(out), "--no-kubectl"], repeat)
                rows.append((f"wlid validate --no-kubectl, N={n}", t3, rss3, ""))
        spec = tmp / f"e{ENVIRONMENTS}.yaml"
        spec.write_text(environments_spec_text(ENVIRONMENTS), "utf-8")
        render = [*WLID, "render", str(spec), "-q"]
        t, rss, _ = fresh(render, tmp / f"oute{ENVIRONMENTS}", repeat)
        rows.append((f"wlid render, 1 workload, {ENVIRONMENTS:,} environments", t, rss, cpu_note(render)))
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'median s':>9}  {'peak MiB':>8}  ratio")
    for name, seconds, rss, ratio in rows:
        print(f"{name:<{width}}  {seconds:>9.3f}  {rss or '':>8}  {ratio}")


if __name__ == "__main__":
    main()
