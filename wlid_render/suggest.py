"""Closest-match suggestions for misspelt keys and names."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices closest to `word` (case-insensitive), best first; none when nothing is close."""
    import difflib  # only when something is misspelt

    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.lower(), choice)
    return [folded[c] for c in difflib.get_close_matches(word.lower(), list(folded), n=n, cutoff=0.6)]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """`'a', 'b'` for the closest choices (case-insensitive), or '' when nothing is close."""
    return ", ".join(repr(c) for c in closest(word, choices, n))
