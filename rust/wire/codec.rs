//! The protobuf wire format at the level the wire walks need: fields read as
//! borrowed slices, and length-delimited fields written with their length
//! patched in afterwards.

use super::Fallback;

pub const VARINT: u8 = 0;
pub const I64: u8 = 1;
pub const LEN: u8 = 2;
pub const I32: u8 = 5;

/// One field as it sits in the input.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub number: u32,
    pub wire_type: u8,
    /// The contents of a length-delimited field (empty for other types).
    pub payload: &'a [u8],
    /// The whole field, tag included: what is copied when it is left alone.
    pub raw: &'a [u8],
}

impl<'a> Field<'a> {
    /// The payload of a length-delimited field; any other type means the
    /// input does not have the shape OTLP gives this field.
    pub fn message(&self) -> Result<&'a [u8], Fallback> {
        match self.wire_type {
            LEN => Ok(self.payload),
            _ => Err(Fallback),
        }
    }
}

impl Field<'_> {
    /// The value of a varint or 64-bit field, as prost reads `uint64`,
    /// `fixed64` and `double` (its bits); any other type means the input
    /// does not have the shape OTLP gives this field.
    pub fn number_value(&self) -> Result<u64, Fallback> {
        match self.wire_type {
            VARINT => {
                let mut f = fields(self.raw);
                f.varint()?; // the tag
                f.varint()
            }
            I64 => {
                let bytes = self.raw.last_chunk::<8>().ok_or(Fallback)?;
                Ok(u64::from_le_bytes(*bytes))
            }
            _ => Err(Fallback),
        }
    }
}

/// The fields of one message, in wire order.
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf, pos: 0 }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, Fallback>;

    // Inlined into every walk loop: returned through memory, a field was
    // read back before its stores had landed (a stall that took half of
    // `Walk::item` in the profile).
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        (self.pos < self.buf.len()).then(|| self.field())
    }
}

impl<'a> Fields<'a> {
    #[inline(always)]
    fn field(&mut self) -> Result<Field<'a>, Fallback> {
        let start = self.pos;
        let tag = self.varint()?;
        let (number, wire_type) = ((tag >> 3) as u32, (tag & 7) as u8);
        if number == 0 {
            return Err(Fallback);
        }
        let mut payload: &[u8] = &[];
        match wire_type {
            VARINT => {
                self.varint()?;
            }
            I64 => self.skip(8)?,
            I32 => self.skip(4)?,
            LEN => {
                let len = usize::try_from(self.varint()?).map_err(|_| Fallback)?;
                let at = self.pos;
                self.skip(len)?;
                payload = &self.buf[at..self.pos];
            }
            // Groups (deprecated, never in OTLP) and invalid types: the
            // reference decoder decides what to make of them.
            _ => return Err(Fallback),
        }
        Ok(Field {
            number,
            wire_type,
            payload,
            raw: &self.buf[start..self.pos],
        })
    }

    fn skip(&mut self, n: usize) -> Result<(), Fallback> {
        if self.buf.len() - self.pos < n {
            return Err(Fallback);
        }
        self.pos += n;
        Ok(())
    }

    #[inline(always)]
    fn varint(&mut self) -> Result<u64, Fallback> {
        // Tags and most lengths in OTLP fit one byte.
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.long_varint()
    }

    #[inline(never)]
    fn long_varint(&mut self) -> Result<u64, Fallback> {
        let mut value = 0u64;
        for i in 0..10 {
            let &b = self.buf.get(self.pos).ok_or(Fallback)?;
            self.pos += 1;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(Fallback)
    }
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn varint_len(v: u64) -> usize {
    // One byte per started group of 7 bits; 0 still takes a byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

pub fn put_tag(out: &mut Vec<u8>, number: u32, wire_type: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire_type));
}

/// Writes a length-delimited field whose contents `body` appends to `out`.
/// Room for the length is reserved from `guess` (the input's length, usually
/// right); when the written length needs another number of bytes the body
/// is moved once.
pub fn put_nested<R>(
    out: &mut Vec<u8>,
    number: u32,
    guess: usize,
    body: impl FnOnce(&mut Vec<u8>) -> R,
) -> R {
    put_tag(out, number, LEN);
    let at = out.len();
    let reserved = varint_len(guess as u64);
    out.resize(at + reserved, 0);
    let result = body(out);
    let len = out.len() - at - reserved;
    let needed = varint_len(len as u64);
    if needed != reserved {
        let end = out.len();
        if needed > reserved {
            out.resize(end + needed - reserved, 0);
            out.copy_within(at + reserved..end, at + needed);
        } else {
            out.copy_within(at + reserved..end, at + needed);
            out.truncate(end - (reserved - needed));
        }
    }
    let mut v = len as u64;
    for b in &mut out[at..at + needed] {
        *b = (v as u8 & 0x7f) | 0x80;
        v >>= 7;
    }
    out[at + needed - 1] &= 0x7f;
    result
}

/// Writes a length-delimited field from bytes at hand.
pub fn put_bytes(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_tag(out, number, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths_match_the_encoding() {
        for v in [0u64, 1, 127, 128, 16_383, 16_384, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
            let mut f = Fields { buf: &b, pos: 0 };
            assert_eq!(f.varint(), Ok(v));
        }
    }

    #[test]
    fn nested_fields_get_their_length_whatever_the_guess() {
        for (guess, body_len) in [(0, 300), (300, 3), (5, 5), (20_000, 200_000)] {
            let mut out = vec![0xAA];
            put_nested(&mut out, 9, guess, |o| {
                o.extend(std::iter::repeat_n(7u8, body_len))
            });
            let mut it = fields(&out[1..]);
            let f = it.next().unwrap().unwrap();
            assert_eq!((f.number, f.wire_type, f.payload.len()), (9, LEN, body_len));
            assert!(f.payload.iter().all(|&b| b == 7));
            assert!(it.next().is_none());
        }
    }

    #[test]
    fn truncated_and_group_fields_fall_back() {
        // LEN field claiming 5 bytes, 2 present; a start-group tag; a
        // varint that never ends.
        for bad in [&[0x0a, 5, 1, 2][..], &[0x0b], &[0x08, 0xff, 0xff]] {
            assert!(matches!(fields(bad).next(), Some(Err(Fallback))), "{bad:?}");
        }
    }
}
