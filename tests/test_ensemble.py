"""Claims as statistics over draws (cstheory.ensemble, cstheory.report.Check) and their robustness.

The last tests are the robustness tests of the reproduction report: every claim of ``cstheory reproduce
--quick`` must hold on the next block of seeds and with every input perturbed by a relative 1e-10 (what
another CPU's rounding does), with two BLAS threads; and the same machinery must catch a planted claim
that only one machine's bits support.
"""
import math
import os
import types

import numpy as np
import pytest

from cstheory import _backend, cli, ensemble
from cstheory.experiments import EXPERIMENTS, Experiment
from cstheory.report import Check


# ---------------------------------------------------------------------------
# Check: the statistic, its interval, its spread
# ---------------------------------------------------------------------------
def test_combine_takes_the_worst_draw_for_an_all_claim():
    """``aggregate="all"``: every draw must hold; the value is the largest for ``<=``, the smallest for ``>=``."""
    per = [[Check("err", 0.2, 1.0), Check("gain", 3.0, 2.0, ">=")],
           [Check("err", 0.9, 1.0, note="worst"), Check("gain", 2.5, 2.0, ">=", note="lowest")],
           [Check("err", 0.1, 1.0), Check("gain", 4.0, 2.0, ">=")]]
    err, gain = ensemble.combine(per, seeds=(7, 8, 9))
    assert err.value == 0.9 and err.values == (0.2, 0.9, 0.1) and err.seeds == (7, 8, 9)
    assert gain.value == 2.5 and "lowest" in gain.note and "seed 8" in gain.note
    assert err.passed and gain.passed and err.statistic == "worst of 3 draws"
    per[1][0] = Check("err", 1.1, 1.0)
    assert not ensemble.combine(per, seeds=(7, 8, 9))[0].passed       # one draw fails: the claim fails


def test_combine_takes_the_mean_for_a_mean_claim():
    per = [[Check("gap", v, -1.0, ">=", aggregate="mean")] for v in (-3.0, 0.0, 1.5)]
    (gap,) = ensemble.combine(per, seeds=(0, 1, 2))
    assert gap.value == pytest.approx(-0.5) and gap.passed and gap.statistic == "mean of 3 draws"
    per[2] = [Check("gap", -1.5, -1.0, ">=", aggregate="mean")]
    assert not ensemble.combine(per, seeds=(0, 1, 2))[0].passed      # mean −1.5 < −1


def test_interval_is_the_student_t_interval_of_the_mean():
    """Values 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.3027 → 2 ± 4.3027/√3."""
    c = Check("x", 2.0, 5.0, values=(1.0, 2.0, 3.0), seeds=(0, 1, 2), aggregate="mean")
    lo, hi = c.interval
    assert c.mean == 2.0
    assert hi - 2.0 == pytest.approx(4.302652729911275 / math.sqrt(3), rel=1e-9)
    assert 2.0 - lo == pytest.approx(hi - 2.0, rel=1e-12)
    assert "95 % CI [" in c.spread() and "range [1, 3]" in c.spread()
    one = Check("x", 2.0, 5.0)
    assert one.interval == (2.0, 2.0) and one.spread() == "—" and one.draws == 1


def test_a_nan_draw_fails_the_claim_even_when_the_statistic_is_finite():
    c = Check("x", 0.5, 1.0, values=(0.5, float("nan")), seeds=(0, 1), aggregate="mean")
    assert not c.passed


def test_combine_refuses_draws_that_state_other_claims():
    with pytest.raises(ValueError, match="seed 1 states other claims"):
        ensemble.combine([[Check("a", 1.0, 2.0)], [Check("a", 1.0, 3.0)]], seeds=(0, 1))
    with pytest.raises(ValueError, match="one list of checks per seed"):
        ensemble.combine([[Check("a", 1.0, 2.0)]], seeds=(0, 1))
    with pytest.raises(ValueError, match="aggregate"):
        Check("a", 1.0, 2.0, aggregate="median")
    with pytest.raises(ValueError, match="one entry per draw"):
        Check("a", 1.0, 2.0, values=(1.0, 2.0), seeds=(0,))


def test_seeds_of_an_experiment_without_randomness_is_one_draw():
    assert ensemble.seeds_of("fig2", 5) == (0,)
    assert ensemble.seeds_of("fig5", 3, first_seed=3) == (3, 4, 5)
    assert ensemble.DRAWS == {"quick": 3, "full": 5}


# ---------------------------------------------------------------------------
# the perturbation of host data
# ---------------------------------------------------------------------------
def test_perturbation_moves_every_float_input_by_the_relative_amount_and_nothing_else():
    x = np.linspace(1.0, 2.0, 1000)
    assert np.array_equal(_backend.asarray(x), x)
    with _backend.perturbation(1e-10):
        assert os.environ[_backend.PERTURB_ENV] == "1e-10"
        y = _backend.to_numpy(_backend.asarray(x))
        rel = (y - x) / x
        assert np.allclose(np.abs(rel), 1e-10, rtol=1e-5)               # every entry moved by 1e-10 …
        assert 0.4 < np.mean(rel > 0) < 0.6                             # … in both directions
        assert np.array_equal(_backend.to_numpy(_backend.asarray(x, exact=True)), x)   # exact constants stay
        idx = np.arange(5)
        assert np.array_equal(_backend.to_numpy(_backend.asarray(idx, dtype=np.int64)), idx)
        z = _backend.to_numpy(_backend.normal(100, rng=0))
        assert not np.array_equal(z, np.random.default_rng(0).standard_normal(100))
    assert _backend.PERTURB_ENV not in os.environ or os.environ[_backend.PERTURB_ENV] != "1e-10"
    assert np.array_equal(_backend.asarray(x), x)                       # restored after the block
    with pytest.raises(ValueError, match="CSTHEORY_PERTURB"):
        with _backend.perturbation(0.5):
            pass


# ---------------------------------------------------------------------------
# a planted fragile claim: the machinery catches it
# ---------------------------------------------------------------------------
class _Fragile(types.ModuleType):
    """An experiment whose claim holds only for the exact bits of its input: Σx equals its value on this
    machine to the last bit."""

    EXACT = float(np.sum(np.linspace(0.1, 1.0, 64)))

    def run(self, quick=False, rng=0):
        return float(np.sum(_backend.to_numpy(_backend.asarray(np.linspace(0.1, 1.0, 64)))))

    def plot(self, result, path=None):
        return None

    def checks(self, result):
        return [Check("sum of the input − its value on this machine", abs(result - self.EXACT), 0.0)]


@pytest.fixture
def fragile(monkeypatch):
    module = _Fragile("fragile")
    monkeypatch.setitem(EXPERIMENTS, "fragile", Experiment("fragile", "fragile", "a planted fragile claim"))
    monkeypatch.setattr(Experiment, "load", lambda self: module if self.name == "fragile" else
                        __import__("importlib").import_module(self.module))
    return module


def test_the_perturbation_test_catches_a_planted_fragile_claim(fragile, tmp_path):
    runs = ensemble.run_ensemble(["fragile"], tmp_path, quick=True)
    assert runs[0].passed                                               # on this machine's bits it "holds"
    with _backend.perturbation(1e-10):
        runs = ensemble.run_ensemble(["fragile"], tmp_path, quick=True)
    assert not runs[0].passed and runs[0].checks[0].value > 0          # another CPU's rounding breaks it


def test_a_failing_draw_fails_its_experiment_only(monkeypatch, tmp_path):
    class Boom(_Fragile):
        def run(self, quick=False, rng=0):
            if rng == 1:
                raise RuntimeError("draw 1 fell over")
            return self.EXACT

    boom = Boom("boom")
    monkeypatch.setitem(EXPERIMENTS, "boom", Experiment("boom", "boom", "fails on one draw"))
    monkeypatch.setattr(Experiment, "load", lambda self: boom if self.name == "boom" else
                        __import__("importlib").import_module(self.module))
    runs = ensemble.run_ensemble(["boom", "fig2"], tmp_path, quick=True)
    assert [r.name for r in runs] == ["boom", "fig2"]
    assert runs[0].error == "seed 1: RuntimeError: draw 1 fell over" and not runs[0].passed
    assert runs[1].passed and (tmp_path / "fig2.png").exists() and (tmp_path / "checks.png").exists()


# ---------------------------------------------------------------------------
# the report's claims: on the next block of seeds, perturbed by 1e-10, with two BLAS threads
# ---------------------------------------------------------------------------
def _failures(runs):
    return [(r.name, r.error, [(c.name, c.value, c.values) for c in r.checks if not c.passed])
            for r in runs if not r.passed]


def test_every_quick_claim_holds_on_the_next_seeds_perturbed_with_two_threads(tmp_path):
    """``cstheory reproduce --quick`` on seeds 3–5 instead of 0–2, every input perturbed by a relative 1e-10,
    BLAS and OpenMP on two threads in two worker processes: every claim still holds."""
    names = cli.reproducible()
    with _backend.perturbation(1e-10):
        runs = cli.run_experiments(names, tmp_path, quick=True, progress=False, threads=2,
                                   first_seed=ensemble.DRAWS["quick"], workers=2)
    assert [r.name for r in runs] == names
    assert not _failures(runs), _failures(runs)
    assert all(c.seeds == (3, 4, 5) for r in runs for c in r.checks if c.draws > 1)


def test_worker_threads_share_the_cores_unless_the_user_set_a_thread_count():
    """Two workers on two cores get one BLAS thread each (not two pools of two threads on two cores); a
    thread count in the environment is the user's and is inherited as it is; one worker (in-process)
    keeps the libraries' default."""
    assert ensemble.worker_threads(2, environ={}, cpus=2) == 1
    assert ensemble.worker_threads(3, environ={}, cpus=16) == 5
    assert ensemble.worker_threads(4, environ={}, cpus=2) == 1
    assert ensemble.worker_threads(1, environ={}, cpus=2) is None
    for var in ensemble.THREAD_ENV:
        assert ensemble.worker_threads(2, environ={var: "2"}, cpus=2) is None
    assert ensemble.worker_threads(2, environ={"OMP_NUM_THREADS": ""}, cpus=2) == 1
    with pytest.raises(ValueError, match="workers"):
        ensemble.worker_threads(0, environ={}, cpus=2)


def test_default_workers_never_put_more_threads_than_cores_on_the_cores():
    """reproduce's default worker count: two on two cores at one thread each, one where the environment (or
    --threads) asks for two threads per process on two cores, never zero, never more than two."""
    from cstheory.sweep import default_workers, env_threads

    assert default_workers(environ={}, cpus=2) == 2
    assert default_workers(environ={}, cpus=16) == 2
    assert default_workers(environ={}, cpus=1) == 1
    for var in ensemble.THREAD_ENV:
        assert default_workers(environ={var: "2"}, cpus=2) == 1
        assert default_workers(environ={var: "2"}, cpus=4) == 2
        assert default_workers(environ={var: "3"}, cpus=2) == 1
    assert default_workers(threads=2, environ={}, cpus=2) == 1
    assert default_workers(threads=1, environ={"OMP_NUM_THREADS": "2"}, cpus=2) == 2   # --threads wins
    assert env_threads({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "4"}) == 4
    assert env_threads({"OMP_NUM_THREADS": "", "MKL_NUM_THREADS": ""}) is None          # empty: unset
    for unreadable in ("0", "auto", "-2", "x"):          # set, but the libraries then use every core
        assert env_threads({"OPENBLAS_NUM_THREADS": unreadable}, cpus=6) == 6
        assert default_workers(environ={"OMP_NUM_THREADS": unreadable}, cpus=2) == 1
    assert env_threads({"OMP_NUM_THREADS": " 4,2 "}, cpus=8) == 4                     # OpenMP's nested list


def test_reproduce_resolves_its_default_workers_from_the_thread_count(monkeypatch, tmp_path):
    """``cstheory reproduce --threads 2`` on two cores runs one worker (the report's meta says so)."""
    import json

    monkeypatch.setattr(cli, "default_workers", lambda threads=None: 1 if threads == 2 else 2)
    seen = {}

    def fake(names, out_dir, **kw):
        seen.update(kw)
        return []
    monkeypatch.setattr(cli, "run_experiments", fake)
    cli.main(["reproduce", "--quick", "--only", "fig3", "--threads", "2", "--out", str(tmp_path), "--no-progress"])
    assert seen["workers"] == 1
    assert json.loads((tmp_path / "report.json").read_text())["meta"]["workers"] == 1


def test_a_worker_process_runs_with_its_share_of_the_threads(monkeypatch):
    """The pool's initializer sizes the BLAS pool of the worker process (threadpoolctl reports it)."""
    for var in ensemble.THREAD_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(ensemble.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    executor = ensemble._executor(2)
    try:
        limits = executor.submit(_blas_threads).result()
    finally:
        executor.shutdown()
    assert limits and all(n == 2 for n in limits), limits


def test_a_forked_worker_runs_its_ffts_on_its_share_of_the_threads(monkeypatch):
    """The initializer also sets scipy.fft's threads: a forked worker would otherwise keep its parent's
    count (one per CPU), two workers each running large transforms on every core."""
    for var in (*ensemble.THREAD_ENV, _backend.FFT_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(ensemble.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(_backend, "FFT_WORKERS", 7)             # the parent's, inherited by fork
    executor = ensemble._executor(2)
    try:
        counts = {executor.submit(_fft_workers).result() for _ in range(4)}
    finally:
        executor.shutdown()
    assert counts == {4}, counts


def test_reproduce_threads_set_the_ffts_of_this_process_too(monkeypatch, tmp_path):
    """``--threads N`` runs this process's FFTs on N threads during the run and restores the count after."""
    for var in (*ensemble.THREAD_ENV, _backend.FFT_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(_backend, "FFT_WORKERS", 7)
    seen = []
    monkeypatch.setattr(ensemble, "run_ensemble", lambda *a, **kw: seen.append(_backend.FFT_WORKERS) or [])
    cli.run_experiments(["fig3"], tmp_path, quick=True, threads=3)
    assert seen == [3] and _backend.FFT_WORKERS == 7


def _fft_workers():
    from cstheory import _backend
    return _backend.FFT_WORKERS


def _blas_threads():
    from threadpoolctl import threadpool_info
    import numpy  # noqa: F401  (loads the BLAS)
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
