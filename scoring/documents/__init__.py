"""Documents of SPEC §7 as PDF: results announcement, protocol, scoresheets, receipt, diploma.

``records`` holds the plain data of each document, ``data`` fills it from the
database (bounded queries, the ranking from ``scoring.results``), one module per
document turns it into PDF bytes with ReportLab (``base`` and ``sections`` hold what
they share), and ``views`` and ``commands`` decide who gets which document, over HTTP
and on the command line. The builders never touch the request, the session or the
database.
"""

import importlib

# The builders import ReportLab, a noticeable part of every start-up: they are loaded
# when a document is first made (``documents.protocol.build``), not with the app.
BUILDERS = ("announcement", "base", "certificate", "protocol", "receipt", "scoresheets")


def __getattr__(name: str):
    if name in BUILDERS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
