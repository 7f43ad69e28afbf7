//! The operator console (SPEC §12, issue 15) against the real binary:
//! - `api`: what the console reads besides SPEC §4: `GET /v1/admin/whoami` for every
//!   token, and the served split over time (`GET /v1/admin/releases/{id}/served`);
//! - `assets`: `/console/` on the admin listener only, with its content types, cache
//!   headers and the strict Content-Security-Policy;
//! - `browser`: Debian's real Chromium, headless, driven through chromedriver: log in,
//!   take a release from `release_preparation` through grayscale 5 % to full with the
//!   buttons, refusals, history, the split chart, the role rules for buttons, and a
//!   config value `<script>` that shows as text; no browser console errors throughout;
//! - `platform`: SPEC §11 in the browser: a suspension listed on the landing view and
//!   bannered on its releases' pages until it is lifted.

#[path = "console/api.rs"]
mod api;
#[path = "console/assets.rs"]
mod assets;
#[path = "console/browser.rs"]
mod browser;
mod common;
#[path = "console/driver.rs"]
mod driver;
#[path = "console/platform.rs"]
mod platform;
#[path = "console/support.rs"]
mod support;
