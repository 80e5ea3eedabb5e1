//! Malformed ONNX is an error with a clear message, never a panic.

mod common;

use compnet_onnx::{ExportOptions, OnnxError, from_model, from_onnx, pb, to_model, to_onnx};
use compnet_runtime::{OnnxRunner, Precision};
use prost::Message;

fn model() -> pb::ModelProto {
    to_model(&common::all()[0], &ExportOptions { precision: Precision::F16, ..Default::default() }).unwrap()
}

fn graph(m: &mut pb::ModelProto) -> &mut pb::GraphProto {
    m.graph.as_mut().unwrap()
}

#[test]
fn corrupt_bytes_are_errors() {
    let e = from_onnx(&[0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap_err();
    assert!(matches!(e, OnnxError::Decode(_)), "{e}");
    assert!(e.to_string().starts_with("not an ONNX model"), "{e}");
    // Empty bytes are an empty ModelProto: no opset, no graph.
    assert!(matches!(from_onnx(&[]).unwrap_err(), OnnxError::Structure(_)));
    let e = OnnxRunner::load(&[0xffu8, 0xff, 0xff, 0xff, 0x0f][..], 1).unwrap_err();
    assert!(e.to_string().starts_with("<bytes>: not a valid ONNX protobuf"), "{e}");
}

#[test]
fn truncations_and_bit_flips_never_panic() {
    let bytes = to_onnx(&common::all()[1], &ExportOptions::default()).unwrap();
    let mut errors = 0;
    for cut in 0..bytes.len() {
        errors += from_onnx(&bytes[..cut]).is_err() as usize;
    }
    assert_eq!(errors, bytes.len(), "every truncation is an error");
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x5a;
        let _ = from_onnx(&bad); // Ok (a flipped weight byte) or Err; never a panic.
    }
    for cut in (0..bytes.len()).step_by(17) {
        assert!(OnnxRunner::load(&bytes[..cut], 1).is_err(), "runner accepted a truncation to {cut} bytes");
    }
}

#[test]
fn unsupported_op_is_named() {
    let mut m = model();
    let node = graph(&mut m).node.iter_mut().find(|n| n.op_type == "Sigmoid").unwrap();
    node.op_type = "Softmax".into();
    let e = from_model(&m).unwrap_err();
    assert!(matches!(&e, OnnxError::UnexpectedOp { op, .. } if op == "Softmax"), "{e}");
    assert!(e.to_string().contains("unexpected op Softmax"), "{e}");

    let mut m = model();
    graph(&mut m).node.swap(0, 1); // Add before Mul: not the x·scale + offset layout.
    assert!(from_model(&m).is_err());

    let mut m = model();
    let act = graph(&mut m).node.iter().position(|n| n.op_type == "Sigmoid").unwrap();
    let dup = graph(&mut m).node[act].clone();
    graph(&mut m).node.insert(act + 1, dup); // Two activations in a row.
    assert!(matches!(from_model(&m).unwrap_err(), OnnxError::UnexpectedOp { .. }));
}

#[test]
fn missing_initialiser_is_named() {
    let mut m = model();
    graph(&mut m).initializer.retain(|t| t.name != "layer1.weight");
    let e = from_model(&m).unwrap_err();
    assert!(matches!(&e, OnnxError::MissingInitializer { input, .. } if input == "layer1.weight"), "{e}");
}

#[test]
fn shape_mismatches_are_errors() {
    let mut m = model();
    let w = graph(&mut m).initializer.iter_mut().find(|t| t.name == "layer1.weight").unwrap();
    w.dims = vec![2, 4]; // 8 values, but the running value has 8 features and one output.
    assert!(matches!(from_model(&m).unwrap_err(), OnnxError::Shape(_)));

    let mut m = model();
    let s = graph(&mut m).initializer.iter_mut().find(|t| t.name == "in_norm.scale").unwrap();
    s.dims = vec![8];
    s.raw_data.truncate(32);
    let e = from_model(&m).unwrap_err();
    assert!(matches!(e, OnnxError::Shape(_)), "{e}");

    let mut m = model();
    let w = graph(&mut m).initializer.iter_mut().find(|t| t.name == "layer0.weight").unwrap();
    w.raw_data.pop();
    assert!(matches!(from_model(&m).unwrap_err(), OnnxError::Tensor { .. }));

    let mut m = model();
    let w = graph(&mut m).initializer.iter_mut().find(|t| t.name == "layer0.bias").unwrap();
    w.data_type = pb::tensor_proto::DataType::Int64 as i32;
    let e = from_model(&m).unwrap_err();
    assert!(e.to_string().contains("INT64"), "{e}");

    let mut m = model();
    m.opset_import[0].version = 11;
    assert_eq!(from_model(&m).unwrap_err(), OnnxError::UnsupportedOpset(11));

    let mut m = model();
    let out = graph(&mut m).output[0].clone();
    graph(&mut m).output.push(out);
    assert!(matches!(from_model(&m).unwrap_err(), OnnxError::Structure(_)));

    let mut m = model();
    m.metadata_props.iter_mut().find(|p| p.key == compnet_onnx::keys::INPUT_DOMAIN).unwrap().value = "[[1]]".into();
    assert!(matches!(from_model(&m).unwrap_err(), OnnxError::Metadata { .. }));

    // The runner rejects a model whose input has no fixed feature dimension.
    let mut m = model();
    if let Some(pb::type_proto::Value::TensorType(t)) = graph(&mut m).input[0].r#type.as_mut().unwrap().value.as_mut() {
        t.shape.as_mut().unwrap().dim[1].value = Some(pb::tensor_shape_proto::dimension::Value::DimParam("n".into()));
    }
    let e = OnnxRunner::load(&m.encode_to_vec(), 1).unwrap_err();
    assert!(e.to_string().contains("no fixed feature dimension"), "{e}");
}
