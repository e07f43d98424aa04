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
