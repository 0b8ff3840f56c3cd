"""The public Python API (graphflow.open_pack): every answer's to_dict() is exactly the CLI's
JSON for the same question, and the answers agree with each other on the NYC pack."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

import graphflow
from graphflow.core.status import Status
from graphflow.errors import GraphflowError

AS_OF = "2017-03-01"
CASE = {"profile": "fare-evasion", "as_of": AS_OF}
CLI_CASE = ("--profile", "fare-evasion", "--as-of", AS_OF)
WARRANT = "warrant-check-contacts-ice"


@pytest.fixture(scope="module")
def audit():
    return graphflow.open_pack("nyc")


def cli_json(run_cli, *args: str) -> dict:
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


PAIRS = [
    ("routes", {**CASE}, ("routes", *CLI_CASE)),
    ("routes", {**CASE, "limit": 3, "order": "ranked"},
     ("routes", *CLI_CASE, "--limit", "3", "--order", "ranked")),
    ("routes", {**CASE, "statuses": ["open", "conditional"]},
     ("routes", *CLI_CASE, "--status", "open,conditional")),
    ("leaks", {**CASE}, ("leaks", *CLI_CASE)),
    ("leaks", {**CASE, "sets": ["in-doc-custody=true"], "practice": True},
     ("leaks", *CLI_CASE, "--set", "in-doc-custody=true", "--with-practice")),
    ("leaks", {"profile": "prior-removal-order", "as_of": AS_OF, "close": [WARRANT]},
     ("leaks", "--profile", "prior-removal-order", "--as-of", AS_OF, "--close", WARRANT)),
    ("count", {**CASE}, ("routes", *CLI_CASE, "--count")),
    ("cut", {**CASE, "controllable_by": "nyc"}, ("cut", *CLI_CASE, "--controllable-by", "nyc")),
    ("cut", {**CASE, "weighted": True, "allow_trigger_cut": True},
     ("cut", *CLI_CASE, "--weighted", "--allow-trigger-cut")),
    ("exposure", {**CASE, "close": [WARRANT]}, ("exposure", *CLI_CASE, "--close", WARRANT)),
    ("timeline", {"profile": "civil-summons", "as_of": AS_OF, "since": "2014-01-01"},
     ("timeline", "--profile", "civil-summons", "--as-of", AS_OF, "--since", "2014-01-01")),
    ("explain", {"ident": "fbi-prints-to-dhs"}, ("explain", "fbi-prints-to-dhs")),
]


@pytest.mark.parametrize("method,kwargs,argv", PAIRS, ids=[" ".join(p[2]) for p in PAIRS])
def test_to_dict_is_the_cli_json(audit, run_cli, method, kwargs, argv):
    result = getattr(audit, method)(**kwargs)
    assert result.to_dict() == cli_json(run_cli, *argv)


def test_diff_to_dict_is_the_cli_json(audit, run_cli):
    result = audit.diff(AS_OF, "2025-01-01", profile="fare-evasion")
    assert result.to_dict() == cli_json(run_cli, "diff", "--as-of", AS_OF, "--as-of",
                                        "2025-01-01", "--profile", "fare-evasion")
    assert result.changes, "the courthouse rules changed routes between these dates"


def test_explain_route_is_the_cli_json(audit, run_cli):
    rid = audit.leaks(**CASE).routes[0].id
    result = audit.explain(rid, **CASE)
    assert result.route is not None and result.route.id == rid
    assert result.to_dict() == cli_json(run_cli, "explain", rid, *CLI_CASE)


def test_open_pack_is_exported_lazily():
    code = ("import sys, graphflow; assert 'graphflow.api' not in sys.modules; "
            "graphflow.open_pack; assert 'graphflow.api' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == "ok\n", out.stderr


def test_python_facts_are_the_cli_sets(audit):
    typed = audit.routes(facts={"judicial-warrant": True, "in-doc-custody": True}, **CASE)
    texts = audit.routes(sets=["judicial-warrant=true", "in-doc-custody=yes"], **CASE)
    assert typed.to_dict() == texts.to_dict()
    assert typed.query.facts["judicial-warrant"] is True
    with pytest.raises(GraphflowError, match="true or false"):
        audit.routes(facts={"judicial-warrant": "maybe"}, **CASE)


def test_leaks_are_the_open_routes_current_evidence_first(audit):
    every = audit.routes(**CASE)
    leaks = audit.leaks(**CASE)
    assert leaks.routes and all(r.status is Status.OPEN for r in leaks)
    assert {r.id for r in leaks} == {r.id for r in every if r.status is Status.OPEN}
    current = [r.evidence.current for r in leaks]
    assert current == sorted(current, reverse=True)  # current evidence first
    assert leaks.summary == every.summary  # the summary is over every status


def test_practice_leaks_do_not_change_the_plain_answer(audit):
    case = {**CASE, "sets": ["in-doc-custody=true"]}
    plain = audit.leaks(**case)
    with_practice = audit.leaks(practice=True, **case)
    extra = [r for r in with_practice if r.status is not Status.OPEN]
    assert extra and all(r.practice_leak for r in extra)
    assert {r.id for r in with_practice if r.is_leak} == {r.id for r in plain}
    assert audit.leaks(**case).to_dict() == plain.to_dict()  # nothing was mutated
    assert len(audit.leaks(practice=True, limit=2, **case)) == 2


def test_count_agrees_with_the_routes_and_their_evidence(audit):
    counts = audit.count(**CASE)
    every = audit.routes(**CASE)
    assert dict(counts.summary) == {s.value: sum(r.status is s for r in every) for s in Status}
    assert counts.total == len(every)
    open_states = Counter(r.evidence.state for r in every if r.is_leak)
    assert {k: v for k, v in counts.open_by_evidence.items() if v} == dict(open_states)
    assert counts.to_dict()["open_by_evidence"] == dict(counts.open_by_evidence)
    blocked_only = audit.count(statuses="blocked", **CASE)
    assert set(blocked_only.open_by_evidence.values()) == {0}
    assert blocked_only.summary["blocked"] == counts.summary["blocked"]


def test_whatif_before_and_after(audit):
    case = {"profile": "prior-removal-order", "as_of": AS_OF}
    w = audit.whatif(close=[WARRANT], **case)
    assert w.before.to_dict() == audit.routes(**case).to_dict()
    before = {r.id: r.status for r in w.before}
    after = {r.id: r.status for r in w.after}
    moved = {rid for rid in after if after[rid] != before[rid]}
    assert moved == {c.route for c in w.changes if c.before != c.after}
    assert all(WARRANT in next(r for r in w.after if r.id == rid).flows for rid in moved)
    assert w.to_dict()["before_summary"] == w.before.summary
    assert w.to_dict() == audit.routes(close=[WARRANT], **case).to_dict()
    g = w.to_networkx()
    assert any(attrs["closed"] for *_, attrs in g.edges(keys=True, data=True))
    with pytest.raises(GraphflowError, match="what-if needs"):
        audit.whatif(**case)


def test_cut_protects_the_trigger_unless_asked(audit):
    plain = audit.cut(**CASE)
    trigger = {f.id for f in audit.pack.flows.values() if f.source == "nypd-arrest"}
    assert set(plain.to_dict()["before"]["protected"]) == trigger
    assert not set(plain.before.flows) & trigger
    free = audit.cut(allow_trigger_cut=True, **CASE)
    assert free.to_dict()["before"]["protected"] == []
    # closing the cut really stops every open route
    closed = audit.routes(close=plain.before.flows, **CASE)
    assert closed.summary["open"] == 0
    g = plain.to_networkx()
    assert {k for *_, k, a in g.edges(keys=True, data=True) if a["cut"]} == set(
        plain.before.flows)


def test_to_networkx_holds_the_routes(audit):
    result = audit.routes(**CASE)
    g = result.to_networkx()
    flows = {f for r in result for f in r.flows}
    assert {k for *_, k in g.edges(keys=True)} == flows
    assert set(g.nodes) == {n for r in result for n in r.nodes}
    assert [r["id"] for r in g.graph["routes"]] == [r.id for r in result]
    first = result.routes[0]
    for fid, hop in zip(first.flows, first.hops, strict=True):
        f = audit.pack.flows[fid]
        edge = g.edges[f.source, f.target, fid]
        assert first.id in edge["routes"] and edge["status"] == hop.status.value
    timeline = audit.timeline(profile="civil-summons", as_of=AS_OF)
    assert {r.id for r in timeline.routes} == {r["route"] for r in timeline.to_dict()["routes"]}


def test_to_dataframe(audit):
    pytest.importorskip("pandas")
    result = audit.routes(**CASE)
    df = result.to_dataframe()
    assert list(df["route"]) == [r.id for r in result]
    assert list(df["status"]) == [r.status.value for r in result]
    counts = audit.count(**CASE).to_dataframe()
    assert dict(zip(counts["status"], counts["routes"], strict=True)) == result.summary
    timeline = audit.timeline(profile="civil-summons", as_of=AS_OF)
    tl = timeline.to_dataframe()
    rows = timeline.to_dict()["routes"]
    assert set(tl["route"]) == {r["route"] for r in rows}
    assert len(tl) == sum(len(r["statuses"]) for r in rows)
    for answer in (audit.cut(**CASE), audit.exposure(**CASE),
                   audit.diff(AS_OF, "2025-01-01", profile="fare-evasion"),
                   audit.explain("fbi-prints-to-dhs")):
        assert answer.to_dataframe().shape[1] >= 3


def test_to_dataframe_without_pandas_says_how_to_install(audit, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(GraphflowError, match="needs pandas") as err:
        audit.routes(**CASE).to_dataframe()
    assert "graphflow[dataframe]" in err.value.one_line()


def test_bad_input_is_a_graphflow_error(audit):
    with pytest.raises(GraphflowError, match="unknown actor"):
        audit.routes("nypd-arest", "ice", as_of=AS_OF)
    with pytest.raises(GraphflowError, match="both --as-of dates"):
        audit.diff(AS_OF, AS_OF)
    with pytest.raises(GraphflowError, match="unknown backend"):
        graphflow.open_pack("nyc", backend="neo5j")
    with pytest.raises(GraphflowError, match="is not a date"):
        audit.routes(as_of="last tuesday")


def test_cli_and_html_tell_one_timeline(audit):
    """The HTML export's timeline grid (export.view.timeline_data) and `graphflow timeline`
    come from the same function, with the same dates and statuses."""
    from graphflow.analysis.timeline import status_on, timeline
    from graphflow.audit import run_query
    from graphflow.engines.embedded import EmbeddedEngine
    from graphflow.export.view import timeline_data

    case = {"profile": "fare-evasion", "as_of": AS_OF, "since": "2014-01-01"}
    cli = audit.timeline(**case).to_dict()
    query = audit.query(profile="fare-evasion", as_of=AS_OF)
    engine = EmbeddedEngine(audit.pack)
    shown = run_query(audit.pack, engine, query).routes  # export html's route report
    result = timeline(audit.pack, engine, query, since=graphflow.api._date("2014-01-01"),
                      route_ids={r.id for r in shown})
    grid = timeline_data(result, shown, query.as_of)  # the view renders, it does not query
    rows = {r["route"]: r for r in cli["routes"]}
    assert grid["rows"] and {r["route"] for r in grid["rows"]} == set(rows)
    changes = {c["date"] for r in cli["routes"] for c in r["changes"]}
    assert changes and changes <= set(grid["dates"])
    compared = 0
    for row in grid["rows"]:
        probed = rows[row["route"]]["statuses"]  # the status a query found on each probe day
        for day in changes & set(probed):
            assert row["statuses"][day] == probed[day] == status_on(rows[row["route"]], day)
            compared += 1
    assert compared
