//! Debian's Chromium, headless, driven through its chromedriver with `fantoccini`, behind
//! a small blocking API so the tests read like what an operator does. Each [`Browser`]
//! has its own chromedriver on a free port and its own profile directory; the browser
//! console is read through chromedriver's log endpoint (`goog:loggingPrefs`), which sees
//! script errors, CSP violations and failed loads from the first byte of every page.
//!
//! Browser tests take [`Browser::start`]'s lock: two Chromiums at once only slow each
//! other down on a small machine.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::{Value, json};

use crate::common::skip;

/// How long a wait for the page may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Whether Chromium and chromedriver are installed. In CI (`CI=true`) they must be:
/// a missing browser fails the test; elsewhere the test is skipped, visibly.
pub fn available(test: &str) -> bool {
    let runs = |name: &str| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let found = runs("chromedriver") && browser_binary().is_some();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "chromium and chromium-driver must be installed in CI (.ci/run installs them)"
        );
        skip(
            test,
            "chromium or chromedriver is not installed (apt-get install chromium chromium-driver)",
        );
    }
    found
}

/// The browser binary itself: Debian's `/usr/bin/chromium` is a wrapper script.
fn browser_binary() -> Option<&'static str> {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A headless Chromium session.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    driver_url: String,
    session: String,
    _profile: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

fn capabilities(profile: &Path) -> serde_json::Map<String, Value> {
    let args = [
        "--headless=new".to_string(),
        "--no-sandbox".to_string(),
        "--disable-gpu".to_string(),
        "--disable-dev-shm-usage".to_string(),
        "--no-first-run".to_string(),
        "--window-size=1280,1800".to_string(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": browser_binary(), "args": args },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    caps.as_object().cloned().unwrap_or_default()
}

impl Browser {
    /// Starts chromedriver and a browser session.
    pub fn start() -> Browser {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver_url = format!("http://127.0.0.1:{port}");
        wait_until_ready(&driver_url);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the WebDriver client");
        let profile = tempfile::tempdir().expect("a browser profile directory");
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = runtime
            .block_on(
                ClientBuilder::new(connector)
                    .capabilities(capabilities(profile.path()))
                    .connect(&driver_url),
            )
            .expect("a chromedriver session");
        let session = runtime
            .block_on(client.session_id())
            .ok()
            .flatten()
            .expect("a session id");
        Browser {
            runtime,
            client: Some(client),
            driver,
            driver_url,
            session,
            _profile: profile,
            _turn: turn,
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a live session")
    }

    fn run<T>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> T {
        self.runtime
            .block_on(f)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    pub fn goto(&self, url: &str) {
        self.run("goto", self.client().goto(url));
    }

    /// Runs `script` in the page (WebDriver's execute: not subject to the page's CSP).
    pub fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.run("execute", self.client().execute(script, args))
    }

    /// Every element matching `css` now.
    pub fn all(&self, css: &str) -> Vec<Element> {
        self.run("find_all", self.client().find_all(Locator::Css(css)))
    }

    /// Waits until `probe` answers `Some`, polling; fails naming `what`.
    #[track_caller]
    pub fn until<T>(&self, what: &str, mut probe: impl FnMut(&Browser) -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(value) = probe(self) {
                return value;
            }
            if started.elapsed() > WAIT {
                let text = self.script("return document.body.innerText", vec![]);
                panic!(
                    "{what}: not within {WAIT:?}; the page shows:\n{}",
                    text.as_str().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The first visible element with `data-testid` `id`, waiting for it.
    #[track_caller]
    pub fn testid(&self, id: &str) -> Element {
        let css = format!("[data-testid=\"{id}\"]");
        self.until(&format!("an element {css}"), |b| b.visible(&css))
    }

    fn visible(&self, css: &str) -> Option<Element> {
        let elements = self
            .runtime
            .block_on(self.client().find_all(Locator::Css(css)))
            .ok()?;
        elements
            .into_iter()
            .find(|e| self.runtime.block_on(e.is_displayed()).unwrap_or(false))
    }

    /// Clicks the element with `data-testid` `id` once it is there.
    #[track_caller]
    pub fn click(&self, id: &str) {
        let element = self.testid(id);
        self.run(&format!("click {id}"), element.click());
    }

    /// Types `text` into the (cleared) field with `data-testid` `id`.
    #[track_caller]
    pub fn fill(&self, id: &str, text: &str) {
        let element = self.testid(id);
        self.run("clear", element.clear());
        self.run(&format!("type into {id}"), element.send_keys(text));
    }

    /// Picks `value` in the select with `data-testid` `id`.
    #[track_caller]
    pub fn select(&self, id: &str, value: &str) {
        let element = self.testid(id);
        self.run(
            &format!("select {value} in {id}"),
            element.select_by_value(value),
        );
    }

    /// The text of the element with `data-testid` `id`.
    #[track_caller]
    pub fn text(&self, id: &str) -> String {
        let element = self.testid(id);
        self.run("text", element.text())
    }

    /// Waits until the element with `data-testid` `id` has attribute `name` = `value`.
    #[track_caller]
    pub fn wait_attr(&self, id: &str, name: &str, value: &str) {
        let css = format!("[data-testid=\"{id}\"][{name}=\"{value}\"]");
        self.until(&format!("{id} with {name}={value}"), |b| b.visible(&css));
    }

    /// How many elements match `css` now.
    pub fn count(&self, css: &str) -> usize {
        self.all(css).len()
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        self.run("screenshot", self.client().screenshot())
    }

    /// The browser console since the last call (chromedriver's `browser` log), as
    /// (level, message) pairs.
    pub fn console(&self) -> Vec<(String, String)> {
        let url = format!("{}/session/{}/se/log", self.driver_url, self.session);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let reply = agent.post(&url).send_json(json!({"type": "browser"}));
        let body: Value = reply
            .ok()
            .and_then(|mut r| r.body_mut().read_json().ok())
            .unwrap_or_default();
        let entries = body["value"].as_array().cloned();
        let entries = entries.unwrap_or_else(|| panic!("chromedriver's browser log: {body}"));
        entries
            .iter()
            .map(|e| {
                let level = e["level"].as_str().unwrap_or_default().to_string();
                (level, e["message"].as_str().unwrap_or_default().to_string())
            })
            .collect()
    }

    /// Fails on any console error or warning except failed loads of the admin API
    /// answering one of `expected` statuses (the refusals a test provokes on purpose,
    /// which Chromium logs as failed resource loads). Returns everything it read.
    #[track_caller]
    pub fn assert_quiet_console(&self, expected: &[u16]) -> Vec<(String, String)> {
        let all = self.console();
        let unexpected: Vec<&(String, String)> = all
            .iter()
            .filter(|(level, _)| level == "SEVERE" || level == "WARNING")
            .filter(|(_, message)| {
                let provoked = message.contains("/v1/admin/")
                    && expected
                        .iter()
                        .any(|s| message.contains(&format!("status of {s} ")));
                !provoked
            })
            .collect();
        assert!(unexpected.is_empty(), "browser console: {unexpected:#?}");
        all
    }
}

fn wait_until_ready(url: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let started = Instant::now();
    while started.elapsed() < WAIT {
        if agent.get(&format!("{url}/status")).call().is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromedriver did not answer at {url} within {WAIT:?}");
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
