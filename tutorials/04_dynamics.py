# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 4. Dynamics: why a wide network fits like a linear model, and how many measurements it needs
#
# Heckel & Soltanolkotabi prove Theorem 2 in two moves (Sec. 7):
#
# 1. **Gradient descent on the network stays close to gradient descent on its
#    linearization** at the initial point (Theorem 4, eq. 35 and 37):
#    $\|r_t - \tilde r_t\| \le O(\epsilon_0 + \epsilon)\|r_0\|$.
# 2. **The linearized problem is solved in closed form** (Proposition 2, eq. 39):
#    $\tilde r_t = \sum_i (1-\eta\sigma_i^2)^t\, w_i \langle w_i, r_0\rangle$.
#    Directions with large $\sigma_i$ are fitted first; for the two-layer generator those are
#    the low frequencies, so GD fits the smooth part of a signal, and a $p$-smooth signal is
#    recovered from $O(p)$ measurements (Theorem 2).
#
# This tutorial watches both moves numerically, with the public API only. `CSTHEORY_QUICK=1` runs
# a smaller version (under a minute of CPU); the full version took 3–6.5 min on 2 cores shared with
# other jobs (187–384 s wall, 24–26 s CPU).
# Every random draw starts at seed `CSTHEORY_SEED` (default 0); the claims are asserted over
# three independent draws where they rest on random ones.

# %%
import math
import os
import time

import numpy as np
from matplotlib.figure import Figure

import cstheory as cst
from cstheory.experiments import first_seed, quick_mode

QUICK = quick_mode()                                  # CSTHEORY_QUICK=1: the small version
SEED = first_seed()                                  # first seed of every random draw below
DRAWS = 3                                             # independent draws behind the claims
XI = 1.0                                               # ξ of Theorem 3: the initial scale, everywhere below
FIGURES = os.environ.get("CSTHEORY_FIGURES", "figures")
os.makedirs(FIGURES, exist_ok=True)
start = time.time()

n = 32 if QUICK else 64
m = 8 if QUICK else 12
u = cst.kernels.triangular(n, n // 8)          # the convolution kernel of U
x = cst.smooth_signal(n, 3, rng=SEED)          # a 3-smooth signal, ‖x‖ = 1
A = cst.gaussian_matrix(m, n, rng=1000 + SEED)  # iid N(0, 1/m)
y = A @ x

# %% [markdown]
# ## Eq. (39) is gradient descent on a linear least-squares problem
#
# Take the Jacobian of the network at a random start, $J = A\,\mathcal{J}_G(C_0)$, and run GD on
# $\tfrac12\|r_0 + J(\theta-\theta_0)\|^2$ by hand.  `cst.linear_residuals` gives the same residuals
# from the SVD of $J$ without iterating.

# %%
gen_small = cst.TwoLayerGenerator(u, 8)
C0 = gen_small.init(rng=SEED + 2, y=y, xi=XI)
J = A @ gen_small.jacobian(C0)                 # explicit (m, n·k) Jacobian, eq. (20)
r0 = A @ gen_small(C0) - y
eta = 0.5 / np.linalg.norm(J, 2) ** 2
theta, by_hand = np.zeros(J.shape[1]), []
for t in range(101):
    r = r0 + J @ theta
    by_hand.append(r)
    theta = theta - eta * (J.T @ r)
closed_form = cst.linear_residuals(J, r0, eta, range(101))
closed_form_error = float(np.max(np.abs(closed_form - np.asarray(by_hand))))
print(f"max |eq. (39) - GD by hand| = {closed_form_error:.2e}  (‖r0‖ = {np.linalg.norm(r0):.3f})")

# %% [markdown]
# ## The network against its linearization, narrow and wide
#
# `cst.linearization` runs GD on the network (`cst.fit`) and GD on the linearized problem
# (eq. 16, matrix-free with the network's JVP/VJP at $C_0$) with the same step size and records
# both residuals.  We start from Theorem 3's scale $\omega = \xi\|y\|/(2\sqrt n\|U\|)$ with
# the $\xi$ set at the top, $\xi = 1$ — ten times the library's default (and Theorem 3's range,
# $\xi \le 1/\sqrt{2\log(2n/\delta)}$, printed below), because at $\xi = 0.1$ the parameters of these
# small networks move by several times their own size and the network does not linearize at any
# width we can afford (measured: the gap stays at 0.05–0.11 from $k = 16$ to $k = 1024$). The same
# $\xi$ is used everywhere in this tutorial: the initialisations and the theorem's quantities.

# %%
T = 200 if QUICK else 500
record = list(range(0, T + 1, T // 50))
runs = {}
for k in (16, 1024 if QUICK else 4096):
    gen = cst.TwoLayerGenerator(u, k)
    runs[k] = cst.linearization(gen, A, y, gen.init(rng=SEED, y=y, xi=XI), record)
    print(f"k = {k:5d}: max_t ‖r_t - r̃_t‖/‖r_0‖ = {runs[k].max_residual_gap:.4f}, "
          f"max_t ‖θ_t - θ̃_t‖ = {runs[k].max_parameter_gap:.4f}")

fig = Figure(figsize=(6.5, 3.8), layout="constrained")
ax = fig.subplots()
for j, (k, res) in enumerate(runs.items()):
    ax.semilogy(res.iterations, res.residual_norm / res.r0_norm, "-", color=f"C{j}", label=f"network, k = {k}")
    ax.semilogy(res.iterations, res.linear_residual_norm / res.r0_norm, "--", color=f"C{j}",
                label=f"linearization, k = {k}")
ax.set_xlabel("iteration t")
ax.set_ylabel("‖r‖ / ‖r0‖")
ax.set_title("GD residuals: nonlinear (solid) vs linearized (dashed)")
ax.legend(fontsize=8)
fig.savefig(os.path.join(FIGURES, "04_residuals.png"), dpi=110)

# %% [markdown]
# ## Why width makes the network behave linearly
#
# The parameters must move by about $\|J^\dagger r_0\|$ to fit $y$, whatever the width, while
# $\|C_0\| \approx \omega\sqrt{nk}$ grows with $k$: the *relative* movement shrinks like
# $1/\sqrt k$, fewer ReLUs change sign, the Jacobian barely moves (Lemma 5), and the
# linearization stays accurate.  We measure the gap against $k$ and fit a power law.

# %%
ks = np.array([16, 64, 256, 1024] if QUICK else [16, 64, 256, 1024, 4096])
gaps, movement = np.zeros((DRAWS, len(ks))), np.zeros((DRAWS, len(ks)))
for d in range(DRAWS):                          # draw SEED is the one above; then new x, A and C0
    x_d = x if d == 0 else cst.smooth_signal(n, 3, rng=SEED + d)
    A_d = A if d == 0 else cst.gaussian_matrix(m, n, rng=1000 + SEED + d)
    y_d = A_d @ x_d
    for j, k in enumerate(ks):
        gen = cst.TwoLayerGenerator(u, int(k))
        C0 = gen.init(rng=SEED + d, y=y_d, xi=XI)
        # same start as above for draw SEED: reuse the run
        res = runs[k] if (d == 0 and k in runs) else cst.linearization(gen, A_d, y_d, C0, record)
        gaps[d, j] = res.max_residual_gap
        movement[d, j] = res.parameter_distance[-1] / np.linalg.norm(C0)
slopes = [np.polyfit(np.log(ks), np.log(g), 1)[0] for g in gaps]
move_slopes = [np.polyfit(np.log(ks), np.log(mv), 1)[0] for mv in movement]
slope, move_slope = np.polyfit(np.log(ks), np.log(gaps.mean(axis=0)), 1)[0], np.mean(move_slopes)
for j, k in enumerate(ks):
    print(f"k = {k:5d}: gap {gaps[:, j].mean():.4f} [{gaps[:, j].min():.4f}, {gaps[:, j].max():.4f}], "
          f"relative movement ‖θ_T - θ_0‖/‖θ_0‖ = {movement[:, j].mean():.3f} "
          f"[{movement[:, j].min():.3f}, {movement[:, j].max():.3f}]   (mean [min, max] over {DRAWS} draws)")
print(f"fitted per draw: gap ∝ k^({min(slopes):.2f} to {max(slopes):.2f}), "
      f"relative movement ∝ k^({min(move_slopes):.2f} to {max(move_slopes):.2f})")
print(f"gap at k = {ks[-1]} / gap at k = {ks[0]}, per draw: " + ", ".join(f"{r:.3f}" for r in gaps[:, -1] / gaps[:, 0]))

fig = Figure(figsize=(6.5, 3.8), layout="constrained")
ax = fig.subplots()
ax.loglog(ks, gaps.mean(axis=0), "o-", label=f"max_t ‖r_t - r̃_t‖/‖r_0‖  (∝ k^{slope:.2f})")
ax.loglog(ks, movement.mean(axis=0), "s-", label=f"‖θ_T - θ_0‖/‖θ_0‖  (∝ k^{move_slope:.2f})")
ax.fill_between(ks, gaps.min(axis=0), gaps.max(axis=0), color="C0", alpha=0.2)
ax.fill_between(ks, movement.min(axis=0), movement.max(axis=0), color="C1", alpha=0.2)
ax.set_xlabel("channels k")
ax.set_title("Theorem 4: the linearization gap shrinks with width")
ax.legend(fontsize=8)
fig.savefig(os.path.join(FIGURES, "04_gap_vs_width.png"), dpi=110)

# %% [markdown]
# How far is this from the theorem's hypotheses?  `cst.theorem3_quantities` evaluates the
# constants of App. D for our kernel: the width eq. (21) demands is astronomically larger than
# what works in practice — the theorem explains the mechanism, not the numbers.

# %%
q = cst.theorem3_quantities(u, m, xi=XI, k=int(ks[-1]), y_norm=float(np.linalg.norm(y)))
print(q)
below = {"m >= 12 (Theorem 2)": m >= 12, "m <= n/9 (App. D)": bool(q.measurements_ok),
         "xi <= 1/sqrt(2 log(2n/delta)) (Theorem 3)": XI <= q.xi_max,
         "k >= eq. (21)": math.log10(ks[-1]) >= q.log10_width_eq21}
print("hypotheses of Theorems 2-3 met here:", below)

# %% [markdown]
# **What this means for the reading.** Theorem 2 assumes $m \ge 12$, its proof (App. D) $m \le n/9$
# and a width $k$ of eq. (21), Theorem 3 a small $\xi$; the dictionary above says which of them this
# setup meets — in quick mode ($n = 32$, $m = 8$) none, in full mode ($n = 64$, $m = 12$) only
# $m \ge 12$. So nothing in this
# tutorial *tests* the theorems: the theorems are silent at these sizes. What the numbers show is the
# *mechanism* their proof uses — GD following eq. (39), the linearization gap shrinking with the width —
# at sizes where it already works, far outside the range where it is guaranteed.

# %% [markdown]
# ## How many measurements does a smooth signal need?
#
# Fit the network to $m$ measurements of a $p$-smooth signal for a fixed number of steps (1000
# quick, 2000 full), and compare with the linear min-norm estimate of a linear generator with the
# *same spectrum*, $J_G = W\,\mathrm{diag}(\sigma)$ ($J_G J_G^T = \Sigma(U)$, the generator Theorem 3's
# proof compares the network with), and with the right-hand side of eq. (13) (`cst.theorem2_bound`,
# without the constant $C$ and without its $\xi^2\|x^*\|^2$ term, which is 1 at our $\xi = 1$ and
# would make the comparison empty). All networks start from the same $\xi$ as above, and every
# number is over three draws of $x^*$, $A$ and $C_0$. The constant $C$ is not known, so "below the
# right-hand side" is a
# heuristic reading at every $m$; for $m < 12$ (marked) Theorem 2 does not apply at all.

# %%
n2, p = (64, 4) if QUICK else (128, 6)
u2 = cst.kernels.triangular(n2, n2 // 8)
J_G = cst.trig_basis(n2) * cst.sigma_weights(u2)[None, :]
gen2 = cst.TwoLayerGenerator(u2, 64 if QUICK else 128)
ms = [2, 4, 8, 16, 24] if QUICK else [3, 6, 12, 18, 24, 36, 48]
steps2 = 1000 if QUICK else 2000
err_net, err_lin, err_lin_T, bound = (np.zeros((DRAWS, len(ms))) for _ in range(4))
for d in range(DRAWS):
    seed = SEED + d
    x2 = cst.smooth_signal(n2, p, rng=3000 + seed)
    for j, m2 in enumerate(ms):
        A2 = cst.gaussian_matrix(m2, n2, rng=4000 + 100 * seed + m2)
        y2 = A2 @ x2
        fitted = cst.fit(gen2, A2, y2, gen2.init(rng=seed, y=y2, xi=XI), steps=steps2, x_true=x2, record_every=500)
        err_net[d, j] = fitted.error[-1]
        err_lin[d, j] = float(np.sum((J_G @ cst.min_norm_coefficients(A2, J_G, y2) - x2) ** 2))
        # the same linear generator, run by GD from zero for the same steps with the same step size
        err_lin_T[d, j] = cst.fit(cst.LinearGenerator(J_G), A2, y2, steps=steps2, step_size=fitted.step_size,
                                  x_true=x2, record_every=steps2).error[-1]
        bound[d, j] = cst.theorem2_bound(u2, x2, m2)      # without C and without the ξ² term (see above)
print(f"‖x̂ - x*‖², mean [min, max] over draws {SEED}..{SEED + DRAWS - 1}; GD runs {steps2} steps")
print("   m  m/p | network                     | linear, same steps          | linear limit (min-norm)"
      "     | eq. (13) RHS")
for j, m2 in enumerate(ms):
    cells = [f"{c[:, j].mean():.1e} [{c[:, j].min():.1e}, {c[:, j].max():.1e}]" for c in (err_net, err_lin_T, err_lin)]
    print(f"{m2:4d} {m2 / p:4.1f} | " + " | ".join(f"{c:27s}" for c in cells) + f" | {bound[:, j].mean():.2f}"
          + ("   (m < 12: outside Theorem 2)" if m2 < 12 else ""))
ratio_limit = err_lin[:, -1] / err_net[:, -1]
ratio_same = err_lin_T[:, -1] / err_net[:, -1]
print(f"at m = {ms[-1]}: the linear limit's error is {ratio_limit.min():.1f}-{ratio_limit.max():.1f}x the network's; "
      f"the linear generator after the same {steps2} steps is {ratio_same.min():.2f}-{ratio_same.max():.2f}x it")

# %% [markdown]
# **The network beats the "limit".** Tutorials 02 and 03 use the min-norm fit of the same-spectrum
# linear generator as the reference for where GD ends up; here, at the largest $m$, the network's
# error is *below* that limit in every draw: by a factor 1.3–4.3 at quick size and 1.9–4.2 at full
# size (draws 0–5 each; an earlier version of this tutorial, with a ten times smaller
# initialisation, saw 10× on a single full-size draw). Is the network simply not finished, an
# early-stopped run being better than its limit? The middle column says no: the linear generator run
# by GD from zero for the same number of steps with the same step size is *worse* than the network
# (by 1.8–6.8× quick, 3.3–6.9× full), and no better than its own limit. The difference is the
# nonlinearity. The network has $k$ = 64 (quick) or 128 (full) channels, and the
# width study above measured, at such widths, parameters that move by 30–45% of their size and a
# residual that departs from the linearization by several per cent: the Jacobian, and with it the
# weights $\sigma_i$, change along the path, and here they change in the signal's favour. Theorem 2
# bounds the network's error from above through the linear model; it does not say that the two are
# equal at finite width. So read 02 and 03's "limit" as the level of error the weights allow, which
# a network of finite width reaches give or take a small factor — in this experiment, from below.

# %%
fig = Figure(figsize=(6.5, 3.8), layout="constrained")
ax = fig.subplots()
for c, (e, style, label) in enumerate(((err_net, "o-", f"two-layer network, GD {steps2} steps"),
                                      (err_lin_T, "^-.", f"linear, same spectrum, GD {steps2} steps"),
                                      (err_lin, "s--", "linear min-norm limit, same spectrum"))):
    ax.semilogy(ms, e.mean(axis=0), style, color=f"C{c}", label=label + f" (mean of {DRAWS})")
    ax.fill_between(ms, e.min(axis=0), e.max(axis=0), color=f"C{c}", alpha=0.15)
ax.semilogy(ms, bound.mean(axis=0), ":", color="k", label="eq. (13) right-hand side without C")
ax.axvline(p, color="0.6", lw=0.8)
ax.set_xlabel("measurements m")
ax.set_ylabel("‖x̂ - x*‖²")
ax.set_title(f"a {p}-smooth signal of length {n2}: a few multiples of p suffice")
ax.legend(fontsize=8)
fig.savefig(os.path.join(FIGURES, "04_measurements.png"), dpi=110)

# %% [markdown]
# ## What we have seen (and check)

# %%
elapsed = time.time() - start
print(f"tutorial ran in {elapsed:.1f} s")
assert closed_form_error < 1e-12 * max(1.0, float(np.linalg.norm(r0)))   # eq. (39) is GD
assert np.all(gaps[:, -1] < gaps[:, 0] / 3), gaps                        # width linearizes the network, every draw
assert max(slopes) < -0.2, slopes
assert np.all(err_net[:, -1] < 1e-2) and np.all(err_net[:, -1] < 1e-2 * err_net[:, 0]), err_net   # O(p) suffice
assert np.all(err_net < bound), (err_net, bound)                         # error below the eq.-(13) RHS
# the network after the run beats the linear limit at the largest m, and so it does the linear model after
# the same steps: not an unfinished run, the nonlinearity (the text)
assert np.all(ratio_limit > 1), ratio_limit
assert np.all(ratio_same > 1), ratio_same
assert not all(below.values())                                            # below the theorems' range (text)
assert below["m >= 12 (Theorem 2)"] == (not QUICK)

# %%
# the numbers behind these claims, for tests/test_tutorials.py (a JSON file next to the figures)
import json

with open(os.path.join(FIGURES, "04_dynamics.json"), "w") as fh:
    json.dump({"quick": QUICK, "closed_form_error": closed_form_error, "r0_norm": float(np.linalg.norm(r0)),
               "gaps": gaps, "gap_slopes": slopes, "ms": ms, "err_net": err_net, "err_lin": err_lin,
               "err_lin_same_steps": err_lin_T, "bound": bound, "hypotheses": below, "xi": XI, "seed": SEED},
              fh, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else float(o))
