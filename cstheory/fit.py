"""Fitting a generator to measurements (floor 5): the loop of gradient descent, eq. (9), and Adam.

One loop serves every generator of the contract in :mod:`cstheory.generator`
and every optimizer of :mod:`cstheory.optim`: it minimises the loss of eq. (2),

    L(θ) = ½ ‖A G(θ) − y‖²,   ∇L(θ) = J_G(θ)ᵀ Aᵀ (A G(θ) − y)   (eq. 14),

with the hand-derived vector-Jacobian product of the generator.  The loop owns
the records (loss and true error), the callback, the progress bar and the
divergence rule (:class:`DivergenceMonitor`); the optimizer owns the update.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from ._backend import as_generator, backend_name, dtype_name, namespace, same_backend
from .generator import check_generator
from .operators import as_operator
from .optim import ADAM_DEFAULTS, OPTIMIZERS, as_optimizer, default_step_size

__all__ = ["fit", "FitResult", "DivergenceError", "DivergenceMonitor", "default_step_size", "check_problem",
           "start_params", "OPTIMIZERS", "ADAM_DEFAULTS"]

#: the loss may grow at most this factor above its initial value before fit stops
DIVERGENCE_FACTOR = 1e6
#: the loss is checked at every step t < CHECK_EVERY and every CHECK_EVERY steps after: a loss
#: growing by more than 1e6**(1/CHECK_EVERY) ≈ 1.32 per step is caught within the first steps,
#: a slower one cannot overflow between two checks
CHECK_EVERY = 50


class DivergenceError(RuntimeError):
    """Raised when the loss of a fit becomes non-finite or explodes.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 32, 12
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> J = cst.trig_basis(n)
    >>> y = A @ cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> cst.fit(gen, A, y, steps=100, step_size=10.0)
    Traceback (most recent call last):
        ...
    cstheory.fit.DivergenceError: fit diverged at step ...: loss ... with step_size=10; use a smaller step_size (e.g. 1)
    """


class DivergenceMonitor:
    """The divergence rule of every iterative method: stop when the loss is NaN/inf or exceeds 1e6 × its scale.

    The scale is the first loss checked (½‖r₀‖² in :func:`fit`), or the larger of that and
    ``scale`` when one is given (the baselines give ½‖y‖², the objective at x = 0).  With a given
    ``scale``, a reference that is not finite leaves nothing to compare with: the monitor is then idle.
    :func:`fit` checks at every step t < :data:`CHECK_EVERY` and every :data:`CHECK_EVERY` steps
    after (:meth:`due`), so a fast blow-up is caught at once and a slow one long before it
    overflows; the baselines check every iterate (:meth:`check_loss`).

    Parameters
    ----------
    step_size : float, optional
        Named in the error message, with a ten times smaller suggestion (for a gradient method).
    what : str
        What diverged, for the message (``"fit"``, ``"the linearized run"``, ``"ADMM (tv)"``).
    hint : str, optional
        The advice that ends the message when there is no ``step_size`` to suggest a smaller one of.
    scale : float, optional
        A finite floor ≥ 0 of the scale (default: the first loss checked).
    quantity : str
        What the loss is called in the message (``"loss"``, ``"objective"``).

    Examples
    --------
    >>> from cstheory.fit import DivergenceMonitor
    >>> watch = DivergenceMonitor(what="FISTA", hint="is Ψ orthonormal?", scale=2.0, quantity="objective")
    >>> watch.check_loss(0, 1.0), watch.check_loss(1, 2e6)        # scale max(1, 2) = 2: 2e6 is allowed
    (1.0, 2000000.0)
    >>> watch.check_loss(2, 3e6)
    Traceback (most recent call last):
        ...
    cstheory.fit.DivergenceError: FISTA diverged at step 2: objective 3e+06, more than 1e+06 times its scale 2; is Ψ orthonormal?
    """

    def __init__(self, step_size=None, what="fit", hint=None, scale=None, quantity="loss"):
        self.step_size = None if step_size is None else _checks.positive_float(step_size, "step_size")
        for name, value in (("what", what), ("quantity", quantity)):
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a string, got {type(value).__name__}")
        if hint is not None and not isinstance(hint, str):
            raise TypeError(f"hint must be a string or None, got {type(hint).__name__}")
        if self.step_size is None and hint is None:
            raise TypeError("DivergenceMonitor needs a step_size or a hint (the advice of its error message)")
        self.what, self.hint, self.quantity = what, hint, quantity
        self.scale = None if scale is None else _checks.real(scale, "scale", low=0.0)
        self.loss0 = None

    @staticmethod
    def due(t) -> bool:
        """Whether step t is checked even when it is not recorded."""
        return t < CHECK_EVERY or t % CHECK_EVERY == 0

    @property
    def reference(self):
        """The scale the loss is compared with: max(first loss, ``scale``) (``None`` before the first check)."""
        if self.loss0 is None:
            return self.scale
        return self.loss0 if self.scale is None else max(self.loss0, self.scale)

    def check(self, t, residual_norm) -> float:
        """The loss ½‖r_t‖² from ‖r_t‖ (a Python float: inf, not an overflow warning), or ``DivergenceError``."""
        return self.check_loss(t, 0.5 * residual_norm * residual_norm)

    def check_loss(self, t, loss) -> float:
        """``loss`` as given, or ``DivergenceError`` when it is NaN/inf or above 1e6 × :attr:`reference`."""
        if self.loss0 is None:
            self.loss0 = loss
        ref = self.reference
        if self.scale is not None and not math.isfinite(ref):
            return loss                    # a given scale, and no finite reference to compare with: idle
        if not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(ref, 1e-300):
            if self.step_size is not None:
                raise DivergenceError(
                    f"{self.what} diverged at step {t}: {self.quantity} {loss:.3g} (initial {self.loss0:.3g}) with "
                    f"step_size={self.step_size:.3g}; use a smaller step_size (e.g. {self.step_size / 10:.3g})"
                )
            raise DivergenceError(f"{self.what} diverged at step {t}: {self.quantity} {loss:.3g}, more than "
                                  f"{DIVERGENCE_FACTOR:.0e} times its scale {max(ref, 1e-300):.3g}; {self.hint}")
        return loss


@dataclass(repr=False)
class FitResult:
    """Outcome of :func:`fit`.

    Attributes
    ----------
    params : array
        θ after the last step.
    signal : array
        G(θ) at the last step, shape ``gen.output_shape``.
    loss : numpy.ndarray
        ½‖A G(θ_t) − y‖² at the recorded iterations.
    error : numpy.ndarray or None
        ‖G(θ_t) − x*‖² at the same iterations (only with ``x_true``), or ``error(G(θ_t))`` with ``error=``.
    iterations : numpy.ndarray
        The iteration numbers t of the records (0 = the initial point).
    step_size : float
        The base step size used (η of eq. 9, or Adam's learning rate).
    optimizer : str
        ``"gd"`` or ``"adam"`` (the optimizer's name).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, m = 32, 12
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> J = cst.trig_basis(n)
    >>> y = A @ cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> x = cst.smooth_signal(n, 3, rng=2)
    >>> res = cst.fit(gen, A, A @ x, steps=300, record_every=100, x_true=x)
    >>> res    # the loss vanishes, the error does not: J = W has no decaying spectrum to favour x
    FitResult(gd, 300 steps, step_size=0.2128, loss 0.1335 → ..., final error 0.8507, params (32,) float64)
    >>> print(res.iterations, res.optimizer, bool(res.loss[-1] < 1e-8 * res.loss[0]))
    [  0 100 200 300] gd True
    """

    params: object
    signal: object
    loss: np.ndarray
    error: np.ndarray | None
    iterations: np.ndarray
    step_size: float
    optimizer: str
    extras: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        first = f"{self.loss[0]:.4g}" if len(self.loss) else "—"
        last = f"{self.loss[-1]:.4g}" if len(self.loss) else "—"
        err = "" if self.error is None or not len(self.error) else f", final error {self.error[-1]:.4g}"
        t = int(self.iterations[-1]) if len(self.iterations) else 0
        return (f"FitResult({self.optimizer}, {t} steps, step_size={self.step_size:.4g}, "
                f"loss {first} → {last}{err}, params {tuple(self.params.shape)} "
                f"{str(self.params.dtype).split('.')[-1]})")


def _flat(xp, x):
    return xp.reshape(x, (-1,))


def check_problem(gen, A, y):
    """Validate a least-squares problem ½‖A G(θ) − y‖²; return ``(A as an operator, namespace of y)``.

    ``TypeError``/``ValueError`` naming the argument for a wrong type, shapes that do not
    chain, non-finite data, or arrays (and operators) from different backends."""
    check_generator(gen)
    A = as_operator(A)
    m, n = A.shape
    _checks.array(y, "y", ndim=1)
    if y.shape[0] != m:
        raise ValueError(f"y must have length m = {m} (rows of A), got {y.shape[0]}")
    if n != gen.n:
        raise ValueError(f"shapes do not chain: A has {n} columns but the generator outputs {gen.n} values")
    xp = namespace(y)
    if A.xp is not None and not same_backend(A.xp, xp):
        raise TypeError(f"A and y come from different backends: A works on {backend_name(A.xp)} arrays "
                        f"but y is a {backend_name(xp)} array")
    if gen.xp is not None and not same_backend(gen.xp, xp):
        raise TypeError(f"the generator and y come from different backends: the generator works on "
                        f"{backend_name(gen.xp)} arrays but y is a {backend_name(xp)} array")
    if gen.strict_dtype:                  # its cotangent Aᵀ(A x − y) must come out in the generator's dtype
        gen._check_dtype(y, "y")
        if A.dtype is not None and A.dtype != gen.dtype:
            raise TypeError(f"A has dtype {dtype_name(A.dtype)} but the generator computes in "
                            f"{dtype_name(gen.dtype)}; build A with dtype={dtype_name(gen.dtype)!r} (or the generator "
                            f"with dtype={dtype_name(A.dtype)!r})")
    return A, xp


def start_params(gen, y, params=None, rng=0):
    """θ₀: ``params`` checked against the generator and y's backend, or ``gen.init(rng=rng, y=y)``."""
    if params is None:
        params = gen.init(rng=rng, y=y)
    params = gen.check_params(params)
    _checks.namespace(y=y, params=params)
    return params


def _recorded_error(error, x, t):
    """``float(error(x))``, or a ``TypeError`` naming ``error`` when it does not give a real number."""
    value = error(x)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"error(x) must return a real number, got {type(value).__name__} at iteration {t}") from None


def fit(gen, A, y, params=None, steps=1000, step_size=None, optimizer="gd", x_true=None,
        record_every=1, rng=0, callback=None, progress=False, schedule=None, error=None):
    """Fit ``gen`` to measurements y = A x* by gradient descent (eq. 9) or Adam.

    Parameters
    ----------
    gen : Generator
        Any generator of the contract (linear, two-layer, deep decoder).
    A : array (m, n) or LinearOperator
        Measurement operator (arrays are wrapped by :func:`cstheory.operators.as_operator`).
    y : array (m,)
        Measurements.
    params : array, optional
        Starting point θ₀.  Default: ``gen.init(rng=rng, y=y)`` — zero for
        the linear generator (so GD converges to eq. (5)); the Theorem-3
        scale ω = ξ‖y‖/(2√n‖U‖) for the two-layer generator.
    steps : int
        Number of iterations.
    step_size : float, optional
        The base step size η.  Default for ``"gd"``: :func:`default_step_size`; for ``"adam"``: 1e-3.
    optimizer : {"gd", "adam"} or cstheory.optim.Optimizer
        Plain gradient descent θ_{t+1} = θ_t − η_t ∇L(θ_t), or Adam with its
        standard defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8); or an optimizer
        object such as ``cstheory.optim.Adam(0.01, schedule=StepDecay([2000]))``
        (then ``step_size`` and ``schedule`` go into the object).
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
    schedule : callable, optional
        Step-size schedule t ↦ factor (:class:`cstheory.optim.StepDecay`), for a named optimizer.
    error : callable, optional
        ``error(x)`` ↦ float, recorded at every recorded iteration instead of ‖G(θ_t) − x*‖², with x =
        G(θ_t) in the output shape (the signal the step computed anyway: no extra forward pass).  For
        an error other than the squared distance, e.g. that of the magnitude of a complex image
        stored as two channels.  Not together with ``x_true``.

    Returns
    -------
    FitResult

    Raises
    ------
    DivergenceError
        When the loss becomes NaN/inf or grows 1e6-fold: the step size is too large.

    Examples
    --------
    >>> import cstheory as cst
    >>> n, m = 32, 16
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> x = cst.smooth_signal(n, 3, rng=2)
    >>> gen = cst.LinearGenerator(cst.trig_basis(n))
    >>> res = cst.fit(gen, A, A @ x, steps=200, x_true=x, record_every=100)
    >>> res.iterations.tolist()
    [0, 100, 200]
    >>> bool(res.loss[-1] < 1e-6 * res.loss[0])
    True
    """
    opt = as_optimizer(optimizer, step_size, schedule)
    steps = _checks.positive_int(steps, "steps", minimum=0)
    record_every = _checks.positive_int(record_every, "record_every")
    _checks.callable_or_none(callback, "callback", "a callable callback(t, params)")
    _checks.callable_or_none(error, "error", "a callable error(x) returning a float")
    if error is not None and x_true is not None:
        raise ValueError("give x_true or error, not both: error(x) replaces ‖x − x_true‖²")
    progress = _checks.flag(progress, "progress")
    as_generator(rng)
    records = steps // record_every + 2
    _checks.memory(_checks.nbytes((records, 3), itemsize=64),
                   f"fit(steps={steps}, record_every={record_every}): the records of loss and error")
    A, xp = check_problem(gen, A, y)
    if params is not None:
        gen.check_params(params)
        _checks.namespace(y=y, params=params)
    if x_true is not None:
        _checks.array(x_true, "x_true")
        _checks.namespace(y=y, x_true=x_true)
        if tuple(x_true.shape) not in ((gen.n,), tuple(gen.output_shape)):
            raise ValueError(f"x_true must have {gen.n} entries in the output shape {tuple(gen.output_shape)} "
                             f"(or flat), got shape {tuple(x_true.shape)}")
        x_true = _flat(xp, x_true)
    params = start_params(gen, y, params, rng)
    state = opt.start(gen, A, params, rng)
    monitor = DivergenceMonitor(state.step_size)

    losses, errors, recorded = [], [], []
    iterator = range(steps + 1)
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(iterator, desc=f"fit ({opt.name})", leave=False)
    AT = A.T                                   # the adjoint, built once for the whole loop
    for t in iterator:
        x, vjp_fn = state.forward_vjp()
        x = _flat(xp, x)
        r = A @ x - y
        record = t % record_every == 0 or t == steps
        if record or monitor.due(t):
            loss = monitor.check(t, float(xp.linalg.vector_norm(r)))
            if record:
                losses.append(loss)
                recorded.append(t)
                if x_true is not None:
                    d = x - x_true
                    errors.append(float(xp.sum(d * d)))
                elif error is not None:
                    errors.append(_recorded_error(error, xp.reshape(x, gen.output_shape), t))
                if callback is not None:
                    callback(t, state.params)
        if t == steps:
            break
        state.step(t, vjp_fn(xp.reshape(AT @ r, gen.output_shape)))

    return FitResult(
        params=state.params,
        signal=xp.reshape(x, gen.output_shape),
        loss=np.asarray(losses),
        error=np.asarray(errors) if (x_true is not None or error is not None) else None,
        iterations=np.asarray(recorded),
        step_size=state.step_size,
        optimizer=opt.name,
    )
