"""Property tests of the two parsers that read untrusted text:

- the monograph parser (`mappings.parse.parse_text`, behind `fhir-service parse`) returns a Monograph
  for any text; what it cannot read becomes a diagnostic in `unmapped`, never an exception;
- the search-parameter parser (`fhir_service.search.query.parse.parse`) either returns a Query or
  raises SearchError with a 4xx status; any other exception is a bug.

Example counts: tests/fuzz/fuzz_strategies.examples (FHIR_SERVICE_FUZZ_SCALE multiplies them)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from fuzz_strategies import FUZZ, arbitrary_text, examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fhir_service.cli.parse import parse as parse_command
from fhir_service.interactions.errors import as_fhir_error
from fhir_service.search.errors import SearchError
from fhir_service.search.query.parse import parse as parse_search
from mappings.model import dump
from mappings.parse import parse_text


@settings(max_examples=examples(150), **FUZZ)
@given(arbitrary_text)
# found by this test: front matter that is not valid YAML raised from python-frontmatter / PyYAML
@example("---\ntitle: [\n---\n# Foo\n### Usage\nFoo treats pain.\n")
@example("---\n? [a]\n: 1\n---\n# Foo\n")  # unhashable key: ConstructorError
@example("---\n!!python/object:os.system x\n---\n")  # unknown tag: ConstructorError
@example("---\n%\x81---\n---\ng")  # control character: ReaderError
@example("---\na: &a [*a]\n---\n")  # a self-referencing alias: RecursionError when made JSON-able
@example('{\n"a":\n}\nbody')  # JSON front matter that does not load
def test_monograph_parser_never_raises(text):
    mono = parse_text(text, "fuzz.md")
    json.dumps(dump(mono))  # the model always serialises, as `fhir-service parse` prints it
    problems = [u.text for u in mono.unmapped if u.section == "(front matter)"]
    assert all(p.startswith("front matter ignored, it does not load (") for p in problems)
    assert not problems or mono.front_matter == {}


def test_broken_front_matter_is_a_diagnostic_and_the_body_is_still_parsed():
    mono = parse_text("---\ntitle: [\n---\n# Foo\n### Usage\nFoo treats pain.\n", "foo.md")
    assert mono.title == "Foo" and mono.usage_text == "Foo treats pain."
    [problem] = [u.text for u in mono.unmapped if u.section == "(front matter)"]
    assert problem.startswith("front matter ignored, it does not load (") and "title: [" in problem


def test_parse_command_names_the_problem(tmp_path):
    path = tmp_path / "broken.md"
    path.write_text("---\na: &a [*a]\n---\n# Foo\n### Usage\nFoo treats pain.\n")
    result = CliRunner().invoke(parse_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert "self-referencing alias" in result.output
    path.write_bytes(b"# Foo\n\xff\xfe\n")
    result = CliRunner().invoke(parse_command, [str(path)])
    assert result.exit_code != 0 and "not UTF-8" in result.output and result.exception.__class__ is SystemExit


# --- search parameters ------------------------------------------------------------------------

_NAME_PARTS = ["_has", ":", "Patient", "name", ".", "_include", "_revinclude", ":iterate", "_count", "_sort",
               "_total", "_summary", "_elements", "_type", "code", "missing", "subject", "-", "*", "exact",
               "_cursor", "_format", "_contained", ""]  # fmt: skip
_VALUE_PARTS = ["a", ",", "\\", "\\,", ":", "*", "|", "-", "true", "10", "x:y:z", "Type:param", "", "9" * 30,
                "Patient", "MedicationKnowledge", "Group"]  # fmt: skip
param_names = st.one_of(st.text(max_size=30), st.lists(st.sampled_from(_NAME_PARTS), max_size=8).map("".join))
param_values = st.one_of(
    st.text(max_size=30), st.lists(st.sampled_from(_VALUE_PARTS), max_size=8).map("".join)
)


@settings(max_examples=examples(150), **FUZZ)
@given(
    st.lists(st.tuples(param_names, param_values), max_size=6),
    st.one_of(st.none(), st.sampled_from(["Patient", "MedicationKnowledge", "", "x"])),
)
@example([("_count", "9" * 5000)], None)  # beyond int()'s digit limit: a ValueError, so a 400
@example([("_has:A:b:c:missing", "maybe")], "Patient")
@example([("_type", "Patient,Group"), ("_type", "MedicationKnowledge")], "Patient")
def test_search_parser_raises_only_search_errors(params, url_type):
    try:
        query = parse_search(params, url_type)
    except SearchError as exc:
        assert 400 <= as_fhir_error(exc).status < 500 and exc.message
        return
    assert 0 <= query.count
    if url_type:  # _type only ever narrows a type-level search, never widens it
        assert query.types is not None and set(query.types) <= {url_type}
