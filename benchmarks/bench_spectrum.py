"""Benchmark: the spectrum of Sec. 4 / App. B — Monte-Carlo Σ(U) and the closed-form weights σ.

* ``mc`` — :func:`cstheory.sigma_matrix_mc` against a loop forming each explicit Jacobian (eq. 20)
  and J Jᵀ for the same draws (target ≥ 20× faster); the two estimates must be the same matrix.
* ``sigma`` — :func:`cstheory.sigma_weights` (eq. 11) at n = 2²⁰ (target < 1 s), and at n = 2048
  against the dense eigendecomposition of Σ(circulant(u)) (eigenvalues = σ²).
"""
from __future__ import annotations

import numpy as np

import cstheory as cst
from cstheory.report import Check

from . import _timing
from ._timing import rel_diff


def sigma_mc_explicit(u, samples, channels, rng=0):
    """The average of J Jᵀ over ``samples`` draws, forming each explicit Jacobian (eq. 20).

    Draws C exactly as :func:`cstheory.sigma_matrix_mc` does (column after column from one
    generator), so the two estimates are the same number."""
    gen = np.random.default_rng(rng)
    tl = cst.TwoLayerGenerator(u, channels)
    n = u.shape[0]
    acc = np.zeros((n, n))
    for _ in range(samples):
        C = np.ascontiguousarray(gen.standard_normal((channels, n)).T)
        J = tl.jacobian(C)
        acc += J @ J.T
    return acc / samples


def mc_work(n, samples, channels):
    """Floor of Monte-Carlo Σ: the Gram products (M Mᵀ)/k of every draw, 2 n² k flops each."""
    return _timing.Work(bytes=8 * n * n * 2, gemm_flops=2 * n * n * channels * samples,
                        fft_flops=samples * channels * _timing.fft_flops(n), what="one n×n Gram per draw")


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
    t = _timing.compare(impls, args.repeats, args.min_time, warmup=0)   # the calibration call warms up
    peak = _timing.peak_traced_bytes(lambda: cst.sigma_matrix_mc(U, samples, channels, rng=0), calls=1)
    report.add_group("Monte-Carlo Σ(U)", f"n={n} S={samples} k={channels}", "float64", t,
                     ours="ours (sigma_matrix_mc)", targets={"explicit Jacobian loop": ("ratio", "≤", 0.05)},
                     notes={"explicit Jacobian loop": "target ≥ 20× faster"}, work=mc_work(n, samples, channels),
                     peak=peak)


def dense_sigma_eigenvalues(u):
    return np.linalg.eigvalsh(cst.sigma_matrix(cst.circulant_matrix(u)))


def bench_sigma(report, args):
    big = 2**20
    u_big = cst.kernels.triangular(big, 64)
    t = _timing.compare({"ours (sigma_weights)": (lambda: cst.sigma_weights(u_big), None)}, args.repeats,
                        args.min_time)
    work = _timing.Work(bytes=8 * big * 4, fft_flops=2 * _timing.fft_flops(big), what="two FFTs of length n")
    peak = _timing.peak_traced_bytes(lambda: cst.sigma_weights(u_big), calls=1)
    report.add_group("sigma_weights", f"n=2^20={big}", "float64", t, ours="ours (sigma_weights)",
                     targets={"ours (sigma_weights)": ("time", "≤", 1.0)}, work=work, peak=peak)

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
        t = _timing.compare(impls, min(3, args.repeats), args.min_time, warmup=0)
        report.add_group("sigma_weights", f"n={n}", "float64", t, ours="ours (sigma_weights)")
