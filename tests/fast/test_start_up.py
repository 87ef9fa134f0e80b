"""The render path imports nothing it does not use: no importlib.metadata (pydantic's plugin loader),
no importlib.resources readers (zipfile); and what stands in for them answers as they would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from wlid_render.emit.bicep import default_templates
from wlid_render.fast.process import ALL_PLUGINS_OFF, PLUGIN_LOADER, PLUGINS_SWITCH
from wlid_render.formats import DATA

ROOT = Path(__file__).resolve().parents[2]
UNUSED = (
    "importlib.metadata",
    "email",
    "socket",
    "zipfile",
    "calendar",
    "csv",
    "importlib.readers",
    "importlib.resources",
)


def imported(tmp_path: Path, **env: str) -> set[str]:
    """The modules a cold `wlid render specs/lab.yaml` imports, as `python -X importtime` lists them."""
    environment = {k: v for k, v in os.environ.items() if k != PLUGINS_SWITCH}
    environment["PYTHONPATH"] = str(ROOT)
    lab, out = str(ROOT / "specs/lab.yaml"), str(tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wlid_render", "render", lab, "-o", out, "-q"],
        capture_output=True,
        text=True,
        env={**environment, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", done.stderr, re.MULTILINE)
    assert "wlid_render.emit.bicep" in names  # the render ran
    return set(names)


def test_a_render_imports_no_unrelated_standard_library(tmp_path: Path) -> None:
    names = imported(tmp_path)
    assert sorted(n for n in names if n in UNUSED or n.startswith(tuple(f"{u}." for u in UNUSED))) == []
    assert PLUGIN_LOADER not in names


def test_a_render_imports_only_its_own_command(tmp_path: Path) -> None:
    """The other commands' modules (and what only they use) load when one of them runs."""
    names = imported(tmp_path)
    assert "wlid_render.cli.commands.render" in names
    others = ("wlid_render.cli.commands.", "wlid_render.brownfield", "wlid_render.validate")
    assert sorted(n for n in names if n.startswith(others) and n != "wlid_render.cli.commands.render") == []


def test_plugins_named_one_by_one_leave_pydantics_loader_alone(tmp_path: Path) -> None:
    names = imported(tmp_path, **{PLUGINS_SWITCH: "some_plugin"})
    assert PLUGIN_LOADER in names and "importlib.metadata" in names


@pytest.mark.parametrize("value", ALL_PLUGINS_OFF)
def test_pydantics_own_loader_finds_no_plugin_when_all_are_off(value: str) -> None:
    """The stand-in returns () where pydantic's loader would (checked on the installed pydantic)."""
    code = (
        "from pydantic.plugin._loader import get_plugins\n"
        "import importlib.metadata as m\n"
        "m.entry_points = lambda **kw: (_ for _ in ()).throw(AssertionError('searched'))\n"
        "import pydantic.plugin._loader as l\n"
        "l.entry_points = m.entry_points\n"
        "print(tuple(get_plugins()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, PLUGINS_SWITCH: value},
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "()\n"), done.stderr


def test_pydantic_takes_only_get_plugins_from_its_loader() -> None:
    """The stand-in defines get_plugins only: pydantic must not use anything else of the module."""
    import pydantic

    package = Path(pydantic.__file__).parent
    uses = set()
    for path in package.rglob("*.py"):
        if path.name == "_loader.py":
            continue
        text = path.read_text("utf-8")
        uses |= set(re.findall(r"from \._loader import (\w+)", text))
        uses |= set(re.findall(r"_loader\.(\w+)", text))
    assert uses == {"get_plugins"}


@pytest.mark.parametrize(
    "name",
    [
        "regions_without_fic.txt",
        "privileged_roles.json",
        "builtin_roles.json",
        "keyvault_roles.json",
        "k8s_schemas/v1.32.json",
    ],
)
def test_data_files_are_those_importlib_resources_finds(name: str) -> None:
    found = resources.files("wlid_render.data").joinpath(name)
    assert (DATA / name).read_bytes() == found.read_bytes()


def test_the_templates_are_found_as_before() -> None:
    packaged = resources.files("wlid_render") / "templates"
    expected = packaged if isinstance(packaged, Path) and (packaged / "bicep").is_dir() else ROOT / "templates"
    assert default_templates().resolve() == Path(expected).resolve()
