"""Hand-derived gradients: :func:`check_derivation`, in two forms.

* The homework form, ``check_derivation(f, inputs, wrt=...)``: ``f`` is your own NumPy function
  returning ``(loss, grad)``. Your gradient is compared with autodiff (the same ``f`` run with the
  ``wrt`` inputs as Tensors) at the tolerance of two exact computations, and with finite differences
  of your own loss at theirs. If ``f`` cannot run on Tensors, the check falls back to finite
  differences alone, and says so.
* The three-way form, ``check_derivation(fn, inputs, expected)``: ``fn`` is written with Tensors and
  ``expected`` is your gradient.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._grad_mode import enable_grad
from ..tensor import Tensor
from .analytic import graph_nodes, is_custom
from .comparison import _excess, _verdict, exact_tolerance, fd_tolerance
from .diagnosis import Context, diagnose, diagnose_sampled
from .errors import GradcheckError
from .finite_differences import _differences, _upstream, numerical_gradient
from .inputs import _as_output, _Inputs, _parameter_names
from .reports import DerivationCheck, DerivationReport

FAST_THRESHOLD = 2048   # differentiated entries above which finite differences are sampled
N_DIRECTIONS = 4        # random directional derivatives in the sampled mode (PyTorch's fast gradcheck)
N_ENTRIES = 8           # single entries in the sampled mode (the classic course's sparse check)
_NOISE = 16 * float(np.finfo(np.float64).eps)   # rounding of one loss evaluation, times a margin
# autodiff itself is exact for built-in ops: when it disagrees with finite differences, part of the
# user's function did not run on Tensors and its contribution was silently left out of the graph
_PARTIAL = ("autodiff disagreed with finite differences for {name}: part of your function did not run on "
            "Tensors (a NumPy method such as X.dot(W) with X an array converts W to an array and drops its "
            "graph; write X @ W or np.dot(X, W)), so autodiff is not used")

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


def check_derivation(fn: Callable[..., Any], inputs: Any, expected: Any = None, *,
                     wrt: Any = None, grad_output: Any = None, eps: float = 1e-6, atol: float = 1e-5,
                     rtol: float = 1e-3, rows: int = 6, raise_exception: bool = False,
                     fast_mode: bool | None = None, seed: int = 0) -> DerivationReport:
    """Check a gradient you derived by hand, against autodiff and finite differences; say which of
    them disagrees and, when it is yours, name the mistake.

    **Homework form** (``expected`` omitted): ``fn`` is your own NumPy function returning ``(loss, grad)``,
    or ``(loss, {name: grad})`` for several inputs; ``inputs`` a tuple (passed positionally) or a dict
    (passed as keywords) of arrays and numbers; ``wrt`` names the inputs to differentiate (a name, a
    position or a list of them; default: the first floating-point array). Every other input is a
    constant. The autodiff side calls the same ``fn`` with the ``wrt`` inputs as Tensors (NumPy calls
    on Tensors dispatch to the engine); if that fails, or the loss comes back without a graph, the
    check falls back to finite differences of your own loss and says so in the report.

    **Three-way form**: ``fn`` takes Tensors and returns a Tensor (a loss, or anything with
    ``grad_output``); ``expected`` is your gradient: one array (one checked input), a tuple with one
    array per checked input (or per input, None for the fixed ones), a dict keyed by position or name,
    or a callable that takes the input arrays (floating ones as float64) and returns any of these.
    ``wrt`` restricts which inputs are checked.

    **Tolerances.** Your gradient and autodiff are two exact computations: they must agree to rounding,
    ~1e-10 of the gradient's scale (its largest entry) in float64, a few ulps of it in float32 (see
    :func:`~tinygrad_softmax.gradient_check.comparison.exact_tolerance`). The finite differences agree
    with either to ``atol + rtol·|g|`` plus their own rounding. Without autodiff only that looser
    comparison is possible, and the report says so.

    **Speed.** Above ``FAST_THRESHOLD`` differentiated entries (or with ``fast_mode=True``) the finite
    differences are sampled: ``N_DIRECTIONS`` random directional derivatives and ``N_ENTRIES`` single
    entries (``seed`` fixes them); the comparison with autodiff still covers every entry.

    Returns a :class:`DerivationReport`: truthy when everything agrees, printed (or shown at a prompt)
    as a table per input, with ``report.findings`` naming the mistakes. An exception in your function
    is reported as yours ("your function raised ... at file:line"). ``raise_exception=True`` raises
    :class:`GradcheckError` (carrying the report) instead of returning a failing report.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable that takes Tensors and returns a Tensor, got "
                        f"{type(fn).__name__} {fn!r}")
    if eps <= 0 or atol < 0 or rtol < 0:
        raise ValueError(f"need eps > 0, atol >= 0 and rtol >= 0, got eps={eps}, atol={atol}, rtol={rtol}")
    if expected is None:
        if grad_output is not None:
            raise TypeError("grad_output is for the three-way form; in the homework form fn returns a loss")
        report = _homework(fn, inputs, wrt, eps, atol, rtol, rows, fast_mode, seed)
    else:
        report = _three_way(fn, inputs, expected, wrt, grad_output, eps, atol, rtol, rows)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


# ---- the three-way form -------------------------------------------------------------------------
def _three_way(fn: Callable[..., Any], inputs: Any, expected: Any, wrt: Any, grad_output: Any, eps: float,
               atol: float, rtol: float, rows: int) -> DerivationReport:
    inp = _Inputs(fn, inputs)
    if wrt is not None:
        wanted = set(wrt) if isinstance(wrt, (list, tuple, set)) else {wrt}
        for s in inp.slots:
            s.checked = s.checked and bool({s.key, s.name} & wanted)
    inp.require_checked("check_derivation")
    inp.warn_precision("check_derivation", eps)
    leaves = inp.leaves()
    with enable_grad():
        out = _as_output(inp.call(fn, leaves))
    v = _upstream(grad_output, out.shape, "check_derivation")
    f0 = abs(float(np.dot(v.reshape(-1), np.asarray(out.data, np.float64).reshape(-1))))
    custom = sorted({ctx.name for ctx in graph_nodes(out) if is_custom(ctx)})
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
    numerical = numerical_gradient(fn, [s.value if s.checked or not s.is_array else Tensor(s.value)
                                        for s in inp.slots] if not inp.keywords else
                                   {s.key: (s.value if s.checked or not s.is_array else Tensor(s.value))
                                    for s in inp.slots}, eps, grad_output=v)
    hand = _resolve_expected(expected, inp)
    ctx = _context(inp)
    checks: list[DerivationCheck] = []
    for p, s in enumerate(inp.slots):
        if not s.checked or p not in hand:
            continue
        n = numerical[s.key] if inp.keywords else numerical[p]
        e_raw = hand[p]
        e = np.asarray(e_raw.data if isinstance(e_raw, Tensor) else e_raw, dtype=np.float64)
        name = str(s.key) if inp.keywords else s.name
        c = DerivationCheck(position=s.key, name=name, label=s.label,
                            shape=tuple(s.value.shape), expected=e, autodiff=auto[p], numerical=n)
        if e.shape != c.shape:
            c.notes.append(f"your gradient has shape {e.shape}, but the input has shape {c.shape} (a "
                           "gradient always has the shape of its input: a sum over the batch or a "
                           "transpose missing?)")
        if auto_error:
            c.notes.append(auto_error)
        x = np.asarray(s.value, np.float64)
        noise = _NOISE * f0 / (eps * np.maximum(1.0, np.abs(x)))
        fd_tol = fd_tolerance(n, atol, rtol, noise)
        scale = _scale(e, auto[p], n)
        _verdict(c, exact_tol=exact_tolerance(scale, s.value.dtype), fd_tol=fd_tol, trust_autodiff=not custom)
        if custom and c.culprit == "undecided":
            c.notes.append(f"custom Functions in fn: {', '.join(custom)}")
        ctx.name = c.name or "x"
        _judge(c, ctx, fd_tol)
        checks.append(c)
    return DerivationReport(checks, atol, rtol, rows, mode="full", autodiff=None)


def _scale(*arrays: np.ndarray | None) -> float:
    vals = [float(np.nanmax(np.abs(a), initial=0.0)) for a in arrays
            if a is not None and a.size and np.isfinite(a).any()]
    finite = [v for v in vals if np.isfinite(v)]
    return max(finite, default=0.0)


def _context(inp: _Inputs) -> Context:
    arrays, numbers, labels = {}, {}, {}
    for s in inp.slots:
        nm = str(s.key) if isinstance(s.key, str) else (s.name or f"x{s.key}")
        if s.is_array and s.value.dtype.kind == "f":
            if s.value.ndim == 0:
                numbers[nm] = float(s.value)
            else:
                arrays[nm] = np.asarray(s.value, np.float64)
        elif s.is_array and s.value.dtype.kind in "iu" and s.value.ndim == 1:
            labels[nm] = s.value
    return Context("x", arrays, numbers, labels)


def _judge(c: DerivationCheck, ctx: Context, fd_tol: np.ndarray | float) -> None:
    """Count the disagreeing entries and name the mistake of the culprit (full finite differences)."""
    e, a, n = c.expected, c.autodiff, c.numerical
    if e is None or e.shape != c.shape:
        return
    right, tol, c.compared_with = (a, c.exact_tol, "autodiff") if a is not None else \
        (n, fd_tol, "finite differences")
    assert tol is not None
    if right is not None:
        with np.errstate(invalid="ignore"):
            c.n_disagree = int((~(np.abs(e - right) <= tol)).sum())
        c.n_compared = e.size
    if c.culprit in ("hand-derived", "undecided") and right is not None:
        c.findings = diagnose(e, right, tol, ctx)
    elif c.culprit == "autodiff" and a is not None:
        c.findings = diagnose(a, n, fd_tol, ctx, who="autodiff's gradient")


# ---- the homework form --------------------------------------------------------------------------
class _UserError(Exception):
    """The user's function raised: the message says what and where."""


def _raised_at(err: BaseException) -> str:
    """'file:line (in function)' of the innermost frame outside this package and NumPy."""
    ours = tuple(os.path.dirname(d) + os.sep for d in
                 (os.path.dirname(os.path.abspath(__file__)), os.path.abspath(np.__file__)))
    frames = traceback.extract_tb(err.__traceback__)
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(ours)]
    f = (user or frames)[-1] if frames else None
    return "" if f is None else f" at {f.filename}:{f.lineno} (in {f.name})"


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}{_raised_at(err)}"


def _names_of(fn: Callable[..., Any]) -> list[str]:
    """fn's positional parameter names (for naming the inputs in reports)."""
    return [n for n in _parameter_names(fn, 64) if n is not None]


class _Homework:
    """The homework form's inputs: names, values, which are differentiated."""

    def __init__(self, fn: Callable[..., Any], inputs: Any, wrt: Any) -> None:
        self.fn = fn
        self.keywords = isinstance(inputs, Mapping)
        if self.keywords:
            self.names = [str(k) for k in inputs]
            values = list(inputs.values())
        elif isinstance(inputs, Sequence) and not isinstance(inputs, str):
            values = list(inputs)
            params = _names_of(fn)
            self.names = [params[i] if i < len(params) else f"input {i}" for i in range(len(values))]
        else:
            values, self.names = [inputs], (_names_of(fn) or ["input 0"])[:1]
        self.values = [v.data if isinstance(v, Tensor) else v for v in values]
        self.wrt = self._resolve_wrt(wrt)

    def _resolve_wrt(self, wrt: Any) -> list[int]:
        floating = [i for i, v in enumerate(self.values)
                    if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
        if wrt is None:
            if not floating:
                raise ValueError(f"check_derivation: no floating-point array among the inputs "
                                 f"{self.names} to differentiate; pass wrt=")
            return floating[:1]
        wanted = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
        out = []
        for w in wanted:
            i = self.names.index(w) if isinstance(w, str) and w in self.names else w
            if not isinstance(i, int) or not 0 <= i < len(self.values):
                raise ValueError(f"wrt={w!r} is not one of the inputs {self.names}")
            if i not in floating:
                raise ValueError(f"wrt={w!r}: {self.names[i]} is not a floating-point array "
                                 f"(got {type(self.values[i]).__name__}); only arrays can be differentiated")
            out.append(i)
        return out

    def call(self, replaced: dict[int, Any]) -> Any:
        args = [replaced.get(i, v) for i, v in enumerate(self.values)]
        if self.keywords:
            return self.fn(**dict(zip(self.names, args)))
        return self.fn(*args)

    def user_call(self, replaced: dict[int, Any]) -> Any:
        try:
            return self.call(replaced)
        except Exception as err:  # noqa: BLE001 - reported as the user's, with where it happened
            raise _UserError(f"your function raised {_describe(err)}") from err


def _split_result(out: Any, hw: _Homework) -> tuple[Any, dict[int, Any]]:
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise _UserError(f"your function must return (loss, grad), got {type(out).__name__}"
                         + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
    loss, grad = out
    names = [hw.names[i] for i in hw.wrt]
    if isinstance(grad, Mapping):
        missing = [n for n in names if n not in grad]
        if missing:
            raise _UserError(f"your gradient dict has keys {list(grad)}, but gradients with respect to "
                             f"{missing} are checked (wrt=)")
        return loss, {i: grad[hw.names[i]] for i in hw.wrt}
    if len(hw.wrt) == 1:
        return loss, {hw.wrt[0]: grad}
    if isinstance(grad, (tuple, list)) and len(grad) == len(hw.wrt):
        return loss, dict(zip(hw.wrt, grad))
    raise _UserError(f"{len(hw.wrt)} inputs are checked ({names}): return (loss, {{name: grad}})")


def _as_float_loss(loss: Any) -> float:
    arr = np.asarray(loss.data if isinstance(loss, Tensor) else loss, dtype=np.float64)
    if arr.size != 1:
        raise _UserError(f"your function's loss must be one number, got shape {arr.shape}")
    return float(arr.reshape(()))


def _homework(fn: Callable[..., Any], inputs: Any, wrt: Any, eps: float, atol: float, rtol: float,
              rows: int, fast_mode: bool | None, seed: int) -> DerivationReport:
    hw = _Homework(fn, inputs, wrt)
    snapshot = {i: np.array(v) for i, v in enumerate(hw.values) if isinstance(v, np.ndarray)}
    try:
        loss0, hand_raw = _split_result(hw.user_call({i: np.array(hw.values[i]) for i in hw.wrt}), hw)
        f0 = _as_float_loss(loss0)
        hand = {i: np.asarray(g.data if isinstance(g, Tensor) else g) for i, g in hand_raw.items()}
    except _UserError as err:
        return DerivationReport([], atol, rtol, rows, error=str(err))
    if not np.isfinite(f0):
        return DerivationReport([], atol, rtol, rows, error=(
            f"your function's loss is {f0} at these inputs, so there is no gradient to check (a "
            "probability that underflowed to 0 before its log? large scores need the log-sum-exp "
            "form, log p = s − max(s) − log Σ exp(s − max(s)); or check at smaller weights)"))
    auto, why_not = _autodiff(hw, f0)
    size = sum(hw.values[i].size for i in hw.wrt)
    sampled = size > FAST_THRESHOLD if fast_mode is None else fast_mode
    notes: list[str] = []
    rng = np.random.default_rng(seed)
    base = {i: np.array(hw.values[i], dtype=np.float64) for i in hw.wrt}

    def loss_at(arrays: list[Any]) -> np.ndarray:
        return np.array([_as_float_loss(_split_result(hw.user_call(dict(zip(hw.wrt, arrays))), hw)[0])])

    ctx = Context("x", {hw.names[i]: np.asarray(v, np.float64) for i, v in enumerate(hw.values)
                        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.ndim > 0},
                  {hw.names[i]: float(v) for i, v in enumerate(hw.values)
                   if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)},
                  {hw.names[i]: v for i, v in enumerate(hw.values)
                   if isinstance(v, np.ndarray) and v.dtype.kind in "iu" and v.ndim == 1})
    checks: list[DerivationCheck] = []
    try:
        arrays = [base[i] for i in hw.wrt]
        for pos, i in enumerate(hw.wrt):
            x = base[i]
            name = hw.names[i]
            e = np.asarray(hand[i], dtype=np.float64)
            a = auto.get(i) if auto is not None else None
            c = DerivationCheck(position=i if not hw.keywords else name, name=name, label=name,
                                shape=tuple(x.shape), expected=e, autodiff=a,
                                numerical=np.full(x.shape, np.nan))
            ctx.name = name
            checks.append(c)
            if e.shape != x.shape:
                c.notes.append(f"your gradient has shape {e.shape}, but {name} has shape {x.shape} (a "
                               "gradient always has the shape of its input: a sum over the batch or a "
                               "transpose missing?)")
                c.culprit, c.verdict = "hand-derived", "your gradient has the wrong shape"
                continue
            if not sampled:
                n = _differences(loss_at, arrays, pos, eps).central[0].reshape(x.shape)
                c.numerical = n
                fd_tol = fd_tolerance(n, atol, rtol, _NOISE * abs(f0) / (eps * np.maximum(1.0, np.abs(x))))
                if a is not None and _excess(a, n, fd_tol) > 1:
                    a = c.autodiff = None
                    why_not = why_not or _PARTIAL.format(name=name)
                exact_tol = exact_tolerance(_scale(e, a), np.asarray(hw.values[i]).dtype)
                _verdict(c, exact_tol=exact_tol, fd_tol=fd_tol)
                _judge(c, ctx, fd_tol)
                continue
            probes, measured, tol = _sample(loss_at, arrays, pos, eps, atol, rtol, f0, e, a, rng, c)
            auto_fd = None if a is None else _excess(probes @ a.reshape(-1), measured, tol)
            if auto_fd is not None and auto_fd > 1:
                a, auto_fd = None, None
                c.autodiff = None
                why_not = why_not or _PARTIAL.format(name=name)
            exact_tol = exact_tolerance(_scale(e, a), np.asarray(hw.values[i]).dtype)
            hand_fd = _excess(probes @ e.reshape(-1), measured, tol)
            _verdict(c, exact_tol=exact_tol, fd_tol=1.0, hand_fd=hand_fd, auto_fd=auto_fd, fd_sampled=True)
            if a is not None:
                _judge(c, ctx, tol)   # against autodiff: every entry
            else:
                c.compared_with, c.n_compared = "finite differences", measured.size
                c.n_disagree = int((np.abs(probes @ e.reshape(-1) - measured) > tol).sum())
                if c.culprit == "hand-derived":
                    c.findings = diagnose_sampled(e, probes, measured, tol, ctx)
    except _UserError as err:
        return DerivationReport([], atol, rtol, rows, error=str(err))
    changed = [hw.names[i] for i, v in snapshot.items()
               if not np.array_equal(hw.values[i], v, equal_nan=True)]
    if changed:
        notes.append(f"your function modified {', '.join(changed)} in place; the check is not valid")
        for c in checks:
            c.culprit = c.culprit or "hand-derived"
    mode = ("full" if not sampled else
            f"sampled ({N_DIRECTIONS} random directions + {N_ENTRIES} single entries per input)")
    if why_not is not None:
        notes.append("without autodiff your gradient is compared with finite differences only, at their "
                     f"tolerance (atol={atol:g}, rtol={rtol:g}): a mistake smaller than that passes unseen"
                     + (", and only the sampled directions and entries are compared" if sampled else ""))
    return DerivationReport(checks, atol, rtol, rows, mode=mode, autodiff=why_not, notes=notes)


def _autodiff(hw: _Homework, f0: float) -> tuple[dict[int, np.ndarray] | None, str | None]:
    """Run the user's function with the wrt inputs as Tensors and backpropagate; (gradients, None),
    or (None, why not)."""
    leaves = {i: Tensor(np.array(hw.values[i]), requires_grad=True) for i in hw.wrt}
    # the other floating arrays become constant Tensors: an ndarray method given a Tensor
    # (``X.T.dot(dscores)``) cannot dispatch to us, a Tensor's method can
    constants = {i: Tensor(v) for i, v in enumerate(hw.values)
                 if i not in leaves and isinstance(v, np.ndarray) and v.dtype.kind == "f"}
    try:
        with enable_grad():
            out = hw.call({**constants, **leaves})
        loss = out[0] if isinstance(out, (tuple, list)) and len(out) == 2 else out
        if not isinstance(loss, Tensor):
            return None, (f"your function returned a {type(loss).__name__} loss when given Tensors, so the "
                          "graph was dropped on the way (np.asarray, float(), .item() or a NumPy function "
                          "that does not dispatch to Tensors?)")
        if not loss.requires_grad:
            return None, ("the loss your function returned does not depend on the wrt inputs through the "
                          "graph: the graph was dropped on the way (np.asarray, .data, float() or .item() "
                          "of a value that depends on them?)")
        if loss.size != 1:
            return None, f"the loss has shape {loss.shape}, not one number"
        loss.backward()
    except Exception as err:  # noqa: BLE001 - any failure on Tensors means: no autodiff, say why
        return None, f"your function could not run on Tensors: {_describe(err)}"
    grads = {i: (np.zeros(t.shape) if t.grad is None else np.asarray(t.grad.data, np.float64))
             for i, t in leaves.items()}
    return grads, None


def _sample(loss_at: Callable[[list[Any]], np.ndarray], arrays: list[Any], pos: int, eps: float, atol: float,
            rtol: float, f0: float, e: np.ndarray, a: np.ndarray | None, rng: np.random.Generator,
            c: DerivationCheck) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sampled finite differences for input ``pos``: random directional derivatives and single entries.
    Returns the probes (one row per measurement, ``probes @ g`` is what was measured), the measured
    values and their tolerances; fills the sampled entries of ``c.numerical``."""
    x = arrays[pos]
    n = x.size
    s = np.maximum(1.0, np.abs(x)).reshape(-1)
    rows, measured, noise = [], [], []
    for _ in range(N_DIRECTIONS):
        d = s * rng.standard_normal(n)
        arrays[pos] = x + eps * d.reshape(x.shape)
        fp = loss_at(arrays)[0]
        arrays[pos] = x - eps * d.reshape(x.shape)
        fm = loss_at(arrays)[0]
        arrays[pos] = x
        rows.append(d)
        measured.append((fp - fm) / (2 * eps))
        noise.append(_NOISE * abs(f0) / eps)
    # the entries: random ones, plus the largest entry and the largest hand/autodiff gap
    picks = list(rng.choice(n, size=min(n, N_ENTRIES - 2), replace=False))
    picks.append(int(np.argmax(np.abs(e).reshape(-1))))
    if a is not None:
        picks.append(int(np.argmax(np.abs(e - a).reshape(-1))))
    picks = list(dict.fromkeys(int(j) for j in picks))
    q = _differences(loss_at, arrays, pos, eps, elements=picks).central[0]
    flat_num = c.numerical.reshape(-1)
    for j, v in zip(picks, q):
        row = np.zeros(n)
        row[j] = 1.0
        rows.append(row)
        measured.append(v)
        noise.append(_NOISE * abs(f0) / (eps * s[j]))
        flat_num[j] = v
    probes = np.array(rows)
    m = np.array(measured)
    ref = (a if a is not None else e).reshape(-1)
    scale = np.maximum(np.abs(m), np.abs(probes) @ np.abs(ref))
    return probes, m, fd_tolerance(scale, atol, rtol, np.array(noise))
