"""Parity of a legacy eCoC with ecoc's composition (`services.rollout.domain.parity`), on the nine official samples
read from ../shared/ivi (never copied into the repository)."""
import copy
from pathlib import Path

import pytest

from common.ivi import load_schema, read_ivi
from services.rollout.domain.parity import EXCLUDED, compare, digest, is_mandatory

IVI_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "ivi"
SAMPLES = sorted((IVI_DIR / "samples").glob("*.xml")) if IVI_DIR.is_dir() else []

pytestmark = pytest.mark.skipif(not SAMPLES, reason="the official samples are not in ../shared/ivi")


@pytest.fixture(scope="module")
def schema():
    return load_schema(IVI_DIR / "IVI2.0.xsd")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_a_sample_has_parity_with_itself_in_any_order(schema, sample):
    coc = read_ivi(sample.read_bytes(), schema)["coc"]
    shuffled = {k: (list(reversed(v)) if isinstance(v, list) else v) for k, v in reversed(list(coc.items()))}
    assert compare(schema, coc, shuffled) == []
    assert digest(coc) == digest(shuffled)


def test_numbers_and_dates_are_normalised_and_texts_are_not(schema):
    coc = read_ivi(SAMPLES[0].read_bytes(), schema)["coc"]
    other = copy.deepcopy(coc)
    other["MassGroup"]["MassInRunningOrder"] = 1
    legacy = copy.deepcopy(coc)
    legacy["MassGroup"]["MassInRunningOrder"] = "1.00"
    assert compare(schema, legacy, other) == []
    legacy["TypeApprovalIssueDate"] = coc["TypeApprovalIssueDate"] + "Z"
    legacy["MassGroup"]["MassInRunningOrder"] = 1
    assert compare(schema, legacy, other) == []
    other["Variant"] = coc["Variant"].lower() + "x"
    assert [d["path"] for d in compare(schema, legacy, other)] == ["Variant"]


def test_a_changed_value_is_reported_at_its_exact_path_with_both_values(schema):
    sample = next(s for s in SAMPLES if s.stem.startswith("M1-01"))
    coc = read_ivi(sample.read_bytes(), schema)["coc"]
    ecoc = copy.deepcopy(coc)
    axle = ecoc["AxleTable"][1]
    tyres = axle["TyreAxleTable"]
    old = tyres[0]["TyreSize"]
    tyres[0]["TyreSize"] = "999/99 R99"
    assert compare(schema, coc, ecoc) == [
        {"path": "AxleTable[1].TyreAxleTable[0].TyreSize", "legacy": old, "ecoc": "999/99 R99", "mandatory": False}]


def test_a_missing_row_and_a_mandatory_field_are_named(schema):
    coc = next(c for c in (read_ivi(s.read_bytes(), schema)["coc"] for s in SAMPLES) if c.get("ColourTable"))
    ecoc = copy.deepcopy(coc)
    ecoc["ColourTable"] = coc.get("ColourTable", []) + [{"Colour": "9"}]
    ecoc["TypeApprovalNumber"] = "e1*2018/858*99999*00"
    diffs = {d["path"]: d for d in compare(schema, coc, ecoc)}
    assert diffs[f"ColourTable[{len(coc.get('ColourTable', []))}]"]["legacy"] is None
    assert diffs["TypeApprovalNumber"]["mandatory"] is True
    assert is_mandatory("ManufacturerTable[0].ManufacturerName") and not is_mandatory("ColourTable[0].Colour")


def test_the_signing_authority_is_excluded_and_said_so(schema):
    coc = read_ivi(SAMPLES[0].read_bytes(), schema)["coc"]
    ecoc = copy.deepcopy(coc)
    ecoc["SigningAuthorityTable"][0]["SignatureDate"] = "2099-01-01"
    assert compare(schema, coc, ecoc) == []
    assert set(EXCLUDED) == {"Header", "Signature", "SigningAuthorityTable"}
