"""Linux Landlock, the ``prctl`` calls and the network namespace of the sandbox, with :mod:`ctypes` (no dependency).

This file is standalone (it imports nothing from cstheory), because the
submission's process (:mod:`cstheory.exercises._worker`, which never imports
cstheory) loads it by path to confine itself, and the grader imports it to
ask the kernel which Landlock ABI it has.

Landlock (Linux ≥ 5.13, ``Documentation/userspace-api/landlock.rst``) lets an
unprivileged process restrict itself and all its future descendants, for
good: a ruleset names the access rights it *handles*; every handled right is
denied except where a rule grants it beneath a path.  The rights grow with the
ABI version (:func:`abi_version`):

====  ==================================================================
ABI   what this module handles
====  ==================================================================
1     execute, read/write files, read directories, create/remove entries
2     ``REFER`` (linking or renaming across directories)
3     ``TRUNCATE``
4     TCP ``bind`` and ``connect`` (no rule: no TCP at all)
5     ``IOCTL_DEV`` (ioctl on device files)
6     scopes: no signals to, no abstract unix sockets of, processes outside the domain
====  ==================================================================

The system call numbers (444–446) are the same on every Linux architecture.
"""
import ctypes
import os

__all__ = ["abi_version", "restrict", "prctl", "unshare_network", "drop_capabilities", "FS_READ", "FS_WRITE", "FS_FILE_ONLY",
           "supported"]

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

# filesystem rights (ABI 1 unless noted)
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15          # ABI 2, 3, 5
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1                  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1        # ABI 6

#: Read a tree: its files and directory listings.
FS_READ = READ_FILE | READ_DIR
#: Work in a private directory: read, write, create and remove files and directories (never execute).
FS_WRITE = FS_READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SYM | REFER | TRUNCATE
#: The rights a rule on a file (not a directory) may carry.
FS_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

_ABI_FS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38
_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = None


def _c():
    global _libc
    if _libc is None:
        # the interpreter's own symbols (libc included); ctypes.util.find_library would run ldconfig
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
        _libc.prctl.restype = ctypes.c_int
    return _libc


def _check(result, what):
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def prctl(option, arg):
    """``prctl(option, arg, 0, 0, 0)``; raises OSError on failure."""
    return _check(_c().prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                             ctypes.c_ulong(0)), f"prctl({option})")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities():
    """Drop every capability of this process (``capset`` to empty sets), for good: a grader run as root
    must not hand its submissions ``CAP_SYS_BOOT``, ``CAP_SYS_MODULE``, ``CAP_SYS_RESOURCE`` (raising the
    rlimits again) …  With ``PR_SET_NO_NEW_PRIVS`` and no program to execute, nothing gives them back.

    Raises
    ------
    OSError
        When the kernel refuses.
    """
    header = _CapHeader(version=0x20080522, pid=0)   # _LINUX_CAPABILITY_VERSION_3: two 32-bit words
    data = (_CapData * 2)()
    _check(_c().capset(ctypes.byref(header), data), "capset")


def unshare_network():
    """Move this (single-threaded) process into a new, empty network namespace: no network at all, UDP
    included (Landlock only rules TCP).  Needs ``CAP_SYS_ADMIN`` or an unprivileged user namespace, made
    here too when needed.

    Returns
    -------
    str
        ``"net"`` (a network namespace), ``"user+net"`` (with a user namespace) or ``""`` (neither
        could be made: the process keeps the network).
    """
    libc = _c()
    if libc.unshare(ctypes.c_int(_CLONE_NEWNET)) == 0:
        return "net"
    if libc.unshare(ctypes.c_int(_CLONE_NEWUSER | _CLONE_NEWNET)) == 0:
        return "user+net"
    return ""


def abi_version() -> int:
    """The Landlock ABI version of the running kernel; 0 where Landlock is missing or disabled."""
    if not os.uname().sysname == "Linux":
        return 0
    try:
        result = _c().syscall(ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                              ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(0, int(result))


def supported(abi):
    """What a ruleset of ``abi`` enforces, in words (for reports and the README)."""
    parts = ["filesystem"]
    if abi >= 4:
        parts.append("no TCP bind/connect")
    if abi >= 6:
        parts.append("signals and abstract unix sockets scoped to the submission")
    return ", ".join(parts)


def restrict(rules, abi=None):
    """Confine this process and its future children for good: only the ``rules`` are allowed.

    Parameters
    ----------
    rules : iterable of (str, int)
        ``(path, rights)``: grant ``rights`` (an OR of the ``FS_*``/right constants) beneath ``path``.
        A path that does not exist is skipped; on a file, only the file rights are kept.
    abi : int, optional
        The ABI to use (default: :func:`abi_version`).

    Also sets ``PR_SET_NO_NEW_PRIVS`` (required by ``landlock_restrict_self``).  With ABI ≥ 4 no TCP
    port may be bound or connected; with ABI ≥ 6 the process may not signal, nor connect to the
    abstract unix sockets of, any process outside its domain.

    Raises
    ------
    OSError
        When the kernel lacks Landlock or refuses the ruleset.
    """
    abi = abi_version() if abi is None else abi
    if abi < 1:
        raise OSError(38, "Landlock is not available in this kernel")
    handled = _ABI_FS.get(abi, (1 << 16) - 1)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size = 24
    libc = _c()
    ruleset = _check(libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                                  ctypes.c_uint32(0)), "landlock_create_ruleset")
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not _is_dir(fd):
                    rights &= FS_FILE_ONLY
                rule = _PathBeneathAttr(allowed_access=rights & handled, parent_fd=fd)
                if rule.allowed_access:
                    _check(libc.syscall(ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(ruleset),
                                        ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)),
                           f"landlock_add_rule({path!r})")
            finally:
                os.close(fd)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        _check(libc.syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


def _is_dir(fd):
    import stat
    return stat.S_ISDIR(os.fstat(fd).st_mode)
