"""The docs runner: every ```python block of README.md and docs/*.md runs, and so do the doctests.

* One test per Markdown file. Its ```python blocks run in order, in one shared namespace, with
  the repository root as working directory and matplotlib on its non-interactive Agg backend.
  A failing block is reported with the file and the line its code starts on, and tracebacks
  point at the Markdown lines themselves (each block is compiled with the file's name and
  its real line numbers). ```text, ```bash and other fences are not run. A ```text block
  announced by a ``<!-- output -->`` line right after a python block is that block's expected
  output: the test compares it with what the block printed.
* One test per module of the package: the ``>>>`` examples in its docstrings (doctest). A module
  that needs an optional dependency (hypothesis, matplotlib) is skipped only when that
  dependency is not installed; any other import error fails.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib
import importlib.util
import io
import pkgutil
import re
import sys
import traceback
from pathlib import Path

import pytest

import tinygrad_softmax

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})(?P<info>[^`]*)$")
OPTIONAL = {"hypothesis", "matplotlib"}  # extras a module may need; not runtime dependencies


def markdown_files() -> list[Path]:
    files = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
    return [f for f in files if f.is_file()]


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ```python blocks of a Markdown text: (line number of the block's first code line, code)."""
    return [(line, code) for line, code, _ in checked_blocks(text)]


def checked_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """(first code line, code, expected output or None) for each ```python block.

    A block ends at a closing fence of the same character, at least as long, as CommonMark says;
    the opening fence's indentation is removed from each line (blocks inside list items).
    The expected output is the ```text block that follows a python block after a line
    ``<!-- output -->`` (blank lines allowed in between): what the block must print.
    """
    fenced = fenced_blocks(text)
    lines = text.splitlines()
    result: list[tuple[int, str, str | None]] = []
    for k, (first, last, info, body) in enumerate(fenced):
        if info.split()[:1] != ["python"]:
            continue
        expected = None
        if k + 1 < len(fenced):
            nxt_first, _, nxt_info, nxt_body = fenced[k + 1]
            between = [line.strip() for line in lines[last:nxt_first - 2]]
            if nxt_info.split()[:1] == ["text"] and [b for b in between if b] == ["<!-- output -->"]:
                expected = nxt_body
        result.append((first, body, expected))
    return result


def fenced_blocks(text: str) -> list[tuple[int, int, str, str]]:
    """Every fenced block: (first content line, closing fence line, info string, content)."""
    blocks: list[tuple[int, int, str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, ticks, info = m.group("indent"), m.group("ticks"), m.group("info").strip()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            close = FENCE.match(lines[j])
            if close and close.group("ticks")[0] == ticks[0] and len(close.group("ticks")) >= len(ticks) \
                    and not close.group("info").strip():
                break
            line = lines[j]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            j += 1
        blocks.append((i + 2, j + 1, info, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def run_markdown(path: Path, root: Path = ROOT) -> int:
    """Run the python blocks of ``path`` in order in one namespace; fail naming file and line.
    Returns how many blocks ran."""
    rel = path.relative_to(root)
    namespace: dict[str, object] = {"__name__": f"docs:{rel}"}
    ran = 0
    for first_line, code, expected in checked_blocks(path.read_text(encoding="utf-8")):
        printed = io.StringIO()
        try:
            # Padding with newlines makes tracebacks and SyntaxErrors give the Markdown line numbers.
            compiled = compile("\n" * (first_line - 1) + code, str(path), "exec")
            with contextlib.redirect_stdout(printed):
                exec(compiled, namespace)
        except Exception as exc:  # noqa: BLE001 - any error in a doc block is a test failure
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
            where = f"{rel}:{frames[-1].lineno}" if frames else f"{rel}:{first_line}"
            if isinstance(exc, SyntaxError) and exc.lineno:
                where = f"{rel}:{exc.lineno}"
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))
            pytest.fail(f"{rel}: the python block starting at line {first_line} failed at {where}:\n{detail}",
                        pytrace=False)
        finally:
            if "matplotlib.pyplot" in sys.modules:
                sys.modules["matplotlib.pyplot"].close("all")
        if expected is not None and _lines(printed.getvalue()) != _lines(expected):
            pytest.fail(f"{rel}: the python block starting at line {first_line} printed\n"
                        f"{printed.getvalue()}\nbut the <!-- output --> block after it says\n{expected}",
                        pytrace=False)
        ran += 1
    return ran


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_code_blocks_run(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    ran = run_markdown(path)
    assert ran == len(python_blocks(path.read_text(encoding="utf-8")))  # every block ran, none skipped


def package_modules() -> list[str]:
    names = [tinygrad_softmax.__name__]
    for info in pkgutil.walk_packages(tinygrad_softmax.__path__, prefix="tinygrad_softmax."):
        if info.name.rsplit(".", 1)[-1] != "__main__":  # importing __main__ would run the CLI
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("module_name", package_modules())
def test_docstring_examples(module_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in OPTIONAL and importlib.util.find_spec(missing) is None:
            pytest.skip(f"{module_name} needs the optional dependency {missing}, which is not installed")
        raise
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    for test in finder.find(module, module_name):
        runner.run(test, out=out.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, (f"{results.failed} of {results.attempted} doctest examples failed in "
                                 f"{module_name}:\n" + "".join(out))


def test_the_runner_finds_blocks_and_reports_lines(tmp_path: Path) -> None:
    text = ("# t\n\n```python\nx = 1\n```\n\n```text\nnot run\n```\n\n"
            "- item\n\n  ```python\n  y = x + 1\n  ```\n")
    assert python_blocks(text) == [(4, "x = 1\n"), (14, "y = x + 1\n")]
    bad = tmp_path / "probe.md"
    bad.write_text("```python\nok = 1\n```\n\n"
                   "```python\nok += 1\nassert ok == 2\nraise ValueError('boom')\n```\n")
    with pytest.raises(pytest.fail.Exception, match=r"probe.md: the python block starting at line 6 "
                                                    r"failed at probe.md:8"):
        run_markdown(bad, root=tmp_path)


def test_an_output_block_must_match_what_the_code_printed(tmp_path: Path) -> None:
    doc = tmp_path / "out.md"
    doc.write_text("```python\nprint('a')\nprint('b  ')\n```\n\n<!-- output -->\n```text\na\nb\n```\n\n"
                   "```python\nprint(1)\n```\n\n```text\nnot checked: no marker\n```\n")
    assert [e for _, _, e in checked_blocks(doc.read_text())] == ["a\nb\n", None]
    run_markdown(doc, root=tmp_path)  # matches (trailing spaces ignored)
    doc.write_text("```python\nprint('a')\n```\n\n<!-- output -->\n```text\nA\n```\n")
    with pytest.raises(pytest.fail.Exception, match="printed\na\n"):
        run_markdown(doc, root=tmp_path)
