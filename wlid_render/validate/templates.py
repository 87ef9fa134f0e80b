"""The top-level templates of a rendered tree, found from its files, with their Bicep and parameters files.

A tree deploys `main` alone, or, for a large spec, `main` (the cluster flags) plus identity groups
`identities-NNN`. Each top-level deployment is a template `azure/<stem>.json`, the same deployment
in Bicep `azure/<stem>.bicep`, and per environment a parameters file and its `.bicepparam` twin:
`azure/params/<env>.parameters.json` for main, `azure/params/<env>.<stem>.parameters.json` for the
others. Environment names never contain '.', so the first '.' of a parameters file's name ends it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from wlid_render.validate.tree import RenderedTree

AZURE = "azure"
PARAMS = "azure/params"
MAIN_STEM = "main"
GROUP_PREFIX = "identities-"
PARAMETERS_SUFFIX = ".parameters.json"
BICEPPARAM_SUFFIX = ".bicepparam"


@dataclass(frozen=True, order=True)
class TopTemplate:
    """One top-level deployment of a tree: `main` or `identities-NNN`."""

    stem: str

    @property
    def json(self) -> str:
        return f"{AZURE}/{self.stem}.json"

    @property
    def bicep(self) -> str:
        return f"{AZURE}/{self.stem}.bicep"

    @property
    def file_name(self) -> str:
        """How messages name the template: main.json, identities-000.json."""
        return f"{self.stem}.json"

    def parameters(self, env: str, bicep: bool = False) -> str:
        middle = "" if self.stem == MAIN_STEM else f".{self.stem}"
        return f"{PARAMS}/{env}{middle}{BICEPPARAM_SUFFIX if bicep else PARAMETERS_SUFFIX}"


MAIN_TEMPLATE = TopTemplate(MAIN_STEM)


def is_top_stem(stem: str) -> bool:
    return stem == MAIN_STEM or stem.startswith(GROUP_PREFIX)


def _top_files(tree: RenderedTree, suffix: str) -> list[TopTemplate]:
    stems = {name.removesuffix(suffix) for name in tree.names_in(AZURE) if name.endswith(suffix)}
    return [TopTemplate(s) for s in sorted(stems, key=lambda s: (s != MAIN_STEM, s)) if is_top_stem(s)]


def top_templates(tree: RenderedTree) -> list[TopTemplate]:
    """The top-level ARM templates of the tree that exist, main first, then the groups by number."""
    return _top_files(tree, ".json")


def top_bicep_files(tree: RenderedTree) -> list[TopTemplate]:
    """The top-level Bicep files of the tree that exist, in the same order."""
    return _top_files(tree, ".bicep")


def parameters_owner(rel: str) -> tuple[str, TopTemplate] | None:
    """(environment, template) of `azure/params/<env>[.<stem>].parameters.json` or `.bicepparam`."""
    folder, name = posixpath.split(rel)
    if folder != PARAMS:
        return None
    for suffix in (PARAMETERS_SUFFIX, BICEPPARAM_SUFFIX):
        if name.endswith(suffix):
            env, _, stem = name.removesuffix(suffix).partition(".")
            return env, TopTemplate(stem or MAIN_STEM)
    return None


def parameters_files(tree: RenderedTree) -> list[str]:
    """Every `azure/params/*.parameters.json` of the tree."""
    return [f"{PARAMS}/{name}" for name in tree.names_in(PARAMS) if name.endswith(PARAMETERS_SUFFIX)]
