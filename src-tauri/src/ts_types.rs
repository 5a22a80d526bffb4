//! The machinery that turns Rust types into TypeScript declarations (ts-rs):
//! what [`crate::commands`] declares its table with and [`crate::bindings`]
//! renders. A leaf: it uses nothing else in the app.

use ts_rs::{TypeVisitor, TS};

/// One command as the UI calls it.
pub struct Signature {
    /// The command's name on the wire (snake_case).
    pub name: &'static str,
    /// Argument names (snake_case, as in Rust) and TypeScript types.
    pub args: Vec<(&'static str, String)>,
    /// The TypeScript type of a successful result.
    pub result: String,
}

/// Add the declaration of `T` (if it is a named type) and of every type it
/// uses to `out`, once each.
pub fn collect<T: TS + 'static + ?Sized>(cfg: &ts_rs::Config, out: &mut Vec<(String, String)>) {
    struct Visit<'a>(&'a ts_rs::Config, &'a mut Vec<(String, String)>);
    impl TypeVisitor for Visit<'_> {
        fn visit<U: TS + 'static + ?Sized>(&mut self) {
            collect::<U>(self.0, self.1);
        }
    }
    if T::output_path().is_some() {
        let name = T::ident(cfg);
        if out.iter().any(|(n, _)| *n == name) {
            return;
        }
        let docs = T::docs().unwrap_or_default();
        out.push((name, format!("{docs}export {}", T::decl(cfg))));
    }
    T::visit_dependencies(&mut Visit(cfg, out));
    // `Vec<X>`, `Option<X>`: X is a generic argument, not a dependency.
    T::visit_generics(&mut Visit(cfg, out));
}

/// How the bindings render numbers: every count we send fits a JS number.
pub fn config() -> ts_rs::Config {
    ts_rs::Config::new().with_large_int("number")
}
