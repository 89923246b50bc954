"""Files in torchplug's cache directory: where it is, how they are written, checked and pruned.

Bottom layer: bytes and paths, nothing of what the files mean. The scan cache (`_cache`) and the
settings files' parsed copies (`_settings`) keep their files here; both are only ever a way to
be faster, so every failure to write is silent and every damaged file is a miss.
"""

from __future__ import annotations

import _thread
import os

_MERSENNE = (1 << 61) - 1
#: Files of one kind kept in the directory; the least recently written go first.
_KEEP = 32


def directory() -> str:
    """``$XDG_CACHE_HOME/torchplug``, or ``~/.cache/torchplug``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "torchplug")


def checksum(data: bytes) -> int:
    """Of one stored piece. Small pieces, the ones a lookup reads, without importing zlib."""
    if len(data) <= 1 << 16:
        return int.from_bytes(data, "little") % _MERSENNE
    import zlib

    return zlib.crc32(data)


def key(identity: bytes) -> str:
    """A stable name (not `hash`, which varies per process) for the bytes of what a file is for."""
    value = int.from_bytes(identity, "little")
    # Two primes below 2**64 (not of a special form, whose residues would only add up chunks
    # of the bytes): 128 bits of key, like a cryptographic hash for inputs nobody chose to clash.
    return f"{value % 18446744073709551557:016x}{value % 18446744073709551533:016x}"


def write(file: str, data: bytes, prefix: str, suffix: str) -> None:
    """Atomically (readers see the old file or the new one, never half of one), readable by its
    owner only; then only the _KEEP newest files named ``prefix*suffix`` stay."""
    folder = os.path.dirname(file)
    temporary = os.path.join(folder, f".tmp-{os.getpid()}-{_thread.get_ident()}{suffix}")
    try:
        os.makedirs(folder, exist_ok=True)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
        finally:
            os.close(handle)
        os.replace(temporary, file)
        _prune(folder, prefix, suffix)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def files(folder: str, prefix: str, suffix: str) -> list[str]:
    """The files named ``prefix*suffix`` in `folder`."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if n.startswith(prefix) and n.endswith(suffix)]


def _prune(folder: str, prefix: str, suffix: str) -> None:
    def written(file: str) -> int:
        try:
            return os.stat(file).st_mtime_ns
        except OSError:
            return 0

    for old in sorted(files(folder, prefix, suffix), key=written, reverse=True)[_KEEP:]:
        try:
            os.unlink(old)
        except OSError:
            pass
