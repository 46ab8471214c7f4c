"""Translated editions: the template, located errors, and a French edition from a warm cache."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import storyboard
from storyboard.cli import main
from storyboard.errors import ScriptError
from storyboard.export import compose
from storyboard.layout import paginate
from storyboard.lettering import story_font
from storyboard.script import load_story
from storyboard.translations import load_translation

SCRIPT = """\
title: The Keeper
language: en
characters:
  mara: {description: a young woman}
scenes:
  - id: storm
    panels:
      - action: the lighthouse in a storm
        caption: Off the coast, 1953.
        sfx: [KRAKOOM]
      - action: mara at the door
        cast: [mara]
        dialogue:
          - mara: Someone has to keep the light burning.
          - mara: {text: Not tonight!, kind: shout}
"""
FRENCH = """\
language: fr
title: Le Gardien
lines:
  storm/1/caption: Au large des côtes, 1953.
  storm/1/sfx/1: KRAKOUM
  storm/2/dialogue/1: "Quelqu’un doit garder la lumière allumée, coûte que coûte, toute la nuit\u202f!"
  storm/2/dialogue/2: "Pas ce soir\u202f!"
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "keeper.yaml"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def test_template_lists_every_line_to_fill(script, capsys):
    assert main(["translations", "template", "--lang", "de", str(script)]) == 0
    assert capsys.readouterr().out == f"wrote {script.parent / 'translations' / 'keeper.de.yaml'}: 1 name and 4 lines to translate\n"
    written = (script.parent / "translations" / "keeper.de.yaml").read_text(encoding="utf-8")
    assert "language: de" in written
    for key in ("storm/1/caption", "storm/1/sfx/1", "storm/2/dialogue/1", "storm/2/dialogue/2"):
        assert f'{key}: ""' in written
    assert "# Someone has to keep the light burning." in written
    # the title is optional, so commented out; the line above says what leaving it so keeps
    assert ("# The edition's title (PDF and CBZ metadata, a storyboard sheet's header); uncomment to translate it:\n"
            '# title: "The Keeper"\n') in written
    assert main(["translations", "template", "--lang", "de", str(script)]) == 2  # no silent overwrite
    # An unfilled template is refused line by line, located.
    with pytest.raises(ScriptError) as err:
        load_translation(script.parent / "translations" / "keeper.de.yaml", load_story(script))
    name, *lines = err.value.problems
    assert name.path == "characters.mara" and name.message == "the name is empty"
    assert len(lines) == 4 and all("translation is empty" in p.message for p in lines)


def test_help_names_both_actions(capsys):
    # `storyboard --help` once named only the template, hiding `update` from a writer whose script changed
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "or bring one up to a script that changed" in " ".join(capsys.readouterr().out.split())


def test_no_template_into_the_story_s_own_language(script, capsys):
    # --lang en of a story in English reads no translations file: a template would never be read
    assert main(["translations", "template", "--lang", "EN", str(script)]) == 2
    assert capsys.readouterr().err.strip().endswith(
        f"{script}: the story is written in en (language: en); a template translates it into another language")
    assert not (script.parent / "translations").exists()


def test_template_never_replaces_the_script_it_translates(script, capsys):
    # --force is for an old template; written over the script, the story itself was lost.
    for output in (str(script), str(script.parent / "." / script.name)):
        assert main(["translations", "template", "--lang", "fr", str(script), "-o", output, "--force"]) == 2
        assert capsys.readouterr().err.strip() == f"error: cannot write {output}: it is the script the template translates"
    assert script.read_text(encoding="utf-8") == SCRIPT


def test_template_does_not_hide_a_filled_shared_file(script, capsys):
    shared = script.parent / "translations" / "fr.yaml"
    shared.parent.mkdir()
    shared.write_text(FRENCH, encoding="utf-8")
    own = script.parent / "translations" / "keeper.fr.yaml"
    assert main(["translations", "template", "--lang", "fr", str(script)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "translates this script" in err and "--force" in err and not own.exists()
    assert main(["translations", "template", "--lang", "fr", "--force", str(script)]) == 0
    assert own.is_file() and shared.read_text(encoding="utf-8") == FRENCH


def test_missing_and_extra_lines_are_located_errors(script, tmp_path):
    bad = tmp_path / "fr.yaml"
    bad.write_text(FRENCH.replace("  storm/1/sfx/1: KRAKOUM\n", "  storm/9/sfx/1: BOUM\n"), encoding="utf-8")
    with pytest.raises(ScriptError) as err:
        load_translation(bad, load_story(script))
    text = str(err.value)
    assert f"{bad}:5:3: lines.'storm/9/sfx/1': no line 'storm/9/sfx/1' in the script" in text
    assert "missing translation of storm/1/sfx/1 ('KRAKOOM')" in text
    assert all(p.file == str(bad) and p.line > 0 for p in err.value.problems)
    # A translation no font can letter is refused, located, before any panel is drawn.
    bad.write_text(FRENCH.replace("KRAKOUM", "ब्रूम"), encoding="utf-8")
    with pytest.raises(ScriptError) as err:
        load_translation(bad, load_story(script))
    assert str(err.value).splitlines() == [  # one line for the line, naming each letter once
        f"{bad}:5:18: lines.'storm/1/sfx/1': no font in the chain draws 'ब' (U+092C), 'र' (U+0930), 'म' (U+092E)"]


def test_validate_refuses_what_render_lang_would_refuse(script, capsys):
    # validate takes --lang and --translation, so a broken translations file is found
    # without a render; the edition in the script's own language reads no file.
    (script.parent / "translations").mkdir()
    (script.parent / "translations" / "fr.yaml").write_text(FRENCH.replace("  storm/1/sfx/1: KRAKOUM\n", ""),
                                                          encoding="utf-8")
    assert main(["validate", "--lang", "fr", str(script)]) == 2
    assert "fr.yaml:3:1: lines: missing translation of storm/1/sfx/1 ('KRAKOOM')" in capsys.readouterr().err
    assert main(["validate", "--lang", "en", str(script)]) == 0
    assert main(["validate", "--lang", "de", str(script)]) == 2
    assert "de.yaml:1:1: file: no such translations file" in capsys.readouterr().err
    (script.parent / "translations" / "fr.yaml").write_text(FRENCH, encoding="utf-8")
    assert main(["validate", "--lang", "fr", str(script)]) == 0
    assert main(["validate", "--lang", "de", "--translation", str(script.parent / "translations" / "fr.yaml"),
                 str(script)]) == 2
    assert "--lang de but " in capsys.readouterr().err
    for tag in ("en us", "../../etc/passwd"):  # a tag, never a path
        assert main(["validate", "--lang", tag, str(script)]) == 2
        assert f"--lang '{tag}' is not a BCP 47 tag" in capsys.readouterr().err
        assert main(["render", "--engine", "draft", "--lang", tag, str(script), "-o", str(script.parent / "x.pdf")]) == 2
        assert f"error: --lang '{tag}' is not a BCP 47 tag" in capsys.readouterr().err



def test_an_edition_asked_for_in_python_takes_a_tag_never_a_path(script):
    # `translations.edition` turns the tag into a file name: the check every caller
    # (render, watch, validate, batch) relies on is its own, not only the command line's.
    from storyboard import translations
    from storyboard.errors import StoryboardError

    (script.parent / "translations").mkdir()
    (script.parent / "fr.yaml").write_text(FRENCH, encoding="utf-8")  # what '../fr' would name
    story = load_story(script)
    with pytest.raises(StoryboardError, match=r"language='\.\./fr' is not a BCP 47 tag"):
        translations.edition(story, "../fr")
    assert translations.edition(story, "EN") is story  # the script's own language, in any case

@pytest.mark.slow
def test_french_edition_reuses_every_cached_panel_and_fits_its_balloons(script, tmp_path):
    (script.parent / "translations").mkdir()
    (script.parent / "translations" / "fr.yaml").write_text(FRENCH, encoding="utf-8")
    cache = tmp_path / "cache"
    first = storyboard.render(load_story(script), engine="draft", out=tmp_path / "en.pdf", cache=cache)
    assert first.panels_generated == 2
    french = load_translation(script.parent / "translations" / "fr.yaml", load_story(script))
    out = tmp_path / "keeper.fr.pdf"
    again = storyboard.render(french, engine="draft", out=[out, tmp_path / "keeper.fr.cbz"], cache=cache)
    assert again.panels_generated == 0 and again.panels_cached == 2
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Pas ce soir !" in text and "KRAKOUM" in text and "Someone" not in text
    # pdftotext writes its own spaces; the text layer itself keeps the narrow no-break space.
    from pypdf import PdfReader

    assert "soir\u202f!" in PdfReader(out).pages[0].extract_text()
    assert b"/Lang (fr)" in out.read_bytes()
    import zipfile

    assert "<LanguageISO>fr</LanguageISO>" in zipfile.ZipFile(tmp_path / "keeper.fr.cbz").read("ComicInfo.xml").decode()
    # The longer French lines never leave their balloons.
    book = paginate(french)
    for drawing in compose(french, book, story_font(french)):
        for item in drawing.items:
            if item.ellipse is None:
                continue
            cx, cy, a, b = item.ellipse
            for box in item.text_boxes:
                for x, y in ((box.x, box.y), (box.x1, box.y), (box.x, box.y1), (box.x1, box.y1)):
                    assert ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0 + 1e-6, (item.lines, box)


def test_cli_render_lang_names_the_output_by_language(script, tmp_path, monkeypatch):
    (script.parent / "translations").mkdir()
    (script.parent / "translations" / "fr.yaml").write_text(FRENCH.replace("  storm/1/caption: Au large des côtes, 1953.\n", ""),
                                                            encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "storyboard", "render", str(script), "--lang", "fr", "--engine", "draft",
                           "--no-cache"], capture_output=True, text=True)
    assert proc.returncode == 2 and "missing translation of storm/1/caption" in proc.stderr
    assert not list(tmp_path.glob("*.pdf"))


def test_validate_lists_every_character_no_font_draws(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("title: T\nscenes:\n  - panels:\n      - action: a room\n        caption: \"ok 東京 नमस्ते\"\n"
                    "        sfx: [\"𒀀\"]\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [  # every character at once, one line per text, in file order
        f"{path}:5:18: scenes[0].panels[0].caption: no font in the chain draws 'न' (U+0928), 'म' (U+092E), "
        "'स' (U+0938), 'त' (U+0924)",
        f"{path}:6:15: scenes[0].panels[0].sfx[0]: no font in the chain draws '𒀀' (U+12000)",
    ]


def test_a_text_in_a_script_no_font_has_is_one_line_in_validate_and_render(tmp_path, capsys):
    """A Hindi story: one located line per name, balloon and caption (each letter named once,
    at most eight, then how many more), not one per letter; render refuses the same lines."""
    from storyboard.render import render

    path = tmp_path / "hi.yaml"
    path.write_text("title: T\ngeneration: {engine: draft}\ncharacters: {ana: {description: x, name: \"अना\"}}\n"
                    "scenes:\n  - panels:\n      - action: a room\n        cast: [ana]\n"
                    "        dialogue: [{ana: \"नमस्ते नमस्ते\"}]\n"
                    "        caption: \"कखगघचछजझटठ\"\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}:3:42: characters.ana.name: no font in the chain draws 'अ' (U+0905), 'न' (U+0928), 'ा' (U+093E)",
        f"{path}:8:26: scenes[0].panels[0].dialogue[0].text: no font in the chain draws 'न' (U+0928), 'म' (U+092E), "
        "'स' (U+0938), 'त' (U+0924)",
        f"{path}:9:18: scenes[0].panels[0].caption: no font in the chain draws 'क' (U+0915), 'ख' (U+0916), "
        "'ग' (U+0917), 'घ' (U+0918), 'च' (U+091A), 'छ' (U+091B), 'ज' (U+091C), 'झ' (U+091D) and 2 more characters",
    ]
    with pytest.raises(ScriptError) as refused:
        render(path, out=tmp_path / "hi.pdf", cache=False)
    assert str(refused.value).splitlines() == err and not (tmp_path / "hi.pdf").exists()


def test_watch_follows_font_lists_and_the_translations_file(script, tmp_path):
    import argparse

    from storyboard.cli.watch import watched_files
    from storyboard.text.fonts import FONT_DIR

    (tmp_path / "mine.ttf").write_bytes((FONT_DIR / "NotoSans-Regular.ttf").read_bytes())
    script.write_text(SCRIPT.replace("language: en\n", "language: en\nstyle: {font: [mine.ttf, 'mine.ttf#0']}\n"),
                      encoding="utf-8")
    args = argparse.Namespace(lang="fr", translation=None)
    files = watched_files(script, None, args)
    assert tmp_path / "mine.ttf" in files and tmp_path / "translations" / "fr.yaml" in files


def test_watch_follows_the_translations_file_renamed_to_another_case(script, tmp_path, monkeypatch):
    # --lang finds translations/keeper.FR.yaml as well as keeper.fr.yaml: a watch that started on
    # one follows the file when it is renamed to the other case, and sees the edits made to it.
    import storyboard.cli.watch as watch
    from storyboard.cli import build_parser
    from storyboard.cli.render import translation_file

    first = tmp_path / "translations" / "keeper.fr.yaml"
    first.parent.mkdir()
    first.write_text(FRENCH, encoding="utf-8")
    renamed = first.with_name("keeper.FR.yaml")
    seen = []

    def render_once(args, executor=None, source=None):
        seen.append(translation_file(source, args).name)  # the file this render reads
        if len(seen) == 1:
            first.rename(renamed)
        elif len(seen) == 2:
            renamed.write_text(FRENCH.replace("KRAKOUM", "BOUM"), encoding="utf-8")
            stamp = renamed.stat().st_mtime_ns + 1_000_000_000  # a later save, whatever the clock's grain
            os.utime(renamed, ns=(stamp, stamp))
        else:
            raise KeyboardInterrupt
        return True

    polls = []

    def sleep(seconds):
        polls.append(seconds)
        assert len(polls) < 50, f"watch stopped following the file: {seen}"

    monkeypatch.setattr(watch, "render_once", render_once)
    monkeypatch.setattr(watch.time, "sleep", sleep)
    args = build_parser().parse_args(["watch", str(script), "--lang", "fr", "-o", str(tmp_path / "k.pdf")])
    with pytest.raises(KeyboardInterrupt):
        watch._watch(args, script, None, watch._stamp([script]), watch._load(args))
    assert seen == ["keeper.fr.yaml", "keeper.FR.yaml", "keeper.FR.yaml"]  # the first render, the rename, the edit


def test_each_script_of_a_folder_reads_its_own_translations_first(script, tmp_path, capsys):
    """`--lang fr` reads translations/STEM.fr.yaml, else the folder's translations/fr.yaml; a
    problem in the shared file says it was read as the shared file (it may translate another
    script), and a missing file names both places and the command that writes one."""
    other = tmp_path / "other.yaml"
    other.write_text(SCRIPT.replace("        sfx: [KRAKOOM]\n", ""), encoding="utf-8")
    shared, own = tmp_path / "translations" / "fr.yaml", tmp_path / "translations" / "other.fr.yaml"
    shared.parent.mkdir()
    shared.write_text(FRENCH, encoding="utf-8")  # the keeper's
    assert main(["validate", "--lang", "fr", str(script)]) == 0
    capsys.readouterr()
    assert main(["validate", "--lang", "fr", str(other)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{shared}:1:1: file: read for --lang fr as the folder's shared file, since there is no "
        "translations/other.fr.yaml (this script's own): if this file translates another script, write "
        f"translations/other.fr.yaml with `storyboard translations template --lang fr {other}`",
        f"{shared}:5:3: lines.'storm/1/sfx/1': no line 'storm/1/sfx/1' in the script",
    ]
    assert main(["translations", "template", "--lang", "fr", str(other)]) == 0
    assert capsys.readouterr().out == f"wrote {own}: 1 name and 3 lines to translate\n"
    own.write_text(FRENCH.replace("  storm/1/sfx/1: KRAKOUM\n", ""), encoding="utf-8")
    assert main(["validate", "--lang", "fr", str(other)]) == 0
    from storyboard.translations import default_path

    assert default_path(load_story(other), "fr") == own and default_path(load_story(script), "fr") == shared
    capsys.readouterr()
    assert main(["validate", "--lang", "de", str(script)]) == 2
    assert capsys.readouterr().err == (
        f"{tmp_path / 'translations' / 'keeper.de.yaml'}:1:1: file: no such translations file, nor "
        "translations/de.yaml shared by the folder's scripts: write translations/keeper.de.yaml with "
        f"`storyboard translations template --lang de {script}`\n")


def test_examples_each_read_their_own_edition():
    """lighthouse and tategaki share examples/: tategaki's English edition is its own file, so
    `--lang en` of lighthouse says its file is missing instead of reading tategaki's lines."""
    from pathlib import Path

    from storyboard.translations import load_edition

    examples = Path(__file__).resolve().parents[2] / "examples"
    assert load_edition(load_story(examples / "tategaki.yaml"), "en").title == "The Lighthouse Keeper"
    with pytest.raises(ScriptError) as err:
        load_edition(load_story(examples / "lighthouse.yaml"), "en")
    assert [p.file for p in err.value.problems] == [str(examples / "translations" / "lighthouse.en.yaml")]
    assert err.value.problems[0].message.startswith("no such translations file, nor translations/en.yaml")


def test_a_misspelt_key_or_a_number_reads_as_in_a_script(script, tmp_path, capsys):
    """The mistakes a translator makes are located as a script's are: a misspelt top-level key
    gets the closest name and `required key missing` (not one `missing translation` line per
    line of the script), a number is the text it was written as, `true` is not text, and a
    file in another language than `--lang` asks is located at its `language:`."""
    bad, story = tmp_path / "de.yaml", load_story(script)
    bad.write_text(FRENCH.replace("lines:", "linez:"), encoding="utf-8")
    with pytest.raises(ScriptError) as err:
        load_translation(bad, story)
    assert [str(p) for p in err.value.problems] == [
        f"{bad}:1:1: lines: required key missing",
        f"{bad}:3:1: linez: unknown key 'linez' (did you mean 'lines'?)"]
    bad.write_text(FRENCH.replace("language: fr", "langage: fr"), encoding="utf-8")
    with pytest.raises(ScriptError) as err:
        load_translation(bad, story)
    assert [p.message for p in err.value.problems] == ["unknown key 'langage' (did you mean 'language'?)",
                                                       "required key missing"]
    numbers = FRENCH.replace("Au large des côtes, 1953.", "3.10").replace("KRAKOUM", "007")
    bad.write_text(numbers.replace("title: Le Gardien", "title: 1984"), encoding="utf-8")
    edition = load_translation(bad, story)
    assert (edition.title, edition.scenes[0].panels[0].caption, edition.scenes[0].panels[0].sfx) == (
        "1984", "3.10", ["007"])
    bad.write_text(FRENCH.replace("KRAKOUM", "true"), encoding="utf-8")
    with pytest.raises(ScriptError) as err:
        load_translation(bad, story)
    assert str(err.value.problems[0]) == (f"{bad}:5:18: lines.'storm/1/sfx/1': the translation must be text "
                                          "(put it in quotes)")
    bad.write_text(FRENCH, encoding="utf-8")
    assert main(["render", "--engine", "draft", "--lang", "de", "--translation", str(bad), str(script),
                 "-o", str(tmp_path / "x.pdf")]) == 2
    assert capsys.readouterr().err == f"{bad}:1:11: language: --lang de but this file is a translation into fr\n"
    assert not (tmp_path / "x.pdf").exists()


def test_language_tags_are_put_in_their_canonical_case():
    from storyboard.translations import canonical_tag

    cases = {"en-us": "en-US", "EN-US": "en-US", "zh-hant": "zh-Hant", "SR-LATN-rs": "sr-Latn-RS",
             "es-419": "es-419", "de-ch-1996": "de-CH-1996", "az-LATN-X-LATN": "az-Latn-x-latn",
             "en-a-bb-x-yy": "en-a-bb-x-yy", "iw": "iw", "ja": "ja"}
    assert {tag: canonical_tag(tag) for tag in cases} == cases


def test_lang_finds_its_file_whatever_the_case(script, tmp_path, monkeypatch, capsys):
    """Language tags are case-insensitive: `--lang pt-br` and `--lang PT-BR` are `pt-BR`, for the
    template's name, the file render reads (an older file spelt `pt-br` included) and the
    edition's output name; two files that differ only in the case of the tag are refused."""
    brazil = FRENCH.replace("language: fr", "language: pt-br")
    assert main(["translations", "template", "--lang", "PT-br", str(script)]) == 0
    written = tmp_path / "translations" / "keeper.pt-BR.yaml"
    assert capsys.readouterr().out.startswith(f"wrote {written}:") and "\nlanguage: pt-BR\n" in written.read_text()
    older = tmp_path / "translations" / "keeper.pt-br.yaml"  # as an older version wrote --lang pt-br
    written.rename(older)
    older.write_text(brazil, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["render", str(script), "--lang", "PT-BR", "--engine", "draft", "--no-cache"]) == 0
    assert (tmp_path / "keeper.pt-BR.pdf").is_file()
    assert main(["translations", "template", "--lang", "pt-BR", str(script)]) == 2  # the older file is this one
    assert capsys.readouterr().err == f"error: {older} exists; pass --force to overwrite it\n"

    written.write_text(brazil, encoding="utf-8")
    for command in (["validate"], ["render", "--engine", "draft", "--no-cache", "-o", str(tmp_path / "two.pdf")],
                    ["translations", "template", "--force"]):
        capsys.readouterr()
        assert main([*command, "--lang", "pt-br", str(script)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{written} and {older} differ only in case" in err, err
    assert not (tmp_path / "two.pdf").exists() and older.read_text(encoding="utf-8") == brazil

    written.unlink()
    older.unlink()
    (tmp_path / "translations" / "PT-BR.yaml").write_text(brazil, encoding="utf-8")  # the folder's shared file
    assert main(["validate", "--lang", "pt-BR", str(script)]) == 0
    assert main(["validate", "--lang", "EN", str(script)]) == 0  # the script's own language: no file


def test_the_scripts_own_language_takes_its_canonical_case_too(script, tmp_path):
    import zipfile

    script.write_text(SCRIPT.replace("language: en", "language: EN-us"), encoding="utf-8")
    assert load_story(script).language == "en-US"
    storyboard.render(script, engine="draft", out=tmp_path / "k.cbz", cache=False)
    assert "<LanguageISO>en-US</LanguageISO>" in zipfile.ZipFile(tmp_path / "k.cbz").read("ComicInfo.xml").decode()


def test_a_translations_file_linked_outside_the_scripts_folder_is_refused_unread(script, tmp_path, capsys):
    # Scripts are untrusted: translations/STEM.LANG.yaml comes with one, so a link from it to
    # any file must not be read (nor quoted in an error), as a reference image's would not be.
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    secret = outside / "config.yaml"
    secret.write_text(FRENCH.replace("lines:", "lines:\n  TOPSECRET: x"), encoding="utf-8")
    (tmp_path / "translations").mkdir()
    link = tmp_path / "translations" / "keeper.fr.yaml"
    link.symlink_to(secret)
    assert main(["validate", "--lang", "fr", str(script)]) == 2
    err = capsys.readouterr().err
    assert err == (f"{link}:1:1: file: lies outside the script's folder (a link); allow its folder with "
                   "--allow-path DIR (or STORYBOARD_ALLOW_PATHS)\n")
    assert main(["validate", "--lang", "fr", "--allow-path", str(outside), str(script)]) == 2  # allowed: read
    assert "TOPSECRET" in capsys.readouterr().err


def test_render_in_python_letters_the_edition_a_tag_or_a_file_asks_for(script, tmp_path):
    # `render(..., language=)` is `storyboard render --lang` (and batch's `language=`): the
    # edition from the script's translations file; `translation=` names the file.
    (script.parent / "translations").mkdir()
    (script.parent / "translations" / "keeper.fr.yaml").write_text(FRENCH, encoding="utf-8")
    by_tag = tmp_path / "by-tag.pdf"
    storyboard.render(script, engine="draft", out=by_tag, cache=False, language="FR")
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(FRENCH.replace("KRAKOUM", "BRAOUM"), encoding="utf-8")
    by_file = tmp_path / "by-file.pdf"
    storyboard.render(load_story(script), engine="draft", out=by_file, cache=False, translation=elsewhere)
    for out, sfx in ((by_tag, "KRAKOUM"), (by_file, "BRAOUM")):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert sfx in text and "Au large" in text and "Someone" not in text
        assert b"/Lang (fr)" in out.read_bytes()
    # A translations file with problems is refused, located in it, before anything is written.
    (script.parent / "translations" / "keeper.de.yaml").write_text("language: de\nlines: {}\n", encoding="utf-8")
    with pytest.raises(ScriptError, match="keeper.de.yaml:.*missing translation of storm/1/caption"):
        storyboard.render(script, engine="draft", out=tmp_path / "de.pdf", cache=False, language="de")
    assert not (tmp_path / "de.pdf").exists()


def test_a_translation_obeys_the_scripts_length_bound(script, tmp_path, capsys):
    # 5,000 letters passed validate and took the lettering 45 s (a 2 MiB file: hours); the
    # script refuses more than 1,500 in one piece, so its translation does too, located.
    (script.parent / "translations").mkdir()
    long = FRENCH.replace("KRAKOUM", "a" * 1501)
    (script.parent / "translations" / "keeper.fr.yaml").write_text(long, encoding="utf-8")
    assert main(["validate", "--lang", "fr", str(script)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{script.parent}/translations/keeper.fr.yaml:5:18: lines.'storm/1/sfx/1': 1501 characters: "
        "at most 1500 are lettered in one piece; split it across lines or panels"]
    assert main(["render", "--engine", "draft", "--lang", "fr", str(script), "-o", str(tmp_path / "x.pdf")]) == 2
    assert not (tmp_path / "x.pdf").exists()


def test_validate_says_which_translations_file_it_checked(script, capsys):
    # `--lang fr` reads the script's own file, else the folder's shared one: the ok line names it
    (script.parent / "translations").mkdir()
    shared = script.parent / "translations" / "fr.yaml"
    shared.write_text(FRENCH, encoding="utf-8")
    assert main(["validate", "--lang", "fr", str(script)]) == 0
    assert capsys.readouterr().out == f"ok: {script} (1 scene, 2 panels, 1 character; fr edition, {shared})\n"
    assert main(["validate", "--lang", "en", str(script)]) == 0  # its own language: no file read
    assert capsys.readouterr().out == f"ok: {script} (1 scene, 2 panels, 1 character)\n"


def test_an_empty_title_is_said_to_be_empty(script, tmp_path):
    # `title: ""` is text: "title must be text" told the translator the wrong thing.
    story = load_story(script)
    bad = tmp_path / "fr.yaml"
    bad.write_text(FRENCH.replace("title: Le Gardien", 'title: ""'), encoding="utf-8")
    with pytest.raises(ScriptError) as err:
        load_translation(bad, story)
    assert [str(p) for p in err.value.problems] == [
        f"{bad}:2:8: title: the title is empty (leave the key out to keep the script's)"]
    bad.write_text(FRENCH.replace("title: Le Gardien\n", ""), encoding="utf-8")
    assert load_translation(bad, story).title == story.title


def _filled_template(script, capsys) -> str:
    """The German template of `script`, every name and line filled as 'DE: <source>'."""
    assert main(["translations", "template", "--lang", "de", str(script)]) == 0
    capsys.readouterr()
    path = script.parent / "translations" / "keeper.de.yaml"
    rows, out = path.read_text(encoding="utf-8").splitlines(), []
    for i, row in enumerate(rows):
        out.append(row.replace('""', f'"DE: {rows[i - 1].strip()[2:]}"') if row.endswith(': ""') else row)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_a_line_inserted_in_the_script_is_found_and_update_moves_each_translation_with_its_line(script, capsys):
    # Keys count lines: a line inserted before another gives that one's key to the new line, so
    # the edition would letter Mara's translated line in the new balloon. validate says why a
    # line is missing; `translations update` moves each translation with its line.
    path = _filled_template(script, capsys)
    assert main(["validate", "--lang", "de", str(script)]) == 0
    script.write_text(SCRIPT.replace("          - mara: Someone", "          - mara: Wait.\n          - mara: Someone"),
                      encoding="utf-8")
    assert main(["validate", "--lang", "de", str(script)]) == 2
    err = capsys.readouterr().err
    assert "lines: missing translation of storm/2/dialogue/3 ('Not tonight!')" in err
    assert (f"{path}:16:3: lines.'storm/2/dialogue/1': translates 'Someone has to keep the light burning.' (the note "
            "above it), but the script's line here is now 'Wait.': check it, or bring the file up to the script "
            f"with `storyboard translations update --lang de {script}`") in err
    assert main(["translations", "update", "--lang", "de", str(script)]) == 0
    assert capsys.readouterr().out == f"updated {path}: 4 lines kept (2 moved with their line), 1 to translate\n"
    lines = load_story_yaml(path)["lines"]
    assert lines["storm/2/dialogue/1"] == ""
    assert lines["storm/2/dialogue/2"] == "DE: Someone has to keep the light burning."
    assert lines["storm/2/dialogue/3"] == "DE: Not tonight!"
    assert lines["storm/1/sfx/1"] == "DE: KRAKOOM" and load_story_yaml(path)["characters"]["mara"] == "DE: mara"
    path.write_text(path.read_text(encoding="utf-8").replace('dialogue/1: ""', 'dialogue/1: "Warte."'), encoding="utf-8")
    assert main(["validate", "--lang", "de", str(script)]) == 0
    assert capsys.readouterr().err == ""


def test_a_rewritten_line_is_warned_and_update_leaves_it_to_translate_again(script, tmp_path, capsys):
    path = _filled_template(script, capsys)
    # a translator's own note between the source and the key is no change of the source
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  storm/1/sfx/1:", "  # keep it loud\n  storm/1/sfx/1:"), encoding="utf-8")
    script.write_text(SCRIPT.replace("Off the coast, 1953.", "Off the coast of Maine, 1953."), encoding="utf-8")
    assert main(["validate", "--lang", "de", str(script)]) == 0  # a warning: a fixed typo may need no new translation
    warning = (f"{path}:12:3: lines.'storm/1/caption': translates 'Off the coast, 1953.' (the note above it), but the "
               "script's line here is now 'Off the coast of Maine, 1953.': check it")
    assert capsys.readouterr().err.startswith(warning)
    result = storyboard.render(script, engine="draft", out=tmp_path / "de.pdf", cache=False, language="de")
    assert any(w.startswith(warning) for w in result.warnings)
    assert main(["translations", "update", "--lang", "de", str(script)]) == 0
    assert capsys.readouterr().out == (f"updated {path}: 3 lines kept, 1 to translate (1 changed, the old text noted "
                                       "above each)\n")
    text = path.read_text(encoding="utf-8")
    assert ('  # was "Off the coast, 1953.": "DE: Off the coast, 1953."\n  # Off the coast of Maine, 1953.\n'
            '  storm/1/caption: ""\n') in text
    assert '  # keep it loud\n  # KRAKOOM\n  storm/1/sfx/1: "DE: KRAKOOM"\n' in text  # the translator's note kept
    assert main(["translations", "update", "--lang", "fr", str(script)]) == 2  # nothing to update
    assert "no such translations file: write one with `storyboard translations template --lang fr" in capsys.readouterr().err


def load_story_yaml(path):
    from storyboard import _yaml

    return _yaml.parse(path.read_text(encoding="utf-8")).data


def test_update_drops_the_translations_of_removed_lines(script, capsys):
    path = _filled_template(script, capsys)
    script.write_text(SCRIPT.replace("          - mara: Someone has to keep the light burning.\n", ""), encoding="utf-8")
    assert main(["translations", "update", "--lang", "de", str(script)]) == 0
    assert capsys.readouterr().out == (f"updated {path}: 3 lines kept (1 moved with their line), nothing to translate, "
                                       "1 translation of lines the script no longer has dropped\n")
    assert load_story_yaml(path)["lines"]["storm/2/dialogue/1"] == "DE: Not tonight!"
    assert main(["validate", "--lang", "de", str(script)]) == 0 and capsys.readouterr().err == ""


def test_update_of_a_folder_or_a_named_file_that_is_not_there(script, tmp_path, capsys):
    # a folder was 'no such translations file'; a missing --translation FILE was told to run the
    # template, which writes another file unless told `-o FILE`
    assert main(["translations", "update", "--lang", "de", str(script), "--translation", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path} is a folder: name the translations file to update\n"
    named = tmp_path / "de.yaml"
    assert main(["translations", "update", "--lang", "de", str(script), "--translation", str(named)]) == 2
    assert capsys.readouterr().err == (f"error: {named}: no such translations file: write one with `storyboard "
                                       f"translations template --lang de -o {named} {script}`\n")


def test_a_renamed_scene_points_at_update_which_moves_every_translation(script, capsys):
    path = _filled_template(script, capsys)
    script.write_text(SCRIPT.replace("  - id: storm", "  - id: gale"), encoding="utf-8")
    assert main(["validate", "--lang", "de", str(script)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("lines: missing translation of gale/1/caption ('Off the coast, 1953.'): the script changed? "
                           f"`storyboard translations update --lang de {script}` moves each translation with its line")
    assert sum("translations update" in line for line in err) == 1  # said once
    assert main(["translations", "update", "--lang", "de", str(script)]) == 0
    assert capsys.readouterr().out == f"updated {path}: 4 lines kept (4 moved with their line), nothing to translate\n"
    assert main(["validate", "--lang", "de", str(script)]) == 0


def test_a_story_without_words_gets_a_template_its_render_reads(script, tmp_path, capsys):
    # the template wrote `lines:` (null) and the render refused it: "lines must map each line's key"
    silent = tmp_path / "silent.yaml"
    silent.write_text("title: T\ngeneration: {engine: draft}\nscenes: [{panels: [{action: a cat sleeps}]}]\n")
    assert main(["translations", "template", "--lang", "fr", str(silent)]) == 0
    assert main(["render", "--lang", "fr", str(silent), "-o", str(tmp_path / "silent.fr.pdf")]) == 0
    (tmp_path / "translations" / "silent.fr.yaml").write_text("language: fr\nlines:\n")  # left empty by hand
    assert main(["validate", "--lang", "fr", str(silent)]) == 0
    # a story with lines: each missing one is named, not "lines must map ..."
    (tmp_path / "translations" / "keeper.fr.yaml").write_text("language: fr\nlines:\n")
    capsys.readouterr()
    assert main(["validate", "--lang", "fr", str(script)]) == 2
    assert f"{tmp_path}/translations/keeper.fr.yaml:2:1: lines: missing translation of storm/1/caption" in capsys.readouterr().err
