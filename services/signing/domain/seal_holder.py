"""Whose seal made a signature, and whether that entity may have sealed the document.

A pinned certificate proves only that its key signed. The seal is the entity's when the entity is registered
and its legal name is the certificate's organisation (O); the entity may seal the document when the document
names it as manufacturer or EU representative (docs/domain.md §5). A self-signed seal is what local mode
(`ECOC_LOCAL_MODE=1`) makes: outside local mode it is reported as local and not trusted."""
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from services.signing.domain.seal_checks import normalise_name

NOT_REGISTERED = "the seal belongs to no registered legal entity"
NOT_ITS_NAME = "the seal certificate's organisation (O) is not the legal name of the entity that holds the seal"
NOT_NAMED = "the document names the entity that holds the seal neither as manufacturer nor as EU representative"
LOCAL_SEAL = "the seal is a self-signed local seal: not trusted outside local mode"


def is_self_signed(certificate: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def holder_problems(organisation, parties, legal_name, certificate, local_mode):
    """Why a verified signature does not seal the document for the entity holding the seal (its registered
    `legal_name`, None when the entity is not registered), as messages; [] when it does."""
    if legal_name is None:
        return [NOT_REGISTERED]
    problems = []
    if organisation is None or normalise_name(organisation) != normalise_name(legal_name):
        problems.append(NOT_ITS_NAME)
    if normalise_name(legal_name) not in {normalise_name(p) for p in parties}:
        problems.append(NOT_NAMED)
    if not local_mode and is_self_signed(certificate):
        problems.append(LOCAL_SEAL)
    return problems
