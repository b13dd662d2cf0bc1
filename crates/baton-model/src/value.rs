//! A small typed value for action parameters: what CEL parameters evaluate to.
//!
//! It serialises as a plain JSON value for people and as a tagged enum for the
//! binary journal encoding, which cannot describe itself.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    String(String),
    /// Planner-made lists, such as a notification's recipients. CEL
    /// parameters never produce one.
    List(Vec<ParamValue>),
}

#[derive(Serialize, Deserialize)]
enum Tagged {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    String(String),
    List(Vec<ParamValue>),
}

impl Serialize for ParamValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            match self {
                ParamValue::Null => s.serialize_unit(),
                ParamValue::Bool(b) => s.serialize_bool(*b),
                ParamValue::Int(i) => s.serialize_i64(*i),
                ParamValue::Double(d) => s.serialize_f64(*d),
                ParamValue::String(v) => s.serialize_str(v),
                ParamValue::List(v) => s.collect_seq(v),
            }
        } else {
            let t = match self.clone() {
                ParamValue::Null => Tagged::Null,
                ParamValue::Bool(b) => Tagged::Bool(b),
                ParamValue::Int(i) => Tagged::Int(i),
                ParamValue::Double(d) => Tagged::Double(d),
                ParamValue::String(v) => Tagged::String(v),
                ParamValue::List(v) => Tagged::List(v),
            };
            t.serialize(s)
        }
    }
}

struct PlainVisitor;

impl<'de> Visitor<'de> for PlainVisitor {
    type Value = ParamValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null, a boolean, a number, a string or a list of them")
    }
    fn visit_unit<E>(self) -> Result<ParamValue, E> {
        Ok(ParamValue::Null)
    }
    fn visit_none<E>(self) -> Result<ParamValue, E> {
        Ok(ParamValue::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<ParamValue, E> {
        Ok(ParamValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<ParamValue, E> {
        Ok(ParamValue::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
        i64::try_from(v)
            .map(ParamValue::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<ParamValue, E> {
        Ok(ParamValue::Double(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<ParamValue, E> {
        Ok(ParamValue::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<ParamValue, E> {
        Ok(ParamValue::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ParamValue, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<ParamValue>()? {
            items.push(v);
        }
        Ok(ParamValue::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<ParamValue, A::Error> {
        Err(de::Error::custom(
            "objects are not allowed as parameter values",
        ))
    }
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(PlainVisitor)
        } else {
            Ok(match Tagged::deserialize(d)? {
                Tagged::Null => ParamValue::Null,
                Tagged::Bool(b) => ParamValue::Bool(b),
                Tagged::Int(i) => ParamValue::Int(i),
                Tagged::Double(v) => ParamValue::Double(v),
                Tagged::String(v) => ParamValue::String(v),
                Tagged::List(v) => ParamValue::List(v),
            })
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Null => f.write_str("null"),
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Double(d) => write!(f, "{d}"),
            ParamValue::String(s) => f.write_str(s),
            ParamValue::List(v) => {
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                Ok(())
            }
        }
    }
}
