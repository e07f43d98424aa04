"""Smoke tests of benchmarks/run.py's own-code paths at tiny sizes (no torch, no jax, no timing asserted).

What is asserted is mathematics: the timed GD step is the step of ``cst.fit``,
and the explicit-Jacobian Monte-Carlo loop used as the slow reference gives
the same Σ̂ as ``sigma_matrix_mc`` for the same draws.
"""
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import cstheory as cst

RUN = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("cstheory_bench_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses look their module up there
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)


def test_timed_step_is_the_step_of_fit(run):
    p = run.two_layer_problem(32, 4, 8)
    gen, ours = run.ours_two_layer(p, "float64")
    for _ in range(5):
        ours.step()
    C0 = cst._backend.asarray(p.C0)
    C_fit = cst.fit(gen, ours.A, ours.y, params=C0, steps=5, step_size=p.eta, record_every=5).params
    assert run.rel_diff(cst.to_numpy(C_fit), ours.params()) < 1e-12


def test_explicit_jacobian_loop_equals_sigma_matrix_mc(run):
    u = cst.kernels.triangular(16, 3)
    fast = cst.sigma_matrix_mc(cst.circulant_matrix(u), 5, 4, rng=3)
    slow = run.sigma_mc_explicit(u, 5, 4, rng=3)
    np.testing.assert_allclose(slow, cst.to_numpy(fast), rtol=1e-12, atol=1e-14)


def test_compare_and_table(run):
    calls = []
    t = run.compare({"a": (lambda: calls.append(1), None)}, repeats=3, min_time=0.0, warmup=1)
    assert t["a"].repeats == 3 and len(t["a"].times) == 3 and calls
    report = run.Report()
    report.add_group("demo", "n=1", "float64", {"ours": t["a"], "peer": t["a"], "gone": "not installed"},
                     targets={"peer": ("ratio", "≤", 2.0)})
    assert report.rows[1].ours_over == pytest.approx(1.0) and report.rows[1].met
    report.checks.append(run.agreement_check("x", "float64", np.ones(3), np.ones(3)))
    env = {"cpu_count": 2, "processor": "", "machine": "x", "python": "3", "numpy": "2", "scipy": "1",
           "cstheory_fft_workers": 2, "OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None, "threadpools": "none"}
    text = run.markdown(report, env)
    assert "| demo | n=1 | float64 | peer |" in text and "not installed" in text and "PASS" in text


def test_bad_arguments_are_refused(run):
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "nonsense"])
    with pytest.raises(SystemExit):
        run.parse_args(["--repeats", "0"])
