"""The article's snippets run as written, and the demo runs (with few iterations). The examples
are tested in test_examples.py.

The article's code blocks are kept below exactly as the article prints them. The test replaces
only what cannot run here -- the scikit-learn import and call (-> ``load_blog()``, the same
call's saved output), the matplotlib import and ``%matplotlib inline`` (-> a stub that accepts
every plotting call) -- and runs them in one namespace after ``from
tinygrad_softmax.models import Softmax``.
"""

import functools
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from tinygrad_softmax import reference
from tinygrad_softmax.commands import demo
from tinygrad_softmax.datasets import load_blog

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

ARTICLE_SNIPPETS = [
    '''# Import useful libraries
from sklearn.datasets import make_classification
import matplotlib.pyplot as plt
import numpy as np

# Show plots inline
%matplotlib inline
plt.rcParams['figure.figsize'] = (7,5)

# Generate toy dataset for classification
# X is a matrix of n_samples x n_features and represents the input features
# y is a vector with length n_samples and represents our target
X, y = make_classification(n_samples=1000, n_features=2, n_redundant=0,
                           random_state=2016, n_clusters_per_class=1,
                           n_classes=3)

# Visualize generated dataset
plt.style.use('seaborn-white') # change default style of plot
plt.scatter(X[:,0], X[:,1], c=y, cmap=plt.cm.Blues)
plt.xlabel('First feature')
plt.ylabel('Second feature')
plt.show()
''',
    '''# Getting some useful parameters
n_features = X.shape[1] # number of features
n_samples = X.shape[0] # number of samples
n_classes = len(np.unique(y)) # number of classes in the dataset

# Initialize weights randomly from a Gaussian distribution
std = 1e-3 # standard deviation of the normal distribution
W = np.random.normal(loc=0.0, scale=std, size=(n_features, n_classes))

# Initialize biases with 0
b = np.zeros(n_classes)

# Linear mapping scores
scores = np.dot(X,W)+b

# Exponential scores
# Normalize the scores beforehand with max as zero to avoid
# numerical problems with the exponential
exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))

# Softmax activation
probs = exp_scores/np.sum(exp_scores, axis=1, keepdims=True)

# Log loss of the correct class of each of our samples
correct_logprobs = -np.log(probs[np.arange(n_samples), y])

# Compute the average loss
loss = np.sum(correct_logprobs)/n_samples

# Add regularization using the L2 norm
# reg is a hyperparameter and controls the strength of regularization
reg = 0.5
reg_loss = 0.5*reg*np.sum(W*W)
loss += reg_loss
''',
    '''# Gradient of the loss with respect to scores
dscores = probs.copy()

# Substract 1 from the scores of the correct class
dscores[np.arange(n_samples),y] -= 1

# Instead of dividing both dW and db with the number of
# samples it's easier to divide dscores beforehand
dscores /= n_samples

# Gradient of the loss with respect to weights
dW = X.T.dot(dscores)

# Add gradient regularization
dW += reg*W

# Gradient of the loss with respect to biases
db = np.sum(dscores, axis=0, keepdims=True)
''',
    '''# Split dataset into training and validation
X_train, y_train = X[0:800], y[0:800]
X_val, y_val = X[800:], y[800:]

# Train with early stopping
softmax = Softmax()
softmax.train_early_stopping( X_train, y_train, X_val, y_val,
                             learning_rate=1e-2, reg=0.1,
                             early_stopping_rounds=300)
print('Training accuracy',np.mean(softmax.predict(X_train)==y_train))
print('Validation accuracy',np.mean(softmax.predict(X_val)==y_val))
''',
    '''# Train on the entire dataset
softmax = Softmax()
softmax.train(X, y, learning_rate=1e-2, reg=0.1, num_iters=1000)
print('Training accuracy', np.mean(softmax.predict(X)==y))
''',
    '''# Create a mesh to plot in
x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
xx, yy = np.meshgrid(np.arange(x_min, x_max, 0.01),
                     np.arange(y_min, y_max, 0.01))

# Predict target for each sample xx, yy
Z = softmax.predict(np.c_[xx.ravel(), yy.ravel()])

# Put the result into a color plot
Z = Z.reshape(xx.shape)
fig = plt.figure()
plt.contourf(xx, yy, Z, cmap=plt.cm.Blues, alpha=0.8)

# Plot our training points
plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Blues)
plt.xlim(xx.min(), xx.max())
plt.ylim(yy.min(), yy.max())
plt.show()
''',
]

MAKE_CLASSIFICATION = re.compile(r"X, y = make_classification\([^)]*\)", re.S)


def adapt(snippet: str) -> str:
    """Replace only the scikit-learn and matplotlib set-up lines."""
    snippet = MAKE_CLASSIFICATION.sub("X, y = load_blog()", snippet)
    kept = [line for line in snippet.splitlines()
            if line.strip() not in ("from sklearn.datasets import make_classification",
                                    "import matplotlib.pyplot as plt", "%matplotlib inline")]
    return "\n".join(kept) + "\n"


def numpy_recipe_accuracy(X, y, X_eval, y_eval, iters, lr=1e-2, reg=0.1, seed=0, X_val=None, y_val=None,
                          rounds=None):
    """The article's recipe with its closed-form gradient, in plain NumPy (the oracle).

    Same initialisation as ``Softmax(seed=seed)``; with ``X_val``/``rounds`` it applies the
    documented early-stopping rule (score the validation set before each update, keep the
    strictly best weights, stop after ``rounds`` iterations without improvement).
    """
    W, b = np.random.default_rng(seed).normal(0.0, 1e-3, (X.shape[1], 3)), np.zeros(3)
    best, best_acc, since = (W, b), -1.0, 0
    for _ in range(iters):
        if rounds is not None:
            acc = np.mean(np.argmax(X_val @ W + b, axis=1) == y_val)
            if acc > best_acc:
                best, best_acc, since = (W, b), acc, 0
            else:
                since += 1
            if since >= rounds:
                break
        s = X @ W + b
        S = np.exp(s - s.max(axis=1, keepdims=True))
        S /= S.sum(axis=1, keepdims=True)
        S[np.arange(len(y)), y] -= 1
        S /= len(y)
        W, b = W - lr * (X.T @ S + reg * W), b - lr * S.sum(axis=0)
    if rounds is not None:
        W, b = best
    return np.mean(np.argmax(X_eval @ W + b, axis=1) == y_eval)


def test_adapt_changes_only_the_setup_lines():
    original = ARTICLE_SNIPPETS[0].splitlines()
    adapted = adapt(ARTICLE_SNIPPETS[0]).splitlines()
    assert len(original) - len(adapted) == 3 + 3 - 1  # 3 lines dropped, the 3-line call became 1
    assert "X, y = load_blog()" in adapted
    for snippet in ARTICLE_SNIPPETS[1:]:
        assert adapt(snippet) == snippet


def test_article_snippets_run_as_written(capsys):
    from tinygrad_softmax.models import Softmax

    # The article's `Softmax()` takes no seed; a seeded class keeps this test deterministic.
    ns = {"Softmax": functools.partial(Softmax, seed=0), "load_blog": load_blog,
          "plt": mock.MagicMock(name="plt")}
    for snippet in ARTICLE_SNIPPETS:
        exec(compile(adapt(snippet), "<article>", "exec"), ns)
    out = capsys.readouterr().out
    accs = [float(v) for v in re.findall(r"accuracy ([0-9.]+)", out)]
    assert len(accs) == 3
    X, y = load_blog()
    # the article's own hand-computed loss and gradients, on the shipped data
    W, b = ns["W"], ns["b"]
    assert ns["loss"] == pytest.approx(reference.loss(X, y, W, b, 0.5), rel=1e-12)
    dW_ref, db_ref = reference.gradients(X, y, W, b, 0.5)
    np.testing.assert_allclose(ns["dW"], dW_ref, atol=1e-14)
    np.testing.assert_allclose(np.ravel(ns["db"]), np.ravel(db_ref), atol=1e-15)
    # accuracies: those of the same recipe, same initialisation, run in plain NumPy
    Xtr, ytr, split = X[:800], y[:800], dict(X_val=X[800:], y_val=y[800:], rounds=300)
    assert accs[0] == pytest.approx(numpy_recipe_accuracy(Xtr, ytr, Xtr, ytr, 100_000, **split))
    assert accs[1] == pytest.approx(numpy_recipe_accuracy(Xtr, ytr, X[800:], y[800:], 100_000, **split))
    assert accs[2] == pytest.approx(numpy_recipe_accuracy(X, y, X, y, 1000))
    # the decision-boundary mesh was predicted for real
    Z, xx = ns["Z"], ns["xx"]
    assert Z.shape == xx.shape and set(np.unique(Z)) == {0, 1, 2}
    ns["plt"].contourf.assert_called_once()


# ---- the demo -----------------------------------------------------------------------------
def test_demo_smoke_run_writes_plots_and_passes_the_gradient_check(tmp_path, capsys):
    code = demo.main(["--out", str(tmp_path / "demo"), "--quiet", "--iters", "30", "--max-iters", "40",
                      "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0
    for value in ("0.815", "0.805", "0.816"):
        assert value in out
    assert "scikit-learn" in out and "PASS" in out
    assert not re.search(r"^iteration ", out, re.M)  # --quiet: no progress lines
    for name in ("blog_decision_boundary.png", "blog_loss_curves.png"):
        path = tmp_path / "demo" / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"Wrote {path}" in out


def test_demo_composed_no_plots_and_progress(tmp_path, capsys):
    code = demo.main(["--out", str(tmp_path / "d"), "--composed", "--no-plots", "--iters", "101",
                      "--max-iters", "10"])
    out = capsys.readouterr().out
    assert code == 0
    assert "composed" in out and "iteration   101/101" in out  # progress shown without --quiet
    assert not (tmp_path / "d").exists()


def test_demo_reports_a_failing_gradient_check(tmp_path, capsys, monkeypatch):
    def wrong(X, y, W, b, reg):  # a closed form that forgot the 1/N
        S = np.exp(X @ W + b)
        S /= S.sum(axis=1, keepdims=True)
        S[np.arange(len(y)), y] -= 1
        return X.T @ S + reg * W, S.sum(axis=0)

    monkeypatch.setattr(demo.reference, "gradients", wrong)
    assert demo.main(["--quiet", "--no-plots", "--iters", "5", "--max-iters", "5"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_demo_without_matplotlib_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    assert demo.main(["--out", str(tmp_path), "--quiet", "--iters", "5", "--max-iters", "5"]) == 0
    out = capsys.readouterr().out
    assert 'pip install -e ".[plot]"' in out
    assert not list(tmp_path.iterdir())


def test_demo_help_through_the_command_line_lists_every_option():
    res = subprocess.run([sys.executable, "-m", "tinygrad_softmax", "demo", "--help"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert res.returncode == 0
    for option in ("--out", "--quiet", "--no-plots", "--fused", "--composed", "--seed", "--iters",
                   "--max-iters", "--early-stopping-rounds"):
        assert option in res.stdout
    assert "5. Draw the decision boundaries" in res.stdout  # the module docstring's steps head the help
    bad = subprocess.run([sys.executable, "-m", "tinygrad_softmax", "demo", "--iters", "-1"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert bad.returncode == 2 and "--iters" in bad.stderr
