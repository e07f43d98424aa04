"""The d-layer deep decoder of eq. (4), with backpropagation derived by hand (floor 3).

Architecture (Sec. 2, eq. 4; Heckel & Hand 2019).  The named building blocks below
take activations channel-first, ``(k, *spatial)``; in the notation of the paper
``B_i`` is the transpose, ``n_i × k``, which is how :class:`DeepDecoder`'s own
passes hold them (channels last).  With a fixed random input ``B_0`` (``k`` channels on
the coarsest grid ``n_0``) each of the ``d = layers`` hidden layers computes

    Y_i     = C_iᵀ B_i                (a 1×1 convolution: k×k channel mixing)
    Z_i     = U_i(Y_i)                (fixed linear/bilinear upsampling n_i → n_{i+1})
    A_i     = ReLU(Z_i)
    B_{i+1} = cn(A_i; γ_i, β_i)       (channel normalisation with learned scale/shift)

for i = 0, …, d−1, i.e. ``B_{i+1} = cn(ReLU(U_i B_i C_i))`` of eq. (4).  The
hidden grid sizes grow geometrically from ``n_0`` to the output size ``n_d = n``
(:func:`hidden_sizes`).  The output layer is one of

* ``output="fixed"`` — the theory's form of eq. (4): x = ReLU(B_d C_d) v with
  v = [+1, …, +1, −1, …, −1]/√k fixed (k even).  The last fixed operator ``U``
  of eq. (4) is the final upsampling U_{d−1}, already applied inside B_d.
  Used for Fig. 4.
* ``output="conv"`` — the original deep decoder: x = C_dᵀ B_d, a learned 1×1
  convolution from k channels to ``out_channels``, optionally followed by a
  sigmoid (``sigmoid=True``, for images in [0, 1]).  Used for Fig. 1.

The gradient (eq. 14 needs J(θ)ᵀ r) is backpropagation through these maps,
each written out below as a small named function with its own test:
:func:`mix_backward` (1×1 convolution), :func:`upsample_adjoint` (Uᵀ),
:func:`relu_backward` (the ReLU mask), :func:`channel_norm_backward`, and
:func:`sigmoid_backward`.  The forward-mode derivatives (JVP) use the same
pieces: the ReLU and the normalisation are self-adjoint in their input.
:class:`DeepDecoder`'s forward and backward passes (the gradient-descent hot path) compute
the same maps with four shortcuts — the activations are held channels last, each channel
normalisation, affine in every channel, is folded into the next 1×1 convolution (see
:meth:`DeepDecoder._forward`), the upsampling is one sparse product with the Kronecker
product of its interpolation matrices (:class:`Upsampling`, from :mod:`cstheory.upsampling`), and
with NumPy each layer's elementwise steps run fused in compiled loops (:mod:`cstheory._fused`,
Numba; ``fused=False`` turns them off) — and tests pin them to the plain composition of the
functions above.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.special

from . import _checks
from ._backend import as_generator, asarray, backend_name, dtype_name, is_numpy, itemsize, namespace, resolve
from .generator import DEFAULT_MAX_JACOBIAN_BYTES, Generator
from .upsampling import Upsampling, interpolation_matrix, upsample, upsample_adjoint

__all__ = [
    "DeepDecoder", "OUTPUTS", "CN_EPS",
    "hidden_sizes", "interpolation_matrix", "upsample", "upsample_adjoint", "Upsampling",
    "mix", "mix_backward", "relu", "relu_mask", "relu_backward",
    "channel_norm", "channel_norm_jvp", "channel_norm_backward",
    "sigmoid", "sigmoid_backward",
]

#: output layers: the fixed v of eq. (4), or a learned 1×1 convolution (original deep decoder)
OUTPUTS = ("fixed", "conv")
#: ε of the channel normalisation: (a − mean) / √(var + ε)
CN_EPS = 1e-5
#: working memory for one chunk of the batched backward pass used by :meth:`DeepDecoder.jacobian`
_CHUNK_BYTES = 128 * 1024**2


# ---------------------------------------------------------------------------
# sizes (the upsampling operators are in upsampling.py)
# ---------------------------------------------------------------------------
def hidden_sizes(output_shape, layers, input_size=None):
    """Spatial grid sizes n_0, n_1, …, n_d (d = ``layers``) growing geometrically to the output.

    Per axis of length n: ``n_0 = input_size`` (default ``min(n, max(4, ⌈n / 2^d⌉))``)
    and ``n_i = round(n_0 (n / n_0)^{i/d})``, so ``n_d = n``.  For n = 512 and d = 4
    this is 32, 64, 128, 256, 512 (factor-2 upsampling, as in the original deep decoder).

    Returns
    -------
    list of tuple
        ``layers + 1`` spatial shapes.
    """
    output_shape = _checks.shape_tuple(output_shape, "output_shape", lengths=(1, 2))
    layers = _checks.positive_int(layers, "layers")
    if input_size is None:
        starts = [min(n, max(4, math.ceil(n / 2**min(layers, 64)))) for n in output_shape]
    else:
        if isinstance(input_size, (tuple, list)):
            starts = list(_checks.shape_tuple(input_size, "input_size", lengths=(len(output_shape),)))
        else:
            starts = [_checks.positive_int(input_size, "input_size")] * len(output_shape)
        for s, n in zip(starts, output_shape):
            if s > n:
                raise ValueError(f"input_size must not exceed the output size {output_shape}, got {input_size!r}")
    sizes = []
    for i in range(layers + 1):
        sizes.append(tuple(int(round(s * (n / s) ** (i / layers))) for s, n in zip(starts, output_shape)))
    sizes[-1] = output_shape
    return sizes


# ---------------------------------------------------------------------------
# 1×1 convolution (channel mixing), ReLU, sigmoid
# ---------------------------------------------------------------------------
def mix(Ct, x):
    """Cᵀ x: the 1×1 convolution mixing channels; ``Ct`` is (k_out, k_in), x is (..., k_in, s)."""
    return Ct @ x


def mix_backward(Ct, x, g):
    """Backward step of y = Cᵀ x for a cotangent g = ∂L/∂y, shape (..., k_out, s).

    Returns ``(dCt, dx)`` with ``dCt = g xᵀ`` (= (∂L/∂C)ᵀ, shape (..., k_out, k_in))
    and ``dx = C g``.
    """
    xp = namespace(Ct, x, g)
    Ct_T = xp.matrix_transpose(Ct)
    # one output channel (the image layer): Cg is an outer product, a broadcast beats a K = 1 GEMM
    dx = Ct_T * g if Ct.shape[-2] == 1 else Ct_T @ g
    return g @ xp.matrix_transpose(x), dx


def relu(z):
    """max(z, 0)."""
    return namespace(z).maximum(z, 0.0)


def relu_mask(z):
    """The derivative of ReLU at z as a 0/1 array of z's dtype (0 at the kink z = 0)."""
    xp = namespace(z)
    return xp.astype(z > 0, z.dtype)


def relu_backward(g, z):
    """Backward (and forward-mode) step of a = ReLU(z): g ⊙ 1{z > 0}."""
    return g * relu_mask(z)


def sigmoid(z):
    """1 / (1 + e^{−z}), evaluated without overflow for either sign of z.

    NumPy arrays go through SciPy's ``expit``: one pass over z (the formula below, nine passes, took 2.4× its
    time on a 4096-pixel float32 output), within 2.5 ulp of the exact value where σ(z) is a normal number (the
    formula: 3.3), and 0 where σ(z) would be subnormal, z below about −88.7 (float32) or −709.8 (float64): an
    error under the smallest normal number, where the formula keeps the subnormal.  Every other namespace
    evaluates e = e^{−|z|} and takes 1/(1 + e) where z ≥ 0 and e/(1 + e) where z < 0."""
    xp = namespace(z)
    if is_numpy(xp):
        return scipy.special.expit(z)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(g, s):
    """Backward step of s = sigmoid(z) given the output s: g ⊙ s (1 − s)."""
    return g * s * (1.0 - s)


# ---------------------------------------------------------------------------
# channel normalisation
# ---------------------------------------------------------------------------
def channel_norm(a, scale, shift, eps=CN_EPS):
    """cn(a): per channel, subtract the spatial mean, divide by √(biased variance + ε), scale and shift.

    Parameters
    ----------
    a : array (..., k, s)
        Channels along axis −2, (flattened) space along the last axis.
    scale, shift : arrays (k,)
        The learned γ and β.

    Returns
    -------
    out, z, sd : arrays
        ``out = γ z + β`` with ``z = (a − μ)/sd``, ``sd = √(var + ε)`` of shape (..., k, 1);
        ``z`` and ``sd`` are what the derivatives need.
    """
    xp = namespace(a, scale, shift)
    c = a - xp.mean(a, axis=-1, keepdims=True)
    sd = xp.sqrt(xp.vecdot(c, c, axis=-1)[..., None] / a.shape[-1] + eps)
    z = c * (1.0 / sd)
    return z * scale[:, None] + shift[:, None], z, sd


def _cn_project(d, z, sd):
    """(d − mean(d) − z · mean(z d)) / sd: the derivative of z = (a − μ)/sd, a symmetric map."""
    xp = namespace(d, z)
    return (d - xp.mean(d, axis=-1, keepdims=True) - z * xp.mean(z * d, axis=-1, keepdims=True)) / sd


def channel_norm_jvp(da, dscale, dshift, z, sd, scale):
    """Forward-mode derivative of :func:`channel_norm`: d(out) = γ ∂z[da] + dγ z + dβ.

    With z = (a − μ)/sd and sd² = mean((a − μ)²) + ε one has
    ∂z[da] = (da − mean(da) − z · mean(z · da)) / sd.
    """
    xp = namespace(da, z)
    out = xp.expand_dims(scale, axis=-1) * _cn_project(da, z, sd)
    if dscale is not None:
        out = out + xp.expand_dims(dscale, axis=-1) * z + xp.expand_dims(dshift, axis=-1)
    return out


def channel_norm_backward(g, z, sd, scale):
    """Backward step of :func:`channel_norm` for a cotangent g = ∂L/∂out, shape (..., k, s).

    Returns ``(da, dscale, dshift)``: ``dscale = Σ_s g z``, ``dshift = Σ_s g``, and,
    since ∂z is symmetric, ``da = (γg − mean(γg) − z · mean(z γg)) / sd``.
    """
    xp = namespace(g, z)
    s = g.shape[-1]
    dscale = xp.vecdot(g, z, axis=-1)
    dshift = xp.sum(g, axis=-1)
    alpha = scale / sd[..., 0]                       # γ / sd per channel
    da = alpha[..., None] * g - (alpha * dscale / s)[..., None] * z - (alpha * dshift / s)[..., None]
    return da, dscale, dshift


#: rows per block of :class:`_RowSum`; float32, 16384 × 64 values ≈ 3.5, one thread: a single product 87 µs
#: and 1.6e-6 relative error, blocks of 128 rows 108 µs and 1.8e-7 (float64: 211 and 185 µs)
SUM_BLOCK = 128


class _RowSum:
    """1ᵀ X, the sum over the rows of X of shape (..., s, k) (a channel sum of channels-last activations).

    One matrix-vector product adds the s rows in about one sequence, its float32 rounding growing with s
    (at 128² pixels the variances came out 6e-6 off, 2e-3 in the gradient after the normalisation's
    backward step); summed in blocks of :data:`SUM_BLOCK` rows (one batched product), then the block sums,
    the error grows with SUM_BLOCK + s / SUM_BLOCK.  Only ``reshape`` and ``matmul``: any backend.
    """

    def __init__(self, s, xp, dtype, device):
        self.s, (self.q, self.r) = s, divmod(s, SUM_BLOCK)
        ones = lambda n: xp.ones(n, dtype=dtype, device=device) if n else None  # noqa: E731
        self.xp, self.block, self.outer, self.rest = xp, ones(SUM_BLOCK if self.q else 0), ones(self.q), ones(self.r)

    def __call__(self, X):
        q, b, lead, k = self.q, SUM_BLOCK, X.shape[:-2], X.shape[-1]
        head = self.outer @ (self.block @ self.xp.reshape(X[..., :q * b, :], (*lead, q, b, k))) if q else None
        rest = self.rest @ X[..., q * b:, :] if self.r else None
        return rest if head is None else head if rest is None else head + rest


def _vecmat(xp, v, M):
    """vᵀ M for v of shape (..., m) and M (m, k): shape (..., k)."""
    return xp.squeeze(xp.expand_dims(v, axis=-2) @ M, axis=-2)


# ---------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------
class DeepDecoder(Generator):
    """The d-layer deep decoder G(θ) of eq. (4), 1-D or 2-D, with hand-derived JVP/VJP.

    Parameters
    ----------
    output_shape : (n,) or (h, w)
        Spatial shape of the generated signal (an int n means (n,)).
    channels : int
        k, the number of channels of every hidden layer (even for ``output="fixed"``).
    layers : int
        d ≥ 1, the number of hidden layers (1×1 convolution, upsampling, ReLU,
        channel normalisation); the output layer comes on top, so there are
        d + 1 weight matrices C_0, …, C_d.  Fig. 4 uses d = 4, Fig. 1 d = 5.
    output : {"fixed", "conv"}
        ``"fixed"``: x = ReLU(B_d C_d) v with the fixed v = [+1…, −1…]/√k of eq. (4)
        (the theory's form; Fig. 4).  ``"conv"``: x = C_dᵀ B_d, a learned 1×1
        convolution to ``out_channels`` channels (the original deep decoder;
        images, Fig. 1), followed by a sigmoid if ``sigmoid=True``.
    sigmoid : bool
        Squash a ``"conv"`` output into (0, 1) (for images in [0, 1]).
    out_channels : int
        Output channels of ``"conv"``; with more than one, ``output_shape``
        becomes ``(out_channels, *spatial)``.
    input_size : int or tuple, optional
        Per-axis size n_0 of the random input B_0 (default: see :func:`hidden_sizes`).
    rng : int or numpy.random.Generator
        Seed of the fixed input B_0 (iid N(0, 1) entries, shape ``(k, *n_0)``; full row rank
        as Sec. 2 assumes when n_0 ≤ k).
    eps : float
        ε of the channel normalisation (default 1e-5, as in batch normalisation).
    xp, dtype, device
        Backend of the parameters and outputs (default NumPy, float64).
    fused : bool, optional
        ``None`` (default): with NumPy, when Numba imports, the forward and backward passes run the
        elementwise steps of each layer fused into single loops (:mod:`cstheory._fused`: the same
        maths, equal to the last digits, about 0.4–0.7× the time of the separate NumPy passes); otherwise the array-API
        passes.  ``False`` forces the array-API passes; ``True`` needs NumPy and Numba.

    Notes
    -----
    Parameters θ are ONE flat array of length N (``param_shape = (N,)``):
    ``θ = [vec C_0, γ_0, β_0, vec C_1, γ_1, β_1, …, vec C_{d−1}, γ_{d−1}, β_{d−1}, vec C_d]``
    where vec stacks the columns of C (eq. 20's convention) and C_i is
    (k_in × k_out) acting as ``B_i C_i``.  :meth:`unpack` and :meth:`pack`
    convert between θ and the named pieces.  θ is one-dimensional, so it is its
    own vec (``flatten``/``unflatten`` of the generator contract are the identity).

    Examples
    --------
    >>> import cstheory as cst
    >>> gen = cst.DeepDecoder((16, 16), channels=8, layers=3, output="conv", sigmoid=True)
    >>> theta = gen.init(rng=0)
    >>> gen(theta).shape
    (16, 16)
    >>> import numpy as np
    >>> t, r = gen.init(rng=1), np.random.default_rng(2).standard_normal((16, 16))
    >>> print(abs(float(np.sum(r * gen.jvp(theta, t)) - gen.vjp(theta, r) @ t)) < 1e-10)   # adjoint pair
    True
    >>> print(gen.num_params, gen.sizes)      # N, and the grids n_0 … n_d
    248 [(4, 4), (6, 6), (10, 10), (16, 16)]
    >>> gen
    DeepDecoder(output_shape=(16, 16), channels=8, layers=3, output='conv', sigmoid=True, N=248, dtype=float64, backend=numpy)
    """

    #: the upsampling and the fixed weights hold one dtype: θ, tangents and cotangents must have it
    strict_dtype = True

    def __init__(self, output_shape, channels, layers, output="fixed", sigmoid=False, out_channels=1,
                 input_size=None, rng=0, eps=CN_EPS, xp=None, dtype=None, device=None, fused=None):
        spatial = _checks.shape_tuple(output_shape, "output_shape", lengths=(1, 2))
        self.channels = k = _checks.positive_int(channels, "channels")
        self.layers = d = _checks.positive_int(layers, "layers")
        _checks.choice(output, OUTPUTS, "output")
        if output == "fixed" and k % 2:
            raise ValueError(f"channels must be even for output='fixed' (v = [+1…, −1…]/√k), got {k}")
        sigmoid = _checks.flag(sigmoid, "sigmoid")
        if sigmoid and output != "conv":
            raise ValueError("sigmoid=True needs output='conv'")
        out_channels = _checks.positive_int(out_channels, "out_channels")
        if out_channels != 1 and output != "conv":
            raise ValueError("out_channels > 1 needs output='conv'")
        host_rng = as_generator(rng)
        self.output = output
        self.sigmoid = sigmoid
        self.out_channels = out_channels
        self.eps = _checks.positive_float(eps, "eps")
        self.spatial_shape = spatial
        self.output_shape = spatial if out_channels == 1 else (out_channels, *spatial)
        self.xp, self.dtype, self.device = resolve(xp, dtype, device)
        k_out = k if output == "fixed" else out_channels
        n = math.prod(spatial)
        # a lower bound first (parameters and the smallest activations), so that absurd sizes are refused
        # before the grid sizes are even listed; then the estimate from the actual sizes
        what = (f"DeepDecoder(output_shape={output_shape!r}, channels={k}, layers={d}, out_channels={out_channels})")
        _checks.memory(_checks.nbytes((d, k * k + 2 * k), (k, k_out), (d, k), (k_out, n)), what + ": the parameters")
        self.sizes = hidden_sizes(spatial, d, input_size)
        per_sample = sum(math.prod(sz) for sz in self.sizes)
        mats = sum(a * b for i in range(d) for a, b in zip(self.sizes[i], self.sizes[i + 1]))
        _checks.memory(_checks.nbytes((d, k * k + 2 * k), (k, per_sample), (k, per_sample), (k, per_sample),
                                      (k, per_sample), (mats,), (k_out, n)),
                       what + ": parameters, the fixed input and upsampling, and the activations of one pass")

        # fixed pieces, moved once: B_0 and the U_i channels first (jvp's plain composition), last (fast passes), v
        host = host_rng.standard_normal((k, *self.sizes[0]))
        self.input = self._to(host)
        self._input_last = self._to(np.ascontiguousarray(host.reshape(k, -1).T))     # B_0 as (n_0, k)
        self._mats = [tuple(self._to(interpolation_matrix(a, b)) for a, b in zip(self.sizes[i], self.sizes[i + 1]))
                      for i in range(d)]
        self._up = [Upsampling(self.sizes[i], self.sizes[i + 1], self.xp, self.dtype, self.device) for i in range(d)]
        from . import _fused                       # here, not above: Numba is imported by the first decoder
        self.fused = _fused.usable(self.xp, fused)
        self._kernels = _fused if self.fused else None
        # channel sums over each grid, 1ᵀ Z, in blocks of rows (float32 accuracy)
        self._sum = {s: _RowSum(s, self.xp, self.dtype, self.device) for s in {math.prod(sz) for sz in self.sizes[1:]}}
        if output == "fixed":
            self.v = self._to(np.concatenate([np.ones(k // 2), -np.ones(k // 2)]) / math.sqrt(k))
        else:
            self.v = None

        # offsets of the pieces in θ
        self._k_out = k if output == "fixed" else out_channels
        self._slices = []
        pos = 0
        for _ in range(d):
            self._slices.append((pos, pos + k * k, pos + k * k + k, pos + k * k + 2 * k))
            pos += k * k + 2 * k
        self._out_slice = (pos, pos + k * self._k_out)
        self.param_shape = (pos + k * self._k_out,)

    def _to(self, host):
        return asarray(host, xp=self.xp, dtype=self.dtype, device=self.device)

    def __repr__(self):
        return (f"DeepDecoder(output_shape={self.output_shape}, channels={self.channels}, layers={self.layers}, "
                f"output={self.output!r}, sigmoid={self.sigmoid}, N={self.num_params}, "
                f"dtype={dtype_name(self.dtype)}, backend={backend_name(self.xp)})")

    # -- parameters ----------------------------------------------------
    def unpack(self, params):
        """θ → ``{"C": [C_0, …, C_d], "scale": [γ_0, …], "shift": [β_0, …]}``, the named pieces.

        C_i is (k × k) for i < d and (k × k_out) for the output layer (k_out = k for
        ``"fixed"``, ``out_channels`` for ``"conv"``); γ_i, β_i have length k.
        """
        p = self.check_params(params)
        xp = self.xp
        Cts, scales, shifts = self._pieces(p)
        return {"C": [xp.matrix_transpose(Ct) for Ct in Cts], "scale": scales, "shift": shifts}

    def pack(self, C, scale, shift):
        """Inverse of :meth:`unpack`: stack vec(C_i) (column by column), γ_i, β_i into θ."""
        xp = self.xp
        for value, label, count in ((C, "C", self.layers + 1), (scale, "scale", self.layers),
                                    (shift, "shift", self.layers)):
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{label} must be a list of {count} arrays, got {type(value).__name__}")
            if len(value) != count:
                raise ValueError(f"pack needs {self.layers + 1} matrices C and {self.layers} scales and shifts; "
                                 f"{label} has {len(value)} entries")
        k = self.channels
        parts = []
        for i in range(self.layers + 1):
            want = (k, k) if i < self.layers else (k, self._k_out)
            pieces = [(C[i], f"C[{i}]", want)]
            if i < self.layers:
                pieces += [(scale[i], f"scale[{i}]", (k,)), (shift[i], f"shift[{i}]", (k,))]
            for arr, label, shape in pieces:
                _checks.array(arr, label, ndim=len(shape))
                _checks.shape(arr, shape, label)
                self._check_backend(arr, label)
            parts.append(xp.reshape(xp.matrix_transpose(C[i]), (-1,)))
            if i < self.layers:
                parts += [scale[i], shift[i]]
        return xp.concat(parts)

    def _pieces(self, p):
        """Views of θ (or of a tangent): the transposed weights Cᵢᵀ, the scales and the shifts."""
        xp = self.xp
        k = self.channels
        Cts, scales, shifts = [], [], []
        for a, b, c, e in self._slices:
            Cts.append(xp.reshape(p[a:b], (k, k)))
            scales.append(p[b:c])
            shifts.append(p[c:e])
        a, b = self._out_slice
        Cts.append(xp.reshape(p[a:b], (self._k_out, k)))
        return Cts, scales, shifts

    def init(self, rng=0, scale=None, y=None):
        """θ₀: every C_i with iid N(0, scale²) entries, γ_i = 1, β_i = 0.

        The default ``scale = 1/√k`` makes each 1×1 convolution preserve the
        variance of unit-variance channels (the role of PyTorch's default
        initialisation), so the output starts with entries of order one.
        ``y`` is accepted for protocol compatibility and ignored.
        """
        host_rng = as_generator(rng)
        scale = 1.0 / math.sqrt(self.channels) if scale is None else _checks.positive_float(scale, "scale")
        if y is not None:
            _checks.array(y, "y")
        k = self.channels
        host = []
        for _ in range(self.layers):
            host += [host_rng.standard_normal(k * k) * scale, np.ones(k), np.zeros(k)]
        host.append(host_rng.standard_normal(k * self._k_out) * scale)
        return self._to(np.concatenate(host))

    # -- forward -------------------------------------------------------
    def _spatial(self, x, i):
        """(..., k, s) → (..., k, *n_i)."""
        return self.xp.reshape(x, (*x.shape[:-1], *self.sizes[i]))

    def _flat_space(self, x):
        """(..., k, *n_i) → (..., k, s)."""
        nd = len(self.spatial_shape)
        return self.xp.reshape(x, (*x.shape[:-nd], -1))

    def _forward(self, params):
        """x = G(θ) and the cache of activations that the derivatives reuse.

        Layer i computes Y_i = C_iᵀ B_i (:func:`mix`), Z_i = U_i Y_i (:func:`upsample`),
        A_i = ReLU(Z_i) and B_{i+1} = cn(A_i) (:func:`channel_norm`).  The activations are held
        **channels last**, ``(n_i, k)`` (the transposes of the channels-first arrays of the named
        steps), so that the upsampling is one sparse product over rows of k contiguous channels
        (:class:`Upsampling`) and the 1×1 convolutions are plain matrix products ``X C_i``.  The
        channel normalisation is affine in each channel, B_{i+1} = α_i ∘ c_i + β_i with the centred
        c_i = A_i − mean(A_i) and α_i = γ_i / √(var(A_i) + ε), so B_{i+1} is never formed: the next
        1×1 convolution absorbs it,

            C_{i+1}ᵀ B_{i+1} = (C_{i+1}ᵀ diag α_i) c_i + C_{i+1}ᵀ β_i,

        a k × k rescaling of the weights instead of passes over the activations (the backward pass
        uses the same identity).  The ReLU and the centring run in place on the upsampled array
        (one buffer per layer), the channel sums are products with vectors of ones (:class:`_RowSum`), and for
        ``"fixed"`` the output's ReLU mask is kept for the backward pass.  The fused loops
        (:mod:`cstheory._fused`) do not centre at all: they keep A_i and its mean μ_i and fold the mean
        into the bias, (C_{i+1}ᵀ diag α_i) A_i + C_{i+1}ᵀ (β_i − α_i ∘ μ_i), one pass over the activations
        less (the backward pass corrects gᵀ A_i by (1ᵀ g) μ_iᵀ in the same way).  A test pins both passes
        to the plain composition of the named steps.
        """
        xp = self.xp
        Cts, scales, shifts = self._pieces(params)
        X = self._input_last                       # B_0 as (n_0, k); later c_{i-1}, with B_i = α c + β
        W, bias = Cts[0], None                     # C_iᵀ with the previous normalisation folded in
        cache = []
        for i in range(self.layers):
            Y = X @ W.T                                                 # Y_iᵀ = B_iᵀ C_i, (n_i, k)
            s = self._up[i].size_out
            mean = Wa = None                                            # c centred (None), or c = A and its mean
            if self._kernels is not None:                               # the fused loops (same maths; Y += bias there)
                c, mean, sd, alpha, W, Wa, bias = self._kernels.layer_forward(    # c = A, mask A > 0, Wa = Cᵀ diag α
                    self._up[i].csr, Y, bias, self.eps, scales[i], Cts[i + 1], shifts[i])
                mask = None
            else:
                if bias is not None:
                    Y += bias
                c = self._up[i](Y)                                      # Z_iᵀ = U_i Y_iᵀ, (n_{i+1}, k)
                mask = relu_mask(c)
                c *= mask                                               # A_i = ReLU(Z_i), in place
                c -= self._sum[s](c) / s                                # c_i = A_i − mean, in place
                sd = xp.sqrt(self._sum[s](c * c) / s + self.eps)
                alpha = scales[i] / sd
                W, bias = Cts[i + 1] * alpha, Cts[i + 1] @ shifts[i]    # fold cn into C_{i+1}ᵀ
            cache.append((mask, c, sd, alpha, mean, Wa))
            X = c
        Zout = X @ W.T                                                  # (C_dᵀ B_d)ᵀ without β, (n, k_out)
        if self.output == "fixed" and self._kernels is not None:
            x, mask = self._kernels.relu_output(Zout, bias, self.v)
            cache.append((mask, x))
        elif self.output == "fixed":
            Zout += bias
            mask = relu_mask(Zout)                    # ReLU'(Z_d): kept for the backward pass
            x = (Zout * mask) @ self.v                # (n,)
            cache.append((mask, x))
        else:
            Zout += bias
            x = sigmoid(Zout) if self.sigmoid else Zout   # (n, k_out)
            cache.append((Zout, x))
            x = x if self._k_out == 1 else xp.matrix_transpose(x)
        return xp.reshape(x, self.output_shape), (Cts, shifts, cache)

    def forward(self, params):
        """G(θ), shape ``output_shape``."""
        x, _ = self._forward(self.check_params(params))
        return x

    # -- derivatives ---------------------------------------------------
    def _backward(self, state, r):
        """J(θ)ᵀ r by backpropagation; r has shape (..., n) with any leading batch axes.

        Returns the gradient with shape (..., N).  Going down from the output, g = ∂L/∂Y_{i+1} for
        the convolution Y_{i+1} = C_{i+1}ᵀ B_{i+1} with B_{i+1} = α_i ∘ c_i + β_i; with g_B = C_{i+1} g
        the steps of :func:`mix_backward` and :func:`channel_norm_backward` read, in the channels-first
        notation of those functions,

            ∂C_{i+1}ᵀ = g B_{i+1}ᵀ = (g c_iᵀ) diag α_i + (g 1) β_iᵀ,
            ∂β_i = Σ_s g_B = C_{i+1} (g 1),    ∂γ_i = Σ_s g_B ∘ z_i = diag(C_{i+1} g c_iᵀ) / sd_i,
            ∂A_i = α_i ∘ (g_B − mean(g_B) − z_i mean(z_i g_B))
                 = (C_{i+1}ᵀ diag α_i)ᵀ g − α_i ∂γ_i / (s sd_i) ∘ c_i − α_i ∂β_i / s,

        then :func:`relu_backward` (the cached mask; the fused loops take it as A_i > 0) and the adjoint upsampling
        (:meth:`Upsampling.adjoint`) give ∂L/∂Y_i.  The code holds the transposes, channels last like
        the activations (:meth:`_forward`): g of shape (..., n_{i+1}, k_{i+1}) (k_out channels at the top),
        so ``g cᵀ`` is computed as ``gᵀ c``, ``g 1`` as ``1ᵀ g`` (:class:`_RowSum`) and ``C g`` as ``g C``.
        """
        xp = self.xp
        Cts, shifts, cache = state
        out, x = cache[-1]                            # "fixed": the output's ReLU mask; "conv": Z_d
        batch = r.shape[:-1]
        gsum = None                                   # 1ᵀ g, where the fused output step sums it on the way
        if self.output == "fixed" and self._kernels is not None and r.ndim == 1:
            g, gsum = self._kernels.output_cotangent(out, r, self.v)
        elif self.output == "fixed":
            g = out * xp.expand_dims(r, axis=-1)                        # (..., n, k): 1{Z_d > 0} ∘ r
            g *= self.v                                                 # ∘ v, in place
        else:
            g = xp.matrix_transpose(xp.reshape(r, (*batch, self._k_out, -1)))   # (..., n, k_out)
            if self.sigmoid:
                g = sigmoid_backward(g, x)
        grads = []
        fused = self._kernels is not None and g.ndim == 2
        if fused:                                     # the fused loops write ∂θ's pieces into it in place
            grad, parts = np.empty(self.num_params, g.dtype), self._slices + [self._out_slice]
        for i in range(self.layers - 1, -1, -1):
            mask, c, sd, alpha, mean, Wa = cache[i]
            Ct, s = Cts[i + 1], c.shape[0]
            if mean is not None and not fused:                         # a batch on the fused forward pass's A
                c, mask = c - mean.astype(c.dtype), c > 0
            if fused:                                                  # the fused loops (same maths, c = A − mean)
                at_C, at_scale, at_shift, end = parts[i + 1][0], *parts[i][1:]   # ∂C_{i+1}ᵀ, ∂γ_i, ∂β_i in ∂θ
                out = grad[at_C:at_C + Ct.size].reshape(Ct.shape), grad[at_shift:end], grad[at_scale:at_shift]
                g, *_ = self._kernels.layer_backward(self._up[i].csr, self._up[i].size_in, g, c, Wa, mean, alpha,
                                                     shifts[i], Ct, sd, gsum, out)
                gsum = None
            else:
                gc = xp.matrix_transpose(g) @ c                        # (..., k_next, k)
                gsum = self._sum[s](g)                                 # (..., k_next)
                dCt = gc * alpha + gsum[..., None] * shifts[i]         # ∂C_{i+1}ᵀ
                dshift = _vecmat(xp, gsum, Ct)                         # ∂β_i
                dscale = xp.sum(Ct * gc, axis=-2) / sd                 # ∂γ_i
                W, a, b = Ct * alpha, alpha * dscale / (s * sd), alpha * dshift / s
                dA = g * W if Ct.shape[0] == 1 else g @ W              # α ∘ C_{i+1} g (outer product for 1 channel)
                dA -= a[..., None, :] * c                              # − α ∂γ/(s sd) ∘ c, in place
                dA -= b[..., None, :]                                  # − α ∂β/s
                dA *= mask                                             # ReLU'(Z_i)
                g = self._up[i].adjoint(dA)                            # (..., n_i, k)
                grads += [xp.reshape(dCt, (*batch, -1)), dshift, dscale]
        if fused:
            k = self.channels
            np.matmul(g.T, self._input_last, out=grad[parts[0][0]:parts[0][0] + k * k].reshape(k, k))   # ∂C_0ᵀ
            return grad
        grads.append(xp.reshape(xp.matrix_transpose(g) @ self._input_last, (*batch, -1)))   # ∂C_0ᵀ
        return xp.concat(grads[::-1], axis=-1)

    def _flat_cotangent(self, cotangent, finite=True):
        return self.xp.reshape(self.check_cotangent(cotangent, finite=finite), (self.n,))

    def vjp(self, params, cotangent):
        """J(θ)ᵀ r (hand-derived backpropagation); r of shape ``output_shape`` (or flat (n,)); returns (N,)."""
        _, state = self._forward(self.check_params(params))
        return self._backward(state, self._flat_cotangent(cotangent))

    def forward_vjp(self, params):
        """``(G(θ), r ↦ J(θ)ᵀ r)`` from one forward pass whose activations are cached (the GD hot path)."""
        return self._forward_vjp(self.check_params(params), finite=True)

    def _forward_vjp(self, params, finite=False):
        """:meth:`forward_vjp` for an optimizer's iterate: θ not checked again, r's finiteness only where
        ``finite`` (:meth:`Generator._forward_vjp`)."""
        x, state = self._forward(params)
        return x, lambda r: self._backward(state, self._flat_cotangent(r, finite=finite))

    def jvp(self, params, tangent):
        """J(θ) t by forward-mode differentiation alongside the forward pass; shape ``output_shape``."""
        xp = self.xp
        params = self.check_params(params)
        tangent = self.check_params(tangent, "tangent")
        Cts, scales, shifts = self._pieces(params)
        dCts, dscales, dshifts = self._pieces(tangent)
        B = xp.reshape(self.input, (self.channels, -1))
        dB = None
        for i in range(self.layers):
            Y = mix(Cts[i], B)
            dY = mix(dCts[i], B) if dB is None else mix(dCts[i], B) + mix(Cts[i], dB)
            Z = self._flat_space(upsample(self._spatial(Y, i), self._mats[i]))
            dZ = self._flat_space(upsample(self._spatial(dY, i), self._mats[i]))
            B, z, sd = channel_norm(relu(Z), scales[i], shifts[i], self.eps)
            dB = channel_norm_jvp(relu_backward(dZ, Z), dscales[i], dshifts[i], z, sd, scales[i])
        Zout = mix(Cts[-1], B)
        dZout = mix(dCts[-1], B) + mix(Cts[-1], dB)
        if self.output == "fixed":
            dx = self.v @ relu_backward(dZout, Zout)
        elif self.sigmoid:
            dx = sigmoid_backward(dZout, sigmoid(Zout))
        else:
            dx = dZout
        return xp.reshape(dx, self.output_shape)

    def jacobian(self, params, max_bytes=DEFAULT_MAX_JACOBIAN_BYTES):
        """Explicit Jacobian (n × N): row i is J(θ)ᵀ e_i, from a batched backward pass.

        One forward pass, then backpropagation of chunks of unit cotangents
        e_i at once (n VJPs in total instead of N JVPs; N ≫ n for an
        over-parameterised decoder).  Columns follow the order of θ (see
        :meth:`unpack`).  Refused above ``max_bytes``.
        """
        xp = self.xp
        params = self.check_params(params)
        self._check_jacobian_size(max_bytes)
        _, state = self._forward(params)
        n = self.n
        nbytes = itemsize(self.dtype)
        per_row = nbytes * (4 * self.channels * self.n // max(self.out_channels, 1) + 2 * self.num_params)
        chunk = max(1, min(n, int(min(_CHUNK_BYTES, max_bytes) // per_row)))
        rows = []
        for a in range(0, n, chunk):
            b = min(n, a + chunk)
            E = xp.eye(b - a, n, k=a, dtype=self.dtype, device=self.device)
            rows.append(self._backward(state, E))
        return xp.concat(rows, axis=0)

    def gram(self, params, max_bytes=DEFAULT_MAX_JACOBIAN_BYTES):
        """J(θ) J(θ)ᵀ (n × n), through the batched-backward Jacobian (small sizes)."""
        J = self.jacobian(params, max_bytes=max_bytes)
        return J @ self.xp.matrix_transpose(J)
