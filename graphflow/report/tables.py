"""Generic row output: aligned text table, JSON, CSV or Markdown; and terminal safety.

Pack text is data, and hostile data must not drive the terminal: :func:`terminal_safe` turns
every control character but newline and tab (ESC, BEL, CSI, ...), and the invisible Unicode
controls that reorder text (bidi overrides and isolates, zero-width marks), into ``\\uXXXX``.
That form is also a valid JSON escape, so the same pass serves every format on stdout.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                      "\u2060-\u2064\u2066-\u2069\ufeff]")


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def terminal_safe(text: str) -> str:
    """``text`` with control and bidi characters shown as ``\\uXXXX`` (newline, tab kept)."""
    return _CONTROL.sub(_escape, text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return terminal_safe(", ".join(map(str, value)))
    return terminal_safe(" ".join(str(value).split()))


def render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str,
                max_width: int = 60) -> str:
    """Render rows (dicts) in the chosen format."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
        return buf.getvalue()
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    if fmt == "md":
        head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
        return head + "".join(
            "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n" for row in cells
        )
    cut = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(h), *(len(row[i]) for row in cut)]) for i, h in enumerate(columns)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in cut]
    return "\n".join(lines) + "\n"
