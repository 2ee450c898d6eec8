//! ignite-pod-agent: one pod of the local Ignite, whatever its runtime (docs/pod-protocol.md).
//!
//! Usage: `ignite-pod-agent -- <worker argv...>`, started by the emulator with the version's
//! tree as working directory; or `ignite-pod-agent` alone, a standby the emulator starts ahead
//! of need and tells over the IPC channel which worker to run, where and with which
//! environment (the platform's agent is already on the node when a cold start comes). The agent owns everything a pod does on the network — HTTP/1.1
//! with keep-alive, connection handoff, the slot table, readiness and the lifeline — and runs
//! the user's code in the worker, which it speaks to in frames. So every runtime gets the same
//! pod, and the rules the pod applies to handed-over connections exist once.

mod frame;
mod handoff;
mod http;
mod json;
mod sys;
mod worker;

use std::io::Write;
use std::net::TcpListener;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::Arc;

fn env_fd(name: &str) -> Option<RawFd> {
    std::env::var(name).ok()?.parse().ok()
}

fn die(message: &str) -> ! {
    eprintln!("[ignite] pod agent: {message}");
    std::process::exit(71);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `-- <worker argv...>` starts that worker at once; without it the agent is a standby,
    // started ahead of need, and waits for its worker on the IPC channel (docs/pod-protocol.md).
    let argv: Option<Vec<String>> = match args.iter().position(|a| a == "--") {
        Some(i) if i + 1 < args.len() => Some(args[i + 1..].to_vec()),
        Some(_) => die("usage: ignite-pod-agent [-- <worker command...>]"),
        None => None,
    };
    let ready_fd = env_fd("IGNITE_READY_FD");
    let slots_fd = env_fd("IGNITE_SLOTS_FD");
    let channel_fd = env_fd("NODE_CHANNEL_FD");
    // The worker and whatever user code spawns inherit none of the agent's descriptors.
    for fd in [ready_fd, slots_fd, channel_fd].into_iter().flatten() {
        sys::set_cloexec(fd);
    }

    // The emulator holds our stdin open; EOF means it is gone, so the pod must not outlive it.
    std::thread::spawn(|| {
        let mut buf = [0u8; 4096];
        loop {
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n == 0 || (n < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted) {
                std::process::exit(0);
            }
        }
    });

    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| die(&format!("cannot listen: {e}")));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let spec = match argv {
        Some(argv) => worker::WorkerSpec { argv, env: None, cwd: None, hint: std::env::var("IGNITE_STDOUT_HINT").unwrap_or_default() },
        None => {
            let fd = channel_fd.unwrap_or_else(|| die("a standby agent needs the IPC channel (NODE_CHANNEL_FD)"));
            handoff::wait_for_start(fd).unwrap_or_else(|e| die(&e))
        }
    };
    let (worker, ready) = worker::Worker::start(spec).unwrap_or_else(|e| die(&e.to_string()));
    // The worker lives as long as the process: connection threads borrow it for good.
    let worker: &'static worker::Worker = unsafe { &*Arc::into_raw(worker) };

    // A worker that exits before it is ready ends the process from its reader thread.
    if ready.recv().is_err() {
        die("the worker ended before it was ready");
    }
    if let Some(fd) = ready_fd {
        let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
        let _ = f.write_all(format!("READY {port}\n").as_bytes());
        drop(f);
    }
    if let Some(fd) = channel_fd {
        handoff::start_channel(fd, slots_fd.unwrap_or(-1), worker);
    }

    for conn in listener.incoming() {
        match conn {
            Ok(stream) => {
                let conn = sys::Conn { stream, io_timeout_ms: -1 };
                std::thread::spawn(move || http::serve_connection(conn, worker, None));
            }
            Err(e) => eprintln!("[ignite] pod agent: accept failed: {e}"),
        }
    }
}
