"""Legislative-plan calls (issue 17) at ten times the largest call a city sees (hundreds of
proposals): submitting proposals one request at a time, a liaison point's batch of
proposals, bulk classification, the call's public page and the staff list, and the two
exports (Excel, Word 立法项目建议汇总表).

Proposals are sent through the service each channel calls (``submit_proposal``), one
commit each as a request makes; the batch through ``batches.check``/``store``; the pages
through the Flask test client (median of 5); the exports as their jobs write them.

    .venv/bin/python bench/bench_plan_calls.py [--proposals 2000] [--batch-rows 500]
        [--backends sqlite,postgresql]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.opinion_data import DEFAULT_PG_URL, bench_config, postgres_reachable, scratch_database  # noqa: E402

AREAS = ["民生保障", "城市管理", "生态环境", "数字政府"]
PASSWORD = "bench password 2026"


def _proposal(n: int):
    from participation.services import proposals

    return proposals.ProposalInput(
        title=f"某市第{n}号示例管理条例", necessity="现行规定分散，执法依据不足，群众反映强烈，需要专门立法。" * 3,
        problems="监管职责不清，处罚标准不一。" * 2, measures="明确部门职责，建立信用管理和联合惩戒制度。" * 2,
        area=AREAS[n % len(AREAS)], category=("citizen", "organisation", "expert", "government")[n % 4],
        submitter_name=f"提出人{n}", unit=f"某单位{n}", region="东城区", contact=f"138{n:08d}", is_name_public=n % 3 == 0)


def _batch_rows(count: int) -> list[dict]:
    return [{"title": f"某市联系点建议第{n}号条例", "necessity": "基层群众反映集中，亟需立法规范。" * 2,
             "problems": "缺少统一标准。", "measures": "建立标准和监督制度。", "area": AREAS[n % len(AREAS)],
             "category": "居民", "name": "", "region": "和平街道", "represented": 1 + n % 9}
            for n in range(count)]


def _median_get(client, path: str) -> tuple[float, int]:
    times = []
    status = 0
    for _ in range(5):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        status = response.status_code
    return statistics.median(times), status


def run(url: str, instance: str, proposals_count: int, batch_rows: int) -> dict:
    from app import create_app
    from participation import batches, clock
    from participation.exports import proposals as proposal_exports
    from participation.extensions import db
    from participation.models import PlanCall, Proposal, Role
    from participation.queries import ProposalFilters
    from participation.services import accounts, classifications, plan_calls, proposals
    from participation.services.liaison import create_liaison_point
    from participation.unit_of_work import reading

    # The staff list is read signed in, through the login form (no browser: no CSRF token).
    app = create_app(bench_config(url, instance, WTF_CSRF_ENABLED=False))
    figures: dict[str, float] = {}
    with app.app_context():
        now = clock.now()
        staff = accounts.create_user(email="staff@bench.example.org", password=PASSWORD, role=Role.STAFF)
        citizen = accounts.create_user(email="citizen@bench.example.org", password=PASSWORD, role=Role.CITIZEN)
        point = create_liaison_point(name="基准联系点")
        operator = accounts.create_user(email="operator@bench.example.org", password=PASSWORD, role=Role.OPERATOR,
                                        liaison_point=point)
        call = plan_calls.create_call(plan_calls.PlanCallInput(
            title="基准征集", year=2030, focus_areas=AREAS, opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=30)), by=staff, now=now, publish=True)
        db.session.commit()
        call_id, citizen_id, staff_id = call.id, citizen.id, staff.id

        started = time.perf_counter()
        for n in range(proposals_count):
            author = db.session.get(type(citizen), citizen_id)
            proposals.submit_proposal(db.session.get(PlanCall, call_id), _proposal(n), author=author,
                                      now=clock.now(), submission_token=f"form:bench-{n}")
            db.session.commit()
        figures["submit_each_ms"] = (time.perf_counter() - started) / proposals_count * 1000

        started = time.perf_counter()
        activity = batches.parse_activity({"kind": "座谈会", "date": now.date().isoformat()}, today=now.date())
        checked = batches.check(batches.JsonSource(_batch_rows(batch_rows)), db.session.get(PlanCall, call_id), point)
        batches.store(checked, activity, operator, clock.now())
        db.session.commit()
        figures["batch_s"] = time.perf_counter() - started

        ids = list(db.session.scalars(db.select(Proposal.id).where(Proposal.call_id == call_id)))
        started = time.perf_counter()
        classifications.classify_many(db.session.get(PlanCall, call_id), ids,
                                      classifications.ClassificationInput("research", "先开展调研论证。"),
                                      by=db.session.get(type(staff), staff_id), now=clock.now())
        db.session.commit()
        figures["classify_all_s"] = time.perf_counter() - started
        figures["proposals"] = len(ids)

        client = app.test_client()
        figures["public_call_page_ms"], status = _median_get(client, f"/plan-calls/{call_id}")
        assert status == 200, status
        figures["public_call_page_ms"] *= 1000
        client.post("/login", data={"email": "staff@bench.example.org", "password": PASSWORD})
        figures["staff_list_ms"], status = _median_get(client, f"/staff/plan-calls/{call_id}")
        assert status == 200, status
        figures["staff_list_ms"] *= 1000

        with app.test_request_context(), tempfile.TemporaryDirectory() as tmp, reading():
            started = time.perf_counter()
            rows = proposal_exports.write_workbook(Path(tmp) / "p.xlsx", call_id, ProposalFilters())
            figures["xlsx_s"] = time.perf_counter() - started
            started = time.perf_counter()
            rows_docx = proposal_exports.write_summary(Path(tmp) / "p.docx", db.session.get(PlanCall, call_id),
                                                       ProposalFilters())
            figures["docx_s"] = time.perf_counter() - started
            assert rows == rows_docx == len(ids), (rows, rows_docx, len(ids))
        db.session.remove()
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--batch-rows", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG_URL)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if backend == "postgresql" and not postgres_reachable(args.database_url):
            print("postgresql: not reachable, skipped")
            continue
        with scratch_database(backend, args.database_url) as (url, instance):
            figures = run(url, instance, args.proposals, args.batch_rows)
        print(f"{backend}: {figures['proposals']} proposals")
        print(f"  submit, one request each      {figures['submit_each_ms']:8.1f} ms per proposal")
        print(f"  batch of {args.batch_rows} rows (check+store) {figures['batch_s']:8.2f} s")
        print(f"  classify all (bulk)           {figures['classify_all_s']:8.2f} s")
        print(f"  public call page              {figures['public_call_page_ms']:8.1f} ms (median of 5)")
        print(f"  staff proposal list           {figures['staff_list_ms']:8.1f} ms (median of 5)")
        print(f"  Excel export (all fields)     {figures['xlsx_s']:8.2f} s")
        print(f"  Word 立法项目建议汇总表        {figures['docx_s']:8.2f} s")


if __name__ == "__main__":
    main()
