//! The policyholder API: `/v1/session…`, authenticated by the link token sent as
//! `Authorization: Bearer <token>`. The worker checks the token's shape, then hands the request to
//! the revisit's Durable Object with only the digest of the token's secret.

use crate::error::EdgeError;
use crate::http::{header, read_body, MAX_POLICYHOLDER_BODY};
use crate::revisit_object;
use huifang_core::LinkToken;
use worker::{Env, Request, Response};

fn link_token(req: &Request) -> Result<LinkToken, EdgeError> {
    let auth = header(req, "authorization").ok_or(EdgeError::LinkMissing)?;
    let token = auth.strip_prefix("Bearer ").ok_or(EdgeError::LinkMissing)?;
    LinkToken::parse(token.trim()).map_err(|_| EdgeError::LinkNotFound)
}

pub async fn forward(mut req: Request, env: &Env) -> Result<Response, EdgeError> {
    let token = link_token(&req)?;
    let body = read_body(&mut req, MAX_POLICYHOLDER_BODY).await?;
    let path = req.path();
    let action = path.strip_prefix("/v1").unwrap_or(&path);
    revisit_object::call(env, &token, req.method(), action, body).await
}
