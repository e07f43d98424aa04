"""Tests for cstheory._checks: the input contract (dtype policy, scalars, shapes, backends, memory)."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstheory import _checks
from cstheory._backend import real_dtype, resolve_namespace, to_numpy


# -- the dtype policy -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_real_floating_arrays_are_accepted_and_returned_as_they_are(xp, dtype):
    x = xp.asarray(np.arange(3.0, dtype=dtype))
    assert _checks.array(x, "x") is x


@pytest.mark.parametrize("dtype, hint", [
    (np.int64, "convert with x.astype(float)"), (np.int32, "convert with x.astype(float)"),
    (np.bool_, "convert with x.astype(float)"), (np.float16, "float16 is not supported"),
    (np.complex128, "complex dtype"), (np.complex64, "complex dtype"),
])
def test_other_dtypes_are_refused_with_a_type_error_naming_the_argument(dtype, hint):
    x = np.ones(3, dtype=dtype)
    with pytest.raises(TypeError, match=r"^x must .*") as info:
        _checks.array(x, "x")
    assert hint in str(info.value)


def test_complex_is_accepted_where_a_function_is_defined_on_complex_data():
    z = np.ones(3, dtype=np.complex128)
    assert _checks.array(z, "z", dtype="real or complex") is z
    with pytest.raises(TypeError, match="z must be a real floating array"):
        _checks.array(np.ones(3, dtype=np.int64), "z", dtype="real or complex")


@pytest.mark.parametrize("mask", [np.ones((2, 2), dtype=bool), np.ones((2, 2), dtype=np.int64), np.ones((2, 2))])
def test_masks_may_be_bool_int_or_float(mask):
    assert _checks.array(mask, "mask", dtype="mask") is mask


@pytest.mark.parametrize("value", [[1.0, 2.0], (1.0,), 3.0, 3, None, "abc", np.float64(1.0)])
def test_a_non_array_is_refused(value):
    with pytest.raises(TypeError, match="x must be an array"):
        _checks.array(value, "x")


def test_lists_get_the_conversion_hint():
    with pytest.raises(TypeError, match=r"convert with numpy.asarray\(y\)"):
        _checks.array([1.0], "y")


def test_shape_rank_emptiness_and_finiteness(xp):
    with pytest.raises(ValueError, match="A must be 2-D, got shape"):
        _checks.array(xp.ones(3), "A", ndim=2)
    with pytest.raises(ValueError, match="A must not be empty"):
        _checks.array(xp.ones((0, 3)), "A")
    assert _checks.array(xp.ones((0, 3)), "A", allow_empty=True).shape == (0, 3)
    with pytest.raises(ValueError, match="A contains non-finite"):
        _checks.array(xp.asarray([1.0, math.inf]), "A")
    assert _checks.array(xp.asarray([1.0, math.nan]), "A", finite=False).shape == (2,)


def test_dtype_keyword_policy(xp):
    assert real_dtype(xp, None) == xp.float64
    assert real_dtype(xp, "float32") == xp.float32
    assert real_dtype(xp, np.float32) == xp.float32
    for bad in ("int64", np.int64, np.float16, np.complex128, "bool", "nonsense"):
        with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
            real_dtype(xp, bad)
    with pytest.raises(TypeError, match="dtype must be"):
        real_dtype(xp, 3)


def test_namespace_keyword_and_conversion_refuse_non_arrays():
    with pytest.raises(TypeError, match="xp must be an array namespace"):
        resolve_namespace(3)
    with pytest.raises(ValueError, match="xp must be 'numpy'"):
        resolve_namespace("nonsense")
    for bad in (None, "abc", {"a": 1}):
        with pytest.raises(TypeError, match="x must be an array"):
            to_numpy(bad)
    with pytest.raises(TypeError, match="ragged"):
        to_numpy([[1.0], [1.0, 2.0]])
    assert to_numpy([1, 2]).tolist() == [1, 2]     # a conversion, not a computation: any dtype


# -- scalars ---------------------------------------------------------------------------------
@given(st.integers(-10**40, 10**40))
def test_integer_accepts_every_int_and_checks_the_range(v):
    if v >= 1:
        assert _checks.positive_int(v, "n") == v
        assert _checks.positive_int(np.int64(min(v, 2**62)), "n") == min(v, 2**62)
    else:
        with pytest.raises(ValueError, match="n must be an integer >= 1"):
            _checks.positive_int(v, "n")


@pytest.mark.parametrize("value", [2.5, 3.0, "3", True, np.True_, None, np.array([3]), 1 + 0j])
def test_integer_refuses_non_integers(value):
    with pytest.raises(TypeError, match="n must be an integer"):
        _checks.integer(value, "n")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_real_refuses_nan_and_inf(value):
    with pytest.raises(ValueError, match="eta must be finite"):
        _checks.real(value, "eta")


@pytest.mark.parametrize("value", ["0.5", True, 1j, None, np.ones(2)])
def test_real_refuses_non_numbers(value):
    with pytest.raises(TypeError, match="eta must be a real number"):
        _checks.real(value, "eta")


def test_real_ranges_say_the_interval():
    assert _checks.real(0.5, "gamma", 0.0, 1.0, low_open=True, high_open=True) == 0.5
    for bad in (0.0, 1.0, -1.0, math.nan):
        with pytest.raises(ValueError, match=r"gamma must lie in \(0, 1\)"):
            _checks.real(bad, "gamma", 0.0, 1.0, low_open=True, high_open=True)
    assert _checks.real(1.0, "f", 0.0, 1.0, low_open=True) == 1.0
    with pytest.raises(ValueError, match="x must be >= 0"):
        _checks.positive_float(-1e-300, "x", allow_zero=True)


def test_flags_and_choices():
    assert _checks.flag(np.True_, "lines") is True
    for bad in (1, 0, "yes", None):
        with pytest.raises(TypeError, match="lines must be True or False"):
            _checks.flag(bad, "lines")
    assert _checks.choice("gd", ("gd", "adam"), "optimizer") == "gd"
    with pytest.raises(ValueError, match="optimizer must be one of"):
        _checks.choice("sgd", ("gd", "adam"), "optimizer")
    with pytest.raises(TypeError, match="optimizer must be one of"):
        _checks.choice(3, ("gd", "adam"), "optimizer")


# -- shapes, axes, backends --------------------------------------------------------------------
def test_shape_tuple():
    assert _checks.shape_tuple(8, "size") == (8,)
    assert _checks.shape_tuple([4, np.int64(5)], "shape", lengths=(2,)) == (4, 5)
    with pytest.raises(TypeError, match="shape must be a tuple of 2 entries"):
        _checks.shape_tuple(8, "shape", lengths=(2,))
    with pytest.raises(ValueError, match="shape must have 2 entries"):
        _checks.shape_tuple((8,), "shape", lengths=(2,))
    with pytest.raises(TypeError, match="shape must be an integer"):
        _checks.shape_tuple((8, 2.5), "shape", lengths=(2,))
    with pytest.raises(ValueError, match="shape must be an integer >= 1"):
        _checks.shape_tuple((8, 0), "shape", lengths=(2,))
    with pytest.raises(TypeError, match="size must be an int or a tuple"):
        _checks.shape_tuple("8", "size")


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_axes_do_not_wrap(ndim):
    assert [_checks.axis(a, ndim) for a in range(-ndim, ndim)] == list(range(ndim)) * 2
    for bad in (ndim, -ndim - 1, 10 * ndim):
        with pytest.raises(ValueError, match=f"axis must lie in \\[-{ndim}, {ndim - 1}\\]"):
            _checks.axis(bad, ndim)


def test_backend_agreement_names_both_arguments(xp):
    import array_api_strict as strict

    other = strict if xp is not strict else resolve_namespace("numpy")
    assert _checks.namespace(A=xp.ones((2, 2)), y=xp.ones(2), x0=None) is xp
    with pytest.raises(TypeError, match=r"y is an array of .* but A is an array of .*different backends"):
        _checks.namespace(A=xp.ones((2, 2)), y=other.ones(2))


# -- memory --------------------------------------------------------------------------------------
def test_memory_refusal_states_the_bytes(monkeypatch):
    monkeypatch.setenv("CSTHEORY_MAX_BYTES", str(2**30))
    assert _checks.max_bytes() == 2**30
    assert _checks.memory(2**30, "ok") == 2**30
    with pytest.raises(ValueError, match=r"thing\(n=9\) needs 1073741825 bytes \(1 GiB\), more than"):
        _checks.memory(2**30 + 1, "thing(n=9)")
    need = _checks.nbytes((10**30, 10**30))
    assert need == 8 * 10**60                      # exact Python ints: no overflow
    with pytest.raises(ValueError, match=r"needs 8.00e\+60 bytes"):
        _checks.memory(need, "trig_basis(n=1e30)")


def test_the_default_limit_is_the_physical_memory(monkeypatch):
    import os

    monkeypatch.delenv("CSTHEORY_MAX_BYTES", raising=False)
    assert _checks.max_bytes() == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def test_integer_bounds_are_inclusive():
    assert _checks.positive_int(1, "n") == 1
    assert _checks.integer(0, "t", minimum=0) == 0 and _checks.integer(5, "t", maximum=5) == 5
    with pytest.raises(ValueError, match="t must be an integer >= 0, got -1"):
        _checks.integer(-1, "t", minimum=0)
    with pytest.raises(ValueError, match="t must be an integer <= 5, got 6"):
        _checks.integer(6, "t", maximum=5)
    assert _checks.positive_float(0.0, "x", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="x must be > 0"):
        _checks.positive_float(0.0, "x")
