//! The link died at the end of the cooling-off period (R1); the insurer completes the revisit by a
//! recorded phone call instead (R11).

use leptos::prelude::*;

/// Stage expired, or any call refused with link_expired.
#[component]
pub fn ExpiredPage() -> impl IntoView {
    view! {
        <section class="page expired">
            <h1>"回访链接已失效"</h1>
            <p class="lead">
                "本次线上回访的有效期已过，无法继续。保险公司将通过电话与您联系完成回访，请留意来电。"
            </p>
            <p>"您现在可以关闭此页面。"</p>
        </section>
    }
}
