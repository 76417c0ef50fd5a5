"""The Bot API endpoint: one HTTP request in, Telegram's answer out, every call recorded."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from sandbox.botapi.decoding import decode_request
from sandbox.botapi.errors import ApiError, bad_request
from sandbox.botapi.faults import Faults
from sandbox.botapi.records import ApiCall, CallLog, UploadedFile
from sandbox.botapi.spec import BotApiSpec, JsonDict
from sandbox.botapi.state import FakeState
from sandbox.botapi.validation import SpecValidator

_API_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_FILE_PATH_RE = re.compile(r"/file/bot([^/]+)/(.+)")


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


class Endpoint:
    """Routes, decodes, authenticates and validates calls, applies faults, runs the method."""

    def __init__(
        self, token: str, spec: BotApiSpec, state: FakeState, faults: Faults, log: CallLog
    ) -> None:
        self.token = token
        self.spec = spec
        self._validator = SpecValidator(spec)
        self._state = state
        self._cond = state.cond
        self._faults = faults
        self._log = log

    def serve_http(
        self, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        """Answer one HTTP request: (status, content type, body)."""
        file_match = _FILE_PATH_RE.fullmatch(path)
        if file_match:
            return self._serve_file(*file_match.groups())
        api_match = _API_PATH_RE.fullmatch(path)
        if api_match is None:
            not_found = ApiError(404, "Not Found")
            return 404, "application/json", _json_bytes(not_found.payload())
        token, method = api_match.groups()
        try:
            fields, files = decode_request(query, content_type, body)
        except ValueError as error:
            invalid = bad_request("can't parse request body", str(error))
            self._log.record(
                ApiCall(method, {}, time.time(), 400, invalid.payload(), invalid.reason), "invalid"
            )
            return 400, "application/json", _json_bytes(invalid.payload())
        status, payload = self._call_api(token, method, fields, files)
        return status, "application/json", _json_bytes(payload)

    def _serve_file(self, token: str, file_path: str) -> tuple[int, str, bytes]:
        with self._cond:
            stored = next((f for f in self._state.files.values() if f.file_path == file_path), None)
        if token != self.token or stored is None:
            return 404, "application/json", _json_bytes(ApiError(404, "Not Found").payload())
        return 200, stored.mime_type, stored.content

    def _call_api(
        self, token: str, name: str, fields: dict[str, str], files: dict[str, UploadedFile]
    ) -> tuple[int, JsonDict]:
        started = time.time()
        method = self.spec.method(name)
        method_name = method.name if method else name
        params: JsonDict = {**fields, **files}
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized", reason="wrong bot token", kind="invalid")
            if method is not None:
                params = self._validator.validate(method, fields, files)
            elif self.spec.source == "api.json":
                raise ApiError(404, "Not Found", reason=f"unknown method {name!r}", kind="invalid")
            with self._cond:
                self._faults.check(method_name, params)
                result = self._state.handle(method_name, params)
        except ApiError as error:
            call = ApiCall(
                method_name, params, started, error.status, error.payload(), error.reason
            )
            self._log.record(call, error.kind)
            return error.status, error.payload()
        payload = {"ok": True, "result": result}
        self._log.record(ApiCall(method_name, params, started, 200, payload), "ok")
        return 200, payload
