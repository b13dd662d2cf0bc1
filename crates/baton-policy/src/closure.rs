//! Lowers a checked [`Node`] into nested native closures: the fast path for
//! conditions.
//!
//! **Why.** The engine evaluates the condition of every policy that listens to
//! a signal, on every signal. The tree evaluator ([`crate::eval`]) walks the
//! `Node`s on each call, re-dispatches on node kind and type, and passes every
//! intermediate result through the generic [`Value`] enum. Lowering the tree
//! once, when the policy is compiled, moves all of that to compile time:
//! `space.fill >= 0.95` becomes one closure that reads one double and compares
//! it with a constant captured inside it.
//!
//! **How.**
//! - Every bool, int or double sub-expression lowers to an [`Operand`]: a
//!   constant, a field read (the interned [`Field`] id), or a boxed closure.
//!   Parents specialise on the kinds of their operands, so a field compared with
//!   a constant is a single closure with the field read inlined, and constant
//!   sub-expressions fold at compile time (a failing one, like `1 / 0`, folds to
//!   a closure that returns the same error).
//! - Operators are fixed per closure: each operator instantiates its own
//!   closure, so the operator `match` folds away.
//! - `&&` and `||` chains are flattened into one closure; constant operands are
//!   dropped or decide the chain at compile time.
//! - String constants and string fields are borrowed, never copied; `in` over a
//!   list of string constants scans a list built once, without allocating.
//! - What is not specialised (string concatenation, `string()` of a number,
//!   `?:` over strings) runs the tree evaluator on that sub-tree inside a
//!   closure, so every expression the checker accepts lowers.
//!
//! **Semantics cannot drift.** Every primitive (ordering with NaN, checked
//! integer arithmetic, conversions, `&&`/`||` error absorption) is the same
//! function the tree evaluator calls; this module only decides when to call
//! them. `tests/compiled_vs_interpreted.rs` checks that the closures, the tree
//! and the `cel` interpreter agree on values and on failing.
//!
//! Lowering assumes a tree produced by the checker ([`crate::compile`]), whose
//! type tags are consistent and whose depth is at most
//! [`crate::limits::MAX_DEPTH`]: lowering, and the closures it builds, recurse
//! once per level. Fields whose schema type does not match their
//! context fall back to the tree, which reports an internal error.

use crate::compile::{ArithOp, CmpOp, Node};
use crate::eval::{self, EvalError, Value};
use crate::schema::{Field, Fields, Ty};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

type Res<T> = Result<T, EvalError>;

/// A lowered sub-expression of type `T`: boxed once at compile time, called
/// through one indirect call at run time.
type DynFn<T> = Box<dyn Fn(&dyn Fields) -> Res<T> + Send + Sync>;

/// The top-level closure: shared, so cloning a compiled policy does not
/// rebuild or copy it.
type SharedFn = Arc<dyn Fn(&dyn Fields) -> Res<bool> + Send + Sync>;

/// A condition lowered to native closures. Cheap to clone (an [`Arc`]), and
/// `Send + Sync` so compiled policies can be shared between threads.
#[derive(Clone)]
pub struct Condition {
    f: SharedFn,
    fallbacks: usize,
}

impl Condition {
    /// Lowers a checked bool tree. Total: shapes without a specialised closure
    /// run the tree evaluator inside one.
    pub fn compile(node: &Node) -> Condition {
        let mut lower = Lower { fallbacks: 0 };
        let f: SharedFn = match lower.bool(node) {
            Operand::Const(b) => Arc::new(move |_: &dyn Fields| Ok(b)),
            Operand::Field(f) => Arc::new(move |c: &dyn Fields| Ok(c.boolean(f))),
            Operand::Dyn(g) => Arc::from(g),
        };
        Condition {
            f,
            fallbacks: lower.fallbacks,
        }
    }

    /// Evaluates the condition; the same result, and the same error-ness, as
    /// [`eval::eval_bool`] on the tree it was lowered from.
    #[inline]
    pub fn eval(&self, ctx: &dyn Fields) -> Result<bool, EvalError> {
        (self.f)(ctx)
    }

    /// How many sub-trees run on the tree evaluator because no closure is
    /// specialised for their shape (0 for the usual conditions). Lets tests
    /// check that the hot shapes stay native.
    pub fn fallbacks(&self) -> usize {
        self.fallbacks
    }
}

impl fmt::Debug for Condition {
    // A closure has nothing printable; say what it is and how native it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("fallbacks", &self.fallbacks)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// Operands
// ---------------------------------------------------------------------------

/// A lowered bool, int or double sub-expression. Keeping constants and field
/// reads visible (instead of boxing them at once) lets the parent build one
/// closure that inlines them.
enum Operand<T> {
    Const(T),
    Field(Field),
    Dyn(DynFn<T>),
}

/// The types an [`Operand`] can have.
trait Scalar: Copy + PartialEq + Send + Sync + 'static {
    /// The schema type whose fields hold this type.
    const TY: Ty;
    fn read(c: &dyn Fields, f: Field) -> Self;
    /// `op` on two values, as the tree's `compare` decides it.
    fn compare(op: CmpOp, a: Self, b: Self) -> Res<bool>;
    /// Unwraps the tree evaluator's result (fallback paths only).
    fn from_value(v: Value<'_>) -> Res<Self>;
}

impl Scalar for i64 {
    const TY: Ty = Ty::Int;
    #[inline(always)]
    fn read(c: &dyn Fields, f: Field) -> i64 {
        c.int(f)
    }
    #[inline(always)]
    fn compare(op: CmpOp, a: i64, b: i64) -> Res<bool> {
        eval::holds(op, Some(a.cmp(&b)))
    }
    fn from_value(v: Value<'_>) -> Res<i64> {
        match v {
            Value::Int(i) => Ok(i),
            _ => Err(EvalError("internal: expected int")),
        }
    }
}

impl Scalar for f64 {
    const TY: Ty = Ty::Double;
    #[inline(always)]
    fn read(c: &dyn Fields, f: Field) -> f64 {
        c.double(f)
    }
    #[inline(always)]
    fn compare(op: CmpOp, a: f64, b: f64) -> Res<bool> {
        eval::holds(op, a.partial_cmp(&b))
    }
    fn from_value(v: Value<'_>) -> Res<f64> {
        match v {
            Value::Double(d) => Ok(d),
            _ => Err(EvalError("internal: expected double")),
        }
    }
}

impl Scalar for bool {
    const TY: Ty = Ty::Bool;
    #[inline(always)]
    fn read(c: &dyn Fields, f: Field) -> bool {
        c.boolean(f)
    }
    #[inline(always)]
    fn compare(op: CmpOp, a: bool, b: bool) -> Res<bool> {
        eval::holds(op, Some(a.cmp(&b)))
    }
    fn from_value(v: Value<'_>) -> Res<bool> {
        match v {
            Value::Bool(b) => Ok(b),
            _ => Err(EvalError("internal: expected bool")),
        }
    }
}

impl<T: Scalar> Operand<T> {
    /// Evaluates the operand where no specialised closure exists (lists, `?:`).
    #[inline]
    fn get(&self, c: &dyn Fields) -> Res<T> {
        match self {
            Operand::Const(v) => Ok(*v),
            Operand::Field(f) => Ok(T::read(c, *f)),
            Operand::Dyn(g) => g(c),
        }
    }
}

/// A compile-time result as an operand: a value, or a closure that fails the
/// same way at run time (CEL reports errors when evaluating, not checking).
fn constant<T: Scalar>(v: Res<T>) -> Operand<T> {
    match v {
        Ok(v) => Operand::Const(v),
        Err(e) => Operand::Dyn(Box::new(move |_: &dyn Fields| Err(e.clone()))),
    }
}

/// Reads an operand inside a specialised closure. One implementation per
/// operand kind, so the compiler inlines constants and field reads.
trait Get<T>: Send + Sync + 'static {
    fn get(&self, c: &dyn Fields) -> Res<T>;
}

struct K<T>(T);
struct Read(Field);
struct Call<T>(DynFn<T>);

impl<T: Scalar> Get<T> for K<T> {
    #[inline(always)]
    fn get(&self, _: &dyn Fields) -> Res<T> {
        Ok(self.0)
    }
}

impl<T: Scalar> Get<T> for Read {
    #[inline(always)]
    fn get(&self, c: &dyn Fields) -> Res<T> {
        Ok(T::read(c, self.0))
    }
}

impl<T: Scalar> Get<T> for Call<T> {
    #[inline(always)]
    fn get(&self, c: &dyn Fields) -> Res<T> {
        (self.0)(c)
    }
}

/// Runs `$body` with `$a` and `$b` bound to the [`Get`] implementation that
/// matches each operand's kind: one monomorphised closure per combination.
macro_rules! dispatch2 {
    ($l:expr, $r:expr, |$a:ident, $b:ident| $body:expr) => {
        match ($l, $r) {
            (Operand::Const(x), Operand::Const(y)) => {
                let ($a, $b) = (K(x), K(y));
                $body
            }
            (Operand::Const(x), Operand::Field(y)) => {
                let ($a, $b) = (K(x), Read(y));
                $body
            }
            (Operand::Const(x), Operand::Dyn(y)) => {
                let ($a, $b) = (K(x), Call(y));
                $body
            }
            (Operand::Field(x), Operand::Const(y)) => {
                let ($a, $b) = (Read(x), K(y));
                $body
            }
            (Operand::Field(x), Operand::Field(y)) => {
                let ($a, $b) = (Read(x), Read(y));
                $body
            }
            (Operand::Field(x), Operand::Dyn(y)) => {
                let ($a, $b) = (Read(x), Call(y));
                $body
            }
            (Operand::Dyn(x), Operand::Const(y)) => {
                let ($a, $b) = (Call(x), K(y));
                $body
            }
            (Operand::Dyn(x), Operand::Field(y)) => {
                let ($a, $b) = (Call(x), Read(y));
                $body
            }
            (Operand::Dyn(x), Operand::Dyn(y)) => {
                let ($a, $b) = (Call(x), Call(y));
                $body
            }
        }
    };
}

/// Runs `$body` with the constant `$op` set to `op`, once per operator, so
/// closures built in `$body` see the operator as a constant.
macro_rules! per_cmp_op {
    ($op:expr, |$c:ident| $body:expr) => {
        match $op {
            CmpOp::Eq => {
                const $c: CmpOp = CmpOp::Eq;
                $body
            }
            CmpOp::Ne => {
                const $c: CmpOp = CmpOp::Ne;
                $body
            }
            CmpOp::Lt => {
                const $c: CmpOp = CmpOp::Lt;
                $body
            }
            CmpOp::Le => {
                const $c: CmpOp = CmpOp::Le;
                $body
            }
            CmpOp::Gt => {
                const $c: CmpOp = CmpOp::Gt;
                $body
            }
            CmpOp::Ge => {
                const $c: CmpOp = CmpOp::Ge;
                $body
            }
        }
    };
}

/// [`per_cmp_op`] for arithmetic operators.
macro_rules! per_arith_op {
    ($op:expr, |$c:ident| $body:expr) => {
        match $op {
            ArithOp::Add => {
                const $c: ArithOp = ArithOp::Add;
                $body
            }
            ArithOp::Sub => {
                const $c: ArithOp = ArithOp::Sub;
                $body
            }
            ArithOp::Mul => {
                const $c: ArithOp = ArithOp::Mul;
                $body
            }
            ArithOp::Div => {
                const $c: ArithOp = ArithOp::Div;
                $body
            }
            ArithOp::Rem => {
                const $c: ArithOp = ArithOp::Rem;
                $body
            }
        }
    };
}

/// `f(l, r)`, evaluating `l` before `r` like the tree (so the same error wins
/// when both fail); folded when both are constants.
fn binary<T, U, F>(l: Operand<T>, r: Operand<T>, f: F) -> Operand<U>
where
    T: Scalar,
    U: Scalar,
    F: Fn(T, T) -> Res<U> + Send + Sync + 'static,
{
    if let (Operand::Const(a), Operand::Const(b)) = (&l, &r) {
        return constant(f(*a, *b));
    }
    dispatch2!(l, r, |a, b| Operand::Dyn(Box::new(
        move |c: &dyn Fields| f(a.get(c)?, b.get(c)?)
    )))
}

/// `f(x)`, folded when `x` is a constant.
fn unary<T, U, F>(x: Operand<T>, f: F) -> Operand<U>
where
    T: Scalar,
    U: Scalar,
    F: Fn(T) -> Res<U> + Send + Sync + 'static,
{
    match x {
        Operand::Const(v) => constant(f(v)),
        Operand::Field(fl) => Operand::Dyn(Box::new(move |c: &dyn Fields| f(T::read(c, fl)))),
        Operand::Dyn(g) => Operand::Dyn(Box::new(move |c: &dyn Fields| f(g(c)?))),
    }
}

/// `k ? a : b`; a constant `k` picks its branch at compile time.
fn cond<T: Scalar>(k: Operand<bool>, a: Operand<T>, b: Operand<T>) -> Operand<T> {
    match k {
        Operand::Const(true) => a,
        Operand::Const(false) => b,
        k => Operand::Dyn(Box::new(
            move |c: &dyn Fields| {
                if k.get(c)? { a.get(c) } else { b.get(c) }
            },
        )),
    }
}

/// `l op r` for ints, doubles and bools.
fn compare<T: Scalar>(op: CmpOp, l: Operand<T>, r: Operand<T>) -> Operand<bool> {
    per_cmp_op!(op, |OP| binary(l, r, |a: T, b: T| T::compare(OP, a, b)))
}

/// `x in [items]` for ints, doubles and bools. As in the tree (and CEL, which
/// builds the list first), every element is evaluated, so an element that
/// fails fails the `in` even after a match.
fn in_list<T: Scalar>(x: Operand<T>, items: Vec<Operand<T>>) -> Operand<bool> {
    let consts: Option<Box<[T]>> = items
        .iter()
        .map(|it| match it {
            Operand::Const(v) => Some(*v),
            _ => None,
        })
        .collect();
    match (consts, x) {
        // `==`, not `total_cmp`: NaN is in no list, and 0.0 == -0.0, as in the tree.
        (Some(list), Operand::Const(v)) => Operand::Const(list.contains(&v)),
        (Some(list), Operand::Field(f)) => Operand::Dyn(Box::new(move |c: &dyn Fields| {
            let v = T::read(c, f);
            Ok(list.contains(&v))
        })),
        (Some(list), Operand::Dyn(g)) => Operand::Dyn(Box::new(move |c: &dyn Fields| {
            let v = g(c)?;
            Ok(list.contains(&v))
        })),
        (None, x) => Operand::Dyn(Box::new(move |c: &dyn Fields| {
            let v = x.get(c)?;
            let mut found = false;
            for it in &items {
                found |= it.get(c)? == v;
            }
            Ok(found)
        })),
    }
}

/// A two-operand `&&` (`AND`) or `||`, through the tree's own absorption rule.
fn logic2<const AND: bool>(l: Operand<bool>, r: Operand<bool>) -> Operand<bool> {
    dispatch2!(l, r, |a, b| Operand::Dyn(Box::new(
        move |c: &dyn Fields| { combine::<AND>(a.get(c), || b.get(c)) }
    )))
}

/// A chain of three or more `&&` (`AND`) or `||` operands, in source order.
/// Folding left to right with the binary rule gives the tree's result for any
/// nesting: false (for `&&`) if any operand is false, else the leftmost error.
fn logic_n<const AND: bool>(first: Operand<bool>, rest: Box<[Operand<bool>]>) -> Operand<bool> {
    Operand::Dyn(Box::new(move |c: &dyn Fields| {
        let mut acc = first.get(c);
        for it in &rest {
            // The absorbing value decides the chain; skip the rest.
            if matches!(acc, Ok(v) if v != AND) {
                return acc;
            }
            acc = combine::<AND>(acc, || it.get(c));
        }
        acc
    }))
}

#[inline(always)]
fn combine<const AND: bool>(l: Res<bool>, r: impl FnOnce() -> Res<bool>) -> Res<bool> {
    if AND { eval::and(l, r) } else { eval::or(l, r) }
}

// ---------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------

/// A lowered string sub-expression. Strings are rare in conditions beyond
/// `field == 'constant'` and `field in [...]`, so only constants and field
/// reads are specialised; the rest runs on the tree, whose result borrows from
/// the context when it can.
enum StrOperand {
    Const(Box<str>),
    Field(Field),
    Tree(Box<Node>),
}

impl StrOperand {
    fn get<'s>(&'s self, c: &'s dyn Fields) -> Res<Cow<'s, str>> {
        match self {
            StrOperand::Const(s) => Ok(Cow::Borrowed(s)),
            StrOperand::Field(f) => Ok(Cow::Borrowed(c.string(*f))),
            StrOperand::Tree(n) => match eval::eval(n, c)? {
                Value::Str(s) => Ok(s),
                _ => Err(EvalError("internal: expected string")),
            },
        }
    }
}

/// String comparison, as the tree's `compare` decides it; `==` and `!=` skip
/// the ordering (same answer: equal strings are exactly those that order
/// `Equal`).
#[inline(always)]
fn str_holds(op: CmpOp, a: &str, b: &str) -> Res<bool> {
    match op {
        CmpOp::Eq => Ok(a == b),
        CmpOp::Ne => Ok(a != b),
        _ => eval::holds(op, Some(a.cmp(b))),
    }
}

fn compare_str(op: CmpOp, l: StrOperand, r: StrOperand) -> Operand<bool> {
    per_cmp_op!(op, |OP| match (l, r) {
        (StrOperand::Const(a), StrOperand::Const(b)) => constant(str_holds(OP, &a, &b)),
        (StrOperand::Field(f), StrOperand::Const(k)) => {
            Operand::Dyn(Box::new(move |c: &dyn Fields| {
                str_holds(OP, c.string(f), &k)
            }))
        }
        (StrOperand::Const(k), StrOperand::Field(f)) => {
            Operand::Dyn(Box::new(move |c: &dyn Fields| {
                str_holds(OP, &k, c.string(f))
            }))
        }
        (StrOperand::Field(f), StrOperand::Field(g)) => Operand::Dyn(Box::new(
            move |c: &dyn Fields| str_holds(OP, c.string(f), c.string(g))
        )),
        (l, r) => Operand::Dyn(Box::new(move |c: &dyn Fields| {
            let a = l.get(c)?;
            let b = r.get(c)?;
            str_holds(OP, &a, &b)
        })),
    })
}

/// `x in [strings]`: a list of constants is built once and scanned without
/// allocating; other lists evaluate every element, as the tree does.
fn in_str(x: StrOperand, items: Vec<StrOperand>) -> Operand<bool> {
    let consts: Option<Box<[Box<str>]>> = items
        .iter()
        .map(|it| match it {
            StrOperand::Const(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    match (consts, x) {
        (Some(list), StrOperand::Const(v)) => Operand::Const(list.contains(&v)),
        (Some(list), StrOperand::Field(f)) => Operand::Dyn(Box::new(move |c: &dyn Fields| {
            let v = c.string(f);
            Ok(list.iter().any(|k| **k == *v))
        })),
        (Some(list), x) => Operand::Dyn(Box::new(move |c: &dyn Fields| {
            let v = x.get(c)?;
            Ok(list.iter().any(|k| **k == *v))
        })),
        (None, x) => Operand::Dyn(Box::new(move |c: &dyn Fields| {
            let v = x.get(c)?;
            let mut found = false;
            for it in &items {
                found |= it.get(c)? == v;
            }
            Ok(found)
        })),
    }
}

/// `f(x)` for a function of a string (`size`, `int`, `double`).
fn str_unary<U, F>(x: StrOperand, f: F) -> Operand<U>
where
    U: Scalar,
    F: Fn(&str) -> Res<U> + Send + Sync + 'static,
{
    match x {
        StrOperand::Const(s) => constant(f(&s)),
        StrOperand::Field(fl) => Operand::Dyn(Box::new(move |c: &dyn Fields| f(c.string(fl)))),
        x => Operand::Dyn(Box::new(move |c: &dyn Fields| f(&x.get(c)?))),
    }
}

// ---------------------------------------------------------------------------
// Lowering
// ---------------------------------------------------------------------------

/// The static type of a checked node (the tree does not store it for `in`).
fn ty_of(n: &Node) -> Ty {
    match n {
        Node::Int(_) | Node::NegInt(_) | Node::ToInt(..) | Node::Size(_) => Ty::Int,
        Node::Double(_) | Node::NegDouble(_) | Node::ToDouble(..) => Ty::Double,
        Node::Str(_) | Node::ToString(..) => Ty::String,
        Node::Bool(_) | Node::Not(_) | Node::And(..) | Node::Or(..) | Node::Cmp(..) => Ty::Bool,
        Node::In(..) => Ty::Bool,
        Node::Field(f) => f.ty(),
        Node::Arith(_, t, ..) => *t,
        Node::Cond(_, a, _) => ty_of(a),
    }
}

/// The negation of a comparison: `!(a < b)` is `a >= b`, NaN included (both
/// fail), and `!(a == b)` is `a != b` (NaN: both true).
fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

/// Lowering state: counts the sub-trees left to the tree evaluator.
struct Lower {
    fallbacks: usize,
}

impl Lower {
    /// Runs the tree evaluator on `n` inside a closure.
    fn tree<T: Scalar>(&mut self, n: &Node) -> Operand<T> {
        self.fallbacks += 1;
        let n = n.clone();
        Operand::Dyn(Box::new(move |c: &dyn Fields| {
            T::from_value(eval::eval(&n, c)?)
        }))
    }

    /// A field read of type `T`, or the tree if the field has another type.
    fn field<T: Scalar>(&mut self, n: &Node, f: Field) -> Operand<T> {
        if f.ty() == T::TY {
            Operand::Field(f)
        } else {
            self.tree(n)
        }
    }

    fn bool(&mut self, n: &Node) -> Operand<bool> {
        match n {
            Node::Bool(b) => Operand::Const(*b),
            Node::Field(f) => self.field(n, *f),
            Node::Not(x) => match &**x {
                // Negate the operator instead of adding a closure level.
                Node::Cmp(op, ty, a, b) => self.compare(negate(*op), *ty, a, b),
                Node::Not(y) => self.bool(y),
                _ => unary(self.bool(x), |b: bool| Ok(!b)),
            },
            Node::And(..) => self.logic::<true>(n),
            Node::Or(..) => self.logic::<false>(n),
            Node::Cmp(op, ty, a, b) => self.compare(*op, *ty, a, b),
            Node::In(x, items) => match ty_of(x) {
                Ty::Int => {
                    let x = self.int(x);
                    let items = items.iter().map(|it| self.int(it)).collect();
                    in_list(x, items)
                }
                Ty::Double => {
                    let x = self.double(x);
                    let items = items.iter().map(|it| self.double(it)).collect();
                    in_list(x, items)
                }
                Ty::Bool => {
                    let x = self.bool(x);
                    let items = items.iter().map(|it| self.bool(it)).collect();
                    in_list(x, items)
                }
                Ty::String => {
                    let x = self.str(x);
                    let items = items.iter().map(|it| self.str(it)).collect();
                    in_str(x, items)
                }
            },
            Node::Cond(k, a, b) => {
                let k = self.bool(k);
                let (a, b) = (self.bool(a), self.bool(b));
                cond(k, a, b)
            }
            _ => self.tree(n),
        }
    }

    fn compare(&mut self, op: CmpOp, ty: Ty, a: &Node, b: &Node) -> Operand<bool> {
        match ty {
            Ty::Int => {
                let (l, r) = (self.int(a), self.int(b));
                compare(op, l, r)
            }
            Ty::Double => {
                let (l, r) = (self.double(a), self.double(b));
                compare(op, l, r)
            }
            Ty::Bool => {
                let (l, r) = (self.bool(a), self.bool(b));
                compare(op, l, r)
            }
            Ty::String => {
                let (l, r) = (self.str(a), self.str(b));
                compare_str(op, l, r)
            }
        }
    }

    /// A `&&` (`AND`) or `||` chain, flattened. An absorbing constant decides
    /// the whole chain (CEL: `false && error` is false); the other constant is
    /// the identity and drops out.
    fn logic<const AND: bool>(&mut self, n: &Node) -> Operand<bool> {
        let mut leaves = Vec::new();
        flatten::<AND>(n, &mut leaves);
        let absorbing = !AND;
        let mut items = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            match self.bool(leaf) {
                Operand::Const(v) if v == absorbing => return Operand::Const(absorbing),
                Operand::Const(_) => {}
                op => items.push(op),
            }
        }
        let mut it = items.into_iter();
        match (it.next(), it.next()) {
            (None, _) => Operand::Const(!absorbing),
            (Some(a), None) => a,
            (Some(a), Some(b)) => {
                let rest: Vec<_> = it.collect();
                if rest.is_empty() {
                    logic2::<AND>(a, b)
                } else {
                    let tail = std::iter::once(b).chain(rest).collect();
                    logic_n::<AND>(a, tail)
                }
            }
        }
    }

    fn int(&mut self, n: &Node) -> Operand<i64> {
        match n {
            Node::Int(i) => Operand::Const(*i),
            Node::Field(f) => self.field(n, *f),
            Node::NegInt(x) => unary(self.int(x), eval::neg_int),
            Node::Arith(op, Ty::Int, a, b) => {
                let (l, r) = (self.int(a), self.int(b));
                per_arith_op!(*op, |OP| binary(l, r, |a: i64, b: i64| eval::int_arith(
                    OP, a, b
                )))
            }
            Node::Cond(k, a, b) => {
                let k = self.bool(k);
                let (a, b) = (self.int(a), self.int(b));
                cond(k, a, b)
            }
            Node::ToInt(Ty::Int, x) => self.int(x),
            Node::ToInt(Ty::Double, x) => unary(self.double(x), eval::double_to_int),
            Node::ToInt(Ty::String, x) => str_unary(self.str(x), eval::str_to_int),
            Node::Size(x) => str_unary(self.str(x), |s: &str| Ok(eval::str_size(s))),
            _ => self.tree(n),
        }
    }

    fn double(&mut self, n: &Node) -> Operand<f64> {
        match n {
            Node::Double(d) => Operand::Const(*d),
            Node::Field(f) => self.field(n, *f),
            Node::NegDouble(x) => unary(self.double(x), |d: f64| Ok(-d)),
            Node::Arith(op, Ty::Double, a, b) => {
                let (l, r) = (self.double(a), self.double(b));
                per_arith_op!(*op, |OP| binary(l, r, |a: f64, b: f64| eval::double_arith(
                    OP, a, b
                )))
            }
            Node::Cond(k, a, b) => {
                let k = self.bool(k);
                let (a, b) = (self.double(a), self.double(b));
                cond(k, a, b)
            }
            Node::ToDouble(Ty::Int, x) => unary(self.int(x), |i: i64| Ok(i as f64)),
            Node::ToDouble(Ty::Double, x) => self.double(x),
            Node::ToDouble(Ty::String, x) => str_unary(self.str(x), eval::str_to_double),
            _ => self.tree(n),
        }
    }

    fn str(&mut self, n: &Node) -> StrOperand {
        match n {
            Node::Str(s) => StrOperand::Const(s.clone()),
            Node::Field(f) if f.ty() == Ty::String => StrOperand::Field(*f),
            // string() of a string is the string itself.
            Node::ToString(Ty::String, x) => self.str(x),
            _ => {
                self.fallbacks += 1;
                StrOperand::Tree(Box::new(n.clone()))
            }
        }
    }
}

/// The operands of a `&&` (`AND`) or `||` chain in source order, whatever its
/// nesting.
fn flatten<'n, const AND: bool>(n: &'n Node, out: &mut Vec<&'n Node>) {
    match (n, AND) {
        (Node::And(a, b), true) | (Node::Or(a, b), false) => {
            flatten::<AND>(a, out);
            flatten::<AND>(b, out);
        }
        _ => out.push(n),
    }
}
