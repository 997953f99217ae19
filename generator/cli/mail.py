"""``bpdrill mail sheets DIR`` and ``bpdrill mail feedback OUTDIR``: each student's files by e-mail."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Callable

import typer

from ..errors import MailError

HELP = "Send each student their own files by e-mail: their sheet before, their feedback after grading (a dry run unless --send)."
PASSWORD_VARIABLE = "BPDRILL_SMTP_PASSWORD"


class Security(str, Enum):
    starttls = "starttls"
    ssl = "ssl"
    none = "none"


def password_of(user: str) -> Callable[[], str]:
    """The SMTP password, asked for only when the server is logged in to: from BPDRILL_SMTP_PASSWORD, else typed
    (hidden) at the terminal; never from a file or the command line."""
    def ask() -> str:
        if os.environ.get(PASSWORD_VARIABLE):
            return os.environ[PASSWORD_VARIABLE]
        if not sys.stdin.isatty():
            raise MailError(f"--user {user}: no password: set {PASSWORD_VARIABLE} (there is no terminal to ask on)")
        return typer.prompt(f"SMTP password for {user}", hide_input=True)
    return ask


DIR_HELP = {"sheets": "The week's folder (rendered: sheets/ and answers/).",
            "feedback": "The grading run's OUTDIR (grades.csv and feedback/)."}


def _run(kind: str, folder: Path, week: Path | None, send: bool, smtp: str | None, sender: str | None,
         user: str | None, security: Security | None, rate: float | None, template: Path | None, config: Path | None,
         email_column: str | None, deadline: str | None, resend: list[str] | None, include_missing: bool = False) -> None:
    from grader.mail import mail_week  # the grader's modules only for the commands that need them

    flags = {"smtp": smtp, "sender": sender, "user": user, "security": security.value if security else None,
             "rate": rate, "template": template}
    report = mail_week(kind, folder, week_dir=week, send=send, config=config, flags=flags, email_column=email_column,
                       deadline=deadline or "", resend=resend or (), include_missing=include_missing,
                       password=password_of(user or "") if send else None)
    for line in report.lines():
        typer.echo(line)
    typer.echo(report.summary())


SMTP = typer.Option(None, "--smtp", metavar="HOST[:PORT]", help="The SMTP server \\[default: localhost; port 587, 465 with ssl, 25 with none].")
SENDER = typer.Option(None, "--sender", metavar="ADDRESS", help="The From address (or sender in the config's \\[mail] table).")
USER = typer.Option(None, "--user", metavar="NAME", help="Log in as NAME; the password from BPDRILL_SMTP_PASSWORD or asked for.")
SECURITY = typer.Option(None, "--security", metavar="KIND", help="starttls (default), ssl, or none (only to a loopback address).")
RATE = typer.Option(None, "--rate", min=0.001, metavar="PER_MINUTE", help="Messages per minute \\[default: 30].")
TEMPLATE = typer.Option(None, "--template", metavar="FILE", help="A jinja2 text template for the message (first line 'Subject: …').")
CONFIG = typer.Option(None, "--config", metavar="FILE", help="The course config; its \\[mail] table: smtp, sender, user, security, rate, template.")
EMAIL_COLUMN = typer.Option(None, "--email-column", metavar="NAME", help="The roster's e-mail column (default: detected: email, Email address, …).")
DEADLINE = typer.Option(None, "--deadline", metavar="TEXT", help="Said in the message, as written (e.g. 'Friday 1 December, 12:00').")
RESEND = typer.Option(None, "--resend", metavar="ID", help="Send these students' messages again (repeat, or ID,ID).")
SEND = typer.Option(False, "--send", help="Send the messages (default: a dry run writing them into mail/outbox/).")


def sheets_command(
    folder: Path = typer.Argument(..., metavar="DIR", help=DIR_HELP["sheets"]),
    send: bool = SEND, smtp: str = SMTP, sender: str = SENDER, user: str = USER, security: Security = SECURITY,
    rate: float = RATE, template: Path = TEMPLATE, config: Path = CONFIG, email_column: str = EMAIL_COLUMN,
    deadline: str = DEADLINE, resend: list[str] = RESEND,
) -> None:
    """Each student their sheet (PDF and the HTML form) and blank answer template. Never twice: DIR/mail/sent.jsonl."""
    _run("sheets", folder, None, send, smtp, sender, user, security, rate, template, config, email_column, deadline, resend)


def feedback_command(
    folder: Path = typer.Argument(..., metavar="OUTDIR", help=DIR_HELP["feedback"]),
    week: Path = typer.Option(..., "--week", metavar="DIR", help="The week's folder that was graded (its roster has the addresses)."),
    send: bool = SEND, smtp: str = SMTP, sender: str = SENDER, user: str = USER, security: Security = SECURITY,
    rate: float = RATE, template: Path = TEMPLATE, config: Path = CONFIG, email_column: str = EMAIL_COLUMN,
    deadline: str = DEADLINE, resend: list[str] = RESEND,
    include_missing: bool = typer.Option(False, "--include-missing", help="Also the students who handed in nothing."),
) -> None:
    """Each graded student their feedback page and score line. Never twice: OUTDIR/mail/sent.jsonl."""
    _run("feedback", folder, week, send, smtp, sender, user, security, rate, template, config, email_column, deadline,
         resend, include_missing)


COMMANDS = (("sheets", sheets_command), ("feedback", feedback_command))
