"""Language tags that break BCP 47 (RFC 5646) are refused in one line wherever a tag is given:
`--lang` (render, validate, batch, translations template), a script's `language:` and a
translations file's; well-formed tags pass whether or not langcodes knows their subtags."""

from __future__ import annotations

import pytest

from storyboard.cli import main
from tests.hardening.cli_mistakes import GOOD, one_error_line

BROKEN = {
    "en-US-u": "the subtag 'u' must be followed by something",  # a singleton with no subtag after it
    "zz-ZZZZ-1": "the subtag '1' must be followed by something",  # a one-character variant
    "en-a-bbb-a-ccc": "the singleton 'a' is given twice",
    "de-DE-1996-1996": "the variant '1996' is given twice",
}


@pytest.mark.parametrize("tag", BROKEN)
@pytest.mark.parametrize("command", [["render", "good.yaml", "-o", "x.pdf"], ["validate", "good.yaml"],
                                     ["batch", "good.yaml", "-o", "out"], ["translations", "template", "good.yaml"]])
def test_a_malformed_lang_is_one_line_and_writes_nothing(folder, capsys, command, tag):
    assert main([*command, "--lang", tag]) == 2
    line = one_error_line(capsys)
    assert line.startswith("error: ") and line.endswith(f"--lang '{tag}' is not a BCP 47 tag such as de, pt-BR, "
                                                        f"zh-Hant: {BROKEN[tag]}")
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]  # no translations/base.zz-Zzzz-1.yaml


def test_a_malformed_language_in_a_script_or_translations_file_is_located(folder, capsys):
    (folder / "good.yaml").write_text(GOOD.replace("title: T\n", "title: T\nlanguage: en-US-u\n"))
    assert main(["validate", "good.yaml"]) == 2
    assert one_error_line(capsys) == ("good.yaml:2:11: language: language 'en-US-u' is not a BCP 47 tag such as "
                                      "en, fr, pt-BR, zh-Hant, ja: the subtag 'u' must be followed by something")
    (folder / "good.yaml").write_text(GOOD)
    (folder / "fr.yaml").write_text("language: fr-FR-1996-1996\nlines: {}\n")
    assert main(["validate", "good.yaml", "--translation", "fr.yaml"]) == 2
    assert one_error_line(capsys) == ("fr.yaml:1:11: language: language must be a BCP 47 tag such as fr, pt-BR, "
                                      "zh-Hant: the variant '1996' is given twice")


@pytest.mark.parametrize("tag", ["azb", "en-US-POSIX", "de-1996", "sr-Latn-RS", "en-US-u-ca-gregory", "es-419"])
def test_well_formed_tags_pass_whether_or_not_they_are_registered(tag):
    from storyboard.translations import checked_tag

    assert checked_tag(tag, "--lang").lower() == tag.lower()


def test_a_language_s_name_where_its_tag_belongs_is_answered_with_the_tag(folder, capsys):
    # `--lang Spanish`, `language: English`: the writer knows the language, not its tag
    assert main(["render", "good.yaml", "-o", "x.pdf", "--lang", "Spanish"]) == 2
    assert one_error_line(capsys) == ("error: --lang 'Spanish' is not a BCP 47 tag such as de, pt-BR, zh-Hant "
                                      "(Spanish is 'es')")
    assert main(["translations", "template", "good.yaml", "--lang", "brazilian  portuguese"]) == 2
    assert one_error_line(capsys).endswith("(brazilian portuguese is 'pt-BR')")
    (folder / "good.yaml").write_text(GOOD.replace("title: T\n", "title: T\nlanguage: English\n"))
    assert main(["validate", "good.yaml"]) == 2
    assert one_error_line(capsys) == ("good.yaml:2:11: language: language 'English' is not a BCP 47 tag such as "
                                      "en, fr, pt-BR, zh-Hant, ja (English is 'en')")
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


@pytest.mark.parametrize("command", [["render", "good.yaml", "-o", "x.pdf"], ["validate", "good.yaml"]])
def test_a_lang_holding_a_newline_is_quoted_on_one_line(folder, capsys, command):
    # the tag was written as given: the message broke over two lines
    assert main([*command, "--lang", "fr\nx"]) == 2
    assert one_error_line(capsys).endswith("--lang 'fr\\nx' is not a BCP 47 tag such as de, pt-BR, zh-Hant")
