//! Just enough DER to read a SEC1 `ECPrivateKey` (RFC 5915), which ring does not parse.

use crate::JoseError;

/// Reads one TLV at the start of `input`: (tag, contents, rest).
fn tlv(input: &[u8]) -> Result<(u8, &[u8], &[u8]), JoseError> {
    let bad = || JoseError::new("malformed DER in the EC private key");
    let (&tag, rest) = input.split_first().ok_or_else(bad)?;
    let (&first, mut rest) = rest.split_first().ok_or_else(bad)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 2 || rest.len() < n {
            return Err(bad());
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(bad());
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// The private scalar and the uncompressed public point of a SEC1 `ECPrivateKey`.
pub(crate) fn sec1_private_key(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), JoseError> {
    let (tag, seq, _) = tlv(der)?;
    if tag != 0x30 {
        return Err(JoseError::new("the EC private key is not a DER SEQUENCE"));
    }
    let (tag, version, rest) = tlv(seq)?;
    if tag != 0x02 || version != [1] {
        return Err(JoseError::new("unsupported EC private key version"));
    }
    let (tag, private, mut rest) = tlv(rest)?;
    if tag != 0x04 {
        return Err(JoseError::new(
            "the EC private key has no private key octets",
        ));
    }
    while !rest.is_empty() {
        let (tag, contents, next) = tlv(rest)?;
        if tag == 0xa1 {
            let (tag, bits, _) = tlv(contents)?;
            if tag != 0x03 || bits.first() != Some(&0) {
                return Err(JoseError::new("malformed public key in the EC private key"));
            }
            return Ok((private.to_vec(), bits[1..].to_vec()));
        }
        rest = next;
    }
    Err(JoseError::new(
        "the SEC1 EC private key does not include its public key; convert it to PKCS#8",
    ))
}
