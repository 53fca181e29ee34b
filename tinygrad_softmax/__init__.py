"""tinygrad_softmax: a minimal, exact reverse-mode autodiff framework on NumPy.

>>> from tinygrad_softmax import Tensor
>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
Tensor([2., 4., 6.])
"""

from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .ops import TensorIndexError
from .tensor import Function, Tensor

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "Function",
    "TensorIndexError",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "functional",
    "reference",
    "to_dot",
    "draw",
    "trace_backward",
    "backward_trace",
    "BackwardTrace",
    "TraceRecord",
    "detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
    "datasets",
    "models",
    "nn",
    "optim",
    "gradcheck",
    "gradgradcheck",
    "check_derivation",
    "numerical_gradient",
    "GradcheckError",
]

# --- functional (issue 3) ---
from . import functional, reference  # noqa: E402
# --- gradient checking (issue 5) ---
from .gradient_check import (  # noqa: E402
    GradcheckError,
    check_derivation,
    gradcheck,
    gradgradcheck,
    numerical_gradient,
)
# --- nn, optim, models, datasets (issue 6) ---
from . import datasets, models, nn, optim  # noqa: E402
# --- visualisation, tracing, anomaly detection (issue 7) ---
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled  # noqa: E402
from .trace import BackwardTrace, TraceRecord, backward_trace, trace_backward  # noqa: E402
from .viz import draw, to_dot  # noqa: E402
