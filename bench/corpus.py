"""The monograph corpus and its ×N replica.

A replica is the same clinical content under new drug names (so new ids, new codes text, new
hashes): a formulary N times larger rather than N copies of the same drugs. Replica k renames every
component of the title to "Xkk-<name>" wherever it occurs, and puts the file under a new name. Files
are written one at a time, so memory stays flat whatever N is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import frontmatter

NOT_MONOGRAPHS = {"SOURCE.md", "README.md"}


def monograph_files(corpus: Path, limit: int | None = None) -> list[Path]:
    """The corpus' monographs in a stable order (MANIFEST.tsv misses files, so glob)."""
    files = sorted(p for p in corpus.rglob("*.md") if p.name not in NOT_MONOGRAPHS)
    return files[:limit] if limit else files


def components(title: str) -> list[str]:
    """ "A + B / C" → ["A", "B", "C"]: every name the replica must rename."""
    names = [n.strip() for n in re.split(r"\s*[+/,]\s*", title)]
    return sorted({n for n in names if len(n) >= 3}, key=len, reverse=True)  # longest first


def replica_text(text: str, k: int) -> str:
    title = str(frontmatter.loads(text).metadata.get("title") or "")
    names = components(title)
    if not names:
        return text
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names), re.IGNORECASE)
    tag = f"X{k:02d}-"
    return pattern.sub(lambda m: (tag if m.group(0)[0].isupper() else tag.lower()) + m.group(0), text)


def write_replicas(files: Iterable[Path], corpus: Path, out: Path, copies: range) -> Iterator[Path]:
    """Writes replica k of every file for k in `copies`, yielding each path as it is written."""
    for src in files:
        text = src.read_text(encoding="utf-8")
        rel = src.relative_to(corpus)
        for k in copies:
            dest = out / f"x{k:02d}" / rel.parent / f"x{k:02d}-{rel.name}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(replica_text(text, k), encoding="utf-8")
            yield dest
