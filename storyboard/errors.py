"""The exceptions storyboard raises on purpose.

    StoryboardError            every error a user can cause; `str(err)` is one line
     ├── ScriptError           a story script is invalid; `.problems` lists every located problem
     ├── CharacterError        a character cannot be registered, found or embedded
     ├── GenerationError       an engine cannot load its models or make a panel
     ├── ExportError           an output file cannot be written
     └── MissingExtraError     an optional dependency group is not installed

Foreign exceptions (pydantic, yaml, OSError, torch, insightface, reportlab) are translated
into these at the boundary of the module that calls the foreign library, so the CLI only
ever has to print `str(err)` and exit with `err.exit_code`.
"""

from __future__ import annotations

from dataclasses import dataclass

# The name on PyPI (`storyboard` there is an unrelated project); import name and command stay `storyboard`.
DISTRIBUTION = "storyboard-comics"

QUOTE_LIMIT = 60  # characters of a user's value echoed in a message
FIELD_LIMIT = 500  # characters of any one part of a located problem line


def one_line(text: str, limit: int | None = FIELD_LIMIT) -> str:
    """`text` made safe for one line of a terminal: control characters, line breaks and lone
    surrogates escaped (`\\n`, `\\x1b`, `\\ud83d`), cut to `limit` characters (if any) with '...'."""
    text = str(text)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                       for c in text)
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."


def quote(value, limit: int = QUOTE_LIMIT) -> str:
    """A user's value for a message: in single quotes, escaped and cut (see `one_line`)."""
    return f"'{one_line(value, limit)}'"


class StoryboardError(Exception):
    """Base class of every error a user can cause. The message is a single line."""

    exit_code = 2


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a script: `FILE:LINE:COL: PATH: message`."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __post_init__(self):
        # A value echoed from the script can hold anything: every problem stays one line.
        object.__setattr__(self, "file", one_line(self.file, None))  # escaped, never cut
        for name in ("path", "message"):
            object.__setattr__(self, name, one_line(getattr(self, name)))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScriptError(StoryboardError):
    """A story script is invalid. `problems` holds every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CharacterError(StoryboardError):
    """A character cannot be registered, looked up or turned into an identity embedding."""


class GenerationError(StoryboardError):
    """An engine cannot load its models or generate a panel."""


class ExportError(StoryboardError):
    """An output (PDF, PNG pages, CBZ) cannot be written."""


class LetteringError(StoryboardError):
    """A strict render (`render(strict=True)`, `storyboard render --strict`) whose lettering
    breaks a rule: `problems` holds each warning and check-lettering violation, located. Exit 1,
    as check-lettering's: the script is valid, its lettering is not good enough."""

    exit_code = 1

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class MissingExtraError(StoryboardError):
    """An optional dependency group is not installed; the message is the exact pip line."""

    def __init__(self, extra: str, module: str):
        self.extra = extra
        self.module = module
        super().__init__(f"this needs the '{extra}' extra ({module} is not installed): {install_command(extra)}")


def install_command(extra: str) -> str:
    """The pip line that adds `extra`: `pip install -e '.[extra]'` when storyboard runs from a
    source checkout (an editable install; the checkout's path instead of `.` when the current
    folder is elsewhere), else `pip install 'storyboard-comics[extra]'`."""
    import shlex

    checkout = _source_checkout()
    if checkout is None:
        return f"pip install {shlex.quote(f'{DISTRIBUTION}[{extra}]')}"
    try:
        here = checkout.samefile(".")
    except OSError:
        here = False
    target = "." if here else str(checkout)
    return f"pip install -e {shlex.quote(f'{target}[{extra}]')}"


def _source_checkout():
    """The folder of the source checkout storyboard is installed from in editable mode (pip's
    direct_url.json, PEP 610), or None for an ordinary install."""
    import json
    from importlib import metadata
    from pathlib import Path
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    try:
        info = json.loads(metadata.distribution(DISTRIBUTION).read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return None
    url = info.get("url", "") if isinstance(info, dict) else ""
    if not (isinstance(info.get("dir_info"), dict) and info["dir_info"].get("editable")) or not url.startswith("file:"):
        return None
    return Path(url2pathname(urlsplit(url).path))


def require(module: str, extra: str):
    """Import an optional dependency, or raise MissingExtraError naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(extra, module) from err
