"""The transactional outbox every producer of must-not-lose events writes to (docs/adr/0014).

Intake writes an application's row in the transaction that accepts it; the workflow activities
write each status change's row. Each process relays its own rows (``origin``) with the same
:class:`~libs.outbox.relay.OutboxRelay`, which records the broker epoch each row was
acknowledged under, so that rows lost with a memory-only broker are published again.
"""
