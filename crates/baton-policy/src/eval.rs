//! Evaluates a checked tree over a [`Fields`] source, following CEL semantics:
//! integer overflow and division by zero are errors, `&&`/`||` absorb errors when
//! the other side decides the result, doubles follow IEEE 754.
//!
//! Both evaluators recurse once per level of the tree; the checker bounds its
//! depth by [`crate::limits::MAX_DEPTH`].

use crate::compile::{ArithOp, CmpOp, Node};
use crate::schema::{Fields, Ty};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// A runtime value. Strings borrow from the context or the tree when they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Int(i64),
    Double(f64),
    Bool(bool),
    Str(Cow<'a, str>),
}

/// A runtime error, e.g. integer overflow or division by zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError(pub &'static str);

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

type R<'a> = Result<Value<'a>, EvalError>;

fn int<'a>(n: &'a Node, c: &'a dyn Fields) -> Result<i64, EvalError> {
    match eval(n, c)? {
        Value::Int(i) => Ok(i),
        _ => Err(EvalError("internal: expected int")),
    }
}

fn double<'a>(n: &'a Node, c: &'a dyn Fields) -> Result<f64, EvalError> {
    match eval(n, c)? {
        Value::Double(d) => Ok(d),
        _ => Err(EvalError("internal: expected double")),
    }
}

/// Evaluates a boolean tree; the fast path for conditions.
pub fn eval_bool(n: &Node, c: &dyn Fields) -> Result<bool, EvalError> {
    match n {
        Node::Bool(b) => Ok(*b),
        Node::Field(f) => Ok(c.boolean(*f)),
        Node::Not(x) => Ok(!eval_bool(x, c)?),
        Node::And(a, b) => and(eval_bool(a, c), || eval_bool(b, c)),
        Node::Or(a, b) => or(eval_bool(a, c), || eval_bool(b, c)),
        Node::Cmp(op, ty, a, b) => compare(*op, *ty, a, b, c),
        _ => match eval(n, c)? {
            Value::Bool(b) => Ok(b),
            _ => Err(EvalError("internal: expected bool")),
        },
    }
}

fn compare(op: CmpOp, ty: Ty, a: &Node, b: &Node, c: &dyn Fields) -> Result<bool, EvalError> {
    let ord: Option<Ordering> = match ty {
        Ty::Int => Some(int(a, c)?.cmp(&int(b, c)?)),
        Ty::Double => double(a, c)?.partial_cmp(&double(b, c)?),
        Ty::Bool => Some(eval_bool(a, c)?.cmp(&eval_bool(b, c)?)),
        Ty::String => {
            let (l, r) = (eval(a, c)?, eval(b, c)?);
            match (l, r) {
                (Value::Str(l), Value::Str(r)) => Some(l.as_ref().cmp(r.as_ref())),
                _ => return Err(EvalError("internal: expected string")),
            }
        }
    };
    holds(op, ord)
}

// The primitive operations below are shared with the closure compiler
// (`crate::closure`), so the two evaluators cannot drift apart: each rule of
// CEL's semantics is written once. They are `#[inline]` so that a closure
// specialised for one operator folds the `match` on a constant `op` away.

/// Whether `op` holds for two operands that compare as `ord`; `None` means a
/// NaN was involved.
#[inline]
pub(crate) fn holds(op: CmpOp, ord: Option<Ordering>) -> Result<bool, EvalError> {
    Ok(match (op, ord) {
        // NaN equals nothing, itself included; ordering it is an error in CEL.
        (CmpOp::Eq, None) => false,
        (CmpOp::Ne, None) => true,
        (_, None) => return Err(EvalError("NaN cannot be ordered")),
        (CmpOp::Eq, Some(o)) => o == Ordering::Equal,
        (CmpOp::Ne, Some(o)) => o != Ordering::Equal,
        (CmpOp::Lt, Some(o)) => o == Ordering::Less,
        (CmpOp::Le, Some(o)) => o != Ordering::Greater,
        (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
        (CmpOp::Ge, Some(o)) => o != Ordering::Less,
    })
}

/// `l && r` with CEL's error absorption: false if either side is false (even
/// if the other fails), else the left error, else the right error, else true.
/// `r` runs only when `l` does not decide the result alone.
#[inline]
pub(crate) fn and(
    l: Result<bool, EvalError>,
    r: impl FnOnce() -> Result<bool, EvalError>,
) -> Result<bool, EvalError> {
    match l {
        Ok(false) => Ok(false),
        Ok(true) => r(),
        Err(e) => match r() {
            Ok(false) => Ok(false),
            _ => Err(e),
        },
    }
}

/// `l || r`, the mirror of [`and`]: true if either side is true.
#[inline]
pub(crate) fn or(
    l: Result<bool, EvalError>,
    r: impl FnOnce() -> Result<bool, EvalError>,
) -> Result<bool, EvalError> {
    match l {
        Ok(true) => Ok(true),
        Ok(false) => r(),
        Err(e) => match r() {
            Ok(true) => Ok(true),
            _ => Err(e),
        },
    }
}

/// Integer arithmetic: overflow, division and modulus by zero are errors.
#[inline]
pub(crate) fn int_arith(op: ArithOp, l: i64, r: i64) -> Result<i64, EvalError> {
    let v = match op {
        ArithOp::Add => l.checked_add(r),
        ArithOp::Sub => l.checked_sub(r),
        ArithOp::Mul => l.checked_mul(r),
        ArithOp::Div if r == 0 => return Err(EvalError("division by zero")),
        ArithOp::Rem if r == 0 => return Err(EvalError("modulus by zero")),
        ArithOp::Div => l.checked_div(r),
        ArithOp::Rem => l.checked_rem(r),
    };
    v.ok_or(EvalError("integer overflow"))
}

/// Double arithmetic: IEEE 754, never an error (the checker refuses `%`).
#[inline]
pub(crate) fn double_arith(op: ArithOp, l: f64, r: f64) -> Result<f64, EvalError> {
    Ok(match op {
        ArithOp::Add => l + r,
        ArithOp::Sub => l - r,
        ArithOp::Mul => l * r,
        ArithOp::Div => l / r,
        ArithOp::Rem => return Err(EvalError("internal: % on double")),
    })
}

/// `-x` on an int: `-i64::MIN` overflows.
#[inline]
pub(crate) fn neg_int(i: i64) -> Result<i64, EvalError> {
    i.checked_neg().ok_or(EvalError("integer overflow"))
}

/// `int(double)`: truncates; out of range and non-finite values are errors.
#[inline]
pub(crate) fn double_to_int(d: f64) -> Result<i64, EvalError> {
    if !d.is_finite() || d <= i64::MIN as f64 || d >= i64::MAX as f64 {
        return Err(EvalError("int(): double out of range"));
    }
    Ok(d.trunc() as i64)
}

/// `int(string)`. Like CEL: no surrounding whitespace, ` 7` is not a number.
pub(crate) fn str_to_int(s: &str) -> Result<i64, EvalError> {
    s.parse().map_err(|_| EvalError("int(): not an integer"))
}

/// `double(string)`. Like CEL: no surrounding whitespace, ` 7` is not a number.
pub(crate) fn str_to_double(s: &str) -> Result<f64, EvalError> {
    s.parse().map_err(|_| EvalError("double(): not a number"))
}

/// `size(string)`: CEL counts code points, not bytes.
pub(crate) fn str_size(s: &str) -> i64 {
    s.chars().count() as i64
}

fn format_double(d: f64) -> String {
    // As the `cel` crate prints it: Rust's shortest round-trip form without an
    // exponent, `5` for 5.0 and `-0` for -0.0.
    d.to_string()
}

/// Evaluates any tree to a value.
pub fn eval<'a>(n: &'a Node, c: &'a dyn Fields) -> R<'a> {
    Ok(match n {
        Node::Int(i) => Value::Int(*i),
        Node::Double(d) => Value::Double(*d),
        Node::Bool(b) => Value::Bool(*b),
        Node::Str(s) => Value::Str(Cow::Borrowed(s)),
        Node::Field(f) => match f.ty() {
            Ty::Int => Value::Int(c.int(*f)),
            Ty::Double => Value::Double(c.double(*f)),
            Ty::Bool => Value::Bool(c.boolean(*f)),
            Ty::String => Value::Str(Cow::Borrowed(c.string(*f))),
        },
        Node::NegInt(x) => Value::Int(neg_int(int(x, c)?)?),
        Node::NegDouble(x) => Value::Double(-double(x, c)?),
        Node::Not(_) | Node::And(..) | Node::Or(..) | Node::Cmp(..) => {
            Value::Bool(eval_bool(n, c)?)
        }
        Node::In(x, items) => {
            let v = eval(x, c)?;
            // CEL builds the whole list first: an element that fails fails the
            // `in`, even after a match.
            let mut found = false;
            for it in items {
                found |= eval(it, c)? == v;
            }
            Value::Bool(found)
        }
        Node::Arith(op, ty, a, b) => match ty {
            Ty::Int => Value::Int(int_arith(*op, int(a, c)?, int(b, c)?)?),
            Ty::Double => Value::Double(double_arith(*op, double(a, c)?, double(b, c)?)?),
            Ty::String => match (eval(a, c)?, eval(b, c)?) {
                (Value::Str(l), Value::Str(r)) => Value::Str(Cow::Owned(format!("{l}{r}"))),
                _ => return Err(EvalError("internal: expected strings")),
            },
            Ty::Bool => return Err(EvalError("internal: arithmetic on bool")),
        },
        Node::Cond(k, a, b) => {
            if eval_bool(k, c)? {
                eval(a, c)?
            } else {
                eval(b, c)?
            }
        }
        Node::ToString(_, x) => match eval(x, c)? {
            Value::Int(i) => Value::Str(Cow::Owned(i.to_string())),
            Value::Double(d) => Value::Str(Cow::Owned(format_double(d))),
            Value::Str(s) => Value::Str(s),
            Value::Bool(b) => Value::Str(Cow::Owned(b.to_string())),
        },
        Node::ToDouble(_, x) => match eval(x, c)? {
            Value::Int(i) => Value::Double(i as f64),
            Value::Double(d) => Value::Double(d),
            Value::Str(s) => Value::Double(str_to_double(&s)?),
            Value::Bool(_) => return Err(EvalError("internal: double(bool)")),
        },
        Node::ToInt(_, x) => match eval(x, c)? {
            Value::Int(i) => Value::Int(i),
            Value::Double(d) => Value::Int(double_to_int(d)?),
            Value::Str(s) => Value::Int(str_to_int(&s)?),
            Value::Bool(_) => return Err(EvalError("internal: int(bool)")),
        },
        Node::Size(x) => match eval(x, c)? {
            Value::Str(s) => Value::Int(str_size(&s)),
            _ => return Err(EvalError("internal: size of non-string")),
        },
    })
}
