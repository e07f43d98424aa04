"""Argument checks shared by the public functions: each error names the argument and what was expected."""
from __future__ import annotations

from numbers import Integral, Real

from ._backend import check_finite, namespace


def positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int ≥ ``minimum``; ``TypeError``/``ValueError`` naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def positive_float(value, name: str, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or ≥ 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (value == value) or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def array(x, name: str, ndim: int | tuple[int, ...] | None = None, finite: bool = True):
    """Check that ``x`` is an array of the given dimension(s) with finite entries; return it."""
    if x is None or isinstance(x, (int, float, complex, list, tuple, str)):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    namespace(x)  # raises TypeError for non-arrays
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else ndim
        if x.ndim not in dims:
            want = " or ".join(f"{d}-D" for d in dims)
            raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if finite:
        check_finite(x, name)
    return x


def shape(x, expected: tuple, name: str):
    """Raise ``ValueError`` unless ``x.shape == expected``."""
    if tuple(x.shape) != tuple(expected):
        raise ValueError(f"{name} must have shape {tuple(expected)}, got {tuple(x.shape)}")
    return x


def renamed_argument(new_value, old_value, new: str, old: str, where: str):
    """Support a renamed keyword: return ``new_value``, or ``old_value`` with a ``DeprecationWarning``.

    ``TypeError`` when both or neither are given."""
    import warnings

    if old_value is not None:
        if new_value is not None:
            raise TypeError(f"{where}: give {new!r} only ({old!r} is its deprecated name)")
        warnings.warn(f"{where}: the argument {old!r} is now called {new!r}", DeprecationWarning, stacklevel=3)
        return old_value
    if new_value is None:
        raise TypeError(f"{where} missing required argument: {new!r}")
    return new_value
