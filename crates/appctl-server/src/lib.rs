//! The services appctl runs inside a stack: the gateway ([`gateway`]), which routes the Supabase
//! paths and runs functions, and the services it serves itself: REST ([`rest`], PostgREST's API)
//! and auth ([`auth`], Supabase Auth's). Storage and realtime come here, each a module beside them,
//! all signing and checking tokens through [`jwt`].

pub mod auth;
pub mod gateway;
pub mod jwt;
pub mod rest;
