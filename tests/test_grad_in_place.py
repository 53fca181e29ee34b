"""Gradients accumulated in place (PyTorch semantics; eager and compiled alike) by a compiled step,
zero_grad(set_to_none=False) zeroing in place, and SGD's update: values as eager, and what a holder
of the old ``.grad`` array sees."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor
from tinygrad_softmax import functional as F


def _model(seed: int = 0, dtype: type = np.float64) -> tuple[Tensor, np.ndarray, Tensor, Tensor, object]:
    rng = np.random.default_rng(seed)
    X = Tensor(rng.standard_normal((50, 4)).astype(dtype))
    y = rng.integers(0, 3, 50)
    W = Tensor(rng.normal(0, 0.1, (4, 3)).astype(dtype), requires_grad=True)
    b = Tensor(np.zeros(3, dtype), requires_grad=True)

    def loss_of(X: Tensor, y: np.ndarray) -> Tensor:
        return F.softmax_cross_entropy(X @ W + b, y) + 0.05 * (W * W).sum()
    return X, y, W, b, loss_of


def _closed_form_grads(X: np.ndarray, y: np.ndarray, W: np.ndarray,
                       b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dL/dW = Xᵀ(S − Y)/N + 0.1 W, dL/db = Σ(S − Y)/N, written from the closed form."""
    s = X @ W + b
    S = np.exp(s - s.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    S[np.arange(len(y)), y] -= 1
    S /= len(y)
    return X.T @ S + 0.1 * W, S.sum(axis=0)


def test_compiled_step_accumulates_into_the_existing_grad_in_place_with_eager_values():
    X, y, W, b, loss_of = _model()
    step = tg.compile(loss_of, backward=True)
    dW, db = _closed_form_grads(X.data, y, W.data, b.data)
    step(X, y)  # traces: .grad is None, a fresh array
    first_W, first_b = W.grad, b.grad
    held = first_W.data
    step(X, y)  # replays: accumulates into the same arrays, as PyTorch does
    step(X, y)
    assert W.grad is first_W and b.grad is first_b and W.grad.data is held
    np.testing.assert_allclose(W.grad.data, 3 * dW, rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, 3 * db, rtol=1e-12, atol=1e-15)
    # eager gives the same values, and also adds into the first .grad array
    W2, b2 = Tensor(W.data, requires_grad=True), Tensor(b.data, requires_grad=True)
    (F.softmax_cross_entropy(X @ W2 + b2, y) + 0.05 * (W2 * W2).sum()).backward()
    eager_first = W2.grad
    for _ in range(2):
        (F.softmax_cross_entropy(X @ W2 + b2, y) + 0.05 * (W2 * W2).sum()).backward()
    assert W2.grad is eager_first
    np.testing.assert_allclose(W.grad.data, W2.grad.data, rtol=1e-12)
    np.testing.assert_allclose(b.grad.data, b2.grad.data, rtol=1e-12, atol=1e-15)
    assert step.traces == 1


def test_a_grad_that_cannot_be_written_in_place_gets_a_new_array():
    X, y, W, b, loss_of = _model()
    step = tg.compile(loss_of, backward=True)
    step(X, y)
    dW, _ = _closed_form_grads(X.data, y, W.data, b.data)
    frozen = np.ones((4, 3))
    frozen.flags.writeable = False
    W.grad = Tensor(frozen)  # read-only: left untouched
    b.grad = Tensor(np.ones(1))  # another shape (it broadcasts): a new array, as eager
    step(X, y)
    np.testing.assert_array_equal(frozen, np.ones((4, 3)))
    np.testing.assert_allclose(W.grad.data, 1 + dW, rtol=1e-12)
    assert W.grad.data is not frozen and b.grad.shape == (3,)


def test_in_place_accumulation_bumps_the_grad_version():
    X, y, W, b, loss_of = _model()
    step = tg.compile(loss_of, backward=True)
    step(X, y)
    v = W.grad._version
    step(X, y)
    assert W.grad._version == v + 1


@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_without_none_zeroes_the_same_arrays(owner):
    lin = tg.nn.Linear(4, 3, rng=np.random.default_rng(0))
    opt = tg.optim.SGD(lin.parameters(), lr=0.1)
    x = Tensor(np.random.default_rng(1).standard_normal((5, 4)))
    lin(x).sum().backward()
    held = [p.grad for p in lin.parameters()]
    arrays = [g.data for g in held]
    (opt if owner == "optimizer" else lin).zero_grad(set_to_none=False)
    for p, g, a in zip(lin.parameters(), held, arrays):
        assert p.grad is g and g.data is a  # as PyTorch's zero_(): the holder sees the zeros
        np.testing.assert_array_equal(a, np.zeros_like(a))


def test_compiled_training_with_zero_grad_in_place_matches_eager_and_allocates_no_gradients():
    X, y, W, b, loss_of = _model(dtype=np.float32)
    X2, y2, W2, b2, loss_of2 = _model(dtype=np.float32)
    step = tg.compile(loss_of, backward=True)
    opt = tg.optim.SGD([W, b], lr=0.5)
    opt2 = tg.optim.SGD([W2, b2], lr=0.5)
    for _ in range(4):
        opt.zero_grad(set_to_none=False)
        opt2.zero_grad()
        loss = step(X, y)
        loss2 = loss_of2(X2, y2)
        loss2.backward()
        opt.step()
        opt2.step()
        np.testing.assert_allclose(loss.data, loss2.data, rtol=1e-5)
        np.testing.assert_allclose(W.data, W2.data, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b.data, b2.data, rtol=1e-5, atol=1e-6)
    grads = [W.grad.data, b.grad.data]
    for _ in range(70):  # past the length at which each tensor's log of in-place writes stops growing
        opt.zero_grad(set_to_none=False)
        step(X, y)
        opt.step()
    gc.collect()
    tracemalloc.start()
    try:
        opt.zero_grad(set_to_none=False)
        step(X, y)
        opt.step()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            opt.zero_grad(set_to_none=False)
            step(X, y)
            opt.step()
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert W.grad.data is grads[0] and b.grad.data is grads[1]
    assert current - base < 2048


def test_sgd_update_equals_the_plain_expression_bit_for_bit():
    rng = np.random.default_rng(3)
    for dtype in (np.float64, np.float32):
        p0, g0 = rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal((7, 5)).astype(dtype)
        p = Tensor(p0.copy(), requires_grad=True)
        opt = tg.optim.SGD([p], lr=0.3)
        expected = p0.copy()
        for k in range(3):
            p.grad = Tensor(g0 * (k + 1))
            opt.step()
            expected -= 0.3 * (g0 * (k + 1))
            np.testing.assert_array_equal(p.data, expected)
        assert p.data.dtype == dtype and p._version == 3


def test_sgd_with_a_broadcasting_grad_updates_as_the_plain_expression():
    p = Tensor(np.ones((2, 3)), requires_grad=True)
    opt = tg.optim.SGD([p], lr=0.5)
    p.grad = Tensor(np.ones((2, 3)))
    opt.step()
    p.grad = Tensor(np.array([1.0, 2.0, 3.0]))  # broadcasts over the rows, as p.data -= lr * g
    opt.step()
    np.testing.assert_array_equal(p.data, np.array([[0.0, -0.5, -1.0]] * 2))


def _wide_model() -> tuple[Tensor, np.ndarray, Tensor, Tensor, object]:
    """A weight of 500 x 10 float64 (40,000 bytes): its gradient array is recycled between calls."""
    rng = np.random.default_rng(5)
    X = Tensor(rng.standard_normal((30, 500)))
    y = rng.integers(0, 10, 30)
    W = Tensor(rng.normal(0, 0.05, (500, 10)), requires_grad=True)
    b = Tensor(np.zeros(10), requires_grad=True)

    def loss_of(X: Tensor, y: np.ndarray) -> Tensor:
        return F.softmax_cross_entropy(X @ W + b, y) + 0.05 * (W * W).sum()
    return X, y, W, b, loss_of


def test_a_large_gradient_nobody_holds_is_written_into_last_calls_array():
    X, y, W, b, loss_of = _wide_model()
    step = tg.compile(loss_of, backward=True)
    opt = tg.optim.SGD([W, b], lr=0.1)
    step(X, y)  # traces
    opt.zero_grad()
    step(X, y)
    first = id(W.grad.data)
    for _ in range(3):
        opt.zero_grad()  # the old .grad is dropped: its array is free again
        step(X, y)
        dW, _ = _closed_form_grads(X.data, y, W.data, b.data)
        np.testing.assert_allclose(W.grad.data, dW, rtol=1e-12)
        assert id(W.grad.data) == first
        opt.step()
    assert "_refs(_r)" in step.source


def test_a_gradient_someone_still_holds_is_never_overwritten():
    X, y, W, b, loss_of = _wide_model()
    step = tg.compile(loss_of, backward=True)
    step(X, y)
    W.grad = None
    step(X, y)
    held = W.grad  # the user keeps the old gradient tensor ...
    arr = W.grad.data.copy()
    W.grad = None
    step(X, y)  # ... so the next call writes a new array
    np.testing.assert_array_equal(held.data, arr)
    assert W.grad.data is not held.data
    view = W.grad.data[:5]  # a view keeps it too
    kept = view.copy()
    W.grad = None
    W.data += 0.5  # a different gradient next call
    step(X, y)
    np.testing.assert_array_equal(view, kept)
