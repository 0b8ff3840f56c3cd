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
    from graphflow.core.conditions import describe

    if kind == "actors":
        return ["id", "name", "kind", "level", "part_of", "aliases"], [
            {"id": a.id, "name": a.name, "kind": a.kind, "level": a.level,
             "part_of": a.part_of, "aliases": list(a.aliases)} for a in pack.actors.values()]
    if kind == "flows":
        return ["id", "from", "to", "data", "mechanism", "confidence", "when"], [
            {"id": f.id, "from": f.source, "to": f.target, "data": list(f.data),
             "mechanism": f.mechanism, "confidence": f.confidence.value,
             "when": describe(f.when) if f.when else "always"} for f in pack.flows.values()]
    if kind == "rules":
        return ["id", "name", "jurisdiction", "kind", "in_force", "flows"], [
            {"id": r.id, "name": r.name, "jurisdiction": r.jurisdiction, "kind": r.kind,
             "in_force": f"{r.starts or '…'} to {r.ended or 'now'}",
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
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True)
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
    if after is not None:
        from graphflow.report.analysis import whatif_lines

        emit("\n".join(whatif_lines(out)) + "\n[before]\n")
    _render(audit.pack, out)
    if after is not None:
        emit("[after]\n")
        _render(audit.pack, after)


def _render(pack, out) -> None:
    if out.get("type") == "route":
        from graphflow.report.routes import render_table

        emit(render_table(pack, out["report"]))
    else:
        from graphflow.report.explain import render_explain

        emit(render_explain(out))
