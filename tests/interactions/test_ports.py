"""The store implements the interactions' ports (interactions/ports.py): every member, with the
same parameters, so the handlers can be given any repository that does."""

from __future__ import annotations

import inspect

import pytest

from fhir_service.interactions import ports
from fhir_service.store import repository


def _members(protocol) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("protocol", "implementation"),
    [(ports.Repository, repository.Repository), (ports.UnitOfWork, repository.UnitOfWork)],
)
def test_the_store_implements_the_port(protocol, implementation):
    for name, wanted in _members(protocol).items():
        assert hasattr(implementation, name), f"{implementation.__name__} has no {name}"
        got = inspect.signature(getattr(implementation, name))
        assert list(got.parameters) == list(wanted.parameters), name
