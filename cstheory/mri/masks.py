"""k-space masks (floor 2): Cartesian lines and random points, variable density, a fully sampled centre."""
from __future__ import annotations

import math

import numpy as np

from .. import _checks
from .._backend import as_generator, resolve_namespace

__all__ = ["cartesian_mask", "random_mask", "centre_mask", "kspace_distance", "MASK_DENSITIES"]


# Every mask uses the *unshifted* layout of ``fft2`` (the DC coefficient at
# index [0, 0], frequency index j ↔ j for j < s/2 and j − s above).  Display a
# mask or k-space with ``numpy.fft.fftshift``.

MASK_DENSITIES = ("variable", "uniform")


def image_shape_of(shape, name="shape"):
    """A pair (h, w) of positive integers: ``TypeError`` for an int or a non-tuple, ``ValueError`` otherwise."""
    return _checks.shape_tuple(shape, name, lengths=(2,), int_ok=False)


def kspace_distance(s):
    """|frequency index| of each position of a length-``s`` FFT axis: min(j, s − j) (host array).

    Examples
    --------
    >>> from cstheory.mri import kspace_distance
    >>> kspace_distance(8)
    array([0, 1, 2, 3, 4, 3, 2, 1])
    """
    s = _checks.positive_int(s, "s")
    _checks.memory(_checks.nbytes((s,)) * 3, f"kspace_distance(s={s})")
    j = np.arange(s)
    return np.minimum(j, s - j)


def _centre_first(s):
    """Positions of a length-``s`` FFT axis ordered from the DC outwards: 0, 1, s−1, 2, s−2, …"""
    return np.argsort(kspace_distance(s), kind="stable")


def _mask_args(acceleration, center_fraction, density, decay):
    acceleration = _checks.positive_float(acceleration, "acceleration")
    if acceleration < 1.0:
        raise ValueError(f"acceleration must be >= 1 (1 = fully sampled), got {acceleration}")
    if center_fraction is None:
        center_fraction = 0.32 / acceleration
    center_fraction = _checks.real(center_fraction, "center_fraction", low=0.0, high=1.0, low_open=True)
    _checks.choice(density, MASK_DENSITIES, "density")
    decay = _checks.positive_float(decay, "decay", allow_zero=True)
    return acceleration, center_fraction, decay


def _mask_setup(shape, acceleration, center_fraction, density, decay, rng, xp, what):
    """Validate every argument of a mask generator (before any work); return the checked values."""
    h, w = image_shape_of(shape)
    acceleration, center_fraction, decay = _mask_args(acceleration, center_fraction, density, decay)
    host_rng = as_generator(rng)
    resolve_namespace(xp)
    _checks.memory(_checks.nbytes((h, w), itemsize=40), f"{what}(shape={shape!r}): the mask and its weights")
    return h, w, acceleration, center_fraction, decay, host_rng


def _density_weights(r, decay):
    """Log of the polynomial variable-density weights ∝ (1 − r)^decay for normalised distances r ∈ [0, 1)."""
    return decay * np.log1p(-np.asarray(r, dtype=np.float64))


def _draw_weighted(rng, items, size, log_w):
    """``size`` of ``items`` drawn without replacement with probabilities ∝ exp(log_w).

    Where the weights are representable (a dynamic range below e^600) this is NumPy's
    ``choice(..., replace=False, p=...)``; for a steeper density (``decay=1e4``), where
    the weights would underflow to zero, the same distribution is drawn in the log domain by
    keeping the ``size`` largest keys log wᵢ + Gumbelᵢ (sequential sampling without replacement,
    Efraimidis–Spirakis), so a steep density keeps the highest-weight items instead of failing."""
    log_w = log_w - log_w.max()
    if log_w.min() > -600.0:
        w = np.exp(log_w)
        return rng.choice(items, size=size, replace=False, p=w / w.sum())
    keys = log_w + rng.gumbel(size=log_w.shape)
    return items[np.argsort(-keys, kind="stable")[:size]]


def mask_to(mask, xp, device):
    xp = resolve_namespace(xp)
    if device is None:
        return xp.asarray(mask, dtype=xp.bool)
    return xp.asarray(mask, dtype=xp.bool, device=device)


def cartesian_mask(shape, acceleration, center_fraction=None, density="variable", decay=2.0,
                   rng=0, xp=None, device=None):
    """Cartesian undersampling mask: whole k-space columns (phase-encoding lines).

    A sampled line is a full column ``mask[:, j]`` (all read-out frequencies
    of one phase-encoding step), as in single-coil Cartesian MRI and the
    fastMRI masks.  Of the ``w`` columns, ``round(w / acceleration)`` are
    kept:

    * the ``max(1, round(center_fraction · w))`` lowest frequencies (the
      fully sampled centre, which carries most of the image energy);
    * the rest drawn at random without replacement among the other columns,
      with probability ∝ (1 − |k| / (w/2 + 1))^decay for ``density="variable"``
      (|k| the column's frequency index; more lines near the centre) or
      uniform for ``density="uniform"``.

    Parameters
    ----------
    shape : (int, int)
        Image / k-space shape (h, w).
    acceleration : float
        Undersampling factor R ≥ 1 (4 and 8 in Sec. 5); the achieved factor is
        ``w / round(w / R)``.
    center_fraction : float, optional
        Fraction of columns in the fully sampled centre; default 0.32 / R
        (0.08 at 4×, 0.04 at 8×, the fastMRI choice).
    density : {"variable", "uniform"}
    decay : float
        Exponent of the variable density (0 gives uniform).
    rng : int or numpy.random.Generator
        Drawn on the host, so one seed gives the same mask on every backend.
    xp, device
        Where the boolean mask is returned.

    Returns
    -------
    mask : (h, w) boolean array in the unshifted FFT layout (DC at [0, 0]).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> mask = cst.cartesian_mask((8, 16), acceleration=4, rng=0)
    >>> print(mask.shape, int(mask.sum()), np.flatnonzero(mask.all(axis=0)))   # 4 whole columns of 16
    (8, 16) 32 [ 0  1  3 15]
    >>> print(bool(mask[:, 0].all()))                                          # the centre (DC) is sampled
    True
    """
    h, w, acceleration, center_fraction, decay, rng = _mask_setup(shape, acceleration, center_fraction, density,
                                                                   decay, rng, xp, "cartesian_mask")
    n_lines = max(1, int(round(w / acceleration)))
    n_centre = max(1, int(round(center_fraction * w)))
    if n_centre > n_lines:
        raise ValueError(
            f"center_fraction={center_fraction} asks for {n_centre} centre lines but acceleration={acceleration} "
            f"allows only {n_lines} of {w}; lower center_fraction"
        )
    order = _centre_first(w)
    chosen = list(order[:n_centre])
    rest = order[n_centre:]
    if n_lines > n_centre:
        if density == "uniform" or decay == 0.0:
            log_w = np.zeros(rest.size)
        else:
            log_w = _density_weights(kspace_distance(w)[rest] / (w / 2.0 + 1.0), decay)
        chosen += list(_draw_weighted(as_generator(rng), rest, n_lines - n_centre, log_w))
    mask = np.zeros((h, w), dtype=bool)
    mask[:, np.asarray(chosen, dtype=np.int64)] = True
    return mask_to(mask, xp, device)


def random_mask(shape, acceleration, center_fraction=None, density="variable", decay=2.0,
                rng=0, xp=None, device=None):
    """2-D random undersampling mask: individual k-space locations.

    ``round(h·w / acceleration)`` locations are kept: a fully sampled centre
    block (the ``max(1, round(center_fraction · s))`` lowest frequencies along
    each axis s ∈ {h, w}) and the rest drawn without replacement with
    probability ∝ (1 − r)^decay, r = ‖(k_y/(h/2+1), k_x/(w/2+1))‖/√2 the
    normalised radial frequency (``density="variable"``), or uniformly.

    Parameters are those of :func:`cartesian_mask`; the default
    ``center_fraction`` is again 0.32 / acceleration (per axis).

    Returns
    -------
    mask : (h, w) boolean array in the unshifted FFT layout (DC at [0, 0]).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> mask = cst.random_mask((16, 16), acceleration=4, rng=0)
    >>> print(int(mask.sum()), bool(mask[0, 0]))        # 256 / 4 locations, DC included
    64 True
    """
    h, w, acceleration, center_fraction, decay, rng = _mask_setup(shape, acceleration, center_fraction, density,
                                                                   decay, rng, xp, "random_mask")
    n_total = max(1, int(round(h * w / acceleration)))
    ch = max(1, int(round(center_fraction * h)))
    cw = max(1, int(round(center_fraction * w)))
    if ch * cw > n_total:
        raise ValueError(
            f"center_fraction={center_fraction} asks for a {ch}x{cw} centre but acceleration={acceleration} "
            f"allows only {n_total} samples; lower center_fraction"
        )
    mask = np.zeros((h, w), dtype=bool)
    mask[np.ix_(_centre_first(h)[:ch], _centre_first(w)[:cw])] = True
    rest = np.flatnonzero(~mask)
    if n_total > ch * cw:
        if density == "uniform" or decay == 0.0:
            log_w = np.zeros(rest.size)
        else:
            ry = kspace_distance(h)[:, None] / (h / 2.0 + 1.0)
            rx = kspace_distance(w)[None, :] / (w / 2.0 + 1.0)
            r = np.sqrt(ry**2 + rx**2) / math.sqrt(2.0)
            log_w = _density_weights(r.reshape(-1)[rest], decay)
        pick = _draw_weighted(as_generator(rng), rest, n_total - ch * cw, log_w)
        mask.reshape(-1)[pick] = True
    return mask_to(mask, xp, device)


def centre_mask(shape, center_fraction, lines=True):
    """Host boolean mask of the fully sampled centre that :func:`cartesian_mask` (``lines=True``)
    or :func:`random_mask` (``lines=False``) always include, for tests and plots.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory.mri import centre_mask
    >>> print(np.flatnonzero(centre_mask((4, 8), 0.25)[0]))     # the 2 lowest frequencies: 0 and 1
    [0 1]
    """
    h, w = image_shape_of(shape)
    center_fraction = _checks.real(center_fraction, "center_fraction", low=0.0, high=1.0, low_open=True)
    lines = _checks.flag(lines, "lines")
    _checks.memory(_checks.nbytes((h, w), itemsize=1), f"centre_mask(shape={shape!r})")
    mask = np.zeros((h, w), dtype=bool)
    cw = max(1, int(round(center_fraction * w)))
    if lines:
        mask[:, _centre_first(w)[:cw]] = True
    else:
        ch = max(1, int(round(center_fraction * h)))
        mask[np.ix_(_centre_first(h)[:ch], _centre_first(w)[:cw])] = True
    return mask


# ---------------------------------------------------------------------------
# the measurement operator
