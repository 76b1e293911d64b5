"""The recorded scores (fixtures/gold/scores.json) and the check that no change makes them worse. The
file keeps each page's counts with the SHA-256 of its gold file, so the check re-adds the baseline over
exactly the pages whose annotation is unchanged and compares like with like while annotators keep
adding and correcting pages; a page added or edited since is reported, not held, until the baseline is
written again.
"""

from __future__ import annotations

import json
from pathlib import Path

from .gold import CLINICAL_TYPES
from .run import Evaluation
from .score import DOSING_KINDS, add_counts, metrics

# floats in scores.json are for reading; the check recomputes them from the counts
_DIGITS = 4


def _rounded(value):
    if isinstance(value, float):
        return round(value, _DIGITS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def baseline_data(evaluation: Evaluation) -> dict:
    counts = evaluation.counts_by_page()
    return {
        "about": "Scores of the converter on the gold annotations, written by `fhir-service eval GOLD_DIR "
        "--write-baseline`; tests/mappings/test_gold_eval.py holds every score at or above these.",
        "totals": _rounded(metrics(evaluation.totals())),
        "pages": {
            page.key: {"gold_sha256": page.sha256, "counts": counts[page.key]}
            for page in sorted(evaluation.pages, key=lambda p: p.key)
            if page.key in counts
        },
    }


def write_baseline(evaluation: Evaluation, path: Path | str) -> None:
    if evaluation.gold_errors or evaluation.failures:
        raise ValueError("not writing a baseline from a run with malformed gold files or failed conversions")
    data = baseline_data(evaluation)
    totals = json.dumps(data["totals"], indent=2, ensure_ascii=False).replace("\n", "\n  ")
    # one line per page keeps the file short and its diffs readable when the lead re-records it
    pages = [
        f"    {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, separators=(',', ':'))}"
        for key, value in data["pages"].items()
    ]
    text = "\n".join(
        [
            "{",
            f'  "about": {json.dumps(data["about"], ensure_ascii=False)},',
            f'  "totals": {totals},',
            '  "pages": {',
            ",\n".join(pages),
            "  }",
            "}",
        ]
    )
    Path(path).write_text(text + "\n", encoding="utf-8")


def load_baseline(path: Path | str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _pairs(m: dict) -> list[tuple[str, float | None, str, bool]]:
    """(name, value, detail, higher is better) of every held score."""
    out = []
    for kind in DOSING_KINDS:
        v = m["dosing"]["kinds"][kind]
        out.append((f"dosing precision: {kind}", v["precision"], f"{v['correct']}/{v['total']}", True))
    for name in ("amount", "overall"):
        v = m["dosing"][name]
        out.append((f"dosing precision: {name}", v["precision"], f"{v['correct']}/{v['total']}", True))
    v = m["stated_doses"]
    out.append(("stated doses structured correctly", v["share"], f"{v['correct']}/{v['total']}", True))
    out.append(("dangerous errors", float(m["dangerous"]), str(m["dangerous"]), False))
    for ctype in (*CLINICAL_TYPES, "other_than_side_effects"):
        v = m["clinical_use"][ctype]
        out.append((f"clinical use precision: {ctype}", v["precision"], f"{v['correct']}/{v['items']}", True))
        out.append((f"clinical use recall: {ctype}", v["recall"], f"{v['found']}/{v['gold']}", True))
    return out


def compare(evaluation: Evaluation, baseline: dict) -> tuple[list[str], list[str], list[str]]:
    """(regressions, held pages, pages not held) of this run against the baseline."""
    recorded = baseline.get("pages", {})
    current = {page.key: page for page in evaluation.pages}
    results = {r.page: r for r in evaluation.results}
    held = sorted(k for k, v in recorded.items() if k in current and current[k].sha256 == v["gold_sha256"])
    not_held = sorted(set(current) - set(held))
    problems = [f"{k}: failed to convert: {results[k].error}" for k in held if results[k].error]
    before = metrics(add_counts([recorded[k]["counts"] for k in held]))
    after = metrics(add_counts([results[k].counts() for k in held]))
    for (name, old, old_detail, up), (_, new, new_detail, _) in zip(
        _pairs(before), _pairs(after), strict=True
    ):
        if old is None or new is None:
            continue  # nothing to compare: no value was structured then, or none is now (text only)
        worse = new < old - 1e-12 if up else new > old + 1e-12
        if worse:
            problems.append(f"{name}: {old:.4g} ({old_detail}) before, {new:.4g} ({new_detail}) now")
    return problems, held, not_held
