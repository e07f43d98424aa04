"""Tests of cstheory/operators.py: Gaussian matrices, the LinearOperator base, norms and power iteration."""
import math

import numpy as np
import pytest
from hypothesis import given

import cstheory as cst
from cstheory import _backend as B
from cstheory.operators import AdjointOperator, MatrixOperator, ProductOperator, as_operator, power_iteration
from cstheory.testing import assert_adjoint, assert_allclose, seeds, sizes

BACKENDS = B.available_backends()


class Difference(cst.LinearOperator):
    """First differences (D x)_i = x_{i+1} - x_i, R^n -> R^{n-1}, written matrix-free.

    Its adjoint is Dᵀ r = [0, r] - [r, 0]; a small test subclass of the base class."""

    def __init__(self, n, xp):
        self.shape = (n - 1, n)
        self.xp, self.dtype, self.device = xp, xp.float64, None

    def matvec(self, x):
        return x[1:] - x[:-1]

    def rmatvec(self, r):
        zero = self.xp.zeros((1,), dtype=r.dtype)
        return self.xp.concat([zero, r]) - self.xp.concat([r, zero])


def dense_difference(n):
    D = np.zeros((n - 1, n))
    for i in range(n - 1):
        D[i, i], D[i, i + 1] = -1.0, 1.0
    return D


# ---------------------------------------------------------------------------
# gaussian_matrix
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("m, n, seed", [(50, 400, 0), (7, 3000, 1), (400, 60, 2)])
def test_gaussian_matrix_mean_zero_variance_one_over_m(m, n, seed):
    """K = m n iid N(0, 1/m) entries: the sample mean has std 1/(m sqrt n) and the sample
    variance has std ≈ sqrt(2/K)/m; both must lie within 5 of those standard deviations."""
    A = cst.to_numpy(cst.gaussian_matrix(m, n, rng=seed))
    K = m * n
    mean_std = math.sqrt(1.0 / m / K)
    var_std = math.sqrt(2.0 / K) / m
    assert abs(A.mean()) < 5 * mean_std
    assert abs(A.var() - 1.0 / m) < 5 * var_std
    # E||A z||² = ||z||² for a fixed unit z: the column norms² average to 1 (std sqrt(2/m)/sqrt(n))
    col = (A**2).sum(axis=0)
    assert abs(col.mean() - 1.0) < 5 * math.sqrt(2.0 / m / n)


def test_gaussian_matrix_on_backend_and_dtype(xp):
    A = cst.gaussian_matrix(4, 6, rng=3, xp=xp, dtype="float32")
    assert B.namespace(A) is xp and A.dtype == xp.float32 and tuple(A.shape) == (4, 6)
    assert_allclose(A, cst.to_numpy(cst.gaussian_matrix(4, 6, rng=3)), rtol=1e-6)


@given(m=sizes(1, 9), n=sizes(1, 9), seed=seeds())
def test_gaussian_matrix_equal_seeds_equal_numbers_across_backends(m, n, seed):
    ref = cst.to_numpy(cst.gaussian_matrix(m, n, rng=seed))
    for name in BACKENDS:
        np.testing.assert_array_equal(cst.to_numpy(cst.gaussian_matrix(m, n, rng=seed, xp=name)), ref)
    # a Generator continues its stream: two matrices from one generator differ
    g = np.random.default_rng(seed)
    assert not np.array_equal(cst.to_numpy(cst.gaussian_matrix(m, n, rng=g)),
                              cst.to_numpy(cst.gaussian_matrix(m, n, rng=g)))


@pytest.mark.parametrize("m, n, exc, match",
                         [(0, 3, ValueError, "m must be"), (3, 0, ValueError, "n must be"),
                          (2.0, 3, TypeError, "m must be"), (3, None, TypeError, "n must be")])
def test_gaussian_matrix_bad_sizes(m, n, exc, match):
    with pytest.raises(exc, match=match):
        cst.gaussian_matrix(m, n)


# ---------------------------------------------------------------------------
# LinearOperator
# ---------------------------------------------------------------------------
@given(n=sizes(2, 20), seed=seeds())
def test_linear_operator_adjoint_identity(n, seed):
    for name in BACKENDS:
        xp = B.resolve_namespace(name)
        D = Difference(n, xp)
        x = B.normal(n, rng=seed, xp=xp)
        r = B.normal(n - 1, rng=seed + 1, xp=xp)
        assert_adjoint(D.matvec, D.rmatvec, x, r)
        assert_adjoint(lambda v: D @ v, lambda w: D.T @ w, x, r)


def test_linear_operator_transpose_and_dense(xp):
    n = 6
    D = Difference(n, xp)
    assert D.shape == (n - 1, n)
    assert D.T.shape == (n, n - 1)
    assert D.T.T is D
    assert (D.T.xp, D.T.dtype) == (xp, xp.float64)
    assert_allclose(D.to_dense(), dense_difference(n))
    assert_allclose(D.T.to_dense(), dense_difference(n).T)
    x = B.normal(n, rng=2, xp=xp)
    assert_allclose(D @ x, dense_difference(n) @ cst.to_numpy(x))
    assert isinstance(D.T, AdjointOperator) and D.H.shape == D.T.shape


def test_as_operator_wraps_arrays_once_and_refuses_the_rest(xp):
    M = B.normal((3, 5), rng=1, xp=xp)
    A = as_operator(M)
    assert isinstance(A, MatrixOperator) and as_operator(A) is A and A.to_dense() is M
    assert (A.shape, A.xp, A.dtype) == ((3, 5), xp, xp.float64)
    x, r = B.normal(5, rng=2, xp=xp), B.normal(3, rng=3, xp=xp)
    assert_allclose(A @ x, cst.to_numpy(M) @ cst.to_numpy(x))
    assert_allclose(A.T @ r, cst.to_numpy(M).T @ cst.to_numpy(r))
    for bad in ([[1.0, 2.0]], "A", None, 3.0):
        with pytest.raises(TypeError, match="A must be"):
            as_operator(bad)
    for bad in (np.zeros(3), np.zeros((2, 2, 2))):
        with pytest.raises(ValueError, match="A must be 2-D"):
            as_operator(bad)
    with pytest.raises(ValueError, match="non-finite"):
        as_operator(np.array([[1.0, np.nan]]))


@given(m=sizes(1, 8), k=sizes(1, 8), n=sizes(2, 10), seed=seeds())
def test_composition_is_the_matrix_product_and_its_adjoint_reverses(m, k, n, seed):
    """(A B) x = A (B x) and (A B)ᵀ = Bᵀ Aᵀ, with a matrix-free factor and a plain array."""
    host = np.random.default_rng(seed).standard_normal((m, n - 1))
    for name in BACKENDS:
        xp = B.resolve_namespace(name)
        D = Difference(n, xp)                      # (n-1, n), matrix-free
        M = B.asarray(host, xp=xp)                 # (m, n-1), a plain array
        # M @ D goes through D.__rmatmul__ (NumPy defers to it; array_api_strict's @ refuses non-arrays)
        for P in (as_operator(M) @ D, M @ D) if name == "numpy" else (as_operator(M) @ D,):
            assert isinstance(P, ProductOperator) and P.shape == (m, n)
            dense = host @ dense_difference(n)
            assert_allclose(P.to_dense(), dense)
            assert_allclose(P.T.to_dense(), dense.T)
            x, r = B.normal(n, rng=seed, xp=xp), B.normal(m, rng=seed + 1, xp=xp)
            assert_adjoint(lambda v: P @ v, lambda w: P.T @ w, x, r)
        assert_allclose((D.T @ D).to_dense(), dense_difference(n).T @ dense_difference(n))


def test_composition_refuses_shapes_that_do_not_chain_and_mixed_backends():
    D = Difference(5, B.resolve_namespace("numpy"))
    with pytest.raises(ValueError, match="do not chain"):
        D @ D
    strict = pytest.importorskip("array_api_strict", reason="array_api_strict gives a second backend")
    S = as_operator(B.asarray(np.ones((5, 3)), xp=strict))
    with pytest.raises(TypeError, match="different backends: numpy and array_api_strict"):
        D @ S


def test_operator_refuses_an_array_of_another_backend():
    strict = pytest.importorskip("array_api_strict", reason="array_api_strict gives a second backend")
    A = as_operator(np.ones((2, 3)))
    with pytest.raises(TypeError, match="array_api_strict array but the operator works on numpy"):
        A @ B.asarray(np.ones(3), xp=strict)


# ---------------------------------------------------------------------------
# operator_norm and power_iteration
# ---------------------------------------------------------------------------
@given(m=sizes(1, 12), n=sizes(1, 12), seed=seeds())
def test_operator_norm_is_largest_singular_value(m, n, seed):
    host = np.random.default_rng(seed).standard_normal((m, n))
    s = np.linalg.svd(host, compute_uv=False)
    # give the top singular value a clear gap so 100 power steps converge: scale the top direction
    U, _, Vt = np.linalg.svd(host, full_matrices=False)
    s = np.sort(s)[::-1]
    s[0] = 1.5 * s[0] + 0.1
    host = (U * s) @ Vt
    for name in BACKENDS:
        A = B.asarray(host, xp=name)
        est = cst.operator_norm(A, rng=seed)
        assert est <= s[0] * (1 + 1e-12)  # a Rayleigh quotient never overshoots
        assert est == pytest.approx(s[0], rel=1e-8)


def test_operator_norm_of_a_linear_operator(xp):
    n = 12
    D = Difference(n, xp)
    s_max = np.linalg.svd(dense_difference(n), compute_uv=False)[0]
    # the top singular values 2 sin(pi k / 2n) of D cluster, so allow more iterations
    assert cst.operator_norm(D, iters=2000) == pytest.approx(s_max, rel=1e-6)
    assert cst.operator_norm(D.T, iters=2000) == pytest.approx(s_max, rel=1e-6)


def test_power_iteration_known_eigenvalues(xp):
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    lam = np.array([5.0, 2.0, 1.0, 0.5, 0.3, 0.1, 0.0, 0.0])
    M = B.asarray((Q * lam) @ Q.T, xp=xp)
    x0 = B.normal(8, rng=1, xp=xp)
    assert power_iteration(lambda v: M @ v, x0) == pytest.approx(5.0, rel=1e-9)
    assert power_iteration(lambda v: 0.0 * v, x0) == 0.0


def test_an_operator_declaring_plain_numpy_accepts_numpy_arrays():
    """Plain ``numpy`` and array-api-compat's NumPy are one backend (compared through _backend.same_backend)."""
    class Identity(cst.LinearOperator):
        def __init__(self, n):
            self.shape, self.xp, self.dtype = (n, n), np, np.float64

        def matvec(self, x):
            return x

        def rmatvec(self, r):
            return r

    x = np.arange(3.0)
    assert np.array_equal(Identity(3) @ x, x)
    assert np.array_equal((Identity(3) @ cst.as_operator(np.eye(3))) @ x, x)


# ---------------------------------------------------------------------------
# input contract and scale safety (issue 14)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("c", [1e-300, 1e-200, 1e200, 1e300])
def test_operator_norm_is_homogeneous_at_every_finite_scale(xp, c):
    """‖cA‖ = |c| ‖A‖: the iteration never squares ‖A‖, so 1e±300 gives a finite norm."""
    A = B.asarray(np.diag([3.0, 2.0, 1.0]) @ np.random.default_rng(0).standard_normal((3, 5)), xp=xp)
    ref = cst.operator_norm(A)
    assert ref == pytest.approx(np.linalg.norm(B.to_numpy(A), 2), rel=1e-8)
    got = cst.operator_norm(c * A)
    assert math.isfinite(got) and got == pytest.approx(c * ref, rel=1e-8)


@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_power_iteration_is_scale_safe(c):
    M = np.diag([4.0, 1.0, 0.5])
    lam = power_iteration(lambda v: (c * M) @ v, np.ones(3))
    assert lam == pytest.approx(4.0 * c, rel=1e-8)


def test_operator_norm_refuses_zero_iterations_and_is_zero_for_zero():
    with pytest.raises(ValueError, match="iters must be an integer >= 1"):
        cst.operator_norm(np.eye(3), iters=0)
    with pytest.raises(TypeError, match="iters must be an integer"):
        cst.operator_norm(np.eye(3), iters=2.0)
    assert cst.operator_norm(np.zeros((2, 3))) == 0.0
    with pytest.raises(ValueError, match="x0 must not be zero"):
        power_iteration(lambda v: v, np.zeros(3))


def test_operators_refuse_other_backends_and_dtypes_naming_the_operand():
    import array_api_strict as strict

    A = as_operator(np.ones((2, 3)))
    with pytest.raises(TypeError, match="x is a array_api_strict array but the operator works on numpy"):
        A @ strict.ones(3)
    with pytest.raises(TypeError, match="r is a array_api_strict array"):
        A.T @ strict.ones(2)
    with pytest.raises(TypeError, match=r"x must be a real floating array .* convert with x.astype\(float\)"):
        A @ np.ones(3, dtype=np.int64)
    with pytest.raises(TypeError, match="complex"):
        A @ np.ones(3, dtype=complex)
    with pytest.raises(ValueError, match=r"x must have shape \(3,\) or \(3, k\)"):
        A.matvec(np.ones(4))
    np.testing.assert_allclose(A @ np.ones(3), [3.0, 3.0])   # the O(1) path still accepts what it accepted


def test_int_arrays_cannot_slip_through_the_fast_path():
    """check_input caches the array type; the dtype is part of the O(1) test."""
    A = as_operator(np.ones((2, 3)))
    A @ np.ones(3)
    with pytest.raises(TypeError, match="x must be a real floating array"):
        A @ np.ones(3, dtype=bool)


def test_the_adjoint_is_made_once():
    A = as_operator(np.ones((2, 3)))
    assert A.T is A.T and A.T.T is A


def test_an_operator_without_a_shape_is_refused():
    class NoShape(cst.LinearOperator):
        def matvec(self, x):
            return x

    with pytest.raises(TypeError, match="A is a LinearOperator without a valid shape"):
        as_operator(NoShape())


def test_huge_sizes_are_refused_before_allocating():
    with pytest.raises(ValueError, match=r"gaussian_matrix\(m=1000000000, n=1000000000\).* needs 1.60e\+19 bytes"):
        cst.gaussian_matrix(10**9, 10**9)
    with pytest.raises(ValueError, match="n_or_shape"):
        cst.RandomSubsampledDCT(4, 10**15)
