"""Reading submitted files: stray rows that split a perfect file, quoted
decimal commas, Canvas resubmission order and uploader, zips of the Linux ``zip`` command."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from helpers import grade_and_summary, perfect, put

from grader.samples import exact_values, no_update, submission_csv
from grader.identify import latest_first, lms_name
from grader.parse import peek_ids

@pytest.fixture
def week(canvas_week):
    return canvas_week


# ---- 1. a stray row does not split a perfect file ----

def _insert(text: str, at: int, line: str) -> str:
    lines = text.splitlines()
    return "\n".join(lines[:at] + [line] + lines[at:]) + "\n"


@pytest.mark.parametrize("stray, at, said", [
    ("TOTAL,,,,,42", None, "not an answer row (TOTAL,,,,,42); ignored"),
    ("student_id,problem,quantity,row,col,value", 40, "line 41: the header line again; ignored"),
    ("Kowalski Jan,,,,,", 1, "line 2: not an answer row (Kowalski Jan); ignored"),
    ("00456,,,,,", None, "not an answer row (00456); ignored"),
])
def test_a_row_without_an_answer_names_no_one(runner, tmp_path, week, stray, at, said):
    text = perfect(week)
    put(tmp_path / "subs", "00456.csv", _insert(text, at if at is not None else len(text.splitlines()), stray))
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    jan = g["00456"]
    assert (jan["percent"], jan["status"], jan["flags"], jan["files"]) == ("100", "graded", "", str(tmp_path / "subs" / "00456.csv")), jan
    assert said in jan["message"]
    assert "not understood" not in summary and "id conflict" not in summary


def test_peek_ids_reads_answer_rows_only():
    head = "student_id,problem,quantity,row,col,value\n"
    assert peek_ids((head + "00456,1,net1,1,1,0.5\nTOTAL,,,,,42\n" + head + "Jan,,,,,\n").encode()) == ("00456",)
    # a blank template still says whose it is; answers of two students split the file
    assert peek_ids((head + "00456,1,net1,1,1,\n").encode()) == ("00456",)
    assert peek_ids((head + ",1,net1,1,1,0.5\n00456,1,a1,1,1,\nTOTAL,,,,,1\n").encode()) == ("00456",)
    assert peek_ids((head + "00456,1,net1,1,1,0.5\n00123,1,a1,1,1,\n00789,1,a1,1,1,1\n").encode()) == ("00456", "00789")


def test_answers_under_an_id_no_one_has_are_reported_not_given_by_the_file_name(runner, tmp_path, week):
    anna, jan = week.students[:2]
    stray = submission_csv(week, jan, no_update(jan), student_id="Jan K").splitlines()[1:4]
    put(tmp_path / "subs", "00123.csv", submission_csv(week, anna, exact_values(anna)) + "\n".join(stray) + "\n")
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    assert (g["00123"]["percent"], g["00123"]["flags"]) == ("100", ""), g["00123"]
    assert "(rows of Jan K)" not in g["00123"]["files"]
    flat = " ".join(summary.split())
    assert "files not understood (1)" in flat and "student_id 'Jan K' is not on the roster" in flat


# ---- 2. a quoted decimal comma in a comma-delimited file ----

def test_quoted_decimal_commas_in_a_comma_delimited_file(runner, tmp_path, week):
    jan = week.students[1]
    text = submission_csv(week, jan, exact_values(jan), delimiter=",", decimal_comma=True)
    assert '"-0,' in text or '"0,' in text  # Google Sheets / LibreOffice in a European locale
    put(tmp_path / "subs", "00456.csv", text)
    g, _ = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    assert (g["00456"]["percent"], g["00456"]["message"]) == ("100", ""), g["00456"]


@pytest.mark.parametrize("line, value", [
    ('s,1,net1,1,1,"-0,435"', -0.435), ('s,1,net1,1,1,"\u22120,5e-3"', -0.0005), ('s,1,net1,1,1," 1 234,5 "', 1234.5),
    ('s,1,net1,1,1,"1,234.5"', 1234.5), ('s,1,net1,1,1,"1,2,3"', None), ('s,1,net1,1,1,",5"', None),
])
def test_quoted_comma_values(line, value):
    from grader.parse import parse_submission

    row, = parse_submission(f"student_id,problem,quantity,row,col,value\n{line}\n".encode()).rows
    assert row.cell.value == value


# ---- 3. Canvas: the attachment id is the upload order ----

def canvas_zip(path, members) -> Path:
    """A Canvas bulk download: (name, csv text, zip time) per member."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, text, when in members:
            z.writestr(zipfile.ZipInfo(name, when), text)
    return path


def test_canvas_upload_order_is_the_attachment_id_not_a_dash_number_of_the_name(runner, tmp_path, week):
    anna = week.students[0]
    canvas_zip(tmp_path / "subs" / "c3.zip", [
        ("nowakanna_40001_555_backprop-48.csv", submission_csv(week, anna, no_update(anna)), (2026, 11, 28, 2, 52, 0)),
        ("nowakanna_40001_556_backprop-48-1.csv", submission_csv(week, anna, exact_values(anna)), (2026, 11, 29, 2, 52, 0)),
    ])
    g, _ = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    assert g["00123"]["percent"] == "100", g["00123"]
    assert ("the latest of 2 submissions counts (nowakanna_40001_556_backprop-48-1.csv); "
            "not graded: nowakanna_40001_555_backprop-48.csv") in g["00123"]["message"]


def test_latest_first_orders_canvas_files_by_attachment_then_suffix_then_time():
    def order(*items):
        return latest_first((lms_name(name), mtime, name) for name, mtime in items)
    # the attachment id beats the "-N" suffix and the zip's time
    assert order(("a_1_556_b-48-1.csv", 1.0), ("a_1_555_b-48.csv", 2.0)) == [0, 1]
    # same attachment: the suffix, then the time
    assert order(("a_1_7_b.csv", 5.0), ("a_1_7_b-1.csv", 1.0)) == [1, 0]
    # a plain file among Canvas files goes by time; the Canvas files keep their upload order
    assert order(("a_1_9_b.csv", 1.0), ("late-by-mail.csv", 3.0), ("a_1_8_b-3.csv", 2.0)) == [1, 0, 2]


# ---- 4. the LMS's uploader is evidence whatever the file is called ----

@pytest.mark.parametrize("member", [
    "nowakanna_40001_700_00456.csv",  # Canvas user 40001 (Anna, by the roster's ID column) uploaded Jan's template
    "nowakanna_40001_700_backprop.csv",
    "Anna Nowak_4242_assignsubmission_file_/00456.csv",  # the same in a Moodle download
])
def test_a_file_uploaded_by_one_student_with_anothers_rows_is_an_id_conflict(runner, tmp_path, week, member):
    with zipfile.ZipFile(put(tmp_path / "subs", "lms.zip", b""), "w") as z:
        z.writestr(member, perfect(week))
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    assert (g["00456"]["percent"], g["00456"]["flags"], g["00123"]["status"]) == ("100", "id-conflict", "missing"), g
    assert "conflict: the student_id column says 00456" in g["00456"]["message"]
    squeezed = "".join(summary.split())  # the summary wraps long paths anywhere
    for said in ("needs attention: 1 id conflict", f"lms.zip!{member}: its student_id column says 00456, its name says 00123",
                 "graded for 00456 (the column counts); 00123 has no submission"):
        assert "".join(said.split()) in squeezed, said


def test_the_uploaders_own_template_name_is_no_conflict(runner, tmp_path, week):
    anna = week.students[0]
    with zipfile.ZipFile(tmp_path / "lms.zip", "w") as z:
        z.writestr("nowakanna_40001_700_00123.csv", submission_csv(week, anna, exact_values(anna)))
        z.writestr("kowalskijan_40002_701_answers.csv", perfect(week))
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "lms.zip")
    assert [(g[s]["percent"], g[s]["flags"]) for s in ("00123", "00456")] == [("100", ""), ("100", "")], g
    assert "id conflict" not in summary


# ---- 5. zips of the Linux zip command: UTF-8 names without the UTF-8 flag ----

class _Unflagged(zipfile.ZipInfo):
    """A zip entry as Info-ZIP's ``zip`` writes it on Linux: the name's bytes in the system's
    encoding (UTF-8), the UTF-8 flag 0x800 clear."""

    encoding = "utf-8"

    def _encodeFilenameFlags(self):
        return self.filename.encode(self.encoding), self.flag_bits & ~0x800


def linux_zip(path: Path, members: dict[str, str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, text in members.items():
            info = _Unflagged(name, (2026, 11, 28, 12, 0, 0))
            info.encoding = encoding
            z.writestr(info, text)
    with zipfile.ZipFile(path) as z:  # what the test builds: no flag, so zipfile itself reads cp437
        assert all(not i.flag_bits & 0x800 for i in z.infolist())
    return path


def test_utf8_names_without_the_utf8_flag_are_read_as_utf8(runner, tmp_path, week):
    zoe = week.students[2]
    folder = "Zoe Ångström_4242_assignsubmission_file_"
    no_id = "\n".join(line.split(",", 1)[-1] for line in submission_csv(week, zoe, exact_values(zoe)).splitlines())
    linux_zip(tmp_path / "subs" / "moodle.zip", {f"{folder}/odpowiedź.csv": no_id})  # only the folder says whose
    g, summary = grade_and_summary(runner, tmp_path, tmp_path / "subs")
    assert (g["02002"]["percent"], g["02002"]["files"]) == ("100", f"{tmp_path / 'subs' / 'moodle.zip'}!{folder}/odpowiedź.csv"), g["02002"]
    assert "not understood" not in summary
    with zipfile.ZipFile(tmp_path / "out" / "moodle-feedback.zip") as z:
        assert [n.split("/")[0] for n in z.namelist()] == ["Zoe Ångström_4242_assignsubmission_file_"]


def test_zip_entry_names_recovered_only_when_the_flag_is_clear(tmp_path):
    from grader.ingest import collect

    linux_zip(tmp_path / "a.zip", {"Zoe Ångström/ä.csv": "x", "plain/b.csv": "y"})
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        assert z.namelist()[0] == "Zoe \u251c\u00e0ngstr\u251c\u2562m/\u251c\u00f1.csv"  # zipfile's own reading
    linux_zip(tmp_path / "b.zip", {"M\u00fcller/\u2514\u2500.csv": "w"}, encoding="cp437")  # cp437, not UTF-8: kept
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as z:  # flagged UTF-8
        z.writestr("Łukasz/ż.csv", "z")
    got = {(f.folder, f.name) for f in collect([tmp_path / n for n in ("a.zip", "b.zip", "c.zip")])}
    assert got == {("Zoe Ångström", "ä.csv"), ("plain", "b.csv"), ("M\u00fcller", "\u2514\u2500.csv"), ("Łukasz", "ż.csv")}
