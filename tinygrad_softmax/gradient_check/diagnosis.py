"""Diagnosis: recognising the usual mistakes from a wrong gradient and a right one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .finite_differences import _Differences, _differences
from .reports import InputCheck, _tuple_str


def _diagnose_kinks(check: InputCheck, bad: np.ndarray, diff: _Differences, call: Callable[..., Any],
                    base: list[Any], pos: int, eps: float, atol: float, rtol: float,
                    limit: int = 10) -> None:
    """For failing elements: one-sided differences that disagree, and keep disagreeing at a 4× smaller
    step, mean fn is not differentiable there (a kink such as relu at 0, or a tie / near-tie in a
    max); a wrong gradient would show no such jump. Reported as a note, not as a verdict."""
    cols = np.flatnonzero(bad.any(axis=0))[:limit]
    if cols.size == 0:
        return
    small = _differences(call, base, pos, eps / 4, elements=[int(j) for j in cols])
    for i, j in enumerate(cols):
        jump = np.abs(diff.forward[:, j] - diff.backward[:, j])
        jump_small = np.abs(small.forward[:, i] - small.backward[:, i])
        scale = atol + rtol * np.maximum(np.abs(diff.forward[:, j]), np.abs(diff.backward[:, j]))
        if np.any((jump > scale) & (jump_small > 0.5 * jump)):
            idx = tuple(int(t) for t in np.unravel_index(int(j), check.shape)) if check.shape else ()
            check.kinks.append(idx)
    if check.kinks:
        where = ", ".join(f"{check.name or 'x'}{_tuple_str(k)}" for k in check.kinks[:5])
        check.notes.append(
            f"kink at {where}: the one-sided differences disagree and keep disagreeing as the step shrinks, "
            "so fn is not differentiable at (or within eps of) this point - a kink like relu at 0, or a "
            "(near-)tie in a max. Finite differences are meaningless there; check at another point "
            "(e.g. tinygrad_softmax.testing.tie_free_arrays / arrays_away_from).")


def _hints(suspect: np.ndarray, right: np.ndarray, x: np.ndarray | None, name: str, who: str,
           atol: float, rtol: float) -> list[str]:
    """Recognise the usual derivation slips by comparing a wrong gradient with a right one: a sign,
    a constant factor (a missing 1/N or 2), a transpose, or a missing term proportional to the
    input itself (a forgotten λ·W)."""
    if suspect.shape != right.shape or not (np.isfinite(suspect).all() and np.isfinite(right).all()):
        return []

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.allclose(a, b, atol=atol, rtol=rtol))

    if not right.any():
        return []
    if close(-suspect, right):
        return [f"sign error: {who} is exactly the negative of the right gradient"]
    if suspect.any():
        c = float(np.vdot(suspect, right) / np.vdot(suspect, suspect))
        if close(c * suspect, right):
            return [f"constant factor: the right gradient is {c:.6g} × {who} (a missing 1/N, 2 or scale?)"]
    if suspect.ndim == 2 and suspect.shape[0] == suspect.shape[1] and close(suspect.T, right):
        return [f"transpose: {who} is the transpose of the right gradient"]
    d = right - suspect
    if x is not None and x.shape == d.shape and x.any():
        k = float(np.vdot(d, x) / np.vdot(x, x))
        if close(k * x, d):
            return [f"missing term: the right gradient = {who} + {k:.6g} × {name} (a regularization term "
                    "such as λ·W forgotten?)"]
    return []

