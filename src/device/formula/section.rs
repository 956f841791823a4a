//! How a formula is written in a device file: a TOML string where a law's key also takes
//! numbers (a list of table values, or a `{ slope, intercept, min, max }` table), with its own
//! message for a value of neither kind.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A list of numbers (a table's values) or a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum NumbersOrFormula {
    Numbers(Vec<f64>),
    Formula(String),
}

impl<'de> Deserialize<'de> for NumbersOrFormula {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumbersOrFormula;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of numbers (a table) or a formula (a string)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(NumbersOrFormula::Formula(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<f64>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(NumbersOrFormula::Numbers)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for NumbersOrFormula {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NumbersOrFormula::Numbers(v) => v.serialize(s),
            NumbersOrFormula::Formula(f) => s.serialize_str(f),
        }
    }
}

/// A table of named numbers (`T`, e.g. a clipped log-linear law) or a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldsOrFormula<T> {
    Fields(T),
    Formula(String),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for FieldsOrFormula<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = FieldsOrFormula<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table { slope, intercept, min, max } or a formula (a string)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FieldsOrFormula::Formula(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(FieldsOrFormula::Fields)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for FieldsOrFormula<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldsOrFormula::Fields(t) => t.serialize(s),
            FieldsOrFormula::Formula(f) => s.serialize_str(f),
        }
    }
}
