//! The platform glue of the host build (x86-64 or aarch64 Linux): the C runtime calls `main`,
//! output goes through `write(2)`, a panic aborts. On a microcontroller this file is replaced by
//! the board's entry point and output (e.g. `cortex-m-rt`'s `#[entry]` and a UART or RTT
//! writer); `run` stays as it is.
#![allow(unsafe_code)]

use core::fmt;

#[link(name = "c")]
unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn abort() -> !;
}

/// Standard output.
struct Stdout;

impl fmt::Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            // SAFETY: `rest` is a valid buffer of `rest.len()` bytes for the call's duration.
            let n = unsafe { write(1, rest.as_ptr(), rest.len()) };
            if n <= 0 {
                return Err(fmt::Error);
            }
            rest = &rest[n as usize..];
        }
        Ok(())
    }
}

// SAFETY: the C runtime's entry point calls `main` once, with the process's arguments, which
// are not read.
#[unsafe(no_mangle)]
extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    crate::run(&mut Stdout)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let _ = fmt::Write::write_fmt(&mut Stdout, format_args!("panic: {info}\n"));
    // SAFETY: `abort` takes no arguments and never returns.
    unsafe { abort() }
}
