"""Credentials of remote stores never shown: the forms a request carries them in, and their removal
from any text that may quote them (an endpoint's error, a log line).

:class:`kg.store.RemoteStore` registers its password or token here when it is opened; a message that
quotes what an endpoint sent back, and every log line the command line prints, goes through
:func:`without_secrets`.
"""
from __future__ import annotations

import logging
import re


def secret_forms(auth: tuple[str, str] | None, token: str | None) -> list[str]:
    """The ways a request carries the password or token, longest first: as written, percent-encoded,
    in base64, and as the Basic ``Authorization`` header's base64 of ``user:password``."""
    import base64
    from urllib.parse import quote

    forms = set()
    for secret in (auth[1] if auth else None, token):
        if secret:
            forms |= {secret, quote(secret, safe=""), base64.b64encode(secret.encode("utf-8")).decode()}
    if auth and auth[1]:
        forms.add(base64.b64encode(f"{auth[0]}:{auth[1]}".encode("utf-8")).decode())
    return sorted(forms, key=len, reverse=True)


SHORTEST_SHOWN_PART = 4     # a run of this many characters of a secret is starred out wherever it stands


def without_secrets(text: str, secrets: list[str] | None = None) -> str:
    """``text`` (an endpoint's error message, which a server may fill with the request's headers, in
    whatever encoding; a log line) with every run of 4 or more characters of a secret starred out,
    longest first: a server that decodes a UTF-8 password as Latin-1 still shows its ASCII part, a
    percent-encoded base64 its letters. A secret too short for that drops the text when it shows.
    ``secrets``: the forms of :func:`secret_forms`, longest first; by default those of every remote
    store opened in this process."""
    if secrets is None:
        secrets = sorted(LOG_REDACTOR.secrets, key=len, reverse=True)
    low = text.lower()                  # an echo may change the case (a content type)
    for secret in secrets:
        if len(secret) < SHORTEST_SHOWN_PART:
            if secret.lower() in low:
                return "(its message held the credentials; not shown)"
            continue
        for n in range(len(secret), SHORTEST_SHOWN_PART - 1, -1):
            for i in range(len(secret) - n + 1):
                part = secret[i:i + n]
                if part.lower() in low:
                    text = re.sub(re.escape(part), "***", text, flags=re.I)
                    low = text.lower()
    return text


class _Redactor(logging.Filter):
    """Stars out the secrets of every remote store in the log records it sees: those of the HTTP
    libraries' loggers (at ``-vv`` urllib3 logs each request line, and a redirect can carry the
    credentials in its URL), and those of the handlers the command line gives it."""

    LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager", "requests")

    def __init__(self):
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secrets: list[str]) -> None:
        if not self.secrets:
            for name in self.LOGGERS:
                logging.getLogger(name).addFilter(self)
        self.secrets.update(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            clean = without_secrets(text)
            if clean != text:
                record.msg, record.args = clean, ()
        return True


LOG_REDACTOR = _Redactor()
