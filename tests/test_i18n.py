"""Ukrainian first: every message translated, the compiled catalogue current, dates and times."""

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from scoring import i18n

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "scoring" / "translations" / "uk" / "LC_MESSAGES"


def test_every_message_in_the_code_has_a_ukrainian_translation(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--ignore-dirs",
            ".* __pycache__ node_modules",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {
        m.id
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], "untranslated (run `make translations`): " + "; ".join(missing)


def test_the_compiled_catalogue_matches_the_po_file():
    def entries(catalogue):
        return {
            (m.id if isinstance(m.id, str) else tuple(m.id)): (
                m.string if isinstance(m.string, str) else tuple(m.string)
            )
            for m in catalogue
            if m.id and not m.fuzzy
        }

    with (CATALOGUE / "messages.po").open("rb") as f:
        po = entries(read_po(f))
    with (CATALOGUE / "messages.mo").open("rb") as f:
        mo = entries(read_mo(f))
    assert mo == po, "messages.mo is stale: run `make translations`"


def test_dates_read_the_ukrainian_way_in_kyiv_time(app):
    moment = datetime(2021, 9, 15, 15, 0, tzinfo=UTC)  # 18:00 in Kyiv (summer time)
    with app.test_request_context():
        assert i18n.long_date(moment) == "15 вересня 2021 р."
        assert i18n.long_datetime(moment) == "15 вересня 2021 р., 18:00"
        assert (
            i18n.long_datetime(datetime(2024, 1, 31, 21, 30, tzinfo=UTC))
            == "31 січня 2024 р., 23:30"
        )
        assert i18n.points("87.335") == "87,34" and i18n.points(2.5) == "2,50"
        assert i18n.oblast_name("UA-74") == "Чернігівська область"
        assert i18n.oblast_name("UA-77") == "Чернівецька область"
        with force_locale("en"):
            assert i18n.long_date(moment) == "September 15, 2021"
            assert i18n.points("87.335") == "87.34"


def test_numbers_read_the_ukrainian_way_with_a_minus_sign_and_a_spaced_percent(app):
    with app.test_request_context():
        assert i18n.points("-5.41") == "\u22125,41" and i18n.points("5.41") == "5,41"
        assert i18n.number("-0.5") == "\u22120,5" and i18n.number(0) == "0"
        assert i18n.percent("0.3") == "30\u00a0%" and i18n.percent("0.125") == "12,5\u00a0%"
        with force_locale("en"):
            assert i18n.points("-5.41") == "\u22125.41"
            assert i18n.percent("0.3") == "30%"


def test_the_ukrainian_wording_keeps_the_agreed_terms():
    """Issue 16: no developers' words in forms («slug», «Ключ»), one term for ties
    («рівність балів», never «нічия»), neutral phrasing instead of gender brackets
    («виявив(-ла)»), and a no-break space between a number and «%»."""
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    problems = []
    for message in catalogue:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in filter(None, forms):
            text = re.sub(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}", "N", text)  # placeholders
            lowered = text.lower()
            if "slug" in lowered or text.strip() == "Ключ" or "нічи" in lowered:
                problems.append(f"{message.id!r}: {text}")
            if re.search(r"\w\((?:-|–)?[а-яіїєґ]{1,3}\)", text):
                problems.append(f"gender brackets in {message.id!r}: {text}")
            if re.search(r"(?:\d|N) ?%", text):
                problems.append(f"no no-break space before % in {message.id!r}: {text}")
    assert not problems, "\n".join(problems)


def test_an_organisations_name_is_not_called_a_persons_name(build, client):
    """Issue 16: on the applicant's account the organisation's name is «Повна назва
    організації», never «Ім’я» (a person's first name)."""
    build.applicant(email="applicant@example.org", name="ГО «Світанок»")
    client.login("applicant@example.org")
    page = client.get("/account").get_data(as_text=True)
    organisation = page.partition('id="org-heading"')[2].partition("</section>")[0]
    assert "Повна назва організації" in organisation and "Ім’я" not in organisation
    assert "ГО «Світанок»" in organisation


def test_a_translated_message_holding_a_persons_words_is_escaped_wherever_it_is_printed(app):
    """Flask-Babel's lazy strings said they were HTML: a message with a name inside was
    printed as markup by Jinja, markupsafe and WTForms' labels (three pages were found so
    by an outside attack). scoring/i18n.py makes them text; this holds because no message
    of ours is markup (the test below)."""
    from flask import render_template_string
    from flask_babel import lazy_gettext
    from markupsafe import escape
    from wtforms.fields.core import Label

    name = '<img src=x onerror="alert(1)">'
    with app.test_request_context():
        message = lazy_gettext("%(name)s is already assigned to this application.", name=name)
        shown = "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"
        assert render_template_string("{{ m }}", m=message).startswith(shown)
        assert str(escape(message)).startswith(shown)
        assert shown in str(Label("member", message)())
        # kept in the session until the next page (a flashed message), as its text
        assert app.json.loads(app.json.dumps({"m": message})) == {"m": str(message)}


def test_no_message_or_translation_is_markup():
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    tagged = re.compile(r"<[a-zA-Z/!]|&[a-z]+;|&#")
    for message in (m for m in catalogue if m.id):  # not the header
        texts = [message.id, message.string]
        texts = [t for text in texts for t in (text if isinstance(text, tuple) else (text,))]
        assert not any(tagged.search(t or "") for t in texts), message.id
