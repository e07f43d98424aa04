"""Run every tutorial (tutorials/*.py) as a script in quick mode, and assert the claims it prints.

Each tutorial runs in a fresh interpreter (``sys.executable``) with ``CSTHEORY_QUICK=1``,
``MPLBACKEND=Agg`` and ``CSTHEORY_FIGURES`` pointing to a temporary directory.  It must exit with
status 0 (its own closing asserts hold) and leave ``<stem>.json`` there: the numbers behind the
sentences of its text.  :data:`CLAIMS` holds, per tutorial, the assertions of those sentences —
each claim the text makes is checked here on the numbers the tutorial printed.  New tutorials are
picked up by the glob and must add their claims.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "tutorials").glob("*.py"))


def test_there_are_tutorials():
    assert TUTORIALS, "no tutorials/*.py found"


def claims_01(d):
    assert d["distance_final"] < 1e-6                          # GD from zero reaches the min-norm solution
    assert d["distance_max_increase"] <= 1e-12                 # ... and never moves away from it
    assert d["smoothest_error_at_largest_m"] < 1e-6            # the smoothest signal is recovered almost exactly
    assert all(b > a for a, b in zip(d["log_mean_error_by_p"], d["log_mean_error_by_p"][1:]))  # smoother is easier
    assert d["max_ratio_to_eq7"] < 0.5                         # every error below eq. (7) without C
    assert d["rate"] > 2 / 3                                   # faster than eq. (7)'s gamma^(2m/3)


def claims_02(d):
    final, best = d["final"], d["best"]
    wide, patient = str(d["wide_h"]), str(d["patient_h"])
    assert d["adjoint_difference"] <= 1e-12                    # <Jt, r> = <t, J^T r>
    assert final[wide] < 0.05 and d["wide_loss_ratio"] < 1e-3  # the wide kernel recovers x* from m = 5p
    assert d["tail_drop"] > 0                                  # still falling at the end: no plateau yet
    assert final["1"] > 0.5 and d["identity_loss_ratio"] < 1e-10   # U = I fits y, not x*
    assert final[wide] < 0.1 * final["1"]
    assert all(final[h] <= 1.01 * best[h] + 1e-12 for h in final)  # early stopping would gain nothing
    assert d["patient_longer"] < 0.8 * final[patient]          # the very wide kernel is slow, not wrong
    assert d["patient_limit"] < d["patient_longer"] and d["patient_limit"] < 0.1   # ... towards a good limit


def claims_03(d):
    assert d["mc_vs_exact"] < 3.0 / math.sqrt(d["samples_times_channels"])   # Monte-Carlo at the 1/sqrt(Sk) rate
    assert all(0.2 < c < 3.0 for c in d["error_constants"]) and -0.65 < d["slope"] < -0.35
    assert d["closed_vs_eig"] < 1e-12 and d["diag_vs_closed"] < 1e-12 and d["off_diagonal"] < 1e-12
    assert d["eq11_ours"] < 1e-12 and d["eq11_printed"] > 0.05 and d["symmetric_gap"] < 1e-12
    assert all(s < 0.05 * r for s, r in zip(d["bounds"]["smooth"], d["bounds"]["rough"]))
    assert d["recovery_error"]["smooth"] < 0.1 and d["recovery_error"]["rough"] > 0.5
    # the limit of long runs is poor for the rough signal; at quick size the longer run heads towards it
    assert d["rough_limit"] > 0.5 and d["rough_longer"] > 0.5
    assert d["rough_limit"] < d["rough_longer"] < d["recovery_error"]["rough"]


def claims_04(d):
    assert d["closed_form_error"] < 1e-12 * max(1.0, d["r0_norm"])   # eq. (39) is GD
    assert d["gaps"][-1] < d["gaps"][0] / 3 and d["gap_slope"] < -0.2  # width linearizes the network
    assert d["err_net"][-1] < 1e-2 and d["err_net"][-1] < 1e-2 * d["err_net"][0]   # O(p) measurements suffice
    assert all(e < b for e, b in zip(d["err_net"], d["bound"]))    # below the eq. (13) RHS without C
    # the text: these sizes are below the theorems' range (quick: none of the hypotheses holds)
    assert not all(d["hypotheses"].values())
    assert d["hypotheses"]["m >= 12 (Theorem 2)"] == (not d["quick"])
    assert any(m < 12 for m in d["ms"])                          # marked as outside Theorem 2 in the output


def claims_05(d):
    smooth, rough = d["names"]
    assert d["adjoint_gap"] < 1e-10 and d["fd_gap"] < 1e-5
    assert d["quarter"]["deep decoder d=4"] < d["quarter"]["deep decoder d=1"]   # depth sharpens the decay
    assert d["relative_error"][smooth] < 0.2 * d["relative_error"][rough]
    assert d["low_frequency_energy"][smooth] > d["low_frequency_energy"][rough]
    assert d["psnr"][smooth] > 25.0
    assert all(r < 1e-2 for r in d["loss_ratio"].values())      # the loss falls by more than 100x
    # early stopping: needless for the smooth picture, of some use for the texture (said in the text)
    gain = d["early_stopping_gain"]
    assert gain[smooth] < 0.1 and gain[rough] > gain[smooth]
    assert d["final_error"][rough] > d["best_error"][rough]
    assert d["spectrum_change"] < 0.25


def claims_06(d):
    base = d["psnr_baselines"]
    assert d["adjoint_error"] < 1e-12
    assert d["kspace_difference"] > 0.01                        # the oversampled data are not the crime's
    assert all(d["converged"])                                  # every baseline met its criterion
    assert max(base["tv oracle"], base["tv-box oracle"]) > base["zero-filled"] + 3
    assert all(base[f"{m} oracle"] >= base[f"{m} rule"] - 0.1 for m in ("l1-dct", "l1-haar", "tv", "tv-box"))
    assert len(d["seeds"]) >= 3                                 # claims over masks, not one draw
    assert all(g > 2 for g in d["over_zero_filled"]["4.0"])     # the decoder beats zero filling on every mask
    assert all(c["passed"] for c in d["claims"].values())       # the report's claims, as means over the masks
    assert sum(d["early_stopping_gain"]["4.0"]) / len(d["seeds"]) < 1.0   # noiseless: early stopping gains < 1 dB
    rows = d["noisy"]["rows"]
    gains = [r["best"] - r["last"] for r in rows]
    assert all(r["t_best"] < d["noisy"]["steps"] for r in rows)          # with noise the error turns up ...
    assert min(gains) > 0.1 and sum(gains) / len(gains) > 0.4            # ... and early stopping helps
    assert all(r["last"] > r["zero_filled"] + 0.5 for r in rows)
    assert all(abs(r[m][0] - r[m][1]) < 1.0 for r in rows for m in ("l1-haar", "tv"))


def claims_07(d):
    two, lin = d["two_layer"], d["linear"]
    need, need_lin, ps = d["needed_two_layer"], d["needed_linear"], d["ps"]
    assert d["failures"] == 0 and d["seeds"] >= 8
    values = {v for row in two + lin for v in row}
    assert len(values) > 3                                      # probabilities are not only 0, 1/2, 1
    assert two[0][-1] == 1.0                                    # p = 1 recovered in every draw at the largest m
    reached = [(p, m) for p, m in zip(ps, need) if not math.isnan(m)]
    assert len(reached) >= 2 and all(b[1] >= a[1] for a, b in zip(reached, reached[1:]))   # rougher needs more
    assert all(m <= 12 * p for p, m in reached)                 # O(p)
    short, long_ = d["slow"][str(d["steps"])], d["slow"][str(5 * d["steps"])]
    assert all(b < a for a, b in zip(short, long_))             # the rough cell is slow, not wrong
    smooth = [i for i, p in enumerate(ps) if p <= 4]
    assert all(need[i] <= need_lin[i] for i in smooth)          # no more measurements than the linear estimator
    for p, m, m2 in d["dips"]:                                  # dips of at most one draw
        i = ps.index(p)
        assert two[i][d["ms"].index(m)] - two[i][d["ms"].index(m2)] <= 1.0 / d["seeds"] + 1e-12


#: per tutorial (file stem), the assertions of the claims its text makes, on the numbers it saved
CLAIMS = {"01_linear_min_norm": claims_01, "02_two_layer_generator": claims_02, "03_spectrum": claims_03,
          "04_dynamics": claims_04, "05_deep_decoder": claims_05, "06_mri": claims_06,
          "07_phase_transition": claims_07}


def test_every_tutorial_has_its_claims():
    assert {p.stem for p in TUTORIALS} == set(CLAIMS)


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_quick_and_asserts_its_quality(script, tmp_path):
    env = dict(os.environ)
    env.update(CSTHEORY_QUICK="1", MPLBACKEND="Agg", CSTHEORY_FIGURES=str(tmp_path / "figures"))
    # the package from this checkout, installed or not
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    # the tutorials use small matrices: one BLAS thread avoids oversubscribing the shared cores
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    output = f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, f"{script.name} exited with {proc.returncode}\n{output}"
    # figures (a tutorial may skip drawing in quick mode) go to CSTHEORY_FIGURES, never elsewhere
    assert all(f.stat().st_size > 0 for f in (tmp_path / "figures").glob("*.png"))
    assert not list(tmp_path.glob("*.png")), f"{script.name} saved a figure outside CSTHEORY_FIGURES"
    # the figures are drawn in quick mode too
    assert list((tmp_path / "figures").glob("*.png")), f"{script.name} drew no figure"
    numbers = json.loads((tmp_path / "figures" / f"{script.stem}.json").read_text())
    assert numbers["quick"] is True
    CLAIMS[script.stem](numbers)


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_opens_as_a_notebook(script):
    """Each tutorial is a jupytext percent script: it opens as a notebook with prose and code cells."""
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(script)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3, kinds
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("#"), \
        "a tutorial opens with a markdown title cell"
