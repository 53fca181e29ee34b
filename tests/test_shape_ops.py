"""Shape ops (issue 12, part B): unsqueeze, squeeze, expand_dims, view, flatten, expand, flip,
repeat, split, chunk, gather, masked_fill, cat/concatenate, stack, where, take_along_axis, pad.

Each property test draws a shape and the op's arguments with Hypothesis, compares the forward
value with the NumPy expression that means the same (np.expand_dims, np.tile, np.concatenate,
np.take_along_axis, np.pad, slicing ...), and checks first and second derivatives against
float64 finite differences (``assert_grads_match`` with ``second_order=True``). The ops are
linear, so the checked function is ``op(x) * op(x)``: its second derivative is not zero, and it
is right only if the op's backward is itself recorded under ``create_graph=True``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_softmax as tg
from tinygrad_softmax import Tensor, TensorIndexError
from tinygrad_softmax import functional as F
from tinygrad_softmax.testing import arrays, assert_grads_match, broadcastable_shapes, shapes

FEW = settings(max_examples=25)


def check(op: Callable[..., Tensor], reference: Callable[..., Any], *xs: np.ndarray) -> None:
    """op(*tensors) equals reference(*arrays) exactly; op's first and second derivatives match
    finite differences."""
    out = op(*[Tensor(x) for x in xs])
    expected = np.asarray(reference(*xs))
    assert out.shape == expected.shape, (out.shape, expected.shape)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.data, expected)
    assert_grads_match(lambda *ts: op(*ts) * op(*ts), *xs, second_order=True)


@st.composite
def array_and_dim(draw: Any, extra: int = 0, min_dims: int = 1, min_side: int = 1) -> tuple[np.ndarray, int]:
    """An array and a dim in [-(ndim+extra), ndim+extra)."""
    x = draw(arrays(shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=3)))
    n = x.ndim + extra
    return x, draw(st.integers(-n, n - 1))


# ---- reshapes -----------------------------------------------------------------------------
@FEW
@given(array_and_dim(extra=1, min_dims=0))
def test_unsqueeze_is_expand_dims(case):
    x, dim = case
    check(lambda t: t.unsqueeze(dim), lambda a: np.expand_dims(a, dim), x)


@FEW
@given(st.data())
def test_expand_dims_with_a_tuple_of_axes(data):
    x = data.draw(arrays(shapes(max_dims=2, max_side=3)))
    ndim = x.ndim + 2
    axis = tuple(data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=2, max_size=2,
                                    unique_by=lambda a: a % ndim)))
    check(lambda t: t.expand_dims(axis), lambda a: np.expand_dims(a, axis), x)
    check(lambda t: t.expand_dims(dim=axis), lambda a: np.expand_dims(a, axis), x)


def test_expand_dims_errors():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="both"):
        t.expand_dims(0, dim=0)
    with pytest.raises(TypeError, match="axis="):
        t.expand_dims()
    with pytest.raises(ValueError, match="repeated"):
        t.expand_dims((0, -4))


@FEW
@given(arrays(shapes(min_dims=0, max_dims=4, min_side=1, max_side=2)), st.data())
def test_squeeze(x, data):
    if x.ndim:
        dim = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    else:
        dim = None
    # PyTorch: a named axis whose size is not 1 stays; NumPy raises there, so the reference
    # squeezes only when the axis has size 1
    ref = (lambda a: np.squeeze(a)) if dim is None else \
        (lambda a: np.squeeze(a, dim) if a.shape[dim] == 1 else a)
    check(lambda t: t.squeeze(dim), ref, x)
    check(lambda t: t.squeeze(axis=dim), ref, x)


def test_squeeze_of_a_non_1_axis_is_a_no_op_as_in_pytorch():
    t = Tensor(np.ones((2, 1, 3)))
    assert t.squeeze(0).shape == (2, 1, 3)
    assert t.squeeze((0, 1)).shape == (2, 3)
    assert t.squeeze().shape == (2, 3)
    with pytest.raises(TypeError, match="both"):
        t.squeeze(1, axis=1)


@FEW
@given(array_and_dim(), st.data())
def test_flatten_matches_reshape(case, data):
    x, start = case
    s = start % x.ndim
    end = data.draw(st.integers(s, x.ndim - 1)) - data.draw(st.sampled_from([0, x.ndim]))
    merged = int(np.prod(x.shape[s:end % x.ndim + 1]))
    shape = x.shape[:s] + (merged,) + x.shape[end % x.ndim + 1:]
    check(lambda t: t.flatten(start, end), lambda a: a.reshape(shape), x)


def test_flatten_defaults_and_0d():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert Tensor(x).flatten().shape == (24,)
    assert Tensor(x).flatten(1).shape == (2, 12)
    assert Tensor(np.zeros((2, 0, 3))).flatten(0, 1).shape == (0, 3)
    assert Tensor(5.0).flatten().shape == (1,)  # PyTorch: a 0-d tensor flattens to shape (1,)
    with pytest.raises(ValueError, match="start_dim"):
        Tensor(x).flatten(2, 1)


def test_view_is_reshape_and_refuses_a_dtype():
    x = np.arange(12.0)
    check(lambda t: t.view(3, 4), lambda a: a.reshape(3, 4), x)
    check(lambda t: t.view((2, -1)), lambda a: a.reshape(2, -1), x)
    with pytest.raises(TypeError, match="astype"):
        Tensor(x).view(np.float32)


# ---- expand, flip, repeat -----------------------------------------------------------------
@FEW
@given(st.data())
def test_expand(data):
    shape = data.draw(shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    x = data.draw(arrays(tuple(data.draw(st.sampled_from([1, n])) for n in shape)))
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    sizes = list(lead) + [data.draw(st.sampled_from([-1, n])) if m == n else n
                          for m, n in zip(x.shape, shape)]
    target = tuple(lead) + shape
    check(lambda t: t.expand(*sizes), lambda a: np.broadcast_to(a, target).copy(), x)
    check(lambda t: t.expand(tuple(sizes)), lambda a: np.broadcast_to(a, target).copy(), x)


@FEW
@given(arrays(shapes(min_dims=1, max_dims=3, max_side=3)), st.data())
def test_flip(x, data):
    dims = tuple(data.draw(st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1, max_size=x.ndim,
                                    unique_by=lambda a: a % x.ndim)))
    check(lambda t: t.flip(dims), lambda a: np.flip(a, dims), x)
    check(lambda t: t.flip(*dims), lambda a: np.flip(a, dims), x)
    check(lambda t: t.flip(dims=dims), lambda a: np.flip(a, dims), x)


def test_flip_without_dims_reverses_every_axis_as_numpy():
    x = np.arange(6.0).reshape(2, 3)
    check(lambda t: t.flip(), np.flip, x)
    check(lambda t: t.flip(axis=1), lambda a: np.flip(a, 1), x)
    with pytest.raises(ValueError, match="repeated"):
        Tensor(x).flip(0, -2)


@FEW
@given(arrays(shapes(min_dims=0, max_dims=2, max_side=3)), st.data())
def test_repeat_tiles_as_pytorch(x, data):
    sizes = tuple(data.draw(st.lists(st.integers(0, 3), min_size=x.ndim, max_size=x.ndim + 2)))
    check(lambda t: t.repeat(*sizes), lambda a: np.tile(a, sizes) if sizes else a.copy(), x)


def test_repeat_refuses_numpy_meaning_and_too_few_sizes():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="np.tile"):
        t.repeat(2, axis=0)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        t.repeat(2)
    with pytest.raises(ValueError, match="non-negative"):
        t.repeat(2, -1)


# ---- split and chunk ----------------------------------------------------------------------
@FEW
@given(array_and_dim(min_side=0), st.integers(1, 4))
def test_split_by_size(case, size):
    x, dim = case
    n = x.shape[dim]
    bounds = list(range(size, n, size))
    expected = np.split(x, bounds, axis=dim) if n else [x]
    for k, piece in enumerate(tg.split(Tensor(x), size, dim)):
        assert k < len(expected)
        check(lambda t, k=k: t.split(size, dim)[k],
              lambda a, k=k: np.split(a, bounds, axis=dim)[k] if n else a, x)
        np.testing.assert_array_equal(piece.data, expected[k])
    assert len(Tensor(x).split(size, dim)) == len(expected)


@FEW
@given(array_and_dim(), st.data())
def test_split_by_sections_and_chunk(case, data):
    x, dim = case
    n = x.shape[dim]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sections = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    pieces = Tensor(x).split(sections, dim)
    expected = np.split(x, cuts, axis=dim)
    assert [p.shape for p in pieces] == [e.shape for e in expected]
    check(lambda t: tg.cat(t.split(sections, dim)[::-1], dim=dim),
          lambda a: np.concatenate(np.split(a, cuts, axis=dim)[::-1], axis=dim), x)
    chunks = data.draw(st.integers(1, 4))
    size = -(-n // chunks)  # PyTorch: pieces of ceil(n / chunks), so maybe fewer than chunks
    got = tg.chunk(Tensor(x), chunks, dim)
    assert [p.shape[dim] for p in got] == [min(size, n - s) for s in range(0, n, size)]
    np.testing.assert_array_equal(tg.cat(got, dim=dim).data, x)


def test_split_and_chunk_errors():
    t = Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match="add up to 5"):
        t.split([2, 2])
    with pytest.raises(ValueError, match="positive"):
        t.split(0)
    with pytest.raises(ValueError, match="positive"):
        t.chunk(0)
    with pytest.raises(TensorIndexError, match=r"\[-2, 1\]"):
        t.split(1, dim=2)
    assert [p.shape[0] for p in t.chunk(4)] == [2, 2, 1]  # PyTorch gives 3 chunks here too


# ---- joining ------------------------------------------------------------------------------
@FEW
@given(array_and_dim(), st.lists(st.integers(0, 3), min_size=1, max_size=3), st.data())
def test_cat(case, sizes, data):
    x, dim = case
    shape = list(x.shape)
    parts = []
    for n in sizes:
        shape[dim] = n
        parts.append(data.draw(arrays(tuple(shape))))
    check(lambda *ts: tg.cat(list(ts), dim=dim), lambda *a: np.concatenate(a, axis=dim), *parts)
    check(lambda *ts: tg.concatenate(ts, axis=dim), lambda *a: np.concatenate(a, axis=dim), *parts)
    check(lambda *ts: tg.cat(ts, axis=dim), lambda *a: np.concatenate(a, axis=dim), *parts)


def test_concatenate_axis_none_flattens_as_numpy():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(2.0)
    check(lambda s, t: tg.concatenate([s, t], axis=None),
          lambda s, t: np.concatenate([s, t], axis=None), a, b)


@FEW
@given(st.data())
def test_stack(data):
    shape = data.draw(shapes(max_dims=2, max_side=3))
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = data.draw(st.lists(arrays(shape), min_size=1, max_size=3))
    check(lambda *ts: tg.stack(ts, dim), lambda *a: np.stack(a, axis=dim), *parts)
    check(lambda *ts: tg.stack(ts, axis=dim), lambda *a: np.stack(a, axis=dim), *parts)


def test_cat_and_stack_promote_dtypes_and_keep_input_gradient_dtypes():
    a = Tensor(np.ones(2, np.float32), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    out = tg.cat([a, b])
    assert out.dtype == np.result_type(np.float32, np.float64)
    (out * Tensor(np.arange(5.0))).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.data, [0, 1])
    np.testing.assert_array_equal(b.grad.data, [2, 3, 4])


def test_cat_and_stack_errors():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"\(2, 3\), \(2, 4\)"):
        tg.cat([a, b])
    assert tg.cat([a, b], dim=1).shape == (2, 7)
    with pytest.raises(ValueError, match="empty"):
        tg.cat([])
    with pytest.raises(TypeError, match="sequence"):
        tg.cat(a)
    with pytest.raises(ValueError, match="at least one dimension"):
        tg.cat([Tensor(1.0), Tensor(2.0)])
    with pytest.raises(TensorIndexError, match=r"\[-2, 1\]"):
        tg.cat([a, a], dim=2)
    with pytest.raises(ValueError, match="one shape"):
        tg.stack([a, b])
    with pytest.raises(TensorIndexError, match=r"\[-3, 2\]"):
        tg.stack([a, a], dim=3)
    with pytest.raises(TypeError, match="both"):
        tg.stack([a, a], dim=0, axis=0)


# ---- selecting ----------------------------------------------------------------------------
@st.composite
def gather_case(draw: Any) -> tuple[np.ndarray, int, np.ndarray]:
    x = draw(arrays(shapes(min_dims=1, max_dims=3, max_side=3)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    shape = tuple(draw(st.integers(0, 3)) if i == dim % x.ndim else draw(st.integers(1, n))
                  for i, n in enumerate(x.shape))
    index = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, x.shape[dim] - 1)))
    return x, dim, index


@FEW
@given(gather_case())
def test_gather_as_pytorch(case):
    x, dim, index = case
    d = dim % x.ndim

    def reference(a: np.ndarray) -> np.ndarray:  # the loop of PyTorch's docs, element by element
        out = np.empty(index.shape)
        for pos in itertools.product(*map(range, index.shape)):
            src = list(pos)
            src[d] = index[pos]
            out[pos] = a[tuple(src)]
        return out

    check(lambda t: t.gather(dim, index), reference, x)
    check(lambda t: t.gather(dim, Tensor(index)), reference, x)


def test_gather_adds_gradients_of_repeated_positions():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    x.gather(1, np.array([[0, 0, 0], [1, 0, 1]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[3, 0], [1, 2]])


def test_gather_errors():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(TensorIndexError, match=r"\[0, 2\]"):
        t.gather(1, np.array([[3]]))
    with pytest.raises(TensorIndexError):
        t.gather(1, np.array([[-1]]))
    with pytest.raises(ValueError, match="as many dimensions"):
        t.gather(1, np.array([0]))
    with pytest.raises(ValueError, match="larger"):
        t.gather(1, np.zeros((3, 1), np.int64))
    with pytest.raises(TypeError, match="integers"):
        t.gather(1, np.array([[0.5]]))


@FEW
@given(st.data())
def test_take_along_axis_as_numpy(data):
    x = data.draw(arrays(shapes(min_dims=1, max_dims=3, max_side=3)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    shape = tuple(data.draw(st.integers(0, 3)) if i == axis % x.ndim else data.draw(st.sampled_from([1, m]))
                  for i, m in enumerate(x.shape))
    idx = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(-n, n - 1)))
    check(lambda t: tg.take_along_axis(t, idx, axis), lambda a: np.take_along_axis(a, idx, axis), x)
    flat = data.draw(hnp.arrays(np.int64, (3,), elements=st.integers(-x.size, x.size - 1)))
    check(lambda t: tg.take_along_axis(t, flat, None), lambda a: np.take_along_axis(a, flat, None), x)


def test_take_along_axis_errors():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(TensorIndexError, match=r"\[-3, 2\]"):
        tg.take_along_axis(t, np.array([[3]]), 1)
    with pytest.raises(ValueError, match="broadcast"):
        tg.take_along_axis(t, np.zeros((3, 1), np.int64), 1)
    with pytest.raises(ValueError, match="1-D"):
        tg.take_along_axis(t, np.zeros((1, 1), np.int64), None)


@FEW
@given(st.data())
def test_where_as_numpy(data):
    sc, sx, sy = data.draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    cond = data.draw(hnp.arrays(np.bool_, sc))
    x, y = data.draw(arrays(sx)), data.draw(arrays(sy))
    check(lambda s, t: tg.where(cond, s, t), lambda s, t: np.where(cond, s, t), x, y)
    check(lambda s: tg.where(Tensor(cond), s, 0.5), lambda s: np.where(cond, s, 0.5), x)


def test_where_gives_an_exact_zero_to_the_unpicked_input():
    x = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    y = Tensor(np.array([2.0, 2.0]), requires_grad=True)
    tg.where(x > 0, x, y).backward(gradient=np.array([np.inf, np.inf]))
    np.testing.assert_array_equal(x.grad.data, [np.inf, 0.0])
    np.testing.assert_array_equal(y.grad.data, [0.0, np.inf])


def test_where_keeps_float32_and_refuses_a_non_bool_condition():
    x = Tensor(np.ones(3, np.float32))
    assert tg.where(x > 0, x, 0.0).dtype == np.float32
    with pytest.raises(TypeError, match="bool"):
        tg.where(np.ones(3), x, x)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        tg.where(np.ones(2, bool), x, x)


@FEW
@given(st.data())
def test_masked_fill(data):
    shape, mshape = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)
                              .filter(lambda b: b.result_shape == b.input_shapes[0])).input_shapes
    x = data.draw(arrays(shape))
    mask = data.draw(hnp.arrays(np.bool_, mshape))
    check(lambda t: t.masked_fill(mask, -2.5), lambda a: np.where(mask, -2.5, a), x)
    check(lambda t, v: t.masked_fill(Tensor(mask), v), lambda a, v: np.where(mask, v, a), x, np.array(0.75))


def test_masked_fill_errors_and_dtype():
    t = Tensor(np.ones((2, 3), np.float32))
    assert t.masked_fill(t > 0, 2).dtype == np.float32  # PyTorch: the tensor keeps its dtype
    with pytest.raises(TypeError, match="bool"):
        t.masked_fill(np.ones((2, 3)), 0.0)
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        t.masked_fill(np.ones((3, 3), bool), 0.0)
    with pytest.raises(ValueError, match="0-d"):
        t.masked_fill(t > 0, Tensor(np.ones(2)))


# ---- pad ----------------------------------------------------------------------------------
@FEW
@given(arrays(shapes(min_dims=1, max_dims=3, max_side=3)), st.data())
def test_pad_as_numpy(x, data):
    k = data.draw(st.integers(1, x.ndim))
    widths = data.draw(st.lists(st.integers(0, 2), min_size=2 * k, max_size=2 * k))
    value = data.draw(st.sampled_from([0.0, -1.5]))
    # PyTorch's order: (before, after) of the last axis first
    np_widths = [(0, 0)] * (x.ndim - k) + [(widths[2 * i], widths[2 * i + 1]) for i in reversed(range(k))]
    check(lambda t: F.pad(t, widths, value=value), lambda a: np.pad(a, np_widths, constant_values=value), x)


def test_pad_with_negative_widths_crops():
    x = np.arange(12.0).reshape(3, 4)
    check(lambda t: F.pad(t, (-1, 2, 1, -2)), lambda a: np.pad(a[:1, 1:], ((1, 0), (0, 2))), x)


def test_pad_errors():
    t = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="'reflect'"):
        F.pad(t, (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="even"):
        F.pad(t, (1, 1, 1))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        F.pad(t, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="negative size"):
        F.pad(t, (-2, -2))
    with pytest.raises(TypeError, match="ints"):
        F.pad(t, (1.5, 1))


# ---- errors common to the dim-taking ops ---------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda t: t.unsqueeze(4), lambda t: t.unsqueeze(-5), lambda t: t.squeeze(3), lambda t: t.flip(3),
    lambda t: t.flatten(0, 3), lambda t: t.gather(3, np.zeros((1, 1, 1), np.int64)),
    lambda t: t.expand_dims(4), lambda t: t.chunk(2, dim=-4),
])
def test_out_of_range_dims_raise_index_errors_naming_the_range(call):
    t = Tensor(np.ones((2, 3, 4)))
    with pytest.raises(IndexError, match="out of range") as info:
        call(t)
    assert isinstance(info.value, ValueError)  # TensorIndexError is both, as for indexing


@pytest.mark.parametrize("sizes, message", [((2, 3), "at least"), ((5, 2, 4), "size 2 at axis 1"),
                                            ((-1, 2, 3, 4), "new leading axis")])
def test_expand_errors(sizes, message):
    with pytest.raises(ValueError, match=message):
        Tensor(np.ones((1, 3, 4))).expand(*sizes)
