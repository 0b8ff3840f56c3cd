"""One error type for everything a user can get wrong, rendered as a single line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GraphflowError(Exception):
    """A user-facing error: where it happened, what is wrong, and a hint."""

    def __init__(self, what: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(what)
        self.what = what
        self.where = where
        self.hint = hint

    def one_line(self) -> str:
        parts = [f"{self.where}: " if self.where else "", self.what]
        if self.hint:
            parts.append(f" ({self.hint})")
        return "".join(parts).replace("\n", " ")

    def __str__(self) -> str:
        return self.one_line()


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str | None:
    """A "did you mean ..." hint for a misspelt word, or None."""
    pool = list(dict.fromkeys(candidates))
    lowered = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    if not close:
        close = [c for c in lowered if word.lower() in c][:n]
    if not close:
        return None
    return "did you mean " + ", ".join(repr(lowered[c]) for c in close) + "?"
