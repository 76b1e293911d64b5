"""`fhir-service load` against a small real HTTP server (werkzeug in a thread) that throttles,
fails, and answers like a FHIR server would."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from fhir_service.cli import main
from fhir_service.cli.load import ndjson_transactions, outcome_text, retry_delay


class FakeFhirServer:
    """Answers POST / with the next scripted (status, headers, body); records what it received."""

    def __init__(self, script):
        self.script = list(script)
        self.received: list[tuple[dict, bytes]] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}/fhir"

    @Request.application
    def app(self, request):
        self.received.append((dict(request.headers), request.get_data()))
        status, headers, body = self.script.pop(0) if self.script else (500, {}, {})
        if callable(body):
            body = body(json.loads(self.received[-1][1]))
        return Response(json.dumps(body), status, headers, content_type="application/fhir+json")


@pytest.fixture
def fake_server():
    servers = []

    def start(script):
        server = FakeFhirServer(script)
        server.thread.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.server.shutdown()


def transaction_response(bundle):
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": {"status": "201 Created"}} for _ in bundle["entry"]],
    }


def write_bundle(path, n=2, kind="transaction"):
    bundle = {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {
                "fullUrl": f"urn:uuid:0000000{i}-0000-4000-8000-000000000000",
                "resource": {"resourceType": "Basic", "code": {"text": str(i)}},
                "request": {"method": "POST", "url": "Basic"},
            }
            for i in range(n)
        ],
    }
    path.write_text(json.dumps(bundle))
    return bundle


def test_retries_429_then_succeeds_and_sends_headers(tmp_path, fake_server):
    write_bundle(tmp_path / "a.json")
    server = fake_server(
        [
            (429, {"Retry-After": "0"}, {"resourceType": "OperationOutcome", "issue": []}),
            (503, {"Retry-After": "0"}, {}),
            (200, {}, transaction_response),
        ]
    )
    result = CliRunner().invoke(
        main,
        ["load", "--base-url", server.url, "--header", "Authorization: Bearer s3cret", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert len(server.received) == 3
    assert all(h["Authorization"] == "Bearer s3cret" for h, _ in server.received)
    assert server.received[-1][0]["Content-Type"] == "application/fhir+json"
    assert "1/1 bundles from 1 files loaded, 2 entries" in result.output


def test_parallel_sends_every_file_once(tmp_path, fake_server):
    for name in "abcde":
        write_bundle(tmp_path / f"{name}.json")
    server = fake_server([(200, {}, transaction_response)] * 5)
    result = CliRunner().invoke(main, ["load", "--base-url", server.url, "--parallel", "3", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(server.received) == 5
    assert "5/5 bundles from 5 files loaded, 10 entries" in result.output


def test_gives_up_after_retries_and_names_the_file(tmp_path, fake_server):
    write_bundle(tmp_path / "a.json")
    busy = (503, {"Retry-After": "0"}, {"resourceType": "OperationOutcome", "issue": []})
    server = fake_server([busy] * 3)
    result = CliRunner().invoke(main, ["load", "--base-url", server.url, "--retries", "2", str(tmp_path)])
    assert result.exit_code == 1
    assert len(server.received) == 3
    assert "a.json: HTTP 503" in result.output


def test_failed_transaction_reports_outcome_diagnostics(tmp_path, fake_server):
    write_bundle(tmp_path / "bad.json")
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invariant",
                "diagnostics": "entry 1 (urn:uuid:00000001-0000-4000-8000-000000000000): cud-1 failed",
            }
        ],
    }
    server = fake_server([(400, {}, outcome)])
    result = CliRunner().invoke(main, ["load", "--base-url", server.url, str(tmp_path / "bad.json")])
    assert result.exit_code == 1
    assert "bad.json: HTTP 400: error: entry 1 (urn:uuid:00000001" in result.output


def test_batch_entry_failure_is_reported_with_its_fullurl(tmp_path, fake_server):
    write_bundle(tmp_path / "batch.json", n=2, kind="batch")
    response = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [
            {"response": {"status": "201 Created"}},
            {
                "response": {
                    "status": "422 Unprocessable Entity",
                    "outcome": {
                        "resourceType": "OperationOutcome",
                        "issue": [{"severity": "error", "code": "required", "diagnostics": "missing type"}],
                    },
                }
            },
        ],
    }
    server = fake_server([(200, {}, response)])
    result = CliRunner().invoke(main, ["load", "--base-url", server.url, str(tmp_path)])
    assert result.exit_code == 1
    assert "entry 1 (urn:uuid:00000001-0000-4000-8000-000000000000): 422" in result.output
    assert "missing type" in result.output


def test_ndjson_is_sent_as_put_transactions_in_chunks(tmp_path, fake_server):
    lines = [json.dumps({"resourceType": "Basic", "id": f"b{i}"}) for i in range(5)]
    (tmp_path / "Basic.ndjson").write_text("\n".join(lines) + "\n")
    server = fake_server([(200, {}, transaction_response)] * 3)
    result = CliRunner().invoke(
        main, ["load", "--base-url", server.url, "--chunk-size", "2", str(tmp_path / "Basic.ndjson")]
    )
    assert result.exit_code == 0, result.output
    sent = [json.loads(body) for _, body in server.received]
    assert [len(b["entry"]) for b in sent] == [2, 2, 1]
    assert sent[0]["entry"][1]["request"] == {"method": "PUT", "url": "Basic/b1"}


def test_retry_delay_honours_seconds_http_date_and_cap():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_delay("7", 0, base=1, cap=60) == 7
    assert retry_delay("600", 0, base=1, cap=60) == 60
    in_ten = format_datetime(now + timedelta(seconds=10), usegmt=True)
    assert retry_delay(in_ten, 0, base=1, cap=60, now=now) == pytest.approx(10)
    past = format_datetime(now - timedelta(seconds=10), usegmt=True)
    assert retry_delay(past, 0, base=1, cap=60, now=now) == 0
    assert [retry_delay(None, a, base=0.5, cap=3) for a in range(4)] == [0.5, 1, 2, 3]
    assert retry_delay("garbage", 1, base=1, cap=60) == 2


def test_outcome_text_and_chunking_edge_cases(tmp_path):
    assert outcome_text({"resourceType": "Patient"}) == ""
    text = outcome_text(
        {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "details": {"text": "x"}}]}
    )
    assert text == "error: x"
    (tmp_path / "empty.ndjson").write_text("\n")
    assert list(ndjson_transactions(tmp_path / "empty.ndjson", 10)) == []


def test_ndjson_files_are_loaded_referenced_types_first(tmp_path):
    from fhir_service.cli.load import ndjson_load_order

    def write(name, *resources):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in resources))
        return tmp_path / name

    mk = write(
        "A-MedicationKnowledge.ndjson",
        {
            "resourceType": "MedicationKnowledge",
            "id": "m",
            "clinicalUseIssue": [{"reference": "ClinicalUseDefinition/c"}],
        },
    )
    cud = write(
        "B-ClinicalUseDefinition.ndjson",
        {
            "resourceType": "ClinicalUseDefinition",
            "id": "c",
            "subject": [{"reference": "MedicinalProductDefinition/p"}],
        },
    )
    mpd = write(
        "C-MedicinalProductDefinition.ndjson", {"resourceType": "MedicinalProductDefinition", "id": "p"}
    )
    prov = write(
        "D-Provenance.ndjson",
        {
            "resourceType": "Provenance",
            "id": "v",
            "target": [{"reference": "MedicationKnowledge/m"}, {"reference": "Group/elsewhere"}],
        },
    )
    bundle = tmp_path / "z.json"
    bundle.write_text("{}")
    assert ndjson_load_order([mk, cud, mpd, prov, bundle]) == [bundle, mpd, cud, mk, prov]
