"""The mutation names are written once, in sync/messages.py; every table keyed by them must cover
exactly those names, so a new mutation cannot reach one store and be unknown to another."""
from __future__ import annotations

from server.services.fieldwork.record_index import KINDS
from server.services.fieldwork.sync_store import APPLY
from sync.memory_store import MemoryStore
from sync.messages import MUTATION_LABELS, MUTATION_NAMES, START, SUBMIT
from sync.wire import ARGS_SCHEMAS


def _gaps(table) -> dict:
    return {"missing": sorted(set(MUTATION_NAMES) - set(table)), "unknown": sorted(set(table) - set(MUTATION_NAMES))}


def test_the_server_has_one_applier_for_each_mutation_and_none_for_an_unknown_name():
    assert _gaps(APPLY) == {"missing": [], "unknown": []}


def test_each_mutation_has_its_wire_arguments_and_an_office_label():
    assert _gaps(ARGS_SCHEMAS) == {"missing": [], "unknown": []}
    assert _gaps(MUTATION_LABELS) == {"missing": [], "unknown": []}


def test_the_record_index_knows_the_record_of_every_mutation_that_adds_one():
    assert _gaps(set(KINDS) | {START, SUBMIT}) == {"missing": [], "unknown": []}


def test_the_reference_store_applies_every_mutation():
    assert [n for n in MUTATION_NAMES if not callable(getattr(MemoryStore, "_" + n.replace(".", "_"), None))] == []
    assert len(MUTATION_NAMES) == len(set(MUTATION_NAMES)) == 9
