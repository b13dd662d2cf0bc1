//! Policy expressions: CEL parsed by the `cel` crate, checked against Baton's
//! typed context, and compiled once into a tree that evaluates in nanoseconds.
//! Conditions are further lowered to native closures ([`closure`]), the path
//! the core calls on every signal.
//!
//! **Architecture invariant:** no I/O, no clock. The core calls [`Expr::eval_bool`]
//! on every matching signal, so evaluation must not allocate for numeric and
//! boolean conditions.

pub mod closure;
pub mod compile;
pub mod eval;
pub mod fold;
pub mod limits;
pub mod schema;

pub use closure::Condition;
pub use compile::{CheckError, Node};
pub use eval::{EvalError, Value};
pub use fold::ConstantFailure;
pub use schema::{Field, Fields, Ty};

use baton_model::ParamValue;

/// A compiled expression with the fields it reads (for explanations).
///
/// The fields are public for reading; treat them as read-only. A bool
/// expression's native closure is lowered from `node` once, when the
/// expression is compiled, and is not rebuilt if `node` changes.
#[derive(Debug, Clone)]
pub struct Expr {
    pub source: String,
    pub node: Node,
    pub ty: Ty,
    /// Fields the expression reads, sorted and unique.
    pub reads: Vec<Field>,
    /// `node` lowered to native closures, for bool expressions: conditions run
    /// on every matching signal, so they get the fast path. Other types are
    /// parameters, evaluated only when a policy fires, and stay on the tree.
    native: Option<Condition>,
}

// The core shares compiled policies (and so their closures) between threads
// and clones them; fail the build, not the core, if that ever stops holding.
const _: () = {
    const fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Expr>();
};

impl Expr {
    /// Compiles a condition: it must be a bool.
    pub fn condition(source: &str) -> Result<Expr, CheckError> {
        let e = Self::any(source)?;
        if e.ty != Ty::Bool {
            return Err(CheckError {
                at: None,
                message: format!(
                    "a condition must be a bool, but this expression is {} {}",
                    if e.ty == Ty::Int { "an" } else { "a" },
                    e.ty.as_str()
                ),
            });
        }
        Ok(e)
    }

    /// Compiles an expression of any supported type (action parameters).
    ///
    /// Runs on a thread of its own with a known stack ([`limits::COMPILE_STACK`]):
    /// the parser, the checker and lowering recurse once per level of the
    /// tree, and how much stack a level takes depends on the build (up to
    /// about 180 KiB per bracket level in the `cel` parser of a debug build),
    /// while callers such as tokio workers have 2 MiB. Compiling is rare (a
    /// spec load, a policy change), so the spawn costs little.
    pub fn any(source: &str) -> Result<Expr, CheckError> {
        let internal = |message: String| CheckError { at: None, message };
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("cel-compile".into())
                .stack_size(limits::COMPILE_STACK)
                .spawn_scoped(s, || Self::compile_here(source))
                .map_err(|e| internal(format!("cannot start the expression compiler: {e}")))?
                .join()
                .map_err(|_| internal("the expression compiler failed on this expression".into()))?
        })
    }

    fn compile_here(source: &str) -> Result<Expr, CheckError> {
        let (node, ty) = compile::compile(source)?;
        let mut reads = Vec::new();
        collect_reads(&node, &mut reads);
        reads.sort();
        reads.dedup();
        let native = (ty == Ty::Bool).then(|| Condition::compile(&node));
        Ok(Expr {
            source: source.to_string(),
            node,
            ty,
            reads,
            native,
        })
    }

    /// Evaluates a condition: through the native closures for a bool
    /// expression, else through the tree (which reports the type mismatch).
    /// Both give the same value and the same error-ness.
    #[inline]
    pub fn eval_bool(&self, ctx: &dyn Fields) -> Result<bool, EvalError> {
        match &self.native {
            Some(native) => native.eval(ctx),
            None => eval::eval_bool(&self.node, ctx),
        }
    }

    /// A constant part of the expression that fails at run time (`1 / 0`,
    /// constant overflow, `int('x')`), for a warning at check time.
    pub fn constant_failure(&self) -> Option<ConstantFailure> {
        fold::constant_failure(&self.node)
    }

    /// The native closures of a bool expression, `None` for other types.
    pub fn native(&self) -> Option<&Condition> {
        self.native.as_ref()
    }

    /// Evaluates through the tree; runs only when a policy fires, so it keeps
    /// the simpler evaluator that handles every type.
    pub fn eval_param(&self, ctx: &dyn Fields) -> Result<ParamValue, EvalError> {
        Ok(match eval::eval(&self.node, ctx)? {
            Value::Int(i) => ParamValue::Int(i),
            Value::Double(d) => ParamValue::Double(d),
            Value::Bool(b) => ParamValue::Bool(b),
            Value::Str(s) => ParamValue::String(s.into_owned()),
        })
    }
}

/// The value of one field as a parameter value, for explanations.
pub fn field_value(f: Field, ctx: &dyn Fields) -> ParamValue {
    match f.ty() {
        Ty::Int => ParamValue::Int(ctx.int(f)),
        Ty::Double => ParamValue::Double(ctx.double(f)),
        Ty::Bool => ParamValue::Bool(ctx.boolean(f)),
        Ty::String => ParamValue::String(ctx.string(f).to_string()),
    }
}

// Recursion over the typed tree (here, in `closure` and in `eval`) is bounded
// by the checker, which refuses trees deeper than `limits::MAX_DEPTH` and is
// the only producer of the `Node`s these passes see.
fn collect_reads(n: &Node, out: &mut Vec<Field>) {
    use Node::*;
    match n {
        Field(f) => out.push(*f),
        Int(_) | Double(_) | Bool(_) | Str(_) => {}
        NegInt(x)
        | NegDouble(x)
        | Not(x)
        | ToString(_, x)
        | ToDouble(_, x)
        | ToInt(_, x)
        | Size(x) => collect_reads(x, out),
        Arith(_, _, a, b) | Cmp(_, _, a, b) | And(a, b) | Or(a, b) => {
            collect_reads(a, out);
            collect_reads(b, out);
        }
        Cond(a, b, c) => {
            collect_reads(a, out);
            collect_reads(b, out);
            collect_reads(c, out);
        }
        In(x, items) => {
            collect_reads(x, out);
            for i in items {
                collect_reads(i, out);
            }
        }
    }
}
