"""Roster CSVs as LMSs export them: id and name detection, every column kept, bad ids refused."""

import pytest

from generator.roster import RosterError, parse_roster, read_roster

CANVAS = """Student,ID,SIS User ID,SIS Login ID,Section,Week 1 (123)
    Points Possible,,,,,10
"Doe, Jane",9001,00123,jdoe,Section A,
"Roe, Rick",9002,00456,rroe,Section B,
"Student, Test",9003,,,Section A,
"""

MOODLE = """First name,Surname,ID number,Institution,Department,Email address
Jane,Doe,s001,Uni,CS,jane@uni.edu
Rick,Roe,s002,Uni,CS,rick@uni.edu
"""

BLACKBOARD = '"Last Name","First Name","Username","Student ID","Last Access","Availability"\n' \
             '"Doe","Jane","jdoe","777001","2026-11-01","Yes"\n'


def test_canvas_prefers_the_institution_id_and_skips_meta_rows():
    r = parse_roster(CANVAS, "canvas.csv")
    assert r.id_column == "SIS User ID" and r.name_column == "Student"
    assert [(e.id, e.name) for e in r.entries] == [("00123", "Doe, Jane"), ("00456", "Roe, Rick")]
    assert r.entries[0].columns["ID"] == "9001" and r.entries[0].columns["Section"] == "Section A"
    assert r.columns == ("Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Week 1 (123)")
    assert r.info() == {"source": "canvas.csv", "id_column": "SIS User ID", "name_column": "Student",
                        "columns": list(r.columns)}


def test_canvas_without_sis_ids_falls_back_to_canvas_id():
    text = "Student,ID,SIS User ID\nDoe,9001,\nRoe,9002,\n"
    assert [e.id for e in parse_roster(text).entries] == ["9001", "9002"]


def test_moodle_first_name_and_surname_are_joined():
    r = parse_roster(MOODLE)
    assert r.id_column == "ID number" and r.name_column == "First name + Surname"
    assert [(e.id, e.name) for e in r.entries] == [("s001", "Jane Doe"), ("s002", "Rick Roe")]
    assert r.entries[1].columns["Email address"] == "rick@uni.edu"


def test_blackboard_student_id_beats_username():
    r = parse_roster(BLACKBOARD)
    assert r.id_column == "Student ID" and r.entries[0].id == "777001" and r.entries[0].name == "Jane Doe"


@pytest.mark.parametrize("header", ["id", "ID", "username", "Username", "Student Number", "student_id", "Email"])
def test_usual_id_headers(header):
    r = parse_roster(f"{header},name\n  00123 ,Ann\n")
    assert r.id_column == header and r.entries[0].id == "00123" and r.entries[0].name == "Ann"


def test_ids_are_trimmed_text_and_delimiters_are_sniffed():
    r = parse_roster("\ufeffid;name;group\n007;Bond, James;A\n0100 ;Q;B\n")
    assert [e.id for e in r.entries] == ["007", "0100"]
    assert r.entries[0].name == "Bond, James" and r.entries[1].columns["group"] == "B"
    tabbed = parse_roster("id\tname\n1\tA\n2\tB\n")
    assert [e.name for e in tabbed.entries] == ["A", "B"]


def test_id_column_option_chooses_exactly_or_ignoring_case():
    assert parse_roster(CANVAS, id_column="ID").entries[0].id == "9001"
    assert parse_roster(CANVAS, id_column="sis login id").entries[0].id == "jdoe"
    with pytest.raises(RosterError, match=r"x\.csv: no column 'Matric' \(--id-column\); the columns are Student, ID"):
        parse_roster(CANVAS, "x.csv", id_column="Matric")


def test_blank_lines_are_skipped_and_line_numbers_are_the_files():
    with pytest.raises(RosterError, match=r"r\.csv, line 4: duplicate id 'a' \(first on line 2\)"):
        parse_roster("id,name\na,A\n\na,B\n", "r.csv")


@pytest.mark.parametrize("text, message", [
    ("id,name\na,A\n ,B\n", r"r\.csv, line 3: empty id in column 'id'"),
    ("ID number,First name,Surname,Email address\n17,Ann,Alpha,a@x.org\n,Bob,Beta,b@x.org\n",
     r"r\.csv, line 3: empty id in column 'ID number'; fill it in, or choose another id column with --id-column "
     r"\(complete here: Email address\)"),
    ("id,name\na\x07b,A\n", r"r\.csv, line 2: id 'a\\x07b' contains the control character U\+0007"),
    ("id,name\na\u200bb,A\n", r"line 2: .*U\+200B"),
    ("name,section\nAnn,A\n", r"r\.csv: no id column found .*the columns are name, section; choose one with --id-column"),
    ("", r"r\.csv: the roster is empty"),
    ("id,name\n", r"r\.csv: no students"),
    ("id,name\na,A,extra\n", r"r\.csv, line 2: 3 fields, but the header has 2"),
])
def test_bad_rosters_are_refused_naming_file_and_line(text, message):
    with pytest.raises(RosterError, match=message):
        parse_roster(text, "r.csv")


def test_read_roster_file_errors_and_windows_encoding(tmp_path):
    with pytest.raises(RosterError, match=r"missing\.csv: no such file"):
        read_roster(tmp_path / "missing.csv")
    f = tmp_path / "excel.csv"
    f.write_bytes("id,name\n1,Zoë Müller\n".encode("cp1252"))
    assert read_roster(f).entries[0].name == "Zoë Müller"
    with pytest.raises(RosterError, match="cannot read"):
        read_roster(tmp_path)  # a folder


def test_duplicate_headers_are_kept_apart():
    r = parse_roster("id,note,note\n1,a,b\n")
    assert r.entries[0].columns == {"id": "1", "note": "a", "note (2)": "b"}


@pytest.mark.parametrize("text, name, columns", [
    ('Student,ID,SIS User ID\n"Smith, John ""Jack""",1,0001\n', 'Smith, John "Jack"', None),
    ('Student,ID,X\nq,1,"d""e,f"\n', "q", {"Student": "q", "ID": "1", "X": 'd"e,f'}),
    ('id;name\n"a;b";"x ""y"""\n', 'x "y"', {"id": "a;b", "name": 'x "y"'}),
    ('sep=;\nid;name\n7;"Doe, J"\n', "Doe, J", {"id": "7", "name": "Doe, J"}),
])
def test_quotes_are_read_as_excel_writes_them(text, name, columns):
    e = parse_roster(text).entries[0]
    assert e.name == name
    assert columns is None or e.columns == columns


def test_a_quoted_formula_id_is_kept_exactly():
    e = parse_roster('id,name\n"=HYPERLINK(""http://evil"")",A\n').entries[0]
    assert e.id == '=HYPERLINK("http://evil")' and e.name == "A"


def test_sep_line_keeps_the_files_line_numbers():
    with pytest.raises(RosterError, match=r"r\.csv, line 4: duplicate id 'a' \(first on line 3\)"):
        parse_roster("sep=;\nid;name\na;A\na;B\n", "r.csv")


@pytest.mark.parametrize("encoding, bom", [
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b""),
    ("cp1252", b""), ("utf-16-le", b""),
])
def test_encodings_excel_writes(tmp_path, encoding, bom):
    f = tmp_path / "r.csv"
    f.write_bytes(bom + "Student ID\tFull name\r\n007\tZoë Müller\r\n".encode(encoding))
    r = read_roster(f)
    assert r.columns == ("Student ID", "Full name")
    assert [(e.id, e.name) for e in r.entries] == [("007", "Zoë Müller")]


def test_ids_and_headers_are_unicode_nfc():
    decomposed, composed = "Rene\u0301", "Ren\u00e9"
    r = parse_roster(f"Nu\u0301mero,name\n{decomposed},A\n", id_column="N\u00famero")
    assert r.id_column == "N\u00famero" and r.entries[0].id == composed
    with pytest.raises(RosterError, match="line 3: duplicate id"):
        parse_roster(f"id\n{composed}\n{decomposed}\n")


def test_empty_and_binary_files(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"\xef\xbb\xbf \r\n")
    with pytest.raises(RosterError, match="the roster is empty"):
        read_roster(tmp_path / "e.csv")
    (tmp_path / "b.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(RosterError, match=r"b\.csv: cannot read"):
        read_roster(tmp_path / "b.csv")
