"""models: the article's Softmax classifier and the MLP, trained through backward().

The main oracle is the article's own training loop, written out below in NumPy with the
closed-form gradient dW = Xᵀ(S − Y)/N + λW, db = Σ(S − Y)/N: the autodiff-trained model must
follow it step for step.
"""

import numpy as np
import pytest

from tinygrad_softmax.datasets import load_blog, make_spiral
from tinygrad_softmax.models import MLP, Softmax, SoftmaxClassifier

X_BLOG, Y_BLOG = load_blog()


def article_init(seed, n_features, n_classes):
    """The documented initialisation: W ~ N(0, 1e-3²) from default_rng(seed), b = 0."""
    return np.random.default_rng(seed).normal(0.0, 1e-3, (n_features, n_classes)), np.zeros(n_classes)


def closed_form_step(X, y, W, b, reg):
    """The article's forward pass and hand-derived gradients; returns loss, dW, db, scores."""
    n = X.shape[0]
    scores = np.dot(X, W) + b
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = np.sum(-np.log(probs[np.arange(n), y])) / n + 0.5 * reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, X.T.dot(dscores) + reg * W, np.sum(dscores, axis=0), scores


def closed_form_training(X, y, W, b, lr, reg, steps):
    W, b, losses, accs = W.copy(), b.copy(), [], []
    for _ in range(steps):
        loss, dW, db, scores = closed_form_step(X, y, W, b, reg)
        losses.append(loss)
        accs.append(np.mean(np.argmax(scores, axis=1) == y))
        W, b = W - lr * dW, b - lr * db
    return W, b, losses, accs


@pytest.mark.parametrize("fused", [True, False])
def test_autodiff_training_follows_the_closed_form_step_for_step(fused):
    W0, b0 = article_init(11, 2, 3)
    W, b, losses, accs = closed_form_training(X_BLOG, Y_BLOG, W0, b0, lr=0.05, reg=0.1, steps=100)
    model = Softmax(seed=11, fused=fused)
    returned = model.train(X_BLOG, Y_BLOG, learning_rate=0.05, reg=0.1, num_iters=100)
    assert model.W.dtype == np.float64
    np.testing.assert_allclose(model.W, W, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.b, b, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.history["loss"], losses, rtol=1e-12)
    np.testing.assert_array_equal(model.history["train_acc"], accs)
    assert returned == model.history["loss"]
    assert np.max(np.abs(W - W0)) > 1e-2  # the weights really moved


@pytest.mark.parametrize("fused", [True, False])
def test_training_lowers_the_loss_and_learns(fused):
    model = SoftmaxClassifier(seed=0, fused=fused)
    model.train(X_BLOG, Y_BLOG, learning_rate=1e-2, reg=0.1, num_iters=300)
    losses = model.history["loss"]
    assert losses[0] == pytest.approx(np.log(3), abs=1e-2)  # tiny weights: uniform probabilities
    assert np.all(np.diff(losses) < 0)  # small steps on a convex loss: monotone
    assert losses[-1] < 0.8 * losses[0]
    assert model.score(X_BLOG, Y_BLOG) > 0.8


def test_training_continues_from_current_weights():
    a = Softmax(seed=3)
    a.train(X_BLOG, Y_BLOG, learning_rate=0.02, reg=0.0, num_iters=30)
    a.train(X_BLOG, Y_BLOG, learning_rate=0.02, reg=0.0, num_iters=20)
    W, b, _, _ = closed_form_training(X_BLOG, Y_BLOG, *article_init(3, 2, 3), lr=0.02, reg=0.0, steps=50)
    np.testing.assert_allclose(a.W, W, atol=1e-12)
    np.testing.assert_allclose(a.b, b, atol=1e-12)


def test_early_stopping_restores_the_best_weights():
    Xt, yt, Xv, yv = X_BLOG[:800], Y_BLOG[:800], X_BLOG[800:], Y_BLOG[800:]
    rounds = 60
    model = Softmax(seed=5)
    model.train_early_stopping(Xt, yt, Xv, yv, learning_rate=1e-2, reg=0.1, early_stopping_rounds=rounds)
    best, steps = model.best_iteration, len(model.history["loss"])
    val_accs = model.history["val_acc"]
    # oracle: the closed-form loop run for `best` steps gives the restored weights ...
    W, b, _, _ = closed_form_training(Xt, yt, *article_init(5, 2, 3), lr=1e-2, reg=0.1, steps=best)
    np.testing.assert_allclose(model.W, W, atol=1e-12)
    np.testing.assert_allclose(model.b, b, atol=1e-12)
    # ... whose validation accuracy is the best seen, first reached at that step ...
    val_of = lambda W_, b_: np.mean(np.argmax(Xv @ W_ + b_, axis=1) == yv)  # noqa: E731
    assert val_of(W, b) == model.best_val_acc == max(val_accs) == val_accs[best]
    assert all(a < model.best_val_acc for a in val_accs[:best])
    # ... and training stopped after `rounds` iterations without improvement
    assert steps == best + rounds
    W_end, b_end, _, _ = closed_form_training(Xt, yt, *article_init(5, 2, 3), lr=1e-2, reg=0.1, steps=steps)
    assert not np.allclose(W_end, W)  # the last weights were really replaced
    assert model.score(Xv, yv) == model.best_val_acc


def test_early_stopping_respects_max_iters():
    model = Softmax(seed=0)
    model.train_early_stopping(X_BLOG[:800], Y_BLOG[:800], X_BLOG[800:], Y_BLOG[800:],
                               learning_rate=1e-2, reg=0.1, early_stopping_rounds=10_000, max_iters=25)
    assert len(model.history["loss"]) == 25


def test_predict_and_predict_proba_match_numpy():
    model = Softmax(seed=1)
    model.train(X_BLOG, Y_BLOG, learning_rate=0.1, reg=0.01, num_iters=50)
    grid = np.random.default_rng(0).uniform(-6, 6, size=(500, 2))
    s = grid @ model.W + model.b
    S = np.exp(s - s.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(grid), S, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(grid), np.argmax(s, axis=1))
    assert model.predict(grid).dtype == np.int64


def test_initialisation_is_seeded_and_documented():
    model = Softmax(seed=42).build(2, 3)
    W0, b0 = article_init(42, 2, 3)
    np.testing.assert_array_equal(model.W, W0)
    np.testing.assert_array_equal(model.b, b0)
    assert Softmax().W is None


def test_loss_and_gradients_match_the_closed_form():
    model = Softmax(seed=2)
    model.train(X_BLOG, Y_BLOG, learning_rate=0.5, reg=0.0, num_iters=20)
    loss, dW, db = model.loss_and_gradients(X_BLOG, Y_BLOG, reg=0.3)
    loss_cf, dW_cf, db_cf, _ = closed_form_step(X_BLOG, Y_BLOG, model.W, model.b, 0.3)
    assert loss == pytest.approx(loss_cf, rel=1e-13)
    np.testing.assert_allclose(dW, dW_cf, atol=1e-14)
    np.testing.assert_allclose(db, db_cf, atol=1e-15)


def test_model_save_and_load(tmp_path):
    a = Softmax(seed=0)
    a.train(X_BLOG, Y_BLOG, learning_rate=0.1, reg=0.1, num_iters=20)
    a.save(tmp_path / "softmax.npz")
    b = Softmax().build(2, 3).load(tmp_path / "softmax.npz")
    np.testing.assert_array_equal(b.W, a.W)
    np.testing.assert_array_equal(b.predict(X_BLOG), a.predict(X_BLOG))
    with pytest.raises(ValueError, match="shape"):
        Softmax().build(2, 4).load(tmp_path / "softmax.npz")


def test_clear_errors_for_bad_use():
    with pytest.raises(RuntimeError, match="train"):
        Softmax().predict(X_BLOG)
    model = Softmax(seed=0)
    with pytest.raises(ValueError, match="1-D array of 1000 labels"):
        model.train(X_BLOG, Y_BLOG[:10])
    with pytest.raises(ValueError, match="2-D numeric"):
        model.train(X_BLOG[:, 0], Y_BLOG)
    with pytest.raises(ValueError, match="negative label"):
        model.train(X_BLOG, -Y_BLOG)
    with pytest.raises(ValueError, match="learning_rate"):
        model.train(X_BLOG, Y_BLOG, learning_rate=-1.0)
    model.train(X_BLOG, Y_BLOG, num_iters=1)
    with pytest.raises(ValueError, match="3 classes"):
        model.train(X_BLOG, Y_BLOG + 1)
    with pytest.raises(ValueError, match="features"):
        model.predict(np.ones((3, 5)))
    with pytest.raises(ValueError, match="early_stopping_rounds"):
        model.train_early_stopping(X_BLOG, Y_BLOG, X_BLOG, Y_BLOG, early_stopping_rounds=0)
    with pytest.raises(ValueError, match="optimizer"):
        Softmax(optimizer="rmsprop")


def test_mlp_gradient_matches_hand_written_backprop():
    X, y = make_spiral(20, 3, seed=1)
    mlp = MLP(hidden_sizes=(7,), activation="tanh", seed=0).build(2, 3)
    W1, b1, W2, b2 = (p.data.copy() for p in mlp.net.parameters())
    reg = 0.01
    mlp.loss(X, y, reg).backward()
    # backprop by hand through tanh
    h = np.tanh(X @ W1 + b1)
    s = h @ W2 + b2
    S = np.exp(s - s.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    ds = (S - np.eye(3)[y]) / len(y)
    dh = ds @ W2.T * (1 - h**2)
    expected = [X.T @ dh + reg * W1, dh.sum(0), h.T @ ds + reg * W2, ds.sum(0)]
    for p, e in zip(mlp.net.parameters(), expected):
        np.testing.assert_allclose(p.grad.data, e, rtol=1e-10, atol=1e-14)


def test_mlp_separates_the_spiral_where_the_linear_model_cannot():
    X, y = make_spiral(60, 3, seed=0)
    linear = Softmax(seed=0, optimizer="adam")
    linear.train(X, y, learning_rate=0.05, reg=0.0, num_iters=300)
    mlp = MLP(hidden_sizes=(50,), seed=0)
    mlp.train(X, y, learning_rate=0.02, reg=1e-4, num_iters=600)
    assert linear.score(X, y) < 0.7
    assert mlp.score(X, y) > 0.95
    assert mlp.history["loss"][-1] < 0.3 * mlp.history["loss"][0]


def test_make_spiral_is_seeded_and_shaped():
    X, y = make_spiral(50, 4, noise=0.1, seed=3)
    assert X.shape == (200, 2) and y.shape == (200,)
    np.testing.assert_array_equal(np.bincount(y), [50] * 4)
    np.testing.assert_array_equal(make_spiral(50, 4, noise=0.1, seed=3)[0], X)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[:50], np.linspace(0, 1, 50))  # radius runs evenly over [0, 1]
    with pytest.raises(ValueError, match="n_classes"):
        make_spiral(10, 0)


def test_load_blog_matches_the_shipped_file_description():
    X, y = load_blog()
    assert X.shape == (1000, 2) and X.dtype == np.float64
    assert y.shape == (1000,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [333, 334, 333])
    X[0, 0] = 1e9
    assert load_blog()[0][0, 0] != 1e9  # fresh arrays on every call


def test_more_bad_arguments_get_clear_errors():
    X, y = X_BLOG[:20], Y_BLOG[:20]
    with pytest.raises(ValueError, match="print_every"):
        Softmax(seed=0).train(X, y, num_iters=2, verbose=True, print_every=0)
    with pytest.raises(ValueError, match="print_every"):
        Softmax(seed=0).train_early_stopping(X, y, X, y, verbose=True, print_every=-1)
    with pytest.raises(ValueError, match="std"):
        Softmax(std=-1e-3)
    with pytest.raises(TypeError, match="hidden_sizes"):
        MLP(hidden_sizes=None)
    with pytest.raises(ValueError, match="hidden_sizes"):
        MLP(hidden_sizes=(4, 0))
    with pytest.raises(TypeError, match="noise must be a number"):
        make_spiral(noise="0.2")
    with pytest.raises(ValueError, match="noise"):
        make_spiral(noise=float("nan"))


def test_mlp_accepts_a_single_width():
    mlp = MLP(hidden_sizes=7, seed=0).build(2, 3)
    shapes = [p.shape for p in mlp.net.parameters()]
    assert shapes == [(2, 7), (7,), (7, 3), (3,)]  # Linear(2, 7) -> ReLU -> Linear(7, 3)


def test_verbose_training_prints_progress(capsys):
    Softmax(seed=0).train(X_BLOG, Y_BLOG, learning_rate=1e-2, num_iters=5, verbose=True, print_every=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"iteration {i:>5}/5" for i in (1, 3, 5)]


def test_softmax_holds_a_module_and_keeps_the_articles_train_signature():
    import inspect

    from tinygrad_softmax import nn

    model = Softmax(seed=0)
    assert not isinstance(model, nn.Module)  # no inherited train(mode)/eval() to confuse with train()
    params = list(inspect.signature(Softmax.train).parameters)
    assert params[:6] == ["self", "X", "y", "learning_rate", "reg", "num_iters"]
    model.train(np.zeros((4, 2)), np.array([0, 1, 2, 0]), learning_rate=1e-2, reg=0.1, num_iters=2)
    assert isinstance(model.net, nn.Module)
