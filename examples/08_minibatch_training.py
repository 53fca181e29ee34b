"""Mini-batch training, the way a PyTorch program is written: DataLoader, LayerNorm, Dropout,
a learning-rate schedule, and argmax for the accuracy.

Run: python examples/08_minibatch_training.py [--epochs N] [--batch-size B] [--seed S]

The data are the interleaved spirals (tinygrad_softmax.datasets.make_spiral), split into a
training and a held-out set. Each epoch the DataLoader reshuffles the training points and hands
them out in mini-batches; each batch gives one Adam step. The learning rate follows a cosine
from 1e-2 down to 1e-4 over the run. Dropout is on while training (model.train()) and off
while measuring (model.eval()).
"""

import argparse

import numpy as np

from tinygrad_softmax import Tensor, nn, no_grad, optim
from tinygrad_softmax.datasets import make_spiral
from tinygrad_softmax.optim.lr_scheduler import CosineAnnealingLR
from tinygrad_softmax.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=60, help="passes over the training set (default 60)")
parser.add_argument("--batch-size", type=int, default=32, help="points per mini-batch (default 32)")
parser.add_argument("--seed", type=int, default=0, help="seed of the data, weights and shuffling")
args = parser.parse_args()

# ---- data: 600 spiral points, a random 480 to train on, 120 held out ----------------------
X, y = make_spiral(n_per_class=200, n_classes=3, noise=0.2, seed=args.seed)
perm = np.random.default_rng(args.seed).permutation(len(y))
train, held_out = perm[:480], perm[480:]
loader = DataLoader(TensorDataset(Tensor(X[train]), Tensor(y[train])), batch_size=args.batch_size,
                    shuffle=True, generator=args.seed)  # a new order every epoch, same seed same run

# ---- model: Linear -> LayerNorm -> ReLU -> Dropout, twice, then the class scores -------------
model = nn.Sequential(
    nn.Linear(2, 64, rng=args.seed), nn.LayerNorm(64), nn.ReLU(), nn.Dropout(0.1),
    nn.Linear(64, 64, rng=args.seed + 1), nn.LayerNorm(64), nn.ReLU(), nn.Dropout(0.1),
    nn.Linear(64, 3, rng=args.seed + 2),
)
loss_fn = nn.CrossEntropyLoss()
opt = optim.Adam(model.parameters(), lr=1e-2)
sched = CosineAnnealingLR(opt, T_max=args.epochs, eta_min=1e-4)  # stepped once per epoch


def accuracy(X_, y_):
    model.eval()  # dropout off
    with no_grad():
        pred = model(Tensor(X_)).argmax(dim=1)
    model.train()
    return float((pred.numpy() == y_).mean())


for epoch in range(args.epochs):
    total = 0.0
    for xb, yb in loader:  # one mini-batch: forward, backward, one optimizer step
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
    lr = sched.get_last_lr()[0]  # the rate this epoch used
    sched.step()
    if epoch % max(1, args.epochs // 6) == 0 or epoch == args.epochs - 1:
        print(f"epoch {epoch + 1:3d}/{args.epochs}  lr {lr:.5f}  mean loss {total / len(train):.4f}  "
              f"train acc {accuracy(X[train], y[train]):.3f}")

print(f"{len(loader)} mini-batches of up to {args.batch_size} points per epoch")
print(f"held-out accuracy: {accuracy(X[held_out], y[held_out]):.3f} ({len(held_out)} points)")
