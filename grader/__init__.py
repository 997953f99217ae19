"""bpdrill's grader: submissions in, verdicts, gradebook and feedback out.

The stages, each a small module (the ``bpdrill grade`` command in ``cli`` strings them together):

- ``ingest``: find submission files in paths, folders and LMS zips (bounded, never extracted);
- ``parse``: decode and read a CSV whatever Excel or the LMS did to it; ``xlsx`` for workbooks;
- ``identify``: whose file it is (id column, template name, Canvas/Moodle names);
- ``judge``: per-entry verdicts with the tolerances stored in the week's record, points, config;
- ``diagnose``: what went wrong (the typical mistakes of ``generator.steps``, error carried forward);
- ``integrity``: work for another student's variant or another week's sheet (flags, no grade change);
- ``pipeline``: the whole grading of a week as pure functions over those (``grade``);
- ``overrides``, ``late``: a TA's decisions and late work, applied after grading;
- ``reports``, ``feedback``, ``exports``, ``lms``: grades.csv, details.csv, feedback pages, LMS files.

    from grader import grade, GradeConfig, parse_config
"""

from .judge import GradeConfig, parse_config
from .pipeline import Gradebook, StudentResult, grade

__all__ = ["grade", "Gradebook", "StudentResult", "GradeConfig", "parse_config"]
