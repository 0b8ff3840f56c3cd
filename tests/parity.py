"""Route snapshots for the layered-pack parity test (tests/test_layers_parity.py).

A snapshot is what `graphflow routes --format json` says (the same report_dict), for every
profile of a pack (and no profile) from its default trigger, and for every other trigger event
without a profile, at two dates. Kept per route: its id, status, evidence,
leak and conflicts, each hop's flow, status and reasons, and a digest of the whole route as
JSON, citations included, less their file:line (which moves with the layers).
``python -m tests.parity OUT.json`` writes the golden file from the packs as they are.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

DATES = ("2017-03-01", "2026-12-01")
PACKS = ("nyc", "connecticut")


ROUTE_KEYS = ("id", "status", "confidence", "grade", "weakest_evidence", "leak", "leak_kind",
              "practice_leak", "touched_by", "missing_facts", "stopped_at", "leak_evidence",
              "evidence", "conflicts")
HOP_KEYS = ("flow", "status", "reasons", "confidence", "grade")


def _nowhere(value: Any) -> Any:
    if isinstance(value, dict):
        # "words" is a reason's plain-language rendering (report.words), not part of the answer
        return {k: _nowhere(v) for k, v in value.items() if k not in ("where", "words")}
    if isinstance(value, list):
        return [_nowhere(v) for v in value]
    return value


def _strip(route: dict[str, Any]) -> dict[str, Any]:
    """A route's answer: its id, status, evidence and every hop's status and reasons (without
    their citations), and ``digest``: the SHA-1 of the whole route, citations included."""
    full = _nowhere(route)
    out = {k: full.get(k) for k in ROUTE_KEYS}
    out["hops"] = [{**{k: h.get(k) for k in HOP_KEYS},
                    "reasons": [{k: v for k, v in x.items() if k != "sources"}
                                for x in h.get("reasons", [])]} for h in full["hops"]]
    out["digest"] = hashlib.sha1(json.dumps(full, sort_keys=True).encode()).hexdigest()
    return out


def questions(pack: Any) -> list[tuple[str, str | None]]:
    """(trigger, profile) pairs: every profile from the default trigger, then every event."""
    out: list[tuple[str, str | None]] = [(pack.default_trigger, None)]
    out += [(pack.default_trigger, p) for p in sorted(pack.profiles)]
    out += [(a.id, None) for a in pack.actors.values()
            if a.kind == "event" and a.id != pack.default_trigger]
    return out


def snapshot(name: str, questions_of: Any = None) -> dict[str, Any]:
    """{"trigger|profile|date": [route dicts]} for one pack."""
    from graphflow.audit import make_query, run_query
    from graphflow.core.dates import parse_date
    from graphflow.engines.embedded import EmbeddedEngine
    from graphflow.packs.loader import load_pack
    from graphflow.report.routes import report_dict

    pack = load_pack(name)
    engine = EmbeddedEngine(pack)
    out: dict[str, Any] = {}
    for trigger, profile in (questions_of or questions)(pack):
        for date in DATES:
            query = make_query(pack, source=trigger, target=pack.default_target,
                               profile=profile, sets=(), as_of=parse_date(date), max_hops=8)
            data = report_dict(pack, run_query(pack, engine, query))
            out[f"{trigger}|{profile or '-'}|{date}"] = [_strip(r) for r in data["routes"]]
    out["#flows"] = sorted(pack.flows)
    return out


def main(argv: list[str]) -> None:
    data = {name: snapshot(name) for name in PACKS}
    with open(argv[0], "w", encoding="utf-8") as fh:  # one line per question
        fh.write("{\n")
        rows = [json.dumps(f"{name}|{key}") + ": " + json.dumps(routes, sort_keys=True)
                for name, snap in data.items() for key, routes in snap.items()]
        fh.write(",\n".join(rows))
        fh.write("\n}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
