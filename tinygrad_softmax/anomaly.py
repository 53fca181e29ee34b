"""Anomaly detection: stop at the first NaN or infinity, and say where it came from.

Inside ``with detect_anomaly():`` (or in a function decorated with ``@detect_anomaly()``)
every op's output is checked after forward, and every gradient after backward computes it.
The first non-finite value raises ``AnomalyError`` naming

* the op (``Log``, ``Div``, your own ``Function``'s name) and whether it was forward or backward;
* the shapes of its inputs and output (and, in backward, of the offending gradient);
* the line of *your* code that created the op: the first stack frame outside the
  ``tinygrad_softmax`` package, recorded in forward while the mode is on.

Which values are reported:

* forward: an op whose output contains NaN or ±inf. If none of its inputs did, the op produced
  it (``log(-1)``, ``1/0``). If an input already did, the error says so, naming the input:
  since every op output is checked, such a value came from outside the checked graph (your
  data, or a tensor computed before the mode was entered). An input's NaN that does not reach
  the op's output (e.g. indexed away) is not reported.
* backward: a gradient an op sends to one of its inputs, the gradient arriving at a tensor
  (e.g. a ``gradient=`` argument, or a sum of two huge gradients that overflows), and the
  gradient accumulated into a leaf. Under ``create_graph=True`` the backward formulas run as
  recorded ops, so a NaN they produce is reported by the forward check, with the phase
  ``backward (create_graph)``.

``check_inf=False`` reports NaN only (infinities are then allowed, e.g. ``-inf`` masks).

Saved values: in forward, the mode also fingerprints (CRC-32) every array an op saves for
backward, and in backward checks it again, raising ``AnomalyError`` (``kind="modified"``) naming
the op whose saved value changed. This catches writes the version counters cannot see, made
straight into the ndarray (``w.data[:] = 100``, ``w.numpy()[0] = 1``, a view's write).

Off by default and free when off: the mode is an engine observer (see ``hooks``), registered
on entering the block and removed on leaving it (even after an error), and the engine only
tests whether any observer is registered. When on, each op costs a scan of its output and a
look at the call stack for your line; whether an op runs inside a backward formula is asked
of the engine (``hooks.running_backward``). Observers are process-wide, not per thread.

>>> import numpy as np
>>> from tinygrad_softmax import Tensor
>>> with detect_anomaly():
...     with np.errstate(divide="ignore"):
...         Tensor([1.0, 0.0]).log()
Traceback (most recent call last):
...
tinygrad_softmax.anomaly.AnomalyError: Log (forward) produced -inf: output of shape (2,) ...
"""

from __future__ import annotations

import contextlib
import linecache
import os
import sys
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from types import FrameType, TracebackType
from typing import Any, TypeVar

import numpy as np

from .hooks import Observer, observe, observers, running_backward
from .tensor import Tensor

__all__ = ["AnomalyError", "detect_anomaly", "is_anomaly_enabled"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_F = TypeVar("_F", bound=Callable[..., Any])


class AnomalyError(RuntimeError):
    """A NaN or infinity found by ``detect_anomaly``, or a saved value changed in place.

    Attributes: ``op`` (the op's name), ``phase`` (``"forward"``, ``"backward"`` or
    ``"backward (create_graph)"``), ``kind`` (``"nan"``, ``"inf"``, ``"-inf"``, or
    ``"modified"`` for a saved value written into after forward),
    ``input_shapes``, ``output_shape`` and ``location`` (``"file:line"`` of the user code that
    created the op, or None if unknown).
    """

    def __init__(self, message: str, *, op: str, phase: str, kind: str,
                 input_shapes: tuple[tuple[int, ...], ...], output_shape: tuple[int, ...] | None,
                 location: str | None) -> None:
        super().__init__(message)
        self.op, self.phase, self.kind = op, phase, kind
        self.input_shapes, self.output_shape, self.location = input_shapes, output_shape, location


def _bad_kind(a: Any, check_inf: bool) -> str | None:
    """``"nan"``, ``"inf"``/``"-inf"`` or None: the first kind of bad value in float array ``a``."""
    a = a.data if isinstance(a, Tensor) else a
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fc":
        return None
    if np.isnan(a).any():
        return "nan"
    if check_inf and np.isinf(a).any():
        return "inf" if np.isposinf(a).any() else "-inf"
    return None


def _user_frame() -> FrameType | None:
    """The innermost frame outside this package: the user's line that caused the op."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


def _where(frame: FrameType | None) -> str | None:
    if frame is None:
        return None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _describe(location: str | None) -> str:
    if location is None:
        return "location unknown (the op was created before detect_anomaly() was entered)"
    filename, _, line = location.rpartition(":")
    source = linecache.getline(filename, int(line)).strip()
    return f"created at {location}" + (f": {source}" if source else "")


def _fingerprint(value: Any) -> Any:
    """A cheap summary of a saved array that changes when its contents do (a CRC-32 of its bytes)."""
    a = value.data if isinstance(value, Tensor) else value
    if not isinstance(a, np.ndarray):
        return None
    return a.shape, a.dtype, zlib.crc32(np.ascontiguousarray(a))


def _check_saved(ctx: Any, prints: tuple[Any, ...], location: str | None) -> None:
    """Raise if a value ``ctx`` saved at forward has changed since (a write into its array that
    no version counter saw, e.g. ``w.data[:] = 100``): its gradient would silently be wrong."""
    for i, (value, before) in enumerate(zip(ctx._saved, prints)):
        if before is not None and _fingerprint(value) != before:
            raise AnomalyError(
                f"{ctx.name} (backward): saved value {i} (shape {before[0]}, dtype {before[1]}) was changed "
                "in place after the forward pass (e.g. by writing into t.data or t.numpy()), so the "
                f"gradient computed from it would be wrong; {_describe(location)}. Do not write into "
                "arrays a graph still needs: call backward() first, or compute with t = t + u",
                op=ctx.name, phase="backward", kind="modified",
                input_shapes=tuple(tuple(p.shape) for p in ctx.parents), output_shape=None, location=location)


class _AnomalyObserver(Observer):
    """The engine observer behind ``detect_anomaly``: checks values, records op locations."""

    def __init__(self, check_inf: bool) -> None:
        self.check_inf = check_inf

    def forward(self, ctx: Any, inputs: tuple[Tensor, ...], result: Tensor) -> None:
        location = _where(_user_frame())
        if result.grad_fn is ctx:
            setattr(ctx, "_anomaly_location", location)  # noqa: B010 - read back if this op's backward misbehaves
            if ctx._saved:  # fingerprint what it saved: a write into the array shows at backward
                setattr(ctx, "_anomaly_prints", tuple(map(_fingerprint, ctx._saved)))  # noqa: B010
        kind = _bad_kind(result.data, self.check_inf)
        if kind is None:
            return
        shapes = tuple(tuple(p.shape) for p in inputs)
        owner = running_backward()
        phase = "forward" if owner is None else "backward (create_graph)"
        if owner is not None:  # point at the op whose backward formula this is, not at .backward()
            location = getattr(owner, "_anomaly_location", None)
        culprit = next(((i, k) for i, p in enumerate(inputs) if (k := _bad_kind(p.data, self.check_inf))),
                       None)
        if culprit is None:
            what = f"produced {kind}"
        else:
            i, k = culprit
            what = (f"passed on {kind}: its input {i} (shape {tuple(inputs[i].shape)}) already "
                    f"contained {k}, "
                    "so it came from outside the checked graph (input data, or computed before "
                    "detect_anomaly() was entered)")
        inside = "" if owner is None else f" inside the backward of {owner.name}"
        raise AnomalyError(
            f"{ctx.name} ({phase}{inside}) {what}: output of shape {tuple(result.shape)} from input shapes "
            f"({', '.join(str(s) for s in shapes)}); "
            + ("" if owner is None else f"that {owner.name} was ") + _describe(location),
            op=ctx.name, phase=phase, kind=kind, input_shapes=shapes, output_shape=tuple(result.shape),
            location=location)

    def backward(self, tensor: Tensor, grad: Any, input_grads: list[Any] | None) -> None:
        ctx: Any = tensor.grad_fn
        op = "leaf" if input_grads is None or ctx is None else ctx.name
        location = None if op == "leaf" else getattr(ctx, "_anomaly_location", None)
        shapes = () if op == "leaf" else tuple(tuple(p.shape) for p in ctx.parents)
        out_shape = tuple(tensor.shape)

        def fail(kind: str, what: str) -> None:
            where = ("" if op == "leaf" else f"; {_describe(location)}")
            raise AnomalyError(
                f"{op} (backward): {what} contains {kind}; op output shape {out_shape}, input shapes "
                f"({', '.join(str(s) for s in shapes)}){where}",
                op=op, phase="backward", kind=kind, input_shapes=shapes, output_shape=out_shape,
                location=location)

        prints = None if op == "leaf" else getattr(ctx, "_anomaly_prints", None)
        if prints is not None:
            _check_saved(ctx, prints, location)
        kind = _bad_kind(grad, self.check_inf)
        if kind is not None:
            target = "the gradient accumulated into a leaf" if op == "leaf" else "the incoming gradient"
            fail(kind, f"{target} (shape {out_shape})")
        for i, g in enumerate(input_grads or ()):
            kind = _bad_kind(g, self.check_inf)
            if kind is not None:
                fail(kind, f"the gradient it computed for input {i} (shape {shapes[i]})")


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - a context manager, named like PyTorch's
    """Context manager and decorator: raise ``AnomalyError`` at the first NaN or ±inf.

    ``with detect_anomaly(): loss = model(x); loss.backward()`` checks every op output in
    forward and every gradient in backward, and names the op, its shapes and the line of your
    code that created it. ``check_inf=False`` reports NaN only. Off by default, and free when
    off (see the module docstring for what is and is not reported).
    """

    def __init__(self, check_inf: bool = True) -> None:
        self.check_inf = check_inf
        self._active: list[ExitStack] = []  # a stack: the decorator may be re-entered

    def __enter__(self) -> detect_anomaly:
        registration = ExitStack()
        registration.enter_context(observe(_AnomalyObserver(self.check_inf)))
        self._active.append(registration)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._active.pop().close()

    def __call__(self, func: _F) -> _F:  # typed so the decorated function keeps its signature
        return super().__call__(func)


def is_anomaly_enabled() -> bool:
    """True inside a ``detect_anomaly()`` block."""
    return any(isinstance(o, _AnomalyObserver) for o in observers())
