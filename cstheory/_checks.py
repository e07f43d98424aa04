"""The input contract of cstheory, in one place (floor 1): every public function checks its arguments here.

Each check raises before any work is done, and its message names the argument
and says what was expected.  ``TypeError`` means the *kind* of input is wrong
(its Python type, its dtype, its backend); ``ValueError`` means its *value*
is (a range, a shape, NaN/inf, a size too large for the memory).

The policy (also the "Input contract" section of the README):

* **Arrays** are arrays — NumPy, CuPy or any array-API array.  Python lists,
  tuples and scalars are refused where an array is expected (``TypeError``,
  "convert with numpy.asarray(...)"): an implicit conversion would decide the
  dtype and the backend behind the user's back.
* **dtypes.**  Real floating float32 and float64 are accepted and preserved
  (outputs keep the input's dtype; float32 and float64 inputs of one call
  follow the array-API promotion to float64).  Refused with a ``TypeError``
  naming the argument:

  - integer and bool arrays ("convert with x.astype(float)") — a silent
    promotion hides bugs such as a bool mask passed as parameters, or draws
    truncated to integers;
  - float16 ("convert with x.astype(numpy.float32)") — the tolerances, the
    ±1 snapping of cosines and the divergence rule assume at least float32's
    precision, and array-API namespaces need not have float16;
  - complex arrays, except where a function is defined on complex data
    (``dtype="real or complex"``); every map of cstheory is real (the MRI
    operator returns [Re; Im] of its complex samples).

  Masks (``dtype="mask"``) are bool, or integers/floats holding only 0 and 1.
* **Shapes**: a rank (``ndim``), exact shapes (:func:`shape`), and no empty
  arrays unless a function says otherwise.
* **Finiteness**: NaN and inf are refused in data (``ValueError``).  The
  hot-path maps (``LinearOperator.matvec``, a generator's ``forward_vjp``
  closure) do not scan their input: NaN in, NaN out, and the fit loop's
  :class:`cstheory.fit.DivergenceMonitor` stops a run that produces it.
* **Backends**: all arrays of one call come from one namespace
  (:func:`namespace`); otherwise a ``TypeError`` names both arguments.
* **Scalars**: counts are integers (``numbers.Integral``, NumPy integers too,
  never bool, never 3.0); real numbers are finite ``numbers.Real`` (not bool,
  not complex, not arrays) in a stated range; flags are ``bool``; choices are
  strings from a stated set.
* **Sizes**: before a large allocation the bytes it needs are estimated
  (:func:`memory`) and refused with a ``ValueError`` stating them when they
  exceed :func:`max_bytes` (the machine's physical memory, or the
  ``CSTHEORY_MAX_BYTES`` environment variable).
"""
from __future__ import annotations

import math
import os
from numbers import Integral, Real

import array_api_compat
import numpy as np

from ._backend import backend_name, namespace as _namespace, same_backend

__all__ = [
    "integer", "positive_int", "real", "positive_float", "flag", "choice", "callable_or_none",
    "array", "shape", "not_empty", "namespace", "axis", "shape_tuple",
    "max_bytes", "memory", "nbytes", "DTYPE_KINDS",
]

#: the dtype rules :func:`array` knows
DTYPE_KINDS = ("real", "real or complex", "mask", "any")


# ---------------------------------------------------------------------------
# scalars
# ---------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, Integral) and not _is_bool(value)


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def integer(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python int in [``minimum``, ``maximum``]; ``TypeError``/``ValueError`` naming ``name``.

    Integers of any kind (``int``, ``numpy.int64``) are accepted; bool, floats (even 3.0),
    strings and arrays are not."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}"[:200])
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int ≥ ``minimum`` (default 1); ``TypeError``/``ValueError`` naming ``name`` otherwise."""
    return integer(value, name, minimum=minimum)


def real(value, name: str, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite Python float in the interval given by ``low``/``high``.

    ``low_open``/``high_open`` exclude the end points.  ``TypeError`` for anything that is
    not a real number (bool, complex, strings, arrays, None), ``ValueError`` for NaN, inf
    or a value out of range; both name ``name``."""
    if _is_bool(value) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}"[:200])
    value = float(value)
    if low is not None and high is not None:
        if not (math.isfinite(value) and (low < value or (not low_open and value == low))
                and (value < high or (not high_open and value == high))):
            interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise ValueError(f"{name} must lie in {interval}, got {value:g}")
        return value
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {value:g}")
    return value


def positive_float(value, name: str, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or ≥ 0 with ``allow_zero``)."""
    return real(value, name, low=0.0, low_open=not allow_zero)


def flag(value, name: str) -> bool:
    """``value`` as a bool: ``True``/``False`` (or a NumPy bool) only — not 0/1, not strings."""
    if not _is_bool(value):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}"[:200])
    return bool(value)


def choice(value, options, name: str) -> str:
    """``value`` as one of the strings ``options``: ``TypeError`` for a non-string, ``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(options)}, got {type(value).__name__} {value!r}"[:200])
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


def callable_or_none(value, name: str, what: str = "a callable"):
    """``value`` if it is callable or ``None``; ``TypeError`` naming ``name`` otherwise."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------
# arrays
# ---------------------------------------------------------------------------
def _dtype_kind(xp, dtype):
    """'real', 'half', 'complex', 'int', 'bool' or 'other' for ``dtype`` of namespace ``xp``."""
    try:
        if xp.isdtype(dtype, "bool"):
            return "bool"
        if xp.isdtype(dtype, "integral"):
            return "int"
        if xp.isdtype(dtype, "complex floating"):
            return "complex"
        if xp.isdtype(dtype, "real floating"):
            return "half" if "16" in str(dtype) else "real"
    except (TypeError, ValueError, AttributeError):
        pass
    return "other"


def _dtype_error(name, kind, dtype, allowed):
    text = str(dtype).split(".")[-1].strip("'>")
    if kind in ("int", "bool"):
        hint = f"convert with {name}.astype(float)" if allowed != "mask" else ""
        return TypeError(f"{name} must be a real floating array (float32 or float64), got dtype {text}; "
                         f"{hint}".rstrip("; "))
    if kind == "half":
        return TypeError(f"{name} must be float32 or float64, got dtype {text}; convert with "
                         f"{name}.astype(numpy.float32) (float16 is not supported)")
    if kind == "complex":
        return TypeError(f"{name} must be real (float32 or float64), got complex dtype {text}: this function "
                         f"is defined on real data; pass the real part explicitly if that is what you mean")
    return TypeError(f"{name} must be a real floating array (float32 or float64), got dtype {text}")


#: float32 and float64 NumPy dtypes, which :func:`array` accepts without asking the namespace
_NUMPY_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def array(x, name: str, ndim: int | tuple[int, ...] | None = None, finite: bool = True,
          dtype: str = "real", allow_empty: bool = False):
    """Check that ``x`` is an array of an accepted dtype and rank, non-empty, with finite entries; return it.

    Parameters
    ----------
    x : array
        A NumPy, CuPy or array-API array (lists and scalars are refused).
    name : str
        The argument's name, used in every message.
    ndim : int or tuple of int, optional
        Accepted ranks.
    finite : bool
        Refuse NaN and inf (one reduction over ``x``).
    dtype : {"real", "real or complex", "mask", "any"}
        The dtype rule (see the module docstring).
    allow_empty : bool
        Accept arrays with a zero-length axis.
    """
    if x is None or isinstance(x, (bool, int, float, complex, list, tuple, str, bytes, dict, set, np.generic)):
        hint = f"; convert with numpy.asarray({name})" if isinstance(x, (list, tuple, int, float)) else ""
        raise TypeError(f"{name} must be an array, got {type(x).__name__}{hint}")
    if type(x) is np.ndarray and x.dtype in _NUMPY_FLOATS:
        xp = np                  # the common case, accepted by every dtype rule: no namespace lookup, no dtype queries
    else:
        try:
            xp = array_api_compat.array_namespace(x)
        except TypeError as exc:
            raise TypeError(f"{name} must be an array (NumPy, CuPy or array-API), got {type(x).__name__}") from exc
    if dtype != "any" and xp is not np:
        kind = _dtype_kind(xp, x.dtype)
        ok = {"real": ("real",), "real or complex": ("real", "complex"), "mask": ("real", "int", "bool")}[dtype]
        if kind not in ok:
            raise _dtype_error(name, kind, x.dtype, dtype)
    if ndim is not None:
        dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in dims:
            want = " or ".join(f"{d}-D" for d in dims)
            raise ValueError(f"{name} must be {want}, got shape {tuple(x.shape)}")
    if not allow_empty and any(s == 0 for s in x.shape):
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if finite and dtype != "mask" and not bool(xp.all(xp.isfinite(x))):
        raise ValueError(f"{name} contains non-finite values (NaN or inf)")
    return x


def shape(x, expected: tuple, name: str):
    """Raise ``ValueError`` unless ``x.shape == expected``."""
    if tuple(x.shape) != tuple(expected):
        raise ValueError(f"{name} must have shape {tuple(expected)}, got {tuple(x.shape)}")
    return x


def not_empty(x, name: str):
    """Raise ``ValueError`` if ``x`` has a zero-length axis."""
    if any(s == 0 for s in x.shape):
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    return x


def namespace(**arrays):
    """The one namespace of the named arrays (``None`` entries skipped); ``TypeError`` naming two that differ.

    >>> import numpy as np
    >>> namespace(A=np.ones((2, 2)), y=np.ones(2)).__name__
    'array_api_compat.numpy'
    """
    first = None
    for name, a in arrays.items():
        if a is None:
            continue
        try:
            xp = array_api_compat.array_namespace(a)
        except TypeError as exc:
            raise TypeError(f"{name} must be an array, got {type(a).__name__}") from exc
        if first is None:
            first = (name, xp)
        elif not same_backend(xp, first[1]):
            raise TypeError(
                f"{name} is an array of {backend_name(xp)} but {first[0]} is an array of {backend_name(first[1])}: "
                "different backends in one call; convert them to one (cstheory.to_numpy or xp.asarray)")
    return _namespace() if first is None else first[1]


def axis(value, ndim: int, name: str = "axis") -> int:
    """An axis of an ``ndim``-array, −ndim ≤ axis < ndim, as a non-negative int (no wrapping modulo ndim)."""
    value = integer(value, name)
    if not -ndim <= value < ndim:
        raise ValueError(f"{name} must lie in [-{ndim}, {ndim - 1}] for a {ndim}-D array, got {value}")
    return value % ndim


def shape_tuple(value, name: str, lengths=(1, 2), int_ok: bool = True, minimum: int = 1) -> tuple:
    """A shape: a tuple/list of ``lengths`` entries, each an integer ≥ ``minimum`` (an int n means (n,) if allowed).

    ``TypeError`` for a wrong type (a string, a float, an int where a pair is required, a
    fractional entry), ``ValueError`` for a wrong number of entries or an entry out of range."""
    lengths = (lengths,) if isinstance(lengths, int) else tuple(lengths)
    want = " or ".join(f"{k} entries" for k in lengths)
    if _is_int(value):
        if not int_ok or 1 not in lengths:
            raise TypeError(f"{name} must be a tuple of {want} (e.g. (h, w)), got the int {value}")
        value = (value,)
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be {'an int or ' if int_ok and 1 in lengths else ''}a tuple of {want}, "
                        f"got {type(value).__name__} {value!r}"[:200])
    out = tuple(integer(s, name, minimum=minimum) for s in value)
    if len(out) not in lengths:
        raise ValueError(f"{name} must have {want}, got {tuple(value)!r}")
    return out


# ---------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------
def max_bytes() -> int:
    """The largest allocation cstheory starts: ``CSTHEORY_MAX_BYTES`` if set, else the physical memory."""
    env = os.environ.get("CSTHEORY_MAX_BYTES")
    if env:
        return int(float(env))
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 64 * 2**30


def nbytes(*shapes, itemsize: int = 8) -> int:
    """Bytes of arrays of the given shapes (exact Python ints: no overflow for absurd sizes)."""
    return sum(math.prod(int(s) for s in shp) for shp in shapes) * int(itemsize)


def _human(n: int) -> str:
    """``n`` bytes in words: ``"1.5 GiB"`` (exact for absurd sizes too, e.g. ``"8e+60 EiB"``)."""
    if n < 1024:
        return f"{n} bytes"
    for power, unit in ((6, "EiB"), (5, "PiB"), (4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
        if n >= 1024**power:
            whole = n // 1024**power
            if whole >= 10**6:
                return f"{_sci(whole)} {unit}"
            return f"{n / 1024**power:.3g} {unit}"
    return f"{n} bytes"  # pragma: no cover


def _sci(n: int) -> str:
    """An int in scientific notation without converting to float (no overflow): ``"8e+60"``."""
    digits = str(int(n))
    if len(digits) <= 16:
        return digits
    return f"{digits[0]}.{digits[1:3]}e+{len(digits) - 1}"


def memory(need: int, what: str, limit: int | None = None) -> int:
    """Refuse (``ValueError``) an allocation of ``need`` bytes above ``limit`` (default :func:`max_bytes`).

    ``what`` says what would be allocated and from which arguments, e.g.
    ``"trig_basis(n=100000): the (n, n) basis"``."""
    limit = max_bytes() if limit is None else limit
    if need > limit:
        raise ValueError(f"{what} needs {_sci(need)} bytes ({_human(need)}), more than the limit of "
                         f"{_human(limit)} (the physical memory, or CSTHEORY_MAX_BYTES); choose smaller sizes")
    return need
