"""cstheory._numeric: the scale-safe helpers (powers of two, the overflow-free norm)."""
import math

import numpy as np
import pytest

from cstheory import _numeric
from cstheory.testing import on_backend


def test_scale_is_the_power_of_two_below_the_largest_entry_per_row():
    """scale (used by kernels.py, and by spectrum.py with axis=1): 2^e ≤ max|x| < 2^(e+1), 1 for all-zero x or rows,
    kept as a column (keepdims) when an axis is given; values below 1 get powers below 1.

    kills mutants: x__scale__mutmut_3, 6, 7, 19, 20."""
    X = np.array([[3.0, -0.5], [0.0, 0.0], [0.25, -0.1], [-1.0, 0.75]])
    s = _numeric.scale(np, X, axis=1)
    assert s.shape == (4, 1)
    np.testing.assert_array_equal(s, [[2.0], [1.0], [0.25], [1.0]])
    assert float(_numeric.scale(np, X)) == 2.0
    assert float(_numeric.scale(np, np.array([0.3, -0.2]))) == 0.25
    assert float(_numeric.scale(np, np.zeros(3))) == 1.0


@pytest.mark.parametrize("c, want", [(3.0, 2.0), (-3.0, 2.0), (1.0, 1.0), (2.0, 2.0), (0.75, 0.5),
                                     (1e300, 2.0**996), (5e-324, 5e-324), (0.0, 1.0),
                                     (float("inf"), 1.0), (float("-inf"), 1.0), (float("nan"), 1.0)])
def test_pow2_is_the_host_power_of_two_below_abs_c(c, want):
    """pow2 (used by linear.py and bounds.py): 2^e ≤ |c| < 2^(e+1), 1.0 for 0 and non-finite c.

    kills mutants: x__pow2__mutmut_1 to 16 (not reached by the kernels tests before)."""
    assert _numeric.pow2(c) == want


@pytest.mark.parametrize("x, want", [([3.0, 4.0], 5.0), ([3e200, -4e200], 5e200), ([3e-200, 4e-200], 5e-200),
                                     ([0.0, 0.0], 0.0), ([1.0, float("inf")], float("inf")),
                                     ([5e-324, 0.0], 5e-324)])
def test_norm_is_the_two_norm_without_overflow_or_underflow(xp, x, want):
    """‖x‖₂ where the direct formula overflows (3e200² = inf) or underflows (3e-200² = 0); 0 and inf pass through."""
    got = _numeric.norm(xp, on_backend(np.array(x), xp))
    assert isinstance(got, float)
    assert got == pytest.approx(want, rel=1e-15)


def test_overflow_to_inf_silences_only_the_overflow_warning():
    """Inside the context, 1e308 · 10 is inf with no RuntimeWarning; a division by zero still warns."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with _numeric.overflow_to_inf():
            assert math.isinf(float(np.float64(1e308) * np.float64(10.0)))
            with pytest.raises(RuntimeWarning, match="divide"):
                np.float64(1.0) / np.float64(0.0)
