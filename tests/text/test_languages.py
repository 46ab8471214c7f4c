"""Every script the bundled fonts cover renders with no font given, PDF and PNG agreeing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata

import numpy as np
import pytest
from PIL import Image

import storyboard
from storyboard.export import compose
from storyboard.layout import paginate
from storyboard.lettering import Text, story_font
from storyboard.script import load_story
from storyboard.text.shaping import shape

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")

# (language, reading, lines): one panel per line, spoken by a character in the panel.
STORIES = {
    "ja-vertical": ("ja", "rtl", ["「待って！」まだ終わってないよ。", "ドーン"]),
    "ja-horizontal": ("ja", "ltr", ["東京タワーへ行こう。", "うん、行こう！"]),
    "zh-Hans": ("zh-Hans", "ltr", ["我们明天见，好吗？", "这里是图书馆。"]),
    "zh-Hant": ("zh-Hant", "ltr", ["我們明天見，好嗎？", "這裡是圖書館。"]),
    "ko": ("ko", "ltr", ["안녕하세요, 반갑습니다!", "내일 봐요."]),
    "world": ("fr", "ltr", [
        "مرحبا بالعالم! كيف حالك؟", "שלום עולם, מה שלומך?", "Привет, мир! Как дела?",
        "Γειά σου κόσμε! Τι κάνεις;", "Xin chào thế giới! Bạn khỏe không?", "Merhaba dünya! İyi misin? Değil.",
        "Vraiment\u202f! «\u202fTu viens\u00a0?\u202f»",
    ]),
}
INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)


def script(language: str, reading: str, lines: list[str]) -> str:
    panels = [{"action": f"panel {i}", "cast": ["ana"], "dialogue": [{"ana": line}]} for i, line in enumerate(lines)]
    return json.dumps({"title": f"Test {language}", "language": language,
                       "page": {"size": "manga" if reading == "rtl" else "us-comic", "reading": reading, "dpi": 100},
                       "characters": {"ana": {"description": "a woman"}},
                       "scenes": [{"id": "one", "panels": panels}]}, ensure_ascii=False)


def letters(text: str) -> str:
    return "".join(c for c in squeeze(text) if unicodedata.category(c)[0] in "LM")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text).translate(INVISIBLE))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STORIES))
def test_script_renders_with_the_bundled_fonts(tmp_path, name):
    language, reading, lines = STORIES[name]
    path = tmp_path / "story.yaml"
    path.write_text(script(language, reading, lines), encoding="utf-8")
    story = load_story(path)
    pdf, pages = tmp_path / "out.pdf", tmp_path / "pages"
    storyboard.render(story, engine="draft", out=[pdf, pages], cache=False, watermark=False)

    # Every line extracts in logical order (as written, NFC).
    text = squeeze(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    for line in lines:
        if any(unicodedata.bidirectional(c) in ("R", "AL") for c in line):
            # poppler files a neutral mark ending a right-to-left line (the "!" of "…بالعالم!")
            # by its own guess of the page's direction: the letters must read in order.
            assert letters(line) in letters(text), (line, text)
        else:
            assert squeeze(line) in text, (line, text)
    # Every font is embedded.
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(row.split()[-5] == "yes" for row in fonts), fonts

    # No .notdef anywhere: every glyph of every lettered line is a real glyph.
    book = paginate(story)
    chain = story_font(story)
    ops = [op for d in compose(story, book, chain) for item in d.items for op in item.ops if isinstance(op, Text)]
    assert all(g.gid != 0 for op in ops for g in shape(chain, op.text, op.bold, op.vertical).glyphs)
    if name == "ja-vertical":
        assert any(op.vertical for op in ops)

    # The PNG page and the PDF page rasterised by poppler show the same thing.
    png = np.asarray(Image.open(sorted(pages.glob("page-*.png"))[0]).convert("L"), dtype=np.float32)
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-gray", "-png", str(pdf), str(tmp_path / "p")],
                   check=True)
    ref = Image.open(sorted(tmp_path.glob("p-*.png"))[0]).convert("L")
    bleed = (ref.width - png.shape[1]) // 2, (ref.height - png.shape[0]) // 2
    ref = np.asarray(ref.crop((bleed[0], bleed[1], bleed[0] + png.shape[1], bleed[1] + png.shape[0])), dtype=np.float32)
    differ = np.abs(png - ref) > 96
    assert differ.mean() < 0.01, differ.mean()
