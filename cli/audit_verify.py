"""`ecoc audit verify`: the whole audit chain re-hashed straight from the audit database, every checkpoint in
place and signed by the audit key. The same check `ecoc restore` makes of a restored chain; for an operator (or a
scheduled job) to run over a long history, which `GET /v1/audit/verify?full=true` cannot within an RPC timeout."""
import sys

import psycopg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cli import key_refs
from common.config import settings
from common.db import make_engine
from services.audit import repository as audit_repo
from services.audit.domain import checkpoints


def verify_audit(url, public_pem):
    """The chain at `url` re-hashed, every checkpoint in place, and each one signed by the audit key."""
    engine = make_engine(url, pool_size=1)
    try:
        with Session(engine) as session:
            sealed = audit_repo.checkpoints(session)
            result = audit_repo.verify(session, sealed)
    finally:
        engine.dispose()
    last = checkpoints.as_dict(sealed[-1]) if sealed else None
    result["checkpoint"] = last
    if result["valid"] and last is None and result["entries"]:
        result.update(valid=False, reason="no signed checkpoint to verify the chain against")
    elif result["valid"] and public_pem is None:
        result.update(valid=False, reason="no audit public key to check the checkpoints with: pass --audit-public-key")
    elif result["valid"]:
        forged = checkpoints.forged(public_pem, sealed)
        if forged:
            result.update(valid=False, first_invalid_seq=forged[0],
                          reason=f"the checkpoint at entry {forged[0]} is not signed by the audit key "
                                 f"{checkpoints.key_id(public_pem)}")
    return result


def describe(result):
    if result["valid"] and result["checkpoint"] is None:
        return "empty (nothing recorded yet)"
    if result["valid"]:
        cp = result["checkpoint"]
        return (f"{result['entries']} entries valid; the last checkpoint (entry {cp['seq']}, {cp['at']}) is signed "
                f"by key {cp['key_id']}")
    return f"FAIL at entry {result['first_invalid_seq']}: {result['reason']}"


def run(database_url=None, audit_public_key=None):
    s = settings()
    try:
        public = key_refs.audit_public_key(s, audit_public_key)
        result = verify_audit(database_url or s.database_url("audit"), public)
    except (OSError, ValueError, SQLAlchemyError, psycopg.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"audit chain: {describe(result)}")
    return 0 if result["valid"] else 1
