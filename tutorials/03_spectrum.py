# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # The spectrum of the expected Jacobian: Monte-Carlo → exact → closed form
#
# Why does gradient descent on $\tfrac12\|AG(C)-y\|^2$ with $G(C) = \mathrm{ReLU}(UC)v$ find the
# *smoothest* signal consistent with the measurements (Sec. 4, App. B)? Because near a random
# start the Jacobian's Gram matrix $J_G J_G^T$ is close to its expectation
#
# $$\Sigma(U) = \mathbb{E}_C\big[J_G(C) J_G(C)^T\big], \qquad
#   \Sigma_{ij} = \langle u_i, u_j\rangle \cdot \tfrac12\Big(1 - \frac{\theta_{ij}}{\pi}\Big),$$
#
# ($u_i$ the rows of $U$, $\theta_{ij}$ the angle between them), and for a convolution $U$ this
# matrix is diagonalised by the trigonometric basis $w_i$ of eq. (10), with eigenvalues $\sigma_i^2$
# given in closed form by eq. (11). We compute the same numbers three ways, check that they agree,
# and then see what their decay means for which signals can be recovered.
#
# `CSTHEORY_QUICK=1` runs a smaller version (under a minute); the full version took about
# 2.5 min (140 s wall, 17 s CPU) on 2 shared cores. The random parts (Monte-Carlo, signals, measurements,
# initialisations) start at seed `CSTHEORY_SEED` (default 0); the recovery claims are asserted over
# three independent draws.

# %%
import math
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import cstheory as cst
from cstheory.experiments import first_seed, quick_mode

QUICK = quick_mode()                                  # CSTHEORY_QUICK=1: the small version
SEED = first_seed()                                  # first seed of every random draw below
DRAWS = 3                                             # independent draws behind the recovery claims
FIGURES = os.environ.get("CSTHEORY_FIGURES", "figures")
os.makedirs(FIGURES, exist_ok=True)
T_START = time.perf_counter()

n = 64 if QUICK else 128
u = cst.kernels.triangular(n, n // 8)          # unit-norm triangle, half-width h = n/8, support 2h - 1
U = cst.circulant_matrix(u)
W = cst.trig_basis(n)
order = cst.frequency_order(n)                 # column indices of W from low to high frequency
print(f"{'quick' if QUICK else 'full'} mode: n = {n}, triangle half-width h = {n // 8}")

# %% [markdown]
# ## 1. Three ways to the same numbers
#
# 1. **Monte-Carlo** — `sigma_matrix_mc`: average $J_G J_G^T = (UU^T)\circ(MM^T)/k$ over random
#    Gaussian $C$ (no Jacobian is formed).
# 2. **Exact** — `sigma_matrix`: the arc-cosine formula above, entry by entry, for any $U$.
# 3. **Closed form** — `sigma_weights`: eq. (11), $\sigma = \|u\| \sqrt{|F\, g(\rho)|}$,
#    $g(z) = \frac12(1-\cos^{-1}(z)/\pi)\,z$, with $\rho$ the normalised autocorrelation of $u$;
#    $O(n \log n)$, and $\sigma_i$ is the weight of column $w_i$ of `trig_basis`.

# %%
samples, channels = (256, 64) if QUICK else (1024, 64)
Sigma_mc = cst.to_numpy(cst.sigma_matrix_mc(U, samples, channels, rng=SEED))
Sigma = cst.to_numpy(cst.sigma_matrix(U))
sigma = cst.to_numpy(cst.sigma_weights(u))
Wn = cst.to_numpy(W)

mc_vs_exact = np.linalg.norm(Sigma_mc - Sigma) / np.linalg.norm(Sigma)
eigs = np.linalg.eigvalsh(Sigma)
closed_vs_eig = np.abs(np.sort(sigma**2) - eigs).max() / eigs.max()
print(f"Monte-Carlo ({samples} draws x {channels} channels = {samples * channels} columns) vs exact: "
      f"relative Frobenius error {mc_vs_exact:.2e}   (1/sqrt(S k) = {1 / math.sqrt(samples * channels):.2e})")
print(f"closed form sigma^2 vs eigenvalues of the exact Sigma: max relative difference {closed_vs_eig:.1e}")

# the three ways, on the lowest frequencies: the diagonal of W^T Sigma W in trig_basis order
d_mc = np.diag(Wn.T @ Sigma_mc @ Wn)
d_ex = np.diag(Wn.T @ Sigma @ Wn)
print("\n  w_i  freq   MC  diag(W^T S_mc W)   exact diag(W^T S W)   closed form sigma_i^2")
for i in order[:9]:
    print(f"  {i:4d} {cst.frequency(n)[i]:4d}   {d_mc[i]:18.6f}   {d_ex[i]:19.6f}   {sigma[i] ** 2:21.6f}")

# %% [markdown]
# ## 2. Monte-Carlo converges like $1/\sqrt{\text{samples}}$
#
# Each column of $C$ contributes one independent term, so the relative error of the estimate
# after $S$ draws of $k$ channels should be $c/\sqrt{Sk}$.

# %%
counts = np.array([1, 4, 16, 64, 256] if QUICK else [1, 4, 16, 64, 256, 1024])
errors = cst.spectrum.sigma_mc_errors(U, counts, channels=channels, rng=SEED + 1)
c_const = errors * np.sqrt(counts * channels)
slope = np.polyfit(np.log(counts * channels), np.log(errors), 1)[0]
for S, e, c in zip(counts, errors, c_const):
    print(f"S = {S:5d} draws x k = {channels}: relative error {e:.2e},  error * sqrt(S k) = {c:.2f}")
print(f"fitted slope of log(error) vs log(S k): {slope:.3f}  (theory: -0.5)")

fig, (ax_c, ax_w) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
ax_c.loglog(counts * channels, errors, "o-", label=r"$\|\hat\Sigma_S-\Sigma\|_F/\|\Sigma\|_F$")
ax_c.loglog(counts * channels, np.median(c_const) / np.sqrt(counts * channels), "k--",
            label=f"{np.median(c_const):.2f}" + r"$/\sqrt{Sk}$")
ax_c.set_xlabel("number of Gaussian columns $S\\cdot k$")
ax_c.set_title("Monte-Carlo → exact")
ax_c.legend()

# %% [markdown]
# ## 3. The trigonometric basis diagonalises Σ(U)
#
# $W^T \Sigma W$ is diagonal, with $\sigma_i^2$ on the diagonal in the index order of
# `trig_basis`. (Σ is circulant because $U$ is: every circulant matrix is diagonalised by the DFT,
# and because Σ is also *symmetric*, the cosine and sine of each frequency share one eigenvalue.)

# %%
D = Wn.T @ Sigma @ Wn
off = D - np.diag(np.diag(D))
diag_vs_closed = np.abs(np.diag(D) - sigma**2).max() / (sigma**2).max()
print(f"max |off-diagonal of W^T Sigma W| / max sigma^2 = {np.abs(off).max() / (sigma**2).max():.1e}")
print(f"max |diag(W^T Sigma W) - sigma^2| / max sigma^2 = {diag_vs_closed:.1e}")
Dp = D[np.ix_(order, order)]
im = ax_w.imshow(np.log10(np.abs(Dp) + 1e-18), cmap="magma", vmin=-16, vmax=math.log10(np.abs(Dp).max()))
ax_w.set_title(r"$\log_{10}|W^T\Sigma W|$, basis sorted by frequency")
ax_w.set_xlabel("frequency rank")
fig.colorbar(im, ax=ax_w)
fig.savefig(os.path.join(FIGURES, "03_monte_carlo_and_basis.png"), dpi=110)

# %% [markdown]
# ## 4. A caveat about eq. (11) as printed
#
# The paper writes eq. (11) with the circular *convolution* $u \circledast u$. The entries of Σ(U)
# contain $\langle u_i, u_j\rangle$, the circular *autocorrelation* $(u\star u)[i-j] = \sum_l u[l+i-j]\,u[l]$.
# The two coincide for kernels symmetric about some index (like the paper's triangles; a shift only
# changes the phase of the DFT, which the $|\cdot|$ in eq. (11) removes), but not in general.
# `sigma_weights` uses the autocorrelation; `cst.spectrum.sigma_weights_eq11` is the formula as printed.

# %%
u_asym = np.zeros(n)
u_asym[:4] = [4.0, 3.0, 2.0, 1.0]                # a one-sided ramp: not symmetric about any index
ev_asym = np.linalg.eigvalsh(cst.to_numpy(cst.sigma_matrix(cst.circulant_matrix(u_asym))))
ours = np.sort(cst.to_numpy(cst.sigma_weights(u_asym)) ** 2)
printed = np.sort(cst.to_numpy(cst.spectrum.sigma_weights_eq11(u_asym)) ** 2)
eq11_ours = np.abs(ours - ev_asym).max() / ev_asym.max()
eq11_printed = np.abs(printed - ev_asym).max() / ev_asym.max()
print("asymmetric ramp u = [4, 3, 2, 1, 0, ...]: max |sigma^2 - eig(Sigma)| / max eig")
print(f"   sigma_weights (autocorrelation)     : {eq11_ours:.1e}")
print(f"   eq. (11) as printed (convolution)   : {eq11_printed:.3f}")
print("   three largest: eig", np.round(ev_asym[::-1][:3], 4), " autocorr.", np.round(ours[::-1][:3], 4),
      " printed", np.round(printed[::-1][:3], 4))
sym_gap = np.abs(cst.to_numpy(cst.spectrum.sigma_weights_eq11(u)) - sigma).max() / sigma.max()
print(f"symmetric triangle: printed vs autocorrelation form differ by {sym_gap:.1e} (relative)")

# %% [markdown]
# ## 5. What the decay means: which signals are easy to recover
#
# Theorem 2 bounds the error of GD run to convergence (without the constant $C$) by
#
# $$\Big(\sum_i \frac{\langle w_i, x^*\rangle^2}{\sigma_i^2}\Big)\cdot\sum_{i > 2m/3} \sigma_i^2
#   \qquad\text{(`cst.spectral_bound`)}.$$
#
# The second factor is small when the weights decay fast; the first is small when $x^*$ lives where
# the weights are *large* — on the low frequencies. A smooth signal and a rough one (same norm,
# made of higher frequencies) get very different bounds, and GD indeed recovers only the first.

# %%
p_sig = 6
hi = order[n // 4:n // 4 + p_sig]                # p_sig basis functions around frequency n/8
m = 5 * p_sig
steps = 1000 if QUICK else 3000
gen = cst.TwoLayerGenerator(u, 64)
J_sigma = W * cst.sigma_weights(u)[None, :]      # the linear generator with the same weights


def signals(seed):
    """Draw ``seed``: a unit-norm smooth signal and a unit-norm rough one (p_sig frequencies around n/8)."""
    x_s = cst.to_numpy(cst.smooth_signal(n, p_sig, rng=seed))
    x_r = Wn[:, hi] @ np.random.default_rng(1000 + seed).standard_normal(p_sig)
    return x_s, x_r / np.linalg.norm(x_r)


x_smooth, x_rough = signals(SEED)
m_values = [p_sig * f for f in (2, 5, 10)]
bounds = {name: [cst.spectral_bound(sigma, Wn.T @ x, m_) for m_ in m_values]
          for name, x in (("smooth", x_smooth), ("rough", x_rough))}
print(f"highest frequency in the smooth signal: {cst.frequency(n)[order[p_sig - 1]]}; "
      f"rough signal: frequencies {sorted(set(cst.frequency(n)[hi].tolist()))}")
for name, b in bounds.items():
    print(f"spectral_bound for the {name:6s} signal, m = {m_values}: " + ", ".join(f"{v:.3g}" for v in b))


def recover(seed):
    """GD on draw ``seed`` (signals, A and θ₀): relative errors of the smooth and the rough signal, the rough
    one after 4x the steps, and the linear limit of the rough one."""
    x_s, x_r = signals(seed)
    A_ = cst.gaussian_matrix(m, n, rng=2000 + seed)
    fits_ = {name: cst.fit(gen, A_, A_ @ x, steps=steps, x_true=x, record_every=20, rng=seed)
             for name, x in (("smooth", x_s), ("rough", x_r))}
    longer_ = cst.fit(gen, A_, A_ @ x_r, steps=4 * steps, x_true=x_r, record_every=100, rng=seed)
    limit = float(np.linalg.norm(cst.to_numpy(J_sigma @ cst.min_norm_coefficients(A_, J_sigma, A_ @ x_r)) - x_r))
    return fits_, longer_, {"smooth": math.sqrt(fits_["smooth"].error[-1]), "rough": math.sqrt(fits_["rough"].error[-1]),
                            "rough_start": math.sqrt(fits_["rough"].error[0]),
                            "rough_longer": math.sqrt(longer_.error[-1]), "rough_limit": limit,
                            "rough_loss_drop": fits_["rough"].loss[0] / fits_["rough"].loss[-1],
                            "smooth_loss_drop": fits_["smooth"].loss[0] / fits_["smooth"].loss[-1],
                            "longer_loss_drop": longer_.loss[0] / longer_.loss[-1]}


fits, longer, first = recover(SEED)
rec_err = {name: first[name] for name in ("smooth", "rough")}
for name in ("smooth", "rough"):
    print(f"draw {SEED}: GD, m = {m}, {steps} steps, {name:6s} signal: relative error {rec_err[name]:.3f}, "
          f"loss reduced by {first[name + '_loss_drop']:.1e}x")

# %% [markdown]
# The smooth signal's loss falls by orders of magnitude and the estimate is accurate. The rough
# signal lives on directions with weights $\sigma_i^2$ tens of times smaller: in the same number of
# steps GD reduces its loss far less, and what it does fit of $y$ it fits with the *large-weight*,
# smooth directions — the estimate is smooth and wrong.
#
# Is that only slowness? Run four times longer, and compare with where the theory says GD is
# heading: a wide enough network behaves like its linearization, and GD from zero on a linear
# model converges to the minimum-norm fit in the geometry of the weights — the linear generator
# $J = W\,\mathrm{diag}(\sigma)$ with `cst.min_norm_coefficients` (the same limit as in tutorial 02).
# We do it for three independent draws of the signals, of $A$ and of the initialisation $C_0$;
# a relative error of 1 is what the estimate $\hat x = 0$ achieves ($\|x^*\| = 1$).

# %%
draws = [first] + [recover(seed)[2] for seed in range(SEED + 1, SEED + DRAWS)]
print(f"draw | smooth, {steps} steps | rough: at t = 0, {steps} steps, {4 * steps} steps (loss drop), linear limit")
for seed, d in zip(range(SEED, SEED + DRAWS), draws):
    print(f"{seed:4d} | {d['smooth']:.3f}            | {d['rough_start']:.3f}, {d['rough']:.3f}, "
          f"{d['rough_longer']:.3f} ({d['longer_loss_drop']:.1e}x), {d['rough_limit']:.3f}")
for key in ("smooth", "rough", "rough_longer", "rough_limit"):
    values = [d[key] for d in draws]
    print(f"{key:12s}: mean {np.mean(values):.3f}, range [{min(values):.3f}, {max(values):.3f}] over {DRAWS} draws")



# %% [markdown]
# Read the table plainly. **GD does not recover the rough signal: its estimate is about as far from
# $x^*$ as $\hat x = 0$, and at full size farther.** A relative error of 1 is what the zero
# estimate achieves ($\|x^*\| = 1$, and the small Theorem-3 initialisation starts GD at error 1.000,
# printed at $t = 0$). At quick size ($n = 64$) the error after `steps` steps was 0.92–1.19 on the
# draws we ran (0–5), above 1 in four of the six; four times more steps move it to 0.68–1.11, on the
# way to a linear limit that is poor too (0.51–0.91). At full size ($n = 128$, the same $m = 30$) it is
# worse: on draws 0–5 the error is above 1 after `steps` steps (1.11–1.38), four times the steps
# leave it above 1 or raise it further (1.15–1.52; draws 0–2: 1.11 → 1.15, 1.19 → 1.19,
# 1.34 → 1.52), and the linear limit itself is above 1 (1.12–1.43) — no run length would help.
#
# Why worse than zero? Because what GD fits, it fits in the wrong place. The loss only sees the
# $m = 30$ measurements, and GD first moves the large-weight, *smooth* directions, where $x^*$ has
# no energy at all; what the measurements of a rough signal say about those directions (with $m < n$
# they alias part of $x^*$'s energy onto them) is put there. The estimate then has energy where $x^*$
# has none — the line below measures the share — and
# $\|\hat x - x^*\|^2 = \|\hat x_{\text{off}}\|^2 + \|\hat x_{\text{on}} - x^*\|^2$ exceeds the zero
# estimate's $\|x^*\|^2 = 1$ as soon as the misplaced energy outweighs what was gained on $x^*$'s
# own directions. For the smooth signal the same mechanism is the cure: its energy *is* on the
# directions GD fits first. That, not slowness, is the difference the weights make.

# %%
x_hat = cst.to_numpy(fits["rough"].signal)
on = float(np.sum((Wn[:, hi].T @ x_hat) ** 2))
print(f"draw {SEED}, rough signal after {steps} steps: ||x_hat||^2 = {np.sum(x_hat ** 2):.3f}, of which "
      f"{100 * (1 - on / np.sum(x_hat ** 2)):.0f}% lies outside x*'s frequencies; <x_hat, x*> = {x_hat @ x_rough:.3f}")

# %%
fig, (ax_s, ax_r) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
freq_rank = np.arange(n)
ax_s.semilogy(freq_rank, sigma[order] ** 2 / (sigma**2).max(), "k", label=r"$\sigma_i^2/\sigma_{\max}^2$")
ax_s.semilogy(freq_rank, (Wn.T @ x_smooth)[order] ** 2 + 1e-20, "o", ms=4, label=r"$\langle w_i, x\rangle^2$ smooth")
ax_s.semilogy(freq_rank, (Wn.T @ x_rough)[order] ** 2 + 1e-20, "s", ms=4, label=r"$\langle w_i, x\rangle^2$ rough")
ax_s.axvline(2 * m / 3, color="0.5", ls=":", label=f"$2m/3$, m = {m}")
ax_s.set_ylim(1e-4, 2)
ax_s.set_xlabel("basis index in frequency order (cos/sin pairs side by side)")
ax_s.set_title("the weights σ² (drawn: σ², not σ) vs the signals' energy")
ax_s.legend(fontsize=8)
for name, x in (("smooth", x_smooth), ("rough", x_rough)):
    line, = ax_r.plot(x, lw=2, label=f"$x^*$ {name}")
    ax_r.plot(cst.to_numpy(fits[name].signal), "--", color=line.get_color(),
              label=f"GD estimate, error {rec_err[name]:.2f}")
ax_r.set_title(f"GD recovery from m = {m} Gaussian measurements")
ax_r.legend(fontsize=8)
fig.savefig(os.path.join(FIGURES, "03_decay_and_recovery.png"), dpi=110)

# %% [markdown]
# ## 6. What this tutorial showed (asserted)
#
# Every number is printed above; the assertions check the sentences: Monte-Carlo → exact at the
# $1/\sqrt{Sk}$ rate, exact → closed form to rounding, the printed eq. (11) wrong for the asymmetric
# ramp, the smooth signal's bound far below the rough one's, and in every draw GD recovering the
# smooth signal but not the rough one — its estimate about as bad as zero (quick: relative error
# above 0.8; full: above 1) —
# whose linear limit is poor and which longer runs do not recover either (at full size: the error
# stays above 1 after four times the steps, and the linear limit is above 1 too).

# %%
# Monte-Carlo -> exact at the 1/sqrt(S k) rate (constant measured ≈ 1; allowed up to 3)
assert mc_vs_exact < 3.0 / math.sqrt(samples * channels), mc_vs_exact
assert np.all((c_const > 0.2) & (c_const < 3.0)), c_const
assert -0.65 < slope < -0.35, slope
# exact -> closed form: eigenvalues and the diagonal of W^T Sigma W, to rounding
assert closed_vs_eig < 1e-12 and diag_vs_closed < 1e-12
assert np.abs(off).max() < 1e-12 * (sigma**2).max()
# the printed eq. (11) is wrong for the asymmetric ramp, the autocorrelation form is right
assert eq11_ours < 1e-12 and eq11_printed > 0.05, (eq11_ours, eq11_printed)
assert sym_gap < 1e-12
# decay: the smooth signal has a far smaller bound at every m
assert all(bs < 0.05 * br for bs, br in zip(bounds["smooth"], bounds["rough"])), bounds
for d in draws:
    # GD recovers the smooth signal but not the rough one
    assert d["smooth"] < 0.1 and d["rough"] > 0.5, d
    # the limit of long runs is poor for the rough signal, and the longer run stays far from x* too
    assert d["rough_limit"] > 0.5 and d["rough_longer"] > 0.5, d
# the rough signal: about as far from x* as the zero estimate (quick), farther than it (full: also after 4x
# the steps, and even in the linear limit) — the text's plain statement
if QUICK:
    assert all(d["rough"] > 0.8 for d in draws), draws
else:
    assert all(min(d["rough"], d["rough_longer"], d["rough_limit"]) > 1.0 for d in draws), draws
print(f"all assertions hold; total time {time.perf_counter() - T_START:.1f} s")

# %%
# the numbers behind these claims, for tests/test_tutorials.py (a JSON file next to the figures)
import json

with open(os.path.join(FIGURES, "03_spectrum.json"), "w") as fh:
    json.dump({"quick": QUICK, "samples_times_channels": samples * channels, "mc_vs_exact": mc_vs_exact,
               "error_constants": c_const, "slope": slope, "closed_vs_eig": closed_vs_eig,
               "diag_vs_closed": diag_vs_closed, "off_diagonal": np.abs(off).max() / (sigma**2).max(),
               "eq11_ours": eq11_ours, "eq11_printed": eq11_printed, "symmetric_gap": sym_gap, "bounds": bounds,
               "recovery_error": rec_err, "draws": draws, "seed": SEED},
              fh, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else float(o))
