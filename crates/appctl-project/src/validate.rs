//! Checks of meaning, after the file has the right shape: names, types, references between tables and
//! columns, permissions, variables, cron expressions, sizes and durations.
//!
//! Pure over the parsed file (plus a view of the file system for function sources and of the variables
//! that are set), so every rule is unit-testable; each finding names the path it is about.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::column_type::{ColumnType, TypeError, builtin_spellings};
use super::diagnostic::Finding;
use super::file::{
    Bucket, Column, FORMAT_VERSION, Function, Identity, Permissions, ProjectFile,
    ReferentialAction, RoleRule, Runtime, Size, Table,
};
use super::suggest::did_you_mean;
use super::values::{MAX_IDENTIFIER_BYTES, parse_index_column, parse_size};
use super::vars::{self, VarError, Variables};
use super::yaml::DocPath;

/// What the checks may look at besides the file.
pub struct Context<'a> {
    /// The directory of the project file; function sources are relative to it.
    pub project_dir: &'a Path,
    pub variables: &'a Variables,
    /// The environment selected with `--env`: only its `${VAR}`s must be set.
    pub environment: Option<&'a str>,
}

/// Runs every check and returns what it found.
pub fn check(file: &ProjectFile, context: &Context) -> Vec<Finding> {
    let mut checker = Checker {
        file,
        context,
        findings: Vec::new(),
    };
    checker.run();
    checker.findings
}

struct Checker<'a> {
    file: &'a ProjectFile,
    context: &'a Context<'a>,
    findings: Vec<Finding>,
}

fn root() -> DocPath {
    DocPath::root()
}

impl Checker<'_> {
    fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    fn run(&mut self) {
        self.check_version();
        self.check_identifier(&root().key("schema"), &self.file.schema, "schema");
        self.check_extensions();
        self.check_enums();
        let mut relation_names: HashMap<String, DocPath> = HashMap::new();
        for (name, table) in &self.file.tables {
            self.check_table(name, table, &mut relation_names);
        }
        for (name, bucket) in &self.file.buckets {
            self.check_bucket(name, bucket);
        }
        for (name, function) in &self.file.functions {
            self.check_function(name, function);
        }
        self.check_environments();
        self.check_stack();
    }

    fn check_version(&mut self) {
        let version = self.file.version;
        if version == FORMAT_VERSION {
            return;
        }
        let finding = Finding::error(
            "version",
            root().key("version"),
            format!(
                "format version {version} is not supported; this appctl reads version {FORMAT_VERSION}"
            ),
        );
        self.push(if version > FORMAT_VERSION {
            finding.hint("upgrade appctl to read this file")
        } else {
            finding.hint("write `version: 1`")
        });
    }

    /// A Postgres name: 1 to 63 bytes, no control characters. Anything else is quoted when rendered.
    fn check_identifier(&mut self, path: &DocPath, name: &str, what: &str) -> bool {
        self.check_identifier_at(path.clone(), false, name, what)
    }

    fn check_key_identifier(&mut self, path: &DocPath, name: &str, what: &str) -> bool {
        self.check_identifier_at(path.clone(), true, name, what)
    }

    fn check_identifier_at(&mut self, path: DocPath, key: bool, name: &str, what: &str) -> bool {
        let problem = if name.is_empty() {
            Some((
                format!("{what} name is empty"),
                "give it a name".to_string(),
            ))
        } else if name.len() > MAX_IDENTIFIER_BYTES {
            Some((
                format!(
                    "{what} name `{name}` is {} bytes long; Postgres names are at most {MAX_IDENTIFIER_BYTES}",
                    name.len()
                ),
                "Postgres would silently cut it; shorten it".to_string(),
            ))
        } else if name.chars().any(char::is_control) {
            Some((
                format!("{what} name {name:?} contains a control character"),
                "use printable characters only".to_string(),
            ))
        } else {
            None
        };
        match problem {
            None => true,
            Some((message, hint)) => {
                let finding = Finding::error("identifier", path, message).hint(hint);
                self.push(if key { finding.at_key() } else { finding });
                false
            }
        }
    }

    fn check_extensions(&mut self) {
        let mut seen = HashSet::new();
        for (i, extension) in self.file.extensions.iter().enumerate() {
            let path = root().key("extensions").index(i);
            self.check_identifier(&path, extension, "extension");
            if !seen.insert(extension.as_str()) {
                self.push(
                    Finding::error(
                        "duplicate",
                        path,
                        format!("extension `{extension}` is listed twice"),
                    )
                    .hint("remove one of them"),
                );
            }
        }
    }

    fn check_enums(&mut self) {
        for (name, values) in &self.file.enums {
            let path = root().key("enums").key(name.clone());
            self.check_key_identifier(&path, name, "enum");
            if values.is_empty() {
                self.push(
                    Finding::error(
                        "empty-enum",
                        path.clone(),
                        format!("enum `{name}` has no values"),
                    )
                    .hint("list its values, e.g. [draft, published]"),
                );
            }
            let mut seen = HashSet::new();
            for (i, value) in values.iter().enumerate() {
                let value_path = path.index(i);
                self.check_identifier(&value_path, value, "enum value");
                if !seen.insert(value.as_str()) {
                    self.push(
                        Finding::error(
                            "duplicate",
                            value_path,
                            format!("enum `{name}` lists `{value}` twice"),
                        )
                        .hint("remove one of them"),
                    );
                }
            }
            if self.file.tables.contains_key(name) {
                self.push(
                    Finding::error(
                        "duplicate",
                        path,
                        format!("`{name}` is both an enum and a table; Postgres gives each table a type of the same name"),
                    )
                    .at_key()
                    .hint("rename the enum or the table"),
                );
            }
        }
    }

    fn parse_type(&self, text: &str) -> Result<ColumnType, TypeError> {
        ColumnType::parse(text, |name| self.file.enums.contains_key(name))
    }

    fn check_table(
        &mut self,
        name: &str,
        table: &Table,
        relation_names: &mut HashMap<String, DocPath>,
    ) {
        let path = root().key("tables").key(name);
        if self.check_key_identifier(&path, name, "table") {
            self.claim_relation_name(name, &path, relation_names, true);
        }
        if table.columns.is_empty() {
            self.push(
                Finding::error("no-columns", path.key("columns"), format!("table `{name}` has no columns"))
                    .hint("declare at least one column, e.g. `id: { type: uuid, primary_key: true, default: gen_random_uuid() }`"),
            );
        }
        let mut primary_key_columns = Vec::new();
        for (column_name, column) in &table.columns {
            let column_path = path.key("columns").key(column_name.clone());
            self.check_column(name, table, column_name, column, &column_path);
            if column.primary_key {
                primary_key_columns.push(column_path);
            }
        }
        if primary_key_columns.len() > 1 {
            for column_path in &primary_key_columns[1..] {
                self.push(
                    Finding::error(
                        "primary-key",
                        column_path.key("primary_key"),
                        format!("table `{name}` has more than one column with `primary_key: true`"),
                    )
                    .at_key()
                    .hint("for a composite key write `primary_key: [a, b]` on the table"),
                );
            }
        }
        if !table.primary_key.is_empty() && !primary_key_columns.is_empty() {
            self.push(
                Finding::error(
                    "primary-key",
                    path.key("primary_key"),
                    format!("table `{name}` declares its primary key twice (on the table and on a column)"),
                )
                .at_key()
                .hint("keep one of them"),
            );
        }
        self.check_column_list(name, table, &path.key("primary_key"), &table.primary_key);
        for (i, columns) in table.unique.iter().enumerate() {
            self.check_column_list(name, table, &path.key("unique").index(i), columns);
        }
        for (check_name, expression) in &table.checks {
            let check_path = path.key("checks").key(check_name.clone());
            self.check_key_identifier(&check_path, check_name, "check constraint");
            self.check_sql(&check_path, expression);
        }
        for (i, fk) in table.foreign_keys.iter().enumerate() {
            let fk_path = path.key("foreign_keys").index(i);
            if let Some(fk_name) = &fk.name {
                self.check_identifier(&fk_path.key("name"), fk_name, "foreign key");
            }
            self.check_column_list(name, table, &fk_path.key("columns"), &fk.columns);
            let target = &fk.references;
            if let Some(target_table) = local_table(self.file, &target.table) {
                let target_path = fk_path.key("references");
                for (j, column) in target.columns.iter().enumerate() {
                    if !target_table.columns.contains_key(column) {
                        self.missing_column(
                            &target_path.key("columns").index(j),
                            &target.table,
                            column,
                            target_table,
                        );
                    }
                }
            } else if !target.table.contains('.') {
                self.missing_table(&fk_path.key("references").key("table"), &target.table);
            }
            if fk.columns.len() != target.columns.len() {
                self.push(
                    Finding::error(
                        "foreign-key",
                        fk_path.key("references").key("columns"),
                        format!(
                            "the foreign key has {} column(s) but references {}",
                            fk.columns.len(),
                            target.columns.len()
                        ),
                    )
                    .hint("list as many referenced columns as referencing ones"),
                );
            }
        }
        for (i, index) in table.indexes.iter().enumerate() {
            let index_path = path.key("indexes").index(i);
            if index.columns.is_empty() {
                self.push(
                    Finding::error(
                        "index",
                        index_path.key("columns"),
                        "an index needs at least one column",
                    )
                    .hint("list the indexed columns, e.g. `columns: [created_at]`"),
                );
            }
            for (j, entry) in index.columns.iter().enumerate() {
                let entry_path = index_path.key("columns").index(j);
                match parse_index_column(entry) {
                    Ok(column) => {
                        if !table.columns.contains_key(column) {
                            self.missing_column(&entry_path, name, column, table);
                        }
                    }
                    Err(message) => self.push(
                        Finding::error("index", entry_path, message)
                            .hint("write a column name optionally followed by `asc`/`desc` and `nulls first`/`nulls last`"),
                    ),
                }
            }
            self.check_column_list(name, table, &index_path.key("include"), &index.include);
            if let Some(index_name) = &index.name
                && self.check_identifier(&index_path.key("name"), index_name, "index")
            {
                self.claim_relation_name(
                    index_name,
                    &index_path.key("name"),
                    relation_names,
                    false,
                );
            }
            if let Some(predicate) = &index.predicate {
                self.check_sql(&index_path.key("where"), predicate);
            }
        }
        if let Some(owner) = &table.owner {
            let owner_path = path.key("owner");
            match table.columns.get(owner) {
                None => self.missing_column(&owner_path, name, owner, table),
                Some(column) => {
                    if let Ok(ty) = self.parse_type(&column.ty)
                        && !ty.is_uuid()
                    {
                        self.push(
                                Finding::error(
                                    "owner",
                                    owner_path,
                                    format!("owner column `{owner}` is `{}`, but `owner` permissions compare it with auth.uid(), a uuid", column.ty),
                                )
                                .hint(format!("make `{owner}` a uuid column")),
                            );
                    }
                }
            }
        }
        if let Some(old) = &table.renamed_from {
            self.check_identifier(&path.key("renamed_from"), old, "table");
            if old == name {
                self.push(
                    Finding::error(
                        "rename",
                        path.key("renamed_from"),
                        format!("table `{name}` is renamed from itself"),
                    )
                    .hint("remove `renamed_from`"),
                );
            } else if self.file.tables.contains_key(old) {
                self.push(
                    Finding::error("rename", path.key("renamed_from"), format!("`{old}` is still declared as a table, so `{name}` cannot be renamed from it"))
                        .hint(format!("remove the table `{old}` or the `renamed_from`")),
                );
            }
        }
        let owner_column = table.owner.as_deref();
        self.check_permissions(
            &path.key("permissions"),
            &table.permissions,
            Subject::Table { name, owner_column },
        );
    }

    /// Tables, indexes (and the types of tables) share one namespace per schema in Postgres.
    fn claim_relation_name(
        &mut self,
        name: &str,
        path: &DocPath,
        claimed: &mut HashMap<String, DocPath>,
        key: bool,
    ) {
        if let Some(first) = claimed.get(name) {
            let finding = Finding::error(
                "duplicate",
                path.clone(),
                format!("the name `{name}` is used twice (at `{first}`); tables and indexes share one namespace"),
            )
            .hint("give one of them another name");
            self.push(if key { finding.at_key() } else { finding });
        } else {
            claimed.insert(name.to_string(), path.clone());
        }
    }

    fn check_column(
        &mut self,
        table_name: &str,
        table: &Table,
        name: &str,
        column: &Column,
        path: &DocPath,
    ) {
        self.check_key_identifier(path, name, "column");
        let ty = match self.parse_type(&column.ty) {
            Ok(ty) => Some(ty),
            Err(error) => {
                self.type_error(&path.key("type"), &column.ty, error);
                None
            }
        };
        if let Some(ty) = &ty
            && let Some(extension) = ty.extension()
            && !self.file.extensions.iter().any(|e| e == extension)
        {
            self.push(
                Finding::error(
                    "extension",
                    path.key("type"),
                    format!("type `{}` needs the `{extension}` extension", column.ty),
                )
                .hint(format!("add `{extension}` to `extensions:`")),
            );
        }
        if let Some(identity) = column.identity
            && identity != Identity::Enabled(false)
        {
            if let Some(ty) = &ty
                && !ty.is_integer()
            {
                self.push(
                            Finding::error(
                                "identity",
                                path.key("identity"),
                                format!("identity columns must be smallint, integer or bigint, not `{}`", column.ty),
                            )
                            .hint(if ty.is_uuid() {
                                "for generated uuids remove `identity` and write `default: gen_random_uuid()`"
                            } else {
                                "use `type: bigint`"
                            }),
                        );
            }
            if column.default.is_some() {
                self.push(
                    Finding::error(
                        "identity",
                        path.key("default"),
                        "an identity column cannot also have a default",
                    )
                    .at_key()
                    .hint("remove `default:` or `identity:`"),
                );
            }
            if column.nullable {
                self.push(
                    Finding::error(
                        "identity",
                        path.key("nullable"),
                        "an identity column cannot be nullable",
                    )
                    .at_key()
                    .hint("remove `nullable: true`"),
                );
            }
        }
        if let Some(generated) = &column.generated {
            self.check_sql(&path.key("generated"), generated);
            if column.default.is_some() {
                self.push(
                    Finding::error(
                        "generated",
                        path.key("default"),
                        "a generated column cannot also have a default",
                    )
                    .at_key()
                    .hint("remove `default:` or `generated:`"),
                );
            }
        }
        if column.primary_key && column.nullable {
            self.push(
                Finding::error(
                    "primary-key",
                    path.key("nullable"),
                    "a primary key column cannot be nullable",
                )
                .at_key()
                .hint("remove `nullable: true`"),
            );
        }
        if let Some(reference) = &column.references {
            self.check_reference(&path.key("references"), reference);
        } else {
            for (key, action) in [
                ("on_delete", column.on_delete),
                ("on_update", column.on_update),
            ] {
                if action.is_some() {
                    self.push(
                        Finding::error(
                            "foreign-key",
                            path.key(key),
                            format!("`{key}` needs `references:`"),
                        )
                        .at_key()
                        .hint("add `references: table.column`, or remove it"),
                    );
                }
            }
        }
        for (key, action) in [
            ("on_delete", column.on_delete),
            ("on_update", column.on_update),
        ] {
            if action == Some(ReferentialAction::SetNull) && !column.nullable {
                self.push(
                    Finding::error(
                        "foreign-key",
                        path.key(key),
                        format!("`{key}: set_null` on column `{name}`, which is not nullable"),
                    )
                    .hint("add `nullable: true` to the column, or choose another action"),
                );
            }
        }
        if let Some(check) = &column.check {
            self.check_sql(&path.key("check"), check);
        }
        if let Some(old) = &column.renamed_from {
            self.check_identifier(&path.key("renamed_from"), old, "column");
            if old == name {
                self.push(
                    Finding::error(
                        "rename",
                        path.key("renamed_from"),
                        format!("column `{name}` is renamed from itself"),
                    )
                    .hint("remove `renamed_from`"),
                );
            } else if table.columns.contains_key(old) {
                self.push(
                    Finding::error(
                        "rename",
                        path.key("renamed_from"),
                        format!("`{old}` is still a column of `{table_name}`, so `{name}` cannot be renamed from it"),
                    )
                    .hint(format!("remove the column `{old}` or the `renamed_from`")),
                );
            }
        }
    }

    fn type_error(&mut self, path: &DocPath, written: &str, error: TypeError) {
        let finding = Finding::error("column-type", path.clone(), error.to_string());
        let hint = match &error {
            TypeError::Unknown(name) => {
                let mut known: Vec<String> = self.file.enums.keys().cloned().collect();
                known.extend(builtin_spellings().map(String::from));
                match did_you_mean(name, known.iter().map(String::as_str)) {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None => "use a Postgres type (text, integer, uuid, timestamptz, jsonb, vector(1536), ...) or declare the enum under `enums:`".to_string(),
                }
            }
            TypeError::Empty => "write a Postgres type, e.g. `text`".to_string(),
            other => other
                .hint()
                .map_or_else(|| format!("check the type `{written}`"), String::from),
        };
        self.push(finding.hint(hint));
    }

    /// `table.column` in this project, or `schema.table.column` elsewhere (e.g. `auth.users.id`).
    fn check_reference(&mut self, path: &DocPath, reference: &str) {
        // A declared table whose name holds a dot (`dot.ted.id`) is that table, not a schema.
        let file = self.file;
        if let Some((table, column)) = reference.rsplit_once('.')
            && let Some(target) = file.tables.get(table)
        {
            if !target.columns.contains_key(column) {
                self.missing_column(path, table, column, target);
            }
            return;
        }
        let parts: Vec<&str> = reference.split('.').collect();
        match parts.as_slice() {
            [table, column] => match self.file.tables.get(*table) {
                Some(target) => {
                    if !target.columns.contains_key(*column) {
                        self.missing_column(path, table, column, target);
                    }
                }
                None => self.missing_table(path, table),
            },
            [schema, table, column] if *schema == self.file.schema => {
                match self.file.tables.get(*table) {
                    Some(target) if !target.columns.contains_key(*column) => {
                        self.missing_column(path, table, column, target)
                    }
                    Some(_) => {}
                    None => self.missing_table(path, table),
                }
            }
            [schema, table, column] => {
                if [schema, table, column].iter().any(|p| p.is_empty()) {
                    self.bad_reference(path, reference);
                }
            }
            _ => self.bad_reference(path, reference),
        }
    }

    fn bad_reference(&mut self, path: &DocPath, reference: &str) {
        self.push(
            Finding::error("reference", path.clone(), format!("`{reference}` is not a column reference"))
                .hint("write `table.column`, or `schema.table.column` for another schema (e.g. `auth.users.id`)"),
        );
    }

    fn missing_table(&mut self, path: &DocPath, table: &str) {
        let finding = Finding::error(
            "reference",
            path.clone(),
            format!("table `{table}` is not declared"),
        );
        let hint = match did_you_mean(table, self.file.tables.keys().map(String::as_str)) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!("declare `{table}` under `tables:`, or qualify it with its schema"),
        };
        self.push(finding.hint(hint));
    }

    fn missing_column(&mut self, path: &DocPath, table_name: &str, column: &str, table: &Table) {
        let finding = Finding::error(
            "reference",
            path.clone(),
            format!("table `{table_name}` has no column `{column}`"),
        );
        let hint = match did_you_mean(column, table.columns.keys().map(String::as_str)) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => format!(
                "columns of `{table_name}`: {}",
                table.columns.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        };
        self.push(finding.hint(hint));
    }

    fn check_column_list(
        &mut self,
        table_name: &str,
        table: &Table,
        path: &DocPath,
        columns: &[String],
    ) {
        let mut seen = HashSet::new();
        for (i, column) in columns.iter().enumerate() {
            if !table.columns.contains_key(column) {
                self.missing_column(&path.index(i), table_name, column, table);
            } else if !seen.insert(column.as_str()) {
                self.push(
                    Finding::error(
                        "duplicate",
                        path.index(i),
                        format!("column `{column}` is listed twice"),
                    )
                    .hint("remove one of them"),
                );
            }
        }
    }

    /// SQL expressions are checked by the database at deploy time; here only what is surely wrong.
    fn check_sql(&mut self, path: &DocPath, sql: &str) {
        if sql.trim().is_empty() {
            self.push(
                Finding::error("sql", path.clone(), "the SQL expression is empty")
                    .hint("write an expression, or remove the entry"),
            );
        } else if sql.contains(';') && !sql.contains('\'') {
            self.push(
                Finding::error("sql", path.clone(), "an expression cannot contain `;`")
                    .hint("write a single expression, without a statement separator"),
            );
        }
    }

    fn check_permissions(&mut self, path: &DocPath, permissions: &Permissions, subject: Subject) {
        for (action, rules) in permissions.actions() {
            self.check_roles(&path.key(action), rules, subject);
        }
        if !permissions.write.is_empty() {
            for (action, rules) in [
                ("create", &permissions.create),
                ("update", &permissions.update),
                ("delete", &permissions.delete),
            ] {
                if !rules.is_empty() {
                    self.push(
                        Finding::warning(
                            "permissions",
                            path.key(action),
                            format!("`{action}` adds to `write`, which already covers create, update and delete"),
                        )
                        .at_key()
                        .hint("fine if intended; the roles of both lists are allowed"),
                    );
                }
            }
        }
    }

    fn check_roles(&mut self, path: &DocPath, rules: &[RoleRule], subject: Subject) {
        const ROLES: [&str; 6] = ["any", "guests", "users", "owner", "service", "user:<uuid>"];
        for (i, rule) in rules.iter().enumerate() {
            let (role_path, role) = match rule {
                RoleRule::Role(role) => (path.index(i), role.as_str()),
                RoleRule::Filtered(filtered) => {
                    self.check_sql(&path.index(i).key("where"), &filtered.predicate);
                    (path.index(i).key("role"), filtered.role.as_str())
                }
            };
            let known = match role {
                "any" | "guests" | "users" | "service" => true,
                "owner" => {
                    match subject {
                        Subject::Table { name, owner_column: None } => self.push(
                            Finding::error(
                                "owner",
                                role_path.clone(),
                                format!("`owner` permission on table `{name}`, which has no owner column"),
                            )
                            .hint(format!("add `owner: <column>` to table `{name}`: the uuid column that holds auth.uid() of the row's owner")),
                        ),
                        Subject::Function { name } => self.push(
                            Finding::error(
                                "owner",
                                role_path.clone(),
                                format!("`owner` means nothing for function `{name}`: a function has no owner"),
                            )
                            .hint("use `users`, `any`, `service`, `user:<uuid>` or `{ role, where }`"),
                        ),
                        _ => {}
                    }
                    true
                }
                _ => match role.strip_prefix("user:") {
                    Some(id) => {
                        if uuid::Uuid::try_parse(id).is_err() {
                            self.push(
                                Finding::error("role", role_path.clone(), format!("`{id}` in `{role}` is not a uuid"))
                                    .hint("write `user:` followed by the user's id, e.g. `user:7b0c3e52-6f1e-4c1e-9d0a-2f6f3c1d9a10`"),
                            );
                        }
                        true
                    }
                    None => false,
                },
            };
            if !known {
                let finding = Finding::error("role", role_path, format!("unknown role `{role}`"));
                // Users of Supabase and PostgREST write the Postgres role names.
                let postgres_role = match role {
                    "anon" => Some("guests"),
                    "authenticated" => Some("users"),
                    "service_role" => Some("service"),
                    "public" => Some("any"),
                    _ => None,
                };
                let hint = match (postgres_role, did_you_mean(role, ROLES)) {
                    (Some(ours), _) => format!(
                        "`{role}` is a Postgres role; in appctl that role is written `{ours}`"
                    ),
                    (None, Some(suggestion)) => format!("did you mean `{suggestion}`?"),
                    (None, None) => {
                        format!("roles are {}, or `{{ role, where }}`", ROLES.join(", "))
                    }
                };
                self.push(finding.hint(hint));
            }
        }
    }

    fn check_bucket(&mut self, name: &str, bucket: &Bucket) {
        let path = root().key("buckets").key(name);
        let valid = (1..=63).contains(&name.len())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            })
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid {
            self.push(
                Finding::error("bucket-name", path.clone(), format!("`{name}` is not a valid bucket name"))
                    .at_key()
                    .hint("use 1 to 63 lowercase letters, digits, `-`, `_` or `.`, starting with a letter or digit"),
            );
        }
        if let Some(size) = &bucket.max_file_size {
            self.check_size(&path.key("max_file_size"), size);
        }
        for (i, mime) in bucket.allowed_mime_types.iter().enumerate() {
            if !is_mime_type(mime) {
                self.push(
                    Finding::error(
                        "mime-type",
                        path.key("allowed_mime_types").index(i),
                        format!("`{mime}` is not a MIME type"),
                    )
                    .hint(if matches!(mime.as_str(), "*" | "*/*") {
                        "every type is accepted when `allowed_mime_types` is left out".to_string()
                    } else {
                        "write `type/subtype` without parameters, e.g. `image/png` or `image/*`"
                            .to_string()
                    }),
                );
            }
        }
        self.check_permissions(
            &path.key("permissions"),
            &bucket.permissions,
            Subject::Bucket,
        );
    }

    fn check_size(&mut self, path: &DocPath, size: &Size) {
        let bytes = match size {
            Size::Bytes(bytes) => Some(*bytes),
            Size::Text(text) => parse_size(text),
        };
        match bytes {
            Some(0) => self.push(
                Finding::error("size", path.clone(), "a size of 0 bytes allows nothing")
                    .hint("write a size such as `10MiB`, or remove the limit"),
            ),
            Some(_) => {}
            None => {
                let text = match size {
                    Size::Text(text) => text.as_str(),
                    Size::Bytes(_) => "",
                };
                self.push(
                    Finding::error("size", path.clone(), format!("`{text}` is not a size"))
                        .hint("write a size such as `10MiB`, `512KB`, `1GiB` or a number of bytes"),
                )
            }
        }
    }

    fn check_duration(&mut self, path: &DocPath, text: &str) {
        match humantime::parse_duration(text) {
            Ok(duration) if duration.is_zero() => self.push(
                Finding::error(
                    "duration",
                    path.clone(),
                    "a duration of 0 is too short for anything",
                )
                .hint("write a duration such as `30s` or `2m`"),
            ),
            Ok(_) => {}
            Err(_) => self.push(
                Finding::error(
                    "duration",
                    path.clone(),
                    format!("`{text}` is not a duration"),
                )
                .hint("write a number with a unit, such as `30s`, `2m` or `1h`"),
            ),
        }
    }

    fn check_function(&mut self, name: &str, function: &Function) {
        let path = root().key("functions").key(name);
        let valid_name = name.len() <= 40
            && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'));
        if !valid_name {
            self.push(
                Finding::error("function-name", path.clone(), format!("`{name}` is not a valid function name"))
                    .at_key()
                    .hint("use lowercase letters, digits, `-` and `_`, starting with a letter, at most 40 characters: it is part of a URL and a container name"),
            );
        }
        let source = self.context.project_dir.join(&function.source);
        if !source.is_dir() {
            self.push(
                Finding::error(
                    "function-source",
                    path.key("source"),
                    format!("directory `{}` does not exist", function.source),
                )
                .hint("create it, or point `source:` at the function's directory (relative to appctl.yaml)"),
            );
        } else if !source.join(&function.entrypoint).is_file() {
            self.push(
                Finding::error(
                    "function-source",
                    path.key("entrypoint"),
                    format!(
                        "`{}` has no file `{}`",
                        function.source, function.entrypoint
                    ),
                )
                .hint("create the file, or name the file the runtime should start"),
            );
        }
        for (var, value) in &function.env {
            let var_path = path.key("env").key(var.clone());
            self.check_env_name(&var_path, var);
            if let super::file::EnvValue::Text(text) = value {
                self.check_variables(&var_path, text, true);
            }
        }
        if let Some(timeout) = &function.timeout {
            self.check_duration(&path.key("timeout"), timeout);
        }
        if let Some(schedule) = &function.schedule {
            self.check_cron(&path.key("schedule"), schedule);
        }
        if let Some(memory) = &function.memory {
            self.check_size(&path.key("memory"), memory);
        }
        self.check_roles(
            &path.key("execute"),
            &function.execute,
            Subject::Function { name },
        );
    }

    fn check_env_name(&mut self, path: &DocPath, name: &str) {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.push(
                Finding::error(
                    "env-name",
                    path.clone(),
                    format!("`{name}` is not an environment variable name"),
                )
                .at_key()
                .hint("use letters, digits and `_`, not starting with a digit"),
            );
        }
    }

    fn check_cron(&mut self, path: &DocPath, schedule: &str) {
        let fields = schedule.split_whitespace().count();
        let problem = if fields != 5 {
            Some(format!(
                "`{schedule}` has {fields} field(s); a schedule has five"
            ))
        } else if let Some(problem) = cron_field_problem(schedule) {
            Some(format!("`{schedule}`: {problem}"))
        } else {
            croner::parser::CronParser::new()
                .parse(schedule)
                .err()
                .map(|error| {
                    // croner words its errors for programmers: "Component error: Invalid end of range."
                    let detail = error.to_string();
                    let detail = detail
                        .split_once(": ")
                        .map_or(detail.as_str(), |(_, rest)| rest)
                        .trim_end_matches('.');
                    format!(
                        "`{schedule}` is not a valid cron expression ({})",
                        detail.to_lowercase()
                    )
                })
        };
        if let Some(message) = problem {
            self.push(Finding::error("cron", path.clone(), message).hint(
                "five fields: minute hour day-of-month month day-of-week, e.g. `*/10 * * * *`",
            ));
        }
    }

    /// Checks the `${VAR}` references in `text`; `required` ones must be set now.
    fn check_variables(&mut self, path: &DocPath, text: &str, required: bool) {
        match vars::references(text) {
            Err(error) => self.push(
                Finding::error("variable", path.clone(), error.to_string())
                    .hint("write `${NAME}`, or `$$` for a literal `$`"),
            ),
            Ok(references) if required => {
                for reference in references {
                    if reference.fallback.is_none()
                        && !self.context.variables.is_set(&reference.name)
                    {
                        let name = reference.name;
                        self.push(
                            Finding::error("variable", path.clone(), VarError::Missing { name: name.clone() }.to_string())
                                .hint(format!("set `{name}` in the environment or in `.env` beside appctl.yaml (see .env.example)")),
                        );
                    }
                }
            }
            Ok(_) => {}
        }
    }

    fn check_environments(&mut self) {
        if let Some(selected) = self.context.environment
            && !self.file.environments.contains_key(selected)
        {
            let finding = Finding::error(
                "environment",
                root().key("environments"),
                format!("environment `{selected}` is not declared"),
            )
            .at_key();
            let hint =
                match did_you_mean(selected, self.file.environments.keys().map(String::as_str)) {
                    Some(suggestion) => format!("did you mean `{suggestion}`?"),
                    None => {
                        "declare it under `environments:`, or pick one that is declared".to_string()
                    }
                };
            self.push(finding.hint(hint));
        }
        for (name, environment) in &self.file.environments {
            let path = root().key("environments").key(name.clone());
            let required = self.context.environment == Some(name.as_str());
            let mut values = vec![
                ("database_url", environment.database_url.as_deref()),
                ("docker_host", environment.docker_host.as_deref()),
                ("docker_cert_path", environment.docker_cert_path.as_deref()),
                ("jwt_secret", environment.jwt_secret.as_deref()),
                ("gateway", environment.gateway.as_deref()),
            ];
            if let Some(storage) = &environment.storage {
                values.push(("endpoint", Some(storage.endpoint.as_str())));
                values.push(("region", storage.region.as_deref()));
                values.push(("access_key", storage.access_key.as_deref()));
                values.push(("secret_key", storage.secret_key.as_deref()));
            }
            for (key, value) in values {
                let Some(value) = value else { continue };
                let value_path = match key {
                    "endpoint" | "region" | "access_key" | "secret_key" => {
                        path.key("storage").key(key)
                    }
                    _ => path.key(key),
                };
                self.check_variables(&value_path, value, required);
                // A value written out (no `${VAR}`) is checked now rather than at deploy time.
                let literal = vars::references(value).is_ok_and(|r| r.is_empty());
                let problem = match key {
                    "gateway" if literal => super::values::parse_gateway(value)
                        .err()
                        .map(|e| e.to_string()),
                    "docker_host" if literal && value.starts_with("ssh://") => {
                        super::ssh_destination::Destination::parse(value)
                            .err()
                            .map(|e| format!("{e:#}"))
                    }
                    "docker_host"
                        if literal
                            && !["tcp://", "unix://"]
                                .iter()
                                .any(|scheme| value.starts_with(scheme)) =>
                    {
                        Some(format!(
                            "`{value}` is not tcp://host:port, ssh://[user@]host[:port] or \
                             unix:///path"
                        ))
                    }
                    _ => None,
                };
                if let Some(message) = problem {
                    let finding = match message.split_once("\nhint: ") {
                        Some((message, hint)) => {
                            Finding::error("environment", value_path.clone(), message).hint(hint)
                        }
                        None => Finding::error("environment", value_path.clone(), message),
                    };
                    self.push(finding);
                }
                let holds_secret = matches!(key, "secret_key" | "access_key" | "jwt_secret")
                    || (key == "database_url" && url_has_password(value));
                if holds_secret && vars::references(value).is_ok_and(|r| r.is_empty()) {
                    self.push(
                        Finding::warning("secret", value_path, format!("`{key}` holds a secret written in the file"))
                            .hint("write `${VAR}` and keep the value in the environment or .env, which git ignores"),
                    );
                }
            }
        }
    }

    fn check_stack(&mut self) {
        let mut ports: HashMap<u32, &'static str> = HashMap::new();
        for (service, overrides) in self.file.stack.services() {
            let Some(overrides) = overrides else { continue };
            let path = root().key("stack").key(service);
            if let Some(port) = overrides.port
                && let Some(other) = ports.insert(port, service)
            {
                self.push(
                    Finding::error(
                        "port",
                        path.key("port"),
                        format!("port {port} is also given to `{other}`"),
                    )
                    .hint("give each service its own host port"),
                );
            }
            if let Some(timeout) = &overrides.health_timeout {
                self.check_duration(&path.key("health_timeout"), timeout);
            }
            if let Some(image) = &overrides.image {
                self.check_variables(&path.key("image"), image, true);
            }
            for (runtime, image) in &overrides.images {
                let runtime_path = path.key("images").key(runtime.clone());
                if service != "functions" {
                    self.push(
                        Finding::error(
                            "stack",
                            runtime_path.clone(),
                            format!("`images` is for functions only; `{service}` has one image"),
                        )
                        .hint(format!("write `stack.{service}.image`")),
                    );
                } else if Runtime::from_name(runtime).is_none() {
                    self.push(
                        Finding::error(
                            "stack",
                            runtime_path.clone(),
                            format!("`{runtime}` is not a runtime"),
                        )
                        .hint(format!(
                            "runtimes: {}",
                            Runtime::ALL.map(Runtime::name).join(", ")
                        )),
                    );
                }
                self.check_variables(&runtime_path, image, true);
            }
            for (var, value) in &overrides.env {
                let var_path = path.key("env").key(var.clone());
                self.check_env_name(&var_path, var);
                if let super::file::EnvValue::Text(text) = value {
                    self.check_variables(&var_path, text, true);
                }
            }
        }
    }
}

/// A table of this project, by a name that may be qualified with the project's schema.
fn local_table<'f>(file: &'f ProjectFile, name: &str) -> Option<&'f Table> {
    if let Some(table) = file.tables.get(name) {
        return Some(table);
    }
    let local = match name.split_once('.') {
        Some((schema, table)) if schema == file.schema => table,
        Some(_) => return None,
        None => name,
    };
    file.tables.get(local)
}

#[derive(Clone, Copy)]
enum Subject<'a> {
    Table {
        name: &'a str,
        owner_column: Option<&'a str>,
    },
    Bucket,
    Function {
        name: &'a str,
    },
}

/// A number out of its field's range in a five-field cron expression, e.g. hour 25: croner only says
/// "Number out of bounds".
fn cron_field_problem(schedule: &str) -> Option<String> {
    const FIELDS: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 7),
    ];
    for (field, (name, min, max)) in schedule.split_whitespace().zip(FIELDS) {
        for part in field.split(',') {
            let (range, step) = part.split_once('/').unwrap_or((part, ""));
            if step.parse::<u32>() == Ok(0) {
                return Some(format!("the {name} step is 0"));
            }
            for bound in range.split('-') {
                if let Ok(n) = bound.parse::<u32>()
                    && !(min..=max).contains(&n)
                {
                    return Some(format!("{name} {n} is out of the range {min}..{max}"));
                }
            }
        }
    }
    None
}

fn is_mime_type(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match text.split_once('/') {
        Some((kind, sub)) => token(kind) && (sub == "*" || token(sub)),
        None => false,
    }
}

fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo.contains(':'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_index_columns() {
        assert_eq!(parse_index_column("created_at desc"), Ok("created_at"));
        assert_eq!(parse_index_column("a ASC NULLS LAST"), Ok("a"));
        assert!(parse_index_column("a sideways").is_err());
    }

    #[test]
    fn names_the_cron_field_out_of_range() {
        assert_eq!(cron_field_problem("*/10 * * * *"), None);
        assert_eq!(cron_field_problem("0 3 * * 1-5"), None);
        assert_eq!(
            cron_field_problem("0 25 * * *").as_deref(),
            Some("hour 25 is out of the range 0..23")
        );
        assert_eq!(
            cron_field_problem("0 0 0 * *").as_deref(),
            Some("day of month 0 is out of the range 1..31")
        );
        assert_eq!(
            cron_field_problem("*/0 * * * *").as_deref(),
            Some("the minute step is 0")
        );
        assert_eq!(
            cron_field_problem("0 0 * 1-13 *").as_deref(),
            Some("month 13 is out of the range 1..12")
        );
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("10MiB"), Some(10 * 1024 * 1024));
        assert_eq!(parse_size("512KB"), Some(512_000));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("ten megs"), None);
    }

    #[test]
    fn knows_mime_types_and_passwords() {
        assert!(is_mime_type("image/png"));
        assert!(is_mime_type("image/*"));
        assert!(!is_mime_type("png"));
        assert!(url_has_password("postgres://u:p@h/db"));
        assert!(!url_has_password("postgres://u@h/db"));
    }
}
