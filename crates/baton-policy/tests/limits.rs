//! Hostile expressions end in a clean `Err` naming the limit, never in a stack
//! overflow or a panic: long chains, deep nesting, long string literals, and a
//! syntax error far to the right.
//!
//! The runs are deterministic: a fixed ChaCha seed, a fixed number of cases and
//! no failure-persistence files. Each case is compiled from a thread with a
//! small stack (256 KiB, an eighth of a tokio worker's), so a recursive pass
//! that runs on the caller's stack shows up here as an abort.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_policy::{Expr, limits};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const SMALL_STACK: usize = 256 * 1024;
/// A tokio worker's stack: evaluation runs on the caller's thread.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// Compiles `source` on a thread with a small stack.
fn compile_small_stack(source: String) -> Result<(), String> {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(move || Expr::any(&source).map(|_| ()).map_err(|e| e.to_string()))
        .expect("spawn")
        .join()
        .expect("compiling must not panic")
}

fn runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    )
}

/// A hostile expression and the words its error must contain.
#[derive(Debug, Clone)]
enum Hostile {
    /// `space.occupancy + space.occupancy + …`
    Chain(&'static str, usize),
    /// `((((…space.occupancy…))))`
    Parens(usize),
    /// `- - - … 1`
    Unary(usize),
    /// `space.kind == '…'` with a literal of this many bytes.
    LongString(usize),
    /// A valid prefix of this many bytes, then a syntax error.
    LateSyntaxError(usize),
}

impl Hostile {
    fn source(&self) -> String {
        match self {
            Hostile::Chain(op, n) => {
                let term = if *op == "&&" || *op == "||" {
                    "space.stale"
                } else {
                    "space.occupancy"
                };
                vec![term; *n].join(&format!(" {op} "))
            }
            Hostile::Parens(n) => format!("{}space.occupancy{}", "(".repeat(*n), ")".repeat(*n)),
            Hostile::Unary(n) => format!("{}1", "- ".repeat(*n)),
            Hostile::LongString(n) => format!("space.kind == '{}'", "x+(".repeat(n / 3)),
            Hostile::LateSyntaxError(n) => {
                let mut s = "space.fill >= 0.5 ".repeat(n / 18 + 1);
                s.truncate(*n);
                s.push_str(" >>= ]");
                s
            }
        }
    }

    /// The limit the error must name, or `None` when the expression is small
    /// enough to reach the parser (which must then refuse it cleanly).
    fn limit(&self, len: usize) -> Option<&'static str> {
        if len > limits::MAX_EXPR_BYTES {
            return Some("bytes");
        }
        match self {
            Hostile::Chain(_, n) if n - 1 > limits::MAX_OPERATORS => Some("operators"),
            Hostile::Unary(n) if *n > limits::MAX_OPERATORS => Some("operators"),
            Hostile::Parens(n) if *n > limits::MAX_NESTING => Some("nesting"),
            _ => None,
        }
    }
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let op = prop::sample::select(vec!["+", "-", "*", "&&", "||"]);
    prop_oneof![
        (op, 2usize..12_000).prop_map(|(o, n)| Hostile::Chain(o, n)),
        (1usize..3_000).prop_map(Hostile::Parens),
        (1usize..6_000).prop_map(Hostile::Unary),
        (1usize..80_000).prop_map(Hostile::LongString),
        (1usize..80_000).prop_map(Hostile::LateSyntaxError),
    ]
}

#[test]
fn hostile_expressions_fail_cleanly_naming_the_limit() {
    runner()
        .run(&hostile(), |h| {
            let source = h.source();
            let limit = h.limit(source.len());
            let result = compile_small_stack(source.clone());
            match (limit, result) {
                (Some(word), Err(e)) => {
                    prop_assert!(e.contains(word), "{h:?}: {e}");
                    prop_assert!(e.contains("limit"), "{h:?}: {e}");
                }
                (Some(_), Ok(())) => prop_assert!(false, "{h:?} compiled past a limit"),
                // Under the limits: compiling may succeed or fail, but cleanly.
                (None, _) => {}
            }
            Ok(())
        })
        .expect("every hostile expression fails cleanly");
}

#[test]
fn the_issue_reproducers_are_refused() {
    // About 2,000 chained terms (20 KB) overflowed a tokio worker's stack.
    let chain = vec!["space.occupancy"; 2_000].join(" + ");
    let e = compile_small_stack(chain).expect_err("too long");
    assert!(e.contains("4096 bytes"), "{e}");
    // Short terms fit the byte limit, so the operator count refuses them.
    let chain = vec!["1"; 1_000].join("+");
    let e = compile_small_stack(chain).expect_err("too many operators");
    assert!(e.contains("operators"), "{e}");
    // A syntax error at column 65,535 or beyond panicked in the crate's formatter.
    let late = format!("{}1 +", " ".repeat(70_000));
    let e = compile_small_stack(late).expect_err("too long");
    assert!(e.contains("bytes"), "{e}");
}

#[test]
fn the_largest_accepted_expressions_compile_and_evaluate_on_a_small_stack() {
    // Exactly at each limit: accepted, and what runs on the caller's thread
    // (both evaluators, dropping the tree) fits in a tokio worker's stack,
    // in a debug build too.
    let chain = vec!["1"; limits::MAX_OPERATORS].join("+");
    let nested = format!(
        "{}space.occupancy{} > 0",
        "(".repeat(limits::MAX_NESTING),
        ")".repeat(limits::MAX_NESTING)
    );
    let ands = format!(
        "{} && true",
        vec!["!space.stale"; limits::MAX_OPERATORS / 3].join(" && ")
    );
    for source in [format!("{chain} > 0"), nested, ands] {
        let ok = std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn(move || {
                let e = Expr::condition(&source).map_err(|e| format!("{source}: {e}"))?;
                let ctx = Zero;
                let native = e.eval_bool(&ctx);
                let tree = baton_policy::eval::eval_bool(&e.node, &ctx);
                Ok::<_, String>((native, tree))
            })
            .expect("spawn")
            .join()
            .expect("no panic");
        let (native, tree) = ok.expect("at the limit is accepted");
        assert_eq!(native, tree);
    }
}

#[test]
fn operators_inside_strings_and_comments_do_not_count_but_cannot_hide_code() {
    // Punctuation inside a literal is not an operator.
    let lit = format!("space.kind == '{}'", "+(".repeat(1_000));
    assert!(Expr::condition(&lit).is_ok());
    // A raw string ends at its first quote: the backslash does not escape it,
    // so what follows is code and counts.
    let raw = format!(
        "space.kind == r'\\' || {}",
        vec!["space.stale"; 150].join(" || ")
    );
    let e = Expr::condition(&raw).expect_err("the operators after the raw string count");
    assert!(e.to_string().contains("operators"), "{e}");
    // An unterminated literal hides nothing.
    let open = format!("'abc + {}", vec!["1"; 300].join(" + "));
    let e = Expr::any(&open).expect_err("the operators after the quote count");
    assert!(e.to_string().contains("operators"), "{e}");
    // A comment's brackets do not close real ones.
    let comment = format!(
        "{}1 // {}\n{}",
        "(".repeat(40),
        ")".repeat(40),
        ")".repeat(40)
    );
    let e = Expr::any(&comment).expect_err("the nesting counts");
    assert!(e.to_string().contains("nesting"), "{e}");
}

/// A context in which every field is zero, false or empty.
struct Zero;

impl baton_policy::Fields for Zero {
    fn int(&self, _: baton_policy::Field) -> i64 {
        0
    }
    fn double(&self, _: baton_policy::Field) -> f64 {
        0.0
    }
    fn boolean(&self, _: baton_policy::Field) -> bool {
        false
    }
    fn string(&self, _: baton_policy::Field) -> &str {
        ""
    }
}

#[test]
fn constant_failures_are_found_at_compile_time() {
    let cases = [
        ("space.occupancy > 1 / 0", Some(("division by zero", true))),
        ("space.occupancy % 0 == 1", Some(("modulus by zero", true))),
        (
            "space.occupancy > 9223372036854775807 + 1",
            Some(("integer overflow", true)),
        ),
        (
            "space.fill > 0.9 && 1 / 0 > 0",
            Some(("division by zero", false)),
        ),
        (
            "space.stale || int('x') > 0",
            Some(("int(): not an integer", false)),
        ),
        ("1 / 0 > 0 && 2 / 0 > 0", Some(("division by zero", true))),
        ("space.occupancy / space.capacity > 1", None),
        ("space.fill > 1.0 / 0.0", None),
        ("space.occupancy > 10 / 2", None),
    ];
    for (source, want) in cases {
        let e = Expr::condition(source).expect(source);
        let got = e.constant_failure().map(|f| (f.error.0, f.always));
        assert_eq!(got, want, "{source}");
    }
}
