"""Split a SQuAD file by paragraph into a tune file and a held-out file.

    python eval/squad_split.py ../shared/data/squad2_dev_tune/squad2-tune.json --out ~/data/squad

A paragraph (with all its questions) goes to `squad-tune.json` when the first byte of
sha256("squad:<title>#<paragraph index>") is even, else to `squad-heldout.json`: the same rule the
earlier tuner used, so the held-out half stays one nobody tuned on. Both files are standard SQuAD
JSON, for `assistant eval` and eval/train_reader.py. Keep them outside the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any


def in_tune_split(title: str, index: int) -> bool:
    """Whether paragraph `index` of article `title` is for tuning (else held out)."""
    return hashlib.sha256(f"squad:{title}#{index}".encode()).digest()[0] % 2 == 0


def split(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The SQuAD document cut into {"tune": ..., "heldout": ...}, articles kept in order."""
    out: dict[str, dict[str, Any]] = {
        name: {"version": data.get("version", "v2.0"), "data": []} for name in ("tune", "heldout")
    }
    for article in data["data"]:
        parts: dict[str, list[Any]] = {"tune": [], "heldout": []}
        for index, paragraph in enumerate(article["paragraphs"]):
            parts["tune" if in_tune_split(article["title"], index) else "heldout"].append(paragraph)
        for name, paragraphs in parts.items():
            if paragraphs:
                out[name]["data"].append({"title": article["title"], "paragraphs": paragraphs})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("squad", type=Path, help="a SQuAD v1.1/v2.0 JSON file")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (not the repo)")
    args = parser.parse_args(argv)
    parts = split(json.loads(args.squad.read_text(encoding="utf-8")))
    args.out.mkdir(parents=True, exist_ok=True)
    for name, document in parts.items():
        path = args.out / f"squad-{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        questions = sum(len(p["qas"]) for a in document["data"] for p in a["paragraphs"])
        paragraphs = sum(len(a["paragraphs"]) for a in document["data"])
        print(f"{path}: {paragraphs} paragraphs, {questions} questions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
