"""The experiments registry (cstheory/experiments/__init__.py): the contract every experiment module keeps."""
import importlib

import pytest

from cstheory.experiments import EXPERIMENTS


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_run_takes_quick_as_a_bool_only(name):
    """``run(quick=...)`` is True or False: 1, "yes" or None is a TypeError naming ``quick``, raised before any work
    (a truthy string would otherwise silently pick one mode)."""
    run = importlib.import_module(EXPERIMENTS[name].module).run
    for bad in ("yes", 1, None):
        with pytest.raises(TypeError, match="quick must be True or False"):
            run(quick=bad)
