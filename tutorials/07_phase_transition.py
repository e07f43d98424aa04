# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 07 — Phase transitions: how many measurements does a p-smooth signal need?
#
# Theorem 2 says that O(p) Gaussian measurements suffice to recover a p-smooth signal with the
# two-layer generator fitted by gradient descent until convergence. A *phase-transition
# diagram* shows this at a glance: over a grid of (m/n, p/n), the fraction of random trials in
# which the relative error ‖x̂ − x*‖/‖x*‖ falls below a threshold τ.
#
# Each cell is one small, independent experiment, so a diagram costs hundreds of fits. The
# sweep runner `cstheory.sweep.run_grid` spreads the cells over any
# `concurrent.futures.Executor` — a local process pool by default, a Dask cluster through
# `client.get_executor()` — writes each finished row to a CSV file as it arrives, and resumes
# an interrupted sweep instead of restarting it.

# %%
import os
import tempfile
from pathlib import Path

import numpy as np

import cstheory as cst
from cstheory.experiments import phase_transition
from cstheory.sweep import run_grid

QUICK = os.environ.get("CSTHEORY_QUICK") == "1"
FIGURES = Path(os.environ.get("CSTHEORY_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## One cell
# `phase_transition.recovery_error(method, m, p, seed, ...)` draws a p-smooth signal and m
# Gaussian measurements from `seed` and returns the relative error of one of three estimators:
# the two-layer generator (GD to convergence), the linear min-norm estimate with the same
# spectrum (J Jᵀ = Σ(U)), and ℓ1 minimisation in the DCT basis (FISTA).

# %%
n = 32 if QUICK else 64
sizes = dict(n=n, k=32 if QUICK else 64, kernel_p=4 if QUICK else 8, steps=600 if QUICK else 1500)
for method in phase_transition.METHODS:
    err = phase_transition.recovery_error(method, m=n // 2, p=3, seed=0, **sizes)
    print(f"{method:10s} m = {n // 2}, p = 3: relative error {err:.3g}")

# %% [markdown]
# ## A grid of cells on a process pool, saved as it goes
# `run_grid` takes a picklable function of the grid parameters and a `seed`. Here the
# function is `recovery_error` with the sizes fixed by `functools.partial`.

# %%
import functools

experiment = functools.partial(phase_transition.recovery_error, **sizes)
ms = [4, 8, 12, 16] if QUICK else [4, 8, 12, 16, 24, 32, 48]
ps = [1, 2, 4] if QUICK else [1, 2, 4, 6, 8]
grid = {"method": ["two-layer", "linear"], "m": ms, "p": ps}
out = Path(tempfile.mkdtemp()) / "rows.csv"
table = run_grid(experiment, grid, seeds=[0, 1], out=out, max_workers=2, progress=False)
print(table.summary())
print("first rows:", table.rows[:2])

# %% [markdown]
# Rerunning the same sweep with the same `out=` file computes nothing: every row is already
# there. (Interrupt a long sweep with Ctrl-C and rerun it: only the missing cells run.)

# %%
again = run_grid(experiment, grid, seeds=[0, 1], out=out, max_workers=2, progress=False)
assert len(again) == len(table) and [r["error"] for r in again.rows] == [r["error"] for r in table.rows]

# %% [markdown]
# ## The recovery probability
# For each method, cell (p, m) holds the fraction of seeds with relative error below τ = 0.1.

# %%
tau = phase_transition.TAU
for method in grid["method"]:
    P = np.zeros((len(ps), len(ms)))
    for r in table.rows:
        if r["method"] == method and r["status"] == "ok":
            P[ps.index(r["p"]), ms.index(r["m"])] += (r["error"] < tau) / 2
    print(method)
    print(P)

# %% [markdown]
# ## The full diagram with three methods
# `phase_transition.run` does all of the above for the three methods and returns the
# probabilities; `phase_transition.plot` draws the heat maps with the line m = 3p (Sec. 4:
# a signal in span(w_1 … w_{m/3}) is recovered). The command line does the same:
# `cstheory sweep phase-transition --quick`, and with `--scheduler tcp://host:8786` it runs
# on an existing Dask cluster.

# %%
if not QUICK:
    result = phase_transition.run(quick=True, workers=2)
    fig = phase_transition.plot(result, path=FIGURES / "07_phase_transition.png")
    print("figure:", FIGURES / "07_phase_transition.png")
    for c in phase_transition.checks(result):
        print(("PASS" if c.passed else "FAIL"), c.name, f"{c.value:.3g}")

# %% [markdown]
# ## What we see, asserted
# The smoothest signals (p = 1, 2) are recovered by the two-layer generator once m reaches a
# small multiple of p, and a rougher signal needs more measurements.

# %%
two = {(r["m"], r["p"]): [] for r in table.rows}
for r in table.rows:
    if r["method"] == "two-layer":
        two[(r["m"], r["p"])].append(r["error"])
assert not table.failures
assert max(two[(ms[-1], 1)]) < tau, two[(ms[-1], 1)]
assert np.median(two[(ms[0], ps[-1])]) > np.median(two[(ms[-1], ps[-1])])
print("recovery at the largest m for p = 1:", two[(ms[-1], 1)])
