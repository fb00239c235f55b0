"""Normalizers: every cloud trigger becomes one small typed model.

Cloud differences end here. Each normalizer is a table of field names plus pure functions,
proven by paired fixtures (``events/<cloud>/x.json`` with ``x.expected.json``). Unknown or
malformed input raises ``PayloadError`` / ``UnrecognisedPayloadError`` naming what is wrong,
never a bare ``KeyError`` or ``TypeError``.
"""
