"""A small HTTP client for the gateway, acting as one user (used by the demo, the e2e tests and bench)."""
import requests

from common.config import settings
from gateway.auth import issue_token


class ApiError(RuntimeError):
    def __init__(self, response):
        self.response = response
        try:
            body = response.json()
        except ValueError:
            body = response.text
        super().__init__(f"{response.request.method} {response.url} → {response.status_code}: {body}")


class Client:
    def __init__(self, sub, roles, entities=("*",), base_url=None, s=None, groups=()):
        s = s or settings()
        self.sub = sub
        self.base_url = (base_url or s.gateway_url).rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {issue_token(s, sub, list(roles), list(entities), groups=groups)}"
        self.last_trace_id = None

    def request(self, method, path, expect=(200, 201, 202), **kwargs):
        response = self.session.request(method, f"{self.base_url}{path}", timeout=kwargs.pop("timeout", 120), **kwargs)
        self.last_trace_id = response.headers.get("X-Trace-Id") or self.last_trace_id
        if expect and response.status_code not in expect:
            raise ApiError(response)
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs).json()

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json=body if body is not None else {}, **kwargs).json()

    def put(self, path, body, **kwargs):
        return self.request("PUT", path, json=body, **kwargs).json()
