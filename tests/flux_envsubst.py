"""Test helper: Flux post-build variable substitution, implemented from kustomize-controller's source.

What Flux does (fluxcd/pkg, kustomize/kustomize_varsub.go `SubstituteVariables` and
`varSubstitution`; the expansion is fluxcd/pkg envsubst, a fork of drone/envsubst: parse/scan.go,
parse/parse.go, template.go, funcs.go), restated here as rules:

- An object whose label or annotation `kustomize.toolkit.fluxcd.io/substitute` is `disabled` is left
  alone. Every other object of the build is serialised to YAML and the whole text is expanded, then
  read back (a text that no longer parses is an error of the whole Kustomization).
- Outside `${`, `$$` stands for one literal `$` (pairwise, left to right) and any other `$` is
  literal: only `${` starts an expansion; the bare `$VAR` form is not expanded.
- `${NAME}`: NAME is one or more letters, digits or `_` (anything else, `${ X}` or `${}`, is an
  error: "unable to parse variable name"); an undefined variable expands to "" (not strict mode).
- After NAME: `}` ends it; `:-`, `:=`, `:+`, `:?` and `=` take a default, the text up to the closing
  `}` (nested `${...}` expand; no escapes there); all of them give the variable's value if it is not
  empty, else the default (`funcs.go toDefault`). `-`, `+` or `?` without `:` are
  errors ("missing closing brace"), as is any other character.
- `${#NAME}` is the length; `${NAME,}` `${NAME,,}` `${NAME^}` `${NAME^^}` change case; `${NAME:P}` and
  `${NAME:P:L}` take a substring; `${NAME/a/b}` `${NAME//a/b}` `${NAME/#a/b}` `${NAME/%a/b}` replace.
  `${NAME#p}` and `${NAME%p}` (glob trimming) are not implemented here: `Unsupported`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"


class SubstitutionError(ValueError):
    """Flux stops the whole Kustomization with this error."""


class Unsupported(NotImplementedError):
    """An expansion form this helper does not implement."""


def _ident(char: str) -> bool:
    return char.isalpha() or char.isdigit() or char == "_"


class _Expander:
    def __init__(self, text: str, lookup: Callable[[str], str]):
        self.text = text
        self.pos = 0
        self.lookup = lookup

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    # -- text outside ${ -------------------------------------------------------------------------
    def top(self) -> str:
        out = []
        while self.pos < len(self.text):
            char = self.peek()
            if char == "$" and self.peek(1) == "{":
                self.pos += 2
                out.append(self.expression())
            elif char == "$" and self.peek(1) == "$":
                out.append("$")
                self.pos += 2
            else:
                out.append(char)
                self.pos += 1
        return "".join(out)

    # -- inside ${ ---------------------------------------------------------------------------------
    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and _ident(self.peek()):
            self.pos += 1
        if self.pos == start:
            raise SubstitutionError("unable to parse variable name")
        return self.text[start : self.pos]

    def close(self) -> None:
        if self.peek() != "}":
            raise SubstitutionError("bad substitution")
        self.pos += 1

    def argument(self, stop: str, escapes: bool = False) -> str:
        """A parameter: text up to a character of `stop`, nested expansions expanded; never empty.

        Only the parameters of the replace forms read escapes (`$$`, `\\\\`, `\\/`); the others
        take their text as it is.
        """
        out = []
        start = self.pos
        while self.pos < len(self.text) and self.peek() not in stop:
            char = self.peek()
            if char == "$" and self.peek(1) == "{":
                self.pos += 2
                out.append(self.expression())
            elif escapes and (
                (char == "$" and self.peek(1) == "$") or (char == "\\" and self.peek(1) in ("\\", "/"))
            ):
                out.append(self.peek(1))
                self.pos += 2
            else:
                out.append(char)
                self.pos += 1
        if self.pos == start:
            raise SubstitutionError("unable to parse substitution within function")
        return "".join(out)

    def expression(self) -> str:
        if self.peek() == "#":
            self.pos += 1
            value = self.lookup(self.name())
            self.close()
            return str(len(value.encode("utf-8")))
        name = self.name()
        value = self.lookup(name)
        char, after = self.peek(), self.peek(1)
        if char == "}":
            self.pos += 1
            return value
        if char == "=" or (char == ":" and after and after in "=-?+"):
            self.pos += 1 if char == "=" else 2
            default = self.argument("}") if self.peek() != "}" else ""
            self.close()
            return value if value else default
        if char == ":":
            self.pos += 1
            position = self.argument(":}")
            length = None
            if self.peek() == ":":
                while self.peek() == ":":
                    self.pos += 1
                length = self.argument("}")
            self.close()
            return _substring(value, position, length)
        if char and char in ",^":
            operator = ""
            while self.peek() and self.peek() in ",^" and len(operator) < 2:
                operator += self.peek()
                self.pos += 1
            self.close()
            cases = {",": _lower_first, ",,": str.lower, "^": _upper_first, "^^": str.upper}
            return cases.get(operator, lambda v: v)(value)
        if char == "/":
            self.pos += 1
            operator = "/"
            if after and after in "/#%":
                operator += after
                self.pos += 1
            pattern = self.argument("/}", escapes=True)
            if self.peek() != "/":
                raise SubstitutionError("bad substitution")
            while self.peek() == "/":
                self.pos += 1
            replacement = self.argument("}", escapes=True) if self.peek() != "}" else None
            self.close()
            return _replace(operator, value, pattern, replacement)
        if char and char in "#%":
            raise Unsupported(f"${{{name}{char}...}}: glob trimming")
        raise SubstitutionError("missing closing brace")


def _lower_first(value: str) -> str:
    return value[:1].lower() + value[1:]


def _upper_first(value: str) -> str:
    return value[:1].upper() + value[1:]


def _integer(text: str) -> int | None:
    """Go's strconv.Atoi: an optional sign and decimal digits, nothing else."""
    return int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else None


def _substring(value: str, position: str, length: str | None) -> str:
    start = _integer(position)
    if start is None:
        return value
    if start < 0:
        start = max(len(value) + start, 0)
    if length is None:
        return value[start:]
    count = _integer(length)
    if count is None:
        return value
    return value[start : start + count] if start + count < len(value) else value[start:]


def _replace(operator: str, value: str, pattern: str, replacement: str | None) -> str:
    if operator in ("/#", "/%"):
        if replacement is None:
            return value
        if operator == "/#" and value.startswith(pattern):
            return value.replace(pattern, replacement, 1)
        if operator == "/%" and value.endswith(pattern):
            return value[: len(value) - len(pattern)] + replacement
        return value
    count = -1 if operator == "//" else 1
    return value.replace(pattern, replacement or "", count)


def expand(text: str, variables: Mapping[str, str]) -> str:
    """The text after Flux's expansion; undefined variables are empty. Raises SubstitutionError."""
    return _Expander(text, lambda name: variables.get(name, "")).top()


def opted_out(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata") or {}
    return (meta.get("labels") or {}).get(SUBSTITUTE) == "disabled" or (meta.get("annotations") or {}).get(
        SUBSTITUTE
    ) == "disabled"


def substitute_documents(built: str, variables: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every object of a `kubectl kustomize` output as Flux applies it with these variables."""
    out = []
    for text in built.split("\n---\n"):
        obj = yaml.safe_load(text)
        if not obj:
            continue
        if not opted_out(obj) and variables:
            obj = yaml.safe_load(expand(text, variables))
        out.append(obj)
    return out
