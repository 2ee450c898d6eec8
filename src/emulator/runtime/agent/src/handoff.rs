//! Connection handoff, the pod's side (docs/runtime.md, "Connection handoff"; the emulator's
//! side is handoff.ts). Once the relay has served a keep-alive public-URL connection it may
//! send the client socket itself over Node's IPC channel (a JSON line with the descriptor as
//! SCM_RIGHTS), so later requests skip the relay. The emulator keeps its own descriptor,
//! reads nothing while the agent holds it, and learns what the agent does from the slot table
//! (fd 5, mapped here). A request is served only when it is exactly what the relay authorized;
//! anything else, and every connection when the emulator asks ("drain"), is given back at a
//! request boundary with the bytes read but not served.

use crate::http::{serve_connection, Head, Reader};
use crate::json::{self, Json};
use crate::sys::{self, Conn};
use crate::worker::{Worker, WorkerSpec};
use std::io;
use std::net::TcpStream;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

const IDLE_TIMEOUT_MS: i32 = 5000;
const SLOT_BYTES: usize = 40;

/// The IPC channel to the emulator (writes from any thread, one line at a time).
struct Channel {
    fd: RawFd,
    lock: Mutex<()>,
}

impl Channel {
    fn send(&self, line: &str) {
        let data = format!("{line}\n");
        let _guard = self.lock.lock().unwrap();
        let mut rest = data.as_bytes();
        while !rest.is_empty() {
            let n = unsafe { libc::write(self.fd, rest.as_ptr().cast(), rest.len()) };
            if n < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return; // the emulator is gone; the lifeline ends this process
            }
            rest = &rest[n as usize..];
        }
    }
}

/// The slot table: one 40-byte slot per handed connection (see handoff.ts for the layout).
struct Table {
    base: *mut u8,
    len: usize,
}
unsafe impl Send for Table {}
unsafe impl Sync for Table {}

impl Table {
    fn map(fd: RawFd) -> io::Result<Table> {
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let len = st.st_size as usize;
        let base = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0) };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Table { base: base.cast(), len })
    }

    /// Writes doubles from slot offset `at` (a multiple of 8 inside the slot).
    fn put(&self, off: usize, at: usize, values: &[f64]) {
        let start = off + at;
        if start + values.len() * 8 > self.len {
            return;
        }
        for (i, v) in values.iter().enumerate() {
            let bytes = v.to_le_bytes();
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(start + i * 8), 8) };
        }
    }
}

/// Connections adopted between two drains. A drain marks it stale and makes its pipe readable,
/// which wakes every connection waiting on it; the pipe closes with the last connection.
struct Generation {
    read_fd: RawFd,
    write_fd: RawFd,
    stale: AtomicBool,
}

impl Generation {
    fn new() -> Arc<Generation> {
        let mut fds = [0; 2];
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        Arc::new(Generation { read_fd: fds[0], write_fd: fds[1], stale: AtomicBool::new(false) })
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        unsafe {
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}

struct Shared {
    channel: Channel,
    table: OnceLock<io::Result<Table>>,
    slots_fd: RawFd,
    generation: Mutex<Arc<Generation>>,
}

static SHARED: OnceLock<Shared> = OnceLock::new();

fn shared() -> &'static Shared {
    SHARED.get().expect("the channel is set up before any handoff")
}

/// One handed-over connection: its guard, its slot, and how it ends.
pub struct Handoff {
    id: f64,
    host: String,
    /// None: the app allows unauthenticated calls.
    authorization: Option<String>,
    until: f64,
    pub cors: bool,
    pub max_bytes: usize,
    pub too_large: (u16, Vec<u8>),
    /** The request cap, and the relay's answer past it (the connection then closes). */
    pub max_request_bytes: usize,
    pub request_too_large: (u16, Vec<u8>),
    off: usize,
    timeout_ms: i32,
    requests: f64,
    over: bool,
    generation: Arc<Generation>,
}

impl Handoff {
    fn new(m: &Json, generation: Arc<Generation>) -> Option<Handoff> {
        let too_large = m.get("tooLarge")?;
        let request_too_large = m.get("requestTooLarge")?;
        Some(Handoff {
            id: m.num("id")?,
            host: m.str("host")?.to_string(),
            authorization: m.str("authorization").map(str::to_string),
            until: m.num("authUntil").unwrap_or(0.0),
            cors: m.bool("cors"),
            max_bytes: m.num("maxResponseBytes")? as usize,
            too_large: (too_large.num("status")? as u16, too_large.str("body")?.as_bytes().to_vec()),
            max_request_bytes: m.num("maxRequestBytes")? as usize,
            request_too_large: (request_too_large.num("status")? as u16, request_too_large.str("body")?.as_bytes().to_vec()),
            off: m.num("slot")? as usize * SLOT_BYTES,
            timeout_ms: (m.num("timeoutMs")? as i32).max(1000),
            requests: 0.0,
            over: false,
            generation,
        })
    }

    fn table(&self) -> Option<&'static Table> {
        shared().table.get_or_init(|| Table::map(shared().slots_fd)).as_ref().ok()
    }

    fn put(&self, at: usize, values: &[f64]) {
        if let Some(t) = self.table() {
            t.put(self.off, at, values);
        }
    }

    /// Until a request's bytes are readable (true; marked pending first) or the connection is over.
    pub fn wait(&mut self, conn: &mut Conn, reader: &mut Reader) -> io::Result<bool> {
        if reader.buf.is_empty() {
            loop {
                if self.generation.stale.load(Ordering::Acquire) {
                    self.give_back(reader, "drain");
                    return Ok(false);
                }
                let mut fds = [sys::pollfd(conn.fd(), libc::POLLIN), sys::pollfd(self.generation.read_fd, libc::POLLIN)];
                if sys::poll(&mut fds, IDLE_TIMEOUT_MS)? == 0 {
                    return Ok(false); // idle: closed, as the relay closes idle connections
                }
                if fds[0].revents != 0 {
                    break;
                }
            }
            self.put(0, &[sys::monotonic_ms()]);
            conn.io_timeout_ms = IDLE_TIMEOUT_MS;
            reader.more(conn)?; // UnexpectedEof when the client closed
        }
        conn.io_timeout_ms = IDLE_TIMEOUT_MS;
        Ok(true)
    }

    /// Only blank lines between requests: nothing is pending.
    pub fn idle(&self) {
        self.put(0, &[0.0]);
    }

    /// The head was accepted: the handler's time starts, and reads get the app timeout.
    pub fn start(&self, conn: &mut Conn) {
        self.put(8, &[sys::monotonic_ms()]);
        conn.io_timeout_ms = self.timeout_ms;
    }

    pub fn responding(&self) {
        self.put(16, &[1.0]);
    }

    /// A request answered; pipelined bytes already read keep the slot pending.
    pub fn done(&mut self, reader: &Reader) {
        self.requests += 1.0;
        let pending = if reader.buf.is_empty() { 0.0 } else { sys::monotonic_ms() };
        self.put(0, &[pending, 0.0, 0.0, self.requests, sys::epoch_ms()]);
    }

    /// Why the relay must see this request, or None when it is exactly what the relay authorized.
    pub fn refusal(&self, parsed: Option<&Head>, sep: usize) -> Option<&'static str> {
        if self.generation.stale.load(Ordering::Acquire) {
            return Some("drain");
        }
        let head = match parsed {
            Some(h) if sep == 4 => h,
            _ => return Some("malformed"),
        };
        if head.odd || head.version != b"HTTP/1.1" || head.headers.contains_key("upgrade") {
            return Some("malformed");
        }
        if let Some(te) = head.header("transfer-encoding") {
            if !te.eq_ignore_ascii_case("chunked") || head.headers.contains_key("content-length") {
                return Some("malformed");
            }
        }
        if let Some(len) = head.header("content-length") {
            if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
                return Some("malformed");
            }
        }
        let mut host = head.header("host").unwrap_or("");
        if let Some(colon) = host.rfind(':') {
            let port = &host[colon + 1..];
            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
                host = &host[..colon];
            }
        }
        if !host.eq_ignore_ascii_case(&self.host) {
            return Some("credentials");
        }
        match &self.authorization {
            None => {
                if head.headers.contains_key("authorization") {
                    return Some("credentials"); // a token for an open app: the emulator keeps it from the app
                }
                if head.method == b"OPTIONS" && head.headers.contains_key("access-control-request-method") {
                    return Some("preflight"); // the emulator answers it
                }
            }
            Some(expected) => {
                if head.header("authorization") != Some(expected.as_str()) {
                    return Some("credentials");
                }
            }
        }
        if self.until > 0.0 && sys::epoch_ms() >= self.until {
            return Some("credentials");
        }
        None
    }

    /// Ends this agent's hold; the emulator reads on with the unread bytes first. The slot stays
    /// pending while bytes are unread: should the agent die before the emulator reads this
    /// message, that connection is answered as failed rather than resumed with bytes missing.
    /// Our descriptor closes when the connection's thread ends; the emulator keeps its own.
    pub fn give_back(&mut self, reader: &Reader, why: &str) {
        if self.end() {
            self.put(24, &[self.requests, sys::epoch_ms()]);
            let unread = base64(&reader.buf);
            shared().channel.send(&format!("{{\"t\":\"back\",\"id\":{},\"why\":{},\"unread\":\"{unread}\"}}", self.id, json::quote(why)));
        }
    }

    /// The connection is over (client gone, Connection: close, idle, bad framing).
    pub fn closed(&mut self, conn: &Conn) {
        if self.end() {
            self.put(0, &[0.0, 0.0, 0.0, self.requests, sys::epoch_ms()]);
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
            shared().channel.send(&format!("{{\"t\":\"closed\",\"id\":{}}}", self.id));
        }
    }

    fn end(&mut self) -> bool {
        !std::mem::replace(&mut self.over, true)
    }
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 { A[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if c.len() > 2 { A[n as usize & 63] as char } else { '=' });
    }
    out
}

/// Every connection adopted so far goes back at its next request boundary.
fn drain() {
    let sh = shared();
    let old = std::mem::replace(&mut *sh.generation.lock().unwrap(), Generation::new());
    old.stale.store(true, Ordering::Release);
    unsafe { libc::write(old.write_fd, b"x".as_ptr().cast(), 1) };
}

/// Serves a handed-over socket on its own thread; gives it straight back if that fails.
fn adopt(fd: RawFd, m: &Json, worker: &'static Worker) {
    let generation = Arc::clone(&shared().generation.lock().unwrap());
    let Some(handoff) = Handoff::new(m, generation) else {
        unsafe { libc::close(fd) };
        eprintln!("[ignite] a handed-over connection came with an unreadable message; given back");
        send_back_error(m);
        return;
    };
    // Non-blocking, as the emulator's copy of the descriptor needs it (they share the flag);
    // reads and writes wait with poll.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let _ = stream.set_nonblocking(true);
    let conn = Conn { stream, io_timeout_ms: IDLE_TIMEOUT_MS };
    std::thread::spawn(move || serve_connection(conn, worker, Some(handoff)));
}

fn send_back_error(m: &Json) {
    let id = m.num("id").map(|n| n.to_string()).unwrap_or_else(|| "null".into());
    shared().channel.send(&format!("{{\"t\":\"back\",\"id\":{id},\"why\":\"error\",\"unread\":\"\"}}"));
}

/// A standby's wait for its worker: the first message on the channel,
/// `{"t":"start","argv":[...],"env":{...},"cwd":"...","hint":"..."}`. Nothing else is sent to a
/// standby before it reports READY, so no byte of a later message is read here.
pub fn wait_for_start(fd: RawFd) -> Result<WorkerSpec, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 4096];
    loop {
        let n = unsafe { libc::read(fd, byte.as_mut_ptr().cast(), byte.len()) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(format!("reading the start message: {}", io::Error::last_os_error()));
        }
        if n == 0 {
            std::process::exit(0); // the emulator went away before it needed this standby
        }
        line.extend_from_slice(&byte[..n as usize]);
        if line.last() == Some(&b'\n') {
            break;
        }
    }
    let m = json::parse(&line[..line.len() - 1]).ok_or("the start message is not JSON")?;
    if m.str("t") != Some("start") {
        return Err(format!("expected a start message, got {}", String::from_utf8_lossy(&line)));
    }
    let argv: Vec<String> = match m.get("argv") {
        Some(Json::Arr(items)) => items.iter().filter_map(|v| if let Json::Str(s) = v { Some(s.clone()) } else { None }).collect(),
        _ => return Err("the start message has no argv".into()),
    };
    let env = match m.get("env") {
        Some(Json::Obj(map)) => Some(map.iter().filter_map(|(k, v)| if let Json::Str(s) = v { Some((k.clone(), s.clone())) } else { None }).collect()),
        _ => None,
    };
    Ok(WorkerSpec { argv, env, cwd: m.str("cwd").map(str::to_string), hint: m.str("hint").unwrap_or("").to_string() })
}

/// Reads the IPC channel: handles (client sockets) and drains. Ends when the emulator is gone.
pub fn start_channel(channel_fd: RawFd, slots_fd: RawFd, worker: &'static Worker) {
    let _ = SHARED.set(Shared {
        channel: Channel { fd: channel_fd, lock: Mutex::new(()) },
        table: OnceLock::new(),
        slots_fd,
        generation: Mutex::new(Generation::new()),
    });
    std::thread::spawn(move || channel_loop(channel_fd, worker));
}

fn channel_loop(fd: RawFd, worker: &'static Worker) {
    let mut pending: Vec<u8> = Vec::new();
    let mut fds: std::collections::VecDeque<RawFd> = Default::default();
    let mut data = vec![0u8; 65536];
    let mut control = [0u8; 256];
    loop {
        let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
        let n = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                    let bytes = (*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                    let ptr = libc::CMSG_DATA(cmsg) as *const RawFd;
                    for i in 0..bytes / std::mem::size_of::<RawFd>() {
                        fds.push_back(std::ptr::read_unaligned(ptr.add(i)));
                    }
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
        if n == 0 {
            return;
        }
        pending.extend_from_slice(&data[..n as usize]);
        while let Some(i) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=i).collect();
            let Some(message) = json::parse(&line[..line.len() - 1]) else { continue };
            if message.str("cmd") == Some("NODE_HANDLE") {
                // Acknowledged even when the descriptor did not arrive (MSG_CTRUNC): Node resends
                // nothing for a socket it keeps open, and the emulator still holds its own copy,
                // so the connection is simply given back.
                shared().channel.send("{\"cmd\":\"NODE_HANDLE_ACK\"}");
                let m = message.get("msg").cloned().unwrap_or(Json::Null);
                match fds.pop_front() {
                    Some(client) => adopt(client, &m, worker),
                    None => send_back_error(&m),
                }
            } else if message.str("t") == Some("drain") {
                drain();
                let seq = message.num("seq").map(|n| n.to_string()).unwrap_or_else(|| "null".into());
                shared().channel.send(&format!("{{\"t\":\"drained\",\"seq\":{seq}}}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
