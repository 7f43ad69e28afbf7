#!/usr/bin/env python3
"""Checks the crate's import graph from its `crate::` paths (STYLE.md "Dependencies point
one way"): no circle between top-level modules, the hot path (bucket, snapshot, the client
API) names nothing of the control plane, and the pure modules name nothing with I/O.

Usage: scripts/check_imports.py [src-dir]    (exit 1 and a list of findings on failure)
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
CONTROL_PLANE = {"control", "store", "workflow", "config", "server", "cli"}
# Files of the hot path, and the top-level modules that are wholly hot path.
HOT_MODULES = {"bucket", "snapshot"}
HOT_FILES = {"http/client_api.rs", "http/client_service.rs"}
# Pure modules: no I/O, no clock, no runtime.
PURE_MODULES = {"bucket", "workflow"}
IO_PATHS = re.compile(r"\b(tokio|redis|redb|hyper|axum|std::(fs|net|io|time::(SystemTime|Instant)))\b")
CRATE_PATH = re.compile(r"\bcrate::(\w+)")
# `use crate::{a, b::c}` groups name several modules at once.
CRATE_GROUP = re.compile(r"\bcrate::\{([^}]*)\}", re.S)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def top_module(rel):
    first = rel.split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def referenced(text):
    names = set(CRATE_PATH.findall(text))
    for group in CRATE_GROUP.findall(text):
        names.update(re.findall(r"(?:^|,)\s*(\w+)", group))
    return names


def main():
    graph, findings = {}, []
    for root, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, SRC)
            if rel in ("lib.rs", "main.rs"):
                continue
            module = top_module(rel)
            text = strip_comments(open(path, encoding="utf-8").read())
            test_file = name == "tests.rs"
            names = referenced(text) - {module}
            graph.setdefault(module, set()).update(names)
            if module in HOT_MODULES or rel in HOT_FILES:
                for bad in sorted(names & CONTROL_PLANE):
                    findings.append(f"{rel}: the hot path uses crate::{bad}")
            if module in PURE_MODULES and not test_file:
                for m in sorted(set(IO_PATHS.findall(text)), key=str):
                    findings.append(f"{rel}: a pure module uses {m[0]}")
    findings += cycles(graph)
    for f in findings:
        print(f)
    edges = sum(len(v) for v in graph.values())
    print(f"{len(graph)} modules, {edges} edges: {'FAIL' if findings else 'ok'}")
    return 1 if findings else 0


def cycles(graph):
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == "open":
                found.append("circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


if __name__ == "__main__":
    sys.exit(main())
