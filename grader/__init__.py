"""bpdrill's grader: submissions in, verdicts, gradebook and feedback out.

    from grader import grade_week
    run = grade_week("week48", ["submissions.zip"], "results48")

The stages, each a small module (``workflow.grade_week`` strings them together, as ``bpdrill
grade`` does):

- ``ingest``: find submission files in paths, folders and LMS zips (bounded, never extracted);
- ``parse``: read a CSV's rows whatever Excel or the LMS did to it (the answer-file format itself,
  decoding and workbooks, is ``generator.answers``, shared with the generator);
- ``identify``: whose file it is (id column, template name, Canvas/Moodle names);
- ``judge``: per-entry verdicts with the tolerances stored in the week's record, points, config;
- ``diagnose``: what went wrong (the typical mistakes of ``generator.steps``, error carried forward);
- ``integrity``: work for another student's variant or another week's sheet (flags, no grade change);
- ``pipeline``: the whole grading of a week as pure functions over those (``grade``) → ``results``;
- ``overrides``, ``late``: a TA's decisions and late work, applied after grading;
- ``reports``, ``feedback``, ``exports``, ``lms``: grades.csv, details.csv, summary, feedback pages, LMS files;
- ``samples``: what students hand in, built from a record (the demo's and the tests' data).
"""

from .judge import GradeConfig, grade_config
from .pipeline import grade
from .results import Gradebook, StudentResult
from .workflow import DemoRun, GradeRun, demo_week, grade_week

__all__ = ["grade_week", "GradeRun", "demo_week", "DemoRun", "grade", "Gradebook", "StudentResult", "GradeConfig",
           "grade_config"]
