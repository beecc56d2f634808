"""What every language family shares: writing fences to temp files once, and mapping lines back."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scripts.fence_info import lexer_key, title_lexer
from scripts.pages import Fence, Origin, Page
from scripts.report import Finding

TOOLS_ROOT = Path(__file__).resolve().parents[2]  # the repository that holds scripts/
# A parse error in a fence whose title names a file of another language is most likely the wrong language.
PARSE_CHECKS = {"python-compile", "yaml-parse", "json-parse", "toml-parse"}


def title_hint(fence: Fence) -> str | None:
    title = fence.attrs.get("title")
    lexer = title_lexer(title) if title else None
    if lexer is None or lexer.aliases[0] == fence.key:
        return None
    return f"the title '{title}' names a {lexer.name} file: is the fence's language ({fence.lang}) right?"


@dataclass
class Context:
    root: Path  # repository root: tool config files live here
    tmp: Path  # a private temporary directory for this run
    hits: list[tuple[Fence, Finding]] = field(default_factory=list)

    def config_file(self, name: str) -> Path | None:
        """A tool's config file: the project's own, else this repository's (so test projects share it)."""
        for folder in (self.root, TOOLS_ROOT):
            if (folder / name).is_file():
                return folder / name
        return None

    def report(self, fence: Fence, line: int, check: str, message: str) -> None:
        if check in PARSE_CHECKS and (hint := title_hint(fence)):
            message = f"{message}; {hint}"
        o = fence.at(line)
        self.hits.append((fence, Finding(o.path, o.line, check, message)))

    def write(self, fences: list[Fence], family: str, suffix: str, render=None) -> dict[str, tuple[Fence, int]]:
        """Write each fence to its own file; return file name -> (fence, lines added on top).

        `render(fence)` may return (text, offset) to prepend lines (a shebang) or blank out lines.
        """
        folder = self.tmp / family
        folder.mkdir(parents=True, exist_ok=True)
        names = {}
        for i, fence in enumerate(fences):
            text, offset = render(fence) if render else (fence.text, 0)
            path = folder / f"f{i:05d}{suffix}"
            path.write_text(text, encoding="utf-8")
            names[str(path)] = (fence, offset)
            names[path.name] = (fence, offset)
        return names


def fence_from_file(path: Path, root: Path, lang: str) -> Fence:
    """A whole file as a fence, so examples/ files get exactly the checks a page's fences get."""
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    body = path.read_text(encoding="utf-8").split("\n")
    if body and body[-1] == "":
        body.pop()
    page = Page(rel, rel)
    return Fence(page, lang, lang, [], {}, Origin(rel, 1), body,
                 [Origin(rel, i + 1) for i in range(len(body))], key=lexer_key(lang))
