"""Comparison and tolerances: when do two gradients agree?"""

from __future__ import annotations

import numpy as np

from .reports import DerivationCheck, InputCheck


def _compare(check: InputCheck, a: np.ndarray, n: np.ndarray, out_shape: tuple[int, ...],
             atol: float, rtol: float) -> np.ndarray:
    """Fill the error fields of ``check`` from Jacobians a and n; returns the mask of failing entries."""
    check.analytic, check.numerical = a, n
    with np.errstate(all="ignore"):
        err = np.abs(a - n)
        bad = ~(err <= atol + rtol * np.abs(n))  # NaN fails too
        big = np.abs(n) > atol
        rel = np.where(big, err / np.where(big, np.abs(n), 1.0), 0.0)
    check.n_entries, check.n_elements = a.size, a.shape[1]
    check.n_failed_entries = int(bad.sum())
    check.n_failed = int(bad.any(axis=0).sum())
    if a.size == 0:
        return bad
    check.max_abs_error = float(np.nanmax(np.where(np.isnan(err), np.inf, err)))
    check.max_rel_error = float(np.max(np.where(np.isnan(rel), np.inf, rel)))
    with np.errstate(all="ignore"):
        excess = np.where(np.isnan(err), np.inf, err / (atol + rtol * np.abs(n)))
    k, j = np.unravel_index(int(np.argmax(excess)), a.shape)
    check.worst_output_index = tuple(int(i) for i in np.unravel_index(k, out_shape)) if out_shape else ()
    check.worst_index = tuple(int(i) for i in np.unravel_index(j, check.shape)) if check.shape else ()
    check.analytic_value, check.numerical_value = float(a[k, j]), float(n[k, j])
    if not np.isfinite(n).all():
        check.notes.append("the finite differences are not finite somewhere: fn is undefined within eps "
                           "of the point (outside its domain, e.g. log of a number <= 0?)")
    if not np.isfinite(a).all():
        check.notes.append("the analytic gradient is not finite somewhere")
    return bad

def _verdict(c: DerivationCheck, atol: float, rtol: float) -> None:
    def close(a: np.ndarray | None, b: np.ndarray | None, key: str) -> bool:
        if a is None or b is None or a.shape != b.shape:
            c.max_diff[key] = float("inf")
            return False
        c.max_diff[key] = float(np.max(np.abs(a - b), initial=0.0))
        return bool(np.allclose(a, b, atol=atol, rtol=rtol))

    ha = close(c.expected, c.autodiff, "hand/autodiff")
    hf = close(c.expected, c.numerical, "hand/fd")
    af = close(c.autodiff, c.numerical, "autodiff/fd")
    c.agree = {"hand/autodiff": ha, "hand/fd": hf, "autodiff/fd": af}
    if ha and hf and af:
        c.culprit, c.verdict = None, "all three agree"
    elif af and not (ha or hf):
        c.culprit = "hand-derived"
        c.verdict = ("your hand-derived gradient is wrong: autodiff and finite differences agree "
                     "with each other but not with it")
    elif hf and not (ha or af):
        c.culprit = "autodiff"
        c.verdict = ("autodiff is wrong: your derivation agrees with finite differences, so a backward "
                     "inside fn is wrong (run gradcheck on its parts)")
    elif ha and not (hf or af):
        c.culprit = "finite differences"
        c.verdict = ("the finite differences disagree with both analytic gradients: fn is probably not "
                     "differentiable at this point (a kink or tie), or eps is too small/large")
    else:
        c.culprit = "all three"
        c.verdict = "all three disagree with each other"
