//! The C lexer and CompNet's vocabulary: every literal kind, longest-match punctuators, comments
//! and preprocessor lines, error positions, tree-sitter-c as an independent reference on the
//! ParrotBench sources, and the pinned vocabulary layout.

use compnet_datasets::c_tokens::{
    self, CLS, IdentifierEncoding, KEYWORDS, LexError, PAD, PUNCTUATORS, Token, TokenKind, Vocabulary, count_tokens,
    dedup_key, fnv1a, parse_number, tokenize,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn texts(src: &str) -> Vec<String> {
    tokenize(src).unwrap().into_iter().map(|t| t.text).collect()
}

fn kinds(src: &str) -> Vec<TokenKind> {
    tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
}

const PROGRAMS: [&str; 6] = ["fft", "inversek2j", "jmeint", "jpeg", "kmeans", "sobel"];

fn program(name: &str) -> String {
    let path = format!("{}/programs/{name}.c", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn literals_of_every_kind() {
    use TokenKind::*;
    let src = r#"x = 42 + 0x1F + 017 + 0b101 + 10UL + 7llu + 3u + 1.5 + .5f + 2. + 1e-3 + 6.02E+23L + 0x1.8p3 + 0X.8P-1f;
                 s = "a \"quoted\" \\ string" L"wide" u8"utf8" u"16" U"32";
                 c = 'a' + '\'' + '\\' + '\n' + '\x41' + L'w' + u'x' + U'y';"#;
    let tokens = tokenize(src).unwrap();
    let numbers: Vec<&str> = tokens.iter().filter(|t| t.kind == Number).map(|t| t.text.as_str()).collect();
    assert_eq!(
        numbers,
        [
            "42",
            "0x1F",
            "017",
            "0b101",
            "10UL",
            "7llu",
            "3u",
            "1.5",
            ".5f",
            "2.",
            "1e-3",
            "6.02E+23L",
            "0x1.8p3",
            "0X.8P-1f"
        ]
    );
    let strings: Vec<&str> = tokens.iter().filter(|t| t.kind == String).map(|t| t.text.as_str()).collect();
    assert_eq!(strings, [r#""a \"quoted\" \\ string""#, r#"L"wide""#, r#"u8"utf8""#, r#"u"16""#, r#"U"32""#]);
    let chars: Vec<&str> = tokens.iter().filter(|t| t.kind == Char).map(|t| t.text.as_str()).collect();
    assert_eq!(chars, [r"'a'", r"'\''", r"'\\'", r"'\n'", r"'\x41'", "L'w'", "u'x'", "U'y'"]);
    assert_eq!(tokens.len(), 30 + 8 + 18);

    // Values (an independent computation by hand).
    let value = |t: &str| parse_number(t).unwrap();
    assert_eq!((value("0x1F").value, value("0x1F").is_float), (31.0, false));
    assert_eq!(value("017").value, 15.0);
    assert_eq!(value("0b101").value, 5.0);
    assert_eq!(value("0x1.8p3").value, 12.0);
    assert_eq!(value("0X.8P-1f").value, 0.25);
    assert_eq!((value("2.").value, value("2.").is_float), (2.0, true));
    assert_eq!(value("6.02E+23L").value, 6.02e23);
    assert_eq!(value(".5f").value, 0.5);
    assert_eq!(value("1e-3").value, 0.001);
    assert_eq!(value("09.5").value, 9.5);

    // Keywords against identifiers, including near misses and GNU spellings.
    assert_eq!(
        kinds("int integer _Bool _Boolean __inline__ inline $x restrict"),
        [Keyword, Identifier, Keyword, Identifier, Identifier, Keyword, Identifier, Keyword]
    );
    for k in KEYWORDS {
        assert!(c_tokens::is_keyword(k), "{k}");
        assert_eq!(kinds(k), [Keyword]);
    }
    assert_eq!(texts("Lx L 'a' u8x"), ["Lx", "L", "'a'", "u8x"]);
}

#[test]
fn bad_numbers_are_errors_with_positions() {
    for (src, problem) in [
        ("x = 09;", "octal"),
        ("x = 1e;", "exponent"),
        ("x = 1e+;", "exponent"),
        ("x = 0x;", "hexadecimal"),
        ("x = 0x1.8;", "binary exponent"),
        ("x = 1.5u;", "suffix"),
        ("x = 1f;", "suffix"),
        ("x = 1lL;", "suffix"),
        ("x = 1.2.3;", "suffix"),
        ("x = 0b;", "binary"),
        ("x = 1_000;", "suffix"),
        ("x = 0x1e+1;", "suffix"),
    ] {
        let e = tokenize(src).unwrap_err();
        assert!(matches!(e, LexError::BadNumber { line: 1, column: 5, .. }), "{src}: {e:?}");
        assert!(e.to_string().contains(problem), "{src}: {e}");
    }
    for ok in ["0", "0.0", "00", "0x0", "1ULL", "1llu", "1LLU", "1lu", "1.0F", "1e5f", "0x1p-2", "0xFFul"] {
        assert_eq!(tokenize(ok).unwrap().len(), 1, "{ok}");
    }
}

#[test]
fn punctuators_by_longest_match() {
    assert_eq!(texts("a>>=b<<=c...d->e"), ["a", ">>=", "b", "<<=", "c", "...", "d", "->", "e"]);
    assert_eq!(texts("x+++++y"), ["x", "++", "++", "+", "y"]);
    assert_eq!(texts("a--->b"), ["a", "--", "->", "b"]);
    assert_eq!(texts("a..b"), ["a", ".", ".", "b"]);
    assert_eq!(
        texts("p&&q||r&=s|=t^=u!=v==w"),
        ["p", "&&", "q", "||", "r", "&=", "s", "|=", "t", "^=", "u", "!=", "v", "==", "w"]
    );
    assert_eq!(texts("a<:0:>b<%%>c%:%:d%:e"), ["a", "<:", "0", ":>", "b", "<%", "%>", "c", "%:%:", "d", "%:", "e"]);
    assert_eq!(texts("x.5"), ["x", ".5"]);
    assert_eq!(texts("s.x"), ["s", ".", "x"]);
    // Every punctuator alone is one token of its own text.
    // (After `x`: `#` first on a line starts a directive.)
    for p in PUNCTUATORS {
        let t = tokenize(&format!("x{p}")).unwrap();
        assert_eq!((t.len(), t[1].kind, t[1].text.as_str()), (2, TokenKind::Punct, p));
    }
    // All of them in a row, space-separated, come back in order.
    let all = PUNCTUATORS.join(" ");
    assert_eq!(texts(&format!("x {all}"))[1..], PUNCTUATORS);
    assert_eq!(
        texts(
            "#x
x #"
        ),
        ["x", "#"]
    );
}

#[test]
fn comments_and_preprocessor_lines_are_removed() {
    let src = "#include <math.h>\n\
               #define SQR(x) \\\n    ((x) * (x)) /* a comment that\n spans lines */ + 1\n\
               # pragma once // trailing\n\
               /* block */ double f(double x) // line comment\n\
               { return x /* inline */ * 2.0; } // end\n\
               #if 0\n#endif\n\
               char *s = \"// not a comment /* nor this */\";\n\
               int a = 1 / 2; #notadirective\n";
    // `#` in the middle of a line is a punctuator (only stringizing inside macros).
    assert_eq!(
        texts(src),
        [
            "double",
            "f",
            "(",
            "double",
            "x",
            ")",
            "{",
            "return",
            "x",
            "*",
            "2.0",
            ";",
            "}",
            "char",
            "*",
            "s",
            "=",
            "\"// not a comment /* nor this */\"",
            ";",
            "int",
            "a",
            "=",
            "1",
            "/",
            "2",
            ";",
            "#",
            "notadirective"
        ]
    );
    // A directive after whitespace or a comment at the start of a line is still a directive; a
    // `//` comment continued with a backslash swallows the next line.
    assert_eq!(texts("  /* c */ # define X 1\nx // a \\\n y\nz"), ["x", "z"]);
    assert_eq!(texts("a \\\n b"), ["a", "b"]);
    assert_eq!(texts("a\r\nb\r\n#define Q \\\r\n 2\r\nc"), ["a", "b", "c"]);
    assert_eq!(texts("/**/x/***/y/* * / */z"), ["x", "y", "z"]);
    assert_eq!(tokenize("").unwrap(), Vec::<Token>::new());
    assert_eq!(tokenize("// only\n/* comments */\n#define X").unwrap(), Vec::<Token>::new());
}

#[test]
fn lexing_errors_name_line_and_column() {
    let cases: [(&str, usize, usize, &str); 10] = [
        ("int x;\n  y @ 2;", 2, 5, "'@'"),
        ("a = `b`;", 1, 5, "'`'"),
        ("x = 1;\n/* never closed\n", 2, 1, "unterminated comment"),
        ("s = \"abc\n\";", 1, 5, "unterminated string"),
        ("s = L\"abc", 1, 5, "unterminated string"),
        ("c = 'a;\n", 1, 5, "unterminated character"),
        ("c = '';", 1, 5, "empty character"),
        ("é = 1;", 1, 1, "'é'"),
        ("x = \\ y;", 1, 5, "'\\\\'"),
        ("#define A /* open\n", 1, 11, "unterminated comment"),
    ];
    for (src, line, column, what) in cases {
        let e = tokenize(src).unwrap_err();
        assert_eq!((e.line(), e.column()), (line, column), "{src:?}: {e}");
        let message = e.to_string();
        assert!(message.contains(what), "{src:?}: {message}");
        assert!(message.starts_with(&format!("line {line}, column {column}:")), "{message}");
        assert_eq!(dedup_key(src).unwrap_err(), e);
        assert_eq!(count_tokens(src).unwrap_err(), e);
    }
    // Columns count characters, not bytes.
    let e = tokenize("/* é */ x = @;").unwrap_err();
    assert_eq!((e.line(), e.column()), (1, 13));
    // Non-ASCII text is fine inside comments and literals.
    assert_eq!(texts("/* π ≈ 3.14 */ s = \"π\"; // é"), ["s", "=", "\"π\"", ";"]);
}

#[test]
fn dedup_key_ignores_layout_but_not_operators() {
    let a = "double f(double x){return x*x+1.0;}";
    let b = "/* square plus one */\n#include <math.h>\ndouble\nf ( double x )\n{\n    // body\n    return x * x\n        + 1.0 ;\n}\n";
    let c = "double f(double x){return x*x-1.0;}";
    let d = "double f(double x){return x*x+1.0f;}";
    assert_eq!(dedup_key(a).unwrap(), "double f ( double x ) { return x * x + 1.0 ; }");
    assert_eq!(dedup_key(a).unwrap(), dedup_key(b).unwrap());
    assert_ne!(dedup_key(a).unwrap(), dedup_key(c).unwrap());
    assert_ne!(dedup_key(a).unwrap(), dedup_key(d).unwrap());
    // Adjacent tokens that a space would not separate: `a+ +b` and `a++b` differ.
    assert_ne!(dedup_key("a+ +b").unwrap(), dedup_key("a++b").unwrap());
    assert_eq!(count_tokens(b).unwrap(), 15);
}

/// The tokens tree-sitter-c sees: the leaves of the parse tree, with a string or character literal
/// (split by tree-sitter into quotes, content and escapes) as one token, comments and
/// preprocessor directives (`#include`, `#define`) dropped.
fn tree_sitter_tokens(src: &str) -> Vec<String> {
    fn walk(node: tree_sitter::Node<'_>, src: &str, out: &mut Vec<String>) {
        let kind = node.kind();
        if kind == "comment" || matches!(kind, "preproc_include" | "preproc_def" | "preproc_function_def") {
            return;
        }
        let text = || src[node.start_byte()..node.end_byte()].to_string();
        if kind == "number_literal" {
            // tree-sitter-c folds a sign into the number (`-1.0`); in C it is a unary operator.
            let t = text();
            match t.strip_prefix(['-', '+']) {
                Some(rest) => out.extend([t[..1].to_string(), rest.trim_start().to_string()]),
                None => out.push(t),
            }
            return;
        }
        if matches!(kind, "string_literal" | "char_literal") || node.child_count() == 0 {
            out.push(text());
            return;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            walk(child, src, out);
        }
    }
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&tree_sitter_c::LANGUAGE.into()).unwrap();
    let tree = parser.parse(src, None).unwrap();
    assert!(!tree.root_node().has_error(), "tree-sitter-c cannot parse the source");
    let mut out = Vec::new();
    walk(tree.root_node(), src, &mut out);
    // tree-sitter keeps the empty `;`-less leaves of some nodes; drop zero-width ones.
    out.retain(|t| !t.is_empty());
    out
}

#[test]
fn parrot_bench_sources_tokenize_like_tree_sitter() {
    let mut counts = Vec::new();
    for name in PROGRAMS {
        let src = program(name);
        let ours = texts(&src);
        assert_eq!(ours, tree_sitter_tokens(&src), "{name}: our tokens differ from tree-sitter-c's");
        assert_eq!(count_tokens(&src).unwrap(), ours.len());
        counts.push((name, ours.len()));
    }
    eprintln!("ParrotBench token counts (whole file, comments and #include removed): {counts:?}");
    for (name, n) in counts {
        // The paper's CompNet set drops jmeint and jpeg for having more than 512 tokens.
        assert_eq!(n > 512, matches!(name, "jmeint" | "jpeg"), "{name}: {n} tokens");
    }
}

#[test]
fn vocabulary_layout_is_pinned() {
    let v = Vocabulary::default();
    assert_eq!(v.len(), 672);
    assert_eq!(v.identifier_encoding(), IdentifierEncoding::FirstOccurrence);
    let pinned: [(&str, u32); 22] = [
        ("[PAD]", 0),
        ("[UNK]", 1),
        ("[CLS]", 2),
        ("[SEP]", 3),
        ("[MASK]", 4),
        ("auto", 5),
        ("_Thread_local", 48),
        ("[", 49),
        ("##", 96),
        ("sin", 97),
        ("sinf", 98),
        ("scalbnf", 190),
        ("abs", 191),
        ("main", 243),
        ("0", 244),
        ("16", 260),
        ("65535", 271),
        ("0.0", 272),
        ("1e-6", 300),
        ("≈pi", 301),
        ("[STR]", 315),
        ("[CHR]", 316),
    ];
    for (name, id) in pinned {
        assert_eq!(v.id(name), Some(id), "{name}");
        assert_eq!(v.token_name(id), name);
    }
    let names: Vec<String> = [317, 380, 381, 636, 637, 646, 647, 659, 671, 672].map(|i| v.token_name(i)).to_vec();
    assert_eq!(
        names,
        [
            "[ID0]",
            "[ID63]",
            "[IDH0]",
            "[IDH255]",
            "[INT 1e1]",
            "[INT 1e10]",
            "[FLT 1e-12]",
            "[FLT 1e0]",
            "[FLT 1e12]",
            "[INVALID 672]"
        ]
    );
    assert_eq!(v.id("<:"), v.id("["));
    assert_eq!(v.id("%:%:"), v.id("##"));
    assert_eq!(v.id("not_a_name"), None);
    // FNV-1a test vectors (Fowler/Noll/Vo).
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn every_fixed_name_encodes_back_to_its_id() {
    let v = Vocabulary::default();
    let mut checked = 0;
    for id in 5..315u32 {
        let name = v.token_name(id);
        if name.starts_with('≈') {
            continue;
        }
        // After `;`: a `#` first on a line would start a directive.
        let ids = v.encode_source(&format!("; {name}"), 16).unwrap();
        assert_eq!(ids, [CLS, v.id(";").unwrap(), id], "{name}");
        checked += 1;
    }
    assert_eq!(checked, 310 - 14);
    // Approximate constants: any precision.
    for (src, name) in
        [("3.14", "≈pi"), ("3.14159265358979323846", "≈pi"), ("6.2831853f", "≈2pi"), ("0.70710678", "≈1/sqrt2")]
    {
        assert_eq!(v.token_name(v.encode_source(src, 4).unwrap()[1]), name, "{src}");
    }
    // Numbers by value, whatever their spelling; others by magnitude.
    let name_of = |src: &str| v.token_name(v.encode_source(src, 4).unwrap()[1]);
    for (src, name) in [
        ("0x10", "16"),
        ("020", "16"),
        ("16u", "16"),
        ("0.5f", "0.5"),
        (".5", "0.5"),
        ("5e-1", "0.5"),
        ("1.", "1.0"),
        ("1.0L", "1.0"),
        ("17", "[INT 1e1]"),
        ("12345", "[INT 1e4]"),
        ("99999999999999999999", "[INT 1e10]"),
        ("0.0123", "[FLT 1e-2]"),
        ("1e-300", "[FLT 1e-12]"),
        ("1e300", "[FLT 1e12]"),
        ("7.0", "[FLT 1e0]"),
        ("12.5", "[FLT 1e1]"),
        ("10.0", "10.0"),
        ("\"str\"", "[STR]"),
        ("'c'", "[CHR]"),
        ("<%", "{"),
    ] {
        assert_eq!(name_of(src), name, "{src}");
    }
}

#[test]
fn identifiers_by_first_occurrence_or_hash() {
    let first = Vocabulary::default();
    let a = "float f(float x, float y) { float t = x * y; return sinf(t) + x; }";
    let b = "float g(float u, float v) { float w = u * v; return sinf(w) + u; }";
    let ids_a = first.encode_source(a, 512).unwrap();
    let ids_b = first.encode_source(b, 512).unwrap();
    assert_eq!(ids_a, ids_b, "renaming identifiers changes nothing");
    let names: Vec<String> = ids_a.iter().map(|&i| first.token_name(i)).collect();
    assert_eq!(
        names.join(" "),
        "[CLS] float [ID0] ( float [ID1] , float [ID2] ) { float [ID3] = [ID1] * [ID2] ; return sinf ( [ID3] ) + [ID1] ; }"
    );
    let hashed = Vocabulary::new(IdentifierEncoding::Hashed);
    let h_a = hashed.encode_source(a, 512).unwrap();
    assert_ne!(h_a, hashed.encode_source(b, 512).unwrap());
    let bucket = |s: &str| 381 + (fnv1a(s.as_bytes()) % 256) as u32;
    assert_eq!(h_a[2], bucket("f"));
    assert_eq!(h_a[5], bucket("x"));
    // Past 64 distinct identifiers, first-occurrence falls back to the hashed buckets.
    let many: String = (0..70).map(|i| format!("v{i} ")).collect();
    let ids = first.encode_source(&many, 100).unwrap();
    assert_eq!(ids[1..65], (317..381).collect::<Vec<u32>>()[..]);
    assert_eq!(ids[65], bucket("v64"));
    assert_eq!(ids.len(), 71);
}

#[test]
fn encode_source_truncates_and_is_deterministic() {
    let v = Vocabulary::default();
    let src = program("jmeint");
    let full = v.encode_source(&src, usize::MAX).unwrap();
    assert_eq!(full.len(), count_tokens(&src).unwrap() + 1);
    assert_eq!(full[0], CLS);
    assert!(full.iter().all(|&i| (i as usize) < v.len() && i != PAD));
    let cut = v.encode_source(&src, 512).unwrap();
    assert_eq!(cut[..], full[..512]);
    assert_eq!(v.encode_source(&src, 0).unwrap(), Vec::<u32>::new());
    assert_eq!(v.encode_source(&src, 1).unwrap(), [CLS]);
    // `encode` on tokens equals encode_source without [CLS]; a fresh vocabulary gives the same ids.
    assert_eq!(Vocabulary::default().encode(&tokenize(&src).unwrap()), full[1..]);
    // A token whose text does not fit its kind is [UNK].
    let odd =
        [Token { kind: TokenKind::Number, text: "abc".into() }, Token { kind: TokenKind::Keyword, text: "x".into() }];
    assert_eq!(v.encode(&odd), [c_tokens::UNK, c_tokens::UNK]);
    // Errors anywhere in the source are reported even past the cut.
    assert!(v.encode_source("x y z @", 2).is_err());
}

/// Each literal's value sits at its token's position; every other position, `[CLS]` included,
/// holds 0; ids are `encode_source`'s; truncation cuts both alike.
#[test]
fn encode_program_puts_literal_values_beside_their_ids() {
    let v = Vocabulary::default();
    let src = "float f(float a) { return 1.66f * a - 0x10 + 2.5e-3 * a + 7; }";
    let e = v.encode_program(src, usize::MAX).unwrap();
    assert_eq!(e.ids, v.encode_source(src, usize::MAX).unwrap());
    assert_eq!(e.values.len(), e.ids.len());
    let tokens = tokenize(src).unwrap();
    let literals: Vec<(usize, f64)> =
        e.values.iter().enumerate().filter(|&(_, &x)| x != 0.0).map(|(k, &x)| (k, x)).collect();
    let at = |text: &str| 1 + tokens.iter().position(|t| t.text == text).unwrap();
    assert_eq!(literals, [(at("1.66f"), 1.66), (at("0x10"), 16.0), (at("2.5e-3"), 2.5e-3), (at("7"), 7.0)]);
    // Same ids, different values: what the ids alone cannot tell apart.
    let other = v.encode_program(&src.replace("1.66f", "1.99f"), usize::MAX).unwrap();
    assert_eq!(other.ids, e.ids);
    assert_ne!(other.values, e.values);
    let mut cut = v.encode_program(src, 6).unwrap();
    assert_eq!((cut.ids.len(), cut.values.len()), (6, 6));
    assert_eq!(cut.ids[..], e.ids[..6]);
    cut.truncate(2);
    assert_eq!(cut.len(), 2);
    assert!(v.encode_program("1.5 @", 8).is_err());
}

#[test]
fn no_input_panics() {
    // Every prefix of every ParrotBench source, and random text over a C-ish alphabet.
    for name in PROGRAMS {
        let src = program(name);
        for (i, _) in src.char_indices() {
            let _ = tokenize(&src[..i]);
        }
    }
    let alphabet: Vec<char> = "abxLuU8_09.eEpPfF+-*/%<>=!&|^~?:;,#()[]{}\"'\\ \n\r\t@`$é€".chars().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let v = Vocabulary::default();
    let mut ok = 0;
    for _ in 0..20_000 {
        let len = rng.random_range(0..40);
        let s: String = (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
        if let Ok(tokens) = tokenize(&s) {
            ok += 1;
            let ids = v.encode(&tokens);
            assert!(ids.iter().all(|&i| (i as usize) < v.len()));
            // Re-lexing the key gives the same tokens back (tokens are self-delimiting with spaces),
            // unless the text ends inside a `//` comment glued by the key's spaces.
            if let Ok(key) = dedup_key(&s)
                && let Ok(again) = tokenize(&key)
            {
                assert_eq!(again, tokens, "{s:?}");
            }
        }
    }
    assert!(ok > 1000, "only {ok} random texts lexed");
}
