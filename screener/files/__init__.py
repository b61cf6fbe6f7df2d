"""Files: the user's files, in and out. No import from the store, matching or the
screening service: a writer renders the results it is given, a reader hands on rows.

    readers/       the input: CSV, XLSX, JSON Lines, Parquet, one module per format over
                   a shared table reader (readers/table.py)
    reports/       the outputs: CSV, JSON Lines, XLSX, Parquet, the HTML and PDF report
    encodings.py   each cell decoded by the encoding its bytes fit; mojibake told apart
    cells.py       formula safety for cells a spreadsheet will open
"""
