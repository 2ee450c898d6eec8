//! HTTP/1.1 with keep-alive on one connection: one the emulator's relay opened to the pod's
//! port, or a client connection the relay handed over (then `Handoff` decides what may be
//! served). Each request goes to the worker as a frame; its answer is written back with
//! Content-Length (or chunked, when the worker streams).

use crate::handoff::Handoff;
use crate::json;
use crate::sys::{self, Conn};
use crate::worker::{Reply, Worker};
use std::collections::HashMap;
use std::io;

const MAX_LINE: usize = 65536;
const MAX_HEADERS: usize = 200;

/// The bytes of one connection: an explicit buffer, so unread bytes can be handed back.
pub struct Reader {
    pub buf: Vec<u8>,
}

impl Reader {
    pub fn more(&mut self, conn: &mut Conn) -> io::Result<()> {
        let mut chunk = [0u8; 65536];
        let n = conn.read_some(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// (end of the head, length of its terminator); waits for the complete head.
    fn head_end(&mut self, conn: &mut Conn) -> Result<(usize, usize), HeadError> {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                return Ok((i, 4));
            }
            if let Some(i) = find(&self.buf, b"\n\n") {
                return Ok((i, 2));
            }
            if self.buf.len() > MAX_LINE {
                return Err(HeadError::TooLarge);
            }
            self.more(conn).map_err(HeadError::Io)?;
        }
    }

    fn exact(&mut self, conn: &mut Conn, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            self.more(conn)?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn line(&mut self, conn: &mut Conn) -> io::Result<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                return Ok(self.buf.drain(..=i).collect());
            }
            if self.buf.len() > MAX_LINE {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
            }
            self.more(conn)?;
        }
    }
}

enum HeadError {
    TooLarge,
    Io(io::Error),
}

pub struct Head {
    pub method: Vec<u8>,
    pub target: Vec<u8>,
    pub version: Vec<u8>,
    /// Lowercased names; the last of duplicates wins (`odd` says there were some).
    pub headers: HashMap<String, String>,
    /// Duplicated headers, obsolete line folding, whitespace before a colon, too many lines.
    pub odd: bool,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

pub fn parse_head(raw: &[u8]) -> Option<Head> {
    let mut lines = raw.split(|&b| b == b'\n');
    let first = lines.next()?;
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let parts: Vec<&[u8]> = first.split(|&b| b == b' ').collect();
    if parts.len() != 3 {
        return None;
    }
    let mut headers = HashMap::new();
    let mut odd = false;
    let mut count = 1;
    for h in lines {
        count += 1;
        if h.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            odd = true; // obsolete line folding
            continue;
        }
        let text: String = h.iter().map(|&b| b as char).collect(); // latin-1
        let (name, value) = text.split_once(':').unwrap_or((&text, ""));
        if name != name.trim_matches([' ', '\t']) {
            odd = true; // whitespace before the colon
        }
        let name = name.trim_matches([' ', '\t', '\r']).to_ascii_lowercase();
        if headers.insert(name, value.trim_matches([' ', '\t', '\r']).to_string()).is_some() {
            odd = true;
        }
    }
    odd |= count > MAX_HEADERS;
    Some(Head { method: parts[0].to_vec(), target: parts[1].to_vec(), version: parts[2].to_vec(), headers, odd })
}

fn read_body(reader: &mut Reader, conn: &mut Conn, head: &Head) -> io::Result<Vec<u8>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    if head.header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
        let mut body = Vec::new();
        loop {
            let line = reader.line(conn)?;
            let digits = line.split(|&b| b == b';').next().unwrap_or(&[]);
            let digits = std::str::from_utf8(digits).map_err(|_| bad("bad chunk size"))?.trim_matches([' ', '\t', '\r', '\n']);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("bad chunk size"));
            }
            let size = usize::from_str_radix(digits, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                loop {
                    let trailer = reader.line(conn)?; // trailers of the request: ignored
                    if trailer == b"\r\n" || trailer == b"\n" {
                        return Ok(body);
                    }
                }
            }
            body.extend_from_slice(&reader.exact(conn, size)?);
            reader.line(conn)?;
        }
    }
    let length: usize = match head.header("content-length") {
        None | Some("") => 0,
        Some(v) => v.parse().map_err(|_| bad("bad content-length"))?,
    };
    if length > 0 {
        reader.exact(conn, length)
    } else {
        Ok(Vec::new())
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Serves requests on `conn` until it closes, goes idle or (handed over) is given back.
pub fn serve_connection(mut conn: Conn, worker: &Worker, mut handoff: Option<Handoff>) {
    let mut reader = Reader { buf: Vec::new() };
    let _ = serve(&mut conn, &mut reader, worker, &mut handoff);
    match handoff {
        Some(mut h) => h.closed(&conn),
        None => {
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn serve(conn: &mut Conn, reader: &mut Reader, worker: &Worker, handoff: &mut Option<Handoff>) -> io::Result<()> {
    if handoff.is_none() {
        let _ = conn.stream.set_nodelay(true);
    }
    loop {
        if let Some(h) = handoff.as_mut() {
            if !h.wait(conn, reader)? {
                return Ok(());
            }
        }
        // Blank lines between requests are allowed.
        while reader.buf.starts_with(b"\r\n") || reader.buf.starts_with(b"\n") {
            let n = if reader.buf[0] == b'\r' { 2 } else { 1 };
            reader.buf.drain(..n);
        }
        if let Some(h) = handoff.as_mut() {
            if reader.buf.is_empty() {
                h.idle();
                continue;
            }
        }
        let (end, sep) = match reader.head_end(conn) {
            Ok(v) => v,
            Err(HeadError::Io(e)) => return Err(e),
            Err(HeadError::TooLarge) => {
                if let Some(h) = handoff.as_mut() {
                    h.give_back(reader, "malformed"); // the emulator answers 431
                    return Ok(());
                }
                return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too large"));
            }
        };
        let parsed = parse_head(&reader.buf[..end]);
        if let Some(h) = handoff.as_mut() {
            if let Some(why) = h.refusal(parsed.as_ref(), sep) {
                h.give_back(reader, why);
                return Ok(());
            }
            h.start(conn);
        }
        let Some(head) = parsed else {
            conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            return Ok(());
        };
        reader.buf.drain(..end + sep);
        if head.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
            conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let payload = read_body(reader, conn, &head)?;
        let execution_id = match handoff {
            Some(_) => sys::new_execution_id(),
            None => head.header("x-ignite-execution-id").unwrap_or("").to_string(),
        };
        let keep_alive = head.version == b"HTTP/1.1"
            && !head.header("connection").unwrap_or("").split(',').any(|t| t.trim_matches([' ', '\t']).eq_ignore_ascii_case("close"));
        let is_head = head.method == b"HEAD";
        let mut extra = String::new();
        if !keep_alive {
            extra.push_str("Connection: close\r\n");
        }
        if handoff.as_ref().is_some_and(|h| h.cors) {
            extra.push_str("Access-Control-Allow-Origin: *\r\n");
        }
        let replies = worker.call(&head.method, &head.target, execution_id.as_bytes(), &payload)?;
        respond(conn, handoff, replies, &execution_id, &extra, is_head)?;
        if let Some(h) = handoff.as_mut() {
            h.done(reader);
        }
        if !keep_alive {
            return Ok(());
        }
    }
}

/// Writes the worker's answer (whole, or streamed as chunks) as the HTTP response.
fn respond(
    conn: &mut Conn,
    handoff: &mut Option<Handoff>,
    replies: std::sync::mpsc::Receiver<Reply>,
    execution_id: &str,
    extra: &str,
    is_head: bool,
) -> io::Result<()> {
    let gone = || io::Error::new(io::ErrorKind::BrokenPipe, "the worker is gone");
    let first = replies.recv().map_err(|_| gone())?;
    if let Some(h) = handoff.as_mut() {
        h.responding();
    }
    let max = handoff.as_ref().map(|h| h.max_bytes);
    match first {
        Reply::Answer { status, ctype, body } => {
            let (status, ctype, body) = match max {
                Some(max) if body.len() > max => {
                    let h = handoff.as_ref().unwrap();
                    (h.too_large.0, b"application/json".to_vec(), h.too_large.1.clone())
                }
                _ => (status, ctype, body),
            };
            write_whole(conn, status, &ctype, &body, extra, is_head)
        }
        Reply::Framing(message) => {
            let body = json::error_body(&message, execution_id);
            write_whole(conn, 500, b"application/json", &body, extra, is_head)
        }
        Reply::Head { status, ctype } => {
            let mut head = format!("HTTP/1.1 {} {}\r\nContent-Type: ", status, reason(status)).into_bytes();
            head.extend_from_slice(&ctype);
            head.extend_from_slice(b"\r\nTransfer-Encoding: chunked\r\n");
            head.extend_from_slice(extra.as_bytes());
            head.extend_from_slice(b"\r\n");
            conn.write_all(&head)?;
            let mut total = 0usize;
            loop {
                match replies.recv().map_err(|_| gone())? {
                    Reply::Chunk(data) => {
                        total += data.len();
                        if max.is_some_and(|m| total > m) {
                            // Past the cap after the head: the response cannot become an error any more.
                            return Err(io::Error::new(io::ErrorKind::InvalidData, "response too large"));
                        }
                        if !is_head && !data.is_empty() {
                            let mut piece = format!("{:x}\r\n", data.len()).into_bytes();
                            piece.extend_from_slice(&data);
                            piece.extend_from_slice(b"\r\n");
                            conn.write_all(&piece)?;
                        }
                    }
                    Reply::End => break,
                    // No last chunk: the client sees the response end early, as a failure.
                    Reply::Abort(why) => return Err(io::Error::new(io::ErrorKind::Other, why)),
                    _ => return Err(io::Error::new(io::ErrorKind::InvalidData, "the worker broke its stream")),
                }
            }
            if !is_head {
                conn.write_all(b"0\r\n\r\n")?;
            }
            Ok(())
        }
        Reply::Chunk(_) | Reply::End | Reply::Abort(_) => Err(io::Error::new(io::ErrorKind::InvalidData, "the worker sent a chunk before a head")),
    }
}

fn write_whole(conn: &mut Conn, status: u16, ctype: &[u8], body: &[u8], extra: &str, is_head: bool) -> io::Result<()> {
    let mut out = Vec::with_capacity(128 + body.len());
    out.extend_from_slice(format!("HTTP/1.1 {} {}\r\nContent-Type: ", status, reason(status)).as_bytes());
    out.extend_from_slice(ctype);
    out.extend_from_slice(format!("\r\nContent-Length: {}\r\n{}\r\n", body.len(), extra).as_bytes());
    if !is_head {
        out.extend_from_slice(body);
    }
    conn.write_all(&out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_with_duplicates_or_folding_is_odd() {
        let h = parse_head(b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1").unwrap();
        assert!(!h.odd);
        assert_eq!(h.header("host"), Some("a"));
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b").unwrap().odd);
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost: a\r\n folded").unwrap().odd);
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost : a").unwrap().odd);
        assert!(parse_head(b"GET /HTTP/1.1\r\nHost: a").is_none());
    }
}
