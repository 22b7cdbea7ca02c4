"""What production servers import: ``gunicorn wsgi:app``."""

from scoring import create_app

app = create_app()
