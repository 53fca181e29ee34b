"""The article's classifier, trained by ``backward()``, and a network with hidden layers.

``Softmax`` is the linear softmax classifier of the article (and of CS231n's first
assignment), with the same interface, so the article's code runs unchanged after
``from tinygrad_softmax.models import Softmax``::

    softmax = Softmax()
    softmax.train(X, y, learning_rate=1e-2, reg=0.1, num_iters=1000)
    np.mean(softmax.predict(X) == y)

What differs is inside: the gradient is never written by hand. Each iteration builds the
loss

    L(W, b) = mean_n[ -log S_{y_n}(x_n W + b) ] + ½ λ Σ W²        (λ = ``reg``)

as a graph of Tensor operations, calls ``L.backward()``, and lets ``optim.SGD`` apply the
article's update W ← W - α dL/dW, b ← b - α dL/db. The test suite checks that this gives,
step for step, the weights of the article's closed form dW = Xᵀ(S - Y)/N + λW.

``MLP`` puts hidden layers (ReLU or tanh) in front of the same loss and training loop: the
"more exotic decision boundaries" of the article's last paragraph.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import nn
from ._grad_mode import no_grad
from .optim import SGD, Adam, Optimizer
from .tensor import Tensor

__all__ = ["Classifier", "Softmax", "SoftmaxClassifier", "MLP"]

_PREDICT_BATCH = 65536  # rows per forward pass in predict: a dense mesh grid can have millions


class Classifier:
    """Training loop, early stopping, prediction and history shared by the models.

    Subclasses build ``self.net`` (an ``nn.Module`` mapping (N, D) inputs to (N, C) scores)
    in ``_build`` and say which weights the L2 penalty covers in ``_penalized``.

    After ``train`` or ``train_early_stopping``, ``history`` holds one entry per iteration:
    ``history["loss"]`` (the regularised training loss), ``history["train_acc"]`` (training
    accuracy) and, with early stopping, ``history["val_acc"]`` -- all measured with the
    weights *before* that iteration's update.
    """

    net: nn.Module | None

    def __init__(self, seed: int | np.random.Generator | None = None, fused: bool = True,
                 optimizer: str = "sgd", dtype: Any = np.float64) -> None:
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' (the article's plain gradient descent) or 'adam', "
                             f"got {optimizer!r}")
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype must be floating point, got {self.dtype}")
        self.seed = seed
        self.fused = bool(fused)
        self.optimizer = optimizer
        self.loss_fn = nn.CrossEntropyLoss(fused=self.fused)
        self.net = None
        self.n_features: int | None = None
        self.n_classes: int | None = None
        self.history: dict[str, list[float]] = {"loss": [], "train_acc": [], "val_acc": []}
        self.best_iteration: int | None = None
        self.best_val_acc: float | None = None

    # ---- to be provided by subclasses --------------------------------------------------
    def _build(self, n_features: int, n_classes: int, rng: np.random.Generator) -> nn.Module:
        raise NotImplementedError

    def _penalized(self) -> list[Tensor]:
        raise NotImplementedError

    # ---- inputs ----------------------------------------------------------------------
    def _check_X(self, X: Any, name: str = "X") -> np.ndarray:
        X = np.asarray(X.data if isinstance(X, Tensor) else X)
        if X.ndim != 2 or X.dtype.kind not in "biuf":
            raise ValueError(f"{name} must be a 2-D numeric array (n_samples, n_features), got "
                             f"{X.dtype} array of shape {X.shape}")
        if self.n_features is not None and X.shape[1] != self.n_features:
            raise ValueError(f"{name} has {X.shape[1]} features, but the model was built for "
                             f"{self.n_features}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name} contains NaN or infinite values")
        return X.astype(self.dtype, copy=False)

    def _check_y(self, y: Any, n: int, name: str = "y") -> np.ndarray:
        y = np.asarray(y.data if isinstance(y, Tensor) else y)
        if y.shape != (n,):
            raise ValueError(f"{name} must be a 1-D array of {n} labels (one per row of the inputs), "
                             f"got shape {y.shape}")
        if y.dtype.kind not in "iu":
            if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
                y = y.astype(np.int64)  # whole-number floats are fine labels
            else:
                raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")
        if n and y.min() < 0:
            raise ValueError(f"{name} has a negative label {int(y.min())}; labels must be 0 .. C-1")
        if n and self.n_classes is not None and y.max() >= self.n_classes:
            raise ValueError(f"{name} has label {int(y.max())}, but the model has {self.n_classes} "
                             f"classes (labels 0 .. {self.n_classes - 1})")
        return y.astype(np.int64, copy=False)

    def _ensure_built(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.net is None:
            if len(y) == 0:
                raise ValueError("cannot train on an empty dataset")
            # as in CS231n: the number of classes is the largest label + 1
            self.build(X.shape[1], int(y.max()) + 1)

    def build(self, n_features: int, n_classes: int) -> Classifier:
        """Create and initialise the weights now (``train`` does it on first use, from the
        data); needed before ``load`` or ``load_state_dict`` on a fresh model."""
        rng = self.seed if isinstance(self.seed, np.random.Generator) else np.random.default_rng(self.seed)
        self.n_features, self.n_classes = int(n_features), int(n_classes)
        self.net = self._build(self.n_features, self.n_classes, rng)
        return self

    def _require_net(self) -> nn.Module:
        if self.net is None:
            raise RuntimeError(f"this {type(self).__name__} has no weights yet: call train(...) "
                               "(or build(n_features, n_classes)) first")
        return self.net

    # ---- the loss --------------------------------------------------------------------
    def scores(self, X: Any) -> Tensor:
        """The class scores ``f = net(X)`` as a graph Tensor of shape (N, C)."""
        net = self._require_net()
        return net(Tensor(self._check_X(X)))

    def _loss(self, Xt: Tensor, y: np.ndarray, reg: float) -> tuple[Tensor, Tensor]:
        logits = self._require_net()(Xt)
        loss = self.loss_fn(logits, y)
        if reg:
            half_reg = 0.5 * reg
            for W in self._penalized():
                loss = loss + half_reg * (W * W).sum()
        return loss, logits

    def loss(self, X: Any, y: Any, reg: float = 0.0) -> Tensor:
        """The training objective as a scalar graph Tensor:
        mean cross-entropy + ½·reg·Σ W² over the weight matrices (not the biases)."""
        X = self._check_X(X)
        return self._loss(Tensor(X), self._check_y(y, len(X)), float(reg))[0]

    # ---- training --------------------------------------------------------------------
    def _make_optimizer(self, learning_rate: float) -> Optimizer:
        params = list(self._require_net().parameters())
        return SGD(params, lr=learning_rate) if self.optimizer == "sgd" else Adam(params, lr=learning_rate)

    @staticmethod
    def _check_hyper(learning_rate: float, reg: float) -> None:
        for name, v in (("learning_rate", learning_rate), ("reg", reg)):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")

    @staticmethod
    def _check_count(name: str, n: Any, minimum: int) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
        return int(n)

    def _step(self, Xt: Tensor, y: np.ndarray, reg: float, opt: Optimizer) -> tuple[float, float]:
        """One gradient-descent iteration; returns (loss, training accuracy) before the update."""
        opt.zero_grad()
        loss, logits = self._loss(Xt, y, reg)
        acc = float(np.mean(np.argmax(logits.data, axis=1) == y))
        loss.backward()
        opt.step()
        return float(loss.data), acc

    def train(self, X: Any, y: Any, learning_rate: float = 1e-3, reg: float = 1e-5, num_iters: int = 100,
              verbose: bool = False, print_every: int = 100) -> list[float]:
        """Full-batch gradient descent for ``num_iters`` iterations; returns the loss history.

        The weights are initialised on the first call (from ``seed``); later calls continue
        from the current weights. ``verbose`` prints the loss and accuracy every
        ``print_every`` iterations.
        """
        self._check_hyper(learning_rate, reg)
        num_iters = self._check_count("num_iters", num_iters, 0)
        print_every = self._check_count("print_every", print_every, 1)
        X = self._check_X(X)
        y = self._check_y(y, len(X))
        self._ensure_built(X, y)
        self._check_y(y, len(X))  # now against the model's number of classes
        Xt, opt, reg = Tensor(X), self._make_optimizer(learning_rate), float(reg)
        self.history = {"loss": [], "train_acc": [], "val_acc": []}
        losses, accs = self.history["loss"], self.history["train_acc"]
        for it in range(num_iters):
            loss, acc = self._step(Xt, y, reg, opt)
            losses.append(loss)
            accs.append(acc)
            if verbose and (it % print_every == 0 or it == num_iters - 1):
                print(f"iteration {it + 1:>5}/{num_iters}: loss {loss:.6f}  training accuracy {acc:.3f}",
                      file=sys.stdout, flush=True)
        return losses

    def train_early_stopping(self, X_train: Any, y_train: Any, X_val: Any, y_val: Any,
                             learning_rate: float = 1e-3, reg: float = 1e-5, early_stopping_rounds: int = 200,
                             max_iters: int = 100_000, verbose: bool = False,
                             print_every: int = 100) -> list[float]:
        """Gradient descent on the training set until the validation accuracy has not improved
        for ``early_stopping_rounds`` iterations in a row (or ``max_iters`` iterations ran);
        then the weights with the best validation accuracy are put back.

        At each iteration the current weights are scored on the validation set before they
        are updated; a strictly better accuracy saves a copy of them. ``best_iteration`` (how
        many updates the restored weights had received) and ``best_val_acc`` record the
        winner. Returns the loss history.
        """
        self._check_hyper(learning_rate, reg)
        rounds = self._check_count("early_stopping_rounds", early_stopping_rounds, 1)
        max_iters = self._check_count("max_iters", max_iters, 0)
        print_every = self._check_count("print_every", print_every, 1)
        X_train = self._check_X(X_train, "X_train")
        y_train = self._check_y(y_train, len(X_train), "y_train")
        self._ensure_built(X_train, y_train)
        self._check_y(y_train, len(X_train), "y_train")
        X_val = self._check_X(X_val, "X_val")
        y_val = self._check_y(y_val, len(X_val), "y_val")
        if len(y_val) == 0:
            raise ValueError("early stopping needs a non-empty validation set")
        net = self._require_net()
        Xt, Xv, opt, reg = Tensor(X_train), Tensor(X_val), self._make_optimizer(learning_rate), float(reg)
        self.history = {"loss": [], "train_acc": [], "val_acc": []}
        losses, accs, val_accs = self.history["loss"], self.history["train_acc"], self.history["val_acc"]
        best_acc, best_state, best_it, since_best = -1.0, net.state_dict(), 0, 0
        for it in range(max_iters + 1):
            with no_grad():
                val_acc = float(np.mean(np.argmax(net(Xv).data, axis=1) == y_val))
            if val_acc > best_acc:
                best_acc, best_state, best_it, since_best = val_acc, net.state_dict(), it, 0
            else:
                since_best += 1
            if since_best >= rounds or it == max_iters:
                break
            loss, acc = self._step(Xt, y_train, reg, opt)
            losses.append(loss)
            accs.append(acc)
            val_accs.append(val_acc)
            if verbose and it % print_every == 0:
                print(f"iteration {it + 1:>5}: loss {loss:.6f}  training accuracy {acc:.3f}  "
                      f"validation accuracy {val_acc:.3f} (best {best_acc:.3f} at {best_it})",
                      file=sys.stdout, flush=True)
        net.load_state_dict(best_state)
        self.best_iteration, self.best_val_acc = best_it, best_acc
        if verbose:
            print(f"stopped after {len(losses)} iterations; restored the weights of iteration {best_it} "
                  f"(validation accuracy {best_acc:.3f})", file=sys.stdout, flush=True)
        return losses

    # ---- prediction ------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax probabilities S of shape (N, C); each row sums to 1."""
        X = self._check_X(X)
        net = self._require_net()
        out = np.empty((len(X), self.n_classes or 0), dtype=self.dtype)
        with no_grad():
            for start in range(0, len(X), _PREDICT_BATCH):
                s = net(Tensor(X[start:start + _PREDICT_BATCH])).data
                e = np.exp(s - s.max(axis=1, keepdims=True))  # shift by the max: no overflow
                out[start:start + _PREDICT_BATCH] = e / e.sum(axis=1, keepdims=True)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row (argmax of the scores), as int64."""
        X = self._check_X(X)
        net = self._require_net()
        out = np.empty(len(X), dtype=np.int64)
        with no_grad():
            for start in range(0, len(X), _PREDICT_BATCH):
                scores = net(Tensor(X[start:start + _PREDICT_BATCH])).data
                out[start:start + _PREDICT_BATCH] = np.argmax(scores, axis=1)
        return out

    def score(self, X: Any, y: Any) -> float:
        """Accuracy: the fraction of rows whose predicted class equals ``y``."""
        pred = self.predict(X)
        return float(np.mean(pred == self._check_y(y, len(pred))))

    # ---- state -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        return self._require_net().state_dict()

    def load_state_dict(self, state: Any, strict: bool = True) -> None:
        self._require_net().load_state_dict(state, strict=strict)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the weights to an ``.npz`` file (``nn.save``)."""
        nn.save(self._require_net(), path)

    def load(self, path: str | os.PathLike[str]) -> Classifier:
        """Read weights written by ``save`` (``nn.load``: no pickle, every entry checked)."""
        nn.load(self._require_net(), path)
        return self


class Softmax(Classifier):
    """The article's linear softmax classifier: scores f = X W + b, W of shape
    (n_features, n_classes).

    Initialisation, on the first ``train`` call (or ``build``): W ~ N(0, 1e-3²) drawn as
    ``numpy.random.default_rng(seed).normal(0.0, 1e-3, (n_features, n_classes))``, b = 0.
    ``fused`` picks the loss: the fused softmax-cross-entropy op (default) or the one composed
    from primitives; both give the same gradients. ``optimizer="sgd"`` is the article's plain
    gradient descent.
    """

    def __init__(self, seed: int | np.random.Generator | None = None, fused: bool = True,
                 optimizer: str = "sgd", dtype: Any = np.float64, std: float = 1e-3) -> None:
        super().__init__(seed=seed, fused=fused, optimizer=optimizer, dtype=dtype)
        if isinstance(std, bool) or not isinstance(std, (int, float, np.integer, np.floating)) \
                or not np.isfinite(std) or std < 0:
            raise ValueError(f"std (of the Gaussian initialisation) must be a finite number >= 0, "
                             f"got {std!r}")
        self.std = float(std)

    def _build(self, n_features: int, n_classes: int, rng: np.random.Generator) -> nn.Module:
        return nn.Linear(n_features, n_classes, rng=rng, weight_std=self.std, dtype=self.dtype)

    def _penalized(self) -> list[Tensor]:
        return [self._linear.weight]

    @property
    def _linear(self) -> nn.Linear:
        net = self._require_net()
        assert isinstance(net, nn.Linear)
        return net

    @property
    def W(self) -> np.ndarray | None:  # noqa: N802 - the article's name
        """The weight matrix (n_features, n_classes) as an ndarray (None before training)."""
        return None if self.net is None else self._linear.weight.data

    @property
    def b(self) -> np.ndarray | None:
        """The bias vector (n_classes,) as an ndarray (None before training)."""
        return None if self.net is None else self._linear.bias.data  # type: ignore[union-attr]

    def loss_and_gradients(self, X: Any, y: Any, reg: float = 0.0) -> tuple[float, np.ndarray, np.ndarray]:
        """(L, dL/dW, dL/db) at the current weights, the gradients found by ``backward()``
        (compare with ``reference.loss_and_gradients``, the article's closed form)."""
        lin = self._linear
        lin.zero_grad()
        loss = self.loss(X, y, reg)
        loss.backward()
        assert lin.weight.grad is not None and lin.bias is not None and lin.bias.grad is not None
        dW, db = lin.weight.grad.data.copy(), lin.bias.grad.data.copy()
        lin.zero_grad()
        return float(loss.data), dW, db


SoftmaxClassifier = Softmax


class MLP(Classifier):
    """A softmax classifier with hidden layers: Linear → activation → ... → Linear → scores.

    ``hidden_sizes=(100,)`` (or just ``100``) gives the article's "single hidden layer neural
    network".
    ``activation`` is "relu" or "tanh". Layers use ``nn.Linear``'s default (PyTorch's)
    initialisation, drawn in order from one generator seeded with ``seed``. ``reg`` penalises
    every weight matrix (not the biases). ``optimizer="adam"`` trains much faster than plain
    gradient descent on curved boundaries.
    """

    def __init__(self, hidden_sizes: int | Sequence[int] = (100,), activation: str = "relu",
                 seed: int | np.random.Generator | None = None, fused: bool = True, optimizer: str = "adam",
                 dtype: Any = np.float64) -> None:
        super().__init__(seed=seed, fused=fused, optimizer=optimizer, dtype=dtype)
        if activation not in ("relu", "tanh"):
            raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
        widths: Any = hidden_sizes
        if isinstance(widths, (int, np.integer)) and not isinstance(widths, bool):
            widths = (int(widths),)  # one hidden layer of that width
        try:
            sizes = tuple(widths)
        except TypeError:
            raise TypeError(f"hidden_sizes must be an int or a sequence of ints (one width per hidden "
                            f"layer), got {hidden_sizes!r}") from None
        for n in sizes:
            self._check_count("hidden_sizes entries", n, 1)
        self.hidden_sizes = sizes
        self.activation = activation

    def _build(self, n_features: int, n_classes: int, rng: np.random.Generator) -> nn.Module:
        layers: list[nn.Module] = []
        width = n_features
        for n in self.hidden_sizes:
            layers.append(nn.Linear(width, n, rng=rng, dtype=self.dtype))
            layers.append(nn.ReLU() if self.activation == "relu" else nn.Tanh())
            width = n
        layers.append(nn.Linear(width, n_classes, rng=rng, dtype=self.dtype))
        return nn.Sequential(*layers)

    def _penalized(self) -> list[Tensor]:
        return [m.weight for m in self._require_net() if isinstance(m, nn.Linear)]  # type: ignore[attr-defined]
