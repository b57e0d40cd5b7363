//! Tables, their columns, keys, references and indexes; extensions and enums.

use super::*;
use crate::file::{ForeignKey, Index, Key};

impl Checker<'_> {
    pub(super) fn check_extensions(&mut self) {
        let mut seen = HashSet::new();
        for (i, extension) in self.file.extensions.iter().enumerate() {
            let mut path = root().key("extensions").index(i);
            if let crate::file::Extension::Detailed(detailed) = extension {
                if let Some(schema) = &detailed.schema {
                    self.check_identifier(&path.key("schema"), schema, "schema");
                }
                if detailed
                    .version
                    .as_deref()
                    .is_some_and(|v| v.trim().is_empty())
                {
                    self.push(
                        Finding::error("extension", path.key("version"), "the version is empty")
                            .hint("write the version as `SELECT extversion FROM pg_extension` shows it, or remove the key"),
                    );
                }
                path = path.key("name");
            }
            let extension = extension.name();
            self.check_identifier(&path, extension, "extension");
            if !seen.insert(extension) {
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

    pub(super) fn check_enums(&mut self) {
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

    pub(super) fn parse_type(&self, text: &str) -> Result<ColumnType, TypeError> {
        ColumnType::parse(text, |name| self.file.enums.contains_key(name))
    }

    pub(super) fn check_table(
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
                Finding::warning("no-columns", path.key("columns"), format!("table `{name}` has no columns"))
                    .hint("Postgres allows it (`pull` writes such tables as they are); declare a column, e.g. `id: { type: uuid, primary_key: true, default: gen_random_uuid() }`"),
            );
        }
        let primary_key_columns = self.check_columns(name, table, &path);
        self.check_primary_key(name, table, &path, &primary_key_columns);
        for (i, key) in table.unique.iter().enumerate() {
            self.check_key(
                name,
                table,
                &path.key("unique").index(i),
                key,
                "unique constraint",
            );
        }
        for (check_name, expression) in &table.checks {
            let check_path = path.key("checks").key(check_name.clone());
            self.check_key_identifier(&check_path, check_name, "check constraint");
            self.check_sql(&check_path, expression);
        }
        for (i, fk) in table.foreign_keys.iter().enumerate() {
            self.check_foreign_key(name, table, fk, &path.key("foreign_keys").index(i));
        }
        for (i, index) in table.indexes.iter().enumerate() {
            let index_path = path.key("indexes").index(i);
            self.check_index(name, table, index, &index_path, relation_names);
        }
        if let Some(owner) = &table.owner {
            self.check_owner(name, table, owner, &path.key("owner"));
        }
        if let Some(old) = &table.renamed_from {
            self.check_table_rename(name, old, &path.key("renamed_from"));
        }
        let owner_column = table.owner.as_deref();
        self.check_permissions(
            &path.key("permissions"),
            &table.permissions,
            Subject::Table { name, owner_column },
        );
    }

    /// Checks each column of a table; returns the paths of those marked `primary_key: true`.
    fn check_columns(&mut self, name: &str, table: &Table, path: &DocPath) -> Vec<DocPath> {
        let mut primary_key_columns = Vec::new();
        for (column_name, column) in &table.columns {
            let column_path = path.key("columns").key(column_name.clone());
            self.check_column(name, table, column_name, column, &column_path);
            if column.primary_key {
                primary_key_columns.push(column_path);
            }
        }
        primary_key_columns
    }

    /// A primary key is declared once: on one column, or as the table's `primary_key` list.
    fn check_primary_key(
        &mut self,
        name: &str,
        table: &Table,
        path: &DocPath,
        primary_key_columns: &[DocPath],
    ) {
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
        if table.primary_key.is_some() && !primary_key_columns.is_empty() {
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
        if let Some(key) = &table.primary_key {
            self.check_key(name, table, &path.key("primary_key"), key, "primary key");
            if key.nulls_not_distinct() {
                self.push(
                    Finding::error(
                        "primary-key",
                        path.key("primary_key").key("nulls_not_distinct"),
                        "a primary key has no NULLs to compare",
                    )
                    .at_key()
                    .hint("remove `nulls_not_distinct`; it is for unique constraints"),
                );
            }
        }
    }

    /// The columns of a key, in the short (`[a, b]`) or the long form (`{ columns: [a, b], name: k }`).
    fn check_key(&mut self, name: &str, table: &Table, path: &DocPath, key: &Key, what: &str) {
        match key {
            Key::Columns(columns) => self.check_column_list(name, table, path, columns),
            Key::Named(named) => {
                self.check_column_list(name, table, &path.key("columns"), &named.columns);
                if named.columns.is_empty() {
                    self.push(
                        Finding::error(
                            "no-columns",
                            path.key("columns"),
                            format!("a {what} needs at least one column"),
                        )
                        .hint("list the columns, e.g. `columns: [id]`"),
                    );
                }
                if let Some(key_name) = &named.name {
                    self.check_identifier(&path.key("name"), key_name, what);
                }
            }
        }
    }

    fn check_foreign_key(&mut self, name: &str, table: &Table, fk: &ForeignKey, fk_path: &DocPath) {
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

    fn check_index(
        &mut self,
        name: &str,
        table: &Table,
        index: &Index,
        index_path: &DocPath,
        relation_names: &mut HashMap<String, DocPath>,
    ) {
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
                Ok(column) if crate::values::is_index_expression(column) => {
                    self.check_sql(&entry_path, column);
                }
                Ok(column) => {
                    if !table.columns.contains_key(column) {
                        self.missing_column(&entry_path, name, column, table);
                    }
                }
                Err(message) => self.push(
                    Finding::error("index", entry_path, message)
                        .hint("write a column name or an expression in parentheses, optionally followed by `asc`/`desc` and `nulls first`/`nulls last`"),
                ),
            }
        }
        self.check_column_list(name, table, &index_path.key("include"), &index.include);
        if let Some(index_name) = &index.name
            && self.check_identifier(&index_path.key("name"), index_name, "index")
        {
            self.claim_relation_name(index_name, &index_path.key("name"), relation_names, false);
        }
        if let Some(predicate) = &index.predicate {
            self.check_sql(&index_path.key("where"), predicate);
        }
    }

    /// The `owner` column is a column of the table, and a uuid: permissions compare it with
    /// auth.uid().
    fn check_owner(&mut self, name: &str, table: &Table, owner: &str, owner_path: &DocPath) {
        match table.columns.get(owner) {
            None => self.missing_column(owner_path, name, owner, table),
            Some(column) => {
                if let Ok(ty) = self.parse_type(&column.ty)
                    && !ty.is_uuid()
                {
                    self.push(
                            Finding::error(
                                "owner",
                                owner_path.clone(),
                                format!("owner column `{owner}` is `{}`, but `owner` permissions compare it with auth.uid(), a uuid", column.ty),
                            )
                            .hint(format!("make `{owner}` a uuid column")),
                        );
                }
            }
        }
    }

    fn check_table_rename(&mut self, name: &str, old: &str, rename_path: &DocPath) {
        self.check_identifier(rename_path, old, "table");
        if old == name {
            self.push(
                Finding::error(
                    "rename",
                    rename_path.clone(),
                    format!("table `{name}` is renamed from itself"),
                )
                .hint("remove `renamed_from`"),
            );
        } else if self.file.tables.contains_key(old) {
            self.push(
                Finding::error("rename", rename_path.clone(), format!("`{old}` is still declared as a table, so `{name}` cannot be renamed from it"))
                    .hint(format!("remove the table `{old}` or the `renamed_from`")),
            );
        }
    }

    /// Tables, indexes (and the types of tables) share one namespace per schema in Postgres.
    pub(super) fn claim_relation_name(
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

    pub(super) fn check_column(
        &mut self,
        table_name: &str,
        table: &Table,
        name: &str,
        column: &Column,
        path: &DocPath,
    ) {
        self.check_key_identifier(path, name, "column");
        let ty = self.check_column_type(column, path);
        if let Some(collation) = &column.collation {
            self.check_identifier(&path.key("collation"), collation, "collation");
        }
        if let Some(identity) = column.identity
            && identity != Identity::Enabled(false)
        {
            self.check_identity(column, ty.as_ref(), path);
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
        self.check_column_reference(name, column, path);
        if let Some(check) = &column.check {
            self.check_sql(&path.key("check"), check);
        }
        if let Some(old) = &column.renamed_from {
            self.check_column_rename(table_name, table, name, old, &path.key("renamed_from"));
        }
    }

    /// Parses the column's type and checks that its extension is listed; `None` when it does not
    /// parse (reported).
    fn check_column_type(&mut self, column: &Column, path: &DocPath) -> Option<ColumnType> {
        let ty = match self.parse_type(&column.ty) {
            Ok(ty) => Some(ty),
            Err(error) => {
                self.type_error(&path.key("type"), &column.ty, error);
                None
            }
        };
        if let Some(ty) = &ty
            && let Some(extension) = ty.extension()
            && !self.file.extensions.iter().any(|e| e.name() == extension)
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
        ty
    }

    /// An identity column is an integer, with no default, never null.
    fn check_identity(&mut self, column: &Column, ty: Option<&ColumnType>, path: &DocPath) {
        if let Some(crate::file::Identity::Options(options)) = column.identity
            && options.increment == Some(0)
        {
            self.push(
                Finding::error(
                    "identity",
                    path.key("identity").key("increment"),
                    "an identity cannot count in steps of 0",
                )
                .hint("write a positive step, or a negative one to count down"),
            );
        }
        if let Some(ty) = ty
            && !ty.is_integer()
        {
            self.push(
                Finding::error(
                    "identity",
                    path.key("identity"),
                    format!(
                        "identity columns must be smallint, integer or bigint, not `{}`",
                        column.ty
                    ),
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

    /// The column's `references:`, and its `on_delete`/`on_update` actions, which need it.
    fn check_column_reference(&mut self, name: &str, column: &Column, path: &DocPath) {
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
    }

    fn check_column_rename(
        &mut self,
        table_name: &str,
        table: &Table,
        name: &str,
        old: &str,
        rename_path: &DocPath,
    ) {
        self.check_identifier(rename_path, old, "column");
        if old == name {
            self.push(
                Finding::error(
                    "rename",
                    rename_path.clone(),
                    format!("column `{name}` is renamed from itself"),
                )
                .hint("remove `renamed_from`"),
            );
        } else if table.columns.contains_key(old) {
            self.push(
                Finding::error(
                    "rename",
                    rename_path.clone(),
                    format!("`{old}` is still a column of `{table_name}`, so `{name}` cannot be renamed from it"),
                )
                .hint(format!("remove the column `{old}` or the `renamed_from`")),
            );
        }
    }

    pub(super) fn type_error(&mut self, path: &DocPath, written: &str, error: TypeError) {
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
    pub(super) fn check_reference(&mut self, path: &DocPath, reference: &str) {
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

    pub(super) fn bad_reference(&mut self, path: &DocPath, reference: &str) {
        self.push(
            Finding::error("reference", path.clone(), format!("`{reference}` is not a column reference"))
                .hint("write `table.column`, or `schema.table.column` for another schema (e.g. `auth.users.id`)"),
        );
    }

    pub(super) fn missing_table(&mut self, path: &DocPath, table: &str) {
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

    pub(super) fn missing_column(
        &mut self,
        path: &DocPath,
        table_name: &str,
        column: &str,
        table: &Table,
    ) {
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

    pub(super) fn check_column_list(
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
}

/// A table of this project, by a name that may be qualified with the project's schema.
pub(super) fn local_table<'f>(file: &'f ProjectFile, name: &str) -> Option<&'f Table> {
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
