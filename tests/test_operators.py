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
    assert cst.operator_norm(D, steps=2000) == pytest.approx(s_max, rel=1e-6)
    assert cst.operator_norm(D.T, steps=2000) == pytest.approx(s_max, rel=1e-6)


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
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        cst.operator_norm(np.eye(3), steps=0)
    with pytest.raises(TypeError, match="steps must be an integer"):
        cst.operator_norm(np.eye(3), steps=2.0)
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


# ---------------------------------------------------------------------------
# the contract in detail (mutation testing, tests/MUTATION.md)
# ---------------------------------------------------------------------------
class Counting(cst.LinearOperator):
    """A diagonal map that counts its applications and records the dtype and device of its inputs."""

    def __init__(self, d, xp=None, dtype=None, device=None):
        xp = xp or B.resolve_namespace("numpy")
        self.d = B.asarray(np.asarray(d, dtype=float), xp=xp, dtype=dtype, device=device)
        self.shape = (len(d), len(d))
        self.xp, self.dtype, self.device = xp, self.d.dtype, self.d.device
        self.calls, self.seen = 0, set()

    def matvec(self, x):
        self.calls += 1
        self.seen.add((str(x.dtype), str(x.device)))
        return self.d * x

    rmatvec = matvec


def test_operators_has_no_module_getattr():
    """No module ``__getattr__`` forwards moved names to mri (the import loop it made is gone)."""
    import cstheory.operators as ops
    assert "__getattr__" not in vars(ops)
    with pytest.raises(AttributeError):
        ops.SubsampledFourier


class _Shaped(cst.LinearOperator):
    def __init__(self, shape):
        self.shape = shape

    def matvec(self, x):
        return x


def test_as_operator_checks_the_shape_of_an_operator():
    """An operator's shape is a pair of ints ≥ 1 (1 included; 0, floats and bools refused); anything without a
    shape is refused naming its type.

    kills mutants: x_as_operator__mutmut_11, 18, 19, 21, 22, 24, 35."""
    for ok in ((1, 3), (3, 1), (1, 1)):
        assert as_operator(_Shaped(ok)).shape == ok
    for bad in ((0, 3), (3, 0), (2.5, 3), (True, 3), (2,), (2, 3, 1)):
        with pytest.raises(TypeError, match=r"^A is a LinearOperator without a valid shape"):
            as_operator(_Shaped(bad))
    with pytest.raises(TypeError, match=r"^A must be a 2-D array or a cstheory\.LinearOperator, got object$"):
        as_operator(object())
    with pytest.raises(TypeError, match=r"^the left factor must be a 2-D array"):
        [[1.0]] @ as_operator(np.eye(1))


def test_seeds_default_to_zero():
    """rng=0 by default: gaussian_matrix, operator_norm's start, RandomSubsampledDCT's draw.

    kills mutants: x_gaussian_matrix__mutmut_1, x_operator_norm__mutmut_1, 6, xǁRandomSubsampledDCTǁ__init____mutmut_1."""
    np.testing.assert_array_equal(cst.gaussian_matrix(3, 4), cst.gaussian_matrix(3, 4, rng=0))
    A = cst.gaussian_matrix(8, 16, rng=1)
    assert cst.operator_norm(A) == cst.operator_norm(A, rng=0) != cst.operator_norm(A, rng=5)
    assert cst.operator_norm(A, rng=5) == cst.operator_norm(A, rng=5)
    np.testing.assert_array_equal(cst.RandomSubsampledDCT(4, 12).to_dense(),
                                  cst.RandomSubsampledDCT(4, 12, rng=0).to_dense())


def test_creation_follows_dtype_and_device():
    """gaussian_matrix, Identity and RandomSubsampledDCT (its signs, rows, products and dense matrix) live on the
    requested device in the requested dtype; so do the adjoint's dense matrix and a product's attributes.

    kills mutants: x_gaussian_matrix__mutmut_21, 24, 37, 43; xǁIdentityǁ__init____mutmut_9 … 15;
    xǁRandomSubsampledDCTǁ__init____mutmut_26, 27, 29, 30, 74, 75, 78, 79, 84, 88, 93, 97;
    xǁRandomSubsampledDCTǁrmatvec__mutmut_20, 21, 23, 24; xǁLinearOperatorǁto_dense__mutmut_10, 14, 18, 19, 22, 23;
    xǁAdjointOperatorǁto_dense__mutmut_2."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    G = cst.gaussian_matrix(3, 4, rng=2, xp=xs, dtype="float32", device=dev)
    assert G.device == dev and G.dtype == xs.float32
    I = cst.operators.Identity(3, xp=xs, dtype="float32", device=dev)
    assert (I.xp, I.dtype, I.device, I.shape) == (xs, xs.float32, dev, (3, 3))
    for device in (None, dev):
        A = cst.RandomSubsampledDCT(5, (3, 4), rng=1, xp=xs, dtype="float32", device=device)
        want = device or xs.Device("CPU_DEVICE")
        assert (A.dtype, A.device) == (xs.float32, device)
        assert A.signs.dtype == xs.float32 and A.signs.device == want and A.rows.device == want
        x = xs.asarray(np.arange(12.0), dtype=xs.float32, device=device)
        r = xs.asarray(np.arange(5.0), dtype=xs.float32, device=device)
        for out in (A @ x, A.T @ r, A.to_dense(), A.T.to_dense()):
            assert out.dtype == xs.float32 and out.device == want


def test_to_dense_applies_the_operator_to_unit_vectors_of_its_dtype():
    """Column j of to_dense() is A @ e_j with e_j in the operator's dtype (bit for bit).

    kills mutants: xǁLinearOperatorǁto_dense__mutmut_9, 13."""
    A = cst.RandomSubsampledDCT(5, 12, rng=1, dtype="float32")
    D = A.to_dense()
    for j in range(12):
        e = np.zeros(12, dtype=np.float32)
        e[j] = 1.0
        np.testing.assert_array_equal(D[:, j], A @ e)


def test_operator_norm_applies_A_to_vectors_of_its_dtype_and_device():
    """kills mutants: x_operator_norm__mutmut_17, 18, 21, 22, 26."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    A = Counting([3.0, 1.0, 0.5], xp=xs, dtype=xs.float32, device=dev)
    assert cst.operator_norm(A) == pytest.approx(3.0, rel=1e-6)
    assert A.seen == {(str(xs.float32), str(dev))}


def test_operator_norm_and_power_iteration_never_overshoot_and_stop_early():
    """Every estimate is a Rayleigh quotient, ≤ the top singular value / eigenvalue (also after one iteration);
    iteration stops at a relative change below the tolerance, at any scale; the defaults are 100 iterations.

    kills mutants: x_operator_norm__mutmut_2, 28, 59, 61; x_power_iteration__mutmut_1, 46, 48, 63, 69, 70, 71."""
    rng = np.random.default_rng(3)
    M = rng.standard_normal((6, 9))
    s1 = np.linalg.norm(M, 2)
    for k in (1, 2, 5):
        assert cst.operator_norm(M, steps=k) <= s1 * (1 + 1e-12)
    x0 = rng.standard_normal(9)
    S = M.T @ M
    rq = float(x0 @ S @ x0 / (x0 @ x0))                  # one step: the Rayleigh quotient of x0
    assert power_iteration(lambda v: S @ v, x0, steps=1) == pytest.approx(rq, rel=1e-12)
    # a map whose first Rayleigh quotient is exactly 1 but whose top eigenvalue is 3
    assert power_iteration(lambda v: np.array([0.5, 3.0]) * v, np.array([2.0, 1.0])) == pytest.approx(3.0)
    # slow convergence (ratio 0.999): the default is exactly 100 iterations
    d = np.array([1.0, 0.999, 0.5])
    assert cst.operator_norm(np.diag(d)) == cst.operator_norm(np.diag(d), steps=100)
    assert power_iteration(lambda v: d * v, np.ones(3)) == power_iteration(lambda v: d * v, np.ones(3), steps=100)
    # fast convergence stops early, at any scale, with a relative accuracy
    for c in (1e-6, 1.0, 1e6):
        A = Counting(c * np.array([2.0, 1.0, 0.5]))
        assert cst.operator_norm(A) == pytest.approx(2.0 * c, rel=1e-9)
        assert A.calls < 2 * 60
        A.calls = 0
        assert power_iteration(A.matvec, np.ones(3)) == pytest.approx(2.0 * c, rel=1e-9)
        assert A.calls < 60
    I = Counting(np.ones(4))
    assert power_iteration(I.matvec, np.ones(4), rtol=0.0) == 1.0 and I.calls == 2


def test_operator_norm_of_a_projector_is_one():
    """P = diag(1, 1, 0, 0): ‖P x‖ < 1 at the start, ‖P‖ = 1 (the stop at ‖Pᵀ P x‖/‖P x‖ = 1 must not fire early).

    kills mutant: x_operator_norm__mutmut_55."""
    P = np.diag([1.0, 1.0, 0.0, 0.0])
    assert cst.operator_norm(P) == pytest.approx(1.0, rel=1e-12)


def test_power_iteration_checks_its_arguments_by_name():
    """kills mutants: x_power_iteration__mutmut_5, 6, 8, 9, 12, 13, 14, 18, 21, 22, 25, 26, 29, 30, 31, 34, 43."""
    import array_api_strict as xs
    f = lambda v: v  # noqa: E731
    with pytest.raises(TypeError, match=r"^apply must be a callable x -> A x, got int$"):
        power_iteration(3, np.ones(2))
    with pytest.raises(TypeError, match=r"^x0 must be an array"):
        power_iteration(f, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^x0 must be 1-D"):
        power_iteration(f, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"^steps must be an integer >= 1"):
        power_iteration(f, np.ones(2), steps=0)
    with pytest.raises(ValueError, match=r"^rtol must be >= 0"):
        power_iteration(f, np.ones(2), rtol=-1.0)
    with pytest.raises(ValueError, match=r"^x0 must not be zero"):
        power_iteration(f, np.zeros(2))
    dev = xs.Device("device1")
    x0 = xs.asarray([1.0, 1.0], device=dev)
    d = xs.asarray([2.0, 1.0], device=dev)
    assert power_iteration(lambda v: d * v, x0) == pytest.approx(2.0)


def test_adjoint_rmatvec_is_the_operator_itself():
    """(Aᵀ)ᵀ x computed as Aᵀ.rmatvec(x) is A x.

    kills mutant: xǁAdjointOperatorǁrmatvec__mutmut_1."""
    M = np.arange(6.0).reshape(2, 3)
    A = as_operator(M)
    np.testing.assert_array_equal(A.T.rmatvec(np.ones(3)), M @ np.ones(3))


def test_identity_operator(xp):
    """I x = x and Iᵀ r = r, for vectors and (n, k) blocks; wrong lengths are refused naming x or r.

    kills mutants: xǁIdentityǁ__init____mutmut_1 … 8, xǁIdentityǁmatvec__mutmut_1 … 15,
    xǁIdentityǁrmatvec__mutmut_1 … 20."""
    I = cst.operators.Identity(4, xp=xp)
    assert I.shape == (4, 4) and (I.xp, I.dtype) == (xp, xp.float64)
    x = B.normal(4, rng=0, xp=xp)
    X = B.normal((4, 2), rng=1, xp=xp)
    assert_allclose(I @ x, x, rtol=0, atol=0)
    assert_allclose(I.T @ x, x, rtol=0, atol=0)
    assert_allclose(I @ X, X, rtol=0, atol=0)
    assert_allclose(I.rmatvec(X), X, rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"^x must have shape \(4,\) or \(4, k\) \(columns of A\), got \(3,\)$"):
        I.matvec(B.normal(3, rng=0, xp=xp))
    with pytest.raises(ValueError, match=r"^r must have shape \(4,\) or \(4, k\) \(rows of A\), got \(5,\)$"):
        I.rmatvec(B.normal(5, rng=0, xp=xp))
    with pytest.raises(TypeError, match=r"^x must be an array"):
        I.matvec([1.0] * 4)
    with pytest.raises(TypeError, match=r"^r must be an array"):
        I.rmatvec([1.0] * 4)
    with pytest.raises(ValueError, match=r"^n must be an integer >= 1"):
        cst.operators.Identity(0)
    R = cst.operators.Identity(2) @ as_operator(np.ones((2, 3)))
    assert R.shape == (2, 3)


def test_matrix_operator_messages_and_blocks():
    """A @ X for an (n, k) block; the messages name x or r and the columns or rows of A; the default name is M.

    kills mutants: xǁMatrixOperatorǁ__init____mutmut_1, 2; xǁMatrixOperatorǁmatvec__mutmut_4, 13, 14, 15;
    xǁMatrixOperatorǁrmatvec__mutmut_3, 4, 10, 12 … 20; xǁLinearOperatorǁ_check_length__mutmut_4;
    xǁLinearOperatorǁcheck_input__mutmut_1, 2, 5."""
    M = np.arange(6.0).reshape(2, 3)
    A = as_operator(M)
    X = np.ones((3, 4))
    np.testing.assert_array_equal(A @ X, M @ X)
    np.testing.assert_array_equal(A.T @ np.ones((2, 4)), M.T @ np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"^x must have shape \(3,\) or \(3, k\) \(columns of A\), got \(4,\)$"):
        A.matvec(np.ones(4))
    with pytest.raises(ValueError, match=r"^r must have shape \(2,\) or \(2, k\) \(rows of A\), got \(3,\)$"):
        A.rmatvec(np.ones(3))
    with pytest.raises(TypeError, match=r"^x must be an array"):
        A.matvec([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"^x must be an array"):
        A @ [1.0, 2.0, 3.0]
    with pytest.raises(TypeError, match=r"^r must be an array"):
        A.rmatvec([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^M must be 2-D"):
        MatrixOperator(np.ones(3))


def test_operators_apply_to_nan_without_scanning_for_it():
    """The input contract: operators do not scan their input for NaN/inf (it propagates).

    kills mutants: xǁLinearOperatorǁcheck_input__mutmut_9, 12, 13."""
    A = as_operator(np.eye(2))
    assert np.isnan(A @ np.array([np.nan, 1.0])).all()
    assert np.isnan(A.T @ np.array([1.0, np.nan])).all()
    assert np.isinf(cst.RandomSubsampledDCT(2, 2, rng=0) @ np.array([np.inf, 1.0])).any()


def test_repr_names_class_shape_dtype_backend():
    """kills mutants: xǁLinearOperatorǁ__repr____mutmut_1 … 5."""
    assert repr(as_operator(np.ones((2, 3)))) == "MatrixOperator(shape=(2, 3), dtype=float64, backend=numpy)"
    assert repr(cst.RandomSubsampledDCT(2, 4, dtype="float32", xp="array_api_strict")) == \
        "RandomSubsampledDCT(shape=(2, 4), dtype=float32, backend=array_api_strict)"


def test_a_product_takes_backend_dtype_and_device_from_whichever_factor_has_them():
    """kills mutants: xǁProductOperatorǁ__init____mutmut_22 … 32."""
    import array_api_strict as xs
    dev = xs.Device("device1")

    class Bare(cst.LinearOperator):
        shape = (3, 3)

        def matvec(self, x):
            return x

        rmatvec = matvec

    M = as_operator(xs.asarray(np.eye(3), dtype=xs.float32, device=dev))
    for P in (Bare() @ M, M @ Bare()):
        assert (P.xp, P.dtype, P.device) == (M.xp, xs.float32, dev)


def test_random_subsampled_dct_draws_n_signs_and_m_distinct_rows():
    """s ∈ {±1}ⁿ with both signs (n = 64), m distinct rows (m = n: A is √1·D diag(s), orthogonal);
    a 3-D shape and bad m are refused by name.

    kills mutants: xǁRandomSubsampledDCTǁ__init____mutmut_9, 17, 20, 21, 42, 44, 46, 53;
    xǁRandomSubsampledDCTǁrmatvec__mutmut_5, 7, 8, 9."""
    A = cst.RandomSubsampledDCT(16, 64, rng=0)
    s = cst.to_numpy(A.signs)
    assert s.shape == (64,) and set(s.tolist()) == {-1.0, 1.0}
    full = cst.RandomSubsampledDCT(20, 20, rng=3)
    np.testing.assert_array_equal(np.sort(cst.to_numpy(full.rows)), np.arange(20))
    D = cst.to_numpy(full.to_dense())
    np.testing.assert_allclose(D @ D.T, np.eye(20), atol=1e-12)
    with pytest.raises(ValueError, match=r"^n_or_shape must"):
        cst.RandomSubsampledDCT(2, (2, 2, 2))
    with pytest.raises(ValueError, match=r"^m must be an integer >= 1"):
        cst.RandomSubsampledDCT(0, 10)
    with pytest.raises(TypeError, match=r"^r must be an array"):
        A.rmatvec([1.0] * 16)
