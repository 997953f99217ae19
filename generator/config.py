"""The course config file (TOML): the one reader for what ``generate`` and ``grade`` take from it.

One file may serve both commands: ``generate``'s keys at the top (the flags' names with
underscores, ``from`` for ``--from``), the grading policy in tables — ``[tolerance]``,
``[points]``, ``[late]``, ``[lms]`` and the key ``timezone`` at the top or inside ``[grade]``. :func:`parse_config` is pure (TOML
text in, a :class:`CourseConfig` out); :func:`read_config` reads the file. An unknown key or
table, or a value of the wrong type, is refused naming the file and the key, so a misspelling
never passes silently. ``generate``'s values are checked here; the grading tables' contents by
the grader (``grader.judge.grade_config``). Paths (``roster``, ``from``) are relative to the
config file's folder.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .errors import ConfigError, read_text
from .sampler import HIDDEN_CHOICES, OUTPUT_CHOICES
from .steps import FAMILIES


def parse_layers(value: Any, where: str = "--layers") -> tuple[int, ...]:
    """``"2,2,2"`` or ``[2, 2, 2]`` → ``(2, 2, 2)``: input, hidden…, output sizes, each ≥ 1."""
    items = value.split(",") if isinstance(value, str) else value
    try:
        if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
            raise ValueError
        sizes = []
        for v in items:
            if isinstance(v, bool) or isinstance(v, float):
                raise ValueError
            sizes.append(int(v.strip()) if isinstance(v, str) else int(v))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected layer sizes like 2,2,2, got {value!r}") from None
    if len(sizes) < 2:
        raise ConfigError(f"{where}: give at least an input and an output size, got {value!r}")
    if any(n < 1 for n in sizes):
        raise ConfigError(f"{where}: every layer size must be at least 1, got {value!r}")
    return tuple(sizes)


def parse_asked(value: Any, where: str = "asked") -> tuple[str, ...]:
    """A list of quantity families (net, a, X, loss, dL_da, delta, dL_dW, W_new, dL_dX)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items or not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{where}: expected a list of quantity families like [\"net\", \"a\", \"delta\"]")
    names = tuple(dict.fromkeys(v.strip() for v in items))
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ConfigError(f"{where}: unknown quantity family {unknown[0]!r} (use {', '.join(FAMILIES)})")
    return names


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f"{where}: expected text, got {value!r}")
    return str(value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _positive(value: Any, where: str) -> float:
    if _number(value, where) <= 0:
        raise ConfigError(f"{where}: must be > 0, got {value!r}")
    return float(value)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected a whole number ≥ 1, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def read(value: Any, where: str) -> str:
        if value not in choices:
            raise ConfigError(f"{where}: unknown value {value!r} (use {', '.join(choices)})")
        return value

    return read


# key → how to read its value (the message prefix is "FILE: key")
KEYS: dict[str, Callable[[Any, str], Any]] = {
    "layers": parse_layers,
    "hidden_activation": _choice(HIDDEN_CHOICES),
    "output": _choice(OUTPUT_CHOICES),
    "learning_rate": _positive,
    "problems": _count,
    "seed": _text,
    "title": _text,
    "asked": parse_asked,
    "roster": _text,
    "id_column": _text,
    "name_column": _text,
    "from": _text,
    "xlsx": _bool,
}
PATH_KEYS = ("roster", "from")
GRADE_TABLE = "grade"  # the grading policy, beside generate's keys in the same file
GRADE_TABLES = ("tolerance", "points", "late", "lms")  # what the grading policy holds (at the top or inside [grade])
GRADE_KEYS = ("timezone",)  # plain keys of the grading policy beside those tables (the course's time zone)
MAIL_TABLE = "mail"  # e-mail settings: kept in ``raw``, checked by ``bpdrill mail`` (grader.mail.parse_mail_table)


@dataclass(frozen=True)
class CourseConfig:
    """A course config file as read: generate's options (checked) and the grading tables (by name)."""

    source: str = "config"
    generate: Mapping[str, Any] = field(default_factory=dict)
    grade: Mapping[str, Any] = field(default_factory=dict)  # table name → table; ``timezone`` → its name
    raw: Mapping[str, Any] = field(default_factory=dict)  # the whole file, as read
    sha256: str = ""  # of the file's text


def _grade_tables(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    section = data.get(GRADE_TABLE)
    tables: dict[str, Any] = {}
    places = [("", {k: v for k, v in data.items() if k in GRADE_TABLES + GRADE_KEYS})]
    if section is not None:
        places.append((f"{GRADE_TABLE}.", section))
    for prefix, place in places:
        for key, value in place.items():
            if key in GRADE_KEYS:  # checked by the grader (grader.judge.grade_config)
                if key in tables:
                    raise ConfigError(f"{source}: {key} is given both at the top and inside [grade]; give it once")
                tables[key] = value
                continue
            if key not in GRADE_TABLES:
                known = ", ".join([f"[{prefix}{t}]" for t in GRADE_TABLES] + [f"{prefix}{k}" for k in GRADE_KEYS])
                what = f"table [{prefix}{key}]" if isinstance(value, Mapping) else f"key {prefix}{key}"
                raise ConfigError(f"{source}: unknown {what} (known: {known})")
            if key in tables:
                raise ConfigError(f"{source}: [{key}] is given both at the top and inside [grade]; give it once")
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: {prefix}{key} must be a table ([{prefix}{key}])")
            tables[key] = MappingProxyType(dict(value))
    return tables


def parse_config(text: str, source: str = "config", base: Path | None = None) -> CourseConfig:
    """A course config's ``text``: generate's options (paths made relative to ``base``, the file's
    folder) and the grading tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == GRADE_TABLE and isinstance(value, dict) or key in GRADE_TABLES + GRADE_KEYS:
            continue  # the grading policy: read below, its contents checked by the grader
        if key == MAIL_TABLE and isinstance(value, dict):
            continue  # e-mail settings: ``bpdrill mail`` reads (and checks) them
        if key not in KEYS:
            hint = " ([grade] is a table: the grading policy)" if key == GRADE_TABLE else ""
            known = ", ".join([*KEYS, *GRADE_KEYS, *(f"[{t}]" for t in (GRADE_TABLE, *GRADE_TABLES, MAIL_TABLE))])
            raise ConfigError(f"{source}: unknown key {key!r}{hint} (known keys: {known})")
        out[key] = KEYS[key](value, f"{source}: {key}")
    for key in PATH_KEYS:
        if key in out and base is not None:
            out[key] = str(base / out[key])
    return CourseConfig(source, MappingProxyType(out), MappingProxyType(_grade_tables(data, source)),
                        MappingProxyType(data), hashlib.sha256(text.encode("utf-8")).hexdigest())


def read_config(path: Path | None) -> CourseConfig:
    """The config file at ``path`` (an empty config without one)."""
    if path is None:
        return CourseConfig()
    return parse_config(read_text(Path(path), ConfigError), str(path), Path(path).parent)


def merge(config: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    """Flags that were given (not None) override the config's values."""
    return {**config, **{k: v for k, v in flags.items() if v is not None}}
