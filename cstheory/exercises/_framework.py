"""The machinery shared by the exercise checkers (floor 6).

An :class:`Exercise` knows how to draw inputs (hypothesis strategies from
:mod:`cstheory.testing`), how the library computes the answer (the
reference), how to judge a student's answer, and which classic mistakes to
recognise.  :meth:`Exercise.check` runs one hypothesis property,

    for all drawn inputs:  student(inputs) ≈ reference(inputs),

under fixed, derandomized settings (:func:`check_settings`), so that a check
gives the same verdict and the same shrunk counterexample on every run and
every machine.  Students' functions take and return NumPy arrays, so this
module works with NumPy on the host.
"""
from __future__ import annotations

import functools
import math
import os
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.extra import numpy as hnp

from .. import testing
from .._backend import to_numpy

__all__ = [
    "DEFAULT_MAX_EXAMPLES", "check_settings", "Rejection", "CheckResult", "Exercise", "Mistake",
    "float_arrays", "kernel_strategy", "gaussian_strategy", "circulant", "format_value", "no_relu_ties",
]

#: Number of hypothesis examples a check runs by default.
DEFAULT_MAX_EXAMPLES = 50


def check_settings(max_examples: int | None = None) -> settings:
    """The fixed hypothesis settings of every checker.

    Derandomized (the examples depend only on the checker's code, not on a
    clock or a database), no deadline, no example database, quiet, one bug
    reported.  Built on hypothesis' ``default`` profile, so a profile loaded
    by a test suite does not change a student's verdict."""
    return settings(
        settings.get_profile("default"),
        max_examples=DEFAULT_MAX_EXAMPLES if max_examples is None else int(max_examples),
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )


# ---------------------------------------------------------------------------
# strategies and small helpers (host NumPy)
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def float_arrays(shape, bound: float = 2.0, min_abs: float = 0.0):
    """Float64 arrays with entries in [−bound, bound] and, if ``min_abs`` > 0, |entry| ≥ ``min_abs``.

    Hypothesis shrinks them to simple numbers (0, ±1, ±0.5, …), which makes
    counterexamples readable.  Cached: building a strategy anew for every
    example costs more than drawing from it."""
    if min_abs > 0:
        # x ∈ [−(bound − min_abs), bound − min_abs] ↦ sign(x)(min_abs + |x|): no filter, so shrinking stays
        # cheap (a filter makes most shrink attempts invalid); shrinks towards ±min_abs
        elems = st.floats(-(bound - min_abs), bound - min_abs, allow_nan=False, allow_subnormal=False,
                          width=64).map(lambda x: float(math.copysign(min_abs + abs(x), x)))
    else:
        elems = st.floats(-bound, bound, allow_nan=False, allow_subnormal=False, width=64)
    return hnp.arrays(np.float64, shape, elements=elems)


@functools.lru_cache(maxsize=None)
def kernel_strategy(n: int):
    """:func:`cstheory.testing.kernels` (arbitrary, mostly asymmetric kernels), cached per n."""
    return testing.kernels(n)


@functools.lru_cache(maxsize=None)
def gaussian_strategy(m: int, n: int):
    """:func:`cstheory.testing.measurement_matrices` (iid N(0, 1/m) entries from a drawn seed), cached."""
    return testing.measurement_matrices(m, n)


def circulant(u) -> np.ndarray:
    """Host circulant matrix U[i, j] = u[(i − j) mod n] (the convention of :mod:`cstheory.kernels`)."""
    u = np.asarray(u, dtype=np.float64)
    n = u.shape[0]
    return u[(np.arange(n)[:, None] - np.arange(n)[None, :]) % n]


def no_relu_ties(Z, rel: float = 1e-7) -> bool:
    """True when no entry of the pre-activation Z is (numerically) zero, so ReLU'(Z) is unambiguous."""
    Z = np.asarray(Z)
    return bool(np.min(np.abs(Z)) > rel * (1.0 + np.max(np.abs(Z))))


def format_value(x, indent: str = "    ") -> str:
    """An input or output as readable text (arrays with 4 significant decimals)."""
    if isinstance(x, np.ndarray):
        x = x + 0.0 if x.dtype.kind == "f" else x  # print −0.0 as 0.0
        with np.printoptions(precision=4, suppress=True, linewidth=100, threshold=2000):
            text = np.array2string(x, separator=", ")
        text = f"array of shape {x.shape}:\n{text}" if x.ndim >= 2 else text
    else:
        text = repr(x)
    return "\n".join(indent + line for line in text.splitlines())


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _student_traceback(exc, limit: int = 4) -> str:
    """The exception and the last frames of the traceback that lie outside cstheory (the student's code)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR + os.sep)]
    text = "".join(traceback.format_list(frames[-limit:]))
    text += "".join(traceback.format_exception_only(type(exc), exc))
    return text.rstrip()


def _as_float_array(got):
    """The student's return value as a float64 NumPy array, or None if it is not array-like."""
    if got is None:
        return None
    try:
        arr = np.asarray(to_numpy(got), dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


# ---------------------------------------------------------------------------
# verdicts
# ---------------------------------------------------------------------------
class Rejection(Exception):
    """Raised inside the hypothesis property when the student's answer is wrong on the drawn inputs.

    Hypothesis shrinks the inputs while the property keeps raising, and
    re-raises the Rejection of the smallest failing inputs.  ``hint=None``
    means "diagnose later": the classic mistakes are tried once, on the
    shrunk counterexample (:meth:`Exercise._explain`), not on every shrink step."""

    def __init__(self, message, inputs, expected=None, got=None, hint="", not_implemented=False):
        super().__init__(message)
        self.message = message
        self.inputs = inputs
        self.expected = expected
        self.got = got
        self.hint = hint
        self.not_implemented = not_implemented


@dataclass
class CheckResult:
    """The verdict of one check.

    Attributes
    ----------
    exercise : str
        The exercise's name.
    accepted : bool
        True when every drawn example matched the library.
    not_implemented : bool
        True when the function raised ``NotImplementedError`` (the untouched stub).
    message : str
        What went wrong (empty when accepted).
    inputs : dict or None
        The shrunk counterexample: argument name → value, in call order.
    expected, got
        The library's answer and the student's answer on ``inputs``.
    hint : str
        What the mistake probably is (a recognised classic mistake, or a generic pointer).
    max_examples : int
        Number of hypothesis examples the check ran (at most).
    seconds : float
        Wall time of the check.
    """

    exercise: str
    accepted: bool
    not_implemented: bool = False
    message: str = ""
    inputs: dict | None = None
    expected: Any = None
    got: Any = None
    hint: str = ""
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """The command line's exit status: 0 accepted, 1 rejected (2, a usage error, never reaches a result)."""
        return 0 if self.accepted else 1

    def report(self) -> str:
        """A printable account: the verdict and, on rejection, the counterexample, expected, got and hint."""
        footer = (f"(hypothesis: up to {self.max_examples} derandomized examples; "
                  f"{self.seconds:.2f} s)")
        if self.accepted:
            return f"Exercise '{self.exercise}': ACCEPTED — your function agrees with cstheory on every example.\n{footer}"
        if self.not_implemented:
            return (f"Exercise '{self.exercise}': REJECTED — not yet implemented "
                    f"(the function raises NotImplementedError).\n"
                    f"Replace the `raise NotImplementedError` line with your code and check again.")
        lines = [f"Exercise '{self.exercise}': REJECTED", "", self.message]
        if self.inputs is not None:
            lines += ["", "Counterexample (shrunk by hypothesis):"]
            for name, value in self.inputs.items():
                lines += [f"  {name} =", format_value(value)]
        if self.expected is not None:
            lines += ["", "Expected (cstheory's implementation):", format_value(self.expected)]
        if self.got is not None:
            lines += ["", "Got (your function):", format_value(self.got)]
            if (isinstance(self.got, np.ndarray) and isinstance(self.expected, np.ndarray)
                    and self.got.shape == self.expected.shape and self.got.size):
                diff = np.abs(self.got - self.expected)
                if np.all(np.isfinite(diff)):
                    idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
                    lines += [f"  largest difference |got − expected| = {diff[idx]:.4g} at index "
                              f"{tuple(int(i) for i in idx)}"]
        if self.hint:
            lines += ["", "Hint: " + self.hint]
        lines += ["", footer]
        return "\n".join(lines)


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: a description (the hint shown) and a function computing the wrong answer."""

    hint: str
    compute: Callable[..., Any]


# ---------------------------------------------------------------------------
# the exercise
# ---------------------------------------------------------------------------
@dataclass
class Exercise:
    """One auto-checked exercise.

    Parameters
    ----------
    name : str
        The exercise's name (also the name of the module in ``cstheory.exercises``).
    function : str
        The name of the function the student writes.
    title : str
        One line.
    statement : str
        The paragraph shown by ``cstheory exercise show`` (cites the paper's equation).
    stub : str
        Python source of the stub: the signature, the conventions, ``raise NotImplementedError``.
    draw : callable(data) -> dict
        Draws the inputs (argument name → NumPy array, in call order) with hypothesis ``data``.
    reference : callable(**inputs) -> numpy.ndarray
        The library's answer.
    example : callable() -> dict
        Small fixed inputs (used to detect an untouched stub quickly).
    mistakes : list of Mistake
        Classic mistakes recognised in the hint.
    rtol : float
        Relative tolerance of the comparison (relative to max|expected|).
    judge : callable(inputs, expected, got) -> (message, hint) or None, optional
        Extra diagnosis after a value mismatch (e.g. feasibility and minimality for eq. (5)).
    default_hint : str
        The hint when no classic mistake matches.
    """

    name: str
    function: str
    title: str
    statement: str
    stub: str
    draw: Callable
    reference: Callable
    example: Callable
    mistakes: list = field(default_factory=list)
    rtol: float = 1e-7
    judge: Callable | None = None
    default_hint: str = ""

    # -- text ---------------------------------------------------------------
    def show(self) -> str:
        """A Python file to start from: the statement in the module docstring, then the stub."""
        header = [f"{self.title}", "", *_wrap_lines(self.statement), "",
                  "Check your solution with:", f"    cstheory exercise check {self.name} THIS_FILE.py"]
        doc = "\n".join(header).replace('"""', "'''")
        return f'"""{doc}\n"""\n{self.stub.strip()}\n'

    # -- checking -------------------------------------------------------------
    def close(self, got, expected) -> bool:
        scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
        return bool(np.allclose(got, expected, rtol=self.rtol, atol=self.rtol * scale))

    def diagnose(self, inputs, got) -> str:
        """The hint of the first classic mistake that reproduces ``got`` on ``inputs``."""
        for mistake in self.mistakes:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    wrong = mistake.compute(**inputs)
                if wrong is None:
                    continue
                wrong = np.asarray(wrong, dtype=np.float64)
            except Exception:  # noqa: BLE001 - a mistake that does not apply to these inputs
                continue
            if wrong.shape == got.shape and np.all(np.isfinite(wrong)) and self.close(got, wrong):
                return mistake.hint
        return ""

    def _call(self, func, inputs):
        args = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in inputs.values()]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return func(*args)

    def _one_example(self, func, data):
        inputs = self.draw(data)
        expected = np.asarray(to_numpy(self.reference(**inputs)), dtype=np.float64)
        try:
            raw = self._call(func, inputs)
        except NotImplementedError:
            raise Rejection("Your function raised NotImplementedError on these inputs.", inputs, expected,
                            hint="finish the implementation (no input may be left unimplemented)",
                            not_implemented=True) from None
        except Exception as exc:  # noqa: BLE001 - any error of the student's code is a rejection
            raise Rejection(f"Your function raised an exception:\n{_student_traceback(exc)}", inputs, expected,
                            hint=self._raise_hint(exc)) from None
        got = _as_float_array(raw)
        if got is None:
            raise Rejection(f"Your function returned {type(raw).__name__}, not an array.", inputs, expected,
                            hint=f"return a NumPy array of shape {expected.shape}")
        # the hint (which classic mistake?) is worked out once, on the shrunk counterexample: see _explain
        if got.shape != expected.shape:
            raise Rejection(f"Wrong shape: expected {expected.shape}, got {got.shape}.", inputs, expected, got,
                            hint=None)
        if not np.all(np.isfinite(got)):
            raise Rejection("Your result contains NaN or infinity.", inputs, expected, got, hint=None)
        if not self.close(got, expected):
            raise Rejection("Wrong values: your result differs from cstheory's.", inputs, expected, got, hint=None)

    def _explain(self, rej):
        """(message, hint) for a rejection on the shrunk counterexample: a judge's verdict and/or a
        recognised classic mistake."""
        message, hint = rej.message, self.diagnose(rej.inputs, rej.got)
        if rej.got.shape != rej.expected.shape:
            return message, hint or f"the result must have shape {rej.expected.shape}"
        if not np.all(np.isfinite(rej.got)):
            return message, hint or "look for a division by zero or acos outside [−1, 1]"
        if self.judge is not None:
            verdict = self.judge(rej.inputs, rej.expected, rej.got)
            if verdict is not None:
                message, hint = verdict[0], hint or verdict[1]
        return message, hint or self.default_hint

    @staticmethod
    def _raise_hint(exc) -> str:
        text = str(exc)
        if isinstance(exc, (ValueError, IndexError)) and any(w in text for w in ("shape", "align", "dimension")):
            return "a shape mismatch: check which side each matrix multiplies from and the orientation of the arrays"
        return "the traceback above comes from your function on the counterexample's inputs"

    def check(self, func, max_examples: int | None = None) -> CheckResult:
        """Check ``func`` against the library on hypothesis-drawn inputs.

        Parameters
        ----------
        func : callable
            The student's function, called positionally with NumPy arrays.
        max_examples : int, optional
            Number of hypothesis examples (default :data:`DEFAULT_MAX_EXAMPLES`).

        Returns
        -------
        CheckResult
        """
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        cfg = check_settings(max_examples)
        start = time.perf_counter()

        def result(**kw):
            return CheckResult(exercise=self.name, max_examples=cfg.max_examples,
                               seconds=time.perf_counter() - start, **kw)

        # the untouched stub: say so at once instead of shrinking a NotImplementedError
        try:
            self._call(func, self.example())
        except NotImplementedError:
            return result(accepted=False, not_implemented=True,
                          message="not yet implemented: the function raises NotImplementedError")
        except Exception:  # noqa: BLE001 - hypothesis finds and shrinks it below
            pass

        @cfg
        @given(data=st.data())
        def property_matches_library(data):
            self._one_example(func, data)

        try:
            property_matches_library()
        except Rejection as rej:
            message, hint = (rej.message, rej.hint) if rej.hint is not None else self._explain(rej)
            return result(accepted=False, not_implemented=rej.not_implemented, message=message,
                          inputs=rej.inputs, expected=rej.expected, got=rej.got, hint=hint)
        except Flaky as exc:
            return result(accepted=False, message=(
                "Your function gave different verdicts on the same inputs (is it random, or does it keep "
                f"state between calls?): {type(exc).__name__}"),
                hint="make the function deterministic: the same inputs must give the same output")
        return result(accepted=True)


def _wrap_lines(text: str, width: int = 88) -> list[str]:
    import textwrap
    out = []
    for para in text.strip("\n").split("\n\n"):
        if para.startswith(" "):  # a displayed formula: keep it as written
            out += [line.rstrip() for line in para.strip("\n").splitlines()] + [""]
        else:
            out += textwrap.wrap(" ".join(para.split()), width) + [""]
    return out[:-1]


def output_weights(k):
    """v = [1, …, 1, −1, …, −1]/√k of eq. (3), as a host array."""
    return np.r_[np.ones(k // 2), -np.ones(k // 2)] / math.sqrt(k)
