"""Pin client IDs in a spec: set `environments.<env>.clientIds.<identity>` by editing the text in place.

The user's file is never re-dumped: `bind_text.SpecText` makes each change as one small edit at a place
given by the parser's marks (see there for where new keys go). The names are checked against the spec
first, and after editing the result is parsed again and must equal the old spec with only the client
IDs added or changed; if not, nothing is returned and the problem says what to add by hand.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from wlid_render.errors import Problem, SpecError
from wlid_render.formats import DEFAULT_ENVIRONMENT, GUID
from wlid_render.spec.bind_text import SpecText
from wlid_render.spec.load import Source, load_text
from wlid_render.suggest import did_you_mean


def bind_client_ids(spec_text: str, env: str, client_ids: Mapping[str, str], file: str = "spec.yaml") -> str:
    """The spec text with `environments.<env>.clientIds.<identity>: <guid>` set for every given identity.

    Nothing else in the text changes: comments, blank lines, key order, quoting, flow or block style and
    indentation stay as they are. Client IDs are written in lower case. Binding the same values again
    returns the same text. A spec without `environments` has one environment, `default`.

    Raises SpecError (located in `file`) for a spec that is not valid YAML, an identity that the spec does
    not declare, an environment that it does not declare, and a place that cannot be edited safely.
    Raises ValueError when a given client ID is not a GUID (that is the caller's input, not the file's).
    """
    wanted: dict[str, str] = {}
    for name, value in client_ids.items():
        if not isinstance(value, str) or not GUID.fullmatch(value):
            raise ValueError(f"the client ID of {name!r} is not a GUID: {value!r}")
        wanted[name] = value.lower()
    source = load_text(spec_text, file)
    _check_names(source, env, wanted)
    if not wanted:
        return spec_text
    doc = SpecText(spec_text, file)
    doc.bind(env, wanted)
    result = doc.result()
    _self_check(source, result, env, wanted)
    return result


def _check_names(source: Source, env: str, wanted: Mapping[str, str]) -> None:
    data = source.data
    problems = []
    identities = data.get("identities")
    names = []
    if isinstance(identities, list):
        names = [i["name"] for i in identities if isinstance(i, dict) and isinstance(i.get("name"), str)]
    if not names:
        problems.append(
            Problem(
                "the spec declares no identities",
                ("identities",),
                hint="client IDs are pinned for the identities listed under identities",
            )
        )
    else:
        for name in wanted:
            if name not in names:
                guess = did_you_mean(name, names)
                problems.append(
                    Problem(
                        f"no identity named {name!r} (the spec declares {', '.join(map(repr, names))})",
                        ("identities",),
                        hint=f"did you mean {guess}?"
                        if guess
                        else "were the outputs made from another spec, or was an identity renamed?",
                    )
                )
    environments = data.get("environments")
    if isinstance(environments, dict) and environments:
        if env not in environments:
            declared = [str(k) for k in environments]
            guess = did_you_mean(env, declared)
            problems.append(
                Problem(
                    f"no environment named {env!r} (the spec declares {', '.join(map(repr, declared))})",
                    ("environments",),
                    hint=f"did you mean {guess}?" if guess else "declare it under environments first",
                )
            )
    elif env != DEFAULT_ENVIRONMENT:
        problems.append(
            Problem(
                f"no environment named {env!r}: the spec declares no environments, so its only "
                f"environment is {DEFAULT_ENVIRONMENT!r}",
                ("environments",) if "environments" in data else (),
                hint=f"bind {DEFAULT_ENVIRONMENT!r}, or declare environments.{env} first",
            )
        )
    if problems:
        raise SpecError(p.located(source.file, {**source.marks, **source.key_marks}) for p in problems)


def _self_check(source: Source, result: str, env: str, wanted: Mapping[str, str]) -> None:
    """The edited text must parse and equal the old spec with only the client IDs set."""
    expected = copy.deepcopy(source.data)
    environments = expected.get("environments")
    if not isinstance(environments, dict):
        environments = expected["environments"] = {}
    if not isinstance(environments.get(env), dict):
        environments[env] = {}
    if not isinstance(environments[env].get("clientIds"), dict):
        environments[env]["clientIds"] = {}
    environments[env]["clientIds"].update(wanted)
    try:
        got = load_text(result, source.file).data
    except SpecError:
        got = None
    if got != expected:
        entries = ", ".join(f"{name}: {guid}" for name, guid in wanted.items())
        raise SpecError(
            [
                Problem(
                    "cannot add the client IDs to this file without changing something else",
                    ("environments", env, "clientIds"),
                    hint=f"add them by hand under environments.{env}.clientIds: {entries}",
                    file=source.file,
                )
            ]
        )
