//! The ai-chat template's functions, run for real with the machine's node and python3 against a small
//! PostgREST-like server (see tests/templates/ai_chat_functions_smoke.py).

use std::process::Command;

#[test]
fn ai_chat_functions_pass_their_smoke_test() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/templates/ai_chat_functions_smoke.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "smoke test failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
