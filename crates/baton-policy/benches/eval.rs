//! Time per evaluation of typical policy conditions, three ways:
//! - `closure`: the native closures `Expr::eval_bool` runs (the core's path);
//! - `tree`: the typed tree walked by `eval::eval_bool`;
//! - `interpreted`: the `cel` interpreter running a prepared `Program` over a
//!   context built once.
//!
//! None of them parses or builds anything inside the timed loop.
//!
//! Run with `cargo bench -p baton-policy --bench eval`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_policy::{Expr, Field, Fields, Ty, eval};
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

/// The conditions measured, with a short name each.
const CONDITIONS: &[(&str, &str)] = &[
    (
        "fill_session_id",
        "space.fill >= 0.95 && space.has_session && space.id != 'overflow-1'",
    ),
    ("los_in", "space.los in ['E', 'F']"),
    (
        "inflow_or_queue",
        "space.inflow_1m > 40 || space.queue_length > 60",
    ),
];

/// A busy hall: every condition above reads its fields to the end
/// (the `&&` chain is true, the `||` has to look at both sides).
struct Hall;

impl Fields for Hall {
    fn int(&self, f: Field) -> i64 {
        match f {
            Field::SpaceCapacity => 800,
            Field::SpaceOccupancy => 776,
            Field::SpaceInflow1m => 35,
            Field::SpaceOutflow1m => 4,
            Field::SpaceQueueLength => 72,
            Field::EventMinuteOfDay => 615,
            _ => 0,
        }
    }
    fn double(&self, f: Field) -> f64 {
        match f {
            Field::SpaceFill => 0.97,
            Field::SpaceAreaM2 => 640.0,
            Field::SpaceDensity => 1.21,
            Field::SpaceConfidence => 0.9,
            _ => 0.0,
        }
    }
    fn boolean(&self, f: Field) -> bool {
        matches!(f, Field::SpaceHasSession)
    }
    fn string(&self, f: Field) -> &str {
        match f {
            Field::SpaceId => "hall-a",
            Field::SpaceName => "Hall A",
            Field::SpaceKind => "hall",
            Field::SpaceLos => "E",
            Field::SessionId => "keynote",
            Field::SessionStatus => "running",
            Field::SignalType => "minute",
            _ => "",
        }
    }
}

/// The same values as the nested maps the interpreter reads, built once.
fn cel_context() -> cel::Context<'static, 'static> {
    let mut roots: HashMap<&str, HashMap<String, cel::Value>> = HashMap::new();
    for f in Field::ALL {
        let v = match f.ty() {
            Ty::Int => cel::Value::Int(Hall.int(*f)),
            Ty::Double => cel::Value::Float(Hall.double(*f)),
            Ty::Bool => cel::Value::Bool(Hall.boolean(*f)),
            Ty::String => cel::Value::String(Arc::new(Hall.string(*f).to_string())),
        };
        let (root, leaf) = f.path().split_once('.').expect("dotted path");
        roots.entry(root).or_default().insert(leaf.to_string(), v);
    }
    let mut ctx = cel::Context::default();
    for (root, fields) in roots {
        ctx.add_variable_from_value(root, fields);
    }
    ctx
}

fn eval(c: &mut Criterion) {
    let ctx = cel_context();
    for (name, src) in CONDITIONS {
        let expr = Expr::condition(src).expect("compiles");
        let program = cel::Program::compile(src).expect("parses");
        // All three must agree before their speed means anything, and the
        // closure path must be fully native for these shapes.
        let ours = expr.eval_bool(&Hall).expect("evaluates");
        assert_eq!(eval::eval_bool(&expr.node, &Hall), Ok(ours), "{src}");
        assert_eq!(program.execute(&ctx), Ok(cel::Value::Bool(ours)), "{src}");
        assert_eq!(expr.native().map(|n| n.fallbacks()), Some(0), "{src}");

        let mut group = c.benchmark_group(*name);
        group.bench_function("closure", |b| {
            b.iter(|| black_box(&expr).eval_bool(black_box(&Hall)))
        });
        group.bench_function("tree", |b| {
            b.iter(|| eval::eval_bool(&black_box(&expr).node, black_box(&Hall)))
        });
        group.bench_function("interpreted", |b| {
            b.iter(|| black_box(&program).execute(black_box(&ctx)))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = eval
}
criterion_main!(benches);
