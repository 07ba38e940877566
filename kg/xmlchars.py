"""Characters XML 1.0 cannot carry, and text made safe to write into an XML document.

Control characters (but tab, line feed and carriage return), lone surrogates
and U+FFFE / U+FFFF are not allowed in XML 1.0, not even as character
references. Text read from a release is cleaned when it is read
(:mod:`kg.documents`); what reaches an XML writer by another way (a literal a
query builds, data on a remote endpoint) goes through :func:`xml_safe`.
"""
from __future__ import annotations

import re

XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` with each character XML 1.0 cannot carry replaced by U+FFFD."""
    return XML_UNSAFE.sub("\ufffd", text)
