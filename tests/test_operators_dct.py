"""Tests of cstheory.operators.RandomSubsampledDCT: adjoint, normalisation, explicit matrix, errors."""
import math

import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings

import cstheory as cst
from cstheory._backend import asarray
from cstheory.testing import assert_adjoint, assert_allclose, seeds


@pytest.mark.parametrize("shape, m", [(37, 20), ((8, 12), 24), ((5, 5), 25)])
def test_adjoint(xp, shape, m):
    A = cst.RandomSubsampledDCT(m, shape, rng=3, xp=xp)
    n = A.shape[1]
    rng = np.random.default_rng(0)
    x = asarray(rng.standard_normal(n), xp=xp)
    r = asarray(rng.standard_normal(m), xp=xp)
    assert_adjoint(A.matvec, A.rmatvec, x, r)
    assert_adjoint(lambda v: A @ v, lambda w: A.T @ w, x, r)
    assert tuple((A @ x).shape) == (m,) and tuple((A.T @ r).shape) == (n,)


@pytest.mark.parametrize("shape", [30, (6, 7)])
def test_matches_the_explicit_matrix(xp, shape):
    """A = √(n/m) S D diag(s), built here from scipy's orthonormal DCT matrix."""
    m = 11
    A = cst.RandomSubsampledDCT(m, shape, rng=5, xp=xp)
    dims = (shape,) if isinstance(shape, int) else shape
    n = math.prod(dims)
    D = scipy.fft.dctn(np.eye(n).reshape(n, *dims), type=2, norm="ortho", axes=tuple(range(1, len(dims) + 1)))
    D = D.reshape(n, n).T                                 # column j = DCT of e_j
    signs = cst.to_numpy(A.signs)
    rows = cst.to_numpy(A.rows)
    assert set(np.unique(signs)) <= {-1.0, 1.0} and len(set(rows.tolist())) == m
    dense = math.sqrt(n / m) * D[rows] * signs[None, :]
    assert_allclose(A.to_dense(), dense)
    # rows of an orthonormal matrix: A Aᵀ = (n/m) I
    np.testing.assert_allclose(dense @ dense.T, (n / m) * np.eye(m), atol=1e-12)


@settings(max_examples=5)
@given(seeds())
def test_norm_is_preserved_in_expectation(seed):
    """E‖Ax‖² = ‖x‖² over the draw of A (averaged over 400 operators, tolerance 5 standard errors)."""
    n, m = 64, 16
    x = np.random.default_rng(seed).standard_normal(n)
    vals = np.array([np.sum(cst.to_numpy(cst.RandomSubsampledDCT(m, n, rng=seed + i) @ x) ** 2)
                     for i in range(400)]) / np.sum(x**2)
    assert abs(vals.mean() - 1.0) <= 5 * vals.std() / math.sqrt(vals.size) + 1e-12


def test_same_seed_same_operator_on_every_backend(xp):
    a = cst.RandomSubsampledDCT(10, (4, 6), rng=7, xp=xp)
    b = cst.RandomSubsampledDCT(10, (4, 6), rng=7)
    assert_allclose(a.to_dense(), b.to_dense())
    img = asarray(np.arange(24.0).reshape(4, 6), xp=xp)
    assert_allclose(a @ img, a @ xp.reshape(img, (-1,)))   # flat or shaped input


def test_operator_norm_is_sqrt_n_over_m():
    A = cst.RandomSubsampledDCT(16, 64, rng=0)
    assert abs(cst.operator_norm(A) - 2.0) < 1e-8


@pytest.mark.parametrize("args, exc, word", [
    ((0, 10), ValueError, "m"),
    ((11, 10), ValueError, "m"),
    ((2, (2, 2, 2)), ValueError, "n_or_shape"),
    ((2, 0), ValueError, "n_or_shape"),
    ((2.5, 10), TypeError, "m"),
])
def test_bad_arguments(args, exc, word):
    with pytest.raises(exc, match=word):
        cst.RandomSubsampledDCT(*args)


def test_bad_vector_shapes():
    A = cst.RandomSubsampledDCT(5, (3, 4))
    with pytest.raises(ValueError, match="x"):
        A @ np.ones(11)
    with pytest.raises(ValueError, match="r"):
        A.T @ np.ones(6)
