"""Rosters as Moodle and Canvas export them in other languages and with Canvas's non-student rows:
id, e-mail and name columns found with no option, names read, a missing name column said."""

import pytest

from helpers import invoke
from generator.record import read_week
from generator.roster import parse_roster

GERMAN_MOODLE = ("Vorname,Nachname,ID-Nummer,Institution,Abteilung,E-Mail-Adresse\n"
                 "Jürgen,Groß,4711,Uni,Informatik,Juergen.Gross@Uni.Example.DE\n"
                 "Anna,Schmidt,4712,Uni,Informatik,anna.schmidt@uni.example.de\n")
GERMAN_NO_IDNUMBER = ("Vorname,Nachname,ID-Nummer,E-Mail-Adresse\n"
                      "Jürgen,Groß,,Juergen.Gross@Uni.Example.DE\nAnna,Schmidt,,anna@uni.example.de\n")
FRENCH = "Prénom,Nom,Numéro d'identification,Adresse de courriel\nÉlodie,Martin,F-1,elodie@u.fr\n"
SPANISH = "Nombre,Apellido(s),Número de ID,Dirección Email\nLucía,García López,E-1,lucia@u.es\n"
PORTUGUESE = "Nome,Sobrenome,Número de identificação,Endereço de email\nJoão,Silva,P-1,joao@u.br\n"
CANVAS_MANUAL_POSTING = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Homework 2 (812347),Current Score\n"
    ",,,,,Manual Posting,\n"
    "    Points Possible,,,,,13,\n"
    '"Doe, Jane",9001,0000001,jdoe,Section A,,\n'
    '"Roe, Rick",9002,0000002,rroe,Section A,,\n')


@pytest.mark.parametrize("text, id_column, name_column, first", [
    (GERMAN_MOODLE, "ID-Nummer", "Vorname + Nachname", ("4711", "Jürgen Groß")),
    (GERMAN_NO_IDNUMBER, "E-Mail-Adresse", "Vorname + Nachname", ("Juergen.Gross@Uni.Example.DE", "Jürgen Groß")),
    (FRENCH, "Numéro d'identification", "Prénom + Nom", ("F-1", "Élodie Martin")),
    (SPANISH, "Número de ID", "Nombre + Apellido(s)", ("E-1", "Lucía García López")),
    (PORTUGUESE, "Número de identificação", "Nome + Sobrenome", ("P-1", "João Silva")),
])
def test_moodle_exports_in_other_languages_are_read_with_names(text, id_column, name_column, first):
    r = parse_roster(text, "export.csv")
    assert (r.id_column, r.name_column) == (id_column, name_column)
    assert (r.entries[0].id, r.entries[0].name) == first
    assert r.notes == ()


def test_german_export_with_the_email_chosen_keeps_its_names():
    r = parse_roster(GERMAN_MOODLE, "de.csv", id_column="E-Mail-Adresse")
    assert [e.name for e in r.entries] == ["Jürgen Groß", "Anna Schmidt"]


def test_canvas_manual_posting_and_points_possible_rows_are_not_students():
    r = parse_roster(CANVAS_MANUAL_POSTING, "canvas.csv")
    assert [(e.id, e.name) for e in r.entries] == [("0000001", "Doe, Jane"), ("0000002", "Roe, Rick")]


def test_name_column_option_and_a_warning_when_no_name_is_found():
    text = "Matrikel,Rufname,Familie\nm1,Ann,Lee\n"
    plain = parse_roster(text, "r.csv", id_column="Matrikel")
    assert plain.entries[0].name == "" and "no name column found" in plain.notes[0] and "--name-column" in plain.notes[0]
    chosen = parse_roster(text, "r.csv", id_column="Matrikel", name_column="rufname + Familie")
    assert chosen.entries[0].name == "Ann Lee" and chosen.name_column == "Rufname + Familie" and chosen.notes == ()


def test_email_ids_differing_only_in_case_are_one_student():
    with pytest.raises(ValueError, match="duplicate id"):
        parse_roster("email,name\nA.B@X.org,Ann\na.b@x.org,Ann again\n")


def test_generate_reads_a_german_moodle_export_as_it_is(runner, tmp_path):
    roster = tmp_path / "teilnehmer.csv"
    roster.write_text(GERMAN_MOODLE, encoding="utf-8")
    result = invoke(runner, "generate", "--out", tmp_path / "w", "--roster", roster, "--no-pdf")
    assert result.exit_code == 0, result.output
    week = read_week(tmp_path / "w")
    assert [(s.id, s.name) for s in week.students] == [("4711", "Jürgen Groß"), ("4712", "Anna Schmidt")]


def test_generate_warns_when_the_roster_has_no_name_column(runner, tmp_path):
    roster = tmp_path / "ids.csv"
    roster.write_text("Matrikel\nm1\nm2\n", encoding="utf-8")
    result = invoke(runner, "generate", "--out", tmp_path / "w", "--roster", roster, "--id-column", "Matrikel", "--no-pdf")
    assert result.exit_code == 0 and "no name column found" in result.stderr
    named = invoke(runner, "generate", "--out", tmp_path / "w2", "--roster", roster, "--id-column", "Matrikel",
                   "--name-column", "Nope", "--no-pdf")
    assert named.exit_code == 2 and "no column 'Nope' (--name-column)" in named.stderr
