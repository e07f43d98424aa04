"""The machinery shared by the exercise checkers (floor 6).

An :class:`Exercise` knows how to draw inputs (hypothesis strategies from
:mod:`cstheory.testing`), how the library computes the answer (the
reference), how to judge a student's answer, and which classic mistakes to
recognise.  :meth:`Exercise.run_check` runs one hypothesis property,

    for all drawn inputs:  student(inputs) ≈ reference(inputs),

in THIS process; the student's function is reached through a *caller*: a
plain Python callable (:meth:`Exercise.check`, in-process, for trusted code)
or a :class:`~cstheory.exercises._sandbox.Sandbox` (a child process that
only evaluates the student's function; used for files).  Either way the
drawing, the reference, the comparison, the diagnosis and the verdict happen
here, so shrinking works and the verdict cannot be patched from the
student's side.

Without a seed the settings are derandomized (:func:`check_settings`): a
check gives the same verdict and the same shrunk counterexample on every run
and machine.  With ``seed=S`` (what ``cstheory exercise grade`` uses) the
examples are drawn from S instead, so answers hard-coded for the
counterexamples that a derandomized check shows do not help.  Students'
functions take and return NumPy arrays, so this module works with NumPy on
the host.
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
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.extra import numpy as hnp

from .. import testing
from .._backend import to_numpy
from ._sandbox import Foreign, StudentError, SubmissionAbort

__all__ = [
    "DEFAULT_MAX_EXAMPLES", "PROBE_EXAMPLES", "VERDICTS", "check_settings", "Rejection", "CheckResult", "Exercise",
    "Mistake", "InProcess", "float_arrays", "kernel_strategy", "gaussian_strategy", "circulant", "format_value",
    "no_relu_ties",
]

#: Number of hypothesis examples a check runs by default.
DEFAULT_MAX_EXAMPLES = 50
#: Number of extra examples on which a rejected function is observed to tell classic mistakes apart.
PROBE_EXAMPLES = 10
#: The verdicts of a check: the function agrees; it does not (wrong values or shape, an exception,
#: an exit, a crash, the stub, cstheory's own code); the file does not load (or has no such function);
#: the wall-clock limit ran out.
VERDICTS = ("accepted", "rejected", "error", "timeout")


def check_settings(max_examples: int | None = None, seed: int | None = None) -> settings:
    """The fixed hypothesis settings of every checker.

    No deadline, no example database, quiet, one bug reported, all health
    checks off; built on hypothesis' ``default`` profile, so a profile loaded
    by a test suite does not change a student's verdict.  Without ``seed``
    the run is derandomized (the examples depend only on the checker's code);
    with a seed, :meth:`Exercise.run_check` draws the examples from it
    (``hypothesis.seed``)."""
    return settings(
        settings.get_profile("default"),
        max_examples=DEFAULT_MAX_EXAMPLES if max_examples is None else int(max_examples),
        derandomize=seed is None,
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
    if isinstance(x, np.generic):
        x = x.item()
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


def _parts(x) -> tuple:
    """A result as a tuple of arrays (a single array is a 1-tuple)."""
    return x if isinstance(x, tuple) else (x,)


def _shape(x):
    return tuple(p.shape for p in x) if isinstance(x, tuple) else x.shape


def _type_name(raw) -> str:
    return raw.type_name if isinstance(raw, Foreign) else type(raw).__name__


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class InProcess:
    """A caller that runs a Python function in this process (trusted code: the Python API, the tests).

    Calls ``func`` positionally on copies of the inputs and turns any exception
    (and ``SystemExit``) into a :class:`StudentError`."""

    def __init__(self, func):
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        self.func = func

    def __call__(self, inputs):
        args = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in inputs.values()]
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                return self.func(*args)
        except SystemExit as exc:
            raise StudentError("SystemExit", f"your function called sys.exit({exc.code!r})", exited=True) from None
        except Exception as exc:  # noqa: BLE001 - any error of the student's code is a rejection
            raise StudentError(type(exc).__name__, _student_traceback(exc),
                               not_implemented=isinstance(exc, NotImplementedError)) from None


# ---------------------------------------------------------------------------
# verdicts
# ---------------------------------------------------------------------------
class Rejection(Exception):
    """Raised inside the hypothesis property when the student's answer is wrong on the drawn inputs.

    Hypothesis shrinks the inputs while the property keeps raising, and
    re-raises the Rejection of the smallest failing inputs.  ``hint=None``
    means "diagnose later": the classic mistakes are tried once, on the
    shrunk counterexample and a few more observations (:meth:`Exercise._explain`),
    not on every shrink step."""

    def __init__(self, message, inputs, expected=None, got=None, hint="", not_implemented=False, mistake="",
                 headline=""):
        super().__init__(message)
        self.headline = headline
        self.message = message
        self.inputs = inputs
        self.expected = expected
        self.got = got
        self.hint = hint
        self.not_implemented = not_implemented
        self.mistake = mistake


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
        The shrunk counterexample (or the inputs of the call that ended the check):
        argument name → value, in call order.
    expected, got
        The library's answer and the student's answer on ``inputs`` (arrays, or tuples of
        arrays for exercises with several outputs).
    hint : str
        What the mistake probably is (a recognised classic mistake, or a generic pointer).
    max_examples : int
        Number of hypothesis examples the check ran (at most).
    seconds : float
        Wall time of the check.
    verdict : str
        One of :data:`VERDICTS`: ``accepted``, ``rejected``, ``error`` (the file does not
        import, or has no such function) or ``timeout``.  Derived from ``accepted`` when
        not given.
    mistake : str
        The key of the recognised classic mistake (:attr:`Mistake.key`), or ''.
    seed : int or None
        The seed the examples were drawn from (None: derandomized).
    output : str
        The last lines the submission printed (sandboxed checks that crashed or timed out).
    outputs : tuple of str
        Names of the parts of the result, for exercises returning a tuple.
    headline : str
        A one-line reason (defaults to the first line of ``message``).
    error_kind : str
        For the verdict ``error``: ``import``, ``exit``, ``no_function``, ``not_callable`` or ``died``.
    shrunk : bool
        False when ``inputs`` are those of the call in progress when the check was cut short
        (a timeout, a process that ended), not a shrunk counterexample.
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
    verdict: str = ""
    mistake: str = ""
    seed: int | None = None
    output: str = ""
    outputs: tuple = ()
    headline: str = ""
    error_kind: str = ""
    shrunk: bool = True

    def __post_init__(self):
        if not self.verdict:
            self.verdict = "accepted" if self.accepted else "rejected"
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if (self.verdict == "accepted") != bool(self.accepted):
            raise ValueError(f"verdict {self.verdict!r} contradicts accepted={self.accepted}")

    @property
    def exit_code(self) -> int:
        """The command line's exit status: 0 accepted, 1 otherwise (2, a usage error, never reaches a result)."""
        return 0 if self.accepted else 1

    def _examples_note(self) -> str:
        if self.seed is None:
            return f"up to {self.max_examples} derandomized examples"
        return f"up to {self.max_examples} examples drawn from seed {self.seed}"

    def summary(self) -> str:
        """The verdict's reason on one line (the ``message`` column of ``cstheory exercise grade``),
        ending with ``(seed S)`` when the examples were drawn from a seed."""
        if self.accepted:
            seed = "" if self.seed is None else f", seed {self.seed}"
            return f"agrees with cstheory on every example (up to {self.max_examples} examples{seed})"
        if self.not_implemented:
            text = "not yet implemented (the function raises NotImplementedError)"
        else:
            text = _one_line(self.headline or (self.message.splitlines() or [""])[0])
            if self.hint:
                text += f" Hint: {_one_line(self.hint)}"
        if self.seed is not None:
            text += f" (seed {self.seed})"
        return text

    def _value_lines(self, title, value):
        lines = ["", title]
        if isinstance(value, tuple) and self.outputs:
            for name, part in zip(self.outputs, value):
                lines += [f"  {name} =", format_value(part)]
            if len(value) != len(self.outputs):
                lines += [format_value(value)]
        else:
            lines += [format_value(value)]
        return lines

    def report(self) -> str:
        """A printable account: the verdict and, on rejection, the counterexample, expected, got and hint."""
        footer = f"(hypothesis: {self._examples_note()}; {self.seconds:.2f} s)"
        if self.seed is not None:
            footer += (f"\nRepeat these examples with: cstheory exercise check {self.exercise} FILE.py "
                       f"--seed {self.seed}")
        if self.accepted:
            return (f"Exercise '{self.exercise}': ACCEPTED — your function agrees with cstheory on every "
                    f"example.\n{footer}")
        if self.not_implemented:
            return (f"Exercise '{self.exercise}': REJECTED — not yet implemented "
                    f"(the function raises NotImplementedError).\n"
                    f"Replace the `raise NotImplementedError` line with your code and check again.")
        label = {"rejected": "REJECTED", "error": "ERROR", "timeout": "TIMEOUT"}[self.verdict]
        lines = [f"Exercise '{self.exercise}': {label}", "", self.message]
        if self.inputs is not None:
            lines += ["", "Counterexample (shrunk by hypothesis):" if self.shrunk
                      else "Inputs of the call in progress:"]
            for name, value in self.inputs.items():
                lines += [f"  {name} =", format_value(value)]
        if self.expected is not None:
            lines += self._value_lines("Expected (cstheory's implementation):", self.expected)
        if self.got is not None:
            lines += self._value_lines("Got (your function):", self.got)
            for name, g, e in zip(self.outputs or ("",), _parts(self.got), _parts(self.expected)):
                if (isinstance(g, np.ndarray) and isinstance(e, np.ndarray) and g.shape == e.shape and g.size):
                    diff = np.abs(g - e)
                    if np.all(np.isfinite(diff)):
                        idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
                        where = f" of {name}" if name else ""
                        lines += [f"  largest difference |got − expected|{where} = {diff[idx]:.4g} at index "
                                  f"{tuple(int(i) for i in idx)}"]
        if self.hint:
            lines += ["", "Hint: " + self.hint]
        if self.output:
            lines += ["", "The last lines your code printed:", *("  " + line for line in self.output.splitlines())]
        lines += ["", footer]
        return "\n".join(lines)


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: a short ``key``, the ``hint`` shown, and ``compute``, the wrong answer it gives.

    ``compute`` takes the exercise's inputs as keywords and returns what a
    function making exactly this mistake returns (None: not applicable)."""

    key: str
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
        One line, ``"Exercise 'name': description"``.
    statement : str
        The paragraph shown by ``cstheory exercise show`` (cites the paper's equation).
    stub : str
        Python source of the stub: the signature, the conventions, ``raise NotImplementedError``.
    draw : callable(data) -> dict
        Draws the inputs (argument name → NumPy array or Python number/list, in call order)
        with hypothesis ``data``.
    reference : callable(**inputs) -> numpy.ndarray or tuple of arrays
        The library's answer.
    example : callable() -> dict
        Small fixed inputs (used to detect an untouched stub quickly).
    mistakes : list of Mistake
        Classic mistakes recognised in the hint (keys unique within the exercise).
    rtol : float
        Relative tolerance of the comparison.
    atol_floor : float
        The absolute tolerance is ``rtol · max(atol_floor, max|expected|)`` (per output):
        1 judges entries of O(1) problems on the scale of the inputs; a tiny floor makes
        the comparison purely relative (for a positive scalar such as a bound).
    judge : callable(inputs, expected, got) -> (message, hint, key) or None, optional
        Extra diagnosis after a value mismatch (e.g. feasibility and minimality for eq. (5)).
    default_hint : str
        The hint when no classic mistake matches.
    nan_hint : str
        The hint for a result with NaN or infinity (speaks of this exercise's operations).
    complex_hint : str
        The hint for a complex result (every answer is real).
    outputs : tuple of str
        Names of the parts when the function returns a tuple (empty: one array).
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
    atol_floor: float = 1.0
    judge: Callable | None = None
    default_hint: str = ""
    nan_hint: str = "look for a division by zero or an overflow in your computation"
    complex_hint: str = "the answer is real: return a real array (take the real part where the mathematics says so)"
    outputs: tuple = ()

    def __post_init__(self):
        keys = [m.key for m in self.mistakes]
        if len(set(keys)) != len(keys):
            raise ValueError(f"exercise {self.name!r}: mistake keys must be unique, got {keys}")

    @property
    def description(self) -> str:
        """The one-line description (the title without "Exercise 'name': ")."""
        return self.title.split(": ", 1)[-1]

    # -- text ---------------------------------------------------------------
    def show(self) -> str:
        """A Python file to start from: the statement in the module docstring, then the stub."""
        header = [f"{self.title}", "", *_wrap_lines(self.statement), "",
                  "Check your solution with:", f"    cstheory exercise check {self.name} THIS_FILE.py"]
        doc = "\n".join(header).replace('"""', "'''")
        return f'"""{doc}\n"""\n{self.stub.strip()}\n'

    # -- comparing -------------------------------------------------------------
    def expected(self, inputs):
        """The reference answer on ``inputs`` as float64 NumPy array(s)."""
        with np.errstate(all="ignore"):
            ref = self.reference(**inputs)
        if self.outputs:
            return tuple(np.asarray(to_numpy(p), dtype=np.float64) for p in ref)
        return np.asarray(to_numpy(ref), dtype=np.float64)

    def close(self, got, expected) -> bool:
        """True when every part of ``got`` has the shape of ``expected`` and agrees within the tolerance."""
        got, expected = _parts(got), _parts(expected)
        if len(got) != len(expected):
            return False
        for g, e in zip(got, expected):
            if g.shape != e.shape:
                return False
            scale = max(self.atol_floor, float(np.max(np.abs(e)))) if e.size else 1.0
            if scale == 0.0:
                scale = 1.0
            with np.errstate(all="ignore"):
                if not np.allclose(g, e, rtol=self.rtol, atol=self.rtol * scale):
                    return False
        return True

    @staticmethod
    def _finite(x) -> bool:
        return all(bool(np.all(np.isfinite(p))) for p in _parts(x))

    def _array(self, raw):
        """(float64 array, None) or (None, (message, hint, key)) for one returned value."""
        if raw is None or isinstance(raw, Foreign):
            return None, None
        try:
            arr = np.asarray(raw) if isinstance(raw, (list, tuple)) else np.asarray(to_numpy(raw))
        except Exception:  # noqa: BLE001 - not array-like
            return None, None
        if arr.dtype.kind == "c":
            return None, ("Your function returned a complex array; the answer is real.", self.complex_hint,
                          "complex_result")
        if arr.dtype.kind not in "biuf":
            return None, None
        return arr.astype(np.float64), None

    def convert(self, raw, expected):
        """The student's return value as float64 array(s), or ``(None, (message, hint, key))``."""
        if self.outputs:
            names = ", ".join(self.outputs)
            if not isinstance(raw, (tuple, list)) or len(raw) != len(self.outputs):
                what = (f"a {_type_name(raw)} of length {len(raw)}" if isinstance(raw, (tuple, list))
                        else _type_name(raw))
                return None, (f"Your function returned {what}; expected a tuple of {len(self.outputs)} arrays "
                              f"({names}).", f"return ({names}) as a tuple", "")
            parts = []
            for name, part in zip(self.outputs, raw):
                arr, problem = self._array(part)
                if problem is not None:
                    return None, problem
                if arr is None:
                    return None, (f"Your function returned {_type_name(part)} for {name}, not an array.",
                                  f"return ({names}) as a tuple of NumPy arrays", "")
                parts.append(arr)
            return tuple(parts), None
        arr, problem = self._array(raw)
        if problem is not None:
            return None, problem
        if arr is None:
            shape = expected.shape
            what = "a float" if shape == () else f"a NumPy array of shape {shape}"
            return None, (f"Your function returned {_type_name(raw)}, not an array.", f"return {what}", "")
        return arr, None

    # -- diagnosis -------------------------------------------------------------
    def _reproduces(self, mistake, inputs, got):
        """True / False when ``mistake`` does / does not reproduce ``got``; None when it does not apply."""
        try:
            with np.errstate(all="ignore"):
                wrong = mistake.compute(**inputs)
            if wrong is None:
                return None
            wrong = (tuple(np.asarray(p, dtype=np.float64) for p in wrong) if self.outputs
                     else np.asarray(wrong, dtype=np.float64))
        except Exception:  # noqa: BLE001 - a mistake that does not apply to these inputs
            return None
        if not self._finite(wrong):
            return None
        return self.close(got, wrong)

    def diagnose(self, observations):
        """The first classic mistake that reproduces the student's answer on every observation
        (inputs, got) where it applies, and applies at least once; None if none does."""
        for mistake in self.mistakes:
            verdicts = [self._reproduces(mistake, inputs, got) for inputs, got in observations]
            if True in verdicts and False not in verdicts:
                return mistake
        return None

    def _observe(self, caller, count=PROBE_EXAMPLES):
        """(inputs, got) on up to ``count`` more derandomized examples where the answer is wrong.

        Runs only after the verdict (a rejection) is reached, to pick the hint, so that the references it
        computes before each call cannot help a submission.  (Hypothesis derandomizes from the source of
        ``probe``: editing its body changes the examples, and with them some diagnoses.)"""
        observations = []

        @settings(check_settings(count), phases=(Phase.generate,))
        @given(data=st.data())
        def probe(data):
            inputs = self.draw(data)
            expected = self.expected(inputs)
            try:
                raw = caller(inputs)
            except StudentError:
                return
            got, problem = self.convert(raw, expected)
            if problem is None and self._finite(got) and not self.close(got, expected):
                observations.append((inputs, got))

        try:
            probe()
        except SubmissionAbort:
            pass
        except Exception:  # noqa: BLE001 - hypothesis could not draw enough: diagnose with what there is
            pass
        return observations

    def _explain(self, rej, caller):
        """(message, hint, key) for a value or shape mismatch on the shrunk counterexample: a judge's
        verdict and/or a classic mistake that also explains the answers on a few more examples."""
        observations = [(rej.inputs, rej.got)]
        if self.mistakes:
            observations += self._observe(caller)
        mistake = self.diagnose(observations)
        message = rej.message
        hint, key = (mistake.hint, mistake.key) if mistake is not None else ("", "")
        if _shape(rej.got) != _shape(rej.expected):
            return message, hint or f"the result must have shape {_shape(rej.expected)}", key
        if not self._finite(rej.got):
            return message, hint or self.nan_hint, key
        if self.judge is not None:
            verdict = self.judge(rej.inputs, rej.expected, rej.got)
            if verdict is not None:
                # a shrunk counterexample can be degenerate (m = 1, n = 1 …): the judge's diagnosis must
                # also hold on the other wrong answers; if these agree on another one, theirs wins
                others = [self._judge_quietly(inputs, got) for inputs, got in observations[1:]]
                keys = {v[2] for v in others if v is not None}
                if keys and keys != {verdict[2]}:
                    verdict = (message, *next(v for v in others if v is not None)[1:]) if len(keys) == 1 \
                        else None
            if verdict is not None:
                message = verdict[0]
                if not hint:
                    hint, key = verdict[1], verdict[2]
        return message, hint or self.default_hint, key

    def _judge_quietly(self, inputs, got):
        """The judge's verdict on one more observation, or None where it does not apply."""
        expected = self.expected(inputs)
        if _shape(got) != _shape(expected):
            return None
        try:
            with np.errstate(all="ignore"):
                return self.judge(inputs, expected, got)
        except Exception:  # noqa: BLE001 - a judge that cannot decide on these inputs
            return None

    def _raise_hint(self, err) -> str:
        text = err.detail
        if err.exited:
            return "do not call exit() or sys.exit() in the function: return the result"
        if "MemoryError" in err.type_name or "MemoryError" in text:
            return ("your function ran out of memory (a sandboxed check limits the process's memory): "
                    "avoid forming huge arrays")
        if err.type_name in ("ValueError", "IndexError") and any(w in text for w in ("shape", "align", "dimension")):
            return "a shape mismatch: check which side each matrix multiplies from and the orientation of the arrays"
        return "the traceback above comes from your function on the counterexample's inputs"

    # -- checking -------------------------------------------------------------
    def _one_example(self, caller, data):
        inputs = self.draw(data)
        # the reference is computed only once the submission has answered: while its code runs, the
        # expected value exists nowhere (and the grader is non-dumpable, see _isolation)
        try:
            raw = caller(inputs)
        except StudentError as err:
            expected = self.expected(inputs)
            if err.not_implemented:
                raise Rejection("Your function raised NotImplementedError on these inputs.", inputs, expected,
                                hint="finish the implementation (no input may be left unimplemented)",
                                not_implemented=True) from None
            if err.exited:
                raise Rejection(f"Your function called sys.exit ({err.detail}).", inputs, expected,
                                hint=self._raise_hint(err)) from None
            last = (err.detail.strip().splitlines() or [err.type_name])[-1]
            raise Rejection(f"Your function raised an exception:\n{err.detail}", inputs, expected,
                            hint=self._raise_hint(err), headline=f"Your function raised {last}") from None
        except SubmissionAbort as abort:
            abort.inputs = inputs
            raise
        expected = self.expected(inputs)
        got, problem = self.convert(raw, expected)
        if problem is not None:
            raise Rejection(problem[0], inputs, expected, hint=problem[1], mistake=problem[2])
        # the hint (which classic mistake?) is worked out once, on the shrunk counterexample: see _explain
        if _shape(got) != _shape(expected):
            raise Rejection(f"Wrong shape: expected {_shape(expected)}, got {_shape(got)}.", inputs, expected, got,
                            hint=None)
        if not self._finite(got):
            raise Rejection("Your result contains NaN or infinity.", inputs, expected, got, hint=None)
        if not self.close(got, expected):
            raise Rejection("Wrong values: your result differs from cstheory's.", inputs, expected, got, hint=None)

    def run_check(self, caller, max_examples: int | None = None, seed: int | None = None) -> CheckResult:
        """Check the function behind ``caller`` against the library on hypothesis-drawn inputs.

        Parameters
        ----------
        caller : callable(inputs) -> result
            Calls the student's function on ``inputs`` (a dict, in call order); raises
            :class:`~cstheory.exercises._sandbox.StudentError` for an exception of the
            function and :class:`~cstheory.exercises._sandbox.SubmissionAbort` when the
            check cannot go on (see :class:`InProcess` and
            :class:`~cstheory.exercises._sandbox.Sandbox`).
        max_examples : int, optional
            Number of hypothesis examples (default :data:`DEFAULT_MAX_EXAMPLES`).
        seed : int, optional
            Draw the examples from this seed; default: derandomized (the same examples on
            every run).

        Returns
        -------
        CheckResult
        """
        cfg = check_settings(max_examples, seed)
        start = time.perf_counter()

        def result(**kw):
            return CheckResult(exercise=self.name, max_examples=cfg.max_examples, seed=seed, outputs=self.outputs,
                               seconds=time.perf_counter() - start, **kw)

        def aborted(abort):
            return result(accepted=False, verdict=abort.verdict, message=abort.message, hint=abort.hint,
                          inputs=abort.inputs, mistake=abort.key, shrunk=False)

        # the untouched stub: say so at once instead of shrinking a NotImplementedError
        try:
            caller(self.example())
        except StudentError as err:
            if err.not_implemented:
                return result(accepted=False, not_implemented=True,
                              message="not yet implemented: the function raises NotImplementedError")
        except SubmissionAbort as abort:
            abort.inputs = self.example()
            return aborted(abort)

        @cfg
        @given(data=st.data())
        def property_matches_library(data):
            self._one_example(caller, data)

        if seed is not None:
            property_matches_library = hypothesis_seed(int(seed))(property_matches_library)
        try:
            property_matches_library()
        except Rejection as rej:
            if rej.hint is None:
                try:
                    message, hint, key = self._explain(rej, caller)
                except SubmissionAbort:
                    message, hint, key = rej.message, self.default_hint, ""
            else:
                message, hint, key = rej.message, rej.hint, rej.mistake
            return result(accepted=False, not_implemented=rej.not_implemented, message=message,
                          inputs=rej.inputs, expected=rej.expected, got=rej.got, hint=hint, mistake=key,
                          headline=rej.headline)
        except SubmissionAbort as abort:
            return aborted(abort)
        except Flaky as exc:
            return result(accepted=False, message=(
                "Your function gave different verdicts on the same inputs (is it random, or does it keep "
                f"state between calls?): {type(exc).__name__}"),
                hint="make the function deterministic: the same inputs must give the same output")
        return result(accepted=True)

    def check(self, func, max_examples: int | None = None, seed: int | None = None) -> CheckResult:
        """Check the Python function ``func`` IN THIS PROCESS (trusted code; files go through a sandbox,
        see :func:`cstheory.exercises.check_file`).

        Parameters
        ----------
        func : callable
            The student's function, called positionally with NumPy arrays.
        max_examples : int, optional
            Number of hypothesis examples (default :data:`DEFAULT_MAX_EXAMPLES`).
        seed : int, optional
            Draw the examples from this seed (default: derandomized).

        Returns
        -------
        CheckResult
        """
        return self.run_check(InProcess(func), max_examples, seed)


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
