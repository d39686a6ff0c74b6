// Staff accounts for the console's specs: created in the running stack's archive with the origin's
// own admin command (`huifang-origin staff add`), the password passed in the environment, never argv.
import { execFileSync } from 'node:child_process';

export const STAFF_PASSWORD = 'e2e-staff-password-0001';

/** Creates staff account `id` with `role` in the stack's archive (or `db`), unless it exists already. */
export function ensureStaff(id, role, { name = id, sellerCode, password = STAFF_PASSWORD, db = process.env.HUIFANG_ORIGIN_DB || `${process.env.STACK_DIR}/origin.sqlite3` } = {}) {
  const bin = process.env.HUIFANG_ORIGIN_BIN ?? 'target/debug/huifang-origin';
  const args = ['staff', 'add', '--db', db, '--id', id, '--role', role, '--name', name];
  if (sellerCode) args.push('--seller-code', sellerCode);
  try {
    execFileSync(bin, args, { env: { ...process.env, HUIFANG_STAFF_PASSWORD: password }, stdio: 'pipe' });
  } catch (e) {
    if (!String(e.stderr).includes('exists already')) throw e;
  }
}
