//! The insurer API, HMAC-signed (see `huifang_core::signing`): create a revisit, read its status,
//! cancel it, or re-issue its link.

use crate::config;
use crate::error::EdgeError;
use crate::http::{
    header, json, no_body, now, parse_json, random_bytes, read_body, MAX_INSURER_BODY,
};
use crate::idempotency_object::{self, Begun};
use crate::revisit_call::{self, Call, Reply};
use huifang_core::idempotency::{self, IdempotencyKey, StoredAnswer};
use huifang_core::signing::{
    verify_insurer_request, SignedRequest, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use huifang_core::wire::{self, CreateRevisit, RevisitCreated};
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

/// The base of links (see `huifang_core::wire::link_base`): `PUBLIC_BASE_URL`, else a loopback
/// origin the request came to (local development). Otherwise no link is made: `misconfigured`,
/// before anything is created.
fn link_base(req: &Request, env: &Env) -> Result<String, EdgeError> {
    let url = req.url()?;
    wire::link_base(
        config::optional(env, "PUBLIC_BASE_URL").as_deref(),
        &url.origin().ascii_serialization(),
        url.host_str().unwrap_or_default(),
    )
    .ok_or(EdgeError::Misconfigured("PUBLIC_BASE_URL"))
}

fn new_link(id: &RevisitId) -> Result<LinkToken, EdgeError> {
    Ok(LinkToken::new(id.clone(), random_bytes()?))
}

/// The request's `Idempotency-Key`, if it has one (syntax checked: `invalid_idempotency_key`).
fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, EdgeError> {
    header(req, idempotency::HEADER)
        .map(|k| IdempotencyKey::parse(&k))
        .transpose()
        .map_err(EdgeError::from)
}

/// An answer with a new link: created (201) or re-issued (200).
struct Linked {
    status: u16,
    created: RevisitCreated,
    link: LinkToken,
}

/// What the work of a create or a re-issue came to: a new link, or the revisit object's refusal
/// (answered as it is, and not kept).
enum Worked {
    Linked(Linked),
    Refused(Reply),
}

impl Worked {
    fn respond(self) -> Result<Response, EdgeError> {
        match self {
            Self::Linked(done) => json(done.status, &done.created),
            Self::Refused(reply) => reply.into_response(),
        }
    }
}

/// Runs `work` once per idempotency key (issue 12, item 5): without a key, simply runs it; with
/// one, the first request with it runs `work` and its answer is kept a day, a repeat of that
/// request gets the same answer (marked `Idempotent-Replayed: true`) without running anything,
/// and another request with the key is refused. `work` gets the revisit id to use, if its record
/// already names one (a create taking over from one that died).
async fn once<F, Fut>(
    req: &Request,
    env: &Env,
    body: &[u8],
    base: &str,
    proposed: Option<RevisitId>,
    work: F,
) -> Result<Response, EdgeError>
where
    F: FnOnce(Option<RevisitId>) -> Fut,
    Fut: std::future::Future<Output = Result<Worked, EdgeError>>,
{
    let Some(key) = idempotency_key(req)? else {
        return work(proposed).await?.respond();
    };
    let hash_key = config::required(env, "ID_HASH_KEY")?;
    let name = idempotency::record_name(hash_key.as_bytes(), INSURER_CREDENTIAL, &key);
    let fingerprint = idempotency::fingerprint(req.method().as_ref(), &req.path(), body);
    match idempotency_object::begin(env, name, fingerprint, proposed).await? {
        Begun::Replay { name, answer } => {
            let created = answer
                .replay(hash_key.as_bytes(), &name)
                .ok_or_else(|| EdgeError::Internal("a kept answer does not open".into()))?;
            let mut resp = json(answer.status, &created)?;
            resp.headers_mut()
                .set(idempotency::REPLAYED_HEADER, "true")?;
            Ok(resp)
        }
        Begun::Proceed { held, revisit_id } => {
            let worked = work(revisit_id).await;
            if let Ok(Worked::Linked(done)) = &worked {
                let kept = StoredAnswer::keep(
                    done.status,
                    &done.created,
                    base,
                    &done.link,
                    hash_key.as_bytes(),
                    held.name(),
                );
                // The work is done: answer it even if keeping it failed (a retry then finds the
                // key held, and after a minute carries on with the same revisit id).
                if let Err(e) = held.finish(env, kept).await {
                    e.log();
                }
            } else if let Err(e) = held.release(env).await {
                e.log();
            }
            worked?.respond()
        }
    }
}

/// The insurer credential idempotency keys are scoped to: this edge has one (`INSURER_API_SECRET`);
/// were it to hold several, each one's id would go here.
const INSURER_CREDENTIAL: &str = "insurer";

/// `POST /v1/revisits`: parses every field, keeps the ID number only as a keyed hash, creates the
/// revisit's Durable Object and returns the one-time link (R1, R6, R8). With `Idempotency-Key`, a
/// retry gets the first answer and no second revisit.
pub async fn create_revisit(mut req: Request, env: &Env) -> Result<Response, EdgeError> {
    let now = now();
    let body = authenticated(&mut req, env, now).await?;
    let base = link_base(&req, env)?;
    let request: CreateRevisit = parse_json(&body)?;
    let proposed = RevisitId::from_random(random_bytes()?);
    once(
        &req,
        env,
        &body,
        &base,
        Some(proposed.clone()),
        |held| async {
            let id = held.unwrap_or(proposed);
            let send_link_sms = request.send_link_sms;
            let token = new_link(&id)?;
            let id_hash_key = config::required(env, "ID_HASH_KEY")?;
            let revisit = request.into_revisit(
                id.clone(),
                token.secret_digest(),
                id_hash_key.as_bytes(),
                now,
            )?;
            let expires_at = revisit.cooling_off_ends_at.to_rfc3339();
            let link = format!("{base}/r/{}", token.as_string());
            let create = Call::Create {
                revisit: Box::new(revisit),
                link_sms: send_link_sms.then(|| link.clone()),
            };
            let link_sms = match revisit_call::call(env, &id, &create).await? {
                Reply::Created { link_sms } => link_sms,
                other => return Ok(Worked::Refused(other)),
            };
            Ok(Worked::Linked(Linked {
                status: 201,
                created: RevisitCreated {
                    revisit_id: id,
                    link,
                    expires_at,
                    link_sms,
                },
                link: token,
            }))
        },
    )
    .await
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
/// cleared and the policyholder verifies again. With `Idempotency-Key`, a retry gets the first
/// new link, not a third.
pub async fn reissue(mut req: Request, env: &Env, id: &str) -> Result<Response, EdgeError> {
    let now = now();
    let body = authenticated(&mut req, env, now).await?;
    no_body(&body)?;
    let base = link_base(&req, env)?;
    let id = revisit_id(id)?;
    once(&req, env, &body, &base, None, |_| async {
        let token = new_link(&id)?;
        let reissue = Call::Reissue {
            link_digest: token.secret_digest(),
        };
        let status = match revisit_call::call(env, &id, &reissue).await? {
            Reply::Status(status) => status,
            other => return Ok(Worked::Refused(other)),
        };
        Ok(Worked::Linked(Linked {
            status: 200,
            created: RevisitCreated {
                revisit_id: id.clone(),
                link: format!("{base}/r/{}", token.as_string()),
                expires_at: status.expires_at,
                link_sms: None,
            },
            link: token,
        }))
    })
    .await
}
