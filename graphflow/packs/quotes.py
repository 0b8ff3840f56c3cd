"""Check that every citation's quote appears verbatim in its source text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from graphflow.core.model import Citation, Pack
from graphflow.packs.problems import Problem


def normalise(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) to one space."""
    return " ".join(text.split())


def all_citations(pack: Pack) -> Iterator[Citation]:
    for group in (pack.actors, pack.flows, pack.profiles):
        for item in group.values():
            yield from item.citations
    for flow in pack.flows.values():
        yield from flow.practice_citations
    for rule in pack.rules.values():
        yield from rule.citations
        for eff in rule.effects:
            yield from eff.citations
    for conflict in pack.conflicts.values():
        for _, cit in conflict.positions:
            yield cit


def _find(name: str, dirs: Sequence[Path]) -> Path | None:
    for d in dirs:
        for candidate in (d / name, d / Path(name).name):
            if candidate.is_file():
                return candidate
    return None


def check_quotes(pack: Pack, dirs: Sequence[Path]) -> tuple[list[Problem], dict[str, int]]:
    """Problems for quotes not found verbatim; counts of checked / unchecked citations."""
    texts: dict[str, str | None] = {}
    problems: list[Problem] = []
    counts = {"checked": 0, "unchecked": 0}
    unchecked_sources: set[str] = set()
    for cit in all_citations(pack):
        src = pack.sources.get(cit.source)
        if src is None or not src.file:
            counts["unchecked"] += 1
            continue
        if src.id not in texts:
            path = _find(src.file, dirs)
            texts[src.id] = normalise(path.read_text(encoding="utf-8")) if path else None
        text = texts[src.id]
        if text is None:
            counts["unchecked"] += 1
            unchecked_sources.add(src.id)
            continue
        counts["checked"] += 1
        if normalise(cit.quote) not in text:
            snippet = normalise(cit.quote)
            snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
            problems.append(Problem(
                cit.where, f"quote not found verbatim in {src.file}: {snippet!r}",
                "copy the quote exactly (curly quotes and apostrophes matter)",
            ))
    for sid in sorted(unchecked_sources):
        src = pack.sources[sid]
        problems.append(Problem(
            src.where, f"source text {src.file!r} not found in the --sources-dir folders; "
            "its quotes were not checked", "pass the folder that holds it", severity="warning",
        ))
    return problems, counts
