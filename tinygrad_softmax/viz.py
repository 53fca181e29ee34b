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
* an op ellipse: the ``Function``'s class name (``MatMul``, ``Add``, your own op's name);
* with ``show_values=True`` each tensor's values, and with ``show_grads=True`` the ``.grad`` of
  every tensor that has one (leaves, and non-leaves that called ``retain_grad()``).

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

from .tensor import Function, Tensor

__all__ = ["to_dot", "draw"]

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


class _Graph:
    """The tensors and ops reachable from a root, in a fixed (depth-first) order."""

    def __init__(self, root: Tensor) -> None:
        self.tensors: list[Tensor] = []
        self.ops: list[Function] = []
        self.consumers: dict[int, list[Function]] = {}  # id(tensor) -> ops that read it
        self.output_of: dict[int, Tensor] = {}  # id(op) -> the tensor it produced
        seen: set[int] = set()
        stack = [root]
        while stack:
            t = stack.pop()
            if id(t) in seen:
                continue
            seen.add(id(t))
            self.tensors.append(t)
            ctx = t.grad_fn
            if ctx is None:
                continue
            if ctx._freed:
                raise RuntimeError(
                    f"cannot draw the graph: the graph below {ctx.name} was freed by backward(); "
                    "draw before backward, or call backward(retain_graph=True) to keep it")
            self.ops.append(ctx)
            self.output_of[id(ctx)] = t
            for p in ctx.parents:
                self.consumers.setdefault(id(p), []).append(ctx)
            stack.extend(reversed(ctx.parents))  # reversed: input 0 is visited first

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


def to_dot(tensor: Tensor, *, show_values: bool = False, show_grads: bool = False,
           max_label: int = 40, collapse_chains: int = 8,
           names: Mapping[str, Tensor] | None = None, rankdir: str = "TB") -> str:
    """Graphviz DOT source for the graph that produced ``tensor``.

    One node per tensor (box: name, shape, dtype, ``leaf, requires_grad`` or ``constant``) and
    one per op (ellipse: the op's name); edges go the way data flows, input → op → output.

    ``show_values`` adds each tensor's values and ``show_grads`` each tensor's ``.grad`` (read
    now: call ``backward(retain_graph=True)`` first, since a plain backward frees the graph);
    printed arrays are cut to ``max_label`` characters. ``collapse_chains=k`` (k ≥ 2) draws
    every run of k or more identical ops, each feeding only the next, as one ``Op × n`` node
    (0 disables). ``names`` maps labels to tensors (e.g. ``{"W": W, "b": b}``); ``rankdir`` is
    Graphviz's layout direction (``"TB"`` top to bottom, ``"LR"`` left to right).

    Raises ``RuntimeError`` if backward already freed the graph.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dot needs a Tensor, got {type(tensor).__name__}")
    if max_label < 4:
        raise ValueError(f"max_label must be at least 4 characters, got {max_label}")
    label_of = {id(t): name for name, t in (names or {}).items()}
    graph = _Graph(tensor)

    # Collapsed chains: the ops of a run share one node; the tensors between them, and
    # constants read only inside the run, are hidden.
    op_node: dict[int, str] = {}
    collapsed: list[tuple[str, list[Function]]] = []
    hidden: set[int] = set()
    for k, run in enumerate(graph.chains(collapse_chains, tensor)):
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
        if show_grads and t.grad is not None:
            parts.append("grad " + _array_text(t.grad.data, max_label))
        extra = ", peripheries=2" if t is tensor else ""
        lines.append(f'  {tensor_node[id(t)]} [shape=box, style="rounded,filled", fillcolor="{fill}", '
                     f'label="{_escape(chr(10).join(parts))}"{extra}];')
    for op in graph.ops:
        if op_node[id(op)].startswith("op"):
            lines.append(f'  {op_node[id(op)]} [shape=ellipse, label="{_escape(op.name)}"];')
    for node, run in collapsed:
        label = f"{run[0].name} × {len(run)}\n({len(run) - 1} intermediate tensors hidden)"
        lines.append(f'  {node} [shape=ellipse, style=bold, label="{_escape(label)}"];')

    edges: list[tuple[str, str]] = []
    for op in graph.ops:
        node = op_node[id(op)]
        for p in op.parents:
            if id(p) not in hidden:
                edges.append((tensor_node[id(p)], node))  # input tensor -> op
        out = graph.output_of[id(op)]
        if id(out) not in hidden:
            edges.append((node, tensor_node[id(out)]))  # op -> output tensor
    done: set[tuple[str, str]] = set()
    for a, b in edges:  # x * x draws two arrows x -> Mul; a collapsed chain gets each input once
        if b.startswith("chain"):
            if (a, b) in done:
                continue
            done.add((a, b))
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
