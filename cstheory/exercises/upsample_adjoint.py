"""Exercise ``upsample_adjoint``: the adjoint of the deep decoder's bilinear upsampling (eq. 4).

The checker compares the student's ``upsample_adjoint(g, h, w)`` with
:func:`cstheory.deep_decoder.upsample_adjoint` for the matrices of
:func:`cstheory.deep_decoder.interpolation_matrix` (linear interpolation,
half-pixel convention), on k = 1, 2 channels, odd and even input sizes
h, w = 1 … 4 and output sizes from the input size to twice it plus one.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .._backend import to_numpy
from ..deep_decoder import interpolation_matrix, upsample_adjoint
from ._engine import Exercise, Mistake
from ._strategies import float_arrays

NAME = "upsample_adjoint"

STATEMENT = """
Each layer of the deep decoder of eq. (4), B_{i+1} = cn(ReLU(U_i B_i C_i)), upsamples its
channels with a fixed bilinear operator U_i. In 2-D it acts on each channel X ∈ R^{h×w}
separately as X ↦ P_h X P_wᵀ ∈ R^{H×W}, where P_n ∈ R^{N×n} is 1-D linear interpolation from n
to N samples with the half-pixel convention (PyTorch's interpolate(..., mode="bilinear",
align_corners=False)): output sample j sits at the input coordinate

    src = (j + ½) · n/N − ½,  clamped below at 0,   i₀ = ⌊src⌋,  i₁ = min(i₀ + 1, n − 1),  λ = src − i₀,

and row j of P_n holds 1 − λ at i₀ and λ at i₁ (at the right edge both weights land on n − 1).
Backpropagation through the layer (for the gradient of eq. 9) needs the adjoint, the map with
⟨P_h X P_wᵀ, G⟩ = ⟨X, Uᵀ G⟩ for all X and G:

    Uᵀ G = P_hᵀ G P_w,   channel by channel.

Write `upsample_adjoint(g, h, w)` returning Uᵀ g for g ∈ R^{k×H×W} (k channels), an array of
shape (k, h, w). The checker draws odd and even sizes, output sizes from the input size to
twice it plus one, and compares with cstheory.deep_decoder.upsample_adjoint.
"""

BRIEF = """
Write `upsample_adjoint(g, h, w)` returning the adjoint of the bilinear upsampling U_i of the
deep decoder's layers, eq. (4) (as in cstheory.deep_decoder: linear interpolation along each
axis, PyTorch's align_corners=False convention), from h × w to H × W, applied to each of the k
channels of g ∈ R^{k×H×W}: an array of shape (k, h, w).
"""

STUB = '''
import numpy as np


def upsample_adjoint(g, h, w):
    """The adjoint of the deep decoder's bilinear upsampling from (h, w) to g's (H, W), per channel.

    Parameters
    ----------
    g : numpy.ndarray, shape (k, H, W)
        The cotangent of the upsampled channels (H >= h, W >= w).
    h, w : int
        The size of each channel before upsampling.

    Returns
    -------
    x : numpy.ndarray, shape (k, h, w)
        The adjoint applied to each channel of g.

    Conventions
    -----------
    * Linear interpolation along each axis with the half-pixel convention of PyTorch's
      interpolate(..., mode="bilinear", align_corners=False), as in cstheory.deep_decoder:
      from n to N samples, output sample j is (1 - lam) * x[i0] + lam * x[i1] with
      src = max((j + 0.5) * n / N - 0.5, 0), i0 = floor(src), i1 = min(i0 + 1, n - 1)
      and lam = src - i0. The upsampling applies it along the rows and the columns of each
      channel separately.
    """
    raise NotImplementedError("write the adjoint of the bilinear upsampling")
'''


def draw(data):
    k = data.draw(st.integers(1, 2), label="k")
    h = data.draw(st.integers(1, 4), label="h")
    w = data.draw(st.integers(1, 4), label="w")
    H = data.draw(st.integers(h, 2 * h + 1), label="H")
    W = data.draw(st.integers(w, 2 * w + 1), label="W")
    return {"g": data.draw(float_arrays((k, H, W)), label="g"), "h": h, "w": w}


def reference(g, h, w):
    mats = [interpolation_matrix(h, g.shape[1]), interpolation_matrix(w, g.shape[2])]
    return to_numpy(upsample_adjoint(g, mats))


def example():
    return {"g": np.arange(24.0).reshape(2, 3, 4) / 8.0 - 1.0, "h": 2, "w": 2}


# -- classic mistakes ------------------------------------------------------------
def _interp(n_in, n_out, align_corners=False, clamp=True, keep_edge=True, nearest=False):
    """An (n_out, n_in) interpolation matrix with one convention changed (defaults: the library's)."""
    P = np.zeros((n_out, n_in))
    for j in range(n_out):
        if nearest:
            P[j, min(n_in - 1, (j * n_in) // n_out)] = 1.0
            continue
        if align_corners:
            src = j * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = (j + 0.5) * n_in / n_out - 0.5
            src = max(src, 0.0) if clamp else src
        i0 = min(int(np.floor(src)), n_in - 1)
        lam = src - i0
        P[j, i0] += 1.0 - lam                     # a negative i0 (no clamp) wraps around, as NumPy indexing does
        if i0 + 1 < n_in:
            P[j, i0 + 1] += lam
        elif keep_edge:
            P[j, n_in - 1] += lam
    return P


def _adjoint(g, h, w, rows=None, cols=None, **convention):
    Ph = _interp(h, g.shape[1], **convention) if rows is None else rows
    Pw = _interp(w, g.shape[2], **convention) if cols is None else cols
    return np.stack([Ph.T @ G @ Pw for G in g])


MISTAKES = [
    Mistake("forward_not_adjoint", "interpolation back down from (H, W) to (h, w) is not the adjoint: the adjoint "
            "of X ↦ P_h X P_wᵀ is G ↦ P_hᵀ G P_w, the transposed interpolation matrices of the UPsampling "
            "(each input sample collects the weights it gave to the output samples).",
            lambda g, h, w: np.stack([_interp(g.shape[1], h) @ G @ _interp(g.shape[2], w).T for G in g])),
    Mistake("align_corners", "the align_corners=True convention (src = j·(n − 1)/(N − 1)): the deep decoder's "
            "upsampling uses the half-pixel convention, src = (j + ½)·n/N − ½, clamped below at 0.",
            lambda g, h, w: _adjoint(g, h, w, align_corners=True)),
    Mistake("dropped_edge_weight", "a weight lost at the right edge: where i₀ + 1 = n falls outside the input, "
            "i₁ = min(i₀ + 1, n − 1) = n − 1, so BOTH weights 1 − λ and λ go to sample n − 1 (every row of "
            "P_n sums to one).", lambda g, h, w: _adjoint(g, h, w, keep_edge=False)),
    Mistake("edge_wraps", "the left edge wraps around: src = (j + ½)·n/N − ½ is negative for the first output "
            "samples and must be clamped at 0 (else ⌊src⌋ = −1 indexes the LAST input sample).",
            lambda g, h, w: _adjoint(g, h, w, clamp=False)),
    Mistake("nearest", "nearest-neighbour upsampling: the deep decoder's U_i interpolates LINEARLY between the "
            "two nearest input samples (weights 1 − λ and λ), so its adjoint spreads each output over two inputs.",
            lambda g, h, w: _adjoint(g, h, w, nearest=True)),
    Mistake("one_axis_only", "only one axis: the upsampling interpolates along BOTH axes, X ↦ P_h X P_wᵀ, so the "
            "adjoint multiplies by P_hᵀ on the left AND by P_w on the right.",
            lambda g, h, w: np.stack([_interp(h, g.shape[1]).T @ G for G in g])),
    Mistake("transposed_image", "your channels are transposed (shape (k, w, h)): the answer has the input's "
            "layout, (k, h, w), rows first — P_hᵀ G P_w, not its transpose.",
            lambda g, h, w: np.swapaxes(_adjoint(g, h, w), 1, 2)),
]

EXERCISE = Exercise(
    name=NAME, position=75, summary="the adjoint of the deep decoder's bilinear upsampling", equation="eq. (4)",
    brief=BRIEF, shape="(k, h, w) where g is k × H × W", function="upsample_adjoint",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    default_hint="Uᵀ G = P_hᵀ G P_w per channel, with P_n the (N × n) half-pixel linear-interpolation matrix; check "
                 "it with ⟨P_h X P_wᵀ, G⟩ = ⟨X, Uᵀ G⟩ for a random X.",
    nan_hint="a NaN or infinity: the adjoint only multiplies by interpolation weights in [0, 1] and adds — look for "
             "a division (by N − 1 when N = 1) or an uninitialised array (np.empty) in your code.",
)
