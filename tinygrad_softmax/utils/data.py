"""Datasets and mini-batches, as ``torch.utils.data``: ``TensorDataset`` and ``DataLoader``.

::

    ds = TensorDataset(Tensor(X), Tensor(y))
    loader = DataLoader(ds, batch_size=32, shuffle=True, generator=0)
    for epoch in range(10):
        for xb, yb in loader:          # a new order every epoch
            ...

A batch is what PyTorch's default collation makes: for samples that are tuples (as a
``TensorDataset``'s are), a *list* with one Tensor per field, each the samples stacked along a
new first axis. Batches are new constant tensors (copies of the data: no graph links back to
the dataset's tensors). For a ``TensorDataset`` the loader indexes each tensor once per batch
with the batch's indices instead of stacking samples one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]


class Dataset:
    """Base class of map-style datasets: define ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples made of matching rows of tensors: ``ds[i] == (t0[i], t1[i], ...)``.

    Every tensor (arrays and lists are wrapped as Tensors) must have the same first axis, the
    sample axis; otherwise a ValueError lists their shapes.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors: tuple[Tensor, ...] = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        if any(t.ndim == 0 for t in self.tensors) or len({len(t) for t in self.tensors}) != 1:
            shapes = ", ".join(str(t.shape) for t in self.tensors)
            raise ValueError(f"TensorDataset: every tensor needs the same size along the first axis "
                             f"(the samples), got shapes {shapes}")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``: Tensors and
    arrays are stacked along a new first axis (into a Tensor), Python floats become a float64
    Tensor and ints an int64 one, tuples and lists are collated field by field (into a list),
    dicts key by key, strings are kept as a list."""
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray, np.generic)):
        arrays = [x.data if isinstance(x, Tensor) else np.asarray(x) for x in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: cannot stack samples of different shapes {sorted(shapes)}")
        return Tensor(np.stack(arrays))
    if isinstance(elem, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        if len({len(s) for s in batch}) != 1:
            raise ValueError("default_collate: every sample must have the same number of fields")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(elem).__name__}; pass "
                    "collate_fn= to DataLoader")


class DataLoader:
    """Iterate over a dataset in mini-batches, as ``torch.utils.data.DataLoader``.

    ``batch_size`` samples per batch (the last one smaller unless ``drop_last=True``);
    ``shuffle=True`` draws a new order at the start of every pass, from ``generator`` (a
    ``numpy.random.Generator`` or a seed: the same seed gives the same sequence of epochs;
    None: fresh entropy). ``batch_size=None`` yields the samples one by one, unbatched.
    ``len(loader)`` is the number of batches per pass. ``collate_fn`` replaces
    ``default_collate`` (it gets the list of samples of a batch).
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False, *,
                 drop_last: bool = False, generator: np.random.Generator | int | None = None,
                 collate_fn: Callable[[list[Any]], Any] | None = None) -> None:
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader needs a dataset with __getitem__ and __len__ (e.g. a "
                            f"TensorDataset), got {type(dataset).__name__}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                       or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, "
                             f"got {batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None (no batching) cannot be combined with "
                             "drop_last=True")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator if isinstance(generator, np.random.Generator) \
            else np.random.default_rng(generator)
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        return self.generator.permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for k in range(len(self)):
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            if fast:  # one indexing per tensor instead of stacking samples
                yield [Tensor(t.data[idx]) for t in self.dataset.tensors]
            else:
                samples = [self.dataset[int(i)] for i in idx]
                yield (self.collate_fn or default_collate)(samples)

    def __repr__(self) -> str:
        return (f"DataLoader(batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, {len(self)} batches)")
