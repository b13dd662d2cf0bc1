//! Credentials never reach an error string that a viewer can read
//! (`/v1/connectors`, `/v1/deadletters`) or a log.

/// Query parameters whose values are secrets.
const SECRET_PARAMS: [&str; 8] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_token",
];

/// `text` with URL user-info (`scheme://user:pass@`) and the values of
/// secret-looking query parameters replaced by `***`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // User-info: between "://" and the next '@' before any '/', '?', '#' or space.
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == ')')
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***@");
                rest = &tail[at + 1..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    redact_params(&out)
}

fn redact_params(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let at_boundary = i == 0 || matches!(bytes[i - 1], b'?' | b'&' | b';');
        let hit = at_boundary
            .then(|| {
                SECRET_PARAMS.iter().find(|p| {
                    text[i..].len() > p.len()
                        && text[i..i + p.len()].eq_ignore_ascii_case(p)
                        && bytes[i + p.len()] == b'='
                })
            })
            .flatten();
        match hit {
            Some(p) => {
                out.push_str(&text[i..i + p.len() + 1]);
                out.push_str("***");
                i += p.len() + 1;
                while i < text.len() && !matches!(bytes[i], b'&' | b';' | b'#' | b' ' | b')') {
                    i += 1;
                }
            }
            None => {
                let ch = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + ch]);
                i += ch;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn user_info_and_secret_params_are_hidden() {
        let e = "error sending request for url (http://ops:hunter2@127.0.0.1:9/hook?api_key=s3cr3t&x=1)";
        let r = redact(e);
        assert!(
            !r.contains("hunter2") && !r.contains("s3cr3t") && !r.contains("ops:"),
            "{r}"
        );
        assert!(
            r.contains("http://***@127.0.0.1:9/hook?api_key=***&x=1"),
            "{r}"
        );
        assert_eq!(redact("http://host/a?b=1"), "http://host/a?b=1");
        assert_eq!(redact("no url here: é"), "no url here: é");
        assert_eq!(redact("x?Token=abc"), "x?Token=***");
    }
}
