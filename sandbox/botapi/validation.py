"""Validation: a call's raw fields decoded by the spec's types and checked against its rules."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sandbox.botapi.errors import ApiError, bad_request
from sandbox.botapi.parse_mode import HtmlParseError, TelegramHtmlParser, utf16_len
from sandbox.botapi.records import UploadedFile
from sandbox.botapi.spec import (
    ARRAY_PREFIX,
    SCALAR_TYPES,
    BotApiSpec,
    FieldSpec,
    JsonDict,
    ObjectSpec,
)

_INTEGER_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_PARSE_MODES = frozenset({"", "html", "markdown", "markdownv2"})
_LENGTH_ERRORS = {  # Telegram's own wording for some fields; other fields get a generic one
    "text": "message is too long",
    "caption": "message caption is too long",
    "callback_data": "BUTTON_DATA_INVALID",
}
KEYBOARD_BUTTONS = 100  # Telegram's limit on an inline keyboard's buttons, not in the spec
ROW_BUTTONS = 8  # and on the buttons of one of its rows
_PATTERNS: Mapping[tuple[str, str], tuple[re.Pattern[str], str]] = {
    ("BotCommand", "command"): (re.compile(r"[a-z0-9_]+"), "BOT_COMMAND_INVALID"),
    ("setWebhook", "secret_token"): (
        re.compile(r"[A-Za-z0-9_-]+"),
        "secret token contains unallowed characters",
    ),
}


def _attached(value: str, files: Mapping[str, UploadedFile]) -> UploadedFile | None:
    """Return the uploaded file an ``attach://<name>`` value refers to."""
    return files.get(value.removeprefix("attach://")) if value.startswith("attach://") else None


def _check_keyboard(markup: Mapping[str, Any], path: str) -> None:
    """Refuse an inline keyboard over Telegram's limits, as Telegram does."""
    rows = markup.get("inline_keyboard")
    rows = rows if isinstance(rows, list) else []
    buttons = sum(len(row) for row in rows if isinstance(row, list))
    widest = max((len(row) for row in rows if isinstance(row, list)), default=0)
    if buttons > KEYBOARD_BUTTONS or widest > ROW_BUTTONS:
        detail = f"{path}: {buttons} buttons, {widest} in a row"
        detail += f"; allowed {KEYBOARD_BUTTONS}, {ROW_BUTTONS} in a row"
        raise bad_request("reply markup is too long", detail)


def _type_error(path: str, types: tuple[str, ...]) -> ApiError:
    return bad_request(f'parameter "{path}" must be {" or ".join(types)}')


class SpecValidator:
    """Decodes and checks Bot API calls against a `BotApiSpec`."""

    def __init__(self, spec: BotApiSpec) -> None:
        self._spec = spec

    def validate(
        self, method: ObjectSpec, fields: Mapping[str, str], files: Mapping[str, UploadedFile]
    ) -> JsonDict:
        """Return the decoded parameters of a call, or raise `ApiError` (kind "invalid")."""
        raw: dict[str, str | UploadedFile] = dict(fields)
        raw.update({name: file for name, file in files.items() if name in method.fields})
        params = {
            name: self._decode(method.fields[name], value, files)
            if name in method.fields
            else value
            for name, value in raw.items()
        }
        self._check_object(params, method, "", files)
        return params

    def _decode(
        self, spec: FieldSpec, raw: str | UploadedFile, files: Mapping[str, UploadedFile]
    ) -> Any:
        """Turn a form value into the Python value its spec type says it is."""
        if isinstance(raw, UploadedFile):
            if "InputFile" in spec.types:
                return raw
            raise _type_error(spec.name, spec.types)
        for type_name in spec.types:
            if type_name == "Integer" and _INTEGER_RE.fullmatch(raw):
                return int(raw)
            if type_name == "Float" and _FLOAT_RE.fullmatch(raw):
                return float(raw)
            if type_name == "Boolean" and raw.lower() in _BOOLEANS:
                return _BOOLEANS[raw.lower()]
            if type_name == "String":
                return raw
            if type_name == "InputFile" and _attached(raw, files):
                return _attached(raw, files)
            if type_name not in SCALAR_TYPES:
                try:
                    return json.loads(raw)
                except ValueError:
                    raise bad_request(f"can't parse {spec.name} JSON object", raw[:80]) from None
        raise _type_error(spec.name, spec.types)

    def _check_object(
        self, obj: Mapping[str, Any], spec: ObjectSpec, path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        prefix = f"{path}." if path else ""
        for key in obj:
            if key not in spec.fields:
                raise bad_request(
                    f'unknown parameter "{prefix}{key}"', f"not a field of {spec.name}"
                )
        for field_spec in spec.fields.values():
            full_path = prefix + field_spec.name
            if obj.get(field_spec.name) is None:
                needed = field_spec.required or (
                    field_spec.required_unless
                    and all(obj.get(other) is None for other in field_spec.required_unless)
                )
                if not needed:
                    continue
                if field_spec.name == "text":
                    raise bad_request("message text is empty", f"{spec.name} needs text")
                raise bad_request(f'parameter "{full_path}" is required', spec.name)
            self._check_value(obj[field_spec.name], field_spec.types, full_path, files)
            if isinstance(obj[field_spec.name], str):
                self._check_text(obj, spec, field_spec, full_path)

    def _check_value(
        self, value: Any, types: tuple[str, ...], path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        """Accept `value` if it matches any of `types`; else raise the most relevant error."""
        errors: list[tuple[int, ApiError]] = []
        for type_name in types:
            try:
                self._check_type(value, type_name, path, files)
            except ApiError as error:
                errors.append((self._affinity(value, type_name), error))
            else:
                return
        raise max(errors, key=lambda scored: scored[0])[1]

    def _check_type(
        self, value: Any, type_name: str, path: str, files: Mapping[str, UploadedFile]
    ) -> None:
        if type_name.startswith(ARRAY_PREFIX):
            if not isinstance(value, list):
                raise _type_error(path, (type_name,))
            item_type = (type_name.removeprefix(ARRAY_PREFIX),)
            for index, item in enumerate(value):
                self._check_value(item, item_type, f"{path}[{index}]", files)
            return
        if type_name in SCALAR_TYPES:
            if not self._is_scalar(value, type_name, files):
                raise _type_error(path, (type_name,))
            return
        if not isinstance(value, dict):
            raise _type_error(path, (type_name,))
        spec = self._spec.types.get(type_name)
        if spec is None:
            return  # types the spec does not describe are accepted as any object
        if spec.subtypes:
            self._check_value(value, self._subtype_candidates(spec, value, path), path, files)
        elif spec.fields:
            self._check_object(value, spec, path, files)
        if type_name == "InlineKeyboardMarkup":
            _check_keyboard(value, path)

    def _subtype_candidates(
        self, spec: ObjectSpec, value: Mapping[str, Any], path: str
    ) -> tuple[str, ...]:
        """Pick the subtypes whose discriminator (e.g. ``type: "chat"``) matches `value`."""
        subtypes = [self._spec.types[name] for name in spec.subtypes if name in self._spec.types]
        discriminated = {
            sub.name: [(f.name, f.fixed_value) for f in sub.fields.values() if f.fixed_value]
            for sub in subtypes
        }
        matching = tuple(
            name
            for name, pairs in discriminated.items()
            if pairs and all(value.get(key) == fixed for key, fixed in pairs)
        )
        if matching or not any(discriminated.values()):
            return matching or spec.subtypes
        allowed = sorted(fixed for pairs in discriminated.values() for _, fixed in pairs)
        raise bad_request(f'unsupported {spec.name} in parameter "{path}"', f"expected {allowed}")

    @staticmethod
    def _is_scalar(value: Any, type_name: str, files: Mapping[str, UploadedFile]) -> bool:
        if type_name == "Integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if type_name == "Float":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if type_name == "Boolean":
            return isinstance(value, bool)
        if type_name == "String":
            return isinstance(value, str)
        return isinstance(value, UploadedFile) or (
            isinstance(value, str) and _attached(value, files) is not None
        )

    def _affinity(self, value: Any, type_name: str) -> int:
        """Score how plausibly `value` was meant to be a `type_name`, to pick the error to show."""
        if type_name.startswith(ARRAY_PREFIX):
            return int(isinstance(value, list))
        if not isinstance(value, dict) or type_name in SCALAR_TYPES:
            return 0
        spec = self._spec.types.get(type_name)
        names = set(spec.fields) if spec else set()
        for subtype in spec.subtypes if spec else ():
            names.update(self._spec.types[subtype].fields if subtype in self._spec.types else ())
        return 1 + len(names & value.keys())

    @staticmethod
    def _check_text(
        obj: Mapping[str, Any], spec: ObjectSpec, field_spec: FieldSpec, path: str
    ) -> None:
        """Check parse modes, HTML markup, patterns and length limits of a string field."""
        value: str = obj[field_spec.name]
        if field_spec.name.endswith("parse_mode"):
            if value.lower() not in _PARSE_MODES:
                raise bad_request("unsupported parse_mode", f"{path}={value!r}")
            return
        pattern = _PATTERNS.get((spec.name, field_spec.name))
        if pattern and not pattern[0].fullmatch(value):
            raise bad_request(pattern[1], f"{path}={value!r}")
        mode_field = spec.parse_mode_field(field_spec.name)
        mode = obj.get(mode_field) if mode_field else None
        mode = mode.lower() if isinstance(mode, str) else ""
        text = value
        if mode == "html":
            try:
                text = TelegramHtmlParser.parse(value).text
            except HtmlParseError as error:
                raise bad_request(f"can't parse entities: {error}", path) from None
        if field_spec.limit is None or mode not in ("", "html"):
            return  # Markdown is not parsed, so its length after parsing is unknown
        low, high, unit = field_spec.limit
        if field_spec.name == "text" and low and not text.strip():
            raise bad_request("message text is empty", path)
        if unit == "byte":
            size, unit_name = len(text.encode("utf-8")), "bytes"
        elif mode_field or field_spec.after_entities:
            size, unit_name = utf16_len(text), "UTF-16 code units"
        else:
            size, unit_name = len(text), "characters"
        if not low <= size <= high:
            description = f'parameter "{path}" must be {low}-{high} {unit}s long'
            if size > high or field_spec.name == "callback_data":
                description = _LENGTH_ERRORS.get(field_spec.name, description)
            raise bad_request(description, f"{path} is {size} {unit_name}, allowed {low}-{high}")
