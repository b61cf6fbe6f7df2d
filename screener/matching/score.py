"""Scorers: how similar a query is to one listed name, in [0, 1], with the reasons.

Each scorer is a small function with a docstring; :func:`score_name` takes the
best of them and then applies the number rule. Weights are tuned on development
data (``benchmarks/``), not on single strings; they are named constants here.

The main scorer, :func:`token_score`, is a weighted soft Dice coefficient over
the core tokens of both names: tokens are aligned (exactly, or as typos within
one edit, two for long tokens), each token weighs ``idf ** WEIGHT_POWER`` (rare,
distinctive tokens dominate, so that two names sharing only "Hangzhou",
"Digital" and "Technology" do not match), and the score is the aligned weight
on both sides over the total weight of both names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from rapidfuzz.distance import Levenshtein

from screener.matching.index import Index, zh_base_of
from screener.matching.normalize import (
    Norm,
    is_cjk_token,
    vocabulary,
)
from screener.matching.rules import (
    CJK_CONTAINED_BASE,
    CJK_CONTAINED_MIN_LEN,
    CJK_HOLDS_BASE,
    CJK_NUMBER_FACTOR,
    COMPACT_EXACT,
    COMPACT_FUZZY_FACTOR,
    COMPACT_FUZZY_MIN,
    COMPACT_FUZZY_MIN_LEN,
    CONTAINED_OTHER,
    CONTAINED_SAME,
    CONTAINED_TYPO_MIN_LEN,
    CONTAINED_TYPO_SHARE,
    CONTAINED_UNIT,
    COUNTRY_WEIGHT,
    DISTINCTIVE_MISSING_CAP,
    FUZZY_ANY_FIRST_LEN,
    GENERIC_LEGAL,
    LEGAL_CONFLICT_FACTOR,
    NUMBER_MISMATCH_CAP,
    ONE_SIDED_NUMBER_CAP,
    PINYIN_EXACT,
    PLACE_CONFLICT_CAP,
    PLACE_WEIGHT,
    SHORT_ACRONYM,
)


@dataclass
class Detail:
    """Why a score is what it is."""

    score: float
    method: str
    matched: list[tuple[str, str, float, float]] = field(default_factory=list)
    query_only: list[str] = field(default_factory=list)
    listed_only: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    relation: str = "same"  # "same": the name itself; "unit": a unit, lab, branch or brand of it
    part: str | None = None  # the part of the query that matched, when not the whole query
    # the query holds the listed name (or its group's) whole and adds a unit, a place or a
    # company's words: an arm of it, which a country elsewhere does not make less likely
    arm: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "method": self.method,
            "relation": self.relation,
            "matched_part": self.part,
            "matched_tokens": [
                {"query": q, "listed": n, "similarity": round(s, 3), "weight": round(w, 2)}
                for q, n, s, w in self.matched
            ],
            "query_only": self.query_only,
            "listed_only": self.listed_only,
            "notes": self.notes,
        }

    def text(self) -> str:
        """One line a reviewer can read."""
        agreed = ", ".join(q if q == n else f"{q}~{n}" for q, n, _, _ in self.matched)
        parts = [f"{self.method} {self.score:.2f}"]
        if agreed:
            parts.append(f"agreed: {agreed}")
        if self.query_only:
            parts.append(f"only in query: {', '.join(self.query_only)}")
        if self.listed_only:
            parts.append(f"only in listed name: {', '.join(self.listed_only)}")
        parts.extend(self.notes)
        return "; ".join(parts)


def token_score(
    q: Norm,
    n: Norm,
    idx: Index,
    fuzzy: dict[str, list[tuple[str, float]]],
    order: list[str] | None = None,
) -> Detail:
    """Weighted soft Dice over core tokens (see the module docstring).

    ``fuzzy`` maps each query token to its typo variants in the vocabulary;
    ``order`` is the query tokens, heaviest first (computed once per query).
    A matched pair weighs what the listed token weighs, on both sides.
    """
    W, mw = idx.w, idx.max_w
    n_left = list(n.tokens)
    n_places, q_places_all = n.places, q.places
    matched: list[tuple[str, str, float, float]] = []
    q_only: list[str] = []
    if order is None:
        order = sorted(q.tokens, key=lambda t: -W.get(t, mw))
    for t in order:
        # a word of a two-word place ("South China") is not the same word outside it
        if t in n_left and (t in n_places) == (t in q_places_all):
            n_left.remove(t)
            w = W.get(t, mw)
            matched.append((t, t, 1.0, w * PLACE_WEIGHT if t in n_places else w))
            continue
        best: tuple[str, float] | None = None
        for v, sim in fuzzy.get(t, ()):
            if v in n_left and (best is None or sim > best[1]):
                best = (v, sim)
        if best:
            v = best[0]
            n_left.remove(v)
            w = W.get(v, mw)
            matched.append((t, v, best[1], w * PLACE_WEIGHT if v in n_places else w))
        else:
            q_only.append(t)
    q_places = [t for t in q_only if t in q_places_all]
    l_places = [t for t in n_left if t in n_places]
    # a place only one name has counts for little when what agrees is distinctive
    # ("Shenzhen SenseNets" is SenseNets), in full when it is a common word ("Beijing
    # Vision" is not VISION), and in full when both names have places that differ
    # a place that agrees ties nothing together: many organisations share a city
    distinctive_agrees = any(idx.is_distinctive(v) for _, v, _, _ in matched if v not in n_places)
    conflict = bool(q_places and l_places) or bool(
        (q_places or l_places) and not distinctive_agrees
    )
    total = 0.0
    mass = 0.0
    for _, _, sim, w in matched:
        total += 2 * w
        mass += 2 * w * sim
    countries = vocabulary()["country_words"]
    for t in q_only:
        w = W.get(t, mw)
        if t in q_places_all and not conflict:
            w *= COUNTRY_WEIGHT if t in countries else PLACE_WEIGHT
        total += w
    for t in n_left:
        w = W.get(t, mw)
        if t in n_places and not conflict:
            w *= COUNTRY_WEIGHT if t in countries else PLACE_WEIGHT
        total += w
    d = Detail(mass / total if total else 0.0, "tokens", matched, q_only, n_left)
    if d.score > DISTINCTIVE_MISSING_CAP:
        for side, toks, left, pl in (
            ("listed name", n.tokens, n_left, n_places),
            ("query", q.tokens, q_only, q_places_all),
        ):
            if not left:
                continue
            heaviest = max(toks, key=lambda t: W.get(t, mw) * (PLACE_WEIGHT if t in pl else 1))
            if heaviest in left:
                d.score = DISTINCTIVE_MISSING_CAP
                d.notes.append(f"the {side}'s most distinctive word '{heaviest}' is unmatched")
                break
    if conflict:
        d.notes.append(f"places differ: {', '.join(q_places)} / {', '.join(l_places)}")
    if not distinctive_agrees:
        _generic_caps(d, q, n, q_only, n_left, idx)
    _institution_place_cap(d, q, n, n_left)
    if len(n.tokens) == 1 and d.score > DISTINCTIVE_MISSING_CAP:
        word = n.tokens[0]
        short = len(word) <= 3 or idx.is_syllable(word)
        if (short and q.tokens != n.tokens) or (
            len(word) < FUZZY_ANY_FIRST_LEN
            and any(
                len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1
                for a, b, _, _ in matched
            )
        ):
            # "Hua Technology" is not "HUA"; a letter replaced makes another short name:
            # "Intel" is not "INTER" or "Intecs"
            d.score = DISTINCTIVE_MISSING_CAP
            d.notes.append("a listed name of one short word matches only as written")
    return d


def _generic_caps(
    d: Detail, q: Norm, n: Norm, q_only: list[str], n_left: list[str], idx: Index
) -> None:
    """Caps for names that no distinctive word ties together. When the listed name has
    no distinctive word of its own, its places and its words are all it is:

    - a place (or "China") that only one name has, or places that differ, leave the
      score at ``PLACE_CONFLICT_CAP`` ("Agricultural Bank of China" is not
      "Agricultural Bank"; "Electronic Technology Group" is not "China Electronics
      Technology Group"; "Beijing Institute of Technology" is not "Harbin ...");
    - another word the query adds, or the listed name has, leaves it at
      ``DISTINCTIVE_MISSING_CAP`` ("China Electronics Trading Company" is not "China
      Electronics Corporation"; "Lanzhou University" is not "Lanzhou University of
      Technology").
    """
    if d.score <= PLACE_CONFLICT_CAP or any(
        idx.is_distinctive(t) for t in n.tokens if t not in n.places
    ):
        return  # nothing to cap, or a distinctive word of the listed name
    v = vocabulary()
    placeish = v["setaside"]
    q_pl = [t for t in q_only if t in q.places or t in placeish]
    l_pl = [t for t in n_left if t in n.places or t in placeish]
    if (q_pl or l_pl) and d.score > PLACE_CONFLICT_CAP:
        d.score = PLACE_CONFLICT_CAP
        d.notes.append(
            f"nothing but the place tells these names apart: "
            f"{', '.join(q_pl) or '-'} / {', '.join(l_pl) or '-'}"
        )
        return
    matched = {q_tok for q_tok, _, _, _ in d.matched}
    added = [t for t in q_only if t not in matched and not t.isdecimal()]  # a repeat is no word
    # the listed name's own words ("Lanzhou University of Technology" is not "Lanzhou
    # University"); its Chinese name beside the query's Latin one is not among them
    lacked = [t for t in n_left if not t.isdecimal() and (q.cjk or not is_cjk_token(t))]
    if (added or lacked) and d.score > DISTINCTIVE_MISSING_CAP:
        d.score = DISTINCTIVE_MISSING_CAP
        d.notes.append(
            f"names of common words that differ: {', '.join(added) or '-'} / "
            f"{', '.join(lacked) or '-'}"
        )


def _institution_place_cap(d: Detail, q: Norm, n: Norm, n_left: list[str]) -> None:
    """An institution's own place is part of its name: "Institute of Automation, Chinese
    Academy of Sciences" (Beijing) is not the Shenyang Institute of Automation. A
    listed institution's city or province that the query lacks caps the score at
    ``DISTINCTIVE_MISSING_CAP``."""
    if d.score <= DISTINCTIVE_MISSING_CAP or not n_left:
        return
    v = vocabulary()
    if v["institution"].isdisjoint(n.tokens):
        return
    missing = [t for t in n_left if t in n.places and t not in v["country_words"]]
    if missing:
        d.score = DISTINCTIVE_MISSING_CAP
        d.notes.append(f"the listed institution's place is not in the query: {', '.join(missing)}")


def compact_score(q: Norm, n: Norm, idx: Index, tokens: Detail | None = None) -> Detail | None:
    """Spacing and hyphen variants: ``Hik-Vision`` / ``Hikvision``, ``Sense Time``.

    Near-same letters (words cut differently, "Andrang Heta" / "'Ndrangheta", or
    changed in their endings, "Municipal" / "Municipality", or misspelt, "China Baowei
    Steel") count unless what the token scorer (``tokens``) left unmatched puts a
    common word or descriptor where the listed name has a coined one: "Zhejiang Data
    Technology" is not "Zhejiang Dahua Technology".
    """
    if len(q.compact) < 4 or len(n.compact) < 4 or q.cjk or n.cjk:
        return None  # Chinese script has no spaces to vary: cjk_score handles it
    if q.compact == n.compact or (len(q.joined) >= 6 and q.joined == n.joined):
        return Detail(COMPACT_EXACT, "same letters without spaces")
    if min(len(q.compact), len(n.compact)) < COMPACT_FUZZY_MIN_LEN:
        return None
    if Levenshtein.normalized_similarity(q.compact, n.compact) < COMPACT_FUZZY_MIN:
        return None
    if tokens is not None and (tokens.query_only or tokens.listed_only):
        q_rest = [t for t in q.tokens if t in tokens.query_only]
        n_rest = [t for t in n.tokens if t in tokens.listed_only]
        if not q_rest or not n_rest or min(len("".join(q_rest)), len("".join(n_rest))) < 3:
            return None
        generic = vocabulary()["generic"]
        common = [t for t in q_rest if t in generic or idx.is_common(t)]
        if common and any(idx.is_brand(t) for t in n_rest):
            return None  # a common word for a coined one is another name: "Data" is not "Dahua"
    sim = Levenshtein.normalized_similarity(q.compact, n.compact)
    return Detail(sim * COMPACT_FUZZY_FACTOR, "near-same letters without spaces")


def cjk_score(q: Norm, n: Norm) -> Detail | None:
    """Chinese script: the same core, or one core inside the other.

    Legal forms (有限公司...) and leading place names are already gone from the cores;
    this path applies only when both names have the same leading places (or none).
    A contained core counts only when it has ``CJK_CONTAINED_MIN_LEN`` characters, so
    that a two-character short name does not hit every longer name holding it.
    """
    if not q.cjk or not n.cjk:
        return None
    if _zh_places(q) != _zh_places(n):
        # 北京工业大学 is not 哈尔滨工业大学: their cores agree only once the places are
        # gone; the token score, which weighs places and the rest, decides instead
        return None
    if q.cjk == n.cjk:
        return Detail(1.0 if not _latin_differs(q, n) else 0.9, "same Chinese name")
    short, long_ = sorted((q.cjk, n.cjk), key=len)
    if len(short) >= CJK_CONTAINED_MIN_LEN and short in long_:
        # a shortened listed name ("海康威视数字技术") is likelier the same entity than
        # a query that holds a listed name and more ("中国电子" in "中国电子科技...")
        base = CJK_CONTAINED_BASE if short == q.cjk else CJK_HOLDS_BASE
        s = base + (1 - base) * len(short) / len(long_)
        method = (
            "query inside the listed Chinese name"
            if short == q.cjk
            else ("listed Chinese name inside the query")
        )
        d = Detail(s, method)
        if q.numbers != n.numbers:
            d.score *= CJK_NUMBER_FACTOR
            d.notes.append("numbers differ")
        return d
    return None


def _zh_places(x: Norm) -> set[str]:
    return {p for p in x.places if not p.isascii()}


def _latin_differs(q: Norm, n: Norm) -> bool:
    lq = {t for t in q.tokens if t.isascii()}
    ln = {t for t in n.tokens if t.isascii()}
    return bool(lq and ln and lq != ln)


def contained_words(q: Norm, fuzzy: dict[str, list[tuple[str, float]]], idx: Index) -> set[str]:
    """The core words :func:`contained_score` can find in the query: its words, and the
    typo variants it takes for one (of a query word that is neither a place nor a common
    word, with the same first letter, ``CONTAINED_TYPO_MIN_LEN`` letters or more). A name
    whose brand core is not all among them has no containment score."""
    out = set(q.tokens)
    for t in q.tokens:
        out.update(v for v, s in fuzzy.get(t, ()) if s > 0 and _typo_taken(t, v, q, idx))
    return out


def _typo_taken(t: str, c: str, q: Norm, idx: Index) -> bool:
    """Whether :func:`contained_score` takes the query word ``t`` for the core word ``c``
    when ``t`` may be a typo of it: ``c`` is long enough and begins as ``t`` does, and
    ``t`` is neither a place ("Jinan" is a city, not a typo of "Jianan") nor a common
    word ("Structures")."""
    return (
        len(c) >= CONTAINED_TYPO_MIN_LEN
        and t[0] == c[0]
        and t not in q.places
        and not idx.is_common(t)
    )


def contained_score(
    q: Norm, n: Norm, core: tuple[str, ...], fuzzy: dict[str, list[tuple[str, float]]], idx: Index
) -> Detail | None:
    """A listed organisation's own name inside the query: the query names it, or a unit,
    lab, branch or brand company of it.

    ``core`` is the listed name's brand core (:func:`screener.matching.index.brand_core`):
    every core word must be in the query, as a whole word or within the typo distance of
    ``fuzzy``. What the query adds decides:

    - legal forms, and descriptors its own names hold or that say little ("Group"): the
      same organisation ("iFLYTEK Co., Ltd."; "Zhejiang Dahua Tech Grp"),
      ``CONTAINED_SAME``;
    - unit words, or a name ending in one ("Hikvision Research Institute", "Huawei
      Noah's Ark Lab"), a place it lacks after its name ("Hikvision USA", "Huawei
    Technologies Düsseldorf"; a place before it is how Chinese companies are named:
    "Zhejiang Uniview Technologies") or descriptors of its own
      ("Hikvision International", "Hangzhou Hikvision System Technology"): a unit,
      branch, regional or brand company of it, ``CONTAINED_UNIT``;
    - other words, to a company's long coined name ("Hikvision xyz"): a company named
      after it, ``CONTAINED_OTHER``; never to an institution's name, where another
      word makes another institution ("Huazhong Agricultural University").

    A typo in a core word lowers the score by ``CONTAINED_TYPO_SHARE`` of what it lacks.
    """
    if not core:
        return None
    qset = set(q.tokens)
    least = 1.0
    used: set[str] = set()
    for c in core:
        if c in qset:
            used.add(c)
            continue
        sim = 0.0
        for t in q.tokens:
            if not _typo_taken(t, c, q, idx):
                continue
            for v, s in fuzzy.get(t, ()):
                if v == c and s > sim:
                    sim, hit = s, t
        if not sim:
            return None
        used.add(hit)
        least = min(least, sim)
    listed = set(n.tokens)
    qi = _query_info(q, idx)
    extras = [t for t in qi.latin if t not in used and t not in listed]
    institution = not _INSTITUTION().isdisjoint(n.tokens)
    kinds = qi.kinds
    units = [t for t in extras if kinds[t] == "unit"]
    pos = qi.position
    first = min((pos[c] for c in used if c in pos), default=0)
    # "Systems Engineering Research Institute of China State Shipbuilding Corporation":
    # the words before "of <the listed name>" name a unit of it, whatever they are
    before = [t for t in extras if pos.get(t, first) < first]
    of_unit = (
        bool(before)
        and any(kinds[t] in ("unit", "institution") for t in before)
        and (_of_before(q, used, pos, first))
    )
    if of_unit:
        units += [t for t in before if t not in units]
        extras = [t for t in extras if t not in before]
    elif any(kinds[t] == "institution" for t in extras):
        return None  # "Shanghai Maritime University" is no company's unit
    if (
        institution
        and any(pos[t] < first for t in extras if kinds[t] == "place")
        and not (any(pos[t] < first for t in units))
    ):
        # a place before an institution's name makes another one ("Hong Kong University of
        # Science and Technology"), unless it names a unit of it ("Chengdu College of ...")
        return None
    plain = ("other", "generic", "weak") if institution else ("other",)
    other = [t for t in extras if kinds[t] in plain]
    named_unit = qi.named_unit
    # a company's name with a place it lacks ("Hikvision USA", "Beijing Hikvision"): a
    # regional company; with other descriptors than its own on both sides ("Hikvision
    # System Technology" / "Hikvision Digital Technology"): a brand company
    elsewhere = [t for t in extras if kinds[t] in ("place", "city") and pos[t] > first]
    brand_co = [t for t in extras if kinds[t] == "generic"] if not institution else []
    # ...but only where the query holds the listed name whole (its places aside): the
    # brand alone with other words ("Megatech Industries" for "Megatech Engineering &
    # Services") is another company as often as a brand company of it
    if (
        not institution
        and (brand_co or other)
        and not all(t in qset or t in used or t in n.places for t in n.tokens)
    ):
        return None
    # a company's own place or country that the query lacks, where the query names another
    # ("PetroChina Engineering" is not "Petro Iran Development"; a company of Hikvision's
    # in one country is not its company in another)
    if not institution and _places_differ(q, n, qset):
        return None
    regional = not institution and bool(elsewhere or brand_co)
    if other and not named_unit:
        brands = [c for c in core if idx.is_brand(c)]
        if institution or len(other) > 2 or not all(idx.is_coined(c) for c in brands):
            return None
        d = Detail(CONTAINED_OTHER, "listed name inside the query", relation="unit")
        d.notes.append(f"a company named after it: the query adds {', '.join(other)}")
    elif units or named_unit or regional:
        d = Detail(CONTAINED_UNIT, "listed name inside the query", relation="unit", arm=True)
        what = units or other or elsewhere or brand_co
        d.notes.append(f"a unit, branch or brand company of it: {', '.join(what)}")
    else:
        d = Detail(CONTAINED_SAME, "listed name inside the query")
    if least < 1.0:
        d.score -= (1.0 - least) * CONTAINED_TYPO_SHARE
    return d


def _places_differ(q: Norm, n: Norm, qset: set[str]) -> bool:
    """The listed name has a Latin place the query lacks, and the query one (or "China")
    the listed name lacks."""
    lacked = [t for t in n.places if t.isascii() and t not in qset]
    if not lacked:
        return False
    listed = set(n.tokens)
    return any(t not in listed for t in q.places if t.isascii()) or (
        "china" in qset and "china" not in listed
    )


def _of_before(q: Norm, used: set[str], pos: dict[str, int], first: int) -> bool:
    """The query's text says "... of <the listed name>": "of" (or "of the") is the word
    just before the first word of the listed name found in it."""
    word = next((c for c in used if pos.get(c) == first), None)
    if word is None:
        return False
    words = q.text.split()
    for i, w in enumerate(words):
        if w.startswith(word[:4]) and i:  # the text's word before step 8 ("systems")
            before = words[i - 2 : i] if words[i - 1] == "the" else words[i - 1 : i]
            return bool(before) and before[0] == "of"
    return False


class _QueryInfo(NamedTuple):
    """What :func:`contained_score` needs of a query, worked out once per query."""

    latin: list[str]  # the query's Latin words
    kinds: dict[str, str]  # word -> place, city, unit, institution, generic, weak, other, skip
    position: dict[str, int]  # word -> its first position
    named_unit: bool  # the query's last word but places is a unit word ("... Lab")


def _INSTITUTION() -> frozenset[str]:
    return vocabulary()["institution"]  # type: ignore[no-any-return]


_QUERY_INFO: dict[tuple[int, Norm], _QueryInfo] = {}


def _query_info(q: Norm, idx: Index) -> _QueryInfo:
    key = (id(idx), q)
    info = _QUERY_INFO.get(key)
    if info is not None:
        return info
    v = vocabulary()
    kinds: dict[str, str] = {}
    for t in q.tokens:
        if t in kinds or is_cjk_token(t):
            continue
        if t in q.places:
            kinds[t] = "place"
        elif t in v["setaside"] or t.isdecimal():
            kinds[t] = "skip"
        elif t in v["unit_words"]:
            kinds[t] = "unit"
        elif t in v["institution"]:
            kinds[t] = "institution"
        elif t in idx.cities:
            kinds[t] = "city"
        elif t in v["weak_descriptors"]:
            kinds[t] = "weak" if t in v["generic"] else "other"
        elif t in v["generic"]:
            kinds[t] = "generic"
        else:
            kinds[t] = "other"
    latin = [t for t in q.tokens if t in kinds]
    position: dict[str, int] = {}
    for i, t in enumerate(q.tokens):
        position.setdefault(t, i)
    last = [t for t in q.tokens if t not in q.places and t not in v["setaside"]]
    info = _QueryInfo(latin, kinds, position, bool(last) and last[-1] in v["unit_words"])
    if len(_QUERY_INFO) > 4096:
        _QUERY_INFO.clear()
    _QUERY_INFO[key] = info
    return info


def zh_contained_score(q: Norm, n: Norm, idx: Index | None = None) -> Detail | None:
    """A Chinese company name without or with other descriptors (大华科技 / 浙江大华技术股份
    有限公司 / 大华股份), or with a unit word (海康威视研究院): the same base
    (:func:`screener.matching.index.zh_base_of`), and the same leading places or none.
    A company named after its group with descriptors (中电科数字技术: CETC Digital
    Technology) has the group's name (中国电科) for its base, which names the group, not
    it: only the group's own names are found through it."""
    if not q.cjk or not n.cjk or q.numbers != n.numbers:
        return None
    nb = zh_base_of(n.cjk)
    if not nb:
        return None
    if nb != n.cjk and idx is not None and idx.groups is not None and nb in idx.groups.zh_names:
        return None
    if zh_base_of(q.cjk) == nb:
        return Detail(CONTAINED_SAME, "same Chinese name but for its descriptors")
    if zh_base_of(q.cjk, units=True) == nb:
        return Detail(CONTAINED_UNIT, "a unit of the listed Chinese name", relation="unit")
    return None


def pinyin_score(q: Norm, n: Norm) -> Detail | None:
    """A Latin name written as the pinyin of a Chinese name, either way round.

    Transliteration alone is weak evidence, so this path scores ``PINYIN_EXACT``
    at most and needs the whole spaceless form to agree.
    """
    if q.pinyin and len(q.pinyin) >= 6 and q.pinyin == n.compact:
        return Detail(PINYIN_EXACT, "pinyin of the query equals the listed name")
    if n.pinyin and len(n.pinyin) >= 6 and n.pinyin == q.compact:
        return Detail(PINYIN_EXACT, "query equals the pinyin of the listed name")
    return None


def score_name(
    q: Norm,
    n: Norm,
    idx: Index,
    fuzzy: dict[str, list[tuple[str, float]]],
    order: list[str] | None = None,
    core: tuple[str, ...] = (),
) -> Detail:
    """The best of the scorers, then the number rule.

    Number rules: when both names carry numbers and they differ, the names are of
    different entities (CETC 28 is not CETC 38; Fund VIII is not Fund IX): the
    score is capped at ``NUMBER_MISMATCH_CAP``. When only one carries a number, it
    names a numbered unit the other does not (CETC 14 is not CETC itself): capped
    at ``ONE_SIDED_NUMBER_CAP``.
    Legal-form rule: both name specific legal forms and they differ (AG and GmbH):
    the score is multiplied by ``LEGAL_CONFLICT_FACTOR``.
    """
    if q.tokens == n.tokens:
        best = Detail(
            1.0, "same name after normalization", [(t, t, 1.0, idx.weight(t)) for t in q.tokens]
        )
    else:
        best = token_score(q, n, idx, fuzzy, order)
        contained = contained_score(q, n, core, fuzzy, idx) if core else None
        if contained is None and (q.cjk and n.cjk) and _zh_places(q) == _zh_places(n):
            contained = zh_contained_score(q, n, idx)
        others = (compact_score(q, n, idx, best), cjk_score(q, n), pinyin_score(q, n), contained)
        for other in others:
            if other and other.score > best.score:
                other.matched, other.query_only, other.listed_only = (
                    best.matched,
                    best.query_only,
                    best.listed_only,
                )
                other.notes = best.notes + other.notes if other is contained else other.notes
                best = other
        if contained is not None and contained.relation != "same":
            best.relation, best.arm = contained.relation, contained.arm
    return _final_rules(best, q, n)


def score_contained(
    q: Norm, n: Norm, idx: Index, fuzzy: dict[str, list[tuple[str, float]]], core: tuple[str, ...]
) -> Detail | None:
    """Containment alone (:func:`contained_score`, :func:`zh_contained_score`), with the
    rules of :func:`score_name` after it: for a name the token score cannot bring near
    the threshold, the candidate step having bounded it."""
    d = contained_score(q, n, core, fuzzy, idx) if core else None
    if d is None and q.cjk and n.cjk and _zh_places(q) == _zh_places(n):
        d = zh_contained_score(q, n, idx)
    return _final_rules(d, q, n) if d is not None else None


def _final_rules(best: Detail, q: Norm, n: Norm) -> Detail:
    """The legal-form, acronym and number rules of :func:`score_name`, and rounding.

    Acronym rule: a query that is one word of three letters or fewer ("CNR", the Italian
    research council) names a listed name only when it is that word: it is no more than
    ``DISTINCTIVE_MISSING_CAP`` of "China CNR Corporation"."""
    if (
        len(q.tokens) == 1
        and len(q.tokens[0]) <= SHORT_ACRONYM
        and q.tokens[0].isalpha()
        and q.tokens != n.tokens
        and best.score > DISTINCTIVE_MISSING_CAP
    ):
        best.score = DISTINCTIVE_MISSING_CAP
        best.notes.append("a query of one short word matches only a name that is that word")
    ql, nl = set(q.legal) - GENERIC_LEGAL, set(n.legal) - GENERIC_LEGAL
    if ql and nl and not ql & nl:
        best.score *= LEGAL_CONFLICT_FACTOR
        best.notes.append(f"legal forms differ: {', '.join(sorted(ql))} / {', '.join(sorted(nl))}")
    if bool(q.numbers) != bool(n.numbers) and best.score > ONE_SIDED_NUMBER_CAP:
        best.score = ONE_SIDED_NUMBER_CAP
        best.notes.append(f"only the {'query' if q.numbers else 'listed name'} has a number")
    if q.numbers and n.numbers and q.numbers != n.numbers:
        if best.score > NUMBER_MISMATCH_CAP:
            best.score = NUMBER_MISMATCH_CAP
        best.notes.append(
            f"numbers differ: {', '.join(sorted(q.numbers))} / {', '.join(sorted(n.numbers))}"
        )
    best.score = round(best.score, 4)  # as reported; a threshold compares with what users see
    return best
