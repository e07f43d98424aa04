"""Right-hand sides of the paper's error bounds (floor 4): eq. (7), (8), and their spectral core.

All bounds are returned *without* the unspecified numerical constant C of
the theorems, so that "observed error / bound" is the quantity a user can
watch stay below a constant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _checks
from ._backend import namespace, to_numpy

__all__ = ["spectral_bound", "theorem1_bound", "geometric_bound", "theorem2_bound", "theorem3_quantities",
           "Theorem3Quantities"]


def spectral_bound(sigma, coefficients, m):
    """(Σ_i ⟨w_i, x⟩² / σ_i²) · Σ_{i > 2m/3} σ_i², the common core of eq. (7), (13) and (23).

    Parameters
    ----------
    sigma : array (n,)
        Weights σ_i ≥ 0 of the basis functions w_i, in any order (they are
        sorted decreasingly together with ``coefficients``, as the theorem's
        σ_1 ≥ … ≥ σ_n requires).
    coefficients : array (n,)
        ⟨w_i, x⟩ for the same i.
    m : int
        Number of measurements.  The tail sum runs over the paper's 1-based
        i > 2m/3, i.e. the 0-based sorted indices ≥ ⌊2m/3⌋.

    Returns
    -------
    float
        The bound; ``inf`` when x has energy on a direction with σ_i = 0 (a coefficient up to
        1000·eps·max|c| there, eps of the coefficients' precision, counts as rounding).
    """
    m = _checks.positive_int(m, "m")
    s = to_numpy(sigma).astype(np.float64)
    c_in = to_numpy(coefficients)
    c = c_in.astype(np.float64)
    if s.shape != c.shape or s.ndim != 1:
        raise ValueError(f"sigma and coefficients must be 1-D of equal length, got {s.shape} and {c.shape}")
    if np.any(s < 0) or not np.all(np.isfinite(s)):
        raise ValueError("sigma must be finite and non-negative")
    order = np.argsort(-s, kind="stable")
    s, c = s[order], c[order]
    # rounding level of the coefficients in their own precision (float32 inputs: eps = 1.2e-7)
    eps = float(np.finfo(np.result_type(c_in.dtype, np.float32)).eps)
    tiny = eps * max(float(np.max(np.abs(c))), 1e-300) * 1e3
    energy = 0.0
    for si, ci in zip(s, c):
        if si > 0:
            energy += ci * ci / (si * si)
        elif abs(ci) > tiny:
            return math.inf
    tail = float(np.sum(s[(2 * m) // 3:] ** 2))
    return energy * tail


def theorem1_bound(J, x, m):
    """Right-hand side of eq. (7) without the constant C.

    (Σ_{i=1}^n ⟨w_i, x*⟩² / σ_i²) · Σ_{i > 2m/3} σ_i², with w_i, σ_i the left
    singular vectors and singular values of J (σ_1 ≥ … ≥ σ_n).  Theorem 1:
    the min-norm estimate x̂ = J ĉ from m ≥ 12 Gaussian measurements obeys
    ‖x̂ − x*‖² ≤ C · theorem1_bound(J, x*, m) with probability ≥ 1 − 3e^{−m/2}.

    Parameters
    ----------
    J : array (n, N)
    x : array (n,)
    m : int
    """
    _checks.array(J, "J", ndim=2)
    _checks.array(x, "x", ndim=1)
    xp = namespace(J, x)
    if J.shape[0] != x.shape[0]:
        raise ValueError(f"x must have length n = {J.shape[0]} (rows of J), got {x.shape[0]}")
    n, N = J.shape
    # thin SVD gives all n left singular vectors when N >= n; otherwise the full
    # one does (its V is only N x N) and the missing n - N singular values are 0
    W, s, _ = xp.linalg.svd(J, full_matrices=N < n)
    s = to_numpy(s)
    s = np.concatenate([s, np.zeros(n - s.shape[0], dtype=s.dtype)])   # keep J's precision for eps below
    # a rank-deficient J has rounding-level singular values (~eps s_max), not zeros: count them
    # as zero, so that x in the range of J gets a finite bound and x outside it gets inf
    s[s <= max(n, N) * np.finfo(s.dtype).eps * s.max(initial=0.0)] = 0.0
    return spectral_bound(s, W.T @ x, m)


def geometric_bound(gamma, m, x_norm=1.0):
    """Eq. (8): γ^{m/3} / (1 − γ) · ‖x*‖², for σ_i² = γ^i and x* ∈ span(w_1 … w_{m/3}).

    Parameters
    ----------
    gamma : float in (0, 1)
    m : int
    x_norm : float
        ‖x*‖₂.
    """
    gamma = float(gamma)
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma must lie in (0, 1), got {gamma}")
    m = _checks.positive_int(m, "m")
    x_norm = _checks.positive_float(x_norm, "x_norm", allow_zero=True)
    return gamma ** (m / 3.0) / (1.0 - gamma) * x_norm**2


# ---------------------------------------------------------------------------
# Theorem 2 / 3: the two-layer convolutional generator (Sec. 4, App. B, D)
# ---------------------------------------------------------------------------
def theorem2_bound(u, x, m, xi=0.0):
    """Right-hand side of eq. (13) without the constant C, for a kernel u, a signal x and m.

    (Σ_i ⟨w_i, x⟩² / σ_i²) · Σ_{i > 2m/3} σ_i² + ξ² ‖x‖²,

    with w_i the trigonometric basis of eq. (10) (:func:`cstheory.trig_basis`)
    and σ_i the weights of eq. (11) (:func:`cstheory.sigma_weights`, the
    eigenvalues of Σ(U) are σ_i²), sorted together decreasingly.  Theorem 2:
    GD from the scale-ω start run to convergence obeys
    ‖G(C_∞) − x‖² ≤ C · (first term) + ξ²‖x‖² for k ≳ C_u m/ξ⁸ channels.

    Eq. (23) of Theorem 3 has the same two ingredients (there written for
    ‖x − G(C_t)‖₂, unsquared, as ξ‖x‖ + C · first term); this function returns
    the squared form of eq. (13).  Weights at rounding level
    (σ_i² ≤ n·eps·σ_max²) count as zero, as in :func:`theorem1_bound`, so a
    direction the network cannot produce gives ``inf`` when x has energy there.

    Parameters
    ----------
    u : array (n,)
        Convolution kernel of U.
    x : array (n,)
        The signal x*.
    m : int
        Number of measurements.
    xi : float ≥ 0
        Theorem 3's error-tolerance parameter ξ (the one that sets the
        initialisation scale ω = ξ‖y‖/(2√n‖U‖)); 0 gives the spectral term alone.

    Returns
    -------
    float
    """
    from .kernels import check_kernel
    from .signals import trig_basis
    from .spectrum import sigma_weights
    import array_api_compat

    check_kernel(u)
    _checks.array(x, "x", ndim=1)
    xp = namespace(u, x)
    n = u.shape[0]
    if x.shape[0] != n:
        raise ValueError(f"x must have length n = {n} (the length of the kernel u), got {x.shape[0]}")
    m = _checks.positive_int(m, "m")
    xi = _checks.positive_float(xi, "xi", allow_zero=True)
    s_in = to_numpy(sigma_weights(u))
    s = s_in.astype(np.float64)
    s[s * s <= n * np.finfo(s_in.dtype).eps * float(np.max(s)) ** 2] = 0.0
    W = trig_basis(n, xp=xp, dtype=x.dtype, device=array_api_compat.device(x))
    x_norm = float(xp.linalg.vector_norm(x))
    return spectral_bound(s, W.T @ x, m) + xi * xi * x_norm * x_norm


@dataclass(frozen=True)
class Theorem3Quantities:
    """The constants of Theorem 3 and its proof (App. D) for one setup; see :func:`theorem3_quantities`.

    All are plain floats.  Widths are kept as log10 because they overflow
    (κ_u^26 is ~1e73 for a triangular kernel of n = 64).
    """

    n: int
    m: int
    k: int
    xi: float
    delta: float
    y_norm: float
    U_norm: float            #: ‖U‖ = max_f |DFT(u)_f|
    sigma_min: float         #: σ_n = smallest weight of eq. (11) (σ_n² = λ_min(Σ(U)))
    sigma_max: float         #: σ_1
    kappa: float             #: κ_u = ‖U‖²/σ_n²
    alpha: float             #: α = √(n/m) σ_n / (3√2)
    beta: float              #: β = 2 √(n/m) ‖U‖
    omega: float             #: ω = ξ‖y‖/(2√n‖U‖) = ξ‖y‖/(β√m)
    step_size_bound: float   #: η ≤ m/(4n‖U‖²) = 1/β²
    epsilon0: float          #: ε₀ = 2β (log(2n/δ)/k)^{1/4} at width k (Assumption 2)
    epsilon: float           #: ε = ξ α⁴/(16 β³) (Assumption 3)
    log10_width_eq21: float  #: log10 of κ_u^26 m / ξ⁸, eq. (21) with C = 1
    log10_width_proof: float  #: log10 of m ξ⁻⁸ 9² 64⁶ (β/α)^26, the explicit form in App. D
    log10_width_theorem4: float  #: log10 of the k at which 2β(ε₀ + ε) ≤ α² starts to hold (inf if never)
    xi_max: float            #: ξ ≤ 1/√(2 log(2n/δ)) is required
    probability: float       #: 1 − n e^{−k²} − 2e^{−m/2} − δ (the theorem's success probability)

    @property
    def width_eq21(self) -> float:
        """k demanded by eq. (21) with C = 1 (``inf`` when it overflows a float)."""
        return 10.0 ** self.log10_width_eq21 if self.log10_width_eq21 < 308 else math.inf

    @property
    def measurements_ok(self) -> bool:
        """Theorem 3's condition m ≤ n/9."""
        return 9 * self.m <= self.n

    @property
    def xi_ok(self) -> bool:
        """0 < ξ ≤ 1/√(2 log(2n/δ))."""
        return 0.0 < self.xi <= self.xi_max

    @property
    def theorem4_condition(self) -> float:
        """2β(ε₀ + ε)/α² at width k; Theorem 4 needs it ≤ 1 (``inf`` when σ_n = 0, i.e. α = 0)."""
        if self.alpha == 0:
            return math.inf
        return 2.0 * self.beta * (self.epsilon0 + self.epsilon) / self.alpha**2

    @property
    def width_ok(self) -> bool:
        """k meets eq. (21) with C = 1."""
        return math.log10(self.k) >= self.log10_width_eq21

    def summary(self) -> str:
        """How far the hypotheses of Theorem 3 are from this (practical) setup, in words."""
        def e(v):
            return f"1e{v:.0f}" if math.isfinite(v) else "inf"
        lines = [
            f"Theorem 3 for n = {self.n}, m = {self.m}, k = {self.k}, xi = {self.xi:g}, delta = {self.delta:g}:",
            f"  ||U|| = {self.U_norm:.4g}, sigma_n = {self.sigma_min:.4g}, "
            f"kappa_u = ||U||^2/sigma_n^2 = {self.kappa:.4g}",
            f"  alpha = {self.alpha:.4g}, beta = {self.beta:.4g} "
            f"(beta/alpha = {self.beta / self.alpha if self.alpha > 0 else math.inf:.4g}), "
            f"omega = {self.omega:.4g} (for ||y|| = {self.y_norm:g})",
            f"  step size eta <= m/(4 n ||U||^2) = {self.step_size_bound:.4g}",
            f"  epsilon0 = 2 beta (log(2n/delta)/k)^(1/4) = {self.epsilon0:.4g} at k = {self.k}; "
            f"epsilon = xi alpha^4/(16 beta^3) = {self.epsilon:.4g}",
            f"  Theorem 4 needs 2 beta (epsilon0 + epsilon) <= alpha^2: the ratio is {self.theorem4_condition:.4g} "
            f"({'holds' if self.theorem4_condition <= 1 else 'fails'}); it holds only from "
            f"k ~ {e(self.log10_width_theorem4)} channels",
            f"  eq. (21) asks k >= {e(self.log10_width_eq21)} channels (C = 1; the proof's explicit constant: "
            f"{e(self.log10_width_proof)}); this setup uses {self.k}"
            + (f", short by a factor {e(self.log10_width_eq21 - math.log10(self.k))}" if not self.width_ok else ""),
            f"  m <= n/9: {self.m} <= {self.n / 9:.4g} ({'ok' if self.measurements_ok else 'violated'})",
            f"  xi <= 1/sqrt(2 log(2n/delta)) = {self.xi_max:.4g} ({'ok' if self.xi_ok else 'violated'})",
            f"  success probability >= 1 - n e^(-k^2) - 2 e^(-m/2) - delta = {self.probability:.4g}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def theorem3_quantities(u, m, n=None, xi=None, delta=0.01, k=256, y_norm=1.0):
    """The quantities of Theorem 3 and of its proof (App. D) for a kernel u and m measurements.

    With ‖U‖ the spectral norm of the circulant U and σ_n the smallest weight
    of eq. (11) (σ_n² = λ_min(Σ(U))), App. D sets

    * κ_u = ‖U‖²/σ_n²,
    * α = √(n/m) σ_n/(3√2),  β = 2√(n/m)‖U‖  (Assumption 1, from (48)),
    * ω = ξ‖y‖/(2√n‖U‖), step size η ≤ m/(4n‖U‖²) = 1/β²,
    * ε₀ = 2β (log(2n/δ)/k)^{1/4}  (Assumption 2, Lemmas 3–4),
    * ε = ξα⁴/(16β³)  (Assumption 3, Lemma 5),

    and requires k ≥ C κ_u^26 m/ξ⁸ (eq. 21; reported with C = 1), m ≤ n/9 and
    ξ ≤ 1/√(2 log(2n/δ)).  Two further widths are reported: the explicit
    form the proof derives, m ξ⁻⁸ 9² 64⁶ (β/α)^26 (note β/α = 6√2 √κ_u, while
    the paper's display writes 6√2 κ_u), and the width at which Theorem 4's
    condition 2β(ε₀ + ε) ≤ α² starts to hold.  ``print(q)`` (or
    ``q.summary()``) says how far a practical setup is from these hypotheses.

    Parameters
    ----------
    u : array (n,)
        Convolution kernel.
    m : int
        Number of measurements.
    n : int, optional
        Signal length; must equal ``len(u)`` (U is n × n).  Default ``len(u)``.
    xi : float, optional
        Error tolerance ξ > 0; default :data:`cstheory.two_layer.DEFAULT_XI`.
    delta : float in (0, 1)
        Failure probability δ of Lemmas 1 and 3.
    k : int
        The width used in practice (ε₀ and the success probability depend on it).
    y_norm : float
        ‖y‖ for ω (default 1).

    Returns
    -------
    Theorem3Quantities
    """
    from .kernels import check_kernel, spectral_norm
    from .spectrum import sigma_weights
    from .two_layer import DEFAULT_XI

    check_kernel(u)
    length = int(u.shape[0])
    n = length if n is None else _checks.positive_int(n, "n")
    if n != length:
        raise ValueError(f"n must equal the length of the kernel u ({length}): U is n x n; got n = {n}")
    m = _checks.positive_int(m, "m")
    k = _checks.positive_int(k, "k")
    xi = _checks.positive_float(DEFAULT_XI if xi is None else xi, "xi")
    delta = _checks.positive_float(delta, "delta")
    if not delta < 1.0:
        raise ValueError(f"delta must lie in (0, 1), got {delta}")
    y_norm = _checks.positive_float(y_norm, "y_norm")

    s = to_numpy(sigma_weights(u)).astype(np.float64)
    U_norm = spectral_norm(u)
    s_min, s_max = float(np.min(s)), float(np.max(s))
    kappa = U_norm**2 / s_min**2 if s_min > 0 else math.inf
    root = math.sqrt(n / m)
    alpha = root * s_min / (3.0 * math.sqrt(2.0))
    beta = 2.0 * root * U_norm
    log_term = math.log(2.0 * n / delta)
    epsilon0 = 2.0 * beta * (log_term / k) ** 0.25
    epsilon = xi * alpha**4 / (16.0 * beta**3)
    log_m_xi = math.log10(m) - 8.0 * math.log10(xi)
    w21 = 26.0 * math.log10(kappa) + log_m_xi if math.isfinite(kappa) else math.inf
    ratio = beta / alpha if alpha > 0 else math.inf
    wproof = log_m_xi + 2.0 * math.log10(9.0) + 6.0 * math.log10(64.0) + 26.0 * math.log10(ratio)
    slack = alpha**2 / (2.0 * beta) - epsilon          # ε₀ may be at most this
    w4 = (math.log10(log_term) + 4.0 * math.log10(2.0 * beta / slack)) if slack > 0 else math.inf
    k_term = n * math.exp(-float(k) ** 2) if k < 30 else 0.0
    return Theorem3Quantities(
        n=n, m=m, k=k, xi=xi, delta=delta, y_norm=y_norm,
        U_norm=U_norm, sigma_min=s_min, sigma_max=s_max, kappa=kappa,
        alpha=alpha, beta=beta, omega=xi * y_norm / (2.0 * math.sqrt(n) * U_norm),
        step_size_bound=m / (4.0 * n * U_norm**2),
        epsilon0=epsilon0, epsilon=epsilon,
        log10_width_eq21=w21, log10_width_proof=wproof, log10_width_theorem4=w4,
        xi_max=1.0 / math.sqrt(2.0 * log_term),
        probability=1.0 - k_term - 2.0 * math.exp(-m / 2.0) - delta,
    )
