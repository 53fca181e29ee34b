"""compile's kernel and layout choices for speed, each checked against eager on the same data:
the one-hot targets rebuilt when the targets change in place, ``aᵀ g`` computed as ``(gᵀ a)ᵀ`` for a
tall result, scalar lines on NumPy scalars (keeping float32), and views of buffers made once."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor
from tinygrad_softmax import functional as F


def _linear(d: int, c: int, dtype: type = np.float64, reg: float = 0.05, n: int = 60,
            seed: int = 0) -> tuple[Tensor, np.ndarray, Tensor, Tensor, Callable[..., Tensor]]:
    rng = np.random.default_rng(seed)
    X = Tensor(rng.standard_normal((n, d)).astype(dtype))
    y = rng.integers(0, c, n)
    W = Tensor(rng.normal(0, 0.1, (d, c)).astype(dtype), requires_grad=True)
    b = Tensor(rng.normal(0, 0.1, c).astype(dtype), requires_grad=True)

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        loss = F.softmax_cross_entropy(X @ W + b, y)
        return loss + reg * (W * W).sum() if reg else loss
    return X, y, W, b, step


def _train_side_by_side(compiled: Callable[..., Tensor], eager: Callable[..., Tensor], pc: list[Tensor],
                        pe: list[Tensor], data: Callable[[int], tuple], steps: int) -> None:
    """Train the same model compiled and eagerly (SGD, new data each step); compare the loss and
    every gradient at each step to 1e-12."""
    opt_c, opt_e = tg.optim.SGD(pc, lr=0.3), tg.optim.SGD(pe, lr=0.3)
    for i in range(steps):
        args = data(i)
        opt_c.zero_grad()
        opt_e.zero_grad()
        got = compiled(*args)
        want = eager(*args)
        want.backward()
        np.testing.assert_allclose(got.data, want.data, rtol=1e-12)
        for p, q in zip(pc, pe):
            np.testing.assert_allclose(p.grad.data, q.grad.data, rtol=1e-12, atol=1e-15)
        opt_c.step()
        opt_e.step()


def _eager(step: Callable[..., Tensor], W: Tensor, b: Tensor, X: Tensor, y: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W.grad = b.grad = None
    loss = step(X, y)
    loss.backward()
    return loss.data, W.grad.data.copy(), b.grad.data.copy()  # type: ignore[union-attr]


@pytest.mark.parametrize("n", [60, 20], ids=["Fortran-ordered scores", "C-ordered scores"])
def test_one_hot_is_rebuilt_when_the_targets_change_in_place(n):
    X, y, W, b, step = _linear(2, 3, n=n)
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    for change in (lambda t: t.__setitem__(slice(0, 10), (t[:10] + 1) % 3), lambda t: t.sort()):
        change(y)  # the same array object, new values
        W.grad = b.grad = None
        got = compiled(X, y)
        gW, gb = W.grad.data.copy(), b.grad.data.copy()
        want, wW, wb = _eager(step, W, b, X, y)
        np.testing.assert_allclose(got.data, want, rtol=1e-12)
        np.testing.assert_allclose(gW, wW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(gb, wb, rtol=1e-12, atol=1e-15)
    assert compiled.traces == 1
    assert ("order='F'" in compiled.source) == (n == 60)  # a few columns, many rows: Fortran order


def test_targets_changed_in_place_out_of_range_are_refused_as_eager_refuses_them():
    X, y, W, b, step = _linear(2, 3)
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    y[5] = 3  # no class 3
    with pytest.raises(ValueError, match="out of range"):
        step(X, y)
    with pytest.raises(ValueError, match=r"class-index targets must lie in \[0, 2\]"):
        compiled(X, y)


@pytest.mark.parametrize("reg", [0.05, 0.0], ids=["with L2 (dW = 2λW + xᵀg)", "without (xᵀg is dW)"])
def test_tall_weight_gradient_as_transposed_product_matches_eager_over_training(reg):
    # 40 inputs, 3 classes: dW = Xᵀ g is 40 x 3, computed as (gᵀ X)ᵀ
    X, y, W, b, step = _linear(40, 3, reg=reg)
    X2, y2, W2, b2, step2 = _linear(40, 3, reg=reg)
    compiled = tg.compile(step, backward=True)
    _train_side_by_side(compiled, step2, [W, b], [W2, b2],
                        lambda i: (Tensor(np.random.default_rng(i).standard_normal((60, 40))), y), 4)
    # no zero_grad: the gradients add up as eager's do (into the .grad arrays, in place)
    compiled(X, y)
    compiled(X, y)
    step2(X2, y2).backward()
    step2(X2, y2).backward()
    np.testing.assert_allclose(W.grad.data, W2.grad.data, rtol=1e-12, atol=1e-15)
    assert "(gᵀ a)ᵀ" in compiled.source and compiled.traces == 1


def test_no_transposed_product_for_a_wide_result():
    X, y, W, b, step = _linear(2, 3, n=300)  # dW is 2 x 3 (and the bias trick takes it anyway)
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    assert "(gᵀ a)ᵀ" not in compiled.source


def test_float32_scalars_keep_the_dtype_of_the_loss_and_match_eager():
    X, y, W, b, step = _linear(30, 4, dtype=np.float32)
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    got = compiled(X, y)
    want, wW, _ = _eager(step, W, b, X, y)
    W.grad = b.grad = None
    compiled(X, y)
    assert got.data.dtype == np.float32 == want.dtype and got.data.shape == ()
    np.testing.assert_allclose(got.data, want, rtol=1e-6)
    np.testing.assert_allclose(W.grad.data, wW, rtol=1e-5, atol=1e-7)
    assert "np.float32(" in compiled.source  # the scalar constants, made once, named in comments


def test_views_of_buffers_are_made_once_and_the_replay_stays_right():
    X, y, W, b, step = _linear(2, 3, n=200)
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    src = compiled.source
    assert "a view, made once" in src and ".reshape(" not in src.split("def replay")[1]
    X2 = Tensor(np.random.default_rng(5).standard_normal((200, 2)))
    W.grad = b.grad = None
    got = compiled(X2, y)
    gW = W.grad.data.copy()
    want, wW, _ = _eager(step, W, b, X2, y)
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    np.testing.assert_allclose(gW, wW, rtol=1e-12, atol=1e-15)


def _compiled_beside_eager(make: Callable[[], tuple[list[Tensor], Callable[..., Tensor]]], rows: int,
                           classes: int, seed: int, steps: int) -> Callable[..., Tensor]:
    """Two copies of the model ``make`` builds, one compiled: trained side by side on new 2-column
    data each step (see _train_side_by_side); returns the compiled step."""
    (pc, fn_c), (pe, fn_e) = make(), make()
    step = tg.compile(fn_c, backward=True)

    def data(i: int) -> tuple:
        rng = np.random.default_rng(seed + i)
        return Tensor(rng.standard_normal((rows, 2))), rng.integers(0, classes, rows)
    _train_side_by_side(step, fn_e, pc, pe, data, steps)
    return step


def test_products_into_fortran_ordered_buffers_match_eager_over_training():
    """A 2 -> 30 ReLU -> 4 MLP on 200 rows: the scores (200 x 4) live in a Fortran-ordered buffer,
    the second product is written transposed into it, its bias added there."""
    def make() -> tuple[list[Tensor], Callable[..., Tensor]]:
        rng = np.random.default_rng(0)
        W1 = Tensor(rng.normal(0, 0.5, (2, 30)), requires_grad=True)
        W2 = Tensor(rng.normal(0, 0.5, (30, 4)), requires_grad=True)
        b2 = Tensor(rng.normal(0, 0.1, 4), requires_grad=True)

        def loss_of(x: Tensor, y: np.ndarray) -> Tensor:
            return F.softmax_cross_entropy((x @ W1).relu() @ W2 + b2, y) + 0.01 * (W2 * W2).sum()
        return [W1, W2, b2], loss_of
    step = _compiled_beside_eager(make, rows=200, classes=4, seed=20, steps=3)
    assert "order='F'" in step.source and "(a b)ᵀ = bᵀ aᵀ" in step.source


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("slot", [0, 1, 2, 5, 40])
def test_spaced_buffers_start_where_asked_within_a_page(slot: int, order: str) -> None:
    from tinygrad_softmax.compile import _spaced
    a = _spaced((300, 70), np.float32, slot, order)
    assert a.shape == (300, 70) and a.dtype == np.float32 and a.flags.writeable
    assert a.flags.c_contiguous if order == "C" else a.flags.f_contiguous
    address = a.__array_interface__["data"][0]
    assert address % 4096 == slot * 1088 % 4096 and address % 64 == 0
    a[...] = np.arange(a.size, dtype=np.float32).reshape(a.shape)  # the whole range is its own memory
    start = address - a.base.__array_interface__["data"][0]
    assert a[-1, -1] == a.size - 1 and a.base.nbytes >= start + a.nbytes  # inside the raw block


def test_big_buffers_of_a_program_each_start_at_their_own_offset_in_a_page():
    """The 2 -> 100 ReLU -> 3 MLP on 1000 rows: its (1000, 100) buffers (the hidden layer, the ReLU
    mask, the hidden gradient) each start at a different place in a page; small ones are plain."""
    def make() -> tuple[list[Tensor], Callable[..., Tensor]]:
        rng = np.random.default_rng(1)
        W1 = Tensor(rng.normal(0, 0.5, (2, 100)), requires_grad=True)
        b1 = Tensor(rng.normal(0, 0.1, 100), requires_grad=True)
        W2 = Tensor(rng.normal(0, 0.5, (100, 3)), requires_grad=True)

        def loss_of(x: Tensor, y: np.ndarray) -> Tensor:
            return F.softmax_cross_entropy((x @ W1 + b1).relu() @ W2, y)
        return [W1, b1, W2], loss_of
    step = _compiled_beside_eager(make, rows=1000, classes=3, seed=30, steps=2)
    src = step.source
    spaced = [line for line in src.splitlines() if "= _spaced((1000, 100)" in line]
    assert len(spaced) >= 2 and "np.empty((1000, 100)" not in src
    closure = dict(zip(step._last.replay.__code__.co_freevars,
                       (c.cell_contents for c in step._last.replay.__closure__)))
    offsets = {closure[line.split("=")[0].strip()].__array_interface__["data"][0] % 4096 for line in spaced
               if line.split("=")[0].strip() in closure}
    assert len(offsets) >= 2  # (the replay reads at least two of them, each at its own offset)
