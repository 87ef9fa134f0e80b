"""Which plain YAML scalars some reader takes for something other than a string. Imports nothing of ours.

One fact shared by the YAML writers of `emit` (they quote such strings), `wlid validate` (K8S006 finds
them written plain) and the brownfield importer (it quotes values read from Azure).
"""

from __future__ import annotations

import re

import yaml

# Plain scalars that some YAML reader would read as something other than a string: PyYAML (YAML 1.1),
# the YAML 1.2 core schema, and the Go readers of kubectl, kustomize, Flux and Argo CD (go-yaml v2 and
# v3). wlid's YAML writers always write such strings quoted.
#
# The Go readers are the widest: a plain scalar that starts with a digit, a sign or a dot loses every
# `_` and is then read by Go's `strconv.ParseInt(s, 0, 64)` (so `0X1F`, `+0o17`, `0B11`, `-0b1`,
# `012`, `+_1` and `1_` are integers) or matched against a float pattern (`1e3_0`, `1e3`, `.5`, `1.`
# are floats); `y`, `n`, `yes`, `on`, ... in three spellings are booleans. Checked with
# `kubectl label --local -f FILE a=b -o json` (tests/test_go_yaml.py). Quoting more than needed is
# harmless: a quoted scalar is a string in every reader.
NOT_A_STRING = re.compile(
    r"""(?x)
    ~ | null | Null | NULL | true | True | TRUE | false | False | FALSE
    | y | Y | yes | Yes | YES | n | N | no | No | NO | on | On | ON | off | Off | OFF
    # Numbers; `_` may stand anywhere after the first character. Each repetition is followed by a
    # character it cannot match, so that matching stays linear in the length of the string.
    | (?:[-+]_*)? [0-9][0-9_]*                             # decimal, and leading-zero octal (012)
    | (?:[-+]_*)? 0_*[xX][0-9a-fA-F_]*                     # hex, `0x` alone too
    | (?:[-+]_*)? 0_*[oO][0-7_]*                           # octal, YAML 1.2 and Go spelling
    | (?:[-+]_*)? 0_*[bB][01_]*                            # binary
    | (?:[-+]_*)? (?:\._*[0-9][0-9_]* | [0-9][0-9_]*(?:\.[0-9_]*)?)
      (?:[eE]_*(?:[-+]_*)?[0-9][0-9_]*)?                   # floats: .5, 1., 1e3, 1e3_0
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?     # sexagesimal (YAML 1.1)
    | [-+]?\.(?:inf|Inf|INF) | [-+]?\.(?:nan|NaN|NAN)
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t].*)?          # timestamps
    | = | <<
    """
)

STR_TAG = "tag:yaml.org,2002:str"
FLOAT_TAG = "tag:yaml.org,2002:float"
_resolver = yaml.resolver.Resolver()


def implicit_tag(value: str) -> str:
    """The tag PyYAML's resolver gives `value` written as a plain scalar (STR_TAG for a string)."""
    return _resolver.resolve(yaml.ScalarNode, value, (True, False))


def reads_as_non_string(value: str) -> bool:
    """Whether some YAML reader (PyYAML, YAML 1.2, go-yaml) would read `value`, written plain, as
    something other than this string: then it must be quoted. The one rule both writers use."""
    return bool(NOT_A_STRING.fullmatch(value)) or implicit_tag(value) != STR_TAG
