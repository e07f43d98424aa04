"""Linearized gradient-descent dynamics and the Theorem-4 gap (floor 5, beside the fit loop it runs; Sec. 7, App. C).

Gradient descent on a *linear* least-squares problem ½‖f(θ₀) + J(θ − θ₀) − y‖²
(eq. 15/25) has a closed form (Proposition 2).  With the SVD J = Σ_i σ_i w_i v_iᵀ
and the initial residual r₀ = f(θ₀) − y, the residual after t steps of size η is

    r̃_t = Σ_i (1 − η σ_i²)^t w_i ⟨w_i, r₀⟩                               (eq. 39)

and the distance travelled by the parameters is

    ‖θ̃_t − θ₀‖² = Σ_i (⟨w_i, r₀⟩ (1 − (1 − η σ_i²)^t) / σ_i)²            (eq. 40)

(a direction with σ_i = 0 keeps its residual and moves no parameter).  Large
σ_i are fitted first, small ones late: this is why GD on a generator whose
Jacobian has quickly decaying singular values fits the smooth part of a signal.

Theorem 4 says that GD on the *nonlinear* problem ½‖A G(θ) − y‖² (eq. 14)
stays close to GD on its linearization at θ₀ (eq. 16, reference Jacobian
J = A J_G(θ₀)) when the Jacobian barely moves: ‖r_t − r̃_t‖ ≤ O(ε₀ + ε)‖r₀‖
(eq. 35) and ‖θ_t − θ̃_t‖ ≤ O(ε₀ + ε)‖r₀‖ (eq. 37).  For the two-layer
generator the Jacobian moves less the wider the network (Lemma 5), so the gap
shrinks with the number of channels k.  :func:`linearization` measures both
gaps along a real GD run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from . import _checks
from ._backend import as_generator, namespace, qr_r, to_numpy
from ._repr import compact_repr
from .fit import DIVERGENCE_FACTOR, DivergenceError, DivergenceMonitor, check_problem, fit, start_params
from . import _numeric
from .optim import default_step_size

__all__ = [
    "linear_residuals", "linear_parameter_distance", "linearization", "LinearizationResult",
    "linearization_gap", "linearization_parameter_gap", "singular_values",
]


# ---------------------------------------------------------------------------
# closed form of linear least squares, eq. (39) and (40)
# ---------------------------------------------------------------------------
def _check_iterations(iterations):
    """``iterations`` as a list of ints ≥ 0 (an int T stands for 0, 1, …, T)."""
    if isinstance(iterations, Integral) and not isinstance(iterations, bool):
        T = _checks.positive_int(iterations, "iterations", minimum=0)
        _checks.memory(_checks.nbytes((T + 1,), itemsize=64), f"iterations={T}: the list 0, 1, …, T")
        return list(range(T + 1))
    if isinstance(iterations, (str, bytes)) or not hasattr(iterations, "__iter__"):
        raise TypeError(f"iterations must be an iterable of integers >= 0 (or one integer T), "
                        f"got {type(iterations).__name__}")
    out = [_checks.positive_int(t, "each entry of iterations", minimum=0) for t in iterations]
    if not out:
        raise ValueError("iterations must contain at least one iteration number, got an empty iterable")
    return out


def _check_divergence(s, coeff, r0_norm, step_size, iterations, what):
    """fit's divergence rule for the closed form: ``DivergenceError`` when ½‖r̃_t‖² > 1e6 · ½‖r₀‖² at a requested t.

    ‖r̃_t‖²/‖r₀‖² = (1 − Σ ĉ_i²) + Σ ĉ_i² |1 − η σ_i²|^{2t} with ĉ = ⟨w_i, r₀⟩/‖r₀‖, evaluated
    in logarithms on the host, so it is exact where (1 − η σ²)^t itself would overflow."""
    if r0_norm == 0.0 or not iterations:
        return
    s = np.asarray(to_numpy(s), dtype=np.float64)
    c = np.asarray(to_numpy(coeff), dtype=np.float64) / r0_norm
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        x = step_size * s * s
        log_rate = np.log(np.abs(1.0 - x))
        rest = max(1.0 - float(np.sum(c * c)), 0.0)
        nz = c != 0
        log_c2 = 2.0 * np.log(np.abs(c[nz]))
        log_rate = log_rate[nz]
    limit = math.log(DIVERGENCE_FACTOR)
    for t in sorted(set(iterations)):
        if t == 0:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            terms = log_c2 + 2.0 * t * log_rate
        if rest > 0:
            terms = np.append(terms, math.log(rest))
        top = float(np.max(terms)) if terms.size else -math.inf
        log_ratio = top + math.log(float(np.sum(np.exp(terms - top)))) if math.isfinite(top) else top
        if not log_ratio <= limit:
            growth = f"1e{log_ratio / math.log(10):.0f}" if math.isfinite(log_ratio) else "inf"
            top_s = float(np.max(s)) if s.size else 0.0
            bound = 2.0 / (top_s * top_s) if top_s > 0 else math.inf
            raise DivergenceError(
                f"{what} diverged at step {t}: the loss grows by a factor {growth} (more than "
                f"{DIVERGENCE_FACTOR:g}) with step_size={step_size:.3g}; gradient descent converges for "
                f"step_size < 2/sigma_1^2 = {bound:.3g}")


def _decay_minus_one(x, t):
    """(1 − x)^t − 1 entrywise for x = η σ² ≥ 0 (shape (r,)) and t (shape (L, 1)), accurately.

    For x < 1 it is expm1(t · log1p(−x)), exact to rounding even when x t ≪ 1
    (the tiny σ of a smooth spectrum); for x ≥ 1 (a step beyond 1/σ²) the plain
    power, which also handles the oscillating factor 1 − x < 0."""
    xp = namespace(x)
    below = x < 1.0
    safe = xp.where(below, x, xp.zeros_like(x))
    accurate = xp.expm1(t * xp.log1p(-safe))
    plain = xp.pow(1.0 - x, t) - 1.0
    out = xp.where(below, accurate, plain)
    return xp.where(t == 0.0, xp.zeros_like(out), out)  # 0 · log(0) would be NaN at x = 1, t = 0


def _left_svd(xp, J):
    """(W, s): the left singular vectors w_i (m, r) and the singular values σ_i (r,) of eq. 39–40,
    descending, r = min(m, N), of J.

    A wide J (N ≥ 2m, a Jacobian with many parameters) goes through the m × m factor R of Jᵀ = Q R:
    J = Rᵀ Qᵀ = W S (Q V)ᵀ with Rᵀ = W S Vᵀ, so no N-long right singular vector is computed.
    Householder QR is backward stable as the SVD is, so both routes agree to rounding."""
    m, N = J.shape
    if N >= 2 * m:
        W, s, _ = xp.linalg.svd(xp.matrix_transpose(qr_r(xp.matrix_transpose(J))))   # Rᵀ = W S Vᵀ
        return W, s
    W, s, _ = xp.linalg.svd(J, full_matrices=False)
    return W, s


def singular_values(J):
    """The singular values of a matrix J (m, N), descending — the spectrum of Fig. 4 (σ_i of eq. 39–40).

    ``linalg.svdvals`` of J, but with the long side reduced first where J is wide or tall (one side at
    least twice the other): the singular values of the short QR factor R (Jᵀ = Q R or J = Q R).  The
    same values to rounding (Householder QR is backward stable), and 2.5× faster than LAPACK's
    values-only SVD on Fig. 4's 512 × 20 992 Jacobian (one thread).

    Parameters
    ----------
    J : array (m, N)
        A real matrix of any backend, e.g. a Jacobian from ``gen.jacobian(θ)``.

    Returns
    -------
    array (min(m, N),)
        σ₁ ≥ σ₂ ≥ … ≥ 0, on J's backend and in its dtype.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.random.default_rng(0).standard_normal((5, 40))
    >>> bool(np.allclose(singular_values(J), np.linalg.svdvals(J), rtol=1e-13))
    True
    """
    _checks.array(J, "J", ndim=2)
    xp = namespace(J)
    m, N = J.shape
    if N >= 2 * m:
        return xp.linalg.svdvals(qr_r(xp.matrix_transpose(J)))        # Jᵀ = Q R: J = Rᵀ Qᵀ
    if m >= 2 * N:
        return xp.linalg.svdvals(qr_r(J))                             # J = Q R
    return xp.linalg.svdvals(J)


def _linear_setup(J, r0, step_size, iterations, what):
    _checks.array(J, "J", ndim=2)
    _checks.array(r0, "r0", ndim=1)
    xp = _checks.namespace(J=J, r0=r0)
    if r0.shape[0] != J.shape[0]:
        raise ValueError(f"r0 must have length m = {J.shape[0]} (rows of J), got {r0.shape[0]}")
    step_size = _checks.positive_float(step_size, "step_size")
    iterations = _check_iterations(iterations)
    m, N = J.shape
    _checks.memory(_checks.nbytes((m, N), (m, min(m, N)), (len(iterations), min(m, N)), (len(iterations), m)) * 2,
                   f"{what}(J of shape {(m, N)}, {len(iterations)} iterations): the SVD and the rows")
    W, s = _left_svd(xp, J)                                 # thin: r = min(m, N) directions
    coeff = W.T @ r0                                        # ⟨w_i, r₀⟩
    _check_divergence(s, coeff, _numeric.norm(xp, r0), step_size, iterations, f"{what} (linear GD, eq. 39)")
    t = xp.reshape(xp.asarray(iterations, dtype=J.dtype, device=getattr(J, "device", None)), (-1, 1))
    F = _decay_minus_one(step_size * s * s, t)              # (L, r): (1 − η σ_i²)^t − 1
    return xp, W, s, coeff, F


def linear_residuals(J, r0, step_size, iterations):
    """Residuals r̃_t of gradient descent on a linear least-squares problem, eq. (39).

    GD θ̃_{t+1} = θ̃_t − η Jᵀ r̃_t on ½‖r̃‖², r̃ = r₀ + J(θ̃ − θ₀), has

        r̃_t = Σ_i (1 − η σ_i²)^t w_i ⟨w_i, r₀⟩,

    with (w_i, σ_i) the left singular vectors and singular values of J
    (``linalg.svd``).  It is evaluated as r₀ + Σ_i [(1 − η σ_i²)^t − 1] w_i ⟨w_i, r₀⟩
    over the thin SVD, which is eq. (39) summed over a complete basis: the
    directions outside the range of J (σ = 0) keep their part of r₀.  Valid
    for any η > 0; GD converges when η < 2/σ_1².

    Parameters
    ----------
    J : array (m, N)
        The (reference) Jacobian of the linear problem.
    r0 : array (m,)
        Initial residual r₀ = f(θ₀) − y.
    step_size : float
        η.
    iterations : iterable of int
        Iteration numbers t ≥ 0, in any order (an int T means 0, 1, …, T).

    Returns
    -------
    array (len(iterations), m)
        Row j is r̃_t for t = ``iterations[j]``; namespace, dtype and device of J.

    Raises
    ------
    DivergenceError
        When ½‖r̃_t‖² exceeds 10⁶ · ½‖r₀‖² at a requested t (a step size above
        2/σ_1²), the rule :func:`cstheory.fit` applies to a real run.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> J = np.diag([1.0, 0.5])
    >>> cst.linear_residuals(J, np.array([1.0, 1.0]), 0.5, [0, 1, 2])
    array([[1.      , 1.      ],
           [0.5     , 0.875   ],
           [0.25    , 0.765625]])
    """
    xp, W, _, coeff, F = _linear_setup(J, r0, step_size, iterations, "linear_residuals")
    return r0[None, :] + (F * coeff[None, :]) @ W.T


def linear_parameter_distance(J, r0, step_size, iterations):
    """‖θ̃_t − θ₀‖ of gradient descent on a linear least-squares problem, eq. (40).

    θ̃_t − θ₀ = −Σ_i v_i ⟨w_i, r₀⟩ (1 − (1 − η σ_i²)^t)/σ_i, so

        ‖θ̃_t − θ₀‖² = Σ_i (⟨w_i, r₀⟩ (1 − (1 − η σ_i²)^t) / σ_i)².

    Directions with σ_i = 0 contribute nothing (their factor is η t σ_i → 0).
    The identity holds for any η > 0 (the paper states it under η ≤ 1/σ_1²,
    where each factor lies in [0, 1/σ_i]).

    Parameters and the order of ``iterations`` are those of :func:`linear_residuals`.

    Returns
    -------
    array (len(iterations),)
        ‖θ̃_t − θ₀‖₂ for each t; namespace, dtype and device of J.

    Raises
    ------
    DivergenceError
        As :func:`linear_residuals`, when the residual of the run explodes.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> J = np.diag([1.0, 0.5])
    >>> d = cst.linear_parameter_distance(J, np.array([1.0, 1.0]), 0.5, [0, 1, 2])
    >>> print(np.round(d, 4))            # √(Σ_i (⟨w_i, r₀⟩ (1 − (1 − ησ_i²)^t) / σ_i)²)
    [0.     0.559  0.8844]
    >>> theta = np.zeros(2)              # gradient descent itself, θ ← θ − η Jᵀ(r₀ + Jθ)
    >>> for t in range(2):
    ...     theta = theta - 0.5 * J.T @ (np.array([1.0, 1.0]) + J @ theta)
    ...
    >>> print(round(float(np.linalg.norm(theta)), 4))
    0.8844
    """
    xp, _, s, coeff, F = _linear_setup(J, r0, step_size, iterations, "linear_parameter_distance")
    positive = s > 0
    inv_s = xp.where(positive, 1.0 / xp.where(positive, s, xp.ones_like(s)), xp.zeros_like(s))
    return xp.linalg.vector_norm(F * (coeff * inv_s)[None, :], axis=1)


# ---------------------------------------------------------------------------
# nonlinear GD against its linearization: the Theorem-4 gap
# ---------------------------------------------------------------------------
@compact_repr(headline=("max_residual_gap", "max_parameter_gap"))
@dataclass
class LinearizationResult:
    """GD on ½‖A G(θ) − y‖² against GD on its linearization at θ₀ (eq. 15–16), side by side.

    All curves are NumPy arrays over the recorded ``iterations`` (sorted,
    without repeats).

    Attributes
    ----------
    iterations : numpy.ndarray (L,)
        Iteration numbers t.
    residual_gap : numpy.ndarray (L,)
        ‖r_t − r̃_t‖ / ‖r₀‖ (eq. 35, relative to the initial residual).
    parameter_gap : numpy.ndarray (L,)
        ‖θ_t − θ̃_t‖ (eq. 37).
    residual_norm, linear_residual_norm : numpy.ndarray (L,)
        ‖r_t‖ (nonlinear, eq. 31) and ‖r̃_t‖ (linear, eq. 32, 39).
    parameter_distance, linear_parameter_distance : numpy.ndarray (L,)
        ‖θ_t − θ₀‖ (eq. 38) and ‖θ̃_t − θ₀‖ (eq. 40).
    r0_norm : float
        ‖r₀‖ = ‖A G(θ₀) − y‖.
    step_size : float
        η used by both runs.
    eigenvalues : numpy.ndarray (m,)
        Eigenvalues of J Jᵀ = A J_G(θ₀) J_G(θ₀)ᵀ Aᵀ, decreasing: the σ_i² of eq. (39).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 16, 8
    >>> A = cst.gaussian_matrix(m, n, rng=0)
    >>> y = A @ cst.smooth_signal(n, 2, rng=1)
    >>> gen = cst.TwoLayerGenerator(cst.kernels.triangular(n, 3), k=64)
    >>> res = cst.linearization(gen, A, y, None, iterations=[0, 50, 100])
    >>> print(res.eigenvalues.shape, bool(np.all(np.diff(res.eigenvalues) <= 0)))   # σ_i² of eq. (39), decreasing
    (8,) True
    >>> print(res.linear_residual_norm[0] == res.residual_norm[0] == res.r0_norm)   # both start at r₀
    True
    """

    iterations: np.ndarray
    residual_gap: np.ndarray
    parameter_gap: np.ndarray
    residual_norm: np.ndarray
    linear_residual_norm: np.ndarray
    parameter_distance: np.ndarray
    linear_parameter_distance: np.ndarray
    r0_norm: float
    step_size: float
    eigenvalues: np.ndarray

    @property
    def max_residual_gap(self) -> float:
        """max_t ‖r_t − r̃_t‖ / ‖r₀‖, the quantity bounded by eq. (35)–(36)."""
        return self._max(self.residual_gap)

    @property
    def max_parameter_gap(self) -> float:
        """max_t ‖θ_t − θ̃_t‖, the quantity bounded by eq. (37)."""
        return self._max(self.parameter_gap)

    @staticmethod
    def _max(values) -> float:
        if len(values) == 0:
            raise ValueError("the LinearizationResult has no recorded iterations: no gap to take the maximum of")
        return float(np.max(values))


def _flat(xp, x):
    return xp.reshape(x, (-1,))


def _reference_kernel(gen, A, params, xp, m):
    """K = J Jᵀ for J = A J_G(θ₀), column by column: K e_j = A J_G (J_Gᵀ Aᵀ e_j), matrix-free."""
    dtype = params.dtype
    device = getattr(params, "device", None)
    eye = xp.eye(m, dtype=dtype, device=device)
    cols = []
    for j in range(m):
        back = gen.vjp(params, xp.reshape(A.T @ eye[j, :], gen.output_shape))
        cols.append(A @ _flat(xp, gen.jvp(params, back)))
    K = xp.stack(cols, axis=1)
    return 0.5 * (K + K.T)


def linearization(gen, A, y, params, iterations, step_size=None, rng=0):
    """Run GD on the nonlinear problem and on its linearization at θ₀ = ``params``; compare them.

    * Nonlinear (eq. 14): θ_{t+1} = θ_t − η J_G(θ_t)ᵀ Aᵀ r_t, r_t = A G(θ_t) − y,
      run by :func:`cstheory.fit` (same loop, same divergence checks).
    * Linearized (eq. 16) with the reference Jacobian J = A J_G(θ₀):
      θ̃_{t+1} = θ̃_t − η Jᵀ r̃_t, r̃_t = r₀ + J(θ̃_t − θ₀).  It is run in the
      m-dimensional residual space, where it is eq. (41):
      r̃_{t+1} = (I − η J Jᵀ) r̃_t, and θ̃_t − θ₀ = Jᵀ s_t with
      s_{t+1} = s_t − η r̃_t.  J Jᵀ (m × m) is built from m products with
      ``gen.jvp``/``gen.vjp`` at θ₀ — no explicit Jacobian — and θ̃_t is formed
      (one more VJP) only at the recorded iterations.

    Both runs use the same η and the same number of steps, max(``iterations``).

    Parameters
    ----------
    gen : Generator
    A : array (m, n) or LinearOperator
    y : array (m,)
    params : array
        θ₀, the common starting point (``gen.param_shape``); ``None`` draws
        ``gen.init(rng=rng, y=y)``.
    iterations : iterable of int
        Iterations t at which the runs are compared (an int T means 0, …, T);
    step_size : float, optional
        η; default :func:`cstheory.optim.default_step_size` (1/(‖A‖²‖U‖²) for
        the two-layer generator, ≤ 1/‖J‖² so the linear run converges too).
    rng : int or numpy.random.Generator
        For the default θ₀ and the power iteration of the default step size.

    Returns
    -------
    LinearizationResult

    Raises
    ------
    DivergenceError
        When either run's residual explodes (the step size is too large).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 16, 8
    >>> A = cst.gaussian_matrix(m, n, rng=0)
    >>> y = A @ cst.smooth_signal(n, 2, rng=1)
    >>> gen = cst.TwoLayerGenerator(cst.kernels.triangular(n, 3), k=256)
    >>> res = cst.linearization(gen, A, y, None, iterations=[0, 100, 200])
    >>> print(res.iterations, res.max_residual_gap < 0.1)   # a wide network stays near its linearization
    [  0 100 200] True
    >>> print(bool(res.residual_norm[-1] < 0.5 * res.r0_norm))   # and both runs fit the data
    True
    """
    iterations = sorted(set(_check_iterations(iterations)))
    A, xp = check_problem(gen, A, y)
    if step_size is not None:
        step_size = _checks.positive_float(step_size, "step_size")
    as_generator(rng)
    if params is not None:
        gen.check_params(params)
        _checks.namespace(y=y, params=params)
    m = y.shape[0]
    _checks.memory(_checks.nbytes((m, m)) * 3, f"linearization(m={m}): the reference kernel J Jᵀ (m, m)")
    params = start_params(gen, y, params, rng)
    if step_size is None:
        step_size = default_step_size(gen, A, params, rng)
    T = iterations[-1]

    theta0 = _flat(xp, params)
    r0 = A @ _flat(xp, gen.forward(params)) - y
    r0_norm = float(xp.linalg.vector_norm(r0))
    K = _reference_kernel(gen, A, params, xp, m)
    lin = {"t": 0, "r": r0, "s": xp.zeros_like(r0)}
    monitor = DivergenceMonitor(step_size, what="the linearized run")
    monitor.check(0, r0_norm)

    def advance_linear(t):
        """Linear GD from lin["t"] to t in residual space (eq. 41), with fit's divergence rule."""
        r, s = lin["r"], lin["s"]
        for tau in range(lin["t"], t):
            s = s - step_size * r
            r = r - step_size * (K @ r)
            if monitor.due(tau + 1) or tau + 1 == t:
                monitor.check(tau + 1, float(xp.linalg.vector_norm(r)))
        lin.update(t=t, r=r, s=s)

    wanted = set(iterations)
    rows = []

    def record(t, theta):
        if t not in wanted:
            return
        advance_linear(t)
        r_lin, s = lin["r"], lin["s"]
        r = A @ _flat(xp, gen.forward(theta)) - y
        d_lin = _flat(xp, gen.vjp(params, xp.reshape(A.T @ s, gen.output_shape)))   # θ̃_t − θ₀ = Jᵀ s_t
        d = _flat(xp, theta) - theta0
        rows.append((
            t,
            float(xp.linalg.vector_norm(r - r_lin)),
            float(xp.linalg.vector_norm(d - d_lin)),
            float(xp.linalg.vector_norm(r)),
            float(xp.linalg.vector_norm(r_lin)),
            float(xp.linalg.vector_norm(d)),
            float(xp.linalg.vector_norm(d_lin)),
        ))

    positive = [t for t in iterations if t > 0]
    every = math.gcd(*positive) if positive else 1
    fit(gen, A, y, params=params, steps=T, step_size=step_size, optimizer="gd", record_every=every,
        callback=record)
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    scale = r0_norm if r0_norm > 0 else 1.0
    eig = np.sort(np.linalg.eigvalsh(to_numpy(K).astype(np.float64)))[::-1]
    return LinearizationResult(
        iterations=data[:, 0].astype(np.int64),
        residual_gap=data[:, 1] / scale,
        parameter_gap=data[:, 2],
        residual_norm=data[:, 3],
        linear_residual_norm=data[:, 4],
        parameter_distance=data[:, 5],
        linear_parameter_distance=data[:, 6],
        r0_norm=r0_norm,
        step_size=step_size,
        eigenvalues=np.clip(eig, 0.0, None),
    )


def linearization_gap(gen, A, y, params, iterations, step_size=None, rng=0):
    """Theorem 4's residual gap: max over t in ``iterations`` of ‖r_t − r̃_t‖ / ‖r₀‖ (eq. 35).

    r_t is the residual of GD on the nonlinear problem ½‖A G(θ) − y‖² from
    θ₀ = ``params``, r̃_t that of GD on its linearization at θ₀ (eq. 16,
    reference Jacobian J = A J_G(θ₀)), both with step size η.  Eq. (36) bounds
    it by 2β(ε₀ + ε)/(e ln2 α²): it is small when the Jacobian moves little
    during training, which for the two-layer generator happens when it is wide.

    See :func:`linearization` for the parameters and the per-step curves.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 16, 8
    >>> A = cst.gaussian_matrix(m, n, rng=0)
    >>> y = A @ cst.smooth_signal(n, 2, rng=1)
    >>> u = cst.kernels.triangular(n, 3)
    >>> gaps = [cst.linearization_gap(cst.TwoLayerGenerator(u, k), A, y, None, iterations=range(0, 201, 50))
    ...         for k in (8, 512)]
    >>> print(gaps[1] < gaps[0])       # Theorem 4: the wider network is closer to linear
    True
    """
    return linearization(gen, A, y, params, iterations, step_size=step_size, rng=rng).max_residual_gap


def linearization_parameter_gap(gen, A, y, params, iterations, step_size=None, rng=0):
    """Theorem 4's parameter gap: max over t in ``iterations`` of ‖θ_t − θ̃_t‖ (eq. 37).

    Same runs as :func:`linearization_gap`; eq. (37) bounds this by
    2.5 β²/α⁴ (ε₀ + ε) ‖r₀‖.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 16, 8
    >>> A = cst.gaussian_matrix(m, n, rng=0)
    >>> y = A @ cst.smooth_signal(n, 2, rng=1)
    >>> u = cst.kernels.triangular(n, 3)
    >>> gaps = [cst.linearization_parameter_gap(cst.TwoLayerGenerator(u, k), A, y, None, iterations=range(0, 201, 50))
    ...         for k in (8, 512)]
    >>> print(gaps[1] < gaps[0])       # eq. (37): the parameters stay closer too
    True
    """
    return linearization(gen, A, y, params, iterations, step_size=step_size, rng=rng).max_parameter_gap
