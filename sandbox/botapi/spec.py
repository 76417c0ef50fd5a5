"""The Bot API spec as the emulator reads it: methods, types and the rules in their descriptions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

JsonDict = dict[str, Any]  # a JSON object: parameters, answers and Bot API objects

_LIMIT_RE = re.compile(r"\b(\d+)-(\d+) (character|byte)s?\b")
_AFTER_ENTITIES_RE = re.compile(r"after entit(?:y|ies) parsing")
_REQUIRED_IF_RE = re.compile(
    r"[Rr]equired if (\w+(?: and \w+)*) (?:is|are) not specified"
    r"|[Rr]equired if (\w+) isn't specified"
)
_FIXED_VALUE_RE = re.compile(r"(?:must be|always) [\"“]?([a-z0-9_]+)[\"”]?$")
SCALAR_TYPES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
ARRAY_PREFIX = "Array of "
_TEXT_FIELDS = frozenset({"text", "caption", "message_text"})


@dataclass(frozen=True)
class FieldSpec:
    """A method parameter or object field, with the rules derived from its description."""

    name: str
    types: tuple[str, ...]
    required: bool
    limit: tuple[int, int, str] | None = None
    after_entities: bool = False
    required_unless: tuple[str, ...] = ()
    fixed_value: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldSpec:
        """Build a field from its api.json entry."""
        description = str(data.get("description", ""))
        limit = _LIMIT_RE.search(description)
        required_if = _REQUIRED_IF_RE.search(description)
        fixed = _FIXED_VALUE_RE.search(description)
        return cls(
            name=data["name"],
            types=tuple(data["types"]),
            required=bool(data["required"]),
            limit=(int(limit[1]), int(limit[2]), limit[3]) if limit else None,
            after_entities=bool(_AFTER_ENTITIES_RE.search(description)),
            required_unless=(
                tuple((required_if[1] or required_if[2]).split(" and ")) if required_if else ()
            ),
            fixed_value=fixed[1] if fixed else None,
        )


@dataclass(frozen=True)
class ObjectSpec:
    """A Bot API method or type: its fields, or the subtypes it stands for."""

    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObjectSpec:
        """Build a method or type from its api.json entry."""
        fields = {f["name"]: FieldSpec.from_json(f) for f in data.get("fields", ())}
        return cls(data["name"], fields, tuple(data.get("subtypes", ())))

    def parse_mode_field(self, name: str) -> str | None:
        """Return the field holding the parse mode of text field `name`, if it has one."""
        if f"{name}_parse_mode" in self.fields:
            return f"{name}_parse_mode"
        if "parse_mode" in self.fields and (
            name in _TEXT_FIELDS or self.fields[name].after_entities
        ):
            return "parse_mode"
        return None


@dataclass(frozen=True)
class BotApiSpec:
    """The parsed Bot API spec: methods (looked up case-insensitively) and types."""

    source: Literal["api.json", "built-in"]
    methods: Mapping[str, ObjectSpec]
    types: Mapping[str, ObjectSpec]

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], source: Literal["api.json", "built-in"]
    ) -> BotApiSpec:
        """Build the spec from api.json-shaped data."""
        return cls(
            source=source,
            methods={name.lower(): ObjectSpec.from_json(m) for name, m in data["methods"].items()},
            types={name: ObjectSpec.from_json(t) for name, t in data["types"].items()},
        )

    def method(self, name: str) -> ObjectSpec | None:
        """Look up a method by its case-insensitive name."""
        return self.methods.get(name.lower())
