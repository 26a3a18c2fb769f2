"""Days each legal entity's seal certificate has left, for /metrics (read at scrape time from the keyring)."""
from datetime import datetime, timezone

from prometheus_client.core import GaugeMetricFamily

from services.signing.domain.keys import SealKeyError
from services.signing.keyring import Seals


def seal_days_left(ops):
    keyring = next(d for d in ops.container.dependencies if isinstance(d, Seals)).keyring
    family = GaugeMetricFamily("ecoc_seal_certificate_days_left",
                               "Days until each legal entity's seal certificate expires (negative: expired)",
                               labels=["entity"])
    now = datetime.now(timezone.utc)
    for entity in keyring.provider.entities():
        try:
            not_after = keyring.provider.get(entity).certificate.not_valid_after_utc
        except SealKeyError:
            continue  # an unusable seal is no certificate; signing says why when it is used
        family.add_metric([entity], (not_after - now).total_seconds() / 86400)
    yield family
