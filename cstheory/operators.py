"""Measurement operators A (floor 2): Gaussian matrices, matrix-free operators and their algebra.

A measurement operator is a :class:`LinearOperator`: a linear map R^n → R^m
with its adjoint.  Plain ``(m, n)`` arrays are accepted everywhere and wrapped
once by :func:`as_operator` (a :class:`MatrixOperator`), so the rest of the
library sees one kind of object.  Operators compose like matrices:

* ``A @ x`` applies A to an array x (``A.T @ r`` its adjoint);
* ``A @ B`` is the product operator x ↦ A(B x), with (A B)ᵀ = Bᵀ Aᵀ;
* ``A.T`` is the adjoint; ``A.H`` is the same operator, because every
  operator of cstheory is a real-linear map between real spaces (the MRI
  operator returns the real and imaginary parts of its complex samples, see
  :class:`cstheory.mri.SubsampledFourier`);
* ``M @ A`` for a plain array M is ``as_operator(M) @ A``.

An operator refuses an array of another backend with a ``TypeError``.
"""
from __future__ import annotations

import math

import array_api_compat
import numpy as np

from . import _checks
from . import _numeric
from ._backend import (as_generator, asarray, backend_name, dct, dtype_name, idct, namespace, normal, resolve,
                       same_backend, to_numpy)

__all__ = ["gaussian_matrix", "LinearOperator", "MatrixOperator", "Identity", "as_operator", "operator_norm",
           "power_iteration", "RandomSubsampledDCT"]


def gaussian_matrix(m, n, rng=0, xp=None, dtype=None, device=None):
    """Gaussian measurement matrix A ∈ R^{m×n} with iid N(0, 1/m) entries (Sec. 3).

    With this variance norms are approximately preserved: E‖A z‖² = ‖z‖².
    Drawn on the host from ``rng``, so one seed gives the same matrix on every backend.

    Parameters
    ----------
    m, n : int
        Number of measurements and signal length.
    rng : int or numpy.random.Generator
        Seed of the draw.
    xp, dtype, device
        Namespace (default NumPy), real dtype (default float64) and device.

    Returns
    -------
    A : array, shape (m, n)

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.gaussian_matrix(4000, 50, rng=0)
    >>> z = np.ones(50)
    >>> print(round(float(np.sum((A @ z) ** 2) / np.sum(z ** 2)), 2))     # E‖Az‖² = ‖z‖²
    1.02
    >>> B = cst.gaussian_matrix(3, 5, rng=1, xp="array_api_strict")      # the same seed on another backend
    >>> print(np.array_equal(cst.to_numpy(B), cst.gaussian_matrix(3, 5, rng=1)))
    True
    """
    m = _checks.positive_int(m, "m")
    n = _checks.positive_int(n, "n")
    host_rng = as_generator(rng)
    xp, dtype, device = resolve(xp, dtype, device)
    _checks.memory(_checks.nbytes((m, n)) * 2, f"gaussian_matrix(m={m}, n={n}): the (m, n) matrix")
    return normal((m, n), rng=host_rng, scale=1.0 / math.sqrt(m), xp=xp, dtype=dtype, device=device)


class LinearOperator:
    """Matrix-free linear map R^n → R^m with its adjoint.

    Subclasses implement :meth:`matvec` (``A @ x``) and :meth:`rmatvec`
    (``A.T @ r``) and set ``shape = (m, n)`` and the ``xp``, ``dtype`` and
    ``device`` of the arrays they produce.  ``A.T`` is the adjoint operator and
    ``A @ B`` the composition (see the module docstring), so code written for
    matrices works unchanged.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> class CumSum(cst.LinearOperator):
    ...     # x ↦ (x_1, x_1 + x_2, …); its adjoint sums from the end
    ...     def __init__(self, n):
    ...         self.shape, self.dtype = (n, n), np.float64
    ...     def matvec(self, x):
    ...         return np.cumsum(x)
    ...     def rmatvec(self, r):
    ...         return np.cumsum(r[::-1])[::-1]
    ...
    >>> A = CumSum(4)
    >>> x, r = np.arange(4.0), np.array([1.0, -1.0, 2.0, 0.5])
    >>> print(A @ x, A.T @ r)
    [0. 1. 3. 6.] [2.5 1.5 2.5 0.5]
    >>> print(float(r @ (A @ x) - x @ (A.T @ r)))       # adjointness: ⟨r, Ax⟩ = ⟨Aᵀr, x⟩
    0.0
    >>> print((A @ A.T).shape, A.to_dense()[3])        # composition and the explicit matrix
    (4, 4) [1. 1. 1. 1.]
    >>> A
    CumSum(shape=(4, 4), dtype=float64, backend=None)
    """

    shape: tuple[int, int]
    xp = None
    dtype = None
    device = None
    #: NumPy must not try to turn an operator into an array: ``M @ A`` then calls ``A.__rmatmul__``
    __array_ufunc__ = None
    _array_type = None

    def matvec(self, x):  # pragma: no cover - abstract
        """A x."""
        raise NotImplementedError

    def rmatvec(self, r):  # pragma: no cover - abstract
        """Aᵀ r."""
        raise NotImplementedError

    _ok_dtypes = ()

    def check_input(self, x, name="x"):
        """Refuse what the operator cannot apply: a non-array, an integer/bool/complex/float16 dtype
        (``TypeError``), an empty array (``ValueError``), an array of another backend than the
        operator's (``TypeError`` naming both).  O(1) for the array type and dtype seen last
        (the hot path of a fit); NaN/inf are not scanned for (see the input contract in the README)."""
        if type(x) is self._array_type and x.dtype in self._ok_dtypes:   # the common case, in O(1)
            return x
        _checks.array(x, name, finite=False)
        got = namespace(x)
        if self.xp is not None and not same_backend(got, self.xp):
            raise TypeError(f"{name} is a {backend_name(got)} array but the operator works on "
                            f"{backend_name(self.xp)} arrays; convert it first (cstheory.to_numpy or xp.asarray)")
        self._array_type = type(x)
        self._ok_dtypes = (*self._ok_dtypes[-1:], x.dtype)
        return x

    def _check_length(self, x, length, name, what):
        """``x`` of shape (length,) or (length, k): ``ValueError`` naming ``name`` otherwise."""
        if x.ndim not in (1, 2) or x.shape[0] != length:
            raise ValueError(f"{name} must have shape ({length},) or ({length}, k) ({what}), got {tuple(x.shape)}")
        return x

    #: what the right operand of ``A @ x`` is called in messages
    _input_name = "x"

    def __matmul__(self, other):
        if isinstance(other, LinearOperator):
            return ProductOperator(self, other)
        return self.matvec(self.check_input(other, self._input_name))

    def __rmatmul__(self, other):
        return ProductOperator(as_operator(other, "the left factor"), self)

    @property
    def T(self):
        """The adjoint operator Aᵀ (made once and kept: ``A.T @ r`` in a loop reuses its input check)."""
        adjoint = self.__dict__.get("_adjoint")
        if adjoint is None:
            adjoint = self.__dict__["_adjoint"] = AdjointOperator(self)
        return adjoint

    @property
    def H(self):
        """The adjoint (every cstheory operator is real-linear between real spaces, so ``A.H`` is ``A.T``)."""
        return self.T

    def to_dense(self):
        """The explicit (m, n) matrix, built column by column (small sizes only)."""
        _, n = self.shape
        eye = np.eye(n)
        cols = [to_numpy(self.matvec(asarray(eye[j], xp=self.xp, dtype=self.dtype, device=self.device)))
                for j in range(n)]
        return asarray(np.stack(cols, axis=1), xp=self.xp, dtype=self.dtype, device=self.device)

    def __repr__(self) -> str:
        dtype = dtype_name(self.dtype)
        return f"{type(self).__name__}(shape={tuple(self.shape)}, dtype={dtype}, backend={backend_name(self.xp)})"


class MatrixOperator(LinearOperator):
    """A plain (m, n) array seen as an operator: ``A @ x = M @ x``, ``A.T @ r = Mᵀ @ r``.

    Made by :func:`as_operator`; ``to_dense()`` returns the array itself.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> M = np.arange(6.0).reshape(2, 3)
    >>> A = cst.as_operator(M)
    >>> print(A @ np.ones(3), A.T @ np.ones(2))
    [ 3. 12.] [3. 5. 7.]
    >>> print(A.to_dense() is M)
    True
    >>> A
    MatrixOperator(shape=(2, 3), dtype=float64, backend=numpy)
    """

    def __init__(self, M, name="M"):
        _checks.array(M, name, ndim=2)
        self.matrix = M
        self.shape = (int(M.shape[0]), int(M.shape[1]))
        self.xp, self.dtype, self.device = namespace(M), M.dtype, array_api_compat.device(M)

    def matvec(self, x):
        """M x for x of shape (n,) or (n, k)."""
        self._check_length(self.check_input(x), self.shape[1], "x", "columns of A")
        return self.matrix @ x

    def rmatvec(self, r):
        """Mᵀ r for r of shape (m,) or (m, k)."""
        self._check_length(self.check_input(r, "r"), self.shape[0], "r", "rows of A")
        return self.matrix.T @ r

    def to_dense(self):
        return self.matrix


class Identity(LinearOperator):
    """The identity I on R^n (A = I: denoising, or fitting a generator to the signal itself).

    Parameters
    ----------
    n : int
        The dimension.
    xp, dtype, device
        Namespace (default NumPy), real dtype (default float64) and device of its arrays.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> I = cst.operators.Identity(3)
    >>> print(I @ np.array([1.0, 2.0, 3.0]), I.T.shape, cst.operator_norm(I))
    [1. 2. 3.] (3, 3) 1.0
    """

    def __init__(self, n, xp=None, dtype=None, device=None):
        n = _checks.positive_int(n, "n")
        self.shape = (n, n)
        self.xp, self.dtype, self.device = resolve(xp, dtype, device)

    def matvec(self, x):
        """x itself."""
        self._check_length(self.check_input(x), self.shape[1], "x", "columns of A")
        return x

    def rmatvec(self, r):
        """r itself."""
        self._check_length(self.check_input(r, "r"), self.shape[0], "r", "rows of A")
        return r


class AdjointOperator(LinearOperator):
    """Aᵀ of an operator A: its matvec is A's rmatvec and the other way round."""

    _input_name = "r"

    def __init__(self, op):
        self.op = op
        self.shape = (op.shape[1], op.shape[0])
        self.xp, self.dtype, self.device = op.xp, op.dtype, op.device

    def matvec(self, x):
        return self.op.rmatvec(x)

    def rmatvec(self, r):
        return self.op.matvec(r)

    @property
    def T(self):
        return self.op

    def to_dense(self):
        return namespace(self.op.to_dense()).matrix_transpose(self.op.to_dense())


class ProductOperator(LinearOperator):
    """The composition A B: x ↦ A(B x), adjoint r ↦ Bᵀ(Aᵀ r)."""

    def __init__(self, left, right):
        if left.shape[1] != right.shape[0]:
            raise ValueError(f"operators do not chain: {left.shape} @ {right.shape}")
        if left.xp is not None and right.xp is not None and not same_backend(left.xp, right.xp):
            raise TypeError(f"cannot compose operators of different backends: {backend_name(left.xp)} and "
                            f"{backend_name(right.xp)}")
        self.left, self.right = left, right
        self.shape = (left.shape[0], right.shape[1])
        self.xp = left.xp if left.xp is not None else right.xp
        self.dtype = left.dtype if left.dtype is not None else right.dtype
        self.device = left.device if left.device is not None else right.device

    def matvec(self, x):
        return self.left @ (self.right @ x)

    def rmatvec(self, r):
        return self.right.T @ (self.left.T @ r)


def as_operator(A, name="A") -> LinearOperator:
    """``A`` as a :class:`LinearOperator`: operators are returned as they are, 2-D arrays wrapped once.

    Parameters
    ----------
    A : array (m, n) or LinearOperator
        The measurement operator.
    name : str
        The argument's name, for the error messages.

    Returns
    -------
    LinearOperator
        ``A`` itself if it is an operator, else a :class:`MatrixOperator` wrapping it.

    Raises
    ------
    TypeError
        For anything else (the message names ``name``).
    ValueError
        For an array that is not 2-D or holds NaN/inf.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.as_operator(np.eye(3))
    >>> print(type(A).__name__, cst.as_operator(A) is A)
    MatrixOperator True
    >>> cst.as_operator([[1.0, 0.0]])
    Traceback (most recent call last):
        ...
    TypeError: A must be a 2-D array or a cstheory.LinearOperator, got list
    """
    if isinstance(A, LinearOperator):
        shape = getattr(A, "shape", None)
        if (not isinstance(shape, tuple) or len(shape) != 2
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape)):
            raise TypeError(f"{name} is a LinearOperator without a valid shape (a pair (m, n) of positive ints), "
                            f"got shape={shape!r}")
        return A
    if A is None or isinstance(A, (int, float, complex, str, bytes, list, tuple, dict)) or not hasattr(A, "shape"):
        raise TypeError(f"{name} must be a 2-D array or a cstheory.LinearOperator, got {type(A).__name__}")
    return MatrixOperator(A, name)


def power_iteration(apply, x0, steps=100, rtol=1e-10):
    """Largest eigenvalue of a symmetric PSD map ``apply`` by power iteration from ``x0``.

    Stops when the Rayleigh quotient changes by less than ``rtol`` (relative)
    or after ``steps`` iterations; returns a Python float.  Each iterate is
    normalised with an overflow-free norm, so maps of any finite scale work
    (an eigenvalue beyond the floating-point range comes back as ``inf``).
    """
    if not callable(apply):
        raise TypeError(f"apply must be a callable x -> A x, got {type(apply).__name__}")
    _checks.array(x0, "x0", ndim=1)
    steps = _checks.positive_int(steps, "steps")
    rtol = _checks.real(rtol, "rtol", low=0.0)
    xp = namespace(x0)
    nrm0 = _numeric.norm(xp, x0)
    if nrm0 == 0.0:
        raise ValueError("x0 must not be zero (power iteration needs a start with a component on the top eigenvector)")
    x = x0 / nrm0
    lam = 0.0
    for _ in range(steps):
        y = apply(x)
        nrm = _numeric.norm(xp, y)
        if nrm == 0.0:
            return 0.0
        z = y / nrm
        new = nrm * float(xp.sum(x * z))          # ⟨x, A x⟩ = ‖A x‖ ⟨x, A x/‖A x‖⟩
        x = z
        if abs(new - lam) <= rtol * abs(new):
            return new
        lam = new
    return lam


def operator_norm(A, rng=0, steps=100):
    """‖A‖ (largest singular value) of an array or operator, by power iteration on AᵀA.

    Written as ‖A x_t‖ with x_t the normalised iterates, so ‖A‖ itself is never
    squared: operators of any finite scale (1e±300) give a finite norm.
    ``steps`` ≥ 1 is the number of iterations (it stops earlier at a relative change below 1e-10).

    Parameters
    ----------
    A : array (m, n) or LinearOperator
    rng : int or numpy.random.Generator
        Seed of the starting vector.
    steps : int
        Maximum number of power iterations.

    Returns
    -------
    float
        The largest singular value σ₁(A) (to the power iteration's tolerance, 1e-10 relative in σ₁).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.gaussian_matrix(20, 30, rng=0)
    >>> print(abs(cst.operator_norm(A) - np.linalg.norm(A, 2)) < 1e-6)
    True
    >>> print(round(cst.operator_norm(cst.RandomSubsampledDCT(16, 64, rng=0)), 6))     # √(n/m) = 2
    2.0
    """
    A = as_operator(A)
    host_rng = as_generator(rng)
    steps = _checks.positive_int(steps, "steps")
    x = asarray(host_rng.standard_normal(A.shape[1]), xp=A.xp, dtype=A.dtype, device=A.device)
    xp = namespace(x)
    x = x / float(xp.linalg.vector_norm(x))
    est = 0.0
    for _ in range(steps):
        z = A @ x
        s1 = _numeric.norm(xp, z)                          # ‖A x‖ → σ_max as x → v_1
        if s1 == 0.0:
            return 0.0 if est == 0.0 else est
        w = A.T @ (z / s1)
        s2 = _numeric.norm(xp, w)
        if s2 == 0.0:
            return s1
        x = w / s2
        if abs(s1 - est) <= 1e-10 * s1:
            return s1
        est = s1
    return est


# ---------------------------------------------------------------------------
# A fast structured random operator for images too large for a dense Gaussian A
# ---------------------------------------------------------------------------


class RandomSubsampledDCT(LinearOperator):
    """Structured random measurements A = √(n/m) · S · D · diag(s) with O(n log n) products.

    ``diag(s)`` flips the signs of the entries at random (s_j = ±1), ``D`` is
    the orthonormal DCT-II (1-D for a length n, separable 2-D for a shape
    (h, w)), and ``S`` keeps m of its n outputs, chosen uniformly at random
    without replacement.  The random signs spread the energy of any fixed x
    evenly over the DCT coefficients, so the subset sees the fraction m/n of
    it and the factor √(n/m) restores the norm:

        E‖A x‖² = (n/m) · (m/n) ‖D diag(s) x‖² = ‖x‖²,

    the same normalisation as the N(0, 1/m) Gaussian matrix of
    :func:`gaussian_matrix` (Sec. 3), at O(n log n) cost instead of O(mn)
    and without storing an m × n matrix.  The adjoint is
    Aᵀ r = √(n/m) · diag(s) · Dᵀ · Sᵀ r with Dᵀ = D⁻¹ the inverse DCT and Sᵀ
    zero-filling (a gather from r with an appended zero).  A Aᵀ = (n/m) I.

    Parameters
    ----------
    m : int
        Number of measurements, 1 ≤ m ≤ n.
    n_or_shape : int or (int, int)
        Signal length n, or an image shape (h, w) (n = h·w, inputs flattened row-major).
    rng : int or numpy.random.Generator
        Seed of the signs and the rows (drawn on the host: one seed, one operator on every backend).
    xp, dtype, device
        Namespace (default NumPy), real dtype (default float64) and device.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.RandomSubsampledDCT(16, 64, rng=0)
    >>> D = A.to_dense()
    >>> print(np.abs(D @ D.T - 4 * np.eye(16)).max() < 1e-12)         # A Aᵀ = (n/m) I
    True
    >>> x, r = np.linspace(0, 1, 64), np.arange(16.0)
    >>> print(abs(float(r @ (A @ x) - x @ (A.T @ r))) < 1e-10)        # the adjoint is exact
    True
    >>> print(cst.RandomSubsampledDCT(100, (16, 16), rng=0).shape)     # an image of 16 × 16
    (100, 256)
    """

    def __init__(self, m, n_or_shape, rng=0, xp=None, dtype=None, device=None):
        self.signal_shape = _checks.shape_tuple(n_or_shape, "n_or_shape", lengths=(1, 2))
        n = math.prod(self.signal_shape)
        m = _checks.positive_int(m, "m")
        if m > n:
            raise ValueError(f"m must be at most n = {n}, got {m}")
        self.xp, self.dtype, self.device = resolve(xp, dtype, device)
        host_rng = as_generator(rng)
        _checks.memory(_checks.nbytes((n,)) * 6, f"RandomSubsampledDCT(n_or_shape={n_or_shape!r}): signs and indices")
        signs = host_rng.choice(np.array([-1.0, 1.0]), size=n)
        rows = np.sort(host_rng.choice(n, size=m, replace=False))
        inv = np.full(n, m, dtype=np.int64)
        inv[rows] = np.arange(m)
        self.shape = (m, n)
        self.scale = math.sqrt(n / m)
        self.signs = asarray(signs, xp=self.xp, dtype=self.dtype, device=self.device)
        self.rows = asarray(rows, xp=self.xp, dtype=self.xp.int64, device=self.device)
        self._scatter = asarray(inv, xp=self.xp, dtype=self.xp.int64, device=self.device)

    def matvec(self, x):
        """A x ∈ R^m for x of shape (n,) or ``signal_shape``."""
        xp = self.xp
        n = self.shape[1]
        self.check_input(x)
        if tuple(x.shape) not in ((n,), self.signal_shape):
            raise ValueError(f"x must have shape ({n},) or {self.signal_shape}, got {tuple(x.shape)}")
        z = xp.reshape(self.signs * xp.reshape(x, (-1,)), self.signal_shape)
        c = xp.reshape(dct(z), (-1,))
        return self.scale * xp.take(c, self.rows)

    def rmatvec(self, r):
        """Aᵀ r ∈ R^n (flat) for r of shape (m,)."""
        xp = self.xp
        m = self.shape[0]
        self.check_input(r, "r")
        if r.ndim != 1 or r.shape[0] != m:
            raise ValueError(f"r must have shape ({m},), got {tuple(r.shape)}")
        padded = xp.concat([r, xp.zeros((1,), dtype=r.dtype, device=self.device)])
        full = xp.reshape(xp.take(padded, self._scatter), self.signal_shape)
        return self.scale * self.signs * xp.reshape(idct(full), (-1,))
