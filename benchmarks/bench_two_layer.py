"""Benchmark: one gradient-descent step (eq. 9) of ½‖A G(C) − y‖² for the two-layer generator
G(C) = ReLU(U C) v of eq. (3), ours against PyTorch autograd and JAX ``jit(grad)``.

Each implementation is timed in its own process by ``run.py`` (:func:`stepper`); the agreement of
their iterates is checked in another (:func:`agreement_checks`).

* ``twolayer`` — the headline size (n, k, m) = (1024, 512, 256), float64 and float32, and the
  per-call-overhead size (256, 64, 64): ours (the step of :func:`cstheory.fit`, the hand-derived
  gradient in the Fourier domain), ours through ``cst.fit`` itself, PyTorch and JAX.  The iterates of
  all of them after 10 steps from the same C₀ are compared (float64: < 1e-8 relative).
* ``sweep`` — the same step over n and k (m = n/4, float64): how the cost grows.
* ``gpu`` — CuPy against PyTorch CUDA (``run.py --gpu``).

Targets (issue 19): ours ≤ 0.5 × PyTorch and ≤ 0.8 × JAX at (1024, 512, 256) float64; ours ≤ 1.5 × JAX
at (256, 64, 64).  Floor: the state (k spectra of n/2 + 1 complex numbers) read and written once and
A read twice per step, and two real FFTs per channel (:class:`_timing.Work`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import cstheory as cst
from cstheory.optim import default_step_size
from cstheory.report import Check

from . import _timing, peers
from ._timing import agreement_check, rel_diff

HEADLINE = (1024, 512, 256)          # (n, k, m) of the targets
SMALL = (256, 64, 64)                # per-call overhead
GPU_SIZE = (16384, 2048, 4096)       # (n, k, m) of the GPU benchmark
AGREE_STEPS = 10                     # GD steps compared across implementations


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


def two_layer_work(n, k, m, dtype):
    """The floor's work of one GD step: state read + written, A read twice, 2k real FFTs, the GEMVs."""
    b = np.dtype(dtype).itemsize
    state = k * (n // 2 + 1) * 2 * b
    return _timing.Work(bytes=2 * state + 2 * m * n * b, gemm_flops=4 * m * n + 2 * k * n,
                        fft_flops=2 * k * _timing.fft_flops(n), what="state in and out, A twice, 2k FFTs")


class OursStepper:
    """The GD step of :func:`cstheory.fit` (eq. 9): the loop body of ``fit`` with the optimizer's state.

    Works for any generator and optimizer: ``x, vjp = forward_vjp(); r = A x − y; step(vjp(Aᵀ r))``
    (the two-layer generator's GD iterate keeps C as the spectra of its columns).  ``A = None`` means
    the identity (the deep-decoder benchmarks, A = I)."""

    def __init__(self, gen, A, y, params, optimizer):
        self.gen, self.A, self.y = gen, A, y
        self.AT = None if A is None else A.T
        self.xp = gen.xp
        start_A = cst.operators.Identity(gen.n, xp=gen.xp, dtype=gen.dtype) if A is None else A
        self.state = optimizer.start(gen, start_A, params)    # the step size is given: A is only checked
        self.t = 0

    def step(self):
        xp, gen = self.xp, self.gen
        x, vjp = self.state.forward_vjp()
        x = xp.reshape(x, (-1,))
        r = (x if self.A is None else self.A @ x) - self.y
        g = r if self.AT is None else self.AT @ r
        self.state.step(self.t, vjp(xp.reshape(g, gen.output_shape)))
        self.t += 1

    def params(self):
        return cst.to_numpy(self.state.params)


def ours_two_layer(p, dtype, xp=None, device=None):
    to = lambda a: cst._backend.asarray(a, xp=xp, dtype=dtype, device=device)  # noqa: E731
    gen = cst.TwoLayerGenerator(to(p.u), p.k)
    return gen, OursStepper(gen, to(p.A), to(p.y), to(p.C0), cst.GradientDescent(p.eta))


def two_layer_impls(p, dtype, with_fit=True):
    """name → (step fn, sync fn) and name → params getter for ours, ours via cst.fit, torch, jax;
    and name → skip reason for the peers that are not installed."""
    steps, getters, skipped = {}, {}, {}
    gen, ours = ours_two_layer(p, dtype)
    steps["ours"] = (ours.step, None)
    getters["ours"] = ours.params
    if with_fit:
        A, y = ours.A, ours.y
        C = cst._backend.asarray(p.C0, dtype=dtype)
        chunk = 100

        def fit_chunk():
            nonlocal C
            C = cst.fit(gen, A, y, params=C, steps=chunk, step_size=p.eta, record_every=chunk).params
        steps["ours (cst.fit)"] = (fit_chunk, None)          # per call of fit(…, steps=100): ÷ 100 below
    torch = peers.get_torch()
    if isinstance(torch, str):
        skipped["pytorch autograd"] = torch
    else:
        tt = peers.TorchTwoLayer(p, dtype)
        steps["pytorch autograd"] = (tt.step, None)
        getters["pytorch autograd"] = tt.params
    jax = peers.get_jax()
    if isinstance(jax, str):
        skipped["jax jit(grad)"] = jax
    else:
        jj = peers.JaxTwoLayer(p, dtype)
        steps["jax jit(grad)"] = (jj.step, jj.sync)
        getters["jax jit(grad)"] = jj.params
    return steps, getters, skipped


def agreement(p, dtype, report, label, steps=AGREE_STEPS):
    """Run ``steps`` GD steps from the same C₀ in every implementation; record the differences."""
    impls, getters, _ = two_layer_impls(p, dtype, with_fit=False)
    for fn, _ in impls.values():
        for _ in range(steps):
            fn()
    ref = getters["ours"]()
    gen, ours = ours_two_layer(p, dtype)        # cst.fit itself gives the step function's iterates
    C0 = cst._backend.asarray(p.C0, dtype=dtype)
    C_fit = cst.fit(gen, ours.A, ours.y, params=C0, steps=steps, step_size=p.eta, record_every=steps).params
    report.checks.append(Check(f"{label} {dtype}: cst.fit vs the timed step function, C after {steps} steps "
                               "(max rel. diff)", rel_diff(cst.to_numpy(C_fit), ref), 1e-8))
    for name, get in getters.items():
        if name != "ours":
            report.checks.append(agreement_check(f"{label} {dtype}: ours vs {name}, C after {steps} steps",
                                                 dtype, ref, get()))


IMPLS = ("ours", "ours (cst.fit)", "pytorch autograd", "jax jit(grad)")
#: steps per call of the "ours (cst.fit)" row (its time is divided by this)
FIT_CHUNK = 20


def cases(quick=False, sweep=False):
    """The rows' cases: the issue's targets ((1024, 512, 256) float64 and float32, (256, 64, 64) float64);
    with ``sweep``, the float64 step over n and k (m = n/4) instead."""
    if sweep:
        ns = (256, 1024) if quick else (256, 1024, 4096)
        return [{"bench": "twolayer", "n": n, "k": k, "m": n // 4, "dtype": "float64", "sweep": True}
                for n in ns for k in (64, 512)]
    return [{"bench": "twolayer", "n": n, "k": k, "m": m, "dtype": dt, "sweep": False}
            for (n, k, m), dt in ((HEADLINE, "float64"), (HEADLINE, "float32"), (SMALL, "float64"))]


def label(case):
    return ("two-layer sweep" if case["sweep"] else "two-layer GD step"), f"n={case['n']} k={case['k']} m={case['m']}"


def work(case):
    return two_layer_work(case["n"], case["k"], case["m"], case["dtype"])


def targets(case):
    if case["sweep"] or case["dtype"] != "float64":
        return {}
    if (case["n"], case["k"], case["m"]) == HEADLINE:
        return {"pytorch autograd": ("ratio", "≤", 0.5), "jax jit(grad)": ("ratio", "≤", 0.8),
                "floor": ("ratio", "≤", 2.0)}
    if (case["n"], case["k"], case["m"]) == SMALL:
        return {"jax jit(grad)": ("ratio", "≤", 1.5)}
    return {}


def impls(case):
    return IMPLS if not case["sweep"] else ("ours", "pytorch autograd", "jax jit(grad)")


def available(impl):
    """None when ``impl`` can run here, else why not."""
    lib = {"pytorch autograd": peers.get_torch, "jax jit(grad)": peers.get_jax}.get(impl)
    if lib is None:
        return None
    got = lib()
    return got if isinstance(got, str) else None


def stepper(case, impl):
    """(step, sync, steps per call, params getter) of one implementation for the timing child."""
    p = two_layer_problem(case["n"], case["k"], case["m"])
    dtype = case["dtype"]
    if impl == "ours":
        ours = ours_two_layer(p, dtype)[1]
        return ours.step, None, 1, ours.params
    if impl == "ours (cst.fit)":
        gen, ours = ours_two_layer(p, dtype)
        A, y = ours.A, ours.y
        C = cst._backend.asarray(p.C0, dtype=dtype)

        def fit_chunk():
            nonlocal C
            C = cst.fit(gen, A, y, params=C, steps=FIT_CHUNK, step_size=p.eta, record_every=FIT_CHUNK).params
        return fit_chunk, None, FIT_CHUNK, lambda: cst.to_numpy(C)
    if impl == "pytorch autograd":
        tt = peers.TorchTwoLayer(p, dtype)
        return tt.step, None, 1, tt.params
    if impl == "jax jit(grad)":
        jj = peers.JaxTwoLayer(p, dtype)
        return jj.step, jj.sync, 1, jj.params
    raise ValueError(impl)


def agreement_checks(case, report):
    """cst.fit against the timed step and every installed peer against ours, C after AGREE_STEPS steps."""
    p = two_layer_problem(case["n"], case["k"], case["m"])
    agreement(p, case["dtype"], report, f"two-layer n={case['n']} k={case['k']} m={case['m']}")


# ---------------------------------------------------------------------------
# GPU: CuPy vs PyTorch CUDA
# ---------------------------------------------------------------------------
def gpu_ready():
    """(True, "") when CuPy sees a CUDA device and PyTorch was built with CUDA, else (False, reason)."""
    if not cst._backend.cupy_available():
        return False, "CuPy with a CUDA device is not available (pip install -e '.[gpu]' on a CUDA machine)"
    torch = peers.get_torch()
    if isinstance(torch, str):
        return False, torch
    if not torch.cuda.is_available():
        return False, f"PyTorch {torch.__version__} has no CUDA device (a CPU build?)"
    return True, ""


def bench_gpu(report, args, xp=None, device="cuda", size=GPU_SIZE, label="GPU"):
    """Ours on CuPy against PyTorch CUDA: float64 agreement at the headline size, then the float32
    step at ``size``.  (``xp``/``device`` let the code path run on the CPU with NumPy and torch "cpu".)"""
    torch = peers.get_torch()
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
        tt = peers.TorchTwoLayer(p, dtype, device=device)
        for _ in range(AGREE_STEPS):        # agreement from the same C₀
            ours.step()
            tt.step()
        sync()
        report.checks.append(agreement_check(f"{label} {size_label} {dtype}: ours ({xp.__name__}) vs pytorch "
                                             f"({device}), C after {AGREE_STEPS} steps", dtype, ours.params(),
                                             tt.params()))
        if time_it:
            ours_name = f"ours ({xp.__name__.split('.')[-1]})"
            peer = f"pytorch autograd ({device})"
            t = _timing.compare({ours_name: (ours.step, ours_sync), peer: (tt.step, peer_sync)},
                                args.repeats, args.min_time, warmup=3)
            report.add_group(f"{label} two-layer GD step", size_label, dtype, t, ours=ours_name,
                             targets={peer: ("ratio", "≤", round(1 / 0.9, 3))},
                             notes={peer: "target: our throughput ≥ 0.9× PyTorch"})

    run_pair(two_layer_problem(*HEADLINE), "float64", "n={} k={} m={}".format(*HEADLINE), time_it=False)
    n, k, m = size
    run_pair(two_layer_problem(n, k, m), "float32", f"n={n} k={k} m={m}", time_it=True)
