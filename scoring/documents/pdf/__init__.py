"""The PDF builders of the documents: plain data (``records``) and a font folder in, PDF
bytes out. Pure: they import only ReportLab and the i18n helpers, never Flask's request,
the models or a feature (``tests/test_layout.py``).

``base`` and ``sections`` hold what the builders share; one module per document
(``announcement``, ``protocol``, ``appeals`` (its addendum), ``scoresheets``,
``receipt``, ``certificate``, ``feedback``) has a ``build``.
"""

import importlib

# The builders import ReportLab, a noticeable part of every start-up: they are loaded
# when a document is first made (``pdf.protocol.build``), not with the app.
BUILDERS = (
    "announcement",
    "appeals",
    "base",
    "certificate",
    "feedback",
    "protocol",
    "receipt",
    "scoresheets",
)


def __getattr__(name: str):
    if name in BUILDERS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
