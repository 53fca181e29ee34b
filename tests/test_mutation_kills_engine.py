"""Behaviours that the final mutation run of issue 18 showed no test pinned down.

Three groups: the operator methods that ``tensor_methods._binary`` builds (it runs once, when the
class is made, so mutmut can only reach it when a test calls it), what a tracer is told at each
read of a value on the host and at a comparison, and the message of a one-input op that forgot
its derivative. Oracles are NumPy and closed-form derivatives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_softmax import Tensor, hooks, ops, tensor_methods
from tinygrad_softmax.testing import assert_close

A = np.array([[1.5, -2.0], [0.5, 3.0]])
B = np.array([[2.0, 0.25], [-1.0, 4.0]])

# op name, NumPy's function, d/dA sum(A op B), d/dA sum(B op A)
BINARY: list[tuple[str, Callable[..., Any], Any, Any]] = [
    ("Add", np.add, np.ones_like(A), np.ones_like(A)),
    ("Sub", np.subtract, np.ones_like(A), -np.ones_like(A)),
    ("Mul", np.multiply, B, B),
    ("Div", np.divide, 1 / B, -B / A**2),
    ("MatMul", np.matmul, np.ones((2, 2)) @ B.T, B.T @ np.ones((2, 2))),
]


@pytest.mark.parametrize("name, fn, grad_left, grad_right", BINARY, ids=[row[0] for row in BINARY])
def test_binary_builds_the_method_and_its_reflection(name: str, fn: Callable[..., Any], grad_left: Any,
                                                     grad_right: Any) -> None:
    """``_binary(op)`` gives ``self op other`` and ``other op self``, each one node of ``ops.<op>``
    with the right gradient, for a Tensor and for an ndarray operand."""
    method, reflected = tensor_methods._binary(name)
    for other in (Tensor(B), B):
        x = Tensor(A, requires_grad=True)
        out = method(x, other)
        assert_close(out, fn(A, B))
        assert type(out.grad_fn) is getattr(ops, name)
        out.sum().backward()
        assert x.grad is not None
        assert_close(x.grad, grad_left)
    x = Tensor(A, requires_grad=True)
    out = reflected(x, B)
    assert_close(out, fn(B, A))
    assert type(out.grad_fn) is getattr(ops, name)
    out.sum().backward()
    assert x.grad is not None
    assert_close(x.grad, grad_right)


@pytest.mark.parametrize("name, fn", [(row[0], row[1]) for row in BINARY if row[0] != "MatMul"])
def test_binary_methods_lift_a_python_number_as_numpy_does(name: str, fn: Callable[..., Any]) -> None:
    """A Python float keeps a float32 tensor float32 on either side (NumPy's rule for an array and
    a Python scalar), and an int32 tensor with 2.5 gives float64."""
    method, reflected = tensor_methods._binary(name)
    x32 = np.array([1.0, 4.0], np.float32)
    assert_close(method(Tensor(x32), 2.5), fn(x32, 2.5))
    assert_close(reflected(Tensor(x32), 2.5), fn(2.5, x32))
    i32 = np.array([1, 4], np.int32)
    assert_close(method(Tensor(i32), 2.5), fn(i32, 2.5))
    assert_close(reflected(Tensor(i32), 2.5), fn(2.5, i32))


class _Refuse(hooks.Tracer):
    """A tracer that refuses every read of a value on the host, saying which tensor and how."""

    def read_value(self, tensor: Tensor, what: str) -> None:
        raise LookupError(tensor, what)


@pytest.mark.parametrize("read, what", [
    (bool, "bool()"), (float, "float()"), (int, "int()"), (lambda t: t.item(), ".item()"),
    (lambda t: t.numpy(), ".numpy()"), (lambda t: t.tolist(), ".tolist()"),
], ids=["bool", "float", "int", "item", "numpy", "tolist"])
def test_a_tracer_is_told_which_tensor_is_read_and_how(read: Callable[[Tensor], Any], what: str) -> None:
    """Each host read asks the tracer first, with the tensor itself and the read as the user wrote
    it; without a tracer the same read gives NumPy's value."""
    value = np.array(2.0)
    t = Tensor(value)
    with hooks.use_tracer(_Refuse()), pytest.raises(LookupError) as refused:
        read(t)
    assert refused.value.args[0] is t
    assert refused.value.args[1] == what
    if what == ".numpy()":
        assert read(t) is value  # shared, not copied
    else:
        assert read(t) == read(value)


def test_a_tracer_gets_both_operands_of_a_comparison_as_tensors() -> None:
    """A comparison asks the tracer with the operands: a Tensor as itself (even one that requires
    grad, whose array NumPy may not take), a number as a constant tensor."""
    seen: list[tuple[str, tuple[Any, ...]]] = []

    class Record(hooks.Tracer):
        def constant(self, kind: str, inputs: tuple[Any, ...], params: dict[str, Any]) -> Any:
            seen.append((kind, inputs))
            return None  # let the engine compute it

    a, b = Tensor(np.array([1.0, 3.0])), Tensor(np.array([2.0, 2.0]), requires_grad=True)
    with hooks.use_tracer(Record()):
        less = a < b
        greater = a > 2.5
    assert_close(less, np.array([True, False]))
    assert_close(greater, np.array([False, True]))
    assert seen[0][0] == "<" and seen[0][1][0] is a and seen[0][1][1] is b
    assert seen[1][0] == ">" and seen[1][1][0] is a
    assert_close(seen[1][1][1], np.asarray(2.5))


def test_a_one_input_op_without_its_derivative_says_what_to_write() -> None:
    """A ``_Unary`` subclass that states ``f`` but not ``vjp`` runs forward, and its backward
    raises naming what is missing."""
    class Negate(ops._Unary):
        """out = -x (no vjp on purpose)."""

        f = np.negative

    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    out = Negate.apply(x)
    assert_close(out, np.array([-1.0, 2.0]))
    message = "a _Unary op states vjp(g, v), its derivative"
    with pytest.raises(NotImplementedError, match="^" + re.escape(message) + "$"):
        out.sum().backward()
