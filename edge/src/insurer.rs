//! The insurer API: `POST /v1/revisits`, HMAC-signed (see `huifang_core::signing`).

use crate::config;
use crate::error::EdgeError;
use crate::http::{header, json, now, parse_json, random_bytes, read_body, MAX_INSURER_BODY};
use crate::revisit_object;
use huifang_core::signing::{
    verify_insurer_request, SignedRequest, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use huifang_core::wire::{CreateRevisit, RevisitCreated};
use huifang_core::{LinkToken, RevisitId};
use worker::{Env, Request, Response};

/// Creates a revisit: checks the signature, parses every field, keeps the ID number only as a keyed
/// hash, creates the revisit's Durable Object and returns the one-time link (R1, R6, R8).
pub async fn create_revisit(mut req: Request, env: &Env) -> Result<Response, EdgeError> {
    let now = now();
    let body = read_body(&mut req, MAX_INSURER_BODY).await?;
    let secret = config::required(env, "INSURER_API_SECRET")?;
    let path = req.path();
    let (ts, sig) = (
        header(&req, HEADER_TIMESTAMP),
        header(&req, HEADER_SIGNATURE),
    );
    let signed = SignedRequest {
        method: "POST",
        path: &path,
        timestamp: ts.as_deref(),
        signature: sig.as_deref(),
        body: &body,
    };
    verify_insurer_request(secret.as_bytes(), signed, now.seconds())?;

    let request: CreateRevisit = parse_json(&body)?;
    let id = RevisitId::from_random(random_bytes()?);
    let token = LinkToken::new(id.clone(), random_bytes()?);
    let id_hash_key = config::required(env, "ID_HASH_KEY")?;
    let revisit = request.into_revisit(
        id.clone(),
        token.secret_digest(),
        id_hash_key.as_bytes(),
        now,
    )?;
    let expires_at = revisit.cooling_off_ends_at.to_rfc3339();
    revisit_object::create(env, &revisit).await?;

    let base = match config::optional(env, "PUBLIC_BASE_URL") {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => req.url()?.origin().ascii_serialization(),
    };
    json(
        201,
        &RevisitCreated {
            revisit_id: id,
            link: format!("{base}/r/{}", token.as_string()),
            expires_at,
        },
    )
}
