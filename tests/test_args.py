"""cstheory._args: the one usage error, parser and argument types of both command lines."""
import argparse
import io

import pytest

from cstheory import _args, cli, exercises


def test_both_command_lines_raise_the_same_usage_error():
    """One class: code catching cstheory.cli.UsageError also catches the exercise commands' usage errors."""
    assert cli.UsageError is exercises.UsageError is _args.UsageError
    assert issubclass(_args.UsageError, ValueError)


@pytest.mark.parametrize("func, text, want", [(_args.nonnegative_int, "0", 0), (_args.nonnegative_int, "12", 12),
                                              (_args.positive_int, "1", 1), (_args.positive_seconds, "0.5", 0.5)])
def test_argument_types_accept(func, text, want):
    assert func(text) == want


@pytest.mark.parametrize("func, text, expected", [
    (_args.nonnegative_int, "-1", "integer >= 0"), (_args.nonnegative_int, "x", "integer >= 0"),
    (_args.positive_int, "0", "integer >= 1"), (_args.positive_int, "1.5", "integer >= 1"),
    (_args.positive_seconds, "0", "positive number of seconds"),
    (_args.positive_seconds, "nan", "positive number of seconds"),
    (_args.positive_seconds, "inf", "positive number of seconds")])
def test_argument_types_refuse_saying_what_was_expected(func, text, expected):
    with pytest.raises(argparse.ArgumentTypeError, match=expected):
        func(text)


def test_the_parser_writes_to_its_streams_and_never_exits():
    out, err = io.StringIO(), io.StringIO()
    parser = _args.parser_class(out, err)(prog="tool")
    parser.add_argument("--n", type=_args.positive_int, required=True)
    with pytest.raises(_args.ParserExit) as exc:
        parser.parse_args(["--help"])
    assert exc.value.status == 0 and "usage: tool" in out.getvalue() and err.getvalue() == ""
    with pytest.raises(_args.UsageError, match=r"argument --n: expected an integer >= 1, got '0' \(see 'tool --help'\)"):
        parser.parse_args(["--n", "0"])


def test_usage_errors_exit_2_with_one_line_on_both_command_lines(capsys):
    assert cli.main(["reproduce", "--draws", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected an integer >= 1" in err
    assert cli.main(["exercise", "check", "gradient", "f.py", "--seed", "-3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cstheory exercise: error:") and "expected an integer >= 0" in err and err.count("\n") == 1
