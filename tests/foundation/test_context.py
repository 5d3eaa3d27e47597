from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadforge.context import ActionsIO, Context, format_annotation, format_output, load_event, require
from leadforge.errors import InputError


def test_context_reads_the_actions_environment() -> None:
    ctx = Context.from_env(
        {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_SHA": "abc",
            "GITHUB_REF": "refs/tags/v1.2.3",
            "GITHUB_RUN_ID": "7",
            "GITHUB_TOKEN": "s3cr3t",
            "GITHUB_ACTIONS": "true",
        }
    )
    assert (ctx.event_name, ctx.repository, ctx.sha, ctx.ref_name) == ("push", "o/r", "abc", "v1.2.3")
    assert ctx.in_actions and ctx.run_url == "https://github.com/o/r/actions/runs/7"
    assert "s3cr3t" not in repr(ctx)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "event payload file not found"),
        ("{not json", r"not valid JSON \(line 1"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_event_payloads_are_one_line_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "event.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message) as err:
        load_event(path)
    assert "\n" not in str(err.value)


def test_unset_event_path_says_what_to_set() -> None:
    with pytest.raises(InputError, match="GITHUB_EVENT_PATH is not set"):
        Context().event()


def test_require_names_the_missing_field() -> None:
    with pytest.raises(InputError, match=r"missing field 'pull_request\.head\.sha'"):
        require({"pull_request": {"head": {}}}, "pull_request.head.sha")
    assert require({"a": {"b": 3}}, "a.b") == 3


def test_multiline_output_uses_a_delimiter() -> None:
    assert format_output("n", "v") == "n=v\n"
    assert format_output("n", "a\nb", delimiter="EOF") == "n<<EOF\na\nb\nEOF\n"
    with pytest.raises(ValueError, match="output value contains its delimiter"):
        format_output("n", "a\nEOF", delimiter="EOF")


def test_annotation_escapes_properties_and_data() -> None:
    line = format_annotation("error", "50% bad\nnext", file="a,b.py", line=3, end_line=4, title="x:y")
    assert line == "::error file=a%2Cb.py,line=3,endLine=4,title=x%3Ay::50%25 bad%0Anext"


def test_actions_io_appends_outputs_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ctx = Context(output_path=str(tmp_path / "out"), summary_path=str(tmp_path / "sum"), in_actions=True, token="tok")
    io = ActionsIO(ctx)
    io.set_output("a", "1")
    io.set_output("b", "x\ny")
    io.summary("# Title")
    io.summary("body")
    io.mask(ctx.token)
    io.annotate("warning", "careful", file="f.py", line=2)
    out = (tmp_path / "out").read_text()
    assert out.startswith("a=1\nb<<ghadelimiter_") and "\nx\ny\n" in out
    assert (tmp_path / "sum").read_text() == "# Title\nbody\n"
    assert capsys.readouterr().err.splitlines() == ["::add-mask::tok", "::warning file=f.py,line=2::careful"]


def test_outside_actions_nothing_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    io = ActionsIO(Context())
    io.set_output("a", "1")
    io.summary("x")
    io.annotate("error", "m")
    assert capsys.readouterr().err == ""
    assert list(tmp_path.iterdir()) == []


def test_event_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"action": "opened"}))
    assert Context(event_path=str(path)).event() == {"action": "opened"}


def test_a_binary_event_payload_is_one_clear_error(tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InputError, match="event payload is not UTF-8 text"):
        load_event(payload)
