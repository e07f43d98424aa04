"""Tests of cstheory/linear.py: the linear generator of Sec. 3 and the minimum-norm solution, eq. (5).

The central fact of Sec. 3: gradient descent on ½‖A J c − y‖² started from c = 0 stays in the row
space of A J and converges to ĉ = argmin ‖c‖ s.t. A J c = y = (A J)^† y.
"""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cstheory as cst
from cstheory import _backend as B
from cstheory.testing import assert_adjoint, assert_allclose, seeds

# the problems of these tests: m < n <= N, small enough that a dense SVD on the host is the oracle
dims = st.integers(3, 14).flatmap(
    lambda n: st.tuples(st.integers(1, n - 1), st.just(n), st.integers(n, 2 * n))
)


def problem(m, n, N, seed, xp):
    """Gaussian A (m, n), Gaussian J (n, N), a smooth x* and y = A x*, on backend ``xp``."""
    rng = np.random.default_rng(seed)
    A = cst.gaussian_matrix(m, n, rng=rng, xp=xp)
    J = B.normal((n, N), rng=rng, scale=1.0 / math.sqrt(N), xp=xp)
    x = cst.smooth_signal(n, max(1, n // 3), rng=rng, xp=xp)
    return A, J, x, A @ x


def row_space_residual(M, c):
    """‖c − P c‖ / ‖c‖ with P the orthogonal projection onto the row space of M (host SVD)."""
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    V = Vt[s > s[0] * 1e-12].T
    return np.linalg.norm(c - V @ (V.T @ c)) / max(np.linalg.norm(c), 1e-300)


# ---------------------------------------------------------------------------
# min_norm_coefficients, eq. (5)
# ---------------------------------------------------------------------------
@given(dims=dims, seed=seeds())
def test_min_norm_is_pseudo_inverse_solution_interpolating_in_row_space(dims, seed, xp):
    m, n, N = dims
    A, J, x, y = problem(m, n, N, seed, xp)
    c = cst.min_norm_coefficients(A, J, y)
    assert B.namespace(c) is xp and tuple(c.shape) == (N,) and c.dtype == xp.float64
    M = cst.to_numpy(A) @ cst.to_numpy(J)
    c_host = cst.to_numpy(c)
    # equals the pseudo-inverse solution
    assert_allclose(c, np.linalg.pinv(M) @ cst.to_numpy(y), rtol=1e-9)
    # satisfies A J c = y
    assert_allclose(A @ (J @ c), y, rtol=1e-9)
    # lies in the row space of A J: c = (A J)ᵀ z for some z
    assert row_space_residual(M, c_host) < 1e-10
    # and is the projection of any interpolating c* onto it, eq. (5)'s display: here c* = J^† x
    c_star = np.linalg.pinv(cst.to_numpy(J)) @ cst.to_numpy(x)
    V = np.linalg.svd(M, full_matrices=False)[2].T
    np.testing.assert_allclose(c_host, V @ (V.T @ c_star), atol=1e-9 * max(1.0, np.abs(c_host).max()))


@given(seed=seeds(), rank=st.integers(1, 4))
def test_min_norm_rank_deficient(seed, rank, xp):
    """A J of rank r < m: the SVD route discards the zero singular values and still gives (A J)^† y."""
    m, n, N = 6, 8, 10
    rng = np.random.default_rng(seed)
    A = cst.gaussian_matrix(m, n, rng=rng, xp=xp)
    J_host = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, N))  # rank r
    J = B.asarray(J_host, xp=xp)
    x = J_host @ rng.standard_normal(N)  # in the range of J, so y is attainable
    y = A @ B.asarray(x, xp=xp)
    c = cst.min_norm_coefficients(A, J, y)
    M = cst.to_numpy(A) @ J_host
    assert np.linalg.matrix_rank(M) == rank
    assert_allclose(c, np.linalg.pinv(M) @ cst.to_numpy(y), rtol=1e-8)
    assert_allclose(A @ (J @ c), y, rtol=1e-8)
    assert row_space_residual(M, cst.to_numpy(c)) < 1e-10


def test_min_norm_unattainable_y_is_least_squares(xp):
    """m > rank: y outside the range of A J gets the min-norm least-squares solution, again (A J)^† y."""
    rng = np.random.default_rng(3)
    A = cst.gaussian_matrix(9, 5, rng=rng, xp=xp)  # m > n: A J has rank 5 < 9
    J = B.normal((5, 7), rng=rng, xp=xp)
    y = B.normal(9, rng=rng, xp=xp)
    c = cst.min_norm_coefficients(A, J, y)
    M = cst.to_numpy(A) @ cst.to_numpy(J)
    assert_allclose(c, np.linalg.pinv(M) @ cst.to_numpy(y), rtol=1e-9)


def test_min_norm_with_a_linear_operator_matches_dense(xp):
    A, J, x, y = problem(4, 9, 12, 11, xp)

    class Wrapped(cst.LinearOperator):
        def __init__(self, M):
            self.M, self.shape = M, tuple(M.shape)
            self.xp, self.dtype, self.device = xp, M.dtype, None

        def matvec(self, v):
            return self.M @ v

        def rmatvec(self, r):
            return self.M.T @ r

    assert_allclose(cst.min_norm_coefficients(Wrapped(A), J, y), cst.min_norm_coefficients(A, J, y))


def test_min_norm_bad_inputs(xp):
    A, J, x, y = problem(4, 9, 12, 0, xp)
    with pytest.raises(ValueError, match="shapes do not chain"):
        cst.min_norm_coefficients(A, J[:8, :], y)
    with pytest.raises(ValueError, match="y must have length m = 4"):
        cst.min_norm_coefficients(A, J, y[:3])
    with pytest.raises(ValueError, match="J must be 2-D"):
        cst.min_norm_coefficients(A, J[:, 0], y)
    with pytest.raises(ValueError, match="y contains non-finite"):
        cst.min_norm_coefficients(A, J, y * float("nan"))
    with pytest.raises(ValueError, match="A contains non-finite"):
        cst.min_norm_coefficients(A * float("inf"), J, y)
    other = "array_api_strict" if B.is_numpy(xp) else "numpy"
    with pytest.raises(TypeError, match="different backends"):
        cst.min_norm_coefficients(A, B.asarray(cst.to_numpy(J), xp=other), y)


# ---------------------------------------------------------------------------
# gradient descent from zero converges to eq. (5)
# ---------------------------------------------------------------------------
@settings(max_examples=12)
@given(dims=dims, seed=seeds())
def test_gd_from_zero_converges_to_min_norm(dims, seed, xp):
    """Sec. 3: GD (eq. 9) with the default step 1/‖A J‖² from c₀ = 0 converges to ĉ of eq. (5).

    The error in the row space contracts by (1 − η σ_min²) = (1 − 1/κ²) per step, so
    ceil(30 κ²) steps reduce it below e^{-30} ≈ 1e-13; κ² ≤ 60 keeps the test fast."""
    m, n, N = dims
    A, J, x, y = problem(m, n, N, seed, xp)
    s = np.linalg.svd(cst.to_numpy(A) @ cst.to_numpy(J), compute_uv=False)
    kappa2 = (s[0] / s[-1]) ** 2
    assume(kappa2 <= 60)
    steps = int(math.ceil(30 * kappa2)) + 20
    c_hat = cst.min_norm_coefficients(A, J, y)
    result = cst.fit(cst.LinearGenerator(J), A, y, steps=steps, record_every=steps)
    # power iteration approaches ‖A J‖² from below, its deficit shrinking like (σ₂/σ₁)^{2t}: with close top
    # singular values its 100 iterations leave up to 1.9e-6 (dims (2, 14, 26), seed 701) and 3.5e-5 (dims
    # (5, 7, 11), seed 9338), both found by the random profile.  So the step is ≥ 1/σ₁² and within 1e-3 of it
    # (a step off by a constant factor, e.g. 2/σ₁², fails), and the convergence below is the real test.
    assert 1.0 / s[0] ** 2 * (1 - 1e-12) <= result.step_size <= 1.0 / s[0] ** 2 * (1 + 1e-3)
    scale = float(np.linalg.norm(cst.to_numpy(c_hat)))
    assert float(np.linalg.norm(cst.to_numpy(result.params - c_hat))) <= 1e-8 * scale
    assert_allclose(result.signal, J @ c_hat, rtol=1e-7)
    assert result.loss[-1] <= 1e-14 * max(result.loss[0], 1e-300)


def test_gd_iterates_stay_in_row_space_and_approach_min_norm(xp):
    """Every GD iterate from 0 lies in the row space of A J, and ‖c_t − ĉ‖ decreases monotonically."""
    A, J, x, y = problem(5, 10, 16, 4, xp)
    M = cst.to_numpy(A) @ cst.to_numpy(J)
    c_hat = cst.to_numpy(cst.min_norm_coefficients(A, J, y))
    distances = []

    def record(t, params):
        c = cst.to_numpy(params)
        if t > 0:
            assert row_space_residual(M, c) < 1e-10
        distances.append(np.linalg.norm(c - c_hat))

    cst.fit(cst.LinearGenerator(J), A, y, steps=300, record_every=10, callback=record)
    assert len(distances) == 31
    assert np.all(np.diff(distances) <= 1e-15)
    assert distances[-1] < 1e-3 * distances[0]


def test_gd_from_nonzero_start_misses_min_norm(xp):
    """The starting point matters: from c₀ ≠ 0 GD converges to ĉ + (I − P) c₀, not to ĉ."""
    A, J, x, y = problem(4, 8, 12, 5, xp)
    gen = cst.LinearGenerator(J)
    c0 = gen.init(rng=1, scale=1.0)
    M = cst.to_numpy(A) @ cst.to_numpy(J)
    V = np.linalg.svd(M, full_matrices=False)[2].T
    c0h = cst.to_numpy(c0)
    expected = cst.to_numpy(cst.min_norm_coefficients(A, J, y)) + c0h - V @ (V.T @ c0h)
    s = np.linalg.svd(M, compute_uv=False)
    steps = int(30 * (s[0] / s[-1]) ** 2) + 20
    result = cst.fit(gen, A, y, params=c0, steps=steps, record_every=steps)
    assert_allclose(result.params, expected, rtol=1e-8)


# ---------------------------------------------------------------------------
# LinearGenerator: the generator protocol
# ---------------------------------------------------------------------------
@given(n=st.integers(1, 10), N=st.integers(1, 14), seed=seeds())
def test_linear_generator_jvp_vjp_adjoint(n, N, seed):
    for name in B.available_backends():
        xp = B.resolve_namespace(name)
        J = B.normal((n, N), rng=seed, xp=xp)
        gen = cst.LinearGenerator(J)
        c = B.normal(N, rng=seed + 1, xp=xp)
        t = B.normal(N, rng=seed + 2, xp=xp)
        r = B.normal(n, rng=seed + 3, xp=xp)
        assert_adjoint(lambda v: gen.jvp(c, v), lambda w: gen.vjp(c, w), t, r)
        Jh = cst.to_numpy(J)
        assert_allclose(gen.jvp(c, t), Jh @ cst.to_numpy(t))
        assert_allclose(gen.vjp(c, r), Jh.T @ cst.to_numpy(r))


def test_linear_generator_protocol(xp):
    J = B.normal((5, 8), rng=0, xp=xp)
    Jh = cst.to_numpy(J)
    gen = cst.LinearGenerator(J)
    assert isinstance(gen, cst.Generator)
    assert gen.param_shape == (8,) and gen.output_shape == (5,)
    assert gen.n == 5 and gen.num_params == 8
    assert (gen.xp, gen.dtype) == (xp, xp.float64)
    c = B.normal(8, rng=1, xp=xp)
    assert_allclose(gen(c), Jh @ cst.to_numpy(c))
    assert_allclose(gen.forward(c), Jh @ cst.to_numpy(c))
    # forward_vjp shares the forward pass
    out, vjp_fn = gen.forward_vjp(c)
    r = B.normal(5, rng=2, xp=xp)
    assert_allclose(out, Jh @ cst.to_numpy(c))
    assert_allclose(vjp_fn(r), Jh.T @ cst.to_numpy(r))
    # the Jacobian of J c is J, and the base-class column-by-column Jacobian agrees
    assert_allclose(gen.jacobian(c), Jh)
    assert_allclose(cst.Generator.jacobian(gen, c), Jh)
    # gram = J Jᵀ, also by the base-class route
    assert_allclose(gen.gram(c), Jh @ Jh.T)
    assert_allclose(cst.Generator.gram(gen, c), Jh @ Jh.T)
    # init: zeros by default (the start of eq. 5), Gaussian of the given scale otherwise
    assert_allclose(gen.init(), np.zeros(8))
    c0 = gen.init(rng=3, scale=0.5)
    assert_allclose(c0, 0.5 * np.random.default_rng(3).standard_normal(8))
    assert gen.smoothness_bound() is None


def test_linear_generator_float32(xp):
    """float32 J → float32 parameters, outputs, derivatives and fits (GD and Adam), with the right values."""
    f32 = xp.float32
    J = B.normal((4, 6), rng=0, xp=xp, dtype="float32")
    Jh = cst.to_numpy(J).astype(np.float64)
    gen = cst.LinearGenerator(J)
    c = gen.init(rng=1, scale=1.0)
    t = B.normal(6, rng=2, xp=xp, dtype="float32")
    r = B.normal(4, rng=3, xp=xp, dtype="float32")
    x, vjp_fn = gen.forward_vjp(c)
    for a in (c, gen.init(), gen.forward(c), gen.jvp(c, t), gen.vjp(c, r), gen.jacobian(c), gen.gram(c), x, vjp_fn(r)):
        assert a.dtype == f32
    assert_allclose(gen.jvp(c, t), Jh @ cst.to_numpy(t), rtol=1e-6)
    assert_allclose(gen.gram(c), Jh @ Jh.T, rtol=1e-6)
    A = B.normal((3, 4), rng=4, xp=xp, dtype="float32")
    y = B.normal(3, rng=5, xp=xp, dtype="float32")
    for opt in ("gd", "adam"):
        res = cst.fit(gen, A, y, steps=3, optimizer=opt)
        assert res.params.dtype == f32 and res.signal.dtype == f32


def test_linear_generator_bad_inputs(xp):
    J = B.normal((4, 6), rng=0, xp=xp)
    gen = cst.LinearGenerator(J)
    with pytest.raises(ValueError, match="params must have shape"):
        gen.forward(B.normal(5, xp=xp))
    with pytest.raises(ValueError, match="tangent must have shape"):
        gen.jvp(gen.init(), B.normal(5, xp=xp))
    with pytest.raises(ValueError, match="cotangent must have shape"):
        gen.vjp(gen.init(), B.normal(6, xp=xp))
    with pytest.raises(ValueError, match="params contains non-finite"):
        gen.forward(gen.init() + float("nan"))
    other = "array_api_strict" if B.is_numpy(xp) else "numpy"
    with pytest.raises(TypeError, match="params"):
        gen.forward(B.normal(6, xp=other))
    with pytest.raises(ValueError, match="J must be 2-D"):
        cst.LinearGenerator(J[0, :])
    with pytest.raises(TypeError, match="J must be an array"):
        cst.LinearGenerator([[1.0, 2.0]])
    with pytest.raises(ValueError, match="scale must be >= 0"):
        gen.init(scale=-1.0)


# ---------------------------------------------------------------------------
# input contract and scale safety (issue 14)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("a, b, c", [(1e200, 1e200, 1.0), (1e-150, 1e-150, 1.0), (1e300, 1.0, 1e300),
                                     (1.0, 1e-300, 1e-300), (1e150, 1e150, 1e-10)])
def test_min_norm_coefficients_are_homogeneous(xp, a, b, c):
    """ĉ(aA, bJ, cy) = c/(ab) ĉ(A, J, y), and A J ĉ = y still holds: no overflow in A J."""
    rng = np.random.default_rng(0)
    A, J, y = rng.standard_normal((3, 5)), rng.standard_normal((5, 7)), rng.standard_normal(3)
    ref = B.to_numpy(cst.min_norm_coefficients(*(B.asarray(v, xp=xp) for v in (A, J, y))))
    got = B.to_numpy(cst.min_norm_coefficients(*(B.asarray(v, xp=xp) for v in (a * A, b * J, c * y))))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, c / (a * b) * ref, rtol=1e-10)


def test_min_norm_coefficients_beyond_the_float_range_are_refused():
    """ĉ(1e-200 A, 1e-200 J, y) = 1e400 ĉ(A, J, y) cannot be represented: a ValueError, not inf or NaN."""
    with pytest.raises(ValueError, match="exceed the floating-point range"):
        cst.min_norm_coefficients(1e-200 * np.eye(2), 1e-200 * np.eye(2), np.ones(2))


def test_min_norm_refuses_complex_data_instead_of_missing_the_constraint():
    A, J = np.eye(3), np.eye(3)
    with pytest.raises(TypeError, match="y must be real"):
        cst.min_norm_coefficients(A, J, np.ones(3) * (1 + 1j))
    with pytest.raises(TypeError, match="J must be real"):
        cst.min_norm_coefficients(A, J.astype(complex), np.ones(3))


def test_linear_generator_refuses_int_and_bool_arrays():
    with pytest.raises(TypeError, match=r"J must be a real floating array .* convert with J.astype\(float\)"):
        cst.LinearGenerator(np.eye(3, dtype=np.int64))
    gen = cst.LinearGenerator(np.eye(3))
    with pytest.raises(TypeError, match="params must be a real floating array"):
        gen.forward(np.ones(3, dtype=bool))


# ---------------------------------------------------------------------------
# edge cases, devices, defaults and messages
# ---------------------------------------------------------------------------
class VectorOnly(cst.LinearOperator):
    """A matrix seen only through products with VECTORS (as a matrix-free operator is entitled to be)."""

    def __init__(self, M):
        self.M, self.shape = M, tuple(M.shape)
        self.xp, self.dtype, self.device = B.namespace(M), M.dtype, None

    def matvec(self, v):
        assert v.ndim == 1, "an operator needs only act on vectors"
        return self.M @ v

    def rmatvec(self, r):
        assert r.ndim == 1, "an operator needs only act on vectors"
        return self.M.T @ r


def test_min_norm_edge_cases(xp):
    """A J = 0 gives ĉ = 0 (no 1/0: only s > cutoff count); N = 0 gives an empty ĉ; a matrix-free A is
    applied to vectors only (its dense form is asked for).  kills mutants: s >= cutoff, the empty-s guard,
    A @ J on an operator."""
    A, J, x, y = problem(4, 9, 12, 0, xp)
    zero = cst.min_norm_coefficients(A, J * 0.0, y)
    np.testing.assert_array_equal(cst.to_numpy(zero), 0.0)
    with pytest.raises(ValueError, match="J must not be empty"):      # the input contract: empty is refused
        cst.min_norm_coefficients(A, xp.zeros((9, 0), dtype=xp.float64), y)
    assert_allclose(cst.min_norm_coefficients(VectorOnly(A), J, y), cst.min_norm_coefficients(A, J, y), rtol=1e-13)


def test_linear_generator_init_and_device():
    """init: zeros for scale None or 0, iid N(0, scale²) host draws of seed rng (default 0) otherwise,
    on J's device.  kills mutants: default rng 1, scale == 1 taken for 0, device dropped."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    J = xs.asarray(np.ones((3, 4)), device=dev)
    gen = cst.LinearGenerator(J)
    for c in (gen.init(), gen.init(scale=0), gen.init(scale=0.0)):
        assert c.device == dev and c.dtype == xs.float64
        np.testing.assert_array_equal(cst.to_numpy(xs.asarray(c, device=xs.Device("CPU_DEVICE"))), 0.0)
    for kwargs, seed, scale in (({"scale": 1}, 0, 1.0), ({"scale": 0.5, "rng": 4}, 4, 0.5)):
        c = gen.init(**kwargs)
        assert c.device == dev
        np.testing.assert_allclose(cst.to_numpy(xs.asarray(c, device=xs.Device("CPU_DEVICE"))),
                                   scale * np.random.default_rng(seed).standard_normal(4), rtol=1e-15)


@pytest.mark.parametrize("call, exc, message", [
    (lambda A, J, y: cst.min_norm_coefficients(A, J, y[:, None]), ValueError, "y must be 1-D, got shape (4, 1)"),
    (lambda A, J, y: cst.min_norm_coefficients(A, J[:8, :], y), ValueError,
     "shapes do not chain: A is 4x9 but J has 8 rows"),
    (lambda A, J, y: cst.LinearGenerator(J).vjp(np.zeros(12), [0.0] * 9), TypeError, "cotangent must be an array, got list; convert with numpy.asarray(cotangent)"),
])
def test_bad_input_messages(call, exc, message):
    """The whole message, anchored (kills renamed arguments and altered numbers)."""
    import re
    A, J, x, y = problem(4, 9, 12, 0, "numpy")
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call(A, J, y)


def test_min_norm_refuses_mixed_backends_in_any_argument(xp):
    """y or A from another backend than J: TypeError naming both (kills y or A left out of the check)."""
    A, J, x, y = problem(4, 9, 12, 0, xp)
    other = "array_api_strict" if B.is_numpy(xp) else "numpy"
    with pytest.raises(TypeError, match="different backends|one backend per call"):
        cst.min_norm_coefficients(A, J, B.asarray(cst.to_numpy(y), xp=other))
    with pytest.raises(TypeError, match="different backends|one backend per call"):
        cst.min_norm_coefficients(B.asarray(cst.to_numpy(A), xp=other), J, y)


# ---------------------------------------------------------------------------
# mutation testing of linear.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
def test_init_checks_y_is_one_dimensional_and_names_it():
    """init(y=...) is ignored but checked: a 2-D y is refused with a message naming y.

    kills mutants: xǁLinearGeneratorǁinit__mutmut_19, 20, 23, 24, 25."""
    gen = cst.LinearGenerator(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"^y must be 1-D, got shape \(3, 1\)$"):
        gen.init(y=np.ones((3, 1)))
    np.testing.assert_array_equal(gen.init(y=np.ones(3)), np.zeros(4))


@pytest.mark.parametrize("method", ["jacobian", "gram"])
def test_jacobian_and_gram_check_params_only_when_given(method):
    """params=None (the default) is allowed, a params of the wrong shape is refused.

    kills mutants: xǁLinearGeneratorǁjacobian__mutmut_1, xǁLinearGeneratorǁgram__mutmut_1."""
    J = np.arange(12.0).reshape(3, 4)
    gen = cst.LinearGenerator(J)
    expected = J if method == "jacobian" else J @ J.T
    np.testing.assert_array_equal(getattr(gen, method)(), expected)
    np.testing.assert_array_equal(getattr(gen, method)(np.ones(4)), expected)
    with pytest.raises(ValueError, match=r"^params must have shape \(4,\), got \(3,\)$"):
        getattr(gen, method)(np.ones(3))


def test_min_norm_names_the_backends_of_a_and_of_j_and_y():
    """kills mutants: x_min_norm_coefficients__mutmut_34, 35, 36."""
    import array_api_strict as xs
    with pytest.raises(TypeError, match=r"^A works on array_api_strict arrays but J and y are numpy arrays; "
                                        r"use one backend per call$"):
        cst.min_norm_coefficients(xs.asarray(np.eye(2)), np.eye(2), np.ones(2))


def test_min_norm_rcond_cuts_relative_singular_values():
    """A J = diag(1, 0.1): rcond = 0 (allowed) and the default keep both singular values, ĉ = (1, 10);
    rcond = 0.5 cuts 0.1 < 0.5·1, ĉ = (1, 0).  A negative or non-real rcond is refused, naming rcond.

    kills mutants: x_min_norm_coefficients__mutmut_48 to 57."""
    A, J, y = np.eye(2), np.diag([1.0, 0.1]), np.ones(2)
    np.testing.assert_allclose(cst.min_norm_coefficients(A, J, y), [1.0, 10.0], rtol=1e-14)
    np.testing.assert_allclose(cst.min_norm_coefficients(A, J, y, rcond=0.0), [1.0, 10.0], rtol=1e-14)
    np.testing.assert_allclose(cst.min_norm_coefficients(A, J, y, rcond=0.09), [1.0, 10.0], rtol=1e-14)
    np.testing.assert_allclose(cst.min_norm_coefficients(A, J, y, rcond=0.5), [1.0, 0.0], rtol=1e-14)
    with pytest.raises(ValueError, match=r"^rcond must be >= 0, got -1$"):
        cst.min_norm_coefficients(A, J, y, rcond=-1)
    with pytest.raises(TypeError, match=r"^rcond must be a real number, got str 'a'$"):
        cst.min_norm_coefficients(A, J, y, rcond="a")


def test_min_norm_memory_estimate_is_twice_a_aj_aj_and_n_by_n(monkeypatch):
    """m, n, N = 2, 3, 4: 2·8·(m n + 2 m N + N²) = 608 bytes are allowed, 607 refused, with a message
    naming the call.

    kills mutants: x_min_norm_coefficients__mutmut_61, 64, 69, 70, 71, 72, 73."""
    A, J, y = np.ones((2, 3)), np.ones((3, 4)), np.ones(2)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "608")
    assert cst.min_norm_coefficients(A, J, y).shape == (4,)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "607")
    with pytest.raises(ValueError, match=r"^min_norm_coefficients\(A of shape \(2, 3\), J of shape \(3, 4\)\): "
                                         r"A, A J and its SVD needs 608 bytes \(608 bytes\), more than the limit "
                                         r"of 607 bytes"):
        cst.min_norm_coefficients(A, J, y)


def test_min_norm_of_zero_y_is_zero_of_j_dtype_on_j_device():
    """y = 0 gives ĉ = 0 at once: shape (N,), J's dtype (float32 here) and J's device.

    kills mutants: x_min_norm_coefficients__mutmut_80 to 86."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    A = xs.asarray(np.ones((2, 3)), dtype=xs.float32, device=dev)
    J = xs.asarray(np.ones((3, 4)), dtype=xs.float32, device=dev)
    y = xs.zeros(2, dtype=xs.float32, device=dev)
    c = cst.min_norm_coefficients(A, J, y)
    assert c.shape == (4,) and c.dtype == xs.float32 and c.device == dev
    np.testing.assert_array_equal(np.asarray(xs.asarray(c, device=xs.Device("CPU_DEVICE"))), 0.0)


def test_min_norm_overflow_message():
    """kills mutants: x_min_norm_coefficients__mutmut_150, 152, 153, 154."""
    with pytest.raises(ValueError, match=r"^the minimum-norm coefficients exceed the floating-point range "
                                         r"\(y is much larger than A times J\); rescale y$"):
        cst.min_norm_coefficients(1e-200 * np.eye(2), 1e-200 * np.eye(2), np.ones(2))
