"""The checking machinery of the exercises (cstheory/exercises/_engine.py, _formatting.py, _strategies.py) on a toy exercise, y = 2x.

Fast, in-process tests (about a second in all): they pin the verdicts, the messages, the hints and the
reports that every exercise shares, and are the tests mutation testing runs against _framework.py
(tests/MUTATION.md).  Each test that was written for survivors of a mutation run names them in its
docstring ("kills mutants: …"); it fails on each of them.
"""
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, Verbosity

from cstheory.exercises._engine import CheckResult, Exercise, InProcess, Mistake, Rejection, check_settings
from cstheory.exercises._formatting import format_value
from cstheory.exercises._strategies import circulant, float_arrays, no_relu_ties
from cstheory.exercises._sandbox import Foreign, StudentError, SubmissionAbort

TOY_STATEMENT = """
Return twice the input.

    y = 2 x

""" + "a" * 44 + " " + "b" * 44 + """
"""


def _toy(**kw):
    """Exercise 'toy': y = 2x for x ∈ R³ (one classic mistake: returning x)."""
    args = dict(name="toy", function="double", title="Exercise 'toy': twice x", statement=TOY_STATEMENT,
                stub="def double(x):\n    raise NotImplementedError\n",
                draw=lambda data: {"x": data.draw(float_arrays((3,), 2.0), label="x")},
                reference=lambda x: 2 * x, example=lambda: {"x": np.array([1.0, 2.0, 3.0])},
                mistakes=[Mistake("same", "you returned x itself", lambda x: x)], default_hint="multiply by two")
    args.update(kw)
    return Exercise(**args)


def test_close_is_rtol_on_the_scale_of_the_expected_answer():
    """|got − expected| ≤ rtol·(scale + |expected|) entrywise, scale = max(atol_floor, max|expected|) (1 when 0):
    just inside is accepted, just outside rejected — a loosened or tightened tolerance fails here."""
    ex = _toy()
    rtol = ex.rtol
    e = np.array([3.0, 0.0, -1.0])                      # scale 3
    for factor, ok in ((0.9, True), (1.1, False)):
        assert ex.close(e + np.array([0.0, factor * rtol * 3, 0.0]), e) is ok                   # absolute part
        assert ex.close(e + np.array([factor * rtol * 6, 0.0, 0.0]), e) is ok                   # 3 + 3·|e|
    small = np.array([1e-3, 0.0])
    assert ex.close(small + [0.0, 0.9 * rtol], small)                                          # floor 1
    assert not _toy(atol_floor=1e-12).close(small + [0.0, 0.9 * rtol], small)                  # purely relative
    zero = np.zeros(2)
    flat = _toy(atol_floor=0.0)
    assert flat.close(zero + 0.9 * rtol, zero) and not flat.close(zero + 1.1 * rtol, zero)     # scale 0 → 1
    assert ex.close(np.zeros((0, 3)), np.zeros((0, 3)))
    assert not ex.close((e,), (e, e)) and not ex.close(e[:2], e)
    assert ex.close((e, small), (e, small)) and not ex.close((e, small + 1e-3), (e, small))


def test_check_settings_are_the_documented_ones():
    """No deadline, no database, quiet, one bug reported, every health check off, explicit/generate/shrink,
    50 derandomized examples (or the given number; random from a seed)."""
    s = check_settings()
    assert s.max_examples == 50 and s.derandomize is True and s.deadline is None and s.database is None
    assert s.print_blob is False and s.report_multiple_bugs is False and s.verbosity == Verbosity.quiet
    assert tuple(s.phases) == (Phase.explicit, Phase.generate, Phase.shrink)
    assert set(s.suppress_health_check) == set(HealthCheck)
    t = check_settings(7, seed=3)
    assert t.max_examples == 7 and t.derandomize is False


def test_check_passes_max_examples_and_reports_the_result_fields():
    calls = []

    def twice(x):
        calls.append(1)
        return 2 * x

    res = _toy().check(twice, max_examples=3)
    assert res.accepted is True and res.exercise == "toy" and res.max_examples == 3 and len(calls) <= 4
    assert 0.0 < res.seconds < 60.0 and res.seed is None
    res = _toy(outputs=()).check(twice, max_examples=2, seed=11)
    assert res.seed == 11 and res.max_examples == 2 and "seed 11" in res.summary()
    two = _toy(outputs=("y", "z"), reference=lambda x: (2 * x, x))
    bad = two.check(lambda x: (2 * x, 3 * x), max_examples=5)
    assert bad.outputs == ("y", "z") and "  z =" in bad.report()


def test_a_list_is_an_answer_and_references_are_float64():
    """A returned list (or tuple) of numbers is converted; the expected answer is float64 whatever the reference
    returns; an undiagnosed wrong answer gets the default hint and no mistake key."""
    assert _toy().check(lambda x: [float(v) for v in 2 * x], max_examples=5).accepted
    ints = _toy(reference=lambda x: np.round(x).astype(np.int64))
    res = ints.check(lambda x: np.round(x) + 1, max_examples=5)
    assert res.expected.dtype == np.float64
    assert res.message == "Wrong values: your result differs from cstheory's."
    assert res.hint == "multiply by two" and res.mistake == ""
    two = _toy(outputs=("y", "z"), reference=lambda x: (np.round(x).astype(np.int64), x))
    res = two.check(lambda x: (np.round(x) + 1, x), max_examples=5)
    assert all(p.dtype == np.float64 for p in res.expected)


def test_the_classic_mistake_is_named_with_its_hint():
    res = _toy().check(lambda x: x, max_examples=10)
    assert res.accepted is False and res.not_implemented is False
    assert res.mistake == "same" and res.hint == "you returned x itself"


def test_convert_says_what_was_returned():
    two = _toy(outputs=("y", "z"), reference=lambda x: (2 * x, x))
    e = (np.zeros(3), np.zeros(3))
    assert two.convert(np.zeros(3), e)[1] == (
        "Your function returned ndarray; expected a tuple of 2 arrays (y, z).", "return (y, z) as a tuple", "")
    assert two.convert([1.0], e)[1][0] == "Your function returned a list of length 1; expected a tuple of 2 " \
                                         "arrays (y, z)."
    assert two.convert(np.zeros((2, 3)), e)[0] is None
    assert two.convert((np.zeros(3), "no"), e)[1] == (
        "Your function returned str for z, not an array.", "return (y, z) as a tuple of NumPy arrays", "")
    assert two.convert((np.zeros(3), Foreign("Widget")), e)[1][0] == \
        "Your function returned Widget for z, not an array."
    one = _toy()
    assert one.convert("x", np.zeros(3))[1] == ("Your function returned str, not an array.",
                                               "return a NumPy array of shape (3,)", "")
    assert one.convert(Foreign("Gadget"), np.float64(1.0))[1] == ("Your function returned Gadget, not an array.",
                                                                 "return a float", "")
    res = one.check(lambda x: "text", max_examples=3)
    assert res.inputs is not None and res.expected is not None and res.mistake == ""
    assert res.hint == "return a NumPy array of shape (3,)"
    cplx = one.check(lambda x: 2 * x + 0j, max_examples=3)
    assert cplx.mistake == "complex_result" and cplx.hint == one.complex_hint
    assert cplx.message == "Your function returned a complex array; the answer is real."


def test_raise_hints_by_kind_of_error():
    """exit → do not exit; MemoryError → memory; ValueError/IndexError about shapes → shape mismatch; other → the
    traceback."""
    ex = _toy()
    hint = ex._raise_hint
    assert hint(StudentError("SystemExit", "your function called sys.exit(0)", exited=True)).startswith(
        "do not call exit() or sys.exit() in the function")
    memory = "your function ran out of memory (a sandboxed check limits the process's memory): avoid forming huge"
    assert hint(StudentError("MemoryError", "...")).startswith(memory)
    assert hint(StudentError("RuntimeError", "Traceback ... MemoryError: no room")).startswith(memory)
    assert hint(StudentError("RuntimeError", "Traceback ... memoryerror")).startswith("the traceback above")
    shape = "a shape mismatch: check which side each matrix multiplies from"
    for kind in ("ValueError", "IndexError"):
        for word in ("shape", "align", "dimension"):
            assert hint(StudentError(kind, f"... {word} ...")).startswith(shape)
        assert hint(StudentError(kind, "... other ...")).startswith("the traceback above comes from your function")
    assert hint(StudentError("TypeError", "... shape ...")).startswith("the traceback above")

    def raises(x):
        raise ValueError("shapes (3,) and (2,) not aligned")

    res = ex.check(raises, max_examples=3)
    assert res.inputs is not None and res.expected is not None and res.hint.startswith(shape)
    assert res.summary().startswith("Your function raised ValueError: shapes (3,) and (2,) not aligned")

    def exits(x):
        sys.exit(2)

    res = ex.check(exits, max_examples=3)
    assert res.inputs is not None and res.expected is not None
    assert res.message == "Your function called sys.exit (your function called sys.exit(2))."
    assert res.hint.startswith("do not call exit()")


def test_not_implemented_on_some_inputs_only():
    """The stub (on the example) is said at once; a function unfinished for some inputs is told to finish."""
    ex = _toy()

    def stub(x):
        raise NotImplementedError

    res = ex.check(stub)
    assert (res.accepted, res.not_implemented) == (False, True)
    assert res.message == "not yet implemented: the function raises NotImplementedError"
    assert res.summary() == "not yet implemented (the function raises NotImplementedError)"

    def partial(x):
        if x[0] < 0.5:
            raise NotImplementedError
        return 2 * x

    res = ex.check(partial, max_examples=20)
    assert (res.accepted, res.not_implemented) == (False, True) and res.inputs is not None
    assert res.expected is not None
    assert res.message == "Your function raised NotImplementedError on these inputs."
    assert res.hint == "finish the implementation (no input may be left unimplemented)"


def test_nan_and_shape_rejections_keep_the_counterexample():
    ex = _toy()
    res = ex.check(lambda x: np.full(3, np.nan), max_examples=3)
    assert res.message == "Your result contains NaN or infinity." and res.inputs is not None
    assert res.hint == ex.nan_hint and res.mistake == ""
    res = ex.check(lambda x: np.zeros(4), max_examples=3)
    assert res.message == "Wrong shape: expected (3,), got (4,)." and res.inputs is not None
    assert res.hint == "the result must have shape (3,)" and res.mistake == "wrong_shape"


class _Aborting:
    """A caller whose call number ``at`` ends the check (as a sandbox does on a timeout)."""

    def __init__(self, at):
        self.at, self.calls = at, 0

    def __call__(self, inputs):
        self.calls += 1
        if self.calls == self.at:
            raise SubmissionAbort("timeout", "time is up", hint="make it faster", key="slow")
        return 2 * inputs["x"]


def test_an_aborted_check_reports_the_call_in_progress():
    ex = _toy()
    for at in (1, 3):                                   # on the example, then inside the property
        res = ex.run_check(_Aborting(at), max_examples=5)
        assert res.accepted is False and res.verdict == "timeout" and res.shrunk is False
        assert (res.message, res.hint, res.mistake) == ("time is up", "make it faster", "slow")
        assert res.inputs is not None and set(res.inputs) == {"x"}
        if at == 1:
            np.testing.assert_array_equal(res.inputs["x"], ex.example()["x"])
        assert "TIMEOUT" in res.report() and "Inputs of the call in progress:" in res.report()


def test_an_abort_while_explaining_keeps_the_rejection():
    """A sandbox that gives up while the rejected function is observed on more examples ends the probing:
    the rejection stands, diagnosed on the answers seen until then."""
    class WrongThenAbort:
        def __init__(self):
            self.wrong = 0

        def __call__(self, inputs):
            if self.wrong >= 30:
                raise SubmissionAbort("timeout", "time is up")
            self.wrong += 1
            return inputs["x"]

    ex = _toy()
    res = ex.run_check(WrongThenAbort(), max_examples=10)
    assert res.accepted is False and res.not_implemented is False and res.verdict == "rejected"
    assert res.expected is not None and res.got is not None and res.inputs is not None
    assert res.message == "Wrong values: your result differs from cstheory's."
    assert res.mistake == "same" and res.hint == "you returned x itself"   # diagnosed on what was seen


def test_a_function_with_state_is_told_to_be_deterministic():
    state = {"n": 0, "calls": 0}

    def once_wrong(x):                  # wrong once, on the first drawn x ≠ 0 (call 1 is the stub probe)
        state["calls"] += 1
        if state["n"] == 0 and state["calls"] > 1 and np.any(x != 0):
            state["n"] = 1
            return x
        return 2 * x

    res = _toy().check(once_wrong, max_examples=20)
    assert res.accepted is False
    assert res.hint == "make the function deterministic: the same inputs must give the same output"
    assert res.message.startswith("Your function gave different verdicts on the same inputs (is it random, "
                                  "or does it keep state between calls?): Flaky")


def test_in_process_calls_copy_the_inputs_and_classify_errors():
    x = np.array([1.0, 2.0])

    def scribbles(x):
        x[:] = 0.0
        return x

    InProcess(scribbles)({"x": x})
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert InProcess(lambda n: n + 1)({"n": 3}) == 4          # non-arrays are passed as they are
    for func, kind, impl, exited in ((lambda: sys.exit(3), "SystemExit", False, True),
                                     (lambda: 1 / 0, "ZeroDivisionError", False, False),
                                     (lambda: (_ for _ in ()).throw(NotImplementedError()), "NotImplementedError",
                                      True, False)):
        with pytest.raises(StudentError) as info:
            InProcess(func)({})
        err = info.value
        assert (err.type_name, err.not_implemented, err.exited) == (kind, impl, exited)
    with pytest.raises(StudentError) as info:
        InProcess(lambda: sys.exit(3))({})
    assert info.value.detail == "your function called sys.exit(3)"
    with pytest.raises(TypeError, match=r"^func must be callable, got str$"):
        InProcess("f")


def test_student_traceback_shows_the_last_four_frames_of_the_students_code():
    import traceback

    def f1(x):
        return f2(x)

    def f2(x):
        return f3(x)

    def f3(x):
        return f4(x)

    def f4(x):
        return f5(x)

    def f5(x):
        raise ValueError("boom")

    try:
        f1(np.zeros(3))
    except ValueError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    want = "".join(traceback.format_list(frames[-4:])) + "ValueError: boom"
    res = _toy().check(f1, max_examples=2)
    assert res.message == "Your function raised an exception:\n" + want


def test_rejection_check_result_and_exercise_validate():
    rej = Rejection("wrong", {"x": 1})
    assert str(rej) == "wrong" and (rej.hint, rej.mistake, rej.headline, rej.not_implemented) == ("", "", "", False)
    rej = Rejection("wrong", {}, not_implemented=True, mistake="k")
    assert rej.not_implemented is True and rej.mistake == "k"
    with pytest.raises(ValueError, match=r"^verdict must be one of \('accepted', 'rejected', 'error', 'timeout'\), "
                                         r"got 'maybe'$"):
        CheckResult(exercise="t", accepted=False, verdict="maybe")
    with pytest.raises(ValueError, match=r"^verdict 'rejected' contradicts accepted=True$"):
        CheckResult(exercise="t", accepted=True, verdict="rejected")
    with pytest.raises(ValueError, match=r"^exercise 'toy': mistake keys must be unique, got \['a', 'a'\]$"):
        _toy(mistakes=[Mistake("a", "h1", lambda x: x), Mistake("a", "h2", lambda x: -x)])
    assert len(_toy(mistakes=[Mistake("a", "h1", lambda x: x), Mistake("b", "h2", lambda x: -x)]).mistakes) == 2


def test_small_helpers():
    """circulant is float64; no_relu_ties compares min|Z| with 1e-7·(1 + max|Z|), strictly."""
    assert circulant([1, 2, 3]).dtype == np.float64
    np.testing.assert_array_equal(circulant([1, 2, 3]), [[1, 3, 2], [2, 1, 3], [3, 2, 1]])
    assert not no_relu_ties(np.array([2e-7, -1.0]))          # exactly at the threshold: a tie
    assert no_relu_ties(np.array([2.5e-7, -1.0]))
    assert not no_relu_ties(np.array([0.5, 0.0]))


def test_format_value_prints_four_decimals_and_no_negative_zero():
    assert format_value(np.array([[-0.0, 1.23456789], [1e-9, 123456.0]])) == (
        "    array of shape (2, 2):\n    [[     0.    ,      1.2346],\n     [     0.    , 123456.    ]]")
    assert format_value(np.array([-0.0, 2.5])) == "    [0. , 2.5]"
    assert format_value(np.float64(3.5)) == "    3.5" and format_value(3) == "    3"
    assert format_value(np.array([1, 2]), indent="  ") == "  [1, 2]"
    assert format_value(np.zeros((1, 1, 2))).startswith("    array of shape (1, 1, 2):\n")
    assert "..." not in format_value(np.zeros(1500))
    assert format_value(np.arange(30.0)) == (
        "    [ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13., 14., 15., 16., 17., 18., 19.,\n"
        "     20., 21., 22., 23., 24., 25., 26., 27., 28., 29.]")


def test_report_and_summary_of_a_rejection():
    """The report lists the verdict, the message, the counterexample, expected, got, the largest difference, the
    hint, the printed lines and how to repeat the examples."""
    r = CheckResult(exercise="demo", accepted=False, message="Wrong values: your result differs from cstheory's.",
                    inputs={"u": np.array([1.0, -0.0]), "A": np.eye(2)}, expected=np.array([1.0, 2.0]),
                    got=np.array([1.0, 2.5]), hint="look at the sign", seconds=0.5, seed=7, output="hello\nworld")
    assert r.report() == "\n".join([
        "Exercise 'demo': REJECTED", "", "Wrong values: your result differs from cstheory's.", "",
        "Counterexample (shrunk by hypothesis):", "  u =", "    [1., 0.]", "  A =", "    array of shape (2, 2):",
        "    [[1., 0.],", "     [0., 1.]]", "", "Expected (cstheory's implementation):", "    [1., 2.]", "",
        "Got (your function):", "    [1. , 2.5]", "  largest difference |got − expected| = 0.5 at index (1,)", "",
        "Hint: look at the sign", "", "The last lines your code printed:", "  hello", "  world", "",
        "(hypothesis: up to 50 examples drawn from seed 7; 0.50 s)",
        "Repeat these examples with: cstheory exercise check demo FILE.py --seed 7"])
    assert r.summary() == "Wrong values: your result differs from cstheory's. Hint: look at the sign (seed 7)"
    blank = CheckResult(exercise="demo", accepted=False, message="")
    assert blank.summary() == ""
    assert CheckResult(exercise="d", accepted=False, message="one\ntwo", headline="head").summary() == "head"


def test_report_of_a_timeout_with_named_outputs():
    r = CheckResult(exercise="cn", accepted=False, message="m", inputs={"a": np.ones(2)},
                    expected=(np.ones(2), np.zeros(1)), got=(np.ones(2), np.ones(1)), outputs=("da", "dscale"),
                    verdict="timeout", shrunk=False, seconds=1.0)
    assert r.report() == "\n".join([
        "Exercise 'cn': TIMEOUT", "", "m", "", "Inputs of the call in progress:", "  a =", "    [1., 1.]", "",
        "Expected (cstheory's implementation):", "  da =", "    [1., 1.]", "  dscale =", "    [0.]", "",
        "Got (your function):", "  da =", "    [1., 1.]", "  dscale =", "    [1.]",
        "  largest difference |got − expected| of da = 0 at index (0,)",
        "  largest difference |got − expected| of dscale = 1 at index (0,)", "",
        "(hypothesis: up to 50 derandomized examples; 1.00 s)"])
    short = CheckResult(exercise="cn", accepted=False, message="m", got=(np.ones(2),), outputs=("da", "dscale"))
    assert short.report().split("Got (your function):\n")[1].startswith("  da =\n    [1., 1.]\n    (array([1., 1.]),)")
    err = CheckResult(exercise="cn", accepted=False, verdict="error", message="no such function")
    assert err.report().startswith("Exercise 'cn': ERROR\n\nno such function\n")


def test_accepted_summaries():
    assert CheckResult(exercise="d", accepted=True, max_examples=9).summary() == \
        "agrees with cstheory on every example (up to 9 examples)"
    assert CheckResult(exercise="d", accepted=True, max_examples=9, seed=4).summary() == \
        "agrees with cstheory on every example (up to 9 examples, seed 4)"


def test_show_wraps_prose_keeps_formulas_and_ends_with_the_command():
    text = _toy(title='Exercise \'toy\': twice """x"""').show()
    assert text == "\n".join([
        '"""Exercise \'toy\': twice \'\'\'x\'\'\'', "", "Return twice the input.", "", "    y = 2 x", "",
        "a" * 44, "b" * 44, "", "Check your solution with:", "    cstheory exercise check toy THIS_FILE.py",
        '"""', "def double(x):", "    raise NotImplementedError", ""])


# ---------------------------------------------------------------------------
# tests written for the survivors of the first mutation run of _framework.py (tests/MUTATION.md)
# ---------------------------------------------------------------------------
from hypothesis import settings  # noqa: E402

from cstheory.exercises._formatting import wrap_lines as _wrap_lines  # noqa: E402
from cstheory.exercises._strategies import output_weights  # noqa: E402

MSG = "Wrong values: your result differs from cstheory's."
X0 = np.array([1.0, -0.5, 0.25])


def _rejection(got, x=X0):
    return Rejection(MSG, {"x": x}, 2 * x, got, hint=None)


def test_check_settings_ignore_the_loaded_hypothesis_profile():
    """A profile loaded by a test suite (or a notebook) changes nothing: the settings are built on hypothesis'
    own ``default`` profile; a seeded run keeps no example database either.

    kills mutants: x_check_settings__mutmut_1, 9, 13."""
    current = settings.get_current_profile_name()
    settings.register_profile("_cstheory_test_other", stateful_step_count=7)
    settings.load_profile("_cstheory_test_other")
    try:
        s = check_settings()
    finally:
        settings.load_profile(current)
    assert s.stateful_step_count == settings.get_profile("default").stateful_step_count != 7
    assert check_settings(7, seed=3).database is None


def test_format_value_wraps_at_100_characters_and_summarises_above_2000_entries():
    """kills mutants: x_format_value__mutmut_21, 22."""
    lines = format_value(np.full((2, 11), 10.1235), indent="").splitlines()[1:]   # rows of 101 characters
    assert len(lines) == 4 and max(len(t) for t in lines) <= 100
    assert "..." in format_value(np.zeros(2001)) and "..." not in format_value(np.zeros(2000))


def test_a_multi_line_exception_is_shown_whole():
    """A SyntaxError from code the function compiles is several lines (the line, the caret, the error).

    kills mutants: x__student_traceback__mutmut_16."""
    import traceback

    def compiles(x):
        return compile("1 +", "<student>", "exec")

    try:
        compiles(None)
    except SyntaxError as exc:
        tail = "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    assert tail.count("\n") >= 2
    res = _toy().check(compiles, max_examples=2)
    assert res.message.endswith("\n" + tail)


def test_in_process_passes_non_arrays_as_they_are():
    """Lists and numbers (steps, m) reach the function untouched; arrays are copies.

    kills mutants: xǁInProcessǁ__call____mutmut_3."""
    got = InProcess(lambda steps, m: (steps, m))({"steps": [3, 1], "m": 2})
    assert type(got[0]) is list and got[0] == [3, 1] and type(got[1]) is int


def test_numpy_raising_on_floating_point_errors_changes_no_verdict():
    """Under ``np.errstate(all="raise")`` (or ``np.seterr``) of the caller, an overflow in the reference, in the
    student's function, in the comparison or in a classic mistake is not an exception.

    kills mutants: xǁInProcessǁ__call____mutmut_9; xǁExerciseǁexpected__mutmut_1; xǁExerciseǁclose__mutmut_27;
    xǁExerciseǁ_reproduces__mutmut_1."""
    def overflowing(x):                         # exp overflows to inf, the minimum makes it 1 again
        return 0.0 * np.minimum(np.exp(1000.0 * x * x), 1.0)

    ex = _toy(reference=lambda x: 2 * x + overflowing(x),
              mistakes=[Mistake("same", "you returned x itself", lambda x: x + overflowing(x))])
    x = np.array([1.0, -2.0, 0.5])
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(ex.expected({"x": x}), 2 * x)
        assert np.all(np.isinf(InProcess(lambda x: x / 0.0)({"x": x})))
        assert ex.close(np.array([1e308]), np.array([-1e308])) is False
        assert ex.diagnose([({"x": x}, x)]).key == "same"


def test_one_expected_array_is_printed_whole_even_with_named_outputs():
    """kills mutants: xǁCheckResultǁ_value_lines__mutmut_3."""
    r = CheckResult(exercise="d", accepted=False, message="m", expected=np.array([1.0, 2.0]), outputs=("y", "z"))
    assert "Expected (cstheory's implementation):\n    [1., 2.]\n" in r.report()


def test_several_outputs_are_compared_and_diagnosed_part_by_part():
    """A right tuple is accepted; a classic mistake returning a tuple is recognised.

    kills mutants: xǁExerciseǁexpected__mutmut_6; xǁExerciseǁ_reproduces__mutmut_7, 9, 10, 12."""
    two = _toy(outputs=("y", "z"), reference=lambda x: (2 * x, x),
               mistakes=[Mistake("swapped", "you swapped y and z", lambda x: (x, 2 * x))])
    assert two.check(lambda x: (2 * x, x), max_examples=5).accepted
    res = two.check(lambda x: (x, 2 * x), max_examples=5)
    assert res.mistake == "swapped" and res.hint == "you swapped y and z"


class _DLPackOnly:
    """An array of some array-API library that NumPy reads through DLPack only (no ``__array__``)."""

    def __init__(self, a):
        self._a = np.ascontiguousarray(a)

    def __dlpack__(self, *args, **kwargs):
        return self._a.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


def test_an_array_of_another_library_is_read_through_dlpack():
    """kills mutants: xǁExerciseǁ_array__mutmut_5."""
    assert np.asarray(_DLPackOnly(np.ones(2))).dtype == object       # NumPy alone does not see the numbers
    assert _toy().check(lambda x: _DLPackOnly(2 * x), max_examples=5).accepted


def test_diagnose_names_a_mistake_that_applies_and_always_reproduces():
    """A mistake that never applies (None), or reproduces one answer and not another, is not named.

    kills mutants: xǁExerciseǁdiagnose__mutmut_8."""
    ex = _toy(mistakes=[Mistake("never", "does not apply", lambda x: None),
                        Mistake("first_only", "matches once", lambda x: x if x[0] == 1.0 else -x),
                        Mistake("same", "you returned x itself", lambda x: x)])
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 3.0])
    assert ex.diagnose([({"x": a}, a), ({"x": b}, b)]).key == "same"
    assert ex.diagnose([({"x": a}, 3 * a)]) is None


def test_the_mistake_is_judged_on_the_counterexample_and_on_more_examples():
    """The counterexample alone names the mistake when nothing else is seen; other wrong answers that the
    mistake does not explain overrule it.

    kills mutants: xǁExerciseǁ_explain__mutmut_2, 4."""
    ex = _toy()

    def raises(inputs):
        raise StudentError("ValueError", "no other answers")

    assert ex._explain(_rejection(X0.copy()), raises) == (MSG, "you returned x itself", "same")
    assert ex._explain(_rejection(X0.copy()), lambda inputs: 3 * inputs["x"]) == (MSG, "multiply by two", "")


def test_a_coincidence_on_the_counterexample_does_not_name_the_mistake():
    """The function returns x only where all entries are equal — as on the shrunk counterexample — and 3x
    elsewhere: not the classic mistake "returned x".

    kills mutants: xǁExerciseǁrun_check__mutmut_57."""
    res = _toy().check(lambda x: x if x[0] == x[1] == x[2] else 3 * x)
    np.testing.assert_array_equal(res.got, res.inputs["x"])                # the coincidence happened
    assert res.mistake == "" and res.hint == "multiply by two"


def _judging(**kw):
    """The toy with a judge: 'over' / 'under' by the sign of Σ(got − expected); it raises on a tie and
    overflows (harmlessly, under NumPy's default error state) on 'over'.  (The other answers are only
    observed for an exercise with classic mistakes: the toy's "returned x" stays, and never matches here.)"""
    calls = []

    def judge(inputs, expected, got):
        calls.append((inputs, expected, got))
        np.testing.assert_array_equal(expected, 2 * inputs["x"])
        d = float(np.sum(got - expected))
        if d == 0.0:
            raise ValueError("cannot tell")
        if d > 0:
            np.exp(np.array(1000.0))
        key = "over" if d > 0 else "under"
        return f"judged {key}", f"hint {key}", key

    return _toy(judge=judge, **kw), calls


def test_the_judge_speaks_when_the_other_answers_agree():
    """kills mutants: xǁExerciseǁ_explain__mutmut_23 … 29, 51 … 53, 55 … 57."""
    ex, calls = _judging()
    rej = _rejection(2 * X0 + 1)
    with np.errstate(over="ignore"):
        assert ex._explain(rej, lambda inputs: 2 * inputs["x"] + 1) == ("judged over", "hint over", "over")
    assert calls[0][0] is rej.inputs and calls[0][1] is rej.expected and calls[0][2] is rej.got


def test_the_other_answers_overrule_the_judge_on_a_degenerate_counterexample():
    """The counterexample says 'under', every other wrong answer 'over': 'over' wins (with the plain message);
    split answers leave no diagnosis; answers the judge cannot judge (another shape, an exception) leave the
    counterexample's.  Run under np.errstate(all="raise"): the judge's overflow on the other answers is no error.

    kills mutants: xǁExerciseǁ_explain__mutmut_30 … 50; xǁExerciseǁ_judge_quietly__mutmut_1 … 14."""
    ex, _ = _judging()
    with np.errstate(all="raise"):
        assert ex._explain(_rejection(2 * X0 - 1), lambda inputs: 2 * inputs["x"] + 1) == \
            (MSG, "hint over", "over")

    calls = []

    def wrong_once(inputs):                      # one other wrong answer, on the first example observed
        calls.append(1)
        return 2 * inputs["x"] + (1.0 if len(calls) == 1 else 0.0)

    assert ex._explain(_rejection(2 * X0 - 1), wrong_once) == (MSG, "hint over", "over")

    def split(inputs):
        return 2 * inputs["x"] + (1.0 if inputs["x"][0] >= 0 else -1.0)

    assert ex._explain(_rejection(2 * X0 - 1), split) == (MSG, "multiply by two", "")
    for other in (lambda inputs: np.zeros(4), lambda inputs: 2 * inputs["x"] + np.array([1.0, -1.0, 0.0])):
        assert ex._explain(_rejection(2 * X0 - 1), other) == ("judged under", "hint under", "under")


def test_a_classic_mistake_keeps_its_hint_and_the_judge_gives_the_message():
    """kills mutants: xǁExerciseǁ_explain__mutmut_54."""
    ex, _ = _judging(mistakes=[Mistake("minus_one", "you subtracted one", lambda x: 2 * x - 1)])
    res = ex.check(lambda x: 2 * x - 1, max_examples=10)
    assert (res.message, res.hint, res.mistake) == ("judged under", "you subtracted one", "minus_one")


def test_a_check_cut_short_while_judging_keeps_the_plain_rejection():
    """kills mutants: xǁExerciseǁrun_check__mutmut_60, 61."""
    def judge(inputs, expected, got):
        raise SubmissionAbort("timeout", "time is up")

    res = _toy(judge=judge, mistakes=[]).check(lambda x: 3 * x, max_examples=5)
    assert (res.verdict, res.message, res.hint, res.mistake) == ("rejected", MSG, "multiply by two", "")
    assert res.got is not None and res.inputs is not None


def test_a_seed_draws_other_examples_reproducibly():
    """kills mutants: xǁExerciseǁrun_check__mutmut_52."""
    def drawn(seed):
        seen = []
        _toy().check(lambda x: seen.append(x.tobytes()) or 2 * x, max_examples=5, seed=seed)
        return seen[1:]                          # call 1 is the stub probe on the example

    assert drawn(1) == drawn(1) and drawn(None) == drawn(None)
    assert len({tuple(drawn(s)) for s in (None, 1, 2)}) == 3


def test_wrap_lines_keeps_formulas_and_wraps_prose_at_88():
    """kills mutants: x__wrap_lines__mutmut_4, 5, 14, 22."""
    assert _wrap_lines("\n    y = 2 X\n\nReturn X\n") == ["    y = 2 X", "", "Return X"]
    prose = "c" * 40 + " " + "d" * 39                    # 80 characters: one line at 88, two at 70
    assert _wrap_lines(prose) == [prose]


def test_output_weights_are_plus_then_minus_over_root_k():
    """kills mutants: x_output_weights__mutmut_1 … 9."""
    np.testing.assert_array_equal(output_weights(4), [0.5, 0.5, -0.5, -0.5])
    np.testing.assert_allclose(output_weights(6), np.r_[np.ones(3), -np.ones(3)] / np.sqrt(6), rtol=0, atol=1e-15)
