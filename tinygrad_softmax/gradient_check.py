"""Gradient checking: does ``backward()`` compute the derivative of what ``forward`` computes?

Four public tools, all built on one idea, the **central difference** in float64:

    ∂f/∂x_j  ≈  (f(x + h_j e_j) − f(x − h_j e_j)) / (2 h_j),    h_j = eps · max(1, |x_j|).

* :func:`numerical_gradient` — that formula, for every element of every input.
* :func:`gradcheck` — the Jacobian from ``backward()`` against the one from finite differences.
* :func:`gradgradcheck` — the same for second derivatives (``backward(create_graph=True)``).
* :func:`check_derivation` — a gradient derived by hand against autodiff *and* finite differences,
  with a verdict naming which of the three is the odd one out.

Why central differences and float64. A Taylor expansion gives the error of the quotient above as

    truncation ≈ h²/6 · |f‴|     plus     rounding ≈ ε_mach · |f| / h,

(one-sided differences truncate at h/2 · |f″| instead, far worse). With float64 (ε_mach ≈ 2.2e-16)
and h = 1e-6 both terms are around 1e-10 for well-scaled functions, far below the default
tolerances (atol 1e-5, rtol 1e-3, PyTorch's values). In float32 (ε_mach ≈ 1.2e-7) the rounding term
alone is ≈ 0.1·|f|: no tolerance can tell a right gradient from a wrong one. So the numerical side
always runs in float64, and a float32 input earns a :class:`LowPrecisionWarning`.

The step grows with |x_j| so that it stays large relative to the spacing of floats near x_j (a fixed
1e-6 added to 1e8 would be swallowed by rounding). The quotient divides by the step that was actually
taken, ``(x_j + h) − (x_j − h)`` as stored, not by 2h.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._grad_mode import enable_grad, no_grad
from .ops import IndexAdd
from .tensor import Tensor

__all__ = [
    "numerical_gradient",
    "gradcheck",
    "gradgradcheck",
    "check_derivation",
    "GradcheckError",
    "GradcheckReport",
    "InputCheck",
    "DerivationReport",
    "DerivationCheck",
    "LowPrecisionWarning",
]


class GradcheckError(AssertionError):
    """A gradient check failed. ``str(error)`` is the full report; ``error.report`` holds the data.

    It is an ``AssertionError`` (PyTorch's ``GradcheckError`` is a ``RuntimeError``) because a failed
    check is a failed assertion about *your* code, not a malfunction: pytest and unittest report it as
    a test failure, and ``pytest.raises(AssertionError)`` catches it. Misuse of the checker itself
    (a non-Tensor output, a bad ``expected``) raises TypeError/ValueError instead.
    """

    def __init__(self, report: GradcheckReport | DerivationReport) -> None:
        super().__init__(str(report))
        self.report = report


class LowPrecisionWarning(UserWarning):
    """An input is not float64, so the analytic side of a check carries float32-size rounding."""


# ---- inputs: what is checked, what is held constant ----------------------------------------
@dataclass
class _Slot:
    """One argument of ``fn``: its array (or a non-array object passed through) and its role."""

    key: int | str          # position, or keyword for dict inputs
    name: str | None        # for reports
    value: Any              # ndarray for arrays and Tensors, else the object itself
    checked: bool           # differentiate with respect to it?
    is_array: bool

    @property
    def label(self) -> str:
        if isinstance(self.key, str):
            return self.key
        return f"input {self.key}" + (f" ({self.name})" if self.name else "")


class _Inputs:
    """``inputs`` as given (one Tensor/array, a sequence, or a dict of keyword arguments), sorted into
    checked inputs (floating Tensors with ``requires_grad=True``, floating arrays and numbers) and
    constants (Tensors without ``requires_grad``, integer/bool arrays, any other object)."""

    def __init__(self, fn: Callable[..., Any], inputs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be a callable that takes Tensors and returns a Tensor, got "
                            f"{type(fn).__name__} {fn!r}")
        self.single = isinstance(inputs, (Tensor, np.ndarray, int, float, np.number))
        self.keywords = isinstance(inputs, Mapping)
        if self.keywords:
            items: list[tuple[int | str, Any]] = list(inputs.items())
        elif self.single:
            items = [(0, inputs)]
        elif isinstance(inputs, Sequence) and not isinstance(inputs, str):
            items = list(enumerate(inputs))
        else:
            raise TypeError(f"inputs must be a Tensor, an array, a sequence or a dict of them, got "
                            f"{type(inputs).__name__}")
        names = _parameter_names(fn, len(items)) if not self.keywords else [None] * len(items)
        self.slots: list[_Slot] = []
        for (key, v), name in zip(items, names):
            if isinstance(v, Tensor):
                slot = _Slot(key, name, v.data, v.requires_grad, True)
            elif isinstance(v, (np.ndarray, list, tuple, int, float, np.number)) and not isinstance(v, bool):
                arr = np.asarray(v)
                if arr.dtype.kind not in "biuf":
                    raise TypeError(f"input {key!r} has dtype {arr.dtype}; arrays must be numeric")
                slot = _Slot(key, name, arr, arr.dtype.kind == "f", True)
            else:
                slot = _Slot(key, name, v, False, False)
            self.slots.append(slot)

    @property
    def checked(self) -> list[_Slot]:
        return [s for s in self.slots if s.checked]

    def require_checked(self, what: str) -> None:
        if not self.checked:
            raise ValueError(f"{what}: no input to check. Inputs that are checked: floating Tensors with "
                             "requires_grad=True and floating arrays; got only constants "
                             f"({[s.label for s in self.slots]})")

    def call(self, fn: Callable[..., Any], values: list[Any]) -> Any:
        if self.keywords:
            return fn(**{s.key: v for s, v in zip(self.slots, values)})  # type: ignore[misc]
        return fn(*values)

    def leaves(self) -> list[Any]:
        """Fresh tensors for the analytic side, in the inputs' own dtypes (the user's ``.grad`` is
        never touched)."""
        out: list[Any] = []
        for s in self.slots:
            if not s.is_array:
                out.append(s.value)
            elif s.checked:
                out.append(Tensor(np.array(s.value), requires_grad=True))
            else:
                out.append(Tensor(s.value))
        return out

    def float64_arrays(self) -> list[Any]:
        """Own float64 copies of every floating array (the numerical side), others unchanged."""
        return [np.array(s.value, dtype=np.float64) if s.is_array and s.value.dtype.kind == "f"
                else s.value for s in self.slots]

    def wrap(self, arrays: list[Any]) -> list[Any]:
        """Tensors around ``arrays`` for one evaluation; checked inputs require grad (recording is
        off on the numerical side, but a function that differentiates inside, as gradgradcheck's
        does, needs it)."""
        return [Tensor(a, requires_grad=s.checked) if s.is_array else a for s, a in zip(self.slots, arrays)]

    def warn_precision(self, what: str, eps: float) -> None:
        for s in self.checked:
            if s.value.dtype != np.float64:
                warnings.warn(
                    f"{what}: {s.label} is {s.value.dtype}. The numerical gradient is computed in float64 "
                    f"anyway (in {s.value.dtype} a central difference with eps={eps:g} has a rounding error "
                    f"of about ε_mach·|f|/eps ≈ {np.finfo(s.value.dtype).eps / eps:.1g}·|f|), but the "
                    "analytic gradient is computed in your dtype and carries its rounding, so tight "
                    "tolerances can fail on a correct gradient. Check gradients with "
                    "float64 inputs, e.g. Tensor(x, dtype=np.float64, requires_grad=True).",
                    LowPrecisionWarning, stacklevel=3)


def _parameter_names(fn: Callable[..., Any], n: int) -> list[str | None]:
    """Names of fn's first n positional parameters, for the report only (None where unknown)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return [None] * n
    names: list[str | None] = []
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        names.append(p.name)
    return (names + [None] * n)[:n]


def _as_output(out: Any) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"fn must return a Tensor, got {type(out).__name__}")
    if out.dtype.kind != "f":
        raise TypeError(f"fn must return a floating-point Tensor, got dtype {out.dtype}")
    return out


def _output_array(out: Any) -> np.ndarray:
    # A copy: the output may be a view of an input (reshape, indexing) that is perturbed next.
    return np.array(_as_output(out).data, dtype=np.float64)


# ---- the numerical side --------------------------------------------------------------------
@dataclass
class _Differences:
    """Central and one-sided difference quotients for one input, one column per element:
    ``central[:, j]`` ≈ ∂(projected output)/∂x_j."""

    central: np.ndarray
    forward: np.ndarray
    backward: np.ndarray


def _differences(call: Callable[[list[Any]], np.ndarray], base: list[Any], position: int, eps: float,
                 elements: Sequence[int] | None = None) -> _Differences:
    """Perturb element j of ``base[position]`` by ±eps·max(1, |x_j|) and record the quotients.

    ``call`` evaluates the (projected) output as a 1-D float64 array. Only ``elements`` (flat
    indices; all by default) are perturbed; ``base`` is restored afterwards.
    """
    x = base[position]
    flat = x.reshape(-1)  # a view: writing to it perturbs the input
    f0 = call(base)
    idx = range(flat.size) if elements is None else elements
    central = np.zeros((f0.size, len(idx)))
    fwd, bwd = np.zeros_like(central), np.zeros_like(central)
    with np.errstate(all="ignore"):
        for col, j in enumerate(idx):
            orig = flat[j]
            h = eps * max(1.0, abs(float(orig)))
            flat[j] = orig + h
            xp = flat[j]
            fp = call(base)
            flat[j] = orig - h
            xm = flat[j]
            fm = call(base)
            flat[j] = orig
            central[:, col] = (fp - fm) / (xp - xm)  # the step actually taken, after rounding
            fwd[:, col] = (fp - f0) / (xp - orig)
            bwd[:, col] = (f0 - fm) / (orig - xm)
    return _Differences(central, fwd, bwd)


def _projected_caller(fn: Callable[..., Any], inp: _Inputs,
                      project: Callable[[np.ndarray], np.ndarray]) -> Callable[[list[Any]], np.ndarray]:
    def call(arrays: list[Any]) -> np.ndarray:
        with no_grad():
            out = _output_array(inp.call(fn, inp.wrap(arrays)))
        return project(out)
    return call


def _upstream(grad_output: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    if grad_output is None:
        if int(np.prod(shape)) != 1:
            raise ValueError(f"{what}: fn returns shape {shape}, so pass grad_output= (an array of that "
                             "shape, the upstream gradient v of the product v·f), as for backward()")
        return np.ones(shape)
    v = np.asarray(grad_output.data if isinstance(grad_output, Tensor) else grad_output, dtype=np.float64)
    if v.shape != shape:
        raise ValueError(f"{what}: grad_output has shape {v.shape}, but fn returns shape {shape}")
    return v


def numerical_gradient(fn: Callable[..., Tensor], inputs: Any, eps: float = 1e-6, *,
                       grad_output: Any = None) -> Any:
    """Central-difference gradient of ``fn`` in float64, one array per checked input.

    ``fn`` takes Tensors and returns a Tensor. ``inputs`` is one Tensor/array, a sequence of them
    (passed positionally), or a dict (passed as keywords). Differentiated: floating Tensors with
    ``requires_grad=True`` and floating arrays or numbers; held fixed: Tensors without
    ``requires_grad``, integer arrays, anything else. Every floating input is converted to float64.

    Element j of input x gets the step h_j = eps·max(1, |x_j|) and

        g_j = (F(x + h_j e_j) − F(x − h_j e_j)) / (2 h_j),   F = Σ grad_output ⊙ fn(...),

    where ``grad_output`` (the upstream gradient, like ``backward(gradient=...)``) may be omitted
    for one-element outputs. 2·(number of elements) evaluations of ``fn``.

    Returns an array for a single input, a tuple for a sequence (None for inputs held fixed) and a
    dict of the checked names for a dict.

    >>> import numpy as np
    >>> g = numerical_gradient(lambda x: (x * x).sum(), np.array([1.0, -2.0]))
    >>> np.allclose(g, [2.0, -4.0])
    True
    """
    inp = _Inputs(fn, inputs)
    base = inp.float64_arrays()
    with no_grad():
        shape = _output_array(inp.call(fn, inp.wrap(base))).shape
    v = _upstream(grad_output, shape, "numerical_gradient").reshape(-1)
    call = _projected_caller(fn, inp, lambda out: np.array([np.dot(v, out.reshape(-1))]))
    grads: list[Any] = []
    for pos, s in enumerate(inp.slots):
        grads.append(_differences(call, base, pos, eps).central[0].reshape(s.value.shape)
                     if s.checked else None)
    if inp.single:
        return grads[0]
    if inp.keywords:
        return {s.key: g for s, g in zip(inp.slots, grads) if s.checked}
    return tuple(grads)


# ---- reports -------------------------------------------------------------------------------
def _index_str(shape: tuple[int, ...], flat: int) -> str:
    if not shape:
        return ""
    return "[" + ", ".join(str(i) for i in np.unravel_index(flat, shape)) + "]"


@dataclass
class InputCheck:
    """The verdict on one checked input (the data behind one block of a :class:`GradcheckReport`).

    ``analytic`` and ``numerical`` are the Jacobians, shape (output size, input size): row k, column j
    is ∂out[k]/∂x[j] (for the fast mode before its fallback, they are not computed: None).
    Errors are |analytic − numerical|; an entry fails when its error exceeds atol + rtol·|numerical|
    (``np.allclose``'s rule). The relative error is |analytic − numerical| / |numerical| over entries
    with |numerical| > atol (near zero only the absolute error means something).
    """

    position: int | str
    name: str | None
    label: str
    shape: tuple[int, ...]
    dtype: str
    analytic: np.ndarray | None = None
    numerical: np.ndarray | None = None
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    worst_index: tuple[int, ...] | None = None        # into the input
    worst_output_index: tuple[int, ...] | None = None  # into the output
    analytic_value: float | None = None
    numerical_value: float | None = None
    n_failed: int = 0             # input elements with at least one failing Jacobian entry
    n_elements: int = 0
    n_failed_entries: int = 0
    n_entries: int = 0
    problems: list[str] = field(default_factory=list)   # errors that fail this input
    notes: list[str] = field(default_factory=list)      # diagnoses and remarks
    kinks: list[tuple[int, ...]] = field(default_factory=list)
    checked: bool = True          # False when backward failed before reaching this input

    @property
    def passed(self) -> bool:
        return self.checked and self.n_failed_entries == 0 and not self.problems

    @property
    def status(self) -> str:
        if not self.checked:
            return "NOT CHECKED"
        return "ok" if self.passed else "FAILED"


class _Report:
    """What both reports share: ``inputs`` (one check per input), truthy when all passed, and
    ``report["W"]`` / ``report[2]`` to pick an input by name, keyword or position."""

    inputs: list[Any]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, key: int | str) -> Any:
        for c in self.inputs:
            if key in (c.position, c.name, c.label):
                return c
        raise KeyError(f"no checked input {key!r}; checked: {[c.label for c in self.inputs]}")


class GradcheckReport(_Report):
    """The result of :func:`gradcheck` or :func:`gradgradcheck`: truthy when every input passed,
    printable, with one :class:`InputCheck` per checked input in ``inputs``.

    ``report["W"]`` or ``report[2]`` picks an input by name, keyword or position; ``report.failed``
    lists the inputs that failed, ``report.unchecked`` those a crashing backward never reached (the
    report is falsy then too).
    """

    def __init__(self, *, order: int, mode: str, eps: float, atol: float, rtol: float,
                 output_shape: tuple[int, ...], inputs: list[InputCheck], notes: list[str],
                 output_label: Callable[[int], str]) -> None:
        self.order, self.mode = order, mode
        self.eps, self.atol, self.rtol = eps, atol, rtol
        self.output_shape = output_shape
        self.inputs = inputs
        self.notes = notes
        self._output_label = output_label

    @property
    def failed(self) -> list[InputCheck]:
        """The inputs whose check failed (not those left unchecked because backward crashed)."""
        return [c for c in self.inputs if c.checked and not c.passed]

    @property
    def unchecked(self) -> list[InputCheck]:
        return [c for c in self.inputs if not c.checked]

    @property
    def max_abs_error(self) -> float:
        return max((c.max_abs_error for c in self.inputs), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((c.max_rel_error for c in self.inputs), default=0.0)

    def __repr__(self) -> str:
        return (f"<GradcheckReport {'passed' if self.passed else 'FAILED'}: order {self.order}, "
                f"{len(self.inputs)} inputs, max abs error {self.max_abs_error:.3g}>")

    def __str__(self) -> str:
        what = "first derivatives" if self.order == 1 else "second derivatives"
        tool = "gradcheck" if self.order == 1 else "gradgradcheck"
        lines = [f"{tool} {'passed' if self.passed else 'FAILED'} ({what}, {self.mode}; eps={self.eps:g}, "
                 f"atol={self.atol:g}, rtol={self.rtol:g}); output shape {self.output_shape}"]
        if not self.inputs:
            lines.append("  (no input requires grad: nothing was checked)")
        for c in self.inputs:
            head = f"  {c.label}, shape {c.shape} {c.dtype}: {c.status}"
            if c.checked and (c.n_entries or (self.mode.startswith("fast") and c.analytic_value is not None)):
                head += f"  max abs error {c.max_abs_error:.3g}, max rel error {c.max_rel_error:.3g}"
            lines.append(head)
            if c.checked and c.n_failed_entries:
                entries = (f" ({c.n_failed_entries} of {c.n_entries} Jacobian entries)"
                           if c.n_entries != c.n_elements else "")
                lines.append(f"      {c.n_failed} of {c.n_elements} elements fail{entries}")
                out_k = self._output_label(_flat_of(c.worst_output_index, self.output_shape))
                lines.append(f"      worst: d {out_k} / d {c.name or c.label}"
                             f"{'' if c.worst_index is None else _tuple_str(c.worst_index)}: analytic "
                             f"{c.analytic_value:.10g}, numerical {c.numerical_value:.10g}")
            lines += [f"      error: {p}" for p in c.problems]
            lines += [f"      note: {n}" for n in c.notes]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _tuple_str(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, index)) + "]" if index else ""


def _flat_of(index: tuple[int, ...] | None, shape: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(index, shape)) if index else 0


# ---- the analytic side ---------------------------------------------------------------------
_SHAPE_ERROR = re.compile(r"(\w+)\.backward returned a gradient of shape (\(.*?\)) for input (\d+) of "
                          r"shape (\(.*?\))")


def _leaves_behind(t: Tensor, leaves: list[Any]) -> list[int]:
    """Positions of the leaves that ``t`` was computed from."""
    ids = {id(x): i for i, x in enumerate(leaves) if isinstance(x, Tensor)}
    found, stack, seen = set(), [t], set()
    while stack:
        u = stack.pop()
        if id(u) in seen:
            continue
        seen.add(id(u))
        if id(u) in ids:
            found.add(ids[id(u)])
        if u.grad_fn is not None:
            stack.extend(p for p in u.grad_fn.parents if p.requires_grad)
    return sorted(found)


def _blame(err: Exception, out: Tensor, leaves: list[Any]) -> tuple[list[int] | None, str]:
    """Which inputs a backward error concerns, and a hint. For the engine's shape check, find the
    op and its input in the graph and follow it back to fn's inputs."""
    msg = f"backward raised {type(err).__name__}: {err}"
    m = _SHAPE_ERROR.search(str(err))
    if not m:
        if "matmul" in str(err) and "mismatch" in str(err):
            msg += " - the shapes of a product in a backward formula do not fit (a transpose missing?)"
        return None, msg
    op, gshape, i, xshape = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    g_shape, x_shape = eval(gshape), eval(xshape)  # noqa: S307 - tuples of ints from our own message
    try:
        broadcast = np.broadcast_shapes(g_shape, x_shape) == g_shape
    except ValueError:
        broadcast = False
    hint = (" - a broadcast that was not reduced: sum the gradient back to the input's shape, e.g. "
            "ops.sum_to(grad, shape)" if broadcast else
            " - a backward must return one gradient of exactly its input's shape (a transpose or "
            "reshape missing?)")
    blamed: set[int] = set()
    stack, seen = [out], set()
    while stack:
        u = stack.pop()
        if id(u) in seen or u.grad_fn is None:
            continue
        seen.add(id(u))
        ctx = u.grad_fn
        parents = getattr(ctx, "parents", ())
        if ctx.name == op and i < len(parents) and parents[i].shape == x_shape:
            blamed.update(_leaves_behind(parents[i], leaves))
        stack.extend(parents)
    return (sorted(blamed) or None), msg + hint


@dataclass
class _Analytic:
    jacobians: dict[int, np.ndarray]           # slot position -> (m, n) float64
    out: Tensor
    errors: dict[int, str]                     # slot position -> problem (backward failed)
    unchecked: str | None = None                # backward failed for everything else
    problems: dict[int, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cause: BaseException | None = None           # the exception backward raised, if any


def _analytic(fn: Callable[..., Any], inp: _Inputs, *, rows: np.ndarray | None = None) -> _Analytic:
    """Jacobian rows from backward(): one backward pass per row of ``rows`` (the upstream gradients;
    default: the one-hot vectors, giving the full Jacobian). Also checks that a zero upstream
    gradient gives zero gradients and that the inputs were not modified in place."""
    leaves = inp.leaves()
    before = [np.array(x.data) if isinstance(x, Tensor) else None for x in leaves]
    with enable_grad():
        out = _as_output(inp.call(fn, leaves))
    m = out.size
    positions = [p for p, s in enumerate(inp.slots) if s.checked]
    if rows is None:
        rows = np.eye(m)
    jac = {p: np.zeros((len(rows), inp.slots[p].value.size)) for p in positions}
    res = _Analytic(jac, out, {})
    if not out.requires_grad:
        if positions:
            res.notes.append("fn's output does not depend on any checked input through the graph "
                             "(all analytic gradients are 0); did fn leave the graph via .data or NumPy?")
        return res

    def run(seed: np.ndarray) -> list[np.ndarray | None]:
        for p in positions:
            leaves[p].grad = None
        out.backward(seed.reshape(out.shape).astype(out.dtype), retain_graph=True)
        return [None if leaves[p].grad is None else np.asarray(leaves[p].grad.data, np.float64).reshape(-1)
                for p in positions]

    try:
        for k, seed in enumerate(rows):
            for p, g in zip(positions, run(seed)):
                if g is not None:
                    jac[p][k] = g
        zero = run(np.zeros(m))
    except Exception as err:  # noqa: BLE001 - any failure of a user's backward is reported
        blamed, msg = _blame(err, out, leaves)
        if blamed is None:
            res.unchecked = msg
        else:
            res.errors = {p: msg for p in blamed}
            res.unchecked = (f"not checked: backward stopped with a {type(err).__name__} before this input's "
                             "gradient was complete (the error is reported on the input it concerns)")
        res.cause = err
        return res
    for p, g in zip(positions, zero):
        if g is not None and np.isfinite(g).all() and np.abs(g).max(initial=0) > 0:
            res.problems.setdefault(p, []).append(
                f"backward ignores the upstream gradient: with grad_output = 0 it still returns "
                f"max |grad| = {np.abs(g).max():.3g} (every term must be multiplied by grad)")
    for p, (x, b) in enumerate(zip(leaves, before)):
        if b is not None and not np.array_equal(x.data, b, equal_nan=True):
            res.problems.setdefault(p, []).append(
                "fn or its backward modified this input in place; the check is not valid")
    return res


# ---- comparing -----------------------------------------------------------------------------
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


def _new_check(s: _Slot) -> InputCheck:
    return InputCheck(position=s.key, name=s.name if not isinstance(s.key, str) else s.key, label=s.label,
                      shape=tuple(s.value.shape), dtype=str(s.value.dtype))


def _backward_failed(check: InputCheck, pos: int, ana: _Analytic) -> bool:
    """Put a backward error on the input it concerns (the others are "not checked"); True if the
    analytic gradient of this input is unavailable."""
    if pos in ana.errors:
        check.problems.append(ana.errors[pos])
        return True
    if ana.unchecked is not None:
        if ana.errors:
            check.checked = False
            check.notes.append(ana.unchecked)
        else:
            check.problems.append(ana.unchecked)
        return True
    return False


def _slots_to_compare(inp: _Inputs, ana: _Analytic,
                      checks: list[InputCheck]) -> Iterator[tuple[int, _Slot, InputCheck]]:
    """For every checked input: append its (new) check to ``checks``, and yield it for the
    numerical comparison unless its backward already failed (which the check then records)."""
    for pos, s in enumerate(inp.slots):
        if not s.checked:
            continue
        check = _new_check(s)
        checks.append(check)
        if not _backward_failed(check, pos, ana):
            yield pos, s, check


def _full_check(fn: Callable[..., Any], inp: _Inputs, eps: float, atol: float, rtol: float,
                kinks: bool = True) -> tuple[list[InputCheck], tuple[int, ...], BaseException | None]:
    """Every entry of the Jacobian: one backward per output element, 2 evaluations per input element."""
    ana = _analytic(fn, inp)
    out_shape = ana.out.shape
    base = inp.float64_arrays()
    call = _projected_caller(fn, inp, lambda out: out.reshape(-1))
    checks: list[InputCheck] = []
    for pos, s, check in _slots_to_compare(inp, ana, checks):
        diff = _differences(call, base, pos, eps)
        bad = _compare(check, ana.jacobians[pos], diff.central, out_shape, atol, rtol)
        check.problems += ana.problems.get(pos, [])
        check.notes += ana.notes
        if check.n_failed_entries:  # analytic slips such as a sign or a missing 1/N
            a, n = ana.jacobians[pos], diff.central
            if a.shape[0] == 1:  # one output: the Jacobian row is the gradient, shaped like the input
                a, n = a.reshape(s.value.shape), n.reshape(s.value.shape)
            check.notes += _hints(a, n, None, check.name or "x", "the analytic gradient", atol, rtol)
        if kinks:  # (rounding noise in a low-precision output would look like kinks everywhere)
            _diagnose_kinks(check, bad, diff, call, base, pos, eps, atol, rtol)
    return checks, out_shape, ana.cause


def _fast_check(fn: Callable[..., Any], inp: _Inputs, eps: float, atol: float, rtol: float,
                seed: int) -> tuple[list[InputCheck], tuple[int, ...], BaseException | None]:
    """Random projections: for each input, compare vᵀ J u from one backward with the central
    difference of v·f along the direction s⊙u (s = max(1, |x|)): one backward and two evaluations per
    input, whatever the sizes. The tolerance is not scaled with the size (PyTorch's lesson)."""
    rng = np.random.default_rng(seed)
    with no_grad():
        shape = _output_array(inp.call(fn, inp.wrap(inp.float64_arrays()))).shape
    v = rng.standard_normal(shape).reshape(1, -1)
    ana = _analytic(fn, inp, rows=v)
    base = inp.float64_arrays()
    call = _projected_caller(fn, inp, lambda out: v[0] @ out.reshape(-1))
    checks: list[InputCheck] = []
    for pos, _slot, check in _slots_to_compare(inp, ana, checks):
        check.problems += ana.problems.get(pos, [])
        x = base[pos]
        u = rng.standard_normal(x.shape)
        step = eps * np.maximum(1.0, np.abs(x)) * u
        base[pos] = x + step
        fp = call(base)
        base[pos] = x - step
        fm = call(base)
        base[pos] = x
        numeric = float((fp - fm) / (2 * eps))
        analytic = float(ana.jacobians[pos][0] @ (np.maximum(1.0, np.abs(x)) * u).reshape(-1))
        err = abs(analytic - numeric)
        check.max_abs_error = err
        check.max_rel_error = err / abs(numeric) if abs(numeric) > atol else 0.0
        check.analytic_value, check.numerical_value = analytic, numeric
        if not err <= atol + rtol * abs(numeric):
            check.problems.append(f"fast mode: the random projection vᵀJu is {analytic:.10g} (analytic) vs "
                                  f"{numeric:.10g} (numerical)")
    return checks, shape, ana.cause


def _finish(report: GradcheckReport, raise_exception: bool, cause: BaseException | None) -> Any:
    if not raise_exception:
        return report
    if report.passed:
        return True
    raise GradcheckError(report) from cause


def _check(fn: Callable[..., Any], inp: _Inputs, *, order: int, eps: float, atol: float, rtol: float,
           raise_exception: bool, fast_mode: bool, seed: int,
           output_label: Callable[[tuple[int, ...]], Callable[[int], str]]) -> Any:
    if eps <= 0 or atol < 0 or rtol < 0:
        raise ValueError(f"need eps > 0, atol >= 0 and rtol >= 0, got eps={eps}, atol={atol}, rtol={rtol}")
    notes: list[str] = []
    if fast_mode:
        checks, shape, cause = _fast_check(fn, inp, eps, atol, rtol, seed)
        fast = GradcheckReport(order=order, mode="fast mode (random projections vᵀJu)", eps=eps, atol=atol,
                               rtol=rtol, output_shape=shape, inputs=checks, notes=[],
                               output_label=output_label(shape))
        if fast.passed:
            return _finish(fast, raise_exception, None)
        if _jacobian_entries(inp, shape) > MAX_JACOBIAN_ENTRIES:
            fast.notes.append("the full Jacobian is too large for a per-element report; check a smaller "
                              "instance to locate the error")
            return _finish(fast, raise_exception, cause)
        notes = [f"{c.label}: {p}" for c in checks for p in c.problems if p.startswith("fast")]
        notes.append("fast mode found a mismatch; the full Jacobian check above is the verdict")
    else:
        with no_grad():
            shape = _output_array(inp.call(fn, inp.wrap(inp.float64_arrays()))).shape
        if _jacobian_entries(inp, shape) > MAX_JACOBIAN_ENTRIES:
            raise ValueError(f"the full Jacobian has {_jacobian_entries(inp, shape):,} entries (output shape "
                             f"{shape}, inputs {[s.value.shape for s in inp.checked]}); check smaller inputs "
                             "(they catch the same mistakes) or pass fast_mode=True")
    low = _low_precision_output(fn, inp, eps)
    if low:
        notes.append(low)
    checks, shape, cause = _full_check(fn, inp, eps, atol, rtol, kinks=not low)
    mode = "full Jacobian" + (" after a fast-mode failure" if fast_mode else "")
    report = GradcheckReport(order=order, mode=mode, eps=eps, atol=atol, rtol=rtol, output_shape=shape,
                             inputs=checks, notes=notes, output_label=output_label(shape))
    return _finish(report, raise_exception, cause)


def _low_precision_output(fn: Callable[..., Any], inp: _Inputs, eps: float) -> str | None:
    """A note (and a warning) when fn returns less than float64 even for float64 inputs: then the
    finite differences carry that dtype's rounding, whatever the inputs' precision."""
    with no_grad():
        dtype = _as_output(inp.call(fn, inp.wrap(inp.float64_arrays()))).dtype
    if dtype.itemsize >= 8:
        return None
    noise = np.finfo(dtype).eps / eps
    msg = (f"fn returns {dtype} even for float64 inputs, so the finite differences carry {dtype} rounding "
           f"(about ε·|f|/eps ≈ {noise:.1g}·|f| with eps={eps:g}) and can fail a correct gradient; keep fn "
           f"in float64 while checking, or raise eps (e.g. eps=1e-3 for float32) for a linear map")
    warnings.warn(msg, LowPrecisionWarning, stacklevel=4)
    return msg


MAX_JACOBIAN_ENTRIES = 4_000_000  # 32 MB per Jacobian pair of float64; beyond that use fast_mode


def _jacobian_entries(inp: _Inputs, out_shape: tuple[int, ...]) -> int:
    return int(np.prod(out_shape)) * sum(s.value.size for s in inp.checked)


def _output_names(shape: tuple[int, ...]) -> Callable[[int], str]:
    return lambda k: "out" + _index_str(shape, k)


def gradcheck(fn: Callable[..., Tensor], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False,
              seed: int = 0) -> Any:
    """Check the gradients ``backward()`` gives against central finite differences in float64.

    ``fn`` takes Tensors and returns a Tensor of any shape. ``inputs``: one Tensor/array, a sequence
    (passed positionally) or a dict (passed as keywords). Checked: floating Tensors with
    ``requires_grad=True`` and floating arrays/numbers; held fixed: Tensors without ``requires_grad``,
    integer arrays (e.g. class labels) and other objects. Your tensors' ``.grad`` are not touched.

    **What is compared.** The full Jacobian ∂out[k]/∂x[j] of every output element k with respect to
    every element j of every checked input: the analytic one from one ``backward`` per output element
    (upstream = one-hot), the numerical one from 2 evaluations per input element with steps
    eps·max(1, |x_j|), in float64 (see the module docstring). An entry fails when
    |analytic − numerical| > atol + rtol·|numerical|. Also checked: a zero upstream gradient gives
    zero gradients (a backward that forgot to multiply by ``grad`` fails even for scalar outputs),
    and fn/backward leave the inputs unmodified.

    ``fast_mode=True`` first compares one random projection vᵀJu per input (one backward, two
    evaluations per input: for big inputs) and falls back to the full check, whose verdict counts,
    only when a projection disagrees (unless the Jacobian has more than ``MAX_JACOBIAN_ENTRIES``
    entries: then the fast report is the verdict). ``seed`` fixes v and u. Without fast mode a
    Jacobian that large is refused with a ValueError.

    **On failure** raises :class:`GradcheckError` (an ``AssertionError``) whose message gives, per
    input: max absolute and relative error, how many elements fail, the worst entry's indices with
    the analytic and numerical values there, plus diagnoses (backward errors with the input they
    concern, kinks where finite differences are invalid, non-finite values). With
    ``raise_exception=False`` returns the :class:`GradcheckReport` instead (falsy on failure, truthy
    on success); with ``raise_exception=True`` returns True on success.

    A float32 input draws a :class:`LowPrecisionWarning` (the numerical side is float64 anyway).
    """
    inp = _Inputs(fn, inputs)
    inp.require_checked("gradcheck")
    inp.warn_precision("gradcheck", eps)
    return _check(fn, inp, order=1, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                  fast_mode=fast_mode, seed=seed, output_label=_output_names)


# ---- second derivatives ----------------------------------------------------------------------
def _concat_flat(parts: list[Tensor]) -> Tensor:
    """Differentiable concatenation of flattened tensors (each placed with IndexAdd, then summed)."""
    flat = [p.reshape(-1) for p in parts]
    if len(flat) == 1:
        return flat[0]
    total = sum(p.size for p in flat)
    out: Tensor | None = None
    offset = 0
    for p in flat:
        placed = IndexAdd.apply(p, index=slice(offset, offset + p.size), shape=(total,), repeats=False)
        out = placed if out is None else out + placed
        offset += p.size
    assert out is not None
    return out


def gradgradcheck(fn: Callable[..., Tensor], inputs: Any, *, grad_output: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  fast_mode: bool = False, seed: int = 0) -> Any:
    """Check second derivatives: the backward of the backward, through ``create_graph=True``.

    Let v be the upstream gradient (``grad_output``; default: drawn from N(0, 1) with ``seed``, so
    every output element matters) and G(x, v) = the first gradients vᵀ∂f/∂x of all checked inputs,
    computed by ``backward(v, create_graph=True)`` and concatenated. This runs :func:`gradcheck` on
    G: its **full Jacobian** — every entry ∂G[k]/∂x[j], i.e. the Hessian-vector products for all
    checked inputs and also ∂G/∂v = Jᵀ — computed by differentiating the recorded backward graph,
    against central differences of the first gradients. v is checked as an extra input named
    ``grad_output`` (a backward must stay differentiable in its upstream gradient). Report entries
    read "d grad_x[i] / d y[j]". The first gradients themselves are assumed right: run
    :func:`gradcheck` first. Same options, errors and return values as :func:`gradcheck`.
    """
    inp = _Inputs(fn, inputs)
    inp.require_checked("gradgradcheck")
    inp.warn_precision("gradgradcheck", eps)
    if inp.keywords:
        raise TypeError("gradgradcheck takes inputs as a Tensor or a sequence (not a dict)")
    with no_grad():
        shape = _output_array(inp.call(fn, inp.wrap(inp.float64_arrays()))).shape
    if grad_output is None:
        v = np.random.default_rng(seed).standard_normal(shape)
    else:
        v = _upstream(grad_output, shape, "gradgradcheck")
    positions = [p for p, s in enumerate(inp.slots) if s.checked]
    names = [inp.slots[p].name or f"x{p}" for p in positions]
    sizes = [inp.slots[p].value.size for p in positions]
    shapes = [inp.slots[p].value.shape for p in positions]

    def first_gradients(*args: Any) -> Tensor:
        xs, vt = list(args[:-1]), args[-1]
        with enable_grad():
            out = _as_output(inp.call(fn, xs))
            targets = [xs[p] for p in positions]
            saved = [t.grad for t in targets]
            for t in targets:
                t.grad = None
            if out.requires_grad:
                out.backward(vt, create_graph=True)
            grads = [t.grad if t.grad is not None else Tensor(np.zeros(t.shape, dtype=t.dtype))
                     for t in targets]
            for t, g in zip(targets, saved):
                t.grad = g
            return _concat_flat(grads)

    v_tensor = Tensor(v.astype(inp.slots[positions[0]].value.dtype) if positions else v, requires_grad=True)
    inner = _Inputs(first_gradients, [*(Tensor(s.value, requires_grad=s.checked) if s.is_array else s.value
                                        for s in inp.slots), v_tensor])
    for s, orig in zip(inner.slots, inp.slots):
        s.name = orig.name
    inner.slots[-1].name = "grad_output"

    def label(_: tuple[int, ...]) -> Callable[[int], str]:
        def name(k: int) -> str:
            for nm, size, shp in zip(names, sizes, shapes):
                if k < size:
                    return f"grad_{nm}{_index_str(shp, k)}"
                k -= size
            return f"G[{k}]"
        return name

    return _check(first_gradients, inner, order=2, eps=eps, atol=atol, rtol=rtol,
                  raise_exception=raise_exception, fast_mode=fast_mode, seed=seed, output_label=label)


# ---- hand-derived gradients ------------------------------------------------------------------
@dataclass
class DerivationCheck:
    """Hand-derived (``expected``), autodiff and finite-difference gradients of one input, which pairs
    agree (``np.allclose`` with the report's atol/rtol), and the ``culprit``: "hand-derived",
    "autodiff", "finite differences", "all three", or None when all agree."""

    position: int | str
    name: str | None
    label: str
    shape: tuple[int, ...]
    expected: np.ndarray | None
    autodiff: np.ndarray | None
    numerical: np.ndarray
    agree: dict[str, bool] = field(default_factory=dict)   # keys "hand/autodiff", "hand/fd", "autodiff/fd"
    max_diff: dict[str, float] = field(default_factory=dict)
    culprit: str | None = None
    verdict: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.culprit is None


class DerivationReport(_Report):
    """The result of :func:`check_derivation`: truthy when hand-derived, autodiff and finite
    differences agree for every input; ``str()`` prints a three-way table per input."""

    def __init__(self, inputs: list[DerivationCheck], atol: float, rtol: float, rows: int) -> None:
        self.inputs, self.atol, self.rtol, self._rows = inputs, atol, rtol, rows

    @property
    def failed(self) -> list[DerivationCheck]:
        return [c for c in self.inputs if not c.passed]

    def __repr__(self) -> str:
        verdict = "all agree" if self.passed else "DISAGREEMENT"
        return f"<DerivationReport {verdict}: {len(self.inputs)} inputs>"

    def __str__(self) -> str:
        lines = [f"check_derivation: {'all three agree' if self.passed else 'DISAGREEMENT'} "
                 f"(atol={self.atol:g}, rtol={self.rtol:g})"]
        for c in self.inputs:
            lines.append(f"  {c.label}, shape {c.shape}: {c.verdict}")
            diffs = ", ".join(f"{k} {v:.3g}" for k, v in c.max_diff.items())
            lines.append(f"      max |difference|: {diffs}")
            lines += [f"      note: {n}" for n in c.notes]
            lines += ["      " + row for row in _three_way_table(c, self._rows)]
        return "\n".join(lines)


def _three_way_table(c: DerivationCheck, rows: int) -> list[str]:
    cols = [("hand-derived", c.expected), ("autodiff", c.autodiff), ("finite diff", c.numerical)]
    flat = {name: (None if a is None or a.shape != c.shape else a.reshape(-1)) for name, a in cols}
    present = [a for a in flat.values() if a is not None]
    n = c.numerical.size
    if n == 0:
        return []
    with np.errstate(invalid="ignore"):
        spread = np.max([np.abs(a - b) for a in present for b in present], axis=0)
    # all elements in order when they fit, else the largest disagreements first
    worst_first = np.argsort(-np.nan_to_num(spread, nan=np.inf), kind="stable")
    order = np.arange(n) if n <= rows else worst_first[:rows]
    width = max(8, max(len(_index_str(c.shape, int(j))) for j in order) + len(c.name or "x"))
    head = f"{'element':<{width}}  {'hand-derived':>15}  {'autodiff':>15}  {'finite diff':>15}"
    out = [head]
    for j in order:
        vals = ["—" if flat[name] is None else f"{flat[name][j]:.9g}" for name, _ in cols]
        out.append(f"{(c.name or 'x') + _index_str(c.shape, int(j)):<{width}}  " +
                   "  ".join(f"{v:>15}" for v in vals))
    if rows < n:
        out.append(f"({min(rows, n)} of {n} elements shown, largest disagreement first)")
    return out


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
