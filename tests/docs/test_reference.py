"""The format reference (docs/script-format.md) and the JSON Schema stay in step with the models."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from storyboard import script
from storyboard.schema import SCHEMA_FILE, SECTIONS, dumps, reference_fields, story_schema
from storyboard.script import parse_story

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "script-format.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def shipped_schema() -> dict:
    """The schema file shipped with this version of storyboard (what `storyboard schema` prints)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_every_model_field_is_in_the_reference():
    documented = reference_fields(REFERENCE.read_text(encoding="utf-8"))
    missing = [
        f"{model}.{field}"
        for model in SECTIONS.values()
        for field in getattr(script, model).model_fields
        if field not in documented.get(model, {})
    ]
    assert not missing, f"add these fields to the tables of docs/script-format.md: {', '.join(missing)}"
    extra = [f"{m}.{k}" for m, keys in documented.items() for k in keys if k not in getattr(script, m).model_fields]
    assert not extra, f"docs/script-format.md documents fields the models do not have: {', '.join(extra)}"


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_yaml_examples_in_docs_are_valid_scripts(doc, tmp_path):
    for block in yaml_blocks(doc):
        for name in re.findall(r"(?:refs|peels)/[\w.-]+", block):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (64, 64), "white").save(tmp_path / name, format="PNG")
        if "scenes:" in block:  # a whole script, not a fragment of one
            assert parse_story(block, base_dir=tmp_path).title


def test_shipped_schema_is_generated_from_the_models():
    fresh = dumps(story_schema(REFERENCE.read_text(encoding="utf-8")))
    assert dumps(shipped_schema()) == fresh, "regenerate it: python -m storyboard.schema"


jsonschema = pytest.importorskip("jsonschema")



def load_yaml(text: str):
    try:
        from ruamel.yaml import YAML

        return YAML(typ="safe", pure=True).load(text)
    except ImportError:  # pragma: no cover - the loader's own YAML library
        import yaml

        return yaml.safe_load(text)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_carry_the_modeline_and_validate_against_the_schema(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../storyboard/schema/story.schema.json\n")
    jsonschema.Draft202012Validator(shipped_schema()).validate(load_yaml(text))


def test_reference_example_validates_against_the_schema():
    block = yaml_blocks(REFERENCE)[0]
    jsonschema.Draft202012Validator(shipped_schema()).validate(load_yaml(block))


def _broken(doc: dict, change) -> dict:
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


def first_panel(doc):
    return doc["scenes"][0]["panels"][0]


INVALID = {
    "wrong version": lambda d: d.update(storyboard=2),
    "six cast members": lambda d: first_panel(d).update(cast=["a", "b", "c", "d", "e", "f"]),
    "unknown top-level key": lambda d: d.update(titel="x"),
    "unknown panel key": lambda d: first_panel(d).update(acton="x"),
    "bad position name": lambda d: first_panel(d).update(cast=[{"mara": "middle"}]),
    "box outside the panel": lambda d: first_panel(d).update(cast=[{"mara": {"position": [0, 0, 1.5, 1]}}]),
    "box of three numbers": lambda d: first_panel(d).update(cast=[{"mara": [0, 0, 1]}]),
    "unknown dialogue kind": lambda d: first_panel(d).update(dialogue=[{"mara": {"text": "hi", "kind": "yell"}}]),
    "bad shot": lambda d: first_panel(d).update(shot="closeup"),
    "missing title": lambda d: d.pop("title"),
    "bad character id": lambda d: d["characters"].update(Mara={"description": "x"}),
    "page too small": lambda d: d.update(page={"size": [10, 10]}),
}


@pytest.mark.parametrize("name", INVALID)
def test_schema_rejects_invalid_scripts(name):
    doc = load_yaml(yaml_blocks(REFERENCE)[0])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(shipped_schema()).validate(_broken(doc, INVALID[name]))


def test_schema_command_prints_the_shipped_schema(capsys):
    import json

    from storyboard.cli import main

    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == shipped_schema()
