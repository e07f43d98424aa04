"""Tests for the command line and the report: exit codes, files written, checks that pass."""
import json
import subprocess
import sys

import pytest

from cstheory import cli
from cstheory.report import Check, ExperimentRun, write_report


def test_check_relations():
    assert Check("e", 1e-12, 1e-10).passed
    assert not Check("e", 1e-8, 1e-10).passed
    assert Check("ratio", 5.0, 4.0, relation=">=").passed
    assert not Check("nan", float("nan"), 1.0).passed
    with pytest.raises(ValueError, match="relation"):
        Check("x", 1.0, 1.0, relation="<")


def test_write_report_markdown_and_json(tmp_path):
    runs = [ExperimentRun("a", "A", 1.0, str(tmp_path / "a.png"), [Check("max |x|", 0.5, 1.0)]),
            ExperimentRun("b", "B", 2.0, None, [], error="ValueError: boom")]
    md, js = write_report(runs, tmp_path, {"mode": "quick"})
    text = md.read_text()
    assert "max \\|x\\|" in text and "PASS" in text and "run failed: ValueError: boom" in text
    data = json.loads(js.read_text())
    assert data["passed"] is False
    assert data["experiments"][0]["checks"][0]["passed"] is True


def test_reproduce_quick_subset_writes_figures_and_report(tmp_path):
    code = cli.main(["reproduce", "--quick", "--only", "linear,fig2,monte-carlo", "--out", str(tmp_path),
                     "--no-progress"])
    assert code == 0
    for name in ("linear", "fig2", "monte-carlo"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["passed"] and len(data["experiments"]) == 3
    assert all(c["passed"] for e in data["experiments"] for c in e["checks"])


def test_reproduce_on_array_api_strict(tmp_path):
    """The same experiment code runs on another namespace and passes the same checks."""
    code = cli.main(["reproduce", "--quick", "--only", "linear,monte-carlo", "--backend", "array_api_strict",
                     "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    assert json.loads((tmp_path / "report.json").read_text())["meta"]["backend"] == "array_api_strict"


@pytest.mark.parametrize(
    "argv",
    [
        ["reproduce", "--only", "fig99"],
        ["reproduce", "--quick", "--only", "fig2", "--backend", "array_api_strict"],
        ["figure", "99"],
        ["exercise", "show"],
        ["exercise", "show", "no-such-exercise"],
        ["exercise", "check", "jacobian", "/no/such/file.py"],
        ["nonsense"],
        [],
    ],
)
def test_usage_errors_exit_2(argv, tmp_path, capsys):
    if "--only" in argv or argv[:1] == ["figure"]:
        argv = argv + ["--out", str(tmp_path)]
    assert cli.main(argv) == 2


def test_python_dash_m_entry_point():
    out = subprocess.run([sys.executable, "-m", "cstheory", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "reproduce" in out.stdout


def test_sweep_phase_transition_tiny(tmp_path, monkeypatch):
    """`cstheory sweep phase-transition` on a tiny grid: figure, CSV rows and report; a rerun resumes."""
    from cstheory.experiments import phase_transition

    tiny = dict(n=16, ms=[4, 8, 16], ps=[1, 2], seeds=[0], k=8, kernel_p=2, steps=200)
    monkeypatch.setattr(phase_transition, "config", lambda quick=False: tiny)
    monkeypatch.setitem(sys.modules, "distributed", None)  # force the process-pool path
    code = cli.main(["sweep", "phase-transition", "--out", str(tmp_path), "--workers", "2", "--no-progress"])
    # deterministic (seed 0): on this grid m_needed is the same for p = 1 and 2 (slope ≈ 0 ≤ 6), no cell raised
    assert code == 0
    report = (tmp_path / "report.md").read_text()
    assert "checks: 2 passed, 0 failed" in report and "| cells that raised | 0 | <= 0 | PASS |" in report
    rows = (tmp_path / "phase_transition.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 3 * 3 * 2
    assert (tmp_path / "phase_transition.png").exists() and (tmp_path / "report.md").exists()
    before = (tmp_path / "phase_transition.csv").read_text()
    cli.main(["sweep", "phase-transition", "--out", str(tmp_path), "--workers", "2", "--no-progress"])
    assert (tmp_path / "phase_transition.csv").read_text() == before  # nothing recomputed


@pytest.mark.slow
def test_reproduce_quick_everything(tmp_path):
    """`cstheory reproduce --quick` runs every experiment and every theory check passes."""
    code = cli.main(["reproduce", "--quick", "--out", str(tmp_path), "--no-progress"])
    data = json.loads((tmp_path / "report.json").read_text())
    failed = [(e["name"], e["error"], [c for c in e["checks"] if not c["passed"]])
              for e in data["experiments"] if not e["passed"]]
    assert code == 0, failed
    assert {e["name"] for e in data["experiments"]} == set(cli._available())
