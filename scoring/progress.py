"""Progress of long work, for whoever waits for it (SPEC §10: long work shows progress).

Long operations take a ``progress`` callback, ``progress(done, total)``, and call it as
they go: the import of a scores file (lines checked, then sheets written), the import
of applications, the layout of a PDF (ReportLab's flowables). A page that runs them in
the background can keep the latest call and show it; the command line prints it as a
percentage while a person watches the terminal (``on_terminal``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

Progress = Callable[[int, int], None]


def nothing(_done: int, _total: int) -> None:
    """A callback for work that nobody watches."""


def on_terminal(label: str, stream=None) -> Progress:
    """A callback that shows «LABEL: 45 %» on the terminal, rewriting one line; nothing
    when the output is not a terminal (a script, a log file)."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return nothing
    shown = [-1]

    def show(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != shown[0]:
            shown[0] = percent
            end = "\n" if percent >= 100 else ""
            stream.write(f"\r{label}: {percent} %{end}")
            stream.flush()

    return show
