"""``tinygrad-softmax bench``: time the engine against hand-written NumPy, in one process.

Every workload has two implementations of the same training step (forward + backward +
update): one written with this framework, where every gradient comes from ``backward()``,
and one hand-written in NumPy with the closed-form gradients, which is the floor an autodiff
framework on NumPy can reach. Before timing, the bench checks that both compute the same
loss and gradients. Then it interleaves the two rep by rep (alternating which goes first),
so drifts in machine load hit both, and reports medians, spread and the median of the
paired per-rep ratios next to each workload's target.

    W1  the article's model: N=1000, D=2, C=3, full batch (fused loss; W1c: composed loss)
    W2  CIFAR-sized linear softmax: N=500, D=3073, C=10, float32
    W3  an MLP 2 -> 100 ReLU -> 3 on the article's data
    W4  per-op overhead: 200 tiny ops on shape (4,), forward + backward, per op
    W5  a chain of 10,000 adds, forward + backward (and a 1,000,000-deep chain must work)
    MEM peak extra memory of softmax cross-entropy forward + backward, N=4096, C=1000, float32

Timing is reported, never asserted: the test suite only runs ``--quick`` as a smoke test.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tinygrad-softmax bench",
        description="Time training steps of this framework against hand-written NumPy closed forms "
                    "(same process, interleaved reps) and report the ratio per workload next to its target.")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run in seconds: few reps, smaller chains and memory sizes")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="pin BLAS threads to N (default 1; 0 leaves the library's default). Uses "
                        "threadpoolctl if installed, else sets OPENBLAS/OMP/MKL_NUM_THREADS and restarts")
    p.add_argument("--torch", action="store_true",
                   help="add PyTorch rows for W1-W5 if torch is installed (never a dependency), timed in "
                        "the same reps as this framework's rows")
    p.add_argument("--reps", type=int, default=None, help="timed reps per workload (default 15; quick: 3)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="what a rep measures: wall-clock time (default), or the process's CPU time, "
                        "which time taken by other jobs on a shared machine does not inflate (with one "
                        "BLAS thread, BLAS runs in the bench's own thread and is counted)")
    p.add_argument("--instances", type=int, default=1, metavar="K",
                   help="build each timed workload K times (a fresh floor and fresh implementations each "
                        "time, so new buffers at new addresses) and pool the reps of all K: where arrays "
                        "land moves a step's time by a few per cent here, the same code included")
    p.add_argument("--only", default="", metavar="W1,W5,...",
                   help="comma-separated workloads to run (W1 W1c W2 W3 W4 W5 MEM); default all")
    args = p.parse_args(argv)
    if args.instances < 1:
        p.error(f"--instances must be at least 1, got {args.instances}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    limiter = _pin_threads(args.threads, argv)
    global _CLOCK
    _CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    try:
        report = run(quick=args.quick, reps=args.reps, only=args.only, torch_rows=args.torch,
                     instances=args.instances)
    finally:
        if limiter is not None:
            limiter.unregister()
    report["machine"]["threads_requested"] = args.threads
    report["machine"]["blas_threads"] = _PINNING
    report["machine"]["clock"] = "process CPU time" if args.clock == "cpu" else "wall clock"
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0 if report["checks_passed"] else 1


def _pin_threads(n: int, argv: list[str] | None) -> Any:
    """Limit BLAS threads to ``n``: with threadpoolctl when it is installed; otherwise through
    the environment variables, which BLAS reads only when NumPy loads -- so a bench started
    from the command line restarts itself once with them set. Returns the threadpoolctl
    limiter (or None); records what happened in ``_PINNING``."""
    global _PINNING
    if n <= 0:
        _PINNING = "not pinned (--threads 0)"
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if all(os.environ.get(v) == str(n) for v in _THREAD_VARS):
            _PINNING = f"{n} via environment variables"
            return None
        if sys.argv[1:2] == ["bench"]:  # the command line: restart with the variables set
            env = dict(os.environ, **{v: str(n) for v in _THREAD_VARS})
            rest = sys.argv[2:] if argv is None else argv
            os.execve(sys.executable, [sys.executable, "-m", "tinygrad_softmax", "bench", *rest], env)
        _PINNING = "not pinned (no threadpoolctl, and BLAS was loaded before the environment was set)"
        return None
    _PINNING = f"{n} via threadpoolctl"
    return threadpool_limits(limits=n, user_api="blas")


_PINNING = "not pinned"


# ---- measurement -----------------------------------------------------------------------
@dataclass
class Row:
    name: str
    description: str
    target: float | None
    unit: str = "step"
    ours: list[float] = field(default_factory=list)
    numpy: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    check: str = ""
    note: str = ""

    def summary(self) -> dict[str, Any]:
        def stats(xs: list[float]) -> dict[str, float]:
            if not xs:
                return {}
            q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
            return {"median": statistics.median(xs), "q1": q[0], "q3": q[2], "min": min(xs), "max": max(xs)}
        ratio = statistics.median(self.ratios) if self.ratios else None
        return {"name": self.name, "description": self.description, "unit": self.unit,
                "ours_s": stats(self.ours), "numpy_s": stats(self.numpy), "ratio": ratio,
                "ratio_spread": stats(self.ratios), "target": self.target,
                "within_target": None if ratio is None or self.target is None else ratio <= self.target,
                "check": self.check, "note": self.note}


_CLOCK: Callable[[], float] = time.perf_counter  # --clock cpu: time.process_time


def _time_per_call(fn: Callable[[], Any], calls: int) -> float:
    t0 = _CLOCK()
    for _ in range(calls):
        fn()
    return (_CLOCK() - t0) / calls


def _calls_for(fn: Callable[[], Any], budget: float) -> int:
    """How many calls fill about ``budget`` seconds (at least one)."""
    t = _time_per_call(fn, 1)
    return max(1, int(budget / max(t, 1e-7)))


def interleaved(row: Row, ours: Callable[[], Any], numpy_fn: Callable[[], Any], reps: int,
                budget: float, per: int = 1) -> None:
    """Time both implementations rep by rep, alternating which runs first; ``per`` divides each
    time (e.g. the number of ops in one call) so the row reports a per-op time."""
    compare([(row, ours)], numpy_fn, reps, budget, per)


def compare(rows: list[tuple[Row, Callable[[], Any]]], floor: Callable[[], Any], reps: int, budget: float,
            per: int = 1) -> None:
    """Time several implementations against one floor in the same reps: each rep times the floor
    and every implementation once, in an order rotated rep by rep (so drifts in machine load hit
    all of them), and every row's ratio is against the floor's time in that same rep."""
    fns = [floor] + [fn for _, fn in rows]
    for fn in fns:
        fn()  # warm up
    calls = [_calls_for(fn, budget) for fn in fns]
    for r in range(reps):
        k = r % len(fns)
        order = list(range(len(fns)))[k:] + list(range(len(fns)))[:k]
        times = [0.0] * len(fns)
        for i in order if r % 2 == 0 else order[::-1]:
            times[i] = _time_per_call(fns[i], calls[i]) / per
        for j, (row, _) in enumerate(rows):
            row.ours.append(times[j + 1])
            row.numpy.append(times[0])
            row.ratios.append(times[j + 1] / times[0])


# ---- the workloads -----------------------------------------------------------------------
def _close(a: Any, b: Any, rtol: float) -> bool:
    import numpy as np
    return bool(np.allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                            rtol=rtol, atol=rtol * 1e-3))


def _check_then_compare(impls: list[tuple[Row, Any]], floor: Callable[[], float],
                        floor_params: Callable[[], Any], what: str, rtol: float, reps: int,
                        budget: float) -> list[Row]:
    """Take one training step with the floor and with each implementation (``impls``: a row and a
    pair (step, params) each, all from the same start) and write in each row's check whether its
    loss and parameters (``what`` names them) agree with the floor's. Time the rows against the
    floor only if every one agrees: a speed of a step that computes something else means nothing."""
    import numpy as np

    loss_floor, expected = floor(), floor_params()
    all_agree = True
    for row, (step, params) in impls:
        loss, got = step(), params()
        agree = _close(loss, loss_floor, rtol) and all(_close(a, b, rtol) for a, b in zip(got, expected))
        if agree:
            row.check = f"{what} agree with the floor after one step"
        else:
            worst = max(float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b)))
                        for a, b in zip(got, expected))
            row.check = f"MISMATCH: loss {loss} vs {loss_floor}, max |d param| {worst}"
        all_agree = all_agree and agree
    if all_agree:
        compare([(row, step) for row, (step, _) in impls], floor, reps, budget)
    return [row for row, _ in impls]


def article_step(X: Any, y: Any, W: Any, b: Any, lr: float, reg: float) -> tuple[float, Any, Any]:
    """One gradient-descent step of the article's classifier, hand-written in NumPy with its
    closed form dW = Xᵀ(S − Y)/N + λW, db = Σ(S − Y)/N; returns (loss, new W, new b)."""
    import numpy as np

    n, rows = X.shape[0], np.arange(X.shape[0])
    scores = X @ W + b
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[rows, y])) / n + 0.5 * reg * np.sum(W * W)
    dscores = probs
    dscores[rows, y] -= 1
    dscores /= n
    dW = X.T @ dscores + reg * W
    db = np.sum(dscores, axis=0)
    return float(loss), W - lr * dW, b - lr * db


def careful_linear_step(X: Any, y: Any, W0: Any, b0: Any, lr: float, reg: float) -> tuple[Any, Any]:
    """The floor for W1/W2: the article's step as a careful person writes it in NumPy. Everything
    that does not change between steps is made once (the one-hot targets, every buffer, the
    column views); the row maximum over a few classes is an elementwise maximum of the columns,
    row and column sums are products with a ones vector, the target scores one dot product with
    the one-hot matrix, the L2 term goes into a buffer, and every update is in place. ``Xᵀ dS`` is
    computed as ``(dSᵀ X)ᵀ``, the layout OpenBLAS runs faster for a tall result. With fewer input
    columns than classes (W1) the step is :func:`careful_narrow_step` instead. Returns (step,
    params): step() runs one gradient-descent step and returns the loss; params() the current
    (W, b)."""
    import numpy as np

    n, d, c = X.shape[0], X.shape[1], W0.shape[1]
    if d < c:
        return careful_narrow_step(X, y, W0, b0, lr, reg)
    dt = X.dtype
    W, b = W0.astype(dt), b0.astype(dt)  # copies, updated in place
    Y = np.zeros((n, c), dt)
    Y[np.arange(n), y] = 1  # one-hot, built once
    S, m, tot = np.empty((n, c), dt), np.empty((n, 1), dt), np.empty(n, dt)
    tot2, cols = tot.reshape(n, 1), [S[:, j:j + 1] for j in range(c)]
    ones_c, ones_n = np.ones(c, dt), np.ones(n, dt)
    dWT, db, regW = np.empty((c, d), dt), np.empty_like(b), np.empty_like(W)
    dW, ST = dWT.T, S.T
    inv_n, half_reg = dt.type(1.0 / n), 0.5 * reg

    def step() -> float:
        np.matmul(X, W, out=S)
        np.add(S, b, out=S)
        if c <= 8:  # a few classes: the row max as elementwise maxima of the columns
            np.maximum(cols[0], cols[1], out=m)
            for col in cols[2:]:
                np.maximum(m, col, out=m)
        else:
            np.maximum.reduce(S, axis=1, keepdims=True, out=m)
        np.subtract(S, m, out=S)
        picked = np.vdot(S, Y)  # Σ_n shifted score of the target class
        np.exp(S, out=S)
        if c <= 8:
            np.matmul(S, ones_c, out=tot)
        else:
            np.add.reduce(S, axis=1, out=tot)
        np.divide(S, tot2, out=S)  # softmax
        np.log(tot, out=tot)
        loss = (np.add.reduce(tot) - picked) * inv_n + half_reg * np.vdot(W, W)
        np.subtract(S, Y, out=S)
        np.multiply(S, inv_n, out=S)  # dscores = (S − Y)/N
        np.matmul(ST, X, out=dWT)  # dW = Xᵀ dS, as (dSᵀ X)ᵀ
        np.matmul(ones_n, S, out=db)  # column sums
        np.multiply(W, reg, out=regW)
        np.add(dW, regW, out=dW)
        for p, g in ((W, dW), (b, db)):
            np.multiply(g, lr, out=g)
            np.subtract(p, g, out=p)
        return float(loss)

    return step, lambda: (W, b)


def careful_narrow_step(X: Any, y: Any, W0: Any, b0: Any, lr: float, reg: float) -> tuple[Any, Any]:
    """The floor for W1 (fewer input columns than classes, a few classes): the step of
    :func:`careful_linear_step` with two more tricks. Every (N, C) array is kept transposed, as
    C rows of N (Sᵀ = [W; b]ᵀ [X, 1]ᵀ): the row maximum, the shift, the division by the row sums
    and the one-hot all run along rows of 1000 contiguous numbers, where an (N, 3) layout runs
    NumPy's inner loops over rows of 3 (measured here ~7 % faster over the step). And the scores
    are one product by the bias trick, ``X @ W + b = [X, 1] @ [W; b]``, with ``[X, 1]`` built
    once (W and b are views of one array ``[W; b]ᵀ``, so ``dSᵀ [X, 1]`` gives dW and db at once
    and one update moves both)."""
    import numpy as np

    n, d, c = X.shape[0], X.shape[1], W0.shape[1]
    dt = X.dtype
    WbT = np.empty((c, d + 1), dt)  # [W; b]ᵀ, updated in place
    WbT[:, :d], WbT[:, d] = W0.T, b0
    WT, b = WbT[:, :d], WbT[:, d]
    X1T = np.ones((d + 1, n), dt)  # [X, 1]ᵀ, built once
    X1T[:d] = X.T
    X1 = X1T.T
    YT = np.zeros((c, n), dt)
    YT[y, np.arange(n)] = 1  # one-hot, transposed, built once
    ST, m, tot = np.empty((c, n), dt), np.empty(n, dt), np.empty(n, dt)
    ones_c = np.ones(c, dt)
    dWbT, regWT = np.empty_like(WbT), np.empty_like(WT)
    dWT = dWbT[:, :d]
    inv_n, half_reg = dt.type(1.0 / n), 0.5 * reg

    def step() -> float:
        np.matmul(WbT, X1T, out=ST)  # (X @ W + b)ᵀ
        np.maximum(ST[0], ST[1], out=m)  # the row max of S: maxima of the rows of Sᵀ
        for j in range(2, c):
            np.maximum(m, ST[j], out=m)
        np.subtract(ST, m, out=ST)
        picked = np.vdot(ST, YT)  # Σ_n shifted score of the target class
        np.exp(ST, out=ST)
        np.matmul(ones_c, ST, out=tot)  # the row sums of S
        np.divide(ST, tot, out=ST)  # softmax
        np.log(tot, out=tot)
        loss = (np.add.reduce(tot) - picked) * inv_n + half_reg * np.vdot(WT, WT)
        np.subtract(ST, YT, out=ST)
        np.multiply(ST, inv_n, out=ST)  # dscoresᵀ = (S − Y)ᵀ/N
        np.matmul(ST, X1, out=dWbT)  # columns: dWᵀ (d of them), then db
        np.multiply(WT, reg, out=regWT)
        np.add(dWT, regWT, out=dWT)
        np.multiply(dWbT, lr, out=dWbT)
        np.subtract(WbT, dWbT, out=WbT)
        return float(loss)

    return step, lambda: (WT.T, b)


def _linear_softmax_workload(name: str, desc: str, X: Any, y: Any, reg: float, lr: float, fused: bool,
                             target: float | None, compiled_target: float | None, reps: int, budget: float,
                             torch: Any = None) -> list[Row]:
    """W1/W1c/W2: the article's linear classifier, one full-batch gradient-descent step: this
    framework eagerly, the same step compiled, and the article's plain NumPy step, each against
    the careful floor (with ``torch`` given: PyTorch's step too, in the same reps)."""
    import numpy as np

    from .. import functional as F
    from ..compile import compile as compile_step
    from ..optim import SGD
    from ..tensor import Tensor

    dtype = X.dtype
    d, c = X.shape[1], int(y.max()) + 1
    W0 = np.random.default_rng(0).normal(0.0, 1e-3, (d, c)).astype(dtype)
    loss_fn = F.softmax_cross_entropy if fused else F.cross_entropy
    half_reg = 0.5 * reg
    rtol = 1e-10 if dtype == np.float64 else 1e-4

    def framework(mode: str) -> tuple[Callable[[], float], Callable[[], Any]]:
        """mode: "eager"; "compiled" (the whole step compiled, the data closed over: constants of
        the step, as the floor treats them); "compiled args" (the data passed in each call)."""
        Xt = Tensor(X)
        W, b = Tensor(W0.copy(), requires_grad=True), Tensor(np.zeros(c, dtype), requires_grad=True)
        opt = SGD([W, b], lr=lr)

        def train_step(X: Any, y: Any) -> Tensor:
            opt.zero_grad()
            loss = loss_fn(X @ W + b, y) + half_reg * (W * W).sum()
            loss.backward()
            opt.step()
            return loss
        # compiled: the whole step, zero_grad to opt.step(), as jax.jit of an update function
        if mode == "compiled":
            run = compile_step(lambda: train_step(Xt, y), names={"X": Xt, "W": W, "b": b})
            return (lambda: float(run().data)), lambda: (W.data, b.data)
        run = compile_step(train_step) if mode == "compiled args" else train_step
        return (lambda: float(run(Xt, y).data)), lambda: (W.data, b.data)

    def torch_impl() -> tuple[Callable[[], float], Callable[[], Any]]:
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        W, b = torch.tensor(W0, requires_grad=True), torch.zeros(c, dtype=Xt.dtype, requires_grad=True)
        topt = torch.optim.SGD([W, b], lr=lr)

        def step() -> float:
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(Xt @ W + b, yt) + half_reg * (W * W).sum()
            loss.backward()
            topt.step()
            return float(loss.detach())
        return step, lambda: (W.detach().numpy(), b.detach().numpy())

    def plain_impl() -> tuple[Callable[[], float], Callable[[], Any]]:
        state = [W0.copy(), np.zeros(c, dtype)]

        def step() -> float:
            loss, state[0], state[1] = article_step(X, y, state[0], state[1], lr, reg)
            return loss
        return step, lambda: tuple(state)

    impls: list[tuple[Row, Any]] = [(Row(name, desc, target), framework("eager"))]
    if compiled_target is not None:
        impls += [(Row(f"{name} compiled", "compile(train_step), zero_grad to opt.step(), the data "
                       "closed over (constants of the step, as in the floor): " + desc, compiled_target),
                   framework("compiled")),
                  (Row(f"{name} compiled args", "the same, with X and y passed in at each call: " + desc,
                       None), framework("compiled args"))]
    impls.append((Row(f"{name} plain", "the article's plain NumPy step (np.max, fancy-index "
                      "one-hot, np.sum): " + desc, None), plain_impl()))
    if torch is not None:
        impls.append((Row(f"{name} torch", f"PyTorch {torch.__version__}, eager: " + desc, None),
                       torch_impl()))
    floor, floor_params = careful_linear_step(X, y, W0, np.zeros(c, dtype), lr, reg)
    return _check_then_compare(impls, floor, floor_params, "loss, W and b", rtol, reps, budget)


def careful_mlp_step(X: Any, y: Any, params: list[Any], lr: float, reg: float) -> tuple[Any, Any]:
    """The floor for W3: 2 -> H ReLU -> C with the fused loss, hand-written with buffers made once,
    the one-hot built once, the ReLU mask as one comparison, sums as products with ones vectors,
    in-place updates, and the first layer by the bias trick: ``X @ W1 + b1`` as ``[X, 1] @ [W1; b1]``
    (W1 and b1 are views of one array, so one product gives both gradients and one update moves
    both; with two input columns the extra column costs less than the pass that adds b1), with
    ``[X, 1]`` in Fortran order; dW2 = Hᵀ dS is computed as ``(dSᵀ H)ᵀ``, the layout OpenBLAS runs
    faster for a tall result; and the (N, C) scores are kept transposed, as C rows of N (as in
    :func:`careful_narrow_step`), so the loss's passes run along rows of N contiguous numbers.
    Returns (step, params)."""
    import numpy as np

    d = X.shape[1]
    W1b = np.concatenate([params[0], params[1][None, :]])  # [W1; b1], updated in place
    W1, b1 = W1b[:d], W1b[d]
    W2, b2 = (p.copy() for p in params[2:])
    X1 = np.asfortranarray(np.concatenate([X, np.ones((X.shape[0], 1))], axis=1))  # [X, 1], built once
    n, hidden, c = X.shape[0], W1.shape[1], W2.shape[1]
    YT = np.zeros((c, n))
    YT[y, np.arange(n)] = 1  # one-hot, transposed, built once
    H, ST, mask = np.empty((n, hidden)), np.empty((c, n)), np.empty((n, hidden))
    dH, m, tot = np.empty((n, hidden)), np.empty(n), np.empty(n)
    S, b2col = ST.T, b2[:, None]
    ones_c, ones_n = np.ones(c), np.ones(n)
    dW1b, dW2T, db2 = np.empty_like(W1b), np.empty((c, hidden)), np.empty_like(b2)
    dW1, dW2 = dW1b[:d], dW2T.T
    regW1, regW2 = np.empty_like(W1), np.empty_like(W2)
    X1T, HT, W2T = X1.T, H.T, W2.T
    inv_n, half_reg = 1.0 / n, 0.5 * reg

    def step() -> float:
        np.matmul(X1, W1b, out=H)  # X @ W1 + b1
        np.maximum(H, 0.0, out=H)
        np.matmul(W2T, HT, out=ST)  # Sᵀ = (H W2)ᵀ
        np.add(ST, b2col, out=ST)
        np.maximum(ST[0], ST[1], out=m)  # the row max of S: maxima of the rows of Sᵀ
        for j in range(2, c):
            np.maximum(m, ST[j], out=m)
        np.subtract(ST, m, out=ST)
        picked = np.vdot(ST, YT)
        np.exp(ST, out=ST)
        np.matmul(ones_c, ST, out=tot)
        np.divide(ST, tot, out=ST)
        np.log(tot, out=tot)
        loss = (np.add.reduce(tot) - picked) * inv_n + half_reg * (np.vdot(W1, W1) + np.vdot(W2, W2))
        np.subtract(ST, YT, out=ST)
        np.multiply(ST, inv_n, out=ST)
        np.matmul(ST, H, out=dW2T)  # dW2 = Hᵀ dS, as (dSᵀ H)ᵀ
        np.multiply(W2, reg, out=regW2)
        np.add(dW2, regW2, out=dW2)
        np.matmul(ST, ones_n, out=db2)  # the column sums of dS
        np.matmul(S, W2T, out=dH)
        np.greater(H, 0.0, out=mask, casting="unsafe")
        np.multiply(dH, mask, out=dH)
        np.matmul(X1T, dH, out=dW1b)  # rows: dW1 (d of them), then db1 (the column sums)
        np.multiply(W1, reg, out=regW1)
        np.add(dW1, regW1, out=dW1)
        for p, g in ((W1b, dW1b), (W2, dW2), (b2, db2)):
            np.multiply(g, lr, out=g)
            np.subtract(p, g, out=p)
        return float(loss)

    return step, lambda: (W1, b1, W2, b2)


def workload_mlp(reps: int, budget: float, torch: Any = None) -> list[Row]:
    """W3: 2 -> 100 ReLU -> 3 on the article's data, fused loss, L2 on both weights."""
    import numpy as np

    from .. import nn
    from ..compile import compile as compile_step
    from ..datasets import load_blog
    from ..optim import SGD
    from ..tensor import Tensor

    X, y = load_blog()
    reg, lr, hidden = 1e-3, 1e-1, 100
    half_reg = 0.5 * reg
    desc = "MLP 2->100 ReLU->3, article data, fused loss"

    def framework(mode: str) -> tuple[Callable[[], float], Callable[[], Any]]:
        """mode: "eager", "compiled" (the data closed over) or "compiled args" (passed in)."""
        net = nn.Sequential(nn.Linear(2, hidden, rng=np.random.default_rng(0)), nn.ReLU(),
                            nn.Linear(hidden, 3, rng=np.random.default_rng(1)))
        lin1, lin2 = net[0], net[2]
        loss_fn = nn.CrossEntropyLoss()
        opt = SGD(net.parameters(), lr=lr)
        Xt = Tensor(X)

        def train_step(X: Any, y: Any) -> Tensor:
            opt.zero_grad()
            loss = loss_fn(net(X), y) + half_reg * ((lin1.weight * lin1.weight).sum()
                                                    + (lin2.weight * lin2.weight).sum())
            loss.backward()
            opt.step()
            return loss
        params = (lin1.weight.data, lin1.bias.data, lin2.weight.data, lin2.bias.data)
        if mode == "compiled":  # the whole step, as jax.jit of an update function
            run = compile_step(lambda: train_step(Xt, y), names={"X": Xt, "net": net})
            return (lambda: float(run().data)), lambda: params
        run = compile_step(train_step, names={"net": net}) if mode == "compiled args" else train_step
        return (lambda: float(run(Xt, y).data)), lambda: params

    net0 = nn.Sequential(nn.Linear(2, hidden, rng=np.random.default_rng(0)), nn.ReLU(),
                         nn.Linear(hidden, 3, rng=np.random.default_rng(1)))
    init = [net0[0].weight.data, net0[0].bias.data, net0[2].weight.data, net0[2].bias.data]

    def torch_impl() -> tuple[Callable[[], float], Callable[[], Any]]:
        params = [torch.tensor(a, requires_grad=True) for a in init]
        tX, ty, topt = torch.from_numpy(X), torch.from_numpy(y), torch.optim.SGD(params, lr=lr)

        def step() -> float:
            tW1, tb1, tW2, tb2 = params
            topt.zero_grad()
            scores = torch.relu(tX @ tW1 + tb1) @ tW2 + tb2
            loss = torch.nn.functional.cross_entropy(scores, ty) + half_reg * ((tW1 * tW1).sum()
                                                                                + (tW2 * tW2).sum())
            loss.backward()
            topt.step()
            return float(loss.detach())
        return step, lambda: tuple(p.detach().numpy() for p in params)

    impls: list[tuple[Row, Any]] = [
        (Row("W3", desc, 1.2), framework("eager")),
        (Row("W3 compiled", "compile(train_step), zero_grad to opt.step(), the data closed over "
             "(constants of the step, as in the floor): " + desc, 1.0), framework("compiled")),
        (Row("W3 compiled args", "the same, with X and y passed in at each call: " + desc, None),
         framework("compiled args"))]
    if torch is not None:
        impls.append((Row("W3 torch", f"PyTorch {torch.__version__}, eager: " + desc, None),
                       torch_impl()))
    floor, floor_params = careful_mlp_step(X, y, init, lr, reg)
    return _check_then_compare(impls, floor, floor_params, "loss and all weights", 1e-10, reps, budget)


def workload_tiny_ops(reps: int, budget: float, torch: Any = None) -> list[Row]:
    """W4: 200 tiny ops on shape (4,), cycling multiply, add, tanh, subtract; per op."""
    import numpy as np

    from ..compile import compile as compile_step
    from ..tensor import Tensor

    rng = np.random.default_rng(0)
    n_ops = 200
    consts = [rng.uniform(0.5, 1.5, 4) for _ in range(n_ops)]
    x0 = rng.standard_normal(4)
    cts = [Tensor(c) for c in consts]

    def chain(x: Tensor) -> Tensor:
        y = x
        for i, c in enumerate(cts):
            k = i % 4
            y = y * c if k == 0 else y + c if k == 1 else y.tanh() if k == 2 else y - c
        return y.sum()

    def ours() -> Any:
        x = Tensor(x0, requires_grad=True)
        chain(x).backward()
        return x.grad.data  # type: ignore[union-attr]

    cchain = compile_step(chain, backward=True)

    def ours_compiled() -> Any:
        x = Tensor(x0, requires_grad=True)
        cchain(x)
        return x.grad.data  # type: ignore[union-attr]

    if torch is not None:
        tcs = [torch.from_numpy(c) for c in consts]

        def theirs() -> Any:
            x = torch.tensor(x0, requires_grad=True)
            y = x
            for i, c in enumerate(tcs):
                k = i % 4
                y = y * c if k == 0 else y + c if k == 1 else torch.tanh(y) if k == 2 else y - c
            y.sum().backward()
            return x.grad.numpy()

    groups = [tuple(consts[i:i + 4]) for i in range(0, n_ops, 4)]

    def hand() -> Any:  # the floor: the chain's closed form, one group of four ops at a time
        y, saved = x0, []
        tanh = np.tanh
        for c0, c1, _c2, c3 in groups:
            y = tanh(y * c0 + c1)
            saved.append(y)
            y = y - c3
        g = np.ones(4)
        for (c0, _c1, _c2, _c3), t in zip(reversed(groups), reversed(saved)):
            g = g * (1 - t * t) * c0
        return g

    desc = "200 tiny ops on shape (4,), forward + backward"
    rows = [(Row("W4", desc, 5.0, unit="op"), ours),
            (Row("W4 compiled", "compile(chain, backward=True): " + desc, 1.5, unit="op"), ours_compiled)]
    if torch is not None:
        rows.append((Row("W4 torch", f"PyTorch {torch.__version__}, eager: " + desc, None, unit="op"),
                     theirs))
    expected = hand()
    for row, fn in rows:
        row.check = "gradients agree with the floor" if _close(fn(), expected, 1e-12) else \
            "MISMATCH in the gradient"
    if all(not r.check.startswith("MISMATCH") for r, _ in rows):
        compare(rows, hand, reps, budget, per=n_ops)
    return [r for r, _ in rows]


def workload_chain(length: int, deep: int, reps: int, budget: float, torch: Any = None) -> list[Row]:
    """W5: y = x + c repeated ``length`` times, forward + backward; then one ``deep`` chain."""
    import numpy as np

    from ..compile import compile as compile_step
    from ..tensor import Tensor

    x0, c0 = np.arange(4.0), np.ones(4)
    ct = Tensor(c0)

    def chain(x: Tensor) -> Tensor:
        y = x
        for _ in range(length):
            y = y + ct
        return y

    def ours() -> Any:
        x = Tensor(x0, requires_grad=True)
        y = chain(x)
        y.sum().backward()
        return x.grad.data, y.data  # type: ignore[union-attr]

    cchain = compile_step(lambda x: (lambda y: (y.sum(), y))(chain(x)), backward=True)

    def ours_compiled() -> Any:
        x = Tensor(x0, requires_grad=True)
        _, y = cchain(x)
        return x.grad.data, y.data  # type: ignore[union-attr]

    if torch is not None:
        tc = torch.from_numpy(c0)

        def theirs() -> Any:
            x = torch.tensor(x0, requires_grad=True)
            y = x
            for _ in range(length):
                y = y + tc
            y.sum().backward()
            return x.grad.numpy(), y.detach().numpy()

    def hand() -> Any:
        y = x0
        for _ in range(length):
            y = y + c0
        return np.ones_like(x0), y  # d(sum y)/dx = 1: the closed form of the backward

    desc = f"a chain of {length:,} adds, forward + backward"
    rows = [(Row("W5", desc, 6.0, unit="chain"), ours),
            (Row("W5 compiled", "compile(chain, backward=True): " + desc, 1.5, unit="chain"), ours_compiled)]
    if torch is not None:
        rows.append((Row("W5 torch", f"PyTorch {torch.__version__}, eager: " + desc, None, unit="chain"),
                     theirs))
    g2, y2 = hand()
    for row, fn in rows:
        g1, y1 = fn()
        row.check = "output and gradient agree with the floor" if _close(g1, g2, 1e-12) and \
            _close(y1, y2, 1e-12) else "MISMATCH"
    if all(not r.check.startswith("MISMATCH") for r, _ in rows):
        compare(rows, hand, reps, budget)
    row = rows[0][0]
    if deep:
        x = Tensor(np.zeros(1), requires_grad=True)
        t0 = time.perf_counter()
        y = x
        one = Tensor(np.ones(1))
        for _ in range(deep):
            y = y + one
        y.backward(np.ones(1))
        took = time.perf_counter() - t0
        ok_deep = x.grad is not None and float(x.grad.data[0]) == 1.0 and float(y.data[0]) == deep
        verdict = "works" if ok_deep else "FAILED"
        row.note = f"{deep:,}-deep chain: {verdict} ({took:.1f} s forward + backward)"
        if not ok_deep:
            row.check += "; deep chain FAILED"
        del x, y
    return [r for r, _ in rows]


def workload_memory(n: int, c: int) -> list[Row]:
    """MEM: peak extra memory (tracemalloc) of softmax cross-entropy forward + backward."""
    import weakref

    import numpy as np

    from .. import functional as F
    from ..tensor import Tensor

    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((n, c)) * 3).astype(np.float32)
    y = rng.integers(0, c, n)
    rows_idx = np.arange(n)

    def hand() -> Any:
        shifted = logits - np.max(logits, axis=1, keepdims=True)
        exp_scores = np.exp(shifted)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[rows_idx, y]))
        del shifted, exp_scores
        dlogits = probs
        dlogits[rows_idx, y] -= 1
        dlogits /= n
        return loss, dlogits

    def peak(fn: Callable[[], Any]) -> tuple[int, Any]:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        extra = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        return extra, result

    hand_peak, (hand_loss, hand_grad) = peak(hand)
    rows = []
    losses = (("MEM fused", F.softmax_cross_entropy, 1.5), ("MEM composed", F.cross_entropy, 4.0))
    for name, fn, target in losses:
        lt = Tensor(logits, requires_grad=True)
        probe: list[Any] = []

        def run(fn: Callable[..., Any] = fn, lt: Tensor = lt, probe: list[Any] = probe) -> Any:
            loss = fn(lt, y)
            probe.append(weakref.ref(loss))  # the whole graph hangs off the loss
            loss.backward()
            return float(loss.data)

        gc.collect()
        gc.disable()  # so only reference counting can free the graph: cycles would show up
        try:
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            loss_val = run()
            extra = tracemalloc.get_traced_memory()[1] - base
            left = tracemalloc.get_traced_memory()[0] - base
            tracemalloc.stop()
            freed = probe[0]() is None
        finally:
            gc.enable()
        grad_bytes = lt.grad.data.nbytes if lt.grad is not None else 0
        row = Row(name, f"softmax cross-entropy N={n}, C={c}, float32: peak extra memory", target,
                  unit="bytes")
        row.ours, row.numpy, row.ratios = [float(extra)], [float(hand_peak)], [extra / hand_peak]
        ok = lt.grad is not None and _close(loss_val, hand_loss, 1e-5) \
            and _close(lt.grad.data, hand_grad, 1e-4)
        released = left <= grad_bytes + 64 * 1024
        row.check = ("loss and gradient agree" if ok else "MISMATCH") + \
            ("; graph freed by reference counting" if freed else "; GRAPH KEPT ALIVE (cycle?)") + \
            ("; after backward only the gradient remains" if released else
             f"; {left - grad_bytes:,} bytes besides the gradient still held")
        row.note = f"ours {extra / 2**20:.1f} MiB vs hand-written {hand_peak / 2**20:.1f} MiB"
        rows.append(row)
    return rows


def _array(t: Any) -> Any:
    """The values of one of our Tensors or of a torch tensor, as an ndarray."""
    from ..tensor import Tensor

    return t.data if isinstance(t, Tensor) else t.detach().numpy()


def _load_torch() -> Any:
    """PyTorch, on one CPU thread, if it is installed (never a dependency); else None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


# ---- the run and its report -----------------------------------------------------------------
def machine_facts() -> dict[str, Any]:
    import numpy as np

    facts: dict[str, Any] = {
        "python": platform.python_version(), "platform": platform.platform(),
        "cpu_count": os.cpu_count(), "numpy": np.__version__,
        "thread_env": {v: os.environ.get(v) for v in (*_THREAD_VARS, "OPENBLAS_CORETYPE")},
    }
    try:
        config = np.show_config(mode="dicts")  # NumPy >= 1.25
        blas = config.get("Build Dependencies", {}).get("blas", {})
        facts["blas"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict form of the build configuration
        facts["blas"] = "unknown"
    try:
        from threadpoolctl import threadpool_info
        facts["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads",
                                                        "architecture")} for p in threadpool_info()]
    except ImportError:
        facts["threadpools"] = "threadpoolctl not installed"
    return facts


W1_DESC = "article model N=1000 D=2 C=3, fused loss"
W2_DESC = "linear softmax N=500 D=3073 C=10, float32, fused"


def pooled(make_rows: Callable[[int], list[Row]], instances: int) -> list[Row]:
    """The rows of ``make_rows(i)`` for i in 0..instances-1 (each call builds the floor and every
    implementation afresh), merged by name: every instance's reps, each still a ratio against the
    floor timed in that same rep. A row whose check failed in any instance keeps that check."""
    if instances < 1:
        raise ValueError(f"instances must be at least 1, got {instances}")
    merged: list[Row] = make_rows(0)
    by_name = {row.name: row for row in merged}
    for i in range(1, instances):
        for row in make_rows(i):
            into = by_name.get(row.name)
            if into is None:
                raise ValueError(f"instance {i} made a row {row.name!r} the first did not")
            into.ours += row.ours
            into.numpy += row.numpy
            into.ratios += row.ratios
            if _check_failed(row.check) and not _check_failed(into.check):
                into.check = row.check
    return merged


def _check_failed(check: str) -> bool:
    """Whether a row's check says its implementation computed something else (or failed)."""
    return check.startswith("MISMATCH") or "FAILED" in check or "KEPT ALIVE" in check


def run(quick: bool = False, reps: int | None = None, only: str = "",
        torch_rows: bool = False, instances: int = 1) -> dict[str, Any]:
    import numpy as np

    from ..datasets import load_blog

    reps = reps or (3 if quick else 15)
    budget = 0.01 if quick else 0.05  # seconds of work per timed rep and implementation
    wanted = {w.strip().upper() for w in only.split(",") if w.strip()}

    def want(name: str) -> bool:
        return not wanted or name.upper() in wanted

    rows: list[Row] = []
    torch = _load_torch() if torch_rows else None  # its rows are timed in the same reps as ours
    if torch_rows and torch is None:
        rows.append(Row("torch", "PyTorch is not installed: no torch rows", None, check="skipped"))
    X, y = load_blog()
    rng = np.random.default_rng(0)
    X2 = rng.standard_normal((500, 3073)).astype(np.float32)
    y2 = rng.integers(0, 10, 500)
    y2[:10] = np.arange(10)  # every class present
    timed: dict[str, Callable[[int], list[Row]]] = {
        "W1": lambda i: _linear_softmax_workload("W1", W1_DESC, X, y, 0.1, 1e-2, True, 1.5, 1.2, reps,
                                                 budget, torch),
        "W1c": lambda i: _linear_softmax_workload("W1c", "article model N=1000 D=2 C=3, composed loss", X,
                                                  y, 0.1, 1e-2, False, 3.0, None, reps, budget)[:1],
        "W2": lambda i: _linear_softmax_workload("W2", W2_DESC, X2, y2, 0.25, 1e-7, True, 1.05, 1.0, reps,
                                                 budget, torch),
        "W3": lambda i: workload_mlp(reps, budget, torch),
        "W4": lambda i: workload_tiny_ops(reps, budget, torch),
        # the 1,000,000-op chain is a check, not a timing: the first instance runs it
        "W5": lambda i: workload_chain(1_000 if quick else 10_000, 0 if quick or i else 1_000_000, reps,
                                       budget, torch)}
    for name, make_rows in timed.items():
        if want(name):
            rows.extend(pooled(make_rows, instances))
    if want("MEM"):
        rows.extend(workload_memory(*((512, 100) if quick else (4096, 1000))))
    results = [r.summary() for r in rows]
    return {"machine": machine_facts(), "quick": quick, "reps": reps, "instances": instances,
            "results": results,
            "checks_passed": not any(_check_failed(r["check"]) for r in results)}


def _fmt_value(value: float, unit: str) -> str:
    """A time per ``unit`` (seconds in, a readable unit out), or a memory size."""
    if unit == "bytes":
        return f"{value / 2**20:.1f} MiB"
    for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if value >= scale:
            return f"{value / scale:.2f} {suffix}/{unit}"
    return f"{value * 1e9:.2f} ns/{unit}"


def format_report(report: dict[str, Any]) -> str:
    m = report["machine"]
    k = report.get("instances", 1)
    reps = f"{report['reps']} reps" + (f" x {k} instances, pooled" if k > 1 else "")
    lines = [f"tinygrad-softmax bench ({'quick' if report['quick'] else 'full'}, {reps})",
             f"machine: {m['cpu_count']} CPUs, Python {m['python']}, NumPy {m['numpy']}, BLAS {m['blas']}, "
             f"BLAS threads {m.get('blas_threads')}, {m.get('clock', 'wall clock')}",
             "", f"{'workload':<13}{'ours (median)':>16}{'numpy (median)':>17}{'ratio':>8}"
             f"{'spread (q1-q3)':>17}{'target':>9}  result"]
    for r in report["results"]:
        ratio = r["ratio"]
        if ratio is None:
            lines.append(f"{r['name']:<13}{'':>16}{'':>17}{'-':>8}{'':>17}{'':>9}  {r['check']}")
            continue
        spread = r["ratio_spread"]
        verdict = "" if r["within_target"] is None else ("inside" if r["within_target"] else "OUTSIDE")
        target = f"≤{r['target']}×" if r["target"] else "-"
        lines.append(f"{r['name']:<13}{_fmt_value(r['ours_s']['median'], r['unit']):>16}"
                     f"{_fmt_value(r['numpy_s']['median'], r['unit']):>17}{ratio:7.2f}×"
                     f"{spread['q1']:8.2f}-{spread['q3']:<6.2f}  {target:>7}  {verdict}")
    lines.append("")
    for r in report["results"]:
        note = f" {r['note']}." if r["note"] else ""
        lines.append(f"{r['name']}: {r['description']}. Check: {r['check']}.{note}")
    lines.append("")
    lines.append("ratio = median over reps of (ours / hand-written NumPy) in the same process; timing is "
                 "reported, not asserted.")
    return "\n".join(lines)
