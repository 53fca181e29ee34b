"""Tensors made from nothing: ``zeros``, ``ones``, ``full``, ``arange``, ``linspace``, ``eye``,
``rand``, ``randn`` and the ``*_like`` versions, with PyTorch's names and arguments.

Every function takes ``dtype`` (a NumPy dtype; the default for floating results is float64,
NumPy's default, not PyTorch's float32) and ``requires_grad`` (floating dtypes only). Shapes are
given as PyTorch allows: ``zeros(2, 3)`` or ``zeros((2, 3))``.

Random numbers: there is no global random state (no ``manual_seed``). ``rand``/``randn`` take
``generator=``, a ``numpy.random.Generator`` (drawn from, so successive calls differ) or an int
seed (a fresh generator seeded with it, so the same seed gives the same numbers); with neither,
they draw from a fresh generator seeded by the operating system, so results are not
reproducible. Pass a generator or a seed to get the same numbers twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _engine
from .tensor import Tensor

__all__ = ["zeros", "ones", "full", "arange", "linspace", "eye", "rand", "randn",
           "zeros_like", "ones_like", "full_like"]


def _shape(size: tuple[Any, ...], what: str) -> tuple[int, ...]:
    """``size`` given as ``(2, 3)`` (varargs) or ``((2, 3),)`` (one sequence) as a shape."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{what}: sizes must be ints, got {size!r}")
        if n < 0:
            raise ValueError(f"{what}: sizes must be non-negative, got {size!r}")
    return tuple(int(n) for n in size)


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad)  # a non-float dtype: Tensor's clear TypeError


def _dtype(dtype: Any, default: Any = np.float64) -> np.dtype[Any]:
    try:
        dt: np.dtype[Any] = np.dtype(default if dtype is None else dtype)
    except TypeError:
        raise TypeError(f"not a NumPy dtype: {dtype!r}") from None
    return dt


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of shape ``size`` (float64 unless ``dtype`` says otherwise).
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    return _finish(np.zeros(_shape(size, "zeros"), dtype=_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of shape ``size`` (float64 unless ``dtype`` says otherwise).
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    return _finish(np.ones(_shape(size, "ones"), dtype=_dtype(dtype)), requires_grad)


def _fill_dtype(fill_value: Any, dtype: Any) -> np.dtype[Any]:
    if dtype is not None:
        return _dtype(dtype)
    if isinstance(fill_value, Tensor):
        return fill_value.dtype
    arr = np.asarray(fill_value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"fill_value must be a number, got {fill_value!r}")
    return np.dtype(np.float64) if arr.dtype.kind == "f" else arr.dtype  # bool stays bool, int int64


def full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` (a tuple) filled with ``fill_value``. Without ``dtype`` the
    dtype follows the value, as in PyTorch and NumPy: a float gives float64, an int int64, a
    bool bool.
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    shape = _shape((size,) if isinstance(size, (tuple, list)) else (size,), "full")
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _finish(np.full(shape, value, dtype=_fill_dtype(fill_value, dtype)), requires_grad)


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, end) with spacing ``step``; ``arange(n)`` and
    ``arange(end=n)`` are 0 .. n-1.
    The dtype is int64 if all of start, end and step are ints, else float64 (as in PyTorch).
    A ``step`` pointing away from ``end`` gives an empty tensor (NumPy's answer; PyTorch
    raises).
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: {name} must be a number, got {v!r}")
        if not np.isfinite(v):
            raise ValueError(f"arange: {name} must be finite, got {v!r}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    exact = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dt = _dtype(dtype, np.int64 if exact else np.float64)
    return _finish(np.arange(start, end, step).astype(dt, copy=False), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (float64 by
    default). ``steps`` is required, as in PyTorch (NumPy's default of 50 does not apply).
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return _finish(np.linspace(start, end, int(steps), dtype=_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix of shape (n, m) (m defaults to n): ones on the diagonal.
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    rows, cols = _shape((n, n if m is None else m), "eye")
    return _finish(np.eye(rows, cols, dtype=_dtype(dtype)), requires_grad)


def _generator(generator: Any) -> np.random.Generator:
    if generator is None:
        return np.random.default_rng()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be a numpy.random.Generator, an int seed or None, got "
                    f"{type(generator).__name__} (PyTorch's torch.Generator has no counterpart here)")


def _random(kind: str, size: tuple[Any, ...], generator: Any, dtype: Any, requires_grad: bool) -> Tensor:
    if (tracer := _engine._tracer_now()) is not None:  # compile refuses a draw
        tracer.draw_random(f"{kind}()")
    shape, dt = _shape(size, kind), _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{kind} draws floating-point numbers; dtype {dt} is not a floating dtype")
    rng = _generator(generator)
    native = dt if dt in (np.float32, np.float64) else np.float64  # Generator draws only these two
    data = rng.random(shape, dtype=native) if kind == "rand" else rng.standard_normal(shape, dtype=native)
    return _finish(data.astype(dt, copy=False), requires_grad)


def rand(*size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform random numbers in [0, 1) of shape ``size``. ``generator``: a
    ``numpy.random.Generator`` (drawn from, so two calls differ), an int seed (the same seed
    gives the same numbers), or None: a fresh generator seeded by the operating system, so not
    reproducible. There is no global random state (no ``manual_seed``): pass a generator or a
    seed for reproducible numbers.
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    return _random("rand", size, generator, dtype, requires_grad)


def randn(*size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal random numbers of shape ``size``; ``generator`` as in :func:`rand`.
    No gradient: the result is a new leaf (it collects ``.grad`` if ``requires_grad=True``)."""
    return _random("randn", size, generator, dtype, requires_grad)


def _like(t: Any) -> np.ndarray:
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def zeros_like(t: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape and (unless ``dtype`` is given) dtype.
    No gradient flows to ``t`` (only its shape and dtype are read); with ``requires_grad=True``
    the result is a new leaf."""
    a = _like(t)
    return _finish(np.zeros(a.shape, dtype=_dtype(dtype, a.dtype)), requires_grad)


def ones_like(t: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and (unless ``dtype`` is given) dtype.
    No gradient flows to ``t`` (only its shape and dtype are read); with ``requires_grad=True``
    the result is a new leaf."""
    a = _like(t)
    return _finish(np.ones(a.shape, dtype=_dtype(dtype, a.dtype)), requires_grad)


def full_like(t: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``t``'s shape and (unless ``dtype`` is given) dtype, as in PyTorch.
    No gradient flows to ``t`` (only its shape and dtype are read); with ``requires_grad=True``
    the result is a new leaf."""
    a = _like(t)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _finish(np.full(a.shape, value, dtype=_dtype(dtype, a.dtype)), requires_grad)
