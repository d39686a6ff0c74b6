//! Sample scripts and sessions for tests, here and in the crates that use the core
//! (feature `test-support`). Never used by production code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::domain::{OtpCode, PersonName, Phone, PolicyNumber, RevisitId};
use crate::script::{ItemText, Script, ScriptItem, Texts};
use crate::session::{AnswerKind, Event, Revisit, Session};
use crate::time::{Timestamp, DAY_MS};

/// The creation time of every sample revisit.
pub const T0: Timestamp = Timestamp(1_800_000_000_000);
/// The SMS code the sample sessions are verified with.
pub const CODE: &str = "246810";
/// The device digest the sample sessions are bound to.
pub const DEVICE: &str = "device-digest-1";
/// Seconds after `T0` at which `finished_session` completes.
pub const COMPLETED_AFTER_SECS: u64 = 200;

/// `T0` plus whole seconds.
pub fn at(secs: u64) -> Timestamp {
    T0.plus_millis(secs * 1_000)
}

/// A three-item script.
pub fn sample_script() -> Script {
    let item = |id: &str, title: &str, en: &str| ScriptItem {
        id: id.into(),
        products: Vec::new(),
        answer: Default::default(),
        problem_on_no: true,
        min_read_secs: None,
        text: Texts {
            zh_cn: ItemText {
                title: title.into(),
                body: vec![format!("{title}：请完整阅读本项内容。")],
            },
            en: ItemText {
                title: en.into(),
                body: vec![format!("{en} Please read this item in full.")],
            },
        },
    };
    Script {
        id: "default".into(),
        version: "1".into(),
        identity: vec![crate::script::IdentityStep::SmsCode],
        face: None,
        items: vec![
            item(
                "holder",
                "您是否为投保人本人？",
                "Are you the policyholder?",
            ),
            item(
                "signature",
                "投保单是否由您亲笔签名？",
                "Did you sign the application yourself?",
            ),
            item(
                "cooling-off",
                "您是否知道犹豫期及退保权利？",
                "Do you know the cooling-off period and your right to cancel?",
            ),
        ],
    }
}

/// A revisit created at `T0`, with fifteen days of cooling-off left.
pub fn sample_revisit(id: RevisitId) -> Revisit {
    Revisit {
        id,
        policy_number: PolicyNumber::parse("P20260001").unwrap(),
        product: "鑫享人生年金保险".into(),
        holder_name: PersonName::parse("张三").unwrap(),
        phone: Phone::parse("13812345678").unwrap(),
        id_number_digest: "00".repeat(32),
        link_digest: "11".repeat(32),
        created_at: T0,
        cooling_off_ends_at: T0.plus_millis(15 * DAY_MS),
        script: sample_script(),
        agent: None,
        sale: Default::default(),
    }
}

/// The first open, from `DEVICE`.
pub fn open() -> Event {
    Event::Open {
        device: DEVICE.into(),
        lang: None,
    }
}

fn step(session: Session, event: Event, secs: u64) -> Session {
    let (session, result) = session.apply(event.clone(), at(secs));
    result.unwrap_or_else(|r| panic!("{event:?} refused: {r}"));
    session
}

/// Opened, verified with `CODE` at 30 s, nothing answered.
pub fn verified_session(id: RevisitId) -> Session {
    let code = OtpCode::parse(CODE).unwrap();
    let s = step(Session::new(sample_revisit(id)), open(), 1);
    let s = step(
        s,
        Event::IssueCode {
            code: code.clone(),
            salt: [5; 16],
        },
        2,
    );
    step(s, Event::SubmitCode { code }, 30)
}

/// Verified, each item answered as given (20 s apart; a "no" carries a comment), then completed
/// at `COMPLETED_AFTER_SECS`.
pub fn finished_session(id: RevisitId, answers: &[AnswerKind]) -> Session {
    let mut s = verified_session(id);
    for (index, answer) in answers.iter().enumerate() {
        let comment = (*answer == AnswerKind::No).then(|| "没有收到合同".to_string());
        let event = Event::Answer {
            index,
            answer: *answer,
            comment,
        };
        s = step(s, event, 40 + index as u64 * 20);
    }
    step(s, Event::Complete, COMPLETED_AFTER_SECS)
}
