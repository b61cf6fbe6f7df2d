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
from typing import Any

from rapidfuzz.distance import Levenshtein

from screener.matching.index import Index
from screener.matching.normalize import Norm, vocabulary
from screener.matching.rules import (
    CJK_CONTAINED_BASE,
    CJK_CONTAINED_MIN_LEN,
    CJK_HOLDS_BASE,
    CJK_NUMBER_FACTOR,
    COMPACT_EXACT,
    COMPACT_FUZZY_FACTOR,
    COMPACT_FUZZY_MIN,
    COMPACT_FUZZY_MIN_LEN,
    COUNTRY_WEIGHT,
    DISTINCTIVE_MISSING_CAP,
    GENERIC_LEGAL,
    LEGAL_CONFLICT_FACTOR,
    NUMBER_MISMATCH_CAP,
    ONE_SIDED_NUMBER_CAP,
    PINYIN_EXACT,
    PLACE_WEIGHT,
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "method": self.method,
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


def token_score(q: Norm, n: Norm, idx: Index, fuzzy: dict[str, list[tuple[str, float]]],
                order: list[str] | None = None) -> Detail:  # fmt: skip
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
        if t in n_left:
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
    conflict = bool(q_places and l_places) or bool(
        (q_places or l_places) and not any(idx.is_distinctive(v) for _, v, _, _ in matched)
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
        for side, toks, left, pl in (("listed name", n.tokens, n_left, n_places),
                                     ("query", q.tokens, q_only, q_places_all)):  # fmt: skip
            if not left:
                continue
            heaviest = max(toks, key=lambda t: W.get(t, mw) * (PLACE_WEIGHT if t in pl else 1))
            if heaviest in left:
                d.score = DISTINCTIVE_MISSING_CAP
                d.notes.append(f"the {side}'s most distinctive word '{heaviest}' is unmatched")
                break
    if conflict:
        d.notes.append(f"places differ: {', '.join(q_places)} / {', '.join(l_places)}")
    return d


def compact_score(q: Norm, n: Norm) -> Detail | None:
    """Spacing and hyphen variants: ``Hik-Vision`` / ``Hikvision``, ``Sense Time``."""
    if len(q.compact) < 4 or len(n.compact) < 4 or q.cjk or n.cjk:
        return None  # Chinese script has no spaces to vary: cjk_score handles it
    if q.compact == n.compact or (len(q.joined) >= 6 and q.joined == n.joined):
        return Detail(COMPACT_EXACT, "same letters without spaces")
    # near-same letters: words cut differently ("Andrang Heta" / "'Ndrangheta") or
    # changed in their endings ("Municipal" / "Municipality")
    if min(len(q.compact), len(n.compact)) >= COMPACT_FUZZY_MIN_LEN:
        sim = Levenshtein.normalized_similarity(q.compact, n.compact)
        if sim >= COMPACT_FUZZY_MIN:
            return Detail(sim * COMPACT_FUZZY_FACTOR, "near-same letters without spaces")
    return None


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
        method = "query inside the listed Chinese name" if short == q.cjk else (
            "listed Chinese name inside the query")  # fmt: skip
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


def score_name(q: Norm, n: Norm, idx: Index, fuzzy: dict[str, list[tuple[str, float]]],
               order: list[str] | None = None) -> Detail:  # fmt: skip
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
        best = Detail(1.0, "same name after normalization",
                      [(t, t, 1.0, idx.weight(t)) for t in q.tokens])  # fmt: skip
    else:
        best = token_score(q, n, idx, fuzzy, order)
        for other in (compact_score(q, n), cjk_score(q, n), pinyin_score(q, n)):
            if other and other.score > best.score:
                other.matched, other.query_only, other.listed_only = (
                    best.matched, best.query_only, best.listed_only)  # fmt: skip
                best = other
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
