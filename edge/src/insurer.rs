//! The insurer API, HMAC-signed (see `huifang_core::signing`): create a revisit, read its status,
//! cancel it, or re-issue its link.

use crate::config;
use crate::error::EdgeError;
use crate::http::{
    header, json, no_body, now, parse_json, random_bytes, read_body, MAX_INSURER_BODY,
};
use crate::revisit_call::{self, Call, Reply};
use huifang_core::signing::{
    verify_insurer_request, SignedRequest, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use huifang_core::wire::{CreateRevisit, RevisitCreated};
use huifang_core::{LinkToken, RevisitId, Timestamp};
use worker::{Env, Request, Response};

/// Reads the body and checks the request's signature and clock window; returns the body.
async fn authenticated(req: &mut Request, env: &Env, now: Timestamp) -> Result<Vec<u8>, EdgeError> {
    let body = read_body(req, MAX_INSURER_BODY).await?;
    let secret = config::required(env, "INSURER_API_SECRET")?;
    let path = req.path();
    // The method as sent: a HEAD is signed as HEAD.
    let method = req.method();
    let (ts, sig) = (header(req, HEADER_TIMESTAMP), header(req, HEADER_SIGNATURE));
    let signed = SignedRequest {
        method: method.as_ref(),
        path: &path,
        timestamp: ts.as_deref(),
        signature: sig.as_deref(),
        body: &body,
    };
    verify_insurer_request(secret.as_bytes(), signed, now.seconds())?;
    Ok(body)
}

/// The public base of links: `PUBLIC_BASE_URL`, else the origin the request came to.
fn link_base(req: &Request, env: &Env) -> Result<String, EdgeError> {
    Ok(match config::optional(env, "PUBLIC_BASE_URL") {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => req.url()?.origin().ascii_serialization(),
    })
}

fn new_link(id: &RevisitId) -> Result<LinkToken, EdgeError> {
    Ok(LinkToken::new(id.clone(), random_bytes()?))
}

/// `POST /v1/revisits`: parses every field, keeps the ID number only as a keyed hash, creates the
/// revisit's Durable Object and returns the one-time link (R1, R6, R8).
pub async fn create_revisit(mut req: Request, env: &Env) -> Result<Response, EdgeError> {
    let now = now();
    let body = authenticated(&mut req, env, now).await?;
    let request: CreateRevisit = parse_json(&body)?;
    let send_link_sms = request.send_link_sms;
    let id = RevisitId::from_random(random_bytes()?);
    let token = new_link(&id)?;
    let id_hash_key = config::required(env, "ID_HASH_KEY")?;
    let revisit = request.into_revisit(
        id.clone(),
        token.secret_digest(),
        id_hash_key.as_bytes(),
        now,
    )?;
    let expires_at = revisit.cooling_off_ends_at.to_rfc3339();
    let link = format!("{}/r/{}", link_base(&req, env)?, token.as_string());
    let create = Call::Create {
        revisit: Box::new(revisit),
        link_sms: send_link_sms.then(|| link.clone()),
    };
    let link_sms = match revisit_call::call(env, &id, &create).await? {
        Reply::Created { link_sms } => link_sms,
        other => return other.into_response(),
    };
    json(
        201,
        &RevisitCreated {
            revisit_id: id,
            link,
            expires_at,
            link_sms,
        },
    )
}

fn revisit_id(raw: &str) -> Result<RevisitId, EdgeError> {
    RevisitId::parse(raw).map_err(|_| EdgeError::NotFound)
}

/// Sends an (already authenticated) insurer call to revisit `id`'s object; answers with its reply.
async fn call(env: &Env, id: &str, call: &Call) -> Result<Response, EdgeError> {
    revisit_call::call(env, &revisit_id(id)?, call)
        .await?
        .into_response()
}

/// `GET /v1/revisits/{id}`: the stage, progress and delivery of one revisit.
pub async fn status(mut req: Request, env: &Env, id: &str) -> Result<Response, EdgeError> {
    no_body(&authenticated(&mut req, env, now()).await?)?;
    call(env, id, &Call::Status).await
}

/// `GET /v1/revisits/{id}/storage`: the revisit object's raw storage, for tests that check what the
/// edge keeps. 404 unless the var `STORAGE_INSPECTION` is `1` (never in production).
pub async fn storage(mut req: Request, env: &Env, id: &str) -> Result<Response, EdgeError> {
    no_body(&authenticated(&mut req, env, now()).await?)?;
    if config::optional(env, "STORAGE_INSPECTION").as_deref() != Some("1") {
        return Err(EdgeError::NotFound);
    }
    call(env, id, &Call::Storage).await
}

/// `POST /v1/revisits/{id}/cancel`: ends the revisit; its link dies at once and the record is
/// forwarded with the outcome `cancelled`.
pub async fn cancel(mut req: Request, env: &Env, id: &str) -> Result<Response, EdgeError> {
    no_body(&authenticated(&mut req, env, now()).await?)?;
    call(env, id, &Call::Cancel).await
}

/// `POST /v1/revisits/{id}/reissue`: a new link; the old one dies at once, the device binding is
/// cleared and the policyholder verifies again.
pub async fn reissue(mut req: Request, env: &Env, id: &str) -> Result<Response, EdgeError> {
    let now = now();
    no_body(&authenticated(&mut req, env, now).await?)?;
    let id = revisit_id(id)?;
    let token = new_link(&id)?;
    let reissue = Call::Reissue {
        link_digest: token.secret_digest(),
    };
    let status = match revisit_call::call(env, &id, &reissue).await? {
        Reply::Status(status) => status,
        other => return other.into_response(),
    };
    let link = format!("{}/r/{}", link_base(&req, env)?, token.as_string());
    json(
        200,
        &RevisitCreated {
            revisit_id: id,
            link,
            expires_at: status.expires_at,
            link_sms: None,
        },
    )
}
