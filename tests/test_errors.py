"""Bad input gets a clear error: the right type, and a message naming the shapes/dtypes/values.

Each test asserts on the message content, not only on the exception type, so an error that
stops naming what went wrong fails here.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from tinygrad_softmax import Function, Tensor, TensorIndexError
from tinygrad_softmax.trace import tracing


def shape_text(shape: tuple[int, ...]) -> str:
    return re.escape(str(shape))


@pytest.fixture
def a() -> Tensor:
    return Tensor(np.ones((2, 3)), requires_grad=True)


# ---- matmul and broadcasting --------------------------------------------------------------
@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 2)), ((3,), (4,)), ((2, 3), (2,)), ((5, 2, 3), (2, 4))])
def test_matmul_shape_mismatch_names_both_shapes(sa, sb):
    with pytest.raises(ValueError) as info:
        Tensor(np.ones(sa), requires_grad=True) @ Tensor(np.ones(sb))
    assert str(sa) in str(info.value) and str(sb) in str(info.value)
    assert "matmul" in str(info.value).lower()


def test_matmul_batch_dims_that_do_not_broadcast():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 2, 3))) @ Tensor(np.ones((3, 3, 4)))
    assert "(2, 2, 3)" in str(info.value) and "(3, 3, 4)" in str(info.value)


@pytest.mark.parametrize("left_0d", [True, False])
def test_matmul_with_a_0d_operand(left_0d, a):
    s = Tensor(2.0)
    with pytest.raises(ValueError, match=r"1-D") as info:
        _ = s @ a if left_0d else a @ s
    assert "()" in str(info.value) and "(2, 3)" in str(info.value)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_incompatible_broadcast_names_both_shapes(op, a):
    b = Tensor(np.ones(4) + 1.0)
    fns = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
           "pow": lambda: a ** np.ones(4)}
    with pytest.raises(ValueError) as info:
        fns[op]()
    assert "(2, 3)" in str(info.value) and ("(4,)" in str(info.value) or "(4," in str(info.value))


def test_broadcast_to_an_incompatible_shape(a):
    with pytest.raises(ValueError) as info:
        a.broadcast_to((3, 3))
    assert "(2, 3)" in str(info.value) and "3" in str(info.value)


# ---- backward -------------------------------------------------------------------------------
def test_backward_gradient_shape_mismatch(a):
    y = a * 2.0
    with pytest.raises(ValueError) as info:
        y.backward(gradient=np.ones((3, 2)))
    assert "(3, 2)" in str(info.value) and "(2, 3)" in str(info.value)
    assert a.grad is None  # nothing was accumulated


def test_backward_gradient_scalar_for_vector_is_rejected_not_broadcast(a):
    with pytest.raises(ValueError, match=shape_text((2, 3))):
        (a * 2.0).backward(gradient=np.array(1.0))


def test_backward_on_non_scalar_without_gradient(a):
    with pytest.raises(RuntimeError) as info:
        (a * 2.0).backward()
    assert "(2, 3)" in str(info.value) and "gradient" in str(info.value)


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor([1.0, 2.0]).sum().backward()
    with pytest.raises(RuntimeError, match="requires_grad"):
        Tensor(3.0).backward()


def test_non_float_gradient_data_is_rejected(a):
    with pytest.raises(TypeError, match="dtype"):
        (a * 2.0).backward(gradient=[["x"] * 3] * 2)


# ---- indexing -------------------------------------------------------------------------------
@pytest.mark.parametrize("index", [5, -3, (0, 3), (0, -4), np.array([0, 7]), np.array([-3]), (0, 0, 0),
                                   ([0, 1], [0, 9])])
def test_index_out_of_bounds_is_a_tensor_index_error_naming_the_shape(index, a):
    for exc in (TensorIndexError, IndexError, ValueError):
        with pytest.raises(exc) as info:
            a[index]
        assert "(2, 3)" in str(info.value)


def test_bad_boolean_mask_shape(a):
    with pytest.raises(TensorIndexError) as info:
        a[np.array([True, False, True])]
    msg = str(info.value)
    assert "(2, 3)" in msg and "boolean" in msg


@pytest.mark.parametrize("index", [1.5, np.array([0.0, 1.0]), "x", (slice(None), 2.0)])
def test_float_and_other_invalid_indices(index, a):
    with pytest.raises(TensorIndexError) as info:
        a[index]
    assert "(2, 3)" in str(info.value)
    assert isinstance(info.value, IndexError) and isinstance(info.value, ValueError)


# ---- construction and dtypes ----------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [([1, 2], "int64"), ([True], "bool"),
                                         (np.arange(3, dtype=np.int32), "int32"),
                                         (np.array([1], dtype=np.uint8), "uint8")])
def test_integer_or_bool_data_with_requires_grad(data, dtype):
    with pytest.raises(TypeError) as info:
        Tensor(data, requires_grad=True)
    assert dtype in str(info.value)
    with pytest.raises(TypeError, match=dtype):
        Tensor(data).requires_grad_()
    t = Tensor(data)
    with pytest.raises(TypeError, match=dtype):
        t.requires_grad = True


@pytest.mark.parametrize("data, dtype", [(["a", "b"], "<U1"), ([1j], "complex128"), (None, "object"),
                                         ([{}], "object")])
def test_non_numeric_data(data, dtype):
    with pytest.raises(TypeError) as info:
        Tensor(data)
    assert dtype in str(info.value)


def test_ragged_nested_lists():
    with pytest.raises(ValueError, match="shape"):
        Tensor([[1.0], [1.0, 2.0]])


# ---- axes and shapes ------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["sum", "max", "min", "mean"])
@pytest.mark.parametrize("axis, words", [(2, "axis 2 is out of range"), (-3, "axis -3 is out of range"),
                                         ((0, 5), "axis 5 is out of range"), ((1, -1), "repeated axis")])
def test_bad_axis(method, axis, words, a):
    with pytest.raises(ValueError, match=words) as info:
        getattr(a, method)(axis=axis)
    assert "dimension 2" in str(info.value) or str(axis) in str(info.value)


def test_non_integer_axis(a):
    with pytest.raises(TypeError, match=r"1\.0"):
        a.sum(axis=1.0)


def test_0d_tensor_axis_out_of_bounds():
    with pytest.raises(ValueError, match="dimension 0"):
        Tensor(1.0).sum(axis=1)


@pytest.mark.parametrize("shape", [(4, 2), (-1, 4), (7,), (2, 2, 2)])
def test_reshape_to_an_incompatible_size(shape, a):
    with pytest.raises(ValueError) as info:
        a.reshape(shape)
    msg = str(info.value)
    assert "(2, 3)" in msg and "6" in msg


@pytest.mark.parametrize("perm", [(0, 0), (0, 1, 2), (0, 2)])
def test_bad_transpose_permutation(perm, a):
    with pytest.raises(ValueError, match=shape_text((2, 3))):
        a.transpose(perm)


def test_swapaxes_and_mT_out_of_bounds(a):
    with pytest.raises(ValueError, match=shape_text((2, 3))):
        a.swapaxes(0, 3)
    with pytest.raises(ValueError, match=shape_text((4,))):
        Tensor(np.ones(4)).mT  # noqa: B018


def test_item_of_a_multi_element_tensor(a):
    with pytest.raises(ValueError, match=shape_text((2, 3))):
        a.item()


def test_len_of_0d():
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


# ---- the graph -----------------------------------------------------------------------------
def test_setting_requires_grad_false_on_a_non_leaf(a):
    y = a * 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    assert y.requires_grad


def test_retain_grad_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="requires grad"):
        Tensor([1.0]).retain_grad()


class WrongShape(Function):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x * 2

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g.sum(axis=0)  # forgot to keep the input's shape


class WrongCount(Function):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g  # one gradient for two inputs


class TooMany(Function):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return -g, g


class NoBackward(Function):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()


def test_user_function_returning_a_wrong_gradient_shape_names_the_op(a):
    with pytest.raises(ValueError) as info:
        WrongShape.apply(a).sum().backward()
    msg = str(info.value)
    assert "WrongShape" in msg and "(3,)" in msg and "(2, 3)" in msg


class SecondSlotWrong(WrongCount):  # the same forward, x * y
    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g, np.zeros(7)  # right for input 0, wrong shape for input 1


@pytest.mark.parametrize("observed", [False, True])
def test_a_wrong_gradient_for_a_tensor_used_twice_names_the_slot_that_returned_it(observed):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"SecondSlotWrong.*\(7,\) for input 1 of shape \(2,\)"):
        if observed:  # observers see conformed gradients: the same check, the same message
            with tracing():
                SecondSlotWrong.apply(x, x).sum().backward()
        else:
            SecondSlotWrong.apply(x, x).sum().backward()


def test_a_gradient_for_an_input_that_needs_none_is_discarded_unchecked_as_in_pytorch():
    x, c = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
    SecondSlotWrong.apply(x, c).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_user_function_returning_the_wrong_number_of_gradients_names_the_op(create_graph, a):
    with pytest.raises(TypeError, match=r"WrongCount.*1.*2"):
        WrongCount.apply(a, a).sum().backward(create_graph=create_graph)
    with pytest.raises(TypeError, match=r"TooMany.*2.*1"):
        TooMany.apply(a).sum().backward(create_graph=create_graph)


def test_user_function_without_backward(a):
    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(a).sum().backward()


def test_user_function_forward_value_error_names_the_op_and_shapes():
    class Picky(Function):
        @staticmethod
        def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
            raise ValueError("x must be positive")

    with pytest.raises(ValueError) as info:
        Picky.apply(Tensor(np.ones((2, 2))))
    assert "Picky" in str(info.value) and "(2, 2)" in str(info.value) and "positive" in str(info.value)


def test_ragged_nested_lists_say_a_tensor_could_not_be_made():
    with pytest.raises(ValueError, match="cannot make a Tensor from this list.*inhomogeneous"):
        Tensor([[1.0], [1.0, 2.0]])
