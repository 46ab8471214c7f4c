"""What the tests of a user's command-line mistakes share: a small valid story, and the check
that a mistake printed exactly one line and no traceback."""

from __future__ import annotations

GOOD = "title: T\ngeneration: {engine: draft}\npage: {size: [80, 100], dpi: 40}\nscenes: [{panels: [{action: a}]}]\n"


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()
