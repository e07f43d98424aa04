"""Choosing λ (floor 5): the tuning rules as objects, :func:`tune_lambda`, and how the fractions were calibrated.

A rule is an object with one method, :meth:`Rule.choose`, that turns a :class:`Search` (the
problem, the λ solved so far, the fraction rule's λ₀) into a :class:`LambdaChoice`, as an
optimizer of :mod:`cstheory.optim` turns a gradient into a step:

* :class:`Oracle` — the λ with the best PSNR against the truth (an upper bound, not a user's rule);
* :class:`Discrepancy` — Morozov: the largest λ with ‖A x_λ − y‖² ≤ m_eff σ²;
* :class:`Fraction` — λ = ``FRACTIONS[method]`` · :func:`cstheory.baselines.lambda_scale`.

:func:`as_rule` makes one from a name (``"oracle"``, ``"discrepancy"``, ``"fraction"``, ``"auto"``),
as :func:`cstheory.optim.as_optimizer` does for optimizers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import _checks, mri
from .._backend import as_generator
from .._repr import compact_repr
from ..mri import psnr
from . import registry
from .core import GRID_RATIO, BaselineResult, names, sequence, setup

__all__ = ["LambdaChoice", "Rule", "Oracle", "Discrepancy", "Fraction", "as_rule", "tune_lambda", "RULES",
           "calibration_phantom", "calibrate_fractions", "MAX_ELLIPSES"]

#: the rule names of :func:`as_rule` and :func:`tune_lambda`
RULES = ("oracle", "discrepancy", "fraction", "auto")
#: the largest number of ellipses :func:`calibration_phantom` draws (each costs a pass over the fine grid)
MAX_ELLIPSES = 10_000


@compact_repr
@dataclass
class LambdaChoice:
    """A regularization weight chosen by a rule, and the reconstruction at it (:func:`tune_lambda`).

    Attributes
    ----------
    method : str
        The method, one with a weight λ (``ITERATIVE``).
    rule : str
        The rule applied: "oracle", "discrepancy" or "fraction".
    lam : float
        The chosen λ.
    result : BaselineResult
        The reconstruction at ``lam``.
    grid : numpy.ndarray
        The λ tried by this call (increasing; empty for the "fraction" rule).
    scores : numpy.ndarray
        Per λ of ``grid``: PSNR against the truth (oracle) or ‖A x_λ − y‖² (discrepancy).
    target : float
        The discrepancy level m_eff σ² (NaN for the other rules).
    at_edge : bool
        The chosen λ is the smallest or largest tried (the walk hit its ``steps``, or the
        discrepancy rule found no λ that fits: the optimum may lie outside).

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0)
    >>> ch = baselines.tune_lambda("tv", P.operator, P.y)          # noiseless: the fraction rule
    >>> print(ch.rule, ch.lam == baselines.FRACTIONS["tv"] * baselines.lambda_scale("tv", P.operator, P.y))
    fraction True
    """

    method: str
    rule: str
    lam: float
    result: BaselineResult
    grid: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    target: float = float("nan")
    at_edge: bool = False


class Search:
    """One tuning problem: the method, the data, the λ solved so far (a cache) and the fraction rule's λ₀.

    Made by :func:`tune_lambda` after every argument is checked; a :class:`Rule` asks it for solves
    (:meth:`run`) and for the quantities its choice rests on (:meth:`residual`, :meth:`psnr`).
    Each solve is warm-started from the image of the nearest λ solved so far (continuation).
    """

    def __init__(self, method, A, y, shape, xp, kwargs, cache):
        self.method, self.A, self.y, self.shape, self.xp, self.kwargs = method, A, y, shape, xp, kwargs
        self.results = {} if cache is None else cache
        self.tried = set()
        self.base = method.fraction * method.lambda_scale(xp, A, y, shape)

    def run(self, lams):
        """Solve at every λ of ``lams`` not solved yet (in order, each warm-started), and mark them tried."""
        self.tried.update(lams)
        todo = [lam for lam in lams if lam not in self.results]
        if not todo:
            return
        start = None
        if self.results:                     # warm start from the nearest λ solved so far
            near = min(self.results, key=lambda l0: abs(math.log(l0) - math.log(todo[0])))
            start = self.results[near].image
        for lam in todo:
            self.results[lam] = registry.solve(self.method.name, self.A, self.y, self.shape, lam=lam, x0=start,
                                               **self.kwargs)
            start = self.results[lam].image

    def residual(self, lam):
        """‖A x_λ − y‖² of the solved λ."""
        xp = self.xp
        r = self.A @ xp.reshape(self.results[lam].image, (-1,)) - self.y
        return float(xp.sum(r * r))

    def psnr(self, lam, truth):
        """PSNR (dB) of the solved λ's image against ``truth``."""
        return psnr(self.results[lam].image, truth)

    def first_grid(self, grid, ratio):
        """The λ solved first, decreasing: ``grid``, or λ₀·ratio, λ₀, λ₀/ratio."""
        if grid is None:
            if not self.base > 0.0:
                raise ValueError(f"the λ scale of y is {self.base:g} (Aᵀy = 0: A or y is zero), so there is no grid "
                                 "of λ around it to search; check A and y, or give the rule a grid=")
            grid = [self.base * ratio, self.base, self.base / ratio]
        return sorted(grid, reverse=True)


class Rule:
    """A rule that chooses λ: :meth:`choose` turns a :class:`Search` into a :class:`LambdaChoice`.

    Examples
    --------
    A rule of one's own: the fraction rule's λ₀ halved.

    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> class Half(baselines.Rule):
    ...     name = "half"
    ...     def choose(self, search):
    ...         search.run([search.base / 2])
    ...         return baselines.LambdaChoice(search.method.name, self.name, search.base / 2,
    ...                                       search.results[search.base / 2])
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0)
    >>> ch = baselines.tune_lambda("tv", P.operator, P.y, rule=Half())
    >>> print(ch.rule, ch.lam == baselines.tune_lambda("tv", P.operator, P.y).lam / 2)
    half True
    """

    name = "rule"

    def check(self, y, shape):
        """Check what the rule holds against the data (before any solve); nothing by default."""

    def choose(self, search):
        """The :class:`LambdaChoice` of this rule on ``search``."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Fraction(Rule):
    """λ = ``FRACTIONS[method]`` · :func:`cstheory.baselines.lambda_scale` (noiseless data: the discrepancy
    principle would drive λ to 0).  One solve.


    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0)
    >>> ch = baselines.tune_lambda("l1-haar", P.operator, P.y, rule=baselines.Fraction())
    >>> print(ch.rule, ch.lam == baselines.FRACTIONS["l1-haar"] * baselines.lambda_scale("l1-haar", P.operator, P.y))
    fraction True
    """

    name = "fraction"

    def choose(self, search):
        search.run([search.base])
        return LambdaChoice(search.method.name, self.name, search.base, search.results[search.base])


class _Walk(Rule):
    """A rule that walks a geometric grid of λ from λ₀ (or ``grid``) by the factor ``ratio``."""

    def __init__(self, grid=None, ratio=GRID_RATIO, steps=6, refine=True):
        if grid is not None:
            grid = [_checks.positive_float(g, "grid entry") for g in sequence(grid, "grid")]
        self.grid = grid
        self.ratio = _checks.real(ratio, "ratio", low=1.0, low_open=True)
        self.steps = _checks.positive_int(steps, "steps", minimum=0)
        self.refine = _checks.flag(refine, "refine")

    def __repr__(self):
        return f"{type(self).__name__}(ratio={self.ratio:g}, steps={self.steps}, refine={self.refine})"


class Oracle(_Walk):
    """The λ with the best PSNR against ``truth``: an upper bound for the method, not something a user can do.

    From the fraction rule's λ₀ (or the given ``grid``, all of which is solved), λ walks by the
    factor ``ratio`` in the direction that improves the PSNR until it stops improving (at most
    ``steps`` steps: PSNR(λ) is taken to be unimodal on this grid); with ``refine`` the geometric
    midpoints between the best λ and its neighbours are tried too.  With ``ratio`` = 4 and
    ``refine`` the final resolution is a factor 2 in λ.

    Parameters
    ----------
    truth : array (h, w)
        The ground truth (on y's backend).
    grid : sequence of float, optional
        λ > 0 to solve first (default: λ₀·``ratio``, λ₀, λ₀/``ratio``).
    ratio : float
        The factor > 1 of the walk.
    steps : int
        At most this many steps of the walk (≥ 0).
    refine : bool
        Try the geometric midpoints next to the chosen λ.

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem, psnr
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0, oversample=2)
    >>> ch = baselines.tune_lambda("tv", P.operator, P.y, rule=baselines.Oracle(P.image, steps=2))
    >>> print(ch.rule, max(ch.scores) == ch.scores[list(ch.grid).index(ch.lam)])   # the best PSNR it tried
    oracle True
    """

    name = "oracle"

    def __init__(self, truth, grid=None, ratio=GRID_RATIO, steps=6, refine=True):
        super().__init__(grid, ratio, steps, refine)
        _checks.array(truth, "truth", ndim=(2, 3))
        self.truth = truth

    def check(self, y, shape):
        _check_truth(self.truth, y, shape)

    def choose(self, search):
        search.run(search.first_grid(self.grid, self.ratio))
        scores = {}

        def score(lam):
            if lam not in scores:
                scores[lam] = search.psnr(lam, self.truth)
            return scores[lam]

        for _ in range(self.steps):
            lams = sorted(search.tried)
            best = max(lams, key=score)
            if best == lams[-1]:
                search.run([best * self.ratio])
            elif best == lams[0]:
                search.run([best / self.ratio])
            else:
                break
        lams = sorted(search.tried)
        best = max(lams, key=score)
        i = lams.index(best)
        if self.refine:
            search.run([math.sqrt(best * lams[j]) for j in (i - 1, i + 1) if 0 <= j < len(lams)])
        lams = sorted(search.tried)
        chosen = max(lams, key=score)
        return LambdaChoice(search.method.name, self.name, chosen, search.results[chosen], np.asarray(lams),
                            np.asarray([score(lam) for lam in lams]), float("nan"), chosen in (lams[0], lams[-1]))


def _check_truth(truth, y, shape):
    """A ground truth on y's backend with the image shape."""
    _checks.namespace(y=y, truth=truth)
    if tuple(truth.shape) != tuple(shape):
        raise ValueError(f"truth must have the image shape {shape}, got {tuple(truth.shape)}")


class Discrepancy(_Walk):
    """Morozov's principle: the largest λ of a geometric grid with ‖A x_λ − y‖² ≤ m_eff σ², m_eff = len(y).

    The residual grows with λ: walk up while it fits, down while it does not (at most ``steps``
    steps); if none fits, the smallest λ tried; with ``refine`` the geometric midpoint towards the
    next λ is tried.  Never sees the truth.

    Parameters
    ----------
    noise_std : float
        σ > 0 of each real noise entry (E‖e‖² = m_eff σ²).
    grid, ratio, steps, refine
        As in :class:`Oracle`.

    Examples
    --------
    With A = I and y = 0 every λ reconstructs 0: all fit, so the walk goes up ``steps`` times.

    >>> import numpy as np
    >>> from cstheory import baselines
    >>> ch = baselines.tune_lambda("tv", np.eye(4), np.zeros(4), (2, 2),
    ...                            rule=baselines.Discrepancy(0.1, grid=[1.0], steps=2, refine=False))
    >>> print(ch.grid, ch.lam, ch.target, ch.at_edge)
    [ 1.  4. 16.] 16.0 0.04000000000000001 True
    """

    name = "discrepancy"

    def __init__(self, noise_std, grid=None, ratio=GRID_RATIO, steps=6, refine=True):
        super().__init__(grid, ratio, steps, refine)
        self.noise_std = _checks.positive_float(noise_std, "noise_std", allow_zero=True)
        if not self.noise_std:
            raise ValueError("rule='discrepancy' needs noise_std > 0 (the std of each real noise entry)")

    def choose(self, search):
        search.run(search.first_grid(self.grid, self.ratio))
        target = float(search.y.shape[0]) * self.noise_std ** 2
        for _ in range(self.steps):
            lams = sorted(search.tried)
            fits = [lam for lam in lams if search.residual(lam) <= target]
            if len(fits) == len(lams):              # every λ fits: walk up
                search.run([lams[-1] * self.ratio])
            elif not fits:                          # none fits: walk down
                search.run([lams[0] / self.ratio])
            else:
                break
        lams = sorted(search.tried)
        ok = [lam for lam in lams if search.residual(lam) <= target]
        chosen = max(ok) if ok else lams[0]
        if self.refine and ok and chosen != lams[-1]:
            mid = math.sqrt(chosen * lams[lams.index(chosen) + 1])
            search.run([mid])
            if search.residual(mid) <= target:
                chosen = mid
        lams = sorted(search.tried)
        return LambdaChoice(search.method.name, self.name, chosen, search.results[chosen], np.asarray(lams),
                            np.asarray([search.residual(lam) for lam in lams]), target,
                            chosen in (lams[0], lams[-1]))


def as_rule(rule="auto", truth=None, noise_std=None):
    """A :class:`Rule` from a name of :data:`RULES` (with ``truth`` / ``noise_std``), or as given.

    ``"oracle"`` needs ``truth``, ``"discrepancy"`` ``noise_std`` > 0; ``"auto"`` is
    :class:`Discrepancy` when ``noise_std`` > 0, else :class:`Fraction`.

    Parameters
    ----------
    rule : {"auto", "oracle", "discrepancy", "fraction"} or Rule
    truth : array (h, w), optional
    noise_std : float, optional
        ≥ 0.

    Returns
    -------
    Rule

    Raises
    ------
    TypeError
        Neither a name nor a :class:`Rule`; a ``truth`` that is not a real array.
    ValueError
        Unknown name, a missing ``truth``/``noise_std``, or ``truth``/``noise_std`` given both here
        and to a rule object.

    Examples
    --------
    >>> from cstheory.baselines import as_rule
    >>> as_rule("auto", noise_std=0.01), as_rule("auto"), as_rule("discrepancy", noise_std=0.1)
    (Discrepancy(ratio=4, steps=6, refine=True), Fraction(), Discrepancy(ratio=4, steps=6, refine=True))
    >>> as_rule("sure")
    Traceback (most recent call last):
        ...
    ValueError: rule must be one of ('oracle', 'discrepancy', 'fraction', 'auto'), got 'sure'
    """
    if noise_std is not None:
        noise_std = _checks.positive_float(noise_std, "noise_std", allow_zero=True)
    if isinstance(rule, Rule):
        if truth is not None or noise_std is not None:
            raise ValueError(f"give truth and noise_std to the rule object, not to tune_lambda as well (got "
                             f"rule={rule!r} and truth={'None' if truth is None else 'an array'}, "
                             f"noise_std={noise_std!r})")
        return rule
    if not isinstance(rule, str):
        raise TypeError(f"rule must be one of {RULES} or a cstheory.baselines.Rule, got {type(rule).__name__} "
                        f"{rule!r}"[:200])
    rule = _checks.choice(rule, RULES, "rule")
    if truth is not None:
        _checks.array(truth, "truth", ndim=(2, 3))
    if rule == "auto":
        rule = "discrepancy" if noise_std else "fraction"
    if rule == "oracle":
        if truth is None:
            raise ValueError("rule='oracle' needs truth= (the ground-truth image)")
        return Oracle(truth)
    if rule == "discrepancy":
        if not noise_std:
            raise ValueError("rule='discrepancy' needs noise_std > 0 (the std of each real noise entry)")
        return Discrepancy(noise_std)
    return Fraction()


def tune_lambda(method, A, y, shape=None, rule="auto", truth=None, noise_std=None, cache=None, **kwargs):
    """Choose λ for ``method`` by a rule and return the reconstruction at it.

    The rule is a :class:`Rule` object (:class:`Oracle`, :class:`Discrepancy`, :class:`Fraction`, or
    one's own) or a name made into one by :func:`as_rule`: ``"oracle"`` (needs ``truth``),
    ``"discrepancy"`` (needs ``noise_std`` > 0), ``"fraction"``, or ``"auto"`` (``"discrepancy"``
    when ``noise_std`` > 0, else ``"fraction"``).  The walk's settings (``grid``, ``ratio``,
    ``steps``, ``refine``) are the rule object's.

    Parameters
    ----------
    method : str
        A registered method with λ (``"l1-dct"``, ``"l1-haar"``, ``"tv"``, ``"tv-box"``, …).
    A : array (m, h·w) or LinearOperator
    y : array (m,)
        The measurements: real, finite, on A's backend.
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    rule : {"auto", "oracle", "discrepancy", "fraction"} or Rule
    truth : array (h, w), optional
        The ground truth of a named ``"oracle"`` rule (on y's backend).
    noise_std : float, optional
        σ ≥ 0 of each real noise entry, for a named ``"discrepancy"``/``"auto"`` rule.
    cache : dict, optional
        λ → :class:`BaselineResult`, shared between calls on the same data (e.g. the oracle's
        walk holds the fraction rule's λ₀, solved once).
    **kwargs
        Passed on to the solver (the method's ``keywords``: ``steps``, ``tol``, ``rng``, and
        ``monotone``, ``levels`` (ℓ1) or ``rho``, ``adapt_rho``, ``isotropic`` (TV)).

    Returns
    -------
    LambdaChoice

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a non-string ``method``, a ``rule`` that is neither a name
        nor a Rule, a ``truth`` of another backend, a ``cache`` that is not a dict, a keyword the
        solver does not take, …).
    ValueError
        For a wrong value (an unknown ``method`` or ``rule``, ``"oracle"`` without ``truth``,
        ``"discrepancy"`` without ``noise_std`` > 0, Aᵀy = 0 with no ``grid``, …).
    cstheory.DivergenceError
        As the solver.

    Examples
    --------
    Noisy data, Morozov's rule: the largest λ whose residual fits the noise level.

    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, snr_db=25, rng=0, oversample=2)
    >>> ch = baselines.tune_lambda("tv", P.operator, P.y, noise_std=P.noise_std)
    >>> i = list(ch.grid).index(ch.lam)
    >>> print(ch.rule, ch.scores[i] <= ch.target < ch.scores[i + 1], f"{ch.lam:.3g}")
    discrepancy True 0.00787
    >>> coarse = baselines.tune_lambda("tv", P.operator, P.y, rule=baselines.Discrepancy(P.noise_std, refine=False))
    >>> print(coarse.lam < ch.lam)      # without the midpoint: the largest λ of the coarser grid that fits
    True
    """
    record = registry.get(method, iterative=True)
    xp, shape = setup(A, y, shape)
    rule = as_rule(rule, truth, noise_std)
    if truth is not None:                       # checked even where the rule does not use it
        _check_truth(truth, y, shape)
    rule.check(y, shape)
    if cache is not None and not isinstance(cache, dict):
        raise TypeError(f"cache must be a dict (λ → BaselineResult) or None, got {type(cache).__name__}")
    registry.check_keywords(record, kwargs, "tune_lambda")
    return rule.choose(Search(record, A, y, shape, xp, kwargs, cache))


def calibration_phantom(size=64, oversample=4, ellipses=8, rng=0):
    """A random piecewise-constant ellipse phantom on the (oversample·size)² fine grid (host NumPy).

    The image class of the Shepp–Logan phantom (a bright rim, ``ellipses`` inner ellipses of random
    centre, axes, angle and intensity in [0.1, 0.9] that add up), but never the phantom itself: the
    images on which :func:`calibrate_fractions` fixes :data:`FRACTIONS`.

    Parameters
    ----------
    size : int
        Side of the reconstruction grid (≥ 1).
    oversample : int
        Fineness of the grid the phantom is drawn on (≥ 1).
    ellipses : int
        Number of random inner ellipses, 0 … :data:`MAX_ELLIPSES`.
    rng : int or numpy.random.Generator
        Seed of the ellipses.

    Returns
    -------
    numpy.ndarray (oversample·size, oversample·size)
        float64; the rim is 1, the inside 0.2 plus the ellipses' intensities.

    Raises
    ------
    TypeError
        For non-integer counts, a bad ``rng``.
    ValueError
        For counts out of range, a grid that would not fit in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import calibration_phantom
    >>> img = calibration_phantom(16, oversample=2, rng=0)
    >>> print(img.shape, img[16, 4], img[16, 5], img[16, 6])        # outside, the rim, inside
    (32, 32) 0.0 1.0 0.2
    >>> print(np.array_equal(img, calibration_phantom(16, oversample=2, rng=0)))   # one seed, one image
    True
    """
    size = _checks.positive_int(size, "size")
    oversample = _checks.positive_int(oversample, "oversample")
    ellipses = _checks.integer(ellipses, "ellipses", minimum=0, maximum=MAX_ELLIPSES)
    rng = as_generator(rng)
    N = size * oversample
    _checks.memory(_checks.nbytes((N, N)) * 8, f"calibration_phantom(size={size}, oversample={oversample}): "
                   f"the ({N}, {N}) grid")
    t = (np.arange(N) + 0.5) / N * 2.0 - 1.0
    Y, X = np.meshgrid(t, t, indexing="ij")

    def inside(cy, cx, ay, ax, angle):
        c, s = math.cos(angle), math.sin(angle)
        u, v = (X - cx) * c + (Y - cy) * s, -(X - cx) * s + (Y - cy) * c
        return (u / ax) ** 2 + (v / ay) ** 2 <= 1.0

    img = 1.0 * inside(0.0, 0.0, 0.92, 0.69, 0.0) - 0.8 * inside(-0.02, 0.0, 0.87, 0.63, 0.0)
    for _ in range(ellipses):
        cy, cx = rng.uniform(-0.5, 0.5, 2)
        ay, ax = rng.uniform(0.05, 0.3, 2)
        img = img + rng.uniform(0.1, 0.9) * inside(cy, cx, ay, ax, rng.uniform(0, math.pi))
    return img


def calibrate_fractions(methods=None, size=64, accelerations=(4, 8), seeds=(0, 1, 2),
                        fractions=(1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1), oversample=4, **kwargs):
    """How :data:`FRACTIONS` were fixed: the fraction with the best mean PSNR on calibration phantoms.

    For each method, each fraction of ``fractions`` is scored by the mean PSNR over noiseless
    Cartesian acquisitions at ``accelerations`` of :func:`calibration_phantom` images (one per
    seed of ``seeds``, which also draws the mask), simulated from the ``oversample``-times finer
    grid (:func:`cstheory.mri.mri_problem`).  No experiment or test image is among them: the
    rule is tuned on images like the test image, never on it (as one tunes on earlier scans).

    Parameters
    ----------
    methods : str or sequence of str, optional
        Methods with λ (default: every registered one, ``ITERATIVE``).
    size : int
        Side of the reconstruction grid.
    accelerations : float or sequence of float
        Undersampling factors (≥ 1).
    seeds : int or sequence of int
        Seeds (≥ 0) of the phantoms and masks.
    fractions : float or sequence of float
        The fractions (> 0) scored.
    oversample : int
        Fineness of the simulation grid.
    **kwargs
        Passed on to :func:`cstheory.baselines.solve` (``steps``, ``tol``, …).

    Returns
    -------
    dict
        ``{method: (best fraction, {fraction: mean PSNR})}``.

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a count that is not an integer, a string of numbers, a
        keyword the solver does not take, …).
    ValueError
        For a wrong value (an unknown method, an empty sequence, an acceleration < 1, a negative seed,
        a fraction ≤ 0, a grid that would not fit in memory, …).

    Examples
    --------
    >>> from cstheory.baselines import calibrate_fractions
    >>> best, mean = calibrate_fractions("tv", size=8, accelerations=4, seeds=0, fractions=(1e-3, 1e-1))["tv"]
    >>> print(best, {f: round(p, 2) for f, p in mean.items()})     # mean PSNR in dB per fraction
    0.001 {0.001: 14.95, 0.1: 14.49}
    """
    iterative = tuple(m.name for m in registry.methods(iterative=True))
    methods = iterative if methods is None else names(methods, "methods", iterative)
    size = _checks.positive_int(size, "size")
    accelerations = sequence(accelerations, "accelerations", scalar=(int, float, np.integer, np.floating))
    accelerations = tuple(_checks.real(a, "accelerations entry", low=1.0) for a in accelerations)
    seeds = sequence(seeds, "seeds", scalar=(int, np.integer))
    seeds = tuple(_checks.integer(s, "seeds entry", minimum=0) for s in seeds)
    fractions = sequence(fractions, "fractions", scalar=(int, float, np.integer, np.floating))
    fractions = tuple(_checks.positive_float(f, "fractions entry") for f in fractions)
    oversample = _checks.positive_int(oversample, "oversample")
    N = size * oversample
    _checks.memory(_checks.nbytes((N, N)) * 8, f"calibrate_fractions(size={size}, oversample={oversample}): "
                   f"the ({N}, {N}) phantom grid")
    for method in methods:
        registry.check_keywords(registry.get(method), kwargs, "calibrate_fractions")
    out = {}
    problems = [mri.mri_problem(calibration_phantom(size, oversample, rng=s), acceleration=a, rng=s,
                                oversample=oversample) for a in accelerations for s in seeds]
    for method in methods:
        mean = {}
        for f in fractions:
            scores = []
            for P in problems:
                lam = f * registry.lambda_scale(method, P.operator, P.y)
                scores.append(psnr(registry.solve(method, P.operator, P.y, lam=lam, **kwargs).image, P.image))
            mean[f] = float(np.mean(scores))
        out[method] = (max(mean, key=mean.get), mean)
    return out
