"""Single-coil compressive-sensing MRI, Sec. 5 (floor 2), in one package.

* **k-space masks** (``cstheory.mri.masks``) — :func:`cartesian_mask` (phase-encoding lines) and
  :func:`random_mask` (points), variable density with a fully sampled centre;
* **the measurement operator** (``cstheory.mri.operator``) — :class:`SubsampledFourier`, the orthonormal
  2-D DFT sampled on a mask, as a real-linear :class:`cstheory.LinearOperator`
  A x = [Re (F x)_Ω ; Im (F x)_Ω], and the Fourier symbol of its Gram matrix, :func:`fourier_gram`;
* **data** (``cstheory.mri.data``) — the Shepp–Logan phantom and natural images bundled with
  scikit-image, and k-space simulated from them (:func:`simulate_kspace`,
  :func:`mri_problem`), y = A x* + e with optional complex Gaussian noise at a
  stated signal-to-noise ratio;
* **metrics** (``cstheory.mri.metrics``) — :func:`psnr` and :func:`ssim`.

This face keeps every public name of the modules as ``cstheory.mri.X``.

Sec. 5 of the paper reconstructs images from 8-fold undersampled k-space of
the fastMRI set.  Nothing of fastMRI is assumed here: everything runs offline.

**The inverse crime.**  Rendering a phantom on the reconstruction grid and
simulating y = A x* with the very DFT that the reconstruction inverts hands
every method a pixel image with clean, anti-aliased edges — data no scanner
produces.  ``mri_problem(..., oversample=4)`` avoids it: the object is rendered
on a 4× finer grid and its k-space is cropped to the central frequencies
that the reconstruction grid represents (:func:`fourier_downsample`), as a
scanner samples the spectrum of a continuous object.  The reference x* is
then what a *fully sampled* scan reconstructs (the inverse DFT of all
those frequencies, the convention of fastMRI): it carries the Gibbs
ringing of truncated k-space at every edge.  (Compared instead with the
phantom averaged over each pixel, even the fully sampled reconstruction
scores only ≈ 20 dB on the 64² Shepp–Logan phantom: that would measure
the discretization, not the priors.)  The object is scaled so that x* spans
[0, 1].  With the default ``oversample=1`` the study commits the inverse crime.
"""
from __future__ import annotations

from . import data, masks, metrics, operator
from .data import (MASKS, PHASES, MRIProblem, fourier_downsample, mri_problem, natural_image, phantom,
                   simulate_kspace, smooth_phase)
from .masks import MASK_DENSITIES, cartesian_mask, centre_mask, kspace_distance, random_mask
from .metrics import magnitude, psnr, ssim
from .operator import SubsampledFourier, fourier_gram

__all__ = masks.__all__ + operator.__all__ + data.__all__ + metrics.__all__
