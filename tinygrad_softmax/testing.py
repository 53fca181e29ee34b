"""Hypothesis strategies and an assertion helper for property-testing your own gradients.

Hypothesis is an optional dependency (``pip install "tinygrad_softmax[test]"``); ``import
tinygrad_softmax`` never imports this module. A property test of a custom ``Function`` takes a few
lines::

    from hypothesis import given
    from tinygrad_softmax.testing import arrays, assert_grads_match

    @given(arrays(shape=(3, 4)))
    def test_my_square(x):
        assert_grads_match(lambda t: MySquare.apply(t).sum(), x)

What the strategies are for. Random floats are a poor input for a gradient check: Hypothesis likes
repeated values (ties make ``max`` non-differentiable), loves 0 (where ``relu`` and ``abs`` have a
kink) and produces numbers so close together that a finite-difference step of 1e-6 straddles a
tie. The strategies below build inputs where the derivative exists and finite differences can see
it, by construction rather than by filtering:

* :func:`arrays`, :func:`tensors` — bounded finite floats (no NaN, inf or subnormals);
* :func:`shapes`, :func:`broadcastable_shapes`, :func:`matmul_shapes` — shapes that fit together;
* :func:`tie_free_arrays` — distinct values on a grid, so any two entries differ by ``spacing``;
* :func:`arrays_away_from` — values at least ``margin`` from given kinks;
* :func:`logits_and_targets` — logits with valid class indices or probability rows;
* :func:`axes` — every valid ``axis`` argument for a given number of dimensions.

And the inputs where results must be exact rather than smooth, so that every class of input is
reached, not just the convenient one:

* :func:`special_arrays` — floats mixed with 0, −0, negatives and ±inf (bases of ``**``, edges of ops);
* :func:`integer_dtypes`, :func:`integer_arrays` — every bool/signed/unsigned dtype, extremes included;
* :func:`index_lists` — integer index lists for one axis, negatives, repeats and the empty list;
* ``shapes(min_side=0)`` gives shapes with empty axes.

And :func:`assert_close`, an ``assert_allclose`` that also checks shape and dtype: NumPy's
broadcasts, so a gradient of shape (3, 1) passes against an expected (3,), and it ignores dtype,
so a float32 tensor that silently became float64 (or an int tensor that lost its fraction)
passes too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as err:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "tinygrad_softmax.testing needs Hypothesis, an optional dependency. Install the `test` extra: "
        "pip install \"tinygrad_softmax[test]\" (or pip install hypothesis)") from err

from .gradient_check import gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = [
    "shapes",
    "arrays",
    "tensors",
    "broadcastable_shapes",
    "matmul_shapes",
    "tie_free_arrays",
    "arrays_away_from",
    "logits_and_targets",
    "axes",
    "special_arrays",
    "integer_dtypes",
    "integer_arrays",
    "index_lists",
    "INTEGER_DTYPES",
    "assert_grads_match",
    "assert_close",
]

#: Every integer dtype and bool: the dtypes whose reductions must be exact, not computed via floats.
INTEGER_DTYPES = tuple(np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64,
                                             np.uint8, np.uint16, np.uint32, np.uint64))

ShapeLike = tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None
DtypeLike = Any  # a NumPy float dtype, or a strategy of them


def _strategy(x: Any) -> st.SearchStrategy[Any]:
    return x if isinstance(x, st.SearchStrategy) else st.just(x)


def _float_dtype(dtype: Any) -> np.dtype[Any]:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"need a floating-point dtype, got {dt}")
    return dt


def shapes(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes; small by default because a full gradient check costs 2 evaluations per element."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def _elements(dtype: np.dtype[Any], lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=8 * dtype.itemsize)


def arrays(shape: ShapeLike = None, *, dtype: DtypeLike = np.float64, min_value: float = -10.0,
           max_value: float = 10.0, unique: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Float arrays with finite entries in [min_value, max_value].

    ``shape``: a tuple, a strategy of tuples, or None for :func:`shapes`'s defaults. ``dtype``: a
    float dtype or a strategy of them (e.g. ``st.sampled_from([np.float32, np.float64])``).
    """
    if min_value > max_value:
        raise ValueError(f"min_value {min_value} > max_value {max_value}")
    shape_st = shapes() if shape is None else _strategy(shape)

    def build(args: tuple[Any, tuple[int, ...]]) -> st.SearchStrategy[np.ndarray]:
        dt = _float_dtype(args[0])
        return hnp.arrays(dt, args[1], elements=_elements(dt, min_value, max_value), unique=unique)

    return st.tuples(_strategy(dtype), shape_st).flatmap(build)


def tensors(shape: ShapeLike = None, *, requires_grad: bool = False,
            **kwargs: Any) -> st.SearchStrategy[Tensor]:
    """Tensors around :func:`arrays` (same keyword arguments), optionally requiring grad."""
    return arrays(shape, **kwargs).map(lambda a: Tensor(a, requires_grad=requires_grad))


def broadcastable_shapes(num_shapes: int = 2, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``num_shapes`` shapes that broadcast together under NumPy's rules (size-1 and missing axes
    included: exactly the cases where a backward must sum a gradient back to its input's shape)."""
    if num_shapes < 1:
        raise ValueError(f"num_shapes must be >= 1, got {num_shapes}")
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(
        lambda b: tuple(b.input_shapes))


def matmul_shapes(*, max_dims: int = 2, min_side: int = 1,
                  max_side: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairs of shapes valid for ``a @ b`` with NumPy's rules: 1-D vectors and broadcast batch axes
    (up to ``max_dims`` batch dimensions) included."""
    return hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(
        lambda b: (b.input_shapes[0], b.input_shapes[1]))


def tie_free_arrays(shape: ShapeLike = None, *, spacing: float = 0.125, max_abs: float = 10.0,
                    dtype: DtypeLike = np.float64) -> st.SearchStrategy[np.ndarray]:
    """Arrays of pairwise distinct values on the grid ``spacing · k`` (k an integer): any two entries
    differ by at least ``spacing``, so ``max``/``min``/sorting have no tie and no near-tie, and a
    finite-difference step (≪ spacing) never changes which entry is largest.

    Distinct floats are not enough: with ``unique=True`` about a third of Hypothesis's arrays have two
    entries within 1e-6 of each other. Values lie in [−max_abs, max_abs], widened if the array has
    more elements than the grid has points.
    """
    if spacing <= 0:
        raise ValueError(f"spacing must be > 0, got {spacing}")
    shape_st = shapes() if shape is None else _strategy(shape)

    def build(args: tuple[Any, tuple[int, ...]]) -> st.SearchStrategy[np.ndarray]:
        dt, shp = _float_dtype(args[0]), args[1]
        reach = max(int(max_abs / spacing), math.prod(shp))
        ints = hnp.arrays(np.int64, shp, elements=st.integers(-reach, reach), unique=True)
        return ints.map(lambda k: (k * spacing).astype(dt))

    return st.tuples(_strategy(dtype), shape_st).flatmap(build)


def arrays_away_from(points: float | Iterable[float], shape: ShapeLike = None, *, margin: float = 1e-3,
                     min_value: float = -10.0, max_value: float = 10.0,
                     dtype: DtypeLike = np.float64) -> st.SearchStrategy[np.ndarray]:
    """Arrays whose entries are all at least ``margin`` away from each of ``points`` (the places where
    your function is not differentiable: 0 for relu or abs, the kinks of a clip ...).

    Built by drawing from the allowed intervals, not by rejecting samples (Hypothesis likes exactly
    these special values, so filtering would reject a lot). Keep margin ≫ eps of the check.
    """
    pts = sorted({float(points)} if isinstance(points, (int, float)) else {float(p) for p in points})
    if margin <= 0:
        raise ValueError(f"margin must be > 0, got {margin}")
    pieces: list[tuple[float, float]] = []
    lo = min_value
    for p in pts:
        if p - margin >= lo:
            pieces.append((lo, p - margin))
        lo = max(lo, p + margin)
    if lo <= max_value:
        pieces.append((lo, max_value))
    pieces = [(a, min(b, max_value)) for a, b in pieces if a <= min(b, max_value)]
    if not pieces:
        raise ValueError(f"no value in [{min_value}, {max_value}] is {margin} away from {pts}")
    shape_st = shapes() if shape is None else _strategy(shape)

    def build(args: tuple[Any, tuple[int, ...]]) -> st.SearchStrategy[np.ndarray]:
        dt = _float_dtype(args[0])
        inner = [_inwards(a, b, dt) for a, b in pieces]
        elems = st.one_of([_elements(dt, a, b) for a, b in inner if a <= b])
        return hnp.arrays(dt, args[1], elements=elems)

    return st.tuples(_strategy(dtype), shape_st).flatmap(build)


def _inwards(a: float, b: float, dt: np.dtype[Any]) -> tuple[float, float]:
    """[a, b] shrunk to its ends representable in ``dt`` (so float32 values keep the margin too)."""
    a32, b32 = dt.type(a), dt.type(b)
    if a32 < a:
        a32 = np.nextafter(a32, dt.type(np.inf))
    if b32 > b:
        b32 = np.nextafter(b32, dt.type(-np.inf))
    return float(a32), float(b32)


@st.composite
def _logits_and_targets(draw: Any, min_n: int, max_n: int, min_c: int, max_c: int, scale: float,
                        dtype: Any, probabilities: bool,
                        ignore_index: int | None) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_n, max_n))
    c = draw(st.integers(min_c, max_c))
    dt = _float_dtype(draw(_strategy(dtype)))
    logits = draw(hnp.arrays(dt, (n, c), elements=_elements(dt, -scale, scale)))
    if probabilities:
        # Unnormalised weights in [0, 1] with at least one positive entry per row, then normalised.
        w = draw(hnp.arrays(np.float64, (n, c), elements=st.floats(0, 1, allow_subnormal=False)))
        w[np.arange(n), draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))] += 1.0
        return logits, (w / w.sum(axis=1, keepdims=True)).astype(dt)
    target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    if ignore_index is not None:
        ignored = draw(hnp.arrays(np.bool_, (n,)))
        target = np.where(ignored, ignore_index, target)
    return logits, target


def logits_and_targets(*, min_n: int = 1, max_n: int = 6, min_c: int = 2, max_c: int = 5, scale: float = 10.0,
                       dtype: DtypeLike = np.float64, probabilities: bool = False,
                       ignore_index: int | None = None) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Pairs ``(logits, target)`` for a cross-entropy: logits of shape (N, C) with entries in
    [−scale, scale], and

    * class indices of shape (N,) in [0, C) (default); with ``ignore_index`` some of them are
      replaced by that value (possibly all: PyTorch then returns nan for 'mean');
    * or, with ``probabilities=True``, class probabilities of shape (N, C): rows ≥ 0 summing to 1.

    Raise ``scale`` (1e3, 1e4) for stability tests; keep it moderate for finite-difference tests.
    """
    if not 1 <= min_c <= max_c or not 0 <= min_n <= max_n:
        raise ValueError(f"need 0 <= min_n <= max_n and 1 <= min_c <= max_c, got n in [{min_n}, {max_n}], "
                         f"c in [{min_c}, {max_c}]")
    return _logits_and_targets(min_n, max_n, min_c, max_c, scale, dtype, probabilities, ignore_index)


def axes(ndim: int, *, allow_none: bool = True, allow_tuple: bool = True) -> st.SearchStrategy[Any]:
    """Every valid ``axis`` argument for an array of ``ndim`` dimensions: None, an int in
    [−ndim, ndim), or a tuple of distinct axes."""
    options: list[st.SearchStrategy[Any]] = []
    if allow_none:
        options.append(st.none())
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
    if allow_tuple:
        options.append(hnp.valid_tuple_axes(ndim))
    if not options:
        raise ValueError(f"no axis argument is possible for ndim={ndim} with these options")
    return st.one_of(options)


def special_arrays(shape: ShapeLike = None, *, dtype: DtypeLike = np.float64, min_value: float = -4.0,
                   max_value: float = 4.0,
                   specials: Sequence[float] = (0.0, -0.0, 1.0, -1.0, -2.0, 0.5, math.inf, -math.inf)
                   ) -> st.SearchStrategy[np.ndarray]:
    """Float arrays whose entries are often one of ``specials`` (zero, negative zero, negative
    integers, ±inf by default) and otherwise finite in [min_value, max_value]: the inputs where an
    op's value or gradient has a convention to get right (``0 ** 0``, ``(−2) ** 3``, ``log 0``) rather
    than a smooth formula. Not for finite differences: for checking exact values against NumPy."""
    shape_st = shapes() if shape is None else _strategy(shape)

    def build(args: tuple[Any, tuple[int, ...]]) -> st.SearchStrategy[np.ndarray]:
        dt = _float_dtype(args[0])
        elems = st.one_of(st.sampled_from([float(v) for v in specials]), _elements(dt, min_value, max_value))
        return hnp.arrays(dt, args[1], elements=elems)

    return st.tuples(_strategy(dtype), shape_st).flatmap(build)


def integer_dtypes() -> st.SearchStrategy[np.dtype[Any]]:
    """One of :data:`INTEGER_DTYPES`: bool, int8 … int64, uint8 … uint64."""
    return st.sampled_from(INTEGER_DTYPES)


def integer_arrays(shape: ShapeLike = None, *, dtype: DtypeLike = None) -> st.SearchStrategy[np.ndarray]:
    """Arrays of an integer or bool dtype (default: any of :func:`integer_dtypes`) over the dtype's whole
    range, its minimum, maximum and 0 drawn often: the values where computing through another dtype
    (negation, floats) overflows or rounds."""
    shape_st = shapes() if shape is None else _strategy(shape)
    dtype_st = integer_dtypes() if dtype is None else _strategy(dtype)

    def build(args: tuple[Any, tuple[int, ...]]) -> st.SearchStrategy[np.ndarray]:
        dt = np.dtype(args[0])
        if dt.kind == "b":
            return hnp.arrays(dt, args[1], elements=st.booleans())
        if dt.kind not in "iu":
            raise TypeError(f"need an integer or bool dtype, got {dt}")
        info = np.iinfo(dt)
        lo, hi = int(info.min), int(info.max)
        elems = st.one_of(st.sampled_from([lo, hi, 0]), st.integers(lo, hi))
        return hnp.arrays(dt, args[1], elements=elems)

    return st.tuples(dtype_st, shape_st).flatmap(build)


def index_lists(size: int, *, max_len: int = 5) -> st.SearchStrategy[list[int]]:
    """Lists of valid integer indices into an axis of length ``size`` (negatives and repeats included),
    the empty list among them (NumPy and PyTorch read ``t[[]]`` as an empty integer index)."""
    if size == 0:
        return st.just([])
    return st.lists(st.integers(-size, size - 1), min_size=0, max_size=max_len)


def assert_grads_match(fn: Callable[..., Tensor], *arrays: Any, eps: float = 1e-6, atol: float = 1e-5,
                       rtol: float = 1e-3, second_order: bool = False, fast_mode: bool = False) -> None:
    """Assert that ``backward()`` through ``fn`` matches central finite differences, for every
    floating array among ``arrays`` (integer arrays, e.g. labels, and Tensors without
    ``requires_grad`` are held fixed). ``second_order=True`` also runs :func:`gradgradcheck`.

    Raises :class:`~tinygrad_softmax.gradient_check.GradcheckError` (an AssertionError) with the
    report, so inside a Hypothesis test the failing example is shrunk and printed with it.
    """
    inputs: Sequence[Any] = list(arrays)
    gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode)
    if second_order:
        gradgradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode)


def _as_checked_array(x: Any, what: str) -> np.ndarray:
    if x is None:
        raise AssertionError(f"{what} is None (e.g. a .grad that backward() never filled)")
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def assert_close(actual: Any, expected: Any, *, rtol: float = 1e-7, atol: float = 0.0,
                 check_dtype: bool = True, equal_nan: bool = True, msg: str = "") -> None:
    """Assert that ``actual`` equals ``expected`` in shape, dtype and (within tolerance) values.

    Both may be Tensors, ndarrays, NumPy scalars, nested lists or Python numbers. Unlike
    ``np.testing.assert_allclose`` nothing is broadcast: the shapes must be equal. With
    ``check_dtype`` (the default) the dtypes must be equal too, except when ``expected`` is a
    Python number (``3.0``, ``True``), which has no dtype of its own and is compared by value
    only. Tolerances mean what they mean in NumPy: ``|actual - expected| <= atol + rtol·|expected|``
    (``rtol=atol=0`` for exact equality). Raises an AssertionError that says which of shape,
    dtype or values differs; ``msg`` is prepended to it.
    """
    prefix = f"{msg}: " if msg else ""
    a = _as_checked_array(actual, "actual")
    e = _as_checked_array(expected, "expected")
    if a.shape != e.shape:
        raise AssertionError(f"{prefix}shape mismatch: actual has shape {a.shape}, expected {e.shape}")
    if check_dtype and not isinstance(expected, (bool, int, float)) and a.dtype != e.dtype:
        raise AssertionError(f"{prefix}dtype mismatch: actual has dtype {a.dtype}, expected {e.dtype}")
    try:
        if a.dtype.kind in "biu" and e.dtype.kind in "biu" and rtol == 0 and atol == 0:
            np.testing.assert_array_equal(a, e)  # exact, without a detour through float64
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except AssertionError as err:
        raise AssertionError(f"{prefix}value mismatch (shape {a.shape}, dtype {a.dtype}):{err}") from None
