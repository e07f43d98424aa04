"""Run a student's file confined in a child process of its own, with time, memory, disk and process limits.

:class:`Sandbox` starts ``python -I -S -B _worker.py …`` (the standalone
script :mod:`cstheory.exercises._worker`, which never imports cstheory) in a
new session, sends it the setup and then inputs over a dedicated pipe and
reads the returned arrays from another; the student's prints go to a file,
never into the protocol.  The checker (hypothesis, the reference, the
comparison, the verdict) stays in this process; the reference of an input is
computed only once the submission has answered it, so nothing the student
does in its process can produce an acceptance.

What the submission's process gets (isolation ``"landlock"``, see
:mod:`._isolation` and :mod:`._landlock`):

* its OWN COPY of the file, in a private scratch directory (its working
  directory, ``HOME`` and ``TMPDIR``) — never a path to the submissions folder;
* Landlock, enforced by the kernel: read access to the standard library, the
  shared libraries and NumPy/SciPy only (not cstheory, not the submissions
  folder, not ``/proc``), write access to the scratch directory only, no program
  execution, no TCP, and (ABI ≥ 6) no signal to and no abstract unix socket of
  a process outside the submission; ``PR_SET_NO_NEW_PRIVS``; a network
  namespace of its own where one can be made (no UDP either); no capabilities
  (a grader run as root hands none on);
* a supervisor process (a non-dumpable child subreaper outside the domain) that
  kills every descendant when the submission ends, and kills the submission when
  its scratch directory holds more than ``disk`` bytes;
* limits: ``timeout`` (wall clock, the import and all calls together),
  ``memory`` (``RLIMIT_AS``), :data:`OUTPUT_LIMIT` bytes per file
  (``RLIMIT_FSIZE``), ``processes`` (a ``pids`` cgroup where the grader may make
  one, else ``RLIMIT_NPROC`` above the user's current count), no core files;
* a minimal environment, one BLAS thread.

The grader reads at most :data:`ANSWER_LIMIT` bytes of arrays per answer
(a larger answer is a rejection, refused before it is read).  With
isolation ``"none"`` everything but Landlock still applies; an import hook
then keeps casual imports of cstheory out (the child reports the attempt: a
report that can only reject).
"""
from __future__ import annotations

import os
import select
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from . import _isolation, _worker
from ._worker import AnswerTooLarge, ProtocolError, encode_message, read_message

__all__ = ["Sandbox", "StudentError", "SubmissionAbort", "LoadError", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY",
           "OUTPUT_LIMIT", "ANSWER_LIMIT", "DISK_LIMIT", "PROCESS_LIMIT", "SOURCE_LIMIT", "Foreign"]

#: Default wall-clock limit of one submission (seconds): the import and all calls together.
DEFAULT_TIMEOUT = 60.0
#: Default address-space limit of the child (bytes): 2 GiB.
DEFAULT_MEMORY = 2 * 1024**3
#: the smallest address-space limit a submission's process gets: below it Python and NumPy cannot start
#: (measured: 80 MiB fails, 100 MiB works), and every submission would be blamed for the limit
MIN_MEMORY = 256 * 1024**2


def check_limits(timeout, memory):
    """Validate the sandbox's limits (``UsageError`` naming the argument); return them as (float, int)."""
    import math

    from . import UsageError

    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
            or timeout <= 0:
        raise UsageError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(memory, bool) or not isinstance(memory, int) or memory < 0:
        raise UsageError(f"memory must be a number of bytes >= 0 (0: no limit), got {memory!r}")
    if 0 < memory < MIN_MEMORY:
        raise UsageError(f"memory must be 0 (no limit) or at least {MIN_MEMORY // 1024**2}M, the least Python "
                         f"and NumPy need to start; got {memory} bytes")
    return float(timeout), int(memory)
#: Most bytes the student's prints may write, and the largest file it may write (the rest kills the child).
OUTPUT_LIMIT = 16 * 1024**2
#: Most bytes of arrays the grader reads from one answer (every exercise's answer is far smaller).
ANSWER_LIMIT = 8 * 1024**2
#: Most bytes a submission may keep in its scratch directory.
DISK_LIMIT = 64 * 1024**2
#: Most processes a submission may run at once (its own included).
PROCESS_LIMIT = 16
#: Largest submission file accepted (bytes).
SOURCE_LIMIT = 1024**2
_ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH")

_WORKER = os.path.abspath(_worker.__file__)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(_WORKER))
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                     "VECLIB_MAXIMUM_THREADS")
_USES_CSTHEORY = "uses cstheory's own implementation"


class StudentError(Exception):
    """The student's function raised an exception (or called ``sys.exit``) on one input: a rejection."""

    def __init__(self, type_name, detail, not_implemented=False, exited=False):
        super().__init__(detail)
        self.type_name = type_name
        self.detail = detail
        self.not_implemented = not_implemented
        self.exited = exited


class SubmissionAbort(BaseException):
    """The check cannot go on: time is up, the child died, broke the protocol or used cstheory.

    A BaseException, so that hypothesis does not try to shrink it: it ends the
    check at once.  ``verdict`` is ``"timeout"`` or ``"rejected"``; ``inputs``
    are those of the call in progress (set by the checker)."""

    def __init__(self, verdict, message, hint="", key=""):
        super().__init__(message)
        self.verdict = verdict
        self.message = message
        self.hint = hint
        self.key = key
        self.inputs = None


class LoadError(Exception):
    """The file could not be loaded: ``kind`` is ``import``, ``exit``, ``no_function``, ``not_callable``,
    ``timeout``, ``died`` or ``cstheory``; ``verdict`` the verdict it leads to."""

    def __init__(self, kind, message, verdict="error", defined=()):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.verdict = verdict
        self.defined = list(defined)


class Foreign:
    """A returned value that is not array-like (what travels back is only its type name)."""

    def __init__(self, type_name):
        self.type_name = type_name


class _Timeout(Exception):
    pass


class _Died(Exception):
    pass


_LIVE = set()
_LIVE_LOCK = threading.Lock()


def close_all():
    """End every running submission of this process (an interrupted grader: nothing may outlive it);
    the threads that drive them then close them."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for sandbox in live:
        proc = sandbox._proc
        if proc is not None and proc.poll() is None:
            try:   # the supervisor kills the submission; the thread waiting on it sees it end and closes
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


class Sandbox:
    """One student's file, loaded in a confined child process; call it with :meth:`call`.

    Parameters
    ----------
    path : str or path-like
        The student's Python file (a regular file; read once, copied into the scratch directory).
    function : str
        The name of the function to call in it.
    timeout : float
        Wall-clock seconds for the import and all calls together.
    memory : int
        Address-space limit of the child in bytes (0: none).
    allow_cstheory : bool
        Let the submission import cstheory (the grader's own copy).
    isolation : {"auto", "landlock", "none"}
        ``"landlock"``: confine with Landlock or raise :class:`._isolation.IsolationUnavailable`;
        ``"auto"``: Landlock where the kernel has it; ``"none"``: only the limits.
    hidden : str or path-like, optional
        A folder the submission may not read (the submissions folder; default: the file's folder).

    Use as a context manager; :meth:`start` raises :class:`LoadError`, :meth:`call`
    raises :class:`StudentError` or :class:`SubmissionAbort`.
    """

    def __init__(self, path, function, timeout=DEFAULT_TIMEOUT, memory=DEFAULT_MEMORY, allow_cstheory=False,
                 isolation="auto", hidden=None):
        self.path = os.path.abspath(os.fspath(path))
        self.function = function
        self.timeout, self.memory = check_limits(timeout, memory)
        self.allow_cstheory = bool(allow_cstheory)
        self.isolation = _isolation.resolve_mode(isolation)
        self.hidden = os.path.abspath(os.fspath(hidden)) if hidden is not None else os.path.dirname(self.path)
        self.used = 0.0              # seconds spent waiting for the child
        self.calls = 0
        self._proc = None
        self._output = None
        self._workdir = None
        self._cgroup = None
        self._buffer = bytearray()

    # -- life cycle ------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()   # the captured output stays readable (output_tail) until dispose()
        return False

    def _copy(self):
        """The file's bytes (never following a link, at most :data:`SOURCE_LIMIT`) into the scratch directory."""
        fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise LoadError("import", "not a regular file")
            if st.st_size > SOURCE_LIMIT:
                raise LoadError("import", f"the file has {st.st_size} bytes, more than the {SOURCE_LIMIT} accepted")
            source = os.read(fd, SOURCE_LIMIT + 1)[:SOURCE_LIMIT]
        finally:
            os.close(fd)
        name = os.path.basename(self.path)
        if not name.isascii() or not name.replace(".", "_").replace("-", "_").isidentifier() or len(name) > 100:
            name = "submission.py"
        copy = os.path.join(self._workdir.name, name)
        with open(copy, "xb") as f:
            f.write(source)
        return copy

    def start(self):
        """Start the child and load the file; return when the function is ready to be called."""
        self._output = tempfile.TemporaryFile(prefix="cstheory-submission-output-")
        self._workdir = tempfile.TemporaryDirectory(prefix=_worker.SCRATCH_PREFIX, ignore_cleanup_errors=True)
        scratch = self._workdir.name
        try:
            copy = self._copy()
        except OSError as exc:
            self.close()
            raise LoadError("import", f"the file cannot be read: {exc.strerror or exc}") from None
        except LoadError:
            self.close()
            raise
        landlock = self.isolation == "landlock"
        rules = None
        if landlock:
            _isolation.make_undumpable()
            rules = [list(r) for r in _isolation.base_rules(self.hidden, self.allow_cstheory)]
            rules += [list(r) for r in _isolation.scratch_rules(scratch)]
        self._cgroup = _isolation.ProcessGroup(PROCESS_LIMIT)
        setup = {"file": copy, "function": self.function, "memory": self.memory, "output_limit": OUTPUT_LIMIT,
                 "processes": PROCESS_LIMIT, "disk_limit": DISK_LIMIT, "scratch": scratch,
                 "package_dir": _PACKAGE_DIR, "allow": self.allow_cstheory, "rules": rules,
                 "abi": _isolation.landlock_abi(), "cgroup": self._cgroup.path,
                 "sys_path": _isolation.child_sys_path(self.allow_cstheory)}
        env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
        env.update(HOME=scratch, TMPDIR=scratch, PYTHONDONTWRITEBYTECODE="1")
        for var in _THREAD_VARIABLES:  # one thread per submission: graders run many side by side
            env[var] = "1"
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        argv = [sys.executable, "-I", "-S", "-B", "-u", _WORKER, str(req_r), str(resp_w), str(os.getpid())]
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._output,
                                          stderr=subprocess.STDOUT, pass_fds=(req_r, resp_w), env=env,
                                          cwd=scratch, start_new_session=True)
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._req, self._resp = req_w, resp_r
        with _LIVE_LOCK:
            _LIVE.add(self)
        os.set_blocking(self._req, False)
        try:
            self._send(encode_message(setup))
            header, _ = self._receive()
        except _Timeout:
            self.close()
            raise LoadError("timeout", f"importing the file took longer than the time limit ({self.timeout:g} s "
                                       "wall clock); is there an endless loop at the top level?",
                            verdict="timeout") from None
        except _Died as exc:
            self.close()
            raise LoadError("died", f"the process ended while importing the file ({exc})") from None
        except ProtocolError as exc:
            self.close()
            raise LoadError("died", f"the file wrote into the checker's channel while being imported ({exc})") \
                from None
        if header.get("cstheory") and not self.allow_cstheory:
            self.close()
            raise LoadError("cstheory", f"rejected: the file {_USES_CSTHEORY} (it imports cstheory)",
                            verdict="rejected")
        status = header.get("status")
        if status == "ready":
            return self
        self.close()
        if status == "load_error":
            raise LoadError(header.get("kind", "import"), str(header.get("detail", "")))
        if status == "no_function":
            defined = [str(d) for d in header.get("defined", [])]
            raise LoadError("no_function", f"the file defines no function named {self.function!r}"
                            + (f" (it defines: {', '.join(defined)})" if defined else ""), defined=defined)
        if status == "not_callable":
            raise LoadError("not_callable", f"{self.function!r} in the file is a {header.get('type')}, "
                                            "not a function")
        raise LoadError("died", f"unexpected answer from the submission's process: {status!r}")

    def close(self):
        """End the submission (its supervisor kills every descendant), release the pipes and the scratch."""
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if self._proc is not None:
            for fd in (self._req, self._resp):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._req = self._resp = -1
            if self._proc.poll() is None:
                try:   # the supervisor SIGKILLs the submission and all its descendants, then exits
                    os.kill(self._proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(self._proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            self._proc.wait()
            self._proc = None
        if getattr(self, "_cgroup", None) is not None:
            self._cgroup.remove()
            self._cgroup = None
        if getattr(self, "_workdir", None) is not None:
            self._workdir.cleanup()
            self._workdir = None

    def output_tail(self, lines=10, limit=2000):
        """The last lines the student's code printed (stdout and stderr), or ''."""
        if self._output is None:
            return ""
        try:  # pread: the child shares the file's offset, so never move it
            fd = self._output.fileno()
            size = os.fstat(fd).st_size
            text = os.pread(fd, limit, max(0, size - limit)).decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def dispose(self):
        """:meth:`close`, and drop the captured output too."""
        self.close()
        if self._output is not None:
            self._output.close()
            self._output = None

    def __del__(self):
        try:
            self.dispose()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- calls -------------------------------------------------------------------
    def call(self, inputs):
        """Call the student's function on ``inputs`` (argument name → value, in call order).

        Returns a NumPy array, a tuple of arrays, ``None`` or a :class:`Foreign`.

        Raises
        ------
        StudentError
            The function raised (or called ``sys.exit``) on these inputs.
        SubmissionAbort
            Time is up, the process died, broke the protocol, or the function used cstheory.
        """
        if self._proc is None:
            raise SubmissionAbort("rejected", "the submission's process is no longer running")
        arrays, spec = [], []
        for value in inputs.values():
            if isinstance(value, np.ndarray):
                spec.append({"array": len(arrays)})
                arrays.append(value)
            elif isinstance(value, np.generic):
                spec.append({"value": value.item()})
            else:
                spec.append({"value": value})
        self.calls += 1
        try:
            self._send(encode_message({"op": "call", "args": spec}, arrays))
            header, out = self._receive()
        except _Timeout:
            self.close()
            raise SubmissionAbort("timeout", f"timed out: the submission used up its wall-clock limit of "
                                             f"{self.timeout:g} s (during call {self.calls})",
                                  hint="look for an endless loop, or a much slower method than needed",
                                  key="timeout") from None
        except _Died as exc:
            self.close()
            raise SubmissionAbort("rejected", f"the process running your function ended during a call ({exc})",
                                  hint="do not call exit() or os._exit(): return the result. A crash or a "
                                       "memory error can also end the process.", key="process_ended") from None
        except AnswerTooLarge as exc:
            self.close()
            raise SubmissionAbort("rejected", f"rejected: the answer to call {self.calls} holds {exc.size} bytes of "
                                              f"arrays, more than the {ANSWER_LIMIT // 1024**2} MiB the grader reads",
                                  hint="return an array of the shape the exercise asks for", key="answer_too_large") \
                from None
        except ProtocolError as exc:
            self.close()
            raise SubmissionAbort("rejected", f"the submission wrote into the checker's channel ({exc})",
                                  hint="do not write to file descriptors you did not open", key="protocol") from None
        if header.get("cstheory") and not self.allow_cstheory:
            self.close()
            raise SubmissionAbort("rejected", f"rejected: the submission {_USES_CSTHEORY}",
                                  hint="write the computation yourself; cstheory's functions are the reference "
                                       "it is compared with", key="uses_cstheory")
        status = header.get("status")
        if status == "ok":
            kind = header.get("kind")
            if kind == "array" and len(out) == 1:
                return out[0]
            if kind == "tuple":
                return tuple(out)
            if kind == "none":
                return None
            return Foreign(str(header.get("type", "object")))
        if status == "raised":
            raise StudentError(str(header.get("type", "Exception")), str(header.get("traceback", "")),
                               not_implemented=bool(header.get("not_implemented")))
        if status == "exited":
            raise StudentError("SystemExit", f"your function called sys.exit({header.get('code')})", exited=True)
        self.close()
        raise SubmissionAbort("rejected", f"unexpected answer from the submission's process: {status!r}")

    __call__ = call

    # -- the channel -------------------------------------------------------------
    def _remaining(self):
        return self.timeout - self.used

    def _wait(self, fd, for_write):
        """Wait until ``fd`` is ready, charging the time to the submission; raise _Timeout at the limit."""
        remaining = self._remaining()
        if remaining <= 0:
            raise _Timeout
        start = time.monotonic()
        if for_write:
            _, ready, _ = select.select([], [fd], [], remaining)
        else:
            ready, _, _ = select.select([fd], [], [], remaining)
        self.used += time.monotonic() - start
        if not ready:
            raise _Timeout

    def _send(self, data):
        view = memoryview(data)
        while view:
            self._wait(self._req, for_write=True)
            try:
                view = view[os.write(self._req, view):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise _Died(self._exit_status()) from None

    def _read_exact(self, n):
        while len(self._buffer) < n:
            self._wait(self._resp, for_write=False)
            chunk = os.read(self._resp, 1 << 20)
            if not chunk:
                raise _Died(self._exit_status())
            self._buffer += chunk
        if len(self._buffer) == n:
            data, self._buffer = bytes(self._buffer), bytearray()
            return data
        data = bytes(memoryview(self._buffer)[:n])
        del self._buffer[:n]
        return data

    def _receive(self):
        return read_message(self._read_exact, ANSWER_LIMIT)

    def _exit_status(self):
        try:
            code = self._proc.wait(timeout=max(1.0, min(5.0, self._remaining())))
        except subprocess.TimeoutExpired:
            return "it closed the channel"
        if code == _worker.DISK_EXIT:
            return f"it kept more than {DISK_LIMIT // 1024**2} MiB of files in its directory"
        if code < 0:
            sig = -code
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
            reason = {"SIGKILL": "killed, perhaps for lack of memory", "SIGSEGV": "a crash (segmentation fault)",
                      "SIGXFSZ": f"it printed more than {OUTPUT_LIMIT // 1024**2} MiB",
                      "SIGABRT": "aborted"}.get(name, "killed")
            return f"{name}: {reason}"
        return f"exit status {code}; did the code call exit() or os._exit()?"
