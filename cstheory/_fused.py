"""Fused NumPy loops of the generators' elementwise passes, compiled by Numba (floor 1).

:class:`~cstheory.deep_decoder.DeepDecoder`'s forward and backward passes (channels last, one row of k
channels per pixel) spend most of their time outside the matrix products in elementwise passes: after
each upsampling the ReLU, its mask, the channel sums and the sums of squares; before each
adjoint upsampling the channel normalisation's backward step and the ReLU mask.  NumPy runs each of those
as its own pass over an (n_i, k) array, reading and writing it again every time; at 64² pixels and
k = 64 channels one such pass costs about as much as a sixth of a matrix product.  The loops below do
the same arithmetic in one pass each, row by row, with the upsampling's sparse product inside the
loop:

* :func:`upsample_relu_moments` — A = ReLU(U y) and per channel the mean and Σ (A − mean)² (one pass; A is
  not centred — :func:`fold` puts the mean into the next convolution's bias — and its mask is A > 0);
* :func:`backward_adjoint` — Uᵀ[1{A > 0} ∘ (G − a ∘ A − b)] (one pass, the adjoint upsampling
  scattering each row of the bracket into the ≤ 4 rows it came from);
* :func:`relu_output` and :func:`output_cotangent` — the ``"fixed"`` output x = ReLU(Z + β) v and its
  cotangent 1{Z + β > 0} ∘ (r vᵀ);
* :func:`fold` and :func:`layer_grads` — the k-sized arithmetic between the passes (the normalisation
  folded into the next 1×1 convolution; a backward step's ∂Cᵀ, ∂β, ∂γ), one call instead of a dozen
  NumPy calls on vectors of k entries, each of which costs microseconds of interpreter time;
* :func:`layer_forward` and :func:`layer_backward` — what the decoder calls, once per layer and direction:
  the upsampling pass (with the convolution's bias added to y first) and the fold in one call; the two
  products gᵀ A and g Wa, then the backward step's arithmetic and the adjoint pass in one call, writing
  ∂Cᵀ, ∂β, ∂γ into the gradient's own array.  Between two large passes every interpreter operation runs
  with cold caches (two NumPy scalars made in 3 µs instead of 0.5 µs), so fewer calls are faster (with the
  bias pass, the one-column channel sum and SciPy's ``expit`` for the sigmoid, a 64² ``"conv"`` float32 step
  took 0.93–0.95× the time of separate calls).

The two-layer generator's GD iterate (:class:`~cstheory.two_layer.FourierIterate`, C kept as spectra,
one block of channels at a time) has its own: :func:`multiply_rows` (û · S), :func:`gradient_rows` (v_l conj(û) · F),
:func:`relu_weighted_sum` (mask, ReLU and Σ_l v_l ReLU(U c_l) in one pass), :func:`mask_rows` (m_l ∘ r),
:func:`add_scaled` (the in-place update S ← S + α d) and :func:`add_multiply_rows` (that update, deferred to
the next step, fused with its product û · S).  Adam (:class:`~cstheory.optim.AdamState`) has
:func:`adam_direction`: its two moments and its direction in one pass over the parameters instead of twelve
operations.

Each computes its NumPy formula in the same order of operations (the products of a mask as a 0/1
factor, so a NaN propagates as it does in NumPy, and a fit that diverges is still caught), except the
sums over the channels of :func:`relu_output` and :func:`fold`, which the compiler may reorder as a
matrix-vector product does, and the channel moments of the normalisation, which run in float64 for either
dtype, blockwise (:func:`upsample_relu_moments`); the decoder's fused passes keep the activations uncentred
and fold the mean into the next layer's bias, the same maths in another order (tests pin them to the plain
passes to 1e-12).  The loops are plain
Python functions, compiled on first use with ``numba.njit(cache=True)`` (the machine code is cached
beside this file, or in Numba's user cache where that is not writable): :func:`available` says whether
Numba imports, and the deep decoder falls back to its array-API passes where it does not, for other
backends and for batched cotangents.  Tests pin every loop to the NumPy formula and the decoder's fused
passes to its plain ones.

Numba is the only compiler the library uses, and only this module imports it.
"""
from __future__ import annotations

import numpy as np

from . import _checks
from ._backend import backend_name, is_numpy

try:
    import numba
except ImportError:          # not installed, or built for another NumPy: the decoder's array-API passes run
    numba = None

__all__ = ["available", "usable", "upsample_relu_moments", "fold", "layer_grads", "backward_adjoint", "layer_forward",
           "layer_backward", "relu_output",
           "output_cotangent", "relu_weighted_sum", "mask_rows", "multiply_rows",
           "add_scaled", "add_multiply_rows", "gradient_rows", "adam_direction"]


def available():
    """Whether Numba imports (then the loops below compile on first call)."""
    return numba is not None


def usable(xp, fused=None):
    """Whether a deep decoder on namespace ``xp`` runs the fused loops: ``fused=None`` where they can run
    (NumPy, Numba importable), ``False`` never, ``True`` always (a ``ValueError`` where they cannot)."""
    fused = None if fused is None else _checks.flag(fused, "fused")
    can = is_numpy(xp) and available()
    if fused and not can:
        raise ValueError(f"fused=True needs the NumPy backend and Numba; backend {backend_name(xp)}, "
                         f"Numba {'importable' if available() else 'not importable'}")
    return can if fused is None else fused


#: compiled on first call, one machine code per dtype and layout; nogil: threads may run them at once
_jit = numba.njit(cache=True, nogil=True) if numba is not None else (lambda f: f)
#: the same, with sums that may be reordered (fast-math ``reassoc`` alone: no assumption of finite values)
_jit_reassoc = numba.njit(cache=True, nogil=True, fastmath={"reassoc"}) if numba is not None else (lambda f: f)
#: the same as :data:`_jit`, with NumPy's division (x / 0 is ±inf or NaN, as in NumPy, where Numba's default
#: raises ZeroDivisionError): without that check per division, a loop of divisions runs in vector lanes
_jit_divide = numba.njit(cache=True, nogil=True, error_model="numpy") if numba is not None else (lambda f: f)


# ---------------------------------------------------------------------------
# the loops: plain Python, compiled by Numba
# ---------------------------------------------------------------------------
#: rows per block of the channel moments (each block summed about its first row, then the blocks merged)
MOMENT_BLOCK = 64


@_jit
def _upsample_relu(indptr, indices, data, y, bias, z, one, zero, block):
    """z = ReLU(U (y + bias)) row by row (U in CSR form; z > 0 exactly where U (y + bias) > 0, the ReLU's mask,
    which is therefore not stored); returns the channels' means and centred sums of squares Σ_rows (z − mean)²,
    in float64.  y + bias is formed in place in y, in a pass before (as NumPy's ``y += bias``; that pass, the
    broadcast over rows of k channels, took 50 µs of a 64² float32 step; ``bias`` of length 0: none).

    The moments are taken block by block (``block`` rows): Σ (z − K) and Σ (z − K)² about the block's first row
    K (so a nearly constant channel keeps its variance: no Σ z² − s mean² cancellation; (Σ (z − K))²/n formed as
    Σ (z − K) · (Σ (z − K)/n), which overflows only where Σ (z − K)² does), and the blocks merged by Chan et
    al.'s pairwise update of (count, mean, M2), the running mean kept as an offset from the first block's mean
    (an offset the size of the spread, not of the mean, so the merges round nothing of a nearly constant
    channel away).  Short running sums: where one running sum over s rows about one shift lost digits (a
    corner row's value, far from the mean, cost 10⁻¹² of the mean at 64² pixels).

    A row of U y sums a few rows of y (bilinear interpolation: four taps inside, two on an edge, one at a
    corner), in the CSR order as SciPy does; a row of four taps is one loop over the channels, any other
    count the general loop, each writing the row of z, which a second loop sums from L1 (0.9× the time of one
    loop doing both through a row buffer).  Rows are indexed as ``y[r, j]``, never sliced: a slice is an array
    object, whose reference counting cost more than the arithmetic (``one`` and ``zero`` are of z's dtype, so
    a float32 loop is not widened to float64: the same values, faster)."""
    s, k = z.shape
    if bias.shape[0] > 0:
        for r in range(y.shape[0]):
            for j in range(k):
                y[r, j] += bias[j]
    mean, m2 = np.zeros(k), np.zeros(k)               # mean: the running mean − the first block's mean, base
    shift, sums, squares, base = np.empty(k), np.empty(k), np.empty(k), np.empty(k)
    for b0 in range(0, s, block):
        b1 = min(b0 + block, s)
        for i in range(b0, b1):
            p, n = indptr[i], indptr[i + 1] - indptr[i]
            if n == 4:
                w0, w1, w2, w3 = data[p], data[p + 1], data[p + 2], data[p + 3]
                r0, r1, r2, r3 = indices[p], indices[p + 1], indices[p + 2], indices[p + 3]
                for j in range(k):
                    v = ((w0 * y[r0, j] + w1 * y[r1, j]) + w2 * y[r2, j]) + w3 * y[r3, j]
                    z[i, j] = v * (one if v > 0 else zero)
            else:
                for j in range(k):
                    z[i, j] = zero
                for q in range(p, p + n):
                    w, r = data[q], indices[q]
                    for j in range(k):
                        z[i, j] += w * y[r, j]
                for j in range(k):
                    v = z[i, j]
                    z[i, j] = v * (one if v > 0 else zero)
            if i == b0:
                for j in range(k):
                    shift[j] = z[i, j]
                    sums[j] = 0.0
                    squares[j] = 0.0
            for j in range(k):                        # the row just written, from L1
                e = z[i, j] - shift[j]
                sums[j] += e
                squares[j] += e * e
        nb, na = b1 - b0, b0                          # this block's rows, and the rows merged so far
        inv, f, h = 1.0 / nb, nb / (na + nb), na * nb / (na + nb)
        for j in range(k):
            q = squares[j] - sums[j] * (sums[j] * inv)   # no overflow of sums² before Σ (z − K)² overflows
            q = 0.0 if q < 0 else q                   # rounding below 0 only (Cauchy–Schwarz); NaN stays
            if b0 == 0:
                base[j] = shift[j] + sums[j] * inv
            d = ((shift[j] - base[j]) + sums[j] * inv) - mean[j]   # the block's mean − the mean so far
            mean[j] += d * f
            m2[j] += q + d * d * h
    for j in range(k):
        mean[j] += base[j]
    return mean, m2


@_jit
def _backward_adjoint(indptr, indices, data, G, A, a, b, out, one, zero):
    """out = Uᵀ[1{A > 0} ∘ (G − a ∘ A − b)] (A = ReLU(Z): A > 0 where Z > 0), the bracket t formed one row
    at a time and scattered into the ≤ 4 rows of out it came from (written out here rather than called: a
    call per row kept the scatter from being vectorised, at twice the time).  Each row of out is zeroed when
    a tap first reaches it (the rows zeroed so far are always a prefix), not in a pass of its own before."""
    s, k = A.shape
    t = np.empty(k, A.dtype)
    hi = -1                                           # rows 0 … hi of out are zeroed (on first use)
    for i in range(s):
        for j in range(k):
            t[j] = (G[i, j] - a[j] * A[i, j] - b[j]) * (one if A[i, j] > 0 else zero)
        for q in range(indptr[i], indptr[i + 1]):
            w, r = data[q], indices[q]
            while hi < r:
                hi += 1
                for j in range(k):
                    out[hi, j] = zero
            for j in range(k):
                out[r, j] += w * t[j]
    for r in range(hi + 1, out.shape[0]):             # rows no tap reaches
        for j in range(k):
            out[r, j] = zero


@_jit
def _backward_adjoint_outer(indptr, indices, data, g, w, A, a, b, out, one, zero):
    """As :func:`_backward_adjoint` with the rank-one G = g wᵀ (one output channel above)."""
    s, k = A.shape
    t = np.empty(k, A.dtype)
    hi = -1                                           # rows 0 … hi of out are zeroed (on first use)
    for i in range(s):
        for j in range(k):
            t[j] = (g[i] * w[j] - a[j] * A[i, j] - b[j]) * (one if A[i, j] > 0 else zero)
        for q in range(indptr[i], indptr[i + 1]):
            u, r = data[q], indices[q]
            while hi < r:
                hi += 1
                for j in range(k):
                    out[hi, j] = zero
            for j in range(k):
                out[r, j] += u * t[j]
    for r in range(hi + 1, out.shape[0]):             # rows no tap reaches
        for j in range(k):
            out[r, j] = zero


@_jit_reassoc
def _relu_output(Z, bias, v, mask, x, one, zero):
    """x = ReLU(Z + bias) v and mask = 1{Z + bias > 0}, row by row (the ReLU a 0/1 factor); Z is only read.

    Compiled with the one fast-math flag ``reassoc``: the sum over the channels may be reordered (as BLAS's
    matrix-vector product reorders it) and so runs in vector lanes; a running sum in the written order waits
    on each addition in turn.  No flag assumes finite values, so a NaN or inf still reaches x (near overflow
    a reordered sum can be inf where another order is finite, as between two BLAS builds)."""
    s, k = Z.shape
    for i in range(s):
        acc = zero
        for j in range(k):
            z = Z[i, j] + bias[j]
            m = z > 0
            mask[i, j] = m
            acc += (z * (one if m else zero)) * v[j]
        x[i] = acc


@_jit_reassoc
def _fold(mean, sq, s, eps, scale, Ct, shift):
    """The channel normalisation folded into the next 1×1 convolution of the uncentred A: sd = √(Σc²/s + ε),
    α = γ/sd, W = Cᵀ diag α and bias = Cᵀ (β − α ∘ mean), the k-sized arithmetic between two layers in one
    call; returns (sd, α, W, Wa, bias) in scale's dtype, Wa = Cᵀ diag α the backward step's (with every α).

    mean and Σc² come in float64, and the bias is summed in float64; compiled with ``reassoc``, as
    :func:`_relu_output`, so that sum over the channels may be reordered (as a matrix-vector product reorders
    it).  A constant channel (Σc² = 0: c = A − mean is exactly 0, as the centred passes make it) gets a zero
    column in W and β alone in the bias, instead of α ∘ A − α ∘ mean, two roundings of a large α = γ/√ε."""
    k, kn = sq.shape[0], Ct.shape[0]
    sd, alpha, bias = np.empty(k, scale.dtype), np.empty(k, scale.dtype), np.empty(kn, scale.dtype)
    W, Wa = np.empty((kn, k), scale.dtype), np.empty((kn, k), scale.dtype)
    u, a = np.empty(k), np.empty(k, scale.dtype)      # β − α ∘ mean (float64), and α where the channel varies
    for j in range(k):
        sd[j] = np.sqrt(sq[j] / s + eps)
        alpha[j] = scale[j] / sd[j]
        if sq[j] == 0:                                # a constant channel: c = A − mean = 0 exactly, as centred
            a[j], u[j] = 0, shift[j]
        else:
            a[j], u[j] = alpha[j], shift[j] - alpha[j] * mean[j]
    for p in range(kn):
        acc = 0.0
        for j in range(k):
            W[p, j] = Ct[p, j] * a[j]
            Wa[p, j] = Ct[p, j] * alpha[j]
            acc += Ct[p, j] * u[j]
        bias[p] = acc
    return sd, alpha, W, Wa, bias


@_jit
def _column_sums(g):
    """1ᵀ g, summed in float64 row by row (one column: in four running sums over every fourth row, added
    pairwise at the end, so that the additions do not wait on each other)."""
    s, kn = g.shape
    sums = np.zeros(kn)
    if kn == 1:
        s4 = s - s % 4
        p0 = p1 = p2 = p3 = 0.0
        for i in range(0, s4, 4):
            p0 += g[i, 0]
            p1 += g[i + 1, 0]
            p2 += g[i + 2, 0]
            p3 += g[i + 3, 0]
        for i in range(s4, s):
            p0 += g[i, 0]
        sums[0] = (p0 + p1) + (p2 + p3)
        return sums
    for i in range(s):
        for p in range(kn):
            sums[p] += g[i, p]
    return sums


@_jit
def _layer_grads(g, gsum_given, gA, mean, alpha, shift, Ct, sd, dCt, dshift, dscale):
    """The k-sized arithmetic of one backward step, as :meth:`DeepDecoder._backward` writes it: with
    gsum = 1ᵀ g (summed in float64 over g's s rows, here or given: ``gsum_given`` of length 0 or k_next) and
    gc = gᵀ c = gᵀ A − gsum meanᵀ (from gA = gᵀ A of the uncentred A), ∂Cᵀ = gc diag α + gsum βᵀ,
    ∂β = gsumᵀ Cᵀ, ∂γ = diag(C gc)/sd, written into dCt, dshift, dscale; returns a = α ∂γ/(s sd) and
    b = α ∂β/s − a ∘ mean for :func:`_backward_adjoint` on A, whose a ∘ A + b is the a ∘ c + α ∂β/s of the
    centred c (Ct = Cᵀ; the corrections in float64), in gA's dtype."""
    kn, k = Ct.shape
    s = g.shape[0]
    gsum64 = _column_sums(g) if gsum_given.shape[0] == 0 else gsum_given
    a, b = np.empty(k, gA.dtype), np.empty(k, gA.dtype)
    gsum = gsum64.astype(gA.dtype)
    ds, dm = np.zeros(k), np.zeros(k)              # Σ_p Cᵀ[p, j] gc[p, j] and Σ_p gsum[p] Cᵀ[p, j], row by row
    for p in range(kn):
        for j in range(k):
            gc = gA[p, j] - gsum64[p] * mean[j]
            dCt[p, j] = gc * alpha[j] + gsum[p] * shift[j]
            ds[j] += Ct[p, j] * gc
            dm[j] += gsum[p] * Ct[p, j]
    for j in range(k):
        dshift[j] = dm[j]
        dscale[j] = ds[j] / sd[j]
        a[j] = alpha[j] * dscale[j] / (s * sd[j])
        b[j] = alpha[j] * dshift[j] / s - a[j] * mean[j]
    return a, b


@_jit
def _layer_forward(indptr, indices, data, y, bias, z, one, zero, block, eps, scale, Ct, shift):
    """:func:`_upsample_relu` and :func:`_fold` in one call (one return to the interpreter per layer, not two);
    returns (mean, sd, α, W, Wa, bias)."""
    mean, sq = _upsample_relu(indptr, indices, data, y, bias, z, one, zero, block)
    sd, alpha, W, Wa, bias_next = _fold(mean, sq, z.shape[0], eps, scale, Ct, shift)
    return mean, sd, alpha, W, Wa, bias_next


@_jit
def _layer_backward(indptr, indices, data, g, gW, gsum, gA, A, mean, alpha, shift, Ct, sd, Wa, dCt, dshift,
                    dscale, out, one, zero):
    """:func:`_layer_grads` and the adjoint pass (:func:`_backward_adjoint` on gW = g Wa, or
    :func:`_backward_adjoint_outer` on g and Wa's one row) in one call."""
    a, b = _layer_grads(g, gsum, gA, mean, alpha, shift, Ct, sd, dCt, dshift, dscale)
    if Ct.shape[0] == 1:
        _backward_adjoint_outer(indptr, indices, data, g[:, 0], Wa[0], A, a, b, out, one, zero)
    else:
        _backward_adjoint(indptr, indices, data, gW, A, a, b, out, one, zero)


@_jit
def _output_cotangent(mask, r, v, g, one, zero):
    """g = 1{Z > 0} ∘ (r vᵀ), as NumPy's (mask · r) · v; returns 1ᵀ g as :func:`_column_sums` sums it."""
    s, k = g.shape
    sums = np.zeros(k)
    for i in range(s):
        for j in range(k):
            g[i, j] = ((one if mask[i, j] else zero) * r[i]) * v[j]
            sums[j] += g[i, j]
    return sums



@_jit
def _relu_weighted_sum(Z, v, mask, part):
    """part = Σ_l v_l ReLU(Z_l) over the rows l of Z (the ReLU a 0/1 factor) and mask = 1{Z > 0}."""
    b, n = Z.shape
    part[:] = 0
    for l in range(b):
        for j in range(n):
            m = Z[l, j] > 0
            mask[l, j] = m
            part[j] += v[l] * (Z[l, j] * (1.0 if m else 0.0))


@_jit
def _mask_rows(mask, r, out):
    """out[l] = m_l ∘ r for the rows m_l of the mask (as NumPy's ``mask * r``: a 0/1 factor)."""
    b, n = out.shape
    for l in range(b):
        for j in range(n):
            out[l, j] = (1.0 if mask[l, j] else 0.0) * r[j]


@_jit
def _multiply_rows(a, b, out):
    """out = a ∘ b for b (m, n) and a of m rows or of one row (broadcast over the rows of b)."""
    m, n = b.shape
    for l in range(m):
        la = 0 if a.shape[0] == 1 else l
        for j in range(n):
            out[l, j] = a[la, j] * b[l, j]


@_jit
def _gradient_rows(v, a, F, out):
    """out[l] = (v_l conj(a)) ∘ F[l] for the one row a: the weights v_l conj(a_j) formed in the loop, as NumPy's
    ``(v[:, None] * conj(a)) * F`` forms them, instead of read from a (b, n) array."""
    m, n = F.shape
    for l in range(m):
        for j in range(n):
            out[l, j] = (v[l] * a[0, j].conjugate()) * F[l, j]


@_jit
def _add_multiply_rows(s, alpha, d, a, out):
    """s ← s + α d in place and out = a ∘ s (a of one row), in one pass; each sum rounded to s's dtype before
    the product, as NumPy's ``s += alpha * d`` followed by ``a * s``."""
    m, n = s.shape
    for l in range(m):
        for j in range(n):
            t = s[l, j] + alpha * d[l, j]
            s[l, j] = t
            out[l, j] = a[0, j] * t


@_jit
def _add_scaled(y, alpha, x):
    """y ← y + α x in place (α x rounded to y's dtype first, as NumPy's ``y += alpha * x``)."""
    b, n = y.shape
    for l in range(b):
        for j in range(n):
            y[l, j] += alpha * x[l, j]


@_jit_divide
def _adam_direction(m1, m2, g, b1, c1, b2, c2, d1, d2, eps, n1, n2, out):
    """Adam's moments n1 = b1 m₁ + c1 g and n2 = b2 m₂ + c2 (g g), and its direction out = (n1 / d1) / (√(n2 / d2)
    + eps), entry by entry (1-D arrays; the scalars of the arrays' dtype; m₁, m₂ and g only read).  Compiled with
    NumPy's division (:data:`_jit_divide`): with Numba's default check of each divisor for zero the loop ran one
    entry at a time (a call of :func:`adam_direction` on 21,000 float32 entries: 88 against 21 µs)."""
    for i in range(g.shape[0]):
        gi = g[i]
        u = b1 * m1[i] + c1 * gi
        w = b2 * m2[i] + c2 * (gi * gi)
        n1[i], n2[i] = u, w
        out[i] = (u / d1) / (np.sqrt(w / d2) + eps)


# ---------------------------------------------------------------------------
# what the deep decoder calls (channels-last NumPy arrays of one dtype)
# ---------------------------------------------------------------------------
_CONSTANTS = {}
_F64 = np.dtype(np.float64)


def _constants(dtype):
    """(1, 0, an empty array) of ``dtype``: the loops' one and zero and their "none", made once per dtype (the
    hot path calls these wrappers a few times per layer, and each NumPy call between two passes costs µs)."""
    c = _CONSTANTS.get(dtype)
    if c is None:
        none = np.empty(0, dtype)            # writable, as the arrays it stands in for: one compiled signature
        c = _CONSTANTS[dtype] = (dtype.type(1), dtype.type(0), none)
    return c


def upsample_relu_moments(csr, y):
    """The layer's pass after its 1×1 convolution: A = ReLU(U y) and its channels' mean and
    centred sum of squares — what the channel normalisation needs, without the pass that would centre A
    (the decoder folds the mean into the next convolution's bias instead, :meth:`DeepDecoder._forward`).

    The moments are summed in float64 in blocks of :data:`MOMENT_BLOCK` rows, each about its first row (the
    shifted-data algorithm: Σ (A − K)² − (Σ (A − K))²/n does not lose the variance of a nearly constant channel
    to cancellation, as Σ A² − n mean² would), and the blocks merged by the pairwise update of Chan et al.

    Parameters
    ----------
    csr : (indptr, indices, data)
        U (n_out × n_in) in CSR form, of y's dtype (:attr:`Upsampling.csr`).
    y : array (n_in, k)

    Returns
    -------
    A : array (n_out, k)
        ReLU(U y), in y's dtype; 1{A > 0} = 1{U y > 0} is the ReLU's derivative.
    mean : float64 array (k,)
        The channels' means over the rows.
    sq : float64 array (k,)
        Σ (A − mean)² over the rows.
    """
    indptr, indices, data = csr
    s, k = indptr.shape[0] - 1, y.shape[1]
    one, zero, none = _constants(y.dtype)
    A = np.empty((s, k), y.dtype)
    mean, sq = _upsample_relu(indptr, indices, data, np.ascontiguousarray(y), none, A, one, zero, MOMENT_BLOCK)
    return A, mean, sq


def layer_forward(csr, y, bias, eps, scale, Ct, shift):
    """One layer of the fused forward pass after its 1×1 convolution y = X Wᵀ: A = ReLU(U (y + bias)) and its
    channels' moments (:func:`upsample_relu_moments`; y + bias formed in place in y, which must be
    C-contiguous and writable; ``bias=None`` for none), and the normalisation folded into the next
    convolution (:func:`fold`), in one call.

    Returns
    -------
    A, mean, sd, alpha, W, Wa, bias_next
        A (n_out, k) in y's dtype and its means (float64); sd, α, W (constant channels dropped, for the next
        product A Wᵀ + bias_next), Wa = Cᵀ diag α (for the backward step, :func:`layer_backward`) and
        bias_next, as :func:`fold` returns them.
    """
    indptr, indices, data = csr
    one, zero, none = _constants(y.dtype)
    if bias is None:
        y, bias = np.ascontiguousarray(y), none
    elif not (y.flags.c_contiguous and y.flags.writeable):
        raise ValueError("layer_forward adds bias to y in place: y must be C-contiguous and writable")
    A = np.empty((indptr.shape[0] - 1, y.shape[1]), y.dtype)
    mean, sd, alpha, W, Wa, bias_next = _layer_forward(indptr, indices, data, y, np.ascontiguousarray(bias, y.dtype),
                                                       A, one, zero, MOMENT_BLOCK, eps, scale, Ct, shift)
    return A, mean, sd, alpha, W, Wa, bias_next


def layer_backward(csr, n_in, g, A, Wa, mean, alpha, shift, Ct, sd, gsum=None, out=None):
    """One step of the fused backward pass from the cotangent g (s, k_next) of the convolution above the
    activations A = ReLU(Z) of :func:`layer_forward`: gA = gᵀ A and gW = g Wa (matrix products; a Wa of one
    row makes g Wa the outer product g waᵀ, formed row by row in the pass instead), then in one call the
    k-sized arithmetic (:func:`layer_grads`'s ∂Cᵀ, ∂β, ∂γ, and a, b) and the pass
    Uᵀ[1{A > 0} ∘ (g Wa − a ∘ A − b)] (:func:`backward_adjoint`: the normalisation's and the ReLU's backward
    steps and the adjoint upsampling).

    Returns
    -------
    g_in, dCt, dshift, dscale
        The cotangent (n_in, k) of the convolution below, and ∂Cᵀ, ∂β, ∂γ, written into ``out`` where given
        (arrays k_next × k, k, k, contiguous, of A's dtype: e.g. views of the gradient in θ's layout).
    """
    indptr, indices, data = csr
    kn, k = Ct.shape
    one, zero, none = _constants(A.dtype)
    g = np.ascontiguousarray(g)
    if out is None:
        out = np.empty((kn, k), A.dtype), np.empty(k, A.dtype), np.empty(k, A.dtype)
    gW = g @ Wa if kn > 1 else none.reshape(0, k)     # one row: g waᵀ is formed in the pass
    gsum = _constants(_F64)[2] if gsum is None else gsum
    g_in = np.empty((n_in, k), A.dtype)
    _layer_backward(indptr, indices, data, g, gW, gsum, g.T @ A, A, mean, alpha, shift, Ct, sd, Wa, *out, g_in,
                    one, zero)
    return (g_in, *out)


def relu_output(Z, bias, v):
    """The ``"fixed"`` output x = ReLU(Z + bias) v, shape (n,), and its mask 1{Z + bias > 0} (bool, (n, k)), in
    one pass over Z (n, k), which is left as it is (the channel sum in an order of the compiler's choosing)."""
    Z = np.ascontiguousarray(Z)
    mask, x = np.empty(Z.shape, np.bool_), np.empty(Z.shape[0], Z.dtype)
    _relu_output(Z, np.ascontiguousarray(bias), np.ascontiguousarray(v), mask, x, Z.dtype.type(1), Z.dtype.type(0))
    return x, mask


def fold(mean, sq, s, eps, scale, Ct, shift):
    """``(sd, α, W, Wa, bias)`` for the next layer, which reads the uncentred A: sd = √(Σc²/s + ε), α = γ/sd,
    W = Cᵀ diag α (with a zero column for a constant channel), bias = Cᵀ (β − α ∘ mean), so that
    A Wᵀ + bias = c (Cᵀ diag α)ᵀ + Cᵀ β for c = A − mean, and Wa = Cᵀ diag α with every column, the backward
    step's (Ct of shape (k_next, k); mean and Σc² as :func:`upsample_relu_moments` returns them; every result
    in scale's dtype)."""
    return _fold(mean, sq, s, eps, scale, np.ascontiguousarray(Ct), shift)


def layer_grads(g, gA, mean, alpha, shift, Ct, sd, gsum=None):
    """``(∂Cᵀ, ∂β, ∂γ, a, b)`` of one backward step from its cotangent g (s, k_next), gA = gᵀ A of the
    uncentred activations and their channel means (float64) (:meth:`DeepDecoder._backward`'s formulas with
    c = A − mean; the channel sums 1ᵀ g in float64, or ``gsum`` where the pass that wrote g summed them
    already: :func:`output_cotangent`), and a, b for the adjoint pass on A (:func:`backward_adjoint`)."""
    kn, k = Ct.shape
    out = np.empty((kn, k), gA.dtype), np.empty(k, gA.dtype), np.empty(k, gA.dtype)
    gsum = _constants(_F64)[2] if gsum is None else gsum
    a, b = _layer_grads(np.ascontiguousarray(g), gsum, gA, mean, alpha, shift, np.ascontiguousarray(Ct), sd, *out)
    return (*out, a, b)


def backward_adjoint(csr, n_in, g, W, A, a, b):
    """Uᵀ[1{A > 0} ∘ (g W − a ∘ A − b)], shape (n_in, k), for the activations A = ReLU(Z) of
    :func:`upsample_relu_moments` (1{A > 0} = 1{Z > 0}, the ReLU's mask): the channel normalisation's and the
    ReLU's backward steps and the adjoint upsampling in one pass (``a``, ``b`` of shape (k,) broadcast over
    rows; a W of one row makes g W the outer product g wᵀ, formed row by row)."""
    indptr, indices, data = csr
    out = np.empty((n_in, A.shape[1]), A.dtype)
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    one, zero, _ = _constants(A.dtype)
    if W.shape[0] == 1:
        _backward_adjoint_outer(indptr, indices, data, np.ascontiguousarray(g[:, 0]), np.ascontiguousarray(W[0]),
                                A, a, b, out, one, zero)
    else:
        _backward_adjoint(indptr, indices, data, g @ W, A, a, b, out, one, zero)
    return out


def output_cotangent(mask, r, v):
    """``(g, 1ᵀ g)``: g = 1{Z > 0} ∘ (r vᵀ), shape (n, k), the cotangent of Z + bias for the ``"fixed"``
    output, and its channel sums (float64, for :func:`layer_grads`), taken while g is written."""
    g = np.empty(mask.shape, v.dtype)
    return g, _output_cotangent(mask, r, v, g, g.dtype.type(1), g.dtype.type(0))


# ---------------------------------------------------------------------------
# what the two-layer generator's Fourier GD iterate calls (one block of channels, NumPy)
# ---------------------------------------------------------------------------
def relu_weighted_sum(Z, v, mask):
    """Σ_l v_l ReLU(Z_l) over the rows of Z (b, n), shape (n,), and the ReLU mask written into ``mask``
    (bool, (b, n)): the two-layer output's share of a block of channels, one pass over Z instead of three
    (mask, ReLU, matrix-vector product)."""
    part = np.empty(Z.shape[1], Z.dtype)
    _relu_weighted_sum(np.ascontiguousarray(Z), np.ascontiguousarray(v), mask, part)
    return part


def mask_rows(mask, r, out=None):
    """m_l ∘ r for every row m_l of ``mask`` (bool, (b, n)) and r (n,), shape (b, n) in r's dtype, into ``out``
    (a new array by default): the input of the two-layer VJP's FFT, without NumPy's conversion of the mask to
    floats on the way."""
    out = np.empty(mask.shape, r.dtype) if out is None else out
    _mask_rows(mask, np.ascontiguousarray(r), out)
    return out


def multiply_rows(a, b, out=None):
    """a ∘ b for b of shape (m, n) and a of shape (m, n) or (1, n), of one (complex) dtype, into ``out``
    (a new array by default): the spectra's products of the two-layer GD step (û · S before the inverse
    FFT, v_l conj(û) · F after the forward one), without NumPy's broadcasting machinery."""
    out = np.empty(b.shape, b.dtype) if out is None else out
    _multiply_rows(a, b, out)
    return out


def gradient_rows(v, a, F, out):
    """out = (v conj(a)) ∘ F row by row, for v (b,) real, a (1, n) and F (b, n) complex of one precision: the
    two-layer gradient's rows v_l conj(û) · rfft(m_l ∘ r) in the Fourier GD iterate, without reading a (b, n)
    array of the weights v_l conj(û) (one pass over memory less per step).  Returns ``out``."""
    _gradient_rows(np.ascontiguousarray(v), a, F, out)
    return out


def add_multiply_rows(s, alpha, d, a, out):
    """s ← s + α d in place, then out = a ∘ s for ``a`` of shape (1, n), in one pass over s (the two-layer GD
    update the iterate deferred, applied where the next step reads S for û · S).  The conditions of
    :func:`add_scaled`, with ``out`` C-contiguous of s's shape and dtype; else ``False`` (the caller runs the
    two steps)."""
    if not (s.flags.c_contiguous and d.flags.c_contiguous and out.flags.c_contiguous and d.dtype == s.dtype
            and out.dtype == s.dtype and a.dtype == s.dtype and s.ndim == 2 and d.shape == s.shape
            and out.shape == s.shape and np.result_type(alpha, d) == s.dtype):
        return False
    _add_multiply_rows(s, s.real.dtype.type(alpha), d, a, out)
    return True


def add_scaled(y, alpha, x):
    """y ← y + α x in place for C-contiguous y and x of one dtype, with α a Python or NumPy real whose product
    with x keeps that dtype (else ``False``: the caller runs ``y += alpha * x``).  One pass instead of two."""
    if not (y.flags.c_contiguous and x.flags.c_contiguous and x.dtype == y.dtype and y.ndim == 2
            and np.result_type(alpha, x) == y.dtype):
        return False
    _add_scaled(y, y.real.dtype.type(alpha), x)
    return True


# ---------------------------------------------------------------------------
# what the optimizers call (NumPy arrays of one dtype)
# ---------------------------------------------------------------------------
def adam_direction(m1, m2, grad, beta1, beta2, k, eps):
    """Adam's step k (:meth:`cstheory.optim.AdamState.step`) in one pass: ``(m₁', m₂', direction)``, new arrays,
    with m₁' = β₁ m₁ + (1 − β₁) g, m₂' = β₂ m₂ + (1 − β₂) g² and the direction (m₁' / (1 − β₁^k)) /
    (√(m₂' / (1 − β₂^k)) + ε) — the NumPy formulas' operations in their order, each scalar rounded to the arrays'
    dtype first as NumPy rounds a Python float against a float32 array: the same bits wherever the result is a
    number (a NaN may come out with another sign or payload: the compiler may swap the two terms of a sum).
    One pass for the formulas' twelve operations: for the 21,000 parameters of a k = 64, d = 5 deep decoder 21
    against 40 µs in float32 and 64 against 110 µs in float64 on the 2-vCPU development machine; about even at
    a few hundred entries.  NumPy's floating-point warnings (``numpy.errstate``) are not raised inside the pass.

    Returns ``None`` (the caller runs the NumPy formulas) unless m₁, m₂ and g are NumPy arrays of one shape and
    one dtype, float32 or float64, C-contiguous.
    """
    arrays = (m1, m2, grad)
    if not (all(type(x) is np.ndarray for x in arrays) and m1.dtype in (np.float32, np.float64)
            and all(x.dtype == m1.dtype and x.shape == m1.shape and x.flags.c_contiguous for x in arrays)):
        return None
    t = m1.dtype.type
    n1, n2, out = np.empty_like(m1), np.empty_like(m1), np.empty_like(m1)
    _adam_direction(m1.reshape(-1), m2.reshape(-1), grad.reshape(-1), t(beta1), t(1.0 - beta1), t(beta2),
                    t(1.0 - beta2), t(1.0 - beta1**k), t(1.0 - beta2**k), t(eps), n1.reshape(-1), n2.reshape(-1),
                    out.reshape(-1))
    return n1, n2, out
