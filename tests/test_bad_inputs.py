"""A corpus of bad inputs, generated here: each gets a clear reason, the rest is ingested."""

import gzip
import io
import json
import os
from pathlib import Path

import pypdf
import pytest

from assistant.api import Assistant
from assistant.models import IngestReport, IngestStatus

GOOD = (
    "Flood defences held in the river town overnight.\n\n"
    "Engineers said the new barrier stopped water two metres high. Residents returned home."
)


def blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def build_corpus(root: Path) -> dict[str, str | None]:
    """Write the corpus; map each file name to the reason we expect (None: ingested)."""
    root.mkdir()
    expected: dict[str, str | None] = {}

    def put(name: str, data: bytes | str, reason: str | None) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        expected[name] = reason

    put("empty.txt", b"", "empty file")
    put("whitespace.txt", " \n\t\n   \n", "empty file")
    put("binary.txt", bytes(range(256)) * 40, "binary file")
    put("truncated.txt", gzip.compress(GOOD.encode() * 50)[:300], "binary file")
    put("notes.txt.gz", gzip.compress(GOOD.encode())[:40], "unsupported extension")  # named
    put("invalid-utf8.txt", GOOD.encode() + b" Price \xa3 5 \xff\xfe end.", None)
    put("utf16.txt", ("\ufeff" + GOOD.replace("Flood", "Storm")).encode("utf-16-le"), None)
    put("huge.txt", ("All work and no play. " * 2_300_000), "ASSISTANT_MAX_ARTICLE_CHARS")
    put(
        "scripts.html",
        "<html><head><script>var a = 1;</script></head>"
        "<body><script>alert(1)</script></body></html>",
        "no article text",
    )
    lines = [
        json.dumps({"title": f"Item {i}", "text": f"Item {i} happened today. " + GOOD})
        for i in range(3)
    ]
    lines.insert(1, '{"title": "broken", "text": ')
    put("feed.jsonl", "\n".join(lines), "line 2")
    put("scanned.pdf", blank_pdf(), "no text layer")
    put("dir with spaces/ünïcödé name.txt", GOOD.replace("river", "mountain"), None)
    put("good.txt", GOOD, None)
    loop = root / "loop"
    loop.mkdir()
    os.symlink(root, loop / "back-to-root")
    return expected


def reasons(report: IngestReport, root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in report.failed:
        name = Path(item.source.split("#")[0]).resolve().relative_to(root.resolve()).as_posix()
        out[name] = item.reason or ""
    return out


def test_every_bad_input_has_a_reason_and_the_rest_is_ingested(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    root = tmp_path / "corpus"
    expected = build_corpus(root)
    report = fake_assistant.ingest(root, root / "notes.txt.gz", root / "missing.txt")
    failed = reasons(report, root)
    for name, reason in expected.items():
        if reason is None:
            assert name not in failed, f"{name} should be ingested: {failed.get(name)}"
        else:
            assert reason in failed.get(name, ""), f"{name}: got {failed.get(name)!r}"
    assert failed["missing.txt"] == "no such file or folder"
    for reason in failed.values():
        assert reason and "\n" not in reason and "Traceback" not in reason

    titles = {a.title for a in fake_assistant.articles()}
    assert {"Item 0", "Item 1", "Item 2"} <= titles
    texts = [fake_assistant.article(a.id).text for a in fake_assistant.articles()]
    assert any("£ 5" in t for t in texts)  # invalid UTF-8 decoded as cp1252
    assert any(t.startswith("Storm defences") for t in texts)  # UTF-16 with BOM
    assert any("mountain" in t for t in texts)  # spaces and non-ASCII in the path


def test_failures_leave_the_library_unchanged(fake_assistant: Assistant, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    fake_assistant.ingest(good)
    library = fake_assistant.library()
    before = (library.stats(), library.store.ids(), library.catalog.generation(library.name))
    root = tmp_path / "bad"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (root / "scan.pdf").write_bytes(blank_pdf())
    report = fake_assistant.ingest(root)
    assert len(report.failed) == 3 and report.count(IngestStatus.ADDED) == 0
    after = (library.stats(), library.store.ids(), library.catalog.generation(library.name))
    assert after == before


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("ünïcödé.md", id="non-ascii"),
        pytest.param("name with spaces.html", id="spaces"),
        pytest.param("UPPER.TXT", id="upper-case-extension"),
    ],
)
def test_odd_file_names(fake_assistant: Assistant, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    body = f"<p>{GOOD}</p>" if name.endswith(".html") else GOOD
    path.write_text(body, encoding="utf-8")
    report = fake_assistant.ingest(path)
    assert report.ok, report.failed
