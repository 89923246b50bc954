"""Standard output carries a command's result and nothing else, whatever the plugins it imports print.

A plugin may print while it is imported (a banner, a warning written with ``print``, a C library
writing to file descriptor 1). Under ``--json`` that would make the output unparseable, and in
text it would be mixed into a report that scripts read. So while a command imports plugins,
both ``sys.stdout`` and file descriptor 1 point at standard error, and the command writes its
result to the real standard output it is handed.

This is done by the command line, not by `Registry` loading: the redirection is process-wide
(``sys.stdout`` and a file descriptor are shared by every thread), which a command owns for
its duration but a library must not impose on the program that uses it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


@contextmanager
def stdout_for_results() -> Iterator[TextIO]:
    """While the block runs, anything written to standard output goes to standard error; the
    stream it yields writes to the real standard output."""
    real = sys.stdout
    real.flush()
    try:
        fd, err_fd = real.fileno(), sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (output captured in-process)
        sys.stdout = sys.stderr
        try:
            yield real
        finally:
            sys.stdout = real
        return
    saved = os.dup(fd)
    result = open(saved, "w", encoding=real.encoding, errors=real.errors, closefd=False)
    os.dup2(err_fd, fd)
    sys.stdout = sys.stderr
    try:
        yield result
        result.flush()
    finally:
        sys.stdout = real
        sys.stderr.flush()
        os.dup2(saved, fd)
        try:
            result.close()
        except OSError:  # a closed pipe (`torchplug check --json | head`)
            pass
        os.close(saved)
