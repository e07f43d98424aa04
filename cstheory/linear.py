"""The over-parameterized linear generator of Sec. 3 and its minimum-norm solution, eq. (5)."""
from __future__ import annotations

import math

import array_api_compat

from . import _checks
from ._backend import as_generator, backend_name, namespace, normal, same_backend
from .generator import Generator
from . import _numeric
from .operators import as_operator

__all__ = ["LinearGenerator", "min_norm_coefficients"]


class LinearGenerator(Generator):
    """The linear generator G̃(c) = J c of Sec. 3, J ∈ R^{n×N} (usually N ≥ n).

    Gradient descent on ½‖A J c − y‖² started from c = 0 stays in the row
    space of A J and converges to the minimum-norm solution of eq. (5),
    :func:`min_norm_coefficients`; that is why :meth:`init` returns zeros
    unless a ``scale`` is asked for.

    Parameters
    ----------
    J : array, shape (n, N)
        The generator matrix.

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> n, N, m = 16, 32, 8
    >>> J = np.random.default_rng(0).standard_normal((n, N)) / np.sqrt(N)
    >>> A = cst.gaussian_matrix(m, n, rng=1)
    >>> y = A @ cst.smooth_signal(n, 2, rng=2)
    >>> gen = cst.LinearGenerator(J)
    >>> res = cst.fit(gen, A, y, steps=3000)          # gradient descent from c = 0
    >>> c_hat = cst.min_norm_coefficients(A, J, y)    # eq. (5)
    >>> print(np.linalg.norm(res.params - c_hat) / np.linalg.norm(c_hat) < 1e-6)
    True
    >>> gen
    LinearGenerator(output_shape=(16,), param_shape=(32,), dtype=float64, backend=numpy)
    """

    def __init__(self, J):
        _checks.array(J, "J", ndim=2)
        self.J = J
        self.xp = namespace(J)
        self.dtype = J.dtype
        self.device = array_api_compat.device(J)
        n, N = J.shape
        self.output_shape = (int(n),)
        self.param_shape = (int(N),)

    def init(self, rng=0, scale=None, y=None):
        """c₀ = 0 (the start that makes GD converge to eq. (5)), or iid N(0, scale²) if ``scale`` > 0.

        ``y`` is accepted for protocol compatibility and ignored."""
        host_rng = as_generator(rng)
        scale = None if scale is None else _checks.positive_float(scale, "scale", allow_zero=True)
        if y is not None:
            _checks.array(y, "y", ndim=1)
        if scale is None or scale == 0:
            return self.xp.zeros(self.param_shape, dtype=self.dtype, device=self.device)
        return normal(self.param_shape, rng=host_rng, scale=scale, xp=self.xp, dtype=self.dtype, device=self.device)

    def forward(self, params):
        """G̃(c) = J c."""
        return self.J @ self.check_params(params)

    def jvp(self, params, tangent):
        """J t (the Jacobian of a linear map is the map itself)."""
        self.check_params(params)
        return self.J @ self.check_params(tangent, "tangent")

    def vjp(self, params, cotangent):
        """Jᵀ r."""
        self.check_params(params)
        return self.J.T @ self.check_cotangent(cotangent)

    def forward_vjp(self, params):
        """``(J c, r ↦ Jᵀ r)``."""
        return self._forward_vjp(self.check_params(params), finite=True)

    def _forward_vjp(self, params, finite=False):
        """:meth:`forward_vjp` without checking c again (:meth:`Generator._forward_vjp`); r is checked only where
        ``finite`` (forward_vjp's VJP): a step costs about 13 µs at n = 64 and the check 3.5, and Jᵀ r refuses
        a cotangent of another length itself."""
        return self.J @ params, lambda r: self.J.T @ (self.check_cotangent(r) if finite else r)

    def jacobian(self, params=None, max_bytes=None):
        """J itself (``params`` is ignored: the Jacobian does not depend on c)."""
        if params is not None:
            self.check_params(params)
        return self.J

    def gram(self, params=None):
        """J Jᵀ (``params`` is ignored, as for :meth:`jacobian`)."""
        if params is not None:
            self.check_params(params)
        return self.J @ self.J.T


def min_norm_coefficients(A, J, y, rcond=None):
    """The minimum-norm coefficients of eq. (5): ĉ = argmin ‖c‖₂ subject to A J c = y.

    Route: the thin SVD of M = A J = U S Vᵀ (``linalg.svd`` is in the array-API
    standard, ``lstsq`` is not), then ĉ = V S⁺ Uᵀ y = (A J)^† y.  Singular
    values below ``rcond · s_max`` count as zero, so a rank-deficient A J
    gives exactly the pseudo-inverse solution; a QR or normal-equation route
    would be cheaper but breaks down (or squares the condition number) there.
    For y = A J c*, ĉ = P_{JᵀAᵀ} c*, the projection of c* onto the row space
    of A J (the display below eq. (5)).

    Parameters
    ----------
    A : array (m, n) or LinearOperator
        Measurement matrix.
    J : array (n, N)
        Generator matrix.
    y : array (m,)
        Measurements.
    rcond : float, optional
        Relative cut-off for small singular values; default ``max(m, N) · eps``.

    Returns
    -------
    c : array (N,)

    Raises
    ------
    ValueError
        If the shapes do not chain (A is m × n, J is n × N, y has length m).

    Examples
    --------
    >>> import numpy as np, cstheory as cst
    >>> A = cst.gaussian_matrix(3, 5, rng=0)
    >>> J = np.random.default_rng(1).standard_normal((5, 8))
    >>> y = np.array([1.0, -1.0, 0.5])
    >>> c = cst.min_norm_coefficients(A, J, y)
    >>> print(np.allclose(A @ J @ c, y))                  # it interpolates the measurements
    True
    >>> null = np.linalg.svd(A @ J)[2][-1]                # a direction with A J null = 0
    >>> print(np.linalg.norm(c) < np.linalg.norm(c + 0.1 * null), abs(float(null @ c)) < 1e-12)
    True True
    """
    A = as_operator(A)
    _checks.array(J, "J", ndim=2)
    _checks.array(y, "y", ndim=1)
    xp = _checks.namespace(J=J, y=y)
    if A.xp is not None and not same_backend(A.xp, xp):
        raise TypeError(f"A works on {backend_name(A.xp)} arrays but J and y are {backend_name(xp)} arrays; "
                        "use one backend per call")
    m, n = A.shape
    if J.shape[0] != n:
        raise ValueError(f"shapes do not chain: A is {m}x{n} but J has {J.shape[0]} rows")
    if y.shape[0] != m:
        raise ValueError(f"y must have length m = {m} (rows of A), got {y.shape[0]}")
    if rcond is not None:
        rcond = _checks.real(rcond, "rcond", low=0.0)
    N = J.shape[1]
    _checks.memory(_checks.nbytes((m, n), (m, N), (m, N), (N, N)) * 2,
                   f"min_norm_coefficients(A of shape {(m, n)}, J of shape {(n, N)}): A, A J and its SVD")
    # (A J)^† y is homogeneous: (a A)(b J) ĉ = c y gives ĉ = c/(a b) (A J)^† y, so A, J and y are
    # scaled by powers of two to largest entries in [1, 2) first (no spurious overflow in A J for any
    # finite scale) and ĉ is scaled back
    Ad = A.to_dense()
    if float(xp.max(xp.abs(y))) == 0.0:
        return xp.zeros((N,), dtype=J.dtype, device=array_api_compat.device(J))
    a, b, c = (_numeric.pow2(float(xp.max(xp.abs(X)))) for X in (Ad, J, y))     # powers of two: exact scalings
    M = (Ad / a) @ (J / b)
    U, s, Vt = xp.linalg.svd(M, full_matrices=False)
    if rcond is None:
        rcond = max(M.shape) * float(xp.finfo(M.dtype).eps)
    cutoff = rcond * float(xp.max(s)) if s.shape[0] else 0.0
    keep = s > cutoff
    s_inv = xp.where(keep, 1.0 / xp.where(keep, s, xp.ones_like(s)), xp.zeros_like(s))
    try:
        factor = math.ldexp(c, -(math.frexp(a)[1] - 1) - (math.frexp(b)[1] - 1))   # c / (a b), exactly
    except OverflowError:
        raise ValueError("the minimum-norm coefficients exceed the floating-point range (y is much larger than "
                         "A times J); rescale y") from None
    return (Vt.T @ (s_inv * (U.T @ (y / c)))) * factor
