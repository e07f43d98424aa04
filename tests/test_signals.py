"""Tests of cstheory/signals.py: the trigonometric basis of eq. (10), frequency order, smooth signals."""
import math
import re

import numpy as np
import pytest
from hypothesis import given

import cstheory as cst
from cstheory import _backend as B
from cstheory.testing import assert_allclose, seeds, sizes

BACKENDS = B.available_backends()


def eq10_entry(n, i, j):
    """[w_i]_j of eq. (10), written out independently of the library (0-based i and j)."""
    if i == 0:
        value = 1.0
    elif 2 * i < n:  # i = 1, ..., n/2 - 1 (for odd n: up to (n-1)/2)
        value = math.sqrt(2.0) * math.cos(2.0 * math.pi * j * i / n)
    elif 2 * i == n:  # i = n/2, only for even n
        value = (-1.0) ** j
    else:  # i = n/2 + 1, ..., n - 1
        value = math.sqrt(2.0) * math.sin(2.0 * math.pi * j * i / n)
    return value / math.sqrt(n)


# ---------------------------------------------------------------------------
# trig_basis, eq. (10)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 11, 12])
def test_trig_basis_matches_eq10_entry_by_entry(n, xp):
    W = cst.trig_basis(n, xp=xp)
    assert B.namespace(W) is xp
    assert tuple(W.shape) == (n, n) and W.dtype == xp.float64
    expected = np.zeros((n, n))
    for j in range(n):
        for i in range(n):
            expected[j, i] = eq10_entry(n, i, j)
    assert_allclose(W, expected, rtol=1e-13)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 31, 64])
def test_trig_basis_orthonormal_odd_and_even(n, xp):
    W = cst.trig_basis(n, xp=xp)
    assert_allclose(W.T @ W, np.eye(n), rtol=1e-12)
    assert_allclose(W @ W.T, np.eye(n), rtol=1e-12)


@given(n=sizes(1, 80))
def test_trig_basis_orthonormal_hypothesis(n):
    W = cst.to_numpy(cst.trig_basis(n))
    np.testing.assert_allclose(W.T @ W, np.eye(n), atol=1e-12)


def test_trig_basis_exact_for_large_n():
    """Angles are reduced mod n, so w_1 of a large n is still exactly orthonormal to w_{n-1}."""
    n = 1000
    W = cst.to_numpy(cst.trig_basis(n))
    np.testing.assert_allclose(W.T @ W, np.eye(n), atol=1e-12)


def test_trig_basis_float32(xp):
    W = cst.trig_basis(6, xp=xp, dtype="float32")
    assert W.dtype == xp.float32
    assert_allclose(W.T @ W, np.eye(6))


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("8", TypeError)])
def test_trig_basis_bad_n(bad, exc):
    with pytest.raises(exc, match="n must be"):
        cst.trig_basis(bad)


# ---------------------------------------------------------------------------
# frequency and frequency_order
# ---------------------------------------------------------------------------
@given(n=sizes(1, 60))
def test_frequency_order_is_a_permutation_with_nondecreasing_frequency(n):
    order = cst.frequency_order(n)
    f = cst.frequency(n)
    assert sorted(order.tolist()) == list(range(n))
    assert np.all(np.diff(f[order]) >= 0)
    assert order[0] == 0
    # frequency f_i = min(i, n - i): the number of sign changes of the cosine/sine over a period
    assert f.tolist() == [min(i, n - i) for i in range(n)]
    # each frequency f in 1..(n-1)/2 appears twice (cosine then sine), the Nyquist once for even n
    for k in range(1, (n - 1) // 2 + 1):
        assert [i for i in order if f[i] == k] == [k, n - k]


def test_frequency_order_small():
    assert cst.frequency_order(6).tolist() == [0, 1, 5, 2, 4, 3]
    assert cst.frequency_order(5).tolist() == [0, 1, 4, 2, 3]


def test_frequency_matches_basis_oscillation():
    """Column i of trig_basis has frequency f_i: its DFT lives at ±f_i only."""
    n = 12
    W = cst.to_numpy(cst.trig_basis(n))
    f = cst.frequency(n)
    for i in range(n):
        spectrum = np.abs(np.fft.fft(W[:, i]))
        support = set(np.flatnonzero(spectrum > 1e-9).tolist())
        assert support == {f[i] % n, (n - f[i]) % n}


# ---------------------------------------------------------------------------
# smooth_signal
# ---------------------------------------------------------------------------
@given(n=sizes(1, 40), seed=seeds(), data=sizes(1, 40))
def test_smooth_signal_unit_norm_and_in_low_frequency_span(n, seed, data):
    p = 1 + (data - 1) % n
    x = cst.to_numpy(cst.smooth_signal(n, p, rng=seed))
    assert x.shape == (n,)
    np.testing.assert_allclose(np.linalg.norm(x), 1.0, rtol=1e-12)
    W = cst.to_numpy(cst.trig_basis(n))
    Wp = W[:, cst.frequency_order(n)[:p]]
    residual = x - Wp @ (Wp.T @ x)
    assert np.linalg.norm(residual) <= 1e-12
    if p < n:
        # and it is generically *not* in the span of the first p - 1
        Wq = W[:, cst.frequency_order(n)[: p - 1]]
        assert np.linalg.norm(x - Wq @ (Wq.T @ x)) > 1e-8


@given(seed=seeds())
def test_smooth_signal_same_seed_same_signal_on_every_backend(seed):
    ref = cst.to_numpy(cst.smooth_signal(17, 5, rng=seed))
    for name in BACKENDS:
        x = cst.smooth_signal(17, 5, rng=seed, xp=name)
        assert B.namespace(x) is B.resolve_namespace(name)
        np.testing.assert_array_equal(cst.to_numpy(x), ref)
    other = cst.to_numpy(cst.smooth_signal(17, 5, rng=seed + 1))
    assert not np.array_equal(other, ref)


def test_smooth_signal_p1_is_constant(xp):
    x = cst.smooth_signal(9, 1, rng=3, xp=xp)
    assert_allclose(xp.abs(x), np.full(9, 1.0 / 3.0))


def test_smooth_signal_float32(xp):
    x = cst.smooth_signal(8, 3, rng=1, xp=xp, dtype="float32")
    assert x.dtype == xp.float32
    assert_allclose(x, cst.to_numpy(cst.smooth_signal(8, 3, rng=1)), rtol=1e-6)


@pytest.mark.parametrize(
    "n, p, exc, match",
    [(0, 1, ValueError, "n must be"), (4.0, 1, TypeError, "n must be"), (8, 0, ValueError, "p must be"),
     (8, 9, ValueError, "p must be <= n"), (8, 2.5, TypeError, "p must be")],
)
def test_smooth_signal_bad_n_p(n, p, exc, match):
    with pytest.raises(exc, match=match):
        cst.smooth_signal(n, p)


# ---------------------------------------------------------------------------
# load_image (bundled, offline)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["camera", "shepp_logan"])
def test_load_image_range_and_shape(name, xp):
    img = cst.load_image(name, size=16, xp=xp)
    assert tuple(img.shape) == (16, 16)
    h = cst.to_numpy(img)
    assert h.min() == 0.0 and h.max() == 1.0


def test_load_image_bad_name():
    with pytest.raises(ValueError, match="name must be one of"):
        cst.load_image("lena")


# ---------------------------------------------------------------------------
# input contract (issue 14)
# ---------------------------------------------------------------------------
@given(n=sizes(1, 40), p=sizes(1, 40), seed=seeds())
def test_smooth_signal_builds_only_the_columns_it_needs(n, p, seed):
    """The p columns are those of the full basis: x = W[:, frequency_order[:p]] c / ‖·‖ with the same c."""
    p = min(p, n)
    W = B.to_numpy(cst.trig_basis(n))
    coeffs = np.random.default_rng(seed).standard_normal(p)
    x = W[:, cst.frequency_order(n)[:p]] @ coeffs
    assert_allclose(cst.smooth_signal(n, p, rng=seed), x / np.linalg.norm(x), rtol=1e-13)


def test_absurd_sizes_are_refused_with_the_memory_they_need():
    with pytest.raises(ValueError, match=r"trig_basis\(n=1000000\).* needs 40000000000000 bytes"):
        cst.trig_basis(10**6)
    with pytest.raises(ValueError, match=r"smooth_signal\(n=10\*\*30|smooth_signal\(n=1000000000000000000000000000000"):
        cst.smooth_signal(10**30, 2)
    assert cst.smooth_signal(10**5, 3).shape == (10**5,)     # p columns only: 2.4 MB, not 80 GB


@pytest.mark.parametrize("size, exc", [((8,), ValueError), ((8, 8, 8), ValueError), ("8", TypeError),
                                       (8.0, TypeError), ((8, 0), ValueError), (True, TypeError)])
def test_load_image_refuses_bad_sizes(size, exc):
    with pytest.raises(exc, match="size"):
        cst.load_image("camera", size=size)


@pytest.mark.parametrize("dtype", ["int64", np.int32, np.float16, np.complex128, "bool"])
def test_creation_functions_refuse_non_real_dtypes(dtype):
    for make in (lambda: cst.trig_basis(4, dtype=dtype), lambda: cst.smooth_signal(4, 2, dtype=dtype),
                 lambda: cst.gaussian_matrix(2, 3, dtype=dtype), lambda: cst.kernels.triangular(4, 2, dtype=dtype)):
        with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
            make()
# load_image against its definition; defaults, devices, messages
# ---------------------------------------------------------------------------
def _load_by_hand(img, shape):
    """Gray, centred square crop, anti-aliased resize, min-max scaling to [0, 1] (the load_image docstring)."""
    import skimage.transform
    from skimage.color import rgb2gray
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 3:
        img = rgb2gray(img[..., :3])
    h, w = img.shape
    s = min(h, w)
    img = img[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    img = skimage.transform.resize(img, shape, anti_aliasing=True)
    return (img - img.min()) / (img.max() - img.min())


@pytest.mark.parametrize("name, size", [("coins", 303), ("coins", 20), ("astronaut", (16, 24)), ("grass", 12)])
def test_load_image_is_its_definition(name, size):
    """coins (303 × 384) at its own height keeps the centred 303 × 303 square (columns 40 … 342) unchanged
    up to the [0, 1] scaling; astronaut (RGB) becomes gray; sizes may be (h, w); downsampling is
    anti-aliased (grass: fine texture).  kills mutants: crop offsets, RGB test, tuple sizes, anti_aliasing=False."""
    import skimage.data
    raw = getattr(skimage.data, name)()
    shape = (size, size) if isinstance(size, int) else size
    got = cst.to_numpy(cst.load_image(name, size=size))
    assert got.shape == shape
    np.testing.assert_allclose(got, _load_by_hand(raw, shape), rtol=0, atol=1e-12)
    if name == "coins" and size == 303:
        crop = raw[:, 40:343].astype(float)
        np.testing.assert_allclose(got, (crop - crop.min()) / (crop.max() - crop.min()), atol=1e-12)


def test_load_image_defaults_and_backend():
    """Default size 64; float32 on a non-default array_api_strict device is honoured.
    kills mutants: default size 65, xp/dtype/device dropped in load_image."""
    import array_api_strict as xs
    assert cst.to_numpy(cst.load_image("moon")).shape == (64, 64)
    dev = xs.Device("device1")
    img = cst.load_image("moon", size=8, xp=xs, dtype="float32", device=dev)
    assert B.namespace(img) is xs and img.dtype == xs.float32 and img.device == dev


def test_creation_functions_keep_the_device():
    """trig_basis and smooth_signal honour device= (kills device dropped); smooth_signal's default rng is 0."""
    import array_api_strict as xs
    dev = xs.Device("device1")
    assert cst.trig_basis(5, xp=xs, device=dev).device == dev
    assert cst.smooth_signal(7, 3, xp=xs, device=dev).device == dev
    np.testing.assert_array_equal(cst.to_numpy(cst.smooth_signal(7, 3)), cst.to_numpy(cst.smooth_signal(7, 3, rng=0)))


@pytest.mark.parametrize("call, exc, message", [
    (lambda: cst.frequency(0), ValueError, "n must be an integer >= 1, got 0"),
    (lambda: cst.frequency_order(2.0), TypeError, "n must be an integer, got float 2.0"),
    (lambda: cst.load_image("camera", size=0), ValueError, "size must be an integer >= 1, got 0"),
    (lambda: cst.load_image("camera", size=(8, 0)), ValueError, "size must be an integer >= 1, got 0"),
])
def test_bad_input_messages(call, exc, message):
    """The whole message, anchored (kills renamed arguments)."""
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call()


# ---------------------------------------------------------------------------
# mutation testing of signals.py on the current tree (tests/MUTATION.md)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call, need, message", [
    (lambda: cst.trig_basis(4), 5 * 8 * 4 * 4, r"trig_basis\(n=4\): the \(4, 4\) trigonometric basis"),
    (lambda: cst.smooth_signal(8, 3), 5 * 8 * 8 * 3, r"smooth_signal\(n=8, p=3\): the \(8, 3\) trigonometric basis"),
    (lambda: cst.frequency(8), 4 * 8 * 8, r"frequency\(n=8\): the frequencies"),
    (lambda: cst.load_image("camera", (2, 3)), 8 * 8 * 2 * 3, r"load_image\(size=\(2, 3\)\): the resized image"),
], ids=["trig_basis", "smooth_signal", "frequency", "load_image"])
def test_memory_estimates_exactly_and_the_shape_they_name(monkeypatch, call, need, message):
    """Five n×n (or n×p) float64 arrays for the basis, four vectors for the frequencies, eight images for
    load_image: exactly that many bytes are allowed, one fewer refused; the message names the call and
    the shape of the basis, (n, n) for trig_basis and (n, p) for smooth_signal.

    kills mutants: x__check_size__mutmut_11, 12, 13, x_frequency__mutmut_9, 12, 14,
    x_load_image__mutmut_37, 40, 42."""
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", str(need))
    call()
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", str(need - 1))
    with pytest.raises(ValueError, match=rf"^{message} needs {need} bytes \({need} bytes\), more than the limit "
                                         rf"of {need - 1} bytes \(the physical memory, or CSTHEORY_MAX_BYTES\)"):
        call()
