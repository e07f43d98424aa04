"""Run every tutorial (tutorials/*.py) as a script, quick and full, and assert the claims it prints.

Each tutorial runs in a fresh interpreter (``sys.executable``) with ``MPLBACKEND=Agg``,
``CSTHEORY_FIGURES`` pointing to a temporary directory and **two BLAS threads**
(``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=2``, as CI runs the tutorial claims: a
claim must not rest on the rounding of one thread count).  It must exit with status 0 (its own
closing asserts hold) and leave ``<stem>.json`` there: the numbers behind the sentences of its
text.  :data:`CLAIMS` holds, per tutorial, the assertions of those sentences — each claim the
text makes is checked here on the numbers the tutorial printed, in the mode it ran in (a claims
function reads ``d["quick"]`` where the text says something different at full size).  New
tutorials are picked up by the glob and must add their claims.

* ``test_tutorial_runs_quick_and_asserts_its_quality``: ``CSTHEORY_QUICK=1``, the default run;
* ``test_tutorial_runs_full_and_asserts_its_quality``: ``CSTHEORY_QUICK=0``, what a student runs
  by default — marked ``full`` (minutes to tens of minutes each, see each tutorial's header) and
  deselected by ``addopts``; run it with ``python -m pytest -m full tests/test_tutorials.py``.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from cstheory import _fused

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
    assert d["draws"] >= 3 and min(d["rates"]) > 2 / 3         # faster than eq. (7)'s gamma^(2m/3), every draw
    assert d["smoothest_error_at_largest_m"] < (1e-6 if d["quick"] else 1e-9)


def claims_02(d):
    final, best = d["final"], d["best"]
    wide, patient = str(d["wide_h"]), str(d["patient_h"])
    assert d["adjoint_difference"] <= 1e-12                    # <Jt, r> = <t, J^T r>
    assert all(final[h] <= 1.01 * best[h] + 1e-12 for h in final)  # early stopping would gain nothing (sweep)
    assert len(d["draws"]) >= 3
    for draw in d["draws"]:                                    # every claim in every draw
        final, best = draw["final"], draw["best"]
        assert final[wide] < 0.05 and draw["wide_loss_ratio"] < 1e-3   # the wide kernel recovers x* from m = 5p
        assert draw["tail_drop"] > 0                           # still falling at the end: no plateau yet
        assert final["1"] > 0.5 and draw["identity_loss_ratio"] < 1e-10   # U = I fits y, not x*
        assert final[wide] < 0.1 * final["1"]
        assert all(final[h] <= 1.01 * best[h] + 1e-12 for h in final)  # early stopping would gain nothing
        assert draw["patient_longer"] < 0.8 * final[patient]   # the very wide kernel is slow, not wrong
        assert 0.25 < draw["patient_longer"] / draw["patient_limit"] < 4   # ... to the level of the linear limit,
        assert draw["patient_limit"] < 0.1                     # which is accurate


def claims_03(d):
    assert d["mc_vs_exact"] < 3.0 / math.sqrt(d["samples_times_channels"])   # Monte-Carlo at the 1/sqrt(Sk) rate
    assert all(0.2 < c < 3.0 for c in d["error_constants"]) and -0.65 < d["slope"] < -0.35
    assert d["closed_vs_eig"] < 1e-12 and d["diag_vs_closed"] < 1e-12 and d["off_diagonal"] < 1e-12
    assert d["eq11_ours"] < 1e-12 and d["eq11_printed"] > 0.05 and d["symmetric_gap"] < 1e-12
    assert all(s < 0.05 * r for s, r in zip(d["bounds"]["smooth"], d["bounds"]["rough"]))
    assert len(d["draws"]) >= 3
    for draw in d["draws"]:
        assert draw["smooth"] < 0.1                           # the smooth signal is recovered; the rough one is
        assert draw["rough"] > (0.8 if d["quick"] else 1.0)   # about as bad as x_hat = 0 (full: worse)
        assert draw["rough_limit"] > 0.5 and draw["rough_longer"] > 0.5   # the limit of long runs is poor too
        if not d["quick"]:                                     # full size: still worse than 0 after 4x the steps,
            assert draw["rough_longer"] > 1.0 and draw["rough_limit"] > 1.0   # and so is the linear limit


def claims_04(d):
    import numpy as np
    gaps, err_net, err_lin, err_lin_same, bound = (np.asarray(d[key]) for key in
                                                   ("gaps", "err_net", "err_lin", "err_lin_same_steps", "bound"))
    assert d["closed_form_error"] < 1e-12 * max(1.0, d["r0_norm"])   # eq. (39) is GD
    assert len(gaps) >= 3 and len(err_net) >= 3                 # over draws
    assert np.all(gaps[:, -1] < gaps[:, 0] / 3) and max(d["gap_slopes"]) < -0.2   # width linearizes, every draw
    assert np.all(err_net[:, -1] < 1e-2) and np.all(err_net[:, -1] < 1e-2 * err_net[:, 0])   # O(p) suffice
    assert np.all(err_net < bound)                              # below the eq. (13) RHS without C
    assert np.all(err_lin[:, -1] > err_net[:, -1])              # the network beats the linear limit ...
    assert np.all(err_lin_same[:, -1] > err_net[:, -1])         # ... and the linear run of the same length
    # the text: these sizes are below the theorems' range (quick: none of the hypotheses holds)
    assert not all(d["hypotheses"].values())
    assert d["hypotheses"]["m >= 12 (Theorem 2)"] == (not d["quick"])
    assert any(m < 12 for m in d["ms"])                          # marked as outside Theorem 2 in the output


def claims_05(d):
    smooth, rough = d["names"]
    e = d["ensemble"]                                           # Fig. 1 at the quick size, per draw
    assert d["adjoint_gap"] < 1e-10 and d["fd_gap"] < 1e-5
    assert d["fused_gap"] < 1e-12 and d["fused"] is _fused.available()   # fused loops = array-API passes
    assert len(d["quarters"]["deep decoder d=4"]) >= 3 and len(e["psnr"][smooth]) >= 3
    # depth sharpens the decay, in every draw
    assert all(a < b for a, b in zip(d["quarters"]["deep decoder d=4"], d["quarters"]["deep decoder d=1"]))
    assert all(a < 0.2 * b for a, b in zip(e["relative_error"][smooth], e["relative_error"][rough]))
    assert all(a > b for a, b in zip(e["low_frequency_energy"][smooth], e["low_frequency_energy"][rough]))
    assert min(e["psnr"][smooth]) > 25.0
    assert all(r < 1e-2 for name in (smooth, rough) for r in e["loss_ratio"][name])   # the loss falls > 100x
    # early stopping: needless for the smooth picture, of some use for the texture (said in the text)
    assert max(e["gain"][smooth]) < 0.15 and min(e["gain"][rough]) > 0   # draws 0-5: 0.4-10% and 10-26%
    assert all(b > a for a, b in zip(e["gain"][smooth], e["gain"][rough]))
    assert len(d["final_decays"]) >= 3 and max(d["final_decays"]) < 0.25   # Fig. 4: the spectrum still decays


def claims_06(d):
    base = d["psnr_baselines"]
    assert d["adjoint_error"] < 1e-12
    assert d["kspace_difference"] > 0.01                        # the oversampled data are not the crime's
    assert all(d["converged"])                                  # every baseline met its criterion
    assert all(base[f"{m} oracle"] >= base[f"{m} rule"] - 0.1 for m in ("l1-dct", "l1-haar", "tv", "tv-box"))
    assert len(d["seeds"]) >= 3                                 # claims over masks, not one draw
    tv = d["tv_over_zero_filled"]                               # TV beats zero filling on every mask ...
    assert all(g > 1.5 for g in tv) and sum(tv) / len(tv) > 2   # ... by more than 2 dB on average
    gain = d["over_zero_filled"]["4.0"]                         # the decoder beats zero filling on average
    assert sum(gain) / len(gain) > 1.0
    assert all(c["passed"] for c in d["claims"].values())       # the report's claims, as means over the masks
    assert sum(d["early_stopping_gain"]["4.0"]) / len(d["seeds"]) < 1.0   # noiseless: early stopping gains < 1 dB
    rows = d["noisy"]["rows"]
    gains = [r["best"] - r["last"] for r in rows]
    assert all(r["t_best"] < d["noisy"]["steps"] for r in rows)          # with noise the error turns up ...
    assert min(gains) > 0 and sum(gains) / len(gains) > 0.2              # ... and early stopping helps
    assert sum(r["last"] - r["zero_filled"] for r in rows) / len(rows) > 0.5
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


#: the BLAS threads the tutorials run with here (CI runs the tutorial claims with two)
THREADS = "2"
#: seconds a tutorial may take, quick and full (the full times measured on 2 loaded cores are in the headers)
TIMEOUT = {True: 600, False: 3 * 3600}


def run_tutorial(script, tmp_path, quick):
    """Run ``script`` in quick or full mode with two BLAS threads; return the numbers it saved."""
    env = dict(os.environ)
    env.update(CSTHEORY_QUICK="1" if quick else "0", MPLBACKEND="Agg", CSTHEORY_FIGURES=str(tmp_path / "figures"))
    # the package from this checkout, installed or not
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    # what CI runs: two BLAS threads, whatever the caller's environment says
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = THREADS
    # deprecation warnings are hidden outside __main__ by default: show them, so the check below sees them
    env["PYTHONWARNINGS"] = "default::DeprecationWarning,default::PendingDeprecationWarning"
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT[quick])
    output = f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, f"{script.name} exited with {proc.returncode}\n{output}"
    # no warning from the package (deprecated names, numerical trouble) reaches the student
    assert "Warning:" not in proc.stderr, f"{script.name} printed a warning\n{output}"
    # no absolute path of this machine in what the tutorial prints (figures: relative to CSTHEORY_FIGURES)
    for place in {str(tmp_path), tempfile.gettempdir()}:
        assert place not in proc.stdout, f"{script.name} printed an absolute path ({place})\n{output}"
    # figures (a tutorial may skip drawing in quick mode) go to CSTHEORY_FIGURES, never elsewhere
    assert all(f.stat().st_size > 0 for f in (tmp_path / "figures").glob("*.png"))
    assert not list(tmp_path.glob("*.png")), f"{script.name} saved a figure outside CSTHEORY_FIGURES"
    # the figures are drawn in quick mode too
    assert list((tmp_path / "figures").glob("*.png")), f"{script.name} drew no figure"
    numbers = json.loads((tmp_path / "figures" / f"{script.stem}.json").read_text())
    assert numbers["quick"] is quick
    return numbers


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_quick_and_asserts_its_quality(script, tmp_path):
    CLAIMS[script.stem](run_tutorial(script, tmp_path, quick=True))


@pytest.mark.full
@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_full_and_asserts_its_quality(script, tmp_path, request):
    # only when asked for by name: another -m (say -m "not slow") replaces addopts' -m "not full"
    if "full" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the full-size tutorials run only when selected: python -m pytest -m full tests/test_tutorials.py")
    CLAIMS[script.stem](run_tutorial(script, tmp_path, quick=False))


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_opens_as_a_notebook(script):
    """Each tutorial is a jupytext percent script: it opens as a notebook with prose and code cells."""
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(script)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3, kinds
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("#"), \
        "a tutorial opens with a markdown title cell"
