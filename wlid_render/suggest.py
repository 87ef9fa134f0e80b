"""Closest-match suggestions for misspelt keys and names."""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """`'a', 'b'` for the closest choices (case-insensitive), or '' when nothing is close."""
    import difflib  # only when something is misspelt

    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.lower(), choice)
    close = difflib.get_close_matches(word.lower(), list(folded), n=n, cutoff=0.6)
    return ", ".join(repr(folded[c]) for c in close)
