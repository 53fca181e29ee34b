"""Issue 12, parts 1 and 2: the six wrong results, and PyTorch programs that mean the same here or fail.

Oracles: NumPy for values (``np.power``, ``np.min``, NumPy indexing), PyTorch's documented gradient
conventions for ``**`` re-stated in NumPy below, closed forms for polynomials, ``_ce_oracle`` for
cross-entropy. Inputs come from the strategies in ``tinygrad_softmax.testing`` that reach zero,
negative and infinite bases, every integer dtype, empty axes and empty index lists.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _ce_oracle import torch_cross_entropy
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_softmax import AxisError, Tensor, gradcheck
from tinygrad_softmax import functional as F
from tinygrad_softmax.testing import (
    arrays,
    assert_grads_match,
    axes,
    broadcastable_shapes,
    index_lists,
    integer_arrays,
    shapes,
    special_arrays,
    tie_free_arrays,
)


# ---- 1. x ** y ------------------------------------------------------------------------------------
def torch_pow_grads(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's pow_backward / pow_backward_exponent, restated: d/dx = y x^(y-1) masked to 0 where
    y == 0; d/dy = x^y log x masked to 0 where x == 0 and y >= 0."""
    with np.errstate(all="ignore"):
        dx = np.where(y == 0, 0.0, y * np.power(x, y - 1))
        dy = np.where((x == 0) & (y >= 0), 0.0, np.power(x, y) * np.log(x))
    return dx, dy


def test_pow_tensor_exponent_examples_of_the_issue():
    x = Tensor([0.0, -2.0, -np.inf], requires_grad=True)
    y = Tensor([0.0, 2.0, 0.0], requires_grad=True)
    out = x ** y
    np.testing.assert_array_equal(out.data, [1.0, 4.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, -4.0, 0.0])
    assert y.grad.data[0] == 0.0  # x == 0, y >= 0: masked
    x, y = Tensor([0.0], requires_grad=True), Tensor([0.3], requires_grad=True)
    (x ** y).sum().backward()
    assert x.grad.data[0] == np.inf and y.grad.data[0] == 0.0


@given(st.data(), broadcastable_shapes(2, max_dims=2))
def test_pow_of_two_tensors_matches_numpy_and_pytorch_conventions(data, shape_pair):
    xa = data.draw(special_arrays(shape_pair[0]))
    ya = data.draw(special_arrays(shape_pair[1], specials=(0.0, -0.0, 1.0, 2.0, 3.0, -1.0, 0.5, np.inf)))
    x, y = Tensor(xa, requires_grad=True), Tensor(ya, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither forward-with-grad nor backward may warn beyond NumPy's
        with np.errstate(all="ignore"):
            out = x ** y
        out.backward(np.ones(out.shape))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out.data, np.power(xa, ya))
    dx, dy = torch_pow_grads(*np.broadcast_arrays(xa, ya))
    np.testing.assert_allclose(x.grad.data, _summed_to(dx, xa.shape), rtol=1e-12)
    np.testing.assert_allclose(y.grad.data, _summed_to(dy, ya.shape), rtol=1e-12)


def _summed_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of a broadcast input: g summed over the leading axes broadcasting added and over
    the axes where the input has size 1. (Reshaping g to (-1, *shape) and summing is wrong as soon as
    a size-1 axis is stretched, e.g. (2, 1) against (2,).)"""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


@given(st.data(), broadcastable_shapes(2, max_dims=2))
def test_pow_of_two_tensors_gradients_and_second_derivatives(data, shape_pair):
    xa = data.draw(arrays(shape_pair[0], min_value=0.3, max_value=3.0))
    ya = data.draw(arrays(shape_pair[1], min_value=-2.0, max_value=2.0))
    assert_grads_match(lambda a, b: a ** b, xa, ya, second_order=True)


def test_pow_second_derivatives_at_exact_zero_exponents():
    """y = 0 exactly (x != 0): the masked formula must keep ∂²/∂x∂y = 1/x, not 1."""
    assert_grads_match(lambda a, b: a ** b, np.array([0.5, 2.0, 1.5]), np.array([0.0, 0.0, 1.0]),
                       second_order=True)


@given(arrays(shapes(max_dims=2), min_value=-3, max_value=3), st.integers(-3, 3))
def test_negative_bases_with_integer_tensor_exponents(xa, k):
    """d/dx of x ** y at negative x and integer y is y x^(y-1); gradcheck in x (y held fixed)."""
    xa = np.where(np.abs(xa) < 0.3, 0.7, xa)
    y = Tensor(np.full(xa.shape, float(k)))
    assert_grads_match(lambda a: a ** y, xa, second_order=True)


@given(special_arrays(shapes(max_dims=2)), st.sampled_from([-2.0, -1.0, 0.0, 0.5, 2.0, np.inf]))
def test_number_to_the_power_of_a_tensor(ya, base):
    with np.errstate(all="ignore"):
        out = base ** Tensor(ya)
        np.testing.assert_array_equal(out.data, np.power(base, ya))


def test_rpow_examples_of_the_issue():
    np.testing.assert_array_equal(((-2) ** Tensor([0.0, 1.0, 2.0, 3.0])).data, [1.0, -2.0, 4.0, -8.0])
    np.testing.assert_array_equal((0 ** Tensor([0.0])).data, [1.0])
    y = Tensor([0.0, 1.5], requires_grad=True)
    (2.0 ** y).sum().backward()
    np.testing.assert_allclose(y.grad.data, 2.0 ** np.array([0.0, 1.5]) * np.log(2.0), rtol=1e-15)
    assert (0.0 ** y).grad_fn is not None  # no exp/log composite: one op


@pytest.mark.parametrize("p", [0, 1, 2, 3, 0.5, -1])
def test_gradient_of_constant_power_at_zero(p):
    x = Tensor([0.0, 2.0], requires_grad=True)
    with np.errstate(all="ignore"):
        (x ** p).sum().backward()
        expected = np.where(p == 0, 0.0, p * np.power(np.array([0.0, 2.0]), p - 1.0))
    np.testing.assert_array_equal(x.grad.data, expected)


@given(hnp.arrays(np.float64, st.integers(1, 5), elements=st.sampled_from([0.0, -1.5, 0.5, 2.0])),
       arrays(st.integers(1, 5).map(lambda n: (n,)), min_value=-3, max_value=3))
def test_polynomial_gradients_at_exact_zeros(xa, coef):
    """Σ_k c_k x**k: first and second derivatives from the closed forms, at inputs with exact zeros."""
    x = Tensor(xa, requires_grad=True)
    poly = sum((float(c) * x ** k for k, c in enumerate(coef)), Tensor(np.zeros_like(xa)))
    (g,) = _grads(poly.sum(), x)
    k = np.arange(len(coef))
    d1 = sum(k[i] * coef[i] * xa ** max(k[i] - 1, 0) for i in range(1, len(coef))) \
        if len(coef) > 1 else 0 * xa
    np.testing.assert_allclose(g.data, d1 + 0 * xa, rtol=1e-12, atol=1e-12)
    if not g.requires_grad:  # a constant gradient (only c_0 x**0): the second derivative is 0
        assert len(coef) == 1
        return
    g.sum().backward()
    d2 = sum(k[i] * (k[i] - 1) * coef[i] * xa ** max(k[i] - 2, 0) for i in range(2, len(coef))) \
        if len(coef) > 2 else 0 * xa
    np.testing.assert_allclose(x.grad.data, d2 + 0 * xa, rtol=1e-12, atol=1e-12)


def _grads(out: Tensor, x: Tensor) -> tuple[Tensor]:
    out.backward(create_graph=True)
    g = x.grad
    x.grad = None
    return (g,)


# ---- 1. min and max exact for every integer and bool dtype -----------------------------------------
@given(st.data(), integer_arrays(shapes(max_dims=3)))
def test_min_and_max_are_exact_for_every_integer_dtype(data, a):
    axis = data.draw(axes(a.ndim))
    for name in ("min", "max"):
        got = getattr(Tensor(a), name)(axis=axis)
        expected = getattr(np, name)(a, axis=axis)
        assert got.dtype == a.dtype
        np.testing.assert_array_equal(got.data, expected)


def test_min_examples_of_the_issue():
    assert Tensor(np.array([0, 1, 2], np.uint8)).min().item() == 0
    assert Tensor(np.array([0, -2**31], np.int32)).min().item() == -2**31
    assert Tensor(np.array([True, False])).min().item() is False


def test_min_splits_ties_evenly_like_max():
    x = Tensor([1.0, 1.0, 3.0, 1.0], requires_grad=True)
    x.min().backward()
    np.testing.assert_allclose(x.grad.data, [1 / 3, 1 / 3, 0, 1 / 3])


@given(tie_free_arrays(shapes(min_dims=1, max_dims=3)), st.data())
def test_min_gradient_and_second_derivative(a, data):
    axis = data.draw(axes(a.ndim))
    assert_grads_match(lambda t: (t * t).min(axis=axis), a, second_order=True)


# ---- 1. empty index lists --------------------------------------------------------------------------
@given(st.data(), shapes(min_dims=1, max_dims=3, min_side=0))
def test_index_lists_including_the_empty_one_match_numpy(data, shape):
    a = np.arange(float(np.prod(shape))).reshape(shape)
    idx = data.draw(index_lists(shape[0]))
    x = Tensor(a, requires_grad=True)
    out = x[idx]
    expected = a[np.asarray(idx, dtype=np.intp)]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    out.backward(np.ones(out.shape))
    counts = np.zeros(shape[0])
    np.add.at(counts, np.asarray(idx, dtype=np.intp), 1)
    expected_grad = np.broadcast_to(counts.reshape((-1,) + (1,) * (a.ndim - 1)), shape)
    np.testing.assert_array_equal(x.grad.data, expected_grad)


def test_empty_list_index_examples():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert t[[]].shape == (0, 2)
    assert t[:, []].shape == (2, 0)
    t[[]].sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.zeros((2, 2)))


# ---- 1. softmax, log_softmax, logsumexp over an empty axis ----------------------------------------
@given(shapes(min_dims=1, max_dims=3, min_side=0), st.data())
def test_softmax_family_over_empty_and_nonempty_axes(shape, data):
    a = data.draw(arrays(shape))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = Tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lse = F.logsumexp(x, dim=axis)
        sm, lsm = F.softmax(x, dim=axis), F.log_softmax(x, dim=axis)
        (lse.sum() + sm.sum() + lsm.sum()).backward()
    with np.errstate(divide="ignore"):
        m = np.max(a, axis=axis, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)
        expected = np.squeeze(np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m, axis=axis)
    np.testing.assert_allclose(lse.data, expected, rtol=1e-12)
    assert sm.shape == lsm.shape == a.shape and x.grad.shape == a.shape
    if a.shape[axis] == 0:
        assert np.all(lse.data == -np.inf)


@pytest.mark.parametrize("f", [F.softmax, F.log_softmax])
def test_softmax_without_dim_on_3d_is_refused(f):
    """PyTorch's implicit dim is 0 for 3-D and 1 for 4-D inputs, not the last: refuse, do not differ."""
    for shape in [(2, 3, 4), (2, 3, 4, 5)]:
        with pytest.raises(TypeError, match="needs dim="):
            f(Tensor(np.zeros(shape)))
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f(Tensor(a)).data, f(Tensor(a), dim=1).data)  # PyTorch's implicit dim 1


def test_logsumexp_of_an_empty_row_is_minus_inf():
    out = F.logsumexp(Tensor(np.zeros((2, 0))), dim=1)
    np.testing.assert_array_equal(out.data, [-np.inf, -np.inf])
    assert F.softmax(Tensor(np.zeros((2, 0)))).shape == (2, 0)


# ---- 2. transpose, permute, swapaxes ---------------------------------------------------------------
def test_transpose_swaps_two_dims_as_pytorch():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Tensor(a).transpose(0, 1).data, a.T)
    np.testing.assert_array_equal(Tensor(a).transpose(1, 0).data, a.T)
    b = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Tensor(b).transpose(1, 2).data, np.swapaxes(b, 1, 2))
    np.testing.assert_array_equal(Tensor(b).transpose(-1, 0).data, np.swapaxes(b, -1, 0))
    np.testing.assert_array_equal(Tensor(b).transpose(2, 0, 1).data, np.transpose(b, (2, 0, 1)))  # NumPy
    np.testing.assert_array_equal(Tensor(b).transpose((2, 0, 1)).data, np.transpose(b, (2, 0, 1)))
    np.testing.assert_array_equal(Tensor(b).transpose().data, b.T)
    np.testing.assert_array_equal(Tensor(b).permute(2, 0, 1).data, np.transpose(b, (2, 0, 1)))
    np.testing.assert_array_equal(Tensor(b).mT.data, np.swapaxes(b, -1, -2))


@given(st.data(), shapes(min_dims=1, max_dims=4, max_side=3))
def test_transpose_of_two_dims_is_swapaxes(data, shape):
    a = data.draw(arrays(shape))
    nd = len(shape)
    d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    out = Tensor(a).transpose(d0, d1)
    np.testing.assert_array_equal(out.data, np.swapaxes(a, d0, d1))
    assert_grads_match(lambda t: t.transpose(d0, d1) * Tensor(np.swapaxes(a, d0, d1) + 1), a)


@pytest.mark.parametrize("call, error", [
    (lambda t: t.transpose(0, 1, 2, 0), TypeError),  # neither two dims nor a full permutation
    (lambda t: t.transpose(0), TypeError),
    (lambda t: t.transpose(0, 3), IndexError),
    (lambda t: t.permute(0, 1), ValueError),
    (lambda t: t.permute(0, 1, 5), IndexError),
    (lambda t: t.swapaxes(0, -4), IndexError),
])
def test_bad_transposes_fail_loudly(call, error):
    with pytest.raises(error, match=r"\(2, 3, 4\)"):
        call(Tensor(np.zeros((2, 3, 4))))


# ---- 2. dim= / keepdim= everywhere an axis is taken -----------------------------------------------
METHODS = ["sum", "mean", "amax", "amin", "prod", "any", "all", "argmax", "argmin"]


@pytest.mark.parametrize("name", METHODS)
@given(tie_free_arrays(shapes(min_dims=1, max_dims=3)), st.data(), st.booleans())
def test_dim_and_keepdim_mean_axis_and_keepdims(name, a, data, keep):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    t = Tensor(a)
    torch_style = getattr(t, name)(dim=axis, keepdim=keep)
    numpy_style = getattr(t, name)(axis=axis, keepdims=keep)
    reference = getattr(np, name.replace("amax", "max").replace("amin", "min"))(a, axis=axis, keepdims=keep)
    np.testing.assert_array_equal(torch_style.data, numpy_style.data)
    np.testing.assert_allclose(torch_style.data, reference, rtol=1e-12)
    with pytest.raises(TypeError, match="not both"):
        getattr(t, name)(axis=axis, dim=axis)
    with pytest.raises(TypeError, match="not both"):
        getattr(t, name)(axis=axis, keepdims=keep, keepdim=keep)


def test_functional_takes_dim_too():
    a = np.arange(6.0).reshape(2, 3)
    for f in (F.softmax, F.log_softmax, F.logsumexp):
        np.testing.assert_array_equal(f(Tensor(a), dim=0).data, f(Tensor(a), axis=0).data)
        with pytest.raises(TypeError, match="not both"):
            f(Tensor(a), dim=0, axis=0)
    assert F.logsumexp(Tensor(a), dim=1, keepdim=True).shape == (2, 1)
    assert Tensor(a).logsumexp(1).shape == (2,)


def test_max_and_min_with_dim_return_values_and_indices():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    t = Tensor(a, requires_grad=True)
    values, indices = t.max(dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert indices.dtype == np.int64
    out = t.min(dim=0, keepdim=True)
    assert out.values.shape == out.indices.shape == (1, 3)
    np.testing.assert_array_equal(out.indices.data, [[0, 1, 0]])
    assert not isinstance(t.max(axis=1), tuple)
    values.sum().backward()
    np.testing.assert_array_equal(t.grad.data, [[0, 1, 0], [0.5, 0, 0.5]])  # ties split (see docs)


@pytest.mark.parametrize("name", ["max", "min"])
def test_positional_max_is_refused_with_both_spellings(name):
    with pytest.raises(TypeError) as info:
        getattr(Tensor(np.zeros((2, 3))), name)(1)
    assert f"{name}(axis=1)" in str(info.value) and f"{name}(dim=1)" in str(info.value)
    with pytest.raises(TypeError, match="maximum"):
        Tensor([1.0]).max(Tensor([2.0]))


@pytest.mark.parametrize("call", [
    lambda t: t.sum(axis=3), lambda t: t.max(dim=-4), lambda t: t.argmax(dim=3), lambda t: t.cumsum(3),
    lambda t: F.softmax(t, dim=3), lambda t: F.logsumexp(t, dim=(0, 5)), lambda t: t.var(3, correction=1),
    lambda t: t.mean(dim=3), lambda t: t.any(axis=-4),
])
def test_axis_out_of_range_is_an_index_error(call):
    with pytest.raises(IndexError) as info:
        call(Tensor(np.zeros((2, 3, 4))))
    assert isinstance(info.value, ValueError) and isinstance(info.value, AxisError)


# ---- 2. probability targets of any real value in cross-entropy ------------------------------------
@pytest.mark.parametrize("loss", [F.cross_entropy, F.softmax_cross_entropy], ids=["composed", "fused"])
@given(st.data(), st.sampled_from(["mean", "sum", "none"]), st.sampled_from([0.0, 0.2]), st.booleans())
def test_unnormalised_probability_targets_follow_pytorch(loss, data, reduction, smoothing, weighted):
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    x = data.draw(arrays((n, c), min_value=-5, max_value=5))
    t = data.draw(arrays((n, c), min_value=-2, max_value=3))  # any real targets, rows need not sum to 1
    w = data.draw(arrays((c,), min_value=0.5, max_value=2)) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing, weight=w)
    out = loss(Tensor(x), Tensor(t), **kw)
    np.testing.assert_allclose(out.data, torch_cross_entropy(x, t, **kw), rtol=1e-10, atol=1e-12)
    gradcheck(lambda a, b: loss(a, b, **kw), [x, t])


# ---- 2. size: NumPy's int and PyTorch's method ----------------------------------------------------
def test_size_is_an_int_and_a_method():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.size == 24 and isinstance(t.size, int) and t.size + 1 == 25  # NumPy's a.size
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4  # PyTorch's t.size()
    assert np.zeros(Tensor(np.zeros(5)).size).shape == (5,)
    with pytest.raises(IndexError, match="out of range"):
        t.size(3)
    with pytest.raises(IndexError, match="0-d"):
        Tensor(1.0).size(0)
    assert Tensor(1.0).size == 1 and Tensor(1.0).size() == ()


# ---- the widened strategies reach the classes of input they promise ------------------------------
def test_special_arrays_reach_zero_negative_and_infinite_values():
    from hypothesis import find
    found = find(special_arrays((3,)), lambda a: 0.0 in a and np.isinf(a).any() and (a < 0).any())
    assert 0.0 in found and np.isinf(found).any() and (found < 0).any()  # find raises if none is drawn


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, np.uint64, np.bool_])
def test_integer_arrays_reach_the_extremes_of_every_dtype(dtype):
    from hypothesis import find
    if dtype is np.bool_:
        find(integer_arrays((2,), dtype=dtype), lambda a: a.any() and not a.all())
        return
    info = np.iinfo(dtype)
    found = find(integer_arrays((2,), dtype=dtype), lambda a: info.min in a and info.max in a)
    assert found.dtype == dtype


def test_index_lists_include_the_empty_list_and_negatives():
    from hypothesis import find
    assert find(index_lists(3), lambda idx: True) == []
    find(index_lists(3), lambda idx: any(i < 0 for i in idx))
