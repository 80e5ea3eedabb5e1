//! Surrogate → ONNX → Surrogate, exact in f32 and equal to the runtime's own f16 widening in f16.

mod common;

use compnet_onnx::{ExportOptions, OnnxError, from_onnx, import, keys, pb, to_model, to_onnx};
use compnet_runtime::{Precision, Surrogate};

#[test]
fn f32_round_trip_is_exact_for_every_shape_and_opset() {
    for s in common::all() {
        for opset in 13..=17 {
            for batch in [1, 5] {
                let opts = ExportOptions { precision: Precision::F32, batch, opset };
                let back = import(&to_onnx(&s, &opts).unwrap()).unwrap();
                assert_eq!(back.surrogate, s, "{} opset {opset}", s.meta.name);
                assert_eq!(back.options, opts);
            }
        }
    }
}

#[test]
fn f16_round_trip_equals_the_runtimes_f16_blob() {
    for s in common::all() {
        let opts = ExportOptions { precision: Precision::F16, ..Default::default() };
        let back = import(&to_onnx(&s, &opts).unwrap()).unwrap();
        assert_eq!(back.options.precision, Precision::F16);
        // Independent reference: the runtime widens f16 blob weights with `half` on its own path.
        let via_blob = Surrogate::from_blob(&s.to_blob(Precision::F16)).unwrap();
        assert_eq!(back.surrogate.layers, via_blob.layers, "{}", s.meta.name);
        // Normalisation, domain and metadata stay f32 and exact; weights move by ≤ half an f16 ulp.
        assert_eq!((&back.surrogate.input_norm, &back.surrogate.output_norm), (&s.input_norm, &s.output_norm));
        assert_eq!((&back.surrogate.domain, &back.surrogate.meta), (&s.domain, &s.meta));
        for (a, b) in back.surrogate.layers.iter().zip(&s.layers) {
            for (x, y) in a.weights.iter().chain(&a.biases).zip(b.weights.iter().chain(&b.biases)) {
                assert!((x - y).abs() <= y.abs() * 2f32.powi(-11) + 2f32.powi(-25), "{x} vs {y}");
            }
        }
    }
}

#[test]
fn graph_has_the_documented_layout() {
    let s = &common::all()[0]; // 9→8→1, sigmoid, sigmoid
    let m = to_model(s, &ExportOptions { batch: 4, ..Default::default() }).unwrap();
    assert_eq!((m.ir_version, m.opset_import[0].version), (8, 17));
    assert_eq!((m.producer_name.as_str(), m.producer_version.as_str()), ("compnet", env!("CARGO_PKG_VERSION")));
    let g = m.graph.as_ref().unwrap();
    let ops: Vec<&str> = g.node.iter().map(|n| n.op_type.as_str()).collect();
    assert_eq!(ops, ["Mul", "Add", "Gemm", "Sigmoid", "Gemm", "Sigmoid", "Mul", "Add"]);
    let gemm = &g.node[2];
    assert_eq!(gemm.attribute.iter().map(|a| (a.name.as_str(), a.i)).collect::<Vec<_>>(), [("transB", 1)]);
    // Weights [n_out, n_in], bytes exactly the runtime's row-major layout.
    let w = g.initializer.iter().find(|t| t.name == gemm.input[1]).unwrap();
    assert_eq!((w.dims.as_slice(), w.data_type), (&[8i64, 9][..], pb::tensor_proto::DataType::Float as i32));
    let expected: Vec<u8> = s.layers[0].weights.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(w.raw_data, expected);
    let shape = |v: &pb::ValueInfoProto| match v.r#type.as_ref().unwrap().value.as_ref().unwrap() {
        pb::type_proto::Value::TensorType(t) => (
            t.elem_type,
            t.shape
                .as_ref()
                .unwrap()
                .dim
                .iter()
                .map(|d| match d.value {
                    Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) => v,
                    _ => -1,
                })
                .collect::<Vec<_>>(),
        ),
    };
    assert_eq!((g.input[0].name.as_str(), shape(&g.input[0])), ("x", (1, vec![4, 9])));
    assert_eq!((g.output[0].name.as_str(), shape(&g.output[0])), ("y", (1, vec![4, 1])));
    let props: Vec<(&str, &str)> = m.metadata_props.iter().map(|p| (p.key.as_str(), p.value.as_str())).collect();
    let get = |k: &str| props.iter().find(|p| p.0 == k).map(|p| p.1).unwrap();
    assert_eq!(get(keys::PROGRAM), "sobel_9_8_1");
    assert_eq!(get(keys::SOURCE_HASH), format!("{:016x}", s.meta.source_hash));
    assert_eq!(get(keys::PRECISION), "f32");
    assert!(get(keys::INPUT_DOMAIN).starts_with("[["));
    assert_eq!(get(keys::EXPORT_ERROR).parse::<f32>().unwrap(), s.meta.export_error);

    // f16: FLOAT16 initialisers, each cast to FLOAT before its Gemm.
    let m = to_model(s, &ExportOptions { precision: Precision::F16, opset: 13, batch: 1 }).unwrap();
    assert_eq!(m.ir_version, 7);
    let g = m.graph.unwrap();
    let ops: Vec<&str> = g.node.iter().map(|n| n.op_type.as_str()).collect();
    assert_eq!(ops, ["Mul", "Add", "Cast", "Cast", "Gemm", "Sigmoid", "Cast", "Cast", "Gemm", "Sigmoid", "Mul", "Add"]);
    let f16 = g.initializer.iter().filter(|t| t.data_type == pb::tensor_proto::DataType::Float16 as i32).count();
    assert_eq!(f16, 4);
}

#[test]
fn unbounded_domain_and_unknown_error_survive() {
    let s = Surrogate::from_layers("twice", &[(1, 1, vec![2.0], vec![1.0], compnet_runtime::Activation::Identity)])
        .unwrap();
    let back = from_onnx(&to_onnx(&s, &ExportOptions::default()).unwrap()).unwrap();
    assert_eq!(back.domain, [(f32::NEG_INFINITY, f32::INFINITY)]);
    assert!(back.meta.export_error.is_nan());
    assert_eq!((back.layers, back.input_norm, back.output_norm), (s.layers, s.input_norm, s.output_norm));
}

#[test]
fn bad_options_are_errors() {
    let s = &common::all()[1];
    for opset in [12, 18] {
        let e = to_onnx(s, &ExportOptions { opset, ..Default::default() }).unwrap_err();
        assert_eq!(e, OnnxError::UnsupportedOpset(opset));
    }
    assert_eq!(to_onnx(s, &ExportOptions { batch: 0, ..Default::default() }).unwrap_err(), OnnxError::ZeroBatch);
}
