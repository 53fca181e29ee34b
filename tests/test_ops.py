"""Every primitive and composite op: forward against NumPy, backward against finite differences.

Each property test draws shapes (broadcasting pairs, matmul pairs, axes, indices) with
Hypothesis, runs the op on float64 Tensors and compares

* the forward value with the same expression in plain NumPy, and
* the gradient, obtained by ``out.backward(gradient=R)`` with a random, non-constant upstream
  gradient ``R``, with central differences of ``sum(numpy_fn(x) * R)`` in float64.

The finite differences come from the small helper below, written against plain NumPy, so the
oracle never runs the engine under test.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_softmax import Tensor, testing
from tinygrad_softmax.testing import assert_close

EPS = 1e-6


# ---- the oracle: float64 central differences on a plain NumPy function ------------------
def numerical_grad(f: Callable[..., Any], arrays: list[np.ndarray], i: int, eps: float = EPS) -> np.ndarray:
    """d f(*arrays) / d arrays[i] by central differences, one element at a time (f is scalar)."""
    xs = [np.array(a, dtype=np.float64) for a in arrays]
    x = xs[i]
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + eps
        plus = float(f(*xs))
        x[idx] = orig - eps
        minus = float(f(*xs))
        x[idx] = orig
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def check_op(tensor_fn: Callable[..., Tensor], numpy_fn: Callable[..., Any], arrays: list[np.ndarray],
             seed: int, atol: float = 1e-6, rtol: float = 1e-5) -> list[Tensor]:
    """Forward equals NumPy; every input's .grad equals the finite-difference gradient of
    sum(numpy_fn(*arrays) * R) for a random upstream gradient R."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = tensor_fn(*tensors)
    expected = np.asarray(numpy_fn(*arrays))
    assert isinstance(out, Tensor)
    assert out.shape == expected.shape, (out.shape, expected.shape)
    assert out.dtype == np.float64
    assert_close(out.data, expected, rtol=1e-12, atol=1e-12)
    rng = np.random.default_rng(seed)
    upstream = rng.uniform(-2.0, 2.0, size=expected.shape)  # not all ones: a missing "* g" shows
    out.backward(gradient=upstream)
    for i, (t, a) in enumerate(zip(tensors, arrays)):
        want = numerical_grad(lambda *xs: np.sum(numpy_fn(*xs) * upstream), arrays, i)
        assert t.grad is not None, f"input {i} got no gradient"
        assert isinstance(t.grad, Tensor)
        assert t.grad.shape == a.shape, f"input {i}: grad shape {t.grad.shape} != {a.shape}"
        assert_close(t.grad.data, want, rtol=rtol, atol=atol, msg=f"input {i}")
    return tensors


# ---- strategies: the public ones from tinygrad_softmax.testing, bound to these tests' domains ----
seeds = st.integers(0, 2**32 - 1)
shapes = testing.shapes()  # up to 3 dimensions of up to 4
broadcast_pairs = testing.broadcastable_shapes(2)
matmul_pairs = testing.matmul_shapes(max_dims=3)


def float_arrays(shape: Any, lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[np.ndarray]:
    return testing.arrays(shape, min_value=lo, max_value=hi)


def away_from_zero(shape: Any, lo: float = 0.5, hi: float = 3.0) -> st.SearchStrategy[np.ndarray]:
    """Floats with lo <= |x| <= hi, either sign (divisors, relu inputs)."""
    return testing.arrays_away_from(0.0, shape, margin=lo, min_value=-hi, max_value=hi)


def tie_free_arrays(shape: Any) -> st.SearchStrategy[np.ndarray]:
    """Distinct values on a 1/8 grid: the top two of any set differ by >= 0.125 >> EPS."""
    return testing.tie_free_arrays(shape, spacing=0.125, max_abs=25.0)


@st.composite
def array_and_axis(draw: Any, elements: Callable[[Any], st.SearchStrategy[np.ndarray]] = float_arrays) -> Any:
    """An array and an axis argument of every kind NumPy accepts: None, int (negative too), tuple."""
    shape = draw(shapes)
    nd = len(shape)
    int_axis = st.integers(-nd, nd - 1) if nd else st.sampled_from([0, -1])
    axis = draw(st.one_of(st.none(), int_axis, hnp.valid_tuple_axes(nd)))
    return draw(elements(shape)), axis, draw(st.booleans())


def np_axis(axis: Any, a: np.ndarray) -> Any:
    """NumPy's mean rejects axis 0 on a 0-d array (its sum accepts it); the meaning is "all"."""
    return None if a.ndim == 0 and isinstance(axis, int) else axis


# ---- elementwise binary ops under broadcasting ---------------------------------------------
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data(), shapes_=broadcast_pairs, seed=seeds)
def test_binary_broadcasting(name, data, shapes_, seed):
    sa, sb = shapes_
    a, b = data.draw(float_arrays(sa)), data.draw(float_arrays(sb))
    tensor_fn, numpy_fn = BINARY[name]
    check_op(tensor_fn, numpy_fn, [a, b], seed)


@given(data=st.data(), shapes_=broadcast_pairs, seed=seeds)
def test_div_broadcasting(data, shapes_, seed):
    sa, sb = shapes_
    a, b = data.draw(float_arrays(sa)), data.draw(away_from_zero(sb))
    check_op(lambda x, y: x / y, np.divide, [a, b], seed, rtol=1e-4)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
@given(data=st.data(), shape=shapes, seed=seeds, scalar=st.floats(0.5, 3.0))
def test_binary_with_python_numbers_and_arrays_on_either_side(name, data, shape, seed, scalar):
    """t op number, number op t, ndarray op t and t op ndarray all match NumPy and differentiate."""
    x = data.draw(away_from_zero(shape))
    other = data.draw(away_from_zero(shape))
    f = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}[name]
    check_op(lambda t: f(t, scalar), lambda a: f(a, scalar), [x], seed, rtol=1e-4)
    check_op(lambda t: f(scalar, t), lambda a: f(scalar, a), [x], seed, rtol=1e-4)
    check_op(lambda t: f(other, t), lambda a: f(other, a), [x], seed, rtol=1e-4)
    check_op(lambda t: f(t, other), lambda a: f(a, other), [x], seed, rtol=1e-4)


@given(data=st.data(), shape=shapes, seed=seeds)
def test_neg(data, shape, seed):
    check_op(lambda t: -t, np.negative, [data.draw(float_arrays(shape))], seed)


# ---- pow -------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.0])
@given(data=st.data(), shape=shapes, seed=seeds)
@settings(max_examples=15)
def test_pow_constant_exponent(p, data, shape, seed):
    x = data.draw(float_arrays(shape, 0.5, 3.0))  # positive: fractional powers are real
    check_op(lambda t: t**p, lambda a: a**p, [x], seed, rtol=1e-4)


@given(data=st.data(), shape=shapes, seed=seeds)
@settings(max_examples=30)
def test_pow_integer_exponent_negative_base(data, shape, seed):
    x = data.draw(away_from_zero(shape))
    check_op(lambda t: t**3, lambda a: a**3, [x], seed, rtol=1e-4)
    check_op(lambda t: t**-2, lambda a: a**-2.0, [x], seed, rtol=1e-4)


@given(data=st.data(), shapes_=broadcast_pairs, seed=seeds)
@settings(max_examples=30)
def test_pow_array_exponent_broadcasts_as_a_constant_or_a_tensor(data, shapes_, seed):
    sx, sp = shapes_
    x = data.draw(float_arrays(sx, 0.5, 2.0))
    p = data.draw(float_arrays(sp, -2.0, 2.0))
    check_op(lambda t: t**p, lambda a: a**p, [x], seed, rtol=1e-4)  # an array exponent: a constant
    check_op(lambda t, q: t**q, np.power, [x, p], seed, rtol=1e-4)  # a Tensor exponent: differentiated too


@given(data=st.data(), shape=shapes, seed=seeds)
@settings(max_examples=30)
def test_rpow_number_base(data, shape, seed):
    x = data.draw(float_arrays(shape, -2.0, 2.0))
    check_op(lambda t: 2.5**t, lambda a: 2.5**a, [x], seed, rtol=1e-4)


# ---- matmul ----------------------------------------------------------------------------------
@given(data=st.data(), shapes_=matmul_pairs, seed=seeds)
def test_matmul_shapes_incl_vectors_and_batches(data, shapes_, seed):
    sa, sb = shapes_
    a, b = data.draw(float_arrays(sa)), data.draw(float_arrays(sb))
    check_op(lambda x, y: x @ y, np.matmul, [a, b], seed)


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((4, 2, 3), (3,)),
                                    ((3,), (4, 3, 2)), ((1, 2, 3), (5, 3, 2)), ((5, 1, 2, 3), (4, 3, 1))])
def test_matmul_named_cases(sa, sb):
    rng = np.random.default_rng(0)
    check_op(lambda x, y: x @ y, np.matmul, [rng.normal(size=sa), rng.normal(size=sb)], seed=1)


def test_matmul_with_ndarray_on_either_side_returns_tensor():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    check_op(lambda t: a @ t, lambda x: a @ x, [b], seed=2)
    check_op(lambda t: t @ b, lambda x: x @ b, [a], seed=3)


# ---- elementwise functions ------------------------------------------------------------------
@given(data=st.data(), shape=shapes, seed=seeds)
def test_exp(data, shape, seed):
    check_op(lambda t: t.exp(), np.exp, [data.draw(float_arrays(shape))], seed)


@given(data=st.data(), shape=shapes, seed=seeds)
def test_log(data, shape, seed):
    check_op(lambda t: t.log(), np.log, [data.draw(float_arrays(shape, 0.1, 5.0))], seed, rtol=1e-4)


@given(data=st.data(), shape=shapes, seed=seeds)
def test_tanh(data, shape, seed):
    check_op(lambda t: t.tanh(), np.tanh, [data.draw(float_arrays(shape))], seed)


@given(data=st.data(), shape=shapes, seed=seeds)
def test_relu(data, shape, seed):
    check_op(lambda t: t.relu(), lambda a: np.maximum(a, 0.0), [data.draw(away_from_zero(shape, 0.01))], seed)


# ---- reductions --------------------------------------------------------------------------------
# Each Tensor reduction has NumPy's name, so the oracle is np.<name> with the same arguments.
# max and min get tie-free inputs: at a tie their gradient is a subgradient (tested below).
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@given(data=st.data(), seed=seeds)
@settings(max_examples=100)
def test_reductions_every_axis_and_keepdims(name, data, seed):
    x, axis, keepdims = data.draw(array_and_axis(tie_free_arrays if name in ("max", "min") else float_arrays))
    check_op(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
             lambda a: getattr(np, name)(a, axis=np_axis(axis, a), keepdims=keepdims), [x], seed)


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_max_min_ties_split_the_gradient_evenly(reduce):
    x = Tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 4.0, 5.0]], requires_grad=True)
    sign = 1.0 if reduce == "max" else -1.0
    xs = Tensor(sign * x.data, requires_grad=True)
    g = np.array([6.0, 8.0, -4.0])
    getattr(xs, reduce)(axis=1).backward(gradient=g)
    want = np.array([[0, 3, 3, 0], [2, 2, 2, 2], [-2, 0, 0, -2]], dtype=float)  # g / k to each tied max
    assert_close(xs.grad.data, want, rtol=0, atol=0)
    assert_close(xs.grad.data.sum(axis=1), g)  # the split adds up to g


def test_max_ties_full_reduction_and_keepdims():
    x = Tensor([[1.0, 7.0], [7.0, 7.0]], requires_grad=True)
    x.max().backward(gradient=np.array(3.0))
    assert_close(x.grad.data, [[0.0, 1.0], [1.0, 1.0]], rtol=0, atol=0)
    y = Tensor([[4.0, 4.0, 1.0]], requires_grad=True)
    y.max(axis=-1, keepdims=True).backward(gradient=np.array([[5.0]]))
    assert_close(y.grad.data, [[2.5, 2.5, 0.0]], rtol=0, atol=0)


def test_max_of_one_variable_repeated_is_exactly_differentiable():
    """max(x, x, x) = x: with the even split the three thirds add up to slope 1."""
    x = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    stacked = x.reshape(1, 2) + Tensor(np.zeros((3, 1)))  # three identical rows
    stacked.max(axis=0).backward(gradient=np.array([2.0, -1.0]))
    assert_close(x.grad.data, [2.0, -1.0])


# ---- indexing ----------------------------------------------------------------------------------
def _take(index: Any) -> tuple[Callable[[Tensor], Tensor], Callable[[np.ndarray], np.ndarray]]:
    return (lambda t: t[index]), (lambda a: a[index])


@given(data=st.data(), shape=shapes, seed=seeds)
@settings(max_examples=100)
def test_getitem_basic_indices(data, shape, seed):
    """Ints (negative too), slices with steps, Ellipsis and None."""
    x = data.draw(float_arrays(shape))
    index = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    check_op(*_take(index), [x], seed)


@given(data=st.data(), shape=testing.shapes(min_dims=1, max_dims=3, max_side=5), seed=seeds)
@settings(max_examples=100)
def test_getitem_integer_arrays_with_repeats_and_negatives(data, shape, seed):
    x = data.draw(float_arrays(shape))
    index = data.draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=0, max_dims=2)))
    check_op(*_take(index), [x], seed)


@given(data=st.data(), shape=shapes, seed=seeds)
def test_getitem_boolean_mask_full_shape(data, shape, seed):
    x = data.draw(float_arrays(shape))
    mask = data.draw(hnp.arrays(np.bool_, shape))
    check_op(*_take(mask), [x], seed)


@given(data=st.data(), shape=testing.shapes(min_dims=2, max_dims=3, max_side=4), seed=seeds)
def test_getitem_boolean_mask_leading_axis(data, shape, seed):
    x = data.draw(float_arrays(shape))
    mask = data.draw(hnp.arrays(np.bool_, shape[:1]))
    check_op(*_take(mask), [x], seed)
    check_op(*_take((Ellipsis, data.draw(hnp.arrays(np.bool_, shape[-1:])))), [x], seed)


MIXED_INDICES = [
    (np.arange(4), np.array([2, 0, 2, 1])),  # the blog's probs[np.arange(n), y]
    (np.array([0, 0, 3, -1]), slice(None)),  # repeated and negative rows
    (slice(1, None), np.array([[0, 0], [-1, 2]])),  # slice then a 2-D integer array
    (Ellipsis, np.array([1, 1, 1])),
    (None, np.array([3, 0, 3]), slice(None, None, -1)),
    (np.array([True, False, True, True]), np.array([0, 2, 2])),  # mask broadcast with ints
    (1, np.array([2, -3, 2])),
    ([0, 0, 1], 2),  # a list index
    (np.array([[1], [3]]), np.array([0, 1, 1])),  # broadcast integer arrays
    (-1,),
    (slice(None, None, 2), None, Ellipsis),
]


@pytest.mark.parametrize("index", MIXED_INDICES, ids=[f"mixed{i}" for i in range(len(MIXED_INDICES))])
def test_getitem_mixed_indices(index):
    x = np.random.default_rng(5).normal(size=(4, 3))
    check_op(*_take(index), [x], seed=6)


def test_getitem_repeated_index_accumulates_exactly():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 0, 2, -1])].backward(gradient=np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert_close(x.grad.data, [6.0, 0.0, 9.0], rtol=0, atol=0)


def test_getitem_with_tensor_index():
    x = np.arange(12.0).reshape(3, 4)
    idx = Tensor(np.array([2, 2, 0]))
    check_op(lambda t: t[idx], lambda a: a[idx.data], [x], seed=7)


# ---- shape ops ---------------------------------------------------------------------------------
@st.composite
def reshape_cases(draw: Any) -> Any:
    shape = draw(shapes)
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    d = draw(st.sampled_from(divisors))
    targets = [(size,), (-1,), (d, size // d), (d, -1), (-1, 1, d), (1, 1, 1, size), tuple(reversed(shape))]
    target = draw(st.sampled_from(targets + [()] if size == 1 else targets))
    return draw(float_arrays(shape)), target, draw(st.booleans())


@given(case=reshape_cases(), seed=seeds)
def test_reshape(case, seed):
    x, target, unpacked = case
    fn = (lambda t: t.reshape(*target)) if unpacked and target else (lambda t: t.reshape(target))
    check_op(fn, lambda a: a.reshape(target), [x], seed)


@given(data=st.data(), shape=shapes, seed=seeds)
def test_flatten(data, shape, seed):
    check_op(lambda t: t.flatten(), lambda a: a.flatten(), [data.draw(float_arrays(shape))], seed)


@given(data=st.data(), shape=shapes, seed=seeds)
def test_transpose_permutations(data, shape, seed):
    x = data.draw(float_arrays(shape))
    perm = tuple(p - len(shape) if data.draw(st.booleans()) else p  # negative axes too
                 for p in data.draw(st.permutations(range(len(shape)))))
    check_op(lambda t: t.transpose(perm), lambda a: np.transpose(a, perm), [x], seed)
    check_op(lambda t: t.permute(*perm), lambda a: np.transpose(a, perm), [x], seed)
    if len(perm) > 2:  # ndim ints: a permutation (two ints swap, as PyTorch's transpose(dim0, dim1))
        check_op(lambda t: t.transpose(*perm), lambda a: np.transpose(a, perm), [x], seed)
    check_op(lambda t: t.transpose(), np.transpose, [x], seed)
    check_op(lambda t: t.T, lambda a: a.T, [x], seed)


@given(data=st.data(), shape=testing.shapes(min_dims=2, max_dims=4, max_side=3), seed=seeds)
def test_swapaxes_and_mT(data, shape, seed):
    x = data.draw(float_arrays(shape))
    nd = len(shape)
    a1, a2 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    check_op(lambda t: t.swapaxes(a1, a2), lambda a: np.swapaxes(a, a1, a2), [x], seed)
    check_op(lambda t: t.mT, lambda a: np.swapaxes(a, -1, -2), [x], seed)


@st.composite
def broadcast_to_cases(draw: Any) -> Any:
    target = draw(shapes)
    keep = draw(st.integers(0, len(target)))  # drop leading axes, then squash some to 1
    small = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - keep:])
    return draw(float_arrays(small)), target


@given(case=broadcast_to_cases(), seed=seeds)
def test_broadcast_to(case, seed):
    x, target = case
    check_op(lambda t: t.broadcast_to(target), lambda a: np.broadcast_to(a, target), [x], seed)


# ---- astype and dtypes ---------------------------------------------------------------------------
def test_astype_roundtrip_gradient_and_dtypes():
    x = Tensor(np.array([[1.5, -2.0], [0.25, 3.0]]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    assert_close(y.data, x.data.astype(np.float32), rtol=0, atol=0)
    g = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype=np.float32)
    y.backward(gradient=g)
    assert x.grad.dtype == np.float64
    assert_close(x.grad.data, g.astype(np.float64), rtol=0, atol=0)

    z = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    w = (z.astype("float64") * np.array([3.0, -4.0])).sum()
    w.backward()
    assert z.grad.dtype == np.float32
    assert_close(z.grad.data, np.array([3.0, -4.0], dtype=np.float32), rtol=0, atol=0)


def test_astype_to_integer_records_nothing():
    x = Tensor([1.7, -2.2], requires_grad=True)
    y = x.astype(np.int64)
    assert y.dtype == np.int64 and not y.requires_grad
    assert_close(y.data, [1, -2], rtol=0, atol=0)


FLOAT_OPS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b + 4.0), "neg": lambda a, b: -a + b,
    "pow": lambda a, b: (a * a + 1.0) ** 1.5 + b, "matmul": lambda a, b: a @ b,
    "exp": lambda a, b: a.exp() + b, "log": lambda a, b: (a * a + 1.0).log() * b,
    "tanh": lambda a, b: a.tanh() * b, "sum": lambda a, b: a.sum(axis=0) + b.sum(),
    "max": lambda a, b: a.max(axis=1) * b[0], "getitem": lambda a, b: a[[0, 0, 1], 1:] * b[0, 1:],
    "reshape": lambda a, b: a.reshape(-1) * b.reshape(9), "transpose": lambda a, b: a.T * b,
    "broadcast_to": lambda a, b: a[0].broadcast_to((2, 3)) + b[1:], "relu": lambda a, b: a.relu() + b,
    "mean": lambda a, b: a.mean(axis=-1) * b[2], "min": lambda a, b: a.min(axis=0) * b[1],
    "scalars": lambda a, b: 2 * a / 3 - 1 + b ** 2 * 0.5 - (1.5 - a),
}


@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_in_forward_and_gradients(name, dtype):
    """float32 stays float32 and float64 stays float64, also when Python numbers take part."""
    rng = np.random.default_rng(3)
    a = Tensor(rng.uniform(-1, 1, size=(3, 3)).astype(dtype), requires_grad=True)
    b = Tensor(rng.uniform(-1, 1, size=(3, 3)).astype(dtype), requires_grad=True)
    out = FLOAT_OPS[name](a, b)
    assert out.dtype == dtype, f"{name}: forward gave {out.dtype}"
    out.sum().backward()
    assert a.grad is not None and a.grad.dtype == dtype, f"{name}: grad of a is {a.grad and a.grad.dtype}"
    assert b.grad is not None and b.grad.dtype == dtype, f"{name}: grad of b is {b.grad and b.grad.dtype}"


@pytest.mark.parametrize("number", [2, 2.5, True])
def test_python_numbers_do_not_upcast_float32(number):
    t = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for out in (t + number, number + t, t * number, number * t, t - number, number - t, t / number,
                number / (t + 1), t**number):
        assert out.dtype == np.float32


def test_mixed_float32_float64_follow_numpy_promotion():
    a32 = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b64 = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = a32 * b64
    assert out.dtype == (a32.data * b64.data).dtype == np.float64
    out.sum().backward()
    assert a32.grad.dtype == np.float32 and b64.grad.dtype == np.float64
    assert_close(a32.grad.data, np.array([3.0, 4.0], dtype=np.float32), rtol=0, atol=0)
    assert_close(b64.grad.data, [1.0, 2.0], rtol=0, atol=0)


def test_ops_on_0d_and_size_one_tensors():
    s = np.array(1.5)
    check_op(lambda t: t * t + t.exp(), lambda a: a * a + np.exp(a), [s], seed=9)
    check_op(lambda t: t.sum(), np.sum, [s], seed=9)
    check_op(lambda t: t.max(axis=0), lambda a: np.max(a, axis=0), [s], seed=9)
    check_op(lambda t: t.mean(axis=-1), np.mean, [s], seed=9)
    check_op(lambda t: t.sum(axis=-1, keepdims=True), lambda a: np.sum(a, keepdims=True), [s], seed=9)
    check_op(lambda t: t.reshape(1, 1), lambda a: a.reshape(1, 1), [s], seed=9)
    check_op(lambda t: t[None, ...], lambda a: a[None, ...], [s], seed=9)
    one = np.array([[2.0]])
    check_op(lambda t: t[0, 0] * t.reshape(()), lambda a: a[0, 0] * a.reshape(()), [one], seed=9)
