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

    tiny = dict(n=16, ms=[4, 8, 16], ps=[1, 2], seeds=[0], k=8, half_width=2, steps=200)
    monkeypatch.setattr(phase_transition, "config", lambda quick=False: tiny)
    monkeypatch.setitem(sys.modules, "distributed", None)  # force the process-pool path
    code = cli.main(["sweep", "phase-transition", "--out", str(tmp_path), "--workers", "2", "--no-progress"])
    # deterministic (seed 0): on this grid m_needed is the same for p = 1 and 2 (slope ≈ 0 ≤ 6), no cell raised
    assert code == 0
    report = (tmp_path / "report.md").read_text()
    assert "checks: 2 passed, 0 failed" in report and "| cells that raised | one draw | 0 | <= 0 | — | PASS |" in report
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
    assert {e["name"] for e in data["experiments"]} == set(cli.reproducible())


# ---------------------------------------------------------------------------
# the input contract of the command line (issue 14); tests/test_inputs_fuzz.py drives the bad lines
# ---------------------------------------------------------------------------
def test_out_is_checked_before_any_experiment_runs(tmp_path, capsys, monkeypatch):
    ran = []
    monkeypatch.setattr(cli, "run_experiments", lambda *a, **k: ran.append(a))
    afile = tmp_path / "file"
    afile.write_text("x")
    for out, words in ((afile, "exists and is not a directory"), (afile / "sub", "cannot be written"),
                       ("/proc/cstheory-no", "cannot be written"), ("", "empty path")):
        assert cli.main(["reproduce", "--only", "fig2", "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err and err.startswith("cstheory: error: --out")
    assert ran == []


@pytest.mark.parametrize("only", [",", " , ,", ""])
def test_an_empty_only_is_a_usage_error(only, tmp_path, capsys):
    assert cli.main(["reproduce", "--only", only, "--out", str(tmp_path)]) == 2
    assert "--only needs at least one experiment name" in capsys.readouterr().err


def test_argparse_errors_are_one_line(capsys):
    assert cli.main(["reproduce", "--dtype", "float16"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'float16'" in err and "usage:" not in err


def test_an_interrupted_reproduce_leaves_a_report_of_what_finished(tmp_path, capsys, monkeypatch):
    """Ctrl-C after the first experiment: exit 130, one line; the report lists exactly the PNGs written,
    and a report of an older run is not left beside the new figures."""
    from cstheory.report import ExperimentRun

    (tmp_path / "report.md").write_text("an old report\n")
    (tmp_path / "report.json").write_text("{}\n")

    def one_then_interrupt(names, out, runs=None, **kwargs):
        (out / "fig2.png").write_bytes(b"png")
        runs.append(ExperimentRun("fig2", "Fig. 2", 0.1, str(out / "fig2.png"), []))
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_experiments", one_then_interrupt)
    assert cli.main(["reproduce", "--only", "fig2,fig3", "--out", str(tmp_path), "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cstheory: interrupted") and "Traceback" not in err
    data = json.loads((tmp_path / "report.json").read_text())
    assert [e["name"] for e in data["experiments"]] == ["fig2"]
    assert data["meta"]["interrupted"] == "after 1 of 2 experiments"
    assert "an old report" not in (tmp_path / "report.md").read_text()


def test_the_report_is_written_through_temporary_files(tmp_path, monkeypatch):
    """If writing fails half-way, the previous report stays whole and no temporary file is left."""
    import os

    runs = [ExperimentRun("a", "A", 1.0, None, [Check("c", 0.5, 1.0)])]
    md, js = write_report(runs, tmp_path, {"mode": "quick"})
    before = md.read_text(), js.read_text()
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(runs + runs, tmp_path, {"mode": "full"})
    monkeypatch.setattr(os, "replace", real_replace)
    assert (md.read_text(), js.read_text()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]


@pytest.mark.parametrize("argv", [["exercise", "check"], ["exercise", "bogus"], ["exercise", "grade", "min_norm"],
                                  ["exercise", "check", "min_norm", "/nonexistent/student.py"]])
def test_exercise_usage_errors_are_one_line_with_exit_2(argv, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cstheory exercise: error: ") and "\n" not in err


def test_an_interrupted_exercise_command_exits_130_with_one_line(capsys, monkeypatch):
    from cstheory.exercises import _command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_command, "_list", interrupted)
    code = cli.main(["exercise", "list"])
    err = capsys.readouterr().err.strip()
    assert code == 130 and err == "cstheory exercise: interrupted"


def test_reproduce_runs_blas_on_the_asked_number_of_threads(tmp_path, monkeypatch):
    """``threads=N`` (``--threads N``) limits BLAS/OpenMP with threadpoolctl here and through the environment
    for worker processes; the default (``None``, ``--threads 0``) leaves the libraries' own default: the
    claims are statistics over draws that hold for any thread count, so nothing is pinned."""
    import os

    from threadpoolctl import threadpool_info

    from cstheory import experiments

    seen = []

    class Probe:
        def run(self, quick=False):
            seen.append((max((p["num_threads"] for p in threadpool_info()), default=1),
                         os.environ.get("OPENBLAS_NUM_THREADS")))
            return None

    fake = experiments.Experiment("probe", "probe", "a probe")
    monkeypatch.setattr(experiments.Experiment, "load", lambda self: Probe() if self.name == "probe" else None)
    monkeypatch.setattr(experiments.Experiment, "plot", lambda self, result, path=None: None)
    monkeypatch.setattr(experiments.Experiment, "checks", lambda self, result: [])
    monkeypatch.setitem(cli.EXPERIMENTS, "probe", fake)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    cli.run_experiments(["probe"], tmp_path, progress=False, threads=1)
    assert seen == [(1, "1")]
    assert "OPENBLAS_NUM_THREADS" not in os.environ                 # restored afterwards
    default = max((p["num_threads"] for p in threadpool_info()), default=1)
    cli.run_experiments(["probe"], tmp_path, progress=False)
    assert seen[-1] == (default, None)
    assert cli.main(["reproduce", "--threads", "-1", "--out", str(tmp_path / "x")]) == 2


def test_output_piped_into_head_ends_quietly():
    """``cstheory exercise list | head -1``: the reader closes the pipe early; no BrokenPipeError traceback,
    exit code 141 (128 + SIGPIPE) as a shell's own commands give."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "import sys, cstheory.cli as c; sys.exit(c.main(['exercise', 'list']))"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                     # the reader is gone before the command writes
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err, err
