"""The shapes of credentials (PEM, JWT, storage keys, connection strings, tokens of many services),
each with gates: fixed text that every match holds, so that a value without it is passed at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from wlid_render.plan.secrets.text import b64decode, compiled, is_digest


class Shape(NamedTuple):
    kind: str
    pattern: str
    # Regular expressions on the lower-cased value, each starting with fixed text (so that a search is
    # fast), one of which every match of `pattern` satisfies: an ASCII value that satisfies none of
    # them cannot match, and `pattern` does not run.
    gates: tuple[str, ...]
    min_length: int  # no match is shorter
    accept: Callable[[re.Match[str]], bool] | None = None  # a further test of a match


# A character of a literal value, not at the start of a reference or placeholder: `$(VAR)`, `${VAR}`,
# `{{ .Values.x }}`, `<password>`, `(...)`.
_VALUE = r"(?!\$?[({<])[^\s;'\"&,]"
_KEYWORDS = (  # settings whose value is a credential, in connection strings, URLs and command lines
    "password",
    "passwd",
    "passphrase",
    "shared_?access_?key",
    "access_?key",
    "api_?key",
    "secret_?key",
    "client_?secret",
    "auth_?token",
    "_authtoken",
    "access_?token",
    "refresh_?token",
)


def _jwt(match: re.Match[str]) -> bool:
    """The first segment is base64url of a JSON object with a JOSE header field."""
    header = b64decode(match.group(1), urlsafe=True)
    return (
        header is not None
        and re.match(rb'\{[ \t\r\n]*"', header) is not None
        and (b'"alg"' in header or b'"typ"' in header)
    )


def _not_a_digest(match: re.Match[str]) -> bool:
    return not is_digest(match.string, match.start())


SHAPES = (
    Shape("a PEM private key or certificate", r"-----\s*BEGIN[ A-Z0-9]*", (r"-----\s*begin",), 10),
    Shape(  # at every `ey`/`ew` (base64 of `{"`, `{ `, `{\n`): a JWT may follow any text
        "a JSON Web Token",
        r"(?=(e[yw][A-Za-z0-9_-]{8,})\.([A-Za-z0-9_-]{10,})\.)",
        (r"e[yw][a-z0-9_-]{8,}\.[a-z0-9_-]{10,}\.",),
        22,
        _jwt,
    ),
    Shape(
        "an Azure storage connection string or account key",
        r"(?i)(?<![A-Za-z])AccountKey\s*=\s*" + _VALUE + r"{8,}"
        r"|(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])",
        (r"accountkey\s*=", "=="),
        19,
        _not_a_digest,  # sha512-<88 characters> is a hash (Subresource Integrity)
    ),
    Shape(
        "a shared access signature",
        r"(?i)(?:^|[?&;\s])(?:sig|signature|x-amz-signature)=[A-Za-z0-9%+/=_-]{16,}",
        ("sig=", "signature="),
        20,
    ),
    Shape(
        "a Microsoft Entra client secret",
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}",
        ("q~",),
        37,
    ),
    Shape(
        "a connection string or setting with a key or password",
        rf"(?i)(?<![A-Za-z])(?:{'|'.join(_KEYWORDS)})[\"']?\s*[=:]\s*[\"']?{_VALUE}{{3,}}"
        rf"|(?<![A-Za-z])(?:pwd|pass|_auth)\s*=\s*(?![/.]){_VALUE}{{3,}}"
        rf"|[\"']auth[\"']\s*:\s*[\"']{_VALUE}{{8,}}",  # "auth" of a Docker config.json
        (
            *(rf"{k}[\"']?\s*[=:]" for k in _KEYWORDS),
            r"pwd\s*=",
            r"pass\s*=",
            r"_auth\s*=",
            r"auth[\"']\s*:",
        ),
        7,
    ),
    Shape(
        "a URL with a password",
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?!\$?[({<])[^/\s@]+@",
        (r"://[^/\s:@]*:[^/\s@]+@",),
        7,
    ),
    Shape(
        "an HTTP Authorization header value",
        r"(?i)(?<![A-Za-z])(?:bearer|basic)\s+(?!\$?[({<])[A-Za-z0-9._~+/-]{16,}",
        (r"bearer\s+[a-z0-9._~+/-]{16}", r"basic\s+[a-z0-9._~+/-]{16}"),
        22,
    ),
    Shape(
        "a GitHub token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})",
        (r"gh[pousr]_[a-z0-9]{30}", "github_pat_"),
        34,
    ),
    Shape(
        "a GitLab token",
        r"\bgl(?:pat|dt|ptt|rt|soat|cbt|oas|imt|agent|ft|ffct|wt)-[A-Za-z0-9_-]{20,}"
        r"|\bGR1348941[A-Za-z0-9_-]{20,}",
        (r"gl(?:pat|dt|ptt|rt|soat|cbt|oas|imt|agent|ft|ffct|wt)-", "gr1348941"),
        25,
    ),
    Shape(
        "a Slack token or webhook",
        r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"
        r"|hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{16,}",
        (r"xox[abposre]-", "xapp-", r"hooks\.slack\.com/"),
        15,
    ),
    Shape(
        "an AWS access key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        tuple(rf"{p}[a-z0-9]{{16}}" for p in ("akia", "asia", "abia", "acca", "a3t[a-z0-9]")),
        20,
    ),
    Shape("an npm token", r"\bnpm_[A-Za-z0-9]{36}", (r"npm_[a-z0-9]{36}",), 40),
    Shape("an OpenSSH private key", r"b3BlbnNzaC1rZXktdjE", ("b3blbnnzac1rzxktdje",), 19),  # "openssh-key-v1"
)
MIN_LENGTH = min(shape.min_length for shape in SHAPES)
GATES = tuple(gate for shape in SHAPES for gate in shape.gates)


@cache
def _prefix(gate: str) -> str:
    """The fixed text a gate starts with: every match of the gate holds it."""
    out = ""
    for i, char in enumerate(gate):
        if char in "\\[](){}.*+?|^$":
            # a quantifier applies to the character before it: that one is not fixed
            return out[:-1] if char in "*?{" and out else out
        out += gate[i]
    return out


def gate_holds(gate: str, folded: str) -> bool:
    """Whether lower-cased text holds a match of a gate; compiled only when its fixed start is there
    (compiling every gate costs a small spec's render some milliseconds)."""
    prefix = _prefix(gate)
    if prefix and prefix not in folded:
        return False
    return prefix == gate or compiled(gate).search(folded) is not None
