"""What the interaction tests share: `PortOnly`, which lets through only the members of a port's
Protocol (interactions/ports.py), so an interaction that reaches past the port fails on either
store; a resource to write; and the FhirError a call ends in."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import contextmanager

from fhir_service.interactions import ports
from fhir_service.interactions.errors import as_fhir_error
from fhir_service.outcome import FhirError


def port_members(protocol) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


class PortOnly:
    """`target` as the interactions may see it: the Protocol's members, nothing else."""

    def __init__(self, target, protocol):
        self._target = target
        self._protocol = protocol
        self._members = port_members(protocol)

    def __getattr__(self, name: str):
        if name not in self._members:
            raise AttributeError(f"{name} is not a member of ports.{self._protocol.__name__}")
        if name == "unit_of_work":
            return self._unit_of_work
        return getattr(self._target, name)

    @contextmanager
    def _unit_of_work(self, write: bool = True):
        with self._target.unit_of_work(write=write) as uow:
            yield PortOnly(uow, ports.UnitOfWork)


def ported(repository) -> PortOnly:
    return PortOnly(repository, ports.Repository)


def organization(rid: str | None = None, **fields) -> dict:
    resource = {"resourceType": "Organization", "name": "Ward 3 pharmacy", **fields}
    if rid is not None:
        resource["id"] = rid
    return resource


def failure(call: Callable, *args, **kwargs) -> FhirError:
    """The FhirError `call` ends in, as the REST layer maps it (interactions/errors.py)."""
    try:
        call(*args, **kwargs)
    except Exception as exc:
        error = as_fhir_error(exc)
        if error is None:
            raise
        return error
    raise AssertionError(f"{getattr(call, '__name__', call)} did not fail")
