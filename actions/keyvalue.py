"""``KEY=VALUE``, read the one way: extra variables from the CLI's ``-e`` and the run form, and the
``key=value`` lines that status files and ``systemctl show`` print.
"""

from __future__ import annotations

import shlex


class PairError(ValueError):
    """A word that is not ``KEY=VALUE``; the message names the word and says what was expected."""


def pair(word: str) -> tuple[str, str]:
    """``KEY=VALUE`` -> ``(KEY, VALUE)``, split at the first ``=`` (so a value may hold more).

    Spaces around the key go; the key must then be a variable name. The value is kept as given but for one
    pair of matching quotes around all of it, which ``ansible-playbook -e`` removes too. An empty value is a
    value (``KEY=``).
    """
    key, sep, value = word.partition("=")
    key = key.strip()
    if not sep or not key:
        raise PairError(f"{word!r}: expected KEY=VALUE")
    if not key.isidentifier():
        raise PairError(f"{word!r}: {key!r} is not a variable name (letters, digits and _)")
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return key, value


def pairs(text: str) -> tuple[tuple[str, str], ...]:
    """A line of ``KEY=VALUE`` words, quoted as in a shell (``a=1 msg="two words"``), in order."""
    try:
        words = shlex.split(text)
    except ValueError as exc:  # an unclosed quote
        raise PairError(f"{text!r}: {exc}") from None
    return tuple(pair(word) for word in words)


def key_value_lines(text: str) -> dict[str, str]:
    """One ``key=value`` a line, as a status file or ``systemctl show`` prints them; lines without ``=`` are
    not fields and are passed over, and values are kept exactly (spaces, quotes and all)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out
