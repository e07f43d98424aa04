"""The peers of the benchmarks: the same losses written in PyTorch (autograd) and JAX (``jit(grad)``).

Each peer is what a user of that framework would write: the forward map in the framework's own
operators, the gradient by its automatic differentiation, the update by its optimizer.  They are
also independent oracles: the benchmarks check that their iterates equal ours.

* :class:`TorchTwoLayer`, :class:`JaxTwoLayer` — ½‖A ReLU(U C) v − y‖² with U C by real FFTs (eq. 3).
* :class:`TorchDeepDecoder` — the deep decoder of eq. (4) the PyTorch way: ``F.conv2d`` 1×1
  convolutions, ``F.interpolate(mode="bilinear", align_corners=False)``, ``F.batch_norm`` in
  training mode as the channel normalisation, plain SGD or ``torch.optim.Adam``.

The frameworks are optional: :func:`get_torch` and :func:`get_jax` return an error string when one is
not installed, and the benchmarks print it instead of a timing.
"""
from __future__ import annotations

import os

import numpy as np

import cstheory as cst

from . import _timing

_TORCH = None
_JAX = None


def get_torch():
    """PyTorch (with ``_timing.THREADS`` intra-op threads where ``run.py`` fixed a count, else its
    default), or an error string."""
    global _TORCH
    if _TORCH is None:
        try:
            import torch
            _TORCH = torch
        except ImportError as exc:
            _TORCH = f"torch not installed ({exc}); pip install -e '.[bench]'"
    if not isinstance(_TORCH, str) and os.environ.get("CSTHEORY_BENCH_THREADS"):
        _TORCH.set_num_threads(_timing.THREADS)
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


def _host(a):
    return np.ascontiguousarray(cst.to_numpy(a))


# ---------------------------------------------------------------------------
# the two-layer generator
# ---------------------------------------------------------------------------
class TorchTwoLayer:
    """½‖A ReLU(U C) v − y‖² in PyTorch, differentiated by autograd: C stored channel-major (k, n),
    FFTs along the last axis, one SGD step ``C ← C − η ∇``."""

    def __init__(self, p, dtype, device="cpu"):
        torch = get_torch()
        self.torch = torch
        td = getattr(torch, dtype)
        t = lambda a: torch.as_tensor(_host(a), dtype=td, device=device)  # noqa: E731
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


# ---------------------------------------------------------------------------
# the deep decoder
# ---------------------------------------------------------------------------
class TorchDeepDecoder:
    """The deep decoder of eq. (4) written the PyTorch way, on one image (batch of 1, NCHW).

    ``F.conv2d`` with 1×1 kernels for the channel mixing, ``F.interpolate`` (half-pixel linear /
    bilinear, ``align_corners=False``) for the upsampling, ``F.batch_norm`` in training mode on the
    single image as the channel normalisation (``channels_last=True``: NHWC storage of the input and
    the weights, so every activation is channels-last); separate leaf tensors for C_i, γ_i, β_i; the loss
    ½‖A x − y‖² (A = I when ``A is None``) differentiated by autograd; ``torch.optim.SGD`` (plain GD)
    or ``torch.optim.Adam`` (the defaults β = (0.9, 0.999), ε = 1e-8 of cstheory.optim.Adam).
    """

    def __init__(self, gen, theta0, A, y, step_size, dtype, optimizer="gd", channels_last=False):
        torch = get_torch()
        self.torch, self.gen = torch, gen
        td = getattr(torch, dtype)
        t = lambda a: torch.tensor(_host(a), dtype=td)  # noqa: E731  (a copy: the optimizer updates in place)
        pieces = gen.unpack(theta0)
        # C_i (k_in × k_out) acts as B C_i: the conv2d weight is C_iᵀ as (k_out, k_in, 1, 1)
        self.W = [t(c.T)[:, :, None, None].clone().requires_grad_(True) for c in pieces["C"]]
        self.scale = [t(s).requires_grad_(True) for s in pieces["scale"]]
        self.shift = [t(s).requires_grad_(True) for s in pieces["shift"]]
        self.input = t(gen.input)[None]                     # (1, k, *n_0)
        if channels_last and len(gen.spatial_shape) == 2:   # NHWC storage of the input and the weights
            self.input = self.input.contiguous(memory_format=torch.channels_last)
            self.W = [w.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True) for w in self.W]
        leaves = self.W + self.scale + self.shift
        self.A = None if A is None else t(A)
        self.y = t(y).reshape(-1)
        self.v = None if gen.v is None else t(gen.v)
        self.mode = "linear" if len(gen.spatial_shape) == 1 else "bilinear"
        self.conv = torch.nn.functional.conv1d if len(gen.spatial_shape) == 1 else torch.nn.functional.conv2d
        if optimizer == "gd":
            self.opt = torch.optim.SGD(leaves, lr=step_size)
        else:
            self.opt = torch.optim.Adam(leaves, lr=step_size, betas=(0.9, 0.999), eps=1e-8)

    def forward(self):
        torch, gen = self.torch, self.gen
        F = torch.nn.functional
        squeeze = (lambda w: w[..., 0]) if len(gen.spatial_shape) == 1 else (lambda w: w)  # noqa: E731
        B = self.input
        for i in range(gen.layers):
            Z = F.interpolate(self.conv(B, squeeze(self.W[i])), size=gen.sizes[i + 1], mode=self.mode,
                              align_corners=False)
            B = F.batch_norm(torch.relu(Z), None, None, self.scale[i], self.shift[i], training=True, eps=gen.eps)
        Zout = self.conv(B, squeeze(self.W[-1]))[0]
        if gen.output == "fixed":
            x = torch.tensordot(self.v, torch.relu(Zout), dims=([0], [0]))
        else:
            x = torch.sigmoid(Zout) if gen.sigmoid else Zout
        return x.reshape(-1)

    def step(self):
        x = self.forward()
        r = (x if self.A is None else self.A @ x) - self.y
        self.opt.zero_grad(set_to_none=True)
        (0.5 * self.torch.dot(r, r)).backward()
        self.opt.step()

    def params(self):
        """θ packed in cstheory's order (host float64)."""
        f64 = lambda a: a.detach().numpy().astype(np.float64)  # noqa: E731
        C = [f64(w.reshape(w.shape[0], w.shape[1])).T for w in self.W]
        return _host(self.gen.pack(C, [f64(s) for s in self.scale], [f64(s) for s in self.shift]))


class JaxDeepDecoder:
    """The deep decoder of eq. (4) in JAX: the loss ½‖A x − y‖² of θ = [(C_i, γ_i, β_i)…, C_d] written
    with ``jnp`` (1×1 convolutions as ``C_iᵀ B`` matrix products, the channel normalisation by hand, as
    ``flax.linen.BatchNorm`` computes it) and the whole step — ``jax.grad`` and the update — under one
    ``jax.jit``.  The update is plain GD or Adam written out (optax's ``adam`` formulas, β = (0.9,
    0.999), ε = 1e-8), so it fuses into the compiled step.

    ``upsample="resize"`` uses ``jax.image.resize(…, method="bilinear")`` (half-pixel centres; for
    upsampling its renormalised edge weights equal the clamp of PyTorch's ``align_corners=False``);
    ``upsample="matrix"`` applies the per-axis interpolation matrices with ``jnp.einsum``.  The
    benchmark uses the faster of the two (see :data:`JAX_UPSAMPLE`).
    """

    def __init__(self, gen, theta0, A, y, step_size, dtype, optimizer="gd", upsample="matrix"):
        jax = get_jax()
        jnp = jax.numpy
        dt = getattr(jnp, dtype)
        self.gen, self.jax = gen, jax
        pieces = gen.unpack(theta0)
        k, d = gen.channels, gen.layers
        j = lambda a: jnp.asarray(_host(a), dtype=dt)  # noqa: E731
        params = {"C": [j(c) for c in pieces["C"]], "scale": [j(s) for s in pieces["scale"]],
                  "shift": [j(s) for s in pieces["shift"]]}
        B0 = j(gen.input).reshape(k, -1)
        sizes = gen.sizes
        mats = [tuple(j(cst.deep_decoder.interpolation_matrix(a, b)) for a, b in zip(sizes[i], sizes[i + 1]))
                for i in range(d)]
        two_d = len(gen.spatial_shape) == 2
        Amat = None if A is None else j(A)
        yv = j(y).reshape(-1)
        v = None if gen.v is None else j(gen.v)
        eps, output, sig = gen.eps, gen.output, gen.sigmoid

        def up(Y, i):
            Ysp = Y.reshape(k, *sizes[i])
            if upsample == "resize":
                return jax.image.resize(Ysp, (k, *sizes[i + 1]), method="bilinear").reshape(k, -1)
            if two_d:
                Uh, Uw = mats[i]
                return jnp.einsum("ab,kbc,dc->kad", Uh, Ysp, Uw).reshape(k, -1)
            return Ysp @ mats[i][0].T

        def forward(p):
            B = B0
            for i in range(d):
                A_ = jax.nn.relu(up(p["C"][i].T @ B, i))
                mu = jnp.mean(A_, axis=-1, keepdims=True)
                var = jnp.mean(jnp.square(A_ - mu), axis=-1, keepdims=True)
                B = (A_ - mu) * jax.lax.rsqrt(var + eps) * p["scale"][i][:, None] + p["shift"][i][:, None]
            Z = p["C"][-1].T @ B
            if output == "fixed":
                return v @ jax.nn.relu(Z)
            return (jax.nn.sigmoid(Z) if sig else Z).reshape(-1)

        def loss(p):
            x = forward(p)
            r = (x if Amat is None else Amat @ x) - yv
            return 0.5 * jnp.dot(r, r)

        eta = step_size
        if optimizer == "gd":
            def step(p, state):
                g = jax.grad(loss)(p)
                return jax.tree_util.tree_map(lambda a, b: a - eta * b, p, g), state
            state = None
        else:
            b1, b2, e = 0.9, 0.999, 1e-8

            def step(p, state):
                m1, m2, t = state
                g = jax.grad(loss)(p)
                t = t + 1
                m1 = jax.tree_util.tree_map(lambda m, gi: b1 * m + (1 - b1) * gi, m1, g)
                m2 = jax.tree_util.tree_map(lambda m, gi: b2 * m + (1 - b2) * gi * gi, m2, g)
                c1, c2 = 1 - b1 ** t, 1 - b2 ** t
                p = jax.tree_util.tree_map(lambda a, m, s: a - eta * (m / c1) / (jnp.sqrt(s / c2) + e), p, m1, m2)
                return p, (m1, m2, t)
            zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
            state = (zeros, jax.tree_util.tree_map(jnp.zeros_like, params), jnp.asarray(0, dtype=dt))
        self._step = jax.jit(step, donate_argnums=(0, 1))
        self.p, self.state = params, state

    def step(self):
        self.p, self.state = self._step(self.p, self.state)

    def sync(self):
        self.jax.block_until_ready(self.p)

    def params(self):
        """θ packed in cstheory's order (host float64)."""
        f64 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
        return _host(self.gen.pack([f64(c) for c in self.p["C"]], [f64(s) for s in self.p["scale"]],
                                   [f64(s) for s in self.p["shift"]]))
