//! Measures stack use at the expression limits: compiles and evaluates one
//! expression on a thread with `STACK_KB` KiB of stack, and prints the result.
//! A stack overflow aborts, so the smallest stack that works is found from the
//! shell:
//!
//! ```sh
//! for kb in 64 128 256 512 1024 2048; do
//!   SHAPE=chain STACK_KB=$kb cargo run -q --release -p baton-policy --example stack && break
//! done
//! ```
//!
//! `SHAPE` is `chain` (`1+1+…` at `MAX_OPERATORS`), `nested` (`MAX_NESTING`
//! brackets around such a chain) or `and` (a `&&` chain of field reads).
//! `PARSE_ONLY=1` runs only the `cel` parser on the thread.

use baton_policy::{Expr, Field, Fields, limits};

struct Ones;

impl Fields for Ones {
    fn int(&self, _: Field) -> i64 {
        1
    }
    fn double(&self, _: Field) -> f64 {
        1.0
    }
    fn boolean(&self, _: Field) -> bool {
        true
    }
    fn string(&self, _: Field) -> &str {
        ""
    }
}

fn main() {
    let kb: usize = std::env::var("STACK_KB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    let ops = limits::MAX_OPERATORS;
    let chain = vec!["1"; ops - 1].join("+");
    let source = match std::env::var("SHAPE").as_deref() {
        Ok("nested") => format!(
            "{}{chain}{} > 0",
            "(".repeat(limits::MAX_NESTING),
            ")".repeat(limits::MAX_NESTING)
        ),
        Ok("and") => vec!["space.stale"; ops / 2].join(" && "),
        _ => format!("{chain} > 0"),
    };
    let parse_only = std::env::var("PARSE_ONLY").is_ok();
    let run = std::thread::Builder::new()
        .stack_size(kb * 1024)
        .spawn(move || {
            if parse_only {
                return format!("parsed: {}", cel::Program::compile(&source).is_ok());
            }
            match Expr::condition(&source) {
                Ok(e) => format!(
                    "native {:?}, tree {:?}",
                    e.eval_bool(&Ones),
                    baton_policy::eval::eval_bool(&e.node, &Ones)
                ),
                Err(e) => format!("refused: {e}"),
            }
        });
    match run.map(|t| t.join()) {
        Ok(Ok(line)) => println!("{kb} KiB: {line}"),
        _ => std::process::exit(1),
    }
}
