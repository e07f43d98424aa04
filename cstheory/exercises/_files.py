"""Atomic writes for the files the exercise commands produce (notebooks, grades, feedback)."""
from __future__ import annotations

import os
import uuid

__all__ = ["atomic_write", "check_writable_directory"]


def _temporary_name(path):
    directory, base = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f".{base}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def atomic_write(path, text: str, newline: str | None = None) -> str:
    """Write ``text`` to a temporary file beside ``path``, then rename it onto ``path``.

    A reader never sees a half-written file, and an interrupted write leaves
    the previous file (if any) untouched.  The file gets the usual
    permissions (``0o666`` less the umask)."""
    path = os.fspath(path)
    tmp = _temporary_name(path)
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
    probe = _temporary_name(os.path.join(directory, "probe"))
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
