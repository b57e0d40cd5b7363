//! Parsing a request's query string and `Prefer` header into values, as PostgREST reads them and
//! as postgrest-js (supabase-js's query builder) writes them.
//!
//! The grammars (`select=`, filter values, `or=(...)` trees, `order=`) are winnow parsers. Names
//! are only parsed here; the builder checks each against the schema cache. Values stay strings:
//! the builder binds them as parameters. The query string arrives percent-decoded, as
//! `(key, value)` pairs in order (the server decodes it).

use std::collections::BTreeMap;

use winnow::ModalResult;
use winnow::Parser;
use winnow::combinator::{alt, cut_err, delimited, eof, not, opt, preceded, repeat, separated};
use winnow::error::{ContextError, StrContext, StrContextValue};
use winnow::token::{any, none_of, one_of, take_till, take_while};

use crate::error::{ApiError, Result};

/// Where a filter, order or range applies: the root (empty) or an embedded resource, by the names
/// (aliases where given) of the embeds from the root.
pub type EmbedPath = Vec<String>;

/// A column, maybe followed by a JSON path (`data->a->>b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub json_path: Vec<JsonStep>,
}

/// One `->` (JSON) or `->>` (text) step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonStep {
    pub as_text: bool,
    pub key: JsonKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonKey {
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    /// `*`: every column.
    Star,
    /// `alias:col->path::cast`
    Field {
        field: Field,
        alias: Option<String>,
        cast: Option<String>,
    },
    Embed(Embed),
}

/// `alias:name!hint!inner(select)`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    pub name: String,
    pub alias: Option<String>,
    /// A foreign key name, a column of the foreign key, or the join table of a many-to-many.
    pub hint: Option<String>,
    pub inner: bool,
    pub select: Vec<SelectItem>,
}

impl Embed {
    /// The name it is known by in the response, in filters and in `order`.
    pub fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Like,
    Ilike,
    Match,
    Imatch,
    IsDistinct,
    /// `cs` `@>`
    Contains,
    /// `cd` `<@`
    ContainedIn,
    /// `ov` `&&`
    Overlaps,
    /// `sl` `<<`
    StrictlyLeft,
    /// `sr` `>>`
    StrictlyRight,
    /// `nxr` `&<`
    NotExtendRight,
    /// `nxl` `&>`
    NotExtendLeft,
    /// `adj` `-|-`
    Adjacent,
}

impl Operator {
    fn from_name(name: &str) -> Option<Operator> {
        Some(match name {
            "eq" => Operator::Eq,
            "neq" => Operator::Neq,
            "gt" => Operator::Gt,
            "gte" => Operator::Gte,
            "lt" => Operator::Lt,
            "lte" => Operator::Lte,
            "like" => Operator::Like,
            "ilike" => Operator::Ilike,
            "match" => Operator::Match,
            "imatch" => Operator::Imatch,
            "isdistinct" => Operator::IsDistinct,
            "cs" => Operator::Contains,
            "cd" => Operator::ContainedIn,
            "ov" => Operator::Overlaps,
            "sl" => Operator::StrictlyLeft,
            "sr" => Operator::StrictlyRight,
            "nxr" => Operator::NotExtendRight,
            "nxl" => Operator::NotExtendLeft,
            "adj" => Operator::Adjacent,
            _ => return None,
        })
    }

    /// The SQL operator: a fixed string, never from the request.
    pub fn sql(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Neq => "<>",
            Operator::Gt => ">",
            Operator::Gte => ">=",
            Operator::Lt => "<",
            Operator::Lte => "<=",
            Operator::Like => "LIKE",
            Operator::Ilike => "ILIKE",
            Operator::Match => "~",
            Operator::Imatch => "~*",
            Operator::IsDistinct => "IS DISTINCT FROM",
            Operator::Contains => "@>",
            Operator::ContainedIn => "<@",
            Operator::Overlaps => "&&",
            Operator::StrictlyLeft => "<<",
            Operator::StrictlyRight => ">>",
            Operator::NotExtendRight => "&<",
            Operator::NotExtendLeft => "&>",
            Operator::Adjacent => "-|-",
        }
    }

    /// Operators whose value is text whatever the column's type (patterns).
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Operator::Like | Operator::Ilike | Operator::Match | Operator::Imatch
        )
    }

    fn allows_quantifier(self) -> bool {
        matches!(
            self,
            Operator::Eq
                | Operator::Neq
                | Operator::Gt
                | Operator::Gte
                | Operator::Lt
                | Operator::Lte
                | Operator::Like
                | Operator::Ilike
                | Operator::Match
                | Operator::Imatch
        )
    }
}

/// `eq(any).{a,b}`: the value is a Postgres array literal compared with ANY / ALL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FtsOperator {
    /// `fts`: to_tsquery
    Fts,
    /// `plfts`: plainto_tsquery
    Plain,
    /// `phfts`: phraseto_tsquery
    Phrase,
    /// `wfts`: websearch_to_tsquery
    Websearch,
}

impl FtsOperator {
    pub fn function(self) -> &'static str {
        match self {
            FtsOperator::Fts => "to_tsquery",
            FtsOperator::Plain => "plainto_tsquery",
            FtsOperator::Phrase => "phraseto_tsquery",
            FtsOperator::Websearch => "websearch_to_tsquery",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsValue {
    Null,
    True,
    False,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Compare {
        op: Operator,
        quantifier: Option<Quantifier>,
        value: String,
    },
    In(Vec<String>),
    Is(IsValue),
    Fts {
        op: FtsOperator,
        config: Option<String>,
        value: String,
    },
}

/// `col->path=not.op.value`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: Field,
    pub negated: bool,
    pub operation: Operation,
}

/// A filter or an `and`/`or` group of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Filter(Filter),
    Group {
        or: bool,
        negated: bool,
        children: Vec<Condition>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderTarget {
    Field(Field),
    /// `order=rel(col)`: a column of a to-one embed.
    Related {
        embed: String,
        field: Field,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTerm {
    pub target: OrderTarget,
    pub direction: Option<Direction>,
    pub nulls: Option<Nulls>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Range {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Everything the query string says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    pub select: Vec<SelectItem>,
    /// Filters and logic trees, each at its embed path, in the order given (all AND-ed).
    pub conditions: Vec<(EmbedPath, Condition)>,
    pub order: BTreeMap<EmbedPath, Vec<OrderTerm>>,
    pub ranges: BTreeMap<EmbedPath, Range>,
    /// `columns=a,b`: the body's keys to insert (PGRST204 for one not in the table).
    pub columns: Option<Vec<String>>,
    /// `on_conflict=a,b`: the unique key an upsert targets.
    pub on_conflict: Option<Vec<String>>,
    /// For `GET /rpc/fn`: the pairs that are the function's arguments.
    pub rpc_args: Vec<(String, String)>,
}

impl QueryParams {
    /// Reads the query string's pairs. `is_rpc_arg` says which keys are arguments of the function
    /// called (`GET /rpc/fn?a=1`): those are not filters. Pass `|_| false` for tables.
    pub fn parse(pairs: &[(String, String)], is_rpc_arg: &dyn Fn(&str) -> bool) -> Result<Self> {
        let mut params = QueryParams {
            select: vec![SelectItem::Star],
            ..QueryParams::default()
        };
        for (key, value) in pairs {
            if key.contains('\0') || value.contains('\0') {
                return Err(ApiError::parse(key, "a NUL character is not allowed"));
            }
            match key.as_str() {
                "select" => {
                    params.select = parse_select(value)?;
                    continue;
                }
                "columns" => {
                    params.columns = Some(parse_name_list("columns", value)?);
                    continue;
                }
                "on_conflict" => {
                    params.on_conflict = Some(parse_name_list("on_conflict", value)?);
                    continue;
                }
                _ => {}
            }
            if is_rpc_arg(key) {
                params.rpc_args.push((key.clone(), value.clone()));
                continue;
            }
            let mut segments: Vec<&str> = key.split('.').collect();
            let last = segments.pop().unwrap_or_default();
            let negated_group = segments.last() == Some(&"not") && matches!(last, "or" | "and");
            if negated_group {
                segments.pop();
            }
            let path: EmbedPath = segments.iter().map(|s| s.to_string()).collect();
            if path.iter().any(|s| s.is_empty() || s.contains("->")) {
                return Err(ApiError::parse(
                    "filter",
                    format!("{key:?} is not a column or an embedded resource's column"),
                ));
            }
            match last {
                "order" => {
                    params.order.insert(path, parse_order(value)?);
                }
                "limit" => {
                    params.ranges.entry(path).or_default().limit =
                        Some(parse_count("limit", value)?);
                }
                "offset" => {
                    params.ranges.entry(path).or_default().offset =
                        Some(parse_count("offset", value)?);
                }
                "or" | "and" => {
                    let children = parse_logic_tree(key, value)?;
                    params.conditions.push((
                        path,
                        Condition::Group {
                            or: last == "or",
                            negated: negated_group,
                            children,
                        },
                    ));
                }
                _ => {
                    let field = run(field, last, "filter")?;
                    let (negated, operation) = parse_filter_value(value)?;
                    params.conditions.push((
                        path,
                        Condition::Filter(Filter {
                            field,
                            negated,
                            operation,
                        }),
                    ));
                }
            }
        }
        Ok(params)
    }
}

fn parse_count(what: &str, value: &str) -> Result<u64> {
    value
        .parse()
        .map_err(|_| ApiError::parse(what, format!("{value:?} is not a non-negative integer")))
}

/// `columns=` and `on_conflict=`: names separated by commas (postgrest-js quotes each: `"a","b"`).
fn parse_name_list(what: &str, value: &str) -> Result<Vec<String>> {
    run(
        |i: &mut &str| separated(1.., name, ',').parse_next(i),
        value,
        what,
    )
}

/// Runs a parser over the whole input and turns a failure into PGRST100 naming the parameter.
fn run<'i, O>(
    mut parser: impl Parser<&'i str, O, winnow::error::ErrMode<ContextError>>,
    input: &'i str,
    what: &str,
) -> Result<O> {
    let mut rest = input;
    let result = (|| -> ModalResult<O> {
        let out = parser.parse_next(&mut rest)?;
        eof.parse_next(&mut rest)?;
        Ok(out)
    })();
    result.map_err(|error| {
        let offset = input.len() - rest.len();
        let found = match rest.chars().next() {
            Some(c) => format!("unexpected {c:?}"),
            None => "unexpected end of input".to_string(),
        };
        let context = error
            .into_inner()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .replace('\n', " ");
        let context = context.trim();
        let expecting = if context.is_empty() {
            String::new()
        } else {
            format!(" ({context})")
        };
        ApiError::parse(
            what,
            format!(
                "{found} at character {} of {input:?}{expecting}",
                offset + 1
            ),
        )
    })
}

// ---- names, fields, JSON paths ----

fn ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// A name without quotes: letters, digits, `_`, `$`, and `-` when not the start of `->`.
fn unquoted<'i>(i: &mut &'i str) -> ModalResult<&'i str> {
    repeat::<_, _, (), _, _>(
        1..,
        alt((take_while(1.., ident_char).void(), ('-', not('>')).void())),
    )
    .take()
    .parse_next(i)
}

/// `"any text"` with `\"` and `\\` escapes.
fn quoted(i: &mut &str) -> ModalResult<String> {
    delimited(
        '"',
        repeat(0.., alt((none_of(['"', '\\']), preceded('\\', any)))),
        cut_err('"').context(StrContext::Expected(StrContextValue::CharLiteral('"'))),
    )
    .parse_next(i)
}

fn name(i: &mut &str) -> ModalResult<String> {
    alt((quoted, unquoted.map(str::to_string)))
        .context(StrContext::Expected(StrContextValue::Description("a name")))
        .parse_next(i)
}

fn json_key(i: &mut &str) -> ModalResult<JsonKey> {
    alt((
        quoted.map(JsonKey::Key),
        unquoted.map(|k| match k.parse::<i64>() {
            Ok(index) => JsonKey::Index(index),
            Err(_) => JsonKey::Key(k.to_string()),
        }),
    ))
    .context(StrContext::Expected(StrContextValue::Description(
        "a JSON key",
    )))
    .parse_next(i)
}

fn json_path(i: &mut &str) -> ModalResult<Vec<JsonStep>> {
    repeat(
        0..,
        (
            alt(("->>".value(true), "->".value(false))),
            cut_err(json_key),
        )
            .map(|(as_text, key)| JsonStep { as_text, key }),
    )
    .parse_next(i)
}

fn field(i: &mut &str) -> ModalResult<Field> {
    (name, json_path)
        .map(|(name, json_path)| Field { name, json_path })
        .parse_next(i)
}

/// Type names of more than one word: the only casts with spaces (`col::double precision`).
const MULTI_WORD_TYPES: &[&str] = &[
    "double precision",
    "character varying",
    "bit varying",
    "timestamp with time zone",
    "timestamp without time zone",
    "time with time zone",
    "time without time zone",
];

/// A type name for `::cast`: one word of letters, digits and `_` (or one of
/// [`MULTI_WORD_TYPES`]), optionally `[]`. Written into the SQL as it is, so nothing else is
/// accepted.
fn cast(i: &mut &str) -> ModalResult<String> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| {
            c.is_ascii_alphanumeric() || c == '_' || c == ' '
        }),
        opt("[]"),
    )
        .take()
        .verify(|t: &str| {
            let words = t.trim_end_matches("[]");
            !words.contains(' ') || MULTI_WORD_TYPES.contains(&words)
        })
        .map(str::to_string)
        .context(StrContext::Expected(StrContextValue::Description(
            "a type name",
        )))
        .parse_next(i)
}

// ---- select ----

/// `select=` as PostgREST reads it. Empty means `*`.
pub fn parse_select(value: &str) -> Result<Vec<SelectItem>> {
    if value.trim().is_empty() {
        return Ok(vec![SelectItem::Star]);
    }
    if value.contains("...") {
        return Err(ApiError::parse(
            "select",
            "spread embeds (`...rel(...)`) are not supported yet",
        ));
    }
    run(select_list, value, "select")
}

fn select_list(i: &mut &str) -> ModalResult<Vec<SelectItem>> {
    separated(0.., select_item, ',').parse_next(i)
}

fn select_item(i: &mut &str) -> ModalResult<SelectItem> {
    if opt('*').parse_next(i)?.is_some() {
        return Ok(SelectItem::Star);
    }
    let first = name.parse_next(i)?;
    let alias_sep = opt((':', not(':'))).parse_next(i)?;
    let (alias, target) = match alias_sep {
        Some(_) => (Some(first), cut_err(name).parse_next(i)?),
        None => (None, first),
    };
    let hints: Vec<String> = repeat(0.., preceded('!', cut_err(name))).parse_next(i)?;
    if opt('(').parse_next(i)?.is_some() {
        let select = select_list.parse_next(i)?;
        cut_err(')')
            .context(StrContext::Expected(StrContextValue::CharLiteral(')')))
            .parse_next(i)?;
        let mut inner = false;
        let mut hint = None;
        for h in hints {
            match h.as_str() {
                "inner" => inner = true,
                "left" => inner = false,
                _ if hint.is_none() => hint = Some(h),
                _ => return Err(winnow::error::ErrMode::Cut(ContextError::new())),
            }
        }
        return Ok(SelectItem::Embed(Embed {
            name: target,
            alias,
            hint,
            inner,
            select,
        }));
    }
    if !hints.is_empty() {
        return Err(winnow::error::ErrMode::Cut(ContextError::new()));
    }
    let json_path = json_path.parse_next(i)?;
    let cast = opt(preceded("::", cut_err(cast))).parse_next(i)?;
    Ok(SelectItem::Field {
        field: Field {
            name: target,
            json_path,
        },
        alias,
        cast,
    })
}

// ---- filters ----

/// `not.op(modifier).value` of a filter in the query string: the value is everything after the
/// operator's dot, as it is (no unquoting), except for `in.(...)`, whose list is parsed.
pub fn parse_filter_value(value: &str) -> Result<(bool, Operation)> {
    let mut rest = value;
    let negated = match rest.strip_prefix("not.") {
        Some(r) => {
            rest = r;
            true
        }
        None => false,
    };
    let (op, after) = rest.split_once('.').ok_or_else(|| {
        ApiError::parse(
            "filter",
            format!("{value:?} has no operator: use op.value, e.g. eq.1"),
        )
    })?;
    let (op, modifier) = match op.split_once('(') {
        Some((op, m)) => match m.strip_suffix(')') {
            Some(m) => (op, Some(m)),
            None => {
                return Err(ApiError::parse(
                    "filter",
                    format!("unclosed modifier in {op}({m}"),
                ));
            }
        },
        None => (op, None),
    };
    let operation = operation(op, modifier, after, value)?;
    Ok((negated, operation))
}

fn operation(op: &str, modifier: Option<&str>, raw: &str, whole: &str) -> Result<Operation> {
    let bad = |why: String| ApiError::parse("filter", why);
    match op {
        "in" => {
            if modifier.is_some() {
                return Err(bad(format!("in takes no modifier in {whole:?}")));
            }
            Ok(Operation::In(run(in_list, raw, "filter")?))
        }
        "is" => {
            if modifier.is_some() {
                return Err(bad(format!("is takes no modifier in {whole:?}")));
            }
            let v = match raw.to_ascii_lowercase().as_str() {
                "null" => IsValue::Null,
                "true" => IsValue::True,
                "false" => IsValue::False,
                "unknown" => IsValue::Unknown,
                _ => {
                    return Err(bad(format!(
                        "is accepts null, true, false or unknown, not {raw:?}"
                    )));
                }
            };
            Ok(Operation::Is(v))
        }
        "fts" | "plfts" | "phfts" | "wfts" => {
            let op = match op {
                "fts" => FtsOperator::Fts,
                "plfts" => FtsOperator::Plain,
                "phfts" => FtsOperator::Phrase,
                _ => FtsOperator::Websearch,
            };
            Ok(Operation::Fts {
                op,
                config: modifier.map(str::to_string),
                value: raw.to_string(),
            })
        }
        _ => {
            let Some(operator) = Operator::from_name(op) else {
                return Err(bad(format!("unknown operator {op:?} in {whole:?}")));
            };
            let quantifier = match modifier {
                None => None,
                Some("any") if operator.allows_quantifier() => Some(Quantifier::Any),
                Some("all") if operator.allows_quantifier() => Some(Quantifier::All),
                Some(m) => {
                    return Err(bad(format!("{op} does not take the modifier {m:?}")));
                }
            };
            Ok(Operation::Compare {
                op: operator,
                quantifier,
                value: raw.to_string(),
            })
        }
    }
}

/// `(a,"b,c",d)`
fn in_list(i: &mut &str) -> ModalResult<Vec<String>> {
    delimited(
        cut_err('(').context(StrContext::Expected(StrContextValue::CharLiteral('('))),
        separated(0.., list_item, ','),
        cut_err(')').context(StrContext::Expected(StrContextValue::CharLiteral(')'))),
    )
    .parse_next(i)
}

fn list_item(i: &mut &str) -> ModalResult<String> {
    alt((
        quoted,
        take_till(1.., [',', ')', '(', '"']).map(str::to_string),
    ))
    .parse_next(i)
}

/// `or=(a.eq.1,and(b.gt.2,c.is.null),not.or(...))`
fn parse_logic_tree(key: &str, value: &str) -> Result<Vec<Condition>> {
    run(
        |i: &mut &str| {
            delimited(
                cut_err('(').context(StrContext::Expected(StrContextValue::CharLiteral('('))),
                separated(1.., condition, ','),
                cut_err(')').context(StrContext::Expected(StrContextValue::CharLiteral(')'))),
            )
            .parse_next(i)
        },
        value,
        key,
    )
}

fn condition(i: &mut &str) -> ModalResult<Condition> {
    alt((group, leaf)).parse_next(i)
}

fn group(i: &mut &str) -> ModalResult<Condition> {
    let negated = opt("not.").parse_next(i)?.is_some();
    let or = alt(("or".value(true), "and".value(false))).parse_next(i)?;
    let children = delimited(
        '(',
        cut_err(separated(1.., condition, ',')),
        cut_err(')').context(StrContext::Expected(StrContextValue::CharLiteral(')'))),
    )
    .parse_next(i)?;
    Ok(Condition::Group {
        or,
        negated,
        children,
    })
}

fn leaf(i: &mut &str) -> ModalResult<Condition> {
    let field = field.parse_next(i)?;
    cut_err('.')
        .context(StrContext::Expected(StrContextValue::CharLiteral('.')))
        .parse_next(i)?;
    let negated = opt("not.").parse_next(i)?.is_some();
    let op: &str = cut_err(take_while(1.., |c: char| c.is_ascii_lowercase()))
        .context(StrContext::Expected(StrContextValue::Description(
            "an operator",
        )))
        .parse_next(i)?;
    let modifier: Option<&str> = opt(delimited('(', take_till(0.., [')']), ')')).parse_next(i)?;
    cut_err('.')
        .context(StrContext::Expected(StrContextValue::CharLiteral('.')))
        .parse_next(i)?;
    let start = *i;
    let raw = if op == "in" {
        in_list.take().parse_next(i)?.to_string()
    } else {
        cut_err(logic_value).parse_next(i)?
    };
    let operation = operation(op, modifier, &raw, start).map_err(|_| {
        let mut e = ContextError::new();
        e.push(StrContext::Expected(StrContextValue::Description(
            "a known operator with a valid value",
        )));
        winnow::error::ErrMode::Cut(e)
    })?;
    Ok(Condition::Filter(Filter {
        field,
        negated,
        operation,
    }))
}

/// A value inside a logic tree: quoted, an array or object literal `{...}`, a range `[a,b)`, or
/// anything up to the next `,` or `)`.
fn logic_value(i: &mut &str) -> ModalResult<String> {
    alt((
        quoted,
        ('{', take_till(0.., ['}']), '}').take().map(str::to_string),
        (
            one_of(['[', '(']),
            take_till(0.., [']', ')']),
            one_of([']', ')']),
        )
            .take()
            .map(str::to_string),
        take_till(0.., [',', ')']).map(str::to_string),
    ))
    .parse_next(i)
}

// ---- order ----

/// `order=a.desc.nullslast,b,rel(c).asc`
pub fn parse_order(value: &str) -> Result<Vec<OrderTerm>> {
    run(
        |i: &mut &str| separated(1.., order_term, ',').parse_next(i),
        value,
        "order",
    )
}

fn order_term(i: &mut &str) -> ModalResult<OrderTerm> {
    let first = field.parse_next(i)?;
    let target = if first.json_path.is_empty() && opt('(').parse_next(i)?.is_some() {
        let related = cut_err(field).parse_next(i)?;
        cut_err(')').parse_next(i)?;
        OrderTarget::Related {
            embed: first.name,
            field: related,
        }
    } else {
        OrderTarget::Field(first)
    };
    let direction = opt(preceded(
        ('.', winnow::combinator::peek(alt(("asc", "desc")))),
        alt(("asc".value(Direction::Asc), "desc".value(Direction::Desc))),
    ))
    .parse_next(i)?;
    let nulls = opt(preceded(
        '.',
        cut_err(alt((
            "nullsfirst".value(Nulls::First),
            "nullslast".value(Nulls::Last),
        )))
        .context(StrContext::Expected(StrContextValue::Description(
            "asc, desc, nullsfirst or nullslast",
        ))),
    ))
    .parse_next(i)?;
    Ok(OrderTerm {
        target,
        direction,
        nulls,
    })
}

// ---- headers ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPreference {
    Minimal,
    HeadersOnly,
    Representation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountPreference {
    Exact,
    Planned,
    Estimated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    MergeDuplicates,
    IgnoreDuplicates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxPreference {
    Commit,
    Rollback,
}

/// The `Prefer` header(s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences {
    pub return_: Option<ReturnPreference>,
    pub count: Option<CountPreference>,
    pub resolution: Option<Resolution>,
    /// `missing=default`: keys absent from a bulk insert's objects take the column's default.
    pub missing_default: bool,
    pub tx: Option<TxPreference>,
    /// `params=single-object`: the RPC body is passed whole as the function's one argument.
    pub single_object: bool,
    /// `max-affected=n` (with `handling=strict`).
    pub max_affected: Option<u64>,
    pub timezone: Option<String>,
    pub strict: bool,
    /// What was not understood (ignored unless `handling=strict`, as PostgREST does).
    pub invalid: Vec<String>,
}

impl Preferences {
    /// Reads every `Prefer` header value (each a comma-separated list). With `handling=strict`,
    /// anything not understood is PGRST122; otherwise it is ignored.
    pub fn parse<'a>(headers: impl IntoIterator<Item = &'a str>) -> Result<Preferences> {
        let mut p = Preferences::default();
        for header in headers {
            for item in header.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (key, value) = item.split_once('=').unwrap_or((item, ""));
                match (key.trim(), value.trim()) {
                    ("return", "minimal") => p.return_ = Some(ReturnPreference::Minimal),
                    ("return", "headers-only") => p.return_ = Some(ReturnPreference::HeadersOnly),
                    ("return", "representation") => {
                        p.return_ = Some(ReturnPreference::Representation)
                    }
                    ("count", "exact") => p.count = Some(CountPreference::Exact),
                    ("count", "planned") => p.count = Some(CountPreference::Planned),
                    ("count", "estimated") => p.count = Some(CountPreference::Estimated),
                    ("resolution", "merge-duplicates") => {
                        p.resolution = Some(Resolution::MergeDuplicates)
                    }
                    ("resolution", "ignore-duplicates") => {
                        p.resolution = Some(Resolution::IgnoreDuplicates)
                    }
                    ("missing", "default") => p.missing_default = true,
                    ("missing", "null") => p.missing_default = false,
                    ("tx", "commit") => p.tx = Some(TxPreference::Commit),
                    ("tx", "rollback") => p.tx = Some(TxPreference::Rollback),
                    ("params", "single-object") => p.single_object = true,
                    ("handling", "strict") => p.strict = true,
                    ("handling", "lenient") => p.strict = false,
                    ("max-affected", n) if n.parse::<u64>().is_ok() => {
                        p.max_affected = n.parse().ok()
                    }
                    ("timezone", tz) if !tz.is_empty() => p.timezone = Some(tz.to_string()),
                    _ => p.invalid.push(item.to_string()),
                }
            }
        }
        if p.strict && !p.invalid.is_empty() {
            return Err(ApiError::invalid_preferences(&p.invalid));
        }
        Ok(p)
    }
}

/// A `Range` header (`0-9`, `items=10-`, `5-5`): (offset, limit).
pub fn parse_range_header(value: &str) -> Result<Range> {
    let spec = value.trim();
    let spec = spec.strip_prefix("items=").unwrap_or(spec);
    let bad = || ApiError::invalid_range(format!("Requested range not satisfiable: {value:?}"));
    let (from, to) = spec.split_once('-').ok_or_else(bad)?;
    let from: u64 = from.trim().parse().map_err(|_| bad())?;
    let to = to.trim();
    let limit = if to.is_empty() {
        None
    } else {
        let to: u64 = to.parse().map_err(|_| bad())?;
        if to < from {
            return Err(bad());
        }
        Some(to - from + 1)
    };
    Ok(Range {
        limit,
        offset: Some(from),
    })
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
