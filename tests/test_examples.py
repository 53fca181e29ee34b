"""Every example in examples/ runs (with few iterations) and checks what it claims: 01 and 02 in this
process (their results against closed forms), the others as scripts in a subprocess."""

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_softmax import Tensor

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(name, *args, cwd):
    env = dict(os.environ, MPLBACKEND="Agg")
    res = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                         timeout=120, cwd=cwd, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def test_first_graph_example_runs_and_checks_itself(capsys):
    ns = runpy.run_path(str(EXAMPLES / "01_first_graph.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "matches the hand-derived gradients: True" in out
    mask = (ns["h"].detach().numpy() > 0).astype(float)
    np.testing.assert_allclose(ns["b"].grad.numpy(), mask.sum(axis=0))


def test_custom_function_example_runs_and_passes_its_gradient_check(capsys):
    ns = runpy.run_path(str(EXAMPLES / "02_custom_function.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "gradient check passed: True" in out
    assert "first derivative" in out and "second derivative" in out

    # the example's op against closed forms: softplus = logaddexp(0, x), σ = 1/(1+e^-x), σ' = σ(1-σ)
    x0 = np.array([-700.0, -5.0, -0.3, 0.0, 0.3, 5.0, 700.0])
    x = Tensor(x0, requires_grad=True)
    y = ns["softplus"](x)
    np.testing.assert_allclose(y.detach().numpy(), np.logaddexp(0.0, x0), rtol=1e-13)
    y.sum().backward(create_graph=True)
    sig = 0.5 * (1.0 + np.tanh(x0 / 2))  # σ(x) written without its own overflow
    np.testing.assert_allclose(x.grad.detach().numpy(), sig, rtol=1e-12, atol=1e-300)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), sig * (1 - sig), rtol=1e-9, atol=1e-300)


def test_custom_function_example_main_reports_small_errors():
    # import only: main() is not run yet
    ns = runpy.run_path(str(EXAMPLES / "02_custom_function.py"), run_name="not_main")
    errors = ns["main"]()
    assert errors["first_error"] < 1e-7 and errors["second_error"] < 1e-7


def test_example_03_blog_softmax(tmp_path):
    out = run_example("03_blog_softmax.py", "--out", str(tmp_path), cwd=tmp_path)
    assert "Training accuracy" in out and "Validation accuracy" in out
    assert (tmp_path / "03_decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    diffs = [float(v) for v in re.findall(r"by backward\(\)\| = (\S+)", out)]
    assert len(diffs) == 2 and max(diffs) < 1e-12


def test_example_04_hidden_layer(tmp_path):
    out = run_example("04_hidden_layer.py", "--iters", "15", "--out", str(tmp_path), cwd=tmp_path)
    assert "spirals" in out
    for name in ("hidden_layer_blog.png", "hidden_layer_spiral.png", "linear_spiral.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_example_05_verify_derivation(tmp_path):
    out = run_example("05_verify_derivation.py", cwd=tmp_path)
    assert "All 4 steps of the derivation agree" in out
    assert "DISAGREEMENT" in out  # the deliberately wrong derivation


def test_example_06_custom_layer(tmp_path):
    out = run_example("06_custom_layer.py", "--iters", "20", cwd=tmp_path)
    assert "gradcheck: dy/dx and dy/db agree" in out
    assert "the broken backward was caught" in out


def test_example_07_draws_the_blog_model_and_the_committed_picture_exists(tmp_path):
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Graphviz's `dot` is not installed; .ci/run installs it")
        pytest.skip("Graphviz's `dot` is not installed (CI installs it)")
    out = tmp_path / "model.svg"
    subprocess.run([sys.executable, str(ROOT / "examples" / "07_draw_graph.py"), str(out)],
                   check=True, timeout=60, capture_output=True)
    svg = out.read_text()
    committed = (ROOT / "docs" / "images" / "blog_model_graph.svg").read_text()
    labels = sorted(svg_labels(svg))
    for word in ("MatMul", "W", "b", "scores", "loss", "leaf, requires_grad", "(1000, 2) float64"):
        assert word in labels
    # The same nodes as a fresh drawing (positions aside): the picture in the docs is not stale.
    assert sorted(svg_labels(committed)) == labels, ("docs/images/blog_model_graph.svg is out of date; "
                                                     "regenerate it with: python examples/07_draw_graph.py")


def test_example_08_minibatch_training(tmp_path):
    out = run_example("08_minibatch_training.py", "--epochs", "8", cwd=tmp_path)
    assert "15 mini-batches of up to 32 points per epoch" in out  # ceil(480 / 32)
    lrs = {int(e): float(lr) for e, lr in re.findall(r"epoch +(\d+)/8  lr ([0-9.]+)", out)}
    assert len(lrs) == 8
    for epoch, lr in lrs.items():  # the cosine schedule from 1e-2 to 1e-4 over 8 epochs
        assert lr == pytest.approx(1e-4 + (1e-2 - 1e-4) * (1 + np.cos(np.pi * (epoch - 1) / 8)) / 2,
                                   abs=1e-5)
    held_out = float(re.search(r"held-out accuracy: ([0-9.]+)", out).group(1))
    assert held_out > 0.8  # three classes: guessing gives 1/3


def svg_labels(svg: str) -> list[str]:
    """The text lines Graphviz wrote into an SVG (node labels), without layout."""
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_example_09_compiled_training_step(tmp_path):
    out = run_example("09_compiled_training_step.py", "--steps", "60", "--show-source", cwd=tmp_path)
    assert "(traced 1 time): True" in out  # compiled and eager agree to 1e-12 after every step
    losses = [float(v) for v in re.findall(r"loss ([0-9.]+)", out)]
    assert len(losses) >= 5 and losses[-1] < losses[0]
    assert "def replay():" in out and "np.matmul(" in out and "_bump_versions(" in out
