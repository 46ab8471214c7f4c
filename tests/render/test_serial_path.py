"""The render process's own work, made cheaper without changing what it makes: panel keys as
`dataclasses.astuple` gave them (existing caches keep their entries), the manifest's JSON as
`json.dumps(indent=2)` wrote it, no page keys worked out when there is no cache to keep pages
in, and a page pool whose worker-handler thread does not wake on every result."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import multiprocessing.pool
import random
import struct

import pytest

import storyboard
from storyboard import layout, plan
from storyboard._json import dumps, dumps_indented
from storyboard.cache import key_inputs, panel_key
from storyboard.engines.registry import create_engine
from storyboard.export import workers
from storyboard.script import parse_story

STORY = """\
title: Keys
generation: {engine: draft, seed: 11}
characters:
  mara: {name: Mara, description: a sailor in a yellow coat}
  gull: {name: Gull, figure: bird, description: a grey gull}
  dog: {name: Rex, figure: animal, description: a brown dog}
scenes:
  - id: dock
    setting: a foggy dock at dawn
    panels:
      - shot: wide
        action: Mara runs along the pier
        cast: [{mara: left}, {dog: right}]
        dialogue: [{mara: Wait for me!}]
      - shot: close-up
        action: Mara points at the sea
        angle: low
        cast: [{mara: {position: center, expression: worried, pose: pointing at the sea}}]
      - shot: medium
        action: All three watch the boat
        cast: [{gull: left}, {mara: center}, {dog: right}]
        caption: Later.
"""


def test_panel_keys_are_the_keys_astuple_gave(tmp_path):
    story = parse_story(STORY, filename="keys.yaml", base_dir=tmp_path)
    requests = plan.plan_panels(story, layout.paginate(story, max_side=1024), {})
    assert sum(len(r.staging) for r in requests) == 6
    for settings in (create_engine("draft").settings(), {"name": "diffusion"}):
        for request in requests:
            inputs = key_inputs(settings, request)
            inputs["staging"] = [dataclasses.astuple(figure) for figure in request.staging]  # how keys were made
            text = json.dumps(inputs, sort_keys=True, default=str)
            assert panel_key(settings, request) == hashlib.sha256(text.encode()).hexdigest()


def _text(rng: random.Random) -> str:
    ranges = [(0x20, 0x7E), (0, 0x1F), (0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFF), (0x10000, 0x10FFFF)]
    return "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(0, 6)))


def _number(rng: random.Random, exotic: bool):
    kind = rng.random()
    if kind < 0.3:
        return rng.randint(-10**6, 10**6)
    if kind < 0.6:
        return round(rng.uniform(-1000, 1000), rng.randint(0, 4))
    value = struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    if math.isnan(value) or math.isinf(value) or (not exotic and "e" in repr(value)):
        return 0.5
    return value


def _document(rng: random.Random, exotic: bool, depth: int = 0):
    kind = rng.random()
    if depth > 3 or kind < 0.5:
        return rng.choice([_text(rng), _number(rng, exotic), None, True, False])
    if kind < 0.75:
        return [_document(rng, exotic, depth + 1) for _ in range(rng.randint(0, 4))]
    return {_text(rng): _document(rng, exotic, depth + 1) for _ in range(rng.randint(0, 4))}


def test_manifest_json_is_what_json_dumps_wrote():
    rng = random.Random(16)
    for _ in range(3000):
        document = _document(rng, exotic=False)
        assert dumps_indented(document) == json.dumps(document, indent=2).encode()
        document = _document(rng, exotic=True)  # floats json writes with an exponent: the same numbers
        assert json.loads(dumps_indented(document)) == json.loads(json.dumps(document, indent=2))
    for odd in ({"a": "\ud800"}, ["\x7f"], [2**64], {1: "a"}, "日本語 😀 é"):  # left to json, or escaped as json does
        assert dumps_indented(odd) == json.dumps(odd, indent=2).encode()


def test_compact_json_is_orjson_with_json_for_what_it_refuses():
    """Page-piece keys hash these bytes: orjson's, and json's only where orjson refuses."""
    import orjson

    rng = random.Random(7)
    for _ in range(300):
        document = _document(rng, exotic=False)
        assert dumps(document) == orjson.dumps(document)
        assert dumps(document, sort_keys=True, default=str) == orjson.dumps(document, default=str,
                                                                            option=orjson.OPT_SORT_KEYS)
    assert dumps({"b": 0.5j, "a": 1}, sort_keys=True, default=str) == b'{"a":1,"b":"0.5j"}'
    for odd in ({"b": 2**64, "a": 1}, {1: "a"}, ["\ud800"]):
        assert dumps(odd, sort_keys=True) == json.dumps(odd, sort_keys=True).encode()
    with pytest.raises(TypeError):
        dumps([object()])


def test_no_page_keys_without_a_cache(tmp_path, monkeypatch):
    import storyboard.export.pieces as pieces

    keyed = []
    real = pieces.page_keys
    monkeypatch.setattr(pieces, "page_keys", lambda *a, **k: keyed.append(1) or real(*a, **k))
    script = tmp_path / "keys.yaml"
    script.write_text(STORY)
    storyboard.render(script, engine="draft", out=tmp_path / "none.pdf", cache=False)
    assert keyed == []
    storyboard.render(script, engine="draft", out=tmp_path / "cached.pdf", cache=tmp_path / "cache")
    assert keyed == [1]
    assert list((tmp_path / "cache").glob("*/*.page.pdfpart"))  # and the pages were kept under them


def _page(item: int) -> list[float]:
    return [float(item)] * 20_000  # a result big enough to take a while to read back


def test_the_page_pool_does_not_wake_on_every_result(monkeypatch):
    if workers.workers_for(40) < 2:
        pytest.skip("one worker here: no pool")
    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    wakes = []
    real = multiprocessing.pool.Pool._wait_for_updates
    monkeypatch.setattr(multiprocessing.pool.Pool, "_wait_for_updates",
                        staticmethod(lambda *a, **k: wakes.append(1) or real(*a, **k)))
    assert [r[0] for r in workers.page_map(_page, range(40))] == [float(i) for i in range(40)]
    assert len(wakes) < 10  # CPython's own pool: thousands, spinning while each result is read


def _frozen_here(item: int) -> int:
    import gc

    return gc.get_freeze_count()


def test_page_workers_inherit_a_frozen_heap_and_a_render_leaves_the_collector_as_it_was(tmp_path, monkeypatch):
    import gc

    monkeypatch.setenv("STORYBOARD_WORKERS", "2")
    if workers.workers_for(4) < 2:
        pytest.skip("one worker here: no pool")
    assert gc.get_freeze_count() == 0
    assert min(workers.page_map(_frozen_here, range(4))) > 1000  # their collector never walks what they inherit
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    script = tmp_path / "keys.yaml"
    script.write_text(STORY)
    storyboard.render(script, engine="draft", out=tmp_path / "a.pdf", cache=False)
    assert gc.get_freeze_count() == 0 and gc.isenabled()  # `watch` collects what each render left
    gc.disable()
    try:
        storyboard.render(script, engine="draft", out=tmp_path / "b.pdf", cache=False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_bundled_fallback_faces_are_read_when_a_character_needs_them():
    from storyboard.text import fonts

    fonts.load_face.cache_clear()  # faces of our own (the process's bundled chain keeps its own)
    chain = fonts.FontChain(fonts._bundled_members(""))
    read = lambda: [("unicodes" in m.regular.__dict__) for m in chain.members]  # noqa: E731
    assert read() == [True] + [False] * (len(chain.members) - 1)  # the main lettering face only
    assert chain.missing("Hello, world!") == "" and read()[-1] is False
    assert chain.missing("日本語") == "" and all(read())  # the CJK face is the last resort
    cjk = chain.members[-1].regular
    eager = fonts.Face(cjk.path, cjk.index)
    assert (cjk.upem, cjk.ascent, cjk.descent, cjk.cff, cjk.unicodes) == \
        (eager.upem, eager.ascent, eager.descent, eager.cff, eager.unicodes)
