"""Creation functions (issue 12, part B): zeros, ones, full, arange, linspace, eye, rand, randn
and zeros_like, ones_like, full_like. Values and dtypes against the NumPy call that means the
same; PyTorch's calling conventions (``zeros(2, 3)`` and ``zeros((2, 3))``, ``requires_grad``,
``generator``); clear errors."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor
from tinygrad_softmax.testing import shapes

SHAPES = shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@settings(max_examples=30)
@given(SHAPES, st.sampled_from(["zeros", "ones"]))
def test_zeros_and_ones_take_both_shape_spellings(shape, name):
    expected = getattr(np, name)(shape)
    for t in (getattr(tg, name)(*shape), getattr(tg, name)(shape), getattr(tg, name)(list(shape))):
        assert t.shape == shape and t.dtype == np.float64  # NumPy's default float, not float32
        np.testing.assert_array_equal(t.data, expected)
        assert not t.requires_grad


@pytest.mark.parametrize("name", ["zeros", "ones", "rand", "randn"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, "float64"])
def test_dtype_and_requires_grad(name, dtype):
    t = getattr(tg, name)(2, 3, dtype=dtype, requires_grad=True)
    assert t.dtype == np.dtype(dtype) and t.shape == (2, 3)
    assert t.requires_grad and t.is_leaf
    (t * t).sum().backward()
    np.testing.assert_allclose(t.grad.data, 2 * t.data)


@pytest.mark.parametrize("make", [
    lambda: tg.zeros(2, dtype=np.int64, requires_grad=True),
    lambda: tg.ones(2, dtype=bool, requires_grad=True),
    lambda: tg.full((2,), 3, requires_grad=True),
    lambda: tg.arange(3, requires_grad=True),
    lambda: tg.eye(2, dtype=np.int32, requires_grad=True),
    lambda: tg.zeros_like(np.arange(3), requires_grad=True),
])
def test_requires_grad_with_a_non_float_dtype_is_the_usual_type_error(make):
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        make()


@pytest.mark.parametrize("value, dtype", [(2.5, None), (3, None), (True, None), (3, np.float32),
                                          (-1, np.int8)])
def test_full_dtype_follows_the_value_as_in_numpy(value, dtype):
    t = tg.full((2, 3), value, dtype=dtype)
    expected = np.full((2, 3), value, dtype=dtype)
    assert t.dtype == expected.dtype
    np.testing.assert_array_equal(t.data, expected)
    assert tg.full([4], value).shape == (4,)
    assert tg.full(4, value).shape == (4,)


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (5, 0, -1), (0, 1, 0.25), (-1.5, 2.0, 0.5),
                                  (3.0,), (5, 0), (0,)])
def test_arange_matches_numpy(args):
    t = tg.arange(*args)
    expected = np.arange(*args)
    assert t.dtype == (np.int64 if all(isinstance(a, int) for a in args) else np.float64)
    np.testing.assert_array_equal(t.data, expected)


def test_arange_keywords_and_errors():
    np.testing.assert_array_equal(tg.arange(0, 6, step=2, dtype=np.float32).data, [0, 2, 4])
    assert tg.arange(0, 6, step=2, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(tg.arange(1, end=4).data, [1, 2, 3])
    with pytest.raises(ValueError, match="nonzero"):
        tg.arange(0, 5, 0)
    with pytest.raises(ValueError, match="finite"):
        tg.arange(0, np.inf)
    with pytest.raises(TypeError, match="number"):
        tg.arange("3")


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (-2.0, 3.0, 11), (1, 1, 3), (0, 1, 1), (0, 1, 0)])
def test_linspace_matches_numpy(start, end, steps):
    t = tg.linspace(start, end, steps)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.linspace(start, end, steps))
    assert tg.linspace(start, end, steps, dtype=np.float32).dtype == np.float32


def test_linspace_needs_steps_as_in_pytorch():
    with pytest.raises(TypeError):
        tg.linspace(0, 1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="steps"):
        tg.linspace(0, 1, -1)
    with pytest.raises(ValueError, match="steps"):
        tg.linspace(0, 1, 2.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("n, m", [(3, None), (2, 4), (4, 2), (0, None), (1, 1)])
def test_eye_matches_numpy(n, m):
    t = tg.eye(n, m)
    np.testing.assert_array_equal(t.data, np.eye(n, m))
    assert t.dtype == np.float64


def test_rand_and_randn_with_a_seed_are_reproducible_and_match_numpy():
    np.testing.assert_array_equal(tg.rand(2, 3, generator=7).data, np.random.default_rng(7).random((2, 3)))
    np.testing.assert_array_equal(tg.randn((4,), generator=7).data,
                                  np.random.default_rng(7).standard_normal(4))
    np.testing.assert_array_equal(tg.rand(5, generator=1).data, tg.rand(5, generator=1).data)


def test_a_generator_is_drawn_from_so_successive_calls_differ():
    g = np.random.default_rng(3)
    a, b = tg.randn(4, generator=g), tg.randn(4, generator=g)
    ref = np.random.default_rng(3)
    np.testing.assert_array_equal(a.data, ref.standard_normal(4))
    np.testing.assert_array_equal(b.data, ref.standard_normal(4))
    assert not np.array_equal(a.data, b.data)


def test_rand_without_a_generator_uses_fresh_entropy():
    a, b = tg.rand(1000), tg.rand(1000)
    assert a.shape == (1000,) and a.dtype == np.float64
    assert 0 <= a.data.min() and a.data.max() < 1
    assert not np.array_equal(a.data, b.data)  # no hidden global seed


def test_rand_float32_stays_in_range_and_errors():
    t = tg.rand(10000, generator=0, dtype=np.float32)
    assert t.dtype == np.float32 and 0 <= t.data.min() and t.data.max() < 1
    with pytest.raises(TypeError, match="floating"):
        tg.rand(2, dtype=np.int64)
    with pytest.raises(TypeError, match="Generator"):
        tg.randn(2, generator="seed")
    with pytest.raises(TypeError, match="Generator"):
        tg.randn(2, generator=np.random.RandomState(0))


@settings(max_examples=20)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int32, np.bool_]), SHAPES), st.floats(-3, 3))
def test_like_functions_take_shape_and_dtype_from_their_input(a, value):
    for src in (a, Tensor(a)):
        for name, ref in (("zeros_like", np.zeros_like(a)), ("ones_like", np.ones_like(a))):
            t = getattr(tg, name)(src)
            assert t.shape == a.shape and t.dtype == a.dtype
            np.testing.assert_array_equal(t.data, ref)
        t = tg.full_like(src, value)
        assert t.dtype == a.dtype
        np.testing.assert_array_equal(t.data, np.full_like(a, value))
    t = tg.zeros_like(a, dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad


@pytest.mark.parametrize("make, error, message", [
    (lambda: tg.zeros(2, -1), ValueError, "non-negative"),
    (lambda: tg.ones((2, 1.5)), TypeError, "ints"),
    (lambda: tg.zeros(2, dtype="nonsense"), TypeError, "nonsense"),
    (lambda: tg.full((2,), "a"), TypeError, "number"),
    (lambda: tg.eye(-1), ValueError, "non-negative"),
    (lambda: tg.rand(3, -2), ValueError, "non-negative"),
])
def test_bad_sizes_and_dtypes(make, error, message):
    with pytest.raises(error, match=message):
        make()
