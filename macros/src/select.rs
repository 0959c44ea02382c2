//! Expansion of `select!` (the `macro_rules` front end lives in weave's
//! `src/macros/select.rs`; it calls [`expand`] through `weave::__private`).
//!
//! Input: `<weave crate path> ; [biased ;] branches`, where a branch is
//! `pattern = future [, if precondition] => handler` and at most one
//! `else => handler` may appear. A handler that is a `{ block }` may omit the
//! comma that separates it from the next branch; any other handler needs it.
//!
//! Shape of the expansion (two branches):
//!
//! ```text
//! {
//!     enum Out<T0, T1> { _0(T0), _1(T1), Disabled }
//!     let output = {
//!         let mut disabled: u64 = 0;
//!         if !(precondition0) { disabled |= 1 << 0; }   // all preconditions first,
//!         let (f0, f1) = (future0, future1);            // then all futures
//!         let (f0, f1) = (into_future(f0), into_future(f1));
//!         let mut f1 = pin!(f1);
//!         let mut f0 = pin!(f0);
//!         poll_fn(move |cx| {
//!             // from a random start (0 with `biased;`), poll each enabled
//!             // branch; a ready branch is disabled, and its output returned
//!             // if it matches the branch's pattern (with `ref`/`mut` removed,
//!             // matched by reference so nothing moves)
//!             ...
//!         }).await
//!     };                      // the futures are dropped here, before the handler
//!     match output {
//!         Out::_0(pattern0) => handler0,
//!         Out::_1(pattern1) => handler1,
//!         Out::Disabled => else_handler_or_panic,
//!         _ => unreachable,
//!     }
//! }
//! ```
//!
//! Handlers are outside any closure, so `break`, `continue`, `return`, `?`
//! and `.await` in them act on the code around the `select!`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{token, Expr, Pat, Token};

use crate::join::{parse_biased, split_crate_path};

/// The most branches one `select!` may have (one bit each in a `u64`).
const MAX_BRANCHES: usize = 64;

struct Branch {
    pat: Pat,
    future: Expr,
    precondition: Option<Expr>,
    handler: Expr,
}

struct SelectInput {
    biased: bool,
    branches: Vec<Branch>,
    otherwise: Option<Expr>,
}

/// Parses a handler after `=>`, and the comma that ends it (optional after a
/// block or at the end of the input).
fn parse_handler(input: ParseStream<'_>) -> syn::Result<Expr> {
    if input.peek(token::Brace) {
        let block: syn::Block = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        return Ok(Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block,
        }));
    }
    let handler: Expr = input.parse()?;
    if !input.is_empty() {
        input.parse::<Token![,]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `,` after this select! handler (only a `{ block }` handler may omit it)",
            )
        })?;
    }
    Ok(handler)
}

fn parse_input(input: ParseStream<'_>) -> syn::Result<SelectInput> {
    let biased = parse_biased(input)?;
    let mut branches = Vec::new();
    let mut otherwise = None;
    while !input.is_empty() {
        if input.peek(Token![else]) {
            let else_token: Token![else] = input.parse()?;
            input.parse::<Token![=>]>()?;
            let handler = parse_handler(input)?;
            if otherwise.is_some() {
                return Err(syn::Error::new(
                    else_token.span,
                    "select! takes at most one `else` branch",
                ));
            }
            otherwise = Some(handler);
            continue;
        }
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        input.parse::<Token![=]>()?;
        let future: Expr = input.parse()?;
        let precondition = if input.peek(Token![,]) && input.peek2(Token![if]) {
            input.parse::<Token![,]>()?;
            input.parse::<Token![if]>()?;
            Some(input.parse::<Expr>()?)
        } else {
            None
        };
        input.parse::<Token![=>]>()?;
        let handler = parse_handler(input)?;
        branches.push(Branch {
            pat,
            future,
            precondition,
            handler,
        });
    }
    Ok(SelectInput {
        biased,
        branches,
        otherwise,
    })
}

/// Removes `ref` and `mut` from every binding (and `mut` from `&mut`
/// patterns), so the pattern can be tested against a *reference* to the
/// output through default binding modes without moving anything out of it.
fn strip_binding_modes(pat: &mut Pat) {
    match pat {
        Pat::Ident(p) => {
            p.by_ref = None;
            p.mutability = None;
            if let Some((_, sub)) = &mut p.subpat {
                strip_binding_modes(sub);
            }
        }
        Pat::Or(p) => p.cases.iter_mut().for_each(strip_binding_modes),
        Pat::Paren(p) => strip_binding_modes(&mut p.pat),
        Pat::Reference(p) => {
            p.mutability = None;
            strip_binding_modes(&mut p.pat);
        }
        Pat::Slice(p) => p.elems.iter_mut().for_each(strip_binding_modes),
        Pat::Struct(p) => p
            .fields
            .iter_mut()
            .for_each(|f| strip_binding_modes(&mut f.pat)),
        Pat::Tuple(p) => p.elems.iter_mut().for_each(strip_binding_modes),
        Pat::TupleStruct(p) => p.elems.iter_mut().for_each(strip_binding_modes),
        Pat::Type(p) => strip_binding_modes(&mut p.pat),
        // Literals, paths, ranges, `..`, `_`, macros, consts: no bindings
        // (or nothing we can see into).
        _ => {}
    }
}

/// Expands `select!`; errors become `compile_error!`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match try_expand(input) {
        Ok(tokens) => tokens,
        Err(err) => err.to_compile_error(),
    }
}

fn try_expand(input: TokenStream) -> syn::Result<TokenStream> {
    let (krate, rest) = split_crate_path(input)?;
    let SelectInput {
        biased,
        branches,
        otherwise,
    } = parse_input.parse2(rest)?;
    let n = branches.len();
    if n == 0 {
        return Err(syn::Error::new(
            Span::call_site(),
            "select! needs at least one `pattern = future => handler` branch",
        ));
    }
    if n > MAX_BRANCHES {
        return Err(syn::Error::new(
            branches[MAX_BRANCHES].pat.span(),
            format!("select! supports at most {MAX_BRANCHES} branches"),
        ));
    }

    let p = quote!(#krate::__private);
    let site = Span::mixed_site();
    let out_enum = Ident::new("__WeaveSelectOutput", site);
    let output = Ident::new("__output", site);
    let out = Ident::new("__out", site);
    let disabled = Ident::new("__disabled", site);
    let cx = Ident::new("__cx", site);
    let pending = Ident::new("__pending", site);
    let start = Ident::new("__start", site);
    let offset = Ident::new("__offset", site);
    let index = Ident::new("__index", site);
    let mask = Ident::new("__mask", site);
    let count = n as u32;

    let names: Vec<Ident> = (0..n)
        .map(|i| format_ident!("__fut{}", i, span = site))
        .collect();
    let rev_names: Vec<&Ident> = names.iter().rev().collect();
    let variants: Vec<Ident> = (0..n)
        .map(|i| format_ident!("_{}", i, span = site))
        .collect();
    let type_params: Vec<Ident> = (0..n)
        .map(|i| format_ident!("T{}", i, span = site))
        .collect();
    let futures = branches.iter().map(|b| &b.future);
    let indices = 0..count;

    let preconditions = branches.iter().enumerate().filter_map(|(i, b)| {
        let cond = b.precondition.as_ref()?;
        let i = i as u32;
        Some(quote! {
            if !(#cond) {
                #disabled |= 1u64 << #i;
            }
        })
    });

    let poll_arms = branches
        .iter()
        .zip(&names)
        .zip(&variants)
        .map(|((b, name), variant)| {
            let mut pat = b.pat.clone();
            strip_binding_modes(&mut pat);
            quote! {{
                let #out = match #p::Future::poll(#name.as_mut(), #cx) {
                    #p::Poll::Ready(#out) => #out,
                    #p::Poll::Pending => {
                        #pending = true;
                        continue;
                    }
                };
                // A finished future is never polled again, whatever its output.
                #disabled |= #mask;
                #[allow(unused_variables, unreachable_patterns)]
                match &#out {
                    #pat => {}
                    _ => continue,
                }
                return #p::Poll::Ready(#out_enum::#variant(#out));
            }}
        });

    let handler_arms = branches.iter().zip(&variants).map(|(b, variant)| {
        let pat = &b.pat;
        let handler = &b.handler;
        quote!(#out_enum::#variant(#pat) => #handler,)
    });

    let otherwise = match otherwise {
        Some(handler) => quote!(#handler),
        None => quote!(::core::panic!(
            "all branches are disabled and there is no else branch"
        )),
    };

    let choose_start = if biased {
        quote!(let #start: u32 = 0;)
    } else {
        quote!(let #start: u32 = #p::thread_rng_n(#count);)
    };

    Ok(quote! {{
        enum #out_enum<#( #type_params, )*> {
            #( #variants(#type_params), )*
            Disabled,
        }
        let #output = {
            let mut #disabled: u64 = 0;
            #( #preconditions )*
            let ( #( #names, )* ) = ( #( #futures, )* );
            let ( #( #names, )* ) = ( #( #p::IntoFuture::into_future(#names), )* );
            #( let mut #rev_names = #p::pin!(#rev_names); )*
            #p::poll_fn(move |#cx| {
                let mut #pending = false;
                #choose_start
                for #offset in 0..#count {
                    let mut #index = #start + #offset;
                    if #index >= #count {
                        #index -= #count;
                    }
                    let #mask: u64 = 1u64 << #index;
                    if #disabled & #mask != 0 {
                        continue;
                    }
                    match #index {
                        #( #indices => #poll_arms )*
                        _ => ::core::unreachable!(),
                    }
                }
                if #pending {
                    #p::Poll::Pending
                } else {
                    #p::Poll::Ready(#out_enum::Disabled)
                }
            })
            .await
        };
        match #output {
            #( #handler_arms )*
            #out_enum::Disabled => #otherwise,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select!: an output that did not match its pattern was kept"),
        }
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(pat: TokenStream) -> String {
        let mut pat = Pat::parse_multi_with_leading_vert.parse2(pat).unwrap();
        strip_binding_modes(&mut pat);
        quote!(#pat).to_string()
    }

    #[test]
    fn strips_ref_and_mut() {
        assert_eq!(strip(quote!(mut x)), "x");
        assert_eq!(strip(quote!(Some(ref mut x))), "Some (x)");
        assert_eq!(
            strip(quote!((ref a, Foo { mut b, c: ref d }, [mut e, ..]))),
            "(a , Foo { b , c : d } , [e , ..])"
        );
        assert_eq!(strip(quote!(Ok(mut v) | Err(mut v))), "Ok (v) | Err (v)");
        assert_eq!(strip(quote!(ref mut whole @ Some(_))), "whole @ Some (_)");
    }

    fn expand_str(input: TokenStream) -> String {
        expand(input).to_string()
    }

    #[test]
    fn parses_all_branch_forms() {
        let out = expand_str(quote! {
            weave;
            biased;
            Some(v) = a, if ready => v,
            x = b => { x }
            _ = c => {},
            else => 0
        });
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains("thread_rng_n"), "{out}");
    }

    #[test]
    fn random_start_without_biased() {
        let out = expand_str(quote!(weave; x = a => x));
        assert!(out.contains("thread_rng_n"), "{out}");
    }

    #[test]
    fn errors() {
        for bad in [
            quote!(weave;),
            quote!(weave; else => 1),
            quote!(weave; x = a => x y = b => y),
            quote!(weave; x = a => x, else => 1, else => 2),
            quote!(weave; x => 1),
        ] {
            let out = expand_str(bad);
            assert!(out.contains("compile_error"), "{out}");
        }
        let many: Vec<TokenStream> = (0..65).map(|_| quote!(_ = a => {})).collect();
        let out = expand_str(quote!(weave; #( #many )*));
        assert!(out.contains("at most 64"), "{out}");
    }
}
