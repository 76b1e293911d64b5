"""Searching the service through fhirpy, both its clients (sync and async), over real HTTP: count()
(`_count=0&_totalMethod=count`), paging by `next` links (fetch_all, iteration), and
_include/_revinclude."""

from __future__ import annotations

import asyncio

import pytest
from fhirpy import AsyncFHIRClient, SyncFHIRClient

SYSTEM = "urn:example:fhirpy-search"
N = 7


@pytest.fixture(scope="module")
def seeded(base_url) -> str:
    """N Basic resources with one code, a parent Organization and two children (partof)."""
    client = SyncFHIRClient(base_url)
    for n in range(N):
        client.resource(
            "Basic", id=f"fhirpy-{n}", code={"coding": [{"system": SYSTEM, "code": "paged"}]}
        ).save()
    client.resource("Organization", id="fhirpy-parent", name="Parent pharmacy").save()
    for n in range(2):
        client.resource(
            "Organization",
            id=f"fhirpy-child-{n}",
            name=f"Ward {n} pharmacy",
            partOf={"reference": "Organization/fhirpy-parent"},
        ).save()
    return base_url


def test_count_with_the_sync_client(seeded):
    client = SyncFHIRClient(seeded)
    assert client.resources("Basic").search(code=f"{SYSTEM}|paged").count() == N
    assert client.resources("Basic").search(code=f"{SYSTEM}|nothing").count() == 0
    assert client.resources("Organization").search(partof="fhirpy-parent").count() == 2


def test_count_with_the_async_client(seeded):
    async def count(code: str) -> int:
        return await AsyncFHIRClient(seeded).resources("Basic").search(code=f"{SYSTEM}|{code}").count()

    assert asyncio.run(count("paged")) == N
    assert asyncio.run(count("nothing")) == 0


def test_paging_with_the_sync_client(seeded):
    client = SyncFHIRClient(seeded)
    search = client.resources("Basic").search(code=f"{SYSTEM}|paged").limit(2).sort("_id")
    assert [r.id for r in search.fetch()] == ["fhirpy-0", "fhirpy-1"]  # one page
    everything = search.fetch_all()  # follows `next` over 4 pages
    assert [r.id for r in everything] == [f"fhirpy-{n}" for n in range(N)]
    assert [r.id for r in search] == [r.id for r in everything]


def test_paging_with_the_async_client(seeded):
    async def ids() -> tuple[list[str], list[str]]:
        search = (
            AsyncFHIRClient(seeded).resources("Basic").search(code=f"{SYSTEM}|paged").limit(3).sort("-_id")
        )
        every = [r.id for r in await search.fetch_all()]
        iterated = [r.id async for r in search]
        return every, iterated

    every, iterated = asyncio.run(ids())
    assert every == iterated == [f"fhirpy-{n}" for n in reversed(range(N))]


def test_include_and_revinclude(seeded):
    client = SyncFHIRClient(seeded)
    children = (
        client.resources("Organization").search(partof="fhirpy-parent").include("Organization", "partof")
    )
    bundle = children.fetch_raw()
    modes = sorted((e.search.mode, e.resource.id) for e in bundle.entry)
    assert modes == [("include", "fhirpy-parent"), ("match", "fhirpy-child-0"), ("match", "fhirpy-child-1")]

    parent = client.resources("Organization").search(_id="fhirpy-parent").revinclude("Organization", "partof")
    bundle = parent.fetch_raw()
    modes = sorted((e.search.mode, e.resource.id) for e in bundle.entry)
    assert modes == [("include", "fhirpy-child-0"), ("include", "fhirpy-child-1"), ("match", "fhirpy-parent")]

    async def revincluded() -> list[str]:
        search = AsyncFHIRClient(seeded).resources("Organization").search(_id="fhirpy-parent")
        raw = await search.revinclude("Organization", "partof").fetch_raw()
        return sorted(e.resource.id for e in raw.entry if e.search.mode == "include")

    assert asyncio.run(revincluded()) == ["fhirpy-child-0", "fhirpy-child-1"]
