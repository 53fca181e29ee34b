"""functional's activations and losses of issue 12, one_hot, dropout, and the nn modules around them.

References are closed forms written here in NumPy (and the standard library's ``math.erf``),
never the code under test; gradients are checked in float64 against central differences, second
derivatives with ``gradgradcheck``. PyTorch's edge conventions (leaky_relu and elu at 0,
binary_cross_entropy at probabilities 0 and 1, softplus's linear tail, nll_loss's weighted mean)
are spelled out as numbers in their own tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, getcontext
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_softmax.functional as F
from tinygrad_softmax import Tensor, gradcheck, gradgradcheck, nn
from tinygrad_softmax.ops import Erf
from tinygrad_softmax.testing import arrays, arrays_away_from, assert_grads_match, shapes

small = shapes(max_dims=3, max_side=3)
np_erf = np.vectorize(math.erf)


def sigmoid_np(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def softplus_np(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


# ---- erf -------------------------------------------------------------------------------------
def erf_series(x: float, digits: int = 40) -> float:
    """erf by its Maclaurin series in 40-digit decimals: (2/√π) Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))."""
    getcontext().prec = digits
    xd, term, total, n = Decimal(x), Decimal(x), Decimal(0), 0
    while True:
        piece = term / (2 * n + 1)
        total += piece
        if abs(piece) < Decimal(10) ** (-digits):
            break
        n += 1
        term = -term * xd * xd / n
    sqrt_pi = Decimal(math.pi).sqrt()  # pi to double precision is enough for a double result
    return float(2 * total / sqrt_pi)


def test_erf_matches_an_independent_series_and_math_erf() -> None:
    xs = np.concatenate([np.linspace(-4, 4, 81), [1e-8, -3e-5, 0.0]])
    out = Erf.apply(Tensor(xs)).data
    np.testing.assert_allclose(out, [erf_series(float(v)) for v in xs], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(out, [math.erf(v) for v in xs], rtol=1e-15, atol=0)
    assert Erf.apply(Tensor(np.array([np.inf, -np.inf]))).tolist() == [1.0, -1.0]
    assert Erf.apply(Tensor(np.float32(0.5))).dtype == np.float32


def test_vectorised_erf_agrees_with_math_erf_everywhere() -> None:
    # The forward is a vectorised Taylor table, not math.erf per element: compare the two over
    # the whole line, the tails where erf rounds to ±1, tiny and subnormal inputs, and specials.
    rng = np.random.default_rng(12)
    xs = np.concatenate([
        rng.uniform(-7, 7, 20_000), np.linspace(-6.5, 6.5, 20_001),  # every center and midpoint
        np.arange(-6.0, 6.01, 1 / 32), rng.standard_normal(2_000) * 1e-3,
        np.logspace(-323, 1, 2_000), -np.logspace(-323, 1, 2_000),
        [5e-324, -5e-324, 2.2250738585072014e-308, 5.9, 5.95, 6.0, np.nextafter(6.0, 7.0), 26.0, 1e300],
    ])
    got = Erf.apply(Tensor(xs)).data
    want = np.array([math.erf(v) for v in xs])
    normal = np.abs(want) >= np.finfo(np.float64).tiny
    np.testing.assert_allclose(got[normal], want[normal], rtol=1e-15, atol=0)
    # subnormal results: within one step of the subnormal grid (their relative precision is lower)
    assert np.all(np.abs(got[~normal] - want[~normal]) <= 5e-324)
    specials = Erf.apply(Tensor(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0]))).data
    assert np.isnan(specials[0]) and specials[1:3].tolist() == [1.0, -1.0]
    assert specials[3] == 0 and not np.signbit(specials[3]) and np.signbit(specials[4])  # erf(−0) = −0
    zero_d = Erf.apply(Tensor(-0.5))
    assert zero_d.shape == () and abs(zero_d.item() - math.erf(-0.5)) <= 2 * np.spacing(math.erf(0.5))


def test_erf_derivatives() -> None:
    x = np.linspace(-2.5, 2.5, 7)
    assert gradcheck(Erf.apply, [x]) and gradgradcheck(Erf.apply, [x])


# ---- activations ------------------------------------------------------------------------------
def gelu_np(x: np.ndarray) -> np.ndarray:
    return x * 0.5 * (1 + np_erf(x / math.sqrt(2)))


def gelu_tanh_np(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


# name: (function, NumPy oracle, points where it has a kink or a switch)
ACTIVATIONS: dict[str, tuple[Callable[[Any], Tensor], Callable[[np.ndarray], np.ndarray], list[float]]] = {
    "relu": (F.relu, lambda x: np.maximum(x, 0), [0.0]),
    "leaky_relu": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), [0.0]),
    "leaky_relu(0.2)": (lambda t: F.leaky_relu(t, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), [0.0]),
    "elu": (F.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), [0.0]),
    "elu(alpha=0.5)": (lambda t: F.elu(t, alpha=0.5),
                       lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0))), [0.0]),
    "gelu": (F.gelu, gelu_np, []),
    "gelu(tanh)": (lambda t: F.gelu(t, approximate="tanh"), gelu_tanh_np, []),
    "silu": (F.silu, lambda x: x * sigmoid_np(x), []),
    "softplus": (F.softplus, softplus_np, []),
    "softplus(beta=2, threshold=4)": (lambda t: F.softplus(t, beta=2, threshold=4),
                                      lambda x: np.where(2 * x > 4, x, softplus_np(2 * x) / 2), [2.0]),
    "sigmoid": (F.sigmoid, sigmoid_np, []),
    "tanh": (F.tanh, np.tanh, []),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@settings(max_examples=15)
@given(data=st.data())
def test_activation_values_and_derivatives(name: str, data: Any) -> None:
    fn, oracle, kinks = ACTIVATIONS[name]
    x = data.draw(arrays_away_from(kinks, small, margin=1e-2, min_value=-6, max_value=6) if kinks
                  else arrays(small, min_value=-6, max_value=6))
    out = fn(Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, oracle(x), rtol=1e-12, atol=1e-15)
    assert_grads_match(fn, x, second_order=True)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_keeps_float32(name: str) -> None:
    fn, oracle, _ = ACTIVATIONS[name]
    x = np.array([-2.5, -0.5, 0.25, 3.0], dtype=np.float32)
    out = fn(Tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, oracle(x.astype(np.float64)), rtol=2e-6, atol=1e-7)


def grad_at(fn: Callable[[Tensor], Tensor], x: list[float]) -> list[float]:
    t = Tensor(np.array(x), requires_grad=True)
    fn(t).sum().backward()
    assert t.grad is not None
    return t.grad.tolist()


def test_gradients_at_zero_follow_pytorch() -> None:
    assert grad_at(F.relu, [0.0]) == [0.0]
    assert grad_at(lambda t: F.leaky_relu(t, 0.1), [0.0, -1.0, 1.0]) == [0.1, 0.1, 1.0]
    assert grad_at(lambda t: F.elu(t, alpha=0.5), [0.0, 1.0]) == [0.5, 1.0]


def test_activations_at_extremes() -> None:
    big = np.array([-1000.0, -50.0, 50.0, 1000.0, np.inf, -np.inf])
    with np.errstate(over="raise", invalid="raise"):
        sp = F.softplus(Tensor(big)).data
        el = F.elu(Tensor(big)).data
    np.testing.assert_array_equal(sp, [0.0, softplus_np(np.array(-50.0)), 50.0, 1000.0, np.inf, 0.0])
    np.testing.assert_array_equal(el, [-1.0, np.expm1(-50.0), 50.0, 1000.0, np.inf, -1.0])
    assert grad_at(F.softplus, [-1000.0, 0.0, 1000.0]) == [0.0, 0.5, 1.0]
    assert grad_at(F.elu, [-1000.0]) == [0.0]


def test_softplus_switches_to_the_identity_above_the_threshold() -> None:
    x = np.array([9.0, 11.0])  # beta·x = 18 and 22 around threshold 20
    out = F.softplus(Tensor(x), beta=2.0).data
    assert out[1] == 11.0 and out[0] == np.log1p(np.exp(18.0)) / 2
    assert grad_at(lambda t: F.softplus(t, beta=2.0), [11.0]) == [1.0]


def test_activation_argument_errors() -> None:
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        F.gelu(Tensor([1.0]), approximate="fast")
    with pytest.raises(ValueError, match="beta"):
        F.softplus(Tensor([1.0]), beta=0)
    with pytest.raises(TypeError, match="floating point"):
        F.elu(Tensor([1, 2]))


# ---- mse_loss, l1_loss ------------------------------------------------------------------------
REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}


@pytest.mark.parametrize("reduction", sorted(REDUCE))
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@settings(max_examples=10)
@given(data=st.data())
def test_mse_l1_values_and_derivatives(name: str, reduction: str, data: Any) -> None:
    shape = data.draw(small)
    x = data.draw(arrays(shape, min_value=-3, max_value=3))
    t = x + data.draw(arrays_away_from(0.0, shape, margin=1e-2, min_value=-3, max_value=3))  # x ≠ t
    elementwise = (x - t) ** 2 if name == "mse_loss" else np.abs(x - t)
    fn = getattr(F, name)
    out = fn(Tensor(x), Tensor(t), reduction=reduction)
    np.testing.assert_allclose(out.data, REDUCE[reduction](elementwise), rtol=1e-12, atol=1e-14)
    assert_grads_match(lambda a, b: fn(a, b, reduction=reduction), x, t, second_order=True)


def test_l1_loss_gradient_is_zero_where_input_equals_target() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    F.l1_loss(x, Tensor([1.0, 0.0]), reduction="sum").backward()
    assert x.grad is not None and x.grad.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_losses_refuse_mismatched_shapes_and_bad_reductions(name: str) -> None:
    fn = getattr(F, name)
    x = Tensor(np.full((3, 1), 0.5))
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        fn(x, Tensor(np.full(3, 0.5)))
    with pytest.raises(ValueError, match="reduction"):
        fn(x, Tensor(np.full((3, 1), 0.5)), reduction="avg")


# ---- nll_loss ---------------------------------------------------------------------------------
def nll_np(logp: np.ndarray, y: np.ndarray, w: np.ndarray | None, ignore: int, reduction: str) -> Any:
    """Loop form of PyTorch's definition, on the (N, C, d...) layout."""
    c = logp.shape[1] if logp.ndim > 1 else logp.shape[0]
    w = np.ones(c) if w is None else w
    moved = np.moveaxis(logp, 1, -1).reshape(-1, c) if logp.ndim > 1 else logp.reshape(1, c)
    ys = y.reshape(-1)
    losses, weights = [], []
    for row, yn in zip(moved, ys):
        if yn == ignore:
            losses.append(0.0)
            weights.append(0.0)
        else:
            losses.append(-w[yn] * row[yn])
            weights.append(w[yn])
    if reduction == "none":
        return np.array(losses).reshape(y.shape)
    total = np.float64(sum(losses))
    return total if reduction == "sum" else total / np.float64(sum(weights))  # 0/0: nan


@st.composite
def nll_inputs(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    extra = draw(st.sampled_from([(), (2,), (2, 2)]))
    bare = draw(st.booleans()) and not extra  # (C,) input with a 0-d target
    x = draw(arrays((c,) if bare else (n, c, *extra), min_value=-5, max_value=0))
    y = draw(arrays(() if bare else (n, *extra), min_value=0, max_value=c - 1).map(
        lambda a: a.astype(np.int64)))
    ignored = draw(st.booleans())
    if ignored and y.size:
        y.reshape(-1)[0] = -100
    return x, y


@pytest.mark.parametrize("reduction", sorted(REDUCE))
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=10)
@given(pair=nll_inputs())
def test_nll_loss_values_and_derivatives(reduction: str, weighted: bool, pair: Any) -> None:
    x, y = pair
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    w = np.linspace(0.5, 2.0, c) if weighted else None
    out = F.nll_loss(Tensor(x), y, weight=w, reduction=reduction)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = nll_np(x, y, w, -100, reduction)
    np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-14)
    if np.all(np.isfinite(out.data)):
        assert_grads_match(lambda a: F.nll_loss(a, y, weight=w, reduction=reduction), x, second_order=True)


def test_nll_loss_of_log_softmax_is_cross_entropy_by_hand() -> None:
    x = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]])
    y = np.array([1, 2])
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    out = F.nll_loss(F.log_softmax(Tensor(x), axis=1), y)
    assert out.item() == pytest.approx(-(logp[0, 1] + logp[1, 2]) / 2, rel=1e-14)


def test_nll_loss_all_ignored_mean_is_nan_with_zero_gradient() -> None:
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    out = F.nll_loss(x, np.array([-100, -100]))
    assert math.isnan(out.item())
    out.backward()
    assert x.grad is not None and not np.any(x.grad.data)


def test_nll_loss_never_reads_ignored_rows() -> None:
    x = Tensor(np.array([[-np.inf, 0.0], [-1.0, -2.0]]), requires_grad=True)
    y = np.array([-100, 1])
    assert F.nll_loss(x, y, reduction="none").tolist() == [0.0, 2.0]
    out = F.nll_loss(x, y)
    assert out.item() == 2.0
    out.backward()
    assert x.grad is not None and x.grad.tolist() == [[0.0, 0.0], [0.0, -1.0]]


@pytest.mark.parametrize("target,match", [
    (np.array([0, 3]), "out of bounds"),
    (np.array([0, -1]), "out of bounds"),
    (np.array([0.0, 1.0]), "integer"),
    (np.array([0, 1, 2]), r"expected \(2,\)"),
])
def test_nll_loss_errors(target: np.ndarray, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        F.nll_loss(Tensor(np.zeros((2, 3))), target)


# ---- binary cross-entropy -------------------------------------------------------------------
def bce_np(p: np.ndarray, t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))


@pytest.mark.parametrize("reduction", sorted(REDUCE))
@settings(max_examples=10)
@given(data=st.data())
def test_binary_cross_entropy_values_and_derivatives(reduction: str, data: Any) -> None:
    shape = data.draw(small)
    p = data.draw(arrays(shape, min_value=0.02, max_value=0.98))
    t = data.draw(arrays(shape, min_value=0, max_value=1))
    w = data.draw(arrays(shape[-1:], min_value=0.5, max_value=2))
    out = F.binary_cross_entropy(Tensor(p), Tensor(t), weight=w, reduction=reduction)
    np.testing.assert_allclose(out.data, REDUCE[reduction](w * bce_np(p, t)), rtol=1e-12)
    assert_grads_match(lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=reduction), p, t,
                       second_order=True)


def test_binary_cross_entropy_at_zero_and_one_follows_pytorch() -> None:
    # the logs are clamped at -100, and d/dx = (x - t) / max(x(1 - x), 1e-12)
    x = Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    t = Tensor([0.0, 1.0, 1.0, 0.0], requires_grad=True)
    out = F.binary_cross_entropy(x, t, reduction="none")
    assert out.tolist() == [0.0, 0.0, 100.0, 100.0]
    out.sum().backward()
    assert x.grad is not None and x.grad.tolist() == [0.0, 0.0, -1e12, 1e12]
    assert t.grad is not None and t.grad.tolist() == [100.0, -100.0, 100.0, -100.0]


def test_binary_cross_entropy_refuses_values_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy(Tensor([0.5, 1.5]), Tensor([0.0, 1.0]))


def bce_logits_np(x: np.ndarray, t: np.ndarray, pw: Any = 1.0) -> np.ndarray:
    """The definition −[p·t·log σ(x) + (1 − t)·log(1 − σ(x))], computed naively (moderate x only)."""
    s = 1 / (1 + np.exp(-x))
    return -(pw * t * np.log(s) + (1 - t) * np.log(1 - s))


@pytest.mark.parametrize("reduction", sorted(REDUCE))
@settings(max_examples=10)
@given(data=st.data())
def test_bce_with_logits_values_and_derivatives(reduction: str, data: Any) -> None:
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = data.draw(arrays(shape, min_value=-8, max_value=8))
    t = data.draw(arrays(shape, min_value=0, max_value=1))
    pw = data.draw(arrays(shape[-1:], min_value=0.5, max_value=3))
    w = data.draw(arrays(shape[-1:], min_value=0.5, max_value=2))
    out = F.binary_cross_entropy_with_logits(Tensor(x), Tensor(t), weight=w, pos_weight=pw,
                                             reduction=reduction)
    np.testing.assert_allclose(out.data, REDUCE[reduction](w * bce_logits_np(x, t, pw)), rtol=1e-9)
    assert_grads_match(lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, weight=w, pos_weight=pw, reduction=reduction), x, t, second_order=True)


def test_bce_with_logits_is_stable_and_its_gradient_is_sigmoid_minus_target() -> None:
    x = np.array([-1000.0, 1000.0, -30.0, 0.0, 30.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    xt = Tensor(x, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = F.binary_cross_entropy_with_logits(xt, Tensor(t), reduction="none")
    # −log σ(−1000) = 1000 exactly in doubles; the rest from softplus in closed form
    np.testing.assert_allclose(out.data, [1000.0, 1000.0, np.log1p(np.exp(-30.0)), np.log(2.0),
                                          np.log1p(np.exp(-30.0))], rtol=1e-15)
    out.sum().backward()
    assert xt.grad is not None
    want = np.where(t == 1, -sigmoid_np(-x), sigmoid_np(x))  # σ(x) − t without cancellation
    np.testing.assert_allclose(xt.grad.data, want, rtol=1e-12, atol=1e-300)


# ---- one_hot ----------------------------------------------------------------------------------
@given(y=arrays(small, min_value=0, max_value=4).map(lambda a: a.astype(np.int64)))
def test_one_hot_matches_rows_of_the_identity(y: np.ndarray) -> None:
    out = F.one_hot(Tensor(y), num_classes=6)
    assert out.dtype == np.int64 and out.shape == (*y.shape, 6)
    np.testing.assert_array_equal(out.data, np.eye(6, dtype=np.int64)[y])
    inferred = F.one_hot(y)
    assert inferred.shape == (*y.shape, int(y.max()) + 1)


def test_one_hot_errors() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(np.array([0, -1]))
    with pytest.raises(ValueError, match="smaller than num_classes=3"):
        F.one_hot(np.array([0, 3]), num_classes=3)
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(np.array([], dtype=np.int64))
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(Tensor([0.0, 1.0]))
    assert F.one_hot(np.array([], dtype=np.int64), num_classes=4).shape == (0, 4)


# ---- dropout ----------------------------------------------------------------------------------
def test_dropout_zeroes_with_probability_p_and_scales_the_rest() -> None:
    x = np.linspace(1.0, 2.0, 20000)
    out = F.dropout(Tensor(x), p=0.3, generator=np.random.default_rng(0)).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.7, rtol=1e-15)
    assert abs(1 - kept.mean() - 0.3) < 0.015  # 4.6 standard deviations of a binomial mean
    np.testing.assert_array_equal(F.dropout(Tensor(x), 0.3, generator=5).data,
                                  F.dropout(Tensor(x), 0.3, generator=5).data)


def test_dropout_gradient_is_the_scaled_mask() -> None:
    x = Tensor(np.ones(50), requires_grad=True)
    out = F.dropout(x, p=0.5, generator=1)
    out.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.data, np.where(out.data != 0, 2.0, 0.0))


def test_dropout_edge_cases() -> None:
    x = Tensor([1.0, -2.0, 3.0])
    assert F.dropout(x, p=0.0) is x and F.dropout(x, p=0.9, training=False) is x
    assert F.dropout(x, p=1.0).tolist() == [0.0, 0.0, 0.0]
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p=p)
    with pytest.raises(TypeError, match="generator="):
        F.dropout(x, 0.5, True, np.random.default_rng(0))  # type: ignore[arg-type]


# ---- nn modules --------------------------------------------------------------------------------
def test_activation_modules_match_their_closed_forms() -> None:
    x = np.array([[-2.0, -0.3, 0.0, 0.7, 3.0]])
    np.testing.assert_allclose(nn.Sigmoid()(Tensor(x)).data, sigmoid_np(x), rtol=1e-15)
    np.testing.assert_allclose(nn.SiLU()(Tensor(x)).data, x * sigmoid_np(x), rtol=1e-15)
    np.testing.assert_allclose(nn.GELU()(Tensor(x)).data, gelu_np(x), rtol=1e-15)
    np.testing.assert_allclose(nn.GELU(approximate="tanh")(Tensor(x)).data, gelu_tanh_np(x), rtol=1e-15)
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")


def test_dropout_module_honours_train_and_eval() -> None:
    model = nn.Sequential(nn.Linear(4, 64, rng=0), nn.Dropout(0.5, generator=0))
    x = Tensor(np.ones((8, 4)))
    train_out = model(x).data
    assert (train_out == 0).any()
    model.eval()
    eval_out = model(x).data
    np.testing.assert_allclose(eval_out, x.data @ model[0].weight.data + model[0].bias.data)
    model.train()
    assert (model(x).data == 0).any()
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(2)
    # a seeded layer repeats its sequence of masks
    a, b = nn.Dropout(0.5, generator=3), nn.Dropout(0.5, generator=3)
    for _ in range(2):
        np.testing.assert_array_equal(a(x).data, b(x).data)
