"""The child side of a sandboxed check: load one student's file and call its function on request.

This file is a standalone script.  It never imports cstheory (so that a
student's code cannot reach the checker through it), and the checker starts
it with ``python -I`` (isolated mode: no user site-packages, no PYTHON*
variables, neither the script's directory nor the working directory on
``sys.path``)::

    python -I -S -B _worker.py REQUEST_FD RESPONSE_FD GRADER_PID

and sends the rest (the file, the function, the limits, the Landlock rules)
as the first message on the request pipe.  On Linux this process is the
*supervisor*: non-dumpable, a child subreaper, outside the submission's
Landlock domain; it forks the submission's process, which sets its limits,
confines itself (:mod:`cstheory.exercises._landlock`) and only then runs the
student's file.  The supervisor watches the scratch directory's size, and
when the submission's process ends (or the grader sends SIGTERM, or the
grader dies) it kills every descendant — double-forked daemons included,
since orphans are re-parented to it — and exits with the submission's status.

The parent (:mod:`cstheory.exercises._sandbox`) keeps the hypothesis
property, the reference, the comparison and the verdict; this process only
calls the student's function on the inputs it receives and sends the
returned arrays back.  Nothing the student patches here (``numpy.allclose``,
``sys.exit``, builtins, …) can change a verdict, because no verdict is
computed here.

Wire format (both directions, over two dedicated pipes — never stdout, which
receives the student's prints): a frame is ``b"CSTX"``, the length of a JSON
header as an 8-byte big-endian integer, the UTF-8 JSON header, then the
binary blobs whose byte lengths the header lists under ``"blobs"``.  Each
blob is one ``.npy`` array of a plain numeric dtype (bool, int, uint, float,
complex).  :func:`decode_array` reads one without ever unpickling: it parses
the ``.npy`` header, refuses object, structured and sub-array dtypes, checks
that the byte count matches the shape, and copies the bytes with
``numpy.frombuffer``.  The parent imports this module only for these
framing functions.
"""
import io
import json
import os
import shutil
import struct
import sys
import threading

MAGIC = b"CSTX"
#: Largest JSON header accepted (bytes).
MAX_HEADER = 1 << 20
#: Largest total size of the arrays of one message (bytes).
MAX_PAYLOAD = 1 << 30
#: Longest traceback text sent back (characters).
MAX_TRACEBACK = 4000
_NUMERIC_KINDS = "biufc"
_THIS_FILE = os.path.abspath(__file__)
#: the name prefix of a submission's scratch directory (the grader's ``tempfile`` prefix, see _sandbox.py)
SCRATCH_PREFIX = "cstheory-submission-"
# NumPy parses a .npy header with ast.literal_eval, which CPython 3.11 does not make safe for threads running
# it at once ("AST constructor recursion depth mismatch": an honest answer refused); the grader's threads take turns
_HEADER_LOCK = threading.Lock()


class ProtocolError(Exception):
    """A frame that does not follow the wire format (a corrupted channel or a forged message)."""


# ---------------------------------------------------------------------------
# framing, shared by both sides
# ---------------------------------------------------------------------------
def encode_array(arr):
    """The ``.npy`` bytes of a numeric NumPy array (never pickled)."""
    import numpy as np
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(arr, order="C"), allow_pickle=False)
    return buf.getvalue()


def decode_array(blob):
    """A NumPy array from ``.npy`` bytes, validated; never unpickles.

    Raises
    ------
    ProtocolError
        For a bad magic string or header, a non-numeric dtype, or a byte count that does not
        match the declared shape.
    """
    import numpy as np
    fmt = np.lib.format
    f = io.BytesIO(blob)
    try:
        with _HEADER_LOCK:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ProtocolError(f"unsupported .npy version {version}")
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 - any malformed header
        raise ProtocolError(f"malformed .npy header: {exc}") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in _NUMERIC_KINDS:
        raise ProtocolError(f"refused dtype {dtype!r}: only plain numeric arrays travel")
    count = 1
    for d in shape:
        count *= int(d)
    offset = f.tell()
    if count * dtype.itemsize != len(blob) - offset:
        raise ProtocolError(f"the array data has {len(blob) - offset} bytes, shape {shape} needs "
                            f"{count * dtype.itemsize}")
    data = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
    return data.reshape(shape, order="F" if fortran else "C").copy()


def encode_message(header, arrays=()):
    """One frame: magic, header length, JSON header (with the blob lengths), blobs."""
    blobs = [encode_array(a) for a in arrays]
    header = dict(header, blobs=[len(b) for b in blobs])
    text = json.dumps(header).encode("utf-8")
    return b"".join([MAGIC, struct.pack(">Q", len(text)), text, *blobs])


class AnswerTooLarge(ProtocolError):
    """A frame whose arrays exceed the reader's limit (refused before they are read)."""

    def __init__(self, size, limit):
        super().__init__(f"{size} bytes of arrays, more than the {limit} accepted")
        self.size = size
        self.limit = limit


def read_message(read_exact, max_payload=MAX_PAYLOAD):
    """Read one frame with ``read_exact(n) -> bytes``; return ``(header, arrays)``.

    ``max_payload`` bounds the total bytes of the arrays: a larger frame raises
    :class:`AnswerTooLarge` before any of them is read.

    Raises
    ------
    ProtocolError
        For any deviation from the wire format.
    """
    start = read_exact(12)
    if start[:4] != MAGIC:
        raise ProtocolError("bad frame start")
    (size,) = struct.unpack(">Q", start[4:])
    if size > MAX_HEADER:
        raise ProtocolError(f"header of {size} bytes exceeds {MAX_HEADER}")
    try:
        header = json.loads(read_exact(size).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"bad JSON header: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("the header is not a JSON object")
    lengths = header.pop("blobs", [])
    if (not isinstance(lengths, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                                  for n in lengths) or sum(lengths) > MAX_PAYLOAD):
        raise ProtocolError("bad blob lengths")
    if sum(lengths) > max_payload:
        raise AnswerTooLarge(sum(lengths), max_payload)
    return header, [decode_array(read_exact(n)) for n in lengths]


# ---------------------------------------------------------------------------
# the child
# ---------------------------------------------------------------------------
def _limit(resource, which, value):
    """Set the soft and hard limit (the student's code cannot raise it again); a platform that
    refuses (RLIMIT_AS on macOS) runs without it."""
    try:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        pass


class _CstheoryBlocker:
    """A meta-path finder that refuses ``cstheory`` and its submodules, and remembers the attempt."""

    def __init__(self):
        self.attempted = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "cstheory" or fullname.startswith("cstheory."):
            self.attempted = True
            raise ModuleNotFoundError(f"No module named {fullname!r} (submissions may not use cstheory's "
                                      "own implementation)", name=fullname)
        return None

    def find_module(self, fullname, path=None):  # pragma: no cover - legacy protocol
        return None


def _uses_cstheory(blocker, package_dir):
    """True when an import of cstheory was attempted or a module of the package (other than this
    script, which runs as ``__main__``) is loaded."""
    if blocker is not None and blocker.attempted:
        return True
    for name, module in list(sys.modules.items()):
        if name == "cstheory" or name.startswith("cstheory."):
            return True
        f = getattr(module, "__file__", None)
        if (package_dir and isinstance(f, str) and os.path.abspath(f).startswith(package_dir + os.sep)
                and os.path.abspath(f) != _THIS_FILE):
            return True
    return False


def _student_traceback(exc, worker_file):
    import traceback
    frames = [f for f in traceback.extract_tb(exc.__traceback__)   # neither ours nor the import machinery's
              if os.path.abspath(f.filename) != worker_file and not f.filename.startswith("<frozen ")]
    text = "".join(traceback.format_list(frames[-4:])) + "".join(traceback.format_exception_only(type(exc), exc))
    text = text.rstrip()
    return text if len(text) <= MAX_TRACEBACK else "…" + text[-MAX_TRACEBACK:]


def _payload(result, np):
    """(header, arrays) describing the student's return value."""
    def numeric(x):
        arr = np.asarray(x)
        if arr.dtype.hasobject or arr.dtype.fields is not None or arr.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError
        return arr

    if result is None:
        return {"kind": "none", "type": "NoneType"}, []
    typename = type(result).__name__
    try:
        if isinstance(result, (tuple, list)):
            return {"kind": "tuple", "type": typename}, [numeric(p) for p in result]
        return {"kind": "array", "type": typename}, [numeric(result)]
    except BaseException:  # noqa: BLE001 - not convertible: the parent says "not an array"
        return {"kind": "other", "type": typename}, []


def _load_landlock():
    """The standalone :mod:`._landlock` beside this script, loaded by path (this script imports no package)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_sandbox_landlock", os.path.join(os.path.dirname(_THIS_FILE),
                                                                                     "_landlock.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _children():
    """The process ids of this process's children (orphaned descendants become children: a subreaper)."""
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        pass
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(b")") + 2:].split()[1]) == me:
                found.append(int(entry))
    return found


def _kill_all():
    """SIGKILL every descendant (they are, or become, children of this subreaper) and reap them all."""
    import signal
    while True:
        for pid in _children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _disk_usage(directory, most_entries=100000):
    """Bytes used beneath ``directory`` (allocated blocks), or a huge number past ``most_entries`` entries."""
    total, count, stack = 0, 0, [directory]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            count += 1
            if count > most_entries:
                return 1 << 62
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            total += max(st.st_blocks * 512, 4096)
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    return total


#: exit status of the supervisor when the submission used more disk than allowed
DISK_EXIT = 87
#: exit status of the supervisor when the submission could not be confined
CONFINE_EXIT = 88


def _supervise(pid, setup):
    """Wait for the submission's process; watch its disk use; then kill every descendant and exit
    with its status (a signal is passed on as the same signal)."""
    import select
    import signal
    pidfd = os.pidfd_open(pid)
    over = False
    while True:
        ready, _, _ = select.select([pidfd], [], [], 0.2)
        if ready:
            break
        if _disk_usage(setup["scratch"]) > setup["disk_limit"]:
            over = True
            break
    if over:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    _kill_all()
    _clean_up(setup)
    if over:
        os._exit(DISK_EXIT)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) if not os.WIFSIGNALED(status) else 1)


def _clean_up(setup):
    """After every descendant is gone: remove the scratch directory and the cgroup (done here, not only by
    the grader, so that nothing is left even when the grader was killed)."""
    shutil.rmtree(setup["scratch"], ignore_errors=True)
    _leave_cgroup(setup)


def _remove_orphaned_scratch():
    """Remove the working directory if it is a submission's scratch directory (the grader starts this
    process there): the grader was killed between creating it and handing it over, so nobody else will."""
    try:
        cwd = os.getcwd()
    except OSError:
        return
    if os.path.basename(cwd).startswith(SCRATCH_PREFIX):
        shutil.rmtree(cwd, ignore_errors=True)


def _leave_cgroup(setup):
    """Move this supervisor back to the parent cgroup and remove the submission's (empty by now): done
    here, so that no cgroup is left even when the grader was killed."""
    group = setup.get("cgroup")
    if not group:
        return
    try:
        with open(os.path.join(os.path.dirname(group), "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        os.rmdir(group)
    except OSError:
        pass


def _user_processes():
    """The number of processes of this real user id (for a per-user ``RLIMIT_NPROC``); 0 without ``/proc``."""
    uid, count = str(os.getuid()), 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            count += line.split()[1] == uid
                            break
            except OSError:
                continue
    return count


def _confine(setup, landlock, resource):
    """In the submission's process, before its file runs: limits, no network, its own directory, Landlock,
    no capabilities."""
    if setup["memory"] > 0:
        _limit(resource, resource.RLIMIT_AS, setup["memory"])
    _limit(resource, resource.RLIMIT_FSIZE, setup["output_limit"])
    _limit(resource, resource.RLIMIT_CORE, 0)
    others = _user_processes() if setup.get("cgroup") is None and os.getuid() != 0 else 0
    # no network at all (UDP included) where a network namespace can be made; Landlock rules out TCP anyway
    namespaces = landlock.unshare_network() if setup["rules"] is not None else ""
    if others:
        # RLIMIT_NPROC counts the processes of the user (in a new user namespace: of this submission only)
        _limit(resource, resource.RLIMIT_NPROC, setup["processes"] + (0 if "user" in namespaces else others))
    os.chdir(setup["scratch"])
    if setup["rules"] is not None:
        landlock.restrict([tuple(r) for r in setup["rules"]], setup["abi"])
        landlock.drop_capabilities()


def main(argv):
    import signal
    req_fd, resp_fd, grader = int(argv[1]), int(argv[2]), int(argv[3])
    worker_file = _THIS_FILE

    def read_exact(n):
        chunks, got = [], 0
        while got < n:
            chunk = os.read(req_fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError("the checker closed the channel")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def send(header, arrays=()):
        data = encode_message(header, arrays)
        view = memoryview(data)
        while view:
            view = view[os.write(resp_fd, view):]

    try:
        setup, _ = read_message(read_exact)
    except EOFError:       # the grader ended (killed?) before sending the setup: its scratch is our cwd
        _remove_orphaned_scratch()
        return
    path, function, package_dir, allow = setup["file"], setup["function"], setup["package_dir"], setup["allow"]
    sys.path.extend(p for p in setup["sys_path"] if p not in sys.path)
    sys.dont_write_bytecode = True

    import resource
    landlock = _load_landlock()
    supervised = sys.platform.startswith("linux") and hasattr(os, "pidfd_open")
    if supervised:
        # the supervisor: outside the submission's Landlock domain, a subreaper of all its descendants
        landlock.prctl(landlock.PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != grader:       # the grader died before the death signal was armed: clean up for it
            _clean_up(setup)
            return
        landlock.prctl(landlock.PR_SET_CHILD_SUBREAPER, 1)
        landlock.prctl(landlock.PR_SET_DUMPABLE, 0)
        _limit(resource, resource.RLIMIT_CORE, 0)
        if setup.get("cgroup"):
            try:
                with open(os.path.join(setup["cgroup"], "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
            except OSError:   # no cgroup after all: RLIMIT_NPROC is the bound
                setup["cgroup"] = None

        def stop(signum, frame):
            # runs wherever the main thread was, e.g. half-way through `import numpy`: everything it needs is
            # imported already (shutil at the top), and it ends the process whatever happens
            try:
                _kill_all()
                _clean_up(setup)
            finally:
                os._exit(128 + signum)

        signal.signal(signal.SIGTERM, stop)

    import importlib.machinery
    import importlib.util
    import warnings

    import numpy as np   # loaded once, before the fork: the submission starts with it

    if supervised:
        supervisor = os.getpid()
        pid = os.fork()
        if pid:
            os.close(req_fd)
            os.close(resp_fd)
            _supervise(pid, setup)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        landlock.prctl(landlock.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != supervisor:
            os._exit(1)
    try:
        _confine(setup, landlock, resource)
    except OSError as exc:
        send({"status": "load_error", "kind": "confine", "detail": f"the submission could not be confined: {exc}"})
        os._exit(CONFINE_EXIT)

    blocker = None
    if allow:
        parent = os.path.dirname(package_dir)
        if parent not in sys.path:
            sys.path.insert(0, parent)
    else:
        # a courtesy for a clear message: the kernel (Landlock) is what keeps cstheory out of reach; what
        # this hook reports can only turn into a rejection, never into an acceptance
        blocker = _CstheoryBlocker()
        sys.meta_path.insert(0, blocker)

    # load the submission under a name of its own (not __main__: its `if __name__ == "__main__"` block stays off)
    modname = "submission"
    try:
        loader = importlib.machinery.SourceFileLoader(modname, path)
        spec = importlib.util.spec_from_loader(modname, loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loader.exec_module(module)
    except SystemExit as exc:
        send({"status": "load_error", "kind": "exit", "cstheory": _uses_cstheory(blocker, package_dir),
              "detail": f"the file called sys.exit({exc.code!r}) while being imported"})
        return
    except BaseException as exc:  # noqa: BLE001 - SyntaxError, NameError, … in the student's file
        send({"status": "load_error", "kind": "import", "cstheory": _uses_cstheory(blocker, package_dir),
              "detail": _student_traceback(exc, worker_file)})
        return
    func = getattr(module, function, None)
    if func is None:
        defined = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                         and getattr(v, "__module__", None) == modname)
        send({"status": "no_function", "defined": defined, "cstheory": _uses_cstheory(blocker, package_dir)})
        return
    if not callable(func):
        send({"status": "not_callable", "type": type(func).__name__,
              "cstheory": _uses_cstheory(blocker, package_dir)})
        return
    send({"status": "ready", "cstheory": _uses_cstheory(blocker, package_dir)})

    while True:
        try:
            header, arrays = read_message(read_exact)
        except EOFError:
            return
        if header.get("op") != "call":
            return
        args = [arrays[a["array"]] if "array" in a else a["value"] for a in header["args"]]
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = func(*args)
            reply, out = _payload(result, np)
            reply["status"] = "ok"
        except SystemExit as exc:
            reply, out = {"status": "exited", "code": repr(exc.code)}, []
        except BaseException as exc:  # noqa: BLE001 - any error of the student's code is reported
            reply, out = {"status": "raised", "type": type(exc).__name__,
                          "not_implemented": isinstance(exc, NotImplementedError),
                          "traceback": _student_traceback(exc, worker_file)}, []
        reply["cstheory"] = _uses_cstheory(blocker, package_dir)
        send(reply, out)


if __name__ == "__main__":
    main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
