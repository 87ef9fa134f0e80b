"""What a piece of text is: base64, DER, printable text, hexadecimal, a digest, random-looking.

The tests the credential rules (kinds.py) read a value with once its shapes are checked.
"""

from __future__ import annotations

import binascii
import re
from functools import cache
from itertools import pairwise

from wlid_render.formats import GUID_PATTERN

RANDOM_MIN = 32  # a random-looking run this long is a key


@cache
def compiled(pattern: str) -> re.Pattern[str]:  # each pattern once, when a value first needs it
    return re.compile(pattern)


def is_der(data: bytes) -> bool:
    """A DER SEQUENCE with a long-form length, as a key or certificate starts."""
    return len(data) > 4 and data[0] == 0x30 and data[1] in (0x81, 0x82, 0x83)


def der_starts(piece: str) -> list[re.Match[str]]:
    """Where base64 of a DER SEQUENCE (`MIG`, `MII`, `MIM`) starts inside a piece, past its start."""
    return [m for m in compiled("MI[GIM]").finditer(piece, 1)][:3]


def b64decode(text: str, urlsafe: bool) -> bytes | None:
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


def is_text(data: bytes) -> bool:
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


def is_hex(run: str) -> bool:
    return all(c in "0123456789abcdefABCDEF-" for c in run)


DIGEST = r"(?i)(?:sha(?:1|224|256|384|512)|md5)[-:]"  # an algorithm's name before a hash (SRI, OCI)


def is_digest(value: str, start: int) -> bool:
    """Whether the text at `start` is a hash after its algorithm's name (sha512-..., sha256:...)."""
    return (
        compiled(DIGEST + "$").search(value[max(0, start - 8) : start]) is not None
        or compiled(DIGEST).match(value, start) is not None
    )


GUID = GUID_PATTERN
SYLLABLES = r"[A-Z]?[a-z]{2,}|[A-Z]{2,}(?![a-z])"  # a word of an identifier, if it has a vowel


def random_looking(run: str) -> bool:
    """Text drawn at random from letters, digits and a few symbols, not words.

    An identifier, path, host name or resource ID is made of words: nearly all its letters sit in
    stretches with a vowel (`Microsoft.ContainerService/managedClusters`), and its case changes at
    word starts only. A key drawn at random has short pronounceable stretches and changes case at
    every other letter. Measured (docs/secrets.md): no run of 32 or more mixed-case characters in
    the bundled ARM and Kubernetes schemas or the rendered examples (5,053 of them) is taken for a
    key; random keys of 32 characters are missed about once in a hundred, of 52 or more once in 500.
    Text of few distinct characters (`000...0AGaa`) is not random either.
    """
    text = compiled(GUID).sub("", run)
    if len(text) < RANDOM_MIN or sum(c.isupper() for c in text) < 2 or sum(c.islower() for c in text) < 2:
        return False
    if len(set(text)) < 0.4 * min(len(text), 60):  # a random key repeats few of its characters
        return False
    vowel = compiled("[aeiouyAEIOUY]").search
    wordy = sum(len(w) for w in compiled(SYLLABLES).findall(text) if vowel(w)) / len(text)
    if wordy < 0.5:
        return True
    pairs = changes = 0
    for a, b in pairwise(text):
        if a.isalpha() and b.isalpha():
            pairs += 1
            changes += a.isupper() != b.isupper()
    return wordy < 0.7 and changes >= 0.3 * pairs
