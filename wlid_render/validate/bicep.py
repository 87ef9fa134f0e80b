"""BICEP001-006: the Bicep side of a rendered tree.

The Bicep files of the tree parse (BICEP001, bicep_sources), describe the deployments of its top-level
templates (`azure/main.json`, and the `azure/identities-NNN.json` groups of a split tree: BICEP002,
bicep_deployments, bicep_compare, bicep_identities) and carry the values of the ARM parameters files
(BICEP003, bicep_params); nothing in them makes the compiler or the linter warn, and the location
`bicep build` gives a module at subscription scope is the one the template writes (BICEP004-006,
bicep_compiler).

Syntax comes from tree-sitter-bicep; no Bicep compiler is needed. BICEP002 compares the facts that
the Bicep reader (bicep_file) and the ARM reader (arm_template) read from both sides: parameters and
their types, deployed resource types and API versions, the names known before deployment or read from
parameters, the conditions and values of resources (location, properties...) where they can be read
offline, the order of federated credentials, nested deployments (Bicep modules) with their names,
scopes, conditions, files, dependencies and arguments, role assignments (scope, name, condition), and
outputs with what they read. A value set per environment is a parameter handed down under its own
name: both sides must read the same parameter at the same place (`[parameters('x')]`,
`format('.../{0}', parameters('x'))`, `split(parameters('x'), '/')[i]` in ARM; `x`,
`resource ... existing = { name: x }` in Bicep).
"""

from __future__ import annotations

from wlid_render.validate.bicep_deployments import compare_deployments
from wlid_render.validate.bicep_params import check_bicepparam, parameter_files_without_bicepparam
from wlid_render.validate.bicep_sources import BicepSources, bicep_files
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import MAIN_TEMPLATE
from wlid_render.validate.tree import RenderedTree

MAIN = MAIN_TEMPLATE.bicep


def check_bicep(tree: RenderedTree) -> list[Finding]:
    """BICEP001 syntax, BICEP002 the same deployments as the top-level templates, BICEP003 the
    parameter files, BICEP004 unsafe reads of conditional modules and resources, BICEP005 locations of
    modules at subscription scope, BICEP006 location expressions the linter warns about. A tree
    without `azure/main.bicep` has no Bicep side and is not checked.

    Raises `bicep_syntax.BicepUnavailable` when tree-sitter-bicep is not installed (a broken install,
    not a broken tree).
    """
    if not tree.exists(MAIN):
        return []
    findings: list[Finding] = []
    sources = BicepSources(tree)
    files = bicep_files(tree)
    for rel in files:
        findings += sources.check(rel)
    findings += compare_deployments(sources)
    for rel in (r for r in files if r.endswith(".bicepparam")):
        findings += check_bicepparam(tree, rel, sources.roots.get(rel))
    findings += parameter_files_without_bicepparam(tree)
    return findings
