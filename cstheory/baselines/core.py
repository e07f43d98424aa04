"""What every baseline shares: :class:`BaselineResult`, the tolerances, the argument checks, the divergence watch.

The checks are those of the package (:mod:`cstheory._checks`), applied before any work; each error
names its argument.  The functions without an underscore here are the package's own helpers: the
solver modules import them, the face (:mod:`cstheory.baselines`) does not export them.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

import array_api_compat
import numpy as np

from .. import _checks
from .._backend import as_generator, backend_name, namespace, same_backend
from .._repr import compact_repr
from ..fit import DivergenceMonitor
from ..operators import as_operator, operator_norm

__all__ = ["BaselineResult", "TOL", "TOL_ADMM", "TOL_CP", "GRID_RATIO"]

#: the step (a factor in λ) of the oracle's and the discrepancy rule's walk from the fraction rule's λ
GRID_RATIO = 4.0
#: safety factor on power-iteration estimates of ‖A‖² (they approach it from below)
NORM_SAFETY = 1.01
#: default tolerances: FISTA's relative duality gap (``TOL``), ADMM's relative primal/dual residuals
#: (``TOL_ADMM``) and Chambolle–Pock's relative primal–dual residual (``TOL_CP``); on the Fig. 5
#: problems a 10× tighter tolerance changes the PSNR by < 0.01 dB (tested; measured ≤ 0.002 dB for 100×)
TOL = 1e-3
TOL_ADMM = 1e-4
TOL_CP = 1e-5


@compact_repr(headline=("relative_change",))
@dataclass
class BaselineResult:
    """Outcome of a classical reconstruction.

    Attributes
    ----------
    image : array (h, w)
        The reconstruction, on the backend and with the dtype of ``y``.
    objective : numpy.ndarray (steps_taken + 1,)
        Objective value at every iterate (entry 0 = the starting point), float64.
    lam : float
        Regularization weight λ used.
    steps_taken : int
        Iterations run (a count; ``FitResult.iterations`` is an array of iteration numbers).
    method : str
        ``"l1-dct"``, ``"l1-haar"``, ``"tv"``, ``"tv-box"`` (or the name given to :func:`fista_l1`).
    step_sizes : dict
        ``{"step": 1/L}`` (FISTA), ``{"tau": τ, "sigma": σ}`` (Chambolle–Pock) or
        ``{"rho": final ρ}`` (ADMM).
    converged : bool
        Whether the stopping criterion fired (``False``: the cap ``steps`` was hit).
    criterion : str
        What ``residual`` measures.
    residual : float
        The criterion's value at the last iterate.
    tol : float
        The tolerance it was compared with.

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=16, acceleration=2, rng=0)
    >>> res = baselines.tv_admm(P.operator, P.y)
    >>> print(res.method, res.converged, res.residual <= res.tol, res.image.shape)
    tv True True (16, 16)
    >>> print(res.relative_change < 1e-4)        # the objective has settled over the last 10 iterations
    True
    """

    image: object
    objective: np.ndarray
    lam: float
    steps_taken: int
    method: str
    step_sizes: dict = field(default_factory=dict)
    converged: bool = False
    criterion: str = ""
    residual: float = float("nan")
    tol: float = 0.0

    @property
    def relative_change(self) -> float:
        """(max − min) of the objective over the last 10 iterations, divided by |F_last|.

        Raises
        ------
        ValueError
            For a result without any recorded objective.
        """
        tail = np.asarray(self.objective[-11:], dtype=np.float64)
        if tail.size == 0:
            raise ValueError("relative_change: the result records no objective value")
        return float((tail.max() - tail.min()) / max(abs(tail[-1]), 1e-300))


def setup(A, y, shape):
    """Check A (an array or operator), y (1-D, real, finite, of length m) and the image shape; → (xp, shape).

    The shape is (h, w), or (2, h, w) for a complex image (the default for a complex-image
    :class:`cstheory.mri.SubsampledFourier`, its ``signal_shape``)."""
    A = as_operator(A)
    m, n = A.shape
    _checks.array(y, "y", ndim=1)
    if y.shape[0] != m:
        raise ValueError(f"y must have length m = {m} (rows of A), got {y.shape[0]}")
    if shape is None:
        shape = getattr(A, "signal_shape", None) or getattr(A, "image_shape", None)
        if shape is None:
            raise ValueError("shape must be given (the image shape (h, w)) when A has no image_shape")
    complex_shape = isinstance(shape, (tuple, list)) and len(shape) == 3        # (2, h, w): a complex image
    shape = _checks.shape_tuple(shape, "shape", lengths=(3,) if complex_shape else (2,), int_ok=False)
    if len(shape) == 3 and shape[0] != 2:
        raise ValueError(f"shape must be (h, w), or (2, h, w) for a complex image (real and imaginary part), "
                         f"got {shape}")
    if math.prod(shape) != n:
        raise ValueError(f"shape {shape} has {math.prod(shape)} pixels but A has {n} columns")
    xp = namespace(y)
    if A.xp is not None and not same_backend(A.xp, xp):
        raise TypeError(f"A and y come from different backends: A works on {backend_name(A.xp)} arrays "
                        f"but y is a {backend_name(xp)} array")
    return xp, shape


def is_complex(shape):
    """Whether an image shape checked by :func:`setup` is that of a complex image, (2, h, w)."""
    return len(shape) == 3


def refuse_complex(shape, what):
    """A ValueError naming ``shape`` for a method that has no meaning for complex images."""
    if is_complex(shape):
        raise ValueError(f"shape {tuple(shape)} is a complex image (real and imaginary part): {what}")


def lipschitz(A, rng=0):
    """‖A‖² with a 1 % safety margin (power iteration approaches it from below)."""
    return NORM_SAFETY * operator_norm(A, rng=rng) ** 2


def check_steps(steps, tol):
    """The iteration cap (≥ 1) and the tolerance (≥ 0)."""
    steps = _checks.positive_int(steps, "steps")
    tol = _checks.positive_float(tol, "tol", allow_zero=True)
    return steps, tol


def check_lam(lam, lam_fraction):
    """λ ≥ 0 or None, and the fraction ≥ 0 or None (both checked, whichever is used)."""
    if lam is not None:
        lam = _checks.positive_float(lam, "lam", allow_zero=True)
    if lam_fraction is not None:
        lam_fraction = _checks.positive_float(lam_fraction, "lam_fraction", allow_zero=True)
    return lam, lam_fraction


def check_rng(rng):
    """A seed ≥ 0 or a numpy Generator (``as_generator`` names ``rng``); returned as given (no draw)."""
    as_generator(rng)
    return rng


def check_x0(x0, y, shape):
    """The starting image: None, or a real finite array of the image's entries (``shape`` or flat) on y's backend."""
    if x0 is None:
        return None
    _checks.array(x0, "x0", ndim=(1, len(shape)))
    _checks.namespace(y=y, x0=x0)
    if math.prod(x0.shape) != math.prod(shape) or (x0.ndim == 3 and tuple(x0.shape) != tuple(shape)):
        raise ValueError(f"x0 must hold {math.prod(shape)} pixels (shape {tuple(shape)}), got shape "
                         f"{tuple(x0.shape)}")
    return x0


def check_box(box):
    """None, or a pair (lower, upper) of finite reals with lower < upper, as floats."""
    if box is None:
        return None
    if not isinstance(box, (tuple, list)):
        raise TypeError(f"box must be a pair (lower, upper) or None, got {type(box).__name__} {box!r}"[:200])
    if len(box) != 2:
        raise ValueError(f"box must be a pair (lower, upper) or None, got {len(box)} entries {tuple(box)!r}")
    lo = _checks.real(box[0], "box lower bound")
    hi = _checks.real(box[1], "box upper bound")
    if not lo < hi:
        raise ValueError(f"box must have lower < upper, got {tuple(box)!r}")
    return lo, hi


BOUNDARIES = ("neumann", "periodic")


def check_boundary(boundary):
    """One of :data:`BOUNDARIES`."""
    return _checks.choice(boundary, BOUNDARIES, "boundary")


def check_levels(levels):
    """None or an integer ≥ 0 (levels of a wavelet transform)."""
    return None if levels is None else _checks.integer(levels, "levels", minimum=0)


def start(x0, xp, shape, y):
    """The starting image: x0 in y's dtype, shaped (h, w), or zeros."""
    if x0 is None:
        return xp.zeros(shape, dtype=y.dtype, device=device(y))
    return xp.reshape(xp.asarray(x0, dtype=y.dtype), shape)


def device(x):
    """The device of an array."""
    return array_api_compat.device(x)


def vector_norm(xp, x):
    """‖x‖₂ of all entries, as a Python float."""
    return float(xp.linalg.vector_norm(xp.reshape(x, (-1,))))


def names(value, name, options):
    """One name of ``options`` or a non-empty sequence of them, as a tuple."""
    if isinstance(value, str):
        return (_checks.choice(value, options, name),)
    out = sequence(value, name)
    return tuple(_checks.choice(v, options, f"{name} entry") for v in out)


def sequence(value, name, scalar=None):
    """A non-empty list/tuple/1-D array as a tuple; a single value of type ``scalar`` as a 1-tuple."""
    if scalar is not None and isinstance(value, scalar) and not isinstance(value, (bool, np.bool_)):
        return (value,)
    if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, "__iter__") or getattr(value, "ndim", 1) != 1:
        raise TypeError(f"{name} must be a sequence (a tuple or list), got {type(value).__name__} {value!r}"[:200])
    out = tuple(value)
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out



def divergence_watch(what, hint, F0, y, xp):
    """:class:`cstheory.fit.DivergenceMonitor` on a solver's objective, checked at every iterate: the scale is
    the larger of F(x0) and ½‖y‖² (the objective at x = 0); idle when that is not finite."""
    half_yy = min(0.5 * float(xp.sum(y * y)), sys.float_info.max)        # an overflow: F(0) = inf, idle
    watch = DivergenceMonitor(what=what, hint=hint, scale=half_yy, quantity="objective")
    watch.check_loss(0, F0)           # the first loss is F(x0): the scale is max(F(x0), ½‖y‖²) from here on
    return watch
