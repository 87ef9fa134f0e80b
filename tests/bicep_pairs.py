"""The ARM and Bicep files of one plan side by side, and readers of their resources, modules and deployments."""

from __future__ import annotations

import dataclasses
import json
import posixpath
from typing import Any

import pytest

from wlid_render.emit.arm import emit_arm
from wlid_render.emit.artifact import Artifact
from wlid_render.emit.bicep import emit_bicep
from wlid_render.plan.model import Plan
from wlid_render.validate.arm_names import deployment_name_key
from wlid_render.validate.bicep_file import Decl, bicep_name_key, declarations
from wlid_render.validate.bicep_syntax import (
    Node,
    decode_string,
    named,
    parse,
    properties,
)

pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_bicep")

# -- ARM helpers -----------------------------------------------------------------------------------
DEPLOYMENT = "Microsoft.Resources/deployments"
IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities"
MAIN = "azure/main.bicep"


# -- emitted sets ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Pair:
    arm: dict[str, Artifact]
    bicep: dict[str, Artifact]

    @property
    def template(self) -> dict[str, Any]:
        return json.loads(self.arm["azure/main.json"].text)

    @property
    def main(self) -> list[Decl]:
        return self.decls(MAIN)

    def decls(self, path: str) -> list[Decl]:
        """The declarations of a Bicep file, by its path in the tree (azure/...)."""
        return declarations(parse(self.bicep[path].text))

    def modules(self, path: str) -> list[Module]:
        """The modules a Bicep file declares, each with the tree path of its file."""
        out = []
        for decl in self.decls(path):
            if decl.kind == "module":
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), decl.type_or_path))
                out.append(Module(decl, properties(decl.body), target))
        return out

    def identity_modules(self) -> list[IdentityModule]:
        """The identity modules of main.bicep with their nested deployments in main.json, in order."""
        deployments = {
            deployment_name_key(r["name"]): r for r in self.template["resources"] if r["type"] == DEPLOYMENT
        }
        out = []
        for module in self.modules(MAIN):
            if module.decl.symbol != "clusterWorkloadIdentity":
                out.append(IdentityModule(module, self.decls(module.path), deployments[module.name]))
        return out


@dataclasses.dataclass
class Module:
    decl: Decl
    props: dict[str, Node]
    path: str  # the module file, relative to the tree; read from the declaring file's folder

    @property
    def name(self) -> str:
        """The deployment name, as `deployment_name_key` reads the ARM side's (a literal, or the
        format() that an interpolated name compiles to)."""
        return bicep_name_key(self.props["name"], set())

    @property
    def params(self) -> dict[str, str]:
        return {k: v.text.decode() for k, v in properties(self.props["params"]).items()}

    @property
    def depends(self) -> list[str]:
        return [n.text.decode() for n in named(self.props["dependsOn"])] if "dependsOn" in self.props else []


@dataclasses.dataclass
class IdentityModule:
    module: Module
    decls: list[Decl]  # of the module file
    arm: dict[str, Any]  # the nested deployment of main.json

    @property
    def template(self) -> dict[str, Any]:
        return self.arm["properties"]["template"]

    @property
    def identity(self) -> Decl:
        (identity,) = [
            d for d in self.decls if d.kind == "resource" and d.type_or_path.startswith(IDENTITY + "@")
        ]
        return identity

    @property
    def identity_name(self) -> str:
        return decode_string(properties(self.identity.body)["name"])


def emitted(plan: Plan) -> Pair:
    return Pair({a.path: a for a in emit_arm(plan)}, {a.path: a for a in emit_bicep(plan)})
