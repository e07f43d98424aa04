"""Tests of the sandbox (cstheory/exercises/_sandbox.py, _worker.py) and of batch grading.

A student's file runs in a child process that only evaluates the function; the verdict is
reached in the checking process.  These tests play the student who exits, crashes, loops, prints,
patches NumPy or calls cstheory, and the teacher who grades a folder of such files.  Sandboxed
checks spawn a process each, so they use few examples (``max_examples`` 5–15) and short time
limits (2–3 s).
"""
import csv
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import types

import numpy as np
import pytest

from cstheory import cli, exercises
from cstheory.exercises import UsageError, _worker
from cstheory.exercises._sandbox import LoadError, Sandbox, StudentError, SubmissionAbort
from cstheory.exercises._worker import ProtocolError, decode_array, encode_array, encode_message, read_message

from test_exercises import TEACHER_SOURCE, teacher

GOOD_MIN_NORM = """
import numpy as np

def min_norm(A, J, y):
    M = A @ J
    return M.T @ np.linalg.solve(M @ M.T, y)
"""

WRONG_MIN_NORM = """
import numpy as np

def min_norm(A, J, y):
    return np.linalg.pinv(J) @ (np.linalg.pinv(A) @ y)
"""


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def check(tmp_path, source, name="min_norm", **kw):
    kw.setdefault("max_examples", 10)
    kw.setdefault("timeout", 20)
    return exercises.check_file(name, write(tmp_path, "student.py", source), **kw)


# ---------------------------------------------------------------------------
# the wire format: arrays as validated .npy bytes, never unpickled
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("arr", [np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3).T, np.array(2.5),
                                 np.array([True, False]), np.arange(4, dtype=np.int32), np.array([1 + 2j]),
                                 np.zeros((0, 3))])
def test_arrays_round_trip(arr):
    back = decode_array(encode_array(arr))
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_decode_refuses_pickles_objects_and_lies():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="dtype"):
        decode_array(buf.getvalue())
    buf = io.BytesIO()
    np.save(buf, np.zeros(2, dtype=[("x", "f8"), ("y", "i4")]))
    with pytest.raises(ProtocolError, match="dtype"):
        decode_array(buf.getvalue())
    blob = encode_array(np.zeros(4))
    with pytest.raises(ProtocolError, match="bytes"):
        decode_array(blob[:-8])                      # fewer bytes than the shape says
    with pytest.raises(ProtocolError):
        decode_array(b"not an npy file at all")
    # a well-formed header claiming a huge array is refused before anything is allocated
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    with pytest.raises(ProtocolError, match="bytes"):
        decode_array(buf.getvalue() + bytes(32))


def test_read_message_checks_the_frame():
    data = encode_message({"status": "ok"}, [np.ones(3)])
    stream = io.BytesIO(data)
    header, arrays = read_message(lambda n: stream.read(n))
    assert header == {"status": "ok"} and len(arrays) == 1
    with pytest.raises(ProtocolError, match="frame"):
        read_message(io.BytesIO(b"XXXX" + data[4:]).read)
    huge = _worker.MAGIC + (_worker.MAX_HEADER + 1).to_bytes(8, "big")
    with pytest.raises(ProtocolError, match="exceeds"):
        read_message(io.BytesIO(huge).read)


def test_the_worker_never_imports_cstheory():
    source = open(_worker.__file__, encoding="utf-8").read()
    code_lines = [line.strip() for line in source.splitlines() if line.strip().startswith(("import ", "from "))]
    assert not any("cstheory" in line or line.startswith("from .") for line in code_lines), code_lines


def test_the_supervisors_clean_up_imports_nothing(tmp_path, monkeypatch):
    """The supervisor's SIGTERM handler runs _clean_up, and the grader sends SIGTERM while the normal path may
    be in its own _clean_up: a first ``import shutil`` there, half done, gave the handler a module without
    rmtree, and its AttributeError traceback reached the student as "the last lines your code printed"."""
    scratch = tmp_path / "scratch"
    (scratch / "sub").mkdir(parents=True)
    (scratch / "sub" / "out.txt").write_text("x")
    monkeypatch.setitem(sys.modules, "shutil", types.ModuleType("shutil"))   # half-imported: no rmtree yet
    _worker._clean_up({"scratch": str(scratch), "cgroup": None})
    assert not scratch.exists()


# ---------------------------------------------------------------------------
# the Sandbox itself
# ---------------------------------------------------------------------------
def test_sandbox_calls_the_function_and_keeps_prints_out_of_the_protocol(tmp_path):
    path = write(tmp_path, "s.py", """
        import os, sys
        import numpy as np
        print("CSTX" * 1000)                    # the frame's magic, on stdout
        sys.stderr.write("CSTX\\x00\\x00" * 1000)

        def f(a, k, steps):
            print("CSTX", a, k, steps)
            os.write(1, b"CSTX" + bytes(8))
            return a * k, float(sum(steps)), [1, 2]
        """)
    with Sandbox(path, "f", timeout=20) as sb:
        out = sb.call({"a": np.arange(6.0).reshape(2, 3).T, "k": 2, "steps": [1, 2, 3]})
        assert isinstance(out, tuple) and len(out) == 3
        np.testing.assert_array_equal(out[0], 2 * np.arange(6.0).reshape(2, 3).T)
        assert out[1].shape == () and float(out[1]) == 6.0
        np.testing.assert_array_equal(out[2], [1, 2])
        assert sb.calls == 1
    assert "CSTX" in sb.output_tail()


def test_sandbox_reports_exceptions_exits_and_crashes(tmp_path):
    path = write(tmp_path, "s.py", """
        import os, signal, sys
        import numpy as np

        def f(x):
            if x == 0:
                raise ValueError("a student's error")
            if x == 1:
                sys.exit(0)
            if x == 2:
                return "a string"
            if x == 3:
                os.kill(os.getpid(), signal.SIGSEGV)
            os._exit(0)
        """)
    with Sandbox(path, "f", timeout=20) as sb:
        with pytest.raises(StudentError, match="a student's error") as err:
            sb.call({"x": 0})
        assert err.value.type_name == "ValueError" and "s.py" in err.value.detail
        with pytest.raises(StudentError) as err:
            sb.call({"x": 1})
        assert err.value.exited
        assert sb.call({"x": 2}).type_name == "str"
        with pytest.raises(SubmissionAbort, match="SIGSEGV"):
            sb.call({"x": 3})
    with Sandbox(path, "f", timeout=20) as sb:
        with pytest.raises(SubmissionAbort, match="exit status 0") as abort:
            sb.call({"x": 4})
        assert abort.value.verdict == "rejected"


def test_sandbox_wall_clock_limit_kills_every_descendant(tmp_path):
    """A double-forked setsid daemon leaves the process group, yet dies with the submission (the supervisor
    is its subreaper).  Without Landlock (isolation="none"), so that the daemon can show it is alive."""
    marker = tmp_path / "child-alive"
    path = write(tmp_path, "s.py", f"""
        import os, time
        def f(x):
            if os.fork() == 0:                 # a daemon: new session, double fork
                os.setsid()
                if os.fork():
                    os._exit(0)
                while True:
                    open({str(marker)!r}, "w").write(str(time.time()))
                    time.sleep(0.05)
            while True:
                pass
        """)
    start = time.monotonic()
    with Sandbox(path, "f", timeout=2, isolation="none") as sb:
        with pytest.raises(SubmissionAbort) as abort:
            sb.call({"x": 1})
    elapsed = time.monotonic() - start
    assert abort.value.verdict == "timeout" and sb.used >= 2.0
    assert elapsed < 15, elapsed                     # the limit is honoured (liveness, not a benchmark)
    time.sleep(0.3)
    stamp = marker.read_text()
    time.sleep(0.5)
    assert marker.read_text() == stamp               # the daemon died with the submission


def test_sandbox_load_errors(tmp_path):
    cases = {
        "syntax.py": ("def f(:\n", "import"),
        "exits.py": ("import sys\nsys.exit(3)\n", "exit"),
        "nofunc.py": ("def g():\n    pass\n", "no_function"),
        "notcallable.py": ("f = 3\n", "not_callable"),
        "dies.py": ("import os\nos._exit(0)\n", "died"),
        "cst.py": ("import cstheory\ndef f():\n    pass\n", "cstheory"),
    }
    for name, (source, kind) in cases.items():
        with pytest.raises(LoadError) as err:
            Sandbox(write(tmp_path, name, source), "f", timeout=20).start()
        assert err.value.kind == kind, (name, err.value.message)
        if name == "syntax.py":   # the student's line and the error, not the import machinery's frames
            assert "def f(:" in err.value.message and "SyntaxError" in err.value.message
            assert "<frozen" not in err.value.message, err.value.message
    with pytest.raises(LoadError) as err:
        Sandbox(write(tmp_path, "loops.py", "while True:\n    pass\n"), "f", timeout=1.5).start()
    assert err.value.kind == "timeout" and err.value.verdict == "timeout"


def test_sandbox_memory_limit(tmp_path):
    path = write(tmp_path, "s.py", """
        import numpy as np
        def f(x):
            return np.ones((1 << 28,))           # 2 GiB of float64
        """)
    with Sandbox(path, "f", timeout=20, memory=512 * 1024**2) as sb:
        with pytest.raises(StudentError, match="MemoryError"):
            sb.call({"x": 1})


def test_sandbox_blocks_every_way_to_import_cstheory(tmp_path):
    ways = ["import cstheory", "from cstheory.linear import min_norm_coefficients",
            "import importlib; importlib.import_module('cstheory.linear')", "__import__('cstheory')",
            "import importlib.util; importlib.util.find_spec('cstheory')"]
    for i, way in enumerate(ways):
        path = write(tmp_path, f"way{i}.py", f"def f(x):\n    try:\n        {way}\n    except ImportError:\n"
                                             f"        pass\n    return x\n")
        with Sandbox(path, "f", timeout=20) as sb:
            with pytest.raises(SubmissionAbort, match="uses cstheory's own implementation"):
                sb.call({"x": 1})
    # the grader's own cstheory when allowed
    path = write(tmp_path, "allowed.py", "import cstheory\nimport numpy as np\n"
                                         "def f(x):\n    return np.array([float(len(cstheory.__file__) > 0)])\n")
    with Sandbox(path, "f", timeout=20, allow_cstheory=True) as sb:
        np.testing.assert_array_equal(sb.call({"x": 1}), [1.0])


# ---------------------------------------------------------------------------
# sandboxed checks: nothing the student does turns into an acceptance
# ---------------------------------------------------------------------------
def test_exit_zero_is_rejected(tmp_path):
    for source in ("import sys\ndef min_norm(A, J, y):\n    sys.exit(0)\n",
                   "def min_norm(A, J, y):\n    exit(0)\n",
                   "import os\ndef min_norm(A, J, y):\n    os._exit(0)\n"):
        result = check(tmp_path, source)
        assert not result.accepted and result.exit_code == 1 and result.verdict == "rejected", source
        assert "exit" in result.message or "exit" in result.hint


def test_infinite_loop_times_out(tmp_path):
    start = time.monotonic()
    result = check(tmp_path, "def min_norm(A, J, y):\n    while True:\n        pass\n", timeout=2)
    assert not result.accepted and result.verdict == "timeout" and result.exit_code == 1
    assert "2 s" in result.message and result.inputs is not None and not result.shrunk
    assert time.monotonic() - start < 20           # liveness: the limit is honoured


@pytest.mark.parametrize("patch", [
    "np.allclose = lambda *a, **k: True",
    "np.isclose = lambda *a, **k: np.array(True)",
    "np.testing.assert_allclose = lambda *a, **k: None",
    "np.array_equal = lambda *a, **k: True",
    "import builtins; builtins.abs = lambda x: 0.0; builtins.max = lambda *a, **k: 0.0",
    "np.asarray = lambda *a, **k: np.zeros(3)",
])
def test_monkeypatching_numpy_cannot_change_the_verdict(tmp_path, patch):
    result = check(tmp_path, f"import numpy as np\n{patch}\n"
                             "def min_norm(A, J, y):\n    return np.zeros(J.shape[1])\n")
    assert not result.accepted and result.verdict == "rejected", result.report()


@pytest.mark.parametrize("source", [
    "import cstheory\ndef min_norm(A, J, y):\n    return cstheory.min_norm_coefficients(A, J, y)\n",
    "from cstheory.linear import min_norm_coefficients as min_norm\n",
    "import importlib\ndef min_norm(A, J, y):\n"
    "    return importlib.import_module('cstheory').min_norm_coefficients(A, J, y)\n",
    "def min_norm(A, J, y):\n    return __import__('cstheory').min_norm_coefficients(A, J, y)\n",
])
def test_calling_cstheory_is_rejected(tmp_path, source):
    result = check(tmp_path, source)
    assert not result.accepted and result.exit_code == 1 and result.verdict == "rejected"
    assert "uses cstheory's own implementation" in result.message
    assert result.mistake == "uses_cstheory"
    allowed = check(tmp_path, source, allow_cstheory=True)
    assert allowed.accepted, allowed.report()


def test_wrong_return_type_is_rejected(tmp_path):
    result = check(tmp_path, "def min_norm(A, J, y):\n    return 'ĉ'\n")
    assert not result.accepted and "str, not an array" in result.message


def test_teacher_file_is_accepted_for_every_exercise_in_the_sandbox(tmp_path):
    path = write(tmp_path, "teacher.py", TEACHER_SOURCE)
    for name in [n for n in exercises.EXERCISES if f"def {exercises.get(n).function}(" in TEACHER_SOURCE]:
        result = exercises.check_file(name, path, max_examples=8, timeout=60)
        assert result.accepted, result.report()


def test_sandboxed_rejection_keeps_shrinking_and_hints(tmp_path):
    result = check(tmp_path, WRONG_MIN_NORM, max_examples=50)
    assert result.mistake == "two_pinvs" and result.shrunk
    direct = exercises.check("min_norm", lambda A, J, y: np.linalg.pinv(J) @ (np.linalg.pinv(A) @ y))
    for key in direct.inputs:                        # the same shrunk counterexample as in-process
        np.testing.assert_array_equal(result.inputs[key], direct.inputs[key])


def test_stub_import_error_and_missing_function(tmp_path):
    stub = exercises.check_file("gradient", write(tmp_path, "stub.py", exercises.show("gradient")))
    assert stub.not_implemented and stub.exit_code == 1 and "not yet implemented" in stub.report()
    broken = exercises.check_file("jacobian", write(tmp_path, "broken.py", "def jacobian(U, C):\n    return U @\n"))
    assert not broken.accepted and broken.exit_code == 1 and broken.verdict == "error"
    assert "SyntaxError" in broken.report() and "broken.py" in broken.report()
    assert broken.summary().startswith("does not import: SyntaxError")
    with pytest.raises(UsageError, match="no function named 'jacobian'.*jacobi"):
        exercises.check_file("jacobian", write(tmp_path, "other.py", "def jacobi(U, C):\n    return U\n"))
    with pytest.raises(UsageError, match="not a function"):
        exercises.check_file("jacobian", write(tmp_path, "nc.py", "jacobian = 3\n"))
    with pytest.raises(UsageError, match="no such file"):
        exercises.check_file("jacobian", tmp_path / "missing.py")
    with pytest.raises(ValueError, match="unknown exercise"):
        exercises.check_file("jacobain", tmp_path / "other.py")


def test_hard_coded_counterexamples_pass_check_but_not_grade(tmp_path):
    """A file that answers exactly the inputs a derandomized check draws passes `check`, and fails
    `grade`, which draws from a seed."""
    seen = {}

    def recorder(u):
        out = teacher["sigma_weights"](u)
        seen[u.tobytes().hex()] = out.tolist()
        return out

    assert exercises.check("sigma_weights", recorder, max_examples=10).accepted
    cheat = write(tmp_path, "cheat.py", f"""
        import numpy as np
        TABLE = {seen!r}

        def sigma_weights(u):
            key = np.asarray(u, dtype=np.float64).tobytes().hex()
            return np.array(TABLE[key]) if key in TABLE else np.ones(len(u))
        """)
    assert exercises.check_file("sigma_weights", cheat, max_examples=10).accepted
    graded = exercises.check_file("sigma_weights", cheat, max_examples=10, seed=20260101)
    assert not graded.accepted and graded.seed == 20260101


def test_cli_check_runs_sandboxed(tmp_path):
    exiting = write(tmp_path, "exits.py", "import os\ndef min_norm(A, J, y):\n    os._exit(0)\n")
    out = subprocess.run([sys.executable, "-m", "cstheory", "exercise", "check", "min_norm", str(exiting),
                          "--max-examples", "5", "--timeout", "20"], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "REJECTED" in out.stdout and "exit status 0" in out.stdout


# ---------------------------------------------------------------------------
# grading a class
# ---------------------------------------------------------------------------
CLASS = {
    "alice.py": (GOOD_MIN_NORM, "accepted"),
    "bob.py": (WRONG_MIN_NORM, "rejected"),
    "carol.py": ("def min_norm(A, J, y):\n    raise RuntimeError('boom')\n", "rejected"),
    "dave.py": ("def min_norm(A, J, y):\n    while True:\n        pass\n", "timeout"),
    "erin.py": ("import os\ndef min_norm(A, J, y):\n    os._exit(0)\n", "rejected"),
    "frank.py": ("def min_norm(A, J, y)\n    pass\n", "error"),
    "grace.py": ("def min_nrm(A, J, y):\n    pass\n", "error"),
    "heidi.py": ("from cstheory import min_norm_coefficients as min_norm\n", "rejected"),
    "ivan.py": ("import time\ntime.sleep(1000)\n", "timeout"),
}


def test_grade_a_class(tmp_path, capsys):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, (source, _) in CLASS.items():
        (folder / name).write_text(source)
    (folder / "notes.txt").write_text("not a submission")
    out = tmp_path / "grades.csv"
    feedback = tmp_path / "feedback"
    start = time.monotonic()
    code = cli.main(["exercise", "grade", "min_norm", str(folder), "--out", str(out), "--workers", "4",
                     "--timeout", "3", "--seed", "1234", "--feedback", str(feedback), "--max-examples", "15"])
    elapsed = time.monotonic() - start
    assert code == 0
    printed = capsys.readouterr().out
    assert "seed 1234" in printed and "graded 9 submissions" in printed
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["submission", "exercise", "verdict", "seconds", "mistake", "message"]
    table = {r[0]: r for r in rows[1:]}
    assert list(table) == sorted(CLASS)
    for name, (_, verdict) in CLASS.items():
        assert table[name][1] == "min_norm"
        assert table[name][2] == verdict, (name, table[name])
        assert "\n" not in table[name][5] and table[name][5]
    assert "(seed 1234)" in table["bob.py"][5] and "J^†(A^† y)" in table["bob.py"][5]
    assert table["bob.py"][4] == "two_pinvs" and table["alice.py"][4] == "" and table["heidi.py"][4] == "uses_cstheory"
    assert "uses cstheory's own implementation" in table["heidi.py"][5]
    assert table["frank.py"][5].startswith("does not import: SyntaxError")
    assert "no function named 'min_norm'" in table["grace.py"][5] and "min_nrm" in table["grace.py"][5]
    for name in ("dave.py", "ivan.py"):
        assert 3.0 <= float(table[name][3]) < 15.0    # killed at the limit, recorded as such
    assert elapsed < 90, elapsed                       # liveness: nine submissions, two loopers, 3 s each
    # feedback files: the counterexample and the hint
    texts = {p.name: p.read_text() for p in feedback.iterdir()}
    assert set(texts) == {n.replace(".py", ".txt") for n in CLASS}
    assert "Counterexample" in texts["bob.txt"] and "Hint:" in texts["bob.txt"] and "--seed 1234" in texts["bob.txt"]
    assert "ACCEPTED" in texts["alice.txt"] and "TIMEOUT" in texts["dave.txt"]
    # written by renaming: no temporary files left behind
    assert sorted(os.listdir(tmp_path)) == ["feedback", "grades.csv", "submissions"]
    assert not [p for p in feedback.iterdir() if p.name.endswith(".tmp")]


def test_grade_records_a_fresh_seed(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "bob.py").write_text(WRONG_MIN_NORM)
    out = tmp_path / "g.csv"
    report = exercises.grade("min_norm", folder, out, workers=1, timeout=20, max_examples=5)
    assert 0 <= report.seed < 2**32
    assert f"(seed {report.seed})" in out.read_text()


def test_grade_usage_errors_exit_2_before_grading(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    marker = tmp_path / "imported"
    (folder / "alice.py").write_text(f"open({str(marker)!r}, 'w').close()\n" + GOOD_MIN_NORM)
    empty = tmp_path / "empty"
    empty.mkdir()
    ok_out = str(tmp_path / "grades.csv")
    bad = [
        ["grade", "min_norm", str(tmp_path / "nope"), "--out", ok_out],
        ["grade", "min_norm", str(empty), "--out", ok_out],
        ["grade", "min_nrom", str(folder), "--out", ok_out],
        ["grade", "min_norm", str(folder)],
        ["grade", "min_norm", str(folder), "--out", str(tmp_path / "no" / "such" / "dir" / "g.csv")],
        ["grade", "min_norm", str(folder), "--out", str(folder)],
        ["grade", "min_norm", str(folder), "--out", ok_out, "--workers", "0"],
        ["grade", "min_norm", str(folder), "--out", ok_out, "--timeout", "-1"],
        ["grade", "min_norm", str(folder), "--out", ok_out, "--timeout", "inf"],
        ["grade", "min_norm", str(folder), "--out", ok_out, "--seed", "-3"],
        ["grade", "min_norm", str(folder), "--out", ok_out, "--memory", "lots"],
        ["grade", "min_norm", str(folder), "--out", ok_out, "--feedback", str(folder / "alice.py")],
        ["grade", "min_norm", str(folder), "--out", ok_out, "--bogus"],
    ]
    for argv in bad:
        assert cli.main(["exercise", *argv]) == 2, argv
        assert "error" in capsys.readouterr().err, argv
    assert not marker.exists()                         # nothing was graded
    assert not os.path.exists(ok_out)


def test_grade_parses_memory_sizes():
    from cstheory.exercises._command import parse_memory
    assert parse_memory("2G") == 2 * 1024**3 and parse_memory("512M") == 512 * 1024**2
    assert parse_memory("1.5GiB") == int(1.5 * 1024**3) and parse_memory("0") == 0
    assert parse_memory("4096") == 4096


def test_sigsegv_name_is_reported(tmp_path):
    result = check(tmp_path, "import os, signal\ndef min_norm(A, J, y):\n    os.kill(os.getpid(), signal.SIGSEGV)\n")
    assert not result.accepted and "SIGSEGV" in result.message
    assert signal.SIGSEGV.name == "SIGSEGV"


@pytest.mark.parametrize("kwargs, match", [(dict(timeout=0), "timeout must be a positive"),
                                           (dict(timeout=float("nan")), "timeout must be a positive"),
                                           (dict(memory=80 * 1024**2), "memory must be 0 .* at least 256M"),
                                           (dict(memory=-1), "memory must be a number of bytes")])
def test_bad_limits_are_usage_errors_not_verdicts(tmp_path, kwargs, match):
    """A timeout ≤ 0 or NaN, or a memory limit too small for Python and NumPy to start, is the caller's
    mistake: a UsageError naming the argument, before the submission runs (it used to be blamed on it)."""
    from cstheory import exercises

    good = tmp_path / "good.py"
    good.write_text("import numpy as np\n\ndef min_norm(A, J, y):\n    return np.linalg.pinv(A @ J) @ y\n")
    with pytest.raises(exercises.UsageError, match=match):
        exercises.check_file("min_norm", good, **kwargs)


def test_a_too_small_memory_limit_is_exit_2_on_the_command_line(tmp_path, capsys):
    from cstheory import cli

    good = tmp_path / "good.py"
    good.write_text("def min_norm(A, J, y):\n    return None\n")
    assert cli.main(["exercise", "check", "min_norm", str(good), "--memory", "20M"]) == 2
    assert "at least 256M" in capsys.readouterr().err


@pytest.mark.parametrize("name, removed", [("cstheory-submission-abc", True), ("someone-elses-dir", False)])
def test_a_worker_whose_grader_died_before_the_setup_removes_its_scratch(tmp_path, name, removed):
    """The grader creates the scratch directory and starts the worker in it; killed before it sends the
    setup, nobody would remove the directory, so the worker does (only a directory with the scratch prefix:
    never some other working directory)."""
    import subprocess
    scratch = tmp_path / name
    scratch.mkdir()
    (scratch / "sub.py").write_text("x = 1\n")
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    os.close(req_w)                                   # the grader is gone: the setup never comes
    proc = subprocess.run([sys.executable, "-I", "-S", "-B", _worker.__file__, str(req_r), str(resp_w), "1"],
                          cwd=scratch, pass_fds=(req_r, resp_w), timeout=60)
    os.close(req_r), os.close(resp_w), os.close(resp_r)
    assert proc.returncode == 0
    assert scratch.exists() is not removed
