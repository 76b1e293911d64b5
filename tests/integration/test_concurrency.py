"""Eight clients updating one resource with If-Match: per version exactly one wins, the others get
412, nothing is lost, and the versions are contiguous."""

from __future__ import annotations

import threading

import requests

CLIENTS = 8
ROUNDS = 4
JSON = {"Content-Type": "application/fhir+json"}


def test_eight_clients_one_winner_per_version(base_url):
    url = f"{base_url}/Basic/contended"
    start = requests.put(
        url, json={"resourceType": "Basic", "id": "contended", "code": {"text": "start"}}, headers=JSON
    )
    assert start.status_code in (200, 201)
    barrier = threading.Barrier(CLIENTS)
    outcomes: dict[int, list[tuple[int, int]]] = {n: [] for n in range(CLIENTS)}  # round → (client, status)
    wins: dict[tuple[int, int], str] = {}  # (round, client) → version written
    errors: list[BaseException] = []

    def client(number: int) -> None:
        session = requests.Session()
        try:
            for round_ in range(ROUNDS):
                barrier.wait()
                current = session.get(url).json()
                barrier.wait()  # everyone holds the same version before anyone writes
                body = {**current, "code": {"text": f"round {round_} client {number}"}}
                response = session.put(
                    url, json=body, headers={**JSON, "If-Match": f'W/"{current["meta"]["versionId"]}"'}
                )
                outcomes[round_].append((number, response.status_code))
                if response.status_code == 200:
                    wins[(round_, number)] = response.json()["meta"]["versionId"]
                barrier.wait()
        except BaseException as exc:  # surfaced below; a dead thread would otherwise hang the barrier
            errors.append(exc)
            barrier.abort()
        finally:
            session.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    for round_ in range(ROUNDS):
        statuses = sorted(status for _, status in outcomes[round_])
        assert statuses == [200] + [412] * (CLIENTS - 1), (round_, statuses)

    history = requests.get(f"{url}/_history", params={"_count": 100}).json()
    versions = [int(e["resource"]["meta"]["versionId"]) for e in history["entry"]]
    assert versions == list(range(ROUNDS + 1, 0, -1))  # contiguous, newest first
    written = {e["resource"]["code"]["text"] for e in history["entry"]} - {"start"}
    assert written == {f"round {r} client {c}" for (r, c) in wins}  # no lost update
    assert sorted(int(v) for v in wins.values()) == list(range(2, ROUNDS + 2))


def test_eight_simultaneous_conditional_creates_make_one_resource(base_url):
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[int, str]] = []
    body = {
        "resourceType": "Organization",
        "identifier": [{"system": "urn:race", "value": "one"}],
        "name": "r",
    }

    def client() -> None:
        barrier.wait()
        response = requests.post(
            f"{base_url}/Organization",
            json=body,
            headers={**JSON, "If-None-Exist": "identifier=urn:race|one"},
        )
        results.append((response.status_code, response.json().get("id", "")))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (CLIENTS - 1) + [201]
    assert len({rid for _, rid in results}) == 1
