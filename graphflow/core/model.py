"""The audit model: actors, flows, rules, profiles, sources and the pack that holds them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from graphflow.core.dates import in_window


class ActorKind(StrEnum):
    """What an actor is (actors.schema.json ``kind``)."""

    AGENCY = "agency"
    OFFICE = "office"
    SYSTEM = "system"
    PROGRAM = "program"
    COURT = "court"
    FACILITY = "facility"
    ROLE = "role"
    ORGANIZATION = "organization"
    EVENT = "event"


class Level(StrEnum):
    """An actor's level of government (actors.schema.json ``level``)."""

    CITY = "city"
    COUNTY = "county"
    STATE = "state"
    FEDERAL = "federal"
    OTHER = "other"


class Mechanism(StrEnum):
    """How a flow moves (flows.schema.json ``mechanism``)."""

    AUTOMATIC = "automatic"
    ROUTINE = "routine"
    ON_REQUEST = "on-request"
    DISCRETIONARY = "discretionary"
    PHYSICAL_PRESENCE = "physical-presence"
    CUSTODY_TRANSFER = "custody-transfer"
    QUERY = "query"
    PUBLIC_RECORD = "public-record"


class Basis(StrEnum):
    """On what footing a flow happens (flows.schema.json ``basis``)."""

    MANDATED = "mandated"
    ROUTINE_PRACTICE = "routine-practice"
    DISCRETIONARY = "discretionary"
    UNKNOWN = "unknown"


class EffectKind(StrEnum):
    """What a rule does to a flow (rules.schema.json ``effects[].effect``)."""

    BLOCKS = "blocks"
    ALLOWS_ONLY_WHEN = "allows-only-when"
    DOES_NOT_TOUCH = "does-not-touch"


class RuleKind(StrEnum):
    """What sort of text a rule is (rules.schema.json ``kind``)."""

    LAW = "law"
    EXECUTIVE_ORDER = "executive-order"
    MEMO = "memo"
    POLICY = "policy"
    COURT_RULING = "court-ruling"
    PROTOCOL = "protocol"
    DIRECTIVE = "directive"
    REGULATION = "regulation"


class FactType(StrEnum):
    """The type of a case fact (facts.schema.json ``type``)."""

    BOOLEAN = "boolean"
    ENUM = "enum"
    INTEGER = "integer"
    DATE = "date"
    SET = "set"


class Grade(StrEnum):
    """How well research notes verified a citation, strongest first (defs ``grade``)."""

    VERIFIED = "verified"
    SECONDARY = "secondary"
    LEAD = "lead"


# The same vocabularies as tuples of their members (members compare equal to their strings).
ACTOR_KINDS = tuple(ActorKind)
LEVELS = tuple(Level)
MECHANISMS = tuple(Mechanism)
BASES = tuple(Basis)


class FlowKind(StrEnum):
    """What sort of flow a hop is, so that flows of different packs can be compared (a
    Connecticut detainer hold and a New York one are both ``detainer-hold``). The schema's
    ``kind`` enum in flows.schema.json lists the same values."""

    ARREST_NOTIFICATION = "arrest-notification"
    BIOMETRIC_MATCH_NOTICE = "biometric-match-notice"
    COURT_RECORDS = "court-records"
    COURT_REFERRAL = "court-referral"
    COURTHOUSE_PRESENCE = "courthouse-presence"
    CUSTODY_INTAKE = "custody-intake"
    DATA_BROKER = "data-broker"
    DATABASE_QUERY = "database-query"
    DETAINER_HOLD = "detainer-hold"
    DETAINER_REQUEST = "detainer-request"
    DISPOSITION_REPORT = "disposition-report"
    ENFORCEMENT_REQUEST = "enforcement-request"
    FIELD_ENFORCEMENT = "field-enforcement"
    FINGERPRINT_SUBMISSION = "fingerprint-submission"
    IDENTIFICATION = "identification"
    IMMIGRATION_ALERT = "immigration-alert"
    IMMIGRATION_SCREENING = "immigration-screening"
    INFORMAL_TIP = "informal-tip"
    INTERNAL_HANDOFF = "internal-handoff"
    JOINT_ENFORCEMENT = "joint-enforcement"
    LICENSE_DATA = "license-data"
    PREMISES_ACCESS = "premises-access"
    PROGRAM_RECORDS = "program-records"
    RECORD_COLLECTION = "record-collection"
    RECORD_FORWARDING = "record-forwarding"
    RELEASE_NOTIFICATION = "release-notification"
    SCHOOL_RECORDS = "school-records"
    STATUS_INQUIRY = "status-inquiry"
    WARRANT_CHECK = "warrant-check"


EFFECTS = tuple(EffectKind)
RULE_KINDS = tuple(RuleKind)
FACT_TYPES = tuple(FactType)


class Confidence(StrEnum):
    """How well a claim is supported, weakest first."""

    ALLEGED = "alleged"
    REPORTED = "reported"
    DOCUMENTED = "documented"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_ORDER.index(self)


_CONFIDENCE_ORDER = [Confidence.ALLEGED, Confidence.REPORTED, Confidence.DOCUMENTED]


def weakest(confidences: list[Confidence]) -> Confidence:
    """The weakest confidence of a list (documented if the list is empty)."""
    return min(confidences, key=lambda c: c.rank, default=Confidence.DOCUMENTED)


GRADES = tuple(Grade)  # strongest first, as the research notes tag them
SHOWS = ("barred", "not-done")  # what a citation documents when not the channel operating
# The strongest confidence a flow may claim when its best evidence has this grade.
GRADE_CAP = {"verified": "documented", "secondary": "reported", "lead": "alleged"}


@dataclass(frozen=True, slots=True)
class Citation:
    """Evidence: a source, a locator inside it, and an exact quote.

    ``original`` names the primary document a research note quotes, ``grade`` how well the
    note verified it, ``date`` the date of the cited passage when it is not the source's date
    (a compilation of older texts), ``shows`` that the passage documents a bar ("barred") or
    an absence ("not-done"), not the channel operating.
    """

    source: str
    locator: str
    quote: str
    where: str = ""
    original: str | None = None
    grade: str | None = None
    date: str | None = None
    shows: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"source": self.source, "locator": self.locator, "quote": self.quote}
        for key in ("original", "grade", "date", "shows"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


def citation_date(sources: Any, cit: Citation) -> str | None:
    """The date of the evidence a citation gives: the passage's own date, else (for research
    notes) the date of the primary document the note quotes, else the source's date. Research
    notes' own date is when they were written, not when the fact held, so it is never used."""
    if cit.date:
        return str(cit.date)
    src = sources.get(cit.source)
    if src is None:
        return None
    if src.kind == "research":
        original = sources.get(cit.original) if cit.original else None
        return str(original.date) if original is not None and original.date else None
    return str(src.date) if src.date else None


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    file: str | None = None
    kind: str | None = None
    where: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceClaim:
    """What a pack states explicitly about the dates its evidence covers (all optional).

    ``observed_from``/``last_verified`` override the span derived from the cited sources'
    dates; after ``unverified_after`` the item's evidence is *unverified*, with ``note``."""

    observed_from: str | None = None
    last_verified: str | None = None
    unverified_after: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """A case fact that conditions and profiles may use."""

    id: str
    type: FactType | str  # a FactType value (the loader keeps the pack's string)
    values: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class DataItem:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    id: str
    name: str
    level: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str
    kind: str
    level: str
    aliases: tuple[str, ...] = ()
    jurisdiction: str | None = None
    part_of: str | None = None
    controlled_by: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    description: str = ""
    citations: tuple[Citation, ...] = ()
    where: str = ""

    def active_on(self, day: dt.date) -> bool:
        return in_window(day, self.valid_from, self.valid_to)


@dataclass(frozen=True, slots=True)
class Flow:
    """One hop: information about a person moves from one actor to another."""

    id: str
    source: str
    target: str
    data: tuple[str, ...]
    mechanism: str
    confidence: Confidence
    name: str = ""
    trigger: str = ""
    basis: str = "unknown"
    when: Any = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    latency: str | None = None
    latency_hours: float | None = None
    controlled_by: tuple[str, ...] = ()
    description: str = ""
    citations: tuple[Citation, ...] = ()
    practice: str | None = None  # sources report it happening despite the rules (a note)
    practice_citations: tuple[Citation, ...] = ()
    evidence: EvidenceClaim | None = None
    caveat: str = ""
    kind: str = ""  # a FlowKind value, or "" when the pack does not say
    essential: bool = False  # a cut never proposes it unless asked (bringing someone to court)
    essential_reason: str = ""
    where: str = ""

    def active_on(self, day: dt.date) -> bool:
        return in_window(day, self.valid_from, self.valid_to)


@dataclass(frozen=True, slots=True)
class Effect:
    """What one rule does to one flow."""

    rule: str
    flow: str
    effect: str  # blocks | allows-only-when | does-not-touch
    when: Any = None
    note: str = ""
    citations: tuple[Citation, ...] = ()
    evidence: EvidenceClaim | None = None
    valid_from: dt.date | None = None  # the effect's own dates, within its rule's
    valid_to: dt.date | None = None
    where: str = ""

    def in_force_on(self, day: dt.date) -> bool:
        """The effect's own window (the rule's is checked separately)."""
        return in_window(day, self.valid_from, self.valid_to)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    jurisdiction: str
    kind: str
    enacted: dt.date | None
    effective: dt.date | None
    ended: dt.date | None
    effects: tuple[Effect, ...] = ()
    description: str = ""
    citations: tuple[Citation, ...] = ()
    hypothetical: bool = False
    starts_text: str = ""  # the start date as the pack wrote it (e.g. "1996")
    amends: tuple[str, ...] = ()  # rules whose effects this one changes (theirs stay in force)
    supersedes: tuple[str, ...] = ()  # rules this one replaces from its start
    where: str = ""

    @property
    def starts(self) -> dt.date | None:
        return self.effective or self.enacted

    def in_force_on(self, day: dt.date) -> bool:
        return in_window(day, self.starts, self.ended)


@dataclass(frozen=True, slots=True)
class Profile:
    """A named set of case facts. Facts not listed are unknown."""

    id: str
    name: str
    facts: dict[str, Any]
    description: str = ""
    citations: tuple[Citation, ...] = ()
    where: str = ""


@dataclass(frozen=True, slots=True)
class Conflict:
    id: str
    about: tuple[str, ...]
    summary: str
    positions: tuple[tuple[str, Citation], ...]
    resolution: str = ""


@dataclass(frozen=True, slots=True)
class NamedCondition:
    """A condition defined once in the pack (conditions.yaml), used as {condition: ID}."""

    id: str
    when: Any
    description: str = ""
    where: str = ""


@dataclass
class Pack:
    """A loaded, cross-checked data pack."""

    id: str
    name: str
    description: str
    path: str
    jurisdictions: dict[str, Jurisdiction]
    sanctuary_jurisdictions: tuple[str, ...]
    default_trigger: str
    default_target: str
    facts: dict[str, Fact]
    data_items: dict[str, DataItem]
    sources: dict[str, Source]
    actors: dict[str, Actor]
    flows: dict[str, Flow]
    rules: dict[str, Rule]
    profiles: dict[str, Profile]
    conflicts: dict[str, Conflict] = field(default_factory=dict)
    evidence_horizon_months: int = 24
    conditions: dict[str, NamedCondition] = field(default_factory=dict)
    layering: Any = field(default=None, repr=False)  # extends, overrides, selectors: packs/layers
    _effects_by_flow: dict[str, list[Effect]] | None = field(default=None, repr=False)
    _overrides: dict[str, list[tuple[str, str]]] | None = field(default=None, repr=False)
    spans: dict[tuple, Any] = field(default_factory=dict, repr=False)  # evidence spans, cached
    _conflicts_by_flow: dict[str, list[str]] | None = field(default=None, repr=False)
    _children: dict[str, tuple[str, ...]] | None = field(default=None, repr=False)

    def effects_on(self, flow_id: str) -> list[Effect]:
        """All rule effects recorded for a flow, in rule order."""
        if self._effects_by_flow is None:
            index: dict[str, list[Effect]] = {}
            for rule in self.rules.values():
                for eff in rule.effects:
                    index.setdefault(eff.flow, []).append(eff)
            self._effects_by_flow = index
        return self._effects_by_flow.get(flow_id, [])

    def conflicts_on(self, flow_id: str) -> list[str]:
        """Ids of the recorded source conflicts about a flow, a rule that blocks or conditions
        it, or one of its two actors (in conflicts.yaml order)."""
        if self._conflicts_by_flow is None:
            index: dict[str, list[str]] = {}
            for flow in self.flows.values() if self.conflicts else ():
                about = {flow.id, flow.source, flow.target,
                         *(e.rule for e in self.effects_on(flow.id)
                           if e.effect != "does-not-touch")}
                hits = [c.id for c in self.conflicts.values() if about.intersection(c.about)]
                if hits:
                    index[flow.id] = hits
            self._conflicts_by_flow = index
        return self._conflicts_by_flow.get(flow_id, [])

    def overridden_by(self, rule_id: str) -> list[tuple[str, str]]:
        """(rule id, "amends" | "supersedes") for every rule that amends or supersedes one."""
        if self._overrides is None:
            index: dict[str, list[tuple[str, str]]] = {}
            for rule in self.rules.values():
                for old in rule.amends:
                    index.setdefault(old, []).append((rule.id, "amends"))
                for old in rule.supersedes:
                    index.setdefault(old, []).append((rule.id, "supersedes"))
            self._overrides = index
        return self._overrides.get(rule_id, [])

    def with_changes(
        self, *, extra_rules: list[Rule] | None = None, closed_flows: list[str] | None = None
    ) -> Pack:
        """A what-if copy: hypothetical rules added, flows closed. The original is untouched."""
        rules = dict(self.rules)
        for rule in extra_rules or []:
            rules[rule.id] = rule
        if closed_flows:
            effects = tuple(
                Effect(rule="what-if-close", flow=f, effect="blocks", note="closed by --close")
                for f in closed_flows
            )
            rules["what-if-close"] = Rule(
                id="what-if-close", name="Flows closed by --close", jurisdiction="what-if",
                kind="policy", enacted=None, effective=None, ended=None, effects=effects,
                description="Hypothetical: these flows are assumed closed.", hypothetical=True,
            )
        return Pack(
            id=self.id, name=self.name, description=self.description, path=self.path,
            jurisdictions=self.jurisdictions,
            sanctuary_jurisdictions=self.sanctuary_jurisdictions,
            default_trigger=self.default_trigger, default_target=self.default_target,
            facts=self.facts, data_items=self.data_items, sources=self.sources,
            actors=self.actors, flows=self.flows, rules=rules, profiles=self.profiles,
            conflicts=self.conflicts, evidence_horizon_months=self.evidence_horizon_months,
            conditions=self.conditions,
        )

    def descendants(self, actor_id: str) -> set[str]:
        """An actor and every actor that is part of it, transitively (the part_of index is
        built once per pack)."""
        children = self._children
        if children is None:
            index: dict[str, list[str]] = {}
            for actor in self.actors.values():
                if actor.part_of:
                    index.setdefault(actor.part_of, []).append(actor.id)
            children = self._children = {k: tuple(v) for k, v in index.items()}
        out, stack = set(), [actor_id]
        while stack:
            cur = stack.pop()
            if cur in out:
                continue
            out.add(cur)
            stack.extend(children.get(cur, ()))
        return out

    def controllers_of(self, flow: Flow) -> tuple[str, ...]:
        """The jurisdictions that can regulate a flow: its own list, else its sender's."""
        if flow.controlled_by:
            return flow.controlled_by
        actor = self.actors.get(flow.source)
        seen: set[str] = set()
        while actor is not None and actor.id not in seen:
            seen.add(actor.id)
            if actor.controlled_by:
                return actor.controlled_by
            if actor.jurisdiction:
                return (actor.jurisdiction,)
            actor = self.actors.get(actor.part_of) if actor.part_of else None
        return ()
