"""The API and the command line choose the same engine for the same script."""

from __future__ import annotations

import pytest

import storyboard
from storyboard.cli import build_parser
from storyboard.cli.render import render_kwargs
from storyboard.render import choose_engine
from storyboard.script import parse_story

SCRIPT = """
title: T
{generation}
scenes:
  - panels:
      - action: a gull on a post
"""


def story(engine: str | None):
    return parse_story(SCRIPT.format(generation=f"generation: {{engine: {engine}}}" if engine else ""))


def cli_engine(s, *flags) -> str:
    args = build_parser().parse_args(["render", "x.yaml", *flags])
    return render_kwargs(args, s)["engine"]


@pytest.mark.parametrize("script_engine", [None, "draft", "diffusion"])
@pytest.mark.parametrize("flag", [None, "draft", "diffusion"])
def test_api_and_cli_agree(script_engine, flag):
    s = story(script_engine)
    expected = flag or script_engine or "diffusion"
    assert choose_engine(s, flag) == expected
    assert cli_engine(s, *(["--engine", flag] if flag else [])) == expected


def test_api_render_follows_the_script(tmp_path):
    (tmp_path / "s.yaml").write_text(SCRIPT.format(generation="generation: {engine: draft}"))
    result = storyboard.render(tmp_path / "s.yaml", out=tmp_path / "s.pdf", cache=False)
    assert result.panels_generated == 1  # drew with the script's draft engine: no model was needed
    import json

    assert json.loads((tmp_path / "s.pdf.manifest.json").read_text())["engine"]["name"] == "draft"
