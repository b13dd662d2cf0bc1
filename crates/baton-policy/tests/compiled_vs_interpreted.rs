//! Differential test: the compiled evaluator (`Expr::any` + `eval`) against the
//! `cel` interpreter (`cel::Program` + `execute`) on random well-typed
//! expressions over the context schema and random contexts. Bool expressions
//! are also evaluated through the tree's `eval_bool` and through the native
//! closures (`Expr::eval_bool`, the path the core takes), which must agree too.
//!
//! All sides must agree on the value (doubles bit for bit, or both NaN) and on
//! whether evaluation fails at all (overflow, division or modulus by zero,
//! failed conversions, ordering a NaN, ...). The error messages differ and are
//! not compared.
//!
//! The runs are deterministic: a fixed ChaCha seed, a fixed number of cases and
//! no failure-persistence files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use baton_policy::{EvalError, Expr, Field, Fields, Ty, Value, eval};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------
// Contexts
// ---------------------------------------------------------------------------

/// One field value.
#[derive(Clone, PartialEq)]
enum V {
    I(i64),
    D(f64),
    B(bool),
    S(String),
}

impl fmt::Debug for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::I(i) => write!(f, "{i}"),
            V::D(d) => write!(f, "{d:?}"),
            V::B(b) => write!(f, "{b}"),
            V::S(s) => write!(f, "{s:?}"),
        }
    }
}

impl V {
    fn to_cel(&self) -> cel::Value {
        match self {
            V::I(i) => cel::Value::Int(*i),
            V::D(d) => cel::Value::Float(*d),
            V::B(b) => cel::Value::Bool(*b),
            V::S(s) => cel::Value::String(Arc::new(s.clone())),
        }
    }
}

/// A context: one value per field, in the order of `Field::ALL`.
#[derive(Clone)]
struct Ctx(Vec<V>);

impl Ctx {
    fn get(&self, f: Field) -> &V {
        let i = Field::ALL
            .iter()
            .position(|g| *g == f)
            .expect("field in ALL");
        &self.0[i]
    }

    /// The same values as the nested maps the `cel` interpreter reads.
    fn roots(&self) -> HashMap<&'static str, HashMap<String, cel::Value>> {
        let mut roots: HashMap<&str, HashMap<String, cel::Value>> = HashMap::new();
        for (f, v) in Field::ALL.iter().zip(&self.0) {
            let (root, leaf) = f.path().split_once('.').expect("dotted path");
            roots
                .entry(root)
                .or_default()
                .insert(leaf.to_string(), v.to_cel());
        }
        roots
    }
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, even under `{:#?}`: proptest prints the whole input.
        f.write_str("{")?;
        for (i, (field, v)) in Field::ALL.iter().zip(&self.0).enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{}: {v:?}", field.path())?;
        }
        f.write_str("}")
    }
}

impl Fields for Ctx {
    fn int(&self, f: Field) -> i64 {
        match self.get(f) {
            V::I(i) => *i,
            v => panic!("{} holds {v:?}, not an int", f.path()),
        }
    }
    fn double(&self, f: Field) -> f64 {
        match self.get(f) {
            V::D(d) => *d,
            v => panic!("{} holds {v:?}, not a double", f.path()),
        }
    }
    fn boolean(&self, f: Field) -> bool {
        match self.get(f) {
            V::B(b) => *b,
            v => panic!("{} holds {v:?}, not a bool", f.path()),
        }
    }
    fn string(&self, f: Field) -> &str {
        match self.get(f) {
            V::S(s) => s,
            v => panic!("{} holds {v:?}, not a string", f.path()),
        }
    }
}

/// Ints biased towards the values where arithmetic goes wrong.
fn ints() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => -100i64..=100,
        2 => select(vec![
            0,
            1,
            -1,
            2,
            -2,
            i64::MAX,
            i64::MIN,
            i64::MAX - 1,
            i64::MIN + 1,
            i64::MAX / 2 + 1,
            i64::MIN / 2,
            3_037_000_500, // just over sqrt(i64::MAX)
            -3_037_000_500,
            1 << 53,
            (1 << 53) + 1,
        ]),
        1 => any::<i64>(),
    ]
    .boxed()
}

/// Finite doubles biased towards edges; `with_special` adds NaN and infinities
/// (context values only: CEL has no literal for them).
fn doubles(with_special: bool) -> BoxedStrategy<f64> {
    let mut edges = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        0.95,
        0.1,
        2.5,
        -2.5,
        1e15,
        1e16,
        9.2e18,
        -9.3e18,
        9_223_372_036_854_775_807.0, // 2^63, just out of int range
        -9_223_372_036_854_775_808.0,
        9_223_372_036_854_774_784.0, // the largest double below 2^63
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        1e300,
    ];
    if with_special {
        edges.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
    }
    let arbitrary = if with_special {
        any::<f64>().boxed()
    } else {
        any::<f64>()
            .prop_filter("finite", |d| d.is_finite())
            .boxed()
    };
    prop_oneof![
        4 => -100.0f64..100.0,
        1 => (-100i64..=100).prop_map(|i| i as f64),
        2 => select(edges),
        1 => arbitrary,
    ]
    .boxed()
}

/// Strings, many of them almost-numbers for int()/double().
fn strings() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(vec![
            "", "0", "7", "-3", "+4", " 7", "7 ", "1.5", "-0", "-0.0", "1e3", ".5", "5.", "inf",
            "-inf", "NaN", "infinity", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "0x10", "E", "F", "hall", "overflow-1", "π", "héllo", "a b",
            "e\u{301}", "🙂",
        ])
        .prop_map(String::from),
        2 => "[a-cE-F0-9 .é+-]{0,5}",
    ]
    .boxed()
}

fn value_of(ty: Ty) -> BoxedStrategy<V> {
    match ty {
        Ty::Int => ints().prop_map(V::I).boxed(),
        Ty::Double => doubles(true).prop_map(V::D).boxed(),
        Ty::Bool => any::<bool>().prop_map(V::B).boxed(),
        Ty::String => strings().prop_map(V::S).boxed(),
    }
}

fn contexts() -> impl Strategy<Value = Ctx> {
    Field::ALL
        .iter()
        .map(|f| value_of(f.ty()))
        .collect::<Vec<_>>()
        .prop_map(Ctx)
}

// ---------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------

fn int_lit(i: i64) -> String {
    if i == i64::MIN {
        // 9223372036854775808 is not an int literal.
        "(-9223372036854775807 - 1)".to_string()
    } else if i < 0 {
        format!("({i})")
    } else {
        i.to_string()
    }
}

fn double_lit(d: f64) -> String {
    // `{:?}` always prints a form the CEL lexer reads back: 1.0, 0.1, 1e300, 5e-324.
    if d.is_sign_negative() {
        format!("(-{:?})", -d)
    } else {
        format!("{d:?}")
    }
}

fn string_lit(s: &str) -> String {
    let mut out = String::from("'");
    for ch in s.chars() {
        match ch {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn field_names(ty: Ty) -> BoxedStrategy<String> {
    let names: Vec<&'static str> = Field::ALL
        .iter()
        .filter(|f| f.ty() == ty)
        .map(|f| f.path())
        .collect();
    select(names).prop_map(String::from).boxed()
}

/// Expression generators for each type, all of the same depth bound.
#[derive(Clone)]
struct Gen {
    int: BoxedStrategy<String>,
    dbl: BoxedStrategy<String>,
    boo: BoxedStrategy<String>,
    st: BoxedStrategy<String>,
}

fn leaves() -> Gen {
    Gen {
        int: prop_oneof![ints().prop_map(int_lit), field_names(Ty::Int)].boxed(),
        dbl: prop_oneof![doubles(false).prop_map(double_lit), field_names(Ty::Double)].boxed(),
        boo: prop_oneof![
            any::<bool>().prop_map(|b| b.to_string()),
            field_names(Ty::Bool)
        ]
        .boxed(),
        st: prop_oneof![
            strings().prop_map(|s| string_lit(&s)),
            field_names(Ty::String)
        ]
        .boxed(),
    }
}

fn binary(
    a: &BoxedStrategy<String>,
    b: &BoxedStrategy<String>,
    ops: &[&'static str],
) -> BoxedStrategy<String> {
    (a.clone(), select(ops.to_vec()), b.clone())
        .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
        .boxed()
}

fn unary(
    x: &BoxedStrategy<String>,
    f: impl Fn(String) -> String + 'static,
) -> BoxedStrategy<String> {
    x.clone().prop_map(f).boxed()
}

fn ternary(c: &BoxedStrategy<String>, x: &BoxedStrategy<String>) -> BoxedStrategy<String> {
    (c.clone(), x.clone(), x.clone())
        .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})"))
        .boxed()
}

/// `x in [...]`; half the time the list holds `x` itself, so that matches
/// (and elements after a match) are common.
fn in_list(x: &BoxedStrategy<String>) -> BoxedStrategy<String> {
    (
        x.clone(),
        prop::collection::vec(x.clone(), 0..4),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(x, mut items, itself, at)| {
            if itself {
                items.insert(at.index(items.len() + 1), x.clone());
            }
            format!("({x} in [{}])", items.join(", "))
        })
        .boxed()
}

const CMP: &[&str] = &["==", "!=", "<", "<=", ">", ">="];
const INT_ARITH: &[&str] = &["+", "-", "*", "/", "%"];
const DOUBLE_ARITH: &[&str] = &["+", "-", "*", "/"];

/// One more level of operators over `p`, which stays a choice too.
fn deeper(p: &Gen) -> Gen {
    let int = prop_oneof![
        3 => p.int.clone(),
        5 => binary(&p.int, &p.int, INT_ARITH),
        1 => unary(&p.int, |x| format!("(-{x})")),
        1 => ternary(&p.boo, &p.int),
        1 => unary(&p.dbl, |x| format!("int({x})")),
        1 => unary(&p.st, |x| format!("int({x})")),
        1 => unary(&p.int, |x| format!("int({x})")),
        1 => unary(&p.st, |x| format!("size({x})")),
    ]
    .boxed();
    let dbl = prop_oneof![
        3 => p.dbl.clone(),
        5 => binary(&p.dbl, &p.dbl, DOUBLE_ARITH),
        1 => unary(&p.dbl, |x| format!("(-{x})")),
        1 => ternary(&p.boo, &p.dbl),
        1 => unary(&p.int, |x| format!("double({x})")),
        1 => unary(&p.st, |x| format!("double({x})")),
        1 => unary(&p.dbl, |x| format!("double({x})")),
    ]
    .boxed();
    let st = prop_oneof![
        3 => p.st.clone(),
        3 => binary(&p.st, &p.st, &["+"]),
        1 => ternary(&p.boo, &p.st),
        1 => unary(&p.int, |x| format!("string({x})")),
        1 => unary(&p.dbl, |x| format!("string({x})")),
        1 => unary(&p.st, |x| format!("string({x})")),
    ]
    .boxed();
    let boo = prop_oneof![
        2 => p.boo.clone(),
        3 => binary(&p.int, &p.int, CMP),
        3 => binary(&p.dbl, &p.dbl, CMP),
        2 => binary(&p.st, &p.st, CMP),
        1 => binary(&p.boo, &p.boo, &["==", "!="]),
        1 => unary(&p.boo, |x| format!("(!{x})")),
        3 => binary(&p.boo, &p.boo, &["&&", "||"]),
        1 => ternary(&p.boo, &p.boo),
        2 => prop_oneof![in_list(&p.int), in_list(&p.dbl), in_list(&p.st), in_list(&p.boo)],
    ]
    .boxed();
    Gen { int, dbl, boo, st }
}

fn generators(depth: usize) -> Gen {
    let mut g = leaves();
    for _ in 0..depth {
        g = deeper(&g);
    }
    g
}

fn expressions() -> BoxedStrategy<String> {
    let g = generators(3);
    prop_oneof![3 => g.boo, 1 => g.int, 1 => g.dbl, 1 => g.st].boxed()
}

// ---------------------------------------------------------------------------
// Comparing
// ---------------------------------------------------------------------------

fn same(ours: &Value<'_>, theirs: &cel::Value) -> bool {
    match (ours, theirs) {
        (Value::Int(a), cel::Value::Int(b)) => a == b,
        (Value::Double(a), cel::Value::Float(b)) => {
            a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
        }
        (Value::Bool(a), cel::Value::Bool(b)) => a == b,
        (Value::Str(a), cel::Value::String(b)) => a.as_ref() == b.as_str(),
        _ => false,
    }
}

fn interpret(src: &str, ctx: &Ctx) -> Result<cel::Value, String> {
    let program = cel::Program::compile(src).map_err(|e| format!("cel cannot parse: {e}"))?;
    let mut c = cel::Context::default();
    for (root, fields) in ctx.roots() {
        c.add_variable_from_value(root, fields);
    }
    program.execute(&c).map_err(|e| e.to_string())
}

fn describe(expr: &Expr, ctx: &Ctx) -> String {
    expr.reads
        .iter()
        .map(|f| format!("{} = {:?}", f.path(), ctx.get(*f)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Default)]
struct Tally {
    both_ok: AtomicUsize,
    both_err: AtomicUsize,
    /// Bool cases also checked through the tree's `eval_bool` and the closures.
    closure_checked: AtomicUsize,
}

/// Compiles and evaluates `src` both ways and fails the case on any disagreement.
fn agree(src: &str, ctx: &Ctx, tally: &Tally) -> Result<(), TestCaseError> {
    let expr = Expr::any(src)
        .map_err(|e| TestCaseError::fail(format!("generated `{src}` does not compile: {e}")))?;
    let ours: Result<Value<'_>, EvalError> = eval::eval(&expr.node, ctx);
    let theirs = interpret(src, ctx);
    let fail = |what: &str| {
        TestCaseError::fail(format!(
            "{what}\n  expression: {src}\n  compiled:    {ours:?}\n  interpreter: {theirs:?}\n  reads: {}",
            describe(&expr, ctx)
        ))
    };
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) if same(a, b) => {
            tally.both_ok.fetch_add(1, Ordering::Relaxed);
        }
        (Ok(_), Ok(_)) => return Err(fail("different values")),
        (Err(_), Err(_)) => {
            tally.both_err.fetch_add(1, Ordering::Relaxed);
        }
        (Ok(_), Err(_)) => return Err(fail("only the interpreter fails")),
        (Err(_), Ok(_)) => return Err(fail("only the compiled evaluator fails")),
    }
    // The fast path for conditions (native closures), the tree's `eval_bool`
    // and the parameter path must agree with `eval` and the interpreter.
    if expr.ty == Ty::Bool {
        let Some(native) = expr.native() else {
            return Err(fail("a bool expression has no native closure"));
        };
        let want: Result<bool, ()> = match &theirs {
            Ok(cel::Value::Bool(b)) => Ok(*b),
            Ok(_) => return Err(fail("the interpreter gives a non-bool")),
            Err(_) => Err(()),
        };
        let paths = [
            ("Expr::eval_bool (closures)", expr.eval_bool(ctx)),
            ("Condition::eval", native.eval(ctx)),
            ("eval::eval_bool (tree)", eval::eval_bool(&expr.node, ctx)),
        ];
        for (name, got) in paths {
            if got.as_ref().ok() != want.as_ref().ok() || got.is_ok() != want.is_ok() {
                return Err(fail(&format!("{name} gives {got:?}")));
            }
        }
        tally.closure_checked.fetch_add(1, Ordering::Relaxed);
    }
    if expr.eval_param(ctx).is_ok() != ours.is_ok() {
        return Err(fail("eval_param and eval disagree on failing"));
    }
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

#[test]
fn compiled_evaluator_agrees_with_the_interpreter() {
    let tally = Tally::default();
    let result = runner(2000).run(&(expressions(), contexts()), |(src, ctx)| {
        agree(&src, &ctx, &tally)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let ok = tally.both_ok.load(Ordering::Relaxed);
    let err = tally.both_err.load(Ordering::Relaxed);
    let closures = tally.closure_checked.load(Ordering::Relaxed);
    eprintln!(
        "compiled vs interpreted: {ok} cases agree on a value, {err} on failing; \
         {closures} bool cases also through the closures"
    );
    assert!(
        closures * 3 > ok + err,
        "too few bool cases: {closures} of {}",
        ok + err
    );
    // Guard against a generator that only produces failing expressions.
    assert!(
        ok * 2 > ok + err,
        "too few cases evaluate: {ok} ok, {err} errors"
    );
    assert!(
        err * 20 > ok + err,
        "too few cases fail: {ok} ok, {err} errors"
    );
}

// ---------------------------------------------------------------------------
// && and || absorb errors
// ---------------------------------------------------------------------------

/// Bool expressions that always fail at run time, whatever the context.
fn failing_bools() -> BoxedStrategy<String> {
    let g = leaves();
    prop_oneof![
        g.int.clone().prop_map(|x| format!("({x} / 0 == 1)")),
        g.int.clone().prop_map(|x| format!("({x} % 0 > 1)")),
        g.int
            .clone()
            .prop_map(|x| format!("(9223372036854775807 + (1 + {x} * 0) < 0)")),
        g.int
            .clone()
            .prop_map(|x| format!("(-(-9223372036854775807 - 1 + {x} * 0) > 0)")),
        g.dbl
            .clone()
            .prop_map(|x| format!("(int({x} * 0.0 + 1e300) == 0)")),
        g.st.clone().prop_map(|s| format!("(int({s} + 'x') == 0)")),
        g.dbl
            .clone()
            .prop_map(|x| format!("(({x} * 0.0 / 0.0) < 1.0)")),
    ]
    .boxed()
}

/// CEL's rule for `a && b` and `a || b` where either side may fail.
fn cel_logic(and: bool, a: &Result<bool, EvalError>, b: &Result<bool, EvalError>) -> Option<bool> {
    let absorbing = !and; // false for &&, true for ||
    match (a, b) {
        (Ok(x), _) | (_, Ok(x)) if *x == absorbing => Some(absorbing),
        (Ok(_), Ok(_)) => Some(!absorbing),
        _ => None,
    }
}

#[test]
fn and_or_absorb_errors_like_cel() {
    let g = generators(2);
    let sides = prop_oneof![1 => failing_bools(), 2 => g.boo];
    let strategy = (sides.clone(), sides, any::<bool>(), contexts());
    let tally = Tally::default();
    let absorbed = AtomicUsize::new(0);
    let result = runner(600).run(&strategy, |(a, b, and, ctx)| {
        let op = if and { "&&" } else { "||" };
        let src = format!("({a} {op} {b})");
        agree(&src, &ctx, &tally)?;
        let ea = Expr::condition(&a).expect("left side compiles");
        let eb = Expr::condition(&b).expect("right side compiles");
        let (ra, rb) = (ea.eval_bool(&ctx), eb.eval_bool(&ctx));
        let want = cel_logic(and, &ra, &rb);
        let got = Expr::condition(&src).expect("compiles").eval_bool(&ctx);
        if got.as_ref().ok().copied() != want {
            return Err(TestCaseError::fail(format!(
                "`{src}`: sides give {ra:?} and {rb:?}, so CEL wants {want:?}, got {got:?}"
            )));
        }
        if want.is_some() && (ra.is_err() || rb.is_err()) {
            absorbed.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let absorbed = absorbed.load(Ordering::Relaxed);
    eprintln!("&& / ||: {absorbed} cases absorbed an error");
    assert!(absorbed >= 50, "only {absorbed} cases absorbed an error");
}

// ---------------------------------------------------------------------------
// Disagreements the property tests found, kept as fixed cases
// ---------------------------------------------------------------------------

#[test]
fn former_disagreements() {
    let base = || {
        Ctx(Field::ALL
            .iter()
            .map(|f| match f.ty() {
                Ty::Int => V::I(0),
                Ty::Double => V::D(0.0),
                Ty::Bool => V::B(false),
                Ty::String => V::S(String::new()),
            })
            .collect())
    };
    let with = |f: Field, v: V| {
        let mut c = base();
        let i = Field::ALL.iter().position(|g| *g == f).expect("field");
        c.0[i] = v;
        c
    };
    let cases = [
        // int()/double() of a string do not trim whitespace.
        (
            "string(double(signal.kind))",
            with(Field::SignalKind, V::S(" 7".into())),
        ),
        (
            "int(signal.kind) == 7",
            with(Field::SignalKind, V::S("7 ".into())),
        ),
        // string(-0.0) keeps the sign.
        ("string((-0.0))", base()),
        // Ordering a NaN is an error; == and != are not.
        (
            "space.minutes_since_seen < 0.0",
            with(Field::SpaceMinutesSinceSeen, V::D(f64::NAN)),
        ),
        ("(0.0 / 0.0) >= 1.0", base()),
        (
            "space.fill == space.fill",
            with(Field::SpaceFill, V::D(f64::NAN)),
        ),
        (
            "space.fill != space.fill",
            with(Field::SpaceFill, V::D(f64::NAN)),
        ),
        (
            "space.fill in [space.fill]",
            with(Field::SpaceFill, V::D(f64::NAN)),
        ),
        // Every element of an `in` list is evaluated, even after a match.
        ("1 in [1, 1 / 0]", base()),
        ("'a' in ['a', string(1 % 0)]", base()),
        ("1 in [2, 1 / 0]", base()),
    ];
    let tally = Tally::default();
    for (src, ctx) in cases {
        if let Err(e) = agree(src, &ctx, &tally) {
            panic!("{e}");
        }
    }
}

// ---------------------------------------------------------------------------
// The shapes the closure compiler specialises, as policies write them
// ---------------------------------------------------------------------------

/// Small pools shared by the policy-shaped contexts and constants, so a field
/// often equals the constant it is compared with: the boundary where `<` and
/// `<=` (and a negated comparison) differ. A quarter of the draws come from the
/// wide generators above.
fn small_ints() -> BoxedStrategy<i64> {
    prop_oneof![
        3 => select(vec![-1i64, 0, 1, 2, 40, 60, i64::MAX, i64::MIN]),
        1 => ints(),
    ]
    .boxed()
}

fn small_doubles(with_special: bool) -> BoxedStrategy<f64> {
    let mut pool = vec![0.0, -0.0, 0.5, 0.95, 1.0, -1.0, 1e300];
    if with_special {
        pool.extend([f64::NAN, f64::INFINITY]);
    }
    prop_oneof![3 => select(pool), 1 => doubles(with_special)].boxed()
}

fn small_strings() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(vec!["", "E", "F", "hall-a", "overflow-1", "7", " 7", "é"]).prop_map(String::from),
        1 => strings(),
    ]
    .boxed()
}

fn policy_contexts() -> impl Strategy<Value = Ctx> {
    Field::ALL
        .iter()
        .map(|f| match f.ty() {
            Ty::Int => small_ints().prop_map(V::I).boxed(),
            Ty::Double => small_doubles(true).prop_map(V::D).boxed(),
            Ty::Bool => any::<bool>().prop_map(V::B).boxed(),
            Ty::String => small_strings().prop_map(V::S).boxed(),
        })
        .collect::<Vec<_>>()
        .prop_map(Ctx)
}

/// A list literal of 0 to 4 constants.
fn lists<T: fmt::Debug + 'static>(
    items: BoxedStrategy<T>,
    lit: fn(&T) -> String,
) -> BoxedStrategy<String> {
    prop::collection::vec(items, 0..5)
        .prop_map(move |v| v.iter().map(lit).collect::<Vec<_>>().join(", "))
        .boxed()
}

/// The two sides of a comparison as policies write them: a field against a
/// constant (either way round) or against another field of its type, with a
/// flag for bools, which only have `==` and `!=`.
fn comparison_operands() -> BoxedStrategy<(String, String, bool)> {
    let il = |k: i64| int_lit(k);
    prop_oneof![
        (field_names(Ty::Int), small_ints().prop_map(il)).prop_map(|(f, k)| (f, k, false)),
        (small_ints().prop_map(il), field_names(Ty::Int)).prop_map(|(k, f)| (k, f, false)),
        (field_names(Ty::Int), field_names(Ty::Int)).prop_map(|(a, b)| (a, b, false)),
        (
            field_names(Ty::Double),
            small_doubles(false).prop_map(double_lit)
        )
            .prop_map(|(f, k)| (f, k, false)),
        (
            small_doubles(false).prop_map(double_lit),
            field_names(Ty::Double)
        )
            .prop_map(|(k, f)| (k, f, false)),
        (field_names(Ty::Double), field_names(Ty::Double)).prop_map(|(a, b)| (a, b, false)),
        (
            field_names(Ty::String),
            small_strings().prop_map(|s| string_lit(&s))
        )
            .prop_map(|(f, k)| (f, k, false)),
        (
            small_strings().prop_map(|s| string_lit(&s)),
            field_names(Ty::String)
        )
            .prop_map(|(k, f)| (k, f, false)),
        (field_names(Ty::String), field_names(Ty::String)).prop_map(|(a, b)| (a, b, false)),
        (
            field_names(Ty::Bool),
            any::<bool>().prop_map(|b| b.to_string())
        )
            .prop_map(|(f, k)| (f, k, true)),
        (field_names(Ty::Bool), field_names(Ty::Bool)).prop_map(|(a, b)| (a, b, true)),
    ]
    .boxed()
}

/// Every operator, plain and negated, on the same operands: the closures are
/// specialised per operator and `!(a op b)` is lowered to the opposite
/// operator, so each of those needs its own check, equal operands included.
#[test]
fn closures_agree_on_every_operator() {
    let tally = Tally::default();
    let result = runner(300).run(
        &(comparison_operands(), policy_contexts()),
        |((l, r, bools), ctx)| {
            let ops: &[&str] = if bools { &["==", "!="] } else { CMP };
            for op in ops {
                agree(&format!("{l} {op} {r}"), &ctx, &tally)?;
                agree(&format!("!({l} {op} {r})"), &ctx, &tally)?;
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let ok = tally.both_ok.load(Ordering::Relaxed);
    let err = tally.both_err.load(Ordering::Relaxed);
    eprintln!("every operator: {ok} cases agree on a value, {err} on failing (NaN ordering)");
}

/// One operand of a policy condition: a field against a constant (either way
/// round), `in` over constants, a bool field, a small arithmetic comparison,
/// a negation, a constant, or something that always fails at run time. None
/// of these needs the tree evaluator.
fn policy_atoms() -> BoxedStrategy<String> {
    let ops = || select(CMP.to_vec());
    let il = |i: &i64| int_lit(*i);
    let dl = |d: &f64| double_lit(*d);
    let sl = |s: &String| string_lit(s);
    let cmp_atom = (comparison_operands(), ops())
        .prop_map(|((l, r, bools), op)| {
            let op = if bools {
                if op.contains('=') { "==" } else { "!=" }
            } else {
                op
            };
            format!("{l} {op} {r}")
        })
        .boxed();
    prop_oneof![
        6 => cmp_atom.clone(),
        2 => (field_names(Ty::String), lists(small_strings().boxed(), sl))
            .prop_map(|(f, l)| format!("{f} in [{l}]")),
        1 => (field_names(Ty::Int), lists(small_ints(), il)).prop_map(|(f, l)| format!("{f} in [{l}]")),
        1 => (field_names(Ty::Double), lists(small_doubles(false), dl))
            .prop_map(|(f, l)| format!("{f} in [{l}]")),
        2 => field_names(Ty::Bool),
        1 => field_names(Ty::Bool).prop_map(|f| format!("!{f}")),
        1 => cmp_atom.prop_map(|a| format!("!({a})")),
        1 => any::<bool>().prop_map(|b| b.to_string()),
        2 => (field_names(Ty::Int), select(INT_ARITH.to_vec()), small_ints(), ops(), small_ints()).prop_map(
            |(f, a, k, o, m)| format!("{f} {a} {} {o} {}", int_lit(k), int_lit(m))
        ),
        1 => (field_names(Ty::Double), select(DOUBLE_ARITH.to_vec()), field_names(Ty::Double), ops(), small_doubles(false))
            .prop_map(|(f, a, g, o, m)| format!("({f} {a} {g}) {o} {}", double_lit(m))),
        1 => (field_names(Ty::Int), field_names(Ty::Int), ops(), small_doubles(false)).prop_map(
            |(f, g, o, m)| format!("double({f}) / double({g}) {o} {}", double_lit(m))
        ),
        1 => (field_names(Ty::Int), ops()).prop_map(|(f, o)| format!("{f} / 0 {o} 1")),
        1 => (field_names(Ty::Int), ops()).prop_map(|(f, o)| format!("{f} % 0 {o} 1")),
        1 => field_names(Ty::Int).prop_map(|f| format!("9223372036854775807 + ({f} * 0 + 1) > 0")),
        1 => field_names(Ty::Double).prop_map(|f| format!("{f} * 0.0 / 0.0 < 1.0")),
    ]
    .boxed()
}

/// `&&` / `||` chains of 1 to 3 atoms, grouped into chains of the other
/// operator, sometimes negated: the flattened chains, absorbing constants and
/// error absorption of the closure compiler.
fn policy_conditions() -> BoxedStrategy<String> {
    let chain = |items: BoxedStrategy<String>, n: std::ops::Range<usize>| {
        (prop::collection::vec(items, n), any::<bool>())
            .prop_map(|(items, and)| items.join(if and { " && " } else { " || " }))
            .boxed()
    };
    let inner = chain(policy_atoms(), 1..4)
        .prop_flat_map(|c| select(vec!["", "!"]).prop_map(move |neg| format!("{neg}({c})")))
        .boxed();
    chain(inner, 1..4)
}

#[test]
fn closures_agree_on_policy_shaped_conditions() {
    let tally = Tally::default();
    let result = runner(600).run(&(policy_conditions(), policy_contexts()), |(src, ctx)| {
        agree(&src, &ctx, &tally)?;
        let expr = Expr::condition(&src).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let fallbacks = expr.native().map(|n| n.fallbacks());
        if fallbacks != Some(0) {
            return Err(TestCaseError::fail(format!(
                "`{src}` is not fully native: {fallbacks:?} fallbacks to the tree"
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let ok = tally.both_ok.load(Ordering::Relaxed);
    let err = tally.both_err.load(Ordering::Relaxed);
    eprintln!("policy-shaped: {ok} cases agree on a value, {err} on failing");
    assert!(
        ok * 2 > ok + err,
        "too few cases evaluate: {ok} ok, {err} errors"
    );
    assert!(
        err * 20 > ok + err,
        "too few cases fail: {ok} ok, {err} errors"
    );
}

/// A context with every field zero, false or empty, and `set` applied.
fn ctx_with(set: &[(Field, V)]) -> Ctx {
    let mut c = Ctx(Field::ALL
        .iter()
        .map(|f| match f.ty() {
            Ty::Int => V::I(0),
            Ty::Double => V::D(0.0),
            Ty::Bool => V::B(false),
            Ty::String => V::S(String::new()),
        })
        .collect());
    for (f, v) in set {
        let i = Field::ALL.iter().position(|g| g == f).expect("field");
        c.0[i] = v.clone();
    }
    c
}

#[test]
fn closure_fixed_cases() {
    use Field::*;
    let hall = ctx_with(&[
        (SpaceId, V::S("hall-a".into())),
        (SpaceLos, V::S("E".into())),
        (SpaceFill, V::D(0.97)),
        (SpaceHasSession, V::B(true)),
        (SpaceInflow1m, V::I(35)),
        (SpaceQueueLength, V::I(72)),
        (SpaceOccupancy, V::I(776)),
        (SpaceCapacity, V::I(800)),
    ]);
    let nan = ctx_with(&[(SpaceFill, V::D(f64::NAN))]);
    let min = ctx_with(&[(SpaceOccupancy, V::I(i64::MIN))]);
    // (expression, context, expected result: Some(value) or None for an error,
    // fully native?)
    let cases: &[(&str, &Ctx, Option<bool>, bool)] = &[
        // The benchmarked conditions.
        (
            "space.fill >= 0.95 && space.has_session && space.id != 'overflow-1'",
            &hall,
            Some(true),
            true,
        ),
        ("space.los in ['E', 'F']", &hall, Some(true), true),
        (
            "space.inflow_1m > 40 || space.queue_length > 60",
            &hall,
            Some(true),
            true,
        ),
        // A negated comparison is the opposite operator, equal operands included.
        ("!(space.occupancy == 776)", &hall, Some(false), true),
        ("!(space.occupancy != 776)", &hall, Some(true), true),
        ("!(space.occupancy < 776)", &hall, Some(true), true),
        ("!(space.occupancy <= 776)", &hall, Some(false), true),
        ("!(space.occupancy > 776)", &hall, Some(true), true),
        ("!(space.occupancy >= 776)", &hall, Some(false), true),
        (
            "!(space.fill < 0.97) && !(space.fill > 0.97)",
            &hall,
            Some(true),
            true,
        ),
        (
            "!(space.id < 'hall-a') && !(space.id > 'hall-a')",
            &hall,
            Some(true),
            true,
        ),
        // Ordering a NaN fails, == and != do not; negation keeps that.
        ("space.fill >= 0.95", &nan, None, true),
        ("!(space.fill < 0.95)", &nan, None, true),
        ("space.fill == 0.95", &nan, Some(false), true),
        ("!(space.fill == space.fill)", &nan, Some(true), true),
        ("space.fill in [0.5, 0.97]", &nan, Some(false), true),
        ("space.fill in [0.5, 0.97]", &hall, Some(true), true),
        // Absorption in flattened chains, constants on either side.
        (
            "false && space.occupancy / 0 == 1",
            &hall,
            Some(false),
            true,
        ),
        (
            "space.occupancy / 0 == 1 && false",
            &hall,
            Some(false),
            true,
        ),
        ("space.occupancy / 0 == 1 && true", &hall, None, true),
        ("space.occupancy / 0 == 1 || true", &hall, Some(true), true),
        (
            "space.occupancy / 0 == 1 || space.has_session",
            &hall,
            Some(true),
            true,
        ),
        (
            "space.occupancy / 0 == 1 || space.closed",
            &hall,
            None,
            true,
        ),
        (
            "space.has_session && space.occupancy % 0 == 1 && space.closed",
            &hall,
            Some(false),
            true,
        ),
        (
            "space.has_session && (space.occupancy % 0 == 1 && space.has_session) && true",
            &hall,
            None,
            true,
        ),
        (
            "space.closed || (space.fill >= 0.95 || space.occupancy / 0 > 1) || space.stale",
            &nan,
            None,
            true,
        ),
        (
            "!(space.closed || space.stale) && !!space.has_session",
            &hall,
            Some(true),
            true,
        ),
        ("true && true && true", &hall, Some(true), true),
        ("false || false", &hall, Some(false), true),
        // Integer arithmetic errors.
        ("-space.occupancy > 0", &min, None, true),
        ("space.occupancy - 1 < 0", &min, None, true),
        ("space.occupancy / (-1) > 0", &min, None, true),
        ("space.occupancy % (-1) == 0", &min, None, true),
        ("space.occupancy * 0 == 0", &min, Some(true), true),
        ("1 / 0 == 1 || true", &hall, Some(true), true),
        // Conversions and ?: through closures.
        ("int(space.fill * 100.0) == 97", &hall, Some(true), true),
        ("int(space.fill) == 0", &nan, None, true),
        (
            "double(space.occupancy) / double(space.capacity) > 0.95",
            &hall,
            Some(true),
            true,
        ),
        (
            "size(space.id) == 6 && int(space.los) == 0",
            &hall,
            None,
            true,
        ),
        (
            "(space.has_session ? space.occupancy : 1 / 0) > 700",
            &hall,
            Some(true),
            true,
        ),
        (
            "(space.closed ? space.occupancy : 1 / 0) > 700",
            &hall,
            None,
            true,
        ),
        // String shapes, and the ones left to the tree.
        (
            "space.id < 'hall-b' && space.id >= 'hall-a'",
            &hall,
            Some(true),
            true,
        ),
        ("space.id in []", &hall, Some(false), true),
        ("space.los in [space.id, 'E']", &hall, Some(true), true),
        ("'E' in ['E', string(1 % 0)]", &hall, None, false),
        ("space.id + '!' == 'hall-a!'", &hall, Some(true), false),
        (
            "(space.closed ? 'x' : space.los) in ['E']",
            &hall,
            Some(true),
            false,
        ),
    ];
    let tally = Tally::default();
    for (src, ctx, want, native) in cases {
        if let Err(e) = agree(src, ctx, &tally) {
            panic!("{e}");
        }
        let expr = Expr::condition(src).expect("compiles");
        assert_eq!(expr.eval_bool(*ctx).ok(), *want, "{src}");
        let fallbacks = expr.native().map(|n| n.fallbacks());
        assert_eq!(fallbacks == Some(0), *native, "{src}: {fallbacks:?}");
    }
}
