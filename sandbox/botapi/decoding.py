"""Request decoding: a call's query string and body as raw fields and files, as Telegram does."""

from __future__ import annotations

import email.policy
import json
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
from urllib.parse import parse_qsl

from sandbox.botapi.records import UploadedFile


def decode_request(
    query: str, content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a request into raw string fields and uploaded files, as the Bot API server does."""
    fields = dict(parse_qsl(query, keep_blank_values=True))
    files: dict[str, UploadedFile] = {}
    mime = content_type.partition(";")[0].strip().lower()
    if mime == "application/json":
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the JSON body must be an object")
        fields.update(
            {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in data.items()
                if v is not None
            }
        )
    elif mime == "application/x-www-form-urlencoded":
        fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif mime == "multipart/form-data":
        form_fields, files = _parse_multipart(content_type, body)
        fields.update(form_fields)
    elif body:
        raise ValueError(f"unsupported Content-Type {content_type!r}")
    return fields, files


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Parse a multipart/form-data body with the stdlib email parser."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(_class=EmailMessage, policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = _header_param(part, "name")
        payload = part.get_payload(decode=True)
        if name is None or not isinstance(payload, bytes):
            raise ValueError("malformed multipart part")
        filename = _header_param(part, "filename")
        if filename is None:
            fields[name] = payload.decode("utf-8")
        else:
            files[name] = UploadedFile(name, filename, payload, part.get_content_type())
    return fields, files


def _header_param(part: MIMEPart, param: str) -> str | None:
    """Return a Content-Disposition parameter, undoing the parser's surrogate escapes."""
    value = part.get_param(param, header="content-disposition")
    if value is None:
        return None
    text = collapse_rfc2231_value(value)
    return text.encode("utf-8", "surrogateescape").decode("utf-8")
