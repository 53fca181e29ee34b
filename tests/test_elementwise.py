"""The elementwise ops of issue 12 (sqrt, abs, relu, sigmoid, clamp/clip, maximum/minimum, sin, cos,
log1p, expm1, square, sign, floor, ceil, round) and einsum.

Forward values are compared with NumPy (or a closed form written here in NumPy); gradients with
float64 central differences through ``gradcheck`` and, for second derivatives, ``gradgradcheck``.
Inputs come from the strategies in ``tinygrad_softmax.testing``, kept away from the kinks where a
finite difference cannot see a derivative. PyTorch's conventions at those kinks (abs and relu at 0,
clamp at its bounds, maximum/minimum on ties) are tested on their own, with the numbers PyTorch
documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor, gradcheck
from tinygrad_softmax.testing import (
    arrays,
    arrays_away_from,
    assert_grads_match,
    broadcastable_shapes,
    shapes,
    tie_free_arrays,
)

small = shapes(max_dims=3, max_side=3)


def grad_of(fn: Callable[[Tensor], Tensor], x: Any) -> np.ndarray:
    """d sum(fn(x)) / dx by backward (the engine under test, for the edge conventions)."""
    t = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    fn(t).sum().backward()
    assert t.grad is not None
    return t.grad.data


# ---- smooth unary ops: values and first and second derivatives ------------------------------
# name: (method, NumPy oracle, input strategy over a shape)
UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray], np.ndarray], Any]] = {
    "sqrt": (lambda t: t.sqrt(), np.sqrt, lambda s: arrays(s, min_value=0.1, max_value=10)),
    "abs": (lambda t: t.abs(), np.abs, lambda s: arrays_away_from(0.0, s, margin=1e-2)),
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0), lambda s: arrays_away_from(0.0, s, margin=1e-2)),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), lambda s: arrays(s)),
    "sin": (lambda t: t.sin(), np.sin, lambda s: arrays(s)),
    "cos": (lambda t: t.cos(), np.cos, lambda s: arrays(s)),
    "log1p": (lambda t: t.log1p(), np.log1p, lambda s: arrays(s, min_value=-0.9, max_value=10)),
    "expm1": (lambda t: t.expm1(), np.expm1, lambda s: arrays(s, min_value=-10, max_value=4)),
    "square": (lambda t: t.square(), np.square, lambda s: arrays(s)),
    "clamp": (lambda t: t.clamp(-1.0, 2.0), lambda a: np.clip(a, -1.0, 2.0),
              lambda s: arrays_away_from([-1.0, 2.0], s, margin=1e-2, min_value=-4, max_value=4)),
    "clip": (lambda t: t.clip(None, 0.5), lambda a: np.minimum(a, 0.5),
             lambda s: arrays_away_from(0.5, s, margin=1e-2, min_value=-4, max_value=4)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=20)
@given(data=st.data())
def test_unary_values_and_derivatives(name: str, data: Any) -> None:
    method, oracle, strategy = UNARY[name]
    x = data.draw(strategy(small))
    out = method(Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, oracle(x), rtol=1e-13, atol=1e-15)
    assert_grads_match(method, x, second_order=True)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_keeps_float32(name: str) -> None:
    method, oracle, _ = UNARY[name]
    x = np.array([[0.25, 1.5], [3.0, 0.75]], dtype=np.float32)
    out = method(Tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, oracle(x.astype(np.float64)), rtol=1e-6)


# ---- piecewise-constant ops: values, and a zero gradient -----------------------------------
STEP = {
    "sign": (lambda t: t.sign(), np.sign),
    "floor": (lambda t: t.floor(), np.floor),
    "ceil": (lambda t: t.ceil(), np.ceil),
    "round": (lambda t: t.round(), np.round),
    "round(decimals=1)": (lambda t: t.round(decimals=1), lambda a: np.round(a, 1)),
}


@pytest.mark.parametrize("name", sorted(STEP))
@settings(max_examples=20)
@given(x=arrays(small, min_value=-5, max_value=5))
def test_step_functions_have_numpy_values_and_zero_gradient(name: str, x: np.ndarray) -> None:
    method, oracle = STEP[name]
    np.testing.assert_array_equal(method(Tensor(x)).data, oracle(x))
    g = grad_of(method, x)
    assert g.shape == x.shape and not g.any()


# gradcheck and gradgradcheck away from the jumps: the op catalog's rows (tests/test_op_catalog.py)


def test_round_halves_to_even_as_numpy_and_pytorch() -> None:
    x = Tensor([0.5, 1.5, 2.5, -0.5, -1.5])
    assert Tensor(x).round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]


def test_step_functions_keep_integer_dtypes() -> None:
    t = Tensor(np.array([-2, 0, 3], dtype=np.int32))
    for out in (t.sign(), t.floor(), t.ceil(), t.round(), t.abs(), t.square()):
        assert out.dtype == np.int32
    assert t.abs().tolist() == [2, 0, 3] and t.square().tolist() == [4, 0, 9]


# ---- PyTorch's conventions at the kinks -----------------------------------------------------
def test_abs_gradient_is_zero_at_zero() -> None:
    np.testing.assert_array_equal(grad_of(lambda t: t.abs(), [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad_of(lambda t: abs(t), [-0.0, 0.5]), [0.0, 1.0])


def test_relu_at_zero_infinities_and_nan() -> None:
    np.testing.assert_array_equal(grad_of(lambda t: t.relu(), [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    out = Tensor([-np.inf, np.inf, np.nan]).relu().data
    assert out[0] == 0.0 and out[1] == np.inf and np.isnan(out[2])


def test_relu_is_one_node_named_relu() -> None:
    x = Tensor([1.0, -1.0], requires_grad=True)
    y = x.relu()
    assert y.grad_fn is not None and y.grad_fn.name == "ReLU"
    assert "ReLU" in tg.to_dot(y) and "Mul" not in tg.to_dot(y)


def test_clamp_gradient_is_one_at_the_bounds_and_zero_outside() -> None:
    x = [-2.0, -1.0, 0.0, 1.0, 2.0]
    np.testing.assert_array_equal(grad_of(lambda t: t.clamp(-1.0, 1.0), x), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(grad_of(lambda t: t.clamp(min=0.0), x), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(grad_of(lambda t: t.clamp(max=0.0), x), [1, 1, 1, 0, 0])


def test_clamp_with_min_above_max_gives_max_and_zero_gradient() -> None:
    x = [-1.0, 0.5, 3.0]
    t = Tensor(x, requires_grad=True)
    out = t.clamp(2.0, 1.0)
    assert out.tolist() == [1.0, 1.0, 1.0]
    out.sum().backward()
    assert t.grad is not None and t.grad.tolist() == [0.0, 0.0, 0.0]


def test_clamp_with_array_bounds_broadcasts() -> None:
    x = np.array([[-3.0, 0.2], [4.0, 0.9]])
    lo, hi = np.array([-1.0, 0.5]), Tensor([[0.0], [2.0]])
    out = Tensor(x).clamp(lo, hi)
    np.testing.assert_array_equal(out.data, np.minimum(np.maximum(x, lo), hi.data))
    assert gradcheck(lambda t: t.clamp(lo, hi), [np.array([[-3.0, 0.7], [4.0, 0.9]])])


@settings(max_examples=25)
@given(data=st.data())
def test_clamp_with_broadcast_array_bounds(data: Any) -> None:
    sx, sb = data.draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    lo = data.draw(tie_free_arrays(sb, max_abs=3))  # bounds on the 1/8 grid, x off it by 1/16:
    hi = lo + 0.75  # no entry of x is within 1/16 of a bound
    x = data.draw(tie_free_arrays(sx, max_abs=4)) + 1 / 16
    out = Tensor(x).clamp(lo, Tensor(hi))
    np.testing.assert_array_equal(out.data, np.minimum(np.maximum(x, lo), hi))
    assert_grads_match(lambda t: t.clamp(lo, hi), x, second_order=True)


def test_clip_is_clamp_under_both_spellings() -> None:
    x = Tensor([-2.0, 0.5, 2.0])
    want = [-1.0, 0.5, 1.0]
    assert x.clip(-1.0, 1.0).tolist() == want
    assert x.clip(a_min=-1.0, a_max=1.0).tolist() == want
    assert x.clip(min=-1.0, max=1.0).tolist() == want
    assert x.clamp(-1.0, 1.0).tolist() == want


def test_clamp_errors() -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="at least one of min and max"):
        x.clamp()
    with pytest.raises(TypeError, match="maximum"):
        x.clamp(min=Tensor([0.0, 0.0], requires_grad=True))
    with pytest.raises(TypeError, match="once"):
        x.clip(0.0, min=0.0)


# ---- maximum / minimum ------------------------------------------------------------------------
@st.composite
def tie_free_pair(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two broadcastable arrays that never tie: a on the 1/8 grid, b on the grid shifted by 1/16."""
    sa, sb = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    return draw(tie_free_arrays(sa)), draw(tie_free_arrays(sb)) + 1 / 16


@pytest.mark.parametrize("name,oracle", [("maximum", np.maximum), ("minimum", np.minimum)])
@settings(max_examples=25)
@given(pair=tie_free_pair())
def test_maximum_minimum_values_and_derivatives_under_broadcasting(name: str, oracle: Any,
                                                                    pair: Any) -> None:
    a, b = pair
    out = getattr(Tensor(a), name)(Tensor(b))
    np.testing.assert_array_equal(out.data, oracle(a, b))
    np.testing.assert_array_equal(getattr(tg, name)(a, Tensor(b)).data, oracle(a, b))
    assert_grads_match(lambda x, y: getattr(x, name)(y), a, b, second_order=True)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_ties_evenly(name: str) -> None:
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 5.0, 0.0], requires_grad=True)
    getattr(a, name)(b).sum().backward()
    assert a.grad is not None and b.grad is not None
    win_a = [0.5, 0.0, 1.0] if name == "maximum" else [0.5, 1.0, 0.0]
    assert a.grad.tolist() == win_a
    assert b.grad.tolist() == [1.0 - w for w in win_a]
    # a broadcast scalar tying with two entries collects both halves (+1 where it wins outright)
    s = Tensor(2.0, requires_grad=True)
    getattr(Tensor([2.0, 2.0, 1.0]), name)(s).sum().backward()
    assert s.grad is not None and s.grad.item() == (2.0 if name == "maximum" else 1.0)


def test_maximum_with_a_number_and_nan() -> None:
    assert Tensor([1.0, -1.0]).maximum(0).tolist() == [1.0, 0.0]
    assert Tensor([1.0, -1.0]).minimum(0.5).tolist() == [0.5, -1.0]
    out = tg.maximum(Tensor([np.nan, 1.0]), Tensor([0.0, np.nan]))
    assert np.isnan(out.data).all()


# ---- sigmoid and sqrt extremes --------------------------------------------------------------
def test_sigmoid_has_no_overflow_and_keeps_tiny_values() -> None:
    x = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out = Tensor(x).sigmoid().data
    want = np.exp(-np.logaddexp(0.0, -x))  # 1/(1 + e^-x) = exp(-log(1 + e^-x)), stable in NumPy
    np.testing.assert_allclose(out, want, rtol=1e-15, atol=0)
    assert out[1] > 0  # 4e-18, not 0


def test_sqrt_gradient_at_zero_is_inf() -> None:
    with np.errstate(divide="ignore"):
        g = grad_of(lambda t: t.sqrt(), [0.0, 4.0])
    assert g[0] == np.inf and g[1] == 0.25


# ---- softmax / log_softmax methods -----------------------------------------------------------
def test_softmax_methods_match_numpy_and_take_dim_or_axis() -> None:
    x = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    e = np.exp(x - x.max(axis=1, keepdims=True))
    want = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(Tensor(x).softmax(dim=1).data, want, rtol=1e-14)
    np.testing.assert_allclose(Tensor(x).softmax(-1).data, want, rtol=1e-14)
    np.testing.assert_allclose(Tensor(x).log_softmax(axis=1).data, np.log(want), rtol=1e-14)
    with pytest.raises(TypeError, match="dim=-1"):
        Tensor(x).softmax()
    with pytest.raises(TypeError, match="both"):
        Tensor(x).log_softmax(dim=1, axis=1)


# ---- einsum ----------------------------------------------------------------------------------
EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("ij,jk", [(2, 3), (3, 2)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("bij,bjk->bik", [(2, 3, 2), (2, 2, 3)]),
    ("...ij,jk->...ik", [(2, 2, 3), (3, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij,k->jk", [(2, 2, 3), (2,)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),  # size-1 axes broadcast, as in NumPy and PyTorch
    ("ij,ij->ij", [(1, 3), (2, 1)]),
    ("bij,bjk->bik", [(1, 2, 3), (2, 3, 2)]),
]


@pytest.mark.parametrize("subscripts,shapes_", EINSUM, ids=[e[0] for e in EINSUM])
@settings(max_examples=5)
@given(data=st.data())
def test_einsum_values_and_derivatives(subscripts: str, shapes_: list[tuple[int, ...]], data: Any) -> None:
    xs = [data.draw(arrays(s, min_value=-3, max_value=3)) for s in shapes_]
    out = tg.einsum(subscripts, *[Tensor(x) for x in xs])
    np.testing.assert_allclose(out.data, np.einsum(subscripts, *xs), rtol=1e-12, atol=1e-12)
    assert_grads_match(lambda *ts: tg.einsum(subscripts, *ts), *xs, second_order=True)


def test_einsum_takes_a_list_of_operands_and_matches_matmul_gradient() -> None:
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.arange(12.0).reshape(3, 4) / 7, requires_grad=True)
    tg.functional.einsum("ij,jk->ik", [a, b]).sum().backward()
    assert a.grad is not None and b.grad is not None
    np.testing.assert_allclose(a.grad.data, np.ones((2, 4)) @ b.data.T)
    np.testing.assert_allclose(b.grad.data, a.data.T @ np.ones((2, 4)))


@pytest.mark.parametrize("subscripts,shapes_,match", [
    ("ij,jk->ik", [(3, 4), (5, 2)], "'j' has size 4"),
    ("ij,jk->ik", [(3, 4), (2, 2)], "equal or 1"),
    ("ij", [(3,)], "names 2 axes"),
    ("i1", [(3, 3)], "letters"),
    ("ij->ii", [(2, 2)], "distinct letters"),
    ("ij->k", [(2, 2)], "appear among the inputs"),
    ("ij,jk", [(2, 2)], "name 2 operand"),
])
def test_einsum_errors_say_what_is_wrong(subscripts: str, shapes_: list[tuple[int, ...]], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tg.einsum(subscripts, *[Tensor(np.ones(s)) for s in shapes_])
