//! Surrogate → ONNX `ModelProto`.

use crate::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, attribute_proto::AttributeType, tensor_proto::DataType,
    tensor_shape_proto::Dimension, tensor_shape_proto::dimension, type_proto,
};
use crate::{ExportOptions, OnnxError, ir_version, keys};
use compnet_runtime::{Activation, Precision, Surrogate};
use prost::Message;

/// Name of the graph's input.
pub(crate) const INPUT: &str = "x";
/// Name of the graph's output.
pub(crate) const OUTPUT: &str = "y";

/// The surrogate as ONNX bytes (a serialised `ModelProto`).
pub fn to_onnx(s: &Surrogate, opts: &ExportOptions) -> Result<Vec<u8>, OnnxError> {
    Ok(to_model(s, opts)?.encode_to_vec())
}

/// The surrogate as an ONNX `ModelProto`, before encoding (for callers that edit or inspect it).
pub fn to_model(s: &Surrogate, opts: &ExportOptions) -> Result<ModelProto, OnnxError> {
    let ir = ir_version(opts.opset).ok_or(OnnxError::UnsupportedOpset(opts.opset))?;
    if opts.batch == 0 {
        return Err(OnnxError::ZeroBatch);
    }
    let mut g = Graph::default();
    let (n_in, n_out) = (s.n_in(), s.n_out());

    let mut cur = INPUT.to_owned();
    cur = g.affine(&cur, "in", &s.input_norm.scale, &s.input_norm.offset, "h0");
    for (k, l) in s.layers.iter().enumerate() {
        let (w, b) = (format!("layer{k}.weight"), format!("layer{k}.bias"));
        let (w_in, b_in) = match opts.precision {
            Precision::F32 => {
                g.f32_init(&w, &[l.n_out, l.n_in], &l.weights);
                g.f32_init(&b, &[l.n_out], &l.biases);
                (w, b)
            }
            Precision::F16 => {
                g.f16_init(&w, &[l.n_out, l.n_in], &l.weights);
                g.f16_init(&b, &[l.n_out], &l.biases);
                (g.cast_to_float(&w), g.cast_to_float(&b))
            }
        };
        let op = match l.activation {
            Activation::Identity => None,
            Activation::Sigmoid => Some("Sigmoid"),
            Activation::Tanh => Some("Tanh"),
            Activation::Relu => Some("Relu"),
        };
        let z = if op.is_some() { format!("z{}", k + 1) } else { format!("h{}", k + 1) };
        g.node("Gemm", &format!("layer{k}.gemm"), &[&cur, &w_in, &b_in], &z, vec![int_attr("transB", 1)]);
        if let Some(op) = op {
            g.node(op, &format!("layer{k}.{}", l.activation.name()), &[&z], &format!("h{}", k + 1), vec![]);
        }
        cur = format!("h{}", k + 1);
    }
    g.affine(&cur, "out", &s.output_norm.scale, &s.output_norm.offset, OUTPUT);

    let precision = keys::precision_name(opts.precision);
    let widths = s.widths().iter().map(usize::to_string).collect::<Vec<_>>().join("→");
    let graph = GraphProto {
        node: g.nodes,
        name: format!("compnet_{}", s.meta.name),
        initializer: g.inits,
        doc_string: format!("compnet surrogate {widths}, {precision} weights, computed in f32"),
        input: vec![value_info(INPUT, opts.batch, n_in)],
        output: vec![value_info(OUTPUT, opts.batch, n_out)],
        ..Default::default()
    };
    Ok(ModelProto {
        ir_version: ir,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opts.opset }],
        producer_name: keys::PRODUCER.to_owned(),
        producer_version: env!("CARGO_PKG_VERSION").to_owned(),
        doc_string: format!("Surrogate of `{}` ({}), written by compnet-onnx.", s.meta.name, s.meta.signature),
        graph: Some(graph),
        metadata_props: keys::entries(&s.meta, &s.domain, opts.precision)
            .into_iter()
            .map(|(key, value)| StringStringEntryProto { key: key.to_owned(), value })
            .collect(),
        ..Default::default()
    })
}

/// Nodes and initialisers being collected.
#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
}

impl Graph {
    fn node(&mut self, op: &str, name: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: vec![output.to_owned()],
            name: name.to_owned(),
            op_type: op.to_owned(),
            attribute,
            ..Default::default()
        });
    }

    fn f32_init(&mut self, name: &str, dims: &[usize], values: &[f32]) {
        self.inits.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            name: name.to_owned(),
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ..Default::default()
        });
    }

    fn f16_init(&mut self, name: &str, dims: &[usize], values: &[f32]) {
        self.inits.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float16 as i32,
            name: name.to_owned(),
            raw_data: values.iter().flat_map(|&v| half::f16::from_f32(v).to_bits().to_le_bytes()).collect(),
            ..Default::default()
        });
    }

    /// `Cast(name, to = FLOAT)`; returns the cast value's name.
    fn cast_to_float(&mut self, name: &str) -> String {
        let out = format!("{name}.f32");
        self.node("Cast", &format!("{name}.cast"), &[name], &out, vec![int_attr("to", DataType::Float as i64)]);
        out
    }

    /// `Mul(input, scale)` then `Add(_, offset)` into `output`; returns `output`.
    fn affine(&mut self, input: &str, which: &str, scale: &[f32], offset: &[f32], output: &str) -> String {
        let (s, o) = (format!("{which}_norm.scale"), format!("{which}_norm.offset"));
        self.f32_init(&s, &[scale.len()], scale);
        self.f32_init(&o, &[offset.len()], offset);
        let scaled = format!("{which}_norm.scaled");
        self.node("Mul", &format!("{which}_norm.mul"), &[input, &s], &scaled, vec![]);
        self.node("Add", &format!("{which}_norm.add"), &[&scaled, &o], output, vec![]);
        output.to_owned()
    }
}

fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.to_owned(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

/// A float tensor value of fixed shape `[batch, n]`.
fn value_info(name: &str, batch: usize, n: usize) -> ValueInfoProto {
    let dim = |v: usize| Dimension { value: Some(dimension::Value::DimValue(v as i64)), ..Default::default() };
    ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim: vec![dim(batch), dim(n)] }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}
