"""Test harness: the ``xp`` fixture over every backend present, and the hypothesis profiles.

* ``xp`` runs a test on NumPy and array_api_strict always, and on CuPy when
  ``cupy.cuda.is_available()``.
* Hypothesis profiles: ``ci`` (derandomized, no deadline; the default when
  the ``CI`` environment variable is set) and ``dev`` (random, no deadline).
  Choose one with ``CSTHEORY_HYPOTHESIS_PROFILE=ci|dev``.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

from cstheory._backend import available_backends, resolve_namespace

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=20, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev", deadline=None, max_examples=20,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("CSTHEORY_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

BACKENDS = available_backends()


@pytest.fixture(params=BACKENDS)
def xp(request):
    """The array namespace of one backend present on this machine."""
    return resolve_namespace(request.param)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The name of one backend present on this machine."""
    return request.param
