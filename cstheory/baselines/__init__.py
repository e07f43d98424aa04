"""Classical compressive-sensing reconstructions (floor 5), the baselines of Sec. 5 / Fig. 5.

The package is split by concept: ``cstheory.baselines.prox`` (proximal maps),
``cstheory.baselines.transforms`` (∇, TV, the Laplacian's symbol, Haar), the methods
``cstheory.baselines.direct`` (zero filling), ``cstheory.baselines.fista`` (ℓ1) and
``cstheory.baselines.tv_solvers`` (TV), ``cstheory.baselines.tuning`` (the λ rules as objects, calibration)
and ``cstheory.baselines.registry``: one :class:`Method` record per method, which every list of
methods below is read from.  This face imports every module of the package and keeps their public
names as ``cstheory.baselines.X``; a new method is one new module that registers its record.

Hand-written methods for an image x ∈ R^{h×w} measured as y = A x + e, with
any ``A`` that supports ``A @ x`` and ``A.T @ r`` (a dense array, or a
:class:`cstheory.LinearOperator` such as :class:`cstheory.SubsampledFourier`).
The loss term ½‖A x − y‖² is that of eq. (2) with the identity generator.

{table}

Everything is array-API code (NumPy, CuPy, array_api_strict).

**Complex images.**  An image of shape (2, h, w) is a complex image, x_re + i x_im (the ``shape``, and
the default for a complex-image :class:`cstheory.mri.SubsampledFourier`, whose ``signal_shape`` it is);
results have that shape too.  TV is then the TV of the complex image, Σ_ij √(|∇x_re|² + |∇x_im|²)_ij
(the four differences of a pixel grouped), ℓ1 in a basis Ψ is Σ |(Ψ x_re + i Ψ x_im)_ij| (its prox
the complex soft threshold, :func:`shrink` of the (2, h, w) coefficients), and λ scales take moduli;
the solvers are the same.  ``"tv-box"`` and ``box=`` refuse complex images (a ``ValueError`` naming
``shape``): a box bounds a real image.  With a phase of zero and a conjugate-symmetric mask the complex
problem's solution is the real one (tested); with another mask the complex problem lacks the conjugate
symmetry that a real image's k-space has.

**Which TV.**  TV(x) = Σ_ij ‖(∇x)_ij‖₂ with forward differences.  Two
boundary conditions are implemented (:func:`gradient`): ``"neumann"``
(the difference across the last row/column is 0) and ``"periodic"`` (it
wraps around, x[0] − x[h−1]).  :func:`tv` (Chambolle–Pock, any ``A``) takes
either; :func:`tv_admm` needs ``"periodic"``: then ∇ᵀ∇ is the circulant
5-point Laplacian, diagonal in the Fourier basis, and so is AᵀA for Fourier
sampling, so ADMM's x-update is one division in k-space.  The two solvers
give the same minimiser for the same (periodic) TV (tested).  ``"tv"`` and
``"tv-box"`` in :func:`reconstruct` and :func:`tune_lambda` mean the
periodic TV, solved by ADMM-FFT when ``A`` is a :class:`cstheory.mri.SubsampledFourier`
(its Gram matrix is Fourier-diagonal, :func:`cstheory.mri.fourier_gram`) and by Chambolle–Pock otherwise.

**Convergence.**  Every iterative method stops on a stated criterion below
``tol``: FISTA on the relative duality gap of the LASSO (a certificate on
the objective), ADMM on its relative primal and dual residuals (Boyd et al.),
Chambolle–Pock on its relative primal–dual residual; the iteration cap
``steps`` is only a safety net.  The result
reports ``converged``, the criterion's name and its final value
(``residual``), and the objective at every iterate, from which
:attr:`BaselineResult.relative_change` (relative objective change over the
last 10 iterations) is read.

**Regularization weights** (see :func:`tune_lambda`; each rule is an object, :class:`Oracle`,
:class:`Discrepancy`, :class:`Fraction`):

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

import importlib
import pkgutil

#: the modules of the package in import order: the shared pieces, the registry, then the methods and tuning;
#: any other module of the package (a new method) is imported after them, in name order
_CORE = ("core", "prox", "transforms", "registry", "direct", "fista", "tv_solvers", "tuning")

__all__ = []
for _name in _CORE + tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _CORE)):
    if _name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_name}")
    for _public in _module.__all__:
        globals()[_public] = getattr(_module, _public)
    __all__ += list(_module.__all__)

from . import registry  # noqa: E402  (imported above; named here for the lines below)

#: the classical methods by name, in registration order (read from ``cstheory.baselines.registry``)
METHODS = tuple(m.name for m in registry.methods())
#: the methods with a regularization weight λ
ITERATIVE = tuple(m.name for m in registry.methods(iterative=True))
#: λ = FRACTIONS[method] · lambda_scale(method, A, y) for the noiseless "fraction" rule (calibrated on
#: random ellipse phantoms by :func:`calibrate_fractions`; see the module docstring)
FRACTIONS = {m.name: m.fraction for m in registry.methods(iterative=True)}
__all__ += ["METHODS", "ITERATIVE", "FRACTIONS"]
__doc__ = __doc__.replace("{table}", registry.docs_table())
del _name, _module, _public
