"""One module per search parameter type. Each has

    extract(values) -> list[dict]                   index rows (columns of its table) for raw FHIR values
    predicate(table, modifier, raw, param) -> SQL   the condition one query value puts on its table's rows

`predicate` raises SearchError for a malformed value or an unsupported modifier.
Every value reaches SQL as a bound parameter (SQLAlchemy expressions, never string building)."""

from __future__ import annotations

from types import ModuleType

from . import date, number, quantity, reference, string, token, uri

MODULES: dict[str, ModuleType] = {
    "token": token,
    "string": string,
    "reference": reference,
    "date": date,
    "quantity": quantity,
    "number": number,
    "uri": uri,
}
