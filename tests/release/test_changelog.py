from __future__ import annotations

import pytest

from leadforge.release.changelog import CHANGELOG_HEADER, entry_tags, upsert_entry


def test_a_new_file_gets_the_header_and_the_entry() -> None:
    text = upsert_entry(None, "v1.0.0", "## v1.0.0\n\n- one\n")
    assert text.startswith(CHANGELOG_HEADER.rstrip("\n")) and entry_tags(text) == ["v1.0.0"]


def test_newer_tags_go_on_top_and_reruns_replace_in_place() -> None:
    text = upsert_entry(None, "v1.0.0", "## v1.0.0\n- one")
    text = upsert_entry(text, "v1.1.0", "## v1.1.0\n- two")
    assert entry_tags(text) == ["v1.1.0", "v1.0.0"]
    again = upsert_entry(text, "v1.0.0", "## v1.0.0\n- one, reworded")
    assert entry_tags(again) == ["v1.1.0", "v1.0.0"] and "- one, reworded" in again and "- one\n" not in again
    assert upsert_entry(again, "v1.0.0", "## v1.0.0\n- one, reworded") == again


def test_hand_written_history_and_header_are_kept() -> None:
    old = "# Changes\n\nIntro.\n\n## 0.9 (2025)\n\n- by hand\n"
    text = upsert_entry(old, "v1.0.0", "## v1.0.0\n- new")
    assert text.startswith("# Changes\n\nIntro.\n\n<!-- leadforge:release:v1.0.0 -->")
    assert text.endswith("## 0.9 (2025)\n\n- by hand\n")


def test_a_file_without_sections_gets_the_entry_appended() -> None:
    assert upsert_entry("# Log\n", "v1.0.0", "x").startswith("# Log\n\n<!-- leadforge:release:v1.0.0 -->\nx\n")


@pytest.mark.parametrize("tag", ["", "v1 0", " v1"])
def test_tags_with_spaces_are_refused(tag: str) -> None:
    with pytest.raises(ValueError, match=f"invalid tag '{tag}'"):
        upsert_entry(None, tag, "x")
