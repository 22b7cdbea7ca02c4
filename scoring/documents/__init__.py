"""Documents of SPEC §7 as PDF: results announcement, protocol, scoresheets, receipt, diploma.

``pdf`` holds the builders: ``pdf.records`` is the plain data of each document, and one
module per document turns it into PDF bytes with ReportLab. Beside them, ``data`` fills
the records from the database (bounded queries, the ranking through ``scoring.results``;
the scoresheets' records in ``sheets``), and ``views`` and ``commands`` decide who gets
which document, over HTTP and on the command line. The builders never touch the
request, the session, the configuration or the database.
"""
