"""Every ``*.ok.yaml`` here must load; every ``*.bad.<why>.yaml`` must fail naming its keys.

A bad fixture states what the message must contain in ``# expect: <key>`` lines
(the dotted key, which must appear as a listed problem), optional
``# expect-text: <text>`` lines (text that must appear anywhere in the message) and
``# expect-no-text: <text>`` lines (text that must not: e.g. a contradictory second message).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from k8tre.config import ConfigError, load_file

HERE = Path(__file__).parent
OK = sorted(HERE.glob("*.ok.yaml"))
BAD = sorted(HERE.glob("*.bad.*.yaml"))


def _expectations(path: Path, tag: str) -> list[str]:
    prefix = f"# {tag}: "
    return [line[len(prefix) :].strip() for line in path.read_text().splitlines() if line.startswith(prefix)]


def test_fixtures_exist() -> None:
    assert len(OK) >= 3
    assert len(BAD) >= 10


@pytest.mark.parametrize("path", OK, ids=lambda p: p.name)
def test_ok_fixture_loads(path: Path) -> None:
    config = load_file(path)
    assert config.environment in ("dev", "stg", "prod")


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_fixture_names_each_key_and_the_file(path: Path) -> None:
    keys = _expectations(path, "expect")
    assert keys, f"{path.name} must say which key it expects in a '# expect:' line"
    with pytest.raises(ConfigError) as caught:
        load_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), "the message names the file first"
    listed = [key for key, _ in caught.value.issues]
    for key in keys:
        assert key in listed, f"{key} not among the reported keys {listed}"
    for text in _expectations(path, "expect-text"):
        assert text in message
    for text in _expectations(path, "expect-no-text"):
        assert text not in message, f"{text!r} should not be in:\n{message}"
    assert "Traceback" not in message
