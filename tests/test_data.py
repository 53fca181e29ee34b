"""utils.data: TensorDataset and DataLoader in PyTorch's way (batch order, sizes, len, shuffling)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_softmax import Tensor
from tinygrad_softmax.utils.data import DataLoader, Dataset, TensorDataset, default_collate

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10) * 10


def test_tensor_dataset_indexing_returns_a_tuple_of_rows():
    ds = TensorDataset(Tensor(X), Tensor(Y))
    assert len(ds) == 10
    x3, y3 = ds[3]
    np.testing.assert_array_equal(x3.data, X[3])
    assert y3.item() == 30
    assert isinstance(ds[0], tuple) and len(ds[0]) == 2
    assert TensorDataset(X).tensors[0].shape == (10, 2)  # arrays are wrapped as Tensors


def test_tensor_dataset_needs_matching_first_axes():
    with pytest.raises(ValueError, match=r"same size along the first axis.*\(10, 2\), \(9,\)"):
        TensorDataset(Tensor(X), Tensor(Y[:9]))
    with pytest.raises(ValueError, match="first axis"):
        TensorDataset(Tensor(1.0))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


@pytest.mark.parametrize("batch_size, drop_last, sizes", [(3, False, [3, 3, 3, 1]), (3, True, [3, 3, 3]),
                                                          (5, False, [5, 5]), (5, True, [5, 5]),
                                                          (12, False, [10]), (12, True, [])])
def test_batches_in_order_with_pytorchs_sizes_and_len(batch_size, drop_last, sizes):
    loader = DataLoader(TensorDataset(Tensor(X), Tensor(Y)), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes) == len(batches)
    assert [len(yb) for _, yb in batches] == sizes
    seen = np.concatenate([yb.data for _, yb in batches]) if batches else np.array([], int)
    np.testing.assert_array_equal(seen, Y[:sum(sizes)])  # no shuffle: the dataset's order
    for xb, yb in batches:
        assert xb.shape == (len(yb), 2) and xb.dtype == np.float64 and yb.dtype == np.int64
        np.testing.assert_array_equal(xb.data, X[yb.data // 10])  # rows stay paired


def test_shuffle_is_a_permutation_new_each_epoch_and_reproducible_with_a_seed():
    ds = TensorDataset(Tensor(X), Tensor(Y))

    def epochs(loader, n=3):
        return [np.concatenate([yb.data for _, yb in loader]) for _ in range(n)]

    first = epochs(DataLoader(ds, batch_size=4, shuffle=True, generator=0))
    for order in first:
        np.testing.assert_array_equal(np.sort(order), Y)
    assert not np.array_equal(first[0], first[1])  # reshuffled each pass
    again = epochs(DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(0)))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    # the order is the generator's permutation, the oracle being NumPy's own permutation
    rng = np.random.default_rng(5)
    expected = Y[rng.permutation(10)]
    np.testing.assert_array_equal(epochs(DataLoader(ds, batch_size=3, shuffle=True, generator=5), 1)[0],
                                  expected)


def test_batches_are_constants_even_from_tensors_that_require_grad():
    ds = TensorDataset(Tensor(X, requires_grad=True), Tensor(Y))
    xb, _ = next(iter(DataLoader(ds, batch_size=4)))
    assert not xb.requires_grad and xb.is_leaf


class Squares(Dataset):
    """A generic dataset: samples are (array, int, float) tuples."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i, float(i) / 2


def test_generic_datasets_are_collated_as_pytorchs_default_collate():
    loader = DataLoader(Squares(), batch_size=3)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [3, 3, 1]
    feats, ints, floats = batches[1]
    assert isinstance(batches[1], list)  # tuples of fields come back as a list, as in PyTorch
    np.testing.assert_array_equal(feats.data, np.array([[3, 9], [4, 16], [5, 25]], dtype=np.float32))
    assert feats.dtype == np.float32 and ints.dtype == np.int64 and floats.dtype == np.float64
    assert ints.tolist() == [3, 4, 5] and floats.tolist() == [1.5, 2.0, 2.5]


def test_default_collate_dicts_strings_and_errors():
    batch = default_collate([{"x": np.ones(2), "name": "a"}, {"x": np.zeros(2), "name": "b"}])
    assert batch["name"] == ["a", "b"] and batch["x"].shape == (2, 2)
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.ones(2), np.ones(3)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])


def test_collate_fn_and_unbatched_loading():
    ds = TensorDataset(Tensor(X), Tensor(Y))
    sums = list(DataLoader(ds, batch_size=4, collate_fn=lambda samples: len(samples)))
    assert sums == [4, 4, 2]
    single = list(DataLoader(ds, batch_size=None))
    assert len(single) == 10 and single[2][1].item() == 20 and single[2][0].shape == (2,)


def test_loader_argument_errors():
    ds = TensorDataset(Tensor(X))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=2.0)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(TypeError, match="__getitem__ and __len__"):
        DataLoader(42)
    with pytest.raises(TypeError):
        DataLoader(ds, 2, True, None)  # PyTorch's 4th positional is `sampler`: keyword-only here


def test_import_paths_as_in_pytorch():
    import tinygrad_softmax as tg

    assert tg.utils.data.DataLoader is DataLoader


@given(n=st.integers(1, 30), batch_size=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_every_pass_covers_the_data_once_in_pytorchs_batch_sizes(n, batch_size, drop_last, shuffle, seed):
    ids = np.arange(n)
    loader = DataLoader(TensorDataset(Tensor(ids * 2.0), Tensor(ids)), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, generator=seed)
    expected_len = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == expected_len
    batches = list(loader)
    assert len(batches) == expected_len
    assert all(len(yb) == batch_size for _, yb in batches[:-1])  # only the last one can be short
    seen = np.concatenate([yb.data for _, yb in batches]) if batches else np.array([], dtype=np.int64)
    assert len(seen) == (expected_len * batch_size if drop_last else n)
    assert len(set(seen.tolist())) == len(seen)  # no sample twice
    if not shuffle:
        np.testing.assert_array_equal(seen, ids[:len(seen)])
    for xb, yb in batches:
        np.testing.assert_array_equal(xb.data, yb.data * 2.0)
