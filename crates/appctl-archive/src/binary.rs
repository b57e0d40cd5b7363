//! Import's fast path: a row file turned into `COPY FROM STDIN (FORMAT binary)` data instead of text.
//!
//! Why: loading is bound by the server, and the server spends much of a text `COPY` parsing the
//! text of timestamps, uuids and integers. Measured on the benchmark's `messages` table (1,000,000
//! rows: bigint, uuid, enum, text, integer, jsonb, timestamptz), a binary `COPY` of the same rows
//! took 3.3–3.5 s of server time against 5.6–6.4 s in text.
//!
//! Binary is only an optimisation, never a second format to get right: a table goes binary only when
//! every column's type (as the target's catalog gives it) is one of [`BinaryType`], and a row file
//! goes binary only when every value in it parses strictly into its type's binary form here. Any
//! value this module does not take (a timestamp BC, a leap second, a non-canonical spelling, a
//! number out of range, a malformed row...) makes the whole file fall back to the text path of
//! [`super::encode`], whose rules and error messages are the archive's (docs/archive-format.md).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::value::RawValue;

use super::encode::{self, Encoding};

/// A column type whose binary form this module writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// `text`, `varchar`, and enums: the receive function takes the text itself.
    Text,
    Uuid,
    Jsonb,
    Bytea,
    Date,
    Timestamp,
    Timestamptz,
    /// pgvector's `vector`: a dimension count, then float4 elements.
    Vector,
    /// `numeric`: base-10000 digits, as `numeric_send` writes them.
    Numeric,
}

impl BinaryType {
    /// The binary type of a column from the target's catalog: the type's schema, name, `typtype`
    /// (`e` for an enum) and receive function. `None` for every other type (the table then loads
    /// as text).
    pub fn of(schema: &str, name: &str, typtype: &str, receive: &str) -> Option<BinaryType> {
        if typtype == "e" {
            return Some(BinaryType::Text);
        }
        // pgvector lives in whatever schema its extension was created in: its receive function,
        // not its schema, says the binary form is pgvector's.
        if typtype == "b" && name == "vector" && receive == "vector_recv" {
            return Some(BinaryType::Vector);
        }
        if schema != "pg_catalog" || typtype != "b" {
            return None;
        }
        Some(match name {
            "bool" => BinaryType::Bool,
            "int2" => BinaryType::Int2,
            "int4" => BinaryType::Int4,
            "int8" => BinaryType::Int8,
            "float4" => BinaryType::Float4,
            "float8" => BinaryType::Float8,
            "text" | "varchar" => BinaryType::Text,
            "uuid" => BinaryType::Uuid,
            "jsonb" => BinaryType::Jsonb,
            "bytea" => BinaryType::Bytea,
            "date" => BinaryType::Date,
            "timestamp" => BinaryType::Timestamp,
            "timestamptz" => BinaryType::Timestamptz,
            "numeric" => BinaryType::Numeric,
            _ => return None,
        })
    }

    /// Whether the archive's encoding of a column is the one export writes for this type, so that
    /// a value of the wrong JSON kind is refused as the text path refuses it.
    pub fn matches(self, encoding: &Encoding) -> bool {
        use BinaryType::*;
        match encoding {
            Encoding::Bool => self == Bool,
            Encoding::Number => matches!(self, Int2 | Int4 | Float4 | Float8),
            Encoding::String => matches!(
                self,
                Int8 | Text | Uuid | Date | Timestamp | Timestamptz | Numeric
            ),
            Encoding::Bytea => self == Bytea,
            Encoding::Json => self == Jsonb,
            Encoding::Vector => self == Vector,
            Encoding::Array(_) => false,
        }
    }
}

/// The binary COPY header: signature, flags, no header extension.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The binary COPY trailer: a field count of -1.
const TRAILER: &[u8] = &[0xff, 0xff];

/// Converts a whole row file (JSON Lines) to binary COPY data (header and trailer included) in
/// `out`, returning the number of rows; `None` when any line or value is not taken here (`out` is
/// then left in an unspecified state and the caller converts the file as text).
pub fn convert_file(
    text: &str,
    columns: &[String],
    types: &[BinaryType],
    out: &mut Vec<u8>,
) -> Option<u64> {
    let fields = i16::try_from(columns.len()).ok()?;
    out.extend_from_slice(HEADER);
    let mut rows = 0u64;
    for line in text.lines() {
        let object = encode::parse_object(line).ok()?;
        if object
            .iter()
            .any(|(key, _)| !columns.iter().any(|c| c == key))
        {
            return None;
        }
        out.extend_from_slice(&fields.to_be_bytes());
        for (column, ty) in columns.iter().zip(types) {
            match object.iter().find(|(key, _)| key == column) {
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                Some((_, raw)) => write_field(raw, *ty, out)?,
            }
        }
        rows += 1;
    }
    out.extend_from_slice(TRAILER);
    Some(rows)
}

/// One value as a binary field: its length, then its bytes.
fn write_field(raw: &RawValue, ty: BinaryType, out: &mut Vec<u8>) -> Option<()> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    write_value(raw.get(), ty, out)?;
    let length = i32::try_from(out.len() - at - 4).ok()?;
    out[at..at + 4].copy_from_slice(&length.to_be_bytes());
    Some(())
}

fn write_value(text: &str, ty: BinaryType, out: &mut Vec<u8>) -> Option<()> {
    match ty {
        BinaryType::Bool => out.push(match text {
            "true" => 1,
            "false" => 0,
            _ => return None,
        }),
        BinaryType::Int2 => {
            out.extend_from_slice(&i16::try_from(integer(text, false)?).ok()?.to_be_bytes())
        }
        BinaryType::Int4 => {
            out.extend_from_slice(&i32::try_from(integer(text, false)?).ok()?.to_be_bytes())
        }
        BinaryType::Int8 => out.extend_from_slice(&integer(text, true)?.to_be_bytes()),
        BinaryType::Float4 => out.extend_from_slice(&float4(text)?.to_be_bytes()),
        BinaryType::Float8 => out.extend_from_slice(&float8(text)?.to_be_bytes()),
        BinaryType::Text => out.extend_from_slice(string(text)?.as_bytes()),
        BinaryType::Uuid => uuid(&string(text)?, out)?,
        BinaryType::Jsonb => {
            // Version 1 of jsonb's binary form: the document's text, which the server parses as
            // jsonb's input function does.
            out.push(1);
            out.extend_from_slice(text.as_bytes());
        }
        BinaryType::Bytea => BASE64.decode_vec(string(text)?.as_bytes(), out).ok()?,
        BinaryType::Date => out.extend_from_slice(&date(&string(text)?)?.to_be_bytes()),
        BinaryType::Timestamp => {
            out.extend_from_slice(&timestamp(&string(text)?, false)?.to_be_bytes())
        }
        BinaryType::Timestamptz => {
            out.extend_from_slice(&timestamp(&string(text)?, true)?.to_be_bytes())
        }
        BinaryType::Vector => vector(text, out)?,
        BinaryType::Numeric => numeric(&string(text)?, out)?,
    }
    Some(())
}

/// A `numeric` as Postgres prints it (`-123.4500`, `NaN`) in `numeric_send`'s form: the count of
/// base-10000 digits, the weight of the first, the sign, the display scale (digits after the
/// point, kept as written), then the digits. The server strips leading and trailing zero digits
/// itself. Anything else (an exponent, `Infinity`, a bare point) is left to the text path.
fn numeric(text: &str, out: &mut Vec<u8>) -> Option<()> {
    const POSITIVE: u16 = 0x0000;
    const NEGATIVE: u16 = 0x4000;
    const NAN: u16 = 0xC000;
    /// NUMERIC_DSCALE_MAX.
    const MAX_SCALE: usize = 0x3FFF;
    let header = |out: &mut Vec<u8>, digits: i16, weight: i16, sign: u16, scale: u16| {
        out.extend_from_slice(&digits.to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&scale.to_be_bytes());
    };
    if text == "NaN" {
        header(out, 0, 0, NAN, 0);
        return Some(());
    }
    let (sign, body) = match text.strip_prefix('-') {
        Some(body) => (NEGATIVE, body),
        None => (POSITIVE, text),
    };
    let (integer, fraction) = match body.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (body, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() || !all_digits(integer) || !all_digits(fraction) {
        return None;
    }
    if fraction.len() > MAX_SCALE {
        return None;
    }
    // Groups of four decimal digits, aligned on the point: the integer part padded on the left,
    // the fraction on the right.
    let integer_groups = integer.len().div_ceil(4);
    let fraction_groups = fraction.len().div_ceil(4);
    let count = i16::try_from(integer_groups + fraction_groups).ok()?;
    let weight = i16::try_from(integer_groups).ok()? - 1;
    header(out, count, weight, sign, fraction.len() as u16);
    let padded_integer = format!(
        "{}{integer}",
        "0".repeat(integer_groups * 4 - integer.len())
    );
    let padded_fraction = format!(
        "{fraction}{}",
        "0".repeat(fraction_groups * 4 - fraction.len())
    );
    for group in [padded_integer, padded_fraction]
        .iter()
        .flat_map(|digits| digits.as_bytes().chunks(4))
    {
        let value = group
            .iter()
            .fold(0u16, |value, digit| value * 10 + u16::from(digit - b'0'));
        out.extend_from_slice(&value.to_be_bytes());
    }
    Some(())
}

/// `[0.5,-1,3e-05]` as pgvector's binary form (`vector_send`): the dimension count as int16, an
/// unused int16, then each element as a float4. What pgvector's input refuses (no elements, more
/// than it allows, NaN or infinity) is left to the text path, which reports the server's error.
fn vector(text: &str, out: &mut Vec<u8>) -> Option<()> {
    /// pgvector's VECTOR_MAX_DIM.
    const MAX_DIMENSIONS: usize = 16_000;
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let count_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut dimensions = 0usize;
    for element in inner.split(',') {
        let value = float4(element.trim_matches(|c: char| c.is_ascii_whitespace()))?;
        if !value.is_finite() {
            return None;
        }
        out.extend_from_slice(&value.to_be_bytes());
        dimensions += 1;
    }
    if dimensions > MAX_DIMENSIONS {
        return None;
    }
    let dimensions = i16::try_from(dimensions).ok()?;
    out[count_at..count_at + 2].copy_from_slice(&dimensions.to_be_bytes());
    Some(())
}

/// The content of a JSON string literal.
fn string(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(inner.into());
    }
    serde_json::from_str::<String>(text).ok().map(Into::into)
}

/// An integer as a JSON number (`int2`, `int4`) or a string (`int8`, `quoted`), in canonical form
/// only.
fn integer(text: &str, quoted: bool) -> Option<i64> {
    let digits = if quoted {
        text.strip_prefix('"')?.strip_suffix('"')?
    } else {
        text
    };
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A JSON number (or `"NaN"`, `"Infinity"`, `"-Infinity"`) as Postgres's float input reads it:
/// correctly rounded; out of range (overflow, or a non-zero number that rounds to zero) is left to
/// the text path, which reports it.
fn float8(text: &str) -> Option<f64> {
    match text {
        "\"NaN\"" => return Some(f64::NAN),
        "\"Infinity\"" => return Some(f64::INFINITY),
        "\"-Infinity\"" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let value: f64 = plain_number(text)?.parse().ok()?;
    finite_in_range(text, value.is_finite(), value == 0.0).then_some(value)
}

fn float4(text: &str) -> Option<f32> {
    match text {
        "\"NaN\"" => return Some(f32::NAN),
        "\"Infinity\"" => return Some(f32::INFINITY),
        "\"-Infinity\"" => return Some(f32::NEG_INFINITY),
        _ => {}
    }
    let value: f32 = plain_number(text)?.parse().ok()?;
    finite_in_range(text, value.is_finite(), value == 0.0).then_some(value)
}

/// A JSON number's text (digits, sign, point, exponent only: Rust's parser also takes `inf`).
fn plain_number(text: &str) -> Option<&str> {
    (text.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')))
    .then_some(text)
}

fn finite_in_range(text: &str, finite: bool, zero: bool) -> bool {
    let mantissa_nonzero = text
        .bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .any(|b| matches!(b, b'1'..=b'9'));
    finite && !(zero && mantissa_nonzero)
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (as Postgres prints it; either case) as 16 bytes.
fn uuid(text: &str, out: &mut Vec<u8>) -> Option<()> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let mut digits = bytes.iter().filter(|&&b| b != b'-');
    for _ in 0..16 {
        let high = char::from(*digits.next()?).to_digit(16)?;
        let low = char::from(*digits.next()?).to_digit(16)?;
        out.push((high * 16 + low) as u8);
    }
    Some(())
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days from 1970-01-01 to 2000-01-01, Postgres's epoch.
const POSTGRES_EPOCH_DAYS: i64 = 10_957;
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A cursor over ASCII text with fixed-width numeric fields.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.at;
        while self.at < self.bytes.len()
            && self.at - start < max
            && self.bytes[self.at].is_ascii_digit()
        {
            self.at += 1;
        }
        if self.at - start < min {
            return None;
        }
        let mut value = 0i64;
        for &b in &self.bytes[start..self.at] {
            value = value * 10 + i64::from(b - b'0');
        }
        Some(value)
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// `YYYY-MM-DD` (AD, 4 to 6 digits of year) as days since 2000-01-01.
fn civil_date(cursor: &mut Cursor<'_>) -> Option<i64> {
    let year = cursor.digits(4, 6)?;
    if !cursor.eat(b'-') {
        return None;
    }
    let month = cursor.digits(2, 2)?;
    if !cursor.eat(b'-') {
        return None;
    }
    let day = cursor.digits(2, 2)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if year == 0 || day < 1 || day > month_days {
        return None;
    }
    Some(days_from_civil(year, month, day) - POSTGRES_EPOCH_DAYS)
}

/// A `date` as Postgres prints it (ISO): days since 2000-01-01; `infinity` and `-infinity` too.
fn date(text: &str) -> Option<i32> {
    match text {
        "infinity" => return Some(i32::MAX),
        "-infinity" => return Some(i32::MIN),
        _ => {}
    }
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let days = civil_date(&mut cursor)?;
    // Postgres's dates end at 5874897-12-31; six digits of year keep far inside.
    cursor.done().then(|| i32::try_from(days).ok())?
}

/// A `timestamp` (`with_zone`: `timestamptz`, which must carry an offset) as Postgres prints it in
/// ISO style, `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]`, as microseconds since 2000-01-01 UTC;
/// `infinity` and `-infinity` too. Years BC, leap seconds and more than six fractional digits are
/// left to the text path.
fn timestamp(text: &str, with_zone: bool) -> Option<i64> {
    match text {
        "infinity" => return Some(i64::MAX),
        "-infinity" => return Some(i64::MIN),
        _ => {}
    }
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    let days = civil_date(&mut cursor)?;
    if !cursor.eat(b' ') {
        return None;
    }
    let hour = cursor.digits(2, 2)?;
    if !cursor.eat(b':') {
        return None;
    }
    let minute = cursor.digits(2, 2)?;
    if !cursor.eat(b':') {
        return None;
    }
    let second = cursor.digits(2, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut micros = 0;
    if cursor.eat(b'.') {
        let start = cursor.at;
        let fraction = cursor.digits(1, 6)?;
        let width = cursor.at - start;
        micros = fraction * 10i64.pow(6 - width as u32);
    }
    let mut offset_seconds = 0;
    if with_zone {
        let sign = if cursor.eat(b'+') {
            1
        } else if cursor.eat(b'-') {
            -1
        } else {
            return None;
        };
        let hours = cursor.digits(2, 2)?;
        let mut minutes = 0;
        let mut seconds = 0;
        if cursor.eat(b':') {
            minutes = cursor.digits(2, 2)?;
            if cursor.eat(b':') {
                seconds = cursor.digits(2, 2)?;
            }
        }
        if hours > 15 || minutes > 59 || seconds > 59 {
            return None;
        }
        offset_seconds = sign * (hours * 3600 + minutes * 60 + seconds);
    }
    if !cursor.done() {
        return None;
    }
    let seconds_of_day = hour * 3600 + minute * 60 + second - offset_seconds;
    let value = days
        .checked_mul(MICROS_PER_DAY)?
        .checked_add(seconds_of_day * 1_000_000)?
        .checked_add(micros)?;
    // Postgres's last timestamp is 294276-12-31 23:59:59.999999 UTC; six digits of year could pass it.
    const END: i64 = 9_223_371_331_200_000_000; // 294277-01-01 00:00:00 UTC
    (value < END).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, ty: BinaryType) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        write_value(text, ty, &mut out).map(|()| out)
    }

    #[test]
    fn types_from_the_catalog() {
        assert_eq!(
            BinaryType::of("pg_catalog", "timestamptz", "b", "timestamptz_recv"),
            Some(BinaryType::Timestamptz)
        );
        assert_eq!(
            BinaryType::of("public", "mood", "e", "enum_recv"),
            Some(BinaryType::Text)
        );
        assert_eq!(
            BinaryType::of("pg_catalog", "numeric", "b", "numeric_recv"),
            Some(BinaryType::Numeric)
        );
        assert!(BinaryType::Numeric.matches(&Encoding::String));
        assert!(!BinaryType::Numeric.matches(&Encoding::Number));
        assert_eq!(
            BinaryType::of("extensions", "vector", "b", "vector_recv"),
            Some(BinaryType::Vector)
        );
        // A type called vector that is not pgvector's.
        assert_eq!(BinaryType::of("public", "vector", "b", "my_recv"), None);
        assert_eq!(
            BinaryType::of("public", "halfvec", "b", "halfvec_recv"),
            None
        );
        assert_eq!(BinaryType::of("public", "email", "d", ""), None);
        assert_eq!(
            BinaryType::of("pg_catalog", "_text", "b", "array_recv"),
            None
        );
        assert!(BinaryType::Vector.matches(&Encoding::Vector));
        assert!(!BinaryType::Vector.matches(&Encoding::Json));
        assert!(BinaryType::Int8.matches(&Encoding::String));
        assert!(!BinaryType::Int8.matches(&Encoding::Number));
        assert!(BinaryType::Jsonb.matches(&Encoding::Json));
        assert!(!BinaryType::Text.matches(&Encoding::Json));
    }

    #[test]
    fn integers_and_floats() {
        use BinaryType::*;
        assert_eq!(value("42", Int4), Some(42i32.to_be_bytes().to_vec()));
        assert_eq!(value("-7", Int2), Some((-7i16).to_be_bytes().to_vec()));
        assert_eq!(value("40000", Int2), None);
        assert_eq!(
            value("\"-9223372036854775808\"", Int8),
            Some(i64::MIN.to_be_bytes().to_vec())
        );
        assert_eq!(value("\"9223372036854775808\"", Int8), None);
        assert_eq!(value("\"+1\"", Int8), None);
        assert_eq!(value("1", Int8), None);
        assert_eq!(value("\"1\"", Int4), None);
        assert_eq!(value("\"\"", Int8), None);
        assert_eq!(value("1.5", Int4), None);
        assert_eq!(
            value("1e+300", Float8),
            Some(1e300f64.to_be_bytes().to_vec())
        );
        assert_eq!(value("0.1", Float4), Some(0.1f32.to_be_bytes().to_vec()));
        assert_eq!(value("-0", Float8), Some((-0.0f64).to_be_bytes().to_vec()));
        assert_eq!(value("0e0", Float8), Some(0.0f64.to_be_bytes().to_vec()));
        assert_eq!(
            value("\"-Infinity\"", Float8),
            Some(f64::NEG_INFINITY.to_be_bytes().to_vec())
        );
        let nan = value("\"NaN\"", Float4).unwrap();
        assert!(f32::from_be_bytes(nan.try_into().unwrap()).is_nan());
        // Out of range for the type: the text path reports it.
        assert_eq!(value("1e400", Float8), None);
        assert_eq!(value("1e39", Float4), None);
        assert_eq!(value("1e-400", Float8), None);
        assert_eq!(value("\"inf\"", Float8), None);
        assert_eq!(value("\"1\"", Float8), None);
    }

    #[test]
    fn strings_uuids_bytea_and_jsonb() {
        use BinaryType::*;
        assert_eq!(
            value("\"a\\tb – ✓\"", Text),
            Some("a\tb – ✓".as_bytes().to_vec())
        );
        assert_eq!(value("\"\"", Text), Some(Vec::new()));
        assert_eq!(value("1", Text), None);
        assert_eq!(
            value("\"00000000-0000-4000-8000-0000000000FF\"", Uuid),
            Some([0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0xff].to_vec())
        );
        assert_eq!(value("\"00000000000040008000000000000000\"", Uuid), None);
        assert_eq!(
            value("\"0000000g-0000-4000-8000-000000000000\"", Uuid),
            None
        );
        assert_eq!(value("\"AP8Q\"", Bytea), Some(vec![0, 0xff, 0x10]));
        assert_eq!(value("\"%%\"", Bytea), None);
        assert_eq!(
            value("{\"a\": [1, null]}", Jsonb),
            Some(b"\x01{\"a\": [1, null]}".to_vec())
        );
        assert_eq!(value("true", Bool), Some(vec![1]));
        assert_eq!(value("\"t\"", Bool), None);
    }

    #[test]
    fn vectors_as_pgvector_sends_them() {
        let expected: Vec<u8> = [3i16.to_be_bytes(), 0i16.to_be_bytes()]
            .concat()
            .into_iter()
            .chain([0.5f32, -1.0, 3e-5].iter().flat_map(|f| f.to_be_bytes()))
            .collect();
        assert_eq!(value("[0.5,-1,3e-05]", BinaryType::Vector), Some(expected));
        assert_eq!(
            value("[ 0.25 ]", BinaryType::Vector),
            Some([&[0, 1, 0, 0][..], &0.25f32.to_be_bytes()].concat())
        );
        // What pgvector refuses, the text path reports: no elements, NaN, out of range, not numbers.
        for refused in [
            "[]",
            "[1,]",
            "[\"NaN\"]",
            "[1e39]",
            "[null]",
            "{1,2}",
            "\"[1]\"",
        ] {
            assert_eq!(value(refused, BinaryType::Vector), None, "{refused}");
        }
        let too_many = format!("[{}]", vec!["1"; 16_001].join(","));
        assert_eq!(value(&too_many, BinaryType::Vector), None);
    }

    #[test]
    fn numerics_as_numeric_send_writes_them() {
        fn form(digits: i16, weight: i16, sign: u16, scale: u16, groups: &[u16]) -> Vec<u8> {
            let mut out = Vec::new();
            for part in [digits.to_be_bytes(), weight.to_be_bytes()] {
                out.extend_from_slice(&part);
            }
            out.extend_from_slice(&sign.to_be_bytes());
            out.extend_from_slice(&scale.to_be_bytes());
            for group in groups {
                out.extend_from_slice(&group.to_be_bytes());
            }
            out
        }
        use BinaryType::Numeric;
        // 12345678.9 = 1234 5678 . 9000
        assert_eq!(
            value("\"12345678.9\"", Numeric),
            Some(form(3, 1, 0, 1, &[1234, 5678, 9000]))
        );
        // -0.00012 = 0 . 0001 2000, scale 5
        assert_eq!(
            value("\"-0.00012\"", Numeric),
            Some(form(3, 0, 0x4000, 5, &[0, 1, 2000]))
        );
        assert_eq!(value("\"10000\"", Numeric), Some(form(2, 1, 0, 0, &[1, 0])));
        assert_eq!(value("\"0\"", Numeric), Some(form(1, 0, 0, 0, &[0])));
        assert_eq!(value("\"NaN\"", Numeric), Some(form(0, 0, 0xC000, 0, &[])));
        for refused in [
            "\"1e5\"",
            "\"Infinity\"",
            "\"1.\"",
            "\".5\"",
            "\"+1\"",
            "\"1,5\"",
            "1.5",
        ] {
            assert_eq!(value(refused, Numeric), None, "{refused}");
        }
    }

    #[test]
    fn dates_and_timestamps_count_from_2000() {
        assert_eq!(date("2000-01-01"), Some(0));
        assert_eq!(date("1999-12-31"), Some(-1));
        assert_eq!(date("2024-02-29"), Some(8825));
        assert_eq!(date("2023-02-29"), None);
        assert_eq!(date("0044-03-15 BC"), None);
        assert_eq!(date("infinity"), Some(i32::MAX));
        assert_eq!(timestamp("2000-01-01 00:00:00", false), Some(0));
        assert_eq!(timestamp("2000-01-01 00:00:00+00", true), Some(0));
        assert_eq!(timestamp("2000-01-01 00:00:00", true), None);
        assert_eq!(timestamp("2000-01-01 00:00:00+00", false), None);
        assert_eq!(
            timestamp("2000-01-01 05:30:00.5+05:30", true),
            Some(500_000)
        );
        assert_eq!(
            timestamp("1999-12-31 23:59:59.999999-00:00:01", true),
            Some(999_999)
        );
        // 2024-03-01 10:34:56.789012 UTC, as `extract(epoch ...)` gives it, less 2000-01-01.
        assert_eq!(
            timestamp("2024-03-01 10:34:56.789012+00", true),
            Some((1_709_289_296 - 946_684_800) * 1_000_000 + 789_012)
        );
        assert_eq!(
            timestamp("1970-01-01 00:00:00.12+00", true),
            Some(-946_684_800_000_000 + 120_000)
        );
        assert_eq!(
            timestamp("10000-01-01 00:00:00+00", true),
            Some((253_402_300_800 - 946_684_800) * 1_000_000)
        );
        assert_eq!(timestamp("-infinity", true), Some(i64::MIN));
        for refused in [
            "2024-03-01 10:34:60+00",
            "2024-03-01 24:00:00+00",
            "2024-03-01 10:34:56.1234567+00",
            "2024-03-01 10:34:56+00 BC",
            "2024-03-01T10:34:56+00",
            "2024-3-01 10:34:56+00",
            "294277-01-01 00:00:00+00",
        ] {
            assert_eq!(timestamp(refused, true), None, "{refused}");
        }
        assert_eq!(
            timestamp("294276-12-31 23:59:59.999999+00", true),
            Some(9_223_371_331_199_999_999)
        );
    }

    #[test]
    fn files_convert_whole_or_not_at_all() {
        let columns = vec!["id".to_string(), "at".to_string(), "note".to_string()];
        let types = [BinaryType::Int8, BinaryType::Timestamptz, BinaryType::Text];
        let mut out = Vec::new();
        let rows = convert_file(
            "{\"id\":\"1\",\"at\":\"2000-01-01 00:00:00+00\"}\n{\"id\":\"2\",\"note\":\"x\"}\n",
            &columns,
            &types,
            &mut out,
        );
        assert_eq!(rows, Some(2));
        let mut expected = HEADER.to_vec();
        expected.extend_from_slice(&3i16.to_be_bytes());
        expected.extend_from_slice(&8i32.to_be_bytes());
        expected.extend_from_slice(&1i64.to_be_bytes());
        expected.extend_from_slice(&8i32.to_be_bytes());
        expected.extend_from_slice(&0i64.to_be_bytes());
        expected.extend_from_slice(&(-1i32).to_be_bytes());
        expected.extend_from_slice(&3i16.to_be_bytes());
        expected.extend_from_slice(&8i32.to_be_bytes());
        expected.extend_from_slice(&2i64.to_be_bytes());
        expected.extend_from_slice(&(-1i32).to_be_bytes());
        expected.extend_from_slice(&1i32.to_be_bytes());
        expected.push(b'x');
        expected.extend_from_slice(TRAILER);
        assert_eq!(out, expected);
        for refused in [
            "{\"id\":\"1\",\"other\":1}",
            "{\"id\":\"1\",\"at\":\"0044-03-15 12:00:00+00 BC\"}",
            "not json",
        ] {
            assert_eq!(
                convert_file(refused, &columns, &types, &mut Vec::new()),
                None,
                "{refused}"
            );
        }
    }
}
