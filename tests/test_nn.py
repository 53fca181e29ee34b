"""nn: Module bookkeeping, layers checked against NumPy, the loss module, and checkpoints."""

import pickle

import numpy as np
import pytest

from tinygrad_softmax import Tensor, nn
from tinygrad_softmax.testing import assert_close

RNG = np.random.default_rng(1234)


def numpy_softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ---- Module bookkeeping -------------------------------------------------------------------
class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 4, rng=0)
        self.out = nn.Linear(4, 3, rng=1)
        self.scale = Tensor(2.0)  # no requires_grad: not a parameter

    def forward(self, x):
        return self.out(self.hidden(x).relu()) * self.scale


def test_named_parameters_are_dotted_and_ordered():
    m = TwoLayer()
    assert [n for n, _ in m.named_parameters()] == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    seq = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3, bias=False))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight"]
    assert len(list(seq.parameters())) == 3


def test_shared_parameter_listed_once_and_reassignment_unregisters():
    a = nn.Linear(3, 3)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2
    m = TwoLayer()
    m.out = None
    assert [n for n, _ in m.named_parameters()] == ["hidden.weight", "hidden.bias"]


def test_non_leaf_parameter_rejected():
    m = nn.Module()
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="leaf"):
        m.w = w * 2


def test_setattr_before_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = Tensor([1.0], requires_grad=True)

    with pytest.raises(RuntimeError, match="super"):
        Bad()


def test_zero_grad_and_train_eval_flags():
    m = TwoLayer()
    m(np.ones((5, 2))).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.eval()
    assert not m.training and not m.hidden.training
    m.train()
    assert m.training and m.out.training


# ---- layers against NumPy -----------------------------------------------------------------
def test_linear_forward_and_gradients_match_numpy():
    lin = nn.Linear(3, 4, rng=5)
    x = RNG.normal(size=(6, 3))
    g = RNG.normal(size=(6, 4))  # a random upstream gradient
    W, b = lin.weight.data.copy(), lin.bias.data.copy()
    out = lin(x)
    assert_close(out.data, x @ W + b, rtol=1e-13)
    (out * Tensor(g)).sum().backward()
    assert_close(lin.weight.grad.data, x.T @ g, rtol=1e-12)
    assert_close(lin.bias.grad.data, g.sum(axis=0), rtol=1e-12)


def test_linear_default_init_is_pytorch_uniform_and_seeded():
    lin = nn.Linear(16, 50, rng=3)
    k = 1 / np.sqrt(16)
    assert lin.weight.shape == (16, 50) and lin.bias.shape == (50,)
    assert np.all(np.abs(lin.weight.data) <= k) and np.all(np.abs(lin.bias.data) <= k)
    assert lin.weight.data.std() > k / 3  # spread over the interval, not bunched at 0
    assert_close(nn.Linear(16, 50, rng=3).weight.data, lin.weight.data, rtol=0, atol=0)
    assert not np.array_equal(nn.Linear(16, 50, rng=4).weight.data, lin.weight.data)


def test_linear_article_init_gaussian_and_zero_bias():
    lin = nn.Linear(2, 3, rng=7, weight_std=1e-3)
    assert_close(lin.weight.data, np.random.default_rng(7).normal(0.0, 1e-3, (2, 3)), rtol=0, atol=0)
    assert_close(lin.bias.data, np.zeros(3), rtol=0, atol=0)


def test_linear_without_bias_and_bad_arguments():
    lin = nn.Linear(2, 3, bias=False, rng=0)
    assert lin.bias is None and len(list(lin.parameters())) == 1
    x = RNG.normal(size=(4, 2))
    assert_close(lin(x).data, x @ lin.weight.data)
    with pytest.raises(ValueError, match=r"3 features, got shape \(4, 2\)"):
        nn.Linear(3, 1)(x)
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="floating"):
        nn.Linear(2, 3, dtype=np.int64)


def test_sequential_relu_tanh_match_numpy():
    seq = nn.Sequential(nn.Linear(2, 5, rng=0), nn.ReLU(), nn.Linear(5, 4, rng=1), nn.Tanh())
    x = RNG.normal(size=(7, 2))
    W1, b1, W2, b2 = (p.data for p in seq.parameters())
    expected = np.tanh(np.maximum(x @ W1 + b1, 0) @ W2 + b2)
    assert_close(seq(x).data, expected, rtol=1e-12)
    assert len(seq) == 4 and isinstance(seq[1], nn.ReLU)
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


# ---- the loss module ----------------------------------------------------------------------
@pytest.mark.parametrize("fused", [True, False])
def test_cross_entropy_loss_matches_closed_form(fused):
    logits = RNG.normal(size=(8, 3)) * 3
    y = RNG.integers(0, 3, size=8)
    t = Tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss(fused=fused)(t, y)
    S = numpy_softmax(logits)
    Y = np.eye(3)[y]
    assert_close(loss.item(), -np.mean(np.log(S[np.arange(8), y])), rtol=1e-12)
    loss.backward()
    assert_close(t.grad.data, (S - Y) / 8, atol=1e-15)


@pytest.mark.parametrize("fused", [True, False])
def test_cross_entropy_loss_passes_its_options(fused):
    logits = RNG.normal(size=(5, 4))
    y = np.array([0, 3, -1, 2, 2])
    w = np.array([1.0, 2.0, 0.5, 3.0])
    loss = nn.CrossEntropyLoss(weight=w, ignore_index=-1, reduction="sum", fused=fused)(Tensor(logits), y)
    logS = np.log(numpy_softmax(logits))
    keep = y != -1
    expected = -np.sum(w[y[keep]] * logS[keep][np.arange(keep.sum()), y[keep]])
    assert_close(loss.item(), expected, rtol=1e-12)
    none = nn.CrossEntropyLoss(reduction="none", label_smoothing=0.2, fused=fused)(Tensor(logits), y % 4)
    Q = 0.8 * np.eye(4)[y % 4] + 0.2 / 4
    assert_close(none.data, -(Q * logS).sum(axis=1), rtol=1e-12)
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")


# ---- state dicts and checkpoints ------------------------------------------------------------
def test_state_dict_round_trip_in_place():
    a, b = TwoLayer(), TwoLayer()
    for p in b.parameters():
        p.data[...] = RNG.normal(size=p.shape)
    weight_obj = a.hidden.weight
    a.load_state_dict(b.state_dict())
    assert a.hidden.weight is weight_obj  # copied in place: optimizers keep their references
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb
        assert_close(pa.data, pb.data, rtol=0, atol=0)
    state = a.state_dict()
    state["hidden.weight"][...] = 99.0  # a copy: editing it leaves the model alone
    assert not np.any(a.hidden.weight.data == 99.0)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    m = TwoLayer()
    before = m.state_dict()
    bad = m.state_dict()
    del bad["out.bias"]
    bad["extra.weight"] = np.zeros(2)
    bad["hidden.weight"] = np.zeros((3, 4))
    with pytest.raises(nn.StateDictError) as info:
        m.load_state_dict(bad)
    msg = str(info.value)
    assert "3 problems" in msg
    assert "out.bias: missing" in msg
    assert "extra.weight: unexpected" in msg
    assert "hidden.weight: shape (3, 4) in the state, (2, 4) in the model" in msg
    for k, v in m.state_dict().items():
        assert_close(v, before[k], rtol=0, atol=0)
    assert isinstance(info.value, ValueError)


def test_load_state_dict_non_strict_still_checks_shapes():
    m = TwoLayer()
    part = {"out.bias": np.arange(3.0), "unknown": np.zeros(1)}
    m.load_state_dict(part, strict=False)
    assert_close(m.out.bias.data, np.arange(3.0), rtol=0, atol=0)
    with pytest.raises(nn.StateDictError, match="out.bias: shape"):
        m.load_state_dict({"out.bias": np.zeros(4)}, strict=False)


def test_save_load_npz_round_trip(tmp_path):
    src = nn.Sequential(nn.Linear(2, 5, rng=0), nn.ReLU(), nn.Linear(5, 3, rng=1))
    path = tmp_path / "ckpt.npz"
    nn.save(src, path)
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    dst = nn.Sequential(nn.Linear(2, 5, rng=8), nn.ReLU(), nn.Linear(5, 3, rng=9))
    assert nn.load(dst, path) is dst
    x = RNG.normal(size=(4, 2))
    assert_close(dst(x).data, src(x).data, rtol=0, atol=0)
    dst2 = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3))
    dst2.load(path)
    assert_close(dst2(x).data, src(x).data, rtol=0, atol=0)


def test_load_rejects_mismatched_checkpoint_files(tmp_path):
    path = tmp_path / "small.npz"
    nn.Linear(2, 3).save(path)
    with pytest.raises(nn.StateDictError) as info:
        nn.load(nn.Sequential(nn.Linear(2, 4)), path)
    msg = str(info.value)
    for fragment in ("0.weight: missing", "0.bias: missing", "weight: unexpected", "bias: unexpected"):
        assert fragment in msg
    with pytest.raises(nn.StateDictError, match=r"weight: shape \(2, 3\) in the state, \(2, 4\)"):
        nn.load(nn.Linear(2, 4), path)


_UNPICKLED = []


class _Trap:
    """Unpickling this object appends to _UNPICKLED: proof that code ran."""

    def __reduce__(self):
        return (_UNPICKLED.append, ("code ran",))


def test_pickled_objects_never_load(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, weight=np.array([_Trap()], dtype=object), bias=np.zeros(3))
    with pytest.raises(nn.StateDictError, match="pickle"):
        nn.load(nn.Linear(2, 3), path)
    plain = tmp_path / "evil.pkl"
    plain.write_bytes(pickle.dumps({"weight": _Trap()}))
    with pytest.raises(nn.StateDictError, match="cannot read"):
        nn.load(nn.Linear(2, 3), plain)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros((2, 3)))
    with pytest.raises(nn.StateDictError, match="single array"):
        nn.load(nn.Linear(2, 3), single)
    assert _UNPICKLED == []


def test_load_state_dict_rejects_non_numeric_values():
    with pytest.raises(nn.StateDictError, match="not numeric"):
        nn.Linear(1, 1).load_state_dict({"weight": np.array([["a"]]), "bias": np.zeros(1)})


def test_load_finds_the_npz_that_save_appended(tmp_path):
    src = nn.Linear(2, 3, rng=0)
    nn.save(src, tmp_path / "ckpt")  # NumPy writes ckpt.npz
    assert (tmp_path / "ckpt.npz").exists() and not (tmp_path / "ckpt").exists()
    dst = nn.load(nn.Linear(2, 3, rng=1), tmp_path / "ckpt")  # the same name works for loading
    assert_close(dst.weight.data, src.weight.data, rtol=0, atol=0)
    with pytest.raises(nn.StateDictError, match="cannot read checkpoint"):
        nn.load(nn.Linear(2, 3), tmp_path / "missing")


def test_load_state_dict_needs_a_mapping():
    with pytest.raises(TypeError, match="mapping of parameter names"):
        nn.Linear(2, 3).load_state_dict([np.zeros((2, 3)), np.zeros(3)])


def test_sequential_slices_are_sequentials_sharing_the_modules():
    first, act, last = nn.Linear(2, 4, rng=0), nn.Tanh(), nn.Linear(4, 3, rng=1)
    seq = nn.Sequential(first, act, last)
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is first and seq[-1] is last
    x = RNG.normal(size=(5, 2))
    assert_close(head(x).data, np.tanh(x @ first.weight.data + first.bias.data), rtol=1e-13)
    with pytest.raises(IndexError, match="out of range for a Sequential of 3"):
        seq[3]
