//! A minimal W3C WebDriver client over plain HTTP/1.1 (std only), enough to
//! drive the real app through `tauri-driver` and WebKitWebDriver: start a
//! session, find elements, read text and values, click, type, screenshot.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A WebDriver session.
pub struct Driver {
    port: u16,
    session: String,
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    // A connection the driver dropped before answering at all: try once more.
    match exchange(port, method, path, body) {
        Err(e) if e == NO_RESPONSE => exchange(port, method, path, body),
        other => other,
    }
}

const NO_RESPONSE: &str = "the driver closed the connection without an answer";

fn exchange(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    // Read the head, then exactly the body it announces.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(NO_RESPONSE.into());
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let have = raw.len() - head_end;
        let complete = match length {
            Some(n) => have >= n,
            None if chunked => raw.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&raw[head_end..]).into_owned();
    let body = if chunked { dechunk(&text) } else { text };
    let v: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    if let Some(err) = v["value"]["error"].as_str() {
        return Err(format!("{err}: {}", v["value"]["message"]));
    }
    Ok(v["value"].clone())
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

impl Driver {
    /// Start the application through the driver on `port`.
    pub fn start(port: u16, application: &std::path::Path) -> Result<Driver, String> {
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": { "application": application.to_string_lossy() }
                }
            }
        });
        let v = http(port, "POST", "/session", Some(&caps))?;
        let session = v["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {v}"))?
            .to_string();
        Ok(Driver { port, session })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )
    }

    /// The first element matching `css`, if any.
    pub fn find(&self, css: &str) -> Option<String> {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .ok()?;
        v.as_object()?.values().next()?.as_str().map(str::to_string)
    }

    /// Wait (bounded) until `css` matches and `pred` holds for its text.
    pub fn wait_text(&self, css: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Some(el) = self.find(css) {
                if let Ok(t) = self.call("GET", &format!("/element/{el}/text"), None) {
                    last = t.as_str().unwrap_or("").to_string();
                    if pred(&last) {
                        return last;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let source = self.source();
        panic!(
            "{css}: no matching text within {limit:?} (last: {last:?}); page: {}",
            &source[..source.len().min(3000)]
        );
    }

    /// The page's HTML (for failure messages).
    pub fn source(&self) -> String {
        self.call("GET", "/source", None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Wait (bounded) for an element.
    pub fn wait(&self, css: &str, limit: Duration) -> String {
        Self::wait_for(css, limit, || self.find(css))
    }

    /// Wait (bounded) for an element matching an XPath expression.
    pub fn wait_xpath(&self, xpath: &str, limit: Duration) -> String {
        Self::wait_for(xpath, limit, || self.find_xpath(xpath))
    }

    fn wait_for(what: &str, limit: Duration, find: impl Fn() -> Option<String>) -> String {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(el) = find() {
                return el;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("{what}: not found within {limit:?}");
    }

    /// A property of an element (`value`, `checked`).
    pub fn property(&self, el: &str, name: &str) -> Value {
        self.call("GET", &format!("/element/{el}/property/{name}"), None)
            .unwrap_or(Value::Null)
    }

    /// Click an element whose click may close its own window (the answer
    /// may never come back), by script so the click itself cannot be lost.
    pub fn click_closing(&self, el: &str) {
        let element = json!({"element-6066-11e4-a52e-4f735466cecf": el});
        let _ = self.call(
            "POST",
            "/execute/async",
            Some(json!({
                "script": "const [e, done] = arguments; setTimeout(() => e.click(), 0); done(true);",
                "args": [element]
            })),
        );
    }

    /// Click an element.
    pub fn click(&self, el: &str) {
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})))
            .unwrap_or_else(|e| panic!("click: {e}"));
    }

    /// The first element matching an XPath expression, if any.
    pub fn find_xpath(&self, xpath: &str) -> Option<String> {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "xpath", "value": xpath})),
            )
            .ok()?;
        v.as_object()?.values().next()?.as_str().map(str::to_string)
    }

    /// Set an input's value as typing would (an `input` event follows), by
    /// script: WebKitWebDriver's key sending dropped connections here now and then.
    pub fn type_into(&self, el: &str, text: &str) {
        let script = "const [e, t] = arguments; e.focus(); e.value = t; \
                      e.dispatchEvent(new Event('input', { bubbles: true })); return e.value;";
        let element = json!({"element-6066-11e4-a52e-4f735466cecf": el});
        let v = self
            .call(
                "POST",
                "/execute/sync",
                Some(json!({"script": script, "args": [element, text]})),
            )
            .unwrap_or_else(|e| panic!("type: {e}"));
        assert_eq!(v.as_str(), Some(text), "the input did not take the text");
    }

    /// Run a script in the page and return its value.
    pub fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .unwrap_or(Value::Null)
    }

    /// The open windows' handles.
    pub fn windows(&self) -> Vec<String> {
        self.call("GET", "/window/handles", None)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|h| h.as_str().map(str::to_string))
            .collect()
    }

    /// The current window's handle.
    pub fn window(&self) -> String {
        self.call("GET", "/window", None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Make `handle` the window the next commands talk to.
    pub fn switch_to(&self, handle: &str) {
        self.call("POST", "/window", Some(json!({"handle": handle})))
            .unwrap_or_else(|e| panic!("switch window: {e}"));
    }

    /// Wait (bounded) for a window other than `known`; switch to it.
    pub fn switch_to_new_window(&self, known: &[String], limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(h) = self.windows().into_iter().find(|h| !known.contains(h)) {
                self.switch_to(&h);
                return h;
            }
            assert!(Instant::now() < deadline, "no new window within {limit:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let v = self
            .call("GET", "/screenshot", None)
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .unwrap_or_else(|e| panic!("screenshot is not base64: {e}"))
    }

    /// End the session (the driver closes the app).
    pub fn end(&self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}
