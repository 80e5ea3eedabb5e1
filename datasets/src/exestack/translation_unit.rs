//! A preprocessed translation unit as tree-sitter-c sees it: top-level items, each with where it
//! came from (the file itself, a project header, a system header), the names it declares and the
//! names it uses.
//!
//! Where an item came from is read from the preprocessor's line markers (`# 12 "foo.h" 2 3`: flag
//! `3` marks a system header); the marker lines themselves, `#pragma` and `#ident` are blanked
//! before parsing, so rows still match. The file's own code is that of the first file the markers
//! name that is not built-in text, `<stdin>` or a system header; text without markers is all taken
//! as the file's own code.

use std::collections::HashSet;
use std::time::Instant;

use tree_sitter::{Node, ParseOptions, ParseState, Parser, Tree};

use super::preprocess::is_line_marker;

/// Where the text of an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The file being processed.
    Main,
    /// A header that is not a system header.
    Project,
    /// A system header (or the compiler's built-in text).
    System,
}

/// How an item declares a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decl {
    /// A function definition.
    Function,
    /// A function declaration without body.
    Prototype,
    /// A variable definition (tentative or initialised).
    Object,
    /// An `extern` variable declaration without initialiser.
    ExternObject,
    Typedef,
    /// `struct x;` (no body).
    Tag,
    /// `struct x { ... }`.
    TagDef,
    Enumerator,
}

/// One top-level item: a function definition, a declaration, a typedef, or a bare
/// `struct`/`union`/`enum` specifier with its `;`.
pub(crate) struct Item<'t> {
    pub node: Node<'t>,
    /// Byte range in [`Source::text`] (a bare specifier's range includes its `;`).
    pub start: usize,
    pub end: usize,
    pub origin: Origin,
    /// 1-based line in the file the item came from (0 if unknown).
    pub line: usize,
    /// Names declared, with how; tags are keyed `struct x`, `union x`, `enum x`.
    pub declares: Vec<(String, Decl)>,
    /// Names used (identifiers, type names, tags), minus its own parameters and locals.
    pub uses: Vec<String>,
    /// Whether it comes right after text tree-sitter could not read, which may have taken part
    /// of it (a qualifier, a return type's first word): such an item is never used.
    pub after_error: bool,
}

/// A syntax error tree-sitter reported outside function definitions: unreadable text between
/// items, or a declaration with an error inside.
pub(crate) struct TopError {
    pub origin: Origin,
}

/// The preprocessed text, directive lines blanked, with each row's origin.
pub(crate) struct Source {
    pub text: String,
    rows: Vec<(Origin, u32)>,
}

impl Source {
    /// Reads the line markers of `preprocessed` and blanks every line that starts with `#`.
    pub fn new(preprocessed: &str) -> Source {
        let mut text = String::with_capacity(preprocessed.len());
        let mut rows = Vec::new();
        let mut main: Option<String> = None;
        let mut origin = Origin::Main;
        let mut line = 1u32;
        for raw in preprocessed.split_inclusive('\n') {
            let content = raw.trim_end_matches(['\n', '\r']);
            if content.trim_start().starts_with('#') {
                if let Some((number, file, flags)) = parse_marker(content).filter(|_| is_line_marker(content)) {
                    line = number;
                    if let Some(file) = file {
                        // The first file that is neither built-in text, `<stdin>` (a second
                        // pass) nor a system header (stdc-predef.h).
                        if main.is_none() && !file.starts_with('<') && !flags.contains(&3) {
                            main = Some(file.to_string());
                        }
                        origin = if flags.contains(&3) || file.starts_with('<') {
                            Origin::System
                        } else if main.as_deref() == Some(file) {
                            Origin::Main
                        } else {
                            Origin::Project
                        };
                    }
                }
                rows.push((Origin::System, 0));
                text.push('\n');
                continue;
            }
            rows.push((origin, line));
            line = line.saturating_add(1);
            text.push_str(content);
            text.push('\n');
        }
        Source { text, rows }
    }

    /// Origin and original line of a row of [`Source::text`].
    pub fn origin(&self, row: usize) -> (Origin, usize) {
        self.rows.get(row).map_or((Origin::Main, 0), |&(o, l)| (o, l as usize))
    }

    /// The text of a node.
    pub fn of(&self, node: Node<'_>) -> &str {
        &self.text[node.byte_range()]
    }
}

/// `# 12 "file" 1 3` → (12, Some("file"), [1, 3]).
fn parse_marker(line: &str) -> Option<(u32, Option<&str>, Vec<u32>)> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let rest = rest.strip_prefix("line").unwrap_or(rest).trim_start();
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let number = rest[..digits].parse().ok()?;
    let rest = rest[digits..].trim_start();
    let Some(quoted) = rest.strip_prefix('"') else { return Some((number, None, Vec::new())) };
    let bytes = quoted.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    let file = quoted.get(..i)?;
    let flags = quoted.get(i + 1..).unwrap_or("").split_whitespace().filter_map(|f| f.parse().ok()).collect();
    Some((number, Some(file), flags))
}

/// Why tree-sitter gave no tree.
pub(crate) enum ParseFailure {
    /// The deadline passed.
    Deadline,
    /// The parser could not be set up or gave up.
    Parser(String),
}

/// Parses C text; stops at `deadline`.
pub(crate) fn parse(text: &str, deadline: Option<Instant>) -> Result<Tree, ParseFailure> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_c::LANGUAGE.into()).map_err(|e| ParseFailure::Parser(e.to_string()))?;
    let bytes = text.as_bytes();
    let mut past_deadline = |_: &ParseState| deadline.is_some_and(|d| Instant::now() >= d);
    let options = ParseOptions::new().progress_callback(&mut past_deadline);
    let tree =
        parser.parse_with_options(&mut |offset: usize, _| bytes.get(offset..).unwrap_or_default(), None, Some(options));
    match tree {
        Some(tree) => Ok(tree),
        None if deadline.is_some_and(|d| Instant::now() >= d) => Err(ParseFailure::Deadline),
        None => Err(ParseFailure::Parser("tree-sitter-c returned no tree".to_string())),
    }
}

/// The top-level items of a parsed unit, and its top-level syntax errors.
pub(crate) fn items<'t>(tree: &'t Tree, src: &Source) -> (Vec<Item<'t>>, Vec<TopError>) {
    let root = tree.root_node();
    let mut cursor = root.walk();
    let children: Vec<Node<'t>> = root.children(&mut cursor).collect();
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    let mut after_error = false;
    while i < children.len() {
        let node = children[i];
        let (origin, line) = src.origin(node.start_position().row);
        let mut end = node.end_byte();
        match node.kind() {
            "function_definition" | "declaration" | "type_definition" => {}
            "struct_specifier" | "union_specifier" | "enum_specifier" => {
                if let Some(semi) = children.get(i + 1).filter(|n| n.kind() == ";") {
                    end = semi.end_byte();
                    i += 1;
                }
            }
            "ERROR" => {
                errors.push(TopError { origin });
                after_error = true;
                i += 1;
                continue;
            }
            _ => {
                if node.is_missing() {
                    errors.push(TopError { origin });
                    after_error = true;
                }
                i += 1;
                continue;
            }
        }
        if node.has_error() && node.kind() != "function_definition" {
            errors.push(TopError { origin });
        }
        let declares = declared_names(node, src);
        let uses = used_names(node, src, &declares);
        items.push(Item { node, start: node.start_byte(), end, origin, line, declares, uses, after_error });
        after_error = node.has_error();
        i += 1;
    }
    (items, errors)
}

/// The names a top-level item declares.
fn declared_names(node: Node<'_>, src: &Source) -> Vec<(String, Decl)> {
    let mut out = Vec::new();
    match node.kind() {
        "function_definition" => {
            if let Some((name, _, _)) = node.child_by_field_name("declarator").and_then(|d| declarator_name(d, src)) {
                out.push((name, Decl::Function));
            }
        }
        "declaration" => {
            let is_extern = has_specifier(node, src, &["extern"]);
            let mut cursor = node.walk();
            for d in node.children_by_field_name("declarator", &mut cursor) {
                if let Some((name, is_function, has_init)) = declarator_name(d, src) {
                    let decl = match (is_function, is_extern && !has_init) {
                        (true, _) => Decl::Prototype,
                        (false, true) => Decl::ExternObject,
                        (false, false) => Decl::Object,
                    };
                    out.push((name, decl));
                }
            }
            if let Some(ty) = node.child_by_field_name("type") {
                tags_defined(ty, src, &mut out);
            }
        }
        "type_definition" => {
            let mut cursor = node.walk();
            for d in node.children_by_field_name("declarator", &mut cursor) {
                if let Some((name, _, _)) = declarator_name(d, src) {
                    out.push((name, Decl::Typedef));
                }
            }
            if let Some(ty) = node.child_by_field_name("type") {
                tags_defined(ty, src, &mut out);
            }
        }
        _ => {
            tags_defined(node, src, &mut out);
            if let (Some(kw), Some(name), None) =
                (tag_keyword(node.kind()), node.child_by_field_name("name"), node.child_by_field_name("body"))
            {
                out.push((format!("{kw} {}", src.of(name)), Decl::Tag));
            }
        }
    }
    out
}

/// `struct`/`union`/`enum` for a specifier node kind.
pub(crate) fn tag_keyword(kind: &str) -> Option<&'static str> {
    match kind {
        "struct_specifier" => Some("struct"),
        "union_specifier" => Some("union"),
        "enum_specifier" => Some("enum"),
        _ => None,
    }
}

/// Tags defined (specifiers with a body) and enumerators anywhere in a type.
fn tags_defined(ty: Node<'_>, src: &Source, out: &mut Vec<(String, Decl)>) {
    for node in descendants(ty) {
        if let Some(kw) = tag_keyword(node.kind()) {
            if let (Some(name), Some(_)) = (node.child_by_field_name("name"), node.child_by_field_name("body")) {
                out.push((format!("{kw} {}", src.of(name)), Decl::TagDef));
            }
        } else if node.kind() == "enumerator"
            && let Some(name) = node.child_by_field_name("name")
        {
            out.push((src.of(name).to_string(), Decl::Enumerator));
        }
    }
}

/// Whether a declaration node has one of these storage-class specifiers.
pub(crate) fn has_specifier(node: Node<'_>, src: &Source, words: &[&str]) -> bool {
    let mut cursor = node.walk();
    node.children(&mut cursor).any(|c| c.kind() == "storage_class_specifier" && words.contains(&src.of(c).trim()))
}

/// The name a declarator declares, whether it declares a function (the declarator right around the
/// name is a function declarator) and whether it has an initializer.
pub(crate) fn declarator_name(declarator: Node<'_>, src: &Source) -> Option<(String, bool, bool)> {
    let (mut node, mut is_function, mut has_init) = (declarator, false, false);
    for _ in 0..64 {
        match node.kind() {
            "identifier" | "type_identifier" | "primitive_type" => {
                return Some((src.of(node).to_string(), is_function, has_init));
            }
            "init_declarator" => {
                has_init = true;
                node = node.child_by_field_name("declarator")?;
            }
            "function_declarator" => {
                is_function = true;
                node = node.child_by_field_name("declarator")?;
            }
            "pointer_declarator" | "array_declarator" => {
                is_function = false;
                node = node.child_by_field_name("declarator")?;
            }
            "parenthesized_declarator" | "attributed_declarator" => node = node.named_child(0)?,
            _ => return None,
        }
    }
    None
}

/// Names used by an item: identifiers, type names and tags, minus the item's own names, its
/// parameters and (in a function body) its local variables.
fn used_names(node: Node<'_>, src: &Source, declares: &[(String, Decl)]) -> Vec<String> {
    let mut local: HashSet<&str> = declares.iter().map(|(n, _)| n.as_str()).collect();
    let is_function = node.kind() == "function_definition";
    for n in descendants(node) {
        match n.kind() {
            "parameter_declaration" => {
                if let Some(name) = n.child_by_field_name("declarator").and_then(innermost_identifier) {
                    local.insert(src.of(name));
                }
            }
            // K&R parameter names.
            "parameter_list" if is_function => {
                let mut cursor = n.walk();
                for c in n.named_children(&mut cursor).filter(|c| c.kind() == "identifier") {
                    local.insert(src.of(c));
                }
            }
            "enumerator" if is_function => {
                if let Some(name) = n.child_by_field_name("name") {
                    local.insert(src.of(name));
                }
            }
            // Locals, and the parameter declarations of a K&R definition; not local prototypes
            // or `extern` declarations, which name file-scope things.
            "declaration" | "type_definition" if is_function => {
                if has_specifier(n, src, &["extern"]) {
                    continue;
                }
                let mut cursor = n.walk();
                for d in n.children_by_field_name("declarator", &mut cursor) {
                    if let (Some((_, false, _)), Some(id)) = (declarator_name(d, src), innermost_identifier(d)) {
                        local.insert(src.of(id));
                    }
                }
            }
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    let mut uses = Vec::new();
    // Attributes and asm name no declarations (`__attribute__((__format__(__printf__, 1, 2)))`).
    let opaque = |n: Node<'_>| {
        matches!(
            n.kind(),
            "attribute_specifier" | "attribute_declaration" | "gnu_asm_expression" | "ms_declspec_modifier"
        )
    };
    for n in descendants_pruned(node, opaque) {
        if opaque(n) {
            continue;
        }
        let key = match n.kind() {
            "identifier" | "type_identifier" | "primitive_type" => {
                let t = src.of(n);
                let tag_name = n.parent().is_some_and(|p| {
                    tag_keyword(p.kind()).is_some() && p.child_by_field_name("name").is_some_and(|c| c.id() == n.id())
                });
                if local.contains(t) || tag_name {
                    continue;
                }
                t.to_string()
            }
            kind => match (tag_keyword(kind), n.child_by_field_name("name")) {
                (Some(kw), Some(name)) => format!("{kw} {}", src.of(name)),
                _ => continue,
            },
        };
        if !local.contains(key.as_str()) && seen.insert(key.clone()) {
            uses.push(key);
        }
    }
    uses
}

/// The identifier at the bottom of a declarator (none for an abstract declarator).
pub(crate) fn innermost_identifier(declarator: Node<'_>) -> Option<Node<'_>> {
    let mut node = declarator;
    for _ in 0..64 {
        match node.kind() {
            "identifier" | "type_identifier" => return Some(node),
            "init_declarator" | "function_declarator" | "pointer_declarator" | "array_declarator" => {
                node = node.child_by_field_name("declarator")?;
            }
            "parenthesized_declarator" | "attributed_declarator" => node = node.named_child(0)?,
            _ => return None,
        }
    }
    None
}

/// A node and all its descendants, in document order.
pub(crate) fn descendants(node: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    descendants_pruned(node, |_| false)
}

/// A node and its descendants, in document order, not entering the nodes `prune` picks (they
/// are still yielded).
pub(crate) fn descendants_pruned<'t>(
    node: Node<'t>,
    prune: impl Fn(Node<'t>) -> bool,
) -> impl Iterator<Item = Node<'t>> {
    let mut cursor = node.walk();
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let current = cursor.node();
        if !prune(current) && cursor.goto_first_child() {
            return Some(current);
        }
        loop {
            if cursor.node().id() == node.id() {
                done = true;
                return Some(current);
            }
            if cursor.goto_next_sibling() {
                return Some(current);
            }
            if !cursor.goto_parent() {
                done = true;
                return Some(current);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_line_markers() {
        assert_eq!(parse_marker("# 12 \"foo.h\" 1 3"), Some((12, Some("foo.h"), vec![1, 3])));
        assert_eq!(parse_marker("# 1 \"a \\\"b\\\".c\""), Some((1, Some("a \\\"b\\\".c"), vec![])));
        let src = Source::new(
            "# 0 \"a.c\"\n# 1 \"/usr/include/x.h\" 1 3 4\nint x;\n# 5 \"a.c\" 2\nint y;\n#pragma once\nint z;\n",
        );
        assert_eq!(src.text, "\n\nint x;\n\nint y;\n\nint z;\n");
        assert_eq!(src.origin(2), (Origin::System, 1));
        assert_eq!(src.origin(4), (Origin::Main, 5));
        assert_eq!(src.origin(6), (Origin::Main, 6));
        assert_eq!(Source::new("int q;\n").origin(0), (Origin::Main, 1));
    }

    #[test]
    fn lists_items_with_their_names() {
        let src = Source::new(
            "typedef double real;\nstruct pt { real x, y; };\nenum { A = 1, B };\nstatic const double tab[2] = {1, 2};\n\
             extern int n;\ndouble h(double);\nstatic double g(double v) { double w = v; return w * tab[0] + h(A); }\n",
        );
        let tree = parse(&src.text, None).ok().unwrap();
        let (items, errors) = items(&tree, &src);
        assert!(errors.is_empty());
        let declared: Vec<Vec<(String, Decl)>> = items.iter().map(|i| i.declares.clone()).collect();
        let d = |n: &str, k| (n.to_string(), k);
        assert_eq!(
            declared,
            vec![
                vec![d("real", Decl::Typedef)],
                vec![d("struct pt", Decl::TagDef)],
                vec![d("A", Decl::Enumerator), d("B", Decl::Enumerator)],
                vec![d("tab", Decl::Object)],
                vec![d("n", Decl::ExternObject)],
                vec![d("h", Decl::Prototype)],
                vec![d("g", Decl::Function)],
            ]
        );
        assert_eq!(items[1].uses, vec!["real"]);
        assert_eq!(items[6].uses, vec!["double", "tab", "h", "A"]);
    }
}
