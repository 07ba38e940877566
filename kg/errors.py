"""The project's exception hierarchy.

Every error a user can cause derives from :class:`KGError`; the CLI turns
these into one line on stderr and exit status 1. Messages say what was wrong
and, where it helps, what to do about it.
"""
from __future__ import annotations

import os
from pathlib import Path


def shown(path: str | bytes | os.PathLike) -> str:
    """``path`` as it can stand in a one-line message.

    Printable characters stay as they are; a line break, a control character
    or another unprintable one is escaped as Python writes it in a string
    literal (``"a\\nb.txt"``), and a byte the file system name could not
    decode (kept by Python as a lone surrogate) shows as ``\\xNN``. A file
    name can then never split a report line in two, or forge one.
    """
    text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else str(path)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif 0xDC80 <= ord(ch) <= 0xDCFF:          # os.fsdecode's escape of an undecodable byte
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(repr(ch)[1:-1])
    return "".join(out)


class KGError(Exception):
    """Base class of every error the tool reports to its user."""


class DocumentError(KGError):
    """A source document cannot be read (missing, empty, binary, bad encoding)."""

    def __init__(self, path: str | Path, problem: str):
        self.path = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else str(path)
        self.problem = problem
        super().__init__(f"{shown(self.path)}: {shown(problem)}")


class DataFileError(KGError):
    """A pattern, lexicon or rule file is malformed.

    Names the file, the line and, for a bad key or value, the allowed values,
    so a typo fails loudly instead of silently matching nothing.
    """

    def __init__(self, path: str | Path, line: int | None, problem: str,
                 allowed: list[str] | tuple[str, ...] | set[str] | None = None):
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.allowed = sorted(allowed) if allowed else None
        where = f"{shown(self.path)}:{line}" if line else shown(self.path)
        msg = f"{where}: {problem}"
        if self.allowed:
            msg += f" (allowed: {', '.join(self.allowed)})"
        super().__init__(msg)


class ModelNotFoundError(KGError):
    """The statistical English model is not installed."""


class StoreError(KGError):
    """The store cannot be opened, read or written."""


class QueryError(KGError):
    """A SPARQL query is malformed or cannot be run."""


class ExportError(KGError):
    """An export cannot be produced."""


class ServerError(KGError):
    """The SPARQL server cannot start (address in use, a worker that does not start)."""
