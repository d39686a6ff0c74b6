// Creates one demo revisit through the signed insurer API and prints, each on its own line, the link
// to open and the URL where its SMS codes can be read.
import { insurerPost, readDevVars, revisitRequest, loadScript } from '../e2e/lib/insurer.mjs';

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
