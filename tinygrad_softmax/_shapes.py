"""Pure shape arithmetic shared by the ops: axes, keepdims shapes and broadcast reduction.

Nothing here touches tensors or gradients; every function maps shapes to shapes (or axes), so
each can be read and tested on its own.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

Shape = tuple[int, ...]
Axis = int | Sequence[int] | None


class TensorIndexError(IndexError, ValueError):
    """An index that does not fit the tensor's shape (both an IndexError and a ValueError)."""


class AxisError(TensorIndexError):
    """An axis (dim) out of range for the tensor: an IndexError, as in PyTorch, and a ValueError.

    Every op that takes an axis raises this one class for an axis out of range (through
    :func:`normalize_axes` / :func:`normalize_axis`); it is a kind of :class:`TensorIndexError`.
    """


def resolve_axis(axis: Any = None, dim: Any = None, keepdims: bool | None = None,
                 keepdim: bool | None = None, *, default: Any = None) -> tuple[Any, bool]:
    """Merge NumPy's ``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim`` spellings into one
    ``(axis, keepdims)`` pair; ``default`` is the axis when neither spelling is given. Giving both
    spellings of the same argument is a TypeError (they could disagree).

    >>> resolve_axis(dim=1, keepdim=True), resolve_axis(axis=0), resolve_axis(default=-1)
    ((1, True), (0, False), (-1, False))
    """
    if axis is not None and dim is not None:
        raise TypeError(f"give the axis once: axis={axis!r} (NumPy's name) or dim={dim!r} (PyTorch's), "
                        "not both")
    if keepdims is not None and keepdim is not None:
        raise TypeError(f"give keepdims={keepdims!r} (NumPy's name) or keepdim={keepdim!r} (PyTorch's), "
                        "not both")
    chosen = axis if axis is not None else dim
    return (default if chosen is None else chosen), bool(keepdims or keepdim)


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """Turn ``axis`` (None, an int or a sequence of ints, negatives allowed) into sorted
    non-negative axes of an array with ``ndim`` dimensions.

    >>> normalize_axes(-1, 3), normalize_axes(None, 2), normalize_axes((0, -1), 3)
    ((2,), (0, 1), (0, 2))
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if not isinstance(axis, Sequence) else tuple(axis)
    out = []
    for a in axes:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}") from None
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise AxisError(f"axis {a} is out of range for a tensor of dimension {ndim} (expected a value in "
                            f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        if ndim:  # a 0-d array accepts axis 0 or -1 (as NumPy's sum does) and reduces nothing
            out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def normalize_axis(axis: Any, ndim: int, what: str = "axis", shape: Shape | None = None) -> int:
    """One axis (an int, negatives allowed) as a non-negative int: AxisError if out of range,
    TypeError for None, a bool, a float or a tuple. ``what`` names the argument in the messages
    (e.g. ``"flip: dim"``), and ``shape``, if given, the tensor's shape. A 0-d tensor is
    treated as 1-d (axis 0 or −1 gives 0), as PyTorch wraps dims.

    >>> normalize_axis(-1, 3), normalize_axis(0, 0)
    (2, 0)
    """
    if axis is None or isinstance(axis, (bool, Sequence)):
        raise TypeError(f"{what} must be one int, got {axis!r}")
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{what} must be one int, got {axis!r}") from None
    n = max(ndim, 1)
    if not -n <= a < n:
        of = f"shape {shape}" if shape is not None else f"dimension {ndim}"
        raise AxisError(f"{what} {a} is out of range for a tensor of {of} (expected a value in "
                        f"[{-n}, {n - 1}])")
    return a % n


def keepdims_shape(shape: Shape, axes: tuple[int, ...]) -> Shape:
    """The shape a reduction over ``axes`` has with ``keepdims=True`` (reduced axes become 1)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def broadcast_reduction(grad_shape: Shape, shape: Shape) -> tuple[int, ...] | None:
    """Axes to sum (with keepdims) so a gradient of ``grad_shape`` folds back onto ``shape``.

    Returns None when no reduction is needed. Leading axes that broadcasting added are
    summed too; the caller then reshapes to ``shape`` to drop them.

    >>> broadcast_reduction((4, 3), (3,)), broadcast_reduction((4, 3), (4, 1))
    ((0,), (1,))
    """
    if grad_shape == shape:
        return None
    lead = len(grad_shape) - len(shape)
    if lead < 0:
        raise ValueError(f"a gradient of shape {grad_shape} cannot be summed to shape {shape}")
    axes = list(range(lead))
    for i, n in enumerate(shape):
        g = grad_shape[lead + i]
        if n == 1 and g != 1:
            axes.append(lead + i)
        elif n != g:
            raise ValueError(f"a gradient of shape {grad_shape} cannot be summed to shape {shape}")
    return tuple(axes)
