"""Readable reprs for result objects (floor 1): sizes and the headline numbers, never whole arrays.

A dataclass of results (an experiment's ``run()`` output, :class:`cstheory.LinearizationResult`,
:class:`cstheory.Theorem3Quantities`, …) printed with the default dataclass repr shows every
entry of every array.  :func:`compact_repr` replaces that repr by one that shows numbers as
numbers (4 significant digits), short vectors by their values, and every other array by its
shape and dtype::

    @compact_repr(headline=("max_residual_gap",))
    @dataclass
    class LinearizationResult: ...

    print(res)   # LinearizationResult(max_residual_gap=0.0123, …, iterations=[0 50 100], residual_gap=array(3,) float64, …)
"""
from __future__ import annotations

import dataclasses
import numbers

import numpy as np

__all__ = ["compact_repr", "summarize", "MAX_SHOWN", "WIDTH"]

#: arrays, lists and dicts with at most this many entries are shown in full
MAX_SHOWN = 6
#: reprs longer than this are split over several lines, one field per line
WIDTH = 100


def _number(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return str(int(x))
    if isinstance(x, numbers.Real):
        return f"{float(x):.4g}"
    return f"{complex(x):.4g}"


def _is_array(x) -> bool:
    """An array of any backend (an operator has a shape and a dtype too, but no ``ndim``)."""
    return all(hasattr(x, a) for a in ("shape", "dtype", "ndim")) and not isinstance(x, (np.generic, type))


def _dtype(x) -> str:
    return str(x.dtype).split(".")[-1].strip("'>")


def summarize(value, depth: int = 0) -> str:
    """A short text for ``value``: numbers with 4 digits, small containers in full, arrays as shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from cstheory._repr import summarize
    >>> print(summarize(np.arange(3)), summarize(np.zeros((64, 64))), summarize(np.pi))
    [0 1 2] array(64, 64) float64 3.142
    >>> print(summarize({"camera": 0.0123456, "grass": np.ones(1000)}))
    {camera: 0.01235, grass: array(1000,) float64}
    """
    if value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, np.ndarray):
        return _number(value)
    if _is_array(value):
        shape = tuple(int(s) for s in value.shape)
        if len(shape) == 0:
            return _number(np.asarray(value).item()) if isinstance(value, np.ndarray) else f"array() {_dtype(value)}"
        if len(shape) == 1 and shape[0] <= MAX_SHOWN and isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            return "[" + " ".join(_number(v) for v in value.tolist()) + "]"
        dims = ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "")
        return f"array({dims}) {_dtype(value)}"
    if depth >= 2:
        return type(value).__name__
    if isinstance(value, dict):
        if len(value) > MAX_SHOWN:
            return f"dict({len(value)} entries)"
        return "{" + ", ".join(f"{k}: {summarize(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
        if len(value) <= MAX_SHOWN and not any(_is_array(v) for v in value):
            inner = ", ".join(summarize(v, depth + 1) for v in value)
            return open_ + inner + ("," if isinstance(value, tuple) and len(value) == 1 else "") + close
        if value and all(_is_array(v) for v in value):
            shapes = {tuple(v.shape) for v in value}
            if len(shapes) == 1:
                return f"{open_}{len(value)} × {summarize(value[0], depth + 1)}{close}"
            return f"{open_}{len(value)} arrays{close}"
        return f"{type(value).__name__}({len(value)} entries)"
    text = repr(value)
    return text if len(text) <= 80 and "\n" not in text else type(value).__name__


def _format(name: str, items: list[tuple[str, str]]) -> str:
    one_line = f"{name}(" + ", ".join(f"{k}={v}" for k, v in items) + ")"
    if len(one_line) <= WIDTH:
        return one_line
    return f"{name}(\n" + "".join(f"    {k}={v},\n" for k, v in items) + ")"


def compact_repr(cls=None, *, headline=()):
    """Class decorator (for dataclasses): a ``__repr__`` that summarizes every field.

    Parameters
    ----------
    cls : type
        A dataclass.
    headline : tuple of str
        Names of properties shown first (e.g. a maximum gap computed from the arrays).

    Returns
    -------
    type
        ``cls``, with its ``__repr__`` replaced.

    Examples
    --------
    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> from cstheory._repr import compact_repr
    >>> @compact_repr(headline=("worst",))
    ... @dataclass
    ... class Errors:
    ...     sizes: np.ndarray
    ...     errors: np.ndarray
    ...     @property
    ...     def worst(self):
    ...         return float(self.errors.max())
    >>> Errors(np.arange(4), np.linspace(0, 1, 500))
    Errors(worst=1, sizes=[0 1 2 3], errors=array(500,) float64)
    """
    def headline_value(self, name):
        """A headline property, or "—" when it is undefined for this result (e.g. the maximum of no gaps):
        a repr never raises."""
        try:
            return summarize(getattr(self, name))
        except (ValueError, ZeroDivisionError, IndexError):
            return "—"

    def decorate(klass):
        def __repr__(self):
            items = [(h, headline_value(self, h)) for h in headline]
            items += [(f.name, summarize(getattr(self, f.name))) for f in dataclasses.fields(self) if f.repr]
            return _format(type(self).__name__, items)

        klass.__repr__ = __repr__
        return klass

    return decorate(cls) if cls is not None else decorate
