//! Plan tables (filled in by the plan oracle work).
