"""Credentials in the spec: every string of it is checked, since the spec and all it renders go to Git.

Two rules (docs/secrets.md):

- a value that looks like a credential is refused wherever it is: a PEM block or a bare PEM body
  (also split over the items of a list), a JWT, storage keys and connection strings with a key or
  password, SAS signatures, URLs with a password, Entra client secrets, GitHub, GitLab, Slack, AWS
  and npm tokens, Authorization header values, and long random-looking keys. Values are also read
  through percent-encoding and base64, so that an encoded credential is found too; base64 of
  ordinary text is not a credential, nor are hexadecimal digests, GUIDs and commit IDs.
- a name that says it holds a credential (`DB_PASSWORD`, `clientSecret`, `GITHUB_TOKEN`, `API_KEY`:
  the last word of an env, vars, labels, annotations or tags key) with a literal value is refused:
  the value belongs in a Secret (an env value `{secretKeyRef: ...}`) or in Key Vault.

A false positive is let through, value by value, with the YAML tag `!wlid/not-a-secret` (the loader
records the paths of tagged values). Pure: this module reads the loaded values only.

Speed: a spec holds tens of thousands of strings, nearly all short names. `_clean` answers for the
whole spec at once, with a few regular-expression passes over its JSON text, whether any rule could
fire; only then is every string checked with its path (`_report`). Within `credential_kind`, a shape
runs only on values long enough for it that hold its gate (text every match holds). Both shortcuts
are proven by tests/test_secrets.py to give the answers of the full checks.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Iterator
from functools import cache
from itertools import pairwise
from typing import Any, NamedTuple

from wlid_render.errors import Path, Problem
from wlid_render.formats import GUID_PATTERN
from wlid_render.spec.interpolate import NOT_INTERPOLATED, environment_names, environment_vars, interpolate

NOT_A_SECRET_TAG = "!wlid/not-a-secret"
MAX_DEPTH = 3  # layers of encoding read through (percent-encoding, base64)


class _Shape(NamedTuple):
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
    header = _b64decode(match.group(1), urlsafe=True)
    return (
        header is not None
        and re.match(rb'\{[ \t\r\n]*"', header) is not None
        and (b'"alg"' in header or b'"typ"' in header)
    )


def _not_a_digest(match: re.Match[str]) -> bool:
    return not _is_digest(match.string, match.start())


_SHAPES = (
    _Shape("a PEM private key or certificate", r"-----\s*BEGIN[ A-Z0-9]*", (r"-----\s*begin",), 10),
    _Shape(  # at every `ey`/`ew` (base64 of `{"`, `{ `, `{\n`): a JWT may follow any text
        "a JSON Web Token",
        r"(?=(e[yw][A-Za-z0-9_-]{8,})\.([A-Za-z0-9_-]{10,})\.)",
        (r"e[yw][a-z0-9_-]{8,}\.[a-z0-9_-]{10,}\.",),
        22,
        _jwt,
    ),
    _Shape(
        "an Azure storage connection string or account key",
        r"(?i)(?<![A-Za-z])AccountKey\s*=\s*" + _VALUE + r"{8,}"
        r"|(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])",
        (r"accountkey\s*=", "=="),
        19,
        _not_a_digest,  # sha512-<88 characters> is a hash (Subresource Integrity)
    ),
    _Shape(
        "a shared access signature",
        r"(?i)(?:^|[?&;\s])(?:sig|signature|x-amz-signature)=[A-Za-z0-9%+/=_-]{16,}",
        ("sig=", "signature="),
        20,
    ),
    _Shape(
        "a Microsoft Entra client secret",
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}",
        ("q~",),
        37,
    ),
    _Shape(
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
    _Shape(
        "a URL with a password",
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?!\$?[({<])[^/\s@]+@",
        (r"://[^/\s:@]*:[^/\s@]+@",),
        7,
    ),
    _Shape(
        "an HTTP Authorization header value",
        r"(?i)(?<![A-Za-z])(?:bearer|basic)\s+(?!\$?[({<])[A-Za-z0-9._~+/-]{16,}",
        (r"bearer\s+[a-z0-9._~+/-]{16}", r"basic\s+[a-z0-9._~+/-]{16}"),
        22,
    ),
    _Shape(
        "a GitHub token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})",
        (r"gh[pousr]_[a-z0-9]{30}", "github_pat_"),
        34,
    ),
    _Shape(
        "a GitLab token",
        r"\bgl(?:pat|dt|ptt|rt|soat|cbt|oas|imt|agent|ft|ffct|wt)-[A-Za-z0-9_-]{20,}"
        r"|\bGR1348941[A-Za-z0-9_-]{20,}",
        (r"gl(?:pat|dt|ptt|rt|soat|cbt|oas|imt|agent|ft|ffct|wt)-", "gr1348941"),
        25,
    ),
    _Shape(
        "a Slack token or webhook",
        r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"
        r"|hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{16,}",
        (r"xox[abposre]-", "xapp-", r"hooks\.slack\.com/"),
        15,
    ),
    _Shape(
        "an AWS access key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        tuple(rf"{p}[a-z0-9]{{16}}" for p in ("akia", "asia", "abia", "acca", "a3t[a-z0-9]")),
        20,
    ),
    _Shape("an npm token", r"\bnpm_[A-Za-z0-9]{36}", (r"npm_[a-z0-9]{36}",), 40),
    _Shape(
        "an OpenSSH private key", r"b3BlbnNzaC1rZXktdjE", ("b3blbnnzac1rzxktdje",), 19
    ),  # "openssh-key-v1"
)
MIN_LENGTH = min(shape.min_length for shape in _SHAPES)
_GATES = tuple(gate for shape in _SHAPES for gate in shape.gates)

RANDOM_MIN = 32  # a random-looking run this long is a key
BASE64_MIN = 24  # a base64 run this long is decoded and read again
# Runs of key-like text (base64 in both alphabets, and the characters of Entra secrets), and the
# base64 pieces inside one.
_RUN = rf"[A-Za-z0-9+/_~.=-]{{{BASE64_MIN},}}"
_BASE64 = rf"[A-Za-z0-9+/_-]{{{BASE64_MIN},}}"
_PERCENT = r"%[0-9A-Fa-f]{2}"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:  # each pattern once, when a value first needs it
    return re.compile(pattern)


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


def _gate_holds(gate: str, folded: str) -> bool:
    """Whether lower-cased text holds a match of a gate; compiled only when its fixed start is there
    (compiling every gate costs a small spec's render some milliseconds)."""
    prefix = _prefix(gate)
    if prefix and prefix not in folded:
        return False
    return prefix == gate or _compiled(gate).search(folded) is not None


def credential_kind(value: str, random_keys: bool = True) -> str | None:
    """What credential `value` looks like, or None.

    `random_keys=False` leaves out the random-looking-text rule (for items of a list joined: two
    arguments side by side may look random without being a key).
    """
    return _kind(value, 0, shortcuts=True, random_keys=random_keys)


def _kind(value: str, depth: int, shortcuts: bool, random_keys: bool = True) -> str | None:
    if shortcuts and len(value) < MIN_LENGTH:
        return None
    # For ASCII text, case-insensitive matching is lower-case comparison; beyond it, some characters
    # match ASCII letters case-insensitively (the Kelvin sign, the long s), so every shape runs.
    folded = value.lower() if shortcuts and value.isascii() else None
    for shape in _SHAPES:
        if folded is not None and (
            len(value) < shape.min_length or not any(_gate_holds(g, folded) for g in shape.gates)
        ):
            continue
        for match in _compiled(shape.pattern).finditer(value):
            if shape.accept is None or shape.accept(match):
                return shape.kind
    kind = _percent_encoded(value, depth, shortcuts, random_keys)
    if kind or (folded is not None and folded == value):  # no upper-case letter: no run counts
        return kind
    for match in _compiled(_RUN).finditer(value):
        kind = _run_kind(value, match, depth, shortcuts, random_keys)
        if kind:
            return kind
    return None


def _percent_encoded(value: str, depth: int, shortcuts: bool, random_keys: bool) -> str | None:
    if depth >= MAX_DEPTH or "%" not in value or not _compiled(_PERCENT).search(value):
        return None
    decoded = _compiled(_PERCENT).sub(lambda m: chr(int(m.group(0)[1:], 16)), value)
    kind = _kind(decoded, depth + 1, shortcuts, random_keys)
    return f"{kind} (percent-encoded)" if kind and "encoded" not in kind else kind


def _run_kind(
    value: str, match: re.Match[str], depth: int, shortcuts: bool, random_keys: bool = True
) -> str | None:
    """A key-like run: base64 that decodes to a credential, DER (a PEM body), or random-looking text.

    Only runs with both upper- and lower-case letters count (base64 of 18 bytes or more holds both
    but for one value in a million), and not hexadecimal ones (digests, commit IDs, GUIDs). A run
    that is base64 of text is that text, whatever it looks like.
    """
    run = match.group(0)
    if run.lower() == run or run.upper() == run or _is_hex(run):  # runs are ASCII
        return None
    kind, text = _decoded(run, depth, shortcuts, random_keys)
    if kind or text or not random_keys:
        return kind
    if len(run) >= RANDOM_MIN and _random_looking(run) and not _is_digest(value, match.start()):
        return "a key or token (random-looking text)"
    return None


def _decoded(run: str, depth: int, shortcuts: bool, random_keys: bool) -> tuple[str | None, bool]:
    """What a run's base64 pieces hold: a credential (a DER key or certificate, or text holding one),
    and whether the run is base64 of text (its longest piece, most of it, decodes to text)."""
    pieces = _compiled(_BASE64).findall(run)
    longest = max(pieces, key=len, default="")
    is_text = False
    for piece in pieces:
        data = _b64decode(piece, urlsafe="-" in piece or "_" in piece)
        if data is None:
            continue
        if _is_der(data) or any(
            _is_der(_b64decode(piece[m.start() :], False) or b"") for m in _der_starts(piece)
        ):
            return "a PEM private key or certificate (its base64 body)", False
        if _is_text(data):
            is_text = is_text or (piece is longest and len(piece) >= 0.8 * len(run))
            if depth < MAX_DEPTH:
                kind = _kind(data.decode("utf-8", "replace"), depth + 1, shortcuts, random_keys)
                if kind:
                    return (kind if "encoded" in kind else f"{kind} (base64-encoded)"), True
    return None, is_text


def _is_der(data: bytes) -> bool:
    """A DER SEQUENCE with a long-form length, as a key or certificate starts."""
    return len(data) > 4 and data[0] == 0x30 and data[1] in (0x81, 0x82, 0x83)


def _der_starts(piece: str) -> list[re.Match[str]]:
    """Where base64 of a DER SEQUENCE (`MIG`, `MII`, `MIM`) starts inside a piece, past its start."""
    return [m for m in _compiled("MI[GIM]").finditer(piece, 1)][:3]


def _b64decode(text: str, urlsafe: bool) -> bytes | None:
    """Bytes of a base64 text; a cut-off tail is dropped (a truncated value decodes as far as it goes)."""
    body = text.rstrip("=")
    if urlsafe:
        body = body.replace("-", "+").replace("_", "/")
    body = body[: len(body) - len(body) % 4]
    if not body:
        return None
    try:
        return binascii.a2b_base64(body)
    except binascii.Error:
        return None


def _is_text(data: bytes) -> bool:
    """Mostly printable UTF-8 text, as base64 of a connection string or a PEM file is (a character
    cut at the end, as in a truncated value, is forgiven)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:
            return False
        text = data[: exc.start].decode("utf-8")
    if not text:
        return False
    printable = sum(1 for c in text if c.isprintable() or c in "\t\n\r")
    return printable >= 0.95 * len(text)


def _is_hex(run: str) -> bool:
    return all(c in "0123456789abcdefABCDEF-" for c in run)


_DIGEST = r"(?i)(?:sha(?:1|224|256|384|512)|md5)[-:]"  # an algorithm's name before a hash (SRI, OCI)


def _is_digest(value: str, start: int) -> bool:
    """Whether the text at `start` is a hash after its algorithm's name (sha512-..., sha256:...)."""
    return (
        _compiled(_DIGEST + "$").search(value[max(0, start - 8) : start]) is not None
        or _compiled(_DIGEST).match(value, start) is not None
    )


_GUID = GUID_PATTERN
_SYLLABLES = r"[A-Z]?[a-z]{2,}|[A-Z]{2,}(?![a-z])"  # a word of an identifier, if it has a vowel


def _random_looking(run: str) -> bool:
    """Text drawn at random from letters, digits and a few symbols, not words.

    An identifier, path, host name or resource ID is made of words: nearly all its letters sit in
    stretches with a vowel (`Microsoft.ContainerService/managedClusters`), and its case changes at
    word starts only. A key drawn at random has short pronounceable stretches and changes case at
    every other letter. Measured (docs/secrets.md): no run of 32 or more mixed-case characters in
    the bundled ARM and Kubernetes schemas or the rendered examples (5,053 of them) is taken for a
    key; random keys of 32 characters are missed about once in a hundred, of 52 or more once in 500.
    Text of few distinct characters (`000...0AGaa`) is not random either.
    """
    text = _compiled(_GUID).sub("", run)
    if len(text) < RANDOM_MIN or sum(c.isupper() for c in text) < 2 or sum(c.islower() for c in text) < 2:
        return False
    if len(set(text)) < 0.4 * min(len(text), 60):  # a random key repeats few of its characters
        return False
    vowel = _compiled("[aeiouyAEIOUY]").search
    wordy = sum(len(w) for w in _compiled(_SYLLABLES).findall(text) if vowel(w)) / len(text)
    if wordy < 0.5:
        return True
    pairs = changes = 0
    for a, b in pairwise(text):
        if a.isalpha() and b.isalpha():
            pairs += 1
            changes += a.isupper() != b.isupper()
    return wordy < 0.7 and changes >= 0.3 * pairs


# -- names that say they hold a credential --------------------------------------------------------
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "credential",
        "credentials",
        "pat",
        "sas",
    }
)
# `*_KEY` names that hold no credential: what the key is of.
NOT_SECRET_KEYS = frozenset(
    {
        "blob",
        "cache",
        "column",
        "dedup",
        "dedupe",
        "feature",
        "foreign",
        "group",
        "hash",
        "idempotency",
        "index",
        "label",
        "lookup",
        "map",
        "message",
        "metric",
        "object",
        "partition",
        "primary",
        "public",
        "range",
        "routing",
        "row",
        "shard",
        "sort",
        "sorting",
        "translation",
    }
)
NAMED_MAPS = frozenset({"env", "vars", "labels", "annotations", "tags"})  # mappings whose keys a user names
# Values that hold no credential under any name: empty, a `$(VAR)` or `${VAR}` reference, a flag.
_NOT_A_VALUE = r"|\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|true|false|yes|no|on|off|[01]"


@cache
def names_a_secret(name: str) -> bool:
    """Whether a name says it holds a credential: its last word (DB_PASSWORD, clientSecret, api-key)."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", name.rsplit("/", 1)[-1])
    if not words:
        return False
    last = words[-1].lower()
    if last in SECRET_WORDS:
        return True
    return last == "key" and len(words) > 1 and words[-2].lower() not in NOT_SECRET_KEYS


# -- the whole spec -------------------------------------------------------------------------------
_HINT_ENV = (
    "reference a Kubernetes Secret instead: {name}: {{secretKeyRef: {{name: <secret>, key: <key>}}}}, "
    "or keep it in Key Vault and let the workload read it with its identity"
)
_HINT_ARGS = (
    "pass it in an env value from a Secret ({{secretKeyRef: ...}}) and write $(NAME) here, "
    "or keep it in Key Vault and let the workload read it with its identity"
)
_HINT_OTHER = "keep it in Key Vault (or a Kubernetes Secret) and out of the spec"
_ESCAPE = f"if it is not a secret, tag the value {NOT_A_SECRET_TAG}"


def secret_problems(data: Any, not_secrets: frozenset[Path] = frozenset()) -> list[Problem]:
    """Every credential-looking string of a loaded spec, and every literal under a credential name.

    `data` is the spec as loaded (before `${env}`/`${vars.*}` are resolved): each string is checked
    as written, and a string with references once more per environment, resolved (a credential may
    be put together from variables). Values at `not_secrets` paths are let through.
    """
    if not not_secrets and _clean(data):
        return []
    return _report(data, not_secrets)


def _clean(data: Any) -> bool:
    """Whether `_report` would find nothing, answered for all strings of the spec at once.

    The distinct strings (keys included, and the items of each list of strings joined) are checked
    together in one text, each gate and the run analysis searching it once; strings with references
    once more per environment, resolved. The names under named maps are checked one by one.
    """
    found, lists, named_maps = _collect(data)
    not_a_value = _compiled(_NOT_A_VALUE).fullmatch
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
    if "%" in text or any(_gate_holds(gate, folded) for gate in _GATES):
        return False
    runs = _compiled(_RUN).finditer(text)
    return not any(_run_kind(text, match, 0, True, random_keys) for match in runs)


def _report(data: Any, not_secrets: frozenset[Path]) -> list[Problem]:
    problems: list[Problem] = []
    referencing: list[tuple[Path, str]] = []
    flagged_vars: set[tuple[str, str]] = set()  # (environment, var) whose value is refused already
    for path, value, named in _strings(data):
        if path in not_secrets:
            continue
        kind = credential_kind(value)
        if kind:
            problems.append(_looks_like(path, kind))
        elif named and not _compiled(_NOT_A_VALUE).fullmatch(value) and names_a_secret(str(path[-1])):
            problems.append(_named(path))
        else:
            if "${" in value and path[0] not in NOT_INTERPOLATED:
                referencing.append((path, value))
            continue
        if len(path) == 4 and path[0] == "environments" and path[2] == "vars":
            flagged_vars.add((str(path[1]), str(path[3])))
    for path, items in _string_lists(data):
        if any((*path, i) in not_secrets for i in range(len(items))):
            continue
        if any(credential_kind(item) for item in items):
            continue  # reported at the item
        kind = credential_kind("".join(items), False) or credential_kind("\n".join(items), False)
        if kind:
            problems.append(_looks_like(path, f"{kind}, split over the items of this list"))
    if referencing and isinstance(data, dict):
        problems += _resolved(data, referencing, not_secrets, flagged_vars)
    return problems


def _resolved(
    data: dict[str, Any],
    referencing: list[tuple[Path, str]],
    not_secrets: frozenset[Path],
    flagged: set[tuple[str, str]],
) -> list[Problem]:
    """Strings with references, resolved in each environment (tagged or refused variables left out)."""
    problems = []
    reported: set[Path] = set()
    for env in environment_names(data):
        values = environment_vars(data, env)
        for name in list(values):
            if ("environments", env, "vars", name) in not_secrets or (env, name) in flagged:
                values[name] = ""
        for path, text in referencing:
            if path in reported:
                continue
            kind = credential_kind(interpolate(text, env, values)[0])
            if kind:
                reported.add(path)
                problems.append(_looks_like(path, kind, env))
    return problems


def _looks_like(path: Path, kind: str, env: str | None = None) -> Problem:
    where = f"environment {env!r}: with its variables, " if env else ""
    message = f"{where}this value looks like {kind}; secrets do not belong in the spec (it ends up in Git)"
    return Problem(message, path, hint=f"{_hint(path)}; {_ESCAPE}")


def _named(path: Path) -> Problem:
    name = str(path[-1])
    message = f"{name} says it holds a credential, and its value is a literal: it would end up in Git"
    return Problem(message, path, hint=f"{_hint(path)}; {_ESCAPE}")


def _hint(path: Path) -> str:
    if len(path) >= 2 and path[-2] == "env":
        return _HINT_ENV.format(name=path[-1])
    if len(path) >= 2 and path[-2] in ("args", "command"):
        return _HINT_ARGS
    return _HINT_OTHER


def _strings(data: Any) -> Iterator[tuple[Path, str, bool]]:
    """(path, string, under a named map) for every string value and mapping key of the data."""
    stack: list[tuple[Any, Path, bool]] = [(data, (), False)]
    while stack:
        node, path, named = stack.pop()
        if isinstance(node, str):
            yield path, node, named
        elif isinstance(node, dict):
            inside = bool(path) and path[-1] in NAMED_MAPS
            for key, value in node.items():
                if isinstance(key, str):
                    yield (*path, key), key, False  # a key lands in the output too
                stack.append((value, (*path, key), inside))
        elif isinstance(node, list):
            stack.extend((item, (*path, i), False) for i, item in enumerate(node))


def _string_lists(data: Any) -> Iterator[tuple[Path, list[str]]]:
    """Lists of two or more strings (args, command, ...): a credential may be split over them."""
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            if len(node) > 1 and all(isinstance(item, str) for item in node):
                yield path, node
            else:
                stack.extend((item, (*path, i)) for i, item in enumerate(node))
