"""Files wlid writes besides OUT: the JSON Schema of the spec, a starter spec, an imported spec. Each is
replaced all at once (write.replace_file)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from wlid_render.workflow.errors import WorkflowError

SCHEMA_FILE = "wlid-v1.schema.json"  # the name the starter spec's yaml-language-server line points at


def schema_text() -> str:
    """The JSON Schema of spec v1 (for editor completion and validation)."""
    from wlid_render.spec.schema import schema_text as text

    return text()


def write_schema(output: Path) -> None:
    """Write the schema to `output`, unless it holds it already."""
    text = schema_text()
    if not output.is_file() or output.read_text("utf-8") != text:
        write_text(output, text)


class Starter(NamedTuple):
    path: Path
    from_lab: bool
    spec_name: str  # its metadata.name: what it renders into (out/<name>)


def write_starter(path: Path, from_lab: bool, force: bool) -> Starter:
    """Write a starter spec that renders as it is: the lab example (`from_lab`) or the template to
    edit. Refused when `path` exists, unless `force`."""
    from importlib import resources

    import yaml

    if path.exists() and not force:
        raise WorkflowError(f"{path} exists; pass --force to overwrite it")
    name = "lab.yaml" if from_lab else "starter.yaml"
    text = resources.files("wlid_render.data").joinpath(name).read_text("utf-8")
    write_text(path, text)
    return Starter(path, from_lab, yaml.safe_load(text)["metadata"]["name"])


def write_text(path: Path, text: str) -> None:
    """Give the file at `path` the UTF-8 `text`, all at once (WriteError when it cannot)."""
    from wlid_render.write import replace_file

    replace_file(path, text.encode("utf-8"))
