"""See backprop in the browser: an interactive, self-contained page that steps through backward.

``explore(loss, "backprop.html")`` writes ONE HTML file (inline CSS, JavaScript and SVG; no
network, no external scripts or fonts) showing the graph that built ``loss``. The learner steps
the backward pass forward and back (buttons, or the arrow keys): each step highlights the tensor
being visited, shows the gradient arriving at it, the derivative its op's docstring states, the
gradient the op sends to each input and, where a tensor feeds several ops, the running sum of
what it has received so far. Clicking a node shows its value and its gradient (small arrays in
full, large ones as shape, summary statistics and a heat-map).

Where the numbers come from: ``explore`` runs ``loss.backward(retain_graph=True)`` under
``trace.backward_trace`` (the same trace the text tables print) and embeds the engine's own
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
from pathlib import Path
from typing import Any

import numpy as np

from .tensor import Function, Tensor
from .trace import BackwardTrace, backward_trace, derivative_formula, op_arguments

__all__ = ["explore", "explorer_html", "graph_svg", "trace_html", "layout", "composite_paths"]

SMALL = 24  # arrays with at most this many elements are shown in full
HEAT = 16  # heat-maps have at most HEAT x HEAT cells (block means)
NODE_W, NODE_H = 176, 78  # explorer node boxes, in pixels (= Graphviz points)


# ---- the graph ---------------------------------------------------------------------------
def _walk(root: Tensor, limit: int | None = None) -> tuple[list[Tensor], dict[int, Function]] | None:
    """Tensors reachable from ``root`` (root first, then depth first, input 0 first) and the op
    that made each non-leaf. None if more than ``limit`` tensors. RuntimeError if freed."""
    tensors: list[Tensor] = []
    op_of: dict[int, Function] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        tensors.append(t)
        if limit is not None and len(tensors) > limit:
            return None
        ctx = t.grad_fn
        if ctx is None:
            continue
        if ctx._freed:
            raise RuntimeError(f"cannot show the graph: the graph below {ctx.name} was freed by backward(); "
                               "build it again, or call backward(retain_graph=True) to keep it")
        op_of[id(t)] = ctx
        stack.extend(reversed(ctx.parents))
    return tensors, op_of


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
        for r in range(row[u] + 1, row[v]):
            vrow.append(r)
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
    for r in rows:
        for i, k in enumerate(r):
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
    clustered: set[int] = set()
    for k, (label, members) in enumerate(clusters):
        new = [i for i in members if i not in clustered]
        clustered.update(new)
        lines.append(f'  subgraph cluster_{k} {{ label="{label}"; ' + " ".join(f"n{i};" for i in new) + " }")
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
    walked = _walk(loss)
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
    try:
        trace = backward_trace(loss, gradient, retain_graph=True, names=names)
    finally:
        for t, g in saved:
            t.grad = g
    step_of = {}
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
    return (_PAGE.replace("__TITLE__", html.escape(data["title"]))
            .replace("__CSS__", _CSS).replace("__DATA__", blob).replace("__JS__", _JS))


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
        walked = _walk(tensor, limit=max_nodes)
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
        cells = [str(r.step), node, op, html.escape(str(r.shape)), html.escape(_summary(r.grad, trace.values)),
                 sends]
        rows.append("<tr>" + "".join(f'<td style="text-align:left">{c}</td>' for c in cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(f'<th style="text-align:left">{c}</th>' for c in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


# ---- the page ------------------------------------------------------------------------------
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<script>
window.__errors = [];
window.onerror = function (msg, src, line, col) { window.__errors.push(msg + " (line " + line + ":" + col + ")"); };
</script>
<style>__CSS__</style></head>
<body>
<header>
  <h1>__TITLE__</h1>
  <div class="controls">
    <button id="first" title="start (Home)">&#xAB; start</button>
    <button id="prev" title="step back (&#x2190;)">&#x25C0; back</button>
    <span id="counter"></span>
    <button id="next" title="step forward (&#x2192;)">step &#x25B6;</button>
    <button id="last" title="end (End)">end &#xBB;</button>
    <button id="fit" title="fit the graph in the view">fit</button>
  </div>
</header>
<main>
  <div id="view"><svg id="graph" xmlns="http://www.w3.org/2000/svg"></svg></div>
  <aside id="panel"><section id="step"></section><section id="inspect"></section>
  <section id="legend">
    <span class="key param"></span> parameter (leaf, requires grad)
    <span class="key const"></span> constant
    <span class="key op"></span> made by an op
    <span class="key current"></span> visited now
    <span class="key target"></span> receives a gradient now
    <p>Arrows show data flow (forward); backward walks them the other way, newest tensor first.
    &#x2190; / &#x2192; step, click a node to inspect it, drag to pan, wheel to zoom.</p>
  </section></aside>
</main>
<pre id="selftest" hidden></pre>
<pre id="errors" hidden></pre>
<script type="application/json" id="data">__DATA__</script>
<script>__JS__</script>
</body></html>
"""

_CSS = """
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
  display: flex; flex-direction: column; height: 100vh; }
header { display: flex; align-items: center; gap: 1em; padding: 6px 12px; background: #f4f4f8;
  border-bottom: 1px solid #ccc; }
h1 { font-size: 16px; margin: 0; flex: 1; }
.controls button { font-size: 14px; padding: 3px 10px; }
#counter { display: inline-block; min-width: 9em; text-align: center; font-weight: bold; }
main { flex: 1; display: flex; min-height: 0; }
#view { flex: 1; overflow: hidden; background: #fff; cursor: grab; }
#graph { width: 100%; height: 100%; display: block; user-select: none; }
#panel { width: 430px; overflow-y: auto; border-left: 1px solid #ccc; padding: 8px 12px;
  background: #fbfbfd; }
#panel h2 { font-size: 15px; margin: 8px 0 4px; }
#panel h3 { font-size: 13px; margin: 10px 0 2px; color: #444; }
.formula { font-family: ui-monospace, Menlo, Consolas, monospace; background: #fff7e0;
  border: 1px solid #eed; padding: 4px 6px; font-size: 12px; }
.arr { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.arr table { border-collapse: collapse; }
.arr td { padding: 0 5px; text-align: right; }
.meta { color: #666; font-size: 12px; }
.send { border-left: 3px solid #e8890c; padding-left: 6px; margin: 6px 0; }
.send.none { border-left-color: #bbb; color: #777; }
.runsum { background: #eef6ff; padding: 2px 4px; margin-top: 3px; }
.node rect { stroke: #555; stroke-width: 1; }
.node.param rect { fill: #d9f2d9; }
.node.const rect { fill: #eeeeee; }
.node.op rect { fill: #dde8f7; }
.node.done rect { stroke: #2a7; stroke-width: 2; }
.node.partial rect { stroke: #7aa7e0; stroke-width: 2; stroke-dasharray: 4 2; }
.node.target rect { stroke: #e8890c; stroke-width: 3; }
.node.current rect { fill: #ffd27a; stroke: #c05a00; stroke-width: 4; }
.node.selected rect { filter: drop-shadow(0 0 4px #36c); }
.node.root rect { stroke-width: 3; }
.node text { font: 11px system-ui, sans-serif; fill: #222; pointer-events: none; }
.node text.title { font-weight: bold; }
.node text.grad { fill: #a04000; }
.node { cursor: pointer; }
.edge { fill: none; stroke: #999; stroke-width: 1.2; }
.edge.hot { stroke: #e8890c; stroke-width: 3; }
.cluster { fill: #f6f0ff; stroke: #b9a3e3; stroke-dasharray: 5 3; }
.cluster-label { font: italic 11px system-ui, sans-serif; fill: #7453b5; }
#legend { margin-top: 14px; font-size: 12px; color: #555; }
.key { display: inline-block; width: 12px; height: 12px; border: 1px solid #555; vertical-align: middle;
  margin-left: 8px; }
.key.param { background: #d9f2d9; } .key.const { background: #eee; } .key.op { background: #dde8f7; }
.key.current { background: #ffd27a; border: 2px solid #c05a00; }
.key.target { border: 2px solid #e8890c; }
"""

_JS = r"""
"use strict";
(function () {
const D = JSON.parse(document.getElementById("data").textContent);
const SVGNS = "http://www.w3.org/2000/svg";
const N = D.steps.length;
const num = v => (typeof v === "string" ? Number(v) : v);
function fmt(v) {
  v = num(v);
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  return String(Number(v.toPrecision(5)));
}
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c])); }
function shapeText(a) { return "(" + a.shape.join(", ") + (a.shape.length === 1 ? "," : "") + ")"; }
function argsText(n) {
  const ks = Object.keys(n.args);
  return ks.length ? n.op + "(" + ks.map(k => k + "=" + n.args[k]).join(", ") + ")" : n.op;
}
function label(i) {
  const n = D.nodes[i];
  if (n.name) return n.name;
  return n.step === null ? "const #" + i : "#" + (n.step + 1) + " " + n.op;
}
function shortText(a) {
  if (a.v) {
    if (a.v.length === 1) return fmt(a.v[0]);
    const head = a.v.slice(0, 3).map(fmt).join(", ");
    return "[" + head + (a.v.length > 3 ? ", \u2026" : "") + "]";
  }
  const s = a.stats;
  return s.min === undefined ? "all non-finite" : fmt(s.min) + " \u2026 " + fmt(s.max);
}
// one array in full (small) or as statistics and a heat-map (large)
function heatSVG(h, size) {
  let mx = 0;
  for (const v of h.v) { const x = Math.abs(num(v)); if (Number.isFinite(x) && x > mx) mx = x; }
  const cw = Math.max(4, Math.min(24, Math.floor(size / h.cols))), ch = Math.max(4, Math.min(24, Math.floor(size / h.rows)));
  let s = '<svg class="heat" width="' + (cw * h.cols) + '" height="' + (ch * h.rows) + '">';
  for (let r = 0; r < h.rows; r++) for (let c = 0; c < h.cols; c++) {
    const v = num(h.v[r * h.cols + c]), t = mx ? Math.max(-1, Math.min(1, v / mx)) : 0;
    const col = Number.isFinite(v) ? (t >= 0 ? "rgb(255," + Math.round(255 * (1 - t)) + "," + Math.round(255 * (1 - t)) + ")"
      : "rgb(" + Math.round(255 * (1 + t)) + "," + Math.round(255 * (1 + t)) + ",255)") : "#000";
    s += '<rect x="' + c * cw + '" y="' + r * ch + '" width="' + cw + '" height="' + ch + '" fill="' + col + '"><title>' + fmt(v) + "</title></rect>";
  }
  return s + "</svg>";
}
function arrayHTML(a) {
  let s = '<div class="arr" data-shape="' + a.shape.join(",") + '">';
  s += '<div class="meta">shape ' + shapeText(a) + " " + a.dtype + "</div>";
  if (a.v) {
    const cols = a.shape.length ? a.shape[a.shape.length - 1] : 1;
    s += "<table>";
    for (let r = 0; r * Math.max(cols, 1) < Math.max(a.v.length, 1) && a.v.length; r++) {
      s += "<tr>" + a.v.slice(r * cols, (r + 1) * cols).map(v => '<td><span class="num">' + fmt(v) + "</span></td>").join("") + "</tr>";
    }
    s += "</table>";
  } else {
    const st = a.stats;
    s += '<table class="stats">' + ["min", "max", "mean", "std", "norm"].filter(k => st[k] !== undefined)
      .map(k => '<tr><td>' + k + '</td><td><span class="stat" data-k="' + k + '">' + fmt(st[k]) + "</span></td></tr>").join("");
    if (st.nonfinite) s += "<tr><td>non-finite</td><td>" + st.nonfinite + "</td></tr>";
    s += "</table>" + heatSVG(a.heat, 160) + '<div class="meta">heat-map: block means, red &gt; 0 &gt; blue</div>';
  }
  return s + "</div>";
}
// gradient each node holds after `p` steps: [array, how] or null
const partial = D.nodes.map(() => []);
D.steps.forEach((st, s) => st.sends.forEach(snd => { if (snd.grad) partial[snd.to].push([s, snd.sum || snd.grad, snd.k, snd.n]); }));
function gradAt(i, p) {
  const n = D.nodes[i];
  if (n.step !== null && n.step < p) return [D.steps[n.step].grad, "complete"];
  let got = null;
  for (const e of partial[i]) if (e[0] < p) got = e;
  return got ? [got[1], "partial: " + got[2] + " of " + got[3] + " contributions"] : null;
}
// ---- drawing ----
const svg = document.getElementById("graph");
const root = document.createElementNS(SVGNS, "g");
svg.appendChild(root);
svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>';
svg.appendChild(root);
function el(tag, attrs, parent) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  (parent || root).appendChild(e);
  return e;
}
const W = D.nodeW, H = D.nodeH;
for (const c of D.clusters) {
  const inner = D.clusters.filter(d => d !== c && d.members.length < c.members.length && d.members.every(i => c.members.includes(i))).length;
  const pad = 8 + 10 * inner;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const i of c.members) { const n = D.nodes[i]; x0 = Math.min(x0, n.x - W / 2); x1 = Math.max(x1, n.x + W / 2); y0 = Math.min(y0, n.y - H / 2); y1 = Math.max(y1, n.y + H / 2); }
  el("rect", {class: "cluster", x: x0 - pad, y: y0 - pad - 8, width: x1 - x0 + 2 * pad, height: y1 - y0 + 2 * pad + 8, rx: 8});
  const t = el("text", {class: "cluster-label", x: x0 - pad + 4, y: y0 - pad + 3}); t.textContent = c.name;
}
const edgeEls = D.edges.map(e => el("path", {class: "edge", d: e.d, "marker-end": "url(#arrow)"}));
const nodeEls = [], gradText = [];
function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }
D.nodes.forEach((n, i) => {
  const g = el("g", {class: "node " + n.kind + (n.root ? " root" : ""), transform: "translate(" + (n.x - W / 2) + "," + (n.y - H / 2) + ")"});
  g.dataset.id = i;
  el("rect", {width: W, height: H, rx: 7}, g);
  const title = (n.name || (n.step === null ? "" : "#" + (n.step + 1))) + (n.comp.length ? " \u00b7 " + n.comp[n.comp.length - 1] : "");
  const lines = [[title || argsText(n), "title"], [title ? argsText(n) : "", ""],
                 [shapeText(n.value) + " " + n.value.dtype, ""], ["value " + shortText(n.value), ""], ["", "grad"]];
  let y = 14;
  for (const [txt, cls] of lines) {
    const t = el("text", {x: 6, y: y, class: cls}, g);
    t.textContent = clip(txt, 30);
    if (cls === "grad") gradText[i] = t;
    if (txt || cls === "grad") y += 14;
  }
  g.addEventListener("click", ev => { ev.stopPropagation(); selected = i; render(); });
  nodeEls.push(g);
});
// ---- pan and zoom ----
let vb = {x: 0, y: 0, w: D.width, h: D.height};
function applyVB() { svg.setAttribute("viewBox", vb.x + " " + vb.y + " " + vb.w + " " + vb.h); }
function fit() {
  const r = svg.getBoundingClientRect(), aspect = (r.width || 800) / (r.height || 600);
  let w = D.width, h = D.height;
  if (w / h < aspect) w = h * aspect; else h = w / aspect;
  vb = {x: (D.width - w) / 2, y: (D.height - h) / 2, w: w, h: h};
  applyVB();
}
svg.addEventListener("wheel", ev => {
  ev.preventDefault();
  const r = svg.getBoundingClientRect(), f = ev.deltaY > 0 ? 1.15 : 1 / 1.15;
  const mx = vb.x + (ev.clientX - r.left) / r.width * vb.w, my = vb.y + (ev.clientY - r.top) / r.height * vb.h;
  vb = {x: mx - (mx - vb.x) * f, y: my - (my - vb.y) * f, w: vb.w * f, h: vb.h * f};
  applyVB();
}, {passive: false});
let drag = null;
svg.addEventListener("mousedown", ev => { drag = {x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y}; });
window.addEventListener("mouseup", () => { drag = null; });
window.addEventListener("mousemove", ev => {
  if (!drag) return;
  const r = svg.getBoundingClientRect();
  vb.x = drag.vx - (ev.clientX - drag.x) / r.width * vb.w;
  vb.y = drag.vy - (ev.clientY - drag.y) / r.height * vb.h;
  applyVB();
});
function reveal(i) {
  const n = D.nodes[i];
  if (n.x - W / 2 < vb.x || n.x + W / 2 > vb.x + vb.w || n.y - H / 2 < vb.y || n.y + H / 2 > vb.y + vb.h) {
    vb.x = n.x - vb.w / 2; vb.y = n.y - vb.h / 2; applyVB();
  }
}
// ---- the step panel ----
let pos = 0, selected = null;
function stepHTML(p) {
  if (p === 0) {
    const r = D.nodes[D.steps.length ? D.steps[0].node : 0];
    return "<h2>Before backward</h2><p>The graph has " + D.nodes.length + " tensors. Backward visits the " + N +
      " tensors that need a gradient, newest first, so that every op that used a tensor has sent its share before the tensor passes a gradient on.</p>" +
      "<p>Step 1 starts at <b>" + esc(label(r.id)) + "</b> with dL/dL = 1 (or the gradient you passed). Press &#x2192;.</p>";
  }
  const st = D.steps[p - 1], n = D.nodes[st.node];
  let s = '<h2 class="visit">Step ' + p + ": visiting <b>" + esc(label(st.node)) + "</b></h2>";
  s += '<div class="meta">' + esc(argsText(n)) + (n.comp.length ? " \u00b7 inside " + esc(n.comp.join(" \u203a ")) : "") + "</div>";
  s += '<h3>Upstream gradient arriving: dL/d(' + esc(label(st.node)) + ")</h3>";
  s += '<div class="upstream">' + arrayHTML(st.grad) + "</div>";
  if (st.leaf) {
    s += "<p>" + (st.accumulates ? "A leaf: this gradient is added into its <code>.grad</code>." : "A tensor that called retain_grad(): its <code>.grad</code> keeps this gradient.") + "</p>";
    return s;
  }
  if (n.formula) s += '<h3>Derivative (from the op\u2019s docstring)</h3><div class="formula">' + esc(n.formula) + "</div>";
  s += "<h3>Sends to its inputs</h3>";
  for (const snd of st.sends) {
    const who = "input " + snd.input + " \u2192 " + esc(label(snd.to));
    if (!snd.grad) { s += '<div class="send none" data-to="' + snd.to + '">' + who + ": nothing (needs no gradient)</div>"; continue; }
    s += '<div class="send" data-to="' + snd.to + '"><div>' + who + (snd.n > 1 ? ' <span class="meta">(contribution ' + snd.k + " of " + snd.n + ")</span>" : "") + "</div>";
    s += '<div class="sent">' + arrayHTML(snd.grad) + "</div>";
    if (snd.sum) s += '<div class="runsum"><div class="meta">running sum of dL/d(' + esc(label(snd.to)) + ") so far (" + snd.k + " of " + snd.n + ")</div>" + arrayHTML(snd.sum) + "</div>";
    s += "</div>";
  }
  return s;
}
function inspectHTML(i, p) {
  const n = D.nodes[i];
  let s = "<h2>Node " + esc(label(i)) + "</h2><div class=\"meta\">" + esc(argsText(n)) + (n.comp.length ? " \u00b7 inside " + esc(n.comp.join(" \u203a ")) : "") +
    (n.step === null ? " \u00b7 not visited by backward (needs no gradient)" : " \u00b7 visited at step " + (n.step + 1)) + "</div>";
  if (n.formula) s += '<div class="formula">' + esc(n.formula) + "</div>";
  s += "<h3>Value</h3>" + arrayHTML(n.value);
  const g = gradAt(i, p);
  s += "<h3>Gradient dL/d(" + esc(label(i)) + ")" + (g ? " \u2014 " + g[1] : "") + "</h3>" + (g ? arrayHTML(g[0]) : '<div class="meta">not received yet</div>');
  return s;
}
function render() {
  pos = Math.max(0, Math.min(N, pos));
  const cur = pos > 0 ? D.steps[pos - 1] : null;
  const targets = new Set(cur ? cur.sends.filter(x => x.grad).map(x => x.to) : []);
  D.nodes.forEach((n, i) => {
    const cl = nodeEls[i].classList;
    const g = gradAt(i, pos);
    cl.toggle("current", !!cur && cur.node === i);
    cl.toggle("done", n.step !== null && n.step < pos - 1);
    cl.toggle("target", targets.has(i));
    cl.toggle("partial", !!g && g[1] !== "complete");
    cl.toggle("selected", selected === i);
    gradText[i].textContent = g ? clip("grad " + shortText(g[0]), 30) : "";
  });
  D.edges.forEach((e, k) => edgeEls[k].classList.toggle("hot", !!cur && e.to === cur.node));
  document.getElementById("counter").textContent = "step " + pos + " / " + N;
  document.getElementById("step").innerHTML = stepHTML(pos);
  const shown = selected !== null ? selected : (cur ? cur.node : null);
  document.getElementById("inspect").innerHTML = shown === null ? "" : inspectHTML(shown, pos);
  if (cur) reveal(cur.node);
}
function go(p) { pos = p; selected = null; render(); }
document.getElementById("first").onclick = () => go(0);
document.getElementById("prev").onclick = () => go(pos - 1);
document.getElementById("next").onclick = () => go(pos + 1);
document.getElementById("last").onclick = () => go(N);
document.getElementById("fit").onclick = fit;
svg.addEventListener("click", () => { selected = null; render(); });
document.addEventListener("keydown", ev => {
  if (ev.key === "ArrowRight" || ev.key === "ArrowDown") { go(pos + 1); ev.preventDefault(); }
  else if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") { go(pos - 1); ev.preventDefault(); }
  else if (ev.key === "Home") go(0);
  else if (ev.key === "End") go(N);
});
fit();
const start = /[?&]step=(\d+)/.exec(location.search);
if (start) pos = Number(start[1]);
render();
// ---- self-test: step through everything and write down what was displayed ----
function shownArray(box) {
  if (!box) return null;
  const a = box.querySelector(".arr");
  const out = {shape: a.dataset.shape};
  const nums = a.querySelectorAll(".num");
  if (nums.length || !a.querySelector(".stats")) out.values = Array.from(nums, x => x.textContent);
  else { out.stats = {}; a.querySelectorAll(".stat").forEach(x => { out.stats[x.dataset.k] = x.textContent; }); }
  return out;
}
if (/[?&]selftest\b/.test(location.search)) {
  const report = {steps: [], errors: window.__errors};
  try {
    go(0);
    for (let p = 1; p <= N; p++) {
      document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight"}));
      const panel = document.getElementById("step");
      const st = D.steps[p - 1];
      const rec = {counter: document.getElementById("counter").textContent,
                   visit: panel.querySelector("h2").textContent, node: st.node,
                   current: nodeEls.map((g, i) => g.classList.contains("current") ? i : -1).filter(i => i >= 0),
                   upstream: shownArray(panel.querySelector(".upstream")), sends: []};
      panel.querySelectorAll(".send").forEach(d => rec.sends.push({to: Number(d.dataset.to),
        grad: shownArray(d.querySelector(".sent")), sum: shownArray(d.querySelector(".runsum"))}));
      report.steps.push(rec);
    }
    document.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowLeft"}));
    report.afterBack = document.getElementById("counter").textContent;
    document.getElementById("first").click();
    report.afterFirst = document.getElementById("counter").textContent;
  } catch (e) { window.__errors.push(String(e && e.stack || e)); }
  report.errors = window.__errors;
  const out = document.getElementById("selftest");
  out.textContent = JSON.stringify(report);
  out.hidden = false;
}
const errs = document.getElementById("errors");
errs.textContent = JSON.stringify(window.__errors);
window.addEventListener("error", () => { errs.textContent = JSON.stringify(window.__errors); });
})();
"""
