"""Refresh the 60-second tour at the top of README.md with the real output of the commands it shows.

    python scripts/readme_tour.py           # rewrite the tour in README.md
    python scripts/readme_tour.py --check   # exit 1 when README.md's tour is not what the commands print
    python scripts/readme_tour.py --image   # also redraw docs/lab-graph.png with the Mermaid CLI

The tour runs in a new temporary folder, as a new user would: `wlid init --from-lab`, `wlid render`, an
edit of the spec, `wlid render --check --diff`, `wlid explain`. Each command runs as `python -m
wlid_render` from this checkout, without colour, and its stdout and stderr are shown as a terminal
shows them. The text between the `<!-- tour:start -->` and `<!-- tour:end -->` lines is replaced; the
rest of README.md is left alone.

`--image` needs `mmdc` (npm @mermaid-js/mermaid-cli) and a Chromium it can start (PUPPETEER_EXECUTABLE_PATH
or a puppeteer config); it is run by hand after the graph changes, never by the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
IMAGE = ROOT / "docs" / "lab-graph.png"
START = "<!-- tour:start -->"
END = "<!-- tour:end -->"
EDIT = ("image: busybox\n", "image: busybox:1.37\n")  # the edit the tour makes to the lab spec


def _wlid(folder: Path, *args: str) -> str:
    """The output of `wlid ARGS` run in `folder`, stdout and stderr interleaved as on a terminal."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "wlid_render", *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    return done.stdout


def _session(folder: Path, *commands: tuple[str, ...]) -> str:
    lines = []
    for command in commands:
        lines.append(f"$ wlid {' '.join(command)}")
        lines.append(_wlid(folder, *command).rstrip("\n"))
    return "\n".join(lines)


def tour(folder: Path) -> str:
    """The tour's Markdown, from real runs in `folder` (an empty folder)."""
    start = _session(folder, ("init", "--from-lab"), ("render",))
    spec = folder / "wlid.yaml"
    spec.write_text(spec.read_text("utf-8").replace(*EDIT, 1), "utf-8")
    diff = _session(folder, ("render", "--check", "--diff"))
    explain = _session(folder, ("explain",))
    return f"""{START}
## A 60-second tour

Start from the lab scenario (a managed identity that reads a Key Vault secret from a pod) and render
it; the warning says what remains to do after the first deployment:

```console
{start}
```

Change the image of the first workload in `wlid.yaml` to `busybox:1.37` and ask what a render would
change, before writing anything (exit code 1: the tree is out of date):

```console
{diff}
```

See what is wired to what, per environment:

```console
{explain}
```

The same graph as a picture (`wlid explain --format mermaid`; `OUT/README.md` embeds it, and GitHub
draws it):

![The lab: the cluster's issuer, the federated credential, the identity myIdentity with its Key Vault role, the ServiceAccount and its two pods](docs/lab-graph.png)

Then `wlid render -o - --env ENV | kubectl diff -f -` shows what would change in a cluster, `wlid
validate out/lab` checks the tree offline, and `wlid whatif` prints the `az` commands that deploy it.
{END}"""


def refreshed(readme: str, text: str) -> str:
    before, found, rest = readme.partition(START)
    if not found or END not in rest:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    return before + text + rest.split(END, 1)[1]


def draw_image(folder: Path) -> None:
    mmdc = shutil.which("mmdc")
    if mmdc is None:
        raise SystemExit("mmdc is not on PATH (npm install -g @mermaid-js/mermaid-cli)")
    graph = folder / "lab.mmd"
    graph.write_text(_wlid(folder, "explain", str(ROOT / "specs" / "lab.yaml"), "--format", "mermaid"), "utf-8")
    command = [mmdc, "-i", str(graph), "-o", str(IMAGE), "-b", "white", "-s", "2", "-q"]
    config = os.environ.get("PUPPETEER_CONFIG")
    if config:
        command += ["-p", config]
    subprocess.run(command, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the tour in README.md is stale")
    parser.add_argument("--image", action="store_true", help="redraw docs/lab-graph.png with mmdc")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        text = tour(Path(folder))
        if options.image:
            draw_image(Path(folder))
    readme = README.read_text("utf-8")
    new = refreshed(readme, text)
    if options.check:
        if new != readme:
            print("README.md's tour is stale: run python scripts/readme_tour.py", file=sys.stderr)
            return 1
        return 0
    if new != readme:
        README.write_text(new, "utf-8", newline="\n")
        print("README.md: tour refreshed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
