//! `GET /v1/bench/do-read`: the benchmark's ceiling of a bare Durable Object read on this runtime
//! (`make bench`). Off unless the var `BENCH_PROBE` is `1`; otherwise it is a plain 404, as if the
//! route did not exist.
//!
//! It reuses the `REVISITS` namespace (no new class, no migration): the worker sends `GET /session`
//! to an object named `bench-probe-<shard>` that never holds a revisit, so the object only reads
//! its storage (the session, then the tombstone: both absent) and answers 404 `link_not_found`.
//! That is the stub hop plus a storage read and nothing of the revisit's logic.

use crate::config::{self, REVISITS_BINDING};
use crate::error::EdgeError;
use crate::http::json;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

/// How many distinct probe objects `?shard=` may address, so that load can be spread like revisits.
const SHARDS: u32 = 64;
/// The header the revisit object expects before it reads its storage (its link digest).
const LINK_DIGEST_HEADER: &str = "x-link-digest";

#[derive(serde::Serialize)]
struct ProbeReply {
    object: String,
    object_status: u16,
}

/// Answers with the probe object's status; a 404 from the object is the expected, healthy answer.
pub async fn do_read(req: Request, env: &Env) -> Result<Response, EdgeError> {
    if config::optional(env, "BENCH_PROBE").as_deref() != Some("1") {
        return Err(EdgeError::NotFound);
    }
    let shard = req
        .url()?
        .query_pairs()
        .find(|(k, _)| k == "shard")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .unwrap_or(0)
        % SHARDS;
    let object = format!("bench-probe-{shard}");
    let stub = env
        .durable_object(REVISITS_BINDING)?
        .id_from_name(&object)?
        .get_stub()?;
    let headers = Headers::new();
    headers.set(LINK_DIGEST_HEADER, "bench-probe")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    // Stub fetches need an absolute URL; the host is never resolved.
    let probe = Request::new_with_init("https://revisit/session", &init)?;
    let resp = stub.fetch_with_request(probe).await?;
    json(
        200,
        &ProbeReply {
            object,
            object_status: resp.status_code(),
        },
    )
}
