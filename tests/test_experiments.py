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


@pytest.mark.parametrize("text, want", [("1", True), ("TRUE", True), (" on ", True), ("yes", True),
                                        ("", False), ("0", False), ("Off", False), ("no", False)])
def test_quick_mode_parses_the_variable_one_way(text, want):
    from cstheory.experiments import quick_mode
    assert quick_mode({"CSTHEORY_QUICK": text}) is want


@pytest.mark.parametrize("text", ["2", "quick", "-1", "1.0"])
def test_quick_mode_refuses_a_typo_naming_the_variable(text):
    from cstheory.experiments import quick_mode
    with pytest.raises(ValueError, match="CSTHEORY_QUICK"):
        quick_mode({"CSTHEORY_QUICK": text})


@pytest.mark.parametrize("text, want", [("0", 0), ("7", 7), (" 12 ", 12), ("", 0)])
def test_first_seed_reads_a_non_negative_integer(text, want):
    from cstheory.experiments import first_seed
    assert first_seed({"CSTHEORY_SEED": text}) == want
    assert first_seed({}) == 0


@pytest.mark.parametrize("text", ["-1", "1.5", "one", "3e2"])
def test_first_seed_refuses_anything_else_naming_the_variable(text):
    from cstheory.experiments import first_seed
    with pytest.raises(ValueError, match="CSTHEORY_SEED must be a non-negative integer"):
        first_seed({"CSTHEORY_SEED": text})
