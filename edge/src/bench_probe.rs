//! `GET /v1/bench/do-read`: the benchmark's ceiling of a bare Durable Object read on this runtime
//! (`make bench`). Off unless the var `BENCH_PROBE` is `1`; otherwise it is a plain 404, as if the
//! route did not exist.
//!
//! It reuses the `REVISITS` namespace (no new class, no migration): the worker sends an open call
//! to an object named `bench-probe-<shard>` that never holds a revisit, so the object only reads
//! its storage (session, outbox and tombstone in one read: all absent) and answers 404
//! `link_not_found`.
//! That is the stub hop plus a storage read and nothing of the revisit's logic.

use crate::config;
use crate::error::EdgeError;
use crate::http::json;
use crate::revisit_call::{self, Action, Call, Caller, Reply};
use huifang_core::session::ClientInfo;
use worker::{Env, Request, Response};

/// How many distinct probe objects `?shard=` may address, so that load can be spread like revisits.
const SHARDS: u32 = 64;

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
    let probe = Call::Policyholder {
        caller: Caller {
            link_digest: "bench-probe".into(),
            device: None,
            ip_key: String::new(),
            https: false,
            client: ClientInfo::new("", ""),
            lang: None,
            face_return_url: None,
        },
        action: Action::Open,
        body: String::new(),
    };
    let object_status = match revisit_call::call_object(env, &object, &probe).await? {
        Reply::Refused { status, .. } => status,
        _ => 200,
    };
    json(
        200,
        &ProbeReply {
            object,
            object_status,
        },
    )
}
