"""Hand-derived gradients: :func:`check_derivation`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._grad_mode import enable_grad
from ..tensor import Tensor
from .comparison import _verdict
from .diagnosis import _hints
from .errors import GradcheckError
from .finite_differences import _upstream, numerical_gradient
from .inputs import _as_output, _Inputs
from .reports import DerivationCheck, DerivationReport


def _resolve_expected(expected: Any, inp: _Inputs) -> dict[int, Any]:
    """Map the user's ``expected`` onto slot positions (see check_derivation)."""
    checked = [p for p, s in enumerate(inp.slots) if s.checked]
    if callable(expected) and not isinstance(expected, (np.ndarray, Tensor)):
        arrays = inp.float64_arrays()
        expected = (expected(**{s.key: a for s, a in zip(inp.slots, arrays)}) if inp.keywords
                    else expected(*arrays))
    if isinstance(expected, Mapping):
        out: dict[int, Any] = {}
        for key, val in expected.items():
            hits = [p for p, s in enumerate(inp.slots) if key in (s.key, s.name)]
            if not hits or not inp.slots[hits[0]].checked:
                raise ValueError(f"expected has an entry for {key!r}, which is not a checked input "
                                 f"(checked: {[inp.slots[p].label for p in checked]})")
            out[hits[0]] = val
        return out
    if isinstance(expected, (tuple, list)):
        numbers = all(isinstance(e, (int, float, np.number)) for e in expected)
        if not (len(checked) == 1 and numbers):
            if len(expected) == len(checked):
                return dict(zip(checked, expected))
            if len(expected) == len(inp.slots):
                return {p: e for p, e in enumerate(expected) if e is not None and inp.slots[p].checked}
            if len(checked) != 1:
                raise ValueError(f"expected has {len(expected)} entries, but there are {len(checked)} "
                                 f"checked inputs ({[inp.slots[p].label for p in checked]}) and "
                                 f"{len(inp.slots)} inputs in all; give one gradient per checked input "
                                 "(or a dict)")
    if len(checked) != 1:
        raise ValueError(f"a single expected gradient needs exactly one checked input, but "
                         f"{len(checked)} inputs are checked; pass a tuple or a dict")
    return {checked[0]: expected}


def check_derivation(fn: Callable[..., Tensor], inputs: Any, expected: Any, *, grad_output: Any = None,
                     eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, rows: int = 6,
                     raise_exception: bool = False) -> DerivationReport:
    """Compare a hand-derived gradient with autodiff and with finite differences, and say which of
    the three disagrees.

    ``fn`` and ``inputs`` are as for :func:`gradcheck`; ``fn`` must return one element (a loss) unless
    ``grad_output`` is given (then the gradient of Σ grad_output ⊙ fn). ``expected`` is your
    gradient: one array (one checked input), a tuple with one array per checked input (or per input,
    None for the fixed ones), a dict keyed by position or name, or a callable that takes the input
    arrays (floating ones as float64) and returns any of these.

    For each checked input the three gradients are compared pairwise; the verdict names the odd one
    out: your derivation (autodiff and finite differences agree), autodiff (a wrong backward in fn),
    or the finite differences (a kink or a too small/large eps). Returns a :class:`DerivationReport`
    (truthy when all agree; ``print`` it for the tables); ``raise_exception=True`` raises
    :class:`GradcheckError` on any disagreement instead.
    """
    inp = _Inputs(fn, inputs)
    inp.require_checked("check_derivation")
    inp.warn_precision("check_derivation", eps)
    leaves = inp.leaves()
    with enable_grad():
        out = _as_output(inp.call(fn, leaves))
    v = _upstream(grad_output, out.shape, "check_derivation")
    auto: dict[int, np.ndarray | None] = {}
    auto_error = None
    try:
        if out.requires_grad:
            out.backward(v.astype(out.dtype))
        for p, s in enumerate(inp.slots):
            if s.checked:
                g = leaves[p].grad
                auto[p] = np.zeros(s.value.shape) if g is None else np.asarray(g.data, np.float64)
    except Exception as err:  # noqa: BLE001 - a failing backward is one of the three disagreeing
        auto_error = f"backward raised {type(err).__name__}: {err}"
        auto = {p: None for p, s in enumerate(inp.slots) if s.checked}
    numerical = numerical_gradient(fn, inputs, eps, grad_output=v)
    hand = _resolve_expected(expected, inp)
    checks: list[DerivationCheck] = []
    for p, s in enumerate(inp.slots):
        if not s.checked or p not in hand:
            continue
        n = numerical if inp.single else numerical[s.key]
        e_raw = hand[p]
        e = np.asarray(e_raw.data if isinstance(e_raw, Tensor) else e_raw, dtype=np.float64)
        c = DerivationCheck(position=s.key, name=s.name if not inp.keywords else str(s.key), label=s.label,
                            shape=tuple(s.value.shape), expected=e, autodiff=auto[p], numerical=n)
        if e.shape != c.shape:
            c.notes.append(f"your gradient has shape {e.shape}, but the input has shape {c.shape} (a "
                           "gradient always has the shape of its input: a sum over the batch or a "
                           "transpose missing?)")
        if auto_error:
            c.notes.append(auto_error)
        _verdict(c, atol, rtol)
        if c.culprit in ("hand-derived", "autodiff"):
            suspect, right = (e, n) if c.culprit == "hand-derived" else (auto[p], n)
            who = "your gradient" if c.culprit == "hand-derived" else "autodiff's gradient"
            if suspect is not None:
                x = np.asarray(s.value, np.float64)
                c.notes += _hints(suspect, right, x, c.name or "x", who, atol, rtol)
        checks.append(c)
    report = DerivationReport(checks, atol, rtol, rows)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report

