"""The engine of the exercise checkers: the :class:`Exercise`, its hypothesis property and diagnosis.

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

Besides each exercise's classic mistakes, two diagnoses are shared by all
(:data:`GENERAL_DIAGNOSES`): an answer off by rounding-sized relative errors
that are not a common factor (``float32_precision``: "compute in float64")
and an answer with an extra axis of length 1 (``extra_axis``: an (N, 1) for
an (N,), told in the general form of :attr:`Exercise.shape`).
"""
from __future__ import annotations

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

from .._backend import to_numpy
from ._formatting import (DEFAULT_MAX_EXAMPLES, LEVELS, VERDICTS, CheckResult, check_level, parts,
                          shape_of, type_name, wrap_lines)
from ._sandbox import Foreign, StudentError, SubmissionAbort

__all__ = [
    "DEFAULT_MAX_EXAMPLES", "PROBE_EXAMPLES", "VERDICTS", "LEVELS", "check_settings", "Rejection", "CheckResult",
    "Exercise", "Mistake", "InProcess",
]

#: Number of extra examples on which a rejected function is observed to tell classic mistakes apart.
PROBE_EXAMPLES = 10
#: Relative errors (to the largest |expected|) that rounding in single precision makes, rather than a
#: wrong formula: (low, high].
PRECISION_BAND = (1e-9, 3e-4)
#: The hint for an answer off by rounding (float32 arithmetic somewhere).
PRECISION_HINT = ("compute in float64: your answer is right up to rounding errors of single precision "
                  "(float32 arrays, np.float32(...) or a float32 library routine somewhere); keep every array "
                  "float64, the NumPy default.")
#: The diagnoses every exercise shares (keys no exercise's own mistake may take): an answer off by rounding,
#: an extra axis of length 1, a complex answer, a submission that calls cstheory, an answer of the wrong shape no
#: classic mistake explains, an exception, sys.exit, the untouched stub.
GENERAL_DIAGNOSES = ("float32_precision", "extra_axis", "complex_result", "uses_cstheory", "wrong_shape", "exception",
                     "exit", "not_implemented")


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


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _student_traceback(exc, limit: int = 4) -> str:
    """The exception and the last frames of the traceback that lie outside cstheory (the student's code)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR + os.sep)]
    text = "".join(traceback.format_list(frames[-limit:]))
    text += "".join(traceback.format_exception_only(type(exc), exc))
    return text.rstrip()



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
        The exercise's name (also the name of its module in ``cstheory.exercises``).
    function : str
        The name of the function the student writes.
    statement : str
        The ``guided`` statement shown by ``cstheory exercise show`` (cites the paper's equation and
        gives the formula).
    stub : str
        Python source of the stub: the signature, the shapes, the conventions, ``raise NotImplementedError``.
    draw : callable(data) -> dict
        Draws the inputs (argument name → NumPy array or Python number/list, in call order)
        with hypothesis ``data``.
    reference : callable(**inputs) -> numpy.ndarray or tuple of arrays
        The library's answer.
    example : callable() -> dict
        Small fixed inputs (used to detect an untouched stub quickly).
    summary : str
        One line: what the student writes (``cstheory exercise list``, the docs' table).
    equation : str
        The paper's reference, e.g. ``"eq. (20)"`` or ``"App. B"``.
    brief : str
        The ``standard`` and ``exam`` statement: the object, its shape and the paper's equation
        number, no formula.
    shape : str
        The shape of the answer in general form, e.g. ``"(N,) where N = J.shape[1]"`` (said on a
        wrong shape instead of the shrunk counterexample's size).
    position : int
        Place in the teaching order of :data:`cstheory.exercises.EXERCISES` (ties: by name).
    title : str
        One line, ``"Exercise 'name': summary, equation"`` (built from them when not given).
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
        The hint when no classic mistake matches (at the ``guided`` level only: it may state the
        formula).
    nan_hint : str
        The hint for a result with NaN or infinity (speaks of this exercise's operations).
    complex_hint : str
        The hint for a complex result (every answer is real).
    outputs : tuple of str
        Names of the parts when the function returns a tuple (empty: one array).
    """

    name: str
    function: str
    statement: str
    stub: str
    draw: Callable
    reference: Callable
    example: Callable
    summary: str = ""
    equation: str = ""
    brief: str = ""
    shape: str = ""
    position: int = 100
    title: str = ""
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
        reserved = set(keys) & set(GENERAL_DIAGNOSES)
        if reserved:
            raise ValueError(f"exercise {self.name!r}: mistake keys {sorted(reserved)} are reserved for the "
                             "diagnoses every exercise shares")
        if not self.title:
            self.title = f"Exercise '{self.name}': {self.summary}" + (f", {self.equation}" if self.equation else "")
        if not self.summary:
            self.summary = self.title.split(": ", 1)[-1]

    # -- text ---------------------------------------------------------------
    def statement_for(self, level: str = "guided") -> str:
        """The statement at ``level`` (:data:`LEVELS`): ``guided`` gives the formula; ``standard`` and
        ``exam`` give the object, its shape and the paper's equation only (:attr:`brief`)."""
        check_level(level)
        if level == "guided" or not self.brief:
            return self.statement
        return self.brief

    def heading(self, level: str = "guided") -> str:
        """The title, naming ``level`` unless it is ``guided`` (of :meth:`show` and of the notebook).

        Examples
        --------
        >>> from cstheory import exercises
        >>> exercises.get("min_norm").heading("exam")
        "Exercise 'min_norm': the minimum-norm coefficients, eq. (5) — level exam"
        """
        return self.title if check_level(level) == "guided" else f"{self.title} — level {level}"

    def show(self, level: str = "guided") -> str:
        """A Python file to start from: the statement at ``level`` in the module docstring, then the stub."""
        statement = self.statement_for(level)
        header = [self.heading(level), "", *wrap_lines(statement), "",
                  "Check your solution with:", f"    cstheory exercise check {self.name} THIS_FILE.py"
                  + ("" if level == "guided" else f" --level {level}")]
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
        got, expected = parts(got), parts(expected)
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
        return all(bool(np.all(np.isfinite(p))) for p in parts(x))

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
                what = (f"a {type_name(raw)} of length {len(raw)}" if isinstance(raw, (tuple, list))
                        else type_name(raw))
                return None, (f"Your function returned {what}; expected a tuple of {len(self.outputs)} arrays "
                              f"({names}).", f"return ({names}) as a tuple", "")
            parts = []
            for name, part in zip(self.outputs, raw):
                arr, problem = self._array(part)
                if problem is not None:
                    return None, problem
                if arr is None:
                    return None, (f"Your function returned {type_name(part)} for {name}, not an array.",
                                  f"return ({names}) as a tuple of NumPy arrays", "")
                parts.append(arr)
            return tuple(parts), None
        arr, problem = self._array(raw)
        if problem is not None:
            return None, problem
        if arr is None:
            shape = expected.shape
            what = "a float" if shape == () else f"a NumPy array of shape {shape}"
            return None, (f"Your function returned {type_name(raw)}, not an array.", f"return {what}", "")
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
        observations = [(rej.inputs, rej.got)] + self._observe(caller)
        mistake = self.diagnose(observations)
        message = rej.message
        hint, key = (mistake.hint, mistake.key) if mistake is not None else ("", "")
        if shape_of(rej.got) != shape_of(rej.expected):
            if not hint and self._extra_axis(rej.got, rej.expected):
                hint, key = (f"expected {self._shape_words(rej.expected)}, a {rej.expected.ndim}-D array; your "
                             f"answer has shape {shape_of(rej.got)}, with an extra axis of length 1 (an (N, 1) "
                             "column where an (N,) vector belongs): drop it (np.ravel, np.squeeze, or keep "
                             "vectors 1-D throughout)."), "extra_axis"
            return message, hint or f"the result must have shape {self._shape_words(rej.expected)}", key or "wrong_shape"
        if not self._finite(rej.got):
            return message, hint or self.nan_hint, key
        if not hint:
            loss = self._precision_loss(observations)
            if loss is not None:
                return (f"Wrong values: your result differs from cstheory's by a relative error of {loss:.1e} "
                        "— the size of rounding in single precision, not of a wrong formula."), PRECISION_HINT, \
                    "float32_precision"
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

    def _shape_words(self, expected) -> str:
        """"(N,) where N = … (here (3,))": the general form when the exercise states it."""
        here = shape_of(expected)
        return f"{self.shape} (here {here})" if self.shape else f"{here}"

    def _extra_axis(self, got, expected) -> bool:
        """True when ``got`` is ``expected``'s shape with one more axis of length 1 (an (N, 1) for an (N,))."""
        if isinstance(got, tuple) or isinstance(expected, tuple) or got.ndim != expected.ndim + 1:
            return False
        return any(got.shape[:i] + got.shape[i + 1:] == expected.shape and got.shape[i] == 1
                   for i in range(got.ndim))

    def _precision_loss(self, observations):
        """The largest relative error when every wrong answer is off by rounding-sized errors (relative
        error in :data:`PRECISION_BAND`) that are not a common factor (a scaled answer is a wrong formula);
        None otherwise."""
        worst = 0.0
        for inputs, got in observations:
            expected = self.expected(inputs)
            for g, e in zip(parts(got), parts(expected)):
                if g.shape != e.shape:
                    return None
                if not e.size:
                    continue
                scale = max(self.atol_floor, float(np.max(np.abs(e))))
                with np.errstate(all="ignore"):
                    err = g - e
                    rel = float(np.max(np.abs(err))) / (scale or 1.0)
                    if not (PRECISION_BAND[0] < rel <= PRECISION_BAND[1]):
                        if rel <= PRECISION_BAND[0]:
                            continue
                        return None
                    if e.size > 1:
                        ee = float(np.sum(e * e))
                        c = float(np.sum(err * e)) / ee if ee > 0 else 0.0
                        if float(np.linalg.norm(err - c * e)) <= 1e-2 * float(np.linalg.norm(err)):
                            return None   # err = c·e: a scaled answer
                worst = max(worst, rel)
        return worst if worst > 0 else None

    def _judge_quietly(self, inputs, got):
        """The judge's verdict on one more observation, or None where it does not apply."""
        expected = self.expected(inputs)
        if shape_of(got) != shape_of(expected):
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
                                not_implemented=True, mistake="not_implemented") from None
            if err.exited:
                raise Rejection(f"Your function called sys.exit ({err.detail}).", inputs, expected,
                                hint=self._raise_hint(err), mistake="exit") from None
            last = (err.detail.strip().splitlines() or [err.type_name])[-1]
            raise Rejection(f"Your function raised an exception:\n{err.detail}", inputs, expected,
                            hint=self._raise_hint(err), headline=f"Your function raised {last}",
                            mistake="exception") from None
        except SubmissionAbort as abort:
            abort.inputs = inputs
            raise
        expected = self.expected(inputs)
        got, problem = self.convert(raw, expected)
        if problem is not None:
            raise Rejection(problem[0], inputs, expected, hint=problem[1], mistake=problem[2])
        # the hint (which classic mistake?) is worked out once, on the shrunk counterexample: see _explain
        if shape_of(got) != shape_of(expected):
            raise Rejection(f"Wrong shape: expected {self._shape_words(expected)}, got {shape_of(got)}.", inputs,
                            expected, got,
                            hint=None)
        if not self._finite(got):
            raise Rejection("Your result contains NaN or infinity.", inputs, expected, got, hint=None)
        if not self.close(got, expected):
            raise Rejection("Wrong values: your result differs from cstheory's.", inputs, expected, got, hint=None)

    def run_check(self, caller, max_examples: int | None = None, seed: int | None = None,
                  level: str = "guided") -> CheckResult:
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
        level : str
            One of :data:`LEVELS`.  At ``exam`` the result's report and summary show the
            counterexample, the expected and the returned values, and no hint (no judge's
            diagnosis either); ``mistake`` still records what was recognised, for the teacher.
            At ``standard`` a recognised mistake is named, but the generic ``default_hint``
            (which states the formula) is not given.

        Returns
        -------
        CheckResult
        """
        check_level(level)
        cfg = check_settings(max_examples, seed)
        start = time.perf_counter()

        def result(**kw):
            return CheckResult(exercise=self.name, max_examples=cfg.max_examples, seed=seed, outputs=self.outputs,
                               seconds=time.perf_counter() - start, level=level, **kw)

        def aborted(abort):
            return result(accepted=False, verdict=abort.verdict, message=abort.message, hint=abort.hint,
                          inputs=abort.inputs, mistake=abort.key, shrunk=False)

        # the untouched stub: say so at once instead of shrinking a NotImplementedError
        try:
            caller(self.example())
        except StudentError as err:
            if err.not_implemented:
                return result(accepted=False, not_implemented=True, mistake="not_implemented",
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
            if level == "standard" and hint == self.default_hint:
                hint = ""                # the generic hint states the formula that the standard statement withholds
            if level == "exam" and rej.got is not None:
                message = rej.message    # the plain verdict: a judge's message diagnoses too
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

    def check(self, func, max_examples: int | None = None, seed: int | None = None,
              level: str = "guided") -> CheckResult:
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
        level : str
            ``guided``, ``standard`` or ``exam`` (no hint in the report, see :meth:`run_check`).

        Returns
        -------
        CheckResult
        """
        return self.run_check(InProcess(func), max_examples, seed, level)

