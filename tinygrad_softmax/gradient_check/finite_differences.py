"""Finite differences: central differences in float64, element by element or along directions.

The step for element j is h_j = eps·max(1, |x_j|), and the quotient divides by the step actually
taken after rounding (see the package docstring for the error analysis).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._grad_mode import no_grad
from ..tensor import Tensor
from .inputs import _Inputs, _output_array


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

