"""Tests for cstheory.sweep: rows, resumption, failures, and the same rows on a Dask cluster."""
import csv
import functools

import pytest

from cstheory.sweep import SerialExecutor, grid_cells, run_grid


def toy(a, b, seed):
    """A deterministic cell: its value encodes its inputs."""
    return {"error": a * 10 + {"x": 0, "y": 1}[b] + seed / 100, "twice": 2 * a}


def flaky(a, b, seed):
    if a == 2 and b == "y":
        raise RuntimeError("cell (2, y) is broken")
    return float(a)


def interrupting(a, b, seed, stop_at=None):
    if (a, b, seed) == stop_at:
        raise KeyboardInterrupt  # not an Exception: aborts the sweep like Ctrl-C
    return float(a)


GRID = {"a": [1, 2, 3], "b": ["x", "y"]}


def _values(table):
    return [(r["a"], r["b"], r["seed"], r["error"]) for r in table.rows]


def test_grid_cells_is_the_cartesian_product():
    cells = grid_cells(GRID)
    assert cells == [{"a": a, "b": b} for a in [1, 2, 3] for b in ["x", "y"]]
    with pytest.raises(ValueError, match="reserved"):
        grid_cells({"seed": [1]})
    with pytest.raises(TypeError, match="list of values"):
        grid_cells({"a": 3})


def test_serial_rows_are_tidy_and_sorted():
    table = run_grid(toy, GRID, seeds=[0, 1], executor=SerialExecutor(), progress=False)
    assert len(table) == 12
    assert _values(table)[:3] == [(1, "x", 0, 10.0), (1, "x", 1, 10.01), (1, "y", 0, 11.0)]
    assert all(r["status"] == "ok" and r["seconds"] >= 0 for r in table.rows)
    assert table.column("twice").tolist() == [2] * 4 + [4] * 4 + [6] * 4
    assert table.columns[:3] == ["a", "b", "seed"]


def test_process_pool_gives_the_serial_rows():
    serial = run_grid(toy, GRID, seeds=[0, 1], executor=SerialExecutor(), progress=False)
    pooled = run_grid(toy, GRID, seeds=[0, 1], max_workers=2, progress=False)
    assert _values(pooled) == _values(serial)


def test_dask_local_cluster_gives_the_serial_rows():
    distributed = pytest.importorskip("distributed")
    serial = run_grid(toy, GRID, seeds=[0, 1], executor=SerialExecutor(), progress=False)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        table = run_grid(toy, GRID, seeds=[0, 1], executor=client.get_executor(), progress=False)
    assert _values(table) == _values(serial)


def test_failing_cell_is_recorded_not_fatal(tmp_path):
    out = tmp_path / "rows.csv"
    table = run_grid(flaky, GRID, seeds=[0], executor=SerialExecutor(), out=out, progress=False)
    assert len(table) == 6
    (bad,) = table.failures
    assert (bad["a"], bad["b"], bad["status"]) == (2, "y", "failed")
    assert "cell (2, y) is broken" in bad["message"]
    assert "1 failed" in table.summary() and "a=2, b='y'" in table.summary()
    with open(out, newline="") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == 6


def test_interrupted_sweep_resumes_with_only_the_missing_cells(tmp_path):
    out = tmp_path / "rows.csv"
    calls = []

    def counting(a, b, seed):
        calls.append((a, b, seed))
        return float(a)

    stop = functools.partial(interrupting, stop_at=(2, "y", 0))
    with pytest.raises(KeyboardInterrupt):
        run_grid(stop, GRID, seeds=[0], executor=SerialExecutor(), out=out, progress=False)
    with open(out, newline="") as fh:
        finished = [(int(r["a"]), r["b"].strip("'")) for r in csv.DictReader(fh)]
    assert finished == [(1, "x"), (1, "y"), (2, "x")]        # written as they arrived

    table = run_grid(counting, GRID, seeds=[0], executor=SerialExecutor(), out=out, progress=False)
    assert calls == [(2, "y", 0), (3, "x", 0), (3, "y", 0)]   # only the missing cells
    assert len(table) == 6 and not table.failures
    # a third run has nothing left to do
    calls.clear()
    again = run_grid(counting, GRID, seeds=[0], executor=SerialExecutor(), out=out, progress=False)
    assert calls == [] and _values(again) == _values(table)


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="experiment must be callable"):
        run_grid(3, GRID, seeds=[0])
    with pytest.raises(ValueError, match="seeds"):
        run_grid(toy, GRID, seeds=[])
    with pytest.raises(ValueError, match=".csv"):
        run_grid(toy, GRID, seeds=[0], out=tmp_path / "rows.txt")
    with pytest.raises(TypeError, match="executor"):
        run_grid(toy, GRID, seeds=[0], executor=object())


# ---------------------------------------------------------------------------
# resuming: normalised keys and torn rows (issue 14)
# ---------------------------------------------------------------------------
def test_numpy_grid_values_match_python_numbers_on_resume(tmp_path):
    import numpy as np

    out = tmp_path / "rows.csv"
    calls = []

    def counting(a, b, seed):
        calls.append((a, b, seed))
        return float(a)

    run_grid(counting, {"a": np.array([1, 2]), "b": [np.float64(0.5)]}, seeds=np.arange(2),
             executor=SerialExecutor(), out=out, progress=False)
    assert len(calls) == 4 and all(type(a) is int and type(b) is float and type(s) is int for a, b, s in calls)
    calls.clear()
    table = run_grid(counting, {"a": [1, 2], "b": [0.5]}, seeds=[0, 1], executor=SerialExecutor(), out=out,
                     progress=False)
    assert calls == [] and len(table) == 4
    with open(out, newline="") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == 4          # no duplicates appended


@pytest.mark.parametrize("damage", ["cut the last line", "drop a field", "bad status"])
def test_a_torn_last_row_is_recomputed(tmp_path, damage):
    out = tmp_path / "rows.csv"
    run_grid(toy, GRID, seeds=[0], executor=SerialExecutor(), out=out, progress=False)
    text = out.read_text()
    lines = text.splitlines(keepends=True)
    last = lines[-1]
    if damage == "cut the last line":
        lines[-1] = last[: len(last) // 2]                        # no newline: the write was interrupted
    elif damage == "drop a field":
        lines[-1] = ",".join(last.rstrip("\n").split(",")[:-3]) + "\n"
    else:
        lines[-1] = last.replace(",ok,", ",o,")
    out.write_text("".join(lines))
    calls = []

    def counting(a, b, seed):
        calls.append((a, b))
        return toy(a, b, seed)

    table = run_grid(counting, GRID, seeds=[0], executor=SerialExecutor(), out=out, progress=False)
    assert calls == [(3, "y")]                                     # only the torn cell again
    assert len(table) == 6 and not table.failures
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 and all(r["status"] == "ok" for r in rows)
    assert out.read_text().endswith("\n")


def test_bad_sweep_arguments_are_named(tmp_path):
    with pytest.raises(TypeError, match="progress must be True or False"):
        run_grid(toy, GRID, seeds=[0], progress="yes")
    with pytest.raises(TypeError, match="each entry of seeds must be an integer"):
        run_grid(toy, GRID, seeds=[0.5])
    with pytest.raises(ValueError, match="grid\\['a'\\] must not be empty"):
        run_grid(toy, {"a": []}, seeds=[0])
    with pytest.raises(ValueError, match="out .* is not a file"):
        run_grid(toy, GRID, seeds=[0], out=tmp_path / "dir.csv" if (tmp_path / "dir.csv").mkdir() is None else None)
    with pytest.raises(TypeError, match="max_workers must be an integer"):
        run_grid(toy, GRID, seeds=[0], max_workers=1.5)


def test_run_grid_names_out_when_it_cannot_be_written(tmp_path):
    """An ``out`` in a directory that cannot be written is refused before any work, naming ``out``."""
    with pytest.raises(ValueError, match=r"out '/proc/x\.csv' cannot be written"):
        run_grid(toy, {"a": [1], "b": [2]}, [0], out="/proc/x.csv", progress=False)


def test_run_grid_refuses_a_lambda_on_a_process_pool():
    """A process pool pickles the experiment: a lambda is refused with a TypeError that says what to do."""
    with pytest.raises(TypeError, match="experiment must be picklable.*module-level function"):
        run_grid(lambda m, seed: m, {"m": [1]}, [0], progress=False)
    table = run_grid(lambda m, seed: m, {"m": [1]}, [0], executor=SerialExecutor(), progress=False)
    assert len(table) == 1                  # in this process a lambda is fine
