"""`storyboard schema`: print the JSON Schema of story scripts (for editors and content tools)."""

from __future__ import annotations

ORDER = 45


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of story scripts",
        description="Print the JSON Schema (draft 2020-12) of story scripts, generated from the "
        "script models with the format reference's descriptions. Editors using the YAML "
        "language server read it from a `# yaml-language-server: $schema=...` first line.",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard.schema import SCHEMA_FILE

    print(SCHEMA_FILE.read_text(encoding="utf-8"), end="")
    return 0
