//! The convolution kernels against a straightforward reference (kept here, not in `src`), over
//! many geometries: stride 1/2/3, padding 0..=3 (8 for one wide kernel), dilation 1/2, groups
//! 1/2/3/C, kernel 1/3/4/5/7/17, odd and tiny sizes, dense (`1 × 1` maps), batches; `f32` and
//! `f64`. Also checks the overwrite/accumulate contract and that padding never lets a value
//! from outside a window (an infinity) leak into an output.

use constnet::kernels::conv::{self, ConvGeometry, Geom};

/// Deterministic values in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

/// A geometry as run-time numbers.
#[derive(Clone, Copy, Debug)]
struct Spec {
    n: usize,
    g: usize,
    cig: usize,
    cog: usize,
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

impl Spec {
    fn of<C: ConvGeometry>() -> Self {
        Spec {
            n: C::N,
            g: C::G,
            cig: C::CIG,
            cog: C::COG,
            h: C::H,
            w: C::W,
            ho: C::HO,
            wo: C::WO,
            kh: C::KH,
            kw: C::KW,
            sh: C::SH,
            sw: C::SW,
            ph: C::PH,
            pw: C::PW,
            dh: C::DH,
            dw: C::DW,
        }
    }
    fn ci(&self) -> usize {
        self.g * self.cig
    }
    fn x_len(&self) -> usize {
        self.n * self.ci() * self.h * self.w
    }
    fn y_len(&self) -> usize {
        self.n * self.co() * self.ho * self.wo
    }
    fn w_len(&self) -> usize {
        self.co() * self.cig * self.kh * self.kw
    }
    fn co(&self) -> usize {
        self.g * self.cog
    }
    fn x_at(&self, n: usize, c: usize, i: usize, j: usize) -> usize {
        ((n * self.ci() + c) * self.h + i) * self.w + j
    }
    fn y_at(&self, n: usize, c: usize, i: usize, j: usize) -> usize {
        ((n * self.co() + c) * self.ho + i) * self.wo + j
    }
    fn w_at(&self, o: usize, c: usize, u: usize, v: usize) -> usize {
        ((o * self.cig + c) * self.kh + u) * self.kw + v
    }
    /// Calls `f(x index, y index, w index)` for every multiply-add of the convolution.
    fn each_mac(&self, mut f: impl FnMut(usize, usize, usize)) {
        for n in 0..self.n {
            for g in 0..self.g {
                for o in 0..self.cog {
                    for i in 0..self.ho {
                        for j in 0..self.wo {
                            for c in 0..self.cig {
                                for u in 0..self.kh {
                                    for v in 0..self.kw {
                                        let ih =
                                            (i * self.sh + u * self.dh) as isize - self.ph as isize;
                                        let iw =
                                            (j * self.sw + v * self.dw) as isize - self.pw as isize;
                                        if ih < 0
                                            || iw < 0
                                            || ih as usize >= self.h
                                            || iw as usize >= self.w
                                        {
                                            continue;
                                        }
                                        let co = g * self.cog + o;
                                        f(
                                            self.x_at(
                                                n,
                                                g * self.cig + c,
                                                ih as usize,
                                                iw as usize,
                                            ),
                                            self.y_at(n, co, i, j),
                                            self.w_at(co, c, u, v),
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Reference values with the sum of absolute terms (the scale of the rounding error).
struct Ref {
    val: Vec<f64>,
    abs: Vec<f64>,
}

impl Ref {
    fn new(init: &[f64]) -> Self {
        Ref {
            val: init.to_vec(),
            abs: init.iter().map(|v| v.abs()).collect(),
        }
    }
    fn add(&mut self, i: usize, t: f64) {
        self.val[i] += t;
        self.abs[i] += t.abs();
    }
    /// Every finite reference value matches `got` to `tol` relative to its scale. Returns how
    /// many were compared.
    fn check<E: Copy + Into<f64>>(&self, got: &[E], tol: f64, what: &str) -> usize {
        assert_eq!(got.len(), self.val.len(), "{what}: length");
        let mut finite = 0;
        for (i, (&r, &a)) in self.val.iter().zip(&self.abs).enumerate() {
            let g: f64 = got[i].into();
            if !r.is_finite() {
                continue;
            }
            finite += 1;
            assert!(
                (g - r).abs() <= tol * a + 1e-300,
                "{what}[{i}]: got {g}, expected {r} (scale {a})"
            );
        }
        finite
    }
}

trait Float: Copy + Into<f64> + constnet::Element {
    const TOL: f64;
    fn of64(v: f64) -> Self;
}
impl Float for f32 {
    const TOL: f64 = 1e-5;
    fn of64(v: f64) -> Self {
        v as f32
    }
}
impl Float for f64 {
    const TOL: f64 = 1e-12;
    fn of64(v: f64) -> Self {
        v
    }
}

fn cast<E: Float>(v: &[f64]) -> Vec<E> {
    v.iter().map(|&v| E::of64(v)).collect()
}
/// The values as the kernel sees them (rounded to `E`).
fn rounded<E: Float>(v: &[f64]) -> Vec<f64> {
    v.iter().map(|&v| E::of64(v).into()).collect()
}

/// The kernels of one geometry in one precision, as plain function pointers: the checks below
/// are compiled once per precision, not once per geometry (they were 85 s of the CPU time of
/// building this module's crate).
struct Kernels<E> {
    sp: Spec,
    forward: Forward<E>,
    backward_data: fn(&[E], &[E], &mut [E]),
    transposed_forward: Forward<E>,
    backward_weight: BackwardWeight<E>,
}

/// `(x, w, bias, y)`.
type Forward<E> = fn(&[E], &[E], Option<&[E]>, &mut [E]);
/// `(x, dy, dw, dbias)`.
type BackwardWeight<E> = fn(&[E], &[E], &mut [E], Option<&mut [E]>);

impl<E: Float> Kernels<E> {
    fn of<C: ConvGeometry>() -> Self {
        Kernels {
            sp: Spec::of::<C>(),
            forward: conv::forward::<C, E>,
            backward_data: conv::backward_data::<C, E>,
            transposed_forward: conv::transposed_forward::<C, E>,
            backward_weight: conv::backward_weight::<C, E>,
        }
    }
}

/// All three kernels of a geometry in precision `E` against the reference.
fn check<E: Float>(k: &Kernels<E>, seed: u64) {
    let sp = k.sp;
    let (x_len, y_len, w_len, ci, co) = (sp.x_len(), sp.y_len(), sp.w_len(), sp.ci(), sp.co());
    let what = |what: &str| format!("{what} {sp:?} {}", std::any::type_name::<E>());
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let x = rounded::<E>(&rng.vec(x_len));
    let w = rounded::<E>(&rng.vec(w_len));
    let b = rounded::<E>(&rng.vec(co));
    let dy = rounded::<E>(&rng.vec(y_len));
    let dw0 = rounded::<E>(&rng.vec(w_len));
    let db0 = rounded::<E>(&rng.vec(co));
    let (xe, we, be, dye) = (cast::<E>(&x), cast::<E>(&w), cast::<E>(&b), cast::<E>(&dy));

    // forward, with and without bias; the output is overwritten (NaN before)
    for bias in [true, false] {
        let mut r = Ref::new(
            &(0..y_len)
                .map(|i| {
                    if bias {
                        b[(i / (sp.ho * sp.wo)) % sp.co()]
                    } else {
                        0.0
                    }
                })
                .collect::<Vec<_>>(),
        );
        sp.each_mac(|xi, yi, wi| r.add(yi, x[xi] * w[wi]));
        let mut y = vec![E::of64(f64::NAN); y_len];
        (k.forward)(&xe, &we, bias.then_some(&be[..]), &mut y);
        let n = r.check(
            &y,
            E::TOL,
            &what(if bias { "forward+bias" } else { "forward" }),
        );
        assert_eq!(n, y_len);
    }

    // backward-data overwrites dx
    let mut r = Ref::new(&vec![0.0; x_len]);
    sp.each_mac(|xi, yi, wi| r.add(xi, dy[yi] * w[wi]));
    let mut dx = vec![E::of64(f64::NAN); x_len];
    (k.backward_data)(&dye, &we, &mut dx);
    assert_eq!(r.check(&dx, E::TOL, &what("backward_data")), x_len);

    // the transposed convolution's forward: the same plus a bias per channel of `dx`
    let bx = rounded::<E>(&rng.vec(ci));
    let plane = x_len / (sp.n * ci);
    let mut r = Ref::new(&(0..x_len).map(|i| bx[(i / plane) % ci]).collect::<Vec<_>>());
    sp.each_mac(|xi, yi, wi| r.add(xi, dy[yi] * w[wi]));
    let mut dx = vec![E::of64(f64::NAN); x_len];
    (k.transposed_forward)(&dye, &we, Some(&cast::<E>(&bx)), &mut dx);
    assert_eq!(
        r.check(&dx, E::TOL, &what("transposed_forward+bias")),
        x_len
    );

    // backward-weight accumulates into dw and dbias
    let mut r = Ref::new(&dw0);
    sp.each_mac(|xi, yi, wi| r.add(wi, dy[yi] * x[xi]));
    let mut rb = Ref::new(&db0);
    for (i, &g) in dy.iter().enumerate() {
        rb.add((i / (sp.ho * sp.wo)) % sp.co(), g);
    }
    let mut dw = cast::<E>(&dw0);
    let mut db = cast::<E>(&db0);
    (k.backward_weight)(&xe, &dye, &mut dw, Some(&mut db));
    assert_eq!(r.check(&dw, E::TOL, &what("backward_weight")), w_len);
    assert_eq!(rb.check(&db, E::TOL, &what("backward_weight bias")), co);
    let mut dw = cast::<E>(&dw0);
    (k.backward_weight)(&xe, &dye, &mut dw, None);
    r.check(&dw, E::TOL, &what("backward_weight without bias"));
}

/// An infinity in the input (or in `dy`) reaches exactly the outputs whose window holds it:
/// every other output is finite and correct (padding lanes never read it).
/// Returns how many finite outputs were compared.
fn check_isolation(k: &Kernels<f32>, seed: u64) -> usize {
    let sp = k.sp;
    let (x_len, y_len, w_len) = (sp.x_len(), sp.y_len(), sp.w_len());
    let mut rng = Rng(seed | 1);
    let mut x = rounded::<f32>(&rng.vec(x_len));
    let w = rounded::<f32>(&rng.vec(w_len));
    let mut dy = rounded::<f32>(&rng.vec(y_len));
    let mut spots = vec![0, x_len - 1, x_len / 2];
    spots.push((seed as usize * 7919) % x_len);
    for &at in &spots {
        x[at] = f64::INFINITY;
    }
    let mut ys = vec![0, y_len - 1, y_len / 3];
    ys.push((seed as usize * 104_729) % y_len);
    for &at in &ys {
        dy[at] = f64::NEG_INFINITY;
    }
    let (xe, we, dye) = (cast::<f32>(&x), cast::<f32>(&w), cast::<f32>(&dy));
    let what = |k: &str| format!("{k} with infinities {sp:?}");

    let mut r = Ref::new(&vec![0.0; y_len]);
    sp.each_mac(|xi, yi, wi| r.add(yi, x[xi] * w[wi]));
    let mut y = vec![f32::NAN; y_len];
    (k.forward)(&xe, &we, None, &mut y);
    let mut compared = r.check(&y, f32::TOL, &what("forward"));

    let mut r = Ref::new(&vec![0.0; x_len]);
    sp.each_mac(|xi, yi, wi| r.add(xi, dy[yi] * w[wi]));
    let mut dx = vec![f32::NAN; x_len];
    (k.backward_data)(&dye, &we, &mut dx);
    compared += r.check(&dx, f32::TOL, &what("backward_data"));

    let mut r = Ref::new(&vec![0.0; w_len]);
    sp.each_mac(|xi, yi, wi| r.add(wi, dy[yi] * x[xi]));
    let mut dw = vec![0.0f32; w_len];
    (k.backward_weight)(&xe, &dye, &mut dw, None);
    compared + r.check(&dw, f32::TOL, &what("backward_weight"))
}

fn both<C: ConvGeometry>(seed: u64) -> usize {
    let k32 = Kernels::<f32>::of::<C>();
    check(&k32, seed);
    check(&Kernels::<f64>::of::<C>(), seed);
    check_isolation(&k32, seed)
}

/// `(N, G, CIG, COG, H, W, K, S, P, D)`, the output size computed like PyTorch.
macro_rules! geometries {
    ($(($n:literal, $g:literal, $cig:literal, $cog:literal, $h:literal, $w:literal, $k:literal, $s:literal, $p:literal, $d:literal)),* $(,)?) => {
        const CASES: &[fn(u64) -> usize] = &[$(
            both::<Geom<
                $n, $g, $cig, $cog, $h, $w,
                { ($h + 2 * $p - $d * ($k - 1) - 1) / $s + 1 },
                { ($w + 2 * $p - $d * ($k - 1) - 1) / $s + 1 },
                $k, $s, $p, $d,
            >>,
        )*];
    };
}

geometries!(
    (1, 1, 16, 16, 32, 32, 3, 1, 1, 1),
    // Rows wider than the weight gradient's block of positions (pieces of a row), output
    // channels in a full and a partial tile, 11 input channels as blocks of 6 and 5.
    (2, 1, 11, 20, 3, 600, 3, 1, 1, 1),
    (1, 1, 13, 5, 2, 600, 3, 2, 1, 1),
    (1, 1, 3, 5, 2, 1100, 3, 1, 1, 1),
    (1, 1, 8, 16, 32, 32, 4, 2, 1, 1),
    // Fixed-tap tiles: 3 × 3 of stride 2, 5 × 5 with padding (masked columns), transposed
    // 2 × 2 of stride 2 (one tap per phase). A 1 × 1 of stride 2 on planes narrower than a
    // tile's span (single-tap tiles over overlapping windows).
    (1, 1, 16, 16, 32, 32, 3, 2, 1, 1),
    // Stride 2 with an even kernel: input columns split by parity (`direct_split`), in
    // blocks of channels (13 channels of 32 × 32 take three), of several samples, odd sizes,
    // padding 0 and 2, groups, 2 × 2 and 6 × 6 kernels; a map too wide for one channel's copy
    // (the shuffling tiles instead).
    (2, 1, 13, 5, 32, 32, 4, 2, 1, 1),
    (1, 1, 3, 7, 17, 15, 4, 2, 0, 1),
    (1, 2, 3, 4, 12, 11, 4, 2, 2, 1),
    (1, 1, 2, 3, 9, 10, 2, 2, 1, 1),
    (1, 1, 2, 3, 11, 13, 6, 2, 2, 1),
    (1, 1, 1, 2, 128, 128, 4, 2, 1, 1),
    // Reductions larger than the weight pack (several passes over the output, accumulating
    // into it) with rows narrower than a tile (partial loads and stores): forward over 80
    // input channels of a 3 × 3 and 30 of a 5 × 5, input gradient over 90 output channels.
    (1, 1, 80, 7, 6, 10, 3, 1, 1, 1),
    (2, 1, 30, 13, 9, 11, 5, 1, 2, 1),
    (1, 1, 40, 90, 5, 12, 3, 1, 1, 1),
    // Small maps that AVX-512 runs across rows on a zero-padded copy (`conv::padded`): 7 × 7
    // in two blocks of input channels, 14 × 14 with a partial tile of output channels and two
    // samples in one problem (in two blocks), stride 2, dilation 2 (with stride 1 and 2),
    // stride 2 on odd sizes without padding, groups, a 5 × 5.
    (1, 1, 128, 64, 7, 7, 3, 1, 1, 1),
    (2, 1, 40, 30, 14, 14, 3, 1, 1, 1),
    (1, 1, 24, 50, 14, 14, 3, 2, 1, 1),
    (1, 1, 20, 36, 9, 9, 3, 1, 2, 2),
    (1, 1, 8, 24, 13, 13, 3, 2, 2, 2),
    (1, 1, 16, 24, 15, 13, 3, 2, 0, 1),
    (1, 2, 30, 36, 10, 10, 3, 1, 1, 1),
    (1, 1, 10, 48, 12, 12, 5, 1, 2, 1),
    // Many input channels on them: the copy holds a band of output rows' input, so a block
    // holds more channels. Stride 2 in bands of 4 rows (14 = 3·4 + 2) and 2 blocks; bands of
    // 10 rows (13 = 10 + 3), forward (two samples) and input gradient.
    (1, 1, 64, 24, 27, 27, 3, 2, 1, 1),
    (2, 1, 48, 24, 13, 13, 3, 1, 1, 1),
    (1, 1, 24, 48, 13, 13, 3, 1, 1, 1),
    // Rows of 17 to 31 outputs (ResNet's 28 × 28 stage): 28 wide, forward and input gradient;
    // 20 wide of stride 2.
    (1, 1, 24, 24, 28, 28, 3, 1, 1, 1),
    (1, 1, 8, 24, 40, 40, 3, 2, 1, 1),
    (1, 1, 3, 8, 20, 20, 5, 1, 2, 1),
    (1, 1, 5, 7, 6, 6, 2, 2, 0, 1),
    (1, 1, 4, 3, 3, 3, 1, 2, 0, 1),
    (1, 8, 1, 1, 14, 14, 3, 1, 1, 1),
    (2, 5, 1, 1, 13, 11, 3, 2, 1, 1),
    (1, 3, 1, 1, 9, 10, 3, 1, 2, 2),
    (1, 1, 12, 13, 7, 9, 1, 1, 0, 1),
    // `1 × 1` on planes that are not a whole number of tiles (ResNet-50's 7 × 7 and 14 × 14):
    // the last columns copied into the pack in blocks of input channels (three blocks of 300
    // channels; two samples in one problem), the last block of output channels partial.
    (1, 1, 300, 13, 7, 7, 1, 1, 0, 1),
    (2, 1, 70, 30, 14, 14, 1, 1, 0, 1),
    // Strided `1 × 1` (ResNet's projections): the positions across rows copied into the pack,
    // in blocks of input channels (300: three blocks), whole and partial tiles, two samples in
    // one problem, groups, a stride of 3, a dilation (no effect on a `1 × 1`).
    (1, 1, 300, 40, 14, 14, 1, 2, 0, 1),
    (2, 1, 70, 30, 28, 28, 1, 2, 0, 1),
    (1, 2, 40, 12, 14, 14, 1, 2, 0, 1),
    (1, 1, 20, 13, 16, 17, 1, 3, 0, 2),
    // Weight gradients over the maps of several samples at once (whole maps in one block of
    // positions): 7 samples of 7 × 7 (5 + 2 with 16-lane packs), 20 of 4 × 4 (16 + 4, or
    // blocks of 4 with the small-stack packs).
    (7, 1, 20, 40, 7, 7, 3, 1, 1, 1),
    (20, 1, 8, 20, 4, 4, 3, 1, 1, 1),
    // Samples in chunks whose inputs fit the cache block (100 KiB per sample: 2 + 1 for `f32`,
    // one at a time for `f64`).
    (3, 1, 100, 8, 16, 16, 3, 2, 1, 1),
    (2, 1, 1, 6, 28, 28, 5, 1, 0, 1),
    (1, 1, 6, 16, 12, 12, 5, 1, 0, 1),
    (5, 1, 37, 11, 1, 1, 1, 1, 0, 1),
    (64, 1, 20, 9, 1, 1, 1, 1, 0, 1),
    (1, 1, 3, 7, 1, 1, 1, 1, 0, 1),
    (4, 1, 33, 10, 1, 1, 1, 1, 0, 1),
    (2, 1, 19, 5, 1, 1, 1, 1, 0, 1),
    (2, 1, 3, 4, 1, 1, 3, 1, 1, 1),
    (1, 1, 2, 3, 5, 5, 7, 1, 3, 1),
    (1, 1, 2, 2, 4, 4, 1, 2, 0, 1),
    (1, 1, 2, 3, 19, 20, 17, 1, 8, 1),
    (1, 2, 3, 5, 11, 13, 3, 3, 2, 2),
    (2, 1, 1, 13, 18, 4, 3, 1, 2, 1),
    (1, 1, 2, 9, 21, 19, 1, 3, 2, 1),
    (3, 1, 7, 13, 5, 10, 5, 3, 0, 1),
    (1, 1, 1, 7, 19, 21, 3, 1, 1, 2),
    (3, 1, 7, 1, 20, 7, 3, 1, 2, 2),
    (1, 3, 3, 5, 8, 6, 7, 3, 1, 1),
    (1, 2, 5, 5, 20, 3, 1, 2, 1, 2),
    (1, 2, 7, 6, 19, 15, 5, 2, 2, 1),
    (3, 1, 1, 9, 23, 10, 1, 2, 2, 1),
    (1, 1, 5, 5, 6, 20, 3, 3, 1, 2),
    (1, 1, 2, 6, 13, 16, 4, 1, 1, 1),
    (2, 2, 2, 13, 14, 18, 3, 3, 2, 1),
    (1, 3, 2, 2, 3, 6, 7, 3, 2, 1),
    (3, 1, 3, 5, 1, 5, 3, 1, 1, 1),
    (1, 2, 2, 9, 17, 20, 5, 2, 2, 2),
    (1, 3, 1, 6, 21, 13, 4, 3, 1, 1),
    (1, 1, 1, 5, 20, 2, 3, 1, 1, 1),
    (3, 2, 7, 1, 3, 7, 1, 1, 0, 2),
    (3, 2, 5, 1, 4, 16, 3, 2, 2, 1),
    (3, 1, 1, 9, 11, 9, 4, 3, 0, 1),
    (2, 1, 1, 13, 9, 16, 5, 3, 2, 1),
    (1, 2, 3, 1, 8, 4, 3, 2, 2, 1),
    (1, 1, 2, 2, 5, 1, 1, 3, 1, 1),
    (1, 3, 3, 2, 18, 18, 5, 3, 0, 2),
    (1, 1, 7, 9, 5, 14, 1, 1, 2, 2),
    (2, 2, 7, 2, 19, 11, 3, 1, 0, 1),
    (3, 2, 5, 9, 19, 17, 5, 3, 0, 1),
    (3, 1, 7, 1, 11, 22, 3, 1, 1, 1),
    (3, 2, 1, 13, 4, 17, 1, 1, 0, 1),
    (1, 2, 7, 7, 20, 17, 5, 1, 1, 1),
    (2, 3, 7, 2, 23, 17, 7, 2, 2, 1),
    (1, 3, 1, 6, 15, 11, 5, 1, 0, 1),
    (1, 1, 1, 6, 16, 6, 3, 2, 1, 1),
    (1, 2, 5, 2, 12, 11, 3, 3, 1, 2),
    (3, 3, 3, 6, 5, 18, 1, 1, 0, 1),
    (1, 1, 1, 7, 23, 8, 3, 3, 2, 1),
    (1, 1, 3, 9, 10, 17, 3, 2, 0, 1),
    (1, 1, 3, 5, 1, 9, 3, 3, 2, 2),
    (1, 1, 7, 6, 8, 15, 1, 1, 2, 2),
    (1, 1, 5, 5, 2, 5, 3, 1, 2, 2),
    (2, 1, 1, 9, 13, 17, 1, 2, 0, 1),
    (2, 2, 2, 1, 10, 7, 1, 2, 1, 1),
    (1, 1, 5, 5, 17, 21, 3, 1, 1, 1),
    (3, 1, 2, 6, 19, 2, 3, 1, 1, 1),
    (3, 1, 1, 7, 17, 5, 1, 2, 2, 1),
    (3, 1, 1, 13, 23, 17, 3, 3, 1, 1)
);

/// `(N, G, CIG, COG, H, W, KH, KW, SH, SW, PH, PW, DH, DW)`: kernels, strides, paddings and
/// dilations of their own along rows and columns, the output size computed like PyTorch.
macro_rules! rect_geometries {
    ($(($n:literal, $g:literal, $cig:literal, $cog:literal, $h:literal, $w:literal, $kh:literal, $kw:literal, $sh:literal, $sw:literal, $ph:literal, $pw:literal, $dh:literal, $dw:literal)),* $(,)?) => {
        const RECT_CASES: &[fn(u64) -> usize] = &[$(
            both::<Geom<
                $n, $g, $cig, $cog, $h, $w,
                { ($h + 2 * $ph - $dh * ($kh - 1) - 1) / $sh + 1 },
                { ($w + 2 * $pw - $dw * ($kw - 1) - 1) / $sw + 1 },
                $kh, $sh, $ph, $dh, $kw, $sw, $pw, $dw,
            >>,
        )*];
    };
}

rect_geometries!(
    // Inception-v3's 1 × 7 and 7 × 1 at 17 × 17 (row tiles), and its 1 × 3 and 3 × 1 at 8 × 8
    // with enough channels for AVX-512's small-map route (`conv::padded`).
    (1, 1, 16, 24, 17, 17, 1, 7, 1, 1, 0, 3, 1, 1),
    (1, 1, 16, 24, 17, 17, 7, 1, 1, 1, 3, 0, 1, 1),
    (1, 1, 48, 48, 8, 8, 1, 3, 1, 1, 0, 1, 1, 1),
    (2, 1, 40, 30, 8, 8, 3, 1, 1, 1, 1, 0, 1, 1),
    // Strides of their own along rows and columns, on the small-map route and off it.
    (1, 1, 24, 30, 14, 12, 3, 3, 2, 1, 1, 1, 1, 1),
    (1, 1, 24, 30, 13, 14, 3, 5, 1, 2, 1, 2, 1, 1),
    (1, 1, 4, 5, 9, 10, 1, 1, 2, 1, 0, 0, 1, 1),
    (1, 1, 40, 14, 9, 30, 1, 1, 1, 2, 0, 0, 1, 1),
    (2, 1, 33, 7, 20, 11, 1, 1, 3, 2, 0, 0, 1, 1),
    (1, 1, 3, 4, 11, 40, 3, 3, 1, 3, 1, 0, 1, 1),
    // Column stride 2 with an even kernel width (the column split) under a row stride of 1,
    // and an even kernel height at row stride 2 (no split).
    (1, 1, 5, 7, 12, 16, 3, 4, 1, 2, 1, 1, 1, 1),
    (1, 1, 5, 7, 16, 12, 4, 3, 2, 1, 1, 1, 1, 1),
    // Dilations of their own.
    (1, 1, 6, 9, 13, 15, 3, 2, 1, 1, 2, 1, 2, 1),
    (2, 1, 3, 5, 11, 20, 2, 3, 1, 2, 1, 0, 1, 2),
    (1, 1, 30, 26, 9, 9, 3, 3, 1, 1, 2, 1, 2, 1),
    // Groups and depthwise (stride 1: the flipped correlation; column stride 2: the scatter).
    (1, 2, 3, 4, 12, 9, 1, 3, 1, 1, 0, 1, 1, 1),
    (1, 6, 1, 1, 11, 14, 3, 1, 1, 2, 1, 0, 1, 1),
    (2, 4, 1, 1, 10, 13, 3, 5, 1, 1, 1, 2, 2, 1),
    // Rows wider than the weight gradient's block of positions.
    (1, 1, 4, 6, 3, 300, 1, 3, 1, 1, 0, 1, 1, 1),
);

#[test]
fn kernels_match_reference() {
    let mut isolated = 0;
    for (i, case) in CASES.iter().chain(RECT_CASES).enumerate() {
        isolated += case(i as u64 + 1);
    }
    // The infinities left most outputs finite, and those were compared.
    assert!(isolated > 10_000, "{isolated}");
}

// =============================================================================================
// Pooling against a straightforward reference (sequential scan of each window).

use constnet::kernels::pool::{self, PoolGeom, PoolGeometry};

/// `(planes, H, W, HO, WO, KH, KW, SH, SW, PH, PW)` of `G`.
fn pool_spec<G: PoolGeometry>() -> [usize; 11] {
    [
        G::PLANES,
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
    ]
}

/// Reference max pooling: first maximum in row-major order, NaN propagates, padding is −∞,
/// index 0 if nothing beats −∞.
fn ref_max(spec: [usize; 11], x: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let [planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw] = spec;
    let (mut y, mut a) = (vec![], vec![]);
    for pl in 0..planes {
        for i in 0..ho {
            for j in 0..wo {
                let (mut best, mut at) = (f64::NEG_INFINITY, 0u32);
                for u in 0..kh {
                    for v in 0..kw {
                        let (ih, iw) = (
                            (i * sh + u) as isize - ph as isize,
                            (j * sw + v) as isize - pw as isize,
                        );
                        if ih < 0 || iw < 0 || ih as usize >= h || iw as usize >= w {
                            continue;
                        }
                        let val = x[pl * h * w + ih as usize * w + iw as usize];
                        if val > best || (val.is_nan() && !best.is_nan()) {
                            best = val;
                            at = (ih as usize * w + iw as usize) as u32;
                        }
                    }
                }
                y.push(best);
                a.push(at);
            }
        }
    }
    (y, a)
}

/// Reference average pooling (padding counts as zero, divisor `KH·KW`): forward and backward.
fn ref_avg(spec: [usize; 11], x: &[f64], dy: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let [planes, h, w, ho, wo, kh, kw, sh, sw, ph, pw] = spec;
    let mut y = vec![0.0; planes * ho * wo];
    let mut dx = vec![0.0; planes * h * w];
    for pl in 0..planes {
        for i in 0..ho {
            for j in 0..wo {
                for u in 0..kh {
                    for v in 0..kw {
                        let (ih, iw) = (
                            (i * sh + u) as isize - ph as isize,
                            (j * sw + v) as isize - pw as isize,
                        );
                        if ih < 0 || iw < 0 || ih as usize >= h || iw as usize >= w {
                            continue;
                        }
                        let xi = pl * h * w + ih as usize * w + iw as usize;
                        let yi = pl * ho * wo + i * wo + j;
                        y[yi] += x[xi] / (kh * kw) as f64;
                        dx[xi] += dy[yi] / (kh * kw) as f64;
                    }
                }
            }
        }
    }
    (y, dx)
}

/// The pooling kernels of one geometry as function pointers (the check is compiled once).
struct PoolKernels {
    spec: [usize; 11],
    max_forward: fn(&[f64], &mut [f64], &mut [u32]),
    max_forward_f32: fn(&[f32], &mut [f32], &mut [u32]),
    max_backward: fn(&[f64], &[u32], &mut [f64]),
    avg_forward: fn(&[f64], &mut [f64]),
    avg_backward: fn(&[f64], &mut [f64]),
}

fn check_pool<G: PoolGeometry>(seed: u64) {
    check_pool_kernels(
        &PoolKernels {
            spec: pool_spec::<G>(),
            max_forward: pool::max_forward::<G, f64>,
            max_forward_f32: pool::max_forward::<G, f32>,
            max_backward: pool::max_backward::<G, f64>,
            avg_forward: pool::avg_forward::<G, f64>,
            avg_backward: pool::avg_backward::<G, f64>,
        },
        seed,
    )
}

fn check_pool_kernels(k: &PoolKernels, seed: u64) {
    let spec = k.spec;
    let [planes, h, w, ho, wo, ..] = spec;
    let mut rng = Rng(seed | 1);
    // Values on a coarse grid (many ties), some infinities and NaNs, and signed zeros.
    let x: Vec<f64> = (0..planes * h * w)
        .map(|_| match (rng.next() * 20.0) as i64 {
            9 => f64::NAN,
            8 => f64::INFINITY,
            -9 => f64::NEG_INFINITY,
            7 => -0.0,
            n => (n / 3) as f64,
        })
        .collect();
    let dy: Vec<f64> = rng.vec(planes * ho * wo);
    let what = format!("pool {spec:?}");

    let (ry, ra) = ref_max(spec, &x);
    let mut y = vec![f64::NAN; ry.len()];
    let mut a = vec![u32::MAX; ry.len()];
    (k.max_forward)(&x, &mut y, &mut a);
    for i in 0..ry.len() {
        assert!(
            (y[i] == ry[i] || (y[i].is_nan() && ry[i].is_nan())) && a[i] == ra[i],
            "{what} max_forward[{i}]: got ({}, {}), expected ({}, {})",
            y[i],
            a[i],
            ry[i],
            ra[i]
        );
    }
    // f32 takes the same decisions.
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let mut y32 = vec![f32::NAN; ry.len()];
    let mut a32 = vec![u32::MAX; ry.len()];
    (k.max_forward_f32)(&x32, &mut y32, &mut a32);
    assert_eq!(a32, ra, "{what} max_forward f32 indices");

    // Backward: each dy to its arg-max (accumulating), everything else zero.
    let mut rdx = vec![0.0; planes * h * w];
    for (o, (&g, &at)) in dy.iter().zip(&ra).enumerate() {
        rdx[o / (ho * wo) * h * w + at as usize] += g;
    }
    let mut dx = vec![f64::NAN; rdx.len()];
    (k.max_backward)(&dy, &ra, &mut dx);
    for i in 0..rdx.len() {
        assert!(
            (dx[i] - rdx[i]).abs() <= 1e-12,
            "{what} max_backward[{i}]: {} vs {}",
            dx[i],
            rdx[i]
        );
    }

    let xf: Vec<f64> = rng.vec(planes * h * w);
    let (ry, rdx) = ref_avg(spec, &xf, &dy);
    let mut y = vec![f64::NAN; ry.len()];
    (k.avg_forward)(&xf, &mut y);
    let mut dx = vec![f64::NAN; rdx.len()];
    (k.avg_backward)(&dy, &mut dx);
    for i in 0..ry.len() {
        assert!(
            (y[i] - ry[i]).abs() <= 1e-12,
            "{what} avg_forward[{i}]: {} vs {}",
            y[i],
            ry[i]
        );
    }
    for i in 0..rdx.len() {
        assert!(
            (dx[i] - rdx[i]).abs() <= 1e-12,
            "{what} avg_backward[{i}]: {} vs {}",
            dx[i],
            rdx[i]
        );
    }
}

/// `(N, C, H, W, K, S, P)`, floor mode.
macro_rules! pools {
    ($(($n:literal, $c:literal, $h:literal, $w:literal, $k:literal, $s:literal, $p:literal)),* $(,)?) => {
        const POOLS: &[fn(u64)] = &[$(
            check_pool::<PoolGeom<
                $n, $c, $h, $w,
                { ($h + 2 * $p - $k) / $s + 1 },
                { ($w + 2 * $p - $k) / $s + 1 },
                $k, $s, $p,
            >>,
        )*];
    };
}

pools!(
    (1, 3, 8, 8, 2, 2, 0),
    (2, 2, 7, 7, 2, 2, 0),
    (1, 2, 56, 56, 2, 2, 0),
    (1, 2, 17, 35, 2, 2, 0),
    (1, 1, 4, 4, 2, 2, 0),
    (1, 2, 9, 9, 3, 2, 0),
    (1, 2, 9, 11, 3, 2, 1),
    (1, 2, 10, 10, 3, 3, 0),
    (1, 2, 11, 10, 2, 3, 0),
    (1, 2, 12, 13, 2, 3, 1),
    (2, 1, 5, 5, 3, 1, 1),
    (1, 1, 1, 1, 1, 1, 0),
    (1, 3, 20, 33, 4, 4, 1),
);

/// `(N, C, H, W, KH, KW, SH, SW, PH, PW)`, floor mode.
macro_rules! rect_pools {
    ($(($n:literal, $c:literal, $h:literal, $w:literal, $kh:literal, $kw:literal, $sh:literal, $sw:literal, $ph:literal, $pw:literal)),* $(,)?) => {
        const RECT_POOLS: &[fn(u64)] = &[$(
            check_pool::<PoolGeom<
                $n, $c, $h, $w,
                { ($h + 2 * $ph - $kh) / $sh + 1 },
                { ($w + 2 * $pw - $kw) / $sw + 1 },
                $kh, $sh, $ph, $kw, $sw, $pw,
            >>,
        )*];
    };
}

rect_pools!(
    // Overlapping along one axis only, each way round; windows that tile the input (the
    // `K = S` path) with different sizes per axis; a 2 × 2 window of stride (2, 1) and one of
    // stride (1, 2) (not the 2 × 2 vector path); padding along one axis.
    (1, 2, 9, 20, 2, 3, 2, 1, 1, 0),
    (1, 2, 20, 9, 3, 2, 1, 2, 0, 1),
    (2, 2, 12, 30, 2, 3, 2, 3, 0, 0),
    (1, 2, 10, 17, 2, 2, 2, 1, 0, 0),
    (1, 2, 10, 40, 2, 2, 1, 2, 0, 0),
    (1, 3, 8, 11, 3, 1, 1, 1, 1, 0),
    (1, 1, 7, 35, 1, 4, 1, 4, 0, 1),
);

#[test]
fn pools_match_reference() {
    for (i, case) in POOLS.iter().chain(RECT_POOLS).enumerate() {
        case(i as u64 + 100);
    }
}

/// The kernels run on the instruction set `CONSTNET_ISA` names, capped at the best this CPU has
/// (CI runs this module once per level: a misspelt level would silently test the best one), and
/// on the best one when it is unset.
#[test]
fn the_requested_instruction_set_is_the_one_running() {
    use constnet::kernels::isa::{self, Level};
    let chosen = isa::chosen();
    match std::env::var("CONSTNET_ISA") {
        Ok(v) => {
            let r = Level::from_name(v.trim())
                .unwrap_or_else(|| panic!("CONSTNET_ISA={v:?} names no level"));
            assert_eq!(chosen, r.min(isa::best()));
        }
        Err(_) => assert_eq!(chosen, isa::best()),
    }
}
