"""Layers: ``Module`` and a few building blocks, with PyTorch's names.

A ``Module`` is a container of parameters (leaf Tensors with ``requires_grad=True``) and of
other modules. Assigning either to an attribute registers it, so ``parameters()`` and
``state_dict()`` find everything without any bookkeeping by the user::

    class TwoLayer(Module):
        def __init__(self):
            super().__init__()
            self.hidden = Linear(2, 16, rng=0)
            self.out = Linear(16, 3, rng=1)

        def forward(self, x):
            return self.out(self.hidden(x).relu())

One deliberate difference from PyTorch: ``Linear.weight`` has shape ``(in_features,
out_features)`` and the layer computes ``x @ W + b`` -- the layout of the article's ``W``
(n_features x n_classes), so the article's closed-form gradient applies to it unchanged.
(PyTorch stores the transpose, ``(out, in)``, and computes ``x @ W.T + b``.)

Checkpoints are ``.npz`` files read with ``allow_pickle=False``: loading one can never run
code, and an object array in the file is rejected.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from . import functional as F
from ._shapes import TensorIndexError, normalize_axis
from .tensor import Tensor, _clear_grads

__all__ = [
    "Module", "Linear", "Sequential", "ReLU", "Tanh", "CrossEntropyLoss",
    "StateDictError", "save", "load",
]


class StateDictError(ValueError):
    """A state (dict or ``.npz`` file) that does not fit a module: missing, unexpected or
    mis-shaped entries. The message lists every problem, not just the first."""


class Module:
    """Base class of layers and models.

    Subclasses set parameters and sub-modules as attributes in ``__init__`` (after calling
    ``super().__init__()``) and define ``forward``; calling the module calls ``forward``.
    """

    training: bool
    _parameters: dict[str, Tensor]  # this module's own parameters, by attribute name
    _modules: dict[str, Module]  # its direct sub-modules, by attribute name

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ---- registration ----------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"assign {name!r} after calling super().__init__() in "
                               f"{type(self).__name__}.__init__")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Tensor) and value.requires_grad:
            if not value.is_leaf:
                raise ValueError(f"parameter {name!r} must be a leaf tensor (made by the user, not by "
                                 "an op); use .detach().requires_grad_()")
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---- traversal -------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names ("" for self)."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def children(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, parameter) pairs, e.g. ``("0.weight", W)``; a tensor shared by two
        sub-modules is listed once."""
        seen: set[int] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Tensor]:
        """Every parameter (what an optimizer needs): ``SGD(model.parameters(), lr=0.1)``."""
        for _, p in self.named_parameters():
            yield p

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (``None`` by default, as PyTorch does; with
        ``set_to_none=False`` zeros written into the existing arrays, as ``optim``'s ``zero_grad``)."""
        _clear_grads(list(self.parameters()), set_to_none)

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and its sub-modules (no layer here behaves
        differently, but user layers such as dropout can read ``self.training``)."""
        for _, m in self.named_modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    # ---- state -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's array, keyed by dotted name."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy ``state`` into the parameters, in place (so optimizers keep working).

        The state must name exactly this module's parameters, with their shapes; otherwise a
        ``StateDictError`` lists every missing, unexpected and mis-shaped entry and nothing
        is changed. ``strict=False`` tolerates missing and unexpected names (shapes are still
        checked). Values are cast to each parameter's dtype.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict needs a mapping of parameter names to arrays (e.g. from "
                            f"state_dict()), got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        problems = []
        arrays: dict[str, np.ndarray] = {}
        for name in sorted(set(params) & set(state)):
            value = state[name]
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            if arr.dtype.kind not in "biuf":
                problems.append(f"{name}: dtype {arr.dtype} is not numeric")
            elif arr.shape != params[name].shape:
                problems.append(f"{name}: shape {arr.shape} in the state, {params[name].shape} in the model")
            else:
                arrays[name] = arr
        if strict:
            problems += [f"{name}: missing from the state" for name in missing]
            problems += [f"{name}: unexpected (the model has no such parameter)" for name in unexpected]
        if problems:
            raise StateDictError(f"cannot load the state into {type(self).__name__} "
                                 f"({len(problems)} problem{'s' if len(problems) > 1 else ''}):\n  "
                                 + "\n  ".join(problems))
        for name, arr in arrays.items():
            params[name].data[...] = arr
            params[name]._bump_version()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``state_dict()`` to an ``.npz`` file (see ``save``)."""
        save(self, path)

    def load(self, path: str | os.PathLike[str], strict: bool = True) -> Module:
        """Read parameters from an ``.npz`` file written by ``save`` (see ``load``)."""
        return load(self, path, strict=strict)

    def __repr__(self) -> str:
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

    def extra_repr(self) -> str:
        return ""


def _make_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class Linear(Module):
    """An affine layer: ``y = x @ weight + bias``, ``weight`` of shape (in_features, out_features).

    Initialisation (``rng`` is a ``numpy.random.Generator``, a seed, or None for fresh entropy):

    * default (``weight_std=None``), PyTorch's: every entry of ``weight`` and ``bias`` is drawn
      from U(-k, k) with k = 1/sqrt(in_features);
    * ``weight_std=s``: ``weight`` ~ N(0, s²) and ``bias`` = 0 -- the article's scheme with
      s = 1e-3.

    Backward (from the graph of ``x @ weight + bias``): dx = g·weightᵀ, dweight = xᵀ·g, dbias = Σ g
    over the batch axes.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng: np.random.Generator | int | None = None, weight_std: float | None = None,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        for label, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Linear: {label} must be a positive integer, got {n!r}")
        if weight_std is not None and not weight_std >= 0:
            raise ValueError(f"Linear: weight_std must be >= 0, got {weight_std!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be floating point, got {dtype}")
        gen = _make_rng(rng)
        self.in_features, self.out_features = int(in_features), int(out_features)
        if weight_std is None:
            k = 1.0 / np.sqrt(in_features)
            w = gen.uniform(-k, k, size=(in_features, out_features))
            b = gen.uniform(-k, k, size=out_features) if bias else None
        else:
            w = gen.normal(0.0, weight_std, size=(in_features, out_features))
            b = np.zeros(out_features) if bias else None
        self.weight = Tensor(w.astype(dtype), requires_grad=True)
        self.bias = Tensor(b.astype(dtype), requires_grad=True) if b is not None else None

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose "
                             f"last axis has {self.in_features} features, got shape {x.shape}")
        if x.dtype != self.weight.dtype and x.dtype.kind == "f":  # PyTorch refuses too: no silent upcast
            raise TypeError(f"Linear({self.in_features}, {self.out_features}): input dtype {x.dtype} "
                            f"differs from the weight's dtype {self.weight.dtype}; convert the input "
                            f"(x.astype({str(self.weight.dtype)!r})) or build the layer with "
                            f"dtype={str(x.dtype)!r}")
        out = x @ self.weight
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied one after another; their parameters are named "0.weight", "1.bias", ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i: int | slice) -> Module:
        """``seq[i]`` is the i-th module; ``seq[a:b]`` a Sequential of those (sharing them), as in PyTorch."""
        modules = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*modules[i])
        try:
            return modules[i]
        except IndexError:
            raise IndexError(f"index {i} is out of range for a Sequential of {len(modules)} "
                             "modules") from None

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ReLU(Module):
    """max(x, 0) elementwise; the gradient is 1 where x > 0 and 0 elsewhere (also at 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """tanh(x) elementwise; the gradient is 1 - tanh(x)²."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class CrossEntropyLoss(Module):
    """``loss = CrossEntropyLoss()(logits, target)``: softmax cross-entropy on raw scores.

    Takes the options of ``functional.cross_entropy`` (``weight``, ``ignore_index``,
    ``reduction``, ``label_smoothing``). ``fused=True`` (default) uses the single fused op
    ``functional.softmax_cross_entropy``, whose backward is the closed form (S - Y)/N;
    ``fused=False`` composes the loss from primitives (max-shift, exp, sum, log, indexing) and
    lets backward derive the same gradient op by op.
    """

    weight: Any

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0, fused: bool = True) -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"CrossEntropyLoss: reduction must be 'mean', 'sum' or 'none', "
                             f"got {reduction!r}")
        # a plain attribute, not a parameter: class weights are constants
        object.__setattr__(self, "weight", weight)
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.label_smoothing = label_smoothing
        self.fused = bool(fused)

    def forward(self, logits: Any, target: Any) -> Tensor:
        fn = F.softmax_cross_entropy if self.fused else F.cross_entropy
        return fn(logits, target, weight=self.weight, ignore_index=self.ignore_index,
                  reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, fused={self.fused}"


# ---- helper D: LayerNorm, Embedding, Flatten, Identity ---------------------------------------
class LayerNorm(Module):
    r"""Layer normalization over the last ``len(normalized_shape)`` axes, as ``torch.nn.LayerNorm``.

    .. math::
        y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \cdot \text{weight} + \text{bias}

    with μ and σ² the mean and the *biased* variance (divided by n, not n - 1, as PyTorch does)
    of each sample over the normalized axes. ``weight`` starts at ones and ``bias`` at zeros
    (both of shape ``normalized_shape``; absent with ``elementwise_affine=False``, and no
    ``bias`` with ``bias=False``).

    A composite of existing ops (mean, subtraction, ``** 0.5``, division), so its gradient,
    and its second derivative, are those of the ops it is made of.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...] | list[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *, dtype: Any = np.float64) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
            else tuple(normalized_shape)
        if not shape or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
                            for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be a positive integer or a non-empty "
                             f"tuple of them, got {normalized_shape!r}")
        if not eps >= 0:
            raise ValueError(f"LayerNorm: eps must be >= 0, got {eps!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"LayerNorm: dtype must be floating point, got {dtype}")
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        self.weight = Tensor(np.ones(self.normalized_shape, dtype), requires_grad=True) \
            if elementwise_affine else None
        self.bias = Tensor(np.zeros(self.normalized_shape, dtype), requires_grad=True) \
            if elementwise_affine and bias else None

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            raise ValueError(f"LayerNorm({self.normalized_shape}) normalizes the last {k} axes, which "
                             f"must have shape {self.normalized_shape}; got an input of shape {x.shape}")
        axes = tuple(range(x.ndim - k, x.ndim))
        centered = x - x.mean(axis=axes, keepdims=True)
        var = (centered * centered).mean(axis=axes, keepdims=True)  # biased, as PyTorch
        y = centered / (var + self.eps) ** 0.5
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Embedding(Module):
    """A lookup table: ``Embedding(n, d)(idx)`` is ``weight[idx]``, of shape ``idx.shape + (d,)``.

    ``weight`` has shape (num_embeddings, embedding_dim) and starts from N(0, 1), as in PyTorch
    (``rng``: a ``numpy.random.Generator``, a seed, or None). Indices must be integers in
    [0, num_embeddings): a float index raises a TypeError and one out of range an IndexError
    (``TensorIndexError``), naming the offending value.

    Backward: row i of ``weight`` receives the sum of the upstream gradients of every position
    that looked up i. ``padding_idx``: that row starts at zeros and never receives a gradient
    (its value is still looked up as it is), as in PyTorch; a negative ``padding_idx`` counts
    from the end.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
                 rng: np.random.Generator | int | None = None, dtype: Any = np.float64,
                 _weight: Any = None) -> None:
        super().__init__()
        for label, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Embedding: {label} must be a positive integer, got {n!r}")
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
                    or not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be an integer in [-{num_embeddings}, "
                                 f"{num_embeddings}), got {padding_idx!r}")
            padding_idx = int(padding_idx) % num_embeddings
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Embedding: dtype must be floating point, got {dtype}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_idx
        if _weight is None:
            w = _make_rng(rng).standard_normal((num_embeddings, embedding_dim)).astype(dtype)
            if padding_idx is not None:
                w[padding_idx] = 0
            self.weight = Tensor(w, requires_grad=True)
        else:
            self.weight = _weight

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding whose table is ``embeddings`` (2-D, copied); ``freeze=True`` makes it a
        constant (no parameter), as in PyTorch."""
        w = np.array(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if w.ndim != 2 or w.dtype.kind != "f":
            raise ValueError(f"Embedding.from_pretrained needs a 2-D floating-point table, got "
                             f"{w.dtype} of shape {w.shape}")
        return cls(w.shape[0], w.shape[1], padding_idx, dtype=w.dtype,
                   _weight=Tensor(w, requires_grad=not freeze))

    def forward(self, indices: Any) -> Tensor:
        idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers (e.g. Tensor(i, dtype=np.int64)), "
                            f"got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = idx[(idx < 0) | (idx >= self.num_embeddings)].flat[0]
            raise TensorIndexError(f"Embedding: index {bad} is out of range for a table of "
                                   f"{self.num_embeddings} rows (valid: 0 to {self.num_embeddings - 1})")
        out = self.weight[idx]
        if self.padding_idx is not None and self.weight.requires_grad:
            # the padding row's value is used, but as a constant: it gets no gradient
            pad = (idx == self.padding_idx)[..., None]
            if pad.any():
                out = out * ~pad + Tensor(self.weight.data[idx]) * pad
        return out

    def extra_repr(self) -> str:
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class Flatten(Module):
    """Merge axes ``start_dim`` to ``end_dim`` (inclusive, negative counts from the end) into one,
    as ``torch.nn.Flatten``: by default every axis but the first (the batch). Backward: the
    gradient reshaped back."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        # a 0-d tensor flattens as if it were 1-d, as in PyTorch
        start = normalize_axis(self.start_dim, x.ndim, "Flatten: start_dim", x.shape)
        end = normalize_axis(self.end_dim, x.ndim, "Flatten: end_dim", x.shape)
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} "
                             f"for a tensor of shape {x.shape}")
        shape = x.shape if x.ndim else (1,)
        return x.reshape(shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged (arguments to the constructor are ignored, as in PyTorch):
    a placeholder, e.g. to switch a layer off. Backward: g passes through unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


__all__ += ["LayerNorm", "Embedding", "Flatten", "Identity", "init"]
# ---- end of helper D's layers ----------------------------------------------------------------




# ---- more activations, and dropout -------------------------------------------------------
__all__ += ["Sigmoid", "GELU", "SiLU", "Dropout"]


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ) elementwise; the gradient is σ(x)(1 − σ(x))."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class GELU(Module):
    """x·Φ(x) elementwise (``functional.gelu``); ``approximate`` is "none" (erf) or "tanh".
    Backward: Φ(x) + x·φ(x) times g (the derivative of the chosen form, from the graph)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x) elementwise (swish); the gradient is σ(x)(1 + x(1 − σ(x)))."""

    def forward(self, x: Any) -> Tensor:
        return F.silu(x)


class Dropout(Module):
    """Inverted dropout (``functional.dropout``): in training mode each element is zeroed with
    probability ``p`` and the others scaled by 1/(1 − p); after ``eval()`` it is the identity.

    ``generator``: a ``numpy.random.Generator`` or a seed, drawn from on every call (None: fresh
    entropy), so a seeded Dropout gives the same sequence of masks on every run.

    Backward: g times the same mask and scale 1/(1 − p) in training; g unchanged after ``eval()``.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 generator: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
        if inplace:
            raise ValueError("Dropout: inplace=True is not supported; the layer returns a new tensor")
        self.p = float(p)
        self._generator = _make_rng(generator)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, training=self.training, generator=self._generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"

# ---- checkpoints -------------------------------------------------------------------------
def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module.state_dict()`` to ``path`` as an uncompressed ``.npz`` (one array per
    parameter, keyed by dotted name). NumPy appends ``.npz`` if the name lacks it."""
    np.savez(path, **module.state_dict())


def load(module: Module, path: str | os.PathLike[str], strict: bool = True) -> Module:
    """Load parameters saved by ``save`` into ``module`` (in place) and return it.

    The file is opened with ``allow_pickle=False``, so it cannot run code; an object array in
    it, or a state with missing, unexpected or mis-shaped entries, raises ``StateDictError``.
    A ``path`` without the ``.npz`` that ``save`` added is found too.
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.exists(path + ".npz"):
        path += ".npz"  # save() wrote "name.npz" when given "name" (NumPy appends the suffix)
    where = repr(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:  # not a NumPy file, or pickled data
        raise StateDictError(f"cannot read checkpoint {where}: {e}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise StateDictError(f"{where} holds a single array, not an .npz archive of named parameters")
    state = {}
    with archive:
        for name in archive.files:
            try:
                state[name] = archive[name]
            except ValueError as e:  # NumPy refuses object arrays without pickle
                raise StateDictError(f"{where}: entry {name!r} cannot be loaded without pickle ({e}); "
                                     "checkpoints hold numeric arrays only") from None
    module.load_state_dict(state, strict=strict)
    return module


from . import init  # noqa: E402  (nn.init, as in PyTorch; init.py does not import nn)

# nn is a module, not a package: the alias makes `from tinygrad_softmax.nn.init import ...` work
sys.modules[f"{__name__}.init"] = init
