"""Tests for cstheory.kernels: circulant matrices and FFT convolution, for arbitrary kernels."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstheory as cst
from cstheory import kernels
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


def test_gaussian_kernel(xp):
    u = cst.to_numpy(kernels.gaussian(16, 2.0, xp=xp))
    assert np.linalg.norm(u) == pytest.approx(1.0)
    np.testing.assert_allclose(u[1:], u[1:][::-1])  # symmetric about index 0
    assert np.argmax(u) == 0


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
