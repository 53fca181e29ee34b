"""check_derivation's homework form with autodiff running the user's plain NumPy code on Tensors.

These rely on NumPy's protocols on Tensors (``np.exp(t)``, ``np.sum(t, axis=1, keepdims=True)``,
``np.dot(X, t)``, ``t[np.arange(N), y]`` returning Tensors; issue 13); the fallback to finite
differences is covered by tests/test_check_derivation_homework.py. The article's loss is
written exactly as the article writes it; the mistakes are the ones the issue lists.
"""

import time

import numpy as np
import pytest

from tinygrad_softmax import check_derivation

RNG = np.random.default_rng(1413)


def article_loss(W, X, y, reg, mistake=None):
    """The article's softmax loss and gradient, in NumPy; ``mistake`` reproduces one student slip."""
    n_samples = X.shape[0]
    scores = np.dot(X, W)
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    correct_logprobs = -np.log(probs[np.arange(n_samples), y])
    loss = np.sum(correct_logprobs) / n_samples + 0.5 * reg * np.sum(W * W)
    dscores = probs.copy()
    if mistake == "assign":
        dscores[np.arange(n_samples), y] = -1
    elif mistake != "no_correct_class":
        dscores[np.arange(n_samples), y] -= 1
    dscores /= n_samples
    dW = X.T.dot(dscores)
    if mistake == "sum_w":
        dW += reg * np.sum(W)
    elif mistake == "twice":
        dW += 2 * reg * W
    elif mistake == "zero":
        dW = np.zeros_like(W)
    else:
        dW += reg * W
    return loss, dW


def data(n=6, d=8, c=3, w_scale=0.1):
    return w_scale * RNG.standard_normal((d, c)), RNG.standard_normal((n, d)), RNG.integers(0, c, n)


def test_the_article_loss_runs_on_tensors_and_agrees_exactly():
    W, X, y = data()
    report = check_derivation(article_loss, (W, X, y, 0.1))
    assert report, report
    assert report.autodiff is None and report["W"].autodiff is not None
    assert "all three agree" in str(report)


@pytest.mark.parametrize("w_scale, reg", [(1e-3, 0.0), (1.0, 1e-3), (10.0, 1e3)])
def test_right_passes_and_1e_8_fails_at_every_scale(w_scale, reg):
    W, X, y = data(w_scale=w_scale)
    assert check_derivation(article_loss, (W, X, y, reg))
    _, right = article_loss(W, X, y, reg)

    def off(W, X, y, reg):
        loss, dW = article_loss(W, X, y, reg)
        bump = np.zeros(np.shape(dW))
        bump[0, 0] = 1e-8 * np.abs(right).max()
        return loss, dW + bump

    report = check_derivation(off, (W, X, y, reg))
    assert not report and report["W"].culprit == "hand-derived"


@pytest.mark.parametrize("mistake, kind, words", [
    ("twice", "extra_term", "extra term 0.3 × W (= reg)"),
    ("sum_w", "offset_along_axis", "np.sum(W) where W belongs"),
    ("zero", "zero", "all zero"),
    ("no_correct_class", "subset", "correct classes"),
    ("assign", "subset", "correct classes"),
])
def test_the_issues_mistakes_are_named(mistake, kind, words):
    W, X, y = data()
    report = check_derivation(lambda W, X, y, reg: article_loss(W, X, y, reg, mistake), (W, X, y, 0.3))
    assert not report and report.autodiff is None
    assert report.findings[0].kind == kind and words in report.findings[0].message


def test_full_size_with_autodiff_is_fast_and_exact():
    N, D, C = 500, 3073, 10
    X, y = RNG.standard_normal((N, D)), RNG.integers(0, C, N)
    W = 1e-3 * RNG.standard_normal((D, C))
    start = time.perf_counter()
    report = check_derivation(article_loss, (W, X, y, 3e-4))
    assert time.perf_counter() - start < 2.0
    assert report and report.autodiff is None and report.mode.startswith("sampled")
    twice = check_derivation(lambda W, X, y, reg: article_loss(W, X, y, reg, "twice"), (W, X, y, 3e-4))
    assert not twice and twice.findings[0].kind == "extra_term"
