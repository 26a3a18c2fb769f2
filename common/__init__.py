"""Shared contracts, configuration, database unit of work, outbox/inbox and tracing for every ecoc service."""
