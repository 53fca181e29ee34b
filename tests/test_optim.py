"""optim: SGD and Adam against updates computed by hand, plus argument checking.

The oracles are the update rules as PyTorch documents them, written out in NumPy below, and a
few scalar sequences worked out with pencil and paper.
"""

import math

import numpy as np
import pytest

from tinygrad_softmax import Tensor, optim

RNG = np.random.default_rng(99)


def run(opt_cls, p0, grads, **kw):
    """Feed the gradient sequence ``grads`` to an optimizer; return the parameter after each step."""
    p = Tensor(p0.copy(), requires_grad=True)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = Tensor(g.copy())
        opt.step()
        out.append(p.data.copy())
    return out


def sgd_by_hand(p, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    p, buf, out = p.copy(), None, []
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return out


def adam_by_hand(p, grads, lr, beta1, beta2, eps, weight_decay=0.0):
    p, m, v, out = p.copy(), np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


P0 = RNG.normal(size=(3, 2))
GRADS = [RNG.normal(size=(3, 2)) for _ in range(5)]


@pytest.mark.parametrize("kw", [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.02, momentum=0.5, nesterov=True, weight_decay=0.1),
])
def test_sgd_matches_the_rule_by_hand(kw):
    for got, want in zip(run(optim.SGD, P0, GRADS, **kw), sgd_by_hand(P0, GRADS, **kw)):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_sgd_momentum_scalar_sequence_by_pencil():
    # p0 = 1, constant gradient 1, lr 0.1, momentum 0.9: buffers 1, 1.9, 2.71 -> p = 0.9, 0.71, 0.439
    got = run(optim.SGD, np.array([1.0]), [np.ones(1)] * 3, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(np.concatenate(got), [0.9, 0.71, 0.439], rtol=1e-14)
    # nesterov: step = g + 0.9 * buf -> 1.9, 2.71, 3.439 -> p = 0.81, 0.539, 0.1951
    got = run(optim.SGD, np.array([1.0]), [np.ones(1)] * 3, lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(np.concatenate(got), [0.81, 0.539, 0.1951], rtol=1e-14)


@pytest.mark.parametrize("kw", [
    dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8),
    dict(lr=0.1, betas=(0.5, 0.9), eps=1e-6),
    dict(lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1),
])
def test_adam_matches_the_rule_by_hand(kw):
    got = run(optim.Adam, P0, GRADS, **kw)
    want = adam_by_hand(P0, GRADS, kw["lr"], *kw["betas"], kw["eps"], kw.get("weight_decay", 0.0))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)


def test_adam_bias_correction_makes_early_steps_lr_sized():
    # With bias correction, m_hat = g and v_hat = g² at step 1 for any betas, so the step is
    # lr * g / (|g| + eps) ~ lr * sign(g); a constant gradient keeps it there at every step.
    # Without correction the first step would be (1-b1)/sqrt(1-b2) * lr = 3.16 lr.
    g = np.array([4.0, -0.25, 1e3])
    got = run(optim.Adam, np.zeros(3), [g] * 3, lr=0.01, eps=0.0)
    for t, p in enumerate(got, start=1):
        np.testing.assert_allclose(p, -0.01 * t * np.sign(g), rtol=1e-12)
    eps_step = run(optim.Adam, np.zeros(1), [np.array([1e-8])], lr=1.0, eps=1e-8)[0]
    np.testing.assert_allclose(eps_step, [-0.5], rtol=1e-7)  # g / (|g| + eps) = 1/2


def test_parameters_without_grad_are_skipped_and_zero_grad():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9)
    a.grad = Tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_array_equal(a.data, [0.5, 1.5])
    np.testing.assert_array_equal(b.data, [3.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0])
    assert b.grad is None  # as in PyTorch: a missing gradient stays missing
    opt.zero_grad()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("opt_cls,kw", [(optim.SGD, dict(lr=0.1, momentum=0.5)), (optim.Adam, dict(lr=0.05))])
def test_optimizers_minimise_a_quadratic_through_backward(opt_cls, kw):
    target = np.array([1.0, -2.0, 0.5])
    x = Tensor(np.zeros(3), requires_grad=True)
    opt = opt_cls([x], **kw)
    for _ in range(300):
        opt.zero_grad()
        ((x - target) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(x.data, target, atol=1e-3)


@pytest.mark.parametrize("make,match", [
    (lambda p: optim.SGD(p, lr=-0.1), "lr must be"),
    (lambda p: optim.SGD(p, lr=math.nan), "lr must be"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1e-3), "weight_decay"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.Adam(p, lr=-1), "lr must be"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), r"betas\[0\]"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda p: optim.Adam(p, betas=0.9), "pair"),
    (lambda p: optim.Adam(p, eps=-1e-8), "eps"),
    (lambda p: optim.SGD([], lr=0.1), "empty"),
    (lambda p: optim.SGD([Tensor([1.0])], lr=0.1), "requires_grad"),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "leaf"),
    (lambda p: optim.SGD(p + p, lr=0.1), "twice"),
])
def test_bad_hyper_parameters_raise_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make([Tensor([1.0], requires_grad=True)])


def test_bad_parameter_types_raise_type_errors():
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(Tensor([1.0], requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="not a Tensor"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="number"):
        optim.SGD([Tensor([1.0], requires_grad=True)], lr="0.1")


def _make_opt(kind, params):
    if kind == "adam":
        return optim.Adam(params, lr=0.5)
    return optim.SGD(params, lr=0.5, momentum=0.9 if kind == "momentum" else 0.0)


@pytest.mark.parametrize("make", ["sgd", "momentum", "adam"])
def test_a_parameter_appended_to_the_group_is_updated_as_in_pytorch(make):
    # torch.optim keeps state per parameter, made lazily: a parameter appended to
    # param_groups[0]["params"] is stepped like the others (it was silently skipped here before)
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    extra = Tensor(np.array([3.0]), requires_grad=True)
    opt = _make_opt(make, [w])
    opt.param_groups[0]["params"].append(extra)
    for _ in range(2):
        opt.zero_grad()
        ((w * w).sum() + (extra * extra).sum()).backward()
        opt.step()
    assert extra.data[0] != 3.0 and extra._version == 2
    # the same rule on the appended parameter alone, from its own start
    alone = Tensor(np.array([3.0]), requires_grad=True)
    opt2 = _make_opt(make, [alone])
    for _ in range(2):
        opt2.zero_grad()
        (alone * alone).sum().backward()
        opt2.step()
    np.testing.assert_allclose(extra.data, alone.data, rtol=1e-15)


def test_a_user_optimizers_step_keeps_its_arguments_name_and_docstring():
    # Optimizer.__init_subclass__ wraps a subclass's own step so that a tracer is told it runs
    # (optim._announced): the wrapped step still gets its positional and keyword arguments, eagerly
    # and under a tracer, and keeps its name and docstring (functools.wraps); a subclass without a
    # step of its own inherits the wrapped one and is not wrapped twice.
    from tinygrad_softmax import hooks

    class Scaled(optim.Optimizer):
        def step(self, scale, *, shift=0.0):
            """p <- scale * p + shift."""
            for p in self.params:
                p.data *= scale
                p.data += shift
                p._bump_version()

    class Inherits(Scaled):
        pass

    assert Scaled.step.__name__ == "step" and Scaled.step.__doc__ == "p <- scale * p + shift."
    assert Inherits.step is Scaled.step
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = Inherits([p])
    opt.step(3.0, shift=0.5)  # eagerly: [3.5, -5.5]
    np.testing.assert_array_equal(p.data, [3.5, -5.5])
    told = []

    class Told(hooks.Tracer):
        def optimizer_step(self, optimizer, step):
            told.append(optimizer)
            step()

    with hooks.use_tracer(Told()):
        opt.step(2.0, shift=-1.0)  # under a tracer: [6.0, -12.0]
    np.testing.assert_array_equal(p.data, [6.0, -12.0])
    assert told == [opt] and p._version == 2


def test_a_user_optimizers_step_returns_what_it_returns_as_in_pytorch():
    # torch.optim's step(closure) returns the closure's loss; the announcing wrapper hands it back
    from tinygrad_softmax.hooks import Tracer, use_tracer

    class WithClosure(optim.Optimizer):
        def step(self, closure=None):
            loss = closure() if closure is not None else None
            for p in self.params:
                p.data -= 0.1
                p._bump_version()
            return loss

    w = Tensor(np.array([1.0]), requires_grad=True)
    opt = WithClosure([w])
    assert opt.step(lambda: 42.0) == 42.0
    with use_tracer(Tracer()):
        assert opt.step(lambda: 7.0) == 7.0
    np.testing.assert_allclose(w.data, [0.8])
