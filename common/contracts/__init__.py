"""Contracts between the services: event envelope and names, RPC and event payload schemas (v1)."""
from common.contracts.events import *  # noqa: F401,F403
