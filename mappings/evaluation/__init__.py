"""Scores the monograph converter against hand-made gold annotations (fixtures/gold): how many of the
structured dosing values it emits agree with what the page states, how many stated doses end up
structured correctly, how precise and complete its clinical-use items are, and every dangerous error (a
structured value that contradicts the text). Pure Python over mappings.convert; `fhir-service eval`
is the command line, fixtures/gold/README.md ("Scoring") the rules.
"""

from .baseline import compare, load_baseline, write_baseline
from .gold import GoldError, load_dir, load_page
from .run import Evaluation, evaluate

__all__ = [
    "Evaluation",
    "GoldError",
    "compare",
    "evaluate",
    "load_baseline",
    "load_dir",
    "load_page",
    "write_baseline",
]
