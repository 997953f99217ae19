"""The week by e-mail: each student's sheet (PDF and HTML form) and blank answer template, or, after
grading, their feedback page and score line.

- Which message each student gets: :func:`sheet_messages` (a week's folder) and
  :func:`feedback_messages` (a grading run's OUTDIR), the text from a jinja2 template the
  instructor may replace (``templates/mail-sheets.txt``, ``mail-feedback.txt``; a first line
  ``Subject: …`` is the subject), the address from the roster's e-mail column
  (:func:`generator.roster.choose_email_column`).
- :func:`deliver`: a dry run (the default) writes one ``.eml`` per student into
  ``FOLDER/mail/outbox/``; ``send`` sends them with the standard library's SMTP client, at most
  ``rate`` a minute, and appends each message sent to ``FOLDER/mail/sent.jsonl`` (id, address, hash
  of the attachments, time). A re-run sends only what is not sent yet or changed since
  (:func:`pending`); ``resend`` ids are sent again. A failure (a bad address, a refused
  recipient, a lost connection) is one line and costs no one else their message.
- :func:`parse_mail_table`: the ``[mail]`` table of the course config (``smtp``, ``sender``,
  ``user``, ``security``, ``rate``, ``template``).

Nothing here prints: the results come back as a :class:`MailReport`. The SMTP password is an
argument or a callback (the command takes it from ``BPDRILL_SMTP_PASSWORD`` or asks); it is never
written anywhere, and no message here contains it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import mimetypes
import os
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from jinja2 import Environment, StrictUndefined, TemplateError

from generator.errors import MailError
from generator.record import Student, Week
from generator.roster import RosterError, choose_email_column
from templates import TEMPLATES

MAIL_DIR, OUTBOX, SENT_LOG = "mail", "outbox", "sent.jsonl"
SECURITY = ("starttls", "ssl", "none")
PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_RATE = 30.0  # messages per minute
MAIL_KEYS = ("smtp", "sender", "user", "security", "rate", "template")
TIMEOUT = 60  # seconds for one SMTP exchange


# ---------------------------------------------------------------- settings

@dataclass(frozen=True)
class MailSettings:
    sender: str
    smtp: str = "localhost"  # HOST[:PORT]
    user: str | None = None  # log in only when given
    security: str = "starttls"  # starttls | ssl | none (none only to a loopback address)
    rate: float = DEFAULT_RATE  # messages per minute
    template: Path | None = None  # replaces templates/mail-<kind>.txt

    def server(self) -> tuple[str, int]:
        """``HOST[:PORT]`` (``[::1]:2525`` for an IPv6 address) → (host, port)."""
        text = self.smtp.strip()
        host, port = text, ""
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port = rest.removeprefix(":")
        elif text.count(":") == 1:
            host, port = text.split(":")
        if not host or (port and not (port.isdigit() and 0 < int(port) < 65536)):
            raise MailError(f"--smtp: expected HOST or HOST:PORT, got {self.smtp!r}")
        return host, int(port) if port else PORTS[self.security]


def settings(config: Mapping[str, Any], flags: Mapping[str, Any]) -> MailSettings:
    """The settings from the config's ``[mail]`` table (:func:`parse_mail_table`) and the flags
    that were given (not None), flags winning; checked as far as can be without a network."""
    values = {**config, **{k: v for k, v in flags.items() if v is not None}}
    if not values.get("sender"):
        raise MailError("no sender: give --sender ADDRESS (or sender in the config's [mail] table)")
    if address_problem(bare(values["sender"])):
        raise MailError(f"--sender: {values['sender']!r} is not an e-mail address")
    if values.get("security", "starttls") not in SECURITY:
        raise MailError(f"--security: expected one of {', '.join(SECURITY)}, got {values['security']!r}")
    if "rate" in values and not (isinstance(values["rate"], int | float) and values["rate"] > 0):
        raise MailError(f"--rate: expected messages per minute > 0, got {values['rate']!r}")
    known = {k: values[k] for k in MAIL_KEYS if k in values}
    if known.get("template") is not None:
        known["template"] = Path(known["template"])
    result = MailSettings(**known)
    result.server()
    return result


def parse_mail_table(table: Any, where: str = "config", base: Path | None = None) -> dict[str, Any]:
    """The course config's ``[mail]`` table, checked: known keys with values of the right kind (a
    ``template`` path relative to ``base``, the config's folder). A password is refused: it is
    never read from a file."""
    if not isinstance(table, Mapping):
        raise MailError(f"{where}: mail must be a table ([mail])")
    out: dict[str, Any] = {}
    for key, value in table.items():
        at = f"{where}: mail.{key}"
        if key == "password":
            raise MailError(f"{at}: a password is never read from a file; set BPDRILL_SMTP_PASSWORD or type it when asked")
        if key not in MAIL_KEYS:
            raise MailError(f"{at}: unknown key (known: {', '.join(MAIL_KEYS)})")
        if key == "rate":
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise MailError(f"{at}: expected messages per minute > 0, got {value!r}")
        elif key == "security" and value not in SECURITY:
            raise MailError(f"{at}: expected one of {', '.join(SECURITY)}, got {value!r}")
        elif not isinstance(value, str) or not value.strip():
            raise MailError(f"{at}: expected text, got {value!r}")
        out[key] = str(base / value) if key == "template" and base is not None else value
    return out


def read_mail_config(path: Path) -> dict[str, Any]:
    """The ``[mail]`` table of a course config file, checked ({} when it has none); the file is read
    by the one config reader (:func:`generator.config.read_config`), which checks the rest."""
    from generator.config import read_config

    course = read_config(Path(path))
    return parse_mail_table(course.raw["mail"], course.source, Path(path).parent) if "mail" in course.raw else {}


def bare(address: str) -> str:
    """The address alone, of ``Name <address>`` or of a bare address."""
    return parseaddr(address)[1] or address.strip()


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot be sent to, or None."""
    if not address.strip():
        return "no e-mail address"
    try:
        parsed = Address(addr_spec=address.strip())
    except (ValueError, TypeError, IndexError, HeaderParseError) as e:
        return f"{address!r} is not an e-mail address ({e})"
    return None if parsed.domain and parsed.username else f"{address!r} is not an e-mail address"


# ---------------------------------------------------------------- which message each student gets

@dataclass(frozen=True)
class Outgoing:
    """One student's message, before it is built or sent."""
    student_id: str
    name: str
    address: str  # "" when the roster has none for the student
    file: str  # the student's file stem: the outbox's <file>.eml
    subject: str
    body: str
    attachments: tuple[Path, ...]
    missing: str = ""  # an attachment that is not there: the student's message cannot go

    def digest(self) -> str:
        """The hash of the attachments (names and bytes): what the sent log compares."""
        h = hashlib.sha256()
        for path in self.attachments:
            h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
        return h.hexdigest()


def render_text(template: str, source: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) from a mail template: a first line ``Subject: …`` is the subject."""
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False, trim_blocks=True,
                      lstrip_blocks=True)
    try:
        text = env.from_string(template).render(**context)
    except TemplateError as e:
        raise MailError(f"{source}: {e} (known: {', '.join(sorted(context))})") from None
    first, _, rest = text.partition("\n")
    if first.casefold().startswith("subject:"):
        return first.split(":", 1)[1].strip(), rest.lstrip("\n")
    return str(context.get("course", "")), text


def template_text(kind: str, path: Path | None) -> tuple[str, str]:
    path = path or TEMPLATES / f"mail-{kind}.txt"
    try:
        return path.read_text(encoding="utf-8-sig"), str(path)
    except (OSError, UnicodeDecodeError) as e:
        raise MailError(f"{path}: cannot read the mail template ({getattr(e, 'strerror', None) or e})") from None


def addresses(week: Week, email_column: str | None = None) -> dict[str, str]:
    """Student id → e-mail address from the roster's e-mail column ("" where it is empty)."""
    headers = list(week.roster.get("columns") or dict.fromkeys(c for s in week.students for c in s.columns))
    try:
        column = choose_email_column(headers, [s.columns for s in week.students], email_column, "the week's roster")
    except RosterError as e:
        raise MailError(str(e)) from None
    if column is None:
        raise MailError("the week's roster has no e-mail column (looked for email, Email address, E-Mail-Adresse, …); "
                        f"name one with --email-column (the columns are {', '.join(headers) or 'none'})")
    return {s.id: str(s.columns.get(column, "")).strip() for s in week.students}


def _outgoing(student: Student, address: str, kind: str, template: tuple[str, str], context: Mapping[str, Any],
              attachments: Sequence[Path]) -> Outgoing:
    subject, body = render_text(*template, {**context, "name": student.name, "student_id": student.id})
    missing = next((str(p) for p in attachments if not p.is_file()), "")
    return Outgoing(student.id, student.name, address, student.file, subject, body, tuple(attachments), missing)


def sheet_messages(week_dir: Path, week: Week, *, email_column: str | None = None, template: Path | None = None,
                   deadline: str = "") -> list[Outgoing]:
    """Each student's sheet (``sheets/<file>.pdf`` and the form ``.html``) and blank answer template
    (``answers/<file>.csv``, and ``.xlsx`` when the week has workbooks)."""
    to, text = addresses(week, email_column), template_text("sheets", template)
    out = []
    for s in week.students:
        files = [week_dir / "sheets" / f"{s.file}.pdf", week_dir / "sheets" / f"{s.file}.html",
                 week_dir / "answers" / f"{s.file}.csv"]
        if (week_dir / "answers" / f"{s.file}.xlsx").is_file():
            files.append(week_dir / "answers" / f"{s.file}.xlsx")
        context = {"course": week.title, "deadline": deadline, "variant": s.variant, "sheet": files[0].name,
                   "form": files[1].name, "answers": files[2].name, "files": [p.name for p in files]}
        out.append(_outgoing(s, to[s.id], "sheets", text, context, files))
    return out


def score_line(row: Mapping[str, str]) -> str:
    """What grades.csv says of a student, as a sentence."""
    points, most = row.get("points", ""), row.get("max_points", "")
    status = row.get("status", "")
    if status == "graded":
        return f"Your score: {points} of {most} points ({row.get('percent', '')}%)."
    if status == "missing":
        return f"No submission was found for you: {points} of {most} points."
    return f"Your submission could not be read ({status}): {points} of {most} points."


def feedback_messages(outdir: Path, week: Week, *, email_column: str | None = None, template: Path | None = None,
                      deadline: str = "", include_missing: bool = False) -> tuple[list[Outgoing], list[str]]:
    """Each graded student's feedback page (``feedback/<file>.html`` or ``.pdf``) and score line
    (``grades.csv``); students who handed in nothing only with ``include_missing``. Returns the
    messages and notes (who gets none, and why)."""
    from .lms import neutralized_text
    from .reports import FEEDBACK_DIR, GRADES_FILE, read_table

    rows = read_table(outdir / GRADES_FILE)
    if not rows:
        raise MailError(f"{outdir}: no {GRADES_FILE} (grade the week first: bpdrill grade DIR … --out {outdir})")
    if not (outdir / FEEDBACK_DIR).is_dir():
        raise MailError(f"{outdir / FEEDBACK_DIR}: no feedback pages (graded with --feedback none?); grade again with "
                        f"--feedback html or pdf")
    by_id = {neutralized_text(r.get("student_id", "")): r for r in rows}
    to, text = addresses(week, email_column), template_text("feedback", template)
    out, notes, missing = [], [], []
    for s in week.students:
        row = by_id.get(s.id)
        if row is None:
            notes.append(f"{s.id}: not in {outdir / GRADES_FILE}; no message")
            continue
        if row.get("status") == "missing" and not include_missing:
            missing.append(s.id)
            continue
        page = next((p for p in (outdir / FEEDBACK_DIR / f"{s.file}{ext}" for ext in (".html", ".pdf")) if p.is_file()),
                    outdir / FEEDBACK_DIR / f"{s.file}.html")
        context = {"course": week.title, "deadline": deadline, "score": score_line(row),
                   "message": neutralized_text(row.get("message", "")), "feedback": page.name, "files": [page.name]}
        out.append(_outgoing(s, to[s.id], "feedback", text, context, [page]))
    if missing:
        notes.append(f"{len(missing)} handed in nothing and get no message (--include-missing sends them theirs): "
                     + ", ".join(missing))
    return out, notes


# ---------------------------------------------------------------- the sent log

def read_sent(path: Path) -> dict[str, dict[str, Any]]:
    """Student id → the latest record of a message sent to them (a line cut short is skipped)."""
    sent: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return sent
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            sent[record["id"]] = record
    return sent


def pending(messages: Iterable[Outgoing], sent: Mapping[str, Mapping[str, Any]], resend: Iterable[str] = ()
            ) -> tuple[list[tuple[Outgoing, str]], list[Outgoing]]:
    """(the messages to send, with their hash; those already sent to the same address with the
    same attachments): a message goes again when its attachments or address changed, or its
    student is in ``resend``."""
    again = set(resend)
    todo, done = [], []
    for m in messages:
        digest = "" if m.missing else m.digest()
        last = sent.get(m.student_id)
        if m.student_id in again or last is None or last.get("address") != m.address or last.get("hash") != digest:
            todo.append((m, digest))
        else:
            done.append(m)
    return todo, done


# ---------------------------------------------------------------- building and sending

def build(message: Outgoing, sender: str) -> EmailMessage:
    """The message as e-mail: From, To (name and address), Subject, Date, the text, the attachments."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = Address(display_name=message.name, addr_spec=message.address)
    msg["Subject"] = message.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=bare(sender).rpartition("@")[2] or None)
    msg.set_content(message.body)
    for path in message.attachments:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        params = {"charset": "utf-8"} if maintype == "text" else {}  # bpdrill writes its text files in UTF-8
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name, params=params)
    return msg


@dataclass(frozen=True)
class Line:
    """One student's outcome: ``what`` is sent, would send, failed, up to date or no address."""
    student_id: str
    address: str
    what: str
    detail: str = ""

    def __str__(self) -> str:
        to = f" <{self.address}>" if self.address else ""
        return f"{self.student_id}{to}: {self.what}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class MailReport:
    dry_run: bool
    folder: Path  # FOLDER/mail
    delivered: tuple[Line, ...] = ()  # sent, or (dry run) written to the outbox
    failed: tuple[Line, ...] = ()
    skipped: tuple[Line, ...] = ()  # up to date, no address
    notes: tuple[str, ...] = ()
    size: int = 0  # bytes of the messages delivered

    def lines(self) -> list[str]:
        """One line per message delivered or failed, then the notes."""
        return [str(x) for x in self.delivered + self.failed] + list(self.notes)

    def summary(self) -> str:
        up = sum(x.what == "up to date" for x in self.skipped)
        none = len(self.skipped) - up
        parts = []
        if self.dry_run:
            parts.append(f"dry run: {_count(len(self.delivered), 'message')} ({_size(self.size)}) written to "
                         f"{self.folder / OUTBOX}; nothing sent (--send sends them)")
        else:
            parts.append(f"sent {len(self.delivered)} of {_count(len(self.delivered) + len(self.failed), 'message')} "
                         f"({_size(self.size)})")
        if self.failed:
            parts.append(f"{len(self.failed)} failed (listed above)")
        if up:
            parts.append(f"{up} already sent and unchanged (--resend ID sends again)")
        if none:
            parts.append(f"{_count(none, 'student')} without an e-mail address")
        return "; ".join(parts)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def loopback(host: str) -> bool:
    """Every address ``host`` stands for is a loopback address (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


class _Connection:
    """One SMTP session at a time, opened when needed and again after it was lost."""

    def __init__(self, settings: MailSettings, password: str | Callable[[], str] | None):
        self.settings, self.password, self.smtp = settings, password, None

    def open(self) -> smtplib.SMTP:
        if self.smtp is not None:
            return self.smtp
        s = self.settings
        host, port = s.server()
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
        except (OSError, smtplib.SMTPException) as e:
            raise MailError(f"cannot connect to {host}:{port} ({s.security}): {_reason(e)}") from None
        if s.user:
            if callable(self.password):
                self.password = self.password()
            try:
                smtp.login(s.user, self.password or "")
            except (OSError, smtplib.SMTPException) as e:
                smtp.close()
                raise MailError(f"{host}:{port} refused the login of {s.user!r}: {_reason(e)}") from None
        self.smtp = smtp
        return smtp

    def lost(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.lost()


def _reason(e: BaseException) -> str:
    """An SMTP error as the server said it (code and text), else the exception's own words."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(e.recipients.values()))
        return f"refused by the server: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    if isinstance(e, smtplib.SMTPResponseException):
        text = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
        return f"{e.smtp_code} {text}"
    return str(e) or type(e).__name__


def _log(path: Path, message: Outgoing, digest: str) -> None:
    """Append one message sent to the log, on disk before the next is sent."""
    record = {"id": message.student_id, "address": message.address, "hash": digest,
              "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def deliver(messages: Sequence[Outgoing], folder: Path, settings: MailSettings, *, send: bool = False,
            resend: Iterable[str] = (), password: str | Callable[[], str] | None = None,
            notes: Sequence[str] = ()) -> MailReport:
    """A dry run (one ``.eml`` per message to send into ``folder/mail/outbox/``, the earlier preview
    replaced) or, with ``send``, the messages sent (see the module doc). ``folder``: the week's
    folder or the grading run's OUTDIR. MailError when nothing can be sent at all (no connection,
    the login refused, ``security = none`` to another machine)."""
    mail = Path(folder) / MAIL_DIR
    todo, done = pending(messages, read_sent(mail / SENT_LOG), resend)
    skipped = [Line(m.student_id, m.address, "up to date") for m in done]
    failed: list[Line] = []
    ready: list[tuple[Outgoing, str]] = []
    for m, digest in todo:
        problem = address_problem(m.address) if m.address else None
        if not m.address:
            skipped.append(Line(m.student_id, "", "no address", "the roster's e-mail column is empty"))
        elif problem or m.missing:
            failed.append(Line(m.student_id, m.address, "failed", problem or f"{m.missing} is missing"))
        else:
            ready.append((m, digest))
    report = MailReport(not send, mail, failed=tuple(failed), skipped=tuple(skipped), notes=tuple(notes))
    if send:
        host = settings.server()[0]
        if settings.security == "none" and not loopback(host):
            raise MailError(f"--security none sends in the clear: only to a loopback address (localhost), not {host}")
        return _send(ready, mail, settings, password, report)
    outbox = mail / OUTBOX
    outbox.mkdir(parents=True, exist_ok=True)
    for old in outbox.glob("*.eml"):
        old.unlink()
    lines, size = [], 0
    for m, _ in ready:
        data = bytes(build(m, settings.sender))
        (outbox / f"{m.file}.eml").write_bytes(data)
        size += len(data)
        lines.append(Line(m.student_id, m.address, "would send", _what(m, len(data))))
    return replace(report, delivered=tuple(lines), size=size)


def _what(m: Outgoing, size: int) -> str:
    return f"{', '.join(p.name for p in m.attachments)}; {_size(size)}"


def _send(ready: list[tuple[Outgoing, str]], mail: Path, settings: MailSettings,
          password: str | Callable[[], str] | None, report: MailReport) -> MailReport:
    mail.mkdir(parents=True, exist_ok=True)
    connection = _Connection(settings, password)
    delivered, failed, size = [], list(report.failed), 0
    gap, last = 60.0 / settings.rate, None
    try:
        if ready:
            connection.open()  # a server that cannot be reached, or refuses the login, stops the run here
        for m, digest in ready:
            if last is not None:
                time.sleep(max(0.0, last + gap - time.monotonic()))
            last = time.monotonic()
            msg = build(m, settings.sender)
            data = bytes(msg)
            try:
                connection.open().send_message(msg, from_addr=bare(settings.sender), to_addrs=[m.address])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
                failed.append(Line(m.student_id, m.address, "failed", _reason(e)))
                if connection.smtp is not None and connection.smtp.sock is None:  # 421: the server closed it
                    connection.lost()
                continue
            except (OSError, smtplib.SMTPException, MailError) as e:  # the connection was lost: open it again for the next
                connection.lost()
                failed.append(Line(m.student_id, m.address, "failed", f"connection lost: {_reason(e)}"))
                continue
            _log(mail / SENT_LOG, m, digest)
            size += len(data)
            delivered.append(Line(m.student_id, m.address, "sent", _what(m, len(data))))
    finally:
        connection.close()
    return replace(report, delivered=tuple(delivered), failed=tuple(failed), size=size)




def mail_week(kind: str, folder: Path, *, week_dir: Path | None = None, send: bool = False,
              config: Path | None = None, flags: Mapping[str, Any] | None = None, email_column: str | None = None,
              deadline: str = "", resend: Iterable[str] = (), include_missing: bool = False,
              password: str | Callable[[], str] | None = None) -> MailReport:
    """The whole of ``bpdrill mail sheets DIR`` (``kind`` "sheets", ``folder`` the week's folder) or
    ``bpdrill mail feedback OUTDIR`` ("feedback", ``folder`` the grading run's, ``week_dir`` its
    week): the settings (the config's ``[mail]`` table, then the ``flags`` given), the messages,
    then :func:`deliver`."""
    from generator.record import read_week

    folder = Path(folder)
    mail_settings = settings(read_mail_config(config) if config is not None else {}, flags or {})
    if kind == "sheets":
        week = read_week(folder)
        messages, notes = sheet_messages(folder, week, email_column=email_column, template=mail_settings.template,
                                         deadline=deadline), []
    else:
        week = read_week(Path(week_dir or folder))
        messages, notes = feedback_messages(folder, week, email_column=email_column, template=mail_settings.template,
                                            deadline=deadline, include_missing=include_missing)
    ids = [part.strip() for value in resend for part in value.split(",") if part.strip()]
    unknown = [i for i in ids if i not in {s.id for s in week.students}]
    if unknown:
        raise MailError(f"--resend: {unknown[0]!r} is not on the week's roster")
    return deliver(messages, folder, mail_settings, send=send, resend=ids, password=password, notes=notes)
