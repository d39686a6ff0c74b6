// The output of a configuration check (tools/check-workerd.mjs, tools/check-regions.mjs): one line per check, `ok   …` or `FAIL …: why`, and the count of failures.
export function checklist() {
  let failures = 0;
  const ok = (what) => console.log(`ok   ${what}`);
  const fail = (what) => {
    failures++;
    console.log(`FAIL ${what}`);
  };
  const check = (cond, what, why) => (cond ? ok(what) : fail(`${what}: ${why}`));
  return { ok, fail, check, failures: () => failures };
}
