//! The engine-neutral state of a backend: what the project file wants and what an instance has are the
//! same types, so a diff is a pure function of two values.

pub mod types;
