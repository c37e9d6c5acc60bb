"""The data interface against a real database (SQLite and PostgreSQL): reminders per person,
webhook subscriptions, the streamed and resumable export, and the all-or-nothing imports through
the CLI, with payments matched to their requests and mismatches filed as alerts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.service.imports import import_projects
from api.service.oversight import OVERSIGHT_PARTY
from notary import merkle
from notary.exchange import ImportRefused
from notary.lifecycle import LifecycleRefusal, Role
from notary.oversight import parse_alert_record
from tests.integration.api.lifecycle_world import (
    World,
    accepted,
    contracting,
    make_world,
    registered,
    to_implementation,
    to_settlement,
)
from tests.support.lifecycle import CAST, CODE

SUNLIGHT = Path(sys.executable).parent / "sunlight"
HEAD, CONTRACTOR, FINANCE = (
    CAST[Role.VILLAGE_COMMITTEE_HEAD][0],
    CAST[Role.CONTRACTOR][0],
    CAST[Role.FINANCE_REVIEWER][0],
)


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[World]:
    yield from make_world(tmp_path, database_url=db_url)


def lines(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def run_cli(world: World, *args: str) -> tuple[int, str]:
    """``sunlight ARGS`` in its own process, on the world's database: exit status, output."""
    env = {
        **os.environ,
        "SUNLIGHT_DATA_DIR": str(world.api.settings.data_dir),
        "SUNLIGHT_DATABASE_URL": world.api.settings.database_url,
    }
    done = subprocess.run(
        [str(SUNLIGHT), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout + done.stderr


# --- reminders and subscriptions ------------------------------------------------------------------


def test_reminders_are_listed_per_person(world: World) -> None:
    contracting(to_implementation(registered(world)))
    client, auth = world.api.client, world.api.auth
    assert lines_of(client.get("/v1/reminders", headers=auth(CONTRACTOR))) == []
    world.clock.advance(130)  # past the planned end, 2026-06-30, with no completion
    mine = client.get("/v1/reminders", headers=auth(CONTRACTOR)).json()
    assert mine["person"] == CONTRACTOR
    [reminder] = mine["reminders"]
    assert (reminder["kind"], reminder["waits_on"], reminder["overdue"]) == (
        "contract_overdue",
        "completion",
        True,
    )
    assert reminder["text_zh"] and reminder["project"] == CODE
    other = client.get(f"/v1/reminders?person={HEAD}", headers=auth(CONTRACTOR))
    assert other.status_code == 403
    as_admin = client.get(f"/v1/reminders?person={HEAD}", headers=auth("admin")).json()
    assert [r["person"] for r in as_admin["reminders"]] == [HEAD]
    world.ok("completion", Role.CONTRACTOR)
    kinds = {r["kind"] for r in lines_of(client.get("/v1/reminders", headers=auth(CONTRACTOR)))}
    assert kinds == {"acceptance_missing"}


def lines_of(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["reminders"]
    return found


def test_a_subscription_shows_its_secret_once(world: World) -> None:
    client, admin = world.api.client, world.api.auth("admin")
    body = {"subscriber_kind": "person", "subscriber": CONTRACTOR, "url": "https://ops.example/h"}
    made = client.post("/v1/webhooks", headers=admin, json=body)
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert len(secret) == 64
    listed = client.get("/v1/webhooks", headers=admin)
    assert secret not in listed.text and listed.json()[0]["id"] == made.json()["id"]
    unknown = {**body, "subscriber": "p-nobody"}
    assert client.post("/v1/webhooks", headers=admin, json=unknown).status_code == 404
    assert client.delete(f"/v1/webhooks/{made.json()['id']}", headers=admin).status_code == 204
    assert client.get("/v1/webhooks", headers=admin).json() == []


# --- export -----------------------------------------------------------------------------------------


def test_records_export_streams_resumes_and_hides_private_records(world: World) -> None:
    registered(world)
    api = world.api
    private = api.submit("township", meta={"public": False}, file=None)
    assert private.status_code == 201, private.text
    for i in range(5):
        assert api.submit("township", meta={"data": {"n": i}}, file=None).status_code == 201
    everything = lines(api.client.get("/v1/export/records", headers=api.auth("auditor")))
    public = lines(api.client.get("/v1/export/records"))
    assert len(everything) == len(public) + 1
    assert private.json()["id"] not in {line["id"] for line in public}
    assert [line["position"] for line in everything] == list(range(len(everything)))
    for line in everything:  # the record is the log entry itself: its leaf hash recomputes
        entry = json.dumps(line["record"], ensure_ascii=False, separators=(",", ":")).encode()
        assert merkle.leaf_hash(entry).hex() == line["leaf_hash"]
    cut = everything[3]["position"]
    rest = lines(api.client.get(f"/v1/export/records?after={cut}", headers=api.auth("auditor")))
    assert rest == everything[4:]
    csv_rows = list(
        csv.DictReader(api.client.get("/v1/export/records?format=csv").text.split("\n"))
    )
    assert [json.loads(r["record"]) for r in csv_rows] == [line["record"] for line in public]
    assert [int(r["position"]) for r in csv_rows] == [line["position"] for line in public]
    assert {r["kind"] for r in csv_rows} >= {"document", "project_registration"}
    own = lines(api.client.get("/v1/export/records", headers=api.auth("township")))
    other = lines(api.client.get("/v1/export/records", headers=api.auth("contractor")))
    assert private.json()["id"] in {line["id"] for line in own}
    assert private.json()["id"] not in {line["id"] for line in other}
    assert api.client.get("/v1/export/records?after=x1").status_code == 422


def test_projects_and_bundles_export(world: World) -> None:
    registered(world)
    api = world.api
    [project] = lines(api.client.get("/v1/export/projects"))
    assert project["position"] == CODE and project["registration"]["budget_fen"] > 0
    assert {p["power"] for p in project["powers"]} == {"approval", "supervision", "evaluation"}
    assert lines(api.client.get(f"/v1/export/projects?after={CODE}")) == []
    api.anchor()
    assert api.submit("township", file=None).status_code == 201  # after the anchor
    bundles = lines(api.client.get("/v1/export/bundles", headers=api.auth("admin")))
    size = api.client.get("/v1/checkpoints/latest").json()["checkpoint"]["tree_size"]
    assert [b["position"] for b in bundles] == list(range(size))  # stops at the unanchored one
    assert all(b["bundle"]["format"] == "sunlight-proof/1" for b in bundles)


FORMULA_NAME = '=HYPERLINK("http://x")'


def test_a_formula_in_a_csv_export_is_escaped_and_reimports_as_the_same_text(
    world: World,
) -> None:
    """OWASP CSV injection: text cells a spreadsheet would run are exported with a leading ``'``,
    which the importer takes off again; numbers, hashes and JSON cells are written untouched."""
    notary, parties = world.ctx.notary, world.ctx.parties
    row = {
        **dict(zip(HEADER_COLUMNS, next(csv.reader([project_row("F-1")])), strict=True)),
        "name": FORMULA_NAME,
        "funding_source": "@county fund",
    }
    import_projects(notary, parties, csv_file([row]), progress=lambda _: None)
    [jsonl] = lines(world.api.client.get("/v1/export/projects"))
    assert jsonl["registration"]["name"] == FORMULA_NAME  # the record holds the text as given
    exported = world.api.client.get("/v1/export/projects?format=csv").text
    assert ',"\'=HYPERLINK(""http://x"")",' in exported and '"=HYPERLINK' not in exported
    [cells] = list(csv.DictReader(exported.splitlines()))
    assert cells["name"] == "'" + FORMULA_NAME and cells["funding_source"] == "'@county fund"
    assert cells["budget_fen"] == "20000000" and cells["code"] == "F-1"  # numbers, codes: as is
    again = {c: cells.get(c, row[c]) for c in HEADER_COLUMNS}  # the export's cells
    import_projects(notary, parties, csv_file([{**again, "code": "F-2"}]), progress=lambda _: None)
    [_, second] = lines(world.api.client.get("/v1/export/projects"))
    assert second["registration"]["name"] == FORMULA_NAME
    assert second["registration"]["funding_source"] == "@county fund"
    records = list(
        csv.DictReader(world.api.client.get("/v1/export/records?format=csv").text.splitlines())
    )
    for r in records:  # the hashes and the entry, untouched: the leaf hash recomputes
        assert merkle.leaf_hash(r["record"].encode()).hex() == r["leaf_hash"]
    assert json.loads(records[-1]["record"])["data"]["name"] == FORMULA_NAME
    with notary.log.engine.begin() as conn:  # a column changed behind the log's back
        conn.exec_driver_sql("UPDATE entries SET submitter = '=cmd|x' WHERE idx = 0")
    csv_text = world.api.client.get("/v1/export/records?format=csv").text
    assert next(csv.DictReader(csv_text.splitlines()))["submitter"] == "'=cmd|x"


def csv_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


# --- import -----------------------------------------------------------------------------------------

PROJECT_HEADER = (
    "code,name,county,township,village,category,budget_fen,funding_source,site_lat,site_lon,"
    "site_radius_m,planned_start,planned_end,details,submitter"
)
HEADER_COLUMNS = PROJECT_HEADER.split(",")


def project_row(code: str, budget: str = "20000000", submitter: str = HEAD) -> str:
    return (
        f"{code},村道{code},西泉县,清河镇,李庄村,road,{budget},county fund,30.27,120.15,300,"
        f'2026-04-01,2026-06-30,"{{""length_m"": 100, ""width_m"": 4}}",{submitter}'
    )


def test_project_import_is_all_or_nothing(world: World, tmp_path: Path) -> None:
    size = world.ctx.notary.log.size
    bad = tmp_path / "bad.csv"
    rows = [project_row(f"IM-{i}") for i in range(20)]
    rows[4] = project_row("IM-4", budget="2e7")
    rows[11] = project_row("IM-11", budget="900000000")  # over the small-project ceiling
    rows[15] = project_row("IM-15", submitter=CONTRACTOR)
    rows[16] = project_row("IM-16").replace("2026-06-30", "2026-03-31")  # ends before it starts
    deep = '{""a"": ' * 20 + "1" + "}" * 20  # a record's data nests 16 levels at most
    rows[17] = project_row("IM-17").replace('{""length_m"": 100, ""width_m"": 4}', deep)
    bad.write_text("\n".join([PROJECT_HEADER, *rows]) + "\n", encoding="utf-8")
    status, output = run_cli(world, "import", "projects", str(bad))
    assert status == 2
    assert "row 6, column budget_fen: not an integer" in output
    assert "row 13, column budget_fen: budget.over_ceiling" in output
    assert "row 17, column submitter" in output
    assert "row 18, column planned_end: Value error, planned_end is before" in output
    assert "row 19, column details: the project_registration record of IM-17" in output
    assert "nested deeper than 16 levels" in output
    assert world.ctx.notary.log.size == size  # nothing half-imported
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeff" + "\n".join([PROJECT_HEADER, *(project_row(f"IM-{i}") for i in range(20))])
    )
    status, output = run_cli(world, "import", "projects", str(good))
    assert status == 0, output
    summary = json.loads(output.strip().splitlines()[-1])
    assert summary["records"] == 20 and summary["last_leaf"] == size + 19
    listed = world.api.client.get("/v1/projects?limit=500").json()["projects"]
    assert {p["code"] for p in listed} >= {f"IM-{i}" for i in range(20)}
    status, output = run_cli(world, "import", "projects", str(good))
    assert status == 2 and "row 2, column code: project code IM-0 is in use" in output


def test_a_project_registered_while_an_import_is_checked_is_seen_under_the_log_lock(
    world: World,
) -> None:
    """The import judges its rows before it appends them; a project registered meanwhile (here,
    once every row is checked) is seen under the log lock, where the import's registration of
    the same code is judged again and refused: nothing of the import is appended."""
    notary, parties = world.ctx.notary, world.ctx.parties
    codes = ("RACE-1", CODE, "RACE-2")
    rows = [
        dict(zip(HEADER_COLUMNS, next(csv.reader([project_row(c)])), strict=True)) for c in codes
    ]
    checked: list[int] = []

    def meanwhile(n: int) -> None:
        checked.append(n)
        if len(checked) == len(rows):  # every row checked: the append comes next
            assert world.register().status_code == 201

    size = notary.log.size
    with pytest.raises(LifecycleRefusal):
        import_projects(notary, parties, csv_file(rows), progress=meanwhile)
    assert notary.log.size == size + 1  # the registration filed meanwhile, and nothing else
    listed = world.api.client.get("/v1/projects?limit=500").json()["projects"]
    assert [p["code"] for p in listed] == [CODE]
    with pytest.raises(ImportRefused) as refused:
        import_projects(notary, parties, csv_file(rows), progress=lambda _: None)
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "code")]


def approved_request(world: World, amount: int) -> str:
    accepted(to_settlement(to_implementation(registered(world))))
    request = world.ok("payment_request", Role.CONTRACTOR, {"amount_fen": amount})
    world.ok("payment_approval", Role.FINANCE_REVIEWER, {})
    return str(request["id"])


def test_payments_are_matched_and_mismatches_become_alerts(world: World, tmp_path: Path) -> None:
    reference = approved_request(world, 10_000_000)
    header = "project,reference,amount_fen,paid_at,reviewer,voucher"
    rows = [
        f"{CODE},{reference},10000000,2026-07-02,{FINANCE},V-1",  # matches
        f"{CODE},{reference},10000000,2026-07-03,{FINANCE},V-2",  # paid twice: not payable
        f"{CODE},{reference},9000000,2026-07-03,{FINANCE},V-3",  # amount differs
        f"{CODE},0190nothing,5000,2026-07-03,{FINANCE},",  # no such request
    ]
    content = "\n".join([header, *rows]) + "\n"
    file = tmp_path / "payments.csv"
    file.write_text(content)
    status, output = run_cli(world, "import", "payments", str(file))
    assert status == 0, output
    summary = json.loads(output.strip().splitlines()[-1])
    assert (summary["rows"], summary["records"], summary["alerts"]) == (4, 4, 3)
    state = world.api.client.get(f"/v1/projects/{CODE}", headers=world.api.auth("auditor"))
    assert state.json()["state"]["paid_fen"] == 10_000_000
    alerts = lines(world.api.client.get("/v1/export/alerts", headers=world.api.auth("auditor")))
    digest = hashlib.sha256(content.encode()).hexdigest()
    data = [a["record"]["data"] for a in alerts]
    assert [(d["figures"]["reason"], d["source"]) for d in data] == [
        ("not_payable", {"file_sha256": digest, "row": 3}),
        ("amount_differs", {"file_sha256": digest, "row": 4}),
        ("request_not_found", {"file_sha256": digest, "row": 5}),
    ]
    for d in data:  # the oversight's one alert format, filed by the oversight party
        assert parse_alert_record(d).rule == "payment.import_mismatch"
        assert d["format"] == "sunlight-alert/1" and d["subject"]["projects"] == [CODE]
    assert {a["record"]["submitter"] for a in alerts} == {OVERSIGHT_PARTY}
    assert [[e["record_id"] for e in d["evidence"]] for d in data] == [[reference]] * 2 + [[]]
    assert data[1]["figures"]["expected_amount_fen"] == 10_000_000
    assert data[1]["figures"]["voucher"] == "V-3"
    assert lines(world.api.client.get("/v1/export/alerts")) == []  # private to auditors
    listed = world.api.client.get("/v1/alerts", headers=world.api.auth("auditor")).json()
    assert [a["id"] for a in listed["alerts"]] == [d["id"] for d in reversed(data)]
    assert listed["alerts"][0]["source"] == {"file_sha256": digest, "row": 5}
    assert world.api.client.get("/v1/alerts").json()["alerts"] == []
    assert set(world.ctx.oversight().notarized()) == {d["id"] for d in data}

    # The same file again: the first row is now a second payment (a new alert, its own row);
    # the three mismatches already notarized are not filed twice.
    status, output = run_cli(world, "import", "payments", str(file))
    assert status == 0, output
    again = json.loads(output.strip().splitlines()[-1])
    assert (again["rows"], again["records"], again["alerts"]) == (4, 1, 1)
    reasons = [
        a["record"]["data"]["figures"]["reason"]
        for a in lines(world.api.client.get("/v1/export/alerts", headers=world.api.auth("auditor")))
    ]
    assert reasons == ["not_payable", "amount_differs", "request_not_found", "not_payable"]


def test_a_payments_file_with_a_bad_row_imports_nothing(world: World, tmp_path: Path) -> None:
    reference = approved_request(world, 10_000_000)
    size = world.ctx.notary.log.size
    file = tmp_path / "payments.csv"
    file.write_text(
        "project,reference,amount_fen,paid_at,reviewer\n"
        f"{CODE},{reference},10000000,2026-07-02,{FINANCE}\n"
        f"{CODE},{reference},10000000,2026-07-02,{CONTRACTOR}\n"
    )
    status, output = run_cli(world, "import", "payments", str(file))
    assert status == 2
    assert "row 3, column reviewer" in output and "finance_reviewer" in output
    assert world.ctx.notary.log.size == size


def test_the_cli_export_resumes_a_file_cut_short(world: World, tmp_path: Path) -> None:
    registered(world)
    for i in range(30):
        assert world.api.submit("township", meta={"data": {"n": i}}, file=None).status_code == 201
    full = tmp_path / "full.jsonl"
    status, output = run_cli(world, "export", "records", "-o", str(full))
    assert status == 0, output
    whole = full.read_bytes()
    assert len(whole.splitlines()) == world.ctx.notary.log.size
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(whole[: len(whole) // 2 + 7])  # ends inside a line
    status, output = run_cli(world, "export", "records", "-o", str(cut))
    assert status == 0, output
    assert cut.read_bytes() == whole
    table = tmp_path / "records.csv"
    table.write_bytes(b"")
    for _ in range(2):  # the second run finds nothing new and adds no second header
        status, output = run_cli(world, "export", "records", "--format", "csv", "-o", str(table))
        assert status == 0, output
    assert len(table.read_text().splitlines()) == world.ctx.notary.log.size + 1
