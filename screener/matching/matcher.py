"""Screen a name against the index: candidates, scores, country evidence, hits.

    from screener.matching.matcher import Matcher, screen
    m = Matcher.from_store(Store.open())
    for hit in screen(m, "Hangzhou Hikvision Digital Technology Co., Ltd."):
        print(hit.score, hit.entity.name, hit.matched_name, hit.explanation)

Candidates come from the inverted index (exact tokens, typo variants, spaceless
and pinyin forms); only the candidates whose shared token weight could reach the
threshold are scored in full (:mod:`screener.matching.score`). An entity's score is that
of its best-scoring name.

Country (ISO alpha-2) of the query, when given, is secondary evidence: for an
entity with known countries, a shared country adds ``COUNTRY_BONUS`` and no
shared country subtracts ``COUNTRY_PENALTY``; entities without countries, and
scores below ``COUNTRY_MIN_SCORE``, are left alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from screener.countries import country_option
from screener.matching.country import apply_country, dob_option, floor
from screener.matching.groups import GROUP_METHOD, is_group_hit
from screener.matching.hit import Hit
from screener.matching.index import Index, brand_core, typo_similarity, zh_base_of
from screener.matching.names import Part, acronym_of, query_acronym, query_parts, slash_parts
from screener.matching.normalize import (
    MAX_CHARS,
    Norm,
    clean,
    is_cjk_token,
    normalize,
    strip_format,
)
from screener.matching.rules import (
    ACRONYM_SCORE,
    CJK_CONTAINED_MIN_LEN,
    DEFAULT_THRESHOLD,
    DISTINCTIVE_MISSING_CAP,
    FUZZY_MAX_DF,
    FUZZY_MIN_LEN,
    LEAST_PLACE_SHARE,
    MAX_CANDIDATES,
    MAX_PARTS_CHARS,
    MAX_TEXT_CHARS,
    ROUNDING,
    TEXT_FOUND,
    TRUNCATED_MAX,
    TRUNCATED_MAX_NAMES,
    TRUNCATED_MIN,
    TRUNCATED_WORD,
    TRUNCATED_WORD_ENTITIES,
    WHOLE_NAME_FOUND,
    valid_threshold,
)
from screener.matching.score import Detail, contained_words, score_contained, score_name
from screener.model import Entity

TEXT_METHOD = "listed name found in the text"
# a candidate pool this large has its bounds computed in numpy (Matcher._array_bounds)
ARRAY_POOL = 64
# postings this long are read lightest names first (Matcher._viable), and brand
# keys of this many names are checked once per brand core (Matcher._core_groups)
LONG_POSTINGS = 100
MANY_BRAND_NAMES = 32
# (variants with similarity, least weight, most weight, typo variants) of a query token
TokenInfo = tuple[tuple[tuple[str, float], ...], float, float, tuple[tuple[str, float], ...]]


class Matcher:
    """An index plus the screening logic; build once, screen many names."""

    def __init__(self, index: Index, threshold: float = DEFAULT_THRESHOLD):
        self.index = index
        self.threshold = threshold
        self._tokens: dict[str, TokenInfo] = {}
        self._arrays: dict[str, Any] = {}  # token -> its postings as an array (_posting_array)
        # token -> its names by least weight, and brand key -> its names by brand core:
        # kept across queries (see _light_first, _core_groups)
        self._light: dict[str, tuple[list[int], Any]] = {}
        self._weights: Any = None  # Index.wmin as a numpy array (_light_first, _array_bounds)
        self._cores: dict[str, list[tuple[tuple[str, ...], list[int]]]] = {}
        if isinstance(index.wmin, list) and len(index.names) >= LONG_POSTINGS:
            # a whole index reads its long postings and big pools in numpy (_light_first,
            # _array_bounds): imported with it, not by the first query with a common word
            # (0.12 CPU-s, which a server's first request waited for)
            import numpy  # noqa: F401

    @classmethod
    def from_entities(
        cls, entities: Iterable[Entity], groups: list[dict[str, Any]] | None = None, **kw: Any
    ) -> Matcher:
        """A matcher over ``entities``, with the listed ``groups``
        (:func:`screener.lists.parsers.groups.parse`) when given."""
        return cls(Index.build(entities, groups=groups), **kw)

    @classmethod
    def from_store(
        cls,
        store: Any,
        source_ids: Iterable[str] | None = None,
        groups: list[dict[str, Any]] | None = None,
        **kw: Any,
    ) -> Matcher:
        """Index the active version of every source (or of ``source_ids``)."""
        versions = store.require_lists()
        names = {v["source_id"]: v["source_name"] for v in versions}
        ents = []
        for e in store.entities(source_ids):
            e.extra["source_name"] = names.get(e.extra.get("source_id"))
            ents.append(e)
        return cls(Index.build(ents, versions, groups), **kw)

    # -- candidates ---------------------------------------------------------
    def _token(self, t: str) -> TokenInfo:
        """What candidate generation needs of a query token, cached across queries:
        its variants in the vocabulary (itself, typo variants), the least and most
        weight it can bring, and its typo variants alone.

        Tokens held by more than ``FUZZY_MAX_DF`` names are common words whose
        misspellings carry little weight; their typo variants are not looked up.
        """
        info = self._tokens.get(t)
        if info is None:
            idx = self.index
            post = idx.postings.get(t)
            typos = tuple(idx.fuzzy(t)) if post is None or len(post) <= FUZZY_MAX_DF else ()
            variants = (((t, 1.0),) if post is not None else ()) + typos
            w = idx.w
            own = idx.weight(t)
            w_low = min([own] + [w[v] for v, _ in variants])
            w_max = max((w[v] * sim for v, sim in variants), default=0.0)
            if len(self._tokens) > 200_000:
                self._tokens.clear()
            info = self._tokens[t] = (variants, w_low, w_max, typos)
        return info

    def candidates(
        self, q: Norm, threshold: float, infos: dict[str, TokenInfo] | None = None
    ) -> list[int]:
        """Ids of the names whose score could reach ``threshold``, most promising first.

        Prefix filtering: a name reaches the threshold only if the weight it shares
        with the query is at least ``threshold * q / (2 - threshold)`` (``q``: the
        least the query can weigh). Query tokens are taken rarest first; once the
        tokens left could not reach that weight on their own, a candidate must hold
        one of the tokens taken, so only their (short) postings are walked. Each
        candidate then gets an upper bound of its score, ``2 * shared / (q + n)``
        (``n``: the least the name can weigh), and only names whose bound reaches
        the threshold are scored in full. Names equal in their spaceless or pinyin
        form are always scored, and for a Chinese-script query so are names whose
        Chinese core holds the query's core or is held by it. (Names the query may
        hold whole are found apart: :meth:`_contained_candidates`.)
        """
        idx = self.index
        q_min = 0.0
        places = q.places
        per_token: list[tuple[tuple[tuple[str, float], ...], float]] = []
        if infos is None:
            infos = {t: self._token(t) for t in dict.fromkeys(q.tokens)}
        rest = 0.0
        for t, (variants, w_low, w_max, _) in infos.items():
            q_min += w_low * LEAST_PLACE_SHARE if t in places else w_low
            if variants:
                per_token.append((variants, w_max))
                rest += w_max
        need = threshold * q_min / (2 - threshold)
        extra: list[int] = []
        if q.compact:
            extra.extend(idx.compact.get(q.compact, ()))
            extra.extend(idx.pinyin.get(q.compact, ()))
        if q.cjk:
            extra.extend(idx.compact.get(q.pinyin, ()))
            extra += self._cjk_candidates(q)
        if rest < need:  # even sharing every token, no name could reach the threshold
            return list(dict.fromkeys(extra))
        per_token.sort(key=lambda x: -x[1])
        pool: set[int] = set()
        taken = 0
        for variants, w_max in per_token:
            if rest < need:
                break
            for v, _ in variants:
                pool.update(idx.postings[v])
            rest -= w_max
            taken += 1
        # what each query token brings a name through the first of its variants the name
        # holds; a name holding one variant of one token (most of the pool) gets its
        # weight at once, the others go through the tokens in order (the same sum)
        gains = [
            [(v, w_max if sim == 1.0 else idx.weight(v) * sim) for v, sim in variants]
            for variants, w_max in per_token
        ]
        walk = self._viable(pool, per_token, gains, taken, q_min, threshold)
        if len(walk) >= ARRAY_POOL and isinstance(idx.wmin, list):
            found = self._array_bounds(walk, gains, q_min, threshold)
            return list(dict.fromkeys(found + extra))
        alone: dict[str, float] = {}
        owners: dict[str, int] = {}
        for gain in gains:
            for v, g in gain:
                owners[v] = owners.get(v, 0) + 1
                alone[v] = g
        toksets, wmin = idx.toksets, idx.wmin
        bound: dict[int, float] = {}
        for ni in walk:
            toks = toksets[ni]
            held = toks.intersection(alone)
            if len(held) == 1 and owners[v := next(iter(held))] == 1:
                shared = alone[v]
            else:
                shared = 0.0
                for gain in gains:
                    for v, g in gain:
                        if v in toks:
                            shared += g
                            break
            ub = 2 * shared / (q_min + wmin[ni])
            if ub >= threshold:
                bound[ni] = ub
        if not bound:
            return list(dict.fromkeys(extra))
        found = sorted(bound, key=lambda ni: -bound[ni])[:MAX_CANDIDATES]
        return list(dict.fromkeys(found + extra))

    def _array_bounds(
        self,
        pool: Collection[int],
        gains: list[list[tuple[str, float]]],
        q_min: float,
        threshold: float,
    ) -> list[int]:
        """The bound step of :meth:`candidates` for a large pool (names sharing only a
        common word with the query, "Muhammad"), in numpy: the same sums in the same
        order, so the same bounds, and the same names kept in the same order (the pool's
        own, then a stable sort by bound)."""
        import numpy as np  # here: a few queries need it, and a single check never does

        ids = np.fromiter(pool, dtype=np.int64, count=len(pool))
        shared = np.zeros(len(ids))
        for gain in gains:
            got: Any = 0.0
            for v, g in reversed(gain):  # the first variant of the token a name holds counts
                post = self._posting_array(v)
                got = np.where(post[np.searchsorted(post, ids)] == ids, g, got)
            shared += got
        ub = 2 * shared / (q_min + self._weight_array()[ids])
        keep = np.flatnonzero(ub >= threshold)
        order = keep[np.argsort(-ub[keep], kind="stable")][:MAX_CANDIDATES]
        return ids[order].tolist()  # type: ignore[no-any-return]

    def _posting_array(self, token: str) -> Any:
        """The names holding ``token``, as a sorted numpy array ending in a number above
        every name's (so a search for any name stops inside it), kept across queries."""
        post = self._arrays.get(token)
        if post is None:
            import numpy as np

            if len(self._arrays) > 50_000:
                self._arrays.clear()
            post = np.sort(np.array([*self.index.postings[token], len(self.index.names)]))
            self._arrays[token] = post
        return post

    def _viable(
        self,
        pool: set[int],
        per_token: list[tuple[tuple[tuple[str, float], ...], float]],
        gains: list[list[tuple[str, float]]],
        taken: int,
        q_min: float,
        threshold: float,
    ) -> set[int] | list[int]:
        """The names of ``pool`` whose bound may reach ``threshold``, in the pool's order.

        ``per_token``: the query tokens (variants with similarity, most weight), heaviest
        first, of which the first ``taken`` made the pool; ``gains``: what each variant
        brings a name (as :meth:`candidates` sums it). The names of short postings
        are all kept. A name found in long postings only (a common word, or a typo of
        one, in a big list) shares at most what the first variant it holds brings (its
        ``gain``), plus what the tokens not taken bring: through their long variants only,
        unless the name is in the short postings of one of their variants. A name also in
        the long postings of a later token may share that token's most as well. The
        bound ``2 * shared / (q_min + wmin)`` cannot reach the threshold past ``wmin = 2
        * shared / threshold - q_min``: long postings, read lightest names first
        (:meth:`_light_first`), are cut there. The pool is returned as it is when nothing
        is cut, or when the index is read lazily (its weights are rows of the file)."""
        idx = self.index
        if threshold <= 0 or len(pool) < LONG_POSTINGS or not isinstance(idx.wmin, list):
            return pool
        viable: set[int] = set()
        shorts: set[int] = set()  # the names of the short postings of tokens not taken
        longs: list[list[tuple[str, float]]] = []  # per token: its long variants' gains
        for i, token_gains in enumerate(gains):
            mine = []
            for v, g in token_gains:
                post = idx.postings[v]
                if len(post) >= LONG_POSTINGS:
                    mine.append((v, g))
                else:
                    (viable if i < taken else shorts).update(post)
            longs.append(mine)
        most = [max((g for _, g in mine), default=0.0) for mine in longs]
        rest_long = sum(most[taken:])  # what the tokens not taken bring through long postings
        rest_all = sum(w_max for _, w_max in per_token[taken:])  # ...and at all
        loosest = _limit(sum(most[:taken]) + rest_all, q_min, threshold)
        later: set[int] = set()  # the names of the long postings of the later tokens
        later_most = 0.0  # the most those tokens bring
        for j in range(taken - 1, -1, -1):
            for v, gain in longs[j]:
                ids, weights = self._light_first(v)
                viable.update(ids[: _cut(weights, _limit(gain + rest_long, q_min, threshold))])
                loose = _limit(gain + later_most + rest_all, q_min, threshold)
                if later or shorts:
                    cut = ids[: _cut(weights, loose)]
                    viable.update(later.intersection(cut))
                    viable.update(shorts.intersection(cut))
            for v, _ in longs[j]:
                ids, weights = self._light_first(v)
                later.update(ids[: _cut(weights, loosest)])
            later_most += most[j]
        if len(viable) == len(pool):
            return pool
        return [ni for ni in pool if ni in viable]

    def _light_first(self, token: str) -> tuple[list[int], Any]:
        """The names holding ``token`` by their least weight (``Index.wmin``), lightest
        first, with those weights (a numpy array); kept across queries."""
        got = self._light.get(token)
        if got is None:
            import numpy as np  # here: only an index in memory with long postings needs it

            ids = np.array(self.index.postings[token], dtype=np.int64)
            weights = self._weight_array()[ids]
            order = np.argsort(weights, kind="stable")
            got = self._light[token] = (ids[order].tolist(), weights[order])
        return got

    def _weight_array(self) -> Any:
        """``Index.wmin`` as a numpy array, made once (:meth:`_array_bounds`,
        :meth:`_light_first`: an index in memory only)."""
        if self._weights is None:
            import numpy as np

            self._weights = np.array(self.index.wmin, dtype=np.float64)
        return self._weights

    def _core_groups(self, key: str, ids: Sequence[int], have: set[str]) -> list[int]:
        """The names of brand key ``key`` (``ids``) whose brand core the query holds
        (``have``), in the order of ``ids``: each distinct core checked once (a big list
        has thousands of "... Institute of Technology" under "institute")."""
        groups = self._cores.get(key)
        if groups is None:
            brand = self.index.brand
            by_core: dict[tuple[str, ...], list[int]] = {}
            for pos, ni in enumerate(ids):
                by_core.setdefault(brand[ni], []).append(pos)
            groups = self._cores[key] = list(by_core.items())
        held = [positions for core, positions in groups if have.issuperset(core)]
        if not held:
            return []
        positions = held[0] if len(held) == 1 else sorted(p for ps in held for p in ps)
        return [ids[p] for p in positions]

    def _contained_candidates(self, q: Norm, have: set[str]) -> list[int]:
        """Names that :func:`~screener.matching.score.contained_score` may find inside the
        query: every word of their brand core is a query word or a typo of one (``have``);
        and names with the query's Chinese base (:func:`~screener.matching.index.zh_base_of`)."""
        idx = self.index
        out: list[int] = []
        if idx.brand_keys:
            # every such name, not one per entity: a longer name held whole scores higher
            # ("Dahua Technology" in "Dahua Tech Grp" above "Dahua"), and which scores best
            # must not depend on the threshold
            brand, keys = idx.brand, idx.brand_keys
            # the words that are brand keys, found in C (most query words are none);
            # sorted: the same order in every process
            held = keys.keys() & have if isinstance(keys, dict) else have
            for v in sorted(held):
                ids = keys.get(v, ())
                if len(ids) >= MANY_BRAND_NAMES and isinstance(brand, dict):
                    out += self._core_groups(v, ids, have)
                    continue
                for ni in ids:
                    if have.issuperset(brand[ni]):
                        out.append(ni)
        if q.cjk:
            for base in dict.fromkeys((zh_base_of(q.cjk), zh_base_of(q.cjk, units=True))):
                if not base:
                    continue
                out.extend(idx.zh_base.get(base, ()))
        return out

    def _cjk_candidates(self, q: Norm) -> list[int]:
        """Names whose Chinese core is the query's, lies inside it, or holds it."""
        idx = self.index
        qc = q.cjk
        out: list[int] = []
        n = len(qc)
        for size in range(min(CJK_CONTAINED_MIN_LEN, n), n + 1):
            for i in range(n - size + 1):
                out.extend(idx.cjk.get(qc[i : i + size], ()))
        grams = {t for t in q.tokens if is_cjk_token(t) and t not in q.places}
        if n >= CJK_CONTAINED_MIN_LEN and grams and all(g in idx.postings for g in grams):
            rarest = min(grams, key=lambda g: len(idx.postings[g]))
            for ni in idx.postings[rarest]:
                if qc in idx.names[ni].norm.cjk:
                    out.append(ni)
        return out

    # -- screening ----------------------------------------------------------
    def screen_name(self, name: str, floor: float) -> list[Hit]:
        """Hits for ``name`` scoring at least ``floor``, before any country evidence.

        Format characters are removed first (:func:`~screener.matching.normalize.strip_format`).
        The name is screened whole and through the candidate names it holds
        (:func:`~screener.matching.names.query_parts`: affiliations, names with their
        acronym or Chinese name beside them, "Al-Qa'ida/Islamic Army"); each entity
        keeps its best hit, with the part that matched. A hit on an organisation whose
        unit the string also names ("School of Computer Science, Sichuan University")
        has the relation ``unit``. A string cut at a form's width is completed from the
        listed names it begins (:meth:`_truncated`). Listed names found whole inside
        the text are hits too (:meth:`_in_text`), and so are the listed groups the string
        names a unit of (:meth:`_groups`).
        """
        name = name if isinstance(name, str) else str(name)
        if not name.isascii():
            name = strip_format(name)
        head = name[:MAX_PARTS_CHARS]
        parts = query_parts(head, self.index.towns)
        best: dict[int, Hit] = {}
        if len(parts) == 1:
            for h in self._screen_one(head, floor) + self._truncated(head, floor):
                _keep(best, h)
        else:
            self._screen_parts(head, parts, floor, best)
        if not best and TRUNCATED_MIN <= len(head) <= TRUNCATED_MAX:
            for h in self._cut_at_word(head, floor):
                _keep(best, h)
        keys = self.index.text_keys
        # (a whole index in memory answers at once that no word of a short name is a key)
        if not _named_whole(best) and (
            len(name) > MAX_CHARS
            or not isinstance(keys, dict)
            or not keys.keys().isdisjoint(normalize(name).tokens)
        ):
            self._in_text(name, floor, best)
        rules = self.index.groups
        if rules is not None and (len(parts) > 1 or rules.may_name(normalize(head))):
            self._groups(parts, floor, best)
        return sorted(best.values(), key=lambda h: (-h.score, h.entity.name))

    def _screen_parts(
        self, name: str, parts: list[Part], floor: float, best: dict[int, Hit]
    ) -> None:
        """The hits of each part of a string of several (see :meth:`screen_name`)."""
        units: dict[int, list[str]] = {}  # entity -> unit phrases set aside beside it
        unit_of: dict[int, Detail] = {}  # entity -> a part's evidence that it names a unit
        seen: set[tuple[str, ...]] = set()
        for part in parts:
            key = normalize(part.text).tokens
            if not key or key in seen:
                continue
            seen.add(key)
            for h in self._screen_one(part.text, floor):
                e = id(h.entity)
                if part.whole:
                    # the whole string holds the addresses and places set aside from its
                    # parts: its parts say what the party is, not its "Beijing, China"
                    if h.detail.relation == "unit":
                        h.detail.relation = "same"
                else:
                    h.detail.part = part.text
                if part.units:
                    units.setdefault(e, []).extend(part.units)
                if h.detail.relation == "unit":
                    unit_of[e] = h.detail
                _keep(best, h)
        for h in self._truncated(name, floor):
            _keep(best, h)
        for e in units.keys() | unit_of.keys():
            h = best[e]
            if h.detail.relation == "unit" or (h.detail.part is None and h.score == 1.0):
                continue  # (the whole string is the listed name itself)
            h.detail.relation = "unit"
            if units.get(e):
                phrases = ", ".join(dict.fromkeys(units[e]))
                h.detail.notes.append(f"the query names a unit of it: {phrases}")
            else:
                h.detail.notes += [n for n in unit_of[e].notes if n not in h.detail.notes]

    def _in_text(self, name: str, floor: float, best: dict[int, Hit]) -> None:
        """Listed names found whole inside the text, their words in a row, whatever words
        surround them ("Purchase of Hikvision DS-2CD2143 cameras", "Supply of Dahua
        cameras to the Urumqi police"): hits at ``TEXT_FOUND``, the part that matched in
        the evidence. The names looked for are those with a word that can be found in
        text (:func:`~screener.matching.index.text_key`). A text longer than a name is
        read in overlapping windows, up to ``MAX_TEXT_CHARS``."""
        if floor > TEXT_FOUND:
            return
        idx = self.index
        keys = idx.text_keys
        for window in _windows(name if len(name) <= MAX_CHARS else name[:MAX_TEXT_CHARS]):
            w = normalize(window)
            toks = w.tokens
            if len(toks) < 2 or (isinstance(keys, dict) and keys.keys().isdisjoint(toks)):
                continue
            for t in dict.fromkeys(toks):
                for ni in keys.get(t, ()):
                    rec = idx.names[ni]
                    n = rec.norm
                    if n.tokens == toks:
                        continue
                    if n.cjk:
                        # its places too: 新疆警察学院 is not 浙江警察学院
                        found = (
                            n.cjk in w.cjk
                            and all(p in w.text for p in n.places if not p.isascii())
                            and all(x in toks for x in n.tokens if not is_cjk_token(x))
                        )
                    else:
                        found = _run(toks, n.tokens)
                    if not found:
                        continue
                    old = best.get(id(idx.entities[rec.entity]))
                    if old is not None and old.score >= TEXT_FOUND:
                        continue
                    span = clean(rec.text)
                    d = Detail(
                        TEXT_FOUND,
                        TEXT_METHOD,
                        [(x, x, 1.0, idx.weight(x)) for x in n.tokens],
                        notes=[f"the text holds the listed name {rec.text!r} whole"],
                        part=span if span in w.text else " ".join(n.tokens),
                    )
                    _keep(best, self.hit(ni, d, toks))

    def _groups(self, parts: list[Part], floor: float, best: dict[int, Hit]) -> None:
        """The listed groups the string names a unit of (:mod:`screener.matching.groups`):
        a hit on each member of the group, relation ``unit`` (or ``same`` for a bureau's
        own place), the rule in the evidence. A member already found as the party itself
        keeps that hit. A string that is a group's own name ("CETC") does not name the
        companies named after it ("CETC Digital Technology") as ``same``: their hits are
        capped at ``DISTINCTIVE_MISSING_CAP``."""
        rules = self.index.groups
        if rules is None:
            return
        idx = self.index
        named: dict[str | None, set[int]] = {}  # part (None: the whole) -> groups it names
        seen: set[tuple[str, ...]] = set()
        for part in parts:
            q = normalize(part.text)
            if not q.tokens or q.tokens in seen or not rules.may_name(q):
                continue
            seen.add(q.tokens)
            names = rules.names_group(q)
            if names:
                named[None if part.whole else part.text] = set(names)
            for f in rules.find(q):
                if f.score < floor:
                    continue
                g = rules.groups[f.group]
                for ni in rules.members.get(g.id, ()):
                    rec = idx.names[ni]
                    e = id(idx.entities[rec.entity])
                    old = best.get(e)
                    if (
                        old is not None
                        and old.detail.method != TEXT_METHOD
                        and (old.score >= f.score or old.detail.relation == "same")
                    ):
                        continue  # found as the party itself, or as well by its name
                    d = Detail(
                        f.score,
                        GROUP_METHOD.format(relation=f.relation, rule=f.rule),
                        relation=f.relation,
                        notes=[f.note],
                        part=None if part.whole else part.text,
                        arm=f.relation == "unit",
                    )
                    best[e] = self.hit(ni, d, q.tokens)
        if not named:
            return
        # a hit found through a part that is a group's own name ("CETC" of "... Corp
        # (CETC)") on a company named after the group is not the party that part names
        for e, h in list(best.items()):
            if h.score <= DISTINCTIVE_MISSING_CAP or is_group_hit({"method": h.detail.method}):
                continue
            by_part = named.get(h.detail.part)
            if not by_part:
                continue
            hit_groups = {f.group for f in rules.find(h.listed_norm)} & by_part
            entity = idx.names[h.name_id].entity
            if not hit_groups or any(
                idx.names[ni].entity == entity
                for g in hit_groups
                for ni in rules.members.get(rules.groups[g].id, ())
            ):
                continue
            g = rules.groups[min(hit_groups)]
            h.detail.notes.append(
                f"the query names {g.name} itself; {h.matched_name} is named as one of its "
                "companies or units"
            )
            h.detail.score = h.score = DISTINCTIVE_MISSING_CAP
            if h.score < floor:
                del best[e]

    def _truncated(self, name: str, floor: float) -> list[Hit]:
        """Hits for a name cut mid-word at a form's width (Section 117 records keep 35
        characters: "Semiconductor Manufacturing Interna"): each listed name that begins
        with it is scored against the query completed to the end of the cut word."""
        text = name.strip()
        if not (TRUNCATED_MIN <= len(text) <= TRUNCATED_MAX) or not text[-1].isalpha():
            return []
        last = normalize(text).tokens[-1:]
        if not last or last[0] in self.index.postings:
            return []  # the last word is one the lists hold: not cut
        c = clean(text)
        out: list[Hit] = []
        seen: set[str] = set()
        for listed, _ni in self.index.prefixed(c, TRUNCATED_MAX_NAMES):
            if len(listed) <= len(c) or not listed[len(c)].isalpha():
                continue  # the query ends where a listed word ends: screened as it is
            end = listed.find(" ", len(c))
            completed = listed if end < 0 else listed[:end]
            if completed in seen:
                continue
            seen.add(completed)
            for h in self._screen_one(completed, floor):
                h.detail.notes.append(
                    f"the query looks cut at {len(text)} characters; read as {completed!r}"
                )
                h.detail.part = completed
                out.append(h)
        return out

    def _cut_at_word(self, name: str, floor: float) -> list[Hit]:
        """Hits for a name cut at a form's width between two words ("Beijing Institute of
        Aeronautical", the start of "... Aeronautical Materials") that matched nothing as it
        stands: the listed names whose words begin with all of its words, when they name at
        most ``TRUNCATED_WORD_ENTITIES`` entities, at ``TRUNCATED_WORD``."""
        text = name.strip()
        if floor > TRUNCATED_WORD or not (TRUNCATED_MIN <= len(text) <= TRUNCATED_MAX):
            return []
        q = normalize(text).tokens
        idx = self.index
        if len(q) < 2 or any(t not in idx.postings for t in q):
            return []
        rarest = min(q, key=lambda t: len(idx.postings[t]))
        k = len(q)
        found = [
            ni
            for ni in idx.postings[rarest][: TRUNCATED_MAX_NAMES * 20]
            if len(idx.toksets[ni]) >= k
            and idx.names[ni].norm.tokens[:k] == q
            and len(idx.names[ni].norm.tokens) > k
        ]
        if not found or len({idx.names[ni].entity for ni in found}) > TRUNCATED_WORD_ENTITIES:
            return []
        out = []
        for ni in found:
            d = Detail(
                TRUNCATED_WORD,
                "the query is the start of the listed name",
                notes=[
                    (
                        f"the query looks cut at {len(text)} characters, between words of "
                        f"{idx.names[ni].text!r}"
                    )
                ],
            )
            out.append(self.hit(ni, d, q))
        return out

    def _screen_one(self, name: str, floor: float) -> list[Hit]:
        q = normalize(name)
        if not q.tokens:
            return []
        idx = self.index
        known = self._tokens
        infos = {t: known.get(t) or self._token(t) for t in dict.fromkeys(q.tokens)}
        cands = self.candidates(q, floor - ROUNDING, infos)
        have = _words_held(infos)
        scored = set(cands)
        held = [ni for ni in self._contained_candidates(q, have) if ni not in scored]
        acronym = query_acronym(name) if floor <= ACRONYM_SCORE else ""
        by_acronym = idx.acronyms.get(acronym, ()) if acronym else ()
        if not cands and not held and not by_acronym:
            return []
        fuzzy = {t: list(info[3]) for t, info in infos.items() if info[3]}
        order = sorted(q.tokens, key=lambda t: -idx.weight(t))
        brand = idx.brand
        best: dict[int, Hit] = {}

        def keep(ni: int, d: Detail | None) -> None:
            if d is None or d.score < floor:
                return
            rec = idx.names[ni]
            old = best.get(rec.entity)
            if old is None or (d.score, rec.norm.tokens == q.tokens, -ni) > _rank(old):
                best[rec.entity] = self.hit(ni, d, q.tokens)

        for ni in cands:
            core = brand.get(ni, ())
            if core and not have.issuperset(core):
                core = ()  # not every core word is in the query: no containment to score
            keep(ni, score_name(q, idx.names[ni].norm, idx, fuzzy, order, core))
        # the names the query holds whole but shares too little weight with for the token
        # score to reach the floor (see candidates): only containment can score them
        # (a Latin-script query: a name whose core it cannot hold has no score; most of a
        # big list's names held through a typo variant of a core word are such)
        reach = contained_words(q, fuzzy, idx) if held and not q.cjk else None
        for ni in dict.fromkeys(held):
            core = brand.get(ni, ())
            if reach is not None and not (core and reach.issuperset(core)):
                continue
            keep(ni, score_contained(q, idx.names[ni].norm, idx, fuzzy, core))
        for ni in by_acronym:
            keep(ni, Detail(ACRONYM_SCORE, "the query is the listed name's acronym"))
        return sorted(best.values(), key=lambda h: (-h.score, h.entity.name))

    def hit(self, name_id: int, detail: Detail, query_tokens: tuple[str, ...]) -> Hit:
        """The hit on listed name ``name_id`` that ``detail`` scored for a query whose
        normalized tokens are ``query_tokens``."""
        rec = self.index.names[name_id]
        return Hit(
            self.index.entities[rec.entity],
            detail.score,
            rec.text,
            rec.kind,
            detail,
            query_tokens,
            rec.norm,
            name_id,
        )

    def compare(self, query: str, listed: str) -> Detail:
        """Score two names directly (no candidate step), with this index's weights,
        taking parts apart as screening does: the query as :meth:`screen_name` does,
        the listed name as the index does (its slash-joined parts)."""
        best = Detail(0.0, "empty")
        listed_names = [listed] + [n.name for n in slash_parts(listed)]
        for qv in dict.fromkeys(p.text for p in query_parts(strip_format(query))):
            for lv in listed_names:
                q, n = normalize(qv), normalize(lv)
                if not q.tokens or not n.tokens:
                    continue
                known = self.index.postings
                fuzzy = {
                    t: _pair_fuzzy(t, n.tokens, t in known, self.index.distinctive)
                    for t in q.tokens
                }
                d = score_name(q, n, self.index, fuzzy, core=brand_core(n))
                if (
                    d.score < ACRONYM_SCORE
                    and query_acronym(qv)
                    and (query_acronym(qv) == acronym_of(lv))
                ):
                    d = Detail(ACRONYM_SCORE, "the query is the listed name's acronym")
                if d.score > best.score:
                    best = d
        return best


def _cut(weights: Any, limit: float) -> int:
    """How many of ``weights`` (ascending) are at most ``limit``."""
    return int(weights.searchsorted(limit, side="right"))


def _limit(shared: float, q_min: float, threshold: float) -> float:
    """The most a name may weigh (``Index.wmin``) for a bound ``2 * shared / (q_min +
    wmin)`` at ``threshold``, with a margin for sums rounded in another order (a name
    that may reach the threshold is never cut)."""
    limit = 2 * shared / threshold - q_min
    return limit + abs(limit) * 1e-9 + 1e-9


def _rank(h: Hit) -> tuple[float, bool, int]:
    """Which of an entity's hits it keeps: the higher score; at equal scores the listed
    name the same as the query after normalization, then the name listed first. A total
    order, so the hit kept never depends on the order candidates came in (which may
    follow the iteration of a set of strings, different in each process)."""
    return (h.score, h.listed_norm.tokens == h.query_tokens, -h.name_id)


def _named_whole(best: dict[int, Hit]) -> bool:
    """Whether a known name matches the whole string (``WHOLE_NAME_FOUND``): the string
    is then that party's name, and the listed names inside it are not looked for as text."""
    return any(h.score >= WHOLE_NAME_FOUND and h.detail.part is None for h in best.values())


def _keep(best: dict[int, Hit], h: Hit) -> None:
    """Keep ``h`` as its entity's hit when it ranks above the one kept (:func:`_rank`)."""
    e = id(h.entity)
    old = best.get(e)
    if old is None or _rank(h) > _rank(old):
        best[e] = h


def _run(tokens: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """``words`` occur in ``tokens`` in a row."""
    n = len(words)
    first = words[0]
    return any(
        tokens[i] == first and tokens[i : i + n] == words for i in range(len(tokens) - n + 1)
    )


def _windows(text: str) -> Sequence[str]:
    """``text`` as the normalizer reads it: whole when it is short enough, else in windows
    of ``MAX_CHARS`` characters, each starting halfway through the one before, so that
    every name of up to half a window lies whole in one of them."""
    if len(text) <= MAX_CHARS:
        return (text,)
    step = MAX_CHARS // 2
    return [text[i : i + MAX_CHARS] for i in range(0, len(text) - step, step)]


def _words_held(infos: dict[str, TokenInfo]) -> set[str]:
    """The listed words a query holds: its words and their typo variants."""
    return {v for info in infos.values() for v, _ in info[0]}


def _pair_fuzzy(
    token: str, others: Iterable[str], known: bool = False, coined: frozenset[str] = frozenset()
) -> list[tuple[str, float]]:
    """The words of ``others`` that ``token`` may be a typo of (:func:`typo_similarity`)."""
    if len(token) < FUZZY_MIN_LEN or not token.isalpha():
        return []
    out = []
    for o in others:
        if o != token and o.isalpha():
            sim = typo_similarity(token, o, known, o in coined)
            if sim is not None:
                out.append((o, sim))
    return out


def screen(
    m: Matcher,
    name: str,
    country: str | None = None,
    threshold: float | None = None,
    dob: str | None = None,
) -> list[Hit]:
    """Matching's one public function: the hits of ``name`` at or above ``threshold``
    (default the matcher's), best first, one per entity, after the country and
    date-of-birth evidence (:mod:`screener.matching.country`).

    ``country`` (ISO-2, ISO-3 or an English name) and ``dob`` (YYYY[-MM[-DD]]) are
    checked; an unknown country, a malformed date or a threshold that is not a number in
    [0, 1] is an InputError. The screening service takes the same two steps apart
    (:meth:`Matcher.screen_name` down to the floor, where its executors run, then
    :func:`~screener.matching.country.apply_country` per query), then its stages.
    """
    thr = valid_threshold(m.threshold if threshold is None else threshold)
    cc, born = country_option(country), dob_option(dob)
    return apply_country(m.screen_name(name, floor(thr, cc, born)), cc, thr, born)
