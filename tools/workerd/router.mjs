// The self-hosted edge's front door (tools/workerd-config.mjs puts it on the listening socket): what
// wrangler's `[assets] run_worker_first` does on Cloudflare. Paths that match one of its patterns go
// to the edge worker first; every other request goes to the static assets, which answer the app
// shell for anything they do not hold (single-page-application fallback).
//
// Bindings: EDGE (the edge worker), ASSETS (tools/workerd/assets.mjs), WORKER_FIRST (the patterns,
// JSON, exactly as in wrangler.toml: `*` matches any run of characters, nothing else is special),
// and LOCAL_CLIENT_ADDRESS, only in a configuration generated for the local stack (loopback, no
// proxy): the client address to assume when a request names none, as `wrangler dev` does. In
// production it is absent: the TLS proxy in front sets CF-Connecting-IP on every request
// (docs/SELF_HOSTING.md).
export default {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    const workerFirst = env.WORKER_FIRST.some((pattern) => glob(pattern).test(pathname));
    if (workerFirst && env.LOCAL_CLIENT_ADDRESS && !request.headers.has("cf-connecting-ip")) {
      request = new Request(request);
      request.headers.set("cf-connecting-ip", env.LOCAL_CLIENT_ADDRESS);
    }
    return (workerFirst ? env.EDGE : env.ASSETS).fetch(request);
  },
};

const compiled = new Map();
function glob(pattern) {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    re = new RegExp(`^${body}$`);
    compiled.set(pattern, re);
  }
  return re;
}
