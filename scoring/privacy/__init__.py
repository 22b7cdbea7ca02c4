"""Personal data: what an applicant can take away, and what organisers erase afterwards.

- An applicant downloads everything the site holds about their organisation as JSON
  (``/organisation/data.json``): the organisation, its users (without password
  hashes), its applications with answers, the attachments' descriptions (not their
  content) and the decisions about them that the public may read
  (``results.disclosure``: the commission's decisions on ties, once the results are
  published); never a juror's scores or identity, nor how divergences were resolved.
- Once a contest is archived, its organisers can anonymise the people in it
  (``/manage/contests/<slug>/people``): an applicant organisation's contact person,
  e-mail and phone and its accounts' names and e-mails, or a juror's name and e-mail,
  are replaced by placeholders, the accounts lose their passwords, and
  ``anonymised_at`` is stamped. Scores, applications, rankings and the audit chain
  stay as they were: the audit log names people by id only, so it still verifies.
  The anonymisation itself is audited, by ids. A person still taking part in a contest
  that is not archived is not anonymised.
"""
