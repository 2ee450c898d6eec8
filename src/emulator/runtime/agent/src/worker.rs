//! The worker: the runtime's process that runs the user's handler (docs/pod-protocol.md,
//! "The worker"). The agent writes request frames to its stdin and reads frames from its
//! stdout on one thread, handing each to the connection waiting for it. Bytes on stdout that
//! are no frame are what user code printed there: they go to the app log and the next answer
//! becomes the framing error the platform page describes.

use crate::frame::{self, Header};
use crate::json;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

pub enum Reply {
    Answer { status: u16, ctype: Vec<u8>, body: Vec<u8> },
    Head { status: u16, ctype: Vec<u8> },
    Chunk(Vec<u8>),
    End,
    /// A streamed response failed after its head (the reason, for the log).
    Abort(String),
    /// The message of a framing error that came before this request's answer.
    Framing(String),
}

/// The worker to start: its argv, and (from a standby's start message) the exact environment
/// and working directory; otherwise it inherits the agent's, minus the agent's own variables.
pub struct WorkerSpec {
    pub argv: Vec<String>,
    pub env: Option<Vec<(String, String)>>,
    pub cwd: Option<String>,
    /// What a framing error tells the user to do.
    pub hint: String,
}

pub struct Worker {
    stdin: Mutex<ChildStdin>,
    pending: Mutex<HashMap<u32, Sender<Reply>>>,
    next_id: AtomicU32,
}

/// Variables that configure the agent, never the app.
const AGENT_ENV: &[&str] = &[
    "IGNITE_READY_FD",
    "IGNITE_SLOTS_FD",
    "IGNITE_STDOUT_HINT",
    "NODE_CHANNEL_FD",
    "NODE_CHANNEL_SERIALIZATION_MODE",
    "NODE_UNIQUE_ID",
];

/// How much non-frame output is skipped while looking for the next frame before giving up.
const MAX_JUNK: usize = 64 * 1024;

impl Worker {
    /// Starts the worker; the receiver fires once it sent its ready frame. A worker that exits
    /// (before or after that) ends the agent: the emulator sees the pod exit.
    pub fn start(spec: WorkerSpec) -> io::Result<(Arc<Worker>, Receiver<()>)> {
        let WorkerSpec { argv, env, cwd, hint } = spec;
        if argv.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no worker command"));
        }
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        if let Some(env) = env {
            cmd.env_clear().envs(env);
        }
        if let Some(cwd) = cwd {
            cmd.current_dir(cwd);
        }
        for name in AGENT_ENV {
            cmd.env_remove(name);
        }
        unsafe {
            cmd.pre_exec(|| {
                // The worker dies with the agent, even when the agent is killed.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| io::Error::new(e.kind(), format!("cannot start the worker {:?}: {e}", argv[0])))?;
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let worker = Arc::new(Worker { stdin: Mutex::new(stdin), pending: Mutex::new(HashMap::new()), next_id: AtomicU32::new(1) });
        let (ready_tx, ready_rx) = channel();
        let reader = Arc::clone(&worker);
        std::thread::spawn(move || reader.read_loop(stdout, child, ready_tx, hint));
        Ok((worker, ready_rx))
    }

    /// Sends one request; the replies arrive on the receiver (one Answer, or Head, Chunk…, End).
    pub fn call(&self, method: &[u8], path: &[u8], execution_id: &[u8], body: &[u8]) -> io::Result<Receiver<Reply>> {
        let mut id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if id == 0 {
            id = self.next_id.fetch_add(1, Ordering::Relaxed);
        }
        let (tx, rx) = channel();
        self.pending.lock().unwrap().insert(id, tx);
        let frame = frame::request(id, method, path, execution_id, body);
        let written = self.stdin.lock().unwrap().write_all(&frame);
        if let Err(e) = written {
            self.pending.lock().unwrap().remove(&id);
            return Err(e);
        }
        Ok(rx)
    }

    fn read_loop(self: Arc<Self>, mut out: ChildStdout, mut child: Child, ready: Sender<()>, hint: String) {
        let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
        let mut junk: Vec<u8> = Vec::new();
        // Streamed responses already turned into a framing error: their later frames are dropped.
        let mut discarding: HashSet<u32> = HashSet::new();
        let mut ready = Some(ready);
        loop {
            if fill(&mut out, &mut buf, frame::HEADER).is_err() {
                break;
            }
            let header = frame::parse_header(&buf[..frame::HEADER]).filter(|h| self.expected(h, ready.is_some(), &discarding));
            let Some(Header { kind, id, len }) = header else {
                // Not a frame: skip to the next magic (keeping a possible partial one).
                let next = find(&buf[1..], frame::MAGIC).map(|p| p + 1).unwrap_or(buf.len().saturating_sub(frame::MAGIC.len() - 1));
                junk.extend(buf.drain(..next.max(1)));
                if junk.len() > MAX_JUNK {
                    self.give_up(&junk, &hint);
                }
                continue;
            };
            if fill(&mut out, &mut buf, frame::HEADER + len).is_err() {
                break;
            }
            let payload: Vec<u8> = buf[frame::HEADER..frame::HEADER + len].to_vec();
            buf.drain(..frame::HEADER + len);
            let framing = if junk.is_empty() {
                None
            } else {
                let message = framing_message(&junk, &hint);
                log_junk(&junk);
                junk.clear();
                Some(message)
            };
            if kind == frame::READY {
                if let Some(tx) = ready.take() {
                    let _ = tx.send(());
                }
                continue;
            }
            if discarding.contains(&id) {
                if kind == frame::END || kind == frame::ABORT {
                    discarding.remove(&id);
                }
                continue;
            }
            let done = kind == frame::ANSWER || kind == frame::END || kind == frame::ABORT;
            let mut pending = self.pending.lock().unwrap();
            let tx = if done { pending.remove(&id) } else { pending.get(&id).cloned() };
            if let Some(tx) = tx {
                let reply = match (framing, kind) {
                    (Some(message), frame::ANSWER | frame::HEAD) => {
                        if kind == frame::HEAD {
                            pending.remove(&id);
                            discarding.insert(id);
                        }
                        Reply::Framing(message)
                    }
                    (_, frame::ANSWER) => match frame::status_and_type(&payload) {
                        Some((status, ctype, at)) => Reply::Answer { status, ctype: ctype.to_vec(), body: payload[at..].to_vec() },
                        None => Reply::Framing(format!("the worker sent a malformed answer frame; {hint}")),
                    },
                    (_, frame::HEAD) => match frame::status_and_type(&payload) {
                        Some((status, ctype, _)) => Reply::Head { status, ctype: ctype.to_vec() },
                        None => Reply::Framing(format!("the worker sent a malformed head frame; {hint}")),
                    },
                    (_, frame::CHUNK) => Reply::Chunk(payload),
                    (_, frame::ABORT) => Reply::Abort(String::from_utf8_lossy(&payload).into_owned()),
                    _ => Reply::End,
                };
                let _ = tx.send(reply);
            }
        }
        // The worker closed stdout: it exited (or is about to). The pod goes with it.
        let status = child.wait();
        let what = match status {
            Ok(s) if s.code().is_some() => format!("exit code {}", s.code().unwrap()),
            Ok(s) => format!("killed by signal {}", s.signal().unwrap_or(0)),
            Err(e) => e.to_string(),
        };
        let when = if ready.is_some() { "before it was ready" } else { "while serving" };
        eprintln!("[ignite] the app process exited {when} ({what}); the pod stops");
        std::process::exit(70);
    }

    /// Whether a header is one the agent is waiting for (else it is junk that looks like a frame).
    fn expected(&self, h: &Header, awaiting_ready: bool, discarding: &HashSet<u32>) -> bool {
        match h.kind {
            frame::READY => awaiting_ready && h.id == 0 && h.len == 0,
            _ => discarding.contains(&h.id) || self.pending.lock().unwrap().contains_key(&h.id),
        }
    }

    /// No frame within MAX_JUNK bytes: every request in flight gets the framing error and the pod stops.
    fn give_up(&self, junk: &[u8], hint: &str) -> ! {
        log_junk(junk);
        let message = framing_message(junk, hint);
        for (_, tx) in self.pending.lock().unwrap().drain() {
            let _ = tx.send(Reply::Framing(message.clone()));
        }
        eprintln!("[ignite] no valid frame in {MAX_JUNK} bytes of stdout; the pod stops");
        // Give the connections a moment to write their answers.
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::process::exit(70);
    }
}

fn fill(out: &mut ChildStdout, buf: &mut Vec<u8>, n: usize) -> io::Result<()> {
    let mut chunk = [0u8; 64 * 1024];
    while buf.len() < n {
        let got = out.read(&mut chunk)?;
        if got == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..got]);
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn preview(junk: &[u8]) -> String {
    let text = String::from_utf8_lossy(&junk[..junk.len().min(120)]).trim().to_string();
    if junk.len() > 120 {
        format!("{text}…")
    } else {
        text
    }
}

fn framing_message(junk: &[u8], hint: &str) -> String {
    let hint = if hint.is_empty() { "write logs to stderr" } else { hint };
    format!(
        "framing error: the app wrote to stdout, which carries the runtime's framing ({}); {hint}",
        json::quote(&preview(junk))
    )
}

fn log_junk(junk: &[u8]) {
    eprintln!("[ignite] framing error: the app wrote {} byte(s) to stdout, which carries the runtime's framing: {}", junk.len(), json::quote(&preview(junk)));
}
