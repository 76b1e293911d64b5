"""One evaluation run: load the gold annotations, convert each annotated page of the corpus with
mappings.convert, read the resources (extract.py) and judge them (score.py). A page that fails to
convert is kept as a failure whose gold facts all count as missed, so a crash never improves a score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mappings.convert import convert_file

from .extract import extract
from .gold import GoldError, GoldPage, load_dir
from .score import PageResult, add_counts, effect_frequencies, failed_page, metrics, score_page


@dataclass
class Evaluation:
    gold_dir: Path
    corpus: Path
    pages: list[GoldPage] = field(default_factory=list)
    results: list[PageResult] = field(default_factory=list)
    gold_errors: list[GoldError] = field(default_factory=list)

    @property
    def failures(self) -> list[PageResult]:
        return [r for r in self.results if r.error]

    def counts_by_page(self) -> dict[str, dict]:
        return {r.page: r.counts() for r in self.results}

    def totals(self) -> dict:
        return add_counts([r.counts() for r in self.results])

    def metrics(self) -> dict:
        out = metrics(self.totals())
        agree, compared = effect_frequencies(self.results)
        out["side_effect_frequency"] = {
            "agree": agree,
            "compared": compared,
            "share": agree / compared if compared else None,
        }
        return out


def evaluate(gold_dir: Path | str, corpus: Path | str, pages: list[str] | None = None) -> Evaluation:
    gold_dir, corpus = Path(gold_dir), Path(corpus)
    gold, errors = load_dir(gold_dir, pages)
    evaluation = Evaluation(gold_dir, corpus, gold, gold_errors=errors)
    for page in gold:
        source = corpus / page.file
        if not source.is_file():
            evaluation.results.append(failed_page(page, f"{source} not found"))
            continue
        try:
            conversion = convert_file(source)
        except Exception as exc:  # a crash on one page is reported and scored as nothing found
            evaluation.results.append(failed_page(page, f"{type(exc).__name__}: {exc}"))
            continue
        evaluation.results.append(score_page(page, extract(conversion.resources)))
    return evaluation
