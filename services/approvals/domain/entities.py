"""Legal entities: the seal certificate must be theirs, and they must be the party an approval names.

The signer of an eCoC is the manufacturer or its EU representative as named in the type approval
(docs/domain.md §5), so an entity's legal name is compared with the organisation (O) of its seal
certificate and with the manufacturer / EU representative names of its approvals' CoC data.
Names compare case-insensitively with Unicode and whitespace normalised.
"""
import unicodedata

from cryptography import x509
from cryptography.x509.oid import NameOID


def normalise_name(value):
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


def same_name(a, b):
    return normalise_name(a) == normalise_name(b)


def identity_clashes(entity, others):
    """Legal names and WMIs belong to one entity: what of `entity` another one (`others`: their legal_name and
    wmis) already holds, saying only that it is taken."""
    errors = []
    if any(same_name(entity["legal_name"], other["legal_name"]) for other in others):
        errors.append({"field": "legal_name", "message": "this legal name is taken"})
    held = {wmi for other in others for wmi in other["wmis"] or []}
    errors += [{"field": f"wmis[{i}]", "message": f"the WMI {wmi} is taken"}
               for i, wmi in enumerate(entity.get("wmis") or []) if wmi in held]
    return errors


def named_parties(coc):
    """The manufacturers (every stage) and the EU representative a CoC names, as written."""
    names = [row.get("ManufacturerName") for row in coc.get("ManufacturerTable") or [] if isinstance(row, dict)]
    representative = coc.get("EURepresentativeGroup")
    if isinstance(representative, dict):
        names.append(representative.get("EURepresentativeName"))
    return [n for n in names if isinstance(n, str) and n.strip()]


def naming_problem(legal_name, coc):
    """Why an entity may not hold an approval with this CoC data, or None (also when no party is named)."""
    names = named_parties(coc)
    if not names or any(same_name(legal_name, n) for n in names):
        return None
    listed = " and ".join(f"'{n}'" for n in names)
    return (f"the legal entity is '{legal_name}' but the approval names {listed}: the entity must be the "
            "manufacturer or the EU representative named in the approval")


def seal_certificate_problem(pem, legal_name):
    """Why `pem` cannot be the entity's seal certificate, or None."""
    if "PRIVATE KEY" in pem:
        return "give the seal's certificate only (public part); a private key never leaves the key store"
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode("utf-8"))
    except ValueError:
        return "not a PEM-encoded X.509 certificate"
    organisations = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if not organisations:
        return f"the certificate subject has no organisation (O); it must be the legal name '{legal_name}'"
    if not any(same_name(o, legal_name) for o in organisations):
        return (f"the seal certificate's organisation (O) is '{organisations[0]}' but the entity's legal name is "
                f"'{legal_name}'")
    return None
