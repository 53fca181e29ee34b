"""The backward trace: visit order, recorded gradients against closed forms, the article's model."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_softmax.functional as F
from tinygrad_softmax import Tensor, traced_backward, tracing
from tinygrad_softmax.datasets import load_blog
from tinygrad_softmax.hooks import observers


def test_micrograd_diamond_b_is_a_plus_a_c_is_b_plus_b():
    a = Tensor(1.0, requires_grad=True)
    b = a + a
    c = b + b
    with tracing(names={"a": a, "b": b, "c": c}) as trace:
        c.backward()
    assert [id(r.tensor) for r in trace] == [id(c), id(b), id(a)]  # once each, after all its consumers
    assert [r.op for r in trace] == ["Add", "Add", "leaf"]
    assert [float(r.grad) for r in trace] == [1.0, 2.0, 4.0]  # dc/dc, dc/db = 2, dc/da = 4
    assert [float(g) for g in trace[1].input_grads] == [2.0, 2.0]  # b sends 2 to a, twice
    assert a.grad.item() == 4.0
    assert observers() == ()


def diamond():
    a = Tensor([0.3, -0.7], requires_grad=True)
    b = a * 2.0
    c = b.exp()
    d = b.tanh()
    e = c * d
    loss = e.sum()
    return a, b, c, d, e, loss


def test_diamond_visit_order_and_every_recorded_gradient():
    a, b, c, d, e, loss = diamond()
    trace = traced_backward(loss)
    order = [id(r.tensor) for r in trace]
    valid = ([loss, e, c, d, b, a], [loss, e, d, c, b, a])  # b only after both of its consumers
    assert order in [[id(t) for t in v] for v in valid]
    assert [r.shape for r in trace] == [(), (2,), (2,), (2,), (2,), (2,)]
    av = np.array([0.3, -0.7])
    bv = 2 * av
    cv, dv = np.exp(bv), np.tanh(bv)
    dl_db = dv * cv + cv * (1 - dv**2)  # through c = exp(b) and through d = tanh(b)
    rec = {id(r.tensor): r for r in trace}
    np.testing.assert_allclose(rec[id(loss)].grad, 1.0)
    np.testing.assert_allclose(rec[id(e)].grad, np.ones(2))
    np.testing.assert_allclose(rec[id(e)].input_grads[0], dv)  # d(c·d)/dc = d
    np.testing.assert_allclose(rec[id(e)].input_grads[1], cv)
    np.testing.assert_allclose(rec[id(c)].grad, dv)
    np.testing.assert_allclose(rec[id(d)].grad, cv)
    np.testing.assert_allclose(rec[id(c)].input_grads[0], dv * cv)
    np.testing.assert_allclose(rec[id(d)].input_grads[0], cv * (1 - dv**2))
    np.testing.assert_allclose(rec[id(b)].grad, dl_db)  # the two contributions, summed
    assert rec[id(b)].input_grads[1] is None  # the constant 2.0 gets nothing
    np.testing.assert_allclose(rec[id(a)].grad, 2 * dl_db)
    assert rec[id(a)].is_leaf and rec[id(a)].input_grads == ()
    np.testing.assert_allclose(rec[id(a)].grad_norm, np.linalg.norm(2 * dl_db))
    np.testing.assert_allclose(a.grad.numpy(), 2 * dl_db)


def test_records_are_copies_and_traces_are_also_taken_under_create_graph():
    a, b, c, d, e, loss = diamond()
    with tracing() as trace:
        loss.backward(create_graph=True)
    assert all(isinstance(r.grad, np.ndarray) for r in trace)
    rec = trace.record_of(a)
    np.testing.assert_allclose(rec.grad, a.grad.detach().numpy())
    a.grad.data[...] = 0.0  # changing the gradient afterwards does not change the record
    assert np.all(rec.grad != 0)
    with pytest.raises(KeyError):
        trace.record_of(Tensor(1.0))


def test_table_is_readable_and_names_inputs_by_step():
    a, b, c, d, e, loss = diamond()
    trace = traced_backward(loss, names={"a": a, "b": b, "loss": loss})
    table = str(trace)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["step", "node", "op", "shape"]
    assert set(lines[1]) == {"-"}
    assert len(lines) == 2 + 6
    assert lines[2].split()[:3] == ["0", "loss", "Sum"]
    assert lines[-1].split()[:3] == ["5", "a", "leaf"] and "accumulates into .grad" in lines[-1]
    b_row = next(line for line in lines if line.split()[1:2] == ["b"])
    assert "→ a:" in b_row and "→ const: nothing" in b_row
    assert trace.table(values=1).count("…") > table.count("…") - 1
    assert f"‖·‖={np.linalg.norm(a.grad.numpy()):.4g}" in lines[-1]


def test_observer_is_removed_even_when_backward_fails():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError):
        with tracing():
            y.backward()  # not a scalar and no gradient given
    assert observers() == ()
    assert traced_backward((x * x).sum()).records  # and nothing is traced outside the block
    z = (x * 3).sum()
    with tracing() as outer, tracing() as inner:
        z.backward()
    assert len(outer) == len(inner) == 3


def test_article_model_gradients_arriving_at_W_and_b_are_the_closed_form():
    X_all, y_all = load_blog()
    Xv, y = X_all[:200], y_all[:200]
    rng = np.random.default_rng(7)
    Wv, bv, reg = rng.normal(0, 0.5, (2, 3)), rng.normal(0, 0.5, 3), 0.1
    n = len(y)
    # Closed form, from scratch in NumPy: S = softmax(XW + b), Y one-hot
    f = Xv @ Wv + bv
    S = np.exp(f - f.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    Y = np.eye(3)[y]
    dW = Xv.T @ (S - Y) / n + reg * Wv
    db = (S - Y).sum(axis=0) / n

    for loss_fn in (F.cross_entropy, F.softmax_cross_entropy):
        X, W, b = Tensor(Xv), Tensor(Wv, requires_grad=True), Tensor(bv, requires_grad=True)
        scores = X @ W + b
        loss = loss_fn(scores, y) + 0.5 * reg * (W * W).sum()
        trace = traced_backward(loss, names={"W": W, "b": b, "scores": scores})
        np.testing.assert_allclose(trace.record_of(scores).grad, (S - Y) / n, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(trace.record_of(W).grad, dW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(trace.record_of(b).grad, db, rtol=1e-10, atol=1e-14)
        # W's gradient is the sum of two arrivals: Xᵀ(S−Y)/N from MatMul and λW from the L2 term
        matmul = next(r for r in trace if r.op == "MatMul")
        np.testing.assert_allclose(matmul.input_grads[1], Xv.T @ (S - Y) / n, rtol=1e-10, atol=1e-14)
        assert matmul.input_grads[0] is None  # X is data: no gradient is sent to it
        order = [id(r.tensor) for r in trace]
        assert order.index(id(W)) > order.index(id(scores)) and order.index(id(b)) > order.index(id(scores))
