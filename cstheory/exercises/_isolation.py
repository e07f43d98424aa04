"""What a submission's process may touch: the Landlock policy, the process-count cgroup, the modes.

The grader (:mod:`._sandbox`) computes here, once per run, the list of
``(path, rights)`` rules that :func:`._landlock.restrict` enforces in the
submission's process (:mod:`._worker`):

* read: the Python standard library, the shared libraries (``/lib``,
  ``/usr/lib``, …), and the packages in :data:`ALLOWED_PACKAGES` with their
  bundled libraries (``numpy.libs``, …);
* never: cstheory's package directory, the submissions folder, any other
  ``site-packages``/``dist-packages`` (an allowed tree that contains one of
  these is granted entry by entry, leaving them out: Landlock only adds rights);
* read and write: the submission's private scratch directory (added per submission);
* nothing else, no execution of any program, no TCP, and (ABI ≥ 6) no signal to, nor
  abstract unix socket of, a process outside the submission.

Isolation modes (``isolation=``): ``"landlock"`` (required: a
:class:`IsolationUnavailable` where the kernel lacks it), ``"auto"`` (Landlock
where available, for ``check`` of one's own file) and ``"none"`` (only the
limits; ``grade --unsafe-no-isolation``).
"""
from __future__ import annotations

import functools
import glob
import importlib.util
import itertools
import os
import site
import sys
import sysconfig

from . import _landlock

__all__ = ["ALLOWED_PACKAGES", "MODES", "IsolationUnavailable", "landlock_abi", "resolve_mode", "base_rules",
           "scratch_rules", "child_sys_path", "ProcessGroup", "make_undumpable", "describe"]

#: The packages a submission may import besides the standard library (with their bundled ``*.libs``).
ALLOWED_PACKAGES = ("numpy", "scipy")
#: The isolation modes.
MODES = ("landlock", "auto", "none")
_PACKAGE_DIR = os.path.realpath(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LIBRARY_ROOTS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/lib32")
_FILES = (("/etc/ld.so.cache", _landlock.READ_FILE), ("/dev/null", _landlock.READ_FILE | _landlock.WRITE_FILE),
          ("/dev/zero", _landlock.READ_FILE), ("/dev/urandom", _landlock.READ_FILE),
          ("/dev/random", _landlock.READ_FILE), ("/sys/devices/system/cpu", _landlock.FS_READ))


class IsolationUnavailable(RuntimeError):
    """The kernel cannot confine a submission (no Landlock) and isolation was required."""


@functools.lru_cache(maxsize=1)
def landlock_abi() -> int:
    """The Landlock ABI version of this kernel (0: none), asked once."""
    return _landlock.abi_version()


def resolve_mode(isolation) -> str:
    """``"landlock"`` or ``"none"`` for an ``isolation`` argument (see the module docstring).

    Raises
    ------
    TypeError, ValueError
        For an argument that is not one of :data:`MODES` (the message names ``isolation``).
    IsolationUnavailable
        For ``"landlock"`` on a kernel without Landlock.
    """
    if not isinstance(isolation, str):
        raise TypeError(f"isolation must be one of {', '.join(MODES)}; got {type(isolation).__name__}")
    if isolation not in MODES:
        raise ValueError(f"isolation must be one of {', '.join(MODES)}; got {isolation!r}")
    if isolation == "none":
        return "none"
    if landlock_abi() >= 1:
        return "landlock"
    if isolation == "auto":
        return "none"
    raise IsolationUnavailable(
        "this kernel has no Landlock (Linux >= 5.13 with Landlock enabled), so submissions cannot be confined: "
        "grading refused. Grade on a Linux machine with Landlock, or pass --unsafe-no-isolation for trusted code")


@functools.lru_cache(maxsize=1)
def make_undumpable():
    """Make this (the grading) process non-dumpable, once: no core file, and no process of the same user
    may attach to it or read its ``/proc/<pid>/mem`` (a second fence behind Landlock)."""
    try:
        _landlock.prctl(_landlock.PR_SET_DUMPABLE, 0)
    except (OSError, AttributeError):
        return False
    return True


def describe(mode) -> str:
    """What confines a submission in ``mode`` (``"landlock"`` or ``"none"``), in words."""
    if mode == "none":
        return "none (--unsafe-no-isolation: only the limits)"
    abi = landlock_abi()
    return f"Landlock ABI {abi} ({_landlock.supported(abi)})"


def _real(path):
    return os.path.realpath(path)


def _site_dirs():
    """Every site directory this Python knows of, and every ``sys.path`` entry outside the standard library."""
    stdlib = {_real(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
    dirs = {_real(d) for d in [*site.getsitepackages(), site.getusersitepackages()] if d}
    for entry in sys.path:
        if not entry:
            continue
        real = _real(entry)
        if os.path.basename(real) in ("site-packages", "dist-packages") or not any(
                real == s or real.startswith(s + os.sep) for s in stdlib):
            dirs.add(real)
    return dirs


def _package_dirs(name):
    """(directory of the package, its site directory) or None."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = _real(list(spec.submodule_search_locations)[0])
    return directory, os.path.dirname(directory)


def _grant(root, rights, denied):
    """Rules granting ``rights`` beneath ``root`` except beneath the ``denied`` paths."""
    if not os.path.exists(root) or root in denied:
        return []
    inside = [d for d in denied if d.startswith(root + os.sep)]
    if not inside or not os.path.isdir(root) or os.path.islink(root):
        return [(root, rights)]
    rules = [(root, _landlock.READ_DIR)]
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return rules
    for entry in entries:
        if entry.is_symlink():
            continue   # covered where its target is granted
        rules += _grant(entry.path, rights, inside)
    return rules


def child_sys_path(allow_cstheory=False):
    """The directories the submission's ``sys.path`` gets besides the standard library."""
    paths = []
    for name in ALLOWED_PACKAGES:
        found = _package_dirs(name)
        if found and found[1] not in paths:
            paths.append(found[1])
    if allow_cstheory and os.path.dirname(_PACKAGE_DIR) not in paths:
        paths.append(os.path.dirname(_PACKAGE_DIR))
    return paths


@functools.lru_cache(maxsize=8)
def base_rules(submissions_dir=None, allow_cstheory=False):
    """The read-only rules of every submission (a tuple of ``(path, rights)``), computed once per folder."""
    denied = {_PACKAGE_DIR} | _site_dirs()
    if submissions_dir is not None:
        denied.add(_real(submissions_dir))
    rules = []
    paths = sysconfig.get_paths()
    stdlib_roots = {_real(paths["stdlib"]), _real(paths["platstdlib"])}
    for entry in sys.path:   # lib-dynload and the like, where they live outside the stdlib directory
        if entry.endswith("lib-dynload") and os.path.isdir(entry):
            stdlib_roots.add(_real(entry))
    for root in sorted(stdlib_roots):
        rules += _grant(root, _landlock.FS_READ, frozenset(denied))
    library_denied = set(denied)
    for root in _LIBRARY_ROOTS + (os.path.join(sys.base_prefix, "lib"),):
        library_denied.update(_real(p) for p in glob.glob(os.path.join(root, "python*")))
    library_denied -= stdlib_roots
    for root in dict.fromkeys(_real(r) for r in _LIBRARY_ROOTS + (os.path.join(sys.base_prefix, "lib"),)):
        if root not in stdlib_roots:
            rules += _grant(root, _landlock.FS_READ, frozenset(library_denied))
    for name in ALLOWED_PACKAGES:
        found = _package_dirs(name)
        if not found:
            continue
        directory, site_dir = found
        rules.append((site_dir, _landlock.READ_DIR))
        for extra in (directory, f"{directory}.libs", os.path.join(site_dir, f"{name}_libs")):
            if os.path.isdir(extra):
                rules.append((extra, _landlock.FS_READ))
    if allow_cstheory:   # the teacher's choice: cstheory and the site directories of its dependencies
        rules.append((os.path.dirname(_PACKAGE_DIR), _landlock.READ_DIR))
        rules.append((_PACKAGE_DIR, _landlock.FS_READ))
        rules += [(path, _landlock.FS_READ) for path in child_sys_path(False)]
    rules += [(path, rights) for path, rights in _FILES if os.path.exists(path)]
    return tuple(rules)


def scratch_rules(scratch):
    """The rule of the submission's own scratch directory: read and write, never execute."""
    return [(os.fspath(scratch), _landlock.FS_WRITE)]


_GROUP_NUMBERS = itertools.count()


class ProcessGroup:
    """A ``pids`` cgroup bounding one submission's process count, where this process may create one.

    ``path`` is the cgroup's directory (None where no cgroup could be made: then the submission's
    ``RLIMIT_NPROC`` is the bound); the supervisor joins it before it forks the submission.
    """

    def __init__(self, limit):
        self.path = None
        base = _pids_cgroup()
        if base is None:
            return
        path = os.path.join(base, f"cstheory-{os.getpid()}-{next(_GROUP_NUMBERS)}")
        try:
            os.mkdir(path)
            with open(os.path.join(path, "pids.max"), "w") as f:
                f.write(str(int(limit)))
        except OSError:
            self.remove(path)
            return
        self.path = path

    def remove(self, path=None):
        """Remove the (empty) cgroup."""
        path = path or self.path
        if path:
            try:
                os.rmdir(path)
            except OSError:
                pass
        self.path = None


def _remove_stale(base):
    """Remove the empty cgroups of graders that are gone (a grader killed before it could clean up)."""
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "cstheory" and parts[1].isdigit() and \
                not os.path.exists(f"/proc/{parts[1]}"):
            try:
                os.rmdir(os.path.join(base, name))   # refused while a process is still in it
            except OSError:
                pass


@functools.lru_cache(maxsize=1)
def _pids_cgroup():
    """The directory of this process's ``pids`` cgroup if this process may create children in it."""
    try:
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split() for line in f]
        with open("/proc/self/cgroup") as f:
            own = [line.rstrip("\n").split(":", 2) for line in f]
    except OSError:
        return None
    for fields in mounts:
        sep = fields.index("-")
        fstype, point, options = fields[sep + 1], fields[4], fields[-1]
        if fstype == "cgroup" and "pids" in options.split(","):
            rel = next((p for _, c, p in own if "pids" in c.split(",")), None)
        elif fstype == "cgroup2":
            try:
                with open(os.path.join(point, "cgroup.controllers")) as f:
                    if "pids" not in f.read().split():
                        continue
            except OSError:
                continue
            rel = next((p for i, _, p in own if i == "0"), None)
        else:
            continue
        if rel is None:
            continue
        base = os.path.join(point, rel.lstrip("/"))
        if os.access(base, os.W_OK) and os.path.exists(os.path.join(base, "cgroup.procs")):
            _remove_stale(base)
            return base
    return None
