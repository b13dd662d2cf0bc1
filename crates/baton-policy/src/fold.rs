//! Finds the constant parts of a checked tree that fail at run time, such as
//! `1 / 0` or `9223372036854775807 + 1`: CEL reports those errors when it
//! evaluates, so the checker accepts them, and a condition that always fails
//! silently never fires. `baton check` warns about them.
//!
//! Recursion is bounded by the checker, which built the tree and refuses
//! trees deeper than [`crate::limits::MAX_DEPTH`].

use crate::compile::{ArithOp, Node};
use crate::eval::{self, EvalError, Value};
use crate::schema::{Field, Fields, Ty};

/// A constant part of an expression that fails at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstantFailure {
    /// What it fails with, e.g. `division by zero`.
    pub error: EvalError,
    /// Whether the whole expression fails on every context, or only a part
    /// of it (which `&&`, `||` or `?:` may skip or absorb).
    pub always: bool,
}

/// The first failing constant part of `n`, in source order, if any.
pub fn constant_failure(n: &Node) -> Option<ConstantFailure> {
    if let Some(error) = always_fails(n) {
        return Some(ConstantFailure {
            error,
            always: true,
        });
    }
    first_failing_constant(n).map(|error| ConstantFailure {
        error,
        always: false,
    })
}

/// A context for constant sub-trees, which read no field.
struct NoFields;

impl Fields for NoFields {
    fn int(&self, _: Field) -> i64 {
        0
    }
    fn double(&self, _: Field) -> f64 {
        0.0
    }
    fn boolean(&self, _: Field) -> bool {
        false
    }
    fn string(&self, _: Field) -> &str {
        ""
    }
}

fn children(n: &Node) -> Vec<&Node> {
    use Node::*;
    match n {
        Int(_) | Double(_) | Bool(_) | Str(_) | Field(_) => Vec::new(),
        NegInt(x)
        | NegDouble(x)
        | Not(x)
        | ToString(_, x)
        | ToDouble(_, x)
        | ToInt(_, x)
        | Size(x) => vec![x],
        Arith(_, _, a, b) | Cmp(_, _, a, b) | And(a, b) | Or(a, b) => vec![a, b],
        Cond(a, b, c) => vec![a, b, c],
        In(x, items) => std::iter::once(&**x).chain(items).collect(),
    }
}

fn is_constant(n: &Node) -> bool {
    !matches!(n, Node::Field(_)) && children(n).into_iter().all(is_constant)
}

/// The error of a constant `n`, evaluated as the engine would.
fn constant_error(n: &Node) -> Option<EvalError> {
    if !is_constant(n) {
        return None;
    }
    eval::eval(n, &NoFields).err()
}

/// The error `n` fails with on every context, when it does: a failing
/// constant, an operation on an operand that always fails, or `&&`, `||` and
/// `?:` whose every way out fails (CEL absorbs an error when the other side
/// decides the result).
fn always_fails(n: &Node) -> Option<EvalError> {
    if is_constant(n) {
        return constant_error(n);
    }
    match n {
        Node::And(a, b) | Node::Or(a, b) => {
            let l = always_fails(a)?;
            always_fails(b).map(|_| l)
        }
        Node::Cond(k, a, b) => always_fails(k).or_else(|| {
            let l = always_fails(a)?;
            always_fails(b).map(|_| l)
        }),
        // A division by a constant zero fails whatever it divides.
        Node::Arith(op @ (ArithOp::Div | ArithOp::Rem), Ty::Int, a, b)
            if is_constant(b) && eval::eval(b, &NoFields) == Ok(Value::Int(0)) =>
        {
            always_fails(a).or_else(|| eval::int_arith(*op, 1, 0).err())
        }
        // Every other node evaluates all its operands and fails with them.
        _ => children(n).into_iter().find_map(always_fails),
    }
}

/// The error of the first maximal constant sub-tree that fails.
fn first_failing_constant(n: &Node) -> Option<EvalError> {
    if is_constant(n) {
        return constant_error(n);
    }
    children(n).into_iter().find_map(first_failing_constant)
}
