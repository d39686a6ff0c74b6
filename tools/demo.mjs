// Creates one demo revisit through the signed insurer API and prints, each on its own line, the link
// to open and the URL where its SMS codes can be read. Then the back office (issue 13, item 7): a demo
// staff login and a few demo cases in the console's queues — a "no" with the policyholder's words,
// a revisit rushed through faster than its reading times (an interference case), and a revisit
// switched to a phone call (a call-centre task).
import { insurerPost, readDevVars, revisitRequest, loadScript } from '../e2e/lib/insurer.mjs';
import { PolicyholderClient, smsOutbox } from '../e2e/lib/policyholder.mjs';
import { ensureStaff } from '../e2e/lib/staff.mjs';

const edge = process.env.EDGE_URL ?? 'http://127.0.0.1:8787';
const origin = process.env.ORIGIN_URL ?? 'http://127.0.0.1:8788';
const { INSURER_API_SECRET } = readDevVars('.dev.vars');
const request = revisitRequest(loadScript('scripts/default.json'));
const { status, body } = await insurerPost(edge, INSURER_API_SECRET, '/v1/revisits', request);
if (status !== 201) {
  console.error(`creating the demo revisit failed (${status}):`, body);
  process.exit(1);
}
console.log(`Revisit link: ${body.link}`);
console.log(`SMS codes: ${origin}/sms/outbox?phone=${request.policyholder.phone}`);

// A local demo's login: the stack is on loopback and its archive is fresh for each run.
const DEMO_STAFF = 'demo-supervisor';
const DEMO_PASSWORD = 'huifang-demo-2026';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A revisit for a phone number of its own, each item to be read for at least one second. */
async function demoRevisit() {
  const script = loadScript('scripts/default.json');
  for (const item of script.items) item.min_read_secs = 1;
  const req = revisitRequest(script);
  req.policyholder.phone = '137' + String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  const created = await insurerPost(edge, INSURER_API_SECRET, '/v1/revisits', req);
  if (created.status !== 201) throw new Error(`creating a demo case's revisit: ${created.status}`);
  const ph = new PolicyholderClient(edge, new URL(created.body.link).pathname.split('/').pop());
  await ph.open();
  return { ph, phone: req.policyholder.phone, items: script.items.length };
}

async function finished({ ph, phone, items }, { no = -1, rushed = false }) {
  await ph.sendCode();
  const [{ code }] = await smsOutbox(origin, phone);
  if ((await ph.verify(code)).status !== 200) throw new Error('the demo code was refused');
  for (let i = 0; i < items; i++) {
    if (!rushed) await sleep(1100);
    const answer = i === no ? await ph.answer(i, 'no', '合同还没有收到，犹豫期是多久？') : await ph.answer(i);
    if (answer.status !== 200) throw new Error(`answering item ${i}: ${answer.status}`);
  }
  if ((await ph.complete()).status !== 200) throw new Error('completing a demo revisit');
}

try {
  ensureStaff(DEMO_STAFF, 'supervisor', { name: '演示主管', password: DEMO_PASSWORD });
  await Promise.all([
    demoRevisit().then((r) => finished(r, { no: 2 })),
    demoRevisit().then((r) => finished(r, { rushed: true })),
    demoRevisit().then((r) => r.ph.switchToPhone('投保人希望电话回访')),
  ]);
  console.log(`Staff console: ${origin}/console  (demo login: ${DEMO_STAFF} / ${DEMO_PASSWORD}; 3 demo cases)`);
} catch (e) {
  console.error(`the console's demo cases could not be made: ${e.message}`);
  console.log(`Staff console: ${origin}/console`);
}
