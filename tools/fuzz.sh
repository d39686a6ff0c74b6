#!/usr/bin/env bash
# An OpenAPI-driven fuzzer that no one here wrote (schemathesis, pinned, installed by tools/setup.sh)
# against the running edge's own document, both APIs (issue 12): the insurer API signed, the
# policyholder API with a fresh revisit and device cookie per case (tools/schemathesis/hooks.py).
# Checks: no server error, every status, content type, header and body as documented. Bounded by
# FUZZ_SECONDS (default 150). Needs EDGE_URL and ORIGIN_URL of a running stack (tools/stack.sh).
#
#   tools/fuzz.sh            then read the figures at the end: requests, server errors, accepted creates
set -uo pipefail
cd "$(dirname "$0")/.."
: "${EDGE_URL:?start the stack first (tools/stack.sh)}" "${ORIGIN_URL:?}"
venv=${HUIFANG_SCHEMATHESIS_VENV:-.state/schemathesis-venv}
[ -x "$venv/bin/st" ] || { echo "fuzz: schemathesis is not installed in $venv (run tools/setup.sh)" >&2; exit 1; }
# Beside the stack's logs when tools/stack.sh started it; the figures' raw lines and the JUnit report.
if [ -n "${STACK_DIR:-}" ]; then out=$STACK_DIR/fuzz; mkdir -p "$out"; else out=$(mktemp -d "${TMPDIR:-/tmp}/huifang-fuzz-XXXXXX"); fi
export FUZZ_STATS=$out/stats.jsonl PYTHONPATH="tools/schemathesis${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=hooks
: >"$FUZZ_STATS"
"$venv/bin/st" --no-color run "$EDGE_URL/v1/openapi.json" --url "$EDGE_URL" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing --max-time "${FUZZ_SECONDS:-150}" --workers 1 \
  --request-timeout 30 --suppress-health-check all --seed "${FUZZ_SEED:-$RANDOM}" \
  --report junit --report-dir "$out"
rc=$?
"$venv/bin/python" tools/schemathesis/summary.py "$FUZZ_STATS" || rc=1
echo "fuzz: reports in $out"
exit $rc
