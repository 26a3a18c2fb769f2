"""The approvals service's part in integration tests of other services: `resolve` answers what the real
approvals domain (`services.approvals.domain.resolution`) answers for the demo approval of `cli.demo_data`
(for whichever entity a test's vehicles name; with the revisions a test gives it), `get_entity` the demo entity
with its signatory."""
import uuid
from datetime import date

from cli import demo_data
from common.approval_number import parse_approval_number
from services.approvals.domain.resolution import Approval, Revision, resolve

APPROVAL_ID = str(uuid.UUID(int=1))


def demo_approval(*later):
    """The demo approval as the approvals repository loads it; `later` revisions (extensions) follow it."""
    data = demo_data.approval()
    return Approval(
        id=APPROVAL_ID, number=data["number"], entity=data["entity"], approval_type=data["approval_type"],
        provisional=data["provisional"], category=data["category"],
        stage_of_completion=data["stage_of_completion"], status="valid", withdrawn_on=None,
        revisions=[Revision(
            revision=1, extension=0, number=data["number"], issue_date=demo_data.APPROVAL_ISSUE_DATE,
            coc=data["coc"],
            versions={(v["type"], v["variant"], v["version"]): {"coc": v["coc"], "ranges": v["ranges"]}
                      for v in data["versions"]},
        ), *later],
    )


def canned_resolve(items, approval=None):
    approval = approval or demo_approval()
    base = parse_approval_number(approval.number).base
    out = []
    for i in items:
        try:
            number = parse_approval_number(i["number"])
        except ValueError:
            number = None
        mine = number is not None and number.base == base
        out.append(resolve(approval if mine else None, i["type"], i["variant"], i["version"],
                           date.fromisoformat(i["production_date"]), pinned_revision=i.get("revision")))
    return out


def canned_entity(code):
    return dict(demo_data.entity(), code=code, seal_certificate=None, revision=1)
