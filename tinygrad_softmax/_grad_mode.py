"""Grad mode: one thread-local switch that says whether new operations are recorded.

``no_grad()`` and ``enable_grad()`` flip it for a block of code (or a decorated function),
exactly like their PyTorch namesakes. The flag is thread-local, so a ``no_grad`` block in one
thread never silences recording in another.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any


class _State(threading.local):
    enabled = True  # the class attribute is every thread's starting value


_state = _State()


def is_grad_enabled() -> bool:
    """Return True when new operations on tensors that require grad are being recorded."""
    return _state.enabled


def _set_enabled(mode: bool) -> None:
    _state.enabled = mode


class _GradMode(contextlib.ContextDecorator):
    """Base of the context managers: remembers the previous mode and restores it on exit."""

    _mode: bool = True

    def __init__(self) -> None:
        self._prev: list[bool] = []

    def _recreate_cm(self) -> Any:
        # A decorated function builds a fresh context each call, so recursion and
        # threads never share the remembered previous mode.
        return type(self)()

    def __enter__(self) -> None:
        self._prev.append(is_grad_enabled())
        _set_enabled(self._mode)

    def __exit__(self, *exc: Any) -> None:
        _set_enabled(self._prev.pop())


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: operations inside record no graph.

    >>> from tinygrad_softmax import Tensor, no_grad
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    _mode = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: turn recording back on inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradMode):  # noqa: N801 - PyTorch's name
    """Set grad mode to ``mode`` for a block (``with set_grad_enabled(False): ...``), for a
    decorated function, or, called on its own, from then on (as in PyTorch)."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled expects a bool, got {type(mode).__name__}")
        super().__init__()
        self._mode = mode
        self._prev.append(is_grad_enabled())
        _set_enabled(mode)  # at once, so a plain call `set_grad_enabled(False)` works too

    def __enter__(self) -> None:
        pass  # __init__ already switched the mode; __exit__ restores it

    def __call__(self, func: Any) -> Any:
        _set_enabled(self._prev.pop())  # as a decorator: undo __init__, switch on every call instead
        return super().__call__(func)

    def _recreate_cm(self) -> Any:
        return set_grad_enabled(self._mode)
