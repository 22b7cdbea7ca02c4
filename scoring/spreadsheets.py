"""Cells of the CSV and XLSX files the app writes: no text in them runs as a formula
(SPEC §8).

A spreadsheet runs a cell as a formula when its text begins with ``=``, ``+``, ``-`` or
``@`` (or their full-width forms), and some first drop a leading tab or carriage
return or trim the spaces and line ends before it (Google Sheets, LibreOffice's "trim
spaces"). Names of organisations, jurors' comments and everything else people type
reach the exports, so ``cell`` puts an apostrophe before such a text (before its
spaces too), as a spreadsheet itself keeps typed text as text. Numbers stay numbers: a
number is written as it is, and so is a text that is a plain number such as
``-5.41``. Every writer passes each row through ``row`` (a list, or a dict for
``csv.DictWriter``); XLSX rows go through ``xlsx_row``, which also replaces the control
characters XML cannot hold.

The CSV writers end lines with ``LINE_END``, CR LF as RFC 4180 has it: the csv module
quotes a field that holds a character of the line end, so a lone carriage return in a
comment is quoted too and cannot start a new line whose first cell is a formula.

``plain`` undoes ``cell`` for a file read back (``import-scores`` reads what
``export-scores`` wrote), so an export imported again is the same: the apostrophe goes
before any run of apostrophes that precedes such a character, and ``plain`` removes one.
"""

from __future__ import annotations

import re

LINE_END = "\r\n"
_FORMULA = re.compile("['\\s]*[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
# What XML 1.0 cannot carry (a workbook cannot hold it): shown as the replacement character.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cell(value):
    """``value`` as a cell no spreadsheet runs as a formula; anything but text unchanged."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def row(values: list | dict) -> list | dict:
    """Every cell of a row (a list, or a dict of a ``csv.DictWriter``) through ``cell``."""
    if isinstance(values, dict):
        return {key: cell(value) for key, value in values.items()}
    return [cell(value) for value in values]


def xlsx_row(values: list) -> list:
    """A row for a workbook: ``cell`` of every value, text without what XML cannot hold."""
    return [cell(_NOT_XML.sub("\ufffd", v) if isinstance(v, str) else v) for v in values]


def plain(text: str) -> str:
    """The text a cell written by ``cell`` held (a file read back)."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text) else text
