"""What the tests look at from outside a run: child processes (Linux ``/proc``) and a store's quads."""
from __future__ import annotations

import os

import pyoxigraph as ox


def children(pid: int) -> list[int]:
    """The pids of the processes whose parent is ``pid``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def descendants(pid: int) -> list[int]:
    """The pids of ``pid``'s children, their children, and so on."""
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def store_quads(path) -> set[str]:
    """Every quad of the store folder ``path``, as text."""
    s = ox.Store.read_only(str(path))
    try:
        return {str(q) for q in s}
    finally:
        del s
