//! Thin wrappers over the system calls the agent needs and std does not expose: poll,
//! close-on-exec, clocks, random bytes, and reads/writes on sockets that may be non-blocking.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};

pub fn set_cloexec(fd: RawFd) {
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        }
    }
}

/// Waits until one of `fds` is ready or `timeout_ms` passes (-1: forever). Returns how many are ready.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> io::Result<usize> {
    loop {
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if r >= 0 {
            return Ok(r as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

pub fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd { fd, events, revents: 0 }
}

/// Waits for one descriptor; false on timeout.
pub fn wait_fd(fd: RawFd, events: libc::c_short, timeout_ms: i32) -> io::Result<bool> {
    let mut fds = [pollfd(fd, events)];
    Ok(poll(&mut fds, timeout_ms)? > 0)
}

/// CLOCK_MONOTONIC in milliseconds: the clock of the emulator's timers (process.hrtime).
pub fn monotonic_ms() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

pub fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

pub fn random_bytes(buf: &mut [u8]) {
    let mut filled = 0;
    while filled < buf.len() {
        let r = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if r > 0 {
            filled += r as usize;
        } else if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            // No entropy source: fall back to the clock, ids only need to be unique.
            let t = monotonic_ms().to_bits().to_le_bytes();
            for (i, b) in buf[filled..].iter_mut().enumerate() {
                *b = t[i % 8] ^ (i as u8).wrapping_mul(31);
            }
            return;
        }
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `exec_` + a ULID (48-bit time, 80 random bits, Crockford base32), as the emulator makes them (runtime/ids.ts).
pub fn new_execution_id() -> String {
    let mut out = String::with_capacity(31);
    out.push_str("exec_");
    let mut t = epoch_ms() as u64;
    let mut stamp = [0u8; 10];
    for c in stamp.iter_mut().rev() {
        *c = CROCKFORD[(t % 32) as usize];
        t /= 32;
    }
    out.push_str(std::str::from_utf8(&stamp).unwrap());
    let mut random = [0u8; 16];
    random_bytes(&mut random);
    for b in random {
        out.push(CROCKFORD[(b % 32) as usize] as char);
    }
    out
}

/// A socket the agent serves: blocking (accepted here) or non-blocking (handed over: the
/// emulator's copy of the descriptor shares the flag), with a timeout on each wait.
pub struct Conn {
    pub stream: TcpStream,
    /// How long one read or write may wait, ms; -1 waits forever.
    pub io_timeout_ms: i32,
}

impl Conn {
    pub fn fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    pub fn read_some(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !wait_fd(self.fd(), libc::POLLIN, self.io_timeout_ms)? {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "the client stalled"));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.stream.write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !wait_fd(self.fd(), libc::POLLOUT, self.io_timeout_ms)? {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "the client stalled"));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
