"""The two-layer convolutional generator G(C) = ReLU(U C) v of eq. (3), with hand-derived derivatives.

Notation (Sec. 2, App. B): u ∈ R^n is a fixed kernel and U its circulant
matrix (U x = u ⊛ x, see :mod:`cstheory.kernels`); C = [c_1, …, c_k] ∈ R^{n×k}
are the trainable coefficients; v = [1, …, 1, −1, …, −1]/√k is fixed.  With
the ReLU mask M = 1(U C > 0) ∈ {0, 1}^{n×k} (we take ReLU'(0) = 0):

* forward     G(C) = ReLU(U C) v
* JVP         J_G(C) T = (M ∘ (U T)) v
* VJP         J_G(C)ᵀ r = Uᵀ[(r vᵀ) ∘ M]                    (the gradient's core)
* Jacobian    J_G(C) = [v_1 diag(m_1) U, …, v_k diag(m_k) U] ∈ R^{n×nk}   (eq. 20, transposed)
* Gram        J_G J_Gᵀ = (U Uᵀ) ∘ (M diag(v²) Mᵀ) = (U Uᵀ) ∘ (M Mᵀ)/k

Parameters are vectorised column by column, θ = [c_1; …; c_k], as in eq. (20).
Products with U and Uᵀ are circular convolutions/correlations by real FFTs.
"""
from __future__ import annotations

import math

import array_api_compat
import numpy as np

from . import _backend, _checks
from ._backend import as_generator, irfft, irfft_rows, is_numpy, namespace, normal, rfft, rfft_rows
from . import _numeric
from .generator import DEFAULT_MAX_JACOBIAN_BYTES, Generator, Iterate
from .kernels import autocorrelation, check_kernel, circulant_matrix, spectral_norm

__all__ = ["TwoLayerGenerator", "FourierIterate", "DEFAULT_XI", "output_weights", "theorem3_scale",
           "theorem3_step_size"]

#: Bytes of U c_l per channel block in the NumPy gradient-descent step (:class:`FourierIterate`), so
#: that a block's convolutions, ReLU mask and spectra are reused from the cache instead of main memory
#: (n = 1024, float64: 128 channels a block).  1 MiB, the L2 cache of the first development machine, was the
#: fastest of 2^17 … 2^21 there (n = 1024, k = 512: 3.9–4.1 ms of CPU a step against 4.3–4.5 ms at 2^19,
#: 5.3–5.4 ms at 2^17, and about 5 ms unblocked).  On the second (Intel Xeon, 2 MiB L2), with the buffers
#: reused across a thread's blocks, one thread prefers 2^18 (float64 3.2–3.4 ms against 3.6 ms) but two
#: threads 2^20 (2.44–2.49 ms against 2.73–2.77 at 2^18: a block's Python calls contend for the GIL), and
#: the blocks must not depend on the thread count: 2^20 is kept.  The iterates are then the same bits on
#: any number of threads.
CHANNEL_BLOCK_BYTES = 2**20

#: Default error-tolerance parameter ξ of Theorem 3 used by :meth:`TwoLayerGenerator.init`
#: when no scale is given: ω = ξ‖y‖/(2√n‖U‖).  With ξ = 0.1 the initial output has
#: ‖G(C₀)‖ ≈ 0.03 ‖y‖ (see ``theorem3_scale``), small next to the signal.
DEFAULT_XI = 0.1


def output_weights(k) -> np.ndarray:
    """The fixed output weights v = [1, …, 1, −1, …, −1]/√k of eq. (3), as a host NumPy array.

    Parameters
    ----------
    k : int
        Number of channels; even (k/2 entries +1/√k, then k/2 entries −1/√k).

    Returns
    -------
    v : numpy.ndarray, shape (k,)

    Examples
    --------
    >>> from cstheory.two_layer import output_weights
    >>> print(output_weights(4))
    [ 0.5  0.5 -0.5 -0.5]
    """
    k = _checks.positive_int(k, "k", minimum=2)
    if k % 2:
        raise ValueError(f"k must be even (v = [+1..., -1...]/sqrt(k) has two equal halves), got {k}")
    half = k // 2
    return np.array([1.0] * half + [-1.0] * half) / math.sqrt(k)


def theorem3_scale(y_norm, n, U_norm, xi=DEFAULT_XI):
    """Theorem 3's initialisation scale ω = ξ ‖y‖₂ / (2 √n ‖U‖).

    E‖G(C₀)‖² = n ω² ‖u‖² (1/2 − 1/(2π)) for C₀ with iid N(0, ω²) entries, so
    ‖G(C₀)‖ ≈ 0.58 √n ω ‖u‖ ≤ 0.29 ξ ‖y‖ (as ‖u‖ ≤ ‖U‖): a small start for ξ ≤ 1.
    """
    y_norm = _checks.positive_float(y_norm, "y_norm", allow_zero=True)
    n = _checks.positive_int(n, "n")
    U_norm = _checks.positive_float(U_norm, "U_norm")
    xi = _checks.positive_float(xi, "xi")
    return xi * y_norm / (2.0 * math.sqrt(n)) / U_norm


def theorem3_step_size(m, n, U_norm):
    """Theorem 3's step-size bound η ≤ m / (4 n ‖U‖²).

    It follows from η ≤ 1/β² with β = 2√(n/m)‖U‖ (App. D), i.e. from the
    high-probability bound ‖A‖ ≤ 2√(n/m) for Gaussian A.  :func:`cstheory.fit`
    uses the sharper 1/(‖A‖²‖U‖²) with ‖A‖ measured by power iteration.
    """
    m = _checks.positive_int(m, "m")
    n = _checks.positive_int(n, "n")
    U_norm = _checks.positive_float(U_norm, "U_norm")
    return m / (4.0 * n) / U_norm / U_norm


class TwoLayerGenerator(Generator):
    """G(C) = ReLU(U C) v, eq. (3): a fixed convolution, a ReLU and a fixed ±1/√k output layer.

    Parameters
    ----------
    u : array (n,)
        The convolution kernel (any real kernel, symmetric or not; not all zero).
        Its namespace, dtype and device are the generator's.
    k : int
        Number of channels; must be even (v has k/2 entries +1/√k and k/2 entries −1/√k).
    fused : bool, optional
        ``None`` (default): with NumPy, when Numba imports, the GD iterate's elementwise steps run as
        compiled loops (:mod:`cstheory._fused`: the ReLU, its mask and the weighted channel sum in one
        pass, the update in one); ``False`` forces the NumPy operations; ``True`` needs NumPy and Numba.

    Examples
    --------
    >>> import cstheory as cst
    >>> gen = cst.TwoLayerGenerator(cst.kernels.triangular(64, 8), k=32)
    >>> C = gen.init(rng=0, scale=0.1)
    >>> gen(C).shape
    (64,)
    >>> import numpy as np
    >>> t, r = gen.init(rng=1, scale=1.0), np.random.default_rng(2).standard_normal(64)
    >>> print(abs(float(r @ gen.jvp(C, t) - np.sum(gen.vjp(C, r) * t))) < 1e-12)   # ⟨r, J t⟩ = ⟨Jᵀ r, t⟩
    True
    >>> print(np.allclose(gen.jacobian(C) @ gen.flatten(t), gen.jvp(C, t)))    # J in the vec order of eq. (20)
    True
    >>> gen
    TwoLayerGenerator(output_shape=(64,), param_shape=(64, 32), dtype=float64, backend=numpy)
    """

    def __init__(self, u, k, fused=None):
        check_kernel(u)
        k = _checks.positive_int(k, "k", minimum=2)
        if k % 2:
            raise ValueError(f"k must be even (v = [+1..., -1...]/sqrt(k) has two equal halves), got {k}")
        _checks.memory(_checks.nbytes((u.shape[0], k)) * 3,
                       f"TwoLayerGenerator(u of length {u.shape[0]}, k={k}): the parameters C (n, k) of a step")
        v = output_weights(k)
        self.u = u
        self.k = k
        self.xp = namespace(u)
        self.dtype = u.dtype
        self.device = array_api_compat.device(u)
        n = int(u.shape[0])
        self.output_shape = (n,)
        self.param_shape = (n, k)
        self.v = self.xp.asarray(v, dtype=self.dtype, device=self.device)
        self._uhat = self.xp.reshape(rfft(u), (n // 2 + 1, 1))  # spectrum of u, broadcast over channels
        self._v_col = self.xp.reshape(self.v, (k, 1))
        self._U_norm = None
        self._UUt = None
        from . import _fused                       # here, not above: Numba is imported by the first generator
        self.fused = _fused.usable(self.xp, fused)
        self._kernels = _fused if self.fused else None

    # -- U and Uᵀ by FFT -----------------------------------------------
    def _U(self, X):
        """U X = u ⊛ X, column by column."""
        return irfft(self._uhat * rfft(X, axis=0), self.n, axis=0)

    def _Ut(self, X):
        """Uᵀ X (circular correlation with u), column by column."""
        return irfft(self.xp.conj(self._uhat) * rfft(X, axis=0), self.n, axis=0)

    @property
    def U_norm(self) -> float:
        """‖U‖ = max_f |DFT(u)_f|."""
        if self._U_norm is None:
            self._U_norm = spectral_norm(self.u)
        return self._U_norm

    def _mask(self, Z):
        return self.xp.astype(Z > 0, self.dtype)

    # -- protocol ---------------------------------------------------------
    def init(self, rng=0, scale=None, y=None, xi=DEFAULT_XI):
        """C₀ with iid N(0, ω²) entries.

        ω = ``scale`` if given; otherwise Theorem 3's ω = ξ‖y‖/(2√n‖U‖)
        (:func:`theorem3_scale`) with ξ = ``xi`` (default :data:`DEFAULT_XI`)
        and, when ``y`` is not given either, ‖y‖ = 1.
        """
        host_rng = as_generator(rng)
        if y is not None:
            _checks.array(y, "y", ndim=1)
            self._check_backend(y, "y")
        xi = _checks.positive_float(xi, "xi")
        if scale is None:
            y_norm = 1.0 if y is None else _numeric.norm(self.xp, y)
            scale = theorem3_scale(y_norm, self.n, self.U_norm, xi)
        scale = _checks.positive_float(scale, "scale", allow_zero=True)
        return normal(self.param_shape, rng=host_rng, scale=scale, xp=self.xp, dtype=self.dtype, device=self.device)

    def smoothness_bound(self):
        """‖J_G(C)‖² ≤ ‖v‖²‖U‖² = ‖U‖² for every C (Lemma 2 of App. D)."""
        return self.U_norm**2

    def forward(self, params):
        """G(C) = ReLU(U C) v."""
        Z = self._U(self.check_params(params))
        return self.xp.where(Z > 0, Z, self.xp.zeros_like(Z)) @ self.v

    def jvp(self, params, tangent):
        """J_G(C) T = (M ∘ (U T)) v, with M = 1(U C > 0)."""
        M = self._mask(self._U(self.check_params(params)))
        return (M * self._U(self.check_params(tangent, "tangent"))) @ self.v

    def _vjp_masked(self, M, r):
        return self._Ut((r[:, None] * self.v[None, :]) * M)

    def vjp(self, params, cotangent):
        """J_G(C)ᵀ r = Uᵀ[(r vᵀ) ∘ M]: the hand-derived gradient core (column l is v_l Uᵀ(m_l ∘ r), eq. 20)."""
        M = self._mask(self._U(self.check_params(params)))
        return self._vjp_masked(M, self.check_cotangent(cotangent))

    def forward_vjp(self, params):
        """(G(C), r ↦ J_G(C)ᵀ r) from one convolution U C (the gradient-descent hot path)."""
        return self._forward_vjp(self.check_params(params), finite=True)

    def _forward_vjp(self, params, finite=False):
        """:meth:`forward_vjp` without checking C again, r's finiteness only where ``finite``
        (:meth:`Generator._forward_vjp`)."""
        Z = self._U(params)
        M = self._mask(Z)
        return (Z * M) @ self.v, lambda r: self._vjp_masked(M, self.check_cotangent(r, finite=finite))

    # -- fast GD path: C kept as the spectrum of its columns ----------------
    def gd_iterate(self, params):
        """The iterate that :class:`cstheory.optim.GradientDescent` moves: C kept in the Fourier domain.

        See :class:`FourierIterate`: a GD step then costs two FFTs instead of four, with the
        same iterates (the change of coordinates is linear and invertible)."""
        return FourierIterate(self, self.check_params(params))

    def jacobian(self, params, max_bytes=DEFAULT_MAX_JACOBIAN_BYTES):
        """Explicit J_G(C) ∈ R^{n×nk} of eq. (20): block l (columns l·n … l·n + n − 1) is v_l diag(m_l) U.

        Columns follow θ = [c_1; …; c_k].  Refused with ``ValueError`` above
        ``max_bytes`` (default 2 GiB)."""
        params = self.check_params(params)
        self._check_jacobian_size(max_bytes)
        xp = self.xp
        Mv = self._mask(self._U(params)) * self.v[None, :]          # (n, k): v_l m_l
        U = circulant_matrix(self.u)                                 # (n, n)
        blocks = xp.permute_dims(Mv, (1, 0))[:, :, None] * U[None, :, :]   # (k, n, n): v_l diag(m_l) U
        return xp.reshape(xp.permute_dims(blocks, (1, 0, 2)), (self.n, self.k * self.n))

    @property
    def UUt(self):
        """U Uᵀ = circulant(autocorrelation of u), cached."""
        if self._UUt is None:
            self._UUt = circulant_matrix(autocorrelation(self.u))
        return self._UUt

    def gram(self, params):
        """J_G(C) J_G(C)ᵀ = (U Uᵀ) ∘ (M Mᵀ)/k by one matrix product, never forming J."""
        params = self.check_params(params)
        _checks.memory(_checks.nbytes((self.n, self.n)) * 4, f"gram: the ({self.n}, {self.n}) matrices")
        M = self._mask(self._U(params))
        return self.UUt * (M @ M.T) / self.k


class FourierIterate(Iterate):
    """Gradient descent's iterate for the two-layer generator: C kept as the spectrum of its columns.

    The state is S = rfft of the columns of C, stored channel-major as a
    (k, n//2+1) complex array (the FFTs then run along the contiguous axis).
    U C = irfft(û · S) needs one inverse FFT, and the gradient
    Uᵀ[(r vᵀ) ∘ M] enters as conj(û) · rfft((r vᵀ) ∘ M): one forward FFT.
    Row l of the gradient in these coordinates is v_l conj(û) · rfft(m_l ∘ r).
    Plain GD is the same iteration in any linear invertible coordinates, so the
    iterates equal those of C ← C − η Uᵀ[(r vᵀ) ∘ M] (a test pins them to that formula).

    With NumPy the same step runs channel block by channel block
    (:data:`CHANNEL_BLOCK_BYTES`): a block's U c_l, mask and spectra stay in the cache, and each
    thread reuses one pair of buffers for all its blocks (the FFTs write into them:
    :func:`cstheory._backend.irfft_rows`, :func:`~cstheory._backend.rfft_rows`).  Where Numba imports
    (``gen.fused``), each block's elementwise steps run as compiled loops (:mod:`cstheory._fused`: the
    ReLU, its mask and the weighted channel sum in one pass instead of three).  The update
    S ← S + α d that :meth:`add` is given with the direction this iterate's own VJP returned is not a
    pass of its own: it is kept, and applied block by block in the next forward pass, which reads S
    anyway (fused with û · S); the VJP's direction is a read-only array (so neither it nor a view of
    it can change before then), and reading :attr:`state` or :attr:`params` applies the update first.
    The blocks are independent, so with several FFT threads (``_backend.FFT_WORKERS``) and a large step
    they are spread over that many threads in contiguous runs (:func:`cstheory._backend.thread_map`),
    each block's FFTs on one; the sums are taken in block order, so the iterates do not depend on the
    thread count.  Other namespaces take the whole (k, n)
    arrays at once.
    """

    #: (α, d): the update :meth:`add` left to the next forward pass (NumPy only)
    _pending = None
    #: (the read-only direction the last VJP returned, its array): the only direction :meth:`add` defers
    _direction = None

    def __init__(self, gen, params):
        xp = gen.xp
        super().__init__(gen, rfft(xp.permute_dims(params, (1, 0)), axis=-1))
        self._uhat_row = xp.reshape(gen._uhat, (1, -1))
        self._v_conj_uhat = gen._v_col * xp.conj(self._uhat_row)     # v_l conj(û_f), (k, n//2+1)
        self._numpy = is_numpy(xp)
        self._blocks = self._channel_blocks()

    @property
    def state(self):
        """S, the (k, n//2+1) spectra of the columns of C, with a deferred update applied first.  It is the
        iterate's own array, moved in place: a reference held across :meth:`add` sees a deferred update only
        once the next forward pass or another read of ``state``/``params`` has applied it."""
        self._apply_pending()
        return self._state

    @state.setter
    def state(self, value):
        self._pending = None
        self._state = value

    def forward_vjp(self):
        if self._numpy:
            return self._forward_vjp_blocks()
        gen = self.gen
        Zt = irfft(self._uhat_row * self.state, gen.n, axis=-1)   # (k, n): row l is U c_l
        mask = gen._mask(Zt)                                      # the ReLU mask M (0/1), channel-major
        x = gen.v @ (Zt * mask)                                   # Σ_l v_l ReLU(U c_l)
        return x, lambda r: self._v_conj_uhat * rfft(mask * self._cotangent(r), axis=-1)

    def _cotangent(self, r):
        """r, refused by name where its shape is not (n,) (a (1,) r would broadcast over the rows): the GD hot
        path's one check of r, a shape comparison (the whole ``check_cotangent`` was 6 % of an n = 256 step)."""
        if tuple(r.shape) != (self.gen.n,):
            self.gen.check_cotangent(r)
        return r

    def channel_blocks(self):
        """Slices of channels the NumPy step takes at a time: blocks of :data:`CHANNEL_BLOCK_BYTES` of U c_l
        (one block, all k channels, for other namespaces)."""
        return list(self._blocks)

    def _channel_blocks(self):
        gen = self.gen
        k, n = gen.k, gen.n
        if not self._numpy:
            return [slice(0, k)]
        size = max(1, CHANNEL_BLOCK_BYTES // (n * np.dtype(gen.dtype).itemsize))
        return [slice(i, min(i + size, k)) for i in range(0, k, size)]

    def threads(self):
        """Threads the NumPy step's blocks run on: ``_backend.FFT_WORKERS`` (as read now) for a step of at
        least ``_backend.FFT_PARALLEL_MIN`` entries of U C, else one (a thread hand-off costs more than a
        small step's work)."""
        gen = self.gen
        if gen.k * gen.n < _backend.FFT_PARALLEL_MIN:
            return 1
        return max(1, min(_backend.FFT_WORKERS, len(self._blocks)))

    def _runs(self, threads):
        """The blocks cut into ``threads`` contiguous runs, one per thread (as :func:`thread_map` would cut them)."""
        return _backend.contiguous_runs(self._blocks, threads)

    def _buffers(self, run):
        """A run's scratch, reused by its blocks: spectra (b, n//2+1) and signals (b, n), b its largest block."""
        S = self._state
        rows = max(sl.stop - sl.start for sl in run)
        return np.empty((rows, S.shape[1]), S.dtype), np.empty((rows, self.gen.n), self.gen.dtype)

    def _forward_vjp_blocks(self):
        """:meth:`forward_vjp` for NumPy, by channel blocks (on :meth:`threads` threads): the same sums, in place,
        each block of S first moved by the update :meth:`add` deferred."""
        gen = self.gen
        n, v, state = gen.n, gen.v, self._state
        threads, kernels, uhat = self.threads(), gen._kernels, self._uhat_row
        runs = self._runs(threads)
        mask = np.empty((gen.k, n), dtype=bool)                  # M, channel-major
        pending, self._pending = self._pending, None

        def spectra(sl, P):                                      # P = û · S of the block, S updated first
            if pending is not None:
                alpha, d = pending
                if kernels is not None and kernels.add_multiply_rows(state[sl], alpha, d[sl], uhat, P):
                    return P
                state[sl] += alpha * d[sl]
            if kernels is not None:
                return kernels.multiply_rows(uhat, state[sl], out=P)
            return np.multiply(uhat, state[sl], out=P)

        def forward(run):
            P, Z = self._buffers(run)
            parts = []
            for sl in run:
                b = sl.stop - sl.start
                Zb = irfft_rows(spectra(sl, P[:b]), n, Z[:b])   # rows: U c_l for the block's l
                if kernels is not None:                          # mask, ReLU and weighted sum in one loop
                    parts.append(kernels.relu_weighted_sum(Zb, v[sl], mask[sl]))
                    continue
                np.greater(Zb, 0, out=mask[sl])
                np.multiply(Zb, mask[sl], out=Zb)                # ReLU(U c_l)
                parts.append(v[sl] @ Zb)                         # the block's share of Σ_l v_l ReLU(U c_l)
            return parts

        x = np.zeros(n, dtype=gen.dtype)
        for parts in _backend.thread_map(forward, runs, threads):
            for part in parts:                                   # summed in block order
                x += part

        def vjp(r):
            r = self._cotangent(r)
            d = np.empty_like(state)

            def backward(run):
                F, R = self._buffers(run)
                for sl in run:
                    b = sl.stop - sl.start
                    if kernels is not None:
                        Rb = kernels.mask_rows(mask[sl], r, out=R[:b])
                    else:
                        Rb = np.multiply(mask[sl], r, out=R[:b])            # m_l ∘ r
                    Fb = rfft_rows(Rb, F[:b])                                # their spectra
                    if kernels is not None:                 # the weights v_l conj(û) formed in the loop
                        kernels.gradient_rows(v[sl], uhat, Fb, d[sl])
                    else:
                        np.multiply(self._v_conj_uhat[sl], Fb, out=d[sl])  # v_l conj(û) · rfft(m_l ∘ r)
            _backend.thread_map(backward, runs, threads)
            grad = d.view()                # read-only from the start, and so is every view of it: nothing the
            grad.flags.writeable = False   # caller holds can change d while add() defers the update
            self._direction = (grad, d)
            return grad
        return x, vjp

    def _apply_pending(self):
        """Apply the update :meth:`add` deferred, if there is one."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._update(*pending)

    def _update(self, alpha, direction):
        """S ← S + α·direction now, in place (by channel blocks with NumPy)."""
        kernels = self.gen._kernels if self._numpy else None
        state = self._state

        def update(sl):
            if kernels is None or not kernels.add_scaled(state[sl, :], alpha, direction[sl, :]):
                state[sl, :] += alpha * direction[sl, :]
        _backend.thread_map(update, self._blocks, self.threads() if self._numpy else 1)

    def add(self, alpha, direction):
        """S ← S + α·direction, in place.  With NumPy, a direction that is the (read-only) array this iterate's
        last VJP returned is not applied now but in the next forward pass (fused with its product û · S), or
        when :attr:`state` or :attr:`params` is read; any other direction is applied now."""
        self._apply_pending()
        given = self._direction
        if self._numpy and given is not None and direction is given[0]:
            self._pending = (alpha, given[1])
            self._direction = None
            return
        self._update(alpha, direction)

    @property
    def params(self):
        """C = the inverse FFT of the state, shape (n, k)."""
        return self.gen.xp.permute_dims(irfft(self.state, self.gen.n, axis=-1), (1, 0))
