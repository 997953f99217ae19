"""``generate``'s options: from a TOML config file and from flags, flags winning.

:func:`parse_config` is pure (TOML text in, options dict out); :func:`read_config` reads the
file. Keys are the flags' names with underscores (``from`` for ``--from``); an unknown key
or a value of the wrong type is refused naming the file and the key. Paths (``roster``,
``from``) are relative to the config file's folder.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Callable

from .errors import read_text
from .sampler import HIDDEN_CHOICES, OUTPUT_CHOICES
from .steps import FAMILIES


class ConfigError(ValueError):
    """A config file or option that cannot be used; the message names the file/option and key."""


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
    "from": _text,
    "xlsx": _bool,
}
PATH_KEYS = ("roster", "from")
GRADE_TABLE = "grade"  # the grading policy, beside generate's keys in the same file


def parse_config(text: str, source: str = "config", base: Path | None = None) -> dict[str, Any]:
    """The options in a TOML config's ``text``; paths made relative to ``base`` (the file's folder)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == GRADE_TABLE and isinstance(value, dict):
            continue  # one course file serves both commands: ``bpdrill grade`` reads (and checks) this table
        if key not in KEYS:
            raise ConfigError(f"{source}: unknown key {key!r} (known keys: {', '.join(KEYS)})")
        out[key] = KEYS[key](value, f"{source}: {key}")
    for key in PATH_KEYS:
        if key in out and base is not None:
            out[key] = str(base / out[key])
    return out


def read_config(path: Path) -> dict[str, Any]:
    return parse_config(read_text(path, ConfigError), str(path), path.parent)


def merge(config: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    """Flags that were given (not None) override the config's values."""
    return {**config, **{k: v for k, v in flags.items() if v is not None}}
