# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # The deep decoder: from two layers to d layers
#
# The theory of Heckel & Soltanolkotabi (2020) is proved for the two-layer generator
# $G(C) = \mathrm{ReLU}(UC)v$ (eq. 3). The network used in practice is the **deep decoder**
# (eq. 4):
#
# $$G(C) = \mathrm{ReLU}(U B_d C_d)\,v, \qquad B_{i+1} = \mathrm{cn}(\mathrm{ReLU}(U_i B_i C_i)),\ i = 0,\dots,d-1,$$
#
# * $B_0$ is a fixed random input ($k$ channels on a coarse grid),
# * $C_i \in \mathbb{R}^{k\times k}$ are 1×1 convolutions (channel mixing) — the weights the paper trains,
# * $U_i$ and $U$ are **fixed** upsampling operators (linear in 1-D, bilinear in 2-D); in
#   `cst.DeepDecoder` the last fixed operator $U$ is the last upsampling $U_{d-1}$, already applied
#   inside $B_d$,
# * $\mathrm{cn}$ normalises every channel (zero mean, unit variance).
#
# One addition to the paper's formula: after normalising, `cst.DeepDecoder` multiplies each channel
# by a learned scale $\gamma$ and adds a learned shift $\beta$ — the affine part of batch
# normalisation, which the original deep decoder (Heckel & Hand 2019) uses and whose behaviour we
# reproduce. They are trainable parameters like the $C_i$ ($2k$ per layer, a few percent of $N$);
# without them a normalised channel could not be scaled down or offset, which the output layer
# would otherwise have to compensate for.
#
# For images the original deep decoder replaces the output layer by a learned 1×1 convolution and a
# sigmoid. `cst.DeepDecoder` implements both (`output="fixed"` / `output="conv"`), in 1-D and 2-D,
# with **hand-derived** backpropagation: every backward step is a small function in
# `cstheory.deep_decoder` that you can read next to the formula.
#
# This tutorial (1) opens up the layers and checks the derivatives, (2) shows how depth changes the
# Jacobian's spectrum, (3) runs the image experiment of Fig. 1 and (4) follows the spectrum along
# gradient descent (Fig. 4).

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import cstheory as cst
from cstheory import deep_decoder as dd
from cstheory.experiments import fig1, fig4

QUICK = os.environ.get("CSTHEORY_QUICK") == "1"
FIGURES = os.environ.get("CSTHEORY_FIGURES", "figures")
os.makedirs(FIGURES, exist_ok=True)
T_START = time.perf_counter()
print("quick mode" if QUICK else "full mode", "| figures ->", FIGURES)

# %% [markdown]
# ## 1. Inside the layers
#
# **Upsampling** is a fixed matrix. With the half-pixel convention (PyTorch's
# `align_corners=False`) output sample $j$ sits at input coordinate $(j+\tfrac12)\,n_{in}/n_{out}-\tfrac12$
# and is the linear interpolation of its two neighbours. Its adjoint $U^\top$ is the backward step.

# %%
U = dd.interpolation_matrix(4, 8)
print(np.round(U, 3))
print("U @ [1, 2, 3, 4] =", U @ np.array([1.0, 2, 3, 4]))

# %% [markdown]
# A 2-D decoder with 5 layers: the hidden grids grow geometrically from the input to the output.
# All parameters live in one flat vector; `unpack` names the pieces (and `pack` puts them back).

# %%
gen2d = cst.DeepDecoder((32, 32), channels=16, layers=5, output="conv", sigmoid=True, rng=0)
theta = gen2d.init(rng=0)
print(gen2d)
print("hidden grids:", gen2d.sizes)
pieces = gen2d.unpack(theta)
print("C shapes:", [tuple(c.shape) for c in pieces["C"]], "| scales:", len(pieces["scale"]))

# %% [markdown]
# **The derivatives.** The JVP $J t$ runs forward alongside the network; the VJP $J^\top r$ runs
# backwards through the channel normalisation, the ReLU mask, the upsampling adjoint and the 1×1
# convolutions. Two checks: the VJP is the adjoint of the JVP, and the JVP matches central differences.

# %%
rng = np.random.default_rng(1)
t = rng.standard_normal(gen2d.num_params)
r = rng.standard_normal(gen2d.output_shape)     # a cotangent has the image's shape
Jt = gen2d.jvp(theta, t)                         # and so has J t
adjoint_gap = abs(np.sum(Jt * r) - t @ gen2d.vjp(theta, r)) / abs(np.sum(Jt * r))
h = 1e-6
fd = (gen2d(theta + h * t) - gen2d(theta - h * t)) / (2 * h)
fd_gap = np.max(np.abs(fd - Jt)) / np.max(np.abs(Jt))
print(f"|<Jt, r> - <t, J^T r>| / |<Jt, r>| = {adjoint_gap:.2e}")
print(f"max |J t - central difference| / max |J t| = {fd_gap:.2e}")

# %% [markdown]
# ## 2. Depth sharpens the spectral bias
#
# The theory rests on the Jacobian's singular values decaying fast (Sec. 4, ingredient (ii) of
# Sec. 4.1). We compare the spectrum at initialisation of the two-layer generator (eq. 3, a
# triangular kernel) with 1-D deep decoders of depth 1–4 (fixed output $v$).

# %%
n = 64 if QUICK else 128
spectra = {}
u = cst.kernels.triangular(n, 10)
two = cst.TwoLayerGenerator(u, 32)
spectra["two-layer ReLU(UC)v"] = np.linalg.svd(cst.to_numpy(two.jacobian(two.init(rng=0, scale=1.0))),
                                               compute_uv=False)
for d in (1, 2, 3, 4):
    g = cst.DeepDecoder((n,), channels=32, layers=d, output="fixed", rng=0)
    spectra[f"deep decoder d={d}"] = np.linalg.svd(cst.to_numpy(g.jacobian(g.init(rng=0))), compute_uv=False)

fig, ax = plt.subplots(figsize=(6, 4))
for name, s in spectra.items():
    ax.semilogy(np.arange(1, n + 1), np.maximum(s / s[0], 1e-12), label=name)
ax.set_xlabel("index i")
ax.set_ylabel(r"$\sigma_i / \sigma_1$")
ax.set_ylim(1e-3, 1.5)
ax.set_title(f"Jacobian spectra at initialisation, n = {n}")
ax.legend(fontsize=8)
fig.savefig(os.path.join(FIGURES, "05_depth_spectra.png"), dpi=110)
quarter = {name: s[n // 4 - 1] / s[0] for name, s in spectra.items()}
for name, q in quarter.items():
    print(f"{name:22s} sigma_(n/4) / sigma_1 = {q:.3f}")

# %% [markdown]
# ## 3. Compressive sensing of images (Fig. 1)
#
# A smooth picture and the grass texture, $m = n/4$ Gaussian measurements, a 5-layer deep decoder
# fitted by Adam for a fixed budget, until the loss has fallen by more than two orders of magnitude
# (printed below; near, not at, convergence for the texture at full size) — no early stopping. The right panel shows why the
# results differ: the smooth picture keeps more of its energy in the lowest DCT frequencies.
# We also print what *oracle* early stopping (the best iterate along the path, which needs $x^*$)
# would have gained over the last iterate.

# %%
res1 = fig1.run(quick=QUICK)
fig = fig1.plot(res1, path=os.path.join(FIGURES, "05_fig1.png"))
for name in res1.names:
    print(f"{name:7s} loss {res1.loss[name][0]:9.3g} -> {res1.loss[name][-1]:.3g} | "
          f"error {res1.error[name][-1]:.3g} (best along the path {res1.best_error[name]:.3g}) | "
          f"relative {res1.relative_error[name]:.4f} | PSNR {res1.psnr[name]:.1f} dB | "
          f"energy in lowest m: {100 * res1.low_frequency_energy[name]:.2f}%")
gain = {name: 1.0 - res1.best_error[name] / res1.error[name][-1] for name in res1.names}
for name in res1.names:
    print(f"{name:7s}: stopping at the best iterate (t = {res1.best_iteration[name]}) instead of the last would "
          f"lower the squared error by {100 * gain[name]:.1f}%")

# %% [markdown]
# Read the numbers above honestly. For the smooth picture the last iterate is essentially as good
# as the best one along the path: this is Fig. 1's claim, that early stopping is not needed. For
# the grass texture the error at the end is visibly larger than its minimum along the path —
# early stopping would help there. The texture keeps a larger share of its energy in frequencies
# that $m = n/4$ measurements do not pin down; after fitting the low frequencies, the network
# goes on fitting the measurements with detail that is not the texture's. Fig. 1's "no early
# stopping" holds for the signals the theory is about (smooth ones), not for every image.

# %% [markdown]
# ## 4. The spectrum along gradient descent (Fig. 4)
#
# A 1-D, 4-layer deep decoder with the fixed output $v$ is fitted by plain gradient descent; at a few
# iterations we form the exact Jacobian and take its singular values. The spectrum barely moves —
# the network behaves like its linearisation, which is what the proof of Sec. 7 exploits.

# %%
res4 = fig4.run(quick=QUICK)
fig = fig4.plot(res4, path=os.path.join(FIGURES, "05_fig4.png"))
for it, s in zip(res4.iterations, res4.singular_values):
    print(f"after {it:5d} steps: sigma_1 = {s[0]:.3g}, sigma_(n/4) = {s[res4.n // 4 - 1]:.3g}, "
          f"sigma_(n/2) = {s[res4.n // 2 - 1]:.3g}")
change = max(np.max(np.abs(s[: res4.n // 4] - res4.singular_values[0][: res4.n // 4]))
             for s in res4.singular_values) / res4.singular_values[0][0]
print(f"largest change of the leading quarter of the spectrum (relative to sigma_1): {change:.3f}")

# %% [markdown]
# ## What we have shown — asserted

# %%
print(f"total time {time.perf_counter() - T_START:.1f} s")
assert adjoint_gap < 1e-10 and fd_gap < 1e-5, "hand-derived derivatives disagree"
assert quarter["deep decoder d=4"] < quarter["deep decoder d=1"], "depth should sharpen the spectral decay"
smooth, rough = res1.names
assert res1.relative_error[smooth] < 0.2 * res1.relative_error[rough], "the smooth image should be recovered better"
assert res1.low_frequency_energy[smooth] > res1.low_frequency_energy[rough]
assert res1.psnr[smooth] > 25.0, f"PSNR {res1.psnr[smooth]:.1f} dB too low"
assert res1.error[smooth][-1] < 1.5 * res1.best_error[smooth], "early stopping should not be needed"
# ... for the smooth picture; for the texture early stopping gains more (the caveat in the text)
assert gain[smooth] < 0.1 and gain[rough] > gain[smooth], gain
assert all(res1.loss[name][-1] < 1e-2 * res1.loss[name][0] for name in res1.names), "the loss did not fall 100x"
assert change < 0.25, "the spectrum should change little along gradient descent"

# %%
# the numbers behind these claims, for tests/test_tutorials.py (a JSON file next to the figures)
import json

with open(os.path.join(FIGURES, "05_deep_decoder.json"), "w") as fh:
    json.dump({"quick": QUICK, "adjoint_gap": adjoint_gap, "fd_gap": fd_gap, "quarter": quarter,
               "names": list(res1.names), "relative_error": res1.relative_error, "psnr": res1.psnr,
               "low_frequency_energy": res1.low_frequency_energy, "early_stopping_gain": gain,
               "final_error": {k: v[-1] for k, v in res1.error.items()}, "best_error": res1.best_error,
               "loss_ratio": {k: v[-1] / v[0] for k, v in res1.loss.items()}, "spectrum_change": change},
              fh, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else float(o))
