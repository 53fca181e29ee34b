"""compile() of a whole training step: zero_grad, forward, loss.backward(), opt.step() inside fn.

Every reference comes from running the same step EAGERLY on a twin set of parameters (built from
the same seeds), never from compiled output: the loss, every parameter, every ``.grad`` and every
parameter's ``_version`` must agree after each call. The first call traces (eagerly), later calls
replay the generated NumPy, so each test makes several calls and checks that only one trace was made.
"""

from __future__ import annotations

import gc
import re
import tracemalloc
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor
from tinygrad_softmax import functional as F
from tinygrad_softmax.compile import Compiled, CompileError
from tinygrad_softmax.optim import SGD, Adam, Optimizer
from tinygrad_softmax.optim.lr_scheduler import ExponentialLR, StepLR

N, D, C = 64, 4, 3  # (64, 3) float64 logits: 1536 bytes, large enough for out= buffers


def assert_same(got: Any, want: Any) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=0, atol=1e-12)


def _batch(i: int, change: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(100 + (i if change else 0))
    return rng.normal(size=(N, D)), rng.integers(0, C, N)


def _values(out: Any) -> list[Any]:
    if isinstance(out, Tensor):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [v for o in out for v in _values(o)]
    if isinstance(out, dict):
        return [v for k in sorted(out) for v in _values(out[k])]
    return [out]


def assert_same_state(a: SimpleNamespace, e: SimpleNamespace, where: str) -> None:
    for k, (p, q) in enumerate(zip(a.params, e.params)):
        assert_same(p.data, q.data)
        assert p._version == q._version, (where, k, p._version, q._version)
        assert (p.grad is None) == (q.grad is None), (where, k, p.grad, q.grad)
        if p.grad is not None:
            assert_same(p.grad.data, q.grad.data)


def assert_twins_agree(build: Callable[[], SimpleNamespace], calls: int = 6, change: bool = True,
           between: Callable[[SimpleNamespace, int], None] | None = None, traces: int = 1) -> Compiled:
    """Run build()'s step compiled and a twin's eagerly for ``calls`` calls; compare after each
    (``between(twin, i)`` runs on both after call i); the compiled step traced ``traces`` times."""
    a, e = build(), build()
    compiled = tg.compile(a.step)
    for i in range(calls):
        X, y = _batch(i, change)
        got = compiled(Tensor(X), y.copy())
        want = e.step(Tensor(X), y.copy())
        for g, w in zip(_values(got), _values(want), strict=True):
            assert_same(g, w)
        assert_same_state(a, e, f"call {i}")
        if between is not None:
            between(a, i)
            between(e, i)
    assert compiled.traces == traces, compiled.traces
    return compiled


# ---- models -------------------------------------------------------------------------------------
def _linear(make_opt: Callable[[list[Tensor]], Any], zero: str = "start", loss: str = "fused",
            grad_norm: bool = False, seed: int = 0) -> Callable[[], SimpleNamespace]:
    """The article's linear classifier (X @ W + b, an L2 term), its step with zero_grad where ``zero``
    says: "start", "end" (after the step), "none", "keep" (set_to_none=False at the start)."""
    def build() -> SimpleNamespace:
        rng = np.random.default_rng(seed)
        W = Tensor(rng.normal(0, 0.1, (D, C)), requires_grad=True)
        b = Tensor(rng.normal(0, 0.1, C), requires_grad=True)
        opt = make_opt([W, b])
        lossf = F.softmax_cross_entropy if loss == "fused" else F.cross_entropy

        def step(X: Tensor, y: np.ndarray) -> Any:
            if zero == "start":
                opt.zero_grad()
            elif zero == "keep":
                opt.zero_grad(set_to_none=False)
            loss = lossf(X @ W + b, y) + 0.05 * (W * W).sum()
            loss.backward()
            gn = (W.grad * W.grad).sum() + b.grad.sum() if grad_norm else None
            opt.step()
            if zero == "end":
                opt.zero_grad()
            return loss if gn is None else (loss, gn)
        return SimpleNamespace(params=[W, b], opt=opt, step=step)
    return build


def _mlp(make_opt: Callable[[list[Tensor]], Any], zero: str = "start", seed: int = 0
         ) -> Callable[[], SimpleNamespace]:
    """A 2-layer MLP via tg.nn; ``zero`` as in _linear, plus "model" / "model_keep" (net.zero_grad())."""
    def build() -> SimpleNamespace:
        net = tg.nn.Sequential(tg.nn.Linear(D, 8, rng=seed), tg.nn.ReLU(), tg.nn.Linear(8, C, rng=seed + 1))
        loss_fn = tg.nn.CrossEntropyLoss()
        opt = make_opt(net.parameters())

        def step(X: Tensor, y: np.ndarray) -> Tensor:
            if zero == "start":
                opt.zero_grad()
            elif zero == "keep":
                opt.zero_grad(set_to_none=False)
            elif zero == "model":
                net.zero_grad()
            elif zero == "model_keep":
                net.zero_grad(set_to_none=False)
            loss = loss_fn(net(X), y)
            loss.backward()
            opt.step()
            if zero == "end":
                opt.zero_grad()
            return loss
        return SimpleNamespace(params=list(net.parameters()), opt=opt, step=step, net=net)
    return build


class SignDecay(Optimizer):
    """A user's optimizer: p -= lr / t · sign(g), its own state (t), in place, bumping the version."""

    def __init__(self, params: Any, lr: float) -> None:
        self.lr = lr
        self.t = 0
        super().__init__(params)

    def step(self) -> None:
        self.t += 1
        for p in self.params:
            if p.grad is not None:
                np.subtract(p.data, self.lr / self.t * np.sign(p.grad.data), out=p.data)
                p._bump_version()


class HalvedSGD(SGD):
    """An SGD subclass whose step calls SGD.step (nested steps are one step)."""

    def step(self) -> None:
        lr = self.lr
        self.lr = lr / 2
        try:
            super().step()
        finally:
            self.lr = lr


OPTIMIZERS: dict[str, Callable[[list[Tensor]], Any]] = {
    "sgd": lambda ps: SGD(ps, lr=0.3),
    "momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "dampening": lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
    "weight_decay": lambda ps: SGD(ps, lr=0.2, weight_decay=0.05),
    "all_sgd": lambda ps: SGD(ps, lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: Adam(ps, lr=0.05),
    "adam_wd": lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.99), weight_decay=0.01),
    "user": lambda ps: SignDecay(ps, lr=0.05),
    "sgd_subclass": lambda ps: HalvedSGD(ps, lr=0.4),
}


# ---- 1. the whole step, compiled vs eager --------------------------------------------------------
@pytest.mark.parametrize("loss", ["fused", "composed"])
def test_article_linear_step_matches_eager_twin(loss: str) -> None:
    # the composed loss reads y as a cache key: keep the targets, change the inputs
    compiled = assert_twins_agree(_linear(OPTIMIZERS["sgd"], loss=loss), change=(loss == "fused"))
    src = compiled.source
    for needed in ("zero_grad", "np.subtract(W, _step_W, out=W)", "_bump_versions((_P_W, _P_b))",
                   "_lr = _opt.lr"):
        assert needed in src, needed


def test_article_linear_step_with_changing_inputs_and_composed_loss_matches_eager() -> None:
    # targets fixed, inputs new every call: one trace, replayed
    a, e = _linear(OPTIMIZERS["sgd"], loss="composed")(), _linear(OPTIMIZERS["sgd"], loss="composed")()
    compiled = tg.compile(a.step)
    _, y = _batch(0)
    for i in range(6):
        X, _ = _batch(i)
        assert_same(compiled(Tensor(X), y).data, e.step(Tensor(X), y).data)
        assert_same_state(a, e, f"call {i}")
    assert compiled.traces == 1


@pytest.mark.parametrize("rows", [40, 64])
def test_composed_cross_entropy_alone_replays_like_eager(rows: int) -> None:
    # the composed loss without a training step (backward=True), to isolate it: 64 rows make the
    # (rows,) row sums 512 bytes, the size from which values get out= buffers
    rng = np.random.default_rng(2)
    W = Tensor(rng.normal(0, 0.1, (D, C)), requires_grad=True)
    X, y = Tensor(rng.normal(size=(rows, D))), rng.integers(0, C, rows)
    compiled = tg.compile(lambda X, y: F.cross_entropy(X @ W, y), backward=True)
    for _ in range(2):
        W.grad = None
        got = compiled(X, y).data
        g = W.grad.data
        W.grad = None
        want = F.cross_entropy(X @ W, y)
        want.backward()
        assert_same(got, want.data)
        assert_same(g, W.grad.data)


def test_mlp_via_nn_modules_matches_eager_twin() -> None:
    compiled = assert_twins_agree(_mlp(OPTIMIZERS["sgd"]))
    assert "Relu" in compiled.source or "maximum" in compiled.source


def _linear_custom(body: Callable[..., Any], *, momentum: float = 0.0) -> Callable[[], SimpleNamespace]:
    """The linear model with a step written by ``body(X, y, W, b, U, opts)``; U is a parameter the
    loss never uses (its .grad stays None), opts = (SGD over W, U, b; Adam over b alone)."""
    def build() -> SimpleNamespace:
        rng = np.random.default_rng(0)
        W = Tensor(rng.normal(0, 0.1, (D, C)), requires_grad=True)
        b = Tensor(rng.normal(0, 0.1, C), requires_grad=True)
        U = Tensor(np.ones(C), requires_grad=True)
        opts = (SGD([W, U, b], lr=0.2, momentum=momentum), Adam([b], lr=0.1), SGD([W], lr=0.2))

        def step(X: Tensor, y: np.ndarray) -> Any:
            return body(X, y, W, b, U, opts)
        return SimpleNamespace(params=[W, b, U], opt=opts[0], step=step)
    return build


def _two_backward_passes(X: Tensor, y: np.ndarray, W: Tensor, b: Tensor, U: Tensor, opts: Any) -> Any:
    opts[0].zero_grad()
    loss = F.softmax_cross_entropy(X @ W + b, y)
    loss.backward()
    (0.1 * (W * W).sum()).backward()  # adds onto the .grad the first pass wrote
    opts[0].step()
    return loss


def _two_optimizers(X: Tensor, y: np.ndarray, W: Tensor, b: Tensor, U: Tensor, opts: Any) -> Any:
    opts[2].zero_grad()
    opts[1].zero_grad()
    loss = F.softmax_cross_entropy(X @ W + b, y)
    loss.backward()
    opts[2].step()  # plain SGD over W: generated lines
    opts[1].step()  # Adam over b: its own step
    return loss


def _zeros_kept_at_the_end(X: Tensor, y: np.ndarray, W: Tensor, b: Tensor, U: Tensor, opts: Any) -> Any:
    loss = F.softmax_cross_entropy(X @ W + b, y)
    loss.backward()
    opts[0].step()
    opts[0].zero_grad(set_to_none=False)  # the next call's backward adds onto zeros
    return loss


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("body", [_two_backward_passes, _two_optimizers, _zeros_kept_at_the_end],
                         ids=["two_backward", "two_optimizers", "zeros_kept_at_end"])
def test_steps_with_several_passes_optimizers_and_a_parameter_without_grad(body: Any, momentum: float
                                                                           ) -> None:
    assert_twins_agree(_linear_custom(body, momentum=momentum))


# ---- 2. optimizers --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_each_optimizer_matches_eager_twin_over_calls(kind: str) -> None:
    compiled = assert_twins_agree(_linear(OPTIMIZERS[kind]), calls=7)
    if kind != "sgd":  # not plain SGD: the optimizer's own step runs at its place
        assert ".step()" in compiled.source


@pytest.mark.parametrize("kind", ["momentum", "adam", "user"])
def test_each_optimizer_on_the_mlp_matches_eager_twin(kind: str) -> None:
    assert_twins_agree(_mlp(OPTIMIZERS[kind]), calls=5)


def test_user_optimizer_step_runs_at_every_call() -> None:
    a = _linear(OPTIMIZERS["user"])()
    compiled = tg.compile(a.step)
    for i in range(5):
        compiled(*[Tensor(v) if k == 0 else v for k, v in enumerate(_batch(i))])
    assert a.opt.t == 5
    assert all(p._version == 5 for p in a.params)


# ---- 3. hyperparameters changed between calls ----------------------------------------------------
@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam", "user"])
def test_lr_set_between_calls_is_honored(kind: str) -> None:
    def set_lr(s: SimpleNamespace, i: int) -> None:
        s.opt.lr = [0.05, 0.5, 0.0, 0.2, 0.11, 0.3][i]
    assert_twins_agree(_linear(OPTIMIZERS[kind]), between=set_lr)


@pytest.mark.parametrize("sched", ["step", "exp"])
def test_lr_scheduler_between_calls_is_honored(sched: str) -> None:
    def build() -> SimpleNamespace:
        s = _linear(OPTIMIZERS["sgd"])()
        s.sched = (StepLR(s.opt, step_size=2, gamma=0.3) if sched == "step"
                   else ExponentialLR(s.opt, gamma=0.7))
        return s

    def tick(s: SimpleNamespace, i: int) -> None:
        s.sched.step()
    assert_twins_agree(build, calls=7, between=tick)


def test_lr_scheduler_changes_lr_of_the_generated_plain_sgd_update() -> None:
    # a check that does not rely on the twin: lr 0 after tracing means parameters stop moving
    s = _linear(OPTIMIZERS["sgd"])()
    compiled = tg.compile(s.step)
    X, y = _batch(0)
    compiled(Tensor(X), y)
    s.opt.lr = 0.0
    before = [p.data.copy() for p in s.params]
    compiled(Tensor(X), y)
    for p, q in zip(s.params, before):
        np.testing.assert_array_equal(p.data, q)
    s.opt.lr = 0.3
    compiled(Tensor(X), y)
    assert not np.array_equal(s.params[0].data, before[0])


@pytest.mark.parametrize("attr,value", [("momentum", 0.9), ("weight_decay", 0.05)])
def test_turning_on_momentum_or_weight_decay_after_tracing_is_honored(attr: str, value: float) -> None:
    def switch(s: SimpleNamespace, i: int) -> None:
        if i == 1:
            setattr(s.opt, attr, value)
        if i == 4:
            setattr(s.opt, attr, 0.0)
    assert_twins_agree(_linear(OPTIMIZERS["sgd"]), calls=7, between=switch)


# ---- 4. zero_grad variants ------------------------------------------------------------------------
@pytest.mark.parametrize("zero", ["start", "end", "none", "keep"])
@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam"])
def test_zero_grad_variants_on_the_linear_model(zero: str, kind: str) -> None:
    assert_twins_agree(_linear(OPTIMIZERS[kind], zero=zero))


@pytest.mark.parametrize("zero", ["start", "end", "none", "keep", "model", "model_keep"])
def test_zero_grad_variants_on_the_mlp(zero: str) -> None:
    assert_twins_agree(_mlp(OPTIMIZERS["sgd"], zero=zero))


def test_zero_grad_at_the_end_leaves_no_grad_after_each_call() -> None:
    s = _linear(OPTIMIZERS["sgd"], zero="end")()
    compiled = tg.compile(s.step)
    for i in range(4):
        X, y = _batch(i)
        compiled(Tensor(X), y)
        assert all(p.grad is None for p in s.params)


def test_missing_zero_grad_accumulates_across_calls_as_eager() -> None:
    # no zero_grad, and the learning rate 0: the .grad after k calls is k times one call's gradient
    s = _linear(lambda ps: SGD(ps, lr=0.0), zero="none")()
    e = _linear(lambda ps: SGD(ps, lr=0.0), zero="none")()
    compiled = tg.compile(s.step)
    X, y = _batch(0)
    e.step(Tensor(X), y)
    one = [p.grad.data.copy() for p in e.params]
    for k in range(1, 5):
        compiled(Tensor(X), y)
        for p, g in zip(s.params, one):
            assert_same(p.grad.data, k * g)


def test_trace_with_grads_already_present_accumulates_onto_them() -> None:
    # eager warm-up leaves .grad set; a step without zero_grad then adds onto it, traced and replayed
    a, e = _linear(OPTIMIZERS["sgd"], zero="none")(), _linear(OPTIMIZERS["sgd"], zero="none")()
    X, y = _batch(0)
    for s in (a, e):
        F.softmax_cross_entropy(Tensor(X) @ s.params[0] + s.params[1], y).backward()
    compiled = tg.compile(a.step)
    for i in range(5):
        X, y = _batch(i)
        assert_same(compiled(Tensor(X), y).data, e.step(Tensor(X), y).data)
        assert_same_state(a, e, f"call {i}")


# ---- 5. values computed from .grad after backward ---------------------------------------------------
@pytest.mark.parametrize("zero", ["start", "end", "keep"])
@pytest.mark.parametrize("kind", ["sgd", "momentum"])
def test_grad_norm_returned_from_the_step_matches_eager(zero: str, kind: str) -> None:
    assert_twins_agree(_linear(OPTIMIZERS[kind], zero=zero, grad_norm=True))


def test_grad_norm_without_zero_grad_matches_eager_or_is_refused() -> None:
    # No zero_grad in fn and no .grad at the first call: from the second call on the backward adds
    # onto the .grad left by the previous one, so W.grad (what the norm reads) is the accumulated
    # gradient. A faithful compile returns eager's value, or refuses (mentioning zero_grad).
    try:
        assert_twins_agree(_linear(OPTIMIZERS["sgd"], zero="none", grad_norm=True), calls=4)
    except CompileError as err:
        assert "zero_grad" in str(err)


def test_returning_the_grad_tensor_itself_matches_eager() -> None:
    def build() -> SimpleNamespace:
        rng = np.random.default_rng(3)
        W = Tensor(rng.normal(0, 0.1, (D, C)), requires_grad=True)
        opt = SGD([W], lr=0.2)

        def step(X: Tensor, y: np.ndarray) -> Any:
            opt.zero_grad()
            loss = F.softmax_cross_entropy(X @ W, y)
            loss.backward()
            g = W.grad * 1.0
            opt.step()
            return loss, g
        return SimpleNamespace(params=[W], opt=opt, step=step)
    assert_twins_agree(build)


# ---- 6. refusals ------------------------------------------------------------------------------------
def _params() -> tuple[Tensor, Tensor, SGD]:
    rng = np.random.default_rng(5)
    W = Tensor(rng.normal(0, 0.1, (D, C)), requires_grad=True)
    b = Tensor(np.zeros(C), requires_grad=True)
    return W, b, SGD([W, b], lr=0.1)


def _usual_step(W: Tensor, b: Tensor, opt: Any, between: Callable[[Tensor], None] | None = None
                ) -> Callable[[Tensor, np.ndarray], Tensor]:
    """zero_grad, the fused loss of X @ W + b, backward(), step(); ``between(loss)`` runs after the
    backward (what a test adds there)."""
    def step(X: Tensor, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        loss = F.softmax_cross_entropy(X @ W + b, y)
        loss.backward()
        if between is not None:
            between(loss)
        opt.step()
        return loss
    return step


def assert_refused(fn: Callable[..., Any], match: str, backward: bool = False) -> CompileError:
    X, y = _batch(0)
    with pytest.raises(CompileError) as info:
        tg.compile(fn, backward=backward)(Tensor(X), y)
    assert type(info.value) is CompileError, type(info.value)
    assert match in str(info.value), str(info.value)
    # no tracer left behind: an in-place write runs eagerly again
    t = Tensor(np.ones(2))
    t += 1.0
    assert t.data.tolist() == [2.0, 2.0]
    return info.value


def test_reading_a_parameter_after_the_step_is_refused() -> None:
    W, b, opt = _params()

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        F.softmax_cross_entropy(X @ W + b, y).backward()
        opt.step()
        return (W * W).sum()  # reads the updated W
    err = assert_refused(step, "after an optimizer step")
    assert "(4, 3)" in str(err)


def test_reading_a_parameter_after_a_user_optimizer_step_is_refused() -> None:
    W, b, _ = _params()
    opt = SignDecay([W, b], lr=0.1)

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        F.softmax_cross_entropy(X @ W + b, y).backward()
        opt.step()
        return F.softmax_cross_entropy(X @ W + b, y)
    assert_refused(step, "after an optimizer step")


@pytest.mark.parametrize("case", ["None, grads present", "a new tensor, no grads before"])
def test_assigning_grad_directly_is_refused(case: str) -> None:
    W, b, opt = _params()
    present = case.startswith("None")
    if present:
        X, y = _batch(0)
        F.softmax_cross_entropy(Tensor(X) @ W + b, y).backward()

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        if present:
            W.grad = b.grad = None
        else:
            W.grad = tg.zeros_like(W)
        loss = F.softmax_cross_entropy(X @ W + b, y)
        loss.backward()
        opt.step()
        return loss
    assert_refused(step, "assigned directly")


def test_assigning_grad_of_a_parameter_seen_only_through_the_optimizer_is_refused() -> None:
    W, b, opt = _params()
    X, y = _batch(0)
    F.softmax_cross_entropy(Tensor(X) @ W + b, y).backward()

    def step(X: Tensor, y: np.ndarray) -> Tensor:  # W and b are not in the closure: only opt is
        for p in opt.params:
            p.grad = None
        loss = F.softmax_cross_entropy(X @ opt.params[0] + opt.params[1], y)
        loss.backward()
        opt.step()
        return loss
    assert_refused(step, "assigned directly")


def test_assigning_grad_to_none_after_the_step_is_replayed_or_refused() -> None:
    # W.grad = None at the end of fn (instead of opt.zero_grad()): no backward follows in the same
    # call, so it must either be repeated at every call (the next call's backward then starts from
    # None, as eager) or be refused. Silently dropping it makes the gradients accumulate.
    def build() -> SimpleNamespace:
        W, b, opt = _params()

        def step(X: Tensor, y: np.ndarray) -> Tensor:
            loss = F.softmax_cross_entropy(X @ W + b, y)
            loss.backward()
            opt.step()
            W.grad = None
            b.grad = None
            return loss
        return SimpleNamespace(params=[W, b], opt=opt, step=step)
    try:
        assert_twins_agree(build, calls=4)
    except CompileError as err:
        assert "assigned directly" in str(err)


def test_reading_grad_accumulated_onto_a_held_grad_matches_eager() -> None:
    # grads present before the first call, no zero_grad in fn: the backward adds onto them, and an
    # op reading W.grad must read that sum (the replay reads .grad live after adding into it)
    def build() -> SimpleNamespace:
        W, b, opt = _params()
        X, y = _batch(0)
        F.softmax_cross_entropy(Tensor(X) @ W + b, y).backward()

        def step(X: Tensor, y: np.ndarray) -> Any:
            loss = F.softmax_cross_entropy(X @ W + b, y)
            loss.backward()
            gn = (W.grad * W.grad).sum()
            opt.step()
            return loss, gn
        return SimpleNamespace(params=[W, b], opt=opt, step=step)
    compiled = assert_twins_agree(build, calls=4)
    assert "W_grad = _P_W.grad.data" in compiled.source


def test_create_graph_inside_the_step_is_refused() -> None:
    W, b, opt = _params()

    assert_refused(_usual_step(W, b, opt, lambda loss: loss.backward(create_graph=True)), "create_graph")


def test_backward_true_with_a_step_calling_backward_is_refused() -> None:
    assert_refused(_usual_step(*_params()), "backward() itself", backward=True)


@pytest.mark.parametrize("how", ["manual_sgd", "traced_value", "grad_scaling"])
def test_other_in_place_writes_are_still_refused(how: str) -> None:
    params = _params()

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        w, b, opt = params
        opt.zero_grad()
        loss = F.softmax_cross_entropy(X @ w + b, y)
        if how == "traced_value":
            loss *= 2.0
        loss.backward()
        if how == "manual_sgd":
            with tg.no_grad():
                w -= 0.1 * w.grad
        elif how == "grad_scaling":
            g = w.grad
            g *= 0.5
        else:
            opt.step()
        return loss
    assert_refused(step, "in-place")


# ---- 7. random steps ---------------------------------------------------------------------------------
@given(kind=st.sampled_from(["sgd", "momentum", "nesterov", "adam"]),
       lr=st.floats(0.001, 0.8, allow_nan=False),
       calls=st.integers(2, 6),
       zero=st.sampled_from(["start", "end"]),
       change=st.booleans(),
       mlp=st.booleans(),
       seed=st.integers(0, 2**16))
def test_random_training_steps_compiled_match_eager(kind: str, lr: float, calls: int, zero: str,
                                                    change: bool, mlp: bool, seed: int) -> None:
    def make_opt(ps: list[Tensor]) -> Any:
        if kind == "adam":
            return Adam(ps, lr=lr)
        return SGD(ps, lr=lr, momentum=0.0 if kind == "sgd" else 0.9, nesterov=kind == "nesterov")
    build = _mlp(make_opt, zero=zero, seed=seed) if mlp else _linear(make_opt, zero=zero, seed=seed)
    assert_twins_agree(build, calls=calls, change=change)


# ---- 8. memory ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("zero", ["start", "keep"])
def test_plain_sgd_step_does_not_grow_memory_per_call(zero: str) -> None:
    s = _linear(OPTIMIZERS["sgd"], zero=zero)()
    compiled = tg.compile(s.step)
    X, y = _batch(0)
    Xt = Tensor(X)
    # Each in-place write (a step's, zero_grad(set_to_none=False)'s) appends a stamp (an int object)
    # to the tensor's write log, which keeps the last 64: memory allocated before tracemalloc starts
    # is not counted when freed, so the first window (N = 70 calls) replaces the untracked stamps,
    # and the second must then add nothing.
    for _ in range(10):
        compiled(Xt, y)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(70):
            compiled(Xt, y)
        first = tracemalloc.get_traced_memory()[0]
        for _ in range(70):
            compiled(Xt, y)
        second = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert second - first < 2048, second - first
    assert compiled.traces == 1


# ---- the bias trick's [W; b] as the parameters' storage (few input columns: D < C) ------------------
def _narrow_twin(hold: bool = False) -> Callable[[], SimpleNamespace]:
    """x @ W + b with 2 input columns and 5 classes, so the bias trick applies and [W; b] can become
    the storage of W and b; with ``hold`` a reference to W's array is kept outside."""
    def build() -> SimpleNamespace:
        rng = np.random.default_rng(7)
        W = Tensor(rng.normal(0, 0.1, (2, 5)), requires_grad=True)
        b = Tensor(rng.normal(0, 0.1, 5), requires_grad=True)
        opt = SGD([W, b], lr=0.3)

        def step(X: Tensor, y: np.ndarray) -> Any:
            opt.zero_grad()
            loss = F.softmax_cross_entropy(X @ W + b, y) + 0.05 * (W * W).sum()
            loss.backward()
            opt.step()
            return loss
        return SimpleNamespace(params=[W, b], opt=opt, step=step, held=W.data if hold else None)
    return build


def _narrow_batch(i: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(300 + i)
    return rng.normal(size=(80, 2)), rng.integers(0, 5, 80)


def assert_narrow_twins_agree(build: Callable[[], SimpleNamespace], calls: int,
                between: Callable[[SimpleNamespace, int], None] | None = None) -> tuple[Any, Any, Compiled]:
    a, e = build(), build()
    compiled = tg.compile(a.step)
    for i in range(calls):
        X, y = _narrow_batch(i)
        assert_same(compiled(Tensor(X), y).data, e.step(Tensor(X), y).data)
        assert_same_state(a, e, f"call {i}")
        if between is not None:
            between(a, i)
            between(e, i)
    return a, e, compiled


def test_bias_trick_makes_w_b_views_of_one_array_and_matches_eager() -> None:
    a, _, compiled = assert_narrow_twins_agree(_narrow_twin(), 6)
    W, b = a.params
    assert "_pack(" in compiled.source and "_wa[:2] = W" not in compiled.source
    assert W.data.base is not None and W.data.base is b.data.base  # both views of [W; b]
    assert W.data.flags.c_contiguous and not np.shares_memory(W.data, b.data)
    assert compiled.traces == 1


def test_a_reference_held_to_a_parameter_array_keeps_seeing_its_updates() -> None:
    # something outside holds W's array: it must not be replaced by a view (the holder would stop
    # seeing the updates); the step copies W and b into [W; b] at every call instead
    a, e, _ = assert_narrow_twins_agree(_narrow_twin(hold=True), 5)
    assert a.params[0].data is a.held
    assert_same(a.held, e.params[0].data)


def test_parameters_rebound_or_written_between_calls_are_used() -> None:
    def between(s: SimpleNamespace, i: int) -> None:
        W, b = s.params
        if i == 1:
            W.data = W.data + 0.25  # rebound: a new array, packed again at the next call
        elif i == 2:
            b.data[...] = -0.5  # written in place (into [W; b] when packed)
        elif i == 3:
            s.opt.zero_grad()
            F.softmax_cross_entropy(Tensor(_narrow_batch(9)[0]) @ W + b, _narrow_batch(9)[1]).backward()
            s.opt.step()  # an eager step between compiled calls
    a, _, compiled = assert_narrow_twins_agree(_narrow_twin(), 6, between)
    assert compiled.traces == 1 and a.params[0].data.base is not None


def test_two_compiled_steps_sharing_parameters_both_match_eager() -> None:
    a, e = _narrow_twin()(), _narrow_twin()()

    def other(s: SimpleNamespace) -> Callable[[Tensor, np.ndarray], Any]:
        W, b = s.params

        def step2(X: Tensor, y: np.ndarray) -> Any:
            s.opt.zero_grad()
            loss = F.softmax_cross_entropy(X @ W + b, y)  # no L2 term: another program
            loss.backward()
            s.opt.step()
            return loss
        return step2
    c1, c2, e2 = tg.compile(a.step), tg.compile(other(a)), other(e)
    for i in range(6):
        X, y = _narrow_batch(i)
        fa, fe = (c1, e.step) if i % 2 == 0 else (c2, e2)
        assert_same(fa(Tensor(X), y).data, fe(Tensor(X), y).data)
        assert_same_state(a, e, f"call {i}")


def test_module_parameters_loaded_between_calls_are_used() -> None:
    def build() -> SimpleNamespace:
        net = tg.nn.Sequential(tg.nn.Linear(2, 5, rng=np.random.default_rng(1)))
        opt = SGD(net.parameters(), lr=0.2)

        def step(X: Tensor, y: np.ndarray) -> Any:
            opt.zero_grad()
            loss = F.cross_entropy(net(X), y)
            loss.backward()
            opt.step()
            return loss
        return SimpleNamespace(params=list(net.parameters()), opt=opt, step=step, net=net)
    state = {k: v * 2.0 for k, v in build().net.state_dict().items()}

    def between(s: SimpleNamespace, i: int) -> None:
        if i == 2:
            s.net.load_state_dict(state)
    assert_narrow_twins_agree(build, 6, between)


def test_closed_over_data_is_a_constant_of_the_step() -> None:
    # X and y closed over: [X, 1] and the one-hot targets are made once, not at every call
    X, y = _narrow_batch(0)
    a, e = _narrow_twin()(), _narrow_twin()()
    Xt = Tensor(X)
    compiled = tg.compile(lambda: a.step(Xt, y))
    for i in range(4):
        assert_same(compiled().data, e.step(Xt, y).data)
        assert_same_state(a, e, f"call {i}")
    src = compiled.source
    assert "made once: X is a constant" in src or "made once: " in src
    assert "one-hot targets Y, made once" in src and "_onehot(" not in src
    assert "_xa[:, :2] =" not in src


# ---- found in review: each was a silent difference from eager before it was fixed ------------------
def _custom(body: Callable[..., Any], shapes: tuple[tuple[int, ...], ...] = ((D, C), (C,)),
            seed: int = 0, dtype: Any = np.float64, opt: Callable[[list[Tensor]], Any] | None = None
            ) -> Callable[[], SimpleNamespace]:
    def build() -> SimpleNamespace:
        rng = np.random.default_rng(seed)
        ps = [Tensor(rng.normal(0, 0.1, s).astype(dtype), requires_grad=True) for s in shapes]
        o = SGD(ps, lr=0.2) if opt is None else opt(ps)

        def step(X: Tensor, y: np.ndarray) -> Any:
            return body(X, y, ps, o)
        return SimpleNamespace(params=ps, opt=o, step=step)
    return build


def _w_plus_v(X: Tensor, y: np.ndarray, ps: list[Tensor], o: Any) -> Any:
    W, V = ps
    o.zero_grad()
    F.softmax_cross_entropy(X @ (W + V), y).backward()  # W and V receive the same gradient value
    (W * W).sum().backward()  # then only W's .grad grows: V's must not (it must own its array)
    o.step()
    return W.grad, V.grad


def test_two_parameters_given_the_same_gradient_get_arrays_of_their_own() -> None:
    assert_twins_agree(_custom(_w_plus_v, shapes=((D, C), (D, C))))
    a = _custom(_w_plus_v, shapes=((D, C), (D, C)))()
    c = tg.compile(a.step)
    for i in range(3):
        c(Tensor(_batch(i)[0]), _batch(i)[1])
    assert not np.shares_memory(a.params[0].grad.data, a.params[1].grad.data)


def _grad_between_passes(X: Tensor, y: np.ndarray, ps: list[Tensor], o: Any) -> Any:
    W, b = ps
    o.zero_grad()
    loss = F.softmax_cross_entropy(X @ W + b, y)
    loss.backward()
    g1 = W.grad  # the second pass adds into this very tensor, as PyTorch does (and eager now)
    (0.5 * (W * W).sum()).backward()
    o.step()
    return loss, g1


def test_a_grad_held_between_two_passes_sees_the_sum_as_in_pytorch_and_eager() -> None:
    assert_twins_agree(_custom(_grad_between_passes))


@pytest.mark.parametrize("zero", ["none", "keep"])
def test_a_grad_held_across_calls_behaves_as_eagerly(zero: str) -> None:
    a, e = _linear(OPTIMIZERS["sgd"], zero=zero)(), _linear(OPTIMIZERS["sgd"], zero=zero)()
    c = tg.compile(a.step)
    held: dict[str, Any] = {}
    for i in range(4):
        X, y = _batch(i)
        c(Tensor(X), y)
        e.step(Tensor(X), y)
        for name, s in (("a", a), ("e", e)):
            W = s.params[0]
            if i == 1:
                held[name] = (W.grad, W.grad.data.copy())
        if i >= 2:  # whether the held tensor is still W.grad, and whether it changed, agree
            (ha, ca), (he, ce) = held["a"], held["e"]
            assert (ha is a.params[0].grad) == (he is e.params[0].grad)
            assert np.array_equal(ha.data, ca) == np.array_equal(he.data, ce)
            assert_same(ha.data, he.data)
            assert ha._version == he._version
        assert_same_state(a, e, f"call {i}")


def test_parameters_that_are_views_of_a_users_array_are_not_moved() -> None:
    def build(flat: np.ndarray) -> SimpleNamespace:
        W = Tensor(flat[:10].reshape(2, 5), requires_grad=True)
        b = Tensor(flat[10:15], requires_grad=True)
        o = SGD([W, b], lr=0.3)

        def step(X: Tensor, y: np.ndarray) -> Tensor:
            o.zero_grad()
            loss = F.softmax_cross_entropy(X @ W + b, y)
            loss.backward()
            o.step()
            return loss
        return SimpleNamespace(params=[W, b], step=step)
    init = np.random.default_rng(7).normal(0, 0.1, 15)
    fa, fe = init.copy(), init.copy()
    a, e = build(fa), build(fe)
    c = tg.compile(a.step)
    for i in range(4):
        X, y = _narrow_batch(i)
        c(Tensor(X), y)
        e.step(Tensor(X), y)
        assert_same_state(a, e, f"call {i}")
    assert np.shares_memory(a.params[0].data, fa)  # still the user's memory, which kept updating
    assert_same(fa, fe)


@pytest.mark.parametrize("narrow", [False, True])
def test_a_parameter_rebound_to_another_dtype_traces_again(narrow: bool) -> None:
    shapes = ((2, 5), (5,)) if narrow else ((D, C), (C,))

    def body(X: Tensor, y: np.ndarray, ps: list[Tensor], o: Any) -> Any:
        return _usual_step(ps[0], ps[1], o)(X, y)
    a, e = _custom(body, shapes)(), _custom(body, shapes)()
    c = tg.compile(a.step)
    batch = _narrow_batch if narrow else _batch
    for i in range(5):
        if i == 2:
            for s in (a, e):
                for p in s.params:
                    p.data = p.data.astype(np.float32)
        X, y = batch(i)
        X = X.astype(np.float32)  # the same argument key at every call: only the parameters change
        got, want = c(Tensor(X), y), e.step(Tensor(X), y)
        assert got.dtype == want.dtype and a.params[0].dtype == e.params[0].dtype
        np.testing.assert_allclose(got.data, want.data, rtol=1e-6)
        for p, q in zip(a.params, e.params):
            np.testing.assert_allclose(p.data, q.data, rtol=1e-6, atol=1e-7)
    assert c.traces >= 2


def test_a_second_backward_without_retain_graph_raises_as_eagerly() -> None:
    step = _usual_step(*_params(), between=lambda loss: loss.backward())
    X, y = _batch(0)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        step(Tensor(X), y)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        tg.compile(step)(Tensor(X), y)


@pytest.mark.parametrize("write", ["clip the gradient", "decay the weights"])
def test_writes_through_data_inside_the_step_are_refused(write: str) -> None:
    W, b, opt = _params()

    def through_data(loss: Tensor) -> None:
        if write == "clip the gradient":
            np.clip(W.grad.data, -0.01, 0.01, out=W.grad.data)
        else:
            W.data *= 0.99
    err = assert_refused(_usual_step(W, b, opt, through_data), "through .data")
    assert "Tracing ran fn eagerly up to this error" in str(err)


def test_parameters_added_to_the_optimizer_after_tracing_trace_again() -> None:
    def build() -> SimpleNamespace:
        s = _custom(lambda X, y, ps, o: _plain_step(X, y, ps, o))()
        s.extra = Tensor(np.ones(C), requires_grad=True)
        return s

    def _plain_step(X: Tensor, y: np.ndarray, ps: list[Tensor], o: Any) -> Tensor:
        W, b = ps[:2]
        o.zero_grad()
        loss = F.softmax_cross_entropy(X @ W + b, y) + (ps[2] * ps[2]).sum() if len(ps) > 2 else \
            F.softmax_cross_entropy(X @ W + b, y)
        loss.backward()
        o.step()
        return loss
    a, e = build(), build()
    c = tg.compile(a.step)
    for i in range(4):
        if i == 2:
            for s in (a, e):
                s.params.append(s.extra)
                s.opt.params.append(s.extra)
        X, y = _batch(i)
        assert_same(c(Tensor(X), y).data, e.step(Tensor(X), y).data)
        assert_same_state(a, e, f"call {i}")
    assert c.traces == 2


def test_a_step_only_function_follows_which_parameters_have_a_grad() -> None:
    def build() -> SimpleNamespace:
        rng = np.random.default_rng(0)
        ps = [Tensor(rng.normal(0, 0.1, s), requires_grad=True) for s in ((D, C), (C,))]
        o = SGD(ps, lr=0.1)

        def step() -> None:
            o.step()
        return SimpleNamespace(params=ps, opt=o, step=step)

    def prepare(s: SimpleNamespace, i: int) -> None:
        W, b = s.params
        s.opt.zero_grad()
        X, y = _batch(i)
        scores = Tensor(X) @ W + (b if i % 2 else 0.0)  # b has no .grad at even calls
        F.softmax_cross_entropy(scores, y).backward()
    a, e = build(), build()
    c = tg.compile(a.step)
    for i in range(1, 6):
        prepare(a, i)
        prepare(e, i)
        c()
        e.step()
        assert_same_state(a, e, f"call {i}")


def test_an_error_in_a_backward_while_tracing_leaves_grads_as_eager_does() -> None:
    class Boom(tg.Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
            return x * 1.0

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            raise ValueError("boom in backward")
    W, b, opt = _params()
    X, y = _batch(0)
    F.softmax_cross_entropy(Tensor(X) @ W + b, y).backward()
    before = W.grad.data.copy()

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        loss = F.softmax_cross_entropy(Boom.apply(X @ W) + b, y)
        loss.backward()
        return loss
    with pytest.raises(ValueError, match="boom"):
        tg.compile(step)(Tensor(X), y)
    assert W.grad is not None and np.array_equal(W.grad.data, before)
    assert tg.tensor._hooked == 0


def test_a_dict_of_outputs_is_returned_and_a_namedtuple_refused() -> None:
    def body(X: Tensor, y: np.ndarray, ps: list[Tensor], o: Any) -> Any:
        loss = _usual_step(ps[0], ps[1], o)(X, y)
        return {"loss": loss, "grad_W": ps[0].grad, "n": 3}
    compiled = assert_twins_agree(_custom(body))
    out = compiled(Tensor(_batch(0)[0]), _batch(0)[1])
    assert set(out) == {"loss", "grad_W", "n"} and out["n"] == 3

    from collections import namedtuple
    Pair = namedtuple("Pair", "loss grad")
    W, b, opt = _params()

    def step(X: Tensor, y: np.ndarray) -> Any:
        loss = F.softmax_cross_entropy(X @ W + b, y)
        return Pair(loss, loss * 2)
    with pytest.raises(CompileError, match="returned a Pair"):
        tg.compile(step)(Tensor(_batch(0)[0]), _batch(0)[1])


# ---- what a caller may change between calls: each seen (a new trace), as eager sees it -------------
def _linear_twin(opt_of: Callable[[list[Tensor]], Any] = lambda ps: SGD(ps, lr=0.1),
                 dtype: Any = np.float64) -> SimpleNamespace:
    """The usual step on parameters W, b and a closed-over constant tensor K (no grad) scaling
    the scores."""
    rng = np.random.default_rng(5)
    W = Tensor(rng.normal(0, 0.1, (D, C)).astype(dtype), requires_grad=True)
    b = Tensor(np.zeros(C, dtype), requires_grad=True)
    K = Tensor(np.linspace(0.5, 1.5, C).astype(dtype))
    opt = opt_of([W, b])

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        loss = F.softmax_cross_entropy((X @ W + b) * K, y) + (W * W).sum() * 0.01
        loss.backward()
        opt.step()
        return loss
    return SimpleNamespace(params=[W, b], K=K, opt=opt, step=step)


def test_a_parameter_frozen_between_calls_stays_put_as_eagerly() -> None:
    def freeze(t: SimpleNamespace, i: int) -> None:
        if i == 1:
            t.params[0].requires_grad = False  # W frozen: no .grad, no update
    assert_twins_agree(_linear_twin, calls=4, between=freeze, traces=2)


@pytest.mark.parametrize("how", ["rebound", "setitem", "in-place op", "requires_grad"])
def test_a_closed_over_constant_changed_between_calls_is_seen(how: str) -> None:
    def change(t: SimpleNamespace, i: int) -> None:
        if i != 1:
            return
        if how == "rebound":
            t.K.data = np.full(C, 3.0)
        elif how == "setitem":
            t.K[...] = 2.0
        elif how == "in-place op":
            t.K *= 4.0
        else:
            t.K.requires_grad_(True)
            t.params.append(t.K)  # and its .grad compared too
    assert_twins_agree(_linear_twin, calls=4, between=change, traces=2)


def test_a_parameter_replaced_in_the_optimizer_is_the_one_updated() -> None:
    def replace(t: SimpleNamespace, i: int) -> None:
        if i == 1:  # the same shape: only identity tells them apart
            new = Tensor(np.ones((C,)), requires_grad=True)
            t.opt.params[1] = new
            t.params.append(new)
    assert_twins_agree(_linear_twin, calls=4, between=replace, traces=2)


def test_a_numpy_float_lr_updates_float32_parameters_as_eagerly() -> None:
    # the gradient is exactly K in both (a sum of W * K), so only the update's arithmetic differs
    def build() -> tuple[Tensor, Callable[[], Tensor]]:
        rng = np.random.default_rng(3)
        K = Tensor(rng.standard_normal(1000).astype(np.float32))
        W = Tensor(rng.standard_normal(1000).astype(np.float32), requires_grad=True)
        opt = SGD([W], lr=0.1)
        opt.lr = np.float64(0.1)  # SGD.step reads float(lr): float32 arithmetic on float32 W

        def step() -> Tensor:
            opt.zero_grad()
            loss = (W * K).sum()
            loss.backward()
            opt.step()
            return loss
        return W, step
    (Wc, step_c), (We, step_e) = build(), build()
    compiled = tg.compile(step_c)
    for _ in range(20):
        compiled()
        step_e()
    np.testing.assert_array_equal(Wc.data, We.data)  # bit for bit


def test_an_optimizers_parameter_passed_in_as_an_argument_is_refused() -> None:
    W, b, opt = _params()

    def step(X: Tensor, y: np.ndarray, W: Tensor) -> Tensor:
        opt.zero_grad()
        loss = F.softmax_cross_entropy(X @ W + b, y)
        loss.backward()
        opt.step()
        return loss
    X, y = _batch(0)
    with pytest.raises(CompileError, match="passed in as argument 'W'.*Close over the parameters"):
        tg.compile(step)(Tensor(X), y, W)


def test_retain_grad_on_a_non_leaf_inside_the_step_is_refused() -> None:
    W, b, opt = _params()

    def retain(loss: Tensor) -> None:
        pass

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        scores = X @ W + b
        scores.retain_grad()
        loss = F.softmax_cross_entropy(scores, y)
        loss.backward()
        opt.step()
        return loss
    err = assert_refused(step, "retain_grad() on a non-leaf")
    assert f"({N}, {C})" in str(err)


def test_parameters_of_one_shape_share_the_update_scratch_array() -> None:
    rng = np.random.default_rng(0)
    W1 = Tensor(rng.normal(size=(D, D)), requires_grad=True)
    W2 = Tensor(rng.normal(size=(D, D)), requires_grad=True)
    V = Tensor(rng.normal(size=(D, C)), requires_grad=True)
    opt = SGD([W1, W2, V], lr=0.1)

    def step(X: Tensor, y: np.ndarray) -> Tensor:
        opt.zero_grad()
        loss = F.softmax_cross_entropy((X @ W1).relu() @ W2 @ V, y)
        loss.backward()
        opt.step()
        return loss
    compiled = tg.compile(step)
    X, y = _batch(0)
    compiled(Tensor(X), y)
    scratch = sorted(set(re.findall(r"out=(_step_\w+)", compiled.source)))
    assert len(scratch) == 2, scratch  # one for the two (D, D) weights, one for V
