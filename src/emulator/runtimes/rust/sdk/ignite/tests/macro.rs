// #[ignite::main] as an app uses it: the handler stays callable as written, and the macro adds
// the hidden entry point the build's wrapper binary calls.
use ignite::prelude::*;
use serde_json::json;

#[ignite::main]
async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> {
    let message: String = req.field("message").unwrap_or_else(|_| "Hello from Rust!".to_string());
    Ok(json!({ "message": message, "execution_id": ctx.execution_id(), "function_id": ctx.function_id() }))
}

#[test]
fn the_seed_handler_compiles_and_keeps_its_body() {
    let entry: fn() = __ignite_main;
    let _ = entry;
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let ctx = Context::new("exec_1", "acme-corp/tiny", "acme-corp", Default::default());
    let r = rt.block_on(handler(Request::new("POST", "/", br#"{"message":"hi"}"#.to_vec()), ctx)).unwrap().into_response();
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_type(), "application/json");
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(v, json!({"message": "hi", "execution_id": "exec_1", "function_id": "acme-corp/tiny"}));
}
