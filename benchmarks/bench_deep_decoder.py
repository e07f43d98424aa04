"""Benchmark: one step of the deep decoder of eq. (4) (forward + hand-written backward + update),
ours against PyTorch autograd.

The step is the hot path of Fig. 1 and Fig. 5: ``DeepDecoder.forward_vjp`` (forward, cached
activations, backpropagation) and the optimizer's update, with A = I (the measurement operator is
another benchmark's business).  Sizes: the Fig. 1 / Fig. 5 decoder (64 × 64, k = 64, d = 5) and the
quick one (32 × 32, k = 32, d = 5); plain GD and Adam; float64 and float32.  PyTorch runs the same
network with ``F.conv2d`` 1×1 convolutions, ``F.interpolate(mode="bilinear", align_corners=False)``
and ``F.batch_norm`` (:class:`peers.TorchDeepDecoder`).

Target (issue 19): ours ≤ 0.8 × PyTorch in every row, with the same iterates (float64: θ after 10
steps equal to 1e-12).  Floor: every hidden activation written once in the forward pass and read
back, and its cotangent written and read once, in the backward pass; the 1×1 convolutions' matrix
products (forward, and the two products of each backward step).
"""
from __future__ import annotations

import numpy as np

import cstheory as cst
from cstheory.deep_decoder import DeepDecoder

from . import _timing, peers
from ._timing import agreement_check
from .bench_two_layer import OursStepper

#: (spatial shape, channels, layers): the Fig. 1 / Fig. 5 full size and the quick size
SIZES = (((64, 64), 64, 5), ((32, 32), 32, 5))
AGREE_STEPS = 10
#: iterate agreement with PyTorch after AGREE_STEPS steps
AGREE_TOL = {"float64": 1e-12, "float32": 1e-2}   # float32 Adam: near-zero gradient entries step ±η either way
ADAM_STEP = 0.01


def deep_work(gen, dtype):
    """The floor's work of one step: hidden activations and their cotangents (4 passes each), the
    1×1 convolutions' products (forward, and dC and dB backward; dB_0 is not needed)."""
    b = np.dtype(dtype).itemsize
    k = gen.channels
    cells = [int(np.prod(s)) for s in gen.sizes]
    act = sum(k * s for s in cells[1:])
    fwd = [2 * k * k * s for s in cells[:-1]] + [2 * k * gen._k_out * cells[-1]]
    gemm = sum(fwd) + 2 * sum(fwd) - fwd[0]
    return _timing.Work(bytes=4 * act * b, gemm_flops=gemm, what="activations and cotangents once each, 1×1 convs")


def deep_problem(shape, channels, layers, dtype):
    """The decoder (conv output with a sigmoid, as in Fig. 1), θ₀, the target image, and a GD step size
    1/L with L = ‖J(θ₀)‖² by power iteration (A = I)."""
    gen = DeepDecoder(shape, channels=channels, layers=layers, output="conv", sigmoid=True, rng=0, dtype=dtype)
    theta0 = gen.init(rng=2)
    y = cst._backend.asarray(np.asarray(cst.load_image("camera", size=shape[0]), dtype=np.float64).reshape(-1),
                             dtype=dtype)
    v = np.random.default_rng(3).standard_normal(gen.num_params)
    for _ in range(30):                               # power iteration on Jᵀ J
        w = cst.to_numpy(gen.vjp(theta0, gen.jvp(theta0, cst._backend.asarray(v, dtype=dtype))))
        L = float(np.linalg.norm(w) / np.linalg.norm(v))
        v = w / np.linalg.norm(w)
    return gen, theta0, y, 1.0 / L


def _optimizer(name, eta):
    return cst.GradientDescent(eta) if name == "gd" else cst.Adam(ADAM_STEP)


def bench_deep(report, args):
    torch = peers.get_torch()
    sizes = SIZES
    dtypes = ("float64", "float32")
    opts = ("gd", "adam")
    for shape, k, d in sizes:
        for dtype in dtypes:
            gen, theta0, y, eta = deep_problem(shape, k, d, dtype)
            label = f"{shape[0]}×{shape[1]} k={k} d={d}"
            for opt in opts:
                step = eta if opt == "gd" else ADAM_STEP
                ours = OursStepper(gen, None, y, theta0, _optimizer(opt, eta))
                impls, skipped = {"ours": (ours.step, None)}, {}
                if isinstance(torch, str):
                    skipped["pytorch autograd"] = torch
                else:
                    agree = OursStepper(gen, None, y, theta0, _optimizer(opt, eta))
                    tt = peers.TorchDeepDecoder(gen, theta0, None, cst.to_numpy(y), step, dtype, optimizer=opt)
                    for _ in range(AGREE_STEPS):
                        agree.step()
                        tt.step()
                    report.checks.append(agreement_check(
                        f"deep decoder {label} {dtype} {opt}: ours vs pytorch autograd, θ after {AGREE_STEPS} steps",
                        dtype, agree.params(), tt.params(), tol=AGREE_TOL[dtype]))
                    tt = peers.TorchDeepDecoder(gen, theta0, None, cst.to_numpy(y), step, dtype, optimizer=opt)
                    impls["pytorch autograd"] = (tt.step, None)
                t = _timing.compare(impls, args.repeats, args.min_time)
                t.update(skipped)
                peak = _timing.peak_traced_bytes(ours.step)
                report.add_group(f"deep-decoder step ({opt})", label, dtype, t,
                                 targets={"pytorch autograd": ("ratio", "≤", 0.8)}, work=deep_work(gen, dtype),
                                 peak=peak)
