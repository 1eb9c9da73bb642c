//! What a `*-unknown-unknown` wasm module needs to run tests: a global allocator, output to
//! stderr through WASI's `fd_write` (linked by `wasmtime run`), and a panic handler that prints
//! the failure with its variant, module and seed and then traps.

use core::fmt::{self, Write};
use core::sync::atomic::Ordering;

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    /// WASI preview 1 `fd_write`; addresses are 32-bit even in a 64-bit memory.
    fn fd_write(fd: i32, iovs: i32, iovs_len: i32, written: i32) -> i32;
}

const STDERR: i32 = 2;

/// Buffered writer to stderr. The buffer lives on the shadow stack, which is at the bottom of
/// linear memory, so its address fits the 32 bits WASI takes.
pub struct Stderr {
    buf: [u8; 512],
    len: usize,
}

impl Stderr {
    /// An empty buffer.
    pub const fn new() -> Self {
        Stderr {
            buf: [0; 512],
            len: 0,
        }
    }

    /// Writes out the buffered bytes.
    pub fn flush(&mut self) {
        let mut done = 0;
        while done < self.len {
            let iov: [u32; 2] = [
                self.buf[done..].as_ptr() as usize as u32,
                (self.len - done) as u32,
            ];
            let mut written: u32 = 0;
            // SAFETY: `iov` names `self.len - done` initialized bytes of `buf`, and `written` is a
            // valid u32 slot; both outlive the call. `fd_write` reads the one iovec and writes
            // `written`.
            let errno = unsafe {
                fd_write(
                    STDERR,
                    iov.as_ptr() as usize as i32,
                    1,
                    &mut written as *mut u32 as usize as i32,
                )
            };
            if errno != 0 || written == 0 {
                break; // nowhere to report it
            }
            done += written as usize;
        }
        self.len = 0;
    }
}

impl Write for Stderr {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

/// Prints to stderr.
pub fn eprint(args: fmt::Arguments<'_>) {
    let mut out = Stderr::new();
    let _ = out.write_fmt(args);
    out.flush();
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut out = Stderr::new();
    if crate::harness::FAILING.load(Ordering::Relaxed) {
        // The message already carries the `FAIL variant=... module=... seed=...` prefix.
        let _ = write!(out, "{}", info.message());
    } else {
        let _ = crate::harness::write_current_prefix(&mut out);
        let _ = write!(out, ": panicked: {}", info.message());
    }
    if let Some(loc) = info.location() {
        let _ = write!(out, " (at {}:{})", loc.file(), loc.line());
    }
    let _ = out.write_str("\n");
    out.flush();
    trap()
}

fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(target_arch = "wasm64")]
    core::arch::wasm64::unreachable();
}
