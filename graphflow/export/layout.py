"""Deterministic layered layout for route views: left to right by hop, lanes by level.

The same nodes and edges in the same order always give the same positions (no randomness, no
iteration over unordered sets). Columns are the longest path from the trigger (cycles broken
at back edges), with the query's targets alone in the last column. Rows are swim lanes by
jurisdiction level (city, state, federal, other, top to bottom); inside a lane, nodes of one
column are ordered by the barycentre of their neighbours. Finally, any node lying within
``NODE_RADIUS`` of a straight edge between two other nodes is pushed off it (bounded repair).

Parallel flows (several flows between the same two actors, either way round) get curved edges
of different roundness, so each stays visible.

Coordinates are vis-network canvas units (pixels at zoom 1); y grows downwards.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LANES = ("city", "county", "state", "federal", "other")
COLUMN = 300.0        # x distance between columns
ROW = 110.0           # y distance between nodes of one column inside a lane
LANE_GAP = 70.0       # extra space between lanes
NODE_RADIUS = 45.0    # a node's footprint, for the no-edge-through-a-node rule
REPAIR_ROUNDS = 60    # bound on the push-off repair (each round strictly improves)
SWEEPS = 6            # barycentre ordering sweeps
REPAIR_BUDGET = 40_000  # edges x nodes above which the repair is skipped (huge views)


@dataclass
class Layout:
    """Positions, edge curvature and the lanes, ready for vis-network and the SVG writer."""

    positions: dict[str, tuple[float, float]]
    columns: dict[str, int]
    lanes: list[dict[str, float | str]]
    smooth: dict[str, dict[str, float | str] | None] = field(default_factory=dict)
    radius: float = NODE_RADIUS

    def as_dict(self) -> dict[str, object]:
        return {"positions": {k: [x, y] for k, (x, y) in self.positions.items()},
                "columns": dict(self.columns), "lanes": list(self.lanes),
                "smooth": dict(self.smooth), "radius": self.radius}


def _columns(ids: Sequence[str], succ: dict[str, list[str]], pred: dict[str, list[str]],
             sources: Sequence[str], targets: set[str]) -> dict[str, int]:
    """Longest path from the roots over the edges that are not back edges of a DFS."""
    order = [s for s in sources if s in succ] + [i for i in ids if not pred[i]] + list(ids)
    state: dict[str, int] = {}  # 1 on stack, 2 done
    back: set[tuple[str, str]] = set()
    topo: list[str] = []
    for root in order:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                topo.append(node)
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    topo.reverse()
    col = dict.fromkeys(ids, 0)
    for node in topo:
        for nxt in succ[node]:
            if (node, nxt) not in back and nxt not in targets:
                col[nxt] = max(col[nxt], col[node] + 1)
    if targets:
        last = max((c for n, c in col.items() if n not in targets), default=-1) + 1
        for t in targets:
            if t in col:
                col[t] = last
    return col


def _dist_to_segment(p: tuple[float, float], a: tuple[float, float],
                     b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def violations(positions: dict[str, tuple[float, float]], edges: Iterable[tuple[str, str]],
               radius: float = NODE_RADIUS) -> list[tuple[str, str, str]]:
    """(from, to, node) for every straight edge passing within ``radius`` of a third node."""
    out = []
    for a, b in edges:
        if a == b:
            continue
        pa, pb = positions[a], positions[b]
        for n, p in positions.items():
            if n not in (a, b) and _dist_to_segment(p, pa, pb) < radius:
                out.append((a, b, n))
    return out


def layered_layout(nodes: Sequence[tuple[str, str]], edges: Sequence[tuple[str, str, str]],
                   *, sources: Sequence[str] = (), targets: Iterable[str] = (),
                   columns: Mapping[str, int] | None = None, lanes: Sequence[str] = LANES,
                   column: float = COLUMN, row: float = ROW, reach: int = 8) -> Layout:
    """Lay out ``nodes`` ``[(id, lane)]`` and ``edges`` ``[(id, from, to)]``.

    ``sources`` go first (the trigger), ``targets`` alone in the last column; ``columns``
    (every node's column) replaces the computed ones. ``lanes`` are the swim lanes top to
    bottom (levels by default; a node in no lane goes to the last); ``column`` and ``row``
    the spacing; ``reach``: how far (in half rows) the repair may move a node."""
    LANES = tuple(lanes)  # noqa: N806 (the lanes of this layout)
    COLUMN, ROW = column, row  # noqa: N806
    ids = [n for n, _ in nodes]
    level = {n: (lv if lv in LANES else LANES[-1]) for n, lv in nodes}
    succ: dict[str, list[str]] = {i: [] for i in ids}
    pred: dict[str, list[str]] = {i: [] for i in ids}
    pairs: list[tuple[str, str]] = []
    for _, a, b in edges:
        if a != b and b not in succ[a]:
            succ[a].append(b)
            pred[b].append(a)
            pairs.append((a, b))
    target_set = {t for t in targets if t in succ}
    if columns is not None:
        col = {n: int(columns[n]) for n in ids}
    else:
        col = _columns(ids, succ, pred, list(sources), target_set)
    index = {n: i for i, n in enumerate(ids)}

    # cells: (column, lane) -> nodes in order; first appearance order to start with
    cells: dict[tuple[int, str], list[str]] = {}
    for n in ids:
        cells.setdefault((col[n], level[n]), []).append(n)
    ncols = max(col.values(), default=0) + 1
    rel: dict[str, float] = {}  # y inside its lane

    def place() -> dict[str, tuple[float, float]]:
        top: dict[str, float] = {}
        y = 0.0
        for lane in LANES:
            members = [n for n in ids if level[n] == lane]
            if not members:
                continue
            lo = min(rel[n] for n in members)
            hi = max(rel[n] for n in members)
            top[lane] = y - lo
            y += (hi - lo) + ROW + LANE_GAP
        return {n: (col[n] * COLUMN, top[level[n]] + rel[n]) for n in ids}

    def pack_cells() -> None:
        for members in cells.values():
            for i, n in enumerate(members):
                rel[n] = i * ROW

    pack_cells()
    for sweep in range(SWEEPS):
        pos = place()
        forward = sweep % 2 == 0
        columns = range(ncols) if forward else range(ncols - 1, -1, -1)
        for c in columns:
            for lane in LANES:
                members = cells.get((c, lane))
                if not members or len(members) < 2:
                    continue
                def bary(n: str, pos=pos, forward=forward) -> tuple[float, int]:
                    nb = pred[n] if forward else succ[n]
                    nb = nb or (succ[n] if forward else pred[n])
                    if not nb:
                        return (pos[n][1], index[n])
                    return (sum(pos[m][1] for m in nb) / len(nb), index[n])
                members.sort(key=bary)
                for i, n in enumerate(members):
                    rel[n] = i * ROW
            pos = place()

    # repair: move a node that sits on an edge (or an end of that edge) to the nearest
    # offset inside its lane that leaves the fewest such conflicts; stop when none is left
    # or nothing improves
    def conflicts() -> int:
        return len(violations(place(), pairs))

    def shift(n: str, d: float) -> dict[str, float]:
        saved = {m: rel[m] for m in cells[(col[n], level[n])]}
        rel[n] += d
        members = sorted(saved, key=lambda m: (rel[m] if m != n else rel[n], index[m]))
        i = members.index(n)
        for k in range(i + 1, len(members)):  # push the ones below further down
            rel[members[k]] = max(rel[members[k]], rel[members[k - 1]] + ROW)
        for k in range(i - 1, -1, -1):        # and the ones above further up
            rel[members[k]] = min(rel[members[k]], rel[members[k + 1]] - ROW)
        return saved

    steps = sorted((s * k * ROW / 2 for k in range(1, reach + 1) for s in (1, -1)), key=abs)
    best = conflicts() if len(pairs) * len(ids) <= REPAIR_BUDGET else 0
    for _ in range(REPAIR_ROUNDS):
        if best == 0:
            break
        bad = violations(place(), pairs)
        choice: tuple[int, float, str, float] | None = None
        for a, b, n in bad[:8]:
            for m in (n, a, b):
                for d in steps:
                    saved = shift(m, d)
                    score = conflicts()
                    rel.update(saved)
                    if choice is None or (score, abs(d)) < (choice[0], choice[1]):
                        choice = (score, abs(d), m, d)
        if choice is None or choice[0] >= best:
            break
        shift(choice[2], choice[3])
        best = choice[0]
    pos = place()
    # lane bands for drawing
    bands: list[dict[str, float | str]] = []
    for lane in LANES:
        ys = [pos[n][1] for n in ids if level[n] == lane]
        if ys:
            bands.append({"level": lane, "y0": min(ys) - ROW / 2, "y1": max(ys) + ROW / 2})
    pos = {n: (round(x, 1), round(y, 1)) for n, (x, y) in pos.items()}
    return Layout(positions=pos, columns=col, lanes=bands, smooth=curvature(edges))


def curvature(edges: Sequence[tuple[str, str, str]]) -> dict[str, dict[str, float | str] | None]:
    """vis-network ``smooth`` per edge: None (straight) for a lone flow; for parallel flows
    between the same two actors (either way round), curves of distinct roundness on
    alternating sides."""
    groups: dict[frozenset[str], list[tuple[str, str, str]]] = {}
    for e in edges:
        groups.setdefault(frozenset(e[1:]), []).append(e)
    out: dict[str, dict[str, float | str] | None] = {}
    for group in groups.values():
        if len(group) == 1:
            out[group[0][0]] = None
            continue
        canon = min(group[0][1], group[0][2])
        n = len(group)
        for i, (eid, a, _b) in enumerate(group):
            offset = i - (n - 1) / 2            # symmetric around the straight line
            side = 1 if offset >= 0 else -1
            if a != canon:                      # reversed edge: CW flips side
                side = -side
            mag = abs(offset) * 0.3
            if mag == 0:
                out[eid] = None
                continue
            out[eid] = {"type": "curvedCW" if side > 0 else "curvedCCW",
                        "roundness": round(min(mag, 0.9), 3)}
    return out


def grouped_layout(nodes: Sequence[tuple[str, str]], edges: Sequence[tuple[str, str, str]],
                   *, groups: Sequence[str], sources: Sequence[str] = (),
                   targets: Iterable[str] = (), column: float = 220.0,
                   row: float = 80.0, max_rows: int = 3, reach: int = 2) -> Layout:
    """A whole graph in bands, one per group (a jurisdiction), top to bottom in ``groups``
    order: columns left to right along the flows (longest path from ``sources``, ``targets``
    last), and nodes without any edge put, band by band, into the columns where their band
    is emptiest; a column holding more than ``max_rows`` nodes of one band is split into
    side-by-side sub-columns (so the picture stays wide and short, as screens are).
    Deterministic, like :func:`layered_layout`, which places the rows."""
    ids = [n for n, _ in nodes]
    lane = {n: (g if g in groups else groups[-1]) for n, g in nodes}
    succ: dict[str, list[str]] = {i: [] for i in ids}
    pred: dict[str, list[str]] = {i: [] for i in ids}
    linked: set[str] = set()
    for _, a, b in edges:
        if a != b:
            linked.update((a, b))
            if b not in succ[a]:
                succ[a].append(b)
                pred[b].append(a)
    target_set = {t for t in targets if t in linked}
    col = _columns(ids, succ, pred, [s for s in sources if s in linked], target_set)
    width = max((col[n] for n in linked), default=0) + 1
    for g in groups:
        fill = [0] * width
        for n in ids:
            if n in linked and lane[n] == g:
                fill[col[n]] += 1
        for n in ids:
            if n not in linked and lane[n] == g:
                c = min(range(width), key=lambda k: (fill[k], k))
                col[n] = c
                fill[c] += 1
    cells: dict[tuple[int, str], list[str]] = {}
    for n in ids:
        cells.setdefault((col[n], lane[n]), []).append(n)
    split = [max([1] + [-(-len(m) // max_rows) for (c, _), m in cells.items() if c == k])
             for k in range(width)]
    base = [sum(split[:k]) for k in range(width)]
    for (c, _), members in cells.items():
        for i, n in enumerate(members):
            col[n] = base[c] + i % split[c]
    return layered_layout(nodes, edges, columns=col, lanes=groups, column=column, row=row,
                          reach=reach)
