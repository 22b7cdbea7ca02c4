"""The command line: init-db, create-user, demo."""

import html

from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Application, Contest, Role, Scoresheet, Stage, User


def test_create_user_reads_the_password_from_stdin_and_the_user_can_log_in(runner, client, app):
    result = runner.invoke(
        args=[
            "create-user",
            "Chair@Example.org",
            "--role",
            "organiser",
            "--name",
            "Світлана",
            "--password-stdin",
        ],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "chair@example.org" in result.output
    client.login("chair@example.org", "a long enough secret")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "chair@example.org"))
        assert (user.name, user.role) == ("Світлана", Role.ORGANISER)


def test_create_user_prompts_for_the_password_twice(runner, client):
    result = runner.invoke(
        args=["create-user", "juror@example.org", "--role", "juror"],
        input="typed secret 123\ntyped secret 123\n",
    )
    assert result.exit_code == 0, result.output
    client.login("juror@example.org", "typed secret 123")


def test_create_user_failures_explain_themselves_and_exit_non_zero(runner, build):
    build.user(Role.JUROR, email="taken@example.org")
    cases = [
        (
            ["create-user", "taken@example.org", "--role", "juror", "--password-stdin"],
            "long enough password\n",
            "уже існує",
        ),
        (
            ["create-user", "not-an-address", "--role", "juror", "--password-stdin"],
            "long enough password\n",
            "не є адресою",
        ),
        (
            ["create-user", "new@example.org", "--role", "juror", "--password-stdin"],
            "short\n",
            "щонайменше 10",
        ),
        (
            ["create-user", "new@example.org", "--role", "applicant", "--password-stdin"],
            "long enough password\n",
            "/register",
        ),
        (
            ["create-user", "new@example.org", "--role", "king", "--password-stdin"],
            "long enough password\n",
            "king",
        ),
    ]
    for args, stdin, expected in cases:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code != 0, args
        assert expected in result.output, result.output


def test_every_command_has_help(runner):
    for command in ("init-db", "create-user", "demo"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_init_db_is_repeatable(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Схема бази даних актуальна" in result.output


def test_the_demo_loads_contests_applications_jurors_and_scores(runner, client, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for login in (
        "organiser@demo.example",
        "olena.kovalenko@demo.example",
        "applicant10@demo.example",
        "demo-pass-2026",
    ):
        assert login in result.output
    with app.app_context():
        judged = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        assert judged.title_uk.startswith("Успішна участь громади")
        assert len(judged.jury) == 3 and len(judged.criteria) == 6
        assert judged.last_number == 12  # a new number continues after UUG-…-012
        assert db.session.scalar(select(func.count(Application.id))) == 12
        assert db.session.scalar(select(func.count(Scoresheet.id))) == 36
    home = html.unescape(client.get("/").get_data(as_text=True))
    assert "Успішна участь громади" in home and "Журі оцінює заявки" in home
    assert "Відбір п’яти громад" in home and "Триває прийом заявок" in home
    client.login("organiser@demo.example", "demo-pass-2026")


def test_the_demo_is_refused_twice_and_in_production(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 1 and "Помилка: У базі даних уже є дані" in again.output
    quiet = runner.invoke(args=["demo", "--if-empty"])
    assert quiet.exit_code == 0 and "не завантажено" in quiet.output
    app.config["SCORING_ENV"] = "production"
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code == 1 and "SCORING_ENV=production" in refused.output
