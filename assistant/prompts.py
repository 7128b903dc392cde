"""Load, check and render the prompt files in prompts/ (string.Template syntax: $name)."""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from assistant.errors import PromptError


def _prompts_dir() -> Path:
    """prompts/ of the source tree; in an installed wheel, the copy packaged beside us."""
    source_tree = Path(__file__).resolve().parent.parent / "prompts"
    return source_tree if source_tree.is_dir() else Path(__file__).resolve().parent / "prompt_files"


PROMPTS_DIR = _prompts_dir()


@lru_cache(maxsize=32)
def load(name: str, folder: Path = PROMPTS_DIR) -> string.Template:
    """The template of prompts/<name>.md."""
    path = folder / f"{name}.md"
    try:
        return string.Template(path.read_text(encoding="utf-8").strip())
    except OSError as error:
        raise PromptError(f"prompt file {path} cannot be read: {error.strerror}") from error


def variables(template: string.Template) -> set[str]:
    """The $names a template uses."""
    names = set()
    for match in template.pattern.finditer(template.template):
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
        elif match.group("invalid") is not None:
            raise PromptError(
                f"bad '$' at offset {match.start()} in prompt {template.template[:40]!r}"
            )
    return names


def render(name: str, folder: Path = PROMPTS_DIR, **values: str) -> str:
    """Fill a prompt; every variable must be given and every value must be used."""
    template = load(name, folder)
    needed = variables(template)
    missing = needed - values.keys()
    if missing:
        raise PromptError(f"{name}.md needs {sorted(missing)}")
    unused = values.keys() - needed
    if unused:
        raise PromptError(f"{name}.md does not use {sorted(unused)}")
    return template.substitute(values)
