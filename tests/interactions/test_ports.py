"""Both stores implement the interactions' ports (interactions/ports.py): every member, with the
same parameters, so the handlers can be given any repository that does."""

from __future__ import annotations

import inspect

import pytest
from interaction_stores import port_members, ported

from fhir_service.interactions import ports
from fhir_service.store import memory, repository

IMPLEMENTATIONS = [
    (ports.Repository, repository.Repository),
    (ports.UnitOfWork, repository.UnitOfWork),
    (ports.Repository, memory.Repository),
    (ports.UnitOfWork, memory.UnitOfWork),
]


@pytest.mark.parametrize(
    ("protocol", "implementation"),
    IMPLEMENTATIONS,
    ids=[f"{i.__module__.rpartition('.')[2]}.{i.__name__}" for _, i in IMPLEMENTATIONS],
)
def test_the_store_implements_the_port(protocol, implementation):
    for name, wanted in port_members(protocol).items():
        assert hasattr(implementation, name), f"{implementation.__name__} has no {name}"
        got = inspect.signature(getattr(implementation, name))
        assert list(got.parameters) == list(wanted.parameters), name
        defaults = {p.name: p.default for p in got.parameters.values()}
        assert defaults == {p.name: p.default for p in wanted.parameters.values()}, name


def test_the_tests_see_a_store_through_its_port_only(migrated_repo):
    """What the interaction tests hand over (interaction_stores.PortOnly) refuses all but the members."""
    assert hasattr(migrated_repo, "forget_thread_connection")
    store = ported(migrated_repo)
    with pytest.raises(AttributeError, match="not a member of ports.Repository"):
        store.forget_thread_connection()
    with store.unit_of_work(write=False) as uow:
        assert uow.read("Organization", "none") is None
        with pytest.raises(AttributeError, match="not a member of ports.UnitOfWork"):
            uow.count()
