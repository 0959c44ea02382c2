//! Expansion of `join!` and `try_join!` (the `macro_rules` front ends live in
//! weave's `src/macros/`; they call [`expand`] through `weave::__private`).
//!
//! Input: `<weave crate path> ; [biased ;] expr, expr, ...`. The crate path
//! is whatever `$crate` expanded to in the front end; every path the
//! expansion emits starts with it, so the code works from crates that only
//! reach weave through a re-export (such as a compatibility crate named
//! `tokio`).
//!
//! Shape of the expansion for `join!(a, b)`:
//!
//! ```text
//! {
//!     let (f0, f1) = (a, b);                       // evaluated left to right
//!     let (f0, f1) = (into_future(f0), into_future(f1));
//!     let mut f1 = pin!(MaybeDone::new(f1));       // pinned in reverse, so
//!     let mut f0 = pin!(MaybeDone::new(f0));       // they drop as a tuple would
//!     let mut next_start = 0;
//!     poll_fn(move |cx| {
//!         // poll every unfinished future once, starting at `next_start`
//!         // (rotated by one per poll; always 0 with `biased;`)
//!         ...
//!         Ready((f0.take_output(), f1.take_output()))
//!     }).await
//! }
//! ```
//!
//! Internal names use `Span::mixed_site()`, so they cannot clash with the
//! caller's variables (user expressions are emitted with their own spans).

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Token};

/// Which macro is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Join,
    TryJoin,
}

/// Splits `<crate path> ; rest` into its two halves.
pub(crate) fn split_crate_path(input: TokenStream) -> syn::Result<(TokenStream, TokenStream)> {
    let mut iter = input.into_iter();
    let mut krate = TokenStream::new();
    for tt in iter.by_ref() {
        if let TokenTree::Punct(p) = &tt {
            if p.as_char() == ';' {
                if krate.is_empty() {
                    break;
                }
                return Ok((krate, iter.collect()));
            }
        }
        krate.extend(std::iter::once(tt));
    }
    Err(syn::Error::new(
        Span::call_site(),
        "internal macro: expected the weave crate path and `;` before the input \
         (use `weave::join!`, `weave::try_join!` or `weave::select!` instead)",
    ))
}

/// Parses a leading `biased;`, if present.
pub(crate) fn parse_biased(input: ParseStream<'_>) -> syn::Result<bool> {
    if input.peek(syn::Ident) && input.peek2(Token![;]) {
        let fork = input.fork();
        let ident: Ident = fork.parse()?;
        if ident == "biased" {
            input.parse::<Ident>()?;
            input.parse::<Token![;]>()?;
            return Ok(true);
        }
    }
    Ok(false)
}

struct JoinInput {
    biased: bool,
    futures: Vec<Expr>,
}

fn parse_input(input: ParseStream<'_>) -> syn::Result<JoinInput> {
    let biased = parse_biased(input)?;
    let futures = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
    Ok(JoinInput {
        biased,
        futures: futures.into_iter().collect(),
    })
}

/// Expands `join!` / `try_join!`; errors become `compile_error!`.
pub(crate) fn expand(kind: Kind, input: TokenStream) -> TokenStream {
    match try_expand(kind, input) {
        Ok(tokens) => tokens,
        Err(err) => err.to_compile_error(),
    }
}

fn try_expand(kind: Kind, input: TokenStream) -> syn::Result<TokenStream> {
    let (krate, rest) = split_crate_path(input)?;
    let JoinInput { biased, futures } = parse_input.parse2(rest)?;
    let p = quote!(#krate::__private);
    let n = futures.len();

    if n == 0 {
        return Ok(match kind {
            Kind::Join => quote!(()),
            Kind::TryJoin => quote!(#p::Result::Ok(())),
        });
    }

    let site = Span::mixed_site();
    let names: Vec<Ident> = (0..n)
        .map(|i| format_ident!("__fut{}", i, span = site))
        .collect();
    let rev_names: Vec<&Ident> = names.iter().rev().collect();
    let cx = Ident::new("__cx", site);
    let pending = Ident::new("__pending", site);
    let next_start = Ident::new("__next_start", site);
    let start = Ident::new("__start", site);
    let offset = Ident::new("__offset", site);
    let index = Ident::new("__index", site);
    let err = Ident::new("__err", site);
    let count = n as u32;
    let indices = 0..count;

    let poll_one = names.iter().map(|name| match kind {
        Kind::Join => quote! {
            if #p::Future::poll(#name.as_mut(), #cx).is_pending() {
                #pending = true;
            }
        },
        Kind::TryJoin => quote! {
            match #name.as_mut().poll_try(#cx) {
                #p::Poll::Pending => #pending = true,
                #p::Poll::Ready(#p::Result::Err(#err)) => {
                    return #p::Poll::Ready(#p::Result::Err(#err));
                }
                #p::Poll::Ready(#p::Result::Ok(())) => {}
            }
        },
    });

    let (declare_start, choose_start) = if biased {
        (quote!(), quote!(let #start: u32 = 0;))
    } else {
        (
            quote!(let mut #next_start: u32 = 0;),
            quote! {
                let #start: u32 = #next_start;
                #next_start = if #start + 1 == #count { 0 } else { #start + 1 };
            },
        )
    };

    let ready = match kind {
        Kind::Join => quote! {
            #p::Poll::Ready(( #( #names.as_mut().take_output(), )* ))
        },
        Kind::TryJoin => quote! {
            #p::Poll::Ready(#p::Result::Ok(( #( #names.as_mut().take_ok(), )* )))
        },
    };

    Ok(quote! {{
        let ( #( #names, )* ) = ( #( #futures, )* );
        let ( #( #names, )* ) = ( #( #p::IntoFuture::into_future(#names), )* );
        #( let mut #rev_names = #p::pin!(#p::MaybeDone::new(#rev_names)); )*
        #declare_start
        #p::poll_fn(move |#cx| {
            let mut #pending = false;
            #choose_start
            for #offset in 0..#count {
                let mut #index = #start + #offset;
                if #index >= #count {
                    #index -= #count;
                }
                match #index {
                    #( #indices => { #poll_one } )*
                    _ => ::core::unreachable!(),
                }
            }
            if #pending {
                #p::Poll::Pending
            } else {
                #ready
            }
        })
        .await
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_crate_path() {
        let out = expand(Kind::Join, quote!(a, b)).to_string();
        assert!(out.contains("compile_error"), "{out}");
    }

    #[test]
    fn empty_join_is_unit() {
        let out = expand(Kind::Join, quote!(weave;)).to_string();
        assert_eq!(out, "()");
    }

    #[test]
    fn biased_is_recognised() {
        let out = expand(Kind::Join, quote!(weave; biased; a, b)).to_string();
        assert!(!out.contains("__next_start"), "{out}");
        let out = expand(Kind::Join, quote!(weave; a, b,)).to_string();
        assert!(out.contains("__next_start"), "{out}");
    }

    #[test]
    fn rejects_garbage() {
        let out = expand(Kind::TryJoin, quote!(weave; a b)).to_string();
        assert!(out.contains("compile_error"), "{out}");
    }
}
