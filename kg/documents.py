"""Load a source file into clean text that remembers where every character came from.

Press releases arrive as SEC EDGAR exhibits (SGML-marked plain text with
``<PAGE>``/``<TABLE>`` markup and 80-column hard wraps, or HTML), full EDGAR
submissions holding several ``<DOCUMENT>``s, newswire HTML, newswire markdown
and plain text. :func:`load_documents` turns one file into one or more
:class:`Document` objects whose ``text`` is paragraph text for the NLP
pipeline (markup, page furniture and hard wraps gone) and whose ``offsets``
map every character of that text back to the original file.

"Original file's text" means ``open(path, encoding="utf-8", newline="").read()``:
character (not byte) offsets, line endings as stored.

Only regular files are read (a named pipe, a device or a socket is reported,
never opened), and none larger than ``max_bytes`` (:data:`DEFAULT_MAX_BYTES`,
10 MB: a press release is well under 1 MB). The environment variable
``KG_MAX_BYTES`` sets another default: a number of bytes, with an optional
``k``/``M``/``G`` suffix (``KG_MAX_BYTES=50M``), or ``none`` for no limit.
Control characters (C0 but tab and line breaks, DEL, C1) and the code points
XML cannot carry never reach the clean text, so no entity label or evidence
sentence holds one: one that separates words (form feed, the information
separators) becomes a space standing for it, the others are left out
(``"GTI\\x01-2040"`` reads ``"GTI-2040"``); ``original`` keeps them, and
the offsets of the clean text still point into it.

Each document's ``meta`` holds its release date (``date``, ISO) and where it was read (``date_source``,
one of :data:`kg.schema.DATE_SOURCES`): the EDGAR header, a web page's publication ``<meta>`` tag, the
dateline, a date in the text, or, read from a file that carries none of these, the file's modification day.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import html
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import DocumentError, shown
from .nlp.resources import phrase_regex
from .schema import DATE_SOURCES, FILE_DATE_SOURCE

log = logging.getLogger(__name__)

PARA = "\n\n"
# characters that never reach the clean text: C0 controls but tab and line breaks, DEL, C1 controls, lone
# surrogates and the two non-characters XML cannot carry (U+FFFE, U+FFFF); vertical tab and form feed are
# whitespace but not XML characters either
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _replacement(ch: str) -> str:
    """What stands for a control character in the clean text: a space for one that separates words
    (form feed, vertical tab, the information separators, NEL), nothing for the others (NUL, a backspace,
    an escape inside "GTI\\x1b-2040" leave the word whole)."""
    return " " if ch.isspace() else ""


def without_controls(text: str) -> str:
    """``text`` without :data:`CONTROL_CHARS`: the ones that separate words become spaces, the others go."""
    return CONTROL_CHARS.sub(lambda m: _replacement(m.group(0)), text)


# ---------------------------------------------------------------------------
# Offsets
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OffsetMap:
    """Maps character offsets of clean text to offsets of the original text.

    The clean text is a sequence of segments; a segment is either copied
    verbatim from ``original[orig_start:orig_start + length]`` or synthetic
    (a space standing for a line break, a paragraph break standing for markup)
    and then maps onto the original range it replaced.
    """

    clean_starts: tuple[int, ...]
    orig_starts: tuple[int, ...]
    orig_ends: tuple[int, ...]
    verbatim: tuple[bool, ...]

    def _segment(self, i: int) -> int:
        return max(0, bisect.bisect_right(self.clean_starts, i) - 1)

    def char(self, i: int) -> int:
        """Original offset of clean character ``i``."""
        if not self.clean_starts:
            return i
        k = self._segment(i)
        if self.verbatim[k]:
            return min(self.orig_starts[k] + (i - self.clean_starts[k]), self.orig_ends[k])
        return self.orig_starts[k]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the clean span ``[start, end)``."""
        if end <= start:
            o = self.char(start)
            return o, o
        last = end - 1
        k = self._segment(last)
        if self.verbatim[k]:
            o_end = self.orig_starts[k] + (last - self.clean_starts[k]) + 1
        else:
            o_end = self.orig_ends[k]
        return self.char(start), o_end


class TextBuilder:
    """Accumulates clean text and its :class:`OffsetMap` segment by segment."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._clean: list[int] = []
        self._ostart: list[int] = []
        self._oend: list[int] = []
        self._verb: list[bool] = []
        self.length = 0

    def keep(self, text: str, orig_start: int) -> None:
        """Append text copied verbatim from the original at ``orig_start``."""
        if not text:
            return
        self._add(text, orig_start, orig_start + len(text), True)

    def put(self, text: str, orig_start: int, orig_end: int) -> None:
        """Append synthetic text standing for ``original[orig_start:orig_end]``."""
        if not text:
            return
        self._add(text, orig_start, max(orig_start, orig_end), False)

    def _add(self, text: str, s: int, e: int, verbatim: bool) -> None:
        if CONTROL_CHARS.search(text):
            if not verbatim:
                text = without_controls(text)
                if not text:
                    return
            else:
                # a control character goes, or becomes a space standing for it; the text around it stays verbatim
                last = 0
                for m in CONTROL_CHARS.finditer(text):
                    if m.start() > last:
                        self._add(text[last:m.start()], s + last, s + m.start(), True)
                    if _replacement(m.group(0)):
                        self._add(" ", s + m.start(), s + m.end(), False)
                    last = m.end()
                if last < len(text):
                    self._add(text[last:], s + last, e, True)
                return
        self._parts.append(text)
        self._clean.append(self.length)
        self._ostart.append(s)
        self._oend.append(e)
        self._verb.append(verbatim)
        self.length += len(text)

    def tail(self, n: int = 2) -> str:
        out = ""
        for p in reversed(self._parts):
            out = p + out
            if len(out) >= n:
                break
        return out[-n:]

    def paragraph_break(self, orig_at: int, orig_end: int | None = None) -> None:
        """End the current paragraph (no-op at the start or after a break)."""
        if self.length and not self.tail(2).endswith(PARA):
            self.put(PARA, orig_at, orig_end if orig_end is not None else orig_at)

    def build(self) -> tuple[str, OffsetMap]:
        text = "".join(self._parts)
        # trailing paragraph breaks carry no text
        while text.endswith("\n") and self._parts:
            last = self._parts[-1]
            cut = len(last) - len(last.rstrip("\n"))
            if cut == len(last):
                self._parts.pop(); self._clean.pop(); self._ostart.pop(); self._oend.pop(); self._verb.pop()
            else:
                self._parts[-1] = last[: len(last) - cut]
            text = "".join(self._parts)
        return text, OffsetMap(tuple(self._clean), tuple(self._ostart), tuple(self._oend), tuple(self._verb))


@functools.lru_cache(maxsize=1)
def _run_on_regex() -> re.Pattern:
    """Where a heading or sentence was glued to the next one ("Clinical Trial For OT-101Phase 2 studies",
    "...patientsThe company"): the sentence starters of ``run_on_words.tsv`` right after a lower-case word
    (or, for the kind ``any``, a digit or a bracket), followed by a space."""
    from .nlp.resources import check_choice, data_path, load_tsv

    path = data_path("lexicons", "run_on_words.tsv")
    rows = load_tsv(path, ["word", "after"])
    for r in rows:
        check_choice(path, r, "after", {"word", "any"})
    cap = lambda r: re.escape(r["word"][:1].upper() + r["word"][1:])     # noqa: E731
    words = "|".join(cap(r) for r in rows)
    anywhere = "|".join(cap(r) for r in rows if r["after"] == "any")
    return re.compile(rf"(?:(?<=[a-z]{{2}})(?:{words})|(?<=[0-9)\]])(?:{anywhere}))(?=\s|$)")


def keep_text(b: "TextBuilder", text: str, orig_start: int) -> None:
    """``b.keep(text, orig_start)``, with a paragraph break where the text runs one sentence into the next."""
    last = 0
    for m in _run_on_regex().finditer(text):
        b.keep(text[last:m.start()], orig_start + last)
        b.put(PARA, orig_start + m.start(), orig_start + m.start())
        last = m.start()
    b.keep(text[last:], orig_start + last)


# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------

@dataclass
class Document:
    """One press release: clean text, where it came from, and what it says about itself."""

    id: str                      # content hash of the original text (hex)
    text: str                    # clean paragraph text for the NLP pipeline
    source: str                  # path (plus ``#EX-99.1`` for an exhibit of a submission)
    original: str                # the original text the offsets point into
    offsets: OffsetMap
    format: str                  # edgar | html | markdown | text
    meta: dict = field(default_factory=dict)   # title, date, date_source, companies, tickers

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.offsets.span(start, end)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.original.encode("utf-8")).hexdigest()


def content_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------

TEXT_SUFFIXES = {".txt", ".htm", ".html", ".xhtml", ".md", ".markdown", ".nc", ".sgml", ""}
MAX_BYTES_BUILTIN = 10_000_000      # 10 MB: the largest press releases seen are well under 1 MB
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*", re.I | re.ASCII)    # "٣" is no digit here


def parse_max_bytes(value: str) -> int | None:
    """A size limit as written on a command line or in ``KG_MAX_BYTES``: bytes, or with a ``k``, ``M`` or
    ``G`` suffix (``"50M"``); ``"none"`` (or ``"0"``) for no limit. Raises ``ValueError`` on anything else."""
    if value.strip().lower() in ("none", "0", "unlimited"):
        return None
    m = _SIZE.fullmatch(value)
    if m is None:
        raise ValueError(f"not a size: {value!r} (write bytes, or a number with k, M or G, or none)")
    n = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2).lower()]
    if not n < MAX_LIMIT:
        raise LimitTooLarge(f"not a size: {value!r} is more than any file holds (write none for no limit)")
    return max(1, int(n))


MAX_LIMIT = 2 ** 62         # bytes: a larger limit is no limit a file system knows (and overflows a read)


class LimitTooLarge(ValueError):
    """A size limit larger than :data:`MAX_LIMIT` (:func:`parse_max_bytes`)."""


def _default_max_bytes() -> tuple[int | None, bool]:
    """(the default size limit, whether ``KG_MAX_BYTES`` set it)."""
    value = os.environ.get("KG_MAX_BYTES")
    if not value:
        return MAX_BYTES_BUILTIN, False
    try:
        return parse_max_bytes(value), True
    except ValueError as e:
        log.warning("KG_MAX_BYTES: %s; using %s", e, _size(MAX_BYTES_BUILTIN))
        return MAX_BYTES_BUILTIN, False


def _size(n: int) -> str:
    """A byte count for a message: "52.4 MB", "10 MB", "800 bytes"."""
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= factor:
            return f"{n / factor:.1f}".removesuffix(".0") + " " + unit
    return f"{n} bytes"


DEFAULT_MAX_BYTES, _LIMIT_FROM_ENVIRONMENT = _default_max_bytes()     # ``KG_MAX_BYTES``, else 10 MB

_SPECIAL_FILES = ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                  (stat.S_ISBLK, "block device"))


def _not_regular(mode: int) -> str:
    """Why a file of this mode is not read: "is a folder, not a file", "not a regular file (named pipe)"."""
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    kind = next((name for test, name in _SPECIAL_FILES if test(mode)), "special file")
    return f"not a regular file ({kind})"


def _stat_problem(path: str | Path, e: OSError) -> str:
    """What a failed ``os.stat`` of ``path`` says about it."""
    if isinstance(e, (FileNotFoundError, NotADirectoryError)):
        try:
            if os.path.islink(path):
                return f"broken symbolic link (to {shown(os.readlink(path))}, which does not exist)"
        except OSError:
            pass
        return "no such file"
    if isinstance(e, PermissionError):
        return "permission denied"
    return f"cannot be read ({e.strerror or e})"


def _too_large(size: int | None, max_bytes: int, option: str | None) -> str:
    amount, limit = (_size(size) if size is not None else f"more than {_size(max_bytes)}"), _size(max_bytes)
    if amount == limit:                       # rounded alike ("2 kB, over the limit of 2 kB"): in bytes
        amount, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
    if option and max_bytes == DEFAULT_MAX_BYTES and _LIMIT_FROM_ENVIRONMENT:
        option = f"KG_MAX_BYTES; {option} overrides it"       # the limit the user set is the one named
    return f"too large: {amount}, over the limit of {limit}" + (f" ({option})" if option else "")


def read_bytes(path: str | Path, max_bytes: int | None = DEFAULT_MAX_BYTES, *,
               limit_option: str | None = "--max-bytes") -> bytes:
    """The bytes of a regular file no larger than ``max_bytes`` (``None``: no limit).

    Anything else raises :class:`DocumentError`, most before the file is
    opened: a missing file, a broken link, a folder, a named pipe (opening one
    would wait for a writer), a device, a socket, a file over the limit, a
    file the user may not read, a name with a NUL. The file is read no further
    than the limit, whatever its size said. ``limit_option`` is the option a
    "too large" message names as the one that sets the limit (``None``: none).
    """
    p = Path(path)
    try:
        st = os.stat(p)                  # follows symbolic links: the file read is the one checked
    except OSError as e:
        raise DocumentError(p, _stat_problem(p, e)) from None
    except ValueError:                   # a NUL in the name
        raise DocumentError(p, "not a valid file name (it holds a NUL character)") from None
    if not stat.S_ISREG(st.st_mode):
        raise DocumentError(p, _not_regular(st.st_mode))
    if max_bytes is not None and st.st_size > max_bytes:
        raise DocumentError(p, _too_large(st.st_size, max_bytes, limit_option))
    try:
        # O_NONBLOCK: should the path have become a named pipe since the check, opening it does not wait
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise DocumentError(p, _stat_problem(p, e)) from None
    with os.fdopen(fd, "rb") as f:
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise DocumentError(p, _not_regular(mode))
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
        except OSError as e:
            raise DocumentError(p, f"cannot be read ({e.strerror or e})") from None
    if data is None:                     # a file of the kernel's (/proc/kmsg) that has nothing to give yet
        raise DocumentError(p, "cannot be read now (reading it would wait)")
    if max_bytes is not None and len(data) > max_bytes:
        raise DocumentError(p, _too_large(None, max_bytes, limit_option))      # it grew since it was looked at
    return data


def read_text(path: str | Path, max_bytes: int | None = DEFAULT_MAX_BYTES) -> str:
    """Read a file as UTF-8 text, or raise :class:`DocumentError` saying why not (:func:`read_bytes`)."""
    p = Path(path)
    data = read_bytes(p, max_bytes)
    if not data.strip():
        raise DocumentError(p, "empty file")
    # a binary file shows itself in its first block: control characters (NUL bytes among them) in more than
    # 2% of it; a stray one in a text is read (and left out of the clean text, like every control character)
    head = data[:8192]
    if b"\x00" in head and sum(1 for c in head if c < 32 and c not in b"\t\n\r\f\v") > 0.02 * len(head):
        raise DocumentError(p, "binary file, not text (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DocumentError(
            p, f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); convert it to UTF-8") from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if controls > 0.02 * min(len(text), 8192):
        raise DocumentError(p, "binary file, not text (control characters)")
    return text


def iter_paths(paths: Iterable[str | Path],
               on_error: Callable[[DocumentError], None] | None = None) -> Iterator[Path]:
    """Expand files and folders (recursively, sorted) into the files to read.

    Hidden files and folders are skipped inside folders; a link to a file is
    read, a link to a folder is not followed (it may lead into another tree,
    or round in a loop) and is reported. A path named explicitly is always
    yielded, so its problem gets reported when it is read. What a folder
    holds that cannot be read (a subfolder that cannot be listed, a broken
    link, a link to a folder, a named pipe, a device) goes to ``on_error`` as
    a :class:`DocumentError`; without ``on_error`` it is yielded like a file,
    and reading it reports the problem.
    """
    for raw in paths:
        p = Path(raw)
        try:
            is_dir = stat.S_ISDIR(os.stat(p).st_mode)
        except OSError:
            is_dir = False              # missing, unreachable: reading it says which
        if is_dir:
            yield from _walk(p, on_error)
        else:
            yield p


def _walk(folder: Path, on_error: Callable[[DocumentError], None] | None) -> Iterator[Path]:
    """The files under ``folder``, depth first, each folder's entries sorted by name (the order of
    ``sorted(folder.rglob("*"))``); a stack, not recursion, however deep the folders go."""
    stack: list[tuple[Path, Iterator[os.DirEntry]]] = []
    problem = _list(folder, stack)
    if problem:
        yield from _problem(folder, problem, on_error)
    while stack:
        parent, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = parent / entry.name
        try:
            if entry.is_dir(follow_symlinks=False):
                problem = _list(path, stack)
                if problem:
                    yield from _problem(path, problem, on_error)
                continue
            if entry.is_file(follow_symlinks=False):
                yield path
                continue
            mode = os.stat(path).st_mode           # a link (followed here), a pipe, a device, a socket
        except OSError as e:
            yield from _problem(path, _stat_problem(path, e), on_error)
            continue
        if stat.S_ISREG(mode):
            yield path
        elif stat.S_ISDIR(mode):        # not followed: it may lead out of the tree, or round in a loop
            yield from _problem(path, "link to a folder, not followed (name the folder to read it)", on_error)
        else:
            yield from _problem(path, _not_regular(mode), on_error)


def _list(folder: Path, stack: list) -> str | None:
    """Push ``folder``'s entries, sorted by name, onto ``stack``; or say why it cannot be listed."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        reason = "permission denied" if isinstance(e, PermissionError) else e.strerror or str(e)
        return f"folder cannot be listed ({reason})"
    stack.append((folder, iter(entries)))
    return None


def _problem(path: Path, problem: str, on_error: Callable[[DocumentError], None] | None) -> Iterator[Path]:
    if on_error is None:
        yield path
    else:
        on_error(DocumentError(path, problem))


def source_name(path: str | Path) -> str:
    """The name a document's source is known by: its path, written so that it is Unicode text an RDF
    literal holds, never drops out of an export, and names one file only. A byte the file system name
    could not decode as UTF-8 is written ``\\xNN`` (80-ff), a control character ``\\xNN`` (C0, DEL) or
    ``\\uNNNN`` (C1, the line and paragraph separators), and a backslash ``\\\\``; :func:`source_path`
    inverts it."""
    return _SOURCE_ESCAPES.sub(_source_escape, str(path))


_SOURCE_ESCAPES = re.compile("[\\\\\udc80-\udcff\x00-\x1f\x7f\x80-\x9f\u2028\u2029]")


def _source_escape(m: re.Match) -> str:
    c = ord(m.group())
    if c == 0x5C:
        return "\\\\"
    if c >= 0xDC00:                             # an undecodable byte of the name
        return f"\\x{c - 0xDC00:02x}"
    return f"\\x{c:02x}" if c < 0x80 else f"\\u{c:04x}"


def source_path(source: str) -> str:
    """The file a source names: :func:`source_name` inverted."""

    def char(m: re.Match) -> str:
        if m.group(1):
            n = int(m.group(1), 16)
            return chr(0xDC00 + n) if n >= 0x80 else chr(n)
        if m.group(2):
            return chr(int(m.group(2), 16))
        return "\\"

    return re.sub(r"\\x([0-9a-f]{2})|\\u(00[89][0-9a-f]|202[89])|\\\\", char, source)


def load_documents(path: str | Path, max_bytes: int | None = DEFAULT_MAX_BYTES) -> list[Document]:
    """Read one file and return its documents (several for an EDGAR submission).

    ``max_bytes``: a larger file raises :class:`DocumentError` unread (``None``: no limit). A document
    whose text carries no release date (:func:`release_date`) is dated by the file's modification time.
    """
    text = read_text(path, max_bytes)
    docs = list(parse_documents(text, source_name(path)))
    if not docs:
        raise DocumentError(path, "no text left after removing markup")
    undated = [d for d in docs if not d.meta.get("date")]
    day = file_date(path) if undated else None
    for d in undated:
        if day:
            d.meta["date"], d.meta["date_source"] = day, FILE_DATE_SOURCE
    return docs


def file_date(path: str | Path) -> str | None:
    """The day (UTC) ``path`` was last modified: the release date of last resort, for a release that
    carries none (``cp:dateSource "file-modified"``)."""
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc).date().isoformat()
    except (OSError, OverflowError, ValueError):
        return None


def parse_documents(original: str, source: str) -> Iterator[Document]:
    """Split and clean ``original`` (the text of ``source``) into documents."""
    if re.search(r"<DOCUMENT>", original, re.I):
        found = False
        for m in re.finditer(r"<DOCUMENT>(.*?)(?:</DOCUMENT>|\Z)", original, re.S | re.I):
            body = m.group(1)
            typ = re.search(r"<TYPE>\s*([^\s<]+)", body, re.I)
            kind = typ.group(1).upper() if typ else ""
            if not kind.startswith("EX-99"):
                continue
            t = re.search(r"<TEXT>(.*?)(?:</TEXT>|\Z)", body, re.S | re.I)
            start = m.start(1) + (t.start(1) if t else 0)
            end = m.start(1) + (t.end(1) if t else len(body))
            doc = _make_document(original, source + "#" + kind, start, end)
            if doc is not None:
                found = True
                yield doc
        if found:
            return
        # a submission without EX-99 exhibits: read it whole
    doc = _make_document(original, source, 0, len(original))
    if doc is not None:
        yield doc


def detect_format(text: str, source: str = "") -> str:
    suffix = Path(source.split("#", 1)[0]).suffix.lower()
    if re.search(r"<(html|body|p|div|br|span|font)\b[^>]*>", text[:20000], re.I):
        return "html"
    if re.search(r"^\s*<(PAGE|TABLE|S|C|TYPE|SEQUENCE|FILENAME)>", text, re.M):
        return "edgar"
    if re.search(r"<(table|td|tr)\b[^>]*>", text[:20000], re.I):
        return "html"
    if suffix in (".md", ".markdown") or re.search(r"^#{1,6} \S", text, re.M) \
            or re.search(r"\]\((https?://|/)[^)]*\)", text):
        return "markdown"
    return "text"


def _make_document(original: str, source: str, start: int, end: int) -> Document | None:
    region = original[start:end]
    fmt = detect_format(region, source)
    b = TextBuilder()
    html_title, published = None, []
    if fmt == "html":
        html_title, published = clean_html(original, start, end, b)
    elif fmt == "markdown":
        clean_markdown(original, start, end, b)
    else:
        clean_plain(original, start, end, b)
    text, offsets = b.build()
    if not text.strip():
        return None
    doc = Document(id=content_id(region), text=text, source=source, original=original,
                   offsets=offsets, format=fmt)
    doc.meta = extract_metadata(doc, published)
    html_title = re.sub(r"\s+", " ", without_controls(html_title or "")).strip()
    if html_title:
        doc.meta["title"] = html_title
    return doc


# ---------------------------------------------------------------------------
# Plain text and EDGAR SGML
# ---------------------------------------------------------------------------

_SGML_LINE = re.compile(
    r"^\s*(?:</?(?:PAGE|TABLE|S|C|CAPTION|FN|DOCUMENT|TEXT|TYPE|SEQUENCE|FILENAME|DESCRIPTION|F\d+)\b[^>]*>\s*)+$", re.I)
_SGML_INLINE = re.compile(r"</?(?:PAGE|S|C|CAPTION|FN|F\d+)>", re.I)
# page furniture inside an unwrapped line: "... cytarabine. (more) 2 GTI-2040 targets ..." (the marker
# and the next page's number, after a sentence's end)
_INLINE_FURNITURE = re.compile(r"(?<=[.!?\"\u201d])\s+(?:\(more\)|-\s*more\s*-)(?:\s+\d{1,3})?(?=\s)", re.I)
_FURNITURE = re.compile(
    r"^\s*(?:\(more\)|-\s*more\s*-|-\s*30\s*-|#\s*#\s*#|\.|-?\s*\d{1,3}\s*-?|page \d+( of \d+)?|\[\s*\d+\s*\])\s*$", re.I)
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7\u25aa\u25cf]|\d{1,2}[.)])\s+\S")
_SENT_END = re.compile(r"[.!?:;\"\u201d']\s*$")


def _lines(original: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    """(offset, line) pairs of ``original[start:end]``, line endings removed."""
    pos = start
    for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", original[start:end]):
        raw = m.group(0)
        if not raw:
            break
        yield pos, raw.rstrip("\r\n")
        pos += len(raw)


def clean_plain(original: str, start: int, end: int, b: TextBuilder) -> None:
    """Plain text and EDGAR SGML: strip markup and page furniture, join hard wraps.

    A blank line ends a paragraph, except across a page break (``<PAGE>``, "(more)", a
    page number) that falls inside a sentence: the sentence continues on the next page.
    """
    in_table = False
    prev_indent: int | None = None
    prev_line = ""
    open_para = False
    pending_break = False      # blank line(s) seen since the last text line
    page_break = False         # page furniture seen since the last text line
    last_end = start
    for off, line in _lines(original, start, end):
        if re.match(r"^\s*<TABLE\b", line, re.I):
            in_table = True
        if re.match(r"^\s*</TABLE>", line, re.I):
            in_table = False
            b.paragraph_break(off)
            open_para = False
            continue
        if _SGML_LINE.match(line) or _FURNITURE.match(line):
            page_break = page_break or bool(re.match(r"^\s*(?:<PAGE>|\(more\)|-\s*more\s*-|-?\s*\d{1,3}\s*-?)\s*$",
                                                     line, re.I))
            continue
        if not line.strip():
            if open_para:
                pending_break = True
            prev_indent = None
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        continues_sentence = page_break and open_para and not _SENT_END.search(prev_line) \
            and not _BULLET.match(line)
        new_para = (
            not open_para
            or (pending_break and not continues_sentence)
            or in_table
            or len(prev_line.strip()) > 120   # unwrapped text: one line per paragraph
            or bool(_BULLET.match(line))
            or (prev_indent is not None and indent >= prev_indent + 2 and indent >= 2
                and _SENT_END.search(prev_line) is not None)
            or (_SENT_END.search(prev_line) is not None and len(prev_line.strip()) < 45
                and prev_line.strip().endswith((".", ":")) and line.strip()[:1].isupper()
                and len(prev_line.strip().split()) <= 6)
        )
        if new_para:
            b.paragraph_break(last_end, off)
        else:
            # join a hard wrap: keep a word-final hyphen, otherwise one space
            if not (prev_line.rstrip().endswith("-") and re.search(r"[A-Za-z]-$", prev_line.rstrip())
                    and line.lstrip()[:1].isalpha()):
                b.put(" ", last_end, off + indent)
        _emit_line(original, off, line, b, table=in_table)
        last_end = off + len(line.rstrip())
        open_para = True
        pending_break = page_break = False
        prev_indent = indent
        prev_line = line


def _emit_line(original: str, off: int, line: str, b: TextBuilder, table: bool = False) -> None:
    """Append one line's text (markup tags removed, table columns separated)."""
    stripped = line.strip()
    lead = len(line) - len(line.lstrip())
    pos = off + lead
    text = stripped
    # inline SGML tags and column gaps inside tables
    pattern = re.compile(r"</?(?:PAGE|S|C|CAPTION|FN|F\d+)>|\s{2,}" if table
                         else _SGML_INLINE.pattern + "|" + _INLINE_FURNITURE.pattern, re.I)
    last = 0
    for m in pattern.finditer(text):
        if m.start() > last:
            keep_text(b, text[last:m.start()], pos + last)
        if table and m.group(0).isspace() and m.start() > 0 and m.end() < len(text):
            b.put(" | ", pos + m.start(), pos + m.end())
        last = m.end()
    if last < len(text):
        keep_text(b, text[last:], pos + last)


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

_MD_INLINE = re.compile(
    r"!\[[^\]]*\]\([^)]*\)"                 # image: dropped
    r"|\[([^\]]*)\]\(([^)]*)\)"             # link: keep its text
    r"|\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])"  # emphasis markers
    r"|^#{1,6}\s+"                           # heading marker
    r"|^\s*[*+-]\s+(?=\S)"                   # list marker
)
_MD_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")


def clean_markdown(original: str, start: int, end: int, b: TextBuilder) -> None:
    """Markdown newswire text: drop images, keep link text, drop link-only lines."""
    open_para = False
    last_end = start
    for off, line in _lines(original, start, end):
        if not line.strip() or _MD_RULE.match(line):
            if open_para:
                b.paragraph_break(last_end, off)
            open_para = False
            continue
        if _is_link_list(line):
            if open_para:
                b.paragraph_break(last_end, off)
            open_para = False
            continue
        heading = bool(re.match(r"^\s*#{1,6}\s", line))
        bullet = bool(re.match(r"^\s*[*+-]\s+\S", line))
        if open_para and (heading or bullet):
            b.paragraph_break(last_end, off)
            open_para = False
        if open_para:
            b.put(" ", last_end, off)
        lead = len(line) - len(line.lstrip())
        seg = line.strip()
        pos = off + lead
        last = 0
        for m in _MD_INLINE.finditer(seg):
            if m.start() > last:
                keep_text(b, seg[last:m.start()], pos + last)
            if m.group(1) is not None:
                b.keep(m.group(1), pos + m.start(1))
            last = m.end()
        if last < len(seg):
            keep_text(b, seg[last:], pos + last)
        last_end = off + len(line.rstrip())
        open_para = True
        if heading:
            b.paragraph_break(last_end)
            open_para = False


def _is_link_list(line: str) -> bool:
    """A line made only of links (newswire pickup lists, source links, QR codes)."""
    rest = re.sub(r"!?\[[^\]]*\]\([^)]*\)", "", line)
    if rest == line:
        return False
    rest = re.sub(r"[\s\-|:\u2013\u2014]+|Pickup|Source|Original", "", rest, flags=re.I)
    return not rest


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "blockquote", "section", "article", "header", "footer", "hr", "dd", "dt", "dl", "title",
    "pre", "center", "form", "main", "nav", "aside", "figure", "figcaption", "address",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "object", "iframe"}
_CELL_TAGS = {"td", "th"}


class _HTMLText(HTMLParser):
    """Collects text runs with their absolute offsets (stdlib HTML parser)."""

    def __init__(self, original: str, start: int, end: int):
        super().__init__(convert_charrefs=False)
        self.original = original
        self.base = start
        self.end = end
        self.pieces: list[tuple[str, int, int, str]] = []   # (kind, ostart, oend, text)
        self.skip = 0
        self.in_title = False
        self.title = ""
        self.published: list[str] = []     # the content of the <meta> tags that give a publication date
        self.pre = 0
        src = original[start:end]
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", src)]

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.base + self._line_starts[line - 1] + col

    def _meta(self, attrs) -> None:
        """A ``<meta>`` tag naming a publication date (by name, property or itemprop): keep its content."""
        a = {k: (v or "") for k, v in attrs}
        names = {a.get(k, "").strip().lower() for k in ("name", "property", "itemprop")}
        if names & _HTML_DATE_NAMES and a.get("content"):
            self.published.append(a["content"])

    def handle_starttag(self, tag, attrs):
        if tag == "meta":
            self._meta(attrs)
        if tag in _SKIP_TAGS and tag != "head":
            self.skip += 1
        if tag == "title":
            self.in_title = True
        if tag == "pre":
            self.pre += 1
        if tag in _BLOCK_TAGS:
            self.pieces.append(("break", self._pos(), self._pos(), ""))
        elif tag in _CELL_TAGS:
            self.pieces.append(("cell", self._pos(), self._pos(), ""))

    def handle_startendtag(self, tag, attrs):
        if tag == "meta":
            self._meta(attrs)
        if tag in _BLOCK_TAGS:
            self.pieces.append(("break", self._pos(), self._pos(), ""))

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS and tag != "head" and self.skip:
            self.skip -= 1
        if tag == "title":
            self.in_title = False
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in _BLOCK_TAGS:
            self.pieces.append(("break", self._pos(), self._pos(), ""))

    def handle_data(self, data):
        pos = self._pos()
        if self.in_title:
            self.title += data
            return
        if self.skip:
            return
        self.pieces.append(("pre" if self.pre else "text", pos, pos + len(data), data))

    def _entity(self, text: str):
        pos = self._pos()
        m = re.match(r"&#?[\w]+;?", self.original[pos:pos + 40])
        raw_len = len(m.group(0)) if m else len(text)
        value = html.unescape(m.group(0) if m else text)
        if self.in_title:
            self.title += value
            return
        if self.skip:
            return
        self.pieces.append(("entity", pos, pos + raw_len, value))

    def handle_entityref(self, name):
        self._entity("&" + name + ";")

    def handle_charref(self, name):
        self._entity("&#" + name + ";")


def clean_html(original: str, start: int, end: int, b: TextBuilder) -> tuple[str | None, list[str]]:
    """HTML: text of the body, block elements as paragraphs, whitespace collapsed.

    Returns the document's ``<title>``, if it has one, and the content of the ``<meta>`` tags that give
    its publication date (:data:`_HTML_DATE_NAMES`), read in the same pass.
    """
    parser = _HTMLText(original, start, end)
    parser.feed(original[start:end])
    parser.close()
    pending_space: tuple[int, int] | None = None
    for kind, s, e, text in parser.pieces:
        if kind == "break":
            b.paragraph_break(s)
            pending_space = None
            continue
        if kind == "cell":
            if b.length and not b.tail(2).endswith(PARA):
                pending_space = (s, s)
            continue
        if kind == "pre":
            sub = TextBuilder()
            clean_plain(original, s, e, sub)
            # re-emit the sub-builder's segments into b
            t, om = sub.build()
            if t:
                b.paragraph_break(s)
                for i, cs in enumerate(om.clean_starts):
                    ce = om.clean_starts[i + 1] if i + 1 < len(om.clean_starts) else len(t)
                    piece = t[cs:ce]
                    if om.verbatim[i]:
                        b.keep(piece, om.orig_starts[i])
                    else:
                        b.put(piece, om.orig_starts[i], om.orig_ends[i])
                b.paragraph_break(e)
            continue
        if kind == "entity":
            value = text.replace("\xa0", " ")
            if value.isspace():
                if b.length and not b.tail(1).isspace():
                    pending_space = (s, e)
                continue
            if pending_space:
                b.put(" ", *pending_space)
                pending_space = None
            b.put(value, s, e)
            continue
        # text: collapse whitespace runs
        for m in re.finditer(r"\s+|[^\s]+", text):
            if m.group(0).isspace() or m.group(0) == "\xa0":
                if b.length and not b.tail(1).isspace():
                    pending_space = (s + m.start(), s + m.end())
                continue
            if pending_space:
                b.put(" ", *pending_space)
                pending_space = None
            keep_text(b, m.group(0), s + m.start())
    return re.sub(r"\s+", " ", parser.title).strip() or None, parser.published


# ---------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------

MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"])}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})

_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_DATE_MDY = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH}),?\s+((?:19|20)\d\d)\b", re.I)
_DATE_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_DATE_MY = re.compile(rf"\b({_MONTH})\s+((?:19|20)\d\d)\b", re.I)
_DATE_NUM = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)\b")

_EXCHANGES = (r"NASDAQ|Nasdaq|NYSE(?:\s+American|\s+MKT|\s+Arca)?|AMEX|TSX(?:-?V)?|TSE|ASX|HKEX|FSE|ETR|"
              r"OTCBB|OTC\s?BB|OTCQB|OTCQX|OTC|LSE|AIM|SIX|Euronext(?:\s+\w+)?|TASE|KOSDAQ|SSE|SZSE|NEO|CSE")
_TICKER = re.compile(rf"\b({_EXCHANGES})\s*:\s*([A-Z][A-Z0-9.\-]{{0,9}}|\d{{3,6}})\b")
_LEGAL = (r"Inc\.?|Incorporated|Ltd\.?|Limited|Corp\.?|Corporation|AG|SE|S\.A\.|SA|SAS|plc|PLC|GmbH|N\.V\.|"
          r"LLC|L\.P\.|Co\.|Pty\.? Ltd\.?|A/S|AB|ASA|Oyj|S\.p\.A\.|K\.K\.")
_NAME_WORD = r"(?:[A-Z][\w&.'\u2019-]*|[a-z]{1,3}[A-Z][\w-]*)"
_COMPANY = re.compile(
    rf"\b({_NAME_WORD}(?:[ \t]+(?:{_NAME_WORD}|of|and|&)){{0,4}}?,?[ \t]+(?:{_LEGAL}))(?=[\s,.;:)(\"\u201c\u201d]|$)")
_LISTED = re.compile(
    rf"\b({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}}(?:,?[ \t]+(?:{_LEGAL}))?),?[ \t]*\((?:{_EXCHANGES})\s*:\s*([A-Z]+)")
_ANNOUNCER = re.compile(
    rf"({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}})[ \t]+(?:today[ \t]+)?(?:announce[sd]?|report(?:s|ed)|present(?:s|ed)|"
    r"initiate[sd]?|complete[sd]?|receive[sd]?|begins|expands)\b")
_NOT_COMPANY = re.compile(r"contact|communications|media|relations|newswire|wire\b|^(?:the|a|an|for|and|about)\b", re.I)
_NAV = re.compile(r"^(?:view all|you are here|investors|press releases?|category:|to: |exhibit|for immediate|"
                  r"news release|contacts?\b|source:|home\b|menu\b|share\b)", re.I)
_DATELINE_DATE = re.compile(r"^\s*(?:[-\u2013\u2014(/]|$)")


def _trim_to_ticker(name: str, ticker: str) -> str:
    """ "Opioid-Induced Constipation Progenics Pharmaceuticals, Inc." (Nasdaq: PGNX) -> the words from
    the last one starting with the ticker's letter: "Progenics Pharmaceuticals, Inc."."""
    words = name.split()
    for i, w in enumerate(words):
        if w[:1].upper() == ticker[:1] and i < len(words):
            return " ".join(words[i:])
    return name


def _guess_title(paras: list[str]) -> str | None:
    """The headline: an all-capitals paragraph, else the first heading-like one."""
    usable = [p for p in paras[:14] if len(p.split()) >= 4 and not _NAV.match(p)
              and not re.search(r"contact|tel:|e-?mail|@|\bwho wrote\b", p[:300], re.I)]
    for p in usable:
        letters = [c for c in p if c.isalpha()]
        if letters and sum(c.isupper() for c in letters) / len(letters) > 0.8:
            return p
    for p in usable:
        if len(p) <= 300 and not p.rstrip().endswith((".", ":")) and not _DATE_MDY.match(p):
            return p
    if usable:
        first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", usable[0])[0]
        return first
    return None


def _date_candidates(text: str, full: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) of every date written with its year, in text order: full dates ("March 3,
    2004", "3 March 2004", "2004-03-03", "3/3/2004"), or with ``full=False`` months ("March 2004")."""
    found: list[tuple[int, int, str]] = []
    if not full:
        for m in _DATE_MY.finditer(text):
            mon = _month(m.group(1))
            if mon:
                found.append((m.start(), m.end(), f"{int(m.group(2)):04d}-{mon:02d}"))
        return found
    for rx, ymd in ((_DATE_MDY, (3, 1, 2)), (_DATE_DMY, (3, 2, 1)), (_DATE_ISO, (1, 2, 3)), (_DATE_NUM, (3, 1, 2))):
        for m in rx.finditer(text):
            y, mon, d = (m.group(i) for i in ymd)
            mon = int(mon) if mon.isdigit() else _month(mon)
            iso = _iso(int(y), mon, int(d)) if mon else ""
            if iso:
                found.append((m.start(), m.end(), iso))
    return sorted(found)


# what follows a dateline's date: a dash, bracket or slash before the story ("MARCH 4, 2024 - Northwind",
# "June 17, 2025 (BUSINESS WIRE)", "Dec. 15, 2003 /PRNewswire/"), else the end of its line or a time of day
# ("September 15, 2003" alone on a line, "June 8, 2004 at 12:00 AM EDT", "Apr 26, 2001, 01:00 ET")
_DATELINE_STORY = re.compile(r"[ \t]*[-\u2013\u2014(/]")
_DATELINE_STAMP = re.compile(r"[ \t]*(?:\n|$|,?[ \t]+(?:at[ \t]+)?\d{1,2}:\d\d\b)")


def _dateline_date(head: str) -> str | None:
    """The date of the release's dateline: the first full date in ``head`` that a dash, bracket or slash
    follows, else the first one that ends its line or is followed by a time of day."""
    cands = _date_candidates(head)
    for tail in (_DATELINE_STORY, _DATELINE_STAMP):
        for _, end, iso in cands:
            if tail.match(head, end):
                return iso
    return None


@functools.lru_cache(maxsize=1)
def _deadline_cue() -> re.Pattern:
    """A word that makes the date after it a deadline, not a day something happened ("before September 30,
    2026", "by December 2025"), from ``date_cues.tsv``, as a regex matching where a date starts."""
    return re.compile(phrase_regex("date_cues.tsv", "cue").pattern + r"[ \t]+$", re.I)


def _body_date(text: str) -> str | None:
    """A date the text gives with its year: the first full date that is no deadline, else the first month
    ("in October 2023") that is none."""
    cue = _deadline_cue()
    for full in (True, False):
        for start, _, iso in _date_candidates(text, full):
            if not cue.search(text, max(0, start - 24), start):
                return iso
    return None


_HEADER_CHARS = 5000       # how far into a file without <DOCUMENT> an EDGAR header is looked for
# an EDGAR submission's header ("FILED AS OF DATE: 20040112"), in the order its dates are trusted: the
# filing date, EDGAR's acceptance time, the period of report (an 8-K's or 6-K's event date), then the filing
# date on the <SEC-DOCUMENT> / <SEC-HEADER> line
_EDGAR_DATES = tuple(re.compile(rx, re.M | re.I) for rx in (
    r"^[ \t]*(?:FILED AS OF DATE:|<FILING-DATE>)[ \t]*(\d{8})\b",
    r"^[ \t]*<ACCEPTANCE-DATETIME>[ \t]*(\d{8})",
    r"^[ \t]*(?:CONFORMED PERIOD OF REPORT:|<PERIOD>)[ \t]*(\d{8})\b",
    r"^[ \t]*<SEC-(?:DOCUMENT|HEADER)>[^\n<]*?:[ \t]*(\d{8})\b",
))


def _edgar_header_date(original: str) -> str | None:
    """The date an EDGAR submission's header gives (the text before its first ``<DOCUMENT>``)."""
    m = re.search(r"<DOCUMENT>", original, re.I)
    header = original[:m.start()] if m else original[:_HEADER_CHARS]
    for rx in _EDGAR_DATES:
        for d in rx.finditer(header):
            iso = _iso(int(d.group(1)[:4]), int(d.group(1)[4:6]), int(d.group(1)[6:8]))
            if iso:
                return iso
    return None


# a web page's publication date: <meta property="article:published_time" content="2023-11-08T07:00:00Z">
_HTML_DATE_NAMES = {"article:published_time", "og:published_time", "datepublished", "date", "dc.date",
                    "dc.date.issued", "dcterms.issued", "dcterms.date", "citation_publication_date", "pubdate",
                    "publish-date", "publication_date", "parsely-pub-date", "sailthru.date"}


def _published_date(published: list[str]) -> str | None:
    """The first date among the contents of a web page's publication-date ``<meta>`` tags."""
    for content in published:
        iso = re.match(r"\s*(\d{4})-(\d\d)-(\d\d)(?![\d-])", content)       # "2023-11-08T07:00:00Z"
        found = _iso(*map(int, iso.groups())) if iso else next((c[2] for c in _date_candidates(content)), "")
        if found:
            return found
    return None


def release_date(doc: "Document", head: str, published: list[str] = ()) -> tuple[str, str] | None:
    """The release date and where it was read (a :data:`kg.schema.DATE_SOURCES` value), trusting the
    EDGAR header, then a web page's publication ``<meta>`` tags (``published``, their contents, read by
    :func:`clean_html`), the dateline (in ``head``), a date in the text; ``None`` when the release carries
    none (:func:`load_documents` then falls back on the file's time)."""
    readers = {"edgar-header": lambda: _edgar_header_date(doc.original),
               "html-meta": lambda: _published_date(published),
               "dateline": lambda: _dateline_date(head),
               "body": lambda: _body_date(doc.text)}
    for source in DATE_SOURCES:
        d = readers[source]() if source != FILE_DATE_SOURCE else None
        if d:
            return d, source
    return None


def _month(word: str) -> int | None:
    w = word.lower().rstrip(".")
    return MONTHS.get(w) or MONTHS.get(w[:3])


def _iso(y: int, m: int, d: int) -> str:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return ""


def only_company_words(name: str) -> bool:
    """Text of legal forms and industry words alone ("Cosmetics Co.", " Therapeutics, Inc.", or nothing): as a
    "name", the tail of a longer name the patterns did not reach; after a company's short name, what makes
    the whole a name of that company (kg.relations.entities)."""
    words = phrase_regex("company_words.tsv", "word")
    rest = re.sub(_LEGAL, " ", name)
    return all(words.fullmatch(w) for w in re.findall(r"[\w&'\u2019-]+", rest)) if rest.strip(" ,.") else True


def extract_metadata(doc: Document, published: list[str] = ()) -> dict:
    """Title, release date and where it was read (:func:`release_date`; ``published``: what a web page's
    ``<meta>`` tags give as its publication date), issuing companies and tickers, read from the text."""
    text = doc.text
    paras = [p.strip() for p in text.split(PARA) if p.strip()]
    meta: dict = {"format": doc.format}
    title = None
    if doc.format == "markdown":
        m = re.search(r"^\s*#{1,6}\s+(.+)$", doc.original, re.M)
        if m:
            title = without_controls(_MD_INLINE.sub(lambda mm: mm.group(1) or "", m.group(1))).strip()
    title = title or _guess_title(paras)
    if title:
        title = re.sub(r"\s+", " ", title)
        meta["title"] = title if len(title) <= 250 else title[:250].rsplit(" ", 1)[0] + "\u2026"
    head = text[:3000]
    found = release_date(doc, head, published)
    if found:
        meta["date"], meta["date_source"] = found
    tickers = []
    for m in _TICKER.finditer(head):
        exchange = re.sub(r"\s+", " ", m.group(1)).upper()
        t = f"{exchange}:{m.group(2)}"
        if t not in tickers:
            tickers.append(t)
    if tickers:
        meta["tickers"] = tickers
    found: list[tuple[int, str]] = []
    for rx in (_COMPANY, _LISTED, _ANNOUNCER):
        for m in rx.finditer(head):
            name = m.group(1).strip().rstrip(",")
            if rx is _LISTED:
                name = _trim_to_ticker(name, m.group(2))
            if rx is _ANNOUNCER:
                # "Lorus Therapeutics announced": the words from the first company-like one back to a capital
                words = name.split()
                industry = phrase_regex("company_words.tsv", "word", kind="industry")
                k = next((i for i, w in enumerate(words) if industry.fullmatch(w)), None)
                if k is None or k == 0:
                    continue
                name = " ".join(words[max(0, k - 2):k + 1])
            if _NOT_COMPANY.search(name) or name.isupper() or re.fullmatch(_LEGAL, name) or only_company_words(name):
                continue
            found.append((m.start(1), name))
    # a listed name inside a longer match is the better reading ("Headline Words Acme Inc.")
    names = [n for _, n in sorted(found)]
    names = [n for n in names if not any(o != n and n.endswith(" " + o) for o in names)]
    companies: list[str] = []
    for name in names:
        if not any(name in c or c in name for c in companies):
            companies.append(name)
    if companies:
        meta["companies"] = companies[:3]
    return meta
