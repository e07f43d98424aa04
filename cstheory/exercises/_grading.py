"""Grade a whole class: every ``*.py`` file of a folder, confined, in parallel, into one CSV.

``cstheory exercise grade NAME DIR --out grades.csv`` calls :func:`grade`.
Each submission is checked by :func:`cstheory.exercises.check_submission`
(a confined child process per file, see :mod:`._sandbox`); a pool of
threads drives the children, so ``workers`` submissions run at once.

The CSV has exactly the columns ``submission,exercise,verdict,seconds,mistake,message``
(one row per ``*.py`` entry of the folder; the verdict is one of
``accepted``, ``rejected``, ``error`` — the file does not import, has no
function of the exercise's name, or was not graded, the message says why —
and ``timeout``; ``mistake`` is the stable key of the recognised classic
mistake, e.g. ``missing_Ut``, empty when none was recognised).  The seed the examples were drawn from is recorded in every
row's message, ``… (seed S)``; ``cstheory exercise check NAME FILE --seed S``
repeats a row's check.  With ``feedback=DIR`` each graded submission also gets
``DIR/<file name without .py>.txt`` with the full report (at ``level="exam"``
without hints).  With ``report=class.md`` (or ``class.html``) the class report
of :mod:`._classreport` is written from the same rows.

The class's grades survive whatever happens to the grader:

* each row is appended to ``out`` and flushed to the disk (``fsync``) as its
  submission ends; a killed or interrupted grader leaves the rows so far, and
  ``resume=True`` (``grade --resume``) grades only the files without a row;
  at the end the file is rewritten sorted by name (by renaming a complete file);
* when ``out`` cannot be rewritten at the end (replaced by a directory, its
  folder gone), the rows go to a file beside it (or in the temporary folder),
  named in the report;
* names are written safely: a name with control characters (CR, LF, …) is
  never graded and is written escaped (``\\r``, ``\\n``); a name that is not
  UTF-8 is written with its bytes escaped; any cell starting with ``=``, ``+``,
  ``-``, ``@``, a tab or CR gets a leading ``'`` (OWASP's advice against CSV
  formula injection);
* symbolic links, FIFOs and other non-regular entries, and names over
  :data:`NAME_LIMIT` bytes, get a row saying why they were not graded; links
  are never followed.
"""
from __future__ import annotations

import csv
import io
import os
import re
import secrets
import stat
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .. import _backend
from .._files import atomic_write, check_writable_directory
from ._sandbox import DEFAULT_MEMORY, DEFAULT_TIMEOUT, check_limits

__all__ = ["COLUMNS", "NAME_LIMIT", "GradeRow", "GradeReport", "grade", "fresh_seed", "safe_cell"]

#: The columns of the grades CSV, in order.
COLUMNS = ("submission", "exercise", "verdict", "seconds", "mistake", "message")
#: Longest file name graded (bytes of UTF-8); longer names get a row saying so.
NAME_LIMIT = 200
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_cell(text) -> str:
    """``text`` as a CSV cell that no spreadsheet takes for a formula: a leading ``= + - @``, tab or CR gets
    a ``'`` in front (OWASP); control characters are escaped (``\\r``, ``\\n``, ``\\x07``)."""
    text = str(text)
    formula = text.startswith(_FORMULA_START)
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return "'" + text if formula else text


@dataclass
class GradeRow:
    """One graded submission: a row of the CSV (plus, not in the CSV, the full report for the feedback file
    and the shrunk counterexample on one line for the class report; rows read back by ``resume`` have
    neither)."""

    submission: str
    exercise: str
    verdict: str
    seconds: float
    message: str
    report: str = ""
    mistake: str = ""
    counterexample: str = ""

    def cells(self):
        """The row's CSV cells, written safely (see :func:`safe_cell`)."""
        return [safe_cell(self.submission), safe_cell(self.exercise), self.verdict, f"{self.seconds:.2f}",
                safe_cell(self.mistake), safe_cell(self.message)]


@dataclass
class GradeReport:
    """What :func:`grade` did: the rows (sorted by file name), the seed, the files written, how many rows
    an earlier run had written (``resumed``) and what confined the submissions (``isolation``, in words)."""

    rows: list
    seed: int
    seconds: float
    workers: int
    out: str
    feedback: str | None = None
    counts: dict = field(default_factory=dict)
    resumed: int = 0
    isolation: str = ""
    report: str | None = None
    level: str = "guided"


def fresh_seed() -> int:
    """A new random seed in [0, 2³²) (from the operating system's entropy)."""
    return secrets.randbelow(2**32)


def _usage(message):
    from . import UsageError
    return UsageError(message)


def _entries(directory):
    """Every ``*.py`` entry of ``directory`` as ``(name, path, problem)``, sorted by name.

    ``name`` is what the CSV shows (bytes that are not UTF-8 escaped), ``problem`` None for a regular
    file to grade, else why it is not graded.  Nothing is followed: entries are examined with ``lstat``."""
    found = []
    with os.scandir(os.fsencode(directory)) as it:
        for entry in it:
            raw = entry.name
            if not raw.endswith(b".py"):
                continue
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                found.append((raw.decode("utf-8", "backslashreplace"), None,
                              "the file name is not valid UTF-8: not graded (rename the file)"))
                continue
            path = os.path.join(os.fsdecode(directory), os.fsdecode(raw))
            if _CONTROL.search(name):
                found.append((name, None, "the file name contains control characters (a line break?): not "
                                          "graded (rename the file)"))
            elif len(raw) > NAME_LIMIT:
                found.append((name, None, f"the file name has {len(raw)} bytes, more than the {NAME_LIMIT} "
                                          "accepted: not graded (rename the file)"))
            else:
                try:
                    mode = os.lstat(path).st_mode
                except OSError as exc:
                    found.append((name, None, f"cannot be examined: {exc.strerror or exc}"))
                    continue
                if stat.S_ISLNK(mode):
                    found.append((name, None, "a symbolic link: not graded (links are never followed; "
                                              "hand in the file itself)"))
                elif not stat.S_ISREG(mode):
                    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                            else "a socket" if stat.S_ISSOCK(mode) else "a device")
                    found.append((name, None, f"not a regular file ({kind}): not graded"))
                else:
                    found.append((name, path, None))
    return sorted(found, key=lambda e: e[0])


def _validate(name, directory, out, workers, timeout, seed, feedback, memory, max_examples, report=None):
    """Check every argument before any grading; return (exercise, entries, workers, seed)."""
    from . import get
    exercise = get(name)
    directory = Path(directory)
    if not directory.is_dir():
        raise _usage(f"no such directory: {str(directory)!r}")
    entries = _entries(directory)
    if not entries:
        raise _usage(f"no *.py files in {str(directory)!r}: put one file per student there")
    if workers is None:
        workers = _backend.usable_cpus()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise _usage(f"--workers must be a positive integer, got {workers!r}")
    try:
        check_limits(timeout, memory)
    except ValueError as exc:
        raise _usage(f"--{exc}") from None
    if max_examples is not None and (isinstance(max_examples, bool) or not isinstance(max_examples, int)
                                     or max_examples < 1):
        raise _usage(f"--max-examples must be a positive integer, got {max_examples!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise _usage(f"--seed must be an integer >= 0, got {seed!r}")
    out = Path(out)
    if out.is_dir():
        raise _usage(f"--out {str(out)!r} is a directory; give the name of the CSV file to write")
    problem = check_writable_directory(out.parent)
    if problem:
        raise _usage(f"cannot write --out {str(out)!r}: {problem}")
    if out.exists() and not os.access(out, os.W_OK):
        raise _usage(f"cannot write --out {str(out)!r}: the file is read-only")
    if report is not None:
        report = Path(report)
        if report.suffix.lower() not in (".md", ".html", ".htm"):
            raise _usage(f"--report {str(report)!r}: give a file name ending in .md (Markdown) or .html")
        if report.is_dir():
            raise _usage(f"--report {str(report)!r} is a directory; give the name of the report to write")
        if report.resolve() == out.resolve():
            raise _usage(f"--report {str(report)!r} is the --out file: give the class report a name of its own")
        problem = check_writable_directory(report.parent)
        if problem:
            raise _usage(f"cannot write --report {str(report)!r}: {problem}")
    if feedback is not None:
        feedback = Path(feedback)
        try:
            feedback.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _usage(f"cannot create --feedback {str(feedback)!r}: {exc.strerror or exc}") from None
        problem = check_writable_directory(feedback)
        if problem:
            raise _usage(f"cannot write --feedback {str(feedback)!r}: {problem}")
    return exercise, entries, workers, seed


def _previous_rows(out, exercise_name):
    """The rows of an earlier, interrupted run of ``out`` (for ``resume``): {cell of the name: GradeRow}."""
    try:
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _usage(f"--resume: cannot read {str(out)!r}: {exc}") from None
    if not rows:
        return {}
    if tuple(rows[0]) != COLUMNS:
        raise _usage(f"--resume: {str(out)!r} is not a grades CSV (its header is {rows[0]!r})")
    previous = {}
    for cells in rows[1:]:
        if len(cells) != len(COLUMNS):
            continue   # a row cut short by a crash: graded again
        if cells[1] != exercise_name:
            raise _usage(f"--resume: {str(out)!r} holds grades of exercise {cells[1]!r}, not {exercise_name!r}")
        try:
            seconds = float(cells[3])
        except ValueError:
            continue
        previous[cells[0]] = GradeRow(cells[0], cells[1], cells[2], seconds, cells[5], mistake=cells[4])
    return previous


def _seed_of(rows):
    for row in rows:
        match = re.search(r"seed (\d+)\)$", row.message)
        if match:
            return int(match.group(1))
    return None


class _RowLog:
    """``out`` opened for appending: each row is written, flushed and fsynced as its submission ends."""

    def __init__(self, out, keep):
        self.lock = threading.Lock()
        self.file = None
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
        if not keep:
            flags |= os.O_TRUNC
        fd = os.open(out, flags, 0o666)
        self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file, lineterminator="\r\n")
        if not keep or os.fstat(fd).st_size == 0:
            self.writer.writerow(COLUMNS)
            self._sync()

    def _sync(self):
        self.file.flush()
        os.fsync(self.file.fileno())

    def write(self, row):
        with self.lock:
            self.writer.writerow(row.cells())
            self._sync()

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None


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
        writer.writerow(row.cells())
    return buf.getvalue()


def _write_final(out, rows, progress):
    """Rewrite ``out`` sorted; where that fails, write the rows beside it (or in the temporary folder)."""
    text = _csv_text(rows)
    try:
        if os.path.isdir(out):
            raise IsADirectoryError(21, "is a directory")
        return atomic_write(out, text, newline="")
    except OSError as exc:
        problem = exc.strerror or str(exc)
    for folder in (os.path.dirname(os.path.abspath(out)), tempfile.gettempdir()):
        rescue = os.path.join(folder, f"{os.path.basename(out)}.{os.getpid()}.{int(time.time())}.csv")
        try:
            atomic_write(rescue, text, newline="")
        except OSError:
            continue
        if progress is not None:
            print(f"warning: cannot write {out!r} ({problem}); the grades are in {rescue!r}", file=progress,
                  flush=True)
        return rescue
    raise OSError(f"cannot write the grades to {out!r} ({problem}) nor beside it")


def grade(name, directory, out, *, workers=None, timeout=DEFAULT_TIMEOUT, seed=None, feedback=None,
          memory=DEFAULT_MEMORY, allow_cstheory=False, max_examples=None, progress=None, resume=False,
          unsafe_no_isolation=False, level="guided", report=None) -> GradeReport:
    """Grade every ``*.py`` file of ``directory`` for exercise ``name``; write the CSV ``out``.

    Parameters
    ----------
    name : str
        The exercise.
    directory : str or path-like
        A folder with one Python file per student (not searched recursively).
    out : str or path-like
        The CSV to write (columns :data:`COLUMNS`); rows are appended as submissions end.
    workers : int, optional
        Submissions checked at once (default: the number of CPU cores).
    timeout : float
        Wall-clock seconds per submission: its import and all calls together (default 60).
    seed : int, optional
        Draw the examples from this seed (default: a fresh one, recorded in the CSV; with ``resume``,
        the seed of the rows already written).
    feedback : str or path-like, optional
        A folder for one feedback file per graded submission (created if needed).
    memory : int
        Address-space limit of each submission's process in bytes (default 2 GiB; 0: none).
    allow_cstheory : bool
        Let submissions import cstheory.
    max_examples : int, optional
        Hypothesis examples per submission (default 50).
    progress : file-like, optional
        Where to print one line per finished submission.
    resume : bool
        Keep the rows ``out`` already holds (an interrupted run) and grade only the other files.
    unsafe_no_isolation : bool
        Grade without Landlock where the kernel lacks it (trusted code only): by default grading is
        refused there.
    level : str
        ``guided`` (default), ``standard`` or ``exam``: at ``exam`` the feedback files and the
        messages carry no hints (the ``mistake`` column still names what was recognised).
    report : str or path-like, optional
        Also write the class report (:func:`._classreport.write_report`) from the same rows:
        Markdown, or HTML with a bar chart when the name ends in ``.html``.

    Returns
    -------
    GradeReport

    Raises
    ------
    UsageError
        Unknown exercise, missing or empty directory, bad numbers, an ``out`` or ``feedback`` that
        cannot be written, a ``resume`` from another exercise or seed, a kernel without Landlock
        (unless ``unsafe_no_isolation``) — all checked before any grading.
    KeyboardInterrupt
        On Ctrl-C (or SIGTERM, from the command line): the running submissions are killed, the rows
        written so far stay in ``out``.
    """
    from . import check_submission
    from ._isolation import IsolationUnavailable, describe, resolve_mode
    from ._sandbox import close_all
    for flag, value in (("resume", resume), ("unsafe_no_isolation", unsafe_no_isolation)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be True or False, got {value!r}")
    from ._formatting import check_level
    try:
        level = check_level(level)
    except ValueError as exc:
        raise _usage(str(exc)) from None
    exercise, entries, workers, seed = _validate(name, directory, out, workers, timeout, seed, feedback, memory,
                                                 max_examples, report)
    try:
        isolation = resolve_mode("none" if unsafe_no_isolation else "landlock")
    except IsolationUnavailable as exc:
        raise _usage(str(exc)) from None
    previous = _previous_rows(out, exercise.name) if resume else {}
    old_seed = _seed_of(previous.values())
    if seed is not None and old_seed is not None and seed != old_seed:
        raise _usage(f"--resume: the rows in {os.fspath(out)!r} were graded with seed {old_seed}, not {seed}")
    seed = seed if seed is not None else old_seed if old_seed is not None else fresh_seed()
    start = time.perf_counter()
    rows = [previous[safe_cell(n)] for n, _, _ in entries if safe_cell(n) in previous]
    todo = [(n, p, problem) for n, p, problem in entries if safe_cell(n) not in previous]
    log = _RowLog(out, keep=resume)
    if resume:   # the kept rows: rewrite the file with exactly these (drops a torn last line)
        log.close()
        atomic_write(out, _csv_text(rows), newline="")
        log = _RowLog(out, keep=True)
    stopping = threading.Event()

    def one(name_, path, problem):
        t0 = time.perf_counter()
        if problem is not None:
            return GradeRow(name_, exercise.name, "error", 0.0, f"{problem} (seed {seed})", problem)
        try:
            result = check_submission(exercise.name, path, max_examples, seed=seed, timeout=timeout, memory=memory,
                                      allow_cstheory=allow_cstheory, isolation=isolation, hidden=directory,
                                      level=level)
        except Exception as exc:  # noqa: BLE001 - a checker failure on one file must not stop the class
            message = f"the checker failed on this file: {type(exc).__name__}: {exc}"
            return GradeRow(name_, exercise.name, "error", time.perf_counter() - t0, message, message)
        return GradeRow(name_, exercise.name, result.verdict, result.seconds, result.summary(), result.report(),
                        mistake=result.mistake, counterexample=result.counterexample() if result.shrunk else "")

    done = len(rows)
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo))))
    futures = {}
    try:
        for item in todo:
            futures[pool.submit(one, *item)] = item
        for future in as_completed(futures):
            row = future.result()
            if stopping.is_set():
                break
            log.write(row)
            rows.append(row)
            done += 1
            if feedback is not None and futures[future][1] is not None:
                try:
                    atomic_write(Path(feedback) / (Path(row.submission).stem + ".txt"),
                                 _feedback_text(row, seed, exercise.name))
                except OSError as exc:   # the grades matter more than the feedback
                    if progress is not None:
                        print(f"warning: no feedback file for {safe_cell(row.submission)}: {exc.strerror or exc}",
                              file=progress, flush=True)
            if progress is not None:
                print(f"[{done:{len(str(len(entries)))}d}/{len(entries)}] {safe_cell(row.submission):30s} "
                      f"{row.verdict:8s} {row.seconds:6.2f} s", file=progress, flush=True)
    except BaseException:
        stopping.set()
        for future in futures:
            future.cancel()
        while not all(future.done() for future in futures):
            close_all()   # the running submissions end now; their rows are not written
            time.sleep(0.05)
        pool.shutdown(wait=True)
        log.close()
        raise
    pool.shutdown(wait=True)
    log.close()
    rows.sort(key=lambda r: r.submission)
    written = _write_final(os.fspath(out), rows, progress)
    counts = {v: sum(r.verdict == v for r in rows) for v in ("accepted", "rejected", "error", "timeout")}
    result = GradeReport(rows=rows, seed=seed, seconds=time.perf_counter() - start,
                         workers=min(workers, max(1, len(todo))), out=written,
                         feedback=None if feedback is None else os.fspath(feedback), counts=counts,
                         resumed=len(entries) - len(todo), isolation=describe(isolation), level=level)
    if report is not None:
        from ._classreport import write_report
        result.report = write_report(report, result, exercise)
    return result
