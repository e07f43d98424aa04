"""The MRI measurement operator (floor 2): :class:`SubsampledFourier` and the Fourier symbol of its Gram matrix."""
from __future__ import annotations

import array_api_compat
import numpy as np

from .. import _checks
from .._backend import as_generator, asarray, fft2, ifft2, namespace, resolve, resolve_namespace, to_numpy
from .. import _numeric
from ..operators import LinearOperator, as_operator
from .masks import image_shape_of, mask_to

__all__ = ["SubsampledFourier", "fourier_gram"]


class SubsampledFourier(LinearOperator):
    """Undersampled single-coil MRI: orthonormal 2-D DFT, then keep the sampled k-space locations.

    For an image x ∈ R^{h×w} (flattened row-major to R^n, n = h·w) and a mask
    with m sampled locations Ω, the complex measurements are
    (F x)_Ω ∈ C^m with F the orthonormal 2-D DFT (``norm="ortho"``): a
    measurement matrix A with subsampled rows of the Fourier matrix (Sec. 5).

    **Real and imaginary parts.**  :func:`cstheory.fit` and the baselines use
    only ``A @ x`` and ``A.T @ r`` on *real* arrays, so the operator is the
    real-linear map R^n → R^{2m}

        A x = [Re (F x)_Ω ; Im (F x)_Ω],

    and its adjoint over the reals, for r = [r_re; r_im] ∈ R^{2m}, is

        Aᵀ r = Re( F^H P_Ωᵀ (r_re + i r_im) ),

    the real part of the zero-filled inverse DFT (P_Ωᵀ puts the m values at
    their k-space locations and zeros elsewhere).  Indeed, writing z = (F x)_Ω
    and c = r_re + i r_im,

        ⟨A x, r⟩ = Σ Re z Re c + Im z Im c = Re ⟨c, z⟩_C = Re ⟨F^H P_Ωᵀ c, x⟩_C
                 = ⟨Re(F^H P_Ωᵀ c), x⟩          (x real),

    so ⟨A x, r⟩ = ⟨x, Aᵀ r⟩ holds exactly over the reals, the loss ½‖A x − y‖²
    equals ½‖(F x)_Ω − y_C‖² of the complex data, and its gradient is
    Aᵀ(A x − y).  Since F is unitary, ‖A‖ ≤ 1, with equality when the DC
    coefficient is sampled (a constant image keeps its whole energy).

    Parameters
    ----------
    shape : (int, int)
        Image shape (h, w).
    mask : (h, w) array (bool or 0/1) of any backend
        Sampled k-space locations in the unshifted ``fft2`` layout, e.g. from
        :func:`cartesian_mask` or :func:`random_mask`.
    xp, dtype, device
        Namespace, real dtype and device of the operator's arrays; by default
        the namespace and device of ``mask`` and float64.
    complex_image : bool
        ``False`` (default): images are real (h, w); ``True``: images are complex,
        stored as real (2, h, w) stacks [real part, imaginary part] (see above).

    Attributes
    ----------
    image_shape : (int, int)
        The pixel grid (h, w) (that of the mask).
    signal_shape : tuple
        The shape of the operator's images: (h, w), or (2, h, w) with ``complex_image``.

    Notes
    -----
    Inputs ``x`` may be flat (h·w,) or (h, w) (complex: (2·h·w,) or (2, h, w));
    ``A.T @ r`` returns them flat.
    Sampling uses a flat index array with ``xp.take``; the zero-filling of
    the adjoint is a gather too (each k-space position reads its measurement,
    or an appended zero), so only the array API standard is used.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.SubsampledFourier((8, 8), cst.cartesian_mask((8, 8), 4, rng=0))
    >>> print(A.shape, A.acceleration)              # [Re; Im] of 16 samples of 64
    (32, 64) 4.0
    >>> x, r = np.random.default_rng(0).standard_normal(64), np.random.default_rng(1).standard_normal(32)
    >>> print(abs(float(r @ (A @ x) - x @ (A.T @ r))) < 1e-12)     # the real adjoint is exact
    True
    >>> print(round(cst.operator_norm(A), 6))        # F is unitary and the DC is sampled: ‖A‖ = 1
    1.0

    A complex image (2, 8, 8) and its adjoint:

    >>> C = cst.SubsampledFourier((8, 8), A.mask, complex_image=True)
    >>> print(C.shape, C.signal_shape)
    (32, 128) (2, 8, 8)
    >>> z = np.random.default_rng(2).standard_normal(128)
    >>> print(abs(float(r @ (C @ z) - z @ (C.T @ r))) < 1e-12)
    True
    """

    def __init__(self, shape, mask, xp=None, dtype=None, device=None, complex_image=False):
        h, w = self.image_shape = image_shape_of(shape)
        self.complex_image = _checks.flag(complex_image, "complex_image")
        self.signal_shape = (2, h, w) if self.complex_image else (h, w)
        _checks.array(mask, "mask", ndim=2, dtype="mask")
        if tuple(mask.shape) != (h, w):
            raise ValueError(f"mask must have the image shape {(h, w)}, got {tuple(mask.shape)}")
        xp = None if xp is None else resolve_namespace(xp)
        host = to_numpy(mask)
        if host.dtype != np.bool_:
            if not np.all((host == 0) | (host == 1)):
                raise ValueError("mask must be boolean or hold only 0 and 1")
            host = host.astype(bool)
        if xp is None:
            xp = namespace(mask)
            if device is None:
                device = array_api_compat.device(mask)
        self.xp, self.dtype, self.device = resolve(xp, dtype, device)
        flat = host.reshape(-1)
        idx = np.flatnonzero(flat)
        if idx.size == 0:
            raise ValueError("mask samples no k-space location; at least one entry must be True")
        m = int(idx.size)
        # gather index of the adjoint: position j reads measurement inv[j], or the zero appended at m
        inv = np.full(h * w, m, dtype=np.int64)
        inv[idx] = np.arange(m)
        self.num_samples = m
        self.shape = (2 * m, (2 if self.complex_image else 1) * h * w)
        self.mask = mask_to(host, self.xp, self.device)
        self._index = asarray(idx.astype(np.int64), xp=self.xp, dtype=self.xp.int64, device=self.device)
        self._scatter = asarray(inv, xp=self.xp, dtype=self.xp.int64, device=self.device)

    @property
    def acceleration(self) -> float:
        """Achieved undersampling factor h·w / m."""
        return (self.image_shape[0] * self.image_shape[1]) / self.num_samples

    def _complex_dtype(self):
        return self.xp.complex64 if self.dtype == self.xp.float32 else self.xp.complex128

    def _unit(self):
        cdt = self._complex_dtype()
        return (self.xp.asarray(1j, dtype=cdt) if self.device is None
                else self.xp.asarray(1j, dtype=cdt, device=self.device))

    def _check_image(self, x, name="x"):
        """The image as an (h, w) array: real, or complex x_re + i x_im for a complex-image operator."""
        xp = self.xp
        h, w = self.image_shape
        self.check_input(x, name)
        if not self.complex_image:
            _checks.array(x, name, ndim=(1, 2), finite=False)
            if tuple(x.shape) not in ((h * w,), (h, w)):
                raise ValueError(f"{name} must have shape ({h * w},) or ({h}, {w}), got {tuple(x.shape)}")
            return xp.reshape(x, (h, w))
        _checks.array(x, name, ndim=(1, 3), finite=False)
        if tuple(x.shape) not in ((2 * h * w,), (2, h, w)):
            raise ValueError(f"{name} must have shape ({2 * h * w},) or (2, {h}, {w}) (a complex image: real "
                             f"and imaginary part), got {tuple(x.shape)}")
        x = xp.reshape(x, (2, h, w))
        cdt = self._complex_dtype()
        return xp.astype(x[0, ...], cdt) + self._unit() * xp.astype(x[1, ...], cdt)

    def kspace(self, x):
        """The complex sampled coefficients (F x)_Ω ∈ C^m (in the order of the flat mask)."""
        xp = self.xp
        k = fft2(self._check_image(x), norm="ortho")
        return xp.take(xp.reshape(k, (-1,)), self._index)

    def matvec(self, x):
        """A x = [Re (F x)_Ω ; Im (F x)_Ω] ∈ R^{2m}."""
        xp = self.xp
        z = self.kspace(x)
        return xp.concat([xp.real(z), xp.imag(z)])

    def to_complex(self, r, name="r"):
        """r = [r_re; r_im] ∈ R^{2m} → r_re + i r_im ∈ C^m."""
        xp = self.xp
        m = self.num_samples
        self.check_input(r, name)
        _checks.array(r, name, ndim=1, finite=False)
        if r.shape[0] != 2 * m:
            raise ValueError(f"{name} must have length 2m = {2 * m}, got {r.shape[0]}")
        cdt = self._complex_dtype()
        return xp.astype(r[:m], cdt) + self._unit() * xp.astype(r[m:], cdt)

    def zero_filled_kspace(self, r, name="r"):
        """The (h, w) complex k-space with the measurements at Ω and zeros elsewhere (P_Ωᵀ c)."""
        xp = self.xp
        c = self.to_complex(r, name)
        padded = xp.concat([c, xp.zeros((1,), dtype=c.dtype, device=self.device)])
        return xp.reshape(xp.take(padded, self._scatter), self.image_shape)

    def rmatvec(self, r):
        """Aᵀ r = Re(F^H P_Ωᵀ (r_re + i r_im)), flat (h·w,); complex images: [Re; Im] of it, flat (2·h·w,)."""
        xp = self.xp
        img = ifft2(self.zero_filled_kspace(r), norm="ortho")
        if self.complex_image:
            return xp.concat([xp.reshape(xp.real(img), (-1,)), xp.reshape(xp.imag(img), (-1,))])
        return xp.reshape(xp.real(img), (-1,))

    def zero_filled(self, y, part="magnitude"):
        """Zero-filled inverse DFT F^H P_Ωᵀ y of measurements ``y`` (length 2m), as an image.

        ``part="magnitude"`` (default) returns |·| (h, w), the usual MRI display and
        the classical "zero-filled" reconstruction; ``part="real"`` returns the
        real part (h, w), which for a real-image operator is exactly ``(A.T @ y)``
        reshaped (the adjoint); ``part="complex"`` returns the complex image as the
        real (2, h, w) stack [real part; imaginary part], which for a complex-image
        operator is exactly ``(A.T @ y)`` reshaped.
        """
        xp = self.xp
        _checks.choice(part, ("magnitude", "real", "complex"), "part")
        _checks.array(y, "y", ndim=1)
        img = ifft2(self.zero_filled_kspace(y, "y"), norm="ortho")
        if part == "complex":
            return xp.stack([xp.real(img), xp.imag(img)])
        return xp.abs(img) if part == "magnitude" else xp.real(img)


def fourier_gram(A, shape=None, check=True, rng=0):
    """The Fourier symbol Q of AᵀA for subsampled Fourier ``A``: AᵀA x = F^H (Q ⊙ F x) for real x.

    For a complex-image ``A`` (``complex_image=True``) there is no mirror: AᵀA x = F^H P F x for the
    complex image x, so Q = P (the mask, as 0/1), to be applied to F(x_re + i x_im).

    For A x = [Re (F x)_Ω ; Im (F x)_Ω] with mask P (1 on Ω), AᵀA x = Re(F^H P F x).
    Let X = F x.  x is real, so X[−k] = conj(X[k]), and conj(F^H V) = F^H Ṽ with
    Ṽ[k] = conj(V[−k]).  For V = P X this is Ṽ[k] = P[−k] X[k], hence::

        AᵀA x = ½ (F^H P X + conj(F^H P X)) = F^H ((P + P̃)/2 ⊙ F x),   P̃[k] = P[−k],

    i.e. Q = (P + P̃)/2 ∈ {0, ½, 1}: a frequency sampled together with its mirror
    counts once, one sampled without its mirror counts half.

    Parameters
    ----------
    A : SubsampledFourier
        The operator (its ``mask`` is in the unshifted fft2 layout).
    shape : (int, int), optional
        The image shape; default ``A.image_shape`` (given, it must equal the mask's shape).
    check : bool
        Verify the identity on a random image (two applications of A).
    rng : int or numpy.random.Generator
        Seed of that random image.

    Returns
    -------
    array (h, w)
        Q on A's backend, in A's dtype.

    Raises
    ------
    TypeError
        For an ``A`` that is neither an operator nor a 2-D array, a shape that is not a pair of
        integers, a non-bool ``check``, a bad ``rng``.
    ValueError
        For an ``A`` that is not a :class:`SubsampledFourier` (a dense matrix, …), a ``shape`` other than
        the mask's, or, with ``check``, an ``A`` whose Gram is not F^H diag(Q) F.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> from cstheory.mri import fourier_gram
    >>> mask = np.zeros((5, 6), dtype=bool)
    >>> mask[0, 0] = mask[1, 2] = True            # (1, 2) is sampled, its mirror (−1, −2) = (4, 4) is not
    >>> Q = fourier_gram(cst.SubsampledFourier((5, 6), mask))
    >>> print(Q[0, 0], Q[1, 2], Q[4, 4], Q.sum())   # each half of the pair counts ½
    1.0 0.5 0.5 2.0
    """
    A = as_operator(A)
    if shape is not None:
        shape = _checks.shape_tuple(shape, "shape", lengths=(2,), int_ok=False)
    check = _checks.flag(check, "check")
    rng = as_generator(rng)
    if not isinstance(A, SubsampledFourier):
        raise ValueError(f"A must be a cstheory.mri.SubsampledFourier for the Fourier-domain solve, got "
                         f"{type(A).__name__}; use baselines.tv() (Chambolle-Pock) for a general A")
    mask = A.mask
    if shape is not None and tuple(shape) != tuple(mask.shape):
        raise ValueError(f"shape must be A's image shape {tuple(mask.shape)}, got {shape}")
    shape = tuple(mask.shape)
    xp, dtype = A.xp, A.dtype
    P = xp.astype(mask, dtype)
    # P̃[k] = P[−k mod s] along both axes: flip, then roll by one so that index 0 stays at 0
    mirrored = xp.roll(xp.flip(P, axis=(0, 1)), (1, 1), axis=(0, 1))
    Q = P if A.complex_image else 0.5 * (P + mirrored)
    if check:
        x = asarray(rng.standard_normal(tuple(A.signal_shape)), xp=xp, dtype=dtype, device=A.device)
        lhs = xp.reshape(A.T @ (A @ xp.reshape(x, (-1,))), tuple(A.signal_shape))
        if A.complex_image:
            X = ifft2(Q * fft2(A._check_image(x)))
            rhs = xp.stack([xp.real(X), xp.imag(X)])
        else:
            rhs = xp.real(ifft2(Q * fft2(x)))
        tol = 1e-4 if dtype == xp.float32 else 1e-10
        if _numeric.norm(xp, lhs - rhs) > tol * max(_numeric.norm(xp, x), 1e-300):
            raise ValueError("A's Gram matrix AᵀA is not F^H diag((P + P̃)/2) F for its mask: not an orthonormal "
                             "subsampled Fourier operator; use tv() (Chambolle-Pock)")
    return Q
