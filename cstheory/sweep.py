"""Parameter sweeps on any executor (floor 6): a Cartesian grid × seeds, resumable, failure-tolerant.

::

    from cstheory.sweep import run_grid
    table = run_grid(experiment, {"m": [10, 20], "p": [2, 4]}, seeds=range(5), out="sweep.csv")

``experiment(**params, seed=seed)`` must be picklable (a module-level
function) and return a number (stored as ``error``) or a mapping of named
numbers.  Any :class:`concurrent.futures.Executor` runs it — the default is a
local process pool; a Dask cluster works through ``client.get_executor()``.
With ``out=`` every finished row is appended to a CSV file as it arrives, and
rerunning the same sweep skips the rows already there, so an interrupted
sweep resumes instead of restarting.  A cell that raises is recorded with its
error message (``status = "failed"``) and the sweep goes on.

The CSV file is an append-only log: each row is one complete line written and
flushed at once (the file is rewritten through a temporary file and a rename
only when its header changes).  A row torn by a crash in the middle of a write
— a last line without its newline, a row with missing or extra fields, or an
unknown status — is dropped when the file is read back, and its cell is
computed again.  Grid values and seeds are normalised before they are compared
(NumPy scalars become Python numbers: ``np.int64(4)`` and ``4`` are the same
cell), so a rerun finds the rows it wrote.
"""
from __future__ import annotations

import ast
import csv
import io
import itertools
import os
import pickle
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _backend, _checks
from ._backend import THREAD_ENV, env_threads, usable_cpus
from ._files import check_writable_directory, temporary_name

__all__ = ["run_grid", "SweepTable", "grid_cells", "SerialExecutor", "process_pool", "worker_threads",
           "default_workers", "env_threads", "limit_threads", "THREAD_ENV"]

_META = ("seed", "status", "message", "seconds")


def default_workers(threads=None, environ=None, cpus=None):
    """Worker processes for a seed ensemble by default: at most two, and no more than the cores hold at the
    thread count per process.

    Workers × threads beyond the cores oversubscribe them, and spinning BLAS pools then slow every
    process several-fold (``OPENBLAS_NUM_THREADS=2`` with two workers on two cores took 5.4× as
    long for ``cstheory reproduce`` as two workers of one thread).

    Parameters
    ----------
    threads : int, optional
        Threads per process (``--threads``); ``None`` or 0: the count the environment sets
        (:func:`env_threads`), else one.
    environ : mapping, optional
        The environment (default ``os.environ``).
    cpus : int, optional
        Cores (default: those this process may run on).

    Returns
    -------
    int
        ``max(1, min(2, cpus // threads))``.

    Examples
    --------
    >>> default_workers(environ={}, cpus=2), default_workers(environ={"OMP_NUM_THREADS": "2"}, cpus=2)
    (2, 1)
    >>> default_workers(threads=4, environ={}, cpus=16), default_workers(environ={}, cpus=1)
    (2, 1)
    """
    cpus = usable_cpus() if cpus is None else _checks.positive_int(cpus, "cpus")
    per = threads or env_threads(environ, cpus=cpus) or 1
    per = _checks.positive_int(per, "threads")
    return max(1, min(2, cpus // per))


def worker_threads(workers, environ=None, cpus=None):
    """BLAS/OpenMP threads each worker process gets: ``None`` (the libraries' own default, inherited) where
    the user set any of :data:`THREAD_ENV`, else the cores shared out, ``max(1, cpus // workers)``.

    This is resource sizing, not a setting any claim depends on: ``workers`` processes that each
    start one BLAS thread per core put ``workers`` × cores threads on the cores, and the spinning
    pools slow each other (the reason joblib's process pool limits inner threads the same way).
    The claims hold at any thread count (``tests/test_ensemble.py`` runs them on two threads).

    >>> worker_threads(2, environ={}, cpus=2), worker_threads(2, environ={}, cpus=16), worker_threads(1, {}, 2)
    (1, 8, None)
    >>> worker_threads(2, environ={"OPENBLAS_NUM_THREADS": "2"}, cpus=2) is None
    True
    """
    workers = _checks.positive_int(workers, "workers")
    if workers == 1 or env_threads(environ, cpus=cpus) is not None:
        return None
    if cpus is None:
        cpus = usable_cpus()
    return max(1, cpus // workers)


def limit_threads(threads):
    """Worker initializer: size the thread pools of every BLAS/OpenMP library loaded (threadpoolctl), and
    the threads of scipy.fft (:data:`cstheory._backend.FFT_WORKERS`) unless ``CSTHEORY_FFT_WORKERS`` is set.

    A forked worker inherits its parent's FFT thread count (one per CPU by default), so without the
    second part two workers on two cores would each run their large transforms on two threads."""
    from threadpoolctl import threadpool_limits
    threads = _checks.positive_int(threads, "threads")
    threadpool_limits(limits=threads)
    for k in THREAD_ENV:                # libraries loaded later (and their children) size theirs the same
        os.environ[k] = str(threads)
    _backend.FFT_WORKERS = _backend.default_fft_workers()


def process_pool(workers, spawn=False):
    """A :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers`` processes, each with
    :func:`worker_threads` BLAS threads.

    ``spawn=False`` (default) uses the platform's start method, so a script that calls a sweep at
    module level (no ``if __name__ == "__main__":`` guard, as the tutorials do) still works on Linux;
    ``spawn=True`` starts fresh interpreters (no thread pool of the parent copied by fork), which needs
    that guard in the calling script (``cstheory reproduce`` uses it).

    Examples
    --------
    >>> from cstheory.sweep import process_pool
    >>> with process_pool(2) as pool:
    ...     print(sorted(pool.map(abs, [-2, 1])))
    [1, 2]
    """
    workers = _checks.positive_int(workers, "workers")
    context = get_context("spawn") if _checks.flag(spawn, "spawn") else None
    threads = worker_threads(workers)
    if threads is None:
        return ProcessPoolExecutor(max_workers=workers, mp_context=context)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=limit_threads,
                               initargs=(threads,))


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process (for debugging and reference runs)."""

    def submit(self, fn, /, *args, **kwargs):
        from concurrent.futures import Future
        fut = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:
            fut.set_exception(exc)
        return fut


def _plain(value):
    """A grid value or seed as a plain Python value: NumPy scalars (and 0-d arrays) become int/float/str/bool."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def grid_cells(grid):
    """The Cartesian product of ``grid`` (a mapping name → values) as a list of dicts, in order.

    Values are normalised with NumPy scalars turned into Python numbers (see the module docstring)."""
    if not isinstance(grid, dict) or not grid:
        raise TypeError("grid must be a non-empty dict mapping parameter names to lists of values")
    lists = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"grid parameter names must be Python identifiers (they are keywords), got {name!r}")
        if name in _META:
            raise ValueError(f"grid parameter name {name!r} is reserved (reserved: {', '.join(_META)})")
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise TypeError(f"grid[{name!r}] must be a list of values, got {type(values).__name__}")
        lists[name] = [_plain(v) for v in values]
        if not lists[name]:
            raise ValueError(f"grid[{name!r}] must not be empty")
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(lists[n] for n in names))]


def _call(experiment, params, seed):
    """Run one cell in a worker; never raises (failures become a 'failed' row)."""
    start = time.perf_counter()
    try:
        out = experiment(**params, seed=seed)
        if isinstance(out, dict):
            values = {str(k): float(v) for k, v in out.items()}
        else:
            values = {"error": float(out)}
        status, message = "ok", ""
    except Exception as exc:  # recorded, not fatal
        values = {}
        status = "failed"
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {**params, "seed": seed, **values, "status": status, "message": message,
            "seconds": time.perf_counter() - start}


@dataclass
class SweepTable:
    """A tidy table: one row (a dict) per cell and seed."""

    rows: list[dict] = field(default_factory=list)
    params: tuple[str, ...] = ()

    def __len__(self):
        return len(self.rows)

    def __repr__(self) -> str:
        """Counts and columns, not the rows (``print(table.summary())`` names the failures)."""
        failed = len(self.failures)
        return (f"SweepTable({len(self.rows)} rows: {len(self.rows) - failed} ok, {failed} failed; "
                f"params={self.params!r}; columns={self.columns!r})")

    @property
    def columns(self) -> list[str]:
        cols = list(self.params) + ["seed"]
        for r in self.rows:
            for k in r:
                if k not in cols and k not in ("status", "message", "seconds"):
                    cols.append(k)
        return cols + ["seconds", "status", "message"]

    def column(self, name) -> np.ndarray:
        """All values of one column (NaN where a row lacks it)."""
        return np.asarray([r.get(name, np.nan) for r in self.rows])

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.rows if r.get("status") != "ok"]

    def summary(self) -> str:
        """One line of counts, then one line per failed row naming its parameters and error."""
        lines = [f"{len(self.rows)} rows, {len(self.rows) - len(self.failures)} ok, {len(self.failures)} failed"]
        for r in self.failures:
            cell = ", ".join(f"{p}={r[p]!r}" for p in self.params)
            lines.append(f"  failed: {cell}, seed={r['seed']}: {r['message']}")
        return "\n".join(lines)

    def sorted(self):
        """Rows ordered by parameters then seed (executors finish in any order)."""
        key = lambda r: tuple(_sortable(r.get(p)) for p in (*self.params, "seed"))  # noqa: E731
        return SweepTable(sorted(self.rows, key=key), self.params)


def _sortable(v):
    return (0, v) if isinstance(v, (int, float)) else (1, str(v))


def _key(row, params):
    return tuple(repr(_plain(row[p])) for p in params) + (repr(_plain(row["seed"])),)


def _parse(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _read_csv(path):
    """The rows of a sweep CSV, without a row torn by an interrupted write; and whether one was dropped."""
    with open(path, newline="") as fh:
        text = fh.read()
    torn = bool(text) and not text.endswith("\n")
    lines = text.splitlines(keepends=True)
    if torn:
        lines = lines[:-1]                         # the last line was cut in the middle of its write
    rows = []
    reader = csv.DictReader(lines)
    for raw in reader:
        if None in raw or None in raw.values() or raw.get("status") not in ("ok", "failed"):
            torn = True                            # missing or extra fields, or no valid status: not a finished row
            continue
        rows.append({k: (_parse(v) if k not in ("status", "message") else v) for k, v in raw.items() if v != ""})
    return rows, torn


class _CsvSink:
    """Appends rows to a CSV file, rewriting the header when new columns appear."""

    def __init__(self, path, params, existing):
        self.path = Path(path)
        self.params = params
        self.rows = list(existing)

    def add(self, row):
        self.rows.append(row)
        table = SweepTable(self.rows, self.params)
        cols = table.columns
        new_file = not self.path.exists()
        header_ok = False
        if not new_file:
            with open(self.path, newline="") as fh:
                header_ok = next(csv.reader(fh), []) == cols
        if header_ok:      # one complete line, written and flushed at once
            buf = io.StringIO()
            csv.DictWriter(buf, cols).writerow({c: _cell(row.get(c)) for c in cols})
            with open(self.path, "a", newline="") as fh:
                fh.write(buf.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
        else:
            self.rewrite(cols)

    def rewrite(self, cols=None):
        """(Re)write the whole file atomically (temporary file, then rename) with the rows so far."""
        cols = SweepTable(self.rows, self.params).columns if cols is None else cols
        tmp = temporary_name(self.path)
        try:
            with open(tmp, "x", newline="") as fh:
                w = csv.DictWriter(fh, cols)
                w.writeheader()
                for r in self.rows:
                    w.writerow({c: _cell(r.get(c)) for c in cols})
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return repr(v.item() if hasattr(v, "item") else v)


def _check_picklable(experiment):
    """A process pool sends ``experiment`` to its workers by pickling it: refuse, naming the argument, what
    cannot be pickled (a lambda, a function defined inside another, a bound method of a local class)."""
    try:
        pickle.dumps(experiment)
    except Exception as exc:
        name = getattr(experiment, "__qualname__", type(experiment).__name__)
        raise TypeError(f"experiment must be picklable to run on a process pool: define it as a module-level "
                        f"function (got {name!r}: {type(exc).__name__}: {exc})"[:300]) from None


def run_grid(experiment, grid, seeds, executor=None, out=None, progress=True, max_workers=None):
    """Evaluate ``experiment`` over the Cartesian ``grid`` × ``seeds``; return a :class:`SweepTable`.

    Parameters
    ----------
    experiment : callable
        ``experiment(**params, seed=seed) -> float | dict[str, float]``; must be picklable
        for process pools and clusters.
    grid : dict
        Parameter name → list of values.
    seeds : iterable of int
        Seeds; every cell runs once per seed.
    executor : concurrent.futures.Executor, optional
        Where cells run.  Default: a local :class:`~concurrent.futures.ProcessPoolExecutor`
        with ``max_workers`` processes (created and shut down here).  A Dask cluster:
        ``Client(address).get_executor()``.
    out : str or Path, optional
        CSV file.  Finished rows are appended as they arrive; rows already in the
        file (same parameters and seed, compared after normalising NumPy scalars)
        are skipped, so a rerun resumes; a row torn by an interrupted write is
        dropped and computed again.
    progress : bool
        tqdm progress bar over cells.

    Returns
    -------
    SweepTable
        All rows (those read from ``out`` and the new ones), sorted by parameters and seed.
    """
    if not callable(experiment):
        raise TypeError(f"experiment must be callable, got {type(experiment).__name__}")
    cells = grid_cells(grid)
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be an iterable of integers, got {type(seeds).__name__}")
    seeds = [_plain(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    for s in seeds:
        _checks.integer(s, "each entry of seeds", minimum=0)
    params = tuple(grid)
    if executor is not None and not isinstance(executor, Executor) and not hasattr(executor, "submit"):
        raise TypeError("executor must be a concurrent.futures.Executor (or provide submit())")
    progress = _checks.flag(progress, "progress")
    if max_workers is not None:
        max_workers = _checks.positive_int(max_workers, "max_workers")
    existing, torn = [], False
    if out is not None:
        if not isinstance(out, (str, os.PathLike)):
            raise TypeError(f"out must be a path (str or pathlib.Path), got {type(out).__name__}")
        out = Path(out)
        if out.suffix.lower() != ".csv":
            raise ValueError(f"out must be a .csv file, got {out.name!r}")
        if out.exists() and not out.is_file():
            raise ValueError(f"out {str(out)!r} exists and is not a file")
        if not out.parent.is_dir():
            raise ValueError(f"out must be in an existing directory, got {str(out)!r}")
        reason = check_writable_directory(out.parent)
        if reason is not None or (out.exists() and not os.access(out, os.W_OK)):
            raise ValueError(f"out {str(out)!r} cannot be written: {reason or 'the file is read-only'}")
        if out.exists():
            existing, torn = _read_csv(out)
    done = {_key(r, params) for r in existing if all(p in r for p in params) and "seed" in r}
    todo = [(c, s) for c in cells for s in seeds if _key({**c, "seed": s}, params) not in done]
    sink = _CsvSink(out, params, existing) if out is not None else None
    if torn:
        sink.rewrite()        # drop the torn row from the file before appending after it
    rows = list(existing)

    own = executor is None and todo
    if todo and (own or isinstance(executor, ProcessPoolExecutor)):
        _check_picklable(experiment)
    if own:
        executor = process_pool(max_workers or usable_cpus())
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(todo), desc="sweep", unit="cell")
    def finished(row):
        rows.append(row)
        if sink is not None:
            sink.add(row)
        if bar is not None:
            bar.update(1)

    try:
        if isinstance(executor, SerialExecutor):  # one cell at a time, each row saved before the next
            for c, s in todo:
                finished(_call(experiment, c, s))
        else:
            futures = [executor.submit(_call, experiment, c, s) for c, s in todo]
            for fut in as_completed(futures):
                finished(fut.result())
    finally:
        if bar is not None:
            bar.close()
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return SweepTable(rows, params).sorted()
