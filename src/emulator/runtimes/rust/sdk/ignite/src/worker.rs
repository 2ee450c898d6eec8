//! The worker loop `#[ignite::main]` runs (docs/pod-protocol.md, "The worker"): `Y` once
//! ready, then one `A` answer for every `Q` request read on stdin; exit 0 at EOF.
//!
//! Native: a tokio multi-thread runtime, one task per request, so requests run concurrently;
//! a panic is caught at the task boundary and answered 500, and the process keeps serving.
//! wasm32-wasip2: a current-thread runtime, one request at a time; a panic aborts the
//! instance (wasm has no unwinding), so the panic hook answers 500 first and the runner
//! replaces the instance.

use std::collections::HashMap;
use std::future::Future;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, Once, OnceLock};

use crate::frame::{self, FrameError, Query};
use crate::{AppInfo, Context, Request, Response};

tokio::task_local! {
    /// The request the current task serves: its frame id and execution id.
    static CURRENT: (u32, String);
}

/// Where answer frames go. One `send` is one whole frame.
pub(crate) trait Sink: Send + Sync {
    fn send(&self, frame: &[u8]);
}

/// fd 1. Frames bypass std's `Stdout` buffer (one write per frame) but hold its lock while
/// written, so a `println!` from user code lands between frames, never inside one; the agent
/// reports such bytes as a framing error.
struct StdoutSink;

impl Sink for StdoutSink {
    fn send(&self, frame: &[u8]) {
        let stdout = io::stdout();
        let mut locked = stdout.lock();
        let result = write_fd1(&mut locked, frame);
        if result.is_err() {
            // The agent is gone (EPIPE): nobody reads our answers any more.
            std::process::exit(0);
        }
    }
}

#[cfg(any(unix, target_os = "wasi"))]
fn write_fd1(_locked: &mut io::StdoutLock<'_>, frame: &[u8]) -> io::Result<()> {
    use std::mem::ManuallyDrop;
    use std::os::fd::FromRawFd;
    // SAFETY: fd 1 stays open for the life of the process; ManuallyDrop never closes it.
    let mut raw = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
    raw.write_all(frame)
}

#[cfg(not(any(unix, target_os = "wasi")))]
fn write_fd1(locked: &mut io::StdoutLock<'_>, frame: &[u8]) -> io::Result<()> {
    locked.write_all(frame)?;
    locked.flush()
}

static SINK: OnceLock<Arc<dyn Sink>> = OnceLock::new();

fn app_info() -> Arc<AppInfo> {
    let env: HashMap<String, String> = std::env::vars().collect();
    Arc::new(AppInfo {
        function_id: env.get("IGNITE_FUNCTION_ID").cloned().unwrap_or_default(),
        organization_id: env.get("IGNITE_ORGANIZATION_ID").cloned().unwrap_or_default(),
        env,
    })
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_string()
    }
}

fn panicked(message: &str) -> String {
    format!("handler panicked: {message}; see the app logs")
}

/// Tags panics with their execution id in the app log; on wasm, also answers the request,
/// since the instance aborts right after the hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let current = CURRENT.try_with(|c| c.clone()).ok();
            if let Some((_, exec)) = &current {
                eprintln!("[ignite] execution {exec}: the handler panicked");
            }
            default(info);
            if cfg!(target_family = "wasm") {
                // The answer goes to the wasm runner as a `P` frame (an `A` whose sender is
                // about to trap): the runner passes it on as the answer and feeds the next
                // request to a new instance, not to this dying one.
                if let (Some((id, exec)), Some(sink)) = (current, SINK.get()) {
                    let answer = Response::error(&panicked(&panic_message(info.payload())), &exec).into_answer(&exec);
                    sink.send(&frame::encode(frame::PANICKED, id, &answer));
                }
            }
        }));
    });
}

/// Runs the worker on stdin/stdout until stdin ends, then exits 0. Called by the
/// `__ignite_main` that `#[ignite::main]` generates.
pub fn run<H, Fut>(handler: H) -> !
where
    H: Fn(Request, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, String>> + Send + 'static,
{
    install_panic_hook();
    let sink: Arc<dyn Sink> = Arc::new(StdoutSink);
    let _ = SINK.set(Arc::clone(&sink));
    let rt = runtime().unwrap_or_else(|e| {
        eprintln!("[ignite] cannot start the tokio runtime: {e}");
        std::process::exit(1)
    });
    let input = stdin();
    match serve(input, sink, handler, &rt) {
        // EOF: the agent closed our stdin (the lifeline); requests still running are dropped.
        Ok(_) => std::process::exit(0),
        Err(e) => {
            eprintln!("[ignite] the pod agent sent {e}; exiting");
            std::process::exit(1)
        }
    }
}

#[cfg(not(target_family = "wasm"))]
fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

#[cfg(target_family = "wasm")]
fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

#[cfg(any(unix, target_os = "wasi"))]
fn stdin() -> impl Read {
    use std::mem::ManuallyDrop;
    use std::os::fd::FromRawFd;
    // SAFETY: as for fd 1. Reading fd 0 directly keeps std's Stdin buffer out of the way.
    io::BufReader::with_capacity(64 * 1024, FdReader(ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(0) })))
}

#[cfg(any(unix, target_os = "wasi"))]
struct FdReader(std::mem::ManuallyDrop<std::fs::File>);

#[cfg(any(unix, target_os = "wasi"))]
impl Read for FdReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

#[cfg(not(any(unix, target_os = "wasi")))]
fn stdin() -> impl Read {
    io::stdin().lock()
}

/// Requests still running when the input ended (the caller may wait for them or not).
pub(crate) type InFlight = Vec<tokio::task::JoinHandle<()>>;

/// Sends `Y`, then serves every `Q` frame of `input` until it ends.
pub(crate) fn serve<R, H, Fut>(mut input: R, sink: Arc<dyn Sink>, handler: H, rt: &tokio::runtime::Runtime) -> Result<InFlight, FrameError>
where
    R: Read,
    H: Fn(Request, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, String>> + Send + 'static,
{
    let app = app_info();
    let handler = Arc::new(handler);
    let in_flight: Arc<Mutex<InFlight>> = Arc::default();
    sink.send(&frame::encode(frame::READY, 0, &[]));
    while let Some(f) = frame::read_frame(&mut input)? {
        if f.kind != frame::REQUEST {
            eprintln!("[ignite] ignoring a frame of kind {:?} from the pod agent", f.kind as char);
            continue;
        }
        let id = f.id;
        let query = match Query::decode(&f.payload) {
            Ok(q) => q,
            Err(e) => {
                let answer = Response::error(&e.to_string(), "").into_answer("");
                sink.send(&frame::encode(frame::ANSWER, id, &answer));
                continue;
            }
        };
        let exec = query.execution_id.clone();
        let req = Request::new(query.method, query.path, query.body);
        let ctx = Context::for_request(exec.clone(), &app);
        let fut = CURRENT.scope((id, exec.clone()), handler(req, ctx));
        let sink = Arc::clone(&sink);
        if cfg!(target_family = "wasm") {
            let result = rt.block_on(fut);
            sink.send(&frame::encode(frame::ANSWER, id, &answer_of(Ok(result), &exec)));
        } else {
            // The handler runs in a task of its own: a panic ends that task only, and its
            // JoinError carries the message.
            let task = rt.spawn(async move {
                let result = rt_spawn(fut).await;
                sink.send(&frame::encode(frame::ANSWER, id, &answer_of(result, &exec)));
            });
            let mut list = in_flight.lock().unwrap();
            list.retain(|t| !t.is_finished());
            list.push(task);
        }
    }
    let list = std::mem::take(&mut *in_flight.lock().unwrap());
    Ok(list)
}

fn rt_spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(fut)
}

/// The `A` payload for a handler's outcome.
fn answer_of(result: Result<Result<Response, String>, tokio::task::JoinError>, exec: &str) -> Vec<u8> {
    match result {
        Ok(Ok(response)) => response.into_answer(exec),
        Ok(Err(message)) => {
            eprintln!("[ignite] execution {exec}: the handler returned an error: {message}");
            Response::error(&message, exec).into_answer(exec)
        }
        Err(e) if e.is_panic() => Response::error(&panicked(&panic_message(&*e.into_panic())), exec).into_answer(exec),
        Err(_) => Response::error("the handler was cancelled", exec).into_answer(exec),
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    use super::*;
    use crate::frame::{decode_answer, encode, read_frame, REQUEST};
    use serde_json::Value;
    use std::io::Cursor;
    use std::time::{Duration, Instant};

    #[derive(Default)]
    struct Collect(Mutex<Vec<u8>>);

    impl Sink for Collect {
        fn send(&self, frame: &[u8]) {
            self.0.lock().unwrap().extend_from_slice(frame);
        }
    }

    fn q(id: u32, exec: &str, body: &str) -> Vec<u8> {
        let query = Query { method: "POST".into(), path: "/".into(), execution_id: exec.into(), body: body.as_bytes().to_vec() };
        encode(REQUEST, id, &query.encode())
    }

    /// Serves `input` to the end, waits for every request, returns the frames written.
    fn run_worker<H, Fut>(input: Vec<u8>, handler: H) -> Vec<frame::Frame>
    where
        H: Fn(Request, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Response, String>> + Send + 'static,
    {
        install_panic_hook();
        let rt = runtime().unwrap();
        let out = Arc::new(Collect::default());
        let in_flight = serve(Cursor::new(input), out.clone(), handler, &rt).unwrap();
        rt.block_on(async {
            for t in in_flight {
                t.await.unwrap();
            }
        });
        let bytes = out.0.lock().unwrap().clone();
        let mut r = Cursor::new(bytes);
        let mut frames = vec![];
        while let Some(f) = read_frame(&mut r).unwrap() {
            frames.push(f);
        }
        frames
    }

    fn json_of(f: &frame::Frame) -> (u16, Value) {
        let (status, ct, body) = decode_answer(&f.payload).unwrap();
        assert_eq!(ct, "application/json");
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn it_says_ready_then_answers_each_request_with_its_id() {
        let mut input = q(1, "exec_a", r#"{"message":"hi"}"#);
        input.extend(q(2, "exec_b", ""));
        let frames = run_worker(input, |req: Request, ctx: Context| async move {
            let m: String = req.field("message").unwrap_or_else(|_| "Hello from Rust!".into());
            crate::__private::into_response(Ok::<_, crate::Error>(serde_json::json!({"message": m, "execution_id": ctx.execution_id()})))
        });
        assert_eq!((frames[0].kind, frames[0].id, frames[0].payload.len()), (b'Y', 0, 0));
        let mut answers: Vec<_> = frames[1..].iter().map(|f| (f.id, json_of(f))).collect();
        answers.sort_by_key(|a| a.0);
        assert_eq!(answers[0], (1, (200, serde_json::json!({"message": "hi", "execution_id": "exec_a"}))));
        assert_eq!(answers[1], (2, (200, serde_json::json!({"message": "Hello from Rust!", "execution_id": "exec_b"}))));
    }

    #[test]
    fn an_err_is_a_500_with_the_message_and_the_execution_id() {
        let frames = run_worker(q(5, "exec_e", "x"), |req: Request, _ctx: Context| async move {
            crate::__private::into_response(req.body::<Value>())
        });
        let (status, body) = json_of(&frames[1]);
        assert_eq!(status, 500);
        assert_eq!(body["execution_id"], "exec_e");
        assert!(body["error"].as_str().unwrap().starts_with("expected value"), "{body}");
    }

    #[test]
    fn a_panic_is_a_500_and_the_next_request_is_served() {
        let mut input = q(1, "exec_p", "boom");
        input.extend(q(2, "exec_ok", "fine"));
        let frames = run_worker(input, |req: Request, _ctx: Context| async move {
            if req.raw() == b"boom" {
                panic!("kaboom");
            }
            Ok(Response::text("ok"))
        });
        let by_id = |id| frames.iter().find(|f| f.id == id && f.kind == b'A').unwrap();
        let (status, body) = json_of(by_id(1));
        assert_eq!(status, 500);
        assert_eq!(body, serde_json::json!({"error": "handler panicked: kaboom; see the app logs", "execution_id": "exec_p"}));
        assert_eq!(decode_answer(&by_id(2).payload).unwrap(), (200, "text/plain; charset=utf-8".into(), b"ok".to_vec()));
    }

    #[test]
    fn requests_run_concurrently() {
        let mut input = vec![];
        for id in 1..=4 {
            input.extend(q(id, "e", ""));
        }
        let started = Instant::now();
        let frames = run_worker(input, |_req: Request, _ctx: Context| async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(Response::text("slept"))
        });
        assert_eq!(frames.iter().filter(|f| f.kind == b'A').count(), 4);
        assert!(started.elapsed() < Duration::from_millis(1000), "4 × 300 ms took {:?}", started.elapsed());
    }

    #[test]
    fn a_malformed_request_is_answered_500_and_serving_goes_on() {
        let mut input = encode(REQUEST, 3, &[200]);
        input.extend(q(4, "e", ""));
        let frames = run_worker(input, |_req: Request, _ctx: Context| async move { Ok(Response::text("ok")) });
        let (status, body) = json_of(frames.iter().find(|f| f.id == 3).unwrap());
        assert_eq!(status, 500);
        assert!(body["error"].as_str().unwrap().starts_with("malformed request frame"));
        assert!(frames.iter().any(|f| f.id == 4));
    }

    #[test]
    fn a_broken_stream_is_an_error() {
        let rt = runtime().unwrap();
        let r = serve(Cursor::new(b"garbage-not-a-frame".to_vec()), Arc::new(Collect::default()), |_r: Request, _c: Context| async { Ok(Response::text("")) }, &rt);
        assert!(matches!(r, Err(FrameError::BadMagic(_))));
    }
}
