"""`ECOC_REPLICAS`: how many processes of each service `ecoc up` and the test and bench stacks run; and
`ECOC_PAPER_PART_SIZE`, a whole number read the same way."""
import pytest

from cli.stack import Stack, instances, replica_index, service_of
from common.config import PROCESSES, Settings, parse_replicas


def test_one_number_doubles_every_process():
    assert dict(parse_replicas("2")) == dict.fromkeys(PROCESSES, 2)


def test_named_processes_others_run_once():
    counts = dict(parse_replicas(" signing=3, vehicles=2 "))
    assert counts == dict(dict.fromkeys(PROCESSES, 1), signing=3, vehicles=2)
    assert dict(parse_replicas("")) == dict.fromkeys(PROCESSES, 1)


@pytest.mark.parametrize("raw, named", [("0", "ECOC_REPLICAS"), ("signing=two", "signing"),
                                        ("sealing=2", "sealing"), ("signing=-1", "signing")])
def test_bad_values_name_the_setting(raw, named):
    with pytest.raises(ValueError, match=named):
        parse_replicas(raw)


def test_the_paper_part_size_is_a_whole_number_of_1_or_more(monkeypatch):
    monkeypatch.delenv("ECOC_PAPER_PART_SIZE", raising=False)
    assert Settings().paper_part_size == 500
    monkeypatch.setenv("ECOC_PAPER_PART_SIZE", "20")
    assert Settings().paper_part_size == 20
    for raw in ("0", "-3", "ten"):
        monkeypatch.setenv("ECOC_PAPER_PART_SIZE", raw)
        with pytest.raises(ValueError, match="ECOC_PAPER_PART_SIZE"):
            Settings()


def test_process_names_first_processes_then_replicas():
    names = instances(parse_replicas("signing=3,gateway=2"))
    assert names == [*PROCESSES, "signing-2", "signing-3", "gateway-2"]
    assert [service_of(n) for n in names[-3:]] == ["signing", "signing", "gateway"]
    assert [replica_index(n) for n in ("signing", "signing-2", "gateway-2")] == [0, 1, 1]


def test_each_gateway_process_listens_on_a_port_of_its_own():
    stack = Stack(env={"ECOC_GATEWAY_PORT": "8100", "ECOC_GATEWAY_HOST": "127.0.0.1"})
    stack.children = dict.fromkeys(instances(parse_replicas("gateway=2")))
    assert stack.gateway_urls() == ["http://127.0.0.1:8100", "http://127.0.0.1:8101"]
