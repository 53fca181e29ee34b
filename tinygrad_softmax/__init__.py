"""tinygrad_softmax: a minimal, exact reverse-mode autodiff framework on NumPy.

>>> from tinygrad_softmax import Tensor
>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
Tensor([2., 4., 6.])

The engine is ``Tensor`` and ``Function`` (tensor.py) with the primitive ops (ops.py); the
losses live in ``functional``, the layers and optimizers in ``nn`` and ``optim``, the
article's classifier in ``models``, and the tools for checking and seeing gradients in
``gradient_check``, ``viz``, ``trace`` and ``anomaly``, which watch the engine through
``hooks``. The commands (``tinygrad-softmax demo|bench|gradcheck|explore``) live apart, in
``commands``. ``testing`` (Hypothesis strategies)
is imported only on request, since Hypothesis is an optional dependency.
"""

from . import datasets, functional, models, nn, optim, reference, utils
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._shapes import AxisError, TensorIndexError
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .compile import (
    CompileError,
    TracingError,
    compile,  # noqa: A004 - shadows the builtin inside this package only, on purpose
)
from .creation import arange, eye, full, full_like, linspace, ones, ones_like, rand, randn, zeros, zeros_like
from .functional import einsum, maximum, minimum
from .gradient_check import (
    GradcheckError,
    check_derivation,
    find_wrong_backward,
    gradcheck,
    gradgradcheck,
    numerical_gradient,
)
from .joining import cat, chunk, concatenate, split, stack, take_along_axis, where
from .tensor import Function, GradientShapeError, Tensor
from .trace import BackwardTrace, TraceRecord, backward_trace, trace_backward, traced_backward, tracing  # noqa: F401 - deprecated names, not in __all__
from .viz import draw, to_dot

__version__ = "0.1.0"

__all__ = [
    # the engine
    "Tensor",
    "Function",
    "TensorIndexError",
    "AxisError",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    # elementwise functions of two tensors, and einsum (also Tensor methods / in functional)
    "maximum",
    "minimum",
    "einsum",
    # losses and the article's closed form
    "functional",
    "reference",
    # checking gradients
    "gradcheck",
    "gradgradcheck",
    "check_derivation",
    "find_wrong_backward",
    "numerical_gradient",
    "GradcheckError",
    "GradientShapeError",
    # layers, optimizers, models, data
    "nn",
    "optim",
    "models",
    "datasets",
    "utils",  # utils.data: TensorDataset, DataLoader, in torch.utils.data's place
    # seeing backprop
    "to_dot",
    "draw",
    "tracing",
    "traced_backward",
    "BackwardTrace",
    "TraceRecord",
    "detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
    # tracing a step once and replaying it as generated NumPy (compile.py)
    "compile",
    "CompileError",
    "TracingError",
    # creating tensors (creation.py) and joining, splitting, selecting them (joining.py)
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "zeros_like",
    "ones_like",
    "full_like",
    "cat",
    "concatenate",
    "stack",
    "where",
    "take_along_axis",
    "split",
    "chunk",
]
