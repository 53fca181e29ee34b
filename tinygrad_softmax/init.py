"""``nn.init``: fill a tensor's values in place, with PyTorch's names and formulas.

Each function writes into ``tensor.data`` (no graph is recorded) and returns the tensor, so
``nn.init.xavier_uniform_(layer.weight, generator=0)`` re-initialises a layer's parameter
where it is, and optimizers holding it keep working. ``generator`` is a
``numpy.random.Generator``, a seed, or None (fresh entropy).

**Fans.** ``fan_in`` is the number of inputs each output of a layer sums over, ``fan_out``
the number of outputs each input feeds. For a 2-D weight the layout is ``nn.Linear``'s,
(in_features, out_features), applied as ``x @ W``: ``fan_in = shape[0]``,
``fan_out = shape[1]`` -- so ``kaiming_uniform_(linear.weight)`` means the same as in PyTorch
(whose Linear stores the transpose, (out, in), and reads ``fan_in = shape[1]``). For more
than 2 axes the PyTorch convolution layout (out, in, *kernel) is assumed:
``fan_in = shape[1] * prod(shape[2:])``, ``fan_out = shape[0] * prod(shape[2:])``.
Fans need at least 2 axes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["calculate_gain", "zeros_", "ones_", "constant_", "normal_", "uniform_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]

Generator = np.random.Generator | int | None


def _target(tensor: Any, name: str, floating: bool = True) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{name} fills a Tensor in place, got {type(tensor).__name__}")
    if floating and tensor.dtype.kind != "f":
        raise TypeError(f"nn.init.{name} needs a floating-point tensor, got dtype {tensor.dtype}")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    tensor.data[...] = values  # in place: every holder of the tensor sees the new values
    return tensor


def _rng(generator: Generator) -> np.random.Generator:
    return generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation, as ``torch.nn.init.calculate_gain``: 1 for
    linear/identity/conv/sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu
    (slope ``param``, default 0.01), 3/4 for selu."""
    linear = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; one of "
                     f"{', '.join(linear + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def _fans(tensor: Tensor, name: str) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"nn.init.{name}: fan in and fan out need a tensor with at least 2 axes, "
                         f"got shape {shape}")
    if len(shape) == 2:  # nn.Linear's layout (in, out), applied as x @ W
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])  # PyTorch's convolution layout (out, in, *kernel)
    return shape[1] * receptive, shape[0] * receptive


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(_target(tensor, "zeros_", floating=False), 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(_target(tensor, "ones_", floating=False), 1)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(_target(tensor, "constant_", floating=False), val)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator = None) -> Tensor:
    """Fill with draws from U(a, b)."""
    t = _target(tensor, "uniform_")
    if not a <= b:
        raise ValueError(f"nn.init.uniform_: needs a <= b, got a={a!r}, b={b!r}")
    return _fill(t, _rng(generator).uniform(a, b, t.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator = None) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    t = _target(tensor, "normal_")
    if not std >= 0:
        raise ValueError(f"nn.init.normal_: std must be >= 0, got {std!r}")
    return _fill(t, _rng(generator).normal(mean, std, t.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    t = _target(tensor, "xavier_uniform_")
    fan_in, fan_out = _fans(t, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return _fill(t, _rng(generator).uniform(-a, a, t.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator = None) -> Tensor:
    """Glorot & Bengio (2010): N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    t = _target(tensor, "xavier_normal_")
    fan_in, fan_out = _fans(t, "xavier_normal_")
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return _fill(t, _rng(generator).normal(0.0, std, t.shape))


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str, name: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init.{name}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t, name)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan) if fan else 0.0


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Generator = None) -> Tensor:
    """He et al. (2015): U(-bound, bound) with bound = gain · √(3 / fan), ``fan`` the fan in or
    out (``mode``) and ``gain = calculate_gain(nonlinearity, a)`` (``a``: the negative slope of
    leaky_relu). ``a=math.sqrt(5)`` gives bound = 1/√fan_in, ``nn.Linear``'s default."""
    t = _target(tensor, "kaiming_uniform_")
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    return _fill(t, _rng(generator).uniform(-bound, bound, t.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Generator = None) -> Tensor:
    """He et al. (2015): N(0, std²) with std = gain / √fan (see ``kaiming_uniform_``)."""
    t = _target(tensor, "kaiming_normal_")
    return _fill(t, _rng(generator).normal(0.0, _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_"),
                                           t.shape))
