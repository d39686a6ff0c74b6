//! The face step's two calls to the insurer's origin (R8), run for the revisit's object when the
//! session asks for them (`Effect::StartFaceCheck`, `Effect::FetchFaceResult`): each answer comes
//! back as the session event the core decides on. The edge sees no image and no provider secret:
//! only the provider's page address, the opaque reference, and the result's four short fields.

use crate::error::EdgeError;
use crate::origin_client;
use huifang_core::script::Lang;
use huifang_core::session::{is_face_token, Event, Refusal};
use huifang_core::wire::{FaceResultRequest, FaceReturn};
use huifang_core::RevisitId;
use worker::Env;

/// The check started at the origin, as the session's `FaceStarted`.
pub async fn start(
    env: &Env,
    revisit_id: &str,
    return_url: Option<&str>,
    lang: Lang,
) -> Result<Event, EdgeError> {
    let revisit_id = RevisitId::parse(revisit_id)?;
    let return_url = return_url
        .ok_or_else(|| EdgeError::Internal("a face check without a return address".into()))?;
    let answer = origin_client::start_face(env, &revisit_id, return_url, lang).await?;
    Ok(Event::FaceStarted {
        reference: answer.reference,
        redirect_url: answer.redirect_url,
    })
}

/// The origin's answer for the reference, as the session's `FaceResult`.
pub async fn result(
    env: &Env,
    revisit_id: &str,
    reference: String,
    ticket: Option<&str>,
) -> Result<Event, EdgeError> {
    let request = FaceResultRequest {
        revisit_id: RevisitId::parse(revisit_id)?,
        reference,
        ticket: ticket.unwrap_or_default().to_string(),
    };
    let result = origin_client::face_result(env, &request).await?;
    Ok(Event::FaceResult {
        reference: request.reference,
        result,
    })
}

/// What the browser brought back, checked for shape before the session sees it: the reference
/// and the ticket (kept for the origin's call, never stored). A ticket of any other shape is not
/// one a provider handed back.
pub fn returned(body: FaceReturn) -> Result<(Event, String), EdgeError> {
    if !is_face_token(&body.ticket) {
        return Err(Refusal::FaceReturnRefused.into());
    }
    if !is_face_token(&body.reference) {
        return Err(Refusal::FaceReferenceUnknown.into());
    }
    Ok((
        Event::FaceReturned {
            reference: body.reference,
        },
        body.ticket,
    ))
}
