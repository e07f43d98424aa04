"""Timing helpers of the benchmarks: interleaved repeats and medians, threads, peak memory, and the
machine's measured rates (memory bandwidth, FFT and GEMM throughput) that give each benchmark a floor.

Nothing here is a test: no timing is ever asserted in the test suite.  ``run.py`` times each
implementation in its own child process (:func:`thread_env` fixes the child's threads before it imports
anything), with :func:`compare` on that one implementation: warm-up, a calibrated number of calls per
repeat, and the median over the repeats.  Wall-clock and process CPU time are both recorded; the
ratios use wall-clock medians.

The floor of a step is the time the machine could not beat for the work it must do:

    floor = max(bytes moved / bandwidth,  GEMM flops / GEMM rate + FFT flops / FFT rate),

with the bytes and flops counted per benchmark (the arrays a step must read and write at least once,
the matrix products and FFTs it must compute), and the rates measured here with the benchmark's
threads (:func:`machine_rates`: with one thread by process CPU time, so a loaded machine does not
lower them).  ``ours ÷ floor`` says how far an implementation is from that.
"""
from __future__ import annotations

import math
import os
import platform
import re
import resource
import statistics
import time
import tracemalloc
from dataclasses import dataclass, field

import numpy as np

from cstheory._backend import usable_cpus

#: threads for PyTorch, scipy.fft (ours), BLAS and XLA; set by :func:`set_threads`, or by ``run.py`` for
#: a child process through ``CSTHEORY_BENCH_THREADS`` (unset: the libraries' own default, one per CPU this process may use)
THREADS = int(os.environ.get("CSTHEORY_BENCH_THREADS", 0)) or usable_cpus()
#: the environment variables that fix a child's thread count before any library is imported
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "CSTHEORY_FFT_WORKERS",
               "CSTHEORY_BENCH_THREADS")


def thread_env(threads, base=None):
    """The environment of a child process that computes with ``threads`` threads: every thread-count
    variable set (and XLA's Eigen pool off for one thread); ``"default"`` removes them all, so each
    library picks its own count (reported by the child)."""
    env = dict(os.environ if base is None else base)
    for var in THREAD_VARS:
        env.pop(var, None)
    flags = [f for f in env.get("XLA_FLAGS", "").split() if "multi_thread_eigen" not in f
             and "intra_op_parallelism" not in f]
    if threads != "default":
        for var in THREAD_VARS:
            env[var] = str(int(threads))
        if int(threads) == 1:
            flags += ["--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1"]
    if flags:
        env["XLA_FLAGS"] = " ".join(flags)
    else:
        env.pop("XLA_FLAGS", None)
    return env


# ---------------------------------------------------------------------------
# threads
# ---------------------------------------------------------------------------
_LIMITS = None


def thread_cpus(threads, allowed=None):
    """The CPUs that a child computing with ``threads`` threads may run on: the last ``threads`` of
    ``allowed`` (by default the CPUs this process may run on), or None — no restriction — for
    "default" or as many threads as CPUs.

    A thread-count variable does not bound every pool: XLA's CPU client sizes its pool from the CPUs
    the process may run on, and with ``--xla_cpu_multi_thread_eigen=false`` a "one-thread" JAX step
    still kept two cores busy (64² "fixed" float64: 6.4 ms wall, 11.1 ms CPU per step).  ``run.py``
    restricts every implementation's child to these CPUs (:func:`os.sched_setaffinity`), so a
    one-thread row is one core for every side."""
    if threads == "default" or not hasattr(os, "sched_getaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0) if allowed is None else allowed)
    n = int(threads)
    if n < 1:
        raise ValueError(f"threads must be a positive number or 'default', got {threads!r}")
    return None if n >= len(allowed) else set(allowed[-n:])


def set_threads(n):
    """Use ``n`` threads everywhere we can: our scipy.fft workers, BLAS (threadpoolctl), PyTorch
    intra-op (when the peers module loads it) and, for n = 1, XLA (flags read when JAX is imported)."""
    global THREADS, _LIMITS
    THREADS = int(n)
    from cstheory import _backend
    _backend.FFT_WORKERS = THREADS
    if THREADS == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1").strip()
    try:
        from threadpoolctl import threadpool_limits
        _LIMITS = threadpool_limits(limits=THREADS)
    except ImportError:
        pass
    return THREADS


# ---------------------------------------------------------------------------
# timing: calibrated inner loops, repeats interleaved across implementations
# ---------------------------------------------------------------------------
@dataclass
class Timing:
    """Per-call seconds of one implementation: wall-clock median/min and process-CPU median."""
    median: float
    min: float
    repeats: int
    number: int
    times: list
    cpu_median: float | None = None

    def scaled(self, factor):
        """The same timing for 1/factor of the work per call (e.g. a chunk of ``factor`` steps)."""
        return Timing(self.median / factor, self.min / factor, self.repeats, self.number * factor,
                      [t / factor for t in self.times],
                      None if self.cpu_median is None else self.cpu_median / factor)


class Parts(tuple):
    """Pieces of one step, ``((fn, sync), …)``, each timed alone (all of its repeats before the next
    piece's) and the step's time their sum (:func:`sum_timings`): what the step would cost if its
    pieces did not slow each other down."""


def sum_timings(timings):
    """One :class:`Timing` for a step made of the pieces timed in ``timings`` (medians, minima, CPU
    medians and the repeats' times added; the repeats are paired in order)."""
    cpu = [t.cpu_median for t in timings]
    return Timing(sum(t.median for t in timings), sum(t.min for t in timings), min(t.repeats for t in timings),
                  min(t.number for t in timings), [sum(ts) for ts in zip(*(t.times for t in timings))],
                  None if None in cpu else sum(cpu))


def _once(fn, sync, number):
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(number):
        fn()
    if sync is not None:
        sync()
    return (time.perf_counter() - w0) / number, (time.process_time() - c0) / number


def compare(impls, repeats=7, min_time=0.2, warmup=2):
    """Time each ``impls[name] = (fn, sync)``; return name → :class:`Timing`.

    Each implementation is warmed up (JIT compilation, FFT plans, caches), then the number of
    calls per repeat is raised until a repeat lasts ``min_time`` seconds; the ``repeats`` repeats
    are interleaved across the implementations (``run.py`` passes one implementation per process).
    ``sync`` (or None) waits for asynchronous work.
    """
    numbers = {}
    for name, (fn, sync) in impls.items():
        for _ in range(warmup):
            fn()
        if sync is not None:
            sync()
        number = 1
        while True:
            dt = _once(fn, sync, number)[0] * number
            if dt >= min_time or number >= 1 << 20:
                break
            number = max(2 * number, int(math.ceil(number * 1.2 * min_time / max(dt, 1e-9))))
        numbers[name] = number
    wall = {name: [] for name in impls}
    cpu = {name: [] for name in impls}
    for _ in range(repeats):
        for name, (fn, sync) in impls.items():
            w, c = _once(fn, sync, numbers[name])
            wall[name].append(w)
            cpu[name].append(c)
    return {name: Timing(statistics.median(wall[name]), min(wall[name]), repeats, numbers[name], wall[name],
                         statistics.median(cpu[name])) for name in impls}


# ---------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------
def peak_traced_bytes(fn, calls=2):
    """Peak bytes allocated through Python's allocator hooks while ``fn`` runs ``calls`` times
    (tracemalloc; NumPy registers its array buffers there, PyTorch and XLA do not)."""
    fn()                                  # warm caches so that one-time setup is not counted
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(calls):
            fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def peak_rss_bytes(children=False):
    """The peak resident set size of this process (or of its finished children), in bytes."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    kib = resource.getrusage(who).ru_maxrss
    return kib * (1 if platform.system() == "Darwin" else 1024)


def fmt_bytes(b):
    if b is None:
        return "—"
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if b >= size:
            v = b / size
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"
    return f"{int(b)} B"


def fmt_time(s):
    if s is None:
        return "—"
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


# ---------------------------------------------------------------------------
# the machine's rates and the floor of a step
# ---------------------------------------------------------------------------
@dataclass
class Rates:
    """Memory bandwidth (bytes/s, read + write of a copy larger than the caches), GEMM flop rates
    (float64/float32) and real-FFT flop rates (5/2 · n log₂ n per FFT) with ``threads`` threads."""
    threads: int
    bandwidth: float
    gemm: dict = field(default_factory=dict)
    fft: dict = field(default_factory=dict)


_RATES = {}


def _best_rate(fn, work, seconds=0.3, clock=time.perf_counter):
    fn()
    best, t_end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < t_end or best == 0.0:
        t0 = clock()
        fn()
        best = max(best, work / max(clock() - t0, 1e-12))
    return best


def machine_rates(threads=None):
    """Measure (once per process and thread count) the memory bandwidth and the GEMM and FFT rates.

    Best of repeated runs over one second each: the rate the machine reaches, i.e. a floor on the time,
    not a typical time.  With one thread each run is timed by the process's CPU time, so that on a
    loaded machine the time spent waiting for a core does not lower the rates (and raise the floors);
    with more threads, by the wall clock."""
    threads = THREADS if threads is None else int(threads)
    if threads in _RATES:
        return _RATES[threads]
    import scipy.fft
    try:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(limits=threads)
    except ImportError:
        limit = None
    try:
        clock = time.process_time if threads == 1 else time.perf_counter
        big = np.ones(64 * 1024**2 // 8)                      # 64 MiB: far beyond the caches
        dst = np.empty_like(big)
        bandwidth = _best_rate(lambda: np.copyto(dst, big), 2 * big.nbytes, 1.0, clock)
        gemm, fft = {}, {}
        for dtype in ("float64", "float32"):
            a = np.ones((768, 768), dtype=dtype)
            gemm[dtype] = _best_rate(lambda: a @ a, 2 * 768**3, 1.0, clock)
            x = np.ones((256, 1024), dtype=dtype)
            fft[dtype] = _best_rate(lambda: scipy.fft.rfft(x, axis=-1, workers=threads), 256 * fft_flops(1024),
                                    1.0, clock)
    finally:
        if limit is not None:
            limit.unregister()
    _RATES[threads] = Rates(threads, bandwidth, gemm, fft)
    return _RATES[threads]


def fft_flops(n):
    """The conventional flop count of one real FFT of length n: (5/2) n log₂ n."""
    return 2.5 * n * math.log2(max(n, 2))


@dataclass
class Work:
    """What one step must do at least: bytes moved through memory, GEMM flops and FFT flops."""
    bytes: float = 0.0
    gemm_flops: float = 0.0
    fft_flops: float = 0.0
    what: str = ""

    def floor(self, dtype, rates=None):
        """max(bytes / bandwidth, GEMM flops / GEMM rate + FFT flops / FFT rate) on this machine."""
        rates = rates or machine_rates()
        compute = self.gemm_flops / rates.gemm[dtype] + self.fft_flops / rates.fft[dtype]
        return max(self.bytes / rates.bandwidth, compute)

    def describe(self):
        return (f"{fmt_bytes(self.bytes)} moved, {self.gemm_flops / 1e6:.3g} MFlop GEMM, "
                f"{self.fft_flops / 1e6:.3g} MFlop FFT" + (f" ({self.what})" if self.what else ""))


# ---------------------------------------------------------------------------
# results: rows of comparisons, correctness checks
# ---------------------------------------------------------------------------
@dataclass
class Row:
    """One implementation's timing in one comparison, with its ratio to ours and its target."""
    bench: str
    size: str
    dtype: str
    impl: str
    median_s: float | None = None
    min_s: float | None = None
    cpu_s: float | None = None
    repeats: int = 0
    number: int = 0                    # calls per repeat
    ours_over: float | None = None     # median(ours) / median(this); < 1 means ours is faster
    ours_over_cpu: float | None = None  # the same ratio of process CPU times (robust to load, one thread)
    target: str = ""
    met: bool | None = None            # whether the target (if any) was met
    floor_s: float | None = None       # ours only: the machine's floor for this step
    over_floor: float | None = None    # ours only: median(ours) / floor
    over_floor_cpu: float | None = None  # ours only: CPU median / floor (a loaded machine inflates the wall time)
    floor_target: str = ""
    floor_met: bool | None = None
    peak_bytes: int | None = None      # ours only: peak traced memory of one step (tracemalloc)
    work: str = ""                     # ours only: what the floor counts
    note: str = ""
    threads: int | None = None         # the threads this implementation computed with (its child reports it)
    setting: str = ""                  # the thread setting of the run: "1", or "default" (the libraries' own)
    loadavg_1m: float | None = None    # the machine's 1-minute load average when this row's timing ended
    round_medians_s: list | None = None  # with --rounds: this implementation's median in each round, in order
    round_ratios: list | None = None   # ours ÷ this in each round both ran (the two timed in the same round)
    met_rounds: int | None = None      # rounds whose ratio meets the target
    floor_met_rounds: int | None = None  # ours only: rounds whose time meets the floor target


def _meets(spec, value):
    _, op, bound = spec
    return value <= bound if op == "≤" else value >= bound


def target_text(spec, value):
    """``spec = (what, op, bound)`` with what ∈ {"ratio", "time"} → (text, met)."""
    what, op, bound = spec
    met = None if value is None else _meets(spec, value)
    text = f"{op} {bound:g}" if what == "ratio" else f"{op} {fmt_time(bound)}"
    return text + ("" if met is None else (" ✓" if met else " ✗")), met


def paired_ratios(base_rounds, rounds):
    """ours ÷ this, round by round: the two medians of each round both ran (``None`` marks a round that
    failed); ``None`` unless at least two rounds pair."""
    if not base_rounds or not rounds or len(base_rounds) != len(rounds):
        return None
    ratios = [o / m for o, m in zip(base_rounds, rounds) if o is not None and m is not None]
    return ratios if len(ratios) >= 2 else None


_RATIO_TARGET = re.compile(r"^(≤|≥) ([0-9.]+(?:e[-+]?[0-9]+)?)(?: [✓✗])?$")


def rederive(row):
    """A saved row (a dict of :class:`Row`'s fields) with its ratio and verdict derived from its rounds, as
    :meth:`Report.add_group` derives them now (for JSON files written before; rows without rounds stay)."""
    ratios = row.get("round_ratios")
    if not ratios or len(ratios) < 2 or row.get("ours_over") is None:
        return row
    row = dict(row, ours_over=statistics.median(ratios))
    match = _RATIO_TARGET.match(row.get("target") or "")
    if match:
        spec = ("ratio", match.group(1), float(match.group(2)))
        row["target"], row["met"] = target_text(spec, row["ours_over"])
        row["met_rounds"] = sum(_meets(spec, r) for r in ratios)
    return row


def rounds_text(met_rounds, ratios):
    """", ✓ in 2 of 5 rounds" when the rounds' verdicts differ (the verdict is within the machine's noise),
    else ""; ``ratios`` (or the round medians) has one entry per round, ``None`` for a failed one."""
    ran = len([r for r in ratios or [] if r is not None])
    if met_rounds is None or not ran or met_rounds in (0, ran):
        return ""
    return f", ✓ in {met_rounds} of {ran} rounds"


@dataclass
class Report:
    rows: list = field(default_factory=list)
    checks: list = field(default_factory=list)

    def add_group(self, bench, size, dtype, timings, ours="ours", targets=None, notes=None, work=None, peak=None,
                  rates=None, threads=None, setting="", loads=None, rounds=None):
        """Rows of one comparison; ``timings`` maps impl → :class:`Timing` (or a skip string).

        ``targets`` maps an implementation to ``(what, op, bound)`` on ours ÷ it (what = "ratio") or
        on its own time (what = "time"); the key ``"floor"`` puts a bound on ours ÷ floor, where the
        floor comes from ``work`` (:class:`Work`) and ``rates`` (default: measured in this process).
        ``threads`` and ``loads`` map an implementation to its thread count and the load average at
        the end of its timing; ``setting`` is the run's thread setting.  ``rounds`` maps an
        implementation to its median in each round (``--rounds``, in round order, ``None`` for a round
        that failed): ours and a peer timed in the same round give that round's ratio, the row's ratio
        and verdict are then the median of those ratios, and the rows count the rounds that meet each
        target (a verdict that differs between rounds is within the machine's noise)."""
        targets = dict(targets or {})
        notes = notes or {}
        threads = threads or {}
        loads = loads or {}
        rounds = rounds or {}
        base = timings.get(ours)
        for impl, t in timings.items():
            if isinstance(t, str):
                self.rows.append(Row(bench, size, dtype, impl, note=t, setting=setting))
                continue
            ratio = base.median / t.median if isinstance(base, Timing) and impl != ours else None
            cpu_ratio = (base.cpu_median / t.cpu_median if ratio is not None and base.cpu_median and t.cpu_median
                         else None)
            mine = rounds.get(impl)
            ratios = paired_ratios(rounds.get(ours), mine) if ratio is not None else None
            if ratios:
                ratio = statistics.median(ratios)
            text, met = "", None
            if impl in targets:
                what = targets[impl][0]
                text, met = target_text(targets[impl], ratio if what == "ratio" else t.median)
            row = Row(bench, size, dtype, impl, t.median, t.min, t.cpu_median, t.repeats, t.number, ratio, cpu_ratio,
                      text, met, note=notes.get(impl, ""), threads=threads.get(impl), setting=setting,
                      loadavg_1m=loads.get(impl), round_medians_s=rounds.get(impl))
            if ratios:
                row.round_ratios = ratios
                if impl in targets and targets[impl][0] == "ratio":
                    row.met_rounds = sum(_meets(targets[impl], r) for r in ratios)
            if impl == ours:
                if work is not None:
                    row.floor_s = work.floor(dtype, rates)
                    row.over_floor = t.median / row.floor_s
                    row.over_floor_cpu = None if t.cpu_median is None else t.cpu_median / row.floor_s
                    row.work = work.describe()
                    if "floor" in targets:
                        row.floor_target, row.floor_met = target_text(targets["floor"], row.over_floor)
                        ran = [m for m in mine or [] if m is not None]
                        if len(ran) >= 2:
                            row.floor_met_rounds = sum(_meets(targets["floor"], m / row.floor_s) for m in ran)
                row.peak_bytes = peak
            self.rows.append(row)


def rel_diff(a, b):
    """max |a − b| / max |b| (host arrays)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def rel_fro(a, b):
    """‖a − b‖_F / ‖b‖_F (host arrays)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


#: tolerance of the iterate agreement between implementations
AGREE_TOL = {"float64": 1e-8, "float32": 1e-3}


def agreement_check(name, dtype, a, b, tol=None):
    """Iterates of two implementations as a :class:`cstheory.report.Check`: float64 by the max
    relative difference; float32 by the relative Frobenius distance, since in single precision an
    entry within rounding of 0 may fall on either side of a ReLU in the two codes and change one
    gradient entry."""
    from cstheory.report import Check
    tol = AGREE_TOL[dtype] if tol is None else tol
    if dtype == "float64":
        return Check(f"{name} (max rel. diff)", rel_diff(a, b), tol)
    return Check(f"{name} (rel. Frobenius)", rel_fro(a, b), tol, note=f"max rel. diff {rel_diff(a, b):.2g}")
