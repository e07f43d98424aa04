"""The Fig. 5 study: cells, held-out tuning, verdicts drawn from intervals (cstheory/experiments/fig5_study.py)."""
import math

import numpy as np
import pytest

from cstheory import baselines, cli
from cstheory.experiments import fig5_study as S
from cstheory.mri import mri_problem
from cstheory.sweep import SweepTable

TINY = dict(size=16, channels=4, steps=8)


def _row(image, gap_tv, seed, snr="none"):
    return {"image": image, "acceleration": 4.0, "snr_db": snr, "seed": seed, "status": "ok", "zero-filled": 10.0,
            "l1-haar oracle": 11.0, "l1-haar held-out": 11.0, "tv oracle": 20.0, "tv held-out": 20.0,
            "deep-decoder": 20.0 + gap_tv, "deep-decoder early-stopped": 20.5 + gap_tv, "dd_seconds": 1.0}


def test_verdicts_follow_the_interval_of_the_mean_gap():
    rows = ([_row("a", g, s) for s, g in enumerate((1.0, 1.2, 0.9))]          # all above 0: wins
            + [_row("b", g, s) for s, g in enumerate((-2.0, 3.0, 0.5))]       # straddles 0: no difference
            + [_row("c", g, s) for s, g in enumerate((-1.0, -1.1, -0.8))])    # all below 0: loses
    summary = {s["image"]: s for s in S.summarize(SweepTable(rows, ("image",)))}
    assert summary["a"]["verdict"] == "wins" and summary["a"]["ci_heldout"][0] > 0
    assert summary["b"]["verdict"] == "no significant difference"
    assert summary["c"]["verdict"] == "loses" and summary["c"]["ci_heldout"][1] < 0
    assert summary["a"]["gap_heldout"] == pytest.approx(31 / 30)
    assert summary["a"]["early_stopping_gain"] == pytest.approx(0.5)
    table = S.summary_table(list(summary.values()))
    assert "| a | 4× | none | none | 3 |" in table and "wins" in table and "loses" in table
    assert [c.passed for c in S.checks(list(summary.values()))] == [True, True, True]


def test_heldout_lambda_is_tuned_on_other_masks_only():
    """The held-out λ is the geometric mean of the oracle λ on the tuning seeds, which no evaluation seed uses."""
    S.heldout_lambda.cache_clear()
    lam = S.heldout_lambda("tv", "shepp_logan", 4.0, None, 16)
    want = []
    for seed in S.TUNING_SEEDS:
        P = mri_problem("shepp_logan", size=16, acceleration=4.0, rng=seed, oversample=4)
        want.append(baselines.tune_lambda("tv", P.operator, P.y, rule="oracle", truth=P.image).lam)
    assert lam == pytest.approx(math.exp(np.mean(np.log(want))), rel=1e-12)
    assert min(S.TUNING_SEEDS) >= 1000 and max(S.FULL["seeds"]) < 1000


def test_a_cell_scores_every_method():
    row = S.cell("brick", 4.0, None, 0, **TINY)
    for key in ("zero-filled", "l1-haar oracle", "l1-haar held-out", "tv oracle", "tv held-out", "deep-decoder",
                "deep-decoder early-stopped"):
        assert np.isfinite(row[key]), key
    assert row["deep-decoder early-stopped"] >= row["deep-decoder"] - 1e-9
    assert row["tv oracle"] >= row["tv held-out"] - 0.1      # the oracle is an upper bound (up to warm starts)


def test_sweep_command_writes_the_summary(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(S.QUICK, "size", 16)
    monkeypatch.setitem(S.QUICK, "channels", 4)
    monkeypatch.setitem(S.QUICK, "steps", 8)
    monkeypatch.setitem(S.QUICK, "seeds", (0, 1))
    monkeypatch.setitem(S.QUICK, "snrs", (None,))
    monkeypatch.setitem(S.QUICK, "phases", ("none",))
    monkeypatch.setattr(S, "IMAGES", ("shepp_logan",))
    monkeypatch.setattr(S.run, "__defaults__", (False, ("shepp_logan",), None, None, None, None, None, False, ("none",),
                                                None))
    code = cli.main(["sweep", "fig5-study", "--quick", "--out", str(tmp_path), "--workers", "1", "--no-progress"])
    printed = capsys.readouterr().out
    verdicts = [line.split()[0] for line in printed.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(verdicts) == 1                                     # one noise-free cell group: one check
    assert code == (0 if verdicts == ["PASS"] else 1)             # the exit code follows the checks
    text = (tmp_path / "fig5_study.md").read_text()
    assert "| shepp_logan | 4× | none | none | 2 |" in text
    assert len((tmp_path / "fig5_study.csv").read_text().strip().splitlines()) == 1 + 2


def test_workers_run_the_cells_on_a_process_pool(tmp_path, monkeypatch):
    """``workers=2`` (what ``cstheory sweep fig5-study --workers 2`` passes) runs the cells on a pool of two
    processes, not serially in this one: the rows equal the serial run's, and were computed elsewhere."""
    from cstheory import sweep
    made = []
    real = sweep.process_pool
    monkeypatch.setattr(sweep, "process_pool", lambda w: made.append(w) or real(w))
    kw = dict(quick=True, images=("shepp_logan",), snrs=(None,), seeds=(0, 1), size=16, channels=4, steps=8)
    pooled = S.run(workers=2, **kw)
    serial = S.run(**kw)
    assert made == [2]
    keys = ("deep-decoder", "tv oracle", "l1-haar held-out")
    assert [[r[k] for k in keys] for r in pooled.rows] == [[r[k] for k in keys] for r in serial.rows]
    with pytest.raises(ValueError, match="workers"):
        S.run(workers=0, **kw)


def test_a_csv_from_before_the_phase_axis_resumes_and_reads_as_phase_none(tmp_path, monkeypatch):
    """The running full study's CSV has no phase column: run(phases=("none",)) builds that same grid (nothing is
    recomputed) and summarize counts its rows as real images."""
    import csv
    cols = ["image", "acceleration", "snr_db", "size", "channels", "steps", "inits", "seed", "zero-filled",
            "l1-haar oracle", "l1-haar held-out", "tv oracle", "tv held-out", "baseline_seconds", "deep-decoder",
            "deep-decoder early-stopped", "dd_seconds", "status", "message", "seconds"]
    path = tmp_path / "old.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        for seed, gap in ((0, 1.0), (1, 1.2)):
            row = {**_row("shepp_logan", gap, seed), "size": 16, "channels": 4, "steps": 8, "inits": 1,
                   "baseline_seconds": 1.0, "seconds": 2.0, "message": ""}
            del row["status"]
            w.writerow({**row, "status": "ok"})
    monkeypatch.setattr(S, "cell", lambda *a, **k: pytest.fail("a finished cell was recomputed"))
    table = S.run(quick=True, images=("shepp_logan",), snrs=(None,), seeds=(0, 1), phases=("none",), out=path,
                  size=16, channels=4, steps=8)
    assert len(table.rows) == 2 and "phase" not in path.read_text().splitlines()[0]
    (summary,) = S.summarize(table)
    assert summary["phase"] == "none" and summary["masks"] == 2
    assert "| shepp_logan | 4× | none | none | 2 |" in S.summary_table([summary])
    # the same masks again with phase "none", and complex cells beside them: one group each, each mask once
    rows = table.rows + [{**r, "phase": "none"} for r in table.rows] + [{**r, "phase": "smooth"} for r in table.rows]
    by_phase = {s["phase"]: s for s in S.summarize(SweepTable(rows, ("image", "phase")))}
    assert sorted(by_phase) == ["none", "smooth"] and by_phase["none"]["masks"] == 2
    assert "| shepp_logan | 4× | none | smooth | 2 |" in S.summary_table(S.summarize(SweepTable(rows, ())))
    assert [c.name for c in S.checks(list(by_phase.values()))][1].endswith("noise-free smooth phase: mean gain of "
                                                                         "oracle early stopping (dB)")


def test_a_smooth_phase_cell_scores_every_method_by_magnitude():
    table = S.run(quick=True, images=("brick",), snrs=(None,), seeds=(0,), phases=("smooth",), size=16,
                  channels=4, steps=8)
    (row,) = table.rows
    assert row["phase"] == "smooth" and row["status"] == "ok", row.get("message")
    for key in ("zero-filled", "l1-haar oracle", "l1-haar held-out", "tv oracle", "tv held-out", "deep-decoder",
                "deep-decoder early-stopped"):
        assert np.isfinite(row[key]), key
    assert row["deep-decoder early-stopped"] >= row["deep-decoder"] - 1e-9
    P = mri_problem("brick", size=16, acceleration=4.0, rng=0, oversample=4, phase="smooth")
    from cstheory.mri import psnr
    assert row["zero-filled"] == pytest.approx(psnr(baselines.zero_filled(P.operator, P.y), P.image), rel=1e-12)


def test_phases_are_checked():
    with pytest.raises(TypeError, match="phases must be a non-empty tuple or list"):
        S.run(quick=True, phases="smooth")
    with pytest.raises(ValueError, match="phases entry must be one of"):
        S.run(quick=True, phases=("rough",))
    with pytest.raises(ValueError, match="phase must be one of"):
        S.cell("brick", 4.0, None, 0, phase="rough", **TINY)
