//! The handwritten signature (R8): drawn on the phone after the last item, sent as its strokes and
//! the PNG the page rendered. The strokes let the edge measure the ink itself and refuse a mere dot
//! or dash; the PNG and its SHA-256 go into the record.

use crate::error_code::ErrorCode;
use crate::signing::sha256_hex;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Stroke coordinates are normalised to the pad: 0..=PAD_UNITS across its width and height.
pub const PAD_UNITS: u16 = 1000;
/// The least ink a signature needs: total stroke length, in pad widths.
pub const MIN_INK_PAD_WIDTHS: f64 = 0.8;
/// Bounds that keep a signature small enough to store and forward.
pub const MAX_POINTS: usize = 4000;
pub const MAX_STROKES: usize = 60;
pub const MAX_PNG_BYTES: usize = 64 * 1024;
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A stroke: the points of one touch or pen movement, in pad units.
pub type Stroke = Vec<(u16, u16)>;

/// What the page sends: `POST /v1/session/signature`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSubmission {
    pub strokes: Vec<Stroke>,
    /// The pad rendered as PNG, base64 (standard alphabet, padded).
    pub png_base64: String,
}

/// The signature as kept in the session and the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub png_base64: String,
    pub png_sha256: String,
    /// Total stroke length, in thousandths of the pad width.
    pub ink: u32,
    pub strokes: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature is too short; please sign your full name")]
    TooLittleInk,
    #[error("the signature has too many points or strokes")]
    TooLarge,
    #[error("a stroke point lies outside the pad")]
    OutOfPad,
    #[error("the signature image is not a PNG of at most 64 KiB")]
    BadImage,
}

impl SignatureError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLittleInk => ErrorCode::SignatureTooShort,
            Self::TooLarge => ErrorCode::SignatureTooLarge,
            Self::OutOfPad => ErrorCode::SignatureOutOfPad,
            Self::BadImage => ErrorCode::SignatureBadImage,
        }
    }
}

/// Total length of the strokes, in pad units.
pub fn ink_length(strokes: &[Stroke]) -> f64 {
    strokes
        .iter()
        .flat_map(|s| s.windows(2))
        .map(|w| {
            let dx = f64::from(w[1].0) - f64::from(w[0].0);
            let dy = f64::from(w[1].1) - f64::from(w[0].1);
            (dx * dx + dy * dy).sqrt()
        })
        .sum()
}

impl SignatureSubmission {
    /// Checks the strokes and the image; the signature to keep.
    pub fn accept(self) -> Result<Signature, SignatureError> {
        let points: usize = self.strokes.iter().map(Vec::len).sum();
        if points > MAX_POINTS || self.strokes.len() > MAX_STROKES {
            return Err(SignatureError::TooLarge);
        }
        let in_pad = |&(x, y): &(u16, u16)| x <= PAD_UNITS && y <= PAD_UNITS;
        if !self.strokes.iter().flatten().all(in_pad) {
            return Err(SignatureError::OutOfPad);
        }
        let ink = ink_length(&self.strokes);
        if ink < MIN_INK_PAD_WIDTHS * f64::from(PAD_UNITS) {
            return Err(SignatureError::TooLittleInk);
        }
        let png = STANDARD
            .decode(self.png_base64.trim())
            .map_err(|_| SignatureError::BadImage)?;
        if png.len() > MAX_PNG_BYTES || !png.starts_with(PNG_MAGIC) {
            return Err(SignatureError::BadImage);
        }
        Ok(Signature {
            png_sha256: sha256_hex(&png),
            png_base64: STANDARD.encode(&png),
            // Bounded by MAX_POINTS segments of at most √2·1000 units: fits in u32.
            ink: ink.round() as u32,
            strokes: self.strokes.len(),
        })
    }
}

#[cfg(test)]
pub(crate) fn sample_submission() -> SignatureSubmission {
    // A zig-zag across the pad: about 2.4 pad widths of ink.
    let stroke: Stroke = (0..=6)
        .map(|i| (i * 150, if i % 2 == 0 { 300 } else { 700 }))
        .collect();
    let mut png = PNG_MAGIC.to_vec();
    png.extend_from_slice(b"rest of a tiny image");
    SignatureSubmission {
        strokes: vec![stroke],
        png_base64: STANDARD.encode(png),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn a_real_signature_is_accepted_with_the_hash_of_its_image() {
        let s = sample_submission();
        let png = STANDARD.decode(&s.png_base64).unwrap();
        let sig = s.accept().unwrap();
        assert_eq!(sig.png_sha256, hex::encode(Sha256::digest(&png)));
        assert!(sig.ink > 2_000, "{}", sig.ink);
    }

    #[test]
    fn a_dot_or_a_dash_is_refused() {
        let mut s = sample_submission();
        s.strokes = vec![vec![(500, 500)], vec![(100, 100), (400, 100)]];
        assert_eq!(s.accept(), Err(SignatureError::TooLittleInk));
    }

    #[test]
    fn bad_images_and_points_are_refused() {
        let mut s = sample_submission();
        s.png_base64 = STANDARD.encode(b"GIF89a...");
        assert_eq!(s.accept(), Err(SignatureError::BadImage));

        let mut s = sample_submission();
        s.png_base64 = "not base64!".into();
        assert_eq!(s.accept(), Err(SignatureError::BadImage));

        let mut s = sample_submission();
        s.strokes[0].push((1001, 5));
        assert_eq!(s.accept(), Err(SignatureError::OutOfPad));

        let mut s = sample_submission();
        s.strokes = vec![vec![(0, 0), (1000, 1000)]; MAX_STROKES + 1];
        assert_eq!(s.accept(), Err(SignatureError::TooLarge));
    }

    proptest! {
        #[test]
        fn any_submission_is_judged_without_panic(
            strokes in proptest::collection::vec(proptest::collection::vec((0u16..1100, 0u16..1100), 0..40), 0..8),
            png in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let _ = SignatureSubmission { strokes, png_base64: STANDARD.encode(png) }.accept();
        }
    }
}
