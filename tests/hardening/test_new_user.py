"""Issue 18, a new user's mistakes (robustness sweep): each is one line, exit 2, before any
work and with nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyboard.cli import main
from tests.hardening.cli_mistakes import GOOD, one_error_line


@pytest.mark.parametrize("argv, option", [
    (["render", "good.yaml", "--cache", ""], "--cache"),  # was: a cache in the current folder
    (["render", "good.yaml", "--library", ""], "--library"),
    (["render", "good.yaml", "--allow-path", ""], "--allow-path"),
    (["batch", "good.yaml", "-o", ""], "-o/--output"),  # was: the PDF in the current folder
    (["translations", "template", "good.yaml", "--lang", "fr", "-o", ""], "-o/--output"),
    (["verify", ""], "FILE"),  # was: every image of the current folder
    (["characters", "list", "--library", ""], "--library"),  # was: every folder here "not a character"
    (["eval", "good.yaml", "--html", ""], "--html"),
])
def test_an_empty_value_is_refused_not_read_as_the_current_folder(folder, capsys, argv, option):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    assert f"error: argument {option}: the value is empty (see storyboard " in one_error_line(capsys)
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


@pytest.mark.parametrize("command", [["render", "good.yaml", "-o", "x.pdf"], ["batch", "good.yaml", "-o", "out"],
                                     ["watch", "good.yaml", "-o", "x.pdf"]])
def test_a_cache_folder_with_no_cache_is_refused(folder, capsys, command):
    # --cache DIR would not be used under --no-cache: refused as unused diffusion flags are, not ignored
    with pytest.raises(SystemExit) as exit:
        main([*command, "--cache", "panels", "--no-cache"])
    assert exit.value.code == 2
    assert "error: argument --no-cache: not allowed with argument --cache (see storyboard " in one_error_line(capsys)
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_eval_checks_its_outputs_and_threshold_before_measuring(folder, capsys):
    (folder / "report.html").mkdir()  # (a name without .html is refused before: a99a99e)
    assert main(["eval", "good.yaml", "--html", "report.html"]) == 2
    assert one_error_line(capsys) == "error: cannot write report.html: it is a folder"
    assert not list(folder.glob("*.eval.*"))  # not even the JSON half of the report
    for bad in ("nan", "5", "high"):
        with pytest.raises(SystemExit):
            main(["eval", "good.yaml", "--min-identity", bad])
        assert f"--min-identity: expected a similarity from -1 to 1, got '{bad}'" in one_error_line(capsys)


def test_batch_checks_its_output_folder_once_before_any_story(folder, capsys):
    (folder / "afile").write_text("x")
    assert main(["batch", "good.yaml", "-o", "afile/books"]) == 2
    assert one_error_line(capsys) == "error: cannot write afile/books: afile is a file, not a folder"


def test_a_damaged_pdf_is_one_line_in_verify(folder):
    (folder / "junk.pdf").write_bytes(b"\xd2\x88 not a pdf" * 20)
    proc = subprocess.run([sys.executable, "-m", "storyboard", "verify", "junk.pdf"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == "error: junk.pdf: not a readable image, PDF or CBZ\n"  # pypdf's own log lines stay quiet


def _as_user(argv: list[str]) -> list[str]:
    """`argv` without root's power to read any file (CI runs as root)."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
            "--inh-caps=-dac_override,-dac_read_search", *argv]


def test_an_unreadable_reference_is_refused_by_validate(folder):
    from PIL import Image

    Image.new("RGB", (64, 64), "red").save(folder / "mara.png")
    os.chmod(folder / "mara.png", 0)
    (folder / "s.yaml").write_text(GOOD.replace("scenes:", "characters: {mara: {description: x, references: [mara.png]}}\n"
                                                "scenes:"))
    proc = subprocess.run(_as_user([sys.executable, "-m", "storyboard", "validate", "s.yaml"]),
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (2, "s.yaml:4:50: characters.mara.references[0]: reference image "
                                                 "'mara.png': cannot read: Permission denied\n")


def test_import_and_translations_refuse_what_force_cannot_fix(folder, capsys):
    (folder / "ok.fountain").write_text("Title: X\n\nINT. ROOM - DAY\n\nA cat sits.\n")
    (folder / "afile").write_text("x")
    (folder / "adir.yaml").mkdir()
    assert main(["import", "good.yaml", "-o", "x.yaml"]) == 2  # the story script itself, given by mistake
    assert one_error_line(capsys) == "error: good.yaml is a story script (YAML); import reads a Fountain screenplay (.fountain)"
    assert main(["import", "ok.fountain", "-o", "adir.yaml", "--force"]) == 2
    assert one_error_line(capsys) == "error: cannot write adir.yaml: it is a folder"
    assert main(["translations", "template", "good.yaml", "--lang", "fr", "-o", "afile/fr.yaml"]) == 2
    assert one_error_line(capsys) == "error: cannot write afile/fr.yaml: afile is a file, not a folder"
    assert main(["translations", "template", "good.yaml", "--lang", "fr", "-o", "fr.txt"]) == 2  # it wrote YAML there
    assert one_error_line(capsys) == "error: fr.txt: the template is a translations file (YAML): name it fr.yaml"
    assert sorted(p.name for p in folder.iterdir()) == ["adir.yaml", "afile", "good.yaml", "ok.fountain"]


def test_a_section_of_the_wrong_shape_names_no_pydantic_class(folder, capsys):
    (folder / "s.yaml").write_text("title: T\npage: [1, 2]\nscenes: [{panels: [{action: a}]}]\n")
    (folder / "list.yaml").write_text("- title: T\n")
    assert main(["validate", "s.yaml", "list.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "s.yaml:2:7: page: input should be a valid dictionary (key: value lines, or {key: value})",
        "list.yaml:1:1: document: input should be a valid dictionary (key: value lines, or {key: value}) such as title: and scenes:",
    ]


@pytest.mark.parametrize("command", ["verify", "eval", "check-lettering", "validate"])
def test_odd_file_names_are_one_line(folder, capsys, command):
    long_name = "a" * 300 + ".pdf"  # over the file system's 255 bytes: ENAMETOOLONG, once a traceback
    assert main([command, long_name]) == 2
    assert "Traceback" not in capsys.readouterr().err
    with_newline = "new\nline.pdf"
    assert main([command, with_newline]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "new\\nline.pdf" in err, err


def test_a_reference_that_is_no_image_is_refused_located_before_any_panel(folder, capsys):
    from storyboard.engines.draft import DraftEngine
    from storyboard.errors import ScriptError
    from storyboard.render import render

    class IdentityEngine(DraftEngine):  # draws like the draft engine, reads identities like diffusion
        uses_identities = True

    (folder / "mara.png").write_bytes(b"not an image at all" * 10)
    (folder / "s.yaml").write_text("title: T\ncharacters: {mara: {description: x, references: [mara.png, good.yaml]}}\n"
                                   "scenes: [{panels: [{action: a, cast: [mara]}]}]\n")
    expected = ["s.yaml:2:50: characters.mara.references[0]: reference image 'mara.png': not a JPEG, PNG or WebP image",
                "s.yaml:2:60: characters.mara.references[1]: reference image 'good.yaml': not a JPEG, PNG or WebP image"]
    assert main(["validate", "s.yaml"]) == 2  # the script's engine, diffusion, reads them
    assert capsys.readouterr().err.splitlines() == expected
    assert main(["validate", "--engine", "draft", "s.yaml"]) == 0  # the draft engine never does
    with pytest.raises(ScriptError) as refused:
        render("s.yaml", engine=IdentityEngine(), out="o.pdf", cache=False)
    assert str(refused.value).splitlines() == expected
    assert not list(folder.glob("o.pdf*"))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_reference_cut_short_is_refused_by_validate_located(folder, capsys, fmt):
    # a truncated download passed validate (the header is whole) and failed the render unlocated
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((200, 240), 60).convert("RGB").save(buffer, fmt)
    data = buffer.getvalue()
    (folder / "whole.img").write_bytes(data)
    (folder / "cut.img").write_bytes(data[:len(data) * 2 // 3])
    (folder / "s.yaml").write_text("title: T\ncharacters: {mara: {description: x, references: [whole.img, cut.img]}}\n"
                                   "scenes: [{panels: [{action: a, cast: [mara]}]}]\n")
    assert main(["validate", "s.yaml"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("s.yaml:2:61: characters.mara.references[1]: reference image "
                                               "'cut.img': broken image ("), err


def test_the_same_output_twice_is_refused(folder, capsys):
    assert main(["render", "good.yaml", "-o", "a.pdf", "-o", "./a.pdf"]) == 2
    assert one_error_line(capsys) == "error: the output ./a.pdf is given twice"
    assert main(["render", "good.yaml", "-o", "pages/", "--format", "webtoon", "-o", "pages"]) == 2
    assert one_error_line(capsys) == "error: the output pages is given twice"
    assert sorted(p.name for p in folder.iterdir()) == ["good.yaml"]


def test_a_translations_file_that_is_a_fifo_or_a_device_is_refused_not_read(folder):
    os.mkfifo(folder / "fr.yaml")
    argv = [sys.executable, "-m", "storyboard", "render", "good.yaml", "-o", "t.pdf", "--translation"]
    for name, kind in (("fr.yaml", "is a FIFO (named pipe)"), ("/dev/zero", "is a character device")):
        proc = subprocess.run([*argv, name], capture_output=True, text=True, timeout=60)  # was: blocked / read forever
        assert (proc.returncode, proc.stderr) == (2, f"{name}:1:1: file: {kind}, not a regular file\n")
    assert not list(folder.glob("t.pdf*"))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_disk_behind_standard_output_is_one_line(folder):
    with open("/dev/full", "w") as full:  # `storyboard validate s.yaml > report.txt` on a full disk
        proc = subprocess.run([sys.executable, "-m", "storyboard", "validate", "good.yaml"], stdout=full,
                              stderr=subprocess.PIPE, text=True)
    assert (proc.returncode, proc.stderr) == (1, "error: cannot write to standard output: No space left on device\n")
    reader = subprocess.Popen([sys.executable, "-m", "storyboard", "schema"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    reader.stdout.read(10)
    reader.stdout.close()  # `storyboard schema | head -c 10`: the reader leaves
    assert reader.wait(60) == 0 and reader.stderr.read() == ""


def test_a_library_character_missing_from_the_library_is_refused_located(folder, capsys, monkeypatch):
    from storyboard.engines.draft import DraftEngine
    from storyboard.errors import ScriptError
    from storyboard.render import render

    class IdentityEngine(DraftEngine):
        uses_identities = True

    monkeypatch.setenv("STORYBOARD_LIBRARY", str(folder / "lib"))
    (folder / "s.yaml").write_text("title: T\ncharacters: {mara: {description: x, library: mra}}\n"
                                   "scenes: [{panels: [{action: a, cast: [mara]}]}]\n")
    expected = f"s.yaml:2:46: characters.mara.library: no character 'mra' in the library {folder / 'lib'}"
    assert main(["validate", "s.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [expected]
    assert main(["validate", "s.yaml", "--library", "other"]) == 2
    assert "no character 'mra' in the library other" in capsys.readouterr().err
    assert main(["validate", "s.yaml", "--library", "s.yaml"]) == 2  # it said "no character 'mra' in the library s.yaml"
    assert capsys.readouterr().err == "s.yaml:2:46: characters.mara.library: character library s.yaml is not a folder\n"
    assert main(["validate", "--engine", "draft", "s.yaml"]) == 0  # the draft engine reads no identities
    with pytest.raises(ScriptError) as refused:
        render("s.yaml", engine=IdentityEngine(), out="o.pdf", cache=False)
    assert str(refused.value).splitlines() == [expected]


def test_a_mistyped_allow_path_is_refused_not_ignored(folder, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["validate", "good.yaml", "--allow-path", "refs2"])  # was: allowed nothing, silently
    assert exit.value.code == 2
    assert one_error_line(capsys).startswith("storyboard validate: error: argument --allow-path: 'refs2' is not a folder")
    assert main(["validate", "good.yaml", "--allow-path", str(folder)]) == 0


def test_doctor_lists_every_extra_of_the_distribution(capsys):
    # A bug report must show whether the extra behind the failing command is installed.
    import re
    import tomllib

    from storyboard.cli.doctor import CORE, EXTRAS

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]

    def names(requirements):
        return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requirements
                if not r.startswith("storyboard-comics")}
    for extra, requirements in project["optional-dependencies"].items():
        if extra not in ("all", "dev", "docs"):
            assert names(requirements) <= set(EXTRAS.get(extra, ())), extra
    assert {"pypdf", "reportlab"} <= set(CORE) <= names(project["dependencies"])
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {extra}: " in out for extra in EXTRAS)
    assert "  skia-python: " in out and "\npng pages: painted by Skia\n" in out


def test_doctor_says_when_pages_cannot_be_painted(capsys, monkeypatch):
    # The one install problem of the core (README): Skia's wheel needs the system's libGL. A bug
    # report of a failing PNG render shows it, as the render itself says it.
    import importlib.abc

    import storyboard.export

    class NoGL(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "skia":
                raise ImportError("libGL.so.1: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(sys, "meta_path", [NoGL(), *sys.meta_path])
    for name in ("skia", "storyboard.export.canvas"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.delattr(storyboard.export, "canvas", raising=False)
    assert main(["doctor"]) == 0
    assert ("\npng pages: cannot be painted: PNG, CBZ and webtoon pages need the system library libGL.so.1, which "
            "Skia (skia-python) loads: install it (Debian/Ubuntu: apt-get install libgl1 libegl1)\n"
            in capsys.readouterr().out)
