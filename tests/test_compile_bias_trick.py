"""compile's bias trick: ``x @ W + b`` replayed as ``[x, 1] @ [W; b]`` when x has few columns (and the
gradients of W and b as the rows of one product ``[x, 1]ᵀ g``).
Values and gradients as eager (float64 to 1e-12) over calls with new data and updated weights, and
no fusion where the product is read elsewhere or x has as many columns as the result."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor
from tinygrad_softmax import functional as F


def _run_both(make: Callable[[], tuple[list[Tensor], Callable[..., Tensor]]], data: Callable[[int], tuple],
              rtol: float) -> str:
    """Train the same model eagerly and compiled for 3 steps on new data each step; compare."""
    params_e, fn_e = make()
    params_c, fn_c = make()
    step = tg.compile(fn_c, backward=True)
    opt_e, opt_c = tg.optim.SGD(params_e, lr=0.3), tg.optim.SGD(params_c, lr=0.3)
    for i in range(3):
        args = data(i)
        opt_e.zero_grad()
        opt_c.zero_grad()
        le = fn_e(*args)
        le.backward()
        lc = step(*args)
        np.testing.assert_allclose(lc.data, le.data, rtol=rtol)
        for pe, pc in zip(params_e, params_c):
            np.testing.assert_allclose(pc.grad.data, pe.grad.data, rtol=rtol, atol=rtol * 1e-3)
        opt_e.step()
        opt_c.step()
    assert step.traces == 1
    return step.source


def _mlp(hidden: int, dtype: type, bias_shape: Callable[[int], tuple[int, ...]], extra: bool = False,
         d: int = 2) -> Callable[[], tuple[list[Tensor], Callable[..., Tensor]]]:
    def make() -> tuple[list[Tensor], Callable[..., Tensor]]:
        rng = np.random.default_rng(0)
        W1 = Tensor(rng.normal(0, 0.5, (d, hidden)).astype(dtype), requires_grad=True)
        b1 = Tensor(rng.normal(0, 0.1, bias_shape(hidden)).astype(dtype), requires_grad=True)
        W2 = Tensor(rng.normal(0, 0.5, (hidden, 3)).astype(dtype), requires_grad=True)

        def loss_of(x: Tensor, y: np.ndarray) -> Tensor:
            h = x @ W1
            loss = F.softmax_cross_entropy((h + b1).relu() @ W2, y)
            return loss + 0.01 * h.sum() if extra else loss
        return [W1, b1, W2], loss_of
    return make


def _data(dtype: type, d: int = 2) -> Callable[[int], tuple]:
    def data(i: int) -> tuple:
        rng = np.random.default_rng(10 + i)
        return Tensor(rng.standard_normal((200, d)).astype(dtype)), rng.integers(0, 3, 200)
    return data


@pytest.mark.parametrize("bias_shape", [lambda n: (n,), lambda n: (1, n)], ids=["(n,)", "(1, n)"])
def test_bias_trick_replays_as_eager_in_float64(bias_shape):
    source = _run_both(_mlp(40, np.float64, bias_shape), _data(np.float64), 1e-12)
    assert "bias trick" in source and "MatMul + Add" in source
    assert "[x, 1]ᵀ g" in source  # the gradients of W and b: one product, handed out as its rows


def test_fused_gradients_accumulate_across_calls_as_eager():
    (W1, b1, W2), fn = _mlp(40, np.float64, lambda n: (n,))()
    (V1, c1, V2), fn_e = _mlp(40, np.float64, lambda n: (n,))()
    step = tg.compile(fn, backward=True)
    for i in range(3):  # no zero_grad: the gradients add up (in place in the compiled step)
        step(*_data(np.float64)(i))
        fn_e(*_data(np.float64)(i)).backward()
    for p, q in ((W1, V1), (b1, c1), (W2, V2)):
        np.testing.assert_allclose(p.grad.data, q.grad.data, rtol=1e-12, atol=1e-15)
    assert "[x, 1]ᵀ g" in step.source


def test_bias_trick_in_float32():
    source = _run_both(_mlp(40, np.float32, lambda n: (n,)), _data(np.float32), 1e-5)
    assert "bias trick" in source


def test_no_bias_trick_when_the_product_is_read_elsewhere():
    source = _run_both(_mlp(40, np.float64, lambda n: (n,), extra=True), _data(np.float64), 1e-12)
    assert "bias trick" not in source


def test_no_bias_trick_when_x_has_as_many_columns_as_the_result():
    source = _run_both(_mlp(10, np.float64, lambda n: (n,), d=10), _data(np.float64, d=10), 1e-12)
    assert "bias trick" not in source  # x 200 x 10 -> 10: copying x costs as much as the add saves
    source = _run_both(_mlp(8, np.float64, lambda n: (n,), d=20), _data(np.float64, d=20), 1e-12)
    assert "bias trick" not in source


def test_bias_trick_on_the_articles_model_with_x_in_fortran_order():
    """2 -> 3: x has fewer columns than the result, so the bias trick pays ([x, 1] in Fortran
    order makes the copy of x two contiguous blocks); values and gradients as eager."""
    source = _run_both(_mlp(3, np.float64, lambda n: (n,)), _data(np.float64), 1e-12)
    assert "bias trick" in source and "[x, 1]ᵀ g" in source
