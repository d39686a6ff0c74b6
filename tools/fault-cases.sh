# The harness of a configuration check's fault tests (tools/check-workerd-test.sh and
# tools/check-regions-test.sh, which replaces `fresh` with one that makes a git repository): a scratch copy of wrangler.toml beside links to the build outputs, `edit`
# to put one fault in it, and `expect` to run the check on it. Sourced; the sourcing script sets
# CHECK (the check's command, as an array) and calls fault_cases_done at the end.
fault_scratch=$(mktemp -d "${TMPDIR:-/tmp}/huifang-faults-XXXXXX")
trap 'rm -rf "$fault_scratch"' EXIT
ln -s "$(pwd)/edge" "$(pwd)/app" "$(pwd)/node_modules" "$fault_scratch/"
fault_failed=0 fault_cases=0

# A clean copy of wrangler.toml in the scratch folder.
fresh() { cp wrangler.toml "$fault_scratch/"; }

# Puts a fault in the scratch copy: a perl substitution over the whole file.
edit() { perl -0pi -e "$1" "$fault_scratch/wrangler.toml"; }

# expect NAME STATUS PATTERN [check args…]: runs the check on the scratch copy; wants STATUS and a
# line matching PATTERN.
expect() {
  local name=$1 want=$2 pattern=$3 out rc
  shift 3
  fault_cases=$((fault_cases + 1))
  out=$("${CHECK[@]}" --config "$fault_scratch/wrangler.toml" "$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
    echo "ok   $name: exit $rc, $(grep -m1 -E -- "$pattern" <<<"$out")"
  else
    echo "FAIL $name: wanted exit $want and a line matching /$pattern/, got exit $rc:"
    sed 's/^/     /' <<<"$out"
    fault_failed=$((fault_failed + 1))
  fi
}

# The summary line (NAME: k of n cases as expected); fails if any case did not.
fault_cases_done() {
  echo "$1: $((fault_cases - fault_failed)) of $fault_cases cases as expected"
  [ "$fault_failed" -eq 0 ]
}
