"""What is checked and what is held constant: the user's ``inputs`` sorted into slots."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tensor import Tensor
from .errors import LowPrecisionWarning


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

