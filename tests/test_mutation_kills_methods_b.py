"""Behaviours of ``Tensor``'s methods (tensor_methods.py) that a mutation run left untested (issue 18).

Second half of the methods (cumsum, argmax, transpose, repeat, NumPy's protocols, clamp, the
reductions, the operators, ...); tests/test_mutation_kills_methods_a.py has the first half. Each
test pins a behaviour that an edit of the source could change without another test noticing:
exact error messages, both spellings of an argument (``axis``/``dim``, ``keepdims``/``keepdim``),
shapes and dtypes at the boundaries, and gradients. The references are NumPy, closed forms or
PyTorch's documented conventions, never the output of the code under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_softmax import Tensor
from tinygrad_softmax._shapes import AxisError
from tinygrad_softmax.testing import assert_close


def _message(exc_type: type[BaseException], fn, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """The text of the exception ``fn(*args, **kwargs)`` raises (which must be ``exc_type``)."""
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    assert type(info.value) is exc_type
    return str(info.value)


def _grad_of(fn, x: np.ndarray, weights: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """d/dx of sum(weights * fn(x)), by backward (float64)."""
    t = Tensor(x, requires_grad=True)
    (fn(t) * Tensor(weights)).sum().backward()
    assert t.grad is not None
    return t.grad.data


X23 = np.array([[3.0, -1.0, 4.0], [1.5, 9.0, -2.0]])
X234 = np.arange(24.0).reshape(2, 3, 4) * np.array([1.0, -1.0, 0.5, 2.0])


# ---- cumsum -----------------------------------------------------------------------------------
def test_cumsum_without_an_axis_runs_over_the_flattened_tensor_with_its_gradient() -> None:
    assert_close(Tensor(X23).cumsum(), np.cumsum(X23))
    w = np.arange(1.0, 7.0)
    # d/dx_j Σ_k w_k Σ_{i≤k} x_i = Σ_{k≥j} w_k, reshaped back
    assert_close(_grad_of(lambda t: t.cumsum(), X23, w), np.cumsum(w[::-1])[::-1].reshape(2, 3))


@pytest.mark.parametrize("kw", [{"axis": 1}, {"dim": 1}, {"axis": -1}, {"dim": 0}, {"axis": 0}])
def test_cumsum_along_an_axis_in_either_spelling(kw: dict[str, int]) -> None:
    axis = next(iter(kw.values()))
    assert_close(Tensor(X23).cumsum(**kw), np.cumsum(X23, axis=axis))
    w = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    want = np.flip(np.cumsum(np.flip(w, axis), axis=axis), axis)
    assert_close(_grad_of(lambda t: t.cumsum(**kw), X23, w), want)


@pytest.mark.parametrize("kw", [{"dim": 0}, {"dim": -1}, {"axis": 0}])
def test_cumsum_of_a_0d_tensor_is_the_value_with_shape_unchanged(kw: dict[str, int]) -> None:
    # PyTorch: torch.tensor(3.).cumsum(0) is tensor(3.), and dim -1 is allowed too
    t = Tensor(np.float64(3.5), requires_grad=True)
    out = t.cumsum(**kw)
    assert_close(out, np.array(3.5))
    (out * 2.0).backward()
    assert t.grad is not None
    assert_close(t.grad, np.array(2.0))


def test_cumsum_of_a_0d_tensor_refuses_dim_1_naming_dimension_0() -> None:
    assert _message(AxisError, Tensor(np.float64(3.0)).cumsum, dim=1) == (
        "axis 1 is out of range for a tensor of dimension 0 (expected a value in [-1, 0])")


def test_cumsum_of_a_1d_tensor_and_of_a_0d_tensor_without_an_axis() -> None:
    v = np.array([2.0, -1.0, 5.0])
    assert_close(Tensor(v).cumsum(dim=0), np.cumsum(v))
    assert_close(Tensor(np.float64(4.0)).cumsum(), np.array([4.0]))  # NumPy: flattened, shape (1,)


# ---- argmax, argmin ---------------------------------------------------------------------------
A = np.array([[3, 7, 7, -1], [9, 0, 9, 2], [4, 4, -5, 8]], dtype=np.int64)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_over_the_flattened_tensor_is_a_0d_int64(name: str) -> None:
    out = getattr(Tensor(A), name)()
    assert_close(out, np.asarray(getattr(np, name)(A), dtype=np.int64), rtol=0)
    assert out.shape == ()


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("kw, axis, keep", [
    ({"axis": 1}, 1, False), ({"dim": 1}, 1, False), ({"axis": 0}, 0, False), ({"dim": -1}, -1, False),
    ({"axis": 1, "keepdims": True}, 1, True), ({"dim": 0, "keepdim": True}, 0, True),
    ({"axis": -2, "keepdim": True}, -2, True), ({"dim": 1, "keepdims": True}, 1, True),
    ({"keepdims": True}, None, True), ({"keepdim": True}, None, True),
])
def test_arg_along_an_axis_in_every_spelling(name: str, kw: dict, axis: int | None, keep: bool) -> None:
    out = getattr(Tensor(A), name)(**kw)
    want = getattr(np, name)(A, axis=axis, keepdims=keep)
    assert_close(out, np.asarray(want, dtype=np.int64), rtol=0)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_of_a_0d_tensor_along_dim_0_is_index_0(name: str) -> None:
    # PyTorch: torch.tensor(5.).argmax(0) is tensor(0)
    assert_close(getattr(Tensor(np.float64(5.0)), name)(dim=0), np.array(0, dtype=np.int64), rtol=0)
    assert_close(getattr(Tensor(np.float64(5.0)), name)(axis=-1, keepdims=True),
                 np.array(0, dtype=np.int64), rtol=0)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_of_a_one_element_tensor_is_index_0(name: str) -> None:
    assert_close(getattr(Tensor(np.array([7.0])), name)(), np.array(0, dtype=np.int64), rtol=0)


def test_arg_messages_read_exactly() -> None:
    assert _message(ValueError, Tensor(np.zeros(0)).argmax) == "argmax of an empty tensor of shape (0,)"
    assert _message(ValueError, Tensor(np.zeros((2, 0))).argmin, axis=0) == (
        "argmin of an empty tensor of shape (2, 0)")
    assert _message(AxisError, Tensor(A).argmax, axis=2) == (
        "axis 2 is out of range for a tensor of dimension 2 (expected a value in [-2, 1])")
    assert _message(AxisError, Tensor(A).argmin, dim=-3) == (
        "axis -3 is out of range for a tensor of dimension 2 (expected a value in [-2, 1])")
    assert _message(TypeError, Tensor(A).argmax, axis=0, dim=0) == (
        "give the axis once: axis=0 (NumPy's name) or dim=0 (PyTorch's), not both")


def test_arg_of_a_float_tensor_has_no_gradient() -> None:
    out = Tensor(np.array([1.0, 3.0]), requires_grad=True).argmax()
    assert not out.requires_grad and out.grad_fn is None


# ---- swapaxes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [(0, 1), (1, 0), (0, 2), (-1, 0), (1, -1), (2, 2)])
def test_swapaxes_of_a_3d_tensor_and_its_gradient(a: int, b: int) -> None:
    assert_close(Tensor(X234).swapaxes(a, b), np.swapaxes(X234, a, b))
    w = np.swapaxes(np.arange(24.0).reshape(2, 3, 4), 0, 0) + 1.0
    w = np.swapaxes(w, a, b)
    assert_close(_grad_of(lambda t: t.swapaxes(a, b), X234, w), np.swapaxes(w, a, b))


def test_swapaxes_of_a_0d_tensor_is_the_tensor() -> None:
    # PyTorch allows transpose(0, 0) (and -1) on a 0-d tensor
    assert_close(Tensor(np.float64(2.0)).swapaxes(0, -1), np.array(2.0))


def test_swapaxes_messages_name_the_argument_and_the_shape() -> None:
    t = Tensor(X23)
    assert _message(AxisError, t.swapaxes, 2, 0) == (
        "swapaxes: axis0 2 is out of range for a tensor of shape (2, 3) (expected a value in [-2, 1])")
    assert _message(AxisError, t.swapaxes, 0, -3) == (
        "swapaxes: axis1 -3 is out of range for a tensor of shape (2, 3) (expected a value in [-2, 1])")
    assert _message(TypeError, t.swapaxes, None, 0) == "swapaxes: axis0 must be one int, got None"
    assert _message(TypeError, t.swapaxes, 0, 1.0) == "swapaxes: axis1 must be one int, got 1.0"


# ---- transpose, permute -----------------------------------------------------------------------
@pytest.mark.parametrize("args", [(), (None,)])
def test_transpose_without_dims_reverses_all_axes(args: tuple) -> None:
    assert_close(Tensor(X234).transpose(*args), np.transpose(X234))
    assert_close(Tensor(X23).transpose(*args), X23.T)


@pytest.mark.parametrize("empty", [(), []])
def test_transpose_with_an_empty_permutation_fails_as_in_numpy_except_on_0d(empty: object) -> None:
    with pytest.raises(ValueError):
        np.transpose(X23, empty)  # the oracle: NumPy refuses an empty permutation of 2 axes
    message = "permute() needs 2 dims for a tensor of shape (2, 3), got 0"
    with pytest.raises(ValueError, match=re.escape(message)):
        Tensor(X23).transpose(empty)
    assert_close(Tensor(np.float64(2.5)).transpose(empty), np.transpose(np.float64(2.5), empty))


@pytest.mark.parametrize("args, perm", [
    (((2, 0, 1),), (2, 0, 1)), (([1, 2, 0],), (1, 2, 0)), ((2, 0, 1), (2, 0, 1)), ((0, 2, 1), (0, 2, 1)),
    ((0, 1), (1, 0, 2)), ((2, 1), (0, 2, 1)), ((-1, 0), (2, 1, 0)),
])
def test_transpose_swaps_two_dims_or_permutes_all(args: tuple, perm: tuple[int, ...]) -> None:
    assert_close(Tensor(X234).transpose(*args), np.transpose(X234, perm))
    w = np.transpose(np.arange(1.0, 25.0).reshape(2, 3, 4), perm)
    assert_close(_grad_of(lambda t: t.transpose(*args), X234, w), np.transpose(w, np.argsort(perm)))


def test_transpose_of_a_1d_tensor_with_its_one_dim_is_the_tensor() -> None:
    v = np.array([1.0, 2.0, 3.0])
    assert_close(Tensor(v).transpose(0), v)
    assert_close(Tensor(v).transpose((0,)), v)


def test_transpose_of_a_4d_tensor_with_four_dims_permutes() -> None:
    x = np.arange(120.0).reshape(2, 3, 4, 5)
    assert_close(Tensor(x).transpose(3, 1, 0, 2), np.transpose(x, (3, 1, 0, 2)))


def test_transpose_messages_read_exactly() -> None:
    assert _message(TypeError, Tensor(X234).transpose, 0, 1, 2, 3) == (
        "transpose(0, 1, 2, 3) on a tensor of shape (2, 3, 4): pass two dims to swap (PyTorch's "
        "transpose(dim0, dim1)) or a full permutation, as permute(*dims)")
    assert _message(TypeError, Tensor(X23).transpose, 1) == (
        "transpose(1,) on a tensor of shape (2, 3): pass two dims to swap (PyTorch's "
        "transpose(dim0, dim1)) or a full permutation, as permute(*dims)")
    assert _message(TypeError, Tensor(np.zeros(3)).transpose, 0, 0, 0) == (
        "transpose(0, 0, 0) on a tensor of shape (3,): pass two dims to swap (PyTorch's "
        "transpose(dim0, dim1)) or a full permutation, as permute(*dims)")


@pytest.mark.parametrize("args", [((2, 0, 1),), ([2, 0, 1],), (2, 0, 1)])
def test_permute_as_ints_a_tuple_or_a_list(args: tuple) -> None:
    assert_close(Tensor(X234).permute(*args), np.transpose(X234, (2, 0, 1)))


def test_permute_of_a_0d_tensor_with_no_dims() -> None:
    assert_close(Tensor(np.float64(1.5)).permute(), np.array(1.5))


def test_permute_message_reads_exactly() -> None:
    assert _message(ValueError, Tensor(X234).permute, 0, 1) == (
        "permute(0, 1) needs 3 dims for a tensor of shape (2, 3, 4), got 2")
    assert _message(ValueError, Tensor(X23).permute, (1, 0, 2)) == (
        "permute(1, 0, 2) needs 2 dims for a tensor of shape (2, 3), got 3")


# ---- repeat -----------------------------------------------------------------------------------
@pytest.mark.parametrize("args, reps", [
    ((2, 3), (2, 3)), (((2, 3),), (2, 3)), (([1, 2],), (1, 2)), ((2, 1, 2), (2, 1, 2)),
    ((0, 2), (0, 2)), ((np.int64(2), 1), (2, 1)),
])
def test_repeat_tiles_as_np_tile_with_the_gradient_summed_over_tiles(args: tuple, reps: tuple) -> None:
    out = Tensor(X23).repeat(*args)
    assert_close(out, np.tile(X23, reps))
    w = np.arange(float(np.prod(out.shape))).reshape(out.shape)
    # each entry of x appears once per tile: its gradient is the sum of w over the tiles
    padded = (1,) * (len(reps) - X23.ndim) + X23.shape
    split = w.reshape(tuple(k for r, n in zip(reps, padded, strict=True) for k in (r, n)))
    want = split.sum(axis=tuple(range(0, split.ndim, 2))).reshape(X23.shape)
    assert_close(_grad_of(lambda t: t.repeat(*args), X23, w), want)


def test_repeat_of_a_1d_tensor_with_one_size() -> None:
    v = np.array([1.0, -2.0])
    assert_close(Tensor(v).repeat(3), np.tile(v, 3))
    assert_close(Tensor(v).repeat(0), np.zeros(0))


@pytest.mark.parametrize("bad", [(2, -1), (2.0, 1), (True, 1), (1, None)])
def test_repeat_refuses_sizes_that_are_not_non_negative_ints(bad: tuple) -> None:
    assert _message(ValueError, Tensor(X23).repeat, *bad) == (
        f"repeat sizes must be non-negative ints, got {bad!r}")


def test_repeat_messages_read_exactly() -> None:
    assert _message(ValueError, Tensor(X23).repeat, 2) == (
        "repeat(2,): the number of sizes (1) must be at least the number of dimensions of the tensor "
        "of shape (2, 3)")
    assert _message(TypeError, Tensor(X23).repeat, 2, axis=0) == (
        "repeat follows PyTorch (tile the whole tensor, like np.tile); NumPy's element-wise "
        "repeat(repeats, axis=...) is not supported")


# ---- __array__ (np.asarray / np.array of a tensor) --------------------------------------------
def test_asarray_shares_the_data_and_np_array_copies() -> None:
    t = Tensor(X23.copy())
    assert np.shares_memory(np.asarray(t), t.data)
    assert np.shares_memory(np.asarray(t, dtype=np.float64), t.data)  # no conversion: no copy
    copied = np.array(t)
    assert not np.shares_memory(copied, t.data)
    assert_close(copied, X23)


def test_asarray_with_a_dtype_converts() -> None:
    out = np.asarray(Tensor(X23), dtype=np.float32)
    assert_close(out, X23.astype(np.float32))
    assert_close(Tensor(X23).__array__(np.int64), X23.astype(np.int64), rtol=0)


def test_asarray_of_a_tensor_that_requires_grad_is_refused_with_the_whole_message() -> None:
    t = Tensor(X23, requires_grad=True)
    assert _message(RuntimeError, np.asarray, t) == (
        "can't call np.asarray()/np.array() on a Tensor that requires grad (shape (2, 3)): the ndarray "
        "would be cut from the autograd graph and gradients through it silently lost. Call .detach() "
        "first (t.detach().numpy()), or read t.data. (An ndarray method given a Tensor, such as "
        "X.dot(W), asks for this too: write np.dot(X, W) or X @ W)")


def test_asarray_keeps_a_float32_tensors_dtype() -> None:
    x = X23.astype(np.float32)
    out = np.asarray(Tensor(x))
    assert_close(out, x)
    assert out.dtype == np.float32


# ---- clamp, clip ------------------------------------------------------------------------------
V = np.array([-3.0, -0.5, 0.0, 0.25, 2.0, 7.0])


@pytest.mark.parametrize("lo, hi", [(-1.0, 1.0), (None, 0.5), (0.0, None), (-1, 3), (2.0, -2.0)])
def test_clamp_values_and_gradient_match_np_clip(lo: float | None, hi: float | None) -> None:
    assert_close(Tensor(V).clamp(lo, hi), np.clip(V, lo, hi))
    assert_close(Tensor(V).clamp(min=lo, max=hi), np.clip(V, lo, hi))
    inside = np.ones_like(V)
    if lo is not None:
        inside[V < lo] = 0.0
    if hi is not None:
        inside[V > hi] = 0.0
    if lo is not None and hi is not None and lo > hi:
        inside[:] = 0.0  # every value becomes max, a constant
    w = np.arange(1.0, 7.0)
    assert_close(_grad_of(lambda t: t.clamp(lo, hi), V, w), w * inside)


def test_clamp_with_tensor_and_array_bounds_without_grad() -> None:
    lo = np.array([0.0, 0.0, -1.0, 1.0, 1.0, 1.0])
    assert_close(Tensor(V).clamp(min=Tensor(lo), max=Tensor(np.array(5.0))), np.clip(V, lo, 5.0))
    assert_close(Tensor(V).clamp(max=lo), np.minimum(V, lo))


def test_clamp_messages_read_exactly() -> None:
    t = Tensor(V)
    assert _message(ValueError, t.clamp) == "clamp: at least one of min and max must not be None"
    assert _message(ValueError, t.clamp, None, None) == "clamp: at least one of min and max must not be None"
    bound = Tensor(np.array(0.0), requires_grad=True)
    for name in ("min", "max"):
        assert _message(TypeError, t.clamp, **{name: bound}) == (
            f"clamp: the {name} bound requires grad, but clamp treats its bounds as constants; write "
            "x.maximum(lo) / x.minimum(hi) to differentiate them")


@pytest.mark.parametrize("kw, lo, hi", [
    ({"a_min": -1.0, "a_max": 1.0}, -1.0, 1.0), ({"min": -1.0, "max": 1.0}, -1.0, 1.0),
    ({"a_min": 0.0}, 0.0, None), ({"a_max": 0.0}, None, 0.0), ({"min": 0.1}, 0.1, None),
    ({"max": 0.1}, None, 0.1), ({"a_min": -1.0, "max": 1.0}, -1.0, 1.0),
    ({"min": -1.0, "a_max": 1.0}, -1.0, 1.0),
])
def test_clip_in_numpy_and_pytorch_spellings(kw: dict[str, float], lo: float | None,
                                              hi: float | None) -> None:
    assert_close(Tensor(V).clip(**kw), np.clip(V, lo, hi))


def test_clip_positional_bounds_as_numpy() -> None:
    assert_close(Tensor(V).clip(-1.0, 1.0), np.clip(V, -1.0, 1.0))
    assert_close(Tensor(V).clip(None, 1.0), np.clip(V, None, 1.0))


@pytest.mark.parametrize("kw", [{"a_min": 0.0, "min": 0.0}, {"a_max": 1.0, "max": 2.0},
                                {"a_min": 0.0, "a_max": 1.0, "max": 1.0}])
def test_clip_refuses_a_bound_given_twice(kw: dict[str, float]) -> None:
    assert _message(TypeError, Tensor(V).clip, **kw) == (
        "clip: give each bound once, as a_min/a_max (NumPy) or min/max (PyTorch)")


def test_clip_without_bounds_is_clamps_error() -> None:
    assert _message(ValueError, Tensor(V).clip) == "clamp: at least one of min and max must not be None"


# ---- _lift: Python numbers and arrays as operands ---------------------------------------------
@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__radd__", "__rsub__",
                                "__rmul__", "__rtruediv__", "__pow__", "__rpow__", "maximum", "minimum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("number", [2, 2.5, True])
def test_a_python_number_keeps_a_float_tensors_dtype(op: str, dtype: type, number: object) -> None:
    x = np.array([1.5, 3.0], dtype=dtype)
    out = getattr(Tensor(x), op)(number)
    want = getattr(x, op)(number) if op not in ("maximum", "minimum") else getattr(np, op)(x, number)
    assert_close(out, want, rtol=1e-3)


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__radd__", "__rsub__", "__rmul__",
                                "__truediv__", "__rtruediv__", "maximum", "minimum"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8, np.bool_])
@pytest.mark.parametrize("number", [3, 2.5, True])
def test_a_python_number_with_an_integer_tensor_follows_numpy(op: str, dtype: type, number: object) -> None:
    x = np.array([1, 2, 5], dtype=dtype)
    if dtype is np.bool_ and op in ("__sub__", "__rsub__") and number is True:
        return  # NumPy refuses bool - bool
    want = getattr(x, op)(number) if op not in ("maximum", "minimum") else getattr(np, op)(x, number)
    assert_close(getattr(Tensor(x), op)(number), want, rtol=0)


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__matmul__", "__radd__",
                                "__rsub__", "__rmul__", "__rtruediv__", "__rmatmul__", "__pow__", "__rpow__",
                                "maximum", "minimum"])
def test_an_ndarray_operand_keeps_its_own_dtype(op: str) -> None:
    x = np.array([[1.5, 2.0], [0.5, 4.0]], dtype=np.float32)
    y = np.array([[2.0, 3.0], [1.0, 0.5]])  # float64: the result is float64, as in NumPy
    if op in ("maximum", "minimum"):
        want = getattr(np, op)(x, y)
    elif op == "__rmatmul__":
        want = y @ x
    else:
        want = getattr(x, op)(y)
    out = getattr(Tensor(x), op)(y)
    assert_close(out, want, rtol=1e-6)
    assert out.dtype == np.float64


class _MyTensor(Tensor):
    """A user's subclass: an operand of that type is used as it is, graph and all."""

    __slots__ = ()


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__matmul__", "__pow__",
                                "maximum", "minimum"])
def test_a_tensor_subclass_operand_keeps_its_graph(op: str) -> None:
    x = Tensor(np.array([1.5, 2.0]))
    y = _MyTensor(np.array([2.0, 3.0]), requires_grad=True)
    getattr(x, op)(y).sum().backward()
    assert y.grad is not None
    h = 1e-6
    yd = y.data
    fd = [(getattr(x.data, op)(yd + h * e) - getattr(x.data, op)(yd - h * e)).sum() / (2 * h)
          if op not in ("maximum", "minimum") else
          (getattr(np, op)(x.data, yd + h * e) - getattr(np, op)(x.data, yd - h * e)).sum() / (2 * h)
          for e in np.eye(2)]
    assert_close(y.grad, np.array(fd), rtol=1e-6, atol=1e-9)


# ---- __repr__ ---------------------------------------------------------------------------------
def test_repr_of_float64_int64_and_bool_tensors_omits_the_dtype() -> None:
    assert repr(Tensor(np.array([1.0, 2.5]))) == "Tensor([1. , 2.5])"
    assert repr(Tensor(np.array([1, 2]))) == "Tensor([1, 2])"
    assert repr(Tensor(np.array([True, False]))) == "Tensor([ True, False])"
    assert repr(Tensor(np.float64(2.0))) == "Tensor(2.)"


def test_repr_of_other_dtypes_names_the_dtype() -> None:
    assert repr(Tensor(np.array([1.0, 2.0], dtype=np.float32))) == "Tensor([1., 2.], dtype=float32)"
    assert repr(Tensor(np.array([3, 4], dtype=np.int32))) == "Tensor([3, 4], dtype=int32)"


def test_repr_of_a_matrix_aligns_the_rows_under_the_prefix() -> None:
    assert repr(Tensor(np.arange(4.0).reshape(2, 2))) == "Tensor([[0., 1.],\n        [2., 3.]])"


def test_repr_says_requires_grad_or_the_grad_fn() -> None:
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert repr(t) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(t * 2) == "Tensor([2., 4.], grad_fn=<Mul>)"
    f32 = Tensor(np.array([1.0], dtype=np.float32), requires_grad=True)
    assert repr(f32) == "Tensor([1.], dtype=float32, requires_grad=True)"
    assert repr(f32 + 1) == "Tensor([2.], dtype=float32, grad_fn=<Add>)"


# ---- any, all ---------------------------------------------------------------------------------
B = np.array([[0.0, 0.0, 2.0], [0.0, 0.0, 0.0], [1.0, -1.0, 3.0]])


@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("kw, axis, keep", [
    ({}, None, False), ({"axis": 1}, 1, False), ({"dim": 1}, 1, False), ({"axis": 0}, 0, False),
    ({"dim": -1, "keepdim": True}, -1, True), ({"axis": 0, "keepdims": True}, 0, True),
    ({"keepdims": True}, None, True), ({"keepdim": True}, None, True), ({"axis": (0, 1)}, (0, 1), False),
    ({"dim": 1, "keepdims": True}, 1, True), ({"axis": 1, "keepdim": True}, 1, True),
])
def test_any_all_in_every_spelling_match_numpy(name: str, kw: dict, axis: object, keep: bool) -> None:
    out = getattr(Tensor(B), name)(**kw)
    assert_close(out, np.asarray(getattr(np, name)(B, axis=axis, keepdims=keep)), rtol=0)
    assert out.dtype == np.bool_


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_all_messages(name: str) -> None:
    assert _message(AxisError, getattr(Tensor(B), name), axis=2) == (
        "axis 2 is out of range for a tensor of dimension 2 (expected a value in [-2, 1])")
    assert _message(TypeError, getattr(Tensor(B), name), axis=0, dim=0) == (
        "give the axis once: axis=0 (NumPy's name) or dim=0 (PyTorch's), not both")


# ---- sum --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, axis, keep", [
    ({}, None, False), ({"axis": 1}, 1, False), ({"dim": 1}, 1, False), ({"dim": 0}, 0, False),
    ({"axis": 1, "keepdims": True}, 1, True), ({"dim": 1, "keepdim": True}, 1, True),
    ({"axis": 0, "keepdim": True}, 0, True), ({"dim": -1, "keepdims": True}, -1, True),
    ({"keepdim": True}, None, True), ({"keepdims": True}, None, True), ({"dim": (0, 1)}, (0, 1), False),
])
def test_sum_in_every_spelling_with_its_gradient(kw: dict, axis: object, keep: bool) -> None:
    want_out = np.sum(X23, axis=axis, keepdims=keep)  # type: ignore[call-overload]
    assert_close(Tensor(X23).sum(**kw), want_out)
    w = np.arange(1.0, 1.0 + want_out.size).reshape(want_out.shape)
    # each entry gets the weight of the sum it went into: w broadcast back over the summed axes
    w_kept = w if keep or axis is None else np.expand_dims(w, axis)  # type: ignore[arg-type]
    assert_close(_grad_of(lambda t: t.sum(**kw), X23, w), np.broadcast_to(w_kept, X23.shape))


def test_sum_refuses_both_spellings() -> None:
    assert _message(TypeError, Tensor(X23).sum, keepdims=True, keepdim=True) == (
        "give keepdims=True (NumPy's name) or keepdim=True (PyTorch's), not both")
    assert _message(TypeError, Tensor(X23).sum, axis=1, dim=1) == (
        "give the axis once: axis=1 (NumPy's name) or dim=1 (PyTorch's), not both")


# ---- __pow__, __rpow__ ------------------------------------------------------------------------
def test_pow_by_a_tensor_differentiates_both_sides() -> None:
    x = Tensor(np.array([1.5, 2.0, 0.5]), requires_grad=True)
    e = Tensor(np.array([2.0, -1.0, 3.0]), requires_grad=True)
    out = x ** e
    assert_close(out, x.data ** e.data)
    out.sum().backward()
    assert x.grad is not None and e.grad is not None
    assert_close(x.grad, e.data * x.data ** (e.data - 1))
    assert_close(e.grad, x.data ** e.data * np.log(x.data))


@pytest.mark.parametrize("exponent", [2, 3.0, -1, 0.5])
def test_pow_by_a_python_number_and_its_gradient(exponent: float) -> None:
    x = np.array([1.5, 2.0, 0.5])
    assert_close(Tensor(x) ** exponent, x ** exponent)
    assert_close(_grad_of(lambda t: t ** exponent, x, np.ones(3)), exponent * x ** (exponent - 1))


def test_pow_by_true_is_the_tensor_as_numpy() -> None:
    x = np.array([1.5, 2.0])
    assert_close(Tensor(x) ** True, x ** True)


@pytest.mark.parametrize("exponent", [np.array([2.0, 0.5]), np.float64(2.0), [2.0, 3.0]])
def test_pow_by_an_array_or_a_numpy_scalar(exponent: object) -> None:
    x = np.array([1.5, 4.0])
    assert_close(Tensor(x) ** exponent, x ** np.asarray(exponent))
    assert_close(_grad_of(lambda t: t ** exponent, x, np.ones(2)),
                 np.asarray(exponent) * x ** (np.asarray(exponent) - 1))


def test_rpow_of_a_number_and_an_array_differentiates_the_exponent() -> None:
    e = np.array([2.0, -1.0, 0.5])
    assert_close(2 ** Tensor(e), 2.0 ** e)
    assert_close(_grad_of(lambda t: 2 ** t, e, np.ones(3)), 2.0 ** e * np.log(2.0))
    base = np.array([3.0, 1.5, 4.0])
    assert_close(base ** Tensor(e), base ** e)
    assert_close(_grad_of(lambda t: base ** t, e, np.ones(3)), base ** e * np.log(base))
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    assert_close(2 ** Tensor(x32), np.float32(2) ** x32)


# ---- max, min, amax, amin, prod ---------------------------------------------------------------
M = np.array([[3.0, -1.0, 4.0, 1.0], [5.0, 9.0, -2.0, 6.0], [0.5, 0.25, 8.0, -7.0]])


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "prod"])
@pytest.mark.parametrize("kw, axis, keep", [
    ({}, None, False), ({"axis": 1}, 1, False), ({"axis": 0, "keepdims": True}, 0, True),
    ({"axis": -1, "keepdim": True}, -1, True), ({"axis": (0, 1)}, (0, 1), False),
    ({"keepdims": True}, None, True), ({"keepdim": True}, None, True), ({"keepdims": False}, None, False),
])
def test_reductions_with_numpys_axis_in_every_keepdims_spelling(name: str, kw: dict, axis: object,
                                                                  keep: bool) -> None:
    np_name = {"amax": "max", "amin": "min"}.get(name, name)
    out = getattr(Tensor(M), name)(**kw)
    assert_close(out, getattr(np, np_name)(M, axis=axis, keepdims=keep), rtol=1e-15)


@pytest.mark.parametrize("name", ["amax", "amin", "prod"])
@pytest.mark.parametrize("kw, axis, keep", [
    ({"dim": 1}, 1, False), ({"dim": 0, "keepdim": True}, 0, True), ({"dim": -1, "keepdims": True}, -1, True),
    ({"dim": (0, 1)}, (0, 1), False),
])
def test_reductions_with_pytorchs_dim(name: str, kw: dict, axis: object, keep: bool) -> None:
    np_name = {"amax": "max", "amin": "min"}.get(name, name)
    want = getattr(np, np_name)(M, axis=axis, keepdims=keep)
    assert_close(getattr(Tensor(M), name)(**kw), want, rtol=1e-15)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("kw, axis, keep", [
    ({"dim": 1}, 1, False), ({"dim": 0, "keepdim": True}, 0, True), ({"dim": -1, "keepdims": True}, -1, True),
])
def test_max_min_with_dim_give_values_and_int64_indices(name: str, kw: dict, axis: int, keep: bool) -> None:
    values, indices = getattr(Tensor(M), name)(**kw)
    assert_close(values, getattr(np, name)(M, axis=axis, keepdims=keep))
    assert_close(indices, getattr(np, "arg" + name)(M, axis=axis, keepdims=keep).astype(np.int64), rtol=0)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_max_min_gradient_goes_to_the_extremum_split_among_ties(name: str) -> None:
    x = np.array([[1.0, 4.0, 4.0], [2.0, -3.0, -3.0]])
    kw = {"axis": 1} if name in ("max", "min") else {"dim": 1}
    fn = lambda t: getattr(t, name)(**kw)  # noqa: E731
    w = np.array([2.0, 6.0])
    if name in ("max", "amax"):
        want = np.array([[0.0, 1.0, 1.0], [6.0, 0.0, 0.0]])  # a tie: half of 2 each
    else:
        want = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]) * np.array([[2.0], [3.0]])
    assert_close(_grad_of(fn, x, w), want)


def test_prod_gradient_is_the_product_of_the_others() -> None:
    x = np.array([[2.0, 3.0, 0.5], [4.0, -1.0, 2.0]])
    want = np.array([[1.5, 1.0, 6.0], [-2.0, 8.0, -4.0]])
    assert_close(_grad_of(lambda t: t.prod(dim=1), x, np.ones(2)), want)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_messages_read_exactly(name: str) -> None:
    t = Tensor(M)
    assert _message(TypeError, getattr(t, name), 1) == (
        f"t.{name}(1) is ambiguous: NumPy's a.{name}(1) returns the values, PyTorch's t.{name}(1) returns "
        f"(values, indices). For a reduction, write t.{name}(axis=1) for the values or t.{name}(dim=1) for "
        "(values, indices)")
    assert _message(TypeError, getattr(t, name), dim=(0, 1)) == (
        f"{name}(dim=...) takes one int (it returns values and indices, as PyTorch's); for several axes "
        f"write {name}(axis=(0, 1)) (values only)")
    assert _message(TypeError, getattr(t, name), axis=1, dim=1) == (
        "give the axis once: axis=1 (NumPy's name) or dim=1 (PyTorch's), not both")
    assert _message(TypeError, getattr(t, name), keepdims=True, keepdim=False) == (
        "give keepdims=True (NumPy's name) or keepdim=False (PyTorch's), not both")


@pytest.mark.parametrize("name", ["amax", "amin", "prod"])
def test_reductions_refuse_both_spellings(name: str) -> None:
    t = Tensor(M)
    assert _message(TypeError, getattr(t, name), axis=1, dim=1) == (
        "give the axis once: axis=1 (NumPy's name) or dim=1 (PyTorch's), not both")
    assert _message(TypeError, getattr(t, name), keepdims=True, keepdim=False) == (
        "give keepdims=True (NumPy's name) or keepdim=False (PyTorch's), not both")


# ---- logsumexp, softmax, log_softmax ----------------------------------------------------------
def _np_logsumexp(x: np.ndarray, axis: object, keep: bool) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)  # type: ignore[call-overload]
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m  # type: ignore[call-overload]
    return out if keep else np.squeeze(out, axis=axis)  # type: ignore[arg-type]


@pytest.mark.parametrize("args, kw, axis, keep", [
    ((1,), {}, 1, False), ((), {"dim": 0}, 0, False), ((), {"axis": -1}, -1, False),
    ((1, True), {}, 1, True), ((), {"dim": 1, "keepdim": True}, 1, True),
    ((), {"axis": 0, "keepdims": True}, 0, True),
    ((), {"dim": (0, 1)}, (0, 1), False), ((), {"axis": 1, "keepdim": True}, 1, True),
])
def test_logsumexp_in_every_spelling(args: tuple, kw: dict, axis: object, keep: bool) -> None:
    assert_close(Tensor(M).logsumexp(*args, **kw), _np_logsumexp(M, axis, keep), rtol=1e-14)


def test_logsumexp_messages_read_exactly() -> None:
    assert _message(TypeError, Tensor(M).logsumexp) == (
        "logsumexp() needs the axis, e.g. t.logsumexp(dim=-1) or t.logsumexp(axis=-1) (PyTorch's implicit "
        "choice of dim is deprecated there and not copied here)")
    assert _message(TypeError, Tensor(M).logsumexp, 1, axis=1) == (
        "give the axis once: axis=1 (NumPy's name) or dim=1 (PyTorch's), not both")


def _np_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("args, kw, axis", [
    ((1,), {}, 1), ((0,), {}, 0), ((), {"dim": 0}, 0), ((), {"axis": 1}, 1), ((), {"dim": -1}, -1),
    ((np.int64(0),), {}, 0),
])
def test_softmax_and_log_softmax_in_either_spelling(name: str, args: tuple, kw: dict, axis: int) -> None:
    want = _np_softmax(M, axis)
    want = want if name == "softmax" else np.log(want)
    assert_close(getattr(Tensor(M), name)(*args, **kw), want, rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_messages_read_exactly(name: str) -> None:
    assert _message(TypeError, getattr(Tensor(M), name)) == (
        f"{name}() needs the axis, e.g. t.{name}(dim=-1) or t.{name}(axis=-1) (PyTorch's implicit choice of "
        "dim is deprecated there and not copied here)")
    assert _message(TypeError, getattr(Tensor(M), name), 0, axis=0) == (
        "give the axis once: axis=0 (NumPy's name) or dim=0 (PyTorch's), not both")
    with pytest.raises(TypeError):
        getattr(Tensor(M), name)(1.0)  # an axis must be an int (operator.index)


# ---- in-place results must fit (_check_fits) --------------------------------------------------
def test_in_place_result_of_another_shape_is_refused_with_the_whole_message() -> None:
    t = Tensor(np.ones(3))
    with pytest.raises(ValueError) as info:
        t += np.ones((2, 3))
    assert str(info.value) == (
        "+=: the result has shape (2, 3) but the tensor changed in place has shape (3,); an in-place "
        "operation cannot change the shape")


def test_in_place_result_that_cannot_be_cast_is_refused_with_the_whole_message() -> None:
    t = Tensor(np.ones(3, dtype=np.int64))
    with pytest.raises(TypeError) as info:
        t += 1.5
    assert str(info.value) == (
        "+=: result type float64 can't be cast to the tensor's dtype int64; convert first "
        "(t = t.astype('float64'))")
    assert_close(t, np.ones(3, dtype=np.int64), rtol=0)  # unchanged


def test_in_place_result_of_the_same_kind_is_cast_to_the_tensors_dtype() -> None:
    # PyTorch: a float32 tensor += a float64 tensor stays float32 (same kind: casting allowed)
    t = Tensor(np.ones(3, dtype=np.float32))
    t += np.array([0.5, 1.5, 2.5])
    assert_close(t, np.array([1.5, 2.5, 3.5], dtype=np.float32))
    i = Tensor(np.array([1, 2], dtype=np.int32))
    i += np.array([3, 4], dtype=np.int64)
    assert_close(i, np.array([4, 6], dtype=np.int32), rtol=0)


# ---- size(): PyTorch's method on NumPy's int ---------------------------------------------------
def test_size_called_gives_the_shape_or_one_length() -> None:
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.size == 24
    assert t.size() == (2, 3, 4)
    assert t.size(None) == (2, 3, 4)
    assert (t.size(0), t.size(2), t.size(-1), t.size(-3)) == (2, 4, 4, 2)
    assert Tensor(np.float64(1.0)).size() == ()


def test_size_messages_read_exactly() -> None:
    t = Tensor(np.zeros((2, 3)))
    assert _message(AxisError, t.size, 2) == (
        "size: dim 2 is out of range for a tensor of shape (2, 3) (expected a value in [-2, 1])")
    assert _message(AxisError, t.size, -3) == (
        "size: dim -3 is out of range for a tensor of shape (2, 3) (expected a value in [-2, 1])")
    assert _message(TypeError, t.size, 1.0) == "size: dim must be one int, got 1.0"
    assert _message(AxisError, Tensor(np.float64(1.0)).size, 0) == (
        "size(0) of a 0-d tensor: it has no dimensions")


def test_clamp_by_a_python_number_keeps_float32() -> None:
    # PyTorch: a float32 tensor clamped by a Python number stays float32 (NumPy's weak scalars agree)
    x = np.array([0.2, 0.9, -1.0], dtype=np.float32)
    assert_close(Tensor(x).clamp(0.5), np.clip(x, 0.5, None))
    assert_close(Tensor(x).clamp(-0.5, 1), np.clip(x, -0.5, 1))
    assert_close(Tensor(x).clamp(max=0), np.clip(x, None, 0))


# ---- binary operators: Tensor, number and array operands --------------------------------------
P = np.array([[1.5, -2.0], [0.5, 4.0]])
Q = np.array([[2.0, 3.0], [-1.0, 0.25]])


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__truediv__", "__matmul__", "__pow__",
                                "maximum", "minimum", "__lt__", "__le__", "__gt__", "__ge__", "__eq__",
                                "__ne__",
                                "dot"])
@pytest.mark.parametrize("kind", ["tensor", "array", "grad"])
def test_binary_operators_match_numpy(op: str, kind: str) -> None:
    x = np.abs(P) if op == "__pow__" else P
    y = Q if op != "__eq__" else np.array([[1.5, 0.0], [0.5, 1.0]])  # some equal entries
    if op in ("__le__", "__ge__", "__ne__"):
        y = np.array([[1.5, -3.0], [0.5, 5.0]])
    other = {"tensor": Tensor(y), "array": y, "grad": Tensor(y, requires_grad=True)}[kind]
    got = getattr(Tensor(x), op)(other)
    ufunc = {"__add__": np.add, "__sub__": np.subtract, "__mul__": np.multiply, "__truediv__": np.true_divide,
             "__matmul__": np.matmul, "__pow__": np.power, "maximum": np.maximum, "minimum": np.minimum,
             "__lt__": np.less, "__le__": np.less_equal, "__gt__": np.greater, "__ge__": np.greater_equal,
             "__eq__": np.equal, "__ne__": np.not_equal, "dot": np.dot}[op]
    want = ufunc(x, y)
    assert_close(got, want, rtol=1e-15)


@pytest.mark.parametrize("op, fn", [("__radd__", np.add), ("__rsub__", np.subtract),
                                    ("__rmul__", np.multiply),
                                    ("__rtruediv__", np.true_divide), ("__rmatmul__", np.matmul),
                                    ("__rpow__", np.power)])
def test_reflected_operators_put_the_other_operand_first(op: str, fn: object) -> None:
    got = getattr(Tensor(Q), op)(np.abs(P))
    assert_close(got, fn(np.abs(P), Q), rtol=1e-15)  # type: ignore[operator]
    if op != "__rmatmul__":  # a Python number on the left (matmul refuses numbers)
        v = np.array([2.0, 4.0])
        assert_close(getattr(Tensor(v), op)(3), fn(3, v), rtol=1e-15)  # type: ignore[operator]


def test_matmul_gradients_are_closed_forms() -> None:
    a = Tensor(P, requires_grad=True)
    b = Tensor(Q, requires_grad=True)
    w = np.array([[1.0, 2.0], [3.0, -1.0]])
    ((a @ b) * Tensor(w)).sum().backward()
    assert a.grad is not None and b.grad is not None
    assert_close(a.grad, w @ Q.T)
    assert_close(b.grad, P.T @ w)
    assert_close(_grad_of(lambda t: P @ t, Q, w), P.T @ w)  # __rmatmul__ through NumPy
    assert_close(_grad_of(lambda t: t.__rmatmul__(P), Q, w), P.T @ w)


def test_comparisons_with_a_tensor_that_requires_grad_give_constant_bools() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    y = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    for op, want in [("__lt__", [True, False, False]), ("__le__", [True, True, False]),
                     ("__gt__", [False, False, True]), ("__ge__", [False, True, True]),
                     ("__eq__", [False, True, False]), ("__ne__", [True, False, True])]:
        out = getattr(x, op)(y)
        assert_close(out, np.array(want), rtol=0)
        assert not out.requires_grad
        assert_close(getattr(x, op)(2), np.array(want), rtol=0)
        assert_close(getattr(x, op)(2.0), np.array(want), rtol=0)


def test_dot_of_vectors_matrices_and_a_0d_tensor() -> None:
    v = np.array([1.0, -2.0])
    assert_close(Tensor(v).dot(v), np.dot(v, v))
    assert_close(Tensor(P).dot(v), np.dot(P, v))
    assert_close(Tensor(P).dot(Tensor(Q)), np.dot(P, Q))
    assert_close(Tensor(np.float64(3.0)).dot(v), np.dot(3.0, v))


# ---- unary methods: each calls its own op -----------------------------------------------------
@pytest.mark.parametrize("name, fn, d", [
    ("exp", np.exp, np.exp), ("log", np.log, lambda x: 1 / x),
    ("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    ("sqrt", np.sqrt, lambda x: 0.5 / np.sqrt(x)), ("abs", np.abs, np.sign), ("__abs__", np.abs, np.sign),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    ("sin", np.sin, np.cos), ("cos", np.cos, lambda x: -np.sin(x)),
    ("log1p", np.log1p, lambda x: 1 / (1 + x)),
    ("expm1", np.expm1, np.exp), ("square", np.square, lambda x: 2 * x), ("sign", np.sign, np.zeros_like),
    ("floor", np.floor, np.zeros_like), ("ceil", np.ceil, np.zeros_like), ("relu", lambda x: np.maximum(x, 0),
                                                                          lambda x: (x > 0) * 1.0),
    ("__neg__", np.negative, lambda x: -np.ones_like(x)), ("copy", np.copy, np.ones_like),
    ("round", np.round, np.zeros_like),
])
def test_unary_methods_values_and_derivatives(name: str, fn: object, d: object) -> None:
    x = np.array([0.3, 1.7, 2.5, 0.9])
    assert_close(getattr(Tensor(x), name)(), fn(x), rtol=1e-14)  # type: ignore[operator]
    assert_close(_grad_of(lambda t: getattr(t, name)(), x, np.ones(4)), d(x), rtol=1e-12)  # type: ignore[operator]


def test_copy_has_its_own_data() -> None:
    t = Tensor(P.copy())
    c = t.copy()
    assert not np.shares_memory(c.data, t.data)
    assert_close(c, P)


def test_round_to_decimals_halves_to_even() -> None:
    x = np.array([1.25, 2.35, -0.5, 1.5, 2.5, 123.456])
    assert_close(Tensor(x).round(), np.round(x))
    assert_close(Tensor(x).round(1), np.round(x, 1))
    assert_close(Tensor(x).round(decimals=np.int64(2)), np.round(x, 2))
    assert_close(Tensor(x).round(-1), np.round(x, -1))
    with pytest.raises(TypeError):
        Tensor(x).round(1.0)  # decimals must be an int (operator.index)


def test_pos_is_the_tensor_itself() -> None:
    t = Tensor(P)
    assert +t is t


def test_astype_converts_and_the_gradient_comes_back_in_the_original_dtype() -> None:
    assert_close(Tensor(P).astype(np.float32), P.astype(np.float32))
    assert_close(Tensor(P).astype("int64"), P.astype(np.int64), rtol=0)
    x = Tensor(P, requires_grad=True)
    (x.astype(np.float32) * 3).sum().backward()
    assert x.grad is not None
    assert_close(x.grad, np.full((2, 2), 3.0))


# ---- conversions: item, numpy, len, iter, bool, float, int ------------------------------------
def test_item_of_one_element_tensors() -> None:
    assert Tensor(np.array([[2.5]])).item() == 2.5
    assert type(Tensor(np.array([[2.5]])).item()) is float
    assert Tensor(np.float64(-1.0)).item() == -1.0
    assert float(Tensor(np.array([3.25]))) == 3.25
    assert int(Tensor(np.array([7.9]))) == 7
    assert type(int(Tensor(np.array([7.9])))) is int


def test_item_messages_read_exactly() -> None:
    assert _message(ValueError, Tensor(np.array([1.0, 2.0])).item) == (
        "item() needs a tensor with one element, this one has shape (2,)")
    assert _message(ValueError, Tensor(np.zeros((0, 3))).item) == (
        "item() needs a tensor with one element, this one has shape (0, 3)")
    with pytest.raises(ValueError, match=re.escape("this one has shape (3,)")):
        float(Tensor(np.zeros(3)))


def test_numpy_shares_the_data_and_refuses_a_tensor_that_requires_grad() -> None:
    t = Tensor(P.copy())
    assert t.numpy() is t.data
    assert _message(RuntimeError, Tensor(P, requires_grad=True).numpy) == (
        "can't call numpy() on a Tensor that requires grad (shape (2, 2)): the ndarray would be cut from the "
        "autograd graph and gradients through it silently lost. Call .detach() first (t.detach().numpy()), "
        "or read t.data")


def test_len_iter_and_bool() -> None:
    assert len(Tensor(np.zeros(3))) == 3
    assert len(Tensor(np.zeros((4, 2)))) == 4
    assert _message(TypeError, len, Tensor(np.float64(1.0))) == "len() of a 0-d tensor"
    rows = list(Tensor(P))
    assert len(rows) == 2
    assert_close(rows[1], P[1])
    assert bool(Tensor(np.array([2.0]))) is True
    assert bool(Tensor(np.float64(0.0))) is False


# ---- NumPy's protocols ------------------------------------------------------------------------
def test_numpy_ufuncs_and_functions_run_our_ops() -> None:
    x = Tensor(P, requires_grad=True)
    out = np.exp(x)
    assert isinstance(out, Tensor)
    assert_close(out, np.exp(P))
    assert_close(np.add(Q, x), Q + P)
    assert_close(np.add.reduce(x, axis=1), P.sum(axis=1))
    assert_close(np.sum(x, axis=1, keepdims=True), P.sum(axis=1, keepdims=True))
    s = np.sum(x, axis=0)
    assert isinstance(s, Tensor)
    s.sum().backward()
    assert x.grad is not None
    assert_close(x.grad, np.ones((2, 2)))


def test_repr_html_draws_a_graph_or_is_none() -> None:
    assert Tensor(P)._repr_html_() is None
    html = (Tensor(P, requires_grad=True) * 2)._repr_html_()
    assert html is not None and html.startswith("<div><svg") and html.endswith("</pre></div>")
    assert "grad_fn=&lt;Mul&gt;" in html


# ---- _bind: tensor.py hands the modules to the methods ----------------------------------------
def test_bind_sets_each_module_under_its_name() -> None:
    import tinygrad_softmax.tensor_methods as tm
    names = ("Tensor", "ops", "functional", "_numpy_api")
    saved = {k: vars(tm)[k] for k in names}
    stand_ins = [object() for _ in names]
    try:
        tm._bind(*stand_ins)  # type: ignore[arg-type]
        assert [vars(tm)[k] for k in names] == stand_ins
    finally:
        vars(tm).update(saved)


def test_pow_by_a_python_number_is_one_pow_node_and_by_a_tensor_a_pow_tensor_node() -> None:
    # a constant exponent is kept in the node (no second input to differentiate): repr names the op
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert repr(x ** 2) == "Tensor([1., 4.], grad_fn=<Pow>)"
    assert repr(x ** 0.5) == "Tensor([1.        , 1.41421356], grad_fn=<Pow>)"
    assert repr(x ** Tensor(np.array([2.0, 3.0]))) == "Tensor([1., 8.], grad_fn=<PowTensor>)"
    assert repr(x ** np.array([2.0, 3.0])) == "Tensor([1., 8.], grad_fn=<PowTensor>)"


def test_matmul_with_a_number_is_refused_on_either_side() -> None:
    # NumPy and PyTorch refuse it too (np.matmul needs 1-D operands): the message says to use *
    assert _message(ValueError, Tensor(P).__matmul__, 2) == (
        "MatMul (input shapes (2, 2), ()): matmul needs at least 1-D operands, got shapes (2, 2) and (); "
        "use * to scale by a scalar")
    assert _message(ValueError, Tensor(P).__rmatmul__, 2.5) == (
        "MatMul (input shapes (), (2, 2)): matmul needs at least 1-D operands, got shapes () and (2, 2); "
        "use * to scale by a scalar")
