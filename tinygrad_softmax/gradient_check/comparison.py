"""Comparison and tolerances: when do two gradients agree?"""

from __future__ import annotations

from typing import Any

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

EXACT_RTOL_FLOAT64 = 1e-10   # ~4.5e5 ulps: room for reordered sums, still 100x below a 1e-8 mistake
EXACT_ULPS_LOW = 64          # float32 and below: a few ulps per term, accumulated over a batch


def exact_tolerance(scale: float, dtype: np.dtype[Any]) -> float:
    """How far two exact computations of one gradient (hand-derived and autodiff) may differ: their
    rounding only, relative to the gradient's scale (its largest entry)."""
    rel = EXACT_RTOL_FLOAT64 if dtype.itemsize >= 8 else EXACT_ULPS_LOW * float(np.finfo(dtype).eps)
    return rel * max(scale, float(np.finfo(np.float64).tiny))


def fd_tolerance(reference: np.ndarray, atol: float, rtol: float, noise: np.ndarray | float) -> np.ndarray:
    """How far a gradient may be from central differences: ``atol + rtol·|reference|`` plus the
    rounding of the differences themselves, ``noise`` ≈ ε·|f|/h (large when the loss is large)."""
    return atol + rtol * np.abs(reference) + noise


def _excess(a: np.ndarray | None, b: np.ndarray | None, tol: np.ndarray | float) -> float:
    """max |a − b| / tol (inf for a missing or misshapen side): ≤ 1 means they agree."""
    if a is None or b is None or a.shape != b.shape:
        return float("inf")
    with np.errstate(all="ignore"):
        r = np.abs(a - b) / tol
    return float(np.nanmax(np.where(np.isnan(r), np.inf, r), initial=0.0))


def _verdict(c: DerivationCheck, *, exact_tol: float, fd_tol: np.ndarray | float,
             hand_fd: float | None = None, auto_fd: float | None = None, trust_autodiff: bool = True,
             fd_sampled: bool = False) -> None:
    """Fill ``agree``, ``max_diff``, ``culprit`` and ``verdict``. Hand vs autodiff is judged at the
    exact tolerance, the pairs with finite differences at ``fd_tol``. ``hand_fd``/``auto_fd`` give
    the excess over ``fd_tol`` when it was measured elsewhere (the sampled mode). When hand and
    autodiff differ by less than finite differences can resolve, autodiff is trusted if
    ``trust_autodiff`` (built-in ops only) and the verdict is "undecided" otherwise."""
    e, a, n = c.expected, c.autodiff, c.numerical

    def maxdiff(x: np.ndarray | None, y: np.ndarray | None) -> float:
        if x is None or y is None or x.shape != y.shape:
            return float("inf")
        with np.errstate(invalid="ignore"):
            return float(np.nanmax(np.abs(x - y), initial=0.0))

    c.exact_tol = exact_tol
    x_hf = _excess(e, n, fd_tol) if hand_fd is None else hand_fd
    x_af = _excess(a, n, fd_tol) if auto_fd is None else auto_fd
    hf, af = x_hf <= 1, x_af <= 1
    fd_word = "the sampled finite differences" if fd_sampled else "finite differences"
    if a is None:  # no autodiff: your gradient against finite differences only
        c.agree = {"hand/fd": hf}
        c.max_diff = {"hand/fd": maxdiff(e, n)}
        if hf:
            c.culprit, c.verdict = None, f"your gradient agrees with {fd_word}"
        else:
            c.culprit, c.verdict = "hand-derived", f"your hand-derived gradient disagrees with {fd_word}"
        return
    ha = _excess(e, a, exact_tol) <= 1
    c.agree = {"hand/autodiff": ha, "hand/fd": hf, "autodiff/fd": af}
    c.max_diff = {"hand/autodiff": maxdiff(e, a), "hand/fd": maxdiff(e, n), "autodiff/fd": maxdiff(a, n)}
    if ha and af:
        c.culprit, c.verdict = None, "all three agree"
    elif ha:
        c.culprit = "finite differences"
        c.verdict = ("the finite differences disagree with both analytic gradients: fn is probably not "
                     "differentiable at this point (a kink or tie), or eps is too small/large")
    elif af and (x_af * 4 <= x_hf or x_hf > 1):
        c.culprit = "hand-derived"
        c.verdict = (f"your hand-derived gradient is wrong: autodiff and {fd_word} agree with each other "
                     "but not with it")
    elif hf and (x_hf * 4 <= x_af or x_af > 1):
        c.culprit = "autodiff"
        c.verdict = ("autodiff is wrong: your derivation agrees with finite differences, so a backward "
                     "inside fn is wrong (run gradcheck or find_wrong_backward on its parts)")
    elif hf and af:
        if trust_autodiff:
            c.culprit = "hand-derived"
            c.verdict = ("your hand-derived gradient is wrong: it differs from autodiff by more than "
                         "rounding (finite differences are too coarse to see the difference; autodiff of "
                         "built-in ops is exact to rounding)")
        else:
            c.culprit = "undecided"
            c.verdict = ("your gradient and autodiff differ by more than rounding, but by less than finite "
                         "differences can resolve; fn has custom Functions: check them with gradcheck")
    else:
        c.culprit = "all three"
        c.verdict = "all three disagree with each other"
