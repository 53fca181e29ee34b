"""`tinygrad-softmax bench --quick` as a smoke test. Timing is never asserted: the numbers are
reported, not tested. What is asserted: every workload runs, its correctness check (ours vs the
hand-written closed form) passes, and a wrong implementation would be caught by that check."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_softmax import functional as F
from tinygrad_softmax.commands import bench

WORKLOADS = ["W1", "W1 compiled", "W1 compiled args", "W1 plain", "W1c", "W2", "W2 compiled",
             "W2 compiled args", "W2 plain", "W3", "W3 compiled", "W3 compiled args",
             "W4", "W4 compiled", "W5", "W5 compiled", "MEM fused", "MEM composed"]


def test_quick_bench_runs_every_workload_and_every_check_passes(capsys):
    assert bench.main(["--quick", "--json", "--reps", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {r["name"]: r for r in report["results"]}
    assert sorted(rows) == sorted(WORKLOADS)
    for name, row in rows.items():
        assert "MISMATCH" not in row["check"] and "FAILED" not in row["check"], (name, row["check"])
        assert row["ratio"] > 0 and (row["target"] is not None or name.endswith(("plain", "args")))
    for name in ("MEM fused", "MEM composed"):
        assert "graph freed by reference counting" in rows[name]["check"]
        assert "only the gradient remains" in rows[name]["check"]
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["numpy"] == np.__version__


def test_the_table_names_each_workload_and_its_target(capsys):
    assert bench.main(["--quick", "--only", "W4,W5", "--reps", "1"]) == 0
    out = capsys.readouterr().out
    assert "W4" in out and "W5" in out and "≤5.0×" in out and "≤6.0×" in out
    assert "timing is reported, not asserted" in out


def test_a_wrong_loss_fails_the_correctness_check(capsys, monkeypatch):
    real = F.softmax_cross_entropy
    monkeypatch.setattr(F, "softmax_cross_entropy", lambda logits, y, **kw: real(logits, y, **kw) * 2.0)
    assert bench.main(["--quick", "--json", "--only", "W1,W3", "--reps", "1"]) == 1
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    for name in ("W1", "W1 compiled", "W3", "W3 compiled"):  # the framework's loss; "W1 plain" is NumPy's
        assert rows[name]["check"].startswith("MISMATCH") and rows[name]["ratio"] is None
        assert "max |d param|" in rows[name]["check"]  # how far the parameters moved off the floor's
    assert not rows["W1 plain"]["check"].startswith("MISMATCH")


def test_python_dash_m_runs_the_bench():
    out = subprocess.run([sys.executable, "-m", "tinygrad_softmax", "bench", "--quick", "--only", "W5",
                          "--reps", "1", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][0]["name"] == "W5"


def test_cpu_clock_option_times_with_process_cpu_time(capsys, monkeypatch):
    calls = []
    real = bench.time.process_time
    monkeypatch.setattr(bench.time, "process_time", lambda: calls.append(1) or real())
    assert bench.main(["--quick", "--json", "--only", "W4", "--reps", "1", "--clock", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["machine"]["clock"] == "process CPU time" and calls
    assert bench.main(["--quick", "--json", "--only", "W4", "--reps", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["machine"]["clock"] == "wall clock"


def _row(name, ratios, check="ok"):
    return bench.Row(name, "", None, ours=[2 * r for r in ratios], numpy=[2.0] * len(ratios),
                     ratios=list(ratios), check=check)


def test_pooled_instances_merge_every_rep_of_every_instance():
    made = []

    def make_rows(i):
        made.append(i)
        return [_row("A", [1.0 + i, 1.5 + i]), _row("B", [3.0 + i])]
    rows = bench.pooled(make_rows, 3)
    assert made == [0, 1, 2]  # a fresh build per instance
    a, b = rows
    assert a.ratios == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5] and b.ratios == [3.0, 4.0, 5.0]
    assert a.ours == [2 * r for r in a.ratios] and len(a.numpy) == 6
    assert a.summary()["ratio"] == 2.25  # the median of all six reps


def test_pooled_keeps_a_failed_check_from_any_instance():
    rows = bench.pooled(lambda i: [_row("A", [1.0], "MISMATCH: x" if i == 1 else "ok")], 3)
    assert rows[0].check == "MISMATCH: x"
    # the first instance's failure (the deep chain runs only there) survives later passing checks
    rows = bench.pooled(lambda i: [_row("W5", [1.0], "ok; deep chain FAILED" if i == 0 else "ok")], 3)
    assert rows[0].check == "ok; deep chain FAILED"
    rows = bench.pooled(lambda i: [_row("A", [1.0], f"ok {i}")], 2)
    assert rows[0].check == "ok 0"  # passing checks: the first instance's words


def test_instances_below_one_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        bench.main(["--quick", "--instances", "0"])
    assert info.value.code == 2 and "--instances must be at least 1, got 0" in capsys.readouterr().err


def test_pooled_refuses_bad_instance_counts_and_new_rows():
    for bad in (0, -1):
        with pytest.raises(ValueError, match=f"at least 1, got {bad}"):
            bench.pooled(lambda i: [_row("A", [1.0])], bad)
    with pytest.raises(ValueError, match="'B'"):
        bench.pooled(lambda i: [_row("A" if i == 0 else "B", [1.0])], 2)


def test_instances_option_pools_and_says_so(capsys):
    assert bench.main(["--quick", "--only", "W4", "--reps", "2", "--instances", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["instances"] == 2
    row = next(r for r in report["results"] if r["name"] == "W4 compiled")
    assert row["ratio"] > 0 and "MISMATCH" not in row["check"]
    assert bench.main(["--quick", "--only", "W4", "--reps", "1", "--instances", "2"]) == 0
    assert "2 instances, pooled" in capsys.readouterr().out
