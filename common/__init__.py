"""Shared contracts, configuration, database unit of work, outbox/inbox and tracing for every ecoc service."""
import warnings

# eventlet (required by nameko) announces its own deprecation on import, once per process; it is known.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
