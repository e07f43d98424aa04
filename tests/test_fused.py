"""The fused loops of ``cstheory._fused`` against the NumPy formulas they replace (hypothesis sizes,
channels and dtypes), NaN propagation as in NumPy, and the choice between the fused and the array-API
passes (``usable``, ``DeepDecoder(fused=…)``) with its errors."""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstheory as cst
from cstheory import _fused
from cstheory import deep_decoder as dd
from cstheory._backend import resolve_namespace
from cstheory.upsampling import Upsampling

needs_numba = pytest.mark.skipif(not _fused.available(), reason="Numba does not import here")
TOL = {"float64": 1e-13, "float32": 2e-6}


@st.composite
def upsamplings(draw):
    """An Upsampling of arbitrary 1-D or 2-D sizes (up, down or equal per axis), a dtype, k channels, a seed."""
    ndim = draw(st.integers(1, 2))
    n_in = tuple(draw(st.integers(1, 9)) for _ in range(ndim))
    n_out = tuple(draw(st.integers(1, 13)) for _ in range(ndim))
    dtype = draw(st.sampled_from(["float64", "float32"]))
    return Upsampling(n_in, n_out, dtype=dtype), dtype, draw(st.integers(1, 9)), draw(st.integers(0, 2**16))


def rel(a, b):
    """max |a − b| / max |b|, a (real or complex) taken in double precision."""
    a = np.asarray(a)
    return float(np.max(np.abs(a.astype(np.result_type(a, np.float64)) - b)) / max(np.max(np.abs(b)), 1e-30))


@needs_numba
@given(upsamplings())
def test_upsample_relu_moments_is_the_numpy_formula(case):
    """A = ReLU(U y), with A > 0 exactly where U y > 0 (the mask the backward pass takes from A: the loop
    forms U y in SciPy's order), and the channels' mean and Σ (A − mean)² (float64)."""
    up, dtype, k, seed = case
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((up.size_in, k)).astype(dtype)
    y[::2] = 0.0
    y[:, 0] = 0.0                                      # exact zeros of U y: the kink, where the mask is 0
    if k > 1:
        y[:, 1] = 3.0 + rng.standard_normal(up.size_in) * 1e-3     # positive, its mean ≫ its spread
    Z = up(y)
    A_want = np.maximum(Z, 0).astype(np.float64)
    A, mean, sq = _fused.upsample_relu_moments(up.csr, y)
    assert A.dtype == np.dtype(dtype) and mean.dtype == sq.dtype == np.float64
    np.testing.assert_array_equal(A > 0, Z > 0)
    assert rel(A, A_want) < TOL[dtype]
    A64 = A.astype(np.float64)                          # the moments of the A returned, to float64 accuracy
    assert rel(mean, A64.mean(axis=0)) < 1e-14
    want = ((A64 - A64.mean(axis=0))**2).sum(axis=0)
    np.testing.assert_allclose(sq, want, rtol=1e-12, atol=1e-14 * (A64**2).sum(axis=0).max())   # rounding of 0


@needs_numba
@pytest.mark.parametrize("block", [_fused.MOMENT_BLOCK, 7])
def test_the_moments_are_exact_to_a_few_roundings(block):
    """The mean and Σ (A − mean)² of 4096 rows against exactly rounded sums (math.fsum), to 1e-14: the first
    row twelve times the mean, as a corner of an upsampled image can be — summed about that one row in one
    running sum, the mean was off by 1e-12 and a deep decoder's Adam iterates drifted from PyTorch's past
    1e-12 (blocks of any length, a last block shorter than the others)."""
    rng = np.random.default_rng(1)
    up = Upsampling((32, 32), (64, 64))
    y = rng.standard_normal((up.size_in, 8))
    y[0] = 12.0                                              # the corner row: far above the mean
    A = np.empty((up.size_out, 8))
    mean, sq = _fused._upsample_relu(*up.csr, y, np.empty(0), A, 1.0, 0.0, block)
    exact_mean = np.array([math.fsum(a) / len(a) for a in A.T])
    exact_sq = np.array([math.fsum((a - m)**2) for a, m in zip(A.T, exact_mean)])   # (a − m)² rounded once each
    assert rel(mean, exact_mean) < 1e-14 and np.max(np.abs(sq - exact_sq) / exact_sq) < 1e-13


def exact_moments(A):
    """The mean and Σ (a − mean)² of each column of A in exact rational arithmetic, rounded once at the end."""
    out = []
    for a in A.T:
        q = [Fraction(float(x)) for x in a]
        m = sum(q) / len(q)
        out.append((float(m), float(sum((x - m)**2 for x in q))))
    return np.array(out).T


@needs_numba
@pytest.mark.parametrize("ratio", [1e4, 1e8])
def test_the_moments_of_a_nearly_constant_channel_keep_its_variance(ratio):
    """Σ (A − mean)² of a channel whose mean is 10⁴ or 10⁸ times its spread, against exact rational sums, to
    1e-13: each block is summed about its first row and the merged mean kept as an offset from the first
    block's, so nothing is lost to cancellation (Σ A² − s mean² would lose it entirely at 10⁸, and a merged
    mean rounded at each merge lost 2e-9 of it)."""
    up = Upsampling((9, 9), (17, 17))
    y = 1e4 + np.random.default_rng(0).standard_normal((81, 2)) * (1e4 / ratio)
    A, mean, sq = _fused.upsample_relu_moments(up.csr, y)
    want_mean, want_sq = exact_moments(A)
    assert np.all(want_sq > 0) and rel(sq, want_sq) < 1e-13 and rel(mean, want_mean) < 1e-15


@needs_numba
def test_the_moments_of_huge_activations_do_not_overflow_to_a_zero_variance():
    """Rows of 3e152 after a zero: the block's (Σ (A − K))² would overflow where Σ (A − K)² does not; the
    variance comes back right (it came back 0, a silent error, when the square was formed first)."""
    up = Upsampling((64,), (64,))
    y = np.full((64, 1), 3e152)
    y[0] = 0.0
    A, mean, sq = _fused.upsample_relu_moments(up.csr, y)
    want_mean, want_sq = exact_moments(A)
    assert np.isfinite(sq).all() and rel(sq, want_sq) < 1e-13 and rel(mean, want_mean) < 1e-15


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_constant_channel_is_centred_exactly(dtype):
    """A one-pixel decoder has only constant channels (variance 0, α = γ/√ε): the plain passes centre them
    to exactly 0, and the fused passes, which fold the mean into the bias, drop the channel from W instead
    of cancelling α ∘ A against α ∘ mean (1.6e-3 in float32 before)."""
    kw = dict(channels=16, layers=3, output="conv", rng=1, dtype=dtype)
    fused, plain = dd.DeepDecoder((1, 1), fused=True, **kw), dd.DeepDecoder((1, 1), fused=False, **kw)
    for seed in range(3):
        theta = (np.asarray(fused.init(rng=seed)) + 0.3 * np.random.default_rng(seed).standard_normal(
            fused.num_params)).astype(dtype)
        assert rel(fused(theta), plain(theta).astype(np.float64)) < TOL[dtype]


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_constant_channel_over_many_pixels_passes_its_gradient_on(dtype):
    """A channel constant over 120 pixels and positive (layer 1's channels 0–2 read only layer 0's channel 0,
    which is constant: its weights are zero, so its normalised value is its shift β = 1) has variance 0, and
    the forward pass drops it from the next product (W); its cotangent is still α (g_B − mean g_B) ≠ 0, so
    the backward step must use Wa = Cᵀ diag α with every column, as the plain passes do: value and VJP of
    the fused decoder equal the plain one's."""
    kw = dict(output_shape=(12, 10), channels=8, layers=3, output="conv", rng=1, dtype=dtype)
    fused, plain = dd.DeepDecoder(**kw, fused=True), dd.DeepDecoder(**kw, fused=False)
    for seed in range(3):
        theta = np.asarray(fused.init(rng=seed)).astype(dtype)
        Cts, _, shifts = fused._pieces(theta)          # views of θ
        Cts[0][0] = 0                                   # layer 0's channel 0: constant 0, normalised to β = 1
        shifts[0][:] = 1.0
        Cts[1][:3] = 0
        Cts[1][:3, 0] = 1.0                             # layer 1's channels 0–2: that channel alone, 1 > 0
        _, (_, _, cache) = fused._forward(theta)
        A = cache[1][1]
        assert np.all(A[:, :3] == A[0, :3]) and np.all(A[0, :3] > 0) and np.all(cache[1][2][:3] == np.sqrt(
            np.asarray(fused.eps, dtype)))
        r = np.random.default_rng(seed).standard_normal(fused.output_shape).astype(dtype)
        assert rel(fused(theta), plain(theta).astype(np.float64)) < 10 * TOL[dtype]
        assert rel(fused.vjp(theta, r), plain.vjp(theta, r).astype(np.float64)) < 10 * TOL[dtype]


@needs_numba
@given(st.integers(1, 41), st.integers(1, 3), st.sampled_from(["float64", "float32"]), st.integers(0, 2**16))
def test_column_sums_are_float64_sums_of_every_row(s, kn, dtype, seed):
    """1ᵀ g summed in float64, any number of rows (one column: four running sums over every fourth row, then
    the s mod 4 rows left), within the rounding of s float64 additions of the exact sum."""
    rng = np.random.default_rng(seed)
    g = (rng.standard_normal((s, kn)) * 10.0 ** rng.uniform(-3, 3, kn) + rng.uniform(-5, 5, kn)).astype(dtype)
    got = _fused._column_sums(g)
    g64 = g.astype(np.float64)
    exact = np.array([math.fsum(col) for col in g64.T])
    assert got.dtype == np.float64 and got.shape == (kn,)
    assert np.all(np.abs(got - exact) <= s * 2.0**-52 * np.abs(g64).sum(axis=0))


@needs_numba
@given(upsamplings(), st.booleans(), st.integers(1, 3))
def test_layer_forward_is_the_upsampling_pass_then_the_fold(case, with_bias, k_next):
    """One call: y + bias in place in y (NumPy's y += bias, the same bits), then the upsampling pass (A and the
    moments, the same bits) and the fold of the normalisation (sd, α, W, Wa, the next bias: as :func:`fold`);
    y that cannot take the bias in place is refused."""
    up, dtype, k, seed = case
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((up.size_in, k)).astype(dtype)
    bias = rng.standard_normal(k).astype(dtype) if with_bias else None
    scale, shift = (rng.standard_normal(k).astype(dtype) for _ in range(2))
    Ct = rng.standard_normal((k_next, k)).astype(dtype)
    y_b = y + bias if with_bias else y.copy()
    A, mean, sq = _fused.upsample_relu_moments(up.csr, y_b)
    want = (A, mean, *_fused.fold(mean, sq, up.size_out, 1e-5, scale, Ct, shift))
    y_in = y.copy()
    got = _fused.layer_forward(up.csr, y_in, bias, 1e-5, scale, Ct, shift)
    np.testing.assert_array_equal(y_in, y_b)
    assert len(got) == 7
    for g_, w_ in zip(got[:6], want[:6]):
        assert g_.dtype == w_.dtype
        np.testing.assert_array_equal(g_, w_)
    assert rel(got[6], want[6]) < TOL[dtype]              # the next bias: a channel sum in any order
    if with_bias and k > 1:
        with pytest.raises(ValueError, match="y must be C-contiguous and writable"):
            _fused.layer_forward(up.csr, np.asfortranarray(np.tile(y, (1, 2)))[:, ::2], bias, 1e-5, scale, Ct, shift)


@needs_numba
@given(upsamplings(), st.integers(1, 4), st.booleans())
def test_layer_backward_is_the_gradient_step_then_the_adjoint_pass(case, k_next, sum_given):
    """One call: gᵀ A and g Wa, then :func:`layer_grads` (∂Cᵀ, ∂β, ∂γ, a, b; 1ᵀ g summed here or given) and
    :func:`backward_adjoint` with those a, b (the cotangent of the layer below), the same bits as the two
    called in turn; ∂Cᵀ, ∂β, ∂γ written into ``out`` where given (views of one buffer, as the decoder's ∂θ)."""
    up, dtype, k, seed = case
    rng = np.random.default_rng(seed)
    A = np.maximum(rng.standard_normal((up.size_out, k)), 0).astype(dtype)
    mean = A.astype(np.float64).mean(axis=0)
    alpha, shift, Ct, g = (rng.standard_normal(sh).astype(dtype) for sh in (k, k, (k_next, k), (up.size_out, k_next)))
    sd = rng.uniform(0.5, 2, k).astype(dtype)
    Wa = Ct * alpha
    gsum = g.astype(np.float64).sum(axis=0) * 1.5 if sum_given else None      # used as given, not redone
    *grads, a, b = _fused.layer_grads(g, g.T @ A, mean, alpha, shift, Ct, sd, gsum)
    want = (_fused.backward_adjoint(up.csr, up.size_in, g, Wa, A, a, b), *grads)
    buf = np.full(k_next * k + 2 * k + 3, np.nan, dtype)
    out = buf[:k_next * k].reshape(k_next, k), buf[k_next * k + 1:k_next * k + 1 + k], buf[-k - 1:-1]
    for o in (None, out):
        got = _fused.layer_backward(up.csr, up.size_in, g, A, Wa, mean, alpha, shift, Ct, sd, gsum, o)
        for g_, w_ in zip(got, want):
            assert g_.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(g_, w_)
    assert all(x is y for x, y in zip(got[1:], out))
    assert np.isnan(buf[[k_next * k, -1]]).all()          # nothing written outside the views


@needs_numba
@given(upsamplings(), st.booleans())
def test_backward_adjoint_is_the_numpy_formula(case, one_row):
    """Uᵀ[mask ∘ (g W − a ∘ c − b)] with a general W and with a W of one row (the outer product g wᵀ)."""
    up, dtype, k, seed = case
    rng = np.random.default_rng(seed)
    k_next = 1 if one_row else rng.integers(2, 6)
    g, W = rng.standard_normal((up.size_out, k_next)), rng.standard_normal((k_next, k))
    A, a, b = np.maximum(rng.standard_normal((up.size_out, k)), 0), rng.standard_normal(k), rng.standard_normal(k)
    A[rng.random(A.shape) < 0.2] = -0.0                # ReLU of a negative: not active either
    want = up.to_dense().T @ ((A > 0) * (g @ W - a * A - b))
    cast = [x.astype(dtype) for x in (g, W, A, a, b)]
    got = _fused.backward_adjoint(up.csr, up.size_in, *cast)
    assert got.dtype == np.dtype(dtype) and got.shape == (up.size_in, k)
    assert rel(got, want) < 10 * TOL[dtype]


@needs_numba
@given(upsamplings())
def test_the_adjoint_loops_write_every_row_of_their_output(case):
    """The adjoint loops zero each row of ``out`` when a tap first reaches it and the rows no tap reaches at
    the end: an ``out`` full of NaN (what an uninitialised array may hold) comes back as Uᵀ t, every row
    (sizes up and down, so taps skip rows and leave some unreached)."""
    up, dtype, k, seed = case
    rng = np.random.default_rng(seed)
    indptr, indices, data = up.csr
    A = np.maximum(rng.standard_normal((up.size_out, k)), 0).astype(dtype)
    g, a, b = (rng.standard_normal(sh).astype(dtype) for sh in ((up.size_out, 1), k, k))
    W = rng.standard_normal((1, k)).astype(dtype)
    want = up.to_dense().T @ ((A > 0) * (g @ W - a * A - b))
    one, zero = np.dtype(dtype).type(1), np.dtype(dtype).type(0)
    for outer in (False, True):
        out = np.full((up.size_in, k), np.nan, dtype)
        if outer:
            _fused._backward_adjoint_outer(indptr, indices, data, g[:, 0].copy(), W[0].copy(), A, a, b, out, one, zero)
        else:
            _fused._backward_adjoint(indptr, indices, data, g @ W, A, a, b, out, one, zero)
        assert not np.isnan(out).any() and rel(out, want) < 10 * TOL[dtype]


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fixed_output_and_its_cotangent_are_the_numpy_formulas(dtype):
    """x = ReLU(Z + β) v with mask 1{Z + β > 0}, and 1{Z + β > 0} ∘ (r vᵀ); a zero of Z + β is not active."""
    rng = np.random.default_rng(4)
    Z, bias, v, r = (rng.standard_normal(s).astype(dtype) for s in ((37, 6), 6, 6, 37))
    Z[3, 2] = -bias[2]                                   # exactly at the kink
    Z0 = Z.copy()
    x, mask = _fused.relu_output(Z, bias, v)
    np.testing.assert_array_equal(mask, (Z0 + bias) > 0)
    np.testing.assert_array_equal(Z, Z0)                                # read, not written
    assert not mask[3, 2]
    assert x.dtype == np.dtype(dtype) and x.shape == (37,)
    assert rel(x, np.maximum(Z0.astype(np.float64) + bias, 0) @ v) < TOL[dtype]
    g, gsum = _fused.output_cotangent(mask, r, v)
    assert gsum.dtype == np.float64 and rel(gsum, g.astype(np.float64).sum(axis=0)) < 1e-14   # 1ᵀ g, in float64
    np.testing.assert_array_equal(g, (mask * r[:, None]) * v)          # the same products, the same bits


@needs_numba
def test_a_nan_propagates_as_in_numpy():
    """ReLU as a 0/1 factor: a NaN entry stays NaN (NaN · 0), so it spreads through the channel's mean as
    NumPy's passes spread it, and a diverging fit is caught rather than hidden by the ReLU."""
    up = Upsampling((3, 3), (5, 5))
    y = np.random.default_rng(0).standard_normal((9, 4))
    y[4, 1] = np.nan
    A, mean, sq = _fused.upsample_relu_moments(up.csr, y)
    assert np.isnan(A[:, 1]).any() and np.isnan(mean[1]) and np.isnan(sq[1])      # the next layer's bias
    assert not np.isnan(np.delete(A, 1, axis=1)).any() and not np.isnan(np.delete(sq, 1)).any()
    G = np.zeros((25, 4))
    G[7, 2] = np.nan
    out = _fused.backward_adjoint(up.csr, 9, G, np.eye(4), np.zeros((25, 4)), np.zeros(4), np.zeros(4))
    assert np.isnan(out[:, 2]).any()                                  # NaN · 0 is NaN: masked, still there
    for k in (4, 67):                                                 # k = 67: the vector lanes and the rest
        Z = np.ones((3, k))
        Z[1, k - 2] = np.nan
        x, mask = _fused.relu_output(Z, np.zeros(k), np.ones(k))      # the reordered channel sum keeps it too
        assert np.isnan(x[1]) and not np.isnan(x[[0, 2]]).any() and not mask[1, k - 2]
    gen = dd.DeepDecoder((12, 12), channels=4, layers=2, rng=0)
    theta = np.asarray(gen.init(rng=1))
    theta[:4] = 1e308                            # C_0's first column: U Y overflows to ±inf, inf − inf is NaN
    with np.errstate(all="ignore"):
        fused, plain = gen(theta), dd.DeepDecoder((12, 12), channels=4, layers=2, rng=0, fused=False)(theta)
    np.testing.assert_array_equal(np.isnan(fused), np.isnan(plain))
    assert np.isnan(fused).all()


@needs_numba
@pytest.mark.parametrize("output", ["fixed", "conv"])
def test_fused_decoder_equals_the_array_api_passes(output):
    """The same decoder with fused=True and fused=False: outputs, VJPs (a strided and a read-only
    cotangent too, which compile their own machine code) and Jacobians (the batched backward pass runs
    the array-API steps on the fused forward pass's boolean masks) agree to 1e-12."""
    kw = dict(output_shape=(10, 9), channels=6, layers=3, output=output, sigmoid=output == "conv", rng=2)
    fused, plain = dd.DeepDecoder(**kw, fused=True), dd.DeepDecoder(**kw, fused=False)
    assert fused.fused and not plain.fused
    theta = np.asarray(fused.init(rng=3)) * 1.3
    r = np.random.default_rng(5).standard_normal(2 * fused.n)[::2]          # strided
    frozen = np.array(r)
    frozen.setflags(write=False)
    assert rel(fused(theta), plain(theta)) < 1e-12
    for cot in (r, frozen):
        assert rel(fused.vjp(theta, cot), plain.vjp(theta, cot)) < 1e-12
    assert rel(fused.jacobian(theta), plain.jacobian(theta)) < 1e-12


def test_the_choice_of_passes_and_its_errors(monkeypatch):
    """fused=None runs the loops where they can run (NumPy with Numba), False never; True where they cannot,
    or a non-bool, is refused naming the argument; without Numba the array-API passes run."""
    strict = resolve_namespace("array_api_strict")
    assert dd.DeepDecoder((8,), 2, 1, xp=strict).fused is False
    assert dd.DeepDecoder((8,), 2, 1, fused=False).fused is False
    assert dd.DeepDecoder((8,), 2, 1).fused is _fused.available()
    with pytest.raises(ValueError, match="fused=True needs the NumPy backend and Numba; backend array_api_strict"):
        dd.DeepDecoder((8,), 2, 1, xp=strict, fused=True)
    with pytest.raises(TypeError, match="fused must be True or False, got int 1"):
        dd.DeepDecoder((8,), 2, 1, fused=1)
    monkeypatch.setattr(_fused, "numba", None)
    assert not _fused.available() and _fused.usable(np) is False
    assert dd.DeepDecoder((8,), 2, 1).fused is False
    with pytest.raises(ValueError, match="Numba not importable"):
        dd.DeepDecoder((8,), 2, 1, fused=True)
    x = dd.DeepDecoder((8,), 2, 1, rng=0)
    assert cst.to_numpy(x(x.init(rng=0))).shape == (8,)
    u = cst.kernels.triangular(8, 2)
    assert cst.TwoLayerGenerator(u, 4).fused is False                       # Numba "not importable" here
    with pytest.raises(ValueError, match="fused=True needs the NumPy backend and Numba"):
        cst.TwoLayerGenerator(u, 4, fused=True)
    monkeypatch.undo()
    assert cst.TwoLayerGenerator(u, 4).fused is _fused.available()
    assert cst.TwoLayerGenerator(cst.kernels.triangular(8, 2, xp=strict), 4).fused is False
    with pytest.raises(TypeError, match="fused must be True or False"):
        cst.TwoLayerGenerator(u, 4, fused="yes")


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k_next", [1, 5])
def test_fold_and_layer_grads_are_the_decoders_formulas(dtype, k_next):
    """The k-sized arithmetic between the passes, on the uncentred A = c + mean that the fused passes keep:
    the normalisation folded into the next convolution (sd, α, W = Cᵀ diag α, bias = Cᵀ (β − α ∘ mean), so
    that A Wᵀ + bias is the c (Cᵀ diag α)ᵀ + Cᵀ β of the array-API passes) and one backward step's ∂Cᵀ, ∂β,
    ∂γ, W, a, b from gᵀ A, as those passes compute them from gᵀ c (b shifted so that a ∘ A + b = a ∘ c +
    α ∂β/s), with a rectangular Cᵀ: one output channel, or five."""
    rng = np.random.default_rng(k_next)
    k, s = 7, 300
    A = np.maximum(rng.standard_normal((s, k)) + rng.uniform(-1, 2, k), 0)
    mean = A.mean(axis=0)
    c = A - mean
    sq = (c**2).sum(axis=0)
    scale, shift, Ct = rng.standard_normal(k), rng.standard_normal(k), rng.standard_normal((k_next, k))
    got = _fused.fold(mean, sq, s, 1e-5, *(x.astype(dtype) for x in (scale, Ct, shift)))
    sd = np.sqrt(sq / s + 1e-5)
    alpha = scale / sd
    for g_, w_ in zip(got, (sd, alpha, Ct * alpha, Ct * alpha, Ct @ (shift - alpha * mean))):
        assert g_.dtype == np.dtype(dtype) and rel(g_, w_) < TOL[dtype]
    _, _, W, _, bias = got
    assert rel(A @ W.T.astype(np.float64) + bias, c @ (Ct * alpha).T + Ct @ shift) < 10 * TOL[dtype]
    g = rng.standard_normal((s, k_next))
    gc, gsum = g.T @ c, g.sum(axis=0)
    dscale, dshift = np.sum(Ct * gc, axis=0) / sd, gsum @ Ct
    a = alpha * dscale / (s * sd)
    want = (gc * alpha + gsum[:, None] * shift, dshift, dscale, a, alpha * dshift / s - a * mean)
    args = [x.astype(dtype) for x in (g, g.T @ A)] + [mean] + [x.astype(dtype) for x in (alpha, shift, Ct, sd)]
    got = _fused.layer_grads(*args)
    for g_, w_ in zip(got, want):
        assert g_.dtype == np.dtype(dtype) and g_.shape == w_.shape and rel(g_, w_) < 20 * TOL[dtype]
    assert rel(a * A + got[4], a * c + alpha * dshift / s) < 20 * TOL[dtype]          # the bracket of the adjoint
    given = _fused.layer_grads(*args, gsum=args[0].astype(np.float64).sum(axis=0))   # 1ᵀ g summed by the caller
    for g_, w_ in zip(given, want):
        assert rel(g_, w_) < 20 * TOL[dtype]
    doubled = _fused.layer_grads(*args, gsum=2 * args[0].astype(np.float64).sum(axis=0))   # and used, not redone
    assert rel(doubled[1], 2 * dshift) < 20 * TOL[dtype]                                   # ∂β = gsumᵀ Cᵀ


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_two_layer_loops_are_the_numpy_formulas(dtype):
    """The Fourier GD iterate's loops against its NumPy operations: Σ_l v_l ReLU(Z_l) with the mask (a zero of
    Z inactive), m_l ∘ r (the same bits), the spectra's products with a row broadcast and with whole rows
    (complex), the gradient's rows (v_l conj(û)) · F, and y += α x in place — refused (False, y untouched) where NumPy would widen the dtype or an
    array is not contiguous."""
    rng = np.random.default_rng(7)
    cdtype = np.result_type(dtype, np.complex64)
    Z, v, r = rng.standard_normal((5, 12)).astype(dtype), rng.standard_normal(5).astype(dtype), rng.standard_normal(12)
    Z[2, 3] = 0.0
    mask = np.empty(Z.shape, bool)
    part = _fused.relu_weighted_sum(Z, v, mask)
    np.testing.assert_array_equal(mask, Z > 0)
    assert part.dtype == np.dtype(dtype) and rel(part, v.astype(np.float64) @ np.maximum(Z, 0)) < TOL[dtype]
    np.testing.assert_array_equal(_fused.mask_rows(mask, r.astype(dtype)), mask * r.astype(dtype))
    S, row, M = (rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in ((5, 7), (1, 7), (5, 7)))
    S, row, M = S.astype(cdtype), row.astype(cdtype), M.astype(cdtype)
    assert rel(_fused.multiply_rows(row, S), row * S) < TOL[dtype]
    out = np.empty_like(S)
    assert _fused.multiply_rows(M, S, out=out) is out and rel(out, M * S) < TOL[dtype]
    y, x = S.copy(), M.copy()
    assert _fused.add_scaled(y, -0.25, x) and rel(y, S - 0.25 * M) < TOL[dtype]
    before = y.copy()
    assert not _fused.add_scaled(y, -0.25, x[:, ::2].copy().repeat(2, axis=1)[:, :7][:, ::-1])   # not contiguous
    if dtype == "float32":
        assert not _fused.add_scaled(y, np.float64(0.5), x)          # NumPy would compute α x in complex128
    np.testing.assert_array_equal(y, before)
    into = _fused.mask_rows(mask, r.astype(dtype), out=np.empty(Z.shape, dtype))
    np.testing.assert_array_equal(into, mask * r.astype(dtype))
    vv = v.astype(dtype)
    out = np.empty_like(M)
    assert _fused.gradient_rows(vv, row, M, out) is out and out.dtype == cdtype      # (v_l conj(û)) · F
    assert rel(out, (vv[:, None] * np.conj(row)) * M) < TOL[dtype]


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_deferred_update_fused_with_the_spectra_product_is_the_numpy_formula(dtype):
    """add_multiply_rows: S ← S + α d in place and out = û ∘ S (the new S, a row broadcast), the same bits as
    NumPy's ``S += alpha * d; û * S``; refused (False, S untouched) where NumPy would widen the dtype, an
    array is not contiguous, or out/d have another shape or dtype."""
    rng = np.random.default_rng(8)
    cdtype = np.result_type(dtype, np.complex64)
    S, d, row = (rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in ((6, 9), (6, 9), (1, 9)))
    S, d, row = S.astype(cdtype), d.astype(cdtype), row.astype(cdtype)
    want_S = S.copy()
    want_S += -0.3 * d
    s, out = S.copy(), np.empty_like(S)
    assert _fused.add_multiply_rows(s, -0.3, d, row, out)
    np.testing.assert_array_equal(s, want_S)
    assert rel(out, row * want_S) < TOL[dtype]
    before = s.copy()
    assert not _fused.add_multiply_rows(s, -0.3, d[:, ::-1], row, out)                  # d not contiguous
    assert not _fused.add_multiply_rows(s, -0.3, d, row, np.empty((6, 9), np.complex64 if dtype == "float64"
                                                                  else np.complex128))  # out of another dtype
    assert not _fused.add_multiply_rows(s, -0.3, d[:5], row, out[:5])                    # another shape
    if dtype == "float32":
        assert not _fused.add_multiply_rows(s, np.float64(0.5), d, row, out)            # α d in complex128
    np.testing.assert_array_equal(s, before)


def adam_formulas(m1, m2, g, b1, b2, k, eps):
    """Adam's step as :meth:`cstheory.optim.AdamState.step` writes it with NumPy: (m₁, m₂, direction), new arrays."""
    m1 = b1 * m1 + (1.0 - b1) * g
    m2 = b2 * m2 + (1.0 - b2) * (g * g)
    return m1, m2, (m1 / (1.0 - b1**k)) / (np.sqrt(m2 / (1.0 - b2**k)) + eps)


@needs_numba
@given(st.sampled_from(["float64", "float32"]), st.sampled_from([(7,), (3, 5), (1,), (0,)]),
       st.floats(0.0, 0.999), st.floats(0.0, 0.9999), st.integers(1, 3000), st.floats(1e-12, 1.0),
       st.integers(0, 2**16))
def test_the_fused_adam_pass_is_the_formulas_bit_for_bit(dtype, shape, b1, b2, k, eps, seed):
    """One compiled pass gives the NumPy formulas' m₁, m₂ and direction to the last bit, in float64 and float32
    (each scalar rounded to float32 first, as NumPy rounds a Python float against a float32 array), for any β₁, β₂
    in [0, 1), step k and ε, as new arrays (the moments given are only read); a NaN gradient entry gives NaN
    where the formulas do."""
    rng = np.random.default_rng(seed)
    g = (rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)).astype(dtype)
    m1 = (rng.standard_normal(shape) * 0.1).astype(dtype)
    m2 = np.abs(rng.standard_normal(shape) * 0.01).astype(dtype)
    if g.size > 1:
        g.flat[0], m1.flat[-1], m2.flat[-1] = np.nan, 0.0, 0.0
    want = adam_formulas(m1, m2, g, b1, b2, k, eps)
    before = (m1.copy(), m2.copy())
    got = _fused.adam_direction(m1, m2, g, b1, b2, k, eps)
    np.testing.assert_array_equal(m1, before[0])
    np.testing.assert_array_equal(m2, before[1])
    for x, expected in zip(got, want):
        assert x.dtype == np.dtype(dtype) and x.shape == shape
        np.testing.assert_array_equal(x, expected)


@needs_numba
def test_the_fused_adam_pass_declines_what_it_cannot_do():
    """``None`` (the optimizer then runs the formulas) for mixed dtypes, a non-contiguous array, other shapes,
    float16, integer or non-NumPy arrays; a read-only moment, or a gradient that is one of the moments, is fine
    (the pass only reads them)."""
    m1, m2, g = np.ones(6), np.full(6, 2.0), np.arange(6.0)
    for a, b, c in [(m1, m2, g.astype(np.float32)), (m1.astype(np.float32), m2, g), (np.ones(12)[::2], m2, g),
                    (m1, m2, np.arange(7.0)), (m1, m2, m2[::-1]), (m1.astype(int), m2, g), (m1, m2, g.tolist()),
                    (m1.astype(np.float16), m2.astype(np.float16), g.astype(np.float16))]:
        assert _fused.adam_direction(a, b, c, 0.9, 0.999, 1, 1e-8) is None
    frozen = m1.copy()
    frozen.flags.writeable = False
    for a, b, c in [(frozen, m2, g), (m1, m2, m1)]:
        for x, expected in zip(_fused.adam_direction(a, b, c, 0.9, 0.999, 3, 1e-8),
                               adam_formulas(a, b, c, 0.9, 0.999, 3, 1e-8)):
            np.testing.assert_array_equal(x, expected)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adam_with_the_fused_pass_moves_as_the_formulas_do(dtype, monkeypatch):
    """Twelve Adam steps on a deep decoder, a restart and a schedule on the way: the one-pass update and the
    formulas give the same θ, m₁ and m₂ to the last bit (the pass taken here for any size of θ)."""
    monkeypatch.setattr(cst.optim, "ADAM_FUSED_MIN", 0)
    gen = dd.DeepDecoder((12, 10), channels=6, layers=2, output="conv", sigmoid=True, rng=0, dtype=dtype)
    y = np.random.default_rng(1).random(gen.n).astype(dtype)
    A = cst.operators.Identity(gen.n, dtype=dtype)
    runs = []
    for fused in (True, False):
        state = cst.Adam(0.02, schedule=cst.StepDecay([6]), restarts=[5]).start(gen, A, gen.init(rng=2))
        assert state._fused is not None
        if not fused:
            state._fused = None
        for t in range(12):
            x, vjp = state.forward_vjp()
            state.step(t, vjp(np.reshape(np.reshape(x, (-1,)) - y, gen.output_shape)))
        runs.append((state.params, state.m1, state.m2))
    for a, b in zip(*runs):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)
