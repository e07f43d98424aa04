"""Readable reprs: sizes, dtype, backend and the headline numbers — never the entries of an array.

Result objects are inspected in a REPL or a notebook by printing them; a repr that dumps a
(64, 64) image or a 2000-step loss curve hides what matters.  These tests build results with
large arrays and check that their repr shows shapes and numbers, and no array entries.
"""
import dataclasses
import importlib
import re

import numpy as np
import pytest

import cstheory as cst
from cstheory import _backend as B
from cstheory._repr import compact_repr, summarize

#: the result classes with a compact repr: (module, class)
RESULTS = [
    ("cstheory.experiments.fig1", "Fig1Result"),
    ("cstheory.experiments.fig2", "Fig2Result"),
    ("cstheory.experiments.fig4", "Fig4Result"),
    ("cstheory.experiments.linear_min_norm", "LinearResult"),
    ("cstheory.experiments.measurements", "MeasurementsResult"),
    ("cstheory.experiments.monte_carlo", "MonteCarloResult"),
    ("cstheory.experiments.no_early_stopping", "NoEarlyStoppingResult"),
    ("cstheory.experiments.phase_transition", "PhaseTransitionResult"),
    ("cstheory.experiments.theorem4", "Theorem4Result"),
    ("cstheory.dynamics", "LinearizationResult"),
    ("cstheory.bounds", "Theorem3Quantities"),
    ("cstheory.mri", "MRIProblem"),
    ("cstheory.experiments.fig3", "Fig3Result"),
    ("cstheory.experiments.fig5", "Fig5Result"),
    ("cstheory.baselines", "BaselineResult"),
    ("cstheory.baselines", "LambdaChoice"),
]

#: a NumPy array printed in full or summarised by NumPy: "[0.1 0.2 …" or "array([…"
ARRAY_DUMP = re.compile(r"array\(\[|\[\s*-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d")


def _assert_compact(text, max_lines=40):
    assert "..." not in text and "…" not in text, text          # NumPy's summarisation of a long array
    assert not ARRAY_DUMP.search(text), text
    assert len(text.splitlines()) <= max_lines, text


def _fake(cls):
    """An instance whose every field is a 1000-entry array (the repr must not care what the fields are)."""
    values = {f.name: np.linspace(0.0, 1.0, 1000) for f in dataclasses.fields(cls)}
    obj = cls.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


@pytest.mark.parametrize("module, name", RESULTS, ids=[n for _, n in RESULTS])
def test_result_repr_shows_sizes_not_entries(module, name):
    cls = getattr(importlib.import_module(module), name)
    text = repr(_fake(cls))
    _assert_compact(text)
    fields = [f.name for f in dataclasses.fields(cls)]
    assert text.startswith(name + "(")
    assert text.count("array(1000,) float64") == len(fields), text
    assert all(f"{f}=" in text for f in fields)


def test_summarize_numbers_small_and_large_arrays():
    assert summarize(np.pi) == "3.142"
    assert summarize(np.float32(2.5)) == "2.5"
    assert summarize(7) == "7" and summarize(True) == "True" and summarize(None) == "None"
    assert summarize(np.array([1, 2, 3])) == "[1 2 3]"                  # a few entries: the values
    assert summarize(np.arange(7)) == "array(7,) int64"                 # more: the size
    assert summarize(np.zeros((3, 2), dtype=np.float32)) == "array(3, 2) float32"
    assert summarize([np.zeros(5), np.zeros(5)]) == "[2 × [0 0 0 0 0]]"
    assert summarize({"a": 1.0, "b": np.zeros((64, 64))}) == "{a: 1, b: array(64, 64) float64}"
    assert summarize(float("nan")) == "nan"


def test_summarize_arrays_of_any_backend(xp):
    x = B.asarray(np.zeros((40, 3)), xp=xp, dtype="float32")
    assert summarize(x) == "array(40, 3) float32"


def test_compact_repr_puts_headline_numbers_first_and_wraps_long_reprs():
    @compact_repr(headline=("worst",))
    @dataclasses.dataclass
    class Run:
        errors: np.ndarray
        note: str = "x" * 120

        @property
        def worst(self):
            return float(np.max(self.errors))

    text = repr(Run(np.linspace(0, 2, 300)))
    assert text.splitlines()[:3] == ["Run(", "    worst=2,", "    errors=array(300,) float64,"]
    short = repr(Run(np.ones(3), note="ok"))
    assert short == "Run(worst=1, errors=[1 1 1], note='ok')"


def test_linearization_result_repr_has_the_gaps(xp):
    n, m = 16, 8
    A = B.asarray(cst.gaussian_matrix(m, n, rng=0), xp=xp)
    y = A @ B.asarray(cst.smooth_signal(n, 2, rng=1), xp=xp)
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(n, 3, xp=xp), k=16)
    res = cst.linearization(gen, A, y, None, iterations=[0, 5, 10])
    text = repr(res)
    _assert_compact(text)
    assert text.startswith("LinearizationResult(") and "iterations=[0 5 10]" in text
    assert f"max_residual_gap={res.max_residual_gap:.4g}" in text
    assert "eigenvalues=array(8,) float64" in text


def test_theorem3_quantities_repr_is_a_list_of_numbers():
    q = cst.theorem3_quantities(cst.kernels.triangular(64, 8), m=7, k=256)
    text = repr(q)
    _assert_compact(text, max_lines=len(dataclasses.fields(q)) + 2)
    assert f"kappa={q.kappa:.4g}" in text and "k=256" in text


def test_fit_result_repr_names_optimizer_steps_and_final_numbers():
    n, m = 32, 12
    A = cst.gaussian_matrix(m, n, rng=1)
    x = cst.smooth_signal(n, 3, rng=2)
    res = cst.fit(cst.LinearGenerator(cst.trig_basis(n)), A, A @ x, steps=200, x_true=x)
    text = repr(res)
    _assert_compact(text, max_lines=1)
    assert "gd" in text and "200 steps" in text and f"final error {res.error[-1]:.4g}" in text
    assert "(32,) float64" in text


def test_generator_and_operator_reprs_name_sizes_dtype_backend(xp):
    name = B.backend_name(xp)
    J = B.asarray(np.ones((6, 9)), xp=xp, dtype="float32")
    for obj, size in [
        (cst.LinearGenerator(J), "(9,)"),
        (cst.TwoLayerGenerator(cst.kernels.triangular(8, 2, xp=xp), 4), "(8, 4)"),
        (cst.DeepDecoder(16, channels=4, layers=2, xp=xp, dtype="float32"), "N="),
        (cst.as_operator(J), "(6, 9)"),
        (cst.RandomSubsampledDCT(4, 16, xp=xp), "(4, 16)"),
        (cst.SubsampledFourier((4, 4), cst.cartesian_mask((4, 4), 2, xp=xp)), "(16, 16)"),   # 2m = 2 · 8 samples
    ]:
        text = repr(obj)
        _assert_compact(text, max_lines=1)
        assert size in text and name in text and ("float32" in text or "float64" in text), text


def test_sweep_table_repr_counts_rows():
    from cstheory.sweep import SweepTable

    rows = [{"m": m, "seed": 0, "error": 0.1 * m, "status": "ok" if m else "failed", "message": "", "seconds": 0.0}
            for m in range(50)]
    text = repr(SweepTable(rows, ("m",)))
    _assert_compact(text, max_lines=1)
    assert text.startswith("SweepTable(50 rows: 49 ok, 1 failed;") and "'error'" in text


def test_baseline_result_and_lambda_choice_reprs_show_the_solve(xp):
    from cstheory import baselines
    from cstheory.mri import mri_problem

    P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0, xp=xp)
    ch = baselines.tune_lambda("tv", P.operator, P.y)
    res = ch.result
    text = repr(res)
    _assert_compact(text)
    assert text.splitlines()[:2] == ["BaselineResult(", f"    relative_change={res.relative_change:.4g},"]
    assert "image=array(16, 16) float64" in text and f"objective=array({res.steps_taken + 1},) float64" in text
    assert f"lam={res.lam:.4g}" in text and f"steps_taken={res.steps_taken}" in text and "converged=True" in text
    assert f"step_sizes={{rho: {res.step_sizes['rho']:.4g}}}" in text
    choice = repr(ch)
    _assert_compact(choice)
    assert "rule='fraction'" in choice and f"lam={ch.lam:.4g}" in choice and "result=BaselineResult" in choice
    assert "grid=[]" in choice and "at_edge=False" in choice
