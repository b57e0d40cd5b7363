//! The local stack: the project's services as containers (`up`, `down`, `status`, `logs`) and as a
//! Compose file (`render compose`), both from one description ([`spec`]).

pub mod compose;
pub mod converge;
pub mod docker;
pub mod reconcile;
pub mod remote;
pub mod secrets;
pub mod spec;
pub mod ssh;
pub mod status;
pub mod template;
pub mod up;
