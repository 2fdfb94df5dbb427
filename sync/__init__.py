"""The spotcheck sync protocol, version 1: pure rules and wire formats (no Flask, SQLAlchemy or HTTP).

See sync/PROTOCOL.md for the normative specification and sync/examples/ for golden exchanges.
"""
PROTOCOL_VERSION = 1
