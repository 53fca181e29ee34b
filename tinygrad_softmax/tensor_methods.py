"""Tensor's API: the operator methods (``+``, ``@``, ``.sum``, ``.reshape`` ...), the array facts
(``shape``, ``dtype``), NumPy's protocols and the in-place methods, kept apart from the engine.

``Tensor`` (in ``tensor.py``) is one class for users: it inherits these methods from
``TensorMethods``. ``tensor.py`` holds what makes backprop work (``Function.apply``, the backward
walk, accumulation); every method here only checks its arguments and calls an op of ``ops.py``
through ``Function.apply``, or composes other methods.

The ops subclass ``Function`` and build ``Tensor`` results, so ``ops``, ``functional`` and
``_numpy_api`` can load only after ``tensor.py`` has defined both; ``tensor.py`` then hands them
(and ``Tensor`` itself) to this module with ``_bind``, before any method can run.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np

from . import _grad_mode
from . import tensor as _engine  # its hook state: _hooked, _tracer (see hooks.py)
from ._grad_mode import _state as _grad_state
from ._shapes import AxisError, TensorIndexError, normalize_axes, normalize_axis, resolve_axis
from .tensor import _as_array, _next_number, composite  # defined before tensor.py imports this module

if TYPE_CHECKING:
    from . import _numpy_api, functional, ops
    from .tensor import Function, Tensor

Array = np.ndarray


def _bind(tensor: type, ops_module: ModuleType, functional_module: ModuleType,
          numpy_api_module: ModuleType) -> None:
    """Called once by ``tensor.py`` when the modules the methods call have loaded."""
    globals().update(Tensor=tensor, ops=ops_module, functional=functional_module,
                     _numpy_api=numpy_api_module)


_Operator = Callable[["TensorMethods", Any], "Tensor"]


def _binary(op: str) -> tuple[_Operator, _Operator]:
    """The two methods of a binary operator: ``self op other`` and the reflected ``other op self``,
    both one call of ``ops.<op>``, whose backward gives the gradient. A number or an array operand
    becomes a constant first (``_lift``); ``ops`` is looked up at call time because it loads after
    this module."""
    def method(self: TensorMethods, other: Any) -> Tensor:
        """``self op other`` as ``ops.<op>``, whose backward gives both gradients."""
        function: type[Function] = getattr(ops, op)
        return function.apply(self, other if type(other) is Tensor else _lift(other, self))

    def reflected(self: TensorMethods, other: Any) -> Tensor:
        """``other op self`` for a number or an array ``other``, as ``ops.<op>``: its backward gives
        the gradient."""
        function: type[Function] = getattr(ops, op)
        return function.apply(_lift(other, self), self)

    return method, reflected


class TensorMethods:
    """The methods ``Tensor`` inherits: everything but the graph's core (see the module docstring)."""

    if not TYPE_CHECKING:
        __slots__ = ()  # Tensor declares the slots
    else:  # the slots of Tensor that the methods use
        _write_log: list[int]
        _rebased_from: list[tuple[int, Tensor]]
        data: Array
        grad: Tensor | None
        grad_fn: Function | None
        _requires_grad: bool
        _number: int
        _version: int

        @property
        def requires_grad(self) -> bool:
            raise NotImplementedError

        def _bump_version(self) -> int:
            raise NotImplementedError

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
    def size(self) -> Size:
        """The number of elements, an int as NumPy's ``a.size``, that PyTorch code can also call:
        ``t.size()`` is the shape and ``t.size(dim)`` one length (PyTorch's ``size`` is a method)."""
        return Size(self.data.shape)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if _engine._hooked:
            _reading(self, ".item()")
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> Array:
        """The underlying ndarray (shared, not copied). Refused on a tensor that requires grad,
        as in PyTorch: the array would be cut from the graph; use ``t.detach().numpy()``."""
        if _engine._hooked:
            _reading(self, ".numpy()")
        if self._requires_grad:
            raise RuntimeError(_cut_from_graph("numpy()", self))
        return self.data

    def tolist(self) -> Any:
        if _engine._hooked:
            _reading(self, ".tolist()")
        return self.data.tolist()

    # ---- NumPy's protocols: np.<fn>(tensor) runs our op (see _numpy_api.py) -------------
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        """``np.asarray(t)``: the data of a tensor without grad; refused with grad (see numpy())."""
        if self._requires_grad:
            raise RuntimeError(_cut_from_graph("np.asarray()/np.array()", self) + ". (An ndarray method "
                               "given a Tensor, such as X.dot(W), asks for this too: write np.dot(X, W) or "
                               "X @ W)")
        data = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return data.copy() if copy else data

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """``np.exp(t)``, ``np.add(arr, t)``, ``arr + t``: the ufunc as our differentiable op."""
        return _numpy_api.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """``np.sum(t, axis=1)``, ``np.dot(X, W)``: the function as our op, or a TypeError."""
        return _numpy_api.array_function(func, args, kwargs)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if _engine._hooked:
            _reading(self, "bool()")
        return bool(self.data)

    def __float__(self) -> float:
        if _engine._hooked:
            _reading(self, "float()")
        return float(self.item())

    def __int__(self) -> int:
        if _engine._hooked:
            _reading(self, "int()")
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

    def _repr_html_(self) -> str | None:
        """Jupyter: a tensor with a graph shows a small drawing of it (None: the plain repr)."""
        from .explore import tensor_html  # drawing code loads only when a notebook asks
        return tensor_html(cast("Tensor", self))

    # ---- differentiable operations: each is one Function in ops.py --------------------
    # ``a + b`` calls a.__add__(b), and b.__radd__(a) when ``a`` (a number, an array) cannot add a Tensor
    __add__, __radd__ = _binary("Add")
    __sub__, __rsub__ = _binary("Sub")
    __mul__, __rmul__ = _binary("Mul")
    __truediv__, __rtruediv__ = _binary("Div")
    __matmul__, __rmatmul__ = _binary("MatMul")

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return cast("Tensor", self)  # (self is a Tensor: only Tensor inherits these)

    def __pow__(self, exponent: Any) -> Tensor:
        if type(exponent) in (int, float):  # a constant number: stays "weak", as NumPy treats it
            return ops.Pow.apply(self, exponent=exponent)
        return ops.PowTensor.apply(self, exponent if type(exponent) is Tensor else _lift(exponent, self))

    def __rpow__(self, base: Any) -> Tensor:
        return ops.PowTensor.apply(_lift(base, self), self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=index)

    # ---- in-place changes (PyTorch's rules; each one bumps _version) ------------------
    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value``: see ``_change_in_place`` for when it is recorded."""
        if not (_grad_state.enabled and (self._requires_grad or getattr(value, "_requires_grad", False))):
            idx = ops._prepare_index(index)[0]  # nothing to record: write the array (NumPy's casting)
            try:
                self.data[idx] = _data(value)
            except IndexError as e:
                raise TensorIndexError(f"cannot index a tensor of shape {self.shape} with {index!r}: "
                                           f"{e}") from None
            except ValueError as e:
                fix = "; write into a copy (t = t.copy())" if "read-only" in str(e) else ""
                raise ValueError(f"item assignment into a tensor of shape {self.shape} at {index!r}: "
                                 f"{e}{fix}") from None
            self._bump_version()
            return

        def write(t: Tensor) -> Tensor:
            v = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=t.dtype))
            return ops.IndexPut.apply(t, v, index=index)
        self._change_in_place("item assignment", value, write)

    def __iadd__(self, other: Any) -> Tensor:
        return self._change_in_place("+=", other, lambda t: t + other)

    def __isub__(self, other: Any) -> Tensor:
        return self._change_in_place("-=", other, lambda t: t - other)

    def __imul__(self, other: Any) -> Tensor:
        return self._change_in_place("*=", other, lambda t: t * other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._change_in_place("/=", other, lambda t: t / other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._change_in_place("**=", other, lambda t: t**other)

    def add_(self, other: Any) -> Tensor:
        """``self += other`` (PyTorch's spelling); the gradient is that of ``+``, recorded in place."""
        return self.__iadd__(other)

    def sub_(self, other: Any) -> Tensor:
        """``self -= other`` (PyTorch's spelling); the gradient is that of ``-``, recorded in place."""
        return self.__isub__(other)

    def mul_(self, other: Any) -> Tensor:
        """``self *= other`` (PyTorch's spelling); the gradient is that of ``*``, recorded in place."""
        return self.__imul__(other)

    def div_(self, other: Any) -> Tensor:
        """``self /= other`` (PyTorch's spelling); the gradient is that of ``/``, recorded in place."""
        return self.__itruediv__(other)

    def copy_(self, src: Any) -> Tensor:
        """Write ``src`` (broadcast to this shape, cast to this dtype) into this tensor; returns it.
        Backward: ``src`` receives the gradient (summed over broadcast axes); the old values none."""
        self[...] = src
        return cast("Tensor", self)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value``, in place; returns self. The old values get zero gradient."""
        self[...] = value
        return cast("Tensor", self)

    def zero_(self) -> Tensor:
        """Set every element to 0, in place; returns self. The old values get zero gradient."""
        return self.fill_(0)

    def _change_in_place(self, what: str, other: Any, compute: Any) -> Tensor:
        """Make ``self`` hold ``compute(self)`` (an out-of-place Tensor op), as PyTorch's in-place
        ops do. On a leaf that requires grad it is refused (unless grad mode is off, as in an
        optimizer). When the result needs recording (self or ``other`` requires grad), self gets
        the result's history and data (a new array) and its old history moves to a new tensor that
        earlier uses keep (see ``_rebase``). Otherwise the data array is written in place."""
        recording = _grad_state.enabled
        if recording and self._requires_grad and self.grad_fn is None:
            raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation "
                               f"({what} on a tensor of shape {self.shape}): it would change the value the "
                               "graph was built from. Write it out of place (t = t + u), or change the "
                               "parameter under `with no_grad():` as an optimizer does")
        if recording and (self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            new = compute(self)
            _check_fits(what, self, new)
            if new.dtype != self.dtype:
                new = new.astype(self.dtype)
            view = self._view_of(what)
            if view is not None:  # a view (t[idx]): the change goes to its base, and self stays its view
                base, index = view
                base[index] = new
                new = base[index]
            self._rebase(new)
            return cast("Tensor", self)
        with _grad_mode.no_grad():
            new = compute(self)
        _check_fits(what, self, new)
        try:
            self.data[...] = new.data
        except ValueError as e:  # a read-only view (broadcast_to)
            raise ValueError(f"{what}: cannot write into this tensor of shape {self.shape} ({e}); "
                             "write into a copy (t = t.copy())") from None
        self._bump_version()
        return cast("Tensor", self)

    def _view_of(self, what: str) -> tuple[Tensor, Any] | None:
        """``(base, index)`` if this graph tensor is ``base[index]`` sharing base's memory (an
        in-place change must then reach the base too, as in PyTorch); None if it is no view. Views
        made by other ops (reshape, transpose ...) are refused."""
        ctx = self.grad_fn
        if ctx is None or not any(np.may_share_memory(self.data, p.data) for p in ctx.parents):
            return None
        if isinstance(ctx, ops.GetItem) and ctx.parents[0]._number < self._number:
            return ctx.parents[0], ctx.index  # type: ignore[attr-defined]
        raise RuntimeError(f"{what} on a view ({ctx.name} output sharing memory with its input) that is "
                           "part of the autograd graph is not supported: PyTorch would change the base "
                           "tensor as well. Change the base tensor (base[idx] += u), or write it out of "
                           "place (v = v + u)")

    def _rebase(self, new: Tensor) -> None:
        """Give self ``new``'s data and history, as an in-place op on a graph tensor does in
        PyTorch. A new tensor (the "shadow") takes self's old data, history and creation number,
        and replaces self among ``new``'s inputs; ops that used self before keep the old value and
        are routed to the shadow at backward (``_history_at``), so every gradient stays exact."""
        ctx = new.grad_fn
        assert ctx is not None
        shadow = Tensor._make(self.data)
        shadow.grad_fn, shadow._requires_grad = self.grad_fn, self._requires_grad
        shadow._number, shadow._version = self._number, self._version
        if getattr(self, "_write_log", None):  # earlier in-place writes belong to the old history
            shadow._write_log = list(self._write_log)
        ctx.parents = tuple(shadow if p is self else p for p in ctx.parents)
        self.data, self.grad_fn, self._requires_grad = new.data, ctx, True
        stamp = self._bump_version()  # tells older ops that self changed (they are routed to the shadow)
        self._number = _next_number()  # newer than that change: it is this history's own
        # Listed by the stamp of the change, for the ops that used self before it (_history_at).
        # (So a tensor changed in place while in a graph keeps its earlier values while it lives.)
        links = getattr(self, "_rebased_from", None)
        if links is None:
            self._rebased_from = links = []
        links.append((stamp, shadow))

    # ---- NumPy's ndarray methods ------------------------------------------------------
    def dot(self, other: Any) -> Tensor:
        """NumPy's ``a.dot(b)``: a matrix or inner product (``@``), or ``*`` when one side is 0-d; the
        gradient is that of ``@`` (or ``*``)."""
        return _numpy_api.dot(self, other)

    def copy(self) -> Tensor:
        """A copy with its own data (differentiable: the gradient passes through unchanged)."""
        return ops.Copy.apply(self)

    def ravel(self) -> Tensor:
        """The elements as a 1-D tensor (NumPy's ``ravel``); the gradient is reshaped back."""
        return self.reshape(-1)

    def exp(self) -> Tensor:
        """eˣ elementwise. Backward: g·eˣ (the saved output)."""
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        """Natural logarithm elementwise. Backward: g / x."""
        return ops.Log.apply(self)

    def tanh(self) -> Tensor:
        """tanh(x) elementwise. Backward: g·(1 − tanh²(x))."""
        return ops.Tanh.apply(self)

    # ---- more elementwise functions (each one Function in ops.py; derivatives there) ----
    def sqrt(self) -> Tensor:
        """√x elementwise; the gradient is 1/(2√x) (inf at 0)."""
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        """|x| elementwise; the gradient is sign(x), 0 at x = 0 (as in PyTorch)."""
        return ops.Abs.apply(self)

    def __abs__(self) -> Tensor:
        return ops.Abs.apply(self)

    def sigmoid(self) -> Tensor:
        """1 / (1 + e⁻ˣ) elementwise, without overflow; the gradient is σ(x)(1 − σ(x))."""
        return ops.Sigmoid.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit the values to [min, max] (either may be None); PyTorch's ``clamp``.

        The bounds are constants: numbers, or arrays/tensors that broadcast with this one (a
        bound that requires grad raises: write ``maximum``/``minimum`` instead). The gradient is
        1 where min ≤ x ≤ max (the bounds included, as PyTorch) and 0 outside; if min > max
        every value becomes max.
        """
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must not be None")
        return ops.Clamp.apply(self, lo=_bound(min, "min"), hi=_bound(max, "max"))

    def clip(self, a_min: Any = None, a_max: Any = None, *, min: Any = None,
             max: Any = None) -> Tensor:
        """NumPy's spelling of :meth:`clamp` (``a_min``/``a_max``, or ``min``/``max`` as PyTorch's
        ``clip``); the same op, with the same gradient (1 inside the bounds, 0 outside)."""
        if a_min is not None and min is not None or a_max is not None and max is not None:
            raise TypeError("clip: give each bound once, as a_min/a_max (NumPy) or min/max (PyTorch)")
        return self.clamp(a_min if min is None else min, a_max if max is None else max)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max(self, other), broadcasting. The gradient goes to the larger input;
        on a tie each gets half (PyTorch's rule)."""
        return ops.Maximum.apply(self, other if type(other) is Tensor else _lift(other, self))

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min(self, other), broadcasting. The gradient goes to the smaller input;
        on a tie each gets half (PyTorch's rule)."""
        return ops.Minimum.apply(self, other if type(other) is Tensor else _lift(other, self))

    def sin(self) -> Tensor:
        """sin(x) elementwise; the gradient is cos(x)."""
        return ops.Sin.apply(self)

    def cos(self) -> Tensor:
        """cos(x) elementwise; the gradient is −sin(x)."""
        return ops.Cos.apply(self)

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x; the gradient is 1/(1 + x)."""
        return ops.Log1p.apply(self)

    def expm1(self) -> Tensor:
        """eˣ − 1, accurate for small x; the gradient is eˣ."""
        return ops.Expm1.apply(self)

    def square(self) -> Tensor:
        """x² elementwise; the gradient is 2x."""
        return ops.Square.apply(self)

    def sign(self) -> Tensor:
        """−1, 0 or 1 elementwise; zero gradient (as PyTorch)."""
        return ops.Sign.apply(self)

    def floor(self) -> Tensor:
        """Round down elementwise; zero gradient."""
        return ops.Floor.apply(self)

    def ceil(self) -> Tensor:
        """Round up elementwise; zero gradient."""
        return ops.Ceil.apply(self)

    def round(self, decimals: int = 0) -> Tensor:
        """Round to ``decimals`` digits, halves to even (as NumPy and PyTorch); zero gradient."""
        return ops.Round.apply(self, decimals=operator.index(decimals))

    def softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """``functional.softmax`` along ``dim`` (or ``axis``), which must be given; the gradient
        (Jacobian-vector product) is s ⊙ (g − Σ g·s)."""
        from .functional import softmax

        return softmax(self, operator.index(_required_axis("softmax", axis, dim)))

    def log_softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """``functional.log_softmax`` along ``dim`` (or ``axis``), which must be given; the
        gradient is g − softmax(x)·Σ g."""
        from .functional import log_softmax

        return log_softmax(self, operator.index(_required_axis("log_softmax", axis, dim)))

    # ---- reductions: NumPy's axis/keepdims or PyTorch's dim/keepdim (both → TypeError) ----
    def sum(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Sum over ``axis``/``dim`` (None: all; an int or a tuple). Backward: g broadcast back over
        the summed axes."""
        if dim is not None or keepdim is not None:  # (the hot NumPy spelling skips a call)
            axis, keepdims = resolve_axis(axis, dim, keepdims, keepdim)
        return ops.Sum.apply(self, axis=axis, keepdims=bool(keepdims))

    def max(self, *args: Any, axis: Any = None, keepdims: bool | None = None, dim: Any = None,
            keepdim: bool | None = None) -> Any:
        """Maximum over ``axis`` (values, as NumPy's ``a.max(axis=...)``), or with ``dim=`` an int,
        PyTorch's ``(values, indices)`` namedtuple. On ties the gradient is split evenly among the
        maxima. Exact for every dtype. A positional axis is refused (NumPy and PyTorch read it
        differently)."""
        return self._extremum(ops.Max, "max", args, axis, dim, keepdims, keepdim)

    def min(self, *args: Any, axis: Any = None, keepdims: bool | None = None, dim: Any = None,
            keepdim: bool | None = None) -> Any:
        """Minimum, as :meth:`max` (values with ``axis=``, ``(values, indices)`` with ``dim=``).
        Backward: g to the minima, split evenly among ties."""
        return self._extremum(ops.Min, "min", args, axis, dim, keepdims, keepdim)

    def _extremum(self, op: Any, name: str, args: tuple[Any, ...], axis: Any, dim: Any,
                  keepdims: bool | None, keepdim: bool | None) -> Any:
        if args:
            what = "the elementwise maximum/minimum of two tensors: use maximum/minimum(a, b), or " \
                if isinstance(args[0], Tensor) else ""
            raise TypeError(f"t.{name}({', '.join(map(repr, args))}) is ambiguous: NumPy's a.{name}(1) "
                            f"returns the values, PyTorch's t.{name}(1) returns (values, indices). For "
                            f"{what}a "
                            f"reduction, write t.{name}(axis=1) for the values or t.{name}(dim=1) for "
                            "(values, indices)")
        axis_, keep = resolve_axis(axis, dim, keepdims, keepdim)
        values = op.apply(self, axis=axis_, keepdims=keep)
        if dim is None:
            return values
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"{name}(dim=...) takes one int (it returns values and indices, as PyTorch's); "
                            f"for several axes write {name}(axis={tuple(dim)!r}) (values only)")
        pick = np.argmax if name == "max" else np.argmin
        indices = pick(self.data, axis=normalize_axis(dim, self.ndim) if self.ndim else None, keepdims=keep)
        return ValuesIndices(values, Tensor._make(np.asarray(indices, dtype=np.int64)))

    def amax(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """Maximum values over ``axis``/``dim`` (an int or a tuple), as PyTorch's ``amax``.
        Backward: g to the maxima, split evenly among ties."""
        axis, keepdims = resolve_axis(axis, dim, keepdims, keepdim)
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def amin(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """Minimum values over ``axis``/``dim`` (an int or a tuple), as PyTorch's ``amin``.
        Backward: g to the minima, split evenly among ties."""
        axis, keepdims = resolve_axis(axis, dim, keepdims, keepdim)
        return ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
               keepdim: bool | None = None) -> Tensor:
        """Index (int64) of the first maximum along ``axis``/``dim`` (an int), or into the flattened
        tensor if None. No gradient: the result is an integer constant."""
        return self._arg(np.argmax, axis, dim, keepdims, keepdim)

    def argmin(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
               keepdim: bool | None = None) -> Tensor:
        """Index (int64) of the first minimum, as :meth:`argmax`. No gradient (an integer result)."""
        return self._arg(np.argmin, axis, dim, keepdims, keepdim)

    def _arg(self, pick: Any, axis: Any, dim: Any, keepdims: bool | None, keepdim: bool | None) -> Tensor:
        axis, keep = resolve_axis(axis, dim, keepdims, keepdim)
        if axis is not None:
            axis = normalize_axis(axis, self.ndim) if self.ndim else None
        if self.size == 0:
            raise ValueError(f"arg{pick.__name__[3:]} of an empty tensor of shape {self.shape}")
        return Tensor._make(np.asarray(pick(self.data, axis=axis, keepdims=keep), dtype=np.int64))

    def prod(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """Product over ``axis``/``dim``; gradient = product of the other entries (exact with zeros)."""
        axis, keepdims = resolve_axis(axis, dim, keepdims, keepdim)
        return ops.Prod.apply(self, axis=axis, keepdims=keepdims)

    @composite("mean")
    def mean(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
             keepdim: bool | None = None) -> Tensor:
        """Mean over ``axis``/``dim`` (None: all; an int or a tuple); nan for an empty reduction.
        A composite (sum times 1/N). Backward: g / N broadcast back over the reduced axes."""
        axis, keepdims = resolve_axis(axis, dim, keepdims, keepdim)
        s = self.sum(axis=axis, keepdims=keepdims)
        if not self.data.size:  # an average of nothing: nan, with NumPy's own "Mean of empty slice" warning
            np.mean(self.data, axis=axis, keepdims=bool(keepdims))
        return s * (s.data.size / self.data.size if self.data.size else np.nan)

    def var(self, axis: Any = None, *, dim: Any = None, keepdims: bool | None = None,
            keepdim: bool | None = None, correction: float | None = None, unbiased: bool | None = None,
            ddof: float | None = None) -> Tensor:
        """Σ (x − mean)² / (N − correction) over ``axis``/``dim``, N the number of entries reduced.

        The divisor must be chosen: PyTorch's ``correction=1`` (or ``unbiased=True``; ``unbiased=False``
        is ``correction=0``) or NumPy's ``ddof=``. A bare ``t.var()`` is a TypeError, because PyTorch
        (N − 1) and NumPy (N) mean different things by it. N ≤ correction gives inf or nan, as both do.
        A composite of exact ops: gradient 2 (x − mean) / (N − correction), differentiable again.
        """
        axis, keepdims = resolve_axis(axis, dim, keepdims, keepdim)
        c = _correction("var", correction, unbiased, ddof)
        n = math.prod(self.shape[a] for a in normalize_axes(axis, self.ndim))  # entries per result
        d = self - self.mean(axis=axis, keepdims=True)
        scale = 1.0 / (n - c) if n > c else math.inf
        with np.errstate(invalid="ignore"):  # 0 · inf = nan: a variance of too few entries
            return (d * d).sum(axis=axis, keepdims=keepdims) * scale

    def std(self, axis: Any = None, *, dim: Any = None, keepdims: bool | None = None,
            keepdim: bool | None = None, correction: float | None = None, unbiased: bool | None = None,
            ddof: float | None = None) -> Tensor:
        """sqrt(var) with the same arguments (a bare ``t.std()`` is a TypeError, see :meth:`var`).
        Gradient (x − mean) / ((N − correction)·std); nan where std = 0 (not differentiable), as PyTorch."""
        c = _correction("std", correction, unbiased, ddof)
        return self.var(axis=axis, dim=dim, keepdims=keepdims, keepdim=keepdim, correction=c) ** 0.5

    def any(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Whether any entry is nonzero over ``axis``/``dim`` (a bool tensor, no gradient)."""
        return self._logical(np.logical_or, axis, dim, keepdims, keepdim)

    def all(self, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
            keepdim: bool | None = None) -> Tensor:
        """Whether every entry is nonzero over ``axis``/``dim`` (a bool tensor, no gradient)."""
        return self._logical(np.logical_and, axis, dim, keepdims, keepdim)

    def _logical(self, ufunc: Any, axis: Any, dim: Any, keepdims: bool | None,
                 keepdim: bool | None) -> Tensor:
        axis, keep = resolve_axis(axis, dim, keepdims, keepdim)
        out = ufunc.reduce(self.data, axis=normalize_axes(axis, self.ndim), keepdims=keep)
        return Tensor._make(np.asarray(out))

    def cumsum(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """Cumulative sum along ``axis``/``dim`` (an int); None, NumPy's default, runs over the
        flattened tensor. Gradient: the cumulative sum of g taken from the end."""
        axis, _ = resolve_axis(axis, dim)
        if axis is None:
            return ops.CumSum.apply(self.reshape(-1), axis=0)
        if self.ndim == 0:  # PyTorch allows dim 0 (or −1) on a 0-d tensor
            normalize_axis(axis, 0)
            return ops.CumSum.apply(self.reshape(1), axis=0).reshape(())
        return ops.CumSum.apply(self, axis=axis)

    def logsumexp(self, dim: Any = None, keepdim: bool | None = None, *, axis: Any = None,
                  keepdims: bool | None = None) -> Tensor:
        """log Σ exp over ``dim``/``axis`` (required, an int or a tuple): ``functional.logsumexp``.
        Backward: g·softmax(x) along the reduced axes."""
        return functional.logsumexp(self, _required_axis("logsumexp", axis, dim), keepdim, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in a new shape (ints or one tuple; one −1 is inferred).
        Backward: g reshaped back."""
        return ops.Reshape.apply(self, shape=shape[0] if len(shape) == 1 else shape)

    def transpose(self, *dims: Any) -> Tensor:
        """PyTorch's ``transpose(dim0, dim1)``: swap two dimensions.

        NumPy's meanings are kept only where PyTorch would fail: ``transpose()`` reverses all axes,
        ``transpose((2, 0, 1))`` (one tuple or list) permutes them, and so do ndim ints for ndim ≥ 3
        (``transpose(2, 0, 1)``). See :meth:`permute`. Backward: g with the inverse permutation.
        """
        if not dims or (len(dims) == 1 and dims[0] is None):
            return ops.Transpose.apply(self, axes=None)
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            return self.permute(*dims[0])  # an empty one fits only a 0-d tensor, as in NumPy
        if len(dims) == 2:
            return self.swapaxes(*dims)
        if len(dims) == self.ndim and self.ndim != 2:
            return self.permute(*dims)
        raise TypeError(f"transpose{dims} on a tensor of shape {self.shape}: pass two dims to swap "
                        f"(PyTorch's transpose(dim0, dim1)) or a full permutation, as permute(*dims)")

    def permute(self, *dims: Any) -> Tensor:
        """The axes reordered, ``out.shape[i] = shape[dims[i]]``: ``permute(2, 0, 1)`` or
        ``permute((2, 0, 1))``. Backward: g permuted back (the inverse permutation)."""
        perm = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        if len(perm) != self.ndim:
            raise ValueError(f"permute{perm} needs {self.ndim} dims for a tensor of shape {self.shape}, "
                             f"got {len(perm)}")
        return ops.Transpose.apply(self, axes=perm)

    def broadcast_to(self, shape: Any) -> Tensor:
        """NumPy's ``broadcast_to``: the tensor repeated along new or size-1 axes.
        Backward: g summed over the broadcast axes."""
        return ops.BroadcastTo.apply(self, shape=shape)

    # ---- more shape ops (PyTorch names; most are reshapes, broadcasts or indexing) ---------
    def unsqueeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """A new axis of size 1 at position ``dim`` (or ``axis``; in [-ndim-1, ndim], as in PyTorch).
        Backward: the gradient reshaped back (a composite of ``reshape``)."""
        d = normalize_axis(_required_axis("unsqueeze", axis, dim), self.ndim + 1, "unsqueeze: dim")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand_dims(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """NumPy's ``expand_dims``: new size-1 axes at the positions ``axis`` (an int or a tuple;
        ``dim`` is PyTorch's spelling) of the result. Backward: the gradient reshaped back."""
        axis, _ = resolve_axis(axis, dim)
        if axis is None:
            raise TypeError("expand_dims() needs axis= (the position of the new axis)")
        axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
        ndim = self.ndim + len(axes)
        new = {normalize_axis(a, ndim, "expand_dims: axis") for a in axes}
        if len(new) != len(axes):
            raise ValueError(f"repeated axis in expand_dims({axis!r})")
        rest = iter(self.shape)
        return self.reshape(tuple(1 if i in new else next(rest) for i in range(ndim)))

    def squeeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """Drop size-1 axes: all of them, or those among ``dim`` (an int or a tuple; ``axis`` is
        NumPy's spelling). As in PyTorch, a named axis whose size is not 1 is left alone (NumPy
        raises there). Backward: the gradient reshaped back."""
        dim, _ = resolve_axis(axis, dim)
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
        picked = {normalize_axis(d, max(self.ndim, 1), "squeeze: dim") for d in dims}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in picked and n == 1)))

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's ``view``: the same as ``reshape`` here (no contiguity is needed). Backward:
        the gradient reshaped back."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            raise TypeError(f"view({shape[0]!r}): reinterpreting the bytes as another dtype is not "
                            "supported; use .astype(dtype) to convert values, or view(*shape) to reshape")
        return self.reshape(*shape)

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` (ints or one tuple); -1 keeps that axis's size, and new axes may
        be added in front (PyTorch's ``expand``). Backward: the gradient summed back."""
        want = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(want) - self.ndim
        if lead < 0:
            raise ValueError(f"expand{want}: the number of sizes ({len(want)}) must be at least the "
                             f"number of dimensions of the tensor of shape {self.shape}")
        out = []
        for i, n in enumerate(want):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
                raise TypeError(f"expand sizes must be ints, got {want!r}")
            have = self.shape[i - lead] if i >= lead else None
            if n == -1:
                if have is None:
                    raise ValueError(f"expand{want}: -1 is not allowed for the new leading axis {i}")
                n = have
            elif n < 0 or (have is not None and have not in (1, n)):
                raise ValueError(f"expand{want}: cannot expand a tensor of shape {self.shape} to size "
                                 f"{n} at axis {i} (only axes of size 1 can be expanded)")
            out.append(int(n))
        return self.broadcast_to(tuple(out))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the axes ``start_dim`` .. ``end_dim`` (inclusive) into one; a 0-d tensor becomes
        shape (1,) as in PyTorch. Backward: the gradient reshaped back."""
        if self.ndim == 0:
            normalize_axis(start_dim, 1, "flatten: start_dim")
            normalize_axis(end_dim, 1, "flatten: end_dim")
            return self.reshape(1)
        s = normalize_axis(start_dim, self.ndim, "flatten: start_dim")
        e = normalize_axis(end_dim, self.ndim, "flatten: end_dim")
        if s > e:
            raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim}) for a "
                             f"tensor of shape {self.shape}")
        return self.reshape(self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:])

    def flip(self, *args: Any, dims: Any = None, axis: Any = None) -> Tensor:
        """Reverse the order of the entries along ``dims`` (``t.flip(0)``, ``t.flip((0, 1))``,
        ``t.flip(dims=...)``, or NumPy's ``axis=``). With no dims at all every axis is reversed,
        as ``np.flip`` does (PyTorch requires dims). Backward: the gradient flipped back."""
        given = [a for a in (args or None, dims, axis) if a is not None]
        if len(given) > 1:
            raise TypeError("flip() got dims more than once (positionally, as dims= or as axis=); pass one")
        picked: Any = given[0] if given else ()
        if isinstance(picked, tuple) and len(picked) == 1 and isinstance(picked[0], (tuple, list)):
            picked = picked[0]  # t.flip((0, 1)) as well as t.flip(0, 1)
        dims = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
        if not dims:
            dims = tuple(range(self.ndim))
        axes = tuple(normalize_axis(d, self.ndim, "flip: dim") for d in dims)
        if len(set(axes)) != len(axes):
            raise ValueError(f"flip: dims {dims!r} has a repeated axis")
        return ops.Flip.apply(self, dims=axes)

    def repeat(self, *sizes: Any, axis: Any = None) -> Tensor:
        """PyTorch's ``repeat``: tile the tensor ``sizes[d]`` times along axis d (NumPy's
        ``np.tile``). ``len(sizes)`` must be at least ``ndim``; extra sizes add leading axes.
        NumPy's ``ndarray.repeat(repeats, axis)`` (repeat each element) is a different operation
        and is refused with a TypeError. Backward: the gradient summed over the tiles."""
        if axis is not None:
            raise TypeError("repeat follows PyTorch (tile the whole tensor, like np.tile); NumPy's "
                            "element-wise repeat(repeats, axis=...) is not supported")
        want = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if any(not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0 for n in want):
            raise ValueError(f"repeat sizes must be non-negative ints, got {want!r}")
        if len(want) < self.ndim:
            raise ValueError(f"repeat{want}: the number of sizes ({len(want)}) must be at least the "
                             f"number of dimensions of the tensor of shape {self.shape}")
        return ops.Repeat.apply(self, sizes=tuple(int(n) for n in want))

    def split(self, split_size_or_sections: Any, dim: Any = None, *, axis: Any = None) -> tuple[Tensor, ...]:
        """PyTorch's ``split``: pieces of ``split_size_or_sections`` entries along ``dim`` (the last
        one smaller if needed), or pieces of the sizes in a list (which must add up to the axis's
        size). Not NumPy's ``np.split``, whose int means a number of pieces. Each piece is a slice
        (``GetItem``): its gradient lands in its part of the input, zeros elsewhere."""
        dim, _ = resolve_axis(axis, dim, default=0)
        if self.ndim == 0:
            raise ValueError("split needs a tensor of at least one dimension, got a 0-d tensor")
        d = normalize_axis(dim, self.ndim, "split: dim")
        n = self.shape[d]
        arg = split_size_or_sections
        if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
            size = int(arg)
            if size <= 0 and not (size == 0 and n == 0):
                raise ValueError(f"split: split_size must be a positive int, got {size}")
            sizes = [min(size, n - start) for start in range(0, n, size)] if n else [0]
        elif isinstance(split_size_or_sections, (tuple, list)):
            sizes = [int(s) for s in split_size_or_sections]
            if any(s < 0 for s in sizes) or sum(sizes) != n:
                raise ValueError(f"split: the sections {list(split_size_or_sections)} must be non-negative "
                                 f"and add up to {n}, the size of dim {dim} of a tensor of shape "
                                 f"{self.shape}")
        else:
            raise TypeError(f"split: split_size_or_sections must be an int or a list of ints, got "
                            f"{split_size_or_sections!r}")
        lead = (slice(None),) * d
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self[lead + (slice(int(a), int(a) + s),)] for a, s in zip(starts, sizes))

    def chunk(self, chunks: int, dim: Any = None, *, axis: Any = None) -> tuple[Tensor, ...]:
        """PyTorch's ``chunk``: split along ``dim`` into pieces of ``ceil(size / chunks)`` entries
        (so possibly fewer than ``chunks`` pieces, the last one smaller). Each piece is a slice:
        its gradient lands in its part of the input, zeros elsewhere."""
        if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        dim, _ = resolve_axis(axis, dim, default=0)
        if self.ndim == 0:
            raise ValueError("chunk needs a tensor of at least one dimension, got a 0-d tensor")
        n = self.shape[normalize_axis(dim, self.ndim, "chunk: dim")]
        return self.split(max(-(-n // int(chunks)), 1), dim)

    def gather(self, dim: Any = None, index: Any = None, *, axis: Any = None) -> Tensor:
        """PyTorch's ``gather``: ``out[i][j][k] = self[index[i][j][k]][j][k]`` for dim 0 (and so on).
        ``index`` is an integer tensor with as many axes as self, no larger than self on the other
        axes; out has index's shape. Backward: g added at the gathered positions (a scatter-add;
        a position gathered twice receives both gradients)."""
        dim = _required_axis("gather", axis, dim)
        if index is None:
            raise TypeError("gather() needs index=, an integer tensor: t.gather(dim, index)")
        idx = ops.index_array(index, "gather")
        d = normalize_axis(dim, max(self.ndim, 1), "gather: dim")
        if idx.ndim != self.ndim:
            raise ValueError(f"gather: index must have as many dimensions as the input, got index shape "
                             f"{idx.shape} for input shape {self.shape}")
        if self.ndim == 0:  # as PyTorch: a 0-d input takes a 0-d index (whose value must be 0)
            return self.reshape(1).gather(0, idx.reshape(1)).reshape(())
        bad = [i for i in range(self.ndim) if i != d and idx.shape[i] > self.shape[i]]
        if bad:
            raise ValueError(f"gather: index shape {idx.shape} is larger than input shape {self.shape} "
                             f"at dimension {bad[0]} (only dimension {d} may differ freely)")
        if idx.size and (idx.min() < 0 or idx.max() >= self.shape[d]):
            raise TensorIndexError(f"gather: index values must lie in [0, {self.shape[d] - 1}] for "
                                   f"dim {dim} of shape {self.shape}, got values in "
                                   f"[{idx.min()}, {idx.max()}]")
        grid = np.ogrid[tuple(slice(n) for n in idx.shape)]
        return self[tuple(idx if i == d else g for i, g in enumerate(grid))]

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where the boolean ``mask`` (broadcast to self's shape) is True, self elsewhere.
        ``value`` is a number or a 0-d tensor (differentiable). Backward: g where the mask is
        False to self, the sum of g where it is True to a tensor value."""
        m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}; "
                            "compare first, e.g. t.masked_fill(t < 0, 0.0)")
        if np.broadcast_shapes(m.shape, self.shape) != self.shape:
            raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to the tensor's "
                             f"shape {self.shape}")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                                 f"{value.shape}")
            if value.dtype != self.dtype:
                value = value.astype(self.dtype)
        else:
            value = Tensor._make(np.asarray(value).astype(self.dtype))
        return ops.Where.apply(value, self, condition=m)

    def astype(self, dtype: Any) -> Tensor:
        """The values converted to ``dtype`` (NumPy's ``astype``). Backward: g converted back to
        this tensor's dtype."""
        return ops.Cast.apply(self, dtype=np.dtype(dtype))

    # ---- composites: written with the primitives above -------------------------------
    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        """The axes reversed (NumPy's ``.T``). Backward: g with the axes reversed."""
        return self.transpose()

    @property
    def mT(self) -> Tensor:  # noqa: N802 - NumPy's name
        """The last two axes swapped (a batch of matrices transposed). Backward: g with them swapped."""
        return self.swapaxes(-1, -2)

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Swap two axes (PyTorch's ``transpose(dim0, dim1)``). Backward: g with the same two axes
        swapped."""
        perm = list(range(self.ndim))
        a = normalize_axis(axis0, self.ndim, "swapaxes: axis0", self.shape)
        b = normalize_axis(axis1, self.ndim, "swapaxes: axis1", self.shape)
        if self.ndim:  # (a 0-d tensor, where PyTorch allows transpose(0, 0), has nothing to swap)
            perm[a], perm[b] = perm[b], perm[a]
        return ops.Transpose.apply(self, axes=tuple(perm))

    def relu(self) -> Tensor:
        """max(x, 0) elementwise; the gradient is 1 where x > 0, else 0 (also at 0, as PyTorch)."""
        return ops.ReLU.apply(self)

    # ---- comparisons give constant boolean tensors (see _compare) ----------------------
    def __lt__(self, other: Any) -> Tensor:
        return _compare(self, other, "<")

    def __le__(self, other: Any) -> Tensor:
        return _compare(self, other, "<=")

    def __gt__(self, other: Any) -> Tensor:
        return _compare(self, other, ">")

    def __ge__(self, other: Any) -> Tensor:
        return _compare(self, other, ">=")

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(self, other, "==")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(self, other, "!=")


class Size(int):
    """``Tensor.size``: the element count (an int, NumPy's meaning), callable as PyTorch's method:
    ``size()`` returns the shape tuple and ``size(dim)`` the length of one dimension."""

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> Size:
        obj = super().__new__(cls, math.prod(shape))
        obj.shape = shape
        return obj

    def __call__(self, dim: Any = None) -> Any:
        if dim is None:
            return self.shape
        if not self.shape:  # as PyTorch: a 0-d tensor has no dimension to ask about
            raise AxisError(f"size({dim!r}) of a 0-d tensor: it has no dimensions")
        return self.shape[normalize_axis(dim, len(self.shape), "size: dim", self.shape)]


class ValuesIndices(NamedTuple):
    """What ``t.max(dim=...)`` and ``t.min(dim=...)`` return, as PyTorch's ``torch.return_types``:
    the values (differentiable) and their int64 indices."""

    values: Tensor
    indices: Tensor


def _correction(name: str, correction: Any, unbiased: Any, ddof: Any) -> Any:
    """The divisor offset of var/std from exactly one of correction=, unbiased=, ddof=."""
    given = {k: v for k, v in (("correction", correction), ("unbiased", unbiased), ("ddof", ddof))
             if v is not None}
    if not given:
        raise TypeError(f"{name}() without arguments means N − 1 in PyTorch and N in NumPy: say which, "
                        f"{name}(correction=1) (PyTorch's default, or unbiased=True) or {name}(ddof=0) "
                        "(NumPy's default)")
    if len(given) > 1:
        raise TypeError(f"{name}() takes one of correction=, unbiased=, ddof=, got {', '.join(given)}")
    if unbiased is not None:
        return 1 if unbiased else 0
    return correction if correction is not None else ddof


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


# ---- hook points, reached only while something watches the engine (see hooks.py) ----------
_COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                "==": operator.eq, "!=": operator.ne}


def _reading(t: TensorMethods, what: str) -> None:
    """``t``'s value is about to be read on the host (``what``: "bool()", ".item()" ...): this
    thread's tracer, if any, may refuse (``Tracer.read_value``)."""
    tracer = _engine._tracer_now()
    if tracer is not None:
        tracer.read_value(t, what)


def _compare(a: TensorMethods, other: Any, op: str) -> Tensor:
    """``a op other`` as a constant boolean tensor, or what this thread's tracer makes of it
    (``Tracer.constant``: compile records it, so that a mask is recomputed at every call)."""
    tracer = _engine._tracer_now()
    if tracer is not None:
        b = other if isinstance(other, Tensor) else Tensor(np.asarray(other))
        made = tracer.constant(op, (a, b), {})
        if made is not None:
            return cast(Tensor, made)
    return Tensor._make(np.asarray(_COMPARISONS[op](a.data, _data(other))))


def _bound(value: Any, name: str) -> Any:
    """A clamp bound as a constant: None, a number, or an array (from a Tensor without grad)."""
    if value is None or type(value) in (int, float):
        return value
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise TypeError(f"clamp: the {name} bound requires grad, but clamp treats its bounds as "
                            f"constants; write x.maximum(lo) / x.minimum(hi) to differentiate them")
        return value.data
    return _as_array(value)


def _required_axis(name: str, axis: Any, dim: Any) -> Any:
    """The axis of a method that has no default axis (softmax, log_softmax, logsumexp), from
    either spelling (:func:`resolve_axis`); a TypeError saying what to write if neither is given."""
    chosen, _ = resolve_axis(axis, dim)
    if chosen is None:
        raise TypeError(f"{name}() needs the axis, e.g. t.{name}(dim=-1) or t.{name}(axis=-1) (PyTorch's "
                        "implicit choice of dim is deprecated there and not copied here)")
    return chosen


def _cut_from_graph(call: str, t: TensorMethods) -> str:
    return (f"can't call {call} on a Tensor that requires grad (shape {t.shape}): the ndarray would be cut "
            "from the autograd graph and gradients through it silently lost. Call .detach() first "
            "(t.detach().numpy()), or read t.data")


def _check_fits(what: str, t: TensorMethods, new: Tensor) -> None:
    """An in-place result must keep the tensor's shape and be castable to its dtype (PyTorch's rules)."""
    if new.shape != t.shape:
        raise ValueError(f"{what}: the result has shape {new.shape} but the tensor changed in place has "
                         f"shape {t.shape}; an in-place operation cannot change the shape")
    if new.dtype != t.dtype and not np.can_cast(new.dtype, t.dtype, "same_kind"):
        raise TypeError(f"{what}: result type {new.dtype} can't be cast to the tensor's dtype {t.dtype}; "
                        f"convert first (t = t.astype({str(new.dtype)!r}))")

def _lift(x: Any, like: TensorMethods) -> Tensor:
    """Wrap a non-Tensor operand as a constant. A Python number takes ``like``'s float dtype,
    as NumPy does (``float32_array * 2`` stays float32)."""
    if type(x) in (int, float, bool) and like.data.dtype.kind == "f":  # the usual case first
        return Tensor._make(np.asarray(x, dtype=like.data.dtype))
    if type(x) in (int, float, bool):
        return Tensor._make(np.asarray(x, dtype=np.result_type(like.data, x)))
    return x if isinstance(x, Tensor) else Tensor(x)
