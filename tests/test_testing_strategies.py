"""tinygrad_softmax.testing: each strategy generates what it promises, the assertion helper catches a
wrong backward, and Hypothesis stays optional."""

import subprocess
import sys

import numpy as np
import pytest
from _cube import Cube, WrongCube
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_softmax import GradcheckError, Tensor
from tinygrad_softmax import functional as F
from tinygrad_softmax.testing import (
    arrays,
    arrays_away_from,
    assert_grads_match,
    axes,
    broadcastable_shapes,
    logits_and_targets,
    matmul_shapes,
    shapes,
    tensors,
    tie_free_arrays,
)

FEW = settings(max_examples=30)


@FEW
@given(arrays((2, 3), min_value=-2.0, max_value=5.0))
def test_arrays_have_the_shape_dtype_and_bounds_asked_for(a):
    assert a.shape == (2, 3) and a.dtype == np.float64
    assert np.isfinite(a).all() and (a >= -2.0).all() and (a <= 5.0).all()


@FEW
@given(arrays(shapes(min_dims=1, max_dims=2, max_side=3), dtype=st.sampled_from([np.float32, np.float64])))
def test_arrays_with_generated_shapes_and_dtypes(a):
    assert 1 <= a.ndim <= 2 and max(a.shape) <= 3
    assert a.dtype in (np.float32, np.float64)


@FEW
@given(tensors((3,), requires_grad=True))
def test_tensors_require_grad(t):
    assert isinstance(t, Tensor) and t.requires_grad and t.shape == (3,)


@FEW
@given(broadcastable_shapes(3))
def test_broadcastable_shapes_really_broadcast(shps):
    assert len(shps) == 3
    out = np.broadcast_shapes(*shps)
    arrs = [np.zeros(s) for s in shps]
    assert (arrs[0] + arrs[1] + arrs[2]).shape == out


@FEW
@given(matmul_shapes())
def test_matmul_shapes_are_valid_for_matmul(pair):
    a, b = pair
    assert len(a) >= 1 and len(b) >= 1
    assert a[-1] == (b[-2] if len(b) > 1 else b[0])  # the contracted axes agree
    np.matmul(np.zeros(a), np.zeros(b))  # and NumPy accepts the batch axes too (raises if not)


@FEW
@given(tie_free_arrays((4, 5)), tie_free_arrays((6,), spacing=0.5, dtype=np.float32))
def test_tie_free_arrays_really_have_a_gap(a, b):
    for x, spacing in ((a, 0.125), (b, 0.5)):
        gaps = np.diff(np.sort(x.ravel().astype(np.float64)))
        assert (gaps >= spacing).all()
    assert b.dtype == np.float32


@FEW
@given(arrays_away_from([0.0, 1.0], (10,), margin=0.01, min_value=-3, max_value=3),
       arrays_away_from(0.0, (10,), margin=1e-3, dtype=np.float32))
def test_arrays_away_from_keep_the_margin(a, b):
    assert (np.abs(a - 0.0) >= 0.01).all() and (np.abs(a - 1.0) >= 0.01).all()
    assert (a >= -3).all() and (a <= 3).all()
    assert b.dtype == np.float32 and (np.abs(b.astype(np.float64)) >= 1e-3).all()


def test_arrays_away_from_rejects_an_empty_domain():
    with pytest.raises(ValueError, match="no value"):
        arrays_away_from(0.0, (2,), margin=5, min_value=-1, max_value=1)


@FEW
@given(logits_and_targets(max_n=5, max_c=4))
def test_logits_with_class_indices_in_range(pair):
    logits, target = pair
    n, c = logits.shape
    assert target.shape == (n,) and target.dtype.kind == "i"
    assert ((target >= 0) & (target < c)).all()
    assert np.isfinite(F.cross_entropy(Tensor(logits), target).item())


@FEW
@given(logits_and_targets(probabilities=True))
def test_logits_with_probability_targets(pair):
    logits, target = pair
    assert target.shape == logits.shape and (target >= 0).all()
    np.testing.assert_allclose(target.sum(axis=1), 1.0, rtol=1e-12)
    assert np.isfinite(F.softmax_cross_entropy(Tensor(logits), target).item())


@FEW
@given(logits_and_targets(ignore_index=-100))
def test_logits_with_ignored_targets(pair):
    logits, target = pair
    c = logits.shape[1]
    assert ((target == -100) | ((target >= 0) & (target < c))).all()


@FEW
@given(st.integers(0, 3).flatmap(lambda nd: st.tuples(st.just(nd), axes(nd))))
def test_axes_are_valid(arg):
    ndim, axis = arg
    axes = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    assert all(-max(ndim, 1) <= a < max(ndim, 1) for a in axes)
    assert len({a % max(ndim, 1) for a in axes}) == len(axes)  # no axis twice
    np.sum(np.zeros((2,) * ndim), axis=axis)  # and NumPy accepts it (raises on an invalid axis)


# ---- the assertion helper ----------------------------------------------------------------------
@settings(max_examples=20)
@given(arrays(shapes(max_dims=2, max_side=3), min_value=-3, max_value=3))
def test_assert_grads_match_passes_a_correct_function(x):
    assert_grads_match(lambda t: Cube.apply(t), x, second_order=True)


@settings(max_examples=15)
@given(tie_free_arrays((3, 4)))
def test_assert_grads_match_on_max_with_tie_free_inputs(x):
    assert_grads_match(lambda t: t.max(axis=1), x)


@settings(max_examples=15)
@given(arrays_away_from(0.0, (5,), margin=1e-3))
def test_assert_grads_match_on_relu_away_from_the_kink(x):
    assert_grads_match(lambda t: t.relu() * t, x)


@settings(max_examples=15)
@given(logits_and_targets())
def test_assert_grads_match_holds_integer_targets_fixed(pair):
    logits, target = pair
    assert_grads_match(F.softmax_cross_entropy, logits, target)


def test_assert_grads_match_catches_a_wrong_function():
    x = np.array([0.5, -1.5, 2.0])
    with pytest.raises(GradcheckError, match="input 0"):
        assert_grads_match(lambda t: WrongCube.apply(t), x)


def test_hypothesis_stays_optional():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import tinygrad_softmax\n"
            "assert 'tinygrad_softmax.testing' not in sys.modules\n"
            "try:\n"
            "    import tinygrad_softmax.testing\n"
            "except ImportError as e:\n"
            "    print(e)\n"
            "else:\n"
            "    raise SystemExit('imported without hypothesis')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "tinygrad_softmax[test]" in out.stdout and "Hypothesis" in out.stdout
