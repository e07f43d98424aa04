"""Red team: a determined student against ``cstheory exercise grade`` (issue 25).

Each test hands in a real submission file that tries one family of attacks — get "accepted" without
computing the answer, or touch a classmate's grade — and grades a small class with it through the
command (or :func:`cstheory.exercises.grade`).  Every test checks the attack's verdict (never
"accepted"), that the honest classmate keeps its verdict, that the folder is unchanged, that the CSV
holds one well-formed row per ``*.py`` entry, and that no process of the grading is left.

The confinement is Landlock's: where the kernel lacks it the suite is skipped (``grade`` refuses to
run there unless ``--unsafe-no-isolation``, which has its own test below, not skipped).
"""
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

import cstheory
from cstheory import cli, exercises
from cstheory.exercises import _isolation
from cstheory.exercises._sandbox import ANSWER_LIMIT, DISK_LIMIT, PROCESS_LIMIT, Sandbox

needs_landlock = pytest.mark.skipif(_isolation.landlock_abi() < 1,
                                    reason="the kernel has no Landlock: submissions cannot be confined here")
needs_scopes = pytest.mark.skipif(_isolation.landlock_abi() < 6,
                                  reason="signal scoping needs Landlock ABI >= 6 (Linux 6.12)")

PACKAGE = os.path.dirname(os.path.abspath(cstheory.__file__))
GRADER = os.getpid()

HONEST = """
import numpy as np

def min_norm(A, J, y):
    M = A @ J
    return M.T @ np.linalg.solve(M @ M.T, y)
"""

WRONG = "\n    return np.zeros(J.shape[1])\n"


def _worker_processes(grader=GRADER):
    """Live processes started by the graders of process ``grader`` (their argv ends with its pid)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if any(a.endswith(b"_worker.py") for a in argv) and str(grader).encode() in argv and state != b"Z":
            found.append(int(entry))
    return found


def _private_tmp(tmp_path):
    """A temporary folder of this test's own (the graders' scratch directories go there): other graders
    running on the machine meanwhile cannot blur the check that nothing is left in it."""
    private = tmp_path / "tmp"
    private.mkdir(exist_ok=True)
    return private


def _cgroups():
    base = _isolation._pids_cgroup()
    return {n for n in os.listdir(base) if n.startswith(f"cstheory-{GRADER}-")} if base else set()


def _snapshot(folder):
    result = {}
    for name in sorted(os.listdir(os.fsencode(folder))):
        path = os.path.join(os.fsencode(folder), name)
        st = os.lstat(path)
        result[name] = (st.st_mode, os.readlink(path) if os.path.islink(path) else
                        open(path, "rb").read() if os.path.isfile(path) else None)
    return result


def grade_class(tmp_path, files, extra=(), expect_rows=None, workers=2, timeout=10):
    """Grade ``files`` (name -> source) with the command; check what every test checks; return the rows."""
    folder = tmp_path / "submissions"
    folder.mkdir(exist_ok=True)
    for name, source in files.items():
        (folder / name).write_text(textwrap.dedent(source))
    out = tmp_path / "grades.csv"
    before, private, previous = _snapshot(folder), _private_tmp(tmp_path), tempfile.tempdir
    tempfile.tempdir = str(private)
    try:
        code = cli.main(["exercise", "grade", "min_norm", str(folder), "--out", str(out), "--workers",
                         str(workers), "--timeout", str(timeout), "--seed", "11", "--max-examples", "5", "--quiet",
                         *extra])
    finally:
        tempfile.tempdir = previous
    assert code == 0
    assert _snapshot(folder) == before                      # nothing in the folder changed
    with open(out, newline="", encoding="utf-8") as f:
        text = f.read()
    rows = list(csv.reader(text.splitlines()))               # line-based tools see one line per row
    assert rows[0] == ["submission", "exercise", "verdict", "seconds", "mistake", "message"]
    assert all(len(r) == 6 for r in rows)
    expected = expect_rows if expect_rows is not None else len(files)
    assert len(rows) == 1 + expected, rows
    table = {r[0]: r for r in rows[1:]}
    assert len(table) == expected
    deadline = time.monotonic() + 5
    while _worker_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _worker_processes() == []                        # nothing outlives the grading
    assert os.listdir(private) == []                         # no scratch directory or file left behind
    assert _cgroups() == set()                               # nor a process-count cgroup
    return table


def assert_not_accepted(table, name, verdict="rejected"):
    assert table[name][2] == verdict, table[name]


# ---------------------------------------------------------------------------
# reaching cstheory's own implementation (or a classmate's answer)
#
# Each cheat below first does the forbidden thing (import cstheory, read its source through a link, a
# copy, a helper process, read the grader's memory or a classmate's file) and only returns the right
# answer when that step worked: graded without isolation, every one of them is accepted (the control
# test at the end of this section), so a hole in the confinement turns its test red.
# ---------------------------------------------------------------------------
RIGHT = """
    M = A @ J
    return M.T @ np.linalg.solve(M @ M.T, y)
"""
LINEAR = os.path.join(PACKAGE, "linear.py")


def cheats(folder):
    """name -> source of the cheats of this section."""
    return {
        "hook.py": f"""
import sys
import numpy as np
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_CstheoryBlocker"]
import __main__
__main__._uses_cstheory = lambda *args: False
sys.path.insert(0, {os.path.dirname(PACKAGE)!r})

def min_norm(A, J, y):
    import cstheory
    for key in list(sys.modules):
        if key.startswith("cstheory"):
            del sys.modules[key]
    return cstheory.min_norm_coefficients(A, J, y)
""",
        "link.py": f"""
import os
import numpy as np
def min_norm(A, J, y):
    if not os.path.lexists("mycst"):
        os.symlink({PACKAGE!r}, "mycst")
    open(os.path.join("mycst", "linear.py")).read()
{RIGHT}""",
        "copy.py": f"""
import os, shutil
import numpy as np
def min_norm(A, J, y):
    if not os.path.exists("cst2"):
        shutil.copytree({PACKAGE!r}, "cst2")
{RIGHT}""",
        "source.py": f"""
import numpy as np
def min_norm(A, J, y):
    source = open({LINEAR!r}).read()          # the cheat would exec this; reading it is the step that matters
{RIGHT}""",
        "helper.py": f"""
import subprocess, sys
import numpy as np
def min_norm(A, J, y):
    subprocess.run([sys.executable, "-c", "open({LINEAR!r}).read()"], check=True, capture_output=True)
{RIGHT}""",
        "peek.py": f"""
import numpy as np
def min_norm(A, J, y):
    with open("/proc/{GRADER}/maps") as maps, open("/proc/{GRADER}/mem", "rb") as mem:
        maps.readline()
{RIGHT}""",
        "caps.py": f"""
import os
import numpy as np
def min_norm(A, J, y):
    # a grader run as root must hand on no capability (CAP_SYS_BOOT, CAP_SYS_MODULE …); CAP_CHOWN is the
    # harmless one to try
    open("probe", "w").close()
    os.chown("probe", 4242, 4242)
{RIGHT}""",
        "copycat.py": f"""
def min_norm(A, J, y):
    namespace = {{}}
    exec(open({str(folder / "alice.py")!r}).read(), namespace)
    return namespace["min_norm"](A, J, y)
""",
    }


@needs_landlock
@pytest.mark.parametrize("name", ["hook.py", "link.py", "copy.py", "source.py", "helper.py", "peek.py",
                                  "copycat.py", "caps.py"])
def test_reaching_cstheory_the_grader_or_a_classmate_is_not_accepted(tmp_path, name):
    """Forged self-report, link, copy, exec of the source, helper process, /proc/<grader>/mem, a classmate."""
    from cstheory.exercises import _landlock
    table = grade_class(tmp_path, {"alice.py": HONEST, name: cheats(tmp_path / "submissions")[name]})
    assert _landlock.prctl(3, 0) == 0                # PR_GET_DUMPABLE: the grader is not dumpable
    assert table["alice.py"][2] == "accepted"
    assert_not_accepted(table, name)
    assert "PermissionError" in table[name][5] or "No module named" in table[name][5], table[name]


def test_control_every_cheat_is_accepted_without_isolation(tmp_path):
    """The control of the test above: these cheats do work where nothing confines them."""
    files = cheats(tmp_path / "submissions")
    if os.geteuid() != 0:
        del files["caps.py"]                       # only root has capabilities to hand on
    table = grade_class(tmp_path, {"alice.py": HONEST, **files}, extra=("--unsafe-no-isolation",), workers=2)
    assert {name: row[2] for name, row in table.items()} == {name: "accepted" for name in table}


@needs_landlock
def test_rewriting_a_classmates_file_or_planting_a_pyc_changes_nothing(tmp_path):
    folder = tmp_path / "submissions"
    attack = f"""
import os
import numpy as np
try:
    open({str(folder / "alice.py")!r}, "w").write("def min_norm(A, J, y):\\n    return None\\n")
except OSError:
    pass
try:
    os.makedirs({str(folder / "__pycache__")!r}, exist_ok=True)
    open({str(folder / "__pycache__" / "bob.cpython-311.pyc")!r}, "wb").write(b"planted")
except OSError:
    pass
def min_norm(A, J, y):
    return np.zeros(J.shape[1])
"""
    # grade_class checks that the folder is byte for byte the same afterwards
    table = grade_class(tmp_path, {"alice.py": HONEST, "bob.py": HONEST, "vandal.py": attack})
    assert table["alice.py"][2] == "accepted" and table["bob.py"][2] == "accepted"
    assert_not_accepted(table, "vandal.py")
    assert not (folder / "__pycache__").exists()               # no .pyc is ever written in the folder


@needs_scopes
def test_signals_to_siblings_and_to_the_grader_are_blocked(tmp_path):
    received = []
    previous = signal.signal(signal.SIGUSR1, lambda *a: received.append(1))
    attack = f"""
import os, signal, time
import numpy as np
def min_norm(A, J, y):
    for pid in (os.getppid(), {GRADER}):
        for sig in (signal.SIGUSR1, signal.SIGKILL if pid != {GRADER} else signal.SIGUSR1):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
    return np.zeros(J.shape[1])
"""
    try:
        table = grade_class(tmp_path, {"alice.py": HONEST, "bob.py": HONEST, "killer.py": attack,
                                       "carol.py": HONEST})
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert received == []                                       # the grader got nothing
    for name in ("alice.py", "bob.py", "carol.py"):
        assert table[name][2] == "accepted", table[name]
    assert_not_accepted(table, "killer.py")


@needs_landlock
def test_a_setsid_daemon_neither_outlives_the_grading_nor_writes_the_grades(tmp_path):
    out = tmp_path / "grades.csv"
    attack = f"""
import os, time
import numpy as np
if os.fork() == 0:
    os.setsid()
    if os.fork():
        os._exit(0)
    for _ in range(400):
        try:
            open({str(out)!r}, "w").write("hacked,min_norm,accepted,0,\\n")
        except OSError:
            pass
        time.sleep(0.02)
    os._exit(0)
def min_norm(A, J, y):
    return np.zeros(J.shape[1])
"""
    table = grade_class(tmp_path, {"alice.py": HONEST, "daemon.py": attack})
    assert_not_accepted(table, "daemon.py")
    time.sleep(0.5)
    assert "hacked" not in out.read_text()


@needs_landlock
def test_processes_forked_before_exit_are_killed(tmp_path):
    attack = """
import os, time
def min_norm(A, J, y):
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
"""
    table = grade_class(tmp_path, {"alice.py": HONEST, "forker.py": attack})   # checks no process is left
    assert table["alice.py"][2] == "accepted"
    assert_not_accepted(table, "forker.py")


@needs_landlock
def test_a_pth_file_in_site_packages_cannot_be_planted(tmp_path):
    site_dir = os.path.dirname(os.path.dirname(np.__file__))
    planted = os.path.join(site_dir, "zz_cstheory_redteam.pth")
    attack = f"""
import numpy as np
try:
    open({planted!r}, "w").write("import os\\n")
except OSError:
    pass
def min_norm(A, J, y):
    return np.zeros(J.shape[1])
"""
    try:
        table = grade_class(tmp_path, {"alice.py": HONEST, "pth.py": attack})
        assert not os.path.exists(planted)
    finally:
        if os.path.exists(planted):
            os.unlink(planted)
    assert table["alice.py"][2] == "accepted"
    assert_not_accepted(table, "pth.py")


def _network_namespaces():
    """True when this process may make a network namespace (root, or unprivileged user namespaces)."""
    from cstheory.exercises import _landlock
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _landlock.unshare_network() else 1)
    return os.waitpid(pid, 0)[1] == 0


@needs_landlock
def test_no_udp_either(tmp_path):
    if not _network_namespaces():
        pytest.skip("no network namespace can be made here (not root, no unprivileged user namespaces): "
                    "UDP stays open, as the README says")
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    attack = f"""
import socket
import numpy as np
def min_norm(A, J, y):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"the answer, please", ("127.0.0.1", {port}))
    return np.zeros(J.shape[1])
"""
    try:
        table = grade_class(tmp_path, {"alice.py": HONEST, "udp.py": attack})
        with pytest.raises(BlockingIOError):
            listener.recv(100)                                  # nothing arrived
    finally:
        listener.close()
    assert table["alice.py"][2] == "accepted"
    assert_not_accepted(table, "udp.py")


@needs_landlock
def test_no_network(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    attack = f"""
import socket
import numpy as np
def min_norm(A, J, y):
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"the answer, please")
    return np.zeros(J.shape[1])
"""
    try:
        table = grade_class(tmp_path, {"alice.py": HONEST, "net.py": attack})
        with pytest.raises(BlockingIOError):
            listener.accept()                                   # nobody connected
    finally:
        listener.close()
    assert_not_accepted(table, "net.py")
    assert "PermissionError" in table["net.py"][5]


# ---------------------------------------------------------------------------
# resources
# ---------------------------------------------------------------------------
@needs_landlock
def test_disk_use_is_bounded(tmp_path):
    attack = """
import numpy as np
def min_norm(A, J, y):
    block = b"x" * (8 << 20)
    i = 0
    while True:
        with open(f"fill{i}", "wb") as f:
            f.write(block)
        i += 1
"""
    table = grade_class(tmp_path, {"alice.py": HONEST, "filler.py": attack})
    assert table["alice.py"][2] == "accepted"
    assert_not_accepted(table, "filler.py")
    assert f"more than {DISK_LIMIT // 1024**2} MiB" in table["filler.py"][5]


@needs_landlock
def test_the_number_of_processes_is_bounded(tmp_path):
    path = tmp_path / "bomb.py"
    path.write_text(textwrap.dedent("""
        import os, time
        import numpy as np
        def f(x):
            made = 0
            for _ in range(300):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                made += 1
            return np.array([float(made)])
        """))
    with Sandbox(path, "f", timeout=20, isolation="landlock") as sb:
        made = float(sb.call({"x": 1})[0])
    assert made < PROCESS_LIMIT + 40, made          # bounded: far from the 300 it tried
    deadline = time.monotonic() + 5
    while _worker_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _worker_processes() == []


@needs_landlock
def test_a_huge_wrong_shape_answer_is_refused_without_reading_it(tmp_path):
    attack = """
import numpy as np
def min_norm(A, J, y):
    return np.zeros(16 * 1024 * 1024)        # 128 MiB
"""
    tracemalloc.start()
    try:
        table = grade_class(tmp_path, {"alice.py": HONEST, "huge.py": attack}, workers=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_not_accepted(table, "huge.py")
    assert "more than" in table["huge.py"][5] and "MiB the grader reads" in table["huge.py"][5]
    assert peak < 4 * ANSWER_LIMIT, peak               # the grader never held the 128 MiB


# ---------------------------------------------------------------------------
# the class's grades survive
# ---------------------------------------------------------------------------
@needs_landlock
def test_odd_file_names_links_and_fifos_get_a_safe_row(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    os.symlink("/etc/passwd", folder / "link.py")
    os.mkfifo(folder / "fifo.py")
    fd = os.open(os.path.join(os.fsencode(folder), b"caf\xe9.py"), os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, HONEST.encode())
    os.close(fd)
    files = {"alice.py": HONEST, "evil\r\nfake,min_norm,accepted,0,forged.py": HONEST,
             "=HYPERLINK(\"http:x\").py": HONEST, "a" * 229 + ".py": HONEST}
    feedback = tmp_path / "feedback"
    table = grade_class(tmp_path, files, extra=("--feedback", str(feedback)), expect_rows=7)
    assert table["alice.py"][2] == "accepted"
    assert "accepted" not in {table["link.py"][2], table["fifo.py"][2]}
    assert "symbolic link" in table["link.py"][5] and "FIFO" in table["fifo.py"][5]
    assert "caf\\xe9.py" in table and "not valid UTF-8" in table["caf\\xe9.py"][5]
    assert "evil\\r\\nfake,min_norm,accepted,0,forged.py" in table            # escaped: no forged line
    assert "forged.py" not in [r for r in table if r.startswith("fake")]
    assert table["'=HYPERLINK(\"http:x\").py"][2] == "accepted"             # graded, written as text
    assert "more than the 200" in table["a" * 229 + ".py"][5]
    everything = (tmp_path / "grades.csv").read_text() + "".join(p.read_text() for p in feedback.iterdir())
    assert "root:" not in everything                                         # the link was never followed


@needs_landlock
def test_out_replaced_by_a_directory_mid_run_keeps_the_grades(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("a.py", "b.py", "c.py"):
        (folder / name).write_text(HONEST)
    out = tmp_path / "grades.csv"

    class Vandal:
        def write(self, text):
            if out.is_file():
                out.unlink()
                out.mkdir()

        def flush(self):
            pass

    report = exercises.grade("min_norm", folder, out, workers=1, timeout=10, seed=3, max_examples=5,
                             progress=Vandal())
    assert out.is_dir() and report.out != str(out)
    with open(report.out, newline="") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["a.py", "b.py", "c.py"] and {r[2] for r in rows[1:]} == {"accepted"}


@needs_landlock
def test_a_terminated_grader_keeps_its_rows_and_resume_finishes_them(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("a.py", "b.py", "c.py", "d.py"):
        (folder / name).write_text(HONEST)
    (folder / "e.py").write_text("import time\ntime.sleep(60)\n")
    out = tmp_path / "grades.csv"
    argv = [sys.executable, "-m", "cstheory", "exercise", "grade", "min_norm", str(folder), "--out", str(out),
            "--workers", "1", "--seed", "5", "--max-examples", "5", "--timeout", "60", "--quiet"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:               # wait until a..d are written and e.py is running
        if out.exists() and out.read_text().count("\n") >= 5:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "--resume" in err
    rows = list(csv.reader(out.read_text().splitlines()))
    assert rows[0][0] == "submission" and sorted(r[0] for r in rows[1:]) == ["a.py", "b.py", "c.py", "d.py"]
    assert _worker_processes(proc.pid) == []        # the running submission was killed with the grader
    assert cli.main(["exercise", *argv[4:-5], "--resume", "--seed", "6"]) == 2      # another seed: refused
    (folder / "e.py").write_text(HONEST)             # the last file, graded by the resumed run
    with open(out, "a", newline="") as f:            # and a row torn by a crash: graded again
        f.write("e.py,min_norm,acc")
    done = subprocess.run(argv[:-5] + ["--resume", "--max-examples", "5", "--quiet"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "kept 4 rows" in done.stdout and "seed 5" in done.stdout
    rows = list(csv.reader(out.read_text().splitlines()))
    assert [r[0] for r in rows[1:]] == ["a.py", "b.py", "c.py", "d.py", "e.py"]
    assert {r[2] for r in rows[1:]} == {"accepted"}


def test_grading_is_refused_without_landlock_unless_unsafe(tmp_path, monkeypatch, capsys):
    """Not skipped: the refusal is what a kernel without Landlock gets."""
    monkeypatch.setattr(_isolation, "landlock_abi", lambda: 0)
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "alice.py").write_text(HONEST)
    out = tmp_path / "grades.csv"
    argv = ["exercise", "grade", "min_norm", str(folder), "--out", str(out), "--max-examples", "5", "--quiet"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("no Landlock") == 1 and "--unsafe-no-isolation" in err
    assert not out.exists()
    assert cli.main(argv + ["--unsafe-no-isolation"]) == 0
    assert "accepted" in out.read_text()
    with pytest.raises(TypeError, match="unsafe_no_isolation"):
        exercises.grade("min_norm", folder, out, unsafe_no_isolation="yes")
    with pytest.raises(ValueError, match="isolation"):
        Sandbox(folder / "alice.py", "min_norm", isolation="chroot")
    with pytest.raises(TypeError, match="isolation"):
        Sandbox(folder / "alice.py", "min_norm", isolation=None)
    # a student checking their own file is not refused: `check` runs it unconfined where it must
    assert exercises.check_file("min_norm", folder / "alice.py", max_examples=5).accepted


@pytest.mark.parametrize("text, cell", [("alice.py", "alice.py"), ("=HYPERLINK(1).py", "'=HYPERLINK(1).py"),
                                        ("+1.py", "'+1.py"), ("-x.py", "'-x.py"), ("@a.py", "'@a.py"),
                                        ("\tx.py", "'\\tx.py"), ("a\r\nb.py", "a\\r\\nb.py"),
                                        ("a=b.py", "a=b.py"), ("bel\x07.py", "bel\\x07.py")])
def test_cells_are_written_safely(text, cell):
    from cstheory.exercises._grading import safe_cell
    assert safe_cell(text) == cell


# ---------------------------------------------------------------------------
# answers out of reach, and the grader's own reliability
# ---------------------------------------------------------------------------
def test_the_reference_is_computed_only_after_the_submission_answered(monkeypatch):
    """While the submission's code runs on an input, the expected value of that input does not exist yet."""
    from cstheory.exercises._engine import Exercise, InProcess

    events = []
    original = Exercise.expected

    def expected(self, inputs):
        events.append(("expected", id(inputs)))
        return original(self, inputs)

    def honest(A, J, y):
        M = A @ J
        return M.T @ np.linalg.solve(M @ M.T, y)

    inner = InProcess(honest)

    def caller(inputs):
        events.append(("call", id(inputs)))
        return inner(inputs)

    monkeypatch.setattr(Exercise, "expected", expected)
    result = exercises.get("min_norm").run_check(caller, max_examples=10, seed=2)
    assert result.accepted
    assert any(kind == "expected" for kind, _ in events)
    for i, (kind, key) in enumerate(events):
        if kind == "expected":
            assert ("call", key) in events[:i], "a reference was computed before the call on its input"


def test_answers_are_decoded_by_one_thread_at_a_time(monkeypatch):
    """NumPy parses a .npy header with ast.literal_eval, which CPython 3.11 does not make safe for threads
    running it at once: 1 of 200 honest answers graded with 2 workers was refused as "malformed .npy header:
    AST constructor recursion depth mismatch".  The grader's threads must take turns in that parser."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from cstheory.exercises._worker import decode_array, encode_array

    fmt = np.lib.format
    original = fmt.read_array_header_1_0
    inside, most, lock = [0], [0], threading.Lock()

    def watched(f, *args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.002)                      # a thread switch inside the parser, as under load
        try:
            return original(f, *args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(fmt, "read_array_header_1_0", watched)
    blob = encode_array(np.arange(6.0).reshape(2, 3))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: decode_array(blob), range(40)))
    assert all(r.shape == (2, 3) for r in results)
    assert most[0] == 1, f"{most[0]} threads were parsing a header at once"


@needs_landlock
def test_a_killed_grader_leaves_its_rows_and_no_process(tmp_path):
    """SIGKILL cannot be handled: the rows are already on the disk, and each supervisor, told by the kernel
    that the grader died (PR_SET_PDEATHSIG), kills its submission."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("a.py", "b.py"):
        (folder / name).write_text(HONEST)
    (folder / "c.py").write_text("import time\ntime.sleep(60)\n")
    out = tmp_path / "grades.csv"
    private = _private_tmp(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cstheory", "exercise", "grade", "min_norm", str(folder),
                             "--out", str(out), "--workers", "1", "--seed", "5", "--max-examples", "5",
                             "--timeout", "60", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, TMPDIR=str(private)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n") >= 3):
        time.sleep(0.1)
    time.sleep(0.5)                                   # c.py is running
    assert _worker_processes(proc.pid)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while _worker_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _worker_processes(proc.pid) == []
    rows = list(csv.reader(out.read_text().splitlines()))
    assert [r[0] for r in rows[1:]] == ["a.py", "b.py"] and all(r[2] == "accepted" for r in rows[1:])
    assert os.listdir(private) == []                  # the supervisor removed the scratch directory too
    base = _isolation._pids_cgroup()
    if base:                                          # the supervisors removed their cgroups themselves
        assert not [n for n in os.listdir(base) if n.startswith(f"cstheory-{proc.pid}-")]
