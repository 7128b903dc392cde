"""The ingest pipeline through the API: real chromadb and catalog on disk, hash embedder."""

import json
from pathlib import Path

import pytest
from fakes import HashEmbedder

from assistant.api import Assistant, samples_dir
from assistant.config import Settings
from assistant.errors import ConfigError, NotFoundError
from assistant.models import IngestStatus
from assistant.tokens import LazyTokenizer, default_tokenizer

STORY = (
    "Kyiv residents lost heating overnight after a large attack.\n\n"
    "Officials said repairs would take several days. Temperatures fell to minus 19C.\n\n"
    "The city opened warming centres for families."
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def statuses(report) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(item.status.value for item in report.items)


def test_samples_ingest_and_list(fake_assistant: Assistant) -> None:
    report = fake_assistant.ingest_samples()
    assert report.ok, report.failed
    assert report.count(IngestStatus.ADDED) == len(list(samples_dir().iterdir()))
    titles = {a.title for a in fake_assistant.articles()}
    assert "Russia launches year's biggest attack on Ukraine ahead of fresh peace talks" in titles
    seed = next(a for a in fake_assistant.articles() if a.title.startswith("Russia launches"))
    assert seed.credits == ["AFP", "Reuters"]


def test_reingest_unchanged_embeds_nothing(fake_assistant: Assistant, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    write(folder / "a.txt", STORY)
    write(folder / "b.md", "# Other story\n\nMarkets rose on Monday. Oil fell.")
    assert statuses(fake_assistant.ingest(folder)) == ["added", "added"]
    embedder = fake_assistant.embedder
    assert isinstance(embedder, HashEmbedder)
    before = embedder.texts_embedded
    again = fake_assistant.ingest(folder)
    assert statuses(again) == ["unchanged", "unchanged"]
    assert embedder.texts_embedded == before


def test_changed_article_replaces_its_chunks(fake_assistant: Assistant, tmp_path: Path) -> None:
    path = write(tmp_path / "story.txt", STORY)
    first = fake_assistant.ingest(path).items[0]
    old_chunks = fake_assistant.chunks(first.article_id)
    write(path, STORY + "\n\nA fourth paragraph adds new facts about the repairs.")
    second = fake_assistant.ingest(path).items[0]
    assert second.status is IngestStatus.UPDATED
    assert second.article_id == first.article_id
    library = fake_assistant.library()
    ids = library.store.ids()
    assert not {c.id for c in old_chunks} & ids
    assert {c.id for c in fake_assistant.chunks(first.article_id)} == ids
    assert "fourth paragraph" in fake_assistant.article(first.article_id).text


def test_same_text_from_two_sources_is_a_duplicate(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    write(tmp_path / "one.txt", STORY)
    write(tmp_path / "two.txt", STORY)
    report = fake_assistant.ingest(tmp_path / "one.txt", tmp_path / "two.txt")
    assert statuses(report) == ["added", "duplicate"]
    duplicate = next(i for i in report.items if i.status is IngestStatus.DUPLICATE)
    assert "one.txt" in (duplicate.reason or "")
    assert len(fake_assistant.articles()) == 1


def test_bad_sources_are_reported_and_the_rest_ingested(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    for i in range(5):
        write(folder / f"good{i}.txt", f"Story number {i}. " + STORY)
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (folder / "latin1.txt").write_bytes(
        "Prices rose to £5 a loaf. Bakers blamed wheat.".encode("latin-1")
    )
    report = fake_assistant.ingest(folder, tmp_path / "does-not-exist.txt")
    assert report.count(IngestStatus.ADDED) == 6
    failed = {Path(i.source).name: i.reason for i in report.failed}
    assert set(failed) == {"empty.txt", "binary.txt", "does-not-exist.txt"}
    assert all(failed.values())
    latin = next(a for a in fake_assistant.articles() if a.source.endswith("latin1.txt"))
    assert "£5" in fake_assistant.article(latin.id).text
    assert not report.ok and "FAILED" in report.summary()


def test_jsonl_articles_and_a_broken_line(fake_assistant: Assistant, tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "title": "First",
                "text": "Alpha happened today. It was big.",
                "url": "https://x.test/1",
            }
        ),
        "{not json",
        json.dumps({"title": "Second", "content": "Beta happened too. Nobody noticed."}),
    ]
    path = write(tmp_path / "feed.jsonl", "\n".join(lines))
    report = fake_assistant.ingest(path)
    assert report.count(IngestStatus.ADDED) == 2
    assert len(report.failed) == 1 and "2" in (report.failed[0].reason or "")
    assert {a.title for a in fake_assistant.articles()} == {"First", "Second"}


def test_delete_removes_article_and_chunks(fake_assistant: Assistant, tmp_path: Path) -> None:
    item = fake_assistant.ingest(write(tmp_path / "s.txt", STORY)).items[0]
    assert item.article_id
    removed = fake_assistant.delete(item.article_id[:6])
    assert removed.id == item.article_id
    assert fake_assistant.articles() == []
    assert fake_assistant.library().store.count() == 0
    with pytest.raises(NotFoundError):
        fake_assistant.article(item.article_id)


def test_library_records_its_embedder(settings: Settings, tmp_path: Path) -> None:
    Assistant(settings, embedder=HashEmbedder(name="hash-a")).ingest(
        write(tmp_path / "s.txt", STORY)
    )
    with pytest.raises(ConfigError, match="built with embedder 'hash-a'"):
        Assistant(settings, embedder=HashEmbedder(name="hash-b")).ingest(tmp_path / "s.txt")


def test_reconcile_removes_what_a_dead_writer_left_and_nothing_else(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    fake_assistant.ingest(
        write(tmp_path / "s.txt", STORY), write(tmp_path / "t.txt", "Other news. " * 20)
    )
    library = fake_assistant.library()
    stored = library.catalog.all(library.name)
    kept = stored[1].chunk_ids
    # A writer killed after writing its vectors, before its commit: its intents remain.
    ghost = library.catalog.chunks(library.name, stored[0].article.id)
    ghost = [c.model_copy(update={"id": f"ghost-{c.id}"}) for c in ghost]
    library.catalog.intend(library.name, [c.id for c in ghost])
    library.store.add(ghost, fake_assistant.embedder.embed([c.text for c in ghost]))
    # A writer killed while deleting: the row is gone, its chunks are recorded as intents.
    removed = library.catalog.delete(library.name, stored[0].article.id)
    result = library.reconcile()
    assert result.orphan_chunks == len(ghost) + len(removed)
    assert library.reconcile().clean and library.catalog.intents(library.name) == []
    assert library.store.ids() == set(kept) and library.check().clean
    report = fake_assistant.ingest(tmp_path / "s.txt", tmp_path / "t.txt")
    assert statuses(report) == ["added", "unchanged"]


def test_each_flush_sees_what_the_unwritten_flush_before_it_holds(
    settings: Settings, tmp_path: Path
) -> None:
    """A flush is embedded while the one before it is written: an article that needs the
    earlier flush's ids or texts waits for them, so one flush per chunk decides as one would."""
    assistant = Assistant(settings.model_copy(update={"flush_chunks": 1}), embedder=HashEmbedder())
    folder = tmp_path / "news"
    write(folder / "1.txt", STORY)
    write(folder / "2.txt", STORY)  # the same text: a duplicate of the flush before it
    for i in range(3):
        write(folder / f"z{i}.txt", f"Story number {i}. " + STORY)
    one = write(tmp_path / "a" / "news" / "story.txt", "Markets rose on Monday. Oil fell.")
    two = write(tmp_path / "b" / "news" / "story.txt", "A different story about wheat.")
    inputs = [folder, one, two]  # the two files' names give them the same id
    report = assistant.ingest(*inputs)
    assert statuses(report) == ["added"] * 6 + ["duplicate"]
    duplicate = next(i for i in report.items if i.status is IngestStatus.DUPLICATE)
    assert "1.txt" in (duplicate.reason or "")
    ids = {i.article_id or "" for i in report.items if i.status is IngestStatus.ADDED}
    assert "news/story" in ids and len([i for i in ids if i.startswith("news/story-")]) == 1
    library = assistant.library()
    owned = {c for s in library.catalog.all(library.name) for c in s.chunk_ids}
    assert library.store.ids() == owned and library.check().clean
    assert statuses(assistant.ingest(*inputs)) == ["duplicate"] + ["unchanged"] * 6


class _Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.sizes.append(len(texts))
        return super().embed(texts)


def test_a_long_ingest_starts_and_ends_with_small_flushes(
    settings: Settings, tmp_path: Path
) -> None:
    """The first flush is small so that embedding starts early, and so is the last, so that
    little is written after the embedding ends."""
    embedder = _Counting()
    assistant = Assistant(settings, embedder=embedder)
    sentence = "The council met on Tuesday and agreed a budget for the new bridge number {}. "
    for i in range(130):  # 520 chunks: 64, 256, then 200 left, cut in two
        write(tmp_path / "news" / f"{i:03d}.txt", f"Story {i}\n\n" + sentence.format(i) * 40)
    report = assistant.ingest(tmp_path / "news")
    assert statuses(report) == ["added"] * 130
    most = max(item.n_chunks for item in report.items)
    first, *middle, last = embedder.sizes
    assert 64 <= first < 64 + most and 64 <= last < 64 + most
    *full, before_last = middle
    assert full and all(256 <= n < 256 + most for n in full) and before_last >= 64
    assert sum(embedder.sizes) == sum(item.n_chunks for item in report.items)
    library = assistant.library()
    owned = {c for s in library.catalog.all(library.name) for c in s.chunk_ids}
    assert library.store.ids() == owned and library.check().clean


class _FailsOnCall(HashEmbedder):
    def __init__(self, call: int) -> None:
        super().__init__()
        self.failing = call

    def embed(self, texts):  # type: ignore[no-untyped-def]
        if self.calls + 1 == self.failing:
            self.calls += 1
            raise RuntimeError("the embedder went away")
        return super().embed(texts)


def test_an_embedder_failing_mid_ingest_leaves_a_consistent_library(
    settings: Settings, tmp_path: Path
) -> None:
    embedder = _FailsOnCall(3)
    assistant = Assistant(settings.model_copy(update={"flush_chunks": 1}), embedder=embedder)
    for i in range(5):
        write(tmp_path / "news" / f"{i}.txt", f"Story number {i}. " + STORY)
    with pytest.raises(RuntimeError, match="went away"):
        assistant.ingest(tmp_path / "news")
    library = assistant.library()
    written = library.catalog.all(library.name)
    assert len(written) == 2  # the two flushes embedded before the failure
    owned = {c for s in written for c in s.chunk_ids}
    assert library.store.ids() == owned and library.check().clean
    embedder.failing = 0
    again = assistant.ingest(tmp_path / "news")
    assert statuses(again) == ["added"] * 3 + ["unchanged"] * 2


def test_ingest_text_and_missing_library(fake_assistant: Assistant) -> None:
    report = fake_assistant.ingest_text(STORY, title="Heating cut")
    assert report.items[0].status is IngestStatus.ADDED
    assert fake_assistant.articles()[0].title == "Heating cut"
    with pytest.raises(NotFoundError, match="does not exist"):
        fake_assistant.articles(library="nope-not-here")
    with pytest.raises(ConfigError, match="not valid"):
        fake_assistant.articles(library="bad name!")


def test_server_mode_keeps_chunks_in_a_chroma_server(
    settings: Settings,
    hash_embedder: HashEmbedder,
    chroma_server: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    server_settings = settings.model_copy(
        update={"chroma_url": chroma_server, "database_url": database_url, "library": "srv-lib"}
    )
    assistant = Assistant(server_settings, embedder=hash_embedder)
    report = assistant.ingest(write(tmp_path / "s.txt", STORY))
    assert report.count(IngestStatus.ADDED) == 1
    answer = assistant.ask("Where did residents lose heating?")
    assert answer.sources and "Kyiv" in answer.sources[0].hit.chunk.text
    from urllib.parse import urlparse

    import chromadb

    url = urlparse(chroma_server)
    client = chromadb.HttpClient(host=url.hostname, port=url.port)
    assert client.get_collection("srv-lib").count() == report.items[0].n_chunks
    assert not (tmp_path / "home" / "catalog.sqlite3").exists()  # the catalog is PostgreSQL's


@pytest.mark.parametrize("only", ["database_url", "chroma_url"])
def test_server_mode_needs_both_servers(settings: Settings, only: str) -> None:
    value = "postgresql://u@127.0.0.1:1/db" if only == "database_url" else "http://127.0.0.1:1"
    assistant = Assistant(settings.model_copy(update={only: value}))
    missing = "ASSISTANT_CHROMA_URL" if only == "database_url" else "ASSISTANT_DATABASE_URL"
    with pytest.raises(ConfigError, match=f"{missing} is not: machines that share"):
        assistant.libraries()
    with pytest.raises(ConfigError, match=missing):
        assistant.ingest_text("Some text about heating.")


# Ids a person can type


def test_ids_come_from_the_folder_and_path_not_the_machine(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    for machine in ("one", "two"):  # the same folder, cloned to two places
        write(tmp_path / machine / "news" / "world" / "Kyiv Attack.txt", STORY)
    report = fake_assistant.ingest(tmp_path / "one" / "news")
    [item] = report.items
    assert item.article_id == "news/world/kyiv-attack"
    assert item.source == "news/world/Kyiv Attack.txt"
    other = Assistant(fake_assistant.settings, embedder=fake_assistant.embedder, library="other")
    assert other.ingest(tmp_path / "two" / "news").items[0].article_id == item.article_id
    path = tmp_path / "one" / "news" / "world" / "Kyiv Attack.txt"
    again = fake_assistant.ingest(path).items[0]  # the same file: the same article
    assert again.status is IngestStatus.UNCHANGED and again.article_id == item.article_id
    alone = Assistant(fake_assistant.settings, embedder=fake_assistant.embedder, library="alone")
    assert alone.ingest(path).items[0].article_id == "world/kyiv-attack"  # from its own folder


def test_samples_have_readable_ids(fake_assistant: Assistant) -> None:
    fake_assistant.ingest_samples()
    assert sorted(a.id for a in fake_assistant.articles()) == [
        "samples/district-heating",
        "samples/motherland-monument",
        "samples/new-start-treaty",
        "samples/russia-ukraine-strikes",
    ]
    assert all(a.source.startswith("samples/") for a in fake_assistant.articles())
    assert fake_assistant.article("samples/russia").id == "samples/russia-ukraine-strikes"


def test_two_files_with_the_same_name_keep_both(fake_assistant: Assistant, tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "news" / "story.txt", STORY)
    second = write(tmp_path / "b" / "news" / "story.txt", "A different story about markets.")
    one = fake_assistant.ingest(first).items[0]
    two = fake_assistant.ingest(second).items[0]
    assert one.status is IngestStatus.ADDED and two.status is IngestStatus.ADDED
    assert one.article_id == "news/story" and two.article_id.startswith("news/story-")
    assert len(fake_assistant.articles()) == 2


def test_an_old_hash_id_is_replaced_on_reingest(fake_assistant: Assistant, tmp_path: Path) -> None:
    path = write(tmp_path / "news" / "story.txt", STORY)
    item = fake_assistant.ingest(path).items[0]
    library = fake_assistant.library()
    stored = library.catalog.get(library.name, item.article_id)
    assert stored is not None
    legacy = stored.article.model_copy(
        update={"id": "0123456789abcdef", "source": stored.article.origin}
    )
    chunks = library.catalog.chunks(library.name, item.article_id)
    library.catalog.delete(library.name, item.article_id)
    library.catalog.forget_intents(library.name, [c.id for c in chunks])
    legacy_chunks = [c.model_copy(update={"article_id": legacy.id}) for c in chunks]
    library.catalog.restore(
        library.name, stored.model_copy(update={"article": legacy}), legacy_chunks
    )
    again = fake_assistant.ingest(path).items[0]
    assert again.status is IngestStatus.UPDATED and again.article_id == "news/story"
    assert [a.id for a in fake_assistant.articles()] == ["news/story"]


def test_an_ingest_name_replaces_the_file_name(fake_assistant: Assistant, tmp_path: Path) -> None:
    path = write(tmp_path / "3fa2c9" / "upload.txt", STORY)
    report = fake_assistant.ingest(path, names={str(path): "uploads/Heating story.txt"})
    assert report.items[0].article_id == "uploads/heating-story"
    assert report.items[0].source == "uploads/Heating story.txt"


class _Unloadable:
    """A tokenizer that fails on any use: asking must not need one."""

    @property
    def name(self) -> str:
        raise AssertionError("the tokenizer was loaded")

    def encode(self, text: str) -> list[int]:
        raise AssertionError("the tokenizer was loaded")

    def decode(self, tokens: list[int]) -> str:
        raise AssertionError("the tokenizer was loaded")


def test_asking_does_not_load_the_tokenizer(
    settings: Settings, hash_embedder: HashEmbedder, tmp_path: Path
) -> None:
    """Reading tiktoken's encoding costs about 0.2 s of a cold `assistant ask`; only ingest
    (and LLM prompts) need it."""
    write(tmp_path / "news" / "a.txt", "Grain exports rose in March.\n\nThe port reopened.")
    Assistant(settings, embedder=hash_embedder).ingest(tmp_path / "news")
    asker = Assistant(settings, embedder=hash_embedder, tokenizer=_Unloadable())
    answer = asker.ask("When did grain exports rise?", engine="extractive")
    assert answer.citations
    lazy, loaded = LazyTokenizer(), default_tokenizer()
    assert lazy.name == loaded.name and lazy.encode("Grain rose.") == loaded.encode("Grain rose.")


def test_a_filter_is_listed_once_until_the_library_changes(fake_assistant: Assistant) -> None:
    """A filter's article ids are kept per library until a write (in any process) changes
    its generation; then they are listed again."""
    from assistant.store.catalog import ArticleFilter

    fake_assistant.ingest_text(STORY, title="Heating", source="wire/kyiv.txt")
    fake_assistant.ingest_text(
        "Grain exports rose in March.", title="Grain", source="farm/grain.txt"
    )
    library = fake_assistant.library()
    wire = ArticleFilter(source="wire")
    first = library.filter_articles(wire)
    assert len(first) == 1 and library.filter_articles(wire) is first  # kept
    added = fake_assistant.ingest_text(
        "Trams stopped in Lviv.", title="Trams", source="wire/lviv.txt"
    )
    second = library.filter_articles(wire)
    assert len(second) == 2 and added.items[0].article_id in second
    fake_assistant.delete(added.items[0].article_id)
    assert len(library.filter_articles(wire)) == 1
    other = Assistant(fake_assistant.settings, embedder=fake_assistant.embedder)  # another writer
    other.ingest_text("Buses stopped in Odesa.", title="Buses", source="wire/odesa.txt")
    assert len(library.filter_articles(wire)) == 2
