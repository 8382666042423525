"""意见统计 — the per-clause tally of opinions.

* ``participation.models.tally`` — the count tables (a model module like the others);
* ``participation.tally.compute`` — ``compute_tally`` (the numbers every page, export and
  the API show, read from those tables), ``recompute_tally`` (the same numbers from the
  opinion rows) and the heat-map levels;
* ``participation.tally.report_numbers`` — the feedback report's numbers: the same
  tables summed by the database for what the report shows (its per-clause totals and
  dispositions), the same numbers as ``compute_tally``'s;
* ``participation.tally.report`` — the feedback report's sections and table of contents;
* ``participation.tally.upkeep`` — the database triggers that keep the tables exact, and
  the check/rebuild behind ``flask tally check`` / ``flask tally rebuild``.
"""
