"""The hook API (``tinygrad_softmax.hooks``): observers are registered only through it, see every
op and every backward step, and learn the phase from the engine."""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pytest

import tinygrad_softmax
from tinygrad_softmax import Function, Tensor
from tinygrad_softmax.hooks import Observer, observe, observers, op_params, running_backward


class Log(Observer):
    def __init__(self):
        self.events = []

    def forward(self, op, inputs, result):
        self.events.append(("forward", op.name, running_backward()))

    def backward(self, tensor, grad, input_grads):
        self.events.append(("backward", None if tensor.grad_fn is None else tensor.grad_fn.name,
                            None if input_grads is None else len(input_grads)))


def test_observe_registers_for_the_block_only_even_after_an_error():
    assert observers() == ()
    log = Log()
    with observe(log) as same:
        assert same is log and observers() == (log,)
    assert observers() == ()
    with pytest.raises(ZeroDivisionError), observe(log):
        raise ZeroDivisionError
    assert observers() == ()


def test_observers_see_forward_ops_then_backward_steps_in_visit_order():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with observe(Log()) as log:
        y = (x * x).sum()
        y.backward()
    assert log.events == [("forward", "Mul", None), ("forward", "Sum", None),
                          ("backward", "Sum", 1), ("backward", "Mul", 2), ("backward", None, None)]


def test_running_backward_names_the_op_whose_formula_runs_under_create_graph():
    x = Tensor([0.5, 1.5], requires_grad=True)
    y = x.exp().sum()
    assert running_backward() is None
    with observe(Log()) as log:
        y.backward(create_graph=True)
    g = x.grad
    ops_in_backward = {(name, owner.name) for kind, name, owner in log.events if kind == "forward" and owner}
    assert ("Mul", "Exp") in ops_in_backward  # exp's formula g * exp(x) runs as a recorded Mul
    assert running_backward() is None
    np.testing.assert_allclose(g.detach().numpy(), np.exp([0.5, 1.5]))


def test_running_backward_is_reset_when_a_backward_raises():
    class Broken(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, grad):
            assert running_backward() is ctx
            raise ArithmeticError("broken on purpose")

    with pytest.raises(ArithmeticError):
        Broken.apply(Tensor([1.0], requires_grad=True)).sum().backward()
    assert running_backward() is None


def test_op_params_are_the_keyword_arguments_of_apply():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    s = x.sum(axis=1, keepdims=True)
    assert op_params(s.grad_fn) == {"axis": 1, "keepdims": True}
    assert op_params((x * 2).grad_fn) == {}


def test_no_module_but_the_engine_and_hooks_touches_the_observer_list():
    root = pathlib.Path(tinygrad_softmax.__file__).parent
    touching = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "_observers" in p.read_text())
    assert touching == ["hooks.py", "tensor.py"]


def test_the_old_trace_names_still_work_and_warn():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(DeprecationWarning, match="tracing"):
        cm = tinygrad_softmax.trace_backward()
    with cm as trace:
        (x * x).sum().backward()
    assert len(trace) == 3
    with pytest.warns(DeprecationWarning, match="traced_backward"):
        assert len(tinygrad_softmax.backward_trace((x * 3).sum())) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(tinygrad_softmax.traced_backward((x * 3).sum())) == 3
