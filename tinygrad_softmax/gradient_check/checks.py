"""The public checks of backward(): :func:`gradcheck` and :func:`gradgradcheck`."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._grad_mode import enable_grad, no_grad
from ..ops import IndexAdd
from ..tensor import Tensor
from .analytic import _Analytic, _analytic
from .comparison import _compare
from .diagnosis import _diagnose_kinks, _hints
from .errors import GradcheckError, LowPrecisionWarning
from .finite_differences import _differences, _projected_caller, _upstream
from .inputs import _as_output, _Inputs, _output_array, _Slot
from .reports import GradcheckReport, InputCheck, _index_str


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

