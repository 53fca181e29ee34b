"""The engine: ``Tensor``, ``Function`` and the backward pass, in one file.

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
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any

import numpy as np

from . import _grad_mode
from ._grad_mode import _set_enabled
from ._grad_mode import _state as _grad_state

Array = np.ndarray
_requires_grad_of = attrgetter("_requires_grad")
_data_of = attrgetter("data")
_next_number = itertools.count().__next__  # creation order of tensors: a topological order
_new_tensor = object.__new__  # a Tensor without __init__: apply fills its slots itself

# Observers watch the engine work: ``observer.forward(ctx, inputs, result)`` after every op and
# ``observer.backward(tensor, grad, input_grads)`` at every tensor backward visits (input_grads
# is None for a leaf). The backward trace and anomaly detection are observers. The list is
# almost always empty, so when unused they cost one truth test per op.
_observers: list[Any] = []


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


def _lift(x: Any, like: Tensor) -> Tensor:
    """Wrap a non-Tensor operand as a constant. A Python number takes ``like``'s float dtype,
    as NumPy does (``float32_array * 2`` stays float32)."""
    if type(x) in (int, float, bool) and like.data.dtype.kind == "f":  # the usual case first
        return Tensor._make(np.asarray(x, dtype=like.data.dtype))
    if type(x) in (int, float, bool):
        return Tensor._make(np.asarray(x, dtype=np.result_type(like.data, x)))
    return x if isinstance(x, Tensor) else Tensor(x)


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
    _freed = False

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}>"

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (usually inputs or the output) for ``backward``."""
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

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run the op on ``inputs`` and, if any input requires grad, record it in the graph."""
        ctx = cls()
        n = len(inputs)
        try:  # fast path, unrolled for one or two Tensor inputs (~1 µs less per op than a loop)
            if n == 2:
                (a, b) = parents = inputs
                needs: tuple[bool, ...] = (a._requires_grad, b._requires_grad)
                arrays: Any = (a.data, b.data)
            elif n == 1:
                (a,) = parents = inputs
                needs, arrays = (a._requires_grad,), (a.data,)
            else:
                raise AttributeError
        except AttributeError:  # an ndarray or number among the inputs, or more than two inputs
            parents = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
            needs, arrays = tuple(map(_requires_grad_of, parents)), tuple(map(_data_of, parents))
        ctx.needs_input_grad = needs
        try:  # a call without * and ** when it can: 0.2 µs less per op
            if params:
                out = cls.forward(ctx, *arrays, **params)
            elif n == 2:
                out = cls.forward(ctx, arrays[0], arrays[1])
            else:
                out = cls.forward(ctx, *arrays)
        except ValueError as e:
            if type(e) is not ValueError:
                raise
            shapes = ", ".join(str(p.shape) for p in parents)  # add the op and input shapes
            raise ValueError(f"{cls.__name__} (input shapes {shapes}): {e}") from None
        if not isinstance(out, np.ndarray):  # NumPy returns scalars for 0-d results: keep 0-d
            scalar, out = out, np.asarray(out)  # arrays, and let a saved scalar output be `out`
            if ctx._saved:  # (else create_graph would treat exp(x) of a 0-d x as a constant)
                ctx._saved = tuple([out if v is scalar else v for v in ctx._saved])
        result = _new_tensor(Tensor)  # Tensor._make inlined: one call less on every op
        result.data, result.grad, result.grad_fn, result._retains_grad = out, None, None, False
        result._requires_grad, result._number = False, _next_number()
        if True in needs and (not _grad_mode.disabled_threads or _grad_state.enabled) \
                and out.dtype.kind == "f":
            ctx.parents = parents
            result._requires_grad, result.grad_fn = True, ctx
        if _observers:
            for observer in _observers:
                observer.forward(ctx, parents, result)
        return result

    def _vjp(self, grad: Any, output: Tensor, create_graph: bool) -> tuple[Any, ...]:
        """Call ``backward`` and return one gradient (or None) per input, or raise a TypeError
        naming this op if it returned another number of them. (The walk checks each gradient's
        type, shape and dtype with ``_conform`` as it hands it on.)"""
        if create_graph:
            self._output = output  # lets saved_tensors hand back the output tensor itself
            try:
                returned = type(self).backward(self, grad)
            finally:
                self._output = None
        else:
            returned = type(self).backward(self, grad)
        grads: tuple[Any, ...] = returned if type(returned) is tuple else (returned,)
        if len(grads) != len(self.parents):
            raise TypeError(f"{self.name}.backward returned {len(grads)} gradients for "
                            f"{len(self.parents)} inputs")
        return grads

    def _conform(self, p: Tensor, g: Any, create_graph: bool, grads: tuple[Any, ...]) -> Any:
        """Bring the gradient ``g`` that ``backward`` returned (among ``grads``) for input ``p``
        to the mode's type (ndarray, or Tensor under create_graph) and to ``p``'s dtype, or raise
        a ValueError naming this op if its shape is wrong."""
        original = g
        if create_graph:
            g = g if isinstance(g, Tensor) else Tensor(g)
        elif type(g) is not np.ndarray:
            g = g.data if isinstance(g, Tensor) else np.asarray(g)
        if g.shape != p.data.shape:
            i = next(i for i, (q, h) in enumerate(zip(self.parents, grads)) if q is p and h is original)
            raise ValueError(f"{self.name}.backward returned a gradient of shape {g.shape} for "
                             f"input {i} of shape {p.shape}")
        return g if g.dtype == p.data.dtype else g.astype(p.data.dtype)

    def _conform_all(self, grads: tuple[Any, ...], create_graph: bool) -> tuple[Any, ...]:
        """``grads`` with each one for an input that requires grad conformed (see ``_conform``)."""
        return tuple(g if g is None or not p._requires_grad else self._conform(p, g, create_graph, grads)
                     for p, g in zip(self.parents, grads))


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` accepts ndarrays, nested lists and
    scalars, sharing memory with an ndarray when it can (like ``np.asarray``). Dtypes follow
    NumPy; only floating-point tensors can require grad.
    """

    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "_retains_grad", "_number", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to us: `arr + t` calls t.__radd__ and gives a Tensor

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: Array = _as_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn: Function | None = None
        self._retains_grad = False
        self._requires_grad = False
        self._number = _next_number()
        if requires_grad:
            self.requires_grad_(True)

    def __setstate__(self, state: Any) -> None:
        # copy.copy, copy.deepcopy and pickle rebuild a tensor from its slots. The result is a
        # new tensor, so it gets a new creation number: backward's order relies on numbers given
        # at creation (and a copy's inputs are rebuilt before the copy, so that order holds).
        slots = state[1] if isinstance(state, tuple) else state
        for name, value in slots.items():
            setattr(self, name, value)
        self._number = _next_number()

    @staticmethod
    def _make(data: Array) -> Tensor:
        # Skips __init__'s checks: for results whose data is already an ndarray. (Function.apply
        # sets the same slots inline, one call less per op: a new slot goes in both places.)
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t.grad_fn, t._retains_grad, t._requires_grad = data, None, None, False, False
        t._number = _next_number()
        return t

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
        if retain_graph is None:
            retain_graph = create_graph
        grad: Any = _seed(self, gradient, create_graph)
        grads: dict[Tensor, Any] = {self: grad}  # the gradient each waiting tensor has received
        waiting = [(-self._number, self)]  # heap: the newest waiting tensor comes out first
        summed: set[Tensor] = set()  # leaves whose gradient is a sum made here, held by no one else
        kind = Tensor if create_graph else np.ndarray  # what each gradient must be
        outer_mode = _grad_state.enabled
        _set_enabled(create_graph)  # the backward formulas are recorded only if asked
        try:
            while waiting:
                t = heappop(waiting)[1]  # all of t's consumers are done: they are newer than t
                g = grads.pop(t)
                ctx = t.grad_fn
                if ctx is None or t._retains_grad:
                    _accumulate(t, g, create_graph, owned=t in summed)
                if ctx is None:
                    if _observers:
                        for observer in _observers:
                            observer.backward(t, g, None)
                    continue
                if ctx._freed:
                    raise RuntimeError(f"trying to backward through the graph a second time: the graph "
                                       f"below {ctx.name} was freed by an earlier backward(); pass "
                                       "retain_graph=True to that backward() to keep it")
                input_grads = ctx._vjp(g, t, create_graph)
                if _observers:  # they see the gradients as the walk hands them on
                    input_grads = ctx._conform_all(input_grads, create_graph)
                    for observer in _observers:
                        observer.backward(t, g, input_grads)
                for p, pg in zip(ctx.parents, input_grads):
                    if pg is not None and p._requires_grad:
                        d = p.data  # a wrong type, dtype or shape is converted, or rejected naming the op
                        if type(pg) is not kind or pg.dtype is not d.dtype or pg.shape != d.shape:
                            pg = ctx._conform(p, pg, create_graph, input_grads)
                        prev = grads.get(p)
                        if prev is None:
                            grads[p] = pg
                            heappush(waiting, (-p._number, p))
                        else:
                            grads[p] = prev + pg  # never in place: pg may alias another gradient
                            if p.grad_fn is None:
                                summed.add(p)
                if not retain_graph:  # free saved arrays, parameters and links right away
                    ctx.__dict__.clear()  # (the class-level defaults take over)
                    ctx._freed = True
        finally:
            _set_enabled(outer_mode)

    # ---- array facts and conversions -------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> Array:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__  # identity, as in PyTorch (== is elementwise)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = "" if self.dtype in (np.float64, np.int64, np.bool_) else f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn={self.grad_fn!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ---- differentiable operations: each is one Function in ops.py --------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, other if type(other) is Tensor else _lift(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(_lift(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, other if type(other) is Tensor else _lift(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(_lift(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, other if type(other) is Tensor else _lift(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(_lift(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, other if type(other) is Tensor else _lift(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(_lift(other, self), self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, Tensor) and exponent.requires_grad:
            return (exponent * self.log()).exp()  # x**y = exp(y log x): differentiable in y
        if type(exponent) not in (int, float):
            exponent = _as_array(exponent)  # a Python number stays "weak", as NumPy treats it
        return ops.Pow.apply(self, exponent=exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return (self * _lift(base, self).log()).exp()

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, other if type(other) is Tensor else _lift(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(_lift(other, self), self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=index)

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; on ties the gradient is split evenly among the maxima."""
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.Reshape.apply(self, shape=shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (``t.transpose(1, 0)`` or ``t.transpose((1, 0))``); reverse if none."""
        perm = axes[0] if len(axes) == 1 else axes
        return ops.Transpose.apply(self, axes=None if perm is None or len(perm) == 0 else tuple(perm))

    def broadcast_to(self, shape: Any) -> Tensor:
        return ops.BroadcastTo.apply(self, shape=shape)

    def astype(self, dtype: Any) -> Tensor:
        return ops.Cast.apply(self, dtype=np.dtype(dtype))

    # ---- composites: written with the primitives above -------------------------------
    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        return self.transpose()

    @property
    def mT(self) -> Tensor:  # noqa: N802 - NumPy's name
        return self.swapaxes(-1, -2)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        perm = list(range(self.ndim))
        try:
            perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
        except IndexError:
            raise ValueError(f"swapaxes({axis1}, {axis2}) is out of bounds for a tensor of shape "
                             f"{self.shape}") from None
        return self.transpose(perm)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return -((-self).max(axis=axis, keepdims=keepdims))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        s = self.sum(axis=axis, keepdims=keepdims)
        if not self.size:  # an average of nothing: nan, with NumPy's own "Mean of empty slice" warning
            np.mean(self.data, axis=axis, keepdims=keepdims)
        return s * (s.size / self.size if self.size else np.nan)

    def relu(self) -> Tensor:
        return self * (self.data > 0)  # the mask is a constant: d relu/dx = 1 where x > 0, else 0

    def flatten(self) -> Tensor:
        return self.reshape(-1)

    # ---- comparisons give constant boolean tensors ------------------------------------
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data < _data(other)))

    def __le__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data <= _data(other)))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data > _data(other)))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data >= _data(other)))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(np.asarray(self.data == _data(other)))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(np.asarray(self.data != _data(other)))


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _seed(root: Tensor, gradient: Any, create_graph: bool) -> Any:
    """The gradient backward starts from: ones for a one-element output, else ``gradient``."""
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward() on an output of shape {root.shape} needs a `gradient` "
                               "of that shape (only one-element outputs get an implicit 1)")
        seed: Any = np.array(1, root.data.dtype).reshape(root.data.shape)  # np.ones costs 0.6 µs more
        return Tensor._make(seed) if create_graph else seed  # right shape and dtype by construction
    elif isinstance(gradient, Tensor) and create_graph:
        seed = gradient
    else:
        seed = _as_array(gradient)
    if seed.shape != root.shape:
        raise ValueError(f"backward(gradient=...) got shape {seed.shape}, but the output has "
                         f"shape {root.shape}")
    if seed.dtype != root.dtype:
        seed = seed.astype(root.dtype)
    return Tensor(seed) if create_graph and not isinstance(seed, Tensor) else seed


def _accumulate(t: Tensor, g: Any, create_graph: bool, owned: bool = False) -> None:
    """Add ``g`` to ``t.grad`` (PyTorch semantics: gradients add up across backward calls).
    ``owned``: nothing else holds ``g``, so the leaf can keep it without a copy."""
    if create_graph:  # a recorded copy (as PyTorch clones): g may be another leaf's gradient too
        t.grad = (g if owned else Clone.apply(g)) if t.grad is None else t.grad + g
    elif t.grad is None:  # else a copy: g may also be another tensor's gradient, or the caller's
        t.grad = Tensor._make(g if owned and type(g) is np.ndarray else np.array(g))
    else:  # (NumPy makes a scalar of a 0-d sum: asarray keeps .grad an array)
        t.grad = Tensor._make(np.asarray(t.grad.data + g))


class Clone(Function):
    """out = a copy of x.  Backward: dL/dx = g.  What a leaf keeps as ``.grad`` under
    ``create_graph=True`` (PyTorch's CloneBackward): the same gradient tensor may reach several
    leaves (through an add) or be the caller's ``gradient=``, and each ``.grad`` must be its own."""

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        out: Array = x.copy()
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g


from . import ops  # noqa: E402  (ops.py builds on Tensor and Function, so it comes last)
