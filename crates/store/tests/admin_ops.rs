//! `ops::AdminOp`: the settings operations as data, as the control socket
//! carries them: they round-trip through JSON, say whether they change
//! anything, and apply the same rules as the functions they stand for.

use latchkey_core::settings::{InteractiveMode, SecretStoreKind};
use latchkey_store::ops::{self, AdminOp};
use latchkey_store::Config;

fn config(dir: &std::path::Path) -> Config {
    Config::open(dir, Some(SecretStoreKind::File)).expect("open")
}

#[test]
fn operations_round_trip_through_json() {
    for op in [
        AdminOp::Status(ops::GetStatus {}),
        AdminOp::SetInteractive(ops::SetInteractive {
            mode: InteractiveMode::Never,
        }),
        AdminOp::SetPermission(ops::SetPermission {
            profile: "default".into(),
            permission: "clipboard".into(),
            on: false,
        }),
        AdminOp::CreateProfile(ops::CreateProfile {
            name: "support".into(),
            copy_from: None,
        }),
    ] {
        let json = serde_json::to_string(&op).expect("json");
        let back: AdminOp = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, op, "{json}");
    }
    assert!(
        serde_json::from_str::<AdminOp>(r#"{"op":"set_interactive","mode":"never","x":1}"#)
            .is_err()
    );
    assert!(serde_json::from_str::<AdminOp>(r#"{"op":"format_disk"}"#).is_err());
}

#[test]
fn reads_are_told_apart_from_changes() {
    assert!(!AdminOp::Status(ops::GetStatus {}).changes_anything());
    assert!(!AdminOp::ListTokens(ops::ListTokens {}).changes_anything());
    assert!(!AdminOp::PasswordStrength(ops::PasswordStrength {
        profile: "default".into(),
        password: "x".into()
    })
    .changes_anything());
    assert!(AdminOp::ClearTokens(ops::ClearTokens {}).changes_anything());
    assert!(AdminOp::SetSaveLogin(ops::SetSaveLogin { on: true }).changes_anything());
}

#[test]
fn operations_apply_the_same_rules_as_the_cli() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut c = config(tmp.path());
    AdminOp::SetInteractive(ops::SetInteractive {
        mode: InteractiveMode::Never,
    })
    .apply(&mut c)
    .expect("set");
    let status = AdminOp::Status(ops::GetStatus {})
        .apply(&mut config(tmp.path()))
        .expect("status");
    assert_eq!(status["interactive"], "never");

    let verdict = AdminOp::PasswordStrength(ops::PasswordStrength {
        profile: "default".into(),
        password: "password1".into(),
    })
    .apply(&mut c)
    .expect("strength");
    assert_eq!(verdict["acceptable"], false);

    let weak = AdminOp::SetPassword(ops::SetPassword {
        profile: "default".into(),
        password: "password1".into(),
    })
    .apply(&mut c)
    .expect_err("weak");
    assert_eq!(weak.code(), "weak_password");

    let unknown = AdminOp::DeleteProfile(ops::DeleteProfile {
        name: "nobody".into(),
    })
    .apply(&mut c)
    .expect_err("unknown");
    assert_eq!(unknown.code(), "not_found");

    let no_password = AdminOp::SetUnattended(ops::SetUnattended {
        profile: "default".into(),
        on: true,
    })
    .apply(&mut c)
    .expect_err("no password");
    assert_eq!(no_password.code(), "no_password");
}

#[test]
fn access_control_list_operations() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut c = config(tmp.path());
    let add: AdminOp = serde_json::from_str(
        r#"{"op":"add_acl_entry","fingerprint":"abcd-efgh-ijkl-mnop","profiles":["screen_sharing"]}"#,
    )
    .expect("parse");
    assert!(add.changes_anything() && !AdminOp::ListAcl(ops::ListAcl {}).changes_anything());
    let entry = add.apply(&mut c).expect("add");
    assert_eq!(
        entry,
        serde_json::json!({"fingerprint": "ABCD-EFGH-IJKL-MNOP", "profiles": ["screen_sharing"]})
    );
    AdminOp::SetAcl(ops::SetAcl { on: true })
        .apply(&mut c)
        .expect("on");
    let list = AdminOp::ListAcl(ops::ListAcl {})
        .apply(&mut config(tmp.path()))
        .expect("list");
    assert_eq!(list["enabled"], true);
    assert_eq!(list["entries"][0]["fingerprint"], "ABCD-EFGH-IJKL-MNOP");
    let bad = AdminOp::AddAclEntry(ops::AddAclEntry {
        fingerprint: "123 456 789".into(),
        profiles: vec![],
    })
    .apply(&mut c)
    .expect_err("an ID is refused");
    assert_eq!(bad.code(), "bad_input");
    let gone = AdminOp::RemoveAclEntry(ops::RemoveAclEntry {
        fingerprint: "ZZZZ-ZZZZ-ZZZZ-ZZZZ".into(),
    })
    .apply(&mut c)
    .expect_err("not listed");
    assert_eq!(gone.code(), "not_found");
    AdminOp::RemoveAclEntry(ops::RemoveAclEntry {
        fingerprint: "ABCDEFGHIJKLMNOP".into(),
    })
    .apply(&mut c)
    .expect("remove");
    assert_eq!(
        AdminOp::ListAcl(ops::ListAcl {})
            .apply(&mut c)
            .expect("list")["entries"],
        serde_json::json!([])
    );
}
