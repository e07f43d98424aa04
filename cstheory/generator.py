"""The generator protocol shared by the linear, two-layer and deep-decoder generators (floor 3).

A generator G maps parameters θ (an array whose shape is the generator's
``param_shape``) to a signal x = G(θ) of shape ``output_shape``.  Everything
gradient descent needs is the forward map and its derivative:

======================  ======================================================
``init(rng, scale, y)``  a starting point θ₀
``forward(θ)``           x = G(θ)            (also ``gen(θ)``)
``jvp(θ, t)``            J(θ) t, flattened to (n,)
``vjp(θ, r)``            J(θ)ᵀ r, shaped like θ (hand-derived in every subclass)
``forward_vjp(θ)``       (G(θ), r ↦ J(θ)ᵀ r) sharing the forward pass (the GD hot path)
``jacobian(θ)``          the explicit n × N matrix, columns in vec order of θ
``gram(θ)``              J(θ) J(θ)ᵀ, n × n
======================  ======================================================

This base class supplies generic ``forward_vjp``, ``jacobian`` (one JVP per
parameter) and ``gram`` (through the Jacobian); subclasses override them with
faster formulas where the maths gives one.

Fast path for gradient descent (optional)
-----------------------------------------
Plain GD, θ ← θ − η ∇L(θ), is the same iteration in any linear invertible
change of coordinates s = E(θ): s ← s − η E(∇L(θ)).  A generator may
override ``encode`` (E), ``decode`` (E⁻¹) and ``forward_vjp_encoded(s)``
(returning G(θ) and r ↦ E(J_G(θ)ᵀ r)) when some E makes a step cheaper;
:func:`cstheory.fit` then iterates on s and decodes only when it records.
The two-layer generator keeps C in the Fourier domain this way, saving two
of the four FFTs of a step.  The defaults are the identity.
"""
from __future__ import annotations

import math

from . import _checks
from ._backend import namespace

__all__ = ["Generator", "DEFAULT_MAX_JACOBIAN_BYTES"]

#: Explicit Jacobians above this many bytes are refused (2 GiB).
DEFAULT_MAX_JACOBIAN_BYTES = 2 * 1024**3


class Generator:
    """Base class of the generator protocol (see the module docstring)."""

    #: shape of the parameter array θ
    param_shape: tuple[int, ...]
    #: shape of the output G(θ)
    output_shape: tuple[int, ...]
    xp = None
    dtype = None
    device = None

    # -- sizes ---------------------------------------------------------
    @property
    def n(self) -> int:
        """Output dimension (number of entries of G(θ))."""
        return math.prod(self.output_shape)

    @property
    def num_params(self) -> int:
        """N, the number of parameters."""
        return math.prod(self.param_shape)

    # -- protocol ------------------------------------------------------
    def init(self, rng=0, scale=None, y=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, params):  # pragma: no cover - abstract
        raise NotImplementedError

    def jvp(self, params, tangent):  # pragma: no cover - abstract
        raise NotImplementedError

    def vjp(self, params, cotangent):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, params):
        return self.forward(params)

    def forward_vjp(self, params):
        """``(G(θ), vjp_fn)`` with ``vjp_fn(r) = J(θ)ᵀ r``; subclasses share the forward pass."""
        return self.forward(params), lambda r: self.vjp(params, r)

    def encode(self, params):
        """Coordinates in which :func:`cstheory.fit` runs plain GD (default: θ itself)."""
        return params

    def decode(self, state):
        """Inverse of :meth:`encode` (default: identity)."""
        return state

    def forward_vjp_encoded(self, state):
        """``(G(θ), r ↦ encode(J_G(θ)ᵀ r))`` for θ = decode(state) (default: :meth:`forward_vjp`)."""
        return self.forward_vjp(self.decode(state))

    def smoothness_bound(self):
        """An upper bound on ‖J_G(θ)‖² valid for *all* θ, or ``None`` if the generator has none.

        :func:`cstheory.fit` uses it for a safe default step size."""
        return None

    def jacobian(self, params, max_bytes=DEFAULT_MAX_JACOBIAN_BYTES):
        """Explicit Jacobian (n × N), column j = J(θ) e_j, columns in vec order of θ."""
        params = self.check_params(params)
        self._check_jacobian_size(max_bytes)
        xp = namespace(params)
        flat = xp.reshape(params, (-1,))
        cols = []
        for j in range(self.num_params):
            e = xp.zeros_like(flat)
            e[j] = 1.0
            cols.append(xp.reshape(self.jvp(params, xp.reshape(e, self.param_shape)), (-1,)))
        return xp.stack(cols, axis=1)

    def gram(self, params):
        """J(θ) J(θ)ᵀ (n × n); the base class forms the Jacobian, subclasses avoid it."""
        J = self.jacobian(params)
        return J @ J.T

    # -- helpers -------------------------------------------------------
    def check_params(self, params, name="params"):
        """Check type, shape and finiteness of θ; return it."""
        _checks.array(params, name)
        _checks.shape(params, self.param_shape, name)
        if self.xp is not None:
            got = namespace(params)
            if got is not self.xp:
                raise TypeError(
                    f"{name} is a {got.__name__} array but the generator was built on {self.xp.__name__}"
                )
        return params

    def _check_jacobian_size(self, max_bytes):
        itemsize = 4 if "32" in str(self.dtype) else 8
        need = self.n * self.num_params * itemsize
        if need > max_bytes:
            raise ValueError(
                f"the explicit Jacobian would take {need / 2**30:.2f} GiB (n={self.n}, N={self.num_params}), "
                f"above max_bytes={max_bytes / 2**30:.2f} GiB; use jvp/vjp/gram instead or raise max_bytes"
            )
