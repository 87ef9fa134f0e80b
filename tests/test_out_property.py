"""Property: whatever surrounds and fills OUT, a render changes nothing outside OUT and no foreign
entry inside it; it either brings OUT up to date or refuses and leaves OUT exactly as it was."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from functools import cache
from pathlib import Path

import pytest
from conftest import LAB_SPEC
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlid_render.emit.artifact import Artifact
from wlid_render.manifest import MANIFEST
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_plan
from wlid_render.write import ForeignEntries, UnownedTree, WriteError, apply

LAB = LAB_SPEC.read_text("utf-8")


@cache
def _artifacts(version: int) -> tuple[Artifact, ...]:
    text = LAB if version == 0 else LAB.replace("image: busybox", "image: busybox:1.37", 1)
    return tuple(render_plan(plan_source(load_text(text, "lab.yaml"))))


def _entries(root: Path) -> dict[str, tuple]:
    """Every entry under `root`, no link followed: kind, mode, and contents, link target or mtime."""
    found: dict[str, tuple] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as items:
            for item in items:
                info = item.stat(follow_symlinks=False)
                rel = Path(item.path).relative_to(root).as_posix()
                kind = stat.S_IFMT(info.st_mode)
                if stat.S_ISLNK(info.st_mode):
                    value: object = os.readlink(item.path)
                elif stat.S_ISREG(info.st_mode):
                    value = (Path(item.path).read_bytes(), info.st_mtime_ns)
                elif stat.S_ISDIR(info.st_mode):
                    value = None  # a folder's mtime moves when wlid works beside it (OUT's parent)
                    stack.append(Path(item.path))
                else:
                    value = info.st_mtime_ns
                found[rel] = (kind, stat.S_IMODE(info.st_mode), value)
    return found


NAMES = st.sampled_from(["a", "b.yaml", "back\\slash", "new\nline", "space name", "ünï", ".hidden", "x-y"])
KINDS = st.sampled_from(
    ["file", "dir", "empty", "fifo", "link-out-file", "link-out-dir", "link-dangling", "link-in"]
)


@st.composite
def _layouts(draw):
    inside = draw(st.lists(st.tuples(st.integers(0, 50), NAMES, KINDS), max_size=8))
    outside = draw(st.lists(st.tuples(NAMES, KINDS), max_size=4))
    in_the_way = draw(st.lists(st.tuples(st.integers(0, 50), KINDS), max_size=2))
    return {
        "inside": inside,
        "outside": outside,
        "in_the_way": in_the_way,
        "out_is_link": draw(st.booleans()),
        "version": draw(st.integers(0, 1)),
        "read_only": draw(st.sampled_from([None, "", "k8s", "azure/params"])),
        "force": draw(st.booleans()),
    }


def _make(path: Path, kind: str, workspace: Path) -> None:
    if kind == "file":
        path.write_bytes(b"foreign " + os.fsencode(path.name))
    elif kind == "dir":
        path.mkdir()
        (path / "inner.txt").write_text("inner\n")
    elif kind == "empty":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-out-file":
        path.symlink_to(workspace / "outside" / "target.txt")
    elif kind == "link-out-dir":
        path.symlink_to(workspace / "outside" / "target-dir")
    elif kind == "link-dangling":
        path.symlink_to(workspace / "nowhere")
    else:
        path.symlink_to(".")


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=_layouts())
def test_nothing_outside_out_and_nothing_foreign_inside_changes(layout):
    with tempfile.TemporaryDirectory() as name:
        workspace = Path(name)
        _check(workspace, layout)


def _check(workspace: Path, layout: dict) -> None:
    outside = workspace / "outside"
    (outside / "target-dir").mkdir(parents=True)
    (outside / "target.txt").write_text("outside\n")
    (outside / "target-dir" / "kept.txt").write_text("outside\n")
    real = workspace / "real" / "out"
    real.parent.mkdir()
    out = workspace / "out"
    if layout["out_is_link"]:
        out.symlink_to(real)
    else:
        real = out
    apply(out, list(_artifacts(0)))
    ours = sorted({a.path for a in _artifacts(0)} | {str(Path(a.path).parent) for a in _artifacts(0)} - {"."})
    folders = ["", *sorted({str(Path(p).parent) for p in ours if "/" in p})]
    for index, name, kind in layout["inside"]:
        path = real / folders[index % len(folders)] / name
        if not os.path.lexists(path):
            _make(path, kind, workspace)
    for name, kind in layout["outside"]:
        path = outside / name
        if not os.path.lexists(path):
            _make(path, kind, workspace)
    for index, kind in layout["in_the_way"]:  # a foreign entry where wlid writes
        path = real / ours[index % len(ours)]
        if path.name == "manifest.json" or not path.exists() or path.is_symlink():
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        _make(path, kind, workspace)
    if layout["read_only"] is not None and (real / layout["read_only"]).is_dir():
        os.chmod(real / layout["read_only"], 0o555)
    inside_before = _entries(real)
    around_before = {k: v for k, v in _entries(workspace).items() if not _in_out(k, out, real, workspace)}
    artifacts = list(_artifacts(layout["version"]))
    try:
        comparison = apply(out, artifacts, force=layout["force"])
        refused = False
    except WriteError as exc:
        refused = True
        foreign = isinstance(exc, (ForeignEntries, UnownedTree))  # UnownedTree: .wlid replaced
        assert not (layout["force"] and foreign), "--force still refused"
        assert layout["read_only"] is not None or foreign, exc
    inside_after = _entries(real)
    around_after = {k: v for k, v in _entries(workspace).items() if not _in_out(k, out, real, workspace)}
    assert around_after == around_before, "something outside OUT changed"
    assert not [n for n in os.listdir(real.parent) if n.startswith(".wlid-")], "a staging tree was left"
    if layout["out_is_link"]:
        assert out.is_symlink()
    if refused:
        assert inside_after == inside_before, "a refused render changed OUT"
        return
    produced = {a.path: a.data for a in artifacts}
    for path, data in produced.items():
        assert (real / path).read_bytes() == data, path
        assert not (real / path).is_symlink()
    for path in comparison.foreign:
        for rel, entry in inside_before.items():
            if rel == path or rel.startswith(path + "/"):
                assert inside_after.get(rel) == entry, f"foreign {rel!r} was touched"
    owned_dirs = {str(Path(p).parent) for p in produced} | {""}
    replaced = comparison.replaced
    for rel, entry in inside_before.items():
        if any(rel == r or rel.startswith(r + "/") for r in replaced):
            continue  # in wlid's way, and --force was given
        kept = rel not in produced and rel != MANIFEST and not any(rel == d for d in owned_dirs)
        if kept and entry[0] != stat.S_IFREG:  # every foreign non-file entry survives as it was
            assert inside_after.get(rel) == entry, f"foreign {rel!r} was touched"


def _in_out(rel: str, out: Path, real: Path, workspace: Path) -> bool:
    target = real.relative_to(workspace).as_posix()
    return rel == target or rel.startswith(target + "/")
