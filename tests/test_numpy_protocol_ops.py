"""NumPy calls whose targets other parts of issue 12 add (helpers A, B, C): sqrt, abs, maximum,
clip, where, prod, var, std, argmax, concatenate, stack, take_along_axis, expand_dims, squeeze,
einsum ... (issue 13 A). Each test fails if its target is missing.

Oracles: NumPy on the data for values (including NumPy's own ddof=0 for np.var/np.std), finite
differences for gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_softmax import Tensor, gradcheck

rng = np.random.default_rng(1313)


def grad_tensor(*shape: int) -> Tensor:
    return Tensor(rng.normal(size=shape), requires_grad=True)


def away_from_zero(*shape: int) -> np.ndarray:
    x = rng.uniform(0.3, 2.0, shape)
    return x * rng.choice([-1.0, 1.0], shape)


# name, the target it needs, the call, the input
UNARY = [
    ("sqrt", "sqrt", np.sqrt, lambda: rng.uniform(0.5, 2.0, (3, 2))),
    ("square", "square", np.square, lambda: rng.normal(size=(3, 2))),
    ("abs", "abs", np.abs, lambda: away_from_zero(3, 2)),
    ("absolute", "abs", np.absolute, lambda: away_from_zero(3, 2)),
    ("log1p", "log1p", np.log1p, lambda: rng.uniform(0.0, 2.0, (3, 2))),
    ("expm1", "expm1", np.expm1, lambda: rng.normal(size=(3, 2))),
    ("sin", "sin", np.sin, lambda: rng.normal(size=(3, 2))),
    ("cos", "cos", np.cos, lambda: rng.normal(size=(3, 2))),
]


@pytest.mark.parametrize("name, target, ufunc, draw", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ufuncs_added_by_part_c(name, target, ufunc, draw):
    x = Tensor(draw(), requires_grad=True)
    out = ufunc(x)
    assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, ufunc(x.data), rtol=1e-14)
    gradcheck(ufunc, [x])


def test_sign_has_zero_gradient():
    x = Tensor(away_from_zero(4), requires_grad=True)
    np.testing.assert_array_equal(np.sign(x).data, np.sign(x.data))
    gradcheck(np.sign, [x])


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum], ids=["maximum", "minimum"])
def test_maximum_and_minimum(ufunc):
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    np.testing.assert_array_equal(ufunc(ta, tb).data, ufunc(a, b))
    np.testing.assert_array_equal(ufunc(a, tb).data, ufunc(a, b))  # an array on the left
    gradcheck(ufunc, [ta, tb])


def test_clip_function_and_method():
    x = Tensor(rng.uniform(-2, 2, (3, 4)), requires_grad=True)
    for out in (np.clip(x, -1.0, 1.0), x.clip(-1.0, 1.0)):
        np.testing.assert_array_equal(out.data, np.clip(x.data, -1.0, 1.0))
    np.testing.assert_array_equal(np.clip(x, None, 0.5).data, np.clip(x.data, None, 0.5))
    x0 = rng.uniform(-2, 2, (3, 4))
    x0[np.abs(np.abs(x0) - 1) < 0.05] = 0.0  # away from the kinks
    gradcheck(lambda x: np.clip(x, -1.0, 1.0), [Tensor(x0, requires_grad=True)])


def test_where():
    cond = rng.random((3, 4)) > 0.5
    a, b = grad_tensor(3, 4), grad_tensor(4)
    np.testing.assert_array_equal(np.where(cond, a, b).data, np.where(cond, a.data, b.data))
    gradcheck(lambda a, b: np.where(cond, a, b), [a, b])
    idx = np.where(Tensor(cond))  # one argument: the indices, constants
    np.testing.assert_array_equal(idx[0].data, np.where(cond)[0])


def test_prod():
    x = Tensor(away_from_zero(3, 4), requires_grad=True)
    np.testing.assert_allclose(np.prod(x, axis=1).data, np.prod(x.data, axis=1))
    gradcheck(lambda x: np.prod(x, axis=0, keepdims=True), [x])


@pytest.mark.parametrize("fn", [np.var, np.std], ids=["var", "std"])
def test_var_and_std_mean_numpys_ddof_0(fn):
    x = Tensor(rng.normal(size=(4, 5)), requires_grad=True)
    np.testing.assert_allclose(fn(x).data, fn(x.data), rtol=1e-13)  # NumPy's call: ddof=0
    np.testing.assert_allclose(fn(x, axis=1, ddof=1).data, fn(x.data, axis=1, ddof=1), rtol=1e-13)
    kept = fn(x, axis=0, keepdims=True)
    np.testing.assert_allclose(kept.data, fn(x.data, axis=0, keepdims=True), rtol=1e-13)
    gradcheck(lambda x: fn(x, axis=1), [x])


@pytest.mark.parametrize("fn", [np.argmax, np.argmin], ids=["argmax", "argmin"])
def test_argmax_argmin_give_integers_without_grad(fn):
    x = Tensor(rng.normal(size=(4, 5)), requires_grad=True)
    out = fn(x, axis=1)
    assert not out.requires_grad and out.dtype.kind == "i"
    np.testing.assert_array_equal(out.data, fn(x.data, axis=1))
    np.testing.assert_array_equal(x.argmax(axis=1).data, np.argmax(x.data, axis=1))


def test_expand_dims_and_squeeze():
    x = Tensor(rng.normal(size=(3, 1, 4)), requires_grad=True)
    np.testing.assert_array_equal(np.expand_dims(x, 0).data, np.expand_dims(x.data, 0))
    assert np.squeeze(x).shape == (3, 4) and np.squeeze(x, axis=1).shape == (3, 4)
    gradcheck(lambda x: np.expand_dims(np.squeeze(x, axis=1), -1), [x])


def test_concatenate_and_stack():
    a, b = grad_tensor(2, 3), grad_tensor(2, 3)
    arr = rng.normal(size=(2, 3))
    for call in (lambda a, b: np.concatenate([a, b, arr]), lambda a, b: np.concatenate((a, b), axis=1),
                 lambda a, b: np.concatenate([a, b], axis=None), lambda a, b: np.stack([a, b, arr], axis=1)):
        out = call(a, b)
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_array_equal(out.data, call(a.data, b.data))
        gradcheck(call, [a, b])


def test_take_along_axis():
    x = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    idx = np.argsort(x.data, axis=1)[:, :2]
    want = np.take_along_axis(x.data, idx, axis=1)
    np.testing.assert_array_equal(np.take_along_axis(x, idx, axis=1).data, want)
    gradcheck(lambda x: np.take_along_axis(x, idx, axis=1), [x])


def test_einsum():
    a, b = grad_tensor(2, 3), grad_tensor(3, 4)
    np.testing.assert_allclose(np.einsum("ij,jk->ik", a, b).data, np.einsum("ij,jk->ik", a.data, b.data))
    gradcheck(lambda a, b: np.einsum("ij,jk->ik", a, b), [a, b])


def test_transpose_with_axes_uses_permute():
    x = Tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    np.testing.assert_array_equal(np.transpose(x, (1, 2, 0)).data, np.transpose(x.data, (1, 2, 0)))
    gradcheck(lambda x: np.transpose(x, (2, 0, 1)), [x])
