"""Seventh QA round on grading outputs: a reproducible summary, overrides said once per row,
identifiers never capitalized, the carried-forward sentence, the feedback page's wording."""

from __future__ import annotations

from test_grade import put
from test_qa4_files import grade, week  # noqa: F401 — the fixture: Anna 00123, Jan 00456, Zoe 02002 on a Canvas roster

from grader.demo import exact_values, submission_csv


def _book(tmp_path, week, files):
    """The gradebook of the submitted ``files`` ({name: text})."""
    from grader.ingest import collect
    from grader.pipeline import grade as grade_book

    return grade_book(week, collect([put(tmp_path / "subs", n, t) for n, t in files.items()]))


# ---- 1. the most-missed quantities tie in the seed's order ----

def test_most_missed_ties_come_in_the_seeds_order(tmp_path, week):
    from grader.reports import ClassRow, summary_facts

    book = _book(tmp_path, week, {})
    order = list(week.students[0].problems[0].answers)
    rows = [ClassRow("graded", 0.0, "", frozenset(order), sid) for sid in ("a", "b")]
    assert [q for q, _, _ in summary_facts(book, top=len(order), rows=rows)["missed"]] == order
    rows.append(ClassRow("graded", 0.0, "", frozenset(order[-1:]), "c"))
    assert summary_facts(book, top=2, rows=rows)["missed"][0][0] == order[-1]  # most first
