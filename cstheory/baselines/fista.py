"""ℓ1 in an orthonormal basis by FISTA (floor 5): :func:`fista_l1`, and the methods ``"l1-dct"``, ``"l1-haar"``.

min_x ½‖A x − y‖² + λ ‖Ψ x‖₁ for an orthonormal Ψ, solved on c = Ψ x by FISTA (Beck & Teboulle
2009) and stopped on the LASSO's relative duality gap.  The two registered methods take Ψ the
orthonormal 2-D DCT and the multi-level Haar basis (:func:`cstheory.baselines.haar2`); their λ
scale is λ_max = ‖Ψ Aᵀ y‖_∞.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .. import _checks
from .._backend import dct, idct
from .core import (TOL, BaselineResult, check_levels, check_lam, check_rng, check_steps, check_x0, divergence_watch,
                   is_complex, lipschitz, setup, start)
from .prox import shrink_vectors, soft
from .registry import Method, get, register
from .transforms import channelwise, field_norm, haar_forward, haar_inverse

__all__ = ["fista_l1", "l1_dct", "l1_haar"]


def _fista(A, y, xp, shape, analysis, synthesis, lam, steps, tol, monotone, x0, rng, method):
    """FISTA on the arguments :func:`fista_l1` has checked."""
    L = lipschitz(A, rng)
    if L == 0.0:
        raise ValueError("A is zero (‖A‖ = 0): every x fits y equally badly and FISTA's step 1/‖A‖² does not "
                         "exist; check the operator")
    step = 1.0 / L
    if is_complex(shape):             # Ψ on the real and the imaginary part; |c| the modulus of each (re, im) pair
        analysis = functools.partial(channelwise, analysis)
        synthesis = functools.partial(channelwise, synthesis)
        modulus, threshold = field_norm, shrink_vectors
    else:
        modulus, threshold = xp.abs, soft

    def synth(c):                     # Ψᵀ c, flattened
        return xp.reshape(synthesis(c), (-1,))

    def objective(c, Ac):
        r = Ac - y
        return 0.5 * float(xp.sum(r * r)) + lam * float(xp.sum(modulus(c)))

    c = analysis(start(x0, xp, shape, y))
    Ac = A @ synth(c)
    v, Av = c, Ac
    t = 1.0
    F = objective(c, Ac)
    watch = divergence_watch(f"FISTA ({method})", "is the analysis Ψ orthonormal with synthesis Ψᵀ, and A.T the "
                             "adjoint of A? The step 1/‖A‖² assumes both", F, y, xp)
    history = [F]
    k, res, converged = 0, float("inf"), False
    for k in range(1, steps + 1):
        r = Av - y
        grad = analysis(xp.reshape(A.T @ r, shape))
        # duality gap at v (free: r and Ψ Aᵀ r are at hand)
        Fv = objective(v, Av)
        gmax = float(xp.max(modulus(grad)))
        sc = min(1.0, lam / gmax) if gmax > 0 else 1.0
        gap = Fv + 0.5 * sc * sc * float(xp.sum(r * r)) + sc * float(xp.sum(r * y))
        res = max(gap, 0.0) / max(Fv, 1e-300)
        if tol > 0 and res <= tol:
            converged = True
            c = v
            history.append(Fv)
            break
        z = threshold(v - step * grad, step * lam)
        Az = A @ synth(z)
        Fz = objective(z, Az)
        watch.check_loss(k, Fz)
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
    return BaselineResult(image=synthesis(c), objective=np.asarray(history), lam=lam, steps_taken=k, method=method,
                          step_sizes={"step": step}, converged=converged,
                          criterion="relative duality gap (FISTA)", residual=res, tol=tol)


def fista_l1(A, y, analysis, synthesis, shape=None, lam=0.0, steps=20000, tol=TOL, monotone=True, x0=None,
             rng=0, method="l1"):
    """min_x ½‖A x − y‖² + λ ‖Ψ x‖₁ for an orthonormal Ψ, by FISTA on c = Ψ x.

    With c = Ψ x (Ψ orthonormal: x = Ψᵀ c) the problem is the LASSO
    min_c f(c) + λ‖c‖₁, f(c) = ½‖A Ψᵀ c − y‖², ∇f(c) = Ψ Aᵀ(A Ψᵀ c − y),
    whose gradient is L-Lipschitz with L = ‖A Ψᵀ‖² = ‖A‖².  FISTA (Beck &
    Teboulle 2009) with step 1/L::

        z_k = soft(v_k − ∇f(v_k)/L, λ/L)
        t_{k+1} = (1 + √(1 + 4 t_k²)) / 2
        v_{k+1} = c_k + (t_k/t_{k+1})(z_k − c_k) + ((t_k − 1)/t_{k+1})(c_k − c_{k−1}),

    where c_k = z_k (plain FISTA) or, with ``monotone=True`` (MFISTA), the
    better of z_k and c_{k−1}: the objective is then non-increasing.  The
    images A Ψᵀ c are carried along linearly, so one ``A @`` and one
    ``A.T @`` are spent per iteration.

    **Complex images** (``shape`` (2, h, w)): Ψ acts on the real and the imaginary part, c = Ψ x_re + i Ψ x_im
    is complex, ‖c‖₁ = Σ |c_ij| (the modulus), and the prox is the complex soft threshold
    c_ij · max(1 − t/|c_ij|, 0); the duality gap uses the dual norm max_ij |·| of the same moduli.

    **Stopping criterion:** the relative duality gap at v_k, a certificate
    F(v_k) − F* ≤ gap.  The dual of the LASSO is max_θ −½‖θ‖² − ⟨θ, y⟩
    subject to ‖Ψ Aᵀ θ‖_∞ ≤ λ (θ = A Ψᵀ c − y at the optimum); the residual
    r = A Ψᵀ v_k − y scaled by s = min(1, λ/‖Ψ Aᵀ r‖_∞) is dual feasible, so::

        gap = F(v_k) + ½ s²‖r‖² + s ⟨r, y⟩ ≤ tol · F(v_k)

    stops the iteration (Ψ Aᵀ r is the gradient FISTA computes anyway, so
    the gap is free).  A fixed-point residual ‖T(v) − v‖ would not do: for
    small λ the LASSO is so flat that FISTA's steps are tiny long before the
    image is near the minimiser.  The returned image is the certified v_k
    (or, when the cap is hit, the last c_k).

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
        The measurement operator (``A @ x`` and ``A.T @ r``).
    y : array (m,)
        The measurements: real, finite, on A's backend.
    analysis, synthesis : callable
        Ψ: (h, w) image → (h, w) coefficients, and Ψᵀ = Ψ⁻¹ back (e.g. :func:`haar2`, :func:`ihaar2`).
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float
        λ ≥ 0.
    steps : int
        Safety cap on the iterations (≥ 1).
    tol : float
        Tolerance of the stopping criterion (≥ 0; 0: run all ``steps``).
    monotone : bool
        MFISTA (default) or plain FISTA.
    x0 : array (h, w) or (h·w,), optional
        Starting image (default 0), on y's backend.
    rng : int or numpy.random.Generator
        Seed of the power iteration for ‖A‖.
    method : str
        Name recorded in the result.

    Returns
    -------
    BaselineResult
        ``image`` on y's backend and dtype, ``step_sizes={"step": 1/L}``.

    Raises
    ------
    TypeError
        For an argument of the wrong kind (an ``A`` that is not an operator or 2-D array, a ``y`` of
        another backend, a non-callable ``analysis``, a non-bool ``monotone``, a non-string ``method``, …).
    ValueError
        For a wrong value (a shape that does not match A, NaN in ``y``, λ < 0, ``A = 0``, …).
    cstheory.DivergenceError
        When the objective blows up (Ψ not orthonormal, or ``A.T`` not the adjoint of ``A``).

    Examples
    --------
    For A = I the minimiser is known in closed form, Ψᵀ soft(Ψ y, λ):

    >>> import numpy as np
    >>> from cstheory.baselines import fista_l1, haar2, ihaar2, soft_threshold
    >>> y = np.random.default_rng(0).standard_normal(32)
    >>> res = fista_l1(np.eye(32), y, haar2, ihaar2, shape=(4, 8), lam=0.5, tol=1e-12)
    >>> exact = ihaar2(soft_threshold(haar2(y.reshape(4, 8)), 0.5))
    >>> print(res.converged, np.abs(res.image - exact).max() < 1e-10)     # certified by the duality gap
    True True
    """
    xp, shape = setup(A, y, shape)
    _checks.callable_or_none(analysis, "analysis", "a callable Ψ (an (h, w) image → its coefficients)")
    _checks.callable_or_none(synthesis, "synthesis", "a callable Ψᵀ (coefficients → an (h, w) image)")
    if analysis is None or synthesis is None:
        raise TypeError(f"{'analysis' if analysis is None else 'synthesis'} must be a callable, got None")
    lam = _checks.positive_float(lam, "lam", allow_zero=True)
    steps, tol = check_steps(steps, tol)
    monotone = _checks.flag(monotone, "monotone")
    x0 = check_x0(x0, y, shape)
    check_rng(rng)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string (the name recorded in the result), got {type(method).__name__}")
    return _fista(A, y, xp, shape, analysis, synthesis, lam, steps, tol, monotone, x0, rng, method)


def l1_dct(A, y, shape=None, lam=None, lam_fraction=None, steps=20000, tol=TOL, monotone=True, x0=None, rng=0):
    """ℓ1-sparsity in the orthonormal 2-D DCT, min_x ½‖A x − y‖² + λ ‖Ψ x‖₁, by :func:`fista_l1`.

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction`` · ‖Ψ Aᵀ y‖_∞ (:func:`lambda_scale`, the smallest λ for which
        x = 0 is optimal).
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["l1-dct"]``.
    steps, tol, monotone, x0, rng
        As in :func:`fista_l1`.

    Returns
    -------
    BaselineResult

    Raises
    ------
    TypeError, ValueError, cstheory.DivergenceError
        As :func:`fista_l1`.

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem, psnr
    >>> P = mri_problem("shepp_logan", size=32, acceleration=4, rng=0, oversample=4)
    >>> gain = psnr(baselines.l1_dct(P.operator, P.y).image, P.image) - psnr(
    ...     baselines.zero_filled(P.operator, P.y), P.image)
    >>> print(round(gain, 1))                     # dB over zero filling, at the calibrated λ: DCT sparsity helps little
    0.8
    """
    xp, shape = setup(A, y, shape)
    lam, lam_fraction = check_lam(lam, lam_fraction)
    steps, tol = check_steps(steps, tol)
    monotone = _checks.flag(monotone, "monotone")
    x0 = check_x0(x0, y, shape)
    check_rng(rng)
    if lam is None:
        frac = get("l1-dct").fraction if lam_fraction is None else lam_fraction
        lam = frac * dct_scale(xp, A, y, shape)
    return _fista(A, y, xp, shape, dct, idct, lam, steps, tol, monotone, x0, rng, "l1-dct")


def l1_haar(A, y, shape=None, lam=None, lam_fraction=None, levels=None, steps=20000, tol=TOL, monotone=True,
            x0=None, rng=0):
    """ℓ1-sparsity in the orthonormal multi-level Haar basis (:func:`haar2`), by :func:`fista_l1`.

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction`` · ‖Ψ Aᵀ y‖_∞ (:func:`lambda_scale`).
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["l1-haar"]``.
    levels : int, optional
        Levels of the Haar transform (default: all the sides allow).
    steps, tol, monotone, x0, rng
        As in :func:`fista_l1`.

    Returns
    -------
    BaselineResult

    Raises
    ------
    TypeError, ValueError, cstheory.DivergenceError
        As :func:`fista_l1`; also for a non-integer or negative ``levels``.

    Examples
    --------
    An image constant on dyadic blocks has 3 nonzero Haar coefficients: from 32 random Gaussian
    measurements of its 64 pixels ℓ1-Haar recovers it, the minimum-norm least-squares image does not.

    >>> import numpy as np
    >>> from cstheory import baselines, gaussian_matrix
    >>> x = np.zeros((8, 8))
    >>> x[:4, 4:] = 1.0
    >>> x[4:, :] = 0.5
    >>> A = gaussian_matrix(32, 64, rng=0)
    >>> res = baselines.l1_haar(A, A @ x.ravel(), shape=(8, 8), lam=1e-3, tol=1e-6)
    >>> least_squares = (np.linalg.pinv(A) @ (A @ x.ravel())).reshape(8, 8)
    >>> print(res.converged, round(float(np.abs(res.image - x).max()), 3), round(float(np.abs(least_squares - x).max()), 1))
    True 0.0 0.9
    """
    xp, shape = setup(A, y, shape)
    lam, lam_fraction = check_lam(lam, lam_fraction)
    levels = check_levels(levels)
    steps, tol = check_steps(steps, tol)
    monotone = _checks.flag(monotone, "monotone")
    x0 = check_x0(x0, y, shape)
    check_rng(rng)
    if lam is None:
        frac = get("l1-haar").fraction if lam_fraction is None else lam_fraction
        lam = frac * haar_scale(xp, A, y, shape)
    return _fista(A, y, xp, shape, lambda x: haar_forward(x, levels), lambda c: haar_inverse(c, levels), lam, steps,
                  tol, monotone, x0, rng, "l1-haar")


def dct_scale(xp, A, y, shape):
    """λ_max of ℓ1 in the DCT: ‖Ψ Aᵀ y‖_∞ with Ψ the orthonormal 2-D DCT (complex images: the largest modulus)."""
    return _lam_max(xp, dct, A, y, shape)


def haar_scale(xp, A, y, shape):
    """λ_max of ℓ1 in the Haar basis (all levels): ‖Ψ Aᵀ y‖_∞ (complex images: the largest modulus)."""
    return _lam_max(xp, haar_forward, A, y, shape)


def _lam_max(xp, analysis, A, y, shape):
    c = channelwise(analysis, xp.reshape(A.T @ y, shape))
    return float(xp.max(field_norm(c) if is_complex(shape) else xp.abs(c)))


_FISTA_KEYWORDS = ("steps", "tol", "monotone", "rng")
register(Method("l1-dct", l1_dct,
                "min ½‖A x − y‖² + λ ‖Ψ x‖₁, Ψ the orthonormal 2-D DCT", "FISTA (:func:`fista_l1`)",
                dct_scale, 3e-4, _FISTA_KEYWORDS))
register(Method("l1-haar", l1_haar,
                "the same with Ψ the orthonormal multi-level Haar (:func:`haar2`)", "FISTA (:func:`fista_l1`)",
                haar_scale, 1e-3, _FISTA_KEYWORDS + ("levels",)))
