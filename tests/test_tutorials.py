"""Run every tutorial (tutorials/*.py) as a script in quick mode; each ends by asserting its quality.

Each tutorial runs in a fresh interpreter (``sys.executable``) with ``CSTHEORY_QUICK=1``,
``MPLBACKEND=Agg`` and ``CSTHEORY_FIGURES`` pointing to a temporary directory; the test passes
when the script exits with status 0, i.e. when its closing asserts of quality hold.
New tutorials are picked up automatically by the glob.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "tutorials").glob("*.py"))


def test_there_are_tutorials():
    assert TUTORIALS, "no tutorials/*.py found"


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


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_opens_as_a_notebook(script):
    """Each tutorial is a jupytext percent script: it opens as a notebook with prose and code cells."""
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(script)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3, kinds
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("#"), \
        "a tutorial opens with a markdown title cell"
