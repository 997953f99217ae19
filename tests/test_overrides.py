import pytest

from grader.overrides import (
    Override,
    OverrideError,
    apply_overrides,
    override_template,
    parse_overrides,
    read_overrides,
)

HEADER = "student_id,problem,quantity,row,col,credit,points,reason\n"


def entries(sid: str):
    """Two problems' worth of a student's entries: delta2 (2×1) and dL_dW1 (2×3) in problem 1, delta2 in problem 2."""
    keys = [(sid, 1, "delta2", i, 1) for i in (1, 2)]
    keys += [(sid, 1, "dL_dW1", i, j) for i in (1, 2) for j in (1, 2, 3)]
    keys += [(sid, 2, "delta2", i, 1) for i in (1, 2)]
    return keys


def grading(credit: float = 0.0):
    keys = entries("00123") + entries("s2")
    credits = {k: credit for k in keys}
    weights = {k: 0.5 if k[2] == "delta2" else 1 / 6 for k in keys}
    totals = {sid: sum(credits[k] * weights[k] for k in keys if k[0] == sid) for sid in ("00123", "s2", "s3")}
    return credits, totals, weights


def test_parse_rows_of_every_kind():
    text = HEADER + (
        "00123,1,delta2,2,1,1,,rounding of a1 accepted\n"
        "00123,1,dL_dW1,,,0.5,,transposed\n"
        "s2,,,,,,-1,late paper copy\n"
    )
    rows = parse_overrides(text)
    assert rows[0] == Override("00123", 1, "delta2", 2, 1, 1.0, None, "rounding of a1 accepted", 2)
    assert rows[1].row is None and rows[1].credit == 0.5 and rows[1].target == "problem 1 dL_dW1"
    assert rows[2].is_student_only and rows[2].points == -1 and rows[2].line == 4


def test_parse_is_forgiving_about_layout():
    text = "\ufeff# TA decisions, week 3\nStudent_ID;Quantity;Credit;Name;Reason\n\n00123;delta2;0,5;Ann;ok\n"
    (row,) = parse_overrides(text)
    assert row.student_id == "00123" and row.quantity == "delta2" and row.credit == 0.5 and row.line == 4
    assert parse_overrides("") == () and parse_overrides(HEADER) == ()


@pytest.mark.parametrize(
    "line, field",
    [
        (",1,delta2,1,1,1,,", "student_id"),
        ("a,x,delta2,1,1,1,,", "field problem"),
        ("a,1,delta9x,1,1,1,,", "field quantity"),
        ("a,1,delta2,0,1,1,,", "field row"),
        ("a,1,delta2,1,1.5,1,,", "field col"),
        ("a,1,delta2,1,1,1.5,,", "field credit"),
        ("a,1,delta2,1,1,nan,,", "field credit"),
        ("a,1,delta2,1,1,,-1,", "field points"),
        ("a,1,delta2,1,1,1,-1,", "exactly one"),
        ("a,1,delta2,1,1,,,", "exactly one"),
        ("a,,,,,1,,", "at least a problem or a quantity"),
    ],
)
def test_parse_errors_name_file_line_and_field(line, field):
    with pytest.raises(OverrideError) as e:
        parse_overrides(HEADER + "ok,,,,,,1,\n" + line + "\n", "week3/overrides.csv")
    assert str(e.value).startswith("week3/overrides.csv:3: ")
    assert field in str(e.value)
    assert "\n" not in str(e.value)


def test_parse_header_errors():
    with pytest.raises(OverrideError, match="student_id"):
        parse_overrides("id,credit\n1,1\n")
    with pytest.raises(OverrideError, match="none of the columns credit, points, total"):
        parse_overrides("student_id,reason\n1,x\n")


def test_credit_override_sets_entry_and_moves_total():
    credits, totals, weights = grading(0.0)
    rows = parse_overrides(HEADER + "00123,1,delta2,2,1,1,,rounding accepted\n")
    res = apply_overrides(rows, credits, totals, weights)
    key = ("00123", 1, "delta2", 2, 1)
    assert res.credits[key] == 1.0
    assert res.totals["00123"] == pytest.approx(0.5)
    assert res.totals["s2"] == 0.0
    (a,) = res.applied
    assert (a.before, a.after, a.key) == (0.0, 1.0, key)
    assert "delta2[2,1] (problem 1): credit 0 → 1 — rounding accepted" == a.message
    assert res.reasons() == {key: "rounding accepted"}
    assert res.for_student("s2") == ()
    # the inputs are untouched (pure)
    assert credits[key] == 0.0


def test_blank_keys_match_every_entry():
    credits, totals, weights = grading(0.0)
    rows = parse_overrides(HEADER + "00123,,delta2,,,1,,all delta2 fine\n00123,1,dL_dW1,,,0.5,,half\n")
    res = apply_overrides(rows, credits, totals, weights)
    changed = {a.key for a in res.applied}
    assert len(changed) == 4 + 6
    assert res.totals["00123"] == pytest.approx(4 * 0.5 + 6 * 0.5 / 6)


def test_points_rows_add_up_and_total_is_floored_at_zero():
    credits, totals, weights = grading(1.0)
    text = HEADER + "00123,,,,,,-1,paper copy\n00123,,,,,,-0.5,again\ns3,,,,,,-2,nothing to lose\n"
    res = apply_overrides(parse_overrides(text), credits, totals, weights)
    assert res.totals["00123"] == pytest.approx(totals["00123"] - 1.5)
    assert res.totals["s3"] == 0.0
    assert res.applied[0].message.startswith("points -1 on the total")
    assert res.reasons() == {}


def test_last_row_wins_for_the_same_entry_and_survives_a_regrade():
    rows = parse_overrides(HEADER + "s2,2,delta2,1,1,0,,wrong after all\ns2,2,delta2,1,1,1,,TA: ok\n")
    for credit in (0.0, 1.0, 0.25):  # whatever the automatic grading says this time
        credits, totals, weights = grading(credit)
        res = apply_overrides(rows, credits, totals, weights)
        assert res.credits[("s2", 2, "delta2", 1, 1)] == 1.0
        assert res.reasons()[("s2", 2, "delta2", 1, 1)] == "TA: ok"


def test_unknown_student_or_entry_is_reported_not_fatal():
    credits, totals, weights = grading(0.0)
    text = HEADER + "nobody,,,,,,1,x\n00123,3,delta2,,,1,,no problem 3\ns3,1,delta2,1,1,1,,s3 has no graded entries\n00123,1,delta2,1,1,1,,\n"
    res = apply_overrides(parse_overrides(text), credits, totals, weights)
    msgs = [u.message for u in res.unmatched]
    assert msgs[0] == "overrides.csv:2: student 'nobody' is not on the roster; row ignored"
    assert "overrides.csv:3:" in msgs[1] and "problem 3 delta2" in msgs[1]
    assert "overrides.csv:4:" in msgs[2]
    assert len(res.applied) == 1 and res.applied[0].reason == "adjusted by the instructor"


def test_read_overrides_decodes_excel_encodings(tmp_path):
    p = tmp_path / "overrides.csv"
    p.write_bytes((HEADER + "00123,,,,,,-1,Verspätung\n").encode("utf-16"))
    assert read_overrides(p)[0].reason == "Verspätung"
    p.write_bytes((HEADER + "00123,,,,,,-1,Verspätung\n").encode("cp1252"))
    assert read_overrides(p)[0].reason == "Verspätung"
    with pytest.raises(OverrideError, match="cannot read"):
        read_overrides(tmp_path / "missing.csv")


def test_template_round_trips():
    text = override_template([("00123", 1, "delta2", 1, 1, 1, "", "", "ok")])
    assert parse_overrides(text)[0].credit == 1.0


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_reason_with_doubled_quotes_is_read_as_standard_csv(sep):
    # the dialect was sniffed from the header alone, so '""' inside a quoted reason stayed doubled (QA)
    header = HEADER.replace(",", sep)
    line = sep.join(["00123", "", "", "", "", "", "1", '"=HYPERLINK(""x"") family emergency, again"']) + "\n"
    (row,) = parse_overrides(header + line)
    assert row.reason == '=HYPERLINK("x") family emergency, again' and row.points == 1
