//! ONNX → Surrogate, for the MLP graphs [`crate::to_onnx`] writes.

use std::collections::HashMap;

use crate::pb::{ModelProto, NodeProto, TensorProto, ValueInfoProto, tensor_proto::DataType, type_proto};
use crate::{ExportOptions, OnnxError, ir_version, keys};
use compnet_runtime::{Activation, Affine, Layer, Metadata, Precision, Surrogate};
use prost::Message;

/// A surrogate read back from ONNX, with the options it was evidently written with.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedModel {
    /// The surrogate (f16 weights widened to f32).
    pub surrogate: Surrogate,
    /// Precision of the stored weights, batch of the input shape, opset.
    pub options: ExportOptions,
}

/// Reads a surrogate from ONNX bytes written by [`crate::to_onnx`].
pub fn from_onnx(bytes: &[u8]) -> Result<Surrogate, OnnxError> {
    Ok(import(bytes)?.surrogate)
}

/// Reads a surrogate and its export options from ONNX bytes written by [`crate::to_onnx`].
pub fn import(bytes: &[u8]) -> Result<ImportedModel, OnnxError> {
    let model = ModelProto::decode(bytes).map_err(|e| OnnxError::Decode(e.to_string()))?;
    from_model(&model)
}

/// A constant: an initialiser, or a `Cast` of one.
#[derive(Debug, Clone)]
struct Const {
    dims: Vec<usize>,
    values: Vec<f32>,
    f16: bool,
}

impl Const {
    /// The values as a vector of `n`, for shapes `[n]` and `[1, n]`.
    fn vector(&self, name: &str, n: usize, what: &str) -> Result<Vec<f32>, OnnxError> {
        let ok = matches!(self.dims.as_slice(), [m] | [1, m] if *m == n);
        if !ok {
            return Err(OnnxError::Shape(format!("{what} {name:?} has shape {:?}, expected [{n}]", self.dims)));
        }
        Ok(self.values.clone())
    }
}

/// Reads a surrogate from a decoded `ModelProto` written by [`crate::to_model`].
pub fn from_model(model: &ModelProto) -> Result<ImportedModel, OnnxError> {
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .ok_or_else(|| OnnxError::Structure("no opset_import for the default ONNX domain".into()))?;
    ir_version(opset).ok_or(OnnxError::UnsupportedOpset(opset))?;
    let graph = model.graph.as_ref().ok_or_else(|| OnnxError::Structure("model has no graph".into()))?;

    let mut consts: HashMap<String, Const> = HashMap::new();
    for t in &graph.initializer {
        consts.insert(t.name.clone(), read_tensor(t)?);
    }
    // Inputs that are also initialisers (IR < 4 style) are constants, not graph inputs.
    let inputs: Vec<&ValueInfoProto> = graph.input.iter().filter(|i| !consts.contains_key(&i.name)).collect();
    let [input] = inputs.as_slice() else {
        return Err(OnnxError::Structure(format!("expected one graph input, found {}", inputs.len())));
    };
    let [output] = graph.output.as_slice() else {
        return Err(OnnxError::Structure(format!("expected one graph output, found {}", graph.output.len())));
    };
    let (batch, n_in) = float_matrix(input)?;

    let mut chain = Chain { cur: input.name.clone(), width: n_in, ..Default::default() };
    for (index, node) in graph.node.iter().enumerate() {
        chain.step(index, node, &mut consts)?;
    }
    if chain.cur != output.name {
        return Err(OnnxError::Structure(format!(
            "graph output {:?} is not the end of the layer chain (which ends at {:?})",
            output.name, chain.cur
        )));
    }
    if chain.layers.is_empty() {
        return Err(OnnxError::Structure("no Gemm layer in the graph".into()));
    }
    let (out_batch, n_out) = float_matrix(output)?;
    if out_batch != batch || n_out != chain.width {
        return Err(OnnxError::Shape(format!(
            "output {:?} is declared [{out_batch}, {n_out}], the layers give [{batch}, {}]",
            output.name, chain.width
        )));
    }

    let props: HashMap<&str, &str> = model.metadata_props.iter().map(|p| (p.key.as_str(), p.value.as_str())).collect();
    let prop = |key: &str| {
        props.get(key).copied().ok_or_else(|| OnnxError::Metadata {
            key: key.to_owned(),
            value: String::new(),
            why: "missing from metadata_props (not written by compnet-onnx, or truncated)".into(),
        })
    };
    let meta = Metadata {
        name: prop(keys::PROGRAM)?.to_owned(),
        signature: prop(keys::SIGNATURE)?.to_owned(),
        source_hash: keys::parse_hash(prop(keys::SOURCE_HASH)?)?,
        export_error: keys::parse_error(prop(keys::EXPORT_ERROR)?)?,
    };
    let domain = keys::domain_from_json(prop(keys::INPUT_DOMAIN)?)?;
    let precision = if chain.f16 { Precision::F16 } else { Precision::F32 };
    let declared = prop(keys::PRECISION)?;
    if declared != keys::precision_name(precision) {
        return Err(OnnxError::Metadata {
            key: keys::PRECISION.into(),
            value: declared.into(),
            why: format!("the weights are stored as {}", keys::precision_name(precision)),
        });
    }
    let identity = |n: usize| (vec![1.0; n], vec![0.0; n]);
    let (is, io) = (chain.in_scale.unwrap_or(identity(n_in).0), chain.in_offset.unwrap_or(identity(n_in).1));
    let (os, oo) = (chain.out_scale.unwrap_or(identity(n_out).0), chain.out_offset.unwrap_or(identity(n_out).1));
    let surrogate =
        Surrogate::new(meta, domain, Affine { scale: is, offset: io }, Affine { scale: os, offset: oo }, chain.layers)?;
    Ok(ImportedModel { surrogate, options: ExportOptions { precision, batch, opset } })
}

/// `[batch, n]` of a FLOAT value with a fixed shape.
fn float_matrix(v: &ValueInfoProto) -> Result<(usize, usize), OnnxError> {
    let Some(type_proto::Value::TensorType(t)) = v.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(OnnxError::Structure(format!("{:?} is not a tensor value", v.name)));
    };
    if t.elem_type != DataType::Float as i32 {
        return Err(OnnxError::Structure(format!("{:?} has element type {}, expected FLOAT", v.name, t.elem_type)));
    }
    let dims: Vec<Option<i64>> = t
        .shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(crate::pb::tensor_shape_proto::dimension::Value::DimValue(v)) => Some(v),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    match dims.as_slice() {
        [Some(b), Some(n)] if *b >= 1 && *n >= 1 => Ok((*b as usize, *n as usize)),
        _ => Err(OnnxError::Shape(format!("{:?} must have a fixed shape [batch, n], found {dims:?}", v.name))),
    }
}

/// Decodes a FLOAT or FLOAT16 initialiser into f32 values.
fn read_tensor(t: &TensorProto) -> Result<Const, OnnxError> {
    let bad = |why: String| OnnxError::Tensor { name: t.name.clone(), why };
    if t.data_location == Some(1) {
        return Err(bad("external data is not supported".into()));
    }
    let dims = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad(format!("negative dimension {d}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let count: usize = dims.iter().product();
    let (values, f16) = if t.data_type == DataType::Float as i32 {
        let v: Vec<f32> = if t.raw_data.is_empty() {
            t.float_data.clone()
        } else {
            t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        };
        (v, false)
    } else if t.data_type == DataType::Float16 as i32 {
        let v: Vec<f32> = if t.raw_data.is_empty() {
            t.int32_data.iter().map(|&b| half::f16::from_bits(b as u16).to_f32()).collect()
        } else {
            t.raw_data
                .chunks_exact(2)
                .map(|c| half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32())
                .collect()
        };
        (v, true)
    } else {
        let ty = DataType::try_from(t.data_type).map_or("unknown", |d| d.as_str_name());
        return Err(bad(format!("element type {ty} ({}), expected FLOAT or FLOAT16", t.data_type)));
    };
    let elem = if f16 { 2 } else { 4 };
    if values.len() != count || (!t.raw_data.is_empty() && t.raw_data.len() != count * elem) {
        return Err(bad(format!("shape {dims:?} needs {count} values, the data holds {}", values.len())));
    }
    Ok(Const { dims, values, f16 })
}

/// The state of the walk along the node chain.
#[derive(Debug, Default)]
struct Chain {
    /// The running activation's name.
    cur: String,
    /// Its width.
    width: usize,
    in_scale: Option<Vec<f32>>,
    in_offset: Option<Vec<f32>>,
    out_scale: Option<Vec<f32>>,
    out_offset: Option<Vec<f32>>,
    layers: Vec<Layer>,
    /// The previous op on the chain was a Gemm (an activation may follow).
    after_gemm: bool,
    /// Some layer's weights were stored as f16.
    f16: bool,
}

impl Chain {
    fn step(&mut self, index: usize, node: &NodeProto, consts: &mut HashMap<String, Const>) -> Result<(), OnnxError> {
        let op = node.op_type.as_str();
        let unexpected = |why: &str| OnnxError::UnexpectedOp {
            index,
            name: node.name.clone(),
            op: op.to_owned(),
            why: why.to_owned(),
        };
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(unexpected(&format!("custom domain {:?}", node.domain)));
        }
        let [out] = node.output.as_slice() else {
            return Err(unexpected(&format!("expected one output, found {}", node.output.len())));
        };
        let constant = |name: &str| -> Result<&Const, OnnxError> {
            consts.get(name).ok_or_else(|| OnnxError::MissingInitializer {
                index,
                op: op.to_owned(),
                input: name.to_owned(),
            })
        };
        let int_attr =
            |name: &str, default: i64| node.attribute.iter().find(|a| a.name == name).map_or(default, |a| a.i);
        let float_attr = |name: &str| node.attribute.iter().find(|a| a.name == name).map_or(1.0, |a| a.f);
        match op {
            "Cast" => {
                let [input] = node.input.as_slice() else { return Err(unexpected("Cast takes one input")) };
                if int_attr("to", 0) != DataType::Float as i64 {
                    return Err(unexpected("only Cast to FLOAT is expected"));
                }
                if *input == self.cur {
                    return Err(unexpected("a Cast of the running value; only initialisers are cast"));
                }
                let c = constant(input)?.clone();
                consts.insert(out.clone(), c);
                return Ok(());
            }
            "Mul" | "Add" => {
                let [a, b] = node.input.as_slice() else { return Err(unexpected("expected two inputs")) };
                let other = if *a == self.cur {
                    b
                } else if *b == self.cur {
                    a
                } else {
                    return Err(unexpected(&format!("neither input is the running value {:?}", self.cur)));
                };
                let what = if self.layers.is_empty() { "input normalisation" } else { "output normalisation" };
                let v = constant(other)?.vector(other, self.width, what)?;
                let (scale, offset) = if self.layers.is_empty() {
                    (&mut self.in_scale, &mut self.in_offset)
                } else {
                    (&mut self.out_scale, &mut self.out_offset)
                };
                match op {
                    "Mul" if scale.is_none() && offset.is_none() => *scale = Some(v),
                    "Add" if offset.is_none() => *offset = Some(v),
                    _ => return Err(unexpected(&format!("a second {op} in the {what} (expected Mul then Add)"))),
                }
            }
            "Gemm" => {
                if self.out_scale.is_some() || self.out_offset.is_some() {
                    return Err(unexpected("a layer after the output normalisation"));
                }
                let (a, w, b) = match node.input.as_slice() {
                    [a, w] => (a, w, None),
                    [a, w, b] => (a, w, Some(b)),
                    _ => return Err(unexpected("Gemm takes two or three inputs")),
                };
                if *a != self.cur {
                    return Err(unexpected(&format!("input A is {a:?}, not the running value {:?}", self.cur)));
                }
                if int_attr("transA", 0) != 0 || float_attr("alpha") != 1.0 || float_attr("beta") != 1.0 {
                    return Err(unexpected("expected transA = 0, alpha = 1, beta = 1"));
                }
                let wc = constant(w)?;
                let (n_out, n_in, weights) = match (int_attr("transB", 0), wc.dims.as_slice()) {
                    (1, &[o, i]) => (o, i, wc.values.clone()),
                    (0, &[i, o]) => (o, i, (0..o * i).map(|k| wc.values[(k % i) * o + k / i]).collect()),
                    _ => return Err(OnnxError::Shape(format!("Gemm weights {w:?} have shape {:?}", wc.dims))),
                };
                if n_in != self.width {
                    return Err(OnnxError::Shape(format!(
                        "Gemm node {index} weights {w:?} take {n_in} inputs, the running value has {}",
                        self.width
                    )));
                }
                let biases = match b {
                    Some(b) => constant(b)?.vector(b, n_out, "Gemm bias")?,
                    None => vec![0.0; n_out],
                };
                self.f16 |= wc.f16;
                let layer = Layer { n_in, n_out, weights, biases, activation: Activation::Identity };
                self.layers.push(layer);
                self.width = n_out;
                self.cur = out.clone();
                self.after_gemm = true;
                return Ok(());
            }
            "Sigmoid" | "Tanh" | "Relu" => {
                if node.input.as_slice() != [self.cur.clone()] {
                    return Err(unexpected(&format!("expected the running value {:?} as only input", self.cur)));
                }
                let layer = match self.layers.last_mut() {
                    Some(l) if self.after_gemm => l,
                    _ => return Err(unexpected("an activation that does not follow a Gemm")),
                };
                layer.activation = Activation::from_name(&op.to_lowercase()).unwrap_or(Activation::Identity);
            }
            _ => {
                return Err(unexpected(
                    "not part of the compnet MLP layout (Mul, Add, Gemm, Cast, Sigmoid, Tanh, Relu)",
                ));
            }
        }
        self.after_gemm = false;
        self.cur = out.clone();
        Ok(())
    }
}
