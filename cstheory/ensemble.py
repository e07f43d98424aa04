"""Claims as statistics over an ensemble of draws (floor 6).

A number printed from one run is decided by the rounding of that run: another CPU, another BLAS
build or another thread count changes the last bits of every sum, Adam amplifies them, and a
check that passed by 0.1 dB fails.  So every claim of the reproduction report is evaluated over
**draws**: the experiment is run once per seed, where the seed sets every random source it has
(network input and θ₀, mask, noise, measurement matrix; see each ``run``'s ``rng``), and its
``checks(result)`` of each draw are merged by :func:`combine` into one
:class:`cstheory.report.Check` per claim that states a statistic with its spread — the worst
draw (``aggregate="all"``, every draw must satisfy the claim) or the mean with its 95 %
confidence interval (``aggregate="mean"``, for claims about a noisy quantity such as a PSNR gap).

:data:`DRAWS` sets how many draws each mode runs (3 in quick mode, 5 in full mode); experiments
without a random source (Fig. 2, Fig. 3) run once.  :func:`run_ensemble` runs the draws of every
experiment on a process pool (``workers``) and is what ``cstheory reproduce`` calls.  A claim
must also survive the next block of seeds (``first_seed=draws``) and a relative perturbation of
its inputs (:func:`cstheory._backend.perturbation`); ``tests/test_ensemble.py`` runs both.

Examples
--------
>>> from cstheory.report import Check
>>> per_draw = [[Check("error", 0.2, 1.0)], [Check("error", 0.4, 1.0)], [Check("error", 0.3, 1.0)]]
>>> (c,) = combine(per_draw, seeds=(0, 1, 2))
>>> c.value, c.statistic, c.passed
(0.4, 'worst of 3 draws', True)
"""
from __future__ import annotations

import inspect
import os
import time
import traceback
from concurrent.futures import as_completed
from pathlib import Path

from . import _checks
from .experiments import EXPERIMENTS
from .report import Check, ExperimentRun
from .sweep import THREAD_ENV, SerialExecutor, process_pool, worker_threads

__all__ = ["DRAWS", "THREAD_ENV", "combine", "seeds_of", "run_draw", "run_ensemble", "plot_checks", "worker_threads"]

#: draws per claim in each mode: every random source is drawn anew for each
DRAWS = {"quick": 3, "full": 5}


def seeds_of(name, draws, first_seed=0):
    """The seeds an experiment runs: ``first_seed … first_seed + draws − 1``, or ``(first_seed,)`` for an
    experiment whose ``run`` has no ``rng`` (nothing random to draw)."""
    draws = _checks.positive_int(draws, "draws")
    first_seed = _checks.positive_int(first_seed, "first_seed", minimum=0)
    if "rng" not in inspect.signature(EXPERIMENTS[name].load().run).parameters:
        return (first_seed,)
    return tuple(range(first_seed, first_seed + draws))


def combine(per_draw, seeds):
    """Merge the checks of several draws into one :class:`~cstheory.report.Check` per claim.

    ``per_draw[i]`` is the list of checks of the draw with seed ``seeds[i]``; every draw must state
    the same claims (names, tolerances, relations and aggregates, in one order).  The merged check's
    ``value`` is the statistic its ``aggregate`` names (the worst draw, or the mean), ``values`` and
    ``seeds`` are the draws, and its note is the note of the draw that decides (the worst one, or the
    first for a mean).
    """
    seeds = tuple(seeds)
    if not per_draw or len(per_draw) != len(seeds):
        raise ValueError(f"per_draw must hold one list of checks per seed, got {len(per_draw)} lists "
                         f"for {len(seeds)} seeds")
    first = per_draw[0]
    for s, checks in zip(seeds, per_draw):
        if [(c.name, c.tolerance, c.relation, c.aggregate) for c in checks] != \
                [(c.name, c.tolerance, c.relation, c.aggregate) for c in first]:
            raise ValueError(f"the draw of seed {s} states other claims than the draw of seed {seeds[0]}")
    merged = []
    for i, claim in enumerate(first):
        draws = [checks[i] for checks in per_draw]
        values = [c.value for c in draws]
        if claim.aggregate == "mean":
            value, decisive = sum(values) / len(values), draws[0]
        else:
            pick = max if claim.relation == "<=" else min
            decisive = pick(draws, key=lambda c: c.value)
            value = decisive.value
        note = decisive.note
        if len(draws) > 1:
            where = "" if claim.aggregate == "mean" else f" (the worst, seed {seeds[draws.index(decisive)]})"
            note = f"{note}{' — ' if note else ''}note of one draw{where}"
        merged.append(Check(claim.name, value, claim.tolerance, claim.relation, note, aggregate=claim.aggregate,
                            values=values, seeds=seeds))
    return merged


def run_draw(name, quick, seed, kwargs, figure=None):
    """Run one draw of an experiment: ``run(quick, rng=seed, **kwargs)``, its checks, and its figure if
    ``figure`` names a file.  Returns the list of checks (module-level, so that a process pool can call it)."""
    experiment = EXPERIMENTS[name]
    module = experiment.load()
    if "rng" in inspect.signature(module.run).parameters:
        kwargs = dict(kwargs, rng=seed)
    result = experiment.run(quick=quick, **kwargs)
    if figure is not None:
        experiment.plot(result, path=str(figure))
    return experiment.checks(result)


def _executor(workers):
    # spawn: a fresh interpreter per worker, no thread pool of the parent copied by fork
    return SerialExecutor() if workers == 1 else process_pool(workers, spawn=True)


def run_ensemble(names, out_dir, quick=False, draws=None, first_seed=0, workers=1, kwargs_of=None,
                 progress=False, runs=None):
    """Run every draw of the named experiments, merge their checks, and save each one's figure (first seed).

    Parameters
    ----------
    names : sequence of str
        Experiments of :data:`cstheory.experiments.EXPERIMENTS`.
    out_dir : path
        Where ``<name>.png`` (the draw of ``first_seed``) and ``checks.png`` go.
    quick : bool
        Classroom sizes.
    draws : int, optional
        Draws per experiment with a random source (default :data:`DRAWS` of the mode).
    first_seed : int
        The seeds are ``first_seed … first_seed + draws − 1``; a claim must hold for every block.
    workers : int
        Processes the draws run on (1: in this process).  Each worker gets :func:`worker_threads`
        BLAS threads: the cores shared out, unless a thread count is set in the environment.
    kwargs_of : callable, optional
        ``name → dict`` of extra keywords for ``run`` (the backend and dtype).
    progress : bool
        A progress bar over the draws.
    runs : list, optional
        :class:`~cstheory.report.ExperimentRun`\\ s are appended to it as experiments finish (so an
        interrupted call keeps them); returned either way.
    """
    quick = _checks.flag(quick, "quick")
    draws = DRAWS["quick" if quick else "full"] if draws is None else _checks.positive_int(draws, "draws")
    workers = _checks.positive_int(workers, "workers")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = [] if runs is None else runs
    tasks, setup_errors = {}, {}
    for name in names:
        try:
            kwargs = dict(kwargs_of(name)) if kwargs_of else {}
            tasks[name] = (seeds_of(name, draws, first_seed), kwargs)
        except Exception as exc:   # reported as the experiment's failure, the others still run
            setup_errors[name] = traceback.format_exception_only(type(exc), exc)[-1].strip()
    done = {name: {} for name in tasks}
    finished = {name: 0 for name in tasks}
    errors = {}
    seconds = {name: 0.0 for name in tasks}
    for name in setup_errors:
        runs.append(ExperimentRun(name, EXPERIMENTS[name].title, 0.0, None, [], error=setup_errors[name]))
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=sum(len(s) for s, _ in tasks.values()), desc="reproduce", unit="draw")
    executor = _executor(workers)
    try:
        futures = {}
        for name, seed in submission_order(tasks):
            seeds, kwargs = tasks[name]
            figure = out / f"{name}.png" if seed == seeds[0] else None
            futures[executor.submit(_timed, run_draw, name, quick, seed, kwargs, figure)] = (name, seed)
        for fut in as_completed(futures):
            name, seed = futures[fut]
            finished[name] += 1
            try:
                done[name][seed], spent = fut.result()
                seconds[name] += spent
            except Exception as exc:   # a failing draw fails its experiment; the others still run
                errors.setdefault(name, f"seed {seed}: "
                                        + traceback.format_exception_only(type(exc), exc)[-1].strip())
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{name} seed {seed}")
            seeds = tasks[name][0]
            if finished[name] == len(seeds):
                runs.append(_experiment_run(name, seeds, done[name], errors.get(name), seconds[name], out))
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    order = {name: i for i, name in enumerate(names)}
    runs.sort(key=lambda r: order.get(r.name, len(order)))
    if any(r.checks for r in runs):
        plot_checks(runs, out / "checks.png")
    return runs


def submission_order(tasks):
    """``(name, seed)`` pairs, the longest draws first (:attr:`Experiment.cost`; ties keep the registry's
    order): on a pool, the last draws to finish are then short ones, so no worker idles while a long
    one ends.  ``tasks`` maps a name to ``(seeds, kwargs)``.

    >>> submission_order({"linear": ((0, 1), {}), "fig5": ((0, 1), {})})
    [('fig5', 0), ('fig5', 1), ('linear', 0), ('linear', 1)]
    """
    names = sorted(tasks, key=lambda name: -EXPERIMENTS[name].cost)
    return [(name, seed) for name in names for seed in tasks[name][0]]


def _timed(func, *args):
    """``(func(*args), wall seconds of the call)``: the report states each experiment's time summed over its
    draws."""
    t0 = time.perf_counter()
    return func(*args), time.perf_counter() - t0


def _experiment_run(name, seeds, done, error, seconds, out):
    title = EXPERIMENTS[name].title
    figure = out / f"{name}.png"
    if error is not None:
        return ExperimentRun(name, title, seconds, str(figure) if figure.exists() else None, [], error=error)
    checks = combine([done[s] for s in seeds], seeds)
    return ExperimentRun(name, title, seconds, str(figure), checks)


def plot_checks(runs, path=None):
    """Draw every claim's draws against its tolerance: one small panel per check, one point per draw
    (the mean of a ``"mean"`` claim as a bar with its 95 % interval).  Returns the figure; saves it to
    ``path`` if given."""
    from .plotting import figure as new_figure, save

    items = [(r.name, c) for r in runs for c in r.checks]
    cols = 4
    rows = max(1, -(-len(items) // cols))
    fig = new_figure(4.2 * cols, 1.25 * rows + 0.6)
    for i, (name, c) in enumerate(items):
        ax = fig.add_subplot(rows, cols, i + 1)
        values = c.values or (c.value,)
        ax.plot(values, [0] * len(values), "o", ms=4, mfc="none", color="C0" if c.passed else "C3")
        if c.aggregate == "mean" and len(values) > 1:
            lo, hi = c.interval
            ax.errorbar([c.mean], [0.5], xerr=[[c.mean - lo], [hi - c.mean]], fmt="s", ms=4, color="k",
                        capsize=3)
        ax.axvline(c.tolerance, color="C3", ls="--", lw=1)
        ax.set_ylim(-1, 1.5)
        ax.set_yticks([])
        ax.tick_params(labelsize=6)
        label = c.name if len(c.name) <= 58 else c.name[:55] + "…"
        ax.set_title(f"{name}: {label}\n{c.statistic} {c.relation} {c.tolerance:.3g}", fontsize=6)
        shown = list(values) + [c.tolerance] + (list(c.interval) if c.aggregate == "mean" and len(values) > 1 else [])
        lo_all, hi_all = min(shown), max(shown)
        pad = 0.1 * (hi_all - lo_all) or 0.1 * abs(hi_all) or 0.1
        ax.set_xlim(lo_all - pad, hi_all + pad)
    fig.suptitle("every claim of the report, one point per draw (dashed: the tolerance)", fontsize=9)
    save(fig, path)
    return fig

