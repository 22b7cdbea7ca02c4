"""Results: the contest's ranking from the database, deliberation and publication.

- ``loading``: the one bridge between the models and the pure engine in
  ``scoring.ranking`` (``load`` reads a contest in six queries, whatever its size, the
  applicants as submitted and the quorum capped by the jury's size);
- ``presentation``: a ``Ranking`` as people see it, for pages, exports, the command
  line and documents;
- ``operations``: the state changes of deliberation; ``meeting`` and ``meeting_views``:
  the record of the jury's meeting that its protocol prints (SPEC §16);
- ``blueprint``, ``deliberation_views`` and ``deliberation`` (the organisers' pages and
  what they show), ``public_views`` (the public page and the API), ``exports``,
  ``charts`` and ``stability``.

The workflow of the organisers (SPEC §3, §6, §11), in ``deliberation_views``:

1. From the judging stage on, ``/manage/contests/<slug>/ranking`` shows the ranking as
   it stands, with every juror's total, the flags of the engine, the applications not
   ranked, each juror's leniency, the stability of the winners and two charts. While
   the contest is still judging, the page says that scores may still change.
2. Divergent applications get a juror more (``operations.add_juror``, the least-loaded
   juror of the jury without a conflict) or a reopened sheet, and the commission records
   how it resolved each one (a ``Decision`` of kind ``divergence``).
3. In deliberation the commission decides each tie at the last winning place (a
   ``Decision`` of kind ``tie``, checked by the engine itself); results cannot be
   published while any winning place is undecided (``lifecycle.publication_problems``,
   shown on the stage page).
4. The organisers record the jury's meeting (``/manage/contests/<slug>/meeting``): the
   protocol's number, the date and place, the secretary, who was present with their
   positions, and the votes. Publication waits until who was present is recorded and
   the meeting was quorate (``lifecycle.meeting_problems``).
5. Publication (the stage page) stamps ``Contest.published_at`` and e-mails the
   applicants; the public page ``/contests/<slug>/results``, its JSON at
   ``/api/contests/<slug>/results`` and the results PDF appear, all showing
   ``disclosure.public_results`` (the winners only, when the contest publishes only
   them). ``disclosure`` is where what each audience may see of the results is decided.

A tie decision recorded before the scores changed again may stop fitting the ranking;
it is then left out of the ranking (``Loaded.rank``), shown as such to the organisers,
and blocks publication until it is revoked.
"""
