"""Gradients of gradients: ``backward(create_graph=True)`` records the backward pass.

For a loss L = sum(f(x) * R) with a random R, the first gradient g(x) = dL/dx is taken with
``create_graph=True``; then S = sum_i <g_i, V_i> (random V) is differentiated again, which gives
the Hessian-vector product H V. The oracle is a float64 central difference OF THE FIRST
GRADIENT: (g(x + h e_k) - g(x - h e_k)) / 2h, where g is computed by a plain backward (itself
checked against NumPy finite differences in test_ops.py, and here again against the NumPy
reference of f).
"""

from __future__ import annotations

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


def numpy_fd(f: Callable[..., float], arrays: list[np.ndarray], i: int, eps: float = EPS) -> np.ndarray:
    """d f / d arrays[i] by float64 central differences (f maps arrays to a scalar)."""
    xs = [np.array(a, dtype=np.float64) for a in arrays]
    out = np.zeros_like(xs[i])
    for idx in np.ndindex(xs[i].shape):
        orig = xs[i][idx]
        xs[i][idx] = orig + eps
        plus = f(*xs)
        xs[i][idx] = orig - eps
        minus = f(*xs)
        xs[i][idx] = orig
        out[idx] = (plus - minus) / (2 * eps)
    return out


def first_grads(fn: Callable[..., Tensor], arrays: list[np.ndarray], upstream: np.ndarray) -> list[Any]:
    """dL/dx_i for L = sum(fn(x) * upstream), by a plain (first-order) backward."""
    ts = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*ts).backward(gradient=upstream)
    return [t.grad.data if t.grad is not None else np.zeros_like(t.data) for t in ts]


def check_second_order(fn: Callable[..., Tensor], numpy_fn: Callable[..., Any], arrays: list[np.ndarray],
                       seed: int, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    rng = np.random.default_rng(seed)
    ts = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*ts)
    upstream = rng.uniform(-2.0, 2.0, size=out.shape)
    (out * Tensor(upstream)).sum().backward(create_graph=True)
    grads = [t.grad for t in ts]

    # the recorded first gradient is right (against NumPy finite differences of L)
    for i, g in enumerate(grads):
        want = numpy_fd(lambda *xs: float(np.sum(numpy_fn(*xs) * upstream)), arrays, i)
        assert g is not None
        assert_close(g.data, want, rtol=rtol, atol=atol, msg=f"first grad {i}")

    vs = [rng.uniform(-2.0, 2.0, size=a.shape) for a in arrays]
    s = sum(((g * Tensor(v)).sum() for g, v in zip(grads, vs)), Tensor(0.0))
    assert s.requires_grad, "the first gradient was not recorded"
    for t in ts:
        t.grad = None
    s.backward()

    def directional(*xs: np.ndarray) -> float:  # sum_i <g_i(x), V_i> from a plain backward
        return float(sum(np.sum(g * v) for g, v in zip(first_grads(fn, list(xs), upstream), vs)))

    for j, t in enumerate(ts):
        want = numpy_fd(directional, arrays, j)
        got = t.grad.data if t.grad is not None else np.zeros_like(arrays[j])
        assert got.shape == arrays[j].shape
        assert_close(got, want, rtol=rtol, atol=atol, msg=f"second derivative, input {j}")


RNG = np.random.default_rng(2024)


def _pos(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, size=shape)


def _any(*shape: int) -> np.ndarray:
    return RNG.uniform(-1.5, 1.5, size=shape)


idx = np.array([0, 2, 2, -1, 0])
mask = np.array([[True, False], [True, True]])
CASES: dict[str, tuple[Callable[..., Tensor], Callable[..., Any], list[np.ndarray]]] = {
    "mul": (lambda a, b: a * b * a, lambda a, b: a * b * a, [_any(2, 3), _any(3)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [_any(2, 3), _pos(2, 1)]),
    "pow_int": (lambda a: a**3, lambda a: a**3, [_any(4)]),
    "pow_frac": (lambda a: a**0.5, lambda a: a**0.5, [_pos(4)]),
    "pow_neg": (lambda a: a**-2, lambda a: a**-2.0, [_pos(2, 2)]),
    "pow_tensor_exponent": (lambda a, b: a**b, np.power, [_pos(3), _any(2, 1)]),
    "matmul_2d": (lambda a, b: a @ b, np.matmul, [_any(2, 3), _any(3, 4)]),
    "matmul_vector_matrix": (lambda a, b: a @ b, np.matmul, [_any(3), _any(2, 3, 2)]),
    "matmul_batched_vector": (lambda a, b: a @ b, np.matmul, [_any(2, 1, 2, 3), _any(3)]),
    "matmul_dot": (lambda a, b: a @ b, np.matmul, [_any(3), _any(3)]),
    "gram": (lambda a: a.T @ a, lambda a: a.T @ a, [_any(3, 2)]),
    "exp": (lambda a: a.exp(), np.exp, [_any(2, 3)]),
    "log": (lambda a: a.log(), np.log, [_pos(2, 3)]),
    "tanh": (lambda a: a.tanh(), np.tanh, [_any(2, 3)]),
    "sum_squared": (lambda a: a.sum(axis=0) ** 2, lambda a: a.sum(axis=0) ** 2, [_any(3, 2)]),
    "sum_keepdims_times_x": (lambda a: a.sum(axis=-1, keepdims=True) * a,
                             lambda a: a.sum(axis=-1, keepdims=True) * a, [_any(2, 3)]),
    "broadcast_to": (lambda a, b: a.broadcast_to((2, 3)) * b, lambda a, b: np.broadcast_to(a, (2, 3)) * b,
                     [_any(3), _any(2, 3)]),
    "broadcasting_mul": (lambda a, b: (a * b).exp(), lambda a, b: np.exp(a * b), [_any(2, 1), _any(3)]),
    "mean": (lambda a: a.mean(axis=0) ** 3, lambda a: a.mean(axis=0) ** 3, [_any(3, 2)]),
    "max": (lambda a: (a * a).max(axis=1), lambda a: (a * a).max(axis=1),
            [np.array([[0.5, -1.5, 1.0], [2.0, 0.25, -0.75]])]),
    "min": (lambda a: (a**3).min(), lambda a: (a**3).min(), [np.array([0.5, -1.5, 1.0])]),
    "getitem_repeats": (lambda a: a[idx] ** 3, lambda a: a[idx] ** 3, [_any(4)]),
    "getitem_mixed": (lambda a: a[np.array([1, 1, 0]), 1:] * a[0, None, 1:],
                      lambda a: a[np.array([1, 1, 0]), 1:] * a[0, None, 1:], [_any(2, 3)]),
    # 0-d inputs: NumPy returns scalars there, and the saved output must still join the graph
    "exp_0d": (lambda a: (a * 2.0).exp(), lambda a: np.exp(a * 2.0), [np.array(0.3)]),
    "tanh_0d": (lambda a: a.tanh(), np.tanh, [np.array(0.4)]),
    "div_0d": (lambda a, b: a / b, np.divide, [np.array(0.7), np.array(1.3)]),
    "getitem_mask": (lambda a: a[mask].exp() * a[mask], lambda a: np.exp(a[mask]) * a[mask], [_any(2, 2)]),
    "reshape_transpose": (lambda a: a.reshape(3, 2).T.exp() * a.reshape(2, 3),
                          lambda a: np.exp(a.reshape(3, 2).T) * a.reshape(2, 3), [_any(6)]),
    "relu": (lambda a: a.relu() * a, lambda a: np.maximum(a, 0) * a, [np.array([0.5, -1.0, 1.5])]),
    "tanh_of_matmul": (lambda w, x: (x @ w).tanh(), lambda w, x: np.tanh(x @ w), [_any(3, 2), _any(4, 3)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_matches_finite_differences_of_the_gradient(name):
    fn, numpy_fn, arrays = CASES[name]
    check_second_order(fn, numpy_fn, arrays, seed=len(name))


@given(shapes=testing.matmul_shapes(max_dims=3, max_side=3),
       seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_matmul_second_derivative_over_shapes(shapes, seed):
    sa, sb = shapes
    rng = np.random.default_rng(seed)
    check_second_order(lambda a, b: (a @ b) * (a @ b), lambda a, b: np.matmul(a, b) ** 2,
                       [rng.normal(size=sa), rng.normal(size=sb)], seed)


@given(data=st.data(), shape=testing.shapes(min_dims=1, max_dims=2, max_side=4),
       seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_getitem_second_derivative_with_repeated_indices(data, shape, seed):
    index = data.draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2)))
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)
    check_second_order(lambda a: a[index] ** 3, lambda a: a[index] ** 3, [x], seed)


def test_hessian_vector_product_against_directional_differences():
    """H v for f(w) = sum(tanh(X w) ** 2) + 0.5 |w|²: compare with (∇f(w + hv) − ∇f(w − hv)) / 2h,
    where ∇f is the closed form 2 Xᵀ(tanh(Xw)(1 − tanh²(Xw))) + w."""
    rng = np.random.default_rng(7)
    X, w0, v = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)

    def grad_closed_form(w: np.ndarray) -> np.ndarray:
        t = np.tanh(X @ w)
        return 2 * X.T @ (t * (1 - t * t)) + w

    w = Tensor(w0, requires_grad=True)
    f = ((Tensor(X) @ w).tanh() ** 2).sum() + 0.5 * (w * w).sum()
    f.backward(create_graph=True)
    g = w.grad
    assert_close(g.data, grad_closed_form(w0), rtol=1e-12)
    w.grad = None
    (g * Tensor(v)).sum().backward()
    h = 1e-5
    want = (grad_closed_form(w0 + h * v) - grad_closed_form(w0 - h * v)) / (2 * h)
    assert_close(w.grad.data, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("x0", [1.3, -0.7])
def test_third_order_of_x_to_the_fourth_and_exp(x0):
    x = Tensor(x0, requires_grad=True)
    (x**4).backward(create_graph=True)
    g1 = x.grad
    x.grad = None
    g1.backward(create_graph=True)
    g2 = x.grad
    x.grad = None
    g2.backward()
    want = [4 * x0**3, 12 * x0**2, 24 * x0]  # d/dx x⁴, d²/dx², d³/dx³
    assert_close([g1.item(), g2.item(), x.grad.item()], want, rtol=1e-12)

    y = Tensor(x0, requires_grad=True)
    derivs = []
    out = (y * 2.0).exp()  # d^n/dy^n e^{2y} = 2^n e^{2y}
    for _ in range(3):
        out.backward(create_graph=True)
        out, y.grad = y.grad, None
        derivs.append(out.item())
    assert_close(derivs, [2**n * np.exp(2 * x0) for n in (1, 2, 3)], rtol=1e-12)


def test_create_graph_retains_graph_by_default_and_gradients_are_graph_tensors():
    x = Tensor([0.5, 2.0], requires_grad=True)
    y = (x * x * x).sum()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and x.grad.requires_grad and x.grad.grad_fn is not None
    first = x.grad
    y.backward(create_graph=True)  # retain_graph defaulted to True: a second pass works
    assert_close(x.grad.data, 2 * 3 * x.data**2)
    assert x.grad is not first
    y.backward(retain_graph=False)  # and the graph can still be freed at the end
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_create_graph_false_gives_constant_gradients():
    x = Tensor([0.5, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None
