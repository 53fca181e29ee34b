"""The tracer half of the hook API (``hooks.Tracer``, ``hooks.use_tracer``): a user's tracer is
asked at every hook point, may refuse or substitute, sees only its own thread, and ``compile``
uses nothing else (it assigns no attribute of the engine's classes or modules)."""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_softmax as tg
from tinygrad_softmax import Function, Tensor
from tinygrad_softmax import functional as F
from tinygrad_softmax.compile import CompileError
from tinygrad_softmax.hooks import Observer, Tracer, current_tracer, observe, use_tracer


class Log(Tracer):
    """Writes down every hook point the engine reaches, and changes nothing."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def forward(self, op, inputs, result):
        self.events.append(("op", op.name))

    def read_value(self, tensor, what):
        self.events.append(("read", what))

    def write_in_place(self, tensor):
        self.events.append(("write", tensor.shape))

    def draw_random(self, what):
        self.events.append(("random", what))

    def constant(self, kind, inputs, params):
        self.events.append(("constant", kind, tuple(params)))
        return None


def test_use_tracer_sets_this_threads_tracer_for_the_block_and_restores_the_previous_one():
    outer, inner = Log(), Log()
    assert current_tracer() is None
    with use_tracer(outer) as same:
        assert same is outer and current_tracer() is outer
        with pytest.raises(ZeroDivisionError), use_tracer(inner):
            assert current_tracer() is inner
            raise ZeroDivisionError
        assert current_tracer() is outer
    assert current_tracer() is None


def test_a_tracer_is_asked_at_every_hook_point_with_what_happens():
    x = Tensor(np.array([1.0, -2.0, 3.0]))
    with use_tracer(Log()) as log:
        y = x * 2.0
        mask = y > 0
        y.sum().item()
        float(y.sum())
        bool(mask.any())
        y.tolist()
        y.numpy()
        F.log_softmax(y, dim=0)
        F.dropout(y, 0.5, training=False)  # no draw: not asked
        F.dropout(y, 0.5, generator=0)
        tg.rand(2, generator=0)
        tg.randn(2, generator=0)
        y += 1.0
    events = log.events
    assert events[:2] == [("op", "Mul"), ("constant", ">", ())]
    reads = [e[1] for e in events if e[0] == "read"]
    assert reads == [".item()", "float()", ".item()", "bool()", ".tolist()", ".numpy()"]
    assert ("constant", "detached_shift", ("axes",)) in events
    assert [e[1] for e in events if e[0] == "random"] == ["dropout with training=True", "rand()", "randn()"]
    assert events[-1] == ("write", (3,))
    # and the eager values were not changed by being watched
    np.testing.assert_array_equal(mask.data, [True, False, True])
    np.testing.assert_array_equal(y.data, [3.0, -3.0, 7.0])


def test_a_tracer_may_refuse_and_the_engine_runs_as_usual_after_the_block():
    class NoWrites(Tracer):
        def write_in_place(self, tensor):
            raise PermissionError(f"no in-place writes to a tensor of shape {tensor.shape}")

    t = Tensor(np.zeros(2))
    with use_tracer(NoWrites()), pytest.raises(PermissionError, match=r"shape \(2,\)"):
        t += 1.0
    t += 1.0
    assert t.data.tolist() == [2.0, 2.0]


def test_a_tracers_constant_replaces_the_eager_comparison():
    class Flip(Tracer):
        def constant(self, kind, inputs, params):
            a, b = inputs
            return Tensor(a.data <= b.data) if kind == ">" else None

    x = Tensor(np.array([1.0, -1.0]))
    with use_tracer(Flip()):
        flipped, kept = x > 0, x < 0
    assert flipped.data.tolist() == [False, True]
    assert kept.data.tolist() == [False, True]


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):  # d(x³)/dx = 3x²
        (x,) = ctx.saved_tensors
        return 3 * x * x * grad


def test_a_tracer_may_run_a_backward_formula_its_own_way():
    class Doubled(Tracer):
        def __init__(self):
            self.ran = []

        def run_backward(self, op, grad, formula):
            self.ran.append(op.name)
            got = formula(op, grad)
            return got * 2 if op.name == "Cube" else got

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with use_tracer(Doubled()) as tracer:
        Cube.apply(x).sum().backward()
    assert tracer.ran == ["Sum", "Cube"]
    np.testing.assert_allclose(x.grad.data, 2 * 3 * np.array([1.0, 4.0]))  # 2 · d(x³)/dx


def test_a_leaf_visit_reports_the_gradient_before_its_copy_into_grad():
    class Leaves(Observer):
        def __init__(self):
            self.got = {}

        def backward(self, tensor, grad, input_grads):
            if input_grads is None:
                self.got[id(tensor)] = grad

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with observe(Leaves()) as seen:
        (x * x).sum().backward(create_graph=True)
    g = seen.got[id(x)]
    assert g is not x.grad  # .grad is a recorded copy (so two leaves never share one)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def _paused(started: threading.Event, resume: threading.Event) -> None:
    started.set()
    assert resume.wait(timeout=30), "the other thread never let this one go on"


def _eager_meanwhile(started: threading.Event, resume: threading.Event, report: dict[str, Any]) -> None:
    """What a second thread does while the first traces: everything the tracer refuses there."""
    try:
        assert started.wait(timeout=30)
        w = Tensor(np.array([0.5, -1.5]), requires_grad=True)
        loss = (w.tanh() * tg.rand(2, generator=1)).sum()  # a random draw: refused only while tracing
        loss.backward()
        report["mask"] = (w > 0).data.tolist()  # an eager comparison, not a recorded op
        report["item"] = loss.item()  # a value read on the host
        w.data += 0.0
        with tg.no_grad():
            w -= 0.1 * w.grad  # an in-place write
        report["w"] = w.data.tolist()
        report["tracer"] = current_tracer()
    except BaseException as e:  # noqa: BLE001 - handed to the main thread's assertion
        report["error"] = e
    finally:
        resume.set()


def test_a_tracer_in_one_thread_does_not_see_or_touch_another_threads_eager_work():
    started, resume = threading.Event(), threading.Event()
    report: dict[str, Any] = {}
    other = threading.Thread(target=_eager_meanwhile, args=(started, resume, report))
    other.start()
    with use_tracer(Log()) as log:
        y = Tensor(np.array([2.0])) * 3.0
        _paused(started, resume)
        y = y.exp()
    other.join(timeout=30)
    assert "error" not in report, report.get("error")
    assert [e for e in log.events if e[0] == "op"] == [("op", "Mul"), ("op", "Exp")]
    assert len(log.events) == 2  # none of the other thread's reads, draws, comparisons, writes
    assert report["tracer"] is None and report["mask"] == [True, False]


def test_compile_traces_in_one_thread_while_another_runs_eager_code_unaffected():
    started, resume = threading.Event(), threading.Event()
    report: dict[str, Any] = {}
    W = Tensor(np.array([[1.0, -2.0], [0.5, 3.0]]), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        h = x @ W
        _paused(started, resume)  # the other thread works in the middle of the trace
        return (h * h).sum()

    other = threading.Thread(target=_eager_meanwhile, args=(started, resume, report))
    other.start()
    compiled = tg.compile(step, backward=True)
    x = np.array([[1.0, 2.0]])
    loss = compiled(Tensor(x))
    other.join(timeout=30)
    assert "error" not in report, report.get("error")  # no CompileError for rand, +=, .item()
    h = x @ W.data
    np.testing.assert_allclose(loss.data, (h * h).sum())
    np.testing.assert_allclose(W.grad.data, x.T @ (2 * h))
    assert "tanh" not in compiled.source  # the other thread's ops are not in the recording
    assert report["mask"] == [True, False]
    # and the refusals still hold in the tracing thread
    with pytest.raises(CompileError, match="random"):
        tg.compile(lambda t: (t * tg.rand(2)).sum())(Tensor(np.ones(2)))


ENGINE = {"Tensor", "TensorMethods", "Function", "SoftmaxCrossEntropy", "F", "functional", "creation",
          "tensor", "_engine", "ops", "_ops", "tinygrad_softmax", "package", "tg", "hooks", "cls", "owner"}


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"  # the compiler's own objects


def test_compile_assigns_no_attribute_of_the_engines_classes_or_modules():
    path = Path(tg.__file__).parent / "compile.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    patched = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "delattr") and not _is_self(node.args[0]):
            patched.append(f"line {node.lineno}: {node.func.id}()")
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id in ENGINE | (imported - {"np", "numpy"}):
                patched.append(f"line {node.lineno}: {target.value.id}.{target.attr} = ...")
    assert not patched, f"compile.py changes the engine instead of using hooks: {patched}"
    assert "monkeypatch" not in path.read_text(encoding="utf-8").lower()


def test_a_compiled_function_called_inside_another_ones_trace_is_recorded_not_baked():
    W = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    inner = tg.compile(lambda x: (x * W).sum())
    outer = tg.compile(lambda x: inner(x) * 2.0 + (x * W).sum(), backward=True)
    inner(Tensor(np.zeros(2)))  # inner has a program for this shape: a replay would bake its value
    for k in (1.0, 2.0, 3.0):  # the first call traces outer (running inner eagerly), then replays
        W.grad = None
        x = np.array([k, k])
        np.testing.assert_allclose(outer(Tensor(x)).data, 3 * (x * W.data).sum())
        np.testing.assert_allclose(W.grad.data, 3 * x)
    assert outer.traces == 1


# ---- the three training-step hook points: a backward pass, zero_grad, an optimizer's step -----------
class Steps(Tracer):
    """Writes down the training-step hook points with their arguments, then runs what it is handed
    (``run_as``: how to run the backward walk, e.g. with create_graph forced on)."""

    def __init__(self, run_as: Any = None) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.run_as = run_as

    def backward_pass(self, root, gradient, retain_graph, create_graph, walk):
        self.events.append(("backward", root, gradient, retain_graph, create_graph))
        walk(root, gradient, *(self.run_as or (retain_graph, create_graph)))

    def clear_grads(self, params, set_to_none, clear):
        self.events.append(("clear", [id(p) for p in params], set_to_none))
        clear()

    def optimizer_step(self, optimizer, step):
        self.events.append(("step", optimizer))
        step()


def _model() -> tuple[Tensor, Tensor, Any]:
    W = Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
    b = Tensor(np.array([0.1, -0.2]), requires_grad=True)
    return W, b, tg.optim.SGD([W, b], lr=0.5)


def test_the_training_step_hook_points_are_told_what_happens_and_change_nothing_by_default():
    X = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]]))
    results = []
    for tracer in (None, Steps()):
        W, b, opt = _model()
        with (use_tracer(tracer) if tracer is not None else observe(Observer())):
            opt.zero_grad(set_to_none=False)
            loss = ((X @ W + b) ** 2).sum()
            loss.backward(retain_graph=True)
            opt.step()
        results.append((W.data.copy(), b.data.copy(), W.grad.data.copy(), W._version))
        if tracer is not None:
            kinds = [e[0] for e in tracer.events]
            assert kinds == ["clear", "backward", "step"], kinds
            assert tracer.events[0][1:] == ([id(W), id(b)], False)
            assert tracer.events[1][1] is loss and tracer.events[1][2:] == (None, True, False)
            assert tracer.events[2][1] is opt
    for got, want in zip(results[1], results[0]):  # the default methods run the step as asked
        np.testing.assert_array_equal(got, want)


def test_module_zero_grad_and_a_user_optimizers_step_reach_the_tracer():
    class Halve(tg.optim.Optimizer):
        def step(self):
            for p in self.params:
                p.data *= 0.5
                p._bump_version()

    class Quarter(Halve):
        def step(self):  # calls its parent's step: the tracer is told twice, the inner call nested
            super().step()
            super().step()

    net = tg.nn.Linear(2, 2, rng=np.random.default_rng(0))
    opt = Quarter(net.parameters())
    with use_tracer(Steps()) as tracer:
        net.zero_grad()
        opt.step()
    assert [e[0] for e in tracer.events] == ["clear", "step", "step", "step"]
    assert tracer.events[0][1] == [id(p) for p in net.parameters()] and tracer.events[0][2] is True
    assert Quarter.step.__wrapped__ is not None  # every subclass's own step is announced


def test_a_tracer_may_run_the_backward_walk_its_own_way():
    W, b, _ = _model()
    X = Tensor(np.array([[1.0, 2.0]]))
    with use_tracer(Steps(run_as=(True, True))):  # create_graph forced on: .grad has a graph
        ((X @ W + b) ** 2).sum().backward()
    assert W.grad.requires_grad and W.grad.grad_fn is not None
    plain = _model()[0]
    ((X @ plain + b.detach()) ** 2).sum().backward()
    np.testing.assert_allclose(W.grad.data, plain.grad.data, rtol=0, atol=0)
