"""compile(): the replayed program gives eager's outputs and gradients, traces again when it must,
refuses what it cannot replay, and allocates no intermediates per call.

The reference is always the eager engine on the same data (itself checked against finite
differences and closed forms elsewhere); a test of compile can fail if a generated line is wrong,
a value is baked in that should be live, or a buffer is overwritten while still needed.
"""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_softmax as tg
from tinygrad_softmax import Function, Tensor, no_grad
from tinygrad_softmax import functional as F
from tinygrad_softmax.compile import CompileError, TracingError


class Cube(Function):
    """A user's op: x³ with a backward written on arrays (np.square), so compile must call it."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return 3 * np.square(np.asarray(x)) * np.asarray(g)


# ---- random programs ------------------------------------------------------------------------
# Values are (N, C) arrays, (C,) rows or scalars. Each step applies one op to earlier values, so the
# graphs get fan-out (a value used many times), diamonds, broadcasting (a row against a matrix),
# indexing (by a slice and by the integer targets), reductions (sum over each axis, max), the
# matrix product, both cross-entropy losses and a custom Function.
N, C = 40, 3  # (40, 3) float64 is 960 bytes: large enough for out= buffers (512 bytes and up)
UNARY = ["tanh", "relu", "exp_tanh", "cube", "neg", "half", "sum0", "sum1", "max1", "square_sum", "slice",
         "pick"]
BINARY = ["add", "sub", "mul", "div", "matmul_row"]


@st.composite
def programs(draw: Any) -> list[tuple[Any, ...]]:
    steps: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 10))):
        n = len(steps) + 3  # values 0, 1, 2: the input X, the parameters P (N, C) and r (C,)
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(UNARY)), draw(st.integers(0, n - 1))))
        else:
            steps.append((draw(st.sampled_from(BINARY)), draw(st.integers(0, n - 1)),
                          draw(st.integers(0, n - 1))))
    losses = draw(st.lists(st.sampled_from(["fused", "composed", "sum"]), min_size=1, max_size=2,
                           unique=True))
    return steps + [("loss", tuple(losses), draw(st.integers(0, len(steps) + 2)))]


def _as_matrix(v: Tensor) -> Tensor:
    """Any value brought to shape (N, C) by broadcasting (so every op has an operand it fits)."""
    if v.shape == (N, C):
        return v
    return v.reshape((1, C) if v.shape == (C,) else (1, 1)) + Tensor(np.zeros((N, C)))


def run_program(steps: list[tuple[Any, ...]], X: Tensor, y: np.ndarray, P: Tensor, r: Tensor) -> Tensor:
    vals: list[Tensor] = [X, P, r]
    for step in steps[:-1]:
        kind, a = step[0], vals[step[1]]
        if kind in BINARY:
            b = vals[step[2]]
            if kind == "matmul_row":  # (N, C) @ (C,) -> (N,), then broadcast back as a column
                v = _as_matrix(a) * (_as_matrix(a) @ _as_matrix(b)[0]).reshape((N, 1)).tanh()
            elif kind == "div":
                v = a / (b * b + 1.0)
            else:
                v = a + b if kind == "add" else a - b if kind == "sub" else a * b.tanh()  # bounded growth
        elif kind == "tanh":
            v = a.tanh()
        elif kind == "relu":
            v = a.relu()
        elif kind == "exp_tanh":
            v = a.tanh().exp()
        elif kind == "cube":
            v = Cube.apply(a.tanh())
        elif kind == "neg":
            v = -a
        elif kind == "half":
            v = a * 0.5
        elif kind == "sum0":
            v = _as_matrix(a).sum(axis=0) * (1 / N)
        elif kind == "sum1":
            v = _as_matrix(a).sum(axis=1, keepdims=True) * _as_matrix(a).tanh()
        elif kind == "max1":
            v = _as_matrix(a).max(axis=1)[:, None] + a
        elif kind == "square_sum":
            v = (a * a).sum() * (1 / a.size)
        elif kind == "slice":
            v = _as_matrix(a)[1:, ::-1].sum(axis=0) * (1 / N)
        else:  # "pick": each row's entry at its target class (indexing by an integer input)
            v = _as_matrix(a)[np.arange(N), y].sum() * (1 / N) + a
        vals.append(v)
    _, losses, which = steps[-1]
    logits = _as_matrix(vals[which])
    total = (vals[-1] * vals[-1]).sum() if vals[-1].requires_grad else (P * P).sum()
    for name in losses:
        if name == "fused":
            total = total + F.softmax_cross_entropy(logits, y)
        elif name == "composed":
            total = total + F.cross_entropy(logits, y)
        else:
            total = total + logits.sum() * 0.1
    return total


def _data(rng: np.random.Generator) -> tuple[Tensor, np.ndarray]:
    return Tensor(rng.uniform(-1, 1, (N, C))), rng.integers(0, C, N)


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(programs(), st.integers(0, 2**32 - 1))
def test_random_programs_compiled_match_eager_over_calls_with_new_data_and_updated_parameters(steps, seed):
    rng = np.random.default_rng(seed)
    P = Tensor(rng.uniform(-1, 1, (N, C)), requires_grad=True)
    r = Tensor(rng.uniform(-1, 1, C), requires_grad=True)

    def fn(X: Tensor, y: np.ndarray) -> Tensor:
        return run_program(steps, X, y, P, r)

    compiled = tg.compile(fn, backward=True)
    X, y = _data(rng)
    for call in range(4):
        X = _data(rng)[0]
        if call == 3:  # new targets: read live, or (if a value derived from them was baked) traced again
            y = _data(rng)[1]
        P.grad = r.grad = None
        expected = fn(X, y)
        expected.backward()
        want = [None if t.grad is None else t.grad.data.copy() for t in (P, r)]
        P.grad = r.grad = None
        got = compiled(X, y)
        assert got.grad_fn is None and not got.requires_grad
        _close(got.data, expected.data)
        for t, w in zip((P, r), want):
            if w is None:
                assert t.grad is None
            else:
                _close(t.grad.data, w)
        with no_grad():  # an optimizer step between calls: compile reads the parameters live
            P.data -= 0.1 * (P.grad.data if P.grad is not None else 0)
            r.data = r.data - 0.05  # a new array object, too
        if call < 3:
            assert compiled.traces == 1  # calls 1 and 2 replayed the generated code


# ---- the article's step ---------------------------------------------------------------------
def _article(rng_seed: int = 0) -> tuple[Tensor, np.ndarray, Tensor, Tensor, Any]:
    X, y = tg.datasets.load_blog()
    W = Tensor(np.random.default_rng(rng_seed).normal(0, 1e-3, (2, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        return F.softmax_cross_entropy(X @ W + b, y) + 0.05 * (W * W).sum()
    return Tensor(X), y, W, b, step


def test_the_article_step_trains_like_eager_and_accumulates_grads_as_eager_does():
    X, y, W, b, step = _article()
    X2, y2, W2, b2, step2 = _article()
    compiled = tg.compile(step, backward=True)
    opt, opt2 = tg.optim.SGD([W, b], lr=0.5), tg.optim.SGD([W2, b2], lr=0.5)
    for _ in range(5):
        opt.zero_grad()
        opt2.zero_grad()
        loss = compiled(X, y)
        loss2 = step2(X2, y2)
        loss2.backward()
        _close(loss.data, loss2.data)
        opt.step()
        opt2.step()
        _close(W.data, W2.data)
        _close(b.data, b2.data)
    # without zero_grad, gradients add up across calls (PyTorch semantics), as eager
    compiled(X, y)
    compiled(X, y)
    step2(X2, y2).backward()
    step2(X2, y2).backward()
    _close(W.grad.data, W2.grad.data)
    assert compiled.traces == 1


def test_source_reads_as_the_backward_pass_written_by_hand():
    X, y, W, b, step = _article()
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    src = compiled.source
    for needed in ("def replay(X, y):", "W = _P_W.data", "# ---- forward ----", "# ---- backward ----",
                   "dW", "db", "softmax", "np.matmul(", "# forward: MatMul", "backward of MatMul"):
        assert needed in src, needed
    assert "eval(" not in src


def test_new_targets_are_read_live_and_checked():
    X, y, W, b, step = _article()
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    y2 = np.roll(y, 7)
    W.grad = b.grad = None
    got = compiled(X, y2)
    gW = W.grad.data.copy()
    W.grad = b.grad = None
    want = step(X, y2)
    want.backward()
    _close(got.data, want.data)
    _close(gW, W.grad.data)
    assert compiled.traces == 1  # the fused loss's kernel reads y at every call
    with pytest.raises(ValueError, match="class-index targets"):
        compiled(X, np.full_like(y, 3))


def test_composed_loss_with_new_targets_retraces_rather_than_replaying_stale_values():
    X, y, W, b, _ = _article()

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        return F.cross_entropy(X @ W + b, y, weight=np.array([1.0, 2.0, 0.5]))
    compiled = tg.compile(step, backward=True)
    compiled(X, y)
    for y2 in (np.roll(y, 3), y[::-1].copy()):
        got = compiled(X, y2)
        _close(got.data, step(X, y2).data)
    assert compiled.traces == 3  # each new target array traced again, not replayed stale


def test_new_shapes_dtypes_and_values_trace_again():
    W = Tensor(np.ones((3, 2)), requires_grad=True)

    def f(x: Tensor, scale: float) -> Tensor:
        return ((x @ W) * scale).sum()
    compiled = tg.compile(f, backward=True)
    compiled(Tensor(np.ones((4, 3))), 2.0)
    compiled(Tensor(np.ones((4, 3))), 2.0)
    assert compiled.traces == 1
    compiled(Tensor(np.ones((5, 3))), 2.0)
    assert compiled.traces == 2
    W.grad = None
    got = compiled(Tensor(np.ones((5, 3))), 3.0)  # a new non-array argument: traced, not stale
    assert compiled.traces == 3
    _close(got.data, 3.0 * 5 * 3 * 2)
    _close(W.grad.data, np.full((3, 2), 3.0 * 5))


def test_forward_only_returns_values_without_a_graph_and_tuples():
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)

    def f(x: Tensor) -> tuple[Tensor, Tensor]:
        h = (x * a).tanh()
        return h.sum(), h
    compiled = tg.compile(f)
    for k in range(3):
        x = Tensor(np.full((2, 3), 0.1 * k))
        s, h = compiled(x)
        _close(h.data, np.tanh(x.data * a.data))
        _close(s.data, np.tanh(x.data * a.data).sum())
        assert h.grad_fn is None and a.grad is None


def test_an_input_that_requires_grad_receives_its_gradient():
    compiled = tg.compile(lambda x: (x * x).sum(), backward=True)
    for k in range(3):
        x = Tensor(np.arange(4.0) + k, requires_grad=True)
        compiled(x)
        _close(x.grad.data, 2 * x.data)
    assert compiled.traces == 1


def test_custom_function_backward_runs_opaquely_at_every_call():
    calls = []

    class Logged(Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            calls.append(type(g))
            (x,) = ctx.saved_tensors
            return np.cos(x) * g

    p = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    compiled = tg.compile(lambda x: (Logged.apply(x * p) * 2.0).sum(), backward=True)
    for k in range(3):
        p.grad = None
        x = Tensor(np.array([1.0, 2.0]) + k)
        compiled(x)
        _close(p.grad.data, 2.0 * np.cos(x.data * p.data) * x.data)
    assert len(calls) == 3 and all(t is np.ndarray for t in calls)
    assert "opaque" in compiled.source


def test_no_grad_regions_inside_the_function_carry_no_gradient():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def f(x: Tensor) -> Tensor:
        with no_grad():
            scale = (w * w).sum()  # a value of the step, but no gradient flows through it
        return (x * w * scale).sum()
    compiled = tg.compile(f, backward=True)
    for k in range(2):
        w.grad = None
        x = Tensor(np.array([1.0, -1.0]) * (k + 1))
        compiled(x)
        _close(w.grad.data, x.data * (w.data @ w.data))
    assert compiled.traces == 1


@pytest.mark.parametrize("escape", [bool, float, lambda t: t.item(), lambda t: t.numpy(),
                                    lambda t: t.tolist()])
def test_turning_a_traced_value_into_a_python_value_fails_loudly(escape):
    w = Tensor(np.array([1.0]), requires_grad=True)

    def f(x: Tensor) -> Tensor:
        s = (x * w).sum()
        if escape(s):  # control flow on a value: would be baked in
            return s
        return -s
    with pytest.raises(TracingError, match="baked in at trace time"):
        tg.compile(f)(Tensor(np.array([2.0])))
    assert bool(Tensor(np.array([1.0])))  # and the guards are gone after the trace


def test_comparisons_and_masks_are_recomputed_at_every_call():
    compiled = tg.compile(lambda x: x.masked_fill(x < 0, 0.0).sum())
    for k in (-1.0, 1.0):
        x = Tensor(np.array([1.0, -2.0, 3.0]) * k)
        _close(compiled(x).data, np.maximum(x.data, 0).sum())
    assert compiled.traces == 1  # the second call replayed, with the mask recomputed


def test_random_ops_are_refused():
    with pytest.raises(CompileError, match="random"):
        tg.compile(lambda x: F.dropout(x, 0.5).sum())(Tensor(np.ones(4)))
    with pytest.raises(CompileError, match="random"):
        tg.compile(lambda x: (x * tg.randn(4)).sum())(Tensor(np.ones(4)))
    # not training: no random numbers, fine
    kept = tg.compile(lambda x: F.dropout(x, 0.5, training=False).sum())(Tensor(np.ones(4)))
    assert float(kept.data) == 4.0


def test_in_place_writes_are_refused():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def f(x: Tensor) -> Tensor:
        h = x * w
        h += 1.0  # in place, on a traced value
        return h.sum()
    with pytest.raises(CompileError, match="in-place"):
        tg.compile(f, backward=True)(Tensor(np.ones(2)))
    h = Tensor(np.ones(2))
    h += 1.0  # and allowed again after the trace
    assert h.data.tolist() == [2.0, 2.0]


def test_backward_needs_a_loss_that_requires_grad():
    with pytest.raises(CompileError, match="requires grad"):
        tg.compile(lambda x: x.sum(), backward=True)(Tensor(np.ones(3)))


def test_no_allocation_growth_and_no_intermediate_arrays_per_call_for_the_article_step():
    X, y, W, b, step = _article()
    compiled = tg.compile(step, backward=True)
    opt = tg.optim.SGD([W, b], lr=0.1)

    def one() -> None:
        opt.zero_grad()
        compiled(X, y)
    for _ in range(3):
        one()
    gc.collect()
    tracemalloc.start()
    try:
        one()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(20):
            one()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current - base < 2048  # nothing kept per call
    # Each (1000, 3) intermediate is 24,000 bytes and the step has about ten of them: a call
    # allocates none (they live in out= buffers), only the loss and the two small gradients it hands
    # out. What remains of the peak is NumPy's own transient iteration buffer for a broadcast
    # operand (S += b allocates it too, in hand-written NumPy), at most one intermediate's size.
    assert peak - base < 26_000, peak - base
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        opt.zero_grad()
        step(X, y).backward()
        eager_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert eager_peak > 3 * (peak - base)  # the eager step does allocate its intermediates


# ---- many ops, each compiled and replayed against eager ------------------------------------
_rng = np.random.default_rng(7)
_P = Tensor(_rng.standard_normal((6, 4)), requires_grad=True)
_q = Tensor(_rng.standard_normal(4), requires_grad=True)
_ln = tg.nn.LayerNorm(4)
_lin = tg.nn.Linear(4, 3, rng=np.random.default_rng(1))
_LEAVES = [_P, _q, *_ln.parameters(), *_lin.parameters()]
STEPS = {
    "mse": lambda x, y: F.mse_loss(x * _P, Tensor(np.ones((6, 4)))),
    "layer_norm": lambda x, y: _ln(x * _P).sum(),
    "softmax": lambda x, y: (F.softmax(x * _P, dim=1) * _q).sum(),
    "logsumexp": lambda x, y: F.logsumexp(x + _P, dim=1).sum(),
    "maximum_clamp": lambda x, y: tg.maximum(x, _P).sum() + (x * _q).clamp(-0.5, 0.5).sum(),
    # the backward of where on a constant upstream gradient: the mask must not be folded
    "where": lambda x, y: tg.where(x > 0, _P, _q * x).sum(),
    "einsum": lambda x, y: tg.einsum("ij,j->i", x * _P, _q).sum(),
    "cat_stack": lambda x, y: (tg.cat([x * _P, _P], dim=0) ** 2).sum() + tg.stack([x, _P], dim=0).mean(),
    "pad": lambda x, y: F.pad(x * _P, (1, 1)).sum(),
    "max_mean_var": lambda x, y: (x * _P).max(axis=1).sum() + (x * _P).var(axis=0, ddof=0).sum(),
    "smoothed_ce": lambda x, y: F.cross_entropy(_lin(x * _P), y, label_smoothing=0.1),
    "ignored_ce": lambda x, y: F.softmax_cross_entropy(_lin(x * _P), y, ignore_index=0),
    "bce_logits": lambda x, y: F.binary_cross_entropy_with_logits(x * _P, (x > 0).astype(np.float64)),
    "gelu_silu": lambda x, y: F.gelu(x * _P).sum() + F.silu(x * _q).sum(),
    "indexing": lambda x, y: (x * _P)[y].sum() + (x * _P)[1:3, ::2].sum(),
    "transpose_reshape_prod": lambda x, y: ((x * _P).T @ (x * _P)).sum()
    + (x * _P).reshape(4, 6).sum(0).prod(),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_ops_compiled_match_eager(name):
    fn = STEPS[name]
    compiled = tg.compile(fn, backward=True)
    y = np.array([0, 1, 2, 0, 1, 2])
    for _ in range(3):
        x = Tensor(_rng.standard_normal((6, 4)))
        for t in _LEAVES:
            t.grad = None
        eager = fn(x, y)
        eager.backward()
        want = [None if t.grad is None else t.grad.data.copy() for t in _LEAVES]
        for t in _LEAVES:
            t.grad = None
        _close(compiled(x, y).data, eager.data)
        for t, w in zip(_LEAVES, want):
            assert (t.grad is None) == (w is None)
            if w is not None:
                np.testing.assert_allclose(t.grad.data, w, rtol=1e-11, atol=1e-12)
    assert compiled.traces == 1
