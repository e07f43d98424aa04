"""Atomic writes (floor 1): every file cstheory writes goes to a temporary name beside it, then is renamed.

Figures, reports, sweep tables, grades, feedback and notebooks all use these helpers, so an
interrupted run never leaves a truncated or mismatched file, and every file gets the usual
permissions (``0o666`` less the umask; ``tempfile.mkstemp`` would make them private, ``0o600``).
"""
from __future__ import annotations

import os
import uuid

__all__ = ["atomic_write", "temporary_name", "check_writable_directory"]


def temporary_name(path):
    """A fresh hidden name beside ``path`` that keeps its suffix (matplotlib reads the format from it)."""
    directory, base = os.path.split(os.path.abspath(os.fspath(path)))
    stem, suffix = os.path.splitext(base)
    return os.path.join(directory, f".{stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{suffix}")


def atomic_write(path, text: str, newline: str | None = None) -> str:
    """Write ``text`` to a temporary file beside ``path``, then rename it onto ``path``.

    A reader never sees a half-written file, and an interrupted write leaves
    the previous file (if any) untouched.  The file gets the usual
    permissions (``0o666`` less the umask)."""
    path = os.fspath(path)
    tmp = temporary_name(path)
    try:
        with open(tmp, "x", encoding="utf-8", newline=newline) as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def check_writable_directory(directory) -> str | None:
    """None when a file can be created in ``directory``, else the reason (the directory must exist)."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        return f"{directory!r} is not a directory"
    probe = temporary_name(os.path.join(directory, "probe"))
    try:
        with open(probe, "x"):
            pass
    except OSError as exc:
        return f"cannot write in {directory!r}: {exc.strerror or exc}"
    try:
        os.unlink(probe)
    except OSError:
        pass
    return None
