//! Driving the schema engine from tests: a listener that says yes, a runtime, a desired state from
//! YAML, and requests run the way PostgREST runs them.

use appctl::deploy::DeployListener;
use appctl::model::Database;
use appctl::plan::{Plan, Step};
use appctl::project::file::ProjectFile;

use super::pg::PgServer;

/// Confirms every plan, prints nothing.
pub struct Yes;

impl DeployListener for Yes {
    fn waiting_for_lock(&mut self, _holder: &str) {}
    fn confirm(&mut self, _plan: &Plan) -> bool {
        true
    }
    fn step_done(&mut self, _step: &Step) {}
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The desired state of a project file given as YAML.
pub fn desired(yaml: &str) -> Database {
    let file: ProjectFile = serde_yaml_ng::from_str(yaml).expect("test project parses");
    appctl::lower::lower(&file)
}

/// Runs `sql` in database `db` as PostgREST runs a request: `SET ROLE` and `request.jwt.claims` in a
/// transaction (committed, or rolled back with `rollback`).
pub fn request(
    server: &PgServer,
    db: &str,
    role: &str,
    sub: Option<&str>,
    sql: &str,
    rollback: bool,
) -> Result<String, String> {
    let claims = match sub {
        Some(sub) => format!(r#"{{"role": "{role}", "sub": "{sub}"}}"#),
        None => format!(r#"{{"role": "{role}"}}"#),
    };
    let end = if rollback { "ROLLBACK" } else { "COMMIT" };
    server.try_psql(
        db,
        &format!(
            "BEGIN; SET LOCAL ROLE {role}; SELECT set_config('request.jwt.claims', '{claims}', true) \\gset\n{sql}; {end};"
        ),
    )
}

/// The last number psql printed (a count).
pub fn last_number(out: &str) -> i64 {
    out.lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or(-1)
}
