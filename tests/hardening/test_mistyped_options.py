"""A mistyped option of any command gets the closest of that command's own options, as a
mistyped command or choice gets the closest name: one line, exit 2, nothing run."""

from __future__ import annotations

import argparse

import pytest

from storyboard.cli import build_parser, main
from tests.hardening.cli_mistakes import one_error_line


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, parser) for the main command and every (sub)command below it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def _options():
    for path, parser in _commands(build_parser()):
        for option in parser._option_string_actions:
            if option.startswith("--") and option not in ("--help", "--version"):
                yield pytest.param(path, option, id=" ".join((*path, option)))


def _mistyped(option: str) -> str:
    """The option with one letter of its name left out (`--format` -> `--forat`)."""
    middle = 2 + (len(option) - 2) // 2
    return option[:middle] + option[middle + 1:]


@pytest.mark.parametrize(("path", "option"), list(_options()))
def test_a_mistyped_option_of_every_command_gets_did_you_mean(folder, capsys, path, option):
    with pytest.raises(SystemExit) as exit:
        main([*path, _mistyped(option)])
    assert exit.value.code == 2
    line = one_error_line(capsys)
    assert f"did you mean {option}" in line and line.startswith(" ".join(("storyboard", *path)) + ": error:"), line


def test_mistyped_options_are_each_named_with_their_closest(folder, capsys):
    with pytest.raises(SystemExit):
        main(["render", "good.yaml", "--formt=png", "--enigne", "draft", "-o", "out.pdf"])
    assert one_error_line(capsys) == (
        "storyboard render: error: unrecognized arguments: --formt=png --enigne draft "
        "(did you mean --format for --formt and --engine for --enigne?) (see storyboard render --help)")
    assert not (folder / "out.pdf").exists()


def test_an_option_like_no_other_gets_no_guess(folder, capsys):
    with pytest.raises(SystemExit):
        main(["render", "good.yaml", "--frobnicate"])
    assert "did you mean" not in one_error_line(capsys)


def test_a_name_people_give_the_output_option_gets_it(folder, capsys):
    # 'out-dir' is too far from 'output' for a spelling match: batch's --out-dir got no hint
    with pytest.raises(SystemExit):
        main(["batch", "good.yaml", "--out-dir", "out"])
    assert one_error_line(capsys) == (
        "storyboard batch: error: the following arguments are required: -o/--output (did you mean --output for "
        "--out-dir?) (see storyboard batch --help)")
    with pytest.raises(SystemExit):
        main(["render", "good.yaml", "--outdir", "out"])
    assert "(did you mean --output?)" in one_error_line(capsys)
