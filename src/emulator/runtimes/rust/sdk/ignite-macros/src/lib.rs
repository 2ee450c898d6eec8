//! `#[ignite::main]`: marks the app's handler. It keeps the function as written and adds, next
//! to it (at the crate root when the handler is in `src/lib.rs`), a hidden
//! `pub fn __ignite_main()` that runs the worker loop; the build's generated wrapper binary
//! calls it.

use proc_macro::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, FnArg, ItemFn};

const SHAPE: &str = "expected `async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse>`";

#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func = parse_macro_input!(item as ItemFn);
    if !attr.is_empty() {
        let attr = proc_macro2::TokenStream::from(attr);
        return error(attr.span(), "#[ignite::main] takes no arguments");
    }
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        return error(sig.fn_token.span(), &format!("#[ignite::main] needs an async fn: {SHAPE}"));
    }
    if !sig.generics.params.is_empty() {
        return error(sig.generics.span(), &format!("#[ignite::main] handlers take no generic parameters: {SHAPE}"));
    }
    if sig.inputs.len() != 2 || sig.inputs.iter().any(|a| matches!(a, FnArg::Receiver(_))) {
        return error(sig.inputs.span(), &format!("#[ignite::main] handlers take two arguments: {SHAPE}"));
    }
    let name = &sig.ident;
    quote! {
        #func

        #[doc(hidden)]
        pub fn __ignite_main() {
            ::ignite::__private::run(|req, ctx| async move {
                ::ignite::__private::into_response(#name(req, ctx).await)
            })
        }
    }
    .into()
}

fn error(span: proc_macro2::Span, message: &str) -> TokenStream {
    quote_spanned!(span => ::core::compile_error!(#message);).into()
}
