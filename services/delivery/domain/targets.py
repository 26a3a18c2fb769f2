"""Delivery targets: what a target must say, and which target a certificate goes to.

A target is one NAP endpoint an entity delivers to, with its transport profile, the entity's client certificate
and key (references to files, never the key material), the CA that signed the NAP's server certificate, a timeout
and how many messages may be in flight at once. Each entity has at most one default target (no country) and at
most one per intended country of registration; a certificate goes to the target of its
IntendedCountryRegistration, else to the default one.
"""
from urllib.parse import urlsplit


def target_problems(data):
    """Field errors of a target body already loaded by its schema (cross-field rules)."""
    problems = []
    endpoint = urlsplit(data.get("endpoint") or "")
    if endpoint.scheme != "https" or not endpoint.hostname:
        problems.append({"field": "endpoint", "message": "an https:// URL (mutual TLS)"})
    for name in ("client_cert", "client_key", "ca_cert"):
        reference = data.get(name)
        if reference and (reference.startswith(("/", "\\")) or ".." in reference.replace("\\", "/").split("/")):
            problems.append({"field": name, "message": "a file name in ECOC_DELIVERY_CREDENTIALS_DIR (no absolute "
                                                       "path, no '..')"})
    if data.get("profile") == "wsdl" and not data.get("wsdl"):
        problems.append({"field": "wsdl", "message": "the WSDL URL (or file) is required by the wsdl profile"})
    return problems


def choose_target(targets, country):
    """The target for a certificate of intended `country` among one entity's targets (None: none). A disabled
    target is chosen too: its deliveries wait, queued, until it is enabled again."""
    by_country = {t["country"]: t for t in targets}
    return by_country.get(country) or by_country.get(None)
