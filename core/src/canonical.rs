//! The canonical JSON every hash and seal is computed over (R4): exactly the bytes `serde_jcs`
//! 0.1 writes (members of each object sorted by their encoded key bytes, compact, serde_json's
//! string escapes), made without its cost (issue 19).
//!
//! `serde_jcs` boxes a writer for every token and keeps each object's members in a map of owned
//! buffers: most of a record check went to the allocator. Here the members of each open object
//! are written once into one buffer and sorted in place when the object closes. Anything this
//! writer does not handle the same way (floats, 128-bit integers, raw JSON) falls back to
//! `serde_jcs` itself, so the bytes are always the same; in wasm (the edge, the app) `serde_jcs`
//! is used directly, keeping the bundles as they were.

use serde::Serialize;

/// The canonical JSON of `value` (empty only for values JSON cannot hold, as `serde_jcs`).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(bytes) = fast::to_vec(value) {
        return bytes;
    }
    serde_jcs::to_vec(value).unwrap_or_default()
}

/// `use_bytes` over the canonical JSON of `value` ([`to_vec`]'s bytes), for a caller that only
/// hashes or signs them: they are made in buffers this thread keeps for the next value, since
/// verify-archive canonicalises every record and every trace entry of it and a fresh buffer each
/// time was about a tenth of its CPU in the allocator (issue 19, bench row 4m).
pub fn with_bytes<T: Serialize + ?Sized, R>(value: &T, use_bytes: impl FnOnce(&[u8]) -> R) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    {
        // Taken out while in use: a `use_bytes` that canonicalises again gets fresh buffers.
        let mut state = fast::KEPT.take();
        let r = if fast::fill(value, &mut state) {
            use_bytes(&state.buf)
        } else {
            use_bytes(&to_vec(value))
        };
        // A rare large value does not leave its buffers behind (memory stays flat).
        if state.buf.capacity() <= fast::KEEP_AT_MOST {
            fast::KEPT.set(state);
        }
        r
    }
    #[cfg(target_arch = "wasm32")]
    use_bytes(&to_vec(value))
}

#[cfg(not(target_arch = "wasm32"))]
mod fast {
    use serde::Serialize;
    use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
    use std::io::{self, Write};

    /// A member of an open object: where its key starts and ends and where its value ends.
    type Member = (usize, usize, usize);

    #[derive(Default)]
    pub(super) struct State {
        /// Everything written so far; an open object's members are in it unsorted, without the
        /// commas and colons, until the object closes.
        pub(super) buf: Vec<u8>,
        /// Per open object: where its members start, its finished members, the current key's start.
        open: Vec<(usize, Vec<Member>, usize, usize)>,
        /// Reused when an object is sorted.
        scratch: Vec<u8>,
        /// Member lists of closed objects, emptied, for the next objects to open.
        spare: Vec<Vec<Member>>,
    }

    struct Jcs<'a>(&'a mut State);

    /// Not written the way `serde_jcs` writes it: the caller falls back to it.
    fn unlike() -> io::Error {
        io::Error::other("canonical: left to serde_jcs")
    }

    pub(super) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
        let mut state = State::default();
        fill(value, &mut state).then_some(state.buf)
    }

    /// Buffers grown past this by one value are dropped after it rather than kept.
    pub(super) const KEEP_AT_MOST: usize = 1 << 20;

    thread_local! {
        /// The buffers [`super::with_bytes`] reuses on this thread.
        pub(super) static KEPT: std::cell::Cell<State> = std::cell::Cell::default();
    }

    /// Writes `value` into `state`, emptied first (its buffers keep their capacity); false when
    /// it is left to `serde_jcs`.
    pub(super) fn fill<T: Serialize + ?Sized>(value: &T, state: &mut State) -> bool {
        state.buf.clear();
        state.open.clear();
        state.scratch.clear();
        let mut ser = serde_json::Serializer::with_formatter(io::sink(), Jcs(state));
        value.serialize(&mut ser).is_ok() && state.open.is_empty()
    }

    impl Jcs<'_> {
        fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.0.buf.extend_from_slice(bytes);
            Ok(())
        }
    }

    impl Formatter for Jcs<'_> {
        fn write_null<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.put(b"null")
        }
        fn write_bool<W: ?Sized + Write>(&mut self, _: &mut W, v: bool) -> io::Result<()> {
            self.put(if v { b"true" } else { b"false" })
        }
        fn write_i8<W: ?Sized + Write>(&mut self, _: &mut W, v: i8) -> io::Result<()> {
            CompactFormatter.write_i8(&mut self.0.buf, v)
        }
        fn write_i16<W: ?Sized + Write>(&mut self, _: &mut W, v: i16) -> io::Result<()> {
            CompactFormatter.write_i16(&mut self.0.buf, v)
        }
        fn write_i32<W: ?Sized + Write>(&mut self, _: &mut W, v: i32) -> io::Result<()> {
            CompactFormatter.write_i32(&mut self.0.buf, v)
        }
        fn write_i64<W: ?Sized + Write>(&mut self, _: &mut W, v: i64) -> io::Result<()> {
            CompactFormatter.write_i64(&mut self.0.buf, v)
        }
        fn write_i128<W: ?Sized + Write>(&mut self, _: &mut W, _: i128) -> io::Result<()> {
            Err(unlike())
        }
        fn write_u8<W: ?Sized + Write>(&mut self, _: &mut W, v: u8) -> io::Result<()> {
            CompactFormatter.write_u8(&mut self.0.buf, v)
        }
        fn write_u16<W: ?Sized + Write>(&mut self, _: &mut W, v: u16) -> io::Result<()> {
            CompactFormatter.write_u16(&mut self.0.buf, v)
        }
        fn write_u32<W: ?Sized + Write>(&mut self, _: &mut W, v: u32) -> io::Result<()> {
            CompactFormatter.write_u32(&mut self.0.buf, v)
        }
        fn write_u64<W: ?Sized + Write>(&mut self, _: &mut W, v: u64) -> io::Result<()> {
            CompactFormatter.write_u64(&mut self.0.buf, v)
        }
        fn write_u128<W: ?Sized + Write>(&mut self, _: &mut W, _: u128) -> io::Result<()> {
            Err(unlike())
        }
        fn write_f32<W: ?Sized + Write>(&mut self, _: &mut W, _: f32) -> io::Result<()> {
            Err(unlike())
        }
        fn write_f64<W: ?Sized + Write>(&mut self, _: &mut W, _: f64) -> io::Result<()> {
            Err(unlike())
        }
        fn write_number_str<W: ?Sized + Write>(&mut self, _: &mut W, _: &str) -> io::Result<()> {
            Err(unlike())
        }
        fn write_raw_fragment<W: ?Sized + Write>(&mut self, _: &mut W, _: &str) -> io::Result<()> {
            Err(unlike())
        }
        fn begin_string<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.put(b"\"")
        }
        fn end_string<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.put(b"\"")
        }
        fn write_string_fragment<W: ?Sized + Write>(
            &mut self,
            _: &mut W,
            fragment: &str,
        ) -> io::Result<()> {
            self.put(fragment.as_bytes())
        }
        fn write_char_escape<W: ?Sized + Write>(
            &mut self,
            _: &mut W,
            escape: CharEscape,
        ) -> io::Result<()> {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let control;
            let bytes: &[u8] = match escape {
                CharEscape::Quote => b"\\\"",
                CharEscape::ReverseSolidus => b"\\\\",
                CharEscape::Solidus => b"\\/",
                CharEscape::Backspace => b"\\b",
                CharEscape::FormFeed => b"\\f",
                CharEscape::LineFeed => b"\\n",
                CharEscape::CarriageReturn => b"\\r",
                CharEscape::Tab => b"\\t",
                CharEscape::AsciiControl(c) => {
                    control = [
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(c >> 4)],
                        HEX[usize::from(c & 0xF)],
                    ];
                    &control
                }
            };
            self.put(bytes)
        }
        fn begin_array<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.put(b"[")
        }
        fn end_array<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.put(b"]")
        }
        fn begin_array_value<W: ?Sized + Write>(
            &mut self,
            _: &mut W,
            first: bool,
        ) -> io::Result<()> {
            if first {
                Ok(())
            } else {
                self.put(b",")
            }
        }
        fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            Ok(())
        }
        fn begin_object<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            self.0.buf.push(b'{');
            let at = self.0.buf.len();
            let members = self.0.spare.pop().unwrap_or_default();
            self.0.open.push((at, members, at, at));
            Ok(())
        }
        fn begin_object_key<W: ?Sized + Write>(&mut self, _: &mut W, _: bool) -> io::Result<()> {
            let at = self.0.buf.len();
            let object = self.0.open.last_mut().ok_or_else(unlike)?;
            object.2 = at;
            Ok(())
        }
        fn end_object_key<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            let at = self.0.buf.len();
            let object = self.0.open.last_mut().ok_or_else(unlike)?;
            object.3 = at;
            Ok(())
        }
        fn begin_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            Ok(())
        }
        fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            let at = self.0.buf.len();
            let object = self.0.open.last_mut().ok_or_else(unlike)?;
            let member = (object.2, object.3, at);
            object.1.push(member);
            Ok(())
        }
        fn end_object<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
            let (start, mut members, _, _) = self.0.open.pop().ok_or_else(unlike)?;
            let State {
                buf,
                scratch,
                spare,
                ..
            } = &mut *self.0;
            // As serde_jcs's map of encoded key → value: sorted by the key's bytes, and of two
            // equal keys the later one kept.
            members.sort_by(|a, b| buf[a.0..a.1].cmp(&buf[b.0..b.1]));
            scratch.clear();
            let mut first = true;
            for (i, &(key, value, end)) in members.iter().enumerate() {
                let later_twin = members
                    .get(i + 1)
                    .is_some_and(|next| buf[key..value] == buf[next.0..next.1]);
                if later_twin {
                    continue;
                }
                if !first {
                    scratch.push(b',');
                }
                first = false;
                scratch.extend_from_slice(&buf[key..value]);
                scratch.push(b':');
                scratch.extend_from_slice(&buf[value..end]);
            }
            scratch.push(b'}');
            buf.truncate(start);
            buf.extend_from_slice(scratch);
            members.clear();
            spare.push(members);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{to_vec, with_bytes};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// Both ways of writing `value` (a fresh buffer, and the thread's reused ones, which carry
    /// over from the value before) give serde_jcs's bytes.
    fn same_as_serde_jcs<T: serde::Serialize>(value: &T) {
        let expected = String::from_utf8(serde_jcs::to_vec(value).unwrap()).unwrap();
        assert_eq!(String::from_utf8(to_vec(value)).unwrap(), expected);
        let reused = with_bytes(value, |bytes| String::from_utf8(bytes.to_vec()).unwrap());
        assert_eq!(reused, expected);
    }

    #[test]
    fn bytes_made_again_while_the_first_are_in_use_do_not_disturb_them() {
        let outer = json!({"b": [1, {"d": 2, "c": 3}], "a": "x"});
        let inner = json!({"z": {"y": 1}});
        let (seen, nested) = with_bytes(&outer, |bytes| {
            let nested = with_bytes(&inner, |b| b.to_vec());
            (bytes.to_vec(), nested)
        });
        assert_eq!(seen, serde_jcs::to_vec(&outer).unwrap());
        assert_eq!(nested, serde_jcs::to_vec(&inner).unwrap());
        same_as_serde_jcs(&outer);
    }

    #[test]
    fn a_sealed_record_and_the_script_are_written_byte_for_byte_as_serde_jcs_writes_them() {
        let key = crate::signing::EdgeKey::from_seed_hex("edge-1", &"2a".repeat(32)).unwrap();
        let session = crate::fixtures::finished_session(
            crate::RevisitId::from_random([3; 12]),
            &[
                crate::session::AnswerKind::Yes,
                crate::session::AnswerKind::No,
                crate::session::AnswerKind::Yes,
            ],
        );
        let sealed = crate::record::Record::of(&session, "test")
            .unwrap()
            .seal(&key);
        same_as_serde_jcs(&sealed);
        same_as_serde_jcs(&sealed.record.trace);
        let script: crate::script::Script =
            serde_json::from_str(crate::script::SHIPPED[0].1).unwrap();
        same_as_serde_jcs(&script);
    }

    #[test]
    fn keys_sort_by_their_encoded_bytes_and_the_last_of_equal_keys_wins() {
        same_as_serde_jcs(
            &json!({"b": 1, "a!": [], "a": {"z": null, "\u{1f}": "\"\\/\n"}, "": {}}),
        );
        same_as_serde_jcs(&json!([{}, [], "中文", -5, u64::MAX, true]));
        #[derive(serde::Serialize)]
        struct Twice {
            a: u8,
            #[serde(rename = "a")]
            again: u8,
        }
        same_as_serde_jcs(&Twice { a: 1, again: 2 });
        // Floats are left to serde_jcs (its number form), with the same result.
        same_as_serde_jcs(&json!({"x": 1.5, "y": [0.1, 1e300]}));
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            "\\PC{0,8}|[\\x00-\\x20\"\\\\/]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("\\PC{0,4}|[\\x00-\\x30]{0,2}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_is_written_as_serde_jcs_writes_it(value in any_json()) {
            let expected = serde_jcs::to_vec(&value).unwrap();
            prop_assert_eq!(to_vec(&value), expected);
        }
    }
}
