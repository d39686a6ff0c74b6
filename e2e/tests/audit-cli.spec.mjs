// The auditors' tools (R3, R4) on the archive this run of the suite filled, with the stack's own
// paths and keys: `verify-archive` finds it intact (exit 0) and refuses it under a key that did not
// seal it (exit 1); `export` writes it out and `verify-export` accepts the file (exit 0); one byte
// changed in a copy makes `verify-export` exit 1 and name the line, the record and the fault.
// Runs last (the 'audit' project), once every other spec has delivered its records.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ORIGIN_BIN = process.env.HUIFANG_ORIGIN_BIN ?? 'target/debug/huifang-origin';

/** Runs the origin's CLI; returns { status, stdout, stderr } and the command line, for messages. */
function cli(...args) {
  const r = spawnSync(ORIGIN_BIN, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, shown: `huifang-origin ${args.join(' ')}\n${r.stdout}${r.stderr}` };
}

test('the archive verifies, exports and the export verifies; a changed byte is caught and named', async () => {
  test.skip(!process.env.STACK_DIR, 'needs the stack started by tools/stack.sh (STACK_DIR)');
  const db = join(process.env.STACK_DIR, 'origin.sqlite3');
  const keys = cli('public-key', '.dev.vars');
  expect(keys.status, keys.shown).toBe(0);
  const edgeKeys = keys.stdout.trim();
  expect(edgeKeys).toMatch(/^[^=,]+=[0-9a-f]{64}$/);
  const dir = mkdtempSync(join(tmpdir(), 'huifang-audit-'));
  try {
    // The archive as the origin keeps it: every record and the chain verify.
    const archive = cli('verify-archive', '--db', db, '--edge-keys', edgeKeys);
    expect(archive.status, archive.shown).toBe(0);
    const [, records] = /verify-archive: (\d+) records, 0 failed/.exec(archive.stdout) ?? [];
    expect(Number(records), 'records the suite archived').toBeGreaterThan(0);
    expect(archive.stdout).toMatch(/^chain: intact from seq 1 to seq \d+; head [0-9a-f]+$/m);
    expect(archive.stdout).not.toContain('FAIL');

    // Under a key that sealed none of them (same key id, another key), every seal fails: exit 1.
    const [kid] = edgeKeys.split('=');
    const stranger = cli('verify-archive', '--db', db, '--edge-keys', `${kid}=${'11'.repeat(32)}`);
    expect(stranger.status, stranger.shown).toBe(1);
    expect(stranger.stdout).toMatch(/^FAIL seq 1 .*: signature_mismatch: /m);

    // The export, and its offline verification.
    const file = join(dir, 'export.jsonl');
    const exported = cli('export', '--db', db, '--out', file, '--edge-keys', edgeKeys);
    expect(exported.status, exported.shown).toBe(0);
    const [, count] = /^export: (\d+) records \(seq 1\.\.=\d+\) to /m.exec(exported.stdout) ?? [];
    expect(Number(count)).toBeGreaterThanOrEqual(Number(records));
    const verified = cli('verify-export', file);
    expect(verified.status, verified.shown).toBe(0);
    expect(verified.stdout).not.toContain('FAIL');

    // One byte changed in a copy: a digit of the first record's policy number.
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines[1].indexOf('"policy_number":"P') + '"policy_number":"P'.length;
    expect(at, 'the first record line holds a policy number').toBeGreaterThan('"policy_number":"P'.length);
    const [, revisitId] = /"revisit_id":"([^"]+)"/.exec(lines[1]) ?? [];
    const digit = lines[1][at];
    expect(digit).toMatch(/\d/);
    const tampered = join(dir, 'tampered.jsonl');
    lines[1] = lines[1].slice(0, at) + String((Number(digit) + 1) % 10) + lines[1].slice(at + 1);
    writeFileSync(tampered, lines.join('\n'));
    const caught = cli('verify-export', tampered);
    expect(caught.status, caught.shown).toBe(1);
    // Named: the line, the record and the fault; and the trailer's digest no longer matches.
    expect(caught.stdout, caught.shown).toContain(`FAIL line 2 (seq 1, revisit_id ${revisitId}): record_hash_mismatch: `);
    expect(caught.stdout, caught.shown).toMatch(/^FAIL line \d+: bad_trailer: /m);
    expect(caught.stdout.match(/^FAIL /gm), caught.shown).toHaveLength(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
