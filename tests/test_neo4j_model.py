"""The Neo4j store without a server: the model, the rows, the read-only check, the canned
query library, the exports' text, settings and error messages."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphflow.analysis.statuses import graph_with_statuses
from graphflow.errors import GraphflowError
from graphflow.packs.loader import load_pack
from graphflow.store import model, queries, readonly, script
from graphflow.store.connection import Settings, describe_error
from graphflow.store.load import delete_statements, node_statement, rel_statement, split_script
from graphflow.store.rows import build_graph
from tests.conftest import MINI, ROOT, SEED_DAY, TODAY

# -- the model is written once, and the files generated from it are current -------------------


def test_constraints_file_is_generated_from_the_model() -> None:
    path = ROOT / "schema" / "neo4j" / "constraints.cypher"
    assert path.read_text() == model.constraints_cypher(), \
        "run: python -m graphflow.store.model"
    statements = split_script(path.read_text())
    assert len(statements) == len(model.NODES) + sum(len(n.indexes) for n in model.NODES) + 1
    assert all("IF NOT EXISTS" in s for s in statements)


def test_docs_tables_are_generated_from_the_model() -> None:
    doc = (ROOT / "docs" / "neo4j.md").read_text()
    assert model.replace_generated(doc) == doc, "run: python -m graphflow.store.model"
    for spec in model.NODES:
        assert f"#### `(:{spec.label})`" in doc
    for rel in model.RELS:
        assert f"#### `(:{rel.start})-[:{rel.type}]->(:{rel.end})`" in doc


def test_only_whitelisted_labels_reach_cypher_text() -> None:
    assert model.label_ok("Actor") and model.label_ok("Agency")
    for bad in ("Actor) DETACH DELETE (n", "Note", "actor", "Actor:Agency"):
        assert not model.label_ok(bad)
    assert model.reltype_ok("FLOWS_TO") and not model.reltype_ok("FLOWS_TO]->()")
    from graphflow.store.load import _labels

    with pytest.raises(ValueError):
        _labels(["Actor", "Nope"])


# -- rows ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nyc_graph(nyc):
    return graph_with_statuses(nyc, [SEED_DAY, TODAY], loaded_at="2026-01-01T00:00:00")


def _values(graph):
    for batch in [*graph.nodes, *graph.rels]:
        for row in batch.rows:
            yield from row["k"].items()
            yield from row["p"].items()


def test_rows_hold_only_portable_values(nyc_graph) -> None:
    for key, value in _values(nyc_graph):
        assert value is not None and value != "" and value != [], key
        if isinstance(value, list):
            assert all(isinstance(v, str) for v in value), (key, value)
        else:
            assert isinstance(value, str | int | float | bool), (key, value)


def test_rows_follow_the_model(nyc, nyc_graph) -> None:
    for nb in nyc_graph.nodes:
        names = {p.name for p in nb.spec.props}
        for row in nb.rows:
            assert set(row["k"]) == set(nb.spec.key)
            assert set(row["p"]) <= names, set(row["p"]) - names
    for rb in nyc_graph.rels:
        names = {p.name for p in rb.spec.props}
        for row in rb.rows:
            assert set(row["k"]) == set(rb.spec.key) and set(row["p"]) <= names
    counts = nyc_graph.counts()
    assert counts["Actor"] == len(nyc.actors) and counts["Flow"] == len(nyc.flows)
    assert counts["FLOWS_TO"] == len(nyc.flows) == counts["SENDS"] == counts["DELIVERS_TO"]
    assert counts["GOVERNS"] == sum(len(r.effects) for r in nyc.rules.values())
    kinds = {nb.labels for nb in nyc_graph.nodes if nb.spec.label == "Actor"}
    assert ("Actor", "Event") in kinds and ("Actor", "Agency") in kinds


def test_rows_are_deterministic(nyc) -> None:
    a = build_graph(nyc, loaded_at="x")
    b = build_graph(nyc, loaded_at="x")
    assert [(n.labels, n.rows) for n in a.nodes] == [(n.labels, n.rows) for n in b.nodes]
    assert [r.rows for r in a.rels] == [r.rows for r in b.rels]


def test_statuses_come_from_the_domain_core(nyc, nyc_graph) -> None:
    from graphflow.audit import make_query, run_query
    from graphflow.engines.embedded import EmbeddedEngine

    routes = next(nb for nb in nyc_graph.nodes if nb.spec.label == "Route").rows
    query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                       as_of=SEED_DAY)
    report = run_query(nyc, EmbeddedEngine(nyc), query)
    stored = {r["k"]["id"]: r["p"]["status"] for r in routes
              if r["k"]["profile"] == "fare-evasion" and r["k"]["as_of"] == "2017-03-01"
              and r["p"]["source"] == "nypd-arrest"}
    assert stored == {r.id: r.status.value for r in report.routes}


def test_statements_use_parameters_and_model_labels() -> None:
    graph = build_graph(load_pack(str(MINI)))
    actor = next(nb for nb in graph.nodes if nb.spec.label == "Actor")
    assert node_statement(actor).startswith("UNWIND $rows AS row CREATE (n:Actor:")
    flows_to = next(rb for rb in graph.rels if rb.spec.type == "FLOWS_TO")
    text = rel_statement(flows_to)
    assert "CREATE (a)-[r:FLOWS_TO {pack: $pack, id: row[2]}]->(b) SET r += row[3]" in text
    sends = next(rb for rb in graph.rels if rb.spec.type == "SENDS")
    assert rel_statement(sends).endswith("CREATE (a)-[r:SENDS {pack: $pack}]->(b)")
    assert all("$pack" in s and "DETACH DELETE" in s for s in delete_statements())


# (the read-only check: tests/test_cypher_guard.py)


# -- canned queries ------------------------------------------------------------------------------


def test_library_has_the_required_queries() -> None:
    lib = queries.library()
    for qid in ("routes-between", "routes-untouched-by-sanctuary", "rule-flows", "flow-sources",
                "data-reach", "status-differences"):
        assert qid in lib
    for q in lib.values():
        assert q.title and q.description and q.cypher
        for _, text in q.texts or ((0, q.cypher),):
            assert readonly.write_reason(text) is None, q.id
        assert q.param("pack") is not None, q.id
    assert lib["status-differences"].requires == ("statuses",)


def test_parameters_are_typed_from_the_file() -> None:
    q = queries.get("routes-between")
    values = queries.bind(q, ["max_hops=5", "source=nypd-summons"])
    assert values == {"pack": "nyc", "source": "nypd-summons", "target": "ice", "max_hops": 5,
                      "profile": "fare-evasion", "as_of": None}
    with pytest.raises(GraphflowError, match="is not an integer"):
        queries.bind(q, ["max_hops=many"])
    with pytest.raises(GraphflowError, match="has no parameter 'max_hop'.*did you mean"):
        queries.bind(q, ["max_hop=5"])
    with pytest.raises(GraphflowError, match="no canned query 'routes-betwen'.*did you mean"):
        queries.get("routes-betwen")
    assert queries.bind(queries.get("status-differences"), {"as_of": "2017-03-01"})[
        "as_of"] == "2017-03-01"
    with pytest.raises(GraphflowError, match="not a date"):
        queries.bind(queries.get("status-differences"), {"as_of": "March"})


def test_hop_bounds_are_one_text_per_whole_number() -> None:
    """The bound of a variable-length pattern is the only thing written into Cypher text: one
    text per bound 1..32, chosen by the integer parameter, anything else refused."""
    bounded = [q for q in queries.library().values() if q.hop_bound]
    assert {q.id for q in bounded} >= {"routes-between", "routes-untouched-by-sanctuary",
                                       "data-reach"}
    for q in queries.library().values():
        assert "*1..12" not in q.cypher and "length(p) <= $max_hops" not in q.cypher, q.id
    for q in bounded:
        assert [n for n, _ in q.texts] == list(range(1, 33))
        for n, text in q.texts:
            assert f"[:FLOWS_TO*1..{n}]->" in text and "{{" not in text, (q.id, n)
            assert text == q.cypher.replace("{{max_hops}}", str(n))
            assert q.text({"max_hops": n}) == text
        for bad in (0, 33, -1, None, "8", "8]->() MATCH (n) DETACH DELETE n //", True, 8.0):
            with pytest.raises(GraphflowError, match="--param max_hops must be 1 to 32"):
                q.text({"max_hops": bad})
    rule_flows = queries.get("rule-flows")
    assert rule_flows.text({}) == rule_flows.cypher


def test_malformed_query_files_are_reported() -> None:
    with pytest.raises(GraphflowError, match="must be kebab-case and match the file name"):
        queries._parse("x.yaml", "id: y\ntitle: t\ndescription: d\ncypher: RETURN 1\n")
    with pytest.raises(GraphflowError, match="not used in the Cypher"):
        queries._parse("x.yaml", "id: x\ntitle: t\ndescription: d\ncypher: RETURN 1\n"
                       "parameters: [{name: a, type: string, default: b}]\n")
    head = "id: x\ntitle: t\ndescription: d\n"
    for body in ("hop_bound: n\nparameters: [{name: n, type: string, default: b}]\n"
                 "cypher: MATCH ()-[*1..{{n}}]->() RETURN 1\n",
                 "hop_bound: n\nparameters: [{name: n, type: integer, default: 2}]\n"
                 "cypher: MATCH ()-[*1..8]->() RETURN 1\n",
                 "hop_bound: m\nparameters: [{name: n, type: integer, default: 2}]\n"
                 "cypher: MATCH ()-[*1..{{n}}]->() RETURN $n\n"):
        with pytest.raises(GraphflowError, match="hop_bound .* must name an integer parameter"):
            queries._parse("x.yaml", head + body)
    with pytest.raises(GraphflowError, match="other than the hop bound"):
        queries._parse("x.yaml", head + "hop_bound: n\nparameters: [{name: n, type: integer, "
                       "default: 2}]\ncypher: MATCH ()-[*1..{{n}}]->() RETURN {{x}}\n")


# -- the exports' text ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    ("it's \"q\"\n\\", '"it\'s \\"q\\"\\n\\\\"'),
    (["a", "b"], '["a", "b"]'),
    ({"k": 1, "a b": True}, "{k: 1, `a b`: true}"),
    (0.5, "0.5"),
    (None, "null"),
])
def test_cypher_literals(value, text) -> None:
    assert script.literal(value) == text


def test_script_is_one_statement_per_line(nyc_graph) -> None:
    lines = list(script.cypher_script(nyc_graph))
    assert ":begin" in lines and lines[-1] == ":commit"
    statements = [line for line in lines if not line.startswith(("//", ":"))]
    assert all(s.endswith(";") for s in statements)
    assert statements[0].startswith("CREATE CONSTRAINT")
    assert not any("$" in s.split(" AS row ")[0] for s in statements if "UNWIND" in s)
    assert split_script("\n".join(lines)) == [s[:-1] for s in statements]


def test_csv_files_are_consistent(nyc_graph, tmp_path: Path) -> None:
    files, command = script.write_csv(nyc_graph, tmp_path)
    assert "neo4j-admin database import full" in command and "--array-delimiter='|'" in command
    ids: set[str] = set()
    node_rows = rel_rows = 0
    for path in files:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        assert all(len(r) == len(header) for r in rows), path
        if path.name.startswith("nodes-"):
            assert header[:2] == [":ID", ":LABEL"]
            new = {r[0] for r in rows}
            assert len(new) == len(rows) and not ids & new
            ids |= new
            node_rows += len(rows)
    for path in files:
        if path.name.startswith("relationships-"):
            with path.open(newline="") as handle:
                reader = csv.reader(handle)
                assert next(reader)[:3] == [":START_ID", ":END_ID", ":TYPE"]
                for r in reader:
                    assert r[0] in ids and r[1] in ids, r[:3]
                    rel_rows += 1
    assert (node_rows, rel_rows) == (nyc_graph.node_count(), nyc_graph.rel_count())
    assert (tmp_path / "import.sh").read_text().count("--nodes=") == len(
        [f for f in files if f.name.startswith("nodes-")])


# -- settings and errors -------------------------------------------------------------------------


def test_settings_from_env_and_missing_password(monkeypatch) -> None:
    env = {"NEO4J_URI": "bolt://db:7687", "NEO4J_USER": "u", "NEO4J_PASSWORD": "secret-pw",
           "NEO4J_DATABASE": "d"}
    s = Settings.from_env(env)
    assert (s.uri, s.user, s.database, s.password) == ("bolt://db:7687", "u", "d", "secret-pw")
    assert "secret-pw" not in repr(s)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    with pytest.raises(GraphflowError, match="NEO4J_PASSWORD is not set"):
        Settings.from_env({"NEO4J_URI": "bolt://db:7687"})
    defaults = Settings.from_env({"NEO4J_PASSWORD": "p"})
    assert (defaults.uri, defaults.user, defaults.database) == (
        "neo4j://localhost:7687", "neo4j", "neo4j")


def test_password_prompt_in_a_terminal(monkeypatch) -> None:
    import click

    from graphflow.cli.main import _password_prompt

    class Tty:
        def isatty(self) -> bool:
            return True

    asked = {}

    def prompt(text, **kw):
        asked.update(kw, text=text)
        return "typed"

    monkeypatch.setattr("sys.stdin", Tty())
    monkeypatch.setattr(click, "prompt", prompt)
    s = Settings.from_env({"NEO4J_USER": "u"}, prompt=_password_prompt)
    assert s.password == "typed" and asked["hide_input"] is True and asked["err"] is True


def test_error_messages_are_one_line_and_never_show_the_password() -> None:
    import neo4j.exceptions as ne

    s = Settings("bolt://h:1", "u", "db", "hunter22")
    cases = [
        (ne.AuthError("Authentication failed hunter22"), "authentication failed for user 'u'"),
        (ne.ServiceUnavailable("Couldn't connect\nreason"), "cannot reach the Neo4j server"),
    ]
    for exc, expected in cases:
        err = describe_error(exc, s)
        assert expected in err.one_line() and "\n" not in err.one_line()
        assert "hunter22" not in err.one_line()


def test_json_params_parse() -> None:
    from graphflow.cli.neo4j_cmd import _parse_params

    assert _parse_params(["a=3", "b=ice", 'c=["x"]', "d=true", "e=a=b"]) == {
        "a": 3, "b": "ice", "c": ["x"], "d": True, "e": "a=b"}
    with pytest.raises(GraphflowError, match="not name=value"):
        _parse_params(["oops"])


def test_result_rendering() -> None:
    from graphflow.cli.neo4j_cmd import render_result

    rows = [{"a": 1, "b": ["x", "y"], "c": {"k": "v"}}]
    assert json.loads(render_result(["a", "b", "c"], rows, "json")) == rows
    assert render_result(["a", "b", "c"], rows, "csv").splitlines() == [
        "a,b,c", '1,"x, y","{""k"": ""v""}"']
    assert render_result(["a"], [], "table") == "(no rows)\n"
    assert "(1 row)" in render_result(["a", "b", "c"], rows, "table")


def test_dates_in_rows_are_iso(nyc) -> None:
    graph = build_graph(nyc)
    rules = next(nb for nb in graph.nodes if nb.spec.label == "Rule").rows
    for row in rules:
        for key in ("enacted", "effective", "ended", "in_force_from"):
            if key in row["p"]:
                assert dt.date.fromisoformat(row["p"][key])


@pytest.mark.parametrize("uri", ["http://localhost:7687", "localhost:7687", "garbage"])
def test_only_bolt_addresses(uri: str) -> None:
    from graphflow.store.connection import connect

    with pytest.raises(GraphflowError, match="invalid NEO4J_URI"):
        connect(Settings(uri, "u", "d", "p"))


# -- server-free parts of the store (the rest runs on Neo4j: tests/test_neo4j_*.py) -------------


def test_notifications_are_formatted() -> None:
    from graphflow.store.readonly import _notes

    class Status:
        is_notification = True
        raw_severity = "WARNING"
        status_description = "warn: cartesian product"
        gql_status = "03N90"

    class Summary:
        gql_status_objects = [Status()]

    assert _notes(Summary()) == ["WARNING: warn: cartesian product [03N90]"]


def test_max_hops_bounds() -> None:
    from graphflow.store.engine import check_max_hops

    check_max_hops(8)
    check_max_hops(32)
    for bad in (0, 33, "8"):
        with pytest.raises(GraphflowError, match="--max-hops must be 1..32"):
            check_max_hops(bad)  # type: ignore[arg-type]


def test_hop_bounds_outside_1_to_32_are_refused(run_cli, monkeypatch) -> None:
    """Refused before connecting (the address is a closed port: nothing is reached)."""
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:9")
    monkeypatch.setenv("NEO4J_PASSWORD", "not-used-1")
    for bad in ("0", "33", "-1", "99999999999"):
        code, out, err = run_cli("query", "run", "routes-between", "--param", f"max_hops={bad}")
        assert code == 1 and out == "", bad
        assert "--param max_hops must be 1 to 32" in err and err.count("\n") == 1, err


def test_query_list_and_show(run_cli) -> None:
    code, out, _ = run_cli("query", "list")
    assert code == 0
    for q in queries.library().values():
        assert q.id in out
    code, out, _ = run_cli("query", "show", "data-reach")
    assert code == 0 and queries.get("data-reach").cypher in out
    assert "item (string, default fingerprints)" in out
    assert "{{max_hops}} is the hop bound" in out
    code, _, err = run_cli("query", "show", "data-rech")
    assert code == 1 and "did you mean 'data-reach'" in err


def test_script_to_stdout(nyc) -> None:
    out = _invoke_export("--data", "nyc")
    lines = out.splitlines()
    assert lines[0].startswith("// graphflow export of pack nyc")
    assert ":begin" in lines and lines[-1] == ":commit"
    assert sum(line.startswith("UNWIND") for line in lines) >= len(model.NODE_BY_LABEL) - 2


def test_as_of_needs_with_statuses() -> None:
    result = CliRunner().invoke(_export_cypher(), ["--data", "nyc", "--as-of", "2017-03-01"])
    assert result.exit_code != 0
    assert "--as-of needs --with-statuses" in str(result.exception)


def _export_cypher():
    from graphflow.cli.export_neo4j import cypher

    return cypher


def _invoke_export(*args: str) -> str:
    result = CliRunner().invoke(_export_cypher(), list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_store_imports_nothing_above_the_core() -> None:
    """Layering: the store (and the statuses it writes) imports no audit, analysis, report,
    export, api or cli module; the caller computes statuses and hands them over. The engines
    sit below the store (tests/test_layering.py): its route engine walks with theirs."""
    import subprocess
    import sys

    code = ("import sys, pkgutil, importlib, graphflow.store as s\n"
            "for m in pkgutil.iter_modules(s.__path__):\n"
            "    importlib.import_module(s.__name__ + '.' + m.name)\n"
            "bad = sorted(n for n in sys.modules if n.split('.')[:2] in ("
            "['graphflow', 'audit'], ['graphflow', 'analysis'], "
            "['graphflow', 'report'], ['graphflow', 'export'], ['graphflow', 'api'], "
            "['graphflow', 'cli']))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.strip()
    assert out == ""
