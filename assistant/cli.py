"""Command line: parse arguments, call `Assistant`, print the result. No logic of its own."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from argparse import _SubParsersAction

    from rich.console import Console

    from assistant.api import Assistant
    from assistant.models import Answer, Citation, Flag, IngestReport, Source, Summary
    from assistant.query import Options

EXAMPLES = """examples:
  assistant ask "How many missiles did Russia launch?"
  assistant ask "What did Zelenskyy say?" --json --k 8
  assistant ingest article.html news/ https://example.com/story
  assistant ingest data/ --include '*.txt' --exclude 'drafts/*' --library bbc
  assistant ingest https://example.com/feed.xml sources.urls --library news
  assistant watch https://example.com/feed.xml --every 30m --library news
  assistant ask "And how many drones?" --retriever dense --mmr 0.7 --since 2026-01-01
  assistant chat --model gpt-4o-mini
  assistant summarize samples/russia-ukraine-strikes --length short
  assistant summarize --all --format bullets
  assistant summarize --topic "heating cuts" --length long
  assistant stories --since 2026-01-01
  assistant brief --since 2026-01-01 --limit 3
  assistant brief --story 3d3224f8
  assistant docs list
  assistant docs show samples/russia
  assistant docs rm samples/russia
  assistant ui --port 7860 --auth reader:s3cret
  assistant eval eval/seed_cases.yaml --engine extractive --baseline eval/seed_baseline.json

settings come from ASSISTANT_* environment variables or a .env file
(ASSISTANT_HOME, ASSISTANT_LIBRARY, ASSISTANT_EMBEDDER, ...); see README.md."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand; question and summary options come from
    `Query` and `SummaryRequest` (assistant/query.py), so each is declared once."""
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Chat with news articles, offline first. Every claim cites its sentence.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--home", help="data directory (default: $ASSISTANT_HOME)")
    parser.add_argument("--verbose", "-v", action="store_true", help=VERBOSE)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help=VERBOSE
    )
    library = argparse.ArgumentParser(add_help=False)
    library.add_argument("--library", "-l", help="library name (default: $ASSISTANT_LIBRARY)")
    shared = Shared(verbose=verbose, library=library)
    for add in (
        _add_ingest,
        _add_watch,
        _add_questions,
        _add_docs,
        _add_eval,
        _add_summarize,
        _add_stories,
        _add_ui,
    ):
        add(sub, shared)
    return parser


@dataclass(frozen=True)
class Shared:
    """Options several subcommands take."""

    verbose: argparse.ArgumentParser
    library: argparse.ArgumentParser


VERBOSE = "show what was retrieved, the prompts sent and the timings (on stderr)"


def _add_ingest(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant ingest."""
    ingest = sub.add_parser(
        "ingest",
        parents=[shared.library, shared.verbose],
        help="add files, folders, URLs or feeds to a library",
        description="Read articles (.txt .md .html .json .jsonl .pdf, folders, http(s) URLs), "
        "clean them, chunk, embed and store them. Re-ingesting is idempotent. A feed (RSS, "
        "Atom, sitemap.xml or a sitemap index, as a URL or an .rss/.atom/.xml file) or a URL "
        "list (a .urls file, or a .txt file whose every line is an http(s) URL) ingests the "
        "page of each item, fetched politely (ASSISTANT_HOST_DELAY, robots.txt).",
    )
    ingest.add_argument("inputs", nargs="+", metavar="PATH|URL")
    ingest.add_argument("--include", action="append", default=[], metavar="GLOB")
    ingest.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    ingest.set_defaults(run=cmd_ingest)


def _add_watch(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant watch."""
    watch = sub.add_parser(
        "watch",
        parents=[shared.library, shared.verbose],
        help="poll feeds and ingest their new items, until Ctrl-C",
        description="Poll RSS/Atom feeds and sitemaps every --every: a conditional GET "
        "(ETag / If-Modified-Since), robots.txt respected, ASSISTANT_HOST_DELAY seconds between "
        "requests to one host; only new or changed items are fetched and ingested. Prints a "
        "line per poll. --once polls once and exits (for cron); exit code 1 if anything failed.",
    )
    watch.add_argument("feeds", nargs="+", metavar="FEED_URL")
    watch.add_argument(
        "--every",
        type=_interval,
        default="30m",
        metavar="INTERVAL",
        help="time between polls: 30m, 1h, 90s, 1h30m (default: 30m)",
    )
    watch.add_argument("--once", action="store_true", help="poll once and exit")
    watch.add_argument("--quiet", "-q", action="store_true", help="only the line per poll")
    watch.set_defaults(run=cmd_watch)


def _interval(value: str) -> float:
    from assistant.watch import parse_interval

    try:
        return parse_interval(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_questions(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant ask, assistant chat: options from Query."""
    from assistant.query import Query

    ask = sub.add_parser(
        "ask",
        parents=[shared.verbose],
        help="answer a question from the articles, with citations",
        description="Answer from the library's articles. Every sentence cites its source [n]; "
        "when the articles do not hold the answer, it says so.",
    )
    ask.add_argument("question")
    add_options(ask, Query)
    ask.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    ask.add_argument(
        "--show-draft",
        action="store_true",
        help="also print the LLM's own reply when the claim check changed or replaced it",
    )
    ask.set_defaults(run=cmd_ask)

    chat = sub.add_parser(
        "chat",
        parents=[shared.verbose],
        help="a conversation in the terminal: follow-up questions read in context",
        description="Ask questions one line at a time; each is read in the context of the "
        "earlier ones ('And how many drones?'). /new starts over, /quit or Ctrl-D ends.",
    )
    add_options(chat, Query)
    chat.add_argument(
        "--show-draft",
        action="store_true",
        help="also print the LLM's own reply when the claim check changed or replaced it",
    )
    chat.set_defaults(run=cmd_chat)


def _add_docs(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant docs list|show|rm, assistant libraries."""
    docs = sub.add_parser("docs", help="list, show or remove articles")
    docs_sub = docs.add_subparsers(dest="docs_command", metavar="ACTION", required=True)
    listing = docs_sub.add_parser("list", parents=[shared.library], help="list the articles")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_docs_list)
    show = docs_sub.add_parser(
        "show", parents=[shared.library], help="show an article's cleaned text"
    )
    show.add_argument("id", help="article id (a unique prefix is enough)")
    show.add_argument("--chunks", action="store_true", help="show its chunks with offsets")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=cmd_docs_show)
    remove = docs_sub.add_parser("rm", parents=[shared.library], help="remove an article")
    remove.add_argument("id", help="article id (a unique prefix is enough)")
    remove.set_defaults(run=cmd_docs_rm)

    libraries = sub.add_parser(
        "libraries",
        help="list libraries with sizes and embedders; export or import one",
        description="Without an action, list the libraries. `export NAME DIR` writes a "
        "library's articles, chunks and vectors to DIR; `import DIR` reads them into this "
        "setup (embedded or server) without embedding again.",
    )
    libraries.add_argument("--json", action="store_true")
    libraries.set_defaults(run=cmd_libraries)
    actions = libraries.add_subparsers(dest="libraries_command", metavar="ACTION")
    export = actions.add_parser("export", help="write a library to a folder")
    export.add_argument("name", help="the library to export")
    export.add_argument("folder", metavar="DIR", help="a new or empty folder")
    export.set_defaults(run=cmd_libraries_export)
    imports = actions.add_parser("import", help="read an exported library into this setup")
    imports.add_argument("folder", metavar="DIR", help="a folder written by export")
    imports.add_argument("--as", dest="name", metavar="NAME", help="library name to import as")
    imports.set_defaults(run=cmd_libraries_import)


def _add_eval(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant eval: datasets, and Query options for every question."""
    from assistant.query import Query

    evaluate = sub.add_parser(
        "eval",
        parents=[shared.verbose],
        help="score answers against gold facts (YAML/JSONL cases or SQuAD JSON)",
        description="Run every case through the assistant and score it: facts, abstention, "
        "citation recall/precision, retrieval recall@k, latency. Writes report.json/.md/.html; "
        "with --baseline exits 3 when a headline metric regressed beyond --tolerance. Any "
        "engine, retriever or post-processor can be swapped in by name.",
    )
    evaluate.add_argument(
        "datasets", nargs="+", metavar="DATASET", help=".yaml/.jsonl cases or SQuAD .json"
    )
    where = evaluate.add_mutually_exclusive_group()
    where.add_argument("--library", "-l", help="ask this existing library")
    where.add_argument(
        "--ingest",
        action="append",
        default=[],
        metavar="PATH",
        help="ingest this into library eval-<dataset> first",
    )
    add_options(evaluate, Query, skip={"library"})
    evaluate.add_argument("--limit", type=int, default=0, help="only the first N cases")
    evaluate.add_argument("--out", type=Path, help="report folder (default eval/out/NAME-TIME)")
    evaluate.add_argument("--baseline", type=Path, metavar="OLD.json", help="compare with it")
    evaluate.add_argument(
        "--update-baseline", action="store_true", help="write this run to --baseline instead"
    )
    evaluate.add_argument(
        "--tolerance",
        type=float,
        default=0.02,
        help="allowed drop per headline metric (absolute, default 0.02)",
    )
    evaluate.add_argument(
        "--judge",
        choices=["auto", "lexical", "llm"],
        default="auto",
        help="citation judge; 'auto' adds the LLM judge when an LLM is configured",
    )
    evaluate.set_defaults(run=cmd_eval)


def _add_summarize(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant summarize: options from SummaryRequest."""
    from assistant.query import SummaryRequest

    summarize = sub.add_parser(
        "summarize",
        parents=[shared.verbose],
        help="summarise articles or a topic; every sentence cites its article",
        description="Summarise one article, several, every article (--all) or what the library "
        "says about a topic (--topic). Offline the summary quotes the articles' most central "
        "sentences; with an LLM it is written and its citations checked.",
    )
    add_options(summarize, SummaryRequest)
    summarize.add_argument("--json", action="store_true", help="print the whole summary as JSON")
    summarize.set_defaults(run=cmd_summarize)


def _add_stories(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant stories, assistant brief: options from BriefRequest."""
    from assistant.query import BriefRequest

    stories = sub.add_parser(
        "stories",
        parents=[shared.verbose],
        help="list the library's stories: articles about the same event, with their outlets",
        description="Group the articles about the same event (near-duplicates, rewrites of one "
        "wire copy, follow-ups) by their lead's meaning, shared names and dates. Stories of two "
        "or more articles are listed, newest first; --all adds the single-article ones.",
    )
    add_options(stories, BriefRequest, skip={"engine", "model", "story", "limit"})
    stories.add_argument("--all", action="store_true", help="list single-article stories too")
    stories.add_argument("--json", action="store_true", help="print the stories as JSON")
    stories.set_defaults(run=cmd_stories)

    brief = sub.add_parser(
        "brief",
        parents=[shared.verbose],
        help="a cited briefing per story: what happened, who said what, where sources differ",
        description="Brief the largest stories (or one, --story): what happened, quoted "
        "attributed sentences, and a 'Sources differ' line wherever the articles give different "
        "numbers, dates or names for the same fact, both sides cited. Offline every sentence is "
        "quoted; with an LLM it writes 'what happened' and its citations are checked.",
    )
    add_options(brief, BriefRequest)
    brief.add_argument("--json", action="store_true", help="print the whole briefing as JSON")
    brief.set_defaults(run=cmd_brief)


def _add_ui(sub: _SubParsersAction[argparse.ArgumentParser], shared: Shared) -> None:
    """assistant demo, assistant ui."""
    demo = sub.add_parser(
        "demo", parents=[shared.library], help="ingest the bundled sample articles and list them"
    )
    demo.set_defaults(run=cmd_demo)

    serve = sub.add_parser(
        "serve",
        parents=[shared.library],
        help="hold a library open so that other commands answer fast (embedded mode)",
        description="Open the library's vector index and keep it in memory: `assistant ask`, "
        "`ingest` and the web UI started meanwhile use it through this process instead of "
        "loading the index themselves. Ctrl-C stops it.",
    )
    serve.set_defaults(run=cmd_serve)

    ui = sub.add_parser(
        "ui",
        parents=[shared.library],
        help="start the web UI (chat, library, settings) in the browser",
        description="Serve the web UI on http://HOST:PORT. An empty library gets the bundled "
        "sample articles first, so there is something to ask about.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    ui.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    ui.add_argument("--auth", metavar="USER:PASS", help="require this user and password")
    ui.add_argument(
        "--no-samples", action="store_true", help="do not ingest the samples into an empty library"
    )
    ui.set_defaults(run=cmd_ui)


# Options generated from the request models


def _choices(name: str, model: type[BaseModel]) -> list[str]:
    from assistant.answer.engines import ENGINES
    from assistant.query import BriefRequest, SummaryRequest
    from assistant.retrieve.base import POSTPROCESSORS, RETRIEVERS
    from assistant.summarize.summarizer import SUMMARIZERS

    if name == "engines":
        engines = SUMMARIZERS if issubclass(model, SummaryRequest | BriefRequest) else ENGINES
        return ["auto", *engines.names()]
    if name == "retrievers":
        return RETRIEVERS.names()
    return POSTPROCESSORS.names()


def add_options(
    parser: argparse.ArgumentParser, model: type[BaseModel], *, skip: Set[str] = frozenset()
) -> None:
    """One command-line option per field of `model` that declares one (see query.option)."""
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        cli = extra.get("cli")
        nested = _nested_model(info.annotation)
        if nested is not None:
            add_options(parser, nested, skip=skip)
            continue
        if not isinstance(cli, dict):
            continue
        kind, many = _kind(info.annotation)
        kwargs: dict[str, Any] = {"help": info.description, "default": argparse.SUPPRESS}
        if cli.get("metavar"):
            kwargs["metavar"] = cli["metavar"]
        if cli.get("choices"):
            kwargs["choices"] = _choices(str(cli["choices"]), model)
            if "metavar" in kwargs:
                kwargs["help"] += f" (one of: {', '.join(kwargs['choices'])})"
        literal = get_args(kind) if get_origin(kind) is Literal else ()
        if literal:
            kwargs["choices"] = list(literal)
        elif kind is bool:
            kwargs["action"] = "store_true"
        else:
            kwargs["type"] = _date if kind is dt.date else kind
        if cli.get("positional"):
            kwargs["nargs"] = "*" if many else None
            parser.add_argument(name, **kwargs)
            continue
        if many:
            kwargs["action"] = "append"
        listed = cli.get("aliases")
        aliases = [str(a) for a in listed] if isinstance(listed, list) else []
        flags = [str(cli.get("flag") or "--" + name.replace("_", "-")), *aliases]
        parser.add_argument(*flags, dest=name, **kwargs)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, or in an Optional), whose fields become options."""
    if get_origin(annotation) not in (None, UnionType, Union):
        return None
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _kind(annotation: Any) -> tuple[Any, bool]:
    """(the type one value has, whether the option takes several values)."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (UnionType, Union) and len(args) == 1:
        annotation = args[0]
    if get_origin(annotation) is list:
        return get_args(annotation)[0], True
    return annotation, False


R = TypeVar("R", bound="Options")


def options_from(args: argparse.Namespace, model: type[R], **fixed: Any) -> R:
    """The request built from the options given on the command line (plus `fixed` values)."""
    values = _values(args, model)
    values.update(fixed)
    return model.build(values)


def _values(args: argparse.Namespace, model: type[BaseModel]) -> dict[str, Any]:
    given = vars(args)
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        nested = _nested_model(info.annotation)
        if nested is not None:
            inner = _values(args, nested)
            if inner:
                values[name] = inner
        elif name in given:
            values[name] = given[name]
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `assistant` command; returns the exit code."""
    try:
        _load_plugins()
        parser = build_parser()
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        code: int = args.run(args)
        return code
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `assistant docs list | head`: the reader left early
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _load_plugins() -> None:
    """Register the parts of ASSISTANT_PLUGINS first: their names are offered as choices."""
    from pydantic import ValidationError

    from assistant.config import Settings
    from assistant.registry import load_plugins

    try:
        plugins = Settings().plugins
    except ValidationError:
        return  # reported with its reasons when the command builds its Assistant
    load_plugins(plugins)


def _assistant(args: argparse.Namespace) -> Assistant:
    from assistant.api import Assistant

    overrides: dict[str, Any] = {"home": args.home} if args.home else {}
    if getattr(args, "verbose", False):
        overrides["log_level"] = "DEBUG"
    return Assistant(**overrides)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-02-01") from None


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.models import Answer
    from assistant.query import Query

    assistant = _assistant(args)
    parts = assistant.ask_stream(args.question, options_from(args, Query))
    answer = _print_stream(parts, Answer, as_json=args.json)
    if not args.json:
        print_sources(answer, show_draft=args.show_draft)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.models import Answer
    from assistant.query import Query

    conversation = _assistant(args).chat(options_from(args, Query))
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about your articles; /new starts over, /quit ends.", file=sys.stderr)
    while True:
        if interactive:
            print("> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        question = line.strip()
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            conversation.reset()
            continue
        if not question:
            continue
        try:
            answer = _print_stream(conversation.stream(question), Answer, as_json=False)
        except AssistantError as error:  # one bad question does not end the conversation
            print(f"error: {error}", file=sys.stderr)
            continue
        print_sources(answer, show_draft=args.show_draft)
        print()


Streamed = TypeVar("Streamed", "Answer", "Summary")


def _print_stream(parts: Iterable[object], kind: type[Streamed], *, as_json: bool) -> Streamed:
    """Show text parts as they come (on a terminal), then the result's text or its JSON."""
    final: Streamed | None = None
    live = not as_json and sys.stdout.isatty()
    for part in parts:
        if isinstance(part, kind):
            final = part
        elif live:
            print(part, end="", flush=True)
    assert final is not None
    if as_json:
        print(final.model_dump_json(indent=2))
    elif live:
        print()
    else:
        print(final.text)
    return final


def print_sources(answer: Answer, *, show_draft: bool = False) -> None:
    """The numbered sources an answer cites, with the quoted sentence, and any flags; what the
    claim check changed, and with `show_draft` the engine's own reply."""
    from rich.text import Text

    console = _console()
    if answer.window is not None:
        console.print(Text(f"dates: {answer.window.describe()}", style="cyan"))
    if answer.fallback:
        console.print(Text(f"note: {answer.fallback}", style="yellow"))
    if answer.confidence is not None:
        console.print(Text(f"confidence {answer.confidence:.0%}", style="dim"))
    if answer.verification:
        console.print(Text(f"checked: {answer.verification}", style="yellow"))
    if answer.draft and show_draft:
        console.print(Text("unverified draft (not checked out against the sources):", style="red"))
        console.print(Text(answer.draft))
    elif answer.draft:
        console.print(Text("(the model's own reply: --show-draft)", style="dim"))
    if answer.abstained:
        console.print(
            Text(f"(no answer found in {len(answer.sources)} retrieved passages)", style="dim")
        )
        return
    print_cited(answer.sources, answer.citations, answer.flags)


def print_cited(
    sources: Sequence[Source], citations: Sequence[Citation], flags: Sequence[Flag]
) -> None:
    """The cited sources, numbered, each with the sentences quoted from it; then any flags."""
    from rich.text import Text

    console = _console()
    cited: dict[int, list[str]] = {}
    for citation in citations:
        cited.setdefault(citation.number, [])
        if citation.quote not in cited[citation.number]:
            cited[citation.number].append(citation.quote)
    if cited:
        console.print()
    for source in sources:
        if source.number not in cited:
            continue
        where = source.url or source.source
        date = f", {source.date.isoformat()}" if source.date else ""
        console.print(Text(f"[{source.number}] {source.title}{date}", style="bold"))
        console.print(Text(f"    {where}", style="dim"))
        for quote in cited[source.number]:
            console.print(Text(f"    “{quote}”"))
    for flag in flags:
        console.print(Text(f"! {flag.kind.value}: {flag.text[:80]} {flag.detail}", style="yellow"))


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def cmd_ingest(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    report = _run_ingest(
        args,
        lambda progress: assistant.ingest(
            *args.inputs,
            library=args.library,
            include=args.include,
            exclude=args.exclude,
            progress=progress,
        ),
    )
    if args.json:
        print(report.model_dump_json(indent=2))
    elif not args.quiet:
        print_report(report)
    return 0 if report.ok else 1


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop a long-running command cleanly, even when it was
    started with SIGINT ignored (a background job of a script: Python then leaves it ignored)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


def cmd_watch(args: argparse.Namespace) -> int:
    from assistant.models import PollReport

    assistant = _assistant(args)
    failed = 0
    polls = 0
    err = sys.stderr

    def on_poll(report: PollReport) -> None:
        nonlocal failed, polls
        polls += 1
        problems = report.failed
        failed += len(problems)
        if not args.quiet:
            for feed in report.feeds:
                print(f"  {feed.summary()}", flush=True)
            for problem in problems:
                print(f"  failed: {problem}", flush=True)
        print(report.summary(), flush=True)

    def progress(done: int, total: int, label: str) -> None:
        if not args.quiet:
            print(f"  [{done}/{total}] {_shorten(label, 100)}", file=err, flush=True)

    _stop_on_signals()
    try:
        assistant.watch(
            *args.feeds,
            library=args.library,
            every=args.every,
            once=args.once,
            on_poll=on_poll,
            progress=progress,
        )
    except KeyboardInterrupt:
        print(f"watch stopped after {polls} poll(s)", file=err, flush=True)
        return 0
    return 1 if args.once and failed else 0


def _run_ingest(
    args: argparse.Namespace, run: Callable[[Callable[[int, int, str], None] | None], IngestReport]
) -> IngestReport:
    if args.quiet or args.json or not sys.stderr.isatty():
        return run(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}", style="dim"),
        console=_console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=_shorten(label, 40))

        return run(progress)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def print_report(report: IngestReport) -> None:
    """The per-source table (failures and changes; unchanged only counted) and a summary."""
    from rich.table import Table
    from rich.text import Text

    from assistant.models import IngestStatus

    console = _console()
    shown = [i for i in report.items if i.status is not IngestStatus.UNCHANGED]
    if shown:
        table = Table(title=f"library {report.library!r}", show_lines=False)
        table.add_column("status")
        table.add_column("id")
        table.add_column("title / source", overflow="fold")
        table.add_column("chunks", justify="right")
        table.add_column("reason", overflow="fold")
        colours = {"added": "green", "updated": "cyan", "duplicate": "yellow", "failed": "red"}
        for item in shown:
            table.add_row(
                Text(item.status.value, style=colours.get(item.status.value, "")),
                Text(item.article_id or ""),
                Text(item.title or item.source),
                str(item.n_chunks) if item.n_chunks else "",
                Text(item.reason or ""),
            )
        console.print(table)
    console.print(Text(report.summary(), style="red" if not report.ok else "bold"))


def cmd_docs_list(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    articles = _assistant(args).articles(args.library)
    if args.json:
        print(json.dumps([a.model_dump(mode="json", exclude={"text"}) for a in articles], indent=2))
        return 0
    table = Table()
    for column in ("id", "title", "source", "date", "chunks"):
        table.add_column(column, overflow="fold", justify="right" if column == "chunks" else "left")
    for a in articles:
        table.add_row(
            a.id,
            Text(a.title),
            Text(a.url or _shorten(a.source, 50)),
            a.date.isoformat() if a.date else "",
            str(a.n_chunks),
        )
    console = _console()
    console.print(table)
    console.print(f"{len(articles)} article(s)")
    return 0


def cmd_docs_show(args: argparse.Namespace) -> int:
    from rich.text import Text

    assistant = _assistant(args)
    article = assistant.article(args.id, args.library)
    chunks = assistant.chunks(article.id, args.library) if args.chunks else []
    if args.json:
        data = article.model_dump(mode="json")
        if args.chunks:
            data["chunks"] = [c.model_dump(mode="json") for c in chunks]
        print(json.dumps(data, indent=2))
        return 0
    console = _console()
    console.print(Text(article.title, style="bold"))
    meta = [
        f"id {article.id}",
        f"source {article.url or article.source}",
        f"date {article.date}" + (f" (from {article.date_source})" if article.date_source else "")
        if article.date
        else "",
        f"author {article.author}" if article.author else "",
        f"credits {', '.join(article.credits)}" if article.credits else "",
        f"{article.n_chunks} chunks",
    ]
    console.print(Text(" · ".join(m for m in meta if m), style="dim"))
    console.print()
    console.print(Text(article.text))
    for chunk in chunks:
        console.print()
        console.print(
            Text(
                f"chunk {chunk.index}  [{chunk.start}:{chunk.end}]  {chunk.n_tokens} tokens",
                style="bold cyan",
            )
        )
        console.print(Text(chunk.text))
    return 0


def cmd_docs_rm(args: argparse.Namespace) -> int:
    article = _assistant(args).delete(args.id, args.library)
    print(f"removed {article.id} {article.title!r} ({article.n_chunks} chunks)")
    return 0


def cmd_libraries(args: argparse.Namespace) -> int:
    from rich.table import Table

    infos = _assistant(args).libraries()
    if args.json:
        print(json.dumps([i.model_dump(mode="json") for i in infos], indent=2))
        return 0
    table = Table()
    for column in ("library", "articles", "chunks", "embedder"):
        table.add_column(column)
    for info in infos:
        table.add_row(info.name, str(info.n_articles), str(info.n_chunks), info.embedder)
    _console().print(table)
    return 0


def cmd_libraries_export(args: argparse.Namespace) -> int:
    manifest = _assistant(args).export_library(args.name, Path(args.folder))
    print(
        f"exported library {manifest.library!r}: {manifest.n_articles} articles, "
        f"{manifest.n_chunks} chunks ({manifest.embedder}, dim {manifest.dim}) to {args.folder}"
    )
    return 0


def cmd_libraries_import(args: argparse.Namespace) -> int:
    manifest = _assistant(args).import_library(Path(args.folder), args.name)
    print(
        f"imported {manifest.n_articles} articles, {manifest.n_chunks} chunks into library "
        f"{args.name or manifest.library!r}"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation.command import EvalOptions, run
    from assistant.query import Query

    options = EvalOptions(
        datasets=[Path(d) for d in args.datasets],
        query=options_from(args, Query, library=None),
        library=args.library,
        ingest=args.ingest,
        limit=args.limit,
        out=args.out,
        baseline=args.baseline,
        update_baseline=args.update_baseline,
        tolerance=args.tolerance,
        judge=args.judge,
    )
    return run(_assistant(args), options)


def cmd_summarize(args: argparse.Namespace) -> int:
    from assistant.models import Summary
    from assistant.query import SummaryRequest

    parts = _assistant(args).summarize_stream(request=options_from(args, SummaryRequest))
    summary = _print_stream(parts, Summary, as_json=args.json)
    if not args.json:
        print_cited(summary.sources, summary.citations, summary.flags)
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from assistant.query import BriefRequest

    request = options_from(args, BriefRequest)
    stories = _assistant(args).stories(since=request.since, library=request.library)
    shown = stories if args.all else [s for s in stories if s.size > 1]
    if args.json:
        print(json.dumps([s.model_dump(mode="json") for s in shown], indent=2))
        return 0
    table = Table()
    for column in ("id", "articles", "dates", "outlets", "title"):
        table.add_column(
            column, overflow="fold", justify="right" if column == "articles" else "left"
        )
    for story in shown:
        table.add_row(
            story.id,
            str(story.size),
            _dates(story.first_date, story.last_date),
            Text(", ".join(story.outlets[:3]) + (" …" if len(story.outlets) > 3 else "")),
            Text(story.title),
        )
    console = _console()
    console.print(table)
    single = len([s for s in stories if s.size == 1])
    note = ""
    if single and not args.all:
        note = f" ({single} single-article stories; --all lists them)"
    console.print(f"{len(shown)} stor{'y' if len(shown) == 1 else 'ies'}{note}")
    return 0


def _dates(first: dt.date | None, last: dt.date | None) -> str:
    if first is None or last is None:
        return ""
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def cmd_brief(args: argparse.Namespace) -> int:
    from rich.text import Text

    from assistant.query import BriefRequest

    briefing = _assistant(args).brief(options_from(args, BriefRequest))
    if args.json:
        print(briefing.model_dump_json(indent=2))
        return 0
    console = _console()
    for number, section in enumerate(briefing.stories):
        story = section.story
        if number:
            console.print()
        console.print(Text(f"## {story.title}", style="bold"))
        where = ", ".join(story.outlets[:3]) or "unknown outlets"
        console.print(
            Text(
                f"story {story.id} · {story.size} article{'s' if story.size != 1 else ''} · "
                f"{where} · {_dates(story.first_date, story.last_date)}",
                style="dim",
            )
        )
        print()
        print(section.summary.text)
        print_cited(section.summary.sources, section.summary.citations, section.summary.flags)
    covered = len(briefing.stories)
    console.print(
        Text(
            f"\n{covered} of {briefing.n_stories} stories briefed ({briefing.engine}, "
            f"{briefing.timings.get('total', 0):.1f}s)",
            style="dim",
        )
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from assistant.api import samples_dir

    assistant = _assistant(args)
    print(f"ingesting the bundled samples from {samples_dir()} into {assistant.settings.home}")
    report = _run_ingest(
        argparse.Namespace(quiet=False, json=False),
        lambda progress: assistant.ingest(samples_dir(), library=args.library, progress=progress),
    )
    print_report(report)
    cmd_docs_list(argparse.Namespace(home=args.home, library=args.library, json=False))
    return 0 if report.ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    import time

    assistant = _assistant(args)
    name = assistant.library(args.library, must_exist=True).name
    articles, chunks = assistant.warm_up(name, freeze=True)
    print(
        f"serving library {name!r} ({articles:,} articles, {chunks:,} chunks) from "
        f"{assistant.settings.home}; Ctrl-C stops",
        flush=True,
    )
    _stop_on_signals()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr, flush=True)
        return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from assistant.errors import InputError

    auth = None
    if args.auth is not None:
        user, _, password = args.auth.partition(":")
        if not user or not password:
            raise InputError("--auth takes USER:PASS, e.g. --auth reader:s3cret")
        auth = (user, password)
    from assistant.api import Assistant, check_library

    assistant = _assistant(args)
    if args.library:
        assistant = Assistant(assistant.settings, library=check_library(args.library))
    name = assistant.settings.library
    sizes = {info.name: info.n_articles for info in assistant.libraries()}
    if not args.no_samples and not sizes.get(name):
        print(f"library {name!r} is empty: ingesting the bundled sample articles", flush=True)
        report = assistant.ingest_samples(name)
        print(report.summary(), flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        print(
            f"warning: serving on {args.host} without --auth: anyone who can reach this "
            "address can read and change the library",
            file=sys.stderr,
        )
    from assistant.ui import serve

    serve(
        assistant,
        host=args.host,
        port=args.port,
        auth=auth,
        on_ready=lambda url: print(f"article assistant UI on {url}  (Ctrl-C stops it)", flush=True),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
