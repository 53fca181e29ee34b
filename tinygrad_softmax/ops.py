"""The primitive differentiable operations, one ``Function`` subclass each.

Each op states its derivative as a vector-Jacobian product: given the upstream gradient
``g = dL/d(out)``, ``backward`` returns ``dL/d(input)`` for every input. The formulas use only
operations that ndarrays and Tensors share, so the same line runs in a plain backward (on
arrays) and under ``create_graph=True`` (on Tensors, recorded for a second derivative).

Binary ops broadcast like NumPy; their backward folds the gradient back onto each input's
shape with ``sum_to``, the one place where broadcasting is undone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._shapes import AxisError, TensorIndexError, broadcast_reduction, keepdims_shape, normalize_axes
from .tensor import Function, Tensor


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
        a, b = ctx.parents  # (tensors: .data.shape skips the shape property, ~2 % of a chain of adds)
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, a.data.shape) if need_a else None, sum_to(g, b.data.shape) if need_b else None)


class Sub(Function):
    """out = a - b.  Backward: dL/da = g, dL/db = -g."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.parents
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g, a.data.shape) if need_a else None, sum_to(-g, b.data.shape) if need_b else None)


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
    """out = x ** p for a constant Python number p.  Backward: dL/dx = g * p * x**(p-1).

    As in PyTorch, the gradient is exactly 0 for p = 0 (also at x = 0, where p·x**(p−1) would be
    0·inf); every other case follows the formula: at x = 0 it is 1 for p = 1, 0 for p > 1 and ±inf
    for 0 < p < 1 or p < 0, so polynomials Σ c_k x**k have the right gradient at exact zeros.
    (An exponent that is a Tensor or an array goes to :class:`PowTensor`.)
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
        if p == 0:  # d(x**0)/dx = 0 everywhere (an ndarray: the engine makes it a Tensor if needed)
            return np.zeros(x.shape, dtype=ctx.parents[0].dtype)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** (p − 1) = inf for p < 1: right
            return sum_to(g * p * x ** (p - 1), x.shape)


def _log(a: Any) -> Any:
    """Natural log of an ndarray or (recorded) of a Tensor."""
    return a.log() if isinstance(a, Tensor) else np.log(a)


class PowTensor(Function):
    """out = x ** y elementwise, both tensors (broadcast), with NumPy's ``np.power`` values:
    0**0 = 1, (−2)**2 = 4, (−inf)**0 = 1, (−8)**(1/3) = nan.

    Backward, with PyTorch's conventions at the edges:

    * dL/dx = g · y · x**(y−1), and exactly 0 where y = 0 (also at x = 0, where the formula would be
      0·inf); at x = 0 it is ±inf for y < 1 (y ≠ 0), 1 for y = 1 and 0 for y > 1;
    * dL/dy = g · x**y · log(x), and exactly 0 where x = 0 and y ≥ 0 (there x**y is 0 or 1 and the
      formula would be 0·(−inf) or −inf); for x < 0, log(x) is nan, so the gradient is nan.

    Both masks are written as changes of the inputs of ``**`` and ``log`` (x**(y−1+m), log(x+m) with a
    0/1 mask m), so the formula stays made of shared operations and is differentiable again: second
    derivatives are right wherever x**y is differentiable (at x = 0, y = 0, where it is not, they are
    those of the masked formula).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        out = np.power(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y, out = ctx.saved_tensors
        xd, yd = ctx.parents[0].data, ctx.parents[1].data
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf, nan: the right values here
            if need_x:  # at x == 0 == y: y * x**0 = 0 instead of 0 * inf (elsewhere y == 0 gives 0 anyway)
                gx = sum_to(g * (y * x ** (y - 1 + ((xd == 0) & (yd == 0)))), xd.shape)
            if need_y:  # where x == 0 <= y: out * log(1) = 0
                gy = sum_to(g * (out * _log(x + ((xd == 0) & (yd >= 0)))), yd.shape)
        return gx, gy


# ---- elementwise functions ---------------------------------------------------------------
# A backward that needs a function of its input (cos for sin, exp for erf ...) calls ``_apply``:
# on the ndarrays of a plain backward it just computes the values; on the Tensors of a
# create_graph backward it records the op, so the gradient can be differentiated again.
# Masks (where x > 0, which of a and b is larger ...) are constants: their derivative is 0
# wherever it exists, so a backward may multiply by them in both modes.
def _apply(fn: type[Function], *xs: Any, **params: Any) -> Any:
    """``fn`` on ndarrays (its forward, values only) or on Tensors (recorded, differentiable)."""
    if any(isinstance(x, Tensor) for x in xs):
        return fn.apply(*xs, **params)
    return np.asarray(fn.forward(fn(), *xs, **params))


def _mask(cond: Any, dtype: Any) -> Any:
    """A boolean condition as 0/1 of a float dtype (a constant factor of a gradient)."""
    return np.asarray(cond).astype(dtype if np.dtype(dtype).kind == "f" else np.float64)


class _Unary(Function):
    """A differentiable elementwise function of one input, stated by its subclass as ``f``, its
    values, and ``vjp(g, v)``, its derivative as the backward dL/dx = g · f'(x).

    ``vjp`` gets v = x, or v = the output where ``saves_output`` (when f' is simplest in terms of
    f, as exp' = exp); ``forward`` saves that one value. ``f`` is a NumPy ufunc such as ``np.exp``
    or a static method. The formulas use only operations ndarrays and Tensors share (or
    ``_apply``), so a create_graph backward records them for a second derivative."""

    f: Any  # a NumPy ufunc (a class attribute, not bound as a method) or a static method
    saves_output = False

    @staticmethod
    def vjp(g: Any, v: Any) -> Any:
        raise NotImplementedError("a _Unary op states vjp(g, v), its derivative")

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = ctx.f(x)
        ctx.save_for_backward(out if ctx.saves_output else x)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (v,) = ctx.saved_tensors
        return ctx.vjp(g, v)


class Exp(_Unary):
    """out = exp(x).  Backward: dL/dx = g * exp(x) = g * out (the output is saved, not x)."""

    f = np.exp
    saves_output = True  # exp' = exp

    @staticmethod
    def vjp(g: Any, out: Any) -> Any:
        return g * out


class Log(_Unary):
    """out = log(x) (natural).  Backward: dL/dx = g / x."""

    f = np.log

    @staticmethod
    def vjp(g: Any, x: Any) -> Any:
        return g / x


class Tanh(_Unary):
    """out = tanh(x).  Backward: dL/dx = g * (1 - out²)."""

    f = np.tanh
    saves_output = True  # tanh' = 1 − tanh²

    @staticmethod
    def vjp(g: Any, out: Any) -> Any:
        return g * (1 - out * out)


class Cast(Function):
    """out = x converted to ``dtype``.  Backward: dL/dx = g converted back to x's dtype."""

    @staticmethod
    def forward(ctx: Any, x: Any, dtype: np.dtype[Any]) -> Any:
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.astype(ctx.parents[0].dtype)


# ---- more elementwise functions ----------------------------------------------------------
class Sqrt(_Unary):
    """out = √x.  Backward: dL/dx = g / (2√x) = g / (2·out) (inf at x = 0, as in PyTorch)."""

    f = np.sqrt
    saves_output = True  # (√x)' = 1 / (2√x)

    @staticmethod
    def vjp(g: Any, out: Any) -> Any:
        return g / (2 * out)


class Abs(Function):
    """out = |x|.  Backward: dL/dx = g · sign(x), which is 0 at x = 0 (PyTorch's choice)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.sign = np.sign(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g * ctx.sign


class ReLU(Function):
    """out = max(x, 0).  Backward: dL/dx = g where x > 0, else 0 (also at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.mask = _mask(x > 0, x.dtype)
        return np.maximum(x, x.dtype.type(0))  # NaN stays NaN and -inf gives 0, as in PyTorch

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g * ctx.mask


class Sigmoid(_Unary):
    """out = σ(x) = 1 / (1 + e⁻ˣ).  Backward: dL/dx = g · out · (1 − out).

    Computed as 1/(1 + e^−|x|) or e^−|x|/(1 + e^−|x|) by sign, so no exp overflows and tiny
    outputs keep their relative precision.
    """

    saves_output = True  # σ' = σ(1 − σ)

    @staticmethod
    def f(x: Any) -> Any:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def vjp(g: Any, out: Any) -> Any:
        return g * out * (1 - out)


class Clamp(Function):
    """out = min(max(x, lo), hi) (a missing bound is no bound; lo > hi gives hi, as PyTorch).

    Backward: dL/dx = g where lo ≤ x ≤ hi (bounds included, as PyTorch), else 0. The bounds
    are constants (numbers or arrays that broadcast with x).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, lo: Any = None, hi: Any = None) -> Any:
        out, inside = x, np.ones(x.shape, dtype=bool)
        if lo is not None:
            out, inside = np.maximum(out, lo), inside & (x >= lo)
        if hi is not None:
            out, inside = np.minimum(out, hi), inside & (x <= hi)
        out = np.asarray(out)
        ctx.mask = _mask(inside, out.dtype)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return sum_to(g * ctx.mask, ctx.parents[0].shape)


class Maximum(Function):
    """out = max(a, b) elementwise, broadcasting; NaN if either is NaN.

    Backward: dL/da = g where a > b, dL/db = g where b > a; on a tie a and b get g/2 each
    (PyTorch's rule: the total stays g), and where a NaN makes neither win nor tie, both get g
    (as PyTorch). Summed back to each input's shape.
    """

    pick: np.ufunc = np.maximum  # Minimum, below, is this op with np.minimum and np.less
    wins: np.ufunc = np.greater

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        out = np.asarray(ctx.pick(a, b))
        if out.dtype.kind == "f":  # the shares of g: 0 to the loser, ½ each on a tie, else 1
            tie = a == b
            ctx.wa = np.where(tie, 0.5, np.where(ctx.wins(b, a), 0.0, 1.0)).astype(out.dtype)
            ctx.wb = np.where(tie, 0.5, np.where(ctx.wins(a, b), 0.0, 1.0)).astype(out.dtype)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        a, b = ctx.parents
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(g * ctx.wa, a.shape) if need_a else None,
                sum_to(g * ctx.wb, b.shape) if need_b else None)


class Minimum(Maximum):
    """out = min(a, b) elementwise, broadcasting; NaN if either is NaN.

    Backward: dL/da = g where a < b, dL/db = g where b < a; on a tie g/2 each (as PyTorch), as
    :class:`Maximum` with the order reversed.
    """

    pick, wins = np.minimum, np.less


class Sin(_Unary):
    """out = sin(x).  Backward: dL/dx = g · cos(x)."""

    f = np.sin

    @staticmethod
    def vjp(g: Any, x: Any) -> Any:
        return g * _apply(Cos, x)


class Cos(_Unary):
    """out = cos(x).  Backward: dL/dx = −g · sin(x)."""

    f = np.cos

    @staticmethod
    def vjp(g: Any, x: Any) -> Any:
        return -(g * _apply(Sin, x))


class Log1p(_Unary):
    """out = log(1 + x), accurate for small x.  Backward: dL/dx = g / (1 + x)."""

    f = np.log1p

    @staticmethod
    def vjp(g: Any, x: Any) -> Any:
        return g / (1 + x)


class Expm1(_Unary):
    """out = eˣ − 1, accurate for small x.  Backward: dL/dx = g · eˣ = g · (out + 1)."""

    f = np.expm1
    saves_output = True  # (eˣ − 1)' = eˣ = out + 1

    @staticmethod
    def vjp(g: Any, out: Any) -> Any:
        return g * (out + 1)


class Square(_Unary):
    """out = x².  Backward: dL/dx = 2 · g · x."""

    f = np.square

    @staticmethod
    def vjp(g: Any, x: Any) -> Any:
        return g * (2 * x)


def _erf_taylor_table(step: float, top: float, terms: int) -> Any:
    """Row n holds the n-th Taylor coefficient of erf at the centers 0, step, 2·step, ..., top.

    erf⁽ⁿ⁾(c) = (2/√π)·(−1)ⁿ⁻¹·Hₙ₋₁(c)·e^(−c²) (Hₖ the physicists' Hermite polynomials,
    H₀ = 1, H₁ = 2c, Hₖ₊₁ = 2c·Hₖ − 2k·Hₖ₋₁); row 0 is math.erf(c) (the C library's, within an ulp).
    """
    centers = np.arange(0.0, top + step / 2, step)
    table = np.empty((terms, centers.size))
    for j, c in enumerate(centers):
        table[0, j] = math.erf(c)
        scale = 2 / math.sqrt(math.pi) * math.exp(-c * c)
        h_prev, h, factorial = 0.0, 1.0, 1.0
        for n in range(1, terms):
            factorial *= n
            table[n, j] = (-1) ** (n - 1) * scale * h / factorial
            h_prev, h = h, 2 * c * h - 2 * (n - 1) * h_prev
    return table


# Centers 1/16 apart, so |x − c| ≤ 1/32, and 11 terms: the first term left out is below 2e-18
# everywhere. Past 6, erf(x) rounds to 1 in float64 (erfc(6) ≈ 2e-17 < half an ulp of 1).
_ERF_STEP, _ERF_TOP = 1 / 16, 6.0
_ERF_TABLE = _erf_taylor_table(_ERF_STEP, _ERF_TOP, 11)


def _erf(x: Any) -> Any:
    """erf elementwise in float64, vectorised: a Taylor polynomial about the nearest center,
    within 2 ulp of ``math.erf`` (tests/test_activations_losses.py compares them, tails, subnormals,
    ±0, ±inf and nan included); odd, so it works on |x| and copies the sign back."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    inside = a <= _ERF_TOP  # False for nan and ±inf
    a = np.where(inside, a, 0.0)
    j = (a * (1 / _ERF_STEP) + 0.5).astype(np.intp)  # the nearest center
    h = a - j * _ERF_STEP
    acc = np.take(_ERF_TABLE[-1], j)
    for row in _ERF_TABLE[-2::-1]:  # Horner's rule
        acc *= h
        acc += np.take(row, j)
    acc = np.where(inside, acc, np.where(np.isnan(x), x, 1.0))
    return np.copysign(acc, x)  # erf(−0) = −0, as math.erf


class Erf(_Unary):
    """out = erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt.  Backward: dL/dx = g · (2/√π) · e^(−x²)."""

    @staticmethod
    def f(x: Any) -> Any:
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        return np.asarray(_erf(x), dtype=np.float64).astype(dtype, copy=False)

    @staticmethod
    def vjp(g: Any, x: Any) -> Any:
        return g * (_apply(Exp, -(x * x)) * (2 / math.sqrt(math.pi)))


class Softplus(Function):
    """out = log(1 + e^(βx)) / β, and out = x where βx > threshold (PyTorch's linear tail).

    Backward: dL/dx = g · σ(βx) (g where βx > threshold). Computed as max(βx, 0) +
    log1p(e^−|βx|), which never overflows; ``threshold=inf`` gives the exact function.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
        bx = x * beta
        ctx.save_for_backward(x)
        ctx.beta, ctx.linear = beta, _mask(bx > threshold, x.dtype)
        smooth = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return np.where(bx > threshold, x, smooth)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        s = _apply(Sigmoid, x * ctx.beta)
        return g * (ctx.linear + (1 - ctx.linear) * s)


class _ZeroGradient(Function):
    """A piecewise-constant op: its derivative is 0 wherever it exists (and undefined at the
    jumps); backward returns zeros, as PyTorch does."""

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x = ctx.parents[0]
        return np.zeros(x.shape, dtype=x.dtype)


class Sign(_ZeroGradient):
    """out = sign(x) ∈ {−1, 0, 1} (NaN stays NaN).  Backward: 0 (jump at 0, no derivative there)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return np.sign(x)


class Floor(_ZeroGradient):
    """out = ⌊x⌋.  Backward: 0 (jumps at the integers)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        # an integer is its own floor; NumPy < 2.1 would return float64 for integer input
        return x.copy() if x.dtype.kind in "biu" else np.floor(x)


class Ceil(_ZeroGradient):
    """out = ⌈x⌉.  Backward: 0 (jumps at the integers)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        # an integer is its own ceil; NumPy < 2.1 would return float64 for integer input
        return x.copy() if x.dtype.kind in "biu" else np.ceil(x)


class Round(_ZeroGradient):
    """out = x rounded to ``decimals`` digits, halves to even (NumPy's and PyTorch's rule).
    Backward: 0 (jumps half-way between the rounded values)."""

    @staticmethod
    def forward(ctx: Any, x: Any, decimals: int = 0) -> Any:
        return np.round(x, decimals)


class ELUSlope(Function):
    """s(x) = 1 where x > 0, else α·eˣ: the derivative of elu.  Backward: dL/dx = g·(s − [x > 0]),
    since the derivative of α·eˣ is itself (and of 1 is 0): closed under differentiation."""

    @staticmethod
    def forward(ctx: Any, x: Any, alpha: float) -> Any:
        ctx.pos = (x > 0).astype(x.dtype)
        out = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_tensors
        return g * (out - ctx.pos)


class ELU(Function):
    """out = x where x > 0, else α·(eˣ − 1).  Backward: dL/dx = g · s(x) with s = ``ELUSlope``
    (1 where x > 0, else α·eˣ; at x = 0 that is α, as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, x: Any, alpha: float) -> Any:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g * _apply(ELUSlope, x, alpha=ctx.alpha)


class BinaryCrossEntropy(Function):
    """l = −(t·log x + (1 − t)·log(1 − x)), each log clamped at −100 (PyTorch's guard: l stays
    finite at x = 0 or 1).

    Backward: dL/dx = g·(x − t) / max(x(1 − x), 1e-12), PyTorch's formula (0 where x = t ∈ {0, 1},
    finite elsewhere); dL/dt = g·(log(1 − x) − log x) with the same clamped logs. Both are written
    with engine ops, so second derivatives are right where x(1 − x) > 1e-12.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any) -> Any:
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            log_x, log_1mx = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        return (t - 1) * log_1mx - t * log_x  # PyTorch's arrangement of the same sum

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        if need_x:
            gx = g * (x - t) / _apply(Clamp, x * (1 - x), lo=1e-12)
        if need_t:
            with np.errstate(divide="ignore"):
                gt = g * (_apply(Clamp, _apply(Log1p, -x), lo=-100.0)
                          - _apply(Clamp, _apply(Log, x), lo=-100.0))
        return gx, gt


# ---- einsum ------------------------------------------------------------------------------
def _einsum_plan(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str, dict[str, int]]:
    """Parse ``subscripts`` for operands of ``shapes``: one letter string per operand and the
    output's, with '...' spelled out as letters and an implicit output made explicit (the letters
    used once, in alphabetical order, after the '...' axes: NumPy's and PyTorch's rule), and the
    size of every letter. Raises ValueError naming what does not fit."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum subscripts must be a string such as 'ij,jk->ik', got {subscripts!r}")
    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(terms)} operand(s), got {len(shapes)}")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in spec]
    n_ell = max((len(sh) - len(t) + 3 for t, sh in zip(terms, shapes) if "..." in t), default=0)
    ell = "".join(free[:n_ell])
    for i, (t, sh) in enumerate(zip(terms, shapes)):
        if "..." in t and len(sh) >= len(t) - 3:  # '...' stands for the axes the letters leave
            terms[i] = t.replace("...", ell[n_ell - (len(sh) - len(t) + 3):], 1)
        if not terms[i].isalpha() and terms[i] or not terms[i].isascii():
            raise ValueError(f"einsum subscripts {subscripts!r}: operand {i} ({t!r}) must be letters "
                             "and at most one '...'")
        if len(terms[i]) != len(sh):
            raise ValueError(f"einsum subscripts {subscripts!r}: operand {i} has shape {sh}, but {t!r} "
                             f"names {len(t)} axes")
    sizes: dict[str, int] = {}
    for t, sh in zip(terms, shapes):
        for c, n in zip(t, sh):
            m = sizes.setdefault(c, n)
            if m != n and 1 not in (m, n):
                raise ValueError(f"einsum subscripts {subscripts!r}: {c!r} has size {m} in one operand "
                                 f"and {n} in another (shapes {', '.join(map(str, shapes))}); sizes must "
                                 "be equal or 1 (broadcast)")
            sizes[c] = max(m, n)  # a size-1 axis broadcasts, as in NumPy and PyTorch
    if not arrow:
        joined = "".join(terms)
        out = ell + "".join(sorted(c for c in sizes if joined.count(c) == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
        if not out.isalpha() and out or len(set(out)) != len(out) or any(c not in sizes for c in out):
            raise ValueError(f"einsum subscripts {subscripts!r}: the output must name distinct letters "
                             "that appear among the inputs")
    return terms, out, sizes


class Einsum(Function):
    """out = einsum(subscripts, *operands) (NumPy/PyTorch notation, '...' included; an axis of
    size 1 broadcasts against the same letter's size elsewhere).

    Backward: the gradient of operand i is itself an einsum, of g (subscripts: the output's) with
    the other operands, into operand i's subscripts. A letter that operand i repeats (a diagonal,
    as in 'ii->') is written to the diagonal with an identity matrix, and a letter that no other
    operand gives at full size (summed away from operand i alone, or broadcast) is spread back with
    a vector of ones; both are constant operands. Axes where operand i had size 1 are then summed.
    """

    @staticmethod
    def forward(ctx: Any, *operands: Any, subscripts: str) -> Any:
        terms, out, sizes = _einsum_plan(subscripts, [op.shape for op in operands])
        ctx.terms, ctx.out, ctx.sizes = terms, out, sizes
        ctx.save_for_backward(*operands)
        return np.einsum(",".join(terms) + "->" + out, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        operands = ctx.saved_tensors
        terms, sizes = ctx.terms, ctx.sizes
        spare = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in sizes)
        grads: list[Any] = []
        for i, need in enumerate(ctx.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            subs, ops = [ctx.out] + [t for j, t in enumerate(terms) if j != i], \
                [g] + [x for j, x in enumerate(operands) if j != i]
            target, size = "", dict(sizes)
            for c in terms[i]:
                if c in target:  # a repeated letter: a fresh one, tied to c by an identity matrix
                    fresh = next(spare)
                    subs.append(c + fresh)
                    ops.append(np.eye(sizes[c], dtype=g.dtype))
                    c, size[fresh] = fresh, sizes[c]
                target += c
            full = {c for s, x in zip(subs, ops) for c, n in zip(s, x.shape) if n == size[c]}
            for c in dict.fromkeys(terms[i]):  # letters no other operand gives at full size
                if c not in full:
                    subs.append(c)
                    ops.append(np.ones(sizes[c], dtype=g.dtype))
            grad = _apply(Einsum, *ops, subscripts=",".join(subs) + "->" + target)
            shape = operands[i].shape
            stretched = tuple(k for k, n in enumerate(shape) if n != grad.shape[k])  # size-1 axes
            grads.append(grad.sum(axis=stretched, keepdims=True) if stretched else grad)
        return tuple(grads)


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
    """out = max of x over ``axis``, exact for every dtype (integers and bool included).

    Backward: dL/dx = g at the maximum and 0 elsewhere. When k entries tie for the maximum,
    each receives g / k, so the total still equals g (the even split that PyTorch's ``amax``
    and JAX use; a subgradient).
    """

    reduce = np.maximum.reduce

    @staticmethod
    def forward(ctx: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        axes = normalize_axes(axis, x.ndim)
        m = ctx.reduce(x, axis=axes, keepdims=True)
        if x.dtype.kind == "f":  # only a float input can need a gradient
            mask = x == m
            with np.errstate(invalid="ignore", divide="ignore"):  # a NaN row: NaN gradient, no warning
                ctx.weights = (mask / mask.sum(axis=axes, keepdims=True)).astype(x.dtype, copy=False)
        ctx.keepdims_shape = m.shape
        return m if keepdims else m.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return expand(g.reshape(ctx.keepdims_shape), ctx.weights.shape) * ctx.weights


class Min(Max):
    """out = min of x over ``axis`` (exact for every dtype; not −max(−x), which overflows for
    unsigned and most-negative integers).  Backward: as :class:`Max`, g split evenly over the minima."""

    reduce = np.minimum.reduce


class Prod(Function):
    """out = Π x over ``axis``.

    Backward: dL/dx_i = g · Π_{j≠i} x_j, the product of the *other* entries, computed without
    dividing by x_i: exact with one zero (only the zero's gradient is nonzero) and with several
    (all gradients 0). A plain backward uses exclusive cumulative products from both ends; under
    ``create_graph`` the products of the others are taken with indexing and ``prod`` itself (an
    (…, n, n−1) intermediate for n reduced entries), so second derivatives are exact too.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        axes = normalize_axes(axis, x.ndim)
        out = np.multiply.reduce(x, axis=axes, keepdims=True)
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdims_shape = axes, out.shape
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return expand(g.reshape(ctx.keepdims_shape), x.shape) * _prod_of_others(x, ctx.axes)


def _prod_of_others(x: Any, axes: tuple[int, ...]) -> Any:
    """For each entry of x, the product of the other entries of its reduction group (over ``axes``)."""
    if x.size == 0:  # nothing to multiply (and an empty gradient)
        return x
    kept = [i for i in range(x.ndim) if i not in axes]
    perm = tuple(kept + list(axes))
    rest = tuple(x.shape[i] for i in kept)
    n = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    flat = x.transpose(perm).reshape(rest + (n,))  # each group on the last axis
    if isinstance(x, Tensor):  # others[..., i] = prod(flat[..., j] for j != i): differentiable again
        idx = np.array([[j for j in range(n) if j != i] for i in range(n)], dtype=np.intp).reshape(n, n - 1)
        others = flat[..., idx].prod(axis=-1)
    else:  # exclusive products from the left and from the right: O(n), no division
        ones = np.ones(rest + (1,), dtype=x.dtype)
        left = np.concatenate([ones, np.cumprod(flat[..., :-1], axis=-1)], axis=-1)
        right = np.concatenate([np.cumprod(flat[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
        others = left * right
    inverse = tuple(int(i) for i in np.argsort(perm))
    return others.reshape(tuple(x.shape[i] for i in perm)).transpose(inverse)


class CumSum(Function):
    """out[..., k, ...] = Σ_{j≤k} x[..., j, ...] along ``axis`` (an int).

    Backward: dL/dx_j = Σ_{k≥j} g_k, the cumulative sum of g taken from the end (reverse, cumsum,
    reverse), itself a cumsum, so differentiable again.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int) -> Any:
        (axis,) = normalize_axes(axis, max(x.ndim, 1))
        ctx.flip = (slice(None),) * axis + (slice(None, None, -1),)
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g[ctx.flip].cumsum(axis=ctx.axis)[ctx.flip]


# ---- shape ops ---------------------------------------------------------------------------
class Reshape(Function):
    """out = x with a new shape (same elements, same order).  Backward: g reshaped back."""

    @staticmethod
    def forward(ctx: Any, x: Any, shape: int | Sequence[int]) -> Any:
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
        except IndexError as e:  # NumPy's AxisError: ours, with the shape
            raise AxisError(f"{e} (input shape {x.shape})") from None
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
            if part.size == 0:  # [] is an integer index of length 0 (NumPy's and PyTorch's reading)
                part = part.astype(np.intp)
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


# ---- more shape ops ----------------------------------------------------------------------
# unsqueeze, squeeze, view, flatten, expand_dims (reshapes), expand (broadcast_to), gather,
# take_along_axis and split/chunk (indexing) are exact composites of the ops above; the
# Functions below are the shape ops that need a backward of their own.
def index_array(index: Any, what: str) -> np.ndarray:
    """An integer index (Tensor, array or list) as an ndarray, or a TypeError naming ``what``."""
    arr = index.data if isinstance(index, Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and arr.dtype.kind == "f"):
        raise TypeError(f"{what}: index must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.intp, copy=False)


class Flip(Function):
    """out = x reversed along ``dims``.  Backward: dL/dx = g reversed along the same dims
    (flipping is its own inverse and its own adjoint)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple[int, ...]) -> Any:
        ctx.index = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(x.ndim))
        return x[ctx.index]

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g[ctx.index]  # on a Tensor this is GetItem: differentiable again


class Repeat(Function):
    """out = x tiled ``sizes[d]`` times along each axis d (PyTorch's ``repeat``, NumPy's ``tile``);
    x is first viewed with leading 1-axes so that it has ``len(sizes)`` dimensions.

    Backward: each input element appears once in every tile, so dL/dx is the sum of g over the
    tiles: g reshaped to (r0, n0, r1, n1, ...) and summed over the r axes.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, sizes: tuple[int, ...]) -> Any:
        lead = (1,) * (len(sizes) - x.ndim) + x.shape
        ctx.split = tuple(n for pair in zip(sizes, lead) for n in pair)
        ctx.tile_axes = tuple(range(0, 2 * len(sizes), 2))
        return np.tile(x.reshape(lead), sizes)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        summed = g.reshape(ctx.split).sum(axis=ctx.tile_axes)
        return summed.reshape(ctx.parents[0].shape)


class Cat(Function):
    """out = the inputs joined along ``dim`` (all other sizes equal).

    Backward: dL/dx_i = the slice of g along ``dim`` that x_i occupies.
    """

    @staticmethod
    def forward(ctx: Any, *xs: Any, dim: int) -> Any:
        ends = np.cumsum([x.shape[dim] for x in xs])
        lead = (slice(None),) * dim
        ctx.slices = [lead + (slice(int(e) - x.shape[dim], int(e)),) for x, e in zip(xs, ends)]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return tuple(g[s] if need else None for s, need in zip(ctx.slices, ctx.needs_input_grad))


class Stack(Function):
    """out = the inputs (all of one shape) stacked along a new axis ``dim``.

    Backward: dL/dx_i = g[..., i, ...], indexed at position i of the new axis.
    """

    @staticmethod
    def forward(ctx: Any, *xs: Any, dim: int) -> Any:
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        lead = (slice(None),) * ctx.dim
        return tuple(g[lead + (i,)] if need else None for i, need in enumerate(ctx.needs_input_grad))


class Where(Function):
    """out = x where ``condition`` else y (broadcast together; ``condition`` is a constant).

    Backward: dL/dx = where(condition, g, 0) and dL/dy = where(condition, 0, g), each summed back
    to its input's shape: the unpicked input gets an exact zero, even where g is inf or nan.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, condition: Any) -> Any:
        ctx.condition = condition
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y = ctx.parents
        need_x, need_y = ctx.needs_input_grad
        c = ctx.condition
        gx: Any
        gy: Any
        if isinstance(g, Tensor):  # recorded, so the gradient is differentiable again (it is linear in g)
            zero = np.zeros((), dtype=g.dtype)
            gx = Where.apply(g, zero, condition=c) if need_x else None
            gy = Where.apply(zero, g, condition=c) if need_y else None
        else:
            gx = np.where(c, g, 0).astype(g.dtype, copy=False) if need_x else None
            gy = np.where(c, 0, g).astype(g.dtype, copy=False) if need_y else None
        return (sum_to(gx, x.shape) if need_x else None, sum_to(gy, y.shape) if need_y else None)


def _pad_array(x: Any, widths: tuple[tuple[int, int], ...], value: Any) -> Any:
    """x with ``widths[d] = (before, after)`` added on axis d: positive widths add ``value``,
    negative ones cut entries off (PyTorch's negative padding)."""
    crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape))
    x = x[crop]
    grow = [(max(b, 0), max(a, 0)) for b, a in widths]
    if not any(b or a for b, a in grow):
        return x
    return np.pad(x, grow, mode="constant", constant_values=value)


class Pad(Function):
    """out = x with constant ``value`` padded on each axis: ``widths[d] = (before, after)``;
    negative widths crop (as in PyTorch).

    Backward: dL/dx = g with the padding cut off and the cropped entries restored as zeros,
    that is, ``Pad`` with the widths negated and value 0 (the adjoint of adding constants is
    cropping, and the adjoint of cropping is zero-padding).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, widths: tuple[tuple[int, int], ...], value: Any) -> Any:
        ctx.inverse = tuple((-b, -a) for b, a in widths)
        return _pad_array(x, widths, value)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        if isinstance(g, Tensor):
            return Pad.apply(g, widths=ctx.inverse, value=0)
        return _pad_array(g, ctx.inverse, 0)
