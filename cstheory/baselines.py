"""Classical compressive-sensing reconstructions (floor 5), the baselines of Sec. 5 / Fig. 5.

Hand-written methods for an image x ∈ R^{h×w} measured as y = A x + e, with
any ``A`` that supports ``A @ x`` and ``A.T @ r`` (a dense array, or a
:class:`cstheory.LinearOperator` such as :class:`cstheory.SubsampledFourier`).
The loss term ½‖A x − y‖² is that of eq. (2) with the identity generator.

=================  =====================================================  ==========================
name               problem                                                solver
=================  =====================================================  ==========================
``"zero-filled"``  |F^H P_Ωᵀ y| (Fourier data; Aᵀy otherwise)             one inverse FFT
``"l1-dct"``       min ½‖A x − y‖² + λ ‖Ψ x‖₁, Ψ the orthonormal 2-D DCT  FISTA (:func:`fista_l1`)
``"l1-haar"``      the same with Ψ the orthonormal multi-level Haar       FISTA (:func:`fista_l1`)
``"tv"``           min ½‖A x − y‖² + λ TV(x), isotropic, periodic          ADMM with an exact FFT
                                                                          x-update (:func:`tv_admm`)
                                                                          or Chambolle–Pock (:func:`tv`)
``"tv-box"``       the same subject to 0 ≤ x ≤ 1                          the same, with the box
=================  =====================================================  ==========================

Everything is array-API code (NumPy, CuPy, array_api_strict).

**Which TV.**  TV(x) = Σ_ij ‖(∇x)_ij‖₂ with forward differences.  Two
boundary conditions are implemented (:func:`gradient`): ``"neumann"``
(the difference across the last row/column is 0) and ``"periodic"`` (it
wraps around, x[0] − x[h−1]).  :func:`tv` (Chambolle–Pock, any ``A``) takes
either; :func:`tv_admm` needs ``"periodic"``: then ∇ᵀ∇ is the circulant
5-point Laplacian, diagonal in the Fourier basis, and so is AᵀA for Fourier
sampling, so ADMM's x-update is one division in k-space.  The two solvers
give the same minimiser for the same (periodic) TV (tested).  ``"tv"`` and
``"tv-box"`` in :func:`reconstruct` and :func:`tune_lambda` mean the
periodic TV, solved by ADMM-FFT when ``A`` has a Fourier-diagonal Gram
matrix and by Chambolle–Pock otherwise.

**Convergence.**  Every iterative method stops on a stated criterion below
``tol``: FISTA on the relative duality gap of the LASSO (a certificate on
the objective), ADMM on its relative primal and dual residuals (Boyd et al.),
Chambolle–Pock on its relative primal–dual residual; the iteration cap
``iters`` is only a safety net.  The result
reports ``converged``, the criterion's name and its final value
(``residual``), and the objective at every iterate, from which
:attr:`BaselineResult.relative_change` (relative objective change over the
last 10 iterations) is read.

**Regularization weights** (see :func:`tune_lambda`):

* ``"oracle"`` — the λ of a geometric grid (ratio 4, refined to 2) with the
  best PSNR against the ground truth: a fair *upper bound* for the method (no
  user has the truth);
* ``"discrepancy"`` (noisy data, Morozov's principle) — the largest λ of the
  grid with ‖A x_λ − y‖² ≤ m_eff σ², m_eff = len(y) real measurements of
  noise variance σ² each (E‖e‖² = m_eff σ²): fit the data no better than
  the truth does.  Needs σ (in MRI it is measured from k-space corners or a
  noise scan; here it is known from the simulation);
* ``"fraction"`` (noiseless data: the discrepancy principle would drive λ to
  0) — λ = fraction · scale, a fixed fraction of the data's own scale:
  ℓ1: scale = ‖Ψ Aᵀ y‖_∞, the smallest λ for which x = 0 is optimal; TV:
  scale = ‖Aᵀ y‖_∞.  The fractions (:data:`FRACTIONS`) were fixed once by
  :func:`calibrate_fractions` on calibration images of the phantom's class
  that appear in no experiment or test (random ellipse phantoms,
  :func:`calibration_phantom`, seeds 0, 1, 2; noiseless, 64×64, k-space from
  a 4× finer grid, Cartesian masks at 4× and 8×): the fraction of the grid
  {1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1} with the best mean PSNR.
  Measured with the solvers' default tolerances (mean PSNR over the six
  acquisitions): TV 26.42 dB and TV+box
  26.50 dB at 1e-3 (26.33 / 26.41 at 1e-5, 21.92 at 1e-1); ℓ1-DCT 22.13 dB
  at 3e-4 and ℓ1-Haar 22.08 dB at 1e-3 (22.11 / 21.88 at 1e-5, 17.57 /
  16.89 at 1e-1): on these Cartesian acquisitions ℓ1 sparsity gains little
  over a least-squares fit, whatever λ.

Step sizes come from operator norms (power iteration with a 1 % margin).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import array_api_compat
import numpy as np

from . import _checks
from ._backend import backend_name, dct, fft2, idct, ifft2, namespace, same_backend
from .operators import as_operator, operator_norm

__all__ = ["BaselineResult", "LambdaChoice", "zero_filled", "fista_l1", "l1_dct", "l1_haar", "tv", "tv_admm",
           "gradient", "gradient_adjoint", "total_variation", "soft_threshold", "shrink", "haar2", "ihaar2",
           "haar_plan", "fourier_gram", "laplacian_symbol", "tune_lambda", "calibrate_fractions", "calibration_phantom",
           "lambda_scale",
           "METHODS", "ITERATIVE", "FRACTIONS", "GRID_RATIO", "reconstruct", "L1_FRACTION", "TV_FRACTION", "TOL",
           "TOL_ADMM", "TOL_CP"]

#: λ = FRACTIONS[method] · lambda_scale(method, A, y) for the noiseless "fraction" rule (calibrated on
#: random ellipse phantoms by :func:`calibrate_fractions`; see the module docstring)
FRACTIONS = {"l1-dct": 3e-4, "l1-haar": 1e-3, "tv": 1e-3, "tv-box": 1e-3}
#: kept for compatibility: the ℓ1-DCT and TV fractions
L1_FRACTION = FRACTIONS["l1-dct"]
TV_FRACTION = FRACTIONS["tv"]
#: the step (a factor in λ) of the oracle's and the discrepancy rule's walk from the fraction rule's λ
GRID_RATIO = 4.0
#: safety factor on power-iteration estimates of ‖A‖² (they approach it from below)
NORM_SAFETY = 1.01
#: default tolerances: FISTA's relative duality gap (``TOL``), ADMM's relative primal/dual residuals
#: (``TOL_ADMM``) and Chambolle–Pock's relative primal–dual residual (``TOL_CP``); on the Fig. 5
#: problems a 10× tighter tolerance changes the PSNR by < 0.01 dB (tested; measured ≤ 0.002 dB for 100×)
TOL = 1e-3
TOL_ADMM = 1e-4
TOL_CP = 1e-5


@dataclass
class BaselineResult:
    """Outcome of a classical reconstruction.

    Attributes
    ----------
    image : (h, w) array
        The reconstruction, on the backend of ``y``.
    objective : numpy.ndarray
        Objective value at every iterate (entry 0 = the starting point).
    lam : float
        Regularization weight λ used.
    iterations : int
        Iterations run.
    method : str
    step_sizes : dict
        ``{"step": 1/L}`` (FISTA), ``{"tau": τ, "sigma": σ}`` (Chambolle–Pock) or
        ``{"rho": final ρ}`` (ADMM).
    converged : bool
        Whether the stopping criterion fired (``False``: the cap ``iters`` was hit).
    criterion : str
        What ``residual`` measures.
    residual : float
        The criterion's value at the last iterate.
    tol : float
        The tolerance it was compared with.
    """

    image: object
    objective: np.ndarray
    lam: float
    iterations: int
    method: str
    step_sizes: dict = field(default_factory=dict)
    converged: bool = False
    criterion: str = ""
    residual: float = float("nan")
    tol: float = 0.0

    @property
    def relative_change(self) -> float:
        """(max − min) of the objective over the last 10 iterations, divided by |F_last|."""
        tail = np.asarray(self.objective[-11:], dtype=np.float64)
        return float((tail.max() - tail.min()) / max(abs(tail[-1]), 1e-300))


# ---------------------------------------------------------------------------
# shared pieces
# ---------------------------------------------------------------------------
def _setup(A, y, shape):
    A = as_operator(A)
    m, n = A.shape
    _checks.array(y, "y", ndim=1)
    if y.shape[0] != m:
        raise ValueError(f"y must have length m = {m} (rows of A), got {y.shape[0]}")
    if shape is None:
        shape = getattr(A, "image_shape", None)
        if shape is None:
            raise ValueError("shape must be given (the image shape (h, w)) when A has no image_shape")
    if len(shape) != 2:
        raise ValueError(f"shape must be (h, w), got {shape!r}")
    h = _checks.positive_int(shape[0], "shape[0]")
    w = _checks.positive_int(shape[1], "shape[1]")
    if h * w != n:
        raise ValueError(f"shape {shape} has {h * w} pixels but A has {n} columns")
    xp = namespace(y)
    if A.xp is not None and not same_backend(A.xp, xp):
        raise TypeError(f"A and y come from different backends: A works on {backend_name(A.xp)} arrays "
                        f"but y is a {backend_name(xp)} array")
    return xp, (h, w)


def _lipschitz(A, rng=0):
    """‖A‖² with a 1 % safety margin (power iteration approaches it from below)."""
    return NORM_SAFETY * operator_norm(A, rng=rng) ** 2


def _check_iters(iters, tol):
    iters = _checks.positive_int(iters, "iters")
    tol = _checks.positive_float(tol, "tol", allow_zero=True)
    return iters, tol


def _lam(lam, lam_fraction, scale):
    if lam is not None:
        return _checks.positive_float(lam, "lam", allow_zero=True)
    lam_fraction = _checks.positive_float(lam_fraction, "lam_fraction", allow_zero=True)
    return lam_fraction * scale


def _box(box):
    if box is None:
        return None
    if len(box) != 2:
        raise ValueError(f"box must be a pair (lower, upper) or None, got {box!r}")
    lo, hi = float(box[0]), float(box[1])
    if not lo < hi:
        raise ValueError(f"box must have lower < upper, got {box!r}")
    return lo, hi


def _start(x0, xp, shape, y):
    if x0 is None:
        return xp.zeros(shape, dtype=y.dtype, device=_device(y))
    _checks.array(x0, "x0", ndim=(1, 2))
    if x0.shape[0] * (x0.shape[1] if x0.ndim == 2 else 1) != shape[0] * shape[1]:
        raise ValueError(f"x0 must hold {shape[0] * shape[1]} pixels (shape {shape}), got shape {tuple(x0.shape)}")
    return xp.reshape(xp.asarray(x0, dtype=y.dtype), shape)


def _device(x):
    return array_api_compat.device(x)


def _norm(xp, x):
    return float(xp.linalg.vector_norm(xp.reshape(x, (-1,))))


def soft_threshold(c, t):
    """prox of t‖·‖₁: sign(c) · max(|c| − t, 0), entrywise."""
    xp = namespace(c)
    return xp.sign(c) * xp.clip(xp.abs(c) - t, min=0.0)


def shrink(g, t):
    """prox of t Σ_ij ‖g_ij‖₂ for a field g of shape (2, h, w): g_ij · max(1 − t/‖g_ij‖, 0) (vector shrinkage)."""
    xp = namespace(g)
    mag = xp.sqrt(g[0, ...] * g[0, ...] + g[1, ...] * g[1, ...])
    factor = xp.clip(1.0 - t / xp.clip(mag, min=1e-300), min=0.0)
    return g * factor


# ---------------------------------------------------------------------------
# finite differences and TV
# ---------------------------------------------------------------------------
_BOUNDARIES = ("neumann", "periodic")


def _check_boundary(boundary):
    if boundary not in _BOUNDARIES:
        raise ValueError(f"boundary must be one of {_BOUNDARIES}, got {boundary!r}")
    return boundary


def gradient(x, boundary="neumann"):
    """Forward differences of an (h, w) image, shape (2, h, w).

    ∇x[0, i, j] = x[i+1, j] − x[i, j] and ∇x[1, i, j] = x[i, j+1] − x[i, j], with
    ``boundary="neumann"``: 0 on the last row (column); ``"periodic"``: indices
    modulo h (w), so the last row holds x[0, j] − x[h−1, j].  ‖∇‖² ≤ 8 for both.
    """
    xp = namespace(x)
    _check_boundary(boundary)
    if boundary == "periodic":
        return xp.stack([xp.roll(x, -1, axis=0) - x, xp.roll(x, -1, axis=1) - x])
    h, w = x.shape
    z_row = xp.zeros((1, w), dtype=x.dtype, device=_device(x))
    z_col = xp.zeros((h, 1), dtype=x.dtype, device=_device(x))
    g0 = xp.concat([x[1:, :] - x[:-1, :], z_row], axis=0)
    g1 = xp.concat([x[:, 1:] - x[:, :-1], z_col], axis=1)
    return xp.stack([g0, g1])


def gradient_adjoint(p, boundary="neumann"):
    """∇ᵀ p for p of shape (2, h, w) (minus the discrete divergence), shape (h, w), same ``boundary``."""
    xp = namespace(p)
    _check_boundary(boundary)
    if boundary == "periodic":
        return (xp.roll(p[0, ...], 1, axis=0) - p[0, ...]) + (xp.roll(p[1, ...], 1, axis=1) - p[1, ...])
    _, h, w = p.shape
    q0 = p[0, :-1, :]          # the entries ∇ can produce (last row is always 0)
    q1 = p[1, :, :-1]
    z_row = xp.zeros((1, w), dtype=p.dtype, device=_device(p))
    z_col = xp.zeros((h, 1), dtype=p.dtype, device=_device(p))
    a0 = xp.concat([z_row, q0], axis=0) - xp.concat([q0, z_row], axis=0)
    a1 = xp.concat([z_col, q1], axis=1) - xp.concat([q1, z_col], axis=1)
    return a0 + a1


def _tv_of(g, isotropic=True):
    xp = namespace(g)
    if isotropic:
        return float(xp.sum(xp.sqrt(g[0, ...] * g[0, ...] + g[1, ...] * g[1, ...])))
    return float(xp.sum(xp.abs(g)))


def total_variation(x, isotropic=True, boundary="neumann"):
    """TV(x) = Σ_ij ‖∇x_ij‖₂ (isotropic) or Σ_ij |∇x_ij|₁ (anisotropic), ∇ of :func:`gradient`."""
    return _tv_of(gradient(x, boundary), isotropic)


def laplacian_symbol(shape, xp=None, dtype=None, device=None):
    """Eigenvalues of ∇ᵀ∇ (periodic) in the unshifted 2-D DFT layout: 4 sin²(π k/h) + 4 sin²(π l/w).

    ∇ᵀ∇ is the circulant 5-point Laplacian −Δ; e^{2πi(jk/h + j'l/w)} is its
    eigenvector with eigenvalue |e^{2πik/h} − 1|² + |e^{2πil/w} − 1|².
    """
    h, w = shape
    k = np.sin(np.pi * np.arange(h) / h) ** 2
    l_ = np.sin(np.pi * np.arange(w) / w) ** 2
    out = 4.0 * (k[:, None] + l_[None, :])
    if xp is None:
        return out
    return xp.asarray(out, dtype=dtype, device=device)


# ---------------------------------------------------------------------------
# orthonormal multi-level Haar wavelet
# ---------------------------------------------------------------------------
def haar_plan(shape, levels=None):
    """The block sizes of the multi-level 2-D Haar transform of an (h, w) image.

    Level ℓ transforms the top-left (a, b) block of approximation
    coefficients along axis 0 if a is even and along axis 1 if b is even (an
    odd side is left as it is), halving those sides.  ``levels=None`` goes on
    while a side can be halved.  Returns a list of (a, b, along0, along1).
    """
    h, w = (_checks.positive_int(s, "shape entry") for s in shape)
    if levels is not None:
        levels = _checks.positive_int(levels, "levels", minimum=0)
    plan = []
    a, b = h, w
    while levels is None or len(plan) < levels:
        d0, d1 = a % 2 == 0 and a >= 2, b % 2 == 0 and b >= 2
        if not (d0 or d1):
            break
        plan.append((a, b, d0, d1))
        a, b = (a // 2 if d0 else a), (b // 2 if d1 else b)
    return plan


def _haar_axis(x, axis):
    """One orthonormal Haar step along ``axis``: [(x_even + x_odd)/√2 ; (x_even − x_odd)/√2]."""
    xp = namespace(x)
    r = 1.0 / math.sqrt(2.0)
    if axis == 0:
        e, o = x[0::2, :], x[1::2, :]
    else:
        e, o = x[:, 0::2], x[:, 1::2]
    return xp.concat([(e + o) * r, (e - o) * r], axis=axis)


def _ihaar_axis(c, axis):
    """Inverse of :func:`_haar_axis`: interleave (s + d)/√2 and (s − d)/√2."""
    xp = namespace(c)
    r = 1.0 / math.sqrt(2.0)
    half = c.shape[axis] // 2
    if axis == 0:
        s, d = c[:half, :], c[half:, :]
        return xp.reshape(xp.stack([(s + d) * r, (s - d) * r], axis=1), (2 * half, c.shape[1]))
    s, d = c[:, :half], c[:, half:]
    return xp.reshape(xp.stack([(s + d) * r, (s - d) * r], axis=2), (c.shape[0], 2 * half))


def _replace_block(x, block):
    """x with its top-left block replaced (array-API: by concatenation, no in-place writes)."""
    xp = namespace(x)
    a, b = block.shape
    top = xp.concat([block, x[:a, b:]], axis=1) if b < x.shape[1] else block
    return xp.concat([top, x[a:, :]], axis=0) if a < x.shape[0] else top


def haar2(x, levels=None):
    """Orthonormal multi-level 2-D Haar analysis Ψ x of an (h, w) image (Mallat layout, :func:`haar_plan`).

    Each step maps a pair (x_even, x_odd) to ((x_even + x_odd)/√2, (x_even − x_odd)/√2), a rotation,
    so Ψ is orthonormal: Ψᵀ = Ψ⁻¹ = :func:`ihaar2`.
    """
    _checks.array(x, "x", ndim=2, finite=False)
    for a, b, d0, d1 in haar_plan(x.shape, levels):
        block = x[:a, :b]
        if d0:
            block = _haar_axis(block, 0)
        if d1:
            block = _haar_axis(block, 1)
        x = _replace_block(x, block)
    return x


def ihaar2(c, levels=None):
    """Inverse (= adjoint) of :func:`haar2`: the synthesis Ψᵀ c."""
    _checks.array(c, "c", ndim=2, finite=False)
    for a, b, d0, d1 in reversed(haar_plan(c.shape, levels)):
        block = c[:a, :b]
        if d1:
            block = _ihaar_axis(block, 1)
        if d0:
            block = _ihaar_axis(block, 0)
        c = _replace_block(c, block)
    return c


# ---------------------------------------------------------------------------
# zero filling
# ---------------------------------------------------------------------------
def zero_filled(A, y, shape=None, part="magnitude"):
    """Zero-filled inverse FFT: F^H P_Ωᵀ y (the k-space with zeros at unsampled locations).

    For a :class:`SubsampledFourier` ``A`` this is ``A.zero_filled(y, part)``:
    ``part="magnitude"`` (default, the usual MRI reconstruction) or ``"real"``
    (= Aᵀ y).  For any other operator, Aᵀ y reshaped to ``shape``.
    """
    xp, shape = _setup(A, y, shape)
    if hasattr(A, "zero_filled"):
        return A.zero_filled(y, part=part)
    return xp.reshape(A.T @ y, shape)


# ---------------------------------------------------------------------------
# ℓ1 in an orthonormal basis by FISTA
# ---------------------------------------------------------------------------
def fista_l1(A, y, analysis, synthesis, shape=None, lam=0.0, iters=20000, tol=TOL, monotone=True, x0=None,
             rng=0, method="l1"):
    """min_x ½‖A x − y‖² + λ ‖Ψ x‖₁ for an orthonormal Ψ, by FISTA on c = Ψ x.

    With c = Ψ x (Ψ orthonormal: x = Ψᵀ c) the problem is the LASSO
    min_c f(c) + λ‖c‖₁, f(c) = ½‖A Ψᵀ c − y‖², ∇f(c) = Ψ Aᵀ(A Ψᵀ c − y),
    whose gradient is L-Lipschitz with L = ‖A Ψᵀ‖² = ‖A‖².  FISTA (Beck &
    Teboulle 2009) with step 1/L:

        z_k = soft(v_k − ∇f(v_k)/L, λ/L)
        t_{k+1} = (1 + √(1 + 4 t_k²)) / 2
        v_{k+1} = c_k + (t_k/t_{k+1})(z_k − c_k) + ((t_k − 1)/t_{k+1})(c_k − c_{k−1}),

    where c_k = z_k (plain FISTA) or, with ``monotone=True`` (MFISTA), the
    better of z_k and c_{k−1}: the objective is then non-increasing.  The
    images A Ψᵀ c are carried along linearly, so one ``A @`` and one
    ``A.T @`` are spent per iteration.

    **Stopping criterion:** the relative duality gap at v_k, a certificate
    F(v_k) − F* ≤ gap.  The dual of the LASSO is max_θ −½‖θ‖² − ⟨θ, y⟩
    subject to ‖Ψ Aᵀ θ‖_∞ ≤ λ (θ = A Ψᵀ c − y at the optimum); the residual
    r = A Ψᵀ v_k − y scaled by s = min(1, λ/‖Ψ Aᵀ r‖_∞) is dual feasible, so

        gap = F(v_k) + ½ s²‖r‖² + s ⟨r, y⟩ ≤ tol · F(v_k)

    stops the iteration (Ψ Aᵀ r is the gradient FISTA computes anyway, so
    the gap is free).  A fixed-point residual ‖T(v) − v‖ would not do: for
    small λ the LASSO is so flat that FISTA's steps are tiny long before the
    image is near the minimiser.  The returned image is the certified v_k
    (or, when the cap is hit, the last c_k).

    Parameters
    ----------
    A, y
        Operator (or array) and measurements.
    analysis, synthesis : callables
        Ψ: (h, w) image → (h, w) coefficients, and Ψᵀ = Ψ⁻¹ back.
    shape : (h, w), optional
        Image shape (default ``A.image_shape``).
    lam : float
    iters : int
        Safety cap on the iterations.
    tol : float
        Tolerance of the stopping criterion (0: run all ``iters``).
    monotone : bool
        MFISTA (default) or plain FISTA.
    x0 : array, optional
        Starting image (default 0).
    rng : int
        Seed of the power iteration for ‖A‖.
    method : str
        Name recorded in the result.

    Returns
    -------
    BaselineResult
    """
    xp, shape = _setup(A, y, shape)
    iters, tol = _check_iters(iters, tol)
    lam = _checks.positive_float(lam, "lam", allow_zero=True)
    L = _lipschitz(A, rng)
    step = 1.0 / L

    def synth(c):                     # Ψᵀ c, flattened
        return xp.reshape(synthesis(c), (-1,))

    def objective(c, Ac):
        r = Ac - y
        return 0.5 * float(xp.sum(r * r)) + lam * float(xp.sum(xp.abs(c)))

    c = analysis(_start(x0, xp, shape, y))
    Ac = A @ synth(c)
    v, Av = c, Ac
    t = 1.0
    F = objective(c, Ac)
    history = [F]
    k, res, converged = 0, float("inf"), False
    for k in range(1, iters + 1):
        r = Av - y
        grad = analysis(xp.reshape(A.T @ r, shape))
        # duality gap at v (free: r and Ψ Aᵀ r are at hand)
        Fv = objective(v, Av)
        gmax = float(xp.max(xp.abs(grad)))
        sc = min(1.0, lam / gmax) if gmax > 0 else 1.0
        gap = Fv + 0.5 * sc * sc * float(xp.sum(r * r)) + sc * float(xp.sum(r * y))
        res = max(gap, 0.0) / max(Fv, 1e-300)
        if tol > 0 and res <= tol:
            converged = True
            c = v
            history.append(Fv)
            break
        z = soft_threshold(v - step * grad, step * lam)
        Az = A @ synth(z)
        Fz = objective(z, Az)
        if monotone and Fz > F:
            c_new, Ac_new, F_new = c, Ac, F
        else:
            c_new, Ac_new, F_new = z, Az, Fz
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        a, b = t / t_next, (t - 1.0) / t_next
        v = c_new + a * (z - c_new) + b * (c_new - c)
        Av = Ac_new + a * (Az - Ac_new) + b * (Ac_new - Ac)
        c, Ac, F, t = c_new, Ac_new, F_new, t_next
        history.append(F)
    return BaselineResult(image=synthesis(c), objective=np.asarray(history), lam=lam, iterations=k, method=method,
                          step_sizes={"step": step}, converged=converged,
                          criterion="relative duality gap (FISTA)", residual=res, tol=tol)


def lambda_scale(method, A, y, shape=None):
    """The data scale of the "fraction" rule: ‖Ψ Aᵀ y‖_∞ for ℓ1 (λ_max), ‖Aᵀ y‖_∞ for TV."""
    xp, shape = _setup(A, y, shape)
    back = xp.reshape(A.T @ y, shape)
    if method == "l1-dct":
        return float(xp.max(xp.abs(dct(back))))
    if method == "l1-haar":
        return float(xp.max(xp.abs(haar2(back))))
    if method in ("tv", "tv-box"):
        return float(xp.max(xp.abs(back)))
    raise ValueError(f"method must be one of {ITERATIVE}, got {method!r}")


def l1_dct(A, y, shape=None, lam=None, lam_fraction=None, iters=20000, tol=TOL, monotone=True, x0=None, rng=0):
    """ℓ1-sparsity in the orthonormal 2-D DCT, min_x ½‖A x − y‖² + λ ‖Ψ x‖₁, by :func:`fista_l1`.

    ``lam=None``: λ = ``lam_fraction`` · ‖Ψ Aᵀ y‖_∞ (default fraction ``FRACTIONS["l1-dct"]``;
    ‖Ψ Aᵀ y‖_∞ is the smallest λ for which x = 0 is optimal).  Other parameters as in :func:`fista_l1`.
    """
    xp, shape = _setup(A, y, shape)
    frac = FRACTIONS["l1-dct"] if lam_fraction is None else lam_fraction
    lam = _lam(lam, frac, lambda_scale("l1-dct", A, y, shape) if lam is None else 0.0)
    return fista_l1(A, y, dct, idct, shape, lam, iters, tol, monotone, x0, rng, method="l1-dct")


def l1_haar(A, y, shape=None, lam=None, lam_fraction=None, levels=None, iters=20000, tol=TOL, monotone=True,
            x0=None, rng=0):
    """ℓ1-sparsity in the orthonormal multi-level Haar basis (:func:`haar2`), by :func:`fista_l1`.

    ``lam=None``: λ = ``lam_fraction`` · ‖Ψ Aᵀ y‖_∞ (default fraction ``FRACTIONS["l1-haar"]``).
    """
    xp, shape = _setup(A, y, shape)
    haar_plan(shape, levels)                          # validates levels
    frac = FRACTIONS["l1-haar"] if lam_fraction is None else lam_fraction
    lam = _lam(lam, frac, lambda_scale("l1-haar", A, y, shape) if lam is None else 0.0)
    return fista_l1(A, y, lambda x: haar2(x, levels), lambda c: ihaar2(c, levels), shape, lam, iters, tol,
                    monotone, x0, rng, method="l1-haar")


# ---------------------------------------------------------------------------
# total variation by Chambolle–Pock (any A)
# ---------------------------------------------------------------------------
def _project_tv_dual(p, lam, isotropic):
    """Projection onto {p : ‖p_ij‖₂ ≤ λ} (isotropic) or {|p| ≤ λ} (anisotropic) — prox of (λ TV)*."""
    xp = namespace(p)
    if lam == 0:
        return xp.zeros_like(p)
    if isotropic:
        mag = xp.sqrt(p[0, ...] * p[0, ...] + p[1, ...] * p[1, ...])
        return p / xp.clip(mag / lam, min=1.0)
    return xp.clip(p, min=-lam, max=lam)


def tv(A, y, shape=None, lam=None, lam_fraction=None, iters=100000, tol=TOL_CP, isotropic=True, boundary="neumann",
       box=None, x0=None, rng=0):
    """Total-variation reconstruction min_x ½‖A x − y‖² + λ TV(x) [+ box], by Chambolle–Pock.

    TV is isotropic by default, TV(x) = Σ_ij ‖(∇x)_ij‖₂ with forward
    differences (:func:`gradient`, ``boundary`` "neumann" by default or
    "periodic"); ``isotropic=False`` gives the anisotropic Σ |∂₀x| + |∂₁x|.
    ``box=(lo, hi)`` adds the constraint lo ≤ x ≤ hi.

    Both terms are dualised (so any A works, no inner solve): with
    K x = (A x, ∇x), F(u, g) = ½‖u − y‖² + λ‖g‖, G = the box indicator (0
    without a box), the primal–dual iteration of Chambolle & Pock (2011) with
    θ = 1 reads

        q ← (q + σ (A x̄ − y)) / (1 + σ)          prox of σ F₁*,
        p ← Π_λ(p + σ ∇x̄)                        projection on the dual ball,
        x_new ← clip(x − τ (Aᵀ q + ∇ᵀ p))         prox of τ G,
        x̄ ← 2 x_new − x,

    and converges for τσ‖K‖² < 1; we take τ = σ = 0.99/‖K‖ with
    ‖K‖² ≤ ‖A‖² + ‖∇‖² ≤ ‖A‖² + 8.

    **Stopping criterion:** the relative primal–dual residual.  The prox
    steps give (x − x_new)/τ ∈ ∂G(x_new) + Kᵀ(q, p) and
    ((q, p)_old − (q, p))/σ + K(x̄ − x_new) ∈ ∂F*(q, p) − K x_new, the two
    optimality conditions; we stop when both residuals, relative to
    ‖Aᵀq‖ + ‖∇ᵀp‖ + ‖(x − x_new)/τ − Kᵀ(q, p)‖ (the terms that must cancel) and to
    ‖K x_new‖, are ≤ ``tol``.  Chambolle–Pock
    is slow to reach tight tolerances (O(1/k)); for Fourier sampling,
    :func:`tv_admm` solves the same periodic-TV problem far faster.

    Parameters
    ----------
    A, y, shape
        As in :func:`fista_l1`.
    lam : float, optional
        λ; default ``lam_fraction · ‖Aᵀ y‖_∞`` (fraction ``FRACTIONS["tv"]`` by default).
    iters, tol
        Safety cap and tolerance (0: run all ``iters``).
    isotropic : bool
    boundary : {"neumann", "periodic"}
    box : (float, float), optional
    x0 : array, optional
        Starting image.
    rng : int
        Seed of the power iteration for ‖A‖.

    Returns
    -------
    BaselineResult
    """
    xp, shape = _setup(A, y, shape)
    iters, tol = _check_iters(iters, tol)
    _check_boundary(boundary)
    box = _box(box)
    frac = FRACTIONS["tv"] if lam_fraction is None else lam_fraction
    lam = _lam(lam, frac, lambda_scale("tv", A, y, shape) if lam is None else 0.0)
    K = math.sqrt(_lipschitz(A, rng) + 8.0)
    tau = sigma = 0.99 / K

    def grad(x):
        return gradient(x, boundary)

    def grad_t(p):
        return gradient_adjoint(p, boundary)

    def objective(g, Ax):
        r = Ax - y
        return 0.5 * float(xp.sum(r * r)) + lam * _tv_of(g, isotropic)

    dev = _device(y)
    x = _start(x0, xp, shape, y)
    if box is not None:
        x = xp.clip(x, min=box[0], max=box[1])
    # A x and ∇x are carried along: A x̄ = 2 A x_new − A x and ∇x̄ = 2 ∇x_new − ∇x (both linear)
    Ax, g = A @ xp.reshape(x, (-1,)), grad(x)
    Axbar, gbar = Ax, g
    q = xp.zeros_like(y)
    p = xp.zeros((2,) + tuple(shape), dtype=y.dtype, device=dev)
    history = [objective(g, Ax)]
    k, res, converged = 0, float("inf"), False
    for k in range(1, iters + 1):
        q_new = (q + sigma * (Axbar - y)) / (1.0 + sigma)
        p_new = _project_tv_dual(p + sigma * gbar, lam, isotropic)
        ATq, DTp = xp.reshape(A.T @ q_new, shape), grad_t(p_new)
        KTy = ATq + DTp
        x_new = x - tau * KTy
        if box is not None:
            x_new = xp.clip(x_new, min=box[0], max=box[1])
        Ax_new, g_new = A @ xp.reshape(x_new, (-1,)), grad(x_new)
        # residuals of the two optimality conditions at (x_new, q_new, p_new)
        r_primal = _norm(xp, x - x_new) / tau
        dq = (q - q_new) / sigma + (Axbar - Ax_new)
        dp = (p - p_new) / sigma + (gbar - g_new)
        r_dual = math.sqrt(_norm(xp, dq) ** 2 + _norm(xp, dp) ** 2)
        scale_p = max(_norm(xp, ATq) + _norm(xp, DTp) + _norm(xp, (x - x_new) / tau - KTy), 1e-300)
        scale_d = max(math.sqrt(_norm(xp, Ax_new) ** 2 + _norm(xp, g_new) ** 2), 1e-300)
        res = max(r_primal / scale_p, r_dual / scale_d)
        Axbar, gbar = 2.0 * Ax_new - Ax, 2.0 * g_new - g
        x, Ax, g, q, p = x_new, Ax_new, g_new, q_new, p_new
        history.append(objective(g, Ax))
        if tol > 0 and res <= tol:
            converged = True
            break
    return BaselineResult(image=x, objective=np.asarray(history), lam=lam, iterations=k,
                          method="tv-box" if box is not None else "tv", step_sizes={"tau": tau, "sigma": sigma},
                          converged=converged, criterion="relative primal-dual residual (Chambolle-Pock)",
                          residual=res, tol=tol)


# ---------------------------------------------------------------------------
# total variation by ADMM with an exact Fourier-domain x-update
# ---------------------------------------------------------------------------
def fourier_gram(A, shape=None, check=True, rng=0):
    """The Fourier symbol Q of AᵀA for subsampled Fourier ``A``: AᵀA x = F^H (Q ⊙ F x) for real x.

    For A x = [Re (F x)_Ω ; Im (F x)_Ω] with mask P (1 on Ω), AᵀA x = Re(F^H P F x).
    Let X = F x.  x is real, so X[−k] = conj(X[k]), and conj(F^H V) = F^H Ṽ with
    Ṽ[k] = conj(V[−k]).  For V = P X this is Ṽ[k] = P[−k] X[k], hence

        AᵀA x = ½ (F^H P X + conj(F^H P X)) = F^H ((P + P̃)/2 ⊙ F x),   P̃[k] = P[−k],

    i.e. Q = (P + P̃)/2 ∈ {0, ½, 1}: a frequency sampled together with its mirror
    counts once, one sampled without its mirror counts half.  ``A`` must carry
    ``mask`` (unshifted fft2 layout) and ``image_shape``; with ``check=True`` the
    identity is verified on a random image (ValueError if A is not such an operator).
    """
    mask = getattr(A, "mask", None)
    if shape is None:
        shape = getattr(A, "image_shape", None)
    if mask is None or shape is None or tuple(mask.shape) != tuple(shape):
        raise ValueError("A must be a subsampled Fourier operator (with .mask and .image_shape) for the "
                         "Fourier-domain solve; use tv() (Chambolle-Pock) for a general A")
    A = as_operator(A)
    xp = A.xp if A.xp is not None else namespace(mask)
    dtype = getattr(A, "dtype", None)
    if dtype is None:
        dtype = xp.float64
    P = xp.astype(mask, dtype)
    # P̃[k] = P[−k mod s] along both axes: flip, then roll by one so that index 0 stays at 0
    mirrored = xp.roll(xp.flip(P, axis=(0, 1)), (1, 1), axis=(0, 1))
    Q = 0.5 * (P + mirrored)
    if check:
        from ._backend import asarray, as_generator
        x = asarray(as_generator(rng).standard_normal(tuple(shape)), xp=xp, dtype=dtype, device=_device(Q))
        lhs = xp.reshape(A.T @ (A @ xp.reshape(x, (-1,))), tuple(shape))
        rhs = xp.real(ifft2(Q * fft2(x)))
        tol = 1e-4 if dtype == xp.float32 else 1e-10
        if _norm(xp, lhs - rhs) > tol * max(_norm(xp, x), 1e-300):
            raise ValueError("A's Gram matrix AᵀA is not F^H diag((P + P̃)/2) F for its mask: not an orthonormal "
                             "subsampled Fourier operator; use tv() (Chambolle-Pock)")
    return Q


def tv_admm(A, y, shape=None, lam=None, lam_fraction=None, box=None, rho=None, iters=20000, tol=TOL_ADMM, x0=None,
            adapt_rho=True, rng=0):
    """Periodic isotropic TV, min_x ½‖A x − y‖² + λ TV(x) [s.t. lo ≤ x ≤ hi], by ADMM with an FFT x-update.

    Splitting z = ∇x (periodic :func:`gradient`) and, with ``box=(lo, hi)``,
    w = x, the scaled-form ADMM (Boyd et al. 2011, §3.1.1) iterates

        x ← (AᵀA + ρ ∇ᵀ∇ + ρ β I)⁻¹ (Aᵀy + ρ ∇ᵀ(z − u) + ρ β (w − v))      (β = 1 with a box, else 0)
        z ← shrink(∇x + u, λ/ρ)                 prox of (λ/ρ) Σ‖·‖₂ (:func:`shrink`)
        w ← clip(x + v, lo, hi)                 projection on the box
        u ← u + ∇x − z,   v ← v + x − w.

    The x-update is exact and costs two FFTs: AᵀA = F^H diag(Q) F
    (:func:`fourier_gram`) and ∇ᵀ∇ = F^H diag(Λ) F (:func:`laplacian_symbol`),
    so x = Re F^H[F b / (Q + ρΛ + ρβ)].  Where the denominator is 0 (only the
    DC coefficient when it is not sampled and there is no box: the objective
    does not see the mean) the pseudo-inverse keeps that coefficient at 0.

    **Stopping criterion** (Boyd et al. §3.3): primal residual
    r = ‖(∇x − z, x − w)‖ relative to max(‖(∇x, x)‖, ‖(z, w)‖) and dual residual
    s = ρ‖∇ᵀ(z − z_old) + (w − w_old)‖ relative to ρ‖∇ᵀu + v‖, both ≤ ``tol``.
    With ``adapt_rho`` ρ is doubled / halved (u, v rescaled) when one relative
    residual exceeds the other tenfold (residual balancing, §3.4.1); every change of ρ only
    recomputes the denominator.

    Parameters
    ----------
    A : SubsampledFourier (or any operator with ``mask`` whose Gram is as above)
    y : (m,) array
    shape : (h, w), optional
    lam : float, optional
        λ; default ``lam_fraction · ‖Aᵀ y‖_∞`` (``FRACTIONS["tv"]`` or ``["tv-box"]``).
    box : (float, float), optional
        Box constraint (``(0, 1)`` for images in [0, 1]); the returned image is then the
        feasible w.
    rho : float, optional
        Initial penalty (default 1, the scale of AᵀA's largest eigenvalue).
    iters, tol
        Safety cap and tolerance (0: run all ``iters``).
    x0 : array, optional
        Starting image (z = ∇x0, w = x0, zero multipliers).
    adapt_rho : bool
    rng : int
        Seed of the probe that checks :func:`fourier_gram`.

    The recorded objective is that of the x-iterate (evaluated in k-space by Parseval,
    ½‖Ax − y‖² = ½ Σ_k Q_k |(F x)_k|² − ⟨x, Aᵀy⟩ + ½‖y‖², no extra FFT); with a box the
    x-iterate meets the box only in the limit, and the returned w is the feasible twin.

    Returns
    -------
    BaselineResult
    """
    xp, shape = _setup(A, y, shape)
    iters, tol = _check_iters(iters, tol)
    box = _box(box)
    method = "tv-box" if box is not None else "tv"
    frac = FRACTIONS[method] if lam_fraction is None else lam_fraction
    lam = _lam(lam, frac, lambda_scale("tv", A, y, shape) if lam is None else 0.0)
    rho = 1.0 if rho is None else _checks.positive_float(rho, "rho")
    Q = fourier_gram(A, shape, rng=rng)
    lap = laplacian_symbol(shape, xp=xp, dtype=y.dtype, device=_device(y))
    beta = 0.0 if box is None else 1.0

    def inverse_symbol(r):
        d = Q + r * lap + r * beta
        return xp.where(d > 0, 1.0 / xp.where(d > 0, d, 1.0), 0.0)

    def grad(x):
        return gradient(x, "periodic")

    def grad_t(p):
        return gradient_adjoint(p, "periodic")

    Aty = xp.reshape(A.T @ y, shape)
    yy = float(xp.sum(y * y))

    def objective(x, X, gx):
        # ½‖Ax − y‖² = ½ Σ_k Q_k |X_k|² − ⟨x, Aᵀy⟩ + ½‖y‖² with X = F x (Parseval): no extra FFT
        fit = 0.5 * float(xp.sum(Q * xp.real(X * xp.conj(X)))) - float(xp.sum(x * Aty)) + 0.5 * yy
        return max(fit, 0.0) + lam * _tv_of(gx)

    x = _start(x0, xp, shape, y)
    if box is not None:
        x = xp.clip(x, min=box[0], max=box[1])
    z, u = grad(x), xp.zeros((2,) + tuple(shape), dtype=y.dtype, device=_device(y))
    w, v = x, xp.zeros_like(x)
    inv = inverse_symbol(rho)
    history = [objective(x, fft2(x), z)]
    k, res, converged = 0, float("inf"), False
    for k in range(1, iters + 1):
        b = Aty + rho * grad_t(z - u)
        if box is not None:
            b = b + rho * (w - v)
        X = inv * fft2(b)
        x = xp.real(ifft2(X))
        gx = grad(x)
        z_old, w_old = z, w
        z = shrink(gx + u, lam / rho)
        u = u + gx - z
        if box is not None:
            w = xp.clip(x + v, min=box[0], max=box[1])
            v = v + x - w
        # residuals (Boyd et al. §3.3.1), relative
        r_p = math.sqrt(_norm(xp, gx - z) ** 2 + beta * _norm(xp, x - w) ** 2)
        s_d = rho * _norm(xp, grad_t(z - z_old) + beta * (w - w_old))
        scale_p = max(math.sqrt(_norm(xp, gx) ** 2 + beta * _norm(xp, x) ** 2),
                      math.sqrt(_norm(xp, z) ** 2 + beta * _norm(xp, w) ** 2), 1e-300)
        scale_d = max(rho * _norm(xp, grad_t(u) + beta * v), 1e-300)
        rel_p, rel_d = r_p / scale_p, s_d / scale_d
        res = max(rel_p, rel_d)
        history.append(objective(x, X, gx))
        if tol > 0 and res <= tol:
            converged = True
            break
        if adapt_rho and k % 10 == 0:
            if rel_p > 10.0 * rel_d:
                rho, u, v = 2.0 * rho, u / 2.0, v / 2.0
                inv = inverse_symbol(rho)
            elif rel_d > 10.0 * rel_p:
                rho, u, v = rho / 2.0, 2.0 * u, 2.0 * v
                inv = inverse_symbol(rho)
    image = w if box is not None else x
    return BaselineResult(image=image, objective=np.asarray(history), lam=lam, iterations=k, method=method,
                          step_sizes={"rho": rho}, converged=converged,
                          criterion="max relative primal/dual residual (ADMM)", residual=res, tol=tol)


# ---------------------------------------------------------------------------
# one entry point, and the λ rules
# ---------------------------------------------------------------------------
#: the classical methods of Fig. 5 by name
METHODS = ("zero-filled", "l1-dct", "l1-haar", "tv", "tv-box")
#: the methods with a regularization weight λ
ITERATIVE = METHODS[1:]


def _fourier_diagonal(A):
    try:
        fourier_gram(A)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def solve(method, A, y, shape=None, lam=None, **kwargs):
    """Run the iterative method ``method`` (one of :data:`ITERATIVE`) and return its :class:`BaselineResult`.

    ``"tv"``/``"tv-box"`` solve the periodic TV problem (box (0, 1) for ``"tv-box"``), by
    :func:`tv_admm` when A's Gram is Fourier-diagonal (:func:`fourier_gram`) and by
    :func:`tv` (Chambolle–Pock, ``boundary="periodic"``) otherwise.
    """
    if method == "l1-dct":
        return l1_dct(A, y, shape, lam=lam, **kwargs)
    if method == "l1-haar":
        return l1_haar(A, y, shape, lam=lam, **kwargs)
    if method in ("tv", "tv-box"):
        box = (0.0, 1.0) if method == "tv-box" else None
        if _fourier_diagonal(A):
            return tv_admm(A, y, shape, lam=lam, box=box, **kwargs)
        frac = kwargs.pop("lam_fraction", None)
        if lam is None:
            xp, shp = _setup(A, y, shape)
            lam = (FRACTIONS[method] if frac is None else frac) * lambda_scale(method, A, y, shp)
        return tv(A, y, shape, lam=lam, boundary="periodic", box=box, **kwargs)
    raise ValueError(f"method must be one of {ITERATIVE}, got {method!r}")


__all__ += ["solve"]


def reconstruct(method, A, y, shape=None, **kwargs):
    """Run the classical method ``method`` (one of :data:`METHODS`) and return the (h, w) image."""
    if method == "zero-filled":
        return zero_filled(A, y, shape, **kwargs)
    if method in ITERATIVE:
        return solve(method, A, y, shape, **kwargs).image
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


@dataclass
class LambdaChoice:
    """A regularization weight chosen by a rule, and the reconstruction at it.

    Attributes
    ----------
    method, rule : str
    lam : float
        The chosen λ.
    result : BaselineResult
        The reconstruction at ``lam``.
    grid : numpy.ndarray
        The λ tried by this call (increasing; empty for the "fraction" rule).
    scores : numpy.ndarray
        Per λ of ``grid``: PSNR against the truth (oracle) or ‖A x_λ − y‖² (discrepancy).
    target : float
        The discrepancy level m_eff σ² (NaN for the other rules).
    at_edge : bool
        The chosen λ is the smallest or largest tried (the walk hit ``max_steps``, or the
        discrepancy rule found no λ that fits: the optimum may lie outside).
    """

    method: str
    rule: str
    lam: float
    result: BaselineResult
    grid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    target: float = float("nan")
    at_edge: bool = False


RULES = ("oracle", "discrepancy", "fraction", "auto")
__all__ += ["RULES"]


def _psnr(x, truth):
    from .mri import psnr
    return psnr(x, truth)


def tune_lambda(method, A, y, shape=None, rule="auto", truth=None, noise_std=None, grid=None, ratio=GRID_RATIO,
                max_steps=6, refine=True, cache=None, **kwargs):
    """Choose λ for ``method`` by a documented rule and return the reconstruction at it.

    Rules (module docstring):

    * ``"oracle"`` — the λ with the best PSNR against ``truth``.  From the fraction
      rule's λ₀ (or the given ``grid``, all of which is solved), λ walks by the factor
      ``ratio`` in the direction that improves the PSNR until it stops improving (at
      most ``max_steps`` steps: PSNR(λ) is taken to be unimodal on this grid); with
      ``refine`` the geometric midpoints between the best λ and its neighbours are
      tried too.  Labelled "oracle-tuned": an upper bound for the method, not
      something a user can do.
    * ``"discrepancy"`` — Morozov: the largest λ of the same kind of grid with
      ‖A x_λ − y‖² ≤ m_eff σ², m_eff = len(y), σ = ``noise_std`` > 0 (the residual
      grows with λ: walk up while it fits, down while it does not; if none fits, the
      smallest λ tried); with ``refine`` the geometric midpoint towards the next λ is
      tried.  Never sees the truth.
    * ``"fraction"`` — λ = ``FRACTIONS[method]`` · :func:`lambda_scale` (noiseless data).
    * ``"auto"`` — ``"discrepancy"`` when ``noise_std`` > 0, else ``"fraction"``.

    With ``ratio`` = 4 and ``refine`` the final resolution is a factor 2 in λ.  Each
    solve is warm-started from the image of the nearest λ solved so far
    (continuation).  ``cache`` (a dict λ → :class:`BaselineResult`) shares solves
    between calls on the same data, e.g. the oracle's walk holds the fraction rule's
    λ₀.  ``kwargs`` go to :func:`solve` (``iters``, ``tol``, …).

    Returns
    -------
    LambdaChoice
    """
    if method not in ITERATIVE:
        raise ValueError(f"method must be one of {ITERATIVE}, got {method!r}")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if noise_std is not None:
        noise_std = _checks.positive_float(noise_std, "noise_std", allow_zero=True)
    ratio = _checks.positive_float(ratio, "ratio")
    if ratio <= 1.0:
        raise ValueError(f"ratio must be > 1, got {ratio}")
    max_steps = _checks.positive_int(max_steps, "max_steps", minimum=0)
    if rule == "auto":
        rule = "discrepancy" if noise_std else "fraction"
    if rule == "oracle" and truth is None:
        raise ValueError("rule='oracle' needs truth= (the ground-truth image)")
    if rule == "discrepancy" and not noise_std:
        raise ValueError("rule='discrepancy' needs noise_std > 0 (the std of each real noise entry)")
    xp, shape = _setup(A, y, shape)
    results = {} if cache is None else cache
    tried = set()

    def run(lams):
        tried.update(lams)
        todo = [lam for lam in lams if lam not in results]
        if not todo:
            return
        start = None
        if results:                     # warm start from the nearest λ solved so far
            near = min(results, key=lambda l0: abs(math.log(l0) - math.log(todo[0])))
            start = results[near].image
        for lam in todo:
            results[lam] = solve(method, A, y, shape, lam=lam, x0=start, **kwargs)
            start = results[lam].image

    base = FRACTIONS[method] * lambda_scale(method, A, y, shape)
    if rule == "fraction":
        run([base])
        return LambdaChoice(method, rule, base, results[base])
    if grid is None:
        grid = [base * ratio, base, base / ratio]
    grid = sorted((_checks.positive_float(g, "grid entry") for g in grid), reverse=True)
    run(grid)

    def residual(lam):
        r = A @ xp.reshape(results[lam].image, (-1,)) - y
        return float(xp.sum(r * r))

    scores = {}

    def score(lam):
        if lam not in scores:
            scores[lam] = _psnr(results[lam].image, truth)
        return scores[lam]

    target = float("nan")
    if rule == "oracle":
        for _ in range(max_steps):
            lams = sorted(tried)
            best = max(lams, key=score)
            if best == lams[-1]:
                run([best * ratio])
            elif best == lams[0]:
                run([best / ratio])
            else:
                break
        lams = sorted(tried)
        best = max(lams, key=score)
        i = lams.index(best)
        if refine:
            run([math.sqrt(best * lams[j]) for j in (i - 1, i + 1) if 0 <= j < len(lams)])
        lams = sorted(tried)
        chosen = max(lams, key=score)
        values = [score(lam) for lam in lams]
    else:
        target = float(y.shape[0]) * noise_std ** 2
        for _ in range(max_steps):
            lams = sorted(tried)
            fits = [lam for lam in lams if residual(lam) <= target]
            if len(fits) == len(lams):              # every λ fits: walk up
                run([lams[-1] * ratio])
            elif not fits:                          # none fits: walk down
                run([lams[0] / ratio])
            else:
                break
        lams = sorted(tried)
        ok = [lam for lam in lams if residual(lam) <= target]
        chosen = max(ok) if ok else lams[0]
        if refine and ok and chosen != lams[-1]:
            mid = math.sqrt(chosen * lams[lams.index(chosen) + 1])
            run([mid])
            if residual(mid) <= target:
                chosen = mid
        lams = sorted(tried)
        values = [residual(lam) for lam in lams]
    at_edge = chosen in (lams[0], lams[-1])
    return LambdaChoice(method, rule, chosen, results[chosen], np.asarray(lams), np.asarray(values), target, at_edge)


def calibration_phantom(size=64, oversample=4, ellipses=8, rng=0):
    """A random piecewise-constant ellipse phantom on the (oversample·size)² fine grid (host NumPy).

    The image class of the Shepp–Logan phantom (a bright rim, ``ellipses`` inner ellipses of random
    centre, axes, angle and intensity in [0.1, 0.9] that add up), but never the phantom itself: the
    images on which :func:`calibrate_fractions` fixes :data:`FRACTIONS`.
    """
    from ._backend import as_generator
    gen = as_generator(rng)
    N = _checks.positive_int(size, "size") * _checks.positive_int(oversample, "oversample")
    t = (np.arange(N) + 0.5) / N * 2.0 - 1.0
    Y, X = np.meshgrid(t, t, indexing="ij")

    def inside(cy, cx, ay, ax, angle):
        c, s = math.cos(angle), math.sin(angle)
        u, v = (X - cx) * c + (Y - cy) * s, -(X - cx) * s + (Y - cy) * c
        return (u / ax) ** 2 + (v / ay) ** 2 <= 1.0

    img = 1.0 * inside(0.0, 0.0, 0.92, 0.69, 0.0) - 0.8 * inside(-0.02, 0.0, 0.87, 0.63, 0.0)
    for _ in range(_checks.positive_int(ellipses, "ellipses", minimum=0)):
        cy, cx = gen.uniform(-0.5, 0.5, 2)
        ay, ax = gen.uniform(0.05, 0.3, 2)
        img = img + gen.uniform(0.1, 0.9) * inside(cy, cx, ay, ax, gen.uniform(0, math.pi))
    return img


def calibrate_fractions(methods=ITERATIVE, size=64, accelerations=(4, 8), seeds=(0, 1, 2),
                        fractions=(1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1), oversample=4, **kwargs):
    """How :data:`FRACTIONS` were fixed: the fraction with the best mean PSNR on calibration phantoms.

    For each method, each fraction of ``fractions`` is scored by the mean PSNR over noiseless
    Cartesian acquisitions at ``accelerations`` of :func:`calibration_phantom` images (one per
    seed of ``seeds``, which also draws the mask), simulated from the ``oversample``-times finer
    grid (:func:`cstheory.mri.mri_problem`).  No experiment or test image is among them: the
    rule is tuned on images like the test image, never on it (as one tunes on earlier scans).
    Returns ``{method: (best fraction, {fraction: mean PSNR})}``.
    """
    from .mri import mri_problem
    out = {}
    problems = [mri_problem(calibration_phantom(size, oversample, rng=s), acceleration=a, rng=s,
                            oversample=oversample) for a in accelerations for s in seeds]
    for method in methods:
        if method not in ITERATIVE:
            raise ValueError(f"methods entries must be in {ITERATIVE}, got {method!r}")
        mean = {}
        for f in fractions:
            f = _checks.positive_float(f, "fractions entry")
            scores = [_psnr(solve(method, P.operator, P.y, lam=f * lambda_scale(method, P.operator, P.y),
                                  **kwargs).image, P.image) for P in problems]
            mean[f] = float(np.mean(scores))
        out[method] = (max(mean, key=mean.get), mean)
    return out
