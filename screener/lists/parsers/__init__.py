"""One module per list format, each a function from a file (or folder) to a ParsedList
(or ParsedLinks); the registry names them by format (screener.lists.registry).

Official lists: csl, ofac, un_sc, ofsi, eu_fsf, dfat, ca_sema, bis_dpl, fr_rule,
dod_1260h, fcc_covered, meti_eul, section_1286, aspi_unitracker; the project's own and
users' lists: curated, simple, groups; ownership links: ownership (the bundled file),
ownership_csv, gleif_rr. Shared readers: fields (values), tabular (XLSX or CSV), xlsx
(a small XLSX reader), textfile, xmlfile (safe XML).
"""
