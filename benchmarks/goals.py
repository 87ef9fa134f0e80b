"""The performance goals, each measured as pairs of whole processes run turn about with a baseline.

    python benchmarks/goals.py                 # 40 pairs each; validate at N = 10,000 (3 pairs)
    python benchmarks/goals.py --pairs 60      # more pairs
    python benchmarks/goals.py --quick         # validate at N = 1,000 instead

A goal is a ratio to a baseline measured in the same sitting: each pair runs the command and its
baseline one right after the other (in alternating order, so neither always runs on a machine just
woken or just warmed), and the ratio of the pair is command / baseline. A shared, loaded machine
changes the seconds from minute to minute, but both halves of a pair see the same state of it. The
table gives the median ratio of the pairs and their spread (the middle 80%: 10th to 90th percentile,
then the extremes), in wall time and in CPU time (user + kernel, children included), which
waiting for a processor does not count.

Goals (issue 19):

- cold start: `wlid render specs/lab.yaml` into a new folder, against the import floor
  (`python -c 'import click, yaml, jinja2; from pydantic import BaseModel'`): at most 1.3x on a loaded
  machine, 1.15x on a quiet one; for reference, also against the floor with one pydantic model
  defined (what any program that validates with pydantic pays once), and the spec stage alone
  (wlid's spec models imported and the lab spec validated, nothing rendered) against the floor;
- `wlid render --check` of N = 1,000 workloads (3 environments, up to date), against the floor: at
  most 2x;
- the no-op render of N = 1,000 (the same spec again into its up-to-date OUT: nothing written),
  against the floor: at most 2x. Both print as usual (to a pipe) and are repeated, so from the
  second run on the render memo (wlid_render/fast/render_memo.py) answers them, printing the same
  again; `--check` with the memo off (what a first run costs) is measured too (fewer pairs, for
  reference: no goal);
- `wlid validate` of N = 10,000 workloads x 3 environments with kubectl: exit 0, no error, in at most
  the time of `kubectl kustomize` of every namespace folder one after another (what the Flux
  Kustomizations and Argo CD Applications build): at most 1x that.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import spec_text

ROOT = Path(__file__).resolve().parents[1]
FLOOR = [sys.executable, "-c", "import click, yaml, jinja2; from pydantic import BaseModel"]
# the floor with one pydantic model defined, pydantic's plugin search off as in the `wlid` process
# (left on, the first model makes pydantic search every installed distribution for plugins)
FLOOR_WITH_A_MODEL = [
    sys.executable,
    "-c",
    "from wlid_render.fast import process; process.skip_plugin_discovery()\n"
    "import click, yaml, jinja2; from pydantic import BaseModel\n"
    "class M(BaseModel):\n    x: int",
]
# the spec stage alone: wlid's spec models imported and the lab spec validated with them, as a render
# does first (with pydantic's plugin search off, as the `wlid` process has it), and nothing else
SPEC_MODELS_ONLY = [
    sys.executable,
    "-c",
    "from wlid_render.fast import process; process.skip_plugin_discovery()\n"
    "import click, yaml, jinja2; from pydantic import BaseModel\n"
    "from wlid_render.spec.models import Spec\n"
    f"Spec.model_validate(yaml.load(open({str(ROOT / 'specs/lab.yaml')!r}, 'rb'), Loader=yaml.CSafeLoader))",
]
WLID = [sys.executable, "-m", "wlid_render"]


CPU: list[float] = []  # user + kernel CPU seconds of each process run, children included


def run(cmd: list[str], codes: tuple[int, ...] = (0,), env: dict[str, str] | None = None) -> float:
    """Wall seconds of one process; it must exit with one of `codes`. Its CPU time goes to CPU."""
    start = time.perf_counter()
    environment = {**os.environ, **env} if env else None
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in codes:
        raise SystemExit(f"{' '.join(cmd)} exited {code}: {stderr.decode()[-2000:]}")
    CPU.append(usage.ru_utime + usage.ru_stime)
    return elapsed


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Goal:
    name: str
    limit: float | None  # the goal: a ratio at most this; None for a measurement shown for reference
    ratios: list[float]  # wall time, command / baseline, one per pair
    cpu_ratios: list[float]  # the same in CPU time (user + kernel)

    def row(self) -> str:
        median = statistics.median(self.ratios)
        if self.limit is None:
            goal, verdict = f"{self.name} (reference, no goal)", "-"
        else:
            goal, verdict = f"{self.name} <= {self.limit:g}x", "met" if median <= self.limit else "NOT met"
        return (
            f"| {goal} | {median:.2f}x ({verdict}); CPU "
            f"{statistics.median(self.cpu_ratios):.2f}x | {spread(self.ratios)}; CPU {spread(self.cpu_ratios)} | "
            f"{len(self.ratios)} |"
        )


def spread(ratios: list[float]) -> str:
    """The middle 80% of the pairs' ratios, then the extremes."""
    middle = f"{quantile(ratios, 0.1):.2f}-{quantile(ratios, 0.9):.2f}x"
    return f"{middle} (all {min(ratios):.2f}-{max(ratios):.2f}x)" if len(ratios) > 2 else middle


def pairs(name: str, limit: float | None, command: Callable[[int], float], baseline: Callable[[int], float], n: int) -> Goal:
    """`n` pairs turn about; `command(i)` and `baseline(i)` each run one process and return its seconds."""
    ratios, cpu_ratios = [], []
    for i in range(n):
        if i % 2:
            before = len(CPU)
            b = baseline(i)
            middle = len(CPU)
            a = command(i)
            a_cpu, b_cpu = sum(CPU[middle:]), sum(CPU[before:middle])
        else:
            before = len(CPU)
            a = command(i)
            middle = len(CPU)
            b = baseline(i)
            a_cpu, b_cpu = sum(CPU[before:middle]), sum(CPU[middle:])
        ratios.append(a / b)
        cpu_ratios.append(a_cpu / b_cpu)
        print(
            f"  {name}: pair {i + 1}/{n}: {a:.3f} s / {b:.3f} s = {a / b:.2f}x (CPU {a_cpu / b_cpu:.2f}x)",
            file=sys.stderr,
        )
    return Goal(name, limit, ratios, cpu_ratios)


def namespace_folders(out: Path) -> list[Path]:
    overlays = out / "k8s" / "overlays"
    return sorted(p.parent for p in overlays.glob("*/*/kustomization.yaml"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=40, help="pairs per start-up goal (at least 40)")
    parser.add_argument("--validate-pairs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="validate at N = 1,000")
    parser.add_argument("--only", default="cold,check,noop,validate")
    args = parser.parse_args()
    only = set(args.only.split(","))
    # Measure wlid as installed: `pip install .` compiles the bytecode (see run.py).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "wlid_render")], check=True)
    floor = lambda i: run(FLOOR)  # noqa: E731
    goals: list[Goal] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")  # the render memo of these runs only
        if "cold" in only:
            lab = [*WLID, "render", str(ROOT / "specs/lab.yaml"), "-q"]
            # every render writes into a folder never used before (see run.py, `fresh`)
            cold = lambda i: run([*lab, "-o", str(tmp / f"lab-{i}")])  # noqa: E731
            goals.append(pairs("cold `wlid render specs/lab.yaml`, new OUT / floor", 1.3, cold, floor, args.pairs))
            # for reference: the floor with the first pydantic model defined (pydantic.fields, pydantic.types
            # and annotated_types load only then), which every program validating with pydantic pays
            model = lambda i: run(FLOOR_WITH_A_MODEL)  # noqa: E731
            name = "cold `wlid render specs/lab.yaml`, new OUT / floor with one pydantic model"
            goals.append(pairs(name, None, cold, model, max(10, args.pairs // 4)))
            # for reference: what the spec stage alone costs, against the floor
            spec_stage = lambda i: run(SPEC_MODELS_ONLY)  # noqa: E731
            name = "spec models imported, lab spec validated, nothing else / floor"
            goals.append(pairs(name, None, spec_stage, floor, max(10, args.pairs // 2)))
        if only & {"check", "noop"}:
            spec = tmp / "n1000.yaml"
            spec.write_text(spec_text(1000), "utf-8")
            out = tmp / "out1000"
            run([*WLID, "render", str(spec), "-o", str(out), "-q"])
            if "check" in only:
                check = lambda i: run([*WLID, "render", str(spec), "-o", str(out), "--check"])  # noqa: E731
                goals.append(pairs("`wlid render --check`, N=1,000, up to date / floor", 2.0, check, floor, args.pairs))
            if "check" in only:
                rendering = lambda i: run(  # noqa: E731
                    [*WLID, "render", str(spec), "-o", str(out), "--check"], env={"WLID_NO_MEMO": "1"}
                )
                name = "`wlid render --check`, N=1,000, memo off (WLID_NO_MEMO=1) / floor"
                goals.append(pairs(name, None, rendering, floor, max(10, args.pairs // 4)))
            if "noop" in only:
                noop = lambda i: run([*WLID, "render", str(spec), "-o", str(out)])  # noqa: E731
                goals.append(pairs("no-op `wlid render`, N=1,000 / floor", 2.0, noop, floor, args.pairs))
        kubectl = shutil.which("kubectl")
        if "validate" in only and kubectl:
            n = 1000 if args.quick else 10000
            spec = tmp / f"n{n}.yaml"
            spec.write_text(spec_text(n), "utf-8")
            out = tmp / f"out{n}"
            run([*WLID, "render", str(spec), "-o", str(out), "-q"])
            folders = namespace_folders(out)
            validate = lambda i: run([*WLID, "validate", str(out)])  # noqa: E731

            def one_by_one(i: int) -> float:
                return sum(run([kubectl, "kustomize", str(folder)]) for folder in folders)

            name = f"`wlid validate` (kubectl), N={n:,} x 3 / {len(folders)} folders built one by one"
            goals.append(pairs(name, 1.0, validate, one_by_one, args.validate_pairs))
    print(f"\n{os.cpu_count()} processors; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| goal | measured median (wall; CPU) | spread: 10th-90th percentile (all) | pairs |")
    print("|---|---|---|---|")
    for goal in goals:
        print(goal.row())


if __name__ == "__main__":
    main()
