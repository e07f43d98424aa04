"""Benchmark: the wall time and peak memory of ``cstheory reproduce`` (every registered experiment).

Runs ``python -m cstheory reproduce [--quick] --out TMP`` in a child process from the repository
root, records its wall time, its peak resident memory (``ru_maxrss`` of the child, printed by the
child itself), whether every check of its report passed, and the seconds of each experiment (from
``report.json``).  Targets (issue 27, with the seed ensembles of every claim: 5 draws, 3 with
``--quick``): ``--quick`` ≤ 30 s, full ≤ 300 s on two cores, peak memory < 2 GiB, every check passing.
The peak memory is that of the main process; the draws run in worker processes of their own
(``--workers``, two on two cores), which each hold one draw at a time.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cstheory.report import Check

from . import _timing

#: the longest a reproduce run may take before it is stopped (seconds)
TIMEOUT = 1800
TARGETS = {"quick": 30.0, "full": 300.0}
MEMORY_LIMIT = 2 * 1024**3
ROOT = Path(__file__).resolve().parents[1]

#: the child: run the command line, then report its own peak resident memory on stderr — VmHWM of
#: /proc/self/status where there is one (ru_maxrss would include the benchmark process it was forked from)
_CHILD = """
import re, resource, sys
from cstheory.cli import main
rc = main(sys.argv[1:])
try:
    with open("/proc/self/status") as fh:
        kib = int(re.search(r"VmHWM:\\s+(\\d+)", fh.read()).group(1))
except (OSError, AttributeError):
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("peak_rss_kib", kib, file=sys.stderr)
sys.exit(rc)
"""


def run_reproduce(quick, threads=None):
    """Run reproduce once; return dict(wall, cpu (user + system seconds of the child), rc, peak_rss,
    passed, seconds={experiment: s}, error)."""
    env = dict(os.environ)
    if threads is not None:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "CSTHEORY_FFT_WORKERS"):
            env[var] = str(threads)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-c", _CHILD, "reproduce", *(["--quick"] if quick else []), "--out", out]
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT, env=env)
        except subprocess.TimeoutExpired:
            return {"wall": time.perf_counter() - t0, "rc": None, "error": f"stopped after {TIMEOUT} s"}
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        result = {"wall": wall, "cpu": cpu, "rc": proc.returncode, "peak_rss": None, "passed": False,
                  "seconds": {}, "error": None}
        for line in proc.stderr.splitlines():
            if line.startswith("peak_rss_kib"):
                result["peak_rss"] = int(line.split()[1]) * 1024
        report = Path(out) / "report.json"
        if report.exists():
            data = json.loads(report.read_text())
            result["passed"] = bool(data.get("passed"))
            result["seconds"] = {e["name"]: round(e["seconds"], 2) for e in data.get("experiments", [])}
        if proc.returncode != 0:
            result["error"] = (proc.stderr.strip().splitlines() or ["?"])[-1][:160]
        return result


def bench_reproduce(report, args):
    runs = [("quick", True)] + ([] if args.quick else [("full", False)])
    for label, quick in runs:
        res = run_reproduce(quick, threads=args.threads)
        name = f"cstheory reproduce{' --quick' if quick else ''}"
        text, met = _timing.target_text(("time", "≤", TARGETS[label]), res["wall"])
        note = "; ".join(f"{k} {v:.1f} s" for k, v in res.get("seconds", {}).items())
        if res.get("error"):
            note = f"exit {res['rc']}: {res['error']}" + (f"; {note}" if note else "")
        row = _timing.Row(name, "all experiments", "", "wall time", res["wall"], res["wall"], res.get("cpu"), 1, 1,
                          target=text, met=met, peak_bytes=res.get("peak_rss"), note=note)
        report.rows.append(row)
        report.checks.append(Check(f"{name}: every check of the report passes (1 = yes)",
                                   1.0 if res.get("passed") else 0.0, 1.0, relation=">="))
        if res.get("peak_rss") is not None:
            report.checks.append(Check(f"{name}: peak resident memory (GiB)", res["peak_rss"] / 1024**3,
                                       MEMORY_LIMIT / 1024**3))
