"""Delivery's plain-Python rules: the wire profile, back-off, routing to a target, states."""
