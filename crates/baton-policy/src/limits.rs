//! Size limits on an expression, checked by a cheap byte scan before the `cel`
//! parser sees it.
//!
//! **Why before parsing.** A chain such as `a + b + c …` builds an AST as deep
//! as it has operators, without any nesting, and the parser, its parse tree's
//! drop, the checker and every later pass recurse over that depth. A stack
//! overflow cannot be caught: it aborts the whole process (a server thread
//! included). So the depth is bounded here, where nothing recurses: the AST
//! of an expression that passes has a depth of at most
//! `MAX_OPERATORS + MAX_NESTING` plus a few levels for macro expansion (every
//! parent-child edge is an operator token or a bracket around the child), and
//! the checker refuses anything deeper than [`MAX_DEPTH`].
//!
//! The byte limit also keeps every column below 65,535, where the `cel`
//! crate's error formatter panics.
//!
//! **Soundness.** The scan must never count fewer operators or less nesting
//! than the parser will see. It follows CEL's lexer for the tokens that can
//! hide text (string and bytes literals, raw or not, single or triple quoted;
//! `//` comments; backquoted identifiers) and treats anything it cannot match
//! exactly, such as an unterminated literal, as code, which only over-counts.

use crate::compile::CheckError;

/// Longest expression, in bytes. Real conditions are tens of bytes.
pub const MAX_EXPR_BYTES: usize = 4096;
/// Most operators in one expression: `+ - * / % ! < > <= >= == != && || ? :`,
/// `in`, and `.` in a field name. Each makes the tree one level deeper at most.
pub const MAX_OPERATORS: usize = 256;
/// Deepest nesting of `(`, `[` and `{`.
pub const MAX_NESTING: usize = 32;
/// Deepest tree the checker accepts. The scan keeps every parsed expression
/// below it (see the module comment); the checker still counts, so that the
/// typed tree it builds, over which lowering, `collect_reads` and both
/// evaluators recurse, is bounded by a number and not only by an argument.
pub const MAX_DEPTH: usize = MAX_OPERATORS + MAX_NESTING + 16;

/// Stack of the thread that compiles an expression. The deepest expression
/// these limits accept needed at most 384 KiB in a release build and 6 MiB in
/// a debug build (measured with `examples/stack.rs`); memory is only touched as deep as it is
/// used.
pub const COMPILE_STACK: usize = 16 * 1024 * 1024;

/// Refuses `source` if it passes a limit, naming the limit.
pub fn scan(source: &str) -> Result<(), CheckError> {
    if source.len() > MAX_EXPR_BYTES {
        return Err(CheckError {
            at: None,
            message: format!(
                "the expression is {} bytes long; the limit is {MAX_EXPR_BYTES} bytes",
                source.len()
            ),
        });
    }
    let b = source.as_bytes();
    let mut operators = 0usize;
    // Open brackets; a closer pops only its own kind, so a stray one never
    // lowers the count below what the parser sees.
    let mut open: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let mut counted = 0;
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = b[i..]
                    .iter()
                    .position(|&x| x == b'\n')
                    .map_or(b.len(), |n| i + n);
                continue;
            }
            b'\'' | b'"' => {
                i = string_end(b, i, false).unwrap_or(i + 1);
                continue;
            }
            b'`' => {
                i = escaped_ident_end(b, i).unwrap_or(i + 1);
                continue;
            }
            b'0'..=b'9' => {
                i = number_end(b, i);
                continue;
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(b, i);
                continue;
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                let end = b[i..]
                    .iter()
                    .position(|&x| !(x == b'_' || x.is_ascii_alphanumeric()))
                    .map_or(b.len(), |n| i + n);
                let word = &b[i..end];
                // `r'…'`, `b'…'`, `br'…'`: a literal with a prefix, if it matches.
                if let Some(lit) = prefixed_literal(b, i, word) {
                    i = lit;
                    continue;
                }
                if word == b"in" {
                    counted = 1;
                }
                i = end;
            }
            b'&' | b'|' | b'=' | b'!' | b'<' | b'>' => {
                // `&&`, `||`, `==`, `!=`, `<=`, `>=` are one operator each.
                let two = matches!(
                    (c, b.get(i + 1)),
                    (b'&', Some(b'&'))
                        | (b'|', Some(b'|'))
                        | (b'=' | b'!' | b'<' | b'>', Some(b'='))
                );
                counted = 1;
                i += if two { 2 } else { 1 };
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'?' | b':' | b'.' => {
                counted = 1;
                i += 1;
            }
            b'(' | b'[' | b'{' => {
                open.push(c);
                if open.len() > MAX_NESTING {
                    return Err(at(
                        source,
                        start,
                        format!(
                            "brackets are nested more than {MAX_NESTING} deep; the nesting limit is {MAX_NESTING}"
                        ),
                    ));
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                let opener = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if open.last() == Some(&opener) {
                    open.pop();
                }
                i += 1;
            }
            _ => i += 1,
        }
        operators += counted;
        if operators > MAX_OPERATORS {
            return Err(at(
                source,
                start,
                format!(
                    "the expression has more than {MAX_OPERATORS} operators; the limit is {MAX_OPERATORS} operators (split it into simpler conditions)"
                ),
            ));
        }
    }
    Ok(())
}

/// An error at byte `offset` of `source`, as line and column.
fn at(source: &str, offset: usize, message: String) -> CheckError {
    let before = &source[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    CheckError {
        at: Some((line, col)),
        message,
    }
}

/// The end of a literal with a prefix (`r`, `R`, `b`, `B`, `br`, `bR`, `Br`,
/// `BR`) starting at `i`, when the word is such a prefix and a whole literal
/// follows it. The lexer takes the longest token, and a literal is longer
/// than the bare prefix, so a literal that matches wins.
fn prefixed_literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let raw = match word {
        [b'r' | b'R'] | [b'b' | b'B', b'r' | b'R'] => true,
        [b'b' | b'B'] => false,
        _ => return None,
    };
    let q = i + word.len();
    if !matches!(b.get(q), Some(b'\'' | b'"')) {
        return None;
    }
    string_end(b, q, raw)
}

/// The end (exclusive) of the string literal whose opening quote is at `i`,
/// or `None` if no whole literal starts there (CEL's lexer then reports an
/// error and carries on after the quote, so the rest is code).
fn string_end(b: &[u8], i: usize, raw: bool) -> Option<usize> {
    let q = b[i];
    // Without a closing triple quote, the longest literal here is `''`.
    if b.get(i + 1) == Some(&q)
        && b.get(i + 2) == Some(&q)
        && let Some(end) = triple_end(b, i + 3, q, raw)
    {
        return Some(end);
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            c if c == q => return Some(j + 1),
            b'\n' | b'\r' => return None,
            b'\\' if !raw => j += escape_len(&b[j..])?,
            _ => j += 1,
        }
    }
    None
}

/// The end of a triple-quoted literal's body starting at `j`: the first
/// closing triple quote that no escape consumes.
fn triple_end(b: &[u8], mut j: usize, q: u8, raw: bool) -> Option<usize> {
    while j < b.len() {
        if b[j] == q && b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
            return Some(j + 3);
        }
        if b[j] == b'\\' && !raw {
            j += escape_len(&b[j..])?;
        } else {
            j += 1;
        }
    }
    None
}

/// The length of the escape sequence at the start of `s` (which begins with a
/// backslash), or `None` if it is not one CEL's lexer accepts.
fn escape_len(s: &[u8]) -> Option<usize> {
    let hex = |n: usize| s.len() >= n + 2 && s[2..n + 2].iter().all(u8::is_ascii_hexdigit);
    match s.get(1)? {
        b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'"' | b'\'' | b'\\' | b'?' | b'`' => {
            Some(2)
        }
        b'0'..=b'3' if s.len() >= 4 && s[2..4].iter().all(|c| (b'0'..=b'7').contains(c)) => Some(4),
        b'x' | b'X' if hex(2) => Some(4),
        b'u' if hex(4) => Some(6),
        b'U' if hex(8) => Some(10),
        _ => None,
    }
}

/// The end of a backquoted identifier at `i`, if one matches.
fn escaped_ident_end(b: &[u8], i: usize) -> Option<usize> {
    let body = b[i + 1..]
        .iter()
        .position(|&c| {
            !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/' | b' '))
        })
        .map_or(b.len(), |n| i + 1 + n);
    (body > i + 1 && b.get(body) == Some(&b'`')).then_some(body + 1)
}

/// The end of the number at `i`: digits, a fraction, an exponent, a `u`
/// suffix, or `0x` and hex digits. It never takes an `r` or a `b`, so a raw or
/// bytes prefix right after a number is still seen as one.
fn number_end(b: &[u8], i: usize) -> usize {
    let digits = |j: usize, hexd: bool| {
        b[j..]
            .iter()
            .position(|c| {
                !(if hexd {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                })
            })
            .map_or(b.len(), |n| j + n)
    };
    if b[i] == b'0'
        && b.get(i + 1) == Some(&b'x')
        && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        let j = digits(i + 2, true);
        return if matches!(b.get(j), Some(b'u' | b'U')) {
            j + 1
        } else {
            j
        };
    }
    let mut j = digits(i, false);
    let mut float = false;
    if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        j = digits(j + 1, false);
        float = true;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let k = if matches!(b.get(j + 1), Some(b'+' | b'-')) {
            j + 2
        } else {
            j + 1
        };
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            j = digits(k, false);
            float = true;
        }
    }
    if !float && matches!(b.get(j), Some(b'u' | b'U')) {
        j += 1;
    }
    j
}
