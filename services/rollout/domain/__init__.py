"""The rollout service's domain: plain Python, no nameko, no SQL."""
