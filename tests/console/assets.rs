//! `/console/` as a browser loads it: on the admin listener only, every file with its
//! content type, revalidation headers and the strict Content-Security-Policy, and page
//! code that never turns a value into markup.

use std::collections::BTreeSet;

use regex::Regex;

use crate::common::{Gateway, Options};

/// The console's own scripts (uPlot, vendored, is not ours to lint).
const OURS: [&str; 9] = [
    "app.js",
    "api.js",
    "dom.js",
    "landing.js",
    "release.js",
    "panels.js",
    "actions.js",
    "chart.js",
    "suspensions.js",
];

fn assert_console_headers(gw: &Gateway, path: &str, content_type: &str) -> String {
    let reply = gw.admin("GET", path).send().expect(200);
    assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
    assert_eq!(reply.header("cache-control"), Some("no-cache"), "{path}");
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{path}"
    );
    let csp = reply.header("content-security-policy").unwrap_or_default();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{path}: {csp:?} lacks {part}");
    }
    assert!(!csp.contains("unsafe"), "{path}: {csp:?}");
    assert!(reply.header("set-cookie").is_none(), "{path}: no cookies");
    let etag = reply.header("etag").unwrap_or_default().to_string();
    assert!(etag.starts_with('"'), "{path}: an ETag, got {etag:?}");
    gw.admin("GET", path)
        .header("if-none-match", &etag)
        .send()
        .expect(304);
    reply.text
}

#[test]
fn the_console_is_served_on_the_admin_listener_with_strict_headers() {
    let gw = Gateway::start(Options::default());
    let redirect = gw.admin("GET", "/console").send().expect(308);
    assert_eq!(redirect.header("location"), Some("/console/"));
    let page = assert_console_headers(&gw, "/console/", "text/html; charset=utf-8");
    let js = "text/javascript; charset=utf-8";
    let mut scripts = BTreeSet::new();
    for file in OURS.iter().chain(&["uplot.esm.js"]) {
        let text = assert_console_headers(&gw, &format!("/console/{file}"), js);
        scripts.insert((file.to_string(), text));
    }
    for (file, content_type) in [
        ("console.css", "text/css; charset=utf-8"),
        ("uplot.min.css", "text/css; charset=utf-8"),
        ("uplot.LICENSE", "text/plain; charset=utf-8"),
    ] {
        assert_console_headers(&gw, &format!("/console/{file}"), content_type);
    }
    // Everything the page and its modules load is there.
    let reference = Regex::new(r##"(?:src|href)="([^"#:]+)"|from '\./([^']+)'"##).expect("regex");
    let texts = std::iter::once(page.clone()).chain(scripts.iter().map(|(_, t)| t.clone()));
    for text in texts {
        for c in reference.captures_iter(&text) {
            let file = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
            gw.admin("GET", &format!("/console/{file}"))
                .send()
                .expect(200);
        }
    }
    // Only the embedded files, and only on the admin listener.
    let missing = [
        gw.admin("GET", "/console/nope.js"),
        gw.admin("GET", "/console/..%2fCargo.toml"),
        gw.client("GET", "/console/"),
        gw.client("GET", "/console/app.js"),
    ];
    for call in missing {
        call.send().expect_error(404, "no_route");
    }
}

#[test]
fn the_page_has_no_inline_script_and_the_scripts_never_write_markup() {
    let gw = Gateway::start(Options::default());
    let page = gw.admin("GET", "/console/").send().expect(200).text;
    let script_tags = Regex::new(r"<script[^>]*>").expect("regex");
    for tag in script_tags.find_iter(&page) {
        assert!(
            tag.as_str().contains("src="),
            "an inline script: {}",
            tag.as_str()
        );
    }
    assert!(
        !Regex::new(r"\son[a-z]+=").expect("regex").is_match(&page),
        "an inline handler"
    );
    assert!(!page.contains("style="), "an inline style");
    for file in OURS {
        let text = gw
            .admin("GET", &format!("/console/{file}"))
            .send()
            .expect(200)
            .text;
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "window.confirm",
            "localStorage.set",
            "document.cookie",
        ] {
            assert!(!text.contains(sink), "{file} uses {sink}");
        }
    }
}
