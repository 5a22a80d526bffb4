//! The TypeScript side of the commands and events, generated from Rust: the
//! UI imports `ui/src/bindings.ts`, which a test here renders from the
//! command table ([`crate::commands::signatures`]) and the types' `ts-rs`
//! declarations, and compares with the committed file. After changing a
//! command or a type: `UPDATE_BINDINGS=1 cargo test -p latchkey-app bindings`.

use ts_rs::TS;

pub use crate::ts_types::{collect, config, Signature};

use crate::events::{
    self, DeepLink, Notice, PrintArrived, Refused, SessionEnded, SessionPermissions,
    TransferProgress,
};
use crate::first_run::StoreProblem;

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `ErrorCode` as a value too, one key per Rust variant, so the UI branches
/// on `ErrorCode.WrongCredentials` rather than on a string.
fn render_error_codes() -> String {
    let mut s = String::from(
        "\n/** Every `ErrorCode` by its Rust name: branch on these, not on strings. */\n\
         export const ErrorCode = {\n",
    );
    for code in latchkey_core::ErrorCode::ALL {
        s.push_str(&format!(
            "  {}: \"{}\",\n",
            pascal(code.name()),
            code.name()
        ));
    }
    s.push_str("} as const satisfies Record<string, ErrorCode>;\n");
    s
}

fn pascal(snake: &str) -> String {
    let camel = camel(snake);
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => camel,
    }
}

/// The whole `ui/src/bindings.ts`.
pub fn render() -> String {
    let cfg = config();
    let mut s = String::from(
        "// Generated from the Rust side by src-tauri/src/bindings.rs: do not edit.\n\
         // Regenerate with: UPDATE_BINDINGS=1 cargo test -p latchkey-app bindings\n\
         /* eslint-disable */\n\n\
         import { invoke as TAURI_INVOKE } from \"@tauri-apps/api/core\";\n\n\
         export type Result<T, E> =\n  | { status: \"ok\"; data: T }\n  | { status: \"error\"; error: E };\n\n\
         async function call<T>(cmd: string, args: Record<string, unknown>): Promise<Result<T, AppError>> {\n\
         \x20 try {\n\
         \x20   return { status: \"ok\", data: await TAURI_INVOKE<T>(cmd, args) };\n\
         \x20 } catch (e) {\n\
         \x20   if (e instanceof Error) throw e;\n\
         \x20   return { status: \"error\", error: e as AppError };\n\
         \x20 }\n\
         }\n\n\
         export const commands = {\n",
    );
    for sig in crate::commands::signatures(&cfg) {
        let params: Vec<String> = sig
            .args
            .iter()
            .map(|(n, t)| format!("{}: {t}", camel(n)))
            .collect();
        let keys: Vec<String> = sig.args.iter().map(|(n, _)| camel(n)).collect();
        s.push_str(&format!(
            "  async {}({}): Promise<Result<{}, AppError>> {{\n    return call(\"{}\", {});\n  }},\n",
            camel(sig.name),
            params.join(", "),
            sig.result,
            sig.name,
            if keys.is_empty() {
                "{}".to_string()
            } else {
                format!("{{ {} }}", keys.join(", "))
            }
        ));
    }
    s.push_str("};\n\n");
    s.push_str(&render_event_names());
    s.push_str(&render_error_codes());
    let mut decls = crate::commands::declarations(&cfg);
    declare_events(&cfg, &mut decls);
    decls.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, decl) in decls {
        s.push('\n');
        s.push_str(&decl);
        s.push('\n');
    }
    s
}

/// Declare the events' payload types.
fn declare_events(cfg: &ts_rs::Config, out: &mut Vec<(String, String)>) {
    collect::<DeepLink>(cfg, out);
    collect::<Refused>(cfg, out);
    collect::<SessionEnded>(cfg, out);
    collect::<SessionPermissions>(cfg, out);
    collect::<Notice>(cfg, out);
    collect::<StoreProblem>(cfg, out);
    collect::<TransferProgress>(cfg, out);
    collect::<PrintArrived>(cfg, out);
}

/// The event names and payload types for the bindings.
fn render_event_names() -> String {
    let cfg = config();
    let rows = [
        (events::STATUS_CHANGED, crate::commands::status_type(&cfg)),
        (
            events::REQUESTS_CHANGED,
            crate::commands::requests_type(&cfg),
        ),
        (events::DEEP_LINK, DeepLink::name(&cfg)),
        (events::DEEP_LINK_REFUSED, Refused::name(&cfg)),
        (events::SESSION_ENDED, SessionEnded::name(&cfg)),
        (events::SESSION_PERMISSIONS, SessionPermissions::name(&cfg)),
        (events::NOTICE, Notice::name(&cfg)),
        (
            events::STORE_PROBLEM,
            <Option<StoreProblem> as TS>::name(&cfg),
        ),
        (events::FILE_TRANSFER, TransferProgress::name(&cfg)),
        (events::PRINT_ARRIVED, PrintArrived::name(&cfg)),
    ];
    let mut s = String::from(
        "/** Events from the Rust side: name -> payload. */\nexport type EventPayloads = {\n",
    );
    for (name, ty) in &rows {
        s.push_str(&format!("  {name}: {ty};\n"));
    }
    s.push_str("};\n\nexport const EVENTS = {\n");
    for (name, _) in &rows {
        s.push_str(&format!("  {name}: \"{name}\",\n"));
    }
    s.push_str("} as const;\n");
    s
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn camel_case_names() {
        assert_eq!(super::camel("get_status"), "getStatus");
        assert_eq!(super::camel("copy_from"), "copyFrom");
        assert_eq!(super::camel("x"), "x");
        assert_eq!(
            super::pascal("second_factor_invalid"),
            "SecondFactorInvalid"
        );
    }

    /// The value `ErrorCode` names each code as its Rust variant does.
    #[test]
    fn error_codes_are_keyed_by_their_rust_names() {
        let ts = super::render_error_codes();
        for code in latchkey_core::ErrorCode::ALL {
            let line = format!("  {:?}: \"{}\",", code, code.name());
            assert!(ts.contains(&line), "{line}");
        }
    }

    /// The committed bindings are what the Rust side declares.
    #[test]
    fn bindings_are_current() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
        let fresh = super::render();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("write the bindings");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/bindings.ts is out of date: run UPDATE_BINDINGS=1 cargo test -p latchkey-app bindings"
        );
    }
}
