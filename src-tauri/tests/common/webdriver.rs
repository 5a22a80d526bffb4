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
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP body")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
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
    pub fn start(port: u16, application: &str) -> Result<Driver, String> {
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": { "application": application }
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
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(el) = self.find(css) {
                return el;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("{css}: not found within {limit:?}");
    }

    /// A property of an element (`value`, `checked`).
    pub fn property(&self, el: &str, name: &str) -> Value {
        self.call("GET", &format!("/element/{el}/property/{name}"), None)
            .unwrap_or(Value::Null)
    }

    /// Click an element.
    pub fn click(&self, el: &str) {
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})))
            .unwrap_or_else(|e| panic!("click: {e}"));
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
    pub fn quit(self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}
