"""cstheory — compressive sensing with un-trained neural networks, numerically and readably.

Implements Heckel & Soltanolkotabi (2020), "Compressive sensing with
un-trained neural networks: gradient descent finds the smoothest
approximation": the linear min-norm case (Sec. 3), the two-layer generator
ReLU(UC)v (eq. 3, 20), the expected Jacobian Σ(U) and its Fourier weights
(eq. 11), the linearized dynamics (App. C) and the deep decoder (eq. 4), on
NumPy, CuPy or any array-API namespace.
"""
from ._backend import available_backends, to_numpy
from .bounds import geometric_bound, spectral_bound, theorem1_bound
from .fit import DivergenceError, FitResult, fit
from .generator import Generator
from .linear import LinearGenerator, min_norm_coefficients
from .operators import LinearOperator, gaussian_matrix, operator_norm
from .signals import frequency, frequency_order, load_image, smooth_signal, trig_basis

__version__ = "0.1.0"

__all__ = [
    "to_numpy", "available_backends",
    "gaussian_matrix", "LinearOperator", "operator_norm",
    "trig_basis", "frequency", "frequency_order", "smooth_signal", "load_image",
    "Generator", "LinearGenerator", "min_norm_coefficients",
    "theorem1_bound", "spectral_bound", "geometric_bound",
    "fit", "FitResult", "DivergenceError",
]
