"""The expected Jacobian Σ(U) = E[J_G J_Gᵀ] and its Fourier closed form, eq. (11) (Sec. 4, App. B).

For G(C) = ReLU(U C) v with C iid N(0, ω²) and rows u_i of U, the Gram matrix
J_G J_Gᵀ = (U Uᵀ) ∘ (M Mᵀ)/k (see :mod:`cstheory.two_layer`) has expectation

    Σ(U)_ij = ⟨u_i, u_j⟩ · P(u_iᵀc > 0, u_jᵀc > 0) · 2 · ½ = ⟨u_i, u_j⟩ · ½ (1 − θ_ij/π),

θ_ij the angle between u_i and u_j (the arc-cosine kernel of degree 0), which does
not depend on ω.  With ρ_ij = cos θ_ij this is ‖u_i‖‖u_j‖ g(ρ_ij) where

    g(z) = ½ (1 − acos(z)/π) z,

the function of eq. (11).  For a circulant U (a convolution with kernel u)
Σ(U) is circulant too, so it is diagonalised by the DFT: its eigenvectors are
the trigonometric basis w_i of eq. (10) and its eigenvalues are

    σ_i² = ‖u‖² · [F g(ρ)]_i,   ρ = (u ⋆ u)/‖u‖²,

with u ⋆ u the circular *autocorrelation*, (u ⋆ u)[d] = Σ_l u[l + d] u[l].
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks
from ._backend import as_generator, asarray, irfft, namespace, rfft, to_numpy
from .kernels import autocorrelation, check_kernel

__all__ = [
    "g", "sigma_matrix", "sigma_matrix_mc", "sigma_mc_errors", "sigma_weights", "sigma_weights_eq11",
    "geometric_fit", "geometric_rate",
]

#: |ρ| within this many machine epsilons of 1 counts as exactly parallel (θ = 0 or π).
_PARALLEL_EPS = 16.0


def g(z):
    """g(z) = ½ (1 − acos(z)/π) z of eq. (11), entrywise for z ∈ [−1, 1]."""
    xp = namespace(z)
    return 0.5 * (1.0 - xp.acos(z) / math.pi) * z


def _snap_cosine(rho):
    """Clip ρ to [−1, 1] and snap |ρ| within a few eps of 1 to ±1 exactly.

    acos is infinitely steep at ±1, so a rounding error δ in ρ becomes an
    error √(2δ) ≈ 1e-8 in θ; snapping makes repeated (or opposite) rows exact."""
    xp = namespace(rho)
    eps = float(xp.finfo(rho.dtype).eps)
    rho = xp.clip(rho, -1.0, 1.0)
    one = xp.ones_like(rho)
    rho = xp.where(rho > 1.0 - _PARALLEL_EPS * eps, one, rho)
    return xp.where(rho < -1.0 + _PARALLEL_EPS * eps, -one, rho)


def sigma_matrix(U):
    """Exact Σ(U) = E[J_G(C) J_G(C)ᵀ] for ANY matrix U (rows u_i), C with iid Gaussian entries.

    Σ_ij = ⟨u_i, u_j⟩ · ½ (1 − θ_ij/π) = ‖u_i‖‖u_j‖ g(cos θ_ij)  (App. B),

    computed in the first form from the Gram matrix U Uᵀ.

    The cosine ρ_ij = ⟨u_i, u_j⟩/(‖u_i‖‖u_j‖) is clipped to [−1, 1] and snapped
    to ±1 within a few machine epsilons, so ρ = ±1 and repeated rows give
    exact values (θ = 0 or π), never NaN.  Zero rows give zero rows/columns.
    Near-parallel rows (θ ≲ 1e-7) inherit the √eps conditioning of acos at 1.

    Parameters
    ----------
    U : array (n, d)

    Returns
    -------
    Sigma : array (n, n), symmetric positive semi-definite.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> cst.sigma_matrix(np.eye(3))                 # orthogonal rows: θ = π/2, so Σ = ½ I
    array([[0.5, 0. , 0. ],
           [0. , 0.5, 0. ],
           [0. , 0. , 0.5]])
    >>> u = cst.kernels.triangular(16, 3)
    >>> ev = np.linalg.eigvalsh(cst.sigma_matrix(cst.circulant_matrix(u)))
    >>> print(np.allclose(np.sort(ev), np.sort(cst.sigma_weights(u) ** 2)))   # eigenvalues = σ² of eq. (11)
    True
    """
    _checks.array(U, "U", ndim=2)
    xp = namespace(U)
    G = U @ U.T
    G = 0.5 * (G + G.T)
    norms = xp.sqrt(xp.clip(xp.linalg.diagonal(G), 0.0, None))
    denom = norms[:, None] * norms[None, :]
    safe = xp.where(denom > 0, denom, xp.ones_like(denom))
    rho = _snap_cosine(G / safe)
    return G * (0.5 * (1.0 - xp.acos(rho) / math.pi))


def sigma_matrix_mc(U, samples, channels=1, rng=0, max_chunk=2**22):
    """Monte-Carlo estimate of Σ(U): the average of J_G(C) J_G(C)ᵀ over ``samples`` draws of C.

    Each draw C ∈ R^{d×channels} has iid N(0, 1) entries (Σ does not depend on
    the scale ω), and J_G J_Gᵀ = (U Uᵀ) ∘ (M Mᵀ)/k with M = 1(U C > 0), so the
    average over S draws is (U Uᵀ) ∘ (M_all M_allᵀ)/(S k) with M_all the
    masks of all S·k columns side by side: batched matrix products, no
    explicit Jacobian.  The relative error decays like 1/√(S k).

    Parameters
    ----------
    U : array (n, d)
    samples : int
        Number of draws S of C.
    channels : int
        Width k of each draw.
    rng : int or numpy.random.Generator
    max_chunk : int
        Largest number of Gaussian entries drawn at once (memory bound).

    Returns
    -------
    Sigma : array (n, n)
        In U's namespace and dtype.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> U = cst.circulant_matrix(cst.kernels.triangular(16, 3))
    >>> exact = cst.sigma_matrix(U)
    >>> for S in (4, 64):
    ...     est = cst.sigma_matrix_mc(U, S, channels=16, rng=0)
    ...     print(S, round(float(np.linalg.norm(est - exact) / np.linalg.norm(exact)), 3))   # ~ 1/√(S k)
    ...
    4 0.112
    64 0.049
    """
    _checks.array(U, "U", ndim=2)
    samples = _checks.positive_int(samples, "samples")
    channels = _checks.positive_int(channels, "channels")
    xp = namespace(U)
    host_rng = as_generator(rng)
    d = U.shape[1]
    total = samples * channels
    per_chunk = max(1, max_chunk // max(d, 1))
    acc = xp.zeros((U.shape[0], U.shape[0]), dtype=U.dtype, device=getattr(U, "device", None))
    done = 0
    while done < total:
        cols = min(per_chunk, total - done)
        # draw column by column (rows of a (cols, d) block) so chunking does not change the numbers
        C = asarray(host_rng.standard_normal((cols, d)).T, xp=xp, dtype=U.dtype, device=getattr(U, "device", None))
        M = xp.astype(U @ C > 0, U.dtype)
        acc = acc + M @ M.T
        done += cols
    return (U @ U.T) * acc / total


def sigma_mc_errors(U, sample_counts, channels=1, rng=0):
    """Relative Frobenius error ‖Σ̂_S − Σ‖_F/‖Σ‖_F of :func:`sigma_matrix_mc` for each S in ``sample_counts``.

    Independent estimates for each S (one generator stream).  Returns a NumPy
    array of the errors; they shrink like c/√(S·channels)."""
    host_rng = as_generator(rng)
    exact = sigma_matrix(U)
    xp = namespace(U)
    ref = float(xp.linalg.vector_norm(exact))
    errs = []
    for S in sample_counts:
        est = sigma_matrix_mc(U, int(S), channels, rng=host_rng)
        errs.append(float(xp.linalg.vector_norm(est - exact)) / ref)
    return np.asarray(errs)


def sigma_weights(u):
    """σ of eq. (11), in O(n log n), index i paired with w_i of :func:`cstheory.trig_basis`.

    σ_i² are the eigenvalues of Σ(U) for U = circulant(u), with eigenvectors w_i::

        σ = ‖u‖ √|F g((u ⋆ u)/‖u‖²)|

    Care with the printed formula: eq. (11) writes the circular *convolution*
    u ⊛ u.  The entries of Σ(U) involve ⟨u_i, u_j⟩, the circular
    *autocorrelation* (u ⋆ u)[i − j] = Σ_l u[l + i − j] u[l]; the two agree
    when u is symmetric (u[d] = u[−d], as the paper's triangular kernels
    are) and differ otherwise — see :func:`sigma_weights_eq11` and its test.
    Index order: DFT index i is frequency min(i, n − i); the DFT of the
    symmetric sequence g(ρ) is real and equal at i and n − i, which are the
    cosine w_i and the sine w_{n−i} of eq. (10): so σ_i is the weight of w_i
    for every i.  σ has u's namespace, dtype and device.

    Parameters
    ----------
    u : array (n,)
        The convolution kernel of U (any real kernel, not all zero).

    Returns
    -------
    sigma : array (n,)
        σ_i ≥ 0, the weight of the trigonometric basis function w_i (column i of
        :func:`cstheory.trig_basis`); σ_i = σ_{n−i}.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> u = cst.kernels.triangular(32, 4)
    >>> s = cst.sigma_weights(u)
    >>> W = cst.trig_basis(32)
    >>> D = W.T @ cst.sigma_matrix(cst.circulant_matrix(u)) @ W     # Σ(U) in the basis of eq. (10)
    >>> print(np.abs(D - np.diag(s ** 2)).max() < 1e-12)
    True
    >>> print(np.round(s[:4] ** 2, 4))        # fast decay: the low frequencies get the large weights
    [2.2977 2.1261 1.6846 1.1468]
    """
    check_kernel(u)
    xp = namespace(u)
    n = u.shape[0]
    a = autocorrelation(u)
    nrm2 = a[0]
    half = xp.real(rfft(g(_snap_cosine(a / nrm2))))           # frequencies 0 … n//2
    full_index = np.minimum(np.arange(n), n - np.arange(n))     # σ_i = σ_{n-i}
    full = xp.take(half, xp.asarray(full_index, device=getattr(u, "device", None)))
    return xp.sqrt(nrm2 * xp.abs(full))


def sigma_weights_eq11(u):
    """Eq. (11) exactly as printed, with the circular convolution u ⊛ u in place of u ⋆ u.

    Equal to :func:`sigma_weights` for symmetric kernels; for asymmetric ones
    it is *not* the spectrum of Σ(U).  Kept to show the difference."""
    check_kernel(u)
    xp = namespace(u)
    n = u.shape[0]
    uh = rfft(u)
    conv = irfft(uh * uh, n)
    nrm2 = xp.sum(u * u)
    full_index = np.minimum(np.arange(n), n - np.arange(n))
    half = xp.abs(rfft(g(_snap_cosine(conv / nrm2))))
    return xp.sqrt(nrm2 * xp.take(half, xp.asarray(full_index, device=getattr(u, "device", None))))


def geometric_fit(sigma, start=1, stop=None, floor=1e-10):
    """Least-squares fit log σ_i² ≈ c + i log γ over the decaying part of the sorted spectrum.

    σ² is sorted decreasingly; the fit uses sorted indices ``start`` ≤ i <
    ``stop`` (default: to the end) whose σ_i²/σ_max² exceeds ``floor``
    (the numerical noise floor).  Index 0 (the largest, usually the mean
    component) is skipped by default.

    Returns
    -------
    (gamma, c, indices) : float, float, numpy.ndarray
        σ_i² ≈ exp(c) γ^i on ``indices`` (Fig. 3's straight line).
    """
    s2 = np.sort(to_numpy(sigma).astype(np.float64) ** 2)[::-1]
    if s2.ndim != 1 or s2.size < 2:
        raise ValueError(f"sigma must be 1-D with at least 2 entries, got shape {s2.shape}")
    if not np.all(np.isfinite(s2)):
        raise ValueError("sigma contains non-finite values")
    stop = s2.size if stop is None else min(int(stop), s2.size)
    idx = np.arange(start, stop)
    idx = idx[s2[idx] > floor * s2[0]]
    if idx.size < 2:
        raise ValueError("fewer than 2 entries of sigma above the floor in [start, stop): nothing to fit")
    slope, c = np.polyfit(idx, np.log(s2[idx]), 1)
    return float(np.exp(slope)), float(c), idx


def geometric_rate(sigma, start=1, stop=None, floor=1e-10):
    """The fitted γ of σ_i² ≈ γ^i over the decaying part of the spectrum (see :func:`geometric_fit`).

    Parameters
    ----------
    sigma : array (n,)
        Weights σ (any order; they are sorted).
    start, stop : int
        The window of sorted indices to fit.
    floor : float
        Entries with σ_i²/σ_max² below it are left out.

    Returns
    -------
    float
        γ in (0, 1] for a decaying spectrum.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> sigma = np.sqrt(0.6 ** np.arange(20))       # σ_i² = 0.6^i exactly
    >>> print(round(cst.geometric_rate(sigma), 10))
    0.6
    >>> wide, narrow = (cst.sigma_weights(cst.kernels.triangular(100, h)) for h in (10, 3))
    >>> print(cst.geometric_rate(wide, stop=10) < cst.geometric_rate(narrow, stop=10))   # wider kernel, faster decay
    True
    """
    return geometric_fit(sigma, start=start, stop=stop, floor=floor)[0]
