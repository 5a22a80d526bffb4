//! The operations as data: their wire form is the one `AdminOp` had as an
//! enum of struct variants, and the ones carrying secrets do not print them.

use super::*;
use latchkey_core::settings::InteractiveMode;
use zeroize::Zeroizing;

#[test]
fn the_wire_form_is_unchanged() {
    let cases: Vec<(AdminOp, &str)> = vec![
        (GetStatus {}.into(), r#"{"op":"status"}"#),
        (ClearTokens {}.into(), r#"{"op":"clear_tokens"}"#),
        (
            SetInteractive {
                mode: InteractiveMode::Never,
            }
            .into(),
            r#"{"op":"set_interactive","mode":"never"}"#,
        ),
        (
            CreateProfile {
                name: "support".into(),
                copy_from: None,
            }
            .into(),
            r#"{"op":"create_profile","name":"support","copy_from":null}"#,
        ),
        (
            SetTwoFactorScope {
                scope: TwoFactorScope::Reconnect,
                on: true,
            }
            .into(),
            r#"{"op":"set_two_factor_scope","scope":"reconnect","on":true}"#,
        ),
    ];
    for (op, wire) in cases {
        assert_eq!(serde_json::to_string(&op).expect("json"), wire);
        assert_eq!(serde_json::from_str::<AdminOp>(wire).expect("parse"), op);
    }
    // Fields may still be left out where they were optional before.
    assert_eq!(
        serde_json::from_str::<AdminOp>(r#"{"op":"create_profile","name":"x"}"#).expect("parse"),
        AdminOp::CreateProfile(CreateProfile {
            name: "x".into(),
            copy_from: None
        })
    );
    assert_eq!(
        serde_json::from_str::<AdminOp>(r#"{"op":"add_acl_entry","fingerprint":"F"}"#)
            .expect("parse"),
        AdminOp::AddAclEntry(AddAclEntry {
            fingerprint: "F".into(),
            profiles: vec![]
        })
    );
    // Unknown fields are refused, on operations with and without inputs.
    for bad in [
        r#"{"op":"status","x":1}"#,
        r#"{"op":"list_acl","on":true}"#,
        r#"{"op":"set_acl","on":true,"x":1}"#,
        r#"{"op":"set_acl"}"#,
    ] {
        assert!(serde_json::from_str::<AdminOp>(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_enum_says_what_each_operation_says() {
    assert!(!AdminOp::from(GetStatus {}).changes_anything());
    assert!(!AdminOp::from(ListAcl {}).changes_anything());
    assert!(AdminOp::from(DisableTwoFactor {}).changes_anything());
    assert!(AdminOp::from(SetAcl { on: false }).changes_anything());
    const { assert!(!VerifyPassword::CHANGES && !ShowProfile::CHANGES && !ReadAudit::CHANGES) };
    const { assert!(IssueToken::CHANGES && SetPassword::CHANGES) };
}

#[test]
fn secrets_stay_out_of_debug() {
    let op = AdminOp::from(SetPassword {
        profile: "default".into(),
        password: "hunter2-correct-horse".into(),
    });
    let printed = format!("{op:?}");
    assert!(
        printed.contains("default") && !printed.contains("hunter2"),
        "{printed}"
    );
    let strength = format!(
        "{:?}",
        PasswordStrength {
            profile: "p".into(),
            password: "hunter2".into()
        }
    );
    assert!(!strength.contains("hunter2"), "{strength}");
    let code = format!(
        "{:?}",
        AdminOp::from(ConfirmTwoFactor {
            code: "123456".into()
        })
    );
    assert!(!code.contains("123456"), "{code}");
}

#[test]
fn secret_outputs_serialize_as_before() {
    let e = Enrollment {
        uri: Zeroizing::new("otpauth://x".into()),
        secret_base32: Zeroizing::new("ABC".into()),
        qr_svg: Zeroizing::new("<svg/>".into()),
    };
    assert_eq!(
        serde_json::to_value(&e).expect("json"),
        serde_json::json!({"uri": "otpauth://x", "secret_base32": "ABC", "qr_svg": "<svg/>"})
    );
    let codes = RecoveryCodes(vec![Zeroizing::new("a".into()), Zeroizing::new("b".into())]);
    assert_eq!(
        serde_json::to_value(&codes).expect("json"),
        serde_json::json!(["a", "b"])
    );
}
