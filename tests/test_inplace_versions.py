"""In-place operations and version counters (issue 13 A, B, C).

PyTorch's rules: an in-place change of a leaf that requires grad is refused; of a tensor in the
graph it is recorded (the tensor gets a new history, earlier uses keep the old one); of a tensor
without grad it writes the array. Every change bumps ``_version``, and a backward that needs a
saved value changed since raises, naming the op, the tensor and both versions. Gradients are
checked against finite differences of the same computation written out of place.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_softmax import AnomalyError, Tensor, detect_anomaly, gradcheck, gradgradcheck, nn, no_grad
from tinygrad_softmax.optim import SGD, Adam

rng = np.random.default_rng(7)


def version_error(op: str, role: str, shape: tuple[int, ...], now: int, expected: int) -> str:
    return (rf"modified by an inplace operation: {role} of {op} \(a tensor of shape "
            rf"{re.escape(str(shape))}, dtype float64\) is at version {now}; expected version {expected} "
            r"instead.*Call backward\(\) before")


# ---- leaves that require grad ------------------------------------------------------------------
@pytest.mark.parametrize("change", [
    lambda w: w.__iadd__(1.0), lambda w: w.__imul__(2.0), lambda w: w.__setitem__(0, 5.0),
    lambda w: w.fill_(0.0), lambda w: w.zero_(), lambda w: w.copy_(np.ones(3)), lambda w: w.sub_(1.0),
])
def test_in_place_change_of_a_leaf_that_requires_grad_is_refused_with_the_fix(change):
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"a leaf Variable that requires grad.*in-place.*no_grad"):
        change(w)
    assert w.data.tolist() == [1.0, 2.0, 3.0] and w._version == 0


def test_under_no_grad_a_leaf_is_written_in_place_and_its_version_bumped():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    data = w.data
    with no_grad():
        w -= 0.5
        w[0] = 10.0
    assert w.data is data and w.data.tolist() == [10.0, 1.5, 2.5]
    assert w.is_leaf and w.requires_grad and w._version == 2


# ---- tensors without grad: NumPy's in-place semantics ----------------------------------------
def test_tensors_without_grad_are_written_in_place():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    alias, data = t, t.data
    t += 1
    t *= Tensor(2.0)
    t[0, 1] = -1.0
    t[np.array([1, 1]), np.array([0, 2])] -= 1
    want = (np.arange(6.0).reshape(2, 3) + 1) * 2
    want[0, 1] = -1.0
    want[1, [0, 2]] -= 1
    assert alias is t and t.data is data
    np.testing.assert_array_equal(t.data, want)
    assert t._version == 4
    t.copy_(np.ones(3))  # broadcast, as PyTorch's copy_
    assert t.data.tolist() == [[1.0] * 3] * 2 and t._version == 5
    t.fill_(2.0).zero_()
    assert not t.data.any() and t._version == 7


def test_in_place_results_must_keep_shape_and_a_castable_dtype():
    t = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"\+=: the result has shape \(2, 3\) but the tensor.*shape \(3,\)"):
        t += np.ones((2, 3))
    i = Tensor(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match=r"result type float64 can't be cast to the tensor's dtype int64"):
        i += 0.5
    with pytest.raises(ValueError, match=r"read-only.*t\.copy\(\)"):
        b = Tensor(np.ones(3)).broadcast_to((2, 3))
        b += 1
    assert t._version == 0 and i._version == 0


# ---- tensors in the graph: recorded, history rebased --------------------------------------------
def test_in_place_on_a_graph_tensor_rebases_its_history():
    x = Tensor(rng.normal(size=3), requires_grad=True)
    y = x * 2
    before = y
    y += 1
    assert y is before and y.grad_fn.name == "Add" and y._version == 1
    np.testing.assert_allclose(y.data, x.data * 2 + 1)

    def fn(x):
        y = x * 2
        a = y * 3  # an earlier use keeps y's old value (and history)
        y += x
        y *= y
        return (a + y).sum()

    gradcheck(fn, [x])
    gradgradcheck(fn, [x])
    # out of place, the same function: the oracle for the values
    x0 = x.data
    np.testing.assert_allclose(fn(x).item(), (6 * x0 + (3 * x0) ** 2).sum())


def test_in_place_with_a_grad_operand_makes_a_plain_tensor_part_of_the_graph():
    w = Tensor(rng.normal(size=3), requires_grad=True)

    def fn(w):
        t = Tensor(np.ones(3))
        t *= w  # t had no grad: now it is w's product (as PyTorch)
        t += w * w
        return t.sum()

    gradcheck(fn, [w])
    t = Tensor(np.ones(3))
    t *= w
    assert t.requires_grad and not t.is_leaf


def test_item_assignment_on_a_graph_tensor_is_recorded():
    x, v = Tensor(rng.normal(size=(3, 4)), requires_grad=True), Tensor(rng.normal(size=4), requires_grad=True)

    def fn(x, v):
        y = x.exp()  # Exp saves its output: the old array must stay intact
        y[1] = v * 2
        y[0, 1:3] -= v[:2]
        y[np.array([2, 2]), np.array([0, 3])] = 7.0
        return (y * y).sum()

    gradcheck(fn, [x, v])
    gradgradcheck(fn, [x, v])
    xd, vd = x.data, v.data
    want = np.exp(xd)
    want[1] = vd * 2
    want[0, 1:3] -= vd[:2]
    want[2, [0, 3]] = 7.0
    np.testing.assert_allclose(fn(x, v).item(), (want * want).sum(), rtol=1e-13)


def test_item_assignment_writing_a_position_twice_is_refused():
    y = Tensor(np.zeros(3), requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"writes some positions.*twice.*unique indices"):
        y[np.array([0, 0])] = Tensor(np.array([1.0, 2.0]), requires_grad=True)


def test_in_place_on_an_indexed_view_changes_its_base_as_in_pytorch():
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True)

    def fn(x):
        y = x * 1
        v = y[0]  # a view of y's data
        v *= 3
        v += 1  # still a view: reaches y again
        return (y * y).sum() + v.sum()

    y = x * 1
    v = y[0]
    v *= 3
    v += 1
    want = x.data.copy()
    want[0] = want[0] * 3 + 1
    np.testing.assert_allclose(y.data, want)
    np.testing.assert_allclose(v.data, want[0])
    gradcheck(fn, [x])


def test_in_place_on_other_views_in_the_graph_is_refused():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    v = (x * 1).reshape(3, 2)  # a view of the product's data
    with pytest.raises(RuntimeError, match=r"\+= on a view \(Reshape output.*base\[idx\] \+= u"):
        v += 1
    w = x[0]  # a view of a leaf that requires grad
    with pytest.raises(RuntimeError, match=r"a leaf Variable that requires grad"):
        w += 1


# ---- version counters: a saved value changed is an error ------------------------------------------
@pytest.mark.parametrize("make_opt", [lambda p: SGD(p, lr=0.1), lambda p: Adam(p, lr=0.1)],
                         ids=["SGD", "Adam"])
def test_optimizer_step_between_forward_and_backward_raises(make_opt):
    X = Tensor(rng.normal(size=(4, 3)))
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True)
    opt = make_opt([W])
    (X @ W).sum().backward()
    loss = (X @ W).sum()  # MatMul saves W
    opt.step()
    assert W._version == 1
    with pytest.raises(RuntimeError, match=version_error("MatMul", "input 1", (3, 2), 1, 0)):
        loss.backward()


def test_two_steps_report_both_versions_exactly():
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    with no_grad():
        w += 1
        w += 1
    with pytest.raises(RuntimeError, match=version_error("Mul", "input 0", (2,), 2, 0)):
        y.backward()


def test_changed_constant_input_and_changed_saved_output_raise():
    x, w = Tensor([3.0, 4.0]), Tensor([1.0, 2.0], requires_grad=True)
    y = (x * w).sum()
    x += 1  # Mul saved x
    with pytest.raises(RuntimeError, match=version_error("Mul", "input 0", (2,), 1, 0)):
        y.backward()
    e = w.exp()  # Exp saves its output
    loss = e.sum()
    with no_grad():
        e[0] = 0.0
    with pytest.raises(RuntimeError, match=version_error("Exp", "output", (2,), 1, 0)):
        loss.backward()


def test_a_changed_input_that_was_not_saved_is_fine_as_in_pytorch():
    x, w = Tensor([3.0, 4.0]), Tensor([1.0, 2.0], requires_grad=True)
    y = (x + w).sum()  # Add saves nothing: its gradient does not depend on the values
    x += 100
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])


def test_load_state_dict_bumps_versions():
    layer = nn.Linear(3, 2, rng=0)
    out = layer(Tensor(np.ones((1, 3)))).sum()
    layer.load_state_dict(nn.Linear(3, 2, rng=1).state_dict())
    assert layer.weight._version == 1 and layer.bias._version == 1
    with pytest.raises(RuntimeError, match=version_error("MatMul", "input 1", (3, 2), 1, 0)):
        out.backward()


def test_changes_before_the_forward_pass_are_fine():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        w *= 3
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [6.0, 12.0])


# ---- writes straight into the array: caught by detect_anomaly ------------------------------------
def test_anomaly_mode_catches_a_write_into_a_saved_array_naming_the_op():
    x, w = Tensor([3.0, 4.0]), Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = (x * w).sum()
        w.data[:] = 100  # no library call: no version bump
        with pytest.raises(AnomalyError, match=r"Mul \(backward\): saved value 1 .*changed in place.*"
                                               r"call backward\(\) first") as info:
            y.backward()
    assert info.value.op == "Mul" and info.value.kind == "modified"


def test_without_anomaly_mode_a_raw_array_write_goes_unseen():
    """The documented limit of version counters: x.grad uses the overwritten w (as in the issue)."""
    x, w = Tensor([3.0, 4.0], requires_grad=True), Tensor([1.0, 2.0])
    y = (x * w).sum()
    w.data[:] = 100
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [100.0, 100.0])


def test_the_version_check_costs_nothing_when_nothing_changed():
    x = Tensor(rng.normal(size=3), requires_grad=True)
    gradcheck(lambda x: (x * x).exp().sum(), [x])  # no in-place change: the check is skipped


def test_item_assignment_errors_name_the_shape_and_index():
    from tinygrad_softmax import TensorIndexError

    t = Tensor(np.zeros((2, 3)))
    with pytest.raises(TensorIndexError, match=r"cannot index a tensor of shape \(2, 3\) with 5"):
        t[5] = 1.0
    with pytest.raises(ValueError, match=r"item assignment into a tensor of shape \(2, 3\) at 0"):
        t[0] = np.ones(4)
    with pytest.raises(ValueError, match=r"read-only.*t = t\.copy\(\)"):
        Tensor(np.ones(3)).broadcast_to((2, 3))[0] = 1.0
    y = Tensor(np.zeros((2, 3)), requires_grad=True) * 1  # recorded path: the same kinds of error
    with pytest.raises(TensorIndexError, match=r"shape \(2, 3\)"):
        y[5] = Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match=r"cannot assign a value of shape \(4,\).*shape \(2, 3\)"):
        y[0] = Tensor(np.ones(4), requires_grad=True)
    assert t._version == 0 and y._version == 0


def test_uses_before_and_between_changes_get_their_own_values_in_one_plain_backward():
    """No retain_graph: the newest history is freed before older uses are reached."""
    x0 = rng.normal(size=3)
    x = Tensor(x0, requires_grad=True)
    y = x * 2
    a = y * 3  # y = 2x here
    y += x
    b = y * y  # y = 3x here
    y *= y  # y = 9x² from here
    (a + b + y).sum().backward()
    # L = Σ 6x + 9x² + 9x²: dL/dx = 6 + 36x
    np.testing.assert_allclose(x.grad.data, 6 + 36 * x0, rtol=1e-14)


def test_a_plain_tensor_changed_by_a_grad_operand_keeps_earlier_uses_constant():
    w = Tensor(rng.normal(size=3), requires_grad=True)
    t = Tensor(np.ones(3))
    before = t * w  # t = 1 here, a constant
    t *= w  # t = w from here
    (before + t * t).sum().backward()
    np.testing.assert_allclose(w.grad.data, 1 + 2 * w.data, rtol=1e-14)
