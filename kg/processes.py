"""Worker processes that never outlive the process that started them.

``kg ingest --jobs N`` and ``kg serve`` run their work in child processes. If
the parent dies, even by SIGKILL (which it cannot catch), its workers must go
too: a worker left behind holds hundreds of MB and, for ``kg serve``, a
snapshot of the store. :func:`die_with_parent` asks the Linux kernel to kill
the calling process when its parent ends (``PR_SET_PDEATHSIG``) and, where
that is not available, watches the parent from a thread. Within
:func:`sigterm_interrupts`, SIGTERM stops a run the way Ctrl-C does.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

WATCH_EVERY = 1.0       # seconds between looks at the parent where the kernel cannot be asked


def max_processes() -> int:
    """More worker processes than 4 per CPU only compete for the CPUs and memory."""
    return 4 * (os.cpu_count() or 1)


def die_with_parent(parent: int | None = None) -> None:
    """End this process when its parent process ends.

    ``parent`` is the pid the caller expects as its parent: if that one has
    already gone (it died before this call), the process ends at once.
    On Linux the kernel sends SIGKILL when the parent thread that started this
    process ends; :mod:`concurrent.futures` and :class:`kg.server.WorkerPool`
    start their workers from threads that live as long as the pool.
    """
    if sys.platform.startswith("linux") and _prctl_death_signal():
        if parent is not None and os.getppid() != parent:
            os._exit(1)
        return
    expected = parent if parent is not None else os.getppid()

    def watch():
        while os.getppid() == expected:
            time.sleep(WATCH_EVERY)
        os._exit(1)

    if os.getppid() != expected:
        os._exit(1)
    threading.Thread(target=watch, name="kg-watch-parent", daemon=True).start()


def _prctl_death_signal() -> bool:
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) == 0     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


@contextlib.contextmanager
def sigterm_interrupts():
    """Within the block, SIGTERM raises ``KeyboardInterrupt(SIGTERM)`` in the main thread, as Ctrl-C does,
    so a run stops cleanly (``kg ingest`` writes what it extracted, ``kg serve`` closes its workers).
    Elsewhere than in the main thread, where no signal handler can be set, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
