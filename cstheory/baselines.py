"""Classical compressive-sensing reconstructions (floor 5), the baselines of Sec. 5 / Fig. 5.

Hand-written methods for an image x ∈ R^{h×w} measured as y = A x + e, with
any ``A`` that supports ``A @ x`` and ``A.T @ r`` (a dense array, or a
:class:`cstheory.LinearOperator` such as :class:`cstheory.SubsampledFourier`).
The loss term ½‖A x − y‖² is that of eq. (2) with the identity generator.

.. list-table::
   :header-rows: 1
   :widths: 15 50 35

   * - name
     - problem
     - solver
   * - ``"zero-filled"``
     - |F^H P_Ωᵀ y| (Fourier data; Aᵀy otherwise)
     - one inverse FFT
   * - ``"l1-dct"``
     - min ½‖A x − y‖² + λ ‖Ψ x‖₁, Ψ the orthonormal 2-D DCT
     - FISTA (:func:`fista_l1`)
   * - ``"l1-haar"``
     - the same with Ψ the orthonormal multi-level Haar (:func:`haar2`)
     - FISTA (:func:`fista_l1`)
   * - ``"tv"``
     - min ½‖A x − y‖² + λ TV(x), isotropic, periodic
     - ADMM with an exact FFT x-update (:func:`tv_admm`) or Chambolle–Pock (:func:`tv`)
   * - ``"tv-box"``
     - the same subject to 0 ≤ x ≤ 1
     - the same, with the box

Everything is array-API code (NumPy, CuPy, array_api_strict).

**Which TV.**  TV(x) = Σ_ij ‖(∇x)_ij‖₂ with forward differences.  Two
boundary conditions are implemented (:func:`gradient`): ``"neumann"``
(the difference across the last row/column is 0) and ``"periodic"`` (it
wraps around, x[0] − x[h−1]).  :func:`tv` (Chambolle–Pock, any ``A``) takes
either; :func:`tv_admm` needs ``"periodic"``: then ∇ᵀ∇ is the circulant
5-point Laplacian, diagonal in the Fourier basis, and so is AᵀA for Fourier
sampling, so ADMM's x-update is one division in k-space.  The two solvers
give the same minimiser for the same (periodic) TV (tested).  ``"tv"`` and
``"tv-box"`` in :func:`reconstruct` and :func:`tune_lambda` mean the
periodic TV, solved by ADMM-FFT when ``A`` has a Fourier-diagonal Gram
matrix and by Chambolle–Pock otherwise.

**Convergence.**  Every iterative method stops on a stated criterion below
``tol``: FISTA on the relative duality gap of the LASSO (a certificate on
the objective), ADMM on its relative primal and dual residuals (Boyd et al.),
Chambolle–Pock on its relative primal–dual residual; the iteration cap
``iters`` is only a safety net.  The result
reports ``converged``, the criterion's name and its final value
(``residual``), and the objective at every iterate, from which
:attr:`BaselineResult.relative_change` (relative objective change over the
last 10 iterations) is read.

**Regularization weights** (see :func:`tune_lambda`):

* ``"oracle"`` — the λ of a geometric grid (ratio 4, refined to 2) with the
  best PSNR against the ground truth: a fair *upper bound* for the method (no
  user has the truth);
* ``"discrepancy"`` (noisy data, Morozov's principle) — the largest λ of the
  grid with ‖A x_λ − y‖² ≤ m_eff σ², m_eff = len(y) real measurements of
  noise variance σ² each (E‖e‖² = m_eff σ²): fit the data no better than
  the truth does.  Needs σ (in MRI it is measured from k-space corners or a
  noise scan; here it is known from the simulation);
* ``"fraction"`` (noiseless data: the discrepancy principle would drive λ to
  0) — λ = fraction · scale, a fixed fraction of the data's own scale:
  ℓ1: scale = ‖Ψ Aᵀ y‖_∞, the smallest λ for which x = 0 is optimal; TV:
  scale = ‖Aᵀ y‖_∞.  The fractions (:data:`FRACTIONS`) were fixed once by
  :func:`calibrate_fractions` on calibration images of the phantom's class
  that appear in no experiment or test (random ellipse phantoms,
  :func:`calibration_phantom`, seeds 0, 1, 2; noiseless, 64×64, k-space from
  a 4× finer grid, Cartesian masks at 4× and 8×): the fraction of the grid
  {1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1} with the best mean PSNR.
  Measured with the solvers' default tolerances (mean PSNR over the six
  acquisitions): TV 26.42 dB and TV+box
  26.50 dB at 1e-3 (26.33 / 26.41 at 1e-5, 21.92 at 1e-1); ℓ1-DCT 22.13 dB
  at 3e-4 and ℓ1-Haar 22.08 dB at 1e-3 (22.11 / 21.88 at 1e-5, 17.57 /
  16.89 at 1e-1): on these Cartesian acquisitions ℓ1 sparsity gains little
  over a least-squares fit, whatever λ.

Step sizes come from operator norms (power iteration with a 1 % margin).

**Input and failure.**  Every public function checks its arguments before it
does any work, with the package's shared checks (the README's "Input
contract"): a ``TypeError`` for the wrong kind of argument (a string for a
shape, 1 for a flag, an integer array, another backend than ``y``'s), a
``ValueError`` for a wrong value (a shape whose pixels do not match ``A``,
NaN in ``y``, λ < 0, ``A = 0`` for FISTA, whose step 1/‖A‖² would not
exist); each message names the argument.  An iteration that blows up (an
``A.T`` that is not the adjoint of ``A``, a non-orthonormal Ψ given to
:func:`fista_l1`) raises :class:`cstheory.DivergenceError` by the rule of
:class:`cstheory.fit.DivergenceMonitor`: the objective NaN/inf or above
10⁶ times its scale.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import array_api_compat
import numpy as np

from . import _checks
from ._backend import as_generator, backend_name, dct, fft2, idct, ifft2, namespace, resolve, same_backend
from ._repr import compact_repr
from .fit import DIVERGENCE_FACTOR, DivergenceError
from .operators import as_operator, operator_norm

__all__ = ["BaselineResult", "LambdaChoice", "zero_filled", "fista_l1", "l1_dct", "l1_haar", "tv", "tv_admm",
           "gradient", "gradient_adjoint", "total_variation", "soft_threshold", "shrink", "haar2", "ihaar2",
           "haar_plan", "fourier_gram", "laplacian_symbol", "tune_lambda", "calibrate_fractions", "calibration_phantom",
           "lambda_scale",
           "METHODS", "ITERATIVE", "FRACTIONS", "GRID_RATIO", "reconstruct", "L1_FRACTION", "TV_FRACTION", "TOL",
           "TOL_ADMM", "TOL_CP"]

#: λ = FRACTIONS[method] · lambda_scale(method, A, y) for the noiseless "fraction" rule (calibrated on
#: random ellipse phantoms by :func:`calibrate_fractions`; see the module docstring)
FRACTIONS = {"l1-dct": 3e-4, "l1-haar": 1e-3, "tv": 1e-3, "tv-box": 1e-3}
#: kept for compatibility: the ℓ1-DCT and TV fractions
L1_FRACTION = FRACTIONS["l1-dct"]
TV_FRACTION = FRACTIONS["tv"]
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
#: the largest number of ellipses :func:`calibration_phantom` draws (each costs a pass over the fine grid)
MAX_ELLIPSES = 10_000


@compact_repr(headline=("relative_change",))
@dataclass
class BaselineResult:
    """Outcome of a classical reconstruction.

    Attributes
    ----------
    image : array (h, w)
        The reconstruction, on the backend and with the dtype of ``y``.
    objective : numpy.ndarray (iterations + 1,)
        Objective value at every iterate (entry 0 = the starting point), float64.
    lam : float
        Regularization weight λ used.
    iterations : int
        Iterations run.
    method : str
        ``"l1-dct"``, ``"l1-haar"``, ``"tv"``, ``"tv-box"`` (or the name given to :func:`fista_l1`).
    step_sizes : dict
        ``{"step": 1/L}`` (FISTA), ``{"tau": τ, "sigma": σ}`` (Chambolle–Pock) or
        ``{"rho": final ρ}`` (ADMM).
    converged : bool
        Whether the stopping criterion fired (``False``: the cap ``iters`` was hit).
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
    iterations: int
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


# ---------------------------------------------------------------------------
# argument checks shared by the solvers (through cstheory._checks)
# ---------------------------------------------------------------------------
def _setup(A, y, shape):
    """Check A (an array or operator), y (1-D, real, finite, of length m) and the image shape; → (xp, (h, w))."""
    A = as_operator(A)
    m, n = A.shape
    _checks.array(y, "y", ndim=1)
    if y.shape[0] != m:
        raise ValueError(f"y must have length m = {m} (rows of A), got {y.shape[0]}")
    if shape is None:
        shape = getattr(A, "image_shape", None)
        if shape is None:
            raise ValueError("shape must be given (the image shape (h, w)) when A has no image_shape")
    h, w = _checks.shape_tuple(shape, "shape", lengths=(2,), int_ok=False)
    if h * w != n:
        raise ValueError(f"shape {(h, w)} has {h * w} pixels but A has {n} columns")
    xp = namespace(y)
    if A.xp is not None and not same_backend(A.xp, xp):
        raise TypeError(f"A and y come from different backends: A works on {backend_name(A.xp)} arrays "
                        f"but y is a {backend_name(xp)} array")
    return xp, (h, w)


def _lipschitz(A, rng=0):
    """‖A‖² with a 1 % safety margin (power iteration approaches it from below)."""
    return NORM_SAFETY * operator_norm(A, rng=rng) ** 2


def _check_iters(iters, tol):
    iters = _checks.positive_int(iters, "iters")
    tol = _checks.positive_float(tol, "tol", allow_zero=True)
    return iters, tol


def _check_lam(lam, lam_fraction):
    """λ ≥ 0 or None, and the fraction ≥ 0 or None (both checked, whichever is used)."""
    if lam is not None:
        lam = _checks.positive_float(lam, "lam", allow_zero=True)
    if lam_fraction is not None:
        lam_fraction = _checks.positive_float(lam_fraction, "lam_fraction", allow_zero=True)
    return lam, lam_fraction


def _check_rng(rng):
    """A seed ≥ 0 or a numpy Generator (``as_generator`` names ``rng``); returned as given (no draw)."""
    as_generator(rng)
    return rng


def _check_x0(x0, y, shape):
    """The starting image: None, or a real finite array of h·w pixels ((h, w) or flat) on y's backend."""
    if x0 is None:
        return None
    _checks.array(x0, "x0", ndim=(1, 2))
    _checks.namespace(y=y, x0=x0)
    if x0.shape[0] * (x0.shape[1] if x0.ndim == 2 else 1) != shape[0] * shape[1]:
        raise ValueError(f"x0 must hold {shape[0] * shape[1]} pixels (shape {shape}), got shape {tuple(x0.shape)}")
    return x0


def _box(box):
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


_BOUNDARIES = ("neumann", "periodic")


def _check_boundary(boundary):
    return _checks.choice(boundary, _BOUNDARIES, "boundary")


def _check_levels(levels):
    return None if levels is None else _checks.integer(levels, "levels", minimum=0)


def _start(x0, xp, shape, y):
    if x0 is None:
        return xp.zeros(shape, dtype=y.dtype, device=_device(y))
    return xp.reshape(xp.asarray(x0, dtype=y.dtype), shape)


def _device(x):
    return array_api_compat.device(x)


def _norm(xp, x):
    return float(xp.linalg.vector_norm(xp.reshape(x, (-1,))))


class _Watch:
    """:class:`cstheory.fit.DivergenceMonitor`'s rule on a solver's objective, checked at every iteration:
    ``DivergenceError`` when F is NaN/inf or exceeds ``DIVERGENCE_FACTOR`` × its scale, the larger of
    F(x0) and ½‖y‖² (the objective at x = 0).  Idle when that scale itself is not finite."""

    def __init__(self, what, hint, F0, y, xp):
        self.what, self.hint = what, hint
        self.scale = max(F0, 0.5 * float(xp.sum(y * y)), 1e-300)
        self.active = math.isfinite(self.scale)

    def __call__(self, k, F):
        if self.active and (not math.isfinite(F) or F > DIVERGENCE_FACTOR * self.scale):
            raise DivergenceError(f"{self.what} diverged at iteration {k}: objective {F:.3g}, more than "
                                  f"{DIVERGENCE_FACTOR:.0e} times its scale {self.scale:.3g} (the larger of the "
                                  f"objective at x0 and at 0); {self.hint}")


_SOLVER_KEYWORDS = {"l1-dct": ("iters", "tol", "monotone", "rng"),
                    "l1-haar": ("iters", "tol", "monotone", "rng", "levels"),
                    "tv": ("iters", "tol", "rng", "rho", "adapt_rho", "isotropic"),
                    "tv-box": ("iters", "tol", "rng", "rho", "adapt_rho", "isotropic")}


def _check_solver_keywords(method, kwargs, where):
    """The keywords ``where`` passes on to :func:`solve` for ``method``: known names, valid values."""
    allowed = _SOLVER_KEYWORDS[method]
    for key, value in kwargs.items():
        if key not in allowed:
            raise TypeError(f"{where} got an unexpected keyword argument {key!r} for method {method!r} "
                            f"(it passes on {', '.join(allowed)})")
        if key == "iters":
            _checks.positive_int(value, "iters")
        elif key == "tol":
            _checks.positive_float(value, "tol", allow_zero=True)
        elif key in ("monotone", "adapt_rho", "isotropic"):
            _checks.flag(value, key)
        elif key == "rng":
            _check_rng(value)
        elif key == "rho" and value is not None:
            _checks.positive_float(value, "rho")
        elif key == "levels":
            _check_levels(value)


def _names(value, name, options):
    """One name of ``options`` or a non-empty sequence of them, as a tuple."""
    if isinstance(value, str):
        return (_checks.choice(value, options, name),)
    out = _sequence(value, name)
    return tuple(_checks.choice(v, options, f"{name} entry") for v in out)


def _sequence(value, name, scalar=None):
    """A non-empty list/tuple/1-D array as a tuple; a single value of type ``scalar`` as a 1-tuple."""
    if scalar is not None and isinstance(value, scalar) and not isinstance(value, (bool, np.bool_)):
        return (value,)
    if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, "__iter__") or getattr(value, "ndim", 1) != 1:
        raise TypeError(f"{name} must be a sequence (a tuple or list), got {type(value).__name__} {value!r}"[:200])
    out = tuple(value)
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out


# ---------------------------------------------------------------------------
# proximal maps
# ---------------------------------------------------------------------------
def _soft(c, t):
    xp = namespace(c)
    return xp.sign(c) * xp.clip(xp.abs(c) - t, min=0.0)


def soft_threshold(c, t):
    """The prox of t‖·‖₁: sign(c) · max(|c| − t, 0), entrywise.

    Parameters
    ----------
    c : array of any shape
        Real, finite (float32 or float64), any backend; 0-d too.
    t : float
        The threshold, t ≥ 0.

    Returns
    -------
    array
        Same shape, dtype and backend as ``c``.

    Raises
    ------
    TypeError
        For a ``c`` that is not a real floating array, or a ``t`` that is not a real number.
    ValueError
        For NaN/inf or an empty ``c``, or t < 0 or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import soft_threshold
    >>> print(soft_threshold(np.array([-3.0, -0.5, 0.0, 0.2, 2.0]), 1.0))   # shrinks by 1, kills |c| ≤ 1
    [-2. -0.  0.  0.  1.]
    """
    _checks.array(c, "c")
    t = _checks.positive_float(t, "t", allow_zero=True)
    return _soft(c, t)


def _shrink(g, t):
    xp = namespace(g)
    mag = xp.sqrt(g[0, ...] * g[0, ...] + g[1, ...] * g[1, ...])
    factor = xp.clip(1.0 - t / xp.clip(mag, min=1e-300), min=0.0)
    return g * factor


def shrink(g, t):
    """The prox of t Σ_ij ‖g_ij‖₂ (vector shrinkage): g_ij · max(1 − t/‖g_ij‖₂, 0).

    The prox of the isotropic TV's norm on a gradient field; :func:`tv_admm`'s z-update.

    Parameters
    ----------
    g : array (2, h, w)
        A vector field (two components per pixel), real, finite.
    t : float
        The threshold, t ≥ 0.

    Returns
    -------
    array (2, h, w)
        Each vector g_ij shortened by t (to 0 if ‖g_ij‖₂ ≤ t), its direction kept.

    Raises
    ------
    TypeError
        For a ``g`` that is not a real floating array, or a ``t`` that is not a real number.
    ValueError
        For a ``g`` not of shape (2, h, w), with NaN/inf, or a negative ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import shrink
    >>> g = np.zeros((2, 1, 2))
    >>> g[:, 0, 0] = [3.0, 4.0]                    # a vector of length 5 …
    >>> g[:, 0, 1] = [0.3, 0.4]                    # … and one of length 0.5
    >>> out = shrink(g, 1.0)
    >>> print(out[:, 0, 0], out[:, 0, 1])          # length 4 in the same direction; the short one is 0
    [2.4 3.2] [0. 0.]
    """
    _checks.array(g, "g", ndim=3)
    if g.shape[0] != 2:
        raise ValueError(f"g must have shape (2, h, w) (a vector per pixel), got {tuple(g.shape)}")
    t = _checks.positive_float(t, "t", allow_zero=True)
    return _shrink(g, t)


# ---------------------------------------------------------------------------
# finite differences and TV
# ---------------------------------------------------------------------------
def _grad(x, boundary):
    xp = namespace(x)
    if boundary == "periodic":
        return xp.stack([xp.roll(x, -1, axis=0) - x, xp.roll(x, -1, axis=1) - x])
    h, w = x.shape
    z_row = xp.zeros((1, w), dtype=x.dtype, device=_device(x))
    z_col = xp.zeros((h, 1), dtype=x.dtype, device=_device(x))
    g0 = xp.concat([x[1:, :] - x[:-1, :], z_row], axis=0)
    g1 = xp.concat([x[:, 1:] - x[:, :-1], z_col], axis=1)
    return xp.stack([g0, g1])


def _grad_t(p, boundary):
    xp = namespace(p)
    if boundary == "periodic":
        return (xp.roll(p[0, ...], 1, axis=0) - p[0, ...]) + (xp.roll(p[1, ...], 1, axis=1) - p[1, ...])
    _, h, w = p.shape
    q0 = p[0, :-1, :]          # the entries ∇ can produce (last row is always 0)
    q1 = p[1, :, :-1]
    z_row = xp.zeros((1, w), dtype=p.dtype, device=_device(p))
    z_col = xp.zeros((h, 1), dtype=p.dtype, device=_device(p))
    a0 = xp.concat([z_row, q0], axis=0) - xp.concat([q0, z_row], axis=0)
    a1 = xp.concat([z_col, q1], axis=1) - xp.concat([q1, z_col], axis=1)
    return a0 + a1


def gradient(x, boundary="neumann"):
    """Forward differences ∇x of an (h, w) image, shape (2, h, w).

    ∇x[0, i, j] = x[i+1, j] − x[i, j] and ∇x[1, i, j] = x[i, j+1] − x[i, j], with
    ``boundary="neumann"``: 0 on the last row (column); ``"periodic"``: indices
    modulo h (w), so the last row holds x[0, j] − x[h−1, j].  ‖∇‖² ≤ 8 for both.

    Parameters
    ----------
    x : array (h, w)
        Real, finite, any backend.
    boundary : {"neumann", "periodic"}
        The boundary condition.

    Returns
    -------
    array (2, h, w)
        The vertical and the horizontal differences, same dtype and backend as ``x``.

    Raises
    ------
    TypeError
        For an ``x`` that is not a real floating array, or a non-string ``boundary``.
    ValueError
        For an ``x`` that is not 2-D, empty or has NaN/inf, or an unknown ``boundary``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import gradient
    >>> ramp = np.tile(np.arange(4.0), (3, 1))       # x[i, j] = j
    >>> g = gradient(ramp)
    >>> print(g[1])                                  # slope 1, and 0 across the last column (Neumann)
    [[1. 1. 1. 0.]
     [1. 1. 1. 0.]
     [1. 1. 1. 0.]]
    >>> print(gradient(ramp, "periodic")[1, 0])      # periodic: x[i, 0] − x[i, 3] = −3 wraps around
    [ 1.  1.  1. -3.]
    """
    _checks.array(x, "x", ndim=2)
    return _grad(x, _check_boundary(boundary))


def gradient_adjoint(p, boundary="neumann"):
    """∇ᵀ p (minus the discrete divergence) of a field p of shape (2, h, w), for the same ``boundary``.

    Parameters
    ----------
    p : array (2, h, w)
        Real, finite, any backend.
    boundary : {"neumann", "periodic"}
        The boundary condition of the :func:`gradient` it is the adjoint of.

    Returns
    -------
    array (h, w)
        ∇ᵀ p, with ⟨∇x, p⟩ = ⟨x, ∇ᵀp⟩ for every x.

    Raises
    ------
    TypeError
        For a ``p`` that is not a real floating array, or a non-string ``boundary``.
    ValueError
        For a ``p`` not of shape (2, h, w), with NaN/inf, or an unknown ``boundary``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import gradient, gradient_adjoint
    >>> rng = np.random.default_rng(0)
    >>> x, p = rng.standard_normal((5, 7)), rng.standard_normal((2, 5, 7))
    >>> for b in ("neumann", "periodic"):              # adjointness, ⟨∇x, p⟩ − ⟨x, ∇ᵀp⟩
    ...     print(b, abs(np.sum(gradient(x, b) * p) - np.sum(x * gradient_adjoint(p, b))) < 1e-12)
    neumann True
    periodic True
    """
    _checks.array(p, "p", ndim=3)
    if p.shape[0] != 2:
        raise ValueError(f"p must have shape (2, h, w) (a vector per pixel), got {tuple(p.shape)}")
    return _grad_t(p, _check_boundary(boundary))


def _tv_of(g, isotropic=True):
    xp = namespace(g)
    if isotropic:
        return float(xp.sum(xp.sqrt(g[0, ...] * g[0, ...] + g[1, ...] * g[1, ...])))
    return float(xp.sum(xp.abs(g)))


def total_variation(x, isotropic=True, boundary="neumann"):
    """TV(x) = Σ_ij ‖∇x_ij‖₂ (isotropic) or Σ_ij |∇x_ij|₁ (anisotropic), ∇ of :func:`gradient`.

    Parameters
    ----------
    x : array (h, w)
        Real, finite, any backend.
    isotropic : bool
        The Euclidean norm of each pixel's gradient (default) or the sum of the absolute differences.
    boundary : {"neumann", "periodic"}
        The boundary condition of ∇.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        For an ``x`` that is not a real floating array, a non-bool ``isotropic``, a non-string ``boundary``.
    ValueError
        For an ``x`` that is not 2-D, empty or has NaN/inf, or an unknown ``boundary``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import total_variation
    >>> x = np.zeros((4, 6))
    >>> x[:, 3:] = 2.0                                    # a vertical edge of height 2, 4 rows long
    >>> print(total_variation(x), total_variation(x, boundary="periodic"))   # periodic: it wraps, twice
    8.0 16.0
    """
    _checks.array(x, "x", ndim=2)
    isotropic = _checks.flag(isotropic, "isotropic")
    return _tv_of(_grad(x, _check_boundary(boundary)), isotropic)


def laplacian_symbol(shape, xp=None, dtype=None, device=None):
    """Eigenvalues of ∇ᵀ∇ (periodic) in the unshifted 2-D DFT layout: 4 sin²(π k/h) + 4 sin²(π l/w).

    ∇ᵀ∇ is the circulant 5-point Laplacian −Δ; e^{2πi(jk/h + j'l/w)} is its
    eigenvector with eigenvalue |e^{2πik/h} − 1|² + |e^{2πil/w} − 1|².
    Computed in float64 on the host, then converted.

    Parameters
    ----------
    shape : (int, int)
        The image shape (h, w).
    xp : namespace or str, optional
        Backend of the result (default NumPy).
    dtype : {None, "float32", "float64"} or such a dtype
        Default float64.
    device : optional
        Device of the result.

    Returns
    -------
    array (h, w)
        Λ, with ∇ᵀ∇ x = Re F^H (Λ ⊙ F x); 0 ≤ Λ ≤ 8, Λ[0, 0] = 0.

    Raises
    ------
    TypeError
        For a shape that is not a pair of integers, an unknown kind of ``xp``.
    ValueError
        For non-positive entries, a shape whose array would not fit in memory, an unknown
        ``xp`` name, a dtype other than float32/float64.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import gradient, gradient_adjoint, laplacian_symbol
    >>> x = np.random.default_rng(0).standard_normal((4, 6))
    >>> lhs = gradient_adjoint(gradient(x, "periodic"), "periodic")
    >>> rhs = np.real(np.fft.ifft2(laplacian_symbol((4, 6)) * np.fft.fft2(x)))
    >>> print(np.abs(lhs - rhs).max() < 1e-12, laplacian_symbol((4, 6)).max())   # the symbol; ‖∇‖² = 8
    True 8.0
    """
    h, w = _checks.shape_tuple(shape, "shape", lengths=(2,), int_ok=False)
    _checks.memory(_checks.nbytes((h, w)) * 3, f"laplacian_symbol(shape={(h, w)})")
    if xp is not None or dtype is not None:
        xp, dtype, device = resolve(xp, dtype, device)
    k = np.sin(np.pi * np.arange(h) / h) ** 2
    l_ = np.sin(np.pi * np.arange(w) / w) ** 2
    out = 4.0 * (k[:, None] + l_[None, :])
    if xp is None:
        return out
    return xp.asarray(out, dtype=dtype, device=device)


# ---------------------------------------------------------------------------
# orthonormal multi-level Haar wavelet
# ---------------------------------------------------------------------------
def _plan(h, w, levels):
    plan = []
    a, b = h, w
    while levels is None or len(plan) < levels:
        d0, d1 = a % 2 == 0 and a >= 2, b % 2 == 0 and b >= 2
        if not (d0 or d1):
            break
        plan.append((a, b, d0, d1))
        a, b = (a // 2 if d0 else a), (b // 2 if d1 else b)
    return plan


def haar_plan(shape, levels=None):
    """The block sizes of the multi-level 2-D Haar transform of an (h, w) image.

    Level ℓ transforms the top-left (a, b) block of approximation
    coefficients along axis 0 if a is even and along axis 1 if b is even (an
    odd side is left as it is), halving those sides.  ``levels=None`` goes on
    while a side can be halved.

    Parameters
    ----------
    shape : (int, int)
        The image shape (h, w).
    levels : int, optional
        At most this many levels (≥ 0); ``None``: as many as the sides allow.

    Returns
    -------
    list of (int, int, bool, bool)
        Per level (a, b, along0, along1): the block transformed and the axes halved.

    Raises
    ------
    TypeError
        For a shape that is not a pair of integers, a non-integer ``levels``.
    ValueError
        For non-positive entries of ``shape``, a negative ``levels``.

    Examples
    --------
    >>> from cstheory.baselines import haar_plan
    >>> for a, b, d0, d1 in haar_plan((12, 8)):      # the even sides halve: 12×8 → 6×4 → 3×2 → 3×1
    ...     print(a, b, d0, d1)
    12 8 True True
    6 4 True True
    3 2 False True
    """
    h, w = _checks.shape_tuple(shape, "shape", lengths=(2,), int_ok=False)
    return _plan(h, w, _check_levels(levels))


def _haar_axis(x, axis):
    """One orthonormal Haar step along ``axis``: [(x_even + x_odd)/√2 ; (x_even − x_odd)/√2]."""
    xp = namespace(x)
    r = 1.0 / math.sqrt(2.0)
    if axis == 0:
        e, o = x[0::2, :], x[1::2, :]
    else:
        e, o = x[:, 0::2], x[:, 1::2]
    return xp.concat([(e + o) * r, (e - o) * r], axis=axis)


def _ihaar_axis(c, axis):
    """Inverse of :func:`_haar_axis`: interleave (s + d)/√2 and (s − d)/√2."""
    xp = namespace(c)
    r = 1.0 / math.sqrt(2.0)
    half = c.shape[axis] // 2
    if axis == 0:
        s, d = c[:half, :], c[half:, :]
        return xp.reshape(xp.stack([(s + d) * r, (s - d) * r], axis=1), (2 * half, c.shape[1]))
    s, d = c[:, :half], c[:, half:]
    return xp.reshape(xp.stack([(s + d) * r, (s - d) * r], axis=2), (c.shape[0], 2 * half))


def _replace_block(x, block):
    """x with its top-left block replaced (array-API: by concatenation, no in-place writes)."""
    xp = namespace(x)
    a, b = block.shape
    top = xp.concat([block, x[:a, b:]], axis=1) if b < x.shape[1] else block
    return xp.concat([top, x[a:, :]], axis=0) if a < x.shape[0] else top


def _haar2(x, levels=None):
    for a, b, d0, d1 in _plan(x.shape[0], x.shape[1], levels):
        block = x[:a, :b]
        if d0:
            block = _haar_axis(block, 0)
        if d1:
            block = _haar_axis(block, 1)
        x = _replace_block(x, block)
    return x


def _ihaar2(c, levels=None):
    for a, b, d0, d1 in reversed(_plan(c.shape[0], c.shape[1], levels)):
        block = c[:a, :b]
        if d1:
            block = _ihaar_axis(block, 1)
        if d0:
            block = _ihaar_axis(block, 0)
        c = _replace_block(c, block)
    return c


def haar2(x, levels=None):
    """Orthonormal multi-level 2-D Haar analysis Ψ x of an (h, w) image (Mallat layout, :func:`haar_plan`).

    Each step maps a pair (x_even, x_odd) to ((x_even + x_odd)/√2, (x_even − x_odd)/√2), a rotation,
    so Ψ is orthonormal: Ψᵀ = Ψ⁻¹ = :func:`ihaar2`.  Any h and w (an odd side is not split further).

    Parameters
    ----------
    x : array (h, w)
        Real, finite, any backend.
    levels : int, optional
        Number of levels (≥ 0; default: as many as the sides allow).

    Returns
    -------
    array (h, w)
        The coefficients: the coarsest approximation at the top left, details around it.

    Raises
    ------
    TypeError
        For an ``x`` that is not a real floating array, a non-integer ``levels``.
    ValueError
        For an ``x`` that is not 2-D, empty or has NaN/inf, a negative ``levels``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import haar2
    >>> n = (6, 4)                                   # the matrix of Ψ, column by column
    >>> W = np.stack([haar2(e.reshape(n)).ravel() for e in np.eye(24)], axis=1)
    >>> print(np.abs(W.T @ W - np.eye(24)).max() < 1e-15)   # orthonormal: ΨᵀΨ = I
    True
    >>> print(haar2(np.full((8, 8), 3.0))[0, 0])      # a constant: one coefficient, 3 · √64
    24.0
    """
    _checks.array(x, "x", ndim=2)
    return _haar2(x, _check_levels(levels))


def ihaar2(c, levels=None):
    """Inverse (= adjoint) of :func:`haar2`: the synthesis Ψᵀ c.

    Parameters
    ----------
    c : array (h, w)
        Haar coefficients (layout of :func:`haar2`), real, finite.
    levels : int, optional
        The ``levels`` the coefficients were computed with.

    Returns
    -------
    array (h, w)
        The image Ψᵀ c.

    Raises
    ------
    TypeError
        For a ``c`` that is not a real floating array, a non-integer ``levels``.
    ValueError
        For a ``c`` that is not 2-D, empty or has NaN/inf, a negative ``levels``.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.baselines import haar2, ihaar2
    >>> x = np.random.default_rng(0).standard_normal((12, 10))
    >>> print(np.abs(ihaar2(haar2(x)) - x).max() < 1e-14, np.abs(ihaar2(haar2(x, 1), 1) - x).max() < 1e-14)
    True True
    """
    _checks.array(c, "c", ndim=2)
    return _ihaar2(c, _check_levels(levels))


# ---------------------------------------------------------------------------
# zero filling
# ---------------------------------------------------------------------------
def zero_filled(A, y, shape=None, part="magnitude"):
    """Zero-filled inverse FFT: F^H P_Ωᵀ y (the k-space with zeros at unsampled locations).

    For a :class:`cstheory.SubsampledFourier` ``A`` this is ``A.zero_filled(y, part)``:
    ``part="magnitude"`` (default, the usual MRI reconstruction) or ``"real"``
    (= Aᵀ y).  For any other operator, Aᵀ y reshaped to ``shape``.

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
        The measurement operator.
    y : array (m,)
        The measurements, real, finite, on A's backend.
    shape : (int, int), optional
        The image shape (default ``A.image_shape``).
    part : {"magnitude", "real"}
        What of the complex image a Fourier ``A`` returns.

    Returns
    -------
    array (h, w)

    Raises
    ------
    TypeError
        For an ``A`` that is not an operator or a 2-D array, a ``y`` of the wrong kind or backend, a
        shape that is not a pair of integers, a non-string ``part``.
    ValueError
        For a ``y`` of the wrong length or with NaN/inf, a ``shape`` whose pixels are not A's columns,
        an unknown ``part``.

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem, psnr
    >>> P = mri_problem("shepp_logan", size=32, acceleration=4, rng=0, oversample=4)
    >>> print(round(psnr(baselines.zero_filled(P.operator, P.y), P.image), 2))    # dB: the aliased floor
    19.79
    """
    part = _checks.choice(part, ("magnitude", "real"), "part")
    xp, shape = _setup(A, y, shape)
    if hasattr(A, "zero_filled"):
        return A.zero_filled(y, part=part)
    return xp.reshape(A.T @ y, shape)


# ---------------------------------------------------------------------------
# ℓ1 in an orthonormal basis by FISTA
# ---------------------------------------------------------------------------
def _fista(A, y, xp, shape, analysis, synthesis, lam, iters, tol, monotone, x0, rng, method):
    """FISTA on the arguments :func:`fista_l1` has checked."""
    L = _lipschitz(A, rng)
    if L == 0.0:
        raise ValueError("A is zero (‖A‖ = 0): every x fits y equally badly and FISTA's step 1/‖A‖² does not "
                         "exist; check the operator")
    step = 1.0 / L

    def synth(c):                     # Ψᵀ c, flattened
        return xp.reshape(synthesis(c), (-1,))

    def objective(c, Ac):
        r = Ac - y
        return 0.5 * float(xp.sum(r * r)) + lam * float(xp.sum(xp.abs(c)))

    c = analysis(_start(x0, xp, shape, y))
    Ac = A @ synth(c)
    v, Av = c, Ac
    t = 1.0
    F = objective(c, Ac)
    watch = _Watch(f"FISTA ({method})", "is the analysis Ψ orthonormal with synthesis Ψᵀ, and A.T the adjoint "
                   "of A? The step 1/‖A‖² assumes both", F, y, xp)
    history = [F]
    k, res, converged = 0, float("inf"), False
    for k in range(1, iters + 1):
        r = Av - y
        grad = analysis(xp.reshape(A.T @ r, shape))
        # duality gap at v (free: r and Ψ Aᵀ r are at hand)
        Fv = objective(v, Av)
        gmax = float(xp.max(xp.abs(grad)))
        sc = min(1.0, lam / gmax) if gmax > 0 else 1.0
        gap = Fv + 0.5 * sc * sc * float(xp.sum(r * r)) + sc * float(xp.sum(r * y))
        res = max(gap, 0.0) / max(Fv, 1e-300)
        if tol > 0 and res <= tol:
            converged = True
            c = v
            history.append(Fv)
            break
        z = _soft(v - step * grad, step * lam)
        Az = A @ synth(z)
        Fz = objective(z, Az)
        watch(k, Fz)
        if monotone and Fz > F:
            c_new, Ac_new, F_new = c, Ac, F
        else:
            c_new, Ac_new, F_new = z, Az, Fz
        t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        a, b = t / t_next, (t - 1.0) / t_next
        v = c_new + a * (z - c_new) + b * (c_new - c)
        Av = Ac_new + a * (Az - Ac_new) + b * (Ac_new - Ac)
        c, Ac, F, t = c_new, Ac_new, F_new, t_next
        history.append(F)
    return BaselineResult(image=synthesis(c), objective=np.asarray(history), lam=lam, iterations=k, method=method,
                          step_sizes={"step": step}, converged=converged,
                          criterion="relative duality gap (FISTA)", residual=res, tol=tol)


def fista_l1(A, y, analysis, synthesis, shape=None, lam=0.0, iters=20000, tol=TOL, monotone=True, x0=None,
             rng=0, method="l1"):
    """min_x ½‖A x − y‖² + λ ‖Ψ x‖₁ for an orthonormal Ψ, by FISTA on c = Ψ x.

    With c = Ψ x (Ψ orthonormal: x = Ψᵀ c) the problem is the LASSO
    min_c f(c) + λ‖c‖₁, f(c) = ½‖A Ψᵀ c − y‖², ∇f(c) = Ψ Aᵀ(A Ψᵀ c − y),
    whose gradient is L-Lipschitz with L = ‖A Ψᵀ‖² = ‖A‖².  FISTA (Beck &
    Teboulle 2009) with step 1/L::

        z_k = soft(v_k − ∇f(v_k)/L, λ/L)
        t_{k+1} = (1 + √(1 + 4 t_k²)) / 2
        v_{k+1} = c_k + (t_k/t_{k+1})(z_k − c_k) + ((t_k − 1)/t_{k+1})(c_k − c_{k−1}),

    where c_k = z_k (plain FISTA) or, with ``monotone=True`` (MFISTA), the
    better of z_k and c_{k−1}: the objective is then non-increasing.  The
    images A Ψᵀ c are carried along linearly, so one ``A @`` and one
    ``A.T @`` are spent per iteration.

    **Stopping criterion:** the relative duality gap at v_k, a certificate
    F(v_k) − F* ≤ gap.  The dual of the LASSO is max_θ −½‖θ‖² − ⟨θ, y⟩
    subject to ‖Ψ Aᵀ θ‖_∞ ≤ λ (θ = A Ψᵀ c − y at the optimum); the residual
    r = A Ψᵀ v_k − y scaled by s = min(1, λ/‖Ψ Aᵀ r‖_∞) is dual feasible, so::

        gap = F(v_k) + ½ s²‖r‖² + s ⟨r, y⟩ ≤ tol · F(v_k)

    stops the iteration (Ψ Aᵀ r is the gradient FISTA computes anyway, so
    the gap is free).  A fixed-point residual ‖T(v) − v‖ would not do: for
    small λ the LASSO is so flat that FISTA's steps are tiny long before the
    image is near the minimiser.  The returned image is the certified v_k
    (or, when the cap is hit, the last c_k).

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
        The measurement operator (``A @ x`` and ``A.T @ r``).
    y : array (m,)
        The measurements: real, finite, on A's backend.
    analysis, synthesis : callable
        Ψ: (h, w) image → (h, w) coefficients, and Ψᵀ = Ψ⁻¹ back (e.g. :func:`haar2`, :func:`ihaar2`).
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float
        λ ≥ 0.
    iters : int
        Safety cap on the iterations (≥ 1).
    tol : float
        Tolerance of the stopping criterion (≥ 0; 0: run all ``iters``).
    monotone : bool
        MFISTA (default) or plain FISTA.
    x0 : array (h, w) or (h·w,), optional
        Starting image (default 0), on y's backend.
    rng : int or numpy.random.Generator
        Seed of the power iteration for ‖A‖.
    method : str
        Name recorded in the result.

    Returns
    -------
    BaselineResult
        ``image`` on y's backend and dtype, ``step_sizes={"step": 1/L}``.

    Raises
    ------
    TypeError
        For an argument of the wrong kind (an ``A`` that is not an operator or 2-D array, a ``y`` of
        another backend, a non-callable ``analysis``, a non-bool ``monotone``, a non-string ``method``, …).
    ValueError
        For a wrong value (a shape that does not match A, NaN in ``y``, λ < 0, ``A = 0``, …).
    cstheory.DivergenceError
        When the objective blows up (Ψ not orthonormal, or ``A.T`` not the adjoint of ``A``).

    Examples
    --------
    For A = I the minimiser is known in closed form, Ψᵀ soft(Ψ y, λ):

    >>> import numpy as np
    >>> from cstheory.baselines import fista_l1, haar2, ihaar2, soft_threshold
    >>> y = np.random.default_rng(0).standard_normal(32)
    >>> res = fista_l1(np.eye(32), y, haar2, ihaar2, shape=(4, 8), lam=0.5, tol=1e-12)
    >>> exact = ihaar2(soft_threshold(haar2(y.reshape(4, 8)), 0.5))
    >>> print(res.converged, np.abs(res.image - exact).max() < 1e-10)     # certified by the duality gap
    True True
    """
    xp, shape = _setup(A, y, shape)
    _checks.callable_or_none(analysis, "analysis", "a callable Ψ (an (h, w) image → its coefficients)")
    _checks.callable_or_none(synthesis, "synthesis", "a callable Ψᵀ (coefficients → an (h, w) image)")
    if analysis is None or synthesis is None:
        raise TypeError(f"{'analysis' if analysis is None else 'synthesis'} must be a callable, got None")
    lam = _checks.positive_float(lam, "lam", allow_zero=True)
    iters, tol = _check_iters(iters, tol)
    monotone = _checks.flag(monotone, "monotone")
    x0 = _check_x0(x0, y, shape)
    _check_rng(rng)
    if not isinstance(method, str):
        raise TypeError(f"method must be a string (the name recorded in the result), got {type(method).__name__}")
    return _fista(A, y, xp, shape, analysis, synthesis, lam, iters, tol, monotone, x0, rng, method)


def _lambda_scale(method, xp, A, y, shape):
    back = xp.reshape(A.T @ y, shape)
    if method == "l1-dct":
        return float(xp.max(xp.abs(dct(back))))
    if method == "l1-haar":
        return float(xp.max(xp.abs(_haar2(back))))
    return float(xp.max(xp.abs(back)))


def lambda_scale(method, A, y, shape=None):
    """The data scale of the "fraction" rule: ‖Ψ Aᵀ y‖_∞ for ℓ1 (λ_max), ‖Aᵀ y‖_∞ for TV.

    For ℓ1 it is λ_max, the smallest λ for which x = 0 minimises ½‖A x − y‖² + λ‖Ψ x‖₁
    (0 is optimal iff ‖Ψ Aᵀ y‖_∞ ≤ λ), so the rule's λ = fraction · scale is invariant
    under y → c y up to the factor c.

    Parameters
    ----------
    method : {"l1-dct", "l1-haar", "tv", "tv-box"}
        Which scale (Ψ the DCT, the Haar basis of :func:`haar2` with all levels, or none for TV).
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
        For a non-string or unknown ``method``, and as :func:`zero_filled` for ``A``, ``y``, ``shape``.

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
    method = _checks.choice(method, ITERATIVE, "method")
    xp, shape = _setup(A, y, shape)
    return _lambda_scale(method, xp, A, y, shape)


def l1_dct(A, y, shape=None, lam=None, lam_fraction=None, iters=20000, tol=TOL, monotone=True, x0=None, rng=0):
    """ℓ1-sparsity in the orthonormal 2-D DCT, min_x ½‖A x − y‖² + λ ‖Ψ x‖₁, by :func:`fista_l1`.

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction`` · ‖Ψ Aᵀ y‖_∞ (:func:`lambda_scale`, the smallest λ for which
        x = 0 is optimal).
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["l1-dct"]``.
    iters, tol, monotone, x0, rng
        As in :func:`fista_l1`.

    Returns
    -------
    BaselineResult

    Raises
    ------
    TypeError, ValueError, cstheory.DivergenceError
        As :func:`fista_l1`.

    Examples
    --------
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem, psnr
    >>> P = mri_problem("shepp_logan", size=32, acceleration=4, rng=0, oversample=4)
    >>> gain = psnr(baselines.l1_dct(P.operator, P.y).image, P.image) - psnr(
    ...     baselines.zero_filled(P.operator, P.y), P.image)
    >>> print(round(gain, 1))                     # dB over zero filling, at the calibrated λ: DCT sparsity helps little
    0.8
    """
    xp, shape = _setup(A, y, shape)
    lam, lam_fraction = _check_lam(lam, lam_fraction)
    iters, tol = _check_iters(iters, tol)
    monotone = _checks.flag(monotone, "monotone")
    x0 = _check_x0(x0, y, shape)
    _check_rng(rng)
    if lam is None:
        frac = FRACTIONS["l1-dct"] if lam_fraction is None else lam_fraction
        lam = frac * _lambda_scale("l1-dct", xp, A, y, shape)
    return _fista(A, y, xp, shape, dct, idct, lam, iters, tol, monotone, x0, rng, "l1-dct")


def l1_haar(A, y, shape=None, lam=None, lam_fraction=None, levels=None, iters=20000, tol=TOL, monotone=True,
            x0=None, rng=0):
    """ℓ1-sparsity in the orthonormal multi-level Haar basis (:func:`haar2`), by :func:`fista_l1`.

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction`` · ‖Ψ Aᵀ y‖_∞ (:func:`lambda_scale`).
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["l1-haar"]``.
    levels : int, optional
        Levels of the Haar transform (default: all the sides allow).
    iters, tol, monotone, x0, rng
        As in :func:`fista_l1`.

    Returns
    -------
    BaselineResult

    Raises
    ------
    TypeError, ValueError, cstheory.DivergenceError
        As :func:`fista_l1`; also for a non-integer or negative ``levels``.

    Examples
    --------
    An image constant on dyadic blocks has 3 nonzero Haar coefficients: from 32 random Gaussian
    measurements of its 64 pixels ℓ1-Haar recovers it, the minimum-norm least-squares image does not.

    >>> import numpy as np
    >>> from cstheory import baselines, gaussian_matrix
    >>> x = np.zeros((8, 8))
    >>> x[:4, 4:] = 1.0
    >>> x[4:, :] = 0.5
    >>> A = gaussian_matrix(32, 64, rng=0)
    >>> res = baselines.l1_haar(A, A @ x.ravel(), shape=(8, 8), lam=1e-3, tol=1e-6)
    >>> least_squares = (np.linalg.pinv(A) @ (A @ x.ravel())).reshape(8, 8)
    >>> print(res.converged, round(float(np.abs(res.image - x).max()), 3), round(float(np.abs(least_squares - x).max()), 1))
    True 0.0 0.9
    """
    xp, shape = _setup(A, y, shape)
    lam, lam_fraction = _check_lam(lam, lam_fraction)
    levels = _check_levels(levels)
    iters, tol = _check_iters(iters, tol)
    monotone = _checks.flag(monotone, "monotone")
    x0 = _check_x0(x0, y, shape)
    _check_rng(rng)
    if lam is None:
        frac = FRACTIONS["l1-haar"] if lam_fraction is None else lam_fraction
        lam = frac * _lambda_scale("l1-haar", xp, A, y, shape)
    return _fista(A, y, xp, shape, lambda x: _haar2(x, levels), lambda c: _ihaar2(c, levels), lam, iters, tol,
                  monotone, x0, rng, "l1-haar")


# ---------------------------------------------------------------------------
# total variation by Chambolle–Pock (any A)
# ---------------------------------------------------------------------------
def _project_tv_dual(p, lam, isotropic):
    """Projection onto {p : ‖p_ij‖₂ ≤ λ} (isotropic) or {|p| ≤ λ} (anisotropic) — prox of (λ TV)*."""
    xp = namespace(p)
    if lam == 0:
        return xp.zeros_like(p)
    if isotropic:
        mag = xp.sqrt(p[0, ...] * p[0, ...] + p[1, ...] * p[1, ...])
        return p / xp.clip(mag / lam, min=1.0)
    return xp.clip(p, min=-lam, max=lam)


def tv(A, y, shape=None, lam=None, lam_fraction=None, iters=100000, tol=TOL_CP, isotropic=True, boundary="neumann",
       box=None, x0=None, rng=0):
    """Total-variation reconstruction min_x ½‖A x − y‖² + λ TV(x) [+ box], by Chambolle–Pock.

    TV is isotropic by default, TV(x) = Σ_ij ‖(∇x)_ij‖₂ with forward
    differences (:func:`gradient`, ``boundary`` "neumann" by default or
    "periodic"); ``isotropic=False`` gives the anisotropic Σ |∂₀x| + |∂₁x|.
    ``box=(lo, hi)`` adds the constraint lo ≤ x ≤ hi.

    Both terms are dualised (so any A works, no inner solve): with
    K x = (A x, ∇x), F(u, g) = ½‖u − y‖² + λ‖g‖, G = the box indicator (0
    without a box), the primal–dual iteration of Chambolle & Pock (2011) with
    θ = 1 reads::

        q ← (q + σ (A x̄ − y)) / (1 + σ)          prox of σ F₁*,
        p ← Π_λ(p + σ ∇x̄)                        projection on the dual ball,
        x_new ← clip(x − τ (Aᵀ q + ∇ᵀ p))         prox of τ G,
        x̄ ← 2 x_new − x,

    and converges for τσ‖K‖² < 1; we take τ = σ = 0.99/‖K‖ with
    ‖K‖² ≤ ‖A‖² + ‖∇‖² ≤ ‖A‖² + 8.

    **Stopping criterion:** the relative primal–dual residual.  The prox
    steps give (x − x_new)/τ ∈ ∂G(x_new) + Kᵀ(q, p) and
    ((q, p)_old − (q, p))/σ + K(x̄ − x_new) ∈ ∂F*(q, p) − K x_new, the two
    optimality conditions; we stop when both residuals, relative to
    ‖Aᵀq‖ + ‖∇ᵀp‖ + ‖(x − x_new)/τ − Kᵀ(q, p)‖ (the terms that must cancel) and to
    ‖K x_new‖, are ≤ ``tol``.  Chambolle–Pock
    is slow to reach tight tolerances (O(1/k)); for Fourier sampling,
    :func:`tv_admm` solves the same periodic-TV problem far faster.

    Parameters
    ----------
    A : array (m, h·w) or LinearOperator
        The measurement operator (``A @ x`` and ``A.T @ r``).
    y : array (m,)
        The measurements: real, finite, on A's backend.
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction · ‖Aᵀ y‖_∞``.
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["tv"]``.
    iters : int
        Safety cap on the iterations (≥ 1).
    tol : float
        Tolerance (≥ 0; 0: run all ``iters``).
    isotropic : bool
        Isotropic (default) or anisotropic TV.
    boundary : {"neumann", "periodic"}
        Boundary condition of ∇.
    box : (float, float), optional
        Bounds lo < hi of the constraint lo ≤ x ≤ hi.
    x0 : array (h, w) or (h·w,), optional
        Starting image (default 0).
    rng : int or numpy.random.Generator
        Seed of the power iteration for ‖A‖.

    Returns
    -------
    BaselineResult
        ``step_sizes={"tau": τ, "sigma": σ}``; ``method`` "tv" or "tv-box".

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a non-bool ``isotropic``, a ``box`` that is not a pair, a
        ``y`` or ``x0`` of another backend, …).
    ValueError
        For a wrong value (an unknown ``boundary``, box bounds not lo < hi, λ < 0, …).
    cstheory.DivergenceError
        When the objective blows up (``A.T`` not the adjoint of ``A``).

    Examples
    --------
    TV denoising (A = I) of a noisy step: the edge survives, the noise goes.

    >>> import numpy as np
    >>> from cstheory import baselines
    >>> clean = np.zeros((8, 8))
    >>> clean[:, 4:] = 1.0
    >>> noisy = clean + 0.1 * np.random.default_rng(0).standard_normal((8, 8))
    >>> res = baselines.tv(np.eye(64), noisy.ravel(), shape=(8, 8), lam=0.1)
    >>> rms = lambda e: round(float(np.sqrt(np.mean(e ** 2))), 3)
    >>> print(res.converged, rms(noisy - clean), rms(res.image - clean))    # the RMS error falls from 0.091
    True 0.091 0.038
    """
    xp, shape = _setup(A, y, shape)
    lam, lam_fraction = _check_lam(lam, lam_fraction)
    iters, tol = _check_iters(iters, tol)
    isotropic = _checks.flag(isotropic, "isotropic")
    boundary = _check_boundary(boundary)
    box = _box(box)
    x0 = _check_x0(x0, y, shape)
    _check_rng(rng)
    if lam is None:
        frac = FRACTIONS["tv"] if lam_fraction is None else lam_fraction
        lam = frac * _lambda_scale("tv", xp, A, y, shape)
    K = math.sqrt(_lipschitz(A, rng) + 8.0)
    tau = sigma = 0.99 / K

    def grad(x):
        return _grad(x, boundary)

    def grad_t(p):
        return _grad_t(p, boundary)

    def objective(g, Ax):
        r = Ax - y
        return 0.5 * float(xp.sum(r * r)) + lam * _tv_of(g, isotropic)

    dev = _device(y)
    x = _start(x0, xp, shape, y)
    if box is not None:
        x = xp.clip(x, min=box[0], max=box[1])
    # A x and ∇x are carried along: A x̄ = 2 A x_new − A x and ∇x̄ = 2 ∇x_new − ∇x (both linear)
    Ax, g = A @ xp.reshape(x, (-1,)), grad(x)
    Axbar, gbar = Ax, g
    q = xp.zeros_like(y)
    p = xp.zeros((2,) + tuple(shape), dtype=y.dtype, device=dev)
    history = [objective(g, Ax)]
    watch = _Watch("Chambolle-Pock (tv)", "is A.T the adjoint of A? The steps assume ‖K‖² ≤ ‖A‖² + 8",
                   history[0], y, xp)
    k, res, converged = 0, float("inf"), False
    for k in range(1, iters + 1):
        q_new = (q + sigma * (Axbar - y)) / (1.0 + sigma)
        p_new = _project_tv_dual(p + sigma * gbar, lam, isotropic)
        ATq, DTp = xp.reshape(A.T @ q_new, shape), grad_t(p_new)
        KTy = ATq + DTp
        x_new = x - tau * KTy
        if box is not None:
            x_new = xp.clip(x_new, min=box[0], max=box[1])
        Ax_new, g_new = A @ xp.reshape(x_new, (-1,)), grad(x_new)
        # residuals of the two optimality conditions at (x_new, q_new, p_new)
        r_primal = _norm(xp, x - x_new) / tau
        dq = (q - q_new) / sigma + (Axbar - Ax_new)
        dp = (p - p_new) / sigma + (gbar - g_new)
        r_dual = math.sqrt(_norm(xp, dq) ** 2 + _norm(xp, dp) ** 2)
        scale_p = max(_norm(xp, ATq) + _norm(xp, DTp) + _norm(xp, (x - x_new) / tau - KTy), 1e-300)
        scale_d = max(math.sqrt(_norm(xp, Ax_new) ** 2 + _norm(xp, g_new) ** 2), 1e-300)
        res = max(r_primal / scale_p, r_dual / scale_d)
        Axbar, gbar = 2.0 * Ax_new - Ax, 2.0 * g_new - g
        x, Ax, g, q, p = x_new, Ax_new, g_new, q_new, p_new
        history.append(objective(g, Ax))
        watch(k, history[-1])
        if tol > 0 and res <= tol:
            converged = True
            break
    return BaselineResult(image=x, objective=np.asarray(history), lam=lam, iterations=k,
                          method="tv-box" if box is not None else "tv", step_sizes={"tau": tau, "sigma": sigma},
                          converged=converged, criterion="relative primal-dual residual (Chambolle-Pock)",
                          residual=res, tol=tol)


# ---------------------------------------------------------------------------
# total variation by ADMM with an exact Fourier-domain x-update
# ---------------------------------------------------------------------------
def fourier_gram(A, shape=None, check=True, rng=0):
    """The Fourier symbol Q of AᵀA for subsampled Fourier ``A``: AᵀA x = F^H (Q ⊙ F x) for real x.

    For A x = [Re (F x)_Ω ; Im (F x)_Ω] with mask P (1 on Ω), AᵀA x = Re(F^H P F x).
    Let X = F x.  x is real, so X[−k] = conj(X[k]), and conj(F^H V) = F^H Ṽ with
    Ṽ[k] = conj(V[−k]).  For V = P X this is Ṽ[k] = P[−k] X[k], hence::

        AᵀA x = ½ (F^H P X + conj(F^H P X)) = F^H ((P + P̃)/2 ⊙ F x),   P̃[k] = P[−k],

    i.e. Q = (P + P̃)/2 ∈ {0, ½, 1}: a frequency sampled together with its mirror
    counts once, one sampled without its mirror counts half.

    Parameters
    ----------
    A : SubsampledFourier or LinearOperator
        An operator with ``mask`` (unshifted fft2 layout) and ``image_shape``.
    shape : (int, int), optional
        The image shape; default ``A.image_shape`` (given, it must equal the mask's shape).
    check : bool
        Verify the identity on a random image (two applications of A).
    rng : int or numpy.random.Generator
        Seed of that random image.

    Returns
    -------
    array (h, w)
        Q on A's backend, in A's dtype.

    Raises
    ------
    TypeError
        For an ``A`` that is neither an operator nor a 2-D array, a shape that is not a pair of
        integers, a non-bool ``check``, a bad ``rng``.
    ValueError
        For an ``A`` without a mask and an image shape (a dense matrix, …), a ``shape`` other than the
        mask's, or, with ``check``, an ``A`` whose Gram is not F^H diag(Q) F.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> from cstheory.baselines import fourier_gram
    >>> mask = np.zeros((5, 6), dtype=bool)
    >>> mask[0, 0] = mask[1, 2] = True            # (1, 2) is sampled, its mirror (−1, −2) = (4, 4) is not
    >>> Q = fourier_gram(cst.SubsampledFourier((5, 6), mask))
    >>> print(Q[0, 0], Q[1, 2], Q[4, 4], Q.sum())   # each half of the pair counts ½
    1.0 0.5 0.5 2.0
    """
    A = as_operator(A)
    if shape is not None:
        shape = _checks.shape_tuple(shape, "shape", lengths=(2,), int_ok=False)
    check = _checks.flag(check, "check")
    gen = as_generator(rng)
    mask = getattr(A, "mask", None)
    image_shape = getattr(A, "image_shape", None)
    if mask is None or image_shape is None or tuple(mask.shape) != tuple(image_shape):
        raise ValueError("A must be a subsampled Fourier operator (with .mask and .image_shape) for the "
                         "Fourier-domain solve; use tv() (Chambolle-Pock) for a general A")
    if shape is not None and tuple(shape) != tuple(mask.shape):
        raise ValueError(f"shape must be A's image shape {tuple(mask.shape)}, got {shape}")
    shape = tuple(mask.shape)
    xp = A.xp if A.xp is not None else namespace(mask)
    dtype = getattr(A, "dtype", None)
    if dtype is None:
        dtype = xp.float64
    P = xp.astype(mask, dtype)
    # P̃[k] = P[−k mod s] along both axes: flip, then roll by one so that index 0 stays at 0
    mirrored = xp.roll(xp.flip(P, axis=(0, 1)), (1, 1), axis=(0, 1))
    Q = 0.5 * (P + mirrored)
    if check:
        from ._backend import asarray
        x = asarray(gen.standard_normal(tuple(shape)), xp=xp, dtype=dtype, device=_device(Q))
        lhs = xp.reshape(A.T @ (A @ xp.reshape(x, (-1,))), tuple(shape))
        rhs = xp.real(ifft2(Q * fft2(x)))
        tol = 1e-4 if dtype == xp.float32 else 1e-10
        if _norm(xp, lhs - rhs) > tol * max(_norm(xp, x), 1e-300):
            raise ValueError("A's Gram matrix AᵀA is not F^H diag((P + P̃)/2) F for its mask: not an orthonormal "
                             "subsampled Fourier operator; use tv() (Chambolle-Pock)")
    return Q


def tv_admm(A, y, shape=None, lam=None, lam_fraction=None, box=None, rho=None, iters=20000, tol=TOL_ADMM, x0=None,
            adapt_rho=True, rng=0):
    """Periodic isotropic TV, min_x ½‖A x − y‖² + λ TV(x) [s.t. lo ≤ x ≤ hi], by ADMM with an FFT x-update.

    Splitting z = ∇x (periodic :func:`gradient`) and, with ``box=(lo, hi)``,
    w = x, the scaled-form ADMM (Boyd et al. 2011, §3.1.1) iterates::

        x ← (AᵀA + ρ ∇ᵀ∇ + ρ β I)⁻¹ (Aᵀy + ρ ∇ᵀ(z − u) + ρ β (w − v))      (β = 1 with a box, else 0)
        z ← shrink(∇x + u, λ/ρ)                 prox of (λ/ρ) Σ‖·‖₂ (shrink)
        w ← clip(x + v, lo, hi)                 projection on the box
        u ← u + ∇x − z,   v ← v + x − w.

    The x-update is exact and costs two FFTs: AᵀA = F^H diag(Q) F
    (:func:`fourier_gram`) and ∇ᵀ∇ = F^H diag(Λ) F (:func:`laplacian_symbol`),
    so x = Re F^H[F b / (Q + ρΛ + ρβ)].  Where the denominator is 0 (only the
    DC coefficient when it is not sampled and there is no box: the objective
    does not see the mean) the pseudo-inverse keeps that coefficient at 0.

    **Stopping criterion** (Boyd et al. §3.3): primal residual
    r = ‖(∇x − z, x − w)‖ relative to max(‖(∇x, x)‖, ‖(z, w)‖) and dual residual
    s = ρ‖∇ᵀ(z − z_old) + (w − w_old)‖ relative to ρ‖∇ᵀu + v‖, both ≤ ``tol``.
    With ``adapt_rho`` ρ is doubled / halved (u, v rescaled) when one relative
    residual exceeds the other tenfold (residual balancing, §3.4.1); every change of ρ only
    recomputes the denominator.

    The recorded objective is that of the x-iterate (evaluated in k-space by Parseval,
    ½‖Ax − y‖² = ½ Σ_k Q_k |(F x)_k|² − ⟨x, Aᵀy⟩ + ½‖y‖², no extra FFT); with a box the
    x-iterate meets the box only in the limit, and the returned w is the feasible twin.

    Parameters
    ----------
    A : SubsampledFourier
        Or any operator with ``mask`` and ``image_shape`` whose Gram is as above (:func:`fourier_gram`).
    y : array (m,)
        The measurements: real, finite, on A's backend.
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default ``lam_fraction · ‖Aᵀ y‖_∞``.
    lam_fraction : float, optional
        ≥ 0; default ``FRACTIONS["tv"]`` or ``FRACTIONS["tv-box"]``.
    box : (float, float), optional
        Box constraint lo < hi (``(0, 1)`` for images in [0, 1]); the returned image is then the
        feasible w.
    rho : float, optional
        Initial penalty ρ > 0 (default 1, the scale of AᵀA's largest eigenvalue).
    iters : int
        Safety cap on the iterations (≥ 1).
    tol : float
        Tolerance (≥ 0; 0: run all ``iters``).
    x0 : array (h, w) or (h·w,), optional
        Starting image (z = ∇x0, w = x0, zero multipliers).
    adapt_rho : bool
        Residual balancing of ρ.
    rng : int or numpy.random.Generator
        Seed of the probe that checks :func:`fourier_gram`.

    Returns
    -------
    BaselineResult
        ``step_sizes={"rho": final ρ}``; ``method`` "tv" or "tv-box".

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a ``box`` that is not a pair, a non-bool ``adapt_rho``, …).
    ValueError
        For a wrong value (an ``A`` that is not subsampled Fourier, ρ ≤ 0, λ < 0, …).
    cstheory.DivergenceError
        When the objective blows up.

    Examples
    --------
    ADMM-FFT and Chambolle–Pock (:func:`tv`), two different algorithms, find the same minimiser of
    the periodic-TV problem:

    >>> import numpy as np
    >>> from cstheory import baselines
    >>> from cstheory.mri import mri_problem
    >>> P = mri_problem("shepp_logan", size=8, acceleration=2, rng=0, oversample=2)
    >>> admm = baselines.tv_admm(P.operator, P.y, lam=0.1, tol=1e-9)
    >>> cp = baselines.tv(P.operator, P.y, lam=0.1, boundary="periodic", tol=1e-9)
    >>> print(admm.converged, cp.converged, float(np.abs(admm.image - cp.image).max()) < 1e-7)
    True True True
    """
    xp, shape = _setup(A, y, shape)
    lam, lam_fraction = _check_lam(lam, lam_fraction)
    box = _box(box)
    rho = 1.0 if rho is None else _checks.positive_float(rho, "rho")
    iters, tol = _check_iters(iters, tol)
    x0 = _check_x0(x0, y, shape)
    adapt_rho = _checks.flag(adapt_rho, "adapt_rho")
    _check_rng(rng)
    Q = fourier_gram(A, shape, rng=rng)
    method = "tv-box" if box is not None else "tv"
    if lam is None:
        frac = FRACTIONS[method] if lam_fraction is None else lam_fraction
        lam = frac * _lambda_scale("tv", xp, A, y, shape)
    lap = laplacian_symbol(shape, xp=xp, dtype=y.dtype, device=_device(y))
    beta = 0.0 if box is None else 1.0

    def inverse_symbol(r):
        d = Q + r * lap + r * beta
        return xp.where(d > 0, 1.0 / xp.where(d > 0, d, 1.0), 0.0)

    def grad(x):
        return _grad(x, "periodic")

    def grad_t(p):
        return _grad_t(p, "periodic")

    Aty = xp.reshape(A.T @ y, shape)
    yy = float(xp.sum(y * y))

    def objective(x, X, gx):
        # ½‖Ax − y‖² = ½ Σ_k Q_k |X_k|² − ⟨x, Aᵀy⟩ + ½‖y‖² with X = F x (Parseval): no extra FFT
        fit = 0.5 * float(xp.sum(Q * xp.real(X * xp.conj(X)))) - float(xp.sum(x * Aty)) + 0.5 * yy
        return max(fit, 0.0) + lam * _tv_of(gx)

    x = _start(x0, xp, shape, y)
    if box is not None:
        x = xp.clip(x, min=box[0], max=box[1])
    z, u = grad(x), xp.zeros((2,) + tuple(shape), dtype=y.dtype, device=_device(y))
    w, v = x, xp.zeros_like(x)
    inv = inverse_symbol(rho)
    history = [objective(x, fft2(x), z)]
    watch = _Watch("ADMM (tv)", "is A's Gram F^H diag(Q) F (fourier_gram)?", history[0], y, xp)
    k, res, converged = 0, float("inf"), False
    for k in range(1, iters + 1):
        b = Aty + rho * grad_t(z - u)
        if box is not None:
            b = b + rho * (w - v)
        X = inv * fft2(b)
        x = xp.real(ifft2(X))
        gx = grad(x)
        z_old, w_old = z, w
        z = _shrink(gx + u, lam / rho)
        u = u + gx - z
        if box is not None:
            w = xp.clip(x + v, min=box[0], max=box[1])
            v = v + x - w
        # residuals (Boyd et al. §3.3.1), relative
        r_p = math.sqrt(_norm(xp, gx - z) ** 2 + beta * _norm(xp, x - w) ** 2)
        s_d = rho * _norm(xp, grad_t(z - z_old) + beta * (w - w_old))
        scale_p = max(math.sqrt(_norm(xp, gx) ** 2 + beta * _norm(xp, x) ** 2),
                      math.sqrt(_norm(xp, z) ** 2 + beta * _norm(xp, w) ** 2), 1e-300)
        scale_d = max(rho * _norm(xp, grad_t(u) + beta * v), 1e-300)
        rel_p, rel_d = r_p / scale_p, s_d / scale_d
        res = max(rel_p, rel_d)
        history.append(objective(x, X, gx))
        watch(k, history[-1])
        if tol > 0 and res <= tol:
            converged = True
            break
        if adapt_rho and k % 10 == 0:
            if rel_p > 10.0 * rel_d:
                rho, u, v = 2.0 * rho, u / 2.0, v / 2.0
                inv = inverse_symbol(rho)
            elif rel_d > 10.0 * rel_p:
                rho, u, v = rho / 2.0, 2.0 * u, 2.0 * v
                inv = inverse_symbol(rho)
    image = w if box is not None else x
    return BaselineResult(image=image, objective=np.asarray(history), lam=lam, iterations=k, method=method,
                          step_sizes={"rho": rho}, converged=converged,
                          criterion="max relative primal/dual residual (ADMM)", residual=res, tol=tol)


# ---------------------------------------------------------------------------
# one entry point, and the λ rules
# ---------------------------------------------------------------------------
#: the classical methods of Fig. 5 by name
METHODS = ("zero-filled", "l1-dct", "l1-haar", "tv", "tv-box")
#: the methods with a regularization weight λ
ITERATIVE = METHODS[1:]


def _fourier_diagonal(A):
    try:
        fourier_gram(A)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def solve(method, A, y, shape=None, lam=None, **kwargs):
    """Run the iterative method ``method`` (one of :data:`ITERATIVE`) and return its :class:`BaselineResult`.

    ``"l1-dct"`` and ``"l1-haar"`` run :func:`l1_dct` and :func:`l1_haar`; ``"tv"``/``"tv-box"``
    solve the periodic TV problem (box (0, 1) for ``"tv-box"``), by :func:`tv_admm` when A's Gram
    is Fourier-diagonal (:func:`fourier_gram`) and by :func:`tv` (Chambolle–Pock,
    ``boundary="periodic"``) otherwise.

    Parameters
    ----------
    method : {"l1-dct", "l1-haar", "tv", "tv-box"}
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    lam : float, optional
        λ ≥ 0; default the "fraction" rule (``FRACTIONS[method]`` · :func:`lambda_scale`).
    **kwargs
        Passed on to the solver (``iters``, ``tol``, ``x0``, ``rng``, ``lam_fraction``, …).

    Returns
    -------
    BaselineResult

    Raises
    ------
    TypeError
        For a non-string ``method``, a keyword the solver does not take, and as the solver.
    ValueError
        For an unknown ``method``, and as the solver.
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
    method = _checks.choice(method, ITERATIVE, "method")
    if method == "l1-dct":
        return l1_dct(A, y, shape, lam=lam, **kwargs)
    if method == "l1-haar":
        return l1_haar(A, y, shape, lam=lam, **kwargs)
    if "box" in kwargs:
        raise TypeError(f"solve got the keyword argument 'box': method {method!r} sets it "
                        "(None for 'tv', (0, 1) for 'tv-box'); call tv() or tv_admm() for another box")
    box = (0.0, 1.0) if method == "tv-box" else None
    if _fourier_diagonal(A):
        return tv_admm(A, y, shape, lam=lam, box=box, **kwargs)
    frac = kwargs.pop("lam_fraction", None)
    if frac is None:
        frac = FRACTIONS[method]
    return tv(A, y, shape, lam=lam, lam_fraction=frac, boundary="periodic", box=box, **kwargs)


__all__ += ["solve"]


def reconstruct(method, A, y, shape=None, **kwargs):
    """Run the classical method ``method`` (one of :data:`METHODS`) and return the (h, w) image.

    Parameters
    ----------
    method : {"zero-filled", "l1-dct", "l1-haar", "tv", "tv-box"}
    A : array (m, h·w) or LinearOperator
    y : array (m,)
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    **kwargs
        Passed on to :func:`zero_filled` or :func:`solve`.

    Returns
    -------
    array (h, w)
        On y's backend.

    Raises
    ------
    TypeError
        For a non-string ``method``, and as :func:`zero_filled` / :func:`solve`.
    ValueError
        For an unknown ``method``, and as :func:`zero_filled` / :func:`solve`.

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
    method = _checks.choice(method, METHODS, "method")
    if method == "zero-filled":
        return zero_filled(A, y, shape, **kwargs)
    return solve(method, A, y, shape, **kwargs).image


@compact_repr
@dataclass
class LambdaChoice:
    """A regularization weight chosen by a rule, and the reconstruction at it (:func:`tune_lambda`).

    Attributes
    ----------
    method : str
        The method, one of :data:`ITERATIVE`.
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
        The chosen λ is the smallest or largest tried (the walk hit ``max_steps``, or the
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


#: the rules of :func:`tune_lambda`
RULES = ("oracle", "discrepancy", "fraction", "auto")
__all__ += ["RULES"]


def _psnr(x, truth):
    from .mri import psnr
    return psnr(x, truth)


def _check_grid(grid):
    if grid is None:
        return None
    values = _sequence(grid, "grid")
    return [_checks.positive_float(g, "grid entry") for g in values]


def tune_lambda(method, A, y, shape=None, rule="auto", truth=None, noise_std=None, grid=None, ratio=GRID_RATIO,
                max_steps=6, refine=True, cache=None, **kwargs):
    """Choose λ for ``method`` by a documented rule and return the reconstruction at it.

    Rules (module docstring):

    * ``"oracle"`` — the λ with the best PSNR against ``truth``.  From the fraction
      rule's λ₀ (or the given ``grid``, all of which is solved), λ walks by the factor
      ``ratio`` in the direction that improves the PSNR until it stops improving (at
      most ``max_steps`` steps: PSNR(λ) is taken to be unimodal on this grid); with
      ``refine`` the geometric midpoints between the best λ and its neighbours are
      tried too.  Labelled "oracle-tuned": an upper bound for the method, not
      something a user can do.
    * ``"discrepancy"`` — Morozov: the largest λ of the same kind of grid with
      ‖A x_λ − y‖² ≤ m_eff σ², m_eff = len(y), σ = ``noise_std`` > 0 (the residual
      grows with λ: walk up while it fits, down while it does not; if none fits, the
      smallest λ tried); with ``refine`` the geometric midpoint towards the next λ is
      tried.  Never sees the truth.
    * ``"fraction"`` — λ = ``FRACTIONS[method]`` · :func:`lambda_scale` (noiseless data).
    * ``"auto"`` — ``"discrepancy"`` when ``noise_std`` > 0, else ``"fraction"``.

    With ``ratio`` = 4 and ``refine`` the final resolution is a factor 2 in λ.  Each
    solve is warm-started from the image of the nearest λ solved so far
    (continuation).

    Parameters
    ----------
    method : {"l1-dct", "l1-haar", "tv", "tv-box"}
    A : array (m, h·w) or LinearOperator
    y : array (m,)
        The measurements: real, finite, on A's backend.
    shape : (int, int), optional
        Image shape (default ``A.image_shape``).
    rule : {"auto", "oracle", "discrepancy", "fraction"}
    truth : array (h, w), optional
        The ground truth, needed by ``"oracle"`` (on y's backend).
    noise_std : float, optional
        σ ≥ 0 of each real noise entry, needed by ``"discrepancy"``.
    grid : sequence of float, optional
        λ > 0 to solve first (default: λ₀/``ratio``, λ₀, λ₀·``ratio``).
    ratio : float
        The factor > 1 of the walk.
    max_steps : int
        At most this many steps of the walk (≥ 0).
    refine : bool
        Try the geometric midpoints next to the chosen λ.
    cache : dict, optional
        λ → :class:`BaselineResult`, shared between calls on the same data (e.g. the oracle's
        walk holds the fraction rule's λ₀, solved once).
    **kwargs
        Passed on to :func:`solve`: ``iters``, ``tol``, ``rng``, and ``monotone``, ``levels``
        (ℓ1) or ``rho``, ``adapt_rho``, ``isotropic`` (TV).

    Returns
    -------
    LambdaChoice

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a non-string ``method`` or ``rule``, a ``truth`` of another
        backend, a ``cache`` that is not a dict, a keyword :func:`solve` does not take, …).
    ValueError
        For a wrong value (an unknown ``method`` or ``rule``, ``"oracle"`` without ``truth``,
        ``"discrepancy"`` without ``noise_std`` > 0, ``ratio`` ≤ 1, an empty ``grid``, Aᵀy = 0
        with no ``grid``, …).
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
    """
    method = _checks.choice(method, ITERATIVE, "method")
    rule = _checks.choice(rule, RULES, "rule")
    xp, shape = _setup(A, y, shape)
    if truth is not None:
        _checks.array(truth, "truth", ndim=2)
        _checks.namespace(y=y, truth=truth)
        if tuple(truth.shape) != tuple(shape):
            raise ValueError(f"truth must have the image shape {shape}, got {tuple(truth.shape)}")
    if noise_std is not None:
        noise_std = _checks.positive_float(noise_std, "noise_std", allow_zero=True)
    grid = _check_grid(grid)
    ratio = _checks.real(ratio, "ratio", low=1.0, low_open=True)
    max_steps = _checks.positive_int(max_steps, "max_steps", minimum=0)
    refine = _checks.flag(refine, "refine")
    if cache is not None and not isinstance(cache, dict):
        raise TypeError(f"cache must be a dict (λ → BaselineResult) or None, got {type(cache).__name__}")
    _check_solver_keywords(method, kwargs, "tune_lambda")
    if rule == "auto":
        rule = "discrepancy" if noise_std else "fraction"
    if rule == "oracle" and truth is None:
        raise ValueError("rule='oracle' needs truth= (the ground-truth image)")
    if rule == "discrepancy" and not noise_std:
        raise ValueError("rule='discrepancy' needs noise_std > 0 (the std of each real noise entry)")
    results = {} if cache is None else cache
    tried = set()

    def run(lams):
        tried.update(lams)
        todo = [lam for lam in lams if lam not in results]
        if not todo:
            return
        start = None
        if results:                     # warm start from the nearest λ solved so far
            near = min(results, key=lambda l0: abs(math.log(l0) - math.log(todo[0])))
            start = results[near].image
        for lam in todo:
            results[lam] = solve(method, A, y, shape, lam=lam, x0=start, **kwargs)
            start = results[lam].image

    base = FRACTIONS[method] * _lambda_scale(method, xp, A, y, shape)
    if rule == "fraction":
        run([base])
        return LambdaChoice(method, rule, base, results[base])
    if grid is None:
        if not base > 0.0:
            raise ValueError(f"the λ scale of y is {base:g} (Aᵀy = 0: A or y is zero), so there is no grid of "
                             "λ around it to search; check A and y, or pass grid=")
        grid = [base * ratio, base, base / ratio]
    grid = sorted(grid, reverse=True)
    run(grid)

    def residual(lam):
        r = A @ xp.reshape(results[lam].image, (-1,)) - y
        return float(xp.sum(r * r))

    scores = {}

    def score(lam):
        if lam not in scores:
            scores[lam] = _psnr(results[lam].image, truth)
        return scores[lam]

    target = float("nan")
    if rule == "oracle":
        for _ in range(max_steps):
            lams = sorted(tried)
            best = max(lams, key=score)
            if best == lams[-1]:
                run([best * ratio])
            elif best == lams[0]:
                run([best / ratio])
            else:
                break
        lams = sorted(tried)
        best = max(lams, key=score)
        i = lams.index(best)
        if refine:
            run([math.sqrt(best * lams[j]) for j in (i - 1, i + 1) if 0 <= j < len(lams)])
        lams = sorted(tried)
        chosen = max(lams, key=score)
        values = [score(lam) for lam in lams]
    else:
        target = float(y.shape[0]) * noise_std ** 2
        for _ in range(max_steps):
            lams = sorted(tried)
            fits = [lam for lam in lams if residual(lam) <= target]
            if len(fits) == len(lams):              # every λ fits: walk up
                run([lams[-1] * ratio])
            elif not fits:                          # none fits: walk down
                run([lams[0] / ratio])
            else:
                break
        lams = sorted(tried)
        ok = [lam for lam in lams if residual(lam) <= target]
        chosen = max(ok) if ok else lams[0]
        if refine and ok and chosen != lams[-1]:
            mid = math.sqrt(chosen * lams[lams.index(chosen) + 1])
            run([mid])
            if residual(mid) <= target:
                chosen = mid
        lams = sorted(tried)
        values = [residual(lam) for lam in lams]
    at_edge = chosen in (lams[0], lams[-1])
    return LambdaChoice(method, rule, chosen, results[chosen], np.asarray(lams), np.asarray(values), target, at_edge)


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
    gen = as_generator(rng)
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
        cy, cx = gen.uniform(-0.5, 0.5, 2)
        ay, ax = gen.uniform(0.05, 0.3, 2)
        img = img + gen.uniform(0.1, 0.9) * inside(cy, cx, ay, ax, gen.uniform(0, math.pi))
    return img


def calibrate_fractions(methods=ITERATIVE, size=64, accelerations=(4, 8), seeds=(0, 1, 2),
                        fractions=(1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1), oversample=4, **kwargs):
    """How :data:`FRACTIONS` were fixed: the fraction with the best mean PSNR on calibration phantoms.

    For each method, each fraction of ``fractions`` is scored by the mean PSNR over noiseless
    Cartesian acquisitions at ``accelerations`` of :func:`calibration_phantom` images (one per
    seed of ``seeds``, which also draws the mask), simulated from the ``oversample``-times finer
    grid (:func:`cstheory.mri.mri_problem`).  No experiment or test image is among them: the
    rule is tuned on images like the test image, never on it (as one tunes on earlier scans).

    Parameters
    ----------
    methods : str or sequence of str
        Methods of :data:`ITERATIVE`.
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
        Passed on to :func:`solve` (``iters``, ``tol``, …).

    Returns
    -------
    dict
        ``{method: (best fraction, {fraction: mean PSNR})}``.

    Raises
    ------
    TypeError
        For an argument of the wrong kind (a count that is not an integer, a string of numbers, a
        keyword :func:`solve` does not take, …).
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
    from .mri import mri_problem
    methods = _names(methods, "methods", ITERATIVE)
    size = _checks.positive_int(size, "size")
    accelerations = _sequence(accelerations, "accelerations", scalar=(int, float, np.integer, np.floating))
    accelerations = tuple(_checks.real(a, "accelerations entry", low=1.0) for a in accelerations)
    seeds = _sequence(seeds, "seeds", scalar=(int, np.integer))
    seeds = tuple(_checks.integer(s, "seeds entry", minimum=0) for s in seeds)
    fractions = _sequence(fractions, "fractions", scalar=(int, float, np.integer, np.floating))
    fractions = tuple(_checks.positive_float(f, "fractions entry") for f in fractions)
    oversample = _checks.positive_int(oversample, "oversample")
    N = size * oversample
    _checks.memory(_checks.nbytes((N, N)) * 8, f"calibrate_fractions(size={size}, oversample={oversample}): "
                   f"the ({N}, {N}) phantom grid")
    for method in methods:
        _check_solver_keywords(method, kwargs, "calibrate_fractions")
    out = {}
    problems = [mri_problem(calibration_phantom(size, oversample, rng=s), acceleration=a, rng=s,
                            oversample=oversample) for a in accelerations for s in seeds]
    for method in methods:
        mean = {}
        for f in fractions:
            scores = [_psnr(solve(method, P.operator, P.y, lam=f * lambda_scale(method, P.operator, P.y),
                                  **kwargs).image, P.image) for P in problems]
            mean[f] = float(np.mean(scores))
        out[method] = (max(mean, key=mean.get), mean)
    return out


__all__ += ["MAX_ELLIPSES"]
