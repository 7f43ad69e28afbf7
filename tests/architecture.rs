//! The crate's import graph, read from its `crate::` paths (STYLE.md "Dependencies point
//! one way"): no circle between top-level modules, the hot path (bucket, snapshot, the
//! client API) names nothing of the control plane, and the pure modules (bucket,
//! guard, workflow) name nothing with I/O or a clock.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use regex::Regex;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
const CONTROL_PLANE: [&str; 6] = ["control", "store", "workflow", "config", "server", "cli"];
const HOT_MODULES: [&str; 2] = ["bucket", "snapshot"];
const HOT_FILES: [&str; 4] = [
    "http/attributes.rs",
    "http/client_api.rs",
    "http/client_service.rs",
    "http/report.rs",
];
const PURE_MODULES: [&str; 3] = ["bucket", "guard", "workflow"];

/// Every `.rs` file under `dir`, as (path relative to `src/`, text without comments).
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry"))
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(SRC).expect("under src");
            let text = fs::read_to_string(&path).expect("read a source file");
            let code: Vec<&str> = text
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect();
            out.push((rel.to_string_lossy().into_owned(), code.join("\n")));
        }
    }
}

/// The top-level modules a file names: `crate::x` and `crate::{x, y::z}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let single = Regex::new(r"\bcrate::(\w+)").expect("regex");
    let group = Regex::new(r"(?s)\bcrate::\{([^}]*)\}").expect("regex");
    let first = Regex::new(r"(?:^|,)\s*(\w+)").expect("regex");
    let mut names: BTreeSet<String> = single
        .captures_iter(code)
        .map(|c| c[1].to_string())
        .collect();
    for g in group.captures_iter(code) {
        names.extend(first.captures_iter(&g[1]).map(|c| c[1].to_string()));
    }
    names
}

fn top_module(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.trim_end_matches(".rs").to_string()
}

/// The module graph and every finding about single files.
fn graph_and_findings() -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let mut files = Vec::new();
    sources(Path::new(SRC), &mut files);
    let io = Regex::new(
        r"\b(tokio|redis|redb|hyper|axum|std::(fs|net|io|time::(SystemTime|Instant)))\b",
    )
    .expect("regex");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut findings = Vec::new();
    for (rel, code) in &files {
        if rel == "lib.rs" || rel == "main.rs" {
            continue;
        }
        let module = top_module(rel);
        let mut names = named_modules(code);
        names.remove(&module);
        let hot = HOT_MODULES.contains(&module.as_str()) || HOT_FILES.contains(&rel.as_str());
        for bad in names
            .iter()
            .filter(|n| hot && CONTROL_PLANE.contains(&n.as_str()))
        {
            findings.push(format!("{rel}: the hot path uses crate::{bad}"));
        }
        let is_test = rel.ends_with("tests.rs");
        if PURE_MODULES.contains(&module.as_str()) && !is_test {
            for m in io.find_iter(code) {
                findings.push(format!("{rel}: a pure module uses {}", m.as_str()));
            }
        }
        graph.entry(module).or_default().extend(names);
    }
    (graph, findings)
}

/// A circle through `node`, if the graph has one reachable from it.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>) -> Option<String> {
    let node = path.last().cloned().unwrap_or_default();
    for next in graph.get(&node).into_iter().flatten() {
        if let Some(at) = path.iter().position(|p| p == next) {
            return Some(format!("{} -> {next}", path[at..].join(" -> ")));
        }
        if graph.contains_key(next) {
            path.push(next.clone());
            if let Some(found) = circle(graph, path) {
                return Some(found);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn dependencies_point_one_way_and_the_hot_path_stays_apart() {
    let (graph, mut findings) = graph_and_findings();
    assert!(graph.len() >= 10, "found the modules: {:?}", graph.keys());
    for start in graph.keys() {
        if let Some(c) = circle(&graph, &mut vec![start.clone()]) {
            findings.push(format!("circle: {c}"));
            break;
        }
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

#[test]
fn the_check_sees_what_it_looks_for() {
    let names =
        named_modules("use crate::{model::Status, control};\nlet x = crate::store::open();");
    let expected: BTreeSet<String> = ["model", "control", "store"].map(String::from).into();
    assert_eq!(names, expected);
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        circle(&graph, &mut vec!["a".into()]).as_deref(),
        Some("a -> b -> a")
    );
}
