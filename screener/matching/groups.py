"""Listed groups and their families: the names that name a unit or company of a group.

A grant record names "CETC 36", "the 41st Research Institute of China Electronics
Technology Group Corporation, Qingdao" or "中电科36所"; a transaction names "China Telecom
Bestpay" or "AVIC Chengdu Aircraft Industrial (Group) Co., Ltd."; a document names the
"Public Security Bureau of Kashgar". None of these units is listed on its own, but each
belongs to a listed group, and the user must see the group. The groups are data
(``lists/groups.yaml``, read by :mod:`screener.lists.parsers.groups`, documented in
``lists/README.md``): each group's name forms in English and Chinese, the prefixes its
units and companies are named with, and the words its numbered units take. The index
compiles them (:meth:`GroupRules.compile`) and resolves each group to its **members**:
the listed entities that bear one of the group's name forms.

:meth:`GroupRules.find` reads one normalized query and says which groups it names a unit
of, and by which rule (the rule travels in the hit's evidence):

``numbered``
    a group form or prefix, a number of one to three digits and a word the group's
    units are numbered with: "CETC 36", "the 36th Research Institute of CETC",
    "中国电子科技集团公司第二十二研究所", "中电科36所" (``GROUP_NUMBERED``);
``prefix``
    the query begins (after leading places) with a group form or prefix and goes on:
    "CETC Key Laboratory of ...", "China Mobile International (Australia) Pty Ltd",
    "中国电科电子科学研究院", "Harbin Institute of Technology (Shenzhen)"; a prefix marked
    ``unit_only`` needs a unit word after it ("China North Vehicle Research Institute")
    (``GROUP_UNIT``);
``of``
    a group form inside the query after a unit word: "Systems Engineering Research
    Institute of China State Shipbuilding Corporation" (``GROUP_UNIT``);
``bureau``
    police words ("PSB", "Public Security Bureau of X", "X police bureau", 公安局) with
    the place of a listed bureau (``same``, ``GROUP_BUREAU``) or a city, district or
    county under it (``unit``, ``GROUP_UNIT``).

A query that is a group's own name form gives no finding: it names the group, and the
ordinary scorers find its members as ``same``. :meth:`GroupRules.names_group` tells the
matcher so, and a listed company named after the group ("CETC Digital Technology")
is then not the party the query names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from screener.matching.normalize import Norm, is_cjk_token, normalize, vocabulary
from screener.matching.rules import GROUP_BUREAU, GROUP_NUMBERED, GROUP_UNIT

MAX_UNIT_NUMBER = 999  # numbered units run to three digits; a longer number is a postcode
POLICE_WORDS = (
    ("public", "security", "bureau"),
    ("public", "security", "department"),
    ("public", "security", "office"),
    ("police", "bureau"),
    ("police", "department"),
    ("police", "station"),
    ("police", "office"),
    ("police", "substation"),
)
ZH_POLICE = ("公安局", "公安分局", "公安厅", "公安处", "派出所")
_POLICE_HEADS = frozenset(w[0] for w in POLICE_WORDS)


GROUP_METHOD = "a {relation} of a listed group ({rule} rule)"  # a hit's evidence method


def is_group_hit(evidence: dict[str, Any]) -> bool:
    """Whether a hit's evidence comes from a group rule (not from the party's own name)."""
    return " of a listed group (" in str(evidence.get("method") or "")


class Form(NamedTuple):
    """A name form, normalized: its Latin tokens, or its Chinese core with its places."""

    tokens: tuple[str, ...]
    cjk: str
    places: tuple[str, ...]  # Chinese places taken off the front of ``cjk``
    unit_only: bool = False  # a prefix that fires only before a unit word

    def to_json(self) -> list[Any]:
        return [list(self.tokens), self.cjk, list(self.places), self.unit_only]

    @classmethod
    def from_json(cls, d: list[Any]) -> Form:
        return cls(tuple(d[0]), d[1], tuple(d[2]), bool(d[3]))


@dataclass
class Group:
    """One listed group (or bureau, or university) and how its family is named."""

    id: str
    name: str
    kind: str  # "group", "university" or "bureau"
    forms: list[Form]  # the group's own names
    prefixes: list[Form]  # names its units and companies begin with (forms count too)
    numbered: list[tuple[str, ...]]  # words its numbered units take ("research institute")
    zh_numbered: list[str]  # ... in Chinese (研究所, 所, 研究院)
    places: list[Form] = field(default_factory=list)  # a bureau's own place
    under: list[Form] = field(default_factory=list)  # places under a bureau
    source: str = ""
    wide: bool = False  # a region's bureau: gives way to any other bureau a query names

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "forms": [f.to_json() for f in self.forms],
            "prefixes": [f.to_json() for f in self.prefixes],
            "numbered": [list(w) for w in self.numbered],
            "zh_numbered": self.zh_numbered,
            "places": [f.to_json() for f in self.places],
            "under": [f.to_json() for f in self.under],
            "source": self.source,
            "wide": self.wide,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Group:
        return cls(
            d["id"],
            d["name"],
            d["kind"],
            [Form.from_json(f) for f in d["forms"]],
            [Form.from_json(f) for f in d["prefixes"]],
            [tuple(w) for w in d["numbered"]],
            list(d["zh_numbered"]),
            [Form.from_json(f) for f in d["places"]],
            [Form.from_json(f) for f in d["under"]],
            d.get("source", ""),
            bool(d.get("wide")),
        )


class Finding(NamedTuple):
    """A query names a unit of (or, for a bureau's place, the same party as) a group."""

    group: int  # index into GroupRules.groups
    relation: str  # "unit" or "same"
    score: float
    rule: str  # numbered, prefix, of, bureau
    note: str


def form_of(text: str, unit_only: bool = False) -> Form:
    """``text`` as the matcher compares it: normalized Latin tokens, or the Chinese core."""
    n = normalize(text)
    if n.cjk:
        zh_places = tuple(sorted(p for p in n.places if not p.isascii()))
        return Form((), n.cjk, zh_places, unit_only)
    return Form(tuple(t for t in n.tokens if not is_cjk_token(t)), "", (), unit_only)


def _contains(seq: tuple[str, ...] | list[str], sub: tuple[str, ...]) -> int:
    """The first position of ``sub`` in ``seq`` as a contiguous run, or -1."""
    n = len(sub)
    if not n:
        return -1
    first = sub[0]
    for i in range(len(seq) - n + 1):
        if seq[i] == first and tuple(seq[i : i + n]) == sub:
            return i
    return -1


class GroupRules:
    """The compiled groups of an index, with their members (see the module docstring)."""

    def __init__(
        self,
        groups: list[Group],
        members: dict[str, list[int]] | None = None,
        brands: frozenset[str] = frozenset(),
    ):
        self.groups = groups
        self.members: dict[str, list[int]] = members or {}  # group id -> member name ids
        self.brands = brands  # words (and Chinese names) that name a group wherever they stand
        self.names: dict[str, list[str]] = {}  # group id -> its name forms as written
        self._first: dict[str, list[tuple[int, Form]]] = {}  # first token -> (group, prefix)
        self._zh: list[tuple[int, Form]] = []
        self._zh_first: dict[str, list[tuple[int, Form]]] = {}  # first character -> forms
        self._zh_prefixes: set[tuple[int, Form]] = set()
        self._forms: dict[tuple[str, ...], list[int]] = {}
        self._zh_forms: dict[str, list[tuple[int, Form]]] = {}
        self.zh_names = frozenset(f.cjk for g in groups for f in g.forms if f.cjk)
        for gi, g in enumerate(groups):
            for f in g.forms:
                if f.tokens:
                    self._forms.setdefault(f.tokens, []).append(gi)
                if f.cjk:
                    self._zh_forms.setdefault(f.cjk, []).append((gi, f))
            for f in dict.fromkeys([*g.forms, *g.prefixes]):
                if f.tokens:
                    self._first.setdefault(f.tokens[0], []).append((gi, f))
                elif f.cjk:
                    self._zh.append((gi, f))
            # a Chinese name form of two characters begins many other names (大华 a bank's
            # and an accounting firm's): it is a prefix only when the data says so
            self._zh_prefixes.update((gi, f) for f in g.prefixes if f.cjk)
            self._zh_prefixes.update((gi, f) for f in g.forms if len(f.cjk) >= 3)
        for gi, f in self._zh:
            self._zh_first.setdefault(f.cjk[0], []).append((gi, f))
        self._heads = frozenset(self._first) | _POLICE_HEADS  # see may_name
        v = vocabulary()
        self._unit_words = v["unit_words"] | v["institution"]
        self._zh_units = tuple(v["zh_units"])
        self._plain = (
            v["generic"] | v["places"] | v["setaside"] | v["weak_descriptors"] | self._unit_words
        )

    # -- building ------------------------------------------------------------------------
    @classmethod
    def compile(cls, raw: list[dict[str, Any]]) -> GroupRules:
        """The rules of the groups as :mod:`screener.lists.parsers.groups` reads them."""
        out = []
        brands: set[str] = set()
        names: dict[str, list[str]] = {}
        for g in raw:
            names[g["id"]] = [str(x) for x in g.get("names") or ()]
            for b in g.get("brands") or ():
                f = form_of(b)
                brands.update(f.tokens if len(f.tokens) == 1 else ())
                if f.cjk:
                    brands.add(f.cjk)
            forms = [form_of(x) for x in g.get("names") or ()]
            prefixes = []
            for p in g.get("prefixes") or ():
                if isinstance(p, dict):
                    prefixes.append(form_of(p["prefix"], bool(p.get("unit_only"))))
                else:
                    prefixes.append(form_of(p))
            numbered, zh_numbered = [], []
            for w in g.get("numbered") or ():
                f = form_of(w)
                if f.tokens:
                    numbered.append(f.tokens)
                elif f.cjk:
                    zh_numbered.append(f.cjk)
            out.append(
                Group(
                    g["id"],
                    g["name"],
                    g.get("kind") or "group",
                    [f for f in dict.fromkeys(forms) if f.tokens or f.cjk],
                    [f for f in dict.fromkeys(prefixes) if f.tokens or f.cjk],
                    numbered,
                    zh_numbered,
                    [form_of(x) for x in g.get("places") or ()],
                    [form_of(x) for x in g.get("under") or ()],
                    str(g.get("source") or ""),
                    bool(g.get("wide")),
                )
            )
        rules = cls(out, brands=frozenset(brands))
        rules.names = names
        return rules

    def group_of_name(self, n: Norm) -> list[int]:
        """The groups whose name form ``n`` is (a listed name that makes its entity a member)."""
        latin = n.tokens if not n.cjk else tuple(t for t in n.tokens if not is_cjk_token(t))
        found = list(self._forms.get(latin, ()))
        if n.cjk:
            zh_places = {p for p in n.places if not p.isascii()}
            for gi, f in self._zh_forms.get(n.cjk, ()):
                if set(f.places) == zh_places:
                    found.append(gi)
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "groups": [g.to_json() for g in self.groups],
            "members": self.members,
            "brands": sorted(self.brands),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GroupRules:
        return cls(
            [Group.from_json(g) for g in d["groups"]],
            d.get("members") or {},
            frozenset(d.get("brands") or ()),
        )

    # -- screening -----------------------------------------------------------------------
    def names_group(self, q: Norm) -> list[int]:
        """The groups ``q`` is a name form of (it names the group itself)."""
        return self.group_of_name(q)

    def may_name(self, q: Norm) -> bool:
        """Whether ``q`` may name a group or a unit of one: it holds a word a group's name
        begins with, Chinese script, or a police word. Most names do not: nothing more to
        do for them."""
        return bool(q.cjk) or not self._heads.isdisjoint(q.tokens)

    def find(self, q: Norm) -> list[Finding]:
        """Which groups the query names a unit of, by which rule (see the module docstring)."""
        return self._find(q, members_only=True)

    def units_of(self, q: Norm) -> set[int]:
        """The groups a listed name names a unit of, whether or not they have members yet
        (the index build asks before it knows them)."""
        return {f.group for f in self._find(q, members_only=False) if f.relation == "unit"}

    def _find(self, q: Norm, members_only: bool) -> list[Finding]:
        toks = q.tokens
        if not toks:
            return []
        named = not self._first.keys().isdisjoint(toks)
        police = self._police(q)
        if not named and not q.cjk and not police:
            return []
        itself = set(self.names_group(q))
        out: dict[int, Finding] = {}

        def add(f: Finding) -> None:
            if f.group in itself or (
                members_only and not self.members.get(self.groups[f.group].id)
            ):
                return
            old = out.get(f.group)
            if old is None or f.score > old.score:
                out[f.group] = f

        latin = list(toks) if not q.cjk else [t for t in toks if not is_cjk_token(t)]
        if named:
            self._find_latin(q, latin, add)
        if q.cjk:
            self._find_zh(q, add)
        if police:
            self._find_bureau(q, latin, add)
        return sorted(out.values(), key=lambda f: (-f.score, f.group))

    def _find_latin(self, q: Norm, latin: list[str], add: Any) -> None:
        places = q.places
        start = 0
        while start < len(latin) and latin[start] in places:
            start += 1  # "Hangzhou Hikvision ...", "Beijing CETC ..."
        small = sorted(t for t in q.numbers if len(t) <= 3 and int(t) <= MAX_UNIT_NUMBER)
        found: list[tuple[int, int, int, Form]] = []
        for i, t in enumerate(latin):
            for gi, f in self._first.get(t, ()):
                n = len(f.tokens)
                if tuple(latin[i : i + n]) == f.tokens:
                    found.append((i, i + n, gi, f))
        # the longest name wins: "China Electronics Technology Group" is CETC's, and not
        # also "China Electronics" (CEC) followed by more words
        found = [
            m
            for m in found
            if not any(
                o[2] != m[2] and o[0] <= m[0] and m[1] <= o[1] and o[1] - o[0] > m[1] - m[0]
                for o in found
            )
        ]
        for i, end, gi, f in found:
            g = self.groups[gi]
            rest = latin[end:]
            before = latin[:i]
            if small and g.numbered and self._numbered(latin, rest, places, g.numbered):
                add(
                    Finding(
                        gi,
                        "unit",
                        GROUP_NUMBERED,
                        "numbered",
                        f"a numbered unit ({small[0]}) of {g.name}: '{' '.join(f.tokens)}' "
                        "with a number and a unit word (lists/groups.yaml)",
                    )
                )
            elif i in (0, start) and rest and (f in g.prefixes or self._specific(f)):
                if f.unit_only and self._unit_words.isdisjoint(rest):
                    continue
                if g.kind == "bureau":
                    continue  # a bureau's units are found by their places
                add(
                    Finding(
                        gi,
                        "unit",
                        GROUP_UNIT,
                        "prefix",
                        f"named with the prefix '{' '.join(f.tokens)}' of {g.name} "
                        f"and more ({' '.join(rest)}): a unit or company of it "
                        "(lists/groups.yaml)",
                    )
                )
            elif i > start and f in g.forms and not self._unit_words.isdisjoint(before):
                add(
                    Finding(
                        gi,
                        "unit",
                        GROUP_UNIT,
                        "of",
                        f"a unit of {g.name}: '{' '.join(before)}' before its name "
                        "(lists/groups.yaml)",
                    )
                )

    def _specific(self, f: Form) -> bool:
        """A name form that may begin a unit's name without being listed as a prefix: one
        of three words or more, or with a word that is not a place, a descriptor or a form
        of organisation ("Huawei Technologies", "China North Industries Group"; not "China
        Electronics", what is left of "China Electronics Corporation")."""
        return len(f.tokens) >= 3 or any(t not in self._plain for t in f.tokens)

    def _numbered(
        self,
        latin: list[str],
        rest: list[str],
        places: frozenset[str],
        numbered: list[tuple[str, ...]],
    ) -> bool:
        """A unit word of the group anywhere, or nothing but a number after the name
        ("CETC 36", "CETC-36", "CETC No. 36")."""
        if any(_contains(latin, w) >= 0 for w in numbered):
            return True
        left = [t for t in rest if t not in places]
        return len(left) == 1 and left[0].isdecimal()

    def _find_zh(self, q: Norm, add: Any) -> None:
        qc = q.cjk
        zh_places = {p for p in q.places if not p.isascii()}
        has_digit = any(c.isdigit() for c in qc)
        by_first = self._zh_first
        for at, ch in enumerate(qc):
            for gi, f in by_first.get(ch, ()):
                if qc.startswith(f.cjk, at) and qc.find(f.cjk) == at:
                    self._zh_found(q, gi, f, at, zh_places, has_digit, add)

    def _zh_found(
        self,
        q: Norm,
        gi: int,
        f: Form,
        pos: int,
        zh_places: set[str],
        has_digit: bool,
        add: Any,
    ) -> None:
        """The rules for a Chinese group form or prefix found at ``pos`` of the query."""
        qc = q.cjk
        if not set(f.places) <= zh_places:
            return
        g = self.groups[gi]
        after = qc[pos + len(f.cjk) :]
        if has_digit and g.zh_numbered and self._zh_numbered_unit(after, g.zh_numbered):
            add(
                Finding(
                    gi,
                    "unit",
                    GROUP_NUMBERED,
                    "numbered",
                    f"a numbered unit of {g.name}: {f.cjk} with a number and a unit word "
                    "(lists/groups.yaml)",
                )
            )
        elif pos == 0 and len(after) >= 2 and g.kind != "bureau":
            # 中国电科院 (an electric power institute) is not 中国电科 + 院
            if (gi, f) not in self._zh_prefixes or set(f.places) != zh_places:
                return
            if f.unit_only and not any(u in after for u in self._zh_units):
                return
            add(
                Finding(
                    gi,
                    "unit",
                    GROUP_UNIT,
                    "prefix",
                    f"named with the prefix {f.cjk} of {g.name} and more ({after}): a unit "
                    "or company of it (lists/groups.yaml)",
                )
            )

    @staticmethod
    def _zh_numbered_unit(after: str, words: list[str]) -> bool:
        """A number followed by one of the group's unit words, after its name (36研究所)."""
        i = 0
        while i < len(after) and not after[i].isdigit():
            i += 1
        j = i
        while j < len(after) and after[j].isdigit():
            j += 1
        if i == j or j - i > 3:
            return False
        return any(after[j:].startswith(w) for w in words)

    @staticmethod
    def _police(q: Norm) -> bool:
        """Police words in the query (POLICE_WORDS, ZH_POLICE)."""
        if q.cjk and any(w in q.text for w in ZH_POLICE):
            return True
        if _POLICE_HEADS.isdisjoint(q.tokens):
            return False
        return any(_contains(q.tokens, w) >= 0 for w in POLICE_WORDS)

    def _find_bureau(self, q: Norm, latin: list[str], add: Any) -> None:
        text = q.text
        station = _contains(latin, ("police", "station")) >= 0 or "派出所" in text
        found: list[Finding] = []
        for gi, g in enumerate(self.groups):
            if g.kind != "bureau":
                continue
            under = next((f for f in g.under if _found(f, latin, text)), None)
            if under is not None:
                where = " ".join(under.tokens) or under.cjk
                found.append(
                    Finding(
                        gi,
                        "unit",
                        GROUP_UNIT,
                        "bureau",
                        f"a police bureau of {where}, under {g.name} (lists/groups.yaml)",
                    )
                )
                continue
            own = next((f for f in g.places if _found(f, latin, text)), None)
            if own is not None:
                where = " ".join(own.tokens) or own.cjk
                found.append(
                    Finding(
                        gi,
                        "unit" if station else "same",
                        GROUP_UNIT if station else GROUP_BUREAU,
                        "bureau",
                        f"{'a police station of' if station else 'the police bureau of'} {where}: "
                        f"{g.name} (lists/groups.yaml)",
                    )
                )
        if any(not self.groups[f.group].wide for f in found):
            found = [f for f in found if not self.groups[f.group].wide]
        for f in found:
            add(f)


def _found(f: Form, latin: list[str], text: str) -> bool:
    """A place form in a query: its Latin words in a row, or its Chinese name in the text."""
    if f.tokens:
        return _contains(latin, f.tokens) >= 0
    return bool(f.cjk) and f.cjk in text
