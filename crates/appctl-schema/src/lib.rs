//! The schema engine, pure: no I/O. A checked project file is lowered to the engine-neutral
//! [`model`] ([`lower`], with [`permissions`]), diffed against another state ([`diff`]), ordered
//! into a plan with its hazards ([`plan`]) and rendered to SQL ([`render`], quoting in [`quote`]).
//! Connecting to a database and inspecting it is `appctl-pg`'s job, the next stage.

pub mod access;
pub mod bootstrap;
pub mod changes;
pub mod diff;
pub mod functions;
pub mod lower;
pub mod model;
pub mod names;
pub mod permissions;
pub mod plan;
pub mod plan_output;
pub mod pull;
pub mod quote;
pub mod render;
