"""Imports in the browser (SPEC §15): a contest's applications and scores from CSV files,
and a new contest from a ``scoring.contest/1`` document.

``views`` walks the organiser through upload, preview, the mapping of the file's columns
onto ours, a check that lists every problem by line and column, and the import; the
file waits on the server meanwhile (``uploads``), the check and the import run in the
background with their progress (``jobs``), and ``kinds`` reads and runs each kind of
file through the very functions of the command line, audited alike.
"""
