"""A small local LLM on the seed article: its replies, what the claim check flags, what is shown.

    python eval/smollm_seed.py --base-url http://127.0.0.1:8091/v1 --model smollm2 \
        --home /tmp/smollm-home --out /tmp/smollm-out

Any OpenAI-compatible server works (written for SmolLM2-135M-Instruct served by
llama-cpp-python; see README, "Your own GGUF model"). The run:

1. ingests the bundled samples into --home (`assistant demo`);
2. asks question cases of eval/seed_cases.yaml (the first --limit after --skip; default the
   first 32) through the real CLI with the openai engine, restricted to the seed article
   (--article), twice each: with `--unverified flag` (the model's reply as it is, with the
   checker's verdicts and flags) and with the default policy, `replace` (what a user is shown:
   the answer, trimmed, replaced by the offline answer, or refused), both `--json`;
3. scores what is shown with the eval's normalisation (`match_facts`): right = every gold fact
   found and no abstention; for an unanswerable case, right = abstained;
4. writes OUT/report.json, OUT/report.md, OUT/replies.jsonl (every reply with the chunk ids of
   its sources [1]..[n]: enough to re-check it without the LLM) and OUT/claims.jsonl (every
   claim with the checker's verdicts, the template for labelling).

The server may answer the same request differently (llama.cpp reuses its prompt cache, even at
temperature 0), so the `replace` run's reply (its `draft`) is recorded too when it differs.

With --labels (hand labels, one claim a line: id, run, claim, cited, label, note) it joins the
labels to the claims and reports the confusion table of label x checker verdict with precision
and recall. --replies takes recorded replies instead of asking a model, so the label report
reproduces from the repository without the LLM:

    python eval/smollm_seed.py --replies eval/data/smollm_seed_replies.jsonl \
        --labels eval/data/smollm_claims.jsonl --home /tmp/smollm-home --out /tmp/smollm-labels

eval/data/smollm_seed_replies.jsonl holds SmolLM2-135M-Instruct's replies to question cases
1-32 and 33-54 (`--skip 32 --limit 22`); their reports are eval/data/smollm_seed_report.md and
smollm_seed_report_33-54.md, the label report eval/data/smollm_claims_report.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as `python eval/smollm_seed.py` from a checkout
    sys.path.insert(0, str(ROOT))

from assistant.answer.citations import (  # noqa: E402
    answer_sentences,
    check_citations,
    number_sources,
    source_sentences,
    split_citations,
)
from assistant.answer.claims import Evidence, check_sentence, split_claims  # noqa: E402
from assistant.answer.markers import parse_markers  # noqa: E402
from assistant.evaluation.datasets import QACase, load_dataset  # noqa: E402
from assistant.evaluation.metrics import match_facts  # noqa: E402
from assistant.models import Article, Hit, Source  # noqa: E402

CASES = HERE / "seed_cases.yaml"
SEED = "samples/russia-ukraine-strikes"
LABELS = ("supported", "contradicted", "not_found")
VERDICTS = ("supported", "contradicted", "not_found", "uncited")
OUTCOMES = ("answer", "flagged", "trimmed", "replaced", "refused", "abstained", "fallback")
_MARKER = re.compile(r"\[(\d+)\]")

# ---------------------------------------------------------------------------------------------
# Running the CLI


def cli_env(home: Path, base_url: str, model: str, api_key: str, context: int) -> dict[str, str]:
    """The environment of every CLI call: the caller's, less any ASSISTANT_* / OPENAI_* setting,
    plus the ones this run needs (so a developer's own settings cannot change the result)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(ASSISTANT_HOME=str(home), ASSISTANT_CONTEXT_TOKENS=str(context))
    if base_url:
        env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY=api_key, ASSISTANT_CHAT_MODEL=model)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_cli(args: Sequence[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    """stdout of `python -m assistant.cli ARGS`; a RuntimeError with stderr when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"assistant {' '.join(args[:2])} failed: {done.stderr.strip()[-800:]}")
    return done.stdout


def ask(
    question: str, policy: str | None, article: str, env: dict[str, str], cwd: Path, timeout: float
) -> dict[str, Any]:
    """The CLI's --json answer with the openai engine (policy None: the default, `replace`)."""
    args = ["ask", question, "--engine", "openai", "--article", article, "--json"]
    if policy is not None:
        args += ["--unverified", policy]
    result: dict[str, Any] = json.loads(run_cli(args, env, cwd, timeout))
    return result


# ---------------------------------------------------------------------------------------------
# Reading answers (pure)


def outcome(answer: dict[str, Any]) -> str:
    """What the user was shown: answer, flagged (shown with its flags), trimmed, replaced,
    refused, abstained (the model said the sources lack the answer) or fallback (provider failed).
    """
    note = answer.get("verification") or ""
    if answer.get("fallback"):
        return "fallback"
    if note.startswith("the reply was replaced"):
        return "replaced"
    if note.startswith("the reply was not shown"):
        return "refused"
    if note.startswith("sentences the sources contradict were removed"):
        return "trimmed"
    if answer.get("abstained"):
        return "abstained"
    if note:
        return "flagged"
    return "answer"


def is_right(answer: dict[str, Any], case: QACase) -> tuple[bool, list[bool]]:
    """(right, found per gold fact) of what is shown, with the eval's normalisation."""
    abstained = bool(answer.get("abstained"))
    found = [f.found for f in match_facts("" if abstained else answer["text"], case.facts)]
    if not case.answerable:
        return abstained, found
    return (not abstained and all(found)), found


def reply_of(flagged: dict[str, Any]) -> str:
    """The model's reply as the checker read it (markers normalised to [n])."""
    return str(flagged.get("draft") or flagged["text"])


def _normalised(text: str, answer: dict[str, Any]) -> str:
    """A raw reply with its markers read as [n], as the checker reads them."""
    return parse_markers(text, len(answer.get("sources", []))).text


def short(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# The run


def record(case: QACase, flagged: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    """One question's row of the report."""
    right_flag, found_flag = is_right(flagged, case)
    right_shown, found_shown = is_right(shown, case)
    reply = reply_of(flagged)
    draft = _normalised(shown["draft"], flagged) if shown.get("draft") else None
    if draft is None and outcome(shown) in ("answer", "abstained"):
        draft = shown["text"]  # kept as it was
    return {
        "id": case.id,
        "question": case.question,
        "answerable": case.answerable,
        "facts": case.facts,
        "reply": reply,
        "same_reply_both_runs": _normalised(shown.get("draft") or shown["text"], flagged) == reply,
        "flags": [
            {"kind": f["kind"], "sentence": f["sentence"], "detail": f.get("detail", "")}
            for f in flagged.get("flags", [])
        ],
        "verdicts": [
            {
                "number": c["number"],
                "sentence": c["sentence"],
                "verdict": c["verdict"],
                "reason": c.get("reason", ""),
            }
            for c in flagged.get("citations", [])
        ],
        "flag": {
            "outcome": outcome(flagged),
            "text": flagged["text"],
            "abstained": flagged.get("abstained", False),
            "right": right_flag,
            "facts_found": found_flag,
        },
        "replace": {
            "outcome": outcome(shown),
            "text": shown["text"],
            "engine": shown.get("engine"),
            "abstained": shown.get("abstained", False),
            "verification": shown.get("verification"),
            "draft": shown.get("draft"),
            "draft_reply": draft,
            "right": right_shown,
            "facts_found": found_shown,
        },
        "sources": [s["hit"]["chunk"]["id"] for s in flagged.get("sources", [])],
    }


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Ingest the samples, ask every case under both policies; the report rows."""
    home: Path = args.home
    home.mkdir(parents=True, exist_ok=True)
    env = cli_env(home, args.base_url, args.model, args.api_key, args.context_tokens)
    run_cli(["demo"], env, home, args.timeout)
    dataset = load_dataset(args.cases)
    cases = dataset.qa_cases[args.skip : args.skip + args.limit]
    rows = []
    for number, case in enumerate(cases, start=1):
        started = time.perf_counter()
        flagged = ask(case.question, "flag", args.article, env, home, args.timeout)
        shown = ask(case.question, None, args.article, env, home, args.timeout)
        row = record(case, flagged, shown)
        rows.append(row)
        print(
            f"{number:>2}/{len(cases)} {case.id:<22} {row['replace']['outcome']:<9} "
            f"{'right' if row['replace']['right'] else 'wrong':<5} "
            f"{time.perf_counter() - started:5.1f}s  {short(row['reply'], 70)}",
            flush=True,
        )
    return rows


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Outcome and right/wrong counts under each policy."""
    out: dict[str, Any] = {"n": len(rows)}
    for policy in ("flag", "replace"):
        outcomes = Counter(r[policy]["outcome"] for r in rows)
        out[policy] = {
            "outcomes": {k: outcomes[k] for k in OUTCOMES if outcomes[k]},
            "right": sum(r[policy]["right"] for r in rows),
            "wrong": sum(not r[policy]["right"] for r in rows),
            "right_by_outcome": {
                k: sum(r[policy]["right"] for r in rows if r[policy]["outcome"] == k)
                for k in OUTCOMES
                if outcomes[k]
            },
        }
    out["replies_with_a_valid_citation"] = sum(bool(r["verdicts"]) for r in rows)
    out["replies_identical_in_both_runs"] = sum(r["same_reply_both_runs"] for r in rows)
    return out


# ---------------------------------------------------------------------------------------------
# Claims and labels


def replies_of(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every model reply of the run: the `flag` run's, and the `replace` run's draft when the
    server gave a different reply to the same request. Both saw the same sources (retrieval is
    deterministic), so the flag run's chunk ids stand for both."""
    out = []
    for row in rows:
        base = {"id": row["id"], "question": row["question"], "sources": row["sources"]}
        out.append({**base, "run": "flag", "reply": row["reply"]})
        draft = row["replace"]["draft_reply"]
        if draft is not None and draft != row["reply"]:
            out.append({**base, "run": "replace", "reply": draft})
    return out


def load_library(home: Path) -> Any:
    """The default library at `home` (the samples ingested by `assistant demo`)."""
    from assistant.api import Assistant
    from assistant.config import Settings

    settings = Settings(home=home, _env_file=None)  # type: ignore[call-arg]
    return Assistant(settings).library(None, must_exist=True)


def sources_of(chunk_ids: Sequence[str], library: Any) -> tuple[list[Source], dict[str, Article]]:
    """The numbered sources [1]..[n] rebuilt from chunk ids, as the answer numbered them."""
    by_id = {}
    articles: dict[str, Article] = {}
    for article in library.articles():
        for chunk in library.chunks(article.id):
            by_id[chunk.id] = chunk
            articles[article.id] = article
    missing = [c for c in chunk_ids if c not in by_id]
    if missing:
        raise SystemExit(f"chunks {missing[:3]} are not in the library: run `assistant demo`")
    hits = [Hit(chunk=by_id[c], score=0.0) for c in chunk_ids]
    return number_sources(hits, articles), articles


def claims_of(
    reply: str, sources: Sequence[Source], articles: dict[str, Article]
) -> list[dict[str, Any]]:
    """Every claim of a reply (`split_claims` of each answer sentence) with two verdicts:

    - `verdict`: the product's, from `check_citations` with the answer's sources: a claim of a
      sentence that cites no valid source is `uncited` (flagged, never compared);
    - `verdict_all`: the same rules (`check_sentence`) as if the sentence cited every source the
      model was given, which is how `check_sentence` treats a sentence with no markers.
    """
    checked = check_citations(reply, sources, articles)
    checks = iter(checked.claims)
    everything = [
        Evidence(number=s.number, text=quote, date=s.date)
        for s in sources
        for quote, _, _ in source_sentences(s, articles.get(s.hit.chunk.article_id))
    ]
    out = []
    for index, sentence in enumerate(answer_sentences(checked.text)):
        valid, _ = split_citations(sentence, len(sources))
        pieces = split_claims(sentence)
        against_all = check_sentence(sentence, everything)
        for claim, other in zip(pieces, against_all, strict=True):
            own = [int(n) for n in _MARKER.findall(claim)]
            cited = [n for n in dict.fromkeys(own or valid) if 1 <= n <= len(sources)]
            if valid:
                check = next(checks)
                verdict, reason = check.verdict.value, check.reason
            else:
                verdict, reason = "uncited", "the sentence cites no valid source"
            out.append(
                {
                    "sentence": index,
                    "claim": claim,
                    "cited": cited,
                    "verdict": verdict,
                    "reason": reason,
                    "verdict_all": other.verdict.value,
                    "reason_all": other.reason,
                }
            )
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def write_jsonl(path: Path, items: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")


def _key(reply_id: str, run_name: str, text: str) -> tuple[str, str, str]:
    return reply_id, run_name, " ".join(text.split())


def all_claims(replies: Sequence[dict[str, Any]], library: Any) -> list[dict[str, Any]]:
    """The claims of every reply, each with its reply's id and run."""
    out = []
    for reply in replies:
        sources, articles = sources_of(reply["sources"], library)
        for claim in claims_of(reply["reply"], sources, articles):
            out.append({"id": reply["id"], "run": reply.get("run", "flag"), **claim})
    return out


def join_labels(
    labels: Sequence[dict[str, Any]], claims: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(labelled claims with the checker's verdicts, labels whose claim is not in the replies)."""
    by_key = {_key(c["id"], c["run"], c["claim"]): c for c in claims}
    joined, unmatched = [], []
    for label in labels:
        if label["label"] not in LABELS:
            raise SystemExit(f"label {label['label']!r} is not one of {LABELS}: {label}")
        found = by_key.get(_key(label["id"], label.get("run", "flag"), label["claim"]))
        if found is None:
            unmatched.append(label)
            continue
        verdicts = ("verdict", "reason", "verdict_all", "reason_all")
        joined.append({**label, **{k: found[k] for k in verdicts}})
    return joined, unmatched


def confusion(
    joined: Sequence[dict[str, Any]], column: str, verdicts: Sequence[str]
) -> dict[str, dict[str, int]]:
    """label -> checker verdict -> count."""
    table = {label: dict.fromkeys(verdicts, 0) for label in LABELS}
    for row in joined:
        table[row["label"]][row[column]] += 1
    return table


def precision_recall(
    joined: Sequence[dict[str, Any]], column: str, predicted: set[str], actual: set[str]
) -> dict[str, Any]:
    """Precision and recall of 'checker verdict in predicted' for 'label in actual'."""
    tp = sum(r[column] in predicted and r["label"] in actual for r in joined)
    fp = sum(r[column] in predicted and r["label"] not in actual for r in joined)
    fn = sum(r[column] not in predicted and r["label"] in actual for r in joined)
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


BAD = {"contradicted", "not_found"}
SCORES = {
    # name: (column, checker says, label is)
    "product: contradicted / contradicted": ("verdict", {"contradicted"}, {"contradicted"}),
    "product: contradicted / not supported": ("verdict", {"contradicted"}, BAD),
    "product: contradicted or not_found / not supported": ("verdict", BAD, BAD),
    "product: any flag (incl. uncited) / not supported": ("verdict", BAD | {"uncited"}, BAD),
    "all sources: contradicted / contradicted": ("verdict_all", {"contradicted"}, {"contradicted"}),
    "all sources: contradicted / not supported": ("verdict_all", {"contradicted"}, BAD),
    "all sources: contradicted or not_found / not supported": ("verdict_all", BAD, BAD),
}


def label_report(joined: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Confusion tables and precision/recall over the labelled claims."""
    return {
        "n_labelled": len(joined),
        "n_cited": sum(r["verdict"] != "uncited" for r in joined),
        "labels": {k: sum(r["label"] == k for r in joined) for k in LABELS},
        "confusion": confusion(joined, "verdict", VERDICTS),
        "confusion_all_sources": confusion(joined, "verdict_all", VERDICTS[:3]),
        "scores": {
            name: precision_recall(joined, column, predicted, actual)
            for name, (column, predicted, actual) in SCORES.items()
        },
    }


# ---------------------------------------------------------------------------------------------
# Markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def examples(rows: Sequence[dict[str, Any]], verdict: str, n: int = 5) -> list[dict[str, Any]]:
    """Up to n claims from different questions: two the label agrees with, then misses."""
    agree = "supported" if verdict == "supported" else None

    def right(row: dict[str, Any]) -> bool:
        return row["label"] == verdict if agree else row["label"] != "supported"

    picked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for want, limit in ((True, 2), (False, n)):
        for row in rows:
            if len(picked) >= limit or right(row) is not want or row["id"] in seen:
                continue
            picked.append(row)
            seen.add(row["id"])
    for row in rows:  # fill up from questions already shown
        if len(picked) < n and row not in picked:
            picked.append(row)
    return picked


def _table(title: str, table: dict[str, dict[str, int]]) -> list[str]:
    columns = list(next(iter(table.values())))
    lines = ["", f"### {title}", "", "| label \\ checker | " + " | ".join(columns) + " | total |"]
    lines.append("|---" * (len(columns) + 2) + "|")
    for label, row in table.items():
        cells = " | ".join(str(row[v]) for v in columns)
        lines.append(f"| {label} | {cells} | {sum(row.values())} |")
    return lines


def markdown(
    rows: Sequence[dict[str, Any]],
    stats: dict[str, Any] | None,
    labels: dict[str, Any] | None,
    joined: Sequence[dict[str, Any]],
    meta: dict[str, Any],
) -> str:
    lines = [f"# {meta.get('model', 'LLM')} on the seed article", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items()]
    if stats:
        lines += [
            "",
            "## Outcomes",
            "",
            "| policy | " + " | ".join(OUTCOMES) + " | right | wrong |",
        ]
        lines.append("|---" * (len(OUTCOMES) + 3) + "|")
        for policy in ("flag", "replace"):
            s = stats[policy]
            counts = " | ".join(str(s["outcomes"].get(k, 0)) for k in OUTCOMES)
            lines.append(f"| {policy} | {counts} | {s['right']} | {s['wrong']} |")
        lines += [
            "",
            f"Replies with at least one valid citation: {stats['replies_with_a_valid_citation']}"
            f"/{stats['n']}; the server gave the same reply in both runs: "
            f"{stats['replies_identical_in_both_runs']}/{stats['n']}.",
        ]
    if rows:
        lines += [
            "",
            "## Per question",
            "",
            "| id | model reply (flag run, shortened) | checker flags | flag: shown is | "
            "replace: outcome | replace: shown (shortened) | replace: shown is |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            kinds = Counter(f["kind"] for f in r["flags"])
            flags = ", ".join(f"{k}×{n}" if n > 1 else k for k, n in kinds.items()) or "–"
            lines.append(
                f"| {r['id']} | {_cell(short(r['reply'], 120))} | {flags} | "
                f"{'right' if r['flag']['right'] else 'wrong'} | {r['replace']['outcome']} | "
                f"{_cell(short(r['replace']['text'], 90))} | "
                f"{'right' if r['replace']['right'] else 'wrong'} |"
            )
    if labels:
        lines += ["", "## Hand-labelled claims", ""]
        lines.append(
            f"{labels['n_labelled']} claims labelled ({labels['labels']}); "
            f"{labels['n_cited']} of them cite a valid source."
        )
        lines += _table("label × checker verdict (product: check_citations)", labels["confusion"])
        lines += _table(
            "label × checker verdict if each sentence cited all its sources (check_sentence)",
            labels["confusion_all_sources"],
        )
        lines += ["", "### Precision / recall", "", "| checker says / label is | P | R |"]
        lines.append("|---|---|---|")
        for name, pr in labels["scores"].items():
            lines.append(
                f"| {name} | {pr['precision']} ({pr['tp']}/{pr['tp'] + pr['fp']}) | "
                f"{pr['recall']} ({pr['tp']}/{pr['tp'] + pr['fn']}) |"
            )
        lines += [
            "",
            "`verdict`: the product's (`check_citations`); a claim whose sentence cites no valid "
            "source is `uncited`: flagged, never compared. `all sources`: the same rules "
            "(`check_sentence`) as if each sentence cited every source the model was given (the "
            "retrieved chunks). Labels were given against the whole article.",
            "",
            "### Examples per checker verdict (all sources)",
            "",
        ]
        for verdict in VERDICTS[:3]:
            lines += ["", f"**{verdict}**", ""]
            for r in examples([j for j in joined if j["verdict_all"] == verdict], verdict):
                lines.append(
                    f"- `{r['id']}` “{_cell(short(r['claim'], 140))}” — label {r['label']}; "
                    f"checker: {_cell(short(r['reason_all'], 120))}"
                )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (http://HOST:PORT/v1)")
    parser.add_argument("--model", default="smollm2", help="model name sent to the server")
    parser.add_argument("--api-key", default="anything", help="sent as OPENAI_API_KEY")
    parser.add_argument("--home", type=Path, required=True, help="ASSISTANT_HOME for the run")
    parser.add_argument("--out", type=Path, required=True, help="report folder")
    parser.add_argument("--cases", type=Path, default=CASES, help="seed cases (YAML)")
    parser.add_argument("--limit", type=int, default=32, help="N question cases")
    parser.add_argument("--skip", type=int, default=0, help="after skipping the first N")
    parser.add_argument("--article", default=SEED, help="ask about this article only")
    parser.add_argument("--context-tokens", type=int, default=4096, help="the server's n_ctx")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per CLI call")
    parser.add_argument("--labels", type=Path, help="hand labels (JSONL) to score the checker")
    parser.add_argument(
        "--replies", type=Path, help="recorded replies (OUT/replies.jsonl) instead of a run"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.replies is None and not args.base_url:
        parser.error("give --base-url (to run the model) or --replies (recorded replies)")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "model": args.model,
        "cases": f"question cases {args.skip + 1}-{args.skip + args.limit} of {args.cases.name}",
        "article": args.article,
    }
    rows: list[dict[str, Any]] = []
    stats = None
    if args.replies is None:
        meta["base_url"] = args.base_url
        rows = run(args)
        stats = summary(rows)
        replies = replies_of(rows)
        write_jsonl(args.out / "replies.jsonl", replies)
    else:
        meta["replies"] = args.replies.name
        replies = read_jsonl(args.replies)
        args.home.mkdir(parents=True, exist_ok=True)
        run_cli(["demo"], cli_env(args.home, "", "", "", 4096), args.home, args.timeout)
    claims = all_claims(replies, load_library(args.home))
    write_jsonl(args.out / "claims.jsonl", claims)
    labels_report, joined = None, []
    if args.labels is not None:
        joined, unmatched = join_labels(read_jsonl(args.labels), claims)
        if unmatched:
            print(f"{len(unmatched)} labelled claim(s) are not in these replies:", file=sys.stderr)
            for label in unmatched[:10]:
                print(f"  {label['id']}: {label['claim']!r}", file=sys.stderr)
        labels_report = {**label_report(joined), "unmatched": len(unmatched)}
    report = {
        "meta": meta,
        "summary": stats,
        "rows": rows,
        "labels": labels_report,
        "labelled_claims": joined,
    }
    (args.out / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    (args.out / "report.md").write_text(
        markdown(rows, stats, labels_report, joined, meta), encoding="utf-8"
    )
    if stats:
        for policy in ("flag", "replace"):
            s = stats[policy]
            print(f"{policy:<8} {s['outcomes']}  right {s['right']}  wrong {s['wrong']}")
    print(f"{len(replies)} replies, {len(claims)} claims: {args.out / 'claims.jsonl'}")
    if labels_report:
        for name, pr in labels_report["scores"].items():
            print(f"{name:<55} P {pr['precision']}  R {pr['recall']}")
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
