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
    cases = [(method, Tensor(B), fn(A, B), grad_left), (method, B, fn(A, B), grad_left),
             (reflected, B, fn(B, A), grad_right)]
    for build, other, value, grad in cases:
        x = Tensor(A, requires_grad=True)
        out = build(x, other)
        assert_close(out, value)
        assert type(out.grad_fn) is getattr(ops, name)
        out.sum().backward()
        assert x.grad is not None
        assert_close(x.grad, grad)


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


# ---- the mechanism (tensor.py) ------------------------------------------------------------------
class _Grads(hooks.Observer):
    """Keeps what each op's visit sends to its inputs."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def backward(self, tensor: Tensor, grad: Any, input_grads: tuple[Any, ...] | None) -> None:
        if input_grads is not None:
            self.sent.append(input_grads)


def test_observers_get_tensors_under_create_graph_and_arrays_otherwise() -> None:
    """What an observer is shown of the gradients an op sends has the walk's type in each mode:
    Tensors under ``create_graph`` (so they can be differentiated again), ndarrays otherwise."""
    for create_graph, kind in ((True, Tensor), (False, np.ndarray)):
        x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
        with hooks.observe(_Grads()) as seen:
            (x * x).sum().backward(create_graph=create_graph)
        sent = [g for grads in seen.sent for g in grads if g is not None]
        assert sent and all(type(g) is kind for g in sent)


def test_apply_wraps_an_array_given_before_a_tensor() -> None:
    """``Function.apply(array, tensor)``: the array becomes a constant input, as documented, and the
    tensor gets its gradient."""
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    out = ops.Mul.apply(np.array([3.0, 0.5]), x)
    assert_close(out, np.array([3.0, -1.0]))
    out.sum().backward()
    assert x.grad is not None
    assert_close(x.grad, np.array([3.0, 0.5]))


def test_second_derivative_through_a_gradient_cast_to_its_inputs_dtype() -> None:
    """y = (x·x)·float64(x) = x³ with x in float32: the gradient reaching x·x is float64 and is cast to
    float32 on its way, and under create_graph that cast keeps its graph: d²y/dx² = 6x."""
    x = Tensor(np.array([1.5, -0.5], np.float32), requires_grad=True)
    y = (x * x) * x.astype(np.float64)
    y.sum().backward(create_graph=True)
    first = x.grad
    assert first is not None
    assert_close(first, (3 * np.array([1.5, -0.5]) ** 2).astype(np.float32))
    x.grad = None
    first.sum().backward()
    assert x.grad is not None
    assert_close(x.grad, (6 * np.array([1.5, -0.5])).astype(np.float32))


def test_a_plain_backward_takes_a_tensor_gradient_even_one_that_requires_grad() -> None:
    """A custom backward may return a Tensor in a plain backward, here a parameter that requires
    grad: the walk uses its values, as ``.data``, and asks NumPy for nothing it would refuse."""
    three = Tensor(np.full(2, 3.0), requires_grad=True)

    class Triple(ops.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return 3 * x

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return three  # d(3x)/dx = 3, for the all-ones seed of .sum()

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    Triple.apply(x).sum().backward()
    assert x.grad is not None
    assert_close(x.grad, np.full(2, 3.0))


def test_an_input_the_op_did_not_save_may_change_in_place_before_backward() -> None:
    """exp saves its output, not its input: changing the input (a graph tensor) in place after exp
    ran leaves exp's backward right, so no error: dy/dx = exp(x) for y = exp(x · 1)."""
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    h = x * 1.0
    y = h.exp()
    h += 1.0  # recorded in place on a graph tensor; exp did not save h
    y.sum().backward()
    assert x.grad is not None
    assert_close(x.grad, np.exp(np.array([0.5, -1.0])))


@pytest.mark.parametrize("before, writes, expected",
                         [(0, 63, "0"), (0, 64, "0 or earlier"), (1, 64, "1 or earlier")])
def test_the_version_error_after_many_writes_reads_exactly(before: int, writes: int, expected: str) -> None:
    """A tensor remembers its last 64 in-place changes (the oldest is forgotten first): after 64
    changes since the op ran, the version the op expected is no longer known exactly, and the
    message says so."""
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    w = Tensor(np.array([1.0, 1.0]))
    for _ in range(before):
        w += 1.0
    y = x * w  # Mul saves w
    for _ in range(writes):
        w += 1.0
    writes += before
    message = (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: input 1 of Mul (a tensor of shape (2,), dtype float64) is at version {writes}; "
        f"expected version {expected} instead. Mul saved it for backward, and something changed it "
        "in place afterwards (an optimizer's step(), +=, item assignment, copy_/fill_/zero_, "
        "load_state_dict). Call backward() before changing it, or change a copy (t = t + u instead of "
        "t += u)")
    with pytest.raises(RuntimeError, match="^" + re.escape(message) + "$"):
        y.sum().backward()


def test_a_constant_input_the_op_did_not_save_may_be_written_before_backward() -> None:
    """An op that saved only x (here a custom x + w) does not need w in backward: writing into the
    constant w after the op ran is no error, while writing into x would be."""
    class AddSavingX(ops.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, w: Any) -> Any:
            ctx.save_for_backward(x)
            return x + w

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g, None

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = Tensor(np.array([0.5, 0.5]))
    y = AddSavingX.apply(x, w)
    w += 1.0  # a plain write: w requires no grad
    y.sum().backward()
    assert x.grad is not None
    assert_close(x.grad, np.ones(2))
    u = Tensor(np.array([1.0, 2.0]))
    z = AddSavingX.apply(u, x)
    u += 1.0  # u was saved
    with pytest.raises(RuntimeError, match="input 0 of AddSavingX"):
        z.sum().backward()


def test_a_tracer_is_asked_for_the_shift_of_logsumexp_with_its_input() -> None:
    """``logsumexp`` shifts by the row maximum as a constant; a tracer is asked for it with the
    input tensor and the axes, and the result is NumPy's either way."""
    from tinygrad_softmax import functional as F

    seen: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    class Record(hooks.Tracer):
        def constant(self, kind: str, inputs: tuple[Any, ...], params: dict[str, Any]) -> Any:
            seen.append((kind, inputs, params))
            return None

    data = np.array([[1.0, 3.0, -2.0], [0.5, 0.5, 4.0]])
    x = Tensor(data, requires_grad=True)
    with hooks.use_tracer(Record()):
        out = F.logsumexp(x, axis=1)
    assert_close(out, np.log(np.exp(data).sum(axis=1)))
    assert [(kind, inputs[0] is x, len(inputs), params) for kind, inputs, params in seen] == \
        [("detached_shift", True, 1, {"axes": (1,)})]


# ---- zero_grad(set_to_none=False) on a .grad that cannot be zeroed in place -------------------
# (mutants of tensor._clear_grads that the mutation run of this round's engine changes showed
# no test pinned down: no test reached its last branch, a new zeros tensor)

def test_zero_grad_without_none_detaches_a_grad_recorded_by_create_graph() -> None:
    """After ``backward(create_graph=True)`` ``.grad`` is part of a graph (d(Σp²)/dp = 2p, recorded).
    ``zero_grad(set_to_none=False)`` leaves zeros with no history, as PyTorch (which detaches the
    gradient before zeroing it): a later backward adds the plain gradient 2p to zero."""
    from tinygrad_softmax import optim

    data = np.array([1.0, -2.0, 0.5])
    p = Tensor(data, requires_grad=True)
    (p * p).sum().backward(create_graph=True)
    assert p.grad is not None and p.grad.grad_fn is not None
    assert_close(p.grad, 2 * data)
    opt = optim.SGD([p], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.grad_fn is None and not p.grad.requires_grad
    assert p.grad.shape == (3,) and p.grad.dtype == np.float64
    np.testing.assert_array_equal(p.grad.data, np.zeros(3))
    (p * p).sum().backward()
    assert_close(p.grad, 2 * data)


def test_zero_grad_without_none_gives_a_read_only_grad_new_zeros() -> None:
    """A ``.grad`` whose array is read-only cannot be zeroed in place: ``zero_grad(set_to_none=False)``
    gives zeros of the parameter's shape and dtype, and the read-only array keeps its values."""
    from tinygrad_softmax import optim

    p = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), requires_grad=True)
    frozen = np.full((2, 2), 7.0, np.float32)
    frozen.flags.writeable = False
    p.grad = Tensor(frozen)
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.data is not frozen
    assert p.grad.shape == (2, 2) and p.grad.dtype == np.float32
    np.testing.assert_array_equal(p.grad.data, np.zeros((2, 2), np.float32))
    np.testing.assert_array_equal(frozen, np.full((2, 2), 7.0, np.float32))


def test_a_tracer_gets_the_backward_gradient_and_the_defaulted_retain_graph() -> None:
    """``y.backward(gradient)`` under a tracer hands the tracer the root, the upstream gradient and
    ``retain_graph`` defaulted to ``create_graph``; the default tracer runs the walk with them:
    for y = x ⊙ w and upstream G, dL/dx = G ⊙ w (a non-scalar output needs its G)."""
    seen: list[tuple[Any, ...]] = []

    class Record(hooks.Tracer):
        def backward_pass(self, root: Tensor, gradient: Any, retain_graph: bool, create_graph: bool,
                          walk: Callable[[Tensor, Any, bool, bool], None]) -> None:
            seen.append((root, gradient, retain_graph, create_graph))
            super().backward_pass(root, gradient, retain_graph, create_graph, walk)

    w = np.array([[2.0, -1.0], [0.5, 3.0]])
    upstream = np.array([[1.0, 2.0], [-3.0, 0.25]])
    x = Tensor(np.array([[1.0, 4.0], [-2.0, 0.5]]), requires_grad=True)
    y = x * w
    with hooks.use_tracer(Record()):
        y.backward(upstream)
    assert len(seen) == 1 and seen[0][0] is y and seen[0][1] is upstream and seen[0][2:] == (False, False)
    assert x.grad is not None
    assert_close(x.grad, upstream * w)
