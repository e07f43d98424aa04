#!/usr/bin/env python
"""Side-by-side benchmarks of cstheory against PyTorch autograd and JAX ``jit(grad)`` (issue 9).

One command prints markdown tables: the median of repeated runs of each
implementation and the ratio ``ours ÷ peer`` (below 1: ours is faster), all
measured in the same process with the repeats of the implementations
interleaved, so that a load change on a shared machine hits them alike.

    python benchmarks/run.py                 # everything, classroom sizes (several minutes)
    python benchmarks/run.py --quick         # smaller sweeps, fewer repeats (about a minute or two)
    python benchmarks/run.py --only twolayer,mc --repeats 9 --json bench.json
    python benchmarks/run.py --gpu           # CuPy vs PyTorch CUDA (needs a CUDA device)

Benchmarks (``--only`` names):

* ``twolayer`` — one gradient-descent step (eq. 9) of ½‖A G(C) − y‖² for the
  two-layer generator G(C) = ReLU(U C) v (eq. 3) at (n, k, m) = (1024, 512, 256),
  float64 and float32: ours (the step of :func:`cstheory.fit`, hand-derived
  gradient in the Fourier domain, and ``cst.fit`` itself per step) against the
  same maths in PyTorch autograd and in JAX ``jit(grad)``.  The iterates of the
  three after 10 steps from the same C₀ are compared (float64: < 1e-8 relative).
* ``sweep`` — the same step over n and k (m = n/4, float64): how the cost grows.
* ``mc`` — Monte-Carlo Σ(U) (:func:`cstheory.sigma_matrix_mc`) against a loop
  forming each explicit Jacobian (eq. 20) and J Jᵀ for the same draws (target ≥ 20×).
* ``sigma`` — :func:`cstheory.sigma_weights` (eq. 11) at n = 2^20 (target < 1 s),
  and at n = 2048 against the dense eigendecomposition of Σ(circulant(u)).
* ``deep`` — one GD step of the deep decoder (eq. 4) at the Fig.-1 quick size
  against PyTorch autograd (skipped while :class:`cstheory.deep_decoder.DeepDecoder`
  is missing).
* ``reproduce`` — wall time of ``cstheory reproduce --quick`` (and, without
  ``--quick``, of the full run), when the command line exists.

Nothing here is a test: no timing is ever asserted in the test suite.  The
correctness checks printed below the table (iterate agreement, Monte-Carlo
equality, eigenvalues = σ²) are asserted here, and a failed one makes the
script exit with status 1.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

import numpy as np

import cstheory as cst
from cstheory.fit import default_step_size
from cstheory.report import Check

BENCHMARKS = ("twolayer", "sweep", "mc", "sigma", "deep", "reproduce")
HEADLINE = (1024, 512, 256)          # (n, k, m) of the targets
GPU_SIZE = (16384, 2048, 4096)       # (n, k, m) of the GPU benchmark
AGREE_STEPS = 10                     # GD steps compared across implementations
AGREE_TOL = {"float64": 1e-8, "float32": 1e-3}


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
@dataclass
class Row:
    bench: str
    size: str
    dtype: str
    impl: str
    median_s: float | None = None
    min_s: float | None = None
    repeats: int = 0
    number: int = 0                  # calls per repeat
    ours_over: float | None = None   # median(ours) / median(this); < 1 means ours is faster
    target: str = ""
    met: bool | None = None          # whether the target (if any) was met
    note: str = ""


def _target(spec, ratio, median):
    """``spec = (what, op, value)`` with what ∈ {"ratio", "time"}: → (text, met)."""
    what, op, value = spec
    x = ratio if what == "ratio" else median
    met = None if x is None else (x <= value if op == "≤" else x >= value)
    text = (f"ours ÷ this {op} {value:g}" if what == "ratio" else f"{op} {_fmt_time(value)}")
    return text + ("" if met is None else (" ✓" if met else " ✗")), met


@dataclass
class Report:
    rows: list = field(default_factory=list)
    checks: list = field(default_factory=list)

    def add_group(self, bench, size, dtype, timings, ours="ours", targets=None, notes=None):
        """Rows of one comparison; ``timings`` maps impl → Timing (or a skip string)."""
        targets = targets or {}
        notes = notes or {}
        base = timings.get(ours)
        for impl, t in timings.items():
            if isinstance(t, str):
                self.rows.append(Row(bench, size, dtype, impl, note=t))
                continue
            ratio = None
            if isinstance(base, Timing) and impl != ours:
                ratio = base.median / t.median
            text, met = _target(targets[impl], ratio, t.median) if impl in targets else ("", None)
            self.rows.append(Row(bench, size, dtype, impl, t.median, t.min, t.repeats, t.number, ratio,
                                 text, met, notes.get(impl, "")))


# ---------------------------------------------------------------------------
# timing: calibrated inner loops, repeats interleaved across implementations
# ---------------------------------------------------------------------------
@dataclass
class Timing:
    median: float
    min: float
    repeats: int
    number: int
    times: list


def _once(fn, sync, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    if sync is not None:
        sync()
    return (time.perf_counter() - t0) / number


def compare(impls, repeats, min_time, warmup=2):
    """Time each ``impls[name] = (fn, sync)``; returns name → Timing.

    Each implementation is warmed up (JIT compilation, FFT plans), then the
    number of calls per repeat is raised until a repeat lasts ``min_time``;
    the ``repeats`` repeats are interleaved across the implementations."""
    numbers = {}
    for name, (fn, sync) in impls.items():
        for _ in range(warmup):
            fn()
        if sync is not None:
            sync()
        number = 1
        while True:
            dt = _once(fn, sync, number) * number
            if dt >= min_time or number >= 1 << 20:
                break
            number = max(2 * number, int(math.ceil(number * 1.2 * min_time / max(dt, 1e-9))))
        numbers[name] = number
    times = {name: [] for name in impls}
    for _ in range(repeats):
        for name, (fn, sync) in impls.items():
            times[name].append(_once(fn, sync, numbers[name]))
    return {name: Timing(statistics.median(ts), min(ts), repeats, numbers[name], ts) for name, ts in times.items()}


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


def agreement_check(name, dtype, a, b):
    """Iterates of two implementations: float64 by the max relative difference (< 1e-8);
    float32 by the relative Frobenius distance (< 1e-3), since in single precision an entry of
    U C within rounding of 0 may fall on either side of the ReLU in the two codes and change
    one gradient entry (seen with PyTorch's float32 FFT after ~5 steps)."""
    if dtype == "float64":
        return Check(f"{name} (max rel. diff)", rel_diff(a, b), AGREE_TOL[dtype])
    return Check(f"{name} (rel. Frobenius)", rel_fro(a, b), AGREE_TOL[dtype],
                 note=f"max rel. diff {rel_diff(a, b):.2g}")


# ---------------------------------------------------------------------------
# optional peers
# ---------------------------------------------------------------------------
_TORCH = None
_JAX = None
#: threads for PyTorch, scipy.fft (ours) and BLAS; set by --threads (default: all cores)
THREADS = os.cpu_count() or 1
_LIMITS = None


def set_threads(n):
    """Use ``n`` threads everywhere we can: PyTorch intra-op, our scipy.fft workers, BLAS
    (threadpoolctl) and, for n = 1, XLA (which reads its flags when JAX is first imported)."""
    global THREADS, _LIMITS
    THREADS = n
    from cstheory import _backend
    _backend.FFT_WORKERS = n
    if n == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
    try:
        from threadpoolctl import threadpool_limits
        _LIMITS = threadpool_limits(limits=n)
    except ImportError:
        pass


def get_torch():
    """PyTorch with as many intra-op threads as the machine has cores, or an error string."""
    global _TORCH
    if _TORCH is None:
        try:
            import torch
            torch.set_num_threads(THREADS)
            _TORCH = torch
        except ImportError as exc:
            _TORCH = f"torch not installed ({exc}); pip install -e '.[bench]'"
    return _TORCH


def get_jax():
    """JAX with float64 enabled (float32 arrays stay float32), or an error string."""
    global _JAX
    if _JAX is None:
        try:
            import jax
            jax.config.update("jax_enable_x64", True)
            import jax.numpy  # noqa: F401
            _JAX = jax
        except ImportError as exc:
            _JAX = f"jax not installed ({exc}); pip install -e '.[bench]'"
    return _JAX


def environment():
    """What the numbers ran on: versions, cores, load, BLAS and threads."""
    import scipy
    from cstheory import _backend
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "",
        "cpu_count": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "cstheory": cst.__version__,
        "cstheory_fft_workers": _backend.FFT_WORKERS,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    env["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    torch = get_torch()
    env["torch"] = torch.__version__ if not isinstance(torch, str) else None
    if not isinstance(torch, str):
        env["torch_threads"] = torch.get_num_threads()
    jax = get_jax()
    if not isinstance(jax, str):
        env["jax"] = jax.__version__
        env["jax_devices"] = [str(d) for d in jax.devices()]
    try:
        from threadpoolctl import threadpool_info
        env["threadpools"] = [
            {k: info.get(k) for k in ("user_api", "internal_api", "num_threads", "architecture", "version")}
            | {"library": os.path.basename(info.get("filepath", ""))}
            for info in threadpool_info()
        ]
    except ImportError:
        env["threadpools"] = "threadpoolctl not installed"
    return env


# ---------------------------------------------------------------------------
# the two-layer problem and its three implementations
# ---------------------------------------------------------------------------
@dataclass
class TwoLayerProblem:
    """Host (float64) data of one fit: kernel u, A, y, the start C₀ and the step size η."""
    n: int
    k: int
    m: int
    u: np.ndarray
    A: np.ndarray
    y: np.ndarray
    C0: np.ndarray
    eta: float

    @property
    def v(self):
        h = self.k // 2
        return np.concatenate([np.ones(h), -np.ones(h)]) / math.sqrt(self.k)


def two_layer_problem(n, k, m, seed=0):
    """A smooth signal measured by a Gaussian A, the Theorem-3 start and η = 1/(‖A‖²‖U‖²) of cst.fit."""
    u = cst.kernels.triangular(n, max(2, n // 64))
    if n <= 4096:
        x = cst.smooth_signal(n, max(2, n // 16), rng=seed)
    else:  # smooth_signal builds the n × n trigonometric basis: a random low-pass signal instead
        spec = np.zeros(n // 2 + 1, dtype=complex)
        g = np.random.default_rng(seed)
        spec[: n // 32] = g.standard_normal(n // 32) + 1j * g.standard_normal(n // 32)
        x = np.fft.irfft(spec, n)
        x /= np.linalg.norm(x)
    A = cst.gaussian_matrix(m, n, rng=seed + 1)
    y = A @ x
    gen = cst.TwoLayerGenerator(u, k)
    C0 = gen.init(rng=seed + 2, y=y)
    eta = default_step_size(gen, A, C0, rng=seed)
    return TwoLayerProblem(n, k, m, np.asarray(u), np.asarray(A), np.asarray(y), np.asarray(C0), eta)


class OursStepper:
    """The GD step of :func:`cstheory.fit` (eq. 9): the loop body of ``fit`` with the optimizer's state.

    Works for any generator: ``θ ← θ − η J_Gᵀ Aᵀ(A G − y)`` with the
    hand-derived VJP (the two-layer generator's GD iterate keeps C as the
    spectra of its columns: two FFTs per step)."""

    def __init__(self, gen, A, y, params, eta):
        self.gen, self.A, self.AT, self.y = gen, A, A.T, y
        self.xp = gen.xp
        self.state = cst.GradientDescent(eta).start(gen, A, params)

    def step(self):
        xp, gen = self.xp, self.gen
        x, vjp = self.state.forward_vjp()
        r = self.A @ xp.reshape(x, (-1,)) - self.y
        self.state.step(0, vjp(xp.reshape(self.AT @ r, gen.output_shape)))

    def params(self):
        return cst.to_numpy(self.state.params)


def ours_two_layer(p, dtype, xp=None, device=None):
    to = lambda a: cst._backend.asarray(a, xp=xp, dtype=dtype, device=device)  # noqa: E731
    gen = cst.TwoLayerGenerator(to(p.u), p.k)
    return gen, OursStepper(gen, to(p.A), to(p.y), to(p.C0), p.eta)


class TorchTwoLayer:
    """The same loss in PyTorch, differentiated by autograd: C stored channel-major (k, n), FFTs on the last axis."""

    def __init__(self, p, dtype, device="cpu"):
        torch = get_torch()
        self.torch = torch
        td = getattr(torch, dtype)
        t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=td, device=device)  # noqa: E731
        self.n, self.eta = p.n, p.eta
        self.uhat = torch.fft.rfft(t(p.u))
        self.v, self.A, self.y = t(p.v), t(p.A), t(p.y)
        self.Ct = t(p.C0.T).requires_grad_(True)

    def loss(self, Ct):
        torch = self.torch
        Z = torch.fft.irfft(self.uhat * torch.fft.rfft(Ct, dim=-1), n=self.n, dim=-1)   # row l: U c_l
        x = self.v @ torch.relu(Z)
        r = self.A @ x - self.y
        return 0.5 * torch.dot(r, r)

    def step(self):
        self.loss(self.Ct).backward()
        with self.torch.no_grad():
            self.Ct.sub_(self.Ct.grad, alpha=self.eta)
        self.Ct.grad = None

    def params(self):
        return self.Ct.detach().cpu().numpy().T


class JaxTwoLayer:
    """The same loss in JAX: the whole step ``C − η grad(loss)(C)`` under ``jax.jit``."""

    def __init__(self, p, dtype):
        jax = get_jax()
        jnp = jax.numpy
        dt = getattr(jnp, dtype)
        n = p.n

        def loss(Ct, uhat, v, A, y):
            Z = jnp.fft.irfft(uhat * jnp.fft.rfft(Ct, axis=-1), n=n, axis=-1)
            x = v @ jax.nn.relu(Z)
            r = A @ x - y
            return 0.5 * jnp.dot(r, r)

        eta = p.eta
        self._step = jax.jit(lambda Ct, *args: Ct - eta * jax.grad(loss)(Ct, *args))
        self.args = (jnp.fft.rfft(jnp.asarray(p.u, dtype=dt)), jnp.asarray(p.v, dtype=dt),
                     jnp.asarray(p.A, dtype=dt), jnp.asarray(p.y, dtype=dt))
        self.Ct = jnp.asarray(np.ascontiguousarray(p.C0.T), dtype=dt)

    def step(self):
        self.Ct = self._step(self.Ct, *self.args)

    def sync(self):
        self.Ct.block_until_ready()

    def params(self):
        return np.asarray(self.Ct).T


def two_layer_impls(p, dtype, with_fit=True):
    """name → (step fn, sync fn) and name → params getter for ours, ours via cst.fit, torch, jax.

    Also returns name → skip reason for peers that are not installed."""
    steps, getters, skipped = {}, {}, {}
    gen, ours = ours_two_layer(p, dtype)
    steps["ours"] = (ours.step, None)
    getters["ours"] = ours.params
    if with_fit:
        A, y = ours.A, ours.y
        C = gen.decode(ours.state)
        chunk = 100

        def fit_chunk():
            nonlocal C
            C = cst.fit(gen, A, y, params=C, steps=chunk, step_size=p.eta, record_every=chunk).params
        # timed per call of fit(…, steps=100): divided by 100 below
        steps["ours (cst.fit)"] = (fit_chunk, None)
    torch = get_torch()
    if isinstance(torch, str):
        skipped["pytorch autograd"] = torch
    else:
        tt = TorchTwoLayer(p, dtype)
        steps["pytorch autograd"] = (tt.step, None)
        getters["pytorch autograd"] = tt.params
    jax = get_jax()
    if isinstance(jax, str):
        skipped["jax jit(grad)"] = jax
    else:
        jj = JaxTwoLayer(p, dtype)
        steps["jax jit(grad)"] = (jj.step, jj.sync)
        getters["jax jit(grad)"] = jj.params
    return steps, getters, skipped


def agreement(p, dtype, report, label, steps=AGREE_STEPS):
    """Run ``steps`` GD steps from the same C₀ in every implementation; record max relative differences."""
    impls, getters, _ = two_layer_impls(p, dtype, with_fit=False)
    for fn, _ in impls.values():
        for _ in range(steps):
            fn()
    ref = getters["ours"]()
    # cst.fit itself must give the step function's iterates (the same operations)
    gen, ours = ours_two_layer(p, dtype)
    C0 = cst._backend.asarray(p.C0, dtype=dtype)
    C_fit = cst.fit(gen, ours.A, ours.y, params=C0, steps=steps, step_size=p.eta, record_every=steps).params
    report.checks.append(Check(f"{label} {dtype}: cst.fit vs the timed step function, C after {steps} steps "
                               "(max rel. diff)", rel_diff(cst.to_numpy(C_fit), ref), AGREE_TOL["float64"]))
    for name, get in getters.items():
        if name != "ours":
            report.checks.append(agreement_check(f"{label} {dtype}: ours vs {name}, C after {steps} steps",
                                                 dtype, ref, get()))


def bench_twolayer(report, args):
    n, k, m = HEADLINE
    p = two_layer_problem(n, k, m)
    for dtype in ("float64", "float32"):
        agreement(p, dtype, report, f"two-layer {n},{k},{m}")
        impls, _, skipped = two_layer_impls(p, dtype)
        t = compare(impls, args.repeats, args.min_time)
        if "ours (cst.fit)" in t:
            tf = t["ours (cst.fit)"]
            t["ours (cst.fit)"] = Timing(tf.median / 100, tf.min / 100, tf.repeats, tf.number * 100,
                                         [x / 100 for x in tf.times])
        t.update(skipped)
        targets = ({"pytorch autograd": ("ratio", "≤", 0.6), "jax jit(grad)": ("ratio", "≤", 1.0)}
                   if dtype == "float64" else {})
        report.add_group("two-layer GD step", f"n={n} k={k} m={m}", dtype, t, targets=targets,
                         notes={"ours (cst.fit)": "whole fit loop, per step"})


def bench_sweep(report, args):
    ns = (256, 1024) if args.quick else (256, 1024, 4096)
    ks = (64, 512)
    for n in ns:
        for k in ks:
            p = two_layer_problem(n, k, n // 4)
            impls, _, skipped = two_layer_impls(p, "float64", with_fit=False)
            t = compare(impls, args.repeats, args.min_time)
            t.update(skipped)
            report.add_group("two-layer sweep", f"n={n} k={k} m={n // 4}", "float64", t)


# ---------------------------------------------------------------------------
# Monte-Carlo Σ(U) vs explicit Jacobians
# ---------------------------------------------------------------------------
def sigma_mc_explicit(u, samples, channels, rng=0):
    """The average of J Jᵀ over ``samples`` draws, forming each explicit Jacobian (eq. 20).

    Draws C exactly as :func:`cstheory.sigma_matrix_mc` does (column after
    column from one generator), so the two estimates are the same number."""
    gen = np.random.default_rng(rng)
    tl = cst.TwoLayerGenerator(u, channels)
    n = u.shape[0]
    acc = np.zeros((n, n))
    for _ in range(samples):
        C = np.ascontiguousarray(gen.standard_normal((channels, n)).T)
        J = tl.jacobian(C)
        acc += J @ J.T
    return acc / samples


def bench_mc(report, args):
    n, channels, samples = (256, 16, 32) if args.quick else (256, 16, 64)
    u = cst.kernels.triangular(n, 8)
    U = cst.circulant_matrix(u)
    S_fast = cst.sigma_matrix_mc(U, samples, channels, rng=0)
    S_slow = sigma_mc_explicit(u, samples, channels, rng=0)
    report.checks.append(Check(f"Monte-Carlo Σ n={n}: sigma_matrix_mc vs explicit-Jacobian loop (same draws)",
                               rel_diff(S_fast, S_slow), 1e-10))
    impls = {
        "ours (sigma_matrix_mc)": (lambda: cst.sigma_matrix_mc(U, samples, channels, rng=0), None),
        "explicit Jacobian loop": (lambda: sigma_mc_explicit(u, samples, channels, rng=0), None),
    }
    t = compare(impls, args.repeats, args.min_time, warmup=0)   # the calibration call warms up
    report.add_group("Monte-Carlo Σ(U)", f"n={n} S={samples} k={channels}", "float64", t,
                     ours="ours (sigma_matrix_mc)", targets={"explicit Jacobian loop": ("ratio", "≤", 0.05)},
                     notes={"explicit Jacobian loop": "target ≥ 20× faster"})


# ---------------------------------------------------------------------------
# sigma_weights: closed form at n = 2^20, and against the dense eigendecomposition
# ---------------------------------------------------------------------------
def dense_sigma_eigenvalues(u):
    return np.linalg.eigvalsh(cst.sigma_matrix(cst.circulant_matrix(u)))


def bench_sigma(report, args):
    big = 2**20
    u_big = cst.kernels.triangular(big, 64)
    t = compare({"ours (sigma_weights)": (lambda: cst.sigma_weights(u_big), None)}, args.repeats, args.min_time)
    report.add_group("sigma_weights", f"n=2^20={big}", "float64", t, ours="ours (sigma_weights)",
                     targets={"ours (sigma_weights)": ("time", "≤", 1.0)})

    for n in ((1024,) if args.quick else (2048,)):
        u = cst.kernels.triangular(n, 16)
        eig = np.sort(dense_sigma_eigenvalues(u))
        sig2 = np.sort(np.asarray(cst.sigma_weights(u)) ** 2)
        report.checks.append(Check(f"σ² (closed form) vs eigvalsh(Σ(U)) at n={n}: max |diff| / max",
                                   float(np.max(np.abs(eig - sig2)) / np.max(eig)), 1e-10))
        impls = {
            "ours (sigma_weights)": (lambda: cst.sigma_weights(u), None),
            "dense Σ(U) + eigvalsh": (lambda: dense_sigma_eigenvalues(u), None),
        }
        t = compare(impls, min(3, args.repeats), args.min_time, warmup=0)
        report.add_group("sigma_weights", f"n={n}", "float64", t, ours="ours (sigma_weights)")


# ---------------------------------------------------------------------------
# the deep decoder (eq. 4) against PyTorch autograd
# ---------------------------------------------------------------------------
#: Fig.-1 quick configuration, used unless cstheory.experiments.fig1 says otherwise
DEEP_QUICK = {"shape": (32, 32), "channels": 32, "layers": 5}


def deep_config():
    cfg = dict(DEEP_QUICK)
    try:
        from cstheory.experiments import fig1
    except ImportError:
        return cfg, "Fig.-1 module missing: default quick size"
    quick = getattr(fig1, "QUICK", None)
    if isinstance(quick, dict):
        for key, alias in (("shape", "shape"), ("shape", "size"), ("channels", "channels"), ("layers", "layers")):
            if alias in quick:
                val = quick[alias]
                cfg[key] = (val, val) if key == "shape" and isinstance(val, int) else val
        return cfg, "size from cstheory.experiments.fig1.QUICK"
    return cfg, "fig1.QUICK not found: default quick size"


class TorchDeepDecoder:
    """The deep decoder of eq. (4) written the PyTorch way: F.interpolate (half-pixel linear /
    bilinear, align_corners=False), batch_norm in training mode on one image as the channel
    normalisation, 1×1 convolutions as matrix products; separate leaf tensors, plain SGD step."""

    def __init__(self, gen, theta0, A, y, eta, dtype):
        torch = get_torch()
        self.torch, self.gen, self.eta = torch, gen, eta
        td = getattr(torch, dtype)
        t = lambda a: torch.as_tensor(np.ascontiguousarray(cst.to_numpy(a)), dtype=td)  # noqa: E731
        pieces = gen.unflatten(theta0)
        self.C = [t(c).requires_grad_(True) for c in pieces["C"]]
        self.scale = [t(s).requires_grad_(True) for s in pieces["scale"]]
        self.shift = [t(s).requires_grad_(True) for s in pieces["shift"]]
        self.leaves = self.C + self.scale + self.shift
        self.input = t(gen.input)
        self.A, self.y = t(A), t(y)
        self.v = None if gen.v is None else t(gen.v)
        self.mode = "linear" if len(gen.spatial_shape) == 1 else "bilinear"

    def forward(self):
        torch, gen = self.torch, self.gen
        F = torch.nn.functional
        B = self.input                                       # (k, *n_0)
        for i in range(gen.layers):
            Y = torch.tensordot(self.C[i], B, dims=([0], [0]))    # C_iᵀ B (1×1 convolution)
            Z = F.interpolate(Y[None], size=gen.sizes[i + 1], mode=self.mode, align_corners=False)
            B = F.batch_norm(torch.relu(Z), None, None, self.scale[i], self.shift[i], training=True,
                             eps=gen.eps)[0]
        Zout = torch.tensordot(self.C[-1], B, dims=([0], [0]))
        if gen.output == "fixed":
            x = torch.tensordot(self.v, torch.relu(Zout), dims=([0], [0]))
        else:
            x = torch.sigmoid(Zout) if gen.sigmoid else Zout
        return x.reshape(-1)

    def step(self):
        r = self.A @ self.forward() - self.y
        (0.5 * self.torch.dot(r, r)).backward()
        with self.torch.no_grad():
            for p in self.leaves:
                p.sub_(p.grad, alpha=self.eta)
                p.grad = None

    def params(self):
        return {"C": [c.detach().numpy() for c in self.C], "scale": [s.detach().numpy() for s in self.scale],
                "shift": [s.detach().numpy() for s in self.shift]}


def deep_available():
    """(True, "") when DeepDecoder imports and its tests exist, else (False, reason)."""
    try:
        from cstheory.deep_decoder import DeepDecoder  # noqa: F401
    except ImportError as exc:
        return False, f"deep decoder not available ({exc})"
    here = os.path.dirname(os.path.abspath(__file__))
    if not os.path.exists(os.path.join(here, os.pardir, "tests", "test_deep_decoder.py")):
        return False, "deep decoder not available (tests/test_deep_decoder.py missing: not yet verified)"
    return True, ""


def deep_problem(cfg, dtype):
    from cstheory.deep_decoder import DeepDecoder
    gen = DeepDecoder(cfg["shape"], channels=cfg["channels"], layers=cfg["layers"], output="conv", sigmoid=True,
                      rng=0, dtype=dtype)
    n = gen.n
    m = n // 4
    x = np.asarray(cst.load_image("camera", size=tuple(cfg["shape"])), dtype=np.float64).reshape(-1)
    A = np.asarray(cst.gaussian_matrix(m, n, rng=1))
    y = A @ x
    theta0 = gen.init(rng=2)
    to = lambda a: cst._backend.asarray(a, dtype=dtype)  # noqa: E731
    eta = 0.5 * default_step_size(gen, to(A), theta0, rng=0)
    return gen, theta0, A, y, eta


def bench_deep(report, args):
    cfg, source = deep_config()
    size = f"{cfg['shape']} k={cfg['channels']} d={cfg['layers']}"
    ok, why = deep_available()
    if not ok:
        report.rows.append(Row("deep-decoder GD step", size, "float64", "ours", note=why))
        return
    torch = get_torch()
    for dtype in ("float64",):
        gen, theta0, A, y, eta = deep_problem(cfg, dtype)
        to = lambda a: cst._backend.asarray(a, dtype=dtype)  # noqa: E731
        ours = OursStepper(gen, to(A), to(y), theta0, eta)
        impls = {"ours": (ours.step, None)}
        t_skip = {}
        if isinstance(torch, str):
            t_skip["pytorch autograd"] = torch
        else:
            # agreement first, from the same θ₀
            agree_ours = OursStepper(gen, to(A), to(y), theta0, eta)
            tt = TorchDeepDecoder(gen, theta0, A, y, eta, dtype)
            for _ in range(AGREE_STEPS):
                agree_ours.step()
                tt.step()
            mine = gen.unflatten(to(agree_ours.params()))
            theirs = tt.params()
            diff = max(rel_diff(cst.to_numpy(a), b) for key in ("C", "scale", "shift")
                       for a, b in zip(mine[key], theirs[key]))
            report.checks.append(Check(f"deep decoder {size} {dtype}: ours vs pytorch autograd, θ after "
                                       f"{AGREE_STEPS} steps (max rel. diff)", diff, AGREE_TOL[dtype]))
            tt = TorchDeepDecoder(gen, theta0, A, y, eta, dtype)
            impls["pytorch autograd"] = (tt.step, None)
        t = compare(impls, args.repeats, args.min_time)
        t.update(t_skip)
        report.add_group("deep-decoder GD step", size, dtype, t, notes={"ours": source})


# ---------------------------------------------------------------------------
# the command line's reproduce
# ---------------------------------------------------------------------------
#: the longest a reproduce run may take before it is stopped (seconds)
REPRODUCE_TIMEOUT = 1800


def _reproduce_command():
    if importlib.util.find_spec("cstheory.cli") is None:
        return None
    exe = shutil.which("cstheory")
    if exe:
        return [exe]
    if importlib.util.find_spec("cstheory.__main__") is not None:
        return [sys.executable, "-m", "cstheory"]
    return [sys.executable, "-m", "cstheory.cli"]


def bench_reproduce(report, args):
    cmd = _reproduce_command()
    runs = [("reproduce --quick", ["--quick"], 60.0)]
    if not args.quick:
        runs.append(("reproduce (full)", [], 300.0))
    for label, extra, target in runs:
        if cmd is None:
            report.rows.append(Row("cstheory " + label, "", "", "wall time", note="not available (no cstheory.cli)"))
            continue
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(cmd + ["reproduce", *extra, "--out", out], capture_output=True, text=True,
                                      timeout=REPRODUCE_TIMEOUT)
                note = f"exit {proc.returncode}"
                if proc.returncode != 0:
                    note += ": " + (proc.stderr.strip().splitlines() or ["?"])[-1][:120]
            except subprocess.TimeoutExpired:
                note = f"stopped after {REPRODUCE_TIMEOUT} s (timeout)"
            wall = time.perf_counter() - t0
        text, met = _target(("time", "≤", target), None, wall)
        report.rows.append(Row("cstheory " + label, "", "", "wall time", wall, wall, 1, 1, None, text, met, note))


# ---------------------------------------------------------------------------
# GPU: CuPy vs PyTorch CUDA
# ---------------------------------------------------------------------------
def gpu_ready():
    """(True, "") when CuPy sees a CUDA device and PyTorch was built with CUDA, else (False, reason)."""
    if not cst._backend.cupy_available():
        return False, "CuPy with a CUDA device is not available (pip install -e '.[gpu]' on a CUDA machine)"
    torch = get_torch()
    if isinstance(torch, str):
        return False, torch
    if not torch.cuda.is_available():
        return False, f"PyTorch {torch.__version__} has no CUDA device (a CPU build?)"
    return True, ""


def bench_gpu(report, args, xp=None, device="cuda", size=GPU_SIZE, label="GPU"):
    """Ours on CuPy against PyTorch CUDA: float64 agreement at the headline size, then the
    float32 step at ``size``.  (``xp``/``device`` exist so that the code path can be
    exercised on the CPU with NumPy and torch "cpu" at small sizes.)"""
    torch = get_torch()
    if xp is None:
        import array_api_compat.cupy as xp
        import cupy
        ours_sync = cupy.cuda.Device().synchronize
        peer_sync = torch.cuda.synchronize
    else:
        ours_sync = peer_sync = None

    def sync():
        for s in (ours_sync, peer_sync):
            if s is not None:
                s()

    def run_pair(p, dtype, size_label, time_it):
        gen, ours = ours_two_layer(p, dtype, xp=xp)
        tt = TorchTwoLayer(p, dtype, device=device)
        for _ in range(AGREE_STEPS):        # agreement from the same C₀
            ours.step()
            tt.step()
        sync()
        report.checks.append(agreement_check(f"{label} {size_label} {dtype}: ours ({xp.__name__}) vs pytorch "
                                             f"({device}), C after {AGREE_STEPS} steps", dtype, ours.params(),
                                             tt.params()))
        if time_it:
            impls = {f"ours ({xp.__name__.split('.')[-1]})": (ours.step, ours_sync),
                     f"pytorch autograd ({device})": (tt.step, peer_sync)}
            t = compare(impls, args.repeats, args.min_time, warmup=3)
            peer = f"pytorch autograd ({device})"
            report.add_group(f"{label} two-layer GD step", size_label, dtype, t, ours=next(iter(impls)),
                             targets={peer: ("ratio", "≤", round(1 / 0.9, 3))},
                             notes={peer: "target: our throughput ≥ 0.9× PyTorch"})

    run_pair(two_layer_problem(*HEADLINE), "float64", "n={} k={} m={}".format(*HEADLINE), time_it=False)
    n, k, m = size
    run_pair(two_layer_problem(n, k, m), "float32", f"n={n} k={k} m={m}", time_it=True)


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------
def _fmt_time(s):
    if s is None:
        return "—"
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


def markdown(report, env):
    lines = []
    load = env.get("loadavg_1m")
    lines.append(f"Machine: {env.get('cpu', env['processor'] or env['machine'])}, {env['cpu_count']} cores "
                 f"(1-min load {load} at start); Python {env['python']}, NumPy {env['numpy']}, SciPy {env['scipy']}, "
                 f"PyTorch {env.get('torch') or '—'} ({env.get('torch_threads', '—')} threads), "
                 f"JAX {env.get('jax') or '—'}; scipy.fft workers {env['cstheory_fft_workers']}.")
    pools = env.get("threadpools")
    if isinstance(pools, list):
        desc = "; ".join(f"{p['internal_api']} {p.get('version') or ''} ({p['library']}, {p['num_threads']} threads"
                         f"{', ' + p['architecture'] if p.get('architecture') else ''})" for p in pools)
        lines.append(f"Thread pools: {desc}.")
    lines.append(f"OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}, OPENBLAS_L2_SIZE={env['OPENBLAS_L2_SIZE']}.")
    lines.append("")
    lines.append("| benchmark | size | dtype | implementation | median | min | ours ÷ this | target | note |")
    lines.append("|---|---|---|---|---:|---:|---:|---|---|")
    for r in report.rows:
        ratio = "" if r.ours_over is None else f"{r.ours_over:.3g}"
        lines.append(f"| {r.bench} | {r.size} | {r.dtype} | {r.impl} | {_fmt_time(r.median_s)} | "
                     f"{_fmt_time(r.min_s)} | {ratio} | {r.target} | {r.note} |")
    if report.checks:
        lines.append("")
        lines.append("| check | value | tolerance | result | note |")
        lines.append("|---|---:|---:|---|---|")
        for c in report.checks:
            lines.append(f"| {c.name} | {c.value:.3g} | {c.relation} {c.tolerance:.3g} | {'PASS' if c.passed else 'FAIL'} "
                         f"| {c.note} |")
    return "\n".join(lines)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sweeps and fewer repeats")
    ap.add_argument("--only", default=None,
                    help=f"comma-separated subset of {','.join(BENCHMARKS)} (default: all)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats per implementation (default 7, quick 5)")
    ap.add_argument("--min-time", type=float, default=None,
                    help="seconds each repeat lasts at least (calls are batched; default 0.2, quick 0.05)")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for PyTorch, scipy.fft, BLAS and (1 only) XLA (default: all cores)")
    ap.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--gpu", action="store_true",
                    help=f"CuPy vs PyTorch CUDA, two-layer step at (n, k, m) = {GPU_SIZE}, float32")
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 5 if args.quick else 7
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    if args.threads is not None and args.threads < 1:
        ap.error("--threads must be at least 1")
    if args.min_time is None:
        args.min_time = 0.05 if args.quick else 0.2
    if args.only is None:
        args.only = list(BENCHMARKS)
    else:
        args.only = [s.strip() for s in args.only.split(",") if s.strip()]
        bad = [s for s in args.only if s not in BENCHMARKS]
        if bad:
            ap.error(f"--only: unknown benchmark(s) {bad}; choose from {','.join(BENCHMARKS)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        set_threads(args.threads)
    env = environment()
    report = Report()
    if args.gpu:
        ok, why = gpu_ready()
        if not ok:
            print(f"--gpu refused: {why}", file=sys.stderr)
            return 2
        import cupy
        env["gpu"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
        env["cupy"] = cupy.__version__
        bench_gpu(report, args)
    else:
        table = {"twolayer": bench_twolayer, "sweep": bench_sweep, "mc": bench_mc, "sigma": bench_sigma,
                 "deep": bench_deep, "reproduce": bench_reproduce}
        for name in BENCHMARKS:
            if name in args.only:
                t0 = time.perf_counter()
                table[name](report, args)
                print(f"[{name}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    text = markdown(report, env)
    if args.gpu:
        text = f"GPU: {env['gpu']} (CuPy {env['cupy']})\n" + text
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"env": env, "args": {k: v for k, v in vars(args).items()},
                       "rows": [asdict(r) for r in report.rows],
                       "checks": [asdict(c) | {"passed": c.passed} for c in report.checks]}, fh, indent=2)
    failed = [c for c in report.checks if not c.passed]
    if failed:
        print(f"\n{len(failed)} check(s) FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
