"""Organisers set up contests in the browser: settings, dashboard and stage (SPEC §3, §4).

Any organiser may create a contest and becomes its organiser; only a contest's
organisers see its pages (everyone else gets 404). A contest starts as a draft, where
everything can change. Once it has left the draft, the settings that submitted
applications depend on (address, applicant kinds, oblasts, number prefix, an earlier
opening) are frozen (``lifecycle.frozen_settings``). Stage changes follow the rules of
``scoring.lifecycle``, are confirmed on a page of their own and go to the audit log with
their reason.
"""

# The criteria editor, the form builder, the organisers' page, the rounds and the
# applications list with screening add their routes to ``views.bp`` when imported.
from . import (  # noqa: F401
    application_views,
    criteria_views,
    organiser_views,
    question_views,
    round_views,
)
