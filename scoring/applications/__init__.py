"""Applicants: the organisation's details, applications from draft to submission,
attachments, "My applications" and the application's page (SPEC §5).

``views`` handles HTTP, ``forms`` the profile form (the organisation's fields and rules
are in ``scoring.organisations``, shared with registration), ``operations`` the state
changes; who may see what is in ``scoring.access``.
"""
