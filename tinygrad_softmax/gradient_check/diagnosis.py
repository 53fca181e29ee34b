"""Diagnosis: recognising the usual mistakes from a wrong gradient and a right one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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



# ---- findings for check_derivation ------------------------------------------------------------
@dataclass
class Finding:
    """One recognised mistake: ``kind`` is machine-readable, ``message`` a sentence for people.

    Kinds: ``scale``, ``sign``, ``transpose``, ``extra_term``, ``missing_term``,
    ``offset_along_axis``, ``subset``, ``zero``, ``nonfinite`` (and ``shape`` for a backward that
    returned the wrong shape, in :func:`find_wrong_backward`).
    """

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass
class Context:
    """What the diagnosis may relate a wrong gradient to: the inputs by name (float arrays, numbers,
    integer label arrays) and the name of the input differentiated."""

    name: str
    arrays: dict[str, np.ndarray]     # floating arrays among the inputs
    numbers: dict[str, float]         # scalar inputs (e.g. reg)
    labels: dict[str, np.ndarray]     # 1-D integer arrays (e.g. y)


def _near_int(v: float) -> int | None:
    r = round(v)
    return int(r) if r >= 2 and abs(v - r) <= 1e-6 * r else None


def _scalar_name(k: float, ctx: Context) -> str:
    """' (= reg)' when |k| is one of the scalar inputs."""
    for nm, v in ctx.numbers.items():
        if v != 0 and abs(abs(k) - abs(v)) <= 1e-6 * abs(v):
            return f" (= {nm})"
    return ""


def _where(idx: np.ndarray, shape: tuple[int, ...], limit: int = 6) -> str:
    items = [_tuple_str(tuple(int(i) for i in np.unravel_index(int(j), shape))) for j in idx[:limit]]
    return ", ".join(items) + (", ..." if idx.size > limit else "")


def _ranges(values: np.ndarray, limit: int = 8) -> str:
    v = [int(x) for x in values[:limit]]
    return ", ".join(map(str, v)) + (", ..." if values.size > limit else "")


def diagnose(suspect: np.ndarray, right: np.ndarray, tol: np.ndarray | float, ctx: Context,
             who: str = "your gradient") -> list[Finding]:
    """Name the mistake that turns ``right`` into ``suspect``, judged at tolerance ``tol`` (a scalar
    or one per entry). Tries, in order: non-finite values, all zero, a sign, a constant factor, a
    transpose, a term proportional to an input (extra or missing, with its coefficient), a constant
    offset (along every axis or one), and finally which entries are wrong (the subset)."""
    name = ctx.name
    if suspect.shape != right.shape:
        return []
    if not np.isfinite(suspect).all():
        bad = np.flatnonzero(~np.isfinite(suspect.reshape(-1)))
        return [Finding("nonfinite", f"{who} has {bad.size} non-finite entries (NaN or inf) of "
                        f"{suspect.size}, "
                        f"at {name}{_where(bad, suspect.shape)}: an overflow (exp of a large score without "
                        "subtracting the max?), a division by zero or a log of 0")]
    if not np.isfinite(right).all():
        return []
    tol_arr = np.broadcast_to(np.asarray(tol, dtype=np.float64), right.shape)

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.all(np.abs(a - b) <= tol_arr))

    if close(suspect, right):
        return []
    if not suspect.any():
        return [Finding("zero", f"{who} is all zero, but the right gradient is not (max |entry| "
                        f"{np.abs(right).max():.3g}): is the gradient array created but never filled, "
                        "or overwritten with zeros?")]
    if right.any() and close(-suspect, right):
        return [Finding("sign", f"sign error: {who} is exactly the negative of the right gradient")]
    c = float(np.vdot(suspect, right) / np.vdot(suspect, suspect))
    if right.any() and close(c * suspect, right):
        k = 1.0 / c if c != 0 else float("inf")
        hint = ""
        big, small = _near_int(k), _near_int(c)
        dims = {int(n) for a in ctx.arrays.values() for n in a.shape}
        dims |= {len(v) for v in ctx.labels.values()}
        if big is not None:
            hint = f" (a missing 1/{big}{' — 1/N, N the number of samples?' if big in dims else ''})"
        elif small is not None:
            hint = f" (a factor {small} missing, or a division by {small} too many)"
        elif abs(k - 0.5) < 1e-6 or abs(k - 2) < 1e-6:
            hint = " (a factor 2 from the derivative of a square?)"
        return [Finding("scale", f"{who} = {k:.6g} × the right gradient{hint}")]
    if suspect.ndim == 2 and suspect.shape[0] == suspect.shape[1] and close(suspect.T, right):
        return [Finding("transpose", f"{who} is the transpose of the right gradient")]
    d = suspect - right
    # a term proportional to an input
    for xname, x in ctx.arrays.items():
        if x.shape == d.shape and x.any():
            k = float(np.vdot(d, x) / np.vdot(x, x))
            if close(suspect - k * x, right):
                return [_term_finding(k, xname, ctx, who)]
    offsets = _offset(d, close, suspect, right, who)
    if offsets:
        return offsets
    # both: a constant offset and a term proportional to an input (np.sum(W) where W belongs)
    for xname, x in ctx.arrays.items():
        if x.shape != d.shape or not x.any():
            continue
        basis = np.stack([np.ones(d.size), x.reshape(-1)], axis=1)
        (c0, k2), *_ = np.linalg.lstsq(basis, d.reshape(-1), rcond=None)
        if close(suspect - c0 - k2 * x, right):
            total = float(x.sum())
            also = (f" = {abs(k2):.6g} × np.sum({xname}): np.sum({xname}) where {xname} belongs?"
                    if total != 0 and abs(c0 / total + k2) <= 1e-6 * abs(k2) else "")
            return [Finding("offset_along_axis", f"every entry of {who} is off by the same {c0:.6g}{also}"),
                    _term_finding(float(k2), xname, ctx, who)]
    return _subset(d, tol_arr, ctx, who)


def _term_finding(k: float, xname: str, ctx: Context, who: str) -> Finding:
    named = _scalar_name(k, ctx)
    if k > 0:
        return Finding("extra_term", f"{who} has an extra term {k:.6g} × {xname}{named}: your gradient − the "
                       f"right one = {k:.6g}·{xname} (a regularisation term added twice, or one that "
                       "does not belong?)")
    return Finding("missing_term", f"{who} is missing a term {-k:.6g} × {xname}{named}: the right gradient = "
                   f"yours + {-k:.6g}·{xname} (a regularisation term such as reg·{xname} forgotten?)")


def _offset(d: np.ndarray, close: Callable[[np.ndarray, np.ndarray], bool], suspect: np.ndarray,
            right: np.ndarray, who: str) -> list[Finding]:
    c = float(d.mean())
    if close(suspect - c, right):
        return [Finding("offset_along_axis", f"every entry of {who} is off by the same {c:.6g} (a scalar "
                        "added where an array belongs, e.g. np.sum(...) of an array instead of the array?)")]
    for axis in range(d.ndim if d.ndim >= 2 else 0):
        m = d.mean(axis=axis, keepdims=True)
        if close(suspect - m, right):
            what = {0: "every row", 1: "every column"}.get(axis, f"every slice along axis {axis}")
            return [Finding("offset_along_axis", f"the error of {who} is constant along axis {axis} ({what} "
                            f"is off by the same vector): a term missing from a mean over axis {axis}, "
                            "or a vector added along it (a broadcast that should have been a sum?)")]
    return []


def _support_message(bad: np.ndarray, ctx: Context, space: str) -> str | None:
    """What the wrong entries of a 2-D (N, C) error share, when labels y are among the inputs."""
    rows, cols = np.nonzero(bad)
    for yname, y in ctx.labels.items():
        if bad.shape[0] != len(y) or y.size == 0 or y.min() < 0 or y.max() >= bad.shape[1]:
            continue
        correct = np.zeros(bad.shape, dtype=bool)
        correct[np.arange(len(y)), y] = True
        if np.array_equal(bad, correct) or (bad.any() and not (bad & ~correct).any()):
            return (f"only the entries of the correct classes ({space}[i, {yname}[i]]) are wrong: the "
                    "correct-class term (the −1 of S − Y) is missing or wrong")
        label_rows = np.unique(y)
        rows_ok = set(np.unique(rows)) <= set(label_rows) | set(np.flatnonzero((bad & correct).any(axis=1)))
        if rows_ok and np.isin(label_rows, rows).all() and bad[label_rows].sum() > len(label_rows):
            return (f"the wrong entries are whole rows {_ranges(label_rows)} (the label values) and the "
                    f"correct-class entries: {space}[{yname}] indexes rows by label; write "
                    f"{space}[np.arange(N), {yname}]")
    return None


def _subset(d: np.ndarray, tol: np.ndarray, ctx: Context, who: str) -> list[Finding]:
    bad = np.abs(d) > tol
    n_bad = int(bad.sum())
    if n_bad == 0:
        return []
    # dW = Xᵀ·dscores: recover the error in the scores' gradient when X has no more rows than columns
    if d.ndim == 2:
        for xname, X in ctx.arrays.items():
            if X.ndim == 2 and X.shape[1] == d.shape[0] and X.shape[0] <= X.shape[1] and xname != ctx.name:
                E, *_ = np.linalg.lstsq(X.T, d, rcond=None)
                if np.all(np.abs(X.T @ E - d) <= tol):
                    scale = np.abs(E).max()
                    msg = _support_message(np.abs(E) > 1e-6 * scale, ctx, "dscores")
                    if msg:
                        return [Finding("subset", f"{who} = {xname}ᵀ·dscores with a wrong dscores: {msg}")]
    if n_bad == d.size:
        return []
    where = ""
    if d.ndim == 2:
        msg = _support_message(bad, ctx, ctx.name)
        if msg:
            return [Finding("subset", f"{n_bad} of {d.size} entries of {who} are wrong: {msg}")]
        rows, cols = np.unique(np.nonzero(bad)[0]), np.unique(np.nonzero(bad)[1])
        if rows.size < d.shape[0]:
            where = f"; only rows {_ranges(rows)} of {d.shape[0]}"
        if cols.size < d.shape[1]:
            where += f"; only columns {_ranges(cols)} of {d.shape[1]}"
    else:
        where = f": at {ctx.name}{_where(np.flatnonzero(bad), d.shape)}"
    return [Finding("subset", f"only {n_bad} of {d.size} entries of {who} are wrong{where}")]


def diagnose_sampled(suspect: np.ndarray, probes: np.ndarray, measured: np.ndarray, tol: np.ndarray,
                     ctx: Context, who: str = "your gradient") -> list[Finding]:
    """The diagnosis when only a few linear measurements ``measured ≈ probes @ right`` are known (the
    sampled mode without autodiff): each candidate mistake fits at most two numbers on them and must
    then explain every measurement."""
    s = suspect.reshape(-1)
    if not np.isfinite(s).all():
        return diagnose(suspect, np.zeros_like(suspect), 0.0, ctx, who)
    ps = probes @ s

    def explains(pred: np.ndarray) -> bool:
        return bool(np.all(np.abs(pred - measured) <= tol))

    if explains(ps):
        return []
    if not s.any():
        return [Finding("zero", f"{who} is all zero, but the finite differences are not")]
    if explains(-ps):
        return [Finding("sign", f"sign error: {who} is exactly the negative of the right gradient")]
    if ps.any():
        c = float(ps @ measured / (ps @ ps))
        if explains(c * ps):
            return [Finding("scale", f"{who} = {1 / c:.6g} × the right gradient (judged on the sampled "
                            "directions and entries)")]
    for xname, x in ctx.arrays.items():
        if x.size != s.size or x.shape != suspect.shape:
            continue
        px = probes @ x.reshape(-1)
        if px.any():
            k = float(px @ (ps - measured) / (px @ px))
            if explains(ps - k * px):
                return [_term_finding(k, xname, ctx, who)]
    p1 = probes.sum(axis=1)
    if p1.any():
        c = float(p1 @ (ps - measured) / (p1 @ p1))
        if explains(ps - c * p1):
            return [Finding("offset_along_axis", f"every entry of {who} is off by the same {c:.6g} (judged "
                            "on the sampled directions and entries)")]
    return []
