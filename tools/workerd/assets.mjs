// The static assets of the self-hosted edge: app/dist served the way wrangler's `[assets]` serves it
// on Cloudflare (workerd itself has no assets feature). Both the front door (router.mjs) and the
// edge worker's ASSETS binding (edge/src/fallback.rs: `GET /r/…`) come here.
//
// - GET and HEAD only (405 otherwise, as Cloudflare answers);
// - `/index.html` and `/index` redirect to `/` (Cloudflare's default `auto-trailing-slash`);
// - a path the build does not hold answers the app shell, index.html, with 200 (the
//   `single-page-application` fallback the revisit links `/r/<token>` rely on);
// - Content-Type, ETag (If-None-Match → 304) and Cache-Control from the manifest that
//   tools/workerd-config.mjs writes at generation time, which applies `_headers` as Cloudflare does;
//   files without a rule get Cloudflare's default `public, max-age=0, must-revalidate`.
//
// Bindings: FILES (a workerd `disk` service over the copied app/dist), MANIFEST (JSON: path →
// { type, etag }), HEADERS (JSON: the `_headers` rules, [{ pattern, headers }] in file order).
const DEFAULT_CACHE = "public, max-age=0, must-revalidate";

export default {
  async fetch(request, env) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const url = new URL(request.url);
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = "/";
    }
    const index = /^(.*\/)index(\.html)?$/.exec(path);
    if (index) return new Response(null, { status: 307, headers: { location: index[1] + url.search } });
    const file = [path, `${path}.html`, `${path.replace(/\/?$/, "/")}index.html`].find((p) => env.MANIFEST[p]) ?? "/index.html";
    const entry = env.MANIFEST[file];
    const headers = new Headers({ "content-type": entry.type, etag: entry.etag, "cache-control": DEFAULT_CACHE });
    for (const rule of env.HEADERS) {
      if (matches(rule.pattern, url.pathname)) for (const [name, value] of Object.entries(rule.headers)) headers.set(name, value);
    }
    if (etagMatches(request.headers.get("if-none-match"), entry.etag)) return new Response(null, { status: 304, headers });
    const body = await env.FILES.fetch(new Request(`http://assets${encodeURI(file)}`, { method: request.method }));
    if (!body.ok) return new Response(null, { status: 404, headers: { "cache-control": "no-store" } });
    return new Response(request.method === "HEAD" ? null : body.body, { status: 200, headers });
  },
};

// `_headers` patterns: `*` matches any run of characters; otherwise the path must be equal.
function matches(pattern, path) {
  const body = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`).test(path);
}

function etagMatches(header, etag) {
  if (!header) return false;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return tag === "*" || tag === etag;
  });
}
