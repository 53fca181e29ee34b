"""Behaviours of Tensor's shape, indexing, reduction and in-place methods that a mutation run of
``tensor_methods.py`` found untested (issue 18), part A (part B is test_mutation_kills_methods_b.py).

Each test pins a behaviour an edit of the source could change without any other test noticing:
exact error messages, the NumPy and PyTorch spellings of an axis, boundary sizes and the result's
shape and dtype. The references are NumPy slices and reductions, hand-written closed forms or
PyTorch's documented conventions, never the output of the code under test.
"""

from __future__ import annotations

import re
import warnings
from fractions import Fraction

import numpy as np
import pytest

from tinygrad_softmax import Tensor, no_grad
from tinygrad_softmax.testing import assert_close


def _message(exc_type: type[BaseException], fn, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """The text of the exception ``fn(*args, **kwargs)`` raises, which must be of ``exc_type``."""
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    return str(info.value)


def _grid(*shape: int) -> np.ndarray:
    """0, 1, 2, ... in ``shape`` (float64), so every entry is distinct."""
    return np.arange(float(np.prod(shape))).reshape(shape)


# ---- split ---------------------------------------------------------------------------------------
def test_split_by_size_cuts_pieces_along_dim_zero_by_default_the_last_one_smaller() -> None:
    """An int is a piece size (PyTorch), not a number of pieces (NumPy); dim 0 by default."""
    x = _grid(5, 2)
    pieces = Tensor(x).split(2)
    assert len(pieces) == 3
    for got, want in zip(pieces, (x[0:2], x[2:4], x[4:5])):
        assert_close(got, want)


def test_split_along_a_given_dim_in_both_spellings_and_negative() -> None:
    """dim positionally, as dim=, as axis=, negative, and a NumPy integer size."""
    x = _grid(2, 7)
    want = (x[:, 0:3], x[:, 3:6], x[:, 6:7])
    for pieces in (Tensor(x).split(3, 1), Tensor(x).split(3, dim=1), Tensor(x).split(3, axis=1),
                   Tensor(x).split(3, dim=-1), Tensor(x).split(np.int64(3), 1)):
        assert len(pieces) == 3
        for got, w in zip(pieces, want):
            assert_close(got, w)


def test_split_of_a_1d_tensor_by_one_gives_one_piece_per_entry() -> None:
    """A 1-d tensor is split (only 0-d is refused), and size 1 is a valid size."""
    pieces = Tensor(np.array([4.0, 5.0, 6.0])).split(1)
    assert len(pieces) == 3
    for i, p in enumerate(pieces):
        assert_close(p, np.array([4.0 + i]))


def test_split_by_a_size_larger_than_the_axis_gives_the_whole_tensor() -> None:
    """One piece, clipped to the axis."""
    x = _grid(3, 2)
    (only,) = Tensor(x).split(5)
    assert_close(only, x)


def test_split_of_an_empty_axis_gives_one_empty_piece_as_pytorch() -> None:
    """Size 0 is accepted only for an empty axis; the result is one empty piece."""
    # torch.empty(0, 2).split(2) and .split(0) both give one piece of shape (0, 2)
    for size in (2, 0):
        pieces = Tensor(np.zeros((0, 2))).split(size)
        assert len(pieces) == 1
        assert_close(pieces[0], np.zeros((0, 2)))


def test_split_by_sections_gives_pieces_of_those_sizes_zero_allowed() -> None:
    """A list or tuple gives the piece sizes; empty sections are allowed."""
    x = _grid(6, 2)
    pieces = Tensor(x).split([1, 0, 2, 3])
    assert len(pieces) == 4
    for got, want in zip(pieces, (x[0:1], x[1:1], x[1:3], x[3:6])):
        assert_close(got, want)
    a, b = Tensor(x).split((4, 2), dim=0)
    assert_close(a, x[:4])
    assert_close(b, x[4:])


def test_split_by_sections_along_the_last_dim() -> None:
    """Sections along a negative dim."""
    x = _grid(2, 5)
    a, b, c = Tensor(x).split([2, 2, 1], -1)
    assert_close(a, x[:, 0:2])
    assert_close(b, x[:, 2:4])
    assert_close(c, x[:, 4:5])


def test_split_messages_read_exactly() -> None:
    """Each refusal of split, word for word."""
    t = Tensor(_grid(3, 2))
    assert _message(ValueError, Tensor(np.float64(1.0)).split, 1) == (
        "split needs a tensor of at least one dimension, got a 0-d tensor")
    assert _message(IndexError, t.split, 1, 2) == (
        "split: dim 2 is out of range for a tensor of dimension 2 (expected a value in [-2, 1])")
    for size in (0, -1):
        assert _message(ValueError, t.split, size) == (
            f"split: split_size must be a positive int, got {size}")
    assert _message(ValueError, Tensor(np.zeros((0, 2))).split, -1) == (
        "split: split_size must be a positive int, got -1")
    assert _message(ValueError, t.split, [1, 1]) == (
        "split: the sections [1, 1] must be non-negative and add up to 3, the size of dim 0 of a "
        "tensor of shape (3, 2)")
    assert _message(ValueError, t.split, (4, -1)) == (
        "split: the sections [4, -1] must be non-negative and add up to 3, the size of dim 0 of a "
        "tensor of shape (3, 2)")
    assert _message(TypeError, t.split, 1.5) == (
        "split: split_size_or_sections must be an int or a list of ints, got 1.5")
    assert _message(TypeError, t.split, True) == (
        "split: split_size_or_sections must be an int or a list of ints, got True")


# ---- gather --------------------------------------------------------------------------------------
def _gather_oracle(x: np.ndarray, d: int, idx: np.ndarray) -> np.ndarray:
    """PyTorch's definition, entry by entry: out[i][j] = x[idx[i][j]][j] for d = 0, and so on."""
    out = np.empty(idx.shape, dtype=x.dtype)
    for pos in np.ndindex(*idx.shape):
        src = list(pos)
        src[d] = idx[pos]
        out[pos] = x[tuple(src)]
    return out


def test_gather_along_each_dim_in_both_spellings() -> None:
    """out[i][j] = x[idx[i][j]][j] (dim 0) and x[i][idx[i][j]] (dim 1), in every spelling."""
    x = _grid(3, 4)
    idx0 = np.array([[2, 0, 1, 2], [0, 0, 2, 1]])
    idx1 = np.array([[3, 0], [1, 1], [0, 2]])
    for got in (Tensor(x).gather(0, idx0), Tensor(x).gather(dim=0, index=idx0),
                Tensor(x).gather(axis=0, index=Tensor(idx0)), Tensor(x).gather(-2, idx0)):
        assert_close(got, _gather_oracle(x, 0, idx0))
    for got in (Tensor(x).gather(1, idx1), Tensor(x).gather(-1, idx1), Tensor(x).gather(axis=1, index=idx1)):
        assert_close(got, _gather_oracle(x, 1, idx1))


def test_gather_index_may_be_longer_on_dim_and_shorter_elsewhere() -> None:
    """PyTorch's shape rule: only the other axes are bounded by the input's."""
    x = _grid(3, 2)
    idx = np.array([[0], [2], [2], [1], [0]])  # 5 > 3 rows along dim 0; 1 < 2 columns
    assert_close(Tensor(x).gather(0, idx), _gather_oracle(x, 0, idx))
    idx1 = np.array([[1, 1, 0]])  # 1 < 3 rows; 3 > 2 along dim 1
    assert_close(Tensor(x).gather(1, idx1), _gather_oracle(x, 1, idx1))


def test_gather_on_a_1d_tensor_and_with_an_empty_index() -> None:
    """dim -1 of a 1-d tensor, and an empty index (no range check on no values)."""
    x = np.array([10.0, 20.0, 30.0])
    assert_close(Tensor(x).gather(-1, np.array([2, 0, 0])), np.array([30.0, 10.0, 10.0]))
    assert_close(Tensor(x).gather(0, np.array([1])), np.array([20.0]))
    assert_close(Tensor(_grid(3, 2)).gather(0, np.zeros((0, 2), dtype=np.int64)), np.zeros((0, 2)))


def test_gather_of_a_0d_tensor_takes_a_0d_index_and_gives_a_0d_result() -> None:
    """PyTorch's 0-d case, keeping the dtype; index 1 is out of range."""
    assert_close(Tensor(np.float32(5.0)).gather(0, np.array(0)), np.float32(5.0))
    assert_close(Tensor(np.float64(5.0)).gather(-1, Tensor(np.array(0))), np.float64(5.0))
    with pytest.raises(IndexError):
        Tensor(np.float64(5.0)).gather(0, np.array(1))


def test_gather_gradient_adds_at_the_gathered_positions() -> None:
    """A position gathered twice receives both gradients."""
    x = Tensor(_grid(3, 2), requires_grad=True)
    x.gather(0, np.array([[2, 0], [2, 2]])).sum().backward()
    assert_close(x.grad, np.array([[0.0, 1.0], [0.0, 0.0], [2.0, 1.0]]))


def test_gather_messages_read_exactly() -> None:
    """Each refusal of gather, word for word."""
    t = Tensor(_grid(3, 2))
    assert _message(TypeError, t.gather, index=np.array([[0]])) == (
        "gather() needs the axis, e.g. t.gather(dim=-1) or t.gather(axis=-1) (PyTorch's implicit "
        "choice of dim is deprecated there and not copied here)")
    assert _message(TypeError, t.gather, 0) == (
        "gather() needs index=, an integer tensor: t.gather(dim, index)")
    assert _message(TypeError, t.gather, 0, np.array([[0.5]])) == (
        "gather: index must hold integers, got dtype float64")
    assert _message(IndexError, t.gather, 2, np.array([[0]])) == (
        "gather: dim 2 is out of range for a tensor of dimension 2 (expected a value in [-2, 1])")
    assert _message(IndexError, Tensor(np.array([1.0, 2.0])).gather, 1, np.array([0])) == (
        "gather: dim 1 is out of range for a tensor of dimension 1 (expected a value in [-1, 0])")
    assert _message(ValueError, t.gather, 0, np.array([0, 1])) == (
        "gather: index must have as many dimensions as the input, got index shape (2,) for input "
        "shape (3, 2)")
    assert _message(ValueError, t.gather, 0, np.zeros((2, 4), dtype=np.int64)) == (
        "gather: index shape (2, 4) is larger than input shape (3, 2) at dimension 1 (only dimension 0 "
        "may differ freely)")
    assert _message(IndexError, t.gather, 0, np.array([[0, 3]])) == (
        "gather: index values must lie in [0, 2] for dim 0 of shape (3, 2), got values in [0, 3]")
    assert _message(IndexError, t.gather, -1, np.array([[-1, 1]])) == (
        "gather: index values must lie in [0, 1] for dim -1 of shape (3, 2), got values in [-1, 1]")


# ---- max / min (_extremum) -----------------------------------------------------------------------
def test_max_min_with_a_positional_argument_are_refused_with_the_exact_message() -> None:
    """t.max(1) is ambiguous between NumPy and PyTorch: the message lists the arguments."""
    t = Tensor(_grid(3, 2))
    tail = "a reduction, write t.{0}(axis={1}) for the values or t.{0}(dim={1}) for (values, indices)"
    for name in ("max", "min"):
        assert _message(TypeError, getattr(t, name), 1) == (
            f"t.{name}(1) is ambiguous: NumPy's a.{name}(1) returns the values, PyTorch's t.{name}(1) "
            f"returns (values, indices). For " + tail.format(name, 1))
        assert _message(TypeError, getattr(t, name), 0, True) == (
            f"t.{name}(0, True) is ambiguous: NumPy's a.{name}(1) returns the values, PyTorch's "
            f"t.{name}(1) returns (values, indices). For " + tail.format(name, 1))


def test_max_with_a_tensor_argument_points_to_maximum() -> None:
    """With a Tensor argument the message also points to maximum/minimum."""
    t = Tensor(_grid(2))
    u = Tensor(np.array([1.0, 0.0]))
    msg = _message(TypeError, t.max, u)
    assert msg == (f"t.max({u!r}) is ambiguous: NumPy's a.max(1) returns the values, PyTorch's t.max(1) "
                   "returns (values, indices). For the elementwise maximum/minimum of two tensors: use "
                   "maximum/minimum(a, b), or a reduction, write t.max(axis=1) for the values or "
                   "t.max(dim=1) for (values, indices)")


def test_max_min_with_axis_give_values_in_both_keepdims_spellings() -> None:
    """axis= gives values only (NumPy), with keepdims or keepdim."""
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    t = Tensor(x)
    assert_close(t.max(axis=1), x.max(axis=1))
    assert_close(t.min(axis=0), x.min(axis=0))
    assert_close(t.max(axis=1, keepdims=True), x.max(axis=1, keepdims=True))
    assert_close(t.min(axis=-1, keepdim=True), x.min(axis=-1, keepdims=True))
    assert_close(t.max(), np.float64(5.0))
    assert_close(t.min(keepdims=True), np.array([[0.0]]))


def test_max_min_with_dim_give_values_and_int64_indices() -> None:
    """dim= gives PyTorch's (values, indices), indices int64, keepdim honoured."""
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    t = Tensor(x)
    v, i = t.max(dim=1)
    assert_close(v, np.array([3.0, 5.0]))
    assert_close(i, np.array([0, 1], dtype=np.int64))
    v, i = t.min(dim=1)
    assert_close(v, np.array([1.0, 0.0]))
    assert_close(i, np.array([1, 0], dtype=np.int64))
    v, i = t.max(dim=-2, keepdim=True)
    assert_close(v, np.array([[3.0, 5.0, 4.0]]))
    assert_close(i, np.array([[0, 1, 1]], dtype=np.int64))
    out = t.min(dim=0, keepdims=True)
    assert_close(out.values, np.array([[0.0, 1.0, 2.0]]))
    assert_close(out.indices, np.array([[1, 0, 0]], dtype=np.int64))


def test_max_min_with_dim_of_a_0d_tensor_give_the_value_and_index_zero() -> None:
    """A 0-d tensor reduces over its one implicit axis."""
    # torch.tensor(5.).max(dim=0) is (tensor(5.), tensor(0))
    for name in ("max", "min"):
        v, i = getattr(Tensor(np.float64(5.0)), name)(dim=0)
        assert_close(v, np.float64(5.0))
        assert_close(i, np.int64(0))


def test_max_min_with_a_tuple_dim_are_refused_with_the_exact_message() -> None:
    """dim= takes one int; the message suggests axis= with the tuple."""
    t = Tensor(_grid(2, 2))
    for name in ("max", "min"):
        assert _message(TypeError, getattr(t, name), dim=[0, 1]) == (
            f"{name}(dim=...) takes one int (it returns values and indices, as PyTorch's); for several "
            f"axes write {name}(axis=(0, 1)) (values only)")


# ---- in-place arithmetic (_change_in_place and the operators that call it) -----------------------
_LEAF_MESSAGE = ("a leaf Variable that requires grad is being used in an in-place operation ({} on a "
                 "tensor of shape (3,)): it would change the value the graph was built from. Write it out "
                 "of place (t = t + u), or change the parameter under `with no_grad():` as an optimizer does")


def test_in_place_operators_on_a_plain_tensor_write_its_array_and_return_it() -> None:
    """Without grad each in-place op writes the same array, returns self and bumps the version."""
    t = Tensor(np.array([1.0, 2.0, 4.0]))
    data = t.data
    for op, arg, want in ((Tensor.add_, 1.0, [2.0, 3.0, 5.0]), (Tensor.sub_, 0.5, [1.5, 2.5, 4.5]),
                          (Tensor.mul_, 2.0, [3.0, 5.0, 9.0]), (Tensor.div_, 4.0, [0.75, 1.25, 2.25]),
                          (Tensor.__ipow__, 2.0, [0.5625, 1.5625, 5.0625]),
                          (Tensor.__iadd__, Tensor(np.array([1.0, 0.0, -1.0])), [1.5625, 1.5625, 4.0625]),
                          (Tensor.__isub__, 1, [0.5625, 0.5625, 3.0625]),
                          (Tensor.__imul__, np.array([2.0, 4.0, 0.0]), [1.125, 2.25, 0.0]),
                          (Tensor.__itruediv__, 0.5, [2.25, 4.5, 0.0])):
        version = t._version
        assert op(t, arg) is t
        assert t.data is data  # the same array, written in place
        assert_close(t, np.array(want))
        assert t._version == version + 1 and not t.requires_grad and t.grad_fn is None


def test_in_place_augmented_assignment_keeps_the_name_bound_to_the_same_tensor() -> None:
    """t op= u rebinds t to the very same tensor."""
    t = Tensor(np.array([1.0, 2.0, 3.0]))
    same = t
    t += 1.0
    t -= 0.5
    t *= 2.0
    t /= 3.0
    t **= 2.0
    assert t is same
    assert_close(t, ((np.array([1.0, 2.0, 3.0]) + 0.5) * 2.0 / 3.0) ** 2)


def test_in_place_change_of_a_leaf_that_requires_grad_names_the_operator() -> None:
    """PyTorch's refusal, naming the operator, leaving the data alone."""
    for name, op in (("+=", Tensor.add_), ("-=", Tensor.sub_), ("*=", Tensor.mul_), ("/=", Tensor.div_),
                     ("**=", Tensor.__ipow__)):
        w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        assert _message(RuntimeError, op, w, 1.0) == _LEAF_MESSAGE.format(name)
        assert w.data.tolist() == [1.0, 2.0, 3.0]


def test_in_place_change_of_a_leaf_under_no_grad_writes_it_as_an_optimizer_does() -> None:
    """Under no_grad a leaf is written in place and stays a leaf."""
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    data = w.data
    with no_grad():
        assert w.sub_(Tensor(np.array([0.5, 0.5, 0.5]), requires_grad=True)) is w
        w *= 2.0
    assert_close(w, np.array([1.0, 3.0, 5.0]))
    assert w.data is data and w.requires_grad and w.grad_fn is None  # still the same leaf


def test_in_place_change_of_a_graph_tensor_is_recorded_in_its_gradient() -> None:
    """A chain of in-place ops on a graph tensor differentiates as written out of place."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 1.0
    assert y.mul_(3.0) is y
    y += x  # y = 3x + x: dy/dx = 4
    y **= 2.0  # (4x)^2: d/dx = 32x
    y.sum().backward()
    assert_close(y, (4 * np.array([1.0, 2.0, 3.0])) ** 2)
    assert_close(x.grad, 32 * np.array([1.0, 2.0, 3.0]))


def test_in_place_change_by_a_tensor_that_requires_grad_makes_a_plain_tensor_record() -> None:
    """self without grad, other with grad: the change is recorded."""
    t = Tensor(np.array([1.0, 2.0, 3.0]))
    u = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    assert t.mul_(u) is t
    assert t.requires_grad and t.grad_fn is not None
    t.sum().backward()
    assert_close(u.grad, np.array([1.0, 2.0, 3.0]))  # d(t·u)/du = t's old values
    assert_close(t, np.array([2.0, 4.0, 6.0]))


def test_in_place_change_by_a_constant_tensor_writes_a_plain_tensor_in_place() -> None:
    """A Tensor operand without grad does not make the change recorded."""
    t = Tensor(np.array([1.0, 2.0, 3.0]))
    data = t.data
    t += Tensor(np.array([1.0, 1.0, 1.0]))
    assert t.data is data and t.grad_fn is None and not t.requires_grad
    assert_close(t, np.array([2.0, 3.0, 4.0]))


def test_recorded_in_place_change_keeps_the_tensors_dtype() -> None:
    """A recorded change is cast back to self's dtype (PyTorch)."""
    # PyTorch: a float32 tensor += a float64 one stays float32, and the gradient reaches both
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    u = Tensor(np.array([0.5, 0.25]), requires_grad=True)
    y = x * 1.0
    y += u
    assert_close(y, np.array([1.5, 2.25], dtype=np.float32))
    y.sum().backward()
    assert_close(x.grad, np.ones(2, dtype=np.float32))
    assert_close(u.grad, np.ones(2))


def test_in_place_change_of_a_slice_of_a_graph_tensor_reaches_its_base() -> None:
    """A view made by indexing shares the change with its base, in value and gradient."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    base = x * 1.0
    v = base[0:2]
    v *= 5.0
    assert_close(v, np.array([5.0, 10.0]))
    assert_close(base, np.array([5.0, 10.0, 3.0]))
    base.sum().backward()
    assert_close(x.grad, np.array([5.0, 5.0, 1.0]))


def test_in_place_messages_read_exactly() -> None:
    """Each refusal of an in-place op, recorded or not, word for word."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    assert _message(RuntimeError, (x * 1.0).reshape(3, 1).__iadd__, 1.0) == (
        "+= on a view (Reshape output sharing memory with its input) that is part of the autograd graph "
        "is not supported: PyTorch would change the base tensor as well. Change the base tensor "
        "(base[idx] += u), or write it out of place (v = v + u)")
    for t in (Tensor(np.ones(3)), x * 1.0):
        assert _message(ValueError, t.__iadd__, np.ones((2, 3))) == (
            "+=: the result has shape (2, 3) but the tensor changed in place has shape (3,); an in-place "
            "operation cannot change the shape")
    for recorded in (False, True):  # u requiring grad takes the recording path
        u = Tensor(np.array([0.5, 0.5, 0.5]), requires_grad=recorded)
        assert _message(TypeError, Tensor(np.ones(3, dtype=np.int64)).__imul__, u) == (
            "*=: result type float64 can't be cast to the tensor's dtype int64; convert first "
            "(t = t.astype('float64'))")
    ro = Tensor(np.ones(3)).broadcast_to((2, 3))
    assert _message(ValueError, ro.__iadd__, 1.0) == (
        "+=: cannot write into this tensor of shape (2, 3) (assignment destination is read-only); write "
        "into a copy (t = t.copy())")


def test_every_in_place_operator_by_a_tensor_that_requires_grad_is_recorded() -> None:
    """Each operator passes its operand on, so a grad-requiring operand is recorded."""
    # d/du of t + u, t - u, t * u, t / u, t ** u (t = 2, u = 0.5 ... 1.5): 1, -1, t, -t/u², t^u·ln t
    u0 = np.array([0.5, 1.0, 1.5])
    for op, du in ((Tensor.__iadd__, np.ones(3)), (Tensor.__isub__, -np.ones(3)),
                   (Tensor.__imul__, np.full(3, 2.0)), (Tensor.__itruediv__, -2.0 / u0**2),
                   (Tensor.__ipow__, 2.0**u0 * np.log(2.0))):
        t = Tensor(np.full(3, 2.0))
        u = Tensor(u0, requires_grad=True)
        assert op(t, u) is t
        assert t.requires_grad
        t.sum().backward()
        assert_close(u.grad, du, rtol=1e-12)


# ---- t[index] = value (__setitem__) --------------------------------------------------------------
def test_item_assignment_into_a_plain_tensor_writes_its_array() -> None:
    """Ints, Tensors and lists as values and indices; the same array, one version per write."""
    t = Tensor(np.zeros((2, 3)))
    data, version = t.data, t._version
    t[0, 1] = 5.0
    t[1] = Tensor(np.array([1.0, 2.0, 3.0]))
    t[0, [0, 2]] = [7, 8]
    want = np.array([[7.0, 5.0, 8.0], [1.0, 2.0, 3.0]])
    assert_close(t, want)
    assert t.data is data and t._version == version + 3 and t.grad_fn is None


def test_item_assignment_into_an_int_tensor_casts_as_numpy() -> None:
    """NumPy's casting on the plain path (2.7 into int64 is 2)."""
    t = Tensor(np.zeros(3, dtype=np.int64))
    t[1] = 2.7
    assert_close(t, np.array([0, 2, 0], dtype=np.int64))


def test_item_assignment_into_a_graph_tensor_is_recorded() -> None:
    """The overwritten entry gets no gradient; the others keep theirs."""
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 2.0
    y[1] = 10.0
    assert_close(y, np.array([2.0, 10.0, 6.0]))
    (y * y).sum().backward()
    assert_close(x.grad, np.array([8.0, 0.0, 24.0]))  # d(2x)²/dx = 8x, the overwritten entry none


def test_item_assignment_of_a_tensor_that_requires_grad_is_recorded() -> None:
    """A grad-requiring value makes a plain tensor record; an int value keeps the dtype."""
    t = Tensor(np.zeros(3, dtype=np.float32))
    u = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    t[[0, 2]] = u
    assert t.requires_grad and t.grad_fn is not None
    assert_close(t, np.array([3.0, 0.0, 4.0], dtype=np.float32))
    (t * t).sum().backward()
    assert_close(u.grad, np.array([6.0, 8.0]))
    y = Tensor(np.array([1.0, 2.0]), requires_grad=True) * 1.0
    y[0] = 7  # an int value into a float graph tensor: the tensor keeps its dtype
    assert_close(y, np.array([7.0, 2.0]))


def test_item_assignment_under_no_grad_writes_a_leaf_in_place() -> None:
    """Under no_grad nothing is recorded, even for a leaf that requires grad."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    data = w.data
    with no_grad():
        w[0] = 5.0
    assert w.data is data and w.grad_fn is None
    assert_close(w, np.array([5.0, 2.0]))


def test_item_assignment_messages_read_exactly() -> None:
    """Each refusal of item assignment, word for word."""
    t = Tensor(np.zeros(3))
    assert _message(IndexError, t.__setitem__, 5, 1.0) == (
        "cannot index a tensor of shape (3,) with 5: index 5 is out of bounds for axis 0 with size 3")
    assert _message(ValueError, t.__setitem__, slice(0, 2), [1.0, 2.0, 3.0]) == (
        "item assignment into a tensor of shape (3,) at slice(0, 2, None): could not broadcast input "
        "array from shape (3,) into shape (2,)")
    assert _message(ValueError, Tensor(np.zeros(3)).broadcast_to((2, 3)).__setitem__, 0, 1.0) == (
        "item assignment into a tensor of shape (2, 3) at 0: assignment destination is read-only; "
        "write into a copy (t = t.copy())")
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    assert _message(RuntimeError, w.__setitem__, 0, 1.0) == _LEAF_MESSAGE.format("item assignment")


def test_item_assignment_into_a_graph_tensor_reports_a_value_of_the_wrong_shape() -> None:
    """The recorded path reports the shapes through IndexPut."""
    y = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True) * 1.0
    assert _message(ValueError, y.__setitem__, slice(0, 2), [1.0, 2.0, 3.0]) == (
        "IndexPut (input shapes (3,), (3,)): cannot assign a value of shape (3,) to the positions "
        "slice(0, 2, None) of a tensor of shape (3,): could not broadcast input array from shape (3,) "
        "into shape (2,)")


def test_item_assignment_casts_any_number_numpy_casts_in_both_paths() -> None:
    """The recorded path casts values as the plain path does."""
    # a Fraction is no Tensor dtype, but NumPy converts it into a float array: the recorded path
    # casts the value to the tensor's dtype first, as the plain path's NumPy write does
    plain = Tensor(np.zeros(2))
    plain[0] = Fraction(1, 4)
    graph = Tensor(np.zeros(2), requires_grad=True) * 1.0
    graph[0] = Fraction(1, 4)
    assert_close(plain, np.array([0.25, 0.0]))
    assert_close(graph, np.array([0.25, 0.0]))


# ---- flatten -------------------------------------------------------------------------------------
def test_flatten_merges_the_axes_from_start_to_end_inclusive() -> None:
    """start_dim .. end_dim inclusive, negative dims, a single axis unchanged."""
    x = _grid(2, 3, 4, 5)
    t = Tensor(x)
    assert_close(t.flatten(), x.reshape(120))
    assert_close(t.flatten(1, 2), x.reshape(2, 12, 5))
    assert_close(t.flatten(0, 1), x.reshape(6, 4, 5))
    assert_close(t.flatten(-2), x.reshape(2, 3, 20))
    assert_close(t.flatten(end_dim=-2), x.reshape(24, 5))
    assert_close(t.flatten(2, 2), x)
    assert_close(t.flatten(start_dim=-1, end_dim=3), x)


def test_flatten_of_a_0d_tensor_gives_shape_1_as_pytorch() -> None:
    """A 0-d tensor accepts dims 0 and -1 and becomes shape (1,)."""
    t = Tensor(np.float32(2.5))
    for args in ((), (0,), (-1, 0), (0, -1)):
        assert_close(t.flatten(*args), np.array([2.5], dtype=np.float32))


def test_flatten_messages_read_exactly() -> None:
    """Each refusal of flatten, 0-d included, word for word."""
    t = Tensor(_grid(2, 3, 4))
    assert _message(IndexError, t.flatten, 3) == (
        "flatten: start_dim 3 is out of range for a tensor of dimension 3 (expected a value in [-3, 2])")
    assert _message(IndexError, t.flatten, 0, -4) == (
        "flatten: end_dim -4 is out of range for a tensor of dimension 3 (expected a value in [-3, 2])")
    assert _message(ValueError, t.flatten, 2, 1) == (
        "flatten: start_dim (2) comes after end_dim (1) for a tensor of shape (2, 3, 4)")
    s = Tensor(np.float64(1.0))
    assert _message(IndexError, s.flatten, 1) == (
        "flatten: start_dim 1 is out of range for a tensor of dimension 1 (expected a value in [-1, 0])")
    assert _message(IndexError, s.flatten, 0, 1) == (
        "flatten: end_dim 1 is out of range for a tensor of dimension 1 (expected a value in [-1, 0])")


# ---- var -----------------------------------------------------------------------------------------
def test_var_over_an_axis_in_every_spelling_against_numpy() -> None:
    """axis/dim, keepdims/keepdim and correction/unbiased/ddof, against np.var."""
    x = np.array([[[1.0, 4.0], [2.0, 8.0], [7.0, 3.0]], [[0.0, 5.0], [6.0, 1.0], [2.0, 2.0]]])
    t = Tensor(x)
    assert_close(t.var(axis=1, ddof=0), x.var(axis=1), rtol=1e-12)
    assert_close(t.var(dim=1, correction=1), x.var(axis=1, ddof=1), rtol=1e-12)
    assert_close(t.var(1, keepdims=True, unbiased=True), x.var(axis=1, ddof=1, keepdims=True), rtol=1e-12)
    assert_close(t.var(dim=(0, 2), keepdim=True, unbiased=False), x.var(axis=(0, 2), keepdims=True),
                 rtol=1e-12)
    assert_close(t.var(ddof=2), np.float64(x.var(ddof=2)), rtol=1e-12)
    assert_close(t.var(axis=-1, correction=0.5), x.var(axis=-1, ddof=0.5), rtol=1e-12)


def test_var_of_too_few_entries_is_inf_or_nan_without_a_warning() -> None:
    """N <= correction: nan or inf, silently, as NumPy's ddof gives."""
    # N == correction: 0/0 = nan (one entry); N < correction with a spread: +inf, as NumPy's ddof
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_close(Tensor(np.array([3.0])).var(correction=1), np.float64(np.nan))
        assert_close(Tensor(np.array([[1.0, 3.0]])).var(axis=1, ddof=3), np.array([np.inf]))
        assert_close(Tensor(np.array([[1.0, 3.0]])).var(axis=1, correction=2), np.array([np.inf]))


def test_var_without_a_divisor_or_with_two_is_refused_with_the_exact_message() -> None:
    """The divisor must be named once."""
    t = Tensor(_grid(3))
    assert _message(TypeError, t.var) == (
        "var() without arguments means N − 1 in PyTorch and N in NumPy: say which, var(correction=1) "
        "(PyTorch's default, or unbiased=True) or var(ddof=0) (NumPy's default)")
    assert _message(TypeError, t.var, correction=1, ddof=1) == (
        "var() takes one of correction=, unbiased=, ddof=, got correction, ddof")
    assert _message(TypeError, t.var, unbiased=True, ddof=0) == (
        "var() takes one of correction=, unbiased=, ddof=, got unbiased, ddof")




# ---- flip ----------------------------------------------------------------------------------------
def test_flip_in_every_spelling_against_numpy() -> None:
    """Positional dims, one tuple or list, dims=, axis=, and none (every axis)."""
    x = _grid(2, 3, 4)
    t = Tensor(x)
    assert_close(t.flip(0), np.flip(x, 0))
    assert_close(t.flip(-1), np.flip(x, 2))
    assert_close(t.flip(0, 2), np.flip(x, (0, 2)))
    assert_close(t.flip((1, 2)), np.flip(x, (1, 2)))
    assert_close(t.flip([0, 1]), np.flip(x, (0, 1)))
    assert_close(t.flip(dims=1), np.flip(x, 1))
    assert_close(t.flip(dims=[0, 2]), np.flip(x, (0, 2)))
    assert_close(t.flip(axis=(2,)), np.flip(x, 2))
    assert_close(t.flip(), np.flip(x))  # NumPy: no axis reverses every axis
    assert_close(Tensor(np.float64(3.0)).flip(), np.float64(3.0))


def test_flip_gradient_is_the_gradient_flipped_back() -> None:
    """Backward flips g along the same dims."""
    x = Tensor(_grid(2, 3), requires_grad=True)
    w = _grid(2, 3) + 1.0
    (x.flip(1) * Tensor(w)).sum().backward()
    assert_close(x.grad, np.flip(w, 1))


def test_flip_messages_read_exactly() -> None:
    """Dims given twice, out of range or repeated, word for word."""
    t = Tensor(_grid(2, 3))
    once = "flip() got dims more than once (positionally, as dims= or as axis=); pass one"
    assert _message(TypeError, t.flip, 0, dims=1) == once
    assert _message(TypeError, t.flip, dims=0, axis=1) == once
    assert _message(TypeError, t.flip, 0, dims=1, axis=1) == once
    assert _message(IndexError, t.flip, 2) == (
        "flip: dim 2 is out of range for a tensor of dimension 2 (expected a value in [-2, 1])")
    assert _message(ValueError, t.flip, 0, -2) == "flip: dims (0, -2) has a repeated axis"


# ---- chunk ---------------------------------------------------------------------------------------
def test_chunk_cuts_pieces_of_ceil_size_over_chunks() -> None:
    """PyTorch's rule: pieces of ceil(n / chunks), a NumPy integer accepted."""
    x = _grid(5, 2)
    a, b = Tensor(x).chunk(2)  # ceil(5 / 2) = 3 rows, then 2
    assert_close(a, x[0:3])
    assert_close(b, x[3:5])
    pieces = Tensor(x).chunk(np.int64(5))
    assert len(pieces) == 5
    assert_close(pieces[4], x[4:5])
    pieces = Tensor(x).chunk(3)  # ceil(5 / 3) = 2: pieces of 2, 2, 1
    assert [p.shape for p in pieces] == [(2, 2), (2, 2), (1, 2)]
    (whole,) = Tensor(x).chunk(1)
    assert_close(whole, x)
    assert len(Tensor(np.arange(3.0)).chunk(3)) == 3  # ceil(3 / 3) = 1 entry each


def test_chunk_more_chunks_than_entries_gives_one_entry_each_as_pytorch() -> None:
    """Fewer pieces than asked; an empty axis gives one empty piece."""
    pieces = Tensor(np.array([1.0, 2.0])).chunk(4)
    assert len(pieces) == 2
    assert_close(pieces[1], np.array([2.0]))
    (empty,) = Tensor(np.zeros((0, 3))).chunk(2)
    assert_close(empty, np.zeros((0, 3)))


def test_chunk_along_a_given_dim_in_both_spellings() -> None:
    """dim positionally, as dim= (negative) and as axis=."""
    x = _grid(2, 5)
    for a, b in (Tensor(x).chunk(2, 1), Tensor(x).chunk(2, dim=-1), Tensor(x).chunk(2, axis=1)):
        assert_close(a, x[:, 0:3])
        assert_close(b, x[:, 3:5])


def test_chunk_messages_read_exactly() -> None:
    """Each refusal of chunk, word for word."""
    t = Tensor(_grid(3, 2))
    for bad in (0, -1, 2.5, True):
        assert _message(ValueError, t.chunk, bad) == f"chunk: chunks must be a positive int, got {bad!r}"
    assert _message(ValueError, Tensor(np.float64(1.0)).chunk, 2) == (
        "chunk needs a tensor of at least one dimension, got a 0-d tensor")
    assert _message(IndexError, t.chunk, 2, 2) == (
        "chunk: dim 2 is out of range for a tensor of dimension 2 (expected a value in [-2, 1])")


# ---- expand --------------------------------------------------------------------------------------
def test_expand_broadcasts_size_1_axes_and_adds_leading_ones() -> None:
    """Ints or one tuple, -1 keeps a size, new leading axes, size 0, against np.broadcast_to."""
    x = np.array([[1.0], [2.0], [3.0]])
    t = Tensor(x)
    want = np.broadcast_to(x, (2, 3, 4))
    for got in (t.expand(2, 3, 4), t.expand((2, 3, 4)), t.expand([2, -1, 4]), t.expand(2, 3, np.int64(4))):
        assert_close(got, want)
    assert_close(t.expand(-1, 1), x)
    assert_close(t.expand(1, 3, 1), x.reshape(1, 3, 1))
    assert_close(Tensor(np.array([5.0])).expand(4), np.full(4, 5.0))
    assert_close(Tensor(np.ones((1, 3))).expand(0, 3), np.ones((0, 3)))  # a size-1 axis to size 0
    y = np.arange(6.0).reshape(2, 3)
    assert_close(Tensor(y).expand(4, 2, 3), np.broadcast_to(y, (4, 2, 3)))
    assert_close(Tensor(y).expand(4, -1, 3), np.broadcast_to(y, (4, 2, 3)))


def test_expand_messages_read_exactly() -> None:
    """Each refusal of expand, word for word."""
    t = Tensor(np.array([[1.0], [2.0], [3.0]]))
    assert _message(ValueError, t.expand, 4) == (
        "expand(4,): the number of sizes (1) must be at least the number of dimensions of the tensor "
        "of shape (3, 1)")
    assert _message(TypeError, t.expand, 3, 2.0) == "expand sizes must be ints, got (3, 2.0)"
    assert _message(TypeError, t.expand, True, 4) == "expand sizes must be ints, got (True, 4)"
    assert _message(ValueError, t.expand, -1, 3, 1) == (
        "expand(-1, 3, 1): -1 is not allowed for the new leading axis 0")
    assert _message(ValueError, t.expand, 4, 4) == (
        "expand(4, 4): cannot expand a tensor of shape (3, 1) to size 4 at axis 0 (only axes of size 1 "
        "can be expanded)")
    assert _message(ValueError, t.expand, 3, -2) == (
        "expand(3, -2): cannot expand a tensor of shape (3, 1) to size -2 at axis 1 (only axes of size 1 "
        "can be expanded)")
    assert _message(ValueError, t.expand, -2, 3, 1) == (
        "expand(-2, 3, 1): cannot expand a tensor of shape (3, 1) to size -2 at axis 0 (only axes of "
        "size 1 can be expanded)")


# ---- expand_dims / unsqueeze / squeeze -----------------------------------------------------------
def test_expand_dims_in_every_spelling_against_numpy() -> None:
    """An int, a tuple or a list of positions, axis= or dim=, against np.expand_dims."""
    x = _grid(2, 3)
    t = Tensor(x)
    assert_close(t.expand_dims(1), np.expand_dims(x, 1))
    assert_close(t.expand_dims(axis=-1), np.expand_dims(x, -1))
    assert_close(t.expand_dims(dim=0), np.expand_dims(x, 0))
    assert_close(t.expand_dims((0, 3)), np.expand_dims(x, (0, 3)))
    assert_close(t.expand_dims([1, -1]), np.expand_dims(x, (1, -1)))
    assert_close(t.expand_dims((0, 2, 4)), np.expand_dims(x, (0, 2, 4)))


def test_expand_dims_messages_read_exactly() -> None:
    """Each refusal of expand_dims, word for word."""
    t = Tensor(_grid(2, 3))
    assert _message(TypeError, t.expand_dims) == "expand_dims() needs axis= (the position of the new axis)"
    assert _message(IndexError, t.expand_dims, 3) == (
        "expand_dims: axis 3 is out of range for a tensor of dimension 3 (expected a value in [-3, 2])")
    assert _message(ValueError, t.expand_dims, (0, -4)) == "repeated axis in expand_dims((0, -4))"


def test_unsqueeze_at_every_position_in_both_spellings() -> None:
    """Positions 0 .. ndim and -ndim-1 .. -1 (PyTorch's range), dim= or axis=."""
    x = _grid(2, 3)
    t = Tensor(x)
    assert_close(t.unsqueeze(0), x.reshape(1, 2, 3))
    assert_close(t.unsqueeze(1), x.reshape(2, 1, 3))
    assert_close(t.unsqueeze(dim=2), x.reshape(2, 3, 1))
    assert_close(t.unsqueeze(axis=-1), x.reshape(2, 3, 1))
    assert_close(t.unsqueeze(-3), x.reshape(1, 2, 3))
    assert_close(Tensor(np.float64(4.0)).unsqueeze(0), np.array([4.0]))


def test_unsqueeze_messages_read_exactly() -> None:
    """Each refusal of unsqueeze, word for word."""
    t = Tensor(_grid(2, 3))
    assert _message(TypeError, t.unsqueeze) == (
        "unsqueeze() needs the axis, e.g. t.unsqueeze(dim=-1) or t.unsqueeze(axis=-1) (PyTorch's implicit "
        "choice of dim is deprecated there and not copied here)")
    assert _message(IndexError, t.unsqueeze, 3) == (
        "unsqueeze: dim 3 is out of range for a tensor of dimension 3 (expected a value in [-3, 2])")
    assert _message(IndexError, t.unsqueeze, -4) == (
        "unsqueeze: dim -4 is out of range for a tensor of dimension 3 (expected a value in [-3, 2])")


def test_squeeze_drops_size_1_axes_all_or_the_named_ones_as_pytorch() -> None:
    """All size-1 axes, or the named ones; a named axis of another size stays."""
    x = _grid(1, 2, 1, 3)
    t = Tensor(x)
    assert_close(t.squeeze(), x.reshape(2, 3))
    assert_close(t.squeeze(0), x.reshape(2, 1, 3))
    assert_close(t.squeeze(dim=-2), x.reshape(1, 2, 3))
    assert_close(t.squeeze(axis=(0, 2)), x.reshape(2, 3))
    assert_close(t.squeeze(axis=2), x.reshape(1, 2, 3))
    assert_close(t.squeeze([2]), x.reshape(1, 2, 3))
    assert_close(t.squeeze(1), x)  # a named axis of size 2 is left alone (PyTorch; NumPy raises)
    assert_close(t.squeeze((1, 3)), x)
    assert_close(Tensor(_grid(2, 2)).squeeze(), _grid(2, 2))
    assert_close(Tensor(np.array([7.0])).squeeze(-1), np.float64(7.0))
    assert_close(Tensor(np.float64(7.0)).squeeze(0), np.float64(7.0))


def test_squeeze_messages_read_exactly() -> None:
    """A 1-d tensor's dims are -1 and 0 only."""
    one = Tensor(np.array([7.0]))
    assert _message(IndexError, one.squeeze, 1) == (
        "squeeze: dim 1 is out of range for a tensor of dimension 1 (expected a value in [-1, 0])")
    assert _message(IndexError, one.squeeze, -2) == (
        "squeeze: dim -2 is out of range for a tensor of dimension 1 (expected a value in [-1, 0])")


# ---- the history of a tensor changed in place twice (_rebase, _view_of) --------------------------
def test_ops_that_used_a_tensor_before_each_of_two_in_place_changes_get_the_right_gradient() -> None:
    """Both old histories of a tensor changed twice stay reachable (_rebased_from)."""
    # a uses y's first value, b its second: each op's gradient must reach the history it used.
    # y0 = x, y1 = 3·y0, y2 = y1 + 1; L = Σ y0² + Σ y1² + Σ y2, so dL/dx = 2x + 18x + 3
    x0 = np.array([1.0, 2.0, 3.0])
    x = Tensor(x0, requires_grad=True)
    y = x * 1.0
    a = y * y
    y *= 3.0
    b = y * y
    y += 1.0
    (a.sum() + b.sum() + y.sum()).backward()
    assert_close(x.grad, 2 * x0 + 18 * x0 + 3, rtol=1e-12)


def test_a_plain_write_before_an_in_place_change_is_still_caught_at_backward() -> None:
    """The old history keeps the record of earlier writes (_write_log)."""
    # a saved y; y's array is then written under no_grad, and y changed in place in the graph:
    # the history a used (now held by the in-place change's shadow) remembers that write
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 1.0
    a = y * y
    with no_grad():
        y[0] = 5.0
    y += 1.0
    with pytest.raises(RuntimeError, match=re.escape(
            "modified by an inplace operation: input 0 of Mul (a tensor of shape (3,), dtype float64) is "
            "at version 1; expected version 0 instead")):
        a.sum().backward()


# ---- masked_fill ---------------------------------------------------------------------------------
def test_masked_fill_puts_the_value_where_the_mask_is_true_against_numpy_where() -> None:
    """Masks as ndarray, Tensor or list, broadcast; the value cast to self's dtype."""
    x = _grid(2, 3).astype(np.float32)
    mask = np.array([[True, False, True], [False, False, True]])
    t = Tensor(x)
    want = np.where(mask, np.float32(-1.5), x)
    assert_close(t.masked_fill(mask, -1.5), want)
    assert_close(t.masked_fill(Tensor(mask), -1.5), want)
    assert_close(t.masked_fill(mask.tolist(), -1.5), want)
    assert_close(t.masked_fill(mask, Tensor(np.float64(-1.5))), want)  # cast to the tensor's dtype
    assert_close(t.masked_fill(np.array([True, False, False]), 7), np.where([True, False, False], 7, x))
    assert_close(t.masked_fill(np.array([[False], [True]]), 0.0), np.where([[False], [True]], 0, x))


def test_masked_fill_gradient_goes_to_self_off_the_mask_and_to_a_tensor_value_on_it() -> None:
    """g where the mask is False to self, the sum of g where True to the value."""
    x = Tensor(_grid(2, 3), requires_grad=True)
    v = Tensor(np.float64(2.0), requires_grad=True)
    mask = np.array([[True, False, True], [False, False, True]])
    w = _grid(2, 3) + 1.0
    (x.masked_fill(mask, v) * Tensor(w)).sum().backward()
    assert_close(x.grad, np.where(mask, 0.0, w))
    assert_close(v.grad, np.float64(w[mask].sum()))


def test_masked_fill_messages_read_exactly() -> None:
    """Each refusal of masked_fill, word for word."""
    t = Tensor(np.zeros(3))
    assert _message(TypeError, t.masked_fill, np.array([1.0, 0.0, 1.0]), 0.0) == (
        "masked_fill: mask must be a bool tensor, got dtype float64; compare first, e.g. "
        "t.masked_fill(t < 0, 0.0)")
    assert _message(ValueError, t.masked_fill, np.ones((2, 3), dtype=bool), 0.0) == (
        "masked_fill: mask of shape (2, 3) does not broadcast to the tensor's shape (3,)")
    assert _message(ValueError, t.masked_fill, np.ones(3, dtype=bool), Tensor(np.array([1.0]))) == (
        "masked_fill: value must be a number or a 0-d tensor, got shape (1,)")


# ---- std -----------------------------------------------------------------------------------------
def test_std_in_every_spelling_against_numpy() -> None:
    """The same spellings as var, against np.std."""
    x = np.array([[1.0, 4.0, 2.0], [8.0, 7.0, 3.0]])
    t = Tensor(x)
    assert_close(t.std(ddof=0), np.float64(x.std()), rtol=1e-12)
    assert_close(t.std(axis=1, correction=1), x.std(axis=1, ddof=1), rtol=1e-12)
    assert_close(t.std(dim=0, unbiased=True, keepdim=True), x.std(axis=0, ddof=1, keepdims=True), rtol=1e-12)
    assert_close(t.std(-1, unbiased=False, keepdims=True), x.std(axis=-1, keepdims=True), rtol=1e-12)
    assert_close(t.std(dim=1, correction=2), x.std(axis=1, ddof=2), rtol=1e-12)


def test_std_without_a_divisor_or_with_two_is_refused_with_the_exact_message() -> None:
    """The divisor must be named once; the message says std."""
    t = Tensor(_grid(3))
    assert _message(TypeError, t.std) == (
        "std() without arguments means N − 1 in PyTorch and N in NumPy: say which, std(correction=1) "
        "(PyTorch's default, or unbiased=True) or std(ddof=0) (NumPy's default)")
    assert _message(TypeError, t.std, correction=1, unbiased=True, ddof=1) == (
        "std() takes one of correction=, unbiased=, ddof=, got correction, unbiased, ddof")


# ---- copy_ / fill_ / zero_ -----------------------------------------------------------------------
def test_copy_fill_and_zero_write_in_place_and_return_the_tensor() -> None:
    """copy_ broadcasts and casts; all three return self and write the same array."""
    t = Tensor(np.ones((2, 3), dtype=np.float32))
    data = t.data
    assert t.copy_(np.array([1.5, 2.5, 3.5])) is t  # broadcast, cast to float32
    assert_close(t, np.array([[1.5, 2.5, 3.5]] * 2, dtype=np.float32))
    assert t.fill_(-2) is t
    assert_close(t, np.full((2, 3), -2.0, dtype=np.float32))
    assert t.zero_() is t
    assert_close(t, np.zeros((2, 3), dtype=np.float32))
    assert t.data is data and t._version == 3


def test_copy_into_a_graph_tensor_sends_the_gradient_to_the_source() -> None:
    """src's gradient is summed over the broadcast axis."""
    src = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    t = Tensor(np.zeros((2, 3)))
    assert t.copy_(src) is t
    (t * Tensor(_grid(2, 3))).sum().backward()
    assert_close(src.grad, _grid(2, 3).sum(axis=0))  # summed over the broadcast axis


# ---- view / reshape / ravel ----------------------------------------------------------------------
def test_view_reshape_and_ravel_take_ints_or_one_tuple() -> None:
    """Ints, one tuple or list, -1 and NumPy integers; ravel of 0-d is shape (1,)."""
    x = _grid(2, 3)
    t = Tensor(x)
    for got in (t.view(3, 2), t.view((3, 2)), t.view([3, -1]), t.reshape(3, 2), t.reshape((3, 2)),
                t.reshape(-1, 2), t.reshape([3, 2])):
        assert_close(got, x.reshape(3, 2))
    assert_close(t.view(6), x.reshape(6))
    assert_close(t.view(np.int64(-1)), x.reshape(6))
    assert_close(t.reshape(6), x.reshape(6))
    assert_close(t.ravel(), x.ravel())
    assert_close(Tensor(np.float64(2.0)).ravel(), np.array([2.0]))


def test_view_as_a_dtype_is_refused_with_the_exact_message() -> None:
    """view(dtype) reinterprets bytes in PyTorch/NumPy: refused, naming the argument."""
    t = Tensor(np.zeros(3))
    tail = ("reinterpreting the bytes as another dtype is not supported; use .astype(dtype) to convert "
            "values, or view(*shape) to reshape")
    assert _message(TypeError, t.view, np.float32) == f"view(<class 'numpy.float32'>): {tail}"
    assert _message(TypeError, t.view, "float32") == f"view('float32'): {tail}"
