//! The worker frames of docs/pod-protocol.md ("The worker"): a 13-byte header
//! (`IGN1`, kind, request id u32 LE, payload length u32 LE) and a payload.

pub const MAGIC: &[u8; 4] = b"IGN1";
pub const HEADER: usize = 13;
pub const MAX_PAYLOAD: usize = 64 << 20;

pub const READY: u8 = b'Y';
pub const REQUEST: u8 = b'Q';
pub const ANSWER: u8 = b'A';
pub const HEAD: u8 = b'H';
pub const CHUNK: u8 = b'C';
pub const END: u8 = b'E';
pub const ABORT: u8 = b'X';

pub struct Header {
    pub kind: u8,
    pub id: u32,
    pub len: usize,
}

/// The header at the start of `buf` (at least HEADER bytes), if it is one a worker may send.
pub fn parse_header(buf: &[u8]) -> Option<Header> {
    if &buf[..4] != MAGIC {
        return None;
    }
    let kind = buf[4];
    if !matches!(kind, READY | ANSWER | HEAD | CHUNK | END | ABORT) {
        return None;
    }
    let id = u32::from_le_bytes(buf[5..9].try_into().unwrap());
    let len = u32::from_le_bytes(buf[9..13].try_into().unwrap()) as usize;
    (len <= MAX_PAYLOAD).then_some(Header { kind, id, len })
}

/// A request frame: method, path, execution id, body.
pub fn request(id: u32, method: &[u8], path: &[u8], execution_id: &[u8], body: &[u8]) -> Vec<u8> {
    let method = &method[..method.len().min(255)];
    let path = &path[..path.len().min(65535)];
    let execution_id = &execution_id[..execution_id.len().min(65535)];
    let len = 1 + method.len() + 2 + path.len() + 2 + execution_id.len() + body.len();
    let mut f = Vec::with_capacity(HEADER + len);
    f.extend_from_slice(MAGIC);
    f.push(REQUEST);
    f.extend_from_slice(&id.to_le_bytes());
    f.extend_from_slice(&(len as u32).to_le_bytes());
    f.push(method.len() as u8);
    f.extend_from_slice(method);
    f.extend_from_slice(&(path.len() as u16).to_le_bytes());
    f.extend_from_slice(path);
    f.extend_from_slice(&(execution_id.len() as u16).to_le_bytes());
    f.extend_from_slice(execution_id);
    f.extend_from_slice(body);
    f
}

/// Status and content type at the start of an `A` or `H` payload, and where the rest begins.
pub fn status_and_type(payload: &[u8]) -> Option<(u16, &[u8], usize)> {
    let status = u16::from_le_bytes(payload.get(0..2)?.try_into().ok()?);
    let n = u16::from_le_bytes(payload.get(2..4)?.try_into().ok()?) as usize;
    let ctype = payload.get(4..4 + n)?;
    Some((status, ctype, 4 + n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_frame_has_the_documented_layout() {
        let f = request(7, b"POST", b"/x?y=1", b"exec_1", b"{}");
        assert_eq!(&f[..5], b"IGN1Q");
        assert_eq!(u32::from_le_bytes(f[5..9].try_into().unwrap()), 7);
        assert_eq!(u32::from_le_bytes(f[9..13].try_into().unwrap()) as usize, f.len() - HEADER);
        assert_eq!(f[13], 4);
        assert_eq!(&f[14..18], b"POST");
        assert_eq!(&f[f.len() - 2..], b"{}");
    }

    #[test]
    fn headers_a_worker_may_not_send_are_refused() {
        let mut h = *b"IGN1A\x01\0\0\0\x02\0\0\0";
        assert!(parse_header(&h).is_some());
        h[4] = b'Q';
        assert!(parse_header(&h).is_none());
        assert!(parse_header(b"hello world!\n").is_none());
        let mut big = *b"IGN1A\x01\0\0\0\0\0\0\x05";
        assert!(parse_header(&big).is_none());
        big[12] = 0;
        assert!(parse_header(&big).is_some());
    }
}
