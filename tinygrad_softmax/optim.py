"""Optimizers: ``SGD`` and ``Adam``, with PyTorch's update rules and argument names.

An optimizer holds a list of parameters (leaf Tensors that require grad). After
``loss.backward()`` has filled their ``.grad``, ``step()`` updates each parameter's array in
place from its gradient; ``zero_grad()`` clears the gradients before the next backward.
Parameters whose ``.grad`` is None are skipped, as in PyTorch::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(100):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()

The updates run on plain ndarrays: the optimizer is not part of any graph. Each update bumps
the parameter's ``_version``, so a backward through a graph built before ``step()`` that saved
the parameter raises instead of using the updated weights (as in PyTorch).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .tensor import Tensor, _clear_grads, _tracer_now

__all__ = ["Optimizer", "SGD", "Adam", "lr_scheduler"]


def _check_number(name: str, value: Any, low: float = 0.0, high: float | None = None,
                  high_open: bool = False) -> float:
    """``value`` as a float in [low, high] (or [low, high) when ``high_open``), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    too_high = high is not None and (v >= high if high_open else v > high)
    if not math.isfinite(v) or v < low or too_high:
        bound = "" if high is None else (f" and < {high}" if high_open else f" and <= {high}")
        raise ValueError(f"{name} must be a finite number >= {low}{bound}, got {value!r}")
    return v


class Optimizer:
    """Base class: keeps the parameter list and per-parameter state; subclasses define ``step``.

    ``param_groups`` is PyTorch's structure with a single group, ``[{"params": [...], "lr": ...}]``:
    the learning rate lives there (``opt.lr`` reads and writes it), so the schedulers of
    ``optim.lr_scheduler`` can change it. The other hyperparameters stay attributes.
    """

    def __init__(self, params: Iterable[Tensor]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors (e.g. model.parameters()), "
                            "got a single Tensor; wrap it in a list")
        self.params: list[Tensor] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(f"parameter {i} (shape {p.shape}) must be a leaf tensor with "
                                 "requires_grad=True; an optimizer can only update leaves")
            if id(p) in seen:
                raise ValueError(f"parameter {i} (shape {p.shape}) appears twice in the parameter list")
            seen.add(id(p))
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        # One parameter group, PyTorch's structure, so that lr schedulers find "lr" where they
        # look: ``self.lr`` reads and writes ``param_groups[0]["lr"]`` (set by subclasses first).
        pending = self.__dict__.get("param_groups", [{}])[0]
        self.param_groups: list[dict[str, Any]] = [{"params": self.params, **pending}]

    @property
    def lr(self) -> float:
        """The learning rate, kept in ``param_groups[0]["lr"]`` (where lr schedulers set it)."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        if "param_groups" not in self.__dict__:  # a subclass sets lr before Optimizer.__init__
            self.param_groups = [{}]
        self.param_groups[0]["lr"] = value

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every subclass's step() announces itself to a tracer (compile records it), including
        # the step of a user's own optimizer, which then needs no code of its own for that.
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _announced(cls.__dict__["step"])  # type: ignore[method-assign]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: to None by default, as PyTorch does; with
        ``set_to_none=False``, fill the existing gradient arrays with zeros in place (as PyTorch's
        ``grad.zero_()``: a reference to the old ``.grad`` sees the zeros), so that a compiled step
        then accumulates into the same arrays every call without allocating them."""
        _clear_grads(self.params, set_to_none)

    def step(self) -> None:
        raise NotImplementedError

    def _states(self) -> list[dict[str, Any]]:
        """``state``, one dict per parameter: a parameter appended to ``params`` (the list in
        ``param_groups[0]["params"]``) since gets an empty one, as PyTorch makes state lazily."""
        if len(self.state) < len(self.params):
            self.state.extend({} for _ in range(len(self.params) - len(self.state)))
        return self.state

    def _grads(self) -> Iterable[tuple[Tensor, np.ndarray, dict[str, Any]]]:
        for p, state in zip(self.params, self._states()):
            if p.grad is not None:
                yield p, p.grad.data, state


def _announced(step: Callable[..., Any]) -> Callable[..., Any]:
    """``step``, which first tells this thread's tracer (if any) that it runs; what it returns (a
    user's ``step(closure)`` may return the loss, as in PyTorch) is handed back."""
    @functools.wraps(step)
    def announced_step(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        tracer = _tracer_now()
        if tracer is None:
            return step(self, *args, **kwargs)
        return tracer.optimizer_step(self, lambda: step(self, *args, **kwargs))
    return announced_step


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD``.

    For each parameter p with gradient g, at step t:

    .. math::
        g &\leftarrow g + \text{weight\_decay}\cdot p \\
        b_t &= g \ (t = 1), \qquad b_t = \mu\, b_{t-1} + (1 - \text{dampening})\, g \ (t > 1) \\
        g &\leftarrow g + \mu\, b_t \ \text{(nesterov)} \quad\text{or}\quad g \leftarrow b_t \\
        p &\leftarrow p - \text{lr}\cdot g

    (the momentum lines only when momentum ``μ`` > 0). With the defaults this is the article's
    plain update ``W = W - α dL/dW``.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        self.lr = _check_number("SGD: lr", lr)
        self.momentum = _check_number("SGD: momentum", momentum)
        self.dampening = _check_number("SGD: dampening", dampening, high=1.0)
        self.weight_decay = _check_number("SGD: weight_decay", weight_decay)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum!r}, dampening={dampening!r}")
        self.nesterov = bool(nesterov)
        super().__init__(params)

    def step(self) -> None:
        lr = self.lr
        wd, mom = self.weight_decay, self.momentum
        for p, state in zip(self.params, self._states()):
            gt = p.grad
            if gt is None:
                continue
            g, d = gt.data, p.data
            if wd:
                g = g + wd * d
            if mom:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g, copy=True)
                else:
                    buf *= mom
                    buf += (1 - self.dampening) * g
                g = g + mom * buf if self.nesterov else buf
            d -= lr * g  # in place (a scratch array for lr * g measured no faster here)
            p._bump_version()  # a graph that saved p before this step can no longer backward


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), as ``torch.optim.Adam`` (L2 ``weight_decay`` added to the
    gradient, not decoupled as in AdamW).

    For each parameter p with gradient g, at step t = 1, 2, ...:

    .. math::
        g &\leftarrow g + \text{weight\_decay}\cdot p \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g^2 \\
        \hat m_t &= m_t / (1 - \beta_1^t), \qquad \hat v_t = v_t / (1 - \beta_2^t) \\
        p &\leftarrow p - \text{lr}\cdot \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    with m_0 = v_0 = 0. The division by 1 - β^t ("bias correction") undoes the pull of the
    zero start towards 0 in the first steps.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.lr = _check_number("Adam: lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_check_number("Adam: betas[0]", betas[0], high=1.0, high_open=True),
                      _check_number("Adam: betas[1]", betas[1], high=1.0, high_open=True))
        self.eps = _check_number("Adam: eps", eps)
        self.weight_decay = _check_number("Adam: weight_decay", weight_decay)
        super().__init__(params)

    def step(self) -> None:
        beta1, beta2 = self.betas
        lr = self.lr
        for p, g, state in self._grads():
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            bias_correction1 = 1 - beta1**t
            bias_correction2 = 1 - beta2**t
            denom = np.sqrt(v) / math.sqrt(bias_correction2) + self.eps
            p.data -= (lr / bias_correction1) * (m / denom)
            p._bump_version()


from . import lr_scheduler  # noqa: E402  (optim.lr_scheduler, as in PyTorch)

# optim is a module, not a package: registering the alias lets PyTorch's spelling
# `from tinygrad_softmax.optim.lr_scheduler import StepLR` import as well
sys.modules[f"{__name__}.lr_scheduler"] = lr_scheduler
