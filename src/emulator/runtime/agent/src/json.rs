//! Just enough JSON for the IPC channel's messages (Node's child_process "json"
//! serialization: one document per line) and for the error bodies the agent writes.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.get(key),
            _ => None,
        }
    }
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Json::Str(s)) => Some(s),
            _ => None,
        }
    }
    pub fn num(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(Json::Num(n)) => Some(*n),
            _ => None,
        }
    }
    pub fn bool(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Json::Bool(true)))
    }
}

pub fn parse(text: &[u8]) -> Option<Json> {
    let mut p = Parser { s: text, i: 0 };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\r' | b'\n') {
            self.i += 1;
        }
    }
    fn eat(&mut self, lit: &[u8]) -> Option<()> {
        self.s[self.i..].starts_with(lit).then(|| self.i += lit.len())
    }
    fn value(&mut self) -> Option<Json> {
        self.ws();
        match *self.s.get(self.i)? {
            b'n' => self.eat(b"null").map(|_| Json::Null),
            b't' => self.eat(b"true").map(|_| Json::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b"]").is_some() {
                    return Some(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    if self.eat(b",").is_some() {
                        continue;
                    }
                    self.eat(b"]")?;
                    return Some(Json::Arr(items));
                }
            }
            b'{' => {
                self.i += 1;
                let mut map = BTreeMap::new();
                self.ws();
                if self.eat(b"}").is_some() {
                    return Some(Json::Obj(map));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    self.eat(b":")?;
                    let v = self.value()?;
                    map.insert(key, v);
                    self.ws();
                    if self.eat(b",").is_some() {
                        continue;
                    }
                    self.eat(b"}")?;
                    return Some(Json::Obj(map));
                }
            }
            _ => self.number(),
        }
    }
    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        while self.i < self.s.len() && matches!(self.s[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i]).ok()?.parse().ok().map(Json::Num)
    }
    fn hex4(&mut self) -> Option<u32> {
        let h = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
        self.i += 4;
        u32::from_str_radix(h, 16).ok()
    }
    fn string(&mut self) -> Option<String> {
        self.eat(b"\"")?;
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.eat(b"\\u")?;
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.checked_sub(0xDC00)?)
                            } else {
                                hi
                            };
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => return None,
                    };
                    let mut b = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                }
                _ => out.push(c),
            }
        }
    }
}

/// `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The runtime's error body: {"error": ..., "execution_id": ...}.
pub fn error_body(message: &str, execution_id: &str) -> Vec<u8> {
    format!("{{\"error\": {}, \"execution_id\": {}}}", quote(message), quote(execution_id)).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_handle_message() {
        let m = parse(br#"{"cmd":"NODE_HANDLE","type":"net.Socket","msg":{"t":"conn","id":3,"authorization":null,"cors":true,"tooLarge":{"status":502,"body":"{\"code\":8,\"message\":\"caf\u00e9 \ud83d\ude00\"}"}},"key":null}"#).unwrap();
        assert_eq!(m.str("cmd"), Some("NODE_HANDLE"));
        let msg = m.get("msg").unwrap();
        assert_eq!(msg.num("id"), Some(3.0));
        assert_eq!(msg.get("authorization"), Some(&Json::Null));
        assert!(msg.bool("cors"));
        assert_eq!(msg.get("tooLarge").unwrap().str("body"), Some("{\"code\":8,\"message\":\"café 😀\"}"));
    }

    #[test]
    fn rejects_trailing_garbage_and_quotes_round_trip() {
        assert!(parse(b"{} x").is_none());
        let s = "a\"b\\c\n\u{1}";
        assert_eq!(parse(quote(s).as_bytes()), Some(Json::Str(s.to_string())));
    }
}
