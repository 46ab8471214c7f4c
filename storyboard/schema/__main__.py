"""Regenerate the shipped schema file: `python -m storyboard.schema` from the project root."""

from pathlib import Path

from storyboard.schema import SCHEMA_FILE, dumps, story_schema

reference = Path(__file__).resolve().parents[2] / "docs" / "script-format.md"
SCHEMA_FILE.write_text(dumps(story_schema(reference.read_text(encoding="utf-8"))), encoding="utf-8")
print(f"wrote {SCHEMA_FILE}")
