"""Fitting a generator to measurements (floor 5): gradient descent, eq. (9), and Adam.

One loop serves every generator of the protocol in :mod:`cstheory.generator`:
it minimises the loss of eq. (2),

    L(θ) = ½ ‖A G(θ) − y‖²,   ∇L(θ) = J_G(θ)ᵀ Aᵀ (A G(θ) − y)   (eq. 14),

with the hand-derived vector-Jacobian product of the generator.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from ._backend import as_generator, namespace
from .operators import LinearOperator, operator_norm, power_iteration, shape_of

__all__ = ["fit", "FitResult", "DivergenceError", "default_step_size", "check_problem", "start_params", "OPTIMIZERS"]

OPTIMIZERS = ("gd", "adam")
#: the loss may grow at most this factor above its initial value before fit stops
DIVERGENCE_FACTOR = 1e6
#: the loss is checked at every step t < CHECK_EVERY and every CHECK_EVERY steps after: a loss
#: growing by more than 1e6**(1/CHECK_EVERY) ≈ 1.32 per step is caught within the first steps,
#: a slower one cannot overflow between two checks
CHECK_EVERY = 50
#: Adam's standard defaults (Kingma & Ba, 2015)
ADAM_DEFAULTS = {"step_size": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


class DivergenceError(RuntimeError):
    """Raised when the loss of a fit becomes non-finite or explodes."""


@dataclass
class FitResult:
    """Outcome of :func:`fit`.

    Attributes
    ----------
    params : array
        θ after the last step.
    signal : array
        G(θ) at the last step.
    loss : numpy.ndarray
        ½‖A G(θ_t) − y‖² at the recorded iterations ``steps``.
    error : numpy.ndarray or None
        ‖G(θ_t) − x*‖² at the same iterations (only with ``x_true``).
    steps : numpy.ndarray
        The iteration numbers t of the records (0 = the initial point).
    step_size : float
        The step size used (η of eq. 9, or Adam's learning rate).
    optimizer : str
    """

    params: object
    signal: object
    loss: np.ndarray
    error: np.ndarray | None
    steps: np.ndarray
    step_size: float
    optimizer: str
    extras: dict = field(default_factory=dict)


def _flat(xp, x):
    return xp.reshape(x, (-1,))


def check_problem(gen, A, y):
    """Validate a least-squares problem ½‖A G(θ) − y‖² and return the namespace of its arrays.

    ``TypeError``/``ValueError`` naming the argument for a wrong type, shapes that do not
    chain, non-finite data, or arrays (and operators) from different backends."""
    m, n = shape_of(A)
    _checks.array(y, "y", ndim=1)
    if y.shape[0] != m:
        raise ValueError(f"y must have length m = {m} (rows of A), got {y.shape[0]}")
    if n != gen.n:
        raise ValueError(f"shapes do not chain: A has {n} columns but the generator outputs {gen.n} values")
    if isinstance(A, LinearOperator):
        xp = namespace(y)
        if A.xp is not None and A.xp is not xp:
            raise TypeError(f"A works on {A.xp.__name__} arrays but y is a {xp.__name__} array")
        return xp
    _checks.array(A, "A", ndim=2)
    return namespace(A, y)


def start_params(gen, y, params=None, rng=0):
    """θ₀: ``params`` checked against the generator and y's backend, or ``gen.init(rng=rng, y=y)``."""
    if params is None:
        params = gen.init(rng=rng, y=y)
    params = gen.check_params(params)
    namespace(params, y)
    return params


def default_step_size(gen, A, params, rng=0):
    """η = 1 / L with L an estimate of the curvature of ½‖A G(θ) − y‖².

    * If the generator knows a bound ‖J_G(θ)‖² ≤ b valid for every θ
      (:meth:`Generator.smoothness_bound`; the two-layer generator has
      b = ‖U‖², Lemma 2), then L = ‖A‖² b, with ‖A‖ from power iteration.
      The two-layer loss is piecewise quadratic in C (the ReLU network is
      piecewise linear), so η = 1/L is a safe step everywhere.
    * Otherwise L = ‖A J_G(θ₀)‖², the largest eigenvalue of the
      Gauss–Newton matrix at the starting point by power iteration on
      t ↦ J_Gᵀ Aᵀ A J_G t.  For the linear generator this is exact, and
      η = 1/L < 2/L guarantees convergence to eq. (5).
    """
    bound = gen.smoothness_bound()
    if bound is not None:
        return 1.0 / (operator_norm(A, rng=rng) ** 2 * bound)
    xp = namespace(params)

    def normal_op(t):
        Jt = _flat(xp, gen.jvp(params, xp.reshape(t, gen.param_shape)))
        back = A.T @ (A @ Jt)
        return _flat(xp, gen.vjp(params, xp.reshape(back, gen.output_shape)))

    x0 = xp.asarray(as_generator(rng).standard_normal(gen.num_params), dtype=params.dtype,
                    device=getattr(params, "device", None))
    L = power_iteration(normal_op, x0)
    if not L > 0:
        raise ValueError("A J_G(θ₀) is zero: cannot choose a step size; pass step_size explicitly")
    return 1.0 / L


def fit(gen, A, y, params=None, steps=1000, step_size=None, optimizer="gd", x_true=None,
        record_every=1, rng=0, callback=None, progress=False):
    """Fit ``gen`` to measurements y = A x* by gradient descent (eq. 9) or Adam.

    Parameters
    ----------
    gen : Generator
        Any generator of the protocol (linear, two-layer, deep decoder).
    A : array (m, n) or LinearOperator
        Measurement operator; only ``A @ x`` and ``A.T @ r`` are used.
    y : array (m,)
        Measurements.
    params : array, optional
        Starting point θ₀.  Default: ``gen.init(rng=rng, y=y)`` — zero for
        the linear generator (so GD converges to eq. (5)); the Theorem-3
        scale ω = ξ‖y‖/(2√n‖U‖) for the two-layer generator.
    steps : int
        Number of iterations.
    step_size : float, optional
        η.  Default for ``"gd"``: :func:`default_step_size`; for ``"adam"``: 1e-3.
    optimizer : {"gd", "adam"}
        Plain gradient descent θ_{t+1} = θ_t − η ∇L(θ_t), or Adam with its
        standard defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8), written out below.
    x_true : array, optional
        The true signal x*; if given, ‖G(θ_t) − x*‖² is recorded.
    record_every : int
        Record loss (and error) every this many steps; step 0 and the last step are always recorded.
    rng : int or numpy.random.Generator
        Seed for the initialisation and the power iteration.
    callback : callable, optional
        ``callback(t, params)`` called at every recorded iteration t (e.g. to
        store Jacobian snapshots).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    FitResult

    Raises
    ------
    DivergenceError
        When the loss becomes NaN/inf or grows 1e6-fold: the step size is too large.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    steps = _checks.positive_int(steps, "steps", minimum=0)
    record_every = _checks.positive_int(record_every, "record_every")
    xp = check_problem(gen, A, y)
    n = gen.n
    if x_true is not None:
        _checks.array(x_true, "x_true")
        namespace(x_true, y)
        x_true = _flat(xp, x_true)
        if x_true.shape[0] != n:
            raise ValueError(f"x_true must have {n} entries, got {x_true.shape[0]}")
    params = start_params(gen, y, params, rng)

    if step_size is None:
        step_size = ADAM_DEFAULTS["step_size"] if optimizer == "adam" else default_step_size(gen, A, params, rng)
    step_size = _checks.positive_float(step_size, "step_size")

    if optimizer == "adam":
        m1 = xp.zeros_like(params)
        m2 = xp.zeros_like(params)
        b1, b2, eps = ADAM_DEFAULTS["beta1"], ADAM_DEFAULTS["beta2"], ADAM_DEFAULTS["eps"]

    # plain GD runs in the generator's preferred coordinates (see Generator.encode)
    state = gen.encode(params) if optimizer == "gd" else params
    losses, errors, recorded = [], [], []
    loss0 = None
    iterator = range(steps + 1)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=f"fit ({optimizer})", leave=False)
    for t in iterator:
        x, vjp_fn = gen.forward_vjp_encoded(state) if optimizer == "gd" else gen.forward_vjp(params)
        x = _flat(xp, x)
        r = A @ x - y
        if t % record_every == 0 or t == steps or t < CHECK_EVERY or t % CHECK_EVERY == 0:
            rnorm = float(xp.linalg.vector_norm(r))  # squared as a Python float: inf, not an overflow warning
            loss = 0.5 * rnorm * rnorm
            if loss0 is None:
                loss0 = loss
            if not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(loss0, 1e-300):
                raise DivergenceError(
                    f"fit diverged at step {t}: loss {loss:.3g} (initial {loss0:.3g}) with step_size={step_size:.3g}; "
                    f"use a smaller step_size (e.g. {step_size / 10:.3g})"
                )
            if t % record_every == 0 or t == steps:
                losses.append(loss)
                recorded.append(t)
                if x_true is not None:
                    d = x - x_true
                    errors.append(float(xp.sum(d * d)))
                if callback is not None:
                    callback(t, gen.decode(state) if optimizer == "gd" else params)
        if t == steps:
            break
        grad = vjp_fn(xp.reshape(A.T @ r, gen.output_shape))
        if optimizer == "gd":
            state = state - step_size * grad
        else:  # Adam: moment estimates with bias correction
            k = t + 1
            m1 = b1 * m1 + (1.0 - b1) * grad
            m2 = b2 * m2 + (1.0 - b2) * (grad * grad)
            m_hat = m1 / (1.0 - b1**k)
            v_hat = m2 / (1.0 - b2**k)
            params = params - step_size * m_hat / (xp.sqrt(v_hat) + eps)

    if optimizer == "gd":
        params = gen.decode(state)
    return FitResult(
        params=params,
        signal=xp.reshape(x, gen.output_shape),
        loss=np.asarray(losses),
        error=np.asarray(errors) if x_true is not None else None,
        steps=np.asarray(recorded),
        step_size=step_size,
        optimizer=optimizer,
    )
