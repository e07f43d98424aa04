"""The one place that knows about array libraries (floor 1, see docs/architecture.md).

Everything above this module works with an array-API namespace ``xp`` obtained
from its inputs.  This module

* finds the namespace of the inputs (:func:`namespace`) and refuses mixed
  backends with a ``TypeError`` that names both;
* resolves the ``xp=None, dtype=None, device=None`` keywords of creation
  functions (:func:`resolve`);
* draws random numbers on the host with a :class:`numpy.random.Generator` and
  moves them to the target namespace/device (:func:`normal`), so that one seed
  gives the same numbers on every backend;
* converts any array back to NumPy (:func:`to_numpy`);
* dispatches FFTs to the fastest implementation for the namespace
  (``scipy.fft`` with workers for NumPy, ``cupyx.scipy.fft`` for CuPy, the
  namespace's own ``fft`` extension otherwise).

CuPy imports on machines without a GPU; it is used only when
``cupy.cuda.is_available()`` says a device is present.
"""
from __future__ import annotations

import contextlib
import os
import threading
from numbers import Integral

import array_api_compat
import array_api_compat.numpy  # noqa: F401  (the array-API view of NumPy)
import numpy as np
import scipy.fft

__all__ = [
    "namespace", "resolve", "as_generator", "normal", "to_numpy", "asarray",
    "cupy_available", "available_backends", "resolve_namespace", "is_numpy", "is_cupy",
    "rfft", "irfft", "rfft_rows", "irfft_rows", "fft", "ifft", "fft2", "ifft2", "dct", "idct",
    "itemsize", "real_dtype", "tolerance", "dtype_name", "backend_name", "same_backend", "REAL_DTYPES",
    "perturbation", "PERTURB_ENV", "qr_r",
    "usable_cpus", "env_threads", "default_fft_workers", "THREAD_ENV", "FFT_ENV", "thread_map",
    "contiguous_runs",
]

#: the environment variables that set BLAS/OpenMP thread pools (and, unless :data:`FFT_ENV` is set, the
#: threads of scipy.fft: :func:`default_fft_workers`)
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: the environment variable that sets :data:`FFT_WORKERS` itself
FFT_ENV = "CSTHEORY_FFT_WORKERS"


def usable_cpus():
    """The number of CPUs this process may run on: its affinity mask (a container's or a batch job's
    cpuset, ``taskset``), not ``os.cpu_count()``, which counts the whole machine.

    A container given 2 of a host's 64 cores that sized its thread pools by ``os.cpu_count()`` would put
    64 threads on 2 cores.  (A CPU *quota* without a cpuset, ``docker --cpus=2``, is not visible here.)

    Examples
    --------
    >>> import os
    >>> from cstheory._backend import usable_cpus
    >>> 1 <= usable_cpus() <= (os.cpu_count() or 1)
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def env_threads(environ=None, cpus=None):
    """The thread count per process the environment sets through :data:`THREAD_ENV`, else ``None``.

    Parameters
    ----------
    environ : mapping, optional
        The environment (default ``os.environ``).  A variable set to the empty string counts as unset.
    cpus : int, optional
        CPUs (default :func:`usable_cpus`), the count assumed for a value that is set but is not a
        positive integer (``0``, ``auto``, ``-2``): the libraries then start one thread per core
        (OpenBLAS reads 0 so).

    Returns
    -------
    int or None
        The largest count among the variables set (for ``OMP_NUM_THREADS``, the first field of a nested
        list such as ``4,2``), or ``None`` when none is set.

    Examples
    --------
    >>> from cstheory.sweep import env_threads
    >>> env_threads({}), env_threads({"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"})
    (None, 2)
    >>> env_threads({"OPENBLAS_NUM_THREADS": "0"}, cpus=8), env_threads({"OMP_NUM_THREADS": "4,2"}, cpus=8)
    (8, 4)
    """
    environ = _environ(environ)
    counts = []
    for k in THREAD_ENV:
        text = (environ.get(k) or "").strip()
        if not text:
            continue
        try:
            count = int(text.split(",")[0].strip())
        except ValueError:
            count = 0
        if count <= 0:
            count = _cpus_or_usable(cpus)
        counts.append(count)
    return max(counts) if counts else None


def _cpus_or_usable(cpus):
    """``cpus`` checked (a positive int), or :func:`usable_cpus` for None.  (Checked here, in the words of
    ``_checks.positive_int``: ``_checks`` imports this module, which must not import it back.)"""
    if cpus is None:
        return usable_cpus()
    if isinstance(cpus, bool) or not isinstance(cpus, Integral):
        raise TypeError(f"cpus must be an integer, got {type(cpus).__name__} {cpus!r}"[:200])
    if cpus < 1:
        raise ValueError(f"cpus must be an integer >= 1, got {cpus}")
    return int(cpus)


def _environ(environ):
    if environ is None:
        return os.environ
    if not hasattr(environ, "get"):
        raise TypeError(f"environ must be a mapping of environment variables, got {type(environ).__name__}")
    return environ


def default_fft_workers(environ=None, cpus=None):
    """The threads scipy.fft may use for NumPy arrays (:data:`FFT_WORKERS`, read once at import).

    :data:`FFT_ENV` (``CSTHEORY_FFT_WORKERS``) if set; else the thread count the environment gives the
    BLAS/OpenMP pools (:func:`env_threads`: ``OMP_NUM_THREADS=1`` makes a one-thread process one-thread
    in its FFTs too); else the CPUs this process may run on (:func:`usable_cpus`).  A count set in the
    environment is taken as asked, even above the usable CPUs.

    Parameters
    ----------
    environ : mapping, optional
        The environment (default ``os.environ``); an empty value counts as unset.
    cpus : int, optional
        CPUs (default :func:`usable_cpus`).

    Raises
    ------
    ValueError
        If ``CSTHEORY_FFT_WORKERS`` is set to anything but a positive integer.

    Examples
    --------
    >>> from cstheory._backend import default_fft_workers
    >>> default_fft_workers({}, cpus=4), default_fft_workers({"OMP_NUM_THREADS": "1"}, cpus=4)
    (4, 1)
    >>> default_fft_workers({"CSTHEORY_FFT_WORKERS": "3", "OMP_NUM_THREADS": "1"}, cpus=4)
    3
    """
    environ = _environ(environ)
    text = (environ.get(FFT_ENV) or "").strip()
    if text:
        try:
            count = int(text)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"{FFT_ENV} must be a positive integer (threads of scipy.fft), got {text!r}")
        return count
    threads = env_threads(environ, cpus=cpus)
    if threads is not None:
        return threads
    return _cpus_or_usable(cpus)


def _fft_workers_at_import():
    """:func:`default_fft_workers`, but a bad ``CSTHEORY_FFT_WORKERS`` is a warning naming it and the count
    without it, not an error: an exception here would break every ``import cstheory``, ``--help`` included."""
    try:
        return default_fft_workers()
    except ValueError as exc:
        import warnings
        count = default_fft_workers({k: v for k, v in os.environ.items() if k != FFT_ENV})
        warnings.warn(f"{exc}; using {count}", RuntimeWarning, stacklevel=2)
        return count


#: Number of threads scipy.fft may use for NumPy arrays (:func:`default_fft_workers`), and the threads the
#: two-layer GD step runs its channel blocks on (:meth:`cstheory.two_layer.FourierIterate.threads`).
FFT_WORKERS = _fft_workers_at_import()
#: Transforms of fewer elements than this run on one thread: handing a few microseconds of work to a
#: thread pool costs more than it saves (a 128 × 128 two-layer GD step: a third of its time).
FFT_PARALLEL_MIN = 2**17

#: glibc malloc settings applied by :func:`retain_freed_memory`: arrays below 32 MiB come from the
#: heap, and up to 256 MiB of freed heap is kept for reuse instead of being returned to the system
MALLOC_MMAP_THRESHOLD = 32 * 1024**2
MALLOC_TRIM_THRESHOLD = 256 * 1024**2


# --------------------------------------------------------------------------
# namespaces
# --------------------------------------------------------------------------
def namespace(*arrays):
    """Array-API namespace shared by ``arrays`` (``None`` entries and Python scalars ignored).

    Raises
    ------
    TypeError
        If the arrays come from different libraries; the message names both.
    """
    if arrays and all(type(a) is np.ndarray for a in arrays):
        return array_api_compat.numpy        # the hot path: plain NumPy arrays, no lookup needed
    arrs = [a for a in arrays if a is not None and not isinstance(a, (int, float, complex))]
    if not arrs:
        return array_api_compat.numpy
    spaces = []
    for a in arrs:
        try:
            ns = array_api_compat.array_namespace(a)
        except TypeError as exc:
            raise TypeError(f"expected an array, got {type(a).__name__}") from exc
        if all(ns is not s for s in spaces):
            spaces.append(ns)
    if len(spaces) > 1:
        raise TypeError(
            f"arrays from different backends in one call: {backend_name(spaces[0])} and {backend_name(spaces[1])}; "
            "convert them to one namespace first (cstheory.to_numpy or xp.asarray)"
        )
    return spaces[0]


def resolve_namespace(xp=None):
    """Normalise a user-given namespace: ``None``/``numpy`` → array-API NumPy, ``cupy`` → compat CuPy,
    ``"array_api_strict"`` (or any backend name) → that module."""
    if xp is None:
        return array_api_compat.numpy
    if isinstance(xp, str):
        name = xp.lower()
        if name == "numpy":
            return array_api_compat.numpy
        if name == "cupy":
            if not cupy_available():
                raise ValueError("xp='cupy' requested, but no CUDA device is available")
            import array_api_compat.cupy as cp_compat
            return cp_compat
        if name in ("array_api_strict", "strict"):
            import array_api_strict
            return array_api_strict
        raise ValueError(f"xp must be 'numpy', 'cupy' or 'array_api_strict', got {xp!r}")
    if xp is np:
        return array_api_compat.numpy
    if getattr(xp, "__name__", "") == "cupy":
        import array_api_compat.cupy as cp_compat
        return cp_compat
    if not (hasattr(xp, "asarray") and hasattr(xp, "float64")):
        raise TypeError(f"xp must be an array namespace (a module such as numpy) or one of the names "
                        f"'numpy', 'cupy', 'array_api_strict', got {type(xp).__name__} {xp!r}"[:200])
    return xp


def is_numpy(xp) -> bool:
    """True for NumPy (plain or array-API-compat wrapped)."""
    return array_api_compat.is_numpy_namespace(xp)


def is_cupy(xp) -> bool:
    """True for CuPy (plain or array-API-compat wrapped)."""
    return array_api_compat.is_cupy_namespace(xp)


def qr_r(a):
    """R of the reduced QR factorisation a = Q R of a 2-D array (k × n, k = min of the two sides), without
    forming Q where the namespace can skip it (NumPy and CuPy ``mode="r"``; any other namespace
    gets ``linalg.qr(a)[1]``, the array API having no R-only mode)."""
    if isinstance(a, np.ndarray):
        return np.linalg.qr(a, mode="r")
    if array_api_compat.is_cupy_array(a):
        import cupy
        return cupy.linalg.qr(a, mode="r")
    return namespace(a).linalg.qr(a, mode="reduced")[1]


def cupy_available() -> bool:
    """True when CuPy imports *and* a CUDA device is present."""
    try:
        import cupy
        return bool(cupy.cuda.is_available())
    except Exception:  # ImportError, or CUDA driver errors
        return False


def available_backends() -> list[str]:
    """Backend names present on this machine: numpy and array_api_strict (if installed), cupy with a GPU.

    Returns
    -------
    list of str
        ``"numpy"`` first, then ``"array_api_strict"`` and ``"cupy"`` where present; the names
        accepted by ``xp=`` and by ``cstheory reproduce --backend``.

    Examples
    --------
    >>> import cstheory as cst
    >>> print(cst.available_backends()[0], "numpy" in cst.available_backends())
    numpy True
    """
    names = ["numpy"]
    try:
        import array_api_strict  # noqa: F401
        names.append("array_api_strict")
    except ImportError:
        pass
    if cupy_available():
        names.append("cupy")
    return names


#: the dtypes cstheory computes in (see the input contract in cstheory._checks)
REAL_DTYPES = ("float32", "float64")


def real_dtype(xp, dtype=None):
    """Resolve ``dtype`` (None → float64; ``"float32"``/``"float64"``; or such a dtype of any library) in ``xp``.

    Raises
    ------
    ValueError
        For a dtype other than float32/float64 (integers, bool, float16, complex).
    TypeError
        For something that is not a dtype at all.
    """
    if dtype is None:
        return xp.float64
    for name in REAL_DTYPES:
        if dtype is getattr(xp, name, None):
            return dtype
    if isinstance(dtype, str):
        name = dtype
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            text = str(dtype).split(".")[-1].strip("'>")
            if type(dtype).__name__.lower() != "dtype":
                raise TypeError(f"dtype must be 'float32' or 'float64' (or None for float64), "
                                f"got {type(dtype).__name__} {dtype!r}"[:200]) from None
            name = text
    if name not in REAL_DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64' (cstheory computes in real floating point), "
                         f"got {name!r}")
    return getattr(xp, name)


def dtype_name(dtype) -> str:
    """A dtype's short name (``"float64"``) for messages and reprs, whatever the library."""
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype).split(".")[-1].strip("'>")


def itemsize(dtype) -> int:
    """Bytes per entry of a real dtype of any library (4 for float32, 8 for float64), for memory estimates."""
    return {"float32": 4, "float64": 8}[_real_name(dtype)]


def _real_name(dtype) -> str:
    name = dtype_name(dtype)
    if name not in REAL_DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {name}")
    return name


def same_backend(xp1, xp2) -> bool:
    """Whether two namespaces are the same library (plain ``numpy`` and array-api-compat's NumPy are one)."""
    return resolve_namespace(xp1) is resolve_namespace(xp2)


def backend_name(xp) -> str:
    """A namespace's short name (``"numpy"``, ``"array_api_strict"``, ``"cupy"``) for messages and reprs."""
    return getattr(xp, "__name__", repr(xp)).replace("array_api_compat.", "")


def resolve(xp=None, dtype=None, device=None):
    """Resolve the shared creation keywords to ``(xp, dtype, device)``."""
    xp = resolve_namespace(xp)
    return xp, real_dtype(xp, dtype), device


# --------------------------------------------------------------------------
# host memory: reuse freed blocks instead of faulting fresh pages in
# --------------------------------------------------------------------------
def retain_freed_memory() -> bool:
    """Keep freed host memory for reuse (glibc only); return whether the setting took effect.

    A gradient step allocates and frees the same megabyte-sized temporaries again and again.
    By default glibc hands such blocks back to the system when they are freed (``mmap`` above
    a threshold, heap trimming below it), and the next step pays a page fault for every 4 KiB
    it touches again — on a virtual machine that can double the time of a deep-decoder step.
    Raising ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` (see ``mallopt(3)``) keeps up to
    :data:`MALLOC_TRIM_THRESHOLD` bytes of freed heap for reuse.  Called once when cstheory is
    imported, unless the environment sets ``CSTHEORY_RETAIN_MEMORY=0``; a no-op without glibc.
    """
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD,
                                                                                    MALLOC_TRIM_THRESHOLD))


if os.environ.get("CSTHEORY_RETAIN_MEMORY", "1") != "0":
    retain_freed_memory()


# --------------------------------------------------------------------------
# conversion
# --------------------------------------------------------------------------
def to_numpy(x) -> np.ndarray:
    """Any backend's array (or a scalar / list) → :class:`numpy.ndarray` on the host.

    CuPy through ``.get()``, other array-API libraries through DLPack.

    Parameters
    ----------
    x : array of any backend, scalar, list or tuple
        The data.

    Returns
    -------
    numpy.ndarray
        The same numbers on the host (no copy for a NumPy array).

    Examples
    --------
    >>> import cstheory as cst
    >>> x = cst.smooth_signal(8, 2, xp="array_api_strict")      # an array-API (non-NumPy) array
    >>> h = cst.to_numpy(x)
    >>> print(type(h).__name__, h.shape, round(float(h @ h), 12))    # a unit-norm signal, now on the host
    ndarray (8,) 1.0
    """
    if isinstance(x, np.ndarray):
        return x
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise TypeError(f"x must be an array, a list or a number, got {type(x).__name__}")
    if isinstance(x, (int, float, complex, list, tuple, np.generic)):
        try:
            out = np.asarray(x)
        except ValueError:
            out = np.asarray(x, dtype=object)
        if out.dtype == object:
            raise TypeError("x must hold numbers (a list of lists of equal lengths), got a ragged or mixed list")
        return out
    if array_api_compat.is_cupy_array(x):
        return x.get()
    try:
        return np.from_dlpack(x)
    except (TypeError, BufferError, AttributeError, RuntimeError):
        out = np.asarray(x)
        if out.dtype == object:
            raise TypeError(f"x must be an array, a list or a number, got {type(x).__name__}") from None
        return out


def _storage_dtype(xp, dtype):
    """``dtype`` for :func:`asarray`: an integer/bool/complex dtype object of ``xp`` itself passes (index
    arrays, masks); everything else goes through :func:`real_dtype`."""
    for name in ("int64", "int32", "bool", "complex64", "complex128"):
        if dtype is not None and dtype is getattr(xp, name, None):
            return dtype
    return real_dtype(xp, dtype)


#: the environment variable of :func:`perturbation` (read once at import; workers inherit it)
PERTURB_ENV = "CSTHEORY_PERTURB"
_PERTURBATION = [0.0]


def _read_perturbation(text):
    try:
        value = float(text or 0.0)
    except ValueError:
        raise ValueError(f"{PERTURB_ENV} must be a number in [0, 1e-3], got {text!r}") from None
    if not 0.0 <= value <= 1e-3:
        raise ValueError(f"{PERTURB_ENV} must be a number in [0, 1e-3], got {text!r}")
    return value


_PERTURBATION[0] = _read_perturbation(os.environ.get(PERTURB_ENV))


@contextlib.contextmanager
def perturbation(relative):
    """Perturb every floating host array that :func:`asarray` moves to a backend by ``relative``.

    Inside the block, each such array x becomes x ∘ (1 + relative·s) with a fixed pattern of signs
    s = ±1 (drawn from the array's size): what another CPU's or library's rounding does to the
    inputs of a computation, at a chosen size.  Every random draw (:func:`normal`), signal, image,
    kernel and network input enters the computations through :func:`asarray`, so a claim that
    holds only for the exact bits of one machine fails inside the block.  The setting is also put
    in the environment (``CSTHEORY_PERTURB``), so worker processes started inside the block
    inherit it.  ``relative`` is a float in [0, 1e-3].
    """
    relative = _read_perturbation(relative)
    before, env = _PERTURBATION[0], os.environ.get(PERTURB_ENV)
    _PERTURBATION[0] = relative
    os.environ[PERTURB_ENV] = repr(relative)
    try:
        yield relative
    finally:
        _PERTURBATION[0] = before
        if env is None:
            os.environ.pop(PERTURB_ENV, None)
        else:
            os.environ[PERTURB_ENV] = env


def _perturbed(x):
    """``x`` with the active :func:`perturbation` applied (``x`` itself when there is none)."""
    relative = _PERTURBATION[0]
    if not relative or x.dtype.kind != "f" or x.size == 0:
        return x
    signs = np.where(np.random.default_rng(x.size).random(x.shape) < 0.5, -1.0, 1.0)
    return x * (1.0 + relative * signs)


def asarray(x, xp=None, dtype=None, device=None, exact=False):
    """Host data (NumPy array, list, scalar) → an array of ``xp`` on ``device``.

    ``dtype`` is float32/float64 (default float64), or an integer/bool dtype object of ``xp``
    for index arrays.  Floating data is perturbed inside a :func:`perturbation` block unless
    ``exact`` (for constants computed exactly, such as an orthonormal basis)."""
    xp = resolve_namespace(xp)
    dtype = _storage_dtype(xp, dtype)
    if not isinstance(x, np.ndarray):
        x = to_numpy(x) if hasattr(x, "__dlpack__") else np.asarray(x)
    x = np.ascontiguousarray(x)
    if not exact:
        x = _perturbed(x)
    if device is None:
        return xp.asarray(x, dtype=dtype)
    return xp.asarray(x, dtype=dtype, device=device)


# --------------------------------------------------------------------------
# random numbers: drawn on the host, moved to the backend
# --------------------------------------------------------------------------
def as_generator(rng=None) -> np.random.Generator:
    """``rng`` as a :class:`numpy.random.Generator`: an int seed, ``None`` (seed 0) or a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng seed must be non-negative, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def normal(shape, rng=None, scale=1.0, xp=None, dtype=None, device=None):
    """iid N(0, scale²) draws of ``shape``: float64 on the host, then moved to ``xp``/``device``."""
    draws = as_generator(rng).standard_normal(shape) * scale
    return asarray(draws, xp=xp, dtype=dtype, device=device)


# --------------------------------------------------------------------------
# FFTs behind one chokepoint
# --------------------------------------------------------------------------
def _fft_module(xp):
    if is_numpy(xp):
        return None
    if is_cupy(xp):
        import cupyx.scipy.fft as cufft
        return cufft
    return xp.fft


def _np(x):
    return np.asarray(x)


def _workers(x):
    """scipy.fft's ``workers`` for ``x``: :data:`FFT_WORKERS` for large transforms, one thread for small."""
    return FFT_WORKERS if x.size >= FFT_PARALLEL_MIN else 1


def _complex(xp, x):
    """``x`` as a complex array: strict namespaces refuse real input to ``fft``/``fftn``."""
    if xp.isdtype(x.dtype, "complex floating"):
        return x
    return xp.astype(x, xp.complex64 if x.dtype == xp.float32 else xp.complex128)


def rfft(x, axis=-1, workers=None):
    """Real FFT of ``x`` along ``axis`` (unnormalised, numpy convention).

    ``workers``: scipy.fft's threads for a NumPy array (default :data:`FFT_WORKERS` for a large
    transform, one for a small one); ignored for other namespaces."""
    xp = namespace(x)
    mod = _fft_module(xp)
    if mod is None:
        return xp.asarray(scipy.fft.rfft(_np(x), axis=axis, workers=_workers(x) if workers is None else workers))
    return mod.rfft(x, axis=axis)


def irfft(x, n, axis=-1, workers=None):
    """Inverse of :func:`rfft` for a real signal of length ``n`` (``workers`` as in :func:`rfft`)."""
    xp = namespace(x)
    mod = _fft_module(xp)
    if mod is None:
        return xp.asarray(scipy.fft.irfft(_np(x), n=n, axis=axis, workers=_workers(x) if workers is None else workers))
    return mod.irfft(x, n=n, axis=axis)


def irfft_rows(x, n, out):
    """Inverse real FFT of each row of the NumPy array ``x`` (complex, (b, n//2 + 1)) into ``out`` (real, (b, n),
    of x's precision), on the calling thread; returns ``out``.

    For a blocked loop that reuses one buffer (:class:`cstheory.two_layer.FourierIterate`): ``numpy.fft`` (NumPy
    ≥ 2) writes into the caller's array, so the result lands in memory that is already in the cache, where
    ``scipy.fft`` returns a new array (the two agree to ≤ 3e-16 relative in float64).

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory._backend import irfft_rows, rfft_rows
    >>> x = np.arange(8.0).reshape(2, 4)
    >>> out = np.empty((2, 4))
    >>> bool(np.allclose(irfft_rows(rfft_rows(x, np.empty((2, 3), complex)), 4, out), x))
    True
    """
    return np.fft.irfft(x, n, axis=-1, out=out)


def rfft_rows(x, out):
    """Real FFT of each row of the NumPy array ``x`` (real, (b, n)) on the calling thread: into ``out`` (complex,
    (b, n//2 + 1)) and returned, for float64; for float32 a new array from ``scipy.fft`` (NumPy's single-precision
    real FFT took 2.3× SciPy's on the development machine: 308 µs against 133 µs for 128 rows of n = 1024, while
    in float64 NumPy's was 0.9× SciPy's).  The choice depends on the dtype only, never on the threads."""
    if x.dtype == np.float32:
        return scipy.fft.rfft(x, axis=-1, workers=1)
    return np.fft.rfft(x, axis=-1, out=out)


#: (process id, threads, executor) of :func:`thread_map`'s pool; a pool made before a fork has no threads
#: in the child, so a process makes its own
_POOL = None
#: set in the pool's threads: a :func:`thread_map` called from one of them runs its items in place
_IN_POOL = threading.local()


def thread_map(fn, items, workers):
    """``[fn(item) for item in items]``, computed on up to ``workers`` threads, in the order of ``items``.

    For NumPy work that releases the GIL (FFTs, ufuncs on large arrays, BLAS): independent blocks of one
    step run side by side.  One thread or one item: a plain loop in this thread.  Otherwise the items
    are cut into ``workers`` contiguous runs: the calling thread computes the first and the pool the
    others, one task each, so at most ``workers`` threads compute at once (the caller does not sleep
    while the pool works: on the 2-vCPU development machine a sleeping thread took about 0.1 ms to
    wake, and the two-layer GD step ran 4 % faster this way).  The call returns when every run has.
    The threads come from one pool per process of at least :func:`usable_cpus` threads, made on
    first use, again after a fork, and larger when more threads are asked for (a replaced pool is left
    idle, never shut down under another caller).  Called from inside a pool thread, or from ``fn`` in
    the calling thread, it runs in place, so a nested call cannot wait on itself.  The idle threads stay
    for the life of the process; Python ≥ 3.12
    warns when such a process forks, as it does for any multi-threaded process.

    Examples
    --------
    >>> from cstheory._backend import thread_map
    >>> thread_map(lambda i: i * i, range(5), workers=2)
    [0, 1, 4, 9, 16]
    """
    global _POOL
    items = list(items)
    workers = min(int(workers), len(items))
    if workers <= 1 or getattr(_IN_POOL, "flag", False):       # nested in a pool thread: no waiting on the pool
        return [fn(item) for item in items]
    pool = _POOL
    if pool is None or pool[0] != os.getpid() or pool[1] < workers:
        from concurrent.futures import ThreadPoolExecutor
        size = max(workers, usable_cpus())
        pool = _POOL = (os.getpid(), size, ThreadPoolExecutor(size, thread_name_prefix="cstheory",
                                                              initializer=_mark_pool_thread))
    first_run, *other_runs = contiguous_runs(items, workers)

    def run(part):
        return [fn(item) for item in part]
    from concurrent.futures import wait
    futures = [pool[2].submit(run, part) for part in other_runs]
    _IN_POOL.flag = True                  # the caller computes the first run; a nested call there runs in place
    try:
        first = run(first_run)
    finally:
        _IN_POOL.flag = False
        wait(futures)                     # every run has ended, also when the caller's raised
    return first + [out for future in futures for out in future.result()]


def contiguous_runs(items, workers):
    """``items`` (a list) cut into ``workers`` contiguous runs, in order, sizes within one of each other (how
    :func:`thread_map` shares items among its threads): ``contiguous_runs([0, 1, 2, 3, 4], 2)`` is
    ``[[0, 1], [2, 3, 4]]``."""
    edges = [round(i * len(items) / workers) for i in range(workers + 1)]
    return [items[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _mark_pool_thread():
    _IN_POOL.flag = True


def fft(x, axis=-1, norm="backward"):
    """Complex FFT along ``axis``."""
    xp = namespace(x)
    mod = _fft_module(xp)
    if mod is None:
        return xp.asarray(scipy.fft.fft(_np(x), axis=axis, norm=norm, workers=_workers(x)))
    return mod.fft(_complex(xp, x), axis=axis, norm=norm)


def ifft(x, axis=-1, norm="backward"):
    """Inverse complex FFT along ``axis``."""
    xp = namespace(x)
    mod = _fft_module(xp)
    if mod is None:
        return xp.asarray(scipy.fft.ifft(_np(x), axis=axis, norm=norm, workers=_workers(x)))
    return mod.ifft(_complex(xp, x), axis=axis, norm=norm)


def fft2(x, norm="ortho"):
    """2-D FFT over the last two axes (orthonormal by default)."""
    xp = namespace(x)
    mod = _fft_module(xp)
    if mod is None:
        return xp.asarray(scipy.fft.fft2(_np(x), norm=norm, workers=_workers(x)))
    if hasattr(mod, "fft2"):
        return mod.fft2(_complex(xp, x), norm=norm)
    return mod.fftn(_complex(xp, x), axes=(-2, -1), norm=norm)


def ifft2(x, norm="ortho"):
    """Inverse 2-D FFT over the last two axes (orthonormal by default)."""
    xp = namespace(x)
    mod = _fft_module(xp)
    if mod is None:
        return xp.asarray(scipy.fft.ifft2(_np(x), norm=norm, workers=_workers(x)))
    if hasattr(mod, "ifft2"):
        return mod.ifft2(_complex(xp, x), norm=norm)
    return mod.ifftn(_complex(xp, x), axes=(-2, -1), norm=norm)


def _dct_via_host(func, x, axes):
    xp = namespace(x)
    dev = array_api_compat.device(x)
    out = func(to_numpy(x), type=2, axes=axes, norm="ortho", workers=_workers(x))
    return asarray(out, xp=xp, dtype=x.dtype, device=dev)


def dct(x, axes=None):
    """Orthonormal DCT-II over ``axes`` (all axes by default).

    NumPy: scipy.fft; CuPy: cupyx.scipy.fft; other namespaces: through the host.
    """
    xp = namespace(x)
    if is_numpy(xp):
        return xp.asarray(scipy.fft.dctn(_np(x), type=2, axes=axes, norm="ortho", workers=_workers(x)))
    if is_cupy(xp):
        import cupyx.scipy.fft as cufft
        return cufft.dctn(x, type=2, axes=axes, norm="ortho")
    return _dct_via_host(scipy.fft.dctn, x, axes)


def idct(x, axes=None):
    """Inverse of :func:`dct` (orthonormal, so also its adjoint)."""
    xp = namespace(x)
    if is_numpy(xp):
        return xp.asarray(scipy.fft.idctn(_np(x), type=2, axes=axes, norm="ortho", workers=_workers(x)))
    if is_cupy(xp):
        import cupyx.scipy.fft as cufft
        return cufft.idctn(x, type=2, axes=axes, norm="ortho")
    return _dct_via_host(scipy.fft.idctn, x, axes)


# --------------------------------------------------------------------------
# checks and tolerances
# --------------------------------------------------------------------------


def tolerance(dtype, kind: str = "rtol") -> float:
    """Per-dtype tolerance used by the tests and the report: float64 → 1e-9, float32 → 1e-4."""
    if dtype_name(dtype) == "float32":
        return 1e-4 if kind == "rtol" else 1e-5
    return 1e-9 if kind == "rtol" else 1e-11
