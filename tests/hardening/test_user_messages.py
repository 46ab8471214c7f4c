"""Messages a new user met in trials (session 3): each mistake gets one line that says what
happened and what to do, with the right exit status."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from storyboard import errors
from storyboard.cli import main
from tests.hardening.cli_mistakes import GOOD, one_error_line


@pytest.mark.parametrize("argv, hint", [
    (["rendr", "x.yaml"], "(did you mean 'render'? choose from validate, "),
    (["chek-lettering"], "(did you mean 'check-lettering'? choose from "),
    (["render", "good.yaml", "--engine", "drft"], "(did you mean 'draft'? choose from draft, diffusion)"),
    (["xyzzy"], "(choose from validate, "),  # nothing close: no guess
    # a choice in capitals, or by the name people give the format (PNG pages, a CBZ's ZIP)
    (["render", "good.yaml", "--format", "PDF"], "(did you mean 'pdf'? choose from pdf, cbz, pages, "),
    (["render", "good.yaml", "--format", "png"], "(did you mean 'pages'? choose from pdf, cbz, pages, "),
    (["batch", "good.yaml", "-o", "out", "--format", "zip"], "(did you mean 'cbz'? choose from pdf, cbz, pages, webtoon)"),
])
def test_a_mistyped_command_or_choice_names_the_closest(folder, capsys, argv, hint):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    assert hint in one_error_line(capsys)


def test_the_missing_extra_line_fits_how_storyboard_was_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(errors, "_source_checkout", lambda: None)
    assert str(errors.MissingExtraError("eval", "m")).endswith(": pip install 'storyboard-comics[eval]'")
    checkout = tmp_path / "my checkout"
    checkout.mkdir()
    monkeypatch.setattr(errors, "_source_checkout", lambda: checkout)
    monkeypatch.chdir(checkout)
    assert str(errors.MissingExtraError("eval", "m")).endswith(": pip install -e '.[eval]'")
    monkeypatch.chdir(tmp_path)  # elsewhere: the checkout's own path, quoted for the shell
    assert str(errors.MissingExtraError("ray", "m")).endswith(f": pip install -e '{checkout}[ray]'")


def test_an_editable_install_is_told_from_pips_record(tmp_path, monkeypatch):
    from importlib import metadata

    class Dist:
        def __init__(self, record):
            self.record = record

        def read_text(self, name):
            return self.record if name == "direct_url.json" else None

    for record, expected in [
        (json.dumps({"url": tmp_path.as_uri(), "dir_info": {"editable": True}}), tmp_path),
        (json.dumps({"url": tmp_path.as_uri(), "dir_info": {}}), None),  # `pip install .`: not editable
        (json.dumps({"url": "https://example.org/x.whl", "archive_info": {}}), None),
        (None, None),  # from an index: no record
    ]:
        monkeypatch.setattr(metadata, "distribution", lambda name, d=Dist(record): d)
        assert errors._source_checkout() == expected


def test_batch_of_one_file_given_twice_says_so(folder, capsys):
    assert main(["batch", "good.yaml", "./good.yaml", "-o", "out"]) == 2
    assert one_error_line(capsys) == "error: good.yaml is given twice: give each story once"
    (folder / "sub").mkdir()
    (folder / "sub" / "good.yaml").write_text(GOOD)  # two files, one name: still "rename one"
    assert main(["batch", "good.yaml", "sub/good.yaml", "-o", "out"]) == 2
    assert one_error_line(capsys) == "error: good.yaml and sub/good.yaml would both write good: rename one"
    (folder / "link.yaml").symlink_to("good.yaml")  # another name for the same story
    assert main(["batch", "good.yaml", "link.yaml", "-o", "out"]) == 2
    assert one_error_line(capsys) == "error: link.yaml is given twice (as good.yaml and link.yaml): give each story once"
    assert not (folder / "out").exists()


def test_batch_whose_failures_are_all_bad_input_exits_2(folder, capsys):
    (folder / "bad.yaml").write_text(GOOD.replace("dpi: 40", "dpi: -3"))
    assert main(["batch", "bad.yaml", "missing.yaml", "-o", "out", "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == 2
    assert main(["batch", "good.yaml", "-o", "out"]) == 0


def test_batch_status_is_2_only_when_every_failure_is_bad_input():
    from storyboard.batch import BatchResult, StoryOutcome

    def outcome(status):
        return StoryOutcome(Path("s.yaml"), Path("s.pdf"), result=None if status else object(), status=status)

    assert BatchResult([outcome(0), outcome(0)], 1.0).status == 0
    assert BatchResult([outcome(0), outcome(2), outcome(2)], 1.0).status == 2
    assert BatchResult([outcome(2), outcome(1)], 1.0).status == 1


def test_a_key_given_no_value_says_so_in_words(folder, capsys):
    (folder / "n.yaml").write_text(
        "title: T\npage: {reading: null, dpi: ~}\nscenes:\n  - panels:\n      - action: a\n        size:\n"
        "        cast: null\n      - {action: b, size: big}\n")
    assert main(["validate", "n.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "n.yaml:2:17: page.reading: the value is empty (null); use one of ltr, rtl",
        "n.yaml:2:28: page.dpi: the value is empty (null); it should be a valid integer",
        "n.yaml:6:9: scenes[0].panels[0].size: the value is empty (null); use one of small, normal, wide, tall, splash",
        "n.yaml:7:15: scenes[0].panels[0].cast: the value is empty (null); it should be a valid list",
        "n.yaml:8:27: scenes[0].panels[1].size: 'big' is not one of: small, normal, wide, tall, splash",
    ]


def test_one_item_where_a_list_belongs_shows_the_list(folder, capsys):
    (folder / "l.yaml").write_text("title: T\ncharacters: {ana: {description: x}}\nscenes:\n  - panels:\n"
                                   "      - {action: a, cast: ana, sfx: BOOM, dialogue: 'ana: hello'}\n")
    assert main(["validate", "l.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"l.yaml:5:{col}: scenes[0].panels[0].{key}: input should be a valid list: one item is a list too, "
        f"written {fix} (or as a '- ' line)"
        for key, col, fix in [("cast", 27, "[ana]"), ("sfx", 37, "[BOOM]"), ("dialogue", 53, "[ana: hello]")]]


@pytest.mark.parametrize("author, message", [
    ("[true, 3.10]", "true is not a name (YAML reads it as yes/no): put it in quotes if it is the name"),
    ('","', "',' is not a name: a name needs a letter or a digit"),
    ('[Ana, " - "]', "' - ' is not a name: a name needs a letter or a digit"),
    ('"  "', "'  ' is not a name: a name needs a letter or a digit"),
    ('[Ana, " "]', "' ' is not a name: a name needs a letter or a digit"),  # blank, in a list
    ('[Ana, ""]', "'' is not a name: a name needs a letter or a digit"),
])
def test_an_author_that_is_no_name_is_refused_located(folder, capsys, author, message):
    (folder / "a.yaml").write_text(GOOD.replace("title: T\n", f"title: T\nauthor: {author}\n"))
    assert main(["validate", "a.yaml"]) == 2
    assert one_error_line(capsys) == f"a.yaml:2:9: author: {message}"
    assert main(["render", "a.yaml", "-o", "a.cbz"]) == 2  # render refuses it the same way
    assert one_error_line(capsys) == f"a.yaml:2:9: author: {message}"
    assert not (folder / "a.cbz").exists()


def test_eval_with_a_face_model_folder_that_is_not_there_stops_at_once(folder, capsys, monkeypatch):
    monkeypatch.delenv("STORYBOARD_FACE_MODELS", raising=False)
    assert main(["eval", "good.yaml", "--face-models", "packs/buffalo"]) == 2
    assert one_error_line(capsys).startswith("error: --face-models 'packs/buffalo': no such folder (")
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]  # no report, no render


def test_eval_with_a_file_for_face_models_says_it_is_a_file(folder, capsys, monkeypatch):
    monkeypatch.delenv("STORYBOARD_FACE_MODELS", raising=False)
    assert main(["eval", "good.yaml", "--face-models", "good.yaml"]) == 2
    assert one_error_line(capsys).startswith("error: --face-models 'good.yaml': is a file, not a folder (")
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]  # no report, no render


@pytest.mark.parametrize("name, reason", [("missing.yaml", "no such file"), ("sub", "is a folder, not a regular file")])
def test_watch_of_a_script_that_is_not_there_stops_at_once(folder, capsys, name, reason):
    (folder / "sub").mkdir()
    assert main(["watch", name, "-o", "w.pdf"]) == 2  # without --once: it used to poll forever
    assert one_error_line(capsys) == f"{name}:1:1: file: {reason}"
    assert not (folder / "w.pdf").exists()


def test_watch_waits_for_a_script_deleted_while_watched(folder, capsys):
    from storyboard.cli import build_parser
    from storyboard.cli.watch import _load, _stamp, _watch

    args = build_parser().parse_args(["watch", "good.yaml", "-o", "w.pdf", "--once"])
    stamp, source = _stamp([Path("good.yaml")]), _load(args)
    (folder / "good.yaml").unlink()  # between two polls
    assert _watch(args, Path("good.yaml"), None, stamp, source) == 2
    assert one_error_line(capsys) == "good.yaml is gone: waiting for it to be saved again (Ctrl-C to stop)"


def test_models_of_a_draft_story_says_it_needs_no_weights(folder, capsys):
    assert main(["models", "good.yaml"]) == 0
    out = capsys.readouterr().out
    assert out == ("good.yaml renders with the draft engine (its generation.engine), which needs no model weights; "
                   "`storyboard models --engine diffusion good.yaml` lists what a diffusion render of it needs\n")
    assert main(["models", "good.yaml", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["models", "good.yaml", "--model", "x/y"]) == 2
    assert one_error_line(capsys).startswith("error: --model would not be used: the draft engine needs no model weights")


def test_models_engine_flag_lists_the_diffusion_weights_of_a_draft_story(folder, capsys, monkeypatch):
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setenv("HF_HUB_CACHE", str(folder / "hub"))  # empty: everything is missing
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(folder / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "good.yaml", "--engine", "diffusion", "--json"]) == 1
    assert [n["role"] for n in json.loads(capsys.readouterr().out)][0] == "base model"


@pytest.mark.parametrize("stop_at, line", [
    ("b.cbz", "interrupted: a.pdf is complete and kept; b.cbz, pages/ not written"),
    ("a.pdf", "interrupted: none of the outputs was written (a.pdf, b.cbz, pages/)"),
])
def test_ctrl_c_during_a_render_to_several_outputs_says_which_are_kept(folder, capsys, monkeypatch, stop_at, line):
    render_module = importlib.import_module("storyboard.render")

    export = render_module._export

    def interrupted_export(fmt, story, book, panels, path, *rest, **options):
        if path.name == stop_at:
            raise KeyboardInterrupt  # as Ctrl-C does, while this output is being written
        return export(fmt, story, book, panels, path, *rest, **options)

    monkeypatch.setattr(render_module, "_export", interrupted_export)
    assert main(["render", "good.yaml", "--no-cache", "-o", "a.pdf", "-o", "b.cbz", "-o", "pages/"]) == 130
    assert one_error_line(capsys) == line
    assert (folder / "a.pdf").exists() == (stop_at != "a.pdf")
    assert not (folder / "b.cbz").exists() and not (folder / "pages").exists()


def test_ctrl_c_before_a_single_output_is_written_says_only_interrupted(folder, capsys, monkeypatch):
    render_module = importlib.import_module("storyboard.render")

    def interrupted_export(*args, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(render_module, "_export", interrupted_export)
    assert main(["render", "good.yaml", "--no-cache", "-o", "a.pdf"]) == 130
    assert one_error_line(capsys) == "interrupted"


def test_an_abbreviated_option_is_refused_not_guessed(folder, capsys):
    # argparse's default would take `--engin` for `--engine`
    with pytest.raises(SystemExit) as exit:
        main(["render", "good.yaml", "--engin", "draft", "-o", "out.pdf"])
    assert exit.value.code == 2
    assert "unrecognized arguments: --engin draft" in one_error_line(capsys)
    assert not (folder / "out.pdf").exists()


@pytest.mark.parametrize("command", ["check-lettering", "eval"])
def test_checking_an_output_that_is_not_there_says_so(folder, capsys, command):
    assert main([command, "missing.pdf"]) == 2
    assert one_error_line(capsys).endswith("missing.pdf: no such file or folder")


def test_an_extra_argument_is_named_by_its_command(folder, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["render", "good.yaml", "extra.yaml", "-o", "out.pdf"])
    assert exit.value.code == 2
    assert one_error_line(capsys).startswith("storyboard render: error: unrecognized arguments: extra.yaml")


def test_an_unknown_option_before_the_command_is_the_main_commands(folder, capsys):
    with pytest.raises(SystemExit):
        main(["--verbos", "render", "good.yaml"])
    assert one_error_line(capsys).startswith("storyboard: error: unrecognized arguments: --verbos")


def test_cache_info_of_a_folder_that_is_not_there_says_so(folder, capsys):
    assert main(["cache", "info", "--cache", str(folder / "nowhere")]) == 0
    out = capsys.readouterr().out
    assert "0 panels" in out and "no such folder yet" in out
    assert not (folder / "nowhere").exists()


@pytest.mark.parametrize("lettering", [5, [1], {"x": 1}, None, "s", [{"kind": 3}]])
def test_check_lettering_of_a_hand_edited_report_is_one_line(folder, capsys, lettering):
    assert main(["render", "good.yaml", "-o", "out.pdf"]) == 0
    path = folder / "out.pdf.manifest.json"
    manifest = json.loads(path.read_text())
    manifest["panels"][0]["lettering"] = lettering
    path.write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["check-lettering", "out.pdf"]) == 2
    assert "lettering report" in one_error_line(capsys)


@pytest.mark.parametrize("body", ["[1]", '"x"'])
def test_eval_of_a_manifest_that_is_not_an_object_is_one_line(folder, capsys, body):
    (folder / "m.pdf").write_bytes(b"")
    (folder / "m.pdf.manifest.json").write_text(body)
    assert main(["eval", "m.pdf"]) == 2
    assert one_error_line(capsys).endswith("unreadable manifest (not a JSON object)")


@pytest.mark.parametrize("out, says", [
    ("w.txt", "error: unknown output format '.txt' for w.txt: use .pdf, .cbz, "),
    ("good.yaml/w.pdf", "error: cannot write good.yaml/w.pdf: good.yaml is a file, not a folder"),
])
def test_watch_with_an_output_no_render_can_write_stops_before_watching(folder, capsys, out, says):
    # no save of the script could fix the -o: it used to print the error on every save, watching on
    assert main(["watch", "good.yaml", "-o", out, "--once"]) == 2
    assert one_error_line(capsys).startswith(says)
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_watch_with_a_bad_lang_stops_before_watching(folder, capsys):
    assert main(["watch", "good.yaml", "--lang", "../x", "-o", "w.pdf"]) == 2  # said before "watching ..."
    assert one_error_line(capsys) == "error: --lang '../x' is not a BCP 47 tag such as de, pt-BR, zh-Hant"
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


@pytest.mark.parametrize("body", [b'{"panels": [', b"\xff\xfe junk"])
def test_check_lettering_of_a_damaged_manifest_says_so(folder, capsys, body):
    # not "has no lettering report": the file is not JSON at all (cut short, overwritten)
    assert main(["render", "good.yaml", "-o", "out.pdf"]) == 0
    (folder / "out.pdf.manifest.json").write_bytes(body)
    capsys.readouterr()
    assert main(["check-lettering", "out.pdf"]) == 2
    assert one_error_line(capsys) == "error: out.pdf.manifest.json is damaged (not JSON): render it again"


def test_not_a_number_is_named_not_read_as_out_of_range(tmp_path, capsys):
    # `.nan` (YAML) or `--guidance nan` fails every bound: "should be less than or equal to 100" misled.
    script = tmp_path / "s.yaml"
    script.write_text("title: T\npage: {margin_mm: .nan}\ngeneration: {guidance: .NaN}\nscenes: [{panels: [{action: a}]}]\n")
    assert main(["validate", "--engine", "draft", str(script)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{script}:2:19: page.margin_mm: not a number (.nan): give a number",
        f"{script}:3:24: generation.guidance: not a number (.nan): give a number"]
    script.write_text("title: T\nscenes: [{panels: [{action: a}]}]\n")
    assert main(["render", str(script), "--guidance", "nan", "-o", str(tmp_path / "s.pdf")]) == 2
    assert capsys.readouterr().err == "error: --guidance nan: not a number: give a number\n"


def test_a_font_that_is_a_folder_says_so(folder, capsys):
    # `--font fonts/` said only "font file not found: .../fonts"
    (folder / "fonts").mkdir()
    assert main(["render", "good.yaml", "--font", "fonts", "-o", "x.pdf"]) == 2
    assert one_error_line(capsys) == f"error: font file not found: {folder / 'fonts'} (it is a folder: name a font file in it)"


@pytest.mark.parametrize("magic", [b"wOFF", b"wOF2"])
def test_a_web_font_says_to_convert_it(folder, capsys, magic):
    # it said only "it is not a TrueType/OpenType font"
    (folder / "web.woff").write_bytes(magic + bytes(60))
    assert main(["render", "good.yaml", "--font", "web.woff", "-o", "x.pdf"]) == 2
    assert one_error_line(capsys) == (f"error: cannot use font {folder / 'web.woff'}: it is not a TrueType/OpenType "
                                      "font but a WOFF web font: convert it to .ttf or .otf first")
