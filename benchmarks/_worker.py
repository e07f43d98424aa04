"""The child process of ``benchmarks/run.py``: times ONE implementation (or measures the machine's
rates, or runs the correctness checks) and writes the result as JSON.

    python -m benchmarks._worker SPEC.json OUT.json

``run.py`` starts one such process per (benchmark, size group, implementation, thread count), so that
no other library's thread pool (OpenBLAS threads spin-waiting after a call, PyTorch's OpenMP pool,
XLA's Eigen pool) lives in the process being timed.  The thread count is fixed by the environment
that ``run.py`` gives the child (``OMP_NUM_THREADS`` and friends, ``XLA_FLAGS``) before any library
is imported, and for a thread count below the CPU count by the CPUs the child may run on (XLA's pool
follows those, not the variables); "default" sets nothing, so each library picks its own count, which
the child reports.

Spec modes: ``{"mode": "time", "impl", "threads", "repeats", "min_time", "cases": [...]}``,
``{"mode": "rates", "threads"}``, ``{"mode": "checks", "cases": [...]}`` (all implementations in one
process: correctness only, nothing timed), ``{"mode": "legacy", "name", "args"}`` (a benchmark of
ours alone, e.g. ``mc``, run by its old in-process function).
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import asdict
from types import SimpleNamespace


def threads_report(impl):
    """What the process actually runs with: BLAS threads (threadpoolctl), PyTorch intra-op threads,
    XLA's flags, cstheory's FFT workers — the "threads" column of each row."""
    out = {}
    try:
        from threadpoolctl import threadpool_info
        out["blas"] = [{"api": i.get("internal_api"), "threads": i.get("num_threads"),
                        "arch": i.get("architecture"), "lib": os.path.basename(i.get("filepath", ""))}
                       for i in threadpool_info()]
    except ImportError:
        out["blas"] = "threadpoolctl not installed"
    if impl.startswith("ours"):
        from cstheory import _backend
        out["fft_workers"] = _backend.FFT_WORKERS
    if impl.startswith("pytorch") and "torch" in sys.modules:
        out["torch_threads"] = sys.modules["torch"].get_num_threads()
    if impl.startswith("jax"):
        out["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    if hasattr(os, "sched_getaffinity"):
        out["cpus"] = sorted(os.sched_getaffinity(0))
    return out


def thread_count(impl, report):
    """One number for the table: the threads the timed library computes with."""
    if impl.startswith("pytorch"):
        return report.get("torch_threads")
    if impl.startswith("jax"):                  # XLA's pool: a thread per CPU the process may run on
        from cstheory._backend import usable_cpus
        return len(report["cpus"]) if "cpus" in report else usable_cpus()
    blas = [b["threads"] for b in report.get("blas", []) if isinstance(b, dict)]
    return max(blas + [report.get("fft_workers", 1)]) if blas else report.get("fft_workers")


def run_time(spec):
    import numpy as np

    from benchmarks import _timing, bench_deep_decoder, bench_two_layer
    modules = {"deep": bench_deep_decoder, "twolayer": bench_two_layer}
    impl = spec["impl"]
    results = []
    for case in spec["cases"]:
        mod = modules[case["bench"]]
        try:
            fn, sync, scale, get = mod.stepper(case, impl)
            if isinstance(fn, _timing.Parts):      # pieces timed one after the other, the step their sum
                t = _timing.sum_timings([_timing.compare({impl: p}, spec["repeats"], spec["min_time"])[impl]
                                         for p in fn])
            else:
                t = _timing.compare({impl: (fn, sync)}, spec["repeats"], spec["min_time"])[impl]
            if scale != 1:
                t = t.scaled(scale)
            peak = _timing.peak_traced_bytes(fn) // scale if impl == "ours" else None
            finite = bool(np.all(np.isfinite(np.asarray(get(), dtype=np.float64))))
        except Exception as exc:           # one failed case is reported in its row, the others still run
            results.append({"case": case, "impl": impl, "error": f"{type(exc).__name__}: {exc}"[:200],
                            "traceback": traceback.format_exc()[-2000:]})
            continue
        results.append({"case": case, "impl": impl, "timing": asdict(t), "peak": peak, "finite": finite,
                        "loadavg_1m": round(os.getloadavg()[0], 2)})
        del fn, sync, get
    rep = threads_report(impl)
    return {"results": results, "threads_report": rep, "threads": thread_count(impl, rep)}


def run_rates(spec):
    from benchmarks import _timing
    from cstheory._backend import usable_cpus
    n = spec["threads"] if spec["threads"] != "default" else usable_cpus()
    r = _timing.machine_rates(n)
    return {"threads": n, "bandwidth": r.bandwidth, "gemm": r.gemm, "fft": r.fft,
            "threads_report": threads_report("ours")}


def run_checks(spec):
    from benchmarks import bench_deep_decoder, bench_two_layer
    from benchmarks._timing import Report
    report = Report()
    modules = {"deep": bench_deep_decoder, "twolayer": bench_two_layer}
    for case in spec["cases"]:
        modules[case["bench"]].agreement_checks(case, report)
    return {"checks": [asdict(c) | {"passed": c.passed} for c in report.checks]}


def run_legacy(spec):
    from benchmarks import _timing, bench_reproduce, bench_spectrum
    from benchmarks._timing import Report
    bench = {"mc": bench_spectrum.bench_mc, "sigma": bench_spectrum.bench_sigma,
             "reproduce": bench_reproduce.bench_reproduce}[spec["name"]]
    if spec["args"]["threads"] is not None:             # None: reproduce with the thread variables unset
        _timing.set_threads(spec["args"]["threads"])
    report = Report()
    bench(report, SimpleNamespace(**spec["args"]))
    return {"rows": [asdict(r) for r in report.rows],
            "checks": [asdict(c) | {"passed": c.passed} for c in report.checks],
            "threads_report": threads_report("ours")}


def main(argv):
    spec = json.loads(open(argv[0]).read())
    t0 = time.perf_counter()
    out = {"time": run_time, "rates": run_rates, "checks": run_checks, "legacy": run_legacy}[spec["mode"]](spec)
    out["seconds"] = time.perf_counter() - t0
    with open(argv[1], "w") as fh:
        json.dump(out, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
