"""The `health` RPC every service answers (`ecoc probe` and the gateway's /health call it): it reads the
service's `health_table`, so a database that is unreachable or not migrated makes the service unhealthy, and
adds what `health_details` says of the service's own readiness."""
from common.rpc import rpc


class Health:
    health_table = None  # a table of the service's own database

    def health_details(self):
        return {}

    @rpc
    def health(self):
        with self.db as uow:
            uow.session.execute(self.health_table.select().limit(0))
        return {"service": self.name, "ok": True, **self.health_details()}
