"""Classical compressive-sensing reconstructions (floor 5), the baselines of Sec. 5 / Fig. 5.

Three hand-written methods for an image x ∈ R^{h×w} measured as y = A x + e,
with any ``A`` that supports ``A @ x`` and ``A.T @ r`` (a dense array, or a
:class:`cstheory.LinearOperator` such as :class:`cstheory.SubsampledFourier`):

======================  ==================================================  =====================
name                    problem                                             solver
======================  ==================================================  =====================
``"zero-filled"``       |F^H P_Ωᵀ y| (for Fourier data; Aᵀy otherwise)      one inverse FFT
``"l1-dct"``            min ½‖A x − y‖² + λ ‖Ψ x‖₁, Ψ the orthonormal DCT   (monotone) FISTA
``"tv"``                min ½‖A x − y‖² + λ TV(x), isotropic TV              Chambolle–Pock
======================  ==================================================  =====================

Everything is array-API code (NumPy, CuPy, array_api_strict); the DCT goes
through :func:`cstheory._backend.dct`.  The loss term ½‖A x − y‖² is that of
eq. (2) with the identity generator.

**Step sizes** come from operator norms (power iteration, :func:`cstheory.operator_norm`,
with a 1 % safety margin): FISTA uses 1/L with L = ‖A‖² (Ψ orthonormal), and
Chambolle–Pock τ = σ = 0.99/‖K‖ for K = [A; ∇], ‖K‖² ≤ ‖A‖² + 8.

**Regularization weights** are never tuned on the ground truth.  The rule is
a fixed fraction of the data's own scale:

* ℓ1: λ = ``lam_fraction`` · ‖Ψ Aᵀ y‖_∞ — the smallest λ for which x = 0 is
  optimal is exactly ‖Ψ Aᵀ y‖_∞, so the fraction says how far below that
  trivial solution we regularise (scale-invariant: y → c y gives x → c x);
* TV: λ = ``lam_fraction`` · ‖Aᵀ y‖_∞ (the scale of the back-projected image).

The default fractions (:data:`L1_FRACTION` = 3e-4, :data:`TV_FRACTION` = 1e-2)
were chosen once, on a calibration image that is in none of the experiments or
tests, and are kept fixed for every image, mask and acceleration: from the grid
{1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2}, the fraction with the largest mean
PSNR gain over zero filling for scikit-image's ``coins`` at 64×64 with
Cartesian masks at 4× and 8× (mask seeds 0, 1, 2), noiseless and at 30 dB SNR,
500 iterations (mean gains: ℓ1 +0.49 dB, TV +2.31 dB).  Pass ``lam=`` to
override.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import array_api_compat
import numpy as np

from . import _checks
from ._backend import dct, idct, namespace
from .operators import as_operator, operator_norm

__all__ = ["BaselineResult", "zero_filled", "l1_dct", "tv", "gradient", "gradient_adjoint",
           "total_variation", "soft_threshold", "METHODS", "reconstruct", "L1_FRACTION", "TV_FRACTION"]

#: λ = L1_FRACTION · ‖Ψ Aᵀ y‖_∞ (see the module docstring for how it was fixed)
L1_FRACTION = 3e-4
#: λ = TV_FRACTION · ‖Aᵀ y‖_∞
TV_FRACTION = 1e-2
#: safety factor on power-iteration estimates of ‖A‖² (they approach it from below)
NORM_SAFETY = 1.01


@dataclass
class BaselineResult:
    """Outcome of a classical reconstruction.

    Attributes
    ----------
    image : (h, w) array
        The reconstruction, on the backend of ``y``.
    objective : numpy.ndarray
        Objective value at every iteration (entry 0 = the starting point).
    lam : float
        Regularization weight λ used.
    iterations : int
        Iterations run (fewer than asked when the stopping rule fired).
    method : str
    step_sizes : dict
        The step sizes used (``{"step": 1/L}`` or ``{"tau": τ, "sigma": σ}``).
    """

    image: object
    objective: np.ndarray
    lam: float
    iterations: int
    method: str
    step_sizes: dict = field(default_factory=dict)


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
    if A.xp is not None and A.xp is not xp:
        raise TypeError(f"A works on {A.xp.__name__} arrays but y is a {xp.__name__} array")
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


def _device(x):
    return array_api_compat.device(x)


def _norm(xp, x):
    return float(xp.linalg.vector_norm(xp.reshape(x, (-1,))))


def soft_threshold(c, t):
    """prox of t‖·‖₁: sign(c) · max(|c| − t, 0), entrywise."""
    xp = namespace(c)
    return xp.sign(c) * xp.clip(xp.abs(c) - t, min=0.0)


def gradient(x):
    """Forward differences of an (h, w) image with Neumann boundary, shape (2, h, w).

    ∇x[0, i, j] = x[i+1, j] − x[i, j] (0 on the last row), ∇x[1, i, j] = x[i, j+1] − x[i, j]
    (0 on the last column).  ‖∇‖² ≤ 8."""
    xp = namespace(x)
    h, w = x.shape
    z_row = xp.zeros((1, w), dtype=x.dtype, device=_device(x))
    z_col = xp.zeros((h, 1), dtype=x.dtype, device=_device(x))
    g0 = xp.concat([x[1:, :] - x[:-1, :], z_row], axis=0)
    g1 = xp.concat([x[:, 1:] - x[:, :-1], z_col], axis=1)
    return xp.stack([g0, g1])


def gradient_adjoint(p):
    """∇ᵀ p for p of shape (2, h, w) (minus the discrete divergence), shape (h, w)."""
    xp = namespace(p)
    _, h, w = p.shape
    q0 = p[0, :-1, :]          # the entries ∇ can produce (last row is always 0)
    q1 = p[1, :, :-1]
    z_row = xp.zeros((1, w), dtype=p.dtype, device=_device(p))
    z_col = xp.zeros((h, 1), dtype=p.dtype, device=_device(p))
    a0 = xp.concat([z_row, q0], axis=0) - xp.concat([q0, z_row], axis=0)
    a1 = xp.concat([z_col, q1], axis=1) - xp.concat([q1, z_col], axis=1)
    return a0 + a1


def total_variation(x, isotropic=True):
    """TV(x) = Σ_ij ‖∇x_ij‖₂ (isotropic) or Σ_ij |∇x_ij|₁ (anisotropic), ∇ of :func:`gradient`."""
    xp = namespace(x)
    g = gradient(x)
    if isotropic:
        return float(xp.sum(xp.sqrt(g[0, ...] * g[0, ...] + g[1, ...] * g[1, ...])))
    return float(xp.sum(xp.abs(g)))


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
# ℓ1 in the DCT by FISTA
# ---------------------------------------------------------------------------
def l1_dct(A, y, shape=None, lam=None, lam_fraction=L1_FRACTION, iters=500, tol=1e-7, monotone=True, rng=0):
    """ℓ1-sparsity in the orthonormal 2-D DCT, min_x ½‖A x − y‖² + λ ‖Ψ x‖₁, by FISTA.

    Ψ is orthonormal, so with c = Ψ x the problem is the LASSO
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

    Parameters
    ----------
    A : array or LinearOperator, y : (m,) array
    shape : (h, w), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ; default ``lam_fraction · ‖Ψ Aᵀ y‖_∞`` (module docstring).
    iters : int
        Maximum number of iterations.
    tol : float
        Stop when ‖c_k − c_{k−1}‖ ≤ tol · max(‖c_k‖, tiny).
    monotone : bool
        MFISTA (default) or plain FISTA.
    rng : int
        Seed of the power iteration for ‖A‖.

    Returns
    -------
    BaselineResult
    """
    xp, shape = _setup(A, y, shape)
    iters, tol = _check_iters(iters, tol)

    def synth(c):                     # Ψᵀ c, flattened
        return xp.reshape(idct(c), (-1,))

    def analysis(x):                  # Ψ x on the image grid
        return dct(xp.reshape(x, shape))

    lam = _lam(lam, lam_fraction, float(xp.max(xp.abs(analysis(A.T @ y)))))
    L = _lipschitz(A, rng)
    step = 1.0 / L

    def objective(c, Ac):
        r = Ac - y
        return 0.5 * float(xp.sum(r * r)) + lam * float(xp.sum(xp.abs(c)))

    c = xp.zeros(shape, dtype=y.dtype, device=_device(y))
    Ac = A @ synth(c)
    v, Av = c, Ac
    t = 1.0
    F = objective(c, Ac)
    history = [F]
    k = 0
    for k in range(1, iters + 1):
        grad = analysis(A.T @ (Av - y))
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
        change = _norm(xp, z - c) if tol > 0 else 1.0
        c, Ac, F, t = c_new, Ac_new, F_new, t_next
        history.append(F)
        if tol > 0 and change <= tol * max(_norm(xp, c), 1e-300):
            break
    return BaselineResult(image=idct(c), objective=np.asarray(history), lam=lam, iterations=k,
                          method="l1-dct", step_sizes={"step": step})


# ---------------------------------------------------------------------------
# total variation by Chambolle–Pock
# ---------------------------------------------------------------------------
def _project_tv_dual(p, lam, isotropic):
    """Projection onto {p : ‖p_ij‖₂ ≤ λ} (isotropic) or {|p| ≤ λ} (anisotropic) — prox of (λ TV)*."""
    xp = namespace(p)
    if isotropic:
        mag = xp.sqrt(p[0, ...] * p[0, ...] + p[1, ...] * p[1, ...])
        scale = xp.clip(mag / lam, min=1.0) if lam > 0 else None
        if scale is None:
            return xp.zeros_like(p)
        return p / scale
    if lam == 0:
        return xp.zeros_like(p)
    return xp.clip(p, min=-lam, max=lam)


def tv(A, y, shape=None, lam=None, lam_fraction=TV_FRACTION, iters=500, tol=1e-7, isotropic=True, rng=0):
    """Total-variation reconstruction min_x ½‖A x − y‖² + λ TV(x), by Chambolle–Pock.

    TV is isotropic by default, TV(x) = Σ_ij ‖(∇x)_ij‖₂ with forward
    differences and Neumann boundary (:func:`gradient`); ``isotropic=False``
    gives the anisotropic Σ |∂₀x| + |∂₁x|.

    Both terms are dualised (so any A works, no inner solve): with
    K x = (A x, ∇x), F(u, g) = ½‖u − y‖² + λ‖g‖, G = 0, the primal–dual
    iteration of Chambolle & Pock (2011) with θ = 1 reads

        q ← (q + σ (A x̄ − y)) / (1 + σ)          prox of σ F₁*,
        p ← Π_λ(p + σ ∇x̄)                        projection on the dual ball,
        x_new ← x − τ (Aᵀ q + ∇ᵀ p),
        x̄ ← 2 x_new − x,

    and converges for τσ‖K‖² < 1; we take τ = σ = 0.99/‖K‖ with
    ‖K‖² ≤ ‖A‖² + ‖∇‖² ≤ ‖A‖² + 8.  The objective is recorded at every x
    (A x and ∇x are carried along linearly, so each iteration costs one ``A @``,
    one ``A.T @``, one ∇ and one ∇ᵀ).

    Parameters
    ----------
    A, y, shape
        As in :func:`l1_dct`.
    lam : float, optional
        λ; default ``lam_fraction · ‖Aᵀ y‖_∞`` (module docstring).
    iters, tol
        At most ``iters`` iterations; stop when ‖x_k − x_{k−1}‖ ≤ tol · ‖x_k‖.
    isotropic : bool
    rng : int
        Seed of the power iteration for ‖A‖.

    Returns
    -------
    BaselineResult
    """
    xp, shape = _setup(A, y, shape)
    iters, tol = _check_iters(iters, tol)
    lam = _lam(lam, lam_fraction, float(xp.max(xp.abs(A.T @ y))))
    K = math.sqrt(_lipschitz(A, rng) + 8.0)
    tau = sigma = 0.99 / K

    def tv_of(g):                      # TV from the gradient field g = ∇x
        if isotropic:
            return float(xp.sum(xp.sqrt(g[0, ...] * g[0, ...] + g[1, ...] * g[1, ...])))
        return float(xp.sum(xp.abs(g)))

    def objective(g, Ax):
        r = Ax - y
        return 0.5 * float(xp.sum(r * r)) + lam * tv_of(g)

    dev = _device(y)
    x = xp.zeros(shape, dtype=y.dtype, device=dev)
    # A x and ∇x are carried along: A x̄ = 2 A x_new − A x and ∇x̄ = 2 ∇x_new − ∇x (both linear)
    Ax, g = A @ xp.reshape(x, (-1,)), gradient(x)
    Axbar, gbar = Ax, g
    q = xp.zeros_like(y)
    p = xp.zeros((2,) + tuple(shape), dtype=y.dtype, device=dev)
    history = [objective(g, Ax)]
    k = 0
    for k in range(1, iters + 1):
        q = (q + sigma * (Axbar - y)) / (1.0 + sigma)
        p = _project_tv_dual(p + sigma * gbar, lam, isotropic)
        x_new = x - tau * (xp.reshape(A.T @ q, shape) + gradient_adjoint(p))
        Ax_new, g_new = A @ xp.reshape(x_new, (-1,)), gradient(x_new)
        Axbar, gbar = 2.0 * Ax_new - Ax, 2.0 * g_new - g
        change = _norm(xp, x_new - x) if tol > 0 else 1.0
        x, Ax, g = x_new, Ax_new, g_new
        history.append(objective(g, Ax))
        if tol > 0 and change <= tol * max(_norm(xp, x), 1e-300):
            break
    return BaselineResult(image=x, objective=np.asarray(history), lam=lam, iterations=k,
                          method="tv", step_sizes={"tau": tau, "sigma": sigma})


# ---------------------------------------------------------------------------
# one entry point
# ---------------------------------------------------------------------------
#: the classical methods of Fig. 5 by name
METHODS = ("zero-filled", "l1-dct", "tv")


def reconstruct(method, A, y, shape=None, **kwargs):
    """Run the classical method ``method`` (one of :data:`METHODS`) and return the (h, w) image."""
    if method == "zero-filled":
        return zero_filled(A, y, shape, **kwargs)
    if method == "l1-dct":
        return l1_dct(A, y, shape, **kwargs).image
    if method == "tv":
        return tv(A, y, shape, **kwargs).image
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")
