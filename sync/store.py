"""The SyncStore interface: what the push and pull rules need from a store (SQL on the server, memory in tests).

A store works inside one transaction that its caller owns: the push rule calls these methods and the
caller commits afterwards, or rolls back when anything raised.
"""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod

from sync.messages import Logged, Mutation, MutationResult, Vocabulary


class SyncStore(ABC):
    """Storage and domain checks behind sync/push.py and sync/pull.py."""

    @abstractmethod
    def now(self) -> dt.datetime:
        """The server's current UTC time."""

    @abstractmethod
    def vocabulary(self) -> Vocabulary:
        """Codes an inspection.submit may use."""

    # ---- push ----
    def prepare(self, raw_mutations: list[dict]) -> None:
        """Called once with the new mutations before any is applied (a store may prefetch)."""

    def finish(self) -> None:
        """Called once when the push is over, whether it succeeded or raised."""

    @abstractmethod
    def open_client(self, user, client_id: str) -> int:
        """Bind `client_id` to `user` (creating it) and return its last applied mutation id.

        Takes the client's write lock so that two pushes of one client serialize. Raises
        SyncError(client_mismatch) when the id belongs to another user.
        """

    @abstractmethod
    def logged(self, client_id: str, ids: list[int]) -> dict[int, Logged]:
        """What was kept of the already logged mutations among `ids` (their first outcome, and the digests
        of changed contents refused under the same id)."""

    @abstractmethod
    def apply(self, user, mutation: Mutation) -> tuple[str, int | None]:
        """Apply one validated mutation: ("applied" | "late" | "duplicate", inspection id); raise Rejected
        otherwise. "duplicate": the server already holds what it carries (a record with this id and the same
        content, or the very result of a locked inspection), so nothing changed, whatever the client id."""

    @abstractmethod
    def log(self, user, mutation: Mutation, raw_args: dict, result: MutationResult, digest: str,
            inspection_id: int | None) -> None:
        """Keep the mutation, its arguments and its outcome (rejected ones for the reviewer). A result with
        code mutation_id_reused is changed content under an id already logged: kept beside the first."""

    @abstractmethod
    def advance(self, client_id: str, last_id: int) -> None:
        """Record `last_id` as the client's last applied mutation."""

    @abstractmethod
    def inspection_summaries(self, user, inspection_ids: list[int]) -> list[dict]:
        """{id, status, version, locked, has_conflicts, missing_media} of the touched inspections."""

    # ---- pull ----
    @abstractmethod
    def changed_inspections(self, user, since: dt.datetime | None, after: tuple | None,
                            limit: int) -> list[tuple[dt.datetime, int]]:
        """(changed_at, id) of the user's inspections changed after `since`, keyset-paged after `after`."""

    @abstractmethod
    def bundles(self, user, inspection_ids: list[int]) -> list[dict]:
        """The bundles (PROTOCOL.md §2.1) of these inspections, in the given order."""

    @abstractmethod
    def tombstones(self, user, since: dt.datetime | None) -> list[dict]:
        """{id, reason} of inspections the user no longer sees, changed after `since`."""

    @abstractmethod
    def assigned_ids(self, user) -> list[int]:
        """Ids of every inspection currently assigned to the user."""

    @abstractmethod
    def reference(self) -> dict:
        """Reference data (PROTOCOL.md §2.2)."""
