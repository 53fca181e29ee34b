"""nn.LayerNorm, nn.Embedding, nn.Flatten, nn.Identity: values against NumPy, gradients against
finite differences (float64), and the errors they raise."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_softmax import Tensor, TensorIndexError, gradcheck, gradgradcheck, nn
from tinygrad_softmax.testing import arrays, assert_grads_match, shapes

RNG = np.random.default_rng(2024)


def numpy_layer_norm(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)  # biased, as torch.nn.LayerNorm
    y = (x - mu) / np.sqrt(var + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def layer_norm_with(shape, w, b, eps=1e-5):
    """A LayerNorm whose weight and bias are the given tensors (so gradcheck can vary them)."""
    ln = nn.LayerNorm(shape, eps=eps)
    object.__setattr__(ln, "weight", w)
    object.__setattr__(ln, "bias", b)
    return ln


# ---- LayerNorm ----------------------------------------------------------------------------
def test_layer_norm_starts_as_pure_normalization_and_registers_its_parameters():
    ln = nn.LayerNorm(4)
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(ln.weight.data, np.ones(4))
    np.testing.assert_array_equal(ln.bias.data, np.zeros(4))
    x = RNG.normal(size=(5, 4))
    np.testing.assert_allclose(ln(Tensor(x)).data, numpy_layer_norm(x, 1), rtol=1e-12, atol=1e-12)
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
    assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]


@settings(max_examples=30)
@given(st.data())
def test_layer_norm_matches_numpy_over_the_last_axes(data):
    x = data.draw(arrays(shape=st.tuples(*[st.integers(1, 4)] * data.draw(st.integers(1, 3)))))
    k = data.draw(st.integers(1, x.ndim))
    shape = x.shape[x.ndim - k:]
    w, b = data.draw(arrays(shape=shape)), data.draw(arrays(shape=shape))
    eps = data.draw(st.sampled_from([1e-5, 1e-3, 0.5]))
    out = layer_norm_with(shape, Tensor(w), Tensor(b), eps)(Tensor(x)).data
    np.testing.assert_allclose(out, numpy_layer_norm(x, k, w, b, eps), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("x_shape, norm_shape", [((3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5,), 5),
                                                 ((2, 1, 3), (3,))])
def test_layer_norm_gradients_first_and_second_order(x_shape, norm_shape):
    shape = (norm_shape,) if isinstance(norm_shape, int) else norm_shape
    x, w, b = RNG.normal(size=x_shape), RNG.normal(size=shape), RNG.normal(size=shape)

    def fn(x, w, b):
        return layer_norm_with(norm_shape, w, b, eps=1e-3)(x)

    gradcheck(fn, [x, w, b])
    gradgradcheck(fn, [x, w, b])


def test_layer_norm_gradient_matches_the_closed_form():
    # d/dx of LN(x)·g for one row: (g_hat - mean(g_hat) - x_hat·mean(g_hat·x_hat)) / σ, g_hat = g·w
    x, w, g = RNG.normal(size=(3, 6)), RNG.normal(size=6), RNG.normal(size=(3, 6))
    eps = 1e-5
    t = Tensor(x, requires_grad=True)
    layer_norm_with(6, Tensor(w), Tensor(np.zeros(6)), eps)(t).backward(g)
    sigma = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=1, keepdims=True)) / sigma
    gh = g * w
    expected = (gh - gh.mean(axis=1, keepdims=True)
                - x_hat * (gh * x_hat).mean(axis=1, keepdims=True)) / sigma
    np.testing.assert_allclose(t.grad.data, expected, rtol=1e-9, atol=1e-12)


def test_layer_norm_float32_stays_float32():
    ln = nn.LayerNorm(3, dtype=np.float32)
    out = ln(Tensor(RNG.normal(size=(2, 3)).astype(np.float32)))
    assert out.dtype == np.float32 and ln.weight.dtype == np.float32


def test_layer_norm_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"last 1 axes.*\(4,\).*\(3, 5\)"):
        nn.LayerNorm(4)(Tensor(np.ones((3, 5))))
    with pytest.raises(ValueError, match="last 2 axes"):
        nn.LayerNorm((2, 3))(Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(0)
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.LayerNorm(())
    with pytest.raises(ValueError, match="eps"):
        nn.LayerNorm(3, eps=-1.0)
    with pytest.raises(TypeError, match="floating"):
        nn.LayerNorm(3, dtype=np.int64)


# ---- Embedding ----------------------------------------------------------------------------
def embedding_with(w, padding_idx=None):
    emb = nn.Embedding(w.shape[0], w.shape[1], padding_idx=padding_idx)
    object.__setattr__(emb, "weight", w)
    return emb


def test_embedding_looks_up_rows_and_starts_from_a_standard_normal():
    emb = nn.Embedding(1000, 20, rng=0)
    assert emb.weight.shape == (1000, 20) and [n for n, _ in emb.named_parameters()] == ["weight"]
    w = emb.weight.data
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # 20000 draws of N(0, 1): 4+ sigma bounds
    idx = np.array([[3, 0, 3], [999, 1, 2]])
    out = emb(Tensor(idx))
    assert out.shape == (2, 3, 20)
    np.testing.assert_array_equal(out.data, w[idx])
    np.testing.assert_array_equal(emb([5, 6]).data, w[[5, 6]])  # lists and ints work too
    np.testing.assert_array_equal(emb(7).data, w[7])
    same_seed = nn.Embedding(10, 3, rng=4).weight.data, nn.Embedding(10, 3, rng=4).weight.data
    np.testing.assert_array_equal(*same_seed)


def test_embedding_gradient_adds_up_over_repeated_indices():
    w = RNG.normal(size=(5, 3))
    idx = np.array([[0, 2, 2], [4, 2, 0]])
    gradcheck(lambda w: embedding_with(w)(idx), [w])
    gradgradcheck(lambda w: embedding_with(w)(idx) ** 2, [w])
    g = RNG.normal(size=(2, 3, 3))
    t = Tensor(w, requires_grad=True)
    embedding_with(t)(idx).backward(g)
    expected = np.zeros_like(w)
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(t.grad.data, expected, rtol=1e-14)


@pytest.mark.parametrize("padding_idx, row", [(1, 1), (-1, 4)])
def test_embedding_padding_row_is_looked_up_but_gets_no_gradient(padding_idx, row):
    emb = nn.Embedding(5, 3, padding_idx=padding_idx, rng=0)
    assert emb.padding_idx == row
    np.testing.assert_array_equal(emb.weight.data[row], np.zeros(3))
    emb.weight.data[row] = [1.0, 2.0, 3.0]  # changed by hand: its value is still what is looked up
    idx = np.array([row, 0, row, 2, 0])
    out = emb(idx)
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])
    g = RNG.normal(size=(5, 3))
    out.backward(g)
    expected = np.zeros((5, 3))
    np.add.at(expected, idx, g)
    expected[row] = 0
    np.testing.assert_allclose(emb.weight.grad.data, expected, rtol=1e-14)


def test_embedding_from_pretrained_frozen_or_not():
    table = RNG.normal(size=(4, 2))
    frozen = nn.Embedding.from_pretrained(table)
    assert list(frozen.parameters()) == [] and not frozen(np.array([1])).requires_grad
    np.testing.assert_array_equal(frozen(np.array([3, 1])).data, table[[3, 1]])
    trainable = nn.Embedding.from_pretrained(Tensor(table), freeze=False)
    assert len(list(trainable.parameters())) == 1
    trainable.weight.data[0] = 9.0
    assert table[0, 0] != 9.0  # the table was copied


@pytest.mark.parametrize("bad, error, message", [
    (np.array([0.0, 1.0]), TypeError, "integers.*float64"),
    (Tensor([True, False]), TypeError, "integers.*bool"),
    (np.array([1, 5]), IndexError, "index 5 is out of range.*5 rows"),
    (np.array([[0, -1]]), IndexError, "index -1 is out of range"),
])
def test_embedding_bad_indices_are_clear_errors(bad, error, message):
    with pytest.raises(error, match=message):
        nn.Embedding(5, 2, rng=0)(bad)


def test_embedding_out_of_range_is_a_tensor_index_error_and_constructor_checks():
    with pytest.raises(TensorIndexError):
        nn.Embedding(3, 2)(np.array([3]))
    with pytest.raises(ValueError, match="num_embeddings"):
        nn.Embedding(0, 2)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(ValueError, match="2-D"):
        nn.Embedding.from_pretrained(np.ones(3))


# ---- Flatten and Identity -----------------------------------------------------------------
@pytest.mark.parametrize("shape, start, end", [((2, 3, 4), 1, -1), ((2, 3, 4), 0, -1), ((2, 3, 4, 5), 1, 2),
                                               ((2, 3, 4), -2, -2), ((0, 3, 4), 1, -1), ((4,), 0, 0)])
def test_flatten_matches_numpy_reshape(shape, start, end):
    x = RNG.normal(size=shape)
    s, e = start % len(shape), end % len(shape)
    expected = x.reshape(shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])
    out = nn.Flatten(start, end)(Tensor(x))
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    if x.size:
        gradcheck(lambda t: nn.Flatten(start, end)(t), [x])


def test_flatten_default_keeps_the_batch_axis_and_errors():
    assert nn.Flatten()(Tensor(np.ones((5, 2, 2)))).shape == (5, 4)
    assert nn.Flatten(0)(Tensor(3.0)).shape == (1,)  # a 0-d tensor flattens to one element
    with pytest.raises(IndexError, match="out of range.*\\(3,\\)"):
        nn.Flatten()(Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(Tensor(np.ones((2, 3, 4))))


def test_identity_returns_its_input_and_ignores_arguments():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert nn.Identity()(x) is x
    assert nn.Identity(3, foo="bar")(x) is x


def test_new_layers_compose_in_sequential_with_a_state_dict():
    net = nn.Sequential(nn.Embedding(6, 4, rng=0), nn.LayerNorm(4), nn.Flatten(), nn.Linear(8, 2, rng=1),
                        nn.Identity())
    out = net(np.array([[1, 2], [3, 5]]))
    assert out.shape == (2, 2)
    assert list(net.state_dict()) == ["0.weight", "1.weight", "1.bias", "3.weight", "3.bias"]
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert "LayerNorm((4,)" in repr(net) and "Embedding(6, 4)" in repr(net)


@settings(max_examples=15)
@given(st.data())
def test_layer_norm_gradients_property(data):
    x = data.draw(arrays(shape=shapes(min_dims=1, max_dims=3, max_side=3), min_value=-3, max_value=3))
    k = data.draw(st.integers(1, x.ndim))
    shape = x.shape[x.ndim - k:]
    w, b = data.draw(arrays(shape=shape, min_value=-3, max_value=3)), data.draw(arrays(shape=shape))
    assert_grads_match(lambda x, w, b: layer_norm_with(shape, w, b, eps=1e-2)(x), x, w, b, second_order=True)


@settings(max_examples=30)
@given(st.data())
def test_embedding_gradient_is_a_scatter_add_property(data):
    n, d = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 3))
    idx_shape = data.draw(st.lists(st.integers(0, 3), min_size=0, max_size=2).map(tuple))
    idx = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=int(np.prod(idx_shape)),
                                        max_size=int(np.prod(idx_shape)))), dtype=np.int64).reshape(idx_shape)
    w = data.draw(arrays(shape=(n, d)))
    g = data.draw(arrays(shape=idx_shape + (d,)))
    t = Tensor(w, requires_grad=True)
    out = embedding_with(t)(idx)
    np.testing.assert_array_equal(out.data, w[idx])
    out.backward(g)
    expected = np.zeros_like(w)
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(t.grad.data, expected, rtol=1e-12, atol=1e-12)
