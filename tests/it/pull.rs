//! `appctl pull` round trip: a database built by hand → pull → deploy into an empty database → both
//! inspect to the same state. And what the format cannot hold is listed, not dropped.

use std::path::Path;

use crate::support::engine::{Yes, runtime};
use crate::support::pg::PgServer;
use appctl::deploy::{self, DeployOptions};
use appctl::project::validate::Context;
use appctl::project::vars::Variables;

const HAND_WRITTEN: &str = r#"
create type status as enum ('draft', 'published', 'archived');
create table authors (
  id bigint generated always as identity primary key,
  email text not null unique,
  "Display Name" varchar(80),
  created_at timestamptz not null default now()
);
create table posts (
  id uuid primary key default gen_random_uuid(),
  author_id bigint not null references authors(id) on delete cascade,
  title text not null check (length(title) > 0),
  status status not null default 'draft',
  tags text[] not null default '{}',
  body jsonb,
  score numeric(6,2) default 0,
  words integer generated always as (coalesce(length(title), 0)) stored
);
create table post_links (
  from_post uuid not null,
  to_post uuid,
  kind text not null default 'see-also',
  constraint post_links_pkey primary key (from_post, kind),
  constraint post_links_from_post_fkey foreign key (from_post) references posts(id),
  constraint linked_target foreign key (to_post) references posts(id) on delete set null on update cascade
);
create index posts_author_id_idx on posts (author_id);
create index posts_recent on posts (author_id, status desc nulls last) include (title) where status <> 'archived';
create index posts_tags_idx on posts using gin (tags);
create index authors_email_pattern on authors (email text_pattern_ops);
comment on table posts is 'Blog posts';
comment on column posts.title is 'Shown in lists';
alter table authors enable row level security;
alter table posts enable row level security;
alter table post_links enable row level security;
create view published as select * from posts where status = 'published';
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger posts_touch before update on posts for each row execute function touch();
"#;

#[test]
fn pull_then_deploy_elsewhere_gives_the_same_state() {
    let server = PgServer::start();
    let source = server.create_database("pull_source");
    let target = server.create_database("pull_target");
    server.psql("pull_source", HAND_WRITTEN);

    let runtime = runtime();
    runtime.block_on(async {
        let mut conn = deploy::connect(&source, "pull test").await.unwrap();
        let inspection = appctl::inspect::inspection(&mut conn, "public")
            .await
            .unwrap();
        let pulled = appctl::pull::pull(&inspection.database, "blog", &inspection.unsupported);
        let yaml = appctl::pull::to_yaml(&pulled.file).unwrap();

        // What the file cannot express is listed.
        let notes: Vec<&str> = pulled.unexpressed.iter().map(|u| u.what.as_str()).collect();
        assert!(
            notes.iter().any(|n| n.contains("view published")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("trigger posts_touch")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("function touch")),
            "{notes:?}"
        );

        // The pulled file is a valid project file.
        let dir = tempfile::tempdir().unwrap();
        let context = Context {
            project_dir: dir.path(),
            variables: &Variables::default(),
            environment: None,
        };
        let (file, _, report) =
            appctl::project::check_source(Path::new("appctl.yaml"), &yaml, &context);
        assert!(!report.has_errors(), "{}\n{yaml}", report.render(false));
        let file = file.unwrap();

        let desired = appctl::lower::lower(&file);
        let mut target_conn = deploy::connect(&target, "pull test").await.unwrap();
        deploy::deploy(
            &mut target_conn,
            &desired,
            None,
            &DeployOptions::default(),
            &mut Yes,
        )
        .await
        .unwrap();
        let mut rebuilt = appctl::inspect::inspect(&mut target_conn, "public")
            .await
            .unwrap();
        let mut original = inspection.database.clone();
        original.managed.clear();
        rebuilt.managed.clear();
        // Views and the like are named by pull, not written (the view `published` stays behind).
        original.other_relations.clear();
        assert_eq!(original, rebuilt, "pulled file:\n{yaml}");

        // Adopting: deploying the pulled file onto the source changes nothing.
        let plan = deploy::make_plan(&mut conn, &desired, false).await.unwrap();
        assert!(
            plan.is_empty(),
            "{:?}",
            plan.steps
                .iter()
                .map(|s| (&s.object, &s.detail))
                .collect::<Vec<_>>()
        );
    });
}

/// Deployed functions come back with `pull -o`: their definitions from the records (env values as
/// `${NAME}`), their sources unpacked from the deployed packages, and a plan of the pulled project
/// against the database it came from is empty, function versions included.
#[test]
fn pull_writes_deployed_functions_and_their_sources() {
    let server = PgServer::start();
    let url = server.create_database("with_functions");
    let source = tempfile::tempdir().unwrap();
    let dir = source.path();
    std::fs::create_dir_all(dir.join("code/lib")).unwrap();
    std::fs::write(dir.join("code/index.js"), "require('./lib/answer.js');\n").unwrap();
    std::fs::write(dir.join("code/lib/answer.js"), "module.exports = 42;\n").unwrap();
    std::fs::write(dir.join(".env"), "MODEL=gpt-never-pulled\n").unwrap();
    std::fs::write(
        dir.join("appctl.yaml"),
        "version: 1\nproject: fns\nfunctions:\n  answer:\n    runtime: node-20\n    source: code\n    \
         entrypoint: index.js\n    env: { MODEL: \"${MODEL}\" }\n    timeout: 90s\n    memory: 64MiB\n    \
         schedule: \"*/5 * * * *\"\n    execute: [users, service]\n",
    )
    .unwrap();
    let appctl = |cwd: &Path, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_appctl"))
            .args(args)
            .current_dir(cwd)
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = appctl(
        dir,
        &["deploy", "--yes", "--bootstrap", "--database-url", &url],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let pulled_dir = tempfile::tempdir().unwrap();
    let target = pulled_dir.path().join("appctl.yaml");
    let out = appctl(
        pulled_dir.path(),
        &[
            "pull",
            "--database-url",
            &url,
            "--name",
            "fns",
            "-o",
            "appctl.yaml",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Wrote functions/answer/ (2 files"),
        "{stderr}"
    );
    let yaml = std::fs::read_to_string(&target).unwrap();
    assert!(yaml.contains("source: functions/answer"), "{yaml}");
    assert!(yaml.contains("MODEL: ${MODEL}"), "{yaml}");
    assert!(!yaml.contains("gpt-never-pulled"), "{yaml}");
    assert!(yaml.contains("schedule: '*/5 * * * *'"), "{yaml}");
    for file in ["index.js", "lib/answer.js"] {
        assert_eq!(
            std::fs::read(pulled_dir.path().join("functions/answer").join(file)).unwrap(),
            std::fs::read(dir.join("code").join(file)).unwrap(),
            "{file}"
        );
    }

    // The pulled project plans nothing against its database: the same version, config and env names.
    std::fs::write(pulled_dir.path().join(".env"), "MODEL=other\n").unwrap();
    let out = appctl(pulled_dir.path(), &["plan", "--database-url", &url]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A second pull does not write over the sources without --force.
    let again = appctl(
        pulled_dir.path(),
        &[
            "pull",
            "--database-url",
            &url,
            "--name",
            "fns",
            "-o",
            "again.yaml",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}
