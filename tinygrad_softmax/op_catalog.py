"""The op catalog: every differentiable op, the input domain it is checked on, and its reference.

One table (``build_cases``) feeds both the ``tinygrad-softmax gradcheck`` command and the test
suite (``tests/test_op_catalog.py`` runs ``gradcheck`` and ``gradgradcheck`` on every row). A row
(``Case``) is an op name, a description of the shapes (and domain), the function to check and
its inputs, drawn from a seeded generator *in the op's domain*: positive for ``log``/``sqrt``,
tie-free for ``max``/``min`` (``_tie_free``), away from the kinks of ``relu``/``abs``
(``_away_from_zero``), off the jumps of ``floor``/``round``. The reference every row is checked
against is the same for all: float64 central differences of the function itself, never the
code under test. Floating inputs are checked; integer arrays (labels, indices) are held fixed.

New ops add their rows at the end of the list, in a block with a comment naming their part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import functional as F
from . import nn
from .joining import cat, stack, take_along_axis, where
from .tensor import Tensor

__all__ = ["Case", "build_cases"]


@dataclass
class Case:
    """One row: ``fn`` applied to ``inputs`` (floating arrays are checked, the rest held fixed)."""

    op: str
    shapes: str
    fn: Callable[..., Tensor]
    inputs: list[Any]
    eps: float | None = None   # a case that needs another step (see astype)
    note: str = ""
    second_order: bool = True  # False where the first derivative jumps at these very inputs


def _tie_free(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct values on a grid of 1/8: no ties and no near-ties for max."""
    n = int(np.prod(shape))
    return rng.permutation(np.arange(-4 * n, 4 * n))[:n].reshape(shape) / 8.0


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], lo: float = 0.5,
                    hi: float = 2.0) -> np.ndarray:
    return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def build_cases(seed: int = 0) -> list[Case]:
    """The table of checks, inputs drawn from ``np.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)

    def r(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape)

    def pos(*shape: int) -> np.ndarray:
        return rng.uniform(0.5, 3.0, shape)

    cases = [
        Case("add", "(3, 4) + (3, 4)", lambda a, b: a + b, [r(3, 4), r(3, 4)]),
        Case("add", "(3, 4) + (4,)", lambda a, b: a + b, [r(3, 4), r(4)]),
        Case("add", "() + (2, 3)", lambda a, b: a + b, [r(), r(2, 3)]),
        Case("sub", "(3, 4) - (4,)", lambda a, b: a - b, [r(3, 4), r(4)]),
        Case("sub", "(2, 1, 3) - (4, 1)", lambda a, b: a - b, [r(2, 1, 3), r(4, 1)]),
        Case("mul", "(3, 4) * (4,)", lambda a, b: a * b, [r(3, 4), r(4)]),
        Case("mul", "(2, 1, 3) * (4, 1)", lambda a, b: a * b, [r(2, 1, 3), r(4, 1)]),
        Case("div", "(3, 4) / (4,)", lambda a, b: a / b, [r(3, 4), _away_from_zero(rng, (4,))]),
        Case("div", "(3, 1) / (1, 4)", lambda a, b: a / b, [r(3, 1), _away_from_zero(rng, (1, 4))]),
        Case("neg", "(3, 4)", lambda a: -a, [r(3, 4)]),
        Case("pow", "(3, 4) ** 3", lambda a: a ** 3, [r(3, 4)]),
        Case("pow", "(3, 4) ** -1.5 (x > 0)", lambda a: a ** -1.5, [pos(3, 4)]),
        Case("pow", "(3,) ** (3,) (tensor exponent)", lambda a, b: a ** b, [pos(3), r(3)]),
        Case("matmul", "(3, 4) @ (4, 2)", lambda a, b: a @ b, [r(3, 4), r(4, 2)]),
        Case("matmul", "(4,) @ (4, 3)", lambda a, b: a @ b, [r(4), r(4, 3)]),
        Case("matmul", "(3, 4) @ (4,)", lambda a, b: a @ b, [r(3, 4), r(4)]),
        Case("matmul", "(4,) @ (4,)", lambda a, b: a @ b, [r(4), r(4)]),
        Case("matmul", "(2, 3, 4) @ (4, 2)", lambda a, b: a @ b, [r(2, 3, 4), r(4, 2)]),
        Case("matmul", "(2, 1, 3, 4) @ (3, 4, 2)", lambda a, b: a @ b, [r(2, 1, 3, 4), r(3, 4, 2)]),
        Case("exp", "(3, 4)", lambda a: a.exp(), [r(3, 4)]),
        Case("log", "(3, 4), x > 0", lambda a: a.log(), [pos(3, 4)]),
        Case("tanh", "(3, 4)", lambda a: a.tanh(), [r(3, 4)]),
        Case("sum", "(2, 3, 4), axis=None", lambda a: a.sum(), [r(2, 3, 4)]),
        Case("sum", "(2, 3, 4), axis=1", lambda a: a.sum(axis=1), [r(2, 3, 4)]),
        Case("sum", "(2, 3, 4), axis=(0, 2), keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True),
             [r(2, 3, 4)]),
        Case("max", "(3, 4) tie-free, axis=None", lambda a: a.max(), [_tie_free(rng, (3, 4))]),
        Case("max", "(3, 4) tie-free, axis=1", lambda a: a.max(axis=1), [_tie_free(rng, (3, 4))]),
        Case("max", "(2, 3, 4) tie-free, axis=0, keepdims", lambda a: a.max(axis=0, keepdims=True),
             [_tie_free(rng, (2, 3, 4))]),
        Case("getitem", "(4, 5)[1:, ::2]", lambda a: a[1:, ::2], [r(4, 5)]),
        Case("getitem", "(4, 5)[2] and [-1, None]", lambda a: a[2] * 2 + a[-1, None].sum(), [r(4, 5)]),
        Case("getitem", "(5,)[[0, 2, 0, 0, 4]] (repeats)", lambda a: a[np.array([0, 2, 0, 0, 4])], [r(5)]),
        Case("getitem", "(3, 4)[[[0, 2], [2, 2]], [1, 1]]",
             lambda a: a[np.array([[0, 2], [2, 2]]), np.array([1, 1])], [r(3, 4)]),
        Case("getitem", "(3, 4)[mask]", lambda a: a[np.array([[True, False, True, True]] * 3)], [r(3, 4)]),
        Case("getitem", "(2, 3, 4)[..., 1]", lambda a: a[..., 1], [r(2, 3, 4)]),
        Case("reshape", "(3, 4) -> (2, 6)", lambda a: a.reshape(2, 6), [r(3, 4)]),
        Case("reshape", "(2, 3, 4) -> (-1,)", lambda a: a.reshape(-1), [r(2, 3, 4)]),
        Case("transpose", "(3, 4).T", lambda a: a.T, [r(3, 4)]),
        Case("transpose", "(2, 3, 4).transpose(1, 2, 0)", lambda a: a.transpose(1, 2, 0), [r(2, 3, 4)]),
        Case("broadcast_to", "(4,) -> (3, 4)", lambda a: a.broadcast_to((3, 4)), [r(4)]),
        Case("broadcast_to", "(3, 1) -> (2, 3, 4)", lambda a: a.broadcast_to((2, 3, 4)), [r(3, 1)]),
        Case("astype", "float64 -> float32 (eps 1e-3)", lambda a: a.astype(np.float32), [r(3, 4)], eps=1e-3,
             note="the output is float32, so the step must dwarf float32 rounding; the map is linear, so "
                  "a large step costs no truncation error"),
        Case("astype", "float32 -> float64", lambda a: a.astype(np.float64) * 3,
             [r(3, 4).astype(np.float32)]),
        Case("mean", "(3, 4), axis=0 [composite]", lambda a: a.mean(axis=0), [r(3, 4)]),
        Case("min", "(3, 4) tie-free, axis=1", lambda a: a.min(axis=1), [_tie_free(rng, (3, 4))]),
        Case("relu", "(3, 4), |x| >= 0.5", lambda a: a.relu(), [_away_from_zero(rng, (3, 4))]),
        Case("log_softmax", "(3, 4), axis=-1", lambda a: F.log_softmax(a), [r(3, 4) * 3]),
        Case("softmax", "(3, 4), axis=0", lambda a: F.softmax(a, axis=0), [r(3, 4) * 3]),
        # ---- part B (issue 12): shape ops; each output is squared so that the second derivative
        # (--second-order) depends on the op's backward being recorded, not just on a linear map
        Case("unsqueeze", "(3, 4).unsqueeze(1) [composite]", lambda a: a.unsqueeze(1) ** 2, [r(3, 4)]),
        Case("squeeze", "(3, 1, 4).squeeze(1) [composite]", lambda a: a.squeeze(1) ** 2, [r(3, 1, 4)]),
        Case("expand", "(3, 1).expand(2, -1, 4) [composite]", lambda a: a.expand(2, -1, 4) ** 2, [r(3, 1)]),
        Case("flatten", "(2, 3, 4).flatten(1) [composite]", lambda a: a.flatten(1) ** 2, [r(2, 3, 4)]),
        Case("flip", "(2, 3, 4).flip(0, 2)", lambda a: a.flip(0, 2) ** 2, [r(2, 3, 4)]),
        Case("repeat", "(2, 3).repeat(2, 1, 3)", lambda a: a.repeat(2, 1, 3) ** 2, [r(2, 3)]),
        Case("cat", "(2, 3), (2, 1) along dim 1", lambda a, b: cat([a, b, a], dim=1) ** 2,
             [r(2, 3), r(2, 1)]),
        Case("stack", "(2, 3), (2, 3) at dim -1", lambda a, b: stack([a, b], dim=-1) ** 2,
             [r(2, 3), r(2, 3)]),
        Case("split", "(5, 2).split([2, 3]) [composite]", lambda a: a.split([2, 3])[1] ** 2, [r(5, 2)]),
        Case("chunk", "(5, 2).chunk(2) [composite]", lambda a: a.chunk(2)[1] ** 2, [r(5, 2)]),
        Case("gather", "(3, 4).gather(1, (3, 5) with repeats) [composite]",
             lambda a: a.gather(1, np.array([[0, 0, 3, 1, 0], [2, 2, 2, 1, 0], [3, 3, 0, 1, 1]])) ** 2,
             [r(3, 4)]),
        Case("take_along_axis", "(3, 4), (1, 4) indices, axis 0 [composite]",
             lambda a: take_along_axis(a, np.array([[2, -1, 0, 2]]), 0) ** 2, [r(3, 4)]),
        Case("masked_fill", "(3, 4), (4,) mask, 0-d tensor value",
             lambda a, v: a.masked_fill(np.array([True, False, False, True]), v) ** 2, [r(3, 4), r()]),
        Case("where", "(3, 1) ? (3, 4) : (4,)",
             lambda a, b: where(np.array([[True], [False], [True]]), a, b) ** 2, [r(3, 4), r(4)]),
        Case("pad", "(2, 3), (1, 2, -1, 1), value 0.5",
             lambda a: F.pad(a, (1, 2, -1, 1), value=0.5) ** 2, [r(2, 3)]),
    ]
    losses = (("cross_entropy", F.cross_entropy), ("softmax_cross_entropy", F.softmax_cross_entropy))
    for name, loss in losses:
        y = rng.integers(0, 3, 4)
        y_ignored = np.array([0, -100, 2, 1])
        probs = rng.dirichlet(np.ones(3), 4)
        weight = Tensor(rng.uniform(0.5, 2.0, 3))
        cases += [
            Case(name, "(4, 3), class indices, mean", lambda x, t, f=loss: f(x, t), [r(4, 3) * 3, y]),
            Case(name, "(4, 3), weight, sum",
                 lambda x, t, f=loss, w=weight: f(x, t, weight=w, reduction="sum"), [r(4, 3) * 3, y]),
            Case(name, "(4, 3), reduction='none'", lambda x, t, f=loss: f(x, t, reduction="none"),
                 [r(4, 3) * 3, y]),
            Case(name, "(4, 3), ignore_index, label_smoothing=0.1",
                 lambda x, t, f=loss: f(x, t, ignore_index=-100, label_smoothing=0.1),
                 [r(4, 3) * 3, y_ignored]),
            Case(name, "(4, 3), probability targets", lambda x, t, f=loss: f(x, t),
                 [r(4, 3) * 3, Tensor(probs)]),
            Case(name, "(2, 3, 2) logits, (2, 2) targets", lambda x, t, f=loss: f(x, t),
                 [r(2, 3, 2) * 3, rng.integers(0, 3, (2, 2))]),
            Case(name, "(3,) logits, 0-d target", lambda x, t, f=loss: f(x, t), [r(3) * 3, np.array(1)]),
        ]
    # ---- helper D: nn layers (weight and bias are checked inputs too) ----
    cases += [
        Case("layer_norm", "(3, 4) over (4,), weight, bias", _layer_norm, [r(3, 4), r(4), r(4)]),
        Case("layer_norm", "(2, 3, 4) over (3, 4), weight, bias", _layer_norm,
             [r(2, 3, 4), r(3, 4), r(3, 4)]),
        Case("embedding", "(5, 3) table, (2, 3) indices (repeats)", _embedding,
             [r(5, 3), np.array([[0, 2, 2], [4, 2, 0]])]),
        Case("flatten", "(2, 3, 4), start_dim=1", lambda a: nn.Flatten()(a), [r(2, 3, 4)]),
    ]
    # ---- issue 12, part C: elementwise ops, activations, losses, einsum ----
    y5 = rng.integers(0, 3, 4)
    steps = r(3, 4).round() + 0.3  # 0.3 from the integers and 0.2 from the halves: no jump within eps
    cases += [
        Case("sqrt", "(3, 4), x > 0", lambda a: a.sqrt(), [pos(3, 4)]),
        Case("abs", "(3, 4), |x| >= 0.5", lambda a: a.abs(), [_away_from_zero(rng, (3, 4))]),
        Case("sigmoid", "(3, 4)", lambda a: a.sigmoid(), [r(3, 4) * 3]),
        Case("clamp", "(3, 4).clamp(-0.25, 0.25), off the bounds", lambda a: a.clamp(-0.25, 0.25),
             [np.array([[-1.0, -0.1, 0.0, 0.2], [0.5, -0.3, 0.1, 2.0], [0.05, -0.2, 0.24, -0.24]])]),
        Case("maximum", "(3, 4) vs (4,) tie-free", lambda a, b: a.maximum(b),
             [_tie_free(rng, (3, 4)), _tie_free(rng, (4,)) + 1 / 16]),
        Case("minimum", "(3, 1) vs (1, 4) tie-free", lambda a, b: a.minimum(b),
             [_tie_free(rng, (3, 1)), _tie_free(rng, (1, 4)) + 1 / 16]),
        Case("sin", "(3, 4)", lambda a: a.sin(), [r(3, 4) * 3]),
        Case("cos", "(3, 4)", lambda a: a.cos(), [r(3, 4) * 3]),
        Case("log1p", "(3, 4), x > -1", lambda a: a.log1p(), [pos(3, 4) - 1.2]),
        Case("expm1", "(3, 4)", lambda a: a.expm1(), [r(3, 4)]),
        Case("square", "(3, 4)", lambda a: a.square(), [r(3, 4)]),
        Case("sign", "(3, 4), |x| >= 0.5 (zero gradient)", lambda a: a.sign(),
             [_away_from_zero(rng, (3, 4))]),
        Case("floor", "(3, 4), off the integers (zero gradient)", lambda a: a.floor(), [steps]),
        Case("ceil", "(3, 4), off the integers (zero gradient)", lambda a: a.ceil(), [steps]),
        Case("round", "(3, 4), off the halves (zero gradient)", lambda a: a.round(), [steps]),
        Case("einsum", "'ij,jk->ik' (3, 4), (4, 2)", lambda a, b: F.einsum("ij,jk->ik", a, b),
             [r(3, 4), r(4, 2)]),
        Case("einsum", "'bij,bj->bi' (2, 3, 4), (2, 4)", lambda a, b: F.einsum("bij,bj->bi", a, b),
             [r(2, 3, 4), r(2, 4)]),
        Case("einsum", "'ii->' trace (3, 3)", lambda a: F.einsum("ii->", a), [r(3, 3)]),
        Case("leaky_relu", "(3, 4), |x| >= 0.5", lambda a: F.leaky_relu(a, 0.1),
             [_away_from_zero(rng, (3, 4))]),
        Case("elu", "(3, 4), |x| >= 0.5", lambda a: F.elu(a), [_away_from_zero(rng, (3, 4))]),
        Case("gelu", "(3, 4), exact (erf)", lambda a: F.gelu(a), [r(3, 4) * 2]),
        Case("gelu", "(3, 4), approximate='tanh'", lambda a: F.gelu(a, approximate="tanh"), [r(3, 4) * 2]),
        Case("silu", "(3, 4)", lambda a: F.silu(a), [r(3, 4) * 2]),
        Case("softplus", "(3, 4), beta=2", lambda a: F.softplus(a, beta=2.0), [r(3, 4) * 2]),
        Case("mse_loss", "(3, 4), mean", lambda a, b: F.mse_loss(a, b), [r(3, 4), r(3, 4)]),
        Case("l1_loss", "(3, 4), sum, x != t", lambda a, b: F.l1_loss(a, b, reduction="sum"),
             [r(3, 4), r(3, 4) + _away_from_zero(rng, (3, 4))]),
        Case("nll_loss", "(4, 3), weight, mean",
             lambda a, t: F.nll_loss(a, t, weight=np.array([0.5, 1.0, 2.0])), [r(4, 3), y5]),
        Case("binary_cross_entropy", "(3, 4), mean", lambda a, b: F.binary_cross_entropy(a, b),
             [rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))]),
        Case("binary_cross_entropy_with_logits", "(3, 4), pos_weight (4,)",
             lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=np.array([0.5, 1.0, 2.0, 3.0])),
             [r(3, 4) * 3, rng.uniform(0, 1, (3, 4))]),
    ]
    # ---- issue 12, part A: exact powers, reductions, PyTorch-style axes ----
    zeros_in = r(3, 4)
    zeros_in[0, 1] = zeros_in[2, 0] = zeros_in[2, 3] = 0.0  # rows with no, one and two zeros
    cases += [
        Case("pow", "(3, 1) ** (4,) (x > 0, broadcast)", lambda a, b: a ** b, [pos(3, 1), r(4)]),
        Case("pow", "(4,) ** (4,) (x < 0, integer y held fixed)", lambda a, b: a ** b,
             [-pos(4), Tensor([0.0, 1.0, 2.0, 3.0])]),
        Case("rpow", "2.5 ** (3, 4)", lambda a: 2.5 ** a, [r(3, 4)]),
        Case("pow", "polynomial Σ c_k x**k, x with zeros",
             lambda a: (1.5 * a ** 0 - 2 * a ** 1 + 0.5 * a ** 2 + a ** 3).sum(),
             [np.array([0.0, 1.5, -0.7, 0.0])]),
        Case("min", "(2, 3, 4) tie-free, dim=(0, 2), keepdim", lambda a: a.amin(dim=(0, 2), keepdim=True),
             [_tie_free(rng, (2, 3, 4))]),
        Case("max", "(3, 4) tie-free, dim=1 -> values", lambda a: a.max(dim=1).values,
             [_tie_free(rng, (3, 4))]),
        Case("prod", "(3, 4), axis=1, rows with 0, 1, 2 zeros", lambda a: a.prod(axis=1), [zeros_in]),
        Case("prod", "(2, 3, 4), axis=None", lambda a: a.prod(), [_away_from_zero(rng, (2, 3, 4), 0.7, 1.3)]),
        Case("var", "(3, 4), dim=1, correction=1", lambda a: a.var(dim=1, correction=1), [r(3, 4)]),
        Case("var", "(3, 4), axis=None, ddof=0", lambda a: a.var(ddof=0), [r(3, 4)]),
        Case("std", "(3, 4), axis=0, unbiased=True", lambda a: a.std(axis=0, unbiased=True), [r(3, 4)]),
        Case("cumsum", "(3, 4), dim=1", lambda a: a.cumsum(dim=1), [r(3, 4)]),
        Case("cumsum", "(2, 3), axis=None (flattened)", lambda a: a.cumsum(), [r(2, 3)]),
        Case("logsumexp", "(3, 4), dim=1 (method)", lambda a: a.logsumexp(1), [r(3, 4) * 3]),
        Case("transpose", "(2, 3, 4).transpose(0, 2) (swap)", lambda a: a.transpose(0, 2), [r(2, 3, 4)]),
        Case("permute", "(2, 3, 4).permute(2, 0, 1)", lambda a: a.permute(2, 0, 1), [r(2, 3, 4)]),
        Case("cross_entropy", "(4, 3), unnormalised real targets",
             lambda x, t: F.cross_entropy(x, t), [r(4, 3) * 3, Tensor(r(4, 3))]),
        Case("softmax_cross_entropy", "(4, 3), unnormalised real targets",
             lambda x, t: F.softmax_cross_entropy(x, t), [r(4, 3) * 3, Tensor(r(4, 3))]),
    ]
    # ---- issue 13 (helper I): item assignment, copy and in-place ops on graph tensors
    cases += [
        Case("setitem", "(3, 4)[1:, ::2] = (2, 2) [IndexPut]", _assign_slice, [r(3, 4), r(2, 2)]),
        Case("setitem", "(3, 4)[[0, 2], [1, 3]] -= (2,) [IndexPut]", _subtract_at, [r(3, 4), r(2)]),
        Case("copy", "(3, 4).copy()", lambda a: a.copy() * 2, [r(3, 4)]),
        Case("in-place", "y = a.exp(); y += b; y *= y (history rebased)", _in_place_chain, [r(3), r(3)]),
    ]
    # ---- issue 16: rows that per-op lists in the tests used to hold ----
    cases += [
        Case("round", "(3, 4), decimals=1, off the jumps (zero gradient)", lambda a: a.round(decimals=1),
             [steps / 10]),
    ]
    # ---- issue 12, review: the rest of its list (methods and functional spellings, modules) ----
    tied = np.array([[1.5, 1.5, -0.5, 0.25], [-2.0, 0.75, 0.75, -1.0], [0.5, -0.5, 2.0, 2.0]])
    cases += [
        Case("view", "(3, 4).view(2, 6) [composite]", lambda a: a.view(2, 6) ** 2, [r(3, 4)]),
        Case("expand_dims", "(3, 4).expand_dims((0, 2)) [composite]", lambda a: a.expand_dims((0, 2)) ** 2,
             [r(3, 4)]),
        Case("squeeze", "(1, 3, 1, 4).squeeze() [composite]", lambda a: a.squeeze() ** 2, [r(1, 3, 1, 4)]),
        Case("masked_fill", "(3, 4), mask from the data, number value",
             lambda a: a.masked_fill(a.detach() > 0, 1.5) ** 2, [r(3, 4)]),
        Case("clip", "(3, 4).clip(-0.25, 0.25), off the bounds", lambda a: a.clip(-0.25, 0.25),
             [np.array([[-1.0, -0.1, 0.0, 0.2], [0.5, -0.3, 0.1, 2.0], [0.05, -0.2, 0.24, -0.24]])]),
        Case("max", "(3, 4), two-way ties, dim=1 -> values (split evenly)", lambda a: a.max(dim=1).values,
             [tied], note="central differences see half the step at a two-way tie, as the even split; "
                          "the gradient jumps there, so there is no second derivative to check",
             second_order=False),
        Case("min", "(3, 4), two-way ties, axis=1 (split evenly)", lambda a: a.min(axis=1), [-tied],
             second_order=False),
        Case("mean", "(2, 3, 4), dim=(0, 2), keepdim [composite]",
             lambda a: a.mean(dim=(0, 2), keepdim=True) ** 2, [r(2, 3, 4)]),
        Case("std", "(3, 4), dim=1, keepdim, correction=0",
             lambda a: a.std(dim=1, keepdim=True, correction=0), [r(3, 4)]),
        Case("logsumexp", "(2, 3, 4), functional, dim=(0, 2)", lambda a: F.logsumexp(a, dim=(0, 2)),
             [r(2, 3, 4) * 3]),
        Case("softmax", "(2, 3, 4).softmax(dim=1) (method)", lambda a: a.softmax(dim=1), [r(2, 3, 4) * 3]),
        Case("log_softmax", "(2, 3, 4).log_softmax(1) (method)", lambda a: a.log_softmax(1),
             [r(2, 3, 4) * 3]),
        Case("relu", "functional, (3, 4), |x| >= 0.5", lambda a: F.relu(a), [_away_from_zero(rng, (3, 4))]),
        Case("sigmoid", "functional, (3, 4)", lambda a: F.sigmoid(a), [r(3, 4) * 3]),
        Case("tanh", "functional, (3, 4)", lambda a: F.tanh(a), [r(3, 4)]),
        Case("dropout", "(3, 4), p=0.4, a seeded mask", lambda a: F.dropout(a, 0.4, generator=5), [r(3, 4)],
             note="the same seed on every call, so every evaluation uses the same mask"),
        Case("mse_loss", "(3, 4), reduction='none'", lambda a, b: F.mse_loss(a, b, reduction="none"),
             [r(3, 4), r(3, 4)]),
        Case("binary_cross_entropy", "(3, 4), weight (4,), sum",
             lambda a, b: F.binary_cross_entropy(a, b, weight=np.array([0.5, 1.0, 2.0, 1.5]),
                                                 reduction="sum"),
             [rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))]),
        Case("nn.Linear", "(3, 4) @ W (4, 2) + b (2,)", _linear, [r(3, 4), r(4, 2), r(2)]),
        Case("nn.Dropout", "(3, 4), p=0.3, train() with a seeded mask",
             lambda a: nn.Dropout(0.3, generator=11).train()(a), [r(3, 4)]),
        Case("nn.Dropout", "(3, 4), eval(): the identity", lambda a: nn.Dropout(0.3).eval()(a) ** 2,
             [r(3, 4)]),
        Case("nn.Sigmoid", "(3, 4)", lambda a: nn.Sigmoid()(a), [r(3, 4) * 3]),
        Case("nn.GELU", "(3, 4), exact and tanh", lambda a: nn.GELU()(a) + nn.GELU("tanh")(a), [r(3, 4) * 2]),
        Case("nn.SiLU", "(3, 4)", lambda a: nn.SiLU()(a), [r(3, 4) * 2]),
        Case("nn.Identity", "(3, 4)", lambda a: nn.Identity()(a) ** 2, [r(3, 4)]),
    ]
    return cases


# Ops of issue 12 that have no gradient to check, and why (listed by --list and under the table).
NO_GRADIENT = {
    **{name: "creates a new leaf tensor; nothing flows back into its arguments"
       for name in ("zeros", "ones", "full", "arange", "linspace", "eye", "rand", "randn")},
    **{name: "its values do not depend on the input's values, only on its shape and dtype"
       for name in ("zeros_like", "ones_like", "full_like")},
    "argmax": "an integer index: piecewise constant", "argmin": "an integer index: piecewise constant",
    "any": "a bool result", "all": "a bool result", "one_hot": "an integer result",
}


def _linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    layer = nn.Linear(*w.shape)
    object.__setattr__(layer, "weight", w)  # the checked tensors, not fresh parameters
    object.__setattr__(layer, "bias", b)
    return layer(x)


def _layer_norm(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    ln = nn.LayerNorm(w.shape, eps=1e-3)
    object.__setattr__(ln, "weight", w)  # the checked tensors, not fresh parameters
    object.__setattr__(ln, "bias", b)
    return ln(x)


def _embedding(w: Tensor, indices: np.ndarray) -> Tensor:
    emb = nn.Embedding(*w.shape)
    object.__setattr__(emb, "weight", w)
    return emb(indices)


def _assign_slice(a: Tensor, v: Tensor) -> Tensor:
    y = a * 1
    y[1:, ::2] = v
    return y


def _subtract_at(a: Tensor, v: Tensor) -> Tensor:
    y = a * 1
    y[np.array([0, 2]), np.array([1, 3])] -= v
    return y


def _in_place_chain(a: Tensor, b: Tensor) -> Tensor:
    y = a.exp()
    y += b
    y *= y
    return y

