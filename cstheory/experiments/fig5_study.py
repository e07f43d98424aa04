"""Fig. 5 as a study: the deep decoder against the baselines over images, accelerations, noise and masks.

:mod:`cstheory.experiments.fig5` reproduces the figure on the Shepp–Logan phantom, a few masks at a
time.  One picture that is TV's home ground, one noise level and a handful of masks cannot say
whether an un-trained network is a better prior for MRI than the classical ones; this module asks
the question as a small study and concludes only what its intervals support:

* **cells**: every ``image`` × ``acceleration`` × ``snr_db`` (noise-free and 30 dB SNR) × ``phase``,
  each over ``seeds`` evaluation masks (each seed draws the mask, the noise, the decoder's input and
  its start);
* **phase**: ``"none"`` (a real image) and ``"smooth"`` (the picture times e^{iφ} with a smooth random
  phase φ of peak-to-peak π, ``mri_problem(..., phase="smooth")``).  A real image measured through the
  real-linear Fourier operator hands every method the conjugate symmetry of its k-space, which real
  MRI data do not have; with a phase every method reconstructs a complex image (2, h, w): TV of the
  complex image (Σ √(|∇x_re|² + |∇x_im|²)), ℓ1 of its complex Haar coefficients (the complex soft
  threshold), and the deep decoder with two output channels and no sigmoid.  Every method is scored by
  the PSNR of its magnitude |x| against |x*| (fastMRI's convention; for real images the plain PSNR);
* **images**: the phantom and two bundled natural pictures with texture (``camera``, ``brick``),
  all simulated without the inverse crime (``oversample=4``, :func:`cstheory.mri.mri_problem`);
* **baselines tuned two ways**: oracle-tuned (the best PSNR against x* on the evaluation problem
  itself, an upper bound) and **held-out-tuned** — λ is the geometric mean of the oracle λ on
  :data:`TUNING_SEEDS` masks, disjoint from the evaluation seeds, then used unchanged on the
  evaluation masks: what a user who calibrated on other scans of the same kind would do.
  Without noise the oracle λ can be meaningless where the PSNR is flat over decades of λ; the
  held-out rule is not;
* **the deep decoder** (:func:`cstheory.experiments.fig5.fit_deep_decoder`), last iterate, and the
  oracle early-stopped iterate, with ``inits`` random starts (the lowest final measurement loss kept).

:func:`summarize` gives, per image × acceleration × noise × phase, the mean over the masks of
"deep decoder − best held-out-tuned baseline" with its 95 % confidence interval (Student's t) and
the verdict "wins", "loses" (the whole interval on one side of zero) or "no significant difference".

A study CSV without a ``phase`` column (written before the axis existed) reads as phase ``"none"``;
``run(phases=("none",))`` builds exactly the grid of that time (no ``phase`` column), so such a CSV
resumes.

The cells run on any executor through :func:`cstheory.sweep.run_grid` (resumable CSV), so
``cstheory sweep fig5-study --workers 2`` runs the study on two cores and a rerun resumes it.

Example (tiny, for the docs)::

    from cstheory.experiments import fig5_study
    table = fig5_study.run(quick=True, images=("shepp_logan",), snrs=(None,), seeds=(0,))
    print(fig5_study.summary_table(fig5_study.summarize(table)))
"""
from __future__ import annotations

import functools
import math
import time

import numpy as np

from .. import _checks, baselines
from .._backend import to_numpy
from ..mri import magnitude, mri_problem, psnr
from ..report import Check, mean_interval
from . import fig5

__all__ = ["IMAGES", "PHASES", "TUNING_SEEDS", "METHODS", "QUICK", "FULL", "cell", "run", "summarize",
           "summary_table", "checks"]

#: the study's pictures: the phantom (piecewise constant, TV's home ground) and two textured natural images
IMAGES = ("shepp_logan", "camera", "brick")
#: the baselines of the study (TV + box and ℓ1-DCT are within 0.1 dB of TV and below ℓ1-Haar in Fig. 5)
METHODS = ("l1-haar", "tv")
#: the phases of the study's objects: a real image, and a complex one with a smooth phase
PHASES = ("none", "smooth")
#: masks λ is tuned on for the held-out rule: disjoint from every evaluation seed (< 1000)
TUNING_SEEDS = (1000, 1001)
#: quick study: 32², 4× only (at 32² an 8× mask keeps 4 lines), 3 masks per cell
QUICK = {"size": 32, "channels": 32, "steps": 400, "accelerations": (4.0,), "snrs": (None, 30.0),
         "seeds": (0, 1, 2), "inits": 1, "phases": PHASES}
#: full study: 64², 4× and 8×, 5 masks per cell
FULL = {"size": 64, "channels": 64, "steps": 2500, "accelerations": (4.0, 8.0), "snrs": (None, 30.0),
        "seeds": (0, 1, 2, 3, 4), "inits": 1, "phases": PHASES}


def _phase(phase):
    """A phase of :data:`PHASES` (checked) → the ``phase`` of :func:`cstheory.mri.mri_problem`."""
    return None if _checks.choice(phase, PHASES, "phase") == "none" else phase


def _problem(image, acceleration, snr_db, seed, size, phase="none"):
    return mri_problem(image, size=size, acceleration=acceleration, snr_db=snr_db, rng=seed, oversample=4,
                       phase=_phase(phase))


@functools.lru_cache(maxsize=64)
def heldout_lambda(method, image, acceleration, snr_db, size, tuning_seeds=TUNING_SEEDS, phase="none"):
    """λ of the held-out rule: the geometric mean of the oracle-tuned λ on the masks of ``tuning_seeds``
    (cached per worker process: every evaluation cell of one image × acceleration × noise × phase shares it)."""
    lams = []
    for seed in tuning_seeds:
        P = _problem(image, acceleration, snr_db, seed, size, phase)
        lams.append(baselines.tune_lambda(method, P.operator, P.y, rule="oracle", truth=P.image).lam)
    return float(math.exp(np.mean(np.log(lams))))


def cell(image, acceleration, snr_db, seed, size=64, channels=64, steps=2500, inits=1, phase="none"):
    """One evaluation problem of the study: PSNR (dB) of every method, and the seconds each took.

    Returns a dict (a row of :func:`cstheory.sweep.run_grid`): ``zero-filled``, ``<method> oracle``,
    ``<method> held-out`` for each of :data:`METHODS`, ``deep-decoder`` (last iterate),
    ``deep-decoder early-stopped`` (oracle), ``dd_seconds``, ``baseline_seconds``.  With
    ``phase="smooth"`` every PSNR is that of the magnitude (:func:`cstheory.mri.psnr` of the (2, h, w) images).
    """
    snr_db = None if snr_db is None or (isinstance(snr_db, float) and math.isnan(snr_db)) else float(snr_db)
    P = _problem(image, acceleration, snr_db, seed, size, phase)
    truth = to_numpy(P.image).astype(np.float64)
    peak = to_numpy(magnitude(P.image)) if P.complex_image else truth       # what the PSNR compares
    row = {"zero-filled": psnr(to_numpy(baselines.zero_filled(P.operator, P.y)), truth)}
    t0 = time.perf_counter()
    for method in METHODS:
        cache = {}
        oracle = baselines.tune_lambda(method, P.operator, P.y, rule="oracle", truth=P.image, cache=cache)
        lam = heldout_lambda(method, image, float(acceleration), snr_db, int(size), phase=phase)
        held = baselines.solve(method, P.operator, P.y, lam=lam)
        row[f"{method} oracle"] = psnr(to_numpy(oracle.result.image), truth)
        row[f"{method} held-out"] = psnr(to_numpy(held.image), truth)
    row["baseline_seconds"] = time.perf_counter() - t0
    dd = fig5.fit_deep_decoder(P, channels=channels, layers=5, steps=steps, rng=seed, inits=inits)
    mse = dd.error / peak.size
    row["deep-decoder"] = psnr(to_numpy(dd.signal), truth)
    row["deep-decoder early-stopped"] = float(10 * np.log10((peak.max() - peak.min()) ** 2 / mse.min()))
    row["dd_seconds"] = dd.seconds
    return row


def _cell(image, acceleration, snr_db, seed, size, channels, steps, inits, phase="none"):
    """``cell`` with every argument a grid value (what :func:`cstheory.sweep.run_grid` calls)."""
    return cell(image, acceleration, None if snr_db == "none" else snr_db, seed, size, channels, steps, inits,
                phase)


def run(quick=False, images=IMAGES, seeds=None, snrs=None, accelerations=None, executor=None, out=None,
        progress=False, phases=None, workers=None, **overrides):
    """Run the study's cells on ``executor`` and return the :class:`cstheory.sweep.SweepTable` of rows
    (resumable through the CSV ``out``).  Without an executor the cells run in this process, or, with
    ``workers``, on a local process pool of that many workers (:func:`cstheory.sweep.process_pool`).

    ``phases`` (a sequence of :data:`PHASES`, default those of the mode: both) are the objects' phases.
    With ``phases=("none",)`` the grid has no ``phase`` axis at all: it is the grid of the study before
    complex images, so a CSV written then resumes."""
    from ..sweep import SerialExecutor, process_pool, run_grid

    quick = _checks.flag(quick, "quick")
    cfg = dict(QUICK if quick else FULL)
    for key in overrides:
        if key not in ("size", "channels", "steps", "inits"):
            raise TypeError(f"unknown keyword {key!r}; choose from size, channels, steps, inits")
        cfg[key] = _checks.positive_int(overrides[key], key)
    phases = cfg["phases"] if phases is None else phases
    if isinstance(phases, str) or not isinstance(phases, (tuple, list)) or not phases:
        raise TypeError(f"phases must be a non-empty tuple or list of {PHASES}, got {phases!r}"[:200])
    phases = tuple(_checks.choice(p, PHASES, "phases entry") for p in phases)
    grid = {"image": list(images), "acceleration": list(accelerations or cfg["accelerations"]),
            "snr_db": ["none" if s is None else float(s) for s in (snrs if snrs is not None else cfg["snrs"])]}
    if phases != ("none",):
        grid["phase"] = list(phases)
    grid.update({"size": [cfg["size"]], "channels": [cfg["channels"]], "steps": [cfg["steps"]],
                 "inits": [cfg["inits"]]})
    if executor is None:
        workers = None if workers is None else _checks.positive_int(workers, "workers")
        executor = SerialExecutor() if workers in (None, 1) else process_pool(workers)
        close = executor.shutdown
    else:
        close = lambda: None                                                      # noqa: E731
    try:
        return run_grid(_cell, grid, list(seeds if seeds is not None else cfg["seeds"]),
                        executor=executor, out=out, progress=progress)
    finally:
        close()


def _interval(values):
    """Mean and 95 % interval; one mask gives the mean as a degenerate interval (no verdict can be drawn)."""
    if len(values) < 2:
        return float(values[0]), (-math.inf, math.inf)
    return mean_interval(values)


def summarize(table):
    """Per image × acceleration × noise × phase: the mean gap of the deep decoder to the best held-out-tuned
    baseline and to the best oracle-tuned one, their 95 % intervals, the verdict, and the mean gain of
    oracle early stopping.  Returns a list of dicts, one per cell group: images in the order of
    :data:`IMAGES`, then acceleration, noise-free before noisy, real before complex.  Rows without a ``phase``
    (a CSV from before the phase axis) are phase ``"none"``; a mask that appears twice counts once."""
    rows, seen = [], set()
    for r in table.rows:
        if r.get("status", "ok") != "ok":
            continue
        r = {**r, "phase": str(r.get("phase", "none"))}        # a CSV from before the phase axis: real images
        key = (r["image"], float(r["acceleration"]), str(r["snr_db"]), r["phase"], r.get("seed"))
        if key not in seen:                                     # one mask counts once
            seen.add(key)
            rows.append(r)
    groups = {}
    for r in rows:
        groups.setdefault((r["image"], float(r["acceleration"]), str(r["snr_db"]), r["phase"]), []).append(r)
    def order(key):
        image, acc, snr, phase = key
        return (IMAGES.index(image) if image in IMAGES else len(IMAGES), image, acc, snr != "none", snr,
                PHASES.index(phase) if phase in PHASES else len(PHASES), phase)

    out = []
    for (image, acc, snr, phase), rs in sorted(groups.items(), key=lambda item: order(item[0])):
        held = [r["deep-decoder"] - max(r[f"{m} held-out"] for m in METHODS) for r in rs]
        orac = [r["deep-decoder"] - max(r[f"{m} oracle"] for m in METHODS) for r in rs]
        (m_h, ci_h), (m_o, ci_o) = _interval(held), _interval(orac)
        verdict = "wins" if ci_h[0] > 0 else "loses" if ci_h[1] < 0 else "no significant difference"
        out.append({"image": image, "acceleration": acc, "snr_db": snr, "phase": phase, "masks": len(rs),
                    "deep_decoder": float(np.mean([r["deep-decoder"] for r in rs])),
                    "gap_heldout": m_h, "ci_heldout": ci_h, "gap_oracle": m_o, "ci_oracle": ci_o,
                    "verdict": verdict, "gaps": held,
                    "early_stopping_gain": float(np.mean([r["deep-decoder early-stopped"] - r["deep-decoder"]
                                                          for r in rs])),
                    "dd_seconds": float(np.mean([r["dd_seconds"] for r in rs]))})
    return out


def summary_table(summary):
    """The summary as a Markdown table (the README's Fig. 5 study table), one row per image × acceleration ×
    noise × phase."""
    lines = ["| image | R | noise | phase | masks | DD (dB) | DD − best held-out baseline: mean [95 % CI] | verdict | "
             "DD − best oracle baseline | early-stopping gain |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        noise = "none" if s["snr_db"] == "none" else f"{float(s['snr_db']):g} dB"
        lines.append(f"| {s['image']} | {s['acceleration']:g}× | {noise} | {s.get('phase', 'none')} | {s['masks']} | "
                     f"{s['deep_decoder']:.2f} | "
                     f"{s['gap_heldout']:+.2f} [{s['ci_heldout'][0]:+.2f}, {s['ci_heldout'][1]:+.2f}] | "
                     f"{s['verdict']} | {s['gap_oracle']:+.2f} [{s['ci_oracle'][0]:+.2f}, {s['ci_oracle'][1]:+.2f}] | "
                     f"{s['early_stopping_gain']:.2f} |")
    return "\n".join(lines)


def checks(summary):
    """The study's report checks: a verdict is only ever drawn from an interval (no cell's verdict
    contradicts its interval) — and Sec. 5's claim, oracle early stopping gains < 1 dB on average, per
    noise-free cell group."""
    out = []
    for s in summary:
        if s["snr_db"] == "none":
            phase = "" if s.get("phase", "none") == "none" else f" {s['phase']} phase"
            out.append(Check(f"{s['image']} {s['acceleration']:g}× noise-free{phase}: mean gain of oracle early "
                             "stopping (dB)", s["early_stopping_gain"], 1.0, note=f"verdict: {s['verdict']}"))
    return out
