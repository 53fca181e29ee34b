"""Watching the engine work: the public hook API that tools (the backward trace, anomaly
detection, ``find_wrong_backward``, the explorer, ``compile``) build on, so none of them edits
the engine's internals.

An *observer* is any object with two methods, called by the engine while it is registered:

* ``forward(op, inputs, result)`` after every op runs (``op`` is the ``Function`` instance, the
  context; ``inputs`` its input tensors; ``result`` the output tensor);
* ``backward(tensor, grad, input_grads)`` at every tensor ``Tensor.backward`` visits, with the
  gradient that arrived at it and what its op sends to each input (``None`` for a leaf: then
  ``grad`` is the gradient the leaf receives, before it is added into ``.grad``).

``with observe(observer):`` registers it for the block (and removes it afterwards, even after an
error). Subclass ``Observer`` to write only the method you need. ``running_backward()`` says in
which phase an op runs: None in forward, or the op whose backward formula is running (under
``create_graph=True`` backward formulas run ordinary, observed ops). ``op_params(op)`` is what
keyword arguments the op was applied with (``axis``, ``index`` ...). Observers are process-wide:
they see the ops of every thread.

A *tracer* (subclass ``Tracer``) is an observer of one thread that the engine also asks at the
few points where eager code leaves the graph, so that it can refuse or record them: a tensor's
value read on the host (``read_value``), an in-place write (``write_in_place``), a random draw
(``draw_random``), a constant computed from tensors' data (``constant``: comparisons, the row
maximum ``log_softmax`` subtracts) and an op's backward formula (``run_backward``); and at the
three steps of training that change state outside any op: a whole ``backward()`` pass
(``backward_pass``), a ``zero_grad`` (``clear_grads``) and an optimizer's ``step`` (``optimizer_step``),
each handed the function that does it, to run as it is or its own way. ``with
use_tracer(tracer):`` makes it the current thread's tracer for the block; other threads run as if
there were none. ``compile`` traces a step with one.

With no observer and no tracer anywhere, each hook point costs the engine one truth test.

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
>>> class NoItem(Tracer):
...     def read_value(self, tensor, what):
...         raise RuntimeError(f"{what} is not allowed here")
>>> with use_tracer(NoItem()):
...     y.item()
Traceback (most recent call last):
...
RuntimeError: .item() is not allowed here
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from . import tensor as _engine
from .tensor import Function, Tensor, running_backward

__all__ = ["Observer", "observe", "observers", "running_backward", "op_params", "Tracer", "use_tracer",
           "current_tracer"]

_O = TypeVar("_O")
_T = TypeVar("_T", bound="Tracer")
_lock = threading.Lock()  # registrations in several threads keep the engine's count right


class Observer:
    """A base class for observers whose methods do nothing: override the ones you need."""

    def forward(self, op: Function, inputs: tuple[Tensor, ...], result: Tensor) -> None:
        """Called after every op runs."""

    def backward(self, tensor: Tensor, grad: Any, input_grads: tuple[Any, ...] | None) -> None:
        """Called at every tensor the backward walk visits (``input_grads`` is None for a leaf)."""


class Tracer(Observer):
    """A base class for tracers: an observer of one thread's ops (``forward``, ``backward``) that
    the engine also asks at the points below. Each default lets the engine go on as usual;
    override the ones you need, and raise from one to refuse what the engine is about to do."""

    def read_value(self, tensor: Tensor, what: str) -> None:
        """Before ``tensor``'s value is read on the host; ``what`` is ``"bool()"``,
        ``"float()"``, ``"int()"``, ``".item()"``, ``".numpy()"`` or ``".tolist()"``."""

    def write_in_place(self, tensor: Tensor) -> None:
        """When ``tensor`` has just been changed in place (``+=``, ``t[i] = v``, ``copy_``, an
        optimizer's step: every write that bumps its version), before its version is bumped."""

    def draw_random(self, what: str) -> None:
        """Before random numbers are drawn; ``what`` is ``"dropout with training=True"``,
        ``"rand()"`` or ``"randn()"``."""

    def constant(self, kind: str, inputs: tuple[Tensor, ...], params: dict[str, Any]) -> Tensor | None:
        """A constant that eager code computes from tensors' data without recording an op:
        ``kind`` is a comparison of the two ``inputs`` (``"<"``, ``"<="``, ``">"``, ``">="``,
        ``"=="``, ``"!="``), or ``"detached_shift"``: the maximum of the one input over
        ``params["axes"]`` (keepdims, 0 where infinite) that ``log_softmax`` and ``logsumexp``
        subtract. Return a tensor to use instead (the output of a ``Function`` of yours, say,
        which this tracer then sees as an op), or None for the usual constant."""
        return None

    def run_backward(self, op: Function, grad: Any, formula: Callable[[Any, Any], Any]) -> Any:
        """Run ``op``'s backward formula (``formula``, its class's ``backward``) on the upstream
        ``grad`` and return what it returns (one gradient per input). The default calls it; a
        tracer may compute the gradients another way, e.g. as one recorded op."""
        return formula(op, grad)

    def backward_pass(self, root: Tensor, gradient: Any, retain_graph: bool, create_graph: bool,
                      walk: Callable[[Tensor, Any, bool, bool], None]) -> None:
        """``root.backward(gradient, retain_graph, create_graph)`` was called (``retain_graph``
        already defaulted): run the walk, ``walk(root, gradient, retain_graph, create_graph)``. The
        default runs it as asked; ``compile`` runs it with ``create_graph=True``, so that the
        backward formulas are recorded as ops."""
        walk(root, gradient, retain_graph, create_graph)

    def clear_grads(self, params: list[Tensor], set_to_none: bool, clear: Callable[[], None]) -> None:
        """A ``zero_grad`` (of an optimizer or a module) is about to clear the ``.grad`` of
        ``params`` (to None, or by writing zeros into them): ``clear()`` does it."""
        clear()

    def optimizer_step(self, optimizer: Any, step: Callable[[], Any]) -> Any:
        """``optimizer.step()`` was called: ``step()`` runs it (it updates the parameters in
        place, each write announced by ``write_in_place``) and returns what ``step`` returns.
        Also called for a subclass's step that calls its parent's (the inner call comes while the
        outer one runs)."""
        return step()


@contextmanager
def observe(observer: _O) -> Iterator[_O]:
    """Register ``observer`` with the engine for the ``with`` block; yields it."""
    with _lock:
        _engine._observers.append(observer)
        _engine._hooked += 1
    try:
        yield observer
    finally:  # remove this very object (an equal one registered by someone else stays)
        with _lock:
            kept = [o for o in _engine._observers if o is not observer]
            _engine._hooked -= len(_engine._observers) - len(kept)
            _engine._observers[:] = kept


@contextmanager
def use_tracer(tracer: _T) -> Iterator[_T]:
    """Make ``tracer`` the current thread's tracer for the ``with`` block (the previous one, if
    any, is back afterwards, even after an error); yields it. Other threads do not see it."""
    token = _engine._tracer.set(tracer)
    with _lock:
        _engine._hooked += 1
    try:
        yield tracer
    finally:
        with _lock:
            _engine._hooked -= 1
        _engine._tracer.reset(token)


def observers() -> tuple[Any, ...]:
    """The observers registered now, oldest first."""
    return tuple(_engine._observers)


def current_tracer() -> Tracer | None:
    """The current thread's tracer (see ``use_tracer``), or None."""
    tracer: Tracer | None = _engine._tracer.get()
    return tracer


def op_params(op: Function) -> dict[str, Any]:
    """The keyword arguments ``op`` was applied with (``{}`` if none, or once a plain backward
    has freed the op)."""
    return dict(op.__dict__.get("_params", {}))
