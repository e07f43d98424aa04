"""The registry of classical methods (floor 5): one :class:`Method` record per method, registered in one place.

A method module (``direct.py``, ``fista.py``, ``tv.py``, or a new file next to them) defines its
solver and calls :func:`register` with its record; :mod:`cstheory.baselines` imports every module
of the package, so a new method is one new file.  Everything that lists methods reads the
registry: :data:`cstheory.baselines.METHODS`, ``ITERATIVE``, ``FRACTIONS``, the dispatch of
:func:`solve` and :func:`reconstruct`, the keywords :func:`cstheory.baselines.tune_lambda` passes
on, the table of the package's docstring (:func:`docs_table`) and the rows of Fig. 5.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import _checks
from .core import check_boundary, check_levels, check_rng, setup

__all__ = ["Method", "register", "solve", "reconstruct", "lambda_scale"]


@dataclass(frozen=True)
class Method:
    """One classical method: its name, its solver, how λ scales with the data, and what may be tuned.

    Attributes
    ----------
    name : str
        The name of :func:`solve` and :func:`reconstruct` (``"tv"``).
    solver : callable
        ``solver(A, y, shape=None, lam=None, **keywords)`` → :class:`BaselineResult` for a method
        with a weight λ; ``solver(A, y, shape=None, **keywords)`` → the (h, w) image otherwise.
    problem : str
        The problem solved, for the docs table (``"min ½‖A x − y‖² + λ TV(x)"``).
    algorithm : str
        How it is solved, for the docs table.
    lambda_scale : callable, optional
        ``lambda_scale(xp, A, y, shape)`` → the data's λ scale (the "fraction" rule's λ is
        ``fraction`` times it); ``None`` for a method without λ.
    fraction : float, optional
        The calibrated default λ / scale (> 0; given exactly when ``lambda_scale`` is).
    keywords : tuple of str
        The solver keywords that :func:`cstheory.baselines.tune_lambda` and
        :func:`cstheory.baselines.calibrate_fractions` pass on (checked before any work).

    Examples
    --------
    >>> from cstheory.baselines import registry
    >>> tv = registry.get("tv")
    >>> print(tv.name, tv.iterative, tv.fraction, tv.keywords[:3])
    tv True 0.001 ('steps', 'tol', 'rng')
    >>> registry.get("l1-db4")                        # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: method must be one of ('zero-filled', 'l1-dct', ...), got 'l1-db4'
    """

    name: str
    solver: object
    problem: str
    algorithm: str
    lambda_scale: object = None
    fraction: float | None = None
    keywords: tuple = ()

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        _checks.callable_or_none(self.solver, "solver", "a callable (the method's solver)")
        _checks.callable_or_none(self.lambda_scale, "lambda_scale", "a callable (xp, A, y, shape) → float or None")
        if self.solver is None:
            raise TypeError("solver must be a callable, got None")
        if (self.lambda_scale is None) != (self.fraction is None):
            raise ValueError(f"method {self.name!r}: give lambda_scale and fraction together (a method with λ) "
                             "or neither (a method without)")
        if self.fraction is not None:
            _checks.positive_float(self.fraction, "fraction")
        if not isinstance(self.keywords, tuple) or not all(isinstance(k, str) for k in self.keywords):
            raise TypeError(f"keywords must be a tuple of strings, got {self.keywords!r}")

    @property
    def iterative(self) -> bool:
        """Whether the method has a regularization weight λ (and an iterative solver)."""
        return self.lambda_scale is not None


_REGISTRY: dict = {}


def register(method):
    """Add a :class:`Method` to the registry (in order); its name must be new. Returns it.

    Raises
    ------
    TypeError
        For anything but a :class:`Method`.
    ValueError
        For a name that is already registered (by another solver).

    Examples
    --------
    A method module ends with its records (this is ``tv_solvers.py``'s; registering the same record again
    changes nothing, another solver under a taken name is refused):

    >>> import dataclasses
    >>> from cstheory import baselines
    >>> from cstheory.baselines import registry
    >>> record = registry.get("tv")
    >>> baselines.register(record) is record
    True
    >>> baselines.register(dataclasses.replace(record, solver=baselines.tv))   # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: a method named 'tv' is already registered (solver periodic_tv of cstheory.baselines.tv_solvers)
    """
    if not isinstance(method, Method):
        raise TypeError(f"method must be a cstheory.baselines.Method, got {type(method).__name__}")
    old = _REGISTRY.get(method.name)
    if old is not None and (old.solver.__module__, old.solver.__qualname__) != (method.solver.__module__,
                                                                                 method.solver.__qualname__):
        raise ValueError(f"a method named {method.name!r} is already registered (solver {old.solver.__qualname__} "
                         f"of {old.solver.__module__})")
    _REGISTRY[method.name] = method
    return method


def methods(iterative=None):
    """The registered :class:`Method` records in registration order (only those with λ: ``iterative=True``)."""
    return tuple(m for m in _REGISTRY.values() if iterative is None or m.iterative == iterative)


def get(method, iterative=False):
    """The :class:`Method` named ``method`` (among those with a λ when ``iterative``).

    Raises
    ------
    TypeError
        For a ``method`` that is not a string.
    ValueError
        For an unknown name, naming ``method`` and the known ones.
    """
    options = tuple(m.name for m in methods(True if iterative else None))
    return _REGISTRY[_checks.choice(method, options, "method")]


def _check_flag(key):
    return lambda value: _checks.flag(value, key)


#: how each solver keyword that tuning passes on is checked before any work
KEYWORD_CHECKS = {
    "steps": lambda value: _checks.positive_int(value, "steps"),
    "tol": lambda value: _checks.positive_float(value, "tol", allow_zero=True),
    "monotone": _check_flag("monotone"),
    "adapt_rho": _check_flag("adapt_rho"),
    "isotropic": _check_flag("isotropic"),
    "rng": check_rng,
    "rho": lambda value: None if value is None else _checks.positive_float(value, "rho"),
    "levels": check_levels,
    "boundary": check_boundary,
}


def check_keywords(method, kwargs, where):
    """The keywords ``where`` passes on to the solver of ``method`` (a :class:`Method`): known names, valid values."""
    for key, value in kwargs.items():
        if key not in method.keywords:
            raise TypeError(f"{where} got an unexpected keyword argument {key!r} for method {method.name!r} "
                            f"(it passes on {', '.join(method.keywords)})")
        KEYWORD_CHECKS.get(key, lambda v: v)(value)


def solve(method, A, y, shape=None, lam=None, **kwargs):
    """Run the method ``method`` that has a weight λ (one of ``ITERATIVE``) and return its :class:`BaselineResult`.

    The method's record (:func:`get`) names the solver: ``"l1-dct"`` and ``"l1-haar"`` run
    :func:`cstheory.baselines.l1_dct` and :func:`cstheory.baselines.l1_haar`; ``"tv"``/``"tv-box"``
    solve the periodic TV problem (box (0, 1) for ``"tv-box"``), by :func:`cstheory.baselines.tv_admm`
    when A is a :class:`cstheory.mri.SubsampledFourier` (its Gram is Fourier-diagonal) and by
    :func:`cstheory.baselines.tv` (Chambolle–Pock, ``boundary="periodic"``) otherwise.

    Parameters
    ----------
    method : str
        A registered method with λ (``"l1-dct"``, ``"l1-haar"``, ``"tv"``, ``"tv-box"``, …).
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default the "fraction" rule (``FRACTIONS[method]`` · :func:`lambda_scale`).
    **kwargs
        Passed on to the solver (``steps``, ``tol``, ``x0``, ``rng``, ``lam_fraction``, …).

    Returns
    -------
    BaselineResult

    Raises
    ------
    TypeError
        For a non-string ``method``, a keyword the solver does not take, and as the solver.
    ValueError
        For an unknown ``method`` (naming the known ones), and as the solver.
    cstheory.DivergenceError
        As the solver.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0)
    >>> print(sorted(baselines.solve("tv", P.operator, P.y).step_sizes))      # Fourier data: ADMM-FFT
    ['rho']
    >>> G = np.random.default_rng(0).standard_normal((24, 36))                 # a dense A: Chambolle–Pock
    >>> ramp = np.linspace(-0.5, 1.5, 36)                                      # a truth outside [0, 1]
    >>> res = baselines.solve("tv-box", G, G @ ramp, shape=(6, 6), lam=0.01, tol=1e-3)
    >>> print(sorted(res.step_sizes), float(res.image.min()), float(res.image.max()))    # the box holds
    ['sigma', 'tau'] 0.0 1.0
    """
    return get(method, iterative=True).solver(A, y, shape, lam=lam, **kwargs)


def reconstruct(method, A, y, shape=None, **kwargs):
    """Run the classical method ``method`` (one of ``METHODS``) and return the (h, w) image.

    Parameters
    ----------
    method : str
        A registered method (``"zero-filled"``, ``"l1-dct"``, ``"l1-haar"``, ``"tv"``, ``"tv-box"``, …).
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    **kwargs
        Passed on to the method's solver (:func:`solve` for a method with λ).

    Returns
    -------
    array (h, w)
        On y's backend.

    Raises
    ------
    TypeError
        For a non-string ``method``, and as the solver.
    ValueError
        For an unknown ``method`` (naming the known ones), and as the solver.

    Examples
    --------
    The PSNR gain of TV over zero filling on a small phantom, 4× Cartesian undersampling:

    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem, psnr
    >>> P = mri_problem("shepp_logan", size=32, acceleration=4, rng=0, oversample=4)
    >>> gain = psnr(baselines.reconstruct("tv", P.operator, P.y), P.image) - psnr(
    ...     baselines.reconstruct("zero-filled", P.operator, P.y), P.image)
    >>> print(round(gain, 1))                     # dB: the piecewise-constant prior pays off
    4.3
    """
    record = get(method)
    if record.iterative:
        return solve(method, A, y, shape, **kwargs).image
    return record.solver(A, y, shape, **kwargs)


def lambda_scale(method, A, y, shape=None):
    """The data scale of the "fraction" rule: ‖Ψ Aᵀ y‖_∞ for ℓ1 in a basis Ψ (λ_max), ‖Aᵀ y‖_∞ for TV.

    For ℓ1 it is λ_max, the smallest λ for which x = 0 minimises ½‖A x − y‖² + λ‖Ψ x‖₁
    (0 is optimal iff ‖Ψ Aᵀ y‖_∞ ≤ λ), so the rule's λ = fraction · scale is invariant
    under y → c y up to the factor c.  Each method's record holds its scale (:class:`Method`).

    Parameters
    ----------
    method : str
        A registered method with λ (``"l1-dct"``, ``"l1-haar"``, ``"tv"``, ``"tv-box"``, …).
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).

    Returns
    -------
    float
        ≥ 0 (0 when Aᵀ y = 0).

    Raises
    ------
    TypeError, ValueError
        For a non-string or unknown ``method`` (never a silent default), and as
        :func:`cstheory.baselines.zero_filled` for ``A``, ``y``, ``shape``.

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0)
    >>> lam_max = baselines.lambda_scale("l1-haar", P.operator, P.y)
    >>> at = baselines.l1_haar(P.operator, P.y, lam=lam_max).image
    >>> below = baselines.l1_haar(P.operator, P.y, lam=0.9 * lam_max).image
    >>> print(float(abs(at).max()), float(abs(below).max()) > 0)     # x = 0 from λ_max on, not below
    0.0 True
    """
    record = get(method, iterative=True)
    xp, shape = setup(A, y, shape)
    return record.lambda_scale(xp, A, y, shape)


def docs_table():
    """The methods as a reStructuredText list-table (name, problem, solver), read from the registry.

    Examples
    --------
    >>> from cstheory.baselines import registry
    >>> print(registry.docs_table().splitlines()[0])
    .. list-table::
    """
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 15 50 35", "",
             "   * - name", "     - problem", "     - solver"]
    for m in methods():
        lines += [f'   * - ``"{m.name}"``', f"     - {m.problem}", f"     - {m.algorithm}"]
    return "\n".join(lines)
