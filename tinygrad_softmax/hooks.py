"""Watching the engine work: the public hook API that tools (the backward trace, anomaly
detection, ``find_wrong_backward``, the explorer) build on, so none of them edits the engine's
internals.

An *observer* is any object with two methods, called by the engine while it is registered:

* ``forward(op, inputs, result)`` after every op runs (``op`` is the ``Function`` instance, the
  context; ``inputs`` its input tensors; ``result`` the output tensor);
* ``backward(tensor, grad, input_grads)`` at every tensor ``Tensor.backward`` visits, with the
  gradient that arrived at it and what its op sends to each input (``None`` for a leaf).

``with observe(observer):`` registers it for the block (and removes it afterwards, even after an
error). Subclass ``Observer`` to write only the method you need. ``running_backward()`` says in
which phase an op runs: None in forward, or the op whose backward formula is running (under
``create_graph=True`` backward formulas run ordinary, observed ops). ``op_params(op)`` is what
keyword arguments the op was applied with (``axis``, ``index`` ...).

Observers are process-wide, not per thread; with none registered the engine pays one truth
test per op.

>>> from tinygrad_softmax import Tensor
>>> class Count(Observer):
...     def __init__(self):
...         self.ops = []
...     def forward(self, op, inputs, result):
...         self.ops.append(op.name)
>>> with observe(Count()) as seen:
...     y = (Tensor([1.0, 2.0]) * 3).sum(axis=0)
>>> seen.ops
['Mul', 'Sum']
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from . import tensor as _engine
from .tensor import Function, Tensor, running_backward

__all__ = ["Observer", "observe", "observers", "running_backward", "op_params"]

_O = TypeVar("_O")


class Observer:
    """A base class for observers whose methods do nothing: override the ones you need."""

    def forward(self, op: Function, inputs: tuple[Tensor, ...], result: Tensor) -> None:
        """Called after every op runs."""

    def backward(self, tensor: Tensor, grad: Any, input_grads: tuple[Any, ...] | None) -> None:
        """Called at every tensor the backward walk visits (``input_grads`` is None for a leaf)."""


@contextmanager
def observe(observer: _O) -> Iterator[_O]:
    """Register ``observer`` with the engine for the ``with`` block; yields it."""
    _engine._observers.append(observer)
    try:
        yield observer
    finally:  # remove this very object (an equal one registered by someone else stays)
        _engine._observers[:] = [o for o in _engine._observers if o is not observer]


def observers() -> tuple[Any, ...]:
    """The observers registered now, oldest first."""
    return tuple(_engine._observers)


def op_params(op: Function) -> dict[str, Any]:
    """The keyword arguments ``op`` was applied with (``{}`` if none, or once a plain backward
    has freed the op)."""
    return dict(op.__dict__.get("_params", {}))
