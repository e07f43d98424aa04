"""The child side of a sandboxed check: load one student's file and call its function on request.

This file is a standalone script.  It never imports cstheory (so that a
student's code cannot reach the checker through it), and the checker starts
it with ``python -I`` (isolated mode: no user site-packages, no PYTHON*
variables, neither the script's directory nor the working directory on
``sys.path``)::

    python -I _worker.py REQUEST_FD RESPONSE_FD FILE FUNCTION MEMORY_BYTES OUTPUT_BYTES PACKAGE_DIR ALLOW

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
import struct
import sys

MAGIC = b"CSTX"
#: Largest JSON header accepted (bytes).
MAX_HEADER = 1 << 20
#: Largest total size of the arrays of one message (bytes).
MAX_PAYLOAD = 1 << 30
#: Longest traceback text sent back (characters).
MAX_TRACEBACK = 4000
_NUMERIC_KINDS = "biufc"
_THIS_FILE = os.path.abspath(__file__)


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


def read_message(read_exact):
    """Read one frame with ``read_exact(n) -> bytes``; return ``(header, arrays)``.

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
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != worker_file]
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


def main(argv):
    req_fd, resp_fd = int(argv[1]), int(argv[2])
    path, function = argv[3], argv[4]
    memory, output_limit = int(argv[5]), int(argv[6])
    package_dir, allow = argv[7], argv[8] == "1"
    worker_file = _THIS_FILE

    import resource
    if memory > 0:
        _limit(resource, resource.RLIMIT_AS, memory)
    _limit(resource, resource.RLIMIT_FSIZE, output_limit)
    _limit(resource, resource.RLIMIT_CORE, 0)

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

    import importlib.machinery
    import importlib.util
    import warnings

    import numpy as np

    blocker = None
    if allow:
        parent = os.path.dirname(package_dir)
        if parent not in sys.path:
            sys.path.insert(0, parent)
    else:
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
