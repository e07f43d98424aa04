"""The generator contract shared by the linear, two-layer and deep-decoder generators (floor 3).

A generator G maps parameters θ — an array of shape ``param_shape`` — to a
signal x = G(θ) of shape ``output_shape``.  Everything gradient descent and the
theory need is the forward map and its derivative J(θ) = ∂G/∂θ:

===========================  =================================================  ==========================
method                       returns                                            shape
===========================  =================================================  ==========================
``init(rng, scale, y)``      a starting point θ₀                                ``param_shape``
``forward(θ)``, ``gen(θ)``   x = G(θ)                                           ``output_shape``
``jvp(θ, t)``                J(θ) t  (``t`` shaped like θ)                      ``output_shape``
``vjp(θ, r)``                J(θ)ᵀ r  (``r`` shaped like the output)            ``param_shape``
``forward_vjp(θ)``           (G(θ), r ↦ J(θ)ᵀ r) sharing one forward pass       —
``flatten(θ)``               vec θ, entries in vec order (below)                (N,)
``unflatten(vec)``           the inverse of ``flatten``                         ``param_shape``
``jacobian(θ)``              the explicit matrix J(θ)                           (n, N)
``gram(θ)``                  J(θ) J(θ)ᵀ                                         (n, n)
``smoothness_bound()``       b with ‖J(θ)‖² ≤ b for all θ, or ``None``          float
===========================  =================================================  ==========================

with n = ``prod(output_shape)`` and N = ``prod(param_shape)``.

**One order for every explicit Jacobian.**  Parameters are vectorised column
by column, as in eq. (20): for the two-layer generator θ = C ∈ R^{n×k} and
vec θ = [c_1; …; c_k].  In general ``flatten`` reads θ in column-major
(Fortran) order; a one-dimensional θ is its own vec.  The rows of J(θ) follow
the row-major flattening of the output.  So, for every generator and every
tangent t,

    jacobian(θ) @ flatten(t) == reshape(jvp(θ, t), (-1,)).

The base class supplies generic ``forward_vjp``, ``flatten``/``unflatten``,
``jacobian`` (one JVP per parameter, column j = J(θ) unflatten(e_j)) and
``gram`` (through the Jacobian); subclasses override them with faster
formulas where the maths gives one, and a test checks, for every generator,
that the fast and the generic versions agree.

Optimizers (:mod:`cstheory.optim`) only use ``forward_vjp``; a generator may
additionally offer a cheaper gradient-descent step through its own iterate
object (the two-layer generator keeps C in the Fourier domain, see
:meth:`cstheory.TwoLayerGenerator.gd_iterate`).  :class:`Iterate` is the
plain version of that object.
"""
from __future__ import annotations

import math

from . import _checks
from ._backend import backend_name, dtype_name, itemsize, namespace, same_backend

__all__ = ["Generator", "Iterate", "DEFAULT_MAX_JACOBIAN_BYTES", "check_generator"]

#: Explicit Jacobians above this many bytes are refused (2 GiB).
DEFAULT_MAX_JACOBIAN_BYTES = 2 * 1024**3


class Generator:
    """Base class of the generator contract (see the module docstring for the table of methods).

    Subclasses set ``param_shape``, ``output_shape``, ``xp``, ``dtype`` and
    ``device`` and implement :meth:`init`, :meth:`forward`, :meth:`jvp` and
    :meth:`vjp`; the rest has generic defaults.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> class Square(cst.Generator):
    ...     # G(θ) = θ², entry by entry, so J(θ) = diag(2θ)
    ...     def __init__(self, n):
    ...         self.param_shape = self.output_shape = (n,)
    ...         self.dtype = np.float64
    ...     def init(self, rng=0, scale=None, y=None):
    ...         return np.random.default_rng(rng).standard_normal(self.param_shape)
    ...     def forward(self, params):
    ...         return params ** 2
    ...     def jvp(self, params, tangent):
    ...         return 2 * params * tangent
    ...     def vjp(self, params, cotangent):
    ...         return 2 * params * cotangent
    ...
    >>> gen = Square(3)
    >>> theta = np.array([1.0, -2.0, 0.5])
    >>> gen.jacobian(theta)                 # the generic Jacobian: one JVP per column
    array([[ 2.,  0.,  0.],
           [-0., -4., -0.],
           [ 0.,  0.,  1.]])
    >>> print(gen.gram(theta).diagonal())   # J Jᵀ
    [ 4. 16.  1.]
    >>> gen
    Square(output_shape=(3,), param_shape=(3,), dtype=float64, backend=?)
    """

    #: shape of the parameter array θ
    param_shape: tuple[int, ...]
    #: shape of the output G(θ)
    output_shape: tuple[int, ...]
    xp = None
    dtype = None
    device = None
    #: refuse θ, tangents and cotangents of another dtype than ``dtype`` (a generator whose fixed operators
    #: hold one dtype and cannot mix); False: NumPy's promotion rules apply
    strict_dtype = False

    # -- sizes ---------------------------------------------------------
    @property
    def n(self) -> int:
        """Output dimension n: the number of entries of G(θ)."""
        return math.prod(self.output_shape)

    @property
    def num_params(self) -> int:
        """N, the number of parameters (entries of θ)."""
        return math.prod(self.param_shape)

    def __repr__(self) -> str:
        backend = getattr(self.xp, "__name__", "?").replace("array_api_compat.", "")
        dtype = dtype_name(self.dtype)
        return (f"{type(self).__name__}(output_shape={tuple(self.output_shape)}, "
                f"param_shape={tuple(self.param_shape)}, dtype={dtype}, backend={backend})")

    # -- the contract: subclasses implement these four ---------------------
    def init(self, rng=0, scale=None, y=None):  # pragma: no cover - abstract
        """A starting point θ₀ of shape ``param_shape``.

        Parameters
        ----------
        rng : int or numpy.random.Generator
            Seed of the random draw (made on the host, the same on every backend).
        scale : float, optional
            Standard deviation of the random entries; each generator documents its default.
        y : array, optional
            The measurements, for generators whose default scale depends on ‖y‖.
        """
        raise NotImplementedError

    def forward(self, params):  # pragma: no cover - abstract
        """x = G(θ), of shape ``output_shape``, for θ of shape ``param_shape``."""
        raise NotImplementedError

    def jvp(self, params, tangent):  # pragma: no cover - abstract
        """The Jacobian-vector product J(θ) t, of shape ``output_shape``, for t of shape ``param_shape``."""
        raise NotImplementedError

    def vjp(self, params, cotangent):  # pragma: no cover - abstract
        """The vector-Jacobian product J(θ)ᵀ r, of shape ``param_shape``, for r of shape ``output_shape``
        (a flat (n,) r is accepted too).  Hand-derived in every subclass."""
        raise NotImplementedError

    # -- generic parts -------------------------------------------------
    def __call__(self, params):
        return self.forward(params)

    def forward_vjp(self, params):
        """``(G(θ), vjp_fn)`` with ``vjp_fn(r) = J(θ)ᵀ r``; subclasses share the forward pass."""
        return self.forward(params), lambda r: self.vjp(params, r)

    def _forward_vjp(self, params, finite=False):
        """:meth:`forward_vjp` at a θ that needs no checking again: an optimizer's iterate (:class:`Iterate`),
        checked when the run started and moved since only by the run's own updates.  The built-in generators
        skip there the one check whose answer can change, θ's finiteness, and the cotangent's unless
        ``finite=True`` (two reductions: 2–5 % of a deep-decoder step at 32² and 64²); the cotangent's shape,
        dtype and backend are checked either way (the linear generator's Jᵀ r, a few µs, refuses another shape
        itself and checks r only where ``finite``).  A θ gone non-finite is the divergence that
        :class:`cstheory.fit.DivergenceMonitor` reports.  This default checks as :meth:`forward_vjp` does."""
        return self.forward_vjp(params)

    def smoothness_bound(self):
        """An upper bound b on ‖J(θ)‖² valid for *all* θ, or ``None`` if the generator has none.

        :func:`cstheory.fit` uses it for a safe default step size."""
        return None

    def flatten(self, params):
        """vec θ: the entries of θ in vec order (column by column, eq. 20), shape (N,).

        Column-major (Fortran) order of θ; for a one-dimensional θ this is θ itself."""
        self.check_params(params)
        xp = namespace(params)
        if params.ndim > 1:
            params = xp.permute_dims(params, tuple(range(params.ndim - 1, -1, -1)))
        return xp.reshape(params, (-1,))

    def unflatten(self, vec):
        """The inverse of :meth:`flatten`: a vector of length N back to an array of ``param_shape``."""
        _checks.array(vec, "vec", ndim=1)
        _checks.shape(vec, (self.num_params,), "vec")
        self._check_backend(vec, "vec")
        xp = namespace(vec)
        shape = self.param_shape
        if len(shape) > 1:
            out = xp.reshape(vec, tuple(reversed(shape)))
            return xp.permute_dims(out, tuple(range(len(shape) - 1, -1, -1)))
        return xp.reshape(vec, shape)

    def jacobian(self, params, max_bytes=DEFAULT_MAX_JACOBIAN_BYTES):
        """The explicit Jacobian J(θ), shape (n, N): column j = reshape(J(θ) unflatten(e_j), (n,)).

        Columns follow vec order (:meth:`flatten`), rows the row-major flattening of the
        output, so ``jacobian(θ) @ flatten(t) == reshape(jvp(θ, t), (-1,))``.  This
        generic version costs N JVPs; subclasses override it.  Refused with
        ``ValueError`` when the matrix would exceed ``max_bytes``.
        """
        params = self.check_params(params)
        self._check_jacobian_size(max_bytes)
        xp = namespace(params)
        device = getattr(params, "device", None)
        J = xp.zeros((self.n, self.num_params), dtype=params.dtype, device=device)
        unit = xp.zeros((self.num_params,), dtype=params.dtype, device=device)
        for j in range(self.num_params):          # one unit vector at a time: O(n·N) memory, never N × N
            unit[j] = 1.0
            J[:, j] = xp.reshape(self.jvp(params, self.unflatten(unit)), (-1,))
            unit[j] = 0.0
        return J

    def gram(self, params):
        """J(θ) J(θ)ᵀ, shape (n, n); the base class forms the Jacobian, subclasses avoid it."""
        J = self.jacobian(params)
        return J @ namespace(J).matrix_transpose(J)

    # -- checks --------------------------------------------------------
    def check_params(self, params, name="params"):
        """Check type, shape, finiteness and backend of θ (or of a tangent), and its dtype where
        :attr:`strict_dtype`; return it."""
        _checks.array(params, name)
        _checks.shape(params, self.param_shape, name)
        self._check_backend(params, name)
        self._check_dtype(params, name)
        return params

    def check_cotangent(self, cotangent, name="cotangent", finite=True):
        """Check a cotangent r (shape ``output_shape`` or flat (n,); finite unless ``finite=False``) and return it
        in ``output_shape``."""
        _checks.array(cotangent, name, finite=_checks.flag(finite, "finite"))
        self._check_backend(cotangent, name)
        self._check_dtype(cotangent, name)
        if tuple(cotangent.shape) not in ((self.n,), tuple(self.output_shape)):
            flat = "" if tuple(self.output_shape) == (self.n,) else f" (or ({self.n},))"
            raise ValueError(f"{name} must have shape {tuple(self.output_shape)}{flat}, got {tuple(cotangent.shape)}")
        return namespace(cotangent).reshape(cotangent, self.output_shape)

    def _check_dtype(self, x, name):
        if self.strict_dtype and x.dtype != self.dtype:
            want = dtype_name(self.dtype)
            got = dtype_name(x.dtype)
            raise TypeError(f"{name} must have the generator's dtype {want}, got {got}; convert it (e.g. "
                            f"{name}.astype(numpy.{want}) with NumPy) or build the generator with dtype={got!r}")

    def _check_backend(self, x, name):
        if self.xp is not None:
            got = namespace(x)
            if not same_backend(got, self.xp):
                raise TypeError(
                    f"{name} is a {backend_name(got)} array but the generator was built on {backend_name(self.xp)}"
                )

    def _check_jacobian_size(self, max_bytes):
        max_bytes = _checks.positive_int(max_bytes, "max_bytes")
        nbytes = itemsize(self.dtype)
        need = self.n * self.num_params * nbytes
        if need > max_bytes:
            raise ValueError(
                f"the explicit Jacobian would take {need / 2**30:.2f} GiB (n={self.n}, N={self.num_params}), "
                f"above max_bytes={max_bytes / 2**30:.2f} GiB; use jvp/vjp/gram instead or raise max_bytes"
            )
        _checks.memory(2 * need, f"jacobian (max_bytes={max_bytes}): the explicit ({self.n}, {self.num_params}) "
                                 "Jacobian and its pieces")



def check_generator(gen, name="gen"):
    """``gen`` if it is a cstheory generator (:class:`Generator`); ``TypeError`` naming ``name`` otherwise.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> from cstheory.generator import check_generator
    >>> check_generator(np.eye(3))
    Traceback (most recent call last):
        ...
    TypeError: gen must be a cstheory generator (LinearGenerator, TwoLayerGenerator, DeepDecoder or a subclass of cstheory.Generator), got ndarray
    """
    if not isinstance(gen, Generator):
        raise TypeError(f"{name} must be a cstheory generator (LinearGenerator, TwoLayerGenerator, DeepDecoder or a "
                        f"subclass of cstheory.Generator), got {type(gen).__name__}")
    return gen


class Iterate:
    """The current point θ of an optimizer, held in plain coordinates.

    An optimizer (:mod:`cstheory.optim`) asks it for the forward pass and the
    VJP at the current point and moves it along a direction:

    * :meth:`forward_vjp` → ``(G(θ), r ↦ J(θ)ᵀ r)``, the gradient *in the
      iterate's coordinates*;
    * :meth:`add` ``(alpha, d)``: θ ← θ + α d, with d in those coordinates;
    * :attr:`params`: θ itself.

    Gradient descent is the same iteration in any linear invertible change of
    coordinates s = E(θ) (s ← s − η E(∇L(θ))), so a generator may hand gradient
    descent an iterate that keeps s instead of θ when that makes a step cheaper
    (:meth:`cstheory.TwoLayerGenerator.gd_iterate`).  Adam, which acts entry by
    entry, always uses this plain one.
    """

    def __init__(self, gen, params):
        self.gen = gen
        self.state = params

    def forward_vjp(self):
        """``(G(θ), r ↦ J(θ)ᵀ r)`` at the current point (:meth:`Generator._forward_vjp`: θ is not checked again
        at every step)."""
        return self.gen._forward_vjp(self.state)

    def add(self, alpha, direction):
        """θ ← θ + α · direction.  A subclass may apply it later (in the next :meth:`forward_vjp`, where the
        pass reads θ anyway), as long as :attr:`params` and every later pass see the moved point
        (:class:`cstheory.two_layer.FourierIterate` does, for the direction its own VJP returned)."""
        self.state = self.state + alpha * direction

    @property
    def params(self):
        """θ, shaped ``gen.param_shape``."""
        return self.state
