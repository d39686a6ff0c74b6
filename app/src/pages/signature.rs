//! The handwritten signature (R8), after the last item: a pad that takes finger, pen or mouse
//! strokes (pointer events), 重写 to clear it, 确认签名 to send the strokes and the pad's PNG. Too
//! little ink is refused here first, and again at the edge, which measures the strokes itself.

use crate::components::actions::ConfirmActions;
use crate::components::notice::NoticeBar;
use crate::i18n::Lang;
use crate::session::{LiveSession, Request};
use huifang_core::signature::{
    ink_length, SignatureSubmission, Stroke, MIN_INK_PAD_WIDTHS, PAD_UNITS,
};
use huifang_core::words;
use huifang_core::ErrorCode;
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};

/// A point of the pad in pad units (0..=PAD_UNITS), from CSS pixels within a box of `w`×`h`.
pub fn to_pad_units(x: f64, y: f64, w: f64, h: f64) -> (u16, u16) {
    let unit = |v: f64, size: f64| {
        if size <= 0.0 {
            return 0;
        }
        (v / size * f64::from(PAD_UNITS)).clamp(0.0, f64::from(PAD_UNITS)) as u16
    };
    (unit(x, w), unit(y, h))
}

/// Whether the strokes hold enough ink to be sent.
pub fn enough_ink(strokes: &[Stroke]) -> bool {
    ink_length(strokes) >= MIN_INK_PAD_WIDTHS * f64::from(PAD_UNITS)
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

/// Sizes the drawing buffer to the element (sharp on high-density screens) and clears it.
fn reset(canvas: &HtmlCanvasElement) {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let rect = canvas.get_bounding_client_rect();
    canvas.set_width((rect.width() * ratio) as u32);
    canvas.set_height((rect.height() * ratio) as u32);
    if let Some(ctx) = context(canvas) {
        let _ = ctx.scale(ratio, ratio);
        ctx.set_line_width(3.0);
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        ctx.set_stroke_style_str("#111");
        // A white background, so the PNG reads the same on any viewer.
        ctx.set_fill_style_str("#fff");
        ctx.fill_rect(0.0, 0.0, rect.width(), rect.height());
    }
}

#[component]
pub fn SignaturePage(lang: Lang) -> impl IntoView {
    let session = expect_context::<LiveSession>();
    let t = words::of(lang);
    let pad = NodeRef::<Canvas>::new();
    let strokes = StoredValue::new(Vec::<Stroke>::new());
    let drawing = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(canvas) = pad.get() {
            reset(&canvas);
        }
    });

    let point = move |ev: &PointerEvent| -> Option<(HtmlCanvasElement, f64, f64, (u16, u16))> {
        let canvas = pad.get_untracked()?;
        let rect = canvas.get_bounding_client_rect();
        let (x, y) = (
            f64::from(ev.client_x()) - rect.left(),
            f64::from(ev.client_y()) - rect.top(),
        );
        Some((
            canvas,
            x,
            y,
            to_pad_units(x, y, rect.width(), rect.height()),
        ))
    };
    let down = move |ev: PointerEvent| {
        ev.prevent_default();
        let Some((canvas, x, y, p)) = point(&ev) else {
            return;
        };
        let _ = canvas.set_pointer_capture(ev.pointer_id());
        drawing.set_value(true);
        strokes.update_value(|s| s.push(vec![p]));
        if let Some(ctx) = context(&canvas) {
            ctx.begin_path();
            ctx.move_to(x, y);
        }
    };
    let moved = move |ev: PointerEvent| {
        if !drawing.get_value() {
            return;
        }
        ev.prevent_default();
        let Some((canvas, x, y, p)) = point(&ev) else {
            return;
        };
        strokes.update_value(|s| {
            if let Some(last) = s.last_mut() {
                last.push(p);
            }
        });
        if let Some(ctx) = context(&canvas) {
            ctx.line_to(x, y);
            ctx.stroke();
        }
    };
    let up = move |_ev: PointerEvent| drawing.set_value(false);
    let clear = move |()| {
        strokes.set_value(Vec::new());
        if let Some(canvas) = pad.get_untracked() {
            reset(&canvas);
        }
    };
    let confirm = move |()| {
        let drawn = strokes.get_value();
        if !enough_ink(&drawn) {
            session.say(ErrorCode::SignatureTooShort);
            return;
        }
        let png = pad
            .get_untracked()
            .and_then(|c| c.to_data_url_with_type("image/png").ok())
            .and_then(|url| url.split_once(',').map(|(_, b64)| b64.to_string()));
        match png {
            Some(png_base64) => session.run(Request::Sign {
                submission: SignatureSubmission {
                    strokes: drawn,
                    png_base64,
                },
            }),
            None => session.say(ErrorCode::SignatureBadImage),
        }
    };
    view! {
        <section class="page signature">
            <h1>{t.signature_title}</h1>
            <p class="lead">{t.signature_lead}</p>
            <canvas
                node_ref=pad
                class="signature-pad"
                data-testid="signature-pad"
                aria-label=t.signature_pad
                role="img"
                on:pointerdown=down
                on:pointermove=moved
                on:pointerup=up
                on:pointercancel=up
            ></canvas>
            <NoticeBar/>
            <ConfirmActions
                primary=|t| t.signature_confirm
                on_primary=confirm
                secondary=|t| t.signature_clear
                on_secondary=clear
                secondary_first=true
            />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_scaled_to_pad_units_and_clamped() {
        assert_eq!(to_pad_units(150.0, 50.0, 300.0, 100.0), (500, 500));
        assert_eq!(to_pad_units(-5.0, 500.0, 300.0, 100.0), (0, 1000));
        assert_eq!(to_pad_units(1.0, 1.0, 0.0, 0.0), (0, 0));
    }

    #[test]
    fn a_dot_is_not_enough_ink_and_a_name_is() {
        assert!(!enough_ink(&[vec![(10, 10), (20, 20)]]));
        let zigzag: Stroke = (0..=6)
            .map(|i| (i * 150, if i % 2 == 0 { 300 } else { 700 }))
            .collect();
        assert!(enough_ink(&[zigzag]));
    }
}
