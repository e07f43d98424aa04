"""What each exercise's checker draws, its fixed example and its judge (cstheory/exercises/<name>.py).

Fast, in-process tests next to tests/test_exercises.py (which judges teacher solutions and classic
mistakes): the draws cover the documented ranges — both ends, odd and even sizes — and keep the
invariants the exercise statements promise (no ReLU ties, well-conditioned systems, a sampled mask …).
Tests written for survivors of a mutation run name them in their docstrings ("kills mutants: …") and
fail on each of them (tests/MUTATION.md).
"""
import math

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from cstheory import exercises
from cstheory.exercises._engine import check_settings
from cstheory.exercises._strategies import circulant, no_relu_ties


def _drawn(name, count=200):
    """``count`` derandomized draws of the exercise's inputs (as the checker draws them)."""
    ex = exercises.get(name)
    out = []

    @settings(check_settings(count), phases=(Phase.generate,))
    @given(data=st.data())
    def collect(data):
        out.append(ex.draw(data))

    collect()
    assert len(out) >= count // 2
    return out


def _covers(values, low, high):
    """Every drawn value lies in [low, high] and both ends occur."""
    values = list(values)
    return min(values) == low and max(values) == high


def _coefficients_ok(draws):
    """C: even k columns, entries with 0.25 ≤ |c| ≤ 2 (both ends drawn); U circulant; no ReLU ties."""
    for d in draws:
        U, C = d["U"], d["C"]
        assert C.shape[1] % 2 == 0 and C.shape == (U.shape[0], C.shape[1])
        np.testing.assert_array_equal(U, circulant(U[:, 0]))
        assert no_relu_ties(U @ C)
    magnitudes = np.concatenate([np.abs(d["C"]).ravel() for d in draws])
    assert magnitudes.min() == 0.25 and 1.9 < magnitudes.max() <= 2.0


def test_jacobian_draws():
    """kills mutants: jacobian.x_draw__mutmut_47."""
    draws = _drawn("jacobian")
    assert _covers([d["U"].shape[0] for d in draws], 2, 7)
    assert {d["C"].shape[1] for d in draws} == {2, 4}
    assert any(not np.allclose(d["U"], d["U"].T) for d in draws)
    assert all(list(d) == ["U", "C"] for d in draws)
    _coefficients_ok(draws)


def test_gradient_draws():
    draws = _drawn("gradient")
    assert _covers([d["U"].shape[0] for d in draws], 2, 5)
    assert {d["C"].shape[1] for d in draws} == {2, 4}
    assert any(d["A"].shape[0] == 1 for d in draws) and any(d["A"].shape[0] == d["A"].shape[1] > 1 for d in draws)
    _coefficients_ok(draws)
    for d in draws:
        assert list(d) == ["U", "C", "A", "y"]
        n = d["U"].shape[0]
        m = d["A"].shape[0]
        assert 1 <= m <= n and d["A"].shape == (m, n) and d["y"].shape == (m,) and np.all(np.abs(d["y"]) <= 2)


def test_min_norm_draws():
    draws = _drawn("min_norm")
    ms = [d["A"].shape[0] for d in draws]
    assert _covers(ms, 1, 5)
    assert any(d["A"].shape[1] == 7 for d in draws) and any(d["A"].shape[1] == d["A"].shape[0] for d in draws)
    assert any(d["J"].shape[1] == d["J"].shape[0] for d in draws)
    assert any(d["J"].shape[1] == d["J"].shape[0] + 4 for d in draws)
    for d in draws:
        assert list(d) == ["A", "J", "y"]
        m, n = d["A"].shape
        N = d["J"].shape[1]
        assert m <= n <= 7 and d["J"].shape[0] == n and n <= N <= n + 4 and d["y"].shape == (m,)
        assert np.linalg.cond(d["A"] @ d["J"]) < 1e3


def test_sigma_weights_draws():
    draws = _drawn("sigma_weights")
    assert _covers([d["u"].shape[0] for d in draws], 1, 16)
    assert all(list(d) == ["u"] and d["u"].ndim == 1 for d in draws)


def test_linear_residuals_draws():
    draws = _drawn("linear_residuals")
    assert _covers([d["J"].shape[0] for d in draws], 1, 6) and _covers([d["J"].shape[1] for d in draws], 1, 6)
    steps = [t for d in draws for t in d["steps"]]
    assert _covers(steps, 0, 30) and _covers([len(d["steps"]) for d in draws], 1, 5)
    ratios = []
    for d in draws:
        assert list(d) == ["J", "r0", "step_size", "steps"]
        J = d["J"]
        assert d["r0"].shape == (J.shape[0],) and type(d["step_size"]) is float and type(d["steps"]) is list
        smax = float(np.linalg.norm(J, 2))
        ratios.append(d["step_size"] * smax**2 if smax > 1e-3 else d["step_size"])
    assert math.isclose(min(ratios), 0.05) and 1.8 < max(ratios) <= 1.9 * (1 + 1e-12)   # η σ_max² ∈ [0.05, 1.9]


def test_theorem1_bound_draws():
    """kills mutants: theorem1_bound.x_draw__mutmut_60."""
    draws = _drawn("theorem1_bound")
    assert _covers([d["J"].shape[0] for d in draws], 1, 7)
    assert any(d["J"].shape[1] == d["J"].shape[0] for d in draws)
    assert any(d["J"].shape[1] == d["J"].shape[0] + 4 for d in draws)
    assert any(d["m"] == 1 for d in draws)
    assert any(d["m"] == (3 * d["J"].shape[0]) // 2 + 1 > d["J"].shape[0] + 1 for d in draws)   # m up to ⌊3n/2⌋ + 1
    for d in draws:
        assert list(d) == ["J", "x", "m"]
        n, N = d["J"].shape
        assert n <= N <= n + 4 and d["x"].shape == (n,) and 1 <= d["m"] <= (3 * n) // 2 + 1
        assert type(d["m"]) is int and np.linalg.cond(d["J"]) < 1e3


def test_channel_norm_vjp_draws():
    draws = _drawn("channel_norm_vjp")
    assert _covers([d["a"].shape[0] for d in draws], 1, 3) and _covers([d["a"].shape[1] for d in draws], 2, 7)
    assert {d["eps"] for d in draws} == {1e-5, 0.01, 0.5}
    for d in draws:
        assert list(d) == ["a", "scale", "g", "eps"]
        k, s = d["a"].shape
        assert d["scale"].shape == (k,) and d["g"].shape == (k, s)


def test_subsampled_fourier_adjoint_draws():
    draws = _drawn("subsampled_fourier_adjoint")
    assert _covers([d["mask"].shape[0] for d in draws], 1, 6) and _covers([d["mask"].shape[1] for d in draws], 1, 6)
    assert any(d["mask"].sum() == 1 and d["mask"][0, 0] for d in draws)
    assert any(d["mask"].all() and d["mask"].size > 1 for d in draws)
    for d in draws:
        assert list(d) == ["mask", "r"] and d["mask"].dtype == bool and d["mask"].any()
        assert d["r"].shape == (2 * int(d["mask"].sum()),)


# ---------------------------------------------------------------------------
# the fixed example: the inputs of the first call (the untouched stub is told at once; a sandbox that times
# out on that call shows them in the report)
# ---------------------------------------------------------------------------
_U3 = circulant([1.0, 0.5, -0.25])
_C32 = np.array([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25]])
EXAMPLES = {
    "jacobian": {"U": _U3, "C": _C32},
    "min_norm": {"A": np.array([[1.0, 0.5, -0.5]]),
                 "J": np.array([[1.0, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, 0.5], [0.5, -0.5, 1.0, 0.0]]),
                 "y": np.array([1.0])},
    "sigma_weights": {"u": np.array([1.0, 0.5, -0.25, 0.0])},
    "gradient": {"U": _U3, "C": _C32, "A": np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.5]]), "y": np.array([1.0, -1.0])},
    "linear_residuals": {"J": np.array([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]]), "r0": np.array([1.0, 1.0, 1.0]),
                         "step_size": 0.5, "steps": [2, 0, 1]},
    "theorem1_bound": {"J": np.diag([2.0, 1.0, 0.5]), "x": np.array([1.0, 1.0, 1.0]), "m": 2},
    "channel_norm_vjp": {"a": np.array([[1.0, 2.0, 4.0], [0.5, -0.5, 0.0]]), "scale": np.array([1.0, 2.0]),
                         "g": np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 1.0]]), "eps": 0.01},
    "subsampled_fourier_adjoint": {"mask": np.array([[True, False, True], [False, True, False]]),
                                   "r": np.array([1.0, -0.5, 0.25, 0.5, 0.0, -1.0])},
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_example_is_a_fixed_valid_input(name):
    ex = exercises.get(name)
    example = ex.example()
    assert list(example) == list(EXAMPLES[name])
    for key, value in EXAMPLES[name].items():
        assert type(example[key]) is type(value)
        np.testing.assert_array_equal(example[key], value)
        if isinstance(value, np.ndarray):
            assert example[key].dtype == value.dtype
    assert all(np.all(np.isfinite(p)) for p in (ex.expected(example) if ex.outputs else (ex.expected(example),)))


# ---------------------------------------------------------------------------
# the judges: their diagnoses and messages
# ---------------------------------------------------------------------------
def test_min_norm_judge_tells_zero_non_minimal_stopped_early_and_infeasible():
    """A = [I₂ 0] (J = I₃), y = (1, 2): ĉ = (1, 2, 0); each wrong c gets its diagnosis, with the numbers.

    kills mutants: min_norm.x_judge__mutmut_18, 32, 33, 36, 49 … 51, 63, 73 … 81, 90 … 92."""
    judge = exercises.get("min_norm").judge
    inputs = {"A": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), "J": np.eye(3), "y": np.array([1.0, 2.0])}
    best = np.array([1.0, 2.0, 0.0])

    def verdict(c, inputs=inputs, best=best):
        return judge(inputs, best, np.asarray(c, dtype=float))

    message, hint, key = verdict([0.0, 0.0, 0.0])
    assert key == "zero" and message == "Your c is zero, but y ≠ 0: c = 0 solves A J c = y only for y = 0."
    assert hint == ("return the minimum-norm solution itself, ĉ = (A J)ᵀ w with (A J)(A J)ᵀ w = y (a zero vector "
                    "is what an unfinished function returns).")
    message, hint, key = verdict([1.0, 2.0, 0.5])
    assert key == "non_minimal" and message == (
        "Your c solves A J c = y (residual 0.00e+00) but is NOT the minimum-norm solution: ‖c‖ = 2.29129 > "
        "‖ĉ‖ = 2.23607.")
    assert hint == ("a non-minimal solution: your c has a component in the null space of A J. Eq. (5) picks the "
                    "solution in the row space of A J, ĉ = (A J)ᵀ w with (A J)(A J)ᵀ w = y, i.e. ĉ = (A J)^† y.")
    message, hint, key = verdict([0.5, 1.0, 0.0])
    assert key == "gd_not_converged" and message == (
        "Your c lies in the row space of A J (as every gradient-descent iterate from c = 0 does) but does not "
        "solve A J c = y: ‖A J c − y‖ = 1.118.")
    assert hint == ("gradient descent from c = 0 stopped before it converged: it reaches ĉ only in the limit, and "
                    "the direction of the smallest singular value σ_min of A J shrinks by the factor 1 − η σ_min² "
                    "per step. Iterate until ‖A J c − y‖ is at rounding level (with η ≤ 1/σ_max²), or solve "
                    "(A J)(A J)ᵀ w = y and return ĉ = (A J)ᵀ w.")
    message, hint, key = verdict([0.5, 1.0, 1.0])
    assert key == "infeasible" and message == (
        "Your c does not solve A J c = y: ‖A J c − y‖ = 1.118 (ĉ has residual 0.00e+00), and it is not in the "
        "row space of A J.")
    assert hint == ("the constraint of eq. (5) is A J c = y with the PRODUCT A J (m × N), and the minimum-norm "
                    "solution lies in the row space of A J; check which linear system you solved.")
    # the thresholds: relative to max(1, ‖ĉ‖), max(1, ‖y‖), max(1, ‖c‖)
    assert verdict([1e-9, 0.0, 0.0])[2] == "gd_not_converged"          # small, but not zero
    assert verdict([2e-12, 0.0, 0.0])[2] == "zero"                      # ≤ 1e-12 · ‖ĉ‖ (‖ĉ‖ = 2.24)
    assert verdict([1.0 + 2e-6, 2.0, 0.5])[2] == "non_minimal"         # residual 2e-6 ≤ 1e-6 · ‖y‖
    assert verdict([1.0 + 3e-6, 2.0, 0.5])[2] == "infeasible"          # residual 3e-6 > 1e-6 · ‖y‖
    assert verdict([0.5, 1.0, 1.05e-6])[2] == "gd_not_converged"       # outside by ≤ 1e-6 · ‖c‖ (‖c‖ = 1.118)
    assert verdict([0.5, 1.0, 1.2e-6])[2] == "infeasible"
    small = {"A": inputs["A"], "J": np.eye(3), "y": np.array([0.1, 0.2])}     # ‖y‖, ‖ĉ‖ < 1: the floor 1 counts
    best_small = np.array([0.1, 0.2, 0.0])
    assert verdict([0.9e-12, 0.0, 0.0], small, best_small)[2] == "zero"
    assert verdict([1.1e-12, 0.0, 0.0], small, best_small)[2] == "gd_not_converged"
    assert verdict([0.1 + 0.9e-6, 0.2, 0.5], small, best_small)[2] == "non_minimal"
    assert verdict([0.1 + 1.1e-6, 0.2, 0.5], small, best_small)[2] == "infeasible"
    assert verdict([0.05, 0.1, 0.9e-6], small, best_small)[2] == "gd_not_converged"
    assert verdict([0.05, 0.1, 1.1e-6], small, best_small)[2] == "infeasible"
    # exactly at each threshold (the norms below are exact in floating point): still the lenient diagnosis
    exact = {"A": inputs["A"], "J": np.eye(3), "y": np.array([0.5, 0.25])}
    best_exact = np.array([0.5, 0.25, 0.0])
    assert verdict([1e-12, 0.0, 0.0], exact, best_exact)[2] == "zero"                   # ‖c‖ = 1e-12 · 1
    assert verdict([0.25, 0.125, 1e-6], exact, best_exact)[2] == "gd_not_converged"     # outside = 1e-6 · 1
    zero_y = {"A": inputs["A"], "J": np.eye(3), "y": np.zeros(2)}
    assert verdict([1e-6, 0.0, 0.5], zero_y, np.zeros(3))[2] == "non_minimal"           # residual = 1e-6 · 1


def test_adjoint_judge_reports_the_adjoint_identity_with_the_numbers():
    """kills mutants: subsampled_fourier_adjoint.x_judge__mutmut_21, 22, 23."""
    ex = exercises.get("subsampled_fourier_adjoint")
    mask = np.array([[True, False, True], [False, True, False]])
    r = np.array([1.0, -0.5, 0.25, 0.5, 0.0, -1.0])
    inputs = {"mask": mask, "r": r}
    expected = ex.expected(inputs)
    x = np.random.default_rng(6).standard_normal(6)
    k = np.fft.fft2(x.reshape(2, 3), norm="ortho")[mask]
    lhs = float(np.concatenate([k.real, k.imag]) @ r)
    assert math.isclose(lhs, float(x @ expected), rel_tol=1e-12)          # the identity holds for cstheory's
    message, hint, key = ex.judge(inputs, expected, 2 * expected)
    assert key == "not_adjoint" and message == (
        f"Wrong values: your function is not the adjoint of A. For a random image x, ⟨A x, r⟩ = {lhs:.6g} but "
        f"⟨x, your Aᵀ r⟩ = {2 * lhs:.6g} (cstheory's gives {lhs:.6g}).")
    assert hint == ("Aᵀ r = Re(F^H P_Ωᵀ (r_re + i r_im)): zero-fill the m values c at their k-space locations, "
                    "apply the orthonormal inverse DFT (np.fft.ifft2(…, norm='ortho')), keep the real part, flatten "
                    "row-major.")
    assert ex.judge(inputs, expected, expected.reshape(2, 3)) is None


@pytest.mark.parametrize("name", list(exercises.EXERCISES))
def test_check_passes_the_function_the_examples_and_the_seed(name):
    """``cstheory.exercises.check(name, func, max_examples, seed)`` is the exercise's check.

    kills mutants: jacobian.x_check__mutmut_1 … 6."""
    ex = exercises.get(name)

    def library(*args):                         # cstheory's own answer, called like a student's function
        return ex.reference(**dict(zip(ex.example(), args)))

    res = exercises.check(name, library, 3, 5)
    assert res.accepted and res.exercise == name and (res.max_examples, res.seed) == (3, 5)
    res = exercises.check(name, library, max_examples=2)
    assert res.accepted and (res.max_examples, res.seed) == (2, None)

    def wrong(*args):
        out = library(*args)
        return tuple(2 * np.asarray(p) + 1 for p in out) if ex.outputs else 2 * np.asarray(out) + 1

    assert not exercises.check(name, wrong, 2).accepted


def test_sigma_mistakes_clip_the_rounded_correlation_as_the_library_does():
    """For u = (1.35, −1.35, …) (n = 6) the autocorrelation/‖u‖² from the FFT rounds to just above 1 and just
    below −1; the classic mistakes clip it to [−1, 1] (as the library does), so arccos stays finite and the
    mistake is still recognised on this u alone.

    kills mutants: sigma_weights.x__variant__mutmut_30, 31, 37, 38."""
    ex = exercises.get("sigma_weights")
    u = np.tile([1.35, -1.35], 3)
    uh = np.fft.fft(u)
    rounded = np.fft.ifft(uh * np.conj(uh)).real / float(u @ u)
    assert rounded.max() > 1.0 and rounded.min() < -1.0                   # the premise: rounding leaves [−1, 1]
    rho = np.array([float(np.roll(u, -d) @ u) for d in range(6)]) / float(u @ u)      # exactly ±1 here
    got = np.linalg.norm(u) * np.sqrt(np.abs(np.fft.fft((1.0 - np.arccos(rho) / math.pi) * rho)))
    assert ex.diagnose([({"u": u}, got)]).key == "missing_half"


def test_channel_norm_mistakes_are_recognised_on_one_example_with_several_channels():
    """k = 2 channels of s = 3 entries (k ≠ 1, k ≠ s): the statistics of the classic mistakes' re-derivation keep
    their channel axis, so each mistake is recognised from this one wrong answer.

    kills mutants: channel_norm_vjp.x__vjp__mutmut_12, 13, 21, 23, 45, 46, 54, 56."""
    from test_exercises import MISTAKES

    ex = exercises.get("channel_norm_vjp")
    rng = np.random.default_rng(3)
    inputs = {"a": rng.standard_normal((2, 3)), "scale": np.array([1.5, -0.5]), "g": rng.standard_normal((2, 3)),
              "eps": 0.01}
    students = [(func, key) for name, func, key in MISTAKES if name == "channel_norm_vjp"]
    assert len(students) == len(ex.mistakes)
    for func, key in students:
        got = tuple(np.asarray(p, dtype=float) for p in func(**inputs))
        assert ex.diagnose([(inputs, got)]).key == key, key


def test_adjoint_mistakes_are_recognised_on_one_example_with_three_samples():
    """A 2 × 3 mask with m = 3 samples: each classic mistake is recognised from this one wrong answer (the
    interleaved layout needs m ≥ 2 to differ from the stacked one).

    kills mutants: subsampled_fourier_adjoint.x__adjoint__mutmut_14, 17, 18."""
    from test_exercises import MISTAKES

    ex = exercises.get("subsampled_fourier_adjoint")
    inputs = {"mask": np.array([[True, False, True], [False, True, False]]),
              "r": np.array([1.0, -0.5, 0.25, 0.5, 0.75, -1.0])}
    keys = {m.key for m in ex.mistakes}
    students = [(func, key) for name, func, key in MISTAKES if name == "subsampled_fourier_adjoint" and key in keys]
    assert {key for _, key in students} == keys
    for func, key in students:
        got = np.asarray(func(**inputs), dtype=float)
        assert ex.diagnose([(inputs, got)]).key == key, key
