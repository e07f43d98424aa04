"""The two checks every exercise's test file makes of its students-with-a-mistake (imported by
``tests/test_exercise_<name>.py``): each student gets the hint of its own mistake, and each mistake of the
exercise has a student and a hint of its own."""
from cstheory import exercises


def assert_student_gets_its_own_hint(name, func, key):
    """``func`` (a student with mistake ``key``) is rejected, diagnosed as ``key``, and shown that mistake's hint."""
    ex = exercises.get(name)
    result = exercises.check(name, func)
    assert not result.accepted and result.verdict == "rejected"
    assert result.mistake == key, result.report()
    assert result.hint == {m.key: m.hint for m in ex.mistakes}[key] and result.hint in result.report()


def assert_every_mistake_has_a_student_and_its_own_hint(name, students):
    """``students`` (pairs ``(func, key)``) cover every mistake of the exercise, and no two hints are equal."""
    ex = exercises.get(name)
    assert {m.key for m in ex.mistakes} == {k for _, k in students}
    hints = [m.hint for m in ex.mistakes] + [ex.default_hint, ex.nan_hint]
    assert len(set(hints)) == len(hints)
