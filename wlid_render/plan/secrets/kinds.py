"""What credential a value looks like: its shapes, then the text it holds under percent-encoding and
base64 (read through up to MAX_DEPTH layers), then runs of key-like text."""

from __future__ import annotations

import re

from wlid_render.plan.secrets.shapes import MIN_LENGTH, SHAPES, gate_holds
from wlid_render.plan.secrets.text import (
    RANDOM_MIN,
    b64decode,
    compiled,
    der_starts,
    is_der,
    is_digest,
    is_hex,
    is_text,
    random_looking,
)

MAX_DEPTH = 3  # layers of encoding read through (percent-encoding, base64)
BASE64_MIN = 24  # a base64 run this long is decoded and read again
# Runs of key-like text (base64 in both alphabets, and the characters of Entra secrets), and the
# base64 pieces inside one.
RUN = rf"[A-Za-z0-9+/_~.=-]{{{BASE64_MIN},}}"
BASE64 = rf"[A-Za-z0-9+/_-]{{{BASE64_MIN},}}"
PERCENT = r"%[0-9A-Fa-f]{2}"


def credential_kind(value: str, random_keys: bool = True) -> str | None:
    """What credential `value` looks like, or None.

    `random_keys=False` leaves out the random-looking-text rule (for items of a list joined: two
    arguments side by side may look random without being a key).
    """
    return kind_of(value, 0, shortcuts=True, random_keys=random_keys)


def kind_of(value: str, depth: int, shortcuts: bool, random_keys: bool = True) -> str | None:
    if shortcuts and len(value) < MIN_LENGTH:
        return None
    # For ASCII text, case-insensitive matching is lower-case comparison; beyond it, some characters
    # match ASCII letters case-insensitively (the Kelvin sign, the long s), so every shape runs.
    folded = value.lower() if shortcuts and value.isascii() else None
    for shape in SHAPES:
        if folded is not None and (
            len(value) < shape.min_length or not any(gate_holds(g, folded) for g in shape.gates)
        ):
            continue
        for match in compiled(shape.pattern).finditer(value):
            if shape.accept is None or shape.accept(match):
                return shape.kind
    kind = _percent_encoded(value, depth, shortcuts, random_keys)
    if kind or (folded is not None and folded == value):  # no upper-case letter: no run counts
        return kind
    for match in compiled(RUN).finditer(value):
        kind = run_kind(value, match, depth, shortcuts, random_keys)
        if kind:
            return kind
    return None


def _percent_encoded(value: str, depth: int, shortcuts: bool, random_keys: bool) -> str | None:
    if depth >= MAX_DEPTH or "%" not in value or not compiled(PERCENT).search(value):
        return None
    decoded = compiled(PERCENT).sub(lambda m: chr(int(m.group(0)[1:], 16)), value)
    kind = kind_of(decoded, depth + 1, shortcuts, random_keys)
    return f"{kind} (percent-encoded)" if kind and "encoded" not in kind else kind


def run_kind(
    value: str, match: re.Match[str], depth: int, shortcuts: bool, random_keys: bool = True
) -> str | None:
    """A key-like run: base64 that decodes to a credential, DER (a PEM body), or random-looking text.

    Only runs with both upper- and lower-case letters count (base64 of 18 bytes or more holds both
    but for one value in a million), and not hexadecimal ones (digests, commit IDs, GUIDs). A run
    that is base64 of text is that text, whatever it looks like.
    """
    run = match.group(0)
    if run.lower() == run or run.upper() == run or is_hex(run):  # runs are ASCII
        return None
    kind, text = _decoded(run, depth, shortcuts, random_keys)
    if kind or text or not random_keys:
        return kind
    if len(run) >= RANDOM_MIN and random_looking(run) and not is_digest(value, match.start()):
        return "a key or token (random-looking text)"
    return None


def _decoded(run: str, depth: int, shortcuts: bool, random_keys: bool) -> tuple[str | None, bool]:
    """What a run's base64 pieces hold: a credential (a DER key or certificate, or text holding one),
    and whether the run is base64 of text (its longest piece, most of it, decodes to text)."""
    pieces = compiled(BASE64).findall(run)
    longest = max(pieces, key=len, default="")
    of_text = False
    for piece in pieces:
        data = b64decode(piece, urlsafe="-" in piece or "_" in piece)
        if data is None:
            continue
        if is_der(data) or any(
            is_der(b64decode(piece[m.start() :], False) or b"") for m in der_starts(piece)
        ):
            return "a PEM private key or certificate (its base64 body)", False
        if is_text(data):
            of_text = of_text or (piece is longest and len(piece) >= 0.8 * len(run))
            if depth < MAX_DEPTH:
                kind = kind_of(data.decode("utf-8", "replace"), depth + 1, shortcuts, random_keys)
                if kind:
                    return (kind if "encoded" in kind else f"{kind} (base64-encoded)"), True
    return None, of_text
