"""Run a student's file in a child process of its own, with a wall-clock and a memory limit.

:class:`Sandbox` starts ``python -I _worker.py …`` (the standalone script
:mod:`cstheory.exercises._worker`, which never imports cstheory) in a new
session, sends it inputs over a dedicated pipe and reads the returned
arrays from another; the student's prints go to a file, never into the
protocol.  The checker (hypothesis, the reference, the comparison, the
verdict) stays in this process, so shrinking works as in an in-process
check and nothing the student patches can change the verdict.

Limits
------
* ``timeout``: wall-clock seconds the child may spend in all — importing the
  file and every call together.  When it runs out the whole process group is
  killed (SIGKILL) and the check ends with the verdict ``timeout``.
* ``memory``: the child's address space (``RLIMIT_AS``), default 2 GiB; an
  allocation beyond it raises ``MemoryError`` in the student's code.
* output: the student's prints may fill at most :data:`OUTPUT_LIMIT` bytes
  (``RLIMIT_FSIZE``); beyond that the child is killed.
* ``cstheory``: an import hook in the child, installed before the student's
  file runs, refuses ``cstheory`` and its submodules (``import``, ``from …
  import``, ``importlib``, ``__import__``); ``sys.modules`` is inspected after
  the import and after every call.  Either finding ends the check with
  "uses cstheory's own implementation" unless ``allow_cstheory=True``.

This isolates honest mistakes and casual shortcuts (an ``exit()``, an endless
loop, a patched ``numpy.allclose``, a call into the library).  It is not a
security boundary: the child runs as the same user, can read files and open
sockets, and a determined author can get around the import hook.  Grade
untrusted code inside a container or a virtual machine.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import _worker
from ._worker import ProtocolError, encode_message, read_message

__all__ = ["Sandbox", "StudentError", "SubmissionAbort", "LoadError", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY",
           "OUTPUT_LIMIT", "Foreign"]

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
#: Most bytes the student's prints may write (the rest kills the child).
OUTPUT_LIMIT = 16 * 1024**2

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


class Sandbox:
    """One student's file, loaded in a child process; call it with :meth:`call`.

    Parameters
    ----------
    path : str or path-like
        The student's Python file.
    function : str
        The name of the function to call in it.
    timeout : float
        Wall-clock seconds for the import and all calls together.
    memory : int
        Address-space limit of the child in bytes (0: none).
    allow_cstheory : bool
        Let the submission import cstheory (the grader's own copy).

    Use as a context manager; :meth:`start` raises :class:`LoadError`, :meth:`call`
    raises :class:`StudentError` or :class:`SubmissionAbort`.
    """

    def __init__(self, path, function, timeout=DEFAULT_TIMEOUT, memory=DEFAULT_MEMORY, allow_cstheory=False):
        self.path = os.path.abspath(os.fspath(path))
        self.function = function
        self.timeout, self.memory = check_limits(timeout, memory)
        self.allow_cstheory = bool(allow_cstheory)
        self.used = 0.0              # seconds spent waiting for the child
        self.calls = 0
        self._proc = None
        self._output = None
        self._workdir = None
        self._buffer = bytearray()

    # -- life cycle ------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()   # the captured output stays readable (output_tail) until dispose()
        return False

    def start(self):
        """Start the child and load the file; return when the function is ready to be called."""
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        self._output = tempfile.TemporaryFile(prefix="cstheory-submission-output-")
        self._workdir = tempfile.TemporaryDirectory(prefix="cstheory-submission-", ignore_cleanup_errors=True)
        env = dict(os.environ)
        for var in _THREAD_VARIABLES:  # one thread per submission: graders run many side by side
            env[var] = "1"
        argv = [sys.executable, "-I", "-u", _WORKER, str(req_r), str(resp_w), self.path, self.function,
                str(self.memory), str(OUTPUT_LIMIT), _PACKAGE_DIR, "1" if self.allow_cstheory else "0"]
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._output,
                                          stderr=subprocess.STDOUT, pass_fds=(req_r, resp_w), env=env,
                                          cwd=self._workdir.name, start_new_session=True)
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._req, self._resp = req_w, resp_r
        os.set_blocking(self._req, False)
        try:
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
        """Kill the child's process group (if still running) and release the pipes."""
        if self._proc is not None:
            if self._proc.poll() is None:
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self._proc.wait()
            for fd in (self._req, self._resp):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._proc = None
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
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _receive(self):
        return read_message(self._read_exact)

    def _exit_status(self):
        try:
            code = self._proc.wait(timeout=max(1.0, min(5.0, self._remaining())))
        except subprocess.TimeoutExpired:
            return "it closed the channel"
        if code < 0:
            sig = -code
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
            reason = {"SIGKILL": "killed, perhaps for lack of memory", "SIGSEGV": "a crash (segmentation fault)",
                      "SIGXFSZ": f"it printed more than {OUTPUT_LIMIT // 1024**2} MiB",
                      "SIGABRT": "aborted"}.get(name, "killed")
            return f"{name}: {reason}"
        return f"exit status {code}; did the code call exit() or os._exit()?"
