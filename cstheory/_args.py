"""The command lines' shared pieces (floor 1): one usage error, one argument parser, one set of
argument types, used by ``cstheory`` (:mod:`cstheory.cli`) and ``cstheory exercise``
(:mod:`cstheory.exercises._command`).

* :class:`UsageError` — a mistake in how a command was called; the command prints it on one line
  and exits with status 2.
* :func:`parser_class` — an ``argparse.ArgumentParser`` that writes to given streams, turns a parse
  error into a :class:`UsageError` (one line, no usage block) and ``--help``'s exit into
  :class:`ParserExit` instead of ending the interpreter.
* :func:`nonnegative_int`, :func:`positive_int`, :func:`positive_seconds` — argument types whose
  messages say what was expected.
"""
from __future__ import annotations

import argparse
import math
import sys

__all__ = ["UsageError", "ParserExit", "parser_class", "nonnegative_int", "positive_int", "positive_seconds"]


class UsageError(ValueError):
    """A mistake in how a command was called (exit status 2): the message names the argument and what was
    expected."""


class ParserExit(Exception):
    """argparse finished the command line by itself (``--help``: status 0)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


def parser_class(stdout=None, stderr=None):
    """An ``argparse.ArgumentParser`` subclass writing to ``stdout``/``stderr`` (default: the ``sys`` streams
    at the time of writing), raising :class:`UsageError` on a parse error and :class:`ParserExit` where
    argparse would exit.  Pass it as ``parser_class`` to ``add_subparsers`` too."""

    class Parser(argparse.ArgumentParser):
        def _print_message(self, message, file=None):
            if message:
                err = sys.stderr if stderr is None else stderr
                out = sys.stdout if stdout is None else stdout
                (err if file is sys.stderr else out).write(message)

        def exit(self, status=0, message=None):
            if message:
                (sys.stderr if stderr is None else stderr).write(message)
            raise ParserExit(status)

        def error(self, message):
            raise UsageError(f"{message} (see '{self.prog} --help')")

    return Parser


def _integer(text, minimum):
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
    return value


def nonnegative_int(text) -> int:
    """An integer ≥ 0 (a seed, a thread count where 0 means the libraries' default).

    >>> nonnegative_int("0"), nonnegative_int("7")
    (0, 7)
    """
    return _integer(text, 0)


def positive_int(text) -> int:
    """An integer ≥ 1 (draws, workers, examples).

    >>> positive_int("3")
    3
    """
    return _integer(text, 1)


def positive_seconds(text) -> float:
    """A finite number of seconds > 0.

    >>> positive_seconds("2.5")
    2.5
    """
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value
