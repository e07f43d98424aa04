"""Tests of cstheory.upsampling, the deep decoder's fixed upsampling U_i (eq. 4).

* the interpolation matrix against an independently built dense matrix and against the half-pixel
  (``align_corners=False``) values of a small example;
* ``upsample`` / ``upsample_adjoint`` against the dense matrices (2-D = Kronecker product), and the
  channels-last ``Upsampling`` against the dense Kronecker product for hypothesis sizes, channels and
  batch axes on both of its paths and every backend, with its argument errors.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cstheory as cst
from cstheory import upsampling as us
from cstheory._backend import asarray, backend_name
from cstheory._backend import namespace as B_namespace
from cstheory.testing import assert_adjoint, assert_allclose


def host(rng, *shape):
    return np.random.default_rng(rng).standard_normal(shape)


def rel_err(a, b):
    a, b = cst.to_numpy(a), cst.to_numpy(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def dense_half_pixel(n_in, n_out):
    """Independent construction: loop over outputs, the PyTorch align_corners=False rule."""
    U = np.zeros((n_out, n_in))
    for j in range(n_out):
        src = max((j + 0.5) * n_in / n_out - 0.5, 0.0)
        left = min(int(math.floor(src)), n_in - 1)
        right = left + 1 if left < n_in - 1 else left
        w = src - left
        U[j, left] += 1.0 - w
        U[j, right] += w
    return U


@given(st.integers(1, 20), st.integers(1, 40))
def test_interpolation_matrix_matches_a_loop_built_dense_matrix(n_in, n_out):
    U = us.interpolation_matrix(n_in, n_out)
    assert U.shape == (n_out, n_in)
    np.testing.assert_allclose(U, dense_half_pixel(n_in, n_out), rtol=0, atol=1e-13)
    np.testing.assert_allclose(U.sum(axis=1), 1.0, atol=1e-14)   # constants are reproduced
    assert np.all(U >= 0)


def test_interpolation_matrix_small_examples_align_corners_false():
    # torch.nn.functional.interpolate([1, 2, 3, 4], size=8, mode="linear", align_corners=False)
    U = us.interpolation_matrix(4, 8)
    np.testing.assert_allclose(U @ np.array([1.0, 2, 3, 4]), [1.0, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.0])
    # 2 → 4: the half-pixel centres sit at -1/4, 1/4, 3/4, 5/4 of the input grid (clamped at the ends)
    np.testing.assert_allclose(us.interpolation_matrix(2, 4) @ np.array([1.0, 2.0]), [1.0, 1.25, 1.75, 2.0])
    # 2 → 3 (non-integer factor): src = (j + ½)·2/3 − ½ = −1/6 (clamped to 0), ½, 7/6 (past the last sample)
    np.testing.assert_allclose(us.interpolation_matrix(2, 3) @ np.array([0.0, 6.0]), [0.0, 3.0, 6.0])
    np.testing.assert_allclose(us.interpolation_matrix(5, 5), np.eye(5))


@pytest.mark.parametrize("shape_in, shape_out", [((5,), (9,)), ((3, 4), (7, 9)), ((4, 4), (4, 4))])
def test_upsample_equals_dense_matrix_and_its_adjoint(xp, shape_in, shape_out):
    mats_host = [us.interpolation_matrix(a, b) for a, b in zip(shape_in, shape_out)]
    mats = [asarray(M, xp=xp) for M in mats_host]
    dense = mats_host[0] if len(mats_host) == 1 else np.kron(mats_host[0], mats_host[1])
    x = host(1, 3, *shape_in)                     # 3 channels carried along
    got = us.upsample(asarray(x, xp=xp), mats)
    assert tuple(got.shape) == (3, *shape_out)
    want = (x.reshape(3, -1) @ dense.T).reshape(3, *shape_out)
    assert_allclose(got, want)
    g = asarray(host(2, 3, *shape_out), xp=xp)
    assert_adjoint(lambda v: us.upsample(v, mats), lambda r: us.upsample_adjoint(r, mats), asarray(x, xp=xp), g)
    assert_allclose(us.upsample_adjoint(g, mats),
                    (cst.to_numpy(g).reshape(3, -1) @ dense).reshape(3, *shape_in))


@settings(max_examples=40, deadline=None)
@given(n_in=st.tuples(st.integers(1, 40), st.integers(1, 40)), grow=st.tuples(st.integers(0, 50), st.integers(0, 50)),
       k=st.integers(1, 9), two_d=st.booleans(), batch=st.sampled_from([(), (2,), (2, 3)]),
       sparse=st.booleans(), seed=st.integers(0, 2**16))
def test_upsampling_is_the_kronecker_product_on_channels_last(n_in, grow, k, two_d, batch, sparse, seed):
    """U y and Uᵀ g of :class:`Upsampling` (sparse product, or the separable dense one) equal the dense
    (U_h ⊗ U_w) times y and its transpose times g, for arbitrary sizes (shrinking too), channel counts and
    leading batch axes — and equal :func:`upsample` of the channels-first transposes."""
    n_in = n_in if two_d else n_in[:1]
    n_out = tuple(max(1, a + b - 10) for a, b in zip(n_in, grow))          # some outputs smaller than inputs
    up = us.Upsampling(n_in, n_out, sparse=sparse)
    K = up.to_dense()
    assert K.shape == (math.prod(n_out), math.prod(n_in)) and up.sparse is sparse
    y, g = host(seed, *batch, K.shape[1], k), host(seed + 1, *batch, K.shape[0], k)
    got, back = up(y), up.adjoint(g)
    assert got.shape == (*batch, K.shape[0], k) and back.shape == (*batch, K.shape[1], k)
    assert rel_err(got, K @ y) < 1e-14
    assert rel_err(back, np.swapaxes(K, 0, 1) @ g) < 1e-14
    assert abs(np.sum(got * g) - np.sum(y * back)) <= 1e-12 * np.sqrt(np.sum(got**2) * np.sum(g**2))
    mats = [us.interpolation_matrix(a, b) for a, b in zip(n_in, n_out)]
    first = np.moveaxis(y, -1, -2).reshape(*batch, k, *n_in)                # channels first
    want = us.upsample(first, mats).reshape(*batch, k, -1)
    assert rel_err(np.moveaxis(got, -1, -2), want) < 1e-14


def test_upsampling_kronecker_order_is_height_then_width():
    """Row j·w_out + l of U reads the input pixels around (j, l) in row-major order: a transposed Kronecker
    product (U_w ⊗ U_h) would differ for a non-square grid."""
    up = us.Upsampling((2, 3), (4, 5))
    Uh, Uw = us.interpolation_matrix(2, 4), us.interpolation_matrix(3, 5)
    np.testing.assert_array_equal(up.to_dense(), np.kron(Uh, Uw))
    y = np.arange(6.0).reshape(6, 1)
    assert rel_err(up(y).reshape(4, 5), Uh @ y.reshape(2, 3) @ Uw.T) < 1e-15


@pytest.mark.parametrize("n_in, n_out", [((100,), (400,)), ((40, 30), (90, 80)), ((7, 9), (7, 9))])
def test_upsampling_on_every_backend(xp, n_in, n_out):
    """On each backend (sparse on NumPy, the separable dense products elsewhere) with 64 channels and a batch:
    U y and Uᵀ g equal the channels-first :func:`upsample` / :func:`upsample_adjoint` on the same backend;
    the result stays on the backend and in its dtype."""
    up = us.Upsampling(n_in, n_out, xp=xp)
    assert up.sparse == (backend_name(xp) == "numpy")
    mats = [asarray(us.interpolation_matrix(a, b), xp=xp) for a, b in zip(n_in, n_out)]
    y = asarray(host(3, 2, math.prod(n_in), 64), xp=xp)
    g = asarray(host(4, math.prod(n_out), 64), xp=xp)
    got, back = up(y), up.adjoint(g)
    assert B_namespace(got) is B_namespace(y) and got.dtype == y.dtype
    ns = B_namespace(y)
    first = ns.reshape(ns.permute_dims(y, (0, 2, 1)), (2, 64, *n_in))
    want = ns.permute_dims(ns.reshape(us.upsample(first, mats), (2, 64, -1)), (0, 2, 1))
    assert rel_err(got, want) < 1e-14
    want_back = ns.matrix_transpose(ns.reshape(us.upsample_adjoint(
        ns.reshape(ns.matrix_transpose(g), (64, *n_out)), mats), (64, -1)))
    assert rel_err(back, want_back) < 1e-14
    up32 = us.Upsampling(n_in, n_out, xp=xp, dtype="float32")
    assert up32(asarray(host(5, math.prod(n_in), 3), xp=xp, dtype="float32")).dtype == ns.float32


def test_upsampling_refuses_bad_arguments():
    with pytest.raises(ValueError, match="n_out"):
        us.Upsampling((4, 4), (8,))                          # one axis out for two in
    with pytest.raises(ValueError, match="n_in"):
        us.Upsampling((0,), (8,))
    with pytest.raises(ValueError, match="sparse=True needs the NumPy backend"):
        us.Upsampling((4,), (8,), xp="array_api_strict", sparse=True)
    with pytest.raises(TypeError, match="sparse"):
        us.Upsampling((4,), (8,), sparse="yes")
    up = us.Upsampling((3, 4), (5, 6))
    with pytest.raises(ValueError, match=r"y must have shape \(\.\.\., 12, channels\), got \(5, 12\)"):
        up(np.ones((5, 12)))                                 # channels first by mistake
    with pytest.raises(ValueError, match=r"g must have shape \(\.\.\., 30, channels\)"):
        up.adjoint(np.ones(30))
    assert repr(up) == "Upsampling(n_in=(3, 4), n_out=(5, 6), sparse=True, dtype=float64, backend=numpy)"
    strict = asarray(np.ones((12, 2)), xp="array_api_strict")
    with pytest.raises(TypeError, match=r"y must be an array of numpy \(this Upsampling's backend\), got array_api_strict"):
        up(strict)
    dense = us.Upsampling((3, 4), (5, 6), xp="array_api_strict")
    with pytest.raises(TypeError, match="g must be an array of array_api_strict .*got numpy.ndarray"):
        dense.adjoint(np.ones((30, 2)))
    with pytest.raises(ValueError, match=r"y must have shape \(\.\.\., 12, channels\)"):
        dense(asarray(np.ones((2, 12)), xp="array_api_strict"))
    with pytest.raises(TypeError, match="y must have this Upsampling's dtype float64, got float32"):
        up(np.ones((12, 2), dtype=np.float32))
    assert us.Upsampling((3,), (5,), sparse=np.True_).sparse is True
    with pytest.raises(ValueError, match=r"Upsampling\(n_in=\(100000000,\), n_out=\(400000000,\)\).*needs"):
        us.Upsampling((10**8,), (4 * 10**8,))                 # refused before the dense matrix is built
    with pytest.raises(TypeError, match="y must have this Upsampling's dtype float64, got complex128"):
        up(np.ones((12, 2), dtype=complex))


def test_upsampling_messages_name_the_argument_and_its_own_settings():
    """Each refusal starts with the argument's name and reports this Upsampling's own backend and dtype
    (a float32 one, not the float64 default); a non-array gets the Upsampling's message, not the
    namespace lookup's.  kills mutants: xǁUpsamplingǁ__init____mutmut_8, 19, 57, 63,
    xǁUpsamplingǁ__repr____mutmut_1, xǁUpsamplingǁ_check__mutmut_2, 22."""
    with pytest.raises(ValueError, match=r"^n_in must have 1 entries or 2 entries"):
        us.Upsampling((4, 4, 4), (8, 8, 8))
    with pytest.raises(ValueError, match=r"^n_out must have 2 entries, got \(8,\)"):
        us.Upsampling((4, 4), (8,))
    with pytest.raises(TypeError, match=r"^sparse must be"):
        us.Upsampling((4,), (8,), sparse="yes")
    with pytest.raises(ValueError, match=r"needs the NumPy backend \(SciPy sparse matrices\), got array_api_strict$"):
        us.Upsampling((4,), (8,), xp="array_api_strict", sparse=True)
    up32 = us.Upsampling((3, 4), (5, 6), dtype="float32")
    assert repr(up32) == "Upsampling(n_in=(3, 4), n_out=(5, 6), sparse=True, dtype=float32, backend=numpy)"
    with pytest.raises(TypeError, match="^y must have this Upsampling's dtype float32, got float64$"):
        up32(np.ones((12, 2)))
    with pytest.raises(TypeError, match=r"^y must be an array of numpy \(this Upsampling's backend\), got builtins.list"):
        up32([[1.0, 2.0]] * 12)


def test_upsampling_keeps_dtype_device_and_its_csr_arrays():
    """What the products hand on besides their values: a float32 Upsampling's U y and Uᵀ g are float32 on
    its sparse path (U and Uᵀ stored in its dtype), its ``csr`` arrays rebuild U exactly (the fused loops read
    U from them; ``None`` on the separable path), an array_api_strict Upsampling on a second device computes
    on that device, and ``upsample`` refuses matrices of another backend than its input, naming both.
    kills mutants: x_interpolation_matrix__mutmut_3, 6, 7, 10, 13, 14, x__rows_times__mutmut_2–5,
    xǁUpsamplingǁ__init____mutmut_24, 27, 86, 88, 89, 95, 99, 105."""
    with pytest.raises(ValueError, match="^n_in must be an integer >= 1, got 0"):
        us.interpolation_matrix(0, 3)
    with pytest.raises(ValueError, match="^n_out must be an integer >= 1, got 0"):
        us.interpolation_matrix(3, 0)
    up32 = us.Upsampling((3, 4), (5, 7), dtype="float32")
    y, g = np.ones((12, 2), np.float32), np.ones((35, 2), np.float32)
    assert up32(y).dtype == up32.adjoint(g).dtype == np.float32
    indptr, indices, data = up32.csr
    assert data.dtype == np.float32
    rebuilt = np.zeros((35, 12))
    for i in range(35):
        rebuilt[i, indices[indptr[i]:indptr[i + 1]]] = data[indptr[i]:indptr[i + 1]]
    np.testing.assert_array_equal(rebuilt, up32.to_dense().astype(np.float32))
    assert us.Upsampling((3, 4), (5, 7), sparse=False).csr is None
    xs = pytest.importorskip("array_api_strict")
    other = xs.Device("device1")
    up = us.Upsampling((3, 4), (5, 7), xp=xs, device=other)
    z = up(xs.asarray(np.ones((12, 2)), device=other))
    assert z.device == other and up.adjoint(z).device == other
    strict_mats = [asarray(us.interpolation_matrix(3, 5), xp=xs)]
    with pytest.raises(TypeError, match="different backends in one call: numpy and array_api_strict"):
        us.upsample(np.ones((2, 3)), strict_mats)
    with pytest.raises(TypeError, match="different backends in one call: numpy and array_api_strict"):
        us.upsample_adjoint(np.ones((2, 5)), strict_mats)
