"""Tests for cstheory.kernels: circulant matrices and FFT convolution, for arbitrary kernels."""
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstheory as cst
from cstheory import kernels
from cstheory._backend import namespace as namespace_of
from cstheory.testing import assert_allclose, kernels as kernel_strategy, on_backend, sizes


def _dense_circulant(u):
    n = len(u)
    return np.array([[u[(i - j) % n] for j in range(n)] for i in range(n)])


@given(data=st.data(), n=sizes(1, 20))
def test_circulant_matrix_matches_definition(xp, data, n):
    u = data.draw(kernel_strategy(n))
    U = cst.circulant_matrix(on_backend(u, xp))
    assert_allclose(U, _dense_circulant(u), rtol=0, atol=0)


@given(data=st.data(), n=sizes(1, 20), k=st.integers(1, 4))
def test_circular_convolve_equals_circulant_product(xp, data, n, k):
    """U @ x = u ⊛ x for arbitrary (asymmetric) kernels, vectors and batches along axis 0 and 1."""
    u = data.draw(kernel_strategy(n))
    X = np.random.default_rng(data.draw(st.integers(0, 1000))).standard_normal((n, k))
    U = _dense_circulant(u)
    ub, Xb = on_backend(u, xp), on_backend(X, xp)
    assert_allclose(cst.circular_convolve(ub, Xb, axis=0), U @ X)
    assert_allclose(cst.circular_convolve(ub, xp.permute_dims(Xb, (1, 0)), axis=1), (U @ X).T)
    assert_allclose(cst.circular_convolve(ub, Xb[:, 0]), U @ X[:, 0])
    assert_allclose(kernels.circular_correlate(ub, Xb, axis=0), U.T @ X)


@given(data=st.data(), n=sizes(1, 20))
def test_autocorrelation_and_spectral_norm(xp, data, n):
    u = data.draw(kernel_strategy(n))
    U = _dense_circulant(u)
    ub = on_backend(u, xp)
    assert_allclose(cst.circulant_matrix(kernels.autocorrelation(ub)), U @ U.T)
    assert kernels.spectral_norm(ub) == pytest.approx(np.linalg.norm(U, 2), rel=1e-10)


def test_triangular_kernel_shape_and_norm(xp):
    u = cst.to_numpy(kernels.triangular(11, 3, xp=xp))
    expected = np.array([3, 2, 1, 0, 0, 0, 0, 0, 0, 1, 2], dtype=float)
    np.testing.assert_allclose(u, expected / np.linalg.norm(expected))
    assert np.count_nonzero(u) == 2 * 3 - 1
    np.testing.assert_allclose(cst.to_numpy(kernels.triangular(5, 1, xp=xp)), [1, 0, 0, 0, 0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: kernels.triangular(5, 4), "support"),
        (lambda: kernels.triangular(0, 1), "n must be"),
        (lambda: kernels.triangular(5, 0), "half_width must be"),
        (lambda: kernels.gaussian(5, -1.0), "width"),
        (lambda: cst.circulant_matrix(np.ones((2, 2))), "u must be 1-D"),
        (lambda: cst.circular_convolve(np.zeros(4), np.ones(4)), "all zero"),
        (lambda: cst.circular_convolve(np.ones(4), np.ones(5)), "length n = 4"),
        (lambda: cst.circular_convolve(np.array([1.0, np.nan]), np.ones(2)), "non-finite"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_mixed_backends_rejected():
    import array_api_strict as xs
    with pytest.raises(TypeError, match="different backends"):
        cst.circular_convolve(np.ones(4), xs.ones(4, dtype=xs.float64))


# ---------------------------------------------------------------------------
# input contract and scale safety (issue 14)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("cu, cx", [(1e300, 1e-300), (1e-300, 1e300), (1e200, 1e-200), (1e-150, 1e-150)])
def test_convolution_is_bilinear_at_every_finite_scale(xp, cu, cx):
    """(cu u) ⊛ (cx x) = cu cx (u ⊛ x) without spurious overflow in the FFTs."""
    rng = np.random.default_rng(0)
    u, x = rng.standard_normal(9), rng.standard_normal((9, 2))
    ref = cst.to_numpy(cst.circular_convolve(on_backend(u, xp), on_backend(x, xp)))
    got = cst.to_numpy(cst.circular_convolve(on_backend(cu * u, xp), on_backend(cx * x, xp)))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, cu * cx * ref, rtol=1e-12, atol=cu * cx * 1e-14)
    got_t = cst.to_numpy(kernels.circular_correlate(on_backend(cu * u, xp), on_backend(cx * x, xp)))
    ref_t = cst.to_numpy(kernels.circular_correlate(on_backend(u, xp), on_backend(x, xp)))
    np.testing.assert_allclose(got_t, cu * cx * ref_t, rtol=1e-12, atol=cu * cx * 1e-14)


@pytest.mark.parametrize("c", [1e-300, 1e-150, 1e150, 1e200, 1e300])
def test_autocorrelation_and_norm_scale(xp, c):
    u = on_backend(np.random.default_rng(1).standard_normal(8), xp)
    a = cst.to_numpy(kernels.autocorrelation(u))
    ac = cst.to_numpy(kernels.autocorrelation(c * u))
    assert not np.any(np.isnan(ac))
    with np.errstate(over="ignore", under="ignore"):
        want = c * c * a
    ok = np.isfinite(want) & (np.abs(want) > 1e-290)
    np.testing.assert_allclose(ac[ok], want[ok], rtol=1e-12)
    assert kernels.spectral_norm(c * u) == pytest.approx(c * kernels.spectral_norm(u), rel=1e-13)


@pytest.mark.parametrize("axis, ndim", [(1, 1), (2, 2), (-2, 1), (-3, 2), (5, 2)])
def test_axes_that_would_wrap_are_refused(axis, ndim):
    x = np.ones((4,) * ndim)
    with pytest.raises(ValueError, match="axis must lie in"):
        cst.circular_convolve(np.ones(4), x, axis=axis)


def test_the_circulant_of_a_long_kernel_is_refused_with_its_size():
    with pytest.raises(ValueError, match=r"circulant_matrix\(u of length 1048576\).* needs 17592186044416 bytes"):
        cst.circulant_matrix(np.ones(2**20))


# ---------------------------------------------------------------------------
# every kernel against its formula, entry by entry (odd and even n, several widths)
# ---------------------------------------------------------------------------
def _circ_dist(n, d):
    return min(d, n - d)


@pytest.mark.parametrize("n", [1, 2, 7, 8, 15, 16])
@pytest.mark.parametrize("width", [0.4, 1.0, 2.5, 7.0])
def test_gaussian_kernel_entry_by_entry(xp, n, width):
    """u[d] = exp(−dist(d)²/(2 width²)) / ‖·‖ with dist(d) = min(d, n − d), written out here.

    kills mutants: −1.5 for −0.5, (d/w)·2 for (d/w)², d·w for d/w, exponent 3 for 2."""
    raw = [math.exp(-_circ_dist(n, d) ** 2 / (2.0 * width**2)) for d in range(n)]
    norm = math.sqrt(sum(r * r for r in raw))
    u = kernels.gaussian(n, width, xp=xp)
    assert namespace_of(u) is xp and u.dtype == xp.float64
    # exp amplifies the rounding of its argument x by |x| (≤ 800 here): measured max rel. error 2.9e-14
    np.testing.assert_allclose(cst.to_numpy(u), [r / norm for r in raw], rtol=1e-12, atol=0)


@pytest.mark.parametrize("n", [1, 2, 5, 6, 9, 12])
def test_triangular_kernel_entry_by_entry_for_every_admissible_p(xp, n):
    """u[d] = max(p − dist(d), 0)/‖·‖ for every p with 2p − 1 ≤ n, including the largest one."""
    for p in range(1, (n + 1) // 2 + 1):
        raw = [max(p - _circ_dist(n, d), 0) for d in range(n)]
        norm = math.sqrt(sum(r * r for r in raw))
        u = kernels.triangular(n, p, xp=xp)
        assert namespace_of(u) is xp and u.dtype == xp.float64
        np.testing.assert_allclose(cst.to_numpy(u), [r / norm for r in raw], rtol=1e-14, atol=0)
        assert np.count_nonzero(cst.to_numpy(u)) == 2 * p - 1


@pytest.mark.parametrize("n, p", [(5, 4), (6, 4), (2, 2), (9, 6)])
def test_triangular_support_too_wide_is_refused_with_the_numbers(n, p):
    """2p − 1 > n is refused, 2p − 1 = n is not (the boundary above); the message gives both numbers.

    kills mutants: 2p+1, 3p−1, 2p−2, ≥ in the test, and every altered number in the message."""
    msg = (f"the support 2*half_width-1 = {2 * p - 1} must not exceed n = {n}; "
           f"choose half_width <= {(n + 1) // 2}")
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        kernels.triangular(n, p)


@pytest.mark.parametrize("make", [kernels.triangular, kernels.gaussian], ids=["triangular", "gaussian"])
def test_kernels_keep_the_asked_namespace_dtype_and_device(make):
    """float32 and a non-default array_api_strict device are kept (kills xp=/dtype=/device= dropped)."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    u = make(8, 2, xp=xs, dtype="float32", device=dev)
    assert namespace_of(u) is xs and u.dtype == xs.float32 and u.device == dev
    ref = cst.to_numpy(make(8, 2))
    np.testing.assert_allclose(cst.to_numpy(xs.asarray(u, device=xs.Device("CPU_DEVICE"))), ref, rtol=1e-7)


def test_circulant_products_stay_on_the_kernels_device():
    """Every function of the module works on a non-default array_api_strict device and keeps it
    (index arrays built on the host must be moved to u's device; no NumPy function may touch u).

    kills mutants: device=None / getattr(None, ...) in circulant_matrix and autocorrelation,
    namespace(None) in check_kernel, circular_correlate and spectral_norm."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    rng = np.random.default_rng(0)
    u_h, x_h = rng.standard_normal(7), rng.standard_normal((7, 3))
    u, x = xs.asarray(u_h, device=dev), xs.asarray(x_h, device=dev)
    U = _dense_circulant(u_h)
    cpu = xs.Device("CPU_DEVICE")

    def host(a):
        assert a.device == dev
        return cst.to_numpy(xs.asarray(a, device=cpu))

    np.testing.assert_array_equal(host(cst.circulant_matrix(u)), U)
    np.testing.assert_allclose(host(cst.circular_convolve(u, x)), U @ x_h, rtol=1e-12)
    np.testing.assert_allclose(host(kernels.circular_correlate(u, x)), U.T @ x_h, rtol=1e-12)
    np.testing.assert_allclose(host(cst.circulant_matrix(kernels.autocorrelation(u))), U @ U.T, rtol=1e-12)
    assert kernels.spectral_norm(u) == pytest.approx(np.linalg.norm(U, 2), rel=1e-12)
    with pytest.raises(ValueError, match="^u must not be all zero$"):
        kernels.check_kernel(xs.zeros(4, dtype=xs.float64, device=dev))


@given(data=st.data(), n=sizes(1, 20), k=st.integers(1, 4))
def test_default_axis_is_zero_for_batches(xp, data, n, k):
    """x of shape (n, k) is convolved column by column when no axis is given (kills default axis=1)."""
    u = data.draw(kernel_strategy(n))
    X = np.random.default_rng(data.draw(st.integers(0, 1000))).standard_normal((n, k + n))
    U = _dense_circulant(u)
    ub, Xb = on_backend(u, xp), on_backend(X, xp)
    assert_allclose(cst.circular_convolve(ub, Xb), U @ X)
    assert_allclose(kernels.circular_correlate(ub, Xb), U.T @ X)


@given(data=st.data(), n=sizes(1, 30))
def test_autocorrelation_is_exactly_symmetric(xp, data, n):
    """a[d] = a[n − d] bit for bit (the rounding of the inverse FFT is symmetrised away), and
    a[d] = Σ_l u[(l + d) mod n] u[l] written out (kills the mirror index (+d) mod n)."""
    u = data.draw(kernel_strategy(n))
    a = cst.to_numpy(kernels.autocorrelation(on_backend(u, xp)))
    np.testing.assert_array_equal(a, a[(-np.arange(n)) % n])
    want = [sum(u[(l + d) % n] * u[l] for l in range(n)) for d in range(n)]
    np.testing.assert_allclose(a, want, rtol=0, atol=1e-12 * max(1.0, float(u @ u)))


@pytest.mark.parametrize("call, exc, message", [
    (lambda: cst.circular_convolve(np.ones(4), [1.0, 2.0, 3.0, 4.0]), TypeError, "x must be an array, got list; convert with numpy.asarray(x)"),
    (lambda: cst.circular_convolve(np.ones(4), np.asarray(1.0)), ValueError, "x must have at least one dimension, got a 0-d array"),
    (lambda: cst.circular_convolve(np.ones((2, 2)), np.ones(2)), ValueError, "u must be 1-D, got shape (2, 2)"),
    (lambda: kernels.check_kernel(np.ones((2, 2))), ValueError, "u must be 1-D, got shape (2, 2)"),
    (lambda: kernels.check_kernel(np.ones(0)), ValueError, "u must not be empty, got shape (0,)"),
    (lambda: kernels.check_kernel(np.zeros(3), name="w"), ValueError, "w must not be all zero"),
    (lambda: kernels.gaussian(0, 1.0), ValueError, "n must be an integer >= 1, got 0"),
    (lambda: kernels.gaussian(4, 0.0), ValueError, "width must be > 0, got 0"),
])
def test_bad_input_messages_name_the_argument(call, exc, message):
    """The whole message, anchored: names the argument and what was expected (kills renamed arguments)."""
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call()


# ---------------------------------------------------------------------------
# mutation testing of kernels.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
def test_convolving_zero_gives_zero_not_nan(xp):
    """x = 0 is a valid signal: u ⊛ 0 = Uᵀ 0 = 0 (the scale of an all-zero x is 1, not 0).

    kills mutants: x__scale__mutmut_19."""
    u = on_backend(np.array([1.0, 2.0, 0.5]), xp)
    z = on_backend(np.zeros((3, 2)), xp)
    np.testing.assert_array_equal(cst.to_numpy(cst.circular_convolve(u, z)), 0.0)
    np.testing.assert_array_equal(cst.to_numpy(kernels.circular_correlate(u, z)), 0.0)


def test_subnormal_kernel_is_scaled_up_before_the_fft(xp):
    """u = 2^-1070 u0 (subnormal, a few bits each) and x = 2^1000 x0 with small integers: u ⊛ x =
    2^-70 (U0 x0) exactly, and the scaled FFT route gets it to 1e-14.  FFTs of the subnormals themselves
    round every product to the subnormal grid (errors of about 1e-2 here).

    kills mutants: x__scale__mutmut_20."""
    u0 = np.array([3.0, 1, 0, 2, 0, 0, 5])
    x0 = np.array([1.0, -2, 0, 4, 1, 3, -1])
    U0 = _dense_circulant(u0)
    u, x = on_backend(u0 * 2.0**-1070, xp), on_backend(x0 * 2.0**1000, xp)
    np.testing.assert_allclose(cst.to_numpy(cst.circular_convolve(u, x)), (U0 @ x0) * 2.0**-70,
                               rtol=1e-14, atol=1e-14 * 2.0**-70 * np.abs(U0 @ x0).max())
    np.testing.assert_allclose(cst.to_numpy(kernels.circular_correlate(u, x)), (U0.T @ x0) * 2.0**-70,
                               rtol=1e-14, atol=1e-14 * 2.0**-70 * np.abs(U0.T @ x0).max())


def test_triangular_has_one_name_for_the_half_width():
    """The retired keyword ``p=`` is gone (CHANGELOG.md): it is a TypeError, as is a missing half-width."""
    np.testing.assert_allclose(kernels.triangular(7, half_width=2) * 6**0.5, [2, 1, 0, 0, 0, 0, 1], rtol=1e-15)
    with pytest.raises(TypeError, match="p"):
        kernels.triangular(7, p=2)
    with pytest.raises(TypeError, match="half_width"):
        kernels.triangular(7)


@pytest.mark.parametrize("make, args", [(kernels.triangular, (8, 2)), (kernels.gaussian, (8, 2.0))],
                         ids=["triangular", "gaussian"])
def test_kernel_memory_estimate_is_four_vectors_of_n(monkeypatch, make, args):
    """4·8·n bytes for a kernel of length n: 256 bytes for n = 8 are allowed, 255 refused, naming the call.

    kills mutants: x_triangular__mutmut_40, 43, 45, x_gaussian__mutmut_23, 26, 28."""
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "256")
    assert make(*args).shape == (8,)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "255")
    with pytest.raises(ValueError, match=rf"^{make.__name__}\(n=8\): the kernel needs 256 bytes \(256 bytes\), "
                                         r"more than the limit of 255 bytes"):
        make(*args)
