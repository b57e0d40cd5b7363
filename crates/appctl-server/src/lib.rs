//! The services appctl runs inside a stack. Today the gateway ([`gateway`]): it routes the Supabase
//! paths and runs functions. REST, auth, storage and realtime come here, each a module beside it,
//! all signing and checking tokens through [`jwt`].

pub mod gateway;
pub mod jwt;
