"""Matching: pure functions of names. No I/O beyond its own data files, no store, and no
import from any other wing; the screening service holds a loaded matcher and calls it.

    normalize.py    the one normalization pipeline, for listed names and queries alike
                    (its steps in one docstring); name_key, the key a name is known by
    names.py        names made of parts: query segmentation (affiliations, addresses)
    groups.py       listed groups and their families (units, numbered institutes)
    rules.py        every weight, cap and length limit, each with its reason
    index.py        the name index: each listed name normalized once
    index_file.py   the index on disk (SQLite of plain data), read lazily or whole
    score.py        the scorers, with the evidence record (Detail)
    hit.py          a hit: entity, matched name, score, evidence
    country.py      country and date of birth as secondary evidence
    matcher.py      candidates and the scoring loop; screen(), matching's one public
                    function
    lazy_re.py      regular expressions compiled on first use (start-up time)
"""
