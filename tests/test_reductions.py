"""Issue 12, part 3: the new reductions as Tensor methods.

argmax/argmin, prod, var/std, any/all, cumsum and logsumexp: values against NumPy, gradients against
float64 finite differences (and closed forms where zeros make finite differences blind), second
derivatives with gradgradcheck, shapes and axes drawn by Hypothesis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_softmax import Tensor, gradgradcheck
from tinygrad_softmax.testing import (
    arrays,
    assert_grads_match,
    axes,
    integer_arrays,
    shapes,
    special_arrays,
    tie_free_arrays,
)


def _one_axis(data: st.DataObject, ndim: int) -> int | None:
    return data.draw(st.none() | st.integers(-ndim, ndim - 1)) if ndim else None


# ---- argmax / argmin ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(st.data(), st.one_of(integer_arrays(shapes(min_dims=1, max_dims=3)),
                            special_arrays(shapes(min_dims=1, max_dims=3))), st.booleans())
def test_argmax_argmin_match_numpy(name, data, a, keep):
    axis = _one_axis(data, a.ndim)
    x = Tensor(a, requires_grad=a.dtype.kind == "f")
    out = getattr(x, name)(dim=axis, keepdim=keep)
    np.testing.assert_array_equal(out.data, getattr(np, name)(a, axis=axis, keepdims=keep))
    assert out.dtype == np.int64 and not out.requires_grad


def test_argmax_of_an_empty_tensor_and_a_tuple_axis_fail_loudly():
    with pytest.raises(ValueError, match=r"\(0, 3\)"):
        Tensor(np.zeros((0, 3))).argmax()
    with pytest.raises(TypeError, match="one int"):
        Tensor(np.zeros((2, 3))).argmax(axis=(0, 1))


# ---- prod ----------------------------------------------------------------------------------------
def _prod_of_others(a: np.ndarray, axis: int | None) -> np.ndarray:
    """The closed form of d prod / dx, by brute force: the product with each entry replaced by 1."""
    out = np.empty_like(a)
    for idx in np.ndindex(a.shape):
        b = a.copy()
        b[idx] = 1.0
        p = np.prod(b, axis=axis)
        out[idx] = p if axis is None else p[idx[:axis % a.ndim] + idx[axis % a.ndim + 1:]]
    return out


@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_prod_values_and_exact_gradient_with_zeros(data, shape):
    a = data.draw(arrays(shape, min_value=-2, max_value=2))
    a[np.asarray(data.draw(arrays(shape, min_value=0, max_value=1))) < 0.4] = 0.0  # one, several, or no zeros
    axis = _one_axis(data, a.ndim)
    x = Tensor(a, requires_grad=True)
    out = x.prod(dim=axis)
    np.testing.assert_allclose(out.data, np.prod(a, axis=axis), rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, _prod_of_others(a, axis), rtol=1e-12, atol=1e-300)


def test_prod_gradient_with_one_zero_and_with_two():
    x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 6.0, 0.0])
    x = Tensor([2.0, 0.0, 0.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


@given(st.data(), shapes(min_dims=0, max_dims=3, max_side=3))
def test_prod_gradcheck_and_gradgradcheck(data, shape):
    a = data.draw(arrays(shape, min_value=-2, max_value=2))
    axis = data.draw(axes(len(shape)))
    keep = data.draw(st.booleans())
    assert_grads_match(lambda t: t.prod(axis=axis, keepdims=keep), a, second_order=True)


def test_prod_second_derivative_at_zeros():
    """Hessian of x0·x1·x2 at (0, 0, 5): ∂²/∂x0∂x1 = x2 = 5, every other entry 0 (diagonal included)."""
    x = Tensor([0.0, 0.0, 5.0], requires_grad=True)
    x.prod().backward(create_graph=True)
    g = x.grad
    rows = []
    for i in range(3):
        x.grad = None
        g[i].backward(retain_graph=True)
        rows.append(x.grad.data.copy())
    np.testing.assert_array_equal(np.array(rows), [[0, 5, 0], [5, 0, 0], [0, 0, 0]])
    gradgradcheck(lambda t: t.prod(), [np.array([0.0, 0.0, 5.0])])


def test_prod_of_empty_and_integer_tensors():
    assert Tensor(np.zeros((2, 0))).prod(axis=1).tolist() == [1.0, 1.0]
    a = np.array([[3, -2], [5, 7]], dtype=np.int32)
    np.testing.assert_array_equal(Tensor(a).prod(axis=0).data, np.prod(a, axis=0))


# ---- var / std -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["var", "std"])
@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_var_std_match_numpy_for_every_spelling(name, data, shape):
    a = data.draw(arrays(shape))
    axis = data.draw(axes(len(shape)))
    keep = data.draw(st.booleans())
    t, f = Tensor(a), getattr(np, name)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "degrees of freedom <= 0" (we are silent)
        for kw, ddof in [({"correction": 1}, 1), ({"unbiased": True}, 1), ({"unbiased": False}, 0),
                         ({"ddof": 0}, 0), ({"ddof": 2}, 2), ({"correction": 0}, 0)]:
            expected = f(a, axis=axis, ddof=ddof, keepdims=keep)
            np.testing.assert_allclose(getattr(t, name)(dim=axis, keepdim=keep, **kw).data, expected,
                                       rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["var", "std"])
def test_bare_var_std_is_refused_with_both_choices_named(name):
    with pytest.raises(TypeError) as info:
        getattr(Tensor([1.0, 2.0]), name)()
    assert "correction=1" in str(info.value) and "ddof=0" in str(info.value)
    with pytest.raises(TypeError, match="one of"):
        getattr(Tensor([1.0, 2.0]), name)(ddof=0, correction=1)
    with pytest.raises(TypeError):  # PyTorch's old positional unbiased: not read as something else
        getattr(Tensor([1.0, 2.0]), name)(0, True)


@pytest.mark.parametrize("name", ["var", "std"])
@given(st.data(), shapes(min_dims=1, max_dims=3, max_side=3))
def test_var_std_gradcheck_and_gradgradcheck(name, data, shape):
    a = data.draw(tie_free_arrays(shape, spacing=0.5))  # distinct entries: std > 0 wherever N > 1
    axis = data.draw(axes(len(shape)))
    a = a.reshape(shape)
    n = a.size if axis is None else int(np.prod([shape[i] for i in np.atleast_1d(axis)]))
    if n < 2:
        axis = None
        if a.size < 2:
            a = np.array([0.5, -1.0])
    assert_grads_match(lambda t: getattr(t, name)(axis=axis, correction=1), a, second_order=True)


def test_var_of_too_few_entries_is_inf_or_nan_as_numpy():
    assert np.isnan(Tensor([3.0]).var(correction=1).item())
    assert Tensor([3.0, 4.0]).var(correction=2).item() == np.inf


# ---- any / all -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["any", "all"])
@given(st.data(), st.one_of(integer_arrays(shapes(max_dims=3, min_side=0)),
                            special_arrays(shapes(max_dims=3, min_side=0))))
def test_any_all_match_numpy(name, data, a):
    axis = data.draw(axes(a.ndim))
    keep = data.draw(st.booleans())
    out = getattr(Tensor(a), name)(axis=axis, keepdims=keep)
    np.testing.assert_array_equal(out.data, getattr(np, name)(a, axis=axis, keepdims=keep))
    assert out.dtype == np.bool_ and not out.requires_grad


# ---- cumsum --------------------------------------------------------------------------------------
@given(st.data(), shapes(min_dims=0, max_dims=3, max_side=3))
def test_cumsum_values_gradients_and_second_derivatives(data, shape):
    a = data.draw(arrays(shape))
    axis = _one_axis(data, len(shape))
    out = Tensor(a).cumsum(axis)
    np.testing.assert_allclose(out.data, np.cumsum(a, axis=axis), rtol=1e-12)
    w = np.arange(1.0, np.size(np.cumsum(a, axis=axis)) + 1).reshape(np.cumsum(a, axis=axis).shape)
    assert_grads_match(lambda t: t.cumsum(dim=axis) * t.cumsum(dim=axis) * w, a, second_order=True)


def test_cumsum_gradient_is_the_reversed_cumsum():
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    x.cumsum(dim=1).backward(np.array([[1.0, 10.0, 100.0]]))
    np.testing.assert_array_equal(x.grad.data, [[111.0, 110.0, 100.0]])
    assert Tensor(np.array(2.0)).cumsum(0).shape == ()


@given(integer_arrays(shapes(min_dims=1, max_dims=2)))
def test_cumsum_of_integers_matches_numpy(a):
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(Tensor(a).cumsum(0).data, np.cumsum(a, axis=0))


# ---- logsumexp as a method ------------------------------------------------------------------------
@given(st.data(), shapes(min_dims=1, max_dims=3))
def test_logsumexp_method(data, shape):
    a = data.draw(arrays(shape))
    axis = data.draw(axes(len(shape), allow_none=False))
    keep = data.draw(st.booleans())
    m = np.max(a, axis=axis, keepdims=True)
    expected = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    out = Tensor(a).logsumexp(axis, keep)
    np.testing.assert_allclose(out.data, expected if keep else np.squeeze(expected, axis=axis), rtol=1e-12)
    assert_grads_match(lambda t: t.logsumexp(dim=axis, keepdim=keep), a, second_order=True)
    with pytest.raises(TypeError, match="needs the axis"):
        Tensor(a).logsumexp()
