//! `GET /records/{id}/report`: the evidence report of one archived revisit (R3).

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
#[tokio::test]
async fn the_report_shows_the_evidence_escaped_and_verified() {
    let o = origin();
    let session = finished_session(
        RevisitId::from_random([1; 12]),
        &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes],
    );
    let mut record = Record::of(&session, "beijing").unwrap();
    // Text from outside may hold markup: it must show as text.
    record.items[0].title = "<script>alert(1)</script>您是否为投保人本人？".into();
    record.items[1].comment = Some("<img src=x onerror=alert(1)>没有收到合同".into());
    record.policyholder_masked = "<b>张</b>*".into();
    record.signature = Some(huifang_core::signature::Signature {
        png_base64: "iVBORw0KGgo=".into(),
        png_sha256: "00".repeat(32),
        ink: 1200,
        strokes: 3,
    });
    let sealed = record.seal(&edge_key());
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);

    let (status, headers, html) = report(&o, &sealed.record.revisit_id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(html.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"));
    assert!(html.contains("✓ 已验证"));
    assert!(!html.contains("<script"), "unescaped script");
    assert!(!html.contains("<img src=x"), "unescaped image");
    assert!(!html.contains("<b>张"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;您是否为投保人本人？"));
    assert!(html.contains("投保人说明：&lt;img src=x onerror=alert(1)&gt;没有收到合同"));
    for text in [
        "P20260001",
        "138****5678",
        "已完成电子化回访",
        "beijing",
        "投保单是否由您亲笔签名？",
        "您是否知道犹豫期及退保权利？",
        "否 / 我有疑问",
        "短信验证码（发送至投保人手机）：已通过，2027-01-15 16:00:30",
        "第 1 号",
        "合同尚未报告终止",
        "<img alt=\"投保人手写签名\" src=\"data:image/png;base64,iVBORw0KGgo=\">",
        "未发现干扰迹象",
        sealed.seal.record_hash.as_str(),
        "edge-1",
    ] {
        assert!(html.contains(text), "the report lacks {text:?}");
    }
    // Nothing is loaded from anywhere: no URL in any attribute.
    for attr in ["src=\"http", "href=", "url("] {
        assert!(!html.contains(attr), "{attr}");
    }
}

#[tokio::test]
async fn the_report_shows_each_face_check_with_its_evidence_id_and_no_image() {
    use huifang_core::session::{FaceOutcome, FaceResult, ScoreBand};
    let o = origin();
    let session = finished_session(RevisitId::from_random([2; 12]), &ALL_YES);
    let mut record = Record::of(&session, "beijing").unwrap();
    let result = |outcome, band, id: &str| FaceResult {
        outcome,
        provider: "<i>某某</i>核验".into(),
        score_band: band,
        evidence_id: id.into(),
    };
    record.face = vec![
        result(FaceOutcome::Failed, Some(ScoreBand::Low), "ev-001"),
        result(FaceOutcome::Passed, None, "ev-002"),
    ];
    let sealed = record.seal(&edge_key());
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let (status, _, html) = report(&o, &sealed.record.revisit_id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"face\""));
    for text in [
        "<td>1</td><td>未通过</td><td>&lt;i&gt;某某&lt;/i&gt;核验</td><td>低</td><td class=\"mono\">ev-001</td>",
        "<td>2</td><td>通过</td><td>&lt;i&gt;某某&lt;/i&gt;核验</td><td>未提供</td><td class=\"mono\">ev-002</td>",
        "不保存人脸图像",
        "✓ 已验证",
    ] {
        assert!(html.contains(text), "the report lacks {text:?}");
    }
}

#[tokio::test]
async fn a_tampered_record_reports_red_with_the_reason() {
    let o = origin();
    let first = sealed_with(&edge_key(), 1, &ALL_YES);
    let second = sealed_with(&edge_key(), 2, &ALL_YES);
    assert_eq!(o.post_record(&first).await.0, StatusCode::OK);
    assert_eq!(o.post_record(&second).await.0, StatusCode::OK);
    let conn = rusqlite::Connection::open(o.dir.join("origin.sqlite3")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER records_no_update; \
         UPDATE records SET sealed_json = replace(sealed_json, '请完整阅读', '请完整閲读') WHERE seq = 1; \
         UPDATE records SET prev_chain = chain WHERE seq = 2;",
    )
    .unwrap();
    let (status, _, html) = report(&o, &first.record.revisit_id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("✗ 验证未通过"));
    assert!(!html.contains("✓ 已验证"));
    assert!(html.contains("record_hash_mismatch"));
    assert!(html.contains("记录内容与封存的记录哈希不符"));
    // The next record's link to it no longer holds either.
    assert!(html.contains("chain_broken_link"));
    let (_, _, html) = report(&o, &second.record.revisit_id, None).await;
    assert!(html.contains("档案链在第 2 号断开"), "{html}");
}

// Outside dev mode the report is the insurer's: admin token only.
#[tokio::test]
async fn outside_dev_mode_the_report_needs_the_admin_token() {
    let off = origin_configured(false, None);
    let sealed = sealed_with(&edge_key(), 1, &ALL_YES);
    assert_eq!(off.post_record(&sealed).await.0, StatusCode::OK);
    let (status, _, body) = report(&off, &sealed.record.revisit_id, Some(ADMIN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("admin_api_disabled"));

    let on = origin_configured(false, Some(ADMIN));
    assert_eq!(on.post_record(&sealed).await.0, StatusCode::OK);
    let id = &sealed.record.revisit_id;
    assert_eq!(report(&on, id, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        report(&on, id, Some("wrong")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, html) = report(&on, id, Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("✓ 已验证"));
    let missing = RevisitId::from_random([9; 12]);
    assert_eq!(
        report(&on, &missing, Some(ADMIN)).await.0,
        StatusCode::NOT_FOUND
    );
}
