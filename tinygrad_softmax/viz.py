"""Drawing the graph behind a tensor, as Graphviz DOT source.

``to_dot(y)`` walks the graph that produced ``y`` (the same links ``backward`` follows:
``y.grad_fn.parents``) and describes it in the DOT language: one box per tensor, one
ellipse per operation, and arrows in the direction data flows, input tensor → op → output
tensor. ``draw(y, "graph.svg")`` hands that text to Graphviz's ``dot`` program.

What a picture shows:

* a tensor box: its name (when you pass ``names=``), shape and dtype; leaves are marked
  ``leaf, requires_grad`` (a parameter: backward fills its ``.grad``, drawn in green) or
  ``constant`` (data that receives no gradient, drawn in grey); the tensor you asked about is
  drawn with a double border;
* an op ellipse: the ``Function``'s class name (``MatMul``, ``Add``, your own op's name) and
  the arguments it was applied with, when not left at their defaults (``Sum`` / ``axis=1,
  keepdims=True``; ``GetItem`` / ``index=[0, 1:]``; ``Pow`` / ``exponent=2``);
* a composite: the ops made inside one call of a function marked with ``tensor.composite``
  (``F.cross_entropy``, ``F.log_softmax``, ``F.logsumexp``, ``F.softmax``, ``Tensor.mean``, or
  your own) are drawn as ONE ellipse with the function's name (``composites="collapse"``, the
  default), as their primitive ops inside a labelled box (``"cluster"``), or as plain
  primitives (``"none"``);
* with ``show_values=True`` each tensor's values, and with ``show_grads=True`` the ``.grad`` of
  every tensor that has one (leaves, and non-leaves that called ``retain_grad()``);
  ``show_grads="all"`` shows the gradient of EVERY tensor: ``to_dot`` runs a traced backward
  itself (``retain_graph=True``; the ``.grad`` attributes are restored afterwards), so no
  ``retain_grad()`` calls are needed.

Large graphs stay readable in two ways (both on by default):

* **labels are capped**: a printed array is cut to ``max_label`` characters (``…`` marks the cut);
* **long chains of identical ops are collapsed**: ``collapse_chains`` (default 8) or more ops of
  the same type in a row, where each one's output feeds only the next, become one ellipse
  ``Add × 1000``; the tensors inside the chain, and constants used only there, are hidden.
  ``collapse_chains=0`` turns this off.

Gradients and freed graphs: a plain ``backward()`` frees the graph as it goes, so after it
there is nothing left to walk (``to_dot`` raises a ``RuntimeError`` saying so). To draw
gradients, call ``loss.backward(retain_graph=True)`` and then ``to_dot(loss, show_grads=True)``:
``show_grads`` reads the ``.grad`` attribute of each tensor at the time you call ``to_dot``.

>>> from tinygrad_softmax import Tensor
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> print(to_dot((x * x).sum()).splitlines()[0])
digraph backprop {
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .tensor import Function, Tensor, composite
from .trace import op_arguments, traced_backward

__all__ = ["to_dot", "draw", "composite"]

_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def _escape(text: str) -> str:
    """Quote ``text`` for a DOT string: backslashes and quotes escaped, newlines as ``\\n``."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _cap(text: str, max_label: int) -> str:
    """Cut ``text`` to at most ``max_label`` characters, marking the cut with ``…``."""
    text = " ".join(text.split())  # one line: array2string wraps long rows
    return text if len(text) <= max_label else text[: max(max_label - 1, 0)] + "…"


def _array_text(a: np.ndarray, max_label: int) -> str:
    with np.printoptions(precision=4, threshold=12, edgeitems=2, suppress=True):
        return _cap(np.array2string(np.asarray(a), separator=", "), max_label)


def reachable(root: Tensor, limit: int | None = None) -> tuple[list[Tensor], dict[int, Function]] | None:
    """The tensors reachable from ``root`` (root first, then depth first, input 0 first) and the
    op that made each non-leaf (by ``id`` of the tensor); None if there are more than ``limit``
    tensors. A RuntimeError if backward has freed part of the graph. Drawings and the explorer
    both walk the graph with it."""
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
            raise RuntimeError(f"cannot draw or show the graph: the graph below {ctx.name} was freed by "
                               "backward(); build it again, or call backward(retain_graph=True) to keep it")
        op_of[id(t)] = ctx
        stack.extend(reversed(ctx.parents))  # reversed: input 0 is visited first
    return tensors, op_of


class _Graph:
    """The tensors and ops reachable from a root, in a fixed (depth-first) order."""

    def __init__(self, root: Tensor) -> None:
        walked = reachable(root)
        assert walked is not None  # (no limit)
        self.tensors, op_of = walked
        self.ops: list[Function] = [op_of[id(t)] for t in self.tensors if id(t) in op_of]
        self.output_of: dict[int, Tensor] = {id(op_of[id(t)]): t for t in self.tensors if id(t) in op_of}
        self.consumers: dict[int, list[Function]] = {}  # id(tensor) -> ops that read it
        for op in self.ops:
            for p in op.parents:
                self.consumers.setdefault(id(p), []).append(op)

    def chains(self, min_length: int, root: Tensor) -> list[list[Function]]:
        """Maximal runs of same-type ops o1 → o2 → … where each output feeds only the next op
        (listed from the op nearest the inputs to the op nearest the root)."""
        if min_length < 2:
            return []

        def next_op(op: Function) -> Function | None:
            out = self.output_of[id(op)]
            users = self.consumers.get(id(out), [])
            if out is root or len(users) != 1 or users[0].name != op.name:
                return None
            return users[0]

        has_previous = {id(nxt) for op in self.ops if (nxt := next_op(op)) is not None}
        runs = []
        for op in self.ops:
            if id(op) in has_previous:
                continue  # not the start of a run
            run = [op]
            while (nxt := next_op(run[-1])) is not None:
                run.append(nxt)
            if len(run) >= min_length:
                runs.append(run)
        return runs


def _all_grads(tensor: Tensor, gradient: Any) -> dict[int, np.ndarray]:
    """The gradient of every tensor of the graph: a traced backward (graph kept, .grad restored)."""
    graph = _Graph(tensor)
    saved = [(t, t.grad) for t in graph.tensors]
    for t in graph.tensors:  # (else backward would add into the arrays of the .grad put back below)
        t.grad = None
    try:
        trace = traced_backward(tensor, gradient, retain_graph=True)
    except RuntimeError as e:
        raise ValueError(f"show_grads='all' runs backward from this tensor: {e}") from None
    finally:
        for t, g in saved:
            t.grad = g
    return {id(r.tensor): r.grad for r in trace}


def _regions(graph: _Graph) -> list[tuple[str, int, list[Tensor]]]:
    """Composite calls (``tensor.composite``): ``(name, start, member tensors)``, outermost first."""
    from .explore import composite_paths

    op_of = {id(graph.output_of[id(op)]): op for op in graph.ops}
    members: dict[tuple[str, int], list[Tensor]] = {}
    paths = composite_paths(graph.tensors, op_of)
    for t in graph.tensors:
        for call in paths.get(id(t), ()):
            members.setdefault(call, []).append(t)
    return [(name, start, ts) for (name, start), ts in sorted(members.items(), key=lambda kv: kv[0][1])]


def to_dot(tensor: Tensor, *, show_values: bool = False, show_grads: bool | str = False,
           max_label: int = 40, collapse_chains: int = 8,
           names: Mapping[str, Tensor] | None = None, rankdir: str = "TB",
           composites: str = "collapse", gradient: Any = None) -> str:
    """Graphviz DOT source for the graph that produced ``tensor``.

    One node per tensor (box: name, shape, dtype, ``leaf, requires_grad`` or ``constant``) and
    one per op (ellipse: the op's name); edges go the way data flows, input → op → output.

    ``show_values`` adds each tensor's values and ``show_grads`` each tensor's ``.grad`` (read
    now: call ``backward(retain_graph=True)`` first, since a plain backward frees the graph);
    ``show_grads="all"`` instead runs a traced backward of ``tensor`` (``gradient`` as in
    ``backward``; ``.grad`` attributes are left as they were) and shows every tensor's gradient,
    intermediates included. Ops show their non-default arguments; ``composites`` draws the ops
    of one call of a marked function (``F.cross_entropy`` …) as one node with its name
    (``"collapse"``), inside a labelled box (``"cluster"``), or not at all (``"none"``).
    Printed arrays are cut to ``max_label`` characters. ``collapse_chains=k`` (k ≥ 2) draws
    every run of k or more identical ops, each feeding only the next, as one ``Op × n`` node
    (0 disables). ``names`` maps labels to tensors (e.g. ``{"W": W, "b": b}``); ``rankdir`` is
    Graphviz's layout direction (``"TB"`` top to bottom, ``"LR"`` left to right).

    Raises ``RuntimeError`` if backward already freed the graph.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dot needs a Tensor, got {type(tensor).__name__}")
    if max_label < 4:
        raise ValueError(f"max_label must be at least 4 characters, got {max_label}")
    if composites not in ("collapse", "cluster", "none"):
        raise ValueError(f"composites must be 'collapse', 'cluster' or 'none', got {composites!r}")
    if show_grads not in (True, False, "all"):
        raise ValueError(f"show_grads must be True, False or 'all', got {show_grads!r}")
    label_of = {id(t): name for name, t in (names or {}).items()}
    graph = _Graph(tensor)
    grads = _all_grads(tensor, gradient) if show_grads == "all" else None
    regions = _regions(graph) if composites != "none" else []

    # Collapsed composites: every op of an outermost call becomes one node; the tensors made
    # inside are hidden unless something outside the call reads them (or it is the root).
    op_node: dict[int, str] = {}
    hidden: set[int] = set()
    member_of: dict[int, str] = {}  # id(tensor) -> its collapsed composite's node
    comp_nodes: list[tuple[str, str, int]] = []  # (node id, name, number of ops)
    if composites == "collapse":
        claimed: set[int] = set()
        for k, (name, _, members) in enumerate(regions):
            if any(id(t) in claimed for t in members):
                continue  # nested in an outer call, which is collapsed as a whole
            ids = {id(t) for t in members}
            claimed |= ids
            node, n_ops = f"comp{k}", 0
            for t in members:
                member_of[id(t)] = node
                ctx = t.grad_fn
                if ctx is not None and id(ctx) in graph.output_of:
                    op_node[id(ctx)] = node
                    n_ops += 1
                outside = [c for c in graph.consumers.get(id(t), []) if id(graph.output_of[id(c)]) not in ids]
                parameter = t.grad_fn is None and t.requires_grad
                if t is not tensor and not outside and id(t) not in label_of and not parameter:
                    hidden.add(id(t))
            comp_nodes.append((node, name, n_ops))

    # Collapsed chains: the ops of a run share one node; the tensors between them, and
    # constants read only inside the run, are hidden.
    collapsed: list[tuple[str, list[Function]]] = []
    for k, run in enumerate(graph.chains(collapse_chains, tensor)):
        if any(id(op) in op_node for op in run):
            continue  # already inside a collapsed composite
        node = f"chain{k}"
        collapsed.append((node, run))
        members = {id(op) for op in run}
        for op in run:
            op_node[id(op)] = node
        for op in run[:-1]:
            hidden.add(id(graph.output_of[id(op)]))
        for op in run:
            for p in op.parents:
                only_here = all(id(c) in members for c in graph.consumers[id(p)])
                if p.grad_fn is None and not p.requires_grad and only_here and id(p) not in label_of:
                    hidden.add(id(p))

    tensor_node = {id(t): f"t{i}" for i, t in enumerate(graph.tensors)}
    for i, op in enumerate(graph.ops):
        op_node.setdefault(id(op), f"op{i}")

    lines = ["digraph backprop {", f"  rankdir={rankdir};",
             '  node [fontname="Helvetica", fontsize=10];', '  edge [color="#555555"];']
    for t in graph.tensors:
        if id(t) in hidden:
            continue
        parts = []
        if id(t) in label_of:
            parts.append(label_of[id(t)])
        parts.append(f"{tuple(t.shape)} {t.dtype}")
        if t.grad_fn is None:
            parts.append("leaf, requires_grad" if t.requires_grad else "constant")
            fill = "#d9f2d9" if t.requires_grad else "#eeeeee"
        else:
            fill = "#dde8f7"
        if show_values:
            parts.append("value " + _array_text(t.data, max_label))
        if grads is not None:
            if id(t) in grads:
                parts.append("grad " + _array_text(grads[id(t)], max_label))
        elif show_grads and t.grad is not None:
            parts.append("grad " + _array_text(t.grad.data, max_label))
        extra = ", peripheries=2" if t is tensor else ""
        lines.append(f'  {tensor_node[id(t)]} [shape=box, style="rounded,filled", fillcolor="{fill}", '
                     f'label="{_escape(chr(10).join(parts))}"{extra}];')
    for op in graph.ops:
        if op_node[id(op)].startswith("op"):
            args = ", ".join(f"{k}={v}" for k, v in op_arguments(op).items())
            label = op.name + ("\n" + _cap(args, max_label) if args else "")
            lines.append(f'  {op_node[id(op)]} [shape=ellipse, label="{_escape(label)}"];')
    for node, name, n_ops in comp_nodes:
        label = f"{name}\n({n_ops} ops)"
        lines.append(f'  {node} [shape=ellipse, style="filled,bold", fillcolor="#efe6ff", '
                     f'label="{_escape(label)}"];')
    for node, run in collapsed:
        label = f"{run[0].name} × {len(run)}\n({len(run) - 1} intermediate tensors hidden)"
        lines.append(f'  {node} [shape=ellipse, style=bold, label="{_escape(label)}"];')

    edges: list[tuple[str, str]] = []
    for op in graph.ops:
        node = op_node[id(op)]
        for p in op.parents:
            if id(p) not in hidden and member_of.get(id(p)) != node:
                edges.append((tensor_node[id(p)], node))  # input tensor -> op
        out = graph.output_of[id(op)]
        if id(out) not in hidden:
            edges.append((node, tensor_node[id(out)]))  # op -> output tensor
    done: set[tuple[str, str]] = set()
    for a, b in edges:  # x * x draws two arrows x -> Mul; a collapsed chain gets each input once
        if a == b:
            continue  # inside a collapsed composite
        if b.startswith(("chain", "comp")) or a.startswith("comp"):
            if (a, b) in done:
                continue
            done.add((a, b))
        lines.append(f"  {a} -> {b};")
    if composites == "cluster":
        lines.extend(_clusters(regions, graph, tensor_node, op_node, hidden))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _clusters(regions: list[tuple[str, int, list[Tensor]]], graph: _Graph, tensor_node: dict[int, str],
              op_node: dict[int, str], hidden: set[int]) -> list[str]:
    """``subgraph cluster_k`` blocks, nested as the calls were, around each call's nodes."""
    sets = [{id(t) for t in members} for _, _, members in regions]
    parent: list[int | None] = []
    for i, s in enumerate(sets):  # the smallest strictly larger call that contains this one
        outer = [j for j in range(len(sets)) if j != i and s < sets[j]]
        parent.append(min(outer, key=lambda j: len(sets[j])) if outer else None)

    def block(i: int, indent: str) -> list[str]:
        name, _, members = regions[i]
        out = [f'{indent}subgraph cluster_{i} {{',
               f'{indent}  label="{_escape(name)}"; style="dashed,rounded"; color="#8a6cc7"; '
               'fontname="Helvetica"; fontsize=10;']
        for j in range(len(regions)):
            if parent[j] == i:
                out.extend(block(j, indent + "  "))
        inner = set().union(*[sets[j] for j in range(len(regions)) if parent[j] == i])
        ids = []
        for t in members:
            if id(t) in inner:
                continue
            if id(t) not in hidden:
                ids.append(tensor_node[id(t)])
            if t.grad_fn is not None and id(t.grad_fn) in op_node:
                ids.append(op_node[id(t.grad_fn)])
        if ids:
            out.append(f"{indent}  " + " ".join(f"{n};" for n in ids))
        out.append(f"{indent}}}")
        return out

    lines: list[str] = []
    for i in range(len(regions)):
        if parent[i] is None:
            lines.extend(block(i, "  "))
    return lines


def draw(tensor: Tensor, path: str | Path, *, timeout: float = 60.0, **kwargs: Any) -> Path:
    """Draw the graph of ``tensor`` to ``path`` (``.svg``, ``.png``, ``.pdf`` or ``.dot``).

    Renders with Graphviz's ``dot`` program (run as a subprocess, stopped after ``timeout``
    seconds). When ``dot`` is not installed, writes the DOT source next to ``path`` (suffix
    ``.dot``), warns with the command that renders it, and returns that file's path.
    ``kwargs`` go to ``to_dot``. Returns the path written.
    """
    path = Path(path)
    source = to_dot(tensor, **kwargs)
    if path.suffix == ".dot":
        path.write_text(source, encoding="utf-8")
        return path
    if path.suffix not in _FORMATS:
        raise ValueError(f"draw() writes .svg, .png, .pdf or .dot files, got {path.name!r}")
    dot = shutil.which("dot")
    if dot is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(source, encoding="utf-8")
        warnings.warn(f"Graphviz's `dot` program was not found, so {dot_path} was written instead of "
                      f"{path}; install Graphviz and run: dot -T{_FORMATS[path.suffix]} {dot_path} -o {path}",
                      stacklevel=2)
        return dot_path
    proc = subprocess.run([dot, f"-T{_FORMATS[path.suffix]}", "-o", str(path)], input=source.encode(),
                          capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"dot failed (exit code {proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace').strip()}")
    return path
