"""Evidence over time: the dates a flow's or a rule effect's evidence covers, and how current
that evidence is on a query date. Orthogonal to the five statuses: a status says what the
rules say; the evidence state says whether the sources still speak for the query date.

- A span is derived from the cited sources' dates (earliest to latest), unless the pack
  states ``observed_from`` / ``last_verified`` explicitly. A citation's date is
  ``core.model.citation_date``: the passage's own ``date``, else for research notes the date of
  their ``original`` document (never the notes' own date), else the source's date.
- On a query date an item's evidence is ``current`` when the date is within the span widened
  by the pack's horizon (``evidence_horizon_months``, default 24) on both sides, ``stale`` when
  the date is past it, and ``unverified`` when the pack says so (``unverified_after``) or
  the date is before the evidence begins, or no cited source has a date.
- A hop's evidence is the weakest of its flow's and of the effects of the rules in force on
  it; a route's is its weakest hop's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graphflow.core.dates import add_months, parse_date
from graphflow.core.model import Citation, EvidenceClaim, Pack, citation_date

STATES = ("current", "stale", "unverified")  # strongest first
_RANK = {s: i for i, s in enumerate(STATES)}
DEFAULT_HORIZON_MONTHS = 24


@dataclass(frozen=True, slots=True)
class Span:
    """The dates an item's evidence covers (texts keep the sources' precision)."""

    first: dt.date | None
    last: dt.date | None
    first_text: str | None
    last_text: str | None
    unverified_after: dt.date | None = None
    unverified_text: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """The evidence state of one item, hop or route on a query date."""

    state: str  # current | stale | unverified
    last_evidenced: str | None
    note: str = ""
    about: str = ""  # "flow ID" or "rule ID": the item it comes from
    observed_from: str | None = None

    @property
    def rank(self) -> int:
        return _RANK[self.state]

    @property
    def current(self) -> bool:
        return self.state == "current"

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "last_evidenced": self.last_evidenced,
                "note": self.note or None, "about": self.about or None,
                "observed_from": self.observed_from}


CURRENT = Evidence("current", None)


def _text(value: Any) -> str:
    return str(value).strip()


def span_of(pack: Pack, citations: Iterable[Citation], claim: EvidenceClaim | None) -> Span:
    """The span of an item: its explicit claim, else the dates of the sources it cites."""
    dated: list[tuple[dt.date, dt.date, str]] = []
    for cit in citations:
        date = citation_date(pack.sources, cit)  # never research notes' own date
        if not date:
            continue
        text = _text(date)
        try:
            dated.append((parse_date(text), parse_date(text, end=True), text))
        except Exception:  # noqa: BLE001 (a malformed source date is reported by validate)
            continue
    first = min(dated, default=None, key=lambda d: d[0])
    last = max(dated, default=None, key=lambda d: d[1])
    span = Span(first[0] if first else None, last[1] if last else None,
                first[2] if first else None, last[2] if last else None)
    if claim is None:
        return span
    f, ft, lst, lt = span.first, span.first_text, span.last, span.last_text
    if claim.observed_from:
        ft = _text(claim.observed_from)
        f = parse_date(ft)
    if claim.last_verified:
        lt = _text(claim.last_verified)
        lst = parse_date(lt, end=True)
    ua = parse_date(_text(claim.unverified_after), end=True) if claim.unverified_after else None
    return Span(f, lst, ft, lt, ua, _text(claim.unverified_after) if ua else None, claim.note)


def assess(span: Span, as_of: dt.date, horizon_months: int, about: str = "") -> Evidence:
    """The evidence state of one span on a query date."""
    if span.unverified_after is not None and as_of > span.unverified_after:
        note = span.note or f"not verified after {span.unverified_text}"
        return Evidence("unverified", span.last_text, note, about, span.first_text)
    if span.last is None:
        return Evidence("unverified", None, span.note or "no cited source has a date", about)
    if as_of > add_months(span.last, horizon_months):
        note = span.note or (f"evidence ends {span.last_text}, more than {horizon_months} "
                             f"months before {as_of}")
        return Evidence("stale", span.last_text, note, about, span.first_text)
    if span.first is not None and as_of < add_months(span.first, -horizon_months):
        note = (f"evidence begins {span.first_text}, more than {horizon_months} months "
                f"after {as_of}")
        return Evidence("unverified", span.last_text, note, about, span.first_text)
    return Evidence("current", span.last_text, span.note if span.unverified_after else "",
                    about, span.first_text)


def weakest_evidence(items: Sequence[Evidence]) -> Evidence:
    """The weakest of several evidence states; among equals, the one whose evidence ends
    first (undated last)."""
    if not items:
        return CURRENT
    worst = max(e.rank for e in items)
    tied = [e for e in items if e.rank == worst]
    return min(tied, key=lambda e: (e.last_evidenced is None, e.last_evidenced or ""))


def flow_span(pack: Pack, flow_id: str) -> Span:
    cache = pack.spans
    key = ("flow", flow_id)
    span = cache.get(key)
    if span is None:
        flow = pack.flows[flow_id]
        span = cache[key] = span_of(pack, flow.citations, flow.evidence)
    return span


def effect_span(pack: Pack, rule_id: str, flow_id: str) -> Span:
    """An effect's span: its own citations (or claim), else its rule's citations."""
    cache = pack.spans
    key = ("effect", rule_id, flow_id)
    span = cache.get(key)
    if span is None:
        rule = pack.rules[rule_id]
        effs = [e for e in rule.effects if e.flow == flow_id]
        cites = [c for e in effs for c in e.citations] or list(rule.citations)
        claim = next((e.evidence for e in effs if e.evidence is not None), None)
        span = cache[key] = span_of(pack, cites, claim)
    return span


def words(status: str, evidence: dict[str, Any] | None, as_of: str) -> str:
    """The status with its evidence caveat in words, e.g. "OPEN, but its evidence ends
    2017-04 (asked for 2026-12-01)"; just the status when the evidence is current."""
    head = status.upper()
    if not evidence or evidence.get("state") == "current":
        return head
    last = evidence.get("last_evidenced")
    if evidence["state"] == "stale":
        return f"{head}, but its evidence ends {last} (asked for {as_of})"
    note = (evidence.get("note") or "unverified").rstrip(". ")
    return f"{head}, but its evidence is unverified for this date: {note} (asked for {as_of})"
