"""The CLI through its entry point, with the real local embedder and chromadb on disk."""

import json
from pathlib import Path

import pytest

from assistant.api import samples_dir
from assistant.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("ingest", "docs", "demo", "libraries"):
        assert command in out


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 2 and "usage" in out


def test_ingest_list_show_rm(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(
        "Heating cut in Kyiv\n\nResidents of 1,000 buildings lost heating. Repairs continue.",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "ingest", str(story), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["counts"]["added"] == 1
    article_id = report["items"][0]["article_id"]

    code, out, _ = run(capsys, "docs", "list", "--json")
    assert code == 0 and json.loads(out)[0]["title"] == "Heating cut in Kyiv"

    code, out, _ = run(capsys, "docs", "show", article_id[:6], "--chunks")
    assert code == 0 and "Residents of 1,000 buildings" in out and "chunk 0" in out

    code, out, _ = run(capsys, "ingest", str(story))
    assert code == 0 and "1 unchanged" in out

    code, out, _ = run(capsys, "docs", "rm", article_id)
    assert code == 0 and "removed" in out
    code, out, _ = run(capsys, "docs", "list", "--json")
    assert json.loads(out) == []


def test_failures_give_reasons_and_a_nonzero_exit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "good.txt"
    good.write_text("A real article sentence. Another one follows.", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, out, err = run(capsys, "ingest", str(good), str(empty), str(tmp_path / "nope.pdf"))
    assert code == 1
    assert "empty file" in out and "nope.pdf" in out and "FAILED" in out
    assert "Traceback" not in out + err


def test_user_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "docs", "show", "abcdef", "--library", "missing-lib")
    assert code == 1 and err.startswith("error: library 'missing-lib' does not exist")
    code, _, err = run(capsys, "docs", "list", "--library", "bad name!")
    assert code == 1 and "not valid" in err


def test_bad_setting_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNK_TOKENS", "lots")
    code, _, err = run(capsys, "docs", "list")
    assert code == 1 and "chunk_tokens" in err and "Traceback" not in err


def test_demo_ingests_the_samples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "4 added" in out and "Russia launches" in out
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "4 unchanged" in out


def test_ask_leads_with_the_short_answer_and_shows_the_confidence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    assert main(["ingest", str(samples_dir())]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "ask", "How many missiles did Russia launch?")
    text = " ".join(out.split())
    assert code == 0
    assert text.startswith('71 missiles — "Russia attacked with 71 missiles, as well as 450 drones')
    assert "confidence" in text


def test_stories_and_brief(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from test_briefing import FINAL, QUAKE_ONE, QUAKE_TWO

    monkeypatch.setenv("ASSISTANT_PLUGINS", "hash_plugin")  # fast, for the plumbing
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash")
    pages = tmp_path / "pages.jsonl"
    pages.write_text("\n".join(json.dumps(p) for p in (QUAKE_ONE, QUAKE_TWO, FINAL)) + "\n")
    assert run(capsys, "ingest", str(pages), "--quiet")[0] == 0

    code, out, _ = run(capsys, "stories", "--json")
    [quake] = json.loads(out)
    assert code == 0 and quake["outlets"] == ["one.example", "two.example"]
    code, out, _ = run(capsys, "stories", "--all", "--json")
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = run(capsys, "stories")
    assert code == 0 and quake["id"] in out and "1 single-article stories" in out

    code, out, _ = run(capsys, "brief", "--story", quake["id"])
    assert code == 0 and out.startswith("## Earthquake shakes Valparaiso")
    assert "What happened: " in out and "Who said what:" in out
    assert "Sources differ: 12 people [1] vs 21 people [2]" in out
    assert "[1] Earthquake shakes Valparaiso" in out and "https://two.example/" in out
    code, out, _ = run(capsys, "brief", "--limit", "2", "--json")
    briefing = json.loads(out)
    assert code == 0 and len(briefing["stories"]) == 2 and briefing["engine"] == "extractive"

    code, _, err = run(capsys, "brief", "--since", "2030-01-01")
    assert code == 1 and err.startswith("error: no article") and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["brief", "--since", "soon"])
    assert "is not a date like 2026-02-01" in capsys.readouterr().err
