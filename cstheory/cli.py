"""The ``cstheory`` command line (also ``python -m cstheory``).

::

    cstheory reproduce [--quick] [--out DIR] [--only fig3,fig4] [--backend numpy|cupy|array_api_strict]
                       [--dtype float32|float64]
    cstheory figure N [--quick] [--out DIR]
    cstheory exercise list | show NAME | notebook NAME [--out F.ipynb]
    cstheory exercise check NAME FILE.py [--seed S] [--timeout S] [--memory SIZE] [--allow-cstheory]
    cstheory exercise grade NAME DIR --out grades.csv [--workers N] [--timeout S] [--seed S] [--feedback DIR]
    cstheory sweep phase-transition|fig5-study [--quick] [--out DIR] [--workers N] [--scheduler ADDRESS]
                   [--phase none|smooth|both]

``reproduce`` runs every experiment module (data first, plot second), writes
one PNG per figure and ``report.md``/``report.json`` with the theory checks
and their PASS/FAIL.  ``exercise`` is implemented by :func:`cstheory.exercises.command`.

Exit codes: 0 all checks passed (or the exercise was accepted, or a class was
graded); 1 a check failed (the exercise was rejected), or an output could not
be written; 2 a usage error — one line on stderr, no traceback, found before
any experiment runs (unknown names, an empty ``--only``, an ``--out`` that is a
file or cannot be written, ``--backend cupy`` without a GPU, …); 130
interrupted (Ctrl-C), with one line.  Every output file is written to a
temporary name and renamed into place; an interrupted ``reproduce`` writes the
report of the experiments that finished, so the report always describes the
PNGs beside it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from . import _backend
from ._files import check_writable_directory
from ._args import ParserExit, UsageError, nonnegative_int, parser_class, positive_int
from .ensemble import DRAWS
from .sweep import THREAD_ENV, default_workers, worker_threads
from .experiments import EXPERIMENTS, reproducible

__all__ = ["main", "run_experiments", "UsageError"]


def _backend_kwargs(experiment, backend, dtype):
    """The ``xp``/``dtype`` keywords for ``experiment.run``; ``ValueError`` if it runs on NumPy float64 only."""
    kwargs = {}
    if backend is not None and backend != "numpy":
        if not experiment.backends:
            raise ValueError(f"{experiment.name} runs on NumPy only; drop --backend {backend}")
        kwargs["xp"] = backend
    if dtype is not None and dtype != "float64":
        if not experiment.backends:
            raise ValueError(f"{experiment.name} runs in float64 only; drop --dtype {dtype}")
        kwargs["dtype"] = dtype
    return kwargs


def run_experiments(names, out_dir, quick=False, backend=None, dtype=None, progress=True, runs=None,
                    threads=None, draws=None, first_seed=0, workers=1):
    """Run the named experiments of :data:`cstheory.experiments.EXPERIMENTS` over their draws
    (:func:`cstheory.ensemble.run_ensemble`), save their figures and return a list of
    :class:`cstheory.report.ExperimentRun` (appended to ``runs`` as they finish, if given, so that an
    interrupted call keeps the finished ones).

    ``threads``: BLAS/OpenMP threads, in this process and in the worker processes (``None``: the
    libraries' own default).  The claims do not depend on it: each is a statistic over ``draws``
    draws that holds for any thread count (``tests/test_ensemble.py``)."""
    from .ensemble import run_ensemble

    def kwargs_of(name):
        return _backend_kwargs(EXPERIMENTS[name], backend, dtype)

    call = dict(quick=quick, draws=draws, first_seed=first_seed, workers=workers, kwargs_of=kwargs_of,
                progress=progress, runs=runs)
    if threads is None:
        return run_ensemble(names, out_dir, **call)
    from threadpoolctl import threadpool_limits

    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    saved_fft = _backend.FFT_WORKERS
    os.environ.update({k: str(threads) for k in THREAD_ENV})      # for the worker processes
    _backend.FFT_WORKERS = _backend.default_fft_workers()          # and this one's FFTs
    try:
        with threadpool_limits(limits=threads):
            return run_ensemble(names, out_dir, **call)
    finally:
        _backend.FFT_WORKERS = saved_fft
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _threads_meta(threads, workers):
    """What the report states of the thread pools."""
    if threads:
        return f"{threads} per process (--threads)"
    per_worker = worker_threads(workers)
    if per_worker is None:
        set_ = {k: os.environ[k] for k in THREAD_ENV if os.environ.get(k)}
        return ", ".join(f"{k}={v}" for k, v in set_.items()) if set_ else "library default"
    return f"{per_worker} per worker process ({_backend.usable_cpus()} cores shared by {workers} workers)"


def _parse_only(text, available):
    """The experiment names of ``--only a,b``: at least one, all known (duplicates dropped)."""
    names = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not names:
        raise UsageError(f"--only needs at least one experiment name (e.g. --only fig3,fig4); "
                         f"choose from {', '.join(available)}")
    unknown = [s for s in names if s not in available]
    if unknown:
        raise UsageError(f"unknown experiment(s) {', '.join(unknown)}; choose from {', '.join(available)}")
    return names


def _usage(message):
    print(f"cstheory: error: {message}", file=sys.stderr)
    return 2


def _check_out(text):
    """Create the ``--out`` directory (and parents) and prove it writable with a probe file, before any work.

    ``UsageError`` for an empty path, a path that is a file (or lies under one), or one that cannot be created
    or written."""
    if not text or not str(text).strip():
        raise UsageError("--out must name a directory, got an empty path")
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {text} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {text} cannot be written: {exc.strerror or exc}") from None
    reason = check_writable_directory(out)
    if reason is not None:
        raise UsageError(f"--out {text}: {reason}")
    return out


def _check_backend(backend):
    """``--backend`` must be usable here: CuPy needs a CUDA device, array_api_strict must be installed."""
    from ._backend import cupy_available

    if backend == "cupy" and not cupy_available():
        raise UsageError("--backend cupy needs CuPy and a CUDA GPU, and none was found; use --backend numpy")
    if backend == "array_api_strict":
        try:
            import array_api_strict  # noqa: F401
        except ImportError:
            raise UsageError("--backend array_api_strict needs the package array-api-strict "
                             "(pip install array-api-strict)") from None


def _cmd_reproduce(args):
    from .report import write_report

    if args.workers is None:
        args.workers = default_workers(args.threads or None)
    available = reproducible()
    names = _parse_only(args.only, available) if args.only is not None else list(available)
    if (args.backend not in (None, "numpy")) or (args.dtype not in (None, "float64")):
        unsupported = [name for name in names if not EXPERIMENTS[name].backends]
        if unsupported:
            ok = [n for n in available if EXPERIMENTS[n].backends]
            raise UsageError(f"--backend/--dtype are not supported by {', '.join(unsupported)} (NumPy float64 "
                             f"only); choose from {', '.join(ok)} with --only")
    _check_backend(args.backend)
    out = _check_out(args.out)
    meta = {"command": "cstheory " + " ".join(sys.argv[1:]) if sys.argv[1:] else "cstheory reproduce",
            "mode": "quick" if args.quick else "full", "backend": args.backend or "numpy",
            "dtype": args.dtype or "float64", "threads": _threads_meta(args.threads, args.workers),
            "draws": f"{args.draws or DRAWS['quick' if args.quick else 'full']} per experiment with a random "
                     f"source, seeds from {args.first_seed}", "workers": args.workers}
    for stale in ("report.md", "report.json"):   # a report beside new figures must describe them
        (out / stale).unlink(missing_ok=True)
    runs = []
    try:
        run_experiments(names, out, quick=args.quick, backend=args.backend, dtype=args.dtype,
                        progress=not args.no_progress, runs=runs, threads=args.threads or None,
                        draws=args.draws, first_seed=args.first_seed, workers=args.workers)
    except KeyboardInterrupt:
        write_report(runs, out, {**meta, "interrupted": f"after {len(runs)} of {len(names)} experiments"})
        raise KeyboardInterrupt(f"report of the {len(runs)} finished experiments in {out}") from None
    md, js = write_report(runs, out, meta)
    for r in runs:
        status = "ok" if r.passed else "FAIL"
        print(f"{r.name:12s} {status:4s} {r.seconds:6.1f}s  {r.figure or r.error}")
        for c in r.checks:
            print(f"    {'PASS' if c.passed else 'FAIL'}  {c.name}: {c.value:.3g} ({c.statistic} "
                  f"{c.relation} {c.tolerance:.3g})")
    print(f"report: {md} and {js}")
    return 0 if all(r.passed for r in runs) else 1


def _cmd_figure(args):
    name = f"fig{args.number}"
    available = reproducible()
    if name not in available:
        raise UsageError(f"no figure {args.number}; available: "
                         f"{', '.join(n[3:] for n in available if n.startswith('fig'))}")
    args.only = name
    return _cmd_reproduce(args)


def _sweep_executor(args):
    """(executor, closer, description): a Dask cluster if asked or installed, else a process pool."""
    if args.scheduler:
        from distributed import Client
        client = Client(args.scheduler)
        return client.get_executor(), client.close, f"Dask scheduler {args.scheduler}"
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return None, lambda: None, f"local process pool ({args.workers or _backend.usable_cpus()} workers)"
    cluster = LocalCluster(n_workers=args.workers or _backend.usable_cpus(), threads_per_worker=1,
                           dashboard_address=None, processes=True)
    client = Client(cluster)

    def close():
        client.close()
        cluster.close()
    return client.get_executor(), close, f"Dask LocalCluster ({len(cluster.workers)} workers)"


def _cmd_sweep(args):
    from .experiments import phase_transition
    from .report import ExperimentRun, write_report

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.scheduler is not None and not args.scheduler.strip():
        raise UsageError("--scheduler must be an address such as tcp://host:8786, got an empty string")
    if args.phase is not None and args.name != "fig5-study":
        raise UsageError(f"--phase applies to the fig5-study sweep only, not to {args.name}")
    out = _check_out(args.out)
    try:
        executor, close, where = _sweep_executor(args)
    except (ImportError, OSError, ValueError) as exc:
        raise UsageError(f"cannot connect to the Dask scheduler {args.scheduler!r}: {exc}") from None
    if args.name == "fig5-study":
        return _fig5_study(args, out, executor, close, where)
    print(f"phase-transition sweep on {where}; rows go to {out / 'phase_transition.csv'} (rerun to resume)")
    try:
        result = phase_transition.run(quick=args.quick, executor=executor, out=out / "phase_transition.csv",
                                      workers=args.workers, progress=not args.no_progress)
    finally:
        close()
    phase_transition.plot(result, path=str(out / "phase_transition.png"))
    run = ExperimentRun("phase-transition", EXPERIMENTS["phase-transition"].title, result.seconds,
                        str(out / "phase_transition.png"), list(phase_transition.checks(result)))
    md, _ = write_report([run], out, {"command": "cstheory sweep phase-transition", "executor": where,
                                      "mode": "quick" if args.quick else "full"})
    for f in result.failures:
        print(f"failed cell: {f}")
    for c in run.checks:
        print(f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.value:.3g} ({c.relation} {c.tolerance:.3g})")
    print(f"figure: {out / 'phase_transition.png'}; report: {md}")
    return 0 if run.passed else 1


def _fig5_study(args, out, executor, close, where):
    """``cstheory sweep fig5-study``: the cells of :mod:`cstheory.experiments.fig5_study`, resumable, and its
    summary (``fig5_study.md``: per image × acceleration × noise, the mean gap with its interval and verdict)."""
    from ._files import atomic_write
    from .experiments import fig5_study

    csv_path = out / "fig5_study.csv"
    print(f"Fig. 5 study on {where}; rows go to {csv_path} (rerun to resume)")
    try:
        phases = {"none": ("none",), "smooth": ("smooth",), "both": fig5_study.PHASES, None: None}[args.phase]
        table = fig5_study.run(quick=args.quick, executor=executor, out=csv_path, progress=not args.no_progress,
                               phases=phases, workers=args.workers or _backend.usable_cpus())
    finally:
        close()
    summary = fig5_study.summarize(table)
    text = fig5_study.summary_table(summary)
    atomic_write(out / "fig5_study.md", f"# Fig. 5 study ({'quick' if args.quick else 'full'})\n\n{text}\n")
    print(text)
    for f in table.failures:
        print(f"failed cell: {f}")
    checks = fig5_study.checks(summary)
    for c in checks:
        print(f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.value:.3g} ({c.relation} {c.tolerance:.3g})")
    return 0 if all(c.passed for c in checks) and not table.failures else 1


def build_parser():
    parser = parser_class()(prog="cstheory", description="Compressive sensing with un-trained networks: "
                                     "reproduce the paper's figures and theory checks, and do the exercises.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--quick", action="store_true",
                       help="classroom sizes (reproduce --quick: about 20 s in all on two cores)")
        p.add_argument("--out", default="figures", help="output directory (default: ./figures)")
        p.add_argument("--no-progress", action="store_true", help="no progress bars")

    def ensemble(p):
        p.add_argument("--threads", type=nonnegative_int, default=0, metavar="N",
                       help="BLAS/OpenMP threads (default 0: the libraries' default)")
        p.add_argument("--draws", type=positive_int, default=None, metavar="N",
                       help=f"draws (seeds of every random source) per claim (default {DRAWS['full']}, "
                            f"--quick {DRAWS['quick']})")
        p.add_argument("--first-seed", type=nonnegative_int, default=0, metavar="S",
                       help="the draws use seeds S, S+1, ... (default 0)")
        p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help=f"processes the draws run on (default {default_workers()} here: at most two, and "
                            f"no more than the cores hold at the thread count set)")

    rep = sub.add_parser("reproduce", help="run every experiment, write the figures and report.md/json")
    common(rep)
    rep.add_argument("--only", help="comma-separated experiment names, e.g. fig3,fig4")
    rep.add_argument("--backend", choices=["numpy", "cupy", "array_api_strict"], default=None,
                     help="array library of the experiments that take one (default numpy; cupy needs a GPU)")
    rep.add_argument("--dtype", choices=["float32", "float64"], default=None,
                     help="floating-point type of those experiments (default float64); tolerances follow it")
    ensemble(rep)
    rep.set_defaults(func=_cmd_reproduce)

    fig = sub.add_parser("figure", help="reproduce one figure of the paper")
    fig.add_argument("number", type=int, help="the figure of the paper, 1 to 5")
    common(fig)
    ensemble(fig)
    fig.set_defaults(func=_cmd_figure, backend=None, dtype=None)

    sub.add_parser("exercise", add_help=False,
                   help="classroom exercises: list | show | notebook | check | grade "
                        "(see `cstheory exercise --help`)")
    # listed for the help text only: main() hands every word after `exercise` to exercises.command
    # before this parser runs

    sw = sub.add_parser("sweep", help="parameter sweeps: phase-transition diagrams, the Fig. 5 study")
    sw.add_argument("name", choices=["phase-transition", "fig5-study"])
    common(sw)
    sw.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    sw.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, e.g. tcp://host:8786")
    sw.add_argument("--phase", choices=["none", "smooth", "both"], default=None,
                    help="fig5-study only: real images (none), complex ones with a smooth phase, or both (default); "
                         "'none' is the grid without a phase axis, so a CSV from before it resumes")
    sw.set_defaults(func=_cmd_sweep)
    return parser


def main(argv=None):
    """Run the command line; return the exit code (0 passed, 1 a check failed, 2 usage error, 130 interrupted).

    Output piped into a reader that stops early (``cstheory exercise list | head -3``) ends quietly: the
    broken pipe is not an error of ours, so no traceback, and exit code 141 (128 + SIGPIPE) as a shell's
    own commands give."""
    try:
        return _main(argv)
    except BrokenPipeError:
        try:     # the interpreter flushes stdout at exit: point it at /dev/null so that flush is quiet too
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141


def _main(argv):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["exercise"]:  # every word after `exercise` (--help included) goes to the exercise commands
        from . import exercises

        return exercises.command(argv[1:])
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except ParserExit as exc:  # --help: argparse is done
            return int(exc.status or 0)
        return args.func(args)
    except UsageError as exc:
        return _usage(str(exc))
    except KeyboardInterrupt as exc:
        detail = f" ({exc})" if str(exc) else ""
        print(f"cstheory: interrupted{detail}", file=sys.stderr)
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    except OSError as exc:          # a disk that fills up or vanishes while writing: not a bug of ours
        print(f"cstheory: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
