//! Learning curves as PNG images, drawn without any font or plotting library.
//!
//! [`render`] draws two panels into an RGB buffer: **loss** (left) and **accuracy in %**
//! (right), each with the training curve in blue and the test curve in orange, one marker per
//! epoch, axes with ticks, light grid lines, tick labels and titles in a built-in 3×5 pixel
//! font, and a legend of coloured swatches. [`write_png`] encodes it with the `png` crate.
//!
//! ```no_run
//! # let history = constnet::train::History::default();
//! constnet::train::plot::write_png(&history, "curve.png", 960, 400)?;
//! # Ok::<(), constnet::train::TrainError>(())
//! ```

use super::{History, TrainError};
use std::path::Path;

/// Colour of the training curves.
pub const TRAIN_COLOR: [u8; 3] = [31, 119, 180];
/// Colour of the test curves.
pub const TEST_COLOR: [u8; 3] = [255, 127, 14];
const AXIS: [u8; 3] = [0, 0, 0];
const GRID: [u8; 3] = [228, 228, 228];
const TEXT: [u8; 3] = [40, 40, 40];
const WHITE: [u8; 3] = [255, 255, 255];

/// Smallest image [`render`] accepts, in each dimension.
pub const MIN_SIZE: u32 = 200;

/// An RGB image being drawn.
struct Canvas {
    w: usize,
    h: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        let mut rgb = vec![0; w * h * 3];
        for px in rgb.chunks_exact_mut(3) {
            px.copy_from_slice(&WHITE);
        }
        Canvas { w, h, rgb }
    }
    fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&c);
        }
    }
    fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, c: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, c);
            }
        }
    }
    fn hline(&mut self, x0: i64, x1: i64, y: i64, c: [u8; 3]) {
        self.rect(x0, y, x1 - x0 + 1, 1, c);
    }
    fn vline(&mut self, x: i64, y0: i64, y1: i64, c: [u8; 3]) {
        self.rect(x, y0, 1, y1 - y0 + 1, c);
    }
    /// A line `thick` pixels wide (Bresenham, a square brush).
    fn line(&mut self, (mut x0, mut y0): (i64, i64), (x1, y1): (i64, i64), thick: i64, c: [u8; 3]) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let mut err = dx + dy;
        let half = thick / 2;
        loop {
            self.rect(x0 - half, y0 - half, thick, thick, c);
            if x0 == x1 && y0 == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x0 += sx;
            }
            if e2 <= dx {
                err += dx;
                y0 += sy;
            }
        }
    }
    /// Text in the 3×5 font, each font pixel `scale × scale`, top-left at `(x, y)`.
    fn text(&mut self, x: i64, y: i64, s: &str, scale: i64, c: [u8; 3]) {
        for (i, ch) in s.chars().enumerate() {
            let rows = glyph(ch);
            let gx = x + i as i64 * 4 * scale;
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) != 0 {
                        self.rect(gx + col * scale, y + r as i64 * scale, scale, scale, c);
                    }
                }
            }
        }
    }
}

/// Width in pixels of `s` drawn at `scale`.
fn text_width(s: &str, scale: i64) -> i64 {
    (s.chars().count() as i64 * 4 - 1).max(0) * scale
}

/// The 3×5 glyph of `c` (rows top to bottom, 3 bits each, high bit left). Upper-case letters
/// the plots use, digits, `.`, `-`, `%`, space; anything else is a blank.
fn glyph(c: char) -> [u8; 5] {
    match c.to_ascii_uppercase() {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b001, 0b001, 0b001],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '.' => [0, 0, 0, 0, 0b010],
        '-' => [0, 0, 0b111, 0, 0],
        '%' => [0b101, 0b001, 0b010, 0b100, 0b101],
        'A' => [0b010, 0b101, 0b111, 0b101, 0b101],
        'C' => [0b011, 0b100, 0b100, 0b100, 0b011],
        'E' => [0b111, 0b100, 0b110, 0b100, 0b111],
        'H' => [0b101, 0b101, 0b111, 0b101, 0b101],
        'I' => [0b111, 0b010, 0b010, 0b010, 0b111],
        'L' => [0b100, 0b100, 0b100, 0b100, 0b111],
        'N' => [0b110, 0b101, 0b101, 0b101, 0b101],
        'O' => [0b010, 0b101, 0b101, 0b101, 0b010],
        'P' => [0b110, 0b101, 0b110, 0b100, 0b100],
        'R' => [0b110, 0b101, 0b110, 0b101, 0b101],
        'S' => [0b011, 0b100, 0b010, 0b001, 0b110],
        'T' => [0b111, 0b010, 0b010, 0b010, 0b010],
        'U' => [0b101, 0b101, 0b101, 0b101, 0b111],
        'Y' => [0b101, 0b101, 0b010, 0b010, 0b010],
        _ => [0; 5],
    }
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `range`.
fn nice_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(1e-12);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let f = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    f * mag
}

/// Decimals needed to print multiples of `step`.
fn decimals(step: f64) -> usize {
    (-step.log10().floor()).max(0.0) as usize
}

/// One panel: a title and two series over epochs 1, 2, ...
struct Panel<'a> {
    title: &'a str,
    train: Vec<f64>,
    test: Vec<f64>,
    /// Whether the y axis starts at 0.
    from_zero: bool,
}

fn draw_panel(cv: &mut Canvas, left: i64, width: i64, p: &Panel<'_>) {
    let h = cv.h as i64;
    let (x0, x1, y0, y1) = (left + 58, left + width - 18, 40, h - 40);
    // Title and legend above the plot area.
    cv.text(x0, 14, p.title, 3, TEXT);
    let mut lx = x1 - text_width("TRAIN", 2) - text_width("TEST", 2) - 2 * 22 - 14;
    for (name, color) in [("TRAIN", TRAIN_COLOR), ("TEST", TEST_COLOR)] {
        cv.rect(lx, 18, 16, 8, color);
        cv.text(lx + 20, 17, name, 2, TEXT);
        lx += 22 + text_width(name, 2) + 14;
    }

    // Ranges.
    let values = p
        .train
        .iter()
        .chain(&p.test)
        .copied()
        .filter(|v| v.is_finite());
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if p.from_zero {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-9 {
        hi += 0.5;
        lo -= 0.5;
    }
    let step = nice_step(hi - lo, 5.0);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
    let epochs = p.train.len().max(p.test.len()).max(1);
    let (xlo, xhi) = if epochs == 1 {
        (0.0, 2.0)
    } else {
        (1.0, epochs as f64)
    };
    let px = |e: f64| x0 + ((e - xlo) / (xhi - xlo) * (x1 - x0) as f64).round() as i64;
    let py = |v: f64| y1 - ((v - lo) / (hi - lo) * (y1 - y0) as f64).round() as i64;

    // Grid, y ticks and labels.
    let d = decimals(step);
    let n = ((hi - lo) / step).round() as i64;
    for i in 0..=n {
        let v = lo + i as f64 * step;
        let y = py(v);
        if i > 0 {
            cv.hline(x0 + 1, x1, y, GRID);
        }
        cv.hline(x0 - 5, x0, y, AXIS);
        let label = format!("{v:.d$}");
        cv.text(x0 - 9 - text_width(&label, 2), y - 5, &label, 2, TEXT);
    }
    // x ticks and labels (integer epochs).
    let xstep = nice_step((epochs as f64 - 1.0).max(1.0), 8.0)
        .max(1.0)
        .round() as usize;
    let mut e = 1;
    while e <= epochs {
        let x = px(e as f64);
        cv.vline(x, y1, y1 + 5, AXIS);
        let label = e.to_string();
        cv.text(x - text_width(&label, 2) / 2, y1 + 9, &label, 2, TEXT);
        e += xstep;
    }
    cv.text(
        (x0 + x1) / 2 - text_width("EPOCH", 2) / 2,
        y1 + 24,
        "EPOCH",
        2,
        TEXT,
    );
    // Axes.
    cv.vline(x0, y0, y1, AXIS);
    cv.hline(x0, x1, y1, AXIS);

    // Curves: lines, then markers on top.
    for (series, color) in [(&p.train, TRAIN_COLOR), (&p.test, TEST_COLOR)] {
        let pts: Vec<(i64, i64)> = series
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (px(i as f64 + 1.0), py(v)))
            .collect();
        for w in pts.windows(2) {
            cv.line(w[0], w[1], 2, color);
        }
        for &(x, y) in &pts {
            cv.rect(x - 3, y - 3, 7, 7, color);
        }
    }
}

/// The learning curves of `history` as an RGB image (`width × height × 3` bytes, row by
/// row): loss on the left, accuracy in % on the right. Sizes are raised to at least
/// [`MIN_SIZE`].
pub fn render(history: &History, width: u32, height: u32) -> (u32, u32, Vec<u8>) {
    let (w, h) = (width.max(MIN_SIZE), height.max(MIN_SIZE));
    let mut cv = Canvas::new(w as usize, h as usize);
    let e = &history.epochs;
    let loss = Panel {
        title: "LOSS",
        train: e.iter().map(|s| f64::from(s.train_loss)).collect(),
        test: e.iter().map(|s| f64::from(s.test_loss)).collect(),
        from_zero: true,
    };
    let acc = Panel {
        title: "ACCURACY %",
        train: e
            .iter()
            .map(|s| 100.0 * f64::from(s.train_accuracy))
            .collect(),
        test: e
            .iter()
            .map(|s| 100.0 * f64::from(s.test_accuracy))
            .collect(),
        from_zero: false,
    };
    let half = i64::from(w) / 2;
    draw_panel(&mut cv, 0, half, &loss);
    draw_panel(&mut cv, half, i64::from(w) - half, &acc);
    (w, h, cv.rgb)
}

/// Draw the learning curves of `history` ([`render`]) and write them as an 8-bit RGB PNG.
///
/// # Errors
/// [`TrainError::Io`] if the file cannot be created, [`TrainError::Png`] if encoding fails.
pub fn write_png(
    history: &History,
    path: impl AsRef<Path>,
    width: u32,
    height: u32,
) -> Result<(), TrainError> {
    let path = path.as_ref();
    let (w, h, rgb) = render(history, width, height);
    let file = std::fs::File::create(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let png_err = |e: png::EncodingError| TrainError::Png {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(&rgb).map_err(png_err)?;
    writer.finish().map_err(png_err)
}
