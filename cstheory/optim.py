"""Optimizers as small objects (floor 5): gradient descent (eq. 9), Adam, and step-size schedules.

:func:`cstheory.fit` owns the loop (records, callbacks, progress, the
divergence rule); an optimizer owns only the update.  ``opt.start(gen, A,
params)`` returns an :class:`OptimizerState` that the loop asks, at every
iteration t, for the forward pass and the VJP at the current point
(:meth:`OptimizerState.forward_vjp`) and then moves with the gradient
(:meth:`OptimizerState.step`).

* :class:`GradientDescent` — θ_{t+1} = θ_t − η_t ∇L(θ_t) (eq. 9), η_t = η · schedule(t);
* :class:`Adam` — Kingma & Ba (2015) with bias correction, written out in :meth:`AdamState.step`;
* schedules — :class:`Constant`, :class:`StepDecay` (η multiplied by ``factor`` at each
  milestone) and :class:`CosineDecay` (annealing to a floor), so a learning-rate decay is one
  fit, with Adam's moments kept across it.

Examples: Fig. 1 runs ``Adam(η, schedule=CosineDecay.settle(steps, 0.2))``; Fig. 5 runs
``Adam(η, schedule=StepDecay([t₀]), restarts=[t₀])`` with t₀ at 80 % of the steps.
"""
from __future__ import annotations

import math
from bisect import bisect_right

from . import _checks
from ._backend import as_generator, backend_name, is_numpy, namespace, same_backend
from .generator import Iterate, check_generator
from .operators import as_operator, operator_norm, power_iteration

__all__ = ["Schedule", "Constant", "StepDecay", "CosineDecay", "Optimizer", "OptimizerState", "GradientDescent", "Adam",
           "AdamState", "as_optimizer", "default_step_size", "OPTIMIZERS", "ADAM_DEFAULTS"]

#: Adam's standard defaults (Kingma & Ba, 2015)
ADAM_DEFAULTS = {"step_size": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


# ---------------------------------------------------------------------------
# step-size schedules: t ↦ multiplier of the base step size
# ---------------------------------------------------------------------------
class Schedule:
    """A step-size schedule: ``schedule(t)`` is the factor by which the base step size is multiplied at step t.

    Examples
    --------
    >>> from cstheory.optim import Schedule
    >>> class Halving(Schedule):
    ...     # η_t = η / 2^(t // 10)
    ...     def __call__(self, t):
    ...         return 0.5 ** (t // 10)
    ...
    >>> print([Halving()(t) for t in (0, 9, 10, 25)])
    [1.0, 1.0, 0.5, 0.25]
    """

    def __call__(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


class Constant(Schedule):
    """η_t = η for every t.

    Examples
    --------
    >>> from cstheory.optim import Constant
    >>> print([Constant()(t) for t in (0, 1000)])
    [1.0, 1.0]
    """

    def __call__(self, t: int) -> float:
        return 1.0

    def __repr__(self) -> str:
        return "Constant()"


class StepDecay(Schedule):
    """η_t = η · factor^(number of milestones ≤ t): the step size drops by ``factor`` at each milestone.

    Parameters
    ----------
    milestones : sequence of int
        Increasing iteration numbers ≥ 1 at which the step size is multiplied by ``factor``.
    factor : float in (0, 1]
        The multiplier (0.1: a tenfold decay).

    Examples
    --------
    >>> from cstheory.optim import StepDecay
    >>> s = StepDecay([2, 4], factor=0.1)
    >>> [round(s(t), 12) for t in range(5)]
    [1.0, 1.0, 0.1, 0.1, 0.01]
    """

    def __init__(self, milestones, factor=0.1):
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a sequence of integers, got {type(milestones).__name__}")
        self.milestones = [_checks.positive_int(t, "each entry of milestones") for t in milestones]
        if any(b <= a for a, b in zip(self.milestones, self.milestones[1:])):
            raise ValueError(f"milestones must be strictly increasing, got {self.milestones}")
        self.factor = _checks.positive_float(factor, "factor")
        if self.factor > 1.0:
            raise ValueError(f"factor must lie in (0, 1], got {self.factor}")

    def __call__(self, t: int) -> float:
        return self.factor ** bisect_right(self.milestones, t)

    def __repr__(self) -> str:
        return f"StepDecay(milestones={self.milestones}, factor={self.factor:g})"


class CosineDecay(Schedule):
    """Cosine annealing: η_t = η for t < ``start``, then down to η · ``floor`` at ``stop`` along half a cosine.

    factor(t) = floor + (1 − floor) · ½ (1 + cos(π (t − start)/(stop − start))) for start ≤ t < stop,
    and ``floor`` from ``stop`` on.

    Why not a step: with Adam, a sudden tenfold decay that keeps the moment
    estimates divides the step by the *long-run* √v̂ of the large early
    gradients (β₂ = 0.999 remembers ~1000 steps), so the last phase moves too
    little.  Measured on Fig. 5's former data (64×64 phantom, 2500 Adam steps,
    3 seeds), a step decay to 1/10 for the last 20 % ended at 33.8 dB mean PSNR
    at 4×, a cosine over the last 40 % to 5 % at 38.1 dB, close to a decay with a
    warm restart of the moments (``Adam(restarts=...)``, 38.4 dB).  Fig. 1 settles
    by a cosine; Fig. 5 by the restart, which measured better there.

    Parameters
    ----------
    start, stop : int
        The annealing runs over iterations start … stop (0 ≤ start < stop).
    floor : float in (0, 1]
        The final factor.

    Examples
    --------
    >>> from cstheory.optim import CosineDecay
    >>> s = CosineDecay(2, 6, floor=0.1)
    >>> [round(s(t), 3) for t in range(8)]
    [1.0, 1.0, 1.0, 0.868, 0.55, 0.232, 0.1, 0.1]
    """

    def __init__(self, start, stop, floor=0.05):
        self.start = _checks.positive_int(start, "start", minimum=0)
        self.stop = _checks.positive_int(stop, "stop")
        if self.stop <= self.start:
            raise ValueError(f"stop must be larger than start, got start={self.start}, stop={self.stop}")
        self.floor = _checks.positive_float(floor, "floor")
        if self.floor > 1.0:
            raise ValueError(f"floor must lie in (0, 1], got {self.floor}")

    def __call__(self, t: int) -> float:
        if t < self.start:
            return 1.0
        if t >= self.stop:
            return self.floor
        phase = (t - self.start) / (self.stop - self.start)
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * phase))

    @classmethod
    def settle(cls, steps, fraction, floor=0.05):
        """Anneal over the last ``round(fraction · steps)`` of ``steps`` (a "settling" phase).

        With no settling steps (fraction 0) the schedule is :class:`Constant`.  Fig. 1
        settles its Adam run over the last 20 % of the steps, down to 5 %.
        """
        steps = _checks.positive_int(steps, "steps")
        fraction = _checks.positive_float(fraction, "fraction", allow_zero=True)
        if fraction >= 1.0:
            raise ValueError(f"fraction must lie in [0, 1), got {fraction}")
        settle = int(round(fraction * steps))
        return cls(steps - settle, steps, floor) if settle > 0 else Constant()

    def __repr__(self) -> str:
        return f"CosineDecay(start={self.start}, stop={self.stop}, floor={self.floor:g})"


def _check_schedule(schedule):
    if schedule is None:
        return Constant()
    if not callable(schedule):
        raise TypeError(f"schedule must be a callable t -> factor (e.g. cstheory.optim.StepDecay), "
                        f"got {type(schedule).__name__}")
    return schedule


# ---------------------------------------------------------------------------
# the default gradient-descent step size
# ---------------------------------------------------------------------------
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

    Parameters
    ----------
    gen : Generator
    A : array (m, n) or LinearOperator
    params : array
        θ₀, shaped ``gen.param_shape``.
    rng : int or numpy.random.Generator
        Seed of the power iteration's starting vector.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When L = 0 (A J_G(θ₀) is zero): no step size can be derived.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 32, 12
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> J = cst.trig_basis(n)
    >>> y = A @ cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> eta = cst.optim.default_step_size(gen, A, gen.init())
    >>> print(abs(eta - 1 / np.linalg.norm(A @ J, 2) ** 2) < 1e-9)          # linear: 1/‖A J‖²
    True
    >>> two = cst.TwoLayerGenerator(cst.kernels.triangular(n, 3), k=8)
    >>> eta2 = cst.optim.default_step_size(two, A, two.init())
    >>> print(abs(eta2 * np.linalg.norm(A, 2) ** 2 * two.U_norm ** 2 - 1) < 1e-6)   # two-layer: 1/(‖A‖²‖U‖²)
    True
    """
    gen, A, params = _check_start(gen, A, params)
    host_rng = as_generator(rng)
    bound = gen.smoothness_bound()
    if bound is not None:
        a = operator_norm(A, rng=host_rng)
        if not (a > 0 and bound > 0):
            raise ValueError("A is zero (or the generator's Jacobian bound is): cannot choose a step size; "
                             "pass step_size explicitly")
        eta = (1.0 / a) / a / bound                  # 1/(‖A‖² b) without squaring ‖A‖
    else:
        xp = namespace(params)

        def normal_op(t):
            Jt = xp.reshape(gen.jvp(params, gen.unflatten(t)), (-1,))
            back = A.T @ (A @ Jt)
            return gen.flatten(gen.vjp(params, xp.reshape(back, gen.output_shape)))

        x0 = xp.asarray(host_rng.standard_normal(gen.num_params), dtype=params.dtype,
                        device=getattr(params, "device", None))
        L = power_iteration(normal_op, x0)
        if not L > 0:
            raise ValueError("A J_G(θ₀) is zero (or A is): cannot choose a step size; pass step_size explicitly")
        eta = 1.0 / L
    if not (eta > 0 and math.isfinite(eta)):
        raise ValueError(f"the default step size 1/L is {eta:g}: A and the generator are scaled beyond the "
                         "floating-point range; rescale A (and y) or pass step_size explicitly")
    return eta


def _check_start(gen, A, params):
    """Check (gen, A, θ₀) of an optimizer's start: a generator, an operator whose columns match its
    output, and parameters of its shape and backend."""
    check_generator(gen)
    A = as_operator(A)
    if A.shape[1] != gen.n:
        raise ValueError(f"shapes do not chain: A has {A.shape[1]} columns but the generator outputs {gen.n} values")
    params = gen.check_params(params)
    if A.xp is not None and not same_backend(namespace(params), A.xp):
        raise TypeError(f"params is a {backend_name(namespace(params))} array but A works on "
                        f"{backend_name(A.xp)} arrays")
    return gen, A, params


# ---------------------------------------------------------------------------
# optimizers
# ---------------------------------------------------------------------------
class OptimizerState:
    """One run of an optimizer: the current point and the update rule.

    Attributes
    ----------
    iterate : Iterate
        The current point (see :class:`cstheory.generator.Iterate`).
    step_size : float
        The base step size η.
    schedule : callable
        η_t = η · schedule(t).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 32, 12
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> J = cst.trig_basis(n)
    >>> y = A @ cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> c0 = np.ones(n)
    >>> state = cst.GradientDescent(0.1).start(gen, A, c0)
    >>> x, vjp = state.forward_vjp()
    >>> state.step(0, vjp(A.T @ (A @ x - y)))           # one step of eq. (9)
    >>> print(np.allclose(state.params, c0 - 0.1 * J.T @ A.T @ (A @ J @ c0 - y)))
    True
    """

    def __init__(self, iterate, step_size, schedule):
        self.iterate = iterate
        self.step_size = step_size
        self.schedule = schedule

    def forward_vjp(self):
        """``(G(θ_t), r ↦ J(θ_t)ᵀ r)`` at the current point."""
        return self.iterate.forward_vjp()

    def step(self, t, grad):  # pragma: no cover - abstract
        """Move from θ_t to θ_{t+1} given the gradient ∇L(θ_t) (in the iterate's coordinates)."""
        raise NotImplementedError

    @property
    def params(self):
        """The current θ_t."""
        return self.iterate.params


class Optimizer:
    """Base class: an update rule with a base step size and a schedule.

    Parameters
    ----------
    step_size : float, optional
        The base step size η (each optimizer documents its default).
    schedule : callable, optional
        t ↦ factor, η_t = η · schedule(t) (default :class:`Constant`).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 32, 12
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> J = cst.trig_basis(n)
    >>> y = A @ cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> opt = cst.optim.as_optimizer('gd')
    >>> eta = opt.resolve_step_size(gen, A, gen.init())          # the default rule: 1/‖A J‖²
    >>> print(abs(eta - 1 / np.linalg.norm(A @ J, 2) ** 2) < 1e-9)
    True
    """

    name = "optimizer"

    def __init__(self, step_size=None, schedule=None):
        self.step_size = None if step_size is None else _checks.positive_float(step_size, "step_size")
        self.schedule = _check_schedule(schedule)

    def resolve_step_size(self, gen, A, params, rng=0) -> float:
        """The base step size of a run: ``step_size`` if given, else the optimizer's default rule."""
        return self.step_size if self.step_size is not None else self.default_step_size(gen, A, params, rng)

    def default_step_size(self, gen, A, params, rng=0) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def start(self, gen, A, params, rng=0) -> OptimizerState:  # pragma: no cover - abstract
        """An :class:`OptimizerState` at θ₀ = ``params``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        eta = "default" if self.step_size is None else f"{self.step_size:g}"
        return f"{type(self).__name__}(step_size={eta}, schedule={self.schedule!r})"


class GradientDescentState(OptimizerState):
    def step(self, t, grad):
        """θ_{t+1} = θ_t − η_t ∇L(θ_t)  (eq. 9)."""
        self.iterate.add(-self.step_size * self.schedule(t), grad)


class GradientDescent(Optimizer):
    """Plain gradient descent θ_{t+1} = θ_t − η_t ∇L(θ_t), eq. (9).

    The default η is :func:`default_step_size` (1/(‖A‖²‖U‖²) for the
    two-layer generator, 1/‖A J‖² for the linear one).  A generator may
    offer a cheaper iterate for this update through ``gd_iterate(params)``
    (the two-layer generator keeps C in the Fourier domain); the iterates are
    the same as in plain coordinates.

    Parameters
    ----------
    step_size : float, optional
        η; default :func:`default_step_size`.
    schedule : callable, optional
        η_t = η · schedule(t), e.g. :class:`StepDecay`.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 32, 12
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> J = cst.trig_basis(n)
    >>> y = A @ cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> a = cst.fit(gen, A, y, steps=50, optimizer=cst.GradientDescent(0.5, schedule=cst.StepDecay([25])))
    >>> b = cst.fit(gen, A, y, steps=50, optimizer='gd', step_size=0.5, schedule=cst.StepDecay([25]))
    >>> print(np.array_equal(a.params, b.params))     # an object, or a name with the same settings
    True
    >>> cst.GradientDescent(0.5, schedule=cst.StepDecay([25]))
    GradientDescent(step_size=0.5, schedule=StepDecay(milestones=[25], factor=0.1))
    """

    name = "gd"

    def default_step_size(self, gen, A, params, rng=0) -> float:
        return default_step_size(gen, A, params, rng)

    def start(self, gen, A, params, rng=0) -> GradientDescentState:
        gen, A, params = _check_start(gen, A, params)
        eta = self.resolve_step_size(gen, A, params, rng)
        make = getattr(gen, "gd_iterate", None)
        iterate = make(params) if make is not None else Iterate(gen, params)
        return GradientDescentState(iterate, eta, self.schedule)


#: Adam takes its one-pass update (:func:`cstheory._fused.adam_direction`) from this many parameters on: it is
#: 1.5× the formulas' speed at 4096 entries and even at a few hundred, and below it Numba is not loaded for Adam
ADAM_FUSED_MIN = 4096


class AdamState(OptimizerState):
    """A run of :class:`Adam`: the iterate, the step size and schedule, and the two moment estimates m₁, m₂.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.gaussian_matrix(8, 16, rng=0)
    >>> gen, y = cst.LinearGenerator(np.eye(16)), np.ones(8)
    >>> state = cst.Adam(0.01).start(gen, A, np.zeros(16))
    >>> x, vjp = state.forward_vjp()
    >>> g = vjp(A.T @ (A @ x - y))
    >>> state.step(0, g)                        # the first step moves every entry by ≈ η, against the gradient
    >>> print(np.allclose(state.params, -0.01 * np.sign(g), atol=1e-8))
    True
    """

    def __init__(self, iterate, step_size, schedule, beta1, beta2, eps, restarts=()):
        super().__init__(iterate, step_size, schedule)
        xp = namespace(iterate.params)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.restarts = frozenset(restarts)
        self.m1 = xp.zeros_like(iterate.params)
        self.m2 = xp.zeros_like(iterate.params)
        self.xp = xp
        self.start_t = 0
        self._fused = self._fused_pass(iterate, xp)

    @staticmethod
    def _fused_pass(iterate, xp):
        """:mod:`cstheory._fused` where :meth:`step` takes its one-pass update: NumPy, at least
        :data:`ADAM_FUSED_MIN` parameters, a generator not built with ``fused=False``, and Numba importable;
        else ``None`` (the formulas; a small θ does not load Numba for a few microseconds a step)."""
        if not is_numpy(xp) or math.prod(iterate.params.shape) < ADAM_FUSED_MIN \
                or getattr(iterate.gen, "fused", None) is False:
            return None
        from . import _fused                                     # here, not above: Numba loads on first use
        return _fused if _fused.available() else None

    def step(self, t, grad):
        """Adam with bias correction, step k = t − t₀ + 1 (t₀ the last restart, 0 without):

        m₁ ← β₁ m₁ + (1 − β₁) g,  m₂ ← β₂ m₂ + (1 − β₂) g²,
        θ ← θ − η_t (m₁ / (1 − β₁^k)) / (√(m₂ / (1 − β₂^k)) + ε),

        with m₁ = m₂ = 0 again at a restart t₀ (before its update).  With NumPy, Numba and at least
        :data:`ADAM_FUSED_MIN` parameters the three are formed in one compiled pass
        (:func:`cstheory._fused.adam_direction`: the same operations in the same order, the same numbers).
        """
        if t in self.restarts:
            self.m1 = self.xp.zeros_like(self.m1)
            self.m2 = self.xp.zeros_like(self.m2)
            self.start_t = t
        k = t - self.start_t + 1
        b1, b2 = self.beta1, self.beta2
        fused = None if self._fused is None else self._fused.adam_direction(self.m1, self.m2, grad, b1, b2, k, self.eps)
        if fused is not None:                                    # one compiled pass, the same bits
            self.m1, self.m2, direction = fused
        else:
            self.m1 = b1 * self.m1 + (1.0 - b1) * grad
            self.m2 = b2 * self.m2 + (1.0 - b2) * (grad * grad)
            m_hat = self.m1 / (1.0 - b1**k)
            v_hat = self.m2 / (1.0 - b2**k)
            direction = m_hat / (self.xp.sqrt(v_hat) + self.eps)
        self.iterate.add(-self.step_size * self.schedule(t), direction)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-entry steps from running moments of the gradient, with bias correction.

    Parameters
    ----------
    step_size : float
        The learning rate η (default 1e-3).
    schedule : callable, optional
        η_t = η · schedule(t); the moment estimates are kept across a change of η.
    beta1, beta2, eps : float
        The standard defaults 0.9, 0.999, 1e-8.
    restarts : sequence of int, optional
        Iterations t at which the moment estimates are reset to zero and the bias
        correction starts again ("warm restarts").  A decay of η with a restart at the
        same step is what running Adam twice does, the second time at the smaller η;
        the restart lets the second-moment estimate forget the large gradients of the
        early phase (with β₂ = 0.999 it remembers about 1000 steps), so the step after
        a decay is η_t-sized instead of much smaller.  Fig. 5 decays tenfold with a
        restart at 80 % of its steps.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 32, 12
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> J = cst.trig_basis(n)
    >>> y = A @ cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> res = cst.fit(gen, A, y, steps=500, optimizer=cst.Adam(0.05, schedule=cst.optim.CosineDecay.settle(500, 0.4)))
    >>> print(bool(res.loss[-1] < 1e-4 * res.loss[0]), res.optimizer)
    True adam
    >>> cst.Adam(0.05)
    Adam(step_size=0.05, schedule=Constant())
    """

    name = "adam"

    def __init__(self, step_size=None, schedule=None, beta1=ADAM_DEFAULTS["beta1"], beta2=ADAM_DEFAULTS["beta2"],
                 eps=ADAM_DEFAULTS["eps"], restarts=()):
        super().__init__(step_size, schedule)
        if isinstance(restarts, (str, bytes)) or not hasattr(restarts, "__iter__"):
            raise TypeError(f"restarts must be a sequence of iteration numbers, got {type(restarts).__name__}")
        self.restarts = tuple(sorted({_checks.positive_int(t, "each entry of restarts") for t in restarts}))
        for value, label in ((beta1, "beta1"), (beta2, "beta2")):
            v = _checks.positive_float(value, label, allow_zero=True)
            if not v < 1.0:
                raise ValueError(f"{label} must lie in [0, 1), got {v}")
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.eps = _checks.positive_float(eps, "eps")

    def default_step_size(self, gen, A, params, rng=0) -> float:
        return ADAM_DEFAULTS["step_size"]

    def start(self, gen, A, params, rng=0) -> AdamState:
        gen, A, params = _check_start(gen, A, params)
        eta = self.resolve_step_size(gen, A, params, rng)
        return AdamState(Iterate(gen, params), eta, self.schedule, self.beta1, self.beta2, self.eps, self.restarts)

    def __repr__(self) -> str:
        text = super().__repr__()
        return text[:-1] + f", restarts={list(self.restarts)})" if self.restarts else text


#: optimizers by name, for ``fit(..., optimizer="gd")``
OPTIMIZERS = {"gd": GradientDescent, "adam": Adam}


def as_optimizer(optimizer="gd", step_size=None, schedule=None) -> Optimizer:
    """An :class:`Optimizer` from a name (``"gd"``, ``"adam"``) with ``step_size`` and ``schedule``, or as given.

    Parameters
    ----------
    optimizer : {"gd", "adam"} or Optimizer
    step_size : float, optional
    schedule : callable, optional

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        Unknown name, or ``step_size``/``schedule`` given both here and inside an optimizer object.
    TypeError
        Neither a name nor an :class:`Optimizer`.

    Examples
    --------
    >>> from cstheory.optim import as_optimizer
    >>> as_optimizer('adam', step_size=0.01)
    Adam(step_size=0.01, schedule=Constant())
    >>> as_optimizer("sgd")
    Traceback (most recent call last):
        ...
    ValueError: optimizer must be one of ('gd', 'adam') or a cstheory.optim.Optimizer, got 'sgd'
    """
    if isinstance(optimizer, Optimizer):
        if step_size is not None or schedule is not None:
            raise ValueError("pass step_size and schedule to the optimizer object, not to fit as well "
                             f"(got optimizer={optimizer!r} and step_size={step_size!r}, schedule={schedule!r})")
        return optimizer
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)} or a cstheory.optim.Optimizer, "
                             f"got {optimizer!r}")
        return OPTIMIZERS[optimizer](step_size=step_size, schedule=schedule)
    raise TypeError(f"optimizer must be a name {tuple(OPTIMIZERS)} or a cstheory.optim.Optimizer, "
                    f"got {type(optimizer).__name__}")
