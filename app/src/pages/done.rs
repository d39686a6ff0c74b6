//! The revisit is complete (stage completed). Any "no" answer is a problem case the insurer follows
//! up (R12), and the page says so.

use crate::display::doubts;
use crate::session::LiveSession;
use leptos::prelude::*;

/// Stage completed.
#[component]
pub fn DonePage() -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let doubted = move || session.field(|v| doubts(&v.items));
    view! {
        <section class="page done">
            <h1>"回访已完成"</h1>
            <p class="lead">"感谢您完成本次回访！您的确认已记录。"</p>
            <Show when=move || { doubted() > 0 }>
                <p class="note">
                    {move || {
                        format!(
                            "您对 {} 项内容表示有疑问，保险公司将尽快与您联系跟进处理。",
                            doubted(),
                        )
                    }}
                </p>
            </Show>
            <p>"您现在可以关闭此页面。"</p>
        </section>
    }
}
