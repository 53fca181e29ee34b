"""Find the wrong backward in a bigger model: :func:`find_wrong_backward`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._grad_mode import enable_grad
from ..hooks import Observer, observe, op_params
from ..tensor import GradientShapeError, Tensor
from .analytic import is_custom
from .diagnosis import Context, diagnose
from .finite_differences import numerical_gradient
from .inputs import _as_output, _Inputs
from .reports import BackwardSearchReport, NodeCheck


class _Recorder(Observer):
    """An engine observer that keeps every op as it runs, with the keyword parameters of its
    ``apply`` (copied now: a plain backward frees them)."""

    def __init__(self) -> None:
        self.ops: list[tuple[Any, tuple[Tensor, ...], dict[str, Any]]] = []

    def forward(self, ctx: Any, inputs: tuple[Tensor, ...], result: Tensor) -> None:
        self.ops.append((ctx, inputs, op_params(ctx)))


def find_wrong_backward(fn: Callable[..., Tensor], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
                        rtol: float = 1e-3, seed: int = 0) -> BackwardSearchReport:
    """Check every custom ``Function`` node of the graph ``fn`` builds, one at a time, and name the
    first whose backward is wrong.

    ``fn`` and ``inputs`` are as for :func:`gradcheck`. ``fn`` runs once (in float64) while every op is
    recorded; then each node whose class is defined outside this package is re-run alone on its own
    input values: its backward with a random upstream gradient against central differences of its
    forward, for each input slot that requires grad. Built-in ops are trusted (the test suite checks
    them). Returns a :class:`BackwardSearchReport` (truthy when every custom backward is right) whose
    ``op``, ``slot``, ``kind`` (a :class:`Finding` kind, or ``shape``/``raised``/``mismatch``) and
    ``message`` describe the first wrong node, in the order the nodes ran.
    """
    inp = _Inputs(fn, inputs)
    values = [Tensor(a, requires_grad=s.checked) if s.is_array else a
              for s, a in zip(inp.slots, inp.float64_arrays())]
    with observe(_Recorder()) as rec, enable_grad():
        _as_output(inp.call(fn, values))
    rng = np.random.default_rng(seed)
    nodes: list[NodeCheck] = []
    builtin = 0
    for index, (ctx, parents, params) in enumerate(rec.ops):
        if not is_custom(ctx):
            builtin += 1
            continue
        node = NodeCheck(op=ctx.name, index=index, shapes=[tuple(p.shape) for p in parents])
        nodes.append(node)
        _check_node(type(ctx), parents, params, node, rng, eps, atol, rtol)
    notes = [] if nodes else ["fn's graph has no custom Function: nothing to search (use gradcheck on fn)"]
    return BackwardSearchReport(nodes, builtin, notes)


def _check_node(cls: Any, parents: tuple[Tensor, ...], params: dict[str, Any], node: NodeCheck,
                rng: np.random.Generator, eps: float, atol: float, rtol: float) -> None:
    needs = [p.requires_grad and p.dtype.kind == "f" for p in parents]
    arrays = [np.array(p.data, dtype=np.float64 if p.dtype.kind == "f" else None) for p in parents]

    def op(*ts: Any) -> Tensor:
        return cls.apply(*ts, **params)

    leaves = [Tensor(a, requires_grad=k) for a, k in zip(arrays, needs)]
    try:
        with enable_grad():
            out = op(*leaves)
        g = rng.standard_normal(out.shape)
        out.backward(g)
    except GradientShapeError as err:
        node.slot, node.kind = err.slot, "shape"
        node.message = (f"backward returned a gradient of shape {tuple(err.got_shape)} for an input of "
                        f"shape {tuple(err.expected_shape)}")
        return
    except Exception as err:  # noqa: BLE001 - a crashing backward is a wrong backward
        node.slot, node.kind = next((i for i, k in enumerate(needs) if k), 0), "raised"
        node.message = f"forward or backward raised {type(err).__name__}: {err}"
        return
    numerical = numerical_gradient(op, [Tensor(a, requires_grad=k) for a, k in zip(arrays, needs)], eps,
                                   grad_output=g)
    for slot, (leaf, n) in enumerate(zip(leaves, numerical)):
        if n is None:
            continue
        a = np.zeros(n.shape) if leaf.grad is None else np.asarray(leaf.grad.data, np.float64)
        tol = atol + rtol * np.abs(n)
        err = np.abs(a - n)
        node.max_abs_error = max(node.max_abs_error, float(np.nanmax(err, initial=0.0)))
        if np.all(err <= tol):
            continue
        ctx = Context(f"input {slot}", {f"input {k}": x for k, x in enumerate(arrays)
                                        if x.dtype.kind == "f" and x.ndim > 0}, {}, {})
        findings = diagnose(a, n, tol, ctx, who="the gradient")
        node.slot = slot
        node.kind = findings[0].kind if findings else "mismatch"
        node.message = (findings[0].message if findings else
                        f"max |backward − finite differences| = {float(np.nanmax(err)):.3g}")
        return
