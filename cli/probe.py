"""`ecoc probe NAME`: health of one service, for container probes."""
import sys

from common.config import settings


def probe(name, timeout=5.0):
    s = settings()
    if name == "gateway":
        import requests

        try:
            ok = requests.get(f"http://127.0.0.1:{s.gateway_port}/health", timeout=timeout).status_code == 200
        except requests.RequestException:
            ok = False
        return 0 if ok else 1
    import eventlet

    eventlet.monkey_patch()
    import nameko
    from nameko.standalone.rpc import ServiceRpcClient

    try:
        # the broker comes from nameko's config (the client's second argument is context data, not config)
        with eventlet.Timeout(timeout), nameko.config.patch({"AMQP_URI": s.amqp_uri}):
            with ServiceRpcClient(name) as client:
                client.health()
        return 0
    except BaseException as exc:  # noqa: BLE001 - a probe reports every failure as "not healthy"
        print(f"{name}: not healthy ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
