"""Draft sets: the place a panel happens in, drawn behind its figures from a small vocabulary.

The panel's action and its scene's setting are read for place words ("a grassy hill above a
small town", "Mara climbs the spiral stairs"): whole words only, a plural read as its
singular, synonyms through one table (`_WORDS`), so "hillside" is a hill and "chill" is not;
Japanese place words through another (`_JAPANESE`: 海, 部屋, 階段 ...).
What the text negates ("no trees", "without a door") is not read (`affirmed`). What the
action names first says whether the panel is indoors or out (the action is the panel's own;
the setting is the scene's); then each layer takes the first word naming one:

- an interior replaces the landscape: a room (the default indoors), a kitchen, a counter or
  shop, a stall, stairs, a corridor;
- outdoors, the ground under the figures (a hill, a field of grass, a garden's rows of plants,
  a street, the sea, a beach, a roof), what stands along the horizon (a town's houses, a
  city's blocks, a forest's tree line; hills when nothing is named), and clouds for the sky.

Every set is a few pencil lines drawn at the shot's horizon (`staging.HORIZON`); where a set
meets the figures (a counter at their hips) it reads where staging put them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Each set's layer, and the words (singular) that name it. One line adds a word or a set;
# a new set also needs its drawing in `storyboard.engines.draft`.
_WORDS = {
    # interiors
    "room": ("interior", "room bedroom office interior inside indoors cabin library church cellar attic apartment "
                         "studio lab laboratory classroom restaurant cafe café lobby bank museum hospital ward "
                         "garage workshop warehouse factory barn gym gymnasium basement hangar shed"),
    "kitchen": ("interior", "kitchen"),
    "counter": ("interior", "counter bar shop store desk reception pharmacy bakery"),
    "stall": ("interior", "stall kiosk booth"),
    "stairs": ("interior", "stair stairs staircase stairway stairwell"),
    "corridor": ("interior", "corridor hallway hall passage passageway tunnel vault aisle"),
    # outdoor ground
    "hill": ("ground", "hill hillside hilltop slope knoll mound"),
    "field": ("ground", "field meadow grass lawn park pasture prairie"),
    "garden": ("ground", "garden plant allotment farm soil orchard flowerbed"),
    "street": ("ground", "street road avenue alley lane boulevard sidewalk pavement highway"),
    "market": ("ground", "market marketplace bazaar"),
    "sea": ("ground", "sea ocean wave harbour harbor pier quay dock port lake river bay cliff"),
    "beach": ("ground", "beach shore seaside sand coast"),
    "roof": ("ground", "roof rooftop terrace"),
    "platform": ("ground", "platform railway railroad station"),
    # along the horizon
    "town": ("far", "town village hamlet house suburb"),
    "city": ("far", "city skyline downtown building tower skyscraper block"),
    "forest": ("far", "forest wood woods tree jungle grove"),
    "lighthouse": ("far", "lighthouse"),
    # the sky
    "sky": ("sky", "sky cloud cloudy"),
}
_SET_OF = {word: name for name, (_, words) in _WORDS.items() for word in words.split()}
# Japanese place words (a manga story's settings and actions are often Japanese), each read as
# the English word it follows; Japanese has no spaces, so they are found inside the text, the
# longest first, and the compounds in `_JAPANESE_NOT` (an airport is no sky, Hokkaido no sea)
# are passed over. A word followed by ない/なし ("木のない丘": a hill without trees) is negated.
_JAPANESE = {
    "room": "部屋 室内 屋内 寝室 居間 和室 リビング 事務所 オフィス 図書館 図書室 教会 地下室 屋根裏 アパート "
            "研究室 実験室 教室 レストラン カフェ 喫茶店 ロビー 銀行 博物館 美術館 病院 病室 職員室 保健室 "
            "体育館 会議室",
    "kitchen": "台所 キッチン 厨房",
    "counter": "カウンター 商店 売り場 受付 薬局 パン屋 本屋 レジ 酒場 バー",
    "stall": "屋台 露店 売店 ブース",
    "stairs": "階段 石段",
    "corridor": "廊下 通路 トンネル 回廊 金庫室",
    "hill": "丘 丘陵 坂 坂道 斜面 高台",
    "field": "野原 草原 原っぱ 芝生 公園 牧場 草地",
    "garden": "庭 庭園 畑 菜園 農場 花壇 果樹園 田んぼ",
    "street": "街 通り 大通り 道路 路地 歩道 小道 夜道 帰り道 交差点 商店街 街角",
    "market": "市場 朝市 夜市",
    "sea": "海 大海 港 波 波止場 桟橋 埠頭 湖 湾 崖 岬 川 河",
    "beach": "浜 浜辺 海辺 海岸 砂浜 ビーチ 岸",
    "roof": "屋上 屋根 テラス",
    "platform": "駅 プラットホーム 線路 駅構内",
    "town": "町 村 集落 民家 住宅 住宅街 家並み",
    "city": "都市 都会 ビル 高層ビル 摩天楼 塔 タワー 市街 繁華街",
    "forest": "森 森林 林 木 木々 樹 樹木 ジャングル 雑木林",
    "lighthouse": "灯台",
    "sky": "空 青空 夜空 雲 曇り",
    # not places, read as the English word: the darker wash, the moon, a spiral staircase
    "night": "夜 夜中 深夜 真夜中 今夜 夜明け前",
    "storm": "嵐 暴風雨 台風",
    "rain": "雨 雨降り 大雨",
    "dusk": "夕暮れ 夕方 黄昏",
    "moon": "月明かり 満月 三日月 月夜 月光",
    "star": "星 星空",
    "fog": "霧",
    "snow": "雪",
    "outside": "屋外 野外",
    "spiral": "螺旋 らせん",
}
_JAPANESE_NOT = "海外 海老 北海道 電波 空港 空気 空っぽ 空手 空腹 空間 空席 空く 空い 木曜 木材 木造 木製 町長 村長 林檎 雨戸"
_JAPANESE_WORD = {ja: en for en, words in _JAPANESE.items() for ja in words.split()}
_JAPANESE_FIND = re.compile("|".join(sorted((re.escape(w) for w in [*_JAPANESE_WORD, *_JAPANESE_NOT.split()]),
                                            key=len, reverse=True)))
_JAPANESE_NEGATED = re.compile(r"[のがはも]?(?:ない|無い|なし|無し)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
LAYER = {name: layer for name, (layer, _) in _WORDS.items()}
DARK = frozenset("night storm stormy dark midnight dusk rain rainy".split())  # a darker wash
# A moon and stars in the sky outdoors: night or the moon named, unless weather hides them.
_NIGHT = frozenset("night midnight moon moonlight moonlit star starry starlight nighttime".split())
_HIDDEN = frozenset("storm stormy rain rainy cloudy overcast fog foggy mist misty snow snowy".split())
# Words that say how the action's subject looks or how it is shot, not what it is ("WIDE on
# the empty beach", "the quiet harbour"): passed over when looking for that subject.
_NOT_SUBJECT = frozenset("wide shot close closeup establishing medium extreme angle view cut int ext day "
                         "camera crane cranes pan pans zoom zooms tilt tilts dolly dollies track tracks push pushes "
                         "pull pulls boom booms up down left right out back forward away "
                         "empty quiet calm still lonely deserted busy old new little tiny small big large huge "
                         "long tall high low far distant same whole single".split())
_OUTSIDE = frozenset("outside outdoors".split())  # "on the railing outside the window": not a room
# A word that makes "station" no railway's ("the police station").
_NOT_RAILWAY = frozenset("police fire gas petrol space radio power service weather research bus".split())
# Buildings an interior word names, which an action can show from the street: "the bakery
# glows on an empty street" is its front, not the shop inside ("Ana waits in the bakery" is).
_BUILDINGS = frozenset("shop store bakery pharmacy cafe café restaurant bank museum hospital library church cabin "
                       "bar kiosk office studio".split())
_JAPANESE_BUILDINGS = frozenset("パン屋 本屋 商店 薬局 カフェ 喫茶店 レストラン 銀行 博物館 美術館 病院 図書館 教会 "
                                "事務所 オフィス アパート 酒場 バー".split())
_WITHIN = frozenset("in inside into within indoors behind".split())  # ("behind the counter")
_EXTERIOR = frozenset("exterior ext facade façade storefront shopfront".split())
_FACING = frozenset("past front facing opposite toward towards".split())  # "Ana walks past the library"
# Place words that are also everyday verbs ("Ana waves", "the engine stalls", "he plants a
# flag"): in an action they name a place only just after an article or a preposition, or one
# word after it ("by a tomato plant", "rows of tomato plants"). A setting names places only.
_ALSO_VERBS = frozenset("wave plant park block field bar store shop dock house tower stall counter crop bank room "
                        "lane port building slope mound desk hall passage roof shed market".split())
_BEFORE = frozenset("the a an of on in at by to into onto over under above below behind across through along "
                    "from near beside inside his her their its our my your this that these those some".split())
_WORD = re.compile(r"[a-zé]+")
_TOKEN = re.compile(r"[a-zé]+|[.,;:!?()]")  # words and the marks that end a clause
_LINKS = _BEFORE | frozenset("between among around against beyond past toward towards within with and or where "
                                   "when while as".split())
# Grammar-lite (`verb_at`): what tells a word that is both a noun and a verb ("plant", "stall")
# which it is in a clause.
_DETERMINERS = frozenset("a an the his her their its our my your this that these those some any every each".split())
_OBJECT = _DETERMINERS | frozenset("him them me us it".split())  # what follows a verb, never a noun
_SUBJECTS = frozenset("i you he she it we they who".split())
_MODALS = frozenset("will would can could shall should may might must".split())
_CONJUNCTIONS = frozenset("and but or then while when as where so yet because".split())
_PARTICLES = frozenset("up down away off out back again here there now today".split())
# Plural people: what follows them as a base form is their verb, an object after it or not
# ("the kids plant seeds", "the farmers plant rice", "the children park the bikes").
_PEOPLE = frozenset("kids children men women people boys girls friends villagers farmers workers students soldiers "
                    "twins sisters brothers parents neighbours neighbors guards sailors fishermen pupils gardeners "
                    "others both".split())
# Words that stand before a noun to say which or what kind ("the old docks", "the market
# stalls in the square", "the sports field"): what follows them is that noun, not a verb. (No
# set words: "the sea roars" is the sea doing something, which `shows` asks `verb_at`.)
_ADJECTIVES = frozenset("old new empty busy quiet crowded little big small large tall long narrow wide wooden stone "
                        "dark abandoned distant nearby open closed main ancient ruined broken grand huge tiny".split())
_MODIFIERS = frozenset("market fruit food flower fish craft souvenir vegetable noodle coffee tea book gift pet "
                       "corner grocery car theme sports football soccer wheat corn rice battle clock bell water "
                       "control ferry cargo loading dining concert music dance country power tomato".split())
# What the text says is not there ("no trees", "without a door", "not the sea"): a negation
# and the noun phrase after it (`_negated_end`).
_NEGATIONS = frozenset("no not without never nor".split())
_PHRASE = re.compile(r"[\w'’-]+|[^\w\s]")
# Words that end the noun phrase a negation governs ("not far from the sea", "no windows and a
# door", "no zoom in"): prepositions but "of" ("no cup of tea"), conjunctions, "with".
_PHRASE_ENDS = (_LINKS - _DETERMINERS - {"of", "or"}) | _CONJUNCTIONS - {"or"} | {"than", "if", "though"}


@dataclass(frozen=True)
class Place:
    """What a panel's backdrop shows: at most one set per layer (None: not named)."""

    interior: str | None = None
    ground: str | None = None
    far: str | None = None
    sky: bool = False
    dark: bool = False
    moon: bool = False  # a moon and a few stars in the sky (outdoors only)
    front: str | None = None  # outdoors: the interior named, seen from outside (a shop's front)


def affirmed(text: str) -> str:
    """`text` without what it negates: a negation ("no", "not", "without", "never", "nor",
    "isn't") and the noun phrase it governs, however long ("no very tall old trees"), on
    through "or" and "of" ("no trees or houses", "no sign of the sea"), up to a preposition,
    a conjunction, a mark or a new noun phrase's article: "a room with no windows, a door" ->
    "a room with  , a door"; "not far from the sea" keeps the sea."""
    if not _HAS_NEGATION.search(text):
        return text
    tokens = list(_PHRASE.finditer(text))
    out, at, i = [], 0, 0
    while i < len(tokens):
        word = tokens[i].group(0).lower()
        if word in _NEGATIONS or word.endswith(("n't", "n’t")):
            end = _negated_end(tokens, i + 1)
            out += [text[at:tokens[i].start()], " "]
            at, i = tokens[end - 1].end(), end
        else:
            i += 1
    return "".join(out) + text[at:]


_HAS_NEGATION = re.compile(r"\b(?:no|not|without|never|nor)\b|n['’]t\b", re.IGNORECASE)


def _negated_end(tokens: list, i: int) -> int:
    """The index just past the noun phrase(s) starting at tokens[i] that a negation governs."""
    content = False
    while i < len(tokens):
        word = tokens[i].group(0).lower()
        if not word[0].isalnum() or word in _PHRASE_ENDS or (content and word in _DETERMINERS):
            break
        if word in ("or", "nor", "of"):
            if not content:
                break
            content = False  # "no trees or houses", "no sign of the forest": the next phrase is negated too
        else:
            content = content or word not in _DETERMINERS
        i += 1
    return i


def words(text: str) -> list[str]:
    """The words of `text`, lower case, each as the singular the tables list where it is a
    plural of one ("plants" -> "plant", "stories" -> "story", "benches" -> "bench"); Japanese
    place words as the English ones they follow (`_JAPANESE`)."""
    return [_singular(word) for word in _WORD.findall(text.lower())] + _japanese(text)


@lru_cache(maxsize=1024)
def _japanese_words(text: str) -> tuple[str, ...]:
    found = []
    for match in _JAPANESE_FIND.finditer(text):
        english = _JAPANESE_WORD.get(match.group(0))
        if english is not None and not _JAPANESE_NEGATED.match(text, match.end()) and not _in_name(text, match):
            found.append(english)
    return tuple(found)


_KANJI = re.compile(r"[\u3400-\u9fff々]")
# What follows a name, not a place ("森さん", "林先生").
_HONORIFIC = re.compile("さん|くん|君|ちゃん|様|さま|先生|先輩|氏|殿")
# Kanji a one-kanji place word takes after it and stays itself ("川沿い", "森の奥", "町外れ").
_PLACE_SUFFIX = frozenset("沿際内外奥")


def _in_name(text: str, match: re.Match) -> bool:
    """Whether a Japanese place word is part of a name: followed by an honorific ("森さん"), or
    one kanji inside a longer kanji word the tables do not list: a surname such as 森田, 石川,
    中村, 鈴木 (but "川沿い", "森の奥")."""
    if _HONORIFIC.match(text, match.end()):
        return True
    if match.end() - match.start() != 1 or not _KANJI.match(match.group(0)):
        return False
    start, end = match.start(), match.end()
    return bool((start and _KANJI.match(text, start - 1))
                or (end < len(text) and _KANJI.match(text, end) and text[end] not in _PLACE_SUFFIX))


def _japanese_subject_drawn(place: Place, drawn: set, action: str) -> bool:
    """`shows` for a Japanese action: its subject is what comes before the first が, は, mark
    or the end ("波が打ち寄せる", "夜の海"), read when it is place words joined by の, the
    last of them its head ("夜の海": the sea)."""
    head = re.split(r"[がはをにで。、！？\s]", action.strip(), maxsplit=1)[0]
    parts = head.split("の")
    if not parts or not all(part in _JAPANESE_WORD for part in parts):
        return False
    word = _JAPANESE_WORD[parts[-1]]
    if word in _NIGHT:
        return place.moon
    return _SET_OF.get(word) in drawn


def _japanese(text: str) -> list[str]:
    """The English words `text`'s Japanese place words follow, in order ([] without Japanese)."""
    return list(_japanese_words(text)) if _CJK.search(text) else []


@lru_cache(maxsize=4096)
def _singular(word: str) -> str:
    if word not in _SET_OF and len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        for stem in (word[:-3] + "y", word[:-2], word[:-1]) if word.endswith(("ies", "es")) else (word[:-1],):
            if stem in _SET_OF:
                return stem
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The words of `text`, lower case as written, and the marks that end a clause (`verb_at`)."""
    return _TOKEN.findall(text.lower())


def token_starts(text: str) -> list[int]:
    """Where each of `tokens(text)` starts in `text.lower()`."""
    return [match.start() for match in _TOKEN.finditer(text.lower())]


def verb_at(seq: list[str], i: int) -> bool:
    """Whether seq[i] (`tokens`) is used as a verb where it stands, for a word that can be a
    noun or a verb ("plant", "stall", "book"). A noun right after an article, a possessive or
    a preposition ("the plant his father gave", "by the stalls"); a verb after a subject
    pronoun or a modal ("she books", "will park"), before an object ("a hand plants a flag"),
    after plural people or two names opening the clause ("the kids plant seeds", "Ana and Bo
    plant seeds"), or, ending the clause or followed by a preposition, conjunction, particle or -ly word, as
    an -s form after a noun phrase opening its clause with an article or after a name opening
    it ("the engine stalls", "the old engine stalls on the hill", "Bo docks at the pier"), or
    as the base form after a plural one ("the engines stall"). After an adjective or a noun
    that says what kind (`_ADJECTIVES`, `_MODIFIERS`) it is a noun: "the old
    docks", "the market stalls in the square"; "the market stalls are closed" and "rows of
    tomato plants" stay nouns too."""
    def at(k: int) -> str | None:
        return seq[k] if 0 <= k < len(seq) and seq[k][0].isalpha() else None

    before, after = at(i - 1), at(i + 1)
    if before in _BEFORE:
        return False
    if before in _SUBJECTS or before in _MODALS or after in _OBJECT:
        return True
    word = seq[i]
    if before is None or before in _ADJECTIVES or before in _MODIFIERS:
        return False
    if not word.endswith("s") or word.endswith("ss"):
        if before in _PEOPLE:  # "the kids plant seeds"
            return True
        if at(i - 2) == "and" and at(i - 3) is not None and (at(i - 4) is None or seq[i - 4] in _CONJUNCTIONS):
            return True  # two names opening the clause: "Ana and Bo plant seeds"
    if not (after is None or after in _LINKS or after in _PARTICLES or after.endswith("ly")):
        return False
    if not word.endswith("s") or word.endswith("ss"):  # a plural subject's verb: "the engines stall"
        if not (before.endswith("s") and not before.endswith("ss") and len(before) > 3):
            return False
    elif at(i - 2) is None or seq[i - 2] in _CONJUNCTIONS:  # a name opening its clause: "Bo docks at the pier"
        return before not in _DETERMINERS
    j = i - 1  # back over the subject's words to its article
    while j >= 0 and at(j) is not None and seq[j] not in _LINKS and i - j <= 3:
        j -= 1
    return at(j) in _DETERMINERS and j < i - 1 and (at(j - 1) is None or seq[j - 1] in _CONJUNCTIONS)


def named(text: str, *, action: bool = False) -> list[str]:
    """The sets `text` names, in the order it names them (each once); in an `action`, a word
    in `_ALSO_VERBS` counts only after an article or preposition (or one word after it), or
    as a plural opening a clause ("a storm, waves breaking", "fruit stalls line the street"),
    and where it is no verb (`verb_at`: "the engine stalls")."""
    found: list[str] = []
    for word in _japanese(text):  # a Japanese noun is no verb
        name = _SET_OF.get(word)
        if name is not None and name not in found:
            found.append(name)
    seq = tokens(text)
    for i, raw in enumerate(seq):
        word = _singular(raw)
        name = _SET_OF.get(word)
        if name is None or name in found or (word == "station" and i and seq[i - 1] in _NOT_RAILWAY):
            continue
        if LAYER[name] != "interior" and any(LAYER.get(_SET_OF.get(_singular(w), ""), "") == "interior"
                                             for w in seq[i + 1:i + 3] if w[0].isalpha()):
            continue  # it says which room ("the lighthouse lamp room", "the town hall", "the street cafe")
        # A plural opening its clause ("waves crash"), or after a word opening it that says what kind ("fruit stalls").
        start = i - 1 if i and (seq[i - 1] in _ADJECTIVES or seq[i - 1] in _MODIFIERS) else i
        opens = raw != word and (start == 0 or not seq[start - 1][0].isalpha())
        if action and word in _ALSO_VERBS and (not (opens or _BEFORE & set(seq[max(0, i - 2):i])) or verb_at(seq, i)):
            continue
        found.append(name)
    return found


@lru_cache(maxsize=512)
def place(setting: str, action: str) -> Place:
    """The backdrop of a panel whose scene is `setting` and whose action is `action` (what
    either negates is not drawn: `affirmed`)."""
    setting, action = affirmed(setting), affirmed(action)
    in_action, in_setting = named(action, action=True), named(setting)
    both = in_action + [name for name in in_setting if name not in in_action]
    outside = bool(_OUTSIDE & set(words(action)))
    places = [name for name in both if LAYER[name] != "sky"]
    dark = bool(DARK & set(words(setting)))
    front = None
    inside = next((name for name in places if LAYER[name] == "interior"), None)
    if inside is not None:
        # Seen from outside: said so, or (in the action) a building named with an outdoor set.
        text = action if inside in in_action else setting
        building = _building(text)
        seen = outside or (building and _from_outside(text, in_action if text is action else []))
        if places[0] == inside and not seen:
            return Place(interior=inside, dark=dark)
        front = inside if building and seen else None
        places = [name for name in places if LAYER[name] != "interior"]
    sky = "sky" in both
    first = {layer: next((n for n in places if LAYER[n] == layer), None) for layer in ("ground", "far")}
    said = set(words(f"{setting} {action}"))
    moon = bool(_NIGHT & said) and not _HIDDEN & said
    return Place(ground=first["ground"], far=first["far"], sky=sky, dark=dark, moon=moon, front=front)


def _building(text: str) -> bool:
    """Whether the first interior word `text` names is a building's (`_BUILDINGS`), whose
    front can be drawn: "the bakery", not "the counter" or "the stairs"."""
    if _CJK.search(text) and any(word in text for word in _JAPANESE_BUILDINGS):
        return True
    for word in words(text):
        if word in _BUILDINGS:
            return True
        name = _SET_OF.get(word)
        if name is not None and LAYER[name] == "interior":
            return False
    return False


def _from_outside(text: str, names: list[str]) -> bool:
    """Whether `text`, naming a building first among its interiors (`_building`), shows it
    from outside: not after "in", "inside", "into", "behind" ... ("の中" in Japanese), and
    naming an outdoor set too (`names`: "the bakery glows on an empty street"), saying
    exterior ("EXT. BAKERY") or passing it ("past the library", "in front of the bank")."""
    seq = tokens(text)
    at = next((i for i, raw in enumerate(seq) if _singular(raw) in _BUILDINGS
               and (i + 1 == len(seq) or _singular(seq[i + 1]) not in _SET_OF)), None)  # ("office blocks": a city)
    if at is None and not _CJK.search(text):
        return False
    before = set(seq[max(0, at - 3):at]) if at is not None else set()
    if _WITHIN & before or re.search("の中|の奥|内|に入", text):
        return False
    return bool(_EXTERIOR & set(seq) or _FACING & before) or any(LAYER[name] in ("ground", "far") for name in names)


def shows(place: Place, action: str) -> bool:
    """Whether the set `place` draws is what the action is about ("waves roll onto the sandy
    shore", "WIDE on the empty beach. Waves.", "the moon over the sea"), so that a panel
    without cast needs nothing else at its focal point. The subject is the first word that
    is not an article, a preposition, a shot word or a word describing it (`_NOT_SUBJECT`, or
    one ending in -y, -ed or -ing before another word); a singular set word before another
    word names what follows ("the vault dial": the dial)."""
    drawn = {place.interior, place.ground, place.far, place.front} - {None}
    if place.ground == "beach":
        drawn.add("sea")  # a beach draws the waves beyond the sand
    if place.sky:
        drawn.add("sky")
    if _CJK.search(action):
        return _japanese_subject_drawn(place, drawn, action)
    drawn.discard("lighthouse")  # an English lighthouse the action is about is its prop (`_props`)
    seq = tokens(affirmed(action))
    for i, raw in enumerate(seq):
        word = _singular(raw)
        if word in _LINKS or not word[0].isalpha():
            continue
        nxt = seq[i + 1] if i + 1 < len(seq) else None
        after = _singular(nxt) if nxt is not None and nxt[0].isalpha() and nxt not in _LINKS else None
        if word in _NOT_SUBJECT or (after and word not in _SET_OF and word.endswith(("y", "ed", "ing"))):
            continue
        if word in _NIGHT:
            return place.moon
        name = _SET_OF.get(word)
        if name is None:
            return False
        if after is not None and after not in _SET_OF and raw == word and not verb_at(seq, i + 1):
            continue  # a set word naming what follows it: "the vault dial", "a beach ball" (not "the sea roars")
        return name in drawn
    return False
