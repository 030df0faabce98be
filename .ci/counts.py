"""Prints one line per test lane from pytest's JUnit XML files, then a total, and exits 1 if
any lane failed, has errors, or ran no test: ``python3 .ci/counts.py LANE.xml ...``.

Each test counts on its own: the suite skips test by test, never a whole module at once
(tests/optional.py), so a skipped count is the number of tests that did not run.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def lane_counts(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) of one JUnit XML report; errors count as failures."""
    if not path.is_file():
        return 0, 1, 0  # the lane never produced a report: count it as a failure
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return total - failed - skipped, failed, skipped


def main(paths: list[str]) -> int:
    sums = [0, 0, 0]
    bad = False
    for name in paths:
        passed, failed, skipped = lane_counts(Path(name))
        print(f"{Path(name).stem}: {passed} passed, {failed} failed, {skipped} skipped")
        sums = [s + n for s, n in zip(sums, (passed, failed, skipped))]
        bad = bad or failed > 0 or passed == 0
    print(f"total: {sums[0]} passed, {sums[1]} failed, {sums[2]} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
