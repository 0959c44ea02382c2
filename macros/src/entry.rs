//! Expansion of `#[weave::main]` and `#[weave::test]`.
//!
//! ```text
//! #[weave::main(worker_threads = 2)]
//! pub async fn compute(a: u32) -> u32 { a + 1 }
//! ```
//!
//! becomes
//!
//! ```text
//! pub fn compute(a: u32) -> u32 {
//!     ::weave::runtime::Builder::new_multi_thread()
//!         .worker_threads(2)
//!         .enable_all()
//!         .build()
//!         .expect("Failed building the Runtime")
//!         .block_on(async move {
//!             #[allow(unreachable_code, /* and some clippy lints */)]
//!             if false {
//!                 let __weave_never: u32 = loop {};
//!                 return __weave_never;
//!             }
//!             #[allow(unused_braces)]
//!             { a + 1 }
//!         })
//! }
//! ```
//!
//! - The user's block (with the user's braces) is the tail of the `async move`
//!   block, token for token, so errors inside it are reported on the user's
//!   code, and a body ending in `return x;` (or `panic!()`) diverges with
//!   nothing generated after it that could be "unreachable".
//! - The dead `if false` statement comes first and `return`s a value of the
//!   declared return type, which fixes the future's output type before the
//!   body is type-checked, as in an `async fn`: `?` knows which error type to
//!   convert into, closures and `Box<dyn ..>` coercions get their expected
//!   type, and a wrong tail or `return` is reported where it is written
//!   ("expected `u32`, found `&str`"), with the note "return type inferred to
//!   be `u32` here" pointing at the user's `-> u32` (the variable is located
//!   there). Its `allow`s cover only these generated lines; the variable has
//!   mixed-site hygiene, so the body can neither see nor shadow it.
//! - `#[allow(unused_braces)]` on the user's block: otherwise a one-line body
//!   (`{ a + 1 }`) is reported as "unnecessary braces around block return
//!   value". It is the only lint the body loses.
//! - Return types that cannot be the type of a `let` (`impl Trait`, `!`) skip
//!   the `if false` statement and are left to inference.
//!
//! When the arguments or the function are wrong, the function is still
//! expanded (with the default configuration) and the errors are emitted next
//! to it. That way the user sees only the errors about the attribute, not a
//! second wave caused by an `async fn main` or a missing function, and IDEs
//! keep working.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    braced, token, AttrStyle, Attribute, Ident, ReturnType, Signature, Token, Type, Visibility,
};

use crate::config::{Config, Errors, Flavor, Kind};

/// Expands one use of `#[weave::main]` / `#[weave::test]`: `args` are the
/// tokens inside the attribute's parentheses, `item` the function.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    expand_with_default_crate(kind, None, args, item)
}

/// [`expand`], with `default_crate` (instead of `::weave`) as the crate path
/// when the attribute has no `crate = ".."` argument. The Tokio compatibility
/// crate's `#[tokio::main]` passes `::tokio`.
pub(crate) fn expand_with_default_crate(
    kind: Kind,
    default_crate: Option<syn::Path>,
    args: TokenStream,
    item: TokenStream,
) -> TokenStream {
    let (mut tokens, errors) = expand_and_check(kind, default_crate, args, item);
    if let Err(err) = errors.finish() {
        tokens.extend(err.into_compile_error());
    }
    tokens
}

/// [`expand`], with the errors kept apart from the generated function.
fn expand_and_check(
    kind: Kind,
    default_crate: Option<syn::Path>,
    args: TokenStream,
    item: TokenStream,
) -> (TokenStream, Errors) {
    let mut errors = Errors::default();
    let func = match syn::parse2::<AsyncFn>(item.clone()) {
        Ok(func) => func,
        Err(err) => {
            // Nothing sensible to generate; give the item back untouched so
            // that the only error is ours.
            errors.push(not_a_function(kind, &err));
            return (item, errors);
        }
    };

    if func.sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            func.sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }

    // Whether to add `#[test]`. Not when doing so would only produce a second
    // error on top of ours.
    let mut add_test_attr = kind == Kind::Test;
    if kind == Kind::Test {
        if let Some(attr) = func.attrs().find(|attr| is_test_attribute(attr)) {
            errors.push(syn::Error::new_spanned(
                attr,
                "second test attribute is supplied: `#[weave::test]` already marks the \
                 function as a test; remove this attribute",
            ));
            add_test_attr = false;
        }
        if !func.sig.inputs.is_empty() {
            errors.push(syn::Error::new_spanned(
                &func.sig.inputs,
                "test functions cannot accept arguments",
            ));
            add_test_attr = false;
        }
    }

    let mut config = match Config::from_args(kind, args) {
        Ok(config) => config,
        Err(err) => {
            errors.push(err);
            Config::default_for(kind)
        }
    };
    if config.crate_path.is_none() {
        config.crate_path = default_crate;
    }

    (expand_fn(func, &config, add_test_attr), errors)
}

/// The error for an item that is not a function with a body.
fn not_a_function(kind: Kind, err: &syn::Error) -> syn::Error {
    syn::Error::new(
        err.span(),
        format!(
            "`#[{}]` can only be applied to an `async fn` with a body ({err})",
            kind.name()
        ),
    )
}

/// Generates the synchronous function.
fn expand_fn(func: AsyncFn, config: &Config, add_test_attr: bool) -> TokenStream {
    let AsyncFn {
        attrs,
        vis,
        mut sig,
        brace_token,
        inner_attrs,
        body,
    } = func;
    sig.asyncness = None;

    // Inner attributes (`#![allow(..)]`) are not allowed where the body ends
    // up, so they move to the function, where they have the same effect.
    let inner_attrs = inner_attrs.into_iter().map(|mut attr| {
        attr.style = AttrStyle::Outer;
        attr
    });
    let test_attr = add_test_attr.then(|| quote!(#[::core::prelude::v1::test]));

    // The user's block, with the user's braces.
    let mut block = TokenStream::new();
    brace_token.surround(&mut block, |tokens| tokens.extend(body));

    // Tells the compiler the future's output type before it checks the body;
    // see the module docs. The `allow`s cover only these generated lines.
    let output_type = let_type(&sig.output).map(|ty| {
        // rustc names this variable as the place the output type comes from
        // ("return type inferred to be `u32` here"), so it is located at the
        // user's return type (or, for `()`, the function's name). Mixed-site
        // hygiene: the body can neither see nor shadow the variable.
        let ret_span = match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.ident.span(),
        };
        let never = Ident::new("__weave_never", Span::mixed_site().located_at(ret_span));
        quote! {
            #[allow(
                unreachable_code,
                clippy::empty_loop,
                clippy::let_unit_value,
                clippy::needless_return,
                clippy::diverging_sub_expression
            )]
            if false {
                let #never: #ty = loop {};
                return #never;
            }
        }
    });
    let runtime = build_runtime(config);

    quote! {
        #(#attrs)*
        #(#inner_attrs)*
        #test_attr
        #vis #sig {
            #runtime.block_on(async move {
                #output_type
                // Otherwise a one-line body (`{ a + 1 }`) is reported as
                // "unnecessary braces around block return value".
                #[allow(unused_braces)]
                #block
            })
        }
    }
}

/// `<crate>::runtime::Builder::new_*()...build().expect(..)`, a `Runtime`.
fn build_runtime(config: &Config) -> TokenStream {
    let krate = match &config.crate_path {
        Some(path) => path.to_token_stream(),
        None => quote!(::weave),
    };
    let mut tokens = match config.flavor {
        Flavor::MultiThread => quote!(#krate::runtime::Builder::new_multi_thread()),
        Flavor::CurrentThread => quote!(#krate::runtime::Builder::new_current_thread()),
    };
    if let Some(n) = config.worker_threads {
        let n = Literal::usize_unsuffixed(n);
        tokens.extend(quote!(.worker_threads(#n)));
    }
    if let Some(paused) = config.start_paused {
        tokens.extend(quote!(.start_paused(#paused)));
    }
    if let Some(debug) = config.debug {
        tokens.extend(quote!(.debug(#debug)));
    }
    tokens.extend(quote! {
        .enable_all()
        .build()
        .expect("Failed building the Runtime")
    });
    tokens
}

/// The type to give the body's value, or `None` when the return type cannot
/// be the type of a `let` binding.
fn let_type(output: &ReturnType) -> Option<TokenStream> {
    match output {
        ReturnType::Default => Some(quote!(())),
        ReturnType::Type(_, ty) if is_never(ty) || mentions_impl(ty.to_token_stream()) => None,
        ReturnType::Type(_, ty) => Some(ty.to_token_stream()),
    }
}

fn is_never(ty: &Type) -> bool {
    match ty {
        Type::Never(_) => true,
        Type::Paren(inner) => is_never(&inner.elem),
        Type::Group(inner) => is_never(&inner.elem),
        _ => false,
    }
}

/// Whether `impl Trait` appears anywhere in the type. Works on tokens, so it
/// also sees through type macros and every kind of nesting.
fn mentions_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => mentions_impl(group.stream()),
        _ => false,
    })
}

/// Whether `attr` is the built-in `#[test]` attribute: `#[test]`,
/// `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2021::test]`, ...
fn is_test_attribute(attr: &Attribute) -> bool {
    let syn::Meta::Path(path) = &attr.meta else {
        return false;
    };
    if path
        .segments
        .iter()
        .any(|segment| !segment.arguments.is_none())
    {
        return false;
    }
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names.as_slice() {
        [test] => path.leading_colon.is_none() && test == "test",
        [root, prelude, _edition, test] => {
            (root == "core" || root == "std") && prelude == "prelude" && test == "test"
        }
        _ => false,
    }
}

/// A function item whose body is kept as raw tokens: the body is not parsed,
/// which keeps expansion fast and leaves reporting syntax errors in it to the
/// compiler, with its better messages.
struct AsyncFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    brace_token: token::Brace,
    inner_attrs: Vec<Attribute>,
    body: TokenStream,
}

impl AsyncFn {
    fn attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.attrs.iter().chain(&self.inner_attrs)
    }
}

impl Parse for AsyncFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let looks_like_fn = input.peek(Token![fn])
            || input.peek(Token![async])
            || input.peek(Token![unsafe])
            || input.peek(Token![extern])
            || (input.peek(Token![const]) && !input.peek2(Ident));
        if !looks_like_fn {
            return Err(input.error("expected `async fn`"));
        }
        let sig: Signature = input.parse()?;
        let content;
        let brace_token = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body: TokenStream = content.parse()?;
        Ok(AsyncFn {
            attrs,
            vis,
            sig,
            brace_token,
            inner_attrs,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Token text without whitespace: printing splits some tokens (`>>`)
    /// differently depending on where they came from.
    fn squash(tokens: impl ToString) -> String {
        tokens.to_string().split_whitespace().collect()
    }

    fn tokens(s: &str) -> TokenStream {
        s.parse().expect("test input must tokenize")
    }

    /// The generated function, asserting there were no errors.
    fn expand_ok(kind: Kind, args: &str, item: &str) -> TokenStream {
        let (tokens, errors) = expand_and_check(kind, None, self::tokens(args), self::tokens(item));
        if let Err(err) = errors.finish() {
            panic!("unexpected error: {err}");
        }
        tokens
    }

    /// Every error, as (message, source text its span covers).
    fn errors(kind: Kind, args: &str, item: &str) -> Vec<(String, String)> {
        let (_, errors) = expand_and_check(kind, None, tokens(args), tokens(item));
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(err) => err
                .into_iter()
                .map(|e| (e.to_string(), e.span().source_text().unwrap_or_default()))
                .collect(),
        }
    }

    fn error(kind: Kind, args: &str, item: &str) -> (String, String) {
        let mut errors = errors(kind, args, item);
        assert_eq!(errors.len(), 1, "expected one error, got {errors:?}");
        errors.remove(0)
    }

    /// The `if false { .. }` statement that fixes the output type to `ty`.
    fn pin_output(ty: TokenStream) -> TokenStream {
        quote! {
            #[allow(
                unreachable_code,
                clippy::empty_loop,
                clippy::let_unit_value,
                clippy::needless_return,
                clippy::diverging_sub_expression
            )]
            if false {
                let __weave_never: #ty = loop {};
                return __weave_never;
            }
        }
    }

    #[test]
    fn main_on_any_async_fn() {
        let expanded = expand_ok(Kind::Main, "", "async fn compute(a: u32) -> u32 { a + 1 }");
        let pin = pin_output(quote!(u32));
        let expected = quote! {
            fn compute(a: u32) -> u32 {
                ::weave::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .expect("Failed building the Runtime")
                    .block_on(async move {
                        #pin
                        #[allow(unused_braces)]
                        { a + 1 }
                    })
            }
        };
        assert_eq!(squash(expanded), squash(expected));
    }

    #[test]
    fn test_adds_the_test_attribute_and_runs_on_current_thread() {
        let expanded = expand_ok(Kind::Test, "", "async fn works() { assert!(true); }");
        let pin = pin_output(quote!(()));
        let expected = quote! {
            #[::core::prelude::v1::test]
            fn works() {
                ::weave::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("Failed building the Runtime")
                    .block_on(async move {
                        #pin
                        #[allow(unused_braces)]
                        { assert!(true); }
                    })
            }
        };
        assert_eq!(squash(expanded), squash(expected));
    }

    /// `#[tokio::main]` / `#[tokio::test]` of the compat crate: `::tokio`
    /// by default, `crate = ".."` still wins.
    #[test]
    fn default_crate_of_the_tokio_variants() {
        let tokio: syn::Path = syn::parse_quote!(::tokio);
        for kind in [Kind::Main, Kind::Test] {
            let expanded = expand_with_default_crate(
                kind,
                Some(tokio.clone()),
                tokens(""),
                tokens("async fn f() {}"),
            );
            let text = squash(&expanded);
            assert!(text.contains("::tokio::runtime::Builder::new_"), "{text}");
            assert!(!text.contains("weave::"), "{text}");

            let expanded = expand_with_default_crate(
                kind,
                Some(tokio.clone()),
                tokens(r#"crate = "::other""#),
                tokens("async fn f() {}"),
            );
            let text = squash(&expanded);
            assert!(text.contains("::other::runtime::Builder::new_"), "{text}");
            assert!(!text.contains("tokio"), "{text}");
        }
    }

    #[test]
    fn options_configure_the_builder() {
        let expanded = expand_ok(
            Kind::Main,
            r#"flavor = "multi_thread", worker_threads = 4, start_paused = false, crate = "tokio""#,
            "async fn main() {}",
        );
        let expected_runtime = quote! {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .start_paused(false)
                .enable_all()
                .build()
                .expect("Failed building the Runtime")
                .block_on
        };
        assert!(
            squash(&expanded).contains(&squash(expected_runtime)),
            "{expanded}"
        );

        let expanded = expand_ok(
            Kind::Test,
            r#"start_paused = false, debug = true, crate = "::my::reexport""#,
            "async fn t() {}",
        );
        let expected_runtime = quote! {
            ::my::reexport::runtime::Builder::new_current_thread()
                .start_paused(false)
                .debug(true)
                .enable_all()
        };
        assert!(
            squash(&expanded).contains(&squash(expected_runtime)),
            "{expanded}"
        );
    }

    #[test]
    fn keeps_the_signature_visibility_and_attributes() {
        let expanded = expand_ok(
            Kind::Main,
            "",
            r#"
            /// Adds one.
            #[inline]
            #[must_use]
            pub(crate) async unsafe fn add(&self, (a, b): (u32, u32), mut c: u32) -> Result<u32, Box<dyn std::error::Error>>
            where
                Self: Sized,
            {
                #![allow(unused_mut)]
                Ok(a + b + c)
            }
            "#,
        );
        let func: syn::ItemFn = syn::parse2(expanded).unwrap();
        let attrs: Vec<String> = func
            .attrs
            .iter()
            .map(|attr| attr.to_token_stream().to_string())
            .collect();
        assert_eq!(
            attrs,
            [
                "# [doc = \" Adds one.\"]",
                "# [inline]",
                "# [must_use]",
                // The inner attribute, moved out of the body.
                "# [allow (unused_mut)]",
            ]
        );
        assert_eq!(func.vis.to_token_stream().to_string(), "pub (crate)");
        assert!(func.sig.asyncness.is_none());
        assert!(func.sig.unsafety.is_some());
        let expected_sig = quote! {
            unsafe fn add(&self, (a, b): (u32, u32), mut c: u32) -> Result<u32, Box<dyn std::error::Error>>
            where
                Self: Sized,
        };
        assert_eq!(squash(func.sig.to_token_stream()), squash(expected_sig));
        // The body is the user's, minus the inner attribute.
        let body = squash(func.block.to_token_stream());
        assert!(body.contains(&squash(quote!({ Ok(a + b + c) }))), "{body}");
        assert!(!body.contains("unused_mut"), "{body}");
    }

    #[test]
    fn pins_the_output_type() {
        for (ret, ty) in [
            (
                "-> Result<(), Box<dyn Error>>",
                quote!(Result<(), Box<dyn Error>>),
            ),
            ("-> &'static str", quote!(&'static str)),
            ("-> Self", quote!(Self)),
            ("", quote!(())),
        ] {
            let expanded = expand_ok(Kind::Main, "", &format!("async fn f() {ret} {{ body() }}"));
            let pin = pin_output(ty);
            assert!(
                squash(&expanded).contains(&squash(pin)),
                "{ret}: {expanded}"
            );
        }
    }

    #[test]
    fn leaves_impl_trait_and_never_to_inference() {
        for ret in [
            "-> impl std::fmt::Display",
            "-> Box<impl Fn()>",
            "-> Vec<(u8, impl Sized)>",
            "-> !",
            "-> (!)",
        ] {
            let expanded = expand_ok(Kind::Main, "", &format!("async fn f() {ret} {{ body() }}"));
            let text = squash(&expanded);
            assert!(!text.contains("__weave_never"), "{ret}: {text}");
            let body = quote!(.block_on(async move { #[allow(unused_braces)] { body() } }));
            assert!(text.contains(&squash(body)), "{ret}: {text}");
        }
    }

    #[test]
    fn missing_async() {
        let (msg, at) = error(Kind::Main, "", "fn main() {}");
        assert_eq!(
            msg,
            "the `async` keyword is missing from the function declaration"
        );
        assert_eq!(at, "fn");

        let (msg, at) = error(Kind::Test, "", "#[ignore] pub fn t() {}");
        assert_eq!(
            msg,
            "the `async` keyword is missing from the function declaration"
        );
        assert_eq!(at, "fn");
    }

    #[test]
    fn test_functions_take_no_arguments() {
        let (msg, at) = error(Kind::Test, "", "async fn t(a: u32, b: &str) {}");
        assert_eq!(msg, "test functions cannot accept arguments");
        assert_eq!(at, "a: u32, b: &str");

        // `#[weave::main]` works on functions with arguments.
        assert!(errors(Kind::Main, "", "async fn f(a: u32, b: &str) {}").is_empty());
    }

    #[test]
    fn second_test_attribute() {
        for attr in [
            "#[test]",
            "#[::core::prelude::v1::test]",
            "#[core::prelude::rust_2021::test]",
            "#[std::prelude::v1::test]",
        ] {
            let (msg, at) = error(Kind::Test, "", &format!("{attr}\nasync fn t() {{}}"));
            assert!(
                msg.starts_with("second test attribute is supplied"),
                "{attr}: {msg}"
            );
            assert_eq!(at, attr);
        }

        // Not test attributes, or not ours to judge.
        for attr in [
            "#[ignore]",
            "#[should_panic]",
            "#[test_case(1)]",
            "#[my::test]",
            "#[core::prelude::v1::test(x)]",
        ] {
            assert!(
                errors(Kind::Test, "", &format!("{attr}\nasync fn t() {{}}")).is_empty(),
                "{attr}"
            );
        }
        // `#[weave::main]` does not add `#[test]`, so it has nothing to say.
        assert!(errors(Kind::Main, "", "#[test]\nasync fn t() {}").is_empty());
    }

    #[test]
    fn errors_still_produce_the_function() {
        let (expanded, errors) = expand_and_check(
            Kind::Test,
            None,
            tokens(r#"flavor = "bogus""#),
            tokens("async fn t(n: u32) { let _ = n; }"),
        );
        assert!(errors.finish().is_err());
        let func: syn::ItemFn = syn::parse2(expanded).unwrap();
        assert!(func.sig.asyncness.is_none());
        // No `#[test]` on a function with arguments: that would be one more
        // error, about the same mistake.
        assert!(func.attrs.is_empty());

        // Through the public entry point the errors come after the function.
        let expanded = expand(Kind::Main, tokens("bogus"), tokens("fn main() {}")).to_string();
        assert!(squash(&expanded).starts_with("fnmain()"), "{expanded}");
        assert!(expanded.contains("compile_error"), "{expanded}");
        assert!(
            expanded.contains("the `async` keyword is missing"),
            "{expanded}"
        );
        assert!(expanded.contains("unknown argument `bogus`"), "{expanded}");
    }

    #[test]
    fn all_errors_are_reported_together() {
        let errors = errors(Kind::Test, "worker_threads = 2", "#[test] fn t(x: u8) {}");
        let messages: Vec<&str> = errors.iter().map(|(msg, _)| msg.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("the `async` keyword is missing"));
        assert!(messages[1].starts_with("second test attribute is supplied"));
        assert!(messages[2].starts_with("test functions cannot accept arguments"));
        assert!(messages[3].starts_with("`worker_threads` requires the multi-thread runtime"));
    }

    #[test]
    fn not_a_function() {
        let (expanded, errors) =
            expand_and_check(Kind::Main, None, TokenStream::new(), tokens("struct S;"));
        // The item is given back as it was.
        assert_eq!(squash(expanded), "structS;");
        let err = errors.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`#[weave::main]` can only be applied to an `async fn` with a body (expected `async fn`)"
        );
        assert_eq!(err.span().source_text().as_deref(), Some("struct"));

        let (msg, _) = error(Kind::Test, "", "const X: u32 = 1;");
        assert!(
            msg.starts_with("`#[weave::test]` can only be applied to an `async fn`"),
            "{msg}"
        );

        // A declaration without a body, as in a trait.
        let (msg, _) = error(Kind::Main, "", "async fn f();");
        assert!(
            msg.starts_with("`#[weave::main]` can only be applied to an `async fn` with a body"),
            "{msg}"
        );
    }

    #[test]
    fn detects_impl_trait_anywhere() {
        assert!(mentions_impl(quote!(impl Display)));
        assert!(mentions_impl(quote!(Result<Vec<impl Sized>, E>)));
        assert!(mentions_impl(quote!((u8, [impl Copy; 2]))));
        assert!(!mentions_impl(quote!(Result<(), Box<dyn Error>>)));
        assert!(!mentions_impl(quote!(Implementation)));
    }
}
