"""``cstheory exercise …``: the one implementation of the exercise commands (the CLI delegates here).

::

    cstheory exercise list
    cstheory exercise show NAME [--level guided|standard|exam]
    cstheory exercise notebook NAME [--out NAME.ipynb] [--level L]
    cstheory exercise check NAME FILE.py [--seed S] [--timeout S] [--memory SIZE] [--allow-cstheory]
                                         [--max-examples N] [--level L]
    cstheory exercise grade NAME DIR --out grades.csv [--workers N] [--timeout S] [--seed S]
                                     [--feedback DIR] [--report class.md|class.html] [--memory SIZE]
                                     [--allow-cstheory] [--max-examples N] [--resume] [--unsafe-no-isolation]
                                     [--level L]

NAME is one of :data:`cstheory.exercises.EXERCISES` (argparse's choices).

Exit status: 0 accepted (``check``) or done (``list``, ``show``, ``notebook``,
``grade`` whatever the verdicts), 1 rejected (``check``), 2 usage error (also
``grade`` on a kernel without Landlock, unless ``--unsafe-no-isolation``),
130 interrupted (Ctrl-C or SIGTERM: ``grade`` keeps the rows written so far;
``--resume`` finishes them).
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from .._args import ParserExit, UsageError, nonnegative_int, parser_class, positive_int, positive_seconds
from ._formatting import LEVELS
from ._sandbox import DEFAULT_MEMORY, DEFAULT_TIMEOUT

__all__ = ["command", "build_parser", "parse_memory"]

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_memory(text) -> int:
    """A memory size in bytes from ``"2G"``, ``"512M"``, ``"1.5GiB"``, ``"1000000"`` (binary units); 0: no limit."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", str(text))
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size such as 2G, 512M or 0 (no limit), got {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def _sandbox_options(p, what):
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"wall-clock seconds {what} may take: the import and all calls together "
                        f"(default {DEFAULT_TIMEOUT:g}); the process group is killed at the limit")
    p.add_argument("--memory", type=parse_memory, default=DEFAULT_MEMORY, metavar="SIZE",
                   help="address-space limit of the submission's process, e.g. 2G or 512M; 0 for none "
                        "(default 2G)")
    p.add_argument("--allow-cstheory", action="store_true",
                   help="let submissions import cstheory (by default that is a rejection: 'uses cstheory's own "
                        "implementation')")
    p.add_argument("--max-examples", type=positive_int, default=None, metavar="N",
                   help="hypothesis examples per check (default 50)")


def _level_option(p):
    p.add_argument("--level", choices=LEVELS, default="guided",
                   help="guided (default): the statement gives the formula and the feedback names the mistake; "
                        "standard: the object, its shape and the paper's equation, no formula; exam: the standard "
                        "statement, and feedback with the counterexample but no hint")


def _name_argument(p):
    from . import EXERCISES
    p.add_argument("name", metavar="NAME", choices=list(EXERCISES),
                   help=f"the exercise: {', '.join(EXERCISES)}")


def build_parser(stdout=None, stderr=None):
    """The argument parser of ``cstheory exercise`` (writing to ``stdout``/``stderr``)."""
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    Parser = parser_class(stdout, stderr)
    parser = Parser(prog="cstheory exercise",
                    description="Classroom exercises on Heckel & Soltanolkotabi (2020), checked by hypothesis "
                                "properties against cstheory. Exit status: 0 accepted (check) or done, "
                                "1 rejected (check), 2 usage error.")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=Parser)

    sub.add_parser("list", help="the exercises, with a line each").set_defaults(func=_list)

    p = sub.add_parser("show", help="print the statement and the stub (a Python file to edit)")
    _name_argument(p)
    _level_option(p)
    p.set_defaults(func=_show)

    p = sub.add_parser("notebook", help="write the statement and the stub as a Jupyter notebook")
    _name_argument(p)
    p.add_argument("--out", default=None, metavar="F.ipynb", help="the notebook to write (default NAME.ipynb)")
    _level_option(p)
    p.set_defaults(func=_notebook)

    p = sub.add_parser("check", help="check one file (sandboxed); exit 0 accepted, 1 rejected")
    _name_argument(p)
    p.add_argument("file", metavar="FILE.py")
    p.add_argument("--seed", type=nonnegative_int, default=None, metavar="S",
                   help="draw the examples from seed S (as `grade` does); default: the same derandomized "
                        "examples on every run")
    _sandbox_options(p, "the file")
    _level_option(p)
    p.set_defaults(func=_check)

    p = sub.add_parser("grade", help="grade every *.py file of a folder into a CSV (sandboxed, in parallel)")
    _name_argument(p)
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--out", required=True, metavar="grades.csv",
                   help="the CSV to write: submission,exercise,verdict,seconds,mistake,message")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="submissions checked at once (default: the number of CPU cores)")
    p.add_argument("--seed", type=nonnegative_int, default=None, metavar="S",
                   help="draw the examples from seed S (default: a fresh seed, printed and recorded in every "
                        "row's message)")
    p.add_argument("--feedback", default=None, metavar="DIR",
                   help="write DIR/<submission>.txt with the counterexample and the hint for each submission")
    p.add_argument("--report", default=None, metavar="class.md",
                   help="also write the class report: verdicts, the mistakes the class made and who made them, the "
                        "counterexamples that rejected the most files, the times, the submissions with a generic "
                        "hint; Markdown, or a self-contained HTML page with a bar chart when the name ends in .html")
    p.add_argument("--quiet", action="store_true", help="no line per finished submission")
    p.add_argument("--resume", action="store_true",
                   help="keep the rows --out already holds (an interrupted run, same exercise and seed) and grade "
                        "only the other files")
    p.add_argument("--unsafe-no-isolation", action="store_true",
                   help="grade even where the kernel has no Landlock, without confining the submissions (trusted "
                        "code only); by default grading is refused there")
    _sandbox_options(p, "each submission")
    _level_option(p)
    p.set_defaults(func=_grade)
    return parser


# -- the actions -----------------------------------------------------------------
def _list(args, out, err):
    from . import EXERCISES
    width = max(len(n) for n in EXERCISES)
    for name, exercise in EXERCISES.items():
        print(f"{name:{width}s}  {exercise.summary}, {exercise.equation}", file=out)
    return 0


def _show(args, out, err):
    from . import show
    out.write(show(args.name, args.level))
    return 0


def _notebook(args, out, err):
    from . import UsageError, get
    from .._files import check_writable_directory
    from ._notebook import write_notebook
    exercise = get(args.name)
    path = args.out or f"{exercise.name}.ipynb"
    if os.path.isdir(path):
        raise UsageError(f"--out {path!r} is a directory; give the notebook's file name")
    problem = check_writable_directory(os.path.dirname(os.path.abspath(path)))
    if problem:
        raise UsageError(f"cannot write {path!r}: {problem}")
    write_notebook(exercise, path, args.level)
    print(f"wrote {path}: run its solution cell to save {exercise.name}.py, then its check cell", file=out)
    return 0


def _check(args, out, err):
    from . import check_file
    result = check_file(args.name, args.file, args.max_examples, seed=args.seed, timeout=args.timeout,
                        memory=args.memory, allow_cstheory=args.allow_cstheory, level=args.level)
    print(result.report(), file=out)
    return result.exit_code


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interruption (the rows written so far stay)."""


def _grade(args, out, err):
    import signal
    import threading

    from ._grading import grade

    def terminated(signum, frame):
        raise _Terminated

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, terminated)
    try:
        report = grade(args.name, args.directory, args.out, workers=args.workers, timeout=args.timeout,
                       seed=args.seed, feedback=args.feedback, memory=args.memory,
                       allow_cstheory=args.allow_cstheory, max_examples=args.max_examples,
                       progress=None if args.quiet else out, resume=args.resume,
                       unsafe_no_isolation=args.unsafe_no_isolation, level=args.level, report=args.report)
    except KeyboardInterrupt:
        print(f"cstheory exercise: interrupted; the rows written so far are in {args.out}; finish with: "
              f"cstheory exercise grade {args.name} {args.directory} --out {args.out} --resume", file=err)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if report.resumed:
        print(f"resumed: kept {report.resumed} rows of {args.out}", file=out)
    counts = ", ".join(f"{n} {v}" for v, n in report.counts.items())
    print(f"graded {len(report.rows)} submissions of '{args.name}' in {report.seconds:.1f} s with "
          f"{report.workers} workers (seed {report.seed}): {counts}", file=out)
    print(f"grades: {report.out}" + (f"; feedback: {report.feedback}" if report.feedback else "")
          + (f"; class report: {report.report}" if report.report else ""), file=out)
    print(f"isolation: {report.isolation}", file=out)
    return 0


def command(argv, stdout=None, stderr=None) -> int:
    """Run ``cstheory exercise ARGV…`` and return the exit status (0 accepted/done, 1 rejected, 2 usage).

    ``argv`` is the list of words after ``exercise``, e.g. ``["list"]``,
    ``["check", NAME, FILE, "--seed", "7"]`` or ``["grade", NAME, DIR, "--out", "grades.csv"]``.
    """
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    parser = build_parser(stdout, stderr)
    try:
        try:
            args = parser.parse_args(list(argv))
        except ParserExit as exc:       # --help: argparse is done
            return int(exc.status or 0)
        return args.func(args, stdout, stderr)
    except UsageError as exc:
        print(f"cstheory exercise: error: {exc}", file=stderr)
        return 2
    except KeyboardInterrupt:
        print("cstheory exercise: interrupted", file=stderr)
        return 130
