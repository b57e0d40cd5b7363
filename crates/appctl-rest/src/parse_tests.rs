use super::*;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn query(items: &[(&str, &str)]) -> Result<QueryParams> {
    QueryParams::parse(&pairs(items), &|_| false)
}

fn col(name: &str) -> Field {
    Field {
        name: name.into(),
        json_path: vec![],
    }
}

fn plain(name: &str) -> SelectItem {
    SelectItem::Field {
        field: col(name),
        alias: None,
        cast: None,
    }
}

fn assert_parse_error<T: std::fmt::Debug>(result: Result<T>) -> ApiError {
    let error = result.expect_err("a parse error");
    assert_eq!(error.status, 400, "{error}");
    assert!(
        error.code == "PGRST100" || error.code == "PGRST103",
        "{error}"
    );
    error
}

#[test]
fn select_columns_aliases_casts_and_star() {
    let items =
        parse_select("id,name:title,created_at::text,*,n:tokens::double precision").unwrap();
    assert_eq!(
        items,
        vec![
            plain("id"),
            SelectItem::Field {
                field: col("title"),
                alias: Some("name".into()),
                cast: None
            },
            SelectItem::Field {
                field: col("created_at"),
                alias: None,
                cast: Some("text".into())
            },
            SelectItem::Star,
            SelectItem::Field {
                field: col("tokens"),
                alias: Some("n".into()),
                cast: Some("double precision".into())
            },
        ]
    );
    assert_eq!(parse_select("").unwrap(), vec![SelectItem::Star]);
    assert_eq!(
        parse_select(r#""my col",x:"a""b""#).unwrap_err().code,
        "PGRST100",
        "a doubled quote is not an escape; backslash is"
    );
    assert_eq!(
        parse_select(r#""my \"col\"""#).unwrap(),
        vec![plain("my \"col\"")]
    );
}

#[test]
fn select_json_paths() {
    let items =
        parse_select("metadata->a->>b,x:metadata->0,metadata->>\"odd key\",data->a-b").unwrap();
    let SelectItem::Field { field, .. } = &items[0] else {
        panic!()
    };
    assert_eq!(field.name, "metadata");
    assert_eq!(
        field.json_path,
        vec![
            JsonStep {
                as_text: false,
                key: JsonKey::Key("a".into())
            },
            JsonStep {
                as_text: true,
                key: JsonKey::Key("b".into())
            }
        ]
    );
    let SelectItem::Field { field, alias, .. } = &items[1] else {
        panic!()
    };
    assert_eq!(alias.as_deref(), Some("x"));
    assert_eq!(field.json_path[0].key, JsonKey::Index(0));
    let SelectItem::Field { field, .. } = &items[2] else {
        panic!()
    };
    assert_eq!(field.json_path[0].key, JsonKey::Key("odd key".into()));
    let SelectItem::Field { field, .. } = &items[3] else {
        panic!()
    };
    assert_eq!(field.json_path[0].key, JsonKey::Key("a-b".into()));
}

#[test]
fn select_embeds_with_hints_inner_and_nesting() {
    let items = parse_select(
        "id,messages(id,content,tool_calls(*)),owner:threads!inner(title),t:threads!messages_thread_id_fkey!inner(id),tags!thread_tags(name),empty()",
    )
    .unwrap();
    let embeds: Vec<&Embed> = items
        .iter()
        .filter_map(|i| match i {
            SelectItem::Embed(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(embeds.len(), 5);
    assert_eq!(embeds[0].name, "messages");
    assert_eq!(
        embeds[0].select[2],
        SelectItem::Embed(Embed {
            name: "tool_calls".into(),
            alias: None,
            hint: None,
            inner: false,
            select: vec![SelectItem::Star]
        })
    );
    assert_eq!(embeds[1].key(), "owner");
    assert!(embeds[1].inner);
    assert_eq!(embeds[2].hint.as_deref(), Some("messages_thread_id_fkey"));
    assert!(embeds[2].inner);
    assert_eq!(embeds[3].hint.as_deref(), Some("thread_tags"));
    assert!(embeds[4].select.is_empty());
}

#[test]
fn select_rejects_malformed_and_hostile_input() {
    for bad in [
        "id,",
        "id;drop table threads",
        "id) from threads; --",
        "messages(id",
        "messages(id))",
        "a:b:c",
        "id::text;drop",
        "id::text)",
        "id::1nt",
        "id::text from pg_shadow",
        "id::int as x",
        "id::double  precision",
        "id::double precision ",
        "col!hint",
        "rel!a!b(id)",
        "data->",
        "data->'a'",
        "\"unterminated",
        "...threads(id)",
        "id /* */",
    ] {
        assert_parse_error(parse_select(bad));
    }
}

#[test]
fn select_keeps_odd_names_as_names_for_the_cache_to_refuse() {
    // Quoted names may hold anything: they are only ever looked up in the cache and quoted.
    let items = parse_select(r#""id\" from threads; --""#).unwrap();
    assert_eq!(items, vec![plain("id\" from threads; --")]);
    // Dashes belong to names as in PostgREST (`id--` is a column name, refused by the cache).
    assert_eq!(parse_select("id--").unwrap(), vec![plain("id--")]);
}

#[test]
fn filters_every_operator() {
    let cases: &[(&str, Operation)] = &[
        (
            "eq.5",
            Operation::Compare {
                op: Operator::Eq,
                quantifier: None,
                value: "5".into(),
            },
        ),
        (
            "neq.a.b",
            Operation::Compare {
                op: Operator::Neq,
                quantifier: None,
                value: "a.b".into(),
            },
        ),
        (
            "like.*foo*",
            Operation::Compare {
                op: Operator::Like,
                quantifier: None,
                value: "*foo*".into(),
            },
        ),
        (
            "ilike(any).{a*,b*}",
            Operation::Compare {
                op: Operator::Ilike,
                quantifier: Some(Quantifier::Any),
                value: "{a*,b*}".into(),
            },
        ),
        (
            "eq(all).{1,2}",
            Operation::Compare {
                op: Operator::Eq,
                quantifier: Some(Quantifier::All),
                value: "{1,2}".into(),
            },
        ),
        ("is.NULL", Operation::Is(IsValue::Null)),
        ("is.true", Operation::Is(IsValue::True)),
        ("is.false", Operation::Is(IsValue::False)),
        ("is.unknown", Operation::Is(IsValue::Unknown)),
        (
            "in.(1,2,\"a,b\",\"q\\\"x\")",
            Operation::In(vec!["1".into(), "2".into(), "a,b".into(), "q\"x".into()]),
        ),
        ("in.()", Operation::In(vec![])),
        (
            "cs.{a,b}",
            Operation::Compare {
                op: Operator::Contains,
                quantifier: None,
                value: "{a,b}".into(),
            },
        ),
        (
            "adj.[1,5)",
            Operation::Compare {
                op: Operator::Adjacent,
                quantifier: None,
                value: "[1,5)".into(),
            },
        ),
        (
            "fts(english).cat & dog",
            Operation::Fts {
                op: FtsOperator::Fts,
                config: Some("english".into()),
                value: "cat & dog".into(),
            },
        ),
        (
            "wfts.\"cat dog\" -mouse",
            Operation::Fts {
                op: FtsOperator::Websearch,
                config: None,
                value: "\"cat dog\" -mouse".into(),
            },
        ),
    ];
    for (value, expected) in cases {
        let (negated, operation) = parse_filter_value(value).unwrap();
        assert!(!negated);
        assert_eq!(&operation, expected, "{value}");
    }
    for op in [
        "gt",
        "gte",
        "lt",
        "lte",
        "match",
        "imatch",
        "isdistinct",
        "cd",
        "ov",
        "sl",
        "sr",
        "nxl",
        "nxr",
        "plfts",
        "phfts",
    ] {
        parse_filter_value(&format!("{op}.1")).unwrap();
    }
    let (negated, operation) = parse_filter_value("not.in.(1)").unwrap();
    assert!(negated);
    assert_eq!(operation, Operation::In(vec!["1".into()]));
}

#[test]
fn filters_reject_malformed_values() {
    for bad in [
        "5",
        "eq",
        "equals.5",
        "is.maybe",
        "in.1,2",
        "in.(1,2",
        "in.(1))",
        "is(any).null",
        "cs(any).{1}",
        "eq(some).1",
        "eq(any.1",
        "not.not.eq.1",
        "drop table x.1",
    ] {
        assert_parse_error(parse_filter_value(bad));
    }
}

#[test]
fn query_string_routes_filters_to_embeds_and_keeps_reserved_keys() {
    let q = query(&[
        ("select", "id,messages(id)"),
        ("id", "eq.1"),
        ("messages.role", "eq.user"),
        ("metadata->>kind", "eq.x"),
        ("messages.order", "created_at.desc"),
        ("messages.limit", "5"),
        ("order", "title.asc.nullsfirst,id"),
        ("limit", "10"),
        ("offset", "20"),
        ("columns", "\"title\",\"model\""),
        ("on_conflict", "id"),
    ])
    .unwrap();
    assert_eq!(q.conditions.len(), 3);
    assert_eq!(q.conditions[1].0, vec!["messages".to_string()]);
    let Condition::Filter(f) = &q.conditions[2].1 else {
        panic!()
    };
    assert_eq!(f.field.name, "metadata");
    assert!(f.field.json_path[0].as_text);
    assert_eq!(
        q.ranges[&vec![]],
        Range {
            limit: Some(10),
            offset: Some(20)
        }
    );
    assert_eq!(q.ranges[&vec!["messages".to_string()]].limit, Some(5));
    assert_eq!(q.order[&vec![]].len(), 2);
    assert_eq!(q.order[&vec![]][0].nulls, Some(Nulls::First));
    assert_eq!(q.columns, Some(vec!["title".into(), "model".into()]));
    assert_eq!(q.on_conflict, Some(vec!["id".into()]));
}

#[test]
fn rpc_arguments_are_not_filters() {
    let q = QueryParams::parse(&pairs(&[("thread", "abc"), ("id", "eq.1")]), &|k| {
        k == "thread"
    })
    .unwrap();
    assert_eq!(q.rpc_args, vec![("thread".into(), "abc".into())]);
    assert_eq!(q.conditions.len(), 1);
}

#[test]
fn logic_trees_nest_and_negate() {
    let q = query(&[(
        "or",
        "(id.eq.1,and(title.like.*a*,model.not.in.(\"x,y\",z)),not.or(tokens.gt.5,metadata->>k.is.null),tags.cs.{a,b},span.adj.[1,2),title.eq.\"a,b)\")",
    )])
    .unwrap();
    let (
        path,
        Condition::Group {
            or,
            negated,
            children,
        },
    ) = &q.conditions[0]
    else {
        panic!()
    };
    assert!(path.is_empty());
    assert!(*or && !*negated);
    assert_eq!(children.len(), 6);
    let Condition::Group {
        or,
        children: and_children,
        ..
    } = &children[1]
    else {
        panic!()
    };
    assert!(!or);
    let Condition::Filter(f) = &and_children[1] else {
        panic!()
    };
    assert!(f.negated);
    assert_eq!(f.operation, Operation::In(vec!["x,y".into(), "z".into()]));
    let Condition::Group { or, negated, .. } = &children[2] else {
        panic!()
    };
    assert!(*or && *negated);
    let Condition::Filter(f) = &children[3] else {
        panic!()
    };
    assert_eq!(
        f.operation,
        Operation::Compare {
            op: Operator::Contains,
            quantifier: None,
            value: "{a,b}".into()
        }
    );
    let Condition::Filter(f) = &children[5] else {
        panic!()
    };
    assert_eq!(
        f.operation,
        Operation::Compare {
            op: Operator::Eq,
            quantifier: None,
            value: "a,b)".into()
        }
    );

    let q = query(&[("not.and", "(a.eq.1,b.eq.2)"), ("messages.or", "(a.eq.1)")]).unwrap();
    assert!(matches!(
        q.conditions[0].1,
        Condition::Group {
            or: false,
            negated: true,
            ..
        }
    ));
    assert_eq!(q.conditions[1].0, vec!["messages".to_string()]);
}

#[test]
fn logic_trees_reject_malformed_input() {
    for bad in [
        "",
        "()",
        "(id.eq.1",
        "id.eq.1",
        "(id.eq.1))",
        "(id.eq.1,)",
        "(id)",
        "(id.eq)",
        "(id.bogus.1)",
        "(and())",
        "(id.eq.1);drop table x",
        "(id.in.(1,2)",
    ] {
        assert_parse_error(query(&[("or", bad)]));
    }
}

#[test]
fn order_terms() {
    let terms =
        parse_order("created_at.desc.nullslast,metadata->>k.asc,threads(title).desc,id").unwrap();
    assert_eq!(terms.len(), 4);
    assert_eq!(terms[0].direction, Some(Direction::Desc));
    assert_eq!(terms[0].nulls, Some(Nulls::Last));
    assert!(matches!(&terms[1].target, OrderTarget::Field(f) if f.json_path.len() == 1));
    assert!(
        matches!(&terms[2].target, OrderTarget::Related { embed, field } if embed == "threads" && field.name == "title")
    );
    assert_eq!(terms[3].direction, None);
    for bad in [
        "",
        "id.up",
        "id.desc.nullsmiddle",
        "id desc",
        "id;drop table x",
        "id.desc,",
        "(select 1)",
        "id.desc.nullsfirst.asc",
    ] {
        assert_parse_error(parse_order(bad));
    }
}

#[test]
fn limits_must_be_counts() {
    for bad in ["-1", "1.5", "ten", "1;drop", ""] {
        assert_parse_error(query(&[("limit", bad)]));
        assert_parse_error(query(&[("messages.offset", bad)]));
    }
}

#[test]
fn nul_characters_are_refused_anywhere() {
    assert_parse_error(query(&[("id", "eq.a\0b")]));
    assert_parse_error(query(&[("select", "id\0")]));
}

#[test]
fn prefer_header() {
    let p = Preferences::parse([
        "return=representation, count=exact",
        "resolution=merge-duplicates,missing=default,tx=rollback,params=single-object,timezone=UTC",
    ])
    .unwrap();
    assert_eq!(p.return_, Some(ReturnPreference::Representation));
    assert_eq!(p.count, Some(CountPreference::Exact));
    assert_eq!(p.resolution, Some(Resolution::MergeDuplicates));
    assert!(p.missing_default && p.single_object);
    assert_eq!(p.tx, Some(TxPreference::Rollback));
    assert_eq!(p.timezone.as_deref(), Some("UTC"));
    assert!(p.invalid.is_empty());

    let lenient = Preferences::parse(["return=minimal,count=bogus,whatever"]).unwrap();
    assert_eq!(lenient.return_, Some(ReturnPreference::Minimal));
    assert_eq!(lenient.invalid, vec!["count=bogus", "whatever"]);

    let strict = Preferences::parse(["handling=strict, count=bogus"]).unwrap_err();
    assert_eq!((strict.status, strict.code.as_str()), (400, "PGRST122"));
    Preferences::parse(["handling=strict, return=headers-only, max-affected=5"]).unwrap();
}

#[test]
fn range_header() {
    assert_eq!(
        parse_range_header("0-9").unwrap(),
        Range {
            limit: Some(10),
            offset: Some(0)
        }
    );
    assert_eq!(
        parse_range_header("items=10-").unwrap(),
        Range {
            limit: None,
            offset: Some(10)
        }
    );
    for bad in ["9-0", "a-b", "5", "-5"] {
        let error = parse_range_header(bad).unwrap_err();
        assert_eq!((error.status, error.code.as_str()), (416, "PGRST103"));
    }
}

#[test]
fn parse_errors_say_where() {
    let error = parse_select("id,title;x").unwrap_err();
    assert_eq!(error.message, "\"failed to parse select parameter\"");
    let details = error.details.unwrap();
    let details = details.as_str().unwrap();
    assert!(
        details.contains("unexpected ';' at character 9"),
        "{details}"
    );
}
