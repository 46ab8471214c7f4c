"""An output (or the manifest beside it) that is the script or a file the script reads is
refused in one line before any work: `--format pdf -o story.yaml` wrote the PDF over the script
(a name that says no format takes any)."""

from __future__ import annotations

import shutil
from pathlib import Path

import storyboard
from storyboard.cli import main

FONT = Path(storyboard.__file__).parent / "fonts" / "ComicNeue-Regular.ttf"


def test_an_output_over_the_script_or_a_file_it_reads_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(FONT, tmp_path / "lettering")  # a font file without an extension
    shutil.copy(FONT, tmp_path / "face.ttf")  # one given with --font
    script = tmp_path / "story.yaml"
    script.write_text("title: T\nstyle: {font: lettering}\nscenes:\n  - panels:\n      - action: a room\n")
    (tmp_path / "other.pdf.manifest.json").write_text(script.read_text())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for script_arg, args, said in [
        ("story.yaml", ["--format", "pdf", "-o", "story.yaml"], "cannot write story.yaml: it is the script story.yaml"),
        ("story.yaml", ["--format", "cbz", "-o", "./story.yaml"], "it is the script story.yaml"),
        ("story.yaml", ["--format", "pdf", "-o", "lettering"], "it is lettering, which the script reads"),
        ("story.yaml", ["--font", "face.ttf", "--format", "pdf", "-o", "face.ttf"],
         "cannot write face.ttf: it is the lettering font face.ttf"),
        ("other.pdf.manifest.json", ["-o", "other.pdf"],
         "its manifest other.pdf.manifest.json would replace the script other.pdf.manifest.json"),
    ]:
        assert main(["render", script_arg, "--engine", "draft", "--no-cache", *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err, err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_an_output_over_the_translations_file_of_the_edition_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "story.yaml").write_text("title: T\nscenes:\n  - id: a\n    panels:\n"
                                         "      - action: a room\n        caption: A room.\n")
    (tmp_path / "translations").mkdir()
    words = tmp_path / "translations" / "story.de.yaml"
    words.write_text("language: de\nlines:\n  a/1/caption: Ein Zimmer.\n")
    before = words.read_bytes()
    for args in (["--lang", "de"], ["--translation", str(words)]):
        assert main(["render", "story.yaml", *args, "--engine", "draft", "--no-cache", "--format", "pdf",
                     "-o", "translations/story.de.yaml"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "it is the translations file" in err, err
    assert words.read_bytes() == before
    assert main(["render", "story.yaml", "--lang", "de", "--engine", "draft", "--no-cache", "-o", "de.pdf"]) == 0


def test_a_folder_output_that_would_replace_a_file_the_script_reads_is_refused(tmp_path, capsys, monkeypatch):
    # a page picked from an earlier render as a reference: each render replaced it, and
    # `watch` re-rendered forever (18 renders in 8 s); a strip's images likewise
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "s.yaml"
    body = ("title: T\ngeneration: {{engine: draft}}\npage: {{size: [80, 100], dpi: 40}}\n"
            "characters: {{a: {{description: x, references: [{ref}]}}}}\nscenes: [{{panels: [{{action: a, cast: [a]}}]}}]\n")
    script.write_text(body.format(ref="pg/page-001.png").replace(", references: [pg/page-001.png]", ""))
    assert main(["render", "s.yaml", "-o", "pg/", "-o", "s.webtoon"]) == 0
    for ref, out in (("pg/page-001.png", "pg/"), ("s.webtoon/001.png", "s.webtoon")):
        script.write_text(body.format(ref=ref))
        kept = (tmp_path / ref).read_bytes()
        capsys.readouterr()
        for command in (["render", "s.yaml", "-o", out], ["watch", "--once", "s.yaml", "-o", out]):
            assert main(command) == 2
            assert capsys.readouterr().err.splitlines()[-1] == \
                f"error: cannot write {out.rstrip('/')}: it would replace {ref}, which the script reads"
        assert (tmp_path / ref).read_bytes() == kept
    (tmp_path / "pg" / "notes.png").write_bytes(kept)  # not a page name: a page render keeps it
    script.write_text(body.format(ref="pg/notes.png"))
    assert main(["render", "s.yaml", "-o", "pg/"]) == 0
