"""Auto-checked classroom exercises: write one object of the paper, let hypothesis judge it.

Each exercise asks for one function of Heckel & Soltanolkotabi (2020) and
checks it against cstheory's own implementation on inputs drawn by
hypothesis (arbitrary, mostly asymmetric kernels; odd and even sizes):

=================  ========================  ===================================================
name               function                  what it is
=================  ========================  ===================================================
``jacobian``       ``jacobian(U, C)``        the n × nk Jacobian of ReLU(UC)v, eq. (20)
``min_norm``       ``min_norm(A, J, y)``     the minimum-norm coefficients, eq. (5)
``sigma_weights``  ``sigma_weights(u)``      the Fourier weights σ of eq. (11), trig_basis order
``gradient``       ``gradient(U, C, A, y)``  ∇_C ½‖A ReLU(UC)v − y‖² (eq. 9 with eq. 20)
=================  ========================  ===================================================

Workflow
--------
From a shell::

    cstheory exercise list                               # the names above
    cstheory exercise show jacobian > my_jacobian.py     # statement + stub, a valid Python file
    # edit my_jacobian.py: replace `raise NotImplementedError` by your code
    cstheory exercise check jacobian my_jacobian.py      # ACCEPTED, or the shrunk counterexample

or from Python::

    from cstheory import exercises
    result = exercises.check_file("jacobian", "my_jacobian.py")
    print(result.report())

A check runs one hypothesis property, "your function equals cstheory's on
every drawn input", with fixed settings (:func:`check_settings`: 50
derandomized examples, no deadline, no database), so the verdict and the
counterexample are the same on every run.  On rejection, hypothesis shrinks
the inputs to a small counterexample, and the report shows the inputs, what
cstheory computes, what your function returned, and a hint — the classic
mistakes (Uᵀ for U, row-major vec order, a wrong constant in g, a
non-minimal solution of A J c = y, a missing ReLU mask, …) are recognised by
name.  Your function takes and returns NumPy arrays.

Exit codes of ``cstheory exercise`` (:func:`command`; ``CheckResult.exit_code``)
--------------------------------------------------------------------------------
* 0 — accepted (``check``), or ``list`` / ``show`` succeeded;
* 1 — rejected: wrong values or shape, an exception in your function, a file
  that fails to import, or the untouched stub ("not yet implemented");
* 2 — usage error (:class:`UsageError`): unknown exercise name, missing file,
  no function of the exercise's name in the file (or not callable), bad arguments.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import itertools
import os
import sys
import time
import traceback

from ._framework import DEFAULT_MAX_EXAMPLES, CheckResult, Exercise, Mistake, check_settings

__all__ = [
    "list_exercises", "get", "show", "check", "check_file", "load_function", "command",
    "CheckResult", "Exercise", "Mistake", "UsageError", "check_settings", "DEFAULT_MAX_EXAMPLES",
    "EXIT_ACCEPTED", "EXIT_REJECTED", "EXIT_USAGE",
]

#: Exit status of ``cstheory exercise check`` when the solution is accepted.
EXIT_ACCEPTED = 0
#: Exit status when the solution is rejected (including "not yet implemented").
EXIT_REJECTED = 1
#: Exit status on a usage error (unknown exercise, missing file, missing function).
EXIT_USAGE = 2

#: The exercises in teaching order (module name = exercise name).
_NAMES = ("jacobian", "min_norm", "sigma_weights", "gradient")


class UsageError(ValueError):
    """A usage error of the exercise commands (exit status 2): unknown name, missing file, missing function."""


def list_exercises() -> list[str]:
    """The names of the exercises, in teaching order."""
    return list(_NAMES)


def get(name: str) -> Exercise:
    """The :class:`Exercise` called ``name``.

    Raises
    ------
    UsageError (a ValueError)
        For an unknown name; the message lists the valid ones.
    """
    if not isinstance(name, str) or name not in _NAMES:
        raise UsageError(f"unknown exercise {name!r}; choose one of: {', '.join(_NAMES)}")
    module = importlib.import_module(f"{__name__}.{name}")
    return module.EXERCISE


def show(name: str) -> str:
    """The statement (citing the paper's equation) and the stub, as the text of a Python file to edit."""
    return get(name).show()


def check(name: str, func, max_examples: int | None = None) -> CheckResult:
    """Check the function ``func`` for exercise ``name`` (see :meth:`Exercise.check`)."""
    return get(name).check(func, max_examples)


_counter = itertools.count()


def load_function(name: str, path):
    """Import the file ``path`` and return its function named like the exercise's (e.g. ``jacobian``).

    Raises
    ------
    UsageError
        Unknown exercise, missing file, or no callable of that name in the file.
    ImportError
        When executing the file fails (the original error is chained); :func:`check_file`
        turns this into a rejection.
    """
    exercise = get(name)
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path!r} (write it with `cstheory exercise show {name} > {name}.py`)")
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
        defined = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                         and getattr(v, "__module__", None) == modname)
        raise UsageError(f"{path!r} defines no function named {exercise.function!r}"
                         + (f" (it defines: {', '.join(defined)})" if defined else ""))
    if not callable(func):
        raise UsageError(f"{exercise.function!r} in {path!r} is a {type(func).__name__}, not a function")
    return func


def check_file(name: str, path, max_examples: int | None = None) -> CheckResult:
    """Import the student's file ``path``, find the exercise's function in it, and check it.

    Returns a :class:`CheckResult` (``.accepted``, ``.report()``, ``.exit_code``).
    A file that fails to import is a rejection (exit 1) with the error in the
    report; the untouched stub is a rejection marked "not yet implemented".

    Raises
    ------
    UsageError
        Unknown exercise, missing file, or no callable of the exercise's name (exit 2).
    """
    exercise = get(name)
    start = time.perf_counter()
    try:
        func = load_function(name, path)
    except ImportError as exc:
        return CheckResult(exercise=exercise.name, accepted=False, message=str(exc),
                           hint="fix the error above so that the file imports", seconds=time.perf_counter() - start,
                           max_examples=check_settings(max_examples).max_examples)
    return exercise.check(func, max_examples)


_USAGE = """usage: cstheory exercise list
       cstheory exercise show NAME
       cstheory exercise check NAME FILE.py [--max-examples N]"""


def command(argv, stdout=None, stderr=None) -> int:
    """Run ``cstheory exercise ARGV…`` and return the exit status (0 accepted, 1 rejected, 2 usage error).

    ``argv`` is the list of words after ``exercise``: ``["list"]``,
    ``["show", NAME]`` or ``["check", NAME, FILE, "--max-examples", "N"]``.
    """
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    args = list(argv)
    try:
        max_examples = None
        if "--max-examples" in args:
            i = args.index("--max-examples")
            try:
                max_examples = int(args[i + 1])
            except (IndexError, ValueError):
                raise UsageError("--max-examples needs a positive integer") from None
            if max_examples < 1:
                raise UsageError("--max-examples needs a positive integer")
            del args[i:i + 2]
        if args == ["list"]:
            for name in _NAMES:
                print(f"{name:15s} {get(name).title.split(': ', 1)[-1]}", file=stdout)
            return EXIT_ACCEPTED
        if len(args) == 2 and args[0] == "show":
            stdout.write(show(args[1]))
            return EXIT_ACCEPTED
        if len(args) == 3 and args[0] == "check":
            result = check_file(args[1], args[2], max_examples)
            print(result.report(), file=stdout)
            return result.exit_code
        raise UsageError(_USAGE)
    except UsageError as exc:
        print(f"error: {exc}" if str(exc) != _USAGE else _USAGE, file=stderr)
        return EXIT_USAGE
