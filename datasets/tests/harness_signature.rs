//! Parsing C signatures: the supported shapes, and errors that name the offending parameter.

use compnet_datasets::signature::{Param, ParamRole, Scalar, Signature, SignatureError};

fn p(name: &str, ty: Scalar, role: ParamRole) -> Param {
    Param { name: name.into(), ty, role }
}

#[test]
fn parses_inputs_out_pointers_and_void() {
    let s = Signature::parse("void fft(float x, float *s, float *c)").unwrap();
    assert_eq!(s.function, "fft");
    assert_eq!(s.ret, None);
    assert_eq!(
        s.params,
        vec![
            p("x", Scalar::Float, ParamRole::Input),
            p("s", Scalar::Float, ParamRole::Output),
            p("c", Scalar::Float, ParamRole::Output)
        ]
    );
    assert_eq!((s.n_in(), s.n_out()), (1, 2));
    assert_eq!(s.input_names(), vec!["x"]);
    assert_eq!(s.output_names(), vec!["s", "c"]);
    assert_eq!(s.to_string(), "void fft(float x, float *s, float *c)");
}

#[test]
fn parses_static_const_and_definition_headers() {
    let s = Signature::parse("static double f(const double a, double b)").unwrap();
    assert_eq!(s.ret, Some(Scalar::Double));
    assert_eq!(s.input_names(), vec!["a", "b"]);
    assert_eq!(s.output_names(), vec!["return"]);
    assert_eq!(s.to_string(), "double f(double a, double b)");

    let s = Signature::parse("static inline float g(float x, double *restrict y) { return x; }").unwrap();
    assert_eq!(s.ret, Some(Scalar::Float));
    assert_eq!(s.params[1], p("y", Scalar::Double, ParamRole::Output));
    assert_eq!(s.output_names(), vec!["return", "y"]);
    assert_eq!((s.n_in(), s.n_out()), (1, 2));

    let s = Signature::parse("double /* ret */ h(float*out,const float x);").unwrap();
    assert_eq!(s.to_string(), "double h(float *out, float x)");
    assert_eq!(s.input_names(), vec!["x"]);
    assert_eq!(s.output_names(), vec!["return", "out"]);

    let s = Signature::parse("float k(void)").unwrap();
    assert!(s.params.is_empty());
    assert_eq!(s.to_string(), "float k(void)");
    // Round trip through Display.
    let s = Signature::parse("void q(double, float *)").unwrap();
    assert_eq!(s.input_names(), vec!["arg0"]);
    assert_eq!(Signature::parse(&s.to_string()).unwrap(), s);
}

#[test]
fn finds_a_definition_in_source() {
    let src = "#include <math.h>\nstatic double sq(double v) { return v * v; }\n\
               /* the one */\ndouble norm(double a, double b, double *angle) {\n *angle = atan2(b, a);\n return sqrt(sq(a) + sq(b));\n}\n";
    let s = Signature::from_source(src, "norm").unwrap();
    assert_eq!(s.to_string(), "double norm(double a, double b, double *angle)");
    assert_eq!(Signature::from_source(src, "sq").unwrap().to_string(), "double sq(double v)");
    assert_eq!(Signature::from_source(src, "missing"), Err(SignatureError::NotFound { function: "missing".into() }));
}

fn param_error(decl: &str) -> (usize, String, String) {
    match Signature::parse(decl) {
        Err(SignatureError::UnsupportedParam { index, param, ty, .. }) => (index, param, ty),
        other => panic!("{decl}: expected UnsupportedParam, got {other:?}"),
    }
}

#[test]
fn rejects_unsupported_parameters_naming_them() {
    assert_eq!(param_error("double f(double x, short n)"), (1, "n".into(), "short".into()));
    assert_eq!(param_error("void f(float **pp)"), (0, "pp".into(), "float **".into()));
    assert_eq!(param_error("void f(float a[3], float *y)"), (0, "a".into(), "float[3]".into()));
    assert_eq!(param_error("double f(double v, struct point p)"), (1, "p".into(), "struct point".into()));
    assert_eq!(param_error("double f(long double z)"), (0, "z".into(), "long double".into()));
    assert_eq!(param_error("double f(const double *in)"), (0, "in".into(), "const double *".into()));
    assert_eq!(param_error("double f(double (*g)(double))").1, "g");
    let msg = Signature::parse("double f(double x, unsigned short n)").unwrap_err().to_string();
    assert!(msg.contains("`f`") && msg.contains("`n`") && msg.contains("unsigned short"), "{msg}");
}

#[test]
fn rejects_other_returns_varargs_and_non_declarations() {
    assert_eq!(
        Signature::parse("char f(double x)"),
        Err(SignatureError::UnsupportedReturn { function: "f".into(), ty: "char".into() })
    );
    assert!(matches!(Signature::parse("float *f(double x)"), Err(SignatureError::UnsupportedReturn { .. })));
    assert_eq!(Signature::parse("double f(double x, ...)"), Err(SignatureError::Variadic { function: "f".into() }));
    for bad in ["double f", "double f(double x", "double (double x)", "double f(double x) extra"] {
        assert!(matches!(Signature::parse(bad), Err(SignatureError::Syntax { .. })), "{bad}");
    }
}

#[test]
fn parses_int_and_long_scalars() {
    let s = Signature::parse("long f(int n, signed m, long int k, const double x, int *count)").unwrap();
    assert_eq!(s.ret, Some(Scalar::Long));
    assert_eq!(
        s.params,
        vec![
            p("n", Scalar::Int, ParamRole::Input),
            p("m", Scalar::Int, ParamRole::Input),
            p("k", Scalar::Long, ParamRole::Input),
            p("x", Scalar::Double, ParamRole::Input),
            p("count", Scalar::Int, ParamRole::Output)
        ]
    );
    assert_eq!(s.to_string(), "long f(int n, int m, long k, double x, int *count)");
    assert_eq!(Signature::parse(&s.to_string()).unwrap(), s);
    assert_eq!(Signature::parse("int g(long)").unwrap().to_string(), "int g(long arg0)");
    for bad in ["int f(short n)", "char f(int n)", "int f(signed unsigned n)", "int f(long long long n)"] {
        assert!(Signature::parse(bad).is_err(), "{bad}");
    }
    let json = serde_json::to_string(&Scalar::Int).unwrap();
    assert_eq!(json, "\"int\"");
}

#[test]
fn parses_unsigned_and_fixed_width_scalars() {
    let s = Signature::parse(
        "unsigned f(unsigned int a, long unsigned int b, unsigned long long c, size_t d, uint32_t e, \
         uint64_t g, int64_t h, long long i, double x)",
    )
    .unwrap();
    assert_eq!(s.ret, Some(Scalar::UInt));
    let tys: Vec<Scalar> = s.params.iter().map(|p| p.ty).collect();
    use Scalar::*;
    assert_eq!(tys, [UInt, ULong, ULong, ULong, UInt, ULong, Long, Long, Double]);
    assert_eq!(
        s.to_string(),
        "unsigned int f(unsigned int a, unsigned long b, unsigned long c, unsigned long d, unsigned int e, \
         unsigned long g, long h, long i, double x)"
    );
    assert_eq!(Signature::parse(&s.to_string()).unwrap(), s);
    assert!(UInt.is_unsigned() && ULong.is_unsigned() && !Long.is_unsigned() && !UInt.is_floating());
}

#[test]
fn serde_round_trip() {
    let s = Signature::parse("void fft(float x, float *s, float *c)").unwrap();
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"output\""), "{json}");
    assert_eq!(serde_json::from_str::<Signature>(&json).unwrap(), s);
}
