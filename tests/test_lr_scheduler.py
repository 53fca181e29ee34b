"""optim.lr_scheduler: learning-rate sequences against their closed forms, PyTorch's protocol
(initial_lr, last_epoch, get_last_lr, state_dict), and the optimizers' param_groups."""

import math

import numpy as np
import pytest

from tinygrad_softmax import Tensor, optim
from tinygrad_softmax.optim import lr_scheduler


def make_opt(lr=0.5, kind=optim.SGD):
    return kind([Tensor(np.ones(3), requires_grad=True)], lr=lr)


def run(sched, epochs):
    """The rate in force for epochs 0..epochs-1 (read from the optimizer, stepped once each)."""
    lrs = []
    for _ in range(epochs):
        lrs.append(sched.optimizer.param_groups[0]["lr"])
        assert sched.get_last_lr() == [lrs[-1]]
        sched.optimizer.step()
        sched.step()
    return lrs


def test_optimizer_lr_lives_in_param_groups():
    p = Tensor(np.ones(2), requires_grad=True)
    for kind in (optim.SGD, optim.Adam):
        opt = kind([p], lr=0.25)
        assert opt.param_groups == [{"params": [p], "lr": 0.25}]
        opt.lr = 0.1
        assert opt.param_groups[0]["lr"] == 0.1
        opt.param_groups[0]["lr"] = 0.01
        assert opt.lr == 0.01


def test_the_step_uses_the_rate_in_the_param_group():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    opt.param_groups[0]["lr"] = 0.5
    p.grad = Tensor(np.array([1.0, 1.0]))
    opt.step()
    np.testing.assert_array_equal(p.data, [0.5, 1.5])


def test_step_lr_closed_form():
    sched = lr_scheduler.StepLR(make_opt(0.5), step_size=3, gamma=0.2)
    lrs = run(sched, 10)
    np.testing.assert_allclose(lrs, [0.5 * 0.2 ** (e // 3) for e in range(10)], rtol=1e-14)
    assert sched.last_epoch == 10


def test_exponential_lr_closed_form():
    lrs = run(lr_scheduler.ExponentialLR(make_opt(0.3), gamma=0.9), 12)
    np.testing.assert_allclose(lrs, [0.3 * 0.9**e for e in range(12)], rtol=1e-13)


@pytest.mark.parametrize("T_max, eta_min", [(5, 0.0), (10, 0.01), (1, 0.1)])
def test_cosine_annealing_closed_form_including_past_T_max(T_max, eta_min):  # noqa: N803
    base = 0.5
    lrs = run(lr_scheduler.CosineAnnealingLR(make_opt(base), T_max=T_max, eta_min=eta_min), 3 * T_max + 2)
    expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2 for t in range(len(lrs))]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=1e-15)
    assert lrs[T_max] == pytest.approx(eta_min, abs=1e-15)


def test_lambda_lr_and_one_lambda_per_group():
    sched = lr_scheduler.LambdaLR(make_opt(2.0, optim.Adam), lr_lambda=lambda e: 1 / (e + 1))
    np.testing.assert_allclose(run(sched, 6), [2.0 / (e + 1) for e in range(6)], rtol=1e-15)
    with pytest.raises(ValueError, match="expected 1 lr_lambdas"):
        lr_scheduler.LambdaLR(make_opt(), [lambda e: 1.0, lambda e: 2.0])
    with pytest.raises(TypeError, match="function of the epoch"):
        lr_scheduler.LambdaLR(make_opt(), 0.5)


def test_chainable_schedulers_carry_a_hand_made_change_as_pytorch_does():
    opt = make_opt(1.0)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched.step()  # 0.5
    opt.param_groups[0]["lr"] = 10.0
    sched.step()
    assert sched.get_last_lr() == [5.0]
    assert sched.base_lrs == [1.0]  # from initial_lr, recorded when the scheduler was made


def test_initial_lr_and_resuming_with_last_epoch():
    opt = make_opt(0.5)
    lr_scheduler.StepLR(opt, step_size=2)
    assert opt.param_groups[0]["initial_lr"] == 0.5
    fresh = make_opt(0.5)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(fresh, step_size=2, last_epoch=4)
    # resumed cosine: the rate of epoch last_epoch + 1 from the closed form
    fresh.param_groups[0]["initial_lr"] = 0.5
    sched = lr_scheduler.CosineAnnealingLR(fresh, T_max=8, last_epoch=2)
    assert sched.last_epoch == 3
    assert sched.get_last_lr()[0] == pytest.approx(0.25 * (1 + math.cos(3 * math.pi / 8)), rel=1e-14)


def test_state_dict_round_trip_resumes_the_same_sequence():
    a = lr_scheduler.CosineAnnealingLR(make_opt(1.0), T_max=7, eta_min=0.05)
    run(a, 4)
    state = a.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 4
    opt_b = make_opt(1.0)
    b = lr_scheduler.CosineAnnealingLR(opt_b, T_max=7, eta_min=0.05)
    b.load_state_dict(state)
    opt_b.param_groups[0]["lr"] = a.optimizer.param_groups[0]["lr"]  # the optimizer's own state
    np.testing.assert_allclose(run(b, 5), run(a, 5), rtol=1e-15)


def test_lambda_lr_state_dict_skips_plain_functions_and_keeps_callable_objects():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    sched = lr_scheduler.LambdaLR(make_opt(1.0), Warmup(4))
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"n": 4}]
    other = lr_scheduler.LambdaLR(make_opt(1.0), Warmup(10))
    other.load_state_dict(state)
    assert other.lr_lambdas[0].n == 4 and other.last_epoch == 0
    assert lr_scheduler.LambdaLR(make_opt(), lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_argument_errors():
    with pytest.raises(TypeError, match="param_groups"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        lr_scheduler.StepLR(make_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        lr_scheduler.CosineAnnealingLR(make_opt(), T_max=2.5)
    with pytest.raises(TypeError, match="gamma"):
        lr_scheduler.ExponentialLR(make_opt(), gamma="0.9")
    with pytest.raises(ValueError, match="last_epoch"):
        lr_scheduler.StepLR(make_opt(), 1, last_epoch=-2)


def test_pytorchs_import_spelling_works():
    from tinygrad_softmax.optim.lr_scheduler import StepLR

    assert StepLR is lr_scheduler.StepLR


@pytest.mark.parametrize("make, closed_form", [
    (lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5), lambda e: 0.5 * 0.5 ** (e // 3)),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.8), lambda e: 0.5 * 0.8**e),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.1),
     lambda e: 0.1 + 0.4 * (1 + math.cos(math.pi * e / 6)) / 2),
    (lambda o: lr_scheduler.LambdaLR(o, lambda e: 0.9**e), lambda e: 0.5 * 0.9**e),
])
def test_step_with_an_epoch_jumps_to_the_closed_form(make, closed_form):
    sched = make(make_opt(0.5))
    for epoch in (4, 1, 9, 9, 0):
        sched.step(epoch)
        assert sched.last_epoch == epoch
        assert sched.get_last_lr()[0] == pytest.approx(closed_form(epoch), rel=1e-14)
    with pytest.raises(ValueError, match="epoch must be an integer >= 0"):
        sched.step(-1)
