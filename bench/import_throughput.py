"""Benchmark: bulk import of N vehicles (default 10,000, the most one request takes) through the gateway, as
JSON and as CSV, new and then unchanged; and how long validation takes to judge them. Prints a table;
asserts nothing.

    .venv/bin/python -m bench.import_throughput [N]     (uses the running stack or starts one)
"""
import csv
import io
import json
import platform
import sys
import time
from datetime import date

from bench.tables import table
from cli import demo_data
from cli.client import Client
from cli.demo import running_stack
from common.config import settings

CSV_COLUMNS = ("vin", "approval_number", "type", "variant", "version", "production_date", "intended_country",
               "entity", "actual_mass", "colour")


def as_csv(vehicles):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for v in vehicles:
        writer.writerow([v[c] for c in CSV_COLUMNS[:8]]
                        + [v["coc"]["MassGroup"]["ActualMass"], v["coc"]["ColourTable"][0]["Colour"]])
    return out.getvalue().encode("utf-8")


class ImportBench:
    def __init__(self, count):
        self.count = count
        self.rows = []
        self.steward = Client("dana", ["data_steward"], [demo_data.ENTITY])
        self.viewer = Client("vic", ["viewer"], [demo_data.ENTITY])

    def setup(self):
        Client("ada", ["admin"]).put(f"/v1/entities/{demo_data.ENTITY}", demo_data.entity())
        manager = Client("alice", ["approvals_manager"], [demo_data.ENTITY])
        if not manager.get("/v1/approvals", params={"number": demo_data.APPROVAL_NUMBER})["items"]:
            manager.post("/v1/approvals", demo_data.approval())

    def timed(self, label, send, expected):
        start = time.perf_counter()
        result = send().json()
        seconds = time.perf_counter() - start
        accounted = result["accepted"] + result["unchanged"] + len(result["rejected"])
        assert accounted == self.count and (result["accepted"], result["unchanged"]) == expected, result
        self.rows.append([label, f"{seconds:.2f}", f"{self.count / seconds:.0f}"])

    def validated(self, label):
        """Until no vehicle of the entity is draft: validation has judged every imported one."""
        start = time.perf_counter()
        while self.viewer.get("/v1/vehicles", params={"status": "draft", "entity": demo_data.ENTITY,
                                                       "limit": 1})["items"]:
            time.sleep(0.5)
        self.rows.append([label, f"{time.perf_counter() - start:.2f}", "-"])

    def run(self):
        self.setup()
        seed = time.time_ns()
        by_json = demo_data.vehicles(self.count, seed=seed)
        by_csv = demo_data.vehicles(self.count, seed=seed + 1)
        body = json.dumps({"vehicles": by_json}).encode("utf-8")
        text = as_csv(by_csv)
        post_json = lambda: self.steward.request("POST", "/v1/vehicles/import", data=body,  # noqa: E731
                                                 headers={"Content-Type": "application/json"}, timeout=300)
        post_csv = lambda: self.steward.request("POST", "/v1/vehicles/import", data=text,  # noqa: E731
                                                headers={"Content-Type": "text/csv"}, timeout=300)
        self.timed(f"JSON, new ({len(body) / 1e6:.1f} MB)", post_json, (self.count, 0))
        self.timed("JSON, unchanged", post_json, (0, self.count))
        self.validated("  validation of them, after the imports")
        self.timed(f"CSV, new ({len(text) / 1e6:.1f} MB)", post_csv, (self.count, 0))
        self.timed("CSV, unchanged", post_csv, (0, self.count))
        self.validated("  validation of them, after the imports")
        return self.rows


def main(argv):
    count = int(argv[0]) if argv else 10000
    s = settings()
    stack = running_stack(s)
    try:
        rows = ImportBench(count).run()
    finally:
        if stack is not None:
            stack.stop()
    print(f"\necoc bulk import, {count} vehicles a request, through the gateway — {date.today()} — "
          f"{platform.node()}, {platform.machine()}, Python {platform.python_version()}")
    print(table(rows, ["import", "seconds", "vehicles/s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
