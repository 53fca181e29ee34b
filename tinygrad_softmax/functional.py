"""Softmax, log-softmax and softmax cross-entropy, written two ways.

* **Composed**: ``logsumexp``, ``log_softmax``, ``softmax`` and ``cross_entropy`` are built only from
  the engine's primitives (max, subtraction, exp, sum, log, indexing, products). Their gradients come
  from ``backward()`` walking the recorded graph, exactly like any user expression.
* **Fused**: ``softmax_cross_entropy`` is a single ``Function`` whose forward saves the
  probabilities ``S`` and whose backward is the closed form of the derivation,

      dL/dlogits = (S · rowsum(Q) − Q) · upstream · scale,

  where ``Q`` is the (weighted, label-smoothed, masked) target matrix; with one-hot targets, no weights
  and mean reduction this is the blog's ``(S − Y) / N``.

Both follow ``torch.nn.functional.cross_entropy``: class-index or class-probability targets, per-class
``weight`` (weighted mean), ``ignore_index``, ``reduction`` and ``label_smoothing``, logits of shape
(C,), (N, C) or (N, C, d1, d2, ...). See docs/softmax_cross_entropy.md for the derivation.

Every cross-entropy is the same sum. With log-probabilities ``logp = log_softmax(x)`` and a per-sample
target row ``Q[n]``:

    l_n = − Σ_c Q[n, c] · logp[n, c]

* class-index targets:  Q[n, c] = v_n · w_c · ((1 − ε)·[c = y_n] + ε / C)  (v_n = 0 if y_n is ignored)
* probability targets:  Q[n, c] = w_c · ((1 − ε)·t[n, c] + ε / C)  (any finite real t, as in PyTorch:
  rows need not sum to 1 nor be ≥ 0)

'mean' divides Σ l_n by Σ_n v_n·w[y_n] (class indices) or by N (probabilities), as PyTorch does.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import tensor as _engine
from ._shapes import normalize_axes, resolve_axis
from .joining import pad
from .tensor import Function, Tensor, composite

__all__ = ["logsumexp", "log_softmax", "softmax", "cross_entropy", "softmax_cross_entropy", "relu"]
__all__ += ["pad"]  # constant padding lives with the other shape functions, in joining.py

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- composed building blocks ------------------------------------------------------------
def _empty_axis(x: Tensor, axis: Any) -> bool:
    """Whether one of the axes reduced has length 0 (then PyTorch's logsumexp is −inf and softmax empty)."""
    return any(x.shape[a] == 0 for a in normalize_axes(axis, x.ndim))


def _detached_shift(x: Tensor, axis: Any) -> Tensor:
    """The row maximum as a constant (``keepdims=True``), replaced by 0 where it is ±inf.

    Why detaching is exact: for ANY constant m, log Σ exp(x) = m + log Σ exp(x − m). The right-hand
    side, read as a function of x with m held fixed, is the same function as the left-hand side, so its
    derivatives of every order with respect to x are the true ones. Choosing m = max(x) only keeps
    exp() from overflowing (the largest term becomes exp(0) = 1, so the sum lies in [1, C]); letting
    the gradient flow through m would add terms that cancel exactly, cost extra nodes and drag in the
    max's tie-breaking subgradient.

    A tracer may make it another way (``hooks.Tracer.constant``): compile records it as an op, so
    that the shift is recomputed from the data at every call instead of baked in.
    """
    axes = normalize_axes(axis, x.ndim)
    if (tracer := _engine._tracer_now()) is not None:
        made = tracer.constant("detached_shift", (x,), {"axes": axes})
        if made is not None:
            return made  # type: ignore[no-any-return]
    m = np.max(x.data, axis=axes, keepdims=True)
    return Tensor(np.where(np.isfinite(m), m, np.zeros_like(m)))


class _LastAxis:
    """The default axis of ``logsumexp``: −1 when no axis is given (an explicit None means all axes)."""

    def __repr__(self) -> str:
        return "-1"


_LAST = _LastAxis()


@composite("logsumexp")
def logsumexp(x: Any, dim: Any = _LAST, keepdim: bool | None = None, *, axis: Any = _LAST,
              keepdims: bool | None = None) -> Tensor:
    """log Σ exp(x) over ``dim`` (or ``axis``; an int or a tuple; −1 if neither is given, every
    axis for an explicit ``None``, as NumPy's and SciPy's ``axis=None``), computed as
    m + log Σ exp(x − m) with m = max(x) detached (see above). An empty axis gives −inf, as in PyTorch.

    Backward: d logsumexp / dx = softmax(x). Composed from primitives, so it is differentiable to
    any order.
    """
    if dim is _LAST and axis is _LAST:
        axis, keepdims = resolve_axis(-1, None, keepdims, keepdim)
    else:
        axis, keepdims = resolve_axis(None if axis is _LAST else axis, None if dim is _LAST else dim,
                                      keepdims, keepdim)
    x = _tensor(x)
    if _empty_axis(x, axis):  # log 0 = −inf; the sum keeps x in the graph (its gradient is empty)
        return x.sum(axis=axis, keepdims=keepdims) - np.inf
    m = _detached_shift(x, axis)
    with np.errstate(over="ignore"):  # as in log_softmax: an overflow to −inf is harmless here
        shifted = x - m
    out = shifted.exp().sum(axis=axis, keepdims=True).log() + m
    return out if keepdims else out.reshape(np.squeeze(out.data, axis=axis).shape)


@composite("log_softmax")
def log_softmax(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """log softmax(x) = x − logsumexp(x) along ``dim`` (or ``axis``; default −1 for up to 2-D inputs,
    required from 3-D on, where PyTorch's implicit dim is another): finite for every finite x, never
    log(softmax). An empty axis gives an empty result.

    Computed as (x − m) − log Σ exp(x − m) with the same detached m as ``logsumexp``: subtracting m
    first keeps the small log-probabilities of confident rows accurate (x − (m + log Σ) would round).
    Backward (from the graph): g − softmax(x)·Σ g along the axis.
    """
    x = _tensor(x)
    axis = _softmax_axis("log_softmax", x, axis, dim)
    if _empty_axis(x, axis):  # nothing to normalise: an empty result, still in the graph
        return x * 1.0
    with np.errstate(over="ignore"):  # x − m may round to −inf (|x| near 1e308): exp gives 0, exactly
        shifted = x - _detached_shift(x, axis)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


@composite("softmax")
def softmax(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """softmax(x)_i = exp(x_i) / Σ_j exp(x_j) = exp(log_softmax(x)_i) along ``dim`` (or ``axis``;
    default as :func:`log_softmax`); entries in [0, 1], rows sum to 1. Backward (from the graph):
    s ⊙ (g − Σ g·s) along the axis, s = softmax(x)."""
    x = _tensor(x)
    return log_softmax(x, axis=_softmax_axis("softmax", x, axis, dim)).exp()


def _softmax_axis(name: str, x: Tensor, axis: Any, dim: Any) -> Any:
    """The axis of a softmax: given, or −1 for 0-, 1- and 2-D inputs, where PyTorch's implicit
    (deprecated) choice is the same axis. For 3-D and more PyTorch would pick dim 0 or 1, not the last:
    rather than compute something else silently, ask."""
    axis, _ = resolve_axis(axis, dim)
    if axis is None and x.ndim > 2:
        raise TypeError(f"{name}() of a {x.ndim}-D tensor (shape {x.shape}) needs dim= (or axis=): PyTorch's "
                        f"implicit choice would be dim {0 if x.ndim == 3 else 1}, not the last axis")
    return -1 if axis is None else axis


def relu(x: Any) -> Tensor:
    """max(x, 0) elementwise (the engine's ``Tensor.relu``). Backward: g where x > 0, else 0."""
    return _tensor(x).relu()


# ---- argument checking, shared by both losses --------------------------------------------
@dataclass
class _Plan:
    """Validated arguments in the canonical (M, C) layout that both losses compute on.

    ``perm``/``moved_shape`` move the class axis last and flatten every other axis into M rows;
    ``batch_shape`` is the shape of a 'none' result. ``rows_y`` and ``row_valid`` are set for class
    indices, ``probs`` for probability targets. ``scale`` is what 'mean'/'sum' multiply Σ l_n by.
    """

    n_classes: int
    perm: tuple[int, ...]
    moved_shape: tuple[int, ...]
    batch_shape: tuple[int, ...]
    reduction: str
    smoothing: float
    class_weight: np.ndarray | None  # (C,), in the logits' dtype; None when no weight was given
    dtype: np.dtype[Any]  # the logits'
    index_targets: bool
    rows_y: np.ndarray | None = None  # (M,) class per row, 0 where ignored
    row_valid: np.ndarray | None = None  # (M,) bool; None when every row is valid
    scale: float = 1.0

    @property
    def weight(self) -> np.ndarray:
        """(C,): the class weights, ones when none were given (made only when needed: most calls
        have none, and np.ones costs about 1 µs)."""
        if self.class_weight is None:
            return np.ones(self.n_classes, dtype=self.dtype)
        return self.class_weight

    @property
    def rows(self) -> int:
        return self.moved_shape[0] if len(self.moved_shape) == 2 else math.prod(self.batch_shape)

    def row_coef(self) -> np.ndarray | None:
        """(M,) with smoothing 0: the weight a_n = w[y_n]·v_n of each row's log-probability
        (Q[n] = a_n·onehot(y_n)); None when every a_n is 1 (no weight, nothing ignored)."""
        assert self.rows_y is not None
        coef = None if self.class_weight is None else self.class_weight[self.rows_y]
        if self.row_valid is not None:
            coef = self.row_valid.astype(self.dtype) if coef is None else coef * self.row_valid
        return coef

    def target_positions(self) -> np.ndarray:
        """(M,): where each row's target class sits in the flattened (M, C) rows, n·C + y_n.
        Indexing a flat view with these is about 4× faster than ``rows[arange(M), y]``."""
        assert self.rows_y is not None
        rows_y = self.rows_y.astype(np.intp, copy=False)  # e.g. uint64 + int64 would give float64
        return np.arange(0, self.rows * self.n_classes, self.n_classes) + rows_y

    def row_scale(self, dtype: Any) -> np.ndarray:
        """(M, 1): what each row's loss is multiplied by in 'mean'/'sum'. Ignored rows get exactly 0,
        so their gradient is 0 even when the mean itself is nan (all targets ignored), as in PyTorch."""
        scale = np.full((self.rows, 1), self.scale, dtype=dtype)
        if self.row_valid is not None:
            scale[~self.row_valid] = 0
        return scale

    def to_rows(self, a: Any) -> Any:
        """(N, C, d...) -> (M, C) for an ndarray or a Tensor (transpose + reshape)."""
        if len(self.perm) > 2:
            a = a.transpose(self.perm)
        return a.reshape((self.rows, self.n_classes))

    def from_rows(self, a: Any) -> Any:
        """The inverse of ``to_rows``."""
        a = a.reshape(self.moved_shape)
        if len(self.perm) > 2:
            a = a.transpose(tuple(int(i) for i in np.argsort(self.perm)))
        return a

    def target_matrix(self, dtype: Any, probs: np.ndarray | None = None) -> np.ndarray:
        """Q of the module docstring, (M, C): the weighted, smoothed, masked target rows."""
        eps, c = self.smoothing, self.n_classes
        if self.index_targets:
            assert self.rows_y is not None
            q = np.full((self.rows, c), eps / c, dtype=dtype)
            q[np.arange(self.rows), self.rows_y] += 1 - eps
            if self.row_valid is not None:
                q *= self.row_valid[:, None]
        else:
            assert probs is not None
            q = (1 - eps) * probs + eps / c if eps else probs.copy()
        return (q * self.weight).astype(dtype, copy=False)


def _position(index: tuple[int, ...]) -> str:
    return str(tuple(int(i) for i in index))


def _check_finite(name: str, a: np.ndarray) -> None:
    # Not np.isfinite(a.sum()) (one pass fewer): finite entries can overflow a sum, which warns.
    if not np.logical_and.reduce(np.isfinite(a), axis=None):  # np.all without its wrapper
        pos = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name} must be finite, but {name}{_position(pos)} = {a[tuple(pos)]}")


def _prepare(logits: Tensor, target: Any, weight: Any, ignore_index: Any, reduction: Any,
             label_smoothing: Any) -> _Plan:
    """Check every argument as PyTorch defines it and build the plan; raise ValueError/TypeError
    naming the offending value and its position."""
    x = logits.data
    if x.dtype.kind != "f":
        raise TypeError(f"logits must be floating point, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError("logits must have at least one dimension (the classes), got a 0-d tensor")
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.floating)):
        raise TypeError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    smoothing = float(label_smoothing)
    if not 0.0 <= smoothing <= 1.0:  # also rejects nan
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing!r}")
    try:
        ignore_index = operator.index(ignore_index)
    except TypeError:
        raise TypeError(f"ignore_index must be an int, got {ignore_index!r}") from None

    class_axis = 0 if x.ndim == 1 else 1
    c = x.shape[class_axis]
    if c == 0:
        raise ValueError(f"logits of shape {x.shape} have no classes (axis {class_axis} has size 0)")
    _check_finite("logits", x)
    if x.ndim == 2:  # (N, C), by far the most common: no axis arithmetic (a few µs per call)
        perm, batch_shape, moved_shape = (0, 1), x.shape[:1], x.shape
    else:
        perm = (0, *range(2, x.ndim), 1) if x.ndim > 2 else (0,)
        batch_shape = tuple(n for i, n in enumerate(x.shape) if i != class_axis)
        moved_shape = tuple(x.shape[i] for i in perm)

    w = None
    if weight is not None:
        if isinstance(weight, Tensor) and weight.requires_grad:
            raise ValueError("weight must not require grad: gradients with respect to class weights "
                             "are not supported (as in torch.nn.functional.cross_entropy)")
        warr = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
        if warr.dtype.kind not in "biuf":
            raise TypeError(f"weight must be numeric, got dtype {warr.dtype}")
        if warr.shape != (c,):
            raise ValueError(f"weight must have shape ({c},), one entry per class of logits "
                             f"{x.shape}, got shape {warr.shape}")
        _check_finite("weight", warr.astype(np.float64))
        w = warr.astype(x.dtype)

    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    plan = _Plan(n_classes=c, perm=perm, moved_shape=moved_shape, batch_shape=batch_shape,
                 reduction=reduction, smoothing=smoothing, class_weight=w, dtype=x.dtype,
                 index_targets=t.shape != x.shape)
    m = plan.rows
    if not plan.index_targets:  # class probabilities, same shape as the logits
        if t.dtype.kind != "f":
            raise ValueError(f"probability targets (same shape {t.shape} as the logits) must be floating "
                             f"point, got dtype {t.dtype}; class indices have shape {batch_shape}")
        if ignore_index != -100:  # PyTorch refuses this combination too
            raise ValueError(f"ignore_index={ignore_index} is only supported for class-index targets, "
                             f"not for probability targets (shape {t.shape}); leave it at -100")
        # Any finite real targets, unnormalised or negative too: PyTorch computes −Σ t·log_softmax(x)
        # for them without a check (its own test samples use unnormalised targets).
        _check_finite("target", t)
        plan.scale = 1.0 if reduction != "mean" else (1.0 / m if m else math.nan)
        return plan

    # class indices
    if t.dtype.kind not in "iu":
        raise ValueError(f"class-index targets must have an integer dtype, got {t.dtype} "
                         f"(probability targets must have the logits' shape {x.shape})")
    if t.shape != batch_shape:
        raise ValueError(f"target shape {t.shape} does not fit logits of shape {x.shape}: class indices "
                         f"need shape {batch_shape}, probabilities shape {x.shape}")
    if t.size and ignore_index not in range(c):
        # the common case: every target is a valid class, so none can equal ignore_index
        if np.minimum.reduce(t, axis=None) >= 0 and np.maximum.reduce(t, axis=None) < c:
            plan.rows_y = t.reshape(m)
            if reduction == "mean":
                total = m if w is None else float(np.sum(w[plan.rows_y], dtype=np.float64))
                plan.scale = 1.0 / total if total != 0 else math.nan  # 0/0: nan, as below
            return plan
    t = t.astype(np.int64)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= c))
    if bad.any():
        pos = np.argwhere(bad)[0] if t.ndim else ()
        val = t[tuple(pos)]
        why = "is negative" if val < 0 else "is out of range"
        raise ValueError(f"target{_position(pos)} = {val} {why}: class indices must lie in [0, {c - 1}] "
                         f"or equal ignore_index={ignore_index}")
    rows_valid = valid.reshape(m)
    plan.rows_y = np.where(rows_valid, t.reshape(m), 0)
    plan.row_valid = rows_valid
    if reduction == "mean":
        total = float(np.sum(plan.weight.astype(np.float64)[plan.rows_y] * rows_valid))
        plan.scale = 1.0 / total if total != 0 else math.nan  # 0/0: nan, as PyTorch, without a warning
    return plan


def _finish(per_row: Any, plan: _Plan) -> Any:
    """Apply the reduction to the (M,) per-sample losses (an ndarray or a Tensor)."""
    if plan.reduction == "none":
        return per_row.reshape(plan.batch_shape)
    total = per_row.sum() if isinstance(per_row, Tensor) else np.add.reduce(per_row)  # no wrapper
    return total if plan.reduction == "sum" else total * plan.scale


# ---- the composed loss -------------------------------------------------------------------
@composite("cross_entropy")
def cross_entropy(logits: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy with ``torch.nn.functional.cross_entropy`` semantics, composed from
    primitives (log_softmax, indexing ``logp[arange(M), y]``, products and sums).

    ``logits``: (C,), (N, C) or (N, C, d1, ...). ``target``: class indices of the logits' shape without
    the class axis (a 0-d int for (C,) logits), or class probabilities of the logits' shape (any finite
    real values, as PyTorch: unnormalised rows give −Σ t·log_softmax(x) as they are).
    Loss per sample: l_n = −Σ_c Q[n, c] log softmax(x_n)_c (Q as in the module docstring).
    'mean' divides by Σ_n w[y_n] over non-ignored samples (class indices) or by N (probabilities);
    an empty or all-ignored batch gives nan, as in PyTorch. Gradients flow to ``logits`` and, for
    probability targets, to ``target``.
    """
    logits = _tensor(logits)
    plan = _prepare(logits, target, weight, ignore_index, reduction, label_smoothing)
    x = plan.to_rows(logits)
    logp = log_softmax(x, axis=-1)
    dtype = logits.dtype
    eps, c = plan.smoothing, plan.n_classes
    if plan.index_targets:
        assert plan.rows_y is not None
        valid = np.ones(plan.rows, dtype) if plan.row_valid is None else plan.row_valid.astype(dtype)
        picked = logp[np.arange(plan.rows), plan.rows_y]  # log S[n, y_n]
        coef = plan.row_coef()
        per_row = -picked if coef is None and not eps else \
            -(picked * ((1 - eps) * plan.weight[plan.rows_y] * valid).astype(dtype))
        if eps:
            per_row = per_row - (logp * plan.weight).sum(axis=1) * (eps / c * valid).astype(dtype)
        if plan.reduction != "none" and plan.row_valid is not None:
            per_row = per_row[np.flatnonzero(plan.row_valid)]  # ignored rows: zero gradient
    else:
        t = plan.to_rows(target if isinstance(target, Tensor) else Tensor(np.asarray(target)))
        t = t.astype(dtype) if t.dtype != dtype else t
        if eps:
            t = t * (1 - eps) + eps / c
        per_row = -(logp * t * plan.weight).sum(axis=1)
    return _finish(per_row, plan)


# ---- the fused loss ----------------------------------------------------------------------
class SoftmaxCrossEntropy(Function):
    """One graph node for the whole loss; backward is the closed form, not a walk through primitives.

    Forward (on the (M, C) rows): logp = x − logsumexp(x), S = exp(logp), l = −Σ_c Q ⊙ logp.
    Backward: dL/dx = (S · rowsum(Q) − Q) · g_row, with g_row = upstream · scale ('mean'/'sum') or the
    upstream entry of each sample ('none'); for probability targets also dL/dt = −(1 − ε) w ⊙ logp · g_row.

    Under ``create_graph=True`` the saved S would come back as a constant (it is neither an input nor
    the output), which would silently zero every second derivative. So there S and logp are rebuilt
    from the logits tensor with the composed, differentiable ``log_softmax``; the Hessian then comes
    out as rowsum(Q) · (diag(S) − S Sᵀ) · g_row per row.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, *target: Any, plan: _Plan) -> Any:
        rows = plan.to_rows(x)
        with np.errstate(over="ignore"):  # x − max may round to −inf (|x| near 1e308): exp gives 0
            # np.max without its wrapper; order="C" so the flat views below never copy
            shifted = np.subtract(rows, np.maximum.reduce(rows, axis=1, keepdims=True), order="C")
        ctx.plan = plan
        if plan.index_targets and not plan.smoothing:
            # Q is a one-hot row scaled by a_n: only log S[n, y_n] is needed, not all of log S.
            # S is built in place in `shifted` (one (M, C) buffer: memory is the point here).
            ctx.positions = plan.target_positions()
            picked = shifted.reshape(-1)[ctx.positions]
            np.exp(shifted, out=shifted)
            total = np.add.reduce(shifted, axis=1)
            shifted /= total[:, None]
            per_row = np.log(total) - picked  # −log S[n, y_n] = log Σ exp(shift) − shift[y_n]
            coef = plan.row_coef()
            ctx.coef = coef
            ctx.save_for_backward(shifted)
            return np.asarray(_finish(per_row if coef is None else per_row * coef, plan), dtype=x.dtype)
        logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        q = plan.target_matrix(x.dtype, plan.to_rows(target[0]).astype(x.dtype) if target else None)
        ctx.q = q
        ctx.save_for_backward(np.exp(logp), logp)
        out = _finish(-(q * logp).sum(axis=1), plan)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        plan: _Plan = ctx.plan
        if not isinstance(grad, Tensor) and plan.index_targets and not plan.smoothing:
            return SoftmaxCrossEntropy._index_backward(ctx, grad, plan)
        q = ctx.q if hasattr(ctx, "q") else plan.target_matrix(ctx.parents[0].dtype)
        if isinstance(grad, Tensor):  # create_graph: rebuild S from the graph so it stays differentiable
            logp = log_softmax(plan.to_rows(ctx.parents[0]), axis=-1)
            s = logp.exp()
        else:
            s, logp = ctx.saved_tensors
        if plan.reduction == "none":
            g_row = grad.reshape((plan.rows, 1))
        else:
            g_row = grad.reshape((1, 1)) * plan.row_scale(q.dtype)
        dx = plan.from_rows((s * q.sum(axis=1, keepdims=True) - q) * g_row)
        if len(ctx.parents) == 1:
            return dx
        dt = None
        if ctx.needs_input_grad[1]:
            dt = plan.from_rows((logp * (-(1 - plan.smoothing) * plan.weight).astype(q.dtype)) * g_row)
        return dx, dt


    @staticmethod
    def _index_backward(ctx: Any, grad: Any, plan: _Plan) -> Any:
        """(S − onehot(y)) · a_n · g_row, without building Q: the blog's dscores, weighted."""
        (s,) = ctx.saved_tensors
        coef = ctx.coef
        if plan.reduction == "none":
            g = grad.reshape(plan.rows) if coef is None else grad.reshape(plan.rows) * coef
        else:
            g = grad * plan.scale if coef is None else (grad * plan.scale) * coef
        if plan.row_valid is not None:  # ignored rows get exactly 0, even when the mean is nan
            g = np.where(plan.row_valid, g, 0)
        dx = np.multiply(s, g[:, None] if g.ndim else g, order="C")  # C order: reshape(-1) is a view
        dx.reshape(-1)[ctx.positions] -= g
        return plan.from_rows(dx)


def softmax_cross_entropy(logits: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                          reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """The same loss as :func:`cross_entropy` (same arguments, same numbers), as one fused op whose
    backward is the analytic (S − Y)·upstream, scaled by the reduction and the weights."""
    logits = _tensor(logits)
    plan = _prepare(logits, target, weight, ignore_index, reduction, label_smoothing)
    if plan.index_targets:
        return SoftmaxCrossEntropy.apply(logits, plan=plan)
    return SoftmaxCrossEntropy.apply(logits, _tensor(target), plan=plan)


# ---- activations, more losses, one_hot, dropout, einsum (PyTorch's torch.nn.functional) ----
# Each is a composite of engine ops where that is exact (the graph then gives every derivative),
# else one Function in ops.py. Their derivatives are stated in each docstring.
from . import ops as _ops  # noqa: E402  (ops imports tensor, which this module also needs first)

__all__ += ["leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh", "nll_loss", "mse_loss",
            "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot", "dropout",
            "einsum"]


def _float_input(x: Any, name: str) -> Tensor:
    x = _tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
    return x


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope·x. Gradient: 1 where x > 0, else negative_slope
    (also at 0, as in PyTorch). x times a constant mask: one product node."""
    x = _float_input(input, "leaky_relu")
    return x * np.where(x.data > 0, 1.0, negative_slope).astype(x.dtype)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else α·(eˣ − 1). Gradient: 1 where x > 0, else α·eˣ (α at 0, as PyTorch)."""
    return _ops.ELU.apply(_float_input(input, "elu"), alpha=float(alpha))


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF: ``approximate="none"`` uses Φ(x) = (1 + erf(x/√2))/2,
    ``"tanh"`` the approximation (1 + tanh(√(2/π)(x + 0.044715x³)))/2 (PyTorch's two modes).
    Gradient (exact): Φ(x) + x·φ(x), φ the normal density; composed of erf (or tanh), sums and
    products, so every derivative comes from the graph."""
    x = _float_input(input, "gelu")
    if approximate == "none":
        return x * ((_ops.Erf.apply(x * (1 / math.sqrt(2))) + 1) * 0.5)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)
        return x * ((inner.tanh() + 1) * 0.5)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Any) -> Tensor:
    """x·σ(x) (also called swish). Gradient: σ(x)(1 + x(1 − σ(x)))."""
    x = _float_input(input, "silu")
    return x * x.sigmoid()


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx))/β, and x itself where βx > threshold (PyTorch's linear tail, which keeps
    it exact in floating point). Gradient: σ(βx) (1 on the linear tail)."""
    if not beta > 0 and not beta < 0:
        raise ValueError(f"softplus: beta must be a non-zero number, got {beta!r}")
    return _ops.Softplus.apply(_float_input(input, "softplus"), beta=float(beta), threshold=float(threshold))


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + e⁻ˣ) (``Tensor.sigmoid``). Gradient: σ(x)(1 − σ(x))."""
    return _tensor(input).sigmoid()


def tanh(input: Any) -> Tensor:
    """tanh(x) (``Tensor.tanh``). Gradient: 1 − tanh(x)²."""
    return _tensor(input).tanh()


# ---- losses ------------------------------------------------------------------------------
def _check_reduction(name: str, reduction: Any) -> None:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _same_shape(name: str, x: Tensor, t: Tensor) -> None:
    if x.shape != t.shape:
        raise ValueError(f"{name}: target shape {t.shape} differs from input shape {x.shape}; PyTorch "
                         "broadcasts them (with a warning), which rarely is what was meant. Give the "
                         "target the input's shape, e.g. target.reshape(input.shape), or broadcast it "
                         "explicitly")


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """(x − t)², reduced by ``reduction`` ('mean' over all elements, 'sum', 'none').
    Gradient: 2(x − t) for x and −2(x − t) for t, times the reduction's scale."""
    _check_reduction("mse_loss", reduction)
    x, t = _tensor(input), _tensor(target)
    _same_shape("mse_loss", x, t)
    return _reduce((x - t).square(), reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """|x − t|, reduced by ``reduction``. Gradient: sign(x − t) (0 where x = t, as PyTorch)."""
    _check_reduction("l1_loss", reduction)
    x, t = _tensor(input), _tensor(target)
    _same_shape("l1_loss", x, t)
    return _reduce((x - t).abs(), reduction)


def _constant_weight(name: str, weight: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{name}: weight must be numeric, got dtype {w.dtype}")
    try:
        np.broadcast_shapes(w.shape, shape)
    except ValueError:
        raise ValueError(f"{name}: weight of shape {w.shape} does not broadcast to the input's shape "
                         f"{shape}") from None
    return w.astype(dtype)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class-index targets, given log-probabilities ``input`` of shape
    (C,), (N, C) or (N, C, d1, ...): l_n = −w[y_n]·input[n, y_n] (0 where y_n = ignore_index).

    'mean' divides Σ l_n by Σ w[y_n] over the samples not ignored (nan if there are none), as
    PyTorch. Gradient: −w[y_n] at [n, y_n] (times the reduction's scale), 0 elsewhere. Composed
    of indexing, products and sums. ``cross_entropy(x, y) == nll_loss(log_softmax(x, 1), y)``.
    """
    _check_reduction("nll_loss", reduction)
    x = _float_input(input, "nll_loss")
    if x.ndim == 0:
        raise ValueError("nll_loss: input must have a class axis, shape (C,), (N, C) or (N, C, d1, ...); "
                         "got a 0-d tensor")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    class_axis = 1 if x.ndim > 1 else 0
    c = x.shape[class_axis]
    batch = x.shape[:class_axis] + x.shape[class_axis + 1:]
    if t.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != batch:
        raise ValueError(f"nll_loss: target shape {t.shape} does not fit input of shape {x.shape}: "
                         f"expected {batch} (the input's shape without the class axis {class_axis})")
    ignore_index = operator.index(ignore_index)
    t = t.astype(np.int64).reshape(-1)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= c))
    if bad.any():
        raise ValueError(f"nll_loss: target value {t[bad][0]} is out of bounds: class indices must lie in "
                         f"[0, {c - 1}] or equal ignore_index={ignore_index}")
    rows = _ops.Transpose.apply(x, axes=(0, *range(2, x.ndim), 1)) if x.ndim > 2 else x  # classes last
    rows = rows.reshape((-1, c))
    # only the samples not ignored are read: an ignored row adds nothing, not even a nan from -inf · 0
    keep = np.flatnonzero(valid)
    y = t[keep]
    coef = None
    if weight is not None:
        if isinstance(weight, Tensor) and weight.requires_grad:
            raise ValueError("nll_loss: weight must not require grad (class weights are constants, as "
                             "in PyTorch's nll_loss)")
        w = _constant_weight("nll_loss", weight, (c,), x.dtype)
        if w.shape != (c,):
            raise ValueError(f"nll_loss: weight must have shape ({c},), one entry per class, got {w.shape}")
        coef = w[y]
    picked = rows[keep, y]
    per_sample = -picked if coef is None else -(picked * coef)
    if reduction == "none":
        if len(keep) < len(t):  # ignored samples: a loss of exactly 0
            per_sample = _ops.IndexAdd.apply(per_sample, index=keep, shape=(len(t),), repeats=False)
        return per_sample.reshape(batch)
    total = per_sample.sum()
    if reduction == "sum":
        return total
    denom = float(len(keep)) if coef is None else float(coef.sum(dtype=np.float64))
    return total * (1 / denom if denom else math.nan)  # all ignored: nan, with a zero gradient


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """−w·(t·log x + (1 − t)·log(1 − x)) for probabilities x ∈ [0, 1], each log clamped at −100
    as in PyTorch; 'mean' averages over all elements. Gradient: w·(x − t)/max(x(1 − x), 1e-12)
    for x (PyTorch's formula: 0 at x = t ∈ {0, 1}) and w·(log(1 − x) − log x) for t."""
    _check_reduction("binary_cross_entropy", reduction)
    x, t = _float_input(input, "binary_cross_entropy"), _tensor(target)
    if x.shape != t.shape:
        raise ValueError(f"binary_cross_entropy: target size {t.shape} differs from input size {x.shape}; "
                         "give them the same shape (as PyTorch requires)")
    if x.size and not (np.all(x.data >= 0) and np.all(x.data <= 1)):
        raise ValueError("binary_cross_entropy: all elements of input must lie in [0, 1] (probabilities); "
                         "for raw scores use binary_cross_entropy_with_logits")
    if t.dtype != x.dtype:
        t = t.astype(x.dtype)
    loss = _ops.BinaryCrossEntropy.apply(x, t)
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) and weight.requires_grad
                       else _constant_weight("binary_cross_entropy", weight, x.shape, x.dtype))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """binary_cross_entropy(σ(x), t) computed from the logits x without forming σ(x):
    l = w·(p·t·softplus(−x) + (1 − t)·softplus(x)), since −log σ(x) = softplus(−x) and
    −log(1 − σ(x)) = softplus(x); ``pos_weight`` p (broadcast along the last axis, one per class)
    weighs the positive term, as in PyTorch. Finite for every finite x. Gradient for x:
    w·((1 − t)·σ(x) − p·t·σ(−x)), which is w·(σ(x) − t) when p = 1."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    x, t = _float_input(input, "binary_cross_entropy_with_logits"), _tensor(target)
    if x.shape != t.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: target size {t.shape} differs from input "
                         f"size {x.shape}; give them the same shape (as PyTorch requires)")
    if t.dtype != x.dtype:
        t = t.astype(x.dtype)
    inf = math.inf  # the exact softplus, without PyTorch's linear tail (that is for F.softplus only)
    pos_term = t * _ops.Softplus.apply(-x, beta=1.0, threshold=inf)
    if pos_weight is not None:
        pos_term = pos_term * (pos_weight if isinstance(pos_weight, Tensor) and pos_weight.requires_grad else
                               _constant_weight("binary_cross_entropy_with_logits: pos", pos_weight,
                                                x.shape, x.dtype))
    loss = pos_term + (1 - t) * _ops.Softplus.apply(x, beta=1.0, threshold=inf)
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) and weight.requires_grad
                       else _constant_weight("binary_cross_entropy_with_logits", weight, x.shape, x.dtype))
    return _reduce(loss, reduction)


# ---- one_hot, dropout, einsum --------------------------------------------------------------
def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices of any shape → int64 tensor of shape (*shape, num_classes) with a 1 at each
    index (PyTorch's). ``num_classes=-1`` takes max + 1. No gradient (integer result)."""
    t = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: needs integer class indices, got dtype {t.dtype}")
    num_classes = operator.index(num_classes)
    if num_classes == -1:
        if t.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from an empty tensor; "
                             "pass num_classes")
        num_classes = int(t.max()) + 1
    elif num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 or >= 0, got {num_classes}")
    if t.size and t.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {t.min()}")
    if t.size and t.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes={num_classes}, "
                         f"got {t.max()}")
    return Tensor(np.arange(num_classes) == t[..., None], dtype=np.int64)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: np.random.Generator | int | None = None) -> Tensor:
    """Inverted dropout: in training, each element is zeroed with probability ``p`` and the rest
    are scaled by 1/(1 − p), so the expectation is unchanged; p = 1 gives zeros. Identity when
    ``training`` is False or p = 0. ``generator``: a ``numpy.random.Generator``, a seed, or None
    (fresh entropy). Gradient: the same mask times 1/(1 − p) (a product with a constant)."""
    if not isinstance(inplace, bool):
        raise TypeError(f"dropout: the fourth argument is inplace (as in PyTorch), got {inplace!r}; "
                        "pass the generator as generator=...")
    if inplace:
        raise ValueError("dropout: inplace=True is not supported; write x = dropout(x, p)")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    x = _tensor(input)
    if not training or p == 0:
        return x
    if (tracer := _engine._tracer_now()) is not None:  # compile refuses a draw
        tracer.draw_random("dropout with training=True")
    rng = generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator)
    keep = rng.random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * (keep * scale).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as in NumPy and PyTorch: ``einsum("ij,jk->ik", a, b)`` is a @ b,
    ``einsum("ii", a)`` the trace, '...' for leading axes; one or more operands (a list of them
    works too); an axis of size 1 broadcasts against its letter's size elsewhere. Gradient: for
    each operand, an einsum of the upstream gradient with the other operands (see ``ops.Einsum``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])  # PyTorch also takes einsum(eq, [a, b])
    if not operands:
        raise ValueError("einsum needs at least one operand")
    return _ops.Einsum.apply(*(_tensor(op) for op in operands), subscripts=subscripts)


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max, broadcasting (``torch.maximum``, ``np.maximum``); ties split the gradient."""
    return _tensor(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min, broadcasting (``torch.minimum``, ``np.minimum``); ties split the gradient."""
    return _tensor(input).minimum(other)
