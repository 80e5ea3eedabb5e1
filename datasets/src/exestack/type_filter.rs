//! Stage 3's type filter: which function definitions have a signature the harness can run.
//!
//! Types are read from the tree-sitter tree, through the unit's typedefs (`typedef double real;`
//! makes `real f(real x)` a `double f(double x)`; `int32_t` is `int`, `int64_t` and `long long` are
//! `long`, `uint64_t` and `size_t` are `unsigned long`, as on every LP64 Linux: `Scalar::from_words`).
//! K&R definitions (`double f(x) double x; { ... }`) are read from their parameter declarations. The candidate's definition header is then rewritten in the canonical form
//! of its [`Signature`] (no `static`, `inline`, attributes or typedef names), which is what lets
//! the harness call it and [`Signature::from_source`] read it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tree_sitter::Node;

use super::translation_unit::{Source, descendants, innermost_identifier};
use crate::signature::{Param, ParamRole, Scalar, Signature};

/// The revision of what [`TypeFilter::Extended`] admits, journaled with every file a build reads:
/// a build resumed after the filter admitted more reads again the files whose functions an older
/// revision rejected ([`FileRecord::is_stale`](super::pipeline::FileRecord::is_stale)).
/// 1: `unsigned int`, `unsigned long` (`size_t`, `uint64_t`) and `long long` scalars.
/// 2: integer out-pointers, and signatures with no floating-point type at all (integer-only
/// programs, counted apart in `stats.json`: `kept_integer_only`).
pub const TYPE_FILTER_REVISION: u32 = 2;

/// Which function signatures become candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeFilter {
    /// The paper's: at least one parameter, every parameter a `float`/`double` by value, and a
    /// `float`/`double` return.
    #[default]
    Paper,
    /// Every signature of scalars the harness can run: `float`/`double`/`int`/`long`/`unsigned
    /// int`/`unsigned long` parameters by value (the harness rounds integer inputs; they are
    /// sampled as small integers), out-pointers to any of these (only dereferenced or indexed at
    /// `[0]`, never used as arrays), and `void` or scalar returns; at least one input and one
    /// output. Integer-only signatures pass too; a build counts them apart
    /// ([`Signature::has_floating`]).
    Extended,
}

/// The plain typedefs of a unit: name → the type it stands for (`None` when the typedef adds a
/// pointer, array or function declarator).
pub(crate) type Typedefs<'t> = HashMap<String, Option<Node<'t>>>;

/// A definition that passed the filter: its signature and the canonical header to write.
pub(crate) struct Admitted<'t> {
    pub signature: Signature,
    pub body: Node<'t>,
    pub notes: Vec<String>,
}

/// What a type reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Scalar(Scalar),
    Void,
    Other,
}

/// What a parameter reads as.
enum Kind {
    Value(Scalar),
    OutPointer(Scalar),
    Void,
    Unsupported,
}

/// Reads a function definition and applies the filter; `Err` is the rejection reason
/// (`variadic`, `type_filter`, `out_pointer_as_array`, `uses_unsupported`).
pub(crate) fn admit<'t>(
    def: Node<'t>,
    src: &Source,
    typedefs: &Typedefs<'t>,
    filter: TypeFilter,
) -> Result<Admitted<'t>, &'static str> {
    let mut notes = Vec::new();
    let body = def.child_by_field_name("body").ok_or("uses_unsupported")?;
    // The declarator: only attributes and parentheses may wrap the function declarator; a pointer
    // there means the function returns a pointer.
    let mut d = def.child_by_field_name("declarator").ok_or("uses_unsupported")?;
    while matches!(d.kind(), "attributed_declarator" | "parenthesized_declarator") {
        d = d.named_child(0).ok_or("uses_unsupported")?;
    }
    match d.kind() {
        "function_declarator" => {}
        "pointer_declarator" => return Err("type_filter"),
        _ => return Err("uses_unsupported"),
    }
    let name_node = innermost_identifier(d).ok_or("uses_unsupported")?;
    if name_node.parent().map(|p| p.id()) != Some(d.id()) && !is_wrapped_name(d, name_node) {
        // `double (*f(double x))(double)`: returns a function pointer.
        return Err("type_filter");
    }
    let function = src.of(name_node).to_string();
    let params_node = d.child_by_field_name("parameters").ok_or("uses_unsupported")?;
    let mut cursor = params_node.walk();
    let entries: Vec<Node<'t>> = params_node.named_children(&mut cursor).collect();
    if entries.iter().any(|n| n.kind() == "variadic_parameter") {
        return Err("variadic");
    }
    let ret = match resolve(def.child_by_field_name("type").ok_or("uses_unsupported")?, src, typedefs, &mut notes) {
        Base::Scalar(s) => Some(s),
        Base::Void => None,
        Base::Other => return Err("type_filter"),
    };
    let knr = entries.iter().any(|n| n.kind() == "identifier");
    if knr {
        notes.push("K&R parameter declarations rewritten as a prototype".to_string());
    }
    let mut params = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let (name, kind) = match entry.kind() {
            "parameter_declaration" => {
                parameter(*entry, entry.child_by_field_name("declarator"), src, typedefs, &mut notes)
            }
            "identifier" => {
                let name = src.of(*entry);
                match knr_declaration(def, name, src) {
                    Some((decl, declarator)) => parameter(decl, Some(declarator), src, typedefs, &mut notes),
                    None => (Some(name.to_string()), Kind::Value(Scalar::Int)),
                }
            }
            "comment" => continue,
            _ => return Err("uses_unsupported"),
        };
        let name = name.unwrap_or_else(|| format!("arg{index}"));
        match kind {
            Kind::Value(ty) => params.push(Param { name, ty, role: ParamRole::Input }),
            Kind::OutPointer(ty) => params.push(Param { name, ty, role: ParamRole::Output }),
            Kind::Void if entries.len() == 1 => {}
            Kind::Void | Kind::Unsupported => return Err("type_filter"),
        }
    }
    let signature = Signature { function, ret, params };
    passes(&signature, filter).then_some(()).ok_or("type_filter")?;
    for p in signature.params.iter().filter(|p| p.role == ParamRole::Output) {
        if used_as_array(body, &p.name, src) {
            return Err("out_pointer_as_array");
        }
    }
    let mut cursor = def.walk();
    let dropped: Vec<&str> = def
        .children(&mut cursor)
        .filter(|c| matches!(c.kind(), "storage_class_specifier" | "type_qualifier" | "attribute_specifier"))
        .map(|c| src.of(c))
        .collect();
    if !dropped.is_empty() {
        let dropped: Vec<String> = dropped.iter().map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        notes.push(format!("`{}` dropped from the definition", dropped.join(" ")));
    }
    Ok(Admitted { signature, body, notes })
}

/// Whether `name` sits under `d` only through parentheses/attributes (`double (f)(double x)`).
fn is_wrapped_name(d: Node<'_>, name: Node<'_>) -> bool {
    let mut n = d.child_by_field_name("declarator");
    while let Some(node) = n {
        if node.id() == name.id() {
            return true;
        }
        n = match node.kind() {
            "parenthesized_declarator" | "attributed_declarator" => node.named_child(0),
            _ => None,
        };
    }
    false
}

impl TypeFilter {
    /// Whether a signature passes this filter.
    pub fn admits(self, sig: &Signature) -> bool {
        passes(sig, self)
    }
}

/// Whether a signature passes the filter.
fn passes(sig: &Signature, filter: TypeFilter) -> bool {
    let floating = |s: &Scalar| s.is_floating();
    match filter {
        TypeFilter::Paper => {
            sig.ret.as_ref().is_some_and(floating)
                && !sig.params.is_empty()
                && sig.params.iter().all(|p| p.role == ParamRole::Input && p.ty.is_floating())
        }
        TypeFilter::Extended => sig.n_in() >= 1 && sig.n_out() >= 1,
    }
}

/// The type of a parameter (or of a K&R parameter declaration), with its name.
fn parameter(
    decl: Node<'_>,
    declarator: Option<Node<'_>>,
    src: &Source,
    typedefs: &Typedefs<'_>,
    notes: &mut Vec<String>,
) -> (Option<String>, Kind) {
    let Some(ty) = decl.child_by_field_name("type") else { return (None, Kind::Unsupported) };
    let base = resolve(ty, src, typedefs, notes);
    let mut cursor = decl.walk();
    let pointee_const = decl.children(&mut cursor).any(|c| c.kind() == "type_qualifier" && src.of(c) == "const");
    let (mut pointers, mut plain, mut name) = (0usize, true, None);
    let mut node = declarator;
    while let Some(n) = node {
        node = match n.kind() {
            "identifier" => {
                name = Some(src.of(n).to_string());
                None
            }
            "pointer_declarator" | "abstract_pointer_declarator" => {
                pointers += 1;
                n.child_by_field_name("declarator")
            }
            "parenthesized_declarator" | "attributed_declarator" | "abstract_parenthesized_declarator" => {
                n.named_child(0)
            }
            // Array, function pointer, or anything else.
            _ => {
                plain = false;
                if let Some(id) = innermost_identifier(n) {
                    name = Some(src.of(id).to_string());
                }
                None
            }
        };
    }
    let kind = match (base, pointers, plain) {
        (_, _, false) => Kind::Unsupported,
        (Base::Scalar(s), 0, true) => Kind::Value(s),
        (Base::Scalar(s), 1, true) if !pointee_const => Kind::OutPointer(s),
        (Base::Void, 0, true) if name.is_none() => Kind::Void,
        _ => Kind::Unsupported,
    };
    (name, kind)
}

/// The K&R declaration of parameter `name`: the declaration node and the declarator.
fn knr_declaration<'t>(def: Node<'t>, name: &str, src: &Source) -> Option<(Node<'t>, Node<'t>)> {
    let mut cursor = def.walk();
    let decls: Vec<Node<'t>> = def.children(&mut cursor).filter(|c| c.kind() == "declaration").collect();
    decls.into_iter().find_map(|decl| {
        let mut cursor = decl.walk();
        let found = decl
            .children_by_field_name("declarator", &mut cursor)
            .find(|d| innermost_identifier(*d).is_some_and(|id| src.of(id) == name));
        found.map(|d| (decl, d))
    })
}

/// What a type specifier reads as, through typedefs.
fn resolve(ty: Node<'_>, src: &Source, typedefs: &Typedefs<'_>, notes: &mut Vec<String>) -> Base {
    let base = resolve_at(ty, src, typedefs, 0);
    if let (Base::Scalar(s), "type_identifier") = (base, ty.kind()) {
        let note = format!("typedef `{}` read as `{}`", src.of(ty), s.c_name());
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    base
}

fn resolve_at(ty: Node<'_>, src: &Source, typedefs: &Typedefs<'_>, depth: usize) -> Base {
    let text = src.of(ty);
    match ty.kind() {
        "primitive_type" => match text {
            "void" => Base::Void,
            _ => Scalar::from_words(&[text]).map_or(Base::Other, Base::Scalar),
        },
        "sized_type_specifier" => {
            let mut cursor = ty.walk();
            let words: Vec<&str> =
                ty.children(&mut cursor).filter(|c| c.kind() != "type_qualifier").map(|c| src.of(c)).collect();
            Scalar::from_words(&words).map_or(Base::Other, Base::Scalar)
        }
        "type_identifier" if depth < 32 => match typedefs.get(text) {
            Some(Some(target)) => resolve_at(*target, src, typedefs, depth + 1),
            _ => Base::Other,
        },
        _ => Base::Other,
    }
}

/// Whether the body uses pointer parameter `name` as an array: indexed other than `[0]`, moved
/// (`p++`, `p + 1`, `p = q`) or its address taken.
fn used_as_array(body: Node<'_>, name: &str, src: &Source) -> bool {
    descendants(body).filter(|n| n.kind() == "identifier" && src.of(*n) == name).any(|n| {
        let Some(parent) = n.parent() else { return false };
        let is = |field: &str| parent.child_by_field_name(field).is_some_and(|c| c.id() == n.id());
        let operator = parent.child_by_field_name("operator").map(|o| src.of(o)).unwrap_or("");
        match parent.kind() {
            "subscript_expression" => {
                is("argument") && parent.child_by_field_name("index").is_none_or(|i| src.of(i).trim() != "0")
            }
            "update_expression" => true,
            "binary_expression" => matches!(operator, "+" | "-"),
            "assignment_expression" => is("left"),
            "pointer_expression" => operator == "&",
            _ => false,
        }
    })
}
