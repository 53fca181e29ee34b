"""Watching backward happen, one node at a time.

Inside ``with tracing() as trace:`` every ``backward()`` is recorded: for each tensor
the pass visits, in the order it visits them (reverse topological order: a tensor comes only
after every op that consumed it has sent its gradient), one ``TraceRecord`` with

* the op that produced the tensor (``"leaf"`` for a tensor made by the user), its shape;
* the incoming gradient dL/d(tensor) — the sum of everything its consumers sent — kept in
  full as an array, plus its norm and first few values for the table;
* what the op sends to each of its inputs (``None`` for an input that needs no gradient);
* the op's arguments (``axis=1``, ``index=…``, ``exponent=2``) and its derivative as its
  docstring states it (``Backward: dL/da = g * b, …``), read while the op still holds them.

``traced_backward(loss)`` is the one-shot form: it runs ``loss.backward()`` inside
``tracing()`` and returns the trace. ``str(trace)`` (or ``trace.table()``) prints it as a
table; ``trace.records`` is the data. The trace is an engine observer (see ``hooks``),
registered on entering the ``with`` block and removed on leaving it, even after an error.

>>> from tinygrad_softmax import Tensor
>>> a = Tensor(1.0, requires_grad=True)
>>> b = a + a
>>> c = b + b
>>> with tracing(names={"a": a, "b": b, "c": c}) as trace:
...     c.backward()
>>> [(r.name, r.op, float(r.grad)) for r in trace]
[('c', 'Add', 1.0), ('b', 'Add', 2.0), ('a', 'leaf', 4.0)]
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .hooks import Observer, observe, op_params
from .tensor import Tensor

__all__ = ["TraceRecord", "BackwardTrace", "tracing", "traced_backward", "op_arguments",
           "derivative_formula"]

_SKIP_ATTRS = {"parents", "needs_input_grad"}


def _format_arg(v: Any, limit: int = 40) -> str:
    """A short text for one op argument: numbers and small tuples as Python writes them,
    arrays by their values when small, else by shape and dtype."""
    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, np.ndarray):
        text = (np.array2string(v, separator=", ", threshold=8, edgeitems=2) if v.size <= 8
                else f"array{tuple(v.shape)} {v.dtype}")
    elif isinstance(v, slice):
        text = ":".join("" if x is None else str(x) for x in (v.start, v.stop, v.step)).rstrip(":") or ":"
        text = text if ":" in text else text + ":"
    elif v is Ellipsis:
        text = "..."
    elif isinstance(v, tuple) and any(isinstance(x, (slice, np.ndarray, list)) or x is Ellipsis for x in v):
        text = "[" + ", ".join(_format_arg(x, limit) for x in v) + "]"
    elif v is None or isinstance(v, (bool, int, float, str, np.generic, np.dtype, tuple, list)):
        text = str(v) if isinstance(v, np.dtype) else repr(v.item() if isinstance(v, np.generic) else v)
    else:
        text = type(v).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_NONE = object()


def _defaults(fn: type) -> dict[str, Any]:
    """The default values of ``fn.forward``'s keyword arguments (``Sum``: axis=None, keepdims=False)."""
    try:
        sig = inspect.signature(fn.forward)
    except (TypeError, ValueError):
        return {}
    return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def _is_default(v: Any, default: Any) -> bool:
    """True when ``v`` is the default: arguments left at their default are not shown."""
    if v is default:
        return True
    simple = (bool, int, float, str, type(None))
    return isinstance(v, simple) and isinstance(default, simple) and type(v) is type(default) and v == default


def op_arguments(ctx: Any) -> dict[str, str]:
    """The arguments of an op, as short texts: the keyword arguments it was applied with
    (``axis``, ``keepdims``, ``index``, ``exponent`` …) except those left at ``forward``'s
    default, or, for an op applied without any, the
    simple values its ``forward`` stored on the context (a custom op's own settings)."""
    params = op_params(ctx)
    if params:
        defaults = _defaults(type(ctx))
        return {k: _format_arg(v) for k, v in params.items() if not _is_default(v, defaults.get(k, _NONE))}
    out = {}
    for k, v in ctx.__dict__.items():
        if k.startswith("_") or k in _SKIP_ATTRS:
            continue
        if v is None or isinstance(v, (bool, int, float, str, np.generic, tuple)) \
                or (isinstance(v, np.ndarray) and v.size <= 8):
            out[k] = _format_arg(v)
    return out


def derivative_formula(fn: Any) -> str:
    """The derivative an op's docstring states: the text from ``Backward:`` to the end of that
    paragraph (``""`` when the docstring has none). ``fn`` is a Function class or instance."""
    doc = (type(fn).__doc__ if not isinstance(fn, type) else fn.__doc__) or ""
    at = doc.find("Backward:")
    if at < 0:
        return ""
    para = doc[at:].split("\n\n")[0]
    return " ".join(para.split())


def _array(g: Any) -> np.ndarray:
    """A private copy of a gradient (an ndarray, or a Tensor under ``create_graph``)."""
    return np.array(g.data if isinstance(g, Tensor) else g)


def _summary(a: np.ndarray, n: int) -> str:
    """``‖a‖`` and the first ``n`` values, e.g. ``‖·‖=1.414 [1, -1]``."""
    flat = a.reshape(-1)
    values = ", ".join(f"{v:.4g}" for v in flat[:n]) + (", …" if flat.size > n else "")
    norm = float(np.linalg.norm(flat.astype(np.float64))) if flat.size else 0.0
    return f"‖·‖={norm:.4g} [{values}]"


@dataclass(eq=False)  # records hold arrays: compare by identity
class TraceRecord:
    """One step of backward: the tensor visited and the gradients in and out of it.

    ``grad`` is dL/d(tensor) as it arrived (a copy); ``input_grads[i]`` is what the op sent to
    its input ``i`` (``None`` if that input needs no gradient, and an empty tuple for a leaf);
    ``inputs`` are the op's input tensors. ``op`` is the op's name, or ``"leaf"``; ``args``
    its arguments as short texts (see ``op_arguments``) and ``formula`` the derivative its
    docstring states (see ``derivative_formula``).
    """

    step: int
    op: str
    tensor: Tensor
    shape: tuple[int, ...]
    grad: np.ndarray
    inputs: tuple[Tensor, ...] = ()
    input_grads: tuple[np.ndarray | None, ...] = ()
    name: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    formula: str = ""

    @property
    def is_leaf(self) -> bool:
        """True when the visited tensor is a leaf (its gradient goes into ``.grad``)."""
        return self.op == "leaf"

    @property
    def grad_norm(self) -> float:
        """The Euclidean norm of the incoming gradient."""
        return float(np.linalg.norm(self.grad.astype(np.float64).reshape(-1)))


@dataclass(eq=False)
class BackwardTrace(Observer):
    """The records of one or more backward passes, in visit order (``records``)."""

    records: list[TraceRecord] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # id(tensor) -> label
    values: int = 3  # how many gradient values the table prints per cell

    # ---- the observer interface (called by the engine; forward ops are not recorded) ------
    def backward(self, tensor: Tensor, grad: Any, input_grads: Any) -> None:
        """Record one visited tensor (called by ``Tensor.backward``)."""
        ctx: Any = tensor.grad_fn
        leaf = input_grads is None or ctx is None
        self.records.append(TraceRecord(
            step=len(self.records),
            op="leaf" if leaf else ctx.name,
            tensor=tensor,
            shape=tuple(tensor.shape),
            grad=_array(grad),
            inputs=() if leaf else tuple(ctx.parents),
            input_grads=() if leaf else tuple(None if g is None else _array(g) for g in input_grads),
            name=self.names.get(id(tensor)),
            args={} if leaf else op_arguments(ctx),  # read now: a plain backward clears the op next
            formula="" if leaf else derivative_formula(ctx),
        ))

    # ---- reading the trace ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[TraceRecord]:
        return iter(self.records)

    def __getitem__(self, i: int) -> TraceRecord:
        return self.records[i]

    def record_of(self, tensor: Tensor) -> TraceRecord:
        """The (last) record of ``tensor``; ``KeyError`` if backward did not visit it."""
        for r in reversed(self.records):
            if r.tensor is tensor:
                return r
        raise KeyError("this tensor was not visited by the traced backward pass")

    def _label(self, t: Tensor, step_of: dict[int, int]) -> str:
        if id(t) in self.names:
            return self.names[id(t)]
        return f"#{step_of[id(t)]}" if id(t) in step_of else "const"

    def table(self, values: int | None = None) -> str:
        """The trace as a text table, one row per visited tensor.

        Columns: step, node (its name or ``#step``), op, shape, the incoming gradient (norm and
        the first ``values`` entries) and, for an op, what it sends to each input (``→ #k``
        names the step at which that input is visited; ``const`` an input that gets nothing).
        """
        n = self.values if values is None else values
        step_of: dict[int, int] = {}
        for r in self.records:
            step_of.setdefault(id(r.tensor), r.step)
        rows = [("step", "node", "op", "shape", "incoming grad dL/d(node)", "sends to inputs")]
        for r in self.records:
            if r.is_leaf:
                sends = "accumulates into .grad" if r.tensor.is_leaf else "(retained .grad)"
            else:
                sends = "; ".join(
                    f"→ {self._label(p, step_of)}: " + ("nothing" if g is None else _summary(g, n))
                    for p, g in zip(r.inputs, r.input_grads))
            node = r.name if r.name is not None else f"#{r.step}"
            rows.append((str(r.step), node, r.op, str(r.shape), _summary(r.grad, n), sends))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = []
        for k, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[5])
            if k == 0:
                lines.append("-" * (sum(widths) + 2 * 5 + len(row[5])))
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter (one row per visited tensor, all of its columns)."""
        from .explore import trace_html
        return trace_html(self)


@contextmanager
def tracing(names: Mapping[str, Tensor] | None = None, values: int = 3) -> Iterator[BackwardTrace]:
    """Record every ``backward()`` run inside the block; yields the ``BackwardTrace``.

    ``names`` maps labels to tensors (``{"W": W, "loss": loss}``) so the table says ``W``
    instead of ``#7``; ``values`` is how many gradient entries each table cell shows.
    Works in plain mode and under ``create_graph=True`` (gradients are stored as arrays).
    """
    trace = BackwardTrace(names={id(t): name for name, t in (names or {}).items()}, values=values)
    with observe(trace):
        yield trace


def traced_backward(tensor: Tensor, gradient: Any = None, *, retain_graph: bool | None = None,
                    create_graph: bool = False, names: Mapping[str, Tensor] | None = None) -> BackwardTrace:
    """Run ``tensor.backward(gradient, retain_graph, create_graph)`` and return its trace.

    The one-shot form of ``with tracing(names) as t: tensor.backward(...)``; leaves'
    ``.grad`` are filled as by a plain ``backward()``.
    """
    with tracing(names=names) as trace:
        tensor.backward(gradient, retain_graph=retain_graph, create_graph=create_graph)
    return trace


def trace_backward(names: Mapping[str, Tensor] | None = None, values: int = 3) -> Any:
    """Deprecated: the old name of ``tracing`` (the context manager)."""
    warnings.warn("trace_backward() is now tracing()", DeprecationWarning, stacklevel=2)
    return tracing(names, values)


def backward_trace(tensor: Tensor, gradient: Any = None, *, retain_graph: bool | None = None,
                   create_graph: bool = False, names: Mapping[str, Tensor] | None = None) -> BackwardTrace:
    """Deprecated: the old name of ``traced_backward`` (the one-shot form)."""
    warnings.warn("backward_trace() is now traced_backward()", DeprecationWarning, stacklevel=2)
    return traced_backward(tensor, gradient, retain_graph=retain_graph, create_graph=create_graph,
                           names=names)
