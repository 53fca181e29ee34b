"""Check the article's hand derivation against autodiff and finite differences, step by step.

Run: python examples/05_verify_derivation.py

The article derives, for the loss L = −log S_y + ½λΣW² with S = softmax(f), f = xW + b:
  (1) dS_y/df_i = S_y (1 − S_i) if i = y,  −S_i S_y if i ≠ y        (quotient rule)
  (2) dL/dW_i   = (S_i − 1) x + λW_i if i = y,  S_i x + λW_i if i ≠ y  (one sample, column i of W)
  (3) dL/db_i   =  S_i − 1 if i = y,  S_i if i ≠ y
  (4) batched:  dW = Xᵀ(S − Y)/N + λW,  db = Σ_n (S − Y)/N           (the article's code)
Each is compared with the gradient backward() computes and with float64 central differences
(tinygrad_softmax.gradient_check.check_derivation, which names the odd one out when the three
disagree). The last check feeds in a deliberately wrong derivation to show that it is caught.
"""

import numpy as np

from tinygrad_softmax import Tensor, reference
from tinygrad_softmax import functional as F
from tinygrad_softmax.datasets import load_blog
from tinygrad_softmax.gradient_check import check_derivation

rng = np.random.default_rng(2016)
X_all, y_all = load_blog()
reg = 0.1
C = 3
results = []


def report(title, rep):
    print(f"\n=== {title} ===")
    print(rep)
    results.append(bool(rep))


# (1) one sample's scores f and a label y: the derivative of S_y with respect to every f_i
f0 = rng.normal(size=C)
label = 1


def s_y(f):
    return F.softmax(f)[label]


def quotient_rule(f):
    S = np.exp(f - f.max())
    S /= S.sum()
    return np.where(np.arange(C) == label, S[label] * (1 - S), -S * S[label])


report("(1) dS_y/df_i by the quotient rule",
       check_derivation(s_y, [Tensor(f0, requires_grad=True)], quotient_rule))

# (2), (3) one sample x with label y: the case-by-case gradients for W and b
x, yx = X_all[0], int(y_all[0])
W0 = rng.normal(scale=0.5, size=(2, C))
b0 = rng.normal(scale=0.5, size=C)


def one_sample_loss(W, b):
    f = Tensor(x) @ W + b
    return -F.log_softmax(f)[yx] + 0.5 * reg * (W * W).sum()


def by_cases(W, b):
    f = x @ W + b
    S = np.exp(f - f.max())
    S /= S.sum()
    dW, db = np.empty_like(W), np.empty_like(b)
    for i in range(C):  # the article's two cases, written literally
        if i == yx:
            dW[:, i] = (S[i] - 1) * x + reg * W[:, i]
            db[i] = S[i] - 1
        else:
            dW[:, i] = S[i] * x + reg * W[:, i]
            db[i] = S[i]
    return dW, db


report("(2)+(3) dL/dW_i and dL/db_i, case by case, one sample",
       check_derivation(one_sample_loss, [Tensor(W0, requires_grad=True), Tensor(b0, requires_grad=True)],
                        by_cases))

# (4) the whole dataset, the article's vectorised code (tinygrad_softmax.reference), both loss paths
for name, loss_fn in [("fused", F.softmax_cross_entropy), ("composed", F.cross_entropy)]:
    def batch_loss(W, b, loss_fn=loss_fn):
        return loss_fn(Tensor(X_all) @ W + b, y_all) + 0.5 * reg * (W * W).sum()

    report(f"(4) dW = Xᵀ(S−Y)/N + λW, db = Σ(S−Y)/N on the article's 1000 points, {name} loss",
           check_derivation(batch_loss, [Tensor(W0, requires_grad=True), Tensor(b0, requires_grad=True)],
                            lambda W, b: reference.gradients(X_all, y_all, W, b, reg)))


# a wrong derivation must be caught: forgetting the 1/N of the mean
def forgot_the_mean(W, b):
    dW, db = reference.gradients(X_all, y_all, W, b, reg)
    n = len(y_all)
    return (dW - reg * W) * n + reg * W, db * n


def article_loss(W, b):
    return F.cross_entropy(Tensor(X_all) @ W + b, y_all) + 0.5 * reg * (W * W).sum()


wrong = check_derivation(article_loss, [Tensor(W0, requires_grad=True), Tensor(b0, requires_grad=True)],
                         forgot_the_mean)
print("\n=== a deliberately wrong derivation (no 1/N) ===")
print(wrong)
assert not wrong, "the checker should have rejected the wrong derivation"
assert all(c.culprit == "hand-derived" for c in wrong.inputs), "the blame should fall on the derivation"

assert all(results), "a derivation step disagrees with autodiff or finite differences"
print(f"\nAll {len(results)} steps of the derivation agree with backward() and with finite differences; "
      "the wrong one was caught.")
