"""Recognizing literal secrets in template strings, shared by GOV-EC2-013 (user data) and
GOV-LAMBDA-001 (function environment variables). Helper module: the leading underscore keeps
:func:`govcdk.policies.engine.load_rules` from treating it as a service folder.

Sources: AWS General Reference, "Understanding unique ID prefixes" (``AKIA`` long-term and
``ASIA`` temporary access key ids, 20 characters); RFC 7468 (``-----BEGIN ... PRIVATE
KEY-----`` armor); NIST SP 800-53 Rev 5 IA-5(7) (no embedded unencrypted static
authenticators). Findings never repeat a secret: :func:`redact` keeps its first four
characters.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_NOT_LITERAL = r"(?![$`{%<(])"
SECRET_ACCESS_KEY = re.compile(
    r"aws_secret_access_key[\"']?\s*(?:[=:]|\s)\s*[\"']?" + _NOT_LITERAL + r"[^\s\"']{8,}",
    re.IGNORECASE)
ASSIGNMENT = re.compile(
    r"\b\w*(?:password|passwd|secret|api[_-]?key|token)\w*[\"']?\s*[=:]\s*[\"']?"
    + _NOT_LITERAL + r"([^\s\"'$`{}()<>|;&,]{4,})",
    re.IGNORECASE)
"""``password=...``-style assignments (``DB_PASSWORD=hunter22``, ``api_key: abcd1234``) whose
value is written out, not a shell variable, command substitution or template token."""
SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY", re.IGNORECASE)
"""Environment variable names that announce a secret."""
POINTER_SUFFIX = re.compile(r"(?:_|^)(?:ARN|NAME|ID|URL|URI|PATH|PARAM|PARAMETER|TTL|"
                            r"ENDPOINT|REGION)$", re.IGNORECASE)
"""Names of variables that point at a secret (``DB_SECRET_ARN``, ``TOKEN_URL``) rather than
hold one."""
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]{16,}")


def redact(text: str) -> str:
    """The first four characters of a secret, then an ellipsis."""
    return text[:4] + "..."


def decoded_forms(text: str) -> list[str]:
    """``text``, plus its base64 decoding when the whole string is base64 of UTF-8 text (a
    ``UserData`` written already encoded, without ``Fn::Base64``)."""
    out = [text]
    if _BASE64.fullmatch(text.strip()):
        try:
            raw = base64.b64decode("".join(text.split()), validate=True)
            out.append(raw.decode("utf-8"))
        except (binascii.Error, ValueError):
            pass
    return out


def findings_in(text: str) -> Iterator[str]:
    """Descriptions (secret redacted) of every literal secret in ``text`` and its base64
    decoding."""
    for form in decoded_forms(text):
        for m in ACCESS_KEY_ID.finditer(form):
            yield f"an AWS access key id ({redact(m.group(0))})"
        if PRIVATE_KEY_BLOCK.search(form):
            yield "a private key block (-----BEGIN ... PRIVATE KEY-----)"
        for m in SECRET_ACCESS_KEY.finditer(form):
            yield "an aws_secret_access_key with a literal value"
        for m in ASSIGNMENT.finditer(form):
            if not SECRET_ACCESS_KEY.match(m.group(0)):
                name = m.group(0).split("=")[0].split(":")[0].strip(" \"'")
                yield f"a literal {name} assignment ({redact(m.group(1))})"


def raw_strings(node: Any) -> Iterator[str]:
    """Every literal string inside a raw (unresolved) template value: the fragments of
    ``Fn::Join``/``Fn::Sub`` that are written in the template."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from raw_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from raw_strings(value)
