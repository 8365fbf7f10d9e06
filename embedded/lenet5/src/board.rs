//! The platform glue of a bare-metal build (`thumbv7em-none-eabihf`): `cortex-m-rt`'s entry
//! point, a panic halts. The predictions go to a writer that only keeps a checksum of them: on a
//! real board, replace it with a UART or RTT writer.
#![allow(unsafe_code)] // (the code `cortex-m-rt`'s `#[entry]` generates)

use core::fmt;
use panic_halt as _;

/// Keeps a checksum of what is written (a stand-in for the board's serial output).
struct Checksum(u32);

impl fmt::Write for Checksum {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            self.0 = self.0.wrapping_mul(31).wrapping_add(u32::from(b));
        }
        Ok(())
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut out = Checksum(0);
    let status = crate::run(&mut out);
    core::hint::black_box((status, out.0));
    loop {
        core::hint::spin_loop();
    }
}
