"""The README is a front page and the docs hold together: short README, its set-up commands first (the test
command the same as CI's), every relative link resolving, each docs page saying who it is for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = ["guide.md", "how-it-works.md", "benchmarks.md", "fast-networks.md", "deployment.md"]
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]+)\"")


def _fenced_blocks(text: str) -> list[list[str]]:
    """The lines of each fenced code block, in order."""
    return [block.splitlines()[1:-1] for block in FENCE.findall(text)]


def _ci_command() -> str:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")][-1]


def test_readme_is_at_most_150_lines():
    assert len(README.read_text().splitlines()) <= 150


def test_readme_opens_with_the_two_setup_commands():
    text = README.read_text()
    first = FENCE.search(text)
    assert first is not None and "\n## " not in text[: first.start()], "the commands come before any section"
    commands = [re.sub(r"\s+#.*$", "", line).strip() for line in _fenced_blocks(text)[0]]
    commands = [c for c in commands if c]
    assert _ci_command() in commands
    assert any(c.startswith("pip install -r requirements.txt") and "app.py" in c for c in commands)


def _doc_files() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", _doc_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(doc: Path):
    text = FENCE.sub("", doc.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    targets = LINK.findall(text) + IMG_SRC.findall(text)
    missing = []
    for target in targets:
        if re.match(r"(https?:|mailto:|#)", target):
            continue
        path = target.split("#", 1)[0]
        if not (doc.parent / path).exists():
            missing.append(target)
    assert not missing, f"{doc.name}: links to nothing: {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_docs_page_says_who_it_is_for(page: str):
    path = ROOT / "docs" / page
    assert path.is_file()
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", path.read_text()) if p.strip()]
    first = next(p for p in paragraphs if not p.startswith("#"))
    assert re.search(r"\b[Ff]or ", first), f"{page}: its first paragraph should say who it is for"
