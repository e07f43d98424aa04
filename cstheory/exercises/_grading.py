"""Grade a whole class: every ``*.py`` file of a folder, sandboxed, in parallel, into one CSV.

``cstheory exercise grade NAME DIR --out grades.csv`` calls :func:`grade`.
Each submission is checked by :func:`cstheory.exercises.check_submission`
(a child process per file, with the wall-clock and memory limits); a pool
of threads drives the children, so ``workers`` submissions run at once.

The CSV has exactly the columns ``submission,exercise,verdict,seconds,message``
(one row per file, sorted by file name; the verdict is one of ``accepted``,
``rejected``, ``error`` — the file does not import, or has no function of
the exercise's name — and ``timeout``).  The seed the examples were drawn
from is recorded in every row's message, ``… (seed S)``, so the file stays a
plain table that any spreadsheet opens; ``cstheory exercise check NAME FILE
--seed S`` repeats a row's check.  With ``feedback=DIR`` each submission
also gets ``DIR/<file name without .py>.txt``: the full report with the
counterexample, the expected and returned values and the hint.  All files
are written to a temporary name and renamed, so a reader never sees half a
file.
"""
from __future__ import annotations

import csv
import io
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .._files import atomic_write, check_writable_directory
from ._sandbox import DEFAULT_MEMORY, DEFAULT_TIMEOUT, check_limits

__all__ = ["COLUMNS", "GradeRow", "GradeReport", "grade", "fresh_seed"]

#: The columns of the grades CSV, in order.
COLUMNS = ("submission", "exercise", "verdict", "seconds", "message")


@dataclass
class GradeRow:
    """One graded submission: a row of the CSV (plus the full report for the feedback file)."""

    submission: str
    exercise: str
    verdict: str
    seconds: float
    message: str
    report: str = ""


@dataclass
class GradeReport:
    """What :func:`grade` did: the rows (sorted by file name), the seed, the files written."""

    rows: list
    seed: int
    seconds: float
    workers: int
    out: str
    feedback: str | None = None
    counts: dict = field(default_factory=dict)


def fresh_seed() -> int:
    """A new random seed in [0, 2³²) (from the operating system's entropy)."""
    return secrets.randbelow(2**32)


def _usage(message):
    from . import UsageError
    return UsageError(message)


def _validate(name, directory, out, workers, timeout, seed, feedback, memory, max_examples):
    """Check every argument before any grading; return (exercise, files, workers, seed)."""
    from . import get
    exercise = get(name)
    directory = Path(directory)
    if not directory.is_dir():
        raise _usage(f"no such directory: {str(directory)!r}")
    files = sorted(p for p in directory.glob("*.py") if p.is_file())
    if not files:
        raise _usage(f"no *.py files in {str(directory)!r}: put one file per student there")
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise _usage(f"--workers must be a positive integer, got {workers!r}")
    try:
        check_limits(timeout, memory)
    except ValueError as exc:
        raise _usage(f"--{exc}") from None
    if max_examples is not None and (isinstance(max_examples, bool) or not isinstance(max_examples, int)
                                     or max_examples < 1):
        raise _usage(f"--max-examples must be a positive integer, got {max_examples!r}")
    if seed is None:
        seed = fresh_seed()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _usage(f"--seed must be an integer >= 0, got {seed!r}")
    out = Path(out)
    if out.is_dir():
        raise _usage(f"--out {str(out)!r} is a directory; give the name of the CSV file to write")
    problem = check_writable_directory(out.parent)
    if problem:
        raise _usage(f"cannot write --out {str(out)!r}: {problem}")
    if out.exists() and not os.access(out, os.W_OK):
        raise _usage(f"cannot write --out {str(out)!r}: the file is read-only")
    if feedback is not None:
        feedback = Path(feedback)
        try:
            feedback.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _usage(f"cannot create --feedback {str(feedback)!r}: {exc.strerror or exc}") from None
        problem = check_writable_directory(feedback)
        if problem:
            raise _usage(f"cannot write --feedback {str(feedback)!r}: {problem}")
    return exercise, files, workers, seed


def _feedback_text(row, seed, exercise_name):
    lines = [f"Submission: {row.submission}", f"Exercise:   {exercise_name}", f"Verdict:    {row.verdict}",
             f"Seed:       {seed} (repeat the check: cstheory exercise check {exercise_name} {row.submission} "
             f"--seed {seed})", "", row.report]
    return "\n".join(lines).rstrip() + "\n"


def _csv_text(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.submission, row.exercise, row.verdict, f"{row.seconds:.2f}", row.message])
    return buf.getvalue()


def grade(name, directory, out, *, workers=None, timeout=DEFAULT_TIMEOUT, seed=None, feedback=None,
          memory=DEFAULT_MEMORY, allow_cstheory=False, max_examples=None, progress=None) -> GradeReport:
    """Grade every ``*.py`` file of ``directory`` for exercise ``name``; write the CSV ``out``.

    Parameters
    ----------
    name : str
        The exercise.
    directory : str or path-like
        A folder with one Python file per student (not searched recursively).
    out : str or path-like
        The CSV to write (columns :data:`COLUMNS`).
    workers : int, optional
        Submissions checked at once (default: the number of CPU cores).
    timeout : float
        Wall-clock seconds per submission: its import and all calls together (default 60).
    seed : int, optional
        Draw the examples from this seed (default: a fresh one, recorded in the CSV).
    feedback : str or path-like, optional
        A folder for one feedback file per submission (created if needed).
    memory : int
        Address-space limit of each submission's process in bytes (default 2 GiB; 0: none).
    allow_cstheory : bool
        Let submissions import cstheory.
    max_examples : int, optional
        Hypothesis examples per submission (default 50).
    progress : file-like, optional
        Where to print one line per finished submission.

    Returns
    -------
    GradeReport

    Raises
    ------
    UsageError
        Unknown exercise, missing or empty directory, bad numbers, an ``out`` or
        ``feedback`` that cannot be written — all checked before any grading.
    """
    from . import check_submission
    exercise, files, workers, seed = _validate(name, directory, out, workers, timeout, seed, feedback, memory,
                                               max_examples)
    start = time.perf_counter()

    def one(path):
        t0 = time.perf_counter()
        try:
            result = check_submission(exercise.name, path, max_examples, seed=seed, timeout=timeout, memory=memory,
                                      allow_cstheory=allow_cstheory)
        except Exception as exc:  # noqa: BLE001 - a checker failure on one file must not stop the class
            message = f"the checker failed on this file: {type(exc).__name__}: {exc}"
            return GradeRow(path.name, exercise.name, "error", time.perf_counter() - t0, message, message)
        return GradeRow(path.name, exercise.name, result.verdict, result.seconds, result.summary(), result.report())

    rows = []
    with ThreadPoolExecutor(max_workers=min(workers, len(files))) as pool:
        futures = [pool.submit(one, path) for path in files]
        for done, future in enumerate(as_completed(futures), 1):
            row = future.result()
            rows.append(row)
            if progress is not None:
                print(f"[{done:{len(str(len(files)))}d}/{len(files)}] {row.submission:30s} {row.verdict:8s} "
                      f"{row.seconds:6.2f} s", file=progress, flush=True)
    rows.sort(key=lambda r: r.submission)
    atomic_write(out, _csv_text(rows), newline="")
    if feedback is not None:
        for row in rows:
            atomic_write(Path(feedback) / (Path(row.submission).stem + ".txt"),
                         _feedback_text(row, seed, exercise.name))
    counts = {v: sum(r.verdict == v for r in rows) for v in ("accepted", "rejected", "error", "timeout")}
    return GradeReport(rows=rows, seed=seed, seconds=time.perf_counter() - start, workers=min(workers, len(files)),
                       out=os.fspath(out), feedback=None if feedback is None else os.fspath(feedback), counts=counts)

