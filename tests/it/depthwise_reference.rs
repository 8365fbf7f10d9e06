//! The depthwise kernels (`kernels::depthwise`) against a direct f64 transcription of their
//! definitions, on geometries that exercise every code path: unmasked tiles, tiles with padding
//! columns, tiles at the very ends of the tensor, row blocks of 8, 4 and 1, rows read only
//! partly (padding rows), strides, dilation, kernels with more taps than one weight pass,
//! widths below one vector step.

use constnet::kernels::depthwise::{self, DepthwiseGeom, DepthwiseGeometry};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

/// `(x index, y index, tap)` of every multiply-add of the convolution.
fn macs<G: DepthwiseGeometry>() -> Vec<(usize, usize, usize)> {
    let mut v = vec![];
    for p in 0..G::N * G::C {
        for i in 0..G::HO {
            for j in 0..G::WO {
                for u in 0..G::KH {
                    for w in 0..G::KW {
                        let ih = (i * G::SH + u * G::DH) as isize - G::PH as isize;
                        let iw = (j * G::SW + w * G::DW) as isize - G::PW as isize;
                        if ih < 0 || iw < 0 || ih as usize >= G::H || iw as usize >= G::W {
                            continue;
                        }
                        let xi = p * G::H * G::W + ih as usize * G::W + iw as usize;
                        let yi = p * G::HO * G::WO + i * G::WO + j;
                        v.push((xi, yi, (p % G::C) * G::KH * G::KW + u * G::KW + w));
                    }
                }
            }
        }
    }
    v
}

fn close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0),
            "{what}[{i}]: {a} vs {b}"
        );
    }
}

fn check<G: DepthwiseGeometry>(seed: u64) {
    let what = format!(
        "N{} C{} {}×{} → {}×{} K{}×{} S{},{} P{},{} D{},{}",
        G::N,
        G::C,
        G::H,
        G::W,
        G::HO,
        G::WO,
        G::KH,
        G::KW,
        G::SH,
        G::SW,
        G::PH,
        G::PW,
        G::DH,
        G::DW
    );
    let mut rng = Rng(seed | 1);
    let x = rng.vec(G::X_LEN);
    let w = rng.vec(G::W_LEN);
    let b = rng.vec(G::C);
    let dy = rng.vec(G::Y_LEN);
    let m = macs::<G>();

    let mut ry: Vec<f64> = (0..G::Y_LEN)
        .map(|i| b[i / (G::HO * G::WO) % G::C])
        .collect();
    let (mut rdx, mut rdw, mut rdb) = (vec![0.0; G::X_LEN], rng.vec(G::W_LEN), rng.vec(G::C));
    let (dw0, db0) = (rdw.clone(), rdb.clone());
    for &(xi, yi, t) in &m {
        ry[yi] += x[xi] * w[t];
        rdx[xi] += dy[yi] * w[t];
        rdw[t] += dy[yi] * x[xi];
    }
    for (i, &g) in dy.iter().enumerate() {
        rdb[i / (G::HO * G::WO) % G::C] += g;
    }

    let mut y = vec![f64::NAN; G::Y_LEN];
    depthwise::forward::<G, f64>(&x, &w, Some(&b), &mut y);
    close(&format!("{what} forward"), &y, &ry);
    let mut dx = vec![f64::NAN; G::X_LEN];
    depthwise::backward_data::<G, f64>(&dy, &w, &mut dx);
    close(&format!("{what} backward_data"), &dx, &rdx);
    let (mut dw, mut db) = (dw0, db0);
    depthwise::backward_weight::<G, f64>(&x, &dy, &mut dw, Some(&mut db));
    close(&format!("{what} backward_weight"), &dw, &rdw);
    close(&format!("{what} backward_weight bias"), &db, &rdb);

    // f32 agrees too (another lane width per register, the same code paths).
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
    let mut y32 = vec![f32::NAN; G::Y_LEN];
    depthwise::forward::<G, f32>(&x32, &w32, None, &mut y32);
    for (i, (&a, &r)) in y32.iter().zip(&ry).enumerate() {
        let r = r - b[i / (G::HO * G::WO) % G::C];
        assert!(
            (a as f64 - r).abs() <= 1e-5 * 20.0,
            "{what} f32 forward[{i}]: {a} vs {r}"
        );
    }
}

/// `(N, C, H, W, K, S, P, D)`.
macro_rules! geoms {
    ($(($n:literal, $c:literal, $h:literal, $w:literal, $k:literal, $s:literal, $p:literal, $d:literal)),* $(,)?) => {
        const GEOMS: &[fn(u64)] = &[$(
            check::<DepthwiseGeom<
                $n, $c, $h, $w,
                { ($h + 2 * $p - $d * ($k - 1) - 1) / $s + 1 },
                { ($w + 2 * $p - $d * ($k - 1) - 1) / $s + 1 },
                $k, $s, $p, $d,
            >>,
        )*];
    };
}

geoms!(
    (1, 3, 56, 56, 3, 1, 1, 1),
    (2, 2, 20, 37, 3, 1, 1, 1),
    (1, 2, 9, 19, 3, 1, 1, 1),
    (2, 3, 7, 7, 3, 1, 1, 1),
    (1, 2, 3, 5, 3, 1, 1, 1),
    (1, 2, 16, 16, 3, 1, 0, 1),
    (1, 2, 17, 23, 3, 2, 1, 1),
    (2, 2, 14, 14, 3, 2, 1, 1),
    (1, 2, 21, 26, 5, 1, 2, 1),
    (1, 2, 18, 30, 3, 1, 2, 2),
    (1, 1, 12, 40, 3, 3, 4, 2),
    (1, 2, 11, 13, 1, 1, 0, 1),
    (1, 1, 10, 12, 7, 1, 3, 1),
    (1, 1, 4, 9, 3, 1, 3, 1),
);

/// `(N, C, H, W, KH, KW, SH, SW, PH, PW, DH, DW)`.
macro_rules! rect_geoms {
    ($(($n:literal, $c:literal, $h:literal, $w:literal, $kh:literal, $kw:literal, $sh:literal, $sw:literal, $ph:literal, $pw:literal, $dh:literal, $dw:literal)),* $(,)?) => {
        const RECT_GEOMS: &[fn(u64)] = &[$(
            check::<DepthwiseGeom<
                $n, $c, $h, $w,
                { ($h + 2 * $ph - $dh * ($kh - 1) - 1) / $sh + 1 },
                { ($w + 2 * $pw - $dw * ($kw - 1) - 1) / $sw + 1 },
                $kh, $sh, $ph, $dh, $kw, $sw, $pw, $dw,
            >>,
        )*];
    };
}

rect_geoms!(
    (1, 3, 20, 23, 3, 1, 1, 1, 1, 0, 1, 1),
    (2, 2, 11, 30, 1, 5, 1, 1, 0, 2, 1, 1),
    (1, 2, 17, 23, 3, 3, 1, 2, 1, 1, 1, 1),
    (1, 2, 17, 23, 3, 3, 2, 1, 1, 1, 1, 1),
    (1, 2, 18, 30, 3, 5, 1, 1, 2, 1, 2, 1),
    (1, 1, 9, 40, 7, 1, 1, 1, 3, 0, 1, 1),
);

#[test]
fn depthwise_matches_definition() {
    for (i, case) in GEOMS.iter().chain(RECT_GEOMS).enumerate() {
        case(i as u64 + 300);
    }
}
