"""BICEP002 across files: each top-level Bicep file (`azure/<stem>.bicep`) against its template
(`azure/<stem>.json`), then each module file against the template of its nested deployment,
recursively: a module declared in a module is compared with the deployment nested in that deployment,
and its path is read relative to the file that declares it.

For each pair of files, the comparisons of bicep_compare and bicep_identities run, modules are matched
with nested deployments by name and their calls compared (scope, parameters, dependencies,
condition), and the checks of bicep_compiler (BICEP004-006) run on the Bicep file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wlid_render.validate.arm_names import DepKey
from wlid_render.validate.arm_template import ArmDeployment, ArmTemplate, template_file
from wlid_render.validate.arm_values import arm_leaves, arm_value
from wlid_render.validate.bicep_compare import (
    Comparison,
    Issue,
    Sides,
    bicep_dependency,
    compare_names,
    compare_output_reads,
    compare_outputs,
    compare_params,
    compare_resource_values,
    compare_types,
    different_leaves,
    show_dependency,
)
from wlid_render.validate.bicep_compiler import (
    location_expressions,
    module_location_issue,
    unsafe_dereferences,
)
from wlid_render.validate.bicep_file import BicepFile, Module, module_target
from wlid_render.validate.bicep_identities import compare_fic_order, compare_role_assignments
from wlid_render.validate.bicep_sources import BicepSources
from wlid_render.validate.bicep_syntax import Node, named
from wlid_render.validate.bicep_values import bicep_leaves, bicep_value, module_output_read
from wlid_render.validate.finding import Finding
from wlid_render.validate.keys import Scope
from wlid_render.validate.templates import MAIN_TEMPLATE, TopTemplate, top_bicep_files, top_templates
from wlid_render.validate.tree import RenderedTree, TreeError

COMPARISONS: tuple[Comparison, ...] = (
    compare_params,
    compare_types,
    compare_names,
    compare_resource_values,
    compare_fic_order,
    compare_role_assignments,
    compare_outputs,
    compare_output_reads,
)


def compare_deployments(sources: BicepSources) -> list[Finding]:
    """Each top-level Bicep file against its template; one without the other is a finding."""
    tree = sources.tree
    walk = _Walk(sources)
    templates = set(top_templates(tree))
    for top in sorted(templates | set(top_bicep_files(tree)), key=lambda t: (t != MAIN_TEMPLATE, t)):
        if top not in templates:
            walk.out.append(_alone(tree, top.bicep, top.json, "this Bicep file"))
        elif not tree.exists(top.bicep):
            walk.out.append(_alone(tree, top.json, top.bicep, "this template"))
        elif top.bicep in sources.roots:
            _compare_top(walk, top)
    return walk.out


def _alone(tree: RenderedTree, rel: str, missing: str, what: str) -> Finding:
    return Finding(tree.display(rel), None, "BICEP002", "error", f"there is no {missing} for {what}")


def _compare_top(walk: _Walk, top: TopTemplate) -> None:
    try:
        arm = template_file(walk.tree, top.json)
    except TreeError:
        return  # the ARM checks report a template that is not JSON
    if arm is not None:
        walk.compare(arm, top.bicep, Sides(top.file_name, f"{top.stem}.bicep"))


def _findings(tree: RenderedTree, rel: str, issues: Iterable[Issue], rule: str = "BICEP002") -> list[Finding]:
    return [Finding(tree.display(rel), line, rule, "error", message) for message, line in issues]


@dataclass
class _Walk:
    """Each top-level Bicep file against its template, then each module file against its nested template."""

    sources: BicepSources
    out: list[Finding] = field(default_factory=list)

    @property
    def tree(self) -> RenderedTree:
        return self.sources.tree

    def exists(self, rel: str | None) -> bool:
        return rel is not None and not rel.startswith("../") and self.tree.exists(rel)

    def bicep(self, rel: str) -> BicepFile | None:
        """The file read as Bicep; None when it does not parse (BICEP001 says why)."""
        if rel not in self.sources.checked:  # a module outside azure/modules: check its syntax here
            self.out += self.sources.check(rel)
        return self.sources.bicep(rel)

    def compare(self, arm: ArmTemplate, rel: str, s: Sides) -> None:
        bicep = self.bicep(rel)
        if bicep is None:
            return
        issues: list[Issue] = []
        nested: list[tuple[ArmTemplate, str, Sides]] = []
        if arm.target_scope != bicep.target_scope:
            issues.append((f"{s.bicep} targets {bicep.target_scope}, {s.arm} {arm.target_scope}", None))
        for compare in COMPARISONS:
            issues += compare(arm, bicep, s)
        matched, module_issues = match_modules(arm, bicep, s)
        issues += module_issues
        files: dict[str, BicepFile] = {}  # module symbol -> its file
        for module, deployment in matched:
            target = module_target(rel, module.path)
            if target is None or not self.exists(target):
                issues.append((f"module '{module.symbol}': file {module.path!r} does not exist", module.line))
                continue
            issues += compare_module_call(deployment, module, bicep, s)
            if target == rel:
                issues.append((f"module '{module.symbol}' deploys its own file {module.path!r}", module.line))
                continue
            if deployment.template is None:
                message = f"{s.arm} deployment '{deployment.name}' has no inline template to compare with {module.path!r}"
                issues.append((message, module.line))
                continue
            inner = Sides(f"{s.arm} deployment '{deployment.name}'", posixpath.relpath(target, "azure"))
            if (module_file := self.bicep(target)) is not None:
                files[module.symbol] = module_file
                nested.append((deployment.template, target, inner))
        issues += self.module_output_reads(rel, bicep, files, s)
        self.out += _findings(self.tree, rel, issues)
        located = [i for m, d in matched if (i := module_location_issue(d, m, bicep, s)) is not None]
        self.out += _findings(self.tree, rel, located, "BICEP005")
        self.out += _findings(self.tree, rel, unsafe_dereferences(self.sources.roots[rel], bicep, s), "BICEP004")
        self.out += [
            Finding(self.tree.display(rel), line, "BICEP006", "warning", message)
            for message, line in location_expressions(self.sources.roots[rel])
        ]
        for template, target, inner in nested:
            self.compare(template, target, inner)

    def module_output_reads(
        self, rel: str, bicep: BicepFile, files: dict[str, BicepFile], s: Sides
    ) -> list[Issue]:
        """Every `<module>.outputs.x` of a Bicep file names an output its module file declares."""
        out: list[Issue] = []
        if not bicep.modules or b"outputs" not in self.sources.roots[rel].text:
            return out  # nothing to read: no need to walk the file
        stack = [self.sources.roots[rel]]
        while stack:
            node = stack.pop()
            read = module_output_read(node, bicep)
            if read is None:
                stack.extend(reversed(named(node)))
                continue
            module, output = read
            target = files.get(module.symbol)
            if target is not None and output not in {o.name for o in target.outputs}:
                message = f"{s.bicep} reads output '{output}' of module '{module.symbol}', which {module.path!r} does not declare"
                out.append((message, node.start_point[0] + 1))
        return out


def match_modules(
    arm: ArmTemplate, bicep: BicepFile, s: Sides
) -> tuple[list[tuple[Module, ArmDeployment]], list[Issue]]:
    """Modules and nested deployments with the same name (and count); the rest as issues."""
    pending = list(arm.deployments)
    matched: list[tuple[Module, ArmDeployment]] = []
    unmatched: list[Module] = []
    for module in bicep.modules:
        deployment = next((d for d in pending if d.name_key == module.name_key), None)
        if deployment is None:
            unmatched.append(module)
        else:
            pending.remove(deployment)
            matched.append((module, deployment))
    issues: list[Issue] = []
    for module in unmatched:
        name = module.name or module.name_text
        if pending:
            other = pending.pop(0)
            issues.append(
                (
                    f"module '{module.symbol}' is named '{name}' in {s.bicep}, '{other.name}' in {s.arm}",
                    module.line,
                )
            )
        else:
            issues.append(
                (
                    f"module '{module.symbol}' ('{name}') of {s.bicep} is not a nested deployment of {s.arm}",
                    module.line,
                )
            )
    issues += [
        (f"nested deployment '{d.name}' of {s.arm} is not a module of {s.bicep}", None) for d in pending
    ]
    return matched, issues


def module_dependencies(module: Module, bicep: BicepFile) -> frozenset[DepKey]:
    """What a module waits for: its dependsOn, and each resource (not `existing`) or module it reads."""
    read = [
        symbol
        for symbol in module.reads
        if bicep.module(symbol) is not None or ((r := bicep.resource(symbol)) is not None and not r.existing)
    ]
    return frozenset(bicep_dependency(bicep, symbol) for symbol in (*module.depends_on, *read))


def compare_module_call(arm: ArmDeployment, module: Module, bicep: BicepFile, s: Sides) -> list[Issue]:
    where = f"module '{module.symbol}' ('{arm.name}')"
    scope = module.scope or Scope(bicep.target_scope, ())
    out: list[Issue] = []
    if scope != arm.scope:
        out.append((f"{where} deploys to {scope} in {s.bicep}, to {arm.scope} in {s.arm}", module.line))
    for name in (v for kind, v in scope.args if kind == "param" and bicep.param(v) is None):
        out.append((f"{where} deploys to {scope}, but '{name}' is not a parameter of {s.bicep}", module.line))
    if sorted(module.params) != sorted(arm.params):
        out.append(
            (
                f"{where} passes {sorted(module.params)} in {s.bicep}, {sorted(arm.params)} in {s.arm}",
                module.line,
            )
        )
    args = dict(module.args)
    for name in (n for n in arm.params if n in args and "value" in arm.args.get(n, {})):
        left, right = arm_leaves(arm.args[name]["value"], name), bicep_leaves(args[name], bicep, name)
        for path, b, a in different_leaves(left, right):
            out.append((f"{where} passes {path} = {b} in {s.bicep}, {a} in {s.arm}", module.line))
    waits = module_dependencies(module, bicep)
    if waits != arm.depends:
        bicep_waits, arm_waits = (
            ", ".join(sorted(map(show_dependency, k))) or "nothing" for k in (waits, arm.depends)
        )
        out.append((f"{where} waits for {bicep_waits} in {s.bicep}, {arm_waits} in {s.arm}", module.line))
    if _conditions_differ(arm.raw_condition, module.condition_node, bicep):
        shown = (f"if ({c})" if c else "always" for c in (module.condition, arm.condition))
        out.append((f"{where} runs {next(shown)} in {s.bicep}, {next(shown)} in {s.arm}", module.line))
    return out


def _conditions_differ(arm: Any, bicep_node: Node | None, bicep: BicepFile) -> bool:
    """A condition on one side only, or conditions that read different things (a condition that cannot
    be read offline on both sides is not compared)."""
    if (arm is None) != (bicep_node is None):
        return True
    if arm is None or bicep_node is None:
        return False
    left, right = arm_value(arm), bicep_value(bicep_node, bicep)
    return (left is not None or right is not None) and left != right
