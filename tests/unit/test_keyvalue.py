"""KEY=VALUE, read one way for the CLI's -e, the run form and key=value files."""

from __future__ import annotations

import pytest

from actions.keyvalue import PairError, key_value_lines, pair, pairs


@pytest.mark.parametrize(("word", "want"), [
    ("db=gitea", ("db", "gitea")),
    (" db =gitea", ("db", "gitea")),  # spaces around the key go
    ("db= gitea ", ("db", " gitea ")),  # the value is kept as given
    ("db=", ("db", "")),  # an empty value is a value
    ("url=a=b=c", ("url", "a=b=c")),  # split at the first =
    ('msg="two words"', ("msg", "two words")),  # one pair of matching quotes goes, as with ansible-playbook -e
    ("msg='it'", ("msg", "it")),
    ("msg='a\"", ("msg", "'a\"")),  # quotes that do not match stay
    ('msg=""', ("msg", "")),
    ('msg="', ("msg", '"')),
    ("a=1 2", ("a", "1 2")),
])
def test_pair(word: str, want: tuple[str, str]) -> None:
    assert pair(word) == want


@pytest.mark.parametrize(("word", "says"), [
    ("gitea", "expected KEY=VALUE"),  # no =
    ("", "expected KEY=VALUE"),
    ("=gitea", "expected KEY=VALUE"),  # no key
    ("  =gitea", "expected KEY=VALUE"),
    ("my-db=gitea", "'my-db' is not a variable name"),
    ("a b=1", "'a b' is not a variable name"),
])
def test_not_a_pair_is_one_readable_error(word: str, says: str) -> None:
    with pytest.raises(PairError) as caught:
        pair(word)
    assert says in str(caught.value) and repr(word) in str(caught.value)


def test_pairs_reads_shell_words() -> None:
    assert pairs("") == ()
    assert pairs("  a=1   b=2 ") == (("a", "1"), ("b", "2"))
    assert pairs("msg=\"two words\" path='/x y' empty=") == (("msg", "two words"), ("path", "/x y"), ("empty", ""))
    assert pairs("k=a=b") == (("k", "a=b"),)
    with pytest.raises(PairError, match="expected KEY=VALUE"):
        pairs("a=1 stray")
    with pytest.raises(PairError, match="No closing quotation"):
        pairs('msg="open')


def test_key_value_lines_keep_values_exactly() -> None:
    text = "result=failed\nerror=wrong password (check 'x'=y)\n\nno equals here\nempty=\nresult=ok\n"
    assert key_value_lines(text) == {"result": "ok", "error": "wrong password (check 'x'=y)", "empty": ""}
    assert key_value_lines("") == {}
