"""The ``tinygrad-softmax gradcheck`` command: table, JSON, exit codes, options."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_softmax import ops
from tinygrad_softmax.commands import gradcheck as gradcheck_report

REQUIRED_OPS = {"add", "sub", "mul", "div", "neg", "pow", "matmul", "exp", "log", "tanh", "sum", "max",
                "getitem", "reshape", "transpose", "broadcast_to", "astype", "cross_entropy",
                "softmax_cross_entropy"}


def test_all_rows_pass_and_the_table_names_every_op(capsys):
    assert gradcheck_report.main([]) == 0
    out = capsys.readouterr().out
    header, *rows = out.split("\n\n")[0].splitlines()
    assert header.split()[:2] == ["op", "shapes"] and "max abs error" in header and "max rel error" in header
    assert {r.split()[0] for r in rows} >= REQUIRED_OPS
    assert all(r.rstrip().endswith("pass") for r in rows)
    assert f"{len(rows)} of {len(rows)} checks passed" in out
    # the shapes required by the issue are all there
    for shapes in ["(4,) @ (4, 3)", "(2, 3, 4) @ (4, 2)", "(5,)[[0, 2, 0, 0, 4]] (repeats)", "tie-free"]:
        assert shapes in out


def test_json_output(capsys):
    assert gradcheck_report.main(["--json", "--seed", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] and data["seed"] == 3 and data["n_failed"] == 0
    assert data["n_checks"] == len(data["results"])
    assert {r["op"] for r in data["results"]} >= REQUIRED_OPS
    for r in data["results"]:
        assert r["passed"] and r["report"] is None
        assert r["max_abs_error"] < (1e-4 if r["op"] == "astype" else 1e-8)  # float32 output: coarser


def test_a_broken_op_fails_its_rows_and_the_exit_code(capsys, monkeypatch):
    def wrong_tanh_backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out)  # should be 1 − out²

    monkeypatch.setattr(ops.Tanh, "backward", staticmethod(wrong_tanh_backward))
    assert gradcheck_report.main(["--only", "tanh", "--only", "exp"]) == 1
    out = capsys.readouterr().out
    rows = [r for r in out.split("\n\n")[0].splitlines()[1:]]
    assert {r.split()[0]: r.split()[-1] for r in rows} == {"tanh": "FAIL", "exp": "pass"}
    assert "1 of 3 checks passed" in out  # tanh as a method and as functional.tanh, and exp
    assert "--- tanh (3, 4) (order 1) ---" in out and "gradcheck FAILED" in out and "input 0 (a)" in out


def test_second_order_and_filters(capsys):
    argv = ["--second-order", "--only", "matmul", "--only", "softmax_cross_entropy"]
    assert gradcheck_report.main(argv) == 0
    data_rows = capsys.readouterr().out.split("\n\n")[0].splitlines()[1:]
    assert {r.split()[0] for r in data_rows} == {"matmul", "softmax_cross_entropy"}
    orders = [r.split()[-4] for r in data_rows]
    assert orders.count("1") == orders.count("2") == len(data_rows) // 2


def test_unknown_op_and_help(capsys):
    assert gradcheck_report.main(["--only", "nope"]) == 2
    assert "unknown op" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        gradcheck_report.main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "--seed" in text and "--json" in text and "--second-order" in text


@pytest.mark.parametrize("args,match", [(["--eps", "0"], "--eps must be > 0"), (["--eps", "nan"], "--eps"),
                                        (["--atol=-1e-5"], "--atol must be >= 0"),
                                        (["--rtol=-1"], "--rtol must be >= 0")])
def test_bad_tolerances_are_usage_errors(capsys, args, match):
    with pytest.raises(SystemExit) as info:
        gradcheck_report.main(args)
    assert info.value.code == 2
    assert match in capsys.readouterr().err


def test_seed_changes_the_inputs_deterministically():
    a = gradcheck_report.build_cases(0)
    b = gradcheck_report.build_cases(0)
    c = gradcheck_report.build_cases(1)
    np.testing.assert_array_equal(a[0].inputs[0], b[0].inputs[0])
    assert not np.array_equal(a[0].inputs[0], c[0].inputs[0])


def test_module_entry_point_in_a_subprocess():
    out = subprocess.run([sys.executable, "-m", "tinygrad_softmax", "gradcheck", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["passed"] is True


def test_list_into_a_pipe_closed_early_has_no_traceback():
    # `tinygrad-softmax gradcheck --list | head -1`: the reader goes away before we write. Closing our
    # end of the pipe before the child has even started makes the write fail every time.
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_softmax", "gradcheck", "--list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=root)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


# Section 3 of issue 12, name by name: each is a checked row of the table or listed as having no
# gradient (nn layers appear under their nn.* name or their functional op).
ISSUE_12_OPS = (
    "zeros ones full arange linspace eye rand randn zeros_like ones_like full_like "
    "unsqueeze squeeze view expand permute flatten flip repeat cat stack split chunk gather masked_fill "
    "where pad "
    "sqrt abs sigmoid clamp clip maximum minimum sin cos log1p expm1 square sign floor ceil round "
    "argmax argmin prod var std any all cumsum logsumexp "
    "relu leaky_relu elu gelu silu softplus tanh softmax log_softmax nll_loss mse_loss l1_loss "
    "binary_cross_entropy binary_cross_entropy_with_logits one_hot dropout einsum "
    "layer_norm nn.Dropout embedding nn.Sigmoid nn.GELU nn.SiLU flatten nn.Identity nn.Linear"
).split()


def test_every_op_of_issue_12_is_checked_or_listed_as_having_no_gradient(capsys):
    checked = {c.op for c in gradcheck_report.build_cases()}
    missing = [n for n in ISSUE_12_OPS if n not in checked and n not in gradcheck_report.NO_GRADIENT]
    assert not missing
    assert not checked & set(gradcheck_report.NO_GRADIENT)
    assert gradcheck_report.main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in gradcheck_report.NO_GRADIENT)


def test_what_the_table_calls_gradient_free_really_has_no_gradient():
    import tinygrad_softmax as tg
    from tinygrad_softmax import functional as F

    x = tg.Tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    made = [tg.zeros(2, requires_grad=True), tg.ones(2, requires_grad=True),
            tg.full((2,), 3.0, requires_grad=True),
            tg.arange(3.0, requires_grad=True), tg.linspace(0, 1, 3, requires_grad=True),
            tg.eye(2, requires_grad=True), tg.rand(2, generator=0, requires_grad=True),
            tg.randn(2, generator=0, requires_grad=True), tg.zeros_like(x, requires_grad=True),
            tg.ones_like(x, requires_grad=True), tg.full_like(x, 2.0, requires_grad=True)]
    assert all(t.is_leaf and t.requires_grad and t.grad_fn is None for t in made)  # leaves, no history
    for result in (x.argmax(), x.argmin(dim=1), x.any(), x.all(axis=0), F.one_hot(np.array([0, 2]))):
        assert not result.requires_grad and result.grad_fn is None and result.dtype.kind in "iub"
