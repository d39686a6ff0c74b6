//! The policyholder chose a phone revisit instead (R7); the insurer calls within the cooling-off
//! period (R11).

use leptos::prelude::*;

/// Stage switched_to_phone.
#[component]
pub fn SwitchedPage() -> impl IntoView {
    view! {
        <section class="page switched">
            <h1>"已为您转为电话回访"</h1>
            <p class="lead">
                "本次线上回访已停止。保险公司将在犹豫期内通过电话与您联系完成回访，请留意来电。"
            </p>
            <p>"您现在可以关闭此页面。"</p>
        </section>
    }
}
