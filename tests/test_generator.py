"""Tests of cstheory/generator.py: the one contract every generator keeps.

For every generator (linear, two-layer, deep decoder in 1-D and 2-D, both outputs) and every backend:

* ``jvp`` has the output's shape and ``vjp`` the parameters' shape;
* ``flatten`` is the column-by-column vec of eq. (20) and ``unflatten`` its inverse;
* ``jacobian(θ) @ flatten(t) == reshape(jvp(θ, t), (-1,))`` (one column order everywhere);
* each subclass's fast ``jacobian``/``gram`` equals the base class's generic one (N JVPs);
* ⟨J t, r⟩ = ⟨t, Jᵀ r⟩.
"""
import numpy as np
import pytest

import cstheory as cst
from cstheory import _backend as B
from cstheory.generator import Generator, Iterate
from cstheory.testing import assert_allclose, inner


def _generators(xp):
    """(name, generator, θ) for every generator kind, with an asymmetric kernel and odd sizes."""
    u = B.asarray(np.random.default_rng(1).standard_normal(7), xp=xp)   # asymmetric: complex û
    two = cst.TwoLayerGenerator(u, 4)
    lin = cst.LinearGenerator(B.normal((5, 9), rng=2, xp=xp))
    dd1 = cst.DeepDecoder(9, channels=4, layers=2, output="fixed", xp=xp)
    dd2 = cst.DeepDecoder((5, 6), channels=3, layers=2, output="conv", sigmoid=True, xp=xp)
    dd3 = cst.DeepDecoder((4, 5), channels=2, layers=1, output="conv", out_channels=2, xp=xp)
    out = []
    for name, gen, scale in (("two-layer", two, 1.0), ("linear", lin, 1.0), ("dd-1d-fixed", dd1, None),
                             ("dd-2d-conv", dd2, None), ("dd-2d-2ch", dd3, None)):
        out.append((name, gen, gen.init(rng=3, scale=scale)))
    return out


def test_jacobian_times_flatten_is_the_jvp_for_every_generator(xp):
    for name, gen, theta in _generators(xp):
        t = B.normal(gen.param_shape, rng=5, xp=xp)
        r = B.normal(gen.output_shape, rng=6, xp=xp)
        Jt = gen.jvp(theta, t)
        assert tuple(Jt.shape) == tuple(gen.output_shape), name
        Jr = gen.vjp(theta, r)
        assert tuple(Jr.shape) == tuple(gen.param_shape), name
        J = gen.jacobian(theta)
        assert tuple(J.shape) == (gen.n, gen.num_params), name
        assert_allclose(J @ gen.flatten(t), xp.reshape(Jt, (-1,)), rtol=1e-12, atol=1e-12)
        assert_allclose(gen.flatten(Jr), xp.matrix_transpose(J) @ xp.reshape(r, (-1,)), rtol=1e-12, atol=1e-12)
        assert abs(inner(Jt, r) - inner(t, Jr)) <= 1e-12 * (1 + float(np.abs(cst.to_numpy(J)).sum()))


def test_the_fast_jacobian_and_gram_equal_the_generic_ones(xp):
    for name, gen, theta in _generators(xp):
        generic = Generator.jacobian(gen, theta)
        assert_allclose(gen.jacobian(theta), generic, rtol=1e-12, atol=1e-12)
        assert_allclose(gen.gram(theta), Generator.gram(gen, theta), rtol=1e-12, atol=1e-12)


def test_flatten_is_the_column_by_column_vec_of_eq20(xp):
    """For C = [c_1, …, c_k] (n × k) the vec is [c_1; …; c_k]; a 1-D θ is its own vec."""
    u = B.asarray(np.arange(1.0, 6.0), xp=xp)
    gen = cst.TwoLayerGenerator(u, 2)
    C = B.asarray(np.arange(10.0).reshape(5, 2), xp=xp)
    assert_allclose(gen.flatten(C), np.r_[np.arange(0.0, 10.0, 2), np.arange(1.0, 10.0, 2)], rtol=0, atol=0)
    assert_allclose(gen.unflatten(gen.flatten(C)), C, rtol=0, atol=0)
    dd = cst.DeepDecoder(6, channels=2, layers=1, xp=xp)
    theta = dd.init(rng=0)
    assert_allclose(dd.flatten(theta), theta, rtol=0, atol=0)
    assert_allclose(dd.unflatten(theta), theta, rtol=0, atol=0)
    with pytest.raises(ValueError, match="vec must have shape"):
        gen.unflatten(xp.zeros(3))
    with pytest.raises(ValueError, match="params must have shape"):
        gen.flatten(xp.zeros((2, 5)))


def test_the_plain_iterate_moves_theta():
    gen = cst.LinearGenerator(np.eye(3))
    it = Iterate(gen, np.ones(3))
    it.add(-0.5, np.array([2.0, 0.0, -2.0]))
    assert_allclose(it.params, [0.0, 1.0, 2.0], rtol=0, atol=0)
    x, vjp = it.forward_vjp()
    assert_allclose(x, [0.0, 1.0, 2.0], rtol=0, atol=0)
    assert_allclose(vjp(np.array([1.0, 2.0, 3.0])), [1.0, 2.0, 3.0], rtol=0, atol=0)


def test_an_iterate_takes_the_same_pass_without_checking_theta_again(xp):
    """An optimizer's iterate calls ``gen._forward_vjp``: the same G(θ) and J(θ)ᵀ r, bit for bit, as the checked
    ``forward_vjp``, for every generator; θ is not reduced over again (a NaN θ there gives a NaN output, where
    ``forward_vjp`` names it), and neither is the cotangent (a NaN r gives a NaN gradient, where ``forward_vjp``'s
    VJP names it).  Every VJP, the two-layer GD iterate's too, refuses a cotangent of another shape (a (1,) r
    once broadcast silently)."""
    for name, gen, theta in _generators(xp):
        r = B.normal(gen.output_shape, rng=6, xp=xp)
        x, vjp = gen.forward_vjp(theta)
        it = Iterate(gen, theta)
        x_it, vjp_it = it.forward_vjp()
        np.testing.assert_array_equal(cst.to_numpy(x_it), cst.to_numpy(x), err_msg=name)
        np.testing.assert_array_equal(cst.to_numpy(vjp_it(r)), cst.to_numpy(vjp(r)), err_msg=name)
        np.testing.assert_array_equal(cst.to_numpy(vjp_it(xp.reshape(r, (-1,)))), cst.to_numpy(vjp(r)), err_msg=name)
        bad = B.asarray(np.where(np.arange(gen.num_params).reshape(cst.to_numpy(theta).shape) == 0, np.nan,
                                 cst.to_numpy(theta)), xp=xp)
        with pytest.raises(ValueError, match="params contains non-finite"):
            gen.forward_vjp(bad)
        assert np.isnan(cst.to_numpy(Iterate(gen, bad).forward_vjp()[0])).any(), name
        nan_r = B.asarray(np.full(tuple(gen.output_shape), np.nan), xp=xp)
        assert np.isnan(cst.to_numpy(vjp_it(nan_r))).all(), name
        with pytest.raises(ValueError, match=r"^cotangent contains non-finite"):
            vjp(nan_r)                                       # forward_vjp's VJP checks r as vjp() does
        vjps = [vjp, vjp_it] + ([gen.gd_iterate(theta).forward_vjp()[1]] if name == "two-layer" else [])
        for f in vjps:                                       # r's shape is checked on every path: no broadcasting
            for shape in ((1,), (gen.n + 1,)):
                if name == "linear" and f is vjp_it:         # Jᵀ r refuses it itself (the iterate does not check r)
                    with pytest.raises((ValueError, TypeError)):
                        f(xp.ones(shape, dtype=theta.dtype))
                    continue
                with pytest.raises(ValueError, match=r"^cotangent must have shape"):
                    f(xp.ones(shape, dtype=theta.dtype))


def test_repr_names_shapes_dtype_and_backend(xp):
    gen = cst.TwoLayerGenerator(B.asarray(np.ones(4), xp=xp, dtype="float32"), 2)
    text = repr(gen)
    assert "TwoLayerGenerator" in text and "(4, 2)" in text and "float32" in text
    assert B.backend_name(xp) in text


# ---------------------------------------------------------------------------
# input contract (issue 14)
# ---------------------------------------------------------------------------
def test_flatten_and_unflatten_check_what_they_get():
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(6, 2), 4)
    with pytest.raises(TypeError, match="params must be an array"):
        gen.flatten([[0.0] * 4] * 6)
    with pytest.raises(TypeError, match="vec must be a real floating array"):
        gen.unflatten(np.zeros(24, dtype=np.int64))
    with pytest.raises(ValueError, match=r"vec must have shape \(24,\)"):
        gen.unflatten(np.zeros(23))
    import array_api_strict as strict
    with pytest.raises(TypeError, match="vec is a array_api_strict array but the generator was built on numpy"):
        gen.unflatten(strict.zeros(24, dtype=strict.float64))


@pytest.mark.parametrize("max_bytes, exc", [(0, ValueError), (-5, ValueError), (2.5, TypeError), ("1", TypeError)])
def test_jacobian_max_bytes_is_a_positive_integer(max_bytes, exc):
    gen = cst.TwoLayerGenerator(cst.kernels.triangular(6, 2), 4)
    with pytest.raises(exc, match="max_bytes"):
        gen.jacobian(gen.init(rng=0, scale=0.1), max_bytes=max_bytes)


def test_check_generator():
    from cstheory.generator import check_generator

    gen = cst.LinearGenerator(np.eye(2))
    assert check_generator(gen) is gen
    with pytest.raises(TypeError, match="gen must be a cstheory generator"):
        check_generator(np.eye(2))


def test_the_generic_jacobian_needs_memory_of_the_jacobian_only():
    """The base class's Jacobian builds unit vectors one at a time: for n = 4, N = 20000 its peak traced
    memory stays near the 640 KB of J (it was 3.2 GB with an N × N identity)."""
    import tracemalloc

    W = np.random.default_rng(0).standard_normal((4, 20000))

    class Lin(Generator):
        output_shape, param_shape, xp, dtype = (4,), (20000,), B.resolve_namespace("numpy"), np.float64

        def init(self, rng=0, scale=None, y=None):
            return np.zeros(self.param_shape)

        def forward(self, p):
            return W @ p

        def jvp(self, p, t):
            return W @ t

        def vjp(self, p, r):
            return W.T @ r

    gen = Lin()
    tracemalloc.start()
    J = gen.jacobian(np.zeros(20000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_array_equal(J, W)
    assert peak < 4 * W.nbytes


# ---------------------------------------------------------------------------
# the base class's generic parts on a generator that overrides nothing (mutation testing)
# ---------------------------------------------------------------------------
class _Square(Generator):
    """G(θ) = θ ∘ θ entry by entry, J(θ) = diag(2θ); only the four required methods."""

    def __init__(self, shape, xp=None, dtype=None, device=None):
        self.param_shape = self.output_shape = tuple(shape)
        self.xp, self.dtype, self.device = xp, dtype, device

    def init(self, rng=0, scale=None, y=None):
        return B.normal(self.param_shape, rng=rng, xp=self.xp, dtype=self.dtype, device=self.device)

    def forward(self, params):
        return params * params

    def jvp(self, params, tangent):
        return 2 * params * tangent

    def vjp(self, params, cotangent):
        return 2 * params * self.check_cotangent(cotangent)


def test_generic_call_forward_vjp_and_jacobian(xp):
    """gen(θ) = forward(θ), forward_vjp = (G(θ), r ↦ Jᵀ r), and the generic Jacobian is diag(2 vec θ) for θ² with
    a 2-D θ (columns in vec order).

    kills mutants: xǁGeneratorǁ__call____mutmut_1, xǁGeneratorǁforward_vjp__mutmut_1 … 6."""
    gen = _Square((3, 2), xp=xp, dtype=xp.float64)
    theta = gen.init(rng=1)
    th = cst.to_numpy(theta)
    assert_allclose(gen(theta), th**2, rtol=0, atol=0)
    x, vjp = gen.forward_vjp(theta)
    assert_allclose(x, th**2, rtol=0, atol=0)
    r = B.normal((3, 2), rng=2, xp=xp)
    assert_allclose(vjp(r), 2 * th * cst.to_numpy(r), rtol=0, atol=0)
    J = cst.to_numpy(gen.jacobian(theta))
    rows = np.arange(6).reshape(3, 2)          # row-major output positions
    want = np.zeros((6, 6))
    for col, (i, j) in enumerate((i, j) for j in range(2) for i in range(3)):   # vec order: column by column
        want[rows[i, j], col] = 2 * th[i, j]
    np.testing.assert_array_equal(J, want)


def test_generic_jacobian_keeps_dtype_and_device():
    """The unit vectors e_j of the generic Jacobian follow θ's dtype and device (array_api_strict refuses a mix
    of devices; a float64 e_j would promote a float32 Jacobian).

    kills mutants (numbered as in the rerun on the current tree): xǁGeneratorǁjacobian__mutmut_12, 13, 16, 17, 19, 20,
    23, 24, 26, 27."""
    import array_api_strict as xs
    gen = _Square((4,), xp=xs, dtype=xs.float32)
    assert gen.jacobian(gen.init(rng=0)).dtype == xs.float32
    dev = xs.Device("device1")
    gen = _Square((6,), xp=xs, dtype=xs.float64, device=dev)
    theta = gen.init(rng=0)
    J = gen.jacobian(theta)
    assert J.device == dev
    np.testing.assert_array_equal(np.diag(cst.to_numpy(xs.asarray(J, device=xs.Device("CPU_DEVICE")))),
                                  2 * cst.to_numpy(xs.asarray(gen.flatten(theta), device=xs.Device("CPU_DEVICE"))))


def test_jacobian_size_limit_counts_four_or_eight_bytes_per_entry(monkeypatch):
    """The explicit J has n·N entries of 4 (float32) or 8 (float64) bytes: exactly max_bytes is allowed, one byte
    less refused, with the sizes in GiB; the memory check asks for twice that (J and its pieces).

    kills mutants: xǁGeneratorǁ_check_jacobian_size__mutmut_6, 9 … 28, 30, 33 … 37."""
    for dtype, size in ((np.float32, 4), (np.float64, 8)):
        gen = _Square((5,), xp=B.resolve_namespace("numpy"), dtype=dtype)
        theta = gen.init(rng=0)
        assert gen.jacobian(theta, max_bytes=25 * size).shape == (5, 5)
        with pytest.raises(ValueError, match=r"^the explicit Jacobian would take 0\.00 GiB \(n=5, N=5\)"):
            gen.jacobian(theta, max_bytes=25 * size - 1)
    big = _Square((40000,), xp=B.resolve_namespace("numpy"), dtype=np.float64)
    with pytest.raises(ValueError, match=r"^the explicit Jacobian would take 11\.92 GiB \(n=40000, N=40000\), "
                                         r"above max_bytes=1\.50 GiB; use jvp/vjp/gram instead or raise max_bytes$"):
        big.jacobian(np.ones(40000), max_bytes=3 * 2**29)
    with pytest.raises(ValueError, match=r"^max_bytes must be"):
        big.jacobian(np.ones(40000), max_bytes=0)
    gen = _Square((100,), xp=B.resolve_namespace("numpy"), dtype=np.float64)   # J: 80 000 bytes
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "200000")
    assert gen.jacobian(gen.init(rng=0)).shape == (100, 100)
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", "150000")
    with pytest.raises(ValueError, match=r"^jacobian \(max_bytes=\d+\): the explicit \(100, 100\) Jacobian and its "
                                         r"pieces needs"):
        gen.jacobian(gen.init(rng=0))


def test_check_params_and_cotangent_name_what_is_wrong():
    """kills mutants: xǁGeneratorǁcheck_cotangent__mutmut_1, 2, 3, 4, 6, 8, 14 … 22; xǁGeneratorǁcheck_params__mutmut_14;
    xǁGeneratorǁunflatten__mutmut_3, 6."""
    import array_api_strict as xs
    flat = _Square((4,), xp=B.resolve_namespace("numpy"), dtype=np.float64)
    with pytest.raises(ValueError, match=r"^cotangent must have shape \(4,\), got \(3,\)$"):
        flat.check_cotangent(np.zeros(3))
    square = _Square((2, 3), xp=B.resolve_namespace("numpy"), dtype=np.float64)
    with pytest.raises(ValueError, match=r"^cotangent must have shape \(2, 3\) \(or \(6,\)\), got \(3, 2\)$"):
        square.check_cotangent(np.zeros((3, 2)))
    assert square.check_cotangent(np.arange(6.0)).shape == (2, 3)
    with pytest.raises(TypeError, match=r"^cotangent must be an array"):
        square.check_cotangent([0.0] * 6)
    with pytest.raises(TypeError, match=r"^cotangent is a array_api_strict array but the generator was built on numpy$"):
        square.check_cotangent(xs.zeros(6, dtype=xs.float64))
    with pytest.raises(TypeError, match=r"^params is a array_api_strict array but the generator was built on numpy$"):
        square.check_params(xs.zeros((2, 3), dtype=xs.float64))
    with pytest.raises(ValueError, match=r"^vec must be 1-D"):
        square.unflatten(np.zeros((6, 1)))
    nan = np.full(6, np.nan)
    with pytest.raises(ValueError, match=r"^cotangent contains non-finite values"):
        square.check_cotangent(nan)                       # finite=True by default
    assert np.isnan(square.check_cotangent(nan, finite=False)).all()
    with pytest.raises(TypeError, match=r"^finite must be True or False, got int 0$"):
        square.check_cotangent(nan, finite=0)
    dd = cst.DeepDecoder(6, channels=2, layers=1, dtype=np.float32)       # strict dtype
    with pytest.raises(TypeError, match=r"^cotangent must have the generator's dtype float32, got float64"):
        dd.check_cotangent(np.zeros(6))


def test_repr_of_a_generator_without_backend_and_of_numpy():
    """kills mutants: xǁGeneratorǁ__repr____mutmut_8, 11, 14, 15, 16, 17; x_check_generator__mutmut_5."""
    from cstheory.generator import check_generator
    assert repr(_Square((2,), dtype=np.float64)).endswith("dtype=float64, backend=?)")
    assert repr(_Square((2,), xp=B.resolve_namespace("numpy"), dtype=np.float64)).endswith(", backend=numpy)")
    with pytest.raises(TypeError, match=r"got ndarray$"):
        check_generator(np.eye(2))
