//! The typed context: what `baton check` accepts and refuses, and that the
//! compiled evaluator agrees with the `cel` interpreter on what it accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_policy::{Expr, Field, Fields};
use std::collections::HashMap;

struct Ctx(HashMap<Field, cel::Value>);

impl Fields for Ctx {
    fn int(&self, f: Field) -> i64 {
        match self.0.get(&f) {
            Some(cel::Value::Int(i)) => *i,
            _ => 0,
        }
    }
    fn double(&self, f: Field) -> f64 {
        match self.0.get(&f) {
            Some(cel::Value::Float(d)) => *d,
            _ => 0.0,
        }
    }
    fn boolean(&self, f: Field) -> bool {
        matches!(self.0.get(&f), Some(cel::Value::Bool(true)))
    }
    fn string(&self, f: Field) -> &str {
        match self.0.get(&f) {
            Some(cel::Value::String(s)) => s.as_str(),
            _ => "",
        }
    }
}

fn sample() -> Ctx {
    let mut m = HashMap::new();
    for f in Field::ALL {
        let v = match f.ty() {
            baton_policy::Ty::Int => cel::Value::Int(f.path().len() as i64 * 7),
            baton_policy::Ty::Double => cel::Value::Float(f.path().len() as f64 / 13.0),
            baton_policy::Ty::Bool => cel::Value::Bool(f.path().len() % 2 == 0),
            baton_policy::Ty::String => {
                cel::Value::String(std::sync::Arc::new(f.path().replace('.', "-")))
            }
        };
        m.insert(*f, v);
    }
    Ctx(m)
}

/// Evaluates with the `cel` interpreter over the same values, as nested maps.
fn interpret(src: &str, ctx: &Ctx) -> Result<cel::Value, String> {
    let program = cel::Program::compile(src).map_err(|e| e.to_string())?;
    let mut roots: HashMap<&str, HashMap<String, cel::Value>> = HashMap::new();
    for (f, v) in &ctx.0 {
        let (root, leaf) = f.path().split_once('.').expect("dotted path");
        roots
            .entry(root)
            .or_default()
            .insert(leaf.to_string(), v.clone());
    }
    let mut c = cel::Context::default();
    for (root, fields) in roots {
        c.add_variable_from_value(root, fields);
    }
    program.execute(&c).map_err(|e| e.to_string())
}

#[test]
fn accepts_typical_conditions_and_agrees_with_the_interpreter() {
    let ctx = sample();
    for src in [
        "space.fill > 0.9",
        "space.fill >= 0.95 && space.has_session && space.id != 'overflow-1'",
        "space.los in ['E', 'F']",
        "space.inflow_1m > 40 || space.queue_length > 60",
        "!space.stale && double(space.occupancy) / double(space.capacity) > 0.5",
        "session.delay_min >= 10 ? true : space.occupancy % 7 == 0",
        "size(space.name) > 3 && string(space.capacity) != ''",
        "int(space.fill * 100.0) >= 0",
    ] {
        let e = Expr::condition(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let ours = e.eval_bool(&ctx).map_err(|e| e.to_string());
        let theirs = interpret(src, &ctx);
        assert_eq!(ours.ok().map(cel::Value::Bool), theirs.ok(), "{src}");
    }
}

#[test]
fn refuses_what_the_schema_forbids() {
    let cases = [
        ("space.fullness > 0.9", "unknown field `space.fullness`"),
        ("space.fill > 1", "mixed int/double"),
        ("space.occupancy + 1.5 > 3.0", "mixed int/double"),
        ("space.occupancy + 1", "must be a bool"),
        ("attendee.id == 'x'", "unknown name `attendee`"),
        ("space.fill >>= 0.9", "CEL syntax error"),
        ("[1, 2].all(x, x > 0)", "not supported"),
        ("has(space.fill)", "not supported"),
    ];
    for (src, want) in cases {
        let e = Expr::condition(src).expect_err(src);
        assert!(e.to_string().contains(want), "{src}: got {e}");
    }
}

#[test]
fn runtime_errors_follow_cel() {
    let ctx = sample();
    let e = Expr::condition("space.occupancy / 0 > 1").expect("compiles");
    assert!(
        e.eval_bool(&ctx).is_err(),
        "integer division by zero is an error"
    );
    // `false && error` is false in CEL, in either order.
    let e = Expr::condition("space.occupancy / 0 > 1 && false").expect("compiles");
    assert_eq!(e.eval_bool(&ctx), Ok(false));
    let e = Expr::condition("9223372036854775807 + space.occupancy > 0").expect("compiles");
    assert!(e.eval_bool(&ctx).is_err(), "overflow is an error");
}
