"""What a check says: the :class:`CheckResult` of one check, its report and its one-line summary.

Text only: the values are printed with enough digits to show where got and
expected differ, the statement's paragraphs are wrapped (displayed formulas
kept as written).  At the ``exam`` level (:data:`LEVELS`) a result carries
no hint.
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._sandbox import Foreign

__all__ = ["DEFAULT_MAX_EXAMPLES", "VERDICTS", "LEVELS", "CheckResult", "format_value", "wrap_lines", "parts",
           "shape_of", "type_name", "one_line", "check_level", "decimals_to_tell_apart"]

#: Number of hypothesis examples a check runs by default.
DEFAULT_MAX_EXAMPLES = 50
#: The verdicts of a check: the function agrees; it does not (wrong values or shape, an exception,
#: an exit, a crash, the stub, cstheory's own code); the file does not load (or has no such function);
#: the wall-clock limit ran out.
VERDICTS = ("accepted", "rejected", "error", "timeout")
#: The levels of an exercise: ``guided`` (the statement gives the formula, the feedback names the mistake),
#: ``standard`` (the object, its shape and the paper's equation; the feedback names a recognised mistake,
#: without the generic formula hint) and
#: ``exam`` (the standard statement; the feedback shows the counterexample and no hint).
LEVELS = ("guided", "standard", "exam")


def check_level(level) -> str:
    """``level`` if it is one of :data:`LEVELS`, else a ValueError naming the argument."""
    if not isinstance(level, str) or level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    return level


def decimals_to_tell_apart(got, expected, least: int = 4, most: int = 17) -> int:
    """Decimals that print ``got`` and ``expected`` differently (at least ``least``, at most ``most``).

    The largest difference |got − expected| sets how many it takes: a
    difference of 3e-7 needs 8 decimals, so got and expected never print the
    same digits while they differ by more than the tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> decimals_to_tell_apart(np.array([1.0000003]), np.array([1.0]))
    8
    >>> decimals_to_tell_apart(np.array([1.5]), np.array([1.0]))
    4
    """
    diffs = []
    for g, e in zip(parts(got), parts(expected)):
        if isinstance(g, np.ndarray) and isinstance(e, np.ndarray) and g.shape == e.shape and g.size:
            with np.errstate(all="ignore"):
                d = float(np.max(np.abs(g - e)))
            if math.isfinite(d) and d > 0:
                diffs.append(d)
    if not diffs:
        return least
    needed = math.ceil(-math.log10(max(diffs))) + 1
    return int(min(most, max(least, needed)))


def format_value(x, indent: str = "    ", precision: int = 4) -> str:
    """An input or output as readable text (arrays with ``precision`` decimals, 4 by default)."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, np.ndarray):
        x = x + 0.0 if x.dtype.kind == "f" else x  # print −0.0 as 0.0
        with np.printoptions(precision=precision, suppress=True, linewidth=100, threshold=2000):
            text = np.array2string(x, separator=", ")
        text = f"array of shape {x.shape}:\n{text}" if x.ndim >= 2 else text
    else:
        text = repr(x)
    return "\n".join(indent + line for line in text.splitlines())



def parts(x) -> tuple:
    """A result as a tuple of arrays (a single array is a 1-tuple)."""
    return x if isinstance(x, tuple) else (x,)


def shape_of(x):
    """The shape of a result (a tuple of shapes for a tuple of arrays)."""
    return tuple(p.shape for p in x) if isinstance(x, tuple) else x.shape


def type_name(raw) -> str:
    """The type of a returned value, in words (a sandboxed value's type as the child reported it)."""
    return raw.type_name if isinstance(raw, Foreign) else type(raw).__name__


def one_line(text: str) -> str:
    """``text`` with its whitespace runs (line breaks included) collapsed to single spaces."""
    return " ".join(str(text).split())


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
    level : str
        One of :data:`LEVELS`; at ``exam`` the report and the summary show no hint (``mistake``
        still records the recognised mistake, for the teacher's CSV).
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
    level: str = "guided"

    def __post_init__(self):
        check_level(self.level)
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
            text = one_line(self.headline or (self.message.splitlines() or [""])[0])
            if self.hint and self.level != "exam":
                text += f" Hint: {one_line(self.hint)}"
        if self.seed is not None:
            text += f" (seed {self.seed})"
        return text

    def counterexample(self) -> str:
        """The inputs on one line (4 decimals), e.g. ``u=[1., 0.5]``; '' when there are none."""
        if not self.inputs:
            return ""
        return ", ".join(f"{name}={one_line(format_value(value, indent=''))}" for name, value in self.inputs.items())

    def _value_lines(self, title, value, precision=4):
        lines = ["", title]
        if isinstance(value, tuple) and self.outputs:
            for name, part in zip(self.outputs, value):
                lines += [f"  {name} =", format_value(part, precision=precision)]
            if len(value) != len(self.outputs):
                lines += [format_value(value, precision=precision)]
        else:
            lines += [format_value(value, precision=precision)]
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
        decimals = decimals_to_tell_apart(self.got, self.expected) if self.got is not None else 4
        if self.expected is not None:
            lines += self._value_lines("Expected (cstheory's implementation):", self.expected, decimals)
        if self.got is not None:
            lines += self._value_lines("Got (your function):", self.got, decimals)
            for name, g, e in zip(self.outputs or ("",), parts(self.got), parts(self.expected)):
                if (isinstance(g, np.ndarray) and isinstance(e, np.ndarray) and g.shape == e.shape and g.size):
                    diff = np.abs(g - e)
                    if np.all(np.isfinite(diff)):
                        idx = np.unravel_index(int(np.argmax(diff)), diff.shape)
                        where = f" of {name}" if name else ""
                        lines += [f"  largest difference |got − expected|{where} = {diff[idx]:.4g} at index "
                                  f"{tuple(int(i) for i in idx)}"]
        if self.hint and self.level != "exam":
            lines += ["", "Hint: " + self.hint]
        if self.output:
            lines += ["", "The last lines your code printed:", *("  " + line for line in self.output.splitlines())]
        lines += ["", footer]
        return "\n".join(lines)



def wrap_lines(text: str, width: int = 88) -> list[str]:
    """The paragraphs of ``text`` wrapped at ``width``; a paragraph that starts with a space (a displayed
    formula) is kept as written."""
    out = []
    for para in text.strip("\n").split("\n\n"):
        if para.startswith(" "):  # a displayed formula: keep it as written
            out += [line.rstrip() for line in para.strip("\n").splitlines()] + [""]
        else:
            out += textwrap.wrap(" ".join(para.split()), width) + [""]
    return out[:-1]
