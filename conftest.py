"""The suite's one rule about skips, for the tests under tests/ and the doctests under
chainrule/ alike: on a developer's machine a test whose optional dependency (PyTorch,
matplotlib, safetensors, the Fashion-MNIST files) is missing is skipped; in CI, where `.ci/run`
installs all of them, such a skip is a failure, so a broken install can never pass as a green
run that quietly tested less. The doctests of `chainrule/viz/` draw with matplotlib, so they
count as needing it.

CI is recognised by ``CI=true`` (set by every CI service, and by this project's) or
``CHAINRULE_NO_SKIPS=1`` (to ask for the same on a developer's machine).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# The reasons pytest.importorskip and this suite's data markers give for a missing dependency.
MISSING_DEPENDENCY = ("could not import", "is not installed", "is absent")


def skips_are_failures() -> bool:
    return (os.environ.get("CI", "").lower() in ("1", "true", "yes")
            or os.environ.get("CHAINRULE_NO_SKIPS") == "1")


def missing_dependency(report) -> str | None:
    """The skip reason of a report skipped for a missing dependency, else None."""
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return None
    reason = str(report.longrepr[2])
    return reason if any(text in reason for text in MISSING_DEPENDENCY) else None


def fail_instead(report, where: str) -> None:
    reason = missing_dependency(report)
    if reason is not None and skips_are_failures():
        report.outcome = "failed"
        report.longrepr = (f"{where} was skipped ({reason}), and in CI every test must run: "
                           "install the test extras with pip install -e '.[test]' and the "
                           "data with apt-get install dataset-fashion-mnist")


VIZ = Path(__file__).resolve().parent / "chainrule" / "viz"


def pytest_collection_modifyitems(items) -> None:
    if importlib.util.find_spec("matplotlib") is not None:
        return
    skip = pytest.mark.skip(reason="could not import 'matplotlib' (the viz doctests draw)")
    for item in items:
        if isinstance(item, pytest.DoctestItem) and VIZ in Path(item.path).parents:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    fail_instead(outcome.get_result(), item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    fail_instead(outcome.get_result(), collector.nodeid)
