//! Files through the host's clipboard (`clipboard_files`), on
//! `session.clipboard_files()` (which copies over `session.files()`):
//!
//! - `latchkey clipboard ID --get-files DIR`: what the host's clipboard
//!   offers arrives in DIR; `--put-files FILE...`: the host's clipboard then
//!   offers copies of these files. Logs in like `connect`; a refusal is exit
//!   3 `permission`; bad input has its own code (`not_found`,
//!   `not_directory`, exit 2; an empty host clipboard: `empty`, exit 10).
//! - `connect --commands`: `clipboard-get-files DIR` and
//!   `clipboard-put-files FILE...` (names split at spaces).

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{json, Value};

use latchkey_session::features::clipboard_files::viewer::{
    check_local_dir, check_local_files, Moved,
};
use latchkey_session::features::files::viewer::FilesError;
use latchkey_session::viewer::Session;
use latchkey_store::Config;

use super::files::{checked, with_session};
use super::print_json;
use crate::cli::ConnectTarget;
use crate::exit::CliError;

/// `clipboard ID (--get-files DIR | --put-files FILE...)`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("files").required(true).args(["get_files", "put_files"])
))]
pub struct ClipboardArgs {
    /// The host and the login.
    #[command(flatten)]
    pub target: ConnectTarget,
    /// Copy the files (and folders) the host's clipboard offers into DIR.
    #[arg(long, value_name = "DIR")]
    pub get_files: Option<PathBuf>,
    /// Copy these files (folders whole) to the host and have its clipboard
    /// offer the copies.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub put_files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Which way, checked before connecting.
enum Way<'a> {
    Get(&'a Path),
    Put(&'a [PathBuf]),
}

impl Way<'_> {
    fn check(&self) -> Result<(), FilesError> {
        match self {
            Way::Get(dir) => check_local_dir(dir),
            Way::Put(srcs) => check_local_files(srcs),
        }
    }

    async fn run(&self, session: &Session) -> Result<Moved, FilesError> {
        let (cf, files) = (session.clipboard_files(), session.files());
        match self {
            Way::Get(dir) => cf.get_into(files, dir, &|_| {}).await,
            Way::Put(srcs) => cf.put(files, srcs, &|_| {}).await,
        }
    }
}

fn moved_json(m: &Moved) -> Value {
    json!({
        "ok": true,
        "paths": m.paths,
        "files": m.summary.files,
        "dirs": m.summary.dirs,
        "links": m.summary.links,
        "bytes": m.summary.copied.size,
    })
}

/// `latchkey clipboard ID ...`.
pub fn clipboard(config: &mut Config, args: ClipboardArgs) -> Result<(), CliError> {
    let way = match &args.get_files {
        Some(dir) => Way::Get(dir),
        None => Way::Put(&args.put_files),
    };
    checked(args.json, way.check())?;
    let moved = with_session(config, &args.target, args.json, async |s: &Session| {
        way.run(s).await
    })?;
    if args.json {
        return print_json(&moved_json(&moved));
    }
    let s = &moved.summary;
    match way {
        Way::Get(dir) => println!(
            "copied {} file(s), {} folder(s), {} link(s), {} bytes into {}",
            s.files,
            s.dirs,
            s.links,
            s.copied.size,
            dir.display()
        ),
        Way::Put(_) => println!(
            "the host's clipboard offers {} item(s) ({} bytes copied)",
            moved.paths.len(),
            s.copied.size
        ),
    }
    for p in &moved.paths {
        println!("{p}");
    }
    Ok(())
}

/// The words this feature answers to in `connect --commands`.
pub(super) const WORDS: &[&str] = &["clipboard-get-files", "clipboard-put-files"];

/// One command, understood.
#[derive(Debug, PartialEq)]
pub(super) enum Script {
    Get(PathBuf),
    Put(Vec<PathBuf>),
}

impl Script {
    /// `None` when `word` is not this feature's.
    pub(super) fn parse(word: &str, rest: &str) -> Option<Result<Script, String>> {
        let names: Vec<PathBuf> = rest.split_whitespace().map(PathBuf::from).collect();
        match word {
            "clipboard-get-files" => Some(match names.as_slice() {
                [dir] => Ok(Script::Get(dir.clone())),
                _ => Err("clipboard-get-files takes one folder: clipboard-get-files DIR".into()),
            }),
            "clipboard-put-files" if names.is_empty() => {
                Some(Err("clipboard-put-files FILE... names no file".into()))
            }
            "clipboard-put-files" => Some(Ok(Script::Put(names))),
            _ => None,
        }
    }

    /// Carry it out; one line of JSON.
    pub(super) async fn run(self, session: &Session) -> Value {
        let way = match &self {
            Script::Get(dir) => Way::Get(dir),
            Script::Put(srcs) => Way::Put(srcs),
        };
        let done = match way.check() {
            Ok(()) => way.run(session).await,
            Err(e) => Err(e),
        };
        match done {
            Ok(m) => moved_json(&m),
            Err(e) => {
                let refused = matches!(e, FilesError::Refused { .. });
                json!({"ok": false, "error": e.code().name(), "message": e.to_string(), "refused": refused})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_words_parse() {
        assert_eq!(
            Script::parse("clipboard-get-files", "/tmp/in"),
            Some(Ok(Script::Get("/tmp/in".into())))
        );
        assert_eq!(
            Script::parse("clipboard-put-files", "a b"),
            Some(Ok(Script::Put(vec!["a".into(), "b".into()])))
        );
        assert!(matches!(
            Script::parse("clipboard-get-files", ""),
            Some(Err(_))
        ));
        assert!(matches!(
            Script::parse("clipboard-get-files", "a b"),
            Some(Err(_))
        ));
        assert!(matches!(
            Script::parse("clipboard-put-files", " "),
            Some(Err(_))
        ));
        assert_eq!(Script::parse("clipboard-get", ""), None);
    }
}
