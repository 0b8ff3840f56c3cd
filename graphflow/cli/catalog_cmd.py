"""`graphflow list` and `graphflow explain`."""

from __future__ import annotations

import click

from graphflow.cli.options import (
    FORMATS,
    dump_json,
    emit,
    evidence_horizon,
    pack_option,
    parse_as_of,
    query_options,
    whatif_options,
)

KINDS = ("actors", "flows", "rules", "profiles", "sources", "facts", "data-items", "conflicts",
         "packs")


def _rows(pack, kind):
    from graphflow.report.words import fires_words, span_words

    named = {k: c.when for k, c in pack.conditions.items()}

    if kind == "actors":
        return ["id", "name", "kind", "level", "part_of", "aliases"], [
            {"id": a.id, "name": a.name, "kind": a.kind, "level": a.level,
             "part_of": a.part_of, "aliases": list(a.aliases)} for a in pack.actors.values()]
    if kind == "flows":
        return ["id", "from", "to", "data", "mechanism", "confidence", "when"], [
            {"id": f.id, "from": f.source, "to": f.target, "data": list(f.data),
             "mechanism": f.mechanism, "confidence": f.confidence.value,
             "when": fires_words(f.when, named)} for f in pack.flows.values()]
    if kind == "rules":
        return ["id", "name", "jurisdiction", "kind", "in_force", "flows"], [
            {"id": r.id, "name": r.name, "jurisdiction": r.jurisdiction, "kind": r.kind,
             "in_force": span_words(r.starts, r.ended),
             "flows": [f"{e.flow}:{e.effect}" for e in r.effects]} for r in pack.rules.values()]
    if kind == "profiles":
        return ["id", "name", "facts"], [
            {"id": p.id, "name": p.name,
             "facts": [f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                       for k, v in p.facts.items()]} for p in pack.profiles.values()]
    if kind == "sources":
        return ["id", "title", "publisher", "date", "file", "url"], [
            {"id": s.id, "title": s.title, "publisher": s.publisher, "date": s.date,
             "file": s.file, "url": s.url} for s in pack.sources.values()]
    if kind == "facts":
        return ["id", "type", "values", "description"], [
            {"id": f.id, "type": f.type, "values": list(f.values), "description": f.description}
            for f in pack.facts.values()]
    if kind == "data-items":
        return ["id", "name", "description"], [
            {"id": d.id, "name": d.name, "description": d.description}
            for d in pack.data_items.values()]
    return ["id", "summary", "about"], [
        {"id": c.id, "summary": c.summary, "about": list(c.about)}
        for c in pack.conflicts.values()]


@click.command("list")
@click.argument("kind", type=click.Choice(KINDS), metavar="|".join(KINDS))
@pack_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def list_cmd(kind, data, fmt):
    """List the actors, flows, rules, profiles, sources, facts, ... of a pack.

    Example: graphflow list flows --format csv
    """
    from graphflow.report.tables import render_rows

    if kind == "packs":
        from graphflow.packs.locate import bundled_packs

        emit(render_rows([{"pack": p} for p in bundled_packs()], ["pack"], fmt))
        return
    from graphflow.packs.loader import load_pack

    columns, rows = _rows(load_pack(data), kind)
    emit(render_rows(rows, columns, fmt))


@click.command()
@click.argument("ident", metavar="ID")
@pack_option
@query_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True,
              help="Output format (md: numbered sources; csv: one row per field or item).")
@whatif_options
def explain(ident, data, source, target, profile, sets, as_of, max_hops, fmt, assume, close,
            ignore_authority):
    """Explain a route, flow, rule, actor, profile or source, with its citations.

    Route ids (r-...) come from `graphflow routes`; give the same --profile/--as-of to see
    the same statuses. With --assume-rule/--close, the item is explained before and after
    the what-if.

    Example: graphflow explain fbi-prints-to-dhs
    """
    from graphflow.api import open_pack

    audit = open_pack(data)
    result = audit.explain(ident, source, target, profile=profile, sets=sets,
                           as_of=parse_as_of(as_of), max_hops=max_hops,
                           evidence_horizon=evidence_horizon(), assume=assume, close=close,
                           ignore_authority=ignore_authority)
    out = result.to_dict()
    if fmt == "json":
        emit(dump_json(out))
        return
    after = out.pop("after", None)
    if fmt == "csv":
        emit(_csv(audit.pack, out, after))
        return
    if after is not None:
        from graphflow.report.analysis import whatif_lines

        head = whatif_lines(out)
        if fmt == "md":
            emit("\n".join(f"- {line.strip()}" for line in head) + "\n\n## Before\n\n")
        else:
            emit("\n".join(head) + "\n[before]\n")
    _render(audit.pack, out, fmt)
    if after is not None:
        emit("\n## After\n\n" if fmt == "md" else "[after]\n")
        _render(audit.pack, after, fmt)


def _render(pack, out, fmt="table") -> None:
    if out.get("type") == "route":
        from graphflow.report.routes import render_md, render_table

        emit(render_md(out["report"], pack) if fmt == "md" else render_table(pack, out["report"]))
    else:
        from graphflow.report.explain import render_explain, render_explain_md

        emit(render_explain_md(out) if fmt == "md" else render_explain(out))


def _csv(pack, out, after) -> str:
    """CSV of the explanation; with a what-if, a first column says before or after."""
    import csv
    import io

    from graphflow.report.explain import EXPLAIN_CSV, explain_rows
    from graphflow.report.routes import render_csv
    from graphflow.report.tables import render_rows

    def text(part):
        if part.get("type") == "route":
            return render_csv(part["report"])
        return render_rows(explain_rows(part), EXPLAIN_CSV, "csv")

    if after is None:
        return text(out)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for n, (case, part) in enumerate((("before", out), ("after", after))):
        rows = list(csv.reader(io.StringIO(text(part))))
        for i, row in enumerate(rows):
            if i or not n:
                w.writerow(["case" if not i else case, *row])
    return buf.getvalue()
