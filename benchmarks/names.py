"""Realistic query names for the speed benchmarks, made reproducibly (seeded).

Most names are ordinary companies and institutions that are on no list: a place,
an invented brand, an industry word and a legal form, in the shapes seen in
customer and supplier files ("Ningbo Qiantai Precision Machinery Co., Ltd.",
"Harlow & Birch Logistics GmbH", "宁波钱泰精密机械有限公司"). A share of them
(``variant_share``) are variants of listed names: case changes, legal forms added
or dropped, a typo, words reordered.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

PLACES = [
    "Ningbo",
    "Shenzhen",
    "Suzhou",
    "Hamburg",
    "Lyon",
    "Austin",
    "Osaka",
    "Pune",
    "Leeds",
    "Porto",
    "Dalian",
    "Chengdu",
    "Wuxi",
    "Kraków",
    "Monterrey",
    "Cebu",
    "Turin",
    "Gdańsk",
    "Brno",
    "Tampere",
    "Durban",
    "Kumasi",
    "Da Nang",
    "Penang",
]
SYLLABLES = [
    "qian",
    "tai",
    "hua",
    "xin",
    "long",
    "feng",
    "har",
    "low",
    "bir",
    "ch",
    "ven",
    "tor",
    "al",
    "mar",
    "sol",
    "ex",
    "ion",
    "tek",
    "ra",
    "zen",
    "lu",
    "mi",
    "do",
    "ka",
    "ro",
    "sen",
    "vi",
    "ta",
    "no",
    "bel",
    "cor",
    "dyn",
    "ix",
    "qu",
    "sha",
]
INDUSTRY = [
    "Precision Machinery",
    "Logistics",
    "Trading",
    "Electronics",
    "Textiles",
    "Software",
    "Foods",
    "Pharmaceutical",
    "Industrial Supplies",
    "Plastics",
    "Auto Parts",
    "Consulting",
    "Medical Devices",
    "Packaging",
    "Furniture",
    "Semiconductor",
    "Optics",
    "Chemicals",
    "Steel Structures",
    "Solar Energy",
    "Digital Technology",
    "Information Technology",
    "Instruments",
    "Engineering",
]
FORMS = [
    "Co., Ltd.",
    "Ltd",
    "GmbH",
    "Inc.",
    "LLC",
    "S.A.",
    "Pty Ltd",
    "Limited",
    "AG",
    "Corporation",
    "S.r.l.",
    "B.V.",
    "",
    "Company",
    "Group Co., Ltd.",
]
INSTITUTIONS = [
    "University of {p}",
    "{p} Institute of Technology",
    "{p} Polytechnic",
    "{p} Medical College",
    "{p} City Council",
    "{p} Research Foundation",
]
ZH_PLACES = ["宁波", "苏州", "无锡", "佛山", "东莞", "温州", "常州", "嘉兴"]
ZH_BRANDS = ["钱泰", "华信", "恒达", "瑞丰", "鑫源", "博远", "兴盛", "金桥", "宏图", "天润"]
ZH_TRADES = ["精密机械", "物流", "贸易", "电子", "纺织", "软件", "食品", "包装", "光学", "化工"]


def brand(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def ordinary(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return rng.choice(INSTITUTIONS).format(p=rng.choice(PLACES))
    if r < 0.16:
        return (
            rng.choice(ZH_PLACES)
            + rng.choice(ZH_BRANDS)
            + rng.choice(ZH_TRADES)
            + rng.choice(["有限公司", "股份有限公司", "科技有限公司"])
        )
    parts = [rng.choice(PLACES)] if rng.random() < 0.5 else []
    parts += [brand(rng), rng.choice(INDUSTRY), rng.choice(FORMS)]
    return " ".join(p for p in parts if p)


def variant(rng: random.Random, name: str) -> str:
    r = rng.random()
    if r < 0.2:
        return name.upper()
    if r < 0.4:
        return f"{name} {rng.choice(['Co., Ltd.', 'Limited', 'Inc', 'LLC'])}"
    if r < 0.6 and len(name) > 6:
        i = rng.randrange(1, len(name) - 1)
        return name[:i] + name[i + 1 :]  # a letter dropped
    if r < 0.8:
        words = name.split()
        rng.shuffle(words)
        return " ".join(words)
    return name.lower()


def query_names(
    n: int, listed: list[str], variant_share: float = 0.1, seed: int = 7
) -> Iterator[str]:
    """``n`` query names; ``variant_share`` of them are variants of ``listed`` names."""
    rng = random.Random(seed)
    for _ in range(n):
        if listed and rng.random() < variant_share:
            yield variant(rng, rng.choice(listed))
        else:
            yield ordinary(rng)
