"""The contract side: operations by id, their response schemas for a status, and capability names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from webapp.cms.capabilities import capability_for
from webapp.cms.probe.shapes import json_type

MAX_PROBLEMS = 6


@dataclass(frozen=True)
class Operation:
    op_id: str
    method: str
    path: str
    source: str
    capability: str | None
    spec: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class Contract:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self._doc = document
        self._components = document.get("components", {})
        self._ops: dict[str, Operation] = {}
        for path, item in (document.get("paths") or {}).items():
            for method, spec in item.items():
                if method == "parameters" or not isinstance(spec, Mapping):
                    continue
                op_id = str(spec.get("operationId"))
                source = str(spec.get("x-source", "documented"))
                # The contract names it in `x-capability`; else the client's own table says.
                capability = spec.get("x-capability") or (
                    capability_for(method, path) if source == "assumed" else None
                )
                self._ops[op_id] = Operation(op_id, method.upper(), path, source, capability, spec)

    @property
    def version(self) -> str:
        return str((self._doc.get("info") or {}).get("version", "?"))

    def op(self, op_id: str) -> Operation:
        return self._ops[op_id]

    def operations(self) -> list[Operation]:
        return list(self._ops.values())

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node and str(node["$ref"]).startswith("#/"):
            target: Any = self._doc
            for part in str(node["$ref"])[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def response_schema(self, op_id: str, status: int) -> dict[str, Any] | None:
        responses = self.op(op_id).spec.get("responses") or {}
        response = self._resolve(responses.get(str(status)))
        if not isinstance(response, Mapping):
            return None
        content = response.get("content") or {}
        media = content.get("application/json")
        if not isinstance(media, Mapping) or "schema" not in media:
            return None
        return dict(media["schema"])

    def schema_of(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}

    def problems(self, schema: Mapping[str, Any], instance: Any) -> list[str]:
        """How `instance` departs from `schema` (refs resolved in the contract), told without values."""
        validator = Draft202012Validator({**schema, "components": self._components})
        found: list[str] = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            for text in _describe(error):
                if text not in found:
                    found.append(text)
        if len(found) > MAX_PROBLEMS:
            return [*found[:MAX_PROBLEMS], f"and {len(found) - MAX_PROBLEMS} more"]
        return found

    def check(self, op_id: str, status: int, body: Any) -> list[str] | None:
        """Problems of an answer against the contract schema for its status; None when none is described."""
        schema = self.response_schema(op_id, status)
        if schema is None:
            return None
        return self.problems(schema, body)


def _path(error: ValidationError) -> str:
    parts: list[str] = []
    for part in error.absolute_path:
        if isinstance(part, int):
            parts.append("[]")
        else:
            parts.append(f".{part}" if parts else str(part))
    return "".join(parts) or "(body)"


def _describe(error: ValidationError) -> list[str]:
    where = _path(error)
    kind = error.validator
    if kind == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        missing = [name for name in error.validator_value if name not in instance]
        prefix = "" if where == "(body)" else f"{where}."
        return [f"missing {prefix}{name}" for name in missing]
    if kind == "type":
        return [f"{where} is {json_type(error.instance)}, contract says {error.validator_value}"]
    if kind in {"anyOf", "oneOf"}:
        return [f"{where} matches none of the contract's alternatives"]
    if kind in {"const", "enum"}:
        return [f"{where} has a value outside the contract's {kind}"]
    return [f"{where} fails {kind}"]
