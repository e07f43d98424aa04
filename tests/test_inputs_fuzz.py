"""Fuzz the public API and the command line with bad inputs (issue 14: no silent wrong numbers).

The table :data:`ROWS` has one row per public callable — every function of
``cstheory.__all__``, every public function of the modules it exports
(``kernels``, ``optim``, ``mri``, ``baselines``) and every public method of
the public classes.  A row gives a *valid* call (keyword → value, small
sizes) and says what each argument is: an array (its rank, whether its shape
and its backend are tied to the other arguments), an integer count, a real
number with its range, a flag, a choice among names, a seed, a namespace, a
dtype.  From that, :func:`corruptions` derives the bad inputs of the kind —
wrong Python type, a list for an array, complex / integer / bool / float16
arrays, NaN and inf, empty, 0-d, one axis too many or too few, a wrong
length, an array of the other backend (array_api_strict), absurd sizes
(10**30), negative / zero / fractional / boolean counts, non-bool flags,
unknown names — each with the error class the input contract of the README
promises (``TypeError`` for a wrong type, dtype or backend; ``ValueError`` for
a wrong value, shape or size).

:func:`test_every_case_of_the_table` runs every (row, argument, corruption)
case once and asserts that the call raises the promised class *and that the
message names the argument*; :func:`test_random_cases` lets hypothesis pick a
row, an argument and a corruption with random values (negative counts,
fractions, NaN at a random place, …).  :func:`test_table_covers_the_public_api`
fails when a public name has no row.  The CLI cases at the end drive
``cstheory.cli.main`` with bad command lines: exit code 2, one line on
stderr, no traceback, nothing computed.

On the code as it was before the input-contract work (commit fcc6404), 1064
of the 2814 table cases of that time failed: 655 returned a result instead of an error,
173 raised the wrong class (ValueError for a type, AttributeError, ComplexWarning,
OverflowError, ZeroDivisionError, …), 229 raised a message that does not name
the argument, 5 were still running after 5 s and 1 tried to allocate 8 TiB; and
17 of the 24 command lines did not exit 2 with one line (Ctrl-C gave a traceback).  After it, every case
passed except 76 in ``baselines.py`` (then being rewritten by another engineer: shapes given as
strings, non-bool flags, unchecked arrays in the TV and prox helpers); they were closed with the
rewrite, which added rows for its new names (ℓ1-Haar, ADMM, the λ rules, the calibration), so
that now all 3500-odd cases pass and :data:`KNOWN_GAPS` is empty.  A gap listed there is asserted
to still fail, so that fixing one makes this test say "remove it from KNOWN_GAPS".  The whole file
runs in about 10 s.
"""
from __future__ import annotations

import dataclasses
import importlib
import math
import re
import resource
import signal
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cstheory as cst
from cstheory import baselines, kernels, mri, optim, spectrum
from cstheory import operators as ops
from cstheory import dynamics

fit_module = importlib.import_module("cstheory.fit")   # the attribute cstheory.fit is the function

strict = pytest.importorskip("array_api_strict", reason="array_api_strict is the 'other backend' of the fuzz")

HUGE = 10**30


# ---------------------------------------------------------------------------
# argument kinds
# ---------------------------------------------------------------------------
@dataclass
class Arr:
    """An array argument."""
    ndim: tuple | None = (1,)      # allowed ranks (None: any rank >= 1)
    any_rank: bool = False         # rank 0 too (entrywise functions): no rank corruption
    bound: bool = True             # its shape is tied to the other arguments (a wrong length is an error)
    backend: bool = True           # its backend is tied to the others (the other backend is an error)
    optional: bool = False         # None is valid
    finite: bool = True            # NaN/inf are errors
    mask: bool = False             # a 0/1 mask (bool, int, float all valid; other values refused)
    empty_ok: bool = False
    sample: object = None          # a valid value, for an optional argument the valid call leaves out


@dataclass
class Int:
    minimum: int = 1
    size: bool = False             # a size: HUGE must be refused (memory/work estimate)
    optional: bool = False


@dataclass
class Flt:
    lo: float | None = 0.0         # None: no lower bound
    lo_ok: bool = False            # the bound itself is valid
    hi: float | None = None
    hi_ok: bool = False
    optional: bool = False


@dataclass
class Flag:
    optional: bool = False


@dataclass
class Choice:
    optional: bool = False


@dataclass
class Seed:
    pass


@dataclass
class Ns:
    pass


@dataclass
class Dt:
    pass


@dataclass
class Obj:
    """Any other object (a generator, an operator, a callable): a string or None is a TypeError."""
    optional: bool = False
    callable_: bool = False


@dataclass
class Shape:
    """A shape: an int or a tuple of ints (``pair``: exactly two)."""
    pair: bool = False
    int_ok: bool = True
    size: bool = True
    optional: bool = False


@dataclass
class Iters:
    """An int T or an iterable of iteration numbers."""


@dataclass
class Row:
    name: str
    call: Callable
    valid: Callable[[], dict]
    args: dict
    extra: list = field(default_factory=list)   # [(label, kwargs-update, exception[, argument])] more cases


# ---------------------------------------------------------------------------
# valid small problems (host NumPy, float64)
# ---------------------------------------------------------------------------
N = 8


def _u():
    return np.asarray(cst.kernels.triangular(N, 2))


def _x():
    return np.asarray(cst.smooth_signal(N, 2, rng=1))


def _A():
    return np.asarray(cst.gaussian_matrix(4, N, rng=2))


def _J():
    return np.asarray(cst.trig_basis(N))


def _U():
    return np.asarray(cst.circulant_matrix(_u()))


def _two():
    return cst.TwoLayerGenerator(_u(), 4)


def _C():
    return np.asarray(_two().init(rng=3, scale=0.1))


def _dd():
    return cst.DeepDecoder(N, channels=4, layers=2)


def _theta():
    return np.asarray(_dd().init(rng=4))


def _lin():
    return cst.LinearGenerator(_J())


def _mask():
    return np.asarray(cst.cartesian_mask((N, N), 2, rng=5))


def _sf():
    return cst.SubsampledFourier((N, N), _mask())


def _img():
    return np.asarray(cst.load_image("shepp_logan", size=N))


def _dct():
    return cst.RandomSubsampledDCT(4, N, rng=6)


def _fitresult():
    return cst.fit(_lin(), _A(), _A() @ _x(), steps=3)




def _rows():
    A, x, u, J, U, C, th = _A(), _x(), _u(), _J(), _U(), _C(), _theta()
    y = A @ x
    two, dd, lin, sf, dctop = _two(), _dd(), _lin(), _sf(), _dct()
    m2 = sf.shape[0]
    r = []

    def row(title, call, valid, **args):
        r.append(Row(title, call, valid, args))
        return r[-1]

    # -- backend, signals -------------------------------------------------
    row("to_numpy", cst.to_numpy, lambda: {"x": x}).extra += [
        ("None", {"x": None}, TypeError), ("a string", {"x": "abc"}, TypeError), ("a dict", {"x": {}}, TypeError)]
    row("available_backends", cst.available_backends, lambda: {})
    row("gaussian_matrix", cst.gaussian_matrix, lambda: {"m": 4, "n": N},
        m=Int(size=True), n=Int(size=True), rng=Seed(), xp=Ns(), dtype=Dt())
    row("trig_basis", cst.trig_basis, lambda: {"n": N}, n=Int(size=True), xp=Ns(), dtype=Dt())
    row("frequency", cst.frequency, lambda: {"n": N}, n=Int(size=True))
    row("frequency_order", cst.frequency_order, lambda: {"n": N}, n=Int(size=True))
    row("smooth_signal", cst.smooth_signal, lambda: {"n": N, "p": 2},
        n=Int(size=True), p=Int(), rng=Seed(), xp=Ns(), dtype=Dt())
    row("load_image", cst.load_image, lambda: {"name": "camera", "size": N},
        name=Choice(), size=Shape(pair=True), xp=Ns(), dtype=Dt())

    # -- kernels --------------------------------------------------------------
    row("circulant_matrix", cst.circulant_matrix, lambda: {"u": u}, u=Arr(bound=False, backend=False)).extra += [
        ("a kernel whose circulant needs 8 TiB", {"u": np.ones(2**20)}, ValueError)]
    for name, f in (("circular_convolve", cst.circular_convolve),
                    ("kernels.circular_correlate", kernels.circular_correlate)):
        row(name, f, lambda: {"u": u, "x": x, "axis": 0}, u=Arr(), x=Arr(ndim=None), axis=Int(minimum=-1)).extra += [
            ("an axis that wraps modulo ndim", {"axis": 1}, ValueError),
            ("an axis that wraps modulo ndim (2-D x)", {"axis": 2, "x": np.stack([x, x], axis=1)}, ValueError),
            ("a huge kernel", {"u": np.ones(2**16), "x": np.ones((2**16, 1)), "axis": 0}, None)]
    row("kernels.autocorrelation", kernels.autocorrelation, lambda: {"u": u}, u=Arr(bound=False, backend=False))
    row("kernels.spectral_norm", kernels.spectral_norm, lambda: {"u": u}, u=Arr(bound=False, backend=False))
    row("kernels.check_kernel", kernels.check_kernel, lambda: {"u": u}, u=Arr(bound=False, backend=False))
    row("kernels.triangular", kernels.triangular, lambda: {"n": N, "half_width": 2},
        n=Int(size=True), half_width=Int(), xp=Ns(), dtype=Dt())
    row("kernels.gaussian", kernels.gaussian, lambda: {"n": N, "width": 1.5},
        n=Int(size=True), width=Flt(), xp=Ns(), dtype=Dt())

    # -- operators ----------------------------------------------------------
    row("as_operator", cst.as_operator, lambda: {"A": A}, A=Arr(ndim=(2,), bound=False, backend=False))
    row("MatrixOperator", cst.MatrixOperator, lambda: {"M": A}, M=Arr(ndim=(2,), bound=False, backend=False))
    row("MatrixOperator.matvec", lambda x: cst.MatrixOperator(_A()).matvec(x), lambda: {"x": x},
        x=Arr(ndim=(1, 2), finite=False))
    row("MatrixOperator.rmatvec", lambda r: cst.MatrixOperator(_A()).rmatvec(r), lambda: {"r": y},
        r=Arr(ndim=(1, 2), finite=False))
    row("LinearOperator.__matmul__", lambda x: cst.as_operator(_A()) @ x, lambda: {"x": x},
        x=Arr(ndim=(1, 2), finite=False))
    row("LinearOperator.T.__matmul__", lambda r: cst.as_operator(_A()).T @ r, lambda: {"r": y},
        r=Arr(ndim=(1, 2), finite=False))
    row("LinearOperator.check_input", lambda x: cst.as_operator(_A()).check_input(x), lambda: {"x": x},
        x=Arr(ndim=None, any_rank=True, bound=False, finite=False))   # type, dtype, backend; shapes: matvec
    row("LinearOperator.to_dense", lambda: cst.as_operator(_A()).to_dense(), lambda: {})
    row("operator_norm", cst.operator_norm, lambda: {"A": A, "steps": 50},
        A=Arr(ndim=(2,), bound=False, backend=False), rng=Seed(), steps=Int())
    row("operators.power_iteration", ops.power_iteration,
        lambda: {"apply": (lambda v: _A().T @ (_A() @ v)), "x0": x, "steps": 50, "rtol": 1e-10},
        apply=Obj(callable_=True), x0=Arr(bound=False, backend=False), steps=Int(), rtol=Flt(lo_ok=True))
    row("RandomSubsampledDCT", cst.RandomSubsampledDCT, lambda: {"m": 4, "n_or_shape": N},
        m=Int(), n_or_shape=Shape(), rng=Seed(), xp=Ns(), dtype=Dt())
    row("RandomSubsampledDCT.matvec", lambda x: _dct().matvec(x), lambda: {"x": x}, x=Arr(finite=False))
    row("RandomSubsampledDCT.rmatvec", lambda r: _dct().rmatvec(r), lambda: {"r": dctop.matvec(x)},
        r=Arr(finite=False))

    # -- MRI ------------------------------------------------------------------
    for name, f in (("cartesian_mask", cst.cartesian_mask), ("random_mask", cst.random_mask)):
        row(name, f, lambda: {"shape": (N, N), "acceleration": 2.0},
            shape=Shape(pair=True, int_ok=False), acceleration=Flt(lo=1.0, lo_ok=True),
            center_fraction=Flt(hi=1.0, hi_ok=True, optional=True), density=Choice(), decay=Flt(lo_ok=True),
            rng=Seed(), xp=Ns())
    row("mri.centre_mask", mri.centre_mask, lambda: {"shape": (N, N), "center_fraction": 0.25, "lines": True},
        shape=Shape(pair=True, int_ok=False), center_fraction=Flt(hi=1.0, hi_ok=True), lines=Flag())
    row("mri.kspace_distance", mri.kspace_distance, lambda: {"s": N}, s=Int(size=True))
    row("SubsampledFourier", cst.SubsampledFourier, lambda: {"shape": (N, N), "mask": _mask()},
        shape=Shape(pair=True, int_ok=False), mask=Arr(ndim=(2,), backend=False, mask=True), dtype=Dt(),
        complex_image=Flag())
    img = _img()
    row("SubsampledFourier.matvec", lambda x: _sf().matvec(x), lambda: {"x": img},
        x=Arr(ndim=(1, 2), finite=False))
    row("SubsampledFourier.kspace", lambda x: _sf().kspace(x), lambda: {"x": img},
        x=Arr(ndim=(1, 2), finite=False))
    ysf = np.asarray(sf @ img)
    row("SubsampledFourier.rmatvec", lambda r: _sf().rmatvec(r), lambda: {"r": ysf}, r=Arr(finite=False))
    row("SubsampledFourier.to_complex", lambda r: _sf().to_complex(r), lambda: {"r": ysf}, r=Arr(finite=False))
    row("SubsampledFourier.zero_filled_kspace", lambda r: _sf().zero_filled_kspace(r), lambda: {"r": ysf},
        r=Arr(finite=False))
    row("SubsampledFourier.zero_filled", lambda y, part="magnitude": _sf().zero_filled(y, part),
        lambda: {"y": ysf, "part": "magnitude"}, y=Arr(), part=Choice())
    row("mri.phantom", mri.phantom, lambda: {"size": N}, size=Shape(pair=True), xp=Ns(), dtype=Dt())
    row("mri.natural_image", mri.natural_image, lambda: {"size": N, "name": "camera"},
        size=Shape(pair=True), name=Choice(), xp=Ns(), dtype=Dt())
    row("mri.simulate_kspace", mri.simulate_kspace, lambda: {"image": _img(), "mask": _mask(), "snr_db": 20.0},
        image=Arr(ndim=(2,)), mask=Arr(ndim=(2,), mask=True, backend=False),
        snr_db=Flt(lo=None, optional=True), rng=Seed())
    row("mri.mri_problem", mri.mri_problem, lambda: {"image": "shepp_logan", "size": N, "acceleration": 2},
        size=Shape(pair=True), acceleration=Flt(lo=1.0, lo_ok=True), mask=Choice(),
        center_fraction=Flt(hi=1.0, hi_ok=True, optional=True), snr_db=Flt(lo=None, optional=True),
        rng=Seed(), xp=Ns(), dtype=Dt(), phase=Choice(optional=True))
    row("mri.smooth_phase", mri.smooth_phase, lambda: {"shape": (N, N)},
        shape=Shape(pair=True, int_ok=False), rng=Seed(), components=Int(), peak_to_peak=Flt())
    row("mri.magnitude", mri.magnitude, lambda: {"x": np.stack([_img(), _img()])},
        x=Arr(ndim=(3,), bound=False, backend=False))
    for name, f in (("mri.psnr", mri.psnr), ("mri.ssim", mri.ssim)):
        row(name, f, lambda: {"x": _img() * 0.9, "x_true": _img()}, x=Arr(ndim=(1, 2)), x_true=Arr(ndim=(2,)))

    # -- generators ------------------------------------------------------------
    row("LinearGenerator", cst.LinearGenerator, lambda: {"J": J}, J=Arr(ndim=(2,), bound=False, backend=False))
    c0 = np.zeros(N)
    for meth in ("forward", "flatten", "jacobian", "gram", "forward_vjp"):
        row(f"LinearGenerator.{meth}", (lambda meth: lambda params: getattr(_lin(), meth)(params))(meth),
            lambda: {"params": c0 + 0.1}, params=Arr(optional=meth in ("jacobian", "gram")))
    row("LinearGenerator.unflatten", lambda vec: _lin().unflatten(vec), lambda: {"vec": c0 + 0.1}, vec=Arr())
    row("LinearGenerator.jvp", lambda params, tangent: _lin().jvp(params, tangent),
        lambda: {"params": c0, "tangent": c0 + 1}, params=Arr(), tangent=Arr())
    row("LinearGenerator.vjp", lambda params, cotangent: _lin().vjp(params, cotangent),
        lambda: {"params": c0, "cotangent": x}, params=Arr(), cotangent=Arr())
    row("LinearGenerator.init", lambda **kw: _lin().init(**kw), lambda: {"rng": 0, "scale": 0.5},
        rng=Seed(), scale=Flt(lo_ok=True, optional=True))
    row("LinearGenerator.smoothness_bound", lambda: _lin().smoothness_bound(), lambda: {})
    row("min_norm_coefficients", cst.min_norm_coefficients, lambda: {"A": A, "J": J, "y": y},
        A=Arr(ndim=(2,)), J=Arr(ndim=(2,), bound=False), y=Arr(), rcond=Flt(lo_ok=True, optional=True)).extra += [
        ("J with a wrong number of rows", {"J": J[:-1]}, ValueError)]

    row("TwoLayerGenerator", cst.TwoLayerGenerator, lambda: {"u": u, "k": 4},
        u=Arr(bound=False, backend=False), k=Int(minimum=2, size=True))
    for meth in ("forward", "gram", "jacobian", "flatten", "forward_vjp", "gd_iterate"):
        row(f"TwoLayerGenerator.{meth}", (lambda meth: lambda params: getattr(_two(), meth)(params))(meth),
            lambda: {"params": C}, params=Arr(ndim=(2,)))
    row("TwoLayerGenerator.unflatten", lambda vec: _two().unflatten(vec), lambda: {"vec": C.T.reshape(-1)},
        vec=Arr())
    row("TwoLayerGenerator.jvp", lambda params, tangent: _two().jvp(params, tangent),
        lambda: {"params": C, "tangent": C + 1}, params=Arr(ndim=(2,)), tangent=Arr(ndim=(2,)))
    row("TwoLayerGenerator.vjp", lambda params, cotangent: _two().vjp(params, cotangent),
        lambda: {"params": C, "cotangent": x}, params=Arr(ndim=(2,)), cotangent=Arr())
    row("TwoLayerGenerator.jacobian(max_bytes)", lambda params, max_bytes: _two().jacobian(params, max_bytes),
        lambda: {"params": C, "max_bytes": 10**6}, max_bytes=Int())
    row("TwoLayerGenerator.init", lambda **kw: _two().init(**kw), lambda: {"rng": 0, "y": y, "xi": 0.1},
        rng=Seed(), scale=Flt(lo_ok=True, optional=True), y=Arr(optional=True, bound=False), xi=Flt())
    row("TwoLayerGenerator.smoothness_bound", lambda: _two().smoothness_bound(), lambda: {})

    row("DeepDecoder", cst.DeepDecoder, lambda: {"output_shape": N, "channels": 4, "layers": 2},
        output_shape=Shape(), channels=Int(minimum=2, size=True), layers=Int(size=True), output=Choice(),
        sigmoid=Flag(), out_channels=Int(size=True), input_size=Shape(size=False, optional=True), rng=Seed(), eps=Flt(),
        xp=Ns(), dtype=Dt())
    for meth in ("forward", "unpack", "jacobian", "gram", "flatten", "forward_vjp"):
        row(f"DeepDecoder.{meth}", (lambda meth: lambda params: getattr(_dd(), meth)(params))(meth),
            lambda: {"params": th}, params=Arr())
    row("DeepDecoder.smoothness_bound", lambda: _dd().smoothness_bound(), lambda: {})
    row("DeepDecoder.unflatten", lambda vec: _dd().unflatten(vec), lambda: {"vec": th}, vec=Arr())
    row("DeepDecoder.jvp", lambda params, tangent: _dd().jvp(params, tangent),
        lambda: {"params": th, "tangent": th + 1}, params=Arr(), tangent=Arr())
    row("DeepDecoder.vjp", lambda params, cotangent: _dd().vjp(params, cotangent),
        lambda: {"params": th, "cotangent": x}, params=Arr(), cotangent=Arr())
    row("DeepDecoder.init", lambda **kw: _dd().init(**kw), lambda: {"rng": 0, "scale": 0.5},
        rng=Seed(), scale=Flt(optional=True))
    parts = _dd().unpack(th)
    row("DeepDecoder.pack", lambda C, scale, shift: _dd().pack(C, scale, shift),
        lambda: {"C": list(parts["C"]), "scale": list(parts["scale"]), "shift": list(parts["shift"])},
        C=Obj(), scale=Obj(), shift=Obj()).extra += [
        ("C with a list entry", {"C": [p.tolist() for p in parts["C"]]}, TypeError),
        ("C with an int entry", {"C": [p.astype(np.int64) for p in parts["C"]]}, TypeError),
        ("scale with a NaN", {"scale": [np.full(4, np.nan)] * 2}, ValueError),
        ("C an int", {"C": 3}, TypeError),
    ]
    row("Generator.check_params", lambda params: _lin().check_params(params), lambda: {"params": c0},
        params=Arr())
    row("Generator.check_cotangent", lambda cotangent: _lin().check_cotangent(cotangent),
        lambda: {"cotangent": x}, cotangent=Arr())

    # -- spectrum --------------------------------------------------------------
    row("sigma_matrix", cst.sigma_matrix, lambda: {"U": U}, U=Arr(ndim=(2,), bound=False, backend=False))
    row("sigma_matrix_mc", cst.sigma_matrix_mc, lambda: {"U": U, "samples": 4, "channels": 2, "max_chunk": 64},
        U=Arr(ndim=(2,), bound=False, backend=False), samples=Int(size=True), channels=Int(size=True),
        rng=Seed(), max_chunk=Int())
    row("spectrum.sigma_mc_errors", spectrum.sigma_mc_errors, lambda: {"U": U, "sample_counts": [2, 4]},
        U=Arr(ndim=(2,), bound=False, backend=False), sample_counts=Obj(), channels=Int(size=True), rng=Seed()
        ).extra += [("sample_counts with 0", {"sample_counts": [0, 4]}, ValueError),
                    ("sample_counts with 2.5", {"sample_counts": [2.5]}, TypeError),
                    ("sample_counts empty", {"sample_counts": []}, ValueError)]
    row("sigma_weights", cst.sigma_weights, lambda: {"u": u}, u=Arr(bound=False, backend=False))
    row("spectrum.sigma_weights_eq11", spectrum.sigma_weights_eq11, lambda: {"u": u},
        u=Arr(bound=False, backend=False))
    row("spectrum.g", spectrum.g, lambda: {"z": np.linspace(-1, 1, 5)},
        z=Arr(ndim=None, any_rank=True, bound=False, backend=False, empty_ok=True)
        ).extra += [("z outside [-1, 1]", {"z": np.array([0.5, 2.0])}, ValueError)]
    sig = np.asarray(cst.sigma_weights(u))
    for name, f in (("geometric_rate", cst.geometric_rate), ("spectrum.geometric_fit", spectrum.geometric_fit)):
        row(name, f, lambda: {"sigma": sig, "start": 1, "floor": 1e-10},
            sigma=Arr(bound=False, backend=False), start=Int(minimum=0), stop=Int(minimum=2, optional=True),
            floor=Flt(lo_ok=True)).extra += [("negative sigma", {"sigma": -sig}, ValueError),
                                             ("stop <= start", {"stop": 3, "start": 3}, ValueError)]

    # -- bounds ------------------------------------------------------------------
    row("theorem1_bound", cst.theorem1_bound, lambda: {"J": J, "x": x, "m": 4}, J=Arr(ndim=(2,), bound=False),
        x=Arr(), m=Int()).extra += [("J with a wrong number of rows", {"J": J[:-1]}, ValueError)]
    row("spectral_bound", cst.spectral_bound, lambda: {"sigma": sig, "coefficients": x, "m": 4},
        sigma=Arr(), coefficients=Arr(), m=Int()).extra += [("negative sigma", {"sigma": -sig}, ValueError)]
    row("geometric_bound", cst.geometric_bound, lambda: {"gamma": 0.5, "m": 4, "x_norm": 1.0},
        gamma=Flt(hi=1.0), m=Int(), x_norm=Flt(lo_ok=True))
    row("theorem2_bound", cst.theorem2_bound, lambda: {"u": u, "x": x, "m": 4, "xi": 0.1},
        u=Arr(), x=Arr(), m=Int(), xi=Flt(lo_ok=True))
    row("theorem3_quantities", cst.theorem3_quantities, lambda: {"u": u, "m": 2, "k": 16},
        u=Arr(bound=False, backend=False), m=Int(), n=Int(optional=True), xi=Flt(optional=True),
        delta=Flt(hi=1.0), k=Int(), y_norm=Flt())
    q = cst.theorem3_quantities(u, 2)
    row("Theorem3Quantities.__str__", lambda **kw: str(dataclasses.replace(q, **kw)), lambda: {}).extra += [
        ("sigma_min = 0 (alpha = 0, kappa = inf)",
         {"sigma_min": 0.0, "alpha": 0.0, "kappa": math.inf, "epsilon": 0.0, "log10_width_eq21": math.inf,
          "log10_width_proof": math.inf, "log10_width_theorem4": math.inf}, None)]

    # -- dynamics -----------------------------------------------------------------
    Jd = A @ J
    r0 = -y
    for name, f in (("linear_residuals", cst.linear_residuals),
                    ("linear_parameter_distance", cst.linear_parameter_distance)):
        row(name, f, lambda: {"J": Jd, "r0": r0, "step_size": 0.1, "iterations": [0, 1, 5]},
            J=Arr(ndim=(2,), bound=False), r0=Arr(), step_size=Flt(), iterations=Iters()).extra += [
            ("J with a wrong number of rows", {"J": Jd[:-1]}, ValueError),
            ("a divergent step size (> 2/sigma_1^2)", {"step_size": 1e3, "iterations": [0, 200]},
             fit_module.DivergenceError)]
    for name, f in (("linearization", cst.linearization), ("linearization_gap", cst.linearization_gap),
                    ("linearization_parameter_gap", cst.linearization_parameter_gap)):
        row(name, f, lambda: {"gen": _two(), "A": _A(), "y": _A() @ _x(), "params": _C(), "iterations": [0, 2]},
            gen=Obj(), A=Arr(ndim=(2,)), y=Arr(), params=Arr(ndim=(2,), optional=True), iterations=Iters(),
            step_size=Flt(optional=True), rng=Seed())
    row("LinearizationResult.max_residual_gap",
        lambda rows: dynamics.LinearizationResult(np.arange(rows), *([np.ones(rows)] * 6), 1.0, 0.1,
                                                  np.ones(1)).max_residual_gap,
        lambda: {"rows": 2}).extra += [("an empty result", {"rows": 0}, ValueError, None)]
    row("LinearizationResult.__repr__",
        lambda rows: repr(dynamics.LinearizationResult(np.arange(rows), *([np.ones(rows)] * 6), 1.0, 0.1,
                                                       np.ones(1))),
        lambda: {"rows": 2}).extra += [("an empty result", {"rows": 0}, None, None)]

    # -- fit, optimizers ------------------------------------------------------------
    row("fit", cst.fit, lambda: {"gen": _lin(), "A": _A(), "y": _A() @ _x(), "steps": 3},
        gen=Obj(), A=Arr(ndim=(2,)), y=Arr(), params=Arr(optional=True, sample=c0),
        steps=Int(minimum=0, size=True), step_size=Flt(optional=True), optimizer=Choice(),
        x_true=Arr(optional=True, sample=x), record_every=Int(),
        rng=Seed(), callback=Obj(optional=True, callable_=True), progress=Flag(),
        schedule=Obj(optional=True, callable_=True))
    row("FitResult.__repr__", lambda rows: repr(cst.FitResult(np.zeros(2), np.zeros(2), np.ones(rows), None,
                                                              np.arange(rows), 0.1, "gd")),
        lambda: {"rows": 2}).extra += [("an empty result", {"rows": 0}, None, None)]
    row("DivergenceError", lambda message: cst.DivergenceError(message), lambda: {"message": "boom"})
    row("fit.DivergenceMonitor", lambda step_size: fit_module.DivergenceMonitor(step_size),
        lambda: {"step_size": 0.1}, step_size=Flt())
    row("fit.DivergenceMonitor (a hint and a scale)",
        lambda step_size, scale: fit_module.DivergenceMonitor(step_size, hint="h", scale=scale),
        lambda: {"step_size": None, "scale": 1.0}, step_size=Flt(optional=True), scale=Flt(lo_ok=True, optional=True))
    row("GradientDescent", cst.GradientDescent, lambda: {"step_size": 0.1},
        step_size=Flt(optional=True), schedule=Obj(optional=True, callable_=True))
    row("Adam", cst.Adam, lambda: {"step_size": 0.1},
        step_size=Flt(optional=True), schedule=Obj(optional=True, callable_=True),
        beta1=Flt(lo_ok=True, hi=1.0), beta2=Flt(lo_ok=True, hi=1.0), eps=Flt())
    row("StepDecay", cst.StepDecay, lambda: {"milestones": [2, 4], "factor": 0.1},
        milestones=Obj(), factor=Flt(hi=1.0, hi_ok=True)).extra += [
        ("milestones an int", {"milestones": 3}, TypeError),
        ("milestones with 0", {"milestones": [0, 2]}, ValueError),
        ("milestones not increasing", {"milestones": [4, 2]}, ValueError),
        ("milestones with 2.5", {"milestones": [2.5]}, TypeError)]
    row("optim.CosineDecay", optim.CosineDecay, lambda: {"start": 2, "stop": 6, "floor": 0.1},
        start=Int(minimum=0), stop=Int(), floor=Flt(hi=1.0, hi_ok=True)).extra += [
        ("stop <= start", {"stop": 2, "start": 2}, ValueError)]
    row("CosineDecay.settle", optim.CosineDecay.settle, lambda: {"steps": 10, "fraction": 0.2, "floor": 0.1},
        steps=Int(), fraction=Flt(lo_ok=True, hi=1.0), floor=Flt(hi=1.0, hi_ok=True))
    row("optim.Constant", optim.Constant, lambda: {})
    row("optim.as_optimizer", optim.as_optimizer, lambda: {"optimizer": "gd", "step_size": 0.1},
        optimizer=Choice(), step_size=Flt(optional=True), schedule=Obj(optional=True, callable_=True))
    row("optim.default_step_size", optim.default_step_size,
        lambda: {"gen": _lin(), "A": _A(), "params": np.zeros(N)},
        gen=Obj(), A=Arr(ndim=(2,)), params=Arr(), rng=Seed()).extra += [
        ("A = 0", {"A": np.zeros((4, N))}, ValueError)]
    row("GradientDescent.start", lambda gen, A, params: cst.GradientDescent(0.1).start(gen, A, params),
        lambda: {"gen": _lin(), "A": _A(), "params": np.zeros(N)}, gen=Obj(), A=Arr(ndim=(2,)), params=Arr())
    row("Adam.start", lambda gen, A, params: cst.Adam(0.1).start(gen, A, params),
        lambda: {"gen": _lin(), "A": _A(), "params": np.zeros(N)}, gen=Obj(), A=Arr(ndim=(2,)), params=Arr())

    # -- baselines -------------------------------------------------------------------------
    shp = Shape(pair=True, int_ok=False, size=False, optional=True)
    common = dict(A=Obj(), y=Arr(), shape=shp, lam=Flt(lo_ok=True, optional=True),
                  lam_fraction=Flt(lo_ok=True, optional=True), steps=Int(), tol=Flt(lo_ok=True),
                  x0=Arr(ndim=(1, 2), optional=True, sample=img), rng=Seed())
    a_zero = ("A = 0", {"A": np.zeros((m2, N * N))}, ValueError)
    boxes = [("box a string", {"box": "01"}, TypeError), ("box with one entry", {"box": (0.0,)}, ValueError),
             ("box reversed", {"box": (1.0, 0.0)}, ValueError), ("box with NaN", {"box": (math.nan, 1.0)}, ValueError),
             ("box with a string entry", {"box": ("0", 1.0)}, TypeError), ("box a number", {"box": 0.5}, TypeError),
             ("box empty (lower = upper)", {"box": (0.5, 0.5)}, ValueError)]

    def solver(**extra):
        return lambda: {"A": _sf(), "y": ysf, "shape": (N, N), "steps": 3, **extra}

    row("baselines.zero_filled", baselines.zero_filled,
        lambda: {"A": _sf(), "y": ysf, "shape": (N, N), "part": "magnitude"},
        A=Obj(), y=Arr(), shape=shp, part=Choice(optional=True))
    row("baselines.l1_dct", baselines.l1_dct, solver(lam_fraction=3e-4), **common, monotone=Flag()).extra += [a_zero]
    row("baselines.l1_haar", baselines.l1_haar, solver(lam_fraction=1e-3), **common, monotone=Flag(),
        levels=Int(minimum=0, optional=True)).extra += [a_zero]
    row("baselines.tv", baselines.tv, solver(lam_fraction=1e-2), **common, isotropic=Flag(),
        boundary=Choice()).extra += boxes
    row("baselines.tv_admm", baselines.tv_admm, solver(lam_fraction=1e-2), **common, rho=Flt(optional=True),
        adapt_rho=Flag()).extra += boxes + [("A dense (not subsampled Fourier)", {"A": np.ones((m2, N * N))},
                                             ValueError)]
    row("baselines.fista_l1", baselines.fista_l1,
        solver(analysis=baselines.haar2, synthesis=baselines.ihaar2, lam=0.01),
        **{k: v for k, v in common.items() if k not in ("lam", "lam_fraction")}, lam=Flt(lo_ok=True),
        analysis=Obj(callable_=True), synthesis=Obj(callable_=True), monotone=Flag()).extra += [
        a_zero, ("method an int", {"method": 3}, TypeError)]
    # a registered method without a row of its own (a new baseline module): the row is read from its record,
    # the arguments every solver with λ takes (tune_lambda passes x0) and the keywords it names
    keyword_specs = {"steps": Int(), "tol": Flt(lo_ok=True), "rng": Seed(), "monotone": Flag(),
                     "levels": Int(minimum=0, optional=True), "rho": Flt(optional=True), "adapt_rho": Flag(),
                     "isotropic": Flag()}
    for method in baselines.registry.methods(iterative=True):
        title = f"baselines.{method.solver.__name__}"
        if getattr(baselines, method.solver.__name__, None) is method.solver and title not in {x.name for x in r}:
            row(title, method.solver, solver(lam=0.01), A=Obj(), y=Arr(), shape=shp,
                lam=Flt(lo_ok=True, optional=True), x0=Arr(ndim=(1, 2), optional=True, sample=img),
                **{k: keyword_specs[k] for k in method.keywords if k in keyword_specs})
    row("baselines.lambda_scale", baselines.lambda_scale,
        lambda: {"method": "l1-haar", "A": _sf(), "y": ysf, "shape": (N, N)},
        method=Choice(), A=Obj(), y=Arr(), shape=shp)
    row("baselines.solve", baselines.solve, solver(method="tv"), method=Choice(), A=Obj(), y=Arr(), shape=shp,
        lam=Flt(lo_ok=True, optional=True)).extra += [
        ("an unknown keyword", {"foo": 1}, TypeError), ("box for 'tv'", {"box": (0.0, 1.0)}, TypeError),
        ("steps a fraction", {"steps": 2.5}, TypeError)]
    row("baselines.reconstruct", baselines.reconstruct,
        lambda: {"method": "zero-filled", "A": _sf(), "y": ysf, "shape": (N, N)},
        method=Choice(), A=Obj(), y=Arr(), shape=shp).extra += [
        ("tv with steps a fraction", {"method": "tv", "steps": 2.5}, TypeError, "steps")]
    row("baselines.tune_lambda", baselines.tune_lambda, solver(method="tv", rule="fraction"),
        method=Choice(), rule=Choice(), A=Obj(), y=Arr(), shape=shp,
        truth=Arr(ndim=(2,), optional=True, sample=img), noise_std=Flt(lo_ok=True, optional=True),
        cache=Obj(optional=True), steps=Int()).extra += [
        ("a rule class, not an object", {"rule": baselines.Oracle}, TypeError, "rule"),
        ("a rule object and noise_std", {"rule": baselines.Fraction(), "noise_std": 0.1}, ValueError),
        ("oracle without truth", {"rule": "oracle"}, ValueError, "truth"),
        ("discrepancy without noise_std", {"rule": "discrepancy"}, ValueError, "noise_std"),
        ("an unknown keyword", {"boundary": "periodic"}, TypeError),
        ("x0 (tune_lambda sets it)", {"x0": img}, TypeError),
        ("truth of another shape with as many pixels", {"truth": img.reshape(4, 16)}, ValueError),
        ("A = 0 with no grid", {"A": np.zeros((m2, N * N)), "rule": "oracle", "truth": img}, ValueError, "A"),
        ("discrepancy, 2 steps", {"rule": baselines.Discrepancy(0.01, steps=2)}, None)]
    walk = dict(grid=Obj(optional=True), ratio=Flt(lo=1.0), steps=Int(minimum=0), refine=Flag())
    grids = [("grid empty", {"grid": []}, ValueError), ("grid with 0", {"grid": [0.0, 1e-3]}, ValueError),
             ("grid with NaN", {"grid": [math.nan]}, ValueError), ("grid of strings", {"grid": ["1e-3"]}, TypeError)]
    row("baselines.Oracle", baselines.Oracle,
        lambda: {"truth": img, "grid": None, "ratio": 4.0, "steps": 6, "refine": True},
        truth=Arr(ndim=(2, 3), bound=False, backend=False, sample=img), **walk).extra += grids
    row("baselines.Discrepancy", baselines.Discrepancy,
        lambda: {"noise_std": 0.01, "grid": [1e-3, 1e-2], "ratio": 4.0, "steps": 6, "refine": True},
        noise_std=Flt(), **walk).extra += grids
    row("baselines.as_rule", baselines.as_rule, lambda: {"rule": "auto", "truth": None, "noise_std": 0.01},
        rule=Choice(), truth=Arr(ndim=(2, 3), optional=True, bound=False, backend=False, sample=img),
        noise_std=Flt(lo_ok=True, optional=True)).extra += [
        ("oracle without truth", {"rule": "oracle"}, ValueError, "truth"),
        ("discrepancy with noise_std 0", {"rule": "discrepancy", "noise_std": 0.0}, ValueError, "noise_std")]
    row("baselines.register", baselines.register, lambda: {"method": baselines.registry.get("tv")},
        method=Obj()).extra += [
        ("a name taken by another solver", {"method": dataclasses.replace(baselines.registry.get("tv"),
                                                                          solver=baselines.tv)}, ValueError)]
    row("baselines.calibrate_fractions", baselines.calibrate_fractions,
        lambda: {"methods": ("tv",), "size": 8, "accelerations": (4,), "seeds": (0,), "fractions": (1e-3,),
                 "oversample": 2, "steps": 3},
        methods=Choice(optional=True), size=Int(size=True), oversample=Int(size=True), steps=Int()).extra += [
        ("methods with an unknown name", {"methods": ("tv", "wavelet")}, ValueError),
        ("accelerations a string", {"accelerations": "4"}, TypeError),
        ("accelerations empty", {"accelerations": ()}, ValueError),
        ("accelerations below 1", {"accelerations": (0.5,)}, ValueError),
        ("accelerations with NaN", {"accelerations": (math.nan,)}, ValueError),
        ("seeds negative", {"seeds": (-1,)}, ValueError), ("seeds a fraction", {"seeds": (2.5,)}, TypeError),
        ("seeds a string", {"seeds": "0"}, TypeError),
        ("fractions with 0", {"fractions": (0.0,)}, ValueError), ("fractions a string", {"fractions": "1e-3"}, TypeError),
        ("fractions empty", {"fractions": ()}, ValueError),
        ("an unknown keyword", {"box": (0.0, 1.0)}, TypeError),
        ("single values", {"methods": "tv", "accelerations": 4, "seeds": 0, "fractions": 1e-3}, None)]
    row("baselines.calibration_phantom", baselines.calibration_phantom, lambda: {"size": 4, "oversample": 2},
        size=Int(size=True), oversample=Int(size=True), ellipses=Int(minimum=0, size=True), rng=Seed())
    row("baselines.gradient", baselines.gradient, lambda: {"x": img},
        x=Arr(ndim=(2,), bound=False, backend=False), boundary=Choice())
    row("baselines.gradient_adjoint", baselines.gradient_adjoint, lambda: {"field": np.stack([img, img])},
        field=Arr(ndim=(3,), bound=False, backend=False), boundary=Choice()).extra += [
        ("field with 3 components", {"field": np.stack([img, img, img])}, ValueError)]
    row("baselines.total_variation", baselines.total_variation, lambda: {"x": img, "isotropic": True},
        x=Arr(ndim=(2,), bound=False, backend=False), isotropic=Flag(), boundary=Choice())
    row("baselines.soft_threshold", baselines.soft_threshold, lambda: {"c": x, "t": 0.1},
        c=Arr(ndim=None, any_rank=True, bound=False, backend=False), t=Flt(lo_ok=True))
    row("baselines.shrink", baselines.shrink, lambda: {"g": np.stack([img, img]), "t": 0.1},
        g=Arr(ndim=(3,), bound=False, backend=False), t=Flt(lo_ok=True)).extra += [
        ("g with 3 components", {"g": np.stack([img, img, img])}, ValueError)]
    for name in ("haar2", "ihaar2"):
        arg = "x" if name == "haar2" else "c"
        row(f"baselines.{name}", getattr(baselines, name), (lambda arg: lambda: {arg: img})(arg),
            **{arg: Arr(ndim=(2,), bound=False, backend=False)}, levels=Int(minimum=0, optional=True))
    row("baselines.haar_plan", baselines.haar_plan, lambda: {"shape": (12, 8), "levels": 2},
        shape=Shape(pair=True, int_ok=False, size=False), levels=Int(minimum=0, optional=True))
    row("mri.fourier_gram", mri.fourier_gram, lambda: {"A": _sf(), "shape": (N, N)},
        A=Obj(), shape=shp, check=Flag(), rng=Seed()).extra += [
        ("A dense (no mask)", {"A": np.ones((4, N * N))}, ValueError),
        ("shape not the mask's", {"shape": (4, 16)}, ValueError)]
    row("baselines.laplacian_symbol", baselines.laplacian_symbol, lambda: {"shape": (N, N)},
        shape=Shape(pair=True, int_ok=False), xp=Ns(), dtype=Dt())
    row("BaselineResult.relative_change",
        lambda rows: baselines.BaselineResult(np.zeros((2, 2)), np.ones(rows), 0.1, rows, "tv").relative_change,
        lambda: {"rows": 2}).extra += [("an empty result", {"rows": 0}, ValueError, None)]
    row("BaselineResult.__repr__",
        lambda rows: repr(baselines.BaselineResult(np.zeros((64, 64)), np.ones(rows), 0.1, rows, "tv",
                                                   residual=0.5, tol=0.1)),
        lambda: {"rows": 2}).extra += [("an empty result", {"rows": 0}, None, None)]
    row("LambdaChoice.__repr__",
        lambda rows: repr(baselines.LambdaChoice("tv", "oracle", 0.1, baselines.BaselineResult(
            np.zeros((64, 64)), np.ones(3), 0.1, 2, "tv", residual=0.5, tol=0.1), np.ones(rows), np.ones(rows), 1.0)),
        lambda: {"rows": 2}).extra += [("an empty grid", {"rows": 0}, None, None)]
    row("mri.fourier_downsample", mri.fourier_downsample, lambda: {"fine": np.kron(img, np.ones((2, 2))),
                                                                    "shape": (N, N)},
        fine=Arr(ndim=(2,), bound=False, backend=False), shape=Shape(pair=True, int_ok=False)).extra += [
        ("shape larger than fine", {"shape": (2 * N + 1, N)}, ValueError)]
    return r


# ---------------------------------------------------------------------------
# corruptions: (label, value, expected exception class)
# ---------------------------------------------------------------------------
def _other_backend(v):
    return strict.asarray(np.asarray(v))


def _array_cases(spec: Arr, v):
    v = np.asarray(v)
    out = [("a list", v.tolist(), TypeError), ("a string", "abc", TypeError)]
    if not spec.optional:
        out.append(("None", None, TypeError))
    out.append(("complex dtype", v.astype(np.complex128), TypeError))
    if not spec.mask:
        out += [("int dtype", np.round(v * 10).astype(np.int64), TypeError),
                ("bool dtype", v > 0, TypeError),
                ("float16 dtype", v.astype(np.float16), TypeError)]
    else:
        out.append(("a mask with 0.5", np.where(v, 0.5, 0.0), ValueError))
    if spec.finite or spec.mask:
        f = v.astype(np.float64)
        nan, inf = f.copy(), f.copy()
        nan.reshape(-1)[0] = np.nan
        inf.reshape(-1)[-1] = np.inf
        out += [("NaN entry", nan, ValueError), ("inf entry", inf, ValueError)]
    if not spec.empty_ok:
        out.append(("empty", v[:0], ValueError))
    if not spec.any_rank and (spec.ndim is None or 0 not in spec.ndim):
        out.append(("0-d", np.asarray(v.reshape(-1)[0]), ValueError))
    if spec.ndim is not None:
        if v.ndim + 1 not in spec.ndim:
            out.append(("one axis too many", v[None], ValueError))
        if v.ndim >= 2 and v.ndim - 1 not in spec.ndim:
            out.append(("one axis too few", v[0], ValueError))
    if spec.bound:
        out.append(("a wrong length", v[..., :-1], ValueError))
    if spec.backend:
        out.append(("the other backend", _other_backend(v), TypeError))
    return out


def _int_cases(spec: Int, v):
    v = 3 if v is None else v
    out = [("a fraction", 2.5, TypeError), ("a float with an integer value", float(v), TypeError),
           ("a string", str(v), TypeError), ("a bool", True, TypeError),
           ("a 1-element array", np.array([v]), TypeError)]
    if not spec.optional:
        out.append(("None", None, TypeError))
    if spec.minimum > -10:
        out.append((f"below the minimum {spec.minimum}", spec.minimum - 1, ValueError))
        out.append(("negative", min(spec.minimum - 1, -3), ValueError))
    if spec.size:
        out.append(("absurdly large (1e30)", HUGE, ValueError))
    return out


def _float_cases(spec: Flt, v):
    out = [("NaN", math.nan, ValueError), ("inf", math.inf, ValueError), ("a string", "0.5", TypeError),
           ("a bool", True, TypeError), ("complex", 0.5 + 1j, TypeError), ("an array", np.ones(2), TypeError)]
    if not spec.optional:
        out.append(("None", None, TypeError))
    if spec.lo is not None:
        out.append(("below the range", spec.lo - 1.0, ValueError))
        if not spec.lo_ok:
            out.append(("the lower end", spec.lo, ValueError))
    if spec.hi is not None:
        out.append(("above the range", spec.hi + 1.0, ValueError))
        if not spec.hi_ok:
            out.append(("the upper end", spec.hi, ValueError))
    return out


def _shape_cases(spec: Shape, v):
    out = [("a string", "8", TypeError), ("a float", 8.5, TypeError), ("negative entries", (N, -1), ValueError),
           ("fractional entries", (N, 2.5), TypeError), ("three entries", (N, N, N), ValueError),
           ("an empty tuple", (), ValueError)]
    if spec.pair:
        out.append(("one entry", (N,), ValueError))
    if spec.pair and not spec.int_ok:
        out.append(("an int", N, TypeError))
    if not spec.optional:
        out.append(("None", None, TypeError))
    if spec.size:
        out.append(("absurdly large (1e30)", (HUGE, HUGE) if spec.pair else HUGE, ValueError))
    return out


def corruptions(spec, v):
    if isinstance(spec, Arr):
        return _array_cases(spec, v)
    if isinstance(spec, Int):
        return _int_cases(spec, v)
    if isinstance(spec, Flt):
        return _float_cases(spec, v if v is not None else 0.5)
    if isinstance(spec, Flag):
        out = [("an int", 1, TypeError), ("a string", "yes", TypeError)]
        return out if spec.optional else out + [("None", None, TypeError)]
    if isinstance(spec, Choice):
        out = [("an unknown name", "nonsense", ValueError), ("an int", 3, TypeError)]
        return out if spec.optional else out + [("None", None, TypeError)]
    if isinstance(spec, Seed):
        return [("negative", -1, ValueError), ("a fraction", 2.5, TypeError), ("a string", "0", TypeError),
                ("a bool", True, TypeError)]
    if isinstance(spec, Ns):
        return [("an unknown name", "nonsense", ValueError), ("an int", 3, TypeError)]
    if isinstance(spec, Dt):
        return [("int64", "int64", ValueError), ("numpy int64", np.int64, ValueError),
                ("float16", np.float16, ValueError), ("complex128", np.complex128, ValueError),
                ("an int", 3, TypeError)]
    if isinstance(spec, Obj):
        out = [("a string", "abc", TypeError)]
        if not spec.optional:
            out.append(("None", None, TypeError))
        if spec.callable_:
            out.append(("an int", 3, TypeError))
        return out
    if isinstance(spec, Shape):
        return _shape_cases(spec, v)
    if isinstance(spec, Iters):
        return [("negative", -1, ValueError), ("a fraction", 2.5, TypeError), ("a string", "abc", TypeError),
                ("empty", [], ValueError), ("a negative entry", [0, -1], ValueError),
                ("a fractional entry", [0, 1.5], TypeError), ("absurdly large (1e30)", HUGE, ValueError)]
    raise AssertionError(spec)


def all_cases():
    """Every (row, argument, label, kwargs, expected) case of the table."""
    out = []
    for row in ROWS:
        base = row.valid()
        for arg, spec in row.args.items():
            value = base.get(arg)
            if value is None and isinstance(spec, Arr):
                value = spec.sample
            for label, value, exc in corruptions(spec, value):
                out.append((row, arg, label, {arg: value}, exc))
        for label, update, exc, *named in row.extra:   # the argument named is the first key, or given
            arg = named[0] if named else next(iter(update), None)
            out.append((row, arg, label, update, exc))
    return out


ROWS = _rows()

#: cases that still fail, in files owned by other engineers at the time of writing: (row name, argument, label)
KNOWN_GAPS: set = set()


# ---------------------------------------------------------------------------
# running one case
# ---------------------------------------------------------------------------
class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def _names_argument(message, arg):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])", message) is not None


def run_case(row, arg, label, update, expected, seconds=5):
    """``None`` when the case behaves as the contract says, else a one-line description of what happened."""
    kwargs = {**row.valid(), **update}
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        out = row.call(**kwargs)
        if expected is None:          # a legitimate extreme input: a result, and no NaN in it
            text = out if isinstance(out, str) else repr(out)
            return "NaN in the result" if "nan" in text.lower() and not isinstance(out, str) else None
        return f"returned {type(out).__name__} instead of raising {expected.__name__}"
    except _Timeout:
        return f"still running after {seconds} s instead of raising {getattr(expected, '__name__', expected)}"
    except MemoryError:
        return "MemoryError (allocation attempted instead of a size check)"
    except Exception as exc:  # noqa: BLE001 - the point is to classify it
        if expected is None:
            return f"raised {type(exc).__name__}: {exc}"
        if not isinstance(exc, expected):
            return f"raised {type(exc).__name__} instead of {expected.__name__}: {str(exc)[:150]}"
        if arg is not None and not _names_argument(str(exc), arg):
            return f"{type(exc).__name__} does not name {arg!r}: {str(exc)[:150]}"
        return None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def memory_cap():
    """Cap the address space while fuzzing, so an absurd size fails with MemoryError instead of the OOM killer."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/status") as fh:
        vm = int(next(line for line in fh if line.startswith("VmSize")).split()[1]) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (vm + 6 * 2**30, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_every_case_of_the_table(memory_cap):
    cases = all_cases()
    failures, gaps_fixed = [], []
    for row, arg, label, update, expected in cases:
        problem = run_case(row, arg, label, update, expected)
        key = (row.name, arg, label)
        if key in KNOWN_GAPS:
            if problem is None:
                gaps_fixed.append(key)
            continue
        if problem is not None:
            failures.append(f"{row.name}({arg}={label}): {problem}")
    print(f"{len(cases)} cases, {len(failures)} failures, {len(KNOWN_GAPS)} known gaps")
    assert not gaps_fixed, f"fixed now, remove from KNOWN_GAPS: {gaps_fixed}"
    assert not failures, f"{len(failures)} of {len(cases)} cases break the input contract:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------
# hypothesis: random rows, arguments and corruption values
# ---------------------------------------------------------------------------
def _random_corruption(draw, spec, v):
    if isinstance(spec, Int):
        kind = draw(st.sampled_from(["negative", "fraction"] + (["huge"] if spec.size else [])))
        if kind == "negative":
            return draw(st.integers(-10**6, min(spec.minimum - 1, -1))), ValueError
        if kind == "fraction":
            return draw(st.floats(0.01, 1e6).filter(lambda f: f != int(f))), TypeError
        return draw(st.integers(10**15, 10**40)), ValueError
    if isinstance(spec, Flt):
        kind = draw(st.sampled_from(["nan", "inf"] + (["below"] if spec.lo is not None else [])))
        if kind == "below":
            return spec.lo - draw(st.floats(1e-3, 1e6)), ValueError
        return (math.nan if kind == "nan" else draw(st.sampled_from([math.inf, -math.inf]))), ValueError
    if isinstance(spec, Arr) and (spec.finite or spec.mask):
        w = np.asarray(v, dtype=np.float64).copy()
        w.reshape(-1)[draw(st.integers(0, w.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return w, ValueError
    if isinstance(spec, Arr):
        return np.asarray(v).astype(draw(st.sampled_from([np.int32, np.int64, np.complex64, np.float16]))), TypeError
    return None


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_cases(data, memory_cap):
    row = data.draw(st.sampled_from([r for r in ROWS if r.args]), label="row")
    arg = data.draw(st.sampled_from(sorted(row.args)), label="argument")
    spec = row.args[arg]
    base = row.valid()
    made = _random_corruption(data.draw, spec, base.get(arg))
    if made is None:
        label, value, expected = data.draw(st.sampled_from(corruptions(spec, base.get(arg))), label="corruption")
    else:
        value, expected = made
        label = "random"
    problem = run_case(row, arg, label, {arg: value}, expected)
    if problem is not None and (row.name, arg, label) in KNOWN_GAPS:
        return   # the exhaustive test lists these gaps
    assert problem is None, f"{row.name}({arg}={value!r}): {problem}"


# ---------------------------------------------------------------------------
# coverage of the public API
# ---------------------------------------------------------------------------
#: public names that are not callables with inputs (constants, abstract bases, plain records)
NOT_CALLABLE = {
    "optim.OPTIMIZERS", "optim.ADAM_DEFAULTS", "optim.Schedule", "optim.Optimizer", "optim.OptimizerState",
    "optim.AdamState", "mri.MASK_DENSITIES", "mri.MASKS", "mri.PHASES", "mri.MRIProblem", "baselines.METHODS",
    "baselines.BaselineResult", "baselines.LambdaChoice", "baselines.Method", "baselines.Rule", "baselines.Fraction",
    "baselines.ITERATIVE", "baselines.FRACTIONS", "baselines.GRID_RATIO", "baselines.TOL", "baselines.TOL_ADMM",
    "baselines.TOL_CP", "baselines.RULES", "baselines.MAX_ELLIPSES",
    "kernels.check_kernel",
}
#: where a name is covered by a row of another name (re-exports)
ALIASES = {
    "kernels.circulant_matrix": "circulant_matrix", "kernels.circular_convolve": "circular_convolve",
    "optim.StepDecay": "StepDecay", "optim.GradientDescent": "GradientDescent", "optim.Adam": "Adam",
    "CosineDecay": "optim.CosineDecay",
    "mri.cartesian_mask": "cartesian_mask", "mri.random_mask": "random_mask",
    "mri.SubsampledFourier": "SubsampledFourier", "Generator": "Generator.check_params",
    "LinearOperator": "LinearOperator.__matmul__", "FitResult": "FitResult.__repr__",
    "Theorem3Quantities": "Theorem3Quantities.__str__", "LinearizationResult": "LinearizationResult.max_residual_gap",
}


def public_names():
    names = []
    for name in cst.__all__:
        obj = getattr(cst, name)
        if isinstance(obj, type(sys)):
            names += [f"{name}.{sub}" for sub in obj.__all__]
        else:
            names.append(name)
    return names


def test_table_covers_the_public_api():
    covered = {row.name for row in ROWS}
    missing = [n for n in public_names()
               if n not in NOT_CALLABLE and n not in covered and ALIASES.get(n) not in covered]
    assert not missing, f"public names without a row in the fuzz table: {missing}"


def test_table_covers_every_public_method():
    covered = {row.name for row in ROWS}
    classes = {"LinearGenerator": cst.LinearGenerator, "TwoLayerGenerator": cst.TwoLayerGenerator,
               "DeepDecoder": cst.DeepDecoder, "SubsampledFourier": cst.SubsampledFourier,
               "RandomSubsampledDCT": cst.RandomSubsampledDCT, "MatrixOperator": cst.MatrixOperator}
    inherited_ok = {"check_input", "to_dense", "check_params", "check_cotangent", "T", "H", "gd_iterate",
                    "n", "num_params", "U_norm", "UUt", "acceleration", "jacobian(max_bytes)"}
    missing = []
    for cname, cls in classes.items():
        for attr in dir(cls):
            if attr.startswith("_") or attr in inherited_ok:
                continue
            if callable(getattr(cls, attr)) and f"{cname}.{attr}" not in covered:
                missing.append(f"{cname}.{attr}")
    assert not missing, f"public methods without a row: {missing}"


def test_valid_calls_of_the_table_work():
    """The valid call of every row runs (so a refused corruption is refused for its own sake)."""
    broken = []
    for row in ROWS:
        try:
            row.call(**row.valid())
        except Exception as exc:  # noqa: BLE001
            broken.append(f"{row.name}: {type(exc).__name__}: {exc}")
    assert not broken, "\n".join(broken)


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------
def _cli_cases(tmp):
    afile = tmp / "a-file"
    afile.write_text("not a directory")
    cases = [
        ["reproduce", "--only", ","], ["reproduce", "--only", ""], ["reproduce", "--only", "fig99"],
        ["reproduce", "--only", "fig2,,fig99"],
        ["reproduce", "--only", "fig2", "--out", str(afile)],
        ["reproduce", "--only", "fig2", "--out", str(afile / "sub")],
        ["reproduce", "--only", "fig2", "--out", "/proc/cstheory-cannot-write-here"],
        ["reproduce", "--only", "fig2", "--out", ""],
        ["reproduce", "--backend", "torch"], ["reproduce", "--dtype", "float16"],
        ["reproduce", "--only", "fig2", "--backend", "array_api_strict"],
        ["reproduce", "--quick", "--bogus"],
        ["figure", "99"], ["figure", "x"], ["figure", "-1"], ["figure", "2", "--out", str(afile)],
        ["sweep", "phase-transition", "--workers", "0"], ["sweep", "phase-transition", "--workers", "-2"],
        ["sweep", "phase-transition", "--workers", "x"], ["sweep", "phase-transition", "--out", str(afile)],
        ["sweep", "nope"], ["nonsense"], [],
    ]
    if "cupy" not in cst.available_backends():
        cases.append(["reproduce", "--only", "linear", "--backend", "cupy"])
    return cases


def test_cli_usage_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch):
    from cstheory import cli

    ran = []
    monkeypatch.setattr(cli, "run_experiments", lambda *a, **k: ran.append(a) or [])
    from cstheory.experiments import phase_transition
    monkeypatch.setattr(phase_transition, "run", lambda *a, **k: ran.append(a))
    bad = []
    cases = _cli_cases(tmp_path)
    for argv in cases:
        try:
            code = cli.main(list(argv))
        except BaseException as exc:  # noqa: BLE001 - a crash is a finding
            code = f"crash {type(exc).__name__}: {exc}"
        err = capsys.readouterr().err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if code != 2 or len(lines) != 1 or "Traceback" in err or ran:
            bad.append(f"{argv}: exit {code}, {len(lines)} stderr lines, ran {len(ran)}: {err[-200:]!r}")
        ran.clear()
    assert not bad, f"{len(bad)} of {len(cases)} command lines:\n" + "\n".join(bad)


def test_cli_ctrl_c_exits_130_with_one_line(tmp_path, capsys, monkeypatch):
    from cstheory import cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_experiments", interrupted)
    code = cli.main(["reproduce", "--only", "fig2", "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 130
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1 and "Traceback" not in err
