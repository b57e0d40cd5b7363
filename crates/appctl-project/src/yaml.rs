//! YAML text → a JSON value plus a [`SourceMap`] from every path in the document to its place in the text.
//!
//! yaml-rust2 does the parsing; this module only builds the value from its events, resolving plain
//! scalars with the YAML 1.2 core schema (so `on: yes` stays the string "yes", not `true`), and refuses
//! duplicate keys, which YAML libraries usually resolve silently by keeping the last one.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A byte range of the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// A path into the document: mapping keys and sequence indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DocPath(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl DocPath {
    pub fn root() -> Self {
        DocPath(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.into()));
        DocPath(segments)
    }

    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        DocPath(segments)
    }

    pub fn parent(&self) -> Option<DocPath> {
        let (_, rest) = self.0.split_last()?;
        Some(DocPath(rest.to_vec()))
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// The path of a JSON pointer such as `/tables/threads/columns` (as jsonschema reports them).
    pub fn from_pointer(pointer: &str, document: &Value) -> Self {
        let mut path = DocPath::root();
        let mut node = Some(document);
        for raw in pointer.split('/').skip(1) {
            let token = raw.replace("~1", "/").replace("~0", "~");
            let segment = match (node, token.parse::<usize>()) {
                (Some(Value::Array(_)), Ok(index)) => Segment::Index(index),
                _ => Segment::Key(token),
            };
            node = match (&segment, node) {
                (Segment::Index(i), Some(Value::Array(items))) => items.get(*i),
                (Segment::Key(k), Some(Value::Object(map))) => map.get(k),
                _ => None,
            };
            path.0.push(segment);
        }
        path
    }
}

impl fmt::Display for DocPath {
    /// `tables.threads.columns.id`, with `[2]` for sequence items and quotes around keys with dots.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let plain = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                    if plain {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Where each node of the document is in the text.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    keys: HashMap<DocPath, Span>,
    values: HashMap<DocPath, Span>,
}

impl SourceMap {
    /// The span of a mapping key, or of the nearest enclosing node when the path has no key of its own
    /// (a sequence item, a node that came from an alias, or a key that is missing).
    pub fn key_span(&self, path: &DocPath) -> Option<Span> {
        self.keys
            .get(path)
            .or_else(|| self.values.get(path))
            .copied()
            .or_else(|| self.key_span(&path.parent()?))
    }

    /// The span of a value, falling back to its key and then to enclosing nodes.
    pub fn value_span(&self, path: &DocPath) -> Option<Span> {
        self.values
            .get(path)
            .or_else(|| self.keys.get(path))
            .copied()
            .or_else(|| self.key_span(&path.parent()?))
    }
}

/// A YAML document that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    pub hint: Option<String>,
}

/// Parses one YAML document into a JSON value and the map of where each node came from.
/// An empty document gives `Value::Null`.
pub fn parse(text: &str) -> Result<(Value, SourceMap), Vec<SyntaxError>> {
    parse_with(text, true)
}

/// [`parse`] without the source map, for the common case of a file with nothing to report: building
/// the map allocates a path per node, most of the time spent on a valid file.
pub fn parse_value(text: &str) -> Result<Value, Vec<SyntaxError>> {
    parse_with(text, false).map(|(value, _)| value)
}

fn parse_with(text: &str, record: bool) -> Result<(Value, SourceMap), Vec<SyntaxError>> {
    // Editors on Windows start UTF-8 files with a byte order mark; yaml-rust2 would read it as part of
    // the first key. Parse what follows it, keeping every offset relative to the whole text.
    let (body, skipped_chars) = match text.strip_prefix('\u{feff}') {
        Some(body) => (body, 1),
        None => (text, 0),
    };
    let mut builder = Builder::new(text, skipped_chars, record);
    let mut parser = Parser::new_from_str(body);
    if let Err(error) = parser.load(&mut builder, true) {
        let at = marker_offset(text, error.marker(), skipped_chars);
        let open_flow = builder.open_flow();
        builder
            .errors
            .push(scan_error(text, at, error.info(), open_flow));
    }
    if !builder.errors.is_empty() {
        return Err(builder.errors);
    }
    Ok((builder.root.unwrap_or(Value::Null), builder.map))
}

/// Words a yaml-rust2 error for people: moves the caret to the token at fault where the parser's
/// position is known to be off, and says what usually causes the error.
fn scan_error(text: &str, at: usize, info: &str, open_flow: Option<usize>) -> SyntaxError {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let mut message = format!("YAML syntax error: {info}");
    let mut start = at;
    let mut hint =
        "check the indentation and quoting on this line and the line before it".to_string();
    if info.starts_with("tabs disallowed") || info.contains("tab cannot be used as indentation") {
        // The parser stops after the tabs; the caret belongs on the first of them.
        if let Some(tab) = text[line_start..at].find('\t') {
            start = line_start + tab;
        }
        hint = "indent with spaces: YAML does not allow tabs in indentation".into();
    } else if info.contains("did not find expected key")
        || info.contains("did not find expected '-' indicator")
    {
        // The parser reports the `:` after the misplaced key (or the token after a misplaced `-`);
        // what is wrong is where the line starts.
        let indent = text[line_start..at]
            .find(|c: char| c != ' ')
            .unwrap_or(at - line_start);
        start = line_start + indent;
        hint =
            "this line is not indented like the entries it belongs with: align it with them".into();
    } else if info.starts_with("while scanning a quoted scalar")
        || info == "invalid indentation in quoted scalar"
    {
        hint = "the quoted text that starts here is not closed on its line: add the closing quote"
            .into();
    } else if info.starts_with("invalid trailing content after") {
        hint = "a quoted value ends at its closing quote: quote the whole value, or remove what follows it".into();
    } else if info.starts_with("unexpected character") {
        hint = "quote a value that starts with `@` or a backquote: YAML reserves both".into();
    } else if info == "mapping values are not allowed in this context" {
        hint = "a value that contains `: ` must be quoted, e.g. `title: \"note: read me\"`".into();
    } else if info == "while parsing node, found unknown anchor" {
        let name = token_span(text, at);
        message = format!(
            "YAML syntax error: alias `{}` refers to an anchor that is not defined",
            &text[name.start..name.end]
        );
        hint = "define the anchor with `&name` before the alias `*name` uses it".into();
    }
    if let Some(open) = open_flow {
        let bracket = text[open..].chars().next().unwrap_or('[');
        let close = if bracket == '{' { '}' } else { ']' };
        if line_of(open) < line_of(start) {
            hint = format!(
                "the `{bracket}` on line {} is not closed before this point: close it with `{close}`",
                line_of(open)
            );
        }
    }
    SyntaxError {
        message,
        span: token_span(text, start),
        hint: Some(hint),
    }
}

/// The byte offset of a parser marker. yaml-rust2 counts characters, so convert (once, from the start;
/// the builder uses [`CharCursor`] for its many markers).
/// `skipped` counts characters removed before parsing (a byte order mark).
fn marker_offset(text: &str, marker: &Marker, skipped: usize) -> usize {
    CharCursor::default().byte_offset(text, marker.index() + skipped)
}

/// Converts character indexes to byte offsets by walking from the previous position, so converting
/// every marker of a document costs one pass over it, not one pass per marker.
#[derive(Debug, Default, Clone, Copy)]
struct CharCursor {
    chars: usize,
    bytes: usize,
}

impl CharCursor {
    fn byte_offset(&mut self, text: &str, char_index: usize) -> usize {
        while self.chars < char_index {
            match text[self.bytes..].chars().next() {
                Some(c) => {
                    self.bytes += c.len_utf8();
                    self.chars += 1;
                }
                None => return text.len(),
            }
        }
        while self.chars > char_index {
            match text[..self.bytes].chars().next_back() {
                Some(c) => {
                    self.bytes -= c.len_utf8();
                    self.chars -= 1;
                }
                None => break,
            }
        }
        self.bytes
    }
}

/// From `start` to the end of the token that starts there (stops at whitespace and flow punctuation).
fn token_span(text: &str, start: usize) -> Span {
    let rest = &text[start..];
    let len = rest
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
        .map_or(rest.len(), |(i, _)| i);
    Span {
        start,
        end: start + len,
    }
}

/// The span of a scalar: its source text when it sits on one line, else its first line.
fn scalar_span(text: &str, start: usize, value: &str, style: TScalarStyle) -> Span {
    let rest = &text[start..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let len = match style {
        TScalarStyle::Plain if !value.contains('\n') && rest.starts_with(value) => value.len(),
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
            let quote = rest.chars().next().unwrap_or('"');
            // The closing quote on the same line; an escaped quote in the value makes this approximate.
            rest.get(1..line_end)
                .and_then(|inner| inner.rfind(quote))
                .map_or(line_end, |close| close + 2)
        }
        _ => line_end,
    };
    Span {
        start,
        // At least one whole character, so the span never ends inside one.
        end: start + len.max(rest.chars().next().map_or(0, char::len_utf8)),
    }
}

enum Frame {
    Mapping {
        map: Map<String, Value>,
        pending_key: Option<String>,
        anchor: usize,
        span: Span,
    },
    Sequence {
        items: Vec<Value>,
        anchor: usize,
        span: Span,
    },
}

struct Builder<'a> {
    text: &'a str,
    /// Characters at the start of `text` the parser did not see (a byte order mark).
    skipped: usize,
    stack: Vec<Frame>,
    path: DocPath,
    root: Option<Value>,
    map: SourceMap,
    anchors: HashMap<usize, Value>,
    errors: Vec<SyntaxError>,
    documents: usize,
    /// Depth of a complex mapping key being skipped (it was reported once).
    skip_depth: usize,
    cursor: CharCursor,
    /// Whether to record where each node is (the [`SourceMap`]); only needed to place diagnostics.
    record: bool,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, skipped: usize, record: bool) -> Self {
        Builder {
            text,
            skipped,
            record,
            stack: Vec::new(),
            path: DocPath::root(),
            root: None,
            map: SourceMap::default(),
            anchors: HashMap::new(),
            errors: Vec::new(),
            documents: 0,
            skip_depth: 0,
            cursor: CharCursor::default(),
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Mapping {
                pending_key: None,
                ..
            })
        )
    }

    /// Where the innermost flow collection (`[` or `{`) still open starts.
    fn open_flow(&self) -> Option<usize> {
        self.stack.iter().rev().find_map(|frame| {
            let (Frame::Mapping { span, .. } | Frame::Sequence { span, .. }) = frame;
            self.text[span.start..]
                .starts_with(['[', '{'])
                .then_some(span.start)
        })
    }

    /// The path segment the next value will be stored under.
    fn next_segment(&self) -> Option<Segment> {
        match self.stack.last()? {
            Frame::Mapping { pending_key, .. } => pending_key.clone().map(Segment::Key),
            Frame::Sequence { items, .. } => Some(Segment::Index(items.len())),
        }
    }

    fn on_key(&mut self, key: String, span: Span) {
        let Some(Frame::Mapping {
            map,
            pending_key,
            span: mapping_span,
            ..
        }) = self.stack.last_mut()
        else {
            return;
        };
        // yaml-rust2 marks a block mapping at the `:` of its first key; the mapping starts at the key.
        if map.is_empty() && !self.text[mapping_span.start..].starts_with('{') {
            *mapping_span = span;
        }
        if map.contains_key(&key) {
            let path = self.path.key(key.clone());
            let first = self.map.keys.get(&path).copied();
            let first_line = first.map(|s| self.text[..s.start].matches('\n').count() + 1);
            self.errors.push(SyntaxError {
                message: format!("duplicate key `{key}`"),
                span,
                hint: Some(match first_line {
                    Some(line) => format!("`{key}` is already defined on line {line}; keep one"),
                    None => format!("`{key}` is already defined; keep one"),
                }),
            });
        } else if self.record {
            self.map.keys.insert(self.path.key(key.clone()), span);
        }
        *pending_key = Some(key);
    }

    /// Stores a finished value in its parent (or as the root) and records where it came from, when it
    /// has a place of its own.
    fn complete(&mut self, value: Value, span: Option<Span>, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => {
                if let Some(span) = span.filter(|_| self.record) {
                    self.map.values.insert(DocPath::root(), span);
                }
                self.root = Some(value);
            }
            Some(Frame::Mapping {
                map, pending_key, ..
            }) => {
                if let Some(key) = pending_key.take() {
                    if let Some(span) = span.filter(|_| self.record) {
                        let path = self.path.key(key.clone());
                        self.map.values.entry(path).or_insert(span);
                    }
                    // A duplicate key was reported; keep the first value.
                    map.entry(key).or_insert(value);
                }
            }
            Some(Frame::Sequence { items, .. }) => {
                if let Some(span) = span.filter(|_| self.record) {
                    self.map.values.insert(self.path.index(items.len()), span);
                }
                items.push(value);
            }
        }
    }

    fn start_collection(&mut self, frame: Frame, at: usize) {
        if self.skip_depth > 0 {
            self.skip_depth += 1;
            return;
        }
        if self.expecting_key() {
            self.errors.push(SyntaxError {
                message: "a mapping key must be plain text, not a list or mapping".into(),
                span: token_span(self.text, at),
                hint: Some("write the key as text, e.g. `name:`".into()),
            });
            self.skip_depth = 1;
            return;
        }
        if let Some(segment) = self.next_segment() {
            self.path.0.push(segment);
        }
        self.stack.push(frame);
    }

    fn end_collection(&mut self) {
        if self.skip_depth > 0 {
            self.skip_depth -= 1;
            if self.skip_depth == 0 {
                // The skipped key still needs a value slot: give it one that is never stored.
                if let Some(Frame::Mapping { pending_key, .. }) = self.stack.last_mut() {
                    *pending_key = Some(String::from("\u{0}complex key"));
                }
            }
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if !self.stack.is_empty() {
            self.path.0.pop();
        }
        let (value, span, anchor) = match frame {
            Frame::Mapping {
                map, anchor, span, ..
            } => (Value::Object(map), span, anchor),
            Frame::Sequence {
                items,
                anchor,
                span,
                ..
            } => (Value::Array(items), span, anchor),
        };
        self.complete(value, Some(span), anchor);
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let at = self
            .cursor
            .byte_offset(self.text, mark.index() + self.skipped);
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.errors.push(SyntaxError {
                        message: "a project file holds one YAML document, this is a second one"
                            .into(),
                        span: token_span(self.text, at),
                        hint: Some(
                            "remove the `---` and everything after it, or merge the documents"
                                .into(),
                        ),
                    });
                }
            }
            Event::MappingStart(anchor, _) => {
                let span = token_span(self.text, at);
                let frame = Frame::Mapping {
                    map: Map::new(),
                    pending_key: None,
                    anchor,
                    span,
                };
                self.start_collection(frame, at);
            }
            Event::SequenceStart(anchor, _) => {
                let span = token_span(self.text, at);
                let frame = Frame::Sequence {
                    items: Vec::new(),
                    anchor,
                    span,
                };
                self.start_collection(frame, at);
            }
            Event::MappingEnd | Event::SequenceEnd => self.end_collection(),
            Event::Scalar(text, style, anchor, tag) => {
                if self.skip_depth > 0 || self.documents > 1 {
                    return;
                }
                let span = scalar_span(self.text, at, &text, style);
                if self.expecting_key() {
                    self.on_key(text, span);
                } else {
                    // An empty value (`key:` with nothing after it) is marked at the next token, often a
                    // key on another line: it has no text of its own, so it is located at its key.
                    let empty = text.is_empty() && style == TScalarStyle::Plain;
                    let value = resolve_scalar(text, style, tag.as_ref());
                    self.complete(value, (!empty).then_some(span), anchor);
                }
            }
            Event::Alias(id) => {
                if self.skip_depth > 0 || self.documents > 1 {
                    return;
                }
                let span = token_span(self.text, at);
                let value = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                if self.expecting_key() {
                    match value {
                        Value::String(key) => self.on_key(key, span),
                        _ => self.errors.push(SyntaxError {
                            message: "a mapping key must be plain text".into(),
                            span,
                            hint: None,
                        }),
                    }
                } else {
                    self.complete(value, Some(span), 0);
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

/// YAML 1.2 core schema: plain `null`/`~`/empty, booleans, integers and floats get their type; every
/// quoted or block scalar is a string, as is anything tagged `!!str`.
fn resolve_scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag
        && tag.suffix == "str"
    {
        return Value::String(text);
    }
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(number) = parse_integer(&text) {
        return Value::Number(number);
    }
    if is_float(&text)
        && let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(number);
    }
    Value::String(text)
}

fn parse_integer(text: &str) -> Option<Number> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(octal) = digits.strip_prefix("0o") {
        (8, octal)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if negative {
        i64::from_str_radix(&format!("-{digits}"), radix)
            .ok()
            .map(Number::from)
    } else {
        u64::from_str_radix(digits, radix).ok().map(Number::from)
    }
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` of the core schema (no inf/nan: JSON has none).
fn is_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.chars().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_col(text: &str, span: Span) -> (usize, usize) {
        let before = &text[..span.start];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (line, col)
    }

    #[test]
    fn builds_values_with_core_schema_types() {
        let (value, _) = parse("a: 1\nb: yes\nc: '1'\nd: ~\ne: 1.5\nf: [x, 2]\ng: true\n").unwrap();
        assert_eq!(
            value,
            serde_json::json!({"a": 1, "b": "yes", "c": "1", "d": null, "e": 1.5, "f": ["x", 2], "g": true})
        );
    }

    #[test]
    fn records_key_and_value_positions() {
        let text = "tables:\n  threads:\n    columns:\n      id: { type: uuid }\n";
        let (_, map) = parse(text).unwrap();
        let path = DocPath::root()
            .key("tables")
            .key("threads")
            .key("columns")
            .key("id")
            .key("type");
        assert_eq!(line_col(text, map.key_span(&path).unwrap()), (4, 13));
        let value = map.value_span(&path).unwrap();
        assert_eq!(line_col(text, value), (4, 19));
        assert_eq!(&text[value.start..value.end], "uuid");
    }

    #[test]
    fn positions_count_multibyte_characters() {
        let text = "a: \"é\"\nb: [x, ü, z]\n";
        let (_, map) = parse(text).unwrap();
        let z = map.value_span(&DocPath::root().key("b").index(2)).unwrap();
        assert_eq!(&text[z.start..z.end], "z");
    }

    #[test]
    fn rejects_duplicate_keys() {
        let errors = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "duplicate key `a`");
        assert_eq!(errors[0].span.start, 10);
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let errors = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(errors[0].message.starts_with("YAML syntax error"));
    }

    #[test]
    fn a_block_mapping_starts_at_its_first_key() {
        // yaml-rust2 marks it at the first `:`; a "missing key" error belongs on the key.
        let text = "enums:\n  e:\n    x: 1\n";
        let (_, map) = parse(text).unwrap();
        let e = map
            .value_span(&DocPath::root().key("enums").key("e"))
            .unwrap();
        assert_eq!(line_col(text, e), (3, 5));
        assert_eq!(
            line_col(text, map.value_span(&DocPath::root()).unwrap()),
            (1, 1)
        );
        let flow = "a: { b: 1 }\n";
        let (_, map) = parse(flow).unwrap();
        assert_eq!(
            line_col(flow, map.value_span(&DocPath::root().key("a")).unwrap()),
            (1, 4)
        );
    }

    #[test]
    fn skips_a_byte_order_mark() {
        let text = "\u{feff}version: 1\nb: [x, y]\n";
        let (value, map) = parse(text).unwrap();
        assert_eq!(value["version"], 1);
        let y = map.value_span(&DocPath::root().key("b").index(1)).unwrap();
        assert_eq!(&text[y.start..y.end], "y");
        let errors = parse("\u{feff}a: 1\na: 2\n").unwrap_err();
        assert_eq!(errors[0].span.start, "\u{feff}a: 1\n".len());
    }

    #[test]
    fn points_at_the_tab_that_indents() {
        let text = "a:\n\tb: 1\n";
        let errors = parse(text).unwrap_err();
        assert_eq!(line_col(text, errors[0].span), (2, 1));
        assert!(errors[0].hint.as_deref().unwrap().contains("spaces"));
    }

    #[test]
    fn points_at_a_misindented_key_not_its_colon() {
        let text = "a:\n    b: 1\n  c: 2\n";
        let errors = parse(text).unwrap_err();
        assert_eq!(line_col(text, errors[0].span), (3, 3));
    }

    #[test]
    fn names_the_flow_collection_left_open() {
        let errors = parse("a: [x, y\nb: 1\n").unwrap_err();
        assert_eq!(
            errors[0].hint.as_deref(),
            Some("the `[` on line 1 is not closed before this point: close it with `]`")
        );
        let errors = parse("a: { x: 1\n").unwrap_err();
        assert!(errors[0].hint.as_deref().unwrap().contains("`{` on line 1"));
    }

    #[test]
    fn names_an_undefined_alias() {
        let errors = parse("a: *nope\n").unwrap_err();
        assert_eq!(
            errors[0].message,
            "YAML syntax error: alias `*nope` refers to an anchor that is not defined"
        );
    }

    #[test]
    fn an_empty_value_is_located_at_its_key() {
        // yaml-rust2 marks the empty value at the next token: here `é` on the next line.
        let text = "a:\n  b:\né: 1\n";
        let (value, map) = parse(text).unwrap();
        assert_eq!(value["a"]["b"], Value::Null);
        let b = map.value_span(&DocPath::root().key("a").key("b")).unwrap();
        assert_eq!(&text[b.start..b.end], "b");
    }

    #[test]
    fn resolves_aliases() {
        let (value, _) = parse("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(value["b"], serde_json::json!({"k": 1}));
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").unwrap().0, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().0, Value::Null);
    }
}
