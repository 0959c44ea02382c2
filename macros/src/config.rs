//! The arguments of `#[weave::main(..)]` and `#[weave::test(..)]`.
//!
//! Parsing happens in two steps. First the attribute's tokens are split into
//! `name` or `name = value` pairs ([`Arg`]); this step only fails on broken
//! syntax. Then every pair is checked on its own (known name, not repeated,
//! value of the right kind) and finally against the others (`worker_threads`
//! needs the multi-thread flavor). Every problem found is reported, each with a
//! span on the offending tokens, rather than only the first one.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, LitStr, Path, Token};

/// The argument names both macros accept, in the order the docs list them.
pub(crate) const ARGUMENTS: [&str; 5] =
    ["flavor", "worker_threads", "start_paused", "debug", "crate"];

/// Which of the two attribute macros is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The macro's name as users write it, for error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Main => "weave::main",
            Kind::Test => "weave::test",
        }
    }

    /// `main` runs a program, so it gets every core; a test gets one thread,
    /// which keeps tests cheap and deterministic.
    fn default_flavor(self) -> Flavor {
        match self {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The scheduler the generated runtime uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    MultiThread,
    CurrentThread,
}

impl Flavor {
    fn from_lit(lit: &LitStr) -> syn::Result<Flavor> {
        let value = lit.value();
        match value.as_str() {
            "multi_thread" => return Ok(Flavor::MultiThread),
            "current_thread" => return Ok(Flavor::CurrentThread),
            _ => {}
        }
        // Names other runtimes (or older Tokio versions) use for the same thing.
        let normalized = value.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let hint = match normalized.as_str() {
            "multi_thread" | "multithread" | "multi_threaded" | "multi" | "threaded"
            | "threaded_scheduler" | "work_stealing" => " (did you mean \"multi_thread\"?)",
            "current_thread" | "currentthread" | "current" | "single_thread"
            | "single_threaded" | "single" | "basic_scheduler" => {
                " (did you mean \"current_thread\"?)"
            }
            _ => "",
        };
        let msg = format!(
            "unknown runtime flavor \"{value}\"; expected \"multi_thread\" or \"current_thread\"{hint}"
        );
        Err(syn::Error::new(lit.span(), msg))
    }
}

/// The validated arguments of one macro invocation.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) flavor: Flavor,
    /// `Builder::worker_threads`; only ever set for [`Flavor::MultiThread`].
    pub(crate) worker_threads: Option<usize>,
    pub(crate) start_paused: Option<bool>,
    /// `Builder::debug`; `None` leaves it to `WEAVE_DEBUG`.
    pub(crate) debug: Option<bool>,
    /// Path to the weave crate; `None` means `::weave`.
    pub(crate) crate_path: Option<Path>,
}

// By hand: `syn::Path` is `Debug` only with syn's "extra-traits" feature.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("start_paused", &self.start_paused)
            .field("debug", &self.debug)
            .field(
                "crate_path",
                &self
                    .crate_path
                    .as_ref()
                    .map(|p| p.to_token_stream().to_string()),
            )
            .finish()
    }
}

impl Config {
    /// The configuration of an attribute written without arguments. Also used
    /// to still expand the function when the arguments are wrong, so that the
    /// only errors the user sees are the ones about the arguments.
    pub(crate) fn default_for(kind: Kind) -> Config {
        Config {
            flavor: kind.default_flavor(),
            worker_threads: None,
            start_paused: None,
            debug: None,
            crate_path: None,
        }
    }

    /// Parses and validates the tokens inside `#[weave::main(..)]`.
    pub(crate) fn from_args(kind: Kind, args: TokenStream) -> syn::Result<Config> {
        let args = Punctuated::<Arg, Token![,]>::parse_terminated.parse2(args)?;

        let mut errors = Errors::default();
        let mut seen: Vec<String> = Vec::new();
        let mut flavor = None;
        let mut worker_threads = None;
        let mut start_paused = None;
        let mut debug = None;
        let mut crate_path = None;

        for arg in &args {
            let name = arg.name.unraw().to_string();
            if !ARGUMENTS.contains(&name.as_str()) {
                errors.push(unknown_argument(arg, &name));
                continue;
            }
            if seen.contains(&name) {
                errors.push(syn::Error::new_spanned(
                    arg,
                    format!("duplicate argument `{name}`: it may be given only once"),
                ));
                continue;
            }
            seen.push(name.clone());

            let Some(value) = arg.value() else {
                errors.push(syn::Error::new_spanned(
                    &arg.name,
                    format!(
                        "the `{name}` argument requires a value, e.g. `{}`",
                        example(&name)
                    ),
                ));
                continue;
            };
            let parsed = match name.as_str() {
                "flavor" => parse_flavor(value).map(|f| flavor = Some(f)),
                "worker_threads" => {
                    parse_worker_threads(value).map(|n| worker_threads = Some((n, arg)))
                }
                "start_paused" => parse_start_paused(value).map(|b| start_paused = Some((b, arg))),
                "debug" => parse_bool("debug", value).map(|b| debug = Some(b)),
                "crate" => parse_crate_path(value).map(|p| crate_path = Some(p)),
                _ => unreachable!("`{name}` is in ARGUMENTS but has no parser"),
            };
            if let Err(err) = parsed {
                errors.push(err);
            }
        }

        let flavor_given = flavor.is_some();
        let flavor = flavor.unwrap_or_else(|| kind.default_flavor());
        if let (Flavor::CurrentThread, Some((_, arg))) = (flavor, worker_threads) {
            let msg = if flavor_given {
                "`worker_threads` cannot be used with `flavor = \"current_thread\"`: \
                 a current-thread runtime runs everything on the calling thread; \
                 use `flavor = \"multi_thread\"` to get worker threads"
                    .to_string()
            } else {
                format!(
                    "`worker_threads` requires the multi-thread runtime, and `#[{}]` defaults \
                     to `flavor = \"current_thread\"`; add `flavor = \"multi_thread\"`",
                    kind.name()
                )
            };
            errors.push(syn::Error::new_spanned(arg, msg));
        }
        if let (Flavor::MultiThread, Some((true, arg))) = (flavor, start_paused) {
            errors.push(syn::Error::new_spanned(
                arg,
                "`start_paused = true` requires `flavor = \"current_thread\"`: a paused clock \
                 can only skip ahead when every task runs on one thread",
            ));
        }
        errors.finish()?;

        Ok(Config {
            flavor,
            worker_threads: worker_threads.map(|(n, _)| n),
            start_paused: start_paused.map(|(b, _)| b),
            debug,
            crate_path,
        })
    }
}

/// One `name` or `name = value` item of the argument list, not yet checked.
struct Arg {
    name: Ident,
    value: Option<(Token![=], Expr)>,
}

impl Arg {
    fn value(&self) -> Option<&Expr> {
        self.value.as_ref().map(|(_, value)| value)
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(format!(
                "expected an argument name, one of: {}",
                argument_list()
            )));
        }
        // `parse_any` so that the keyword `crate` is accepted as a name.
        let name = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            Some((input.parse()?, input.parse()?))
        } else {
            None
        };
        Ok(Arg { name, value })
    }
}

impl ToTokens for Arg {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.name.to_tokens(tokens);
        if let Some((eq, value)) = &self.value {
            eq.to_tokens(tokens);
            value.to_tokens(tokens);
        }
    }
}

fn parse_flavor(value: &Expr) -> syn::Result<Flavor> {
    match literal(value) {
        Some(Lit::Str(lit)) => Flavor::from_lit(lit),
        _ => Err(syn::Error::new_spanned(
            value,
            "`flavor` expects a string literal: `flavor = \"multi_thread\"` or \
             `flavor = \"current_thread\"`",
        )),
    }
}

fn parse_worker_threads(value: &Expr) -> syn::Result<usize> {
    let lit =
        match literal(value) {
            Some(Lit::Int(lit)) => lit,
            Some(Lit::Str(s)) if s.value().trim().parse::<usize>().is_ok() => {
                return Err(syn::Error::new_spanned(
                    value,
                    format!(
                        "`worker_threads` expects an integer literal, not a string: \
                     write `worker_threads = {}`",
                        s.value().trim()
                    ),
                ));
            }
            _ => return Err(syn::Error::new_spanned(
                value,
                "`worker_threads` expects a positive integer literal, e.g. `worker_threads = 4`",
            )),
        };
    match lit.base10_parse::<usize>() {
        Ok(0) => Err(syn::Error::new_spanned(
            lit,
            "`worker_threads` must be greater than 0",
        )),
        Ok(n) => Ok(n),
        Err(err) => Err(syn::Error::new_spanned(
            lit,
            format!("`worker_threads` is not a valid thread count: {err}"),
        )),
    }
}

fn parse_start_paused(value: &Expr) -> syn::Result<bool> {
    parse_bool("start_paused", value)
}

fn parse_bool(name: &str, value: &Expr) -> syn::Result<bool> {
    match literal(value) {
        Some(Lit::Bool(lit)) => Ok(lit.value),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("`{name}` expects `true` or `false`"),
        )),
    }
}

fn parse_crate_path(value: &Expr) -> syn::Result<Path> {
    let Some(Lit::Str(lit)) = literal(value) else {
        return Err(syn::Error::new_spanned(
            value,
            "`crate` expects a string literal holding a path, e.g. `crate = \"weave\"`",
        ));
    };
    // `parse_mod_style`: a path to a crate or module, so no generic arguments.
    // The parsed tokens carry the literal's span, so a path that does not
    // resolve is reported on the string the user wrote.
    lit.parse_with(Path::parse_mod_style).map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!(
                "`crate` expects a path to the weave crate, such as \"weave\" or \
                 \"::my::reexport\", but \"{}\" is not a path",
                lit.value()
            ),
        )
    })
}

/// The literal `expr` consists of, looking through the invisible groups that
/// `macro_rules!` wraps around `$x:literal` / `$x:expr` fragments.
fn literal(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(lit) => Some(&lit.lit),
        Expr::Group(group) => literal(&group.expr),
        _ => None,
    }
}

fn unknown_argument(arg: &Arg, name: &str) -> syn::Error {
    let msg = match name {
        "multi_thread" | "current_thread" => {
            format!("`{name}` is a runtime flavor, not an argument; write `flavor = \"{name}\"`")
        }
        "core_threads" | "threads" | "workers" | "num_threads" => format!(
            "unknown argument `{name}`; the number of threads is set with \
             `worker_threads = N`"
        ),
        _ => format!(
            "unknown argument `{name}`; expected one of: {}",
            argument_list()
        ),
    };
    syn::Error::new_spanned(arg, msg)
}

/// "`flavor`, `worker_threads`, `start_paused`, `debug`, `crate`"
fn argument_list() -> String {
    let names: Vec<String> = ARGUMENTS.iter().map(|name| format!("`{name}`")).collect();
    names.join(", ")
}

/// A valid use of the argument `name`, for "requires a value" errors.
fn example(name: &str) -> &'static str {
    match name {
        "flavor" => "flavor = \"multi_thread\"",
        "worker_threads" => "worker_threads = 4",
        "start_paused" => "start_paused = true",
        "debug" => "debug = true",
        _ => "crate = \"weave\"",
    }
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(err),
            None => self.0 = Some(err),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::{Delimiter, Group};
    use quote::quote;

    fn parse(kind: Kind, args: &str) -> syn::Result<Config> {
        Config::from_args(kind, args.parse().expect("test input must tokenize"))
    }

    /// Every error for `args`, as (message, source text its span covers).
    fn errors(kind: Kind, args: &str) -> Vec<(String, String)> {
        let err = parse(kind, args).expect_err("expected an error");
        err.into_iter()
            .map(|e| (e.to_string(), e.span().source_text().unwrap_or_default()))
            .collect()
    }

    /// The single error for `args`, as (message, source text).
    fn error(kind: Kind, args: &str) -> (String, String) {
        let mut errors = errors(kind, args);
        assert_eq!(errors.len(), 1, "expected one error, got {errors:?}");
        errors.remove(0)
    }

    fn crate_path(config: &Config) -> Option<String> {
        config
            .crate_path
            .as_ref()
            .map(|p| p.to_token_stream().to_string())
    }

    #[test]
    fn defaults_differ_between_main_and_test() {
        let main = parse(Kind::Main, "").unwrap();
        assert_eq!(main.flavor, Flavor::MultiThread);
        assert_eq!(main.worker_threads, None);
        assert_eq!(main.start_paused, None);
        assert!(main.crate_path.is_none());

        let test = parse(Kind::Test, "").unwrap();
        assert_eq!(test.flavor, Flavor::CurrentThread);
        assert_eq!(test.worker_threads, None);
    }

    #[test]
    fn all_arguments() {
        let config = parse(
            Kind::Test,
            r#"flavor = "multi_thread", worker_threads = 4, start_paused = false, crate = "::my::reexport","#,
        )
        .unwrap();
        assert_eq!(config.flavor, Flavor::MultiThread);
        assert_eq!(config.worker_threads, Some(4));
        assert_eq!(config.start_paused, Some(false));
        assert_eq!(crate_path(&config).as_deref(), Some(":: my :: reexport"));
    }

    #[test]
    fn start_paused_needs_current_thread() {
        let err = parse(Kind::Main, r#"start_paused = true"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("requires `flavor = \"current_thread\"`"),
            "{err}"
        );
        assert!(parse(Kind::Test, r#"start_paused = true"#).is_ok());
        assert!(parse(Kind::Main, r#"start_paused = false"#).is_ok());
    }

    #[test]
    fn flavors() {
        let config = parse(
            Kind::Main,
            r#"flavor = "current_thread", start_paused = false"#,
        );
        let config = config.unwrap();
        assert_eq!(config.flavor, Flavor::CurrentThread);
        assert_eq!(config.start_paused, Some(false));
        let config = parse(Kind::Test, r#"flavor = "multi_thread""#).unwrap();
        assert_eq!(config.flavor, Flavor::MultiThread);
    }

    #[test]
    fn crate_paths() {
        for (arg, path) in [
            (r#"crate = "weave""#, "weave"),
            (r#"crate = "tokio""#, "tokio"),
            (r#"crate = "::weave""#, ":: weave"),
            (r#"crate = "crate::rt""#, "crate :: rt"),
            (r#"crate = " weave ""#, "weave"),
        ] {
            let config = parse(Kind::Main, arg).unwrap();
            assert_eq!(crate_path(&config).as_deref(), Some(path), "{arg}");
        }
    }

    #[test]
    fn worker_threads_accepts_suffixes_and_macro_groups() {
        let config = parse(Kind::Main, "worker_threads = 8usize").unwrap();
        assert_eq!(config.worker_threads, Some(8));

        // `macro_rules!` passes `$n:literal` / `$n:expr` as an invisible group.
        let group = Group::new(Delimiter::None, quote!(3));
        let config = Config::from_args(Kind::Main, quote!(worker_threads = #group)).unwrap();
        assert_eq!(config.worker_threads, Some(3));
    }

    #[test]
    fn unknown_argument_lists_the_valid_ones() {
        let (msg, at) = error(Kind::Main, "thread_count = 2");
        assert_eq!(
            msg,
            "unknown argument `thread_count`; expected one of: \
             `flavor`, `worker_threads`, `start_paused`, `debug`, `crate`"
        );
        assert_eq!(at, "thread_count = 2");

        let (msg, _) = error(Kind::Test, r#"name = "x""#);
        assert!(msg.starts_with("unknown argument `name`; expected one of: `flavor`"));

        let (msg, _) = error(Kind::Main, "threads = 2");
        assert_eq!(
            msg,
            "unknown argument `threads`; the number of threads is set with `worker_threads = N`"
        );
    }

    #[test]
    fn flavor_written_as_a_flag() {
        let (msg, at) = error(Kind::Main, "current_thread");
        assert_eq!(
            msg,
            "`current_thread` is a runtime flavor, not an argument; \
             write `flavor = \"current_thread\"`"
        );
        assert_eq!(at, "current_thread");
    }

    #[test]
    fn arguments_without_value() {
        let (msg, at) = error(Kind::Main, "flavor");
        assert_eq!(
            msg,
            "the `flavor` argument requires a value, e.g. `flavor = \"multi_thread\"`"
        );
        assert_eq!(at, "flavor");
        let (msg, _) = error(Kind::Main, "worker_threads");
        assert!(msg.ends_with("e.g. `worker_threads = 4`"), "{msg}");
        let (msg, _) = error(Kind::Main, "crate");
        assert!(msg.ends_with("e.g. `crate = \"weave\"`"), "{msg}");
    }

    #[test]
    fn bad_flavor() {
        let (msg, at) = error(Kind::Main, r#"flavor = "fast""#);
        assert_eq!(
            msg,
            "unknown runtime flavor \"fast\"; expected \"multi_thread\" or \"current_thread\""
        );
        assert_eq!(at, r#""fast""#);

        for (given, meant) in [
            ("single_thread", "current_thread"),
            ("basic_scheduler", "current_thread"),
            ("Current-Thread", "current_thread"),
            ("multi-thread", "multi_thread"),
            ("threaded_scheduler", "multi_thread"),
        ] {
            let (msg, _) = error(Kind::Main, &format!("flavor = {given:?}"));
            assert!(
                msg.ends_with(&format!("(did you mean \"{meant}\"?)")),
                "{given}: {msg}"
            );
        }

        let (msg, at) = error(Kind::Main, "flavor = multi_thread");
        assert_eq!(
            msg,
            "`flavor` expects a string literal: `flavor = \"multi_thread\"` or \
             `flavor = \"current_thread\"`"
        );
        assert_eq!(at, "multi_thread");
    }

    #[test]
    fn worker_threads_with_current_thread() {
        let (msg, at) = error(
            Kind::Main,
            r#"flavor = "current_thread", worker_threads = 2"#,
        );
        assert!(
            msg.starts_with("`worker_threads` cannot be used with `flavor = \"current_thread\"`"),
            "{msg}"
        );
        assert_eq!(at, "worker_threads = 2");

        // The order of the arguments does not matter.
        let (msg, _) = error(
            Kind::Main,
            r#"worker_threads = 2, flavor = "current_thread""#,
        );
        assert!(msg.starts_with("`worker_threads` cannot be used"), "{msg}");

        // `#[weave::test]` is current-thread unless told otherwise.
        let (msg, at) = error(Kind::Test, "worker_threads = 2");
        assert_eq!(
            msg,
            "`worker_threads` requires the multi-thread runtime, and `#[weave::test]` \
             defaults to `flavor = \"current_thread\"`; add `flavor = \"multi_thread\"`"
        );
        assert_eq!(at, "worker_threads = 2");
    }

    #[test]
    fn worker_threads_must_be_a_positive_integer_literal() {
        let (msg, at) = error(Kind::Main, "worker_threads = 0");
        assert_eq!(msg, "`worker_threads` must be greater than 0");
        assert_eq!(at, "0");

        for (value, at) in [
            ("2.5", "2.5"),
            ("-1", "-1"),
            ("THREADS", "THREADS"),
            ("num_cpus()", "num_cpus()"),
            ("true", "true"),
            (r#""many""#, r#""many""#),
        ] {
            let (msg, span) = error(Kind::Main, &format!("worker_threads = {value}"));
            assert_eq!(
                msg,
                "`worker_threads` expects a positive integer literal, e.g. `worker_threads = 4`",
                "{value}"
            );
            assert_eq!(span, at);
        }

        let (msg, _) = error(Kind::Main, r#"worker_threads = "2""#);
        assert_eq!(
            msg,
            "`worker_threads` expects an integer literal, not a string: write `worker_threads = 2`"
        );

        let (msg, at) = error(Kind::Main, "worker_threads = 100000000000000000000000");
        assert!(
            msg.starts_with("`worker_threads` is not a valid thread count: "),
            "{msg}"
        );
        assert_eq!(at, "100000000000000000000000");
    }

    #[test]
    fn start_paused_must_be_a_bool() {
        for value in [r#""true""#, "1", "yes"] {
            let (msg, at) = error(Kind::Test, &format!("start_paused = {value}"));
            assert_eq!(msg, "`start_paused` expects `true` or `false`");
            assert_eq!(at, value);
        }
    }

    #[test]
    fn crate_must_be_a_path_in_a_string() {
        for value in [
            "",
            "weave::",
            "::",
            "weave<u8>",
            "my crate",
            "1weave",
            "weave.rt",
        ] {
            let (msg, at) = error(Kind::Main, &format!("crate = {value:?}"));
            assert_eq!(
                msg,
                format!(
                    "`crate` expects a path to the weave crate, such as \"weave\" or \
                     \"::my::reexport\", but \"{value}\" is not a path"
                )
            );
            assert_eq!(at, format!("{value:?}"));
        }

        let (msg, at) = error(Kind::Main, "crate = weave");
        assert_eq!(
            msg,
            "`crate` expects a string literal holding a path, e.g. `crate = \"weave\"`"
        );
        assert_eq!(at, "weave");
    }

    #[test]
    fn duplicates_are_rejected() {
        let (msg, at) = error(Kind::Main, "worker_threads = 2, worker_threads = 4");
        assert_eq!(
            msg,
            "duplicate argument `worker_threads`: it may be given only once"
        );
        assert_eq!(at, "worker_threads = 4");

        // Even with the same value.
        let (msg, _) = error(
            Kind::Test,
            r#"flavor = "current_thread", flavor = "current_thread""#,
        );
        assert_eq!(
            msg,
            "duplicate argument `flavor`: it may be given only once"
        );
        let (msg, _) = error(Kind::Test, r#"crate = "a", crate = "a""#);
        assert_eq!(msg, "duplicate argument `crate`: it may be given only once");
    }

    #[test]
    fn every_error_is_reported() {
        let errors = errors(
            Kind::Main,
            r#"flavor = "x", worker_threads = 0, bogus, start_paused = 1, flavor = "y""#,
        );
        let spans: Vec<&str> = errors.iter().map(|(_, at)| at.as_str()).collect();
        assert_eq!(
            spans,
            [r#""x""#, "0", "bogus", "1", r#"flavor = "y""#],
            "{errors:?}"
        );
    }

    #[test]
    fn broken_syntax() {
        let (msg, at) = error(Kind::Main, r#"flavor = "multi_thread" worker_threads = 2"#);
        assert_eq!(msg, "expected `,`");
        assert_eq!(at, "worker_threads");

        let (msg, _) = error(Kind::Main, r#""multi_thread""#);
        assert_eq!(
            msg,
            "expected an argument name, one of: \
             `flavor`, `worker_threads`, `start_paused`, `debug`, `crate`"
        );

        let (msg, _) = error(Kind::Main, "flavor = ");
        assert!(msg.contains("expected an expression"), "{msg}");
    }
}
