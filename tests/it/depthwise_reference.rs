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

/// A geometry as run-time numbers, and its kernels as function pointers: the check is compiled
/// once, not once per geometry.
#[derive(Clone, Copy, Debug)]
struct Spec {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    ho: usize,
    wo: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    ph: usize,
    pw: usize,
    dh: usize,
    dw: usize,
}

struct Kernels {
    sp: Spec,
    forward: Forward<f64>,
    forward_f32: Forward<f32>,
    backward_data: fn(&[f64], &[f64], &mut [f64]),
    backward_weight: BackwardWeight,
}

/// `(x, w, bias, y)`.
type Forward<E> = fn(&[E], &[E], Option<&[E]>, &mut [E]);
/// `(x, dy, dw, dbias)`.
type BackwardWeight = fn(&[f64], &[f64], &mut [f64], Option<&mut [f64]>);

/// `(x index, y index, tap)` of every multiply-add of the convolution.
fn macs(g: &Spec) -> Vec<(usize, usize, usize)> {
    let mut v = vec![];
    for p in 0..g.n * g.c {
        for i in 0..g.ho {
            for j in 0..g.wo {
                for u in 0..g.kh {
                    for w in 0..g.kw {
                        let ih = (i * g.sh + u * g.dh) as isize - g.ph as isize;
                        let iw = (j * g.sw + w * g.dw) as isize - g.pw as isize;
                        if ih < 0 || iw < 0 || ih as usize >= g.h || iw as usize >= g.w {
                            continue;
                        }
                        let xi = p * g.h * g.w + ih as usize * g.w + iw as usize;
                        let yi = p * g.ho * g.wo + i * g.wo + j;
                        v.push((xi, yi, (p % g.c) * g.kh * g.kw + u * g.kw + w));
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
    let sp = Spec {
        n: G::N,
        c: G::C,
        h: G::H,
        w: G::W,
        ho: G::HO,
        wo: G::WO,
        kh: G::KH,
        kw: G::KW,
        sh: G::SH,
        sw: G::SW,
        ph: G::PH,
        pw: G::PW,
        dh: G::DH,
        dw: G::DW,
    };
    check_kernels(
        &Kernels {
            sp,
            forward: depthwise::forward::<G, f64>,
            forward_f32: depthwise::forward::<G, f32>,
            backward_data: depthwise::backward_data::<G, f64>,
            backward_weight: depthwise::backward_weight::<G, f64>,
        },
        seed,
    )
}

fn check_kernels(k: &Kernels, seed: u64) {
    let g = k.sp;
    let (x_len, y_len, w_len) = (
        g.n * g.c * g.h * g.w,
        g.n * g.c * g.ho * g.wo,
        g.c * g.kh * g.kw,
    );
    let what = format!("{g:?}");
    let mut rng = Rng(seed | 1);
    let x = rng.vec(x_len);
    let w = rng.vec(w_len);
    let b = rng.vec(g.c);
    let dy = rng.vec(y_len);
    let m = macs(&g);

    let mut ry: Vec<f64> = (0..y_len).map(|i| b[i / (g.ho * g.wo) % g.c]).collect();
    let (mut rdx, mut rdw, mut rdb) = (vec![0.0; x_len], rng.vec(w_len), rng.vec(g.c));
    let (dw0, db0) = (rdw.clone(), rdb.clone());
    for &(xi, yi, t) in &m {
        ry[yi] += x[xi] * w[t];
        rdx[xi] += dy[yi] * w[t];
        rdw[t] += dy[yi] * x[xi];
    }
    for (i, &d) in dy.iter().enumerate() {
        rdb[i / (g.ho * g.wo) % g.c] += d;
    }

    let mut y = vec![f64::NAN; y_len];
    (k.forward)(&x, &w, Some(&b), &mut y);
    close(&format!("{what} forward"), &y, &ry);
    let mut dx = vec![f64::NAN; x_len];
    (k.backward_data)(&dy, &w, &mut dx);
    close(&format!("{what} backward_data"), &dx, &rdx);
    let (mut dw, mut db) = (dw0, db0);
    (k.backward_weight)(&x, &dy, &mut dw, Some(&mut db));
    close(&format!("{what} backward_weight"), &dw, &rdw);
    close(&format!("{what} backward_weight bias"), &db, &rdb);

    // f32 agrees too (another lane width per register, the same code paths).
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
    let mut y32 = vec![f32::NAN; y_len];
    (k.forward_f32)(&x32, &w32, None, &mut y32);
    for (i, (&a, &r)) in y32.iter().zip(&ry).enumerate() {
        let r = r - b[i / (g.ho * g.wo) % g.c];
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
