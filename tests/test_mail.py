"""Delivery by e-mail against a real SMTP server (aiosmtpd) on localhost: one message per student with
an address and the right attachments, never twice, again when a sheet changed, a refused recipient or
a lost connection costing no one else their message, the password nowhere."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from helpers import invoke
from generator.record import read_week
from grader.mail import (MailError, MailSettings, deliver, feedback_messages, parse_mail_table, read_mail_config,
                         read_sent, settings, sheet_messages)

ROSTER = """SIS User ID,Student,E-Mail-Adresse
00123,Ada Lovelace,ada@example.edu
00124,Alan Turing,alan@example.edu
00200,Kurt Gödel,kurt@example.edu
00201,Grace Hopper,
00202,Emmy Noether,refuse@example.edu
00203,John von Neumann,lose@example.edu
"""
PASSWORD = "s3cret-Pa55word!"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # the test server, on loopback
FAST = 6000.0  # messages per minute: no waiting in tests


class Inbox:
    """What the server received; it refuses refuse@… and drops the connection on lose@…'s message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(a.startswith("lose@") for a in envelope.rcpt_tos):
            return "421 4.3.0 closing the connection"
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=auth_data.login == b"ta" and auth_data.password == PASSWORD.encode(), handled=False)


@pytest.fixture
def server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=login,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("mail")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    r = invoke(CliRunner(), "generate", "--out", folder / "week", "--roster", folder / "roster.csv", "--seed", "mail",
               "--title", "Week 3", "--no-progress")
    assert r.exit_code == 0, r.output
    return folder / "week"


@pytest.fixture
def week_dir(rendered, tmp_path) -> Path:
    shutil.copytree(rendered, tmp_path / "week")
    return tmp_path / "week"


def setup(controller, **more) -> MailSettings:
    return MailSettings(**{"sender": "ta@example.edu", "smtp": f"127.0.0.1:{controller.port}", "user": "ta",
                           "security": "none", "rate": FAST, **more})


def received(inbox: Inbox) -> dict[str, list]:
    """Recipient → the attachments (name, bytes) of each message they got."""
    out: dict[str, list] = {}
    for to, data in inbox.messages:
        msg = message_from_bytes(data, policy=policy.default)
        for address in to:
            out.setdefault(address, []).append({p.get_filename(): p.get_content() for p in msg.iter_attachments()})
    return out


def sheet_files(week_dir: Path, file: str) -> dict[str, bytes | str]:
    return {f"{file}.pdf": (week_dir / "sheets" / f"{file}.pdf").read_bytes(),
            f"{file}.html": (week_dir / "sheets" / f"{file}.html").read_text(encoding="utf-8"),
            f"{file}.csv": (week_dir / "answers" / f"{file}.csv").read_text(encoding="utf-8")}


def test_every_student_with_an_address_gets_their_sheet_once_and_again_when_it_changed(server, week_dir):
    controller, inbox = server
    week = read_week(week_dir)
    report = deliver(sheet_messages(week_dir, week, deadline="Friday 12:00"), week_dir, setup(controller), send=True,
                     password=PASSWORD)
    got = received(inbox)
    assert sorted(got) == ["ada@example.edu", "alan@example.edu", "kurt@example.edu"]
    for s in week.students[:3]:
        address = s.columns["E-Mail-Adresse"]
        assert len(got[address]) == 1
        attached = got[address][0]
        assert attached == sheet_files(week_dir, s.file)
    first = message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert first["Subject"] == "Week 3: your problem sheet" and first["To"] == "Ada Lovelace <ada@example.edu>"
    assert "Dear Ada Lovelace" in first.get_body().get_content() and "by Friday 12:00" in first.get_body().get_content()
    lines = report.lines()
    # a refused recipient and a lost connection: one line each; a student without an address is counted
    assert [line for line in lines if "refuse@" in line] == ["00202 <refuse@example.edu>: failed (refused by the server: 550 5.1.1 no such mailbox)"]
    assert any(line.startswith("00203 <lose@example.edu>: failed") and "421" in line for line in lines)
    assert "sent 3 of 5 messages" in report.summary() and "1 student without an e-mail address" in report.summary()
    assert sorted(read_sent(week_dir / "mail" / "sent.jsonl")) == ["00123", "00124", "00200"]

    again = deliver(sheet_messages(week_dir, week), week_dir, setup(controller), send=True, password=PASSWORD)
    assert len(inbox.messages) == 3 and again.delivered == ()
    assert "3 already sent and unchanged" in again.summary()

    (week_dir / "sheets" / f"{week.students[1].file}.html").write_text("a new sheet", encoding="utf-8")
    changed = deliver(sheet_messages(week_dir, week), week_dir, setup(controller), send=True, password=PASSWORD,
                      resend=["00123"])
    assert sorted(x.student_id for x in changed.delivered) == ["00123", "00124"]
    assert received(inbox)["alan@example.edu"][1][f"{week.students[1].file}.html"] == "a new sheet"


def test_a_dry_run_writes_one_eml_per_student_and_sends_nothing(server, week_dir):
    controller, inbox = server
    week = read_week(week_dir)
    report = deliver(sheet_messages(week_dir, week), week_dir, setup(controller, smtp="192.0.2.1"))
    outbox = week_dir / "mail" / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == ["00123.eml", "00124.eml", "00200.eml", "00202.eml", "00203.eml"]
    msg = message_from_bytes((outbox / "00200.eml").read_bytes(), policy=policy.default)
    assert msg["To"] == "Kurt Gödel <kurt@example.edu>"
    assert [p.get_filename() for p in msg.iter_attachments()] == ["00200.pdf", "00200.html", "00200.csv"]
    assert inbox.messages == [] and not (week_dir / "mail" / "sent.jsonl").exists()
    assert report.summary().startswith("dry run: 5 messages") and "00200 <kurt@example.edu>: would send" in report.lines()[2]


def test_feedback_goes_to_the_students_who_handed_in(server, week_dir, tmp_path, runner):
    controller, inbox = server
    week = read_week(week_dir)
    subs = tmp_path / "subs"
    subs.mkdir()
    key = invoke(runner, "key", week_dir, "--format", "csv", "--student", "00124").stdout
    (subs / "00124.csv").write_text(key, encoding="utf-8")
    assert invoke(runner, "grade", week_dir, subs, "--out", tmp_path / "out").exit_code == 0
    messages, notes = feedback_messages(tmp_path / "out", week)
    report = deliver(messages, tmp_path / "out", setup(controller), send=True, password=PASSWORD, notes=notes)
    got = received(inbox)
    assert list(got) == ["alan@example.edu"] and list(got["alan@example.edu"][0]) == ["00124.html"]
    body = message_from_bytes(inbox.messages[0][1], policy=policy.default).get_body().get_content()
    assert re.search(r"^Your score: (\d+) of \1 points \(100%\)\.\r?$", body, re.M)
    assert any("5 handed in nothing" in n for n in report.notes)
    assert (tmp_path / "out" / "mail" / "sent.jsonl").is_file()
    assert invoke(runner, "grade", week_dir, subs, "--out", tmp_path / "bare", "--feedback", "none").exit_code == 0
    with pytest.raises(MailError, match="no feedback pages"):
        feedback_messages(tmp_path / "bare", week)


def test_the_password_is_nowhere_and_a_wrong_one_stops_before_anything_is_sent(server, week_dir):
    controller, inbox = server
    week = read_week(week_dir)
    asked = []
    report = deliver(sheet_messages(week_dir, week), week_dir, setup(controller), send=True,
                     password=lambda: asked.append(1) or PASSWORD)
    assert asked == [1] and len(inbox.messages) == 3
    for path in (week_dir / "mail").rglob("*"):
        assert not path.is_file() or PASSWORD.encode() not in path.read_bytes()
    assert PASSWORD not in "\n".join(report.lines()) + report.summary()
    with pytest.raises(MailError) as e:
        deliver(sheet_messages(week_dir, week), week_dir, setup(controller), send=True, password="wrong", resend=["00123"])
    assert "refused the login of 'ta'" in str(e.value) and "wrong" not in str(e.value)
    assert len(inbox.messages) == 3


def test_mail_settings_are_checked_before_anything_is_sent(tmp_path, week_dir):
    week = read_week(week_dir)
    with pytest.raises(MailError, match="only to a loopback address"):
        deliver(sheet_messages(week_dir, week), week_dir, MailSettings("ta@example.edu", "192.0.2.1", security="none"),
                send=True)
    with pytest.raises(MailError, match="no sender"):
        settings({}, {"smtp": "localhost"})
    with pytest.raises(MailError, match="--smtp: expected HOST"):
        settings({}, {"sender": "ta@example.edu", "smtp": "host:port"})
    assert settings({"smtp": "mail.example.edu", "rate": 10}, {"sender": "ta@example.edu", "smtp": "[::1]:2525"}).server() == ("::1", 2525)
    with pytest.raises(MailError, match="no column 'Mail' "):
        sheet_messages(week_dir, week, email_column="Mail")
    course = tmp_path / "course.toml"
    course.write_text('seed = "x"\n[mail]\nsmtp = "smtp.example.edu:587"\nsender = "ta@example.edu"\nrate = 20\n'
                      'template = "sheet-mail.txt"\n[grade.points]\nW_new = 2\n', encoding="utf-8")
    assert read_mail_config(course) == {"smtp": "smtp.example.edu:587", "sender": "ta@example.edu", "rate": 20,
                                        "template": str(tmp_path / "sheet-mail.txt")}
    # the other commands read the same file, leaving [mail] to bpdrill mail
    from generator.config import read_config
    from grader.judge import grade_config

    assert read_config(course).generate["seed"] == "x" and grade_config(read_config(course)).points_for("W2_new") == 2
    for table, says in (({"password": "x"}, "never read from a file"), ({"sever": "x"}, "mail.sever: unknown key"),
                        ({"security": "tls"}, "expected one of starttls, ssl, none"), ({"rate": 0}, "> 0")):
        with pytest.raises(MailError, match=says):
            parse_mail_table(table, "course.toml")


def test_a_bad_address_or_a_replaced_template_is_one_line(server, week_dir, tmp_path):
    controller, inbox = server
    week = read_week(week_dir)
    template = tmp_path / "mine.txt"
    template.write_text("Subject: {{ course }} for {{ name }}\nHello {{ student_id }}, see {{ files | join(', ') }}.\n")
    messages = sheet_messages(week_dir, week, template=template)
    assert messages[0].subject == "Week 3 for Ada Lovelace" and messages[0].body.startswith("Hello 00123, see 00123.pdf")
    bad = [m if m.student_id != "00124" else replace(m, address="alan at example") for m in messages]
    report = deliver(bad, week_dir, setup(controller), send=True, password=PASSWORD)
    assert any(line.startswith("00124 <alan at example>: failed ('alan at example' is not an e-mail address") for line in report.lines())
    assert sorted(received(inbox)) == ["ada@example.edu", "kurt@example.edu"]
    template.write_text("Dear {{ nmae }}\n")
    with pytest.raises(MailError, match="'nmae' is undefined"):
        sheet_messages(week_dir, week, template=template)


def test_the_email_column_is_found_as_the_id_column_is():
    from generator.roster import choose_email_column

    rows = [{"Email address": "a@x.org", "E-Mail-Adresse": "", "Mail": "b@x.org"}]
    assert choose_email_column(["First name", "Email address"], rows, None, "r") == "Email address"
    assert choose_email_column(["E-Mail-Adresse", "Email address"], rows, None, "r") == "Email address"  # the one with values
    assert choose_email_column(["Mail"], rows, "mail", "r") == "Mail"
    assert choose_email_column(["Name"], rows, None, "r") is None


def test_the_mail_commands_end_to_end(server, week_dir, tmp_path, runner, monkeypatch):
    controller, inbox = server
    course = tmp_path / "course.toml"
    course.write_text(f'[mail]\nsmtp = "127.0.0.1:{controller.port}"\nsender = "Backprop course <ta@example.edu>"\nsecurity = "none"\n'
                      f'rate = {FAST}\n', encoding="utf-8")
    dry = invoke(runner, "mail", "sheets", week_dir, "--config", course, "--deadline", "Friday noon")
    assert dry.exit_code == 0, dry.output
    assert "00123 <ada@example.edu>: would send (00123.pdf, 00123.html, 00123.csv;" in dry.stdout
    assert "dry run: 5 messages" in dry.stdout and inbox.messages == []
    monkeypatch.delenv("BPDRILL_SMTP_PASSWORD", raising=False)
    refused = invoke(runner, "mail", "sheets", week_dir, "--config", course, "--user", "ta", "--send")
    assert refused.exit_code == 2 and "no password: set BPDRILL_SMTP_PASSWORD" in refused.stderr
    monkeypatch.setenv("BPDRILL_SMTP_PASSWORD", PASSWORD)
    sent = invoke(runner, "mail", "sheets", week_dir, "--config", course, "--user", "ta", "--send")
    assert sent.exit_code == 0, sent.output
    assert "sent 3 of 5 messages" in sent.stdout and "00202 <refuse@example.edu>: failed (refused by the server: 550" in sent.stdout
    assert len(received(inbox)) == 3
    assert message_from_bytes(inbox.messages[0][1], policy=policy.default)["From"] == "Backprop course <ta@example.edu>"
    again = invoke(runner, "mail", "sheets", week_dir, "--config", course, "--user", "ta", "--send", "--resend", "00124,00200")
    assert "00124 <alan@example.edu>: sent" in again.stdout and "00200 <kurt@example.edu>: sent" in again.stdout
    assert "00123 <ada@example.edu>: sent" not in again.stdout and len(inbox.messages) == 5
    assert PASSWORD not in dry.output + sent.output + again.output
    for path in week_dir.rglob("*"):
        assert not path.is_file() or PASSWORD.encode() not in path.read_bytes()
    wrong = invoke(runner, "mail", "sheets", week_dir, "--config", course, "--resend", "nobody")
    assert wrong.exit_code == 2 and "--resend: 'nobody' is not on the week's roster" in wrong.stderr
    # feedback: after grading, to the students who handed in
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "00200.csv").write_text(invoke(runner, "key", week_dir, "--format", "csv", "--student", "00200").stdout)
    assert invoke(runner, "grade", week_dir, subs, "--out", tmp_path / "out").exit_code == 0
    feedback = invoke(runner, "mail", "feedback", tmp_path / "out", "--week", week_dir, "--config", course, "--user", "ta",
                      "--send")
    assert feedback.exit_code == 0, feedback.output
    assert "00200 <kurt@example.edu>: sent (00200.html;" in feedback.stdout and "5 handed in nothing" in feedback.stdout
    assert "sent 1 of 1 message" in feedback.stdout


def test_starttls_checks_the_servers_certificate_and_logs_in_over_it(week_dir, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=tls, require_starttls=True,
                            authenticator=login, auth_required=True)
    controller.start()
    try:
        week = read_week(week_dir)
        over_tls = MailSettings("ta@example.edu", f"localhost:{controller.port}", user="ta", security="starttls", rate=FAST)
        with pytest.raises(MailError, match="certificate verify failed"):  # a certificate no one vouches for
            deliver(sheet_messages(week_dir, week), week_dir, over_tls, send=True, password=PASSWORD)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client's trusted certificates: this one
        report = deliver(sheet_messages(week_dir, week), week_dir, over_tls, send=True, password=PASSWORD)
    finally:
        controller.stop()
    assert sorted(received(inbox)) == ["ada@example.edu", "alan@example.edu", "kurt@example.edu"]
    assert "sent 3 of 5 messages" in report.summary()


def test_what_grades_csv_guards_against_spreadsheets_reads_back_as_written():
    from grader.lms import neutralize, neutralized_text

    for text in ("=1+1", "-0.5", "@ada", "+x", "'quoted", "plain", ""):
        assert neutralized_text(neutralize(text)) == text
