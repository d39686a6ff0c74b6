//! The policyholder API: `/v1/session…`, authenticated by the link token sent as
//! `Authorization: Bearer <token>` and, once the link is bound, by the device cookie (R10). The
//! worker checks the token's shape, then hands the request to the revisit's Durable Object with only
//! digests: of the link's secret, of the device secret, and a keyed hash of the client's IP.

use crate::config;
use crate::error::EdgeError;
use crate::http::{header, read_text_body, MAX_POLICYHOLDER_BODY, MAX_SIGNATURE_BODY};
use crate::revisit_call::{self, device_cookie_name, Action, Call, Caller, StepAction};
use huifang_core::script::Lang;
use huifang_core::session::ClientInfo;
use huifang_core::signing::{keyed_digest, secret_digest};
use huifang_core::throttle::send_cap_client;
use huifang_core::LinkToken;
use worker::{Env, Request, Response};

fn link_token(req: &Request) -> Result<LinkToken, EdgeError> {
    let auth = header(req, "authorization").ok_or(EdgeError::LinkMissing)?;
    let token = auth.strip_prefix("Bearer ").ok_or(EdgeError::LinkMissing)?;
    LinkToken::parse(token.trim()).map_err(|_| EdgeError::LinkNotFound)
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie(cookie_header: &str, name: &str) -> Option<String> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// Who is calling, as the revisit's object needs it: the link's digest, the device cookie's
/// digest, the keyed IP hash, the scheme, the client's network and user agent, and its preferred
/// language.
pub fn caller(req: &Request, env: &Env, token: &LinkToken) -> Result<Caller, EdgeError> {
    let key = config::required(env, "ID_HASH_KEY")?;
    let ip = header(req, "cf-connecting-ip").unwrap_or_default();
    let user_agent = header(req, "user-agent").unwrap_or_default();
    let cookies = header(req, "cookie").unwrap_or_default();
    Ok(Caller {
        link_digest: token.secret_digest(),
        device: cookie(&cookies, &device_cookie_name(token.revisit_id()))
            .map(|s| secret_digest(&s)),
        // The per-IP send cap counts an IPv6 client by its /64, an IPv4 one by its address.
        ip_key: keyed_digest(key.as_bytes(), &format!("ip:{}", send_cap_client(&ip))),
        https: req.url()?.scheme() == "https",
        client: ClientInfo::new(&ip, &user_agent),
        lang: header(req, "accept-language").map(|l| Lang::from_accept_language(&l)),
        face_return_url: None,
    })
}

pub async fn forward(mut req: Request, env: &Env) -> Result<Response, EdgeError> {
    let token = link_token(&req)?;
    let limit = if req.path().ends_with("/signature") {
        MAX_SIGNATURE_BODY
    } else {
        MAX_POLICYHOLDER_BODY
    };
    let body = read_text_body(&mut req, limit).await?;
    let mut caller = caller(&req, env, &token)?;
    let path = req.path();
    let action = Action::of_route(&req.method(), path.strip_prefix("/v1").unwrap_or(&path))?;
    if action == Action::Step(StepAction::StartFace) {
        // R8: where the provider sends the browser back: this revisit's page at this edge.
        let url = req.url()?;
        let host = url.host_str().unwrap_or_default();
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        caller.face_return_url = Some(format!(
            "{}://{host}{port}/r/{}",
            url.scheme(),
            token.as_string()
        ));
    }
    let call = Call::Policyholder {
        caller,
        action,
        body,
    };
    revisit_call::call(env, token.revisit_id(), &call)
        .await?
        .into_response()
}

/// `GET /v1/session/open/<token>`: opens the link as `GET /v1/session` does, the token in the path
/// instead of a header: the request of the page's preload hint (shell.rs, issue 19), which the
/// browser makes from the page's headers, before any script, and which can carry no header of
/// ours; the page's first script then asks for the same URL and is given that answer. The token
/// travels in the path as it does in the link itself (`/r/<token>`) and in the fallback's form.
/// The hint goes out before anything can tell whether the browser runs scripts: one that does not
/// shows the fallback (R7), whose form posts to `/r/<token>`; so the first open sets the device
/// cookie on `/r` too, as the fallback's own first open does, and that form is this browser's.
pub async fn open_by_path(mut req: Request, env: &Env, token: &str) -> Result<Response, EdgeError> {
    let token = LinkToken::parse(token).map_err(|_| EdgeError::LinkNotFound)?;
    // A body is read and refused as on `GET /v1/session` (and opens nothing).
    let body = read_text_body(&mut req, MAX_POLICYHOLDER_BODY).await?;
    let call = Call::Policyholder {
        caller: caller(&req, env, &token)?,
        action: Action::Open,
        body,
    };
    revisit_call::call(env, token.revisit_id(), &call)
        .await?
        .into_response_with_cookie_on(&["/v1/session", "/r"])
}
