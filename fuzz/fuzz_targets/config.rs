//! The configuration parser on arbitrary bytes: refused or accepted, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otelcol_genai::ffi::*;

fuzz_target!(|data: &[u8]| {
    let mut err = GenaiBuffer { ptr: std::ptr::null_mut(), len: 0, cap: 0 };
    // SAFETY: a live slice and a writable buffer, freed below.
    let status = unsafe { genai_config_validate(data.as_ptr(), data.len(), &mut err) };
    assert_ne!(status, GenaiStatus::Panic);
    assert_eq!(status == GenaiStatus::Ok, err.ptr.is_null(), "a message exactly when refused");
    // SAFETY: filled by the library.
    unsafe { genai_buffer_free(&mut err) };
});
