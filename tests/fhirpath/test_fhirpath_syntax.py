"""syntax.py: expressions as text."""

from __future__ import annotations

from fhir_service.fhirpath import split_union, strip_outer_parens


def test_union_split_at_the_top_level_only():
    assert split_union("A.x | (B.y | B.z) | C.w.where(a = 'p|q')") == [
        "A.x",
        "(B.y | B.z)",
        "C.w.where(a = 'p|q')",
    ]


def test_outer_parentheses_go_only_when_they_enclose_everything():
    assert strip_outer_parens("((a.b))") == "a.b"
    assert strip_outer_parens("(a | b)") == "(a | b)"
    assert strip_outer_parens("(a) | (b)") == "(a) | (b)"
    assert strip_outer_parens("(a).b") == "(a).b"
