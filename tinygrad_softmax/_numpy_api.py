"""NumPy's array protocols for ``Tensor``: ``np.exp(t)``, ``np.sum(t, axis=1)``, ``np.dot(X, W)``.

NumPy lets a class take over its calls on that class's objects: ufuncs (``np.exp``, ``np.add``,
and the operators of an ndarray, so ``arr + t``) go to ``Tensor.__array_ufunc__`` (NEP 13), and
other functions (``np.sum``, ``np.dot``, ``np.concatenate`` ...) to ``Tensor.__array_function__``
(NEP 18). Both delegate here. Two tables map NumPy's names to our differentiable operations, so
NumPy code written for arrays runs on Tensors, records the graph, and returns Tensors:

* ``UFUNCS``: ufunc name -> the Tensor operation (operators and methods);
* ``FUNCTIONS``: NumPy function -> a handler with NumPy's signature, which honours NumPy's keyword
  arguments (``axis``, ``keepdims``, ``dtype``) or refuses them (``out=``, ``where=``, ``order=``)
  with a message naming the argument.

Targets are looked up by name when called (``t.sqrt()``, ``tinygrad_softmax.stack``), so a method
added later is used without changing this module. Comparisons and other functions whose result has
no gradient (``np.argmax``, ``np.isclose``, ``np.allclose``) run NumPy on the data and return
constant results. Any other NumPy function given a Tensor that requires grad raises a TypeError
naming it: NumPy would return an ndarray cut from the graph. Tensors without grad convert freely.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor import Tensor
from .tensor_methods import _lift

_DEFAULT = object()  # "argument not given" (NumPy's own sentinel is private)


# ---- helpers -----------------------------------------------------------------------------
def _fn_name(func: Any) -> str:
    module = getattr(func, "__module__", None) or "numpy"
    prefix = "np" + module[len("numpy"):] if module.startswith("numpy") else module
    prefix = prefix.replace(".core", "").replace("._core", "")
    if prefix.startswith("np._") or prefix.startswith("np.lib"):
        prefix = "np"
    return f"{prefix}.{getattr(func, '__name__', repr(func))}"


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _tensors_in(x: Any) -> list[Tensor]:
    """The Tensors in ``x`` (an argument: a Tensor, or a list/tuple holding some)."""
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _tensors_in(item)]
    return []


def _to_data(x: Any) -> Any:
    """``x`` with every Tensor replaced by its data (lists and tuples are searched)."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_to_data(item) for item in x)
    return x


def _method(t: Tensor, name: str) -> Callable[..., Any]:
    """``t.<name>``, or a TypeError saying this Tensor has no such method."""
    try:
        return getattr(t, name)  # type: ignore[no-any-return]
    except AttributeError:
        raise TypeError(f"Tensor has no method {name!r} in this version of tinygrad_softmax, so NumPy's "
                        f"{name} cannot run on a Tensor here") from None


def _package_fn(name: str) -> Callable[..., Any]:
    import tinygrad_softmax as pkg  # at call time: the package imports this module

    fn = getattr(pkg, name, None)
    if fn is None:
        raise TypeError(f"tinygrad_softmax.{name} does not exist in this version, so np.{name} cannot run "
                        "on Tensors here")
    return fn  # type: ignore[no-any-return]


def _refuse(fn: str, **given: Any) -> None:
    """Raise a TypeError for the first NumPy keyword argument that is not at its default.
    Each value is ``(value, default)``."""
    hints = {
        "out": "a Tensor result cannot be written into an existing array; use the returned Tensor",
        "where": "mask first instead, e.g. np.where(mask, t, 0)",
        "initial": "combine the result with the initial value explicitly",
        "order": "Tensors are always C-ordered",
        "casting": "cast explicitly with t.astype(dtype)",
        "subok": "the result is always a Tensor",
        "mean": "pass the data only",
        "copy": "use t.copy() for a copy",
        "optimize": "our einsum does not take optimize=",
        "signature": "cast explicitly with t.astype(dtype)",
        "axes": "move the axes first with np.moveaxis or t.transpose",
        "device": "Tensors live on the CPU",
    }
    for name, (value, default) in given.items():
        if value is _DEFAULT or value is default:
            continue
        if isinstance(value, tuple) and name == "out" and all(v is None for v in value):
            continue
        try:
            if value == default:
                continue
        except (ValueError, TypeError):  # an array argument: compared elementwise
            pass
        raise TypeError(f"{fn}(..., {name}={value!r}) is not supported on Tensors: "
                        f"{hints.get(name, 'leave it out')}")


def _cast(t: Tensor, dtype: Any) -> Tensor:
    return t if dtype is None or np.dtype(dtype) == t.dtype else t.astype(dtype)


def _constant(result: Any) -> Any:
    """A result without gradient (comparisons, indices): arrays become constant Tensors."""
    return Tensor(result) if isinstance(result, np.ndarray) and result.dtype.kind in "biuf" else result


def graph_lost_error(name: str) -> TypeError:
    alt = f"the Tensor method t.{name.rsplit('.', 1)[-1]}(...)" if hasattr(Tensor, name.rsplit(".", 1)[-1]) \
        else "the Tensor methods and tinygrad_softmax functions (see docs/numpy_interop.md)"
    return TypeError(f"{name}() got a Tensor that requires grad, but has no differentiable version here: "
                     "NumPy would turn the Tensor into an ndarray and the autograd graph would be lost (no "
                     f"gradient would flow through this call). Use {alt}, or write the computation as a "
                     "Function with its backward (docs/custom_functions.md); for a value without "
                     "gradient, pass t.detach()")


# ---- ufuncs ------------------------------------------------------------------------------
def _unary(name: str) -> Callable[..., Any]:
    return lambda x: _method(x, name)()


def _binary_method(name: str) -> Callable[..., Any]:
    return lambda a, b: _method(a, name)(b)


UFUNCS: dict[str, Callable[..., Any]] = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
    "divide": operator.truediv, "true_divide": operator.truediv, "power": operator.pow,
    "matmul": operator.matmul, "negative": operator.neg, "positive": operator.pos,
    "maximum": _binary_method("maximum"), "minimum": _binary_method("minimum"),
    "exp": _unary("exp"), "log": _unary("log"), "tanh": _unary("tanh"), "sqrt": _unary("sqrt"),
    "square": _unary("square"), "absolute": _unary("abs"), "fabs": _unary("abs"),
    "log1p": _unary("log1p"), "expm1": _unary("expm1"), "sign": _unary("sign"),
    "sin": _unary("sin"), "cos": _unary("cos"), "floor": _unary("floor"), "ceil": _unary("ceil"),
}

# ufunc.reduce on a Tensor: the reduction it means (NumPy's default axis for reduce is 0)
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}

# ufuncs whose result has no gradient: run on the data, give a constant
_CONSTANT_UFUNCS = {
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and",
    "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite", "signbit",
}


def array_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_ufunc__``: run ``ufunc`` on Tensors as our op (see ``UFUNCS``)."""
    name = ufunc.__name__
    fn = f"np.{name}" + ("" if method == "__call__" else f".{method}")
    tensors = _tensors_in(list(inputs))
    needs_grad = any(t._requires_grad for t in tensors)
    if method == "__call__" and name in _CONSTANT_UFUNCS:
        _refuse(fn, out=(kwargs.pop("out", None), None))
        return _constant(ufunc(*_to_data(inputs), **kwargs))
    if method == "reduce" and name in _REDUCE:
        (a,) = inputs
        axis = kwargs.pop("axis", 0)
        keepdims = kwargs.pop("keepdims", False)
        _refuse(fn, **{k: (v, None) for k, v in kwargs.items() if k != "dtype"})
        t = _cast(_tensor(a), kwargs.get("dtype"))
        return getattr(t, _REDUCE[name])(axis=axis, keepdims=keepdims)
    if method == "__call__" and name in UFUNCS:
        dtype = kwargs.pop("dtype", None)
        _refuse(fn, out=(kwargs.pop("out", None), None), where=(kwargs.pop("where", True), True),
                **{k: (v, None) for k, v in kwargs.items()})
        like = tensors[0]
        args = [_cast(x if isinstance(x, Tensor) else _lift(x, like), dtype) for x in inputs]
        return UFUNCS[name](*args)
    if needs_grad:
        raise graph_lost_error(fn)
    # no gradient involved: NumPy's own ufunc on the data ("convert freely")
    if kwargs.get("out") is not None and any(isinstance(o, Tensor) for o in kwargs["out"]):
        raise TypeError(f"{fn}(..., out=<Tensor>) is not supported: write t[...] = {fn}(...) instead")
    result = getattr(ufunc, method)(*_to_data(inputs), **kwargs)
    if method == "at":  # wrote into the first input's data in place
        first = inputs[0]
        if isinstance(first, Tensor):
            first._bump_version()
        return result
    return Tensor(result) if isinstance(result, np.ndarray) and result.dtype.kind in "biuf" else result


# ---- functions ---------------------------------------------------------------------------
def dot(a: Any, b: Any) -> Tensor:
    """NumPy's ``dot``: ``*`` if either side is 0-d, else the matrix/inner product ``@`` (for a
    second operand of 3 or more axes NumPy's dot differs from ``@``: refused)."""
    x: Tensor = a if isinstance(a, Tensor) else Tensor(a)
    y: Tensor = b if isinstance(b, Tensor) else _lift(b, x)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if y.ndim > 2:
        raise TypeError(f"np.dot of shapes {x.shape} and {y.shape} (second operand with more than 2 axes) "
                        "sums over the last axis of a and the second-to-last of b, unlike @; use "
                        "np.matmul / @ or np.einsum to say which product you mean")
    return x @ y


def _sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         initial: Any = _DEFAULT, where: Any = True) -> Tensor:
    _refuse("np.sum", out=(out, None), initial=(initial, _DEFAULT), where=(where, True))
    return _cast(_tensor(a), dtype).sum(axis=axis, keepdims=keepdims)


def _mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, *,
          where: Any = True) -> Tensor:
    _refuse("np.mean", out=(out, None), where=(where, True))
    return _cast(_tensor(a), dtype).mean(axis=axis, keepdims=keepdims)


def _extremum(name: str) -> Callable[..., Tensor]:
    def handler(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, initial: Any = _DEFAULT,
                where: Any = True) -> Tensor:
        _refuse(f"np.{name}", out=(out, None), initial=(initial, _DEFAULT), where=(where, True))
        return _method(_tensor(a), name[-3:])(axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]
    return handler


def _prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
          initial: Any = _DEFAULT, where: Any = True) -> Tensor:
    _refuse("np.prod", out=(out, None), initial=(initial, _DEFAULT), where=(where, True))
    return _method(_cast(_tensor(a), dtype), "prod")(axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]


def _spread(name: str) -> Callable[..., Tensor]:
    def handler(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0,
                keepdims: bool = False, *, where: Any = True, mean: Any = None,
                correction: Any = _DEFAULT) -> Tensor:
        _refuse(f"np.{name}", out=(out, None), where=(where, True), mean=(mean, None))
        ddof = ddof if correction is _DEFAULT else correction  # NumPy's default ddof=0, not PyTorch's 1
        return _method(_cast(_tensor(a), dtype), name)(axis=axis, keepdims=keepdims, ddof=ddof)  # type: ignore[no-any-return]
    return handler


def _arg(name: str) -> Callable[..., Tensor]:
    def handler(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Tensor:
        _refuse(f"np.{name}", out=(out, None))
        return _method(_tensor(a), name)(axis=axis, keepdims=keepdims)  # type: ignore[no-any-return]
    return handler


def _dot(a: Any, b: Any, out: Any = None) -> Tensor:
    _refuse("np.dot", out=(out, None))
    return dot(a, b)


def _reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None,
             copy: Any = None) -> Tensor:
    _refuse("np.reshape", order=(order, "C"), copy=(copy, None))
    return _tensor(a).reshape(shape if shape is not None else newshape)


def _transpose(a: Any, axes: Any = None) -> Tensor:
    t = _tensor(a)
    perm = tuple(range(t.ndim))[::-1] if axes is None else tuple(axes)
    permute = getattr(t, "permute", None)  # PyTorch's name for a full permutation, where it exists
    return permute(*perm) if permute is not None else t.transpose(perm)


def _swapaxes(a: Any, axis1: int, axis2: int) -> Tensor:
    return _tensor(a).swapaxes(axis1, axis2)


def _expand_dims(a: Any, axis: Any) -> Tensor:
    return _method(_tensor(a), "expand_dims")(axis)  # type: ignore[no-any-return]


def _squeeze(a: Any, axis: Any = None) -> Tensor:
    squeeze = _method(_tensor(a), "squeeze")
    return squeeze() if axis is None else squeeze(axis)  # type: ignore[no-any-return]


def _concatenate(arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None,
                 casting: Any = "same_kind") -> Tensor:
    _refuse("np.concatenate", out=(out, None), casting=(casting, "same_kind"))
    tensors = [_cast(_tensor(x), dtype) for x in arrays]
    if axis is None:  # NumPy flattens first
        tensors, axis = [t.reshape(-1) for t in tensors], 0
    return _package_fn("concatenate")(tensors, axis=axis)  # type: ignore[no-any-return]


def _stack(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None,
           casting: Any = "same_kind") -> Tensor:
    _refuse("np.stack", out=(out, None), casting=(casting, "same_kind"))
    return _package_fn("stack")([_cast(_tensor(x), dtype) for x in arrays], axis)  # type: ignore[no-any-return]


def _take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Tensor:
    return _package_fn("take_along_axis")(_tensor(arr), indices, axis)  # type: ignore[no-any-return]


def _where(condition: Any, x: Any = _DEFAULT, y: Any = _DEFAULT) -> Any:
    if x is _DEFAULT and y is _DEFAULT:  # np.where(cond): the indices, constants
        return tuple(Tensor(i) for i in np.where(_to_data(condition)))
    return _package_fn("where")(condition, x, y)


def _clip(a: Any, a_min: Any = _DEFAULT, a_max: Any = _DEFAULT, out: Any = None, *, min: Any = _DEFAULT,
          max: Any = _DEFAULT, **kwargs: Any) -> Tensor:
    _refuse("np.clip", out=(out, None), **{k: (v, None) for k, v in kwargs.items()})
    low = min if a_min is _DEFAULT else a_min
    high = max if a_max is _DEFAULT else a_max
    return _method(_tensor(a), "clip")(None if low is _DEFAULT else low,  # type: ignore[no-any-return]
                                       None if high is _DEFAULT else high)


def _einsum(subscripts: Any, *operands: Any, out: Any = None, dtype: Any = None, order: Any = "K",
            casting: Any = "safe", optimize: Any = False) -> Tensor:
    _refuse("np.einsum", out=(out, None), order=(order, "K"), casting=(casting, "safe"),
            optimize=(optimize, False))
    return _package_fn("einsum")(subscripts, *[_cast(_tensor(x), dtype) for x in operands])  # type: ignore[no-any-return]


def _like(name: str, fill: Callable[..., np.ndarray]) -> Callable[..., Tensor]:
    """``np.zeros_like(t)`` and friends: a constant Tensor (no grad), as ``torch.zeros_like``."""
    def handler(a: Any, *args: Any, dtype: Any = None, order: Any = "K", subok: Any = True, shape: Any = None,
                device: Any = None) -> Tensor:
        _refuse(f"np.{name}", order=(order, "K"), device=(device, None))
        return Tensor(fill(_tensor(a).data, *args, dtype=dtype, shape=shape))
    return handler


def _constant_fn(func: Any) -> Callable[..., Any]:
    """A function whose result has no gradient (a test, indices): NumPy on the data."""
    def handler(*args: Any, **kwargs: Any) -> Any:
        return _constant(func(*_to_data(args), **{k: _to_data(v) for k, v in kwargs.items()}))
    return handler


FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: _sum, np.mean: _mean, np.max: _extremum("max"), np.min: _extremum("min"),
    np.amax: _extremum("amax"), np.amin: _extremum("amin"), np.prod: _prod,
    np.var: _spread("var"), np.std: _spread("std"), np.argmax: _arg("argmax"), np.argmin: _arg("argmin"),
    np.dot: _dot, np.reshape: _reshape, np.transpose: _transpose, np.swapaxes: _swapaxes,
    np.expand_dims: _expand_dims, np.squeeze: _squeeze, np.concatenate: _concatenate, np.stack: _stack,
    np.take_along_axis: _take_along_axis, np.where: _where, np.clip: _clip, np.einsum: _einsum,
    np.copy: lambda a, order="K", subok=False: _tensor(a).copy(),
    np.ravel: lambda a, order="C": _tensor(a).ravel() if order == "C" else _refuse("np.ravel",
                                                                                    order=(order, "C")),
    np.broadcast_to: lambda array, shape, subok=False: _tensor(array).broadcast_to(shape),
    np.shape: lambda a: _tensor(a).shape, np.ndim: lambda a: _tensor(a).ndim,
    np.size: lambda a, axis=None: _tensor(a).size if axis is None else _tensor(a).shape[axis],
    np.zeros_like: _like("zeros_like", np.zeros_like), np.ones_like: _like("ones_like", np.ones_like),
    np.empty_like: _like("empty_like", np.zeros_like), np.full_like: _like("full_like", np.full_like),
}
for _f in (np.allclose, np.isclose, np.array_equal, np.array_equiv, np.count_nonzero, np.nonzero,
           np.argsort, np.any, np.all):
    FUNCTIONS[_f] = _constant_fn(_f)


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_function__``: ``func`` as our op (``FUNCTIONS``), NumPy's own function
    when no argument requires grad, else a TypeError naming it."""
    handler = FUNCTIONS.get(func)
    if handler is not None:
        return handler(*args, **kwargs)
    if any(t._requires_grad for t in _tensors_in(list(args) + list(kwargs.values()))):
        raise graph_lost_error(_fn_name(func))
    return func(*_to_data(args), **{k: _to_data(v) for k, v in kwargs.items()})
