import csv
import io
import zipfile
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.record import Student
from grader.lms import (
    CANVAS_HEADER,
    canvas_csv,
    moodle_csv,
    moodle_feedback_zip,
    moodle_folder,
    moodle_identity,
    neutralize,
    number_cell,
)


@dataclass(frozen=True)
class S:
    id: str
    name: str
    columns: dict = field(default_factory=dict)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


PLAIN = [
    S("00123", "Ann Lee", {"student_id": "00123", "name": "Ann Lee", "email": "ann@uni.example", "Section": "A"}),
    S("00124", "=HYPERLINK(\"http://x\")", {"student_id": "00124", "email": "bo@uni.example"}),
    S("00125", "Cy Late", {"student_id": "00125", "email": "cy@uni.example"}),  # added with --add-students, no grade
]
CANVAS = [
    S("5551", "Lee, Ann", {"Student": "Lee, Ann", "ID": "777", "SIS User ID": "5551", "SIS Login ID": "alee", "Section": "Lab 1"}),
]


@pytest.mark.parametrize(
    "cell, out",
    [
        ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\t=x", "'\t=x"),
        ("-0.5", "-0.5"), ("+3", "+3"), ("-1e-3", "-1e-3"), ("-inf", "'-inf"), ("-nan", "'-nan"),
        ("Ann", "Ann"), ("", ""), (None, ""), (12.5, "12.5"),
    ],
)
def test_neutralize(cell, out):
    assert neutralize(cell) == out


@given(st.text())
def test_neutralized_text_never_starts_a_formula(text):
    out = neutralize(text)
    if out[:1] in ("=", "+", "-", "@"):
        float(out)  # only numbers may


def test_number_cell():
    assert [number_cell(v) for v in (7.5, 12.0, 13.333333333, -0.00001, None, float("nan"), 0)] == [
        "7.5", "12", "13.3333", "0", "", "", "0"]


def test_canvas_csv_plain_roster():
    text = canvas_csv(PLAIN, {"00123": 7.5, "00124": 0.0}, "Week 3 backprop")
    assert text.endswith("\r\n")
    table = rows(text)
    assert table[0] == [*CANVAS_HEADER, "Week 3 backprop"]
    assert table[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert len(table) == 1 + len(PLAIN)  # one row per roster student
    assert table[1] == ["Ann Lee", "", "00123", "", "A", "7.5"]
    assert table[2][0] == "'=HYPERLINK(\"http://x\")" and table[2][5] == "0"
    assert table[3] == ["Cy Late", "", "00125", "", "", ""]  # missing grade: blank, never blocks the export


def test_canvas_csv_keeps_canvas_ids_and_points_possible():
    table = rows(canvas_csv(CANVAS, {"5551": 13.5}, "Week 3 (123456)", points_possible=14))
    assert table[1] == ["Points Possible", "", "", "", "", "14"]
    assert table[2] == ["Lee, Ann", "777", "5551", "alee", "Lab 1", "13.5"]


def test_canvas_csv_from_record_students():
    students = [Student(id="00123", name="Ann", file="00123", variant="A", columns={"id": "00123", "name": "Ann"})]
    assert rows(canvas_csv(students, {"00123": 1}, ""))[0][-1] == "bpdrill"


def test_moodle_csv_by_email():
    sheet = moodle_csv(PLAIN, {"00123": 7.5, "00124": 3}, {"00123": "All right.\nWell done", "00124": "-2 for delta2"})
    table = rows(sheet.text)
    assert table[0] == ["Email address", "Grade", "Feedback"]
    assert table[1] == ["ann@uni.example", "7.5", "All right. Well done"]
    assert table[2] == ["bo@uni.example", "3", "'-2 for delta2"]
    assert len(table) == 3 and sheet.no_grade == ("00125",)  # no grade: no row, never an empty Grade cell


def test_moodle_csv_by_id_number_when_emails_are_missing_or_asked():
    students = PLAIN + [S("00126", "Di", {"ID number": "D-126"})]
    grades = {s.id: 1 for s in students}
    table = rows(moodle_csv(students, grades).text)
    assert table[0][0] == "ID number"
    assert [r[0] for r in table[1:]] == ["00123", "00124", "00125", "D-126"]
    assert moodle_identity(PLAIN, "idnumber")[0] == "ID number"
    assert moodle_identity(students, "email")[1][-1] == ""
    assert moodle_csv(students, grades, identify="email").no_identifier == ("00126",)
    with pytest.raises(ValueError):
        moodle_identity(PLAIN, "phone")


@pytest.mark.parametrize(
    "seen, folder",
    [
        ("Ann Lee_4101_assignsubmission_file_", "Ann Lee_4101_assignsubmission_file_"),
        ("Ann Lee_4101_assignsubmission_file_/", "Ann Lee_4101_assignsubmission_file_"),
        ("Ann Lee_4101_assignsubmission_file", "Ann Lee_4101_assignsubmission_file_"),  # Moodle ≥ 4.1
        ("submissions/Ann Lee_4101_assignsubmission_file_/answers.csv", "Ann Lee_4101_assignsubmission_file_"),
        ("Ann Lee_4101_assignsubmission_file_answers.csv", "Ann Lee_4101_assignsubmission_file_"),  # Moodle < 3.1, flat
        ("Anne_Marie Lee_4102_assignsubmission_file_", "Anne Marie Lee_4102_assignsubmission_file_"),
        ("Zoë Ñ_4103_assignsubmission_onlinetext_", "Zoë Ñ_4103_assignsubmission_onlinetext_"),
        ("answers.csv", None),
        ("doe_late_1_2_answers.csv", None),
        ("", None),
    ],
)
def test_moodle_folder(seen, folder):
    assert moodle_folder(seen) == folder


def moodle_reads(member: str) -> tuple[int, str, str] | None:
    """What Moodle's feedback importer makes of a zip member (assignfeedback_file_zip_importer,
    is_valid_filename_for_import): the first path part splitting on '_' into ≥ 4 fields with a
    numeric 2nd field gives the participant and plugin; the rest is the file name."""
    parts = member.split("/")
    if parts[-1].startswith((".", "~")):
        return None
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) < 4 or not info[1].isdigit():
            continue
        rest = "/".join([info[4] if len(info) == 5 else "", *parts])
        return int(info[1]), f"{info[2]}_{info[3]}", rest.lstrip("/")
    return None


def test_moodle_feedback_zip_layout(tmp_path):
    files = {
        "00123": {"feedback.html": b"<p>ok</p>"},
        "00124": {"feedback.html": b"<p>fix delta2</p>", "../x/.feedback.pdf": b"%PDF"},
        "00125": {"feedback.html": b"late enrolment, no submission"},
        "00126": {"feedback.html": b"x"},
    }
    folders = {
        "00123": "Ann Lee_4101_assignsubmission_file_",
        "00124": "Bo_Bo Ng_4102_assignsubmission_file_/answers.xlsx",
        "00126": "answers.csv",
    }
    fz = moodle_feedback_zip(files, folders)
    path = tmp_path / "moodle-feedback.zip"
    path.write_bytes(fz.data)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert sorted(names) == [
            "Ann Lee_4101_assignsubmission_file_/feedback.html",
            "Bo Bo Ng_4102_assignsubmission_file_/feedback.html",
            "Bo Bo Ng_4102_assignsubmission_file_/feedback.pdf",
        ]
        assert "Ann Lee_4101_assignsubmission_file_/feedback.html" in names
        assert "Bo Bo Ng_4102_assignsubmission_file_/feedback.pdf" in names
        assert z.read("Ann Lee_4101_assignsubmission_file_/feedback.html") == b"<p>ok</p>"
        for n in names:
            assert not n.startswith("/") and ".." not in n
            assert moodle_reads(n) is not None
        assert {moodle_reads(n)[0] for n in names} == {4101, 4102}
        assert moodle_reads("Ann Lee_4101_assignsubmission_file_/feedback.html") == (4101, "assignsubmission_file", "feedback.html")
    assert dict(fz.folders) == {"00123": "Ann Lee_4101_assignsubmission_file_", "00124": "Bo Bo Ng_4102_assignsubmission_file_"}
    assert [s for s, _ in fz.skipped] == ["00125", "00126"]
    assert "no Moodle submission folder" in fz.skipped[0][1] and "not a Moodle participant folder" in fz.skipped[1][1]
    # the same results give the same bytes (no clock inside)
    assert moodle_feedback_zip(files, folders).data == fz.data


def test_moodle_feedback_zip_unicode_names_round_trip():
    fz = moodle_feedback_zip({"1": {"feedback.html": b"x"}}, {"1": "Zoë Ñ_77_assignsubmission_file_"})
    with zipfile.ZipFile(io.BytesIO(fz.data)) as z:
        assert z.namelist() == ["Zoë Ñ_77_assignsubmission_file_/feedback.html"]
