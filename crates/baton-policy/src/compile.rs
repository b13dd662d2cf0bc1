//! Type-checks a parsed CEL expression against the context schema and lowers it
//! to a typed tree that evaluates without allocating.
//!
//! The `cel` crate parses; this module checks what the crate cannot yet check
//! (field names, int/double mixing, condition types) and refuses, with a clear
//! message, the CEL features Baton's evaluator does not support.

use crate::limits::MAX_DEPTH;
use crate::schema::{Field, ROOTS, Ty};
use cel::Program;
use cel::common::ast::{CallExpr, Expr, IdedExpr, LiteralValue, operators as op};

/// A problem found in an expression, with its place inside the expression text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}{}", at_suffix(*.at))]
pub struct CheckError {
    /// 1-based line and column inside the expression, when known.
    pub at: Option<(u32, u32)>,
    pub message: String,
}

fn at_suffix(at: Option<(u32, u32)>) -> String {
    at.map(|(l, c)| format!(" (at {l}:{c} of the expression)"))
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The typed tree. Every node's type is known after checking.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Int(i64),
    Double(f64),
    Bool(bool),
    Str(Box<str>),
    Field(Field),
    NegInt(Box<Node>),
    NegDouble(Box<Node>),
    Not(Box<Node>),
    Arith(ArithOp, Ty, Box<Node>, Box<Node>),
    Cmp(CmpOp, Ty, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    In(Box<Node>, Vec<Node>),
    ToString(Ty, Box<Node>),
    ToDouble(Ty, Box<Node>),
    ToInt(Ty, Box<Node>),
    Size(Box<Node>),
}

struct Checker<'p> {
    program: &'p Program,
    source: &'p str,
}

impl Checker<'_> {
    fn err(&self, e: &IdedExpr, message: impl Into<String>) -> CheckError {
        // The crate records byte ranges; people read lines and columns.
        let at = self
            .program
            .source_info()
            .offset_for(e.id)
            .map(|(start, _)| {
                let before = &self.source[..(start as usize).min(self.source.len())];
                let line = before.matches('\n').count() as u32 + 1;
                let col = before
                    .rsplit('\n')
                    .next()
                    .map(|l| l.chars().count())
                    .unwrap_or(0) as u32
                    + 1;
                (line, col)
            });
        CheckError {
            at,
            message: message.into(),
        }
    }

    /// Checks `e`, at `depth` levels below the root. The depth is counted so
    /// that this recursion, and every pass over the tree it builds, is bounded
    /// by [`MAX_DEPTH`] even if the pre-parse scan ever lets a deeper tree by.
    fn check(&self, e: &IdedExpr, depth: usize) -> Result<(Node, Ty), CheckError> {
        if depth > MAX_DEPTH {
            return Err(self.err(
                e,
                format!("the expression is nested more than {MAX_DEPTH} levels deep; the depth limit is {MAX_DEPTH}"),
            ));
        }
        let depth = depth + 1;
        match &e.expr {
            Expr::Literal(lit) => match lit {
                LiteralValue::Int(i) => Ok((Node::Int(*i.inner()), Ty::Int)),
                LiteralValue::Double(d) => Ok((Node::Double(*d.inner()), Ty::Double)),
                LiteralValue::Boolean(b) => Ok((Node::Bool(*b.inner()), Ty::Bool)),
                LiteralValue::String(s) => Ok((Node::Str(s.inner().into()), Ty::String)),
                LiteralValue::UInt(_) => Err(self.err(e, "unsigned literals are not supported: drop the `u` suffix")),
                LiteralValue::Null => Err(self.err(e, "null is not supported: every context field always has a value")),
                LiteralValue::Bytes(_) => Err(self.err(e, "bytes literals are not supported")),
            },
            Expr::Ident(name) => {
                if ROOTS.contains(&name.as_str()) {
                    Err(self.err(e, format!("`{name}` is an object: name one of its fields, e.g. `{name}.{}`", first_field(name))))
                } else {
                    Err(self.err(e, format!("unknown name `{name}`: expressions can read {}", ROOTS.map(|r| format!("`{r}`")).join(", "))))
                }
            }
            Expr::Select(sel) => {
                if sel.test {
                    return Err(self.err(e, "has() is not supported: every context field always has a value"));
                }
                let root = match &sel.operand.expr {
                    Expr::Ident(r) => r.as_str(),
                    _ => return Err(self.err(e, format!("unknown field `{}`", sel.field))),
                };
                let path = format!("{root}.{}", sel.field);
                match Field::by_path(&path) {
                    Some(f) => Ok((Node::Field(f), f.ty())),
                    None if ROOTS.contains(&root) => Err(self.err(e, format!("unknown field `{path}`{}", suggest(&path)))),
                    None => Err(self.err(e, format!("unknown name `{root}`: expressions can read {}", ROOTS.map(|r| format!("`{r}`")).join(", ")))),
                }
            }
            Expr::Call(call) => self.call(e, call, depth),
            Expr::List(_) => Err(self.err(e, "a list is only supported on the right of `in`")),
            Expr::Map(_) | Expr::Struct(_) => Err(self.err(e, "map and message literals are not supported")),
            Expr::Comprehension(_) => Err(self.err(e, "macros such as all(), exists(), map() and filter() are not supported: the context has no lists")),
            Expr::Unspecified => Err(self.err(e, "empty expression")),
        }
    }

    fn call(&self, e: &IdedExpr, call: &CallExpr, depth: usize) -> Result<(Node, Ty), CheckError> {
        let args = &call.args;
        let name = call.func_name.as_str();
        if call.target.is_some() {
            return Err(self.err(
                e,
                format!("method calls such as `.{name}()` are not supported"),
            ));
        }
        let arity = |n: usize| -> Result<(), CheckError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(self.err(
                    e,
                    format!("`{name}` takes {n} argument(s), got {}", args.len()),
                ))
            }
        };
        match name {
            op::LOGICAL_AND | op::LOGICAL_OR => {
                arity(2)?;
                let l = self.expect(&args[0], Ty::Bool, "an operand of && and ||", depth)?;
                let r = self.expect(&args[1], Ty::Bool, "an operand of && and ||", depth)?;
                Ok(if name == op::LOGICAL_AND {
                    (Node::And(Box::new(l), Box::new(r)), Ty::Bool)
                } else {
                    (Node::Or(Box::new(l), Box::new(r)), Ty::Bool)
                })
            }
            op::LOGICAL_NOT => {
                arity(1)?;
                let x = self.expect(&args[0], Ty::Bool, "the operand of !", depth)?;
                Ok((Node::Not(Box::new(x)), Ty::Bool))
            }
            op::NEGATE => {
                arity(1)?;
                let (x, t) = self.check(&args[0], depth)?;
                match t {
                    Ty::Int => Ok((Node::NegInt(Box::new(x)), Ty::Int)),
                    Ty::Double => Ok((Node::NegDouble(Box::new(x)), Ty::Double)),
                    _ => Err(self.err(e, format!("cannot negate a {}", t.as_str()))),
                }
            }
            op::CONDITIONAL => {
                arity(3)?;
                let c = self.expect(&args[0], Ty::Bool, "the condition of ?:", depth)?;
                let (a, ta) = self.check(&args[1], depth)?;
                let (b, tb) = self.check(&args[2], depth)?;
                if ta != tb {
                    return Err(self.err(e, format!("both branches of ?: must have one type, got {} and {}", ta.as_str(), tb.as_str())));
                }
                Ok((Node::Cond(Box::new(c), Box::new(a), Box::new(b)), ta))
            }
            op::ADD | op::SUBSTRACT | op::MULTIPLY | op::DIVIDE | op::MODULO => {
                arity(2)?;
                let (l, tl) = self.check(&args[0], depth)?;
                let (r, tr) = self.check(&args[1], depth)?;
                let aop = match name {
                    op::ADD => ArithOp::Add,
                    op::SUBSTRACT => ArithOp::Sub,
                    op::MULTIPLY => ArithOp::Mul,
                    op::DIVIDE => ArithOp::Div,
                    _ => ArithOp::Rem,
                };
                if tl != tr {
                    return Err(self.err(e, mixed_message(tl, tr, "arithmetic")));
                }
                let ok = match tl {
                    Ty::Int => true,
                    Ty::Double => aop != ArithOp::Rem,
                    Ty::String => aop == ArithOp::Add,
                    Ty::Bool => false,
                };
                if !ok {
                    return Err(self.err(e, format!("operator {} is not defined for {}", symbol(aop), tl.as_str())));
                }
                Ok((Node::Arith(aop, tl, Box::new(l), Box::new(r)), tl))
            }
            op::EQUALS | op::NOT_EQUALS | op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS => {
                arity(2)?;
                let (l, tl) = self.check(&args[0], depth)?;
                let (r, tr) = self.check(&args[1], depth)?;
                if tl != tr {
                    return Err(self.err(e, mixed_message(tl, tr, "comparison")));
                }
                let cop = match name {
                    op::EQUALS => CmpOp::Eq,
                    op::NOT_EQUALS => CmpOp::Ne,
                    op::LESS => CmpOp::Lt,
                    op::LESS_EQUALS => CmpOp::Le,
                    op::GREATER => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                if tl == Ty::Bool && !matches!(cop, CmpOp::Eq | CmpOp::Ne) {
                    return Err(self.err(e, "booleans can only be compared with == and !="));
                }
                Ok((Node::Cmp(cop, tl, Box::new(l), Box::new(r)), Ty::Bool))
            }
            op::IN => {
                arity(2)?;
                let (x, tx) = self.check(&args[0], depth)?;
                let Expr::List(list) = &args[1].expr else {
                    return Err(self.err(&args[1], "`in` needs a list literal on its right, e.g. `space.kind in ['hall', 'room']`"));
                };
                let mut items = Vec::with_capacity(list.elements.len());
                for el in &list.elements {
                    items.push(self.expect(el, tx, "a list element", depth)?);
                }
                Ok((Node::In(Box::new(x), items), Ty::Bool))
            }
            "string" | "double" | "int" | "size" => {
                arity(1)?;
                let (x, t) = self.check(&args[0], depth)?;
                match (name, t) {
                    ("string", Ty::Bool) => Err(self.err(e, "string(bool) is not supported")),
                    ("string", _) => Ok((Node::ToString(t, Box::new(x)), Ty::String)),
                    ("double", Ty::Int | Ty::Double | Ty::String) => Ok((Node::ToDouble(t, Box::new(x)), Ty::Double)),
                    ("int", Ty::Int | Ty::Double | Ty::String) => Ok((Node::ToInt(t, Box::new(x)), Ty::Int)),
                    ("size", Ty::String) => Ok((Node::Size(Box::new(x)), Ty::Int)),
                    _ => Err(self.err(e, format!("{name}() is not defined for {}", t.as_str()))),
                }
            }
            op::INDEX | op::OPT_INDEX | op::OPT_SELECT => Err(self.err(e, "indexing is not supported: the context has no lists or maps")),
            other => Err(self.err(e, format!("function `{other}` is not supported; Baton supports string(), double(), int() and size()"))),
        }
    }

    fn expect(&self, e: &IdedExpr, want: Ty, what: &str, depth: usize) -> Result<Node, CheckError> {
        let (n, t) = self.check(e, depth)?;
        if t != want {
            return Err(self.err(
                e,
                format!("{what} must be {}, got {}", want.as_str(), t.as_str()),
            ));
        }
        Ok(n)
    }
}

fn symbol(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
        ArithOp::Mul => "*",
        ArithOp::Div => "/",
        ArithOp::Rem => "%",
    }
}

fn mixed_message(l: Ty, r: Ty, what: &str) -> String {
    if matches!((l, r), (Ty::Int, Ty::Double) | (Ty::Double, Ty::Int)) {
        format!(
            "mixed int/double {what} ({} and {}): CEL does not convert implicitly; wrap the int in double(...) or write the literal as 1.0",
            l.as_str(),
            r.as_str()
        )
    } else {
        format!(
            "{what} between {} and {} is not defined",
            l.as_str(),
            r.as_str()
        )
    }
}

fn first_field(root: &str) -> &'static str {
    Field::ALL
        .iter()
        .find(|f| f.path().starts_with(&format!("{root}.")))
        .map(|f| &f.path()[root.len() + 1..])
        .unwrap_or("id")
}

fn suggest(path: &str) -> String {
    let (root, leaf) = path.split_once('.').unwrap_or((path, ""));
    let near: Vec<&str> = Field::ALL
        .iter()
        .map(|f| f.path())
        .filter(|p| {
            p.starts_with(root) && (p.contains(leaf) || leaf.contains(&p[root.len() + 1..]))
        })
        .collect();
    match near.first() {
        Some(p) => format!(" (did you mean `{p}`?)"),
        None => format!(" (see `baton schema` for the fields of `{root}`)"),
    }
}

/// Parses and checks `source`, returning the typed tree and its type.
///
/// The size limits ([`crate::limits`]) are checked first: the parser and every
/// pass after it recurse over the tree, and only the scan does not.
pub fn compile(source: &str) -> Result<(Node, Ty), CheckError> {
    crate::limits::scan(source)?;
    let program = parse(source)?;
    Checker {
        program: &program,
        source,
    }
    .check(program.expression(), 0)
}

/// Parses with the `cel` crate. A panic inside it (its error formatter panics
/// on columns of 65,535 and beyond, which the byte limit keeps out of reach)
/// becomes an error here instead of unwinding through the caller: a server
/// thread or `baton check`.
fn parse(source: &str) -> Result<Program, CheckError> {
    let parsed = std::panic::catch_unwind(|| {
        Program::compile(source).map_err(|e| e.to_string().trim().to_string())
    });
    match parsed {
        Ok(Ok(program)) => Ok(program),
        Ok(Err(message)) => Err(CheckError {
            at: None,
            message: format!("CEL syntax error: {message}"),
        }),
        Err(_) => Err(CheckError {
            at: None,
            message: "CEL syntax error: the parser failed on this expression".to_string(),
        }),
    }
}
