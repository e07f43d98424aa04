"""Exercise ``channel_norm_vjp``: the backward pass of the deep decoder's channel normalisation (eq. 4).

The checker compares the student's ``channel_norm_vjp(a, scale, g, eps)`` with
:func:`cstheory.deep_decoder.channel_norm_backward` (after
:func:`cstheory.deep_decoder.channel_norm` for the statistics) on k = 1 … 3
channels of s = 2 … 7 positions (odd and even), arbitrary activations
(constant channels included), scales, cotangents, and ε ∈ {1e-5, 0.01, 0.5}.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .._backend import to_numpy
from ..deep_decoder import channel_norm, channel_norm_backward
from ._engine import Exercise, Mistake
from ._strategies import float_arrays

NAME = "channel_norm_vjp"

STATEMENT = """
Every layer of the deep decoder of eq. (4), B_{i+1} = cn(ReLU(U_i B_i C_i)), ends with a
channel normalisation: for activations a ∈ R^{k×s} (k channels along the first axis, s spatial
positions along the second), each channel c is normalised over space and then scaled and
shifted by learned γ_c, β_c,

    μ_c = mean_j a[c, j],   v_c = mean_j (a[c, j] − μ_c)²,   sd_c = √(v_c + ε),
    z[c, j] = (a[c, j] − μ_c) / sd_c,   out[c, j] = γ_c z[c, j] + β_c,

with the biased variance v_c (a mean, not divided by s − 1). Backpropagation (for the
gradient of eq. 9) needs the vector-Jacobian product: given g = ∂L/∂out (the cotangent, same
shape as a), return (∂L/∂a, ∂L/∂γ, ∂L/∂β). Remember that μ_c and sd_c depend on a too. Write
`channel_norm_vjp(a, scale, g, eps)` returning the tuple (da, dscale, dshift). The checker
draws odd and even s, constant channels among others, and compares with cstheory's
hand-derived channel_norm_backward.
"""

BRIEF = """
Write `channel_norm_vjp(a, scale, g, eps)` returning the vector-Jacobian product of the channel
normalisation that ends every layer of the deep decoder of eq. (4): given the activations
a ∈ R^{k×s} (k channels, s positions), the per-channel scales γ, the cotangent g = ∂L/∂out and ε,
return the tuple (∂L/∂a, ∂L/∂γ, ∂L/∂β) of shapes (k, s), (k,) and (k,).
"""

STUB = '''
import numpy as np


def channel_norm_vjp(a, scale, g, eps):
    """The backward pass of the channel normalisation out = scale * (a - mean) / sqrt(var + eps) + shift.

    Parameters
    ----------
    a : numpy.ndarray, shape (k, s)
        The activations: k channels (axis 0), s spatial positions (axis 1).
    scale : numpy.ndarray, shape (k,)
        gamma, one per channel.
    g : numpy.ndarray, shape (k, s)
        The cotangent dL/d(out).
    eps : float
        The epsilon under the square root.

    Returns
    -------
    da : numpy.ndarray, shape (k, s)
        dL/da (mean and variance depend on a as well).
    dscale : numpy.ndarray, shape (k,)
        dL/d(scale).
    dshift : numpy.ndarray, shape (k,)
        dL/d(shift).

    Conventions
    -----------
    * Mean and variance are taken per channel over the spatial axis (axis 1).
    * The variance is biased: mean((a - mean)**2), not divided by s - 1.
    """
    raise NotImplementedError("write the backward pass of the channel normalisation")
'''

#: The ε the checker draws (1e-5 is the deep decoder's own).
EPSILONS = (1e-5, 0.01, 0.5)


def draw(data):
    k = data.draw(st.integers(1, 3), label="k")
    s = data.draw(st.integers(2, 7), label="s")
    a = data.draw(float_arrays((k, s)), label="a")
    scale = data.draw(float_arrays((k,)), label="scale")
    g = data.draw(float_arrays((k, s)), label="g")
    eps = data.draw(st.sampled_from(EPSILONS), label="eps")
    return {"a": a, "scale": scale, "g": g, "eps": eps}


def reference(a, scale, g, eps):
    _, z, sd = channel_norm(a, scale, np.zeros_like(scale), eps=eps)
    return tuple(to_numpy(p) for p in channel_norm_backward(g, z, sd, scale))


def example():
    return {"a": np.array([[1.0, 2.0, 4.0], [0.5, -0.5, 0.0]]), "scale": np.array([1.0, 2.0]),
            "g": np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 1.0]]), "eps": 0.01}


# -- classic mistakes ------------------------------------------------------------
def _vjp(a, scale, g, eps, axis=1, ddof=0, use_eps=True, mean_term=True, var_term=True, use_scale=True,
         reduce=np.sum):
    """(da, dscale, dshift) with one knob per mistake; statistics over ``axis``."""
    n = a.shape[axis]
    mu = a.mean(axis=axis, keepdims=True)
    c = a - mu
    var = (c * c).sum(axis=axis, keepdims=True) / (n - ddof)
    sd = np.sqrt(var + eps) if use_eps else np.sqrt(var)
    z = c / sd
    gamma = scale[:, None] if use_scale else np.ones_like(scale)[:, None]
    d = gamma * g
    da = d.copy()
    if mean_term:
        da = da - d.mean(axis=axis, keepdims=True)
    if var_term:
        da = da - z * (z * d).sum(axis=axis, keepdims=True) / (n - ddof)
    return da / sd, reduce(g * z, axis=axis), reduce(g, axis=axis)


MISTAKES = [
    Mistake("constant_statistics", "you treated the mean and the standard deviation as constants (da = γ g / sd): "
            "both depend on a, which subtracts mean(γ g) and z · mean(z γ g) before dividing by sd.",
            lambda a, scale, g, eps: _vjp(a, scale, g, eps, mean_term=False, var_term=False)),
    Mistake("missing_variance_term", "the term of the standard deviation is missing: sd depends on a too, "
            "which subtracts z · mean(z · γ g): da = (γ g − mean(γ g) − z · mean(z γ g)) / sd.",
            lambda a, scale, g, eps: _vjp(a, scale, g, eps, var_term=False)),
    Mistake("missing_mean_term", "the term of the mean is missing: μ depends on a, which subtracts mean(γ g): "
            "da = (γ g − mean(γ g) − z · mean(z γ g)) / sd.",
            lambda a, scale, g, eps: _vjp(a, scale, g, eps, mean_term=False)),
    Mistake("unbiased_variance", "the variance is the BIASED one, mean((a − μ)²) (division by s), not the "
            "unbiased one (s − 1, np.var's ddof=1).", lambda a, scale, g, eps: _vjp(a, scale, g, eps, ddof=1)),
    Mistake("missing_eps", "ε is missing: sd = √(var + ε), in the forward pass and therefore in the backward "
            "pass.", lambda a, scale, g, eps: _vjp(a, scale, g, eps, use_eps=False)),
    Mistake("missing_scale", "γ is missing in da: out = γ z + β, so the cotangent reaching z is γ g, not g.",
            lambda a, scale, g, eps: _vjp(a, scale, g, eps, use_scale=False)),
    Mistake("mean_for_parameters", "dscale and dshift SUM over the spatial positions (each γ_c, β_c is used at "
            "every position j): dscale = Σ_j g z, dshift = Σ_j g — not the mean.",
            lambda a, scale, g, eps: _vjp(a, scale, g, eps, reduce=np.mean)),
    Mistake("wrong_axis", "statistics over the wrong axis: the normalisation is per channel over SPACE, axis 1 "
            "(the last), not over the channels (axis 0).",
            lambda a, scale, g, eps: _vjp(a, scale, g, eps, axis=0)),
]

EXERCISE = Exercise(
    name=NAME, position=70, summary="the backward pass of the deep decoder's channel normalisation",
    equation="eq. (4)",
    brief=BRIEF, shape="((k, s), (k,), (k,)) where a is k × s", function="channel_norm_vjp",
    statement=STATEMENT, stub=STUB, draw=draw, reference=reference, example=example, mistakes=MISTAKES,
    outputs=("da", "dscale", "dshift"),
    default_hint="with z = (a − μ)/sd: dscale = Σ_j g z, dshift = Σ_j g, and "
                 "da = (γ g − mean(γ g) − z · mean(z γ g)) / sd, means over the spatial axis.",
    nan_hint="a NaN or infinity: a channel can be constant (variance 0), and then sd = √ε is the only thing "
             "keeping the division finite — divide by √(var + ε), never by √var or by the variance alone.",
)
