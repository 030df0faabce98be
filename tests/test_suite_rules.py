"""Rules the test suite keeps so that its counts tell the truth.

A module-level ``pytest.importorskip`` (or ``pytest.skip(allow_module_level=True)``) makes pytest
report a whole module as one skipped test: on a machine without torch, 844 parity tests once
showed up as 3 skips. Modules mark themselves with ``pytestmark = needs_torch`` instead
(tests/optional.py), which skips, and counts, test by test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def module_level_skips(source: str) -> list[int]:
    """Line numbers of skip calls that run when the module is imported (outside any def)."""
    tree = ast.parse(source)
    lines = []
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("importorskip", "skip"):
                lines.append(node.lineno)
    return lines


def test_module_level_skip_detection_sees_both_forms():
    source = ('import pytest\ntorch = pytest.importorskip("torch")\n'
              'pytest.skip("x", allow_module_level=True)\n'
              'def test_x():\n    pytest.importorskip("torch")\n')
    assert module_level_skips(source) == [2, 3]


def test_no_test_module_skips_as_a_whole():
    offenders = {str(path.relative_to(TESTS)): module_level_skips(path.read_text())
                 for path in TESTS.rglob("*.py")}
    assert {path: lines for path, lines in offenders.items() if lines} == {}


DOCS = TESTS.parent / "docs"
CITATION = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?")


def cited_tests(text: str) -> list[tuple[str, str]]:
    """(file, function) for every `tests/x.py::name` and every `::name` that follows one."""
    cited, current = [], None
    for file, name in CITATION.findall(text):
        current = file or current
        if name and current:
            cited.append((current, name))
    return cited


def defined_functions(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_citation_parsing_follows_the_last_named_file():
    text = "`tests/a.py::test_x`, `::test_y`; `tests/b.py` and `::test_z`"
    assert cited_tests(text) == [("tests/a.py", "test_x"), ("tests/a.py", "test_y"),
                                 ("tests/b.py", "test_z")]


def test_every_test_the_docs_cite_exists():
    missing = []
    for doc in sorted(DOCS.glob("*.md")):
        for file, name in cited_tests(doc.read_text()):
            path = TESTS.parent / file
            if not path.is_file() or name not in defined_functions(path):
                missing.append(f"{doc.name}: {file}::{name}")
    assert missing == []
