"""`graphflow validate`: schema, references, dates, conditions and (optionally) quotes."""

from __future__ import annotations

from pathlib import Path

import click

from graphflow.cli.options import dump_json, emit


@click.command()
@click.argument("pack", required=False)
@click.option("--sources-dir", "sources_dirs", multiple=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder with the source texts; every quote is checked verbatim (repeatable).")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "csv", "md")),
              default="table", show_default=True,
              help="Output format (csv, md: one row per problem; table: problems on stderr).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate(pack, sources_dirs, fmt, strict):
    """Check a pack (default: the bundled nyc pack). Exit 0 only when it is clean.

    Reports schema errors with file:line, dangling references, duplicate ids, impossible
    dates and conditions naming unknown facts. With --sources-dir, quotes are checked too.

    Example: graphflow validate data/nyc --sources-dir ../shared/seeds --strict
    """
    from graphflow.errors import GraphflowError
    from graphflow.packs.layers import layering_summary
    from graphflow.packs.loader import check_pack
    from graphflow.packs.quotes import check_quotes

    for d in sources_dirs:
        if not d.is_dir():
            raise GraphflowError(f"--sources-dir {str(d)!r} is not a folder")
    result = check_pack(pack)
    counts = {"checked": 0, "unchecked": 0}
    if result.pack is not None and sources_dirs:
        more, counts = check_quotes(result.pack, list(sources_dirs))
        result.problems.extend(more)
    errors = result.errors + (result.warnings if strict else [])
    p = result.pack
    stats = {
        "actors": len(p.actors), "flows": len(p.flows), "rules": len(p.rules),
        "profiles": len(p.profiles), "sources": len(p.sources),
    } if p else {}
    layers = layering_summary(p) if p else None
    if fmt == "json":
        emit(dump_json({
            "pack": str(result.path), "ok": not errors, "counts": stats, "quotes": counts,
            "problems": [{"where": x.where, "severity": x.severity, "what": x.what,
                          "hint": x.hint} for x in result.problems],
            **({"layers": layers} if layers else {}),
        }))
    elif fmt in ("csv", "md"):
        from graphflow.report.tables import render_rows

        rows = [{"where": x.where, "severity": x.severity, "what": x.what, "hint": x.hint}
                for x in result.problems]
        table = render_rows(rows, ("where", "severity", "what", "hint"), fmt)
        if fmt == "md":
            state = "OK" if not errors else f"{len(errors)} error(s)"
            counted = ", ".join(f"{n} {k}" for k, n in stats.items())
            layer_md = "".join(f"- {line}\n" for line in _layer_lines(layers))
            table = (f"# Pack check: {result.path}\n\n**{state}**"
                     + (f": {counted}" if counted else "") + "\n\n" + layer_md
                     + ("\n" if layer_md else "")
                     + (table if rows else "No problems found.\n"))
        emit(table)
    else:
        from graphflow.report.tables import terminal_safe

        for x in result.problems:
            click.echo(terminal_safe(x.one_line()), err=True)
        layer_text = "".join(line + "\n" for line in _layer_lines(layers))
        if p:
            summary = ", ".join(f"{n} {k}" for k, n in stats.items())
            quotes = (f"; {counts['checked']} quotes verified verbatim, "
                      f"{counts['unchecked']} not checked") if sources_dirs else ""
            state = "OK" if not errors else f"{len(errors)} error(s)"
            emit(f"{layer_text}{result.path}: {state}: {summary}{quotes}\n")
        else:
            emit(f"{result.path}: {len(errors)} error(s)\n")
    if errors:
        raise SystemExit(1)


def _layer_lines(layers):
    """validate's report of a layered pack: its layers, overrides and selector matches."""
    if not layers:
        return []
    out = ["layers: " + " <- ".join(layers["layers"])]
    out += [f"{o['where']}: override: {o['kind'][:-1].replace('_', ' ')} {o['id']!r} of layer "
            f"{o['replaces']!r} replaced by {o['layer']!r}" for o in layers["overrides"]]
    for s in layers["selectors"]:
        sel = ", ".join(f"{k}={v}" for k, v in s["select"].items())
        out.append(f"{s['where']}: selector: rule {s['rule']!r} ({sel}) {s['effect']} "
                   f"{len(s['matched'])} flow(s): {', '.join(s['matched']) or 'none'}")
    return out
