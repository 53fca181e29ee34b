"""Joining, splitting and selecting tensors: ``cat``/``concatenate``, ``stack``, ``where``,
``take_along_axis``, ``split``, ``chunk`` and ``pad`` (exported as ``functional.pad``).

The differentiable work happens in ops.py (``Cat``, ``Stack``, ``Where``, ``Pad``, and indexing
for ``take_along_axis``); this module checks the arguments and explains what is wrong with them.
Names and meanings follow PyTorch; ``concatenate`` and the ``axis=`` spelling are NumPy's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from ._shapes import TensorIndexError, normalize_axis, resolve_axis
from .tensor import Tensor

__all__ = ["cat", "concatenate", "stack", "where", "take_along_axis", "split", "chunk", "pad"]


def _tensors(tensors: Any, what: str) -> list[Tensor]:
    if isinstance(tensors, (Tensor, np.ndarray)) or not isinstance(tensors, Sequence):
        raise TypeError(f"{what} takes a sequence of tensors (a list or tuple), got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{what} needs at least one tensor, got an empty sequence")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def cat(tensors: Sequence[Any], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing axis ``dim`` (default 0; ``axis`` is NumPy's spelling); all
    other sizes must agree. Dtypes are promoted as NumPy does.

    Backward: each input receives the slice of the gradient it occupies.
    """
    d, _ = resolve_axis(axis, dim, default=0)
    ts = _tensors(tensors, "cat")
    ndim = ts[0].ndim
    if ndim == 0 or any(t.ndim != ndim for t in ts):
        raise ValueError(f"cat needs tensors of at least one dimension and all of the same number of "
                         f"dimensions, got shapes {[t.shape for t in ts]}")
    d = normalize_axis(d, ndim, "cat: dim")
    first = ts[0].shape
    for t in ts[1:]:
        if t.shape[:d] + t.shape[d + 1:] != first[:d] + first[d + 1:]:
            raise ValueError(f"cat along dim {d}: sizes must agree on every other dimension, got shapes "
                             f"{[t.shape for t in ts]}")
    return ops.Cat.apply(*ts, dim=d)


def concatenate(arrays: Sequence[Any], axis: int | None = 0, *, dim: int | None = None) -> Tensor:
    """NumPy's name for :func:`cat`. As in NumPy, ``axis=None`` flattens every input first.
    Backward: each input receives its slice of the gradient (reshaped back if flattened)."""
    if dim is not None:
        if axis not in (0, None):
            raise TypeError("concatenate() got both axis= and dim=; they mean the same, pass one of them")
        axis = dim
    if axis is None:
        return cat([t.reshape(-1) for t in _tensors(arrays, "concatenate")], dim=0)
    return cat(arrays, dim=axis)


def stack(tensors: Sequence[Any], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis ``dim`` (default 0, in [-ndim-1, ndim]).

    Backward: input i receives the gradient indexed at position i of the new axis.
    """
    d, _ = resolve_axis(axis, dim, default=0)
    ts = _tensors(tensors, "stack")
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(f"stack needs tensors of one shape, got shapes {[t.shape for t in ts]}")
    return ops.Stack.apply(*ts, dim=normalize_axis(d, ts[0].ndim + 1, "stack: dim"))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """``x`` where the boolean ``condition`` is True, else ``y`` (all three broadcast together;
    either of x and y may be a number, which takes the other's float dtype).

    Backward: the gradient flows to x where the condition holds and to y elsewhere; the input
    not picked gets an exact 0 (not g·0). The condition is a constant.
    """
    c = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if c.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {c.dtype}; compare first, "
                        "e.g. where(x > 0, x, 0.0)")
    xt, yt = _operand(x, y), _operand(y, x)
    try:
        np.broadcast_shapes(c.shape, xt.shape, yt.shape)
    except ValueError:
        raise ValueError(f"where: condition, x and y do not broadcast together: shapes {c.shape}, "
                         f"{xt.shape} and {yt.shape}") from None
    return ops.Where.apply(xt, yt, condition=c)


def _operand(v: Any, other: Any) -> Tensor:
    """``v`` as a tensor; a Python number takes ``other``'s floating dtype (as NumPy treats it)."""
    if isinstance(v, Tensor):
        return v
    if type(v) in (int, float, bool) and isinstance(other, Tensor) and other.dtype.kind == "f":
        return Tensor(np.asarray(v, dtype=other.dtype))
    return Tensor(v)


_REQUIRED: Any = object()  # take_along_axis's axis has no default (None means "flattened")


def take_along_axis(t: Any, indices: Any, axis: Any = _REQUIRED, *, dim: Any = None) -> Tensor:
    """NumPy's ``take_along_axis``: pick ``t``'s entries along ``axis`` at ``indices`` (an integer
    tensor with t's number of dimensions, broadcast against t on the other axes; negative
    indices count from the end). ``axis=None`` works on the flattened t with 1-D indices.

    Backward: the gradient added at the picked positions (repeats add up). ``dim=`` is accepted
    for ``axis`` (one of them must be given).
    """
    if axis is _REQUIRED and dim is None:
        raise TypeError("take_along_axis() needs axis= (an int, or None for the flattened tensor)")
    if axis is not _REQUIRED and dim is not None:
        raise TypeError(f"give the axis once: axis={axis!r} (NumPy's name) or dim={dim!r} (PyTorch's), "
                        "not both")
    axis = dim if axis is _REQUIRED else axis
    t = t if isinstance(t, Tensor) else Tensor(t)
    idx = ops.index_array(indices, "take_along_axis")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"take_along_axis with axis=None needs 1-D indices, got shape {idx.shape}")
        t, axis = t.reshape(-1), 0
    if idx.ndim != t.ndim:
        raise ValueError(f"take_along_axis: indices must have as many dimensions as the tensor, got "
                         f"indices shape {idx.shape} for tensor shape {t.shape}")
    if t.ndim == 0:
        raise ValueError("take_along_axis needs a tensor of at least one dimension (or axis=None)")
    a = normalize_axis(axis, t.ndim, "take_along_axis: axis")
    n = t.shape[a]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise TensorIndexError(f"take_along_axis: indices must lie in [{-n}, {n - 1}] for axis {axis} "
                               f"of shape {t.shape}, got values in [{idx.min()}, {idx.max()}]")
    others = tuple(m for i, m in enumerate(t.shape) if i != a)
    idx_others = tuple(m for i, m in enumerate(idx.shape) if i != a)
    try:
        np.broadcast_shapes(others, idx_others)
    except ValueError:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} do not broadcast against the "
                         f"tensor of shape {t.shape} on the axes other than {a}") from None
    grid = np.ogrid[tuple(slice(m) for m in t.shape)]
    out: Tensor = t[tuple(idx if i == a else g for i, g in enumerate(grid))]
    return out


def split(tensor: Tensor, split_size_or_sections: Any, dim: Any = None, *, axis: Any = None
          ) -> tuple[Tensor, ...]:
    """PyTorch's ``torch.split``: see :meth:`Tensor.split` (not ``np.split``: an int here is the
    size of each piece, not the number of pieces). Backward: each piece's gradient lands in its
    part of the input."""
    return tensor.split(split_size_or_sections, dim, axis=axis)


def chunk(tensor: Tensor, chunks: int, dim: Any = None, *, axis: Any = None) -> tuple[Tensor, ...]:
    """PyTorch's ``torch.chunk``: see :meth:`Tensor.chunk`. Backward: each piece's gradient lands
    in its part of the input."""
    return tensor.chunk(chunks, dim, axis=axis)


def pad(x: Any, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """PyTorch's ``functional.pad``: add ``value`` around ``x`` (None means 0, as in PyTorch).
    ``pad`` lists (before, after) widths starting from the LAST axis: ``(1, 2)`` pads the last
    axis with 1 in front and 2 behind, ``(1, 1, 0, 3)`` also pads the axis before it. Negative
    widths crop. Only ``mode="constant"`` exists here.

    Backward: the gradient with the padding cut off (and zeros where x was cropped).
    """
    if mode != "constant":
        raise ValueError(f"pad: mode {mode!r} is not supported; only mode='constant' is implemented")
    x = x if isinstance(x, Tensor) else Tensor(x)
    widths = list(pad)
    if any(not isinstance(w, (int, np.integer)) or isinstance(w, bool) for w in widths):
        raise TypeError(f"pad: widths must be ints, got {tuple(widths)!r}")
    if len(widths) % 2 or len(widths) // 2 > x.ndim:
        raise ValueError(f"pad: needs an even number of widths, at most 2 per dimension of the input "
                         f"(shape {x.shape}), got {len(widths)}: {tuple(widths)!r}")
    per_axis = [(0, 0)] * x.ndim
    for k in range(len(widths) // 2):
        per_axis[x.ndim - 1 - k] = (int(widths[2 * k]), int(widths[2 * k + 1]))
    for d, ((b, a), n) in enumerate(zip(per_axis, x.shape)):
        if n + b + a < 0 or (b < 0 and -b > n) or (a < 0 and -a > n):
            raise ValueError(f"pad: widths {(b, a)} would give dimension {d} of size {n} a negative size")
    return ops.Pad.apply(x, widths=tuple(per_axis), value=0.0 if value is None else value)
