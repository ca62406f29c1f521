"""A handed-over dossier in the shape one-stop software synchronises to the National Public
Service Portal: the DongBoHoSoMC dossier push (HoSo with its TaiLieuNop) and the
CapNhatTienDoHoSoMC progress push (QuaTrinhXuLy entries, from the dossier's history).

Which of our values goes to which of their fields, the value codes and the date format are
data (models/data/national_sync.json, with the public source of each field); this module
builds the context those paths point into and applies the mapping. It has no field names of
its own."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from intake.history import ACTION_LABELS, HistoryEntry
from models.catalogue import Procedure
from models.quality import kind_label

MAPPING_FILE = "national_sync.json"
SCHEMA_FILE = "national_sync.schema.json"
READING_SERVICE = "Hệ thống số hóa"  # who "digitized" a dossier: the service's reading


@cache
def mapping() -> dict:
    return json.loads(resources.files("models").joinpath(f"data/{MAPPING_FILE}").read_text(encoding="utf-8"))


@cache
def schema() -> dict:
    """The JSON Schema of an export, written from the fields confirmed in public sources."""
    return json.loads(resources.files("models").joinpath(f"data/{SCHEMA_FILE}").read_text(encoding="utf-8"))


def export(context: dict, rules: dict | None = None) -> dict:
    """Each message of the mapping, by its name, built from `context` (`sync_context`)."""
    rules = rules or mapping()
    formats = _Formats(rules)
    return {message["name"]: _apply(message["fields"], context, context, formats) for message in rules["messages"]}


def sync_context(
    dossier: dict, manifest: dict, history: list[HistoryEntry], procedure: Procedure | None, base_url: str
) -> dict:
    """Our side of the export, in our own names: the dossier (`dossier`: code, procedure, channel,
    national status, times, applicant, agency), its package's documents (from the manifest the
    agency reads, with the signature of each PDF where the package is signed) and its history."""
    files = {f.get("name"): f for f in manifest.get("files", []) if isinstance(f, dict)}
    documents = []
    for number, component in enumerate(manifest.get("components", []), 1):
        pdf = component.get("searchable_pdf")
        entry = files.get(pdf, {})
        documents.append(
            {
                "number": number,
                "name": component.get("original", {}).get("filename"),
                "component": _component_name(procedure, component.get("kind")),
                "link": f"{base_url}/api/v1/agency/dossiers/{quote(dossier['code'], safe='')}/files/{quote(pdf or '')}",
                "digitized": pdf in files,
                "sha256": entry.get("sha256"),
                "signature": entry.get("signature"),
            }
        )
    dossier = {**dossier, "digitized": any(d["digitized"] for d in documents)}
    return {
        "dossier": dossier,
        "dossiers": [dossier],
        "documents": documents,
        "history": [_step(entry) for entry in history],
    }


def _component_name(procedure: Procedure | None, kind: str | None) -> str:
    """The procedure's required document a document of `kind` stands for, else the kind's label."""
    for required in procedure.required_documents if procedure else ():
        if kind and kind in required.kinds:
            return required.name
    return kind_label(kind or "other")


def _step(entry: HistoryEntry) -> dict:
    label = ACTION_LABELS[entry.action]
    return {
        "at": entry.at,
        "action": entry.action,
        "actor": entry.by_name or entry.by or READING_SERVICE,
        "unit": entry.unit,
        "content": f"{label}: {entry.detail}" if entry.detail else label,
        "national_status": entry.national_status,
    }


class _Formats:
    """How a value of ours is written in theirs: every value is a text."""

    def __init__(self, rules: dict) -> None:
        self.pattern = rules["date_format"]["pattern"]
        self.zone = ZoneInfo(rules["date_format"]["zone"])
        self.date_time = time.fromisoformat(rules["date_time"]["value"])

    def write(self, value: Any, kind: str) -> Any:
        if kind == "datetime":
            when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            return when.astimezone(self.zone).strftime(self.pattern)
        if kind == "date":
            day = value if isinstance(value, date) else date.fromisoformat(value)
            return datetime.combine(day, self.date_time, self.zone).strftime(self.pattern)
        if kind == "flag":
            return "1" if value else "0"
        if kind == "bool_text":
            return "True" if value else "False"
        if kind == "text":
            return str(value)
        raise ValueError(f"national sync mapping: unknown format {kind!r}")


def _lookup(path: str, item: Any, root: dict) -> Any:
    """The value at `path`: from the context's root when it starts with "$.", else from `item`."""
    value: Any = root if path.startswith("$.") else item
    for part in path.removeprefix("$.").split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _apply(fields: list[dict], item: Any, root: dict, formats: _Formats) -> dict:
    """One object of theirs from `item`: each field the mapping sends, in the mapping's order."""
    built: dict[str, Any] = {}
    for spec in fields:
        if not spec.get("emit", True):
            continue
        value = spec["constant"] if "constant" in spec else _lookup(spec["from"], item, root)
        if value is None and spec.get("omit_empty"):
            continue
        built[spec["field"]] = _value(spec, value, root, formats)
    return built


def _value(spec: dict, value: Any, root: dict, formats: _Formats) -> Any:
    kind = spec.get("format", "text")
    if kind == "list":
        return [_apply(spec["items"], element, root, formats) for element in value or []]
    if kind == "object":
        return _apply(spec["items"], value or {}, root, formats)
    if value is None or value == "":
        return ""  # an optional value not known: both codebases send an empty text
    if "values" in spec:
        key = str(value)
        if key not in spec["values"]:
            raise ValueError(f"national sync mapping: {spec['field']} has no code for {key!r}")
        return spec["values"][key]
    return formats.write(value, kind)
