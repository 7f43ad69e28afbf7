//! Unit tests of the validated values.

use super::*;

#[test]
fn identifiers() {
    assert!(AppId::parse("superapp-a").is_ok());
    assert!(AppId::parse(&"a".repeat(128)).is_ok());
    for bad in ["", "-a", ".a", "a b", "a/b", "ä", &"a".repeat(129)] {
        assert!(AppId::parse(bad).is_err(), "{bad:?}");
    }
    assert!(Version::parse("1.4.0+build-7").is_ok());
    for bad in ["", "_1", "1_0", "1 0", &"1".repeat(65)] {
        assert!(Version::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn user_ids() {
    assert!(UserId::parse("用户-1🎉").is_ok());
    assert!(UserId::parse(&"é".repeat(128)).is_ok()); // 256 bytes
    assert!(UserId::parse(&"é".repeat(129)).is_err());
    for bad in ["", "a\nb", "a\u{7f}", "\u{0}"] {
        assert!(UserId::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn percentages() {
    assert_eq!(
        Percentage::from_percent(12.3456).map(Percentage::ppm),
        Ok(123_456)
    );
    assert_eq!(Percentage::from_percent(0.0001).map(Percentage::ppm), Ok(1));
    assert_eq!(
        Percentage::from_percent(100.0).map(Percentage::ppm),
        Ok(1_000_000)
    );
    assert!(Percentage::from_percent(0.00001).is_err());
    assert!(Percentage::from_percent(1.23456).is_err());
    assert!(Percentage::from_percent(-1.0).is_err());
    assert!(Percentage::from_percent(100.5).is_err());
    assert!(Percentage::from_percent(f64::NAN).is_err());
    let json = serde_json::to_string(&Percentage::from_ppm(50_000)).unwrap_or_default();
    assert_eq!(json, "5");
    let json = serde_json::to_string(&Percentage::from_ppm(12_345)).unwrap_or_default();
    assert_eq!(json, "1.2345");
}

#[test]
fn env_policies() {
    let p = EnvPolicy::for_env(Env::Production, EnvPolicyInput::default());
    assert_eq!(
        p,
        Ok(EnvPolicy {
            approval: Approval::Manual,
            pilot_testing: false
        })
    );
    let auto = EnvPolicyInput {
        approval: Some(Approval::Auto),
        pilot_testing: None,
    };
    assert!(EnvPolicy::for_env(Env::Production, auto).is_err());
    let pilot = EnvPolicyInput {
        approval: None,
        pilot_testing: Some(true),
    };
    assert!(EnvPolicy::for_env(Env::Development, pilot).is_err());
    assert_eq!(
        EnvPolicy::for_env(Env::Sandbox, pilot),
        Ok(EnvPolicy {
            approval: Approval::Auto,
            pilot_testing: true
        })
    );
}

#[test]
fn statuses_round_trip() {
    for s in Status::ALL {
        assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        assert_eq!(
            serde_json::to_value(s).ok(),
            Some(serde_json::json!(s.as_str()))
        );
    }
}

#[test]
fn policies_are_objects_only() {
    let ok: Result<EnvPolicyInput, _> = serde_json::from_str(r#"{"approval":"manual"}"#);
    assert_eq!(ok.ok().and_then(|p| p.approval), Some(Approval::Manual));
    for bad in [
        r#"[null,null]"#,
        r#"["manual",true]"#,
        r#"{"approval":"manual","x":1}"#,
        r#"{"pilot_testing":"yes"}"#,
    ] {
        assert!(
            serde_json::from_str::<EnvPolicyInput>(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn grayscale_percentages_are_strictly_between_0_and_100_with_one_message() {
    let out_of_range = |p: f64| GrayscalePercentage::from_percent(p).map_err(|e| e.reason);
    let message = out_of_range(0.0).err().unwrap_or_default();
    assert!(message.contains("above 0 and below 100"), "{message}");
    for p in [-1.0, 100.0, 100.5, 150.0, f64::NAN] {
        assert_eq!(
            out_of_range(p).err().as_deref(),
            Some(message.as_str()),
            "{p}"
        );
    }
    assert!(GrayscalePercentage::from_percent(12.34567).is_err());
    let tiny = GrayscalePercentage::from_percent(0.0001).map(GrayscalePercentage::get);
    assert_eq!(tiny.map(Percentage::ppm), Ok(1));
    let top = GrayscalePercentage::from_percent(99.9999).map(GrayscalePercentage::get);
    assert_eq!(top.map(Percentage::ppm), Ok(999_999));
}

#[test]
fn salts_and_digests_are_checked_when_read() {
    assert!(serde_json::from_str::<Salt>("\"0123456789abcdef\"").is_ok());
    for bad in [
        "\"\"",
        "\"0123456789ABCDEF\"",
        "\"0123456789abcde\"",
        "\"zzzzzzzzzzzzzzzz\"",
    ] {
        assert!(serde_json::from_str::<Salt>(bad).is_err(), "{bad}");
    }
    let digest = Sha256::parse(&"AB".repeat(32)).map(|d| d.as_str().to_owned());
    assert_eq!(digest, Ok("ab".repeat(32)));
    assert!(Reason::parse("   ").is_err());
    assert_eq!(
        Reason::parse(" why ").map(|r| r.as_str().to_owned()),
        Ok("why".into())
    );
}
