"""Judging (SPEC §6, §8, §11): the jurors' scoresheets and the organisers' jury.

Two audiences, each with its rules beside its pages:

- jurors: ``operations`` (conflicts, points, submission) and ``views`` (``/judging``);
- organisers: ``jury`` and ``jury_views`` (the members, their progress, reminders),
  ``assignments`` and ``assignments_views`` (who scores what, the matrix, reopening a
  sheet), with the pure rules of choosing jurors in ``assignment``;
- both: ``forms``, and ``scores_file`` with ``commands`` on the command line.

An organiser assigns a juror to an application by creating their ``Scoresheet`` row.
The juror's workflow:

1. ``/judging/<slug>`` lists the juror's assignments in the juror's own stable random
   order, with the state of each sheet and the progress.
2. Opening an assignment asks about a conflict of interest first: the page shows only
   the number, the title and (unless the contest is blind) who applied, with the
   conflicts the system proposes. The juror confirms having none, or recuses with a
   declaration; a recused juror never sees the application's content again.
3. After "no conflict" the scoresheet shows the answers and attachments (without the
   applicant's identity in a blind contest) and a score and a comment per criterion.
   Changes save in the background (JSON, ``/autosave``) or with the form's button.
4. Submitting needs every criterion scored and a confirmation step; a submitted sheet
   is read-only. After the judging stage jurors still see their submitted sheets.

``scores_file`` reads and writes the scores as CSV for the ``import-scores`` and
``export-scores`` commands (SPEC §9, paper sheets filled during a power cut).
"""
