"""The JSON Schema of story scripts, for editors (yaml-language-server) and content tools.

`story_schema(reference)` builds a JSON Schema (draft 2020-12) from the pydantic models of
`storyboard.script`, widened to accept the format's shorthands (`cast: [keeper]`,
`- keeper: right`, `- mara: Hello.`), with each field's description taken from the format
reference (`docs/script-format.md`): the models say what is valid, the reference says what it
means, and neither is written twice. `SCHEMA_FILE` is the generated file shipped in the wheel;
a test keeps it equal to a fresh generation.

The schema checks shape and values; rules that span parts of a script (a speaker must be in
the panel's cast, files must exist) are for `storyboard validate`.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("story.schema.json")

# Section titles of the reference -> the model each table describes.
SECTIONS = {
    "Story (top level)": "Story",
    "Page": "PageSettings",
    "Style": "Style",
    "Peel (each entry of `style.peels`)": "PeelSpec",
    "Generation": "Generation",
    "Animatic": "Animatic",
    "Webtoon": "Webtoon",
    "Character (each value of `characters`)": "Character",
    "Scene": "Scene",
    "Panel": "Panel",
    "CastEntry (each entry of `cast`)": "CastEntry",
    "Line (each entry of `dialogue`)": "Line",
}


def reference_fields(text: str) -> dict[str, dict[str, str]]:
    """{model name: {key: description}} read from the field tables of the format reference.

    A table row is `| key | type | default | notes |`; the description is "notes" (or the type
    and default when notes are empty)."""
    out: dict[str, dict[str, str]] = {}
    for title, body in re.findall(r"^### (.+?)\n(.*?)(?=^##|\Z)", text, re.S | re.M):
        model = SECTIONS.get(title.strip())
        if model is None:
            continue
        rows = out.setdefault(model, {})
        for line in body.splitlines():
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if len(cells) != 4 or cells[0] in ("key", "") or set(cells[0]) <= {"-"}:
                continue
            key, kind, default, notes = (c.replace("\\|", "|") for c in cells)
            rows[key] = notes or f"{kind}; default {default}"
    return out


def story_schema(reference: str) -> dict[str, Any]:
    """The JSON Schema of a story script; `reference` is the text of docs/script-format.md."""
    from storyboard.script import FORMAT_VERSIONS, PAGE_ONLY, PAGE_SIZES, POSITIONS, Story

    schema = Story.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema["$defs"]
    defs["Story"] = {k: v for k, v in schema.items() if k != "$defs"}
    for model, fields in reference_fields(reference).items():
        props = defs.get(model, {}).get("properties", {})
        for key, description in fields.items():
            if key in props:
                props[key]["description"] = _plain(description)
    _text_accepts_numbers(defs)

    box = {"type": "array", "minItems": 4, "maxItems": 4,
           "items": {"type": "number", "minimum": 0, "maximum": 1},
           "description": "[x0, y0, x1, y1] in panel fractions, y down"}
    position = {"anyOf": [{"enum": list(POSITIONS)}, box]}
    cast = defs["CastEntry"]
    cast["properties"]["position"] = {**position, "description": cast["properties"]["position"].get("description", "")}
    details = copy.deepcopy(cast)
    details["properties"].pop("id")
    details.pop("required", None)
    defs["CastEntry"] = {
        "description": "an id, {id: position} or {id: {position, expression, pose}}",
        "anyOf": [
            {"type": "string"},
            {"type": "object", "minProperties": 1, "maxProperties": 1,
             "additionalProperties": {"anyOf": [position, details, {"type": "null"}]}},
            cast,
        ],
    }
    line = defs["Line"]
    text_spec = copy.deepcopy(line)
    text_spec["properties"].pop("speaker")
    text_spec["required"] = ["text"]
    defs["Line"] = {
        "description": "{speaker: text} or {speaker: {text, kind}}",
        "anyOf": [
            {"type": "object", "minProperties": 1, "maxProperties": 1,
             "additionalProperties": {"anyOf": [{"type": ["string", "number"]}, text_spec]}},
            line,
        ],
    }
    size = defs["PageSettings"]["properties"]["size"]
    size.update(anyOf=[{"enum": list(PAGE_SIZES)},
                       {"type": "array", "minItems": 2, "maxItems": 2,
                        "items": {"type": "number", "minimum": 20, "maximum": 2000}}])
    size.pop("type", None)
    # Editors flag what validate refuses on a strip: page-only keys beside `size: webtoon`.
    defs["PageSettings"].update({"if": {"properties": {"size": {"const": "webtoon"}}, "required": ["size"]},
                                 "then": {"properties": {key: False for key in PAGE_ONLY}}})
    defs["Story"]["properties"]["storyboard"]["enum"] = list(FORMAT_VERSIONS)
    characters = defs["Story"]["properties"]["characters"]
    characters["propertyNames"] = {"pattern": r"^[a-z][a-z0-9_-]*$", "not": {"const": "narration"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "storyboard story script",
        **{k: v for k, v in defs["Story"].items() if k != "title"},
        "$defs": {k: v for k, v in sorted(defs.items()) if k != "Story"},
    }


def _text_accepts_numbers(defs: dict) -> None:
    """YAML reads `caption: 3.10` as a number; the loader keeps it as the text written, so the
    schema accepts numbers wherever free text goes (not where a name or id is expected)."""
    for model in defs.values():
        for prop in model.get("properties", {}).values():
            for spec in [prop, *prop.get("anyOf", []), prop.get("items") or {}]:
                if spec.get("type") == "string" and "enum" not in spec and "pattern" not in spec:
                    spec["type"] = ["string", "number"]


def _plain(markdown: str) -> str:
    return re.sub(r"\*([^*]+)\*", r"\1", markdown.replace("`", ""))


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
