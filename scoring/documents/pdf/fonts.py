"""The fonts of the documents and where they are looked for (no ReportLab here, so that
the app finds the folder without loading the builders).

DejaVu Sans and DejaVu Sans Bold: ``find_folder`` takes the folders to look in (the
caller puts ``PDF_FONT_DIR`` first, then ``FONT_DIRS``, the usual places) and gives the
first that holds both, or raises ``FontsNotFound`` saying how to get them.
"""

from collections.abc import Iterable
from pathlib import Path

from flask_babel import gettext as _

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
# Debian and Ubuntu (fonts-dejavu-core), Fedora, Arch, hand-installed fonts.
FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",
)


class FontsNotFound(RuntimeError):
    """The TrueType fonts the documents need are not installed."""


def font_files(folder: Path) -> dict[str, Path] | None:
    """The path of each font file in ``folder``, or None when it lacks one of them."""
    paths = {name: Path(folder) / file for name, file in FONT_FILES.items()}
    return paths if all(path.is_file() for path in paths.values()) else None


def find_folder(folders: Iterable) -> Path:
    """The first of ``folders`` that holds both font files."""
    searched = [Path(folder) for folder in folders]
    for folder in searched:
        if font_files(folder) is not None:
            return folder
    raise FontsNotFound(
        _(
            "The fonts for PDF documents (%(files)s) are not found in: %(folders)s. Install "
            "the package fonts-dejavu-core (apt-get install fonts-dejavu-core) or set "
            "PDF_FONT_DIR to a folder that holds these files.",
            files=", ".join(FONT_FILES.values()),
            folders=", ".join(str(f) for f in searched),
        )
    )
