"""Speed code: whether the credential rules find nothing in a whole spec, answered at once.

A spec holds tens of thousands of strings, nearly all short names; checking each with its path
(report.py) costs tens of milliseconds for large specs. Here the distinct strings are joined into
one text that each gate and the run analysis search once. It must give the answer of checking every
string: tests/test_secrets.py proves it on random strings and random specs
(`test_the_whole_spec_shortcut_gives_the_full_answer`, `test_credential_kind_shortcuts_give_the_full_answer`)
and that real specs take it (`test_real_specs_take_the_fast_path`).
"""

from __future__ import annotations

from typing import Any

from wlid_render.plan.secrets.kinds import RUN, credential_kind, run_kind
from wlid_render.plan.secrets.names import NAMED_MAPS, NOT_A_VALUE, names_a_secret
from wlid_render.plan.secrets.shapes import GATES, gate_holds
from wlid_render.plan.secrets.text import compiled
from wlid_render.spec.interpolate import environment_names, environment_vars, interpolate


def spec_is_clean(data: Any) -> bool:
    """Whether `every_problem` would find nothing, answered for all strings of the spec at once.

    The distinct strings (keys included, and the items of each list of strings joined) are checked
    together in one text, each gate and the run analysis searching it once; strings with references
    once more per environment, resolved. The names under named maps are checked one by one.
    """
    found, lists, named_maps = _collect(data)
    not_a_value = compiled(NOT_A_VALUE).fullmatch
    for mapping in named_maps:
        for key, value in mapping.items():
            if type(value) is str and names_a_secret(key) and not not_a_value(value):
                return False
    strings = set(found)
    joined = {glue.join(items) for items in lists for glue in ("", "\n")}
    if not _all_clean(strings) or not _all_clean(joined, random_keys=False):
        return False
    referencing = [s for s in strings if "${" in s]
    if referencing and isinstance(data, dict):
        resolved = set()
        for env in environment_names(data):
            values = environment_vars(data, env)
            resolved.update(interpolate(s, env, values)[0] for s in referencing)
        return _all_clean(resolved)
    return True


def _collect(data: Any) -> tuple[list[str], list[list[str]], list[dict[str, Any]]]:
    """Every string and key of the data, its lists of two or more strings, and its named maps.

    A plain loop over the loaded values (dicts, lists, strings and scalars), tuned: it touches every
    value of a spec of ten thousand workloads.
    """
    strings: list[str] = []
    lists: list[list[str]] = []
    named_maps: list[dict[str, Any]] = []
    add = strings.append
    stack: list[Any] = []
    push = stack.append
    if type(data) is str:
        add(data)
    elif type(data) in (dict, list):
        push(data)
    while stack:
        node = stack.pop()
        if type(node) is dict:
            for key, value in node.items():
                add(key)
                kind = type(value)
                if kind is str:
                    add(value)
                elif kind is dict:
                    if key in NAMED_MAPS:
                        named_maps.append(value)
                    push(value)
                elif kind is list:
                    push(value)
        elif len(node) > 1 and type(node[0]) is str and all(type(item) is str for item in node):
            lists.append(node)
            strings.extend(node)
        else:
            for item in node:
                kind = type(item)
                if kind is str:
                    add(item)
                elif kind is dict or kind is list:
                    push(item)
    return strings, lists, named_maps


def _all_clean(strings: set[str], random_keys: bool = True) -> bool:
    """Whether `credential_kind` finds nothing in any of `strings`.

    The ASCII ones are joined with NUL, a character that no gate, run or digest name holds: a gate
    that matches no part of the text matches none of them, and every run of the text is a run of
    one of them, judged the same (tests/test_secrets.py proves it on random strings).
    """
    plain = [s for s in strings if s.isascii()]
    if len(plain) < len(strings) and any(credential_kind(s, random_keys) for s in strings if not s.isascii()):
        return False
    text = "\x00".join(plain)
    folded = text.lower()
    if "%" in text or any(gate_holds(gate, folded) for gate in GATES):
        return False
    runs = compiled(RUN).finditer(text)
    return not any(run_kind(text, match, 0, True, random_keys) for match in runs)
