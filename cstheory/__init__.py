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
from .bounds import Theorem3Quantities, theorem2_bound, theorem3_quantities
from .dynamics import (
    LinearizationResult, linear_parameter_distance, linear_residuals, linearization, linearization_gap,
    linearization_parameter_gap,
)
from .fit import DivergenceError, FitResult, fit
from . import kernels
from .generator import Generator
from .kernels import circulant_matrix, circular_convolve
from .linear import LinearGenerator, min_norm_coefficients
from .operators import LinearOperator, MatrixOperator, RandomSubsampledDCT, as_operator, gaussian_matrix, operator_norm
from .mri import SubsampledFourier, cartesian_mask, random_mask
from . import baselines, mri, optim
from .optim import Adam, CosineDecay, GradientDescent, StepDecay
from .signals import frequency, frequency_order, load_image, smooth_signal, trig_basis
from .spectrum import geometric_rate, sigma_matrix, sigma_matrix_mc, sigma_weights
from .two_layer import TwoLayerGenerator
from .deep_decoder import DeepDecoder

__version__ = "0.1.0"

__all__ = [
    "to_numpy", "available_backends",
    "gaussian_matrix", "LinearOperator", "MatrixOperator", "as_operator", "operator_norm", "RandomSubsampledDCT",
    "trig_basis", "frequency", "frequency_order", "smooth_signal", "load_image",
    "kernels", "circulant_matrix", "circular_convolve",
    "Generator", "LinearGenerator", "min_norm_coefficients", "TwoLayerGenerator", "DeepDecoder",
    "theorem1_bound", "spectral_bound", "geometric_bound",
    "theorem2_bound", "theorem3_quantities", "Theorem3Quantities",
    "linear_residuals", "linear_parameter_distance", "linearization", "LinearizationResult",
    "linearization_gap", "linearization_parameter_gap",
    "fit", "FitResult", "DivergenceError", "optim", "GradientDescent", "Adam", "StepDecay", "CosineDecay",
    "sigma_matrix", "sigma_matrix_mc", "sigma_weights", "geometric_rate",
    "SubsampledFourier", "cartesian_mask", "random_mask", "baselines", "mri",
]
