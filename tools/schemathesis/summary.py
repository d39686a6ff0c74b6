"""The figures of a schemathesis run (tools/fuzz.sh): requests, server errors, and the share of
schema-valid generated creates the edge accepted, from the JSON lines the hooks wrote. Exits 1 on
any server error, on no schema-valid create at all, or when fewer than MIN_ACCEPTED_SHARE of them
were accepted (the document's constraints are what make generated bodies valid)."""

import collections
import json
import sys

MIN_ACCEPTED_SHARE = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2

rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
by_op = collections.defaultdict(collections.Counter)
for r in rows:
    by_op[r["op"]][f'{r["status"]} {r["code"] or ""}'.strip()] += 1
server_errors = [r for r in rows if r["status"] >= 500]
creates = by_op["POST /v1/revisits"]
create_total = sum(creates.values())
accepted = creates.get("201", 0)
# The share that matters: creates generated to fit the document (positive mode). Negative ones
# break it on purpose and must be refused.
positive = [r for r in rows if r["op"] == "POST /v1/revisits" and r.get("mode") == "positive"]
positive_accepted = sum(1 for r in positive if r["status"] == 201)
share = positive_accepted / len(positive) if positive else 0.0
refused_valid = collections.Counter(r["code"] for r in positive if r["status"] != 201)

for op in sorted(by_op):
    counts = ", ".join(f"{k}×{v}" for k, v in by_op[op].most_common(8))
    print(f"  {op}: {sum(by_op[op].values())} ({counts})")
print(f"fuzz: {len(rows)} requests, {len(server_errors)} server errors; creates: {accepted} of {create_total} "
      f"accepted, of which {positive_accepted} of {len(positive)} schema-valid ones ({share:.0%})"
      + (f"; schema-valid creates refused: {dict(refused_valid)}" if refused_valid else ""))
ok = not server_errors and positive and share >= MIN_ACCEPTED_SHARE
if not ok:
    print(f"fuzz: FAILED (wanted 0 server errors and at least {MIN_ACCEPTED_SHARE:.0%} of schema-valid creates accepted)")
sys.exit(0 if ok else 1)
