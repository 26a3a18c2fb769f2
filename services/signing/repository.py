"""Reading and writing sealed certificates (SQL only). Documents are never changed once stored."""
from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert

from common.ids import is_uuid
from services.signing.models import certificates, legacy_versions

SUMMARY = [c for c in certificates.c if c.name != "document"]


def summary_dict(row):
    d = dict(row._mapping)
    d.pop("document", None)
    for moment in ("signed_at", "withdrawn_at"):
        if d.get(moment) is not None:
            d[moment] = d[moment].isoformat()
    return d


def next_versions(session, vins):
    """Per VIN the next IviVersionNumber: after ecoc's own latest, or after the legacy system's latest."""
    rows = session.execute(
        select(certificates.c.vin, func.max(certificates.c.version_number))
        .where(certificates.c.vin.in_(list(vins))).group_by(certificates.c.vin)
    ).all()
    latest = dict(rows)
    legacy = dict(session.execute(select(legacy_versions.c.vin, legacy_versions.c.version_number)
                                  .where(legacy_versions.c.vin.in_(list(vins)))).all())
    return {vin: max(latest.get(vin, 0), legacy.get(vin, 0)) + 1 for vin in vins}


def note_legacy_versions(session, entity, documents):
    """Remember the highest legacy IviVersionNumber of each VIN (a lower one arriving later changes nothing)."""
    highest = {}
    for d in documents:
        if isinstance(d.get("version_number"), int):
            highest[d["vin"]] = max(highest.get(d["vin"], 0), d["version_number"])
    if not highest:
        return
    stmt = insert(legacy_versions).values([{"vin": v, "entity": entity, "version_number": n}
                                           for v, n in sorted(highest.items())])
    session.execute(stmt.on_conflict_do_update(
        index_elements=[legacy_versions.c.vin], set_={"version_number": stmt.excluded.version_number},
        where=legacy_versions.c.version_number < stmt.excluded.version_number))


def already_signed(session, release_id, vins):
    rows = session.execute(select(certificates.c.vin).where(
        and_(certificates.c.release_id == release_id, certificates.c.vin.in_(list(vins))))).all()
    return {r.vin for r in rows}


def store(session, issued, entity, release_id, signatory, fingerprint, signed_at):
    """Store new certificates as current; the previous current certificate of each VIN is superseded."""
    vins = [i.vin for i in issued]
    superseded = session.execute(
        update(certificates).where(and_(certificates.c.vin.in_(vins), certificates.c.status == "current"))
        .values(status="superseded").returning(certificates.c.vin, certificates.c.reference_id)
    ).all()
    session.execute(certificates.insert(), [
        {"reference_id": i.reference_id, "vin": i.vin, "version_number": i.version_number, "status": "current",
         "entity": entity, "release_id": release_id, "vehicle_revision": i.vehicle_revision,
         "approval_number": i.approval_number, "approval_revision": i.approval_revision,
         "signer_sub": signatory["sub"], "signer_name": signatory["name"], "seal_fingerprint": fingerprint,
         "sha256": i.sha256, "content_sha256": i.content_sha256, "document": i.document, "signed_at": signed_at,
         "findings": i.findings}
        for i in issued
    ])
    return [{"vin": r.vin, "reference_id": r.reference_id} for r in superseded]


def withdraw(session, vin, reason, at):
    """The current certificate of `vin` becomes withdrawn (kept, never deleted); its summary, or None when
    the VIN has no current certificate."""
    row = session.execute(
        update(certificates).where(and_(certificates.c.vin == vin, certificates.c.status == "current"))
        .values(status="withdrawn", status_reason=reason, withdrawn_at=at).returning(*SUMMARY)
    ).first()
    return summary_dict(row) if row is not None else None


def latest(session, vin):
    """The certificate with the highest version number of `vin` (whatever its status), or None."""
    return session.execute(select(*SUMMARY).where(certificates.c.vin == vin)
                           .order_by(certificates.c.version_number.desc()).limit(1)).first()


def current(session, vin):
    return session.execute(select(certificates).where(
        and_(certificates.c.vin == vin, certificates.c.status == "current"))).first()


def versions(session, vin):
    rows = session.execute(select(*SUMMARY).where(certificates.c.vin == vin)
                           .order_by(certificates.c.version_number)).all()
    return [summary_dict(r) for r in rows]


def of_release(session, release_id, vins):
    """The certificates a release sealed for these VINs, in VIN order."""
    stmt = select(certificates).where(and_(certificates.c.release_id == release_id,
                                           certificates.c.vin.in_(list(vins))))
    return session.execute(stmt.order_by(certificates.c.vin)).all()


def current_counts_by_seal(session, entities):
    """{(entity, seal fingerprint): number of current certificates sealed with it} for these entities."""
    rows = session.execute(
        select(certificates.c.entity, certificates.c.seal_fingerprint, func.count())
        .where(and_(certificates.c.status == "current", certificates.c.entity.in_(list(entities))))
        .group_by(certificates.c.entity, certificates.c.seal_fingerprint)).all()
    return {(e, f): n for e, f, n in rows}


def by_reference(session, reference_ids):
    if not reference_ids:
        return []
    return session.execute(select(certificates).where(certificates.c.reference_id.in_(list(reference_ids)))
                           .order_by(certificates.c.vin, certificates.c.version_number)).all()


def current_of(session, vins):
    if not vins:
        return []
    return session.execute(select(certificates).where(certificates.c.vin.in_(list(vins)),
                                                      certificates.c.status == "current")
                           .order_by(certificates.c.vin)).all()


def all_versions(session, vin):
    """Every certificate row of `vin` with its document, oldest version first."""
    return session.execute(select(certificates).where(certificates.c.vin == vin)
                           .order_by(certificates.c.version_number)).all()


def sealed(session, reference_id, sha256):
    """The entity and sealing time of the stored certificate with this reference id and exactly these bytes."""
    if not is_uuid(reference_id):
        return None
    return session.execute(select(certificates.c.entity, certificates.c.signed_at).where(and_(
        certificates.c.reference_id == reference_id, certificates.c.sha256 == sha256))).first()


# what a certificate's archive record holds: its immutable facts (status changes later, the archive never does)
ARCHIVED = ("reference_id", "vin", "version_number", "entity", "release_id", "vehicle_revision", "approval_number",
            "approval_revision", "signer_sub", "signer_name", "seal_fingerprint", "sha256", "content_sha256",
            "signed_at")


def sealed_since(session, since=None, chunk=500):
    """Every certificate version sealed at or after `since` (all when None), document included, in sealing
    order, streamed."""
    query = select(*(certificates.c[name] for name in ARCHIVED), certificates.c.document)
    if since is not None:
        query = query.where(certificates.c.signed_at >= since)
    rows = session.execute(query.order_by(certificates.c.signed_at, certificates.c.reference_id)
                           .execution_options(stream_results=True, yield_per=chunk))
    for row in rows:
        yield dict(row._mapping)


def digest_mismatches(session):
    """(count of certificates, reference ids of those whose stored bytes no longer hash to their sha256)."""
    total = session.execute(select(func.count()).select_from(certificates)).scalar()
    wrong = session.execute(select(certificates.c.reference_id).where(
        func.encode(func.sha256(certificates.c.document), "hex") != certificates.c.sha256)).scalars().all()
    return total, list(wrong)
