"""Text that runs over other text, out of its table cell or off the page (not a test module).

``layout_problems(pdf)`` reads every page with pdfplumber: the words with their boxes,
each word's characters, and the cells of the tables (from the ruling lines of their
grid). A page is well laid out when

- no two words overlap, and no character of a word is printed over the one before it
  (text drawn over other text comes out as one word with overlapping characters);
- a word that enters a table cell lies inside it (tolerance 0.5 pt), so nothing runs
  over into the neighbouring cell: «самовідвід» over the next juror's score;
- every word keeps at least 10 mm from the left and right edges of the paper and 7 mm
  from the top and bottom.

The draft mark, a light diagonal word of 96 pt under the content, is left out (it is
meant to lie under everything).
"""

from __future__ import annotations

import io

import pdfplumber

MM = 72 / 25.4
TOLERANCE = 0.5  # points
WATERMARK_SIZE = 60  # characters this large are the draft mark
SIDE, TOP = 10 * MM, 7 * MM


def _boxes_overlap(a: dict, b: dict, tolerance: float = TOLERANCE) -> bool:
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > tolerance
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance
    )


def _inside(word: dict, cell: tuple) -> bool:
    x0, top, x1, bottom = cell
    return (
        word["x0"] >= x0 - TOLERANCE
        and word["x1"] <= x1 + TOLERANCE
        and word["top"] >= top - TOLERANCE
        and word["bottom"] <= bottom + TOLERANCE
    )


def _cell_box(cell: tuple) -> dict:
    return {"x0": cell[0], "top": cell[1], "x1": cell[2], "bottom": cell[3]}


def page_problems(page, number: int) -> list[str]:
    """What is wrong with the layout of one pdfplumber page."""
    problems = []
    words = [
        w
        for w in page.extract_words(extra_attrs=["size"], return_chars=True)
        if w["size"] < WATERMARK_SIZE
    ]
    for word in words:
        chars = word["chars"]
        for before, after in zip(chars, chars[1:], strict=False):
            if after["x0"] < before["x1"] - TOLERANCE:
                problems.append(f"page {number}: characters overprinted in «{word['text']}»")
                break
        if (
            word["x0"] < SIDE
            or word["x1"] > page.width - SIDE
            or word["top"] < TOP
            or word["bottom"] > page.height - TOP
        ):
            problems.append(f"page {number}: «{word['text']}» leaves the page")
    ordered = sorted(words, key=lambda w: w["top"])
    for i, word in enumerate(ordered):
        for other in ordered[i + 1 :]:
            if other["top"] >= word["bottom"]:
                break
            if _boxes_overlap(word, other):
                problems.append(
                    f"page {number}: «{word['text']}» and «{other['text']}» overlap"
                )
    # The grid's ruling lines only: filled rectangles (shaded headers, the modules of a QR
    # code) would make cells of their own.
    ruled = page.filter(lambda obj: obj["object_type"] != "rect")
    cells = [
        cell
        for table in ruled.find_tables(
            {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
        )
        for cell in table.cells
    ]
    for word in words:
        for cell in cells:
            if _boxes_overlap(word, _cell_box(cell)) and not _inside(word, cell):
                problems.append(f"page {number}: «{word['text']}» runs out of its table cell")
                break
    return problems


def layout_problems(data: bytes) -> list[str]:
    """Every layout problem of a PDF, page by page (empty when it is well laid out)."""
    problems = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            problems += page_problems(page, number)
            page.close()  # frees the page's parsed objects: a protocol has 100+ pages
    return problems
