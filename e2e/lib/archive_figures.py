#!/usr/bin/env python3
"""The statistics' figures of one year, computed independently of the origin's code: straight from
the archive's sealed records, the case log and the sample log (SQLite, Python's standard library).
Usage: archive_figures.py ARCHIVE.sqlite3 YEAR  ->  JSON {"months": {"YYYY-MM": {...}}, "total": {...}}
The figures are named as the origin's CSV header names them (R14, R15)."""
import datetime
import json
import sqlite3
import sys
import time

FIGURES = [
    "issued", "completed_electronic_in_cooling_off", "completed_electronic_late",
    "completed_by_phone", "completed_by_letter_or_visit", "not_completed_unreachable",
    "not_completed_in_progress", "electronic_expired", "electronic_cancelled",
    "switched_to_phone", "problem_cases_opened", "problem_cases_handled_in_time",
    "problem_cases_overdue", "sampling_findings",
]


def beijing_month(ms):
    return time.strftime("%Y-%m", time.gmtime(ms / 1000 + 8 * 3600))


def main(path, year):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    now = int(time.time() * 1000)
    month_of = {}
    months = {}

    def fig(revisit):
        m = month_of[revisit]
        return months.setdefault(m, {f: 0 for f in FIGURES})

    for (sealed,) in db.execute("SELECT sealed_json FROM records"):
        r = json.loads(sealed)["record"]
        m = beijing_month(r["created_at"])
        if not m.startswith(f"{year}-"):
            continue
        month_of[r["revisit_id"]] = m
        f = fig(r["revisit_id"])
        f["issued"] += 1
        o = r["outcome"]
        if o == "completed":
            late = r["finished_at"] > r["cooling_off_ends_at"]
            f["completed_electronic_late" if late else "completed_electronic_in_cooling_off"] += 1
        elif o == "switched_to_phone":
            f["switched_to_phone"] += 1
        elif o == "expired":
            f["electronic_expired"] += 1
        elif o == "cancelled":
            f["electronic_cancelled"] += 1

    cases = {}
    for (entry,) in db.execute("SELECT entry_json FROM case_log ORDER BY seq"):
        e = json.loads(entry)
        ev = e["event"]
        if ev["event"] == "opened":
            cases[e["case_id"]] = {"revisit": ev["revisit_id"], "kind": ev["kind"]["kind"],
                                   "due": ev["due_at"], "closed": None, "resolution": None}
        elif ev["event"] == "closed" and e["case_id"] in cases:
            cases[e["case_id"]]["closed"] = e["at"]
            cases[e["case_id"]]["resolution"] = ev["resolution"]["resolution"]
    for c in cases.values():
        if c["revisit"] not in month_of:
            continue
        f = fig(c["revisit"])
        if c["kind"] == "fallback":
            key = {"completed_by_phone": "completed_by_phone",
                   "completed_by_receipt": "completed_by_letter_or_visit",
                   "unreachable": "not_completed_unreachable"}.get(c["resolution"], "not_completed_in_progress")
            f[key] += 1
        else:
            f["problem_cases_opened"] += 1
            if c["closed"] is not None and c["closed"] <= c["due"]:
                f["problem_cases_handled_in_time"] += 1
            elif c["closed"] is not None or now > c["due"]:
                f["problem_cases_overdue"] += 1

    for (entry,) in db.execute("SELECT entry_json FROM sample_log WHERE event = 'reviewed'"):
        ev = json.loads(entry)["event"]
        if ev["verdict"] == "finding" and ev["revisit_id"] in month_of:
            fig(ev["revisit_id"])["sampling_findings"] += 1

    total = {f: sum(m[f] for m in months.values()) for f in FIGURES}
    first = db.execute("SELECT MIN(json_extract(sealed_json, '$.record.created_at')) FROM records").fetchone()[0]
    print(json.dumps({"months": months, "total": total,
                      "first_revisit": first and time.strftime("%Y-%m-%d", time.gmtime(first / 1000 + 8 * 3600)),
                      "first_use_due": first and first_use_due(first)}))


def first_use_due(first_ms):
    """R15: the 10th working day after the first revisit's Beijing date, on the State Council's
    calendar (core/data/holidays-cn.json: holidays off, make-up days worked)."""
    table = json.load(open("core/data/holidays-cn.json"))
    off, worked = set(), set()
    for y in table["years"]:
        for h in y["holidays"]:
            d = datetime.date.fromisoformat(h["from"])
            while d <= datetime.date.fromisoformat(h["to"]):
                off.add(d)
                d += datetime.timedelta(days=1)
        worked.update(datetime.date.fromisoformat(d) for d in y["make_up_working_days"])
    day = datetime.datetime.utcfromtimestamp(first_ms / 1000 + 8 * 3600).date()
    left = 10
    while left:
        day += datetime.timedelta(days=1)
        if day in worked or (day.weekday() < 5 and day not in off):
            left -= 1
    return day.isoformat()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
