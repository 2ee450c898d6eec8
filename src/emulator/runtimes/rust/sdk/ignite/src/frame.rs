//! The worker frames of docs/pod-protocol.md ("The worker"): a 13-byte header — magic `IGN1`,
//! one ASCII kind, the request id (u32 LE), the payload length (u32 LE, at most 64 MiB) —
//! then the payload. The agent sends `Q` (request) frames; the worker sends `Y` (ready) once
//! and answers every request with one `A` frame.

use std::fmt;
use std::io::{self, Read};

pub const MAGIC: &[u8; 4] = b"IGN1";
pub const HEADER_LEN: usize = 13;
pub const MAX_PAYLOAD: u32 = 64 * 1024 * 1024;

pub const READY: u8 = b'Y';
pub const REQUEST: u8 = b'Q';
pub const ANSWER: u8 = b'A';
/// wasm only, to the wasm runner (never to the agent): the answer of a request whose handler
/// panicked; the instance traps right after sending it.
pub const PANICKED: u8 = b'P';

/// One frame as read from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub id: u32,
    pub payload: Vec<u8>,
}

/// A frame that is not the protocol: the peer is broken, there is no way to resynchronize.
#[derive(Debug)]
pub enum FrameError {
    Io(io::Error),
    BadMagic([u8; 4]),
    TooLarge(u32),
    /// The stream ended inside a frame.
    Truncated,
    /// A payload whose fields run past its end.
    Malformed(&'static str),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "reading a frame: {e}"),
            FrameError::BadMagic(m) => write!(f, "not a frame (magic {m:?}, expected IGN1)"),
            FrameError::TooLarge(n) => write!(f, "frame payload of {n} bytes exceeds the {MAX_PAYLOAD}-byte limit"),
            FrameError::Truncated => write!(f, "the stream ended inside a frame"),
            FrameError::Malformed(what) => write!(f, "malformed request frame: {what}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Header and payload as one buffer, so a frame goes out in one write.
pub fn encode(kind: u8, id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.push(kind);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads one frame; `Ok(None)` at a clean end of stream (between frames).
pub fn read_frame<R: Read>(r: &mut R) -> Result<Option<Frame>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    let magic: [u8; 4] = header[0..4].try_into().unwrap();
    if &magic != MAGIC {
        return Err(FrameError::BadMagic(magic));
    }
    let id = u32::from_le_bytes(header[5..9].try_into().unwrap());
    let len = u32::from_le_bytes(header[9..13].try_into().unwrap());
    if len > MAX_PAYLOAD {
        return Err(FrameError::TooLarge(len));
    }
    let mut payload = vec![0u8; len as usize];
    r.read_exact(&mut payload).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => FrameError::Truncated,
        _ => FrameError::Io(e),
    })?;
    Ok(Some(Frame { kind: header[4], id, payload }))
}

/// The payload of a `Q` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub method: String,
    /// The request path with its `?query`.
    pub path: String,
    pub execution_id: String,
    pub body: Vec<u8>,
}

impl Query {
    /// `u8 n` method, `u16 n` path, `u16 n` execution id, then the body.
    pub fn decode(payload: &[u8]) -> Result<Query, FrameError> {
        let mut at = 0usize;
        let method = take_str(payload, &mut at, 1, "method")?;
        let path = take_str(payload, &mut at, 2, "path")?;
        let execution_id = take_str(payload, &mut at, 2, "execution id")?;
        Ok(Query { method, path, execution_id, body: payload[at..].to_vec() })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + self.method.len() + self.path.len() + self.execution_id.len() + self.body.len());
        out.push(self.method.len() as u8);
        out.extend_from_slice(self.method.as_bytes());
        out.extend_from_slice(&(self.path.len() as u16).to_le_bytes());
        out.extend_from_slice(self.path.as_bytes());
        out.extend_from_slice(&(self.execution_id.len() as u16).to_le_bytes());
        out.extend_from_slice(self.execution_id.as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

fn take_str(buf: &[u8], at: &mut usize, width: usize, what: &'static str) -> Result<String, FrameError> {
    if buf.len() < *at + width {
        return Err(FrameError::Malformed(what));
    }
    let n = if width == 1 { buf[*at] as usize } else { u16::from_le_bytes([buf[*at], buf[*at + 1]]) as usize };
    *at += width;
    if buf.len() < *at + n {
        return Err(FrameError::Malformed(what));
    }
    let s = String::from_utf8_lossy(&buf[*at..*at + n]).into_owned();
    *at += n;
    Ok(s)
}

/// The payload of an `A` frame: `u16` status, `u16 n` content type, then the body.
pub fn encode_answer(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    let ct = &content_type.as_bytes()[..content_type.len().min(u16::MAX as usize)];
    let mut out = Vec::with_capacity(4 + ct.len() + body.len());
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&(ct.len() as u16).to_le_bytes());
    out.extend_from_slice(ct);
    out.extend_from_slice(body);
    out
}

/// The inverse of [`encode_answer`] (for tests and runners).
pub fn decode_answer(payload: &[u8]) -> Result<(u16, String, Vec<u8>), FrameError> {
    if payload.len() < 4 {
        return Err(FrameError::Malformed("answer status"));
    }
    let status = u16::from_le_bytes([payload[0], payload[1]]);
    let mut at = 2;
    let ct = take_str(payload, &mut at, 2, "answer content type")?;
    Ok((status, ct, payload[at..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn a_frame_is_a_13_byte_little_endian_header_and_its_payload() {
        let bytes = encode(ANSWER, 0x0102_0304, b"hi");
        assert_eq!(&bytes[..4], b"IGN1");
        assert_eq!(bytes[4], b'A');
        assert_eq!(&bytes[5..9], &[4, 3, 2, 1]);
        assert_eq!(&bytes[9..13], &[2, 0, 0, 0]);
        assert_eq!(&bytes[13..], b"hi");
    }

    #[test]
    fn frames_round_trip_and_the_stream_ends_cleanly_between_frames() {
        let mut wire = encode(REQUEST, 7, b"abc");
        wire.extend(encode(READY, 0, b""));
        let mut r = Cursor::new(wire);
        assert_eq!(read_frame(&mut r).unwrap(), Some(Frame { kind: b'Q', id: 7, payload: b"abc".to_vec() }));
        assert_eq!(read_frame(&mut r).unwrap(), Some(Frame { kind: b'Y', id: 0, payload: vec![] }));
        assert_eq!(read_frame(&mut r).unwrap(), None);
    }

    #[test]
    fn a_stream_that_ends_inside_a_frame_is_truncated() {
        let wire = encode(REQUEST, 1, b"abcdef");
        assert!(matches!(read_frame(&mut Cursor::new(&wire[..5])), Err(FrameError::Truncated)));
        assert!(matches!(read_frame(&mut Cursor::new(&wire[..16])), Err(FrameError::Truncated)));
    }

    #[test]
    fn bad_magic_and_oversized_payloads_are_refused() {
        let mut wire = encode(REQUEST, 1, b"");
        wire[0] = b'X';
        assert!(matches!(read_frame(&mut Cursor::new(wire)), Err(FrameError::BadMagic(_))));
        let mut big = encode(REQUEST, 1, b"");
        big[9..13].copy_from_slice(&(MAX_PAYLOAD + 1).to_le_bytes());
        assert!(matches!(read_frame(&mut Cursor::new(big)), Err(FrameError::TooLarge(_))));
    }

    #[test]
    fn a_query_round_trips_with_its_binary_body() {
        let q = Query { method: "POST".into(), path: "/a?b=1".into(), execution_id: "exec_1".into(), body: vec![0, 159, 255] };
        assert_eq!(Query::decode(&q.encode()).unwrap(), q);
        let empty = Query { method: "GET".into(), path: "/".into(), execution_id: String::new(), body: vec![] };
        assert_eq!(Query::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn a_query_whose_fields_run_past_its_end_is_malformed() {
        let q = Query { method: "POST".into(), path: "/long/path".into(), execution_id: "e".into(), body: vec![] }.encode();
        assert!(matches!(Query::decode(&q[..7]), Err(FrameError::Malformed("path"))));
        assert!(matches!(Query::decode(&q[..3]), Err(FrameError::Malformed("method"))));
        assert!(matches!(Query::decode(&[]), Err(FrameError::Malformed("method"))));
    }

    #[test]
    fn an_answer_round_trips() {
        let a = encode_answer(500, "application/json", b"{}");
        assert_eq!(&a[..2], &500u16.to_le_bytes());
        assert_eq!(decode_answer(&a).unwrap(), (500, "application/json".to_string(), b"{}".to_vec()));
    }
}
