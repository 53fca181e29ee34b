"""Independent NumPy oracles for the cross-entropy tests (no tinygrad_softmax, no torch).

``torch_cross_entropy`` re-states PyTorch's documented formulas for ``F.cross_entropy`` the way
PyTorch composes them: an ``nll_loss`` term on log-softmax (with its weighted-mean denominator and
``ignore_index``), plus, for label smoothing, a separately reduced "smooth" term; probability targets
use their own formula whose mean divides by the number of samples. It loops over samples on purpose,
so it shares no vectorised code path with the implementation under test.
"""

from __future__ import annotations

import numpy as np


def np_log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def np_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _reduce(per: np.ndarray, reduction: str, denominator: float) -> np.ndarray:
    if reduction == "none":
        return per
    if reduction == "sum":
        return np.asarray(per.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.float64(per.sum()) / np.float64(denominator))


def torch_cross_entropy(x: np.ndarray, t: np.ndarray, weight: np.ndarray | None = None,
                        ignore_index: int = -100, reduction: str = "mean",
                        label_smoothing: float = 0.0) -> np.ndarray:
    """PyTorch's F.cross_entropy in float64, from its formulas."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t)
    if x.ndim == 1:  # unbatched: one sample
        out = torch_cross_entropy(x[None], t[None], weight, ignore_index, reduction, label_smoothing)
        return out[0] if reduction == "none" else out
    c = x.shape[1]
    eps = label_smoothing
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    w_b = w.reshape((1, c) + (1,) * (x.ndim - 2))
    logp = np_log_softmax(x, axis=1)
    if t.shape == x.shape:  # class probabilities
        tt = t * (1 - eps) + eps / c if eps > 0 else t
        per = -(logp * tt * w_b).sum(axis=1)
        return _reduce(per, reduction, x.size / c)
    per_nll = np.zeros(t.shape)
    total_weight = 0.0
    for idx in np.ndindex(t.shape):
        y = int(t[idx])
        if y == ignore_index:
            continue
        per_nll[idx] = -w[y] * logp[(idx[0], y) + idx[1:]]
        total_weight += w[y]
    nll = _reduce(per_nll, reduction, total_weight)
    if eps == 0:
        return nll
    smooth = -(logp * w_b).sum(axis=1)
    smooth[t == ignore_index] = 0.0
    smooth_red = _reduce(smooth, reduction, total_weight)
    return (1 - eps) * nll + smooth_red * (eps / c)


def central_difference(f, x: np.ndarray, upstream: np.ndarray | float = 1.0) -> np.ndarray:
    """d <upstream, f(x)> / dx by central differences in float64 (step 1e-6·max(1, |x_i|))."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(x[i]))
        old = x[i]
        x[i] = old + h
        up = np.sum(np.asarray(f(x)) * upstream)
        x[i] = old - h
        down = np.sum(np.asarray(f(x)) * upstream)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad
