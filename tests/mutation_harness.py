"""A pytest plugin that runs many mutmut mutants in one pytest process (not a test file).

mutmut 3.8.1 copies the package into ``mutants/`` with every mutant compiled in behind a
trampoline that picks the version named by the environment variable ``MUTANT_UNDER_TEST``. This
plugin sets that variable mutant by mutant and runs, for each, the tests that cover the mutated
function (from ``mutants/mutmut-stats.json``, or every collected test), stopping at the first test
that fails: the mutant is then killed. It stands in for ``mutmut run`` where that fails at its
clean-test step (docs/testing.md says when), and gives the same verdicts: it is mutmut's own
switch, run in one process.

Use, from ``mutants/`` after a ``mutmut run`` has generated the mutants and collected stats::

    HARNESS_MUTANTS=names.txt HARNESS_OUT=out.tsv HARNESS_USE_STATS=1 HARNESS_BUDGET=45 \\
      PYTHONPATH=.:../tests python -m pytest -p mutation_harness -p no:cacheprovider -q --tb=no TESTS...

``names.txt`` holds one full mutant name a line (``tinygrad_softmax.tensor.x__seed__mutmut_3``).
Each line of ``out.tsv``: name, ``killed``/``survived``/``survived-budget``, how many tests were
run for it, seconds, and the test that killed it. ``HARNESS_BUDGET`` (seconds) stops running
tests for one mutant after that long and reports ``survived-budget``: count those as survivors
(a lower bound on the kill rate) or re-run them without a budget. It does not run the tests
unmutated first: run them once as they are (``MUTANT_UNDER_TEST`` empty), since a test that fails
anyway would count every mutant it covers as killed.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

from _pytest.runner import runtestprotocol


class _Timeout(Exception):
    pass


def _alarm(*_: Any) -> None:
    raise _Timeout()


def pytest_runtestloop(session: Any) -> bool:
    with open(os.environ["HARNESS_MUTANTS"]) as f:
        names = [line.strip() for line in f if line.strip()]
    budget = float(os.environ.get("HARNESS_BUDGET", "1e9"))
    covered = None
    durations: dict[str, float] = {}
    if os.environ.get("HARNESS_USE_STATS"):
        with open("mutmut-stats.json") as f:
            stats = json.load(f)
        covered, durations = stats["tests_by_mangled_function_name"], stats["duration_by_test"]
    signal.signal(signal.SIGALRM, _alarm)

    def fails(item: Any) -> bool | str:
        signal.alarm(20)  # one test that hangs under a mutant counts as a kill
        try:
            return any(report.failed for report in runtestprotocol(item, log=False, nextitem=None))
        except _Timeout:
            return "timeout"
        finally:
            signal.alarm(0)

    with open(os.environ["HARNESS_OUT"], "w") as out:
        for name in names:
            os.environ["MUTANT_UNDER_TEST"] = name
            function = name.rsplit("__mutmut_", 1)[0]
            items = list(session.items)
            if covered is not None:
                tests = set(covered.get(function, ()))
                items = [it for it in items if it.nodeid in tests]
                items.sort(key=lambda it: durations.get(it.nodeid, 1.0))  # quick tests first
            killer, verdict, start = "", "survived", time.time()
            for item in items:
                if time.time() - start > budget:
                    verdict = "survived-budget"
                    break
                result = fails(item)
                if result:
                    killer = item.nodeid + (" (timeout)" if result == "timeout" else "")
                    verdict = "killed"
                    break
            out.write(f"{name}\t{verdict}\t{len(items)}\t{time.time() - start:.1f}s\t{killer}\n")
            out.flush()
    os.environ["MUTANT_UNDER_TEST"] = ""
    return True
