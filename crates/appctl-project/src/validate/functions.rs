//! Functions: sources, env names, schedules and timeouts.

use super::*;

impl Checker<'_> {
    pub(super) fn check_function(&mut self, name: &str, function: &Function) {
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
            if let crate::file::EnvValue::Text(text) = value {
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

    pub(super) fn check_env_name(&mut self, path: &DocPath, name: &str) {
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

    pub(super) fn check_cron(&mut self, path: &DocPath, schedule: &str) {
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

    pub(super) fn check_duration(&mut self, path: &DocPath, text: &str) {
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
}

/// A number out of its field's range in a five-field cron expression, e.g. hour 25: croner only says
/// "Number out of bounds".
pub(super) fn cron_field_problem(schedule: &str) -> Option<String> {
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
