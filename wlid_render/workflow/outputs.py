"""Client IDs from the outputs of a deployed wlid template.

The rendered template has two outputs: `identities` (identity name -> {clientId, principalId, tenantId})
and `oidcIssuerUrl`. `az` prints them in several shapes, and every one is accepted:

* `az deployment group show -g RG -n NAME --query properties.outputs` prints the outputs object:
  `{"identities": {"type": "Object", "value": {...}}, "oidcIssuerUrl": {"type": "String", ...}}`;
* `az deployment group create ...` and `az deployment group show ...` print the whole deployment,
  with the same object under `properties.outputs`;
* `az stack group create|show ...` print the whole deployment stack, whose properties az flattens:
  the outputs object is the top-level `outputs` (`null` until the stack has deployed), next to
  `provisioningState` (Microsoft Learn, "Create and deploy Azure deployment stacks in Bicep", the
  sample output of `az stack group show`); `--query outputs` prints the outputs object;
* `--query properties.outputs.identities` prints the one output, `{"type": "Object", "value": {...}}`;
* `--query properties.outputs.identities.value` prints its value: identity name -> {clientId, ...}.

Problems come back as `SpecError` located in the outputs file; the JSON path of the value stands in
for the spec path. Lines are found lazily (only when there is a problem) by composing the file as YAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import yaml

from wlid_render.errors import Mark, Path, Problem, SpecError
from wlid_render.formats import GUID
from wlid_render.input_limits import OUTPUTS_MAX_BYTES, InputError, load_json, read_bounded

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

ENVIRONMENT_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
IDENTITIES_OUTPUT = "identities"

SHOW_COMMAND = "az deployment group show -g RG -n NAME --query properties.outputs"
EXPECTED = (
    f"the JSON that `{SHOW_COMMAND}` prints, the whole output of `az deployment group create|show` or "
    "`az stack group create|show`, or that of `--query properties.outputs.identities.value`"
)


def parse_outputs_option(value: str) -> tuple[str, str]:
    """`dev=outputs/dev.json` -> `("dev", "outputs/dev.json")`; ValueError with a clear message if malformed.

    The environment is everything before the first '='; the file name may itself contain '='.
    """
    env, sep, file = value.partition("=")
    env = env.strip()
    if not sep or not env or not file:
        raise ValueError(f"expected ENV=FILE (for example dev=outputs-dev.json), got {value!r}")
    if len(env) > 30 or not ENVIRONMENT_RE.fullmatch(env):
        raise ValueError(
            f"{env!r} in {value!r} is not an environment name "
            "(lower-case letters, digits and '-'; a spec without environments has one named 'default')"
        )
    return env, file


def read_outputs(path: str) -> dict[str, str]:
    """Identity name -> client ID (lower case) from a deployment's outputs, saved as JSON.

    Raises SpecError (never OSError, UnicodeError or ValueError) when the file cannot be read, is not
    JSON, has no `identities` output, or holds a client ID that is not a GUID. An empty `identities`
    object gives an empty mapping.
    """
    reader = _Reader(path)
    text = reader.read_text()
    try:
        data = load_json(text)
    except InputError as exc:
        raise SpecError([Problem(str(exc), hint=f"expected {EXPECTED}", file=path)]) from None
    except json.JSONDecodeError as exc:
        raise SpecError(
            [
                Problem(
                    f"not JSON: {exc.msg}" if text.strip() else "the file is empty",
                    hint=f"expected {EXPECTED}",
                    file=path,
                    mark=Mark(exc.lineno, exc.colno),
                )
            ]
        ) from None
    value, value_path = _identities_value(reader, data)
    problems = []
    client_ids: dict[str, str] = {}
    for identity, entry in value.items():
        entry_path: Path = (*value_path, identity)
        client_id = entry.get("clientId") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or "clientId" not in entry:
            problems.append(
                reader.problem(
                    f"identity {identity!r} has no clientId",
                    entry_path,
                    "expected {clientId, principalId, tenantId} for every identity",
                )
            )
        elif not isinstance(client_id, str) or not GUID.fullmatch(client_id):
            problems.append(
                reader.problem(
                    f"the clientId of {identity!r} is not a GUID: {client_id!r}",
                    (*entry_path, "clientId"),
                    "expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx; was the file edited by hand?",
                )
            )
        else:
            client_ids[identity] = client_id.lower()
    if problems:
        raise SpecError(problems)
    return client_ids


def _identities_value(reader: _Reader, data: Any) -> tuple[dict[str, Any], Path]:
    """The value of the `identities` output (identity name -> {clientId, ...}) and its JSON path."""
    if _is_identities_value(data):
        return data, ()  # --query properties.outputs.identities.value
    if isinstance(data, dict) and {k.lower() for k in data} <= {"type", "value"} and "value" in data:
        output, output_path = data, ()  # --query properties.outputs.identities
    else:
        outputs, outputs_path = _find_outputs(reader, data)
        name = next((k for k in outputs if k.lower() == IDENTITIES_OUTPUT), None)
        if name is None:
            raise reader.error(
                f"no {IDENTITIES_OUTPUT!r} output"
                + (f" (outputs: {', '.join(sorted(outputs))})" if outputs else " (the outputs are empty)"),
                outputs_path,
                "was the deployed template rendered by wlid? Its outputs are 'identities' and 'oidcIssuerUrl'",
            )
        output, output_path = outputs[name], (*outputs_path, name)
    if not isinstance(output, dict) or "value" not in output:
        raise reader.error(
            "the 'identities' output has no 'value'",
            output_path,
            'each output looks like {"type": "Object", "value": ...}',
        )
    kind = output.get("type")
    if kind is not None and (not isinstance(kind, str) or kind.lower() != "object"):
        raise reader.error(
            f"the 'identities' output has type {kind!r}, expected 'Object'",
            (*output_path, "type"),
            "was the deployed template rendered by wlid?",
        )
    value = output["value"]
    value_path: Path = (*output_path, "value")
    if not isinstance(value, dict):
        raise reader.error(
            "the 'identities' output is not an object",
            value_path,
            "expected identity name -> {clientId, principalId, tenantId}",
        )
    return value, value_path


def _is_identities_value(data: Any) -> bool:
    """An identity name -> {clientId, principalId, tenantId} object, as `--query ...identities.value`
    prints it (not `{}`, which says nothing about where it came from)."""
    if not isinstance(data, dict) or not data:
        return False
    return all(isinstance(v, dict) and ("clientId" in v or "principalId" in v) for v in data.values())


def _find_outputs(reader: _Reader, data: Any) -> tuple[dict[str, Any], Path]:
    """The outputs object and its JSON path: the object itself, a deployment's or a deployment stack's."""
    if isinstance(data, dict):
        if any(isinstance(k, str) and k.lower() == IDENTITIES_OUTPUT for k in data):
            return data, ()
        if "outputs" in data and "properties" not in data:  # a deployment stack: properties flattened
            outputs = data["outputs"]
            if isinstance(outputs, dict):
                return outputs, ("outputs",)
            raise reader.error("the deployment stack has no outputs", ("outputs",), _state_hint(data))
        properties = data.get("properties")
        if isinstance(properties, dict) and "outputs" in properties:
            outputs = properties["outputs"]
            if isinstance(outputs, dict):
                return outputs, ("properties", "outputs")
            raise reader.error("the deployment has no outputs", ("properties", "outputs"), _state_hint(properties))
        if data and all(isinstance(v, dict) and "value" in v for v in data.values()):
            return data, ()  # the outputs of some other template
    raise reader.error(
        f"no {IDENTITIES_OUTPUT!r} output",
        (),
        f"expected {EXPECTED}; was the deployed template rendered by wlid?",
    )


def _state_hint(properties: dict[str, Any]) -> str:
    state = properties.get("provisioningState")
    hint = "outputs exist only after a deployment succeeds"
    if isinstance(state, str) and state.lower() != "succeeded":
        hint = f"the deployment's provisioningState is {state!r}; " + hint
    return hint


class _Reader:
    """Reads the file and finds the line of a JSON path when a problem needs it."""

    def __init__(self, path: str):
        self.path = path
        self.text = ""
        self._root: yaml.Node | None = None
        self._composed = False

    def read_text(self) -> str:
        try:
            raw = read_bounded(self.path, OUTPUTS_MAX_BYTES, "the outputs file")
        except InputError as exc:
            raise SpecError([Problem(str(exc), hint=f"save {EXPECTED}", file=self.path)]) from None
        # Windows PowerShell 5 redirects (`az ... > file.json`) as UTF-16 with a byte order mark.
        encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        try:
            self.text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise SpecError(
                [
                    Problem(
                        "the file is not UTF-8 text",
                        hint=f"save it as UTF-8; expected {EXPECTED}",
                        file=self.path,
                        mark=Mark(line, column) if encoding == "utf-8-sig" else None,
                    )
                ]
            ) from None
        return self.text

    def problem(self, message: str, path: Path, hint: str) -> Problem:
        return Problem(message, path, hint=hint, file=self.path, mark=self.mark(path))

    def error(self, message: str, path: Path, hint: str) -> SpecError:
        return SpecError([self.problem(message, path, hint)])

    def mark(self, path: Path) -> Mark | None:
        """Line and column of the value at `path`, or None."""
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=_Loader)
            except yaml.YAMLError:  # valid JSON that YAML 1.1 rejects (a tab before a token, ...)
                self._root = None
        node = self._root
        if node is None:
            return self._scan(path)
        for part in path:
            if not isinstance(node, yaml.MappingNode):
                return None
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
            if not found:
                return None
            node = found[-1][1]  # JSON keeps the last of duplicate keys
        start = node.start_mark
        return Mark(start.line + 1, start.column + 1)

    def _scan(self, path: Path) -> Mark | None:
        """Fallback: where the first occurrence of the last key of `path` (a JSON string) ends."""
        if not path:
            return None
        match = re.search(re.escape(json.dumps(path[-1])) + r"\s*:\s*", self.text)
        if match is None:
            return None
        at = match.end()
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return Mark(line, column)


class Matched(NamedTuple):
    """Client IDs from deployment outputs, split by the identities of a spec's environment."""

    kept: dict[str, str]  # deployed in the environment: pinned
    unknown: tuple[str, ...]  # the spec declares no such identity
    elsewhere: tuple[str, ...]  # declared, but not deployed in this environment
    missing: tuple[str, ...]  # deployed in the environment, but not in the outputs


def match_identities(
    client_ids: Mapping[str, str],
    env: str,
    declared: Sequence[str],
    deployed: Sequence[str],
    files: Sequence[str],
) -> Matched:
    """Which client IDs of the outputs belong to `env` of the spec (`declared`: every identity of the
    spec, `deployed`: those of `env`). Raises SpecError, located in the first outputs file, when the
    outputs name none of them: they were made from another spec or environment, and pinning nothing
    would only hide that."""
    kept = {name: client_id for name, client_id in client_ids.items() if name in deployed}
    if not kept:
        found = ", ".join(sorted(client_ids)) or "none"
        message = (
            f"the outputs name no identity that the spec deploys in {env!r} "
            f"(the outputs name: {found}; {env!r} deploys: {', '.join(deployed) or 'none'})"
        )
        hint = "were the outputs made from another spec or another environment?"
        if not client_ids:
            hint = "outputs exist only after a deployment succeeds; was it another deployment?"
        raise SpecError([Problem(message, hint=hint, file=files[0] if files else "")])
    return Matched(
        kept,
        tuple(sorted(n for n in client_ids if n not in declared)),
        tuple(sorted(n for n in client_ids if n in declared and n not in deployed)),
        tuple(n for n in deployed if n not in client_ids),
    )
