"""NumPy code on Tensors (issue 13 A, C): NumPy's ufuncs and functions run our differentiable ops.

Oracles: NumPy itself on the data (values), finite differences (gradients, via gradcheck) and the
article's closed form dW = Xᵀ(S−Y)/N + λW, db = Σ(S−Y)/N computed here in NumPy.
Tests of targets that other parts of issue 12 add (sqrt, where, stack ...) are in
test_numpy_protocol_after_merge.py.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from tinygrad_softmax import Tensor, datasets, gradcheck, nn

rng = np.random.default_rng(13)


def grad_tensor(*shape: int) -> Tensor:
    return Tensor(rng.normal(size=shape), requires_grad=True)


# ---- the article's forward code, verbatim --------------------------------------------------
# Copied from the article (docs: /work/shared/ARTICLE.md, second code block); the part after
# "# Linear mapping scores" runs unchanged with W and b as Tensors that require grad.
ARTICLE_FORWARD = """\
# Getting some useful parameters
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
"""


def test_the_snippet_is_the_articles_text():
    article = "/work/shared/ARTICLE.md"
    if not os.path.exists(article):
        pytest.skip("the article is not on this machine")
    with open(article, encoding="utf-8") as f:
        text = f.read()
    body = [line.rstrip() for line in ARTICLE_FORWARD.splitlines()]
    lines = [line.rstrip() for line in text.splitlines()]
    start = lines.index(body[0])
    assert lines[start:start + len(body)] == body


@pytest.mark.parametrize("scale", [1e-3, 1.0])
def test_article_forward_code_verbatim_gives_the_closed_form_gradient(scale):
    X, y = datasets.load_blog()
    setup, _, forward = ARTICLE_FORWARD.partition("# Linear mapping scores\n")
    np.random.seed(2016)
    ns: dict = {"np": np, "X": X, "y": y}
    exec(setup, ns)
    W0 = ns["W"] * (scale / 1e-3)
    b0 = np.random.normal(scale=scale, size=ns["b"].shape)  # nonzero b: db is checked at a generic point
    ns["W"], ns["b"] = Tensor(W0, requires_grad=True), Tensor(b0, requires_grad=True)
    exec("# Linear mapping scores\n" + forward, ns)
    loss, W, b = ns["loss"], ns["W"], ns["b"]
    assert isinstance(loss, Tensor) and loss.grad_fn is not None
    loss.backward()

    # closed form, in NumPy
    N, reg = X.shape[0], 0.5
    f = X @ W0 + b0
    S = np.exp(f - f.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    Y = np.eye(3)[y]
    expected_loss = -np.log(S[np.arange(N), y]).mean() + 0.5 * reg * np.sum(W0 * W0)
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=1e-12)
    np.testing.assert_allclose(W.grad.data, X.T @ (S - Y) / N + reg * W0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.grad.data, (S - Y).sum(axis=0) / N, rtol=0, atol=1e-12)


# ---- students' softmax_loss_vectorized, unchanged on Tensors ---------------------------------
def softmax_loss_loop(W, b, X, y, reg):
    """A loop over samples, with in-place updates, as in many first attempts."""
    loss = 0.0
    num_train = X.shape[0]
    for i in range(num_train):
        scores = np.dot(X[i], W) + b
        scores -= np.max(scores)
        exp_scores = np.exp(scores)
        loss += -np.log(exp_scores[y[i]] / np.sum(exp_scores))
    loss /= num_train
    loss += 0.5 * reg * np.sum(W * W)
    return loss


def softmax_loss_one_hot(W, b, X, y, reg):
    """A one-hot target matrix built with item assignment, and a matrix product by @."""
    N = X.shape[0]
    scores = X @ W + b
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    Y = np.zeros_like(probs)
    Y[np.arange(N), y] = 1
    return -np.sum(Y * np.log(probs)) / N + reg * 0.5 * np.sum(W ** 2)


def softmax_loss_fancy_indexing(W, b, X, y, reg):
    """Log-probabilities picked by fancy indexing, averaged with np.mean."""
    f = np.matmul(X, W) + b
    f -= np.amax(f, axis=1, keepdims=True)
    log_probs = f - np.log(np.sum(np.exp(f), axis=1, keepdims=True))
    data_loss = -np.mean(log_probs[np.arange(len(y)), y])
    return data_loss + reg * np.sum(np.multiply(W, W)) / 2


@pytest.mark.parametrize("loss_fn", [softmax_loss_loop, softmax_loss_one_hot, softmax_loss_fancy_indexing])
def test_student_formulations_run_on_tensors_with_finite_difference_gradients(loss_fn):
    X = rng.normal(size=(6, 4))
    y = np.array([0, 2, 1, 2, 0, 1])
    W, b = grad_tensor(4, 3), grad_tensor(3)
    out = loss_fn(W, b, X, y, 0.1)
    assert isinstance(out, Tensor) and out.grad_fn is not None
    # the same function on plain arrays is the value oracle
    np.testing.assert_allclose(out.item(), loss_fn(W.data.copy(), b.data.copy(), X, y, 0.1), rtol=1e-12)
    gradcheck(lambda W, b: loss_fn(W, b, X, y, 0.1), [W, b])


# ---- ufuncs ----------------------------------------------------------------------------------
UNARY_UFUNCS = [np.exp, np.negative, np.tanh, np.positive]
BINARY_UFUNCS = [np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.matmul]


@pytest.mark.parametrize("ufunc", UNARY_UFUNCS, ids=lambda u: u.__name__)
def test_unary_ufuncs_give_tensors_with_gradients(ufunc):
    x = grad_tensor(3, 2)
    out = ufunc(x)
    assert isinstance(out, Tensor)
    np.testing.assert_array_equal(out.data, ufunc(x.data))
    gradcheck(ufunc, [x])


def test_log_and_power():
    x = Tensor(rng.uniform(0.5, 2.0, size=(3,)), requires_grad=True)
    np.testing.assert_allclose(np.log(x).data, np.log(x.data))
    gradcheck(np.log, [x])
    gradcheck(lambda x: np.power(x, 3), [x])
    gradcheck(lambda x: np.power(2.0, x), [x])
    gradcheck(lambda x, e: np.power(x, e), [x, grad_tensor(3)])


@pytest.mark.parametrize("ufunc", BINARY_UFUNCS, ids=lambda u: u.__name__)
@pytest.mark.parametrize("left_array", [False, True])
def test_binary_ufuncs_with_an_array_or_tensor_operand(ufunc, left_array):
    a = rng.normal(size=(3, 3)) + 3
    t = grad_tensor(3, 3)
    out = ufunc(a, t) if left_array else ufunc(t, a)
    want = ufunc(a, t.data) if left_array else ufunc(t.data, a)
    assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, want, rtol=1e-15)
    gradcheck(lambda t: ufunc(a, t) if left_array else ufunc(t, a), [t])


def test_array_operators_on_the_left_give_tensors():
    a = rng.normal(size=(2, 2))
    t = grad_tensor(2, 2)
    for out in (a + t, a - t, a * t, a / (t + 5), a @ t, a ** Tensor(2.0)):
        assert isinstance(out, Tensor)


def test_comparisons_give_constant_bool_tensors_and_accuracy_works():
    pred = Tensor([0, 1, 2, 1])
    y = np.array([0, 1, 1, 1])
    cases = [(np.equal(pred, y), pred.data == y), (np.less(pred, 2), pred.data < 2),
             (np.greater_equal(y, pred), y >= pred.data), (np.isfinite(Tensor([1.0, np.inf])), [True, False])]
    for out, want in cases:
        assert isinstance(out, Tensor) and out.dtype == bool and not out.requires_grad
        np.testing.assert_array_equal(out.data, want)
    assert float(np.mean(pred == y)) == 0.75
    assert np.allclose(grad_tensor(2), Tensor([9.0, 9.0])) is False  # a test without gradient: allowed


def test_ufunc_reduce_means_the_reduction():
    t = grad_tensor(3, 4)
    np.testing.assert_allclose(np.add.reduce(t).data, t.data.sum(axis=0))
    np.testing.assert_allclose(np.maximum.reduce(t, axis=1).data, t.data.max(axis=1))
    gradcheck(lambda t: np.add.reduce(t, axis=1, keepdims=True), [t])


# ---- functions --------------------------------------------------------------------------------
FUNCTION_CASES = {
    "sum": lambda t: np.sum(t),
    "sum axis keepdims": lambda t: np.sum(t, axis=1, keepdims=True),
    "mean": lambda t: np.mean(t, axis=0),
    "max": lambda t: np.max(t, axis=1, keepdims=True),
    "amax": lambda t: np.amax(t),
    "min": lambda t: np.min(t, axis=0),
    "amin": lambda t: np.amin(t, axis=1),
    "dot": lambda t: np.dot(t, np.arange(4.0)),
    "reshape": lambda t: np.reshape(t, (4, 3)),
    "transpose": lambda t: np.transpose(t),
    "swapaxes": lambda t: np.swapaxes(t, 0, 1),
    "copy": lambda t: np.copy(t),
    "ravel": lambda t: np.ravel(t),
    "broadcast_to": lambda t: np.broadcast_to(t, (2, 3, 4)),
}


@pytest.mark.parametrize("name", list(FUNCTION_CASES))
def test_numpy_functions_run_our_ops(name):
    fn = FUNCTION_CASES[name]
    t = grad_tensor(3, 4)
    out = fn(t)
    assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, fn(t.data.copy()), rtol=1e-15)
    gradcheck(fn, [t])


def test_dtype_keyword_is_honoured():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert np.sum(t, dtype=np.float32).dtype == np.float32
    assert np.mean(t, axis=0, dtype=np.float32).dtype == np.float32
    assert np.add(t, 1, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("call, keyword", [
    (lambda t: np.sum(t, out=np.empty(())), "out"),
    (lambda t: np.sum(t, where=np.array([True, False, True])), "where"),
    (lambda t: np.max(t, initial=0.0), "initial"),
    (lambda t: np.mean(t, where=np.array([True, False, True])), "where"),
    (lambda t: np.exp(t, out=np.empty(3)), "out"),
    (lambda t: np.add(t, t, where=np.array([True, False, True])), "where"),
    (lambda t: np.reshape(t, (3,), order="F"), "order"),
    (lambda t: np.dot(t, t, out=np.empty(())), "out"),
])
def test_keywords_we_cannot_honour_are_refused_by_name(call, keyword):
    t = grad_tensor(3)
    with pytest.raises(TypeError, match=rf"np\.\w+\(\.\.\., {keyword}=.*not supported on Tensors"):
        call(t)


def test_shape_queries_and_constant_likes():
    t = grad_tensor(2, 3)
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6 and np.size(t, 1) == 3
    for like, fill in ((np.zeros_like, 0.0), (np.ones_like, 1.0)):
        out = like(t)
        assert isinstance(out, Tensor) and not out.requires_grad and out.shape == (2, 3)
        assert np.all(out.data == fill)
    assert np.full_like(t, 7.0).data.tolist() == [[7.0] * 3] * 2


# ---- escapes: never a silent ndarray -------------------------------------------------------------
@pytest.mark.parametrize("call, name", [
    (lambda t: np.linalg.norm(t), "np.linalg.norm"),
    (lambda t: np.cumprod(t), "np.cumprod"),
    (lambda t: np.sort(t), "np.sort"),
    (lambda t: np.diff(t), "np.diff"),
    (lambda t: np.arctan(t), "np.arctan"),
    (lambda t: np.multiply.outer(t, t), "np.multiply.outer"),
])
def test_other_numpy_functions_refuse_grad_tensors_naming_the_function_and_the_fix(call, name):
    t = grad_tensor(3)
    with pytest.raises(TypeError) as info:
        call(t)
    message = str(info.value)
    assert message.startswith(name + "()")
    assert "graph would be lost" in message and "Function" in message and "detach()" in message


def test_other_numpy_functions_convert_tensors_without_grad_freely():
    t = Tensor([3.0, 4.0])
    assert np.linalg.norm(t) == 5.0
    np.testing.assert_array_equal(np.sort(Tensor([2, 1])), [1, 2])


def test_asarray_array_and_numpy_refuse_a_tensor_that_requires_grad():
    t = grad_tensor(2)
    for convert in (np.asarray, np.array, lambda t: t.numpy()):
        with pytest.raises(RuntimeError, match=r"requires grad.*graph.*Call \.detach\(\) first"):
            convert(t)
    np.testing.assert_array_equal(np.asarray(t.detach()), t.data)  # the fix works
    assert t.detach().numpy() is t.data


def test_ndarray_methods_given_a_grad_tensor_fail_loudly_with_the_fix():
    X, W = rng.normal(size=(2, 3)), grad_tensor(3, 2)
    with pytest.raises(RuntimeError, match=r"np\.dot\(X, W\) or X @ W"):
        X.dot(W)


# ---- ndarray methods on Tensors ----------------------------------------------------------------
def test_dot_copy_and_ravel_methods():
    a, b, v = grad_tensor(2, 3), grad_tensor(3, 2), grad_tensor(3)
    np.testing.assert_allclose(a.dot(b).data, a.data.dot(b.data))
    np.testing.assert_allclose(v.dot(v).data, v.data.dot(v.data))
    np.testing.assert_allclose(a.dot(2.0).data, a.data * 2.0)
    gradcheck(lambda a, b: a.dot(b), [a, b])
    gradcheck(lambda v: v.dot(v), [v])
    c = a.copy()
    assert c.requires_grad and not np.shares_memory(c.data, a.data)
    gradcheck(lambda a: a.copy() * 2, [a])
    assert a.ravel().shape == (6,)
    gradcheck(lambda a: a.ravel(), [a])
    with pytest.raises(TypeError, match=r"np\.matmul / @ or np\.einsum"):
        a.dot(Tensor(np.ones((2, 3, 2))))


def test_article_style_gradient_code_runs_on_detached_tensors():
    """The article's backward snippet is NumPy on plain values: on Tensors without grad it runs too."""
    probs = Tensor(np.full((4, 3), 1 / 3))
    y, n_samples = np.array([0, 1, 2, 0]), 4
    dscores = probs.copy()
    dscores[np.arange(n_samples), y] -= 1
    dscores /= n_samples
    want = np.full((4, 3), 1 / 3)
    want[np.arange(4), y] -= 1
    np.testing.assert_allclose(dscores.data, want / 4)
    np.testing.assert_allclose(probs.data, 1 / 3)  # copy() made a new array


# ---- Linear and dtypes ----------------------------------------------------------------------------
def test_linear_refuses_another_float_dtype_naming_both():
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(TypeError, match=r"input dtype float32 differs from the weight's dtype float64"):
        layer(Tensor(np.ones((4, 3), dtype=np.float32)))
    assert layer(Tensor(np.ones((4, 3)))).dtype == np.float64
    assert layer(np.ones((4, 3), dtype=np.int64)).dtype == np.float64  # integers: promoted, as before
