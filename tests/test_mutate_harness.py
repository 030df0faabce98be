"""The mutation harness (``python -m tests.mutate``) and its table, without running the table:
the table is well formed and current, planting restores files, and one cheap mutant is killed
end to end."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests import mutate
from tests.mutants import (
    ACCEPTED_SURVIVORS,
    ACCEPTED_WHEN_MISSING,
    MUTANTS,
    MUTANTS_BY_ID,
    REQUIRED_AREAS,
    Mutant,
)

ROOT = Path(__file__).resolve().parent.parent


def test_table_has_at_least_40_mutants_with_unique_ids_covering_every_area():
    ids = [m.id for m in MUTANTS]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]
    assert REQUIRED_AREAS <= {m.area for m in MUTANTS}, REQUIRED_AREAS - {m.area for m in MUTANTS}
    assert all(m.bug and m.tests and m.find != m.replace for m in MUTANTS)


def test_every_snippet_occurs_exactly_once_in_the_current_tree():
    assert mutate.check_table(MUTANTS) == []


def test_every_test_selection_names_existing_files():
    for m in MUTANTS:
        words = shlex.split(m.tests)
        paths = [w for i, w in enumerate(words)
                 if not w.startswith("-") and (i == 0 or words[i - 1] != "-k")]
        assert paths, m.id
        for path in paths:
            assert (ROOT / path.split("::")[0]).exists(), f"{m.id}: {path}"


def test_accepted_survivors_are_rows_of_the_table_with_a_reason():
    for accepted in (ACCEPTED_SURVIVORS, *ACCEPTED_WHEN_MISSING.values()):
        for mutant_id, reason in accepted.items():
            assert mutant_id in MUTANTS_BY_ID and len(reason) > 20, mutant_id


def test_a_stale_snippet_is_reported():
    stale = Mutant("stale", "engine", "chainrule/autograd.py", "no such code", "x", "bug", "t")
    twice = Mutant("twice", "engine", "chainrule/autograd.py", "return", "x", "bug", "t")
    problems = mutate.check_table([stale, twice])
    assert "occurs 0 times" in problems[0] and "occurs" in problems[1]


def test_planting_swaps_the_snippet_and_restores_the_file_even_after_an_error(tmp_path):
    path = tmp_path / "pkg" / "mod.py"
    path.parent.mkdir()
    path.write_text("x = 1\ny = x + 2\n")
    before = path.stat().st_mtime_ns
    m = Mutant("m", "engine", "pkg/mod.py", "x + 2", "x - 2", "sign", "t")
    with pytest.raises(ZeroDivisionError), mutate.planted(tmp_path, m):
        assert path.read_text() == "x = 1\ny = x - 2\n"
        1 / 0
    assert path.read_text() == "x = 1\ny = x + 2\n" and path.stat().st_mtime_ns == before


def test_one_cheap_mutant_is_killed_end_to_end():
    result = subprocess.run([sys.executable, "-m", "tests.mutate", "--only", "dropout-unscaled"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KILLED        dropout-unscaled" in result.stdout
    assert "mutants: 1 killed, 0 survived" in result.stdout


def test_a_hanging_run_is_stopped_at_its_limit_and_reported_as_a_timeout(tmp_path):
    (tmp_path / "test_hang.py").write_text("import time\n\ndef test_hang():\n    time.sleep(60)\n")
    outcome = mutate.run_pytest(sys.executable, tmp_path, ["test_hang.py"], limit=3.0)
    assert outcome.returncode is None and outcome.seconds < 30
    assert outcome.first_failure.startswith("timed out after")
