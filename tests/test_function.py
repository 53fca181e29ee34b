"""A user-defined Function is a first-class op, exactly like the built-in primitives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_softmax import Function, Tensor, no_grad
from tinygrad_softmax.testing import assert_close


class Square(Function):
    """x²; backward 2x·g, written with ops ndarrays and Tensors share."""

    seen: list[Any] = []

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        Square.seen.append((type(grad), type(x), x))
        return 2.0 * x * grad


class Linear(Function):
    """y = x @ W + b (b broadcast over rows); records needs_input_grad and skips unneeded grads."""

    log: list[Any] = []

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray, *, scale: float = 1.0) -> np.ndarray:
        ctx.save_for_backward(x, W)
        ctx.scale = scale
        Linear.log.append(("forward", ctx.needs_input_grad, scale))
        return scale * (x @ W + b)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, W = ctx.saved_tensors
        need_x, need_W, need_b = ctx.needs_input_grad
        Linear.log.append(("backward", ctx.needs_input_grad))
        g = grad * ctx.scale
        return (g @ W.T if need_x else None,
                x.T @ g if need_W else None,
                g.sum(axis=0) if need_b else None)


class SaveScratch(Function):
    """x·c with c = cos(x0) computed in forward and saved: not an input, not the output."""

    kinds: list[Any] = []

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        c = np.cos(x)
        ctx.save_for_backward(c, x)
        return x * c

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        c, x = ctx.saved_tensors
        SaveScratch.kinds.append((type(c), c.requires_grad if isinstance(c, Tensor) else None))
        return grad * c  # deliberately treats cos(x) as a constant


def test_custom_square_matches_closed_form_and_mixes_with_builtins():
    x = Tensor([1.5, -2.0, 0.5], requires_grad=True)
    y = Square.apply(x)
    assert y.requires_grad and not y.is_leaf and isinstance(y.grad_fn, Square)
    assert_close(y.data, x.data**2, rtol=0, atol=0)
    z = (Square.apply(y) + y * 3.0).sum()  # x⁴ + 3x²  (y is used twice: a diamond)
    z.backward()
    assert_close(x.grad.data, 4 * x.data**3 + 6 * x.data)


def test_saved_tensors_are_arrays_in_a_plain_backward_and_graph_tensors_under_create_graph():
    Square.seen.clear()
    x = Tensor([1.0, 2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    g_type, x_type, _ = Square.seen[-1]
    assert g_type is np.ndarray and x_type is np.ndarray
    Square.apply(x).sum().backward(create_graph=True)
    g_type, x_type, saved = Square.seen[-1]
    assert g_type is Tensor and x_type is Tensor
    assert saved is x  # the saved input comes back as the very input tensor


def test_saved_array_that_is_neither_input_nor_output_is_a_constant_under_create_graph():
    SaveScratch.kinds.clear()
    x = Tensor([0.3, 1.1], requires_grad=True)
    SaveScratch.apply(x).sum().backward(create_graph=True)
    assert SaveScratch.kinds[-1] == (Tensor, False)
    assert_close(x.grad.data, np.cos(x.data))


def test_second_derivative_of_a_custom_function():
    x = Tensor([1.5, -2.0, 0.5], requires_grad=True)
    (Square.apply(Square.apply(x)) * np.array([1.0, 2.0, -1.0])).sum().backward(create_graph=True)  # r·x⁴
    g = x.grad
    assert_close(g.data, np.array([1.0, 2.0, -1.0]) * 4 * x.data**3)
    x.grad = None
    g.sum().backward()
    want = np.array([1.0, 2.0, -1.0]) * 12 * x.data**2
    # the oracle: central differences of the first gradient, computed in float64
    eps = 1e-6
    fd = (np.array([1.0, 2.0, -1.0]) * 4 * ((x.data + eps) ** 3 - (x.data - eps) ** 3)) / (2 * eps)
    assert_close(x.grad.data, want, rtol=1e-12)
    assert_close(x.grad.data, fd, rtol=1e-7)


@pytest.mark.parametrize("requires", [(False, True, True), (True, False, True), (True, True, False),
                                      (True, True, True)])
def test_linear_gets_needs_input_grad_right_and_kwargs_reach_forward(requires):
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)]
    x, W, b = (Tensor(a, requires_grad=r) for a, r in zip(xs, requires))
    Linear.log.clear()
    y = Linear.apply(x, W, b, scale=0.5)
    assert_close(y.data, 0.5 * (xs[0] @ xs[1] + xs[2]))
    r = rng.normal(size=(4, 2))
    y.backward(gradient=r)
    assert Linear.log == [("forward", requires, 0.5), ("backward", requires)]
    want = [0.5 * r @ xs[1].T, 0.5 * xs[0].T @ r, 0.5 * r.sum(axis=0)]
    for t, need, w in zip((x, W, b), requires, want):
        if need:
            assert_close(t.grad.data, w, rtol=1e-12)
        else:
            assert t.grad is None


def test_linear_against_central_differences():
    rng = np.random.default_rng(1)
    xs = [rng.normal(size=(3, 2)), rng.normal(size=(2, 4)), rng.normal(size=4)]
    r = rng.normal(size=(3, 4))
    ts = [Tensor(a, requires_grad=True) for a in xs]
    Linear.apply(*ts).backward(gradient=r)
    eps = 1e-6
    for i, t in enumerate(ts):
        fd = np.zeros_like(xs[i])
        for idx in np.ndindex(xs[i].shape):
            plus = [a.copy() for a in xs]
            minus = [a.copy() for a in xs]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            loss_plus = np.sum((plus[0] @ plus[1] + plus[2]) * r)
            loss_minus = np.sum((minus[0] @ minus[1] + minus[2]) * r)
            fd[idx] = (loss_plus - loss_minus) / (2 * eps)
        assert_close(t.grad.data, fd, rtol=1e-6, atol=1e-8)


def test_inputs_that_are_arrays_or_numbers_become_constants():
    W = Tensor(np.eye(2), requires_grad=True)
    y = Linear.apply(np.ones((1, 2)), W, 0.0 * np.ones(2))
    assert y.requires_grad
    y.sum().backward()
    assert_close(W.grad.data, np.ones((2, 2)), rtol=0, atol=0)


def test_custom_function_records_nothing_without_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = Square.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = Square.apply(Tensor([1.0, 2.0]))
    assert not z.requires_grad and z.grad_fn is None


def test_gradient_dtype_follows_the_input():
    class Half(Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
            return x / 2

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            return np.asarray(grad, dtype=np.float64) / 2  # returns float64 for a float32 input

    x = Tensor(np.array([1.0, 4.0], dtype=np.float32), requires_grad=True)
    Half.apply(x).sum().backward()
    assert x.grad.dtype == np.float32
    assert_close(x.grad.data, np.array([0.5, 0.5], dtype=np.float32), rtol=0, atol=0)


def test_ctx_parents_are_the_input_tensors():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0])
    y = Linear.apply(a.reshape(1, 1), Tensor([[3.0]]), b)
    assert y.grad_fn.parents[2] is b
    assert y.grad_fn.needs_input_grad == (True, False, False)
