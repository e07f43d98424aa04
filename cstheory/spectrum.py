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
from . import _numeric
from .kernels import autocorrelation, check_kernel

#: sigma_matrix_mc refuses more than this many draws of a column of C (samples × channels)
MAX_MC_COLUMNS = 2**40

__all__ = [
    "g", "sigma_matrix", "sigma_matrix_mc", "sigma_mc_errors", "sigma_weights", "sigma_weights_eq11",
    "geometric_fit", "geometric_rate",
]

#: |ρ| within this many machine epsilons of 1 counts as exactly parallel (θ = 0 or π).
_PARALLEL_EPS = 16.0


def g(z):
    """g(z) = ½ (1 − acos(z)/π) z of eq. (11), entrywise for a real array z with entries in [−1, 1]."""
    _checks.array(z, "z", allow_empty=True)
    xp = namespace(z)
    if not bool(xp.all((z >= -1.0) & (z <= 1.0))):
        raise ValueError("z must have entries in [-1, 1] (g is defined on cosines)")
    return _g(z)


def _g(z):
    xp = namespace(z)
    return 0.5 * (1.0 - xp.acos(z) / math.pi) * z


def _row_scales(U):
    """U = diag(s) V with s_i the power of two just below max_j |U_ij| (1 for a zero row).

    V has rows with largest entry in [1, 2), so V Vᵀ neither overflows nor underflows, and because
    the scaling is by powers of two, (V Vᵀ)_ij s_i s_j is bit for bit (U Uᵀ)_ij wherever that is finite."""
    xp = namespace(U)
    s = _numeric.scale(xp, U, axis=1)
    return U / s, s[:, 0]


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

    computed in the first form from the Gram matrix of the rows scaled by powers of
    two (U = diag(s) V, V with largest entries in [1, 2)), then multiplied back:
    Σ(diag(d) U) = diag(d) Σ(U) diag(d) for d > 0.  Rows of any finite scale (1e±300) give
    no spurious overflow or underflow and never NaN; wherever nothing overflows the numbers
    are bit for bit those of the unscaled formula.  A U whose Σ has entries beyond the
    floating-point range (rows with ‖u_i‖² above it, e.g. ``1e200 * I``) is refused with a
    ``ValueError`` naming ``U``.

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
    n = U.shape[0]
    _checks.memory(_checks.nbytes((n, n)) * 4, f"sigma_matrix(U with {n} rows): the ({n}, {n}) matrix")
    V, sc = _row_scales(U)
    G = V @ V.T
    G = 0.5 * (G + G.T)
    norms = xp.sqrt(xp.clip(xp.linalg.diagonal(G), 0.0, None))
    denom = norms[:, None] * norms[None, :]
    safe = xp.where(denom > 0, denom, xp.ones_like(denom))
    rho = _snap_cosine(G / safe)
    H = G * (0.5 * (1.0 - xp.acos(rho) / math.pi))
    with _numeric.overflow_to_inf():
        S = (H * sc[:, None]) * sc[None, :]    # powers of two: exact, and 0 stays 0 (never inf·0)
    if bool(xp.any(xp.isinf(S))):
        big = float(xp.max(norms * sc))
        raise ValueError(f"U's rows are too large for Σ(U) in {S.dtype}: Σ_ii = ½‖u_i‖² exceeds the largest "
                         f"float (max ‖u_i‖ ≈ {big:.3g}); scale U down, Σ(cU) = c²·Σ(U)")
    return S


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
    host_rng = as_generator(rng)
    max_chunk = _checks.positive_int(max_chunk, "max_chunk")
    total = samples * channels
    if total > MAX_MC_COLUMNS:
        raise ValueError(f"samples * channels = {samples} * {channels} draws of a column of C is more than "
                         f"{MAX_MC_COLUMNS:.3g} (the estimate's relative error ~1/sqrt(samples*channels) is then "
                         f"below 1e-6): use sigma_matrix(U) for the exact value")
    xp = namespace(U)
    n, d = U.shape
    per_chunk = max(1, max_chunk // d)
    itemsize = 4 if U.dtype == xp.float32 else 8
    _checks.memory(_checks.nbytes((n, n), (n, n), (min(per_chunk, total), d), (n, min(per_chunk, total)),
                                  itemsize=itemsize) + _checks.nbytes((min(per_chunk, total), d)),
                   f"sigma_matrix_mc(U of shape {(n, d)}, max_chunk={max_chunk}): the estimate and one chunk")
    V, sc = _row_scales(U)      # 1(U C > 0) does not change when a row of U is scaled by a positive factor
    dev = getattr(U, "device", None)
    acc = xp.zeros((n, n), dtype=U.dtype, device=dev)
    done = 0
    while done < total:
        cols = min(per_chunk, total - done)
        # draw column by column (rows of a (cols, d) block) so chunking does not change the numbers
        C = asarray(host_rng.standard_normal((cols, d)).T, xp=xp, dtype=U.dtype, device=dev)
        M = xp.astype(V @ C > 0, U.dtype)
        acc = acc + M @ M.T
        done += cols
    H = (V @ V.T) * acc / total
    with _numeric.overflow_to_inf():
        return (H * sc[:, None]) * sc[None, :]


def sigma_mc_errors(U, sample_counts, channels=1, rng=0):
    """Relative Frobenius error ‖Σ̂_S − Σ‖_F/‖Σ‖_F of :func:`sigma_matrix_mc` for each S in ``sample_counts``.

    Independent estimates for each S (one generator stream).  Returns a NumPy
    array of the errors; they shrink like c/√(S·channels)."""
    _checks.array(U, "U", ndim=2)
    if isinstance(sample_counts, (str, bytes)) or not hasattr(sample_counts, "__iter__"):
        raise TypeError(f"sample_counts must be an iterable of integers >= 1, got {type(sample_counts).__name__}")
    counts = [_checks.positive_int(S, "each entry of sample_counts") for S in sample_counts]
    if not counts:
        raise ValueError("sample_counts must contain at least one sample count, got an empty iterable")
    channels = _checks.positive_int(channels, "channels")
    host_rng = as_generator(rng)
    for S in counts:
        if S * channels > MAX_MC_COLUMNS:
            raise ValueError(f"sample_counts entry {S} times channels = {channels} exceeds {MAX_MC_COLUMNS:.3g} "
                             "draws (see sigma_matrix_mc)")
    exact = sigma_matrix(U)
    xp = namespace(U)
    ref = float(xp.linalg.vector_norm(exact))
    if not ref > 0:
        raise ValueError("U must not be all zero: Sigma(U) = 0 has no relative error")
    errs = []
    for S in counts:
        est = sigma_matrix_mc(U, S, channels, rng=host_rng)
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
    for every i.  σ has u's namespace, dtype and device.  Scale-safe: σ(c·u) = |c|·σ(u)
    is used to compute with u / max|u|, so kernels of any finite scale (1e±300) give
    finite weights.

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
    c = _numeric.scale(xp, u)                  # σ(c u) = |c| σ(u): compute for u/c (c a power of two), rescale
    a = autocorrelation(u / c)
    nrm2 = a[0]
    half = xp.real(rfft(_g(_snap_cosine(a / nrm2))))          # frequencies 0 … n//2
    full_index = np.minimum(np.arange(n), n - np.arange(n))     # σ_i = σ_{n-i}
    full = xp.take(half, xp.asarray(full_index, device=getattr(u, "device", None)))
    with _numeric.overflow_to_inf():
        return c * xp.sqrt(nrm2 * xp.abs(full))


def sigma_weights_eq11(u):
    """Eq. (11) exactly as printed, with the circular convolution u ⊛ u in place of u ⋆ u.

    Equal to :func:`sigma_weights` for symmetric kernels; for asymmetric ones
    it is *not* the spectrum of Σ(U).  Kept to show the difference."""
    check_kernel(u)
    xp = namespace(u)
    n = u.shape[0]
    c = _numeric.scale(xp, u)
    v = u / c
    uh = rfft(v)
    conv = irfft(uh * uh, n)
    nrm2 = xp.sum(v * v)
    full_index = np.minimum(np.arange(n), n - np.arange(n))
    half = xp.abs(rfft(_g(_snap_cosine(conv / nrm2))))
    with _numeric.overflow_to_inf():
        return c * xp.sqrt(nrm2 * xp.take(half, xp.asarray(full_index, device=getattr(u, "device", None))))


def geometric_fit(sigma, start=1, stop=None, floor=1e-10):
    """Least-squares fit log σ_i² ≈ c + i log γ over the decaying part of the sorted spectrum.

    σ² is sorted decreasingly; the fit uses sorted indices ``start`` ≤ i <
    ``stop`` (default: to the end; a larger ``stop`` is cut to the length) whose
    σ_i²/σ_max² exceeds ``floor`` (the numerical noise floor, ≥ 0).  Index 0 (the
    largest, usually the mean component) is skipped by default.  ``start`` ≥ 0 and
    ``stop`` ≥ start + 2 are integers (negative indices do not wrap).  The fit is done
    on σ/σ_max, so any finite scale of σ works; c refers to σ itself.

    Returns
    -------
    (gamma, c, indices) : float, float, numpy.ndarray
        σ_i² ≈ exp(c) γ^i on ``indices`` (Fig. 3's straight line).
    """
    _checks.array(sigma, "sigma", ndim=1)
    start = _checks.integer(start, "start", minimum=0)
    if stop is not None:
        stop = _checks.integer(stop, "stop", minimum=start + 2)
    floor = _checks.real(floor, "floor", low=0.0)
    s = to_numpy(sigma).astype(np.float64)
    if s.size < 2:
        raise ValueError(f"sigma must have at least 2 entries, got shape {s.shape}")
    if np.any(s < 0):
        raise ValueError("sigma must be non-negative (the weights sigma_i >= 0 of eq. 11)")
    s = s / np.max(s) if np.max(s) > 0 else s      # the fitted γ is scale-invariant; c is shifted back below
    s2 = np.sort(s ** 2)[::-1]
    stop = s2.size if stop is None else min(stop, s2.size)
    idx = np.arange(start, stop)
    idx = idx[s2[idx] > floor * s2[0]]
    if idx.size < 2:
        raise ValueError(f"fewer than 2 entries of sigma above floor={floor:g} (relative to the largest) in "
                         f"[start, stop) = [{start}, {stop}): nothing to fit")
    slope, c = np.polyfit(idx, np.log(s2[idx]), 1)
    return float(np.exp(slope)), float(c + 2.0 * np.log(np.max(to_numpy(sigma).astype(np.float64)))), idx


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
