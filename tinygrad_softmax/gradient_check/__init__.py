"""Gradient checking: does ``backward()`` compute the derivative of what ``forward`` computes?

Five public tools, all built on one idea, the **central difference** in float64:

    ∂f/∂x_j  ≈  (f(x + h_j e_j) − f(x − h_j e_j)) / (2 h_j),    h_j = eps · max(1, |x_j|).

* :func:`numerical_gradient` — that formula, for every element of every input.
* :func:`gradcheck` — the Jacobian from ``backward()`` against the one from finite differences.
* :func:`gradgradcheck` — the same for second derivatives (``backward(create_graph=True)``).
* :func:`check_derivation` — a gradient derived by hand (your NumPy function returning
  ``(loss, grad)``, or a loss in Tensors plus your gradient) against autodiff, exactly, *and*
  finite differences, with a verdict naming the odd one out and findings naming the mistake.
* :func:`find_wrong_backward` — which custom ``Function`` of a bigger graph has the wrong backward.

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

The package, one concept per module: ``inputs`` (what is checked, what is constant),
``finite_differences``, ``analytic`` (Jacobians from backward), ``comparison`` (tolerances),
``diagnosis`` (naming the mistake), ``reports``, ``checks`` (gradcheck, gradgradcheck),
``derivation`` (check_derivation), ``find_wrong`` (find_wrong_backward) and ``command`` (the CLI).
"""

from __future__ import annotations

from .checks import MAX_JACOBIAN_ENTRIES as MAX_JACOBIAN_ENTRIES  # noqa: F401 - a tunable, as before
from .checks import gradcheck, gradgradcheck
from .derivation import check_derivation
from .diagnosis import Finding
from .errors import GradcheckError, LowPrecisionWarning
from .find_wrong import find_wrong_backward
from .finite_differences import numerical_gradient
from .reports import (
    BackwardSearchReport,
    DerivationCheck,
    DerivationReport,
    GradcheckReport,
    InputCheck,
    NodeCheck,
)

__all__ = [
    "numerical_gradient",
    "gradcheck",
    "gradgradcheck",
    "check_derivation",
    "find_wrong_backward",
    "Finding",
    "GradcheckError",
    "GradcheckReport",
    "InputCheck",
    "DerivationReport",
    "DerivationCheck",
    "LowPrecisionWarning",
    "BackwardSearchReport",
    "NodeCheck",
]
