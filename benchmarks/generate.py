"""Generate a synthetic national pack in the real pack format (deterministic for a seed).

    python -m benchmarks.generate --counties 3000 --seed 1 -o /tmp/national

Per county: an arrest event, police (booking office, records system), sheriff (jail), court
(clerk), prosecutor and probation. Per state: criminal-history repository, DMV, court system,
fusion centre, state police and corrections. Federal: FBI (CJIS, NGI, NCIC), Nlets, DHS (IDENT)
and ICE (LESC, ERO and its field offices). Flows follow the real channels (booking prints to the
state repository, to the FBI, to DHS, to ICE; warrant checks via NCIC; jail release notices;
court calendars; DMV queries via Nlets) plus regional county-to-county sharing and state hubs
answering every county of their state, so routes are plentiful. Rules (state trust acts, county
detainer policies, federal memos) restrict flows with conditions. Every item cites the generated
source text ``sources/synthetic.txt``, so quotes verify with ``--sources-dir``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCE_ID = "synthetic"
SOURCE_FILE = "sources/synthetic.txt"
FIELD_OFFICES = 24

# One sentence per kind of claim; the source text is these sentences, numbered as sections.
QUOTES: dict[str, str] = {
    "county": "Each county has a police department, a sheriff who runs the jail, a court with "
              "a clerk, a prosecutor and a probation department.",
    "state": "Each state runs a criminal-history repository, a motor-vehicle agency, a court "
             "case system, a fusion centre, a state police and a corrections department.",
    "federal": "The FBI runs CJIS, which holds the NGI biometric system and NCIC.",
    "dhs": "DHS keeps biometrics in IDENT, and ICE has a Law Enforcement Support Center and "
           "Enforcement and Removal Operations field offices.",
    "nlets": "Nlets links every state and federal agency for queries.",
    "arrest-report": "After an arrest the officer files an arrest report with the department.",
    "booking": "Custodial arrests and desk appearance tickets are booked and fingerprinted.",
    "custody": "A person held after a custodial arrest is taken to the county jail.",
    "records": "Reports and booking records are kept in the local records management system.",
    "prosecutor": "The police send the arrest report to the prosecutor.",
    "warrant-check": "Officers check every arrested person for warrants in NCIC.",
    "iaq": "Officers may send an immigration alien query through Nlets to the Law Enforcement "
           "Support Center.",
    "sar": "Officers may report suspicious activity to the state fusion centre.",
    "prints-state": "Booking fingerprints are sent to the state criminal-history repository.",
    "record-state": "The arrest record and photograph go to the state repository with the "
                    "fingerprints.",
    "records-fusion": "The records system feeds the fusion centre.",
    "regional": "Neighbouring counties share their records systems in a regional consortium.",
    "disposition": "Dispositions are reported to the state repository.",
    "release-notice": "Jails may notify ICE of the release date of a person ICE is interested "
                      "in.",
    "detainer": "A jail that honours a detainer holds the person and transfers custody to ICE.",
    "booking-list": "Some jails send ICE a daily list of people booked.",
    "transport": "The jail transports people in custody to court.",
    "transfer": "Jails transfer people in custody to neighbouring county jails.",
    "prison": "People sentenced to prison are transferred to the state corrections department.",
    "roster": "The jail roster is shared with the sheriff's office.",
    "calendar": "Court calendars are public records that anyone, including ICE, can read.",
    "case-state": "County clerks report every case to the state court case system.",
    "charges": "The prosecutor files charges with the court.",
    "sentence": "The court sends sentences to the probation department.",
    "probation-ice": "Probation officers sometimes refer people with prior convictions to ICE.",
    "dmv-query": "Officers query the state motor-vehicle agency.",
    "mutual-aid": "Neighbouring police departments share information under mutual aid.",
    "rap-sheet": "The state repository answers rap-sheet requests from every police department "
                 "in the state.",
    "bulletin": "The fusion centre sends bulletins to every police department in the state.",
    "state-police": "The state police receive records from the repository and query NCIC.",
    "court-system": "The state court system returns case records to county courts.",
    "fusion-ice": "Fusion centres share information with ICE on request.",
    "fusion-dhs": "Fusion centres send reports to DHS.",
    "dmv-nlets": "The motor-vehicle agency answers queries through Nlets.",
    "doc-ice": "Corrections departments notify ICE before releasing a person born abroad.",
    "prints-fbi": "The state repository forwards fingerprints to the FBI's NGI system.",
    "ngi-ident": "Since Secure Communities, fingerprints sent to NGI are checked against IDENT.",
    "ident-lesc": "An IDENT match is sent to the Law Enforcement Support Center.",
    "ncic-lesc": "A hit on an immigration record in NCIC is confirmed with the Law Enforcement "
                 "Support Center.",
    "nlets-lesc": "Nlets relays immigration alien queries to the Law Enforcement Support Center.",
    "ncic-nlets": "NCIC and Nlets exchange records.",
    "fbi-ice": "The FBI shares criminal history with ICE.",
    "trust-act": "The state trust act allows detainers and release notices only with a judicial "
                 "warrant and a serious conviction.",
    "fusion-limit": "The state forbids its fusion centre from sharing with ICE.",
    "county-policy": "The county honours detainers only with a judicial warrant.",
    "booking-list-end": "The county stopped sending daily booking lists to ICE.",
    "pep": "The federal memo limits enforcement priorities to people with convictions.",
    "profile": "Synthetic case profiles for benchmarks.",
    "civic": "Counties also run health and social services, a public defender and victim "
             "services, which receive some records from the justice system.",
    "civic-state": "County health and social services report to the state departments, "
                   "which share case data with every county.",
}

CUSTODY_TYPES = ["custodial-arrest", "desk-appearance-ticket"]
_PLAIN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def scalar(value: Any) -> str:
    """A YAML scalar: plain for ids and numbers, double-quoted (JSON) for text."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if (_PLAIN.match(text) and text not in _SPECIAL) or re.match(r"^\d{4}-\d{2}(-\d{2})?$", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def inline(value: Any) -> str:
    """A value in YAML flow style (one line), deterministic."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    return scalar(value)


def cite(key: str) -> list[dict[str, str]]:
    section = list(QUOTES).index(key) + 1
    return [{"source": SOURCE_ID, "locator": f"section {section}", "quote": QUOTES[key]}]


@dataclass
class Builder:
    """Accumulates the items of a pack, in file order."""

    rng: random.Random
    jurisdictions: list[dict[str, Any]] = field(default_factory=list)
    actors: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)

    def actor(self, ident: str, name: str, kind: str, level: str, jur: str, quote: str,
              part_of: str | None = None, aliases: Iterable[str] = ()) -> str:
        item: dict[str, Any] = {"id": ident, "name": name}
        if aliases:
            item["aliases"] = list(aliases)
        item.update(kind=kind, level=level, jurisdiction=jur)
        if part_of:
            item["part_of"] = part_of
        item["citations"] = cite(quote)
        self.actors.append(item)
        return ident

    def flow(self, ident: str, src: str, dst: str, data: list[str], mech: str, quote: str,
             *, basis: str = "routine-practice", confidence: str | None = None,
             when: Any = None, valid_from: str | None = None, valid_to: str | None = None,
             hours: float | None = None) -> str:
        if confidence is None:
            confidence = self.rng.choices(("documented", "reported", "alleged"), (6, 3, 1))[0]
        item: dict[str, Any] = {"id": ident, "from": src, "to": dst, "data": data,
                                "mechanism": mech, "basis": basis}
        if when is not None:
            item["when"] = when
        if valid_from:
            item["valid_from"] = valid_from
        if valid_to:
            item["valid_to"] = valid_to
        item["confidence"] = confidence
        if hours is not None:
            item["latency_hours"] = hours
        item["citations"] = cite(quote)
        self.flows.append(item)
        return ident


@dataclass(frozen=True)
class Shape:
    """Knobs for the size and density of the generated graph."""

    counties: int = 3000
    states: int = 0  # 0: about 60 counties per state, at least 2 states (1 for 1 county)
    regional: int = 2  # records systems shared with this many neighbouring counties
    mutual_aid: int = 1  # police departments sharing with this many neighbours
    civic: bool = False  # also health, social services, defender, victim services per county

    def n_states(self) -> int:
        if self.states:
            return max(1, min(self.states, self.counties))
        return max(min(2, self.counties), min(50, math.ceil(self.counties / 60)))


def _federal(b: Builder) -> None:
    b.actor("fbi", "Federal Bureau of Investigation", "agency", "federal", "us", "federal",
            aliases=["FBI"])
    b.actor("fbi-cjis", "FBI Criminal Justice Information Services", "office", "federal", "us",
            "federal", part_of="fbi", aliases=["CJIS"])
    b.actor("fbi-ngi", "Next Generation Identification", "system", "federal", "us", "federal",
            part_of="fbi-cjis", aliases=["NGI"])
    b.actor("ncic", "National Crime Information Center", "system", "federal", "us", "federal",
            part_of="fbi-cjis", aliases=["NCIC"])
    b.actor("nlets", "Nlets", "organization", "other", "us", "nlets")
    b.actor("dhs", "Department of Homeland Security", "agency", "federal", "us", "dhs",
            aliases=["DHS"])
    b.actor("dhs-ident", "IDENT biometric system", "system", "federal", "us", "dhs",
            part_of="dhs", aliases=["IDENT"])
    b.actor("ice", "Immigration and Customs Enforcement", "agency", "federal", "us", "dhs",
            part_of="dhs", aliases=["ICE"])
    b.actor("ice-lesc", "ICE Law Enforcement Support Center", "office", "federal", "us", "dhs",
            part_of="ice", aliases=["LESC"])
    b.actor("ice-ero", "ICE Enforcement and Removal Operations", "office", "federal", "us",
            "dhs", part_of="ice", aliases=["ERO"])
    for k in range(1, FIELD_OFFICES + 1):
        b.actor(f"ice-ero-fo{k:02d}", f"ERO field office {k:02d}", "office", "federal", "us",
                "dhs", part_of="ice-ero")
    b.flow("ngi-prints-to-ident", "fbi-ngi", "dhs-ident", ["fingerprints"], "automatic",
           "ngi-ident", basis="mandated", confidence="documented", valid_from="2008-10",
           hours=0.1)
    b.flow("ident-match-to-lesc", "dhs-ident", "ice-lesc", ["immigration-match"], "automatic",
           "ident-lesc", basis="mandated", confidence="documented",
           when={"fact": "ident-record", "is": True}, valid_from="2008-10", hours=0.5)
    b.flow("ncic-hit-to-lesc", "ncic", "ice-lesc", ["warrant-query"], "automatic", "ncic-lesc",
           basis="mandated", confidence="documented",
           when={"fact": "prior-removal-order", "is": True}, hours=0.2)
    b.flow("nlets-iaq-to-lesc", "nlets", "ice-lesc", ["immigration-query"], "automatic",
           "nlets-lesc", basis="routine-practice", confidence="documented", hours=0.2)
    b.flow("ncic-to-nlets", "ncic", "nlets", ["warrant-query"], "automatic", "ncic-nlets",
           confidence="reported")
    b.flow("nlets-to-ncic", "nlets", "ncic", ["warrant-query"], "automatic", "ncic-nlets",
           confidence="reported")
    b.flow("ngi-rap-to-ice", "fbi-ngi", "ice", ["rap-sheet"], "on-request", "fbi-ice",
           basis="discretionary", confidence="reported")
    for k in range(1, FIELD_OFFICES + 1):
        b.flow(f"lesc-to-ero-fo{k:02d}", "ice-lesc", f"ice-ero-fo{k:02d}", ["immigration-match"],
               "automatic", "ident-lesc", confidence="documented")


def _state(b: Builder, s: str, n: int, counties: list[str]) -> None:
    name = f"State {n:02d}"
    fo = f"ice-ero-fo{(n - 1) % FIELD_OFFICES + 1:02d}"
    b.actor(f"{s}-chr", f"{name} criminal-history repository", "system", "state", s, "state")
    b.actor(f"{s}-dmv", f"{name} motor-vehicle agency", "agency", "state", s, "state")
    b.actor(f"{s}-courts", f"{name} court case system", "system", "state", s, "state")
    b.actor(f"{s}-fusion", f"{name} fusion centre", "office", "state", s, "state")
    b.actor(f"{s}-police", f"{name} state police", "agency", "state", s, "state")
    b.actor(f"{s}-doc", f"{name} corrections department", "agency", "state", s, "state")
    b.flow(f"{s}-chr-prints-to-ngi", f"{s}-chr", "fbi-ngi", ["fingerprints", "arrest-record"],
           "automatic", "prints-fbi", basis="mandated", confidence="documented", hours=0.5)
    b.flow(f"{s}-chr-to-state-police", f"{s}-chr", f"{s}-police", ["rap-sheet"], "routine",
           "state-police")
    b.flow(f"{s}-state-police-to-ncic", f"{s}-police", "ncic", ["warrant-query"], "query",
           "state-police")
    b.flow(f"{s}-state-police-to-fusion", f"{s}-police", f"{s}-fusion", ["bulletin"], "routine",
           "state-police")
    b.flow(f"{s}-fusion-to-ice", f"{s}-fusion", "ice", ["suspicious-activity-report"],
           "on-request", "fusion-ice", basis="discretionary", confidence="reported")
    b.flow(f"{s}-fusion-to-dhs", f"{s}-fusion", "dhs", ["suspicious-activity-report"],
           "routine", "fusion-dhs", confidence="reported")
    b.flow(f"{s}-dmv-to-nlets", f"{s}-dmv", "nlets", ["license-record"], "automatic",
           "dmv-nlets", confidence="documented")
    b.flow(f"{s}-doc-release-to-ero", f"{s}-doc", fo, ["release-date"], "routine", "doc-ice",
           basis="routine-practice", when={"fact": "ident-record", "is": True})
    b.flow(f"{s}-courts-to-chr", f"{s}-courts", f"{s}-chr", ["disposition"], "automatic",
           "disposition", basis="mandated")
    for c in counties:  # state hubs answer every county of their state
        b.flow(f"{s}-chr-rap-to-{c}", f"{s}-chr", f"{c}-police", ["rap-sheet"], "on-request",
               "rap-sheet")
        b.flow(f"{s}-fusion-bulletin-to-{c}", f"{s}-fusion", f"{c}-police", ["bulletin"],
               "routine", "bulletin", confidence="reported")
        b.flow(f"{s}-courts-to-{c}", f"{s}-courts", f"{c}-court", ["case-record"], "routine",
               "court-system")


def _county(b: Builder, c: str, n: int, s: str, neighbours: list[str], shape: Shape) -> None:
    name = f"County {n:04d}"
    fo = f"ice-ero-fo{(int(s[1:]) - 1) % FIELD_OFFICES + 1:02d}"
    rng = b.rng
    b.actor(f"{c}-arrest", f"Arrest in {name}", "event", "city", c, "arrest-report")
    b.actor(f"{c}-police", f"{name} police department", "agency", "city", c, "county")
    b.actor(f"{c}-booking", f"{name} central booking", "office", "city", c, "booking",
            part_of=f"{c}-police")
    b.actor(f"{c}-records", f"{name} records management system", "system", "city", c,
            "records", part_of=f"{c}-police")
    b.actor(f"{c}-sheriff", f"{name} sheriff", "agency", "city", c, "county")
    b.actor(f"{c}-jail", f"{name} jail", "facility", "city", c, "custody", part_of=f"{c}-sheriff")
    b.actor(f"{c}-court", f"{name} court", "court", "city", c, "county")
    b.actor(f"{c}-clerk", f"{name} court clerk", "office", "city", c, "calendar",
            part_of=f"{c}-court")
    b.actor(f"{c}-prosecutor", f"{name} prosecutor", "office", "city", c, "prosecutor")
    b.actor(f"{c}-probation", f"{name} probation department", "agency", "city", c, "county")
    custody = {"fact": "arrest-type", "in": CUSTODY_TYPES}
    held = {"fact": "arrest-type", "is": "custodial-arrest"}
    f = b.flow
    f(f"{c}-arrest-report", f"{c}-arrest", f"{c}-police", ["arrest-record"], "automatic",
      "arrest-report", confidence="documented")
    f(f"{c}-arrest-booking", f"{c}-arrest", f"{c}-booking", ["fingerprints", "mugshot"],
      "automatic", "booking", basis="mandated", when=custody, confidence="documented")
    f(f"{c}-arrest-custody", f"{c}-arrest", f"{c}-jail", ["custody"], "custody-transfer",
      "custody", when=held)
    f(f"{c}-police-to-booking", f"{c}-police", f"{c}-booking", ["booking-record"], "routine",
      "booking")
    f(f"{c}-police-to-records", f"{c}-police", f"{c}-records", ["incident-report"], "automatic",
      "records")
    f(f"{c}-police-to-prosecutor", f"{c}-police", f"{c}-prosecutor", ["arrest-record"],
      "routine", "prosecutor")
    f(f"{c}-police-warrant-check", f"{c}-police", "ncic", ["warrant-query"], "query",
      "warrant-check", basis="routine-practice")
    f(f"{c}-police-iaq", f"{c}-police", "nlets", ["immigration-query"], "discretionary", "iaq",
      basis="discretionary")
    f(f"{c}-police-sar", f"{c}-police", f"{s}-fusion", ["suspicious-activity-report"],
      "discretionary", "sar", basis="discretionary")
    f(f"{c}-police-dmv", f"{c}-police", f"{s}-dmv", ["license-record"], "query", "dmv-query")
    f(f"{c}-booking-prints", f"{c}-booking", f"{s}-chr", ["fingerprints"], "automatic",
      "prints-state", basis="mandated", when=custody, confidence="documented", hours=0.2)
    f(f"{c}-booking-record", f"{c}-booking", f"{s}-chr", ["arrest-record", "mugshot"],
      "automatic", "record-state", basis="mandated", when=custody)
    f(f"{c}-booking-to-records", f"{c}-booking", f"{c}-records", ["booking-record"],
      "automatic", "records")
    f(f"{c}-booking-to-jail", f"{c}-booking", f"{c}-jail", ["custody"], "custody-transfer",
      "custody", when=held)
    f(f"{c}-booking-warrant-check", f"{c}-booking", "ncic", ["warrant-query"], "query",
      "warrant-check", basis="mandated")
    f(f"{c}-records-to-fusion", f"{c}-records", f"{s}-fusion", ["incident-report"], "routine",
      "records-fusion", valid_from=f"{rng.randint(2008, 2016)}")
    f(f"{c}-records-dispositions", f"{c}-records", f"{s}-chr", ["disposition"], "routine",
      "disposition")
    for nb in neighbours[: shape.regional]:
        f(f"{c}-records-share-{nb}", f"{c}-records", f"{nb}-records", ["incident-report"],
          "routine", "regional", confidence="reported")
    for nb in neighbours[: shape.mutual_aid]:
        f(f"{c}-mutual-aid-{nb}", f"{c}-police", f"{nb}-police", ["incident-report"],
          "on-request", "mutual-aid")
    if neighbours:
        f(f"{c}-jail-transfer-{neighbours[0]}", f"{c}-jail", f"{neighbours[0]}-jail",
          ["custody"], "custody-transfer", "transfer")
    f(f"{c}-jail-release-notice", f"{c}-jail", fo, ["release-date"], "discretionary",
      "release-notice", basis="discretionary")
    f(f"{c}-jail-detainer", f"{c}-jail", fo, ["custody"], "custody-transfer", "detainer",
      basis="discretionary", when={"fact": "detainer-lodged", "is": True})
    f(f"{c}-jail-booking-list", f"{c}-jail", "ice-ero", ["booking-record"], "discretionary",
      "booking-list", basis="discretionary", valid_from="2017-02", valid_to="2021-01")
    f(f"{c}-jail-transport", f"{c}-jail", f"{c}-court", ["custody"], "physical-presence",
      "transport")
    f(f"{c}-jail-to-prison", f"{c}-jail", f"{s}-doc", ["custody"], "custody-transfer", "prison",
      when={"fact": "prior-convictions", "gte": 1})
    f(f"{c}-jail-roster", f"{c}-jail", f"{c}-sheriff", ["booking-record"], "automatic", "roster")
    f(f"{c}-sheriff-warrant-check", f"{c}-sheriff", "ncic", ["warrant-query"], "query",
      "warrant-check")
    f(f"{c}-sheriff-sar", f"{c}-sheriff", f"{s}-fusion", ["suspicious-activity-report"],
      "discretionary", "sar", basis="discretionary")
    f(f"{c}-court-calendar", f"{c}-court", f"{c}-clerk", ["court-date"], "automatic",
      "calendar")
    f(f"{c}-clerk-to-state", f"{c}-clerk", f"{s}-courts", ["case-record"], "automatic",
      "case-state", basis="mandated")
    f(f"{c}-clerk-calendar-ice", f"{c}-clerk", "ice-ero", ["court-date"], "public-record",
      "calendar", basis="unknown")
    f(f"{c}-clerk-to-prosecutor", f"{c}-clerk", f"{c}-prosecutor", ["court-date"], "routine",
      "calendar")
    f(f"{c}-prosecutor-charges", f"{c}-prosecutor", f"{c}-court", ["case-record"], "routine",
      "charges")
    f(f"{c}-prosecutor-dispositions", f"{c}-prosecutor", f"{s}-chr", ["disposition"],
      "routine", "disposition")
    f(f"{c}-court-sentence", f"{c}-court", f"{c}-probation", ["disposition"], "routine",
      "sentence")
    f(f"{c}-police-to-sheriff", f"{c}-police", f"{c}-sheriff", ["arrest-record"], "routine",
      "roster")
    f(f"{c}-police-arrest-to-records", f"{c}-police", f"{c}-records", ["arrest-record"],
      "automatic", "records")
    f(f"{c}-booking-mugshot-to-records", f"{c}-booking", f"{c}-records", ["mugshot"],
      "automatic", "records")
    f(f"{c}-records-to-prosecutor", f"{c}-records", f"{c}-prosecutor", ["incident-report"],
      "routine", "prosecutor")
    f(f"{c}-records-to-sheriff", f"{c}-records", f"{c}-sheriff", ["booking-record"],
      "routine", "roster")
    f(f"{c}-sheriff-to-police", f"{c}-sheriff", f"{c}-police", ["booking-record"], "routine",
      "roster")
    f(f"{c}-prosecutor-to-police", f"{c}-prosecutor", f"{c}-police", ["case-record"],
      "routine", "charges")
    f(f"{c}-court-order-to-jail", f"{c}-court", f"{c}-jail", ["custody"], "custody-transfer",
      "transport")
    f(f"{c}-probation-to-police", f"{c}-probation", f"{c}-police", ["disposition"], "routine",
      "sentence")
    f(f"{c}-court-to-records", f"{c}-court", f"{c}-records", ["disposition"], "routine",
      "disposition")
    f(f"{c}-probation-referral", f"{c}-probation", fo, ["release-date"], "discretionary",
      "probation-ice", basis="discretionary", confidence="alleged",
      when={"fact": "prior-convictions", "gte": 1})


def _civic_state(b: Builder, s: str, n: int) -> None:
    for kind, label in (("health", "health department"), ("social", "social services")):
        b.actor(f"{s}-{kind}", f"State {n:02d} {label}", "agency", "state", s, "civic-state")


def _civic(b: Builder, c: str, n: int, s: str, neighbours: list[str]) -> None:
    """Services outside law enforcement. They are many hops from ICE, so few routes use them,
    but a search that does not look ahead wanders through their regional web."""
    name = f"County {n:04d}"
    for kind, label, what in (("health", "health department", "agency"),
                              ("social", "social services", "agency"),
                              ("defender", "public defender", "office"),
                              ("victims", "victim services", "office")):
        b.actor(f"{c}-{kind}", f"{name} {label}", what, "city", c, "civic")
    f = b.flow
    for src, dst in (("jail", "health"), ("jail", "defender"), ("court", "defender"),
                     ("court", "social"), ("prosecutor", "victims"), ("victims", "social"),
                     ("social", "health"), ("health", "social"), ("defender", "court")):
        f(f"{c}-{src}-to-{dst}", f"{c}-{src}", f"{c}-{dst}", ["case-record"], "routine",
          "civic")
    for nb in neighbours[:3]:  # regional health information and human-services exchanges
        for kind in ("health", "social"):
            f(f"{c}-{kind}-share-{nb}", f"{c}-{kind}", f"{nb}-{kind}", ["case-record"],
              "routine", "civic")
    f(f"{c}-health-to-state", f"{c}-health", f"{s}-health", ["case-record"], "routine",
      "civic-state")
    f(f"{s}-health-to-{c}", f"{s}-health", f"{c}-social", ["case-record"], "routine",
      "civic-state")
    f(f"{c}-social-to-state", f"{c}-social", f"{s}-social", ["case-record"], "routine",
      "civic-state")
    f(f"{s}-social-to-{c}", f"{s}-social", f"{c}-health", ["case-record"], "routine",
      "civic-state")


def _rules(b: Builder, states: list[str], by_state: dict[str, list[str]]) -> None:
    b.rules.append({
        "id": "federal-priorities-memo", "name": "Federal enforcement priorities memo",
        "jurisdiction": "us", "kind": "memo", "enacted": "2014-11-20", "effective": "2015-01-05",
        "ended": "2017-01-25", "citations": cite("pep"),
        "effects": [{"flow": "ngi-rap-to-ice", "effect": "allows-only-when",
                     "when": {"fact": "prior-convictions", "gte": 1}, "citations": cite("pep")}],
    })
    serious = {"all": [{"fact": "judicial-warrant", "is": True},
                       {"any": [{"fact": "violent-felony", "is": True},
                                {"fact": "prior-convictions", "gte": 2}]}]}
    rng = b.rng
    for s in states:
        if rng.random() < 0.35:  # a trust act in about a third of the states
            effects = []
            for c in by_state[s]:
                for kind in ("release-notice", "detainer"):
                    effects.append({"flow": f"{c}-jail-{kind}", "effect": "allows-only-when",
                                    "when": serious, "citations": cite("trust-act")})
            effects.append({"flow": f"{s}-fusion-to-ice", "effect": "blocks",
                            "citations": cite("fusion-limit")})
            year = rng.randint(2013, 2019)
            b.rules.append({
                "id": f"{s}-trust-act", "name": f"State {s[1:]} trust act", "jurisdiction": s,
                "kind": "law", "enacted": f"{year}-06-01", "effective": f"{year + 1}-01-01",
                "citations": cite("trust-act"), "effects": effects,
            })
        for c in by_state[s]:
            roll = rng.random()
            if roll < 0.2:
                b.rules.append({
                    "id": f"{c}-detainer-policy", "name": f"County {c[1:]} detainer policy",
                    "jurisdiction": c, "kind": "policy",
                    "effective": f"{rng.randint(2012, 2020)}-{rng.randint(1, 12):02d}-01",
                    "citations": cite("county-policy"),
                    "effects": [
                        {"flow": f"{c}-jail-detainer", "effect": "allows-only-when",
                         "when": {"fact": "judicial-warrant", "is": True},
                         "citations": cite("county-policy")},
                        {"flow": f"{c}-booking-prints", "effect": "does-not-touch",
                         "note": "The policy is about detainers, not fingerprints.",
                         "citations": cite("county-policy")},
                    ],
                })
            elif roll < 0.3:
                b.rules.append({
                    "id": f"{c}-booking-list-ban", "name": f"County {c[1:]} booking list ban",
                    "jurisdiction": c, "kind": "executive-order", "enacted": "2017-09-01",
                    "ended": "2023-12-31", "citations": cite("booking-list-end"),
                    "effects": [{"flow": f"{c}-jail-booking-list", "effect": "blocks",
                                 "citations": cite("booking-list-end")}],
                })


FACTS = [
    {"id": "arrest-type", "type": "enum",
     "values": ["custodial-arrest", "desk-appearance-ticket", "criminal-summons",
                "civil-summons", "none"],
     "description": "How the encounter with police was processed."},
    {"id": "judicial-warrant", "type": "boolean",
     "description": "A judge has signed a warrant for the person."},
    {"id": "detainer-lodged", "type": "boolean", "description": "ICE has lodged a detainer."},
    {"id": "prior-removal-order", "type": "boolean",
     "description": "The person has a prior order of removal."},
    {"id": "violent-felony", "type": "boolean",
     "description": "The current charge is a violent felony."},
    {"id": "prior-convictions", "type": "integer",
     "description": "Number of prior criminal convictions."},
    {"id": "ident-record", "type": "boolean",
     "description": "DHS already holds the person's biometrics in IDENT."},
]

PROFILES = [
    {"id": "fare-evasion", "name": "Turnstile jumper, no record",
     "facts": {"arrest-type": "custodial-arrest", "judicial-warrant": False,
               "detainer-lodged": False, "prior-removal-order": False, "violent-felony": False,
               "prior-convictions": 0, "ident-record": True}},
    {"id": "prior-removal-order", "name": "Prior removal order",
     "facts": {"arrest-type": "custodial-arrest", "judicial-warrant": False,
               "detainer-lodged": True, "prior-removal-order": True, "prior-convictions": 1,
               "ident-record": True}},
    {"id": "violent-felony-warrant", "name": "Violent felony with a judicial warrant",
     "facts": {"arrest-type": "custodial-arrest", "judicial-warrant": True,
               "detainer-lodged": True, "violent-felony": True, "prior-convictions": 2,
               "ident-record": True}},
    {"id": "civil-summons", "name": "Civil summons",
     "facts": {"arrest-type": "civil-summons", "prior-convictions": 0}},
    {"id": "unknown-history", "name": "Custodial arrest, history unknown",
     "facts": {"arrest-type": "custodial-arrest"}},
]

DATA_ITEMS = [
    "fingerprints", "mugshot", "arrest-record", "booking-record", "incident-report",
    "warrant-query", "immigration-query", "immigration-match", "release-date", "custody",
    "court-date", "case-record", "disposition", "rap-sheet", "bulletin", "license-record",
    "suspicious-activity-report",
]


def build(shape: Shape, seed: int) -> Builder:
    """All items of a national pack, deterministic for (shape, seed)."""
    b = Builder(random.Random(seed))
    n_states = shape.n_states()
    states = [f"s{j:02d}" for j in range(1, n_states + 1)]
    counties = [f"c{i:04d}" for i in range(1, shape.counties + 1)]
    by_state: dict[str, list[str]] = {s: [] for s in states}
    for i, c in enumerate(counties):
        by_state[states[i * n_states // len(counties)]].append(c)
    b.jurisdictions.append({"id": "us", "name": "United States (federal)", "level": "federal"})
    for s in states:
        b.jurisdictions.append({"id": s, "name": f"State {s[1:]}", "level": "state",
                                "parent": "us"})
    for s in states:
        for c in by_state[s]:
            b.jurisdictions.append({"id": c, "name": f"County {c[1:]}", "level": "county",
                                    "parent": s})
    _federal(b)
    for n, s in enumerate(states, 1):
        _state(b, s, n, by_state[s])
        if shape.civic:
            _civic_state(b, s, n)
    for s in states:
        members = by_state[s]
        for k, c in enumerate(members):
            # neighbours: the next counties of the same state (a ring), then random ones
            ring = [members[(k + d) % len(members)] for d in (1, -1, 2)]
            ring = [x for x in dict.fromkeys(ring) if x != c]
            b.rng.shuffle(ring)
            _county(b, c, int(c[1:]), s, ring, shape)
            if shape.civic:
                _civic(b, c, int(c[1:]), s, ring)
    _rules(b, states, by_state)
    return b


def _write_list(path: Path, key: str, items: list[dict[str, Any]]) -> None:
    lines = [f"{key}:"]
    lines.extend(f"  - {inline(item)}" for item in items)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_pack(out: Path, shape: Shape, seed: int) -> dict[str, int]:
    """Write the pack's YAML files and source text into ``out``; returns item counts."""
    b = build(shape, seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sources").mkdir(exist_ok=True)
    text = "\n\n".join(f"Section {i}. {q}" for i, q in enumerate(QUOTES.values(), 1))
    (out / SOURCE_FILE).write_text(
        "Synthetic source text for generated benchmark packs (not a real document).\n\n"
        + text + "\n", encoding="utf-8")
    manifest = [
        "id: national",
        f"name: {scalar(f'Synthetic national pack ({shape.counties} counties, seed {seed})')}",
        "description: " + scalar("Generated by benchmarks/generate.py; synthetic, not real."),
        "jurisdictions:",
        *(f"  - {inline(j)}" for j in b.jurisdictions),
        "sanctuary_jurisdictions: "
        + inline([r["jurisdiction"] for r in b.rules if r["id"].endswith("trust-act")]),
        "default_trigger: c0001-arrest",
        "default_target: ice",
    ]
    (out / "pack.yaml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    _write_list(out / "facts.yaml", "facts", FACTS)
    _write_list(out / "data_items.yaml", "data_items", [
        {"id": d, "name": d.replace("-", " ").capitalize()} for d in DATA_ITEMS])
    _write_list(out / "sources.yaml", "sources", [{
        "id": SOURCE_ID, "title": "Synthetic benchmark source", "publisher": "graphflow",
        "date": "2024-01-01", "file": SOURCE_FILE, "kind": "other"}])
    _write_list(out / "actors.yaml", "actors", b.actors)
    _write_list(out / "flows.yaml", "flows", b.flows)
    _write_list(out / "rules.yaml", "rules", b.rules)
    profiles = [{**p, "citations": cite("profile")} for p in PROFILES]
    _write_list(out / "profiles.yaml", "profiles", profiles)
    return {"jurisdictions": len(b.jurisdictions), "actors": len(b.actors),
            "flows": len(b.flows), "rules": len(b.rules), "profiles": len(profiles)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counties", type=int, default=3000)
    ap.add_argument("--states", type=int, default=0, help="default: about 60 counties each")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--civic", action="store_true",
                    help="add health, social services, defender and victim services per county "
                    "(+4 actors, +17 flows each; far from ICE)")
    ap.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    args = ap.parse_args(argv)
    if args.counties < 1:
        ap.error("--counties must be at least 1")
    shape = Shape(counties=args.counties, states=args.states, civic=args.civic)
    counts = write_pack(args.out, shape, args.seed)
    print(json.dumps({"out": str(args.out), "seed": args.seed, **counts}))


if __name__ == "__main__":
    main()
