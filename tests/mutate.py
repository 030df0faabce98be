"""Mutation testing: plant each bug of the table in ``tests/mutants.py`` in a scratch copy of the
repository, one at a time, and check that the tests named for it fail.

    python -m tests.mutate                   # the whole table, one job
    python -m tests.mutate --jobs 2          # two scratch copies, two mutants at a time
    python -m tests.mutate --only ID [ID ...]
    python -m tests.mutate --list
    python -m tests.mutate --python python3  # run the tests with another interpreter

The repository's files (``git ls-files``: tracked, plus untracked files git does not ignore) are
copied once per job into a temporary directory. Every distinct test selection first runs there
unmutated (the baseline); a mutant whose tests fail without it is not scored (BASELINE-FAIL).
Then each mutant's snippet is replaced in the copy, ``python -m pytest -x -q -p no:cacheprovider
<its tests>`` runs with ``PYTHONPATH`` set to the copy (and no bytecode written, so no stale
.pyc can outlive a mutant), and the file is restored. A failing run KILLED the mutant, a passing
one let it SURVIVE; a run that outlasts its limit (4× its baseline, at least ``--timeout``) is
killed and counts as killed (TIMEOUT: the bug made the tests hang).

The exit status is 0 when every mutant was killed or is an accepted survivor (with its reason,
in ``tests/mutants.py``), 1 when one survived unaccepted or a baseline failed, 2 when the table is
stale (a snippet not found exactly once) or the arguments are wrong. Only the standard library
is used; nothing is installed.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from tests.mutants import ACCEPTED_SURVIVORS, ACCEPTED_WHEN_MISSING, MUTANTS, Mutant

ROOT = Path(__file__).resolve().parent.parent
_IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", ".hypothesis",
                                  ".ruff_cache", "runs", "*.egg-info", ".venv", "venv")


@dataclass
class Outcome:
    """One pytest run: its exit status (None: timed out), seconds, and output."""

    returncode: int | None
    seconds: float
    output: str

    @property
    def first_failure(self) -> str:
        """The first FAILED/ERROR node id pytest reported, or a note."""
        if self.returncode is None:
            return f"timed out after {self.seconds:.0f}s"
        for line in self.output.splitlines():
            if line.startswith(("FAILED ", "ERROR ")):
                return line.split(" - ")[0]
        lines = [line for line in self.output.splitlines() if line.strip()]
        return lines[-1][:120] if lines else f"exit status {self.returncode}"


# ------------------------------------------------------------------ the table


def check_table(mutants: Iterable[Mutant], root: Path = ROOT) -> list[str]:
    """Problems with the table against the tree at ``root``: a snippet that does not occur
    exactly once in its file, a missing file, a no-op replacement. Empty when all is well."""
    problems = []
    for m in mutants:
        path = root / m.path
        if not path.is_file():
            problems.append(f"{m.id}: no file {m.path}")
            continue
        count = path.read_bytes().count(m.find.encode())
        if count != 1:
            problems.append(f"{m.id}: the snippet occurs {count} times in {m.path} "
                            f"(expected once): {m.find!r}")
        if m.find == m.replace:
            problems.append(f"{m.id}: the replacement equals the snippet")
    return problems


def select(ids: Sequence[str] | None) -> list[Mutant]:
    if not ids:
        return list(MUTANTS)
    known = {m.id: m for m in MUTANTS}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise SystemExit(f"mutate: unknown mutant id(s): {', '.join(unknown)} (see --list)")
    return [known[i] for i in dict.fromkeys(ids)]


# ------------------------------------------------------------------ scratch copies


def repository_files(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files (relative paths), or None without git."""
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached",
                                 "--others", "--exclude-standard"], capture_output=True,
                                check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in listed.decode().split("\0") if name]


def make_copy(root: Path, files: list[str] | None) -> Path:
    """A fresh temporary copy of the repository's files."""
    target = Path(tempfile.mkdtemp(prefix="chainrule-mutate-"))
    if files is None:
        shutil.copytree(root, target, ignore=_IGNORED, dirs_exist_ok=True)
        return target
    for name in files:
        source = root / name
        if source.is_file():  # a tracked file deleted in the worktree is skipped
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def child_env(copy: Path) -> dict[str, str]:
    """This environment, importing from ``copy`` and writing no bytecode. Without ``CI`` and
    ``CHAINRULE_NO_SKIPS``, which make a skip for a missing optional module a failure: here
    such skips are expected (``--python`` without torch) and accounted for by
    ``ACCEPTED_WHEN_MISSING``, and would otherwise fail the baselines."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "CHAINRULE_NO_SKIPS")}
    env["PYTHONPATH"] = str(copy)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_copy_is_imported(python: str, copy: Path) -> None:
    """Refuse to run when ``import chainrule`` in the copy does not load the copy (an
    installed chainrule shadowing it would make every mutant survive)."""
    found = subprocess.run([python, "-c", "import chainrule; print(chainrule.__file__)"],
                           cwd=copy, env=child_env(copy), capture_output=True, text=True)
    where = found.stdout.strip()
    if found.returncode != 0 or not Path(where).resolve().is_relative_to(copy.resolve()):
        raise SystemExit(f"mutate: {python} imports chainrule from {where or found.stderr!r}, "
                         f"not from the scratch copy {copy}")


def missing_modules(python: str, names: Iterable[str]) -> list[str]:
    """Those of the top-level modules ``names`` that ``python`` cannot import."""
    code = ("import importlib.util, sys; print(' '.join(n for n in sys.argv[1:] "
            "if importlib.util.find_spec(n) is None))")
    found = subprocess.run([python, "-c", code, *names], capture_output=True, text=True,
                           check=True)
    return found.stdout.split()


def run_pytest(python: str, copy: Path, args: Sequence[str], limit: float) -> Outcome:
    """``python -m pytest -x -q -p no:cacheprovider ARGS`` in ``copy``, killed (the whole
    process group) after ``limit`` seconds."""
    command = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args]
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=copy, env=child_env(copy), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               start_new_session=hasattr(os, "killpg"))
    try:
        output, _ = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
        output, _ = process.communicate()
        return Outcome(None, time.monotonic() - start, output)
    return Outcome(process.returncode, time.monotonic() - start, output)


class planted:
    """Context manager: ``mutant`` applied to its file in ``copy``, the original restored on
    exit (bytes and modification time)."""

    def __init__(self, copy: Path, mutant: Mutant) -> None:
        self.path, self.mutant = copy / mutant.path, mutant

    def __enter__(self) -> None:
        self.original = self.path.read_bytes()
        self.stat = self.path.stat()
        find, replace = self.mutant.find.encode(), self.mutant.replace.encode()
        if self.original.count(find) != 1:
            raise RuntimeError(f"{self.mutant.id}: snippet not found exactly once in the copy")
        self.path.write_bytes(self.original.replace(find, replace))

    def __exit__(self, *exc: object) -> None:
        self.path.write_bytes(self.original)
        os.utime(self.path, ns=(self.stat.st_atime_ns, self.stat.st_mtime_ns))


# ------------------------------------------------------------------ the run


@dataclass
class Result:
    mutant: Mutant
    status: str  # KILLED, TIMEOUT, SURVIVED, BASELINE-FAIL
    seconds: float
    detail: str


def score(mutant: Mutant, baseline: Outcome, copies: queue.Queue, python: str,
          min_timeout: float) -> Result:
    if baseline.returncode != 0:
        return Result(mutant, "BASELINE-FAIL", baseline.seconds,
                      f"unmutated: {baseline.first_failure}")
    limit = max(min_timeout, 4 * baseline.seconds)
    copy = copies.get()
    try:
        with planted(copy, mutant):
            outcome = run_pytest(python, copy, mutant.pytest_args, limit)
    finally:
        copies.put(copy)
    if outcome.returncode is None:
        return Result(mutant, "TIMEOUT", outcome.seconds, outcome.first_failure)
    if outcome.returncode in (0, 5):  # 5: no test ran (the mutant emptied the selection)
        return Result(mutant, "SURVIVED", outcome.seconds, "its tests pass")
    return Result(mutant, "KILLED", outcome.seconds, outcome.first_failure)


def run_baselines(mutants: list[Mutant], copies: queue.Queue, pool: ThreadPoolExecutor,
                  python: str, limit: float) -> dict[tuple[str, ...], Outcome]:
    """Each distinct test selection once, unmutated."""
    def baseline(args: tuple[str, ...]) -> Outcome:
        copy = copies.get()
        try:
            return run_pytest(python, copy, args, limit)
        finally:
            copies.put(copy)

    selections = list(dict.fromkeys(m.pytest_args for m in mutants))
    start = time.monotonic()
    print(f"baseline: {len(selections)} distinct test selections, unmutated ...", flush=True)
    outcomes = dict(zip(selections, pool.map(baseline, selections)))
    failed = sum(o.returncode != 0 for o in outcomes.values())
    print(f"baseline: done in {time.monotonic() - start:.0f}s, {failed} failed", flush=True)
    return outcomes


def report_line(result: Result) -> str:
    return (f"{result.status:<13} {result.mutant.id:<40} {result.seconds:6.1f}s  "
            f"{result.detail}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutate", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="print the table and exit")
    parser.add_argument("--jobs", type=int, default=1, help="parallel scratch copies (1)")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs the tests (default: this one)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="least seconds a mutant's tests may run before counting as "
                             "hung (default 60; the limit is 4x the baseline if longer)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    mutants = select(args.only)
    if args.list:
        for m in mutants:
            print(f"{m.id:<40} {m.area:<26} {m.path}\n    {m.bug}\n    tests: {m.tests}")
        print(f"{len(mutants)} mutants")
        return 0
    problems = check_table(mutants)
    if problems:
        print("mutate: the table is stale:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    python = shutil.which(args.python) or args.python
    missing = missing_modules(python, sorted(ACCEPTED_WHEN_MISSING))
    accepted = dict(ACCEPTED_SURVIVORS)
    for name in missing:
        accepted.update(ACCEPTED_WHEN_MISSING[name])
    present = ", ".join(f"{name} {'missing' if name in missing else 'present'}"
                        for name in sorted(ACCEPTED_WHEN_MISSING))
    print(f"mutate: {len(mutants)} mutants, python {python} ({present}), {args.jobs} job(s)",
          flush=True)
    start = time.monotonic()
    files = repository_files(ROOT)
    jobs = min(args.jobs, len(mutants))
    copies: queue.Queue = queue.Queue()
    made = [make_copy(ROOT, files) for _ in range(jobs)]
    lock = threading.Lock()
    results: dict[str, Result] = {}
    try:
        for copy in made:
            check_copy_is_imported(python, copy)
            copies.put(copy)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            baselines = run_baselines(mutants, copies, pool, python, 4 * args.timeout)

            def one(m: Mutant) -> None:
                result = score(m, baselines[m.pytest_args], copies, python, args.timeout)
                with lock:
                    results[m.id] = result
                    print(report_line(result), flush=True)

            list(pool.map(one, mutants))
    finally:
        for copy in made:
            shutil.rmtree(copy, ignore_errors=True)
    return summarise([results[m.id] for m in mutants], accepted, time.monotonic() - start)


def summarise(results: list[Result], accepted: dict[str, str], seconds: float) -> int:
    killed = [r for r in results if r.status in ("KILLED", "TIMEOUT")]
    timeouts = [r for r in results if r.status == "TIMEOUT"]
    survived = [r for r in results if r.status == "SURVIVED"]
    broken = [r for r in results if r.status == "BASELINE-FAIL"]
    unaccepted = [r for r in survived if r.mutant.id not in accepted]
    notes = []
    if timeouts:
        notes.append(f"{len(timeouts)} of the killed by timeout")
    if survived:
        notes.append(f"{len(survived) - len(unaccepted)} survivor(s) accepted")
    if broken:
        notes.append(f"{len(broken)} not scored: baseline failed")
    print(f"mutants: {len(killed)} killed, {len(survived)} survived"
          + (f" ({'; '.join(notes)})" if notes else "") + f"  [{seconds:.0f}s]")
    for r in survived:
        reason = accepted.get(r.mutant.id)
        label = f"accepted: {reason}" if reason else "NOT ACCEPTED: add a test that kills it"
        print(f"  survivor {r.mutant.id}: {r.mutant.bug}\n    {label}")
    for r in broken:
        print(f"  baseline failed for {r.mutant.id}: {r.detail} (tests: {r.mutant.tests})")
    stale = [r.mutant.id for r in killed if r.mutant.id in accepted]
    if stale:
        print(f"  note: accepted survivor(s) now killed, drop them from the accepted list: "
              f"{', '.join(stale)}")
    return 1 if unaccepted or broken else 0


if __name__ == "__main__":
    sys.exit(main())
