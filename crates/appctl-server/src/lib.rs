//! The services appctl runs inside a stack: the gateway ([`gateway`]), which routes the Supabase
//! paths and runs functions, and the REST service ([`rest`], PostgREST's API; not yet wired into
//! the gateway). Auth, storage and realtime come here, each a module beside them, all signing and
//! checking tokens through [`jwt`].

pub mod gateway;
pub mod jwt;
pub mod rest;
