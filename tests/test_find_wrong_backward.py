"""find_wrong_backward names the broken custom layer; GradientShapeError carries its data; the CLI
checks a user's own Function or (loss, grad) function from a file."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tinygrad_softmax import Function, GradientShapeError, Tensor, find_wrong_backward
from tinygrad_softmax.gradient_check.command import main as cli_main

RNG = np.random.default_rng(7)


class Linear(Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, x.T @ g


class Square(Function):
    """scale·x²; ``missing_two`` drops the 2 of d(x²)/dx."""

    missing_two = False

    @staticmethod
    def forward(ctx, x, scale=1.0):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (1 if Square.missing_two else 2) * ctx.scale * x * g


class HalfSquare(Square):
    missing_two = True

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return ctx.scale * x * g


class AddBias(Function):
    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, g):
        return g, g            # the bias gradient is not summed over the batch


class AddBiasRight(AddBias):
    @staticmethod
    def backward(ctx, g):
        return g, g.sum(axis=0)


class LinearSwapped(Linear):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, -(x.T @ g)   # sign error in dW


def inputs():
    return RNG.standard_normal((4, 3)), RNG.standard_normal((3, 2)), RNG.standard_normal(2)


def test_all_right_layers_pass():
    def model(x, w, b):
        return Square.apply(AddBiasRight.apply(Linear.apply(x, w), b), scale=3.0).tanh().sum()

    report = find_wrong_backward(model, inputs())
    assert report and report.wrong is None and len(report.nodes) == 3 and report.builtin == 2
    assert "every custom backward agrees" in str(report)


@pytest.mark.parametrize("layers, op, slot, kind", [
    ((LinearSwapped, AddBiasRight, Square), "LinearSwapped", 1, "sign"),
    ((Linear, AddBias, Square), "AddBias", 1, "shape"),
    ((Linear, AddBiasRight, HalfSquare), "HalfSquare", 0, "scale"),
])
def test_the_first_wrong_layer_is_named(layers, op, slot, kind):
    lin, bias, sq = layers

    def model(x, w, b):
        return sq.apply(bias.apply(lin.apply(x, w), b), scale=3.0).sum()

    report = find_wrong_backward(model, inputs())
    assert not report and (report.op, report.slot, report.kind) == (op, slot, kind)
    assert f"{op}.backward is wrong for input {slot} ({kind})" in str(report)


def test_keyword_parameters_of_apply_are_replayed():
    # HalfSquare with scale=3: replayed with scale=1 the factor found would still be 0.5, but a
    # wrong replay of the forward would also change the numerical side; check the message's factor.
    report = find_wrong_backward(lambda x: HalfSquare.apply(x, scale=3.0).sum(), RNG.standard_normal(4))
    assert report.kind == "scale" and "0.5 ×" in report.message


def test_a_graph_of_built_ins_has_nothing_to_search():
    report = find_wrong_backward(lambda x: (x * x).sum(), RNG.standard_normal(3))
    assert report and report.nodes == [] and "no custom Function" in str(report)


def test_gradient_shape_error_has_attributes():
    x, b = Tensor(RNG.standard_normal((4, 2)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(GradientShapeError) as info:
        AddBias.apply(x, b).sum().backward()
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.op, err.slot, err.expected_shape, err.got_shape) == ("AddBias", 1, (2,), (4, 2))
    assert str(err) == "AddBias.backward returned a gradient of shape (4, 2) for input 1 of shape (2,)"


# ---- the CLI on a user's file ---------------------------------------------------------------------
USER_FILE = '''
import numpy as np
from tinygrad_softmax import Function


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return {factor} * x * x * g


def loss(W, X, y, reg):
    N = X.shape[0]
    s = X.dot(W)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    L = -np.log(p[np.arange(N), y]).mean() + 0.5 * reg * (W * W).sum()
    d = p.copy()
    d[np.arange(N), y] -= 1
    return L, X.T.dot(d / N) + {reg_factor} * reg * W
'''


@pytest.mark.parametrize("factor, reg_factor, code", [(3, 1, 0), (2, 0, 1)])
def test_cli_checks_a_users_function_and_loss(tmp_path, capsys, factor, reg_factor, code):
    path = tmp_path / "mine.py"
    path.write_text(USER_FILE.format(factor=factor, reg_factor=reg_factor))
    assert cli_main([f"{path}:Cube", "--shape", "3,2"]) == code
    out = capsys.readouterr().out
    assert ("passed" if code == 0 else "FAILED") in out
    rc = cli_main([f"{path}:loss", "--shape", "4,3", "--shape", "6,4", "--shape", "6:int3",
                   "--shape", "=0.1"])
    out = capsys.readouterr().out
    assert rc == code and "check_derivation" in out
    if code:
        assert "missing_term" in out and "0.1 × W (= reg)" in out


def test_cli_usage_errors(tmp_path, capsys):
    assert cli_main([f"{tmp_path}/nope.py:X"]) == 2
    assert "cannot load" in capsys.readouterr().err


def test_cli_is_reached_through_the_gradcheck_command(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(USER_FILE.format(factor=3, reg_factor=1)))
    run = subprocess.run([sys.executable, "-m", "tinygrad_softmax", "gradcheck", f"{path}:Cube",
                          "--shape", "2,2"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "gradcheck passed" in run.stdout


def test_every_report_shows_itself_at_a_prompt():
    from tinygrad_softmax import gradcheck

    rep = gradcheck(lambda x: (x * x).sum(), RNG.standard_normal(3), raise_exception=False)
    assert repr(rep) == str(rep) and "gradcheck passed" in repr(rep)
    found = find_wrong_backward(lambda x: HalfSquare.apply(x).sum(), RNG.standard_normal(3))
    assert repr(found) == str(found) and "HalfSquare" in repr(found) and not found
