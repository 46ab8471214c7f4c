"""Fountain import: every element type lands where the mapping says, and the script validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard.cli import main
from storyboard.script import load_story

pytest.importorskip("screenplain")
SAMPLE = Path(__file__).with_name("sample.fountain")


@pytest.fixture
def imported(tmp_path) -> tuple[Path, str]:
    out = tmp_path / "vault.yaml"
    assert main(["import", str(SAMPLE), "-o", str(out)]) == 0
    return out, out.read_text()


def test_structure(imported):
    path, text = imported
    story = load_story(path)
    assert story.title == "The Vault" and story.author == "R. Writer"
    assert story.page.size == "storyboard" and story.generation.engine == "draft"
    assert [s.id for s in story.scenes] == ["1", "vault-corridor", "ext-rooftop-night"]
    assert story.scenes[0].setting == "bank lobby, interior, day"
    assert [len(s.panels) for s in story.scenes] == [2, 1, 2]
    assert set(story.characters) == {"vic", "lou", "brick", "mcclane"}  # the narrator is only heard
    # how Vic looks, from the parentheses of his introduction: every panel casting him prompts it
    # (it was the whole sentence: "... walks through the revolving door." in each of his panels)
    assert story.characters["vic"].description == "Vic, in their 40s, grey suit, calm"
    assert "# introduced: VIC (40s, grey suit, calm) walks through the revolving door." in text
    assert story.characters["mcclane"].name == "McCLANE"  # @ forces a character with lower case
    assert story.characters["lou"].description == "Lou"  # never introduced in capitals: the name


def test_shots_kinds_and_voices(imported):
    story = load_story(imported[0])
    first, watch = story.scenes[0].panels
    assert first.shot == "wide" and watch.shot == "close-up"
    assert story.scenes[1].panels[0].shot == "close-up"  # INSERT
    assert [(d.speaker, d.kind) for d in first.dialogue] == [("vic", "speech"), ("lou", "whisper")]
    # LOU (O.S.) is heard, not seen: not drawn in the panel, the tail points out of the frame
    assert first.cast_ids == ["vic"] and "lou" in story.characters
    assert [(d.speaker, d.kind, d.text) for d in watch.dialogue] == [
        ("vic", "shout", "Everybody down!"), ("vic", "speech", "Nobody gets hurt."),
        ("narration", "speech", "Narrator: They had exactly one minute.")]


def test_an_off_screen_speaker_on_screen_in_the_panel_speaks_off(tmp_path):
    play = tmp_path / "p.fountain"
    play.write_text("INT. KITCHEN - NIGHT\n\nSAM opens the fridge.\n\nSAM\nJust one slice.\n\n"
                    "MUM (O.S.)\nSamuel!\n\nSAM (O.C.)\n(whispering)\nComing!\n")
    assert main(["import", str(play), "-o", str(tmp_path / "p.yaml")]) == 0
    panel = load_story(tmp_path / "p.yaml").scenes[0].panels[0]
    assert panel.cast_ids == ["sam"]
    assert [(d.speaker, d.kind, d.off) for d in panel.dialogue] == [
        ("sam", "speech", False), ("mum", "speech", False), ("sam", "whisper", True)]


def test_dual_dialogue_page_break_centred_forced(imported):
    story = load_story(imported[0])
    corridor = story.scenes[1].panels[0]
    assert corridor.cast_ids == ["brick", "lou"] and [d.text for d in corridor.dialogue] == [
        "This is taking too long.", "Patience."]
    roof, end = story.scenes[2].panels
    assert roof.new_page and roof.action.startswith("SIREN wails")  # ! forces action
    assert end.caption == "THE END"


def test_comments_keep_notes_sections_transitions_and_drop_the_boneyard(imported):
    text = imported[1]
    for kept in ("# # ACT ONE", "# = The crew meets.", "# [[Lou is hidden behind a pillar.]]", "# CUT TO:"):
        assert kept in text
    assert "Nobody talks" not in text and "INT. CAR" not in text


def test_imported_script_renders_as_a_storyboard_sheet(imported, tmp_path):
    path, _ = imported
    assert main(["render", str(path), "-o", str(tmp_path / "v.pdf"), "--cache", str(tmp_path / "c")]) == 0
    assert (tmp_path / "v.pdf").stat().st_size > 1000


def test_refuses_to_overwrite_and_bad_inputs(tmp_path, capsys):
    out = tmp_path / "x.yaml"
    out.write_text("mine")
    assert main(["import", str(SAMPLE), "-o", str(out)]) == 2
    assert out.read_text() == "mine" and "--force" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.fountain"), "-o", str(tmp_path / "y.yaml")]) != 0
    (tmp_path / "bin.fountain").write_bytes(b"\xff\xfe\x00bad")
    assert main(["import", str(tmp_path / "bin.fountain"), "-o", str(tmp_path / "z.yaml")]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2
    assert not (tmp_path / "y.yaml").exists() and not (tmp_path / "z.yaml").exists()


def test_a_screenplay_with_no_scene_heading_and_no_title_page(tmp_path):
    source = tmp_path / "bare.fountain"
    source.write_text("A door opens.\n\nANA\nHello?\n")
    assert main(["import", str(source), "-o", str(tmp_path / "bare.yaml")]) == 0
    story = load_story(tmp_path / "bare.yaml")
    assert story.title == "bare" and story.scenes[0].panels[0].dialogue[0].text == "Hello?"


def test_an_empty_screenplay_is_refused(tmp_path, capsys):
    source = tmp_path / "empty.fountain"
    source.write_text("Title: Nothing\n\n")
    assert main(["import", str(source), "-o", str(tmp_path / "e.yaml")]) == 2
    assert "no action or dialogue" in capsys.readouterr().err and not (tmp_path / "e.yaml").exists()


def test_an_output_that_is_no_yaml_or_a_binary_screenplay_is_refused(tmp_path, capsys):
    assert main(["import", str(SAMPLE), "-o", str(tmp_path / "vault.pdf")]) == 2
    assert "name it .yaml" in capsys.readouterr().err and not (tmp_path / "vault.pdf").exists()
    (tmp_path / "nul.fountain").write_bytes(b"INT. ROOM - DAY\n\nA \x00\x01 door.\n")
    assert main(["import", str(tmp_path / "nul.fountain"), "-o", str(tmp_path / "nul.yaml")]) == 2
    assert "not a text file" in capsys.readouterr().err and not (tmp_path / "nul.yaml").exists()


def test_ids_that_would_repeat_get_a_number():
    import yaml

    from storyboard.importers.fountain import import_fountain

    text = ("Title: Twice\n\nINT. KITCHEN - NIGHT\n\nMARY-ANN\nHello.\n\nMARY ANN\nWho?\n\n"
            "INT. KITCHEN - NIGHT\n\nNARRATION\nAgain.\n")
    data = yaml.safe_load(import_fountain(text))
    assert list(data["characters"]) == ["mary-ann", "mary-ann-2", "narrator"]  # `narration` is the caption voice
    assert [s["id"] for s in data["scenes"]] == ["int-kitchen-night", "int-kitchen-night-2"]


def test_the_characters_an_action_names_are_cast_after_its_speakers(tmp_path):
    """'Alex and Grandma sit on the porch steps' with only Grandma speaking drew Grandma alone;
    'GRANDMA (80s) stirs it slowly' with no line drew nobody."""
    play = tmp_path / "p.fountain"
    play.write_text("INT. KITCHEN - DAY\n\nSteam rises from a pot. GRANDMA (80s) stirs it slowly.\n\n"
                    "ALEX (16) enters.\n\nALEX\nHi Grandma!\n\nGRANDMA\nSit.\n\n"
                    "CLOSE ON the pot. Dad's keys lie beside it.\n\nDAD (O.S.)\nAlex! My keys!\n\n"
                    "EXT. BACKYARD - NIGHT\n\nAlex and Grandma sit on the steps. His grandma smiles.\n\n"
                    "GRANDMA\nYour grandfather planted that tree.\n")
    assert main(["import", str(play), "-o", str(tmp_path / "p.yaml")]) == 0
    story = load_story(tmp_path / "p.yaml")
    stir, enter, pot = story.scenes[0].panels
    (steps,) = story.scenes[1].panels
    assert stir.cast_ids == ["grandma"] and enter.cast_ids == ["alex", "grandma"]
    assert pot.cast_ids == []  # Dad is heard from outside the frame (O.S.), not drawn for his keys
    assert steps.cast_ids == ["grandma", "alex"]  # the speaker first: the first balloon's side
    assert story.characters["grandma"].description == "Grandma, in their 80s"
    assert story.characters["alex"].description == "Alex, 16 years old"


def test_a_character_introduced_without_parentheses_is_described_by_the_sentence(tmp_path):
    play = tmp_path / "p.fountain"
    play.write_text("INT. KITCHEN - NIGHT\n\nSAM opens the fridge.\n\nSAM\nJust one slice.\n")
    assert main(["import", str(play), "-o", str(tmp_path / "p.yaml")]) == 0
    assert load_story(tmp_path / "p.yaml").characters["sam"].description == "SAM opens the fridge."
    assert "# introduced" not in (tmp_path / "p.yaml").read_text()


def test_a_title_before_a_name_ends_no_sentence():
    # 'DR. NO (50s) enters.' was split after 'DR.': Dr. No got his bare name as a description,
    # and the next character introduced got 'NO (50s) and ...' as theirs.
    import yaml

    from storyboard.importers.fountain import import_fountain

    text = "INT. LAB - DAY\n\nDR. NO (50s, white coat) waits. MRS. PEEL (30s) enters.\n\nDR. NO\nYou came.\n\n" \
           "MRS. PEEL\nOf course.\n"
    characters = yaml.safe_load(import_fountain(text))["characters"]
    assert characters["dr-no"]["description"] == "Dr. No, in their 50s, white coat"
    assert characters["mrs-peel"]["description"] == "Mrs. Peel, in their 30s"


def test_a_hyphenated_or_apostrophed_name_is_written_as_a_name():
    # 'MARY-ANN' was named 'Mary-ann' (on tags and sheets), and so 'Mary-Ann waves.' (not the
    # name as written, nor in capitals) never cast her.
    import yaml

    from storyboard.importers.fountain import import_fountain

    text = "INT. HALL - DAY\n\nMary-Ann waves at O'Brien.\n\nO'BRIEN\nMorning.\n\nINT. HALL - LATER\n\n" \
           "Mary-Ann waves again.\n\nMARY-ANN\nHi!\n"
    data = yaml.safe_load(import_fountain(text))
    assert [c["name"] for c in data["characters"].values()] == ["O'Brien", "Mary-Ann"]
    waves = data["scenes"][0]["panels"][0]
    assert waves["cast"] == ["o-brien", "mary-ann"]


def test_an_extension_after_a_name_in_an_action_describes_no_looks():
    # 'VIC (O.S.) calls out.' described Vic as 'Vic, O.S.' in every prompt casting him.
    import yaml

    from storyboard.importers.fountain import import_fountain

    for intro in ("VIC (O.S.) calls out.", "VIC (CONT'D) waits.", "VIC ( ) waits."):
        characters = yaml.safe_load(import_fountain(f"INT. A - DAY\n\n{intro}\n\nVIC\nHi.\n"))["characters"]
        assert characters["vic"]["description"] == intro


def test_a_long_monologue_and_action_paragraph_import_as_lines_and_panels(tmp_path):
    # Over 1,500 characters (what a script letters in one piece), the imported script did not
    # validate: `import` refused, located in the script it had not written.
    sentence = "The storm has been howling over the harbour since the boats came in. "
    action, speech = (sentence * 30).strip(), (sentence * 25).strip() + " " + "x" * 1600
    source = tmp_path / "long.fountain"
    source.write_text(f"INT. LAMP ROOM - NIGHT\n\n{action}\n\nMARA\n{speech}\n")
    out = tmp_path / "long.yaml"
    assert main(["import", str(source), "-o", str(out)]) == 0
    story = load_story(out)
    panels = story.scenes[0].panels
    assert len(panels) == 2 and " ".join(p.action for p in panels) == action
    lines = [d.text for d in panels[-1].dialogue]
    assert len(lines) == 4 and all(len(t) <= 1500 for t in lines)
    assert "".join(lines).replace(" ", "") == speech.replace(" ", "")
    assert lines[0].endswith("came in.")  # cut after a sentence, not inside one


def test_escaped_emphasis_stays_and_a_note_leaves_no_space_before_punctuation():
    # screenplain reads `\*literal\*` as the text *literal*, which the importer then read as
    # emphasis again and dropped; `up [[a note]].` left `up .`
    import yaml

    from storyboard.importers.fountain import import_fountain

    text = ("Title: **Bold** _Title_\n\nINT. ROOM - DAY\n\nBob *really* stands up [[a note]].\n\n"
            "BOB\nI *love* this \\*literal\\* \\_word\\_ [[note two]]!\n")
    data = yaml.safe_load(import_fountain(text))
    panel = data["scenes"][0]["panels"][0]
    assert data["title"] == "Bold Title"
    assert panel["action"] == "Bob really stands up."
    assert panel["dialogue"] == [{"bob": "I love this *literal* _word_!"}]


def test_a_screenplay_too_long_for_one_script_says_so(tmp_path, capsys):
    # it said "big.yaml:1:1: file: the script is larger than 2 MiB", of a file it never wrote
    scenes = "".join(f"INT. ROOM {i} - DAY\n\nBob and Alice sit at table {i}.\n\nBOB\nLine number {i}, quite a long "
                     f"line of dialogue here.\n\nALICE\n(whispering)\nAnswer {i}.\n\n" for i in range(7000))
    (tmp_path / "big.fountain").write_text("Title: Big\n\n" + scenes)
    assert main(["import", str(tmp_path / "big.fountain"), "-o", str(tmp_path / "big.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'big.fountain'}: the script it makes would be 2.") and \
        err.endswith(" MiB, over the 2 MiB a script may be: split the screenplay\n")
    assert not (tmp_path / "big.yaml").exists()
