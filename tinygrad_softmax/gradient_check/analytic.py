"""The analytic side of :func:`gradcheck`: Jacobian rows from ``backward()``, and which input a
failing backward concerns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._grad_mode import enable_grad
from ..tensor import GradientShapeError, Tensor
from .inputs import _as_output, _Inputs


def _leaves_behind(t: Tensor, leaves: list[Any]) -> list[int]:
    """Positions of the leaves that ``t`` was computed from."""
    ids = {id(x): i for i, x in enumerate(leaves) if isinstance(x, Tensor)}
    found, stack, seen = set(), [t], set()
    while stack:
        u = stack.pop()
        if id(u) in seen:
            continue
        seen.add(id(u))
        if id(u) in ids:
            found.add(ids[id(u)])
        if u.grad_fn is not None:
            stack.extend(p for p in u.grad_fn.parents if p.requires_grad)
    return sorted(found)


def _blame(err: Exception, out: Tensor, leaves: list[Any]) -> tuple[list[int] | None, str]:
    """Which inputs a backward error concerns, and a hint. For the engine's shape check, find the
    op and its input in the graph and follow it back to fn's inputs."""
    msg = f"backward raised {type(err).__name__}: {err}"
    if not isinstance(err, GradientShapeError):
        if "matmul" in str(err) and "mismatch" in str(err):
            msg += " - the shapes of a product in a backward formula do not fit (a transpose missing?)"
        return None, msg
    op, i, g_shape, x_shape = err.op, err.slot, tuple(err.got_shape), tuple(err.expected_shape)
    try:
        broadcast = np.broadcast_shapes(g_shape, x_shape) == g_shape
    except ValueError:
        broadcast = False
    hint = (" - a broadcast that was not reduced: sum the gradient back to the input's shape, e.g. "
            "ops.sum_to(grad, shape)" if broadcast else
            " - a backward must return one gradient of exactly its input's shape (a transpose or "
            "reshape missing?)")
    blamed: set[int] = set()
    for ctx in graph_nodes(out):  # (an op the failed walk already freed has no parents left)
        parents = ctx.parents
        if ctx.name == op and i < len(parents) and parents[i].shape == x_shape:
            blamed.update(_leaves_behind(parents[i], leaves))
    return (sorted(blamed) or None), msg + hint


@dataclass
class _Analytic:
    jacobians: dict[int, np.ndarray]           # slot position -> (m, n) float64
    out: Tensor
    errors: dict[int, str]                     # slot position -> problem (backward failed)
    unchecked: str | None = None                # backward failed for everything else
    problems: dict[int, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cause: BaseException | None = None           # the exception backward raised, if any


def _analytic(fn: Callable[..., Any], inp: _Inputs, *, rows: np.ndarray | None = None) -> _Analytic:
    """Jacobian rows from backward(): one backward pass per row of ``rows`` (the upstream gradients;
    default: the one-hot vectors, giving the full Jacobian). Also checks that a zero upstream
    gradient gives zero gradients and that the inputs were not modified in place."""
    leaves = inp.leaves()
    before = [np.array(x.data) if isinstance(x, Tensor) else None for x in leaves]
    with enable_grad():
        out = _as_output(inp.call(fn, leaves))
    m = out.size
    positions = [p for p, s in enumerate(inp.slots) if s.checked]
    if rows is None:
        rows = np.eye(m)
    jac = {p: np.zeros((len(rows), inp.slots[p].value.size)) for p in positions}
    res = _Analytic(jac, out, {})
    if not out.requires_grad:
        if positions:
            res.notes.append("fn's output does not depend on any checked input through the graph "
                             "(all analytic gradients are 0); did fn leave the graph via .data or NumPy?")
        return res

    def run(seed: np.ndarray) -> list[np.ndarray | None]:
        for p in positions:
            leaves[p].grad = None
        out.backward(seed.reshape(out.shape).astype(out.dtype), retain_graph=True)
        return [None if leaves[p].grad is None else np.asarray(leaves[p].grad.data, np.float64).reshape(-1)
                for p in positions]

    try:
        for k, seed in enumerate(rows):
            for p, g in zip(positions, run(seed)):
                if g is not None:
                    jac[p][k] = g
        zero = run(np.zeros(m))
    except Exception as err:  # noqa: BLE001 - any failure of a user's backward is reported
        blamed, msg = _blame(err, out, leaves)
        if blamed is None:
            res.unchecked = msg
        else:
            res.errors = {p: msg for p in blamed}
            res.unchecked = (f"not checked: backward stopped with a {type(err).__name__} before this input's "
                             "gradient was complete (the error is reported on the input it concerns)")
        res.cause = err
        return res
    for p, g in zip(positions, zero):
        if g is not None and np.isfinite(g).all() and np.abs(g).max(initial=0) > 0:
            res.problems.setdefault(p, []).append(
                f"backward ignores the upstream gradient: with grad_output = 0 it still returns "
                f"max |grad| = {np.abs(g).max():.3g} (every term must be multiplied by grad)")
    for p, (x, b) in enumerate(zip(leaves, before)):
        if b is not None and not np.array_equal(x.data, b, equal_nan=True):
            res.problems.setdefault(p, []).append(
                "fn or its backward modified this input in place; the check is not valid")
    return res



def graph_nodes(out: Tensor) -> list[Any]:
    """The Function nodes of the graph behind ``out``, in the order they ran (forward order)."""
    nodes: dict[int, tuple[int, Any]] = {}
    stack, seen = [out], set()
    while stack:
        u = stack.pop()
        if id(u) in seen or u.grad_fn is None:
            continue
        seen.add(id(u))
        nodes[id(u.grad_fn)] = (u._number, u.grad_fn)
        stack.extend(u.grad_fn.parents)
    return [ctx for _, ctx in sorted(nodes.values(), key=lambda t: t[0])]


def is_custom(ctx: Any) -> bool:
    """A Function defined outside this package (a user's layer)."""
    return not type(ctx).__module__.startswith("tinygrad_softmax.")
