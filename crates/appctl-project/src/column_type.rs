//! Column types: parsing what a user writes (`varchar(80)`, `timestamptz`, `int[]`) into the canonical
//! spelling Postgres gives back from `format_type()` (`character varying(80)`, `timestamp with time zone`,
//! `integer[]`), so that a desired type and an inspected type compare as equal strings.

use std::fmt;

/// A parsed column type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnType {
    /// The base type, canonical for built-ins (`timestamp with time zone`), as written for user types.
    pub base: BaseType,
    /// Type modifiers, e.g. `[12, 2]` for numeric(12,2).
    pub modifiers: Vec<u32>,
    /// Array dimensions; Postgres does not enforce them, so any number of `[]` is one array type.
    pub array: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BaseType {
    /// A type Postgres or a well-known extension provides.
    Builtin(&'static Builtin),
    /// A type the project declares (an enum), or a schema-qualified type appctl cannot check.
    User {
        schema: Option<String>,
        name: String,
    },
}

/// A known type: its canonical name, the spellings that mean it, and the modifiers it takes.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Builtin {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub modifiers: Modifiers,
    /// The extension that provides the type, if any.
    pub extension: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifiers {
    None,
    /// One optional length or precision between the bounds.
    One {
        min: u32,
        max: u32,
    },
    /// `numeric(precision[, scale])`.
    Numeric,
    /// One required dimension (vector types).
    Dimension {
        max: u32,
    },
}

const fn builtin(name: &'static str, aliases: &'static [&'static str]) -> Builtin {
    Builtin {
        name,
        aliases,
        modifiers: Modifiers::None,
        extension: None,
    }
}

pub static BUILTINS: &[Builtin] = &[
    builtin("smallint", &["int2"]),
    builtin("integer", &["int", "int4"]),
    builtin("bigint", &["int8"]),
    builtin("real", &["float4"]),
    builtin("double precision", &["float8", "float"]),
    Builtin {
        name: "numeric",
        aliases: &["decimal"],
        modifiers: Modifiers::Numeric,
        extension: None,
    },
    builtin("boolean", &["bool"]),
    builtin("text", &[]),
    Builtin {
        name: "character varying",
        aliases: &["varchar"],
        modifiers: Modifiers::One {
            min: 1,
            max: 10_485_760,
        },
        extension: None,
    },
    Builtin {
        name: "character",
        aliases: &["char", "bpchar"],
        modifiers: Modifiers::One {
            min: 1,
            max: 10_485_760,
        },
        extension: None,
    },
    builtin("bytea", &[]),
    builtin("uuid", &[]),
    builtin("json", &[]),
    builtin("jsonb", &[]),
    builtin("date", &[]),
    Builtin {
        name: "time without time zone",
        aliases: &["time"],
        modifiers: Modifiers::One { min: 0, max: 6 },
        extension: None,
    },
    Builtin {
        name: "time with time zone",
        aliases: &["timetz"],
        modifiers: Modifiers::One { min: 0, max: 6 },
        extension: None,
    },
    Builtin {
        name: "timestamp without time zone",
        aliases: &["timestamp"],
        modifiers: Modifiers::One { min: 0, max: 6 },
        extension: None,
    },
    Builtin {
        name: "timestamp with time zone",
        aliases: &["timestamptz"],
        modifiers: Modifiers::One { min: 0, max: 6 },
        extension: None,
    },
    builtin("interval", &[]),
    builtin("inet", &[]),
    builtin("cidr", &[]),
    builtin("macaddr", &[]),
    builtin("macaddr8", &[]),
    builtin("money", &[]),
    builtin("tsvector", &[]),
    builtin("tsquery", &[]),
    builtin("xml", &[]),
    builtin("point", &[]),
    builtin("line", &[]),
    builtin("lseg", &[]),
    builtin("box", &[]),
    builtin("path", &[]),
    builtin("polygon", &[]),
    builtin("circle", &[]),
    builtin("oid", &[]),
    builtin("int4range", &[]),
    builtin("int8range", &[]),
    builtin("numrange", &[]),
    builtin("tsrange", &[]),
    builtin("tstzrange", &[]),
    builtin("daterange", &[]),
    Builtin {
        name: "bit",
        aliases: &[],
        modifiers: Modifiers::One {
            min: 1,
            max: 83_886_080,
        },
        extension: None,
    },
    Builtin {
        name: "bit varying",
        aliases: &["varbit"],
        modifiers: Modifiers::One {
            min: 1,
            max: 83_886_080,
        },
        extension: None,
    },
    Builtin {
        name: "vector",
        aliases: &[],
        modifiers: Modifiers::Dimension { max: 16_000 },
        extension: Some("vector"),
    },
    Builtin {
        name: "halfvec",
        aliases: &[],
        modifiers: Modifiers::Dimension { max: 16_000 },
        extension: Some("vector"),
    },
    Builtin {
        name: "sparsevec",
        aliases: &[],
        modifiers: Modifiers::Dimension { max: 1_000_000_000 },
        extension: Some("vector"),
    },
    Builtin {
        name: "citext",
        aliases: &[],
        modifiers: Modifiers::None,
        extension: Some("citext"),
    },
    extension_type("hstore", "hstore"),
    extension_type("ltree", "ltree"),
    extension_type("lquery", "ltree"),
    extension_type("ltxtquery", "ltree"),
    extension_type("cube", "cube"),
    extension_type("seg", "seg"),
    extension_type("isbn", "isn"),
    extension_type("isbn13", "isn"),
    extension_type("issn", "isn"),
    extension_type("issn13", "isn"),
    extension_type("ean13", "isn"),
    extension_type("upc", "isn"),
];

/// A type of a contrib extension, without modifiers.
const fn extension_type(name: &'static str, extension: &'static str) -> Builtin {
    Builtin {
        name,
        aliases: &[],
        modifiers: Modifiers::None,
        extension: Some(extension),
    }
}

/// Types that create hidden objects and are better written another way.
const DISCOURAGED: &[(&str, &str)] = &[
    ("serial", "write `type: integer` with `identity: true`"),
    ("serial4", "write `type: integer` with `identity: true`"),
    ("bigserial", "write `type: bigint` with `identity: true`"),
    ("serial8", "write `type: bigint` with `identity: true`"),
    (
        "smallserial",
        "write `type: smallint` with `identity: true`",
    ),
    ("serial2", "write `type: smallint` with `identity: true`"),
];

/// Why a type could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeError {
    Empty,
    /// Not a type's shape, e.g. `varchar(x)`; says what to write instead.
    Syntax {
        message: String,
        hint: String,
    },
    /// Not a known type nor a declared one; carries the name as written.
    Unknown(String),
    Discouraged {
        name: String,
        instead: &'static str,
    },
    /// Modifiers the type does not take, e.g. `vector(0)` or `text(10)`; `written` is the type as written
    /// and `message` a sentence that quotes it.
    BadModifiers {
        written: String,
        message: String,
        hint: String,
    },
}

impl TypeError {
    /// What to write instead, for the errors that know.
    pub fn hint(&self) -> Option<&str> {
        match self {
            TypeError::Syntax { hint, .. } | TypeError::BadModifiers { hint, .. } => Some(hint),
            TypeError::Discouraged { instead, .. } => Some(instead),
            TypeError::Empty | TypeError::Unknown(_) => None,
        }
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeError::Empty => f.write_str("the type is empty"),
            TypeError::Syntax { message, .. } => f.write_str(message),
            TypeError::Unknown(name) => write!(f, "unknown column type `{name}`"),
            TypeError::Discouraged { name, .. } => {
                write!(
                    f,
                    "`{name}` creates a hidden sequence appctl does not manage"
                )
            }
            TypeError::BadModifiers { message, .. } => f.write_str(message),
        }
    }
}

impl ColumnType {
    /// Parses a type as written. `is_user_type` says whether a bare name is a type the project declares.
    pub fn parse(text: &str, is_user_type: impl Fn(&str) -> bool) -> Result<Self, TypeError> {
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(TypeError::Empty);
        }
        let mut array = false;
        while let Some(stripped) = rest.strip_suffix("[]") {
            array = true;
            rest = stripped.trim_end();
        }
        // A user type is matched as written (names are case-sensitive once quoted).
        if is_user_type(rest) {
            return Ok(ColumnType {
                base: BaseType::User {
                    schema: None,
                    name: rest.to_string(),
                },
                modifiers: Vec::new(),
                array,
            });
        }
        let (name, modifiers) = split_modifiers(rest)?;
        let lowered = name.to_lowercase();
        if let Some(builtin) = find_builtin(&lowered) {
            check_modifiers(builtin, &name, rest, &modifiers)?;
            return Ok(ColumnType {
                base: BaseType::Builtin(builtin),
                modifiers,
                array,
            });
        }
        if let Some((_, instead)) = DISCOURAGED.iter().find(|(n, _)| *n == lowered) {
            return Err(TypeError::Discouraged {
                name: lowered,
                instead,
            });
        }
        if let Some((schema, type_name)) = name.split_once('.') {
            let valid = |part: &str| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            };
            if valid(schema) && valid(type_name) {
                // An extension's type in the schema the extension lives in (Supabase keeps pgvector
                // in `extensions`): its modifiers are checked as the unqualified type's.
                if let Some(builtin) = find_builtin(&type_name.to_lowercase())
                    && builtin.extension.is_some()
                {
                    check_modifiers(builtin, type_name, rest, &modifiers)?;
                } else if !modifiers.is_empty() {
                    return Err(TypeError::Unknown(rest.to_string()));
                }
                // Another schema's type: checked by the database at deploy time.
                return Ok(ColumnType {
                    base: BaseType::User {
                        schema: Some(schema.to_string()),
                        name: type_name.to_string(),
                    },
                    modifiers,
                    array,
                });
            }
        }
        Err(TypeError::Unknown(rest.to_string()))
    }

    /// The extension the type needs, if any.
    pub fn extension(&self) -> Option<&'static str> {
        match &self.base {
            BaseType::Builtin(builtin) => builtin.extension,
            BaseType::User {
                schema: Some(_),
                name,
            } => find_builtin(&name.to_lowercase()).and_then(|b| b.extension),
            BaseType::User { .. } => None,
        }
    }

    pub fn is_integer(&self) -> bool {
        !self.array
            && matches!(&self.base, BaseType::Builtin(b) if matches!(b.name, "smallint" | "integer" | "bigint"))
    }

    pub fn is_uuid(&self) -> bool {
        !self.array && matches!(&self.base, BaseType::Builtin(b) if b.name == "uuid")
    }
}

impl fmt::Display for ColumnType {
    /// The spelling of `format_type()`: `character varying(80)`, `timestamp(3) with time zone`, `text[]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let modifiers = if self.modifiers.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = self.modifiers.iter().map(u32::to_string).collect();
            format!("({})", list.join(","))
        };
        match &self.base {
            BaseType::Builtin(builtin) => match builtin.name.split_once(" with") {
                // Precision goes before the time-zone words: timestamp(3) with time zone.
                Some((head, tail)) if !modifiers.is_empty() => {
                    write!(f, "{head}{modifiers} with{tail}")?
                }
                _ => write!(f, "{}{modifiers}", builtin.name)?,
            },
            BaseType::User { schema, name } => {
                if let Some(schema) = schema {
                    write!(f, "{schema}.")?;
                }
                f.write_str(name)?;
                f.write_str(&modifiers)?;
            }
        }
        if self.array {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

/// Every spelling of a built-in type, for "did you mean" hints.
pub fn builtin_spellings() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .flat_map(|b| std::iter::once(b.name).chain(b.aliases.iter().copied()))
        .chain(["timestamptz", "varchar"])
}

fn find_builtin(name: &str) -> Option<&'static Builtin> {
    let name = collapse_whitespace(name);
    BUILTINS
        .iter()
        .find(|b| b.name == name || b.aliases.contains(&name.as_str()))
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `timestamp(3) with time zone` → (`timestamp with time zone`, [3]).
fn split_modifiers(text: &str) -> Result<(String, Vec<u32>), TypeError> {
    let Some(open) = text.find('(') else {
        return Ok((collapse_whitespace(text), Vec::new()));
    };
    let close = text[open..]
        .find(')')
        .map(|i| open + i)
        .ok_or_else(|| TypeError::Syntax {
            message: format!("`{text}` has `(` without `)`"),
            hint: "close the modifiers with `)`, e.g. `varchar(80)`".into(),
        })?;
    let inner = &text[open + 1..close];
    let mut modifiers = Vec::new();
    for part in inner.split(',') {
        let part = part.trim();
        let value = part.parse::<u32>().map_err(|_| TypeError::Syntax {
            message: format!("`{part}` in `{text}` is not a whole number"),
            hint: "type modifiers are whole numbers, e.g. `varchar(80)` or `numeric(12,2)`".into(),
        })?;
        modifiers.push(value);
    }
    let name = format!("{} {}", &text[..open], &text[close + 1..]);
    Ok((collapse_whitespace(&name), modifiers))
}

/// Checks the modifiers of a built-in type; `name` is its name and `written` the whole type as written.
fn check_modifiers(
    builtin: &'static Builtin,
    name: &str,
    written: &str,
    modifiers: &[u32],
) -> Result<(), TypeError> {
    let bad = |message: String, hint: String| {
        Err(TypeError::BadModifiers {
            written: written.to_string(),
            message,
            hint,
        })
    };
    match (builtin.modifiers, modifiers) {
        (_, []) if !matches!(builtin.modifiers, Modifiers::Dimension { .. }) => Ok(()),
        (Modifiers::None, _) => bad(
            format!("`{name}` takes no modifiers"),
            format!("write `{name}` without `(...)`"),
        ),
        (Modifiers::One { min, max }, [n]) if (min..=max).contains(n) => Ok(()),
        (Modifiers::One { min, max }, [n]) => bad(
            format!("`{written}`: {n} is out of the range {min}..{max}"),
            format!("write a number from {min} to {max}, e.g. `{name}({})`", max.min(80)),
        ),
        (Modifiers::One { min, max }, _) => bad(
            format!("`{name}` takes one modifier, not {}", modifiers.len()),
            format!("write one number, e.g. `{name}({})`", max.min(80).max(min)),
        ),
        (Modifiers::Numeric, [p]) | (Modifiers::Numeric, [p, _]) if !(1..=1000).contains(p) => {
            bad(
                format!("`{written}`: precision {p} is out of the range 1..1000"),
                "write a precision (total digits) from 1 to 1000, e.g. `numeric(12,2)`".into(),
            )
        }
        (Modifiers::Numeric, [p, s]) if s > p => bad(
            format!("`{written}`: scale {s} is larger than the precision {p}"),
            "the scale (digits after the point) is at most the precision (all digits), e.g. `numeric(12,2)`".into(),
        ),
        (Modifiers::Numeric, [_]) | (Modifiers::Numeric, [_, _]) => Ok(()),
        (Modifiers::Numeric, _) => bad(
            format!("`{name}` takes a precision and an optional scale"),
            "write e.g. `numeric(12,2)` or `numeric(12)`".into(),
        ),
        (Modifiers::Dimension { max }, [n]) if (1..=max).contains(n) => Ok(()),
        (Modifiers::Dimension { max }, [n]) => bad(
            format!("`{written}`: dimension {n} is out of the range 1..{max}"),
            format!("write the dimension of the vectors it stores, from 1 to {max}, e.g. `{name}(1536)`"),
        ),
        (Modifiers::Dimension { .. }, _) => bad(
            match modifiers.len() {
                0 => format!("`{name}` needs a dimension"),
                n => format!("`{name}` takes one dimension, not {n}"),
            },
            format!("write the dimension of the vectors it stores, e.g. `{name}(1536)`"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        ColumnType::parse(text, |name| name == "message_role")
            .unwrap()
            .to_string()
    }

    #[test]
    fn canonical_spellings_match_format_type() {
        assert_eq!(canonical("varchar(80)"), "character varying(80)");
        assert_eq!(canonical("VARCHAR"), "character varying");
        assert_eq!(canonical("timestamptz"), "timestamp with time zone");
        assert_eq!(canonical("timestamptz(3)"), "timestamp(3) with time zone");
        assert_eq!(
            canonical("timestamp(3) with time zone"),
            "timestamp(3) with time zone"
        );
        assert_eq!(canonical("int"), "integer");
        assert_eq!(canonical("int8[]"), "bigint[]");
        assert_eq!(canonical("text[][]"), "text[]");
        assert_eq!(canonical("numeric(12, 2)"), "numeric(12,2)");
        assert_eq!(canonical("double   precision"), "double precision");
        assert_eq!(canonical("vector(1536)"), "vector(1536)");
        assert_eq!(canonical("message_role"), "message_role");
        assert_eq!(canonical("message_role[]"), "message_role[]");
        assert_eq!(canonical("extensions.citext"), "extensions.citext");
    }

    #[test]
    fn rejects_unknown_and_malformed_types() {
        let parse = |text| ColumnType::parse(text, |_| false);
        assert_eq!(parse("strng"), Err(TypeError::Unknown("strng".into())));
        assert!(matches!(
            parse("serial"),
            Err(TypeError::Discouraged { .. })
        ));
        assert!(matches!(
            parse("vector"),
            Err(TypeError::BadModifiers { .. })
        ));
        assert!(matches!(
            parse("vector(0)"),
            Err(TypeError::BadModifiers { .. })
        ));
        assert!(matches!(
            parse("numeric(2,5)"),
            Err(TypeError::BadModifiers { .. })
        ));
        assert!(matches!(
            parse("text(3)"),
            Err(TypeError::BadModifiers { .. })
        ));
        assert!(matches!(parse("varchar(x)"), Err(TypeError::Syntax { .. })));
        assert!(matches!(parse("varchar(3"), Err(TypeError::Syntax { .. })));
        assert_eq!(parse(""), Err(TypeError::Empty));
    }

    #[test]
    fn modifier_errors_quote_the_type_as_written() {
        let message = |text| ColumnType::parse(text, |_| false).unwrap_err().to_string();
        assert_eq!(
            message("varchar(0)"),
            "`varchar(0)`: 0 is out of the range 1..10485760"
        );
        assert_eq!(message("TEXT(10)"), "`TEXT` takes no modifiers");
        assert_eq!(message("halfvec"), "`halfvec` needs a dimension");
        let error = ColumnType::parse("vector(0)", |_| false).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`vector(0)`: dimension 0 is out of the range 1..16000"
        );
        assert!(error.hint().unwrap().contains("vector(1536)"));
    }

    #[test]
    fn knows_extension_types_in_any_schema() {
        let qualified = ColumnType::parse("extensions.vector(384)", |_| false).unwrap();
        assert_eq!(qualified.to_string(), "extensions.vector(384)");
        assert_eq!(qualified.extension(), Some("vector"));
        assert!(ColumnType::parse("extensions.vector(0)", |_| false).is_err());
        assert!(ColumnType::parse("other.thing(3)", |_| false).is_err());
        let hstore = ColumnType::parse("hstore", |_| false).unwrap();
        assert_eq!(hstore.extension(), Some("hstore"));
    }

    #[test]
    fn knows_extension_types() {
        let vector = ColumnType::parse("vector(3)", |_| false).unwrap();
        assert_eq!(vector.extension(), Some("vector"));
        assert!(ColumnType::parse("bigint", |_| false).unwrap().is_integer());
    }
}
