//! The instruction set the kernels run on, chosen once, at run time.
//!
//! The kernels are written once, over lane arrays (see `lanes`), and compiled once per
//! instruction set: every kernel entry point runs its body through `dispatch!`, which calls
//! it inside a function compiled with that instruction set's target features. Everything the
//! body calls is inlined into that function (the kernels' helpers are `#[inline(always)]`), and
//! the few functions the kernels keep out of line go through [`Isa::run`] again, so they carry
//! the same features. So a program built with no flags at all (a crate that depends on
//! constnet, built for baseline x86-64) runs the kernels with 512-bit vectors on a CPU that has
//! AVX-512, 256-bit ones on an AVX2 CPU, and the baseline code anywhere else.
//!
//! | level | target features | f32 lanes per register | registers |
//! |---|---|---:|---:|
//! | [`Level::Avx512`] (x86-64-v4) | `avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,…` | 16 | 32 |
//! | [`Level::Avx2`] (x86-64-v3) | `avx2,fma,bmi1,bmi2,…` | 8 | 16 |
//! | [`Level::Baseline`] | the build's own (SSE2 on x86-64, NEON on aarch64) | 4 | 16 |
//!
//! The choice is made on the first kernel call and kept: the best level the CPU has, or a lower
//! one named by the environment variable `CONSTNET_ISA` (`avx512`, `avx2` or `baseline`;
//! std only), so that tests can run every path on one machine. A level the CPU lacks is never
//! chosen, whatever the variable says. Without `std` there is no run-time detection: the level
//! is the best one the build's own target features guarantee (`-C target-cpu=…`).
//! `f64` (used for gradient checks) always runs the baseline code: compiling its kernels once
//! instead of three times keeps the build time down.
//!
//! # Why a module of our own, and why it is sound
//! Calling a `#[target_feature]` function is `unsafe`: on a CPU without the features it is
//! undefined behaviour. This module is the only place that does it. Each level is a zero-sized
//! token type ([`Baseline`], [`Avx2`], [`Avx512`]) that can only be made here, after the CPU was
//! checked ([`token`]); [`Isa::run`] takes the token by value, so holding one proves the check.
//! `pulp` (used by faer) gives the same trampoline safely, but with its own SIMD vocabulary and
//! its AVX-512 path behind an opt-in feature; `multiversion` clones whole functions. The kernels
//! here are written over plain arrays that LLVM vectorises, so all they need is the trampoline:
//! about forty lines, with no new dependency.
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicU8, Ordering};

/// An instruction set the kernels are compiled for: a zero-sized token that proves the CPU has
/// it. Sealed: the tokens are made only by this module.
pub trait Isa: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The level this token stands for.
    const LEVEL: Level;
    /// Whether a fused multiply-add is one instruction (else `a · b + c` stays two).
    const FMA: bool;
    /// Bytes of one vector register.
    const VECTOR_BYTES: usize;
    /// Vector registers the compiler can allocate.
    const REGISTERS: usize;

    /// Runs `f` inside a function compiled with this instruction set's target features (never
    /// inlined into the caller: the kernels use it where they keep a function out of line).
    /// Pass a closure marked `#[inline(always)]`: a closure left out of line would be compiled
    /// without the features (and keep its own stack frame; the test build did that for
    /// `direct_block`'s body, 4 KiB and baseline instructions).
    fn run<R>(self, f: impl FnOnce() -> R) -> R;
}

mod sealed {
    pub trait Sealed {}
}

/// An instruction-set level, from the lowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The build's own target features (SSE2 on baseline x86-64, NEON on aarch64).
    Baseline,
    /// AVX2 and FMA (x86-64-v3): 16 registers of 8 `f32`.
    Avx2,
    /// AVX-512 F/VL/BW/DQ (x86-64-v4): 32 registers of 16 `f32`.
    Avx512,
}

impl Level {
    /// The name `CONSTNET_ISA` takes for this level.
    pub const fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// The level named `name` (as [`Level::name`] spells it).
    pub fn from_name(name: &str) -> Option<Level> {
        [Level::Baseline, Level::Avx2, Level::Avx512]
            .into_iter()
            .find(|l| l.name() == name)
    }
}

pub use baseline::Baseline;

/// The baseline token and its trampoline. Each level is a module of its own so that the
/// compiler puts each level's kernels in a codegen unit of its own: a function generic over the
/// closure it runs is placed with its defining module, and the three trampolines in one module
/// made one unit of nearly all the library's code, compiled on one core (the library's test
/// build: 53 s, 36 of them waiting for that unit).
mod baseline {
    use super::{Isa, Level, sealed};

    /// The build's own instruction set. Always available.
    #[derive(Clone, Copy, Debug)]
    pub struct Baseline(());

    impl Baseline {
        /// The baseline token (no check needed: the build itself targets it).
        pub(crate) const fn new() -> Self {
            Baseline(())
        }
    }

    impl sealed::Sealed for Baseline {}
    impl Isa for Baseline {
        const LEVEL: Level = Level::Baseline;
        // `mul_add` without `std` is libm's software routine: only `std` builds fuse.
        const FMA: bool = cfg!(all(
            feature = "std",
            any(target_feature = "fma", target_arch = "aarch64")
        ));
        const VECTOR_BYTES: usize = if cfg!(target_feature = "avx512f") {
            64
        } else if cfg!(target_feature = "avx2") {
            32
        } else {
            16
        };
        const REGISTERS: usize =
            if cfg!(target_arch = "aarch64") || cfg!(target_feature = "avx512f") {
                32
            } else {
                16
            };

        #[inline(always)]
        fn run<R>(self, f: impl FnOnce() -> R) -> R {
            #[inline(never)]
            fn out_of_line<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            out_of_line(f)
        }
    }
}

/// Declares a token type for an x86-64 level, in a module of its own (see `baseline`): its
/// target features, its detection, its trampoline.
macro_rules! x86_level {
    ($(#[$doc:meta])* $module:ident :: $name:ident, $level:expr, $bytes:expr, $regs:expr,
     features: $features:literal, detect: [$($detect:tt),*]) => {
        #[cfg(target_arch = "x86_64")]
        pub use $module::$name;

        #[cfg(target_arch = "x86_64")]
        mod $module {
            use super::{Isa, Level, sealed};

            $(#[$doc])*
            #[derive(Clone, Copy, Debug)]
            pub struct $name(());

            impl $name {
                /// The token, if the CPU has every feature of this level.
                pub(super) fn detect() -> Option<Self> {
                    #[cfg(feature = "std")]
                    let has = true $(&& std::is_x86_feature_detected!($detect))*;
                    #[cfg(not(feature = "std"))]
                    let has = true $(&& cfg!(target_feature = $detect))*;
                    has.then_some($name(()))
                }

                /// The token again, for a level that [`detect`](Self::detect) found before
                /// (`token` keeps which one it was).
                pub(super) const fn detected_before() -> Self {
                    $name(())
                }
            }

            impl sealed::Sealed for $name {}
            impl Isa for $name {
                const LEVEL: Level = $level;
                const FMA: bool = cfg!(feature = "std");
                const VECTOR_BYTES: usize = $bytes;
                const REGISTERS: usize = $regs;

                #[inline(always)]
                fn run<R>(self, f: impl FnOnce() -> R) -> R {
                    #[target_feature(enable = $features)]
                    #[inline(never)]
                    fn with_features<R>(f: impl FnOnce() -> R) -> R {
                        f()
                    }
                    // SAFETY: `self` exists, so `detect` found every feature of `$features` on
                    // this CPU (`detect` and `detected_before`, called only by `token` for a
                    // level `detect` found, are the token's only constructors).
                    unsafe { with_features(f) }
                }
            }
        }
    };
}

x86_level!(
    /// AVX2 and FMA (x86-64-v3).
    avx2::Avx2, Level::Avx2, 32, 16,
    features: "avx,avx2,fma,bmi1,bmi2,lzcnt,popcnt,f16c,movbe",
    detect: ["avx", "avx2", "fma", "bmi1", "bmi2", "lzcnt", "popcnt", "f16c", "movbe"]
);
x86_level!(
    /// AVX-512 F, VL, BW, DQ and CD, with AVX2 and FMA (x86-64-v4).
    avx512::Avx512, Level::Avx512, 64, 32,
    features: "avx,avx2,fma,bmi1,bmi2,lzcnt,popcnt,f16c,movbe,avx512f,avx512vl,avx512bw,avx512dq,avx512cd",
    detect: ["avx", "avx2", "fma", "bmi1", "bmi2", "lzcnt", "popcnt", "f16c", "movbe",
             "avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"]
);

/// A token for the chosen level (see [`token`]).
#[derive(Clone, Copy, Debug)]
pub enum Token {
    /// [`Level::Baseline`].
    Baseline(Baseline),
    /// [`Level::Avx2`].
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2),
    /// [`Level::Avx512`].
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
}

/// Whether the kernels may run on AVX-512: not with the `small-stack` feature, whose kernels
/// stop at AVX2 (the AVX-512 tiles' frames are larger: spilled 512-bit registers, 4 KiB for a
/// fixed tile, 4.5 KiB for a block, and a training step then overflowed the 24 KiB budget that
/// feature promises). The AVX-512 code is then not compiled either (`dispatch!` and conv's
/// small-map route test this in `if const`).
pub(crate) const AVX512_ALLOWED: bool = !cfg!(feature = "small-stack");

/// The best level the kernels use on this CPU (not capped by `CONSTNET_ISA`): at most AVX2
/// with the `small-stack` feature.
pub fn best() -> Level {
    best_token().level()
}

fn best_token() -> Token {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(t) = Avx512::detect().filter(|_| AVX512_ALLOWED) {
            return Token::Avx512(t);
        }
        if let Some(t) = Avx2::detect() {
            return Token::Avx2(t);
        }
    }
    Token::Baseline(Baseline::new())
}

impl Token {
    /// The level of this token.
    pub fn level(self) -> Level {
        match self {
            Token::Baseline(_) => Level::Baseline,
            #[cfg(target_arch = "x86_64")]
            Token::Avx2(_) => Level::Avx2,
            #[cfg(target_arch = "x86_64")]
            Token::Avx512(_) => Level::Avx512,
        }
    }

    /// The highest token at most `cap`: this one, or a lower one (every lower level is there
    /// when a higher one is: x86-64-v4 includes v3).
    pub fn capped(self, cap: Level) -> Token {
        let _ = cap; // (only x86-64 has levels above the baseline)
        match self {
            #[cfg(target_arch = "x86_64")]
            Token::Avx512(_) if cap < Level::Avx512 => Avx2::detect()
                .map_or(Token::Baseline(Baseline::new()), Token::Avx2)
                .capped(cap),
            #[cfg(target_arch = "x86_64")]
            Token::Avx2(_) if cap < Level::Avx2 => Token::Baseline(Baseline::new()),
            t => t,
        }
    }
}

/// The level `CONSTNET_ISA` asks for, if it is set to a level's name. Reading an unset variable
/// does not allocate; a set one allocates its value once, on the first kernel call.
fn requested() -> Option<Level> {
    #[cfg(feature = "std")]
    {
        let v = std::env::var_os("CONSTNET_ISA")?;
        Level::from_name(v.to_str()?.trim())
    }
    #[cfg(not(feature = "std"))]
    None
}

/// 0: not chosen yet; else the chosen level's index + 1. Written only by [`token`], with a
/// level whose token [`best_token`] made (so the CPU has it).
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// The token of the level the kernels run on: the best this CPU has, capped by `CONSTNET_ISA`.
/// Chosen on the first call and kept.
#[inline]
pub fn token() -> Token {
    match CHOSEN.load(Ordering::Relaxed) {
        0 => {
            let t = best_token();
            let t = requested().map_or(t, |r| t.capped(r));
            CHOSEN.store(t.level() as u8 + 1, Ordering::Relaxed);
            t
        }
        // (`CHOSEN` holds a level that was detected: its token may be made again.)
        #[cfg(target_arch = "x86_64")]
        2 => Token::Avx2(Avx2::detected_before()),
        #[cfg(target_arch = "x86_64")]
        3 => Token::Avx512(Avx512::detected_before()),
        _ => Token::Baseline(Baseline::new()),
    }
}

/// The level the kernels run on (see [`token`]).
pub fn chosen() -> Level {
    token().level()
}

/// Runs `$body` with `$isa` bound to the chosen level's token, compiled for that level; `f64`
/// (`$e` the element type) always on the baseline.
/// `dispatch!(E, cap = level, |isa| …)` runs it on the chosen level capped at `level`.
macro_rules! dispatch {
    ($e:ty, |$isa:ident| $body:expr) => {
        $crate::kernels::isa::dispatch!($e, cap = $crate::kernels::isa::Level::Avx512, |$isa| $body)
    };
    ($e:ty, cap = $cap:expr, |$isa:ident| $body:expr) => {{
        use $crate::kernels::isa::{Isa as _, Token};
        if const {
            core::mem::size_of::<$e>() == 4
                && matches!($crate::kernels::STRATEGY, $crate::kernels::Strategy::Speed)
        } {
            match $crate::kernels::isa::token().capped($cap) {
                #[cfg(target_arch = "x86_64")]
                Token::Avx512($isa) => {
                    if const { $crate::kernels::isa::AVX512_ALLOWED } {
                        $isa.run(#[inline(always)] move || $body)
                    } else {
                        unreachable!("no AVX-512 token is made when AVX-512 is not allowed")
                    }
                }
                #[cfg(target_arch = "x86_64")]
                Token::Avx2($isa) => $isa.run(#[inline(always)] move || $body),
                Token::Baseline($isa) => $isa.run(#[inline(always)] move || $body),
            }
        } else {
            let $isa = $crate::kernels::isa::Baseline::new();
            $isa.run(#[inline(always)] move || $body)
        }
    }};
}
pub(crate) use dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in [Level::Baseline, Level::Avx2, Level::Avx512] {
            assert_eq!(Level::from_name(l.name()), Some(l));
        }
        assert_eq!(Level::from_name("sse9"), None);
    }

    #[test]
    fn capping_never_raises_and_lands_on_a_level_the_cpu_has() {
        let best = best_token();
        for cap in [Level::Baseline, Level::Avx2, Level::Avx512] {
            let t = best.capped(cap);
            assert!(t.level() <= cap.max(Level::Baseline));
            assert!(t.level() <= best.level());
        }
        assert_eq!(best.capped(Level::Baseline).level(), Level::Baseline);
        assert_eq!(best.capped(Level::Avx512).level(), best.level());
    }

    /// The chosen level is the one `CONSTNET_ISA` names when the CPU has it (CI runs the
    /// kernel tests once per level this way: a misspelt level would silently test the best one).
    #[test]
    fn the_requested_level_is_the_one_chosen() {
        let chosen = chosen();
        assert!(chosen <= best());
        #[cfg(feature = "std")]
        if let Some(v) = std::env::var_os("CONSTNET_ISA") {
            let r = Level::from_name(v.to_str().unwrap().trim())
                .unwrap_or_else(|| panic!("CONSTNET_ISA={v:?} is not a level's name"));
            assert_eq!(chosen, r.min(best()));
        } else {
            assert_eq!(chosen, best());
        }
    }

    /// Every token's trampoline computes what plain code does (the features change the
    /// instructions, not the results).
    #[test]
    fn every_level_the_cpu_has_runs() {
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let a: [f32; 37] = core::array::from_fn(|i| i as f32 * 0.5);
        let want = dot(&a, &a);
        let mut t = best_token();
        loop {
            let got = match t {
                Token::Baseline(i) => i.run(|| dot(&a, &a)),
                #[cfg(target_arch = "x86_64")]
                Token::Avx2(i) => i.run(|| dot(&a, &a)),
                #[cfg(target_arch = "x86_64")]
                Token::Avx512(i) => i.run(|| dot(&a, &a)),
            };
            assert_eq!(got, want, "{:?}", t.level());
            match t.level() {
                Level::Baseline => break,
                Level::Avx2 => t = t.capped(Level::Baseline),
                Level::Avx512 => t = t.capped(Level::Avx2),
            }
        }
    }
}
