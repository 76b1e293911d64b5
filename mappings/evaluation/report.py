"""What an evaluation prints and writes: the summary table (dosing value precision per kind, stated
doses structured correctly, dangerous errors, clinical-use precision and recall), every dangerous error
with its source sentence, the wrong age bands and as-needed flags on their own, per-page detail on
request, and the same numbers with every wrong value as JSON.
"""

from __future__ import annotations

from .gold import CLINICAL_TYPES
from .run import Evaluation
from .score import DOSING_KINDS, SEPARATE_KINDS, SIDE_EFFECTS, PageResult


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _row(label: str, correct: int, total: int, share: float | None) -> str:
    return f"  {label:<40} {correct:>5}/{total:<5} {percent(share):>8}"


def summary_lines(evaluation: Evaluation) -> list[str]:
    m = evaluation.metrics()
    out = [f"gold pages: {len(evaluation.pages)} ({len(evaluation.failures)} failed to convert)", ""]
    out.append("Dosing values (structured values correct / all structured values)")
    kinds = m["dosing"]["kinds"]
    for kind, label in DOSING_KINDS.items():
        v = kinds[kind]
        out.append(_row(label, v["correct"], v["total"], v["precision"]))
    a, o = m["dosing"]["amount"], m["dosing"]["overall"]
    out.append(_row("amount (per administration + per day)", a["correct"], a["total"], a["precision"]))
    out.append(_row("overall", o["correct"], o["total"], o["precision"]))
    s = m["stated_doses"]
    out += [
        "",
        "Stated doses structured correctly",
        _row("gold regimen doses", s["correct"], s["total"], s["share"]),
    ]
    separate = sum(
        1 for r in evaluation.results for j in r.dosing if not j.correct and j.kind in SEPARATE_KINDS
    )
    out += [
        "",
        f"Dangerous errors: {m['dangerous']}   (wrong age bands / as-needed, listed apart: {separate})",
    ]
    out += ["", "Clinical use                                 precision              recall"]
    cu = m["clinical_use"]

    def row(label, v):
        return (
            f"  {label:<32} {v['correct']:>5}/{v['items']:<5} {percent(v['precision']):>8}"
            f"   {v['found']:>5}/{v['gold']:<5} {percent(v['recall']):>8}"
        )

    for ctype in CLINICAL_TYPES:
        if ctype != SIDE_EFFECTS:
            out.append(row(ctype, cu[ctype]))
    out.append(row("other than side effects", cu["other_than_side_effects"]))
    out.append(row("side effects", cu[SIDE_EFFECTS]))
    f = m["side_effect_frequency"]
    out.append(
        f"  side-effect frequency agreeing with the gold: {f['agree']}/{f['compared']} ({percent(f['share'])})"
    )
    return out


def _clip(text: str, width: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def dangerous_lines(evaluation: Evaluation) -> list[str]:
    out = []
    for r in evaluation.results:
        for j in r.dosing:
            if j.dangerous:
                out.append(f"{r.page}  {j.kind}: {j.value}  — gold: {j.gold}  [{j.reason}]")
                out.append(f"    source: {_clip(j.source)}")
        for c in r.clinical:
            if c.dangerous:
                out.append(f"{r.page}  {c.type}: {_clip(c.item, 120)}  [{c.reason}]")
                out.append(f"    source: {_clip(c.source)}")
    return out


def separate_lines(evaluation: Evaluation) -> list[str]:
    out = []
    for r in evaluation.results:
        for j in r.dosing:
            if not j.correct and j.kind in SEPARATE_KINDS:
                out.append(
                    f"{r.page}  {j.kind}: {j.value}  — gold: {j.gold}  [{j.reason}]  source: {_clip(j.source, 120)}"
                )
    return out


def page_lines(r: PageResult) -> list[str]:
    """Everything judged on one page: the Dosage ↔ gold pairs with their values, the clinical items, the
    gold facts found or missed."""
    counts = r.counts()
    dosing_c = sum(v["correct"] for v in counts["dosing"].values())
    dosing_n = sum(v["total"] for v in counts["dosing"].values())
    sd = counts["stated_doses"]
    out = [
        f"== {r.page}: dosing {dosing_c}/{dosing_n}, stated doses {sd['correct']}/{sd['total']}, "
        f"dangerous {counts['dangerous']}" + (f"  FAILED: {r.error}" if r.error else "")
    ]
    by_path: dict[str, list] = {}
    for j in r.dosing:
        by_path.setdefault(j.path, []).append(j)
    for m in r.matches:
        out.append(f"  Dosage {m.path.split('.', 1)[-1]}")
        out.append(f"    text: {_clip(m.text, 200)}")
        out.append(
            f"    gold: {m.gold_ref or '(none)'} {m.relation}: {_clip(m.quote, 160)}"
            if m.gold_ref
            else "    gold: (none)"
        )
        for j in by_path.pop(m.path, []):
            mark = "ok " if j.correct else ("DANGER" if j.dangerous else "wrong")
            out.append(
                f"      {mark:<6} {j.kind}: {j.value}  (gold: {j.gold}){'  ' + j.reason if j.reason else ''}"
            )
    for path, js in by_path.items():
        for j in js:
            mark = "ok " if j.correct else ("DANGER" if j.dangerous else "wrong")
            out.append(
                f"  {mark:<6} {j.kind}: {j.value}  (gold: {j.gold}) at {path.split('.', 1)[-1]}"
                f"{'  ' + j.reason if j.reason else ''}"
            )
    for label, quote, ok, by in r.stated:
        verdict = f"structured (by {by.split('.', 1)[-1]})" if ok else "missed"
        out.append(f"  stated {label} {verdict}: {_clip(quote, 120)}")
    for c in r.clinical:
        mark = "ok " if c.correct else ("DANGER" if c.dangerous else "wrong")
        matched = f" = {', '.join(c.matched)}" if c.matched else ""
        out.append(
            f"  {mark:<6} {c.type}: {_clip(c.item, 100)}{matched}{'  ' + c.reason if c.reason else ''}"
        )
    for ctype, items in r.gold_items.items():
        missed = [g.item for g, found in items if not found]
        if missed:
            out.append(f"  missed {ctype}: {'; '.join(missed)}")
    return out


def to_json(evaluation: Evaluation) -> dict:
    return {
        "gold_dir": str(evaluation.gold_dir),
        "corpus": str(evaluation.corpus),
        "pages": len(evaluation.pages),
        "gold_errors": [str(e) for e in evaluation.gold_errors],
        "failed": [{"page": r.page, "error": r.error} for r in evaluation.failures],
        "scores": evaluation.metrics(),
        "per_page": evaluation.counts_by_page(),
        "errors": [
            *(j.as_dict() for r in evaluation.results for j in r.dosing if not j.correct),
            *(
                {**c.as_dict(), "kind": c.type}
                for r in evaluation.results
                for c in r.clinical
                if not c.correct
            ),
        ],
    }
