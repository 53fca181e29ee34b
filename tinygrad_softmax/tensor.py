"""The engine: ``Function``, ``Tensor``'s core and the backward walk. Read it top to bottom.

A ``Tensor`` wraps a NumPy array. Every differentiable operation is a ``Function`` subclass
(see ``ops.py``): ``Function.apply`` runs its ``forward`` on plain arrays and, when an input
requires grad, hands back a Tensor whose ``grad_fn`` is the Function instance itself. That
instance is also the *context*: it keeps the input tensors (``parents``) and whatever
``forward`` saved with ``save_for_backward``. The graph is nothing more than these links.

``Tensor.backward`` walks the graph once, from the output back to the leaves, in reverse
topological order, so that a tensor used by several operations (a "diamond") receives the
sum of all its gradient contributions *before* it passes a gradient on. The order costs no
graph sort: every tensor is numbered when it is made, and an op's inputs always exist before
its output, so "highest number first" visits every consumer before what it consumes. A heap
of the tensors that have received a gradient gives the highest number each time. Two modes:

* plain (``create_graph=False``): upstream gradients are ndarrays and nothing is recorded;
* ``create_graph=True``: upstream gradients are Tensors and every backward formula is itself
  recorded, so gradients can be differentiated again.

Every built-in backward is written once, with operations that ndarrays and Tensors both
support (``*``, ``@``, ``.sum``, ``.reshape`` ...), so the same formula serves both modes.

The operator methods (``+``, ``@``, ``.sum`` ...) live in ``tensor_methods.py``; ``Tensor``
inherits them. In-place changes and their version check are at the end of this file.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from contextvars import ContextVar
from heapq import heappop, heappush
from typing import Any, TypeVar

import numpy as np

from ._grad_mode import _set_enabled
from ._grad_mode import _state as _grad_state

Array = np.ndarray
_F = TypeVar("_F", bound=Callable[..., Any])
_next_number = itertools.count().__next__  # creation order of tensors: a topological order

# Who watches the engine (``hooks.py`` is the public API; nothing else edits these):
# * observers, process-wide: ``observer.forward(ctx, inputs, result)`` after every op and
#   ``observer.backward(tensor, grad, input_grads)`` at every tensor backward visits (input_grads
#   is None for a leaf). The backward trace and anomaly detection are observers.
# * one tracer per thread (``hooks.Tracer``, what ``compile`` traces with): an observer of its
#   thread's ops that the engine also asks at a few points (a value read on the host, an
#   in-place write, a random draw, a constant computed from data, an op's backward formula).
# ``_hooked`` counts both, in all threads: while it is 0, every hook point costs one test of it.
_observers: list[Any] = []
_tracer: ContextVar[Any] = ContextVar("tinygrad_softmax_tracer", default=None)
_hooked = 0
# The op whose backward formula the walk is running (None in forward): under create_graph a
# formula runs ordinary recorded ops, and observers ask ``running_backward()`` which phase it is.
_running_op: Function | None = None


def running_backward() -> Function | None:
    """The op whose ``backward`` is running now (the innermost one), or None outside backward."""
    return _running_op


def _tracer_now() -> Any:
    """This thread's tracer (``hooks.Tracer``), or None: the one question every hook point outside
    this file asks, at the cost of one truth test while nothing watches the engine."""
    return _tracer.get() if _hooked else None


# ---- the hook points of the mechanism: called only while ``_hooked`` ------------------------
def _watchers() -> list[Any]:
    """The observers, then this thread's tracer if there is one."""
    tracer = _tracer.get()
    return _observers if tracer is None else [*_observers, tracer]


def _watch_forward(ctx: Function, parents: tuple[Tensor, ...], result: Tensor) -> None:
    for watcher in _watchers():
        watcher.forward(ctx, parents, result)


def _watch_backward(t: Tensor, g: Any, input_grads: tuple[Any, ...] | None, create_graph: bool) -> None:
    """Show the watchers the visit of ``t``: the gradient ``g`` it received and what its op sends
    to each input, as the walk will hand them on (None for a leaf)."""
    ctx = t.grad_fn
    sent = None if ctx is None or input_grads is None else \
        tuple([_conform(ctx, p, pg, input_grads, create_graph) for p, pg in zip(ctx.parents, input_grads)])
    for watcher in _watchers():
        watcher.backward(t, g, sent)


def _watched_backward(ctx: Function, grad: Any) -> Any:
    """Run ``ctx``'s backward formula, through this thread's tracer if there is one (compile
    records the fused loss's and a custom Function's backward as one op)."""
    tracer = _tracer.get()
    formula = type(ctx).backward
    return formula(ctx, grad) if tracer is None else tracer.run_backward(ctx, grad, formula)


def composite(name: str) -> Callable[[_F], _F]:
    """Decorator: mark what a function builds from primitives as one step called ``name``.

    Drawings and the explorer (``viz.to_dot``, ``explore``) then label the ops made inside one
    call with ``name`` (``cross_entropy``, ``log_softmax``) instead of only their primitive parts.
    The cost is one counter read and, when the result has a graph, one attribute on its op: the
    ops inside are found later, by walking back from the result while tensors are newer than
    the call (tensors are numbered in creation order).
    """
    def decorate(fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = _next_number()
            out = fn(*args, **kwargs)
            ctx = getattr(out, "grad_fn", None)
            if ctx is not None:
                ctx.__dict__.setdefault("_composites", []).append((name, start))
            return out
        return wrapper  # type: ignore[return-value]
    return decorate


def _as_array(data: Any, dtype: Any = None) -> Array:
    if isinstance(data, Tensor):
        data = data.data
    try:
        arr = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as e:  # ragged nested lists, unparseable values, bad dtype
        raise type(e)(f"cannot make a Tensor from this {type(data).__name__}: {e}") from None
    if arr.dtype.kind == "O" and any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.flat):
        # NumPy < 1.24 makes an object array of ragged lists (NumPy 2 raises the ValueError above)
        raise ValueError(f"cannot make a Tensor from this {type(data).__name__}: the nested sequences have "
                         "an inhomogeneous shape (rows of different lengths)")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be bool, integer or floating point, got dtype {arr.dtype}")
    return arr


class Function:
    """Base class of every differentiable operation, built-in or written by a user.

    Subclass it and write two static methods, as in PyTorch::

        class Square(Function):
            @staticmethod
            def forward(ctx, x):              # x: ndarray
                ctx.save_for_backward(x)
                return x * x                  # return an ndarray
            @staticmethod
            def backward(ctx, grad):          # d(x²)/dx = 2x
                (x,) = ctx.saved_tensors
                return 2 * x * grad           # one gradient per input (or None)

        y = Square.apply(t)

    Positional arguments of ``apply`` are the inputs (arrays and numbers are wrapped as
    constant tensors); keyword arguments are passed to ``forward`` unchanged. ``forward`` gets
    ndarrays; ``backward`` gets the upstream gradient, an ndarray in a plain backward and a
    Tensor under ``create_graph=True``. Write it with operators and methods that both types
    have, and saved inputs/outputs come back as the graph's own tensors, so the op is twice
    differentiable for free. The engine checks that each gradient for an input that requires
    grad has that input's shape, raising a ValueError naming the op if not (gradients for the
    other inputs are discarded unchecked, as in PyTorch).
    """

    parents: tuple[Tensor, ...] = ()
    needs_input_grad: tuple[bool, ...] = ()
    _saved: tuple[Any, ...] = ()
    _output: Tensor | None = None  # set only while backward runs under create_graph
    _params: dict[str, Any]  # the keyword arguments of apply, when there are any
    _freed = False

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run the op on ``inputs`` and, if any input requires grad, record it in the graph."""
        ctx = cls()
        parents, out = _run_forward(ctx, inputs, params)
        result = Tensor._make(out)
        if True in ctx.needs_input_grad and _grad_state.enabled and out.dtype.kind == "f":
            ctx.parents = parents
            result._requires_grad, result.grad_fn = True, ctx
        if _hooked:  # almost always 0: one truth test per op
            _watch_forward(ctx, parents, result)
        return result

    def _input_grads(self, grad: Any, output: Tensor, create_graph: bool) -> tuple[Any, ...]:
        """Run ``backward`` for ``output``, the tensor this op made: one gradient (or None) per
        input, as the formula returned them (the walk conforms them, see ``_conform``). Raises
        naming this op if its graph was freed or if it returned another number of gradients."""
        global _running_op
        if self._freed:
            raise RuntimeError(f"trying to backward through the graph a second time: the graph "
                               f"below {self.name} was freed by an earlier backward(); pass "
                               "retain_graph=True to that backward() to keep it")
        if _last_write > output._number:  # something was changed in place after this op ran
            _check_versions(self, output)
        outer, _running_op = _running_op, self  # the phase, for observers of the ops the formula runs
        if create_graph:
            self._output = output  # lets saved_tensors hand back the output tensor itself
        try:
            returned = _watched_backward(self, grad) if _hooked else type(self).backward(self, grad)
        finally:
            _running_op, self._output = outer, None
        grads = returned if type(returned) is tuple else (returned,)
        if len(grads) != len(self.parents):
            raise TypeError(f"{self.name}.backward returned {len(grads)} gradients for "
                            f"{len(self.parents)} inputs")
        return grads

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}>"

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (usually inputs or the output) for ``backward``. If one of them is an
        input's or the output's array and that tensor is changed in place before ``backward``,
        backward raises naming this op and the versions (see ``_check_versions``)."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What ``forward`` saved: ndarrays in a plain backward; under ``create_graph`` the
        arrays that are an input or the output come back as those very tensors, so the
        backward formula joins the recorded graph."""
        if self._freed:
            raise RuntimeError(f"the saved values of {self.name} were freed by an earlier backward(); "
                               "pass retain_graph=True to the first backward() to keep them")
        if self._output is None:
            return self._saved
        return tuple(self._graph_tensor(v) for v in self._saved)

    def _graph_tensor(self, value: Any) -> Any:
        if not isinstance(value, np.ndarray):
            return value
        for t in (*self.parents, self._output):
            if t is not None and t.data is value:
                return t
        return Tensor(value)

    def _as_0d(self, out: Any) -> Array:
        """A NumPy scalar that ``forward`` returned (NumPy gives scalars for 0-d results) as a 0-d
        array, also where it was saved: else create_graph would see exp(x) of a 0-d x as a constant."""
        array = np.asarray(out)
        self._saved = tuple([array if v is out else v for v in self._saved])
        return array


def _fits(g: Any, p: Tensor, kind: Any) -> bool:
    """Whether the gradient ``g`` for input ``p`` already has the mode's type, p's dtype and p's
    shape, as almost every gradient does: the walk then skips ``_conform``, which costs more."""
    return type(g) is kind and g.dtype is p.data.dtype and g.shape == p.data.shape


def _run_forward(ctx: Function, inputs: tuple[Any, ...],
                 params: dict[str, Any]) -> tuple[tuple[Tensor, ...], Array]:
    """Run ``ctx``'s ``forward`` on the arrays of ``inputs``, with ``ctx.needs_input_grad`` (and
    ``ctx._params``) set first. Returns the inputs as tensors (arrays and numbers become
    constants) and the output as an ndarray. A ValueError from forward gets the op's name and
    the input shapes added.

    The usual op, on one or two tensors without keyword arguments (``+``, ``*``, ``tanh``), is
    spelt out: the general path, a loop over the inputs and a call with ``*``, costs about
    0.3 µs more per op, about a tenth of an add in bench W4 and W5."""
    n = len(inputs)
    usual = not params and (n == 2 and type(inputs[0]) is Tensor and type(inputs[1]) is Tensor
                            or n == 1 and type(inputs[0]) is Tensor)
    parents = inputs if usual else tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
    forward = type(ctx).forward
    try:
        if usual and n == 2:
            a, b = parents
            ctx.needs_input_grad = (a._requires_grad, b._requires_grad)
            out = forward(ctx, a.data, b.data)
        elif usual:
            ctx.needs_input_grad = (parents[0]._requires_grad,)
            out = forward(ctx, parents[0].data)
        else:
            ctx.needs_input_grad = tuple([p._requires_grad for p in parents])
            if params:
                ctx._params = params  # the op's arguments (axis, index ...), shown by drawings
            out = forward(ctx, *[p.data for p in parents], **params)
    except ValueError as e:  # NumPy's message, plus which op and which input shapes
        if type(e) is not ValueError:
            raise
        shapes = ", ".join(str(p.shape) for p in parents)
        raise ValueError(f"{ctx.name} (input shapes {shapes}): {e}") from None
    return parents, out if isinstance(out, np.ndarray) else ctx._as_0d(out)


def _conform(op: Function, p: Tensor, g: Any, grads: tuple[Any, ...], create_graph: bool) -> Any:
    """``g``, the gradient ``op.backward`` returned (among ``grads``) for its input ``p``, in the
    mode's type and p's dtype (None stays None, and so does a gradient for an input that needs
    none); a GradientShapeError naming the op and the input if its shape is not p's."""
    if g is None or not p._requires_grad:
        return g
    original = g
    if create_graph:
        g = g if isinstance(g, Tensor) else Tensor(g)
    elif type(g) is not np.ndarray:
        g = g.data if isinstance(g, Tensor) else np.asarray(g)
    if g.shape != p.data.shape:
        i = next(i for i, (q, h) in enumerate(zip(op.parents, grads)) if q is p and h is original)
        raise GradientShapeError(op.name, i, p.shape, g.shape)
    return g if g.dtype == p.data.dtype else g.astype(p.data.dtype)


class GradientShapeError(ValueError):
    """A ``backward`` returned a gradient whose shape is not its input's shape. The attributes say
    where: ``op`` (the Function's name), ``slot`` (the input's position), ``expected_shape`` (the
    input's shape) and ``got_shape`` (the gradient's), so tools need not parse the message."""

    def __init__(self, op: str, slot: int, expected_shape: tuple[int, ...],
                 got_shape: tuple[int, ...]) -> None:
        super().__init__(f"{op}.backward returned a gradient of shape {got_shape} for "
                         f"input {slot} of shape {expected_shape}")
        self.op, self.slot, self.expected_shape, self.got_shape = op, slot, expected_shape, got_shape


# Tensor's methods are defined apart; that module reads _as_array and composite from here.
from .tensor_methods import TensorMethods  # noqa: E402


class Tensor(TensorMethods):
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` accepts ndarrays, nested lists and
    scalars, sharing memory with an ndarray when it can (like ``np.asarray``). Dtypes follow
    NumPy; only floating-point tensors can require grad.
    """

    # _version counts in-place changes (PyTorch's name); _write_log keeps the stamps (creation
    # numbers) of the latest ones, and exists only on tensors that were changed in place.
    # _rebased_from (set by in-place ops on graph tensors only) lists the old histories.
    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "_retains_grad", "_number", "_version",
                 "_write_log", "_rebased_from", "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: Array = _as_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn: Function | None = None
        self._retains_grad = False
        self._requires_grad = False
        self._number = _next_number()
        self._version = 0
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: Array) -> Tensor:
        """A tensor holding ``data``, already an ndarray: __init__ without its conversion."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = t.grad_fn = None
        t._retains_grad = t._requires_grad = False
        t._number = _next_number()
        t._version = 0
        return t

    def __setstate__(self, state: Any) -> None:
        # copy.copy, copy.deepcopy and pickle rebuild a tensor from its slots. The result is a
        # new tensor, so it gets a new creation number: backward's order relies on numbers given
        # at creation (and a copy's inputs are rebuilt before the copy, so that order holds).
        slots = state[1] if isinstance(state, tuple) else state
        for name, value in slots.items():
            setattr(self, name, value)
        self._number = _next_number()

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded so that gradients can flow to it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    # ---- the graph ---------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf, in place; returns self."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use .detach()")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype "
                            f"{self.data.dtype}; convert first, e.g. Tensor(x, dtype=np.float64)")
        self._requires_grad = bool(requires_grad) or self.grad_fn is not None
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an op); only leaves receive ``.grad``."""
        return self.grad_fn is None

    def retain_grad(self) -> None:
        """Ask backward to store ``.grad`` on this non-leaf tensor too."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() needs a tensor that requires grad")
        self._retains_grad = True

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph."""
        return Tensor._make(self.data)

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is the upstream gradient (needed unless self has one element).
        ``retain_graph`` (default: ``create_graph``) keeps the graph for another backward;
        ``create_graph`` records this backward pass so its gradients can be differentiated.
        """
        if not self._requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: no input of "
                               "its graph has requires_grad=True")
        retain_graph = create_graph if retain_graph is None else retain_graph
        if (tracer := _tracer_now()) is not None:  # compile records the whole pass its own way
            tracer.backward_pass(self, gradient, retain_graph, create_graph, _walk)
            return
        _walk(self, gradient, retain_graph, create_graph)

    def _bump_version(self) -> int:
        """Record that this tensor's data was changed in place (every in-place write made by
        the library calls it): ``_version`` goes up and the change is stamped, so backward can
        tell that a value an op saved was changed after the op ran (see the end of this file)."""
        return _bump_versions((self,))


def _bump_versions(tensors: tuple[Tensor, ...]) -> int:
    """``_bump_version`` of several tensors changed by one update (a compiled optimizer step), with
    one stamp: one call instead of one per tensor."""
    global _last_write
    if (tracer := _tracer_now()) is not None:  # compile refuses in-place writes (but its own)
        for t in tensors:
            tracer.write_in_place(t)
    _last_write = stamp = _next_number()
    for t in tensors:
        t._version += 1
        log = getattr(t, "_write_log", None)
        if log is None:
            t._write_log = [stamp]
        else:
            log.append(stamp)
            if len(log) > _LOG_SIZE:
                del log[0]
    return stamp


def _walk(root: Tensor, gradient: Any, retain_graph: bool, create_graph: bool) -> None:
    """The walk of ``root.backward(gradient, retain_graph, create_graph)``: from ``root`` back to the
    leaves, newest tensor first, each tensor passing on the sum of what it received."""
    grads: dict[Tensor, Any] = {root: _seed(root, gradient, create_graph)}  # received so far
    waiting = [(-root._number, root)]  # a heap: the newest waiting tensor comes out first
    kind = Tensor if create_graph else np.ndarray  # what each gradient must be
    outer_mode = _grad_state.enabled
    _set_enabled(create_graph)  # the backward formulas are recorded only if asked
    try:
        while waiting:
            t = heappop(waiting)[1]  # all of t's consumers are done: they are newer than t
            g = grads.pop(t)
            ctx = t.grad_fn
            if ctx is None or t._retains_grad:
                _accumulate(t, g, create_graph)
            if ctx is None:  # a leaf: nothing further down
                if _hooked:
                    _watch_backward(t, g, None, create_graph)
                continue
            input_grads = ctx._input_grads(g, t, create_graph)
            if _hooked:
                _watch_backward(t, g, input_grads, create_graph)
            for p, pg in zip(ctx.parents, input_grads):
                if pg is None or not p._requires_grad:
                    continue
                if not _fits(pg, p, kind):
                    pg = _conform(ctx, p, pg, input_grads, create_graph)
                earlier = grads.get(p)
                if earlier is None:  # the first gradient to reach p: p now waits its turn
                    grads[p] = pg
                    heappush(waiting, (-p._number, p))
                else:  # add it to what p has received (not in place: pg may alias another gradient)
                    grads[p] = earlier + pg
            if not retain_graph:  # free the saved arrays, parameters and links right away
                ctx.__dict__.clear()  # (the class-level defaults take over)
                ctx._freed = True  # a second backward through ctx is an error
    finally:
        _set_enabled(outer_mode)


def _seed(root: Tensor, gradient: Any, create_graph: bool) -> Any:
    """dL/dL, where the walk starts: 1 for a one-element output, else ``gradient`` (of the
    output's shape; converted to its dtype). A Tensor under create_graph, else an ndarray."""
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward() on an output of shape {root.shape} needs a `gradient` "
                               "of that shape (only one-element outputs get an implicit 1)")
        gradient = np.ones_like(root.data)
    seed = gradient if isinstance(gradient, Tensor) and create_graph else Tensor(gradient)
    if seed.shape != root.shape:
        raise ValueError(f"backward(gradient=...) got shape {seed.shape}, but the output has "
                         f"shape {root.shape}")
    if seed.dtype != root.dtype:
        seed = seed.astype(root.dtype)
    return seed if create_graph else seed.data


def _accumulate(t: Tensor, g: Any, create_graph: bool) -> None:
    """Add ``g`` to ``t.grad`` (PyTorch semantics: gradients add up across backward calls)."""
    if create_graph:  # a recorded copy (as PyTorch clones): g may be another leaf's gradient too
        t.grad = ops.Copy.apply(g) if t.grad is None else t.grad + g
    elif t.grad is None:  # a copy: g may also be another tensor's gradient, or the caller's array
        t.grad = Tensor._make(np.array(g))
    else:
        t.grad = _add_into(t.grad, g)


def _add_into(grad: Tensor, g: Array) -> Tensor:
    """``grad + g`` for ``.grad``: written into grad's own array, as PyTorch accumulates (whoever
    holds that ``.grad`` sees the sum, and no array is allocated), when it is a plain writeable
    array of g's shape and dtype outside any graph; else a new tensor (a ``.grad`` that is part
    of a graph, read-only, or of a shape that broadcasts)."""
    a = grad.data
    if grad.grad_fn is None and not grad._requires_grad and type(a) is np.ndarray and a.shape == g.shape \
            and a.dtype == g.dtype and a.flags.writeable:
        np.add(a, g, out=a)
        grad._bump_version()
        return grad
    return Tensor._make(np.asarray(a + g))  # (NumPy makes a scalar of a 0-d sum: asarray keeps an array)


def _clear_grads(params: list[Tensor], set_to_none: bool) -> None:
    """``zero_grad`` of an optimizer or a module: set each ``.grad`` to None (PyTorch's default),
    or with ``set_to_none=False`` write zeros into the existing gradient arrays in place (as
    PyTorch's ``grad.zero_()``: whoever holds that ``.grad`` sees the zeros)."""
    def clear() -> None:
        for p in params:
            g = p.grad
            if set_to_none or g is None:
                p.grad = None
            elif g.grad_fn is None and type(g.data) is np.ndarray and g.data.flags.writeable:
                g.data.fill(0)
                g._bump_version()
            else:
                p.grad = Tensor(np.zeros_like(p.data))
    if (tracer := _tracer_now()) is not None:  # compile records it, to repeat it at every call
        tracer.clear_grads(params, set_to_none, clear)
    else:
        clear()


# ---- in-place changes: versions, and the check before an op's backward -------------------
# In-place changes (``t += u``, ``t[i] = v``, ``copy_``, an optimizer's step) follow PyTorch: each
# bumps the tensor's ``_version`` and is stamped with a creation number (``Tensor._bump_version``).
# Before an op's backward runs, the walk compares the latest stamp with the op's output number
# (one comparison); only if something changed since the op ran does ``_check_versions`` look
# closer: an input or output the op saved that was changed raises, and an input that an
# in-place op gave a new history since (``_rebase``) is replaced by the tensor holding the
# history the op used.
_LOG_SIZE = 64  # how many recent in-place changes a tensor remembers (for the error's expected version)
# The creation number of the latest in-place change made anywhere (0: none yet).
_last_write = 0


def _check_versions(op: Function, output: Tensor) -> None:
    """Before backward: route inputs that an in-place op later gave a new history to the
    tensor that held their old one, and raise if an input or the output this op saved was
    changed in place since the op ran (its gradient would silently be wrong)."""
    n = output._number  # every change made after this op ran has a larger stamp
    if any(p._number > n for p in op.parents):
        op.parents = tuple(_history_at(p, n) for p in op.parents)
    for role, t in [*((f"input {i}", p) for i, p in enumerate(op.parents)), ("output", output)]:
        log = getattr(t, "_write_log", None)
        if not log or log[-1] < n or not any(v is t.data or v is t for v in op._saved):
            continue
        later = sum(1 for stamp in log if stamp > n)
        expected = f"{t._version - later}" + (" or earlier" if later == len(log) == _LOG_SIZE else "")
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: {role} of {op.name} (a tensor of shape {t.shape}, dtype {t.dtype}) is at "
            f"version {t._version}; expected version {expected} instead. {op.name} saved it for "
            "backward, and something changed it in place afterwards (an optimizer's step(), +=, "
            "item assignment, copy_/fill_/zero_, load_state_dict). Call backward() before changing "
            "it, or change a copy (t = t + u instead of t += u)")


def _history_at(t: Tensor, number: int) -> Tensor:
    """The tensor that held ``t``'s history when the tensor numbered ``number`` was made:
    ``t`` itself, or a shadow left by an in-place op on it since (see ``Tensor._rebase``)."""
    for stamp, shadow in getattr(t, "_rebased_from", ()):
        if stamp > number:  # the first change after that tensor was made: its shadow held t then
            return shadow  # type: ignore[no-any-return]
    return t


from . import _numpy_api, functional, ops, tensor_methods  # noqa: E402  (they build on Tensor and Function)

tensor_methods._bind(Tensor, ops, functional, _numpy_api)
