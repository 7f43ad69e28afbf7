//! Table-driven and property tests of the workflow (written by a helper).
