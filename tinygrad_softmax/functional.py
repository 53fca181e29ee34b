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

from ._shapes import normalize_axes, resolve_axis
from .tensor import Function, Tensor

__all__ = ["logsumexp", "log_softmax", "softmax", "cross_entropy", "softmax_cross_entropy", "relu"]

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
    """
    m = np.max(x.data, axis=normalize_axes(axis, x.ndim), keepdims=True)
    return Tensor(np.where(np.isfinite(m), m, np.zeros_like(m)))


def logsumexp(x: Any, dim: Any = None, keepdim: bool | None = None, *, axis: Any = None,
              keepdims: bool | None = None) -> Tensor:
    """log Σ exp(x) over ``dim`` (or ``axis``; default −1, an int or a tuple), computed as
    m + log Σ exp(x − m) with m = max(x) detached (see above). An empty axis gives −inf, as in PyTorch.

    d logsumexp / dx = softmax(x). Composed from primitives, so it is differentiable to any order.
    """
    axis, keepdims = resolve_axis(axis, dim, keepdims, keepdim, default=-1)
    x = _tensor(x)
    if _empty_axis(x, axis):  # log 0 = −inf; the sum keeps x in the graph (its gradient is empty)
        return x.sum(axis=axis, keepdims=keepdims) - np.inf
    m = _detached_shift(x, axis)
    with np.errstate(over="ignore"):  # as in log_softmax: an overflow to −inf is harmless here
        shifted = x - m
    out = shifted.exp().sum(axis=axis, keepdims=True).log() + m
    return out if keepdims else out.reshape(np.squeeze(out.data, axis=axis).shape)


def log_softmax(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """log softmax(x) = x − logsumexp(x) along ``dim`` (or ``axis``; default −1 for up to 2-D inputs,
    required from 3-D on, where PyTorch's implicit dim is another): finite for every finite x, never
    log(softmax). An empty axis gives an empty result.

    Computed as (x − m) − log Σ exp(x − m) with the same detached m as ``logsumexp``: subtracting m
    first keeps the small log-probabilities of confident rows accurate (x − (m + log Σ) would round).
    """
    x = _tensor(x)
    axis = _softmax_axis("log_softmax", x, axis, dim)
    if _empty_axis(x, axis):  # nothing to normalise: an empty result, still in the graph
        return x * 1.0
    with np.errstate(over="ignore"):  # x − m may round to −inf (|x| near 1e308): exp gives 0, exactly
        shifted = x - _detached_shift(x, axis)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def softmax(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """softmax(x)_i = exp(x_i) / Σ_j exp(x_j) = exp(log_softmax(x)_i) along ``dim`` (or ``axis``;
    default as :func:`log_softmax`); entries in [0, 1], rows sum to 1."""
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
    """max(x, 0) elementwise (the engine's ``Tensor.relu``)."""
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
