"""Draft labels on a webtoon strip: one size on every panel, as the strip's lettering has."""

from __future__ import annotations

from pathlib import Path

from storyboard import layout
from storyboard.export import compose
from storyboard.export.labels import STRIP_SIZE
from storyboard.export.webtoon import strip_book
from storyboard.text import load_chain
from storyboard.script import load_story

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _label_sizes(drawings) -> set[float]:
    return {round(item.size, 3) for page in drawings for item in page.items if item.kind == "label"}


ONE_SIZE = {STRIP_SIZE, round(0.9 * STRIP_SIZE, 3)}  # shot tags and action notes; name tags a little smaller


def test_a_strip_made_from_pages_letters_its_labels_at_one_size():
    story = load_story(EXAMPLES / "lighthouse.yaml")  # full-width and half-width panels on its pages
    book = layout.paginate(story)
    font = load_chain()
    assert len(_label_sizes(compose(story, book, font, labels=True))) > 1  # on pages, by the panel's size
    assert _label_sizes(compose(story, strip_book(story, book), font, labels=True)) == ONE_SIZE


def test_a_webtoon_storys_own_strip_letters_its_labels_at_one_size():
    story = load_story(EXAMPLES / "webtoon.yaml")  # wide, normal, tall and splash panels
    assert _label_sizes(compose(story, layout.webtoon_book(story), load_chain(), labels=True)) == ONE_SIZE
