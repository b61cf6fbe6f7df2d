"""Every weight, cap and length limit of matching, each with its reason.

These are tuned on development data (``benchmarks/bench_quality.py``: the curated
and real-world query sets of ``shared/dev-eval`` and nomenklatura's name_bench),
never on single strings. The normalizer, the index, the scorers and the matcher
all read them from here, so that one rule has one home.
"""

from __future__ import annotations

import math

from screener.errors import InputError

# -- threshold and country evidence ------------------------------------------------------
DEFAULT_THRESHOLD = 0.80  # a hit is reported at or above this score
COUNTRY_BONUS = 0.03  # the query's country is one of the entity's countries
COUNTRY_PENALTY = 0.08  # the entity has known countries and the query's is not among them
COUNTRY_MIN_SCORE = 0.6  # country evidence moves only scores at least this high
DOB_BONUS = 0.02  # a person's date of birth agrees with a listed one
DOB_PENALTY = 0.05  # ...or is known to differ (never below the threshold: country.py)


def valid_threshold(value: object) -> float:
    """``value`` as a threshold: a finite number in [0, 1], else an InputError (a NaN
    threshold compares false with every score and would clear every name)."""
    try:
        t = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"threshold '{value}' is not a number") from None
    if not math.isfinite(t) or not 0.0 <= t <= 1.0:
        raise InputError(f"threshold {value} is not a number between 0 and 1")
    return t


# -- token weights --------------------------------------------------------------------
WEIGHT_POWER = 1.0  # token weight = idf ** WEIGHT_POWER
PLACE_WEIGHT = 0.3  # a place only one name has weighs this share of its weight, unless both
# names hold a place the other lacks, or no distinctive word (index.distinctive_words) agrees
COUNTRY_WEIGHT = 0.1  # the same for a country or region ("Hikvision USA" is Hikvision's)
LEAST_PLACE_SHARE = min(PLACE_WEIGHT, COUNTRY_WEIGHT)  # for the candidate bounds
DISTINCTIVE_SHARE = 0.6  # a word is distinctive when it weighs this share of the most a word
# can weigh...
COMMON_WORD_ZIPF = 4.0  # ...and is not common English (wordfreq Zipf): "vision" is 4.6,
# "huawei" 3.3, "dahua" 1.3

# -- caps and factors -----------------------------------------------------------------
DISTINCTIVE_MISSING_CAP = 0.75  # the listed name's (or query's) rarest word is unmatched
NUMBER_MISMATCH_CAP = 0.5  # both names carry numbers and they differ: a different entity
ONE_SIDED_NUMBER_CAP = 0.75  # one name has a number, the other none: a unit of it, at most
PLACE_CONFLICT_CAP = 0.6  # only places tell the names apart, and they differ (Beijing /
# Harbin Institute of Technology; Agricultural Bank of China / Agricultural Bank)
SHORT_ACRONYM = 3  # a query of one word this short matches only a name that is that word
LEGAL_CONFLICT_FACTOR = 0.8  # both name a specific legal form, and they differ (AG / GmbH)
GENERIC_LEGAL = frozenset({"company", "limited", "incorporated", "zh"})  # never conflict

# -- other scorers --------------------------------------------------------------------
COMPACT_EXACT = 0.97  # same letters once spaces and hyphens are gone
COMPACT_FUZZY_MIN = 0.9  # spaceless forms this similar (and long) also count...
COMPACT_FUZZY_MIN_LEN = 8
COMPACT_FUZZY_FACTOR = 0.93  # ...at this share of their similarity
CJK_CONTAINED_BASE = 0.75  # the query inside a listed Chinese name: base score...
CJK_HOLDS_BASE = 0.6  # a listed Chinese name inside the query: base score...
CJK_CONTAINED_MIN_LEN = 4  # ...when the contained name has at least this many characters
CJK_NUMBER_FACTOR = 0.85  # ...times this when one holds a number the other lacks
PINYIN_EXACT = 0.88  # a Latin name equal to the pinyin of a Chinese one (or the reverse)

# -- a listed name inside the query (score.contained_score) ---------------------------
CONTAINED_SAME = 0.92  # the query adds only places, legal forms and generic descriptors
CONTAINED_UNIT = 0.88  # ...or unit words: a unit, lab, branch or brand company of it
CONTAINED_OTHER = 0.82  # ...or other words, to a company's long distinctive name
CONTAINED_TYPO_SHARE = 1.0  # a core word matched as a typo lowers the score by this share
# of what its similarity lacks...
CONTAINED_TYPO_MIN_LEN = 7  # ...and is this long, with its first letter right
INSTITUTION_CORE_MIN = 4  # an institution's name of this many words needs no brand word
CONTAINED_OTHER_MAX_ZIPF = 2.0  # CONTAINED_OTHER only for coined names (wordfreq Zipf below)
CITY_MIN_POPULATION = 100_000  # cities this large are places where a query names a branch

# -- listed groups and their families (groups.py; data in lists/groups.yaml) ----------
GROUP_NUMBERED = 0.9  # a numbered unit of a listed group ("CETC 36", 中电科36所)
GROUP_UNIT = 0.88  # a unit or company named with a group's prefix or after its name, as
# CONTAINED_UNIT ("China Telecom Bestpay", "... Research Institute of CSSC")
GROUP_BUREAU = 0.9  # the police bureau of a listed bureau's place ("Karamay police bureau")

# -- a listed name inside free text (matcher.Matcher._in_text) -----------------------
TEXT_FOUND = 0.85  # a listed name found whole, its words in a row, inside longer text
WHOLE_NAME_FOUND = COMPACT_EXACT  # a string a known name matches whole at this score is that
# party ("COSCO Shipping Lines Co Ltd"): the listed names inside it are words of its name, not
# other parties named in a text, so it is not searched as text
# ("Purchase of Hikvision DS-2CD2143 cameras"); above the threshold, below a name match
TEXT_MIN_LEN = 4  # a one-word listed name this long at least is found in text, when it
# is a brand word (index.is_brand_word: no common English word, place or descriptor) and
# not made of pinyin syllables; a group's brands ("ZTE", "Dahua") are found however they read
MAX_TEXT_CHARS = 100_000  # longer text is searched this far, with a warning
MAX_PARTS_CHARS = 1_000  # a query is taken apart into names this far (names.query_parts)

# -- typos ----------------------------------------------------------------------------
FUZZY_MIN_LEN = 5  # shorter tokens must agree exactly
FUZZY_TWO_EDITS_LEN = 9  # from this length two edits are allowed
FUZZY_ANY_FIRST_LEN = 7  # shorter words must agree in their first letter (Dahan is not Jahan)
FUZZY_MAX_DF = 50  # tokens held by more names than this are not looked up for typos

# -- candidates -----------------------------------------------------------------------
MAX_CANDIDATES = 300  # at most this many names are scored in full, by bound
ROUNDING = 5e-5  # scores are reported to 4 places; candidates keep what rounds up to the floor

# -- names cut at a form's width (matcher.Matcher._truncated) -------------------------
TRUNCATED_MIN = 30  # a query this long (or longer)...
TRUNCATED_MAX = 40  # ...and no longer, ending in a letter, may have been cut mid-word
TRUNCATED_MAX_NAMES = 50  # listed names beginning with it that are looked at, at most
TRUNCATED_WORD = 0.85  # a query of that length, matching nothing, that begins listed names
# at a word boundary: the start of their name...
TRUNCATED_WORD_ENTITIES = 2  # ...when they name this many entities at most

# -- acronyms (names.query_acronym) ---------------------------------------------------
ACRONYM_SCORE = 0.85  # a query of capitals equal to the initials of a listed name ("PLA")...
ACRONYM_MAX_ENTITIES = 2  # ...that at most this many listed organisations share
