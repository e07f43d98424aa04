"""The fixed upsampling U_i of the deep decoder's eq. (4): interpolation matrices and their products (floor 2).

Each hidden layer of the deep decoder (:mod:`cstheory.deep_decoder`) upsamples its channels from the
grid n_i to n_{i+1} by a fixed linear map U_i: 1-D linear interpolation with the half-pixel convention
(:func:`interpolation_matrix`), applied along each axis in 2-D (bilinear, U_h ⊗ U_w).  Here are the
matrices, the plain channels-first products :func:`upsample` and :func:`upsample_adjoint` (what the
exercise and the plain composition use) and :class:`Upsampling`, the channels-last map of the decoder's
own passes (a SciPy sparse product with NumPy, whose CSR arrays the fused loops of
:mod:`cstheory._fused` also read).  :mod:`cstheory.deep_decoder` imports these names and keeps them
in its own namespace: ``cstheory.deep_decoder.Upsampling`` is this class.
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks
from ._backend import asarray, backend_name, dtype_name, is_numpy, namespace, resolve

__all__ = ["interpolation_matrix", "upsample", "upsample_adjoint", "Upsampling"]


def interpolation_matrix(n_in, n_out):
    """The (n_out, n_in) matrix of 1-D linear interpolation, half-pixel convention (host NumPy).

    Output sample j sits at the input coordinate ``src = (j + ½) · n_in/n_out − ½``
    (PyTorch ``interpolate(..., size=n_out, mode="linear", align_corners=False)``),
    clamped below at 0; with ``i₀ = ⌊src⌋``, ``i₁ = min(i₀ + 1, n_in − 1)`` and
    ``λ = src − i₀`` row j holds ``1 − λ`` at i₀ and ``λ`` at i₁.  Every row sums
    to one (constants are reproduced) and for n_in = n_out it is the identity.
    Bilinear upsampling in 2-D is this matrix applied along each axis.
    """
    n_in = _checks.positive_int(n_in, "n_in")
    n_out = _checks.positive_int(n_out, "n_out")
    src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    src = np.maximum(src, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    U = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(U, (rows, i0), 1.0 - lam)
    np.add.at(U, (rows, i1), lam)
    return U


def upsample(x, mats):
    """U x: apply the per-axis interpolation matrices ``mats`` to the last ``len(mats)`` axes of x.

    1-D: ``x @ Uᵀ``; 2-D (bilinear, separable): ``U_h (x U_wᵀ)``.  Leading axes
    (batch, channel) are carried along.  ``x U_wᵀ`` runs as one matrix product over all
    leading axes and rows at once (a single GEMM instead of one per channel).
    """
    if len(mats) == 1:
        return _rows_times(x, mats[0].T)
    Uh, Uw = mats
    return Uh @ _rows_times(x, Uw.T)


def upsample_adjoint(g, mats):
    """Uᵀ g, the adjoint of :func:`upsample` (the backward step of the upsampling).

    1-D: ``g @ U``; 2-D: ``U_hᵀ (g U_w)``, computed as ``(U_hᵀ g) U_w`` (the smaller
    product first, the larger one as a single matrix product).
    """
    if len(mats) == 1:
        return _rows_times(g, mats[0])
    Uh, Uw = mats
    return _rows_times(Uh.T @ g, Uw)


class Upsampling:
    """The upsampling U_i of one layer (n_i → n_{i+1}) and its adjoint on channels-last activations.

    The map of :func:`upsample` with the channels on the last axis: ``y`` of shape ``(..., n_in, k)``
    (space flattened, ``n_in = prod(shape_in)``) goes to ``U y`` of shape ``(..., n_out, k)``, U being the
    Kronecker product ``U_h ⊗ U_w`` of the per-axis :func:`interpolation_matrix` (2-D) or the matrix
    itself (1-D).  Every row of U has at most two non-zeros per axis, so:

    * **NumPy**: U and Uᵀ are stored as ``scipy.sparse`` CSR matrices and ``U y`` is one sparse-times-dense
      product — each output row is a sum of at most four input rows of k contiguous channels, about the
      bytes of reading y and writing the result (37² → 64², k = 64, float64, one thread: 0.29 ms forward
      and 0.25 ms adjoint, against 0.49 / 0.56 ms for products over band blocks of the per-axis matrices
      in the channels-first layout);
    * **any other namespace** (CuPy, array-API): the separable dense products with the per-axis
      matrices, ``U_h (U_w y)`` for the reshaped y (plain ``matmul`` with broadcasting).

    Parameters
    ----------
    n_in, n_out : tuple of int
        Spatial shapes before and after (1-D or 2-D, the same number of axes).
    xp, dtype, device
        Backend, real dtype and device of the activations (default NumPy, float64).
    sparse : bool, optional
        ``None`` (default): the sparse product on NumPy, the separable one elsewhere.  ``False`` forces
        the separable dense products (also on NumPy); ``True`` needs NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.upsampling import Upsampling, interpolation_matrix, upsample
    >>> up = Upsampling((3, 4), (5, 7))
    >>> y = np.random.default_rng(0).standard_normal((12, 8))          # 8 channels, last
    >>> mats = [interpolation_matrix(3, 5), interpolation_matrix(4, 7)]
    >>> channels_first = upsample(y.T.reshape(8, 3, 4), mats).reshape(8, 35)
    >>> bool(np.allclose(up(y), channels_first.T)), up(y).shape, up.adjoint(up(y)).shape
    (True, (35, 8), (12, 8))
    >>> up
    Upsampling(n_in=(3, 4), n_out=(5, 7), sparse=True, dtype=float64, backend=numpy)
    """

    def __init__(self, n_in, n_out, xp=None, dtype=None, device=None, sparse=None):
        self.n_in = _checks.shape_tuple(n_in, "n_in", lengths=(1, 2))
        self.n_out = _checks.shape_tuple(n_out, "n_out", lengths=(len(self.n_in),))
        self.xp, self.dtype, self.device = resolve(xp, dtype, device)
        self.size_in, self.size_out = math.prod(self.n_in), math.prod(self.n_out)
        _checks.memory(_checks.nbytes(*zip(self.n_out, self.n_in)), f"Upsampling(n_in={self.n_in}, n_out={self.n_out})")
        mats = [interpolation_matrix(a, b) for a, b in zip(self.n_in, self.n_out)]
        sparse = is_numpy(self.xp) if sparse is None else _checks.flag(sparse, "sparse")
        if sparse and not is_numpy(self.xp):
            raise ValueError(f"sparse=True needs the NumPy backend (SciPy sparse matrices), got {backend_name(self.xp)}")
        self.sparse = sparse
        if self.sparse:
            import scipy.sparse
            K = scipy.sparse.csr_array(mats[0])
            for M in mats[1:]:
                K = scipy.sparse.kron(K, scipy.sparse.csr_array(M), format="csr")
            self._K = scipy.sparse.csr_array(K, dtype=self.dtype)
            self._KT = scipy.sparse.csr_array(K.T, dtype=self.dtype)
            self.csr = (self._K.indptr, self._K.indices, self._K.data)     # U for the fused loops (:mod:`_fused`)
        else:
            to = lambda a: asarray(np.ascontiguousarray(a), xp=self.xp, dtype=self.dtype, device=self.device)  # noqa: E731
            self._mats = [to(M) for M in mats]
            self._mats_T = [to(M.T) for M in mats]
            self.csr = None

    def __repr__(self):
        return (f"Upsampling(n_in={self.n_in}, n_out={self.n_out}, sparse={self.sparse}, "
                f"dtype={dtype_name(self.dtype)}, backend={backend_name(self.xp)})")

    def to_dense(self):
        """U as a host NumPy array (``n_out × n_in`` flattened sizes; for small sizes and tests)."""
        mats = [interpolation_matrix(a, b) for a, b in zip(self.n_in, self.n_out)]
        return mats[0] if len(mats) == 1 else np.kron(mats[0], mats[1])

    def _check(self, y, size, name):
        if not (isinstance(y, np.ndarray) if self.sparse else backend_name(namespace(y)) == backend_name(self.xp)):
            raise TypeError(f"{name} must be an array of {backend_name(self.xp)} (this Upsampling's backend), "
                            f"got {type(y).__module__}.{type(y).__name__}")
        if y.ndim < 2 or y.shape[-2] != size:
            raise ValueError(f"{name} must have shape (..., {size}, channels), got {tuple(y.shape)}")
        if y.dtype != self.dtype:
            raise TypeError(f"{name} must have this Upsampling's dtype {dtype_name(self.dtype)}, got {dtype_name(y.dtype)}")

    def __call__(self, y):
        """U y for y of shape ``(..., n_in, k)`` (channels last); shape ``(..., n_out, k)``."""
        self._check(y, self.size_in, "y")
        if self.sparse:
            return _sparse_rows(self._K, y)
        return self._separable(y, self._mats, self.n_in, self.n_out, forward=True)

    def adjoint(self, g):
        """Uᵀ g for g of shape ``(..., n_out, k)``; shape ``(..., n_in, k)``."""
        self._check(g, self.size_out, "g")
        if self.sparse:
            return _sparse_rows(self._KT, g)
        return self._separable(g, self._mats_T, self.n_out, self.n_in, forward=False)

    def _separable(self, y, mats, shape_from, shape_to, forward):
        """The per-axis dense products on channels-last y: along the width first going up (the smaller
        product), along the height first going down."""
        xp = self.xp
        lead, k = y.shape[:-2], y.shape[-1]
        if len(mats) == 1:
            return mats[0] @ y
        (h0, w0), (h1, w1) = shape_from, shape_to
        if forward:
            t = mats[1] @ xp.reshape(y, (*lead, h0, w0, k))                   # (..., h_in, w_out, k)
            t = mats[0] @ xp.reshape(t, (*lead, h0, w1 * k))                  # (..., h_out, w_out·k)
        else:
            t = mats[0] @ xp.reshape(y, (*lead, h0, w0 * k))                  # (..., h_in, w_out·k)
            t = mats[1] @ xp.reshape(t, (*lead, h1, w0, k))                   # (..., h_in, w_in, k)
        return xp.reshape(t, (*lead, h1 * w1, k))


def _sparse_rows(K, y):
    """K y for a SciPy sparse K and a NumPy y of shape (..., n, k): one product, leading axes moved behind
    the rows (a copy) when there are any."""
    if y.ndim == 2:
        return K @ y
    lead, n, k = y.shape[:-2], y.shape[-2], y.shape[-1]
    flat = np.moveaxis(np.reshape(y, (-1, n, k)), 0, 1).reshape(n, -1)
    out = np.reshape(K @ flat, (K.shape[0], -1, k))
    return np.reshape(np.moveaxis(out, 1, 0), (*lead, K.shape[0], k))


def _rows_times(x, M):
    """x @ M for x of any number of leading axes, computed as one 2-D matrix product."""
    xp = namespace(x, M)
    flat = xp.reshape(x, (-1, x.shape[-1])) @ M
    return xp.reshape(flat, (*x.shape[:-1], M.shape[-1]))
