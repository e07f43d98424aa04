"""Figure 5: compressive-sensing MRI with an over-parameterized deep decoder, and the classical baselines.

Sec. 5 of the paper fits a d = 5 layer, highly over-parameterized deep decoder
to 8-fold undersampled k-space and finds that early stopping at the (in
practice unknown) best iteration is only marginally better than optimizing
until convergence.  Here, offline (nothing of fastMRI is assumed):

* the image is the Shepp–Logan phantom (or any bundled image) at ``size``²;
* the k-space is simulated with :class:`cstheory.SubsampledFourier` and a
  Cartesian variable-density line mask with a fully sampled centre
  (:func:`cstheory.cartesian_mask`) at 4× and 8×, optionally with complex
  Gaussian noise at ``snr_db``;
* the deep decoder :class:`cstheory.DeepDecoder` (5 layers, ``channels``
  channels, learned 1×1 output convolution with a sigmoid) is fitted by
  :func:`cstheory.fit` with Adam to the k-space samples, tracking the true
  error ‖G(θ_t) − x*‖² at *every* iteration (``x_true``), so the best
  early-stopping point and the converged error can be compared;
* the classical baselines of :mod:`cstheory.baselines` (zero-filled inverse
  FFT, ℓ1 in the DCT by FISTA, isotropic TV by Chambolle–Pock, weights by
  their documented fixed rules) give the reference points of the table.

The deep decoder's reported image is the *last* iterate (what one has in
practice); the early-stopping oracle is reported separately
(``psnr_early_stopped``).  One Adam run at ``step_size``, annealed by a cosine
to 5 % over the last ``settle_fraction`` (40 %) of the steps
(:class:`cstheory.optim.CosineDecay`, Adam's moments kept), so that the last
iterate is not caught in one of Adam's transient loss spikes.

Data first, plot second::

    from cstheory.experiments import fig5
    result = fig5.run(quick=True)
    result.psnr["deep-decoder"][4], result.psnr["zero-filled"][4]
    fig5.plot(result, "fig5.png")
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import _checks
from .. import baselines
from .._backend import to_numpy
from ..deep_decoder import DeepDecoder
from ..fit import fit
from ..optim import Adam, CosineDecay
from ..mri import mri_problem, psnr, ssim
from ..plotting import figure, save

__all__ = ["Fig5Result", "run", "plot", "checks", "table", "fit_deep_decoder", "METHODS", "FULL", "QUICK"]

#: the methods of the table, in display order
METHODS = ("zero-filled", "l1-dct", "tv", "deep-decoder")
#: full-size settings (a few minutes on 2 cores)
FULL = {"size": 64, "channels": 64, "steps": 2500, "baseline_iters": 500}
#: quick settings (under 30 s on 2 cores)
QUICK = {"size": 32, "channels": 32, "steps": 400, "baseline_iters": 200}


@dataclass
class Fig5Result:
    """Data of Fig. 5.

    Attributes
    ----------
    image_name : str
    truth : numpy.ndarray (h, w)
        The ground-truth image x* in [0, 1].
    accelerations : tuple of float
    masks : dict {acceleration: numpy.ndarray of bool (h, w)}
        Sampling masks (unshifted FFT layout, DC at [0, 0]).
    images : dict {method: {acceleration: numpy.ndarray (h, w)}}
        The reconstructions (deep decoder: last iterate).
    psnr, ssim : dict {method: {acceleration: float}}
        PSNR in dB and SSIM (``skimage.metrics``, data range of x*) for each
        method of :data:`METHODS`.
    mse_curve : dict {acceleration: numpy.ndarray (steps + 1,)}
        Deep decoder: ‖G(θ_t) − x*‖² / n at every iteration t = 0 … steps.
    loss_curve : dict {acceleration: numpy.ndarray (steps + 1,)}
        Deep decoder: the training loss ½‖A G(θ_t) − y‖².
    best_iteration : dict {acceleration: int}
        argmin_t of ``mse_curve`` — the optimal (oracle) early-stopping point.
    best_mse, final_mse : dict {acceleration: float}
        MSE at the best iteration and at the last one.
    psnr_early_stopped : dict {acceleration: float}
        PSNR of the deep decoder at ``best_iteration``.
    timings : dict {method: {acceleration: float}}
        Wall-clock seconds per reconstruction.
    lam : dict {method: {acceleration: float}}
        Regularization weights λ the baselines used (by their fixed rules).
    config : dict
        The settings used (size, channels, steps, step size, SNR, …).
    """

    image_name: str
    truth: np.ndarray
    accelerations: tuple
    masks: dict
    images: dict
    psnr: dict
    ssim: dict
    mse_curve: dict
    loss_curve: dict
    best_iteration: dict
    best_mse: dict
    final_mse: dict
    psnr_early_stopped: dict
    timings: dict
    lam: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)


def fit_deep_decoder(P, channels=64, layers=5, steps=2500, step_size=0.01, settle_fraction=0.4, rng=0,
                     progress=False):
    """Fit a ``layers``-layer deep decoder to the k-space of an :class:`cstheory.mri.MRIProblem`.

    One Adam run at ``step_size``, annealed to 5 % over the last ``settle_fraction``
    of the ``steps`` (:meth:`cstheory.optim.CosineDecay.settle`; Adam's
    moments carry over), with the true error recorded at every iteration.

    Returns
    -------
    (signal, loss, error, num_params)
        The last iterate G(θ_T) (h, w), the losses ½‖A G(θ_t) − y‖² and the errors
        ‖G(θ_t) − x*‖² for t = 0 … steps (NumPy), and the number of parameters N.
    """
    xp = P.operator.xp
    gen = DeepDecoder(P.operator.image_shape, channels=channels, layers=layers, output="conv", sigmoid=True,
                      rng=rng, xp=xp, dtype=P.operator.dtype, device=P.operator.device)
    adam = Adam(step_size, schedule=CosineDecay.settle(steps, settle_fraction))
    res = fit(gen, P.operator, P.y, params=gen.init(rng=rng), steps=steps, optimizer=adam, x_true=P.image,
              record_every=1, rng=rng, progress=progress)
    loss, err, signal = res.loss, res.error, res.signal
    return signal, loss, err, gen.num_params


def run(quick=False, image="shepp_logan", size=None, accelerations=(4, 8), mask="cartesian", snr_db=None,
        channels=None, layers=5, steps=None, step_size=0.01, settle_fraction=0.4, baseline_iters=None, rng=0,
        xp=None, dtype=None, device=None, progress=False):
    """Compute the data of Fig. 5 (no drawing).

    Parameters
    ----------
    quick : bool
        Use :data:`QUICK` (32×32, 32 channels, 400 steps) instead of
        :data:`FULL` (64×64, 64 channels, 2500 steps).
    image : str
        ``"shepp_logan"`` (default) or a bundled scikit-image picture (e.g. ``"camera"``).
    size, channels, steps, baseline_iters : int, optional
        Override the defaults of ``quick``/full.
    accelerations : sequence of float
        Undersampling factors (4 and 8 as in Sec. 5; the paper's figure is 8×).
    mask : {"cartesian", "random"}
        Sampling pattern (see :func:`cstheory.mri.mri_problem`).
    snr_db : float, optional
        k-space SNR of the simulated complex Gaussian noise; ``None``: noiseless.
    layers : int
        Depth d of the deep decoder (5 in Sec. 5).
    step_size : float
        Adam's learning rate.
    settle_fraction : float
        Fraction of the steps at the end over which the step size is annealed to 5 %.
    rng : int
        Seed of the masks, the noise, the decoder's input and its initialisation.
    xp, dtype, device
        Backend of the computation.
    progress : bool
        Show progress bars.
    """
    cfg = dict(QUICK if quick else FULL)
    for key, val in (("size", size), ("channels", channels), ("steps", steps), ("baseline_iters", baseline_iters)):
        if val is not None:
            cfg[key] = _checks.positive_int(val, key)
    layers = _checks.positive_int(layers, "layers")
    step_size = _checks.positive_float(step_size, "step_size")
    settle_fraction = _checks.positive_float(settle_fraction, "settle_fraction", allow_zero=True)
    if settle_fraction >= 1.0:
        raise ValueError(f"settle_fraction must be in [0, 1), got {settle_fraction}")
    accelerations = tuple(_checks.positive_float(a, "accelerations entry") for a in accelerations)
    if not accelerations:
        raise ValueError("accelerations must hold at least one factor")
    rng = _checks.positive_int(rng, "rng", minimum=0)

    images = {m: {} for m in METHODS}
    scores_p = {m: {} for m in METHODS}
    scores_s = {m: {} for m in METHODS}
    timings = {m: {} for m in METHODS}
    lams = {"l1-dct": {}, "tv": {}}
    masks, mse_curve, loss_curve, best_it, best_mse, final_mse, psnr_es = {}, {}, {}, {}, {}, {}, {}
    truth = None
    n_params = None
    for acc in accelerations:
        P = mri_problem(image, size=cfg["size"], acceleration=acc, mask=mask, snr_db=snr_db, rng=rng,
                        xp=xp, dtype=dtype, device=device)
        truth = to_numpy(P.image).astype(np.float64)
        n = truth.size
        masks[acc] = to_numpy(P.operator.mask).astype(bool)

        t0 = time.perf_counter()
        recs = {"zero-filled": baselines.zero_filled(P.operator, P.y)}
        timings["zero-filled"][acc] = time.perf_counter() - t0
        for name, solver in (("l1-dct", baselines.l1_dct), ("tv", baselines.tv)):
            t0 = time.perf_counter()
            out = solver(P.operator, P.y, iters=cfg["baseline_iters"])
            timings[name][acc] = time.perf_counter() - t0
            recs[name] = out.image
            lams[name][acc] = out.lam

        t0 = time.perf_counter()
        signal, loss, err, n_params = fit_deep_decoder(P, cfg["channels"], layers, cfg["steps"], step_size,
                                                        settle_fraction, rng, progress)
        timings["deep-decoder"][acc] = time.perf_counter() - t0
        recs["deep-decoder"] = signal

        for name, rec in recs.items():
            rec = to_numpy(rec).astype(np.float64).reshape(truth.shape)
            images[name][acc] = rec
            scores_p[name][acc] = psnr(rec, truth)
            scores_s[name][acc] = ssim(rec, truth)
        mse = np.asarray(err, dtype=np.float64) / n
        mse_curve[acc] = mse
        loss_curve[acc] = np.asarray(loss, dtype=np.float64)
        best_it[acc] = int(np.argmin(mse))
        best_mse[acc] = float(mse[best_it[acc]])
        final_mse[acc] = float(mse[-1])
        rng_range = float(truth.max() - truth.min())
        psnr_es[acc] = float(10 * np.log10(rng_range**2 / best_mse[acc]))

    config = dict(cfg, image=image, layers=layers, step_size=step_size, settle_fraction=settle_fraction,
                  mask=mask, snr_db=snr_db, rng=rng, quick=quick, num_params=n_params,
                  l1_fraction=baselines.L1_FRACTION, tv_fraction=baselines.TV_FRACTION)
    return Fig5Result(image_name=image, truth=truth, accelerations=accelerations, masks=masks, images=images,
                      psnr=scores_p, ssim=scores_s, mse_curve=mse_curve, loss_curve=loss_curve,
                      best_iteration=best_it, best_mse=best_mse, final_mse=final_mse,
                      psnr_early_stopped=psnr_es, timings=timings, lam=lams, config=config)


def table(result):
    """The PSNR/SSIM table as text: one row per method, one column pair per acceleration."""
    accs = result.accelerations
    head = f"{'method':<14}" + "".join(f"  {f'{a:g}x PSNR':>9} {f'{a:g}x SSIM':>9}" for a in accs)
    rows = [head, "-" * len(head)]
    for m in METHODS:
        rows.append(f"{m:<14}" + "".join(f"  {result.psnr[m][a]:9.2f} {result.ssim[m][a]:9.3f}" for a in accs))
    rows.append(f"{'DD early-stop':<14}" + "".join(f"  {result.psnr_early_stopped[a]:9.2f} {'':>9}" for a in accs))
    return "\n".join(rows)


def plot(result, path=None):
    """Draw Fig. 5 from a :class:`Fig5Result`.

    Top left: the deep decoder's MSE against iterations (log-log) at every
    acceleration, the optimal early-stopping point marked; top right: the
    PSNR/SSIM table; below: the images side by side (ground truth, mask and
    every method, one row per acceleration).  Returns the Figure (created
    without pyplot); saves it to ``path`` if given.
    """

    accs = result.accelerations
    ncols = 2 + len(METHODS)
    fig = figure(2.3 * ncols, 3.2 + 2.4 * len(accs))
    grid = fig.add_gridspec(1 + len(accs), ncols, height_ratios=[1.4] + [1.0] * len(accs))
    ax = fig.add_subplot(grid[0, : ncols // 2 + 1])
    for i, a in enumerate(accs):
        mse = result.mse_curve[a]
        t = np.arange(mse.size)
        ax.loglog(t[1:], mse[1:], color=f"C{i}", lw=1.2, label=f"deep decoder, {a:g}x")
        b = result.best_iteration[a]
        ax.plot([max(b, 1)], [mse[b]], "o", color=f"C{i}", ms=7, mfc="none", mew=2)
        ax.annotate(f"best t={b}", (max(b, 1), mse[b]), textcoords="offset points", xytext=(-10, -14),
                    fontsize=8, color=f"C{i}", ha="right")
        for j, m in enumerate(("zero-filled", "tv")):
            ref = float(np.mean((result.images[m][a] - result.truth) ** 2))
            ax.axhline(ref, color=f"C{i}", ls=(":" if j == 0 else "--"), lw=0.9,
                       label=f"{m}, {a:g}x")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"MSE $\|G(C_t) - x^*\|^2 / n$")
    ax.set_title(f"Fig. 5: {result.image_name}, {result.config.get('size')}², 5-layer deep decoder")
    ax.legend(fontsize=7, ncol=2)

    tax = fig.add_subplot(grid[0, ncols // 2 + 1:])
    tax.axis("off")
    tax.text(0.0, 0.5, table(result), family="monospace", fontsize=8, va="center")

    show = ["truth", "mask"] + list(METHODS)
    for r, a in enumerate(accs):
        for c, name in enumerate(show):
            axi = fig.add_subplot(grid[1 + r, c])
            axi.set_xticks([])
            axi.set_yticks([])
            if name == "truth":
                axi.imshow(result.truth, cmap="gray", vmin=0, vmax=1)
                axi.set_title("ground truth", fontsize=9)
            elif name == "mask":
                axi.imshow(np.fft.fftshift(result.masks[a]), cmap="gray")
                axi.set_title(f"mask {a:g}x (centred)", fontsize=9)
            else:
                axi.imshow(np.clip(result.images[name][a], 0, 1), cmap="gray", vmin=0, vmax=1)
                axi.set_title(f"{name} {a:g}x\n{result.psnr[name][a]:.1f} dB / {result.ssim[name][a]:.3f}",
                              fontsize=9)
    save(fig, path)
    return fig


def checks(result):
    """Report checks: the deep decoder beats zero-filling at the lowest acceleration, and stopping
    early gains little over running to convergence (Sec. 5's claim)."""
    from ..report import Check
    low = min(result.accelerations)
    gain = result.psnr["deep-decoder"][low] - result.psnr["zero-filled"][low]
    early = max(result.psnr_early_stopped[a] - result.psnr["deep-decoder"][a] for a in result.accelerations)
    return [
        Check(f"deep decoder PSNR − zero-filled PSNR at {low:g}× (dB)", gain, 3.0, relation=">="),
        Check("largest PSNR gain of oracle early stopping over convergence (dB)", early, 1.0,
              note="Sec. 5: early stopping is not necessary; the optimum is only marginally better"),
    ]
