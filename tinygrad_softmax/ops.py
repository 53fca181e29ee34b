"""The primitive differentiable operations, one ``Function`` subclass each.

Each op states its derivative as a vector-Jacobian product: given the upstream gradient
``g = dL/d(out)``, ``backward`` returns ``dL/d(input)`` for every input. The formulas use only
operations that ndarrays and Tensors share, so the same line runs in a plain backward (on
arrays) and under ``create_graph=True`` (on Tensors, recorded for a second derivative).

Binary ops broadcast like NumPy; their backward folds the gradient back onto each input's
shape with ``sum_to``, the one place where broadcasting is undone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._shapes import broadcast_reduction, keepdims_shape, normalize_axes
from .tensor import Function, Tensor


class TensorIndexError(IndexError, ValueError):
    """An index that does not fit the tensor's shape (both an IndexError and a ValueError)."""


# ---- shape helpers that work on ndarrays and on Tensors ----------------------------------
def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if g.shape == shape:  # the common case, without a call
        return g
    if shape and g.shape[1:] == shape:  # next most common: a bias added to every row (no axis
        return g.sum(axis=0)  # arithmetic); not shape (), where NumPy would return a scalar
    axes = broadcast_reduction(g.shape, shape)
    if axes is None:
        return g
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def expand(g: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast ``g`` to ``shape`` (the adjoint of ``sum_to``)."""
    if g.shape == shape:
        return g
    if isinstance(g, Tensor):
        return g.broadcast_to(shape)
    out = np.empty(shape, dtype=g.dtype)  # a real array: np.broadcast_to's view costs ~4 µs to make
    out[...] = g
    return out


# ---- elementwise arithmetic --------------------------------------------------------------
class Add(Function):
    """out = a + b.  Backward: dL/da = g, dL/db = g (each summed back to its shape)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.parents
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, a.shape) if need_a else None, sum_to(g, b.shape) if need_b else None)


class Sub(Function):
    """out = a - b.  Backward: dL/da = g, dL/db = -g."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.parents
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, a.shape) if need_a else None, sum_to(-g, b.shape) if need_b else None)


class Mul(Function):
    """out = a * b.  Backward: dL/da = g * b, dL/db = g * a."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * b, a.shape) if need_a else None, sum_to(g * a, b.shape) if need_b else None)


class Div(Function):
    """out = a / b.  Backward: dL/da = g / b, dL/db = -g * a / b² = -g * out / b."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        out = a / b
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        b, out = ctx.saved_tensors
        a_shape, b_shape = ctx.parents[0].shape, ctx.parents[1].shape
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g / b, a_shape) if need_a else None,
                sum_to(-(g * out) / b, b_shape) if need_b else None)


class Neg(Function):
    """out = -x.  Backward: dL/dx = -g."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return -g


class Pow(Function):
    """out = x ** p for a constant exponent p.  Backward: dL/dx = g * p * x**(p-1).

    (For an exponent that requires grad, ``Tensor.__pow__`` uses exp(p log x) instead.)
    """

    @staticmethod
    def forward(ctx: Any, x: Any, exponent: Any) -> Any:
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return x**exponent

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        p = ctx.exponent
        return sum_to(g * p * x ** (p - 1), x.shape)


# ---- elementwise functions ---------------------------------------------------------------
class Exp(Function):
    """out = exp(x).  Backward: dL/dx = g * exp(x) = g * out (the output is saved, not x)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    """out = log(x) (natural).  Backward: dL/dx = g / x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g / x


class Tanh(Function):
    """out = tanh(x).  Backward: dL/dx = g * (1 - out²)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Cast(Function):
    """out = x converted to ``dtype``.  Backward: dL/dx = g converted back to x's dtype."""

    @staticmethod
    def forward(ctx: Any, x: Any, dtype: Any) -> Any:
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.astype(ctx.parents[0].dtype)


# ---- reductions --------------------------------------------------------------------------
class Sum(Function):
    """out = Σ x over ``axis``.  Backward: dL/dx = g broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        if axis is None:  # the total: its 0-d (or all-ones) result broadcasts back as it is
            ctx.kept_shape = None
            return np.add.reduce(x, axis=None, keepdims=True) if keepdims else np.add.reduce(x, axis=None)
        axes = normalize_axes(axis, x.ndim)
        ctx.kept_shape = None if keepdims else keepdims_shape(x.shape, axes)
        # np.add.reduce is np.sum without its Python wrapper (about 1.5 µs less per call)
        return np.add.reduce(x, axis=axes, keepdims=True) if keepdims else np.add.reduce(x, axis=axes)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        if ctx.kept_shape is not None:
            g = g.reshape(ctx.kept_shape)
        return expand(g, ctx.parents[0].shape)


class Max(Function):
    """out = max of x over ``axis``.

    Backward: dL/dx = g at the maximum and 0 elsewhere. When k entries tie for the maximum,
    each receives g / k, so the total still equals g (the even split that PyTorch's ``amax``
    and JAX use; a subgradient).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        axes = normalize_axes(axis, x.ndim)
        m = np.maximum.reduce(x, axis=axes, keepdims=True)
        mask = x == m
        with np.errstate(invalid="ignore", divide="ignore"):  # a NaN row: NaN gradient, no warning
            ctx.weights = (mask / mask.sum(axis=axes, keepdims=True)).astype(x.dtype, copy=False)
        ctx.keepdims_shape = m.shape
        return m if keepdims else m.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return expand(g.reshape(ctx.keepdims_shape), ctx.weights.shape) * ctx.weights


# ---- shape ops ---------------------------------------------------------------------------
class Reshape(Function):
    """out = x with a new shape (same elements, same order).  Backward: g reshaped back."""

    @staticmethod
    def forward(ctx: Any, x: Any, shape: Any) -> Any:
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.reshape(ctx.parents[0].shape)


class Transpose(Function):
    """out = x with its axes permuted (reversed by default).  Backward: the inverse permutation."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: Any = None) -> Any:
        try:
            out = np.transpose(x, axes)
        except IndexError as e:  # NumPy's AxisError: as a plain ValueError, apply adds the shapes
            raise ValueError(str(e)) from None
        if axes is not None:  # argsort of the axes made non-negative: transpose(-1, 0) works too
            axes = [a % x.ndim for a in axes]
        ctx.inverse = None if axes is None else tuple(int(i) for i in np.argsort(axes))
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.transpose(ctx.inverse)


class BroadcastTo(Function):
    """out = x broadcast to ``shape``.  Backward: dL/dx = g summed back to x's shape."""

    @staticmethod
    def forward(ctx: Any, x: Any, shape: Any) -> Any:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return sum_to(g, ctx.parents[0].shape)


# ---- matrix product ----------------------------------------------------------------------
class MatMul(Function):
    """out = a @ b with NumPy's rules: 1-D operands are vectors, leading axes are batches.

    Backward (2-D): dL/da = g @ bᵀ, dL/db = aᵀ @ g. A 1-D operand is treated as a one-row
    (a) or one-column (b) matrix; batch axes that were broadcast are summed away.
    """

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        try:  # NumPy checks the shapes; we explain its refusal (checking first costs every call)
            out = np.matmul(a, b)
        except ValueError:
            if a.ndim == 0 or b.ndim == 0:
                raise ValueError(f"matmul needs at least 1-D operands, got shapes {a.shape} and "
                                 f"{b.shape}; use * to scale by a scalar") from None
            k = b.shape[-2] if b.ndim > 1 else b.shape[0]
            if a.shape[-1] != k:
                raise ValueError(f"matmul shapes {a.shape} and {b.shape} do not align: the last axis "
                                 f"of the first ({a.shape[-1]}) must equal the "
                                 f"{'second-to-last' if b.ndim > 1 else 'only'} axis of the second "
                                 f"({k})") from None
            raise  # batch axes that do not broadcast: NumPy's message, with the shapes added by apply
        ctx.save_for_backward(a, b)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case, without the general case's reshapes
            return (g @ b.T if need_a else None, a.T @ g if need_b else None)
        if a.ndim == 1 and b.ndim == 1:  # dot product: out and g are 0-d
            return (g * b if need_a else None, g * a if need_b else None)
        a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a  # vector as a one-row matrix
        b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b  # vector as a one-column matrix
        if a.ndim == 1:
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        if b.ndim == 1:
            g = g.reshape(g.shape + (1,))
        ga = sum_to(g @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape) if need_a else None
        gb = sum_to(a2.swapaxes(-1, -2) @ g, b2.shape).reshape(b.shape) if need_b else None
        return ga, gb


# ---- indexing ----------------------------------------------------------------------------
def _prepare_index(index: Any) -> tuple[Any, bool]:
    """Index parts as NumPy takes them (Tensors and lists become arrays), and whether an
    integer array appears (then positions can repeat and gradients must add up)."""
    parts = index if isinstance(index, tuple) else (index,)
    out, repeats = [], False
    for part in parts:
        if isinstance(part, Tensor):
            part = part.data
        elif isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray) and part.dtype.kind in "iu":
            repeats = True
        out.append(part)
    return (tuple(out) if isinstance(index, tuple) else out[0]), repeats


class GetItem(Function):
    """out = x[index]: slices, ints (negative too), Ellipsis, None, integer arrays, boolean masks.

    Backward: dL/dx = zeros of x's shape with g added at the indexed positions; an element
    picked several times (``x[[0, 0]]``) receives the sum of its gradients.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, index: Any) -> Any:
        index, repeats = _prepare_index(index)
        try:
            out = x[index]
        except IndexError as e:
            raise TensorIndexError(f"cannot index a tensor of shape {x.shape} with {index!r}: {e}") from None
        ctx.index, ctx.repeats = index, repeats
        return np.asarray(out)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x = ctx.parents[0]
        return IndexAdd.apply(g, index=ctx.index, shape=x.shape, repeats=ctx.repeats) \
            if isinstance(g, Tensor) else _index_add(g, ctx.index, x.shape, ctx.repeats)


def _index_add(g: Any, index: Any, shape: tuple[int, ...], repeats: bool) -> Any:
    out = np.zeros(shape, dtype=g.dtype)
    if repeats:
        np.add.at(out, index, g)  # accumulates at repeated positions, unlike out[index] += g
    else:
        out[index] = g  # basic indices and masks never repeat a position: plain assignment
    return out


# ---- in-place support: item assignment and copy (issue 13) -------------------------------
class IndexPut(Function):
    """out = a copy of x with ``out[index] = v`` (v broadcast to the indexed positions): what
    ``t[index] = v`` records on a tensor in the graph.

    Backward: dL/dx = g with zeros at the written positions; dL/dv = g[index] summed back to
    v's shape. An integer index that writes one position twice is refused (which write wins is
    unspecified, so the gradient would be too).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, v: Any, index: Any) -> Any:
        index, repeats = _prepare_index(index)
        out = x.copy()
        try:
            out[index] = v
        except IndexError as e:
            raise TensorIndexError(f"cannot index a tensor of shape {x.shape} with {index!r}: {e}") from None
        except ValueError as e:
            raise ValueError(f"cannot assign a value of shape {v.shape} to the positions {index!r} of a "
                             f"tensor of shape {x.shape}: {e}") from None
        if repeats:
            written = np.arange(x.size).reshape(x.shape)[index]
            if np.unique(written).size != written.size:
                raise ValueError(f"item assignment with index {index!r} writes some positions of a tensor "
                                 "that requires grad twice; which write wins is unspecified, so its gradient "
                                 "would be too. Use unique indices")
        keep = np.ones(x.shape, dtype=x.dtype)
        keep[index] = 0
        ctx.index, ctx.keep = index, keep
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, v = ctx.parents
        need_x, need_v = ctx.needs_input_grad
        gv = None
        if need_v:
            gv = g[ctx.index]
            if gv.ndim < v.ndim:  # v had leading axes of length 1
                gv = gv.reshape((1,) * (v.ndim - gv.ndim) + gv.shape)
            gv = sum_to(gv, v.shape)
        return (g * ctx.keep if need_x else None, gv)


class Copy(Function):
    """out = a copy of x in a new array.  Backward: dL/dx = g."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g


class IndexAdd(Function):
    """out = zeros(shape) with g added at ``index`` (the backward of GetItem).

    Backward: dL/dg = upstream[index], so indexing is differentiable any number of times.
    """

    @staticmethod
    def forward(ctx: Any, g: Any, index: Any, shape: Any, repeats: bool) -> Any:
        ctx.index = index
        return _index_add(g, index, shape, repeats)

    @staticmethod
    def backward(ctx: Any, gg: Any) -> Any:
        return gg[ctx.index]
