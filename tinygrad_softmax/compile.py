"""``compile(fn, backward=False)``: trace a step once, replay it as generated NumPy.

The first call with given argument shapes, dtypes and non-array arguments runs ``fn`` eagerly
with a tracer active in its thread (``hooks.use_tracer``): every op it runs is recorded
with its inputs and output. With ``backward=True`` the returned scalar's ``backward`` is then run
with ``create_graph=True`` under the same recording, so the backward formulas (written with
Tensor ops) are recorded as ops too. That recording is turned into straight-line NumPy source,
one line per NumPy call, and compiled once with ``compile``/``exec`` (the source is ours: no user
data is ever evaluated). Later calls with the same key run that function.

What the generator does with the recording, in order:

* leaves: ``fn``'s array arguments become the generated function's inputs; leaf tensors that
  require grad (parameters, found in the closure) are read at replay from the live Tensor objects
  (``W.data``), so an optimizer can update them between calls; other tensors (constants, and the
  Python numbers ops lift) are baked in;
* constant folding: an op whose inputs are all constants is computed once, at trace time;
* common subexpressions: the same op on the same inputs is computed once;
* dead code: only what the outputs and the gradients of leaves that require grad need is kept;
* ``out=`` buffers: every intermediate array of 512 bytes or more is written into a buffer made
  once; a liveness pass lets values whose lifetimes do not overlap share a buffer (views keep
  their buffer alive);
* kernels: a sum over a short last axis is a product with a ones vector, a column sum a product
  with a ones row, a row maximum over a short axis elementwise maxima of its columns; the fused
  softmax cross-entropy with class-index targets is one kernel sequence (a one-hot matrix made
  with one comparison, the target scores as a dot product, dX = (S − Y)·g), as a person would
  write it by hand.

Ops without a code rule (a user's custom ``Function``, and the rarer built-ins) are replayed as an
opaque call of their ``forward`` (and, for a custom Function, of its ``backward``, on arrays).

Limits, each refused loudly: ``bool(t)``, ``t.item()``, ``float(t)``, ``int(t)``, ``t.numpy()`` and
``t.tolist()`` on a traced value raise :class:`TracingError` (a value used by Python control flow
would be baked in at trace time, as in ``jax.jit``); random ops (``dropout`` in training,
``rand``, ``randn``) raise :class:`CompileError`, as does an in-place write seen through a
tensor's version counter. ``no_grad`` regions inside ``fn`` are fine: their ops are recorded and
simply carry no gradient. Integer array arguments (class targets, indices) are read live where a
kernel uses them directly (the fused loss, indexing by them); otherwise their values are part of
the cache key (a new value traces again), since a value derived from them at trace time is baked.

Tracing goes through the engine's public hook API only (``hooks.use_tracer``, with a
``hooks.Tracer`` that records, refuses and substitutes): it changes nothing in the engine, and it
is confined to the tracing thread, so eager code in other threads runs unaffected meanwhile.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import keyword
import operator
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tensor as _engine
from ._shapes import normalize_axes
from .functional import SoftmaxCrossEntropy
from .hooks import Tracer, current_tracer, use_tracer
from .optim import SGD, Optimizer
from .tensor import Function, Tensor

__all__ = ["compile", "Compiled", "CompileError", "TracingError"]

_BUFFER_BYTES = 512  # smaller results: a plain expression is faster than a call with out=
_RECYCLE_BYTES = 32 * 1024  # values handed out from this size up reuse their last array when it is free
_REGISTER_OPS = 64  # longer programs reuse the names of dead values (see _Program._registers)
_TINY = 64  # arrays with fewer elements: array operands beat scalars (NumPy's scalar handling costs more)
_SHORT_AXIS = 8  # reductions over at most this many entries use the kernels for short axes
_SPACED_BYTES = 64 * 1024  # out= buffers from this size up each start at their own offset in a page
_PAGE, _SPACING = 4096, 17 * 64  # the k-th such buffer starts k * 1088 bytes (mod 4096) into a page


class CompileError(RuntimeError):
    """``compile`` cannot trace this function faithfully (random ops, in-place writes ...)."""


class _Retrace(Exception):
    """Raised by a replay, before it changes anything, when a parameter's array no longer has the
    dtype or shape it was traced with: the call traces again."""


class TracingError(CompileError):
    """A traced value was turned into a Python value (``bool``, ``item``, ``float``, ``numpy``)."""


# ---- ops the tracer adds for things eager computes outside Functions ----------------------
class _Compare(Function):
    """A comparison (a constant bool result); recorded only while tracing, so that a mask made
    from traced values is recomputed at replay instead of baked in."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, op: str) -> Any:
        return np.asarray(_COMPARE[op](a, b))

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:  # never reached: a bool result carries no gradient
        return None, None


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
            "!=": operator.ne}


class _Shift(Function):
    """The detached row maximum of log_softmax/logsumexp (``functional._detached_shift``), recorded
    while tracing: a constant of the step, but one computed from the data at every call."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple[int, ...]) -> Any:
        m = np.max(x, axis=axes, keepdims=True)
        return np.where(np.isfinite(m), m, np.zeros_like(m))

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return None


class _SCEGrad(Function):
    """dL/dlogits of the fused loss with class-index targets: (S − onehot(y)) · g · scale, the
    closed form, recorded as one op (the engine's create_graph path would rebuild S with the
    composed log_softmax)."""

    @staticmethod
    def forward(ctx: Any, g: Any, sce: Any) -> Any:
        out, sce._output = sce._output, None  # a plain backward: the saved S as an array
        try:
            return np.asarray(SoftmaxCrossEntropy._index_backward(sce, g, sce.plan))
        finally:
            sce._output = out

    @staticmethod
    def backward(ctx: Any, gg: Any) -> Any:
        raise CompileError("compile does not differentiate through its own backward (create_graph)")


class _OpaqueGrad(Function):
    """The gradient for input ``slot`` that a custom Function's own ``backward`` returns, called
    on arrays (its backward is not assumed to be written with Tensor ops)."""

    @staticmethod
    def forward(ctx: Any, g: Any, fctx: Any, slot: int, orig: Any, cache: dict[Any, Any]) -> Any:
        key = (id(fctx), id(g))
        if key not in cache:
            out, fctx._output = fctx._output, None  # a plain backward, on arrays
            try:
                got = orig(fctx, g)
            finally:
                fctx._output = out
            cache[key] = got if type(got) is tuple else (got,)
        p = fctx.parents[slot]
        return _conform_grad(cache[key][slot], p.shape, p.dtype)

    @staticmethod
    def backward(ctx: Any, gg: Any) -> Any:
        raise CompileError("compile does not differentiate through its own backward (create_graph)")


def _conform_grad(g: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    g = g.data if isinstance(g, Tensor) else np.asarray(g)
    if g.shape != shape:
        raise ValueError(f"a custom backward returned a gradient of shape {g.shape} for an input of "
                         f"shape {shape}")
    return g if g.dtype == dtype else g.astype(dtype)


def _builtin(cls: type) -> bool:
    return cls.__module__.startswith("tinygrad_softmax.")


def _simple_plan(plan: Any) -> bool:
    """The fused loss's common case, which has a kernel: class indices, (N, C) logits, no class
    weights, no ignored rows, no smoothing, mean or sum."""
    return (plan.index_targets and not plan.smoothing and plan.class_weight is None
            and plan.row_valid is None and len(plan.perm) == 2 and plan.reduction in ("mean", "sum")
            and plan.rows_y is not None)


# ---- recording ---------------------------------------------------------------------------
class _GradWrite:
    """Event: a backward pass adds a leaf's gradient into its ``.grad`` (ctx: leaf, gradient, new .grad)."""


class _ClearGrads:
    """Event: ``zero_grad`` clears the ``.grad`` of parameters (ctx: params, set_to_none)."""


class _OptStep:
    """Event: an optimizer's ``step()`` (ctx: optimizer, its params, which had a .grad)."""


_EVENTS = (_GradWrite, _ClearGrads, _OptStep)


class _Node:
    __slots__ = ("cls", "ctx", "parents", "result", "phase", "label")

    def __init__(self, cls: type, ctx: Any, parents: tuple[Tensor, ...], result: Any, phase: str):
        self.cls, self.ctx, self.parents, self.result, self.phase = cls, ctx, parents, result, phase
        self.label = ""


class _Recorder(Tracer):
    """The tracer: keeps every op of the tracing thread in order, labels backward ops with the op
    whose backward made them (the engine reports each tensor's visit after its backward ran),
    refuses what a replay could not repeat, records comparisons and the detached shift as ops,
    and records the backward of the fused loss and of custom Functions as one op each."""

    def __init__(self) -> None:
        self.nodes: list[_Node] = []
        self.phase = "forward"
        self.pending: list[_Node] = []
        self.traced: set[int] = set()  # ids of tensors whose values are traced
        self.keep: list[Any] = []  # keeps traced tensors alive so their ids stay unique
        self.forward_ctx: set[int] = set()
        self.handed_on: set[int] = set()  # gradients the walk just handed on (for labels)
        self.grad_cache: dict[Any, Any] = {}
        self.running: list[Function] = []  # the ops whose backward formulas run, innermost last
        self.leaf_grads: dict[int, Tensor] = {}  # id(leaf) -> the gradient it received (not its copy)
        self.visited: list[Function] = []  # the ops whose backward the current pass ran
        # the training steps inside fn: backward passes, zero_grad, optimizer steps
        self.passes = 0
        self.effects = False  # whether a zero_grad, backward pass or optimizer step has run
        self.stepping = 0  # > 0 while an optimizer's step runs (its writes are the step's own)
        self.writing = False  # True while a zero_grad or a .grad accumulation recorded as an event runs
        self.stepped: dict[int, Tensor] = {}  # parameters an optimizer step has updated
        self.expect: dict[int, tuple[Tensor, Any]] = {}  # id(leaf) -> (leaf, the .grad it must hold)
        self.known_none: set[int] = set()  # leaves whose .grad a zero_grad in this call set to None
        self.unreplayable: dict[int, str] = {}  # id(tensor) -> why no op may read it
        # copies of parameters and of the .grad arrays the trace wrote: a write through .data
        # (invisible to the tracer, so never replayed) is caught by comparing with them
        self.snaps: dict[tuple[str, int], tuple[Tensor, Any, Any]] = {}

    # -- observing
    def forward(self, ctx: Any, parents: tuple[Tensor, ...], result: Tensor) -> None:
        if self.stepping or self.writing:  # ops inside an optimizer's step: the step is one event
            return
        for p in parents:
            if id(p) in self.stepped or id(p) in self.unreplayable:
                raise CompileError(
                    f"{type(ctx).__name__} inside a compiled function reads "
                    + (f"a parameter of shape {p.shape} after an optimizer step updated it in the same "
                       "call: compute what needs the new values in the next call, or outside"
                       if id(p) in self.stepped else self.unreplayable[id(p)]))
        node = _Node(type(ctx), ctx, parents, result, self.phase)
        self.nodes.append(node)
        self.traced.add(id(result))
        self.keep.append(result)
        if self.phase == "forward":
            self.forward_ctx.add(id(ctx))
            node.label = f"forward: {type(ctx).__name__}"
            return
        if self.running:  # made by the backward formula of that op
            node.label = f"backward of {self.running[-1].name}"
        elif type(ctx).__name__ == "Add" and id(parents[1]) in self.handed_on:
            node.label = "backward: the gradients of a value used twice, summed"
        else:
            self.pending.append(node)

    def backward(self, t: Tensor, g: Any, input_grads: Any) -> None:
        if input_grads is None and self.phase == "backward":  # a leaf: g, before .grad's copy of it
            self.leaf_grads[id(t)] = g
        elif self.phase == "backward" and t.grad_fn is not None:
            self.visited.append(t.grad_fn)
        self.label_pending("leaf" if t.grad_fn is None else t.grad_fn.name)
        self.handed_on = {id(g) for g in input_grads or () if g is not None}

    def label_pending(self, name: str) -> None:
        for node in self.pending:
            node.label = f"backward of {name}"
        self.pending = []

    # -- refusing what a replay could not repeat
    def read_value(self, tensor: Tensor, what: str) -> None:
        if id(tensor) in self.traced:
            raise TracingError(
                f"{what} on a traced value inside a compiled function: Python control flow or "
                "numbers computed from tensor values would be baked in at trace time (as in "
                "jax.jit). Keep the value a Tensor (use where/maximum/masks instead of if), or "
                "call the function eagerly, without compile")

    def write_in_place(self, tensor: Tensor) -> None:
        if self.stepping or self.writing:  # an optimizer's update, a zero_grad: recorded as one event
            return
        raise CompileError(
            f"an in-place write to a tensor of shape {tensor.shape} inside a compiled function: the "
            "replay would not repeat it faithfully. Write it out of place (x = x + y); update "
            "parameters with an optimizer's step() (which compile records)")

    def draw_random(self, what: str) -> None:
        raise CompileError(f"{what} inside a compiled function: its random values would be drawn "
                           "once, at trace time, and replayed on every call. Draw the random "
                           "numbers outside and pass them in as an argument (a mask array)")

    # -- the training steps: a backward pass, zero_grad, an optimizer's step
    def backward_pass(self, root: Tensor, gradient: Any, retain_graph: bool, create_graph: bool,
                      walk: Callable[[Tensor, Any, bool, bool], None]) -> None:
        """Run the walk with ``create_graph=True``, so that the backward formulas are recorded as
        ops; then give each leaf its ``.grad`` as eager would and record that as a ``_GradWrite``
        event (the replay adds into ``.grad`` at that point)."""
        if create_graph:
            raise CompileError("backward(create_graph=True) inside a compiled function: compile "
                               "records first derivatives only; compute higher ones eagerly")
        if self.phase == "backward":
            raise CompileError("backward() called inside a backward formula while compiling")
        leaves = _grad_leaves(self, root)
        self._check_grads(leaves)
        self._check_data()
        self.effects = True
        held = {id(t): t.grad for t in leaves}
        for t in leaves:
            t.grad = None
        self.leaf_grads, self.visited = {}, []
        self.phase = "backward"
        try:
            walk(root, gradient, True, True)  # the graph stays: the program is built from it
            self.label_pending("leaf" if root.grad_fn is None else root.grad_fn.name)
        except BaseException:
            for t in leaves:  # as eager leaves them: .grad untouched by a pass that failed
                t.grad = held[id(t)]
            raise
        finally:
            self.phase = "forward"
        if not retain_graph:  # what eager frees: a second backward through these ops raises, as eagerly
            for op in self.visited:
                op._freed = True
        self.passes += 1
        for t in leaves:
            g, old = self.leaf_grads.get(id(t)), held[id(t)]
            if g is None:
                t.grad = old
                continue
            t.grad = old  # eager's own _accumulate: a copy, or a sum added into old's array
            self.writing = True
            try:
                _engine._accumulate(t, g.data, False)
            finally:
                self.writing = False
            new = t.grad
            fresh = id(t) in self.known_none  # None at every call, not only at this one
            self.nodes.append(_Node(_GradWrite, (t, g, new, fresh), (), new, "backward"))
            t.grad = new
            self._snap(t, "grad")
            self.expect[id(t)] = (t, new)
            self.known_none.discard(id(t))
            self.keep.append(new)

    def _snap(self, p: Tensor, what: str) -> None:
        """Remember the array of parameter ``p`` (``what`` "data") or of its ``.grad`` ("grad"), and a
        copy of its values."""
        arr = p.data if what == "data" else p.grad.data  # type: ignore[union-attr]
        self.snaps[(what, id(p))] = (p, arr, np.array(arr, copy=True))

    def _check_data(self) -> None:
        """Raise if a parameter or a .grad the trace wrote was changed through ``.data`` since it was
        remembered: the replay would not repeat that write."""
        for (what, _), (p, arr, copy) in self.snaps.items():
            now = p.data if what == "data" else None if p.grad is None else p.grad.data
            if now is not arr or not np.array_equal(arr, copy, equal_nan=True):
                raise CompileError(
                    f"the {'values' if what == 'data' else '.grad'} of a parameter of shape {copy.shape} "
                    "changed through .data inside a compiled function (e.g. p.data -= ..., or "
                    "np.clip(p.grad.data, ..., out=p.grad.data)): compile sees only tensor ops, "
                    "so the replay would skip that write. Write it with tensor ops, in an "
                    "optimizer's step, or outside the compiled function")

    def _check_grads(self, leaves: Any) -> None:
        """Raise if the ``.grad`` of one of ``leaves`` is not what the recorded steps left in it:
        fn assigned it directly, which the replay would not repeat."""
        for t in leaves:
            if id(t) in self.expect and t.grad is not self.expect[id(t)][1]:
                raise CompileError(
                    f"the .grad of a tensor of shape {t.shape} was assigned directly inside a "
                    "compiled function: compile cannot see that assignment to repeat it. Clear "
                    "gradients with opt.zero_grad() or module.zero_grad() there, or outside")

    def clear_grads(self, params: list[Tensor], set_to_none: bool, clear: Callable[[], None]) -> None:
        self._check_data()
        self.effects = True
        self.nodes.append(_Node(_ClearGrads, (list(params), set_to_none), (), None, "zero_grad"))
        self.writing = True
        try:
            clear()
        finally:
            self.writing = False
        for p in params:
            self.expect[id(p)] = (p, p.grad)
            if set_to_none:
                self.known_none.add(id(p))
            else:
                self.known_none.discard(id(p))
            self.snaps.pop(("grad", id(p)), None)
            if p.grad is not None:  # zeros written in place over what may be a recorded value
                self.unreplayable[id(p.grad)] = ("a .grad that zero_grad(set_to_none=False) filled "
                                                 "with zeros: use zero_grad() (set_to_none=True)")
                self._snap(p, "grad")

    def optimizer_step(self, optimizer: Any, step: Callable[[], Any]) -> Any:
        if self.stepping:  # a subclass's step calling its parent's: one step
            return step()
        self._check_data()
        self.effects = True
        params = list(getattr(optimizer, "params", ()))
        with_grad = [p.grad is not None for p in params]
        self.nodes.append(_Node(_OptStep, (optimizer, params, with_grad), (), None, "step"))
        self.stepping += 1
        try:
            returned = step()
        finally:
            self.stepping -= 1
        for p in params:  # what the step changed (it is replayed as a whole)
            self.stepped[id(p)] = p
            self._snap(p, "data")
            if p.grad is not None and ("grad", id(p)) in self.snaps:
                self._snap(p, "grad")
        return returned

    # -- recording what eager computes outside Functions, and the opaque backward formulas
    def constant(self, kind: str, inputs: tuple[Tensor, ...], params: dict[str, Any]) -> Tensor | None:
        if kind == "detached_shift":
            return _Shift.apply(inputs[0].detach(), **params)
        return _Compare.apply(*inputs, op=kind)

    def run_backward(self, op: Function, grad: Any, formula: Callable[[Any, Any], Any]) -> Any:
        self.running.append(op)
        try:
            return self._formula(op, grad, formula)
        finally:
            self.running.pop()

    def _formula(self, op: Function, grad: Any, formula: Callable[[Any, Any], Any]) -> Any:
        """The fused loss's backward as one kernel (``_SCEGrad``), a custom Function's as one opaque
        op per input (``_OpaqueGrad``); any other formula runs as written, as recorded ops."""
        cls = type(op)
        if (self.phase != "backward" or not isinstance(grad, Tensor) or id(op) not in self.forward_ctx
                or not (cls is SoftmaxCrossEntropy or not _builtin(cls))):
            return formula(op, grad)
        if isinstance(op, SoftmaxCrossEntropy):
            return _SCEGrad.apply(grad, sce=op) if _simple_plan(op.plan) else formula(op, grad)
        grads = tuple(_OpaqueGrad.apply(grad, fctx=op, slot=i, orig=formula, cache=self.grad_cache)
                      if need else None for i, need in enumerate(op.needs_input_grad))
        return grads if len(grads) != 1 else grads[0]


# ---- the program: values and nodes ----------------------------------------------------------
class _Val:
    """One value of the generated program."""

    __slots__ = ("kind", "name", "shape", "dtype", "array", "node", "owner", "attr", "uses", "view_of")

    def __init__(self, kind: str, name: str, shape: tuple[int, ...], dtype: Any, array: Any = None):
        self.kind, self.name, self.shape, self.dtype, self.array = kind, name, shape, np.dtype(dtype), array
        self.node: _Op | None = None  # the op that computes it (kind "op")
        self.owner: _Op | None = None  # for kind "attr": the op whose ctx holds it
        self.attr: Any = None
        self.view_of: _Val | None = None  # the value whose memory this one views

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


class _Op:
    __slots__ = ("rule", "cls", "ctx", "ins", "out", "params", "label", "extra", "attrs", "index",
                 "buffer", "reads", "phase", "recycle")

    def __init__(self, rule: str, cls: type, ctx: Any, ins: list[_Val], out: _Val, params: dict[str, Any],
                 label: str, phase: str):
        self.rule, self.cls, self.ctx, self.ins, self.out, self.params = rule, cls, ctx, ins, out, params
        self.label, self.phase = label, phase
        self.extra: list[_Val] = []  # values read besides ins (opaque backward: the forward's arrays)
        self.attrs: dict[Any, _Val] = {}  # ctx attributes other ops read
        self.index = 0
        self.buffer: str | None = None
        self.recycle: str | None = None  # a large value handed out: its array is reused when free


_ELEMENTWISE = {"Add": "add", "Sub": "subtract", "Mul": "multiply", "Div": "divide"}
_ELEMENTWISE_1 = {"Neg": "negative", "Exp": "exp", "Log": "log", "Tanh": "tanh", "Sqrt": "sqrt",
                  "Log1p": "log1p", "Expm1": "expm1", "Square": "square", "Sin": "sin", "Cos": "cos"}
_OPERATOR = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/"}
_VIEWS = {"Reshape", "Transpose", "BroadcastTo"}
_EVENT_RULES = {"GradWrite", "ClearGrads", "OptStep"}


def _identifier(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name) or "v"
    if base[0].isdigit():
        base = "p_" + base
    if keyword.iskeyword(base) or base in _RESERVED:
        base += "_"
    out, k = base, 1
    while out in taken:
        k += 1
        out = f"{base}{k}"
    taken.add(out)
    return out


# the names the generated source uses for its own helpers and locals (a user's name is renamed)
_RESERVED = {"np", "_make", "_add_into", "_clear_grads", "_bump_versions", "_pack", "_spaced", "_same_items",
             "_Retrace",
             "_lr", "_g", "_refs", "_r", "_K", "_run", "_new_ctx", "_opaque_bw", "_check_targets", "_picked",
             "None", "True", "False"}


def _param_names(fn: Callable[..., Any], names: dict[str, Any] | None,
                 tensors: dict[int, Tensor] | None = None) -> dict[int, str]:
    """id(tensor) -> the user's name for it: from ``names=``, the closure, the globals the function
    reads, or the module it is a method of (dotted parameter names of a Module); then the same for
    the Python functions those name (a step calling ``loss_of``), and last an optimizer's
    parameters. ``tensors``, if given, receives the tensors found (id -> tensor)."""
    found: dict[int, str] = {}
    tensors = {} if tensors is None else tensors
    functions: list[Any] = []
    optimizers: list[tuple[str, Optimizer]] = []

    def one(t: Tensor, name: str) -> None:
        found.setdefault(id(t), name)
        tensors.setdefault(id(t), t)

    def add(name: str, value: Any) -> None:
        if isinstance(value, Tensor):
            one(value, name)
        elif isinstance(value, Optimizer):
            optimizers.append((name, value))
        elif hasattr(value, "named_parameters") and callable(value.named_parameters):
            for sub, p in value.named_parameters():
                one(p, f"{name}_{sub}" if name else sub)
        elif inspect.isfunction(value):
            functions.append(value)
        elif isinstance(value, (list, tuple)) and len(value) < 64:
            for i, v in enumerate(value):
                if isinstance(v, Tensor):
                    one(v, f"{name}{i}")

    def scan(target: Any) -> None:
        target = inspect.unwrap(target)
        self_obj = getattr(target, "__self__", None)
        if self_obj is not None:
            add("", self_obj)
            target = getattr(target, "__func__", target)
        code = getattr(target, "__code__", None)
        if code is None:
            return
        for var, cell in zip(code.co_freevars, getattr(target, "__closure__", None) or ()):
            try:
                add(var, cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        glb = getattr(target, "__globals__", {})
        for var in code.co_names:
            if var in glb:
                add(var, glb[var])

    for k, v in (names or {}).items():
        add(k, v)
    scan(fn)
    for f in functions[:16]:  # one level down: the functions fn calls by name
        if f is not fn:
            scan(f)
    for name, opt in optimizers:
        for i, p in enumerate(opt.params):
            one(p, f"{name}_param{i}")
    return found


# ---- the compiled function ----------------------------------------------------------------
class Compiled:
    """What :func:`compile` returns: call it like ``fn``. ``source`` is the generated code of the
    latest trace; ``traces`` counts the traces made so far."""

    def __init__(self, fn: Callable[..., Any], backward: bool, names: dict[str, Any] | None,
                 cache_size: int) -> None:
        self.fn, self.backward, self.names, self.cache_size = fn, backward, names, cache_size
        self._cache: dict[Any, _Program] = {}
        self._last: _Program | None = None
        self.traces = 0
        try:
            self._signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            self._signature = None
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @property
    def source(self) -> str:
        if self._last is None:
            raise RuntimeError("nothing traced yet: call the compiled function once first")
        return self._last.source

    def _key(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # one comprehension, no call per argument: this runs on every call (~0.5 µs less than a loop)
        parts: list[Any] = [(a.data.shape, a.data.dtype, a._requires_grad) if type(a) is Tensor
                            else (a.shape, a.dtype) if type(a) is np.ndarray else ("value", type(a), a)
                            for a in args]
        if not kwargs:
            return tuple(parts)
        for k in sorted(kwargs):
            v = kwargs[k]
            if isinstance(v, Tensor):
                parts.append((k, v.shape, v.dtype, v.requires_grad))
            elif isinstance(v, np.ndarray):
                parts.append((k, v.shape, v.dtype))
            else:
                parts.append((k, "value", type(v), v))
        return tuple(parts)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _engine._hooked and isinstance(current_tracer(), _Recorder):  # called while another
            return self.fn(*args, **kwargs)  # compiled function traces: run eagerly, so it is recorded
        try:
            key = self._key(args, kwargs)
            prog = self._cache.get(key)
        except TypeError:  # an unhashable non-array argument
            raise TypeError("compile: non-array arguments are part of the cache key and must be "
                            "hashable (numbers, strings, tuples)") from None
        if prog is not None:
            try:
                if not kwargs and not prog.guards:  # the common case, one call less
                    return prog.replay(*args)
                if prog.guard(args, kwargs):
                    return prog.run(args, kwargs)
            except _Retrace:  # a parameter of another dtype or shape now
                pass
        prog = self._trace(args, kwargs, key)
        return prog.first_result

    def _trace(self, args: tuple[Any, ...], kwargs: dict[str, Any], key: Any) -> _Program:
        found: dict[int, Tensor] = {}
        names = _param_names(self.fn, self.names, found)
        bound = None
        if self._signature is not None:
            bound = self._signature.bind(*args, **kwargs)
        rec = _Recorder()
        inputs = _inputs_of(args, kwargs, bound)
        for _, value in inputs:
            if isinstance(value, Tensor):
                rec.traced.add(id(value))
                found.setdefault(id(value), value)
        for t in found.values():  # a .grad set directly, or .data written, inside fn is then caught
            if t.grad_fn is None and t._requires_grad:
                rec.expect[id(t)] = (t, t.grad)
                rec._snap(t, "data")
        try:
            with use_tracer(rec):  # this thread's ops only: other threads run eagerly meanwhile
                start = _engine._next_number()
                out = _call_naming_locals(self.fn, args, kwargs, names)
                if self.backward:
                    loss = _first_tensor(out)
                    if rec.passes:
                        raise CompileError("compile(fn, backward=True): fn calls backward() itself; "
                                           "compile it without backward=True (its backward() and "
                                           "optimizer step are then recorded as written)")
                    if loss is None or not loss.requires_grad:
                        raise CompileError("compile(fn, backward=True): fn must return a Tensor that "
                                           "requires grad (the loss; the first Tensor of a tuple)")
                    loss.backward()  # recorded by rec.backward_pass, as if fn ended with it
                rec._check_grads([t for t, _ in rec.expect.values()])
                rec._check_data()
            prog = _Program(self, rec, inputs, out, names, start)
        except CompileError as e:
            if not rec.effects:
                raise
            raise type(e)(f"{e}. (Tracing ran fn eagerly up to this error: the zero_grad, backward() "
                          "and optimizer steps before it have taken effect)") from None
        self.traces += 1
        if len(self._cache) >= self.cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = prog
        self._last = prog
        prog.first_result = _detach_out(out)
        return prog


def _call_naming_locals(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                        names: dict[int, str]) -> Any:
    """Call ``fn`` and note the names its own local variables give to tensors when it returns
    (``scores = X @ W + b`` names that value "scores" in the generated source)."""
    code = getattr(inspect.unwrap(fn), "__code__", None) or getattr(getattr(fn, "__func__", None),
                                                                    "__code__", None)
    previous = sys.getprofile()

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            for name, value in frame.f_locals.items():
                if isinstance(value, Tensor) and not name.startswith("_"):
                    names.setdefault(id(value), name)
    if code is None:
        return fn(*args, **kwargs)
    sys.setprofile(hook)
    try:
        return fn(*args, **kwargs)
    finally:
        sys.setprofile(previous)


def _inputs_of(args: tuple[Any, ...], kwargs: dict[str, Any], bound: Any) -> list[tuple[str, Any]]:
    """(name, value) of every argument, with fn's parameter names where known."""
    if bound is not None:
        named = []
        for name, value in bound.arguments.items():
            kind = bound.signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                named.extend((f"{name}{i}", v) for i, v in enumerate(value))
            elif kind is inspect.Parameter.VAR_KEYWORD:
                named.extend(value.items())
            else:
                named.append((name, value))
        return named
    return [(f"arg{i}", a) for i, a in enumerate(args)] + list(kwargs.items())


def _first_tensor(out: Any) -> Tensor | None:
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (tuple, list)):
        for o in out:
            if isinstance(o, Tensor):
                return o
    return None


def _grad_leaves(rec: _Recorder, loss: Tensor) -> list[Tensor]:
    """The leaves that require grad and that the loss depends on, in first-use order."""
    seen: dict[int, Tensor] = {}
    stack, visited = [loss], set()
    while stack:
        t = stack.pop()
        if id(t) in visited:
            continue
        visited.add(id(t))
        if t.grad_fn is None:
            if t._requires_grad:
                seen[id(t)] = t
            continue
        if t._retains_grad:  # the replay writes the leaves' .grad only
            raise CompileError(
                f"retain_grad() on a non-leaf tensor of shape {t.shape} (made by {t.grad_fn.name}) "
                "inside a compiled function: the replay would leave its .grad None. Return the "
                "value from the function and differentiate it eagerly, or run the step eagerly")
        stack.extend(t.grad_fn.parents)
    order: dict[int, Tensor] = {}
    for node in rec.nodes:
        for p in node.parents:
            if id(p) in seen:
                order.setdefault(id(p), p)
    return list(order.values())


def _detach_out(out: Any) -> Any:
    if isinstance(out, Tensor):
        return Tensor._make(out.data)
    if isinstance(out, tuple):
        return tuple(_detach_out(o) for o in out)
    if isinstance(out, list):
        return [_detach_out(o) for o in out]
    if isinstance(out, dict):
        return {k: _detach_out(o) for k, o in out.items()}
    return out


# ---- building the program from a recording --------------------------------------------------
class _Program:
    """One trace: the generated source and the function compiled from it."""

    first_result: Any

    def __init__(self, owner: Compiled, rec: _Recorder, inputs: list[tuple[str, Any]], out: Any,
                 names: dict[int, str], start: int) -> None:
        self.taken: set[str] = set()
        self.consts: dict[str, Any] = {}
        self.scalars: dict[Any, _Val] = {}
        self.vals: dict[int, _Val] = {}  # id(tensor) -> value
        self.by_data: dict[int, _Val] = {}  # id(ndarray) -> value
        self.ops: list[_Op] = []
        self.cse: dict[Any, _Val] = {}
        self.start = start
        self.live_int_inputs: set[str] = set()
        self.suspicious = False
        self.keepalive: list[Any] = []  # arrays whose ids are keys above
        self.param_tensors: list[tuple[str, Tensor]] = []
        # tensors from before the trace, closed over, that do not require grad: constants of the
        # step, each kept with its array and version so that a replay can tell they changed
        self.const_tensors: dict[int, tuple[Tensor, Any, int]] = {}
        self.frozen: dict[int, str] = {}  # id(value) -> the Tensor of a frozen optimizer parameter
        self.arg_vals: list[tuple[str, Any, _Val | None]] = []
        self.names = names
        self.counter = 0
        self.views: dict[str, tuple[str, str]] = {}  # name -> (expression, what): views made once
        self.fortran: set[str] = set()  # buffers made in Fortran order (narrow N x C)
        self.notes: dict[str, str] = {}  # constant name -> a comment for the source
        self.packed: set[str] = set()  # parameters whose storage is a [W; b] of the bias trick
        self.pack: list[tuple[str, str, str, str, str]] = []  # (W, b, [W; b], its two views)
        # inputs
        self.input_arrays: list[tuple[_Val, np.ndarray]] = []
        for name, value in inputs:
            ident = _identifier(name, self.taken)
            if isinstance(value, Tensor):
                v = _Val("input", ident, value.shape, value.dtype, value.data)
                self.vals[id(value)] = v
                self._data(value.data, v)
                self.arg_vals.append((ident, "tensor", v))
                self.input_arrays.append((v, value.data))
            elif isinstance(value, np.ndarray):
                v = _Val("input", ident, value.shape, value.dtype, value)
                self._data(value, v)
                self.arg_vals.append((ident, "array", v))
                self.input_arrays.append((v, value))
            else:
                self.arg_vals.append((ident, "value", None))
        self.int_inputs = [(v, a) for v, a in self.input_arrays if a.dtype.kind in "biu"]
        # forward ctx attributes, so constants in the backward can be traced to their op
        self.attr_of: dict[int, tuple[_Node, Any]] = {}
        for node in rec.nodes:
            if node.phase != "forward" or node.cls in _EVENTS:
                continue
            for k, val in vars(node.ctx).items():
                if isinstance(val, np.ndarray) and k not in ("_params",):
                    self.attr_of.setdefault(id(val), (node, k))
            for i, val in enumerate(getattr(node.ctx, "_saved", ()) or ()):
                if isinstance(val, np.ndarray):
                    self.attr_of.setdefault(id(val), (node, ("_saved", i)))
        self.op_of_ctx: dict[int, _Op] = {}
        self.grad_outs: list[tuple[Tensor, _Val]] = []  # (leaf, its gradient) of every backward pass
        self.tensor_args: set[str] = set()  # inputs that receive a .grad: their Tensors are kept
        for node in rec.nodes:
            if node.cls in _EVENTS:
                self._add_event(node)
            else:
                self._add(node)
        self.out_template = self._template(out)
        self._name_grads()
        self._dce()
        self._fuse_bias()
        self._transposed_products()
        self._buffers()
        self.source = self._emit()
        namespace: dict[str, Any] = {}
        code = builtins.compile(self.source, f"<compiled {getattr(owner.fn, '__name__', 'fn')}>", "exec")
        exec(code, namespace)  # our own generated source; user data only enters through _K
        self.replay = namespace["_build"](self.consts)
        self.guards = [] if not self.int_inputs else \
            [(i, v.name, a.copy()) for i, (name, kind, v) in enumerate(self.arg_vals)
             if v is not None for (w, a) in self.int_inputs if w is v and not self._int_live(v)]
        self.arg_names = [name for name, _, _ in self.arg_vals]
        # the trace's arrays and contexts are not needed any more: keep only what replay reads. Ops
        # and values refer to each other (a reference cycle): cut it, so that the trace's arrays are
        # freed now, not at the next garbage collection (a parameter's array held on would keep
        # _pack from making [W; b] its storage)
        made = [*self.ops, *self.op_of_ctx.values(),
                *(v.node or v.owner for v in (*self.vals.values(), *self.by_data.values()))]
        for op in made:  # (ops that rewrites dropped included)
            if op is not None:
                op.out.node = op.out.owner = op.ctx = None
                op.ins, op.extra, op.attrs, op.params = [], [], {}, {}
        for attr in ("vals", "by_data", "keepalive", "ops", "cse", "attr_of", "op_of_ctx",
                     "input_arrays", "int_inputs", "grad_outs", "out_template", "scalars"):
            setattr(self, attr, None)

    # -- replay
    def guard(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Whether the integer arguments whose values were baked in at trace time still hold them."""
        for i, _name, value in self.guards:
            a = args[i] if i < len(args) else None
            if a is None or not np.array_equal(a.data if isinstance(a, Tensor) else a, value):
                return False
        return True

    def run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Replay with keyword arguments put in their positions."""
        if kwargs:
            args = (*args, *(kwargs[n] for n in self.arg_names[len(args):]))
        return self.replay(*args)

    # -- values
    def _data(self, arr: Any, v: _Val) -> None:
        self.by_data.setdefault(id(arr), v)
        self.keepalive.append(arr)

    def _int_live(self, v: _Val) -> bool:
        return v.name in self.live_int_inputs and not self.suspicious

    def param_index(self, t: Tensor) -> _Val:
        v = self.vals.get(id(t))
        if v is None:
            v = self._leaf(t)
        return v

    def _const(self, arr: Any, hint: str = "c") -> _Val:
        arr = np.asarray(arr)
        v = self.by_data.get(id(arr))
        if v is not None:
            return v
        if arr.ndim == 0:  # one constant per scalar value, so equal scalars make equal ops (CSE)
            skey = (arr.dtype.str, arr.tobytes())
            v = self.scalars.get(skey)
            if v is not None:
                return v
        uniform = hint in ("c", "k") and arr.dtype.kind == "f" and arr.size > 0 \
            and np.isfinite(arr.flat[0]) \
            and (arr.ndim == 0 or (arr.size <= 1 << 16 and bool((arr == arr.flat[0]).all())))
        if uniform:  # named by its value: _0_001 (a scalar), _full_0_001 (an array of one value)
            label = repr(float(arr.flat[0])).replace("-", "m").replace(".", "_").replace("+", "")
            name = _identifier(("_" if arr.ndim == 0 else "_full_") + label
                               + ("" if arr.dtype == np.float64 else f"_{arr.dtype.name}"), self.taken)
        else:
            label = hint[:-1] if hint.endswith("_") else f"_{hint}{len(self.consts)}"  # "_ones3_": as is
            name = _identifier(label, self.taken)
        self.consts[name] = arr
        v = _Val("const", name, arr.shape, arr.dtype, arr)
        self._data(arr, v)
        if arr.ndim == 0:
            self.scalars[(arr.dtype.str, arr.tobytes())] = v
        return v

    def _leaf(self, t: Tensor) -> _Val:
        """The value of a tensor no recorded op made: an input, a parameter, an alias of a known
        value's array, a forward op's ctx attribute, or a constant."""
        v = self.vals.get(id(t))
        if v is not None:
            return v
        d = t.data
        if t._number <= self.start and t.grad_fn is None and not t._requires_grad:
            self.const_tensors.setdefault(id(t), (t, d, t._version))
        known = self.by_data.get(id(d))
        if known is not None and not (t._requires_grad and t.grad_fn is None and known.kind != "param"):
            self.vals[id(t)] = known
            return known
        if t._requires_grad and t.grad_fn is None:  # a parameter: read live at every call
            name = _identifier(self.names.get(id(t), f"param{len(self.param_tensors)}"), self.taken)
            v = _Val("param", name, d.shape, d.dtype, d)
            self.param_tensors.append((name, t))
            self.vals[id(t)] = v
            self._data(d, v)
            return v
        v = self._resolve_array(d, view_ok=False)
        if v is None:
            if t._number > self.start and d.ndim > 0 and self.int_inputs:
                self.suspicious = True  # a non-scalar made during the trace: it may depend on an input
            v = self._const(d)
        self.vals[id(t)] = v
        return v

    def _resolve_array(self, a: Any, view_ok: bool = True) -> _Val | None:
        """A recorded value, an input (also a reshaped view of one), or a forward ctx attribute
        whose array is ``a``; None if none is."""
        v = self.by_data.get(id(a))
        if v is not None:
            return v
        if view_ok:
            for inp, arr in self.input_arrays:
                if a.size == arr.size and a.size and np.shares_memory(a, arr) and a.flags.c_contiguous \
                        and arr.flags.c_contiguous:
                    if inp.dtype.kind in "biu":
                        self.live_int_inputs.add(inp.name)
                    expr = inp.name if tuple(a.shape) == tuple(arr.shape) else \
                        f"{inp.name}.reshape({tuple(a.shape)!r})"
                    w = _Val("expr", expr, a.shape, a.dtype, a)
                    w.view_of = inp
                    return w
        hit = self.attr_of.get(id(a))
        if hit is not None:
            node, attr = hit
            op = self.op_of_ctx.get(id(node.ctx))
            if op is not None:
                if op.rule == "const":  # folded: its attributes are constants too
                    return self._const(a)
                w = op.attrs.get(attr)
                if w is None:
                    label = attr if isinstance(attr, str) else f"saved{attr[1]}"
                    w = _Val("attr", _identifier(f"{op.out.name}_{label}", self.taken), a.shape, a.dtype, a)
                    w.owner, w.attr = op, attr
                    op.attrs[attr] = w
                    if op.rule != "opaque" and not (op.rule == "ReLU" and attr == "mask"):
                        op.rule = "opaque"  # only the op's own forward knows how to make it
                return w
        return None

    def _array_arg(self, a: Any, hint: str) -> _Val:
        """An op's array argument (an index, a condition, a parameter): the value whose array it
        is, else a constant. An integer array that no value explains, made while the function
        has integer inputs, may have been computed from them: then the integer inputs' values
        join the cache key (``suspicious``), since this constant would be baked in."""
        v = self._resolve_array(a)
        if v is None:
            if a.dtype.kind in "biu" and a.size > 1 and self.int_inputs:
                self.suspicious = True
            v = self._const(a, hint)
        return v

    def _index_expr(self, index: Any) -> tuple[str, list[_Val]]:
        """Source for a (prepared) index, and the values it reads."""
        reads: list[_Val] = []
        parts = index if isinstance(index, tuple) else (index,)
        out = []
        for part in parts:
            if isinstance(part, np.ndarray):
                v = self._array_arg(part, "idx")
                reads.append(v.view_of or v)
                out.append(v.name)
            else:
                out.append(repr(part))
        if isinstance(index, tuple):
            return "(" + ", ".join(out) + ("," if len(out) == 1 else "") + ")", reads
        return out[0], reads

    # -- the training steps inside fn
    def _add_event(self, node: _Node) -> None:
        """A ``.grad`` written by a backward pass, a ``zero_grad`` or an optimizer's step, as an op
        that makes no value: it happens at its place in the program (see ``_event_lines``)."""
        ev = _Val("event", "_", (), np.float64)
        if node.cls is _GradWrite:
            leaf, g, new, fresh = node.ctx
            pv, gv = self.param_index(leaf), self._leaf(g)
            # ops that read this .grad read it live, after the write (it may be a copy of the gradient,
            # or a sum with what .grad held; new may be the old .grad, added into in place)
            ev = _Val("op", _identifier(f"{pv.name}_grad", self.taken), new.shape, new.dtype, new.data)
            self.vals[id(new)] = self.by_data[id(new.data)] = ev
            self.keepalive.append(new.data)
            self.grad_outs.append((leaf, gv))
            op = _Op("GradWrite", _GradWrite, None, [pv, gv], ev, {"fresh": fresh},
                     f"backward: into {pv.name}.grad", "backward")
        elif node.cls is _ClearGrads:
            params, set_to_none = node.ctx
            self._refuse_arguments(params, "zero_grad()")
            op = _Op("ClearGrads", _ClearGrads, None, [self.param_index(p) for p in params], ev,
                     {"set_to_none": set_to_none}, "zero_grad", "zero_grad")
            if not set_to_none:
                op.params["_list"] = self._const_obj(list(params), "params")
        else:
            opt, params, with_grad = node.ctx
            self._refuse_arguments(params, f"{type(opt).__name__}.step()")
            op = _Op("OptStep", _OptStep, None, [self.param_index(p) for p in params], ev,
                     {"_opt": self._const_obj(opt, "opt"), "with_grad": with_grad},
                     f"{type(opt).__name__}.step()", "step")
            op.params["_code"] = type(opt) is SGD and all(p.data.dtype.kind == "f" for p in params)
            op.params["_held"] = self._const_obj(tuple(opt.params), "params")  # what the step acts on
        ev.node = op
        op.index = len(self.ops)
        self.ops.append(op)

    def _refuse_arguments(self, params: list[Tensor], what: str) -> None:
        """``what`` acts on ``params`` as the objects it holds: a replay would act on whatever
        tensor is passed in that argument's place instead, so such a parameter must be closed over.
        A parameter that does not require grad (frozen) is a constant of the step: its Tensor
        object is kept for the replay, which sets its ``.grad`` as eager does."""
        for p in params:
            v = self.param_index(p)
            if v.kind not in ("param", "input"):
                self.frozen[id(v)] = self._const_obj(p, f"{self.names.get(id(p), 'frozen')}_t")
            if v.kind == "input":
                raise CompileError(
                    f"{what} acts on the tensor passed in as argument {v.name!r} (shape {p.shape}): "
                    "a replay would act on whatever tensor is passed there next, where eager acts "
                    "on the one it holds. Close over the parameters (use them from the enclosing "
                    "scope or a module) instead of passing them in")

    # -- ops
    def _add(self, node: _Node) -> None:
        ins = [self._leaf(p) for p in node.parents]
        cls, ctx, res = node.cls, node.ctx, node.result
        name = cls.__name__
        params = dict(getattr(ctx, "_params", {}) or {})
        if all(v.kind == "const" for v in ins) and name not in ("_OpaqueGrad", "_SCEGrad") \
                and _builtin(cls) and not self._reads_live_arrays(ctx, params):
            v = self._const(res.data, "k")  # constant folding: the trace already computed it
            self.vals[id(res)] = v
            self.op_of_ctx[id(ctx)] = _Op("const", cls, ctx, ins, v, params, node.label, node.phase)
            return
        rule = self._rule_for(node, ins, params)
        if rule in _ELEMENTWISE:  # a constant array of one repeated value: a scalar, which broadcasts
            for i, (v, w) in enumerate(((ins[0], ins[1]), (ins[1], ins[0]))):
                if v.kind == "const" and v.shape and w.shape == res.shape and v.array.size >= _TINY \
                        and (v.array == v.array.flat[0]).all():
                    ins = list(ins)
                    ins[i] = self._const(np.asarray(v.array.flat[0], v.dtype))
        if rule == "Sum" and params.get("axis") is None and not params.get("keepdims") \
                and ins[0].kind == "op" and ins[0].node is not None and ins[0].node.rule == "Mul" \
                and ins[0].node.ins[0] is ins[0].node.ins[1] and ins[0].dtype.kind == "f" \
                and len(ins[0].shape) <= 2:
            rule, ins = "SumSquares", [ins[0].node.ins[0]]  # (x * x).sum(): one dot product
        if rule == "Add" and ins[0] is ins[1] and ins[0].kind == "op" and ins[0].node is not None \
                and ins[0].node.rule == "Mul" and ins[0].shape == res.shape:
            a, b = ins[0].node.ins
            if b.kind == "const" and a.kind != "const":
                a, b = b, a
            if a.kind == "const" and b.kind != "const":  # c·x + c·x = (2c)·x, exactly (doubling is exact)
                rule, ins = "Mul", [self._const(np.asarray(2 * a.array, a.dtype)), b]
                node.label = f"backward of Mul ({b.name} * {b.name}): c·{b.name} + c·{b.name} = 2c·{b.name}"
        key = None
        if rule not in ("opaque", "SCE", "SCEGrad", "OpaqueGrad", "GetItem"):
            key = (rule, tuple(id(v) for v in ins), _freeze(params), res.shape, str(res.dtype))
            hit = self.cse.get(key)
            if hit is not None:
                self.vals[id(res)] = hit
                self._data(res.data, hit)
                self.op_of_ctx[id(ctx)] = hit.node  # type: ignore[assignment]
                return
        hint = "g" if node.phase == "backward" else "t"
        user = self.names.get(id(res)) if node.phase == "forward" else None
        v = _Val("op", _identifier(user or f"{hint}{self.counter}", self.taken), res.shape, res.dtype,
                 res.data)
        self.counter += 1
        op = _Op(rule, cls, ctx, ins, v, params, node.label, node.phase)
        v.node = op
        if rule in _VIEWS:
            v.view_of = ins[0].view_of or ins[0]
        op.index = len(self.ops)
        self.ops.append(op)
        self.op_of_ctx[id(ctx)] = op
        self.vals[id(res)] = v
        self._data(res.data, v)
        if key is not None:
            self.cse[key] = v
        if rule in ("Where", "opaque"):  # array arguments made from traced values are read live
            arrays = dict(params)
            if rule == "Where":
                arrays = {"condition": ctx.condition}
            for k, val in arrays.items():
                if isinstance(val, np.ndarray):
                    w = self._array_arg(val, "p")
                    op.params["_arg_" + k] = w
                    if w.kind != "const":
                        op.extra.append(w.view_of or w)
        if rule == "GetItem":
            op.params["_index_src"], reads = self._index_expr(ctx.index)
            op.extra.extend(r for r in reads if r.kind not in ("const",))
            if not _basic_index(ctx.index):
                v.view_of = None
            else:
                v.view_of = ins[0].view_of or ins[0]
        if rule == "SCE":
            plan = ctx.plan
            yv = self._resolve_array(plan.rows_y)
            if yv is None:
                self.suspicious = True
                yv = self._const(plan.rows_y, "y")
            op.params["_y"] = yv
            if yv.view_of is not None or yv.kind == "input":
                op.extra.append(yv.view_of or yv)
            op.attrs["S"] = _Val("attr", _identifier(f"{v.name}_S", self.taken), res.shape, res.dtype)
            m, c = plan.rows, plan.n_classes
            op.attrs["S"].shape = (m, c)
            op.attrs["S"].dtype = np.dtype(res.dtype)
            op.attrs["S"].owner = op
            op.attrs["OH"] = _Val("attr", _identifier("Y", self.taken), (m, c), res.dtype)
            op.attrs["OH"].owner = op
        if rule == "SCEGrad":
            sce = self.op_of_ctx[id(params["sce"])]
            op.params["_sce"] = sce
            op.extra.extend([sce.attrs["S"], sce.attrs["OH"]])
        if rule == "OpaqueGrad":
            fop = self.op_of_ctx[id(params["fctx"])]
            op.params["_fop"] = fop
            op.extra.extend([*fop.ins, fop.out])

    def _reads_live_arrays(self, ctx: Any, params: dict[str, Any]) -> bool:
        """Whether an array argument of the op (a condition, an index, a plan's targets) is a value
        of the step rather than a constant: then the op is not folded, even on constant inputs."""
        found: list[Any] = []

        def collect(x: Any) -> None:
            if isinstance(x, np.ndarray):
                found.append(x)
            elif isinstance(x, (tuple, list)):
                for item in x:
                    collect(item)
            elif isinstance(x, Tensor):
                found.append(x.data)
        for value in (*params.values(), getattr(ctx, "condition", None), getattr(ctx, "index", None)):
            collect(value)
        plan = getattr(ctx, "plan", None)
        if plan is not None and getattr(plan, "rows_y", None) is not None:
            found.append(plan.rows_y)
        for arr in found:
            v = self._resolve_array(arr)
            if v is not None and v.kind != "const":
                return True
        return False

    def _rule_for(self, node: _Node, ins: list[_Val], params: dict[str, Any]) -> str:
        name = node.cls.__name__
        if not _builtin(node.cls):
            return "opaque"
        if name == "SoftmaxCrossEntropy":
            return "SCE" if _simple_plan(node.ctx.plan) and len(node.parents) == 1 else "opaque"
        if name == "_SCEGrad":
            return "SCEGrad"
        if name == "_OpaqueGrad":
            return "OpaqueGrad"
        if name in _ELEMENTWISE or name in _ELEMENTWISE_1 or name in _VIEWS:
            return name
        if name in ("MatMul", "Sum", "ReLU", "Pow", "Cast", "GetItem", "_Compare", "_Shift", "Where"):
            return name
        return "opaque"

    def _template(self, out: Any) -> Any:
        if isinstance(out, Tensor):
            return ("T", self._leaf(out))
        if type(out) in (tuple, list):
            return (type(out).__name__, [self._template(o) for o in out])
        if type(out) is dict and all(type(k) in (str, int) for k in out):
            return ("dict", [(k, self._template(v)) for k, v in out.items()])
        if out is None or type(out) in (int, float, str, bool):
            return ("value", out)
        raise CompileError(f"compile: fn returned a {type(out).__name__}; return Tensors, or tuples, "
                           "lists or dicts (str or int keys) of them, or plain numbers")

    def _name_grads(self) -> None:
        for leaf, gv in self.grad_outs:
            pv = self.vals.get(id(leaf))
            if gv.kind == "op" and pv is not None and gv.name.startswith("g"):
                self.taken.discard(gv.name)
                gv.name = _identifier("d" + pv.name, self.taken)

    def _outputs(self) -> list[_Val]:
        vals: list[_Val] = [gv for _, gv in self.grad_outs]

        def walk(tpl: Any) -> None:
            if tpl[0] == "T":
                vals.append(tpl[1])
            elif tpl[0] in ("tuple", "list"):
                for t in tpl[1]:
                    walk(t)
            elif tpl[0] == "dict":
                for _, t in tpl[1]:
                    walk(t)
        walk(self.out_template)
        return vals

    def _dce(self) -> None:
        needed: set[int] = set()
        stack = [v for v in self._outputs() if v.kind in ("op", "attr")]
        stack += [op.out for op in self.ops if op.rule in _EVENT_RULES]  # events always happen
        while stack:
            v = stack.pop()
            op = v.owner if v.kind == "attr" else v.node
            if op is None or id(op) in needed:
                continue
            needed.add(id(op))
            for w in [*op.ins, *op.extra, *[x for x in op.params.values() if isinstance(x, _Val)]]:
                if w.kind in ("op", "attr"):
                    stack.append(w)
                elif w.view_of is not None and w.view_of.kind in ("op", "attr"):
                    stack.append(w.view_of)
            if op.rule == "SCEGrad":
                stack.append(op.params["_sce"].out)
            if op.rule == "OpaqueGrad":
                stack.append(op.params["_fop"].out)
        self.ops = [op for op in self.ops if id(op) in needed]
        for i, op in enumerate(self.ops):
            op.index = i

    def _fuse_bias(self) -> None:
        """``x @ W + b`` as one product ``[x, 1] @ [W; b]`` (the bias trick) when ``x`` has fewer
        columns than the result: copying x, W and b into buffers costs less than the pass over the
        (N, n) result that adding b takes (a broadcast add over a short row is slow: its inner loop
        runs over the n entries of one row). ``[x, 1]`` is kept in Fortran order, so x's columns are
        copied as contiguous blocks (~1.7 µs for 1000 x 2, against ~8 µs into a C-ordered buffer).
        Measured here (1000 x 2 -> 3, the article's model: 7 µs against 15 µs; 200 x 20 -> 40 about
        even; 1000 x 10 -> 10 and wider x lose), hence the rule: fewer columns in x than in W. The
        product's result must be read by nothing but that add (no view, no backward, not an output)."""
        reads: dict[int, int] = {}
        for op in self.ops:
            vals = [*op.ins, *op.extra, *[w for w in op.params.values() if isinstance(w, _Val)]]
            if op.rule == "OpaqueGrad":
                vals += op.params["_fop"].ins
            for w in vals:
                reads[id(w)] = reads.get(id(w), 0) + 1
                if w.view_of is not None:
                    reads[id(w.view_of)] = reads.get(id(w.view_of), 0) + 2  # a view: never fused
        for v in self._outputs():
            reads[id(v)] = reads.get(id(v), 0) + 2
        fused: set[int] = set()
        done: list[_Op] = []
        for op in self.ops:
            if op.rule != "Add" or len(op.ins) != 2:
                continue
            for m, b in ((op.ins[0], op.ins[1]), (op.ins[1], op.ins[0])):
                mm = m.node if m.kind == "op" else None
                if mm is None or mm.rule != "MatMul" or reads.get(id(m)) != 1 or mm.attrs or len(mm.ins) != 2:
                    continue
                x, w = mm.ins
                if len(x.shape) != 2 or len(w.shape) != 2 or len(m.shape) != 2 or m.shape != op.out.shape:
                    continue
                (rows, k), n = x.shape, w.shape[1]
                if tuple(b.shape) not in ((n,), (1, n)) or not all(v.dtype == m.dtype for v in (x, w, b)) \
                        or m.dtype.kind != "f" or k >= n:
                    continue
                xa = _identifier("_xa", self.taken)
                wa = _identifier("_wa", self.taken)
                self.consts[xa] = np.ones((rows, k + 1), m.dtype, order="F")  # its last column stays ones
                if x.kind == "const":  # x is a constant of the step (closed over): [x, 1] is too
                    self.consts[xa][:, :k] = x.array
                self.consts[wa] = np.empty((k + 1, n), m.dtype)
                self.notes[xa] = f"[{x.name}, 1], {rows} x {k + 1} in Fortran order, its last column ones" + (
                    f" (made once: {x.name} is a constant)" if x.kind == "const" else "")
                self.notes[wa] = f"[{w.name}; {b.name}], {k + 1} x {n}"
                op.rule, op.ins = "MatMulBias", [x, w, b]
                op.params = {"_xa": xa, "_wa": wa, "k": k}
                if w.kind == b.kind == "param" and tuple(b.shape) == (n,) and w.array.flags.c_contiguous \
                        and not {w.name, b.name} & self.packed:  # [W; b] becomes their storage
                    self.packed |= {w.name, b.name}
                    wv = _identifier(f"{wa}_{w.name}", self.taken)
                    bv = _identifier(f"{wa}_{b.name}", self.taken)
                    self.consts[wv], self.consts[bv] = self.consts[wa][:k], self.consts[wa][k]
                    self.notes[wa] += f": the storage of {w.name} and {b.name}, which are views of it"
                    self.pack.append((w.name, b.name, wa, wv, bv))
                    op.params["packed"] = True
                op.label = op.label.replace("Add", "MatMul + Add")
                fused.add(id(mm))
                done.append(op)
                break
        if fused:
            self.ops = [op for op in self.ops if id(op) not in fused]
            for i, op in enumerate(self.ops):
                op.index = i
        for op in done:
            self._fuse_bias_grads(op)

    def _fuse_bias_grads(self, fop: _Op) -> None:
        """With ``[x, 1]`` in a buffer (the bias trick), ``xᵀ g`` and the column sums of ``g``
        (the gradients of W and b) are one product ``[x, 1]ᵀ g``: the first of the two ops computes
        it, both take their rows of it."""
        x, xa, k = fop.ins[0], fop.params["_xa"], fop.params["k"]
        rows = x.shape[0]
        x_t = {id(w) for op in self.ops for w in op.ins
               if w.shape == (k, rows) and self._transpose_of(w) is x}
        products = {id(op.ins[1]): op for op in self.ops if op.rule == "MatMul" and op.index > fop.index
                    and len(op.ins) == 2 and id(op.ins[0]) in x_t and len(op.ins[1].shape) == 2
                    and op.ins[1].shape[0] == rows and op.out.shape == (k, op.ins[1].shape[1])
                    and op.ins[1].dtype == x.dtype}
        sums: dict[int, _Op] = {}
        for op in self.ops:
            g = op.ins[0] if op.rule == "Sum" and op.ins else None
            if g is None or id(g) not in products or op.index <= fop.index or id(g) in sums:
                continue
            axis = op.params.get("axis")
            if axis is None or normalize_axes(axis, 2) != (0,) \
                    or tuple(op.out.shape) not in ((g.shape[1],), (1, g.shape[1])):
                continue
            sums[id(g)] = op
        for gid, s_op in sums.items():
            m_op = products[gid]
            xb = _identifier("_xb", self.taken)
            first, second = (m_op, s_op) if m_op.index < s_op.index else (s_op, m_op)
            rows_of = {id(m_op): f"{xb}[:{k}]",
                       id(s_op): f"{xb}[{k}]" if len(s_op.out.shape) == 1 else f"{xb}[{k}:{k + 1}]"}
            for op in (first, second):
                op.params = {"_xb": xb, "_xa": xa, "_take": rows_of[id(op)], "_first": op is first}
                op.rule = "BiasGrad"
                op.label += " (rows of [x, 1]ᵀ g)"
            m_op.ins = [m_op.ins[1]]  # xᵀ is read from [x, 1] now
        if sums:  # a transpose of x nobody reads any more goes
            self._drop_unread(x_t)

    def _drop_unread(self, ids: set[int]) -> None:
        """Remove the ops that made the values ``ids`` if no op and no output reads them now."""
        read = {id(w) for op in self.ops for w in [*op.ins, *op.extra, *op.params.values()]
                if isinstance(w, _Val)} | {id(v) for v in self._outputs()}
        self.ops = [op for op in self.ops if not (id(op.out) in ids and id(op.out) not in read)]
        for i, op in enumerate(self.ops):
            op.index = i

    def _transposed_products(self) -> None:
        """``aᵀ @ g`` with a tall result (more rows than columns: the gradient of a weight, xᵀ g,
        with few classes) computed as ``(gᵀ @ a)ᵀ``, into a buffer of the transposed shape. Same
        numbers, a layout OpenBLAS runs faster: measured here, (3073 x 500) @ (500 x 10) in float32
        takes ~3.6x less time this way, and (100 x 1000) @ (1000 x 3) ~15 % less; never slower in
        the shapes tried. The result is a Fortran-ordered view of that buffer."""
        dropped: set[int] = set()
        for op in self.ops:
            a = self._transpose_of(op.ins[0]) if op.rule == "MatMul" and len(op.ins) == 2 else None
            g = op.ins[-1]
            if a is None or len(g.shape) != 2 or len(op.out.shape) != 2 \
                    or op.out.shape[0] <= op.out.shape[1] or op.out.dtype.kind != "f" or a.dtype != g.dtype:
                continue
            dropped.add(id(op.ins[0]))
            op.rule, op.ins = "MatMulT", [a, g]
            op.label += " (as (gᵀ a)ᵀ: a faster layout for BLAS)"
        if dropped:
            self._drop_unread(dropped)

    def _transpose_of(self, w: _Val) -> _Val | None:
        """The 2-D value ``a`` whose transpose ``w`` is: the input of a Transpose op, or, for a
        constant that is a transposed view of an array (``x.T`` of a constant x, folded), that
        array as a constant; else None."""
        if len(w.shape) != 2:
            return None
        if w.kind == "op" and w.node is not None and w.node.rule == "Transpose":
            a = w.node.ins[0]
            return a if len(a.shape) == 2 and tuple(a.shape) == tuple(w.shape[::-1]) else None
        base = w.array.base if w.kind == "const" else None
        if isinstance(base, np.ndarray) and base.ndim == 2 and base.shape == w.array.shape[::-1] \
                and base.strides == w.array.strides[::-1] \
                and base.__array_interface__["data"][0] == w.array.__array_interface__["data"][0]:
            return self._const(base)
        return None

    def _buffers(self) -> None:
        """Give each large intermediate an out= buffer; values whose lifetimes (views included)
        do not overlap share one."""
        escaping = {id(v) for v in self._outputs()}
        last: dict[int, int] = {}

        def root(v: _Val) -> _Val:
            while v.view_of is not None:
                v = v.view_of
            return v
        for op in self.ops:
            reads = [*op.ins, *op.extra]
            if op.rule == "SCEGrad":
                reads += [op.params["_sce"].attrs["S"], op.params["_sce"].attrs["OH"]]
            for w in reads:
                last[id(root(w))] = op.index
        for v in self._outputs():
            last[id(root(v))] = len(self.ops)
        for op in self.ops:  # opaque ops keep references to their arrays until their backward
            if op.rule == "OpaqueGrad":
                fop = op.params["_fop"]
                for w in [*fop.ins, fop.out]:
                    last[id(root(w))] = max(last.get(id(root(w)), 0), op.index)
        free: dict[Any, list[str]] = {}
        owner_last: dict[str, int] = {}
        buffer_of: dict[int, str] = {}
        self.buffers: dict[str, tuple[tuple[int, ...], Any]] = {}
        sce_grad_at = {id(o.params["_sce"]): o.index for o in self.ops if o.rule == "SCEGrad"}

        def dying(op: _Op, target: _Val, candidates: list[_Val]) -> str | None:
            """The buffer of an input that dies at this op and has the target's shape and dtype:
            an elementwise op may write its result over it (in place)."""
            for w in candidates:
                name = buffer_of.get(id(w))
                if name is not None and root(w) is w and last.get(id(w)) == op.index \
                        and owner_last.get(name) == op.index and w.dtype == target.dtype \
                        and self.buffers[name][0] == tuple(target.shape):  # (a transposed buffer never)
                    return name
            return None

        for op in self.ops:
            for name, end in list(owner_last.items()):
                if end < op.index:
                    shape, dtype = self.buffers[name]
                    free.setdefault((shape, str(dtype)), []).append(name)
                    del owner_last[name]
            v = op.out
            for key_, attr in op.attrs.items():
                if attr.kind != "attr" or (op.rule == "SCE" and key_ == "OH"):
                    continue
                if op.rule == "SCE":  # S, the softmax: overwrites the logits if they die here
                    name = dying(op, attr, op.ins) or self._take(free, attr.shape, attr.dtype)
                    end = max(last.get(id(attr), op.index), sce_grad_at.get(id(op), op.index))
                elif op.rule == "ReLU" and attr.nbytes >= _BUFFER_BYTES:
                    name = self._take(free, attr.shape, attr.dtype)
                    end = last.get(id(attr), op.index)
                else:
                    continue
                attr.name = name
                buffer_of[id(attr)] = name
                owner_last[name] = end
            if id(v) in escaping or v.nbytes < _BUFFER_BYTES or op.rule not in _OUT_RULES:
                continue
            if op.rule == "Sum" and not _sum_has_out(op):
                continue
            inputs = list(op.ins)
            if op.rule == "SCEGrad":
                inputs = [op.params["_sce"].attrs["S"]]
            name = dying(op, v, inputs) if op.rule in _IN_PLACE_RULES else None
            name = name or self._take(free, v.shape[::-1] if op.rule == "MatMulT" else v.shape, v.dtype)
            op.buffer = name
            buffer_of[id(v)] = name
            owner_last[name] = last.get(id(v), op.index)
        self._recycle(escaping)

    def _recycle(self, escaping: set[int]) -> None:
        """A large gradient or output is handed out as a new array each call, as eager does; but
        allocating ~100 kB costs ~20 µs here (the allocator returns the block to the system and
        then faults it in again). So the array handed out by the last call is written again when
        nothing outside holds it any more (its reference count says so: the ``.grad`` that held it
        was set to None and dropped, and no view or alias of it exists), as PyTorch reuses a
        gradient buffer nobody else uses. Anyone who kept it sees it unchanged: it is then not
        reused. CPython only (reference counts)."""
        if not hasattr(sys, "getrefcount"):
            return
        simple = set(_ELEMENTWISE) | set(_ELEMENTWISE_1) | {"MatMul"}
        for op in self.ops:
            v = op.out
            if id(v) in escaping and op.buffer is None and op.rule in simple and v.view_of is None \
                    and v.nbytes >= _RECYCLE_BYTES:
                name = _identifier("_rc", self.taken)
                self.consts[name] = [np.empty(v.shape, v.dtype)]
                op.recycle = name

    def _take(self, free: dict[Any, list[str]], shape: tuple[int, ...], dtype: Any) -> str:
        pool = free.get((tuple(shape), str(np.dtype(dtype))))
        if pool:
            return pool.pop()
        name = _identifier(f"_buf{len(self.buffers)}", self.taken)
        self.buffers[name] = (tuple(shape), np.dtype(dtype))
        if _narrow(shape, dtype):
            self.fortran.add(name)
        return name

    def _in_fortran(self, v: _Val) -> bool:
        """Whether a value lives in a Fortran-ordered buffer (see ``_narrow``)."""
        return v.kind == "op" and v.node is not None and v.node.buffer in self.fortran \
            and v.node.rule != "MatMulT"

    # -- source
    def _registers(self) -> None:
        """Reuse the Python names of values nobody reads any more (t0 = t0 + c, as a loop would):
        a long straight-line program then keeps a few arrays alive, not one per line. Names the
        user gave, gradients, outputs and opaque ops' values keep their own names."""
        last: dict[int, int] = {}
        for op in self.ops:
            reads = [*op.ins, *op.extra, *[w for w in op.params.values() if isinstance(w, _Val)]]
            for w in reads:
                last[id(w)] = op.index
                if w.view_of is not None:
                    last[id(w.view_of)] = op.index
        keep = {id(v) for v in self._outputs()}
        pool: list[str] = []
        holders: dict[str, int] = {}
        for op in self.ops:
            for name, end in list(holders.items()):
                if end <= op.index:  # read for the last time by this op, before its result is stored
                    pool.append(name)
                    del holders[name]
            v = op.out
            if id(v) in keep or op.rule in ("opaque", "SCE") or op.attrs \
                    or not re.fullmatch(r"[tg]\d+", v.name):
                continue
            end = last.get(id(v))
            if end is None:
                continue
            if pool:
                v.name = pool.pop()
            holders[v.name] = end

    def _emit(self) -> str:
        self.escaping = {id(v) for v in self._outputs()}
        self.read_live = self.escaping | {id(w) for op in self.ops for w in (*op.ins, *op.extra)}
        self.grad_array: dict[str, str] = {}  # holder -> the name of the array its .grad holds now
        self.step_scratch: dict[tuple[Any, ...], str] = {}  # (shape, dtype) -> the SGD update's scratch
        self.handed: set[int] = set()  # gradient values already handed to a .grad
        self.written: set[str] = set()  # holders whose .grad a backward pass has written (not None)
        if len(self.ops) > _REGISTER_OPS:  # short programs keep one name per value: easier to read
            self._registers()
        args = ", ".join(n for n, _, _ in self.arg_vals)
        body = [f"    def replay({args}):"]
        for name, kind, _v in self.arg_vals:
            if kind == "tensor":
                body.append(f"        {name} = {name}.data")
        for w, b, wa, wv, bv in self.pack:  # (before the reads below: _pack counts references)
            body += [f"        if _P_{w}.data is not {wv} or _P_{b}.data is not {bv}:  # not (or no longer) "
                     f"views of {wa}",
                     f"            _pack(_P_{w}, _P_{b}, {wa}, {wv}, {bv})"]
        for name, _t in self.param_tensors:
            body.append(f"        {name} = _P_{name}.data  # parameter {name}, read live")
        packed = {n for w, b, *_ in self.pack for n in (w, b)}
        # what the trace assumed and a caller may change between calls: each a check, in the
        # program's first lines, that traces again if it no longer holds
        checks = [([f"{name}.dtype is not {self._const_obj(np.dtype(t.dtype), 'dt')} or {name}.shape != "
                    f"{tuple(t.shape)!r}" for name, t in self.param_tensors if name not in packed],
                   "a parameter rebound to another dtype or shape"),
                  ([f"not _P_{name}._requires_grad" for name, _ in self.param_tensors], "a parameter frozen")]
        for t, d, version in self.const_tensors.values():
            name = self.names.get(id(t), "tensor")
            ct = self._const_obj(t, f"{name}_t")
            checks.append(([f"{ct}.data is not {self._const_obj(d, name)} or {ct}._version != {version} "
                            f"or {ct}._requires_grad"], f"{name} (closed over: a constant) changed"))
        checks += [([f"not _same_items({op.params['_opt']}.params, {op.params['_held']})"],
                    "parameters added to or replaced in the optimizer")
                   for op in self.ops if op.rule == "OptStep"]
        for conditions, why in checks:
            if conditions:
                body += [f"        if {' or '.join(conditions)}:  # {why}", "            raise _Retrace()"]
        phase = None
        for op in self.ops:
            if op.phase != phase:
                phase = op.phase
                body.append(f"        # ---- {phase} ----")
            for line in self._lines(op):
                body.append("        " + line)
        body.append(f"        return {self._out_src(self.out_template)}")
        for i, line in enumerate(body):
            for n in self.tensor_args:
                if line.strip() == f"{n} = {n}.data":
                    body[i] = line.replace(f"{n} = {n}.data", f"{n}_t = {n}; {n} = {n}.data")
        helpers = {"_make": Tensor._make, "_add_into": _engine._add_into,
                   "_clear_grads": _engine._clear_grads, "_bump_versions": _engine._bump_versions,
                   "_pack": _pack, "_same_items": _same_items, "_Retrace": _Retrace,
                   "_refs": getattr(sys, "getrefcount", None),
                   "_run": _run_forward, "_new_ctx": _new_ctx,
                   "_opaque_bw": _opaque_backward, "_check_targets": _check_targets}
        head = ["import numpy as np", "", "", "def _build(_K):",
                "    # generated by tinygrad_softmax.compile: one line per NumPy call"]
        used = set(re.findall(r"\w+", "\n".join([*body, *(e for e, _ in self.views.values())])))
        for name in self.consts:
            if name in used:  # (constants the rewrites above made unneeded are left out)
                note = f"  # {self.notes[name]}" if name in self.notes else ""
                head.append(f"    {name} = _K[{name!r}]{note}")
        for name, fn in helpers.items():
            if name + "(" in "\n".join(body):
                self.consts[name] = fn
                head.append(f"    {name} = _K[{name!r}]")
        slot, buffers = 0, []
        for name, (shape, dtype) in self.buffers.items():
            fortran = name in self.fortran
            order, what = (", order='F'", ", in Fortran order") if fortran else ("", "")
            if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize >= _SPACED_BYTES:
                buffers.append(f"    {name} = _spaced({shape!r}, np.{dtype.name}, {slot}{order})  # an out= "
                               f"buffer, reused{what}, {slot * _SPACING % _PAGE} bytes into a page")
                slot += 1
            else:
                buffers.append(f"    {name} = np.empty({shape!r}, np.{dtype.name}{order})  # an out= buffer, "
                               f"reused{what}")
        if slot:
            self.consts["_spaced"] = _spaced
            head.append("    _spaced = _K['_spaced']")
        head += buffers
        for name, (expr, what) in self.views.items():
            head.append(f"    {name} = {expr}  # {what}: a view, made once")
        for name, t in self.param_tensors:
            self.consts[f"_P_{name}"] = t
            head.append(f"    _P_{name} = _K['_P_{name}']")
        return "\n".join(head + [""] + body + ["", "    return replay", ""])

    def _holder(self, pv: _Val) -> str:
        """The Tensor object of a parameter (or of an input that requires grad) in the source."""
        if pv.kind == "param":
            return f"_P_{pv.name}"
        if id(pv) in self.frozen:
            return self.frozen[id(pv)]
        self.tensor_args.add(pv.name)
        return f"{pv.name}_t"

    def _event_lines(self, op: _Op) -> list[str]:
        if op.rule == "GradWrite":  # as the walk's _accumulate: a copy into .grad, or a sum with it
            pv, gv = op.ins
            holder, src = self._holder(pv), gv.name
            own = _fresh_array(gv) and id(gv) not in self.handed  # (one value, two leaves: one copy)
            self.handed.add(id(gv))
            val = src if own else f"np.array({src})"
            self.written.add(holder)
            if op.params["fresh"]:  # a zero_grad earlier in the step set it to None
                if own:  # .grad.data is src itself, until the next write into this .grad
                    self.grad_array[holder] = src
                lines = [f"{holder}.grad = _make({val})  # d(output)/d({pv.name}) into .grad"]
            else:
                self.grad_array.pop(holder, None)
                lines = [f"_g = {holder}.grad  # d(output)/d({pv.name}) accumulates into .grad",
                         f"{holder}.grad = _make({val}) if _g is None else _add_into(_g, {src})"]
            if id(op.out) in self.read_live:
                lines.append(f"{op.out.name} = {holder}.grad.data  # what later lines read of .grad")
            return lines
        if op.rule == "ClearGrads":
            for pv in op.ins:
                self.grad_array.pop(self._holder(pv), None)
                self.written.discard(self._holder(pv))
            if not op.params["set_to_none"]:
                return [f"_clear_grads({op.params['_list']}, False)  # zero_grad(set_to_none=False): "
                        "zeros written into each .grad"]
            return [f"{self._holder(pv)}.grad = None  # zero_grad()" for pv in op.ins]
        opt = op.params["_opt"]
        holders = [self._holder(pv) for pv in op.ins]
        if not op.params["_code"]:
            self.grad_array.clear()  # (a user's step may set .grad)
            self.written.clear()
            return [f"{opt}.step()  # {op.label}: the optimizer's own step, on the live parameters"]
        # SGD: p -= lr * p.grad, as SGD.step does it; its other forms run SGD.step itself
        others = [f"{h}.grad is not None" if not had else f"{h}.grad is None"  # (as at trace time, or else)
                  for h, had in zip(holders, op.params["with_grad"]) if not had or h not in self.written]
        lines = [f"if {' or '.join([f'{opt}.momentum', f'{opt}.weight_decay', *others])}:",
                 f"    {opt}.step()  # momentum, weight decay or other gradients: SGD.step itself",
                 "else:  # p -= lr * p.grad, in place; lr read live (a scheduler may change it)",
                 f"    _lr = {opt}.lr"]  # (a float, as SGD.step reads it)
        bumped = []
        for pv, h, had in zip(op.ins, holders, op.params["with_grad"]):
            if not had:
                continue
            key = (tuple(pv.shape), np.dtype(pv.dtype))  # one scratch array per shape: used in turn
            scratch = self.step_scratch.get(key)
            if scratch is None:
                scratch = self.step_scratch[key] = _identifier(f"_step_{pv.name}", self.taken)
                self.consts[scratch] = np.empty(pv.shape, pv.dtype)
            lines += [f"    np.multiply({self.grad_array.get(h, f'{h}.grad.data')}, _lr, out={scratch})",
                      f"    np.subtract({pv.name}, {scratch}, out={pv.name})"]
            bumped.append(h)
        lines.append(f"    _bump_versions(({', '.join(bumped)}{',' if len(bumped) == 1 else ''}))"
                     "  # each parameter's _version, as SGD.step bumps them")
        return lines

    def _out_src(self, tpl: Any) -> str:
        if tpl[0] == "T":
            v = tpl[1]
            return f"_make({v.name})" if _fresh_array(v) else f"_make(np.array({v.name}))"
        if tpl[0] == "tuple":
            inner = ", ".join(self._out_src(t) for t in tpl[1])
            return f"({inner}{',' if len(tpl[1]) == 1 else ''})"
        if tpl[0] == "list":
            return "[" + ", ".join(self._out_src(t) for t in tpl[1]) + "]"
        if tpl[0] == "dict":
            return "{" + ", ".join(f"{k!r}: {self._out_src(t)}" for k, t in tpl[1]) + "}"
        return repr(tpl[1])

    def _lines(self, op: _Op) -> list[str]:
        if op.rule in _EVENT_RULES:
            return self._event_lines(op)
        if not op.recycle:
            return self._rule_lines(op)
        op.buffer = "_r"  # written into the recycled array
        try:
            lines = self._rule_lines(op)
        finally:
            op.buffer = None  # still handed out as is, without a copy
        return [f"_r = {op.recycle}[0]  # {op.out.name}'s array of the last call: reused if nobody holds it",
                "if _refs(_r) > 3:  # held outside (a .grad, a view, a reference): a new array",
                f"    _r = {op.recycle}[0] = np.empty({tuple(op.out.shape)!r}, np.{op.out.dtype.name})",
                *lines]

    def _rule_lines(self, op: _Op) -> list[str]:
        # scalar constants as literals, except on tiny arrays: there a Python float costs ~0.3 µs
        # more per call than a 0-d array (NumPy's scalar conversion), and the literal is only
        # cosmetic. Between scalars (a 0-d result) literals again: a NumPy scalar times a 0-d
        # array costs ~1 µs more than times a float (the ufunc machinery against scalar math)
        small = bool(op.out.shape) and int(np.prod(op.out.shape, dtype=np.int64)) < _TINY
        o, ins, r = op.out.name, [v.name if small else self._src(v) for v in op.ins], op.rule
        comment = f"  # {op.label}"
        buf = op.buffer
        dt = f"np.{op.out.dtype.name}"

        escapes = id(op.out) in self.escaping

        def wrap(expr: str) -> str:  # NumPy gives a scalar for a 0-d result: what we hand out is an array
            return expr if op.out.shape or not escapes else f"np.asarray({expr})"
        def kernel(func: str, args: list[str], plain: str) -> list[str]:
            # into the op's buffer when it has one, else the plain expression
            if buf:
                return [f"{o} = np.{func}({', '.join(args)}, out={buf}){comment}"]
            return [f"{o} = {wrap(plain)}{comment}"]
        if r in _ELEMENTWISE:
            return kernel(_ELEMENTWISE[r], ins[:2], f"{ins[0]} {_OPERATOR[r]} {ins[1]}")
        if r in _ELEMENTWISE_1:
            return kernel(_ELEMENTWISE_1[r], ins[:1], f"np.{_ELEMENTWISE_1[r]}({ins[0]})")
        if r == "SumSquares":
            x = f"{ins[0]}.T" if self._in_fortran(op.ins[0]) else ins[0]  # vdot reads C order without a copy
            return [f"{o} = {wrap(f'np.vdot({x}, {x})')}{comment} (Σ x², as one dot product)"]
        if r == "Pow":
            expr = f"{ins[0]} ** {self._const_obj(op.params['exponent'], 'exponent')}"
            return [f"{o} = {wrap(expr)}{comment}"]
        if r == "ReLU":
            lines = []
            mask = op.attrs.get("mask")
            # a float zero: it keeps a float array's dtype, and a comparison with the int 0 takes
            # another, slower NumPy loop (~14 % more for 1000 x 100 float64)
            zero = "0.0" if op.out.dtype.kind == "f" else f"{dt}(0)"
            if mask is not None and mask.name.startswith("_buf"):
                lines.append(f"np.greater({ins[0]}, {zero}, out={mask.name}, casting='unsafe')  # the "
                             "ReLU's gradient mask")
            elif mask is not None:
                lines.append(f"{mask.name} = ({ins[0]} > {zero}).astype({dt})  # the ReLU's gradient mask")
            expr = f"np.maximum({ins[0]}, {zero}" + (f", out={buf}" if buf else "") + ")"
            lines.append(f"{o} = {wrap(expr)}{comment}")
            return lines
        if r == "MatMulBias":
            xa, wa, k = op.params["_xa"], op.params["_wa"], op.params["k"]
            out = f", out={buf}" if buf else ""
            copy_x = [] if op.ins[0].kind == "const" else [f"{xa}[:, :{k}] = {ins[0]}"]
            trick = "# the bias trick: x @ W + b = [x, 1] @ [W; b]"
            copy_w = [f"{trick} ({wa} is {ins[1]}, {ins[2]})"] if op.params.get("packed") else \
                [f"{wa}[:{k}] = {ins[1]}  {trick}", f"{wa}[{k}] = {ins[2]}"]
            return [*copy_x, *copy_w,
                    *([f"np.matmul({wa}.T, {xa}.T, out={buf}.T)  # ([x, 1] [W; b])ᵀ into {buf}ᵀ",
                       f"{o} = {buf}{comment}"] if buf in self.fortran else
                      [f"{o} = {wrap(f'np.matmul({xa}, {wa}{out})')}{comment}"])]
        if r == "BiasGrad":
            p = op.params
            lines = []
            if p["_first"]:
                lines.append(f"{p['_xb']} = np.matmul({p['_xa']}.T, {op.ins[0].name})  # [x, 1]ᵀ g: xᵀ g and "
                             "the column sums of g, one product")
            return lines + [f"{o} = {p['_take']}{comment}"]
        if r == "MatMul":
            if buf in self.fortran and len(op.ins[0].shape) == len(op.ins[1].shape) == 2:
                return [f"np.matmul({ins[1]}.T, {ins[0]}.T, out={buf}.T)  # (a b)ᵀ = bᵀ aᵀ into {buf}ᵀ",
                        f"{o} = {buf}{comment}"]
            return kernel("matmul", ins[:2], f"{ins[0]} @ {ins[1]}")
        if r == "MatMulT":  # aᵀ g as (gᵀ a)ᵀ, into a buffer of the transposed shape
            out = f", out={buf}" if buf else ""
            return [f"{o} = np.matmul({ins[1]}.T, {ins[0]}{out}).T{comment}"]
        if r == "Reshape":
            return [f"{o} = {ins[0]}.reshape({tuple(op.out.shape)!r}){comment}"]
        if r == "Transpose":
            axes = op.ctx.inverse and _inverse(op.ctx.inverse)
            return [f"{o} = {ins[0]}.T{comment}" if axes is None or axes == tuple(range(len(axes)))[::-1]
                    else f"{o} = {ins[0]}.transpose({axes!r}){comment}"]
        if r == "BroadcastTo":
            return [f"{o} = np.broadcast_to({ins[0]}, {tuple(op.out.shape)!r}){comment}"]
        if r == "Cast":
            return [f"{o} = {ins[0]}.astype({dt}){comment}"]
        if r == "_Compare":
            expr = f"{ins[0]} {op.params['op']} {ins[1]}"
            return [f"{o} = {wrap(expr)}{comment}"]
        if r == "Where":
            cond = op.params["_arg_condition"]
            return [f"{o} = np.where({cond.name}, {ins[0]}, {ins[1]}){comment}"]
        if r == "GetItem":
            return [f"{o} = np.asarray({ins[0]}[{op.params['_index_src']}]){comment}"]
        if r == "Sum":
            return self._sum_lines(op, comment)
        if r == "_Shift":
            return self._shift_lines(op, comment)
        if r == "SCE":
            return self._sce_lines(op, comment)
        if r == "SCEGrad":
            return self._sce_grad_lines(op, comment)
        if r == "OpaqueGrad":
            fop = op.params["_fop"]
            return [f"{o} = _opaque_bw({fop.out.name}_ctx, {ins[0]}, {op.params['slot']}){comment} (opaque)"]
        return self._opaque_lines(op, comment)

    def _opaque_lines(self, op: _Op, comment: str) -> list[str]:
        cls_name = self._const_obj(op.cls, op.cls.__name__)
        params = {k: v for k, v in op.params.items() if not k.startswith("_")}
        psrc = []
        for k, val in params.items():
            if isinstance(val, np.ndarray):
                psrc.append(f"{k!r}: {op.params['_arg_' + k].name}")
            else:
                psrc.append(f"{k!r}: {self._const_obj(val, 'p')}")
        needs = tuple(op.ctx.needs_input_grad) if op.ctx.needs_input_grad else ()
        o = op.out.name
        ins = ", ".join(v.name for v in op.ins)
        lines = [f"{o}_ctx = _new_ctx({cls_name}, ({ins}{',' if len(op.ins) == 1 else ''}), {needs!r})",
                 f"{o} = _run({cls_name}, {o}_ctx, ({ins}{',' if len(op.ins) == 1 else ''}), "
                 "{" + ", ".join(psrc) + "})"
                 f"{comment} (opaque: its own forward)"]
        for attr, v in op.attrs.items():
            ref = f"{o}_ctx.{attr}" if isinstance(attr, str) else f"{o}_ctx._saved[{attr[1]}]"
            lines.append(f"{v.name} = {ref}")
        return lines

    def _const_obj(self, obj: Any, hint: str) -> str:
        if obj is None or isinstance(obj, (bool, int, str)) or (isinstance(obj, float) and np.isfinite(obj)):
            return repr(obj)
        for name, val in self.consts.items():
            if val is obj:
                return name
        name = _identifier(f"_{hint}", self.taken)
        self.consts[name] = obj
        return name

    def _sum_lines(self, op: _Op, comment: str) -> list[str]:
        x, o, buf = op.ins[0], op.out.name, op.buffer
        axis = op.params.get("axis")
        keep = bool(op.params.get("keepdims", False))
        axes = None if axis is None else normalize_axes(axis, len(x.shape))
        ones = None
        if axes is not None and len(x.shape) == 2 and axes == (1,) and x.shape[1] <= _SHORT_AXIS \
                and x.dtype.kind == "f":
            ones = self._const(np.ones(x.shape[1], x.dtype), f"_ones{x.shape[1]}_")
            expr = f"np.matmul({x.name}, {ones.name}{', out=' + buf if buf else ''})"
            note = "  (a short row: a product with a ones vector)"
        elif axes is not None and len(x.shape) == 2 and axes == (0,) and x.dtype.kind == "f" \
                and x.shape[0] > 1:
            ones = self._const(np.ones(x.shape[0], x.dtype), f"_ones{x.shape[0]}_")
            expr = f"np.matmul({ones.name}, {x.name}{', out=' + buf if buf else ''})"
            note = "  (column sums: a ones row times the matrix)"
        else:
            ax = "None" if axes is None else repr(axes)
            expr = f"np.add.reduce({x.name}, axis={ax}{', keepdims=True' if keep else ''}" \
                   f"{', out=' + buf if buf else ''})"
            note = ""
        if ones is not None and keep and buf:  # the product writes the flat sums into buf's memory
            flat = tuple(n for i, n in enumerate(op.out.shape) if i not in axes)  # type: ignore[operator]
            view = self._view(f"{buf}_flat", f"{buf}.reshape({flat!r})", f"{buf} without its kept axis")
            return [expr.replace(f"out={buf}", f"out={view}") + f"{comment}{note}", f"{o} = {buf}"]
        if ones is not None and keep:
            return [f"{o} = {expr}.reshape({tuple(op.out.shape)!r}){comment}{note}"]
        if op.out.shape or id(op.out) not in self.escaping:
            return [f"{o} = {expr}{comment}{note}"]
        return [f"{o} = np.asarray({expr}){comment}{note}"]

    def _shift_lines(self, op: _Op, comment: str) -> list[str]:
        x, o = op.ins[0], op.out.name
        axes = op.params["axes"]
        if len(x.shape) == 2 and axes == (1,) and 1 < x.shape[1] <= _SHORT_AXIS:
            cols = [f"{x.name}[:, {j}:{j + 1}]" for j in range(x.shape[1])]
            lines = [f"{o} = np.maximum({cols[0]}, {cols[1]}){comment} (row max over the columns)"]
            for c in cols[2:]:
                lines.append(f"np.maximum({o}, {c}, out={o})")
        else:
            lines = [f"{o} = np.max({x.name}, axis={axes!r}, keepdims=True){comment}"]
        lines.append(f"{o} = np.where(np.isfinite({o}), {o}, 0).astype({x.name}.dtype, copy=False)"
                     "  # a constant shift; 0 where the row max is ±inf")
        return lines

    def _sce_lines(self, op: _Op, comment: str) -> list[str]:
        plan = op.ctx.plan
        xv, o = op.ins[0], op.out.name
        x = xv.name
        m, c = plan.rows, plan.n_classes
        y: _Val = op.params["_y"]
        S = op.params["_S"] = _identifier("S", self.taken)  # a local name for S's buffer
        Y = op.attrs["OH"].name
        dt = np.dtype(op.out.dtype)
        rowmax = _identifier("_rowmax", self.taken)
        total = _identifier("_rowsum", self.taken)
        self.buffers[rowmax] = ((m, 1), dt)
        self.buffers[total] = ((m,), dt)
        tot2 = self._view(f"{total}_col", f"{total}.reshape({(m, 1)!r})", f"{total} as a column")
        ones = self._const(np.ones(c, dt), f"_ones{c}_")
        lines = [f"# {op.label}: fused softmax cross-entropy, {m} rows x {c} classes",
                 f"{S} = {op.attrs['S'].name}  # S (shifted scores, then the softmax) is written in place"]
        fortran = op.attrs["S"].name in self.fortran
        onehot = _OneHot(m, c, dt, fortran)
        if y.kind == "const":  # the targets are a constant of the step (closed over): so is Y
            lines.append(f"{Y} = {self._const_obj(onehot(y.array), 'Y')}  # one-hot targets Y, made once")
        else:
            lines.append(f"{Y} = {self._const_obj(onehot, 'onehot')}({y.name})  # one-hot targets Y "
                         "(rebuilt and range-checked only when y changes)")
        if c <= _SHORT_AXIS:
            # the columns of x: views made once when x is always the same buffer
            buf = xv.node.buffer if xv.node is not None and xv.node.rule != "MatMulT" else None
            cols = [self._view(f"{x}_col{j}", f"{buf}[:, {j}:{j + 1}]", f"column {j} of {x}") if buf
                    else f"{x}[:, {j}:{j + 1}]" for j in range(c)]
            lines.append(f"np.maximum({cols[0]}, {cols[1]}, out={rowmax})  # row max over the columns"
                         if c > 1 else f"np.copyto({rowmax}, {x})")
            for col in cols[2:]:
                lines.append(f"np.maximum({rowmax}, {col}, out={rowmax})")
        else:
            lines.append(f"np.maximum.reduce({x}, axis=1, keepdims=True, out={rowmax})")
        loss = f"np.add.reduce({total}) - _picked"
        if plan.reduction == "mean":
            loss = f"({loss}) * {self._scalar_src(plan.scale, dt)}"
        if id(op.out) in self.escaping:
            loss = f"np.asarray({loss})"
        lines += [
            f"np.subtract({x}, {rowmax}, out={S})  # shifted scores",
            (f"_picked = np.vdot({S}.T, {Y}.T)  # Σ shifted score of each row's class" if fortran else
             f"_picked = np.vdot({S}, {Y})  # Σ shifted score of each row's class"),
            f"np.exp({S}, out={S})",
            (f"np.matmul({S}, {ones.name}, out={total})  # row sums: a product with a ones vector"
             if c <= _SHORT_AXIS else f"np.add.reduce({S}, axis=1, out={total})"),
            f"np.divide({S}, {tot2}, out={S})  # S = softmax",
            f"np.log({total}, out={total})",
            f"{o} = {loss}  # " + ("mean of " if plan.reduction == "mean" else "Σ ") + "log Σexp − picked",
        ]
        return lines

    def _view(self, hint: str, expr: str, what: str) -> str:
        """A name for a view of a buffer, made once when the replay is built (a slice or a reshape
        costs ~0.2 µs per call)."""
        for name, (e, _) in self.views.items():
            if e == expr:
                return name
        name = _identifier(hint, self.taken)
        self.views[name] = (expr, what)
        return name

    def _src(self, v: _Val) -> str:
        """How a value is written in the source: a finite float scalar constant as a literal
        (see ``_scalar_src``), anything else by its name."""
        if v.kind == "const" and v.shape == () and v.dtype.kind == "f" and v.array is not None \
                and np.isfinite(v.array):
            return self._scalar_src(v.array, v.dtype)
        return v.name

    def _scalar_src(self, x: Any, dtype: Any) -> str:
        """A float scalar constant of ``dtype`` in the source: a Python float literal in float64
        (exact), else a NumPy scalar of that dtype made once (so the result keeps the dtype under
        any NumPy's promotion rules, without a call per use)."""
        dtype = np.dtype(dtype)
        if dtype == np.float64 or dtype.kind != "f":
            return repr(float(x))
        value = dtype.type(x)
        for name, obj in self.consts.items():
            if type(obj) is type(value) and obj == value:
                return name
        label = str(value).replace("-", "m").replace(".", "_").replace("+", "")
        name = _identifier(f"_{label}_f{8 * dtype.itemsize}", self.taken)  # _0_1_f32: np.float32(0.1)
        self.consts[name] = value
        self.notes[name] = f"np.{dtype.name}({value})"
        return name

    def _sce_grad_lines(self, op: _Op, comment: str) -> list[str]:
        sce: _Op = op.params["_sce"]
        plan = sce.ctx.plan
        S, Y = sce.params["_S"], sce.attrs["OH"].name
        g, o = self._src(op.ins[0]), op.out.name
        scale = f" * {self._scalar_src(plan.scale, op.out.dtype)}" if plan.reduction == "mean" else ""
        if op.ins[0].kind == "const" and op.ins[0].shape == ():  # the usual seed: fold g·scale here
            folded = np.asarray(op.ins[0].array * (plan.scale if plan.reduction == "mean" else 1.0),
                                op.ins[0].dtype)
            g, scale = self._src(_Val("const", "", (), folded.dtype, folded)), ""
        if op.buffer:
            return [f"{o} = np.subtract({S}, {Y}, out={op.buffer}){comment}: (S − Y)·g/N",
                    f"np.multiply({o}, {g}{scale}, out={o})"]
        return [f"{o} = ({S} - {Y}) * ({g}{scale}){comment}: (S − Y)·g/N"]


_OUT_RULES = set(_ELEMENTWISE) | set(_ELEMENTWISE_1) | {"MatMul", "MatMulT", "MatMulBias", "Sum", "ReLU",
                                                       "SCEGrad"}
_IN_PLACE_RULES = set(_ELEMENTWISE) | set(_ELEMENTWISE_1) | {"ReLU", "SCEGrad"}


def _narrow(shape: tuple[int, ...], dtype: Any) -> bool:
    """Whether an out= buffer is made in Fortran order: N x C float arrays with a few columns
    and many rows (scores over a few classes). NumPy's inner loops then run down a column of N
    contiguous numbers, not along a row of C (broadcasting a row maximum or a bias over an
    (1000, 3) array costs several times less that way); measured here the article's step ran
    ~10 % faster with its (1000, 3) buffers in Fortran order. Products into such a buffer are
    written transposed (``np.matmul(bᵀ, aᵀ, out=bufᵀ)``), and ``vdot`` reads ``.T``."""
    return len(shape) == 2 and 1 < shape[1] <= _SHORT_AXIS and shape[0] >= 8 * shape[1] \
        and np.dtype(dtype).kind == "f"


def _fresh_array(v: _Val) -> bool:
    """Whether ``v`` is a new array at every call (an op's result, not a view, not in a reused
    buffer): it can be handed out as it is; anything else is handed out as a copy."""
    return v.kind == "op" and v.view_of is None and v.node is not None and v.node.buffer is None


def _sum_has_out(op: _Op) -> bool:
    return op.params.get("axis") is not None


def _inverse(inv: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(inv))


def _basic_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(p, (np.ndarray, list)) for p in parts)


def _freeze(params: dict[str, Any]) -> Any:
    out = []
    for k, v in sorted(params.items()):
        if isinstance(v, np.ndarray):
            out.append((k, "array", id(v)))
        else:
            try:
                hash(v)
                out.append((k, v))
            except TypeError:
                out.append((k, "object", id(v)))
    return tuple(out)


def _pack(w: Tensor, b: Tensor, wa: Any, wv: Any, bv: Any) -> None:
    """Make ``[W; b]`` of the bias trick (``wa``) the parameters' own storage: copy W and b into it
    and, when nothing but the two tensors holds their arrays (reference counts), make ``W.data`` and
    ``b.data`` its views ``wv`` and ``bv`` (C-contiguous, same values), so that later calls copy
    nothing: an optimizer's in-place update writes into ``wa`` too. If something else holds one of
    the arrays (a user's reference would stop seeing the updates), they stay as they are and are
    copied again at every call. A ``.data`` rebound later is packed again at the next call."""
    if w.data.dtype != wa.dtype or b.data.dtype != wa.dtype or w.data.shape != wv.shape \
            or b.data.shape != bv.shape:
        raise _Retrace
    wa[:len(wa) - 1] = w.data
    wa[len(wa) - 1] = b.data
    if hasattr(sys, "getrefcount") and all(
            t.data is v or (sys.getrefcount(t.data) == 2  # held by the tensor's slot (and the argument)
                            and t.data.base is None and t.data.flags.writeable)  # its own memory
            for t, v in ((w, wv), (b, bv))):
        w.data, b.data = wv, bv


def _same_items(live: list[Any], held: tuple[Any, ...]) -> bool:
    """Whether the list ``live`` holds the objects ``held``, in order (by identity: a Tensor's
    ``==`` is an op)."""
    return len(live) == len(held) and all(map(operator.is_, live, held))


def _spaced(shape: tuple[int, ...], dtype: Any, slot: int, order: str = "C") -> Any:
    """An empty array whose data starts ``slot * 1088`` bytes (mod 4096) past a page boundary, on a
    cache line. Big arrays from the allocator each get pages of their own and so all start at the
    same offset within a page: the same element of two of them then falls in the same cache set,
    and a kernel reading one while writing another (``np.multiply(dH, mask, out=dH)``) competes
    for it. Spread out this way, W3's compiled step ran ~2 % faster here (1,500 interleaved reps
    against the floor, three different spacings alike); the floor's arrays, made after others were
    freed, come from the heap at scattered offsets already."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + 2 * _PAGE, np.uint8)
    start = -raw.__array_interface__["data"][0] % _PAGE + slot * _SPACING % _PAGE
    return np.ndarray(shape, dtype, buffer=raw, offset=start, order=order)


def _new_ctx(cls: type, arrays: tuple[Any, ...], needs: tuple[bool, ...]) -> Any:
    ctx = cls()
    ctx.needs_input_grad = needs
    ctx.parents = tuple(Tensor._make(a) for a in arrays)
    return ctx


def _run_forward(cls: Any, ctx: Any, arrays: tuple[Any, ...], params: dict[str, Any]) -> Any:
    if params:
        ctx._params = params
    return np.asarray(cls.forward(ctx, *arrays, **params))


def _opaque_backward(ctx: Any, g: Any, slot: int) -> Any:
    cache = ctx.__dict__.setdefault("_compiled_grads", {})
    if id(g) not in cache:
        cache.clear()
        got = type(ctx).backward(ctx, g)
        cache[id(g)] = (g, got if type(got) is tuple else (got,))
    p = ctx.parents[slot]
    return _conform_grad(cache[id(g)][1][slot], p.shape, p.dtype)


class _OneHot:
    """The one-hot matrix of class-index targets, rebuilt only when the targets change (a byte
    comparison, ~0.2 µs for 1000 targets, against ~20 µs for a broadcast comparison per call).
    The targets are range-checked whenever they are new, as eager checks them."""

    def __init__(self, m: int, c: int, dtype: Any, fortran: bool = False) -> None:
        self.Y = np.zeros((m, c), dtype, order="F" if fortran else "C")  # the layout of S
        self.flat = self.Y.ravel(order="K")  # a view of Y in memory order
        self.offsets = np.arange(m) * (1 if fortran else c)  # where row i starts, and a class's step
        self.step = m if fortran else 1
        self.raw: bytes | None = None  # the targets' bytes and dtype when Y was last built
        self.dtype: Any = None
        self.c = c

    def __call__(self, y: Any) -> Any:
        # a copy of the bytes and one comparison: the targets may have been changed in place
        raw = y.tobytes() if y.nbytes <= 1 << 20 else None
        if raw is None or raw != self.raw or y.dtype != self.dtype:
            _check_targets(y, self.c)
            self.Y.fill(0)
            self.flat[self.offsets + y.reshape(-1) * self.step] = 1
            self.raw, self.dtype = raw, y.dtype
        return self.Y


def _check_targets(y: Any, c: int) -> None:
    if y.size and (np.minimum.reduce(y, axis=None) < 0 or np.maximum.reduce(y, axis=None) >= c):
        raise ValueError(f"class-index targets must lie in [0, {c - 1}], got values in "
                         f"[{y.min()}, {y.max()}]")


def compile(fn: Callable[..., Any], backward: bool = False, *, names: dict[str, Any] | None = None,
            cache_size: int = 8) -> Compiled:  # noqa: A001 - the name the issue asks for
    """Trace ``fn`` on its first call (per argument shapes, dtypes and non-array values) and
    replay the recorded ops as generated NumPy on later calls.

    ``backward=True``: ``fn`` returns a scalar loss (or a tuple whose first Tensor is one); each
    call also accumulates d(loss)/d(leaf) into ``.grad`` of every leaf that requires grad, as
    ``loss.backward()`` would. Parameters are read live, so an optimizer may update them in place
    between calls. ``names``: {name: Tensor or Module} to name parameters in the source (the
    closure's and the globals' names are found without it). ``compiled.source`` shows the code.
    See the module docstring for what is refused and why.
    """
    if not callable(fn):
        raise TypeError(f"compile needs a callable, got {type(fn).__name__}")
    return Compiled(fn, bool(backward), names, cache_size)
