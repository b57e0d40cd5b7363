//! The session every archive connection starts with.

/// Session settings that make every value's text output exact and the same on every server.
pub const SESSION_SQL: &str = "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC'; \
     SET extra_float_digits = 1; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'";
