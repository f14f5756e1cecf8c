//! Keys from every supported format sign tokens that verify with their public JWK, tokens
//! signed by another implementation (Python `cryptography`) verify here, and tampering fails.

use okta_idsrc_jose::{
    Algorithm, Jwk, PrivateKey, b64url, decode_unverified, sign_jwt, verify_jwt,
};
use serde_json::{Map, json};

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn round_trip(key: &PrivateKey) {
    let claims = json!({"iss": "client", "jti": okta_idsrc_jose::random_id()});
    let jwt = sign_jwt(key, Map::new(), &claims).unwrap();
    let (header, back) = verify_jwt(&jwt, &key.public_jwk(), &Algorithm::ALL).unwrap();
    assert_eq!(back, claims);
    assert_eq!(header["alg"], key.algorithm().as_str());
    // A changed payload no longer verifies.
    let mut parts: Vec<&str> = jwt.split('.').collect();
    let forged = b64url(br#"{"iss":"attacker"}"#);
    parts[1] = &forged;
    assert!(verify_jwt(&parts.join("."), &key.public_jwk(), &Algorithm::ALL).is_err());
    // Another key does not verify it.
    let other = PrivateKey::generate_p256().unwrap().public_jwk();
    assert!(verify_jwt(&jwt, &other, &Algorithm::ALL).is_err());
}

#[test]
fn every_key_format_signs_and_verifies() {
    for (name, alg) in [
        ("rsa_pkcs1.pem", Algorithm::RS256),
        ("rsa_pkcs8.pem", Algorithm::RS256),
        ("ec_p256_sec1.pem", Algorithm::ES256),
        ("ec_p256_pkcs8.pem", Algorithm::ES256),
        ("ec_p384_sec1.pem", Algorithm::ES384),
    ] {
        let key = PrivateKey::from_pem(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.algorithm(), alg, "{name}");
        round_trip(&key);
    }
    let rsa = PrivateKey::from_pem(&data("rsa_pkcs1.pem")).unwrap();
    for alg in [Algorithm::RS384, Algorithm::RS512] {
        round_trip(&rsa.clone().with_algorithm(alg).unwrap());
    }
    assert!(rsa.with_algorithm(Algorithm::ES256).is_err());
    round_trip(&PrivateKey::generate_p256().unwrap());
}

#[test]
fn private_jwks_as_okta_hands_them_out() {
    let rsa = PrivateKey::from_jwk_json(&data("rsa_private.jwk.json")).unwrap();
    assert_eq!(rsa.kid(), Some("rsa-key-1"));
    round_trip(&rsa);
    let public: Jwk = serde_json::from_str(&data("rsa_public.jwk.json")).unwrap();
    assert_eq!(rsa.public_jwk(), public);
    let jwt = sign_jwt(&rsa, Map::new(), &json!({})).unwrap();
    assert_eq!(decode_unverified(&jwt).unwrap().0["kid"], "rsa-key-1");
    let ec = PrivateKey::from_jwk_json(&data("ec_private.jwk.json")).unwrap();
    round_trip(&ec);
    // The PEM and the JWK of one key have the same public key.
    let pem = PrivateKey::from_pem(&data("ec_p256_sec1.pem")).unwrap();
    assert_eq!(
        pem.public_jwk().thumbprint().unwrap(),
        ec.public_jwk().thumbprint().unwrap()
    );
}

#[test]
fn tokens_signed_elsewhere_verify() {
    let v: serde_json::Value = serde_json::from_str(&data("python_signed.json")).unwrap();
    let rsa: Jwk = serde_json::from_str(&data("rsa_public.jwk.json")).unwrap();
    verify_jwt(v["rs256"].as_str().unwrap(), &rsa, &[Algorithm::RS256]).unwrap();
    assert!(
        verify_jwt(v["rs256"].as_str().unwrap(), &rsa, &[Algorithm::ES256]).is_err(),
        "alg not allowed"
    );
    let ec = PrivateKey::from_pem(&data("ec_p256_sec1.pem"))
        .unwrap()
        .public_jwk();
    verify_jwt(v["es256"].as_str().unwrap(), &ec, &[Algorithm::ES256]).unwrap();
}

#[test]
fn rfc7638_thumbprint_example() {
    // RFC 7638 §3.1.
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"
    })).unwrap();
    assert_eq!(
        jwk.thumbprint().unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn bad_input_is_an_error_without_key_material() {
    let pem = data("rsa_pkcs1.pem");
    let broken = pem.replace("MII", "XXX");
    let err = PrivateKey::from_pem(&broken).unwrap_err();
    assert!(!err.to_string().contains("XXX"), "{err}");
    assert!(PrivateKey::from_pem("not a key").is_err());
    assert!(PrivateKey::from_jwk_json(r#"{"kty":"oct","k":"abc"}"#).is_err());
    assert!(decode_unverified("a.b").is_err());
    assert!(
        verify_jwt(
            "e30.e30.AAAA",
            &PrivateKey::generate_p256().unwrap().public_jwk(),
            &Algorithm::ALL
        )
        .is_err()
    );
    let key = PrivateKey::from_pem(&pem).unwrap();
    let debug = format!("{key:?}");
    assert!(
        debug.contains("redacted") && !debug.contains("MII"),
        "{debug}"
    );
}
