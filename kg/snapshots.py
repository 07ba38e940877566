"""Consistent reading while ``kg ingest`` writes: published snapshots of the embedded store.

pyoxigraph calls opening a store read-only while another process writes it
undefined behaviour, and it is: RocksDB compacts and deletes data files under
the reader, which then fails with ``Corruption: IO error: No such file``. So
readers (``kg query``, ``kg export``, the workers of ``kg serve``) never open
the store folder itself. The process writing the store publishes snapshots
of it instead, with pyoxigraph's ``Store.backup`` (a RocksDB checkpoint: hard
links to the immutable data files, a few tens of milliseconds), into
``STORE/snapshots/``:

* when it opens the store and no snapshot exists yet,
* after a batch of documents is written, at most every :data:`PUBLISH_EVERY`
  seconds,
* and when it closes the store (also after Ctrl-C or SIGTERM).

``STORE/snapshots/CURRENT`` names the newest snapshot; ``STORE/snapshots/CLEAN``
exists while that snapshot holds everything the store holds (the writer
removes it before its first write and writes it back after its last
publication). A reader opens the newest snapshot read-only and holds a shared
``flock`` on it for as long as it reads; the writer removes older snapshots
only when it can take their lock exclusively, so a snapshot is never removed
under a reader.

When the store is not clean and no writer holds it (a writer was killed
before its last publication, or the store was written before snapshots
existed), a reader opens the store for a moment as a writer would and
publishes a fresh snapshot itself. While a writer is running, readers see the
newest published snapshot: consistent, and at most :data:`PUBLISH_EVERY`
seconds behind. A store folder the reader may not write (a shared,
read-only copy) is read directly.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:                  # pragma: no cover - not POSIX: snapshots are still published, not locked
    fcntl = None

log = logging.getLogger(__name__)

FOLDER = "snapshots"
CURRENT = "CURRENT"
CLEAN = "CLEAN"
LOCK = "kg-readers.lock"
PUBLISH_EVERY = 5.0         # seconds between publications while a writer writes
WAIT = 10.0                 # seconds a reader waits for a writer's first publication


def folder(store: str | os.PathLike) -> Path:
    return Path(store) / FOLDER


def current(store: str | os.PathLike) -> str | None:
    """The name of the newest published snapshot, or ``None``."""
    try:
        name = (folder(store) / CURRENT).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name or None


def is_clean(store: str | os.PathLike) -> bool:
    """Whether the newest snapshot holds everything the store holds."""
    return (folder(store) / CLEAN).exists() and current(store) is not None


# ---------------------------------------------------------------------------
# The writer's side
# ---------------------------------------------------------------------------

def mark_dirty(store: str | os.PathLike) -> None:
    """Before the first write: the published snapshot is no longer the whole store."""
    try:
        (folder(store) / CLEAN).unlink()
    except FileNotFoundError:
        pass


def publish(ox_store, store: str | os.PathLike, clean: bool = False) -> str:
    """Publish a snapshot of ``ox_store`` (open for writing, folder ``store``); returns its name.

    Only the process holding the store's lock calls this. ``clean``: the
    writer is done, the snapshot holds the whole store.
    """
    base = folder(store)
    base.mkdir(exist_ok=True)
    name = f"{time.time_ns():020d}"
    tmp = base / f".tmp-{name}"
    ox_store.backup(str(tmp))
    (tmp / LOCK).touch()
    tmp.rename(base / name)
    _write(base / CURRENT, name + "\n")
    if clean:
        _write(base / CLEAN, name + "\n")
    _collect(base, keep=name)
    return name


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="ascii")
    os.replace(tmp, path)


def _collect(base: Path, keep: str) -> None:
    """Remove the snapshots no reader holds, except ``keep``; and leftovers of interrupted publications."""
    for entry in sorted(base.iterdir()):
        if not entry.is_dir() or entry.name == keep:
            continue
        if entry.name.startswith((".tmp-", ".trash-")):
            shutil.rmtree(entry, ignore_errors=True)
            continue
        try:
            fd = os.open(entry / LOCK, os.O_RDONLY)
        except OSError:
            shutil.rmtree(entry, ignore_errors=True)     # no lock file: not a complete snapshot
            continue
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue                             # a reader holds it: next time
            trash = base / f".trash-{entry.name}"
            entry.rename(trash)
        finally:
            os.close(fd)
        shutil.rmtree(trash, ignore_errors=True)


# ---------------------------------------------------------------------------
# The readers' side
# ---------------------------------------------------------------------------

@dataclass
class Opened:
    """A snapshot open for reading: the pyoxigraph store and the lock that keeps it in place."""

    store: object
    name: str | None            # None: the store folder itself, read directly
    _fd: int | None = None

    def close(self) -> None:
        self.store = None
        if self._fd is not None:
            os.close(self._fd)          # releases the shared lock
            self._fd = None


def open_latest(store: str | os.PathLike, wait: float = WAIT) -> Opened:
    """The newest consistent snapshot of the store folder ``store``, opened read-only.

    Publishes a fresh one first when the store is not clean and no writer
    holds it. Raises ``OSError`` when nothing can be opened.
    """
    import pyoxigraph as ox

    deadline = time.monotonic() + wait
    refreshed = False
    while True:
        name = current(store)
        if not refreshed and not is_clean(store):
            state = _refresh(store)
            if state == "published":
                refreshed = True
                continue
            if state == "unwritable" and name is None:
                log.debug("%s: cannot publish a snapshot here; reading the folder directly", store)
                return Opened(ox.Store.read_only(str(store)), None)
        if name is None:
            if time.monotonic() > deadline:
                raise OSError(f"no snapshot of {store} was published within {wait:g} s")
            time.sleep(0.1)
            continue
        opened = _open_snapshot(folder(store) / name, name)
        if opened is not None:
            return opened
        refreshed = False               # removed before we could lock it: a newer one is published


def _open_snapshot(path: Path, name: str) -> Opened | None:
    import pyoxigraph as ox

    try:
        fd = os.open(path / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)
        try:            # the writer may have moved it away between our open and our lock
            if os.stat(path / LOCK).st_ino != os.fstat(fd).st_ino:
                raise FileNotFoundError
        except FileNotFoundError:
            os.close(fd)
            return None
        return Opened(ox.Store.read_only(str(path)), name, fd)
    except BaseException:
        os.close(fd)
        raise


def is_lock_error(e: Exception) -> bool:
    """Whether pyoxigraph refused to open a store because another process holds its lock."""
    text = str(e).lower()
    return "lock" in text and ("temporarily unavailable" in text or "lock file" in text or "locked" in text)


def _refresh(store: str | os.PathLike) -> str:
    """Publish a snapshot if no writer holds the store: ``published``, ``busy`` or ``unwritable``."""
    import pyoxigraph as ox

    if not os.access(store, os.W_OK):
        return "unwritable"
    try:
        s = ox.Store(str(store))
    except OSError as e:
        if is_lock_error(e):
            return "busy"
        text = str(e).lower()
        if "permission" in text or "read-only" in text:
            return "unwritable"
        raise
    try:
        publish(s, store, clean=True)
    except PermissionError:
        return "unwritable"
    finally:
        del s
    log.debug("%s: published a snapshot for readers", store)
    return "published"
