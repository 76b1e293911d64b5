"""Summarise a py-spy collapsed-stack file (`py-spy record -f raw`): the functions with the most
samples, inclusive (on the stack) and self (at the top), with file:line.

    python -m bench.hotspots PROFILE.raw [--top 30] [--match fhir_service] [--within Flask.__call__]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            # drop py-spy's "process …"/"thread …" pseudo-frames (--subprocesses, --threads)
            real = [f for f in frames.split(";") if not f.startswith(("process ", "thread "))]
            stacks.append((real, int(count)))
    return stacks


def short(frame: str) -> str:
    """'handle (/work/main/fhir_service/rest/app.py:42)' → 'handle fhir_service/rest/app.py:42'."""
    m = FRAME.match(frame)
    if not m:
        return frame
    file = re.sub(r".*/(site-packages|main)/", "", m["file"])
    return f"{m['func']} {file}" + (f":{m['line']}" if m["line"] else "")


def summarise(stacks, match: str | None):
    total = sum(c for _, c in stacks)
    inclusive, self_ = Counter(), Counter()
    for frames, count in stacks:
        names = [short(f) for f in frames]
        for name in set(names):
            if not match or match in name:
                inclusive[name] += count
        top = next((n for n in reversed(names) if not match or match in n), None)
        if top:
            self_[top] += count
    return total, inclusive, self_


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("profile", type=Path)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--match", help="only frames whose name contains this (e.g. fhir_service)")
    p.add_argument("--within", help="only stacks through a frame containing this (e.g. Flask.__call__)")
    args = p.parse_args(argv)
    stacks = parse(args.profile)
    if args.within:  # e.g. drop the idle threads of a gthread worker
        stacks = [(frames, n) for frames, n in stacks if any(args.within in f for f in frames)]
    total, inclusive, self_ = summarise(stacks, args.match)
    for title, counter in (
        ("inclusive", inclusive),
        ("self" + (f" (innermost {args.match})" if args.match else ""), self_),
    ):
        print(f"\n{title}: % of {total} samples")
        for name, count in counter.most_common(args.top):
            print(f"{100 * count / total:6.1f}  {name}")


if __name__ == "__main__":
    main()
