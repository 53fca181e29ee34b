"""The docs tell the truth about the code: line counts and names they quote are computed here.

* A line count is written ``\\`Qualified.name\\` (module.py, N code lines)`` for a function or class, or
  ``\\`module.py\\` (N code lines)`` for a whole file (paths relative to ``tinygrad_softmax/``).
  A *code line* is a line holding Python tokens, other than a docstring: blank lines and comment
  lines do not count. The test recomputes N; change the code, and the test names the new number.
* A quoted path ``tinygrad_softmax/....py`` must exist, and a quoted dotted name whose first part
  is one of our modules or public classes (``ops.sum_to``, ``Tensor.backward``,
  ``tinygrad_softmax.hooks.observe``) must resolve.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import io
import re
import textwrap
import tokenize
from pathlib import Path

import pytest

import tinygrad_softmax

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tinygrad_softmax"
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
DOCS = [p for p in DOCS if p.name != "api.md"]  # generated from the code, checked by test_api_docs

COUNT_OF_NAME = re.compile(r"`(?P<name>[A-Za-z_][\w.]*)`\s+\((?P<file>[\w/]+\.py),\s+"
                           r"(?P<n>\d+)\s+code\s+lines\)")
COUNT_OF_FILE = re.compile(r"`(?P<file>[\w/]+\.py)`\s+\((?P<n>\d+)\s+code\s+lines\)")
QUOTED = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def code_lines(source: str) -> int:
    """The number of lines holding Python tokens, docstrings excluded."""
    source = textwrap.dedent(source)
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER}
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in skip:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines - docstrings)


def test_code_lines_counts_code_only():
    src = ('def f(x):\n    """Doc\n    string."""\n\n    # a comment\n'
           '    y = (x +\n         1)  # trailing\n    return y\n')
    assert code_lines(src) == 4  # def, the two lines of y = ..., return


def _module_of(file: str):
    return importlib.import_module("tinygrad_softmax." + file.removesuffix(".py").replace("/", "."))


def _claims(pattern: re.Pattern[str]) -> list[tuple[str, re.Match[str]]]:
    return [(p.name, m) for p in DOCS for m in pattern.finditer(p.read_text(encoding="utf-8"))]


def _id(claim: re.Match[str]) -> str:
    return " ".join(claim.group(0).split())


NAME_CLAIMS = _claims(COUNT_OF_NAME)
FILE_CLAIMS = _claims(COUNT_OF_FILE)


def test_the_docs_quote_counts_in_the_checkable_form():
    assert NAME_CLAIMS, "no `Name` (file.py, N code lines) claim found: the pattern or the docs changed"
    for path in DOCS:  # a vague count ("about thirty lines") cannot be checked: write the number
        text = path.read_text(encoding="utf-8")
        vague = re.findall(r"about \w+ (?:code )?lines", text)
        assert not vague, f"{path.name}: {vague}; write `Name` (file.py, N code lines) instead"


@pytest.mark.parametrize("doc, claim", NAME_CLAIMS, ids=[_id(m) for _, m in NAME_CLAIMS])
def test_line_counts_of_functions_and_classes(doc, claim):
    obj = _module_of(claim["file"])
    for part in claim["name"].split("."):
        obj = getattr(obj, part)
    actual = code_lines(inspect.getsource(obj))
    assert actual == int(claim["n"]), (f"{doc} says {_id(claim)}; it is {actual} code "
                                       "lines now: write "
                                       f"`{claim['name']}` ({claim['file']}, {actual} code lines)")


@pytest.mark.parametrize("doc, claim", FILE_CLAIMS, ids=[_id(m) for _, m in FILE_CLAIMS])
def test_line_counts_of_files(doc, claim):
    actual = code_lines((PACKAGE / claim["file"]).read_text(encoding="utf-8"))
    assert actual == int(claim["n"]), f"{doc} says {claim.group(0)}; it is {actual} code lines now"


def _roots() -> dict[str, object]:
    """First parts of dotted names that are ours: the package, its modules, its public names."""
    roots: dict[str, object] = {"tinygrad_softmax": tinygrad_softmax}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        if not rel.name.startswith("_") and len(rel.parts) == 1:
            roots[rel.name] = importlib.import_module(f"tinygrad_softmax.{rel.name}")
    for name in tinygrad_softmax.__all__:
        obj = getattr(tinygrad_softmax, name)
        if inspect.isclass(obj):
            roots[name] = obj
    roots.pop("trace", None)  # "trace" is also what the docs call a BackwardTrace variable
    return roots


def wrong_names(text: str, roots: dict[str, object]) -> list[str]:
    """The quoted paths and dotted names in ``text`` that do not exist."""
    wrong = []
    for quoted in QUOTED.findall(text):
        for file in re.findall(r"tinygrad_softmax/[\w/]+\.py", quoted):
            if not (ROOT / file).exists():
                wrong.append(f"{file} does not exist")
        for name in DOTTED.findall(quoted):
            first, *rest = name.split(".")
            if first not in roots or rest[-1] in ("py", "md", "html", "js", "css", "npz") \
                    or quoted.startswith(("python", "tinygrad-softmax", "pip")):
                continue
            obj = roots[first]
            for part in rest:
                if hasattr(obj, part):
                    obj = getattr(obj, part)
                elif hasattr(obj, "__path__") and importlib.util.find_spec(f"{obj.__name__}.{part}"):
                    obj = importlib.import_module(f"{obj.__name__}.{part}")  # a submodule
                else:
                    wrong.append(f"`{quoted}` quotes {name}, which does not exist")
                    break
    return wrong


def test_wrong_names_finds_renamed_things():
    text = "`ops.sum_to` `Tensor.backward` `ops.no_such_op` `tinygrad_softmax/bench.py` `np.nope` `trace.x`"
    assert sorted(wrong_names(text, _roots())) == [
        "`ops.no_such_op` quotes ops.no_such_op, which does not exist",
        "tinygrad_softmax/bench.py does not exist"]


def test_quoted_paths_and_names_exist():
    roots = _roots()
    wrong = [f"{path.name}: {w}" for path in DOCS
             for w in wrong_names(path.read_text(encoding="utf-8"), roots)]
    assert not wrong, "\n".join(wrong)
