//! Reads the PyTorch reference fixtures in `tests/fixtures/torch/` (schema: that folder's README)
//! and compares results with the tolerance rule stated there.

use serde_json::Value;
use std::path::PathBuf;

/// One tensor of a fixture: shape and flat row-major values (parsed as f32, as the README says).
#[derive(Debug, Clone)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
    /// Integer tensors (targets, indices) are kept exact here.
    pub ints: Vec<i64>,
}

impl Tensor {
    fn parse(v: &Value) -> Tensor {
        let shape = v["shape"]
            .as_array()
            .expect("shape")
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        let arr = v["data"].as_array().expect("data");
        let is_int = v["dtype"].as_str() == Some("int64");
        let data = arr
            .iter()
            .map(|x| match x {
                // Parse the printed decimal as f32 directly (shortest round-trip representation).
                Value::Number(n) => n.to_string().parse::<f32>().unwrap(),
                other => panic!("non-numeric tensor value {other}"),
            })
            .collect();
        let ints = if is_int {
            arr.iter().map(|x| x.as_i64().unwrap()).collect()
        } else {
            Vec::new()
        };
        Tensor { shape, data, ints }
    }
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A fixture case.
pub struct Fixture {
    pub name: String,
    pub json: Value,
}

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch")
}

pub fn load(name: &str) -> Fixture {
    let path = dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Fixture {
        name: name.to_string(),
        json: serde_json::from_str(&text).expect("valid JSON"),
    }
}

/// Names of all cases of an op, from `index.json`.
pub fn cases_of(op: &str) -> Vec<String> {
    let idx: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("index.json")).unwrap()).unwrap();
    idx["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == op)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

impl Fixture {
    fn get(&self, section: &str, key: &str) -> Tensor {
        let v = &self.json[section][key];
        assert!(!v.is_null(), "{}: no {section}.{key}", self.name);
        Tensor::parse(v)
    }
    pub fn input(&self, key: &str) -> Tensor {
        self.get("inputs", key)
    }
    pub fn output(&self, key: &str) -> Tensor {
        self.get("outputs", key)
    }
    pub fn grad(&self, key: &str) -> Tensor {
        self.get("grads", key)
    }
    pub fn grad_output(&self) -> Tensor {
        self.get("grad_output", "dy")
    }
    pub fn intermediate(&self, key: &str) -> Tensor {
        self.get("intermediates", key)
    }
    pub fn param(&self, key: &str) -> &Value {
        &self.json["params"][key]
    }
    pub fn has(&self, section: &str, key: &str) -> bool {
        !self.json[section][key].is_null()
    }
    /// `(rtol, atol_of_max)` from the case.
    pub fn tolerance(&self) -> (f64, f64) {
        let t = &self.json["tolerance"];
        (
            t["rtol"].as_f64().unwrap(),
            t["atol_of_max"].as_f64().unwrap(),
        )
    }

    /// Asserts `got` matches `want` with the fixture README's rule:
    /// `|got − ref| ≤ rtol·|ref| + atol_of_max·max|ref|` for every element.
    pub fn assert_close(&self, what: &str, got: &[f32], want: &Tensor) {
        let (rtol, atol_of_max) = self.tolerance();
        assert_close_with(
            &format!("{}: {what}", self.name),
            got,
            &want.data,
            rtol,
            atol_of_max,
        );
    }
}

pub fn assert_close_with(what: &str, got: &[f32], want: &[f32], rtol: f64, atol_of_max: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let max = want.iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
    let mut worst = (0usize, 0f64);
    for (i, (&g, &r)) in got.iter().zip(want).enumerate() {
        let (g, r) = (g as f64, r as f64);
        let err = (g - r).abs();
        let allowed = rtol * r.abs() + atol_of_max * max;
        assert!(g.is_finite(), "{what}: element {i} is {g}");
        if err > allowed && err - allowed > worst.1 {
            worst = (i, err - allowed);
        }
    }
    if worst.1 > 0.0 {
        let i = worst.0;
        panic!(
            "{what}: element {i}: got {} want {} (max |ref| {max})",
            got[i], want[i]
        );
    }
}
