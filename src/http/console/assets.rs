//! The console's files, embedded at build time from `console/` (no build step: plain ES
//! modules and style sheets, and uPlot vendored from npm with its licence).

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// One embedded file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

impl Asset {
    /// A strong validator from the content: it changes exactly when the file does.
    pub fn etag(&self) -> String {
        format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(self.bytes))
    }
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/", $name)),
        }
    };
}

/// The page itself, at `/console/`.
pub const INDEX: &Asset = &asset!("index.html", HTML);

/// Everything the page loads, at `/console/{name}`.
static FILES: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("console.css", CSS),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("landing.js", JS),
    asset!("release.js", JS),
    asset!("panels.js", JS),
    asset!("actions.js", JS),
    asset!("chart.js", JS),
    asset!("suspensions.js", JS),
    asset!("uplot.esm.js", JS),
    asset!("uplot.min.css", CSS),
    asset!("uplot.LICENSE", TEXT),
];

/// The file called `name`, if the console has one.
pub fn find(name: &str) -> Option<&'static Asset> {
    FILES.iter().find(|a| a.name == name)
}
