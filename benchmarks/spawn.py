"""Run one command and write its wall time, peak RSS and CPU time to a file.

Usage: ``python -S -E spawn.py RESULT_FILE COMMAND...`` (COMMAND[0] an absolute path).

Why a wrapper: Linux carries a process's peak RSS across fork and exec, so a child of the
benchmark driver (which has matplotlib and friends loaded) would report the driver's memory
as its own. Spawned from this minimal interpreter (``-S``: no site, nothing imported), a child's
``ru_maxrss`` is its own, down to a floor of about a bare interpreter's.
"""

import os
import sys
import time


def main() -> int:
    result, *argv = sys.argv[1:]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(result, "w", encoding="ascii") as out:
        out.write(f"{wall} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime} {code}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
