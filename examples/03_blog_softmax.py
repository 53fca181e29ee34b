"""The article "Gradient descent on a Softmax cross-entropy cost function", reproduced.

Run: python examples/03_blog_softmax.py [--out DIR] [--no-plots]

The article's code appears below in order, changed only where it must be:
  * make_classification -> tinygrad_softmax.datasets.load_blog() (the same call's output, saved;
    today's scikit-learn draws different points than the 2016 one, so accuracies differ);
  * `%matplotlib inline` / plt.show() -> PNG files written with the Agg backend (if matplotlib
    is installed; pip install -e ".[plot]");
  * the Softmax class is `from tinygrad_softmax.models import Softmax`, whose gradients come
    from backward() instead of the hand-written dscores lines.
After the article's hand-written gradient, the script checks it against backward().
"""

import argparse
import os

import numpy as np

from tinygrad_softmax import Tensor
from tinygrad_softmax.datasets import load_blog
from tinygrad_softmax.functional import cross_entropy
from tinygrad_softmax.models import Softmax

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=os.path.join("out", "examples"), help="where to write the PNGs")
parser.add_argument("--no-plots", action="store_true", help="skip the plots")
args = parser.parse_args()

try:
    if args.no_plots:
        raise ImportError
    import matplotlib

    matplotlib.use("Agg")  # files, not windows
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    if not args.no_plots:
        print('matplotlib is not installed: no plots (pip install -e ".[plot]" to get them)')
else:
    os.makedirs(args.out, exist_ok=True)
    plt.rcParams["figure.figsize"] = (7, 5)


def show(name):
    """Stands in for the article's plt.show(): save the current figure."""
    path = os.path.join(args.out, name)
    plt.savefig(path)
    plt.close("all")
    print("wrote", path)


# ---- Article: generate the toy dataset --------------------------------------------------
# X is a matrix of n_samples x n_features and represents the input features
# y is a vector with length n_samples and represents our target
X, y = load_blog()

if plt is not None:
    plt.style.use("seaborn-v0_8-white")  # the article's 'seaborn-white', renamed in matplotlib 3.6
    plt.scatter(X[:, 0], X[:, 1], c=y, cmap=plt.cm.Blues)
    plt.xlabel("First feature")
    plt.ylabel("Second feature")
    show("03_dataset.png")

# ---- Article: probabilities and loss, by hand ---------------------------------------------
# Getting some useful parameters
n_features = X.shape[1]  # number of features
n_samples = X.shape[0]  # number of samples
n_classes = len(np.unique(y))  # number of classes in the dataset

# Initialize weights randomly from a Gaussian distribution
std = 1e-3  # standard deviation of the normal distribution
W = np.random.normal(loc=0.0, scale=std, size=(n_features, n_classes))

# Initialize biases with 0
b = np.zeros(n_classes)

# Linear mapping scores
scores = np.dot(X, W) + b

# Exponential scores
# Normalize the scores beforehand with max as zero to avoid
# numerical problems with the exponential
exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))

# Softmax activation
probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)

# Log loss of the correct class of each of our samples
correct_logprobs = -np.log(probs[np.arange(n_samples), y])

# Compute the average loss
loss = np.sum(correct_logprobs) / n_samples

# Add regularization using the L2 norm
# reg is a hyperparameter and controls the strength of regularization
reg = 0.5
reg_loss = 0.5 * reg * np.sum(W * W)
loss += reg_loss

# ---- Article: the gradients, by hand ------------------------------------------------------
# Gradient of the loss with respect to scores
dscores = probs.copy()

# Substract 1 from the scores of the correct class
dscores[np.arange(n_samples), y] -= 1

# Instead of dividing both dW and db with the number of
# samples it's easier to divide dscores beforehand
dscores /= n_samples

# Gradient of the loss with respect to weights
dW = X.T.dot(dscores)

# Add gradient regularization
dW += reg * W

# Gradient of the loss with respect to biases
db = np.sum(dscores, axis=0, keepdims=True)

# ---- Not in the article: the same loss through the engine, and its gradient by backward() ----
W_t = Tensor(W, requires_grad=True)
b_t = Tensor(b, requires_grad=True)
loss_t = cross_entropy(Tensor(X) @ W_t + b_t, y) + 0.5 * reg * (W_t * W_t).sum()
loss_t.backward()
print(f"loss by hand {loss:.12f}   loss by the engine {loss_t.item():.12f}")
print("max |dW by hand - dW by backward()| =", np.max(np.abs(dW - W_t.grad.numpy())))
print("max |db by hand - db by backward()| =", np.max(np.abs(db.ravel() - b_t.grad.numpy())))
assert np.isclose(loss, loss_t.item(), rtol=1e-12, atol=0)
assert np.allclose(dW, W_t.grad.numpy(), rtol=1e-10, atol=1e-14)
assert np.allclose(db.ravel(), b_t.grad.numpy(), rtol=1e-10, atol=1e-14)

# ---- Article: train with early stopping ----------------------------------------------------
# Split dataset into training and validation
X_train, y_train = X[0:800], y[0:800]
X_val, y_val = X[800:], y[800:]

# Train with early stopping
softmax = Softmax()
softmax.train_early_stopping(X_train, y_train, X_val, y_val,
                             learning_rate=1e-2, reg=0.1,
                             early_stopping_rounds=300)
print('Training accuracy', np.mean(softmax.predict(X_train) == y_train))
print('Validation accuracy', np.mean(softmax.predict(X_val) == y_val))
print("(the article printed 0.815 and 0.805 on the points of 2016's scikit-learn)")

# ---- Article: train on the entire dataset --------------------------------------------------
softmax = Softmax()
softmax.train(X, y, learning_rate=1e-2, reg=0.1, num_iters=1000)
print('Training accuracy', np.mean(softmax.predict(X) == y))
print("(the article printed 0.816)")

# ---- Article: decision boundaries -----------------------------------------------------------
# Create a mesh to plot in
x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
xx, yy = np.meshgrid(np.arange(x_min, x_max, 0.01),
                     np.arange(y_min, y_max, 0.01))

# Predict target for each sample xx, yy
Z = softmax.predict(np.c_[xx.ravel(), yy.ravel()])

# Put the result into a color plot
Z = Z.reshape(xx.shape)
if plt is not None:
    fig = plt.figure()
    plt.contourf(xx, yy, Z, cmap=plt.cm.Blues, alpha=0.8)

    # Plot our training points
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Blues)
    plt.xlim(xx.min(), xx.max())
    plt.ylim(yy.min(), yy.max())
    show("03_decision_boundary.png")
