""".ci/run fails when any of its steps fails, and says what each lane ran.

The script runs for real in CI only; here it runs against stand-ins: `python3 -m venv` makes a
directory whose `pip` and `python` log their arguments and exit as the test asks, and whose
pytest writes a JUnit report with the counts the test chooses. Nothing is installed.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PYTHON3 = """#!/usr/bin/env bash
echo "python3 $*" >> "$STUB_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    printf 'PATH="%s/bin:$PATH"; export PATH\\ndeactivate() { :; }\\n' "$3" > "$3/bin/activate"
    ln -s "$STUB_DIR/venv-tool" "$3/bin/pip"
    ln -s "$STUB_DIR/venv-tool" "$3/bin/python"
    exit 0
fi
exec "$REAL_PYTHON" "$@"
"""

VENV_TOOL = """#!/usr/bin/env bash
tool=$(basename "$0")
echo "$tool $*" >> "$STUB_LOG"
if [ "$tool $1" = "pip install" ]; then exit "$STUB_PIP_STATUS"; fi
if [ "$tool $1 $2" = "python -m pytest" ]; then
    for arg in "$@"; do
        case $arg in --junitxml=*)
            printf '<testsuite tests="7" failures="%s" errors="0" skipped="2"/>' \\
                "$STUB_FAILURES" > "${arg#--junitxml=}";;
        esac
    done
    exit "$STUB_PYTEST_STATUS"
fi
exit 0
"""


def write_tool(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_ci(tmp_path: Path, pip=0, pytest_status=0, failures=0) -> tuple[int, str, list[str]]:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    write_tool(stubs / "python3", PYTHON3)
    write_tool(stubs / "venv-tool", VENV_TOOL)
    write_tool(stubs / "apt-get", '#!/usr/bin/env bash\necho "apt-get $*" >> "$STUB_LOG"\n')
    log = tmp_path / "log"
    log.touch()
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "STUB_LOG": str(log),
           "STUB_DIR": str(stubs), "REAL_PYTHON": sys.executable, "STUB_PIP_STATUS": str(pip),
           "STUB_PYTEST_STATUS": str(pytest_status), "STUB_FAILURES": str(failures)}
    done = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout + done.stderr, log.read_text().splitlines()


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="bash script")


def test_a_clean_run_exits_0_and_prints_a_counts_line_per_lane(tmp_path):
    status, out, calls = run_ci(tmp_path)
    assert status == 0, out
    assert "newest: 5 passed, 0 failed, 2 skipped" in out.splitlines()
    assert "numpy1.26: 5 passed, 0 failed, 2 skipped" in out.splitlines()
    assert out.splitlines()[-1] == "total: 10 passed, 0 failed, 4 skipped"
    installs = sorted(c for c in calls if c.startswith("pip install"))  # run at the same time
    assert installs == ["pip install -q -e .[test]", "pip install -q -e .[test] numpy==1.26.4"]
    tests = [c for c in calls if c.startswith("python -m pytest")]
    assert len(tests) == 2 and "-m not slow and not real_data" in tests[1]


def test_a_failed_install_stops_the_run_before_any_test(tmp_path):
    status, out, calls = run_ci(tmp_path, pip=1)
    assert status != 0, out
    assert not [c for c in calls if "pytest" in c]
    assert "passed" not in out


def test_failing_tests_fail_the_run_after_both_lanes_report(tmp_path):
    status, out, calls = run_ci(tmp_path, pytest_status=1, failures=3)
    assert status != 0
    assert len([c for c in calls if c.startswith("python -m pytest")]) == 2
    assert out.splitlines().count("newest: 2 passed, 3 failed, 2 skipped") == 1


def test_a_pytest_crash_without_failed_tests_still_fails_the_run(tmp_path):
    status, out, _ = run_ci(tmp_path, pytest_status=3)
    assert status != 0
    assert "failed lanes: newest numpy1.26" in out or "exited with status 3" in out


def test_the_readme_shows_the_test_command_that_ci_runs():
    readme = (ROOT / "README.md").read_text()
    script = (ROOT / ".ci" / "run").read_text()
    for step in ('pip install -e ".[test]"', "python -m pytest"):
        assert step in readme
    assert 'pip install -q -e ".[test]"' in script and "python -m pytest" in script
