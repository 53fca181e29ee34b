"""Contracts of the engine that no op test pins down (issue 18).

Each test fails if the behaviour changes: how integer and bool tensors combine with Python
numbers (NumPy's ``array op scalar`` is the oracle, for the value *and* the dtype), how
``backward()`` is seeded, that second derivatives do not change under an observer
(``detect_anomaly()``, a backward trace), that gradients never share memory with each other or
with the caller's arrays, and a handful of shape and dtype cases that once slipped through a
value-only ``assert_allclose``. Also the tests of ``testing.assert_close`` itself.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np
import pytest

from tinygrad_softmax import Function, Tensor, detect_anomaly, tracing
from tinygrad_softmax import functional as F
from tinygrad_softmax.testing import assert_close

# ---- 1. integer and bool tensors with Python numbers ----------------------------------------

DTYPES = ["int32", "int64", "uint8", "bool", "float32", "float64"]
SCALARS = [2, 2.5, True]
OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _numpy_data(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.array([True, False, True])
    return np.array([1, 2, 7], dtype=dtype)


def _outcome(fn: Any) -> Any:
    """The result of ``fn()`` as an ndarray, or the type of the exception it raised."""
    try:
        with np.errstate(all="ignore"):
            out = fn()
    except Exception as e:  # noqa: BLE001 - the exception type is what we compare
        return type(e)
    return np.asarray(out.data if isinstance(out, Tensor) else out)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reflected", [False, True], ids=["tensor_op_scalar", "scalar_op_tensor"])
def test_tensor_with_python_number_follows_numpy(dtype: str, scalar: Any, op: str, reflected: bool) -> None:
    f = OPS[op]
    a = _numpy_data(dtype)
    expected = _outcome(lambda: f(scalar, a) if reflected else f(a, scalar))
    got = _outcome(lambda: f(scalar, Tensor(a)) if reflected else f(Tensor(a), scalar))
    if isinstance(expected, type):  # NumPy refuses (bool - bool): so must we, with the same error type
        assert got is expected, f"NumPy raises {expected.__name__}, we gave {got!r}"
    else:
        assert not isinstance(got, type), f"NumPy gives {expected!r}, we raised {got.__name__}"
        assert_close(got, expected, rtol=0, atol=0)


def test_the_cases_named_in_the_issue() -> None:
    """Spelled out, so a failure reads plainly (the grid above covers them too)."""
    i32 = Tensor(np.array([1, 2], dtype=np.int32))
    assert_close(i32 * 2.5, np.array([2.5, 5.0]))                       # not [2, 4] int32
    assert_close(i32 * 2, np.array([2, 4], dtype=np.int32), rtol=0)      # stays int32
    assert_close(Tensor([1, 2]) + 1, np.array([2, 3]), rtol=0)          # int64 + 1 works
    f32 = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert_close(f32 * 2.5, np.array([2.5, 5.0], dtype=np.float32))     # a Python float is weak


@pytest.mark.parametrize("other", [np.array([0.5, 4.0]), np.float64(0.5), np.array(0.5)],
                         ids=["1d_array", "np_scalar", "0d_array"])
def test_float32_tensor_with_float64_numpy_operand_promotes_as_numpy(other: Any) -> None:
    a = np.array([1.0, 3.0], dtype=np.float32)
    for f in OPS.values():
        assert_close(f(Tensor(a), other), f(a, other), rtol=1e-6)
        assert_close(f(other, Tensor(a)), f(other, a), rtol=1e-6)


@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=repr)
def test_python_number_keeps_float32_graph_and_gradient_float32(scalar: Any) -> None:
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = (scalar * x + scalar - x / scalar) * scalar
    assert y.dtype == np.float32
    y.sum().backward()
    s = float(scalar)
    assert_close(x.grad, np.full(2, (s - 1 / s) * s, dtype=np.float32), rtol=1e-6)


# ---- 2. seeding backward() -------------------------------------------------------------------

def test_float64_gradient_on_a_float32_graph_gives_float32_grads() -> None:
    x = Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    y = x * x
    seed = np.array([1.0, 0.5, -2.0])  # float64
    y.backward(gradient=seed)
    assert_close(x.grad, (2 * x.data * seed).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("out_shape", [(), (1,), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_implicit_seed_of_a_one_element_output(out_shape: tuple[int, ...], dtype: Any) -> None:
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=dtype), requires_grad=True)
    y = (x * x).sum().reshape(out_shape)
    assert y.shape == out_shape
    y.backward()
    assert_close(x.grad, 2 * x.data, rtol=1e-6)


def test_implicit_seed_needs_one_element() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs a `gradient`"):
        (x * 2).backward()


def test_seed_of_wrong_shape_is_refused_not_broadcast() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"got shape \(1,\).*shape \(2,\)"):
        (x * 2).backward(gradient=np.ones(1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_list_seed_under_create_graph(dtype: Any) -> None:
    x = Tensor(np.array([1.0, 2.0], dtype=dtype), requires_grad=True)
    W = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=dtype), requires_grad=True)
    y = (W @ x)[:2]  # shape (2,)
    y.backward(gradient=[1.0, 1.0], create_graph=True)
    for leaf in (x, W):
        assert isinstance(leaf.grad, Tensor)
        assert leaf.grad.shape == leaf.shape and leaf.grad.dtype == leaf.dtype
    assert_close(x.grad, W.data[:2].sum(axis=0), rtol=1e-6)
    assert_close(W.grad, np.outer([1.0, 1.0, 0.0], x.data).astype(dtype), rtol=1e-6)
    assert x.grad.requires_grad  # it is a graph: it can be differentiated again


# ---- 3. second order through every path --------------------------------------------------------

def _hvp(x0: np.ndarray, v: np.ndarray) -> Tensor:
    """H·v of f(x) = Σx³ + (Σx)², by double backward: H = diag(6x) + 2·11ᵀ."""
    x = Tensor(x0, requires_grad=True)
    f = (x ** 3).sum() + x.sum() ** 2
    f.backward(create_graph=True)
    g = x.grad
    x.grad = None
    (g * Tensor(v)).sum().backward()
    assert x.grad is not None
    return x.grad


X0 = np.array([0.5, -1.0, 2.0])
V = np.array([1.0, 2.0, -0.5])
HV = 6 * X0 * V + 2 * V.sum()  # the closed form


def test_hessian_vector_product_outside_any_observer() -> None:
    assert_close(_hvp(X0, V), HV, rtol=1e-12)


def test_hessian_vector_product_under_detect_anomaly_is_the_same() -> None:
    with detect_anomaly():
        inside = _hvp(X0, V)
    assert_close(inside, _hvp(X0, V), rtol=0, atol=0)
    assert_close(inside, HV, rtol=1e-12)


def test_hessian_vector_product_inside_a_backward_trace_is_the_same() -> None:
    with tracing() as trace:
        inside = _hvp(X0, V)
    assert len(trace) > 0  # the trace did watch both backward passes
    assert_close(inside, _hvp(X0, V), rtol=0, atol=0)
    assert_close(inside, HV, rtol=1e-12)


def test_hessian_vector_product_under_both_observers() -> None:
    with detect_anomaly(), tracing():
        inside = _hvp(X0, V)
    assert_close(inside, HV, rtol=1e-12)


class TripleNumpy(Function):
    """3x, with a backward that returns a plain ndarray even under create_graph."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return 3.0 * x

    @staticmethod
    def backward(ctx: Any, grad: Any) -> np.ndarray:
        return 3.0 * np.asarray(grad.data if isinstance(grad, Tensor) else grad)


def test_custom_function_returning_ndarray_under_create_graph() -> None:
    # f(x) = Σ 3x + Σ x³: f' = 3 + 3x², f'' = 6x. The custom op's gradient is a constant
    # (its upstream is the constant 1 of the sum), so returning an ndarray loses nothing.
    x = Tensor(X0.copy(), requires_grad=True)
    f = TripleNumpy.apply(x).sum() + (x ** 3).sum()
    f.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Tensor) and g.requires_grad
    assert_close(g, 3 + 3 * X0 ** 2, rtol=1e-12)
    x.grad = None
    (g * Tensor(V)).sum().backward()
    assert_close(x.grad, 6 * X0 * V, rtol=1e-12)


def test_custom_function_returning_ndarray_alone_gives_tensor_grad() -> None:
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    TripleNumpy.apply(x).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor)
    assert_close(x.grad, np.full(2, 3.0, dtype=np.float32))


# ---- 4. independent gradients --------------------------------------------------------------------

def _shares(a: Tensor | None, b: Any) -> bool:
    assert a is not None
    return np.shares_memory(a.data, b.data if isinstance(b, Tensor) else b)


def test_sum_of_two_leaves_gives_grads_that_share_no_memory() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not _shares(a.grad, b.grad)
    a.grad.numpy()[:] = 99.0  # type: ignore[union-attr]
    assert_close(b.grad, np.ones(2))


@pytest.mark.parametrize("create_graph", [False, True])
def test_leaf_root_grad_does_not_alias_the_callers_gradient(create_graph: bool) -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([0.5, -1.0])
    a.backward(gradient=seed, create_graph=create_graph)
    assert not _shares(a.grad, seed)
    seed[:] = 7.0
    assert_close(a.grad, np.array([0.5, -1.0]))


def test_grads_passed_through_unchanged_are_independent() -> None:
    # Add and Reshape hand the same upstream array on: every receiver must get its own copy.
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    c = a.reshape(2) + b
    c.retain_grad()
    seed = np.array([1.0, 2.0])
    c.backward(gradient=seed)
    grads = [a.grad, b.grad, c.grad]
    for i, g in enumerate(grads):
        assert not _shares(g, seed)
        for h in grads[i + 1:]:
            assert not _shares(g, h)
    b.grad.numpy()[:] = 0.0  # type: ignore[union-attr]
    assert_close(a.grad, np.array([[1.0, 2.0]]))
    assert_close(c.grad, seed)


def test_a_second_backward_accumulates_into_the_first_grad_in_place_as_pytorch() -> None:
    # PyTorch 2.13 (checked): first = a.grad; a second backward -> first is a.grad, both [4, 4]
    a = Tensor([1.0, 2.0], requires_grad=True)
    y = (a * 2).sum()
    y.backward(retain_graph=True)
    first = a.grad
    first_array, version = first.data, first._version
    y.backward()
    assert a.grad is first and a.grad.data is first_array
    assert_close(first, np.array([4.0, 4.0]))
    assert first._version == version + 1  # an in-place write, as PyTorch's += bumps it


def test_a_grad_that_cannot_be_written_in_place_gets_a_new_array() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    frozen = np.array([1.0, 1.0])
    frozen.flags.writeable = False
    a.grad = Tensor(frozen)
    (a * 2).sum().backward()
    assert a.grad.data is not frozen
    assert_close(a.grad, np.array([3.0, 3.0]))
    assert_close(frozen, np.array([1.0, 1.0]))


# ---- 5. shapes and dtypes, not just values ---------------------------------------------------------

def test_logsumexp_over_a_size_one_axis_keeps_the_other_axes() -> None:
    x = np.arange(12.0).reshape(3, 1, 4)
    assert_close(F.logsumexp(Tensor(x), axis=1), x[:, 0, :], rtol=1e-12)
    assert_close(F.logsumexp(Tensor(x), axis=1, keepdims=True), x, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NumPy's second one
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mean_of_an_empty_tensor_is_nan_with_numpys_warning(dtype: Any) -> None:
    empty = np.zeros(0, dtype=dtype)
    with pytest.warns(RuntimeWarning):
        expected = np.mean(empty)
    with pytest.warns(RuntimeWarning, match="[Mm]ean of empty slice"):
        got = Tensor(empty).mean()
    assert_close(got, np.asarray(expected))


def test_mean_over_an_empty_axis_matches_numpy() -> None:
    a = np.zeros((0, 3))
    with pytest.warns(RuntimeWarning):
        expected = a.mean(axis=0)
    with pytest.warns(RuntimeWarning):
        got = Tensor(a).mean(axis=0)
    assert_close(got, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no slice is empty here: no warning, an empty result
        assert_close(Tensor(a).mean(axis=1), a.mean(axis=1))


@pytest.mark.parametrize("fn", [F.softmax_cross_entropy, F.cross_entropy], ids=["fused", "composite"])
def test_loss_with_reduction_none_weight_and_ignore_index_on_nd_logits(fn: Any) -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 3, 4))
    target = np.array([[0, 1, 2, -1], [2, 2, -1, 0]])
    weight = np.array([1.0, 2.0, 0.5])
    x = Tensor(logits, requires_grad=True)
    loss = fn(x, target, weight=weight, ignore_index=-1, reduction="none")
    # NumPy oracle: w[t]·(logsumexp − x_t) per position, 0 where ignored.
    lse = np.log(np.exp(logits).sum(axis=1))
    safe = np.where(target == -1, 0, target)
    picked = np.take_along_axis(logits, safe[:, None, :], axis=1)[:, 0, :]
    expected = np.where(target == -1, 0.0, weight[safe] * (lse - picked))
    assert_close(loss, expected, rtol=1e-12, atol=1e-15)
    up = rng.standard_normal(loss.shape)
    loss.backward(gradient=up)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    onehot = np.eye(3)[safe].transpose(0, 2, 1)
    coef = np.where(target == -1, 0.0, weight[safe] * up)[:, None, :]
    assert_close(x.grad, coef * (softmax - onehot), rtol=1e-10, atol=1e-14)


def test_asarray_of_a_float32_tensor_stays_float32() -> None:
    t = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert np.asarray(t).dtype == np.float32
    assert np.array(t).dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_detached_copy_can_require_grad_and_be_differentiated() -> None:
    w = Tensor([1.0, -2.0], requires_grad=True)
    x = (w * 3).detach().requires_grad_()
    assert x.is_leaf and x.requires_grad
    (x * x).sum().backward()
    assert_close(x.grad, 2 * np.array([3.0, -6.0]))
    assert w.grad is None  # the detached copy is cut from w's graph


@pytest.mark.parametrize("fn", [F.softmax_cross_entropy, F.cross_entropy], ids=["fused", "composite"])
def test_list_weight_and_nested_list_probability_target(fn: Any) -> None:
    logits = np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]])
    probs = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]
    weight = [1.0, 2.0, 0.5]
    x = Tensor(logits, requires_grad=True)
    loss = fn(x, probs, weight=weight)
    log_sm = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    # PyTorch's rule for probability targets: −Σ_c w_c p_c log softmax_c, averaged over N.
    expected = -(np.array(weight) * np.array(probs) * log_sm).sum(axis=1).mean()
    assert_close(loss, np.asarray(expected), rtol=1e-12)
    loss.backward()
    assert x.grad is not None and x.grad.shape == x.shape and x.grad.dtype == x.dtype
    loss_idx = fn(Tensor(logits), [2, 0], weight=weight)  # a list of class indices works too
    w_t = np.array(weight)[[2, 0]]
    assert_close(loss_idx, np.asarray((w_t * -log_sm[[0, 1], [2, 0]]).sum() / w_t.sum()), rtol=1e-12)


@pytest.mark.parametrize("scalar", [2, 2.0])
def test_matmul_with_a_number_raises_the_explained_value_error(scalar: Any) -> None:
    t = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"use \* to scale by a scalar"):
        t @ scalar
    with pytest.raises(ValueError, match=r"use \* to scale by a scalar"):
        scalar @ t


# ---- the assertion helper itself -------------------------------------------------------------------

def test_assert_close_fails_on_a_shape_that_only_broadcasts() -> None:
    # NumPy's lets a 0-d side broadcast: a per-sample loss passes for the mean it should be.
    np.testing.assert_allclose(np.ones(3), np.array(1.0))
    np.testing.assert_allclose(np.ones((3, 1)), 1.0)
    with pytest.raises(AssertionError, match=r"shape mismatch.*\(3,\).*\(\)"):
        assert_close(Tensor(np.ones(3)), np.array(1.0))
    with pytest.raises(AssertionError, match=r"shape mismatch.*\(3, 1\).*\(\)"):
        assert_close(Tensor(np.ones((3, 1))), 1.0)
    with pytest.raises(AssertionError, match=r"shape mismatch.*\(3, 1\).*\(3,\)"):
        assert_close(Tensor(np.ones((3, 1))), np.ones(3))
    with pytest.raises(AssertionError, match="shape mismatch"):
        assert_close(np.ones(()), np.ones(1))


def test_assert_close_fails_on_a_dtype_mismatch() -> None:
    with pytest.raises(AssertionError, match="dtype mismatch.*float32.*float64"):
        assert_close(Tensor(np.ones(2, dtype=np.float32)), np.ones(2))
    with pytest.raises(AssertionError, match="dtype mismatch.*int32.*float64"):
        assert_close(np.array([2, 4], dtype=np.int32), np.array([2.0, 4.0]))
    assert_close(np.ones(2, dtype=np.float32), np.ones(2), check_dtype=False)


def test_assert_close_fails_on_values_and_says_so() -> None:
    with pytest.raises(AssertionError, match="my grad: value mismatch"):
        assert_close(Tensor([1.0, 2.0]), [1.0, 2.1], msg="my grad")
    with pytest.raises(AssertionError, match="value mismatch"):
        assert_close(np.array([1, 2]), np.array([1, 3]), rtol=0)
    with pytest.raises(AssertionError, match="is None"):
        assert_close(None, np.ones(2))


def test_assert_close_accepts_numbers_lists_and_tolerances() -> None:
    assert_close(Tensor(2.0), 2.0)
    assert_close(Tensor(np.float32(2.0)), 2)  # a Python number has no dtype to compare
    assert_close(Tensor([1.0, 2.0]), [1.0, 2.0])
    assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), rtol=1e-8)
    assert_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    with pytest.raises(AssertionError):
        assert_close(np.array([1.0]), np.array([1.001]), rtol=1e-4)


def test_grads_under_create_graph_are_separate_tensors() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a * b + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad and not _shares(a.grad, b.grad)
    b.grad.data[:] = 0.0  # type: ignore[union-attr]
    assert_close(a.grad, np.array([3.0, 4.0]))
    (a.grad * b).sum().backward()  # still part of the graph: d/db Σ b² = 2b, plus b's own grad
    assert_close(b.grad, np.array([6.0, 8.0]))


# ---- what backward hands to an op, in each mode (found by mutation testing) -----------------------

class Recorder(Function):
    """The identity, remembering the type, shape and dtype of the gradient its backward received."""

    seen: list[tuple[type, tuple[int, ...], Any]] = []

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        Recorder.seen.append((type(grad), tuple(grad.shape), grad.dtype))
        return grad


def _seen_after(run: Any) -> tuple[type, tuple[int, ...], Any]:
    Recorder.seen = []
    run()
    assert len(Recorder.seen) == 1
    return Recorder.seen[0]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_implicit_seed_has_the_outputs_shape_dtype_and_the_modes_type(shape: Any, create_graph: bool) -> None:
    x = Tensor(np.ones(shape, dtype=np.float32), requires_grad=True)
    kind, got_shape, dtype = _seen_after(lambda: Recorder.apply(x).backward(create_graph=create_graph))
    assert (kind, got_shape, dtype) == (Tensor if create_graph else np.ndarray, shape, np.float32)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("seed", [np.array([1.0, 2.0]), [1.0, 2.0], Tensor([1.0, 2.0])],
                         ids=["float64_array", "list", "tensor"])
def test_given_seed_is_brought_to_the_outputs_dtype_and_the_modes_type(seed: Any, create_graph: bool) -> None:
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = Recorder.apply(x)
    kind, shape, dtype = _seen_after(lambda: y.backward(gradient=seed, create_graph=create_graph))
    assert (kind, shape, dtype) == (Tensor if create_graph else np.ndarray, (2,), np.float32)
    assert_close(x.grad, np.array([1.0, 2.0], dtype=np.float32))


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_op_below_a_backward_returning_an_ndarray_gets_the_modes_type(create_graph: bool) -> None:
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    out = TripleNumpy.apply(Recorder.apply(x)).sum()
    kind, shape, dtype = _seen_after(lambda: out.backward(create_graph=create_graph))
    assert (kind, shape, dtype) == (Tensor if create_graph else np.ndarray, (2,), np.float32)


class ReturnsOddGradients(Function):
    """x·y with a backward that returns a Python list for x and a wrong-shaped array for y."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return [3.0, 3.0], np.zeros(7)  # y is a constant: its gradient is discarded unchecked


@pytest.mark.parametrize("observed", [False, True])
def test_list_gradients_are_converted_and_a_constants_gradient_is_discarded(observed: bool) -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ReturnsOddGradients.apply(Recorder.apply(x), np.array([3.0, 3.0]))
    Recorder.seen = []
    if observed:  # observers see the gradients conformed, and the walk is the same
        with tracing() as trace:
            y.backward(gradient=np.ones(2))
        step = next(r for r in trace if r.op == "ReturnsOddGradients")
        assert type(step.input_grads[0]) is np.ndarray and step.input_grads[0].shape == (2,)
    else:
        y.backward(gradient=np.ones(2))
    assert Recorder.seen == [(np.ndarray, (2,), np.float64)]
    assert_close(x.grad, np.array([3.0, 3.0]))


def test_an_observer_does_not_change_the_graph_that_create_graph_records() -> None:
    def second_pass_ops(observe: bool) -> list[str]:
        x = Tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
        f = (x ** 3).sum()
        if observe:
            with tracing():
                f.backward(create_graph=True)
        else:
            f.backward(create_graph=True)
        g = x.grad
        x.grad = None
        with tracing() as second:
            g.sum().backward()
        return [r.op for r in second]

    assert second_pass_ops(True) == second_pass_ops(False)


class MyTensor(Tensor):
    """A user's subclass: operations with it stay in the graph."""


def test_a_tensor_subclass_on_the_right_stays_in_the_graph() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = MyTensor([3.0, 4.0], requires_grad=True)
    (a * b + a - b / a).sum().backward()
    assert_close(b.grad, a.data - 1 / a.data)  # d/db (ab + a − b/a) = a − 1/a
    assert_close(a.grad, b.data + 1 + b.data / a.data ** 2)


def test_relu_has_gradient_zero_at_zero_as_in_pytorch() -> None:
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    assert_close(x.grad, np.array([0.0, 0.0, 1.0]))


def test_flatten_gives_one_axis() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.flatten()
    assert_close(y, np.arange(6.0))
    y.backward(gradient=np.arange(6.0))
    assert_close(x.grad, np.arange(6.0).reshape(2, 3))


def test_asarray_with_the_same_dtype_shares_memory() -> None:
    t = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert np.shares_memory(np.asarray(t, dtype=np.float32), t.numpy())
    assert np.shares_memory(t.__array__(np.float32), t.numpy())
    assert t.__array__(np.float64).dtype == np.float64


# ---- exact messages and reprs (a test with match= on a fragment lets a garbled message through) ----

def _raises_exactly(exc: type, message: str, fn: Any) -> None:
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == message


def test_engine_error_messages_read_exactly() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    _raises_exactly(RuntimeError, "backward() on a tensor that does not require grad: no input of its "
                    "graph has requires_grad=True", lambda: Tensor([1.0]).backward())
    _raises_exactly(RuntimeError, "backward() on an output of shape (2,) needs a `gradient` of that shape "
                    "(only one-element outputs get an implicit 1)", lambda: (x * 2).backward())
    _raises_exactly(RuntimeError, "requires_grad can only be changed on leaf tensors; use .detach()",
                    lambda: (x * 2).requires_grad_(False))
    _raises_exactly(RuntimeError, "retain_grad() needs a tensor that requires grad",
                    lambda: Tensor([1.0]).retain_grad())
    _raises_exactly(TypeError, "len() of a 0-d tensor", lambda: len(Tensor(1.0)))
    _raises_exactly(ValueError, "MatMul (input shapes (2,), ()): matmul needs at least 1-D operands, got "
                    "shapes (2,) and (); use * to scale by a scalar", lambda: x @ 2)
    y = (x * x).sum()
    y.backward()
    _raises_exactly(RuntimeError, "trying to backward through the graph a second time: the graph below "
                    "Sum was freed by an earlier backward(); pass retain_graph=True to that backward() to "
                    "keep it",
                    lambda: y.backward())


def test_a_function_without_forward_or_backward_says_what_to_write() -> None:
    class Empty(Function):
        pass

    _raises_exactly(NotImplementedError, "a Function subclass must define forward(ctx, *arrays)",
                    lambda: Empty.apply(Tensor([1.0])))

    class NoBackward(Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
            return x * 2

    y = NoBackward.apply(Tensor([1.0], requires_grad=True)).sum()
    _raises_exactly(NotImplementedError, "a Function subclass must define backward(ctx, grad)", y.backward)


def test_repr_reads_like_pytorch() -> None:
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([[1.0, 2.0], [3.0, 4.0]])) == "Tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(Tensor(np.array([1.0], dtype=np.float32), requires_grad=True)) == \
        "Tensor([1.], dtype=float32, requires_grad=True)"
    assert repr(Tensor([1, 2])) == "Tensor([1, 2])"
    assert repr(Tensor([True])) == "Tensor([ True])"
    assert repr(Tensor(np.array([1, 2], dtype=np.int32))) == "Tensor([1, 2], dtype=int32)"
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    assert repr(x * 2) == "Tensor([2., 4.], dtype=float32, grad_fn=<Mul>)"


def test_ragged_lists_asked_to_be_objects_are_refused_as_ragged() -> None:
    # NumPy 1.x makes an object array of any ragged list (and NumPy 2 of one with dtype=object):
    # either way the error says the rows differ in length.
    _raises_exactly(ValueError, "cannot make a Tensor from this list: the nested sequences have an "
                    "inhomogeneous shape (rows of different lengths)",
                    lambda: Tensor([[1.0], [1.0, 2.0]], dtype=object))


class _RawObserver:
    """Sees what the engine hands observers, before the trace turns it into arrays."""

    def __init__(self) -> None:
        self.input_grads: list[Any] = []

    def forward(self, ctx: Any, inputs: Any, result: Any) -> None:
        pass

    def backward(self, tensor: Any, grad: Any, input_grads: Any) -> None:
        if input_grads is not None:
            self.input_grads.append(input_grads)


class SkipsFirst(Function):
    """x·y whose backward gives no gradient (None) for x and a list for y."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return None, [1.0, 1.0]


def test_observers_see_conformed_gradients_and_none_stays_none() -> None:
    from tinygrad_softmax.hooks import observe

    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = Tensor(np.array([3.0, 4.0], dtype=np.float32), requires_grad=True)
    out = SkipsFirst.apply(x, y)
    with observe(_RawObserver()) as observer:
        out.backward(gradient=np.ones(2))
    (g_x, g_y), = observer.input_grads
    assert g_x is None and x.grad is None
    assert type(g_y) is np.ndarray and g_y.dtype == np.float32 and g_y.shape == (2,)
    assert_close(y.grad, np.ones(2, dtype=np.float32))


@pytest.mark.parametrize("a_shape, b_shape, which", [((2, 3), (4, 5), "second-to-last"),
                                                     ((2, 3), (4,), "only"),
                                                     ((3,), (4, 2), "second-to-last"),
                                                     ((2, 3), (5, 4, 6), "second-to-last")])
def test_matmul_shape_mismatch_message_reads_exactly(a_shape: Any, b_shape: Any, which: str) -> None:
    k = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
    _raises_exactly(ValueError, f"MatMul (input shapes {a_shape}, {b_shape}): matmul shapes {a_shape} and "
                    f"{b_shape} do not align: the last axis of the first ({a_shape[-1]}) must equal the "
                    f"{which} axis of the second ({k})",
                    lambda: Tensor(np.ones(a_shape)) @ Tensor(np.ones(b_shape)))
