"""`fhir-service eval GOLD_DIR`: converts every page that has a gold annotation and scores the FHIR
resources against it (mappings/evaluation; the rules are in fixtures/gold/README.md, "Scoring").
Prints the summary table, every dangerous error with its source sentence and the wrong age bands and
as-needed flags; `--json` writes all the numbers and every wrong value; `--write-baseline` records the
scores in GOLD_DIR/scores.json for tests/mappings/test_gold_eval.py. Exit 1 when a gold file is
malformed or a page fails to convert.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command("eval")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--corpus",
    type=click.Path(path_type=Path),
    default=Path("../shared/monographs"),
    show_default=True,
    help="The monograph folder the gold files' `file` paths are relative to.",
)
@click.option(
    "--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write all numbers here."
)
@click.option(
    "--page", "pages", multiple=True, help="Only this page (c/x.md, c/x or its gold file); repeatable."
)
@click.option(
    "--verbose", is_flag=True, help="Per page: every Dosage with its gold statement and judged values."
)
@click.option("--write-baseline", is_flag=True, help="Record the scores in GOLD_DIR/scores.json.")
def evaluate(gold_dir: Path, corpus: Path, json_out, pages, verbose, write_baseline):
    """Score the monograph converter against the gold annotations in GOLD_DIR."""
    from mappings.evaluation import evaluate as run
    from mappings.evaluation import write_baseline as write
    from mappings.evaluation.report import dangerous_lines, page_lines, separate_lines, summary_lines, to_json

    if not corpus.is_dir():
        raise click.BadParameter(
            f"corpus folder {corpus} not found (give --corpus DIR)", param_hint="--corpus"
        )
    if write_baseline and pages:
        raise click.UsageError("--write-baseline records every page; do not combine it with --page")
    evaluation = run(gold_dir, corpus, list(pages) or None)
    for error in evaluation.gold_errors:
        click.echo(f"GOLD ERROR {error}", err=True)
    for failed in evaluation.failures:
        click.echo(f"CONVERT FAILED {failed.page}: {failed.error}", err=True)
    if verbose:
        for result in evaluation.results:
            for line in page_lines(result):
                click.echo(line)
        click.echo("")
    for line in summary_lines(evaluation):
        click.echo(line)
    dangerous = dangerous_lines(evaluation)
    click.echo("")
    click.echo(f"Dangerous errors ({evaluation.metrics()['dangerous']}):")
    for line in dangerous or ["  none"]:
        click.echo(line if line.startswith(" ") else f"  {line}")
    separate = separate_lines(evaluation)
    if separate:
        click.echo("")
        click.echo(f"Wrong age bands and as-needed flags ({len(separate)}, not counted as dangerous):")
        for line in separate:
            click.echo(f"  {line}")
    if json_out:
        json_out.write_text(
            json.dumps(to_json(evaluation), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        click.echo(f"\nwrote {json_out}")
    if write_baseline:
        target = gold_dir / "scores.json"
        try:
            write(evaluation, target)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"wrote {target}")
    if evaluation.gold_errors or evaluation.failures:
        sys.exit(1)
