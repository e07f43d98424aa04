"""Total variation (floor 5): Chambolle–Pock for any A (:func:`tv`), ADMM with an FFT x-update for Fourier
data (:func:`tv_admm`), and the methods ``"tv"`` and ``"tv-box"``.

``"tv"`` and ``"tv-box"`` (box 0 ≤ x ≤ 1) mean the periodic isotropic TV, solved by ADMM-FFT when
``A`` is a :class:`cstheory.mri.SubsampledFourier` (its Gram is Fourier-diagonal,
:func:`cstheory.mri.fourier_gram`) and by Chambolle–Pock otherwise.  Their λ scale is ‖Aᵀ y‖_∞.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _checks, mri
from ..operators import as_operator
from .core import (TOL_ADMM, TOL_CP, BaselineResult, check_box, check_boundary, check_lam, check_rng, check_steps,
                   check_x0, device, divergence_watch, is_complex, lipschitz, refuse_complex, setup, start,
                   vector_norm)
from .prox import project_tv_dual, shrink_vectors
from .registry import Method, get, register
from .transforms import field_norm, fourier, grad, grad_t, inverse_fourier, laplacian_symbol, tv_of

__all__ = ["tv", "tv_admm"]


def tv(A, y, shape=None, lam=None, lam_fraction=None, steps=100000, tol=TOL_CP, isotropic=True, boundary="neumann",
       box=None, x0=None, rng=0):
    """Total-variation reconstruction min_x ½‖A x − y‖² + λ TV(x) [+ box], by Chambolle–Pock.

    TV is isotropic by default, TV(x) = Σ_ij ‖(∇x)_ij‖₂ with forward
    differences (:func:`gradient`, ``boundary`` "neumann" by default or
    "periodic"); ``isotropic=False`` gives the anisotropic Σ |∂₀x| + |∂₁x|.
    ``box=(lo, hi)`` adds the constraint lo ≤ x ≤ hi.  A complex image (``shape`` (2, h, w)) has the TV
    Σ_ij √(|∇x_re|² + |∇x_im|²)_ij (the field ∇x is (4, h, w)) and no box.

    Both terms are dualised (so any A works, no inner solve): with
    K x = (A x, ∇x), F(u, g) = ½‖u − y‖² + λ‖g‖, G = the box indicator (0
    without a box), the primal–dual iteration of Chambolle & Pock (2011) with
    θ = 1 reads::

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
    A : array (m, h·w) or LinearOperator
        The measurement operator (``A @ x`` and ``A.T @ r``).
    y : array (m,)
        The measurements: real, finite, on A's backend.
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction · ‖Aᵀ y‖_∞``.
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["tv"]``.
    steps : int
        Safety cap on the iterations (≥ 1).
    tol : float
        Tolerance (≥ 0; 0: run all ``steps``).
    isotropic : bool
        Isotropic (default) or anisotropic TV.
    boundary : {"neumann", "periodic"}
        Boundary condition of ∇.
    box : (float, float), optional
        Bounds lo < hi of the constraint lo ≤ x ≤ hi.
    x0 : array (h, w) or (h·w,), optional
        Starting image (default 0).
    rng : int or numpy.random.Generator
        Seed of the power iteration for ‖A‖.

    Returns
    -------
    BaselineResult
        ``step_sizes={"tau": τ, "sigma": σ}``; ``method`` "tv" or "tv-box".

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a non-bool ``isotropic``, a ``box`` that is not a pair, a
        ``y`` or ``x0`` of another backend, …).
    ValueError
        For a wrong value (an unknown ``boundary``, box bounds not lo < hi, λ < 0, …).
    cstheory.DivergenceError
        When the objective blows up (``A.T`` not the adjoint of ``A``).

    Examples
    --------
    TV denoising (A = I) of a noisy step: the edge survives, the noise goes.

    >>> import numpy as np
    >>> from cstheory import baselines
    >>> clean = np.zeros((8, 8))
    >>> clean[:, 4:] = 1.0
    >>> noisy = clean + 0.1 * np.random.default_rng(0).standard_normal((8, 8))
    >>> res = baselines.tv(np.eye(64), noisy.ravel(), shape=(8, 8), lam=0.1)
    >>> rms = lambda e: round(float(np.sqrt(np.mean(e ** 2))), 3)
    >>> print(res.converged, rms(noisy - clean), rms(res.image - clean))    # the RMS error falls from 0.091
    True 0.091 0.038
    """
    xp, shape = setup(A, y, shape)
    lam, lam_fraction = check_lam(lam, lam_fraction)
    steps, tol = check_steps(steps, tol)
    isotropic = _checks.flag(isotropic, "isotropic")
    boundary = check_boundary(boundary)
    box = check_box(box)
    if box is not None:
        refuse_complex(shape, "a box bounds a real image; use box=None")
    x0 = check_x0(x0, y, shape)
    check_rng(rng)
    if lam is None:
        frac = get("tv").fraction if lam_fraction is None else lam_fraction
        lam = frac * image_scale(xp, A, y, shape)
    K = math.sqrt(lipschitz(A, rng) + 8.0)
    tau = sigma = 0.99 / K

    def D(x):                         # ∇ with the chosen boundary
        return grad(x, boundary)

    def Dt(field):                    # ∇ᵀ
        return grad_t(field, boundary)

    def objective(g, Ax):
        r = Ax - y
        return 0.5 * float(xp.sum(r * r)) + lam * tv_of(g, isotropic)

    x = start(x0, xp, shape, y)
    if box is not None:
        x = xp.clip(x, min=box[0], max=box[1])
    # A x and ∇x are carried along: A x̄ = 2 A x_new − A x and ∇x̄ = 2 ∇x_new − ∇x (both linear)
    Ax, g = A @ xp.reshape(x, (-1,)), D(x)
    Axbar, gbar = Ax, g
    q = xp.zeros_like(y)
    p = xp.zeros_like(g)
    history = [objective(g, Ax)]
    watch = divergence_watch("Chambolle-Pock (tv)", "is A.T the adjoint of A? The steps assume ‖K‖² ≤ ‖A‖² + 8",
                             history[0], y, xp)
    k, res, converged = 0, float("inf"), False
    for k in range(1, steps + 1):
        q_new = (q + sigma * (Axbar - y)) / (1.0 + sigma)
        p_new = project_tv_dual(p + sigma * gbar, lam, isotropic)
        ATq, DTp = xp.reshape(A.T @ q_new, shape), Dt(p_new)
        KTy = ATq + DTp
        x_new = x - tau * KTy
        if box is not None:
            x_new = xp.clip(x_new, min=box[0], max=box[1])
        Ax_new, g_new = A @ xp.reshape(x_new, (-1,)), D(x_new)
        # residuals of the two optimality conditions at (x_new, q_new, p_new)
        r_primal = vector_norm(xp, x - x_new) / tau
        dq = (q - q_new) / sigma + (Axbar - Ax_new)
        dp = (p - p_new) / sigma + (gbar - g_new)
        r_dual = math.sqrt(vector_norm(xp, dq) ** 2 + vector_norm(xp, dp) ** 2)
        scale_p = max(vector_norm(xp, ATq) + vector_norm(xp, DTp) + vector_norm(xp, (x - x_new) / tau - KTy), 1e-300)
        scale_d = max(math.sqrt(vector_norm(xp, Ax_new) ** 2 + vector_norm(xp, g_new) ** 2), 1e-300)
        res = max(r_primal / scale_p, r_dual / scale_d)
        Axbar, gbar = 2.0 * Ax_new - Ax, 2.0 * g_new - g
        x, Ax, g, q, p = x_new, Ax_new, g_new, q_new, p_new
        history.append(objective(g, Ax))
        watch.check_loss(k, history[-1])
        if tol > 0 and res <= tol:
            converged = True
            break
    return BaselineResult(image=x, objective=np.asarray(history), lam=lam, steps_taken=k,
                          method="tv-box" if box is not None else "tv", step_sizes={"tau": tau, "sigma": sigma},
                          converged=converged, criterion="relative primal-dual residual (Chambolle-Pock)",
                          residual=res, tol=tol)


def tv_admm(A, y, shape=None, lam=None, lam_fraction=None, box=None, rho=None, steps=20000, tol=TOL_ADMM, x0=None,
            adapt_rho=True, rng=0):
    """Periodic isotropic TV, min_x ½‖A x − y‖² + λ TV(x) [s.t. lo ≤ x ≤ hi], by ADMM with an FFT x-update.

    Splitting z = ∇x (periodic :func:`gradient`) and, with ``box=(lo, hi)``,
    w = x, the scaled-form ADMM (Boyd et al. 2011, §3.1.1) iterates::

        x ← (AᵀA + ρ ∇ᵀ∇ + ρ β I)⁻¹ (Aᵀy + ρ ∇ᵀ(z − u) + ρ β (w − v))      (β = 1 with a box, else 0)
        z ← shrink(∇x + u, λ/ρ)                 prox of (λ/ρ) Σ‖·‖₂ (shrink)
        w ← clip(x + v, lo, hi)                 projection on the box
        u ← u + ∇x − z,   v ← v + x − w.

    The x-update is exact and costs two FFTs: AᵀA = F^H diag(Q) F
    (:func:`cstheory.mri.fourier_gram`) and ∇ᵀ∇ = F^H diag(Λ) F (:func:`laplacian_symbol`),
    so x = Re F^H[F b / (Q + ρΛ + ρβ)].  For a complex image (``shape`` (2, h, w), a complex-image
    ``A``: Q = P, no conjugate symmetry) the same division acts on F(b_re + i b_im) and x is [Re; Im]
    of F^H[·]; the z-update shrinks the four differences of each pixel together.  Where the denominator is 0 (only the
    DC coefficient when it is not sampled and there is no box: the objective
    does not see the mean) the pseudo-inverse keeps that coefficient at 0.

    **Stopping criterion** (Boyd et al. §3.3): primal residual
    r = ‖(∇x − z, x − w)‖ relative to max(‖(∇x, x)‖, ‖(z, w)‖) and dual residual
    s = ρ‖∇ᵀ(z − z_old) + (w − w_old)‖ relative to ρ‖∇ᵀu + v‖, both ≤ ``tol``.
    With ``adapt_rho`` ρ is doubled / halved (u, v rescaled) when one relative
    residual exceeds the other tenfold (residual balancing, §3.4.1); every change of ρ only
    recomputes the denominator.

    The recorded objective is that of the x-iterate (evaluated in k-space by Parseval,
    ½‖Ax − y‖² = ½ Σ_k Q_k |(F x)_k|² − ⟨x, Aᵀy⟩ + ½‖y‖², no extra FFT); with a box the
    x-iterate meets the box only in the limit, and the returned w is the feasible twin.

    Parameters
    ----------
    A : cstheory.mri.SubsampledFourier
        Its Gram is as above (:func:`cstheory.mri.fourier_gram`); any other operator is refused (use :func:`tv`).
    y : array (m,)
        The measurements: real, finite, on A's backend.
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction · ‖Aᵀ y‖_∞``.
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["tv"]`` or ``FRACTIONS["tv-box"]``.
    box : (float, float), optional
        Box constraint lo < hi (``(0, 1)`` for images in [0, 1]); the returned image is then the
        feasible w.
    rho : float, optional
        Initial penalty ρ > 0 (default 1, the scale of AᵀA's largest eigenvalue).
    steps : int
        Safety cap on the iterations (≥ 1).
    tol : float
        Tolerance (≥ 0; 0: run all ``steps``).
    x0 : array (h, w) or (h·w,), optional
        Starting image (z = ∇x0, w = x0, zero multipliers).
    adapt_rho : bool
        Residual balancing of ρ.
    rng : int or numpy.random.Generator
        Seed of the probe that checks :func:`cstheory.mri.fourier_gram`.

    Returns
    -------
    BaselineResult
        ``step_sizes={"rho": final ρ}``; ``method`` "tv" or "tv-box".

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a ``box`` that is not a pair, a non-bool ``adapt_rho``, …).
    ValueError
        For a wrong value (an ``A`` that is not subsampled Fourier, ρ ≤ 0, λ < 0, …).
    cstheory.DivergenceError
        When the objective blows up.

    Examples
    --------
    ADMM-FFT and Chambolle–Pock (:func:`tv`), two different algorithms, find the same minimiser of
    the periodic-TV problem:

    >>> import numpy as np
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=8, acceleration=2, rng=0, oversample=2)
    >>> admm = baselines.tv_admm(P.operator, P.y, lam=0.1, tol=1e-9)
    >>> cp = baselines.tv(P.operator, P.y, lam=0.1, boundary="periodic", tol=1e-9)
    >>> print(admm.converged, cp.converged, float(np.abs(admm.image - cp.image).max()) < 1e-7)
    True True True
    """
    xp, shape = setup(A, y, shape)
    lam, lam_fraction = check_lam(lam, lam_fraction)
    box = check_box(box)
    if box is not None:
        refuse_complex(shape, "a box bounds a real image; use box=None")
    rho = 1.0 if rho is None else _checks.positive_float(rho, "rho")
    steps, tol = check_steps(steps, tol)
    x0 = check_x0(x0, y, shape)
    adapt_rho = _checks.flag(adapt_rho, "adapt_rho")
    check_rng(rng)
    complex_image = is_complex(shape)
    Q = mri.fourier_gram(A, shape[-2:], rng=rng)
    method = "tv-box" if box is not None else "tv"
    if lam is None:
        frac = get(method).fraction if lam_fraction is None else lam_fraction
        lam = frac * image_scale(xp, A, y, shape)
    lap = laplacian_symbol(shape[-2:], xp=xp, dtype=y.dtype, device=device(y))
    beta = 0.0 if box is None else 1.0

    def inverse_symbol(r):
        d = Q + r * lap + r * beta
        return xp.where(d > 0, 1.0 / xp.where(d > 0, d, 1.0), 0.0)

    def D(x):                         # the periodic ∇
        return grad(x, "periodic")

    def Dt(field):                    # its adjoint
        return grad_t(field, "periodic")

    Aty = xp.reshape(A.T @ y, shape)
    yy = float(xp.sum(y * y))

    def objective(x, X, gx):
        # ½‖Ax − y‖² = ½ Σ_k Q_k |X_k|² − ⟨x, Aᵀy⟩ + ½‖y‖² with X = F x (Parseval): no extra FFT
        fit = 0.5 * float(xp.sum(Q * xp.real(X * xp.conj(X)))) - float(xp.sum(x * Aty)) + 0.5 * yy
        return max(fit, 0.0) + lam * tv_of(gx)

    x = start(x0, xp, shape, y)
    if box is not None:
        x = xp.clip(x, min=box[0], max=box[1])
    z = D(x)
    u = xp.zeros_like(z)
    w, v = x, xp.zeros_like(x)
    inv = inverse_symbol(rho)
    history = [objective(x, fourier(x), z)]
    watch = divergence_watch("ADMM (tv)", "is A's Gram F^H diag(Q) F (fourier_gram)?", history[0], y, xp)
    k, res, converged = 0, float("inf"), False
    for k in range(1, steps + 1):
        b = Aty + rho * Dt(z - u)
        if box is not None:
            b = b + rho * (w - v)
        X = inv * fourier(b)
        x = inverse_fourier(X, complex_image)
        gx = D(x)
        z_old, w_old = z, w
        z = shrink_vectors(gx + u, lam / rho)
        u = u + gx - z
        if box is not None:
            w = xp.clip(x + v, min=box[0], max=box[1])
            v = v + x - w
        # residuals (Boyd et al. §3.3.1), relative
        r_p = math.sqrt(vector_norm(xp, gx - z) ** 2 + beta * vector_norm(xp, x - w) ** 2)
        s_d = rho * vector_norm(xp, Dt(z - z_old) + beta * (w - w_old))
        scale_p = max(math.sqrt(vector_norm(xp, gx) ** 2 + beta * vector_norm(xp, x) ** 2),
                      math.sqrt(vector_norm(xp, z) ** 2 + beta * vector_norm(xp, w) ** 2), 1e-300)
        scale_d = max(rho * vector_norm(xp, Dt(u) + beta * v), 1e-300)
        rel_p, rel_d = r_p / scale_p, s_d / scale_d
        res = max(rel_p, rel_d)
        history.append(objective(x, X, gx))
        watch.check_loss(k, history[-1])
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
    return BaselineResult(image=image, objective=np.asarray(history), lam=lam, steps_taken=k, method=method,
                          step_sizes={"rho": rho}, converged=converged,
                          criterion="max relative primal/dual residual (ADMM)", residual=res, tol=tol)


def image_scale(xp, A, y, shape):
    """The λ scale of TV: ‖Aᵀ y‖_∞ (complex images: the largest modulus |(Aᵀ y)_ij|)."""
    x = xp.reshape(A.T @ y, shape)
    return float(xp.max(field_norm(x) if is_complex(shape) else xp.abs(x)))


def _periodic_tv(method, A, y, shape, lam, kwargs):
    """The method ``"tv"`` or ``"tv-box"``: ADMM-FFT for Fourier ``A``, Chambolle–Pock (periodic ∇) otherwise."""
    if "box" in kwargs:
        raise TypeError(f"solve got the keyword argument 'box': method {method!r} sets it "
                        "(None for 'tv', (0, 1) for 'tv-box'); call tv() or tv_admm() for another box")
    box = (0.0, 1.0) if method == "tv-box" else None
    if box is not None:
        refuse_complex(setup(A, y, shape)[1], "'tv-box' bounds a real image to [0, 1]; use 'tv'")
    if isinstance(as_operator(A), mri.SubsampledFourier):
        return tv_admm(A, y, shape, lam=lam, box=box, **kwargs)
    frac = kwargs.pop("lam_fraction", None)
    if frac is None:
        frac = get(method).fraction
    return tv(A, y, shape, lam=lam, lam_fraction=frac, boundary="periodic", box=box, **kwargs)


def periodic_tv(A, y, shape=None, lam=None, **kwargs):
    """The method ``"tv"``: periodic isotropic TV, by :func:`tv_admm` for Fourier data, :func:`tv` otherwise."""
    return _periodic_tv("tv", A, y, shape, lam, kwargs)


def periodic_tv_box(A, y, shape=None, lam=None, **kwargs):
    """The method ``"tv-box"``: :func:`periodic_tv` subject to 0 ≤ x ≤ 1."""
    return _periodic_tv("tv-box", A, y, shape, lam, kwargs)


_TV_KEYWORDS = ("steps", "tol", "rng", "rho", "adapt_rho", "isotropic")
_TV_SOLVERS = "ADMM with an exact FFT x-update (:func:`tv_admm`) or Chambolle–Pock (:func:`tv`)"
register(Method("tv", periodic_tv, "min ½‖A x − y‖² + λ TV(x), isotropic, periodic", _TV_SOLVERS,
                image_scale, 1e-3, _TV_KEYWORDS))
register(Method("tv-box", periodic_tv_box, "the same subject to 0 ≤ x ≤ 1", "the same, with the box",
                image_scale, 1e-3, _TV_KEYWORDS))
