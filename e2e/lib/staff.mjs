// Staff accounts for the console's specs: created in the running stack's archive with the origin's
// own admin command (`huifang-origin staff add`), the password passed in the environment, never argv.
import { execFileSync } from 'node:child_process';

export const STAFF_PASSWORD = 'e2e-staff-password-0001';

/**
 * The running stack's archive: its PostgreSQL database (HUIFANG_ORIGIN_DB) or its SQLite file under
 * STACK_DIR (exported by tools/stack.sh). Without either, a clear error instead of an archive made
 * at `undefined/origin.sqlite3` that the stack's origin never reads.
 */
export function stackArchive() {
  if (process.env.HUIFANG_ORIGIN_DB) return process.env.HUIFANG_ORIGIN_DB;
  if (!process.env.STACK_DIR) throw new Error('STACK_DIR is not set: start the stack with tools/stack.sh (it exports STACK_DIR)');
  return `${process.env.STACK_DIR}/origin.sqlite3`;
}

/** Creates staff account `id` with `role` in the stack's archive (or `db`), unless it exists already. */
export function ensureStaff(id, role, { name = id, sellerCode, password = STAFF_PASSWORD, db = stackArchive() } = {}) {
  const bin = process.env.HUIFANG_ORIGIN_BIN ?? 'target/debug/huifang-origin';
  const args = ['staff', 'add', '--db', db, '--id', id, '--role', role, '--name', name];
  if (sellerCode) args.push('--seller-code', sellerCode);
  try {
    execFileSync(bin, args, { env: { ...process.env, HUIFANG_STAFF_PASSWORD: password }, stdio: 'pipe' });
  } catch (e) {
    if (!String(e.stderr).includes('exists already')) throw e;
  }
}
