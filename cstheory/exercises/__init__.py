"""Auto-checked classroom exercises: write one object of the paper, let hypothesis judge it.

Each exercise asks for one function of Heckel & Soltanolkotabi (2020) and
checks it against cstheory's own implementation on inputs drawn by
hypothesis (arbitrary, mostly asymmetric kernels; odd and even sizes).
The exercises register themselves: every module of this package whose name
does not start with ``_`` and that defines ``EXERCISE`` (an :class:`Exercise`)
is one, and :data:`EXERCISES` maps their names to them in teaching order
(:attr:`Exercise.position`).  Adding an exercise is one new module (and its
tests); the table below, ``cstheory exercise list`` and the docs are read
from :data:`EXERCISES`:

{table}

Workflow
--------
From a shell::

    cstheory exercise list                               # the names above, with a line each
    cstheory exercise show jacobian > my_jacobian.py     # statement + stub, a valid Python file
    cstheory exercise show jacobian --level exam         # no formula (levels: guided, standard, exam)
    cstheory exercise notebook jacobian                  # the same as a Jupyter notebook, jacobian.ipynb
    # edit my_jacobian.py: replace `raise NotImplementedError` by your code
    cstheory exercise check jacobian my_jacobian.py      # ACCEPTED, or the shrunk counterexample
    cstheory exercise grade jacobian submissions/ --out grades.csv --feedback feedback/ --report class.md

or from Python::

    from cstheory import exercises
    result = exercises.check_file("jacobian", "my_jacobian.py")   # sandboxed
    print(result.report())

A check runs one hypothesis property, "your function equals cstheory's on
every drawn input".  ``check`` uses fixed settings (:func:`check_settings`:
50 derandomized examples, no deadline, no database), so the verdict and the
counterexample are the same on every run; ``grade`` (and ``check --seed S``)
draws the examples from a seed instead, so answers hard-coded for the
counterexamples that ``check`` shows do not pass.  On rejection, hypothesis
shrinks the inputs to a small counterexample, and the report shows the
inputs, what cstheory computes, what your function returned, and a hint —
the classic mistakes of each exercise (Uᵀ for U, row-major vec order, a mean
loss, gradient descent stopped early, a thin SVD, a missing real part, …)
are recognised by name, on the counterexample and on a few more examples.
Your function takes and returns NumPy arrays.

Sandbox
-------
:func:`check_file` and :func:`grade` never import a student's file into the
checking process: each file runs in a child process of its own (see
:mod:`cstheory.exercises._sandbox`) with a wall-clock limit (``timeout``,
default 60 s for the import and all calls together), a memory limit
(``memory``, default 2 GiB of address space), and bounds on its processes,
disk and answer size.  On Linux with Landlock the child is confined by the
kernel (:mod:`._isolation`, :mod:`._landlock`): it reads only the standard
library and NumPy/SciPy — not cstheory, not the submissions folder — writes
only its own scratch directory (where it gets its own copy of the file),
executes no program, has no TCP, and cannot signal the grader; a supervisor
kills every process it started when it ends.  The child only evaluates the
function; the drawing, the reference (computed after the answer), the
comparison and the verdict stay here, so exiting, crashing, patching NumPy,
looping or lying about itself cannot produce an acceptance; a submission
that imports cstheory is rejected ("uses cstheory's own implementation")
unless ``allow_cstheory``.  :func:`grade` refuses to run where the kernel
lacks Landlock unless ``unsafe_no_isolation``; :func:`check_file` confines
where it can.  :func:`check` (a Python function) runs in-process, for
trusted code.  The README's "For teachers" states the threat model.

Exit codes of ``cstheory exercise`` (:func:`command`)
-----------------------------------------------------
* 0 — accepted (``check``); ``list``, ``show``, ``notebook`` succeeded; ``grade`` ran
  (whatever the verdicts: they are in the CSV);
* 1 — ``check`` rejected: wrong values or shape, an exception, an exit, a crash, a
  timeout, cstheory's own implementation, a file that fails to import, or the
  untouched stub ("not yet implemented");
* 2 — usage error (:class:`UsageError`): unknown exercise name, missing file or
  directory, no function of the exercise's name in the file (``check``), bad
  arguments, an unwritable output.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import itertools
import os
import pkgutil
import sys
import time
import traceback
import types

from .._args import UsageError
from ._engine import DEFAULT_MAX_EXAMPLES, LEVELS, VERDICTS, CheckResult, Exercise, Mistake, check_settings
from ._formatting import check_level
from ._sandbox import DEFAULT_MEMORY, DEFAULT_TIMEOUT, LoadError, Sandbox

__all__ = [
    "EXERCISES", "LEVELS", "list_exercises", "get", "show", "notebook", "check", "check_file", "check_submission",
    "load_function", "grade", "command", "CheckResult", "Exercise", "Mistake", "UsageError", "check_settings",
    "DEFAULT_MAX_EXAMPLES", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY", "VERDICTS",
    "EXIT_ACCEPTED", "EXIT_REJECTED", "EXIT_USAGE",
]

#: Exit status of ``cstheory exercise check`` when the solution is accepted.
EXIT_ACCEPTED = 0
#: Exit status when the solution is rejected (including "not yet implemented").
EXIT_REJECTED = 1
#: Exit status on a usage error (unknown exercise, missing file, missing function, bad arguments).
EXIT_USAGE = 2


def _discover():
    """Every module of this package not starting with ``_`` that defines ``EXERCISE``, in teaching order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        exercise = getattr(importlib.import_module(f"{__name__}.{info.name}"), "EXERCISE", None)
        if not isinstance(exercise, Exercise):
            continue
        if exercise.name != info.name:
            raise ImportError(f"cstheory.exercises.{info.name} defines the exercise {exercise.name!r}: an "
                              "exercise's module has the exercise's name")
        found.append(exercise)
    found.sort(key=lambda e: (e.position, e.name))
    return types.MappingProxyType({e.name: e for e in found})


#: The exercises, name → :class:`Exercise`, in teaching order (read-only).  Discovered from the modules of
#: this package: each defines ``EXERCISE``.
EXERCISES = _discover()


def _table():
    """The package docstring's table of the exercises (an RST simple table)."""
    rows = [(f"``{e.name}``", f"{e.summary}, {e.equation}") for e in EXERCISES.values()]
    w0 = max(len("name (= the function to write)"), *(len(r[0]) for r in rows))
    w1 = max(len("what it is"), *(len(r[1]) for r in rows))
    rule = f"{'=' * w0}  {'=' * w1}"
    lines = [rule, f"{'name (= the function to write)':{w0}s}  what it is", rule]
    lines += [f"{a:{w0}s}  {b}" for a, b in rows] + [rule]
    return "\n".join(lines)


__doc__ = __doc__.replace("{table}", _table())


def list_exercises() -> list[str]:
    """The names of the exercises, in teaching order (the keys of :data:`EXERCISES`)."""
    return list(EXERCISES)


def get(name: str) -> Exercise:
    """The :class:`Exercise` called ``name``.

    Raises
    ------
    UsageError (a ValueError)
        For an unknown name; the message lists the valid ones.
    """
    if not isinstance(name, str) or name not in EXERCISES:
        raise UsageError(f"unknown exercise {name!r}; choose one of: {', '.join(EXERCISES)}")
    return EXERCISES[name]


def _level(level):
    try:
        return check_level(level)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def show(name: str, level: str = "guided") -> str:
    """The statement at ``level`` (``guided``: with the formula; ``standard``, ``exam``: the object, its
    shape and the paper's equation) and the stub, as the text of a Python file to edit."""
    return get(name).show(_level(level))


def notebook(name: str, level: str = "guided") -> dict:
    """The statement at ``level`` and the stub as a Jupyter notebook (an nbformat-4 dict, see :mod:`._notebook`)."""
    from ._notebook import exercise_notebook
    return exercise_notebook(get(name), _level(level))


def check(name: str, func, max_examples: int | None = None, seed: int | None = None,
          level: str = "guided") -> CheckResult:
    """Check the Python function ``func`` for exercise ``name`` in this process (trusted code;
    see :meth:`Exercise.check`).  For a student's file use :func:`check_file` (sandboxed)."""
    return get(name).check(func, max_examples, seed, _level(level))


def check_submission(name: str, path, max_examples: int | None = None, *, seed: int | None = None,
                     timeout: float = DEFAULT_TIMEOUT, memory: int = DEFAULT_MEMORY,
                     allow_cstheory: bool = False, isolation: str = "auto", hidden=None,
                     level: str = "guided") -> CheckResult:
    """Check the file ``path`` in a sandbox and always return a :class:`CheckResult`.

    What :func:`check_file` reports as a usage error (no function of the
    exercise's name, not callable) is here a result with the verdict
    ``error``, as ``cstheory exercise grade`` records it.  ``isolation``
    (``"auto"``, ``"landlock"`` or ``"none"``) and ``hidden`` (a folder the
    submission may not read; default the file's folder) are passed to
    :class:`~cstheory.exercises._sandbox.Sandbox`.  Other parameters as in
    :func:`check_file`.
    """
    exercise = get(name)
    level = _level(level)
    start = time.perf_counter()
    cfg = check_settings(max_examples)

    def failed(verdict, message, hint, kind="", headline=""):
        return CheckResult(exercise=exercise.name, accepted=False, verdict=verdict, message=message, hint=hint,
                           level=level,
                           seconds=time.perf_counter() - start, max_examples=cfg.max_examples, seed=seed,
                           outputs=exercise.outputs, error_kind=kind, headline=headline, output=sandbox.output_tail(),
                           mistake="uses_cstheory" if kind == "cstheory" else "")

    sandbox = Sandbox(path, exercise.function, timeout=timeout, memory=memory, allow_cstheory=allow_cstheory,
                      isolation=isolation, hidden=hidden)
    try:
        try:
            sandbox.start()
        except LoadError as exc:
            if exc.kind in ("import", "exit"):
                last = (exc.message.strip().splitlines() or [""])[-1]
                return failed("error", f"importing {os.fspath(path)!r} failed:\n{exc.message}",
                              "fix this error so that the file imports", exc.kind,
                              headline=f"does not import: {last}")
            if exc.kind in ("no_function", "not_callable"):
                hint = f"define `def {exercise.function}(…)` at the top level of the file"
                return failed("error", exc.message, hint, exc.kind)
            if exc.kind == "cstheory":
                return failed("rejected", exc.message, "write the computation yourself; cstheory's functions "
                              "are the reference it is compared with", exc.kind)
            return failed(exc.verdict, exc.message,
                          "look for an endless loop or a very long computation at the top level of the file"
                          if exc.kind == "timeout" else "", exc.kind)
        result = exercise.run_check(sandbox, max_examples, seed, level)
        sandbox.close()
        result.seconds = time.perf_counter() - start
        if not result.accepted:
            result.output = sandbox.output_tail()
        return result
    finally:
        sandbox.dispose()


def check_file(name: str, path, max_examples: int | None = None, *, seed: int | None = None,
               timeout: float = DEFAULT_TIMEOUT, memory: int = DEFAULT_MEMORY,
               allow_cstheory: bool = False, level: str = "guided") -> CheckResult:
    """Check the student's file ``path`` for exercise ``name``, sandboxed.

    The file runs in a child process (``python -I``) with a wall-clock and a
    memory limit; the child only calls the function on the inputs it is
    sent, and the comparison happens here (see the module docstring).

    Parameters
    ----------
    name : str
        The exercise.
    path : str or path-like
        The student's Python file.
    max_examples : int, optional
        Number of hypothesis examples (default :data:`DEFAULT_MAX_EXAMPLES`).
    seed : int, optional
        Draw the examples from this seed (default: derandomized, the same on every run).
    timeout : float
        Wall-clock seconds for importing the file and all calls together (default 60).
    memory : int
        Address-space limit of the child in bytes (default 2 GiB; 0 for none).
    allow_cstheory : bool
        Let the file import cstheory.
    level : str
        ``guided`` (default), ``standard`` or ``exam``: at ``exam`` the report shows the
        counterexample and no hint.

    Returns
    -------
    CheckResult
        ``.accepted``, ``.verdict``, ``.report()``, ``.exit_code``.  A file that
        fails to import is a rejection (exit 1, verdict ``error``) with the error in
        the report; the untouched stub is a rejection marked "not yet implemented".

    Raises
    ------
    UsageError
        Unknown exercise, missing file, or no callable of the exercise's name (exit 2).
    """
    exercise = get(name)
    _require_file(name, path)
    result = check_submission(name, path, max_examples, seed=seed, timeout=timeout, memory=memory,
                              allow_cstheory=allow_cstheory, level=level)
    if result.error_kind in ("no_function", "not_callable"):
        raise UsageError(f"{os.fspath(path)!r}: {result.message} (exercise {exercise.name!r} asks for "
                         f"`def {exercise.function}(…)`)")
    return result


def _require_file(name, path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path!r} (write it with `cstheory exercise show {name} > {name}.py`)")


_counter = itertools.count()


def load_function(name: str, path):
    """Import the file ``path`` INTO THIS PROCESS and return its function named like the exercise's.

    For trusted code only (``exercises.check(name, load_function(name, path))``);
    :func:`check_file` runs files in a sandbox instead.

    Raises
    ------
    UsageError
        Unknown exercise, missing file, or no callable of that name in the file.
    ImportError
        When executing the file fails (the original error is chained).
    """
    exercise = get(name)
    _require_file(name, path)
    path = os.fspath(path)
    modname = f"_cstheory_student_{name}_{next(_counter)}"
    loader = importlib.machinery.SourceFileLoader(modname, path)
    spec = importlib.util.spec_from_loader(modname, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - SyntaxError, NameError, SystemExit ... in the student's file
        if isinstance(exc, KeyboardInterrupt):
            raise
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)).rstrip()
        raise ImportError(f"importing {path!r} failed:\n{detail}") from exc
    finally:
        sys.modules.pop(modname, None)
    func = getattr(module, exercise.function, None)
    if func is None:
        raise UsageError(f"{path!r} defines no function named {exercise.function!r}")
    if not callable(func):
        raise UsageError(f"{exercise.function!r} in {path!r} is a {type(func).__name__}, not a function")
    return func


def grade(name, directory, out, **kwargs):
    """Grade every ``*.py`` file of ``directory`` and write ``out`` (CSV); see :func:`._grading.grade`."""
    from ._grading import grade as _grade
    return _grade(name, directory, out, **kwargs)


def command(argv, stdout=None, stderr=None) -> int:
    """Run ``cstheory exercise ARGV…`` and return the exit status (see :mod:`._command`)."""
    from ._command import command as _command
    return _command(argv, stdout=stdout, stderr=stderr)
