"""A fence's info string as MkDocs renders it: language, classes and attributes, whether pymdownx.superfences
renders it as code at all, and which Pygments lexer (hence which linter) its language names.

superfences' own patterns and Pygments' own lexer lookup are used, so the checks agree with the page.
"""
from __future__ import annotations

import difflib
import re
from functools import lru_cache

from pygments.lexers import get_all_lexers, get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound
from pymdownx.superfences import RE_HL_LINES, RE_LINENUMS, RE_NESTED_FENCE_START, RE_OPTIONS

RE_ATTR = re.compile(r"""\.(?P<cls>[^\s.#{}=]+)|\#(?P<id>[^\s.#{}=]+)|(?P<key>[\w-]+)=(?P<val>"[^"]*"|'[^']*'|[^\s}]+)""")
# The options superfences' highlight validator accepts without braces (pymdownx 10.x-13.x), and the value each takes.
PARAGRAPH = "published as a paragraph with literal backticks"
BARE_OPTIONS = {"hl_lines": RE_HL_LINES, "linenums": RE_LINENUMS, "title": None, "title_mode": None}


def parse_info(info: str) -> tuple[str | None, list[str], dict[str, str]]:
    """Language, classes and attributes of a fence's info string.

    Both forms MkDocs accepts: ```` ```python title="x.py" ```` and ```` ```{.python .check-run} ````.
    An option written first (```` ``` title="x" ````) is not a language: superfences reads none there.
    """
    info = info.strip()
    lang = None
    rest = info
    if not info.startswith("{"):
        first, _, tail = info.partition(" ")
        if "=" not in first:
            lang, rest = first.lstrip(".") or None, tail  # superfences allows ```.sh
    classes, attrs = [], {}
    for m in RE_ATTR.finditer(rest):
        if m.group("cls"):
            classes.append(m.group("cls"))
        elif m.group("key"):
            v = m.group("val")
            attrs[m.group("key")] = v[1:-1] if v[:1] in "\"'" else v
    if lang is None and classes:
        lang = classes.pop(0)
    return (lang.lower() if lang else None), classes, attrs


def not_code_reason(info: str, custom_fences: tuple[str, ...] = (), use_pygments: bool = True) -> str | None:
    """Why superfences would not render this fence as its info string says, or None if it does.

    Mirrors SuperFencesBlockPreprocessor.search_nested/parse_options: attributes in braces are always read;
    without braces every option must be one the validator accepts. A custom fence (mermaid) accepts none, so
    it falls through to the highlighter and shows its source; the highlighter accepts only hl_lines, linenums,
    title and title_mode, and anything else abandons the fence, which is published as a paragraph with
    literal backticks (relaxed_headers, off by default, is not modelled).
    """
    m = RE_NESTED_FENCE_START.match("```" + info.strip())
    if m is None or m.group("attrs") is not None:
        return None
    if m.group("unrecognized"):
        return f"{PARAGRAPH} (superfences cannot read the options after the language)"
    options = m.group("options")
    if not options:
        return None
    for o in RE_OPTIONS.finditer(options):
        key, value = o.group("key"), o.group("value")
        pattern = BARE_OPTIONS.get(key, False)
        value = key if value is None else value  # superfences reads a bare `title` as title="title"
        if not use_pygments or pattern is False:
            return f"{PARAGRAPH} ('{key}' is not an option superfences reads without braces)"
        if pattern is not None and not pattern.match(value):
            return f"{PARAGRAPH} ('{key}' needs a valid quoted value)"
    if (m.group("lang") or "") in custom_fences:
        return (f"shown as highlighted source, not as a {m.group('lang')} fence (a custom fence takes no options "
                "without braces)")
    return None


@lru_cache(maxsize=None)
def lexer_key(lang: str) -> str | None:
    """The first alias of the Pygments lexer `lang` names (`docker` -> `docker`, `zsh` -> `bash`), or None."""
    try:
        return get_lexer_by_name(lang).aliases[0]
    except ClassNotFound:
        return None


@lru_cache(maxsize=None)
def title_lexer(title: str):
    """The Pygments lexer a fence's title names by its file name (`Dockerfile`, `app.py`), or None."""
    name = title.rsplit("/", 1)[-1]
    if name.lower().startswith("dockerfile") or name.lower().endswith(".dockerfile"):
        name = "Dockerfile"  # Dockerfile.gpu, app.Dockerfile
    try:
        return get_lexer_for_filename(name)
    except ClassNotFound:
        return None


@lru_cache(maxsize=1)
def _all_aliases() -> list[str]:
    return sorted({a for _, aliases, _, _ in get_all_lexers() for a in aliases})


def close_names(lang: str, extra=()) -> list[str]:
    return difflib.get_close_matches(lang, [*_all_aliases(), *extra], n=3, cutoff=0.75)
