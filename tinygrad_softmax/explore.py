"""See backprop in the browser: an interactive, self-contained page that steps through backward.

``explore(loss, "backprop.html")`` writes ONE HTML file (inline CSS, JavaScript and SVG; no
network, no external scripts or fonts) showing the graph that built ``loss``. The learner steps
the backward pass forward and back (buttons, or the arrow keys): each step highlights the tensor
being visited, shows the gradient arriving at it, the derivative its op's docstring states, the
gradient the op sends to each input and, where a tensor feeds several ops, the running sum of
what it has received so far. Clicking a node shows its value and its gradient (small arrays in
full, large ones as shape, summary statistics and a heat-map).

Where the numbers come from: ``explore`` runs ``loss.backward(retain_graph=True)`` under
``trace.traced_backward`` (the same trace the text tables print) and embeds the engine's own
values; the ``.grad`` of every tensor is put back as it was afterwards, so exploring changes
nothing. Layout: Graphviz's ``dot`` when it is installed, else a layered layout of our own
(longest-path layers, barycentre ordering), top (inputs) to bottom (the loss).

The page has a self-test: opened as ``backprop.html?selftest`` it steps through the whole pass
by itself and writes what it displayed into ``<pre id="selftest">`` (the browser test reads it).

Also here: ``graph_svg`` (the static picture a ``Tensor`` shows in Jupyter) and ``trace_html``
(a ``BackwardTrace`` as an HTML table).
"""

from __future__ import annotations

import html
import json
import math
import shutil
import subprocess
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .tensor import Function, Tensor
from .trace import BackwardTrace, derivative_formula, op_arguments, traced_backward
from .viz import reachable

__all__ = ["explore", "explorer_html", "graph_svg", "trace_html", "layout", "composite_paths"]

SMALL = 24  # arrays with at most this many elements are shown in full
HEAT = 16  # heat-maps have at most HEAT x HEAT cells (block means)
NODE_W, NODE_H = 176, 78  # explorer node boxes, in pixels (= Graphviz points)


# ---- the graph ---------------------------------------------------------------------------
def composite_paths(tensors: list[Tensor], op_of: Mapping[int, Function]) -> dict[int, list[tuple[str, int]]]:
    """For each tensor made inside a call marked with ``tensor.composite`` (``cross_entropy``,
    ``log_softmax`` …): the calls it belongs to, outermost first, as ``(name, start)`` pairs.

    A call marks the op of its result with ``(name, start)``; the tensors of the call are those
    reached walking back from that result through tensors numbered ``start`` or later (made
    during the call)."""
    by_id = {id(t): t for t in tensors}
    member: dict[int, set[tuple[str, int]]] = {}
    for t in tensors:
        ctx = op_of.get(id(t))
        for name, start in (ctx.__dict__.get("_composites", ()) if ctx is not None else ()):
            stack, seen = [t], set()
            while stack:
                u = stack.pop()
                if id(u) in seen or u._number < start:
                    continue
                seen.add(id(u))
                member.setdefault(id(u), set()).add((name, start))
                if id(u) in op_of:
                    stack.extend(p for p in op_of[id(u)].parents if id(p) in by_id)
    return {k: sorted(v, key=lambda c: c[1]) for k, v in member.items()}


# ---- layout ------------------------------------------------------------------------------
def _curve(points: list[tuple[float, float]]) -> str:
    """An SVG path through ``points`` leaving and entering each vertically."""
    (x0, y0), parts = points[0], []
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        dy = (yb - ya) / 2
        parts.append(f"C{xa:.1f},{ya + dy:.1f} {xb:.1f},{yb - dy:.1f} {xb:.1f},{yb:.1f}")
    return f"M{x0:.1f},{y0:.1f} " + " ".join(parts)


def _simple_layout(n: int, edges: list[tuple[int, int]], order: list[int], w: float, h: float,
                   gap_x: float, gap_y: float) -> tuple[list[tuple[float, float]], list[str]]:
    """Our own layered layout: node i is placed at depth = longest path to the root (node 0),
    the root at the bottom; long edges get dummy points; rows are ordered by barycentres in a
    few down/up sweeps, then nodes are pulled toward their neighbours without overlapping.
    ``order[i]`` is node i's rank in a topological order (inputs first)."""
    consumers: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        consumers[u].append(v)
    depth = [0] * n
    for v in sorted(range(n), key=lambda i: -order[i]):  # consumers before what they consume
        depth[v] = max((depth[c] + 1 for c in consumers[v]), default=0)
    rows_n = max(depth) + 1
    row = [rows_n - 1 - d for d in depth]
    # vertices: real nodes, then dummies of edges spanning several rows
    vrow, vwidth = list(row), [w] * n
    up: list[list[int]] = [[] for _ in range(n)]
    down: list[list[int]] = [[] for _ in range(n)]
    chains: list[list[int]] = []
    for u, v in edges:
        chain = [u]
        for level in range(row[u] + 1, row[v]):
            vrow.append(level)
            vwidth.append(12.0)
            up.append([])
            down.append([])
            chain.append(len(vrow) - 1)
        chain.append(v)
        for a, b in zip(chain, chain[1:]):
            down[a].append(b)
            up[b].append(a)
        chains.append(chain)
    rows: list[list[int]] = [[] for _ in range(rows_n)]
    for k in range(len(vrow)):
        rows[vrow[k]].append(k)
    pos = [0.0] * len(vrow)
    for members in rows:
        for i, k in enumerate(members):
            pos[k] = i
    for sweep in range(6):
        seq = range(1, rows_n) if sweep % 2 == 0 else range(rows_n - 2, -1, -1)
        for ri in seq:
            nb = up if sweep % 2 == 0 else down

            def bary(k: int) -> float:
                ns = nb[k]  # noqa: B023 - used at once
                return sum(pos[m] for m in ns) / len(ns) if ns else pos[k]
            rows[ri].sort(key=bary)
            for i, k in enumerate(rows[ri]):
                pos[k] = i
    # x: packed rows, then pulled toward the mean of their neighbours, keeping the order
    x = [0.0] * len(vrow)
    for r in rows:
        acc = 0.0
        for k in r:
            x[k] = acc + vwidth[k] / 2
            acc += vwidth[k] + gap_x
    for _ in range(8):
        for r in rows:
            want = [sum(x[m] for m in up[k] + down[k]) / len(up[k] + down[k]) if up[k] + down[k] else x[k]
                    for k in r]
            # place left to right at the wanted spot or as close as the previous box allows,
            # then right to left, and take the mean: a cheap, order-keeping compromise
            left = list(want)
            for i in range(1, len(r)):
                lo = left[i - 1] + (vwidth[r[i - 1]] + vwidth[r[i]]) / 2 + gap_x
                left[i] = max(left[i], lo)
            right = list(want)
            for i in range(len(r) - 2, -1, -1):
                hi = right[i + 1] - (vwidth[r[i + 1]] + vwidth[r[i]]) / 2 - gap_x
                right[i] = min(right[i], hi)
            for i, k in enumerate(r):
                x[k] = (left[i] + right[i]) / 2
            for i in range(1, len(r)):  # the mean may overlap again: push right
                lo = x[r[i - 1]] + (vwidth[r[i - 1]] + vwidth[r[i]]) / 2 + gap_x
                x[r[i]] = max(x[r[i]], lo)
    x0 = min(x[k] - vwidth[k] / 2 for k in range(len(vrow)))
    centres = [(x[k] - x0 + 20, vrow[k] * (h + gap_y) + h / 2 + 20) for k in range(len(vrow))]
    paths = []
    for chain in chains:
        pts = [(centres[chain[0]][0], centres[chain[0]][1] + h / 2)]
        pts += [centres[k] for k in chain[1:-1]]
        pts.append((centres[chain[-1]][0], centres[chain[-1]][1] - h / 2))
        paths.append(_curve(pts))
    return centres[:n], paths


def _dot_layout(n: int, edges: list[tuple[int, int]], w: float, h: float,
                clusters: list[tuple[str, list[int]]], timeout: float = 60.0
                ) -> tuple[list[tuple[float, float]], list[str]] | None:
    """Positions and edge paths from Graphviz (``dot -Tjson``), or None if that fails."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    lines = ["digraph G {", "  rankdir=TB; nodesep=0.3; ranksep=0.45;",
             f"  node [shape=box, fixedsize=true, width={w / 72:.3f}, height={h / 72:.3f}, label=\"\"];"]
    # clusters nested as the calls were; each node in the innermost call that contains it
    sets = [set(members) for _, members in clusters]
    parent = [min((j for j in range(len(sets)) if j != k and sets[k] < sets[j]),
                  key=lambda j: len(sets[j]), default=None) for k in range(len(sets))]

    def block(k: int) -> str:
        inner = [j for j in range(len(sets)) if parent[j] == k]
        taken = set().union(*(sets[j] for j in inner)) if inner else set()
        label = json.dumps(clusters[k][0])  # a quoted, escaped DOT string
        return (f"subgraph cluster_{k} {{ label={label}; " + " ".join(block(j) for j in inner)
                + " ".join(f"n{i};" for i in sorted(sets[k] - taken)) + " }")
    lines += ["  " + block(k) for k in range(len(sets)) if parent[k] is None]
    lines += [f"  n{i};" for i in range(n)]
    lines += [f'  n{u} -> n{v} [id="e{k}"];' for k, (u, v) in enumerate(edges)]
    lines.append("}")
    try:
        proc = subprocess.run([dot, "-Tjson"], input="\n".join(lines).encode(), capture_output=True,
                              timeout=timeout, check=True)
        out = json.loads(proc.stdout)
        height = float(out["bb"].split(",")[3])
        centres: list[tuple[float, float]] = [(0.0, 0.0)] * n
        gvid_name = {}
        for obj in out.get("objects", []):
            gvid_name[obj.get("_gvid")] = obj.get("name")
            if "pos" in obj and str(obj.get("name", "")).startswith("n"):
                px, py = (float(v) for v in obj["pos"].split(","))
                centres[int(obj["name"][1:])] = (px + 20, height - py + 20)
        paths = [""] * len(edges)
        for e in out.get("edges", []):
            k = int(str(e["id"])[1:])
            end = None
            pts = []
            for tok in e["pos"].split():
                if tok.startswith("e,"):
                    end = tuple(float(v) for v in tok[2:].split(","))
                elif tok.startswith("s,"):
                    continue
                else:
                    px, py = (float(v) for v in tok.split(","))
                    pts.append((px + 20, height - py + 20))
            d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"
            for i in range(1, len(pts) - 2, 3):
                d += " C" + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts[i:i + 3])
            if end is not None:
                d += f" L{end[0] + 20:.1f},{height - end[1] + 20:.1f}"
            paths[k] = d
        if any(not p for p in paths):
            return None
        return centres, paths
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, IndexError):
        return None


def layout(tensors: list[Tensor], op_of: Mapping[int, Function], *, method: str = "auto",
           w: float = NODE_W, h: float = NODE_H,
           clusters: list[tuple[str, list[int]]] | None = None) -> dict[str, Any]:
    """Place the tensors (``tensors[0]`` the root) top to bottom, data flowing down.

    ``method``: ``"dot"`` (Graphviz; falls back to ours if it is missing or fails),
    ``"simple"`` (ours) or ``"auto"`` (dot if installed). Returns ``{"centres", "edges",
    "paths", "method", "width", "height"}``: node centres, the edges ``(input, output, input
    position)`` and one SVG path per edge."""
    if method not in ("auto", "dot", "simple"):
        raise ValueError(f"layout method must be 'auto', 'dot' or 'simple', got {method!r}")
    index = {id(t): i for i, t in enumerate(tensors)}
    edges: list[tuple[int, int, int]] = []
    for t in tensors:
        ctx = op_of.get(id(t))
        if ctx is not None:
            edges.extend((index[id(p)], index[id(t)], k) for k, p in enumerate(ctx.parents))
    pairs = [(u, v) for u, v, _ in edges]
    placed = None
    used = "simple"
    if method in ("auto", "dot"):
        placed = _dot_layout(len(tensors), pairs, w, h, clusters or [])
        used = "dot"
    if placed is None:
        order = {i: r for r, i in enumerate(sorted(range(len(tensors)), key=lambda i: tensors[i]._number))}
        placed = _simple_layout(len(tensors), pairs, [order[i] for i in range(len(tensors))], w, h, 26, 44)
        used = "simple"
    centres, paths = placed
    width = max((x for x, _ in centres), default=0) + w / 2 + 20
    height = max((y for _, y in centres), default=0) + h / 2 + 20
    return {"centres": centres, "edges": edges, "paths": paths, "method": used,
            "width": width, "height": height}


# ---- arrays as JSON ----------------------------------------------------------------------
def _num(x: float) -> float | str:
    """A float for JSON: NaN and infinities (not JSON) become the strings JavaScript prints."""
    if math.isfinite(x):
        return float(x)
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _stats(a: np.ndarray) -> dict[str, Any]:
    f = a.astype(np.float64).reshape(-1)
    fin = f[np.isfinite(f)]
    if fin.size == 0:
        return {"nonfinite": int(f.size)}
    return {"min": _num(fin.min()), "max": _num(fin.max()), "mean": _num(fin.mean()),
            "std": _num(fin.std()), "norm": _num(float(np.linalg.norm(fin))),
            "nonfinite": int(f.size - fin.size)}


def _heat(a: np.ndarray) -> dict[str, Any]:
    """Block means of ``a`` seen as a matrix (leading axes merged), at most HEAT x HEAT cells."""
    m = a.astype(np.float64).reshape(-1, a.shape[-1]) if a.ndim >= 2 else a.astype(np.float64).reshape(1, -1)
    row_blocks = np.array_split(np.arange(m.shape[0]), min(HEAT, m.shape[0]))
    col_blocks = np.array_split(np.arange(m.shape[1]), min(HEAT, m.shape[1]))
    with np.errstate(invalid="ignore"):
        cells = [[float(np.mean(m[np.ix_(r, c)])) for c in col_blocks] for r in row_blocks]
    return {"rows": len(cells), "cols": len(cells[0]) if cells else 0,
            "v": [_num(float(f"{v:.4g}")) for row in cells for v in row]}


def _array(a: Any) -> dict[str, Any]:
    """An array for the page: shape, dtype and either every value or statistics + heat-map."""
    a = np.asarray(a.data if isinstance(a, Tensor) else a)
    out: dict[str, Any] = {"shape": list(a.shape), "dtype": str(a.dtype)}
    f = a.astype(np.float64)
    if a.size <= SMALL:
        out["v"] = [_num(float(v)) for v in f.reshape(-1)]
    else:
        out["stats"] = _stats(f)
        out["heat"] = _heat(f)
    return out


# ---- the page's data ---------------------------------------------------------------------
def _labels(tensors: list[Tensor], names: Mapping[str, Tensor] | None) -> dict[int, str]:
    return {id(t): name for name, t in (names or {}).items()}


def _build(loss: Tensor, names: Mapping[str, Tensor] | None, gradient: Any, title: str,
           method: str) -> tuple[dict[str, Any], BackwardTrace]:
    if not isinstance(loss, Tensor):
        raise TypeError(f"explore needs a Tensor, got {type(loss).__name__}")
    if not loss.requires_grad:
        raise RuntimeError("explore: this tensor has no graph (no input requires grad), so there is no "
                           "backward pass to show")
    walked = reachable(loss)
    assert walked is not None
    tensors, op_of = walked
    index = {id(t): i for i, t in enumerate(tensors)}
    label_of = _labels(tensors, names)
    paths = composite_paths(tensors, op_of)
    # composites as clusters (one per call), outermost first
    calls: dict[tuple[str, int], list[int]] = {}
    for t in tensors:
        for c in paths.get(id(t), ()):
            calls.setdefault(c, []).append(index[id(t)])
    cluster_list = sorted(calls.items(), key=lambda kv: kv[0][1])
    placed = layout(tensors, op_of, method=method,
                    clusters=[(name, members) for (name, _), members in cluster_list])

    # the engine's backward, traced; every .grad put back as it was
    saved = [(t, t.grad) for t in tensors]
    for t in tensors:  # (else backward would add into the arrays of the .grad put back below)
        t.grad = None
    try:
        trace = traced_backward(loss, gradient, retain_graph=True, names=names)
    finally:
        for t, old in saved:
            t.grad = old
    step_of: dict[int, int] = {}
    for r in trace:
        step_of.setdefault(id(r.tensor), r.step)

    nodes = []
    for i, t in enumerate(tensors):
        ctx = op_of.get(id(t))
        kind = "op" if ctx is not None else ("param" if t.requires_grad else "const")
        x, y = placed["centres"][i]
        nodes.append({
            "id": i, "name": label_of.get(id(t), ""), "kind": kind,
            "op": ctx.name if ctx is not None else ("leaf" if t.requires_grad else "constant"),
            "args": op_arguments(ctx) if ctx is not None else {},
            "formula": derivative_formula(ctx) if ctx is not None else "",
            "comp": [name for name, _ in paths.get(id(t), [])],
            "value": _array(t.data), "step": step_of.get(id(t)), "root": i == 0,
            "retains": bool(ctx is not None and t._retains_grad),
            "x": round(x, 1), "y": round(y, 1),
        })
    edges = [{"from": u, "to": v, "i": k, "d": d} for (u, v, k), d in zip(placed["edges"], placed["paths"])]
    clusters = [{"name": name, "members": members} for (name, _), members in cluster_list]

    # steps: what arrives, what is sent, and running sums where several ops feed one tensor
    expected: dict[int, int] = {}
    for r in trace:
        for p, g in zip(r.inputs, r.input_grads):
            if g is not None and p.requires_grad:
                expected[id(p)] = expected.get(id(p), 0) + 1
    running: dict[int, np.ndarray] = {}
    count: dict[int, int] = {}
    steps = []
    for r in trace:
        sends = []
        for k, (p, g) in enumerate(zip(r.inputs, r.input_grads)):
            send: dict[str, Any] = {"input": k, "to": index[id(p)]}
            if g is None or not p.requires_grad:
                send["grad"] = None
            else:
                prev = running.get(id(p))
                running[id(p)] = g if prev is None else prev + g  # the engine's own order of additions
                count[id(p)] = count.get(id(p), 0) + 1
                send.update(grad=_array(g), k=count[id(p)], n=expected[id(p)])
                if count[id(p)] > 1:
                    send["sum"] = _array(running[id(p)])
            sends.append(send)
        steps.append({"node": index[id(r.tensor)], "grad": _array(r.grad), "leaf": r.is_leaf,
                      "accumulates": r.is_leaf and r.tensor.is_leaf, "sends": sends})
    data = {"title": title, "layout": placed["method"], "width": round(placed["width"], 1),
            "height": round(placed["height"], 1), "nodeW": NODE_W, "nodeH": NODE_H,
            "nodes": nodes, "edges": edges, "clusters": clusters, "steps": steps}
    return data, trace


def explorer_html(loss: Tensor, names: Mapping[str, Tensor] | None = None, *, gradient: Any = None,
                  title: str | None = None, layout: str = "auto") -> str:
    """The explorer page for ``loss`` as a string (see ``explore``)."""
    data, _ = _build(loss, names, gradient, title or "Backward pass, step by step", layout)
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    page = _asset("explore.html").replace("__TITLE__", html.escape(data["title"]))
    page = page.replace("__CSS__", _asset("explore.css")).replace("__JS__", _asset("explore.js"))
    return page.replace("__DATA__", blob)  # last: the data may contain any of the markers above


def explore(loss: Tensor, path: str | Path = "backprop.html", names: Mapping[str, Tensor] | None = None,
            *, gradient: Any = None, title: str | None = None, layout: str = "auto") -> Path:
    """Write an interactive page that steps through ``loss.backward()``; returns its path.

    One self-contained HTML file (open it in any browser, offline). ``names`` maps labels to
    tensors (``{"W": W, "loss": loss}``); ``gradient`` is the upstream gradient for a
    non-scalar ``loss``; ``layout`` is ``"auto"`` (Graphviz's ``dot`` if installed), ``"dot"``
    or ``"simple"`` (our own layered layout). The backward runs with ``retain_graph=True`` and
    the ``.grad`` of every tensor is restored afterwards. Raises ``RuntimeError`` if a previous
    backward freed the graph, or if ``loss`` has no graph.
    """
    path = Path(path)
    path.write_text(explorer_html(loss, names, gradient=gradient, title=title, layout=layout),
                    encoding="utf-8")
    return path


# ---- notebook display --------------------------------------------------------------------
def _short(a: np.ndarray) -> str:
    if a.size == 1:
        return f"{float(a.reshape(-1)[0]):.4g}"
    return f"{tuple(a.shape)} {a.dtype}"


def graph_svg(tensor: Tensor, names: Mapping[str, Tensor] | None = None, max_nodes: int = 80) -> str | None:
    """A small static SVG of the graph behind ``tensor`` (what Jupyter shows for a Tensor), or
    None if it has no graph, a freed one, or more than ``max_nodes`` tensors."""
    if tensor.grad_fn is None:
        return None
    try:
        walked = reachable(tensor, limit=max_nodes)
    except RuntimeError:
        return None
    if walked is None:
        return None
    tensors, op_of = walked
    w, h = 132.0, 46.0
    placed = layout(tensors, op_of, method="simple", w=w, h=h)
    label_of = _labels(tensors, names)
    paths = composite_paths(tensors, op_of)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{placed["width"]:.0f}" '
             f'height="{placed["height"]:.0f}" font-family="sans-serif" font-size="10">',
             '<defs><marker id="tgarrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
             'markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#666"/></marker></defs>']
    for d in placed["paths"]:
        parts.append(f'<path d="{d}" fill="none" stroke="#888" marker-end="url(#tgarrow)"/>')
    for i, t in enumerate(tensors):
        x, y = placed["centres"][i]
        ctx = op_of.get(id(t))
        fill = "#dde8f7" if ctx is not None else ("#d9f2d9" if t.requires_grad else "#eeeeee")
        if ctx is not None:
            args = ", ".join(f"{k}={v}" for k, v in op_arguments(ctx).items())
            line1 = f"{ctx.name}({args})" if args else ctx.name
        else:
            line1 = "leaf" if t.requires_grad else "constant"
        comp = paths.get(id(t))
        name = label_of.get(id(t), "")
        line0 = " › ".join([c for c, _ in comp] + ([name] if name else [])) if comp else name
        lines = [s for s in (line0, line1, _short(t.data)) if s]
        stroke = ' stroke-width="2.5"' if i == 0 else ""
        parts.append(f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w}" height="{h}" rx="6" '
                     f'fill="{fill}" stroke="#555"{stroke}/>')
        for k, s in enumerate(lines):
            s = s if len(s) <= 24 else s[:23] + "…"
            weight = ' font-weight="bold"' if k == 0 and line0 else ""
            parts.append(f'<text x="{x:.1f}" y="{y - h / 2 + 14 + 13 * k:.1f}" text-anchor="middle"{weight}>'
                         f"{html.escape(s)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def tensor_html(tensor: Tensor) -> str | None:
    """What Jupyter shows for a Tensor: its graph as SVG above its repr (None: no graph)."""
    svg = graph_svg(tensor)
    if svg is None:
        return None
    return f'<div>{svg}<pre>{html.escape(repr(tensor))}</pre></div>'


def trace_html(trace: BackwardTrace) -> str:
    """A ``BackwardTrace`` as an HTML table (what Jupyter shows for it)."""
    from .trace import _summary
    step_of: dict[int, int] = {}
    for r in trace:
        step_of.setdefault(id(r.tensor), r.step)
    head = ["step", "node", "op", "shape", "incoming grad dL/d(node)", "sends to inputs"]
    rows = []
    for r in trace:
        if r.is_leaf:
            sends = "accumulates into .grad" if r.tensor.is_leaf else "(retained .grad)"
        else:
            sends = "<br>".join(
                f"→ {html.escape(trace._label(p, step_of))}: "
                + ("nothing" if g is None else html.escape(_summary(g, trace.values)))
                for p, g in zip(r.inputs, r.input_grads))
        args = ", ".join(f"{k}={v}" for k, v in r.args.items())
        op = html.escape(r.op + (f"({args})" if args else ""))
        if r.formula:
            op = f'<span title="{html.escape(r.formula)}">{op}</span>'
        node = html.escape(r.name if r.name is not None else f"#{r.step}")
        cells = [str(r.step), node, op, html.escape(str(r.shape)),
                 html.escape(_summary(r.grad, trace.values)), sends]
        rows.append("<tr>" + "".join(f'<td style="text-align:left">{c}</td>' for c in cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f'<th style="text-align:left">{c}</th>' for c in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


# ---- the page ------------------------------------------------------------------------------
def _asset(name: str) -> str:
    """The page's template, style sheet or script (``tinygrad_softmax/data/explore.*``)."""
    return resources.files("tinygrad_softmax.data").joinpath(name).read_text(encoding="utf-8")
