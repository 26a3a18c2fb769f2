"""Approvals from the nine official IVI 2.0 samples: the type-level part becomes an approval whose version
reads back exactly that part; a second message of the same approval adds its version."""
import copy
from datetime import date
from pathlib import Path

import pytest

from common.contracts.approvals import ApprovalIn
from common.ivi import load_schema, read_ivi, split_levels
from services.approvals.domain.errors import Clash, Rejected
from services.approvals.domain.ivi_import import add_version, ivi_field, registration_from_ivi
from services.approvals.domain.model import Approval, Revision, deep_merge, type_level_coc
from services.approvals.domain.registration import registration_errors

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml")) if IVI_DIR.is_dir() else []

if not (IVI_DIR / "IVI2.0.xsd").is_file() or not SAMPLES:
    pytest.skip(f"IVI reference files not found in {IVI_DIR}", allow_module_level=True)


@pytest.fixture(scope="module")
def schema():
    return load_schema(IVI_DIR / "IVI2.0.xsd")


@pytest.fixture(scope="module")
def cocs(schema):
    return {path.name: read_ivi(path.read_bytes(), schema)["coc"] for path in SAMPLES}


def holder(coc):
    """The party a sample names that holds its approval: the EU representative, else the manufacturer."""
    representative = coc.get("EURepresentativeGroup", {}).get("EURepresentativeName")
    return representative or coc["ManufacturerTable"][0]["ManufacturerName"]


def as_approval(data):
    [version] = data["versions"]
    key = (version["type"], version["variant"], version["version"])
    revision = Revision(revision=1, extension=int(data["number"][-2:]), number=data["number"],
                        issue_date=data["issue_date"], coc=copy.deepcopy(data["coc"]),
                        versions={key: {"coc": {}, "ranges": {}}})
    return Approval(id="a", number=data["number"], entity=data["entity"], approval_type=data["approval_type"],
                    provisional=data["provisional"], category=data["category"],
                    stage_of_completion=data["stage_of_completion"], status="valid", withdrawn_on=None,
                    revisions=[revision]), key


def loaded(coc, entity="E"):
    return ApprovalIn().load(registration_from_ivi(coc, entity))


@pytest.mark.parametrize("name", [p.name for p in SAMPLES])
def test_a_sample_becomes_an_approval_that_reads_back_its_type_level_part(schema, cocs, name):
    coc = cocs[name]
    data = loaded(coc)
    assert registration_errors(schema, data, holder(coc)) == []
    assert data["number"] == coc["TypeApprovalNumber"] and data["issue_date"].isoformat() == coc["TypeApprovalIssueDate"]
    assert not {"TypeApprovalNumber", "Type", "Variant", "Version", "VehicleCategory"} & set(data["coc"])
    approval, key = as_approval(data)
    assert type_level_coc(approval, approval.current, key) == split_levels(coc)[0]


def test_the_manufacturer_may_hold_it_too(schema, cocs):
    coc = cocs["M1-02-CHR.xml"]
    assert registration_errors(schema, loaded(coc), "TOYOTA MOTOR CORPORATION") == []
    assert [e["field"] for e in registration_errors(schema, loaded(coc), "NORDWIND AUTOMOTIVE NV")] == ["entity"]


def test_a_message_without_its_identity_is_refused_by_element(cocs):
    coc = {k: v for k, v in cocs["L1e.xml"].items() if k not in ("TypeApprovalNumber", "Version")}
    with pytest.raises(Rejected) as caught:
        registration_from_ivi(coc, "E")
    assert [e["field"] for e in caught.value.errors] == ["TypeApprovalNumber", "Version"]


def test_registration_fields_are_named_as_ivi_elements():
    assert [ivi_field(f) for f in ("number", "category", "versions[0].type", "coc.MassGroup.ActualMass",
                                   "versions[0].coc.Colour", "entity")] == [
        "TypeApprovalNumber", "VehicleCategory", "Type", "MassGroup.ActualMass", "Colour", "entity"]


# -- a second version of the same approval -----------------------------------------------------------------


def same_approval(data, other):
    """`other` dressed as another version of `data`'s approval (the samples are of different approvals)."""
    other = copy.deepcopy(other)
    for name in ("number", "issue_date", "approval_type", "provisional", "category", "stage_of_completion", "entity"):
        other[name] = data[name]
    return other


def test_a_new_version_is_added_and_every_version_reads_back_its_own_data(cocs):
    first = loaded(cocs["M1-01-LexusRZ450e.xml"])
    approval, first_key = as_approval(first)
    second = same_approval(first, loaded(cocs["M1-02-CHR.xml"]))
    second_key = tuple(second["versions"][0][f] for f in ("type", "variant", "version"))

    coc, versions = add_version(approval, second)
    assert set(versions) == {first_key, second_key}
    assert deep_merge(coc, versions[first_key]["coc"]) == first["coc"]
    assert deep_merge(coc, versions[second_key]["coc"]) == second["coc"]
    shared = {k for k in first["coc"] if first["coc"][k] == second["coc"].get(k)}
    assert shared <= set(coc)  # what both versions share stays at approval level


def test_the_same_version_again_is_unchanged_and_with_other_data_a_clash(cocs):
    data = loaded(cocs["M1-03-Mirai.xml"])
    approval, _ = as_approval(data)
    assert add_version(approval, copy.deepcopy(data)) is None
    changed = copy.deepcopy(data)
    changed["coc"]["MaximumSpeed"] = 1
    with pytest.raises(Clash) as caught:
        add_version(approval, changed)
    assert "exists with different data (in MaximumSpeed)" in caught.value.detail


@pytest.mark.parametrize("field, value, words", [
    ("number", "e6*2018/858*00002*04", "register the extension first"),
    ("issue_date", date(2024, 1, 1), "register the extension first"),
    ("category", "N1", "differs from approval e6*2018/858*00002*03 in category"),
    ("entity", "OTHER", "in entity"),
])
def test_a_message_that_contradicts_the_approval_is_a_clash(cocs, field, value, words):
    data = loaded(cocs["M1-03-Mirai.xml"])
    approval, _ = as_approval(data)
    other = copy.deepcopy(data)
    other[field] = value
    other["versions"][0]["version"] = "ANOTHER"
    with pytest.raises(Clash) as caught:
        add_version(approval, other)
    assert words in caught.value.detail
