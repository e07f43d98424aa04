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
from . import _numeric
from ._backend import namespace, to_numpy
from ._repr import compact_repr

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
        1000·eps·max|c| there, eps of the coefficients' precision, counts as rounding).  It is
        invariant under σ → λσ and computed from σ/σ_max and the coefficients over
        their largest entry, so σ and x of any finite scale give no spurious
        overflow, underflow or NaN.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> sigma = np.array([1.0, 0.5, 0.25])
    >>> print(cst.spectral_bound(sigma, np.array([1.0, 0.0, 0.0]), m=3))   # (1²/1²) · 0.25²
    0.0625
    >>> print(cst.spectral_bound(sigma, np.array([0.0, 0.0, 1.0]), m=3))   # (1/0.25²) · 0.25²
    1.0
    """
    _checks.array(sigma, "sigma", ndim=1)
    _checks.array(coefficients, "coefficients", ndim=1)
    _checks.namespace(sigma=sigma, coefficients=coefficients)
    m = _checks.positive_int(m, "m")
    s = to_numpy(sigma).astype(np.float64)
    c_in = to_numpy(coefficients)
    c = c_in.astype(np.float64)
    if s.shape != c.shape:
        raise ValueError(f"sigma and coefficients must have equal lengths, got {s.shape} and {c.shape}")
    if np.any(s < 0):
        raise ValueError("sigma must be non-negative (sigma_i >= 0 are singular values or weights)")
    # rounding level of the coefficients in their own precision (float32 inputs: eps = 1.2e-7)
    return _spectral_bound(s, c, m, eps=float(np.finfo(np.result_type(c_in.dtype, np.float32)).eps))


def _spectral_bound(s, c, m, eps=float(np.finfo(np.float64).eps)):
    """The bound for host float64 arrays, scale-safe: with s = a ŝ and c = b ĉ (a, b the powers of two
    just below the largest entries) it is b² · [Σ ĉ_i²/ŝ_i²] · [Σ_tail ŝ_i²]: invariant under s → λ s,
    never inf·0, and bit for bit the unscaled sum wherever that is finite."""

    order = np.argsort(-s, kind="stable")
    s, c = s[order], c[order]
    a = float(np.max(s)) if s.size else 0.0
    b = float(np.max(np.abs(c))) if c.size else 0.0
    if b == 0.0:
        return 0.0
    if a == 0.0:
        return math.inf
    tiny = eps * max(b, 1e-300) * 1e3 / _numeric.pow2(b)
    a, b = _numeric.pow2(a), _numeric.pow2(b)              # powers of two: the scaling is exact
    s, c = s / a, c / b
    energy = 0.0
    for si, ci in zip(s, c):
        if si > 0:
            energy += ci * ci / (si * si)
        elif abs(ci) > tiny:
            return math.inf
    tail = float(np.sum(s[(2 * m) // 3:] ** 2))
    core = energy * tail
    return b * (b * core) if core > 0 else 0.0


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

    Returns
    -------
    float
        The right-hand side without C; ``inf`` when x* has energy outside the range of J.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 64, 24
    >>> W = cst.trig_basis(n)[:, cst.frequency_order(n)]
    >>> J = W * np.sqrt(0.7 ** np.arange(n))             # σ_i² = 0.7^i along the frequencies
    >>> x = cst.smooth_signal(n, 4, rng=0)
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> x_hat = J @ cst.min_norm_coefficients(A, J, A @ x)
    >>> error, bound = float(np.sum((x_hat - x) ** 2)), cst.theorem1_bound(J, x, m)
    >>> print(error < bound, f'{bound:.1e}')
    True 2.2e-02
    """
    _checks.array(J, "J", ndim=2)
    _checks.array(x, "x", ndim=1)
    xp = _checks.namespace(J=J, x=x)
    if J.shape[0] != x.shape[0]:
        raise ValueError(f"x must have length n = {J.shape[0]} (rows of J), got {x.shape[0]}")
    m = _checks.positive_int(m, "m")
    n, N = J.shape
    _checks.memory(_checks.nbytes((n, n), (n, N), (min(n, N), N)) * 2, f"theorem1_bound(J of shape {(n, N)}): the SVD")
    # thin SVD gives all n left singular vectors when N >= n; otherwise the full
    # one does (its V is only N x N) and the missing n - N singular values are 0.
    # The bound is invariant under J → λJ: the SVD is taken of J / max|J|.

    scale = _numeric.pow2(float(xp.max(xp.abs(J))))
    W, s, _ = xp.linalg.svd(J / scale, full_matrices=N < n)
    s = np.concatenate([to_numpy(s).astype(np.float64), np.zeros(n - s.shape[0])])   # J's eps is used below
    # a rank-deficient J has rounding-level singular values (~eps s_max), not zeros: count them
    # as zero, so that x in the range of J gets a finite bound and x outside it gets inf
    s[s <= max(n, N) * float(xp.finfo(J.dtype).eps) * s.max(initial=0.0)] = 0.0
    c = to_numpy(W.T @ x).astype(np.float64)
    return _spectral_bound(s, c, m, eps=float(xp.finfo(J.dtype).eps))


def geometric_bound(gamma, m, x_norm=1.0):
    """Eq. (8): γ^{m/3} / (1 − γ) · ‖x*‖², for σ_i² = γ^i and x* ∈ span(w_1 … w_{m/3}).

    Parameters
    ----------
    gamma : float in (0, 1)
    m : int
    x_norm : float
        ‖x*‖₂.

    Returns
    -------
    float

    Examples
    --------
    >>> import cstheory as cst
    >>> print(cst.geometric_bound(0.5, m=6))          # 0.5² / (1 − 0.5)
    0.5
    >>> print(cst.geometric_bound(0.5, m=30) < 1e-2)  # m = 30 measurements: 2⁻¹⁰/0.5
    True
    """
    gamma = _checks.real(gamma, "gamma", low=0.0, high=1.0, low_open=True, high_open=True)
    m = _checks.positive_int(m, "m")
    x_norm = _checks.positive_float(x_norm, "x_norm", allow_zero=True)
    # γ^{m/3} ‖x‖² as exp of a sum of logs: no spurious overflow/underflow for large ‖x‖ or m
    if x_norm == 0.0:
        return 0.0
    log = (m / 3.0) * math.log(gamma) + 2.0 * math.log(x_norm) - math.log1p(-gamma)
    try:
        return math.exp(log)             # up to the largest float (log ≈ 709.78), not only below e^709
    except OverflowError:
        return math.inf


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

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> u, x = cst.kernels.triangular(64, 8), cst.smooth_signal(64, 3, rng=0)
    >>> bounds = [cst.theorem2_bound(u, x, m) for m in (12, 24, 48)]
    >>> print(bounds[0] > bounds[1] > bounds[2])          # more measurements, smaller bound
    True
    >>> print(round(cst.theorem2_bound(u, x, 24, xi=0.1) - bounds[1], 12))   # + ξ²‖x‖²
    0.01
    """
    from .kernels import check_kernel
    from .signals import trig_basis
    from .spectrum import sigma_weights
    import array_api_compat

    check_kernel(u)
    _checks.array(x, "x", ndim=1)
    xp = _checks.namespace(u=u, x=x)
    n = u.shape[0]
    if x.shape[0] != n:
        raise ValueError(f"x must have length n = {n} (the length of the kernel u), got {x.shape[0]}")
    m = _checks.positive_int(m, "m")
    xi = _checks.positive_float(xi, "xi", allow_zero=True)
    s_in = to_numpy(sigma_weights(u))
    s = s_in.astype(np.float64)
    s_max = float(np.max(s))
    # rounding level in the precision of the weights (float32 kernels: eps = 1.2e-7)
    s[s <= math.sqrt(n * float(np.finfo(s_in.dtype).eps)) * s_max] = 0.0
    # ⟨w_i, x⟩ for every w_i of eq. (10): the basis is orthonormal, so W^T x = W^T (x/‖x‖_∞) ‖x‖_∞
    W = trig_basis(n, xp=xp, dtype=x.dtype, device=array_api_compat.device(x))
    if float(xp.max(xp.abs(x))) == 0.0:
        return 0.0
    c_x = _numeric.pow2(float(xp.max(xp.abs(x))))
    xs = x / c_x
    coeff = to_numpy(W.T @ xs).astype(np.float64)
    x_norm = float(xp.linalg.vector_norm(xs))
    core = _spectral_bound(s, coeff, m, eps=float(xp.finfo(x.dtype).eps)) + xi * xi * x_norm * x_norm
    return c_x * (c_x * core) if core > 0 else 0.0


def _ratio(a, b):
    """a / b for a ≥ 0, with a / 0 = inf (0 / 0 = inf too: the quantity is undefined, the condition fails)."""
    return a / b if b != 0 else math.inf


@compact_repr
@dataclass(frozen=True)
class Theorem3Quantities:
    """The constants of Theorem 3 and its proof (App. D) for one setup; see :func:`theorem3_quantities`.

    All are plain floats.  Widths are kept as log10 because they overflow
    (κ_u^26 is ~1e73 for a triangular kernel of n = 64).

    Examples
    --------
    >>> import cstheory as cst
    >>> q = cst.theorem3_quantities(cst.kernels.triangular(64, 8), m=7, k=256)
    >>> print(q.summary().splitlines()[0])
    Theorem 3 for n = 64, m = 7, k = 256, xi = 0.1, delta = 0.01:
    >>> print(q.theorem4_condition > 1)      # at k = 256, 2β(ε₀ + ε) ≤ α² does not hold yet
    True
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
        """2β(ε₀ + ε)/α² at width k; Theorem 4 needs it ≤ 1 (``inf`` when α = 0, i.e. σ_n = 0)."""
        return 2.0 * _ratio(self.beta, self.alpha) * _ratio(self.epsilon0 + self.epsilon, self.alpha)

    @property
    def width_ok(self) -> bool:
        """k meets eq. (21) with C = 1."""
        return self.k > 0 and math.log10(self.k) >= self.log10_width_eq21

    def summary(self) -> str:
        """How far the hypotheses of Theorem 3 are from this (practical) setup, in words."""
        def e(v):
            return f"1e{v:.0f}" if math.isfinite(v) else "inf"
        lines = [
            f"Theorem 3 for n = {self.n}, m = {self.m}, k = {self.k}, xi = {self.xi:g}, delta = {self.delta:g}:",
            f"  ||U|| = {self.U_norm:.4g}, sigma_n = {self.sigma_min:.4g}, "
            f"kappa_u = ||U||^2/sigma_n^2 = {self.kappa:.4g}",
            f"  alpha = {self.alpha:.4g}, beta = {self.beta:.4g} (beta/alpha = {_ratio(self.beta, self.alpha):.4g}), "
            f"omega = {self.omega:.4g} (for ||y|| = {self.y_norm:g})",
            f"  step size eta <= m/(4 n ||U||^2) = {self.step_size_bound:.4g}",
            f"  epsilon0 = 2 beta (log(2n/delta)/k)^(1/4) = {self.epsilon0:.4g} at k = {self.k}; "
            f"epsilon = xi alpha^4/(16 beta^3) = {self.epsilon:.4g}",
            f"  Theorem 4 needs 2 beta (epsilon0 + epsilon) <= alpha^2: the ratio is {self.theorem4_condition:.4g} "
            f"({'holds' if self.theorem4_condition <= 1 else 'fails'}); it holds only from "
            f"k ~ {e(self.log10_width_theorem4)} channels",
            f"  eq. (21) asks k >= {e(self.log10_width_eq21)} channels (C = 1; the proof's explicit constant: "
            f"{e(self.log10_width_proof)}); this setup uses {self.k}"
            + (f", short by a factor {e(self.log10_width_eq21 - math.log10(max(self.k, 1)))}"
               if not self.width_ok else ""),
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

    Examples
    --------
    >>> import cstheory as cst
    >>> q = cst.theorem3_quantities(cst.kernels.triangular(64, 8), m=7, k=256)
    >>> print(round(q.kappa), q.measurements_ok, q.width_ok)     # κ_u, m ≤ n/9, k ≥ κ_u²⁶ m/ξ⁸
    641 True False
    >>> print(f'{q.log10_width_eq21:.0f}')                          # eq. (21) asks for 10^this channels
    82
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
    delta = _checks.real(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True)
    y_norm = _checks.positive_float(y_norm, "y_norm")

    # every quantity is homogeneous in the scale c = max|u|: compute for u/c, then scale back
    # (κ, β/α, the widths and Theorem 4's ratio do not depend on c), so no power overflows
    xp = namespace(u)
    c = float(xp.max(xp.abs(u)))
    s = to_numpy(sigma_weights(u / c)).astype(np.float64)
    U_hat = spectral_norm(u / c)
    s_min, s_max = float(np.min(s)), float(np.max(s))
    kappa = U_hat * U_hat / (s_min * s_min) if s_min > 0 else math.inf
    root = math.sqrt(n / m)
    alpha = root * s_min / (3.0 * math.sqrt(2.0))
    beta = 2.0 * root * U_hat
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
        U_norm=c * U_hat, sigma_min=c * s_min, sigma_max=c * s_max, kappa=kappa,
        alpha=c * alpha, beta=c * beta, omega=xi * y_norm / (2.0 * math.sqrt(n) * U_hat) / c,
        step_size_bound=m / (4.0 * n * U_hat**2) / c / c,
        epsilon0=c * epsilon0, epsilon=c * epsilon,
        log10_width_eq21=w21, log10_width_proof=wproof, log10_width_theorem4=w4,
        xi_max=1.0 / math.sqrt(2.0 * log_term),
        probability=1.0 - k_term - 2.0 * math.exp(-m / 2.0) - delta,
    )
