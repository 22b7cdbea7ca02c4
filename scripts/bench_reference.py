"""The reference pages of ``make bench``: what a bare Flask app serves at best (SPEC §10).

``/page`` renders a cached (compiled once) template as large as the juror's scoresheet page
(``BENCH_PAGE_SIZE`` bytes); ``/table`` reads the applications of the contest
``BENCH_SLUG`` from ``DATABASE_URL`` and renders them as a table, one row each — no
login, no session, no security headers, no translations.
"""

import os

from flask import Flask, render_template
from jinja2 import DictLoader
from sqlalchemy import create_engine, text

from scoring.config import database_url

app = Flask(__name__)
engine = create_engine(database_url(os.environ["DATABASE_URL"], None))
SLUG = os.environ["BENCH_SLUG"]

_head = "<!doctype html><html lang='uk'><head><title>{{ title }}</title></head><body><main>"
_tail = "</main></body></html>"
_filler = "<p>Оцінка заявки за критеріями конкурсу громадської участі.</p>\n"
_size = int(os.environ.get("BENCH_PAGE_SIZE", "20000"))
PAGE = _head + _filler * max(1, (_size - len(_head) - len(_tail)) // len(_filler.encode())) + _tail

TABLE = """<!doctype html><html lang="uk"><head><title>{{ title }}</title></head><body><main>
<table><thead><tr><th>№</th><th>Заявник</th><th>Область</th><th>Назва</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.number }}</td><td>{{ row.name }}</td><td>{{ row.oblast }}</td>
<td>{{ row.title }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""

QUERY = text(
    "SELECT a.number, o.name, o.oblast, a.title FROM applications a "
    "JOIN organisations o ON o.id = a.organisation_id "
    "JOIN contests c ON c.id = a.contest_id WHERE c.slug = :slug ORDER BY a.number"
)


app.jinja_loader = DictLoader({"page.html": PAGE, "table.html": TABLE})  # compiled once


@app.get("/page")
def page():
    return render_template("page.html", title="Оцінювання")


@app.get("/table")
def table():
    with engine.connect() as connection:
        rows = connection.execute(QUERY, {"slug": SLUG}).all()
    return render_template("table.html", title="Рейтинг", rows=rows)
